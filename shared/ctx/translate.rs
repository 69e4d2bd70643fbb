//! Resuming in another harness: the window's conversation rewritten in the target harness's own
//! session format, where the formats allow it.
//!
//! What carries over: prompts, answers, and the tool calls every harness has (run a shell command,
//! read a file, write a file, replace text in a file) with their results, renamed to the target's
//! tools. What does not: thinking (its signatures belong to the provider that made it) and context
//! the source harness injected (the target injects its own). A call with no counterpart in the
//! target (Codex's `apply_patch`, a search tool, an MCP tool) stops the resume with the step that
//! made it: the conversation would otherwise be one the model never had.

use super::{Message, Pack, Role};
use crate::capture::Harness;
use serde_json::{json, Value};
use std::path::Path;

/// A tool call every target harness can express.
#[derive(Debug, Clone, PartialEq)]
enum Action {
    Shell {
        command: String,
    },
    Read {
        path: String,
    },
    Write {
        path: String,
        content: String,
    },
    Edit {
        path: String,
        edits: Vec<(String, String)>,
    },
}

#[derive(Debug, Clone, PartialEq)]
enum Block {
    Text(String),
    Call { id: String, action: Action },
}

#[derive(Debug, Clone, PartialEq)]
enum Turn {
    User(String),
    Assistant(Vec<Block>),
    Result { id: String, text: String },
}

/// Why a window cannot be written for another harness.
#[derive(Debug)]
pub struct Untranslatable(pub String);

/// The session file lines for `target`, holding the pack's conversation.
pub fn session_lines(
    pack: &Pack,
    target: Harness,
    id: &str,
    cwd: &Path,
) -> Result<Vec<String>, Untranslatable> {
    let turns = turns(pack, cwd)?;
    match target {
        Harness::Pi => Ok(pi_lines(&turns, id, cwd, pack)),
        Harness::Claude => Ok(claude_lines(&turns, id, cwd, pack)),
        Harness::Codex => Err(Untranslatable(
            "a Codex rollout also carries Codex's own instructions, world state and turn context, \
             which another harness's session does not have"
                .into(),
        )),
    }
}

fn turns(pack: &Pack, cwd: &Path) -> Result<Vec<Turn>, Untranslatable> {
    let mut out: Vec<Turn> = Vec::new();
    for m in &pack.messages {
        let text = m.text.clone().unwrap_or_default();
        match m.role {
            Role::User => out.push(Turn::User(text)),
            Role::Summary => out.push(Turn::User(format!(
                "[summary of the earlier conversation]\n{text}"
            ))),
            Role::Assistant => push_block(&mut out, Block::Text(text)),
            Role::ToolCall => {
                let action = action(m, cwd)?;
                let id = m
                    .call_id
                    .clone()
                    .unwrap_or_else(|| format!("call_{}", out.len()));
                push_block(&mut out, Block::Call { id, action });
            }
            Role::ToolResult => out.push(Turn::Result {
                id: m.call_id.clone().unwrap_or_default(),
                text,
            }),
            // Thinking, injected context, compaction markers, system prompt and tools: the target
            // harness has its own.
            _ => {}
        }
    }
    Ok(out)
}

fn push_block(turns: &mut Vec<Turn>, block: Block) {
    if let Some(Turn::Assistant(blocks)) = turns.last_mut() {
        blocks.push(block);
    } else {
        turns.push(Turn::Assistant(vec![block]));
    }
}

/// The harness-neutral action of a tool call.
fn action(m: &Message, cwd: &Path) -> Result<Action, Untranslatable> {
    let tool = m.tool.as_deref().unwrap_or("unknown");
    let input = m.input.clone().unwrap_or(Value::Null);
    let s = |k: &str| input.get(k).and_then(Value::as_str).map(str::to_string);
    let path = || {
        s("file_path")
            .or_else(|| s("path"))
            .map(|p| relative(&p, cwd))
    };
    let refuse = || {
        Untranslatable(format!(
            "step {} calls {tool}, which has no counterpart in the other harness",
            m.step.map_or_else(|| "?".into(), |s| s.to_string())
        ))
    };
    let action = match tool {
        "Bash" | "bash" => s("command").map(|command| Action::Shell { command }),
        "exec_command" | "shell" | "local_shell" | "shell_command" => {
            crate::capture::codex_command(&input).map(|command| Action::Shell { command })
        }
        "Read" | "read" => path().map(|path| Action::Read { path }),
        "Write" | "write" => path()
            .zip(s("content"))
            .map(|(path, content)| Action::Write { path, content }),
        "Edit" => path()
            .zip(s("old_string").zip(s("new_string")))
            .map(|(path, edit)| Action::Edit {
                path,
                edits: vec![edit],
            }),
        "MultiEdit" | "edit" => path().map(|path| Action::Edit {
            path,
            edits: input["edits"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|e| {
                    let get = |a: &str, b: &str| {
                        e.get(a)
                            .or_else(|| e.get(b))
                            .and_then(Value::as_str)
                            .map(str::to_string)
                    };
                    get("old_string", "oldText").zip(get("new_string", "newText"))
                })
                .collect(),
        }),
        _ => None,
    };
    action.ok_or_else(refuse)
}

