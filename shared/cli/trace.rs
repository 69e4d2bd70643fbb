//! `git trace`: capture agent sessions into git and read them back.

use crate::{capture, doctor, read, render, setup};
use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

/// Record coding-agent sessions inside git, and read them back
///
/// Claude Code calls `git trace hook claude <Event>` from its hooks; every step of the session
/// (prompt, thinking, reads, commands, edits, answers) is journaled, every change is snapshotted
/// on refs/traces/trails/<session>, and the session is sealed under refs/traces/sessions/<session>.
/// Nothing leaves the machine: the refs are private until you share them.
///
/// Start with `git trace init` in a repository, work with your agent as usual, then
/// `git trace list` and `git trace show <id>`.
#[derive(Parser, Debug)]
#[command(
    name = "git-trace",
    bin_name = "git trace",
    version,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    Init(InitArgs),
    Uninstall(UninstallArgs),
    Doctor(DoctorArgs),
    List(ListArgs),
    Show(ShowArgs),
    Import(ImportArgs),
    Hook(HookArgs),
}

/// Wire git hooks and an agent's hooks for this repository
///
/// Installs the post-commit and post-rewrite shims (into core.hooksPath when set, chaining any hook
/// already there inside a `# BEGIN git-traces` / `# END git-traces` block) and merges the agent's
/// hook entries into its settings: for Claude Code, .claude/settings.json of this repository, or
/// ~/.claude/settings.json with --global. Running it again changes nothing; `git trace uninstall`
/// removes exactly what it added (with the same flags).
///
/// Example: git trace init --agent claude
#[derive(Args, Debug)]
pub struct InitArgs {
    /// The agent whose hooks to wire.
    #[arg(long, value_enum, default_value_t = Agent::Claude)]
    pub agent: Agent,
    /// Wire the agent for every repository of this user (its user-level settings) instead of this one.
    #[arg(long)]
    pub global: bool,
    /// Print what was done as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Remove exactly what `git trace init` added
///
/// Takes the `# BEGIN git-traces` block out of the post-commit and post-rewrite hooks (deleting a
/// hook file init created when nothing else is left in it) and removes only git-trace's entries
/// from the agent's settings. Captured evidence (refs/traces/*, .git/traces/) is kept.
///
/// Example: git trace uninstall --agent claude
#[derive(Args, Debug)]
pub struct UninstallArgs {
    /// The agent whose hooks to remove.
    #[arg(long, value_enum, default_value_t = Agent::Claude)]
    pub agent: Agent,
    /// Remove the user-level wiring (what `init --global` added) instead of this repository's.
    #[arg(long)]
    pub global: bool,
    /// Print what was done as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Agent {
    Claude,
}

/// Say what is wired and whether the evidence store is healthy
///
/// Reports the binary version, the git hooks and agent hooks that are wired, recent hook errors
/// from .git/traces/errors.log, session and ref counts, and refs or locks left broken. Exits 1 when
/// something is broken, naming the command that fixes it.
///
/// Example: git trace doctor
#[derive(Args, Debug)]
pub struct DoctorArgs {
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// List the sessions captured in this repository, newest first
///
/// One line per session: id (abbreviated), harness, start time, step count, files changed and the
/// first prompt. Any unique prefix of an id can be used wherever a session is asked for.
///
/// Example: git trace list --json
#[derive(Args, Debug)]
pub struct ListArgs {
    /// Print a JSON array of sessions (id, harness, started_at, ended_at, steps, files_changed,
    /// prompt, …).
    #[arg(long)]
    pub json: bool,
}

/// Show a session step by step, or one step in full
///
/// `<session>` shows the session header and one line per step (index, kind, tool, snapshot,
/// summary). `<session>:<step>` shows that step: its input, output excerpt and, when it changed
/// files, its patch.
///
/// Examples: git trace show 3f9a, git trace show 3f9a:12 --json
#[derive(Args, Debug)]
pub struct ShowArgs {
    /// A session id or unique prefix, optionally with `:<step>`.
    pub address: String,
    /// Print JSON: the whole trace (id, harness, steps[]) or the one step.
    #[arg(long)]
    pub json: bool,
}

/// Import harness session files (backfill)
///
/// Reads session files the harness wrote (Claude Code: ~/.claude/projects/<dir>/<id>.jsonl) and
/// records their steps, as the hooks would have, then seals them. Importing a session the hooks
/// already captured, or importing twice, adds what was missing and never duplicates a step. The
/// session must have run inside this repository.
///
/// Example: git trace import claude ~/.claude/projects/-home-me-repo/ecbef1cc-….jsonl
#[derive(Args, Debug)]
pub struct ImportArgs {
    /// The harness that wrote the files.
    #[arg(value_enum)]
    pub harness: Agent,
    /// Session files to import.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Print one JSON object per imported file.
    #[arg(long)]
    pub json: bool,
}

/// Record one agent hook event (called by the agent, not by you)
///
/// Reads the harness's hook payload (JSON) on stdin. Always exits 0 and prints nothing, so the
/// agent is never slowed or broken by capture; failures are written to .git/traces/errors.log
/// (see `git trace doctor`). Outside a git repository it does nothing.
///
/// Example (what `git trace init` writes into .claude/settings.json): git trace hook claude PostToolUse
#[derive(Args, Debug)]
pub struct HookArgs {
    /// The harness sending the event.
    pub harness: String,
    /// The event name (taken from the payload's hook_event_name when present).
    pub event: Option<String>,
}

impl Cli {
    /// Whether the output is long human-readable text worth paging.
    pub fn pages(&self) -> bool {
        match &self.command {
            Command::List(a) => !a.json,
            Command::Show(a) => !a.json,
            _ => false,
        }
    }
}

/// Runs `git trace` with parsed arguments.
pub fn run(cli: Cli, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Hook(args) => {
            let mut stdin = Vec::new();
            let _ = std::io::stdin().take(256 << 20).read_to_end(&mut stdin);
            let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
            let env_session = std::env::var("CLAUDE_CODE_SESSION_ID").ok();
            capture::hook(
                &args.harness,
                args.event.as_deref(),
                &stdin,
                &cwd,
                env_session.as_deref(),
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Init(args) => wire(args.agent, args.global, args.json, out, true),
        Command::Uninstall(args) => wire(args.agent, args.global, args.json, out, false),
        Command::Doctor(args) => {
            let repo = super::open_repo()?;
            let report = doctor::check(&repo);
            if args.json {
                render::json_pretty(out, &report)?;
            } else {
                doctor::render(out, &report)?;
            }
            Ok(if report.healthy {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Command::List(args) => {
            let repo = super::open_repo()?;
            seal_pending(&repo);
            let sessions = read::list(&repo)?;
            if args.json {
                let rows: Vec<serde_json::Value> = sessions
                    .iter()
                    .map(|s| {
                        let mut v = serde_json::to_value(s).expect("json");
                        v["schema"] = "git-traces/session@1".into();
                        v
                    })
                    .collect();
                render::json_pretty(out, &rows)?;
            } else {
                render::session_list(out, &sessions)?;
            }
            if sessions.is_empty() && !args.json {
                eprintln!(
                    "no sessions captured in this repository yet\n\
                     hint: run 'git trace init', then work with your agent; \
                     or 'git trace import claude <file>'"
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Show(args) => {
            let repo = super::open_repo()?;
            seal_pending(&repo);
            let addr = read::resolve(&repo, &args.address)?;
            let trace = read::load_trace(&repo, &addr.session)?;
            match addr.step {
                None if args.json => render::json_pretty(out, &trace)?,
                None => render::trace(out, &trace)?,
                Some(i) => {
                    let step = read::step(&trace, i)?;
                    if args.json {
                        render::json_pretty(out, step)?;
                    } else {
                        let patch = match &step.snapshot {
                            Some(s) => Some(super::trail::snapshot_patch(&repo, s)?),
                            None => None,
                        };
                        render::step(out, &trace.id, step, patch.as_deref())?;
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Import(args) => {
            let repo = super::open_repo()?;
            let harness = match args.harness {
                Agent::Claude => "claude",
            };
            for file in &args.files {
                let summary = capture::import_file(&repo, harness, file)
                    .with_context(|| format!("importing {}", file.display()))?;
                if args.json {
                    render::json_line(out, &summary)?;
                } else {
                    writeln!(
                        out,
                        "{}: session {} ({} new records, {} steps)",
                        file.display(),
                        summary.session,
                        summary.records,
                        summary.steps
                    )?;
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Seals what the hooks journaled since the last seal, so reads are never behind; problems are
/// reported but do not stop the read.
fn seal_pending(repo: &git2::Repository) {
    for (session, e) in capture::seal_pending(repo) {
        eprintln!("warning: cannot seal session {session}: {e}");
    }
}

fn wire(
    agent: Agent,
    global: bool,
    json: bool,
    out: &mut dyn Write,
    install: bool,
) -> anyhow::Result<ExitCode> {
    // User-level wiring needs no repository; this repository's git hooks and settings do.
    let (repo, scope) = if global {
        (super::open_repo().ok(), setup::Scope::Global)
    } else {
        (Some(super::open_repo()?), setup::Scope::Repo)
    };
    let mut done = Vec::new();
    if let (Some(repo), false) = (&repo, global) {
        done.extend(if install {
            setup::install_git_hooks(repo)?
        } else {
            setup::uninstall_git_hooks(repo)?
        });
    }
    match agent {
        Agent::Claude if install => done.extend(setup::install_claude(repo.as_ref(), scope)?),
        Agent::Claude => done.extend(setup::uninstall_claude(repo.as_ref(), scope)?),
    }
    if json {
        render::json_pretty(out, &done)?;
    } else {
        for w in &done {
            writeln!(
                out,
                "{:<18} {}  ({})",
                w.change.to_string(),
                w.what,
                w.path.display()
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
