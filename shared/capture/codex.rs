//! Codex CLI: hook payloads and `~/.codex/sessions/…/rollout-<time>-<session>.jsonl` records, as
//! observed for Codex CLI 0.169 (../shared/formats/codex.md), read defensively: every field may be
//! absent or null, records of unknown types are kept raw, and a tool call is never dropped.
//!
//! A rollout holds two views of one session: `response_item`s (the model's wire history) and
//! `event_msg item_completed` items (Codex's UI view). Conversation steps come from the first;
//! from the second only what the first lacks (exit codes, argv, the files a patch changed),
//! attached to the tool step by its call id.

use super::content::{content, first_line, shrink_strings};
use super::records::{
    copy_meta, keep_raw, prompt_keys, push_blobs, set_input, stop_answer, str_field, text_key,
};
use super::{Action, SessionHeader, ToolCall, ToolClass};
use crate::model::{Record, Source, StepKind};
use serde_json::{json, Map, Value};
use std::path::Path;

/// How a tool is shown and how its effects are captured. Hooks say `Bash` where the rollout says
/// `exec_command`; both run arbitrary commands.
pub(crate) fn classify(tool: &str) -> (StepKind, ToolClass) {
    match tool {
        "apply_patch" => (StepKind::Write, ToolClass::Named),
        "Bash" | "exec_command" | "write_stdin" | "shell" | "shell_command" | "local_shell"
        | "container.exec" => (StepKind::Exec, ToolClass::Mutating),
        "update_plan" => (StepKind::Plan, ToolClass::ReadOnly),
        "view_image" | "web_search" => (StepKind::Read, ToolClass::ReadOnly),
        _ => (StepKind::Tool, ToolClass::Mutating),
    }
}

/// The paths an `apply_patch` patch names, in order and without repeats: added, updated, deleted,
/// and both sides of a move. Garbage is skipped, so a malformed patch yields whatever headers it
/// does have. Only lines starting with `*** ` are headers: hunk lines start with `+`, `-`, ` ` or
/// `@@`, so file content never looks like one.
fn patch_paths(patch: &str) -> Vec<String> {
    const HEADERS: [&str; 4] = [
        "*** Add File:",
        "*** Update File:",
        "*** Delete File:",
        "*** Move to:",
    ];
    let mut paths: Vec<String> = Vec::new();
    for line in patch.lines() {
        let Some(path) = HEADERS.iter().find_map(|h| line.strip_prefix(h)) else {
            continue;
        };
        let path = path.trim();
        if !path.is_empty() && !paths.iter().any(|p| p == path) {
            paths.push(path.to_string());
        }
    }
    paths
}

/// [`patch_paths`] made repository-relative (patch paths are relative to the session's cwd).
fn resolved_patch_paths(patch: &str, workdir: &Path, cwd: &Path) -> Vec<String> {
    patch_paths(patch)
        .iter()
        .map(|p| super::repo_relative(workdir, cwd, p))
        .collect()
}

/// The patch text of an `apply_patch` call, in whichever field this form of the call carries it
/// (hook: `command`; freeform tool: the raw input; function form: `input` or `patch`).
fn patch_text(input: &Value) -> Option<&str> {
    input.as_str().or_else(|| {
        ["command", "input", "patch"]
            .iter()
            .find_map(|k| str_field(input, k))
    })
}

/// The event a hook payload describes.
pub(crate) fn action(event: &str, body: &Value, workdir: &Path, cwd: &Path) -> Action {
    match event {
        "SessionStart" => Action::Start,
        "UserPromptSubmit" => Action::Prompt,
        "PreToolUse" => Action::PreTool(tool_call(body, workdir, cwd)),
        "PostToolUse" => Action::PostTool(tool_call(body, workdir, cwd)),
        "Stop" => Action::Stop,
        "SessionEnd" => Action::End,
        _ => Action::Other,
    }
}

/// The tool call a Pre/PostToolUse payload describes. A patch is hashed by the paths it names
/// only when every one of them is inside the working tree; otherwise (no path found, or a path
/// elsewhere) the whole tree is refreshed, so no change is ever missed.
fn tool_call(body: &Value, workdir: &Path, cwd: &Path) -> ToolCall {
    let name = str_field(body, "tool_name")
        .unwrap_or("unknown")
        .to_string();
    let (_, mut class) = classify(&name);
    let paths = match (name.as_str(), body.get("tool_input").and_then(patch_text)) {
        ("apply_patch", Some(patch)) => resolved_patch_paths(patch, workdir, cwd),
        _ => Vec::new(),
    };
    if class == ToolClass::Named
        && (paths.is_empty() || paths.iter().any(|p| Path::new(p).is_absolute()))
    {
        class = ToolClass::Mutating;
    }
    ToolCall {
        id: str_field(body, "tool_use_id").map(str::to_string),
        name,
        class,
        paths,
    }
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
            "model",
            "permission_mode",
            "source",
            "reason",
            "stop_hook_active",
        ],
    );
    copy_meta(body, &mut r.extra, &["turn_id"]);
    match action {
        Action::Start => {
            r.kind = Some(StepKind::System);
            let source = str_field(body, "source").unwrap_or("startup");
            r.summary = format!("session start ({source})");
        }
        Action::Prompt => {
            let prompt = str_field(body, "prompt").unwrap_or_default();
            r.kind = Some(StepKind::User);
            r.keys = prompt_keys(None, prompt);
            r.summary = first_line(prompt, 100);
            r.text = Some(content(repo, prompt)?);
        }
        Action::PreTool(call) | Action::PostTool(call) => hook_tool(repo, &mut r, body, call)?,
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
            r.summary = match (event, str_field(body, "tool_name")) {
                ("PermissionRequest", Some(tool)) => format!("permission request ({tool})"),
                ("PermissionRequest", None) => "permission request".into(),
                (other, _) => format!("{other} event"),
            };
            keep_raw(repo, &mut r, body)?;
        }
    }
    Ok(r)
}

