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

fn resume_before_the_second_write(harness: &str) {
    let Some(bins) = lab_bins(harness) else {
        return;
    };
    let lab = LabRun::run(harness, &scenario("fix-add-bug"), &bins);
    let original = lab.requests();
    let list = lab.json(&["trace", "list", "--json"]);
    let id = list[0]["id"].as_str().unwrap().to_string();
    let trace = lab.json(&["trace", "show", &id, "--json"]);
    // Turn 2 of the script starts with this answer, then writes test_regression.py.
    let step = trace["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["kind"] == "answer" && s["summary"] == "Now the regression tests.")
        .unwrap_or_else(|| panic!("no turn-2 answer in {trace:#}"))["index"]
        .as_u64()
        .unwrap();
    let resumed = lab.json(&["ctx", "resume", &format!("{id}:{step}"), "--json"]);
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
    let again = lab.run_harness(&lab.repo, &args);
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