fn relative(path: &str, cwd: &Path) -> String {
    Path::new(path)
        .strip_prefix(cwd)
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_else(|_| path.to_string())
}

fn absolute(path: &str, cwd: &Path) -> String {
    cwd.join(path).to_string_lossy().into_owned()
}

/// An 8-hex entry id, as Pi makes them, unique within the file.
fn entry_id(id: &str, n: usize) -> String {
    crate::capture::sha256_hex(format!("{id}:{n}").as_bytes())[..8].to_string()
}

fn pi_lines(turns: &[Turn], id: &str, cwd: &Path, pack: &Pack) -> Vec<String> {
    let now = crate::store::now_rfc3339();
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    let cwd_s = cwd.to_string_lossy();
    let mut lines = vec![
        json!({"type": "session", "version": 3, "id": id, "timestamp": now, "cwd": cwd_s})
            .to_string(),
    ];
    let model = pack.runtime.models.first().cloned().unwrap_or_default();
    let mut parent: Option<String> = None;
    let mut names: std::collections::HashMap<&str, &str> = std::collections::HashMap::new();
    for (n, turn) in turns.iter().enumerate() {
        let message = match turn {
            Turn::User(text) => {
                json!({"role": "user", "content": [{"type": "text", "text": text}], "timestamp": ms})
            }
            Turn::Assistant(blocks) => {
                let content: Vec<Value> = blocks
                    .iter()
                    .map(|b| match b {
                        Block::Text(text) => json!({"type": "text", "text": text}),
                        Block::Call { id, action } => {
                            let (name, arguments) = pi_call(action);
                            names.insert(id, name);
                            json!({"type": "toolCall", "id": id, "name": name, "arguments": arguments})
                        }
                    })
                    .collect();
                let calls = blocks.iter().any(|b| matches!(b, Block::Call { .. }));
                json!({"role": "assistant", "content": content, "api": "git-traces", "provider": "git-traces",
                       "model": model, "usage": {"input": 0, "output": 0, "cacheRead": 0, "cacheWrite": 0, "totalTokens": 0,
                       "cost": {"input": 0, "output": 0, "cacheRead": 0, "cacheWrite": 0, "total": 0}},
                       "stopReason": if calls { "toolUse" } else { "stop" }, "timestamp": ms})
            }
            Turn::Result { id, text } => json!({"role": "toolResult", "toolCallId": id,
                "toolName": names.get(id.as_str()).copied().unwrap_or("bash"),
                "content": [{"type": "text", "text": text}], "isError": false, "timestamp": ms}),
        };
        let entry = entry_id(id, n);
        lines.push(json!({"type": "message", "id": entry, "parentId": parent, "timestamp": now, "message": message}).to_string());
        parent = Some(entry);
    }
    lines
}

fn pi_call(action: &Action) -> (&'static str, Value) {
    match action {
        Action::Shell { command } => ("bash", json!({"command": command})),
        Action::Read { path } => ("read", json!({"path": path})),
        Action::Write { path, content } => ("write", json!({"path": path, "content": content})),
        Action::Edit { path, edits } => (
            "edit",
            json!({"path": path, "edits": edits.iter().map(|(o, n)| json!({"oldText": o, "newText": n})).collect::<Vec<_>>()}),
        ),
    }
}

fn claude_call(action: &Action, cwd: &Path) -> (&'static str, Value) {
    match action {
        Action::Shell { command } => ("Bash", json!({"command": command})),
        Action::Read { path } => ("Read", json!({"file_path": absolute(path, cwd)})),
        Action::Write { path, content } => (
            "Write",
            json!({"file_path": absolute(path, cwd), "content": content}),
        ),
        Action::Edit { path, edits } if edits.len() == 1 => (
            "Edit",
            json!({"file_path": absolute(path, cwd), "old_string": edits[0].0, "new_string": edits[0].1}),
        ),
        Action::Edit { path, edits } => (
            "MultiEdit",
            json!({"file_path": absolute(path, cwd), "edits": edits.iter().map(|(o, n)| json!({"old_string": o, "new_string": n})).collect::<Vec<_>>()}),
        ),
    }
}

/// A UUID-shaped id for a Claude record, unique within the file.
fn record_uuid(id: &str, n: usize) -> String {
    let h = crate::capture::sha256_hex(format!("{id}:{n}").as_bytes());
    format!(
        "{}-{}-4{}-8{}-{}",
        &h[..8],
        &h[8..12],
        &h[13..16],
        &h[17..20],
        &h[20..32]
    )
}

