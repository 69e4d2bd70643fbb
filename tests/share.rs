//! Sharing with two clones and a bare remote made in temp dirs: what leaves is the reviewed,
//! twice-redacted copy and the notes, never a private ref, a planted secret or an unshared
//! session; notes of two clones are merged, also when their pushes race; forget and rescan remove
//! what they say.

mod common;

use common::{bash, payload, start, wired, with_stdin, TestRepo};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

/// Fake secrets of the kinds the capture gate knows, and personal data only the egress gate
/// removes.
struct Planted {
    capture: Vec<String>,
    egress: Vec<String>,
}

fn github_token() -> String {
    // 30 random-looking characters and the base62 CRC32 tail GitHub appends.
    let body = "R8z2Qv0PXkW3nT7yLm5sJd9HbF1cAe";
    let alphabet = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut crc = crc32fast::hash(body.as_bytes());
    let mut tail = [b'0'; 6];
    for slot in tail.iter_mut().rev() {
        *slot = alphabet[(crc % 62) as usize];
        crc /= 62;
    }
    format!("ghp_{body}{}", String::from_utf8_lossy(&tail))
}

fn planted() -> Planted {
    Planted {
        capture: vec![
            github_token(),
            "AKIAZ7Q3K5LM2N8P4R6T".into(),
            "xoxb-2214587123-5531098712345-Zq8Wv3Lr7Tk2Yp9Bn4Hc6Mjd".into(),
            "sk_live_51HqLyjWq8ZkP4vN2bT9xR3mC7dF6gH0jK".into(),
            "postgres://deploy:Vq7kPz2mW9xLr4T@db.example.org:5432/app".into(),
        ],
        egress: vec![
            "dana.whitfield@acmecorp.io".into(),
            "/home/dwhitfield/".into(),
            "10.24.113.7".into(),
        ],
    }
}

