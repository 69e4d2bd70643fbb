//! Codex: hook payloads and session-file records (see ../shared/formats/codex.md).

use super::content::first_line;
use super::records::{keep_raw, str_field};
use super::{Action, SessionHeader};
use crate::model::{Record, Source, StepKind};
use serde_json::Value;
use std::path::Path;

pub(crate) fn action(event: &str, _body: &Value, _workdir: &Path, _cwd: &Path) -> Action {
    match event {
        _ => Action::Other,
    }
}

pub(crate) fn hook_record(
    repo: &git2::Repository,
    event: &str,
    body: &Value,
    _action: &Action,
    at: String,
) -> Result<Record, git2::Error> {
    let mut r = Record::new(at, Source::Hook, event);
    r.kind = Some(StepKind::System);
    r.summary = first_line(&format!("{event} event"), 100);
    keep_raw(repo, &mut r, body)?;
    Ok(r)
}

pub(crate) fn transcript_records(
    repo: &git2::Repository,
    line: &Value,
    _workdir: &Path,
    _cwd: &Path,
) -> Result<Vec<Record>, git2::Error> {
    let mut r = Record::new(
        str_field(line, "timestamp").unwrap_or_default().to_string(),
        Source::Transcript,
        str_field(line, "type").unwrap_or("unknown"),
    );
    keep_raw(repo, &mut r, line)?;
    Ok(vec![r])
}

pub(crate) fn session_header(_text: &[u8]) -> SessionHeader {
    SessionHeader::default()
}
