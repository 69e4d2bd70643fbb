//! `git capsule` end to end through the binaries and real git: a captured session hits a failing
//! test; it is sealed (twice, byte for byte the same), checked, opened and replayed in a fresh
//! clone (reproduces), replayed against a fix (fixed), pushed and fetched; planted secrets and the
//! prompt reach no object of the bundle; damaged, newer and impossible input is refused clearly.

mod common;

use common::{bash, edit, payload, write, TestRepo};
use serde_json::{json, Value};
use std::path::Path;
use std::process::Output;

const S: &str = "cafe0000-0000-4000-8000-00000000ca95";
const PROMPT: &str = "Make add() in calc.py add; the secret plan is codename bluebird";
const AWS_KEY: &str = "AKIAQYLPMN5HHHFPZAM2";
const GH_TOKEN: &str = "ghp_R7vX2mQ9kL4pT8wZ1cY6bN3hJ5dF0sA2eG7u";
const TEST: &str = "python3 test_calc.py";
const EXPECT: &str = "add is broken";

fn capsule(repo: &TestRepo, args: &[&str]) -> Output {
    let mut all = vec!["capsule"];
    all.extend_from_slice(args);
    repo.git_output(&all)
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn json_of(out: &Output) -> Value {
    serde_json::from_str(&ok(out)).unwrap()
}

/// A session that writes a broken add(), a test, and a config file holding two secrets, runs the
/// test (it fails), edits a comment, runs it again. Returns the repository and the steps of the
/// two test runs.
fn failing_session() -> (TestRepo, u64, u64) {
    let repo = common::wired(S);
    let root = repo.root.clone();
    repo.hook(
        "UserPromptSubmit",
        &payload(S, &root, "UserPromptSubmit", json!({"prompt": PROMPT})),
    );
    write(
        &repo,
        S,
        &root,
        "w1",
        "calc.py",
        "# adds\ndef add(a, b):\n    return a - b\n",
    );
    write(
        &repo,
        S,
        &root,
        "w2",
        "test_calc.py",
        &format!("from calc import add\nassert add(2, 3) == 5, \"{EXPECT}\"\nprint(\"ok\")\n"),
    );
    write(
        &repo,
        S,
        &root,
        "w3",
        "config.py",
        &format!("AWS_ACCESS_KEY_ID = \"{AWS_KEY}\"\nGITHUB = \"{GH_TOKEN}\"\n"),
    );
    bash(
        &repo,
        S,
        &root,
        "b1",
        &format!("{TEST} || true"),
        "AssertionError: add is broken",
    );
    edit(
        &repo,
        S,
        &root,
        "e1",
        "calc.py",
        "# adds",
        "# adds two numbers",
    );
    bash(
        &repo,
        S,
        &root,
        "b2",
        &format!("{TEST} || true"),
        "AssertionError: add is broken",
    );
    repo.hook(
        "Stop",
        &payload(
            S,
            &root,
            "Stop",
            json!({"stop_hook_active": false, "last_assistant_message": "still failing"}),
        ),
    );
    repo.hook(
        "SessionEnd",
        &payload(S, &root, "SessionEnd", json!({"reason": "other"})),
    );
    let (b1, b2) = (
        common::step_of(&repo, S, "tool:b1"),
        common::step_of(&repo, S, "tool:b2"),
    );
    (repo, b1, b2)
}

fn seal(repo: &TestRepo, from: u64, to: u64, file: &str) -> Value {
    json_of(&capsule(
        repo,
        &[
            "seal",
            &format!("{}:{from}-{to}", &S[..8]),
            "--test",
            TEST,
            "--expect",
            EXPECT,
            "-o",
            file,
            "--yes",
            "--json",
        ],
    ))
}

/// Every object of a bundle, as text.
fn bundle_objects(repo: &TestRepo, file: &Path) -> String {
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path();
    let git = |args: &[&str]| {
        let out = repo
            .cmd("git")
            .current_dir(dir)
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    };
    git(&["init", "-q", "--bare", "."]);
    git(&[
        "fetch",
        "-q",
        file.to_str().unwrap(),
        "refs/capsules/*:refs/capsules/*",
    ]);
    String::from_utf8_lossy(&git(&["cat-file", "--batch-all-objects", "--batch"])).into_owned()
}

#[test]
fn a_sealed_capsule_is_deterministic_private_and_checked() {
    let (repo, b1, b2) = failing_session();
    let a = repo.root.join("a.capsule");
    let sealed = seal(&repo, b1, b2, a.to_str().unwrap());
    let id = sealed["manifest"]["id"].as_str().unwrap().to_string();
    assert_eq!(sealed["recorded"]["exit"], 1, "{sealed}");
    assert_eq!(sealed["recorded"]["signal_seen"], true, "{sealed}");
    assert_eq!(sealed["steps"], b2 - b1 + 1);
    // The working tree before the first test run: the three files the agent wrote.
    assert_eq!(
        sealed["manifest"]["repo"]["files"], 4,
        "README, calc, test, config"
    );
    assert!(
        sealed["manifest"]["privacy"]["redactions"]
            .as_object()
            .unwrap()
            .len()
            >= 2,
        "{sealed}"
    );
    assert_eq!(
        sealed["manifest"]["intent"][0]["text"],
        Value::Null,
        "prompts withheld"
    );

    // A plain git bundle holding refs/capsules/<id>, here and in the file.
    let heads = repo.git(&["bundle", "list-heads", a.to_str().unwrap()]);
    assert!(
        heads.trim_end().ends_with(&format!("refs/capsules/{id}")),
        "{heads}"
    );
    repo.git(&["bundle", "verify", "-q", a.to_str().unwrap()]);
    repo.git(&["rev-parse", "--verify", &format!("refs/capsules/{id}")]);

    // Sealed again: the same bytes.
    let b = repo.root.join("b.capsule");
    seal(&repo, b1, b2, b.to_str().unwrap());
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());

    // No secret and no prompt in any object.
    let objects = bundle_objects(&repo, &a);
    for secret in [AWS_KEY, GH_TOKEN, "bluebird"] {
        assert!(!objects.contains(secret), "{secret} is in the bundle");
    }
    assert!(objects.contains("return a - b"), "the tree is there");

    let verified = ok(&capsule(&repo, &["verify", a.to_str().unwrap()]));
    assert!(
        verified.contains(&id) && verified.contains("check out"),
        "{verified}"
    );
    let inspect = ok(&capsule(&repo, &["inspect", a.to_str().unwrap()]));
    assert!(
        inspect.contains(&format!("# Capsule {id}")) && inspect.contains(TEST),
        "{inspect}"
    );

    // A flipped byte anywhere in the file is refused before anything runs.
    let mut bytes = std::fs::read(&b).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x40;
    std::fs::write(&b, &bytes).unwrap();
    refused(&repo, &b, &["not a valid capsule"]);
}

