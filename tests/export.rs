//! `git trace export`: our steps, ATIF and Agent Trace, from real sessions; the Agent Trace records
//! are validated against the schema the specification publishes (tests/fixtures/schemas).

mod common;

use serde_json::Value;
use std::path::Path;

const SESSION: &str = "ecbef1cc-3097-4936-9b94-b6eb9d656352";

fn imported() -> common::TestRepo {
    let repo = common::scenario_repo();
    let path = repo.home.join("session.jsonl");
    let text = common::relocate(
        &common::fixture("claude", "claude-session.jsonl"),
        "claude",
        &repo,
    );
    std::fs::write(&path, text).unwrap();
    repo.trace(&["import", "claude", path.to_str().unwrap()]);
    repo
}

#[test]
fn jsonl_is_the_header_then_every_step() {
    let repo = imported();
    let out = repo.trace(&["export", &SESSION[..6], "--format", "jsonl"]);
    let lines: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[0]["type"], "session");
    assert_eq!(lines[0]["id"], SESSION);
    assert!(lines[0].get("steps").is_none());
    let trace = repo.show_json(SESSION);
    let steps = trace["steps"].as_array().unwrap();
    assert_eq!(lines.len(), steps.len() + 1);
    // `git trace <id>[:<step>]` is `git trace show`.
    for address in [&SESSION[..6], &format!("{}:3", &SESSION[..6])] {
        assert_eq!(repo.trace(&[address]), repo.trace(&["show", address]));
    }
    for (line, step) in lines[1..].iter().zip(steps) {
        let mut line = line.clone();
        line.as_object_mut().unwrap().remove("type");
        assert_eq!(&line, step);
    }
}

#[test]
fn atif_follows_the_trajectory_format() {
    let repo = imported();
    let file = repo.home.join("trajectory.json");
    repo.trace(&[
        "export",
        SESSION,
        "--format",
        "atif",
        "-o",
        file.to_str().unwrap(),
    ]);
    let t: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(t["schema_version"], "ATIF-v1.4");
    assert_eq!(t["session_id"], SESSION);
    assert_eq!(t["agent"]["name"], "claude-code");
    assert_eq!(t["agent"]["version"], "2.1.197");
    assert_eq!(t["agent"]["model_name"], "claude-opus-4-8");
    let steps = t["steps"].as_array().unwrap();
    assert_eq!(t["final_metrics"]["total_steps"], steps.len());
    for (i, step) in steps.iter().enumerate() {
        assert_eq!(step["step_id"], i + 1, "sequential from 1");
        let source = step["source"].as_str().unwrap();
        assert!(["system", "user", "agent"].contains(&source));
        assert!(step["message"].is_string(), "message is required: {step}");
        if source != "agent" {
            for agent_only in ["model_name", "reasoning_content", "tool_calls", "metrics"] {
                assert!(
                    step.get(agent_only).is_none(),
                    "{agent_only} on a {source} step"
                );
            }
        }
        let calls: Vec<&str> = step["tool_calls"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|c| {
                assert!(c["function_name"].is_string() && c["arguments"].is_object());
                c["tool_call_id"].as_str().unwrap()
            })
            .collect();
        for result in step["observation"]["results"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let id = result["source_call_id"].as_str().unwrap();
            assert!(calls.contains(&id), "observation of an unknown call {id}");
        }
    }
    let first = &steps[0];
    assert_eq!(first["source"], "user");
    assert!(first["message"]
        .as_str()
        .unwrap()
        .starts_with("The add() function"));
    assert!(steps.iter().any(|s| s["reasoning_content"]
        .as_str()
        .is_some_and(|r| r.contains("Read calc.py first"))));
    let edit = steps
        .iter()
        .find(|s| s["tool_calls"][0]["function_name"] == "Edit")
        .unwrap();
    assert_eq!(edit["extra"]["git_traces"]["paths"][0], "calc.py");
    assert!(t["final_metrics"]["total_completion_tokens"].as_u64() > Some(0));
}

#[test]
fn agent_trace_records_validate_against_the_published_schema() {
    let repo = common::wired("s-export");
    common::write(
        &repo,
        "s-export",
        &repo.root,
        "w1",
        "greet.py",
        "def greet(name):\n    return f'hello {name}'\n",
    );
    repo.hook(
        "SessionEnd",
        &common::payload(
            "s-export",
            &repo.root,
            "SessionEnd",
            serde_json::json!({"reason": "other"}),
        ),
    );
    repo.git(&["add", "greet.py"]);
    repo.git(&["commit", "-qm", "greet"]);
    let head = repo.git(&["rev-parse", "HEAD"]).trim().to_string();
    let records: Vec<Value> =
        serde_json::from_str(&repo.trace(&["export", "s-export", "--format", "agent-trace"]))
            .unwrap();
    assert_eq!(records.len(), 1, "{records:#?}");
    let schema: Value = serde_json::from_slice(
        &std::fs::read(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/schemas/agent-trace-record.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap();
    for record in &records {
        let errors: Vec<String> = validator
            .iter_errors(record)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{errors:#?}\n{record:#}");
    }
    let record = &records[0];
    assert_eq!(record["vcs"]["revision"], head);
    assert_eq!(record["files"][0]["path"], "greet.py");
    assert_eq!(
        record["files"][0]["conversations"][0]["ranges"],
        serde_json::json!([{"start_line": 1, "end_line": 2}])
    );
    // The same export twice: the same record ids.
    let again: Vec<Value> =
        serde_json::from_str(&repo.trace(&["export", "s-export", "--format", "agent-trace"]))
            .unwrap();
    assert_eq!(again[0]["id"], record["id"]);
}
