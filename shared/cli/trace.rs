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
    Query(super::query::QueryArgs),
    Map(super::map::MapArgs),
    Stats(super::stats::StatsArgs),
    Import(ImportArgs),
    Redact(super::share::RedactArgs),
    Share(super::share::ShareArgs),
    Push(super::share::PushArgs),
    Fetch(super::share::FetchArgs),
    Forget(super::share::ForgetArgs),
    Rescan(super::share::RescanArgs),
    Export(super::export::ExportArgs),
    View(super::view::ViewArgs),
    Dataset(super::dataset::DatasetArgs),
    Skill(super::skill::SkillArgs),
    Rate(super::skill::RateArgs),
    Hook(HookArgs),
    /// `git trace <id>[:<step>]`: the same as `git trace show <id>[:<step>]`.
    #[command(external_subcommand)]
    External(Vec<String>),
}

/// Wire git hooks and an agent's hooks for this repository
///
/// Installs the post-commit and post-rewrite shims (into core.hooksPath when set, chaining any hook
/// already there inside a `# BEGIN git-traces` / `# END git-traces` block) and wires the agent:
///
/// * claude: hook entries in .claude/settings.json (--global: ~/.claude/settings.json).
///
/// * codex: hook entries in .codex/hooks.json (--global: $CODEX_HOME/hooks.json, default
///   ~/.codex) and `[features] hooks = true` in $CODEX_HOME/config.toml, edited in place (comments
///   kept). Codex loads a project's .codex/ only when the project is trusted, and asks you to review
///   new hooks (/hooks): init says which of these steps are left to you.
///
/// * pi: the extension .pi/extensions/git-traces.ts (--global: ~/.pi/agent/extensions/), which
///   forwards Pi's events to `git trace hook pi`.
///
/// * all: the three of them.
///
/// Running it again changes nothing; `git trace uninstall` removes exactly what it added (with the
/// same flags).
///
/// Examples: git trace init --agent claude, git trace init --agent all --global
#[derive(Args, Debug)]
pub struct InitArgs {
    /// The agent whose hooks to wire.
    #[arg(long, value_enum, default_value_t = Agent::Claude)]
    pub agent: Agent,
    /// Wire the agent for every repository of this user (its user-level settings) instead of this one.
    #[arg(long)]
    pub global: bool,
    /// Also add refspecs to this remote so plain `git push`/`git fetch` carry shared sessions
    /// (refs/traces/shared/*) and notes (refs/notes/traces), never private refs.
    #[arg(long, value_name = "REMOTE", conflicts_with = "global")]
    pub remote: Option<String>,
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
    /// Also remove the refspecs `init --remote` added to this remote.
    #[arg(long, value_name = "REMOTE", conflicts_with = "global")]
    pub remote: Option<String>,
    /// Print what was done as JSON.
    #[arg(long)]
    pub json: bool,
}

/// An agent to wire.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Agent {
    Claude,
    Codex,
    Pi,
    /// Claude Code, Codex and Pi.
    All,
}

impl Agent {
    fn harnesses(self) -> Vec<capture::Harness> {
        match self {
            Agent::Claude => vec![capture::Harness::Claude],
            Agent::Codex => vec![capture::Harness::Codex],
            Agent::Pi => vec![capture::Harness::Pi],
            Agent::All => capture::Harness::ALL.to_vec(),
        }
    }
}

/// A harness whose session files can be imported.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum HarnessArg {
    Claude,
    Codex,
    Pi,
}

