//! `git trace stats`: counts and sums over the sessions started in a time range.
//!
//! Everything but the line counts comes from each bucket's small `manifest.json` (steps by kind,
//! token usage summed from the transcript, models, harness) through `git trace list`'s cache, so
//! stats over thousands of sessions never parse a trace. Lines written and alive come from [`crate::track`] against `HEAD`: the
//! lines the sessions' patches added (counted ones only, as track counts them) and how many of
//! them are in `HEAD` today.

use crate::explain::wall_seconds;
use crate::read::{self, SessionSummary};
use crate::{store, track};
use git2::Repository;
use serde::Serialize;
use std::collections::BTreeMap;

/// Schema of `git trace stats --json`.
pub const STATS_SCHEMA: &str = "git-traces/stats@1";

/// The sessions counted: those whose start is at or after `since` and before `until` (RFC 3339,
/// UTC); an absent bound is open.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Range {
    pub since: Option<String>,
    pub until: Option<String>,
}

/// Sums over a set of sessions: the whole range, or one harness of it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Sums {
    pub sessions: usize,
    pub steps: u64,
    pub by_kind: BTreeMap<String, u64>,
    /// `input_tokens`, `output_tokens`, `cache_read_input_tokens`,
    /// `cache_creation_input_tokens`, as the transcripts reported them.
    pub tokens: BTreeMap<String, u64>,
    /// Sessions per model (a session that used two models counts for both).
    pub models: BTreeMap<String, usize>,
    pub wall_seconds: i64,
    pub lines_written: usize,
    pub lines_alive: usize,
}

/// What `git trace stats --json` prints.
#[derive(Debug, Clone, Serialize)]
pub struct Stats {
    pub schema: &'static str,
    #[serde(flatten)]
    pub range: Range,
    /// The revision lines alive were counted in, null on an unborn branch.
    pub states_at: Option<String>,
    #[serde(flatten)]
    pub total: Sums,
    pub by_harness: BTreeMap<String, Sums>,
}

/// Seconds since the epoch of one of our RFC 3339 UTC timestamps, 0 when unreadable.
fn epoch_seconds(t: &str) -> i64 {
    wall_seconds("1970-01-01T00:00:00Z", t)
}

/// A bound as given on the command line: a span back from `now_ms` (`30d`, `12h`, `2w`, `90m`,
/// `45s`), a date (`2026-11-01`, midnight UTC) or an RFC 3339 UTC time; returned as RFC 3339.
pub fn bound(text: &str, now_ms: i64) -> Result<String, String> {
    if let Some(secs) = span_seconds(text) {
        return Ok(store::format_unix_ms(now_ms - secs * 1000));
    }
    let full = if text.len() == 10 {
        format!("{text}T00:00:00Z")
    } else {
        text.to_string()
    };
    if full.ends_with('Z') && epoch_seconds(&full) > 0 {
        return Ok(store::format_unix_ms(epoch_seconds(&full) * 1000));
    }
    Err(format!(
        "'{text}' is not a time: use a span back from now (30d, 12h, 2w, 90m), a date (2026-11-01) or a UTC time (2026-11-01T09:30:00Z)"
    ))
}

/// `30d` → seconds; None when `text` is not a span.
pub fn span_seconds(text: &str) -> Option<i64> {
    let split = text.find(|c: char| !c.is_ascii_digit())?;
    let (n, unit) = text.split_at(split);
    let n: i64 = n.parse().ok()?;
    let unit = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => return None,
    };
    Some(n * unit)
}

fn in_range(range: &Range, started_at: &str) -> bool {
    let t = epoch_seconds(started_at);
    range.since.as_deref().is_none_or(|s| t >= epoch_seconds(s))
        && range.until.as_deref().is_none_or(|u| t < epoch_seconds(u))
}

/// Computes the stats over the sessions started in `range`.
pub fn compute(repo: &Repository, range: Range) -> anyhow::Result<Stats> {
    let sessions: Vec<SessionSummary> = read::list(repo)?
        .into_iter()
        .filter(|s| in_range(&range, &s.started_at))
        .collect();
    let head = repo.head().ok().and_then(|h| h.peel_to_commit().ok());
    let lines = lines_by_session(repo, &sessions, head.as_ref().map(|h| h.id()))?;
    let mut total = Sums::default();
    let mut by_harness: BTreeMap<String, Sums> = BTreeMap::new();
    for s in &sessions {
        let (written, alive) = lines.get(&s.id).copied().unwrap_or_default();
        add(&mut total, s, written, alive);
        let harness = if s.harness.is_empty() {
            "unknown"
        } else {
            &s.harness
        };
        add(
            by_harness.entry(harness.to_string()).or_default(),
            s,
            written,
            alive,
        );
    }
    Ok(Stats {
        schema: STATS_SCHEMA,
        range,
        states_at: head.map(|h| h.id().to_string()),
        total,
        by_harness,
    })
}

