//! `post-rewrite`: anchors follow amend, rebase (reorder, squash, drop) to the new commits, through
//! real git commands and the installed hooks.

mod common;

use common::{write, TestRepo};

const S: &str = "b0b0b0b0-0000-4000-8000-000000000002";

fn agent_commit(repo: &TestRepo, id: &str, file: &str, body: &str) {
    write(repo, S, &repo.root, id, file, body);
    repo.git(&["add", file]);
    repo.git(&["commit", "-qm", &format!("add {file}")]);
}

const ALPHA: &str = "def alpha():\n    return 'alpha value'\n";
const BETA: &str = "def beta():\n    return 'beta value'\n";

#[test]
fn amend_moves_anchors_and_shifts_their_lines() {
    let repo = common::wired(S);
    agent_commit(&repo, "w1", "a.py", ALPHA);
    let before = repo.git(&["rev-parse", "HEAD"]);
    repo.write(
        "a.py",
        &format!("# written by hand\n# second hand line\n{ALPHA}"),
    );
    repo.git(&["commit", "-qa", "--amend", "-m", "alpha, with a header"]);
    assert_ne!(repo.git(&["rev-parse", "HEAD"]), before);
    assert_eq!(
        common::anchor_summary(&repo, "HEAD"),
        [("a.py".into(), "tool:w1".into(), serde_json::json!([[3, 4]]))]
    );
    // The replaced commit keeps its note.
    assert_eq!(
        common::anchor_summary(&repo, before.trim()),
        [("a.py".into(), "tool:w1".into(), serde_json::json!([[1, 2]]))]
    );
}

#[test]
fn reorder_and_squash_keep_every_anchor() {
    let repo = common::wired(S);
    agent_commit(&repo, "w1", "a.py", ALPHA);
    agent_commit(&repo, "w2", "b.py", BETA);
    // Reorder: b first, then a.
    common::rebase_todo(&repo, "sed -i '1{h;d};2G'", &["HEAD~2"]);
    assert_eq!(repo.git(&["log", "-1", "--format=%s"]).trim(), "add a.py");
    assert_eq!(
        common::anchor_summary(&repo, "HEAD"),
        [("a.py".into(), "tool:w1".into(), serde_json::json!([[1, 2]]))]
    );
    assert_eq!(
        common::anchor_summary(&repo, "HEAD~1"),
        [("b.py".into(), "tool:w2".into(), serde_json::json!([[1, 2]]))]
    );
    // Squash both into one commit.
    common::rebase_todo(&repo, "sed -i '2s/^pick/squash/'", &["HEAD~2"]);
    assert_eq!(
        common::anchor_summary(&repo, "HEAD"),
        [
            ("a.py".into(), "tool:w1".into(), serde_json::json!([[1, 2]])),
            ("b.py".into(), "tool:w2".into(), serde_json::json!([[1, 2]])),
        ]
    );
}

#[test]
fn anchors_follow_a_rebase_even_when_the_session_is_gone() {
    let repo = common::wired(S);
    repo.git(&["checkout", "-qb", "feature"]);
    agent_commit(&repo, "w1", "a.py", ALPHA);
    let old = repo.git(&["rev-parse", "HEAD"]);
    // Upstream adds lines above, so the rebased commit's lines move down.
    repo.git(&["checkout", "-q", "main"]);
    repo.write("a.py", "# upstream header\n# more\n# and more\n");
    repo.git(&["add", "a.py"]);
    repo.git(&["commit", "-qm", "upstream"]);
    repo.git(&["checkout", "-q", "feature"]);
    // Only the note can tell now: the session's refs are gone (expired, or another clone).
    for r in repo
        .git(&["for-each-ref", "--format=%(refname)", "refs/traces/"])
        .lines()
    {
        repo.git(&["update-ref", "-d", r]);
    }
    let out = repo.git_output(&["rebase", "-q", "main"]);
    if !out.status.success() {
        // Both sides created a.py: resolve by keeping upstream's lines above the agent's.
        repo.write(
            "a.py",
            &format!("# upstream header\n# more\n# and more\n{ALPHA}"),
        );
        repo.git(&["add", "a.py"]);
        let mut cont = repo.cmd("git");
        cont.env("GIT_EDITOR", ":").args(["rebase", "--continue"]);
        assert!(cont.output().unwrap().status.success());
    }
    let new = repo.git(&["rev-parse", "HEAD"]);
    assert_ne!(old, new);
    assert_eq!(
        common::anchor_summary(&repo, "HEAD"),
        [("a.py".into(), "tool:w1".into(), serde_json::json!([[4, 5]]))]
    );
}

