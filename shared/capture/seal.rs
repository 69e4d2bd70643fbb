//! Sealing a session: journal (plus any new transcript lines) → merged steps → bucket commit.
//!
//! What grows with the session is only cheap work (re-reading already redacted journal lines,
//! re-serialising `trace.json`); the expensive parts happen once per event: redaction at capture,
//! large payloads written as blobs at capture, patches reused from the previous seal by tree pair,
//! and `context.jsonl.gz` extended with one more gzip member instead of being recompressed.

use super::{import::import_transcript, merge};
use crate::ctx;
use crate::model::{Record, Source, Step, Trace, MANIFEST_SCHEMA, TRACE_SCHEMA, TRAIL_SCHEMA};
use crate::security;
use crate::store::{self, ChainLink, Member, SessionLock, SessionState, Traces};
use crate::trail;
use flate2::{write::GzEncoder, Compression};
use git2::{Oid, Repository};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{Read, Write};

/// What one seal did.
pub(crate) struct Sealed {
    pub imported: usize,
    pub steps: usize,
}

/// Seals the session (the caller holds its lock). A no-op when nothing changed since the last seal.
pub(crate) fn seal(
    repo: &Repository,
    traces: &Traces,
    session: &str,
    state: &mut SessionState,
    _lock: &SessionLock,
    settled: bool,
) -> store::Result<Sealed> {
    let imported = import_transcript(repo, traces, session, state, settled)?;
    let journal = store::read_journal(traces, session)?;
    let previous = store::sealed_commit(repo, session)?;
    let previous_trail = previous_trail(repo, previous)?;
    let chain = store::read_chain(
        repo,
        session,
        previous_trail.values.iter().filter_map(link_of).collect(),
    )?;
    let trail_tip = chain.last().map(|l| l.commit);
    let prev_manifest = manifest_of(repo, previous)?;
    let up_to_date = previous.is_some()
        && journal.end == state.sealed_len
        && previous
            .and_then(|p| repo.find_commit(p).ok())
            .map(|c| c.parent_id(1).ok() == trail_tip)
            .unwrap_or(false)
        && has_ctx_nodes(&prev_manifest);
    if up_to_date {
        store::mark_sealed(traces, session);
        return Ok(Sealed { imported, steps: 0 });
    }
    if let Some(schema) = prev_manifest["schema"]
        .as_str()
        .filter(|s| *s != MANIFEST_SCHEMA)
    {
        return Err(store::Error::SchemaTooNew {
            name: store::session_ref(session),
            schema: schema.to_string(),
        });
    }
    let reported = prev_manifest["counts"]["skipped_journal_lines"]
        .as_u64()
        .unwrap_or(0);
    if journal.skipped.len() as u64 > reported {
        let lines: Vec<String> = journal
            .skipped
            .iter()
            .map(|(n, why)| format!("line {n}: {why}"))
            .collect();
        store::log_error(
            traces,
            session,
            "seal",
            &format!("journal lines skipped: {}", lines.join("; ")),
        );
    }
    let records = &journal.records;
    let mut steps = merge::merge(records, &chain);
    let chain = relabel(repo, traces, session, &chain, &mut steps)?;

    let trace = build_trace(session, state, records, steps);
    let trace_json = serde_json::to_vec(&trace).expect("trace serialises");
    let trail_gz = trail_lines(repo, &previous_trail, &chain, &trace.steps)?;
    let (context_gz, context_records, context_nodes) =
        context(repo, previous, &prev_manifest, records)?;

    let mut members: Vec<(String, Member)> = Vec::new();
    let mut listing = BTreeMap::new();
    for (name, bytes) in [
        ("trace.json", trace_json),
        ("trail.jsonl.gz", trail_gz),
        ("context.jsonl.gz", context_gz),
    ] {
        listing.insert(
            name.to_string(),
            json!({"sha256": super::content::sha256_hex(&bytes), "size": bytes.len()}),
        );
        members.push((name.to_string(), Member::Bytes(bytes)));
    }
    let odb = repo.odb()?;
    for (sha, oid) in merge::blob_refs(records) {
        match Oid::from_str(&oid).and_then(|oid| Ok((oid, odb.read_header(oid)?.0))) {
            Ok((oid, size)) => {
                listing.insert(format!("blobs/{sha}"), json!({"sha256": sha, "size": size}));
                members.push((format!("blobs/{sha}"), Member::Blob(oid)));
            }
            // Written at capture time and not referenced until now: only `git gc --prune=now`
            // between the two can have removed it.
            Err(e) => store::log_error(
                traces,
                session,
                "seal",
                &format!("blobs/{sha} ({oid}) is gone: {e}"),
            ),
        }
    }
    let mut manifest = manifest(
        session,
        state,
        &trace,
        records,
        &chain,
        (context_records, context_nodes),
        listing,
        journal.skipped.len(),
    );
    // `git trace rescan` keeps its history here; every later seal carries it on.
    if let Some(rescans) = prev_manifest.get("rescans").filter(|r| !r.is_null()) {
        manifest["rescans"] = rescans.clone();
    }
    members.push((
        "manifest.json".into(),
        Member::Bytes(serde_json::to_vec_pretty(&manifest).expect("json")),
    ));
    let message = format!(
        "seal {session}: {} steps\n\nTrace-Session: {session}\n",
        trace.steps.len()
    );
    store::write_seal(
        repo,
        traces,
        session,
        members,
        previous,
        chain.last().map(|l| l.commit),
        &message,
    )?;
    state.sealed_len = journal.end;
    store::mark_sealed(traces, session);
    Ok(Sealed {
        imported,
        steps: trace.steps.len(),
    })
}

