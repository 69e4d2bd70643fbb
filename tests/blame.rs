//! `git trail blame`: git's blame with the agent step behind each line, read from the anchors that
//! the installed post-commit hook wrote, through real git commands.

mod common;

use common::{payload, write, TestRepo};
use serde_json::{json, Value};

const S: &str = "c0c0c0c0-0000-4000-8000-000000000003";

/// A UserPromptSubmit event, as Claude Code sends it.
fn prompt(repo: &TestRepo, id: &str, text: &str) {
    repo.hook(
        "UserPromptSubmit",
        &payload(
            S,
            &repo.root,
            "UserPromptSubmit",
            json!({"prompt": text, "prompt_id": id}),
        ),
    );
}

fn blame_json(repo: &TestRepo, args: &[&str]) -> Vec<Value> {
    let mut all = vec!["blame", "--json"];
    all.extend_from_slice(args);
    serde_json::from_str::<Value>(&repo.trail(&all))
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

/// (line, orig_line, file, session, step, state) of each blamed line, for compact assertions.
fn rows(lines: &[Value]) -> Vec<(u64, u64, String, Value, Value, Value)> {
    lines
        .iter()
        .map(|l| {
            (
                l["line"].as_u64().unwrap(),
                l["orig_line"].as_u64().unwrap(),
                l["file"].as_str().unwrap().to_string(),
                l["session"].clone(),
                l["step"].clone(),
                l["state"].clone(),
            )
        })
        .collect()
}

const FOUR: &str =
    "def area(w, h):\n    return w * h\n\ndef perimeter(w, h):\n    return 2 * (w + h)\n";

/// The agent writes `shapes.py` after a prompt; the user changes line 2 by hand; one commit.
fn agent_file_with_a_hand_line(repo: &TestRepo) -> u64 {
    prompt(
        repo,
        "p1",
        "Add area and perimeter helpers to shapes.py, please, with the usual signatures\nsecond line",
    );
    write(repo, S, &repo.root, "w1", "shapes.py", FOUR);
    repo.write(
        "shapes.py",
        &FOUR.replace("    return w * h\n", "    return h * w  # mine\n"),
    );
    repo.git(&["add", "shapes.py"]);
    repo.git(&["commit", "-qm", "shapes"]);
    common::step_of(repo, S, "tool:w1")
}

#[test]
fn json_gives_agent_lines_their_step_and_prompt_and_hand_lines_nothing() {
    let repo = common::wired(S);
    let w = agent_file_with_a_hand_line(&repo);
    let head = repo.git(&["rev-parse", "HEAD"]).trim().to_string();
    let lines = blame_json(&repo, &["shapes.py"]);
    assert_eq!(lines.len(), 5);
    let agent = |line: u64, content: &str| {
        json!({
            "schema": "git-traces/blame@1", "line": line, "commit": head, "orig_line": line,
            "file": "shapes.py", "author": "Test Author", "author_time": "2026-01-01T00:00:00.000Z",
            "content": content, "session": S, "step": w, "key": "tool:w1", "harness": "claude",
            "prompt": "Add area and perimeter helpers to shapes.py, please, with t…",
            "state": "alive_on_path", "tier": "exact_line", "firmness": "soft",
        })
    };
    let human = |line: u64, content: &str| {
        json!({
            "schema": "git-traces/blame@1", "line": line, "commit": head, "orig_line": line,
            "file": "shapes.py", "author": "Test Author", "author_time": "2026-01-01T00:00:00.000Z",
            "content": content, "session": null, "step": null, "key": null, "harness": null,
            "prompt": null, "state": null, "tier": null, "firmness": null,
        })
    };
    assert_eq!(lines[0], agent(1, "def area(w, h):"));
    assert_eq!(lines[1], human(2, "    return h * w  # mine"));
    // A blank line carries nothing to recognise: only an exact hunk claims it.
    assert_eq!(lines[2], human(3, ""));
    assert_eq!(lines[3], agent(4, "def perimeter(w, h):"));
    assert_eq!(lines[4], agent(5, "    return 2 * (w + h)"));
}

/// Our porcelain without the `trace-*` lines.
fn strip_trace(porcelain: &str) -> String {
    porcelain
        .lines()
        .filter(|l| !l.starts_with("trace-"))
        .map(|l| format!("{l}\n"))
        .collect()
}

#[test]
fn porcelain_is_gits_plus_three_trace_lines_on_every_agent_line() {
    let repo = common::wired(S);
    let w = agent_file_with_a_hand_line(&repo);
    // A second commit splits the first commit's lines into two groups: git prints the first
    // commit's details only on the first.
    repo.write(
        "shapes.py",
        &repo
            .read("shapes.py")
            .replace("def perimeter", "def perimeter_of"),
    );
    repo.git(&["commit", "-qam", "rename perimeter"]);
    let ours = repo.trail(&["blame", "--porcelain", "shapes.py"]);
    let gits = repo.git(&["blame", "--porcelain", "shapes.py"]);
    assert_eq!(strip_trace(&ours), gits);
    assert!(ours.ends_with('\n'));

    // Per line: the trace lines between git's headers and the content line.
    let mut blocks: Vec<(Vec<&str>, &str)> = Vec::new();
    let mut headers = Vec::new();
    for l in ours.lines() {
        if let Some(content) = l.strip_prefix('\t') {
            blocks.push((std::mem::take(&mut headers), content));
        } else {
            headers.push(l);
        }
    }
    let trace = |h: &[&str]| -> Vec<String> {
        h.iter()
            .filter(|l| l.starts_with("trace-"))
            .map(|l| l.to_string())
            .collect()
    };
    let agent = vec![
        format!("trace-session {S}"),
        format!("trace-step {w}"),
        "trace-state alive_on_path".to_string(),
    ];
    let none: Vec<String> = Vec::new();
    let got: Vec<(&str, Vec<String>)> = blocks.iter().map(|(h, c)| (*c, trace(h))).collect();
    assert_eq!(
        got,
        vec![
            ("def area(w, h):", agent.clone()),
            ("    return h * w  # mine", none.clone()),
            ("", none.clone()),
            ("def perimeter_of(w, h):", none),
            ("    return 2 * (w + h)", agent.clone()),
        ]
    );
    // The trace lines come last in each header block, right before the content line.
    for (h, _) in &blocks {
        if let Some(first) = h.iter().position(|l| l.starts_with("trace-")) {
            assert_eq!(first, h.len() - 3, "{h:?}");
        }
    }
    // The last line's group repeats no commit details: only the `<sha> <orig> <final> 1` header.
    assert_eq!(blocks[4].0.len(), 4, "{:?}", blocks[4].0);
}

#[test]
fn lines_pushed_down_by_a_later_commit_keep_their_step() {
    let repo = common::wired(S);
    let w = agent_file_with_a_hand_line(&repo);
    repo.write(
        "shapes.py",
        &format!("import math\nimport sys\n\n{}", repo.read("shapes.py")),
    );
    repo.git(&["commit", "-qam", "imports"]);
    let lines = blame_json(&repo, &["shapes.py"]);
    let agent = (json!(S), json!(w), json!("alive_on_path"));
    let human = (Value::Null, Value::Null, Value::Null);
    let row = |line, orig, who: &(Value, Value, Value)| {
        (
            line,
            orig,
            "shapes.py".to_string(),
            who.0.clone(),
            who.1.clone(),
            who.2.clone(),
        )
    };
    assert_eq!(
        rows(&lines),
        vec![
            row(1, 1, &human),
            row(2, 2, &human),
            row(3, 3, &human),
            row(4, 1, &agent),
            row(5, 2, &human),
            row(6, 3, &human),
            row(7, 4, &agent),
            row(8, 5, &agent),
        ]
    );
}

#[test]
fn a_renamed_file_keeps_its_steps_through_the_older_commits_path() {
    let repo = common::wired(S);
    let w = agent_file_with_a_hand_line(&repo);
    repo.git(&["mv", "shapes.py", "geometry.py"]);
    repo.git(&["commit", "-qm", "rename"]);
    let lines = blame_json(&repo, &["geometry.py"]);
    let anchored: Vec<(u64, String, Value, Value)> = lines
        .iter()
        .map(|l| {
            (
                l["line"].as_u64().unwrap(),
                l["file"].as_str().unwrap().to_string(),
                l["step"].clone(),
                l["state"].clone(),
            )
        })
        .collect();
    let moved = json!("alive_moved");
    assert_eq!(
        anchored,
        vec![
            (1, "shapes.py".into(), json!(w), moved.clone()),
            (2, "shapes.py".into(), Value::Null, Value::Null),
            (3, "shapes.py".into(), Value::Null, Value::Null),
            (4, "shapes.py".into(), json!(w), moved.clone()),
            (5, "shapes.py".into(), json!(w), moved),
        ]
    );
}

#[test]
fn line_ranges_and_older_revisions_are_passed_to_git() {
    let repo = common::wired(S);
    let w = agent_file_with_a_hand_line(&repo);
    repo.write(
        "shapes.py",
        &format!("# header\n{}", repo.read("shapes.py")),
    );
    repo.git(&["commit", "-qam", "header"]);
    let range = blame_json(&repo, &["-L", "2,3", "shapes.py"]);
    let got: Vec<(u64, u64, Value)> = range
        .iter()
        .map(|l| {
            (
                l["line"].as_u64().unwrap(),
                l["orig_line"].as_u64().unwrap(),
                l["step"].clone(),
            )
        })
        .collect();
    assert_eq!(got, vec![(2, 1, json!(w)), (3, 2, Value::Null)]);

    let older = blame_json(&repo, &["HEAD~1", "--", "shapes.py"]);
    assert_eq!(older.len(), 5);
    assert_eq!(older[0]["content"], "def area(w, h):");
    assert_eq!(older[0]["step"], json!(w));
    // Without `--`, as git takes it too.
    assert_eq!(blame_json(&repo, &["HEAD~1", "shapes.py"]), older);
    // git's other range forms go through unchanged.
    let regex = blame_json(&repo, &["-L", "/perimeter/,+2", "shapes.py"]);
    assert_eq!(regex.len(), 2);
    assert_eq!(regex[0]["line"], 5);
}

#[test]
fn a_corrupt_note_is_skipped_with_one_warning_naming_its_commit() {
    let repo = common::wired(S);
    agent_file_with_a_hand_line(&repo);
    let first = repo.git(&["rev-parse", "HEAD"]).trim().to_string();
    write(
        &repo,
        S,
        &repo.root,
        "w2",
        "shapes.py",
        &format!(
            "{}def volume(w, h, d):\n    return w * h * d\n",
            repo.read("shapes.py")
        ),
    );
    repo.git(&["commit", "-qam", "volume"]);
    let second = repo.git(&["rev-parse", "HEAD"]).trim().to_string();
    let w2 = common::step_of(&repo, S, "tool:w2");
    // The first commit's note becomes garbage; the second gets a line from a future schema.
    repo.git(&[
        "notes", "--ref", "traces", "add", "-f", "-m", "not json", &first,
    ]);
    let future = r#"{"file":"shapes.py","lines":[[1,1]],"session":"x","step":1,"v":2}"#;
    repo.git(&["notes", "--ref", "traces", "append", "-m", future, &second]);

    let out = repo.git_output(&["trail", "blame", "--json", "shapes.py"]);
    assert!(out.status.success());
    let lines: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(lines.len(), 7);
    assert!(lines[..5].iter().all(|l| l["session"].is_null()));
    assert_eq!(lines[5]["step"], json!(w2));
    assert_eq!(lines[6]["step"], json!(w2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    let warnings: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("warning: "))
        .collect();
    assert_eq!(warnings.len(), 2, "{stderr}");
    assert!(
        warnings[0].contains(&format!("note on commit {first}"))
            && warnings[0].ends_with("not JSON"),
        "{stderr}"
    );
    assert!(
        warnings[1].contains(&format!("note on commit {second}"))
            && warnings[1].contains("schema v2 is newer"),
        "{stderr}"
    );
}

#[test]
fn a_forgotten_session_still_shows_its_step_without_prompt() {
    let repo = common::wired(S);
    let w = agent_file_with_a_hand_line(&repo);
    repo.git(&["update-ref", "-d", &format!("refs/traces/sessions/{S}")]);
    let out = repo.git_output(&["trail", "blame", "--json", "shapes.py"]);
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
    let lines: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (
            &lines[0]["session"],
            &lines[0]["step"],
            &lines[0]["harness"],
            &lines[0]["prompt"]
        ),
        (&json!(S), &json!(w), &Value::Null, &Value::Null)
    );
}

#[test]
fn notes_in_a_fanned_out_tree_are_found() {
    // Past a few hundred notes git stores them as `ab/cdef…` (and deeper); move ours there.
    let repo = common::wired(S);
    let w = agent_file_with_a_hand_line(&repo);
    let head = repo.git(&["rev-parse", "HEAD"]).trim().to_string();
    let blob = repo
        .git(&["rev-parse", &format!("refs/notes/traces:{head}")])
        .trim()
        .to_string();
    let index = repo.home.join("notes-index");
    let git = |args: &[&str], stdin: &str| {
        let mut cmd = repo.cmd("git");
        cmd.env("GIT_INDEX_FILE", &index).args(args);
        let out = common::with_stdin(cmd, stdin.as_bytes());
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    git(&["read-tree", "refs/notes/traces"], "");
    git(&["update-index", "--force-remove", &head], "");
    let path = format!("{}/{}/{}", &head[..2], &head[2..4], &head[4..]);
    git(
        &["update-index", "--index-info"],
        &format!("100644 blob {blob}\t{path}\n"),
    );
    let tree = git(&["write-tree"], "");
    let commit = git(
        &[
            "commit-tree",
            &tree,
            "-p",
            "refs/notes/traces",
            "-m",
            "fan out",
        ],
        "",
    );
    repo.git(&["update-ref", "refs/notes/traces", &commit]);
    assert!(repo
        .git(&["notes", "--ref", "traces", "show", &head])
        .contains("tool:w1"));
    let lines = blame_json(&repo, &["shapes.py"]);
    let steps: Vec<&Value> = lines.iter().map(|l| &l["step"]).collect();
    assert_eq!(
        steps,
        [&json!(w), &Value::Null, &Value::Null, &json!(w), &json!(w)]
    );
}

#[test]
fn a_step_renumbered_since_anchoring_is_found_by_its_key() {
    let repo = common::wired(S);
    let w = agent_file_with_a_hand_line(&repo);
    let note = repo.git(&["notes", "--ref", "traces", "show", "HEAD"]);
    let stale = note.replace(&format!("\"step\":{w},"), "\"step\":99,");
    assert_ne!(stale, note);
    repo.git(&[
        "notes",
        "--ref",
        "traces",
        "add",
        "-f",
        "-m",
        stale.trim(),
        "HEAD",
    ]);
    let lines = blame_json(&repo, &["shapes.py"]);
    assert_eq!(lines[0]["step"], json!(w));
    assert_eq!(lines[0]["key"], "tool:w1");
}

#[test]
fn a_path_missing_from_the_revision_is_gits_error_with_a_hint() {
    let repo = common::wired(S);
    let out = repo.git_output(&["trail", "blame", "HEAD", "--", "nope.py"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: no such path 'nope.py' in HEAD\n\
         hint: blame needs a file the revision has; 'git ls-tree -r --name-only HEAD' lists them\n"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn human_view_is_git_blames_with_the_step() {
    let repo = common::wired(S);
    prompt(&repo, "p1", "write a greeting module");
    write(
        &repo,
        S,
        &repo.root,
        "w1",
        "greet.py",
        "def greet(name):\n    return 'hello ' + name\n",
    );
    repo.write(
        "greet.py",
        &format!("{}print(greet('you'))  # by hand\n", repo.read("greet.py")),
    );
    repo.git(&["add", "greet.py"]);
    repo.git(&["commit", "-qm", "greet"]);
    let step = common::step_of(&repo, S, "tool:w1");
    assert_eq!(step, 2);
    // Without the step column, the lines are git blame's own.
    let ours = repo.trail(&["blame", "greet.py"]);
    let without_step: String = ours
        .lines()
        .take(3)
        .map(|l| {
            let (sha, rest) = l.split_once(' ').unwrap();
            format!("{sha} ({}\n", rest.split_once(" (").unwrap().1)
        })
        .collect();
    assert_eq!(without_step, repo.git(&["blame", "greet.py"]));
    assert_eq!(
        ours,
        "\
f025a47f c0c0c0c0:2 (Test Author 2026-01-01 00:00:00 +0000 1) def greet(name):
f025a47f c0c0c0c0:2 (Test Author 2026-01-01 00:00:00 +0000 2)     return 'hello ' + name
f025a47f -          (Test Author 2026-01-01 00:00:00 +0000 3) print(greet('you'))  # by hand

c0c0c0c0:2  claude  alive_on_path  write a greeting module
"
    );
}