#[test]
fn a_dropped_commit_keeps_its_note() {
    let repo = common::wired(S);
    agent_commit(&repo, "w1", "a.py", ALPHA);
    let dropped = repo.git(&["rev-parse", "HEAD"]);
    agent_commit(&repo, "w2", "b.py", BETA);
    common::rebase_todo(&repo, "sed -i '1d'", &["HEAD~2"]);
    assert!(!repo.path("a.py").exists());
    assert_eq!(
        common::anchor_summary(&repo, dropped.trim()),
        [("a.py".into(), "tool:w1".into(), serde_json::json!([[1, 2]]))]
    );
    assert_eq!(
        common::anchor_summary(&repo, "HEAD"),
        [("b.py".into(), "tool:w2".into(), serde_json::json!([[1, 2]]))]
    );
}

/// What git does not report to post-rewrite is re-anchored by content at the next post-commit.
#[test]
fn cherry_pick_squash_merge_stash_and_soft_reset_are_anchored_by_content() {
    let repo = common::wired(S);
    repo.git(&["checkout", "-qb", "feature"]);
    agent_commit(&repo, "w1", "a.py", ALPHA);
    let picked = repo.git(&["rev-parse", "HEAD"]);
    agent_commit(&repo, "w2", "b.py", BETA);
    repo.git(&["checkout", "-q", "main"]);

    repo.git(&["cherry-pick", picked.trim()]);
    assert_eq!(
        common::anchor_summary(&repo, "HEAD"),
        [("a.py".into(), "tool:w1".into(), serde_json::json!([[1, 2]]))]
    );

    repo.git(&["reset", "-q", "--hard", "HEAD~1"]);
    repo.git(&["merge", "-q", "--squash", "feature"]);
    repo.git(&["commit", "-qm", "squash-merged feature"]);
    assert_eq!(
        common::anchor_summary(&repo, "HEAD"),
        [
            ("a.py".into(), "tool:w1".into(), serde_json::json!([[1, 2]])),
            ("b.py".into(), "tool:w2".into(), serde_json::json!([[1, 2]])),
        ]
    );

    repo.git(&["reset", "-q", "--soft", "HEAD~1"]);
    repo.git(&["commit", "-qm", "recommitted"]);
    assert_eq!(common::anchor_summary(&repo, "HEAD").len(), 2);

    repo.git(&["reset", "-q", "--hard", "HEAD~1"]);
    write(
        &repo,
        S,
        &repo.root,
        "w3",
        "c.py",
        "def gamma():\n    return 'gamma value'\n",
    );
    repo.git(&["add", "c.py"]);
    repo.git(&["stash", "-q"]);
    repo.git(&["stash", "pop", "-q"]);
    repo.git(&["add", "c.py"]);
    repo.git(&["commit", "-qm", "after stash"]);
    assert_eq!(
        common::anchor_summary(&repo, "HEAD"),
        [("c.py".into(), "tool:w3".into(), serde_json::json!([[1, 2]]))]
    );
}

/// Notes travel to another clone and merge there with git's own machinery.
#[test]
fn notes_fetched_into_a_second_clone_merge_with_cat_sort_uniq() {
    let repo = common::wired(S);
    agent_commit(&repo, "w1", "a.py", ALPHA);
    let clone = repo.root.parent().unwrap().join("clone");
    repo.git(&[
        "clone",
        "-q",
        repo.root.to_str().unwrap(),
        clone.to_str().unwrap(),
    ]);
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
    // The clone already has a note of its own on the same commit.
    let head = repo.git(&["rev-parse", "HEAD"]);
    in_clone(&[
        "notes",
        "--ref",
        "traces",
        "add",
        "-m",
        r#"{"file":"z.py","firmness":"soft","key":"tool:other","lines":[[1,1]],"session":"other","step":0,"tier":"exact_line","v":1}"#,
        head.trim(),
    ]);
    in_clone(&[
        "fetch",
        "-q",
        "origin",
        "refs/notes/traces:refs/notes/origin-traces",
    ]);
    in_clone(&[
        "notes",
        "--ref",
        "traces",
        "merge",
        "-q",
        "-s",
        "cat_sort_uniq",
        "refs/notes/origin-traces",
    ]);
    let merged = in_clone(&["notes", "--ref", "traces", "show", head.trim()]);
    let lines: Vec<&str> = merged.lines().collect();
    assert_eq!(lines.len(), 2, "{merged}");
    assert!(
        lines[0].contains("\"a.py\"") && lines[1].contains("\"z.py\""),
        "{merged}"
    );
}
