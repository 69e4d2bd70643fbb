//! `git trail`: the change layer of captured sessions.

use crate::{capture, explain, read, render, store, track, trail};
use clap::{Args, Parser, Subcommand};
use git2::Oid;
use std::io::Write;
use std::process::ExitCode;

/// Snapshots and patches of agent sessions
///
/// Every step of a session that changed the working tree has a snapshot commit on
/// refs/traces/trails/<session>; `git trail log` walks that chain and `git trail diff` prints the
/// patch a step (or the whole session) produced.
#[derive(Parser, Debug)]
#[command(
    name = "git-trail",
    bin_name = "git trail",
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
    Log(LogArgs),
    Diff(DiffArgs),
    #[command(allow_missing_positional = true)]
    Blame(BlameArgs),
    Track(TrackArgs),
    Hook(HookArgs),
}

/// Show the snapshot chain of a session, newest first
///
/// One entry per snapshot commit: its id, `step N: <tool> <summary>`, `[external]` for changes
/// made outside the agent between its steps, and the files it changed.
///
/// Example: git trail log 3f9a
#[derive(Args, Debug)]
pub struct LogArgs {
    /// A session id or unique prefix.
    pub session: String,
    /// Print a JSON array, oldest snapshot first (commit, step, external, subject, files, added, removed).
    #[arg(long)]
    pub json: bool,
}

/// Print the patch a step produced, or a whole session's
///
/// `<session>:<step>` prints the diff from the previous snapshot to that step's snapshot;
/// `<session>` prints the diff from the session's starting point to its last snapshot. The output
/// is a git patch (`git apply` takes it).
///
/// Examples: git trail diff 3f9a:12, git trail diff 3f9a
#[derive(Args, Debug)]
pub struct DiffArgs {
    /// A session id or unique prefix, optionally with `:<step>`.
    pub address: String,
}

/// Did the agents' work land? The survival state of every patch, per session
///
/// A patch is one block of lines an agent step added to one file. Its state, against HEAD (or
/// --rev): never_committed (no commit carries it), alive_on_path (every line still in its file),
/// alive_moved (in another file its anchors followed: a move, a rename), alive_transformed (there up
/// to whitespace), repaired (some lines rewritten in place, the rest there), partially_preserved
/// (some lines there, others deleted), reverted (removed by git revert or by an undo to the earlier
/// content), lost (removed by another commit, or only in commits no longer in history). The
/// evidence (the removing commit, where the lines live now) comes with each. Results are cached in
/// .git/traces/cache/track.json: a later run re-evaluates only patches whose files changed.
///
/// Examples: git trail track, git trail track 3f9a --json
#[derive(Args, Debug)]
pub struct TrackArgs {
    /// Sessions (ids or unique prefixes); all sealed sessions when none is given.
    pub sessions: Vec<String>,
    /// The revision to check against.
    #[arg(long, default_value = "HEAD")]
    pub rev: String,
    /// Only sessions that started within this long: `<n>h`, `<n>d` or `<n>w` (e.g. 7d).
    #[arg(long, value_parser = parse_age)]
    pub since: Option<i64>,
    /// Print JSON: the totals over all sessions (`overall`), then per session the counts by state,
    /// lines written, alive and never committed, and every patch with its evidence.
    #[arg(long)]
    pub json: bool,
}

/// `7d` → seconds.
fn parse_age(text: &str) -> Result<i64, String> {
    let (n, unit) = text.split_at(text.len().saturating_sub(1));
    let n: i64 = n
        .parse()
        .map_err(|_| format!("'{text}' is not an age like 12h, 7d or 2w"))?;
    match unit {
        "h" => Ok(n * 3600),
        "d" => Ok(n * 86_400),
        "w" => Ok(n * 7 * 86_400),
        _ => Err(format!("'{text}' is not an age like 12h, 7d or 2w")),
    }
}

