//! Backfill and ctx over the real session files of all three harnesses: `git trace import --all`
//! finds what ran in this repository (and nothing else), imports it once, and `git ctx` rebuilds
//! what each model saw. Also the odd cases: a repository moved since its sessions ran, two
//! harnesses capturing into one repository at once.

mod common;

use common::TestRepo;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Where each harness's sample was recorded, and its session id.
const SAMPLES: [(&str, &str, &str); 3] = [
    (
        "claude",
        "/tmp/harness-lab-claude/repo",
        "ecbef1cc-3097-4936-9b94-b6eb9d656352",
    ),
    (
        "codex",
        "/tmp/harness-lab-codex/repo",
        "01a21020-9763-7df0-8a25-7056c8ede963",
    ),
    (
        "pi",
        "/tmp/harness-lab-pi/repo",
        "01a21020-b85f-758d-9c9e-ff64d2eaf8bd",
    ),
];

/// Writes a harness's sample where the harness keeps its sessions, as if it had run in `cwd`;
/// `id` replaces the sample's session id. Returns the file.
fn place(repo: &TestRepo, harness: &str, cwd: &Path, id: &str) -> PathBuf {
    let (_, lab_cwd, lab_id) = SAMPLES.iter().find(|s| s.0 == harness).unwrap();
    // The lab repository's first commit, which the Codex sample names as its checkout.
    let head = repo.git(&["rev-parse", "HEAD"]);
    let file = match harness {
        "claude" => "claude-session.jsonl",
        "codex" => "codex-rollout.jsonl",
        _ => "pi-session.jsonl",
    };
    let text = common::fixture(harness, file)
        .replace(lab_cwd, cwd.to_str().unwrap())
        .replace(lab_id, id)
        .replace("9adab5162f2086c0b1730dc4eaa9ffbc731fff66", head.trim());
    let cwd = cwd.to_str().unwrap();
    let path = match harness {
        "claude" => repo
            .home
            .join(".claude/projects")
            .join(cwd.replace(['/', '.'], "-"))
            .join(format!("{id}.jsonl")),
        "codex" => repo
            .home
            .join(".codex/sessions/2026/11/25")
            .join(format!("rollout-2026-11-25T00-35-01-{id}.jsonl")),
        _ => repo
            .home
            .join(".pi/agent/sessions")
            .join(format!(
                "--{}--",
                cwd.trim_start_matches('/').replace('/', "-")
            ))
            .join(format!("2026-11-25T00-35-09-536Z_{id}.jsonl")),
    };
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
    path
}

