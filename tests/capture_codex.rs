//! Capture of a real Codex CLI session: the hook payloads and rollout Codex 0.169.0 produced for
//! the lab's fix-add-bug scenario (../shared/formats/samples/codex, copied to
//! tests/fixtures/codex), imported as a backfill and replayed hook by hook against a real
//! repository, with the rollout growing on disk exactly as it lagged behind the hooks.

mod common;

use common::{with_stdin, TestRepo};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const SESSION: &str = "01a21020-9763-7df0-8a25-7056c8ede963";
const PROMPT: &str = "The add() function in calc.py returns wrong results. Fix it, add a regression test file test_regression.py covering negative numbers and zero, then run the test suite with `python3 run_tests.py`.";

/// The rollout's lines, relocated into this test's repository and home.
fn rollout_lines(repo: &TestRepo) -> Vec<String> {
    common::relocate(
        &common::fixture("codex", "codex-rollout.jsonl"),
        "codex",
        repo,
    )
    .lines()
    .map(str::to_string)
    .collect()
}

fn write_rollout(path: &Path, lines: &[String]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    std::fs::write(path, text).unwrap();
}

/// `git trace import codex <file>`.
fn import(repo: &TestRepo, path: &Path) -> String {
    repo.trace(&["import", "codex", path.to_str().unwrap()])
}

