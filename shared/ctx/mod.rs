//! ctx: what the model could see at each step, reconstructed from the sealed session, so any step
//! can be inspected (`git ctx show`), compared (`diff`), exported (`pack`) or resumed (`resume`).

mod node;
pub mod resume;
mod translate;
mod window;

pub use node::{feeds_context, node_of, Node, Role, CTX_SCHEMA};

use crate::model::{Content, Step, Trace};
use crate::read::{self, Error};
use crate::store;
use git2::{Oid, Repository};
use serde::Serialize;
use serde_json::Value;
use std::io::Read;

/// A sealed session with its ctx nodes.
pub struct Session {
    pub trace: Trace,
    pub nodes: Vec<Node>,
    seal: Oid,
}

/// Loads a session's trace and `context.jsonl.gz`.
pub fn load(repo: &Repository, session: &str) -> Result<Session, Error> {
    let trace = read::load_trace(repo, session)?;
    let seal = read::bucket_commit(repo, session)?.expect("load_trace found it");
    let corrupt = |reason: String| Error::Corrupt {
        session: session.into(),
        what: "context.jsonl.gz".into(),
        reason,
    };
    let gz = store::read_member(repo, seal, "context.jsonl.gz")?.unwrap_or_default();
    let mut text = String::new();
    flate2::read::MultiGzDecoder::new(&gz[..])
        .read_to_string(&mut text)
        .map_err(|e| corrupt(e.to_string()))?;
    let mut nodes = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let value: Value = serde_json::from_str(line).map_err(|e| corrupt(e.to_string()))?;
        if value["schema"].as_str() != Some(CTX_SCHEMA) {
            return Err(corrupt(format!(
                "written before ctx nodes existed (line schema {}); run 'git trace import' on its session file to rebuild it",
                value["schema"]
            )));
        }
        nodes.push(serde_json::from_value(value).map_err(|e| corrupt(e.to_string()))?);
    }
    Ok(Session { trace, nodes, seal })
}

/// One item of a window, as `show` and `diff` list it.
#[derive(Debug, Clone, Serialize)]
pub struct Item {
    pub n: u64,
    pub role: Role,
    /// The step the item belongs to (None for context no step shows, like a system prompt).
    pub step: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool: Option<String>,
    pub tokens: u64,
    pub bytes: u64,
    pub summary: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blob: Option<String>,
}

/// A session read once by pages that draw its context when it has one: a long trace is parsed
/// once, whether the ctx nodes come with it or not.
pub enum Loaded {
    Context(Session),
    /// The bucket has no readable context (sealed before ctx nodes, or damaged).
    TraceOnly(Trace),
}

impl Loaded {
    /// The session with its context, else its trace alone.
    pub fn read(repo: &Repository, session: &str) -> Result<Loaded, Error> {
        match load(repo, session) {
            Ok(s) => Ok(Loaded::Context(s)),
            Err(_) => Ok(Loaded::TraceOnly(read::load_trace(repo, session)?)),
        }
    }

    pub fn trace(&self) -> &Trace {
        match self {
            Loaded::Context(s) => &s.trace,
            Loaded::TraceOnly(t) => t,
        }
    }

    pub fn context(&self) -> Option<&Session> {
        match self {
            Loaded::Context(s) => Some(s),
            Loaded::TraceOnly(_) => None,
        }
    }
}

/// The window right before a step.
#[derive(Debug, Clone, Serialize)]
pub struct Window {
    pub schema: &'static str,
    pub session: String,
    pub harness: String,
    pub step: u64,
    pub tokens: u64,
    pub items: Vec<Item>,
}

impl Session {
    /// The step at `index`, or the read error naming the session's range.
    pub fn step(&self, index: u64) -> Result<&Step, Error> {
        read::step(&self.trace, index)
    }

    /// Indexes into `nodes` of the window right before step `index`.
    pub fn window_nodes(&self, index: u64) -> Result<Vec<usize>, Error> {
        self.step(index)?;
        let cut = window::cut(&self.nodes, &self.trace.steps, index as usize);
        Ok(window::window(&self.nodes, cut))
    }

    pub fn window(&self, index: u64) -> Result<Window, Error> {
        let items: Vec<Item> = self
            .window_nodes(index)?
            .into_iter()
            .map(|i| self.item(&self.nodes[i]))
            .collect();
        Ok(Window {
            schema: "git-traces/ctx-window@1",
            session: self.trace.id.clone(),
            harness: self.trace.harness.clone(),
            step: index,
            tokens: items.iter().map(|i| i.tokens).sum(),
            items,
        })
    }

    /// The step a node belongs to: the first whose keys it shares (identity keys first).
    pub fn step_of(&self, node: &Node) -> Option<u64> {
        let find = |text: bool| {
            self.trace.steps.iter().find(|s| {
                node.keys
                    .iter()
                    .any(|k| k.starts_with("text:") == text && s.keys.contains(k))
            })
        };
        find(false).or_else(|| find(true)).map(|s| s.index)
    }

