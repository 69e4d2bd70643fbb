//! Capture of a real Claude Code session: the payloads and transcript Claude Code 2.1.197 produced
//! for the lab's fix-add-bug scenario (../shared/formats/samples/claude), replayed against a real
//! repository, with the transcript growing on disk exactly as it lagged behind the hooks.

mod common;

use common::TestRepo;
use serde_json::Value;
use sha2::Digest;
use std::collections::BTreeMap;

const SESSION: &str = "ecbef1cc-3097-4936-9b94-b6eb9d656352";

/// The transcript's lines, relocated into this test's repository and home.
fn transcript_lines(repo: &TestRepo) -> Vec<String> {
    common::relocate(
        &common::fixture("claude", "claude-session.jsonl"),
        "claude",
        repo,
    )
    .lines()
    .map(str::to_string)
    .collect()
}

fn transcript_path(repo: &TestRepo) -> std::path::PathBuf {
    repo.home
        .join(".claude/projects/-tmp-harness-lab-claude-repo")
        .join(format!("{SESSION}.jsonl"))
}

/// Replays every hook event of the sample; before each, the transcript holds as many lines as it
/// did when Claude Code ran that hook, and the working tree holds the agent's edits so far.
fn replay(repo: &TestRepo) {
    let lines = transcript_lines(repo);
    let path = transcript_path(repo);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    for hook_line in
        common::relocate(&common::fixture("claude", "hooks.jsonl"), "claude", repo).lines()
    {
        let logged: Value = serde_json::from_str(hook_line).unwrap();
        let event = logged["event"].as_str().unwrap();
        let payload = &logged["stdin"];
        let at_hook = &logged["transcript_at_hook"];
        if at_hook["exists"].as_bool() == Some(true) {
            let n = at_hook["lines"].as_u64().unwrap() as usize;
            std::fs::write(
                &path,
                lines[..n]
                    .iter()
                    .map(|l| format!("{l}\n"))
                    .collect::<String>(),
            )
            .unwrap();
        }
        if event == "PostToolUse" {
            apply_tool(payload);
        }
        repo.hook(event, payload);
    }
}

fn apply_tool(payload: &Value) {
    let input = &payload["tool_input"];
    match payload["tool_name"].as_str().unwrap() {
        "Edit" => {
            let file = input["file_path"].as_str().unwrap();
            let text = std::fs::read_to_string(file).unwrap();
            let new = text.replacen(
                input["old_string"].as_str().unwrap(),
                input["new_string"].as_str().unwrap(),
                1,
            );
            std::fs::write(file, new).unwrap();
        }
        "Write" => std::fs::write(
            input["file_path"].as_str().unwrap(),
            input["content"].as_str().unwrap(),
        )
        .unwrap(),
        _ => {}
    }
}