/// Fills a Pre/PostToolUse record. `tool_response` is a string; for `apply_patch` it starts with
/// an `Exit code: N` header, the only place a hook learns whether the patch applied.
fn hook_tool(
    repo: &git2::Repository,
    r: &mut Record,
    body: &Value,
    call: &ToolCall,
) -> Result<(), git2::Error> {
    let (kind, _) = classify(&call.name);
    r.kind = Some(kind);
    r.tool = Some(call.name.clone());
    r.paths = call.paths.clone();
    if let Some(id) = &call.id {
        r.keys.push(format!("tool:{id}"));
    }
    if let Some(input) = body.get("tool_input") {
        r.summary = tool_summary(input, &call.paths);
        set_input(repo, r, input)?;
    }
    if let Some(resp) = body.get("tool_response").filter(|v| !v.is_null()) {
        let text = value_text(resp);
        if call.name == "apply_patch" {
            mark_exit(r, header_exit_code(&text));
        }
        r.output = Some(content(repo, &text)?);
    }
    Ok(())
}

/// A string as itself, anything else as its JSON.
fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A one-line description of a tool call: the files it names, else the command it ran, else its
/// first string argument (MCP and unknown tools), or its input when that is a bare string.
fn tool_summary(input: &Value, paths: &[String]) -> String {
    if !paths.is_empty() {
        return first_line(&paths.join(", "), 100);
    }
    let first_string = || input.as_object()?.values().find_map(Value::as_str);
    command_text(input)
        .or_else(|| input.as_str().or_else(first_string).map(str::to_string))
        .map(|s| first_line(&s, 100))
        .unwrap_or_default()
}

/// The command a shell tool ran: `cmd` (exec_command), `command` as a string (hooks), or `command`
/// as an argv (shell, local_shell), where `bash -lc <script>` is shown as the script.
pub(crate) fn command_text(input: &Value) -> Option<String> {
    if let Some(cmd) = str_field(input, "cmd").or_else(|| str_field(input, "command")) {
        return Some(cmd.to_string());
    }
    let argv: Vec<&str> = input
        .get("command")?
        .as_array()?
        .iter()
        .filter_map(Value::as_str)
        .collect();
    match argv.as_slice() {
        [.., flag, script] if matches!(*flag, "-c" | "-lc") => Some(script.to_string()),
        _ => Some(argv.join(" ")),
    }
}

/// The exit code in a Codex tool-output header (`Exit code: N` from apply_patch, `Process exited
/// with code N` from exec_command). Only the header is read: the output after `Output:` is the
/// command's own and may say anything.
fn header_exit_code(text: &str) -> Option<i64> {
    text.lines()
        .take_while(|l| *l != "Output:")
        .find_map(|l| {
            l.strip_prefix("Exit code: ")
                .or_else(|| l.strip_prefix("Process exited with code "))
        })
        .and_then(|n| n.trim().parse().ok())
}

fn mark_exit(r: &mut Record, code: Option<i64>) {
    let Some(code) = code else {
        return;
    };
    r.meta.insert("exit_code".into(), Value::from(code));
    if code != 0 {
        r.meta.insert("failed".into(), Value::Bool(true));
    }
}

/// One rollout line being read, and what its paths are resolved against.
struct Ctx<'a> {
    repo: &'a git2::Repository,
    line: &'a Value,
    workdir: &'a Path,
    cwd: &'a Path,
}

/// Journal records for one (redacted) rollout line: `{timestamp, ordinal, type, payload}`.
/// Unknown record types are kept raw.
pub(crate) fn transcript_records(
    repo: &git2::Repository,
    line: &Value,
    workdir: &Path,
    cwd: &Path,
) -> Result<Vec<Record>, git2::Error> {
    let ctx = Ctx {
        repo,
        line,
        workdir,
        cwd,
    };
    let rtype = str_field(line, "type").unwrap_or("unknown");
    let null = Value::Null;
    let payload = line.get("payload").unwrap_or(&null);
    let base = base_record(line, rtype, payload);
    let one = |r: Result<Record, git2::Error>| r.map(|r| vec![r]);
    match rtype {
        "session_meta" => one(session_meta(repo, base, payload)),
        "turn_context" => one(turn_context(repo, base, payload)),
        "world_state" => one(world_state(repo, base, payload)),
        "response_item" => response_item(&ctx, base, payload),
        "event_msg" => event_msg(&ctx, base, payload),
        "token_usage_record" => Ok(vec![token_usage(base, payload)]),
        "compacted" => one(compaction(repo, base, payload)),
        _ => one(unknown(&ctx, base)),
    }
}

