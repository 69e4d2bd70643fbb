//! `git trace export`: a session in interchange formats other tools read.
//!
//! * `jsonl`: our own steps, one JSON object a line after a header line: nothing is lost.
//! * `atif`: the Agent Trajectory Interchange Format (harbor RFC 0001, v1.4). Our steps are finer
//!   than ATIF's agent turns (a turn's thinking, text and each tool call are steps of their own),
//!   so each becomes an agent step of its own; a tool step carries its call and its observation.
//!   Lost: which steps one model response produced together, snapshots (kept as ids in `extra`),
//!   and full texts of large outputs (their excerpts are exported).
//! * `agent-trace`: Agent Trace 0.1 attribution records, one per commit that holds lines this
//!   session wrote (from the anchors in `refs/notes/traces`): files, line ranges, the model.
//!   Lost: which step wrote which range (kept in `metadata`), and lines never committed.

use crate::model::{Step, StepKind, Trace};
use crate::store::{self, NOTES_REF};
use crate::trail::Anchor;
use git2::{Oid, Repository};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

pub const ATIF_VERSION: &str = "ATIF-v1.4";
/// The Agent Trace specification version the records follow (`major.minor`, as its schema wants).
pub const AGENT_TRACE_VERSION: &str = "0.1";

/// Our steps: the header (the trace without its steps), then one step a line.
pub fn jsonl(trace: &Trace) -> String {
    let mut header = serde_json::to_value(trace).expect("trace serialises");
    if let Some(h) = header.as_object_mut() {
        h.remove("steps");
        h.insert("type".into(), "session".into());
    }
    let mut out = format!("{header}\n");
    for step in &trace.steps {
        let mut line = serde_json::to_value(step).expect("step serialises");
        line["type"] = "step".into();
        out.push_str(&format!("{line}\n"));
    }
    out
}

/// The ATIF name of a harness.
fn agent_name(harness: &str) -> &str {
    match harness {
        "claude" => "claude-code",
        other => other,
    }
}

fn text_of(step: &Step) -> String {
    step.text
        .as_ref()
        .map_or_else(|| step.summary.clone(), |t| t.text.clone())
}

/// An ATIF trajectory of the session.
pub fn atif(trace: &Trace) -> Value {
    let mut steps = Vec::new();
    let (mut prompt_tokens, mut completion_tokens, mut cached_tokens) = (0u64, 0u64, 0u64);
    for step in &trace.steps {
        let mut out = Map::new();
        out.insert("step_id".into(), json!(steps.len() + 1));
        if !step.started_at.is_empty() {
            out.insert("timestamp".into(), json!(step.started_at));
        }
        let source = match step.kind {
            StepKind::User => "user",
            StepKind::System => "system",
            _ => "agent",
        };
        out.insert("source".into(), json!(source));
        match step.kind {
            StepKind::User | StepKind::Answer => {
                out.insert("message".into(), json!(text_of(step)));
            }
            StepKind::System => {
                out.insert("message".into(), json!(step.summary));
            }
            StepKind::Think => {
                out.insert("message".into(), json!(""));
                out.insert("reasoning_content".into(), json!(text_of(step)));
            }
            _ => {
                let call_id = step
                    .keys
                    .iter()
                    .find_map(|k| k.strip_prefix("tool:"))
                    .map_or_else(|| format!("step-{}", step.index), str::to_string);
                let arguments = match &step.input {
                    Some(Value::Object(map)) => Value::Object(map.clone()),
                    Some(other) => json!({ "input": other }),
                    None => json!({}),
                };
                out.insert("message".into(), json!(""));
                out.insert(
                    "tool_calls".into(),
                    json!([{
                        "tool_call_id": call_id,
                        "function_name": step.tool.clone().unwrap_or_else(|| "unknown".into()),
                        "arguments": arguments,
                    }]),
                );
                if let Some(output) = &step.output {
                    out.insert(
                        "observation".into(),
                        json!({"results": [{"source_call_id": call_id, "content": output.text}]}),
                    );
                }
            }
        }
        if source == "agent" {
            if let Some(model) = step.meta.get("model").and_then(Value::as_str) {
                out.insert("model_name".into(), json!(model));
            }
            if let Some(usage) = step.meta.get("usage") {
                let n = |k: &str| usage.get(k).and_then(Value::as_u64).unwrap_or(0);
                let cached = n("cache_read_input_tokens");
                let prompt = n("input_tokens") + cached + n("cache_creation_input_tokens");
                out.insert(
                    "metrics".into(),
                    json!({"prompt_tokens": prompt, "completion_tokens": n("output_tokens"), "cached_tokens": cached}),
                );
                prompt_tokens += prompt;
                completion_tokens += n("output_tokens");
                cached_tokens += cached;
            }
        }
        out.insert(
            "extra".into(),
            json!({"git_traces": {
                "index": step.index,
                "kind": step.kind.as_str(),
                "tool": step.tool,
                "paths": step.paths,
                "snapshot": step.snapshot,
            }}),
        );
        steps.push(Value::Object(out));
    }
    let mut agent = json!({
        "name": agent_name(&trace.harness),
        "version": trace.harness_version.clone().unwrap_or_else(|| "unknown".into()),
    });
    if let Some(model) = trace.models.first() {
        agent["model_name"] = json!(model);
    }
    json!({
        "schema_version": ATIF_VERSION,
        "session_id": trace.id,
        "agent": agent,
        "steps": steps,
        "notes": "exported by git-traces: each step is one ATIF step (thinking, answer and every tool call apart); the usage of a model response is on the step that carried it",
        "final_metrics": {
            "total_prompt_tokens": prompt_tokens,
            "total_completion_tokens": completion_tokens,
            "total_cached_tokens": cached_tokens,
            "total_steps": trace.steps.len(),
        },
        "extra": {"git_traces": {"base": trace.base, "cwd": trace.cwd, "models": trace.models}},
    })
}

