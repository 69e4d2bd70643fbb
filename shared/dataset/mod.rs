//! Datasets as code: a workflow projects the evidence into rows, a person reviews them, and only
//! approved rows leave, shaped as a Hugging Face dataset.
//!
//! A dataset lives on `refs/traces/datasets/<name>`: a commit whose tree is the published dataset
//! (`README.md`, `data/*.jsonl`, `schemas/row.schema.json`, `dataset_infos.json`,
//! `git-traces.json`) plus its state under `state/`: `dataset.json` (the workflow pin, every run
//! and publish), `rows.jsonl` (every row with its state, reason, provenance and scan) and
//! `workflow/` (the pinned copy of the workflow that built the rows, so `verify` can run it again
//! whatever happened to the directory on disk). Every change is a new commit on that ref, so the
//! review history is git history.
//!
//! Rows move `inbox` → `approved` → `published`, or end `rejected` (by a person, or because the
//! builder printed something that is not a row) or `blocked` (a security finding, a schema
//! violation, a stale scan); each with its reason. A row's id is the sha256 of its canonical JSON,
//! so running a workflow again never duplicates a row, and a row once reviewed keeps its state.

pub(crate) mod builders;
mod gate;
mod packet;
mod publish;
mod run;
mod verify;
mod workflow;

pub use builders::{build_rows, templates, Template};
pub use publish::{publish, Published};
pub use run::{run, Escalation, RunOutcome, RunRequest, RunSummary};
pub use verify::{verify, Verification};
pub use workflow::{Executor, Workflow};

use crate::store::{self, Files};
use git2::{Oid, Repository};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

pub const PREFIX: &str = "refs/traces/datasets/";
const META_SCHEMA: &str = "git-traces/dataset@1";
const META: &str = "state/dataset.json";
const ROWS: &str = "state/rows.jsonl";
const PINNED: &str = "state/workflow/";

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("no dataset '{0}' in this repository\nhint: 'git trace dataset new {0} --template <name>' creates it; 'git trace dataset status' lists them")]
    Missing(String),
    #[error("dataset '{0}' already exists on {PREFIX}{0}\nhint: pick another name, or run it: 'git trace dataset run {0}'")]
    Exists(String),
    #[error("'{0}' is not a dataset name: use letters, digits, '.', '_' and '-', not starting with '.' or '-'")]
    BadName(String),
    #[error("workflow {dir}: {why}")]
    Workflow { dir: String, why: String },
    #[error("no template '{0}'\nhint: 'git trace dataset templates' lists them")]
    NoTemplate(String),
    #[error("the workflow of dataset '{name}' changed: pinned {pinned}, now {now}\nhint: run without --strict to use it (the new digest is pinned), or restore the pinned workflow from {PREFIX}{name}:{PINNED}")]
    WorkflowChanged {
        name: String,
        pinned: String,
        now: String,
    },
    #[error("build_rows of {workflow} {how}; nothing was written\n{stderr}")]
    BuilderFailed {
        workflow: String,
        how: String,
        stderr: String,
    },
    #[error("{0}")]
    Review(String),
    #[error("cannot read the evidence: {0}")]
    Evidence(String),
    #[error("publish to {remote}: {why}")]
    Publish { remote: String, why: String },
    #[error("{path} was written with schema '{schema}', newer than this git-trace understands\nhint: install a newer git-traces")]
    SchemaTooNew { path: String, schema: String },
    #[error("{PREFIX}{name} is damaged: {why}\nhint: 'git log {PREFIX}{name}' shows its history; reset the ref to a good commit")]
    Damaged { name: String, why: String },
    #[error(transparent)]
    Store(#[from] store::Error),
    #[error(transparent)]
    Git(#[from] git2::Error),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

pub type Result<T> = std::result::Result<T, Error>;

/// Where a row stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    Inbox,
    Approved,
    Published,
    Rejected,
    Blocked,
}

impl State {
    pub const ALL: [State; 5] = [
        State::Inbox,
        State::Approved,
        State::Published,
        State::Rejected,
        State::Blocked,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            State::Inbox => "inbox",
            State::Approved => "approved",
            State::Published => "published",
            State::Rejected => "rejected",
            State::Blocked => "blocked",
        }
    }
}

/// Where a row came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    pub session: String,
    #[serde(default)]
    pub steps: Vec<u64>,
}