/// What every record of a line shares: time, event name, the turn, the line's `metadata`, and a
/// fallback key from the line's ordinal so that re-reading the line never duplicates its step.
fn base_record(line: &Value, rtype: &str, payload: &Value) -> Record {
    let at = str_field(line, "timestamp").unwrap_or_default().to_string();
    let event = match str_field(payload, "type") {
        Some(ptype) if matches!(rtype, "response_item" | "event_msg") => {
            format!("{rtype}.{ptype}")
        }
        _ => rtype.to_string(),
    };
    let mut r = Record::new(at, Source::Transcript, event);
    if let Some(m) = line.get("metadata").filter(|m| !m.is_null()) {
        r.extra.insert("metadata".into(), m.clone());
    }
    let turn = payload.get("turn_id").or_else(|| {
        payload
            .get("internal_chat_message_metadata_passthrough")
            .and_then(|p| p.get("turn_id"))
    });
    if let Some(turn) = turn.filter(|t| !t.is_null()) {
        r.extra.insert("turn_id".into(), turn.clone());
    }
    if let Some(n) = line.get("ordinal").and_then(Value::as_u64) {
        r.extra.insert("ordinal".into(), Value::from(n));
    }
    r
}

/// A stable key for a record that has no id of its own.
fn line_key(r: &mut Record) {
    if let Some(n) = r.extra.get("ordinal").and_then(Value::as_u64) {
        r.keys.push(format!("line:{n}"));
    }
}

/// The key of a response item with an id (`item:msg_…`, `item:rs_…`), else its line's key.
fn item_key(r: &mut Record, payload: &Value) {
    match str_field(payload, "id") {
        Some(id) => r.keys.push(format!("item:{id}")),
        None => line_key(r),
    }
}