fn manifest_of(repo: &Repository, seal: Option<Oid>) -> store::Result<Value> {
    Ok(seal
        .map(|p| store::read_member(repo, p, "manifest.json"))
        .transpose()?
        .flatten()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or(Value::Null))
}

/// Whether a seal's context file holds ctx nodes; one sealed before they existed is rebuilt by
/// the next seal, even when nothing else changed.
fn has_ctx_nodes(manifest: &Value) -> bool {
    manifest["schemas"]["ctx"].as_str() == Some(ctx::CTX_SCHEMA)
}

/// Whether the session's last seal is current in form (see [`has_ctx_nodes`]).
pub(crate) fn seal_is_current(repo: &Repository, session: &str) -> store::Result<bool> {
    Ok(has_ctx_nodes(&manifest_of(
        repo,
        store::sealed_commit(repo, session)?,
    )?))
}

/// Renumbers the trail's `Trace-Step:` trailers to the merged step numbers (rewriting commits only
/// when a number changed) and points each step at its snapshot's current commit.
fn relabel(
    repo: &Repository,
    traces: &Traces,
    session: &str,
    chain: &[ChainLink],
    steps: &mut [Step],
) -> store::Result<Vec<ChainLink>> {
    let by_key: HashMap<&str, u64> = steps
        .iter()
        .flat_map(|s| s.keys.iter().map(move |k| (k.as_str(), s.index)))
        .collect();
    let messages: Vec<String> = chain
        .iter()
        .map(|link| {
            let key = link.key.as_deref().unwrap_or_default();
            let Some(&index) = by_key.get(key) else {
                return link.message.clone();
            };
            let headline = link.message.lines().next().unwrap_or_default();
            let headline = headline.split_once(": ").map_or(headline, |(_, h)| h);
            trail::commit_message(session, index, headline, key, link.external)
        })
        .collect();
    let chain = store::relabel_chain(repo, traces, session, chain, &messages)?;
    let commits: HashMap<&str, String> = chain
        .iter()
        .filter_map(|l| Some((l.key.as_deref()?, l.commit.to_string())))
        .collect();
    for step in steps.iter_mut() {
        if step.snapshot.is_some() {
            step.snapshot = step
                .keys
                .iter()
                .find_map(|k| commits.get(k.as_str()).cloned());
        }
    }
    Ok(chain)
}

fn build_trace(session: &str, state: &SessionState, records: &[Record], steps: Vec<Step>) -> Trace {
    let mut models = BTreeSet::new();
    let mut version = None;
    for r in records.iter().filter(|r| r.source == Source::Transcript) {
        if let Some(m) = r.meta.get("model").and_then(Value::as_str) {
            if !m.starts_with('<') {
                models.insert(m.to_string());
            }
        }
        if version.is_none() {
            version = r
                .meta
                .get("version")
                .and_then(Value::as_str)
                .map(str::to_string);
        }
    }
    let times = records
        .iter()
        .map(|r| r.at.as_str())
        .filter(|a| !a.is_empty());
    Trace {
        schema: TRACE_SCHEMA.into(),
        id: session.to_string(),
        harness: state.harness.clone(),
        harness_version: version,
        cwd: state.cwd.clone(),
        started_at: times.clone().min().unwrap_or_default().to_string(),
        ended_at: times.max().unwrap_or_default().to_string(),
        base: state.base.clone(),
        models: models.into_iter().collect(),
        transcript: state.transcript_path.clone(),
        steps,
    }
}