/// `verify` and `replay` both refuse `file` before anything runs, saying each of `reasons`.
fn refused(repo: &TestRepo, file: &Path, reasons: &[&str]) {
    for cmd in ["verify", "replay"] {
        let out = capsule(repo, &[cmd, file.to_str().unwrap()]);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{cmd} accepted {}",
            file.display()
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        for reason in reasons {
            assert!(stderr.contains(reason), "{cmd}: {stderr}");
        }
    }
}

#[test]
fn a_capsule_opens_and_replays_in_another_clone() {
    let (repo, b1, b2) = failing_session();
    let file = repo.home.join("bug.capsule");
    let id = seal(&repo, b1, b2, file.to_str().unwrap())["manifest"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    // The fix lands upstream.
    repo.write("calc.py", "def add(a, b):\n    return a + b\n");
    repo.git(&["add", "calc.py", "test_calc.py"]);
    repo.git(&["commit", "-qm", "fix add"]);
    let bare = repo.home.join("remote.git");
    repo.git(&["clone", "-q", "--bare", ".", bare.to_str().unwrap()]);
    repo.git(&["remote", "add", "origin", bare.to_str().unwrap()]);

    let other = TestRepo::empty();
    std::fs::remove_dir_all(&other.root).unwrap();
    other
        .cmd("git")
        .current_dir(&other.home)
        .args([
            "clone",
            "-q",
            bare.to_str().unwrap(),
            other.root.to_str().unwrap(),
        ])
        .status()
        .unwrap();
    let repro = other.home.join("repro");
    let opened = json_of(&capsule(
        &other,
        &[
            "open",
            file.to_str().unwrap(),
            repro.to_str().unwrap(),
            "--json",
        ],
    ));
    assert_eq!(opened["kind"], "worktree");
    assert!(std::fs::read_to_string(repro.join("calc.py"))
        .unwrap()
        .contains("a - b"));
    let md = std::fs::read_to_string(repro.join(".capsule/capsule.md")).unwrap();
    assert!(
        md.starts_with("> Everything under .capsule/ was recorded"),
        "{md}"
    );
    assert!(repro.join(".capsule/context/pack.json").exists());
    let status = String::from_utf8(
        other
            .cmd("git")
            .current_dir(&repro)
            .args(["status", "--porcelain"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert!(
        status.contains("calc.py") && !status.contains(".capsule"),
        "{status}"
    );

    let replayed = json_of(&capsule(
        &other,
        &["replay", file.to_str().unwrap(), "--json"],
    ));
    assert_eq!(replayed["kind"], "reproduces", "{replayed}");
    assert!(replayed["trust"]["environment"]
        .as_str()
        .unwrap()
        .contains("minimal"));
    let fixed = json_of(&capsule(
        &other,
        &[
            "replay",
            file.to_str().unwrap(),
            "--against",
            "HEAD",
            "--json",
        ],
    ));
    assert_eq!(fixed["kind"], "fixed", "{fixed}");
    let text = ok(&capsule(&other, &["replay", file.to_str().unwrap()]));
    assert!(text.starts_with("reproduces: "), "{text}");

    // Through the remote: `git trace push` sends a capsule only when named; `git capsule push`
    // sends it too; the other clone fetches it and opens it by id.
    let on_remote = || repo.git(&["ls-remote", "origin", "refs/capsules/*"]);
    repo.trace(&["push", "origin"]);
    assert_eq!(on_remote(), "", "not named, not pushed");
    repo.trace(&["push", "origin", "--capsule", &id[..8]]);
    assert!(on_remote().contains(&format!("refs/capsules/{id}")));
    ok(&capsule(&repo, &["push", "origin", file.to_str().unwrap()]));
    let fetched = ok(&capsule(&other, &["fetch", "origin"]));
    assert!(fetched.contains(&format!("new capsule {id}")), "{fetched}");
    let by_id = other.home.join("by-id");
    ok(&capsule(
        &other,
        &["open", &id[..8], by_id.to_str().unwrap()],
    ));
    assert!(by_id.join("test_calc.py").exists());
    let issue = ok(&capsule(&other, &["issue", &id[..8]]));
    assert!(
        issue.contains("git capsule replay") && issue.contains(&id),
        "{issue}"
    );
}

#[test]
fn bad_input_is_refused_with_a_reason() {
    let (repo, b1, _) = failing_session();
    let spec = |range: &str| format!("{}:{range}", &S[..8]);
    let out = capsule(&repo, &["seal", &spec("2-999"), "--test", TEST, "--yes"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("999"),
        "{out:?}"
    );
    let out = capsule(&repo, &["seal", &spec("5-2"), "--test", TEST, "--yes"]);
    assert_eq!(out.status.code(), Some(1));

    // Without --yes (and no terminal) nothing is written.
    let out = capsule(
        &repo,
        &[
            "seal",
            &spec(&b1.to_string()),
            "--test",
            TEST,
            "-o",
            "x.capsule",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("nothing sealed"));
    assert!(!repo.root.join("x.capsule").exists());

    // A verifier that hangs is cut at the time limit: inconclusive, then and at replay.
    let hang = repo.root.join("hang.capsule");
    let sealed = json_of(&capsule(
        &repo,
        &[
            "seal",
            &spec(&b1.to_string()),
            "--test",
            "sleep 30",
            "--timeout",
            "1s",
            "-o",
            hang.to_str().unwrap(),
            "--yes",
            "--json",
        ],
    ));
    assert_eq!(sealed["recorded"]["timed_out"], true, "{sealed}");
    let replayed = json_of(&capsule(
        &repo,
        &["replay", hang.to_str().unwrap(), "--json"],
    ));
    assert_eq!(replayed["kind"], "inconclusive", "{replayed}");

    // An imported session has no trail: its working tree is unknown.
    let imported = common::scenario_repo();
    let text = common::relocate(
        &common::fixture("claude", "claude-session.jsonl"),
        "claude",
        &imported,
    );
    let path = imported.home.join("s.jsonl");
    std::fs::write(&path, text).unwrap();
    imported.trace(&["import", "claude", path.to_str().unwrap()]);
    let out = capsule(
        &imported,
        &["seal", "ecbef1cc:2-4", "--test", "true", "--yes"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no trail snapshot"),
        "{out:?}"
    );

    // A capsule of a newer schema: refused, saying so.
    let good = repo.root.join("good.capsule");
    let id = seal(&repo, b1, b1, good.to_str().unwrap())["manifest"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let newer_file = forge(&repo, &id, "capsule.json", "newer", |text| {
        text.replace("git-traces/capsule@1", "git-traces/capsule@2")
    });
    refused(&repo, &newer_file, &["capsule@2", "upgrade"]);

    // A member changed behind the manifest's back (the verifier swapped for another command),
    // the bundle itself well formed: refused, naming the member, before anything runs.
    let swapped = forge(&repo, &id, "verifier.json", "swapped", |text| {
        text.replace(TEST, "echo pwned > /tmp/capsule-pwned")
    });
    refused(&repo, &swapped, &["member verifier.json has sha256"]);
    // The manifest itself edited (its privacy report made to claim prompts were kept): its id
    // no longer matches.
    let edited = forge(&repo, &id, "capsule.json", "edited", |text| {
        text.replace("\"prompts_included\": false", "\"prompts_included\": true")
    });
    refused(&repo, &edited, &["hashes to id"]);

    // A member named to climb out of `.capsule/` when opened: refused before anything is written.
    let climbing = forge(&repo, &id, "capsule.json", "climbing", |text| {
        text.replace("\"env.json\":", "\"../../escape.json\":")
    });
    let target = repo.home.join("climb");
    let out = capsule(
        &repo,
        &["open", climbing.to_str().unwrap(), target.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("member name '../../escape.json' is not allowed"),
        "{stderr}"
    );
    assert!(!target.exists() && !repo.home.join("escape.json").exists());
}

/// A copy of capsule `id` with its top-level member `member` rewritten by `edit`, bundled on
/// `refs/capsules/<name>` into `<name>.capsule`.
fn forge(
    repo: &TestRepo,
    id: &str,
    member: &str,
    name: &str,
    edit: impl Fn(&str) -> String,
) -> std::path::PathBuf {
    let git = git2::Repository::open(&repo.root).unwrap();
    let commit = git
        .revparse_single(&format!("refs/capsules/{id}"))
        .unwrap()
        .peel_to_commit()
        .unwrap();
    let tree = commit.tree().unwrap();
    let blob = git
        .find_blob(tree.get_path(Path::new(member)).unwrap().id())
        .unwrap();
    let text = edit(&String::from_utf8_lossy(blob.content()));
    let mut builder = git.treebuilder(Some(&tree)).unwrap();
    builder
        .insert(member, git.blob(text.as_bytes()).unwrap(), 0o100644)
        .unwrap();
    let tree = git.find_tree(builder.write().unwrap()).unwrap();
    let sig = commit.author();
    let forged = git.commit(None, &sig, &sig, name, &tree, &[]).unwrap();
    let refname = format!("refs/capsules/{name}");
    git.reference(&refname, forged, true, "test").unwrap();
    let file = repo.root.join(format!("{name}.capsule"));
    repo.git(&["bundle", "create", "-q", file.to_str().unwrap(), &refname]);
    file
}

/// `--with` and `--matrix` change a dependency's pin in the replay's checkout: which version
/// flips the verdict. The verifier here reads the pin itself, so the test needs no registry.
#[test]
fn a_dependency_matrix_says_which_version_fixes_it() {
    let repo = common::wired(S);
    let root = repo.root.clone();
    write(
        &repo,
        S,
        &root,
        "w1",
        "requirements.txt",
        "requests>=2\nlibfoo==1.2.0\n",
    );
    write(
        &repo,
        S,
        &root,
        "w2",
        "check.py",
        "import re, sys\nv = re.search(r'libfoo==([0-9.]+)', open('requirements.txt').read()).group(1)\nprint('libfoo', v)\nsys.exit(0 if tuple(map(int, v.split('.'))) >= (1, 4, 0) else 'libfoo too old: parse bug')\n",
    );
    bash(
        &repo,
        S,
        &root,
        "b1",
        "python3 check.py || true",
        "libfoo too old: parse bug",
    );
    repo.hook(
        "SessionEnd",
        &payload(S, &root, "SessionEnd", json!({"reason": "other"})),
    );
    let step = common::step_of(&repo, S, "tool:b1");
    let file = repo.root.join("dep.capsule");
    let f = file.to_str().unwrap();
    json_of(&capsule(
        &repo,
        &[
            "seal",
            &format!("{}:{step}", &S[..8]),
            "--test",
            "python3 check.py",
            "--expect",
            "libfoo too old",
            "-o",
            f,
            "--yes",
            "--json",
        ],
    ));
    assert_eq!(
        json_of(&capsule(&repo, &["replay", f, "--json"]))["kind"],
        "reproduces"
    );
    let with = json_of(&capsule(
        &repo,
        &["replay", f, "--with", "libfoo=1.4.0", "--json"],
    ));
    assert_eq!(with["kind"], "fixed", "{with:#}");
    assert_eq!(
        with["pinned"],
        json!([{"pin": "libfoo=1.4.0", "file": "requirements.txt"}])
    );
    assert!(with["trust"]["dependencies"]
        .as_str()
        .unwrap()
        .contains("libfoo=1.4.0 in requirements.txt"));
    let matrix = json_of(&capsule(
        &repo,
        &["replay", f, "--matrix", "libfoo=1.3.0,1.4.0", "--json"],
    ));
    let kinds: Vec<&str> = matrix
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["reproduces", "fixed"]);
    let text = ok(&capsule(
        &repo,
        &["replay", f, "--matrix", "libfoo=1.3.0,1.4.0"],
    ));
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].starts_with("libfoo=1.3.0") && lines[0].contains("reproduces"),
        "{text}"
    );
    assert!(
        lines[1].starts_with("libfoo=1.4.0") && lines[1].contains("fixed"),
        "{text}"
    );
    let out = capsule(&repo, &["replay", f, "--with", "nothere=1"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("nothere is declared nowhere"),
        "{out:?}"
    );
}

/// One labelled example of every kind in the scanner's corpus, written into a file by the agent
/// (so it is in the working tree the capsule carries) and printed by its commands (so it is in
/// the trajectory and the context pack): none reaches any object of the bundle.
#[test]
fn no_planted_secret_of_any_kind_reaches_the_bundle() {
    let corpus = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/secrets/corpus.jsonl"),
    )
    .unwrap();
    let mut seen = std::collections::BTreeSet::new();
    let mut planted: Vec<(String, String)> = Vec::new();
    for line in corpus.lines() {
        let row: Value = serde_json::from_str(line).unwrap();
        let (Some(kind), Some(secret)) = (row["kind"].as_str(), row["secret"].as_str()) else {
            continue;
        };
        if seen.insert(kind.to_string()) {
            planted.push((
                secret.to_string(),
                row["text"].as_str().unwrap().to_string(),
            ));
        }
    }
    assert!(planted.len() >= 30, "{} kinds", planted.len());
    let repo = common::wired(S);
    let root = repo.root.clone();
    let settings: String = planted.iter().map(|(_, text)| text.clone()).collect();
    write(&repo, S, &root, "w1", "settings.txt", &settings);
    for (n, (_, text)) in planted.iter().enumerate() {
        bash(&repo, S, &root, &format!("k{n}"), "true", text);
    }
    repo.hook(
        "SessionEnd",
        &payload(S, &root, "SessionEnd", json!({"reason": "other"})),
    );
    let (first, last) = (
        common::step_of(&repo, S, "tool:k0"),
        common::step_of(&repo, S, &format!("tool:k{}", planted.len() - 1)),
    );
    let file = repo.root.join("secrets.capsule");
    let sealed = json_of(&capsule(
        &repo,
        &[
            "seal",
            &format!("{}:{first}-{last}", &S[..8]),
            "--test",
            "true",
            "-o",
            file.to_str().unwrap(),
            "--yes",
            "--json",
        ],
    ));
    let redacted: u64 = sealed["manifest"]["privacy"]["redactions"]
        .as_object()
        .unwrap()
        .values()
        .map(|n| n.as_u64().unwrap())
        .sum();
    assert!(
        redacted >= planted.len() as u64,
        "{redacted} redactions for {} kinds",
        planted.len()
    );
    let objects = bundle_objects(&repo, &file);
    assert!(objects.contains("settings.txt"), "the file is in the tree");
    let leaked: Vec<&str> = planted
        .iter()
        .filter(|(secret, _)| objects.contains(secret.as_str()))
        .map(|(secret, _)| secret.as_str())
        .collect();
    assert!(
        leaked.is_empty(),
        "{} of {} leaked: {leaked:?}",
        leaked.len(),
        planted.len()
    );
}