/// Copies every field of `from` but `skip` into the record's `extra`, long strings moved to blobs.
fn extra_all(
    repo: &git2::Repository,
    r: &mut Record,
    from: &Value,
    skip: &[&str],
) -> Result<(), git2::Error> {
    let Some(map) = from.as_object() else {
        return Ok(());
    };
    let mut kept: Map<String, Value> = map
        .iter()
        .filter(|(k, _)| !skip.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let mut blobs = Vec::new();
    for v in kept.values_mut() {
        shrink_strings(repo, v, &mut blobs)?;
    }
    r.extra.extend(kept);
    push_blobs(r, blobs);
    Ok(())
}

/// The session header: the Codex version (which seal reports as the harness version) and the
/// base instructions, the system prompt, as the step's text (a blob: it is about 22 KB).
fn session_meta(
    repo: &git2::Repository,
    mut r: Record,
    payload: &Value,
) -> Result<Record, git2::Error> {
    r.kind = Some(StepKind::System);
    line_key(&mut r);
    let version = str_field(payload, "cli_version");
    r.summary = match version {
        Some(v) => format!("session start (codex {v})"),
        None => "session start (codex)".into(),
    };
    if let Some(v) = version {
        r.meta.insert("version".into(), Value::from(v));
    }
    r.meta.insert("ctx".into(), Value::from("system"));
    copy_meta(
        payload,
        &mut r.extra,
        &[
            "originator",
            "source",
            "thread_source",
            "model_provider",
            "git",
            "context_window",
            "history_mode",
            "runtime_workspace_roots",
        ],
    );
    let instructions = payload.get("base_instructions");
    let text = instructions
        .and_then(|b| str_field(b, "text"))
        .or_else(|| instructions.and_then(Value::as_str))
        .or_else(|| str_field(payload, "instructions"));
    if let Some(p) = instructions.and_then(|b| b.get("provenance")) {
        r.extra.insert("instructions_provenance".into(), p.clone());
    }
    if let Some(text) = text {
        r.text = Some(content(repo, text)?);
    }
    Ok(r)
}

/// A turn's settings. Its `model` is how the session's model list learns the model.
fn turn_context(
    repo: &git2::Repository,
    mut r: Record,
    payload: &Value,
) -> Result<Record, git2::Error> {
    r.kind = Some(StepKind::System);
    line_key(&mut r);
    r.meta.insert("ctx".into(), Value::from("turn_context"));
    let model = str_field(payload, "model");
    if let Some(m) = model {
        r.meta.insert("model".into(), Value::from(m));
    }
    let sandbox = payload.get("sandbox_policy").and_then(|s| {
        s.as_str()
            .or_else(|| str_field(s, "type"))
            .map(|t| format!("sandbox {t}"))
    });
    let approval = str_field(payload, "approval_policy").map(|a| format!("approval {a}"));
    let parts: Vec<String> = [model.map(str::to_string), sandbox, approval]
        .into_iter()
        .flatten()
        .collect();
    r.summary = if parts.is_empty() {
        "turn context".into()
    } else {
        format!("turn context: {}", parts.join(" · "))
    };
    extra_all(repo, &mut r, payload, &["model"])?;
    Ok(r)
}

/// The tools, skills and instruction hashes offered to the model, kept as text.
fn world_state(
    repo: &git2::Repository,
    mut r: Record,
    payload: &Value,
) -> Result<Record, git2::Error> {
    r.kind = Some(StepKind::System);
    line_key(&mut r);
    r.summary = "world state (tools, instructions)".into();
    r.meta.insert("ctx".into(), Value::from("tools"));
    copy_meta(payload, &mut r.extra, &["full"]);
    let state = payload.get("state").unwrap_or(payload);
    let text = serde_json::to_string_pretty(state).expect("json serialises");
    r.text = Some(content(repo, &text)?);
    Ok(r)
}

/// A line this adapter does not understand: kept whole, counted by the manifest.
fn unknown(ctx: &Ctx, mut r: Record) -> Result<Record, git2::Error> {
    keep_raw(ctx.repo, &mut r, ctx.line)?;
    Ok(r)
}

fn response_item(ctx: &Ctx, r: Record, payload: &Value) -> Result<Vec<Record>, git2::Error> {
    let repo = ctx.repo;
    let one = |r: Result<Record, git2::Error>| r.map(|r| vec![r]);
    match str_field(payload, "type") {
        Some("message") => one(message(repo, r, payload)),
        Some("reasoning") => one(reasoning(repo, r, payload)),
        Some("function_call") => one(function_call(ctx, r, payload)),
        Some("custom_tool_call") => one(custom_tool_call(ctx, r, payload)),
        Some("local_shell_call") => one(local_shell_call(repo, r, payload)),
        Some("web_search_call") => one(web_search_call(repo, r, payload)),
        Some("function_call_output" | "custom_tool_call_output" | "local_shell_call_output") => {
            one(tool_output(ctx, r, payload))
        }
        Some("compaction" | "compaction_summary") => one(compaction(repo, r, payload)),
        _ => one(unknown(ctx, r)),
    }
}

/// The text parts of a message's content, joined, and how many images it held.
fn message_text(content_v: Option<&Value>) -> (String, u64) {
    let mut parts = Vec::new();
    let mut images = 0u64;
    match content_v {
        Some(Value::String(s)) => parts.push(s.as_str()),
        Some(Value::Array(items)) => {
            for item in items {
                match str_field(item, "text") {
                    Some(t) => parts.push(t),
                    None if str_field(item, "type").is_some_and(|t| t.contains("image")) => {
                        images += 1
                    }
                    None => {}
                }
            }
        }
        _ => {}
    }
    (parts.join("\n"), images)
}

/// Context Codex adds as user messages: tagged by `content_item_kinds` (the prompt the user typed
/// is `user.text`), or, where that is missing, by the tags Codex wraps it in.
fn injected_user_message(payload: &Value, text: &str) -> bool {
    let kinds = payload
        .get("internal_chat_message_metadata_passthrough")
        .and_then(|p| p.get("content_item_kinds"))
        .and_then(Value::as_array)
        .filter(|k| !k.is_empty());
    match kinds {
        Some(kinds) => !kinds
            .iter()
            .filter_map(Value::as_str)
            .any(|k| k.starts_with("user.")),
        None => {
            let t = text.trim_start();
            [
                "<environment_context>",
                "<user_instructions>",
                "# AGENTS.md instructions",
            ]
            .iter()
            .any(|tag| t.starts_with(tag))
        }
    }
}

fn message(repo: &git2::Repository, mut r: Record, payload: &Value) -> Result<Record, git2::Error> {
    let role = str_field(payload, "role").unwrap_or("unknown");
    let (text, images) = message_text(payload.get("content"));
    copy_meta(payload, &mut r.extra, &["role", "phase", "status"]);
    if images > 0 {
        r.meta.insert("images".into(), Value::from(images));
    }
    match role {
        "user" if !injected_user_message(payload, &text) => {
            r.kind = Some(StepKind::User);
            r.keys = prompt_keys(None, &text);
            item_key(&mut r, payload);
            r.summary = first_line(&text, 100);
        }
        "assistant" => {
            r.kind = Some(StepKind::Answer);
            item_key(&mut r, payload);
            r.keys.push(text_key(&text));
            r.summary = first_line(&text, 100);
        }
        _ => {
            r.kind = Some(StepKind::System);
            item_key(&mut r, payload);
            r.meta.insert("ctx".into(), Value::from("injected"));
            r.summary = first_line(&format!("{role}: {text}"), 100);
        }
    }
    r.text = Some(content(repo, &text)?);
    Ok(r)
}

/// Reasoning: the summary the model shares, its raw content when present; encrypted reasoning
/// cannot be read, so only its presence is recorded.
fn reasoning(
    repo: &git2::Repository,
    mut r: Record,
    payload: &Value,
) -> Result<Record, git2::Error> {
    r.kind = Some(StepKind::Think);
    item_key(&mut r, payload);
    let texts = |k: &str| -> Vec<String> {
        payload
            .get(k)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|p| str_field(p, "text").map(str::to_string))
            .collect()
    };
    let mut parts = texts("summary");
    parts.extend(texts("content"));
    let encrypted = payload
        .get("encrypted_content")
        .is_some_and(|e| !e.is_null());
    if encrypted {
        r.meta.insert("encrypted".into(), Value::Bool(true));
    }
    let text = match parts.join("\n\n") {
        t if t.is_empty() && encrypted => "[encrypted reasoning]".to_string(),
        t => t,
    };
    r.summary = first_line(&text, 100);
    r.text = Some(content(repo, &text)?);
    Ok(r)
}

