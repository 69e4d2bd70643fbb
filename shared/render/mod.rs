//! Human-readable output of the read commands. JSON output is the serde form of the same data
//! and is written by the callers with [`json_line`]/[`json_pretty`].

mod story;

pub use story::{commit_story, commit_story_md};

mod pr;

pub use pr::{duration, html_escape, pr_header, pr_story_html, pr_story_md};

mod blame;

pub use blame::{blame_human, blame_json, blame_porcelain, BLAME_SCHEMA};

use crate::model::{Content, Step, Trace};
use crate::read::SessionSummary;
use crate::store::ChainLink;
use serde_json::Value;
use std::io::{self, Write};

/// The first non-blank line of a text, trimmed, at most `max` characters (cut with `…`): the
/// one-line form of prompts, commands and answers everywhere.
pub fn first_line(text: &str, max: usize) -> String {
    let line = text
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or_default()
        .trim();
    if line.chars().count() <= max {
        return line.to_string();
    }
    let mut s: String = line.chars().take(max.saturating_sub(1)).collect();
    s.push('…');
    s
}

/// The first 7 characters of an object id, as git abbreviates.
pub fn short(oid: &str) -> &str {
    &oid[..oid.len().min(7)]
}

fn time(t: &str) -> &str {
    // 2026-11-25T00:34:56.263Z → 2026-11-25 00:34:56
    if t.len() >= 19 {
        &t[..19]
    } else {
        t
    }
}

/// `git trace list`: one session a line, newest first.
pub fn session_list(out: &mut dyn Write, sessions: &[SessionSummary]) -> io::Result<()> {
    for s in sessions {
        writeln!(
            out,
            "{}  {:<7} {}  {:>4} steps  {:>3} files  {}",
            short(&s.id),
            s.harness,
            time(&s.started_at).replace('T', " "),
            s.steps,
            s.files_changed,
            s.prompt.as_deref().unwrap_or("(no prompt)")
        )?;
    }
    Ok(())
}

/// `git trace show <id>`: the header and one line per step.
pub fn trace(out: &mut dyn Write, trace: &Trace) -> io::Result<()> {
    let version = trace
        .harness_version
        .as_deref()
        .map(|v| format!(" {v}"))
        .unwrap_or_default();
    writeln!(out, "session {}", trace.id)?;
    writeln!(
        out,
        "harness {}{version}{}",
        trace.harness,
        models(&trace.models)
    )?;
    writeln!(
        out,
        "time    {} .. {}",
        time(&trace.started_at).replace('T', " "),
        time(&trace.ended_at).replace('T', " ")
    )?;
    if let Some(base) = &trace.base {
        writeln!(out, "base    {}", short(base))?;
    }
    writeln!(out)?;
    // Tool names run from `Read` to Codex's `exec_command`: the column fits the longest.
    let tool_width = trace
        .steps
        .iter()
        .filter_map(|s| s.tool.as_deref().map(str::len))
        .max()
        .unwrap_or(0)
        .max(10);
    for step in &trace.steps {
        step_line(out, step, tool_width)?;
    }
    Ok(())
}

fn models(models: &[String]) -> String {
    if models.is_empty() {
        String::new()
    } else {
        format!(" ({})", models.join(", "))
    }
}

fn step_line(out: &mut dyn Write, step: &Step, tool_width: usize) -> io::Result<()> {
    let snapshot = step.snapshot.as_deref().map(short).unwrap_or("");
    writeln!(
        out,
        "{:>4}  {:<6} {:<tool_width$} {:<7}  {}",
        step.index,
        step.kind.as_str(),
        step.tool.as_deref().unwrap_or(""),
        snapshot,
        step.summary
    )
}

/// `git trace show <id>:<step>`: everything about one step, then its patch.
pub fn step(
    out: &mut dyn Write,
    session: &str,
    step: &Step,
    patch: Option<&[u8]>,
) -> io::Result<()> {
    writeln!(
        out,
        "step {}:{}  {}{}",
        short(session),
        step.index,
        step.kind.as_str(),
        step.tool
            .as_deref()
            .map(|t| format!(" {t}"))
            .unwrap_or_default()
    )?;
    writeln!(out, "summary  {}", step.summary)?;
    writeln!(out, "time     {}", time(&step.started_at).replace('T', " "))?;
    if !step.paths.is_empty() {
        writeln!(out, "paths    {}", step.paths.join(", "))?;
    }
    if let Some(s) = &step.snapshot {
        writeln!(
            out,
            "snapshot {}{}",
            s,
            if step.external {
                " (external: changes made outside the agent)"
            } else {
                ""
            }
        )?;
    }
    if let Some(model) = step.meta.get("model").and_then(Value::as_str) {
        writeln!(out, "model    {model}")?;
    }
    if let Some(input) = &step.input {
        writeln!(out, "\ninput:")?;
        indented(out, &input_text(input))?;
    }
    if let Some(text) = &step.text {
        writeln!(out, "\ntext:")?;
        content(out, text)?;
    }
    if let Some(output) = &step.output {
        writeln!(out, "\noutput:")?;
        content(out, output)?;
    }
    if let Some(patch) = patch {
        writeln!(out, "\npatch:")?;
        out.write_all(patch)?;
    }
    Ok(())
}

