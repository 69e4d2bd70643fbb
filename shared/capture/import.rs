//! Transcript import: a harness's session file into journal records, incrementally.
//!
//! The import position (`transcript_offset`) only moves past complete lines, so a line the harness
//! is still writing is read whole next time. Every line is redacted before it becomes a record.
//! Re-reading lines already imported is harmless: their records carry the same keys and merge into
//! the same steps.

use super::content::excerpt;
use super::{Harness, SessionHeader};
use crate::model::{Record, Source};
use crate::security;
use crate::store::{self, log_error, SessionLock, SessionState, Traces};
use git2::Repository;
use serde_json::Value;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Reads the transcript from where the last import stopped and appends its records. With `settled`
/// (session ended, or a backfill) a final line without a newline is read too.
pub(crate) fn import_transcript(
    repo: &Repository,
    traces: &Traces,
    session: &str,
    state: &mut SessionState,
    settled: bool,
) -> store::Result<usize> {
    let Some(path) = state.transcript_path.clone().map(PathBuf::from) else {
        return Ok(0);
    };
    let Some(adapter) = Harness::parse(&state.harness) else {
        log_error(
            traces,
            session,
            "import",
            &format!("no transcript reader for harness '{}'", state.harness),
        );
        return Ok(0);
    };
    let mut file = match std::fs::File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(store::Error::Io { path, source: e }),
    };
    let len = file.metadata().map_err(store::Error::io(&path))?.len();
    if len < state.transcript_offset {
        // Rewritten or truncated by the harness: read it again; keys de-duplicate.
        state.transcript_offset = 0;
    }
    if len == state.transcript_offset {
        return Ok(0);
    }
    file.seek(SeekFrom::Start(state.transcript_offset))
        .map_err(store::Error::io(&path))?;
    let mut bytes = Vec::with_capacity((len - state.transcript_offset) as usize);
    file.read_to_end(&mut bytes)
        .map_err(store::Error::io(&path))?;
    let complete = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let mut lines: Vec<(u64, &[u8])> = Vec::new();
    let mut at = state.transcript_offset;
    for line in bytes[..complete].split(|&b| b == b'\n') {
        lines.push((at, line));
        at += line.len() as u64 + 1;
    }
    let mut consumed = complete;
    if settled && complete < bytes.len() {
        lines.push((
            state.transcript_offset + complete as u64,
            &bytes[complete..],
        ));
        consumed = bytes.len();
    }
    let workdir = state.moved_from.clone().map_or_else(
        || repo.workdir().unwrap_or(Path::new("/")).to_path_buf(),
        PathBuf::from,
    );
    let cwd = state
        .cwd
        .clone()
        .map_or_else(|| workdir.clone(), PathBuf::from);
    let mut records: Vec<Record> = Vec::new();
    let mut malformed = 0usize;
    for (offset, line) in lines {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let mut report = security::Report::default();
        let Ok(mut value) = serde_json::from_slice::<Value>(line) else {
            // Kept as redacted text, like any record we cannot read: counted, never dropped.
            malformed += 1;
            let text = String::from_utf8_lossy(line);
            let mut record = Record::new(String::new(), Source::Transcript, "malformed");
            record.offset = Some(offset);
            record.meta.insert(
                "raw".into(),
                Value::String(excerpt(&security::redact(&text, &mut report))),
            );
            records.push(record);
            continue;
        };
        security::redact_json(&mut value, &mut report);
        let mut recs = adapter.transcript_records(repo, &value, &workdir, &cwd)?;
        for r in &mut recs {
            r.offset = Some(offset);
        }
        if !report.is_empty() {
            if let Some(first) = recs.first_mut() {
                first.meta.insert(
                    "redactions".into(),
                    serde_json::to_value(&report.redactions).expect("map"),
                );
            }
        }
        records.append(&mut recs);
    }
    if malformed > 0 {
        log_error(
            traces,
            session,
            "import",
            &format!(
                "{malformed} malformed line(s) in {} kept as raw text",
                path.display()
            ),
        );
    }
    store::append(traces, session, &records)?;
    state.transcript_offset += consumed as u64;
    Ok(records.len())
}

/// What `git trace import` did for one file.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ImportSummary {
    pub session: String,
    pub harness: &'static str,
    pub file: PathBuf,
    /// Records read from the file this time (0 when it was already imported up to its end).
    pub records: usize,
    pub steps: usize,
    /// The file had nothing new since the last import: nothing was written.
    pub up_to_date: bool,
}