/// (lines written, lines alive) per session, from survival against `head`; empty without one.
fn lines_by_session(
    repo: &Repository,
    sessions: &[SessionSummary],
    head: Option<git2::Oid>,
) -> anyhow::Result<BTreeMap<String, (usize, usize)>> {
    let Some(head) = head else {
        return Ok(BTreeMap::new());
    };
    let ids: Vec<String> = sessions.iter().map(|s| s.id.clone()).collect();
    Ok(track::track(repo, &ids, head)?
        .into_iter()
        .map(|s| (s.session, (s.lines_written, s.lines_alive)))
        .collect())
}

fn add(sums: &mut Sums, session: &SessionSummary, written: usize, alive: usize) {
    sums.sessions += 1;
    sums.steps += session.steps;
    add_numbers(&mut sums.by_kind, &session.by_kind);
    add_numbers(&mut sums.tokens, &session.tokens);
    for model in &session.models {
        *sums.models.entry(model.clone()).or_default() += 1;
    }
    sums.wall_seconds += wall_seconds(&session.started_at, &session.ended_at);
    sums.lines_written += written;
    sums.lines_alive += alive;
}

fn add_numbers(into: &mut BTreeMap<String, u64>, from: &BTreeMap<String, u64>) {
    for (k, v) in from {
        *into.entry(k.clone()).or_default() += v;
    }
}

/// The text form: totals, then one line per harness.
pub fn render_text(out: &mut dyn std::io::Write, stats: &Stats) -> std::io::Result<()> {
    let open = |b: &Option<String>, none: &str| b.clone().unwrap_or_else(|| none.to_string());
    writeln!(
        out,
        "sessions started {} .. {}",
        open(&stats.range.since, "the first"),
        open(&stats.range.until, "now")
    )?;
    writeln!(out)?;
    sums_block(out, &stats.total)?;
    if !stats.by_harness.is_empty() {
        writeln!(out)?;
        writeln!(
            out,
            "{:<10} {:>8} {:>8} {:>12} {:>12} {:>9} {:>9}",
            "harness", "sessions", "steps", "input tok", "output tok", "written", "alive"
        )?;
        for (harness, s) in &stats.by_harness {
            writeln!(
                out,
                "{:<10} {:>8} {:>8} {:>12} {:>12} {:>9} {:>9}",
                harness,
                s.sessions,
                s.steps,
                token(s, "input_tokens"),
                token(s, "output_tokens"),
                s.lines_written,
                s.lines_alive
            )?;
        }
    }
    Ok(())
}

fn token(s: &Sums, key: &str) -> u64 {
    s.tokens.get(key).copied().unwrap_or(0)
}

fn sums_block(out: &mut dyn std::io::Write, s: &Sums) -> std::io::Result<()> {
    let kinds: Vec<String> = s.by_kind.iter().map(|(k, n)| format!("{n} {k}")).collect();
    let models: Vec<String> = s.models.iter().map(|(m, n)| format!("{m} ×{n}")).collect();
    let percent = (s.lines_alive * 100)
        .checked_div(s.lines_written)
        .unwrap_or(0);
    writeln!(out, "sessions   {}", s.sessions)?;
    writeln!(
        out,
        "wall time  {}",
        crate::render::duration(s.wall_seconds)
    )?;
    writeln!(out, "steps      {}  ({})", s.steps, kinds.join(" · "))?;
    writeln!(
        out,
        "tokens     {} input · {} output · {} cache read · {} cache write",
        token(s, "input_tokens"),
        token(s, "output_tokens"),
        token(s, "cache_read_input_tokens"),
        token(s, "cache_creation_input_tokens")
    )?;
    writeln!(out, "models     {}", models.join(" · "))?;
    writeln!(
        out,
        "lines      {} written · {} alive ({percent}%)",
        s.lines_written, s.lines_alive
    )
}
