//! `git ctx resume` against the real harnesses (see `common::lab`): a session captured in the lab
//! is resumed right before the step where the model starts on the regression test; the harness is
//! run on the new session against the scripted model, and the first request it sends must carry
//! exactly the conversation the original run had sent at that point.

mod common;

use common::lab::{lab_bins, scenario, LabRun};
use serde_json::Value;

#[test]
fn claude_resumes_exactly_before_a_step() {
    resume_before_the_second_write("claude");
}

#[test]
fn codex_resumes_exactly_before_a_step() {
    resume_before_the_second_write("codex");
}

#[test]
fn pi_resumes_exactly_before_a_step() {
    resume_before_the_second_write("pi");
}

/// The conversation a request carries, one entry per content block: harnesses merge a new prompt
/// into the last message (Claude appends its resume note to the last tool result), so a resumed
/// conversation extends the original block by block. Cache markers move and Codex derives the ids
/// of the messages it writes from the session id, so neither is compared.
fn conversation(request: &Value) -> Vec<Value> {
    let body = &request["body"];
    let items = body
        .get("messages")
        .or_else(|| body.get("input"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut blocks = Vec::new();
    for mut item in items.into_iter().map(strip_cache) {
        if let Some(map) = item.as_object_mut() {
            map.remove("id");
        }
        let role = item["role"].clone();
        match item.get("content").cloned() {
            Some(Value::Array(parts)) if item["type"] != "function_call_output" => {
                for part in parts {
                    blocks.push(serde_json::json!([role, part]));
                }
            }
            Some(Value::String(text)) => {
                blocks.push(serde_json::json!([role, {"type": "text", "text": text}]));
                let mut rest = item.clone();
                rest.as_object_mut().unwrap().remove("content");
                blocks.push(serde_json::json!([role, rest]));
            }
            _ => blocks.push(item),
        }
    }
    blocks
}

fn strip_cache(mut v: Value) -> Value {
    match &mut v {
        Value::Object(map) => {
            map.remove("cache_control");
            for value in map.values_mut() {
                *value = strip_cache(value.take());
            }
        }
        Value::Array(items) => {
            for item in items.iter_mut() {
                *item = strip_cache(item.take());
            }
        }
        _ => {}
    }
    v
}

/// A Claude Code session resumed in Pi: the prompt, the answers and the Read and Edit calls with
/// their results reach Pi's model as Pi's own tool calls; Claude's thinking does not.
#[test]
fn claude_session_resumes_in_pi() {
    let Some(bins) = lab_bins("claude").and(lab_bins("pi")) else {
        return;
    };
    let lab = LabRun::run("claude", &scenario("fix-add-bug"), &bins);
    let id = lab.json(&["trace", "list", "--json"])[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let step = turn_two(&lab, &id);
    let resumed = lab.json(&[
        "ctx",
        "resume",
        &format!("{id}:{step}"),
        "--harness",
        "pi",
        "--json",
    ]);
    assert_eq!(resumed["command"][0], "pi");
    lab.configure_pi();
    let file = resumed["file"].as_str().unwrap();
    let requests = lab.run_harness(
        "pi",
        &lab.repo,
        &[
            "--mode",
            "json",
            "--provider",
            "lab",
            "--model",
            "lab-model",
            "--session",
            file,
            "continue",
        ],
    );
    let messages = requests[0]["body"]["messages"].as_array().unwrap();
    let shape: Vec<(&str, Vec<(&str, Value)>)> = messages
        .iter()
        .map(|m| {
            let calls = m["tool_calls"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|c| {
                    let f = &c["function"];
                    let args = serde_json::from_str(f["arguments"].as_str().unwrap()).unwrap();
                    (f["name"].as_str().unwrap(), args)
                })
                .collect();
            (m["role"].as_str().unwrap(), calls)
        })
        .collect();
    let edit = serde_json::json!({"path": "calc.py", "edits": [{
        "oldText": "    \"\"\"Return the sum of a and b.\"\"\"\n    return a - b\n",
        "newText": "    \"\"\"Return the sum of a and b.\"\"\"\n    return a + b\n"}]});
    assert_eq!(
        shape,
        [
            ("system", vec![]),
            ("user", vec![]),
            (
                "assistant",
                vec![("read", serde_json::json!({"path": "calc.py"}))]
            ),
            ("tool", vec![]),
            ("assistant", vec![("edit", edit)]),
            ("tool", vec![]),
            ("user", vec![]),
        ],
        "{messages:#?}"
    );
    let text = |i: usize| messages[i]["content"].to_string();
    assert!(text(1).contains("The add() function in calc.py returns wrong results"));
    assert!(
        text(3).contains("return a - b"),
        "the Read result Claude got: {}",
        text(3)
    );
    assert!(
        !messages
            .iter()
            .any(|m| m.to_string().contains("Read calc.py first")),
        "thinking stays behind"
    );
}

/// The step where the script's turn 2 starts: its answer "Now the regression tests.".
fn turn_two(lab: &LabRun, id: &str) -> u64 {
    let trace = lab.json(&["trace", "show", id, "--json"]);
    trace["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["kind"] == "answer" && s["summary"] == "Now the regression tests.")
        .unwrap_or_else(|| panic!("no turn-2 answer in {trace:#}"))["index"]
        .as_u64()
        .unwrap()
}

fn resume_before_the_second_write(harness: &str) {
    let Some(bins) = lab_bins(harness) else {
        return;
    };
    let lab = LabRun::run(harness, &scenario("fix-add-bug"), &bins);
    let original = lab.requests();
    let list = lab.json(&["trace", "list", "--json"]);
    let id = list[0]["id"].as_str().unwrap().to_string();
    let trace = lab.json(&["trace", "show", &id, "--json"]);
    let step = turn_two(&lab, &id);
    // Claude Code also gets the working tree of that step, in a new worktree.
    let worktree = lab.root.join("retry");
    let mut resume = vec![
        "ctx".to_string(),
        "resume".into(),
        format!("{id}:{step}"),
        "--json".into(),
    ];
    if harness == "claude" {
        resume.extend(["--worktree".into(), worktree.to_str().unwrap().to_string()]);
    }
    let resume: Vec<&str> = resume.iter().map(String::as_str).collect();
    let resumed = lab.json(&resume);
    let cwd = std::path::PathBuf::from(resumed["cwd"].as_str().unwrap());
    if harness == "claude" {
        assert_eq!(cwd, std::fs::canonicalize(&worktree).unwrap());
        let calc = std::fs::read_to_string(worktree.join("calc.py")).unwrap();
        assert!(
            calc.contains("return a + b"),
            "the Edit before the step is there:\n{calc}"
        );
        assert!(
            !worktree.join("test_regression.py").exists(),
            "the Write at the step is not"
        );
    }
    let new_id = resumed["session"].as_str().unwrap();
    assert_ne!(new_id, id);
    let file = resumed["file"].as_str().unwrap();
    assert!(std::path::Path::new(file).is_file(), "{resumed:#}");

    let repo = lab.repo.to_str().unwrap().to_string();
    let args: Vec<&str> = match harness {
        "claude" => vec![
            "-p",
            "continue",
            "--resume",
            new_id,
            "--dangerously-skip-permissions",
            "--output-format",
            "stream-json",
            "--verbose",
        ],
        "codex" => vec![
            "exec",
            "--json",
            "--dangerously-bypass-approvals-and-sandbox",
            "--dangerously-bypass-hook-trust",
            "-C",
            &repo,
            "resume",
            new_id,
            "continue",
        ],
        _ => vec![
            "--mode",
            "json",
            "--provider",
            "lab",
            "--model",
            "lab-model",
            "--session",
            file,
            "continue",
        ],
    };
    let again = lab.run_harness(harness, &cwd, &args);
    let first = again.first().expect("the resumed harness asked the model");
    // The original run's request for turn 2 carried the conversation up to the step.
    let before = original
        .iter()
        .find(|r| r["turn"] == 2)
        .expect("the original run served turn 2");
    let expected = conversation(before);
    let got = conversation(first);
    assert!(
        got.len() > expected.len(),
        "the resumed request carries the new prompt too: {got:#?}"
    );
    assert_eq!(
        got[..expected.len()],
        expected[..],
        "the conversation up to step {step}"
    );
    // The original session is untouched: still one file of the original run, same steps.
    let after = lab.json(&["trace", "show", &id, "--json"]);
    assert_eq!(
        after["steps"].as_array().unwrap().len(),
        trace["steps"].as_array().unwrap().len()
    );
}
