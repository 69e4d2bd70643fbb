//! `git trace query`: arguments and output.

use crate::query::{self, Filters, Hit, Query};
use crate::render;
use clap::Args;
use std::io::Write;
use std::process::ExitCode;

/// Find the sessions that worked on something, best first, with their matching steps
///
/// Searches prompts, plans, commands, paths, answers and tool summaries of every session, and the
/// messages of the commits anchored on them. Words are matched lowercase; a word with a `/` or a
/// dot (src/cart.rs, calc.py) is matched whole. Each hit is one line (id, harness, date, score,
/// first prompt), then its first matching steps as <session>:<step> addresses for `git trace show`.
///
/// Ranking: a session matches when it has any of the words. Its score is the sum over the words of
/// (1 + ln tf) × ln(1 + N/df), where tf is how often the word occurs in the session and df in how
/// many of the N sessions, so repeated and rare words weigh most; then times a recency factor
/// (1 + 2^(-age/30 days)) / 2, which is 1 today and tends to 1/2, its bonus halving every 30 days.
/// With filters and no words, the matching sessions are listed newest first.
///
/// The index lives in .git/traces/cache/query.idx; it is updated on each query for the sessions
/// that changed, and rebuilt when missing or damaged. Deleting it loses nothing.
///
/// Examples: git trace query "checkout flow" --since 7d, git trace query --file src/cart.rs
/// --harness codex --state lost --json
#[derive(Args, Debug)]
pub struct QueryArgs {
    /// Words to search for.
    pub words: Vec<String>,
    /// Only sessions started within this span (30d, 12h, 2w) or on or after this date
    /// (YYYY-MM-DD, UTC).
    #[arg(long, value_parser = query::parse_since)]
    pub since: Option<i64>,
    /// Only sessions started before this span ago, or on or before this date (YYYY-MM-DD, UTC).
    #[arg(long, value_parser = query::parse_until)]
    pub until: Option<i64>,
    /// Only sessions of this harness (claude, codex, pi).
    #[arg(long)]
    pub harness: Option<String>,
    /// Only sessions that used a model whose name contains this (opus, gpt-5).
    #[arg(long)]
    pub model: Option<String>,
    /// Only sessions with a step naming this path (repository-relative), or a path under it.
    #[arg(long, value_name = "PATH")]
    pub file: Option<String>,
    /// Only sessions with at least one patch in this survival state against HEAD (see
    /// `git trail track`).
    #[arg(long, value_enum)]
    pub state: Option<State>,
    /// Only sessions anchored on this commit.
    #[arg(long, value_name = "REV")]
    pub commit: Option<String>,
    /// Show at most this many sessions.
    #[arg(short = 'n', long, default_value_t = 20)]
    pub limit: usize,
    /// Print a JSON array of sessions (id, harness, started_at, score, prompt, steps[]: address,
    /// index, kind, summary).
    #[arg(long)]
    pub json: bool,
}

/// The survival states of `git trail track`, as `--state` takes them.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
#[value(rename_all = "snake_case")]
pub enum State {
    NeverCommitted,
    Lost,
    Reverted,
    AliveOnPath,
    AliveMoved,
    AliveTransformed,
    PartiallyPreserved,
    Repaired,
    Unknown,
}

impl State {
    fn name(self) -> String {
        clap::ValueEnum::to_possible_value(&self)
            .expect("no skipped variants")
            .get_name()
            .to_string()
    }
}

/// Runs `git trace query`.
pub fn run(args: QueryArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let repo = super::open_repo()?;
    super::trace::seal_pending(&repo);
    let query = Query {
        text: args.words.join(" "),
        filters: Filters {
            since_ms: args.since,
            until_ms: args.until,
            harness: args.harness,
            model: args.model,
            file: args.file,
            state: args.state.map(State::name),
            commit: args.commit,
        },
        limit: args.limit,
        now_ms: query::now_ms(),
    };
    let results = query::search(&repo, &query)?;
    if let Some(notice) = &results.notice {
        eprintln!("{notice}");
    }
    let hidden = results.total - results.hits.len();
    if args.json {
        render::json_pretty(out, &results.hits)?;
        if hidden > 0 {
            eprintln!("{hidden} more matching session(s) not shown; use --limit to see more");
        }
    } else {
        for hit in &results.hits {
            hit_lines(out, hit)?;
        }
        if hidden > 0 {
            writeln!(
                out,
                "{hidden} more matching session(s) not shown; use --limit to see more"
            )?;
        }
    }
    if results.total == 0 {
        eprintln!("no session matches\nhint: try fewer words, or fewer filters");
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

/// One session line, then its matching steps indented.
fn hit_lines(out: &mut dyn Write, hit: &Hit) -> std::io::Result<()> {
    writeln!(
        out,
        "{}  {:<7} {}  {:>7.2}  {}",
        render::short(&hit.id),
        hit.harness,
        hit.started_at.get(..10).unwrap_or(&hit.started_at),
        hit.score,
        if hit.prompt.is_empty() {
            "(no prompt)"
        } else {
            &hit.prompt
        }
    )?;
    for step in &hit.steps {
        writeln!(
            out,
            "    {:<12} {:<6} {}",
            step.address,
            step.kind.as_str(),
            step.summary
        )?;
    }
    if hit.more_steps > 0 {
        writeln!(out, "    +{} more", hit.more_steps)?;
    }
    Ok(())
}
