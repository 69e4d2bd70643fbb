//! Claude Code: hook payloads and `~/.claude/projects/<slug>/<session>.jsonl` records, as observed
//! for Claude Code 2.1.197 (../shared/formats/claude.md), read defensively: every field may be
//! absent, records of unknown types are kept raw, and a tool call is never dropped.

use super::content::{content, first_line};
use super::records::{
    blocks_text, copy_meta, keep_raw, prompt_keys, set_input, stop_answer, str_field, text_key,
};
use super::{Action, SessionHeader, ToolCall, ToolClass};
use crate::model::{Record, Source, StepKind};
use serde_json::Value;
use std::path::Path;

/// How a tool is shown and how its effects are captured.
pub(crate) fn classify(tool: &str) -> (StepKind, ToolClass) {
    match tool {
        "Edit" | "Write" | "MultiEdit" | "NotebookEdit" => (StepKind::Write, ToolClass::Named),
        "Read" | "NotebookRead" | "Grep" | "Glob" | "LS" | "WebFetch" | "WebSearch" => {
            (StepKind::Read, ToolClass::ReadOnly)
        }
        "TodoWrite" | "ExitPlanMode" | "EnterPlanMode" => (StepKind::Plan, ToolClass::ReadOnly),
        "Bash" | "BashOutput" | "KillShell" | "KillBash" => (StepKind::Exec, ToolClass::Mutating),
        _ => (StepKind::Tool, ToolClass::Mutating),
    }
}

/// The event a hook payload describes.
pub(crate) fn action(event: &str, body: &Value, workdir: &Path, cwd: &Path) -> Action {
    match event {
        "SessionStart" => Action::Start,
        "UserPromptSubmit" => Action::Prompt,
        "PreToolUse" | "PostToolUse" | "PostToolUseFailure" => {
            let name = str_field(body, "tool_name")
                .unwrap_or("unknown")
                .to_string();
            let id = str_field(body, "tool_use_id").map(str::to_string);
            let (_, class) = classify(&name);
            let paths = tool_paths(&name, body.get("tool_input"), workdir, cwd);
            let call = ToolCall {
                id,
                name,
                class,
                paths,
            };
            if event == "PreToolUse" {
                Action::PreTool(call)
            } else {
                Action::PostTool(call)
            }
        }
        "Stop" => Action::Stop,
        "SessionEnd" => Action::End,
        _ => Action::Other,
    }
}

/// Repository-relative paths a tool input names (absolute in Claude's payloads).
fn tool_paths(tool: &str, input: Option<&Value>, workdir: &Path, cwd: &Path) -> Vec<String> {
    let Some(input) = input else {
        return Vec::new();
    };
    let keys: &[&str] = match tool {
        "NotebookEdit" | "NotebookRead" => &["notebook_path"],
        "Grep" | "Glob" | "LS" => &["path"],
        _ => &["file_path"],
    };
    keys.iter()
        .filter_map(|k| input.get(*k).and_then(Value::as_str))
        .map(|p| super::repo_relative(workdir, cwd, p))
        .collect()
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
    copy_meta(
        body,
        &mut r.meta,
        &[
            "prompt_id",
            "permission_mode",
            "source",
            "reason",
            "duration_ms",
            "effort",
            "stop_hook_active",
        ],
    );
    match action {
        Action::Start => {
            r.kind = Some(StepKind::System);
            let source = str_field(body, "source").unwrap_or("startup");
            r.summary = format!("session start ({source})");
        }
        Action::Prompt => {
            let prompt = str_field(body, "prompt").unwrap_or_default();
            r.kind = Some(StepKind::User);
            r.keys = prompt_keys(str_field(body, "prompt_id"), prompt);
            r.summary = first_line(prompt, 100);
            r.text = Some(content(repo, prompt)?);
        }
        Action::PreTool(call) | Action::PostTool(call) => {
            let (kind, _) = classify(&call.name);
            r.kind = Some(kind);
            r.tool = Some(call.name.clone());
            r.paths = call.paths.clone();
            if let Some(id) = &call.id {
                r.keys.push(format!("tool:{id}"));
            }
            if let Some(input) = body.get("tool_input") {
                r.summary = tool_summary(&call.name, input, &call.paths);
                set_input(repo, &mut r, input)?;
            }
            if let Some(resp) = body.get("tool_response") {
                r.output = Some(content(repo, &response_text(resp))?);
            }
            if event == "PostToolUseFailure" || body.get("error").is_some() {
                r.meta.insert("failed".into(), Value::Bool(true));
                if let Some(e) = body.get("error") {
                    r.meta.insert("error".into(), e.clone());
                }
            }
        }
        Action::Stop => {
            if let Some(text) = str_field(body, "last_assistant_message").filter(|t| !t.is_empty())
            {
                stop_answer(repo, &mut r, text)?;
            }
        }
        Action::End => {
            r.kind = Some(StepKind::System);
            r.summary = format!(
                "session end ({})",
                str_field(body, "reason").unwrap_or("unknown")
            );
        }
        Action::Other => {
            r.kind = Some(StepKind::System);
            r.summary = event_summary(event, body);
            keep_raw(repo, &mut r, body)?;
        }
    }
    Ok(r)
}

