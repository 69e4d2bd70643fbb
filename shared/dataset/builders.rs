//! The built-in templates: each is a workflow whose `build_rows` calls back into
//! `git trace dataset build-rows <template>`, a pure function of the run packet written here.
//! Fork a template's directory and replace `build_rows` with any program to change what a row is.

use super::workflow::{self, Manifest, Selection};
use super::{Error, Result, Workflow};
use crate::store::Files;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

/// A built-in workflow.
pub struct Template {
    pub name: &'static str,
    pub description: &'static str,
    /// What one row is, for `dataset templates`.
    pub row: &'static str,
    schema: fn() -> Value,
    skill: &'static str,
    select: fn() -> Selection,
    build: fn(&Value) -> Vec<Value>,
}

pub fn templates() -> &'static [Template] {
    &TEMPLATES
}

pub(super) fn template(name: &str) -> Result<&'static Template> {
    TEMPLATES
        .iter()
        .find(|t| t.name == name)
        .ok_or_else(|| Error::NoTemplate(name.to_string()))
}

/// `git trace dataset build-rows <template> <packet>`: the template's rows, one JSON a line.
pub fn build_rows(template_name: &str, packet: &[u8]) -> Result<Vec<u8>> {
    let template = template(template_name)?;
    let packet: Value = serde_json::from_slice(packet).map_err(|e| Error::Workflow {
        dir: template_name.to_string(),
        why: format!("the packet is not JSON: {e}"),
    })?;
    if packet["schema"] != super::packet::PACKET_SCHEMA {
        return Err(Error::SchemaTooNew {
            path: "the run packet".into(),
            schema: packet["schema"].to_string(),
        });
    }
    let mut out = Vec::new();
    for row in (template.build)(&packet) {
        serde_json::to_writer(&mut out, &row).expect("json");
        out.push(b'\n');
    }
    Ok(out)
}