/// Claude Code's layout: one line per user message, tool result, and assistant content block
/// (blocks of one message share `message.id`), chained by `parentUuid`.
fn claude_lines(turns: &[Turn], id: &str, cwd: &Path, pack: &Pack) -> Vec<String> {
    let now = crate::store::now_rfc3339();
    let cwd_s = cwd.to_string_lossy().into_owned();
    let model = pack.runtime.models.first().cloned().unwrap_or_default();
    let mut lines = Vec::new();
    let mut parent: Option<String> = None;
    let mut n = 0;
    let mut push = |kind: &str, message: Value, parent: &mut Option<String>| {
        let uuid = record_uuid(id, n);
        n += 1;
        lines.push(json!({"parentUuid": parent, "isSidechain": false, "userType": "external", "cwd": cwd_s,
            "sessionId": id, "version": "git-traces", "type": kind, "message": message, "uuid": uuid, "timestamp": now}).to_string());
        *parent = Some(uuid);
    };
    for (t, turn) in turns.iter().enumerate() {
        match turn {
            Turn::User(text) => push(
                "user",
                json!({"role": "user", "content": text}),
                &mut parent,
            ),
            Turn::Result { id: call, text } => push(
                "user",
                json!({"role": "user", "content": [{"tool_use_id": call, "type": "tool_result", "content": text}]}),
                &mut parent,
            ),
            Turn::Assistant(blocks) => {
                let message_id = format!(
                    "msg_{}",
                    &crate::capture::sha256_hex(format!("{id}:m{t}").as_bytes())[..24]
                );
                for b in blocks {
                    let block = match b {
                        Block::Text(text) => json!({"type": "text", "text": text}),
                        Block::Call { id: call, action } => {
                            let (name, input) = claude_call(action, cwd);
                            json!({"type": "tool_use", "id": call, "name": name, "input": input})
                        }
                    };
                    push(
                        "assistant",
                        json!({"id": message_id, "type": "message", "role": "assistant", "model": model,
                               "content": [block], "stop_reason": null, "stop_sequence": null,
                               "usage": {"input_tokens": 0, "output_tokens": 0}}),
                        &mut parent,
                    );
                }
            }
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(
        role: Role,
        tool: Option<&str>,
        input: Value,
        text: Option<&str>,
        call: Option<&str>,
    ) -> Message {
        Message {
            role,
            step: Some(4),
            at: String::new(),
            text: text.map(str::to_string),
            tool: tool.map(str::to_string),
            call_id: call.map(str::to_string),
            input: Some(input),
        }
    }

    #[test]
    fn codex_shell_calls_become_commands_and_apply_patch_is_refused() {
        let cwd = Path::new("/r");
        let exec = message(
            Role::ToolCall,
            Some("exec_command"),
            json!({"cmd": "cat calc.py"}),
            None,
            None,
        );
        assert_eq!(
            action(&exec, cwd).unwrap(),
            Action::Shell {
                command: "cat calc.py".into()
            }
        );
        let argv = message(
            Role::ToolCall,
            Some("shell"),
            json!({"command": ["bash", "-lc", "ls -a"]}),
            None,
            None,
        );
        assert_eq!(
            action(&argv, cwd).unwrap(),
            Action::Shell {
                command: "ls -a".into()
            }
        );
        let read = message(
            Role::ToolCall,
            Some("Read"),
            json!({"file_path": "/r/src/a.rs"}),
            None,
            None,
        );
        assert_eq!(
            action(&read, cwd).unwrap(),
            Action::Read {
                path: "src/a.rs".into()
            }
        );
        let patch = message(
            Role::ToolCall,
            Some("apply_patch"),
            json!({"patch": "*** Begin Patch"}),
            None,
            None,
        );
        let Untranslatable(why) = action(&patch, cwd).unwrap_err();
        assert_eq!(
            why,
            "step 4 calls apply_patch, which has no counterpart in the other harness"
        );
    }

    #[test]
    fn pi_edits_become_claude_edits_with_absolute_paths() {
        let edit = Action::Edit {
            path: "calc.py".into(),
            edits: vec![("a".into(), "b".into())],
        };
        assert_eq!(
            claude_call(&edit, Path::new("/r")),
            (
                "Edit",
                json!({"file_path": "/r/calc.py", "old_string": "a", "new_string": "b"})
            )
        );
        let two = Action::Edit {
            path: "calc.py".into(),
            edits: vec![("a".into(), "b".into()), ("c".into(), "d".into())],
        };
        assert_eq!(claude_call(&two, Path::new("/r")).0, "MultiEdit");
        assert_eq!(
            pi_call(&two).1,
            json!({"path": "calc.py", "edits": [{"oldText": "a", "newText": "b"}, {"oldText": "c", "newText": "d"}]})
        );
    }
}
