//! `git capsule replay`: the verifier run again in a fresh checkout, compared with the failure it
//! recorded.
//!
//! The checkout is a temporary directory outside any repository (nothing of the user's is
//! touched), the command runs under `sh -c` with a minimal environment (`PATH`, a scratch
//! `HOME` and `TMPDIR`, `LANG=C.UTF-8`) in its own process group, and a run past the timeout is
//! killed, group and all, and counts as inconclusive.

use super::pins::{self, Applied, Pin};
use super::seal::Verifier;
use super::verdict::{self, Framework, Outcome, Verdict};
use super::{Capsule, Error, Result};
use git2::{Oid, Repository};
use serde::Serialize;
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Output kept per run: the end of it, where test runners put their summaries.
const KEEP_OUTPUT: usize = 1 << 20;

/// A finished command.
pub struct Ran {
    pub exit: Option<i32>,
    pub timed_out: bool,
    /// stdout and stderr interleaved as written, the last [`KEEP_OUTPUT`] bytes.
    pub output: String,
}

/// The environment a command runs in.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Env {
    /// `PATH`, a scratch `HOME` and `TMPDIR`, `LANG=C.UTF-8`: what a verifier gets, so the
    /// user's settings do not decide a verdict.
    Minimal,
    /// The caller's own: a harness needs its credentials and settings.
    Inherit,
}

/// Runs `command` under `sh -c` in `dir`, in its own process group, killed (group and all)
/// after `timeout`.
pub fn run_command(dir: &Path, command: &str, timeout: Duration, env: Env) -> Result<Ran> {
    let scratch = tempfile::Builder::new()
        .prefix("git-capsule-home-")
        .tempdir()?;
    let (mut reader, writer) = std::io::pipe()?;
    let mut cmd = Command::new("sh");
    cmd.arg("-c").arg(command).current_dir(dir);
    if env == Env::Minimal {
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", scratch.path())
            .env("TMPDIR", scratch.path())
            .env("LANG", "C.UTF-8")
            .env("TERM", "dumb")
            .env("NO_COLOR", "1")
            .env("CI", "true");
    }
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(writer.try_clone()?)
        .stderr(writer)
        .process_group(0)
        .spawn()?;
    drop(cmd);
    let pgid = child.id();
    let collector = std::thread::spawn(move || {
        let mut kept: Vec<u8> = Vec::new();
        let mut buf = [0u8; 64 * 1024];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 {
                break;
            }
            kept.extend_from_slice(&buf[..n]);
            if kept.len() > 2 * KEEP_OUTPUT {
                kept.drain(..kept.len() - KEEP_OUTPUT);
            }
        }
        if kept.len() > KEEP_OUTPUT {
            kept.drain(..kept.len() - KEEP_OUTPUT);
        }
        String::from_utf8_lossy(&kept).into_owned()
    });
    let status = wait_or_kill(&mut child, timeout)?;
    // Anything the group left running past the timeout keeps the pipe open: kill it too.
    kill_group(pgid);
    let output = collector.join().unwrap_or_default();
    Ok(Ran {
        exit: status.and_then(|s| s.code()),
        timed_out: status.is_none(),
        output,
    })
}

/// Waits for `child`, started in its own process group, for at most `timeout`; past it, kills
/// the group and returns `None`.
pub(crate) fn wait_or_kill(
    child: &mut std::process::Child,
    timeout: Duration,
) -> std::io::Result<Option<std::process::ExitStatus>> {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(Some(status));
        }
        if started.elapsed() >= timeout {
            kill_group(child.id());
            child.wait()?;
            return Ok(None);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// SIGKILL to the whole process group (`--` keeps `-<pgid>` from reading as a signal).
fn kill_group(pgid: u32) {
    let _ = Command::new("kill")
        .args(["-s", "KILL", "--", &format!("-{pgid}")])
        .stderr(Stdio::null())
        .status();
}

/// The command a run checks and how its output is read.
pub struct Check<'a> {
    pub command: &'a str,
    pub framework: Framework,
    pub expect: Option<&'a str>,
}

impl Verifier {
    pub fn check(&self) -> Check<'_> {
        Check {
            command: &self.command,
            framework: self.framework,
            expect: self.expect.as_deref(),
        }
    }
}

/// One verifier run in a fresh checkout.
pub struct Run {
    pub outcome: Outcome,
    pub output: String,
    /// Where `pins` were written before the run.
    pub pinned: Vec<Applied>,
}

