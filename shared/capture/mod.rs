//! Capture: agent hook payloads and harness session files into the journal and the trail.
//!
//! `git trace hook <harness> [<event>]` lands in [`hook`]. It must never break or slow the agent:
//! whatever happens it returns normally (the binary exits 0), prints nothing, and reports its own
//! failures to `.git/traces/errors.log` with the session and event. Outside a git repository it
//! does nothing at all. Every payload is redacted by [`crate::security`] before any byte of it is
//! written.

mod anchoring;
pub mod backfill;
mod claude;
mod codex;
mod content;
mod harness;
mod import;
pub(crate) mod merge;
mod pi;
mod recorder;
mod records;
mod seal;

pub use anchoring::{anchor, carry, trail_patches};
pub(crate) use codex::command_text as codex_command;
pub(crate) use content::sha256_hex;
pub(crate) use harness::SessionHeader;
pub use harness::{Harness, HARNESSES};
pub use import::{import_file, session_cwd, ImportError, ImportSummary};

use crate::model::{Record, Source, StepKind};
use crate::security;
use crate::store::{self, log_error, SessionLock, SessionState, Traces};
use git2::Repository;
use recorder::Recorder;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long a hook waits for another event of the same session to finish before it records its
/// own event without a snapshot (the next snapshot then picks up the change).
const LOCK_WAIT: Duration = Duration::from_secs(10);

/// How a tool's effect on the working tree is captured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ToolClass {
    /// Writes exactly the files its input names: hash just those.
    Named,
    /// May change anything: refresh the whole tree.
    Mutating,
    /// Changes nothing.
    ReadOnly,
}

#[derive(Debug, Clone)]
pub(crate) struct ToolCall {
    pub id: Option<String>,
    pub name: String,
    pub class: ToolClass,
    pub paths: Vec<String>,
}

/// What a hook event means for capture, whatever the harness calls it.
#[derive(Debug, Clone)]
pub(crate) enum Action {
    Start,
    Prompt,
    PreTool(ToolCall),
    PostTool(ToolCall),
    Stop,
    End,
    Other,
}

/// Handles one agent hook event. Never fails and never prints: see the module docs.
///
/// `env_session` is the session id the harness put in the hook's environment
/// (`CLAUDE_CODE_SESSION_ID`): with it, even an unreadable payload is kept, as a raw record.
pub fn hook(
    harness: &str,
    event_arg: Option<&str>,
    stdin: &[u8],
    process_cwd: &Path,
    env_session: Option<&str>,
) {
    // A panic is logged below like any failure, with its location; the default hook would print
    // it to the agent instead.
    static PANIC: std::sync::Mutex<String> = std::sync::Mutex::new(String::new());
    std::panic::set_hook(Box::new(|info| {
        if let Ok(mut last) = PANIC.lock() {
            *last = info.to_string();
        }
    }));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        hook_inner(harness, event_arg, stdin, process_cwd, env_session)
    }));
    let failure = match result {
        Ok(Ok(())) => return,
        Ok(Err(f)) => f,
        Err(panic) => Failure {
            traces: Repository::discover(process_cwd)
                .ok()
                .map(|r| Traces::of(&r)),
            session: String::new(),
            event: event_arg.unwrap_or_default().to_string(),
            message: {
                let detail = PANIC.lock().map(|p| p.clone()).unwrap_or_default();
                let detail = if detail.is_empty() {
                    panic_text(&panic)
                } else {
                    detail
                };
                format!("internal error (please report): {detail}")
            },
        },
    };
    if let Some(traces) = &failure.traces {
        log_error(traces, &failure.session, &failure.event, &failure.message);
    }
}

fn panic_text(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic".into())
}

/// A hook failure with where to log it (None: not in a repository, nothing may be written).
struct Failure {
    traces: Option<Traces>,
    session: String,
    event: String,
    message: String,
}

