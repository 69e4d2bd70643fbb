//! End to end with the real Claude Code CLI: the harness lab (see `common::lab`) runs the pinned
//! `claude` binary offline against its scripted model, in a scratch repository whose hooks were wired
//! by our own `git trace init --agent claude`. The captured session is then checked against the
//! scenario's script: the steps, their order and content, one snapshot per changed tree, and nothing
//! left in the user's branch.

mod common;

use common::lab::{lab_bins, scenario, LabRun};

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

const SETUP_CMD: &str = "git trace init --agent claude";

#[test]
fn claude_fix_add_bug_is_captured_from_the_real_cli() {
    check_scenario("fix-add-bug");
}

#[test]
fn claude_resumed_session_is_captured_from_the_real_cli() {
    check_scenario("fix-add-bug-resume");
}

/// The user commits what the real Claude Code did, amends it, and blame names the session and
/// the step behind every line the agent wrote.
#[test]
fn claude_work_committed_and_amended_is_blamed_on_its_steps() {
    let Some(bins) = lab_bins("claude") else {
        return;
    };
    let lab = LabRun::run("claude", &scenario("fix-add-bug"), &bins);
    lab.git(&["add", "-A"]);
    lab.git(&["commit", "-qm", "fix add"]);
    lab.git(&["commit", "-q", "--amend", "-m", "fix add() and test it"]);
    let list: Value = serde_json::from_str(&lab.git(&["trace", "list", "--json"])).unwrap();
    let id = list[0]["id"].as_str().unwrap().to_string();
    let trace: Value = serde_json::from_str(&lab.git(&["trace", "show", &id, "--json"])).unwrap();
    let step_of = |tool: &str| {
        trace["steps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["tool"] == tool)
            .unwrap()["index"]
            .as_u64()
            .unwrap()
    };
    let owners = |file: &str| -> Vec<(String, Option<u64>, String)> {
        let blame: Value =
            serde_json::from_str(&lab.git(&["trail", "blame", "--json", file])).unwrap();
        blame
            .as_array()
            .unwrap()
            .iter()
            .map(|l| {
                (
                    l["content"].as_str().unwrap().to_string(),
                    l["step"].as_u64().filter(|_| l["session"] == id.as_str()),
                    l["state"].as_str().unwrap_or("-").to_string(),
                )
            })
            .collect()
    };
    let calc = owners("calc.py");
    let fixed = calc
        .iter()
        .find(|(c, _, _)| c == "    return a + b")
        .unwrap();
    assert_eq!(
        (fixed.1, fixed.2.as_str()),
        (Some(step_of("Edit")), "alive_on_path")
    );
    // Every other line of calc.py predates the session.
    assert_eq!(
        calc.iter().filter(|(_, s, _)| s.is_some()).count(),
        1,
        "{calc:#?}"
    );
    let regression = owners("test_regression.py");
    let write = step_of("Write");
    for (content, step, _) in &regression {
        if content.chars().filter(|c| c.is_alphanumeric()).count() >= 3 {
            assert_eq!(*step, Some(write), "{content:?} in {regression:#?}");
        }
    }
}

// ----------------------------------------------------------------------------- the script

/// One step the scenario's script implies, in order.
#[derive(Debug)]
enum Expected {
    Start {
        source: &'static str,
    },
    End,
    User(String),
    Think(String),
    Answer(String),
    Tool {
        turn: usize,
        call: usize,
        name: String,
        input: Value,
    },
}

/// Steps of the scripted conversation: per invocation a session start, the prompt, then per model
/// turn its thinking, its text and its tool calls (a turn without tool calls ends the prompt), and a
/// session end.
fn expected_steps(scenario: &Value, repo: &Path) -> Vec<Expected> {
    let prompts: Vec<String> = match scenario.get("prompts") {
        Some(list) => list
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_str().unwrap().to_string())
            .collect(),
        None => vec![scenario["prompt"].as_str().unwrap().to_string()],
    };
    let turns = scenario["harnesses"]["claude"]["turns"].as_array().unwrap();
    let mut turn = 0;
    let mut steps = Vec::new();
    for (i, prompt) in prompts.iter().enumerate() {
        steps.push(Expected::Start {
            source: if i == 0 { "startup" } else { "resume" },
        });
        steps.push(Expected::User(prompt.clone()));
        loop {
            let t = &turns[turn];
            if let Some(thinking) = t["thinking"].as_str() {
                steps.push(Expected::Think(thinking.to_string()));
            }
            if let Some(text) = t["text"].as_str() {
                steps.push(Expected::Answer(text.to_string()));
            }
            let calls = t["tool_calls"].as_array().cloned().unwrap_or_default();
            for (call, c) in calls.iter().enumerate() {
                let input = substitute(&c["input"], repo);
                steps.push(Expected::Tool {
                    turn,
                    call,
                    name: c["name"].as_str().unwrap().to_string(),
                    input,
                });
            }
            turn += 1;
            if calls.is_empty() {
                break;
            }
        }
        steps.push(Expected::End);
    }
    assert_eq!(turn, turns.len(), "every scripted turn belongs to a prompt");
    steps
}