fn kinds(trace: &Value) -> Vec<String> {
    trace["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["kind"].as_str().unwrap().to_string())
        .collect()
}

const EXPECTED_KINDS: [&str; 12] = [
    "system", "user", "think", "answer", "read", "answer", "write", "answer", "write", "exec",
    "answer", "system",
];

#[test]
fn sample_session_becomes_ordered_steps_with_exact_patches() {
    let repo = common::scenario_repo();
    // As in the harness lab: the agent's wiring is kept out of `git status`.
    std::fs::write(repo.path(".git/info/exclude"), ".claude/\n").unwrap();
    repo.trace(&["init"]);
    let before = repo.user_state();
    replay(&repo);
    let after = repo.user_state();
    assert_eq!(before.0, after.0, "HEAD moved");
    assert_eq!(before.1, after.1, "the user's index changed");
    assert_eq!(before.2, after.2, "the stash changed");
    assert_eq!(
        after.3, " M calc.py\n?? test_regression.py\n",
        "capture left files in the working tree"
    );

    let list: Value = serde_json::from_str(&repo.trace(&["list", "--json"])).unwrap();
    let row = &list.as_array().unwrap()[0];
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(row["id"], SESSION);
    assert_eq!(row["harness"], "claude");
    assert_eq!(row["steps"], 12);
    assert_eq!(row["files_changed"], 2);
    assert!(row["prompt"]
        .as_str()
        .unwrap()
        .starts_with("The add() function in calc.py returns wrong results."));
    assert!(row["started_at"].as_str().unwrap() <= row["ended_at"].as_str().unwrap());
    for step in repo.show_json(SESSION)["steps"].as_array().unwrap() {
        if let Some(end) = step["ended_at"].as_str() {
            assert!(step["started_at"].as_str().unwrap() < end, "{step}");
        }
    }

    let trace = repo.show_json("ecbe");
    assert_eq!(kinds(&trace), EXPECTED_KINDS);
    let steps = trace["steps"].as_array().unwrap();
    let tools: Vec<&str> = steps
        .iter()
        .map(|s| s["tool"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(tools[4], "Read");
    assert_eq!(tools[6], "Edit");
    assert_eq!(tools[8], "Write");
    assert_eq!(tools[9], "Bash");
    assert_eq!(steps[6]["paths"], serde_json::json!(["calc.py"]));
    assert_eq!(
        steps[2]["text"]["text"],
        "The user says add() is wrong. Read calc.py first."
    );
    assert!(steps[10]["text"]["text"]
        .as_str()
        .unwrap()
        .starts_with("Fixed `add()` in `calc.py`"));
    assert!(steps[9]["output"]["text"]
        .as_str()
        .unwrap()
        .contains("4 passed, 0 failed"));
    assert_eq!(steps[6]["meta"]["model"], "claude-opus-4-8");
    let with_snapshot: Vec<usize> = steps
        .iter()
        .enumerate()
        .filter(|(_, s)| !s["snapshot"].is_null())
        .map(|(i, _)| i)
        .collect();
    assert_eq!(
        with_snapshot,
        vec![6, 8],
        "only the Edit and the Write changed files"
    );

    // The exact patches the agent produced: the same hunks `git diff` showed after the real run.
    let expected = fixture_diff();
    assert_eq!(
        repo.trail(&["diff", &format!("{SESSION}:6")]),
        expected["calc.py"]
    );
    assert_eq!(
        repo.trail(&["diff", &format!("{SESSION}:8")]),
        expected["test_regression.py"]
    );

    // Snapshot commits carry the final step numbers in their trailers, on top of HEAD.
    let edit = steps[6]["snapshot"].as_str().unwrap();
    let message = repo.git(&["log", "-1", "--format=%B", edit]);
    assert!(message.starts_with("step 6: Edit calc.py\n"), "{message}");
    assert!(
        message.contains(&format!("Trace-Session: {SESSION}\n")),
        "{message}"
    );
    assert!(message.contains("Trace-Step: 6\n"), "{message}");
    assert_eq!(
        repo.git(&["rev-parse", &format!("{edit}^")]),
        repo.git(&["rev-parse", "HEAD"])
    );
    let trail_tip = repo.git(&["rev-parse", &format!("refs/traces/trails/{SESSION}")]);
    assert_eq!(trail_tip.trim(), steps[8]["snapshot"].as_str().unwrap());

    // Every member of the bucket is listed in the manifest with its sha256 and size.
    let manifest: Value = serde_json::from_str(&repo.git(&[
        "show",
        &format!("refs/traces/sessions/{SESSION}:manifest.json"),
    ]))
    .unwrap();
    let members = manifest["members"].as_object().unwrap();
    assert!(
        members.contains_key("trace.json")
            && members.contains_key("trail.jsonl.gz")
            && members.contains_key("context.jsonl.gz")
    );
    let tree = repo.git(&[
        "ls-tree",
        "-r",
        "--name-only",
        &format!("refs/traces/sessions/{SESSION}"),
    ]);
    for (name, digest) in members {
        let bytes = repo
            .cmd("git")
            .args([
                "cat-file",
                "blob",
                &format!("refs/traces/sessions/{SESSION}:{name}"),
            ])
            .output()
            .unwrap()
            .stdout;
        assert_eq!(
            digest["size"].as_u64().unwrap(),
            bytes.len() as u64,
            "{name}"
        );
        let sha: String = sha2::Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(digest["sha256"], sha, "{name}");
        assert!(
            tree.lines().any(|l| l == name),
            "{name} listed but not in the bucket"
        );
    }
    assert_eq!(
        tree.lines().filter(|l| *l != "manifest.json").count(),
        members.len()
    );
    assert_eq!(manifest["harness_version"], "2.1.197");
    assert_eq!(
        manifest["tokens"]["input_tokens"],
        1000 + 1250 + 1500 + 1750 + 2000
    );
}

/// `git diff` of the real run, split per file.
fn fixture_diff() -> BTreeMap<String, String> {
    let text = sample_diff();
    let mut out = BTreeMap::new();
    for chunk in text.split("diff --git ").filter(|c| !c.is_empty()) {
        let name = chunk
            .split_whitespace()
            .next()
            .unwrap()
            .trim_start_matches("a/")
            .to_string();
        out.insert(name, format!("diff --git {chunk}"));
    }
    out
}

fn sample_diff() -> String {
    common::fixture("claude", "git-diff.txt")
}

#[test]
fn importing_after_hooks_or_twice_never_duplicates_steps() {
    let repo = common::scenario_repo();
    replay(&repo);
    let first = repo.show_json(SESSION);
    let path = transcript_path(&repo);
    for _ in 0..2 {
        let out = repo.trace(&["import", "claude", path.to_str().unwrap()]);
        assert!(out.contains(SESSION), "{out}");
        let again = repo.show_json(SESSION);
        assert_eq!(kinds(&again), kinds(&first));
        assert_eq!(again["steps"], first["steps"]);
    }
}

#[test]
fn backfill_import_builds_the_steps_hooks_would_have() {
    let repo = common::scenario_repo();
    let path = repo.home.join("session.jsonl");
    std::fs::write(&path, transcript_lines(&repo).join("\n") + "\n").unwrap();
    let out: Value =
        serde_json::from_str(&repo.trace(&["import", "claude", path.to_str().unwrap(), "--json"]))
            .unwrap();
    assert_eq!(out["session"], SESSION);
    let trace = repo.show_json(SESSION);
    // The same steps minus session start/end, which only hooks see.
    assert_eq!(kinds(&trace), EXPECTED_KINDS[1..11]);
    assert!(trace["steps"]
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["snapshot"].is_null()));
    // Importing again changes nothing.
    repo.trace(&["import", "claude", path.to_str().unwrap()]);
    assert_eq!(repo.show_json(SESSION)["steps"], trace["steps"]);
}

#[test]
fn transcript_with_torn_last_line_and_unknown_records_is_kept() {
    let repo = common::scenario_repo();
    let mut lines = transcript_lines(&repo);
    lines.insert(5, format!(r#"{{"type":"brand-new-record","uuid":"u-new","sessionId":"{SESSION}","cwd":"{}","payload":{{"x":1}}}}"#, repo.root.display()));
    let path = repo.home.join("torn.jsonl");
    let mut text = lines.join("\n") + "\n";
    text.push_str(r#"{"type":"assistant","message":{"content":[{"type":"text","te"#);
    std::fs::write(&path, text).unwrap();
    repo.trace(&["import", "claude", path.to_str().unwrap()]);
    let trace = repo.show_json(SESSION);
    assert_eq!(kinds(&trace), EXPECTED_KINDS[1..11]);
    let manifest: Value = serde_json::from_str(&repo.git(&[
        "show",
        &format!("refs/traces/sessions/{SESSION}:manifest.json"),
    ]))
    .unwrap();
    assert_eq!(
        manifest["counts"]["unknown_records"], 2,
        "the unknown record and the torn line are kept raw and counted"
    );
    let context = repo
        .cmd("git")
        .args([
            "cat-file",
            "blob",
            &format!("refs/traces/sessions/{SESSION}:context.jsonl.gz"),
        ])
        .output()
        .unwrap()
        .stdout;
    let mut text = String::new();
    std::io::Read::read_to_string(
        &mut flate2::read::MultiGzDecoder::new(&context[..]),
        &mut text,
    )
    .unwrap();
    assert!(text.contains("brand-new-record"));
    assert!(text.contains(r#"\"te"#), "the torn line was not kept");
    assert!(
        repo.errors_log().contains("malformed line"),
        "{}",
        repo.errors_log()
    );
}

#[test]
fn show_step_and_trail_log_read_like_git() {
    let repo = common::scenario_repo();
    replay(&repo);
    let step = repo.trace(&["show", &format!("{}:6", &SESSION[..6])]);
    assert!(step.starts_with("step ecbef1c:6  write Edit\n"), "{step}");
    assert!(step.contains("paths    calc.py\n"), "{step}");
    assert!(
        step.contains("-    return a - b\n+    return a + b\n"),
        "{step}"
    );
    let log = repo.trail(&["log", "ecb"]);
    let lines: Vec<&str> = log.lines().filter(|l| !l.starts_with("    ")).collect();
    assert_eq!(lines.len(), 2, "{log}");
    assert!(
        lines[0].contains("step 8: Write test_regression.py"),
        "{log}"
    );
    assert!(lines[1].contains("step 6: Edit calc.py"), "{log}");
    let whole = repo.trail(&["diff", "ecb"]);
    assert_eq!(whole, sample_diff());
}

/// Records real sessions have and the sample does not: compaction, subagent (sidechain) calls,
/// images, MCP results as block arrays, redacted thinking, unknown block types, odd lines.
#[test]
fn messier_transcripts_keep_every_tool_call() {
    let repo = common::scenario_repo();
    let cwd = repo.root.display().to_string();
    let sid = "77777777-0000-4000-8000-000000000000";
    let line = |v: Value| {
        let mut v = v;
        v["sessionId"] = sid.into();
        v["cwd"] = cwd.clone().into();
        v.to_string()
    };
    let lines = [
        line(
            serde_json::json!({"type":"user","uuid":"u1","promptId":"p1","timestamp":"2026-11-25T01:00:00.000Z",
            "message":{"role":"user","content":[{"type":"text","text":"what is in this screenshot?"},{"type":"image","source":{"type":"base64","data":"iVBORw0KGgo="}}]}}),
        ),
        line(
            serde_json::json!({"type":"assistant","uuid":"a1","timestamp":"2026-11-25T01:00:01.000Z",
            "message":{"id":"m1","model":"claude-x","content":[{"type":"redacted_thinking","data":"opaque"}],"usage":{"input_tokens":10,"output_tokens":1}}}),
        ),
        line(
            serde_json::json!({"type":"assistant","uuid":"a2","timestamp":"2026-11-25T01:00:02.000Z",
            "message":{"id":"m1","model":"claude-x","content":[{"type":"tool_use","id":"mcp1","name":"mcp__db__query","input":{"sql":"select 1"}}],"usage":{"input_tokens":10,"output_tokens":1}}}),
        ),
        line(
            serde_json::json!({"type":"user","uuid":"u2","timestamp":"2026-11-25T01:00:03.000Z",
            "message":{"role":"user","content":[{"type":"tool_result","tool_use_id":"mcp1","content":[{"type":"text","text":"1 row"},{"type":"image"}]}]}}),
        ),
        line(
            serde_json::json!({"type":"assistant","uuid":"a3","isSidechain":true,"timestamp":"2026-11-25T01:00:04.000Z",
            "message":{"id":"m2","content":[{"type":"tool_use","id":"sub1","name":"Grep","input":{"pattern":"TODO","path":cwd}}]}}),
        ),
        line(
            serde_json::json!({"type":"system","subtype":"compact_boundary","uuid":"s1","timestamp":"2026-11-25T01:00:05.000Z","content":"Conversation compacted"}),
        ),
        line(
            serde_json::json!({"type":"user","uuid":"u3","isCompactSummary":true,"timestamp":"2026-11-25T01:00:05.500Z",
            "message":{"role":"user","content":"Summary of the conversation so far"}}),
        ),
        line(
            serde_json::json!({"type":"assistant","uuid":"a4","timestamp":"2026-11-25T01:00:06.000Z",
            "message":{"id":"m3","content":[{"type":"fancy_new_block","x":1},{"type":"text","text":"All done."}]}}),
        ),
        line(
            serde_json::json!({"type":"assistant","uuid":"a5","timestamp":"2026-11-25T01:00:07.000Z","message":null}),
        ),
        "[1,2,3]".to_string(),
    ];
    let path = repo.home.join("messy.jsonl");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    repo.trace(&["import", "claude", path.to_str().unwrap()]);
    let trace = repo.show_json(sid);
    let steps = trace["steps"].as_array().unwrap();
    let described: Vec<String> = steps
        .iter()
        .map(|s| {
            format!(
                "{} {} {}",
                s["kind"].as_str().unwrap(),
                s["tool"].as_str().unwrap_or("-"),
                s["summary"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        described,
        [
            "user - what is in this screenshot?",
            "think - [redacted thinking]",
            "tool mcp__db__query select 1",
            "read Grep TODO",
            "system - compaction",
            "system - compaction summary",
            "system - assistant block fancy_new_block",
            "answer - All done.",
        ]
    );
    assert_eq!(steps[0]["meta"]["images"], 1);
    assert!(steps[2]["output"]["text"]
        .as_str()
        .unwrap()
        .contains("1 row"));
    assert_eq!(steps[3]["meta"]["isSidechain"], true);
    assert_eq!(steps[6]["meta"]["raw"]["x"], 1);

    // The compaction took the first exchange out of the window and put its summary in; the
    // subagent's call was never in the main conversation's window.
    let diff: Value =
        serde_json::from_str(&repo.git(&["ctx", "diff", &format!("{sid}:2"), "7", "--json"]))
            .unwrap();
    let roles = |key: &str| -> Vec<String> {
        diff[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| format!("{} {}", i["role"].as_str().unwrap(), i["step"]))
            .collect()
    };
    assert_eq!(roles("left"), ["user 0", "thinking 1"]);
    assert_eq!(roles("entered"), ["compaction 4", "summary 5"]);
    let window: Value =
        serde_json::from_str(&repo.git(&["ctx", "show", &format!("{sid}:7"), "--json"])).unwrap();
    let seen: Vec<&str> = window["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["summary"].as_str().unwrap())
        .collect();
    assert_eq!(seen, ["[compaction]", "Summary of the conversation so far"]);
}
