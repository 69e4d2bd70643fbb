//! `dataset verify`: is this dataset what its workflow makes of this evidence?
//!
//! The last run is done again: the packet is rebuilt from the evidence with the run's resolved
//! selection and answers, and the pinned workflow's `build_rows` runs on it. Three answers:
//!
//! * `reproduces` — same packet, byte-identical rows.
//! * `evidence-advanced` — the packet differs (a new session, a commit that changed what
//!   survived); the rows are not compared, since they are expected to differ.
//! * `integrity-failure` — the same packet gave other rows (the builder is not deterministic, or
//!   the recorded digest was edited), or the stored rows and shards no longer match their ids and
//!   digests.

use super::packet;
use super::run::{execute, Built};
use super::{gate, Dataset, Error, Result, State};
use git2::Repository;
use serde::Serialize;
use std::time::Duration;

#[derive(Debug, Serialize)]
pub struct Verification {
    pub dataset: String,
    pub status: &'static str,
    pub run: u32,
    pub workflow: String,
    /// What decided the status, one line each.
    pub details: Vec<String>,
}

pub fn verify(repo: &Repository, name: &str, timeout: Duration) -> Result<Verification> {
    let dataset = Dataset::load(repo, name)?;
    let Some(last) = dataset.meta.runs.last() else {
        return Err(Error::Review(format!(
            "dataset '{name}' has no run to verify\nhint: 'git trace dataset run {name}' first"
        )));
    };
    let mut out = Verification {
        dataset: name.to_string(),
        status: "reproduces",
        run: last.n,
        workflow: dataset.workflow.label(),
        details: Vec::new(),
    };
    let damage = stored_damage(&dataset);
    if !damage.is_empty() {
        out.status = "integrity-failure";
        out.details = damage;
        return Ok(out);
    }
    if let Some(dir) = dataset.workflow_dir(repo) {
        if let Ok(disk) = super::Workflow::load(&dir) {
            if disk.digest != dataset.workflow.digest {
                out.details.push(format!(
                    "note: the workflow in {} has changed since the run ({} → {}); verified with the pinned one",
                    dir.display(),
                    &dataset.workflow.digest[..12],
                    &disk.digest[..12]
                ));
            }
        }
    }
    let packet = packet::build(
        repo,
        &packet::Request {
            dataset: name,
            workflow: &dataset.workflow,
            selection: &last.selection,
            answers: last.answers.as_ref(),
        },
    )?;
    if packet.digest != last.packet_digest {
        out.status = "evidence-advanced";
        let added: Vec<&String> = packet
            .sessions
            .iter()
            .filter(|s| !last.sessions.contains(s))
            .collect();
        let gone: Vec<&String> = last
            .sessions
            .iter()
            .filter(|s| !packet.sessions.contains(s))
            .collect();
        for s in &added {
            out.details
                .push(format!("session {s} is new since run {}", last.n));
        }
        for s in &gone {
            out.details
                .push(format!("session {s} is no longer selected or readable"));
        }
        let head = repo
            .head()
            .ok()
            .and_then(|h| h.target())
            .map(|o| o.to_string());
        if head != last.head {
            out.details.push(format!(
                "HEAD moved from {} to {}: survival states are decided against it",
                last.head.as_deref().map_or("nothing", |h| &h[..12]),
                head.as_deref().map_or("nothing", |h| &h[..12])
            ));
        }
        if added.is_empty() && gone.is_empty() && head == last.head {
            out.details
                .push("the same sessions read differently (re-sealed or re-imported)".into());
        }
        return Ok(out);
    }
    match execute(&dataset.workflow, &packet, timeout)? {
        Built::Rows(bytes) => {
            let digest = crate::capture::sha256_hex(&bytes);
            if digest != last.rows_digest {
                out.status = "integrity-failure";
                out.details.push(format!(
                    "same evidence, other rows: build_rows printed {} (sha256 {}) where run {} recorded {}",
                    bytes.split(|&b| b == b'\n').filter(|l| !l.is_empty()).count(),
                    &digest[..12],
                    last.n,
                    &last.rows_digest[..12]
                ));
            } else {
                out.details.push(format!(
                    "packet {} and rows {} match run {}",
                    &packet.digest[..12],
                    &digest[..12],
                    last.n
                ));
            }
        }
        Built::Questions(q) => {
            out.status = "integrity-failure";
            out.details.push(format!(
                "build_rows asked {} question(s) on the evidence it answered in run {}",
                q.len(),
                last.n
            ));
        }
    }
    Ok(out)
}

/// Rows whose data no longer hashes to their id, and published shards that no longer match the
/// digests `git-traces.json` recorded for them.
fn stored_damage(dataset: &Dataset) -> Vec<String> {
    let mut out = Vec::new();
    for row in &dataset.rows {
        let expected = gate::id_of(&gate::canonical(&row.data));
        if row.state != State::Rejected && row.id != expected {
            out.push(format!(
                "row {}: its data hashes to {}, not to its id",
                &row.id[..12],
                &expected[..12]
            ));
        }
    }
    for (path, digest) in super::publish::shard_digests(&dataset.published) {
        match dataset.published.get(&path) {
            Some((_, bytes)) if crate::capture::sha256_hex(bytes) == digest => {}
            Some(_) => out.push(format!(
                "{path}: its content no longer matches its recorded sha256"
            )),
            None => out.push(format!("{path}: recorded in git-traces.json but missing")),
        }
    }
    out
}
