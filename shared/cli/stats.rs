//! `git trace stats`: counts and sums over the sessions of a time range.

use crate::{render, stats};
use clap::Args;
use std::io::Write;
use std::process::ExitCode;

/// Count sessions, steps, tokens and lines written vs alive over a time range
///
/// Over the sessions started in the range: how many, their wall time, steps by kind, token usage
/// (input, output, cache read and write, as the transcripts reported it), the model mix (sessions
/// per model), the same per harness, and the lines their patches wrote against how many are
/// still alive in HEAD today (as `git trail track` decides it).
///
/// Times are a span back from now (30d, 12h, 2w, 90m), a date (2026-11-01, midnight UTC) or a UTC
/// time (2026-11-01T09:30:00Z). Without --since every session counts.
///
/// Examples: git trace stats --since 30d, git trace stats --since 2026-11-01 --until 7d --json
#[derive(Args, Debug)]
pub struct StatsArgs {
    /// Only sessions started at or after this time.
    #[arg(long, value_name = "WHEN")]
    pub since: Option<String>,
    /// Only sessions started before this time.
    #[arg(long, value_name = "WHEN")]
    pub until: Option<String>,
    /// Print JSON (schema git-traces/stats@1).
    #[arg(long)]
    pub json: bool,
}

/// Runs `git trace stats`.
pub fn run(args: StatsArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let repo = super::open_repo()?;
    super::trace::seal_pending(&repo);
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis() as i64;
    let bound = |b: &Option<String>| {
        b.as_deref()
            .map(|t| stats::bound(t, now_ms))
            .transpose()
            .map_err(anyhow::Error::msg)
    };
    let range = stats::Range {
        since: bound(&args.since)?,
        until: bound(&args.until)?,
    };
    let computed = stats::compute(&repo, range)?;
    if args.json {
        render::json_pretty(out, &computed)?;
    } else {
        stats::render_text(out, &computed)?;
    }
    Ok(ExitCode::SUCCESS)
}
