//! The harnesses git-traces captures, and the adapter each one's hooks and session files go
//! through. Every adapter produces the same [`Record`]s, so everything after capture (merge, seal,
//! show, trail) is harness-blind.

use super::{claude, codex, pi, Action};
use crate::model::Record;
use serde_json::Value;
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Harness {
    Claude,
    Codex,
    Pi,
}

/// Harness names as hooks, `import` and `trace.json` spell them.
pub const HARNESSES: &[&str] = &["claude", "codex", "pi"];

impl Harness {
    pub const ALL: [Harness; 3] = [Harness::Claude, Harness::Codex, Harness::Pi];

    pub fn parse(name: &str) -> Option<Harness> {
        match name {
            "claude" => Some(Harness::Claude),
            "codex" => Some(Harness::Codex),
            "pi" => Some(Harness::Pi),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Harness::Claude => "claude",
            Harness::Codex => "codex",
            Harness::Pi => "pi",
        }
    }

    /// Where the harness keeps its session files, for messages.
    pub fn session_files(self) -> &'static str {
        match self {
            Harness::Claude => "~/.claude/projects/<dir>/<session>.jsonl",
            Harness::Codex => "~/.codex/sessions/YYYY/MM/DD/rollout-<time>-<session>.jsonl",
            Harness::Pi => "~/.pi/agent/sessions/--<dir>--/<time>_<session>.jsonl",
        }
    }

    /// What a hook event means for capture.
    pub(crate) fn action(self, event: &str, body: &Value, workdir: &Path, cwd: &Path) -> Action {
        match self {
            Harness::Claude => claude::action(event, body, workdir, cwd),
            Harness::Codex => codex::action(event, body, workdir, cwd),
            Harness::Pi => pi::action(event, body, workdir, cwd),
        }
    }

    /// The journal record for one (redacted) hook payload.
    pub(crate) fn hook_record(
        self,
        repo: &git2::Repository,
        event: &str,
        body: &Value,
        action: &Action,
        at: String,
    ) -> Result<Record, git2::Error> {
        match self {
            Harness::Claude => claude::hook_record(repo, event, body, action, at),
            Harness::Codex => codex::hook_record(repo, event, body, action, at),
            Harness::Pi => pi::hook_record(repo, event, body, action, at),
        }
    }

    /// Journal records for one (redacted) line of the harness's session file.
    pub(crate) fn transcript_records(
        self,
        repo: &git2::Repository,
        line: &Value,
        workdir: &Path,
        cwd: &Path,
    ) -> Result<Vec<Record>, git2::Error> {
        match self {
            Harness::Claude => claude::transcript_records(repo, line, workdir, cwd),
            Harness::Codex => codex::transcript_records(repo, line, workdir, cwd),
            Harness::Pi => pi::transcript_records(repo, line, workdir, cwd),
        }
    }

    /// The session id and working directory a session file records about itself.
    pub(crate) fn session_header(self, text: &[u8]) -> SessionHeader {
        match self {
            Harness::Claude => claude::session_header(text),
            Harness::Codex => codex::session_header(text),
            Harness::Pi => pi::session_header(text),
        }
    }
}

impl std::fmt::Display for Harness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What a session file says about the session it holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct SessionHeader {
    pub session: Option<String>,
    pub cwd: Option<String>,
    /// The commit checked out when the session started, where the file records it (Codex).
    pub commit: Option<String>,
}