impl Template {
    /// The template's workflow directory, as files.
    pub(super) fn workflow(&self, dataset: &str) -> Result<Workflow> {
        let manifest = Manifest {
            name: self.name.to_string(),
            version: 1,
            description: self.description.to_string(),
            executor: workflow::Executor::Script,
            license: "other".into(),
            tags: vec!["git-traces".into(), self.name.to_string()],
            select: (self.select)(),
            security: workflow::Security::default(),
        };
        let toml = format!(
            "# The workflow of dataset '{dataset}', from the built-in template {name}.\n\
             # Edit it, or replace build_rows with any program that reads the run packet (its\n\
             # first argument) and prints one JSON row a line; see `git trace dataset --help`.\n{}",
            toml::to_string(&manifest).expect("toml"),
            name = self.name,
        );
        let builder = format!(
            "#!/bin/sh\n\
             # The built-in row builder of the {name} template: reads the run packet ($1),\n\
             # prints one JSON row a line. Exit 3 with JSON questions on stdout to ask a person.\n\
             exec git trace dataset build-rows {name} \"$1\"\n",
            name = self.name
        );
        let schema = crate::render::json_bytes(&(self.schema)());
        let files: Files = [
            (workflow::MANIFEST, (false, toml.into_bytes())),
            (workflow::SCHEMA, (false, schema)),
            (workflow::SKILL, (false, self.skill.as_bytes().to_vec())),
            (workflow::BUILDER, (true, builder.into_bytes())),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        Workflow::from_files(files, &format!("template {}", self.name))
    }
}

static TEMPLATES: [Template; 4] = [
    Template {
        name: "survival-labeled-patches",
        description: "Each patch an agent step wrote, with the prompt and the files read before it, labelled by whether it survived in git history: version control as a labelling machine.",
        row: "session, step, file, prompt, context, patch, lines, alive_lines, label (survival state), survived, commit",
        schema: patch_schema,
        skill: "# survival-labeled-patches\n\nBuild one row per patch in the packet's `sessions[].patches[]` that has its patch text.\nThe label is the patch's survival state; never invent one. Copy text verbatim; do not\nsummarise patches. Put `{\"session\", \"steps\"}` under `_source` in every row.\n",
        select: Selection::default,
        build: patch_rows,
    },
    Template {
        name: "sft-conversations",
        description: "Prompt, response and tool trajectories of sessions whose work survived (at least half of the lines they wrote are still alive), as chat messages for supervised fine-tuning.",
        row: "session, harness, model, retention, messages [{role, content, tool, tool_input}]",
        schema: sft_schema,
        skill: "# sft-conversations\n\nBuild one row per session: its steps in order as messages (user prompts, assistant answers,\ntool calls with their input as a JSON string, tool results). Leave out thinking and system\nsteps. Put `{\"session\", \"steps\"}` under `_source` in every row.\n",
        select: || Selection {
            min_retention: Some(0.5),
            ..Selection::default()
        },
        build: sft_rows,
    },
    Template {
        name: "pr-intent",
        description: "One row per commit that carries agent work: the prompts behind it (the intent), its message, the sessions and steps that wrote its lines, and how much of it was written by a person.",
        row: "commit, subject, message, intent, sessions, files, agent_lines, human_lines, hunks",
        schema: intent_schema,
        skill: "# pr-intent\n\nBuild one row per commit in the packet's `commits[]`: the intent is the prompts behind its\nanchored steps, verbatim. Put the first session and its steps under `_source`.\n",
        select: Selection::default,
        build: intent_rows,
    },
    Template {
        name: "skill-runs",
        description: "One row per run of a skill (a session that used it): the skill's version (its blob id then), deterministic criteria over the evidence, and trusted labels only (survival of the run's patches, human ratings). Read by `git trace skill score`.",
        row: "session, skill, version, file, harness, steps, criteria {…}, survival {…}, labels [{source, value, weight}]",
        schema: skill_schema,
        skill: "# skill-runs\n\nBuild one row per (session, skill) in `sessions[].skills[]`. Criteria are computed from\nthe evidence only; labels come only from survival states and human ratings, never from the\nmodel's own words or the skill's text. Put `{\"session\", \"steps\"}` under `_source`.\n",
        select: Selection::default,
        build: crate::skill::runs::rows,
    },
];

fn source(session: &Value, steps: &[u64]) -> Value {
    json!({"session": session["id"], "steps": steps})
}

fn first_model(session: &Value) -> Value {
    session["models"].get(0).cloned().unwrap_or(Value::Null)
}

/// Whether a patch in this survival state is in history today: true, false, or null when git
/// cannot tell (never committed, unknown).
pub(crate) fn survived(state: &str) -> Value {
    match state {
        "alive_on_path"
        | "alive_moved"
        | "alive_transformed"
        | "repaired"
        | "partially_preserved" => Value::Bool(true),
        "reverted" | "lost" => Value::Bool(false),
        _ => Value::Null,
    }
}

/// The text of the last user step at or before `index`.
fn prompt_before(session: &Value, index: u64) -> Value {
    steps(session)
        .rfind(|s| s["index"].as_u64().is_some_and(|i| i <= index) && s["kind"] == "user")
        .map(|s| s["text"].clone())
        .filter(|t| !t.is_null())
        .unwrap_or(Value::Null)
}

fn steps(session: &Value) -> impl DoubleEndedIterator<Item = &Value> {
    session["steps"].as_array().into_iter().flatten()
}

pub(crate) fn sessions(packet: &Value) -> impl Iterator<Item = &Value> {
    packet["sessions"].as_array().into_iter().flatten()
}

fn patch_rows(packet: &Value) -> Vec<Value> {
    let mut rows = Vec::new();
    for session in sessions(packet) {
        for patch in session["patches"].as_array().into_iter().flatten() {
            let (Some(step), Some(text)) = (patch["step"].as_u64(), patch["patch"].as_str()) else {
                continue;
            };
            let mut read: Vec<&str> = Vec::new();
            for s in steps(session).filter(|s| s["index"].as_u64() < Some(step)) {
                if s["kind"] == "read" {
                    for p in s["paths"].as_array().into_iter().flatten() {
                        if let Some(p) = p.as_str().filter(|p| !read.contains(p)) {
                            read.push(p);
                        }
                    }
                }
            }
            let state = patch["state"].as_str().unwrap_or("unknown");
            rows.push(json!({
                "_source": source(session, &[step]),
                "session": session["id"],
                "harness": session["harness"],
                "model": first_model(session),
                "step": step,
                "file": patch["file"],
                "prompt": prompt_before(session, step),
                "context": read,
                "patch": text,
                "lines": patch["lines"],
                "alive_lines": patch["alive"],
                "label": state,
                "survived": survived(state),
                "commit": patch["commit"],
            }));
        }
    }
    rows
}

fn patch_schema() -> Value {
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "survival-labeled patch",
        "type": "object",
        "required": ["session", "harness", "step", "file", "patch", "lines", "label", "survived"],
        "additionalProperties": false,
        "properties": {
            "session": {"type": "string"},
            "harness": {"type": "string"},
            "model": {"type": ["string", "null"]},
            "step": {"type": "integer", "minimum": 0},
            "file": {"type": "string"},
            "prompt": {"type": ["string", "null"]},
            "context": {"type": "array", "items": {"type": "string"}},
            "patch": {"type": "string", "minLength": 1},
            "lines": {"type": "integer", "minimum": 0},
            "alive_lines": {"type": "integer", "minimum": 0},
            "label": {"enum": ["alive_on_path", "alive_transformed", "alive_moved", "partially_preserved", "repaired", "reverted", "lost", "never_committed", "unknown"]},
            "survived": {"type": ["boolean", "null"]},
            "commit": {"type": ["string", "null"]}
        }
    })
}

