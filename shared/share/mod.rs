//! Sharing: what leaves the machine is a reviewed copy of a session, redacted a second time.
//!
//! `share` builds, from a session's private bucket, a copy whose every text passed the egress
//! scanner (stricter than capture's: entropy and personal data too) plus the user's own literals
//! and patterns, without the steps the user withheld, and without content a host would refuse
//! (blobs over `traces.shareMaxBlobSize`) or that cannot be scanned (binary). The copy is a commit
//! under `refs/traces/shared/<id>` whose only parent is the previous shared copy: nothing private
//! is reachable from it, which is what lets `push` send it with plain git.

mod bucket;
pub mod forget;
pub mod rescan;
pub mod transport;

pub use bucket::Place;

use crate::security::{self, Report, Tier};
use crate::store::{self, update_ref, RefUpdate, Traces};
use bucket::Bucket;
use git2::{Oid, Repository};
use regex::Regex;
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::BTreeSet;

pub const SHARED_PREFIX: &str = "refs/traces/shared/";

pub fn shared_ref(session: &str) -> String {
    format!("{SHARED_PREFIX}{session}")
}

/// Default `traces.shareMaxBlobSize`: under the push limits of the common hosts (GitHub refuses
/// objects over 100 MB and warns over 50 MB).
const MAX_BLOB_DEFAULT: u64 = 50 << 20;

/// What the user asked for beyond the scanner's findings.
#[derive(Debug, Default, Clone)]
pub struct Edits {
    /// Exact texts to redact wherever they occur.
    pub literals: Vec<String>,
    /// Patterns to redact wherever they match.
    pub patterns: Vec<Regex>,
    /// Steps to withhold entirely.
    pub drop: Vec<u64>,
}

/// One thing the egress gate (or the user) will redact, shown in context for review.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    #[serde(flatten)]
    pub place: Place,
    pub kind: String,
    pub marker: String,
    /// The surrounding text with the finding already replaced by its marker.
    pub context: String,
}

/// A member left out of the shared copy, and why.
#[derive(Debug, Clone, Serialize)]
pub struct Withheld {
    pub member: String,
    pub reason: &'static str,
    pub size: u64,
    pub sha256: String,
}

/// A shared copy ready to be written, with everything the review shows.
pub struct Prepared {
    pub session: String,
    pub findings: Vec<Finding>,
    pub report: Report,
    pub dropped: Vec<u64>,
    pub withheld: Vec<Withheld>,
    bucket: Bucket,
}