/// A secret or denied pattern found in a row: what kind, and where (a JSON pointer), never the text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowFinding {
    pub kind: String,
    pub at: String,
}

/// One row with its review state and provenance.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Row {
    pub id: String,
    pub state: State,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub data: serde_json::Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
    /// Digest of the workflow that built the row.
    pub workflow: String,
    /// The egress scanner version of the row's last scan.
    pub scanner: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<RowFinding>,
    /// The run that first produced it.
    pub run: u32,
    /// The shard it was published in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<String>,
}

/// The workflow a dataset is pinned to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pin {
    pub name: String,
    pub version: u32,
    pub digest: String,
    /// sha256 of `row.schema.json`: a new schema re-checks every row not yet published.
    pub schema_digest: String,
}

/// One `dataset run`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunRecord {
    pub n: u32,
    pub at: String,
    pub workflow: String,
    /// The selection as it was resolved (an age became a time), so `verify` reads the same.
    pub selection: workflow::Selection,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answers: Option<serde_json::Value>,
    pub head: Option<String>,
    pub sessions: Vec<String>,
    pub packet_digest: String,
    /// sha256 of everything `build_rows` printed.
    pub rows_digest: String,
    pub scanner: String,
    pub printed: usize,
    pub new: usize,
}

/// One `dataset publish`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PublishRecord {
    pub at: String,
    /// The remote as the user named it (credentials in a URL are never stored).
    pub remote: String,
    pub commit: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<String>,
    pub rows: usize,
}

/// `state/dataset.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Meta {
    pub schema: String,
    pub name: String,
    pub created_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<String>,
    /// The workflow directory on disk, relative to the top of the work tree.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workflow_dir: Option<String>,
    pub workflow: Pin,
    #[serde(default)]
    pub runs: Vec<RunRecord>,
    #[serde(default)]
    pub publishes: Vec<PublishRecord>,
}

/// A dataset as read from its ref.
#[derive(Debug, Clone)]
pub struct Dataset {
    pub meta: Meta,
    /// Sorted by id.
    pub rows: Vec<Row>,
    /// The pinned workflow.
    pub workflow: Workflow,
    /// The published part of the tree (`README.md`, `data/`, …), as it was last pushed.
    pub published: Files,
    tip: Option<Oid>,
}

pub fn dataset_ref(name: &str) -> String {
    format!("{PREFIX}{name}")
}

/// Names that are safe as a ref component and as a directory name.
pub(crate) fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with(['.', '-'])
        && !name.ends_with(".lock")
        && !name.contains("..")
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// Every dataset in the repository, by name.
pub fn names(repo: &Repository) -> Result<Vec<String>> {
    Ok(store::tips(repo, PREFIX)?.into_keys().collect())
}

impl Dataset {
    /// A new dataset pinned to `workflow`, not yet written.
    fn create(
        repo: &Repository,
        name: &str,
        workflow: Workflow,
        template: Option<&str>,
    ) -> Result<Dataset> {
        if !valid_name(name) {
            return Err(Error::BadName(name.to_string()));
        }
        if repo.refname_to_id(&dataset_ref(name)).is_ok() {
            return Err(Error::Exists(name.to_string()));
        }
        Ok(Dataset {
            meta: Meta {
                schema: META_SCHEMA.into(),
                name: name.to_string(),
                created_at: store::now_rfc3339(),
                template: template.map(str::to_string),
                workflow_dir: None,
                workflow: pin(&workflow),
                runs: Vec::new(),
                publishes: Vec::new(),
            },
            rows: Vec::new(),
            workflow,
            published: Files::new(),
            tip: None,
        })
    }

