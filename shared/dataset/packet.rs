//! The run packet: the evidence a workflow's `build_rows` reads, as one JSON document.
//!
//! The builder never opens the repository: everything it may use is in the packet (sessions with
//! their steps, each patch with its survival state, the commits the sessions' work landed in, the
//! skills they used), so a workflow is a pure function of its packet, and `verify` can tell
//! "the evidence moved" (another packet) from "the builder is not reproducible" (same packet,
//! other rows). Texts in the evidence were redacted at capture; the rows are scanned again at the
//! egress tier by the gate.

use super::workflow::Selection;
use super::{Result, Workflow};
use crate::model::{Content, StepKind, Trace};
use crate::{explain, read, store, track};
use git2::{Oid, Repository};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

pub const PACKET_SCHEMA: &str = "git-traces/dataset-packet@1";

/// Tool output kept per step: enough to see what happened, not a dump of every log.
const OUTPUT_CHARS: usize = 4000;
/// Prompts and answers are kept whole up to this size.
const TEXT_CHARS: usize = 64 * 1024;

pub struct Packet {
    pub bytes: Vec<u8>,
    pub digest: String,
    pub sessions: Vec<String>,
}

/// What the packet is built from, besides the evidence.
pub struct Request<'a> {
    pub dataset: &'a str,
    pub workflow: &'a Workflow,
    /// Resolved: `since` is an RFC 3339 time.
    pub selection: &'a Selection,
    pub answers: Option<&'a Value>,
}

pub fn build(repo: &Repository, request: &Request) -> Result<Packet> {
    let head = repo.head().ok().and_then(|h| h.peel_to_commit().ok());
    let since_ms = request
        .selection
        .since
        .as_deref()
        .and_then(crate::query::parse_time_ms);
    let listed: Vec<read::SessionSummary> = read::list(repo)
        .map_err(|e| super::Error::Evidence(e.to_string()))?
        .into_iter()
        .filter(|s| since_ms.is_none_or(|t| crate::query::started_ms(&s.started_at) >= t))
        .filter(|s| {
            request.selection.harness.is_empty() || request.selection.harness.contains(&s.harness)
        })
        .collect();
    let ids: Vec<String> = listed.iter().map(|s| s.id.clone()).collect();
    let survival: BTreeMap<String, track::SessionSurvival> = match &head {
        Some(h) => track::track(repo, &ids, h.id())?
            .into_iter()
            .map(|s| (s.session.clone(), s))
            .collect(),
        None => BTreeMap::new(),
    };
    let ratings = crate::skill::ratings::all(repo)?;
    let mut sessions = Vec::new();
    let mut chosen = BTreeSet::new();
    // Oldest first: the order a reader expects and one that does not move when a session is added.
    for summary in listed.iter().rev() {
        let alive = survival.get(&summary.id);
        if !selected(request.selection, alive) {
            continue;
        }
        let Ok(trace) = read::load_trace(repo, &summary.id) else {
            continue;
        };
        let seal = read::bucket_commit(repo, &summary.id).ok().flatten();
        let rated: Vec<_> = ratings.iter().filter(|r| r.session == summary.id).collect();
        sessions.push(session_json(repo, seal, summary, &trace, alive, &rated)?);
        chosen.insert(summary.id.clone());
    }
    let commits = match &head {
        Some(h) => commits_json(repo, h.id(), &chosen)?,
        None => Vec::new(),
    };
    let packet = json!({
        "schema": PACKET_SCHEMA,
        "dataset": request.dataset,
        "workflow": {
            "name": request.workflow.manifest.name,
            "version": request.workflow.manifest.version,
            "digest": request.workflow.digest,
        },
        "selection": request.selection,
        "head": head.map(|h| h.id().to_string()),
        "answers": request.answers,
        "sessions": sessions,
        "commits": commits,
    });
    let bytes = crate::render::json_bytes(&packet);
    Ok(Packet {
        digest: crate::capture::sha256_hex(&bytes),
        bytes,
        sessions: chosen.into_iter().collect(),
    })
}

/// Share of a session's written lines still alive; `None` when it wrote none.
pub fn retention(survival: &track::SessionSurvival) -> Option<f64> {
    (survival.lines_written > 0)
        .then(|| survival.lines_alive as f64 / survival.lines_written as f64)
}

fn selected(selection: &Selection, survival: Option<&track::SessionSurvival>) -> bool {
    let states_ok = selection.survival.is_empty()
        || survival.is_some_and(|s| {
            s.patches
                .iter()
                .any(|p| selection.survival.iter().any(|w| w == p.state))
        });
    let retention_ok = selection
        .min_retention
        .is_none_or(|min| survival.and_then(retention).is_some_and(|r| r >= min));
    states_ok && retention_ok
}