fn event_summary(event: &str, body: &Value) -> String {
    match event {
        "PreCompact" => format!(
            "compaction ({})",
            str_field(body, "trigger").unwrap_or("auto")
        ),
        "SubagentStop" => "subagent finished".into(),
        "Notification" => format!(
            "notification: {}",
            first_line(str_field(body, "message").unwrap_or_default(), 80)
        ),
        other => format!("{other} event"),
    }
}

/// A one-line description of a tool call: what it touched or ran.
fn tool_summary(tool: &str, input: &Value, paths: &[String]) -> String {
    let pick = |k: &str| {
        input
            .get(k)
            .and_then(Value::as_str)
            .map(|s| first_line(s, 100))
    };
    let what = match tool {
        "Bash" => pick("command"),
        "Grep" => pick("pattern"),
        "Glob" => pick("pattern"),
        "WebFetch" => pick("url"),
        "WebSearch" => pick("query"),
        "Task" | "Agent" => pick("description"),
        _ => None,
    };
    // Unknown and MCP tools: their first string argument says the most.
    let first_string = || {
        input
            .as_object()?
            .values()
            .find_map(Value::as_str)
            .map(|s| first_line(s, 100))
    };
    what.or_else(|| paths.first().cloned())
        .or_else(|| pick("description"))
        .or_else(first_string)
        .unwrap_or_default()
}

/// The text of a tool result: stdout/stderr for shells, file content for reads, else the JSON.
fn response_text(resp: &Value) -> String {
    match resp {
        Value::String(s) => s.clone(),
        Value::Object(o) => {
            if o.contains_key("stdout") || o.contains_key("stderr") {
                let out = o.get("stdout").and_then(Value::as_str).unwrap_or_default();
                let err = o.get("stderr").and_then(Value::as_str).unwrap_or_default();
                if err.is_empty() {
                    out.to_string()
                } else {
                    format!("{out}\n[stderr]\n{err}")
                }
            } else if let Some(c) = o
                .get("file")
                .and_then(|f| f.get("content"))
                .and_then(Value::as_str)
            {
                c.to_string()
            } else {
                // Edit/Write echo the whole old file; the snapshot already holds the change.
                let mut o = o.clone();
                for k in [
                    "originalFile",
                    "content",
                    "structuredPatch",
                    "oldString",
                    "newString",
                ] {
                    o.remove(k);
                }
                Value::Object(o).to_string()
            }
        }
        other => other.to_string(),
    }
}

/// Record types that carry no conversation content; skipped on import (and counted).
const IGNORED_TYPES: &[&str] = &[
    "queue-operation",
    "last-prompt",
    "mode",
    "attachment",
    "file-history-snapshot",
    "summary",
];

/// Journal records for one (redacted) transcript line. Unknown record types are kept raw.
pub(crate) fn transcript_records(
    repo: &git2::Repository,
    line: &Value,
    workdir: &Path,
    cwd: &Path,
) -> Result<Vec<Record>, git2::Error> {
    let rtype = str_field(line, "type").unwrap_or("unknown");
    let at = str_field(line, "timestamp")
        .map(str::to_string)
        .unwrap_or_default();
    let mut base = Record::new(at, Source::Transcript, rtype);
    copy_meta(
        line,
        &mut base.meta,
        &[
            "uuid",
            "parentUuid",
            "promptId",
            "isSidechain",
            "version",
            "requestId",
        ],
    );
    let message = line.get("message");
    match rtype {
        "user" => user_records(repo, line, base),
        "assistant" => {
            if let Some(m) = message {
                copy_meta(m, &mut base.meta, &["model", "id", "usage", "stop_reason"]);
            }
            let blocks = message.and_then(|m| m.get("content"));
            let mut out = Vec::new();
            for (i, block) in blocks
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                out.push(assistant_block(repo, &base, i, block, workdir, cwd)?);
            }
            if let Some(Value::String(text)) = blocks {
                out.push(assistant_block(
                    repo,
                    &base,
                    0,
                    &serde_json::json!({"type":"text","text":text}),
                    workdir,
                    cwd,
                )?);
            }
            Ok(out)
        }
        "system" => {
            let mut r = base;
            r.kind = Some(StepKind::System);
            let subtype = str_field(line, "subtype").unwrap_or("system");
            if subtype == "compact_boundary" {
                r.meta.insert("ctx".into(), "compaction".into());
            }
            r.summary = match subtype {
                "compact_boundary" => "compaction".to_string(),
                other => first_line(
                    &format!(
                        "{other}: {}",
                        str_field(line, "content").unwrap_or_default()
                    ),
                    100,
                ),
            };
            uuid_key(&mut r, 0);
            Ok(vec![r])
        }
        t if IGNORED_TYPES.contains(&t) => Ok(Vec::new()),
        _ => {
            let mut r = base;
            keep_raw(repo, &mut r, line)?;
            Ok(vec![r])
        }
    }
}