/// Fills the parts every tool-call record shares.
fn tool_record(
    repo: &git2::Repository,
    r: &mut Record,
    name: &str,
    call_id: Option<&str>,
    input: &Value,
) -> Result<(), git2::Error> {
    let (kind, _) = classify(name);
    r.kind = Some(kind);
    r.tool = Some(name.to_string());
    match call_id {
        Some(id) => r.keys.push(format!("tool:{id}")),
        None => line_key(r),
    }
    r.summary = tool_summary(input, &r.paths);
    set_input(repo, r, input)
}

/// A function tool call; its `arguments` are a JSON-encoded string (kept raw if not JSON).
fn function_call(ctx: &Ctx, mut r: Record, payload: &Value) -> Result<Record, git2::Error> {
    let name = str_field(payload, "name").unwrap_or("unknown");
    let input = match payload.get("arguments") {
        Some(Value::String(s)) => {
            serde_json::from_str(s).unwrap_or_else(|_| Value::String(s.clone()))
        }
        Some(other) => other.clone(),
        None => Value::Null,
    };
    if name == "apply_patch" {
        if let Some(patch) = patch_text(&input) {
            r.paths = resolved_patch_paths(patch, ctx.workdir, ctx.cwd);
        }
    }
    tool_record(
        ctx.repo,
        &mut r,
        name,
        str_field(payload, "call_id"),
        &input,
    )?;
    Ok(r)
}

/// A freeform tool call (`apply_patch` is one): its input is raw text.
fn custom_tool_call(ctx: &Ctx, mut r: Record, payload: &Value) -> Result<Record, git2::Error> {
    let name = str_field(payload, "name").unwrap_or("unknown");
    let text = str_field(payload, "input").unwrap_or_default();
    let input = if name == "apply_patch" {
        r.paths = resolved_patch_paths(text, ctx.workdir, ctx.cwd);
        json!({ "patch": text })
    } else {
        json!({ "input": text })
    };
    tool_record(
        ctx.repo,
        &mut r,
        name,
        str_field(payload, "call_id"),
        &input,
    )?;
    Ok(r)
}

/// The shell call of older Codex versions: `action` holds the argv.
fn local_shell_call(
    repo: &git2::Repository,
    mut r: Record,
    payload: &Value,
) -> Result<Record, git2::Error> {
    let id = str_field(payload, "call_id").or_else(|| str_field(payload, "id"));
    let input = payload.get("action").cloned().unwrap_or(Value::Null);
    tool_record(repo, &mut r, "local_shell", id, &input)?;
    Ok(r)
}

/// A hosted web search: no call id (its item id stands in), no output record; its action holds
/// the query.
fn web_search_call(
    repo: &git2::Repository,
    mut r: Record,
    payload: &Value,
) -> Result<Record, git2::Error> {
    let input = payload.get("action").cloned().unwrap_or(Value::Null);
    tool_record(repo, &mut r, "web_search", str_field(payload, "id"), &input)?;
    Ok(r)
}

/// A tool's output. It carries no kind: it joins the call's step by `tool:<call id>` (the call
/// always precedes its output in the rollout).
fn tool_output(ctx: &Ctx, mut r: Record, payload: &Value) -> Result<Record, git2::Error> {
    let Some(id) = str_field(payload, "call_id") else {
        return unknown(ctx, r);
    };
    r.keys.push(format!("tool:{id}"));
    let (text, code) = output_text(payload.get("output"));
    mark_exit(&mut r, code);
    if payload.get("success").and_then(Value::as_bool) == Some(false) {
        r.meta.insert("failed".into(), Value::Bool(true));
    }
    r.output = Some(content(ctx.repo, &text)?);
    Ok(r)
}

