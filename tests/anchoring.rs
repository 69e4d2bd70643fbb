//! `post-commit` anchoring: each added line of a user commit traced to the agent step that wrote
//! it, in a note on `refs/notes/traces`, through real `git commit` and the installed hooks.

mod common;

use common::{bash, edit, write};
use serde_json::Value;

const S: &str = "a0a0a0a0-0000-4000-8000-000000000001";

fn ten_values() -> String {
    (1..=10).map(|i| format!("value_{i} = {i}\n")).collect()
}

#[test]
fn agent_lines_get_their_step_and_hand_edits_get_nothing() {
    let repo = common::wired(S);
    write(&repo, S, &repo.root, "w1", "calc.py", &ten_values());
    let text = repo
        .read("calc.py")
        .replace("value_5 = 5\n", "value_5 = 55  # set by hand\n")
        + "extra = 0  # by hand\n";
    repo.write("calc.py", &text);
    edit(
        &repo,
        S,
        &repo.root,
        "e1",
        "calc.py",
        "value_2 = 2\n",
        "value_2 = 22\n",
    );
    repo.git(&["add", "calc.py"]);
    repo.git(&["commit", "-qm", "calc"]);
    let (w, e) = (
        common::step_of(&repo, S, "tool:w1"),
        common::step_of(&repo, S, "tool:e1"),
    );
    let expected: Vec<Value> = vec![
        serde_json::json!({"file":"calc.py","firmness":"soft","key":"tool:e1","lines":[[2,2]],"session":S,"step":e,"tier":"exact_line","v":1}),
        serde_json::json!({"file":"calc.py","firmness":"soft","key":"tool:w1","lines":[[1,1],[3,4],[6,10]],"session":S,"step":w,"tier":"exact_line","v":1}),
    ];
    assert_eq!(common::note_anchors(&repo, "HEAD"), expected);
}

#[test]
fn an_unchanged_agent_hunk_is_a_firm_anchor_and_reanchoring_changes_nothing() {
    let repo = common::wired(S);
    write(&repo, S, &repo.root, "w1", "calc.py", &ten_values());
    repo.git(&["add", "calc.py"]);
    repo.git(&["commit", "-qm", "calc"]);
    let notes = common::note_anchors(&repo, "HEAD");
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert_eq!(notes[0]["tier"], "exact_hunk");
    assert_eq!(notes[0]["firmness"], "firm");
    assert_eq!(notes[0]["lines"], serde_json::json!([[1, 10]]));
    let before = repo.git(&["rev-parse", "refs/notes/traces"]);
    repo.git(&["trail", "hook", "post-commit"]);
    assert_eq!(
        repo.git(&["rev-parse", "refs/notes/traces"]),
        before,
        "re-anchoring rewrote the note"
    );
}

#[test]
fn partial_commits_anchor_only_what_they_contain() {
    let repo = common::wired(S);
    write(
        &repo,
        S,
        &repo.root,
        "w1",
        "a.py",
        "def alpha():\n    return 'alpha'\n",
    );
    write(
        &repo,
        S,
        &repo.root,
        "w2",
        "b.py",
        "def beta():\n    return 'beta'\n",
    );
    repo.git(&["add", "a.py"]);
    repo.git(&["commit", "-qm", "a"]);
    let first = common::note_anchors(&repo, "HEAD");
    assert_eq!(first.len(), 1);
    assert_eq!(
        (first[0]["file"].as_str(), first[0]["key"].as_str()),
        (Some("a.py"), Some("tool:w1"))
    );
    repo.git(&["add", "b.py"]);
    repo.git(&["commit", "-qm", "b"]);
    let second = common::note_anchors(&repo, "HEAD");
    assert_eq!(second.len(), 1);
    assert_eq!(
        (second[0]["file"].as_str(), second[0]["key"].as_str()),
        (Some("b.py"), Some("tool:w2"))
    );
}

#[test]
fn moved_and_reindented_lines_keep_their_step() {
    let repo = common::wired(S);
    write(
        &repo,
        S,
        &repo.root,
        "w1",
        "a.py",
        "def helper(value):\n    return value * 2\n",
    );
    // The user moves the function into another file and re-indents it in a class.
    std::fs::remove_file(repo.path("a.py")).unwrap();
    repo.write(
        "b.py",
        "class Tools:\n    def helper(value):\n        return value * 2\n",
    );
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-qm", "move"]);
    let notes = common::note_anchors(&repo, "HEAD");
    let tiers: Vec<(&str, &str, Value)> = notes
        .iter()
        .map(|a| {
            (
                a["file"].as_str().unwrap(),
                a["tier"].as_str().unwrap(),
                a["lines"].clone(),
            )
        })
        .collect();
    assert_eq!(
        tiers,
        [("b.py", "moved", serde_json::json!([[2, 3]]))],
        "{notes:?}"
    );
}

