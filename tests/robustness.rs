//! Bad input and hostile conditions: every hook exits 0 silently, evidence stays consistent, and
//! nothing of the user's (index, HEAD, branches, stash, working tree) is touched.

mod common;

use common::{bash, payload, start, with_stdin, write, TestRepo};
use serde_json::{json, Value};

const S: &str = "0a1b2c3d-0000-4000-8000-000000000001";

fn steps(trace: &Value) -> &Vec<Value> {
    trace["steps"].as_array().unwrap()
}

fn all_objects_and_journals(repo: &TestRepo) -> Vec<u8> {
    let mut bytes = repo
        .cmd("git")
        .args(["cat-file", "--batch-all-objects", "--batch"])
        .output()
        .unwrap()
        .stdout;
    if let Ok(dir) = std::fs::read_dir(repo.traces_dir().join("journal")) {
        for e in dir.flatten() {
            bytes.extend(std::fs::read(e.path()).unwrap());
        }
    }
    bytes
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[test]
fn malformed_empty_and_non_object_payloads_exit_zero_and_are_logged() {
    let repo = TestRepo::with_files(&[("a.txt", "a\n")]);
    for stdin in [
        &b"{not json"[..],
        b"",
        b"[1,2,3]",
        b"{\"hook_event_name\":\"Stop\"}",
    ] {
        let out = repo.hook_raw(&repo.root, "Stop", stdin);
        assert!(out.status.success());
        assert!(out.stdout.is_empty() && out.stderr.is_empty(), "{out:?}");
    }
    let log = repo.errors_log();
    assert_eq!(log.matches("malformed payload").count(), 2, "{log}");
    assert!(log.contains("not a JSON object"), "{log}");
    assert!(log.contains("no session_id"), "{log}");
    assert!(repo
        .git_output(&["for-each-ref", "refs/traces/"])
        .stdout
        .is_empty());
}

#[test]
fn outside_a_repository_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let repo = TestRepo::empty();
    let out = repo.hook_raw(
        dir.path(),
        "SessionStart",
        payload(S, dir.path(), "SessionStart", json!({}))
            .to_string()
            .as_bytes(),
    );
    assert!(out.status.success() && out.stdout.is_empty() && out.stderr.is_empty());
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "files appeared outside any repository"
    );
}

#[test]
fn huge_output_goes_to_a_content_addressed_blob() {
    let repo = TestRepo::with_files(&[("a.txt", "a\n")]);
    start(&repo, S, &repo.root);
    let big: String = (0..200_000).map(|i| format!("line {i}\n")).collect();
    bash(&repo, S, &repo.root, "t1", "true", &big);
    let trace = repo.show_json(S);
    let step = steps(&trace).iter().find(|s| s["tool"] == "Bash").unwrap();
    let output = &step["output"];
    assert_eq!(output["bytes"].as_u64().unwrap(), big.len() as u64);
    assert!(output["text"].as_str().unwrap().len() < 4096);
    let sha = output["blob"].as_str().unwrap();
    let stored = repo
        .cmd("git")
        .args([
            "cat-file",
            "blob",
            &format!("refs/traces/sessions/{S}:blobs/{sha}"),
        ])
        .output()
        .unwrap()
        .stdout;
    assert_eq!(stored, big.as_bytes());

    // Over traces.bigFileThreshold only the excerpt, size and digest are kept.
    repo.git(&["config", "traces.bigFileThreshold", "100k"]);
    let bigger: String = (0..300_000).map(|i| format!("row {i}\n")).collect();
    bash(&repo, S, &repo.root, "t2", "true", &bigger);
    let trace = repo.show_json(S);
    let output = &steps(&trace)
        .iter()
        .rev()
        .find(|s| s["tool"] == "Bash")
        .unwrap()["output"];
    assert_eq!(output["bytes"].as_u64().unwrap(), bigger.len() as u64);
    assert!(output["blob_oid"].is_null());
    let listing = repo.git(&[
        "ls-tree",
        "-r",
        "--name-only",
        &format!("refs/traces/sessions/{S}"),
    ]);
    assert!(
        !listing.contains(output["blob"].as_str().unwrap()),
        "{listing}"
    );
    assert!(
        !contains(&all_objects_and_journals(&repo), "row 150000\n"),
        "the oversized output was stored"
    );
}