fn hook_inner(
    harness: &str,
    event_arg: Option<&str>,
    stdin: &[u8],
    process_cwd: &Path,
    env_session: Option<&str>,
) -> Result<(), Failure> {
    let fail = |traces: Option<&Traces>, session: &str, event: &str, message: String| Failure {
        traces: traces.cloned(),
        session: session.to_string(),
        event: event.to_string(),
        message,
    };
    let parsed: Result<Value, _> = serde_json::from_slice(stdin);
    let body_cwd = parsed
        .as_ref()
        .ok()
        .and_then(|b| b.get("cwd"))
        .and_then(Value::as_str)
        .map(PathBuf::from)
        .filter(|p| p.is_dir());
    let cwd = body_cwd.unwrap_or_else(|| process_cwd.to_path_buf());
    let Ok(repo) = Repository::discover(&cwd) else {
        return Ok(());
    };
    if repo.is_bare() {
        return Ok(());
    }
    let traces = Traces::of(&repo);
    let event_hint = event_arg.unwrap_or_default();
    // An unreadable payload is still an event: keep it raw under the session the environment names.
    let unreadable = |why: String, event: &str| {
        let session = env_session.and_then(store::sanitize_session_id);
        let kept = session
            .as_deref()
            .is_some_and(|s| keep_raw(&traces, s, event, stdin).is_ok());
        let outcome = if kept {
            "kept as a raw record"
        } else {
            "event skipped"
        };
        fail(
            Some(&traces),
            session.as_deref().unwrap_or_default(),
            event,
            format!("{why}; {outcome}; it began: {}", payload_excerpt(stdin)),
        )
    };
    let mut body = match parsed {
        Ok(Value::Object(map)) => Value::Object(map),
        Ok(_) => {
            return Err(unreadable(
                format!("payload is not a JSON object ({} bytes)", stdin.len()),
                event_hint,
            ))
        }
        Err(e) => {
            return Err(unreadable(
                format!("malformed payload ({} bytes): {e}", stdin.len()),
                event_hint,
            ))
        }
    };
    let event = body
        .get("hook_event_name")
        .and_then(Value::as_str)
        .or(event_arg)
        .unwrap_or("unknown")
        .to_string();
    let Some(adapter) = Harness::parse(harness) else {
        return Err(fail(
            Some(&traces),
            "",
            &event,
            format!(
                "unknown harness '{harness}' (known: {})",
                HARNESSES.join(", ")
            ),
        ));
    };
    let Some(session) = body
        .get("session_id")
        .and_then(Value::as_str)
        .and_then(store::sanitize_session_id)
    else {
        return Err(unreadable("payload has no session_id".into(), &event));
    };
    let mut report = security::Report::default();
    security::redact_json(&mut body, &mut report);
    let workdir = repo.workdir().expect("not bare").to_path_buf();
    let action = adapter.action(&event, &body, &workdir, &cwd);
    let at = store::now_rfc3339();
    let mut record = adapter
        .hook_record(&repo, &event, &body, &action, at)
        .map_err(|e| {
            fail(
                Some(&traces),
                &session,
                &event,
                format!("cannot store payload content: {e}"),
            )
        })?;
    if !report.is_empty() {
        record.meta.insert(
            "redactions".into(),
            serde_json::to_value(&report.redactions).expect("map"),
        );
    }
    let lock = match SessionLock::acquire(&traces, &session, LOCK_WAIT) {
        Ok(lock) => lock,
        Err(e) => {
            // Keep the event even without the lock; its snapshot is taken by the next event.
            let appended = store::append(&traces, &session, &[record]);
            let kept = if appended.is_ok() {
                "event kept without snapshot"
            } else {
                "event lost"
            };
            return Err(fail(
                Some(&traces),
                &session,
                &event,
                format!("{e} ({kept})"),
            ));
        }
    };
    let transcript = body
        .get("transcript_path")
        .and_then(Value::as_str)
        .map(str::to_string);
    let mut recorder = Recorder::open(&repo, &traces, &session, &lock, harness, &cwd, transcript)
        .map_err(|e| fail(Some(&traces), &session, &event, e.to_string()))?;
    let outcome = recorder.handle(&action, record);
    let saved = recorder.finish();
    outcome
        .and(saved)
        .map_err(|e| fail(Some(&traces), &session, &event, e.to_string()))
}