/// Show which commit and which agent step last changed each line of a file
///
/// Runs `git blame` on the file and, for each line whose commit has an anchor on refs/notes/traces
/// covering it (written by post-commit), adds the session and step that produced the line, the
/// harness, the prompt behind that step (its first line) and a state: `alive_on_path` (anchored
/// exactly, in this file), `alive_moved` (anchored in a file since renamed, or moved from another
/// file) or `alive_transformed` (anchored up to whitespace). Lines no agent step produced are the
/// human's and show `-`. Lines are matched by their line number and path in the commit that last
/// changed them, so later edits above them and renames do not lose them. Without <REV> the
/// working-tree file is blamed, as `git blame` does; blame.ignoreRevsFile and the mailmap apply.
///
/// The human view is `git blame`'s (short commit, author, date, line number, content) with the
/// step after the commit, then one line per step: harness, states, prompt. A note line that cannot
/// be read is skipped with a warning on stderr; a session whose ref is gone still shows
/// <session>:<step>, without prompt.
///
/// Examples: git trail blame src/lib.rs, git trail blame -L 10,+5 HEAD~3 -- src/lib.rs
#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct BlameArgs {
    /// Blame a commit (`git trail blame commit <rev>`) or a branch's pull request (`git trail
    /// blame pr render`) instead of a file; a file named `commit` or `pr` is blamed with `git
    /// trail blame -- commit`.
    #[command(subcommand)]
    pub what: Option<BlameWhat>,
    /// Blame the file as of this commit (default: the working tree).
    #[arg(value_name = "REV")]
    pub rev: Option<String>,
    /// The file to blame, relative to the current directory.
    #[arg(value_name = "FILE", required = true)]
    pub file: Option<String>,
    /// Only these lines, in any of git blame's forms: `<start>,<end>`, `<start>,+<count>`,
    /// `/<regex>/`, `:<funcname>`; may be given more than once.
    #[arg(short = 'L', value_name = "RANGE")]
    pub lines: Vec<String>,
    /// Print exactly `git blame --porcelain`, plus `trace-session <id>`, `trace-step <n>` and
    /// `trace-state <state>` header lines before the content line of every anchored line (parsers
    /// that skip unknown headers keep working). Not paged.
    #[arg(long, conflicts_with = "json")]
    pub porcelain: bool,
    /// Print a JSON array, one object per line of the file (schema, line, commit, orig_line, file,
    /// author, author_time, content; session, step, key, harness, prompt, state, tier, firmness,
    /// null on lines no agent step produced). Not paged.
    #[arg(long)]
    pub json: bool,
}

#[derive(Subcommand, Debug)]
pub enum BlameWhat {
    Commit(BlameCommitArgs),
    Pr(BlamePrArgs),
}

/// What were we trying to do here? The sessions behind a commit
///
/// From the commit's anchors: the user prompts that drove the agent steps behind it (the intent),
/// the commit message, each added hunk with the step that wrote it (or "by hand") and the state of
/// that step's patch today, and per session the harness, models, wall time and step count.
///
/// Examples: git trail blame commit HEAD, git trail blame commit 82c09ab --format md
#[derive(Args, Debug)]
pub struct BlameCommitArgs {
    /// The commit.
    #[arg(default_value = "HEAD")]
    pub rev: String,
    /// Output format: text, or md (markdown that pastes into a pull request).
    #[arg(long, value_enum, default_value_t = StoryFormat::Text)]
    pub format: StoryFormat,
    /// Print JSON (schema git-traces/commit-story@1) instead.
    #[arg(long)]
    pub json: bool,
}

/// The pull request that explains itself: the story of every commit of a branch
///
/// `git trail blame pr render` tells, for each commit of the range (oldest first), its intent (the
/// prompts behind its agent steps, and its message), its alignment (how many of its agent hunks
/// answer that intent; hunks by hand count apart), its scope (hunks, and how many are alive today)
/// and the sessions behind it (agents, models, wall time, steps), under a header with the totals.
///
/// Example: git trail blame pr render --format html -o pr.html
#[derive(Args, Debug)]
pub struct BlamePrArgs {
    #[command(subcommand)]
    pub action: PrAction,
}