fn substitute(value: &Value, repo: &Path) -> Value {
    let text = value
        .to_string()
        .replace("{{REPO}}", repo.to_str().unwrap());
    serde_json::from_str(&text).unwrap()
}

fn tool_kind(name: &str) -> &'static str {
    match name {
        "Read" => "read",
        "Edit" | "Write" => "write",
        "Bash" => "exec",
        other => panic!("the scenario calls {other}; teach tool_kind() its step kind"),
    }
}

fn lines(text: &str) -> Vec<String> {
    text.lines().map(str::to_string).collect()
}

// ----------------------------------------------------------------------------- the test

fn check_scenario(name: &str) {
    let Some(bins) = lab_bins("claude") else {
        return;
    };
    let scenario_path = scenario(name);
    let scenario: Value =
        serde_json::from_str(&std::fs::read_to_string(&scenario_path).unwrap()).unwrap();
    let lab = LabRun::run("claude", &scenario_path, &bins);
    let repo = std::fs::canonicalize(&lab.repo).unwrap();
    let rel = |file: &str| {
        file.strip_prefix(&format!("{}/", repo.display()))
            .unwrap_or(file)
            .to_string()
    };
    let setup = lab.artifact("setup.out");
    assert!(
        setup.contains("Claude Code hooks"),
        "`{SETUP_CMD}` did not wire Claude Code:\n{setup}"
    );

    // Exactly one session, Claude's own, with the id of the session file Claude Code wrote.
    let transcripts = lab.session_files(".claude/projects");
    assert_eq!(
        transcripts.len(),
        1,
        "Claude Code session files: {transcripts:?}"
    );
    let transcript = transcripts[0].clone();
    let list: Value = serde_json::from_str(&lab.git(&["trace", "list", "--json"])).unwrap();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 1, "sessions: {list:#?}");
    let id = list[0]["id"].as_str().unwrap().to_string();
    assert_eq!(list[0]["harness"], "claude");
    assert_eq!(
        transcript.file_stem().unwrap().to_str().unwrap(),
        id,
        "session id vs Claude's session file"
    );
    let trace: Value = serde_json::from_str(&lab.git(&["trace", "show", &id, "--json"])).unwrap();
    let steps = trace["steps"].as_array().unwrap();
    assert_eq!(
        list[0]["steps"],
        steps.len(),
        "list and show disagree on the step count"
    );

    // Claude's own record of each tool result, to compare the captured outputs with.
    let mut results: BTreeMap<String, Value> = BTreeMap::new();
    for line in std::fs::read_to_string(&transcript).unwrap().lines() {
        let record: Value = serde_json::from_str(line).unwrap();
        if let (Some(content), Some(result)) = (
            record["message"]["content"].as_array(),
            record.get("toolUseResult"),
        ) {
            for block in content.iter().filter(|b| b["type"] == "tool_result") {
                results.insert(
                    block["tool_use_id"].as_str().unwrap().to_string(),
                    result.clone(),
                );
            }
        }
    }

    // The steps follow the script, in order. Files are tracked along the script to know what each
    // Read returned and which tool calls changed the tree.
    let expected = expected_steps(&scenario, &repo);
    let describe = |s: &Value| format!("{} {} {}", s["index"], s["kind"], s["tool"]);
    let captured: Vec<String> = steps.iter().map(describe).collect();
    // Shown with --nocapture: what the real session became.
    let listing: Vec<String> = steps
        .iter()
        .map(|s| {
            let mark = if s["snapshot"].is_null() {
                ""
            } else {
                "  [snapshot]"
            };
            format!(
                "  {:>2} {:<6} {:<5} {}{mark}",
                s["index"].as_u64().unwrap_or(0),
                s["kind"].as_str().unwrap_or("?"),
                s["tool"].as_str().unwrap_or(""),
                s["summary"].as_str().unwrap_or("")
            )
        })
        .collect();
    eprintln!(
        "{name}: session {id}, {} steps\n{}",
        steps.len(),
        listing.join("\n")
    );
    assert_eq!(
        steps.len(),
        expected.len(),
        "captured steps {captured:#?}\nexpected {expected:#?}"
    );
    let mut files: BTreeMap<String, String> = scenario["repo_files"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
        .collect();
    let mut changing: Vec<(usize, String, String)> = Vec::new(); // (step, path, content after)
    let mut edits: Vec<(usize, String, String)> = Vec::new(); // (step, old_string, new_string)
    for (i, (step, want)) in steps.iter().zip(&expected).enumerate() {
        let at = format!(
            "step {i} ({}) vs {want:?}; captured: {captured:#?}",
            describe(step)
        );
        assert_eq!(step["index"], i, "{at}");
        let text = step["text"]["text"].as_str();
        match want {
            Expected::Start { source } => {
                assert_eq!(step["kind"], "system", "{at}");
                assert_eq!(step["meta"]["source"], *source, "{at}");
            }
            Expected::End => {
                assert_eq!(step["kind"], "system", "{at}");
                assert!(step["meta"]["reason"].is_string(), "{at}");
            }
            Expected::User(prompt) => {
                assert_eq!(step["kind"], "user", "{at}");
                assert_eq!(text, Some(prompt.as_str()), "{at}");
            }
            Expected::Think(thinking) => {
                assert_eq!(step["kind"], "think", "{at}");
                assert_eq!(text, Some(thinking.as_str()), "{at}");
            }
            Expected::Answer(answer) => {
                assert_eq!(step["kind"], "answer", "{at}");
                assert_eq!(text, Some(answer.as_str()), "{at}");
            }
            Expected::Tool {
                turn,
                call,
                name,
                input,
            } => {
                assert_eq!(step["kind"], tool_kind(name), "{at}");
                assert_eq!(step["tool"], name.as_str(), "{at}");
                for (key, value) in input.as_object().unwrap() {
                    assert_eq!(&step["input"][key], value, "input.{key} of {at}");
                }
                let output = step["output"]["text"].as_str().unwrap_or_default();
                assert!(!output.is_empty(), "tool output lost: {at}");
                let tool_use_id = format!("toolu_lab{turn:02}_{call}");
                let result = results.get(&tool_use_id).unwrap_or_else(|| {
                    panic!("no {tool_use_id} result in {}", transcript.display())
                });
                let path = input["file_path"].as_str().map(&rel);
                if let Some(path) = &path {
                    assert_eq!(step["paths"], serde_json::json!([path]), "{at}");
                }
                match name.as_str() {
                    "Read" => {
                        let path = path.unwrap();
                        assert_eq!(
                            Some(output),
                            files.get(&path).map(String::as_str),
                            "what Read returned, {at}"
                        );
                        assert_eq!(result["file"]["content"], output, "{at}");
                    }
                    "Bash" => assert_eq!(result["stdout"], output, "{at}"),
                    "Edit" | "Write" => {
                        let path = path.unwrap();
                        let before = files.get(&path).cloned();
                        let after = if name == "Edit" {
                            let (old, new) = (
                                input["old_string"].as_str().unwrap(),
                                input["new_string"].as_str().unwrap(),
                            );
                            edits.push((i, old.to_string(), new.to_string()));
                            before.clone().unwrap().replacen(old, new, 1)
                        } else {
                            input["content"].as_str().unwrap().to_string()
                        };
                        if before.as_deref() != Some(after.as_str()) {
                            changing.push((i, path.clone(), after.clone()));
                        }
                        files.insert(path, after);
                    }
                    _ => {}
                }
            }
        }
    }

    // One snapshot per changed tree, and only there; each holds the file as the tool left it, on
    // top of the previous one, starting from the user's HEAD.
    let initial = lab.artifact("initial-commit.txt").trim().to_string();
    let with_snapshot: Vec<usize> = steps
        .iter()
        .filter(|s| !s["snapshot"].is_null())
        .map(|s| s["index"].as_u64().unwrap() as usize)
        .collect();
    let wanted: Vec<usize> = changing.iter().map(|(i, _, _)| *i).collect();
    assert_eq!(
        with_snapshot, wanted,
        "steps with a snapshot; captured: {captured:#?}"
    );
    let mut parent = initial.clone();
    for (i, path, content) in &changing {
        let snapshot = steps[*i]["snapshot"].as_str().unwrap();
        assert_eq!(
            lab.git(&["show", &format!("{snapshot}:{path}")]),
            *content,
            "{path} in the snapshot of step {i}"
        );
        assert_eq!(
            lab.git(&["rev-parse", &format!("{snapshot}^")]).trim(),
            parent,
            "parent of the snapshot of step {i}"
        );
        parent = lab.git(&["rev-parse", snapshot]).trim().to_string();
        let diff = lab.git(&["trail", "diff", &format!("{id}:{i}")]);
        assert!(
            diff.contains(&format!("diff --git a/{path} b/{path}\n")),
            "git trail diff {id}:{i}:\n{diff}"
        );
    }
    // Every Edit's change shows as removed and added lines of its step's diff.
    for (i, old, new) in &edits {
        let diff = lines(&lab.git(&["trail", "diff", &format!("{id}:{i}")]));
        let (old, new) = (lines(old), lines(new));
        for line in old
            .iter()
            .filter(|l| !new.contains(l))
            .map(|l| format!("-{l}"))
            .chain(
                new.iter()
                    .filter(|l| !old.contains(l))
                    .map(|l| format!("+{l}")),
            )
        {
            assert!(
                diff.contains(&line),
                "git trail diff {id}:{i} lacks {line:?}:\n{diff:#?}"
            );
        }
    }
    let first_edit = edits.first().expect("the scenario edits calc.py").0;
    let diff = lab.git(&["trail", "diff", &format!("{id}:{first_edit}")]);
    assert!(
        diff.contains("\n-    return a - b\n") && diff.contains("\n+    return a + b\n"),
        "git trail diff {id}:{first_edit}:\n{diff}"
    );

    // Nothing in the user's branch: HEAD, index and working tree are the agent's, refs are ours.
    assert_eq!(
        lab.git(&["rev-parse", "HEAD"]).trim(),
        initial,
        "HEAD moved"
    );
    assert_eq!(lab.git(&["symbolic-ref", "HEAD"]).trim(), "refs/heads/main");
    let status: Vec<&str> = scenario["expect"]["git_status"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    let actual = lab.git(&["status", "--porcelain"]);
    assert_eq!(
        actual.lines().collect::<Vec<_>>(),
        status,
        "git status --porcelain:\n{actual}"
    );
    assert!(
        lab.cmd("git", &["diff", "--cached", "--quiet"])
            .status
            .success(),
        "the user's index changed"
    );
    for (path, content) in &files {
        assert_eq!(
            &std::fs::read_to_string(repo.join(path)).unwrap(),
            content,
            "{path} in the working tree"
        );
    }
    let refs = lab.git(&["for-each-ref", "--format=%(refname)"]);
    let outside: Vec<&str> = refs
        .lines()
        .filter(|r| !r.starts_with("refs/traces/"))
        .collect();
    assert_eq!(
        outside,
        ["refs/heads/main"],
        "refs outside refs/traces/:\n{refs}"
    );
    assert!(
        refs.lines()
            .any(|r| r == format!("refs/traces/sessions/{id}")),
        "no sealed session ref:\n{refs}"
    );
    let trail_tip = lab.git(&["rev-parse", &format!("refs/traces/trails/{id}")]);
    assert_eq!(
        trail_tip.trim(),
        parent,
        "the trail ends at the last snapshot"
    );

    let errors = std::fs::read_to_string(repo.join(".git/traces/errors.log")).unwrap_or_default();
    assert!(errors.is_empty(), ".git/traces/errors.log:\n{errors}");
    let doctor = lab.cmd("git", &["trace", "doctor"]);
    assert!(
        doctor.status.success(),
        "git trace doctor exited {}:\n{}{}",
        doctor.status,
        String::from_utf8_lossy(&doctor.stdout),
        String::from_utf8_lossy(&doctor.stderr)
    );
}
