//! Test support: real repositories in temp dirs, driven by the real `git` and the built binaries,
//! with the environment pinned (jj's and git-branchless's hygiene) so runs are repeatable.
#![allow(dead_code)]

pub mod browser;
pub mod lab;

use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub struct TestRepo {
    _dir: tempfile::TempDir,
    pub root: PathBuf,
    pub home: PathBuf,
}

/// The directory holding the built `git-trace` and `git-trail`.
pub fn bin_dir() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_git-trace"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Applies the pinned environment to a command.
pub fn pin_env(cmd: &mut Command, home: &Path) {
    let path = format!(
        "{}:{}",
        bin_dir().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    cmd.env_clear()
        .env("PATH", path)
        .env("HOME", home)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", home.join(".gitconfig"))
        .env("GIT_AUTHOR_NAME", "Test Author")
        .env("GIT_AUTHOR_EMAIL", "author@example.com")
        .env("GIT_COMMITTER_NAME", "Test Committer")
        .env("GIT_COMMITTER_EMAIL", "committer@example.com")
        .env("GIT_AUTHOR_DATE", "2026-01-01T00:00:00Z")
        .env("GIT_COMMITTER_DATE", "2026-01-01T00:00:00Z")
        .env("GIT_EDITOR", ":")
        .env("LC_ALL", "C")
        .env("TZ", "UTC");
}

impl TestRepo {
    /// An empty repository on branch `main` (unborn HEAD).
    pub fn empty() -> TestRepo {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("repo");
        let home = dir.path().join("home");
        std::fs::create_dir_all(&root).unwrap();
        std::fs::create_dir_all(&home).unwrap();
        let repo = TestRepo {
            _dir: dir,
            root,
            home,
        };
        repo.git(&["init", "-q", "-b", "main"]);
        repo
    }

    /// A repository with one commit holding `files`.
    pub fn with_files(files: &[(&str, &str)]) -> TestRepo {
        let repo = TestRepo::empty();
        for (path, content) in files {
            repo.write(path, content);
        }
        repo.git(&["add", "-A"]);
        repo.git(&["commit", "-q", "-m", "initial"]);
        repo
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    pub fn write(&self, rel: &str, content: &str) {
        let p = self.path(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap()
    }

    pub fn cmd(&self, program: &str) -> Command {
        let mut cmd = Command::new(program);
        pin_env(&mut cmd, &self.home);
        cmd.current_dir(&self.root);
        cmd
    }

    /// Runs git and returns its stdout; panics (with stderr) when it fails.
    pub fn git(&self, args: &[&str]) -> String {
        let out = self.cmd("git").args(args).output().unwrap();
        assert!(
            out.status.success(),
            "git {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Runs `git <args>` and returns the whole output, success or not.
    pub fn git_output(&self, args: &[&str]) -> Output {
        self.cmd("git").args(args).output().unwrap()
    }

    /// `git trace <args>` through git's own dispatch; panics when it fails.
    pub fn trace(&self, args: &[&str]) -> String {
        let mut all = vec!["trace"];
        all.extend_from_slice(args);
        self.git(&all)
    }

    pub fn trail(&self, args: &[&str]) -> String {
        let mut all = vec!["trail"];
        all.extend_from_slice(args);
        self.git(&all)
    }

    /// `git trace show <id> --json`.
    pub fn show_json(&self, address: &str) -> Value {
        serde_json::from_str(&self.trace(&["show", address, "--json"])).unwrap()
    }

    /// Feeds one hook payload to `git-trace hook claude <event>` from `cwd`; asserts it exits 0
    /// and prints nothing.
    pub fn hook_in(&self, cwd: &Path, event: &str, payload: &Value) {
        let out = self.hook_raw(cwd, event, payload.to_string().as_bytes());
        assert!(out.status.success(), "hook {event} exited {:?}", out.status);
        assert!(
            out.stdout.is_empty(),
            "hook {event} printed {:?}",
            String::from_utf8_lossy(&out.stdout)
        );
    }

    pub fn hook(&self, event: &str, payload: &Value) {
        self.hook_in(&self.root.clone(), event, payload);
    }

    pub fn hook_raw(&self, cwd: &Path, event: &str, stdin: &[u8]) -> Output {
        let mut cmd = self.cmd("git-trace");
        cmd.args(["hook", "claude", event]).current_dir(cwd);
        with_stdin(cmd, stdin)
    }

    /// The tree `git add -A` would make of the working tree now (built in a scratch index).
    pub fn worktree_tree(&self) -> String {
        let scratch = tempfile::NamedTempFile::new().unwrap();
        std::fs::remove_file(scratch.path()).unwrap();
        let git = |args: &[&str]| {
            let out = self
                .cmd("git")
                .env("GIT_INDEX_FILE", scratch.path())
                .args(args)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "git {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            String::from_utf8(out.stdout).unwrap()
        };
        git(&["add", "-A"]);
        git(&["write-tree"])
    }

    pub fn traces_dir(&self) -> PathBuf {
        self.root.join(".git/traces")
    }

    pub fn errors_log(&self) -> String {
        std::fs::read_to_string(self.traces_dir().join("errors.log")).unwrap_or_default()
    }

    /// The user's view: HEAD, index tree, stash and status, to compare before and after capture.
    pub fn user_state(&self) -> (String, String, String, String) {
        let head = self.git_output(&["rev-parse", "-q", "--verify", "HEAD"]);
        (
            String::from_utf8_lossy(&head.stdout).into_owned(),
            self.git(&["write-tree"]),
            String::from_utf8_lossy(&self.git_output(&["stash", "list"]).stdout).into_owned(),
            self.git(&["status", "--porcelain", "--untracked-files=all"]),
        )
    }
}

/// Runs a command with `stdin` as its standard input and collects its output.
pub fn with_stdin(mut cmd: Command, stdin: &[u8]) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

/// A minimal Claude Code payload for `session` in `cwd`.
pub fn payload(session: &str, cwd: &Path, event: &str, extra: Value) -> Value {
    let mut v = serde_json::json!({
        "session_id": session,
        "transcript_path": cwd.join(".no-transcript.jsonl"),
        "cwd": cwd,
        "hook_event_name": event,
    });
    if let Value::Object(extra) = extra {
        for (k, val) in extra {
            v[k] = val;
        }
    }
    v
}

/// A SessionStart event, as Claude Code sends it.
pub fn start(repo: &TestRepo, session: &str, cwd: &Path) {
    repo.hook_in(
        cwd,
        "SessionStart",
        &payload(
            session,
            cwd,
            "SessionStart",
            serde_json::json!({"source": "startup"}),
        ),
    );
}

/// A UserPromptSubmit event with `text`, as Claude Code sends it.
pub fn prompt(repo: &TestRepo, session: &str, text: &str) {
    repo.hook(
        "UserPromptSubmit",
        &payload(
            session,
            &repo.root,
            "UserPromptSubmit",
            serde_json::json!({"prompt": text}),
        ),
    );
}

/// A SessionEnd event: the session is imported and sealed.
pub fn end(repo: &TestRepo, session: &str) {
    repo.hook(
        "SessionEnd",
        &payload(session, &repo.root, "SessionEnd", serde_json::json!({})),
    );
}

/// A Bash tool call: its hook events around running `command` for real.
pub fn bash(repo: &TestRepo, session: &str, cwd: &Path, id: &str, command: &str, stdout: &str) {
    let input = serde_json::json!({"tool_name": "Bash", "tool_input": {"command": command}, "tool_use_id": id});
    repo.hook_in(
        cwd,
        "PreToolUse",
        &payload(session, cwd, "PreToolUse", input.clone()),
    );
    let out = repo
        .cmd("sh")
        .arg("-c")
        .arg(command)
        .current_dir(cwd)
        .output()
        .unwrap();
    assert!(out.status.success(), "{command}");
    let mut post = input;
    post["tool_response"] = serde_json::json!({"stdout": stdout, "stderr": ""});
    repo.hook_in(
        cwd,
        "PostToolUse",
        &payload(session, cwd, "PostToolUse", post),
    );
}

/// A Write tool call: its hook events around writing `content` to `rel`.
pub fn write(repo: &TestRepo, session: &str, cwd: &Path, id: &str, rel: &str, content: &str) {
    let file = cwd.join(rel);
    let input = serde_json::json!({"tool_name": "Write", "tool_input": {"file_path": file, "content": content}, "tool_use_id": id});
    repo.hook_in(
        cwd,
        "PreToolUse",
        &payload(session, cwd, "PreToolUse", input.clone()),
    );
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, content).unwrap();
    let mut post = input;
    post["tool_response"] = serde_json::json!({"type": "create", "filePath": file});
    repo.hook_in(
        cwd,
        "PostToolUse",
        &payload(session, cwd, "PostToolUse", post),
    );
}

/// An Edit tool call: the hook events around replacing `old` by `new` in `rel`.
pub fn edit(repo: &TestRepo, session: &str, cwd: &Path, id: &str, rel: &str, old: &str, new: &str) {
    let file = cwd.join(rel);
    let input = serde_json::json!({"tool_name": "Edit", "tool_input": {"file_path": file, "old_string": old, "new_string": new}, "tool_use_id": id});
    repo.hook_in(
        cwd,
        "PreToolUse",
        &payload(session, cwd, "PreToolUse", input.clone()),
    );
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains(old), "{old:?} not in {rel}");
    std::fs::write(&file, text.replacen(old, new, 1)).unwrap();
    let mut post = input;
    post["tool_response"] = serde_json::json!({"filePath": file});
    repo.hook_in(
        cwd,
        "PostToolUse",
        &payload(session, cwd, "PostToolUse", post),
    );
}

/// A repository with one commit, git-traces wired by `git trace init`, and `session` started.
pub fn wired(session: &str) -> TestRepo {
    let repo = TestRepo::with_files(&[("README.md", "one\n")]);
    std::fs::write(repo.path(".git/info/exclude"), ".claude/\n").unwrap();
    repo.trace(&["init"]);
    start(&repo, session, &repo.root);
    repo
}

/// The anchors on `rev`'s note on refs/notes/traces, parsed.
pub fn note_anchors(repo: &TestRepo, rev: &str) -> Vec<Value> {
    let out = repo.git_output(&["notes", "--ref", "traces", "show", rev]);
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The current number of the step of `session` holding `key`.
pub fn step_of(repo: &TestRepo, session: &str, key: &str) -> u64 {
    repo.show_json(session)["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| {
            s["keys"]
                .as_array()
                .is_some_and(|k| k.iter().any(|k| k == key))
        })
        .unwrap_or_else(|| panic!("no step of {session} holds {key}"))["index"]
        .as_u64()
        .unwrap()
}

/// (file, key, lines) of each anchor on `rev`, for compact assertions.
pub fn anchor_summary(repo: &TestRepo, rev: &str) -> Vec<(String, String, Value)> {
    note_anchors(repo, rev)
        .iter()
        .map(|a| {
            (
                a["file"].as_str().unwrap().to_string(),
                a["key"].as_str().unwrap().to_string(),
                a["lines"].clone(),
            )
        })
        .collect()
}

/// `git rebase -i <args>` with the todo list edited by `script` (GIT_SEQUENCE_EDITOR).
pub fn rebase_todo(repo: &TestRepo, script: &str, args: &[&str]) {
    let out = repo
        .cmd("git")
        .env("GIT_SEQUENCE_EDITOR", script)
        .args(["rebase", "-q", "-i"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "rebase: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A recorded sample: `tests/fixtures/<harness>/<name>` (copies of what the real harnesses wrote in
/// the lab), else `../shared/formats/samples/<harness>/<name>`.
pub fn fixture(harness: &str, name: &str) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let copied = root.join("tests/fixtures").join(harness).join(name);
    let path = if copied.exists() {
        copied
    } else {
        root.join("../shared/formats/samples")
            .join(harness)
            .join(name)
    };
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A lab recording's paths (`/tmp/harness-lab-<harness>/{repo,home}`) moved into this test's
/// repository and home.
pub fn relocate(text: &str, harness: &str, repo: &TestRepo) -> String {
    text.replace(
        &format!("/tmp/harness-lab-{harness}/repo"),
        repo.root.to_str().unwrap(),
    )
    .replace(
        &format!("/tmp/harness-lab-{harness}/home"),
        repo.home.to_str().unwrap(),
    )
}

/// A repository holding the lab's fix-add-bug scenario files (the same for every harness),
/// committed.
pub fn scenario_repo() -> TestRepo {
    let files: std::collections::BTreeMap<String, String> =
        serde_json::from_str(&fixture("claude", "repo-files.json")).unwrap();
    let files: Vec<(&str, &str)> = files
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    TestRepo::with_files(&files)
}
