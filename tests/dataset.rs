//! `git trace dataset`: workflows over real captured sessions and real git histories, review,
//! verify, and publish to a real bare remote that the Python `datasets` library then loads.

mod common;

use common::{end, prompt, write, TestRepo};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Output;

const S: &str = "d5d5d5d5-0000-4000-8000-000000000001";
const S2: &str = "d5d5d5d5-0000-4000-8000-000000000002";
/// A secret the egress gate must stop (an AWS access key id with its secret).
const SECRET: &str = "AKIAZ7QWERTYUIOPLKJH";

fn dataset(repo: &TestRepo, args: &[&str]) -> Output {
    let mut all = vec!["trace", "dataset"];
    all.extend_from_slice(args);
    repo.git_output(&all)
}

fn ok(out: Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn rows(repo: &TestRepo, name: &str) -> Vec<Value> {
    serde_json::from_str(&ok(dataset(repo, &["review", name, "--all", "--json"]))).unwrap()
}

fn row_for<'a>(rows: &'a [Value], key: &str, value: &str) -> &'a Value {
    rows.iter()
        .find(|r| r["data"][key] == value)
        .unwrap_or_else(|| panic!("no row with {key} = {value}: {rows:#?}"))
}

/// One session that writes three files: greet.py is committed and stays, tmp.py is committed and
/// reverted with `git revert`, creds.py carries a secret and is committed.
fn history() -> TestRepo {
    let repo = common::wired(S);
    prompt(&repo, S, "Add a greeting module and a scratch helper");
    write(
        &repo,
        S,
        &repo.root,
        "w1",
        "greet.py",
        "def greet(name):\n    return f\"hello {name}\"\n",
    );
    write(
        &repo,
        S,
        &repo.root,
        "w2",
        "tmp.py",
        "def scratch_helper():\n    return 'temporary value'\n",
    );
    write(
        &repo,
        S,
        &repo.root,
        "w3",
        "creds.py",
        &format!("AWS_ACCESS_KEY_ID = \"{SECRET}\"\nAWS_SECRET_ACCESS_KEY = \"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\"\n"),
    );
    end(&repo, S);
    repo.git(&["add", "greet.py", "creds.py"]);
    repo.git(&["commit", "-qm", "add greet"]);
    repo.git(&["add", "tmp.py"]);
    repo.git(&["commit", "-qm", "add scratch helper"]);
    repo.git(&["revert", "--no-edit", "HEAD"]);
    repo
}

#[test]
fn survival_labeled_patches_are_labelled_by_history_gated_and_never_duplicated() {
    let repo = history();
    let templates: Vec<Value> =
        serde_json::from_str(&ok(dataset(&repo, &["templates", "--json"]))).unwrap();
    let names: Vec<&str> = templates
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "survival-labeled-patches",
            "sft-conversations",
            "pr-intent",
            "skill-runs"
        ]
    );

    let created = ok(dataset(
        &repo,
        &["new", "fixes", "--template", "survival-labeled-patches"],
    ));
    assert!(created.contains("refs/traces/datasets/fixes"), "{created}");
    for file in ["workflow.toml", "SKILL.md", "row.schema.json", "build_rows"] {
        assert!(
            repo.path(".traces/datasets/fixes").join(file).is_file(),
            "{file}"
        );
    }
    let text = ok(dataset(&repo, &["run", "fixes", "--since", "30d"]));
    assert!(text.contains("3 rows printed, 3 new"), "{text}");

    let all = rows(&repo, "fixes");
    assert_eq!(all.len(), 3, "{all:#?}");
    let greet = row_for(&all, "file", "greet.py");
    assert_eq!(greet["state"], "inbox");
    assert_eq!(greet["data"]["label"], "alive_on_path");
    assert_eq!(greet["data"]["survived"], true);
    assert_eq!(
        greet["data"]["prompt"],
        "Add a greeting module and a scratch helper"
    );
    assert!(greet["data"]["patch"]
        .as_str()
        .unwrap()
        .contains("+def greet(name):"));
    assert_eq!(greet["source"]["session"], S);
    assert_eq!(greet["scanner"], "egress-1");
    let tmp = row_for(&all, "file", "tmp.py");
    assert_eq!(tmp["data"]["label"], "reverted");
    assert_eq!(tmp["data"]["survived"], false);
    // The secret is a row, but blocked by the egress gate with where it was found, never what.
    let creds = row_for(&all, "file", "creds.py");
    assert_eq!(creds["state"], "blocked");
    let reason = creds["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("security: ") && reason.contains("at /patch"),
        "{reason}"
    );
    assert!(!reason.contains(SECRET));
    // Row ids are content hashes: the same evidence again adds nothing.
    let again = ok(dataset(&repo, &["run", "fixes", "--since", "30d"]));
    assert!(again.contains("3 rows printed, 0 new"), "{again}");
    assert_eq!(rows(&repo, "fixes").len(), 3);

    // A blocked row cannot be approved; approve --all takes the inbox only.
    let id = creds["id"].as_str().unwrap();
    let refused = dataset(&repo, &["review", "fixes", "approve", &id[..8]]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("is blocked"));
    let approved = ok(dataset(&repo, &["review", "fixes", "approve", "--all"]));
    assert!(approved.starts_with("approved 2 rows"), "{approved}");
    let status: Vec<Value> =
        serde_json::from_str(&ok(dataset(&repo, &["status", "fixes", "--json"]))).unwrap();
    assert_eq!(
        status[0]["counts"],
        json!({"inbox": 0, "approved": 2, "published": 0, "rejected": 0, "blocked": 1})
    );
    // Every change is a commit on the dataset's ref.
    let log = repo.git(&["log", "--format=%s", "refs/traces/datasets/fixes"]);
    assert_eq!(
        log.lines().collect::<Vec<_>>(),
        [
            "dataset fixes: approve 2 rows",
            "dataset fixes: run 2: 3 rows printed, 0 new, from 1 sessions",
            "dataset fixes: run 1: 3 rows printed, 3 new, from 1 sessions",
            "dataset fixes: new, from template survival-labeled-patches",
        ]
    );
}

