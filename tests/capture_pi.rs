//! Capture of a real Pi session: the session file and extension events Pi 0.73.1 produced for the
//! lab's fix-add-bug scenario (../shared/formats/samples/pi), imported and replayed against a real
//! repository; then the same file forked, and damaged.

mod common;

use common::TestRepo;
use git_traces::capture::Harness;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const SESSION: &str = "01a21020-b85f-758d-9c9e-ff64d2eaf8bd";
/// The events our extension (hooks/pi/git-traces.ts) forwards; the lab's bridge forwarded more.
const FORWARDED: [&str; 9] = [
    "session_start",
    "input",
    "before_agent_start",
    "tool_call",
    "tool_result",
    "agent_end",
    "session_before_compact",
    "session_compact",
    "session_shutdown",
];

/// The session file's entries, relocated into this test's repository.
fn session_lines(repo: &TestRepo) -> Vec<Value> {
    common::relocate(&common::fixture("pi", "pi-session.jsonl"), "pi", repo)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn write_lines(path: &Path, lines: &[Value], tail: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    std::fs::write(path, text + tail).unwrap();
}

/// `git_traces::capture::import_file` of `lines` (plus a raw `tail`), then the session as shown.
fn import(repo: &TestRepo, lines: &[Value], tail: &str) -> Value {
    let path = repo.home.join("pi-session.jsonl");
    write_lines(&path, lines, tail);
    let git = git2::Repository::open(&repo.root).unwrap();
    let summary = git_traces::capture::import_file(&git, Harness::Pi, &path, None).unwrap();
    assert_eq!(summary.session, SESSION);
    repo.show_json(SESSION)
}

fn steps(trace: &Value) -> &Vec<Value> {
    trace["steps"].as_array().unwrap()
}

/// "kind tool summary" of every step.
fn described(trace: &Value) -> Vec<String> {
    steps(trace)
        .iter()
        .map(|s| {
            format!(
                "{} {} {}",
                s["kind"].as_str().unwrap(),
                s["tool"].as_str().unwrap_or("-"),
                s["summary"].as_str().unwrap()
            )
        })
        .collect()
}

fn manifest(repo: &TestRepo) -> Value {
    serde_json::from_str(&repo.git(&[
        "show",
        &format!("refs/traces/sessions/{SESSION}:manifest.json"),
    ]))
    .unwrap()
}

const PROMPT: &str = "The add() function in calc.py returns wrong results.";
const FINAL: &str = "Fixed `add()` in `calc.py`: it subtracted instead of adding.";

/// The sample's steps as the session file alone records them.
const IMPORTED: [&str; 10] = [
    "system - session start (pi v3)",
    "user - The add() function in calc.py returns wrong results. Fix it, add a regression test file test_regres…",
    "answer - I'll start by reading calc.py.",
    "read read calc.py",
    "answer - add() subtracts instead of adding. Fixing it.",
    "write edit calc.py",
    "answer - Now the regression tests.",
    "write write test_regression.py",
    "exec bash python3 run_tests.py",
    "answer - Fixed `add()` in `calc.py`: it subtracted instead of adding. Added regression tests in `test_regres…",
];

#[test]
fn sample_session_file_imports_as_ordered_steps() {
    let repo = common::scenario_repo();
    let trace = import(&repo, &session_lines(&repo), "");
    assert_eq!(described(&trace), IMPORTED);
    let steps = steps(&trace);
    assert_eq!(trace["harness"], "pi");
    assert_eq!(trace["models"], json!(["lab-model"]));
    assert_eq!(steps[5]["paths"], json!(["calc.py"]));
    assert_eq!(steps[7]["paths"], json!(["test_regression.py"]));
    assert!(steps[1]["text"]["text"]
        .as_str()
        .unwrap()
        .starts_with(PROMPT));
    assert!(steps[9]["text"]["text"]
        .as_str()
        .unwrap()
        .starts_with(FINAL));
    assert!(steps[8]["output"]["text"]
        .as_str()
        .unwrap()
        .contains("4 passed, 0 failed"));
    assert!(steps[5]["extra"]["details"]["diff"]
        .as_str()
        .unwrap()
        .contains("+ 6     return a + b"));
    assert_eq!(steps[5]["meta"]["model"], "lab-model");
    assert_eq!(steps[0]["extra"]["version"], 3);
    assert_eq!(steps[3]["extra"]["parent"], "38effced");
    assert!(steps.iter().all(|s| s["snapshot"].is_null()));
    assert!(steps.iter().all(|s| s["meta"].get("branch").is_none()));

    let manifest = manifest(&repo);
    assert_eq!(manifest["models"], json!(["lab-model"]));
    assert!(manifest["prompt"].as_str().unwrap().starts_with(PROMPT));
    assert_eq!(
        manifest["tokens"]["input_tokens"],
        1000 + 1250 + 1500 + 1750 + 2000
    );
    assert_eq!(manifest["tokens"]["output_tokens"], 37 + 92 + 80 + 34 + 41);
    assert_eq!(manifest["counts"]["unknown_records"], 0);

    // Importing again changes nothing.
    let again = import(&repo, &session_lines(&repo), "");
    assert_eq!(again["steps"], trace["steps"]);
}

/// Where the real run's session file was, relocated.
fn transcript_path(repo: &TestRepo) -> PathBuf {
    repo.home
        .join(".pi/agent/sessions/--tmp-harness-lab-pi-repo--")
        .join(format!("2026-11-25T00-35-09-536Z_{SESSION}.jsonl"))
}

fn hook(repo: &TestRepo, event: &str, payload: &Value) {
    let mut cmd = repo.cmd("git-trace");
    cmd.args(["hook", "pi", event]);
    let out = common::with_stdin(cmd, payload.to_string().as_bytes());
    assert!(out.status.success(), "hook {event} exited {:?}", out.status);
    assert!(out.stdout.is_empty(), "hook {event} printed");
}

/// Replays the events our extension forwards, in our payload shape; before each, the session file
/// holds as many lines as it did when Pi ran that event, and between a tool's start and end the
/// working tree changes as the real tool changed it.
fn replay(repo: &TestRepo) {
    let lines = session_lines(repo);
    let path = transcript_path(repo);
    for hook_line in common::relocate(&common::fixture("pi", "hooks.jsonl"), "pi", repo).lines() {
        let logged: Value = serde_json::from_str(hook_line).unwrap();
        let event = logged["event"].as_str().unwrap();
        if !FORWARDED.contains(&event) {
            continue;
        }
        let mut payload = logged["stdin"].clone();
        payload["payload_version"] = json!(1);
        let at_hook = &logged["transcript_at_hook"];
        if at_hook["exists"].as_bool() == Some(true) {
            let n = at_hook["lines"].as_u64().unwrap() as usize;
            write_lines(&path, &lines[..n], "");
        }
        if event == "tool_result" {
            let tool = payload["event"]["toolName"].as_str().unwrap().to_string();
            apply_tool(repo, &tool, &payload["event"]["input"].clone());
        }
        hook(repo, event, &payload);
    }
}

/// What Pi's edit and write tools did to the working tree.
fn apply_tool(repo: &TestRepo, tool: &str, args: &Value) {
    let rel = args["path"].as_str().unwrap_or_default();
    match tool {
        "edit" => {
            let mut text = repo.read(rel);
            for e in args["edits"].as_array().unwrap() {
                let old = e["oldText"].as_str().unwrap();
                assert!(text.contains(old), "{old:?} not in {rel}");
                text = text.replacen(old, e["newText"].as_str().unwrap(), 1);
            }
            repo.write(rel, &text);
        }
        "write" => repo.write(rel, args["content"].as_str().unwrap()),
        _ => {}
    }
}

/// `git diff` of the real run, split per file.
fn sample_diff() -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for chunk in common::fixture("pi", "git-diff.txt")
        .split("diff --git ")
        .filter(|c| !c.is_empty())
    {
        let name = chunk.split_whitespace().next().unwrap();
        out.insert(
            name.trim_start_matches("a/").to_string(),
            format!("diff --git {chunk}"),
        );
    }
    out
}