/// Errors of `git trace import` the user can act on.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} has no session id\nhint: is this a {harness} session file ({where_})?", where_ = .harness.session_files())]
    NoSession { path: PathBuf, harness: Harness },
    #[error("session {session} in {path} ran in {cwd}, outside this repository ({workdir})\nhint: run the import from the repository the session worked in; if this repository was moved from there, add --moved-from {cwd}")]
    Elsewhere {
        session: String,
        path: PathBuf,
        cwd: String,
        workdir: PathBuf,
    },
    #[error("session {session} is sealed in this repository but its journal is missing; importing now would drop the steps only the hooks saw\nhint: nothing was changed; the sealed session is complete as it is")]
    NoJournal { session: String },
    #[error(transparent)]
    Store(#[from] store::Error),
}

/// Where a session file ran, as its header says: `None` when it does not say.
pub fn session_cwd(harness: Harness, path: &Path) -> Option<String> {
    let text = std::fs::read(path).ok()?;
    harness.session_header(&text).cwd
}

/// Backfills one session file (`git trace import <harness> <file>`): import, then seal.
/// `moved_from` is where this repository's worktree was when the session ran, if it has moved.
pub fn import_file(
    repo: &Repository,
    harness: Harness,
    path: &Path,
    moved_from: Option<&Path>,
) -> Result<ImportSummary, ImportError> {
    let text = std::fs::read(path).map_err(|source| ImportError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let SessionHeader {
        session: raw_session,
        cwd,
        commit,
    } = harness.session_header(&text);
    let session = raw_session
        .or_else(|| path.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .and_then(|s| store::sanitize_session_id(&s))
        .ok_or_else(|| ImportError::NoSession {
            path: path.to_path_buf(),
            harness,
        })?;
    let workdir = repo.workdir().unwrap_or(Path::new("/")).to_path_buf();
    let root = moved_from.map_or_else(|| workdir.clone(), Path::to_path_buf);
    if let Some(cwd) = &cwd {
        let rel = super::repo_relative(&root, &root, cwd);
        if Path::new(&rel).is_absolute() {
            return Err(ImportError::Elsewhere {
                session,
                path: path.to_path_buf(),
                cwd: cwd.clone(),
                workdir,
            });
        }
    }
    let traces = Traces::of(repo);
    let lock = SessionLock::acquire(&traces, &session, Duration::from_secs(10))?;
    let existing = SessionState::load(&traces, &session)?;
    let sealed_before = store::sealed_commit(repo, &session)?;
    if existing.is_none() && sealed_before.is_some() && !traces.journal(&session).exists() {
        return Err(ImportError::NoJournal { session });
    }
    let abs = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let abs_str = abs.to_string_lossy().into_owned();
    // A session never seen live starts from the commit its file names, when this clone has it.
    let base = commit
        .and_then(|c| repo.revparse_single(&c).ok())
        .and_then(|o| o.peel_to_commit().ok());
    let mut state = existing.unwrap_or_else(|| SessionState {
        harness: harness.name().to_string(),
        cwd: cwd.clone(),
        base: base.as_ref().map(|c| c.id().to_string()),
        base_tree: base.as_ref().map(|c| c.tree_id().to_string()),
        ..SessionState::default()
    });
    if let Some(old) = moved_from {
        state.moved_from = Some(old.to_string_lossy().into_owned());
    }
    if state.transcript_path.as_deref() != Some(abs_str.as_str()) {
        let same_file = state
            .transcript_path
            .as_ref()
            .and_then(|p| std::fs::canonicalize(p).ok())
            .is_some_and(|p| p == abs);
        if !same_file {
            state.transcript_offset = 0;
        }
        state.transcript_path = Some(abs_str);
    }
    let up_to_date = sealed_before.is_some()
        && state.transcript_offset == text.len() as u64
        && !store::dirty_sessions(&traces).contains(&session)
        && super::seal::seal_is_current(repo, &session)?;
    let sealed = if up_to_date {
        super::seal::Sealed {
            imported: 0,
            steps: 0,
        }
    } else {
        super::seal::seal(repo, &traces, &session, &mut state, &lock, true)?
    };
    state.save(&traces, &session)?;
    Ok(ImportSummary {
        session,
        harness: harness.name(),
        file: path.to_path_buf(),
        records: sealed.imported,
        steps: sealed.steps,
        up_to_date,
    })
}