/// Errors of `share` the user can act on.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("session {0} is not sealed in this repository\nhint: 'git trace list' shows the sessions there are")]
    NotSealed(String),
    #[error(
        "session {session} has no step {step}\nhint: 'git trace show {session}' lists its steps"
    )]
    NoStep { session: String, step: u64 },
    #[error(transparent)]
    Store(#[from] store::Error),
    #[error(transparent)]
    Git(#[from] git2::Error),
}

/// Builds the shared copy of `session` in memory: nothing is written.
pub fn prepare(repo: &Repository, session: &str, edits: &Edits) -> Result<Prepared, Error> {
    let seal = store::sealed_commit(repo, session)?
        .ok_or_else(|| Error::NotSealed(session.to_string()))?;
    let mut bucket = Bucket::load(repo, seal)?;
    let trace = bucket.json("trace.json");
    let known: BTreeSet<u64> = trace["steps"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["index"].as_u64())
        .collect();
    if let Some(&step) = edits.drop.iter().find(|s| !known.contains(s)) {
        return Err(Error::NoStep {
            session: session.to_string(),
            step,
        });
    }
    let mut findings = Vec::new();
    let mut report = Report::default();
    bucket.rewrite_json(&mut |place, value| {
        let dropped = place.step.is_some_and(|s| edits.drop.contains(&s));
        if dropped && place.member == "trace.json" {
            *value = withheld_step(value);
            return true;
        }
        if dropped {
            return false;
        }
        redact_value(place, value, edits, &mut findings, &mut report);
        true
    });
    let referenced = referenced_blobs(&bucket);
    let max = max_blob_size(repo);
    let mut withheld = Vec::new();
    for name in bucket.blob_names() {
        let bytes = bucket.members.remove(&name).expect("listed");
        let sha = name.trim_start_matches("blobs/").to_string();
        let reason = if !referenced.contains(&sha) {
            // Only withheld steps used it.
            continue;
        } else if bytes.len() as u64 > max {
            Some("over traces.shareMaxBlobSize")
        } else if bytes.contains(&0) || std::str::from_utf8(&bytes).is_err() {
            Some("binary: cannot be scanned")
        } else {
            None
        };
        match reason {
            Some(reason) => withheld.push(Withheld {
                member: name,
                reason,
                size: bytes.len() as u64,
                sha256: crate::capture::sha256_hex(&bytes),
            }),
            None => {
                let mut text = Value::String(String::from_utf8(bytes).expect("checked"));
                let place = Place {
                    member: name.clone(),
                    step: None,
                };
                redact_value(&place, &mut text, edits, &mut findings, &mut report);
                let text = text.as_str().unwrap_or_default().as_bytes().to_vec();
                bucket.members.insert(name, text);
            }
        }
    }
    let mut manifest = bucket.json("manifest.json");
    manifest["security"] = json!({
        "capture": manifest["security"].clone(),
        "egress": report,
    });
    manifest["shared"] = json!({
        "from_seal": seal.to_string(),
        "at": store::now_rfc3339(),
        "withheld_steps": edits.drop,
        "withheld_members": withheld,
        "user_literals": edits.literals.len(),
        "user_patterns": edits.patterns.iter().map(Regex::as_str).collect::<Vec<_>>(),
    });
    bucket.set_json("manifest.json", &manifest, true);
    bucket.relist();
    Ok(Prepared {
        session: session.to_string(),
        findings,
        report,
        dropped: edits.drop.clone(),
        withheld,
        bucket,
    })
}

/// A withheld step keeps its place and kind, so addresses stay valid; nothing it carried.
fn withheld_step(step: &Value) -> Value {
    json!({
        "index": step["index"],
        "kind": step["kind"],
        "tool": step["tool"],
        "paths": [],
        "started_at": step["started_at"],
        "summary": "[withheld when shared]",
        "snapshot": Value::Null,
        "sources": step["sources"],
        "meta": {"withheld": true},
    })
}

/// Scans every string of `value` for review, then redacts it: the egress scanner over the whole
/// value (so a secret found in one string goes from all of them), then the user's literals and
/// patterns.
fn redact_value(
    place: &Place,
    value: &mut Value,
    edits: &Edits,
    findings: &mut Vec<Finding>,
    report: &mut Report,
) {
    for text in strings(value) {
        for f in security::scan_tier(text, Tier::Egress) {
            findings.push(Finding {
                place: place.clone(),
                kind: f.kind.to_string(),
                context: context(text, f.start, f.end, &f.marker),
                marker: f.marker,
            });
        }
    }
    security::redact_json_tier(value, Tier::Egress, report);
    let mut pending = vec![&mut *value];
    while let Some(v) = pending.pop() {
        match v {
            Value::String(text) => {
                let mut user = Report::default();
                let redacted =
                    security::redact_extra(text, &edits.literals, &edits.patterns, &mut user);
                if !user.is_empty() {
                    findings.push(Finding {
                        place: place.clone(),
                        kind: user
                            .redactions
                            .keys()
                            .cloned()
                            .collect::<Vec<_>>()
                            .join(","),
                        marker: String::new(),
                        context: crate::render::first_line(&redacted, 160),
                    });
                    *text = redacted.into_owned();
                    report.add(&user);
                }
            }
            Value::Array(items) => pending.extend(items.iter_mut()),
            Value::Object(fields) => pending.extend(fields.values_mut()),
            _ => {}
        }
    }
}

fn strings(value: &Value) -> Vec<&str> {
    let mut out = Vec::new();
    let mut pending = vec![value];
    while let Some(v) = pending.pop() {
        match v {
            Value::String(s) => out.push(s.as_str()),
            Value::Array(items) => pending.extend(items.iter()),
            Value::Object(fields) => pending.extend(fields.values()),
            _ => {}
        }
    }
    out
}

/// Up to 40 characters either side of a finding, on one line, the finding shown as its marker.
fn context(text: &str, start: usize, end: usize, marker: &str) -> String {
    let before: String = text[..start]
        .chars()
        .rev()
        .take(40)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let after: String = text[end..].chars().take(40).collect();
    format!("{before}{marker}{after}").replace(['\n', '\r', '\t'], " ")
}

/// The sha256 names of the blobs the (rewritten) trace and context still refer to.
fn referenced_blobs(bucket: &Bucket) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut values = vec![bucket.json("trace.json")];
    values.extend(bucket.lines("context.jsonl.gz"));
    let mut pending: Vec<&Value> = values.iter().collect();
    while let Some(v) = pending.pop() {
        match v {
            Value::Object(fields) => {
                if let Some(Value::String(sha)) = fields.get("blob") {
                    out.insert(sha.clone());
                }
                pending.extend(fields.values());
            }
            Value::Array(items) => pending.extend(items.iter()),
            _ => {}
        }
    }
    out
}