#[test]
fn replayed_extension_events_and_session_file_merge_into_one_step_each() {
    let repo = common::scenario_repo();
    let before = repo.user_state();
    replay(&repo);
    let after = repo.user_state();
    assert_eq!(before.0, after.0, "HEAD moved");
    assert_eq!(before.1, after.1, "the user's index changed");
    assert_eq!(after.3, " M calc.py\n?? test_regression.py\n");
    assert_eq!(repo.errors_log(), "");

    let trace = repo.show_json(SESSION);
    let mut expected: Vec<&str> = IMPORTED.to_vec();
    expected.insert(1, "system - session start (startup)");
    expected.insert(4, "system - system prompt");
    expected.push("system - session end (quit)");
    assert_eq!(described(&trace), expected);
    let steps = steps(&trace);
    let sources = |i: usize| steps[i]["sources"].clone();
    for i in [2, 5, 7, 9, 10, 11] {
        assert_eq!(sources(i), json!(["hook", "transcript"]), "{}", steps[i]);
    }
    let tools: Vec<&str> = steps.iter().filter_map(|s| s["tool"].as_str()).collect();
    assert_eq!(tools, ["read", "edit", "write", "bash"], "each call once");
    let system = &steps[4];
    assert_eq!(system["meta"]["ctx"], "system");
    assert!(system["text"]["text"]
        .as_str()
        .unwrap()
        .starts_with("You are an expert coding assistant operating inside pi"));

    let with_snapshot: Vec<usize> = (0..steps.len())
        .filter(|&i| !steps[i]["snapshot"].is_null())
        .collect();
    assert_eq!(
        with_snapshot,
        [7, 9],
        "only the edit and the write changed files"
    );
    let diff = sample_diff();
    assert_eq!(
        repo.trail(&["diff", &format!("{SESSION}:7")]),
        diff["calc.py"]
    );
    assert_eq!(
        repo.trail(&["diff", &format!("{SESSION}:9")]),
        diff["test_regression.py"]
    );
    assert_eq!(manifest(&repo)["models"], json!(["lab-model"]));
}