#[derive(Subcommand, Debug)]
pub enum PrAction {
    Render(PrRenderArgs),
}

/// Render the story of a branch's commits as markdown, HTML or JSON
///
/// Without a range, the current branch is compared with its upstream (`@{upstream}`), else with
/// its merge-base with main, master or origin/HEAD, the first that exists; the base used is said
/// on stderr. Markdown pastes into a pull request description; HTML is one self-contained page (no
/// scripts, nothing fetched) with a lane per commit, its intent beside the lines its hunks added.
/// Hunk states are checked against HEAD.
///
/// Examples: git trail blame pr render, git trail blame pr render main..feature --format html -o
/// pr.html
#[derive(Args, Debug)]
pub struct PrRenderArgs {
    /// The commits to tell: `<base>..<head>`, `<base>..` or `<base>` (head: HEAD).
    #[arg(value_name = "RANGE")]
    pub range: Option<String>,
    /// md (a pull request description), html (one self-contained page) or json (schema
    /// git-traces/pr-story@1).
    #[arg(long, value_enum, default_value_t = PrFormat::Md)]
    pub format: PrFormat,
    /// Write to this file (replaced atomically) instead of stdout.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<std::path::PathBuf>,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum PrFormat {
    Md,
    Html,
    Json,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoryFormat {
    Text,
    Md,
}

/// Run from the git hooks `git trace init` installs (not by you)
///
/// post-commit and post-rewrite seal the sessions that have new evidence; post-commit then
/// anchors the new commit: each added line that an agent step of a session sealed in the last 30
/// days produced is recorded, with that step, in the commit's note on refs/notes/traces. They never
/// fail the git command that ran them.
#[derive(Args, Debug)]
pub struct HookArgs {
    /// The git hook: post-commit or post-rewrite.
    #[arg(value_parser = ["post-commit", "post-rewrite"])]
    pub hook: String,
    /// Arguments git passed to the hook (post-rewrite: amend or rebase).
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub args: Vec<String>,
}

impl Cli {
    /// Whether the output is long human-readable text worth paging.
    pub fn pages(&self) -> bool {
        match &self.command {
            Command::Log(a) => !a.json,
            Command::Diff(_) => true,
            Command::Blame(BlameArgs {
                what: Some(BlameWhat::Commit(c)),
                ..
            }) => !c.json && c.format == StoryFormat::Text,
            Command::Blame(BlameArgs {
                what:
                    Some(BlameWhat::Pr(BlamePrArgs {
                        action: PrAction::Render(r),
                    })),
                ..
            }) => r.output.is_none() && r.format == PrFormat::Md,
            Command::Blame(a) => !a.json && !a.porcelain,
            Command::Track(a) => !a.json,
            Command::Hook(_) => false,
        }
    }
}

/// Runs `git trail` with parsed arguments.
pub fn run(cli: Cli, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Hook(args) => {
            // No evidence store, nothing to seal or anchor: the common case costs one lookup.
            if let Ok(repo) = super::open_repo() {
                if read::has_traces(&repo) {
                    let traces = store::Traces::of(&repo);
                    for (session, e) in capture::seal_pending(&repo) {
                        store::log_error(&traces, &session, &args.hook, &e.to_string());
                    }
                    let anchored = match args.hook.as_str() {
                        "post-commit" => match repo.head().ok().and_then(|h| h.target()) {
                            Some(head) => capture::anchor(&repo, head),
                            None => Ok(0),
                        },
                        _ => capture::carry(&repo, &rewritten(std::io::stdin().lock())),
                    };
                    if let Err(e) = anchored {
                        store::log_error(&traces, "", &args.hook, &format!("anchoring: {e}"));
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Track(args) => {
            let repo = super::open_repo()?;
            capture::seal_pending(&repo);
            let mut sessions: Vec<String> = if args.sessions.is_empty() {
                store::session_ids(&repo)?
            } else {
                args.sessions
                    .iter()
                    .map(|s| read::resolve(&repo, s).map(|a| a.session))
                    .collect::<Result<_, _>>()?
            };
            if let Some(age) = args.since {
                let now_ms = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)?
                    .as_millis() as i64;
                let cutoff = store::format_unix_ms(now_ms - age * 1000);
                let recent: Vec<String> = read::list(&repo)?
                    .into_iter()
                    .filter(|s| s.started_at >= cutoff)
                    .map(|s| s.id)
                    .collect();
                sessions.retain(|s| recent.contains(s));
            }
            let rev = repo
                .revparse_single(&args.rev)
                .and_then(|o| o.peel_to_commit())
                .map_err(|e| anyhow::anyhow!("bad revision '{}': {}", args.rev, e.message()))?
                .id();
            let report = track::TrackReport::new(rev, track::track(&repo, &sessions, rev)?);
            if args.json {
                render::json_pretty(out, &report)?;
            } else {
                render::track(out, &report)?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Log(args) => {
            let repo = super::open_repo()?;
            capture::seal_pending(&repo);
            let addr = read::resolve(&repo, &args.session)?;
            let trace = read::load_trace(&repo, &addr.session)?;
            let chain = store::read_chain(&repo, &addr.session, Vec::new())?;
            let mut entries = Vec::with_capacity(chain.len());
            for link in &chain {
                let step = trace
                    .steps
                    .iter()
                    .find(|s| s.snapshot.as_deref() == Some(link.commit.to_string().as_str()))
                    .map(|s| s.index);
                let files =
                    trail::diff_trees(&repo, link.parent_tree, link.tree, trail::Renames::Detect)?;
                entries.push(render::LogEntry::new(link, step, &files));
            }
            if args.json {
                render::json_pretty(out, &entries)?;
            } else {
                render::trail_log(out, &entries)?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Blame(BlameArgs {
            what: Some(BlameWhat::Commit(args)),
            ..
        }) => {
            let repo = super::open_repo()?;
            capture::seal_pending(&repo);
            let commit = repo
                .revparse_single(&args.rev)
                .and_then(|o| o.peel_to_commit())
                .map_err(|e| anyhow::anyhow!("bad revision '{}': {}", args.rev, e.message()))?
                .id();
            let story = explain::commit_story(&repo, commit)?;
            match (args.json, args.format) {
                (true, _) => render::json_pretty(out, &story)?,
                (false, StoryFormat::Text) => render::commit_story(out, &story)?,
                (false, StoryFormat::Md) => render::commit_story_md(out, &story)?,
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Blame(BlameArgs {
            what:
                Some(BlameWhat::Pr(BlamePrArgs {
                    action: PrAction::Render(args),
                })),
            ..
        }) => {
            let repo = super::open_repo()?;
            capture::seal_pending(&repo);
            let range = explain::pr_range(&repo, args.range.as_deref())?;
            eprintln!(
                "pr: {} against {} ({}: {})",
                range.head_name,
                range.base_name,
                range.found_by,
                &range.base.to_string()[..7]
            );
            let mut story = explain::pr_story(&repo, range.base, range.head)?;
            if story.states_at != range.head.to_string() {
                eprintln!(
                    "note: hunk states are checked against HEAD ({}), not {}",
                    &story.states_at[..story.states_at.len().min(7)],
                    range.head_name
                );
            }
            story.base_name = Some(range.base_name);
            story.head_name = Some(range.head_name);
            let render = |out: &mut dyn Write| -> std::io::Result<()> {
                match args.format {
                    PrFormat::Md => render::pr_story_md(out, &story),
                    PrFormat::Html => render::pr_story_html(out, &story),
                    PrFormat::Json => render::json_pretty(out, &story),
                }
            };
            match &args.output {
                Some(path) => write_atomically(path, render)?,
                None => render(out)?,
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Blame(args) => {
            let repo = super::open_repo()?;
            capture::seal_pending(&repo);
            let request = trail::BlameRequest {
                rev: args.rev,
                path: args.file.unwrap_or_default(),
                ranges: args.lines,
                cwd: std::env::current_dir()?,
            };
            let mut lines = Vec::new();
            let report = if args.porcelain {
                trail::blame(&repo, &request, &mut |line, raw| {
                    render::blame_porcelain(out, line, raw)
                })?
            } else {
                trail::blame(&repo, &request, &mut |line, _| {
                    lines.push(line.clone());
                    Ok(())
                })?
            };
            if args.json {
                render::blame_json(out, &lines)?;
            } else if !args.porcelain {
                render::blame_human(out, &lines, &report.path)?;
            }
            for w in &report.warnings {
                eprintln!("warning: {w}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Diff(args) => {
            let repo = super::open_repo()?;
            capture::seal_pending(&repo);
            let addr = read::resolve(&repo, &args.address)?;
            let trace = read::load_trace(&repo, &addr.session)?;
            match addr.step {
                Some(i) => {
                    let step = read::step(&trace, i)?;
                    let Some(snapshot) = &step.snapshot else {
                        eprintln!(
                            "step {}:{i} ({} {}) changed no files",
                            addr.session,
                            step.kind.as_str(),
                            step.tool.as_deref().unwrap_or("")
                        );
                        return Ok(ExitCode::from(1));
                    };
                    out.write_all(&snapshot_patch(&repo, snapshot)?)?;
                }
                None => {
                    let chain = store::read_chain(&repo, &addr.session, Vec::new())?;
                    let (Some(first), Some(last)) = (chain.first(), chain.last()) else {
                        eprintln!("session {} changed no files", addr.session);
                        return Ok(ExitCode::from(1));
                    };
                    trail::write_patch(&repo, first.parent_tree, last.tree, out)?;
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The `<old> <new> [<extra>]` lines git writes to post-rewrite's stdin (githooks(5)); lines
/// that do not parse are ignored.
fn rewritten(input: impl std::io::BufRead) -> Vec<(Oid, Oid)> {
    input
        .lines()
        .map_while(Result::ok)
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let old = Oid::from_str(fields.next()?).ok()?;
            let new = Oid::from_str(fields.next()?).ok()?;
            Some((old, new))
        })
        .collect()
}

/// Writes `path` through a temporary file beside it and a rename, so a reader (a browser
/// reloading the page) never sees half of it; a failure leaves the old file as it was.
fn write_atomically(
    path: &std::path::Path,
    body: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> anyhow::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => std::path::Path::new("."),
    };
    let fail = |e: &dyn std::fmt::Display| anyhow::anyhow!("cannot write {}: {e}", path.display());
    let mut tmp = tempfile::Builder::new()
        .prefix(".git-trail-")
        .tempfile_in(dir)
        .map_err(|e| fail(&e))?;
    {
        let mut buf = std::io::BufWriter::new(tmp.as_file_mut());
        body(&mut buf).map_err(|e| fail(&e))?;
        buf.flush().map_err(|e| fail(&e))?;
    }
    tmp.as_file().sync_data().map_err(|e| fail(&e))?;
    // tempfile creates 0600; an output file is as readable as any other the user writes.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mask = 0o644;
        let _ = tmp
            .as_file()
            .set_permissions(std::fs::Permissions::from_mode(mask));
    }
    tmp.persist(path).map_err(|e| fail(&e.error))?;
    Ok(())
}

/// The patch of one snapshot commit against its parent.
pub(crate) fn snapshot_patch(repo: &git2::Repository, snapshot: &str) -> anyhow::Result<Vec<u8>> {
    let commit = repo.find_commit(Oid::from_str(snapshot)?)?;
    let parent_tree = commit.parent(0).ok().map(|p| p.tree_id());
    let mut buf = Vec::new();
    trail::write_patch(repo, parent_tree, commit.tree_id(), &mut buf)?;
    Ok(buf)
}