/// Feeds one payload to `git-trace hook codex <event>`; asserts it exits 0, prints nothing and
/// logs no error.
fn hook(repo: &TestRepo, event: &str, payload: &Value) {
    let mut cmd = repo.cmd("git-trace");
    cmd.args(["hook", "codex", event]);
    let out = with_stdin(cmd, payload.to_string().as_bytes());
    assert!(out.status.success(), "hook {event} exited {:?}", out.status);
    assert!(
        out.stdout.is_empty(),
        "hook {event} printed {:?}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(repo.errors_log(), "", "hook {event} logged an error");
}

/// Applies an `apply_patch` patch to the working tree the way Codex did: added files get their
/// `+` lines, each `@@` chunk of an updated file replaces its old lines by its new ones.
fn apply_patch(root: &Path, patch: &str) {
    let mut file: Option<PathBuf> = None;
    let mut added: Option<String> = None;
    let mut chunk: Option<(String, String)> = None;
    let flush_chunk = |file: &Option<PathBuf>, chunk: &mut Option<(String, String)>| {
        if let (Some(f), Some((old, new))) = (file, chunk.take()) {
            let text = std::fs::read_to_string(f).unwrap();
            assert!(text.contains(&old), "{old:?} not in {}", f.display());
            std::fs::write(f, text.replacen(&old, &new, 1)).unwrap();
        }
    };
    for line in patch.lines() {
        if let Some(p) = line.strip_prefix("*** Add File: ") {
            file = Some(root.join(p));
            added = Some(String::new());
        } else if let Some(p) = line.strip_prefix("*** Update File: ") {
            file = Some(root.join(p));
        } else if line == "*** End Patch" {
            if let (Some(f), Some(text)) = (&file, added.take()) {
                std::fs::write(f, text).unwrap();
            }
            flush_chunk(&file, &mut chunk);
        } else if line.starts_with("@@") {
            flush_chunk(&file, &mut chunk);
            chunk = Some((String::new(), String::new()));
        } else if let Some(text) = added.as_mut() {
            text.push_str(&line[1..]);
            text.push('\n');
        } else if let Some((old, new)) = chunk.as_mut() {
            let (mark, rest) = line.split_at(1);
            if mark != "+" {
                old.push_str(rest);
                old.push('\n');
            }
            if mark != "-" {
                new.push_str(rest);
                new.push('\n');
            }
        }
    }
}

/// Replays every hook event of the sample; before each, the rollout holds as many lines as it
/// did when Codex ran that hook, and the working tree holds the agent's patches so far.
fn replay(repo: &TestRepo) -> PathBuf {
    let lines = rollout_lines(repo);
    let mut path = None;
    for hook_line in
        common::relocate(&common::fixture("codex", "hooks.jsonl"), "codex", repo).lines()
    {
        let logged: Value = serde_json::from_str(hook_line).unwrap();
        let event = logged["event"].as_str().unwrap();
        let payload = &logged["stdin"];
        let rollout = PathBuf::from(payload["transcript_path"].as_str().unwrap());
        assert!(rollout.starts_with(&repo.home), "{}", rollout.display());
        let n = logged["transcript_at_hook"]["lines"].as_u64().unwrap() as usize;
        write_rollout(&rollout, &lines[..n]);
        if event == "PostToolUse" && payload["tool_name"] == "apply_patch" {
            apply_patch(
                &repo.root,
                payload["tool_input"]["command"].as_str().unwrap(),
            );
        }
        hook(repo, event, payload);
        path = Some(rollout);
    }
    path.unwrap()
}

fn steps(trace: &Value) -> &Vec<Value> {
    trace["steps"].as_array().unwrap()
}

/// `kind tool summary` of each step, for compact assertions.
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

fn manifest(repo: &TestRepo, session: &str) -> Value {
    serde_json::from_str(&repo.git(&[
        "show",
        &format!("refs/traces/sessions/{session}:manifest.json"),
    ]))
    .unwrap()
}

/// The steps the rollout alone gives: its context records, then the conversation.
const IMPORTED: [&str; 15] = [
    "system - session start (codex 0.169.0)",
    "system - developer: <skills_instructions>",
    "system - user: <environment_context>",
    "system - world state (tools, instructions)",
    "system - turn context: gpt-5.5 · sandbox danger-full-access · approval never",
    "user - The add() function in calc.py returns wrong results. Fix it, add a regression test file test_regres…",
    "think - The user says add() is wrong. Inspect calc.py first.",
    "answer - I'll start by reading calc.py.",
    "exec exec_command cat calc.py",
    "answer - add() subtracts instead of adding. Fixing it.",
    "write apply_patch calc.py",
    "answer - Now the regression tests.",
    "write apply_patch test_regression.py",
    "exec exec_command python3 run_tests.py",
    "answer - Fixed `add()` in `calc.py`: it subtracted instead of adding. Added regression tests in `test_regres…",
];

#[test]
fn imported_rollout_becomes_ordered_steps() {
    let repo = common::scenario_repo();
    let path = repo.home.join("rollout.jsonl");
    write_rollout(&path, &rollout_lines(&repo));
    let out: Value =
        serde_json::from_str(&repo.trace(&["import", "codex", path.to_str().unwrap(), "--json"]))
            .unwrap();
    assert!(out.to_string().contains(SESSION), "{out}");
    let trace = repo.show_json(SESSION);
    assert_eq!(described(&trace), IMPORTED);
    assert_eq!(trace["harness"], "codex");
    assert_eq!(trace["models"], json!(["gpt-5.5"]));
    assert_eq!(trace["harness_version"], "0.169.0");
    assert_eq!(trace["cwd"], repo.root.to_str().unwrap());

    let steps = steps(&trace);
    assert!(steps.iter().all(|s| s["snapshot"].is_null()));
    assert_eq!(steps[5]["text"]["text"], PROMPT);
    assert_eq!(
        steps[6]["text"]["text"],
        "The user says add() is wrong. Inspect calc.py first."
    );
    assert_eq!(steps[10]["paths"], json!(["calc.py"]));
    assert_eq!(steps[12]["paths"], json!(["test_regression.py"]));
    assert!(steps[12]["input"]["patch"]
        .as_str()
        .unwrap()
        .starts_with("*** Begin Patch\n*** Add File: test_regression.py\n"));
    assert_eq!(
        steps[10]["extra"]["changes"],
        json!({format!("{}/calc.py", repo.root.display()): {"type": "update", "move_path": null}})
    );
    // The command's exit code and argv come from Codex's UI item, its output from the model's.
    let tests = &steps[13];
    assert_eq!(tests["input"]["cmd"], "python3 run_tests.py");
    assert_eq!(tests["meta"]["exit_code"], 0);
    assert_eq!(
        tests["extra"]["command"],
        json!(["/bin/bash", "-lc", "python3 run_tests.py"])
    );
    assert!(tests["output"]["text"]
        .as_str()
        .unwrap()
        .contains("4 passed, 0 failed"));
    assert_eq!(steps[0]["meta"]["ctx"], "system");
    assert!(steps[0]["text"]["bytes"].as_u64().unwrap() > 16 * 1024);
    assert!(
        steps[0]["text"]["blob"].is_string(),
        "the system prompt is a blob"
    );
    assert_eq!(steps[2]["meta"]["ctx"], "injected");
    assert_eq!(steps[3]["meta"]["ctx"], "tools");
    assert_eq!(steps[4]["meta"]["model"], "gpt-5.5");
    assert_eq!(steps[4]["extra"]["approval_policy"], "never");

    let manifest = manifest(&repo, SESSION);
    assert_eq!(manifest["harness_version"], "0.169.0");
    assert_eq!(manifest["prompt"], steps[5]["summary"]);
    assert_eq!(manifest["counts"]["unknown_records"], 0);
    assert_eq!(
        manifest["tokens"]["input_tokens"],
        1000 + 1250 + 1500 + 1750 + 2000
    );
    assert_eq!(
        manifest["tokens"]["output_tokens"],
        129 + 123 + 131 + 49 + 78
    );

    // Importing again changes nothing.
    import(&repo, &path);
    assert_eq!(repo.show_json(SESSION)["steps"], trace["steps"]);
}

#[test]
fn hooks_and_rollout_merge_into_one_step_each_with_exact_patches() {
    let repo = common::scenario_repo();
    let before = repo.user_state();
    let rollout = replay(&repo);
    let after = repo.user_state();
    assert_eq!(before.0, after.0, "HEAD moved");
    assert_eq!(before.1, after.1, "the user's index changed");
    assert_eq!(
        after.3, " M calc.py\n?? test_regression.py\n",
        "capture left files in the working tree"
    );

    let trace = repo.show_json(SESSION);
    let mut expected: Vec<String> = IMPORTED.iter().map(|s| s.to_string()).collect();
    // Hooks name the shell tool `Bash`, and see the session start and end.
    for s in &mut expected {
        *s = s.replace("exec exec_command", "exec Bash");
    }
    expected.insert(5, "system - session start (startup)".into());
    expected.push("system - session end (other)".into());
    assert_eq!(described(&trace), expected);

    let steps = steps(&trace);
    for (i, step) in steps.iter().enumerate() {
        let both = ["hook", "transcript"];
        match step["kind"].as_str().unwrap() {
            "exec" | "write" | "user" => assert_eq!(step["sources"], json!(both), "{i}: {step}"),
            _ => {}
        }
    }
    assert_eq!(steps.last().unwrap()["sources"], json!(["hook"]));
    assert_eq!(
        steps[15]["sources"],
        json!(["hook", "transcript"]),
        "answer"
    );
    assert_eq!(steps[6]["text"]["text"], PROMPT);
    assert_eq!(
        steps[6]["extra"]["turn_id"],
        "01a21020-9777-7872-8e6a-07c5ecc8c7fc"
    );
    assert_eq!(
        steps[11]["meta"]["exit_code"], 0,
        "from the hook's response"
    );
    assert!(steps[14]["output"]["text"]
        .as_str()
        .unwrap()
        .contains("4 passed, 0 failed"));

    let with_snapshot: Vec<usize> = steps
        .iter()
        .enumerate()
        .filter(|(_, s)| !s["snapshot"].is_null())
        .map(|(i, _)| i)
        .collect();
    assert_eq!(
        with_snapshot,
        [11, 13],
        "only the two patches changed files"
    );
    let diff = split_diff(&common::fixture("codex", "git-diff.txt"));
    assert_eq!(
        repo.trail(&["diff", &format!("{SESSION}:11")]),
        diff["calc.py"]
    );
    assert_eq!(
        repo.trail(&["diff", &format!("{SESSION}:13")]),
        diff["test_regression.py"]
    );
    let message = repo.git(&[
        "log",
        "-1",
        "--format=%B",
        steps[11]["snapshot"].as_str().unwrap(),
    ]);
    assert!(
        message.starts_with("step 11: apply_patch calc.py\n"),
        "{message}"
    );

    let manifest = manifest(&repo, SESSION);
    assert_eq!(manifest["harness"], "codex");
    assert_eq!(manifest["models"], json!(["gpt-5.5"]));
    assert_eq!(manifest["counts"]["files_changed"], 2);

    // Importing the finished rollout afterwards adds nothing.
    import(&repo, &rollout);
    assert_eq!(repo.show_json(SESSION)["steps"], trace["steps"]);
}

/// `git diff` of the real run, split per file.
fn split_diff(text: &str) -> BTreeMap<String, String> {
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

#[test]
fn unknown_records_and_a_torn_last_line_are_kept() {
    let repo = common::scenario_repo();
    let mut lines = rollout_lines(&repo);
    let odd = [
        json!({"timestamp": "2026-11-25T00:35:01.300Z", "ordinal": 100, "type": "brand_new_record", "payload": {"x": 1}}),
        json!({"timestamp": "2026-11-25T00:35:01.301Z", "ordinal": 101, "type": "event_msg", "payload": {"type": "brand_new_event"}}),
        json!({"timestamp": "2026-11-25T00:35:01.302Z", "ordinal": 102, "type": "response_item", "payload": {"type": "brand_new_item", "id": "x1"}}),
        json!({"timestamp": "2026-11-25T00:35:01.303Z", "ordinal": 103, "type": "response_item", "payload": null}),
        json!({"ordinal": 104, "type": "event_msg"}),
    ];
    for (i, line) in odd.iter().enumerate() {
        lines.insert(15 + i, line.to_string());
    }
    let path = repo.home.join("torn.jsonl");
    let mut text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    text.push_str(r#"{"timestamp":"2026-11-25T00:35:02.000Z","type":"response_item","payload":{"type":"message","role":"assistant","content":[{"type":"output_te"#);
    std::fs::write(&path, text).unwrap();
    import(&repo, &path);

    let trace = repo.show_json(SESSION);
    assert_eq!(
        described(&trace),
        IMPORTED,
        "every tool call kept, nothing added"
    );
    let manifest = manifest(&repo, SESSION);
    assert_eq!(
        manifest["counts"]["unknown_records"], 6,
        "five odd records and the torn line, kept raw and counted"
    );
    assert!(
        repo.errors_log().contains("malformed line"),
        "{}",
        repo.errors_log()
    );
}

/// Records real sessions may have and the sample does not: encrypted reasoning, compaction,
/// failed patches, moves and deletes, argv shells, arguments that are not JSON, MCP tools, and
/// outputs in older shapes.
#[test]
fn messier_rollouts_keep_every_tool_call() {
    let repo = common::scenario_repo();
    let cwd = repo.root.display().to_string();
    let sid = "01a21020-0000-7000-8000-000000000000";
    let mut n = 0;
    let mut line = |rtype: &str, payload: Value| {
        n += 1;
        json!({"timestamp": format!("2026-11-25T01:00:{n:02}.000Z"), "ordinal": n, "type": rtype, "payload": payload}).to_string()
    };
    let patch = "*** Begin Patch\n*** Update File: calc.py\n*** Move to: lib/calc.py\n@@\n-x\n+y\n*** Delete File: README.md\n*** End Patch\n";
    let lines = [
        line(
            "session_meta",
            json!({"id": sid, "cwd": cwd, "cli_version": null, "base_instructions": null}),
        ),
        line(
            "response_item",
            json!({"type": "message", "id": "u1", "role": "user", "content": [{"type": "input_text", "text": "tidy up"}, {"type": "input_image", "image_url": "data:"}]}),
        ),
        line(
            "response_item",
            json!({"type": "reasoning", "id": "rs1", "summary": [], "content": null, "encrypted_content": "gAAAA"}),
        ),
        line(
            "response_item",
            json!({"type": "custom_tool_call", "call_id": "c1", "name": "apply_patch", "input": patch}),
        ),
        line(
            "event_msg",
            json!({"type": "item_completed", "item": {"type": "FileChange", "id": "c1", "status": "failed", "changes": {
            format!("{cwd}/calc.py"): {"type": "update", "unified_diff": "@@", "move_path": format!("{cwd}/lib/calc.py")},
            format!("{cwd}/README.md"): {"type": "delete"}}}}),
        ),
        line(
            "response_item",
            json!({"type": "custom_tool_call_output", "call_id": "c1", "output": "Exit code: 1\nWall time: 0 seconds\nOutput:\nerror: no match\n"}),
        ),
        line(
            "response_item",
            json!({"type": "function_call", "call_id": "c2", "name": "shell", "arguments": "{\"command\": [\"bash\", \"-lc\", \"make test\"]}"}),
        ),
        line(
            "response_item",
            json!({"type": "function_call_output", "call_id": "c2", "output": "{\"output\": \"boom\", \"metadata\": {\"exit_code\": 2}}"}),
        ),
        line(
            "response_item",
            json!({"type": "function_call", "call_id": "c3", "name": "mcp__db__query", "arguments": "select 1 -- not json"}),
        ),
        line(
            "response_item",
            json!({"type": "function_call_output", "call_id": "c3", "output": [{"type": "input_text", "text": "1 row"}]}),
        ),
        line(
            "response_item",
            json!({"type": "local_shell_call", "call_id": "c4", "action": {"type": "exec", "command": ["ls", "-la"]}}),
        ),
        line(
            "compacted",
            json!({"message": "Summary so far", "replacement_history": [{}, {}]}),
        ),
        line("event_msg", json!({"type": "context_compacted"})),
        line(
            "response_item",
            json!({"type": "message", "id": "a1", "role": "assistant", "content": null}),
        ),
    ];
    let path = repo.home.join("messy.jsonl");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    import(&repo, &path);
    let trace = repo.show_json(sid);
    assert_eq!(
        described(&trace),
        [
            "system - session start (codex)",
            "user - tidy up",
            "think - [encrypted reasoning]",
            "write apply_patch calc.py, lib/calc.py, README.md",
            "exec shell make test",
            "tool mcp__db__query select 1 -- not json",
            "exec local_shell ls -la",
            "system - compaction",
            "system - compaction",
            "answer - ",
        ]
    );
    let steps = steps(&trace);
    assert_eq!(steps[1]["meta"]["images"], 1);
    assert_eq!(steps[2]["meta"]["encrypted"], true);
    assert_eq!(steps[3]["meta"]["failed"], true);
    assert_eq!(steps[3]["meta"]["exit_code"], 1);
    assert_eq!(steps[4]["meta"]["exit_code"], 2);
    assert_eq!(steps[4]["output"]["text"], "boom");
    assert_eq!(steps[5]["input"], "select 1 -- not json");
    assert_eq!(steps[5]["output"]["text"], "1 row");
    assert_eq!(steps[7]["text"]["text"], "Summary so far");
    assert_eq!(steps[7]["extra"]["replacement_items"], 2);
    assert_eq!(manifest(&repo, sid)["counts"]["unknown_records"], 0);
}

/// A patch git-traces cannot read is still captured (by a full refresh), a failed patch is marked,
/// and an event it does not know is kept as a step.
#[test]
fn hooks_never_miss_a_change_from_a_patch_they_cannot_read() {
    let repo = common::scenario_repo();
    let sid = "01a21020-1111-7000-8000-000000000000";
    let cwd = repo.root.display().to_string();
    let payload = |event: &str, extra: Value| {
        let mut v = json!({"session_id": sid, "transcript_path": format!("{cwd}/.none.jsonl"),
            "cwd": cwd, "hook_event_name": event, "turn_id": "t1", "model": "gpt-5.5"});
        for (k, val) in extra.as_object().unwrap() {
            v[k] = val.clone();
        }
        v
    };
    hook(
        &repo,
        "SessionStart",
        &payload("SessionStart", json!({"source": "startup"})),
    );
    let garbage = json!({"tool_name": "apply_patch", "tool_use_id": "g1", "tool_input": {"command": "*** Begin Patch\nnonsense"}});
    hook(&repo, "PreToolUse", &payload("PreToolUse", garbage.clone()));
    repo.write("notes.txt", "written by the patch\n");
    let mut post = garbage;
    post["tool_response"] = json!("Exit code: 1\nWall time: 0 seconds\nOutput:\ninvalid patch\n");
    hook(&repo, "PostToolUse", &payload("PostToolUse", post));
    hook(
        &repo,
        "PermissionRequest",
        &payload(
            "PermissionRequest",
            json!({"tool_name": "Bash", "tool_input": {"command": "rm x"}}),
        ),
    );
    hook(
        &repo,
        "SessionEnd",
        &payload("SessionEnd", json!({"reason": "other"})),
    );

    let trace = repo.show_json(sid);
    assert_eq!(
        described(&trace),
        [
            "system - session start (startup)",
            "write apply_patch *** Begin Patch",
            "system - permission request (Bash)",
            "system - session end (other)",
        ]
    );
    let patch = &steps(&trace)[1];
    assert_eq!(patch["meta"]["failed"], true);
    assert_eq!(patch["meta"]["exit_code"], 1);
    assert!(!patch["snapshot"].is_null(), "the change was captured");
    let diff = repo.trail(&["diff", &format!("{sid}:1")]);
    assert!(diff.contains("+++ b/notes.txt"), "{diff}");
    assert_eq!(
        steps(&trace)[2]["meta"]["raw"]["tool_input"]["command"],
        "rm x"
    );
}