#[test]
fn unknown_events_and_tools_are_kept_as_steps() {
    let repo = TestRepo::with_files(&[("a.txt", "a\n")]);
    start(&repo, S, &repo.root);
    repo.hook(
        "BrandNewEvent",
        &payload(S, &repo.root, "BrandNewEvent", json!({"detail": {"x": 1}})),
    );
    let input = json!({"tool_name": "mcp__db__query", "tool_input": {"sql": "select 1"}, "tool_use_id": "m1"});
    repo.hook(
        "PreToolUse",
        &payload(S, &repo.root, "PreToolUse", input.clone()),
    );
    let mut post = input;
    post["tool_response"] = json!([{"type": "text", "text": "1 row"}]);
    repo.hook("PostToolUse", &payload(S, &repo.root, "PostToolUse", post));
    let trace = repo.show_json(S);
    let s = steps(&trace);
    assert_eq!(s[1]["kind"], "system");
    assert_eq!(s[1]["summary"], "BrandNewEvent event");
    assert_eq!(s[1]["meta"]["raw"]["detail"]["x"], 1);
    assert_eq!(s[2]["kind"], "tool");
    assert_eq!(s[2]["tool"], "mcp__db__query");
    assert!(s[2]["output"]["text"].as_str().unwrap().contains("1 row"));
    assert_eq!(s.len(), 3);
}

