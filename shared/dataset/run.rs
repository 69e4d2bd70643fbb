//! `dataset run`: select the evidence, hand it to the workflow's `build_rows`, gate every row, and
//! keep them in the inbox, all in one commit or not at all.
//!
//! `build_rows <packet.json>` runs in a scratch copy of the workflow, in its own process group,
//! killed after the timeout. It prints one JSON row a line on stdout and exits 0; or, when it
//! needs a person to decide something, exits [`EXIT_ESCALATE`] and prints its questions (one JSON
//! object a line, each with an `id` and a `question`): nothing is written, and the run is resumed
//! with `--answers FILE`, whose object reaches the builder as the packet's `answers`. Any other
//! exit is a failure and nothing is written either.

use super::packet::{self, Packet};
use super::workflow::{Executor, Selection};
use super::{Dataset, Error, Result, Row, RunRecord, State, Workflow};
use crate::security;
use git2::Repository;
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

/// The exit code of a builder that needs a human decision.
pub const EXIT_ESCALATE: i32 = 3;

pub struct RunRequest {
    /// Overrides the workflow's `select.since`.
    pub since: Option<String>,
    /// Someone else's workflow, run over this repository's evidence.
    pub workflow_dir: Option<PathBuf>,
    /// Refuse to run a workflow whose digest is not the pinned one.
    pub strict: bool,
    pub answers: Option<Value>,
    pub timeout: Duration,
}

/// The builder stopped to ask.
#[derive(Debug, Serialize)]
pub struct Escalation {
    pub questions: Vec<Value>,
}

#[derive(Debug, Serialize)]
pub struct RunSummary {
    pub dataset: String,
    pub run: u32,
    pub workflow: String,
    /// Set when the workflow's digest differed from the pinned one: (pinned, now).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workflow_changed: Option<(String, String)>,
    pub selection: Selection,
    pub sessions: usize,
    /// Lines `build_rows` printed.
    pub printed: usize,
    /// Rows not seen before, by the state the gate gave them.
    pub new: BTreeMap<State, usize>,
    /// Rows seen before that the gate blocked this time (a new schema, scanner or deny rule).
    pub newly_blocked: usize,
    pub counts: BTreeMap<State, usize>,
}

pub enum RunOutcome {
    Done(Box<RunSummary>),
    Escalated(Escalation),
}

/// What `build_rows` gave back.
pub(super) enum Built {
    Rows(Vec<u8>),
    Questions(Vec<Value>),
}

pub fn run(repo: &Repository, name: &str, request: &RunRequest) -> Result<RunOutcome> {
    let mut dataset = Dataset::load(repo, name)?;
    let workflow = match request
        .workflow_dir
        .clone()
        .or_else(|| dataset.workflow_dir(repo))
    {
        Some(dir) => Workflow::load(&dir)?,
        None => dataset.workflow.clone(),
    };
    let changed = (workflow.digest != dataset.meta.workflow.digest).then(|| {
        (
            dataset.meta.workflow.digest.clone(),
            workflow.digest.clone(),
        )
    });
    if let (Some((pinned, now)), true) = (&changed, request.strict) {
        return Err(Error::WorkflowChanged {
            name: name.to_string(),
            pinned: pinned.clone(),
            now: now.clone(),
        });
    }
    let selection = resolve(&workflow.manifest.select, request.since.as_deref())?;
    let packet = packet::build(
        repo,
        &packet::Request {
            dataset: name,
            workflow: &workflow,
            selection: &selection,
            answers: request.answers.as_ref(),
        },
    )?;
    let printed = match execute(&workflow, &packet, request.timeout)? {
        Built::Rows(bytes) => bytes,
        Built::Questions(questions) => return Ok(RunOutcome::Escalated(Escalation { questions })),
    };
    let n = dataset.meta.runs.last().map_or(1, |r| r.n + 1);
    let gate = super::gate::Gate::new(&workflow, packet.sessions.iter().cloned())?;
    let lines: Vec<&str> = std::str::from_utf8(&printed)
        .map_err(|_| Error::BuilderFailed {
            workflow: workflow.label(),
            how: "printed bytes that are not UTF-8".into(),
            stderr: String::new(),
        })?
        .lines()
        .filter(|l| !l.trim().is_empty())
        .collect();
    let mut new = BTreeMap::new();
    let mut index: HashMap<String, usize> = dataset
        .rows
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id.clone(), i))
        .collect();
    let mut newly_blocked = 0;
    let mut built = HashSet::new();
    for (i, line) in lines.iter().enumerate() {
        let row = gate.line(i + 1, line, n);
        let at = match index.get(&row.id) {
            Some(&at) => {
                let before = dataset.rows[at].state;
                merge(&mut dataset.rows[at], row);
                newly_blocked += usize::from(
                    before != State::Blocked && dataset.rows[at].state == State::Blocked,
                );
                at
            }
            None => {
                *new.entry(row.state).or_default() += 1;
                index.insert(row.id.clone(), dataset.rows.len());
                dataset.rows.push(row);
                dataset.rows.len() - 1
            }
        };
        built.insert(at);
    }
    // Rows waiting for review or publish that this run did not build meet the current schema
    // and scanner too.
    for (_, row) in
        dataset.rows.iter_mut().enumerate().filter(|(i, r)| {
            !built.contains(i) && matches!(r.state, State::Inbox | State::Approved)
        })
    {
        gate.recheck(row);
        newly_blocked += usize::from(row.state == State::Blocked);
    }
    dataset.pin(workflow);
    dataset.meta.runs.push(RunRecord {
        n,
        at: crate::store::now_rfc3339(),
        workflow: dataset.meta.workflow.digest.clone(),
        selection: selection.clone(),
        answers: request.answers.clone(),
        head: repo
            .head()
            .ok()
            .and_then(|h| h.target())
            .map(|o| o.to_string()),
        sessions: packet.sessions.clone(),
        packet_digest: packet.digest.clone(),
        rows_digest: crate::capture::sha256_hex(&printed),
        scanner: security::EGRESS_VERSION.into(),
        printed: lines.len(),
        new: new.values().sum(),
    });
    let added: usize = new.values().sum();
    dataset.save(
        repo,
        &format!(
            "run {n}: {} rows printed, {added} new, from {} sessions",
            lines.len(),
            packet.sessions.len()
        ),
    )?;
    Ok(RunOutcome::Done(Box::new(RunSummary {
        dataset: name.to_string(),
        run: n,
        workflow: dataset.workflow.label(),
        workflow_changed: changed,
        selection,
        sessions: packet.sessions.len(),
        printed: lines.len(),
        new,
        newly_blocked,
        counts: dataset.counts(),
    })))
}

