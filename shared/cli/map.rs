//! `git trace map`: a session as bursts of work, as text, JSON or a subway-map page.

use crate::{map, read, render};
use anyhow::Context;
use clap::{Args, ValueEnum};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// Map a session as bursts of work: intent, files, patches, their survival, commits
///
/// A burst is a run of consecutive steps driven by one intent. A new burst opens at every user
/// prompt, and at any other step that starts more than --gap after the previous step ended (the
/// person came back, or the agent resumed after a long wait). System steps (session start, end,
/// compaction) never open a burst and do not count for the gap: they belong to the burst running
/// when they happen, and those before the first prompt to the first burst.
///
/// Per burst: the driving prompt (the last prompt at or before it), steps by kind, files touched,
/// each snapshot's patch with its survival state in HEAD today and the commit that accepted it,
/// and wall time (first step's start to last step's end).
///
/// --format html draws the session like a subway map in one self-contained page: a lane per kind
/// of step with a station per step, git columns from each snapshot to its commit coloured by
/// survival, and the context window's size before each step as a band.
///
/// Examples: git trace map 3f9a --bursts, git trace map 3f9a --json,
/// git trace map 3f9a --format html -o map.html
#[derive(Args, Debug)]
pub struct MapArgs {
    /// A session id or unique prefix.
    pub session: String,
    /// Show the session as bursts (the text and JSON forms are always by burst).
    #[arg(long)]
    pub bursts: bool,
    /// The idle gap that opens a new burst (10m, 1h, 90s).
    #[arg(long, default_value = "10m", value_parser = parse_gap)]
    pub gap: i64,
    /// Output format.
    #[arg(long, value_enum, default_value_t = MapFormat::Text)]
    pub format: MapFormat,
    /// Print JSON (schema git-traces/map@1); the same as --format json.
    #[arg(long, conflicts_with = "format")]
    pub json: bool,
    /// Write to this file instead of standard output.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// The forms `git trace map` writes.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum MapFormat {
    Text,
    Json,
    /// One self-contained page (inline CSS and SVG).
    Html,
}

/// A span as seconds: `10m`, `1h`, `90s`, `2d`.
fn parse_gap(text: &str) -> Result<i64, String> {
    crate::stats::span_seconds(text)
        .ok_or_else(|| format!("'{text}' is not a span like 10m, 1h or 90s"))
}

/// Runs `git trace map`.
pub fn run(args: MapArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let repo = super::open_repo()?;
    super::trace::seal_pending(&repo);
    let id = read::resolve(&repo, &args.session)?.session;
    let format = if args.json {
        MapFormat::Json
    } else {
        args.format
    };
    // Only the HTML band needs the ctx nodes.
    let loaded = match format {
        MapFormat::Html => crate::ctx::Loaded::read(&repo, &id)?,
        _ => crate::ctx::Loaded::TraceOnly(read::load_trace(&repo, &id)?),
    };
    let trace = loaded.trace();
    let built = map::build(&repo, trace, args.gap)?;
    let mut bytes = Vec::new();
    match format {
        MapFormat::Text => map::render_text(&mut bytes, &built)?,
        MapFormat::Json => render::json_pretty(&mut bytes, &built)?,
        MapFormat::Html => {
            let tokens = loaded.context().and_then(map::window_tokens);
            map::map_html(&mut bytes, &built, trace, tokens.as_deref())?;
        }
    }
    match &args.output {
        Some(path) => std::fs::write(path, &bytes)
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => out.write_all(&bytes)?,
    }
    Ok(ExitCode::SUCCESS)
}