/// Agent Trace records: one per commit holding lines this session wrote.
pub fn agent_trace(repo: &Repository, trace: &Trace) -> store::Result<Vec<Value>> {
    let mut by_commit: BTreeMap<Oid, Vec<Anchor>> = BTreeMap::new();
    if repo.refname_to_id(NOTES_REF).is_ok() {
        for note in repo.notes(Some(NOTES_REF))? {
            let (_, commit) = note?;
            let anchors: Vec<Anchor> = store::note_lines(repo, commit)?
                .iter()
                .filter_map(|l| serde_json::from_str::<Anchor>(l).ok())
                .filter(|a| a.session == trace.id)
                .collect();
            if !anchors.is_empty() {
                by_commit.insert(commit, anchors);
            }
        }
    }
    let model = trace.models.first().map(|m| model_id(&trace.harness, m));
    let mut contributor = json!({"type": "ai"});
    if let Some(model) = &model {
        contributor["model_id"] = json!(model);
    }
    let mut records = Vec::new();
    for (commit, anchors) in by_commit {
        let mut files: BTreeMap<&str, Vec<Value>> = BTreeMap::new();
        for a in &anchors {
            for [start, end] in &a.lines {
                files
                    .entry(a.file.as_str())
                    .or_default()
                    .push(json!({"start_line": start, "end_line": end}));
            }
        }
        let files: Vec<Value> = files
            .into_iter()
            .map(|(path, ranges)| {
                json!({"path": path, "conversations": [{
                    "url": format!("git-traces:session/{}", trace.id),
                    "contributor": contributor,
                    "ranges": ranges,
                }]})
            })
            .collect();
        let steps: Vec<u64> = anchors.iter().map(|a| a.step).collect();
        let committed = repo.find_commit(commit)?.time().seconds();
        records.push(json!({
            "version": AGENT_TRACE_VERSION,
            "id": record_id(&trace.id, commit),
            "timestamp": store::format_unix_ms(committed * 1000),
            "vcs": {"type": "git", "revision": commit.to_string()},
            "tool": {"name": "git-traces", "version": env!("CARGO_PKG_VERSION")},
            "files": files,
            "metadata": {"git_traces": {"session": trace.id, "harness": trace.harness, "steps": steps}},
        }));
    }
    Ok(records)
}

/// `provider/model`, the models.dev convention Agent Trace asks for.
fn model_id(harness: &str, model: &str) -> String {
    if model.contains('/') {
        return model.to_string();
    }
    let provider = match harness {
        "claude" => "anthropic",
        "codex" => "openai",
        _ if model.starts_with("claude") => "anthropic",
        _ if model.starts_with("gpt") || model.starts_with('o') => "openai",
        other => other,
    };
    format!("{provider}/{model}")
}

/// A stable UUID (version 8 layout: custom) from the session and commit, so exporting twice
/// yields the same ids.
fn record_id(session: &str, commit: Oid) -> String {
    let h = crate::capture::sha256_hex(format!("{session}:{commit}").as_bytes());
    format!(
        "{}-{}-8{}-8{}-{}",
        &h[..8],
        &h[8..12],
        &h[13..16],
        &h[17..20],
        &h[20..32]
    )
}
