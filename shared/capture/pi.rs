//! Pi: the payloads of our extension (`hooks/pi/git-traces.ts`, payload version 1) and the records
//! of Pi's v3 session files, as observed for Pi 0.73.1 (../shared/formats/pi.md), read
//! defensively: every field may be absent, entries of unknown types are kept raw, and a tool call
//! is never dropped.
//!
//! Every session-file record carries its entry's `id` and `parentId` under `extra` (`entry`,
//! `parent`): the entries form a tree, which [`super::merge`] turns into one path after another.

use super::content::{content, first_line, shrink_strings};
use super::records::{
    blocks_text, copy_meta, keep_raw, prompt_keys, push_blobs, set_input, stop_answer, str_field,
    text_key,
};
use super::{Action, SessionHeader, ToolCall, ToolClass};
use crate::model::{Record, Source, StepKind};
use serde_json::{json, Map, Value};
use std::path::Path;

/// How a tool is shown and how its effects are captured.
pub(crate) fn classify(tool: &str) -> (StepKind, ToolClass) {
    match tool {
        "edit" | "write" => (StepKind::Write, ToolClass::Named),
        "read" | "grep" | "find" | "ls" => (StepKind::Read, ToolClass::ReadOnly),
        "bash" => (StepKind::Exec, ToolClass::Mutating),
        _ => (StepKind::Tool, ToolClass::Mutating),
    }
}

/// The raw Pi event inside a payload.
fn event_of(body: &Value) -> &Value {
    body.get("event").unwrap_or(&Value::Null)
}

/// The event a hook payload describes.
pub(crate) fn action(event: &str, body: &Value, workdir: &Path, cwd: &Path) -> Action {
    let ev = event_of(body);
    match event {
        "session_start" => Action::Start,
        "input" => Action::Prompt,
        // Pi awaits these two around the tool's execution (its tool_execution_* events are queued
        // and may run after the tool), so the before and after snapshots bracket the tool.
        "tool_call" | "tool_result" => {
            let name = str_field(ev, "toolName").unwrap_or("unknown").to_string();
            let paths = tool_paths(ev.get("input"), workdir, cwd);
            let (_, mut class) = classify(&name);
            if class == ToolClass::Named && paths.is_empty() {
                // Without the file it names, only a whole-tree snapshot sees what it wrote.
                class = ToolClass::Mutating;
            }
            let call = ToolCall {
                id: str_field(ev, "toolCallId").map(str::to_string),
                name,
                class,
                paths,
            };
            if event == "tool_call" {
                Action::PreTool(call)
            } else {
                Action::PostTool(call)
            }
        }
        "agent_end" => Action::Stop,
        "session_shutdown" => Action::End,
        _ => Action::Other,
    }
}

/// Repository-relative paths a tool's arguments name (relative to the session cwd, as the model
/// sent them).
fn tool_paths(args: Option<&Value>, workdir: &Path, cwd: &Path) -> Vec<String> {
    args.and_then(|a| str_field(a, "path"))
        .map(|p| vec![super::repo_relative(workdir, cwd, p)])
        .unwrap_or_default()
}