/// Journals an unreadable payload as a system step of `session`, redacted and cut to an excerpt.
fn keep_raw(traces: &Traces, session: &str, event: &str, stdin: &[u8]) -> store::Result<()> {
    let _lock = SessionLock::acquire(traces, session, LOCK_WAIT)?;
    let mut report = security::Report::default();
    let text = String::from_utf8_lossy(stdin);
    let mut record = Record::new(store::now_rfc3339(), Source::Hook, event);
    record.kind = Some(StepKind::System);
    record.summary = format!(
        "unreadable {} payload",
        if event.is_empty() { "hook" } else { event }
    );
    record.meta.insert(
        "raw".into(),
        Value::String(content::excerpt(&security::redact(&text, &mut report))),
    );
    store::append(traces, session, &[record])
}

/// The start of an unreadable payload, redacted, for the error log.
fn payload_excerpt(stdin: &[u8]) -> String {
    let text = String::from_utf8_lossy(&stdin[..stdin.len().min(200)]);
    let mut report = security::Report::default();
    format!("{:?}", security::redact(&text, &mut report))
}

/// Turns a path from a payload (absolute, or relative to the session cwd) into a
/// repository-relative `/`-separated path; paths outside the working tree stay absolute.
pub(crate) fn repo_relative(workdir: &Path, cwd: &Path, raw: &str) -> String {
    let p = Path::new(raw);
    let abs = if p.is_absolute() {
        p.to_path_buf()
    } else {
        cwd.join(p)
    };
    let abs = normalize(&abs);
    let strip = |root: &Path| {
        abs.strip_prefix(root)
            .ok()
            .map(|r| r.to_string_lossy().into_owned())
    };
    strip(&normalize(workdir))
        .or_else(|| std::fs::canonicalize(workdir).ok().and_then(|w| strip(&w)))
        .or_else(|| {
            let real = abs.parent().and_then(|d| std::fs::canonicalize(d).ok())?;
            let w = std::fs::canonicalize(workdir).ok()?;
            let rel = real.join(abs.file_name()?);
            rel.strip_prefix(&w)
                .ok()
                .map(|r| r.to_string_lossy().into_owned())
        })
        .unwrap_or_else(|| abs.to_string_lossy().into_owned())
}

/// Removes `.` and resolves `..` lexically.
fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// Seals every session with journal entries newer than its last seal. Sessions another process is
/// writing right now are left for later rather than waited on.
pub fn seal_pending(repo: &Repository) -> Vec<(String, store::Error)> {
    let traces = Traces::of(repo);
    let mut failures = Vec::new();
    for session in store::dirty_sessions(&traces) {
        let result =
            SessionLock::acquire(&traces, &session, Duration::from_millis(200)).and_then(|lock| {
                let mut state = SessionState::load(&traces, &session)?.unwrap_or_default();
                seal::seal(repo, &traces, &session, &mut state, &lock, false)?;
                state.save(&traces, &session)
            });
        match result {
            Ok(()) | Err(store::Error::Busy { .. }) => {}
            Err(e) => failures.push((session, e)),
        }
    }
    failures
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_paths_become_repo_relative() {
        let w = Path::new("/r/repo");
        assert_eq!(repo_relative(w, w, "/r/repo/src/a.rs"), "src/a.rs");
        assert_eq!(
            repo_relative(w, Path::new("/r/repo/src"), "a.rs"),
            "src/a.rs"
        );
        assert_eq!(
            repo_relative(w, Path::new("/r/repo/src"), "../b.rs"),
            "b.rs"
        );
        assert_eq!(repo_relative(w, w, "/elsewhere/x"), "/elsewhere/x");
    }
}
