//! `git ctx`: what the model could see at a step, and resuming from there.

use crate::capture::Harness;
use crate::ctx::{self, resume, Diff, Item, Window};
use crate::{read, render};
use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// Inspect and resume what a coding agent's model saw at any step
///
/// Every captured session keeps its context nodes (context.jsonl.gz in the session's bucket):
/// the system prompt and tool definitions, stored once per session, then every message, thinking
/// block, tool call and tool result, and the compactions that dropped earlier ones. From them
/// `git ctx` rebuilds the model's window right before any step `<session>:<step>` (ids abbreviate
/// to any unique prefix, as in `git trace show`).
///
/// Start with `git trace show <id>` to find a step, then `git ctx show <id>:<step>`.
#[derive(Parser, Debug)]
#[command(
    name = "git-ctx",
    bin_name = "git ctx",
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
    Show(ShowArgs),
    Diff(DiffArgs),
    Pack(PackArgs),
    Resume(ResumeArgs),
}

/// Show what the model could see right before a step
///
/// One line per item of the window, oldest first: its role (system, tools, injected, user,
/// assistant, thinking, tool_call, tool_result, compaction, summary), the step it belongs to, its
/// estimated tokens (bytes / 4) and its first line. The system prompt and tool definitions are
/// the latest ones sent before the step; after a compaction, only its summary and what followed
/// are in the window. For a Pi session, only the branch that led to the step counts.
///
/// Example: git ctx show 3f9a:12
#[derive(Args, Debug)]
pub struct ShowArgs {
    /// The step, as <session>:<step>.
    pub address: String,
    /// Print the window as JSON (schema git-traces/ctx-window@1).
    #[arg(long)]
    pub json: bool,
}

/// Show what entered and what left the window between two steps
///
/// Lines starting with `+` entered the window between the two steps, lines starting with `-` left
/// it (a compaction drops what it summarised; a new system prompt replaces the old one).
///
/// Example: git ctx diff 3f9a:12 3f9a:30
#[derive(Args, Debug)]
pub struct DiffArgs {
    /// The earlier step, as <session>:<step>.
    pub from: String,
    /// The later step, as <session>:<step> (or just <step>, in the same session).
    pub to: String,
    /// Print the difference as JSON (schema git-traces/ctx-diff@1).
    #[arg(long)]
    pub json: bool,
}