/// The journal record for one hook payload (already redacted).
pub(crate) fn hook_record(
    repo: &git2::Repository,
    event: &str,
    body: &Value,
    action: &Action,
    at: String,
) -> Result<Record, git2::Error> {
    let mut r = Record::new(at, Source::Hook, event);
    let ev = event_of(body);
    match action {
        Action::Start => {
            r.kind = Some(StepKind::System);
            r.summary = format!(
                "session start ({})",
                str_field(ev, "reason").unwrap_or("startup")
            );
            copy_meta(body, &mut r.extra, &["payload_version", "model"]);
        }
        Action::Prompt => {
            let prompt = str_field(ev, "text").unwrap_or_default();
            r.kind = Some(StepKind::User);
            r.keys = prompt_keys(None, prompt);
            r.summary = first_line(prompt, 100);
            r.text = Some(content(repo, prompt)?);
            copy_meta(ev, &mut r.meta, &["source"]);
        }
        Action::PreTool(call) | Action::PostTool(call) => {
            let (kind, _) = classify(&call.name);
            r.kind = Some(kind);
            r.tool = Some(call.name.clone());
            r.paths = call.paths.clone();
            if let Some(id) = &call.id {
                r.keys.push(format!("tool:{id}"));
            }
            if let Some(args) = ev.get("input") {
                r.summary = tool_summary(&call.name, args, &call.paths);
                set_input(repo, &mut r, args)?;
            }
            if event == "tool_result" {
                r.output = Some(content(repo, &blocks_text(ev.get("content")))?);
                if let Some(details) = ev.get("details") {
                    let details = shrunk(repo, &mut r, details)?;
                    r.extra.insert("details".into(), details);
                }
            }
            if ev.get("isError").and_then(Value::as_bool) == Some(true) {
                r.meta.insert("failed".into(), Value::Bool(true));
            }
        }
        Action::Stop => {
            if let Some(text) = last_answer(ev).filter(|t| !t.is_empty()) {
                stop_answer(repo, &mut r, &text)?;
            }
        }
        Action::End => {
            r.kind = Some(StepKind::System);
            r.summary = format!(
                "session end ({})",
                str_field(ev, "reason").unwrap_or("unknown")
            );
        }
        Action::Other => other_event(repo, &mut r, event, body)?,
    }
    Ok(r)
}

/// Events with no capture action of their own: the system prompt, compaction, anything newer.
fn other_event(
    repo: &git2::Repository,
    r: &mut Record,
    event: &str,
    body: &Value,
) -> Result<(), git2::Error> {
    let ev = event_of(body);
    r.kind = Some(StepKind::System);
    match event {
        "before_agent_start" => {
            let prompt = str_field(ev, "systemPrompt").unwrap_or_default();
            r.summary = "system prompt".into();
            r.meta.insert("ctx".into(), "system".into());
            // The same prompt again (every prompt of the session repeats it) is the same step.
            r.keys = vec![format!("system:{}", &text_key(prompt)["text:".len()..])];
            r.text = Some(content(repo, prompt)?);
            let mut input = Map::new();
            for (name, value) in [
                ("tools", body.get("tools")),
                ("options", ev.get("systemPromptOptions")),
            ] {
                if let Some(v) = value.filter(|v| !v.is_null()) {
                    input.insert(name.into(), v.clone());
                }
            }
            if !input.is_empty() {
                set_input(repo, r, &Value::Object(input))?;
            }
        }
        "session_before_compact" => {
            // Not a context node: the summary arrives with `session_compact` and the session file.
            r.summary = "compaction starting".into();
            let prep = ev.get("preparation").unwrap_or(&Value::Null);
            copy_meta(prep, &mut r.extra, &["firstKeptEntryId", "tokensBefore"]);
            copy_meta(ev, &mut r.extra, &["customInstructions"]);
        }
        "session_compact" => {
            let entry = ev.get("compactionEntry").unwrap_or(&Value::Null);
            compaction(repo, r, entry)?;
            if let Some(id) = str_field(entry, "id") {
                r.keys.push(entry_key(id, 0));
            }
            copy_meta(ev, &mut r.extra, &["fromExtension"]);
        }
        other => {
            r.summary = format!("{other} event");
            keep_raw(repo, r, body)?;
        }
    }
    Ok(())
}

/// The text of the last assistant message of a prompt (`agent_end`'s `messages`).
fn last_answer(ev: &Value) -> Option<String> {
    let last = ev
        .get("messages")?
        .as_array()?
        .iter()
        .rev()
        .find(|m| str_field(m, "role") == Some("assistant"))?;
    Some(text_of(last.get("content")))
}

