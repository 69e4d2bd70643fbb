//! `git trace skill` and `git trace rate`: two versions of a skill file committed with real git,
//! sessions run under each through the real Claude Code hook path, their work committed and some
//! of it reverted with `git revert`; the verifier must say keep or revert, and refuse when the
//! labels cannot be trusted.

mod common;

use common::{bash, end, payload, prompt, start, write, TestRepo};
use serde_json::{json, Value};
use std::process::Output;

const SKILL_FILE: &str = ".claude/skills/newsletter/SKILL.md";

fn repo_with_skill() -> TestRepo {
    let repo = TestRepo::with_files(&[
        ("README.md", "newsletters\n"),
        ("run_tests.sh", "#!/bin/sh\necho '3 passed'\n"),
        (SKILL_FILE, "# newsletter\nWrite the issue.\n"),
    ]);
    std::fs::write(repo.path(".git/info/exclude"), ".claude/settings*.json\n").unwrap();
    repo.trace(&["init"]);
    repo
}

fn new_version(repo: &TestRepo, text: &str) {
    repo.write(SKILL_FILE, text);
    repo.git(&["add", SKILL_FILE]);
    repo.git(&["commit", "-qm", "tweak the newsletter skill"]);
}

fn read(repo: &TestRepo, session: &str, id: &str, rel: &str) {
    let file = repo.path(rel);
    let input = json!({"tool_name": "Read", "tool_input": {"file_path": file}, "tool_use_id": id});
    repo.hook(
        "PreToolUse",
        &payload(session, &repo.root, "PreToolUse", input.clone()),
    );
    let mut post = input;
    post["tool_response"] =
        json!({"type": "text", "file": {"filePath": file, "content": repo.read(rel)}});
    repo.hook(
        "PostToolUse",
        &payload(session, &repo.root, "PostToolUse", post),
    );
}

/// One session using the skill: the slash command, a read of the skill file, maybe the tests, one
/// new issue file; then the user commits it, and reverts it when the work was bad.
fn session_id(n: usize) -> String {
    format!("5e55{n:04}-0000-4000-8000-000000000000")
}

fn session(repo: &TestRepo, n: usize, tests: bool, kept: bool) -> String {
    let id = session_id(n);
    start(repo, &id, &repo.root);
    prompt(repo, &id, &format!("/newsletter issue {n}"));
    read(repo, &id, "r1", SKILL_FILE);
    let file = format!("issues/{n:04}.md");
    write(
        repo,
        &id,
        &repo.root,
        "w1",
        &file,
        &format!("Issue number {n}\nHeadline story {n}\nClosing words {n}\n"),
    );
    if tests {
        bash(repo, &id, &repo.root, "b1", "sh run_tests.sh", "3 passed");
    }
    end(repo, &id);
    repo.git(&["add", &file]);
    repo.git(&["commit", "-qm", &format!("issue {n}")]);
    if !kept {
        repo.git(&["revert", "--no-edit", "HEAD"]);
    }
    id
}

/// (ran tests, kept) for each session of a version that works well, and of one that does not.
///
/// The runs that go against their version (tests run but reverted, no tests but kept) sit at
/// positions 0, 1 and 3 of a version, whose sessions fall on the calibration side of the split in
/// both versions. On the held-out side, a good and a bad run then never share the same tests
/// criterion, so the held-out AUC does not hang on how the `fast` criterion (real wall time, which
/// a loaded machine stretches) breaks their ties.
fn good_runs() -> Vec<(bool, bool)> {
    let mut runs = vec![(true, false), (false, true)];
    runs.extend([(true, true); 12]);
    runs.extend([(false, false); 2]);
    runs
}

fn bad_runs() -> Vec<(bool, bool)> {
    let mut runs = vec![(false, true), (false, true), (false, false), (true, false)];
    runs.extend([(false, false); 9]);
    runs.extend([(true, true); 3]);
    runs
}

/// Keeps the fixture honest: the anomalies are on the calibration side, whichever version runs
/// first.
#[test]
fn the_fixtures_anomalies_calibrate() {
    use git_traces::skill::score::{side, Side};
    for n in [0, 1, 3] {
        for first in [0, 16] {
            assert_eq!(side(&session_id(first + n)), Side::Calibration, "{n}");
        }
    }
}

fn skill(repo: &TestRepo, args: &[&str]) -> Output {
    let mut all = vec!["trace", "skill"];
    all.extend_from_slice(args);
    repo.git_output(&all)
}

fn score_json(repo: &TestRepo) -> (Option<i32>, Value) {
    let out = skill(repo, &["score", "newsletter", "--json"]);
    (
        out.status.code(),
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr))),
    )
}