/// An output's text and exit code: a string with Codex's header (0.169), a JSON string
/// `{output, metadata: {exit_code}}` (older versions), or an array of content items.
fn output_text(output: Option<&Value>) -> (String, Option<i64>) {
    match output {
        Some(Value::String(s)) => {
            let legacy = serde_json::from_str::<Value>(s).ok().and_then(|v| {
                let text = str_field(&v, "output")?.to_string();
                let code = v.get("metadata")?.get("exit_code")?.as_i64();
                Some((text, code))
            });
            legacy.unwrap_or_else(|| (s.clone(), header_exit_code(s)))
        }
        Some(Value::Array(_)) => (message_text(output).0, None),
        Some(Value::Object(o)) => match o.get("content") {
            Some(c) => output_text(Some(c)),
            None => (Value::Object(o.clone()).to_string(), None),
        },
        Some(Value::Null) | None => (String::new(), None),
        Some(other) => (other.to_string(), None),
    }
}

/// Compaction: the summary that replaced the history, when the record carries one.
fn compaction(
    repo: &git2::Repository,
    mut r: Record,
    payload: &Value,
) -> Result<Record, git2::Error> {
    r.kind = Some(StepKind::System);
    line_key(&mut r);
    r.summary = "compaction".into();
    r.meta.insert("ctx".into(), Value::from("compaction"));
    if let Some(history) = payload.get("replacement_history").and_then(Value::as_array) {
        r.extra
            .insert("replacement_items".into(), Value::from(history.len()));
    }
    let text = str_field(payload, "message").or_else(|| str_field(payload, "summary"));
    if let Some(text) = text.filter(|t| !t.is_empty()) {
        r.text = Some(content(repo, text)?);
    }
    Ok(r)
}

/// UI items that repeat a `response_item` (the prompt, an answer, reasoning): skipped.
const DUPLICATE_ITEMS: &[&str] = &["UserMessage", "AgentMessage", "Reasoning"];

fn event_msg(ctx: &Ctx, mut r: Record, payload: &Value) -> Result<Vec<Record>, git2::Error> {
    let repo = ctx.repo;
    match str_field(payload, "type") {
        Some("item_completed") => {
            let null = Value::Null;
            let item = payload.get("item").unwrap_or(&null);
            match str_field(item, "type") {
                Some(t) if DUPLICATE_ITEMS.contains(&t) => Ok(Vec::new()),
                Some("CommandExecution") => Ok(vec![command_execution(r, item)]),
                Some("FileChange") => Ok(vec![file_change(ctx, r, item)]),
                _ => Ok(vec![unknown(ctx, r)?]),
            }
        }
        Some("token_count") => {
            let info = payload.get("info").filter(|i| !i.is_null());
            if let Some(last) = info.and_then(|i| i.get("last_token_usage")) {
                r.meta.insert("usage".into(), normalized_usage(last));
            }
            extra_all(repo, &mut r, payload, &["type"])?;
            Ok(vec![r])
        }
        Some("task_started" | "task_complete" | "thread_settings_applied") => {
            extra_all(repo, &mut r, payload, &["type"])?;
            Ok(vec![r])
        }
        Some("context_compacted") => Ok(vec![compaction(repo, r, payload)?]),
        _ => Ok(vec![unknown(ctx, r)?]),
    }
}

/// What only the UI item of a command knows: its exit code, duration and argv.
fn command_execution(mut r: Record, item: &Value) -> Record {
    if let Some(id) = str_field(item, "id") {
        r.keys.push(format!("tool:{id}"));
    }
    mark_exit(&mut r, item.get("exit_code").and_then(Value::as_i64));
    if matches!(str_field(item, "status"), Some("failed" | "declined")) {
        r.meta.insert("failed".into(), Value::Bool(true));
    }
    if let Some(ms) = item.get("duration").and_then(duration_ms) {
        r.meta.insert("duration_ms".into(), Value::from(ms));
    }
    copy_meta(
        item,
        &mut r.extra,
        &["command", "cwd", "parsed_cmd", "status", "source"],
    );
    r
}

/// A Rust `Duration` as Codex serialises it (`{secs, nanos}`), or plain milliseconds.
fn duration_ms(d: &Value) -> Option<u64> {
    if let Some(ms) = d.as_u64() {
        return Some(ms);
    }
    let secs = d.get("secs")?.as_u64()?;
    let nanos = d.get("nanos").and_then(Value::as_u64).unwrap_or(0);
    Some(secs * 1000 + nanos / 1_000_000)
}

