//! `git trace export`: a session in an interchange format.

use crate::{export, read, render};
use anyhow::Context;
use clap::Args;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// Export a session in an interchange format
///
/// * jsonl: our own steps, a header line (the session without its steps) then one step a line;
///   nothing is lost.
///
/// * atif: the Agent Trajectory Interchange Format (ATIF-v1.4, harbor RFC 0001). Each of our steps
///   becomes one ATIF step (thinking, answers and every tool call apart, a tool call with its
///   observation); which steps one model response produced together is not kept, snapshots are
///   kept as ids under `extra`, large outputs as their excerpts.
///
/// * agent-trace: Agent Trace 0.1 attribution records (agent-trace.dev), one per commit that holds
///   lines the session wrote, from the anchors in refs/notes/traces: files, line ranges and the
///   model. The steps behind the ranges are under `metadata`; lines never committed are not there.
///
/// Examples:
///   git trace export 3f9a --format atif -o trajectory.json
///   git trace export 3f9a --format agent-trace
#[derive(Args, Debug)]
pub struct ExportArgs {
    /// The session (any unique prefix of its id).
    pub session: String,
    /// The format.
    #[arg(long, value_enum, default_value_t = Format::Jsonl)]
    pub format: Format,
    /// Write to this file instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Jsonl,
    Atif,
    AgentTrace,
}

pub fn run(args: ExportArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let repo = super::open_repo()?;
    super::trace::seal_pending(&repo);
    let session = read::resolve(&repo, &args.session)?.session;
    let trace = read::load_trace(&repo, &session)?;
    let text = match args.format {
        Format::Jsonl => export::jsonl(&trace),
        Format::Atif => pretty(&export::atif(&trace)),
        Format::AgentTrace => pretty(&serde_json::Value::Array(export::agent_trace(
            &repo, &trace,
        )?)),
    };
    match &args.output {
        Some(path) => std::fs::write(path, text)
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => out.write_all(text.as_bytes())?,
    }
    Ok(ExitCode::SUCCESS)
}

fn pretty(value: &serde_json::Value) -> String {
    let mut bytes = Vec::new();
    render::json_pretty(&mut bytes, value).expect("in-memory write");
    String::from_utf8(bytes).expect("json is utf-8")
}