fn max_blob_size(repo: &Repository) -> u64 {
    repo.config()
        .and_then(|c| c.get_i64("traces.shareMaxBlobSize"))
        .ok()
        .and_then(|v| u64::try_from(v).ok())
        .unwrap_or(MAX_BLOB_DEFAULT)
}

/// Writes the prepared copy under `refs/traces/shared/<id>`; returns its commit, or None when it
/// equals the copy already shared.
pub fn write(repo: &Repository, prepared: &Prepared) -> Result<Option<Oid>, Error> {
    let name = shared_ref(&prepared.session);
    let previous = repo.refname_to_id(&name).ok();
    let tree = repo.find_tree(prepared.bucket.write_tree(repo)?)?;
    if let Some(prev) = previous {
        // The manifest carries the time of sharing; compare without it.
        let old = Bucket::load(repo, prev)?;
        if same_content(&old, &prepared.bucket) {
            return Ok(None);
        }
    }
    let sig = git2::Signature::now("git-traces", "git-traces@localhost")?;
    let parents: Vec<git2::Commit<'_>> = previous
        .map(|p| repo.find_commit(p))
        .transpose()?
        .into_iter()
        .collect();
    let parent_refs: Vec<&git2::Commit<'_>> = parents.iter().collect();
    let message = format!(
        "share {}: {} redactions\n\nTrace-Session: {}\n",
        prepared.session,
        prepared.report.total(),
        prepared.session
    );
    let commit = repo.commit(None, &sig, &sig, &message, &tree, &parent_refs)?;
    update_ref(
        repo,
        &Traces::of(repo),
        RefUpdate {
            name: &name,
            new: commit,
            expected: previous,
            message: &format!("git-trace: share {}", prepared.session),
        },
    )?;
    Ok(Some(commit))
}

fn same_content(a: &Bucket, b: &Bucket) -> bool {
    let without_time = |bucket: &Bucket| {
        let mut manifest = bucket.json("manifest.json");
        manifest["shared"]["at"] = Value::Null;
        let mut members = bucket.members.clone();
        members.remove("manifest.json");
        (manifest, members)
    };
    without_time(a) == without_time(b)
}

/// Every session shared from this clone (or fetched), sorted.
pub fn shared_ids(repo: &Repository) -> Result<Vec<String>, Error> {
    Ok(store::tips(repo, SHARED_PREFIX)?.into_keys().collect())
}
