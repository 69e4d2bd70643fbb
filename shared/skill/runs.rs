//! Skill runs as rows of the `skill-runs` dataset template, and as the verifier's input.
//!
//! A run is one session's use of one skill. Its criteria are deterministic facts of the evidence,
//! each in 0..=1: `tests_run`, `tests_passed` (the last test command succeeded),
//! `commits_landed` (share of its patches that reached a commit), `read_before_write` (share of
//! the files it wrote that it had read first), `fast` (wall time, 1 / (1 + minutes / 30)) and
//! `cheap` (tokens, 1 / (1 + tokens / 200,000)). Survival is a label, so it is never a criterion
//! too: a rubric that contains its own label measures nothing.
//!
//! Labels are trusted sources only: the survival of the session's patches (alive 1, reverted or
//! lost 0; a weak label, weight [`SURVIVAL_WEIGHT`]) and human ratings (weight 1). A rating made
//! from inside an agent session is carried as `self_graded`, which the verifier refuses.

use super::score::{Label, LabelSource, Run};
use crate::dataset::builders::{sessions, survived};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Weight of the survival label against a human rating's 1: git history says whether the work
/// stayed, not whether it was what the person wanted.
pub const SURVIVAL_WEIGHT: f64 = 0.5;

/// The criteria every run row carries (null where the evidence has nothing to say).
pub const CRITERIA: [&str; 6] = [
    "tests_run",
    "tests_passed",
    "commits_landed",
    "read_before_write",
    "fast",
    "cheap",
];

/// The `skill-runs` rows of a run packet: one per (session, skill).
pub fn rows(packet: &Value) -> Vec<Value> {
    let mut rows = Vec::new();
    for session in sessions(packet) {
        let mut by_skill: BTreeMap<&str, Vec<&Value>> = BTreeMap::new();
        for u in session["skills"].as_array().into_iter().flatten() {
            if let Some(name) = u["skill"].as_str() {
                by_skill.entry(name).or_default().push(u);
            }
        }
        for (skill, uses) in by_skill {
            let steps: Vec<u64> = uses.iter().filter_map(|u| u["step"].as_u64()).collect();
            let first = uses[0];
            let survival = crate::dataset::builders::survival_counts(session);
            rows.push(json!({
                "_source": {"session": session["id"], "steps": steps},
                "session": session["id"],
                "skill": skill,
                "version": first["version"],
                "file": first["file"],
                "harness": session["harness"],
                "model": session["models"].get(0).cloned().unwrap_or(Value::Null),
                "started_at": session["started_at"],
                "steps": steps,
                "criteria": criteria(session),
                "survival": crate::track::STATES.iter().map(|s| (*s, survival.get(*s).copied().unwrap_or(0))).collect::<BTreeMap<_, _>>(),
                "labels": labels(session, &survival),
            }));
        }
    }
    rows
}

/// Runs whose skill file is not in the repository (a user-level skill) have no blob id.
pub const UNVERSIONED: &str = "unversioned";

/// A run's version: the skill file's blob id, or [`UNVERSIONED`].
pub fn version_of(run: &Value) -> &str {
    run["version"].as_str().unwrap_or(UNVERSIONED)
}

/// A `skill-runs` row as the verifier's input.
pub fn run_of(row: &Value) -> Option<Run> {
    Some(Run {
        session: row["session"].as_str()?.to_string(),
        version: version_of(row).to_string(),
        started_at: row["started_at"].as_str().unwrap_or_default().to_string(),
        criteria: row["criteria"]
            .as_object()?
            .iter()
            .filter_map(|(k, v)| Some((k.clone(), v.as_f64()?)))
            .collect(),
        labels: row["labels"]
            .as_array()?
            .iter()
            .filter_map(|l| {
                Some(Label {
                    value: l["value"].as_f64()?,
                    weight: l["weight"].as_f64()?,
                    source: match l["source"].as_str()? {
                        "human" => LabelSource::Human,
                        "survival" => LabelSource::Survival,
                        _ => LabelSource::SelfGraded,
                    },
                })
            })
            .collect(),
    })
}

