//! Everything git-traces writes: the journal, per-session state, refs and the error log.
//!
//! Owns these names (DESIGN.md "Storage", a contract):
//! `.git/traces/journal/<session>.jsonl`, `.git/traces/index/<session>` (the session's private index),
//! `.git/traces/state/<session>.json`, `.git/traces/locks/<session>.lock`, `.git/traces/errors.log`,
//! `refs/traces/sessions/<session>`, `refs/traces/trails/<session>` and `refs/notes/traces`. For a linked worktree all of
//! them sit in the common git dir, so every worktree of a repository shares one evidence store.

mod bucket;
mod files;
mod journal;
mod lock;
mod log;
mod notes;
mod paths;
mod refs;
mod state;
mod trail_chain;

pub use bucket::{read_member, sealed_commit, session_ids, write_seal, Member};
pub use files::{read_files, write_files, Files};
pub use journal::{append, dirty_sessions, mark_sealed, read_journal, JournalRead};
pub use lock::SessionLock;
pub use log::{log_error, recent_errors, ErrorLine};
pub use notes::{add_note_lines, note_lines, note_lines_in, set_note_lines, NOTES_REF};
pub use paths::{
    sanitize_session_id, session_ref, trail_ref, Traces, SESSIONS_PREFIX, TRAILS_PREFIX,
};
pub use refs::{pack_when_many, tips, update_ref, RefUpdate};
pub use state::SessionState;
pub use trail_chain::{read_chain, relabel_chain, ChainLink};

use std::path::PathBuf;

/// Failures of the store that callers branch on or show to the user.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot update {name}: expected {expected}, found {actual}\nhint: another git-trace may be running; retry, or run 'git trace doctor'")]
    RefMoved {
        name: String,
        expected: String,
        actual: String,
    },
    #[error("session {session} is busy: {path} is locked by another git-trace process\nhint: retry in a moment; if no agent is running, run 'git trace doctor'")]
    Busy { session: String, path: PathBuf },
    #[error("{name} was written with schema '{schema}', newer than this git-trace {version} writes; not overwriting it\nhint: install a newer git-traces", version = env!("CARGO_PKG_VERSION"))]
    SchemaTooNew { name: String, schema: String },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    Git(#[from] git2::Error),
    #[error("cannot read {path}: {reason}\nhint: the file is local state; delete it and the next event rebuilds it")]
    Corrupt { path: PathBuf, reason: String },
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io { path, source }
    }
}

pub type Result<T> = std::result::Result<T, Error>;

/// Replaces `.git/traces/cache/<name>` (derived data: failures are ignored, the next run
/// recomputes it).
pub fn write_cache(traces: &Traces, name: &str, bytes: &[u8]) {
    let dir = traces.dir.join("cache");
    if std::fs::create_dir_all(&dir).is_err() {
        return;
    }
    if let Ok(mut tmp) = tempfile::NamedTempFile::new_in(&dir) {
        use std::io::Write;
        if tmp.write_all(bytes).is_ok() {
            let _ = tmp.persist(dir.join(name));
        }
    }
}

/// Deletes a session's private index (`.git/traces/index/<session>`), if any.
pub fn remove_private_index(traces: &Traces, session: &str) {
    let _ = std::fs::remove_file(traces.index(session));
}

/// The current time as RFC 3339 UTC with milliseconds, the format of every timestamp we write.
pub fn now_rfc3339() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    format_unix_ms(now.as_millis() as i64)
}

/// Formats milliseconds since the epoch as `YYYY-MM-DDTHH:MM:SS.mmmZ` (proleptic Gregorian, UTC).
pub fn format_unix_ms(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let millis = ms.rem_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn formats_epoch_and_leap_days() {
        assert_eq!(super::format_unix_ms(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            super::format_unix_ms(1_709_208_000_123),
            "2024-02-29T12:00:00.123Z"
        );
        assert_eq!(
            super::format_unix_ms(1_795_566_896_263),
            "2026-11-25T00:34:56.263Z"
        );
    }
}
