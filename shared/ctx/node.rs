//! ctx nodes: the items of a model's context window, one per transcript record that put something
//! in it (`context.jsonl.gz`, schema [`CTX_SCHEMA`]).
//!
//! Nodes name no step: step numbers can still move while a live session is merged, nodes never
//! change once written. A node carries the keys of its record instead, which is how a step finds
//! its nodes (the same keys that merged the step). Large texts (system prompts, tool definitions,
//! file reads) are content-addressed blobs of the bucket, so a system prompt sent again at every
//! prompt is stored once per session.

use crate::model::{Content, Record, Source, StepKind};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One line of `context.jsonl.gz`.
pub const CTX_SCHEMA: &str = "git-traces/ctx@1";

/// What a node is to the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The system prompt.
    System,
    /// Tool definitions (or the harness's snapshot of them).
    Tools,
    /// Context the harness added, not typed by the user: environment, skills, reminders.
    Injected,
    User,
    Assistant,
    Thinking,
    ToolCall,
    ToolResult,
    /// Everything before this point left the window; the next node is usually its summary.
    Compaction,
    /// A summary standing in for what left the window.
    Summary,
    /// A record git-traces did not understand (a newer harness version, say), kept whole under
    /// `raw`; never counted in a window.
    Unknown,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::System => "system",
            Role::Tools => "tools",
            Role::Injected => "injected",
            Role::User => "user",
            Role::Assistant => "assistant",
            Role::Thinking => "thinking",
            Role::ToolCall => "tool_call",
            Role::ToolResult => "tool_result",
            Role::Compaction => "compaction",
            Role::Summary => "summary",
            Role::Unknown => "unknown",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Node {
    pub schema: String,
    /// Position in the session's context file, from 0.
    pub n: u64,
    pub role: Role,
    pub at: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keys: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<Content>,
    /// Estimated tokens (bytes / 4, the usual rule of thumb for English and code).
    pub tokens: u64,
    /// The harness's entry id and its parent, for session files that form a tree (Pi).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// For a compaction that keeps recent entries (Pi): the first entry kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_kept: Option<String>,
    /// A subagent's record: not in the main conversation's window.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub sidechain: bool,
    /// Byte offset of the source line in the harness's session file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
    /// For [`Role::Unknown`]: the record as the harness wrote it (redacted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw: Option<Value>,
}

/// Whether a journal record feeds the context file: transcript records, and hook records that
/// carry context the transcript lacks (Pi's system prompt).
pub fn feeds_context(r: &Record) -> bool {
    r.source == Source::Transcript || r.meta.contains_key("ctx")
}

/// The node a record puts in the context file, if any (metadata-only records put none).
pub fn node_of(r: &Record, n: u64) -> Option<Node> {
    let marked = r.meta.get("ctx").and_then(Value::as_str);
    let role = match marked {
        _ if r.meta.contains_key("raw") && r.kind.is_none() => Role::Unknown,
        Some("system") => Role::System,
        Some("tools") => Role::Tools,
        Some("injected") => Role::Injected,
        Some("compaction") => Role::Compaction,
        Some("summary") => Role::Summary,
        Some(_) => return None,
        None => match r.kind {
            Some(StepKind::User) => Role::User,
            Some(StepKind::Answer) => Role::Assistant,
            Some(StepKind::Think) => Role::Thinking,
            Some(StepKind::System) => return None,
            Some(_) if r.input.is_some() => Role::ToolCall,
            _ if r.output.is_some() => Role::ToolResult,
            _ => return None,
        },
    };
    let content = match role {
        Role::ToolResult => r.output.clone(),
        Role::Tools if r.text.is_none() => None,
        _ => r.text.clone(),
    };
    let input_bytes = r.input.as_ref().map_or(0, |i| i.to_string().len() as u64);
    let bytes = content.as_ref().map_or(0, |c| c.bytes) + input_bytes;
    let text_field = |k: &str| r.extra.get(k).and_then(Value::as_str).map(str::to_string);
    Some(Node {
        schema: CTX_SCHEMA.into(),
        n,
        role,
        at: r.at.clone(),
        keys: r.keys.clone(),
        tool: r.tool.clone(),
        input: r.input.clone(),
        content,
        tokens: bytes.div_ceil(4),
        entry: text_field("entry"),
        parent: text_field("parent"),
        first_kept: text_field("firstKeptEntryId"),
        sidechain: r.meta.get("isSidechain").and_then(Value::as_bool) == Some(true),
        offset: r.offset,
        raw: r.meta.get("raw").cloned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(kind: Option<StepKind>) -> Record {
        let mut r = Record::new("t".into(), Source::Transcript, "x");
        r.kind = kind;
        r
    }

    #[test]
    fn roles_follow_the_ctx_mark_then_the_kind() {
        let mut r = record(Some(StepKind::System));
        assert!(node_of(&r, 0).is_none());
        r.meta.insert("ctx".into(), "system".into());
        r.text = Some(Content {
            text: "You are".into(),
            bytes: 4000,
            ..Content::default()
        });
        let n = node_of(&r, 3).unwrap();
        assert_eq!((n.role, n.n, n.tokens), (Role::System, 3, 1000));

        let mut call = record(Some(StepKind::Exec));
        call.input = Some(serde_json::json!({"command": "ls"}));
        assert_eq!(node_of(&call, 0).unwrap().role, Role::ToolCall);
        let mut result = record(None);
        result.output = Some(Content::default());
        assert_eq!(node_of(&result, 0).unwrap().role, Role::ToolResult);
        assert!(node_of(&record(None), 0).is_none());
        let mut raw = record(None);
        raw.meta
            .insert("raw".into(), Value::from("{\"type\":\"new\"}"));
        let kept = node_of(&raw, 0).unwrap();
        assert_eq!(
            (kept.role, kept.raw),
            (Role::Unknown, raw.meta.get("raw").cloned())
        );
    }
}
