//! The records git-traces stores and the steps it shows.
//!
//! Two schemas live here. A [`Record`] is one line of the hot-path journal
//! (`.git/traces/journal/<session>.jsonl`, schema [`JOURNAL_SCHEMA`]): one hook event or one transcript
//! record, already redacted. A [`Step`] is one entry of a sealed session's `trace.json` (schema
//! [`TRACE_SCHEMA`]), built by merging those records. Fields are only ever added; readers ignore
//! unknown ones.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Journal line schema version; bumped only with a migration.
pub const JOURNAL_SCHEMA: u32 = 1;
/// `trace.json` schema.
pub const TRACE_SCHEMA: &str = "git-traces/trace@1";
/// `manifest.json` schema.
pub const MANIFEST_SCHEMA: &str = "git-traces/manifest@1";
/// One line of `trail.jsonl.gz`.
pub const TRAIL_SCHEMA: &str = "git-traces/trail@1";

/// What a step did. The set is part of the read-side contract (`show --json`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepKind {
    User,
    Plan,
    Think,
    Read,
    Exec,
    Write,
    Answer,
    Tool,
    System,
}

impl StepKind {
    pub fn as_str(self) -> &'static str {
        match self {
            StepKind::User => "user",
            StepKind::Plan => "plan",
            StepKind::Think => "think",
            StepKind::Read => "read",
            StepKind::Exec => "exec",
            StepKind::Write => "write",
            StepKind::Answer => "answer",
            StepKind::Tool => "tool",
            StepKind::System => "system",
        }
    }
}

/// Where a journal record came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// An agent hook payload, received live.
    Hook,
    /// A record read from the harness's own session file.
    Transcript,
}

/// Text kept in a step: inline when small, otherwise an excerpt plus the full text in `blobs/`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Content {
    /// The text itself, or its excerpt when `blob` is set.
    pub text: String,
    /// Size in bytes of the full content.
    pub bytes: u64,
    /// sha256 of the full content, the name of `blobs/<sha256>` in the bucket.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blob: Option<String>,
    /// The git blob holding the full content (written at capture time, bound into the bucket at
    /// seal); absent when the content is over `traces.bigFileThreshold` and was not kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blob_oid: Option<String>,
    /// Set when the content is binary and was therefore never inlined.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub binary: bool,
}

/// A snapshot commit on `refs/traces/trails/<session>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    pub commit: String,
    pub tree: String,
    /// Made for changes that happened outside the agent between two of its steps.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub external: bool,
}

/// One journal line.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Record {
    pub v: u32,
    /// Receive time for hooks, the record's own timestamp for transcripts (RFC 3339, UTC).
    pub at: String,
    pub source: Source,
    /// Hook event name (`PostToolUse`) or transcript record type (`assistant`).
    pub event: String,
    /// Identities used to merge hook and transcript records of one step (`tool:<id>`, `prompt:<id>`,
    /// `text:<sha>`, `uuid:<uuid>`). Records sharing a key belong to the same step.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keys: Vec<String>,
    /// The step this record opens or completes; `None` for records that only carry metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<StepKind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool: Option<String>,
    /// Repository-relative paths the step names.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub paths: Vec<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub summary: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<Content>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<Content>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot: Option<Snapshot>,
    /// Where in the harness's session file the line this record came from starts (transcript
    /// records only): what `git ctx resume` cuts the file at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
    /// The provisional step number the hook used in the snapshot's `Trace-Step:` trailer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provisional_step: Option<u64>,
    /// Everything else worth keeping (model, usage, prompt id, source, error flags); for record
    /// types git-traces does not understand, the whole redacted record under `raw`.
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub meta: serde_json::Map<String, Value>,
    /// Fields only one harness has (Codex's sandbox policy, Pi's entry ids), under their own
    /// names: kept, never interpreted across harnesses.
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub extra: serde_json::Map<String, Value>,
}

impl Record {
    pub fn new(at: String, source: Source, event: impl Into<String>) -> Record {
        Record {
            v: JOURNAL_SCHEMA,
            at,
            source,
            event: event.into(),
            keys: Vec::new(),
            kind: None,
            tool: None,
            paths: Vec::new(),
            summary: String::new(),
            input: None,
            text: None,
            output: None,
            snapshot: None,
            offset: None,
            provisional_step: None,
            meta: serde_json::Map::new(),
            extra: serde_json::Map::new(),
        }
    }
}

/// One step of a sealed session (`trace.json` `steps[]`). The fields named in DESIGN.md's read-side
/// contract (`index`, `kind`, `tool`, `paths`, `started_at`, `summary`, `snapshot`) are always present.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Step {
    pub index: u64,
    pub kind: StepKind,
    pub tool: Option<String>,
    pub paths: Vec<String>,
    pub started_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<String>,
    pub summary: String,
    /// The snapshot commit this step produced, or null.
    pub snapshot: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub external: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<Content>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<Content>,
    /// `hook`, `transcript` or both: which sources saw this step.
    pub sources: Vec<Source>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keys: Vec<String>,
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub meta: serde_json::Map<String, Value>,
    /// Harness-specific fields of the step's records (see [`Record::extra`]).
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub extra: serde_json::Map<String, Value>,
}

/// `trace.json`: the session header and its ordered steps.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Trace {
    pub schema: String,
    pub id: String,
    pub harness: String,
    #[serde(default)]
    pub harness_version: Option<String>,
    #[serde(default)]
    pub cwd: Option<String>,
    pub started_at: String,
    pub ended_at: String,
    /// `HEAD` when the session started (null on an unborn branch).
    pub base: Option<String>,
    pub models: Vec<String>,
    #[serde(default)]
    pub transcript: Option<String>,
    pub steps: Vec<Step>,
}