/// Checks `tree` out into a fresh temporary directory, writes `pins` into its manifests, and
/// runs the check there.
pub fn run_in_tree(
    repo: &Repository,
    tree: Oid,
    check: &Check,
    pins: &[Pin],
    timeout: Duration,
) -> Result<Run> {
    let dir = tempfile::Builder::new()
        .prefix("git-capsule-run-")
        .tempdir()?;
    checkout(repo, tree, dir.path())?;
    let pinned = pins::apply(dir.path(), pins).map_err(|reason| Error::Invalid {
        what: "--with/--matrix".into(),
        reason,
    })?;
    let (outcome, output) = run_check(dir.path(), check, timeout)?;
    Ok(Run {
        outcome,
        output,
        pinned,
    })
}

/// Runs the check in `dir` with the minimal environment: what it showed, and its output.
pub fn run_check(dir: &Path, check: &Check, timeout: Duration) -> Result<(Outcome, String)> {
    let ran = run_command(dir, check.command, timeout, Env::Minimal)?;
    let outcome = verdict::parse(
        check.framework,
        ran.exit,
        ran.timed_out,
        &ran.output,
        check.expect,
    );
    Ok((outcome, ran.output))
}

/// Writes `tree`'s files into `dir`, touching no index and no repository.
pub fn checkout(repo: &Repository, tree: Oid, dir: &Path) -> Result<()> {
    let tree = repo.find_tree(tree)?;
    let mut opts = git2::build::CheckoutBuilder::new();
    opts.target_dir(dir).force().update_index(false);
    repo.checkout_tree(tree.as_object(), Some(&mut opts))?;
    Ok(())
}

/// What was and was not controlled in a replay, so a verdict is read for what it is worth.
#[derive(Debug, Clone, Serialize)]
pub struct Trust {
    pub environment: &'static str,
    pub dependencies: String,
    pub sandbox: &'static str,
    pub test: &'static str,
}

fn trust(pinned: &[Applied]) -> Trust {
    Trust {
        environment:
            "minimal: PATH, a scratch HOME and TMPDIR, LANG=C.UTF-8; toolchains are this machine's",
        dependencies: if pinned.is_empty() {
            "as the capsule's tree declares them, installed by the verifier if it does".into()
        } else {
            format!(
                "pinned by this replay ({}), resolved by the verifier's own install step",
                pinned
                    .iter()
                    .map(|a| format!("{} in {}", a.pin, a.file))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        },
        sandbox:
            "none: a temporary checkout outside any repository, with this user's rights and network",
        test: "the capsule's own verifier, judged against the failure recorded when it was sealed",
    }
}

/// The result of `git capsule replay`.
#[derive(Debug, Clone, Serialize)]
pub struct Replay {
    pub schema: &'static str,
    pub capsule: String,
    /// The revision replayed instead of the capsule's own tree.
    pub against: Option<String>,
    #[serde(flatten)]
    pub verdict: Verdict,
    pub recorded: Outcome,
    pub now: Outcome,
    /// Where `--with`/`--matrix` pins were written.
    pub pinned: Vec<Applied>,
    pub trust: Trust,
    /// The end of the run's output.
    pub output_tail: String,
}

/// Replays `capsule`'s verifier in its own tree, or in `against` (a revision of `repo`), with
/// `pins` written into the checkout's manifests.
pub fn replay(
    capsule: &Capsule,
    repo: Option<&Repository>,
    against: Option<&str>,
    pins: &[Pin],
    timeout: Option<Duration>,
) -> Result<Replay> {
    let verifier = capsule.verifier()?;
    let timeout = timeout.unwrap_or(Duration::from_secs(verifier.timeout_secs));
    let own = capsule.repo()?;
    let (source, tree) = match against {
        Some(rev) => {
            let repo = repo.ok_or_else(|| Error::Git {
                args: format!("rev-parse {rev}"),
                stderr: "--against needs a repository: run it inside a clone of the project".into(),
            })?;
            (repo, repo.revparse_single(rev)?.peel_to_tree()?.id())
        }
        None => (&own, capsule.repo_tree()?),
    };
    let Run {
        outcome: now,
        output,
        pinned,
    } = run_in_tree(source, tree, &verifier.check(), pins, timeout)?;
    let tail_start = output.char_indices().rev().nth(2000).map_or(0, |(i, _)| i);
    Ok(Replay {
        schema: "git-traces/capsule-replay@1",
        capsule: capsule.manifest.id.clone(),
        against: against.map(str::to_string),
        verdict: verdict::judge(&verifier.recorded, &now),
        recorded: verifier.recorded.clone(),
        now,
        trust: trust(&pinned),
        pinned,
        output_tail: output[tail_start..].to_string(),
    })
}