fn json(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn import_all_takes_every_harness_session_of_this_repository_once() {
    let repo = common::scenario_repo();
    let elsewhere = repo.home.join("other-project");
    std::fs::create_dir_all(&elsewhere).unwrap();
    for (harness, _, id) in SAMPLES {
        place(&repo, harness, &repo.root, id);
        place(
            &repo,
            harness,
            &elsewhere,
            &format!("{}-elsewhere", &id[..8]),
        );
    }
    let first = json(&repo.trace(&["import", "--all", "--json"]));
    let mut got: Vec<(String, String, bool)> = first
        .iter()
        .map(|r| {
            (
                r["harness"].as_str().unwrap().to_string(),
                r["session"].as_str().unwrap().to_string(),
                r["up_to_date"].as_bool().unwrap(),
            )
        })
        .collect();
    got.sort();
    let expected: Vec<(String, String, bool)> = SAMPLES
        .iter()
        .map(|(h, _, id)| (h.to_string(), id.to_string(), false))
        .collect();
    assert_eq!(got, expected);
    let list: Vec<Value> = serde_json::from_str(&repo.trace(&["list", "--json"])).unwrap();
    assert_eq!(list.len(), 3);
    assert!(
        list.iter().all(|s| s["steps"].as_u64().unwrap() >= 10),
        "{list:#?}"
    );

    // Idempotent: nothing new, nothing written.
    let sessions_before = repo.git(&["for-each-ref", "refs/traces/sessions"]);
    let again = repo.trace(&["import", "--all"]);
    assert_eq!(again, "0 session(s) imported, 3 already up to date\n");
    assert_eq!(
        repo.git(&["for-each-ref", "refs/traces/sessions"]),
        sessions_before
    );

    // --since: files older than the span are not even read.
    let old = repo.home.join(".codex/sessions/2026/11/25");
    for entry in std::fs::read_dir(&old).unwrap() {
        let path = entry.unwrap().path();
        let out = std::process::Command::new("touch")
            .args(["-d", "2020-01-01"])
            .arg(&path)
            .output()
            .unwrap();
        assert!(out.status.success());
    }
    let recent = json(&repo.trace(&["import", "--all", "codex", "--since", "30d", "--json"]));
    assert!(recent.is_empty(), "{recent:#?}");
}

#[test]
fn import_refuses_a_session_from_elsewhere_unless_the_repository_moved_from_there() {
    let repo = common::scenario_repo();
    let old = Path::new("/srv/old-place/calc");
    let file = place(&repo, "codex", old, SAMPLES[1].2);
    let out = repo
        .cmd("git")
        .args(["trace", "import", "codex"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("ran in /srv/old-place/calc, outside this repository")
            && err.contains("--moved-from /srv/old-place/calc"),
        "{err}"
    );
    repo.trace(&[
        "import",
        "codex",
        file.to_str().unwrap(),
        "--moved-from",
        "/srv/old-place/calc",
    ]);
    let trace: Value =
        serde_json::from_str(&repo.trace(&["show", SAMPLES[1].2, "--json"])).unwrap();
    let paths: Vec<&str> = trace["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["kind"] == "write")
        .flat_map(|s| {
            s["paths"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p.as_str().unwrap())
        })
        .collect();
    assert_eq!(paths, ["calc.py", "test_regression.py"]);
}

#[test]
fn ctx_rebuilds_what_the_codex_model_saw() {
    let repo = common::scenario_repo();
    let (_, _, id) = SAMPLES[1];
    let file = place(&repo, "codex", &repo.root, id);
    repo.trace(&["import", "codex", file.to_str().unwrap()]);
    let trace: Value = serde_json::from_str(&repo.trace(&["show", id, "--json"])).unwrap();
    let steps = trace["steps"].as_array().unwrap();
    let second_write = steps
        .iter()
        .filter(|s| s["kind"] == "write")
        .nth(1)
        .unwrap()["index"]
        .as_u64()
        .unwrap();
    let at = format!("{}:{second_write}", &id[..8]);
    let window: Value = serde_json::from_str(&repo.git(&["ctx", "show", &at, "--json"])).unwrap();
    let roles: Vec<&str> = window["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles[0], "system", "{roles:?}");
    for role in ["user", "thinking", "assistant", "tool_call", "tool_result"] {
        assert!(roles.contains(&role), "{role} missing from {roles:?}");
    }
    let tokens = window["tokens"].as_u64().unwrap();
    assert!(
        tokens > 5000,
        "the 22 KB system prompt alone is ~5,500 tokens: {tokens}"
    );

    // The pack carries the full system prompt (from its blob) and the calls with their ids.
    let pack_path = repo.home.join("pack.json");
    repo.git(&["ctx", "pack", &at, "-o", pack_path.to_str().unwrap()]);
    let pack: Value = serde_json::from_slice(&std::fs::read(&pack_path).unwrap()).unwrap();
    let rollout: Value = serde_json::from_str(
        common::fixture("codex", "codex-rollout.jsonl")
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        pack["system"], rollout["payload"]["base_instructions"]["text"],
        "the whole system prompt"
    );
    let calls: Vec<&str> = pack["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["role"] == "tool_call")
        .map(|m| m["call_id"].as_str().unwrap())
        .collect();
    assert_eq!(calls, ["call_lab00_0", "call_lab01_0"]);
    assert_eq!(pack["runtime"]["harness_version"], "0.169.0");
    assert_eq!(pack["runtime"]["models"], serde_json::json!(["gpt-5.5"]));

    // Between the first prompt and the end, the window only grew.
    let diff: Value = serde_json::from_str(&repo.git(&[
        "ctx",
        "diff",
        &format!("{id}:{second_write}"),
        &(steps.len() - 1).to_string(),
        "--json",
    ]))
    .unwrap();
    assert!(diff["left"].as_array().unwrap().is_empty(), "{diff:#}");
    assert!(diff["tokens_to"].as_u64() > diff["tokens_from"].as_u64());
    let entered: Vec<&str> = diff["entered"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["summary"].as_str().unwrap())
        .collect();
    assert!(
        entered.contains(&"exec_command python3 run_tests.py"),
        "{entered:#?}"
    );

    // The rollout names the commit it started from, so the step's working tree can be checked out.
    let head = repo.git(&["rev-parse", "HEAD"]);
    assert_eq!(pack["runtime"]["base"], head.trim());
    let retry = repo.home.join("retry");
    let resumed: Value = serde_json::from_str(&repo.git(&[
        "ctx",
        "resume",
        &at,
        "--worktree",
        retry.to_str().unwrap(),
        "--json",
    ]))
    .unwrap();
    assert_eq!(resumed["command"][0], "codex");
    assert!(retry.join("calc.py").is_file());
    let rollout_head: Value = serde_json::from_str(
        std::fs::read_to_string(resumed["file"].as_str().unwrap())
            .unwrap()
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(rollout_head["payload"]["id"], resumed["session"]);
    assert_eq!(
        rollout_head["payload"]["cwd"],
        std::fs::canonicalize(&retry).unwrap().to_str().unwrap()
    );

    // Another harness's files cannot carry this conversation: a clear refusal.
    let out = repo
        .cmd("git")
        .args(["ctx", "resume", &at, "--harness", "claude"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("error: cannot resume a codex session in claude:"),
        "{err}"
    );
}

#[test]
fn two_harnesses_capture_into_one_repository_at_once() {
    let repo = common::scenario_repo();
    let hooks = |harness: &str| -> Vec<(String, Value)> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let file = match harness {
            "claude" => root.join("tests/fixtures/claude/hooks.jsonl"),
            _ => root.join("tests/fixtures/codex/hooks.jsonl"),
        };
        let (_, lab_cwd, _) = SAMPLES.iter().find(|s| s.0 == harness).unwrap();
        std::fs::read_to_string(file)
            .unwrap()
            .replace(lab_cwd, repo.root.to_str().unwrap())
            .lines()
            .map(|l| {
                let logged: Value = serde_json::from_str(l).unwrap();
                let mut payload = logged["stdin"].clone();
                payload["transcript_path"] = Value::Null;
                (logged["event"].as_str().unwrap().to_string(), payload)
            })
            .collect()
    };
    std::thread::scope(|s| {
        for harness in ["claude", "codex"] {
            let events = hooks(harness);
            let repo = &repo;
            s.spawn(move || {
                for (event, payload) in events {
                    let mut cmd = repo.cmd("git");
                    cmd.args(["trace", "hook", harness, &event]);
                    let out = common::with_stdin(cmd, payload.to_string().as_bytes());
                    assert!(out.status.success() && out.stdout.is_empty());
                }
            });
        }
    });
    assert_eq!(repo.errors_log(), "");
    let list: Vec<Value> = serde_json::from_str(&repo.trace(&["list", "--json"])).unwrap();
    let mut harnesses: Vec<&str> = list
        .iter()
        .map(|s| s["harness"].as_str().unwrap())
        .collect();
    harnesses.sort();
    assert_eq!(harnesses, ["claude", "codex"]);
    for session in &list {
        let trace: Value =
            serde_json::from_str(&repo.trace(&["show", session["id"].as_str().unwrap(), "--json"]))
                .unwrap();
        let tools = trace["steps"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| ["read", "write", "exec"].contains(&s["kind"].as_str().unwrap()))
            .count();
        assert_eq!(tools, 4, "{trace:#}");
    }
    let fsck = repo
        .cmd("git")
        .args(["fsck", "--no-progress"])
        .output()
        .unwrap();
    assert!(
        fsck.status.success(),
        "{}",
        String::from_utf8_lossy(&fsck.stderr)
    );
}

#[test]
fn doctor_names_each_agent_and_sessions_with_unknown_records() {
    let repo = common::scenario_repo();
    repo.trace(&["init", "--agent", "pi"]);
    let (_, _, id) = SAMPLES[2];
    let file = place(&repo, "pi", &repo.root, id);
    let mut text = std::fs::read_to_string(&file).unwrap();
    text.push_str("{\"type\":\"hologram\",\"id\":\"ffff0000\",\"parentId\":null}\n");
    std::fs::write(&file, text).unwrap();
    repo.trace(&["import", "pi", file.to_str().unwrap()]);
    let out = repo
        .cmd("git")
        .args(["trace", "doctor", "--json"])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let agents: Vec<(&str, usize)> = report["wiring"]["agents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["harness"].as_str().unwrap(),
                a["files"].as_array().unwrap().len(),
            )
        })
        .collect();
    assert_eq!(agents, [("claude", 0), ("codex", 0), ("pi", 1)]);
    assert_eq!(
        report["unknown_records"],
        serde_json::json!([{"session": id, "harness": "pi", "count": 1}])
    );
    let text = repo.cmd("git").args(["trace", "doctor"]).output().unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("pi           wired (")
            && text.contains("has 1 record(s) of types git-traces does not know, kept raw"),
        "{text}"
    );
}

/// A session sealed before ctx nodes existed (its context file held raw records) is read as such,
/// with the way out, and importing its file again rebuilds the context file.
#[test]
fn a_context_file_from_before_ctx_nodes_is_rebuilt_by_importing_again() {
    let repo = common::scenario_repo();
    let (_, _, id) = SAMPLES[0];
    let file = place(&repo, "claude", &repo.root, id);
    repo.trace(&["import", "claude", file.to_str().unwrap()]);
    let seal = format!("refs/traces/sessions/{id}");
    // Rewrite the seal as the previous release wrote it: no ctx schema, records as context lines.
    let mut manifest: Value =
        serde_json::from_str(&repo.git(&["show", &format!("{seal}:manifest.json")])).unwrap();
    manifest["schemas"].as_object_mut().unwrap().remove("ctx");
    let old_line = br#"{"v":1,"at":"2026-11-25T00:34:56Z","source":"transcript","event":"user"}"#;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, old_line).unwrap();
    let blob = |bytes: &[u8]| {
        let mut cmd = repo.cmd("git");
        cmd.args(["hash-object", "-w", "--stdin"]);
        let out = common::with_stdin(cmd, bytes);
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    let manifest_blob = blob(manifest.to_string().as_bytes());
    let context_blob = blob(&gz.finish().unwrap());
    let listing: String = repo
        .git(&["ls-tree", &seal])
        .lines()
        .map(|l| {
            let (meta, name) = l.split_once('\t').unwrap();
            let meta = match name {
                "manifest.json" => format!("100644 blob {manifest_blob}"),
                "context.jsonl.gz" => format!("100644 blob {context_blob}"),
                _ => meta.to_string(),
            };
            format!("{meta}\t{name}\n")
        })
        .collect();
    let mut mktree = repo.cmd("git");
    mktree.arg("mktree");
    let tree = String::from_utf8(common::with_stdin(mktree, listing.as_bytes()).stdout).unwrap();
    let commit = repo.git(&["commit-tree", tree.trim(), "-p", &seal, "-m", "old seal"]);
    repo.git(&["update-ref", &seal, commit.trim()]);

    let out = repo
        .cmd("git")
        .args(["ctx", "show", &format!("{id}:3")])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("written before ctx nodes existed"),
        "{err}"
    );
    let again = json(&repo.trace(&["import", "claude", file.to_str().unwrap(), "--json"]));
    assert_eq!(
        again[0]["up_to_date"], false,
        "the old context file needs a new seal"
    );
    let window: Value =
        serde_json::from_str(&repo.git(&["ctx", "show", &format!("{id}:3"), "--json"])).unwrap();
    assert_eq!(window["items"][0]["role"], "user");
}