impl From<HarnessArg> for capture::Harness {
    fn from(h: HarnessArg) -> capture::Harness {
        match h {
            HarnessArg::Claude => capture::Harness::Claude,
            HarnessArg::Codex => capture::Harness::Codex,
            HarnessArg::Pi => capture::Harness::Pi,
        }
    }
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
/// Reads the session files a harness wrote and records their steps, as the hooks would have, then
/// seals them. Importing a session the hooks already captured, or importing twice, adds what was
/// missing and never duplicates a step; a file with nothing new is skipped.
///
/// With --all, finds the files itself: every Claude Code, Codex and Pi session (or only the named
/// harness's) whose working directory is inside this repository, from
/// $CLAUDE_CONFIG_DIR/projects (default ~/.claude/projects), $CODEX_HOME/sessions (default
/// ~/.codex/sessions) and $PI_CODING_AGENT_DIR/sessions (default ~/.pi/agent/sessions), or from
/// --dir. Sessions that ran elsewhere are left alone.
///
/// Examples:
///   git trace import claude ~/.claude/projects/-home-me-repo/ecbef1cc-….jsonl
///   git trace import codex ~/.codex/sessions/2026/11/25/rollout-….jsonl
///   git trace import --all --since 30d
#[derive(Args, Debug)]
#[command(group(clap::ArgGroup::new("what").required(true).args(["files", "all"])))]
pub struct ImportArgs {
    /// The harness that wrote the files (with --all: only this harness's sessions).
    #[arg(value_enum)]
    pub harness: Option<HarnessArg>,
    /// Session files to import.
    #[arg(requires = "harness")]
    pub files: Vec<PathBuf>,
    /// Find and import every session of this repository.
    #[arg(long)]
    pub all: bool,
    /// With --all: only files modified within this span (30d, 12h, 2w, 90m).
    #[arg(long, requires = "all", value_parser = parse_span)]
    pub since: Option<std::time::Duration>,
    /// With --all: look for session files under this directory instead of the harness's default
    /// (needs a harness).
    #[arg(long, requires_all = ["all", "harness"])]
    pub dir: Option<PathBuf>,
    /// The repository was moved since the session ran: paths under this old location are paths
    /// of this repository.
    #[arg(long, value_name = "OLD_DIR")]
    pub moved_from: Option<PathBuf>,
    /// Print one JSON object per file.
    #[arg(long)]
    pub json: bool,
}

/// `30d`, `12h`, `2w`, `90m`, `45s`.
pub(crate) fn parse_span(text: &str) -> Result<std::time::Duration, String> {
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (n, unit) = text.split_at(split);
    let n: u64 = n
        .parse()
        .map_err(|_| format!("'{text}' is not a span like 30d, 12h, 2w or 90m"))?;
    let secs = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => return Err(format!("'{text}' is not a span like 30d, 12h, 2w or 90m")),
    };
    Ok(std::time::Duration::from_secs(n * secs))
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
            Command::External(_) => true,
            Command::Query(a) => !a.json,
            Command::Map(a) => {
                !a.json && a.output.is_none() && a.format == super::map::MapFormat::Text
            }
            Command::Stats(a) => !a.json,
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
        Command::Init(args) => wire(
            args.agent,
            args.global,
            args.remote.as_deref(),
            args.json,
            out,
            true,
        ),
        Command::Uninstall(args) => wire(
            args.agent,
            args.global,
            args.remote.as_deref(),
            args.json,
            out,
            false,
        ),
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
                     hint: run 'git trace init --agent <claude|codex|pi>', then work with your agent; \
                     or 'git trace import --all' to backfill past sessions"
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Show(args) => show(args, out),
        Command::External(words) => {
            // `git trace 3f9a` and `git trace 3f9a:12`: `show` without the word.
            let [address] = &words[..] else {
                anyhow::bail!(
                    "'{}' is not a git trace command\nhint: 'git trace --help' lists them; 'git trace <id>[:<step>]' shows a session",
                    words.join(" ")
                );
            };
            show(
                ShowArgs {
                    address: address.clone(),
                    json: false,
                },
                out,
            )
        }
        Command::Query(args) => super::query::run(args, out),
        Command::Map(args) => super::map::run(args, out),
        Command::Stats(args) => super::stats::run(args, out),
        Command::Import(args) => import(args, out),
        Command::Redact(args) => super::share::redact(args, out),
        Command::Share(args) => super::share::share_cmd(args, out),
        Command::Push(args) => super::share::push_cmd(args, out),
        Command::Fetch(args) => super::share::fetch_cmd(args, out),
        Command::Forget(args) => super::share::forget_cmd(args, out),
        Command::Rescan(args) => super::share::rescan_cmd(args, out),
        Command::Export(args) => super::export::run(args, out),
        Command::View(args) => super::view::run(args, out),
        Command::Dataset(args) => super::dataset::run(args, out),
        Command::Skill(args) => super::skill::run(args, out),
        Command::Rate(args) => super::skill::rate(args, out),
    }
}