fn input_text(input: &Value) -> String {
    match input {
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| match v {
                Value::String(s) => format!("{k}: {s}"),
                other => format!("{k}: {other}"),
            })
            .collect::<Vec<_>>()
            .join("\n"),
        other => other.to_string(),
    }
}

fn content(out: &mut dyn Write, c: &Content) -> io::Result<()> {
    if c.binary {
        return writeln!(
            out,
            "  [binary, {} bytes, blobs/{}]",
            c.bytes,
            c.blob.as_deref().unwrap_or("?")
        );
    }
    indented(out, &c.text)?;
    match (&c.blob, &c.blob_oid) {
        (Some(blob), Some(_)) => writeln!(
            out,
            "  [excerpt of {} bytes; full text in blobs/{blob}]",
            c.bytes
        )?,
        (Some(blob), None) => writeln!(
            out,
            "  [excerpt of {} bytes; over traces.bigFileThreshold, not kept (sha256 {blob})]",
            c.bytes
        )?,
        _ => {}
    }
    Ok(())
}

fn indented(out: &mut dyn Write, text: &str) -> io::Result<()> {
    for line in text.lines() {
        writeln!(out, "  {line}")?;
    }
    Ok(())
}

/// One entry of `git trail log`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LogEntry {
    pub commit: String,
    pub step: Option<u64>,
    pub external: bool,
    pub subject: String,
    pub files: Vec<String>,
    pub added: usize,
    pub removed: usize,
}

impl LogEntry {
    pub fn new(link: &ChainLink, step: Option<u64>, files: &[crate::trail::FilePatch]) -> LogEntry {
        LogEntry {
            commit: link.commit.to_string(),
            step,
            external: link.external,
            subject: link.message.lines().next().unwrap_or_default().to_string(),
            files: files.iter().map(|f| f.path.clone()).collect(),
            added: files.iter().map(|f| f.added).sum(),
            removed: files.iter().map(|f| f.removed).sum(),
        }
    }
}

/// `git trail log`: newest snapshot first, like `git log --oneline --shortstat`.
pub fn trail_log(out: &mut dyn Write, entries: &[LogEntry]) -> io::Result<()> {
    for e in entries.iter().rev() {
        writeln!(
            out,
            "{} {}{}  ({} file{}, +{} -{})",
            short(&e.commit),
            e.subject,
            if e.external { " [external]" } else { "" },
            e.files.len(),
            if e.files.len() == 1 { "" } else { "s" },
            e.added,
            e.removed
        )?;
        for f in &e.files {
            writeln!(out, "    {f}")?;
        }
    }
    Ok(())
}

/// `git trail track`: per session, the totals, then one line per patch.
pub fn track(out: &mut dyn Write, report: &crate::track::TrackReport) -> io::Result<()> {
    for s in &report.sessions {
        let states: Vec<String> = s.by_state.iter().map(|(k, n)| format!("{n} {k}")).collect();
        writeln!(
            out,
            "session {}  {} patches: {}  ·  {} of {} lines alive",
            short(&s.session),
            s.patches.len(),
            states.join(", "),
            s.lines_alive,
            s.lines_written
        )?;
        for p in &s.patches {
            let evidence = match (&p.now_in, &p.commit) {
                (Some(now), _) => format!("  now in {now}"),
                (None, Some(c)) if p.state != "never_committed" => format!("  by {}", short(c)),
                _ => String::new(),
            };
            writeln!(
                out,
                "  {:>4}  {:<20} {:>3}/{:<3} {}{}",
                p.step, p.state, p.alive, p.lines, p.file, evidence
            )?;
        }
    }
    let o = &report.overall;
    if o.sessions > 1 {
        let states: Vec<String> = o.by_state.iter().map(|(k, n)| format!("{n} {k}")).collect();
        writeln!(
            out,
            "overall  {} sessions, {} patches: {}  ·  {} of {} lines alive, {} never committed",
            o.sessions,
            o.patches,
            states.join(", "),
            o.lines_alive,
            o.lines_written,
            o.lines_never_committed
        )?;
    }
    Ok(())
}

/// Writes a value as one line of JSON.
pub fn json_line(out: &mut dyn Write, value: &impl serde::Serialize) -> io::Result<()> {
    serde_json::to_writer(&mut *out, value)?;
    writeln!(out)
}

/// Writes a value as indented JSON.
/// `3 aws_access_key, 1 github_token`: counts by name, in name order.
pub fn counts(by_name: &std::collections::BTreeMap<String, u64>) -> String {
    by_name
        .iter()
        .map(|(name, n)| format!("{n} {name}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Pretty JSON ending in a newline, as every JSON file git-traces stores is written.
pub fn json_bytes(value: &impl serde::Serialize) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(value).expect("JSON of an in-memory value");
    bytes.push(b'\n');
    bytes
}

pub fn json_pretty(out: &mut dyn Write, value: &impl serde::Serialize) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, value)?;
    writeln!(out)
}