/// The previous seal's `trail.jsonl.gz`: its bytes, and its lines raw and parsed.
#[derive(Default)]
pub(crate) struct PreviousTrail {
    gz: Vec<u8>,
    lines: Vec<String>,
    pub values: Vec<Value>,
}

pub(crate) fn previous_trail(
    repo: &Repository,
    previous: Option<Oid>,
) -> store::Result<PreviousTrail> {
    let Some(gz) = previous
        .map(|p| store::read_member(repo, p, "trail.jsonl.gz"))
        .transpose()?
        .flatten()
    else {
        return Ok(PreviousTrail::default());
    };
    let mut text = String::new();
    if flate2::read::MultiGzDecoder::new(&gz[..])
        .read_to_string(&mut text)
        .is_err()
    {
        return Ok(PreviousTrail::default());
    }
    let lines: Vec<String> = text.lines().map(str::to_string).collect();
    let values = lines
        .iter()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    Ok(PreviousTrail { gz, lines, values })
}

/// A chain link as a trail line recorded it; None for lines written before links were recorded.
fn link_of(line: &Value) -> Option<ChainLink> {
    let oid = |k: &str| {
        line[k]
            .as_str()
            .filter(|s| !s.is_empty())
            .and_then(|s| Oid::from_str(s).ok())
    };
    Some(ChainLink {
        commit: oid("snapshot")?,
        tree: oid("tree")?,
        parent: oid("parent"),
        parent_tree: oid("parent_tree"),
        message: line["message"].as_str()?.to_string(),
        key: line["key"].as_str().map(str::to_string),
        external: line["external"].as_bool().unwrap_or(false),
    })
}

/// `trail.jsonl.gz`: one line per snapshot with its patch. Patches of tree pairs already in the
/// previous seal are reused rather than diffed again, and when the previous lines are unchanged
/// their compressed bytes are kept and only the new lines are added, as one more gzip member.
fn trail_lines(
    repo: &Repository,
    previous: &PreviousTrail,
    chain: &[ChainLink],
    steps: &[Step],
) -> store::Result<Vec<u8>> {
    let mut known: HashMap<(&str, &str), &Value> = HashMap::new();
    for v in &previous.values {
        let pair = (
            v["parent_tree"].as_str().unwrap_or_default(),
            v["tree"].as_str().unwrap_or_default(),
        );
        known.insert(pair, &v["files"]);
    }
    let step_of: HashMap<String, u64> = steps
        .iter()
        .filter_map(|s| Some((s.snapshot.clone()?, s.index)))
        .collect();
    let mut lines: Vec<String> = Vec::with_capacity(chain.len());
    for link in chain {
        let pair = (
            link.parent_tree.map(|t| t.to_string()).unwrap_or_default(),
            link.tree.to_string(),
        );
        let files = match known.get(&(pair.0.as_str(), pair.1.as_str())) {
            Some(files) => (*files).clone(),
            None => serde_json::to_value(trail::diff_trees(
                repo,
                link.parent_tree,
                link.tree,
                trail::Renames::Detect,
            )?)
            .expect("json"),
        };
        let line = json!({
            "schema": TRAIL_SCHEMA,
            "step": step_of.get(&link.commit.to_string()),
            "key": link.key,
            "snapshot": link.commit.to_string(),
            "parent": link.parent.map(|p| p.to_string()),
            "tree": pair.1,
            "parent_tree": pair.0,
            "external": link.external,
            "message": link.message,
            "files": files,
        });
        lines.push(line.to_string());
    }
    let kept = previous.lines.len();
    let (mut out, new) = if kept > 0 && lines.len() >= kept && lines[..kept] == previous.lines[..] {
        (previous.gz.clone(), &lines[kept..])
    } else {
        (Vec::new(), &lines[..])
    };
    if !new.is_empty() || out.is_empty() {
        let text: String = new.iter().map(|l| format!("{l}\n")).collect();
        out.extend(gzip(text.as_bytes()));
    }
    Ok(out)
}

/// One gzip member holding `bytes`, compressed in a single call (many small writes into the
/// encoder cost far more than the compression itself).
fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = GzEncoder::new(
        Vec::with_capacity(bytes.len() / 4 + 64),
        Compression::default(),
    );
    gz.write_all(bytes).expect("in-memory write");
    gz.finish().expect("in-memory gzip")
}