    pub fn load(repo: &Repository, name: &str) -> Result<Dataset> {
        if !valid_name(name) {
            return Err(Error::BadName(name.to_string()));
        }
        let tip = repo
            .refname_to_id(&dataset_ref(name))
            .map_err(|_| Error::Missing(name.to_string()))?;
        let mut files = store::read_files(repo, repo.find_commit(tip)?.tree_id())?;
        let damaged = |why: String| Error::Damaged {
            name: name.to_string(),
            why,
        };
        let (_, meta) = files
            .remove(META)
            .ok_or_else(|| damaged(format!("{META} is missing")))?;
        let meta: Meta =
            serde_json::from_slice(&meta).map_err(|e| damaged(format!("{META}: {e}")))?;
        if meta.schema != META_SCHEMA {
            return Err(Error::SchemaTooNew {
                path: format!("{}:{META}", dataset_ref(name)),
                schema: meta.schema,
            });
        }
        let rows = files.remove(ROWS).map(|(_, b)| b).unwrap_or_default();
        let rows = rows
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .map(|l| serde_json::from_slice(l).map_err(|e| damaged(format!("{ROWS}: {e}"))))
            .collect::<Result<Vec<Row>>>()?;
        let pinned: Files = files
            .iter()
            .filter_map(|(p, f)| Some((p.strip_prefix(PINNED)?.to_string(), f.clone())))
            .collect();
        files.retain(|p, _| !p.starts_with("state/"));
        let workflow = Workflow::from_files(pinned, &format!("{}:{PINNED}", dataset_ref(name)))?;
        Ok(Dataset {
            meta,
            rows,
            workflow,
            published: files,
            tip: Some(tip),
        })
    }

    pub fn name(&self) -> &str {
        &self.meta.name
    }

    /// Counts per state, every state present.
    pub fn counts(&self) -> BTreeMap<State, usize> {
        let mut counts: BTreeMap<State, usize> = State::ALL.iter().map(|s| (*s, 0)).collect();
        for row in &self.rows {
            *counts.entry(row.state).or_default() += 1;
        }
        counts
    }

    /// The row whose id starts with `prefix` (at least 4 characters, unique).
    pub fn find(&self, prefix: &str) -> Result<usize> {
        if prefix.len() < 4 {
            return Err(Error::Review(format!(
                "row id '{prefix}' is too short: give at least 4 characters"
            )));
        }
        let hits: Vec<usize> = (0..self.rows.len())
            .filter(|&i| self.rows[i].id.starts_with(prefix))
            .collect();
        match hits.as_slice() {
            [one] => Ok(*one),
            [] => Err(Error::Review(format!(
                "no row '{prefix}' in dataset '{}'\nhint: 'git trace dataset review {}' lists them",
                self.name(),
                self.name()
            ))),
            _ => Err(Error::Review(format!(
                "row id '{prefix}' is ambiguous in dataset '{}': give more characters",
                self.name()
            ))),
        }
    }

    /// The workflow directory on disk, when the dataset has one and it exists.
    pub fn workflow_dir(&self, repo: &Repository) -> Option<PathBuf> {
        let dir = repo.workdir()?.join(self.meta.workflow_dir.as_ref()?);
        dir.is_dir().then_some(dir)
    }

    /// Writes the dataset as a new commit on its ref (compare-and-swap against the commit it was
    /// read from), with the dataset's lock held.
    pub fn save(&mut self, repo: &Repository, message: &str) -> Result<Oid> {
        let traces = store::Traces::of(repo);
        let _lock = store::SessionLock::acquire(
            &traces,
            &format!("dataset.{}", self.name()),
            Duration::from_secs(10),
        )?;
        let mut files = self.published.clone();
        files.insert(META.into(), (false, crate::render::json_bytes(&self.meta)));
        self.rows.sort_by(|a, b| a.id.cmp(&b.id));
        let mut rows = Vec::new();
        for row in &self.rows {
            serde_json::to_writer(&mut rows, row).expect("json");
            rows.push(b'\n');
        }
        files.insert(ROWS.into(), (false, rows));
        for (path, file) in &self.workflow.files {
            files.insert(format!("{PINNED}{path}"), file.clone());
        }
        let tree = repo.find_tree(store::write_files(repo, &files)?)?;
        let sig = git2::Signature::now("git-traces", "git-traces@localhost")?;
        let parents: Vec<git2::Commit> = self
            .tip
            .map(|t| repo.find_commit(t))
            .transpose()?
            .into_iter()
            .collect();
        let parents: Vec<&git2::Commit> = parents.iter().collect();
        let commit = repo.commit(
            None,
            &sig,
            &sig,
            &format!("dataset {}: {message}\n", self.name()),
            &tree,
            &parents,
        )?;
        store::update_ref(
            repo,
            &traces,
            store::RefUpdate {
                name: &dataset_ref(self.name()),
                new: commit,
                expected: self.tip,
                message: &format!("dataset {}: {message}", self.name()),
            },
        )?;
        self.tip = Some(commit);
        Ok(commit)
    }