/// A compaction summary (a session-file entry, or the one `session_compact` carries).
fn compaction(repo: &git2::Repository, r: &mut Record, entry: &Value) -> Result<(), git2::Error> {
    r.kind = Some(StepKind::System);
    r.summary = "compaction".into();
    r.meta.insert("ctx".into(), "compaction".into());
    r.text = Some(content(
        repo,
        str_field(entry, "summary").unwrap_or_default(),
    )?);
    copy_meta(
        entry,
        &mut r.extra,
        &["firstKeptEntryId", "tokensBefore", "fromHook"],
    );
    if let Some(details) = entry.get("details") {
        let details = shrunk(repo, r, details)?;
        r.extra.insert("details".into(), details);
    }
    Ok(())
}

/// A value with its long strings moved to blobs (bound to `r`'s seal).
fn shrunk(repo: &git2::Repository, r: &mut Record, value: &Value) -> Result<Value, git2::Error> {
    let mut value = value.clone();
    let mut blobs = Vec::new();
    shrink_strings(repo, &mut value, &mut blobs)?;
    push_blobs(r, blobs);
    Ok(value)
}

/// A one-line description of a tool call: what it touched or ran.
fn tool_summary(tool: &str, args: &Value, paths: &[String]) -> String {
    let pick = |k: &str| str_field(args, k).map(|s| first_line(s, 100));
    let what = match tool {
        "bash" => pick("command"),
        "grep" | "find" => pick("pattern"),
        _ => None,
    };
    // Unknown and extension tools: their first string argument says the most.
    let first_string = || {
        args.as_object()?
            .values()
            .find_map(Value::as_str)
            .map(|s| first_line(s, 100))
    };
    what.or_else(|| paths.first().cloned())
        .or_else(first_string)
        .unwrap_or_default()
}

/// Only the text blocks of message content, joined (what a person reads as the message).
fn text_of(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(parts)) => parts
            .iter()
            .filter(|p| str_field(p, "type") == Some("text"))
            .filter_map(|p| str_field(p, "text"))
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    }
}

fn entry_key(id: &str, block: usize) -> String {
    format!("entry:{id}:{block}")
}