fn uuid_key(r: &mut Record, block: usize) {
    if let Some(uuid) = r.meta.get("uuid").and_then(Value::as_str) {
        r.keys.push(format!("uuid:{uuid}:{block}"));
    }
}

fn user_records(
    repo: &git2::Repository,
    line: &Value,
    base: Record,
) -> Result<Vec<Record>, git2::Error> {
    let content_v = line.get("message").and_then(|m| m.get("content"));
    let is_meta = line.get("isMeta").and_then(Value::as_bool).unwrap_or(false);
    let compact_summary = line
        .get("isCompactSummary")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let mut out = Vec::new();
    let mut prompt_parts = Vec::new();
    let mut images = 0u64;
    match content_v {
        Some(Value::String(s)) => prompt_parts.push(s.clone()),
        Some(Value::Array(blocks)) => {
            for block in blocks {
                match str_field(block, "type") {
                    Some("tool_result") => {
                        let mut r = base.clone();
                        if let Some(id) = str_field(block, "tool_use_id") {
                            r.keys.push(format!("tool:{id}"));
                        }
                        r.output = Some(content(repo, &blocks_text(block.get("content")))?);
                        if block.get("is_error").and_then(Value::as_bool) == Some(true) {
                            r.meta.insert("failed".into(), Value::Bool(true));
                        }
                        out.push(r);
                    }
                    Some("text") => {
                        prompt_parts.push(str_field(block, "text").unwrap_or_default().to_string())
                    }
                    Some("image") => images += 1,
                    _ => {}
                }
            }
        }
        _ => {}
    }
    let prompt = prompt_parts.join("\n");
    if !prompt.is_empty() || images > 0 {
        let mut r = base;
        if compact_summary {
            r.kind = Some(StepKind::System);
            r.summary = "compaction summary".into();
            r.meta.insert("ctx".into(), "summary".into());
            uuid_key(&mut r, 0);
        } else if is_meta {
            r.kind = Some(StepKind::System);
            r.meta.insert("ctx".into(), "injected".into());
            r.summary = first_line(&prompt, 100);
            uuid_key(&mut r, 0);
        } else {
            r.kind = Some(StepKind::User);
            r.keys = prompt_keys(str_field(line, "promptId"), &prompt);
            r.summary = first_line(&prompt, 100);
        }
        if images > 0 {
            r.meta.insert("images".into(), Value::from(images));
        }
        r.text = Some(content(repo, &prompt)?);
        out.insert(0, r);
    }
    Ok(out)
}

fn assistant_block(
    repo: &git2::Repository,
    base: &Record,
    i: usize,
    block: &Value,
    workdir: &Path,
    cwd: &Path,
) -> Result<Record, git2::Error> {
    let mut r = base.clone();
    match str_field(block, "type") {
        Some("thinking") => {
            let text = str_field(block, "thinking").unwrap_or_default();
            r.kind = Some(StepKind::Think);
            r.summary = first_line(text, 100);
            r.text = Some(content(repo, text)?);
            uuid_key(&mut r, i);
        }
        Some("redacted_thinking") => {
            r.kind = Some(StepKind::Think);
            r.summary = "[redacted thinking]".into();
            uuid_key(&mut r, i);
        }
        Some("text") => {
            let text = str_field(block, "text").unwrap_or_default();
            r.kind = Some(StepKind::Answer);
            uuid_key(&mut r, i);
            r.keys.push(text_key(text));
            r.summary = first_line(text, 100);
            r.text = Some(content(repo, text)?);
        }
        Some("tool_use") | Some("server_tool_use") => {
            let name = str_field(block, "name").unwrap_or("unknown").to_string();
            let (kind, _) = classify(&name);
            r.kind = Some(kind);
            if let Some(id) = str_field(block, "id") {
                r.keys.push(format!("tool:{id}"));
            }
            let input = block.get("input").cloned().unwrap_or(Value::Null);
            r.paths = tool_paths(&name, Some(&input), workdir, cwd);
            r.summary = tool_summary(&name, &input, &r.paths);
            set_input(repo, &mut r, &input)?;
            r.tool = Some(name);
        }
        other => {
            r.kind = Some(StepKind::System);
            r.summary = format!("assistant block {}", other.unwrap_or("unknown"));
            uuid_key(&mut r, i);
            keep_raw(repo, &mut r, block)?;
        }
    }
    Ok(r)
}

/// The session id and cwd recorded in a Claude Code session file (on every record).
pub(crate) fn session_header(text: &[u8]) -> SessionHeader {
    let mut session = None;
    let mut cwd = None;
    for line in text.split(|&b| b == b'\n') {
        let Ok(v) = serde_json::from_slice::<Value>(line) else {
            continue;
        };
        session = session.or_else(|| {
            v.get("sessionId")
                .and_then(Value::as_str)
                .map(str::to_string)
        });
        cwd = cwd.or_else(|| v.get("cwd").and_then(Value::as_str).map(str::to_string));
        if session.is_some() && cwd.is_some() {
            break;
        }
    }
    SessionHeader {
        session,
        cwd,
        commit: None,
    }
}