/// What only the UI item of a patch knows: the files it changed, by absolute path, and how.
/// The diffs themselves are left out: the step's snapshot holds the change.
fn file_change(ctx: &Ctx, mut r: Record, item: &Value) -> Record {
    if let Some(id) = str_field(item, "id") {
        r.keys.push(format!("tool:{id}"));
    }
    let mut kinds = Map::new();
    for (path, change) in item
        .get("changes")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let mut sides = vec![path.as_str()];
        sides.extend(str_field(change, "move_path"));
        for p in sides {
            let rel = super::repo_relative(ctx.workdir, ctx.cwd, p);
            if !r.paths.contains(&rel) {
                r.paths.push(rel);
            }
        }
        let mut kept = Map::new();
        copy_meta(change, &mut kept, &["type", "move_path"]);
        kinds.insert(path.clone(), Value::Object(kept));
    }
    r.extra.insert("changes".into(), Value::Object(kinds));
    if matches!(str_field(item, "status"), Some("failed" | "declined")) {
        r.meta.insert("failed".into(), Value::Bool(true));
    }
    copy_meta(item, &mut r.extra, &["status"]);
    if let Some(err) = str_field(item, "stderr").filter(|e| !e.is_empty()) {
        r.extra.insert("stderr".into(), Value::from(err));
    }
    r
}

/// One model response's token usage, under the names seal sums (Claude's): OpenAI's
/// `input_tokens` include the cached ones, Claude's do not.
fn token_usage(mut r: Record, payload: &Value) -> Record {
    if let Some(id) = str_field(payload, "response_id") {
        r.meta.insert("id".into(), Value::from(id));
    }
    if let Some(usage) = payload.get("usage").filter(|u| u.is_object()) {
        r.meta.insert("usage".into(), normalized_usage(usage));
    }
    copy_meta(
        payload,
        &mut r.extra,
        &["usage", "turn_token_usage", "thread_token_usage"],
    );
    r
}

fn normalized_usage(usage: &Value) -> Value {
    let n = |k: &str| usage.get(k).and_then(Value::as_u64).unwrap_or(0);
    let cached = n("cached_input_tokens");
    json!({
        "input_tokens": n("input_tokens").saturating_sub(cached),
        "output_tokens": n("output_tokens"),
        "cache_read_input_tokens": cached,
        "cache_creation_input_tokens": n("cache_write_input_tokens"),
    })
}

/// How many lines [`session_header`] reads looking for the session id and cwd.
const HEADER_LINES: usize = 50;