fn sft_rows(packet: &Value) -> Vec<Value> {
    let mut rows = Vec::new();
    for session in sessions(packet) {
        let mut messages = Vec::new();
        let mut used = Vec::new();
        let message = |role: &str, content: &Value, tool: &Value, input: Option<&Value>| {
            json!({
                "role": role,
                "content": content.as_str().unwrap_or_default(),
                "tool": tool,
                "tool_input": input.filter(|i| !i.is_null()).map(Value::to_string),
            })
        };
        for step in steps(session) {
            let text = if step["text"].is_null() {
                &step["summary"]
            } else {
                &step["text"]
            };
            match step["kind"].as_str().unwrap_or_default() {
                "user" => messages.push(message("user", text, &Value::Null, None)),
                "answer" | "plan" => messages.push(message("assistant", text, &Value::Null, None)),
                "read" | "exec" | "write" | "tool" => {
                    messages.push(message(
                        "assistant",
                        &json!(""),
                        &step["tool"],
                        Some(&step["input"]),
                    ));
                    messages.push(message("tool", &step["output"], &step["tool"], None));
                }
                _ => continue,
            }
            used.extend(step["index"].as_u64());
        }
        if !messages.iter().any(|m| m["role"] == "user") {
            continue;
        }
        rows.push(json!({
            "_source": source(session, &used),
            "session": session["id"],
            "harness": session["harness"],
            "model": first_model(session),
            "retention": session["retention"],
            "messages": messages,
        }));
    }
    rows
}

fn sft_schema() -> Value {
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "sft conversation",
        "type": "object",
        "required": ["session", "harness", "messages"],
        "additionalProperties": false,
        "properties": {
            "session": {"type": "string"},
            "harness": {"type": "string"},
            "model": {"type": ["string", "null"]},
            "retention": {"type": ["number", "null"], "minimum": 0, "maximum": 1},
            "messages": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "required": ["role", "content", "tool", "tool_input"],
                    "additionalProperties": false,
                    "properties": {
                        "role": {"enum": ["user", "assistant", "tool"]},
                        "content": {"type": "string"},
                        "tool": {"type": ["string", "null"]},
                        "tool_input": {"type": ["string", "null"]}
                    }
                }
            }
        }
    })
}