    /// Pins `workflow`: rows built from now on name its digest.
    pub(crate) fn pin(&mut self, workflow: Workflow) {
        self.meta.workflow = pin(&workflow);
        self.workflow = workflow;
    }
}

fn pin(workflow: &Workflow) -> Pin {
    Pin {
        name: workflow.manifest.name.clone(),
        version: workflow.manifest.version,
        digest: workflow.digest.clone(),
        schema_digest: crate::capture::sha256_hex(&workflow.files[workflow::SCHEMA].1),
    }
}

/// The rows a built-in template makes of all the evidence, built in-process: how `git trace
/// skill` reads skill runs, through the same code a `skill-runs` dataset uses.
pub fn template_rows(repo: &Repository, template: &str) -> Result<Vec<serde_json::Value>> {
    let workflow = builders::template(template)?.workflow(template)?;
    let packet = packet::build(
        repo,
        &packet::Request {
            dataset: template,
            workflow: &workflow,
            selection: &workflow.manifest.select,
            answers: None,
        },
    )?;
    let rows = builders::build_rows(template, &packet.bytes)?;
    Ok(rows
        .split(|&b| b == b'\n')
        .filter_map(|l| serde_json::from_slice(l).ok())
        .collect())
}

/// `dataset new`: writes the template's workflow into `dir` and creates the dataset pinned to it.
pub fn new_dataset(
    repo: &Repository,
    name: &str,
    template: &str,
    dir: &std::path::Path,
) -> Result<Dataset> {
    let template = builders::template(template)?;
    if dir.exists() && std::fs::read_dir(dir)?.next().is_some() {
        return Err(Error::Workflow {
            dir: dir.display().to_string(),
            why: "the directory exists and is not empty; pick another with --dir".into(),
        });
    }
    let mut dataset = Dataset::create(repo, name, template.workflow(name)?, Some(template.name))?;
    std::fs::create_dir_all(dir)?;
    // Both sides canonical, so a symlinked path to the work tree still reads as inside it.
    let dir = dir.canonicalize()?;
    dataset.meta.workflow_dir = repo
        .workdir()
        .and_then(|top| dir.strip_prefix(top.canonicalize().ok()?).ok())
        .and_then(|p| p.to_str())
        .map(str::to_string);
    dataset.workflow.write_to(&dir)?;
    dataset.save(repo, &format!("new, from template {}", template.name))?;
    Ok(dataset)
}

/// `dataset review … approve|reject`: moves rows from the inbox. `approve` takes inbox rows only
/// (a blocked row stays blocked until a run builds it clean); `reject` takes any row not yet
/// published.
pub fn decide(
    repo: &Repository,
    name: &str,
    approve: bool,
    rows: &[String],
    all: bool,
    reason: Option<&str>,
) -> Result<Vec<String>> {
    let mut dataset = Dataset::load(repo, name)?;
    let picked: Vec<usize> = if all {
        (0..dataset.rows.len())
            .filter(|&i| dataset.rows[i].state == State::Inbox)
            .collect()
    } else {
        rows.iter()
            .map(|r| dataset.find(r))
            .collect::<Result<Vec<_>>>()?
    };
    for &i in &picked {
        let row = &dataset.rows[i];
        let refuse = |why: &str| {
            Err(Error::Review(format!(
                "row {} is {}{}: {why}",
                &row.id[..12],
                row.state.as_str(),
                row.reason
                    .as_ref()
                    .map_or(String::new(), |r| format!(" ({r})"))
            )))
        };
        match (approve, row.state) {
            (_, State::Published) => return refuse("it has been published already"),
            (true, State::Blocked) => {
                return refuse("fix the workflow or the evidence and run again")
            }
            (true, State::Rejected) => return refuse("it was rejected"),
            _ => {}
        }
    }
    let verb = if approve { "approve" } else { "reject" };
    let mut moved = Vec::new();
    for &i in &picked {
        let row = &mut dataset.rows[i];
        let state = if approve {
            State::Approved
        } else {
            State::Rejected
        };
        if row.state != state {
            row.state = state;
            row.reason = (!approve).then(|| reason.unwrap_or("rejected in review").to_string());
            moved.push(row.id.clone());
        }
    }
    if !moved.is_empty() {
        dataset.save(repo, &format!("{verb} {} rows", moved.len()))?;
    }
    Ok(moved)
}