    fn item(&self, node: &Node) -> Item {
        let text = node.content.as_ref().map(|c| c.text.as_str()).unwrap_or("");
        let summary = match (&node.tool, &node.input) {
            (Some(tool), Some(input)) => format!("{tool} {}", input_summary(input)),
            // A boundary with no text of its own (Claude Code's compaction marker).
            _ if text.is_empty() => format!("[{}]", node.role.as_str()),
            _ => crate::render::first_line(text, 100),
        };
        Item {
            n: node.n,
            role: node.role,
            step: self.step_of(node),
            tool: node.tool.clone(),
            tokens: node.tokens,
            bytes: node.content.as_ref().map_or(0, |c| c.bytes),
            summary,
            blob: node.content.as_ref().and_then(|c| c.blob.clone()),
        }
    }

    /// The whole text of a node's content, from the bucket's blob when it was too large to inline.
    pub fn full_text(&self, repo: &Repository, content: &Content) -> Result<String, Error> {
        let Some(sha) = &content.blob else {
            return Ok(content.text.clone());
        };
        Ok(
            match store::read_member(repo, self.seal, &format!("blobs/{sha}"))? {
                Some(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
                // Over traces.bigFileThreshold: only the excerpt was kept.
                None => content.text.clone(),
            },
        )
    }

    /// The latest trail snapshot at or before step `index` (the working tree the model saw), else
    /// the session's base commit.
    pub fn snapshot_before(&self, index: u64) -> Option<String> {
        self.trace.steps[..index as usize]
            .iter()
            .rev()
            .find_map(|s| s.snapshot.clone())
            .or_else(|| self.trace.base.clone())
    }
}

/// A tool input in one line: its command, path or pattern, else its first string.
fn input_summary(input: &Value) -> String {
    let pick = [
        "command",
        "cmd",
        "file_path",
        "path",
        "pattern",
        "patch",
        "url",
        "query",
    ]
    .iter()
    .find_map(|k| input.get(*k))
    .or_else(|| input.as_object()?.values().find(|v| v.is_string()));
    match pick {
        Some(Value::String(s)) => crate::render::first_line(s, 100),
        Some(other) => crate::render::first_line(&other.to_string(), 100),
        None => crate::render::first_line(&input.to_string(), 100),
    }
}

/// What entered and what left the window between two steps.
#[derive(Debug, Clone, Serialize)]
pub struct Diff {
    pub schema: &'static str,
    pub session: String,
    pub from: u64,
    pub to: u64,
    pub tokens_from: u64,
    pub tokens_to: u64,
    pub entered: Vec<Item>,
    pub left: Vec<Item>,
}

pub fn diff(a: &Window, b: &Window) -> Diff {
    let has = |w: &Window, n: u64| w.items.iter().any(|i| i.n == n);
    Diff {
        schema: "git-traces/ctx-diff@1",
        session: b.session.clone(),
        from: a.step,
        to: b.step,
        tokens_from: a.tokens,
        tokens_to: b.tokens,
        entered: b.items.iter().filter(|i| !has(a, i.n)).cloned().collect(),
        left: a.items.iter().filter(|i| !has(b, i.n)).cloned().collect(),
    }
}

/// The context pack: everything needed to put a model back where it stood before a step. Read
/// back from a capsule's `context/pack.json` to re-pose a harness there.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Pack {
    pub schema: String,
    pub session: String,
    pub step: u64,
    pub runtime: Runtime,
    pub tokens: u64,
    pub system: Option<String>,
    pub tools: Option<Value>,
    pub messages: Vec<Message>,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Runtime {
    pub harness: String,
    pub harness_version: Option<String>,
    pub models: Vec<String>,
    pub cwd: Option<String>,
    /// `HEAD` when the session started.
    pub base: Option<String>,
    /// The trail snapshot commit holding the working tree right before the step.
    pub snapshot: Option<String>,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Message {
    pub role: Role,
    pub step: Option<u64>,
    pub at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub call_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input: Option<Value>,
}

impl Session {
    pub fn pack(&self, repo: &Repository, index: u64) -> Result<Pack, Error> {
        let window = self.window_nodes(index)?;
        let mut system = None;
        let mut tools = None;
        let mut messages = Vec::new();
        let mut tokens = 0;
        for &i in &window {
            let node = &self.nodes[i];
            tokens += node.tokens;
            let text = node
                .content
                .as_ref()
                .map(|c| self.full_text(repo, c))
                .transpose()?;
            match node.role {
                Role::System => system = text,
                Role::Tools => {
                    tools = text.map(|t| serde_json::from_str(&t).unwrap_or(Value::String(t)))
                }
                _ => messages.push(Message {
                    role: node.role,
                    step: self.step_of(node),
                    at: node.at.clone(),
                    text,
                    tool: node.tool.clone(),
                    call_id: node
                        .keys
                        .iter()
                        .find_map(|k| k.strip_prefix("tool:"))
                        .map(str::to_string),
                    input: node.input.clone(),
                }),
            }
        }
        Ok(Pack {
            schema: "git-traces/ctx-pack@1".into(),
            session: self.trace.id.clone(),
            step: index,
            runtime: Runtime {
                harness: self.trace.harness.clone(),
                harness_version: self.trace.harness_version.clone(),
                models: self.trace.models.clone(),
                cwd: self.trace.cwd.clone(),
                base: self.trace.base.clone(),
                snapshot: self.snapshot_before(index),
            },
            tokens,
            system,
            tools,
            messages,
        })
    }
}
