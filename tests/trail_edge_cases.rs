//! Edge cases of anchoring, blame and track, each built with real git commands and the installed
//! hooks: fixup rebases, merges, shallow clones, deleted files, binary files, CRLF files, renames
//! with edits, and `git gc`.

mod common;

use common::{bash, write, TestRepo};
use serde_json::{json, Value};
use std::path::Path;

const S: &str = "e0e0e0e0-0000-4000-8000-00000000000e";

fn parse_blame(stdout: &[u8]) -> Vec<Value> {
    serde_json::from_slice::<Value>(stdout)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

fn blame_json(repo: &TestRepo, args: &[&str]) -> Vec<Value> {
    let mut all = vec!["blame", "--json"];
    all.extend_from_slice(args);
    parse_blame(repo.trail(&all).as_bytes())
}

/// (line, content, session, step, key) of each blamed line.
fn owners(lines: &[Value]) -> Vec<(u64, String, Value, Value, Value)> {
    lines
        .iter()
        .map(|l| {
            (
                l["line"].as_u64().unwrap(),
                l["content"].as_str().unwrap().to_string(),
                l["session"].clone(),
                l["step"].clone(),
                l["key"].clone(),
            )
        })
        .collect()
}

/// The sessions of a `git trail track --json` report: a bare array, or `{"sessions": [...]}`.
fn sessions_of(report: &Value) -> Vec<Value> {
    match report {
        Value::Array(a) => a.clone(),
        Value::Object(o) => o
            .get("sessions")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_else(|| panic!("no sessions in {report}")),
        other => panic!("unexpected track report {other}"),
    }
}

/// file → patch object of session `S` from `git trail track S --json`.
fn track(repo: &TestRepo) -> std::collections::BTreeMap<String, Value> {
    let report: Value = serde_json::from_str(&repo.trail(&["track", S, "--json"])).unwrap();
    let sessions = sessions_of(&report);
    assert_eq!(sessions.len(), 1, "{report}");
    assert_eq!(sessions[0]["session"], S);
    sessions[0]["patches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["file"].as_str().unwrap().to_string(), p.clone()))
        .collect()
}

/// Runs git in `dir` (another clone) and returns the whole output.
fn git_in(repo: &TestRepo, dir: &Path, args: &[&str]) -> std::process::Output {
    repo.cmd("git")
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap()
}

fn ok_in(repo: &TestRepo, dir: &Path, args: &[&str]) -> String {
    let out = git_in(repo, dir, args);
    assert!(
        out.status.success(),
        "git {args:?} in {}: {}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn six(name: &str) -> String {
    (1..=6)
        .map(|i| format!("{name} line number {i}\n"))
        .collect()
}

const ALPHA: &str = "def alpha():\n    return 'alpha value'\n";

/// Case 1: `git rebase -i` with `fixup`: both commits' anchors land on the one new commit.
#[test]
fn a_fixup_rebase_keeps_the_fixed_up_commits_anchors_on_the_new_commit() {
    let repo = common::wired(S);
    write(&repo, S, &repo.root, "w1", "a.py", &six("alpha"));
    repo.git(&["add", "a.py"]);
    repo.git(&["commit", "-qm", "add a.py"]);
    write(&repo, S, &repo.root, "w2", "b.py", ALPHA);
    repo.git(&["add", "b.py"]);
    repo.git(&["commit", "-qm", "fixup! add a.py"]);
    let old = repo.git(&["rev-parse", "HEAD"]);
    common::rebase_todo(&repo, "sed -i '2s/^pick/fixup/'", &["HEAD~2"]);
    let new = repo.git(&["rev-parse", "HEAD"]);
    assert_ne!(old, new);
    assert_eq!(repo.git(&["log", "-1", "--format=%s"]).trim(), "add a.py");
    assert_eq!(repo.git(&["rev-list", "--count", "HEAD"]).trim(), "2");
    assert_eq!(
        common::anchor_summary(&repo, "HEAD"),
        [
            ("a.py".into(), "tool:w1".into(), json!([[1, 6]])),
            ("b.py".into(), "tool:w2".into(), json!([[1, 2]])),
        ]
    );
    let (w1, w2) = (
        common::step_of(&repo, S, "tool:w1"),
        common::step_of(&repo, S, "tool:w2"),
    );
    let head = new.trim();
    for (file, step, n) in [("a.py", w1, 6), ("b.py", w2, 2)] {
        let lines = blame_json(&repo, &[file]);
        assert_eq!(lines.len(), n);
        for l in &lines {
            assert_eq!(
                (l["commit"].as_str(), &l["session"], &l["step"]),
                (Some(head), &json!(S), &json!(step)),
                "{l}"
            );
        }
    }
}

/// Case 2: A merge commit: the agent's lines keep their step through `git merge --no-ff`.
#[test]
fn a_merged_agent_commit_is_blamed_and_tracked_on_main() {
    let repo = common::wired(S);
    repo.git(&["checkout", "-qb", "feature"]);
    write(&repo, S, &repo.root, "w1", "feat.py", &six("feat"));
    repo.git(&["add", "feat.py"]);
    repo.git(&["commit", "-qm", "agent feature"]);
    let feature = repo.git(&["rev-parse", "HEAD"]).trim().to_string();
    repo.git(&["checkout", "-q", "main"]);
    repo.write("human.txt", "a line written by a person\n");
    repo.git(&["add", "human.txt"]);
    repo.git(&["commit", "-qm", "human on main"]);
    repo.git(&["merge", "-q", "--no-ff", "--no-edit", "feature"]);
    assert_eq!(
        repo.git(&["rev-list", "--parents", "-1", "HEAD"])
            .split_whitespace()
            .count(),
        3,
        "not a merge commit"
    );
    let w1 = common::step_of(&repo, S, "tool:w1");
    let lines = blame_json(&repo, &["feat.py"]);
    let expected: Vec<(u64, String, Value, Value, Value)> = (1..=6)
        .map(|i| {
            (
                i,
                format!("feat line number {i}"),
                json!(S),
                json!(w1),
                json!("tool:w1"),
            )
        })
        .collect();
    assert_eq!(owners(&lines), expected);
    assert!(lines.iter().all(|l| l["commit"] == json!(feature)));
    assert!(lines.iter().all(|l| l["state"] == "alive_on_path"));
    // The human's file on main has no owner.
    let human = blame_json(&repo, &["human.txt"]);
    assert_eq!(human[0]["session"], Value::Null);

    let t = track(&repo);
    assert_eq!(t["feat.py"]["state"], "alive_on_path", "{t:?}");
    assert_eq!(
        (
            t["feat.py"]["alive"].as_u64(),
            t["feat.py"]["lines"].as_u64()
        ),
        (Some(6), Some(6))
    );
}

/// Case 3: A shallow clone with the notes fetched: blame still names session:step (no prompt: the
/// session refs are not there) and track, with no sessions, prints an empty report.
#[test]
fn a_shallow_clone_with_notes_resolves_blame_and_tracks_nothing() {
    let repo = common::wired(S);
    repo.write("old.txt", "history the shallow clone will not have\n");
    repo.git(&["add", "old.txt"]);
    repo.git(&["commit", "-qm", "older"]);
    write(&repo, S, &repo.root, "w1", "a.py", &six("shallow"));
    repo.git(&["add", "a.py"]);
    repo.git(&["commit", "-qm", "agent a.py"]);
    let w1 = common::step_of(&repo, S, "tool:w1");
    let head = repo.git(&["rev-parse", "HEAD"]).trim().to_string();

    let clone = repo.root.parent().unwrap().join("shallow");
    let url = format!("file://{}", repo.root.display());
    repo.git(&["clone", "-q", "--depth", "1", &url, clone.to_str().unwrap()]);
    assert_eq!(
        ok_in(&repo, &clone, &["rev-parse", "--is-shallow-repository"]).trim(),
        "true"
    );
    ok_in(
        &repo,
        &clone,
        &[
            "fetch",
            "-q",
            "origin",
            "refs/notes/traces:refs/notes/traces",
        ],
    );
    assert_eq!(
        ok_in(&repo, &clone, &["for-each-ref", "refs/traces/"]),
        "",
        "session refs came along"
    );

    let out = git_in(&repo, &clone, &["trail", "blame", "--json", "a.py"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(stderr, "");
    let lines = parse_blame(&out.stdout);
    let expected: Vec<(u64, String, Value, Value, Value)> = (1..=6)
        .map(|i| {
            (
                i,
                format!("shallow line number {i}"),
                json!(S),
                json!(w1),
                json!("tool:w1"),
            )
        })
        .collect();
    assert_eq!(owners(&lines), expected);
    for l in &lines {
        assert_eq!(l["commit"], json!(head));
        assert_eq!((&l["prompt"], &l["harness"]), (&Value::Null, &Value::Null));
    }
    // The boundary commit's other file: git blames it to the boundary, no note covers it.
    let old = parse_blame(&git_in(&repo, &clone, &["trail", "blame", "--json", "old.txt"]).stdout);
    assert_eq!(old.len(), 1);
    assert_eq!(old[0]["session"], Value::Null);

    for args in [&["trail", "track", "--json"][..], &["trail", "track"][..]] {
        let out = git_in(&repo, &clone, args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
        assert_eq!(stderr, "", "{args:?}");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(!stdout.contains("panicked"), "{stdout}");
        if args.contains(&"--json") {
            let report: Value = serde_json::from_str(&stdout).unwrap();
            assert!(sessions_of(&report).is_empty(), "{report}");
        }
    }
}

/// Case 4: A file deleted at HEAD: git's error with a hint, exit 1; older revisions still blame.
#[test]
fn blaming_a_file_deleted_at_head_is_an_error_with_a_hint() {
    let repo = common::wired(S);
    write(&repo, S, &repo.root, "w1", "gone.py", &six("gone"));
    repo.git(&["add", "gone.py"]);
    repo.git(&["commit", "-qm", "add gone.py"]);
    repo.git(&["rm", "-q", "gone.py"]);
    repo.git(&["commit", "-qm", "drop gone.py"]);

    let out = repo.git_output(&["trail", "blame", "gone.py"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(
        stderr,
        "error: no such path 'gone.py' in HEAD\n\
         hint: blame needs a file the revision has; 'git ls-tree -r --name-only HEAD' lists them\n"
    );
    assert!(!stderr.contains("panicked") && !stderr.contains("backtrace"));
    assert!(out.stdout.is_empty());

    let w1 = common::step_of(&repo, S, "tool:w1");
    let lines = blame_json(&repo, &["HEAD~1", "--", "gone.py"]);
    assert_eq!(lines.len(), 6);
    assert!(
        lines
            .iter()
            .all(|l| l["session"] == S && l["step"] == json!(w1) && l["key"] == "tool:w1"),
        "{lines:?}"
    );
    assert_eq!(track(&repo)["gone.py"]["state"], "lost");
}

/// Case 5: A binary file written by the agent's shell command: no anchor, no patch, no failure.
#[test]
fn binary_files_get_no_anchor_and_no_patch() {
    let repo = common::wired(S);
    bash(
        &repo,
        S,
        &repo.root,
        "b1",
        concat!(
            r"printf 'BIN\000\001\002data\000more\n' > blob.bin && ",
            r"printf 'first text line\nsecond text line\n' > notes.txt",
        ),
        "",
    );
    assert!(std::fs::read(repo.path("blob.bin")).unwrap().contains(&0));
    repo.git(&["add", "blob.bin", "notes.txt"]);
    repo.git(&["commit", "-qm", "binary and text"]);
    assert_eq!(
        common::anchor_summary(&repo, "HEAD"),
        [("notes.txt".into(), "tool:b1".into(), json!([[1, 2]]))]
    );
    let b1 = common::step_of(&repo, S, "tool:b1");
    let lines = blame_json(&repo, &["notes.txt"]);
    assert_eq!(
        owners(&lines),
        vec![
            (
                1,
                "first text line".into(),
                json!(S),
                json!(b1),
                json!("tool:b1")
            ),
            (
                2,
                "second text line".into(),
                json!(S),
                json!(b1),
                json!("tool:b1")
            ),
        ]
    );
    let out = repo.git_output(&["trail", "track", S, "--json"]);
    assert_eq!(out.status.code(), Some(0));
    let t = track(&repo);
    assert_eq!(t.keys().collect::<Vec<_>>(), ["notes.txt"], "{t:?}");
    assert_eq!(t["notes.txt"]["state"], "alive_on_path");
}

/// Case 6: CRLF line endings: every agent line resolves, and a hand edit of one line (keeping CRLF)
/// leaves the other five alive, judged exactly as the same edit of an LF twin is.
#[test]
fn crlf_files_are_blamed_and_tracked_line_by_line() {
    let repo = common::wired(S);
    let numbered = |name: &str, eol: &str| -> String {
        (1..=6)
            .map(|i| format!("{name} line number {i}{eol}"))
            .collect()
    };
    let dos = numbered("crlf", "\r\n");
    let cut = numbered("cut", "\r\n");
    let unix = numbered("crlf", "\n");
    write(&repo, S, &repo.root, "w1", "dos.txt", &dos);
    write(&repo, S, &repo.root, "w2", "cut.txt", &cut);
    write(&repo, S, &repo.root, "w3", "unix.txt", &unix);
    repo.git(&["add", "dos.txt", "cut.txt", "unix.txt"]);
    repo.git(&["commit", "-qm", "dos files"]);
    let w1 = common::step_of(&repo, S, "tool:w1");
    assert_eq!(
        common::anchor_summary(&repo, "HEAD"),
        [
            ("cut.txt".into(), "tool:w2".into(), json!([[1, 6]])),
            ("dos.txt".into(), "tool:w1".into(), json!([[1, 6]])),
            ("unix.txt".into(), "tool:w3".into(), json!([[1, 6]])),
        ]
    );
    let lines = blame_json(&repo, &["dos.txt"]);
    assert_eq!(lines.len(), 6);
    for (i, l) in lines.iter().enumerate() {
        assert_eq!(
            (&l["session"], &l["step"], &l["state"], &l["content"]),
            (
                &json!(S),
                &json!(w1),
                &json!("alive_on_path"),
                &json!(format!("crlf line number {}\r", i + 1))
            ),
            "line {}: {l}",
            i + 1
        );
    }
    let t = track(&repo);
    for f in ["dos.txt", "cut.txt", "unix.txt"] {
        assert_eq!(t[f]["state"], "alive_on_path", "{f}: {t:?}");
    }

    // The user rewrites line 3 of dos.txt and unix.txt, and deletes line 3 of cut.txt.
    repo.write(
        "dos.txt",
        &dos.replace("crlf line number 3\r\n", "changed by hand 3\r\n"),
    );
    repo.write(
        "unix.txt",
        &unix.replace("crlf line number 3\n", "changed by hand 3\n"),
    );
    repo.write("cut.txt", &cut.replace("cut line number 3\r\n", ""));
    assert!(repo.read("dos.txt").contains("hand 3\r\n"));
    repo.git(&["commit", "-qam", "hand edit"]);
    let lines = blame_json(&repo, &["dos.txt"]);
    let steps: Vec<Value> = lines.iter().map(|l| l["step"].clone()).collect();
    let w = json!(w1);
    assert_eq!(
        steps,
        [w.clone(), w.clone(), Value::Null, w.clone(), w.clone(), w]
    );
    let t = track(&repo);
    let counts = |f: &str| (t[f]["alive"].as_u64(), t[f]["lines"].as_u64());
    for f in ["dos.txt", "cut.txt", "unix.txt"] {
        assert_eq!(counts(f), (Some(5), Some(6)), "{f}: {}", t[f]);
    }
    assert_eq!(
        t["cut.txt"]["state"], "partially_preserved",
        "{}",
        t["cut.txt"]
    );
    // An in-place rewrite is `repaired`, CRLF or not.
    assert_eq!(t["dos.txt"]["state"], t["unix.txt"]["state"], "{t:?}");
    assert_eq!(t["dos.txt"]["state"], "repaired", "{}", t["dos.txt"]);
}

/// Case 7: A rename with an edit: the unchanged agent lines keep their step under the new name.
#[test]
fn a_renamed_and_edited_file_keeps_its_unchanged_agent_lines() {
    let repo = common::wired(S);
    write(&repo, S, &repo.root, "w1", "a.py", &six("renamed"));
    repo.git(&["add", "a.py"]);
    repo.git(&["commit", "-qm", "add a.py"]);
    repo.git(&["mv", "a.py", "b.py"]);
    repo.write(
        "b.py",
        &six("renamed").replace("renamed line number 4\n", "edited by hand, line 4\n"),
    );
    repo.git(&["add", "b.py"]);
    repo.git(&["commit", "-qm", "rename and edit"]);
    let w1 = common::step_of(&repo, S, "tool:w1");
    let lines = blame_json(&repo, &["b.py"]);
    let steps: Vec<Value> = lines.iter().map(|l| l["step"].clone()).collect();
    let w = json!(w1);
    assert_eq!(
        steps,
        [w.clone(), w.clone(), w.clone(), Value::Null, w.clone(), w]
    );
    // git blame follows the rename: agent lines are blamed through the older commit's path.
    assert_eq!(lines[0]["file"], "a.py");
    assert_eq!(lines[3]["file"], "b.py");
    assert_eq!(lines[0]["state"], "alive_moved");

    let t = track(&repo);
    let p = &t["a.py"];
    // The edited line was rewritten in place, as it would be without the rename.
    assert_eq!(p["state"], "repaired", "{p}");
    assert_eq!(p["now_in"], "b.py", "{p}");
    assert_eq!(
        (p["alive"].as_u64(), p["lines"].as_u64()),
        (Some(5), Some(6))
    );
    assert_eq!(p["now_in"], "b.py");
}

/// Case 8: `git gc --prune=now` keeps the notes and what they point at.
#[test]
fn notes_survive_gc_prune_now() {
    let repo = common::wired(S);
    write(&repo, S, &repo.root, "w1", "a.py", &six("gc"));
    repo.git(&["add", "a.py"]);
    repo.git(&["commit", "-qm", "add a.py"]);
    let before = common::anchor_summary(&repo, "HEAD");
    let notes = repo.git(&["rev-parse", "refs/notes/traces"]);
    // Unreachable objects to prune: a dropped commit.
    repo.git(&["commit", "-q", "--allow-empty", "-m", "to drop"]);
    repo.git(&["reset", "-q", "--hard", "HEAD~1"]);
    repo.git(&["reflog", "expire", "--expire=now", "--all"]);
    repo.git(&["gc", "-q", "--prune=now"]);
    assert_eq!(repo.git(&["rev-parse", "refs/notes/traces"]), notes);
    assert_eq!(common::anchor_summary(&repo, "HEAD"), before);
    assert_eq!(before, [("a.py".into(), "tool:w1".into(), json!([[1, 6]]))]);
    let w1 = common::step_of(&repo, S, "tool:w1");
    let lines = blame_json(&repo, &["a.py"]);
    assert_eq!(lines.len(), 6);
    assert!(
        lines
            .iter()
            .all(|l| l["session"] == S && l["step"] == json!(w1) && l["state"] == "alive_on_path"),
        "{lines:?}"
    );
    assert_eq!(track(&repo)["a.py"]["state"], "alive_on_path");
}

/// In a shallow clone, a patch committed beyond the boundary is `unknown`, not `lost`.
#[test]
fn a_patch_committed_beyond_a_shallow_boundary_is_unknown() {
    let repo = TestRepo::with_files(&[("README.md", "one\n")]);
    std::fs::write(repo.path(".git/info/exclude"), ".claude/\n").unwrap();
    repo.trace(&["init"]);
    let s = "f0f0f0f0-0000-4000-8000-00000000000f";
    common::start(&repo, s, &repo.root);
    common::write(
        &repo,
        s,
        &repo.root,
        "w1",
        "deep.py",
        "def deep():\n    return 'deep value'\n",
    );
    repo.git(&["add", "deep.py"]);
    repo.git(&["commit", "-qm", "agent"]);
    repo.write("later.txt", "a later human commit\n");
    repo.git(&["add", "later.txt"]);
    repo.git(&["commit", "-qm", "later"]);
    let clone = repo.root.parent().unwrap().join("shallow-unknown");
    let url = format!("file://{}", repo.root.display());
    repo.git(&["clone", "-q", "--depth", "1", &url, clone.to_str().unwrap()]);
    let in_clone = |args: &[&str]| {
        let out = repo
            .cmd("git")
            .current_dir(&clone)
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    in_clone(&[
        "fetch",
        "-q",
        "--depth",
        "1",
        "origin",
        "refs/notes/traces:refs/notes/traces",
        "+refs/traces/*:refs/traces/*",
    ]);
    let report: Value = serde_json::from_str(&in_clone(&["trail", "track", "--json"])).unwrap();
    let patch = &report["sessions"][0]["patches"][0];
    assert_eq!(patch["file"], "deep.py");
    assert_eq!(patch["state"], "unknown", "{patch}");
    // The full repository knows: the lines are alive.
    let here: Value = serde_json::from_str(&repo.trail(&["track", "--json"])).unwrap();
    assert_eq!(here["sessions"][0]["patches"][0]["state"], "alive_on_path");
}