fn show(args: ShowArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
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

fn import(args: ImportArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let repo = super::open_repo()?;
    let files: Vec<(capture::Harness, PathBuf)> = if args.all {
        find_sessions(&repo, &args)?
    } else {
        let harness = args.harness.expect("clap requires it").into();
        args.files.iter().map(|f| (harness, f.clone())).collect()
    };
    let progress = files.len() > 20 && std::io::IsTerminal::is_terminal(&std::io::stderr());
    let (mut imported, mut current, mut failed) = (0, 0, 0);
    for (i, (harness, file)) in files.iter().enumerate() {
        if progress {
            eprint!("\rimporting {}/{}", i + 1, files.len());
        }
        let summary = match capture::import_file(&repo, *harness, file, args.moved_from.as_deref())
        {
            Ok(summary) => summary,
            Err(e) if args.all => {
                failed += 1;
                eprintln!(
                    "{}error: importing {}: {e}",
                    if progress { "\n" } else { "" },
                    file.display()
                );
                continue;
            }
            Err(e) => return Err(e).with_context(|| format!("importing {}", file.display())),
        };
        if summary.up_to_date {
            current += 1;
        } else {
            imported += 1;
        }
        if args.json {
            render::json_line(out, &summary)?;
        } else if !summary.up_to_date || !args.all {
            if progress {
                eprint!("\r");
            }
            let what = if summary.up_to_date {
                "up to date".to_string()
            } else {
                format!("{} new records, {} steps", summary.records, summary.steps)
            };
            writeln!(
                out,
                "{}: {} session {} ({what})",
                file.display(),
                summary.harness,
                summary.session
            )?;
        }
    }
    if progress {
        eprintln!();
    }
    if args.all && !args.json {
        writeln!(
            out,
            "{imported} session(s) imported, {current} already up to date{}",
            if failed > 0 {
                format!(", {failed} failed")
            } else {
                String::new()
            }
        )?;
    }
    Ok(if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// The session files `import --all` takes: every harness's (or the one named), in this worktree.
fn find_sessions(
    repo: &git2::Repository,
    args: &ImportArgs,
) -> anyhow::Result<Vec<(capture::Harness, PathBuf)>> {
    let workdir = repo.workdir().context(
        "import --all needs a worktree: sessions are matched by their working directory",
    )?;
    let workdir = std::fs::canonicalize(workdir).unwrap_or_else(|_| workdir.to_path_buf());
    let since = args.since.map(|span| std::time::SystemTime::now() - span);
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let harnesses = match args.harness {
        Some(h) => vec![h.into()],
        None => capture::Harness::ALL.to_vec(),
    };
    let mut files = Vec::new();
    for harness in harnesses {
        let dir = match (&args.dir, &home) {
            (Some(dir), _) => dir.clone(),
            (None, Some(home)) => capture::backfill::sessions_dir(harness, home),
            (None, None) => anyhow::bail!(
                "cannot find {harness} sessions: HOME is not set\nhint: set HOME, or pass --dir with a harness"
            ),
        };
        files.extend(
            capture::backfill::discover(harness, &dir, &workdir, since)
                .into_iter()
                .map(|f| (f.harness, f.path)),
        );
    }
    Ok(files)
}

/// Seals what the hooks journaled since the last seal, so reads are never behind; problems are
/// reported but do not stop the read.
pub(super) fn seal_pending(repo: &git2::Repository) {
    for (session, e) in capture::seal_pending(repo) {
        eprintln!("warning: cannot seal session {session}: {e}");
    }
}

fn wire(
    agent: Agent,
    global: bool,
    remote: Option<&str>,
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
    for harness in agent.harnesses() {
        done.extend(if install {
            setup::install_agent(harness, repo.as_ref(), scope)?
        } else {
            setup::uninstall_agent(harness, repo.as_ref(), scope)?
        });
    }
    if let (Some(remote), Some(repo)) = (remote, &repo) {
        done.extend(if install {
            setup::install_remote(repo, remote)?
        } else {
            setup::uninstall_remote(repo, remote)?
        });
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