fn command_of(step: &Value) -> String {
    let input = &step["input"];
    match (&input["command"], &input["cmd"]) {
        (Value::String(s), _) | (_, Value::String(s)) => s.clone(),
        (Value::Array(a), _) | (_, Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(" "),
        _ => step["summary"].as_str().unwrap_or_default().to_string(),
    }
}

/// A command that runs tests: a known runner, or a word naming tests.
fn is_test(command: &str) -> bool {
    crate::capsule::verdict::detect(command) != crate::capsule::verdict::Framework::Plain
        || command
            .split(|c: char| !c.is_alphanumeric() && c != '_')
            .any(|w| w.starts_with("test") || w.ends_with("test") || w.ends_with("tests"))
}

fn criteria(session: &Value) -> BTreeMap<&'static str, Value> {
    let steps: Vec<&Value> = session["steps"].as_array().into_iter().flatten().collect();
    let tests: Vec<&&Value> = steps
        .iter()
        .filter(|s| s["kind"] == "exec" && is_test(&command_of(s)))
        .collect();
    let patches: Vec<&Value> = session["patches"]
        .as_array()
        .into_iter()
        .flatten()
        .collect();
    let committed = patches
        .iter()
        .filter(|p| !matches!(p["state"].as_str(), Some("never_committed" | "unknown")))
        .count();
    let mut written: Vec<&str> = Vec::new();
    let mut read_first = 0;
    for (i, s) in steps.iter().enumerate() {
        if s["kind"] != "write" {
            continue;
        }
        for path in s["paths"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            if written.contains(&path) {
                continue;
            }
            written.push(path);
            let same = |p: &str| p.ends_with(path) || path.ends_with(p);
            let read = steps[..i].iter().any(|r| {
                (r["kind"] == "read"
                    && r["paths"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_str)
                        .any(same))
                    || (r["kind"] == "exec"
                        && path
                            .rsplit('/')
                            .next()
                            .is_some_and(|name| command_of(r).contains(name)))
            });
            read_first += usize::from(read);
        }
    }
    let wall = crate::explain::wall_seconds(
        session["started_at"].as_str().unwrap_or_default(),
        session["ended_at"].as_str().unwrap_or_default(),
    ) as f64;
    let tokens: u64 = session["tokens"]
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(_, v)| v.as_u64())
        .sum();
    let share = |n: usize, of: usize| (of > 0).then(|| n as f64 / of as f64);
    // In the order of CRITERIA.
    let values = [
        json!(if tests.is_empty() { 0.0 } else { 1.0 }),
        json!(tests
            .last()
            .map(|t| if t["failed"] == true { 0.0 } else { 1.0 })),
        json!(share(committed, patches.len())),
        json!(share(read_first, written.len())),
        json!(1.0 / (1.0 + wall / 1800.0)),
        json!((tokens > 0).then(|| 1.0 / (1.0 + tokens as f64 / 200_000.0))),
    ];
    CRITERIA.into_iter().zip(values).collect()
}

fn labels(session: &Value, survival: &BTreeMap<String, u64>) -> Vec<Value> {
    let count = |verdict: bool| -> u64 {
        survival
            .iter()
            .filter(|(state, _)| survived(state) == verdict)
            .map(|(_, n)| n)
            .sum()
    };
    let (alive, dead) = (count(true), count(false));
    let mut out = Vec::new();
    if alive + dead > 0 {
        out.push(json!({
            "source": "survival",
            "value": alive as f64 / (alive + dead) as f64,
            "weight": SURVIVAL_WEIGHT,
            "note": Value::Null,
        }));
    }
    for r in session["ratings"].as_array().into_iter().flatten() {
        out.push(json!({
            "source": if r["by_agent"] == true { "self_graded" } else { "human" },
            "value": if r["good"] == true { 1.0 } else { 0.0 },
            "weight": 1.0,
            "note": r["note"],
        }));
    }
    out
}