/// The Python with the `datasets` library: `$GIT_TRACES_PYTHON`, else the venv `.ci/run` makes.
fn datasets_python() -> Option<PathBuf> {
    let python = std::env::var_os("GIT_TRACES_PYTHON")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .map(|h| Path::new(&h).join(".cache/git-traces-datasets/bin/python"))
        })?;
    let works = std::process::Command::new(&python)
        .args(["-c", "import datasets"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !works && std::env::var_os("CI").is_some() {
        panic!(
            "{} cannot import datasets (.ci/run installs it)",
            python.display()
        );
    }
    works.then_some(python)
}

/// Every object of the repository at `git_dir`, as text.
fn all_objects(repo: &TestRepo, git_dir: &Path) -> String {
    let out = repo
        .cmd("git")
        .arg("--git-dir")
        .arg(git_dir)
        .args(["cat-file", "--batch-all-objects", "--batch"])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn publish_sends_approved_rows_only_and_the_datasets_library_loads_them() {
    let repo = history();
    ok(dataset(
        &repo,
        &["new", "fixes", "--template", "survival-labeled-patches"],
    ));
    ok(dataset(&repo, &["run", "fixes"]));
    let all = rows(&repo, "fixes");
    let greet = row_for(&all, "file", "greet.py")["id"]
        .as_str()
        .unwrap()
        .to_string();
    ok(dataset(
        &repo,
        &["review", "fixes", "approve", &greet[..10]],
    ));
    let remote = repo.root.parent().unwrap().join("hub.git");
    repo.git(&["init", "-q", "--bare", remote.to_str().unwrap()]);
    repo.git(&["remote", "add", "hub", remote.to_str().unwrap()]);

    let out = ok(dataset(&repo, &["publish", "fixes", "--to", "hub"]));
    assert!(
        out.contains("published 1 rows of 'fixes' to hub as data/train-00000.jsonl"),
        "{out}"
    );
    // Nothing new: publishing again refuses, and the remote is unchanged.
    let tip = repo.git(&["ls-remote", "hub", "refs/heads/main"]);
    assert_eq!(
        dataset(&repo, &["publish", "fixes", "--to", "hub"])
            .status
            .code(),
        Some(1)
    );
    assert_eq!(repo.git(&["ls-remote", "hub", "refs/heads/main"]), tip);
    // Even when the local record of the publish is lost, the remote's provenance keeps a row
    // from going twice.
    repo.git(&[
        "update-ref",
        "refs/traces/datasets/fixes",
        "refs/traces/datasets/fixes~1",
    ]);
    let out = dataset(&repo, &["publish", "fixes", "--to", "hub"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("1 approved rows were on the remote already")
    );
    assert_eq!(repo.git(&["ls-remote", "hub", "refs/heads/main"]), tip);
    assert_eq!(
        row_for(&rows(&repo, "fixes"), "file", "greet.py")["state"],
        "published"
    );

    // Re-publishing adds only a new shard: approve the reverted patch too.
    ok(dataset(&repo, &["review", "fixes", "approve", "--all"]));
    let out = ok(dataset(
        &repo,
        &["publish", "fixes", "--to", "hub", "--json"],
    ));
    let published: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(published["shard"], "data/train-00001.jsonl");
    assert_eq!(published["rows"], 1);
    assert_eq!(published["total"], 2);

    let clone = repo.root.parent().unwrap().join("hub-clone");
    repo.git(&[
        "clone",
        "-q",
        "-b",
        "main",
        remote.to_str().unwrap(),
        clone.to_str().unwrap(),
    ]);
    let listed = repo.git(&["-C", clone.to_str().unwrap(), "ls-files"]);
    assert_eq!(
        listed.lines().collect::<Vec<_>>(),
        [
            "README.md",
            "data/train-00000.jsonl",
            "data/train-00001.jsonl",
            "dataset_infos.json",
            "git-traces.json",
            "provenance/train-00000.jsonl",
            "provenance/train-00001.jsonl",
            "schemas/row.schema.json",
        ]
    );
    let card = std::fs::read_to_string(clone.join("README.md")).unwrap();
    assert!(card.starts_with("---\nlicense: \"other\"\n"), "{card}");
    assert!(card.contains("path: \"data/train-*.jsonl\""), "{card}");
    // The blocked row and the secret reached no object of the remote.
    let objects = all_objects(&repo, &remote);
    assert!(objects.contains("def greet(name):"));
    assert!(!objects.contains(SECRET));
    assert!(!objects.contains("creds.py"));
    assert!(!objects.contains("refs/traces"));

    let Some(python) = datasets_python() else {
        eprintln!("skipped the load_dataset check: no Python with the datasets library");
        return;
    };
    let script = "import sys, json\nfrom datasets import load_dataset\nd = load_dataset(sys.argv[1], split='train')\nprint(json.dumps({'rows': d.num_rows, 'columns': sorted(d.column_names), 'labels': sorted(d['label'])}))\n";
    let mut cmd = repo.cmd(python.to_str().unwrap());
    let out = cmd
        .args(["-c", script, clone.to_str().unwrap()])
        .env("HF_HUB_OFFLINE", "1")
        .env("HF_DATASETS_OFFLINE", "1")
        .env("HF_HOME", repo.home.join("hf"))
        .output()
        .unwrap();
    let loaded: Value = serde_json::from_str(
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .last()
            .unwrap_or_else(|| {
                panic!(
                    "load_dataset failed: {}",
                    String::from_utf8_lossy(&out.stderr)
                )
            }),
    )
    .unwrap();
    assert_eq!(loaded["rows"], 2);
    assert_eq!(loaded["labels"], json!(["alive_on_path", "reverted"]));
    assert_eq!(
        loaded["columns"],
        json!([
            "alive_lines",
            "commit",
            "context",
            "file",
            "harness",
            "label",
            "lines",
            "model",
            "patch",
            "prompt",
            "session",
            "step",
            "survived"
        ])
    );
}

#[test]
fn a_remote_with_a_newer_schema_is_refused() {
    let repo = history();
    ok(dataset(
        &repo,
        &["new", "fixes", "--template", "survival-labeled-patches"],
    ));
    ok(dataset(&repo, &["run", "fixes"]));
    let remote = repo.root.parent().unwrap().join("hub.git");
    repo.git(&["init", "-q", "--bare", remote.to_str().unwrap()]);
    // Someone published version 2 of the workflow there.
    let other = repo.root.parent().unwrap().join("other");
    repo.git(&["init", "-q", "-b", "main", other.to_str().unwrap()]);
    std::fs::write(
        other.join("git-traces.json"),
        json!({"workflow": {"name": "survival-labeled-patches", "version": 2, "digest": "x", "schema_digest": "y"}}).to_string(),
    )
    .unwrap();
    let o = other.to_str().unwrap();
    repo.git(&["-C", o, "add", "-A"]);
    repo.git(&["-C", o, "commit", "-qm", "v2"]);
    repo.git(&["-C", o, "push", "-q", remote.to_str().unwrap(), "main"]);
    let tip = repo.git(&["ls-remote", remote.to_str().unwrap()]);

    ok(dataset(&repo, &["review", "fixes", "approve", "--all"]));
    let out = dataset(
        &repo,
        &["publish", "fixes", "--to", remote.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("survival-labeled-patches@2, newer than this dataset's @1"),
        "{err}"
    );
    assert_eq!(repo.git(&["ls-remote", remote.to_str().unwrap()]), tip);
    assert!(rows(&repo, "fixes")
        .iter()
        .all(|r| r["state"] != "published"));
}

/// A workflow directory with `build_rows` as given and an open row schema that requires `n`.
fn custom_workflow(repo: &TestRepo, name: &str, build_rows: &str) -> PathBuf {
    let dir = repo.root.parent().unwrap().join(name);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("workflow.toml"),
        format!("name = \"{name}\"\nversion = 1\ndescription = \"test workflow\"\n"),
    )
    .unwrap();
    std::fs::write(dir.join("SKILL.md"), "# test\n").unwrap();
    std::fs::write(
        dir.join("row.schema.json"),
        json!({"type": "object", "required": ["n"], "properties": {"n": {"type": "integer"}}})
            .to_string(),
    )
    .unwrap();
    let builder = dir.join("build_rows");
    std::fs::write(&builder, format!("#!/bin/sh\n{build_rows}\n")).unwrap();
    repo.cmd("chmod").arg("+x").arg(&builder).output().unwrap();
    dir
}

#[test]
fn bad_builders_write_nothing_or_rows_rejected_with_reasons() {
    let repo = history();
    ok(dataset(&repo, &["new", "probe", "--template", "pr-intent"]));
    let before = repo.git(&["rev-parse", "refs/traces/datasets/probe"]);

    // A crash: the error names the workflow and shows its stderr; the ref does not move.
    let crash = custom_workflow(
        &repo,
        "crash",
        "echo '{\"n\": 1}'; echo 'boom: cannot parse' >&2; exit 7",
    );
    let out = dataset(
        &repo,
        &["run", "probe", "--workflow", crash.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("build_rows of crash@1") && err.contains("exited 7"),
        "{err}"
    );
    assert!(err.contains("boom: cannot parse"), "{err}");
    assert_eq!(
        repo.git(&["rev-parse", "refs/traces/datasets/probe"]),
        before
    );

    // An escalation: the questions are shown, exit 3, nothing written; answers resume it.
    let asks = custom_workflow(
        &repo,
        "asks",
        &format!("if grep -q '\"keep_scratch\": \"no\"' \"$1\"; then echo '{{\"n\": 1, \"_source\": {{\"session\": \"{S}\", \"steps\": [1]}}}}'; exit 0; fi\necho '{{\"id\": \"keep_scratch\", \"question\": \"Keep scratch helpers?\"}}'; exit 3"),
    );
    let out = dataset(
        &repo,
        &["run", "probe", "--workflow", asks.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stdout).contains("keep_scratch: Keep scratch helpers?"));
    assert_eq!(
        repo.git(&["rev-parse", "refs/traces/datasets/probe"]),
        before
    );
    let answers = repo.root.parent().unwrap().join("answers.json");
    std::fs::write(&answers, r#"{"keep_scratch": "no"}"#).unwrap();
    let out = ok(dataset(
        &repo,
        &[
            "run",
            "probe",
            "--workflow",
            asks.to_str().unwrap(),
            "--answers",
            answers.to_str().unwrap(),
        ],
    ));
    assert!(out.contains("1 rows printed, 1 new"), "{out}");

    // Lines that are not rows are rejected with their reason; a schema violation is blocked.
    let sloppy = custom_workflow(
        &repo,
        "sloppy",
        &format!("echo 'not json at all'\necho '[1, 2]'\necho '{{\"n\": 2}}'\necho '{{\"n\": 3, \"_source\": {{\"session\": \"nope\"}}}}'\necho '{{\"n\": \"four\", \"_source\": {{\"session\": \"{S}\"}}}}'\necho '{{\"n\": 5, \"_source\": {{\"session\": \"{S}\"}}}}'"),
    );
    let out = ok(dataset(
        &repo,
        &["run", "probe", "--workflow", sloppy.to_str().unwrap()],
    ));
    assert!(out.contains("changed since it was pinned"), "{out}");
    let mut reasons: Vec<(String, String)> = rows(&repo, "probe")
        .iter()
        .filter(|r| r["run"] == 2)
        .map(|r| {
            (
                r["state"].as_str().unwrap().to_string(),
                r["reason"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    reasons.sort();
    assert_eq!(reasons.len(), 6, "{reasons:#?}");
    assert_eq!(reasons[0].0, "blocked");
    assert!(
        reasons[0]
            .1
            .starts_with("schema: \"four\" is not of type \"integer\" at /n"),
        "{reasons:#?}"
    );
    assert_eq!(reasons[1], ("inbox".into(), String::new()));
    let rejected: Vec<&str> = reasons[2..]
        .iter()
        .map(|(s, r)| {
            assert_eq!(s, "rejected");
            r.as_str()
        })
        .collect();
    assert!(
        rejected.iter().any(|r| r.starts_with("not a row: line 1:")),
        "{rejected:?}"
    );
    assert!(
        rejected.contains(&"not a row: line 2 is a JSON array"),
        "{rejected:?}"
    );
    assert!(
        rejected
            .iter()
            .any(|r| r.starts_with("no provenance: line 3")),
        "{rejected:?}"
    );
    assert!(
        rejected.contains(&"provenance: session nope is not in this run's selection"),
        "{rejected:?}"
    );

    // --strict refuses a workflow that is not the pinned one.
    let out = dataset(
        &repo,
        &[
            "run",
            "probe",
            "--strict",
            "--workflow",
            crash.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("the workflow of dataset 'probe' changed")
    );

    // An empty selection is a run with no sessions, said plainly.
    let out = ok(dataset(
        &repo,
        &[
            "run",
            "probe",
            "--since",
            "2099-01-01",
            "--workflow",
            sloppy.to_str().unwrap(),
        ],
    ));
    assert!(
        out.contains("0 sessions selected")
            && out.contains("no session matched the selection (since 2099-01-01"),
        "{out}"
    );
}

#[test]
fn a_schema_change_between_runs_blocks_rows_that_no_longer_validate() {
    let repo = history();
    ok(dataset(
        &repo,
        &["new", "fixes", "--template", "survival-labeled-patches"],
    ));
    ok(dataset(&repo, &["run", "fixes"]));
    let schema_path = repo.path(".traces/datasets/fixes/row.schema.json");
    let mut schema: Value =
        serde_json::from_str(&std::fs::read_to_string(&schema_path).unwrap()).unwrap();
    schema["properties"]["label"] = json!({"enum": ["alive_on_path"]});
    std::fs::write(&schema_path, schema.to_string()).unwrap();
    let out = ok(dataset(&repo, &["run", "fixes"]));
    assert!(out.contains("changed since it was pinned"), "{out}");
    assert!(
        out.contains("1 rows seen before were blocked this time"),
        "{out}"
    );
    let all = rows(&repo, "fixes");
    assert_eq!(row_for(&all, "file", "greet.py")["state"], "inbox");
    let tmp = row_for(&all, "file", "tmp.py");
    assert_eq!(tmp["state"], "blocked");
    assert!(
        tmp["reason"].as_str().unwrap().starts_with("schema: "),
        "{tmp:#?}"
    );
}

#[test]
fn verify_reproduces_then_sees_the_evidence_advance_and_catches_a_nondeterministic_builder() {
    let repo = history();
    ok(dataset(
        &repo,
        &["new", "fixes", "--template", "survival-labeled-patches"],
    ));
    ok(dataset(&repo, &["run", "fixes"]));
    let out = dataset(&repo, &["verify", "fixes"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("fixes: reproduces (run 1"));

    // A new session: the same workflow would read other evidence.
    common::start(&repo, S2, &repo.root);
    write(
        &repo,
        S2,
        &repo.root,
        "x1",
        "more.py",
        "def more_things():\n    return 42\n",
    );
    end(&repo, S2);
    let out = dataset(&repo, &["verify", "fixes", "--json"]);
    assert_eq!(out.status.code(), Some(3));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["status"], "evidence-advanced");
    assert_eq!(v["details"][0], format!("session {S2} is new since run 1"));

    // Same evidence, other rows: the builder prints the time.
    let clock = custom_workflow(
        &repo,
        "clock",
        &format!("echo \"{{\\\"n\\\": $(date +%s%N), \\\"_source\\\": {{\\\"session\\\": \\\"{S}\\\"}}}}\""),
    );
    ok(dataset(
        &repo,
        &["new", "clocked", "--template", "pr-intent"],
    ));
    ok(dataset(
        &repo,
        &["run", "clocked", "--workflow", clock.to_str().unwrap()],
    ));
    let out = dataset(&repo, &["verify", "clocked"]);
    assert_eq!(out.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&out.stdout).contains("integrity-failure"));
    assert!(String::from_utf8_lossy(&out.stdout).contains("same evidence, other rows"));
}

#[test]
fn pr_intent_and_sft_rows_come_from_commits_and_surviving_sessions() {
    let repo = history();
    ok(dataset(
        &repo,
        &["new", "intent", "--template", "pr-intent"],
    ));
    ok(dataset(&repo, &["run", "intent"]));
    let all = rows(&repo, "intent");
    let head_parent = repo.git(&["rev-parse", "HEAD~2"]);
    let add_greet = row_for(&all, "commit", head_parent.trim());
    assert_eq!(add_greet["data"]["subject"], "add greet");
    assert_eq!(
        add_greet["data"]["intent"],
        json!(["Add a greeting module and a scratch helper"])
    );
    assert_eq!(add_greet["data"]["sessions"], json!([S]));
    assert!(add_greet["data"]["agent_lines"].as_u64().unwrap() >= 2);

    ok(dataset(
        &repo,
        &["new", "chats", "--template", "sft-conversations"],
    ));
    ok(dataset(&repo, &["run", "chats"]));
    let all = rows(&repo, "chats");
    assert_eq!(all.len(), 1, "{all:#?}");
    let messages = all[0]["data"]["messages"].as_array().unwrap();
    assert_eq!(messages[0]["role"], "user");
    assert_eq!(
        messages[0]["content"],
        "Add a greeting module and a scratch helper"
    );
    let wrote = messages
        .iter()
        .filter(|m| m["role"] == "assistant" && m["tool"] == "Write")
        .count();
    assert_eq!(wrote, 3);
    // The secret the session wrote was redacted at capture: the conversation carries the marker.
    let text = all[0]["data"].to_string();
    assert!(
        !text.contains(SECRET) && text.contains("[REDACTED:"),
        "{text}"
    );
    assert_eq!(all[0]["state"], "inbox");
}

#[test]
fn templates_build_schema_valid_rows_from_the_real_session_files_of_all_three_harnesses() {
    let repo = common::scenario_repo();
    for (harness, file) in [
        ("claude", "claude-session.jsonl"),
        ("codex", "codex-rollout.jsonl"),
        ("pi", "pi-session.jsonl"),
    ] {
        let path = repo.root.parent().unwrap().join(file);
        std::fs::write(
            &path,
            common::relocate(&common::fixture(harness, file), harness, &repo),
        )
        .unwrap();
        repo.trace(&["import", harness, path.to_str().unwrap()]);
    }
    ok(dataset(
        &repo,
        &["new", "chats", "--template", "sft-conversations"],
    ));
    // None of the samples' work was committed: take every session, whatever survived.
    let toml = repo.path(".traces/datasets/chats/workflow.toml");
    let text = std::fs::read_to_string(&toml)
        .unwrap()
        .replace("min_retention = 0.5\n", "");
    std::fs::write(&toml, text).unwrap();
    ok(dataset(&repo, &["run", "chats"]));
    let all = rows(&repo, "chats");
    let mut harnesses: Vec<&str> = all
        .iter()
        .map(|r| r["data"]["harness"].as_str().unwrap())
        .collect();
    harnesses.sort();
    assert_eq!(harnesses, ["claude", "codex", "pi"], "{all:#?}");
    for row in &all {
        assert_eq!(row["state"], "inbox", "{row:#?}");
        let messages = row["data"]["messages"].as_array().unwrap();
        assert!(
            messages.iter().any(|m| m["role"] == "user"
                && m["content"]
                    .as_str()
                    .unwrap()
                    .contains("The add() function in calc.py returns wrong results")),
            "{row:#?}"
        );
        assert!(messages.iter().any(|m| m["role"] == "tool"), "{row:#?}");
    }
}