/// A second path: after entry 8 the user went back to entry 4 and asked for something else, then
/// the first path went on (Pi appends entries in the order they happen).
#[test]
fn a_forked_session_file_imports_path_by_path() {
    let repo = common::scenario_repo();
    let mut lines = session_lines(&repo);
    let fork = lines[4]["id"].as_str().unwrap().to_string();
    let entry = |id: &str, parent: &str, message: Value| {
        json!({"type": "message", "id": id, "parentId": parent,
               "timestamp": "2026-11-25T00:40:00.000Z", "message": message})
    };
    let assistant = |content: Value| {
        json!({"role": "assistant", "content": content, "model": "lab-model",
               "usage": {"input": 10, "output": 1}, "stopReason": "stop"})
    };
    let branch = [
        entry(
            "b0000001",
            &fork,
            json!({"role": "user", "content": [{"type": "text", "text": "Only add a docstring instead."}]}),
        ),
        entry(
            "b0000002",
            "b0000001",
            assistant(json!([
                {"type": "thinking", "thinking": "A docstring, then."},
                {"type": "toolCall", "id": "call_b_0", "name": "edit",
                 "arguments": {"path": "calc.py", "edits": [{"oldText": "a", "newText": "b"}]}}
            ])),
        ),
        entry(
            "b0000003",
            "b0000002",
            json!({"role": "toolResult", "toolCallId": "call_b_0", "toolName": "edit",
                   "content": [{"type": "text", "text": "Successfully replaced 1 block(s) in calc.py."}], "isError": false}),
        ),
        entry(
            "b0000004",
            "b0000003",
            assistant(json!([{"type": "text", "text": "Docstring added."}])),
        ),
    ];
    for (n, e) in branch.into_iter().enumerate() {
        lines.insert(9 + n, e);
    }
    let trace = import(&repo, &lines, "");
    let mut expected: Vec<String> = IMPORTED.iter().map(|s| s.to_string()).collect();
    expected.extend([
        "user - Only add a docstring instead.".to_string(),
        "think - A docstring, then.".into(),
        "write edit calc.py".into(),
        "answer - Docstring added.".into(),
    ]);
    assert_eq!(described(&trace), expected);
    let branches: Vec<u64> = steps(&trace)
        .iter()
        .map(|s| s["meta"]["branch"].as_u64().unwrap())
        .collect();
    assert_eq!(branches, [[0; 10].as_slice(), &[1; 4]].concat());
    let steps = steps(&trace);
    assert!(steps[..10]
        .iter()
        .all(|s| s["extra"].get("fork_of").is_none()));
    assert!(steps[10..]
        .iter()
        .all(|s| s["extra"]["fork_of"] == fork.as_str()));
    assert!(steps[12]["output"]["text"]
        .as_str()
        .unwrap()
        .starts_with("Successfully replaced"));

    // The model on the second path saw its own branch only: the prompt and the first answer, then
    // the new prompt; nothing the first path did after the fork.
    let id = trace["id"].as_str().unwrap();
    let window: Value =
        serde_json::from_str(&repo.git(&["ctx", "show", &format!("{id}:12"), "--json"])).unwrap();
    let seen: Vec<(&str, &str)> = window["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["role"].as_str().unwrap(), i["summary"].as_str().unwrap()))
        .collect();
    assert_eq!(
        seen[seen.len() - 4..],
        [
            ("assistant", "I'll start by reading calc.py."),
            ("tool_call", "read calc.py"),
            ("user", "Only add a docstring instead."),
            ("thinking", "A docstring, then."),
        ],
        "{seen:#?}"
    );
    assert!(
        !seen.iter().any(|(_, s)| s.contains("Fixing it")),
        "{seen:#?}"
    );

    // Resuming there writes that branch only, the step's own message cut before its tool call.
    let resumed: Value =
        serde_json::from_str(&repo.git(&["ctx", "resume", &format!("{id}:12"), "--json"])).unwrap();
    let file = std::fs::read_to_string(resumed["file"].as_str().unwrap()).unwrap();
    let entries: Vec<Value> = file
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(entries[0]["type"], "session");
    assert_eq!(entries[0]["id"], resumed["session"]);
    let ids: Vec<&str> = entries[1..]
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    let original: Vec<&str> = lines[1..5]
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [original, vec!["b0000001", "b0000002"]].concat());
    assert_eq!(
        entries.last().unwrap()["message"]["content"],
        json!([{"type": "thinking", "thinking": "A docstring, then."}])
    );
    assert_eq!(
        resumed["command"],
        json!(["pi", "--session", resumed["file"]])
    );
}