#[test]
fn two_concurrent_sessions_lose_nothing() {
    let repo = std::sync::Arc::new(TestRepo::with_files(&[("a.txt", "a\n")]));
    let sessions = [
        "c0000000-0000-4000-8000-00000000000a",
        "c0000000-0000-4000-8000-00000000000b",
    ];
    for s in sessions {
        start(&repo, s, &repo.root);
    }
    let threads: Vec<_> = sessions
        .iter()
        .map(|s| {
            let repo = repo.clone();
            let s = s.to_string();
            std::thread::spawn(move || {
                for i in 0..15 {
                    let cmd = format!("echo {i} >> file-{}.txt", &s[s.len() - 1..]);
                    bash(&repo, &s, &repo.root, &format!("t{i}"), &cmd, "");
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let worktree = repo.worktree_tree();
    for s in sessions {
        let trace = repo.show_json(s);
        let execs = steps(&trace)
            .iter()
            .filter(|st| st["tool"] == "Bash")
            .count();
        assert_eq!(execs, 15, "session {s} lost tool calls");
        // Every Bash step's call id is present exactly once.
        for i in 0..15 {
            let key = format!("tool:t{i}");
            let n = steps(&trace)
                .iter()
                .filter(|st| {
                    st["keys"]
                        .as_array()
                        .is_some_and(|ks| ks.iter().any(|k| k == &key))
                })
                .count();
            assert_eq!(n, 1, "{s} {key}");
        }
        assert!(repo.errors_log().is_empty(), "{}", repo.errors_log());
    }
    // The session whose hook ran last saw the final working tree.
    let trees: Vec<String> = sessions
        .iter()
        .map(|s| repo.git(&["rev-parse", &format!("refs/traces/trails/{s}^{{tree}}")]))
        .collect();
    assert!(
        trees.contains(&worktree),
        "no session's last snapshot equals the working tree"
    );
    assert!(repo.git_output(&["fsck", "--no-dangling"]).status.success());
}

#[test]
fn a_hook_killed_at_any_point_leaves_valid_refs_and_a_later_command_recovers() {
    let repo = TestRepo::with_files(&[("a.txt", "a\n")]);
    std::fs::write(repo.path(".git/info/exclude"), ".claude/\n").unwrap();
    repo.trace(&["init"]);
    start(&repo, S, &repo.root);
    for round in 0..16u64 {
        std::fs::write(repo.path(&format!("k{round}.txt")), "x\n").unwrap();
        // Alternate tool events (snapshot) and Stop events (seal), killed at growing delays.
        let event = if round % 2 == 0 {
            "PostToolUse"
        } else {
            "Stop"
        };
        let input = json!({"tool_name": "Bash", "tool_input": {"command": "touch"}, "tool_use_id": format!("k{round}"), "tool_response": {"stdout": ""}, "last_assistant_message": format!("answer {round}")});
        let body = payload(S, &repo.root, event, input).to_string();
        let mut child = repo
            .cmd("git-trace")
            .args(["hook", "claude", event])
            .stdin(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(body.as_bytes())
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(round));
        let _ = child.kill();
        let _ = child.wait();
    }
    // Every ref still resolves, the repository is consistent, and doctor seals what was left.
    for r in repo
        .git(&["for-each-ref", "--format=%(refname)", "refs/traces/"])
        .lines()
    {
        repo.git(&["rev-parse", "--verify", &format!("{r}^{{commit}}")]);
    }
    assert!(repo.git_output(&["fsck", "--no-dangling"]).status.success());
    let doctor = repo.git_output(&["trace", "doctor"]);
    assert!(
        doctor.status.success(),
        "{}",
        String::from_utf8_lossy(&doctor.stdout)
    );
    bash(&repo, S, &repo.root, "final", "true", "");
    let trace = repo.show_json(S);
    let tip_tree = repo.git(&["rev-parse", &format!("refs/traces/trails/{S}^{{tree}}")]);
    let wt = repo.worktree_tree();
    assert_eq!(tip_tree, wt, "the last snapshot is not the working tree");
    assert!(steps(&trace).iter().any(|s| s["keys"]
        .as_array()
        .is_some_and(|ks| ks.iter().any(|k| k == "tool:final"))));
}

#[test]
fn unborn_head_snapshots_start_a_root_commit() {
    let repo = TestRepo::empty();
    start(&repo, S, &repo.root);
    write(&repo, S, &repo.root, "w1", "src/new.rs", "fn main() {}\n");
    let trace = repo.show_json(S);
    assert!(trace["base"].is_null());
    let snap = steps(&trace)
        .iter()
        .find_map(|s| s["snapshot"].as_str())
        .unwrap()
        .to_string();
    assert_eq!(
        repo.git(&["rev-list", "--parents", "-n1", &snap])
            .split_whitespace()
            .count(),
        1,
        "snapshot has a parent"
    );
    let diff = repo.trail(&["diff", S]);
    assert!(
        diff.contains("+++ b/src/new.rs") && diff.contains("+fn main() {}"),
        "{diff}"
    );
    assert!(
        repo.git_output(&["rev-parse", "-q", "--verify", "HEAD"])
            .stdout
            .is_empty(),
        "HEAD was born"
    );
}

#[test]
fn linked_worktree_subdirectory_keeps_evidence_in_the_common_dir() {
    let repo = TestRepo::with_files(&[("src/lib.rs", "pub fn a() {}\n")]);
    let wt = repo.root.parent().unwrap().join("wt");
    repo.git(&[
        "worktree",
        "add",
        "-q",
        "-b",
        "feature",
        wt.to_str().unwrap(),
    ]);
    let sub = wt.join("src");
    start(&repo, S, &sub);
    let input = json!({"tool_name": "Edit", "tool_input": {"file_path": "lib.rs", "old_string": "a()", "new_string": "b()"}, "tool_use_id": "e1"});
    repo.hook_in(
        &sub,
        "PreToolUse",
        &payload(S, &sub, "PreToolUse", input.clone()),
    );
    std::fs::write(sub.join("lib.rs"), "pub fn b() {}\n").unwrap();
    repo.hook_in(&sub, "PostToolUse", &payload(S, &sub, "PostToolUse", input));
    assert!(repo
        .root
        .join(".git/traces/journal")
        .join(format!("{S}.jsonl"))
        .exists());
    let trace = repo.show_json(S);
    let edit = steps(&trace).iter().find(|s| s["tool"] == "Edit").unwrap();
    assert_eq!(edit["paths"], json!(["src/lib.rs"]));
    let diff = repo.trail(&["diff", &format!("{S}:{}", edit["index"])]);
    assert!(diff.contains("-pub fn a() {}\n+pub fn b() {}\n"), "{diff}");
    let wt_head = String::from_utf8(
        std::process::Command::new("git")
            .args(["-C", wt.to_str().unwrap(), "rev-parse", "HEAD"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert_eq!(trace["base"].as_str().unwrap(), wt_head.trim());
}

#[test]
fn detached_head_and_stash_are_left_alone() {
    let repo = TestRepo::with_files(&[("a.txt", "a\n")]);
    repo.write("a.txt", "stashed\n");
    repo.git(&["stash", "-q"]);
    repo.git(&["checkout", "-q", "--detach"]);
    let before = repo.user_state();
    start(&repo, S, &repo.root);
    bash(&repo, S, &repo.root, "b1", "echo new > b.txt", "");
    write(&repo, S, &repo.root, "w1", "c.txt", "c\n");
    let after = repo.user_state();
    assert_eq!(
        (&before.0, &before.1, &before.2),
        (&after.0, &after.1, &after.2)
    );
    assert_eq!(after.3, "?? b.txt\n?? c.txt\n");
    let trace = repo.show_json(S);
    assert_eq!(trace["base"].as_str().unwrap(), before.0.trim());
}

#[test]
fn secrets_in_payloads_never_reach_git_objects_or_the_journal() {
    let repo = TestRepo::with_files(&[("a.txt", "a\n")]);
    let token = format!("ghp_{}", "aB3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0eF3hJ6");
    let key_body = "MC4CAQAwBQYDK2VwBCIEIKq3Lz9vY2p4b1NqR0xVc0dQcHhzT1FyV2tYbFpE";
    let pem = format!("-----BEGIN PRIVATE KEY-----\n{key_body}\n-----END PRIVATE KEY-----\n");
    start(&repo, S, &repo.root);
    repo.hook(
        "UserPromptSubmit",
        &payload(
            S,
            &repo.root,
            "UserPromptSubmit",
            json!({"prompt": format!("use {token} to push"), "prompt_id": "p1"}),
        ),
    );
    bash(
        &repo,
        S,
        &repo.root,
        "b1",
        "true",
        &format!("token={token}\n{pem}"),
    );
    let trace = repo.show_json(S);
    let bytes = all_objects_and_journals(&repo);
    assert!(
        !contains(&bytes, &token),
        "the GitHub token reached an object or the journal"
    );
    assert!(
        !contains(&bytes, key_body),
        "the private key reached an object or the journal"
    );
    let out = steps(&trace).iter().find(|s| s["tool"] == "Bash").unwrap()["output"]["text"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        out.contains("[REDACTED:github_token:") && out.contains("[REDACTED:private_key:"),
        "{out}"
    );
    let prompt = steps(&trace).iter().find(|s| s["kind"] == "user").unwrap()["text"]["text"]
        .as_str()
        .unwrap()
        .to_string();
    // The same secret gets the same marker wherever it appears.
    let from = out.find("[REDACTED:github_token:").unwrap();
    let marker = &out[from..=from + out[from..].find(']').unwrap()];
    assert!(prompt.contains(marker), "{prompt} vs {marker}");
    let manifest: Value = serde_json::from_str(
        &repo.git(&["show", &format!("refs/traces/sessions/{S}:manifest.json")]),
    )
    .unwrap();
    assert!(
        manifest["security"]["redactions"]["github_token"]
            .as_u64()
            .unwrap()
            >= 2
    );
}

#[test]
fn non_utf8_paths_and_binary_files_survive() {
    use std::os::unix::ffi::OsStrExt;
    let repo = TestRepo::with_files(&[("a.txt", "a\n")]);
    start(&repo, S, &repo.root);
    let name = std::ffi::OsStr::from_bytes(b"caf\xe9.txt");
    bash(
        &repo,
        S,
        &repo.root,
        "b1",
        "printf 'x\\000y' > bin.dat && printf 'latin\\n' > \"$(printf 'caf\\351.txt')\"",
        "",
    );
    assert!(repo.root.join(name).exists());
    let trace = repo.show_json(S);
    let snap = steps(&trace)
        .iter()
        .find_map(|s| s["snapshot"].as_str())
        .unwrap()
        .to_string();
    let tree = repo
        .cmd("git")
        .args(["ls-tree", "-z", "--name-only", &snap])
        .output()
        .unwrap()
        .stdout;
    assert!(
        tree.split(|&b| b == 0).any(|n| n == b"caf\xe9.txt"),
        "non-UTF-8 name lost"
    );
    assert!(tree.split(|&b| b == 0).any(|n| n == b"bin.dat"));
    let diff = repo
        .cmd("git")
        .args([
            "trail",
            "diff",
            &format!(
                "{S}:{}",
                steps(&trace)
                    .iter()
                    .find(|s| !s["snapshot"].is_null())
                    .unwrap()["index"]
            ),
        ])
        .output()
        .unwrap()
        .stdout;
    assert!(
        contains(&diff, "Binary files"),
        "{}",
        String::from_utf8_lossy(&diff)
    );
    // Quoted the way git quotes such names (core.quotePath).
    assert!(
        contains(&diff, "caf\\351.txt"),
        "{}",
        String::from_utf8_lossy(&diff)
    );
    // A write whose content is binary is stored in a blob, never inlined.
    let binary = "\u{0}\u{1}binary\u{0}";
    write(&repo, S, &repo.root, "w1", "w.bin", binary);
    let trace = repo.show_json(S);
    let w = steps(&trace).iter().find(|s| s["tool"] == "Write").unwrap();
    assert!(!w["input"]["content"].as_str().unwrap().contains('\u{0}'));
}

#[test]
fn changes_made_outside_the_agent_get_their_own_external_snapshot() {
    let repo = TestRepo::with_files(&[("a.txt", "a\n"), ("b.txt", "b\n")]);
    start(&repo, S, &repo.root);
    write(&repo, S, &repo.root, "w1", "a.txt", "agent\n");
    repo.write("b.txt", "typed by the user\n");
    bash(&repo, S, &repo.root, "b1", "echo c > c.txt", "");
    let trace = repo.show_json(S);
    let s = steps(&trace);
    let external: Vec<&Value> = s.iter().filter(|st| st["external"] == true).collect();
    assert_eq!(external.len(), 1, "{s:#?}");
    assert_eq!(external[0]["paths"], json!(["b.txt"]));
    let ext_diff = repo.trail(&["diff", &format!("{S}:{}", external[0]["index"])]);
    assert!(
        ext_diff.contains("+typed by the user") && !ext_diff.contains("c.txt"),
        "{ext_diff}"
    );
    let bash_step = s.iter().find(|st| st["tool"] == "Bash").unwrap();
    assert!(bash_step["index"].as_u64() > external[0]["index"].as_u64());
    let bash_diff = repo.trail(&["diff", &format!("{S}:{}", bash_step["index"])]);
    assert!(
        bash_diff.contains("+++ b/c.txt") && !bash_diff.contains("b.txt"),
        "{bash_diff}"
    );
}

#[test]
fn a_dirty_tree_at_session_start_is_recorded_as_external() {
    let repo = TestRepo::with_files(&[("a.txt", "a\n")]);
    repo.write("a.txt", "uncommitted work\n");
    start(&repo, S, &repo.root);
    write(&repo, S, &repo.root, "w1", "n.txt", "n\n");
    let trace = repo.show_json(S);
    let first = steps(&trace)
        .iter()
        .find(|s| !s["snapshot"].is_null())
        .unwrap();
    assert_eq!(first["external"], true);
    let write_step = steps(&trace).iter().find(|s| s["tool"] == "Write").unwrap();
    let diff = repo.trail(&["diff", &format!("{S}:{}", write_step["index"])]);
    assert!(
        diff.contains("+++ b/n.txt") && !diff.contains("a.txt"),
        "{diff}"
    );
}

#[test]
fn post_commit_seals_active_sessions_and_respects_core_hooks_path() {
    let repo = TestRepo::with_files(&[("a.txt", "a\n")]);
    repo.git(&["config", "core.hooksPath", ".githooks"]);
    std::fs::write(repo.path(".git/info/exclude"), ".claude/\n.githooks/\n").unwrap();
    repo.trace(&["init"]);
    assert!(repo.path(".githooks/post-commit").exists());
    start(&repo, S, &repo.root);
    write(&repo, S, &repo.root, "w1", "a.txt", "changed\n");
    assert!(repo
        .git_output(&[
            "rev-parse",
            "-q",
            "--verify",
            &format!("refs/traces/sessions/{S}")
        ])
        .stdout
        .is_empty());
    repo.git(&["commit", "-qam", "agent work"]);
    let sealed = repo.git(&[
        "rev-parse",
        "--verify",
        &format!("refs/traces/sessions/{S}"),
    ]);
    assert!(!sealed.is_empty());
    let trace: Value =
        serde_json::from_str(&repo.git(&["show", &format!("refs/traces/sessions/{S}:trace.json")]))
            .unwrap();
    assert!(steps(&trace).iter().any(|s| s["tool"] == "Write"));
}

#[test]
fn ids_resolve_by_unique_prefix_with_helpful_errors() {
    let repo = TestRepo::with_files(&[("a.txt", "a\n")]);
    for s in [
        "abc11111-0000-4000-8000-000000000000",
        "abc22222-0000-4000-8000-000000000000",
    ] {
        start(&repo, s, &repo.root);
    }
    let out = repo.git_output(&["trace", "show", "abc"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("ambiguous") && err.contains("abc11111") && err.contains("abc22222"),
        "{err}"
    );
    let out = repo.git_output(&["trace", "show", "zzz"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no session matches 'zzz'"));
    let out = repo.git_output(&["trace", "show", "abc1:99"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("has no step 99"));
    assert!(repo
        .trace(&["show", "abc2"])
        .starts_with("session abc22222-"));
}

#[test]
fn init_is_idempotent_and_uninstall_restores_the_users_files() {
    let repo = TestRepo::with_files(&[("a.txt", "a\n")]);
    let user_settings = "{\n  \"model\": \"opus\",\n  \"hooks\": {\n    \"Stop\": [\n      {\n        \"hooks\": [\n          {\n            \"type\": \"command\",\n            \"command\": \"notify-send done\"\n          }\n        ]\n      }\n    ]\n  }\n}\n";
    repo.write(".claude/settings.json", user_settings);
    repo.write(".git/hooks/post-commit", "#!/bin/sh\necho user hook\n");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(
        repo.path(".git/hooks/post-commit"),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    let first = repo.trace(&["init"]);
    assert!(first.contains("installed"), "{first}");
    let settings = repo.read(".claude/settings.json");
    let hook = repo.read(".git/hooks/post-commit");
    assert!(
        settings.contains("notify-send done")
            && settings.contains("git trace hook claude PreToolUse"),
        "{settings}"
    );
    assert!(
        hook.contains("echo user hook") && hook.contains("git-trail hook post-commit"),
        "{hook}"
    );
    let second: Value = serde_json::from_str(&repo.trace(&["init", "--json"])).unwrap();
    assert!(
        second
            .as_array()
            .unwrap()
            .iter()
            .all(|w| w["change"] == "already_installed"),
        "{second}"
    );
    assert_eq!(repo.read(".claude/settings.json"), settings);
    assert_eq!(repo.read(".git/hooks/post-commit"), hook);
    let doctor: Value = serde_json::from_str(&repo.trace(&["doctor", "--json"])).unwrap();
    assert_eq!(doctor["healthy"], true, "{doctor}");
    repo.trace(&["uninstall"]);
    assert_eq!(repo.read(".claude/settings.json"), user_settings);
    assert_eq!(
        repo.read(".git/hooks/post-commit"),
        "#!/bin/sh\necho user hook\n"
    );
    assert!(!repo.path(".git/hooks/post-rewrite").exists());
    let out = repo.git_output(&["trace", "doctor"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("fix: git trace init"));
}

#[test]
fn whole_tree_snapshots_match_git_add_after_every_kind_of_change() {
    let repo = TestRepo::with_files(&[
        ("a.txt", "a\n"),
        ("dir/b.txt", "b\n"),
        (".gitignore", "*.log\n"),
    ]);
    start(&repo, S, &repo.root);
    let steps = [
        "echo new > n.txt",
        "echo more >> a.txt",
        "rm dir/b.txt",
        "chmod +x a.txt",
        "ln -s a.txt link",
        "mv n.txt moved.txt",
        "mkdir -p deep/er && echo x > deep/er/x.txt && echo ignored > debug.log",
        "rm -rf deep && printf 'it'\"'\"'s\\n' > \"it's.txt\"",
        "true",
    ];
    for (i, cmd) in steps.iter().enumerate() {
        bash(&repo, S, &repo.root, &format!("s{i}"), cmd, "");
        let tip = repo.git(&["rev-parse", &format!("refs/traces/trails/{S}^{{tree}}")]);
        assert_eq!(tip, repo.worktree_tree(), "after `{cmd}`");
    }
    let log = repo.git(&[
        "ls-tree",
        "-r",
        "--name-only",
        &format!("refs/traces/trails/{S}"),
    ]);
    assert!(
        !log.contains("debug.log"),
        "an ignored file was snapshotted: {log}"
    );
}

#[test]
fn a_failed_snapshot_still_keeps_the_event() {
    let repo = TestRepo::with_files(&[("a.txt", "a\n")]);
    start(&repo, S, &repo.root);
    // A PATH without git: the whole-tree refresh cannot run.
    let no_git = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(
        env!("CARGO_BIN_EXE_git-trace"),
        no_git.path().join("git-trace"),
    )
    .unwrap();
    repo.write("b.txt", "by the tool\n");
    let body = payload(
        S,
        &repo.root,
        "PostToolUse",
        json!({"tool_name": "Bash", "tool_input": {"command": "echo > b.txt"}, "tool_use_id": "nogit", "tool_response": {"stdout": "kept"}}),
    );
    let mut cmd = repo.cmd(no_git.path().join("git-trace").to_str().unwrap());
    cmd.env("PATH", no_git.path())
        .args(["hook", "claude", "PostToolUse"]);
    let out = with_stdin(cmd, body.to_string().as_bytes());
    assert!(out.status.success() && out.stdout.is_empty());
    assert!(
        repo.errors_log().contains("event=PostToolUse"),
        "{}",
        repo.errors_log()
    );
    let trace = repo.show_json(S);
    let step = steps(&trace)
        .iter()
        .find(|s| s["tool"] == "Bash")
        .expect("the event was lost");
    assert_eq!(step["output"]["text"], "kept");
    assert!(step["snapshot"].is_null());
    // The next snapshot picks the change up.
    bash(&repo, S, &repo.root, "later", "true", "");
    assert_eq!(
        repo.git(&["rev-parse", &format!("refs/traces/trails/{S}^{{tree}}")]),
        repo.worktree_tree()
    );
}

#[test]
fn a_session_sealed_by_a_newer_version_is_reported_not_misread() {
    let repo = TestRepo::with_files(&[("a.txt", "a\n")]);
    let mut hash_object = repo.cmd("git");
    hash_object.args(["hash-object", "-w", "--stdin"]);
    let blob = with_stdin(
        hash_object,
        br#"{"schema":"git-traces/trace@2","id":"future","steps":{"new":"layout"}}"#,
    );
    let blob = String::from_utf8(blob.stdout).unwrap();
    let tree_input = format!("100644 blob {}\ttrace.json\n", blob.trim());
    let mut mktree = repo.cmd("git");
    mktree.arg("mktree");
    let tree = String::from_utf8(with_stdin(mktree, tree_input.as_bytes()).stdout).unwrap();
    let commit = repo.git(&["commit-tree", tree.trim(), "-m", "seal"]);
    repo.git(&["update-ref", "refs/traces/sessions/future", commit.trim()]);
    let out = repo.git_output(&["trace", "show", "future"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("schema 'git-traces/trace@2'") && err.contains("newer git-traces"),
        "{err}"
    );
}

#[test]
fn an_unreadable_payload_is_kept_under_the_session_the_environment_names() {
    let repo = TestRepo::with_files(&[("a.txt", "a\n")]);
    start(&repo, S, &repo.root);
    let token = format!("ghp_{}", "aB3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0eF3hJ6");
    let torn = format!(
        r#"{{"session_id":"{S}","tool_name":"Bash","tool_response":{{"stdout":"{token} and then"#
    );
    let mut cmd = repo.cmd("git-trace");
    cmd.env("CLAUDE_CODE_SESSION_ID", S)
        .args(["hook", "claude", "PostToolUse"]);
    let out = with_stdin(cmd, torn.as_bytes());
    assert!(out.status.success() && out.stdout.is_empty());
    assert!(
        repo.errors_log().contains("kept as a raw record"),
        "{}",
        repo.errors_log()
    );
    let trace = repo.show_json(S);
    let raw = steps(&trace)
        .iter()
        .find(|s| s["summary"] == "unreadable PostToolUse payload")
        .expect("the unreadable event was dropped");
    let text = raw["meta"]["raw"].as_str().unwrap();
    assert!(
        text.contains("and then") && !text.contains(&token),
        "{text}"
    );
    assert!(!contains(&all_objects_and_journals(&repo), &token));
    assert!(!repo.errors_log().contains(&token));
}

#[test]
fn session_end_drops_the_private_index_and_a_resumed_session_carries_on() {
    let repo = TestRepo::with_files(&[("a.txt", "a\n")]);
    start(&repo, S, &repo.root);
    bash(&repo, S, &repo.root, "b1", "echo one > one.txt", "");
    let index = repo.traces_dir().join("index").join(S);
    assert!(index.exists());
    repo.hook(
        "SessionEnd",
        &payload(S, &repo.root, "SessionEnd", json!({"reason": "other"})),
    );
    assert!(!index.exists(), "the private index outlived its session");
    repo.write("between.txt", "typed while no agent ran\n");
    repo.hook(
        "SessionStart",
        &payload(S, &repo.root, "SessionStart", json!({"source": "resume"})),
    );
    bash(&repo, S, &repo.root, "b2", "echo two > two.txt", "");
    assert_eq!(
        repo.git(&["rev-parse", &format!("refs/traces/trails/{S}^{{tree}}")]),
        repo.worktree_tree()
    );
    let trace = repo.show_json(S);
    let summaries: Vec<&str> = steps(&trace)
        .iter()
        .map(|s| s["summary"].as_str().unwrap())
        .collect();
    assert!(
        summaries.contains(&"session start (resume)"),
        "{summaries:?}"
    );
    let two = steps(&trace)
        .iter()
        .find(|s| {
            s["keys"]
                .as_array()
                .is_some_and(|k| k.iter().any(|k| k == "tool:b2"))
        })
        .unwrap();
    let diff = repo.trail(&["diff", &format!("{S}:{}", two["index"])]);
    assert!(
        diff.contains("+++ b/two.txt") && !diff.contains("between.txt"),
        "{diff}"
    );
}

#[test]
fn global_wiring_needs_no_repository() {
    let repo = TestRepo::empty();
    let elsewhere = tempfile::tempdir().unwrap();
    let out = repo
        .cmd("git-trace")
        .args(["init", "--global"])
        .current_dir(elsewhere.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let settings = std::fs::read_to_string(repo.home.join(".claude/settings.json")).unwrap();
    assert!(
        settings.contains("git trace hook claude SessionEnd"),
        "{settings}"
    );
    // Without --global a repository is required, and the error says so.
    let out = repo
        .cmd("git-trace")
        .arg("init")
        .current_dir(elsewhere.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("error: not a git repository"));
}
