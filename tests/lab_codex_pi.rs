//! End to end with the real Codex and Pi CLIs (see `common::lab`): each harness runs the lab's
//! scenarios in a scratch repository wired by our own `git trace init --agent <harness>`, and the
//! captured session must follow the script in the same step model as Claude Code's: the prompt,
//! the answers, every tool call (seen by hook and transcript alike) in the model's order, the
//! snapshots of the calls that changed files, and one session across a resumed run.

mod common;

use common::lab::{lab_bins, scenario, LabRun};
use serde_json::Value;

#[test]
fn codex_fix_add_bug_is_captured_from_the_real_cli() {
    check("codex", "fix-add-bug");
}

#[test]
fn codex_resumed_session_is_one_session() {
    check("codex", "fix-add-bug-resume");
}

#[test]
fn pi_fix_add_bug_is_captured_from_the_real_cli() {
    check("pi", "fix-add-bug");
}

#[test]
fn pi_resumed_session_is_one_session() {
    check("pi", "fix-add-bug-resume");
}

/// The step kind and the file (if any) each scripted tool call must show up as.
fn expected_tool(harness: &str, call: &Value) -> (&'static str, Option<String>) {
    let name = call["name"].as_str().unwrap();
    let input: Value = match &call["arguments"] {
        Value::String(s) => serde_json::from_str(s).unwrap(),
        _ => call["input"].clone(),
    };
    match (harness, name) {
        ("codex", "exec_command") => ("exec", None),
        ("codex", "apply_patch") => {
            let patch = input.as_str().unwrap();
            let file = patch
                .lines()
                .find_map(|l| {
                    l.strip_prefix("*** Update File: ")
                        .or_else(|| l.strip_prefix("*** Add File: "))
                })
                .unwrap();
            ("write", Some(file.to_string()))
        }
        ("pi", "read") => ("read", None),
        ("pi", "edit" | "write") => ("write", Some(input["path"].as_str().unwrap().to_string())),
        ("pi", "bash") => ("exec", None),
        other => panic!("the scenario calls {other:?}; teach expected_tool() about it"),
    }
}

fn check(harness: &str, name: &str) {
    let Some(bins) = lab_bins(harness) else {
        return;
    };
    let path = scenario(name);
    let script: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let lab = LabRun::run(harness, &path, &bins);
    let setup = lab.artifact("setup.out");
    assert!(
        setup.contains("installed") || setup.contains("already installed"),
        "{setup}"
    );

    let list = lab.json(&["trace", "list", "--json"]);
    let list = list.as_array().unwrap();
    assert_eq!(
        list.len(),
        1,
        "one session across every invocation: {list:#?}"
    );
    let id = list[0]["id"].as_str().unwrap().to_string();
    assert_eq!(list[0]["harness"], harness);
    let files = lab.session_files(match harness {
        "codex" => ".codex/sessions",
        _ => ".pi/agent/sessions",
    });
    assert_eq!(files.len(), 1, "{files:?}");
    let file_name = files[0].file_stem().unwrap().to_str().unwrap().to_string();
    assert!(file_name.ends_with(&id), "session {id} vs file {file_name}");

    let trace = lab.json(&["trace", "show", &id, "--json"]);
    let steps = trace["steps"].as_array().unwrap();
    let prompts: Vec<&str> = match script.get("prompts") {
        Some(p) => p
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_str().unwrap())
            .collect(),
        None => vec![script["prompt"].as_str().unwrap()],
    };
    let users: Vec<&str> = steps
        .iter()
        .filter(|s| s["kind"] == "user")
        .map(|s| s["text"]["text"].as_str().unwrap())
        .collect();
    assert_eq!(users, prompts, "the prompts, once each, in order");

    // Every scripted tool call, in the model's order, as one step seen by hook and transcript.
    let expected: Vec<(&str, Option<String>)> = script["harnesses"][harness]["turns"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|t| t["tool_calls"].as_array().cloned().unwrap_or_default())
        .map(|c| expected_tool(harness, &c))
        .collect();
    let tools: Vec<&Value> = steps
        .iter()
        .filter(|s| ["read", "exec", "write"].contains(&s["kind"].as_str().unwrap()))
        .collect();
    let kinds: Vec<&str> = tools.iter().map(|s| s["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        expected.iter().map(|(k, _)| *k).collect::<Vec<_>>(),
        "tool steps"
    );
    for (step, (_, file)) in tools.iter().zip(&expected) {
        let sources: Vec<&str> = step["sources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap())
            .collect();
        assert_eq!(sources, ["hook", "transcript"], "step {step:#}");
        if let Some(file) = file {
            assert_eq!(step["paths"], serde_json::json!([file]), "step {step:#}");
            let snapshot = step["snapshot"]
                .as_str()
                .unwrap_or_else(|| panic!("no snapshot: {step:#}"));
            let changed = lab.git(&["diff-tree", "--no-commit-id", "--name-only", "-r", snapshot]);
            assert_eq!(changed.trim(), file, "snapshot of step {}", step["index"]);
        }
    }

    // The answers the script gave, in order, and nothing told twice.
    let answers: Vec<&str> = steps
        .iter()
        .filter(|s| s["kind"] == "answer")
        .map(|s| s["text"]["text"].as_str().unwrap())
        .collect();
    let scripted: Vec<&str> = script["harnesses"][harness]["turns"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["text"].as_str())
        .collect();
    assert_eq!(answers, scripted);
    assert_eq!(
        trace["models"].as_array().unwrap().len(),
        1,
        "{}",
        trace["models"]
    );
    let errors =
        std::fs::read_to_string(lab.repo.join(".git/traces/errors.log")).unwrap_or_default();
    assert!(errors.is_empty(), "hook errors:\n{errors}");
}