fn history(before: &[(bool, bool)], after: &[(bool, bool)]) -> TestRepo {
    let repo = repo_with_skill();
    let mut n = 0;
    for &(tests, kept) in before {
        session(&repo, n, tests, kept);
        n += 1;
    }
    new_version(
        &repo,
        "# newsletter\nWrite the issue, then run sh run_tests.sh.\n",
    );
    for &(tests, kept) in after {
        session(&repo, n, tests, kept);
        n += 1;
    }
    repo
}

fn blob(repo: &TestRepo, rev: &str, path: &str) -> String {
    repo.git(&["rev-parse", &format!("{rev}:{path}")])
        .trim()
        .to_string()
}

#[test]
fn a_better_tweak_is_kept_and_the_score_ignores_todays_skill_text() {
    let repo = history(&bad_runs(), &good_runs());
    let v1 = blob(&repo, "HEAD~40", SKILL_FILE);
    let v2 = blob(&repo, "HEAD", SKILL_FILE);

    let list: Vec<Value> =
        serde_json::from_slice(&skill(&repo, &["list", "--json"]).stdout).unwrap();
    assert_eq!(list.len(), 1, "{list:#?}");
    assert_eq!(list[0]["skill"], "newsletter");
    assert_eq!(list[0]["runs"], 32);
    let versions: Vec<(&str, u64)> = list[0]["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| (v["version"].as_str().unwrap(), v["runs"].as_u64().unwrap()))
        .collect();
    assert_eq!(versions, [(v1.as_str(), 16), (v2.as_str(), 16)]);
    let tweak = repo.git(&["log", "-1", "--format=%H", "--grep=tweak the newsletter"]);
    assert_eq!(list[0]["versions"][1]["commit"], tweak.trim());

    let (code, scored) = score_json(&repo);
    assert_eq!(code, Some(0), "{scored:#}");
    assert_eq!(scored["status"], "scored");
    assert_eq!(scored["verdict"]["decision"], "keep", "{scored:#}");
    assert!(scored["verdict"]["low"].as_f64().unwrap() > 0.0);
    assert!(scored["calibration"]["auc_held_out"].as_f64().unwrap() >= 0.7);
    let text = String::from_utf8(skill(&repo, &["score", "newsletter"]).stdout).unwrap();
    assert!(text.contains("before the tweak · 16 runs"), "{text}");
    assert!(text.contains("verdict: keep"), "{text}");
    let explained =
        String::from_utf8(skill(&repo, &["score", "newsletter", "--explain"]).stdout).unwrap();
    assert!(
        explained.contains("AUC: ") && explained.contains("tests_passed"),
        "{explained}"
    );

    // The skill's text is never evidence: keywords added to it, or the file deleted, change no
    // score, since every run is versioned by the blob its own session saw.
    new_version(&repo, "# newsletter\nWrite the issue, then run sh run_tests.sh. excellent correct tested reviewed\n");
    let (_, again) = score_json(&repo);
    assert_eq!(again["versions"], scored["versions"]);
    assert_eq!(again["verdict"], scored["verdict"]);
    repo.git(&["rm", "-q", SKILL_FILE]);
    repo.git(&["commit", "-qm", "drop the skill"]);
    let (_, gone) = score_json(&repo);
    assert_eq!(gone["verdict"], scored["verdict"]);
    assert_eq!(gone["versions"][1]["version"], v2.as_str());
}

#[test]
fn a_worse_tweak_is_reverted() {
    let repo = history(&good_runs(), &bad_runs());
    let (code, scored) = score_json(&repo);
    assert_eq!(code, Some(0), "{scored:#}");
    assert_eq!(scored["verdict"]["decision"], "revert", "{scored:#}");
    assert!(scored["verdict"]["high"].as_f64().unwrap() < 0.0);
}

#[test]
fn without_trusted_labels_the_verifier_refuses_and_says_why() {
    let repo = repo_with_skill();
    let mut ids = Vec::new();
    for n in 0..4 {
        let id = session_id(n);
        start(&repo, &id, &repo.root);
        prompt(&repo, &id, "/newsletter draft");
        write(
            &repo,
            &id,
            &repo.root,
            "w1",
            &format!("draft{n}.md"),
            "Draft headline here\nDraft body text\n",
        );
        end(&repo, &id);
        ids.push(id);
    }
    // Nothing was committed: no survival label, and nobody rated anything.
    let (code, scored) = score_json(&repo);
    assert_eq!(code, Some(3));
    assert_eq!(scored["status"], "blocked_no_labels");
    assert!(scored["versions"][0]["average"].is_null());
    let text = String::from_utf8(skill(&repo, &["score", "newsletter"]).stdout).unwrap();
    assert!(
        text.contains("blocked_no_labels: 0 (needed 6)\n  unblock: "),
        "{text}"
    );

    // A human rating is a label; too few of them still block.
    let rated = repo.trace(&["rate", &ids[0][..8], "good", "--note", "shipped as is"]);
    assert!(
        rated.starts_with(&format!("rated {} good (1 rating(s)", ids[0])),
        "{rated}"
    );
    let runs: Vec<Value> =
        serde_json::from_slice(&skill(&repo, &["runs", "newsletter", "--json"]).stdout).unwrap();
    let labels = &runs
        .iter()
        .find(|r| r["session"] == ids[0].as_str())
        .unwrap()["labels"];
    assert_eq!(
        labels,
        &json!([{"source": "human", "value": 1.0, "weight": 1.0, "note": "shipped as is"}])
    );
    assert_eq!(score_json(&repo).1["status"], "blocked_insufficient_labels");

    // A rating made from inside an agent session is the skill grading its own homework.
    let out = repo
        .cmd("git")
        .args(["trace", "rate", &ids[1], "good"])
        .env("CLAUDECODE", "1")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("counts as self-graded"));
    let (code, scored) = score_json(&repo);
    assert_eq!(code, Some(3));
    assert_eq!(scored["status"], "blocked_self_graded");
    assert_eq!(scored["blocked"]["value"], 1.0);
    // Removing it unblocks that refusal.
    repo.trace(&["rate", &ids[1], "--delete"]);
    assert_eq!(score_json(&repo).1["status"], "blocked_insufficient_labels");

    // Bad input: an unknown session, an unknown skill.
    let out = repo.git_output(&["trace", "rate", "ffffffff", "good"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("ffffffff"));
    let out = skill(&repo, &["score", "changelog"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no runs of skill 'changelog'"));
}

#[test]
fn one_session_using_two_skills_is_a_run_of_each() {
    let repo = repo_with_skill();
    repo.write(".claude/commands/changelog.md", "Summarise the changes.\n");
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-qm", "changelog command"]);
    let id = "5e550000-0000-4000-8000-00000000000a";
    start(&repo, id, &repo.root);
    prompt(&repo, id, "<command-name>/changelog</command-name>");
    read(&repo, id, "r1", SKILL_FILE);
    end(&repo, id);
    let list: Vec<Value> =
        serde_json::from_slice(&skill(&repo, &["list", "--json"]).stdout).unwrap();
    let names: Vec<(&str, &str)> = list
        .iter()
        .map(|s| {
            (
                s["skill"].as_str().unwrap(),
                s["versions"][0]["file"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        names,
        [
            ("changelog", ".claude/commands/changelog.md"),
            ("newsletter", SKILL_FILE)
        ]
    );
    assert_eq!(
        list[0]["versions"][0]["version"],
        blob(&repo, "HEAD", ".claude/commands/changelog.md")
    );
}

#[test]
fn ratings_of_two_clones_travel_with_push_and_merge() {
    let a = repo_with_skill();
    let id = "5e550000-0000-4000-8000-00000000000b";
    start(&a, id, &a.root);
    end(&a, id);
    a.trace(&["share", id, "--yes"]);
    let remote = a.home.join("remote.git");
    a.git(&["init", "-q", "--bare", remote.to_str().unwrap()]);
    a.git(&["remote", "add", "origin", remote.to_str().unwrap()]);
    a.git(&["push", "-q", "origin", "HEAD:refs/heads/main"]);
    a.trace(&["push", "origin"]);
    let b = TestRepo::empty();
    b.git(&["remote", "add", "origin", remote.to_str().unwrap()]);
    b.trace(&["fetch", "origin"]);

    a.trace(&["rate", id, "good", "--note", "clean"]);
    b.trace(&["rate", id, "bad", "--note", "missed the deadline"]);
    std::thread::scope(|s| {
        for repo in [&a, &b] {
            s.spawn(move || repo.trace(&["push", "origin"]));
        }
    });
    for repo in [&a, &b] {
        repo.trace(&["fetch", "origin"]);
        let notes = repo.git(&["notes", "--ref=traces-ratings", "list"]);
        assert_eq!(notes.lines().count(), 1, "one rated session");
        let object = notes.split_whitespace().nth(1).unwrap().to_string();
        let ratings: Vec<Value> = repo
            .git(&["notes", "--ref=traces-ratings", "show", &object])
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let mut verdicts: Vec<(bool, &str)> = ratings
            .iter()
            .map(|r| (r["good"].as_bool().unwrap(), r["note"].as_str().unwrap()))
            .collect();
        verdicts.sort();
        assert_eq!(verdicts, [(false, "missed the deadline"), (true, "clean")]);
    }
}