/// `context.jsonl.gz`: the ctx nodes of the records that feed the context, in order. Append-only:
/// the previous seal's bytes are kept and the new nodes are added as one more gzip member. A
/// bucket written before ctx nodes existed gets its context file rebuilt.
fn context(
    repo: &Repository,
    previous: Option<Oid>,
    prev_manifest: &Value,
    records: &[Record],
) -> store::Result<(Vec<u8>, usize, u64)> {
    let feeding: Vec<&Record> = records.iter().filter(|r| ctx::feeds_context(r)).collect();
    let current = has_ctx_nodes(prev_manifest);
    let count = |k: &str| prev_manifest["counts"][k].as_u64().unwrap_or(0);
    let (done, mut nodes) = (count("context_records") as usize, count("context_nodes"));
    let mut out = if current && done > 0 && done <= feeding.len() {
        previous
            .map(|p| store::read_member(repo, p, "context.jsonl.gz"))
            .transpose()?
            .flatten()
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    let start = if out.is_empty() {
        nodes = 0;
        0
    } else {
        done
    };
    let mut lines = Vec::new();
    for r in &feeding[start..] {
        if let Some(node) = ctx::node_of(r, nodes) {
            serde_json::to_writer(&mut lines, &node).expect("json");
            lines.push(b'\n');
            nodes += 1;
        }
    }
    if !lines.is_empty() || out.is_empty() {
        out.extend(gzip(&lines));
    }
    Ok((out, feeding.len(), nodes))
}

#[allow(clippy::too_many_arguments)]
fn manifest(
    session: &str,
    state: &SessionState,
    trace: &Trace,
    records: &[Record],
    chain: &[ChainLink],
    (context_records, context_nodes): (usize, u64),
    members: BTreeMap<String, Value>,
    skipped_lines: usize,
) -> Value {
    let mut by_kind: BTreeMap<&str, u64> = BTreeMap::new();
    for s in &trace.steps {
        *by_kind.entry(s.kind.as_str()).or_default() += 1;
    }
    let files: BTreeSet<&str> = trace
        .steps
        .iter()
        .filter(|s| s.snapshot.is_some() && !s.external)
        .flat_map(|s| s.paths.iter().map(String::as_str))
        .collect();
    let mut report = security::Report {
        scanner: security::SCANNER_VERSION.into(),
        ..Default::default()
    };
    for r in records {
        if let Some(Value::Object(counts)) = r.meta.get("redactions") {
            for (kind, n) in counts {
                *report.redactions.entry(kind.clone()).or_default() += n.as_u64().unwrap_or(0);
            }
        }
    }
    let mut tokens: BTreeMap<&str, u64> = BTreeMap::new();
    let mut seen_messages = BTreeSet::new();
    for r in records.iter().filter(|r| r.source == Source::Transcript) {
        let Some(id) = r.meta.get("id").and_then(Value::as_str) else {
            continue;
        };
        if !seen_messages.insert(id) {
            continue;
        }
        if let Some(Value::Object(usage)) = r.meta.get("usage") {
            for key in [
                "input_tokens",
                "output_tokens",
                "cache_read_input_tokens",
                "cache_creation_input_tokens",
            ] {
                *tokens.entry(key).or_default() +=
                    usage.get(key).and_then(Value::as_u64).unwrap_or(0);
            }
        }
    }
    let unknown = records
        .iter()
        .filter(|r| r.kind.is_none() && r.meta.contains_key("raw"))
        .count();
    let prompt = trace
        .steps
        .iter()
        .find(|s| s.kind == crate::model::StepKind::User)
        .map(|s| s.summary.clone());
    json!({
        "schema": MANIFEST_SCHEMA,
        "schemas": {"trace": TRACE_SCHEMA, "trail": TRAIL_SCHEMA, "journal": crate::model::JOURNAL_SCHEMA, "ctx": ctx::CTX_SCHEMA},
        "session": session,
        "harness": state.harness,
        "harness_version": trace.harness_version,
        "models": trace.models,
        "started_at": trace.started_at,
        "ended_at": trace.ended_at,
        "base": trace.base,
        "prompt": prompt,
        "counts": {
            "steps": trace.steps.len(),
            "by_kind": by_kind,
            "snapshots": chain.len(),
            "files_changed": files.len(),
            "records": records.len(),
            "context_records": context_records,
            "context_nodes": context_nodes,
            "unknown_records": unknown,
            "skipped_journal_lines": skipped_lines,
        },
        "tokens": tokens,
        "members": members,
        "security": report,
    })
}