fn session_json(
    repo: &Repository,
    seal: Option<Oid>,
    summary: &read::SessionSummary,
    trace: &Trace,
    survival: Option<&track::SessionSurvival>,
    ratings: &[&crate::skill::ratings::Rating],
) -> Result<Value> {
    let text = |content: &Option<Content>, limit: usize| -> Value {
        let Some(c) = content else {
            return Value::Null;
        };
        let whole = match (&c.blob, seal) {
            (Some(sha), Some(seal)) if limit > OUTPUT_CHARS => {
                store::read_member(repo, seal, &format!("blobs/{sha}"))
                    .ok()
                    .flatten()
                    .map(|b| String::from_utf8_lossy(&b).into_owned())
                    .unwrap_or_else(|| c.text.clone())
            }
            _ => c.text.clone(),
        };
        Value::String(whole.chars().take(limit).collect())
    };
    let steps: Vec<Value> = trace
        .steps
        .iter()
        .map(|s| {
            let long = matches!(s.kind, StepKind::User | StepKind::Answer | StepKind::Plan);
            json!({
                "index": s.index,
                "kind": s.kind.as_str(),
                "tool": s.tool,
                "paths": s.paths,
                "started_at": s.started_at,
                "ended_at": s.ended_at,
                "summary": s.summary,
                "text": text(&s.text, if long { TEXT_CHARS } else { OUTPUT_CHARS }),
                "input": s.input,
                "output": text(&s.output, OUTPUT_CHARS),
                "snapshot": s.snapshot,
                "failed": s.meta.get("failed").and_then(Value::as_bool).unwrap_or(false),
            })
        })
        .collect();
    let patch_text: BTreeMap<(String, String), String> =
        crate::capture::trail_patches(repo, &trace.id)?
            .into_iter()
            .flat_map(|(_, key, files)| {
                files
                    .into_iter()
                    .map(move |f| ((key.clone(), f.path.clone()), f.patch))
            })
            .collect();
    let patches: Vec<Value> = survival
        .map(|s| &s.patches[..])
        .unwrap_or_default()
        .iter()
        .map(|p| {
            json!({
                "step": p.step,
                "file": p.file,
                "patch": patch_text.get(&(p.key.clone(), p.file.clone())),
                "lines": p.lines,
                "alive": p.alive,
                "state": p.state,
                "commit": p.commit,
                "now_in": p.now_in,
            })
        })
        .collect();
    Ok(json!({
        "id": summary.id,
        "harness": summary.harness,
        "harness_version": trace.harness_version,
        "models": summary.models,
        "started_at": summary.started_at,
        "ended_at": summary.ended_at,
        "prompt": summary.prompt,
        "base": trace.base,
        "tokens": summary.tokens,
        "retention": survival.and_then(retention),
        "lines_written": survival.map(|s| s.lines_written),
        "lines_alive": survival.map(|s| s.lines_alive),
        "steps": steps,
        "patches": patches,
        "skills": crate::skill::uses(repo, trace),
        "ratings": ratings,
    }))
}

/// The commits in `head`'s history that carry anchors of the chosen sessions: their story (intent,
/// message, hunks and who wrote them), oldest first.
fn commits_json(repo: &Repository, head: Oid, chosen: &BTreeSet<String>) -> Result<Vec<Value>> {
    let Ok(notes) = repo.notes(Some(store::NOTES_REF)) else {
        return Ok(Vec::new());
    };
    let mut found = Vec::new();
    for note in notes.flatten() {
        let (_, commit) = note;
        let mentions = store::note_lines(repo, commit)?.iter().any(|l| {
            serde_json::from_str::<Value>(l)
                .ok()
                .and_then(|a| a["session"].as_str().map(|s| chosen.contains(s)))
                .unwrap_or(false)
        });
        let in_history = commit == head || repo.graph_descendant_of(head, commit).unwrap_or(false);
        if mentions && in_history {
            let time = repo.find_commit(commit)?.time().seconds();
            found.push((time, commit));
        }
    }
    found.sort();
    found
        .into_iter()
        .map(|(_, commit)| {
            let story = explain::commit_story(repo, commit)
                .map_err(|e| super::Error::Evidence(format!("commit {commit}: {e}")))?;
            Ok(serde_json::to_value(story).expect("json"))
        })
        .collect()
}