/// A row built again: a reviewed or published row keeps its state unless the gate now blocks it;
/// a row in the inbox or blocked takes the new verdict.
fn merge(old: &mut Row, new: Row) {
    let first_run = old.run;
    match old.state {
        State::Inbox | State::Blocked => {
            *old = new;
            old.run = first_run;
        }
        State::Approved if new.state == State::Blocked => {
            old.state = State::Blocked;
            old.reason = new.reason;
            old.findings = new.findings;
            old.scanner = new.scanner;
        }
        State::Approved | State::Published | State::Rejected => {}
    }
}

/// The selection with `--since` applied and an age turned into a time, so the run can be read
/// again exactly.
fn resolve(select: &Selection, since: Option<&str>) -> Result<Selection> {
    let mut out = select.clone();
    if let Some(text) = since.or(select.since.as_deref()) {
        let ms = crate::query::parse_since(text).map_err(|why| Error::Workflow {
            dir: "--since".into(),
            why,
        })?;
        out.since = Some(crate::store::format_unix_ms(ms));
    }
    Ok(out)
}

/// Runs `build_rows` on `packet`.
pub(super) fn execute(workflow: &Workflow, packet: &Packet, timeout: Duration) -> Result<Built> {
    let scratch = tempfile::Builder::new()
        .prefix("git-trace-dataset-")
        .tempdir()?;
    let dir = scratch.path().join("workflow");
    workflow.write_to(&dir)?;
    let packet_path = scratch.path().join("packet.json");
    std::fs::write(&packet_path, &packet.bytes)?;
    let stdout_path = scratch.path().join("rows.jsonl");
    let stderr_path = scratch.path().join("stderr");
    let home = scratch.path().join("home");
    std::fs::create_dir_all(&home)?;
    let mut cmd = Command::new(dir.join(super::workflow::BUILDER));
    cmd.arg(&packet_path)
        .current_dir(&dir)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&stdout_path)?)
        .stderr(std::fs::File::create(&stderr_path)?)
        .process_group(0);
    if workflow.manifest.executor == Executor::Script {
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &home)
            .env("TMPDIR", &home)
            .env("LANG", "C.UTF-8");
    }
    let failed = |how: String| {
        let stderr = std::fs::read(&stderr_path).unwrap_or_default();
        let tail = String::from_utf8_lossy(&stderr[stderr.len().saturating_sub(4000)..]);
        Error::BuilderFailed {
            workflow: workflow.label(),
            how,
            stderr: tail.trim_end().to_string(),
        }
    };
    let mut child = cmd
        .spawn()
        .map_err(|e| failed(format!("could not start: {e}")))?;
    let Some(status) = crate::capsule::replay::wait_or_kill(&mut child, timeout)? else {
        return Err(failed(format!(
            "did not finish within {} s and was killed",
            timeout.as_secs()
        )));
    };
    let out = std::fs::read(&stdout_path)?;
    match status.code() {
        Some(0) => Ok(Built::Rows(out)),
        Some(EXIT_ESCALATE) => {
            let questions: Vec<Value> = String::from_utf8_lossy(&out)
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(|l| {
                    serde_json::from_str(l).unwrap_or_else(|_| serde_json::json!({"question": l}))
                })
                .collect();
            if questions.is_empty() {
                return Err(failed(format!(
                    "exited {EXIT_ESCALATE} (needs a decision) but asked no question on stdout"
                )));
            }
            Ok(Built::Questions(questions))
        }
        Some(code) => Err(failed(format!("exited {code}"))),
        None => Err(failed("was killed by a signal".into())),
    }
}