/// Journal records for one (redacted) session-file line. Unknown entry types are kept raw.
pub(crate) fn transcript_records(
    repo: &git2::Repository,
    line: &Value,
    workdir: &Path,
    cwd: &Path,
) -> Result<Vec<Record>, git2::Error> {
    let etype = str_field(line, "type").unwrap_or("unknown");
    let at = str_field(line, "timestamp").unwrap_or_default().to_string();
    let mut base = Record::new(at, Source::Transcript, etype);
    let id = str_field(line, "id").unwrap_or_default().to_string();
    if etype != "session" {
        base.extra.insert("entry".into(), id.clone().into());
        let parent = line.get("parentId").cloned().unwrap_or(Value::Null);
        base.extra.insert("parent".into(), parent);
    }
    let mut r = base.clone();
    if etype != "message" && etype != "session" {
        r.keys.push(entry_key(&id, 0));
    }
    match etype {
        "session" => {
            r.kind = Some(StepKind::System);
            let version = match line.get("version") {
                Some(Value::String(v)) => v.clone(),
                Some(v) => v.to_string(),
                None => "?".into(),
            };
            r.summary = format!("session start (pi v{version})");
            r.keys.push(format!("session:{id}"));
            copy_meta(line, &mut r.extra, &["version", "cwd", "parentSession"]);
        }
        "message" => {
            let message = line.get("message").unwrap_or(&Value::Null);
            return message_records(repo, base, &id, message, workdir, cwd);
        }
        "model_change" => {
            copy_meta(line, &mut r.extra, &["provider"]);
            if let Some(model) = line.get("modelId") {
                r.meta.insert("model".into(), model.clone());
            }
        }
        "thinking_level_change" => copy_meta(line, &mut r.extra, &["thinkingLevel"]),
        "compaction" => compaction(repo, &mut r, line)?,
        "branch_summary" => {
            r.kind = Some(StepKind::System);
            r.summary = "branch summary".into();
            r.meta.insert("ctx".into(), "summary".into());
            r.text = Some(content(
                repo,
                str_field(line, "summary").unwrap_or_default(),
            )?);
            copy_meta(line, &mut r.extra, &["fromId", "fromHook"]);
        }
        "custom_message" => injected(repo, &mut r, line)?,
        "custom" | "label" | "session_info" => {
            let kept: Map<String, Value> = line
                .as_object()
                .into_iter()
                .flatten()
                .filter(|(k, _)| !["type", "id", "parentId", "timestamp"].contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            let kept = shrunk(repo, &mut r, &Value::Object(kept))?;
            r.extra.extend(
                kept.as_object()
                    .into_iter()
                    .flatten()
                    .map(|(k, v)| (k.clone(), v.clone())),
            );
        }
        _ => keep_raw(repo, &mut r, line)?,
    }
    Ok(vec![r])
}

/// Context an extension put before the model (`custom_message`, or a `custom` message).
fn injected(repo: &git2::Repository, r: &mut Record, v: &Value) -> Result<(), git2::Error> {
    let text = blocks_text(v.get("content"));
    r.kind = Some(StepKind::System);
    r.summary = first_line(
        &format!(
            "{}: {text}",
            str_field(v, "customType").unwrap_or("extension message")
        ),
        100,
    );
    r.meta.insert("ctx".into(), "injected".into());
    r.text = Some(content(repo, &text)?);
    copy_meta(v, &mut r.extra, &["customType", "display"]);
    if let Some(details) = v.get("details") {
        let details = shrunk(repo, r, details)?;
        r.extra.insert("details".into(), details);
    }
    Ok(())
}

/// Records for one `message` entry, by the message's role.
fn message_records(
    repo: &git2::Repository,
    base: Record,
    id: &str,
    message: &Value,
    workdir: &Path,
    cwd: &Path,
) -> Result<Vec<Record>, git2::Error> {
    let mut r = base.clone();
    match str_field(message, "role") {
        Some("user") => {
            let text = text_of(message.get("content"));
            r.kind = Some(StepKind::User);
            r.keys = vec![entry_key(id, 0)];
            r.keys.extend(prompt_keys(None, &text));
            r.summary = first_line(&text, 100);
            r.text = Some(content(repo, &text)?);
            let images = message
                .get("content")
                .and_then(Value::as_array)
                .map_or(0, |b| {
                    b.iter()
                        .filter(|b| str_field(b, "type") == Some("image"))
                        .count()
                });
            if images > 0 {
                r.meta.insert("images".into(), Value::from(images));
            }
        }
        Some("assistant") => return assistant_records(repo, base, id, message, workdir, cwd),
        Some("toolResult") => {
            match str_field(message, "toolCallId") {
                Some(call) => r.keys.push(format!("tool:{call}")),
                None => {
                    // A result no call claims is still a tool step, never dropped.
                    r.keys.push(entry_key(id, 0));
                    r.kind = Some(StepKind::Tool);
                    r.tool = str_field(message, "toolName").map(str::to_string);
                }
            }
            r.output = Some(content(repo, &blocks_text(message.get("content")))?);
            if message.get("isError").and_then(Value::as_bool) == Some(true) {
                r.meta.insert("failed".into(), Value::Bool(true));
            }
            if let Some(details) = message.get("details") {
                let details = shrunk(repo, &mut r, details)?;
                r.extra.insert("details".into(), details);
            }
        }
        Some("bashExecution") => {
            // A command the user ran with `!`: an exec step of its own.
            let command = str_field(message, "command").unwrap_or_default();
            r.keys.push(entry_key(id, 0));
            r.kind = Some(StepKind::Exec);
            r.tool = Some("bash".into());
            r.summary = first_line(command, 100);
            set_input(repo, &mut r, &json!({ "command": command }))?;
            r.output = Some(content(
                repo,
                str_field(message, "output").unwrap_or_default(),
            )?);
            r.meta.insert("by".into(), "user".into());
            copy_meta(
                message,
                &mut r.extra,
                &["exitCode", "cancelled", "truncated", "excludeFromContext"],
            );
        }
        Some("custom") => {
            r.keys.push(entry_key(id, 0));
            injected(repo, &mut r, message)?;
        }
        Some("branchSummary") | Some("compactionSummary") => {
            r.keys.push(entry_key(id, 0));
            r.kind = Some(StepKind::System);
            let compacted = str_field(message, "role") == Some("compactionSummary");
            r.summary = if compacted {
                "compaction"
            } else {
                "branch summary"
            }
            .into();
            r.meta.insert(
                "ctx".into(),
                if compacted { "compaction" } else { "summary" }.into(),
            );
            r.text = Some(content(
                repo,
                str_field(message, "summary").unwrap_or_default(),
            )?);
            copy_meta(message, &mut r.extra, &["fromId", "tokensBefore"]);
        }
        _ => {
            r.keys.push(entry_key(id, 0));
            keep_raw(repo, &mut r, message)?;
        }
    }
    Ok(vec![r])
}

/// One record per content block of an assistant message (text and tool calls share a message),
/// the message's usage on the first only: the manifest counts usage once per `meta.id`.
fn assistant_records(
    repo: &git2::Repository,
    mut base: Record,
    id: &str,
    message: &Value,
    workdir: &Path,
    cwd: &Path,
) -> Result<Vec<Record>, git2::Error> {
    copy_meta(message, &mut base.meta, &["model"]);
    copy_meta(message, &mut base.extra, &["stopReason", "errorMessage"]);
    let blocks: Vec<Value> = match message.get("content") {
        Some(Value::Array(b)) => b.clone(),
        Some(Value::String(s)) => vec![json!({"type": "text", "text": s})],
        _ => Vec::new(),
    };
    let mut out = Vec::new();
    for (i, block) in blocks.iter().enumerate() {
        out.push(assistant_block(repo, &base, id, i, block, workdir, cwd)?);
    }
    if out.is_empty() {
        // No content (an aborted or failed call): the message still counts, and says why.
        let mut r = base;
        r.keys.push(entry_key(id, 0));
        if let Some(error) = str_field(message, "errorMessage") {
            r.kind = Some(StepKind::System);
            r.summary = first_line(&format!("model error: {error}"), 100);
        }
        out.push(r);
    }
    let first = &mut out[0];
    first.meta.insert("id".into(), id.into());
    if let Some(usage) = message.get("usage") {
        first.meta.insert("usage".into(), usage_of(usage));
    }
    Ok(out)
}

/// Pi's usage under the names the manifest sums (Claude's), with Pi's totals and cost kept.
fn usage_of(usage: &Value) -> Value {
    let mut out = Map::new();
    for (pi, ours) in [
        ("input", "input_tokens"),
        ("output", "output_tokens"),
        ("cacheRead", "cache_read_input_tokens"),
        ("cacheWrite", "cache_creation_input_tokens"),
    ] {
        if let Some(n) = usage.get(pi) {
            out.insert(ours.into(), n.clone());
        }
    }
    copy_meta(usage, &mut out, &["totalTokens", "cost"]);
    Value::Object(out)
}

fn assistant_block(
    repo: &git2::Repository,
    base: &Record,
    id: &str,
    i: usize,
    block: &Value,
    workdir: &Path,
    cwd: &Path,
) -> Result<Record, git2::Error> {
    let mut r = base.clone();
    match str_field(block, "type") {
        Some("text") => {
            let text = str_field(block, "text").unwrap_or_default();
            r.kind = Some(StepKind::Answer);
            r.keys = vec![entry_key(id, i), text_key(text)];
            r.summary = first_line(text, 100);
            r.text = Some(content(repo, text)?);
        }
        Some("thinking") => {
            let text = str_field(block, "thinking").unwrap_or_default();
            r.kind = Some(StepKind::Think);
            r.keys = vec![entry_key(id, i)];
            let redacted = block.get("redacted").and_then(Value::as_bool) == Some(true);
            r.summary = if redacted && text.is_empty() {
                "[redacted thinking]".into()
            } else {
                first_line(text, 100)
            };
            r.text = Some(content(repo, text)?);
        }
        Some("toolCall") => {
            let name = str_field(block, "name").unwrap_or("unknown").to_string();
            r.kind = Some(classify(&name).0);
            r.keys = vec![match str_field(block, "id") {
                Some(call) => format!("tool:{call}"),
                None => entry_key(id, i),
            }];
            let args = block.get("arguments").cloned().unwrap_or(Value::Null);
            r.paths = tool_paths(Some(&args), workdir, cwd);
            r.summary = tool_summary(&name, &args, &r.paths);
            set_input(repo, &mut r, &args)?;
            r.tool = Some(name);
        }
        other => {
            r.kind = Some(StepKind::System);
            r.keys = vec![entry_key(id, i)];
            r.summary = format!("assistant block {}", other.unwrap_or("unknown"));
            keep_raw(repo, &mut r, block)?;
        }
    }
    Ok(r)
}

/// The session id and cwd from a session file's `session` header line.
pub(crate) fn session_header(text: &[u8]) -> SessionHeader {
    text.split(|&b| b == b'\n')
        .filter_map(|line| serde_json::from_slice::<Value>(line).ok())
        .find(|v| str_field(v, "type") == Some("session"))
        .map(|v| SessionHeader {
            session: str_field(&v, "id").map(str::to_string),
            cwd: str_field(&v, "cwd").map(str::to_string),
            commit: None,
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo() -> (tempfile::TempDir, git2::Repository) {
        let dir = tempfile::tempdir().unwrap();
        let repo = git2::Repository::init(dir.path()).unwrap();
        (dir, repo)
    }

    #[test]
    fn a_tool_call_without_its_path_snapshots_the_whole_tree() {
        let w = Path::new("/r/repo");
        let call = json!({"event": {"toolCallId": "c1", "toolName": "edit", "input": {}}});
        let Action::PreTool(pre) = action("tool_call", &call, w, w) else {
            panic!("not a tool call");
        };
        assert_eq!((pre.class, pre.paths.len()), (ToolClass::Mutating, 0));
        let mut result = call.clone();
        result["event"]["input"] = json!({"path": "src/a.py"});
        let Action::PostTool(post) = action("tool_result", &result, w, w) else {
            panic!("not a tool result");
        };
        assert_eq!(
            (post.class, post.paths),
            (ToolClass::Named, vec!["src/a.py".into()])
        );
        assert_eq!(post.id.as_deref(), Some("c1"));
    }

    #[test]
    fn assistant_blocks_share_one_usage_under_claudes_names() {
        let (_dir, repo) = repo();
        let line = json!({"type": "message", "id": "e1", "parentId": null, "message": {
            "role": "assistant", "model": "m", "stopReason": "toolUse",
            "usage": {"input": 5, "output": 2, "cacheRead": 1, "cacheWrite": 0},
            "content": [{"type": "text", "text": "Reading."},
                        {"type": "toolCall", "id": "t1", "name": "read", "arguments": {"path": "a.py"}}]}});
        let w = Path::new("/r");
        let recs = transcript_records(&repo, &line, w, w).unwrap();
        assert_eq!(recs.len(), 2);
        assert_eq!(recs[0].meta["id"], "e1");
        assert_eq!(recs[0].meta["usage"]["input_tokens"], 5);
        assert_eq!(recs[0].meta["usage"]["cache_read_input_tokens"], 1);
        assert!(!recs[1].meta.contains_key("id") && !recs[1].meta.contains_key("usage"));
        assert_eq!(recs[1].keys, ["tool:t1"]);
        assert_eq!(recs[1].paths, ["a.py"]);
        assert!(recs
            .iter()
            .all(|r| r.extra["entry"] == "e1" && r.extra["parent"].is_null()));
    }

    #[test]
    fn the_header_names_the_session_and_its_cwd() {
        let text = b"{\"type\":\"session\",\"version\":3,\"id\":\"s1\",\"cwd\":\"/w\"}\n{\"type\":\"model_change\"}\n";
        let h = session_header(text);
        assert_eq!(
            (h.session.as_deref(), h.cwd.as_deref()),
            (Some("s1"), Some("/w"))
        );
        assert_eq!(session_header(b"not json\n"), SessionHeader::default());
    }
}