#[test]
fn unknown_entries_a_newer_version_and_a_torn_line_are_kept() {
    let repo = common::scenario_repo();
    let mut lines = session_lines(&repo);
    lines[0]["version"] = json!(4);
    let last = lines.last().unwrap()["id"].as_str().unwrap().to_string();
    let extra = [
        json!({"type": "brand_new_entry", "id": "c0000001", "parentId": last, "payload": {"x": 1}}),
        json!({"type": "custom", "id": "c0000002", "parentId": "c0000001", "customType": "todo", "data": {"open": 2}}),
        json!({"type": "label", "id": "c0000003", "parentId": "c0000002", "targetId": last, "label": "done"}),
        json!({"type": "message", "id": "c0000004", "parentId": "c0000003", "message": {"role": "hologram", "content": "?"}}),
        json!({"type": "custom_message", "id": "c0000005", "parentId": "c0000004", "customType": "reminder",
               "content": "Remember the style guide.", "display": false}),
    ];
    lines.extend(extra);
    let torn = r#"{"type":"message","id":"c0000006","parentId":"c0000005","message":{"role":"assistant","content":[{"type":"te"#;
    let trace = import(&repo, &lines, torn);
    let described = described(&trace);
    assert_eq!(described[0], "system - session start (pi v4)");
    assert_eq!(described[1..10], IMPORTED[1..]);
    assert_eq!(
        described[10..],
        ["system - reminder: Remember the style guide."]
    );
    let steps = steps(&trace);
    assert_eq!(steps[10]["meta"]["ctx"], "injected");
    let tools: Vec<&str> = steps.iter().filter_map(|s| s["tool"].as_str()).collect();
    assert_eq!(tools, ["read", "edit", "write", "bash"]);
    assert_eq!(
        manifest(&repo)["counts"]["unknown_records"],
        3,
        "the unknown entry, the unknown role and the torn line are kept raw and counted"
    );
    assert!(repo.errors_log().contains("malformed line"));
}