/// The session id and cwd of a rollout: from its `session_meta` line (the first), else from the
/// first lines that name them (a rollout whose head was lost).
pub(crate) fn session_header(text: &[u8]) -> SessionHeader {
    let mut header = SessionHeader::default();
    let mut fallback = SessionHeader::default();
    for line in text.split(|&b| b == b'\n').take(HEADER_LINES) {
        let Ok(v) = serde_json::from_slice::<Value>(line) else {
            continue;
        };
        let Some(payload) = v.get("payload") else {
            continue;
        };
        let field = |k: &str| str_field(payload, k).map(str::to_string);
        if str_field(&v, "type") == Some("session_meta") {
            header.session = field("id").or_else(|| field("session_id"));
            header.cwd = field("cwd");
            header.commit = payload
                .get("git")
                .and_then(|g| str_field(g, "commit_hash"))
                .map(str::to_string);
            break;
        }
        fallback.session = fallback
            .session
            .or_else(|| field("session_id"))
            .or_else(|| field("thread_id"));
        fallback.cwd = fallback.cwd.or_else(|| field("cwd"));
    }
    SessionHeader {
        session: header.session.or(fallback.session),
        cwd: header.cwd.or(fallback.cwd),
        commit: header.commit,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patch_paths_cover_every_header_kind() {
        let patch = "*** Begin Patch\n\
                     *** Add File: new.txt\n+hello\n\
                     *** Update File: src/a.rs\n*** Move to: src/b.rs\n@@ fn a()\n-x\n+y\n\
                     *** Delete File: old.txt\n\
                     *** Update File: src/a.rs\n@@\n-z\n+w\n*** End of File\n\
                     *** End Patch\n";
        assert_eq!(
            patch_paths(patch),
            ["new.txt", "src/a.rs", "src/b.rs", "old.txt"]
        );
    }

    #[test]
    fn patch_content_that_looks_like_a_header_is_not_one() {
        let patch = "*** Begin Patch\n*** Add File: doc.md\n+*** Delete File: nope\n\
                     *** Update File: x.py\n@@\n *** Add File: context\n-*** Move to: gone\n\
                     *** End Patch";
        assert_eq!(patch_paths(patch), ["doc.md", "x.py"]);
    }

    #[test]
    fn malformed_patches_give_what_they_name() {
        assert!(patch_paths("").is_empty());
        assert!(patch_paths("not a patch at all\n@@\n+x").is_empty());
        assert!(patch_paths("*** Begin Patch\n*** Add File: \n*** End Patch").is_empty());
        // No Begin/End, CRLF line ends, a torn final line: the headers that are there still count.
        assert_eq!(
            patch_paths("*** Update File: a.py\r\n@@\r\n-x\r\n+y\r\n*** Delete File: b.p"),
            ["a.py", "b.p"]
        );
    }

    #[test]
    fn patch_paths_resolve_against_the_session_cwd() {
        let w = Path::new("/r/repo");
        let patch = "*** Begin Patch\n*** Update File: a.py\n*** Add File: ../top.txt\n\
                     *** Delete File: /elsewhere/x\n*** End Patch\n";
        assert_eq!(
            resolved_patch_paths(patch, w, Path::new("/r/repo/sub")),
            ["sub/a.py", "top.txt", "/elsewhere/x"]
        );
    }

    #[test]
    fn tools_are_classified_by_what_they_can_change() {
        assert_eq!(classify("Bash"), (StepKind::Exec, ToolClass::Mutating));
        assert_eq!(
            classify("exec_command"),
            (StepKind::Exec, ToolClass::Mutating)
        );
        assert_eq!(classify("shell"), (StepKind::Exec, ToolClass::Mutating));
        assert_eq!(classify("apply_patch"), (StepKind::Write, ToolClass::Named));
        assert_eq!(
            classify("update_plan"),
            (StepKind::Plan, ToolClass::ReadOnly)
        );
        assert_eq!(
            classify("mcp__db__query"),
            (StepKind::Tool, ToolClass::Mutating)
        );
    }

    fn hook_call(input: Value) -> ToolCall {
        let body = json!({"tool_name": "apply_patch", "tool_use_id": "c1", "tool_input": input});
        let w = Path::new("/r/repo");
        match action("PreToolUse", &body, w, w) {
            Action::PreTool(call) => call,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_patch_is_hashed_by_its_paths_only_when_all_are_in_the_tree() {
        let named = hook_call(json!({"command": "*** Begin Patch\n*** Update File: a.py\n"}));
        assert_eq!(named.class, ToolClass::Named);
        assert_eq!(named.paths, ["a.py"]);
        assert_eq!(named.id.as_deref(), Some("c1"));
        let garbage = hook_call(json!({"command": "rm -rf /"}));
        assert_eq!(garbage.class, ToolClass::Mutating);
        let outside = hook_call(json!({"command": "*** Update File: /etc/hosts\n"}));
        assert_eq!(outside.class, ToolClass::Mutating);
        assert_eq!(hook_call(json!(null)).class, ToolClass::Mutating);
    }

    #[test]
    fn exit_codes_are_read_from_the_header_only() {
        assert_eq!(
            header_exit_code("Exit code: 1\nWall time: 0 seconds\nOutput:\nerror"),
            Some(1)
        );
        assert_eq!(
            header_exit_code("Chunk ID: a\nProcess exited with code 2\nOutput:\nx"),
            Some(2)
        );
        assert_eq!(header_exit_code("Output:\nExit code: 3\n"), None);
        assert_eq!(header_exit_code("plain output"), None);
    }

    #[test]
    fn commands_are_summarised_as_the_script_they_run() {
        let s = |v: Value| tool_summary(&v, &[]);
        assert_eq!(s(json!({"cmd": "ls\nmore", "yield_time_ms": 1})), "ls");
        assert_eq!(
            s(json!({"command": ["bash", "-lc", "make test"]})),
            "make test"
        );
        assert_eq!(s(json!({"command": ["git", "status"]})), "git status");
        assert_eq!(s(json!({"sql": "select 1"})), "select 1");
        assert_eq!(tool_summary(&json!({}), &["a".into(), "b".into()]), "a, b");
    }

    #[test]
    fn usage_takes_claude_names_without_cached_input() {
        let u = normalized_usage(&json!({"input_tokens": 100, "cached_input_tokens": 30,
            "output_tokens": 7, "cache_write_input_tokens": 2}));
        assert_eq!(
            u,
            json!({"input_tokens": 70, "output_tokens": 7, "cache_read_input_tokens": 30,
                "cache_creation_input_tokens": 2})
        );
    }

    #[test]
    fn user_messages_from_the_harness_are_context_not_prompts() {
        let kinds = |k: Value| json!({"internal_chat_message_metadata_passthrough": {"content_item_kinds": k}});
        assert!(injected_user_message(
            &kinds(json!(["environments.environment_context"])),
            "x"
        ));
        assert!(!injected_user_message(&kinds(json!(["user.text"])), "x"));
        assert!(injected_user_message(
            &json!({}),
            "<environment_context>\n</environment_context>"
        ));
        assert!(!injected_user_message(&json!({}), "fix the bug"));
    }

    #[test]
    fn the_header_comes_from_session_meta_or_the_first_lines_naming_it() {
        let meta = br#"{"type":"session_meta","payload":{"id":"s1","cwd":"/r","git":{"commit_hash":"9adab51"}}}
{"type":"turn_context","payload":{"cwd":"/other"}}"#;
        assert_eq!(
            session_header(meta),
            SessionHeader {
                session: Some("s1".into()),
                cwd: Some("/r".into()),
                commit: Some("9adab51".into()),
            }
        );
        let headless = br#"garbage
{"type":"turn_context","payload":{"cwd":"/r"}}
{"type":"token_usage_record","payload":{"session_id":"s2"}}"#;
        assert_eq!(
            session_header(headless),
            SessionHeader {
                session: Some("s2".into()),
                cwd: Some("/r".into()),
                commit: None,
            }
        );
        assert_eq!(session_header(b""), SessionHeader::default());
    }
}
