//! Building journal records from harness data: the pieces every adapter needs, so that a prompt,
//! an answer or a tool input from Claude Code, Codex or Pi becomes the same record.

use super::content::{content, first_line, sha256_hex, shrink_strings};
use crate::model::{Content, Record, StepKind};
use serde_json::{Map, Value};

pub(crate) fn str_field<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// Copies the named fields of `from` that are present into `into`.
pub(crate) fn copy_meta(from: &Value, into: &mut Map<String, Value>, keys: &[&str]) {
    for k in keys {
        if let Some(v) = from.get(*k) {
            into.insert((*k).to_string(), v.clone());
        }
    }
}

/// Lists the blobs a record's input or raw value was shrunk into, so the seal binds them.
pub(crate) fn push_blobs(r: &mut Record, blobs: Vec<Content>) {
    if blobs.is_empty() {
        return;
    }
    let mut all: Vec<Value> = match r.meta.remove("blobs") {
        Some(Value::Array(a)) => a,
        _ => Vec::new(),
    };
    all.extend(
        blobs
            .iter()
            .map(|b| serde_json::to_value(b).expect("content serialises")),
    );
    r.meta.insert("blobs".into(), Value::Array(all));
}

/// Sets a tool call's input, with long strings moved to blobs.
pub(crate) fn set_input(
    repo: &git2::Repository,
    r: &mut Record,
    input: &Value,
) -> Result<(), git2::Error> {
    let mut input = input.clone();
    let mut blobs = Vec::new();
    shrink_strings(repo, &mut input, &mut blobs)?;
    r.input = Some(input);
    push_blobs(r, blobs);
    Ok(())
}

/// Keeps a value git-traces does not understand whole (long strings moved to blobs) under
/// `meta.raw`: counted by the manifest and `doctor`, never dropped.
pub(crate) fn keep_raw(
    repo: &git2::Repository,
    r: &mut Record,
    value: &Value,
) -> Result<(), git2::Error> {
    let mut raw = value.clone();
    let mut blobs = Vec::new();
    shrink_strings(repo, &mut raw, &mut blobs)?;
    r.meta.insert("raw".into(), raw);
    push_blobs(r, blobs);
    Ok(())
}

/// Keys that let a prompt seen by a hook and the same prompt in the transcript merge into one step.
pub(crate) fn prompt_keys(prompt_id: Option<&str>, text: &str) -> Vec<String> {
    let mut keys = Vec::new();
    if let Some(id) = prompt_id {
        keys.push(format!("prompt:{id}"));
    }
    keys.push(text_key(text));
    keys
}

/// The key shared by every record of the same text (a prompt typed, an answer given).
pub(crate) fn text_key(text: &str) -> String {
    format!("text:{}", &sha256_hex(text.trim().as_bytes())[..16])
}

/// The text of message or tool-result content: a string, or its text blocks joined (other blocks,
/// such as images, named in brackets so their place is kept).
pub(crate) fn blocks_text(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(parts)) => parts
            .iter()
            .map(|p| match str_field(p, "type") {
                Some("text") => str_field(p, "text").unwrap_or_default().to_string(),
                Some(other) => format!("[{other}]"),
                None => String::new(),
            })
            .collect::<Vec<_>>()
            .join("\n"),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

/// Makes `r` the agent's last answer of a turn, as a Stop hook reports it: keyed by its text, so
/// it merges with the same answer read from the session file.
pub(crate) fn stop_answer(
    repo: &git2::Repository,
    r: &mut Record,
    text: &str,
) -> Result<(), git2::Error> {
    r.kind = Some(StepKind::Answer);
    r.keys = vec![text_key(text)];
    r.summary = first_line(text, 100);
    r.text = Some(content(repo, text)?);
    Ok(())
}