fn intent_rows(packet: &Value) -> Vec<Value> {
    let mut rows = Vec::new();
    for commit in packet["commits"].as_array().into_iter().flatten() {
        let parts: Vec<&Value> = commit["sessions"]
            .as_array()
            .into_iter()
            .flatten()
            .collect();
        let Some(first) = parts.first() else {
            continue;
        };
        let mut intent: Vec<&Value> = Vec::new();
        for p in parts
            .iter()
            .flat_map(|p| p["prompts"].as_array().into_iter().flatten())
        {
            if !intent.contains(&p) {
                intent.push(p);
            }
        }
        let hunks: Vec<Value> = commit["hunks"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|h| {
                json!({
                    "file": h["file"],
                    "start": h["lines"][0],
                    "end": h["lines"][1],
                    "session": h["session"],
                    "step": h["step"],
                    "state": h["state"],
                })
            })
            .collect();
        let files: BTreeSet<&str> = hunks.iter().filter_map(|h| h["file"].as_str()).collect();
        let first_steps: BTreeSet<u64> = hunks
            .iter()
            .filter(|h| h["session"] == first["session"])
            .filter_map(|h| h["step"].as_u64())
            .collect();
        rows.push(json!({
            "_source": {"session": first["session"], "steps": first_steps},
            "commit": commit["commit"],
            "subject": commit["subject"],
            "message": commit["message"],
            "intent": intent,
            "sessions": parts.iter().map(|p| &p["session"]).collect::<Vec<_>>(),
            "harnesses": parts.iter().filter_map(|p| p["harness"].as_str()).collect::<BTreeSet<_>>(),
            "files": files,
            "agent_lines": commit["agent_lines"],
            "human_lines": commit["human_lines"],
            "hunks": hunks,
        }));
    }
    rows
}

fn intent_schema() -> Value {
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "commit intent",
        "type": "object",
        "required": ["commit", "subject", "intent", "sessions", "agent_lines", "human_lines", "hunks"],
        "additionalProperties": false,
        "properties": {
            "commit": {"type": "string", "pattern": "^[0-9a-f]{40,64}$"},
            "subject": {"type": "string"},
            "message": {"type": "string"},
            "intent": {"type": "array", "items": {"type": "string"}},
            "sessions": {"type": "array", "items": {"type": "string"}, "minItems": 1},
            "harnesses": {"type": "array", "items": {"type": "string"}},
            "files": {"type": "array", "items": {"type": "string"}},
            "agent_lines": {"type": "integer", "minimum": 0},
            "human_lines": {"type": "integer", "minimum": 0},
            "hunks": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["file", "start", "end"],
                    "properties": {
                        "file": {"type": "string"},
                        "start": {"type": "integer"},
                        "end": {"type": "integer"},
                        "session": {"type": ["string", "null"]},
                        "step": {"type": ["integer", "null"]},
                        "state": {"type": ["string", "null"]}
                    }
                }
            }
        }
    })
}

fn skill_schema() -> Value {
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "skill run",
        "type": "object",
        "required": ["session", "skill", "version", "harness", "steps", "criteria", "survival", "labels"],
        "additionalProperties": false,
        "properties": {
            "session": {"type": "string"},
            "skill": {"type": "string"},
            "version": {"type": ["string", "null"]},
            "file": {"type": ["string", "null"]},
            "harness": {"type": "string"},
            "model": {"type": ["string", "null"]},
            "started_at": {"type": "string"},
            "steps": {"type": "array", "items": {"type": "integer"}},
            "criteria": {
                "type": "object",
                "additionalProperties": {"type": ["number", "null"], "minimum": 0, "maximum": 1},
                "properties": crate::skill::runs::CRITERIA.iter().map(|c| (c.to_string(), json!({"type": ["number", "null"], "minimum": 0, "maximum": 1}))).collect::<serde_json::Map<_, _>>(),
            },
            "survival": {
                "type": "object",
                "additionalProperties": {"type": "integer", "minimum": 0},
                "properties": crate::track::STATES.iter().map(|s| (s.to_string(), json!({"type": "integer", "minimum": 0}))).collect::<serde_json::Map<_, _>>(),
            },
            "labels": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["source", "value", "weight"],
                    "properties": {
                        "source": {"enum": ["human", "survival", "self_graded"]},
                        "value": {"type": "number", "minimum": 0, "maximum": 1},
                        "weight": {"type": "number", "exclusiveMinimum": 0},
                        "note": {"type": ["string", "null"]}
                    }
                }
            }
        }
    })
}

/// Counts of a session's patches by survival state.
pub(crate) fn survival_counts(session: &Value) -> BTreeMap<String, u64> {
    let mut counts = BTreeMap::new();
    for p in session["patches"].as_array().into_iter().flatten() {
        if let Some(state) = p["state"].as_str() {
            *counts.entry(state.to_string()).or_default() += 1;
        }
    }
    counts
}