/// Write the context pack of a step as JSON
///
/// The pack holds everything needed to put a model back where it stood right before the step:
/// the full system prompt, the tool definitions, every message of the window with full texts
/// (tool calls with their input and call id), and the runtime (harness and version, models, cwd,
/// the base commit and the trail snapshot commit of the working tree at that point). Schema
/// git-traces/ctx-pack@1. The texts are the redacted ones capture stored.
///
/// Example: git ctx pack 3f9a:12 -o pack.json
#[derive(Args, Debug)]
pub struct PackArgs {
    /// The step, as <session>:<step>.
    pub address: String,
    /// Write the pack to this file instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// Start a new session of the harness right before a step
///
/// Writes a new session file in the harness's own format and place, holding the conversation up
/// to the step (the same lines the harness wrote, under a new session id; a Pi session keeps only
/// the branch that led to the step). The original session is not touched. With --harness, the
/// conversation is rewritten for another harness where their formats allow it. Then prints the
/// harness's own resume command (claude --resume <id>, codex resume <id>, pi --session <file>),
/// or runs it with --exec.
///
/// With --worktree DIR, also checks out the working tree as it was at that step (the trail
/// snapshot) into a new detached worktree at DIR, and the new session runs there.
///
/// Examples:
///   git ctx resume 3f9a:12
///   git ctx resume 3f9a:12 --worktree ../retry --exec
///   git ctx resume 3f9a:12 --harness pi
#[derive(Args, Debug)]
pub struct ResumeArgs {
    /// The step to start before, as <session>:<step>.
    pub address: String,
    /// The harness to resume in (default: the session's own). In another harness, the
    /// conversation is rewritten in its format: prompts, answers, and shell, read, write and edit
    /// calls with their results carry over; thinking and harness-injected context do not. A call
    /// the other harness has no tool for (Codex's apply_patch, search or MCP tools) is refused,
    /// naming its step. Codex cannot be the target.
    #[arg(long, value_enum)]
    pub harness: Option<super::trace::HarnessArg>,
    /// Check out the step's working tree into a new worktree here, and resume there.
    #[arg(long, value_name = "DIR")]
    pub worktree: Option<PathBuf>,
    /// Run the harness's resume command instead of printing it.
    #[arg(long)]
    pub exec: bool,
    /// Print what was written as JSON (schema git-traces/ctx-resume@1).
    #[arg(long)]
    pub json: bool,
}

impl Cli {
    /// Whether the output is long human-readable text worth paging.
    pub fn pages(&self) -> bool {
        match &self.command {
            Command::Show(a) => !a.json,
            Command::Diff(a) => !a.json,
            _ => false,
        }
    }
}

/// Runs `git ctx` with parsed arguments.
pub fn run(cli: Cli, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let repo = super::open_repo()?;
    for (session, e) in crate::capture::seal_pending(&repo) {
        eprintln!("warning: cannot seal session {session}: {e}");
    }
    match cli.command {
        Command::Show(args) => {
            let (session, step) = load(&repo, &args.address)?;
            let window = session.window(step)?;
            if args.json {
                render::json_pretty(out, &window)?;
            } else {
                show(out, &window)?;
            }
        }
        Command::Diff(args) => {
            let (session, from) = load(&repo, &args.from)?;
            let to = match args.to.parse::<u64>() {
                Ok(step) => step,
                Err(_) => {
                    let addr = step_address(&repo, &args.to)?;
                    anyhow::ensure!(
                        addr.0 == session.trace.id,
                        "{} and {} are steps of different sessions\nhint: ctx diff compares two steps of one session",
                        args.from,
                        args.to
                    );
                    addr.1
                }
            };
            let diff = ctx::diff(&session.window(from)?, &session.window(to)?);
            if args.json {
                render::json_pretty(out, &diff)?;
            } else {
                show_diff(out, &diff)?;
            }
        }
        Command::Pack(args) => {
            let (session, step) = load(&repo, &args.address)?;
            let pack = session.pack(&repo, step)?;
            match &args.output {
                Some(path) => {
                    let mut text = serde_json::to_vec_pretty(&pack)?;
                    text.push(b'\n');
                    std::fs::write(path, text)
                        .with_context(|| format!("cannot write {}", path.display()))?;
                    eprintln!(
                        "wrote {} ({} messages, ~{} tokens)",
                        path.display(),
                        pack.messages.len(),
                        pack.tokens
                    );
                }
                None => render::json_pretty(out, &pack)?,
            }
        }
        Command::Resume(args) => return resume_cmd(&repo, args, out),
    }
    Ok(ExitCode::SUCCESS)
}

fn step_address(repo: &git2::Repository, spec: &str) -> anyhow::Result<(String, u64)> {
    let addr = read::resolve(repo, spec)?;
    let step = addr.step.with_context(|| {
        format!("'{spec}' names a session, not a step\nhint: add the step, e.g. {spec}:12")
    })?;
    Ok((addr.session, step))
}

fn load(repo: &git2::Repository, spec: &str) -> anyhow::Result<(ctx::Session, u64)> {
    let (session, step) = step_address(repo, spec)?;
    let session = ctx::load(repo, &session)?;
    session.step(step)?;
    Ok((session, step))
}

fn item_line(out: &mut dyn Write, mark: &str, item: &Item) -> std::io::Result<()> {
    let step = item.step.map_or_else(|| "-".to_string(), |s| s.to_string());
    writeln!(
        out,
        "{mark}{:<11} {:>5} {:>7}  {}",
        item.role.as_str(),
        step,
        format!("~{}", item.tokens),
        item.summary
    )
}

fn show(out: &mut dyn Write, w: &Window) -> std::io::Result<()> {
    writeln!(
        out,
        "context before step {} of {} ({}): {} items, ~{} tokens",
        w.step,
        render::short(&w.session),
        w.harness,
        w.items.len(),
        w.tokens
    )?;
    if !w.items.iter().any(|i| i.role == ctx::Role::System) {
        writeln!(
            out,
            "(no system prompt on record: {} does not write it to its session file)",
            w.harness
        )?;
    }
    writeln!(
        out,
        "{:<11} {:>5} {:>7}  first line",
        "role", "step", "tokens"
    )?;
    for item in &w.items {
        item_line(out, "", item)?;
    }
    Ok(())
}

fn show_diff(out: &mut dyn Write, d: &Diff) -> std::io::Result<()> {
    writeln!(
        out,
        "context of {} from step {} to step {}: ~{} -> ~{} tokens, {} entered, {} left",
        render::short(&d.session),
        d.from,
        d.to,
        d.tokens_from,
        d.tokens_to,
        d.entered.len(),
        d.left.len()
    )?;
    for item in &d.left {
        item_line(out, "- ", item)?;
    }
    for item in &d.entered {
        item_line(out, "+ ", item)?;
    }
    Ok(())
}

fn resume_cmd(
    repo: &git2::Repository,
    args: ResumeArgs,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    let (session, step) = load(repo, &args.address)?;
    let harness = match args.harness {
        Some(h) => Harness::from(h),
        None => Harness::parse(&session.trace.harness).with_context(|| {
            format!(
                "session {} was captured from an unknown harness '{}'",
                session.trace.id, session.trace.harness
            )
        })?,
    };
    let cwd = match &args.worktree {
        Some(dir) => {
            let commit = session.snapshot_before(step).with_context(|| {
                format!(
                    "session {} has no snapshot up to step {step} and no base commit, so its working tree at that step is unknown (sessions only imported from their files have none)\nhint: resume without --worktree",
                    render::short(&session.trace.id)
                )
            })?;
            add_worktree(repo, dir, &commit)?
        }
        None => session
            .trace
            .cwd
            .clone()
            .map(PathBuf::from)
            .or_else(|| repo.workdir().map(PathBuf::from))
            .context("the session has no working directory on record\nhint: pass --worktree DIR")?,
    };
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let resumed = resume::resume(
        repo,
        &session,
        step,
        harness,
        &resume::Target {
            home: home.as_deref(),
            cwd: &cwd,
        },
    )?;
    if args.json {
        render::json_pretty(out, &resumed)?;
    } else {
        writeln!(
            out,
            "new {} session {} before step {step} of {} ({} lines)\n  {}",
            resumed.harness,
            resumed.session,
            render::short(&resumed.from),
            resumed.lines,
            resumed.file.display()
        )?;
        if !args.exec {
            writeln!(
                out,
                "resume it with:\n  cd {} && {}",
                shell_quote(&resumed.cwd.to_string_lossy()),
                resumed
                    .command
                    .iter()
                    .map(|a| shell_quote(a))
                    .collect::<Vec<_>>()
                    .join(" ")
            )?;
        }
    }
    if !args.exec {
        return Ok(ExitCode::SUCCESS);
    }
    out.flush()?;
    let status = std::process::Command::new(&resumed.command[0])
        .args(&resumed.command[1..])
        .current_dir(&resumed.cwd)
        .status()
        .with_context(|| {
            format!(
                "cannot run {}\nhint: is {} installed and on PATH?",
                resumed.command.join(" "),
                resumed.command[0]
            )
        })?;
    Ok(ExitCode::from(
        status.code().unwrap_or(1).clamp(0, 255) as u8
    ))
}

/// `git worktree add --detach DIR <commit>`: the working tree the model saw, as a real checkout.
fn add_worktree(
    repo: &git2::Repository,
    dir: &std::path::Path,
    commit: &str,
) -> anyhow::Result<PathBuf> {
    let git_dir = repo.commondir();
    let output = std::process::Command::new("git")
        .arg("--git-dir")
        .arg(git_dir)
        .args(["worktree", "add", "--detach"])
        .arg(dir)
        .arg(commit)
        .output()
        .context("cannot run git")?;
    anyhow::ensure!(
        output.status.success(),
        "git worktree add {} {commit} failed: {}",
        dir.display(),
        String::from_utf8_lossy(&output.stderr).trim()
    );
    Ok(std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf()))
}

fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@%+,".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}
