//! `git trail track`: one history per survival state, built with real git commands.

mod common;

use common::{start, write, TestRepo};
use serde_json::Value;

const S: &str = "c0c0c0c0-0000-4000-8000-000000000003";

fn lines(name: &str) -> String {
    (1..=6).map(|i| format!("{name} line {i}\n")).collect()
}

/// file → (state, patch object) from `git trail track --json`.
fn states(repo: &TestRepo) -> std::collections::BTreeMap<String, Value> {
    let report: Value = serde_json::from_str(&repo.trail(&["track", S, "--json"])).unwrap();
    report["sessions"][0]["patches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["file"].as_str().unwrap().to_string(), p.clone()))
        .collect()
}

#[test]
fn every_state_comes_from_the_history_that_produced_it() {
    let repo = TestRepo::with_files(&[("README.md", "one\n")]);
    std::fs::write(repo.path(".git/info/exclude"), ".claude/\n").unwrap();
    repo.trace(&["init"]);
    start(&repo, S, &repo.root);
    for f in [
        "keep", "edit", "cut", "gone", "back", "moved", "indent", "undo", "scratch",
    ] {
        write(
            &repo,
            S,
            &repo.root,
            &format!("w-{f}"),
            &format!("{f}.py"),
            &lines(f),
        );
    }
    repo.hook(
        "SessionEnd",
        &common::payload(S, &repo.root, "SessionEnd", serde_json::json!({})),
    );
    std::fs::remove_file(repo.path("scratch.py")).unwrap();
    repo.write("undo.py", "undo: what was there before\n");
    repo.git(&[
        "add",
        "README.md",
        "keep.py",
        "edit.py",
        "cut.py",
        "gone.py",
        "moved.py",
        "indent.py",
    ]);
    repo.git(&["commit", "-qm", "add modules"]);
    // undo.py existed before the agent's version was committed, and is put back by hand later.
    let before_agent = lines("undo");
    repo.write("undo.py", "undo: what was there before\n");
    repo.git(&["add", "undo.py"]);
    repo.git(&["commit", "-qm", "undo.py as it was"]);
    repo.write("undo.py", &before_agent);
    repo.git(&["commit", "-qam", "agent's undo.py"]);
    repo.write("undo.py", "undo: what was there before\n");
    repo.git(&["commit", "-qam", "back to the old undo.py"]);
    let undo_commit = repo.git(&["rev-parse", "HEAD"]);
    repo.git(&["add", "back.py"]);
    repo.git(&["commit", "-qm", "add back"]);
    repo.git(&["revert", "--no-edit", "HEAD"]);
    let revert = repo.git(&["rev-parse", "HEAD"]);
    repo.write(
        "edit.py",
        &lines("edit").replace("edit line 3\n", "edit line three, by hand\n"),
    );
    repo.git(&["commit", "-qam", "hand edit"]);
    repo.write("cut.py", &lines("cut").replace("cut line 4\n", ""));
    repo.git(&["commit", "-qam", "cut a line"]);
    repo.git(&["rm", "-q", "gone.py"]);
    repo.git(&["commit", "-qm", "drop gone"]);
    let drop = repo.git(&["rev-parse", "HEAD"]);
    repo.git(&["mv", "moved.py", "pkg.py"]);
    repo.git(&["commit", "-qm", "move"]);
    repo.write(
        "indent.py",
        &lines("indent")
            .lines()
            .map(|l| format!("    {l}\n"))
            .collect::<String>(),
    );
    repo.git(&["commit", "-qam", "indent"]);

    let s = states(&repo);
    let state = |f: &str| s[f]["state"].as_str().unwrap().to_string();
    assert_eq!(state("keep.py"), "alive_on_path");
    assert_eq!(
        state("edit.py"),
        "repaired",
        "its line 3 was rewritten in place"
    );
    assert_eq!(
        (
            s["edit.py"]["alive"].as_u64(),
            s["edit.py"]["lines"].as_u64()
        ),
        (Some(5), Some(6))
    );
    assert_eq!(state("cut.py"), "partially_preserved");
    assert_eq!(
        (s["cut.py"]["alive"].as_u64(), s["cut.py"]["lines"].as_u64()),
        (Some(5), Some(6))
    );
    assert_eq!(state("gone.py"), "lost");
    assert_eq!(s["gone.py"]["commit"].as_str().unwrap(), drop.trim());
    assert_eq!(state("back.py"), "reverted");
    assert_eq!(s["back.py"]["commit"].as_str().unwrap(), revert.trim());
    assert_eq!(state("moved.py"), "alive_moved");
    assert_eq!(s["moved.py"]["now_in"], "pkg.py");
    assert_eq!(state("indent.py"), "alive_transformed");
    assert_eq!(
        state("undo.py"),
        "reverted",
        "a manual undo to the earlier content"
    );
    assert_eq!(s["undo.py"]["commit"].as_str().unwrap(), undo_commit.trim());
    assert_eq!(state("scratch.py"), "never_committed");

    let report: Value = serde_json::from_str(&repo.trail(&["track", "--json"])).unwrap();
    assert_eq!(report["sessions"][0]["lines_written"], 9 * 6);
    assert_eq!(report["sessions"][0]["lines_alive"], 6 + 5 + 5 + 6 + 6);
    assert_eq!(report["overall"]["lines_never_committed"], 6);
    assert_eq!(report["overall"]["sessions"], 1);
    // Sessions older than --since are left out.
    let none: Value =
        serde_json::from_str(&repo.trail(&["track", "--since", "0h", "--json"])).unwrap();
    assert_eq!(none["overall"]["sessions"], 0);
    let week: Value =
        serde_json::from_str(&repo.trail(&["track", "--since", "7d", "--json"])).unwrap();
    assert_eq!(week["overall"]["sessions"], 1);
    let human = repo.trail(&["track", &S[..6]]);
    assert!(human.starts_with("session c0c0c0c  9 patches: "), "{human}");
    assert!(
        human.contains("lost") && human.contains("now in pkg.py"),
        "{human}"
    );
}

#[test]
fn work_dropped_from_history_is_lost() {
    let repo = TestRepo::with_files(&[("README.md", "one\n")]);
    std::fs::write(repo.path(".git/info/exclude"), ".claude/\n").unwrap();
    repo.trace(&["init"]);
    start(&repo, S, &repo.root);
    write(&repo, S, &repo.root, "w1", "a.py", &lines("a"));
    repo.git(&["add", "a.py"]);
    repo.git(&["commit", "-qm", "a"]);
    let dropped = repo.git(&["rev-parse", "HEAD"]);
    repo.git(&["reset", "-q", "--hard", "HEAD~1"]);
    let s = states(&repo);
    assert_eq!(s["a.py"]["state"], "lost");
    assert_eq!(s["a.py"]["commit"].as_str().unwrap(), dropped.trim());
}

#[test]
fn track_is_incremental_and_agrees_with_a_full_run() {
    let repo = TestRepo::with_files(&[("README.md", "one\n")]);
    std::fs::write(repo.path(".git/info/exclude"), ".claude/\n").unwrap();
    repo.trace(&["init"]);
    start(&repo, S, &repo.root);
    for f in ["a", "b", "c"] {
        write(
            &repo,
            S,
            &repo.root,
            &format!("w-{f}"),
            &format!("{f}.py"),
            &lines(f),
        );
    }
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-qm", "abc"]);
    let first = states(&repo);
    assert!(
        first.values().all(|p| p["state"] == "alive_on_path"),
        "{first:?}"
    );
    let cache = repo.traces_dir().join("cache/track.json");
    assert!(cache.exists());
    // A commit that touches only b.py: a cached run must see b lost, a and c still alive.
    repo.git(&["rm", "-q", "b.py"]);
    repo.git(&["commit", "-qm", "drop b"]);
    let second = states(&repo);
    assert_eq!(second["b.py"]["state"], "lost");
    assert_eq!(second["a.py"]["state"], "alive_on_path");
    assert_eq!(second["c.py"]["state"], "alive_on_path");
    // The same answers without the cache.
    std::fs::remove_file(&cache).unwrap();
    assert_eq!(states(&repo), second);
    // A cache from an unrelated revision is not trusted.
    repo.git(&["checkout", "-q", "HEAD~1"]);
    assert_eq!(states(&repo)["b.py"]["state"], "alive_on_path");
}