#[test]
fn a_commit_the_agent_makes_mid_session_is_anchored_and_human_commits_get_no_note() {
    let repo = common::wired(S);
    repo.write("human.txt", "written by a person\n");
    repo.git(&["add", "human.txt"]);
    repo.git(&["commit", "-qm", "human"]);
    assert!(
        common::note_anchors(&repo, "HEAD").is_empty(),
        "a human commit got anchors"
    );
    write(
        &repo,
        S,
        &repo.root,
        "w1",
        "feature.rs",
        "pub fn feature() -> u32 {\n    42\n}\n",
    );
    bash(
        &repo,
        S,
        &repo.root,
        "b1",
        "git add feature.rs && git commit -qm 'agent commit'",
        "",
    );
    let notes = common::note_anchors(&repo, "HEAD");
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert_eq!(notes[0]["key"], "tool:w1");
    assert_eq!(notes[0]["lines"], serde_json::json!([[1, 3]]));
}

#[test]
fn blame_commit_tells_the_intent_the_hunks_and_their_state() {
    let repo = common::wired(S);
    repo.hook(
        "UserPromptSubmit",
        &common::payload(
            S,
            &repo.root,
            "UserPromptSubmit",
            serde_json::json!({"prompt": "Add a greeting helper", "prompt_id": "p1"}),
        ),
    );
    write(
        &repo,
        S,
        &repo.root,
        "w1",
        "greet.py",
        "def greet(name):\n    return f'hello {name}'\n",
    );
    let text = repo.read("greet.py") + "print(greet('you'))  # by hand\n";
    repo.write("greet.py", &text);
    repo.git(&["add", "greet.py"]);
    repo.git(&["commit", "-qm", "greeting"]);
    let story: Value =
        serde_json::from_str(&repo.trail(&["blame", "commit", "HEAD", "--json"])).unwrap();
    assert_eq!(story["subject"], "greeting");
    assert_eq!(
        (story["agent_lines"].as_u64(), story["human_lines"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(story["sessions"][0]["session"], S);
    assert_eq!(
        story["sessions"][0]["prompts"],
        serde_json::json!(["Add a greeting helper"])
    );
    let hunks = story["hunks"].as_array().unwrap();
    assert_eq!(hunks.len(), 2);
    assert_eq!(hunks[0]["lines"], serde_json::json!([1, 2]));
    assert_eq!(hunks[0]["step"], common::step_of(&repo, S, "tool:w1"));
    assert_eq!(hunks[0]["state"], "alive_on_path");
    assert_eq!(hunks[0]["prompt"], "Add a greeting helper");
    assert_eq!(hunks[1]["lines"], serde_json::json!([3, 3]));
    assert!(hunks[1]["session"].is_null());
    let md = repo.trail(&["blame", "commit", "HEAD", "--format", "md"]);
    assert!(md.starts_with("### greeting `"), "{md}");
    assert!(md.contains("> Add a greeting helper\n"), "{md}");
    assert!(md.contains("| `greet.py` 3-3 | by hand |  |\n"), "{md}");
}

/// The seal cache (`.git/traces/cache/seals.json`) only saves reading: damaged or stale, the
/// commit is anchored all the same, and a session sealed again after a commit is read again.
#[test]
fn a_damaged_or_stale_seal_cache_loses_no_anchor() {
    let repo = common::wired(S);
    write(&repo, S, &repo.root, "w1", "a.py", "alpha = 'alpha'\n");
    repo.git(&["add", "a.py"]);
    repo.git(&["commit", "-qm", "a"]);
    let cache = repo.traces_dir().join("cache/seals.json");
    assert!(cache.exists());
    assert_eq!(common::note_anchors(&repo, "HEAD").len(), 1);
    write(&repo, S, &repo.root, "w2", "b.py", "beta = 'beta'\n");
    repo.git(&["add", "b.py"]);
    repo.git(&["commit", "-qm", "b"]);
    let anchors = common::note_anchors(&repo, "HEAD");
    assert_eq!(anchors.len(), 1, "{anchors:?}");
    assert_eq!(anchors[0]["key"], "tool:w2");
    std::fs::write(&cache, b"{\"schema\":").unwrap();
    write(&repo, S, &repo.root, "w3", "c.py", "gamma = 'gamma'\n");
    repo.git(&["add", "c.py"]);
    repo.git(&["commit", "-qm", "c"]);
    assert_eq!(common::note_anchors(&repo, "HEAD")[0]["key"], "tool:w3");
}