/// Every object of a repository, and its journals, as bytes.
fn everything(dir: &Path) -> Vec<u8> {
    let out = std::process::Command::new("git")
        .args(["cat-file", "--batch-all-objects", "--batch"])
        .current_dir(dir)
        .output()
        .unwrap();
    let mut bytes = out.stdout;
    for journal in std::fs::read_dir(dir.join(".git/traces/journal"))
        .into_iter()
        .flatten()
        .flatten()
    {
        bytes.extend(std::fs::read(journal.path()).unwrap());
    }
    bytes
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

fn bare_remote(repo: &TestRepo) -> PathBuf {
    let remote = repo.home.join("remote.git");
    let out = std::process::Command::new("git")
        .args(["init", "-q", "--bare"])
        .arg(&remote)
        .output()
        .unwrap();
    assert!(out.status.success());
    repo.git(&["remote", "add", "origin", remote.to_str().unwrap()]);
    repo.git(&["push", "-q", "origin", "HEAD:refs/heads/main"]);
    remote
}

fn refs(dir: &Path, prefix: &str) -> Vec<String> {
    let out = std::process::Command::new("git")
        .args(["for-each-ref", "--format=%(refname)", prefix])
        .current_dir(dir)
        .output()
        .unwrap();
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

/// A session whose shell command prints every planted secret, then writes a file that gets
/// committed (so the commit has an anchor note).
fn session_with_secrets(repo: &TestRepo, session: &str, p: &Planted) {
    let printed: Vec<String> = p.capture.iter().chain(&p.egress).cloned().collect();
    let text = printed.join("\n") + "\nproject zephyr-internal";
    bash(
        repo,
        session,
        &repo.root,
        &format!("{session}-b"),
        "true",
        &text,
    );
    common::write(
        repo,
        session,
        &repo.root,
        &format!("{session}-w"),
        "deploy.md",
        "# deploy\nrun it\n",
    );
    repo.hook(
        "SessionEnd",
        &payload(
            session,
            &repo.root,
            "SessionEnd",
            json!({"reason": "other"}),
        ),
    );
    repo.git(&["add", "deploy.md"]);
    repo.git(&["commit", "-qm", "deploy notes"]);
}

#[test]
fn only_the_reviewed_copy_and_notes_leave_and_another_clone_reads_them() {
    let p = planted();
    let repo = wired("s-shared");
    session_with_secrets(&repo, "s-shared", &p);
    // A second session, never shared.
    start(&repo, "s-private", &repo.root);
    repo.hook(
        "UserPromptSubmit",
        &payload(
            "s-private",
            &repo.root,
            "UserPromptSubmit",
            json!({"prompt": "the unshared plan: codename bluefinch"}),
        ),
    );
    repo.hook(
        "SessionEnd",
        &payload(
            "s-private",
            &repo.root,
            "SessionEnd",
            json!({"reason": "other"}),
        ),
    );
    let remote = bare_remote(&repo);

    // The capture gate already kept the capture-tier secrets out of every local object.
    let local = everything(&repo.root);
    for secret in &p.capture {
        assert!(!contains(&local, secret), "captured: {secret}");
    }

    // Review without --yes writes nothing and says how to go on.
    let out = repo
        .cmd("git")
        .args(["trace", "share", "s-shared"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let review = String::from_utf8_lossy(&out.stdout);
    assert!(
        review.contains("email_address") && review.contains("--yes"),
        "{review}"
    );
    assert!(refs(&repo.root, "refs/traces/shared/").is_empty());

    repo.trace(&["share", "s-shared", "--yes", "--redact", "zephyr-internal"]);
    assert_eq!(
        refs(&repo.root, "refs/traces/shared/"),
        ["refs/traces/shared/s-shared"]
    );
    let pushed = repo.trace(&["push", "origin"]);
    assert!(pushed.contains("refs/traces/shared/s-shared"), "{pushed}");

    assert_eq!(
        refs(&remote, "refs/traces/shared/"),
        ["refs/traces/shared/s-shared"]
    );
    assert_eq!(refs(&remote, "refs/notes/"), ["refs/notes/traces"]);
    assert!(refs(&remote, "refs/traces/sessions/").is_empty());
    assert!(refs(&remote, "refs/traces/trails/").is_empty());
    let there = everything(&remote);
    for secret in p.capture.iter().chain(&p.egress) {
        assert!(!contains(&there, secret), "on the remote: {secret}");
    }
    assert!(
        !contains(&there, "bluefinch"),
        "the unshared session reached the remote"
    );
    assert!(
        contains(&local, "zephyr-internal"),
        "private copies keep it"
    );
    assert!(
        !contains(&there, "zephyr-internal"),
        "the user's own redaction"
    );

    // Another clone fetches it and reads it like its own.
    let other = TestRepo::empty();
    other.git(&["remote", "add", "origin", remote.to_str().unwrap()]);
    other.git(&["fetch", "-q", "origin", "main"]);
    let fetched = other.trace(&["fetch", "origin"]);
    assert!(fetched.contains("refs/traces/shared/s-shared"), "{fetched}");
    let list: Vec<Value> = serde_json::from_str(&other.trace(&["list", "--json"])).unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["id"], "s-shared");
    let manifest: Value =
        serde_json::from_str(&other.git(&["show", "refs/traces/shared/s-shared:manifest.json"]))
            .unwrap();
    assert!(manifest["security"]["egress"]["scanner"]
        .as_str()
        .unwrap()
        .starts_with("egress"));
    assert!(manifest["security"]["egress"]["redactions"]["email_address"].as_u64() >= Some(1));
    assert!(manifest["shared"]["from_seal"].is_string());
}

#[test]
fn notes_of_two_clones_survive_racing_pushes() {
    let a = TestRepo::with_files(&[("a.txt", "a\n")]);
    let remote = bare_remote(&a);
    let b = TestRepo::empty();
    b.git(&["remote", "add", "origin", remote.to_str().unwrap()]);
    b.git(&["fetch", "-q", "origin", "main"]);
    b.git(&["checkout", "-q", "-b", "main", "origin/main"]);
    let head = a.git(&["rev-parse", "HEAD"]).trim().to_string();
    // Each clone anchors its own session's lines on the same commit.
    for (repo, line) in [
        (&a, r#"{"session":"sa","step":1}"#),
        (&b, r#"{"session":"sb","step":2}"#),
    ] {
        repo.git(&["notes", "--ref=traces", "add", "-m", line, &head]);
    }
    std::thread::scope(|s| {
        for repo in [&a, &b] {
            s.spawn(move || repo.trace(&["push", "origin"]));
        }
    });
    for repo in [&a, &b] {
        repo.trace(&["fetch", "origin"]);
        let note = repo.git(&["notes", "--ref=traces", "show", &head]);
        assert_eq!(
            note.lines().collect::<Vec<_>>(),
            [
                r#"{"session":"sa","step":1}"#,
                r#"{"session":"sb","step":2}"#
            ],
            "both clones' anchors, once each"
        );
    }
    let remote_note = std::process::Command::new("git")
        .args(["notes", "--ref=traces", "show", &head])
        .current_dir(&remote)
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&remote_note.stdout).lines().count(),
        2
    );
}

#[test]
fn a_remote_that_refuses_custom_refs_gets_a_clear_message_and_a_rerun_completes() {
    let repo = wired("s-refused");
    session_with_secrets(&repo, "s-refused", &planted());
    let remote = bare_remote(&repo);
    repo.trace(&["share", "s-refused", "--yes"]);
    // The host refuses refs/traces/* the first time (as a host that allows branches only would),
    // then lets them through: an interrupted push run again completes.
    let hook = remote.join("hooks/pre-receive");
    std::fs::write(
        &hook,
        "#!/bin/sh\nif [ ! -f \"$GIT_DIR/let-in\" ]; then touch \"$GIT_DIR/let-in\"; echo 'only branches and tags' >&2; exit 1; fi\n",
    )
    .unwrap();
    std::process::Command::new("chmod")
        .arg("+x")
        .arg(&hook)
        .status()
        .unwrap();
    let out = repo
        .cmd("git")
        .args(["trace", "push", "origin"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("refused") && err.contains("hint:"), "{err}");
    repo.trace(&["push", "origin"]);
    assert_eq!(
        refs(&remote, "refs/traces/shared/"),
        ["refs/traces/shared/s-refused"]
    );

    let out = repo
        .cmd("git")
        .args(["trace", "push", "nowhere"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("'nowhere' is not a remote"), "{err}");
}

#[test]
fn init_remote_makes_plain_push_carry_shared_sessions_but_not_private_ones() {
    let repo = wired("s-plain");
    session_with_secrets(&repo, "s-plain", &planted());
    let remote = bare_remote(&repo);
    repo.trace(&["init", "--remote", "origin"]);
    let specs = repo.git(&["config", "--get-all", "remote.origin.push"]);
    assert_eq!(
        specs.lines().collect::<Vec<_>>(),
        [
            "HEAD",
            "refs/traces/shared/*:refs/traces/shared/*",
            "refs/notes/traces:refs/notes/traces"
        ]
    );
    repo.trace(&["share", "s-plain", "--yes"]);
    repo.git(&["push", "-q", "origin"]);
    assert_eq!(
        refs(&remote, "refs/traces/shared/"),
        ["refs/traces/shared/s-plain"]
    );
    assert!(refs(&remote, "refs/traces/sessions/").is_empty());
    // Idempotent, and uninstall takes back exactly what it added.
    repo.trace(&["init", "--remote", "origin"]);
    assert_eq!(
        repo.git(&["config", "--get-all", "remote.origin.push"]),
        specs
    );
    repo.trace(&["uninstall", "--remote", "origin"]);
    let left = repo.git_output(&["config", "--get-all", "remote.origin.push"]);
    assert!(
        left.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&left.stdout)
    );
    // A mirror push would send everything: doctor says so.
    repo.git(&["config", "remote.origin.mirror", "true"]);
    let doctor = repo.cmd("git").args(["trace", "doctor"]).output().unwrap();
    let text = String::from_utf8_lossy(&doctor.stdout);
    assert!(text.contains("would send private refs"), "{text}");
}

#[test]
fn forget_removes_a_session_here_and_on_the_remote_and_says_what_gc_drops() {
    let repo = wired("s-forget");
    session_with_secrets(&repo, "s-forget", &planted());
    let remote = bare_remote(&repo);
    repo.trace(&["share", "s-forget", "--yes"]);
    repo.trace(&["push", "origin"]);
    let out = repo.trace(&["forget", "s-forget", "--remote", "origin"]);
    assert!(
        out.contains("deleted refs/traces/sessions/s-forget"),
        "{out}"
    );
    assert!(out.contains("git gc --prune=now"), "{out}");
    assert!(refs(&repo.root, "refs/traces/").is_empty());
    assert!(!repo.traces_dir().join("journal/s-forget.jsonl").exists());
    assert!(refs(&remote, "refs/traces/").is_empty());
    let again = repo
        .cmd("git")
        .args(["trace", "forget", "s-forget"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&again.stderr).contains("no session s-forget"));
}

#[test]
fn rescan_rewrites_what_older_rules_let_through() {
    let repo = wired("s-old");
    let secret = github_token();
    // A journal line written by an older capture gate that did not know this token.
    let mut line = serde_json::json!({"v": 1, "at": "2026-11-25T10:00:00Z", "source": "hook",
        "event": "PostToolUse", "kind": "exec", "tool": "Bash", "keys": ["tool:old1"],
        "summary": "env", "output": {"text": format!("TOKEN={secret}\n"), "bytes": 47}});
    line["provisional_step"] = json!(1);
    let journal = repo.traces_dir().join("journal/s-old.jsonl");
    let mut text = std::fs::read_to_string(&journal).unwrap();
    text.push_str(&format!("{line}\n"));
    std::fs::write(&journal, text).unwrap();
    let dirty = repo.traces_dir().join("dirty");
    std::fs::create_dir_all(&dirty).unwrap();
    std::fs::write(dirty.join("s-old"), "").unwrap();
    repo.trace(&["list"]);
    assert!(
        contains(&everything(&repo.root), &secret),
        "planted as an older gate would"
    );

    let out = repo.trace(&["rescan"]);
    assert!(out.contains("rewrote s-old"), "{out}");
    let manifest: Value =
        serde_json::from_str(&repo.git(&["show", "refs/traces/sessions/s-old:manifest.json"]))
            .unwrap();
    assert_eq!(manifest["rescans"][0]["redactions"]["github_token"], 1);
    repo.git(&["reflog", "expire", "--expire-unreachable=now", "--all"]);
    repo.git(&["gc", "-q", "--prune=now"]);
    assert!(!contains(&everything(&repo.root), &secret), "gone after gc");
    // A later seal keeps the history of the rewrite.
    repo.hook(
        "SessionEnd",
        &payload(
            "s-old",
            &repo.root,
            "SessionEnd",
            json!({"reason": "other"}),
        ),
    );
    let manifest: Value =
        serde_json::from_str(&repo.git(&["show", "refs/traces/sessions/s-old:manifest.json"]))
            .unwrap();
    assert_eq!(manifest["rescans"].as_array().unwrap().len(), 1);
    assert_eq!(
        repo.trace(&["rescan"])
            .lines()
            .last()
            .unwrap()
            .split(", ")
            .last(),
        Some("0 rewritten")
    );
}

#[test]
fn share_withholds_steps_binary_and_oversized_blobs() {
    let repo = wired("s-big");
    repo.git(&["config", "traces.shareMaxBlobSize", "20000"]);
    let big = "x".repeat(30_000);
    bash(&repo, "s-big", &repo.root, "b1", "true", &big);
    bash(
        &repo,
        "s-big",
        &repo.root,
        "b2",
        "true",
        "secret plans for step two",
    );
    bash(
        &repo,
        "s-big",
        &repo.root,
        "b3",
        "true",
        "PNG\u{0}\u{1}binary",
    );
    repo.hook(
        "SessionEnd",
        &payload(
            "s-big",
            &repo.root,
            "SessionEnd",
            json!({"reason": "other"}),
        ),
    );
    let trace = repo.show_json("s-big");
    let step_two = trace["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| {
            s["keys"]
                .as_array()
                .is_some_and(|k| k.contains(&json!("tool:b2")))
        })
        .unwrap()["index"]
        .as_u64()
        .unwrap();
    let review: Value = serde_json::from_str(&repo.trace(&[
        "share",
        "s-big",
        "--yes",
        "--json",
        "--drop",
        &step_two.to_string(),
    ]))
    .unwrap();
    let mut reasons: Vec<&str> = review["withheld_members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["reason"].as_str().unwrap())
        .collect();
    reasons.sort();
    assert_eq!(
        reasons,
        ["binary: cannot be scanned", "over traces.shareMaxBlobSize"],
        "{review:#}"
    );
    let copy = repo.git(&["show", "refs/traces/shared/s-big:trace.json"]);
    assert!(
        !copy.contains("secret plans"),
        "the withheld step's output left"
    );
    assert!(copy.contains("[withheld when shared]"));
    let members = repo.git(&["ls-tree", "-r", "--name-only", "refs/traces/shared/s-big"]);
    assert!(!members.contains("blobs/"), "{members}");
    // Sharing the same thing again changes nothing.
    let again = repo.trace(&["share", "s-big", "--yes", "--drop", &step_two.to_string()]);
    assert!(again.contains("already shared"), "{again}");
    // The scanner as a filter, on invalid UTF-8 too.
    let mut cmd = repo.cmd("git");
    cmd.args(["trace", "redact", "--tier", "capture"]);
    let mut input = b"key \xff\xfe ".to_vec();
    input.extend(github_token().as_bytes());
    let out = with_stdin(cmd, &input);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("[REDACTED:github_token:"), "{text}");
}

/// The review on a terminal: redact more, withhold a step, then share (driven through `script`,
/// which gives the command a pseudo-terminal).
#[test]
fn interactive_review_redacts_more_and_withholds_a_step() {
    if std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("SKIPPED: util-linux `script` is not installed");
        return;
    }
    let repo = wired("s-tty");
    session_with_secrets(&repo, "s-tty", &planted());
    let mut cmd = repo.cmd("script");
    cmd.args(["-q", "-e", "-c", "git trace share s-tty", "/dev/null"]);
    let out = with_stdin(cmd, b"r\nzephyr-internal\nd\n1\ny\n");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("withheld: step 1") && text.contains("shared s-tty"),
        "{text}"
    );
    let manifest: Value =
        serde_json::from_str(&repo.git(&["show", "refs/traces/shared/s-tty:manifest.json"]))
            .unwrap();
    assert_eq!(manifest["shared"]["withheld_steps"], json!([1]));
    assert_eq!(manifest["shared"]["user_literals"], 1);
}

/// One labelled example of every kind in the scanner's corpus, printed by a session's commands
/// (each in its own context line, as the corpus has it): after share and push, none is in any
/// object of the remote, and the capture-tier ones are in no local object either.
#[test]
fn no_kind_of_planted_secret_reaches_the_remote() {
    let corpus = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/secrets/corpus.jsonl"),
    )
    .unwrap();
    let mut seen = std::collections::BTreeSet::new();
    let mut planted: Vec<(String, String, String)> = Vec::new();
    for line in corpus.lines() {
        let row: Value = serde_json::from_str(line).unwrap();
        let Some(kind) = row["kind"].as_str() else {
            continue;
        };
        if seen.insert(format!("{kind}/{}", row["tier"])) {
            planted.push((
                kind.to_string(),
                row["tier"].as_str().unwrap().to_string(),
                row["text"].as_str().unwrap().to_string(),
            ));
        }
    }
    assert!(planted.len() >= 30, "{} kinds", planted.len());
    let repo = wired("s-every");
    for (n, (_, _, text)) in planted.iter().enumerate() {
        bash(&repo, "s-every", &repo.root, &format!("k{n}"), "true", text);
    }
    repo.hook(
        "SessionEnd",
        &payload(
            "s-every",
            &repo.root,
            "SessionEnd",
            json!({"reason": "other"}),
        ),
    );
    let remote = bare_remote(&repo);
    repo.trace(&["share", "s-every", "--yes"]);
    repo.trace(&["push", "origin"]);
    let local = everything(&repo.root);
    let there = everything(&remote);
    let secret_of = |text: &str| -> String {
        let rows: Vec<Value> = corpus
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        rows.iter().find(|r| r["text"] == text).unwrap()["secret"]
            .as_str()
            .unwrap()
            .to_string()
    };
    for (kind, tier, text) in &planted {
        let secret = secret_of(text);
        assert!(
            !contains(&there, &secret),
            "{kind} ({tier}) reached the remote: {secret}"
        );
        if tier == "capture" {
            assert!(!contains(&local, &secret), "{kind} captured: {secret}");
        }
    }
}
