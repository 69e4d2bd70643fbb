//! `git trace query`: which sessions worked on something, best first, with the steps that match.
//!
//! Searches the prompts, plans, commands, paths, answers and tool summaries of every sealed
//! session, and the messages of the commits anchored on them, through the index in
//! `.git/traces/cache/query.idx` (see [`index`]). Filters narrow the sessions (time, harness,
//! model, file, survival state, commit); terms rank them:
//!
//! score = Σ over the query's terms of (1 + ln tf) × ln(1 + N / df) × recency
//!
//! where tf is how often the term occurs in the session, df in how many of the N sessions it
//! occurs, and recency = (1 + 2^(−age in days / 30)) / 2 goes from 1 for a session started now to
//! ½ for an old one, its bonus halving every 30 days: recent work wins among equal matches without
//! hiding a much better old one. A session matches when it has any of the terms; one with more of
//! them, or rarer ones, scores higher. Without terms, matching sessions are listed newest first.

pub mod index;
pub mod tokens;

use crate::model::StepKind;
use crate::store;
use git2::Repository;
use serde::Serialize;
use std::collections::{BTreeSet, HashMap, HashSet};

/// Matching steps shown per session; the rest are counted.
pub const STEPS_SHOWN: usize = 5;
/// Days over which the recency bonus halves.
const HALF_LIFE_DAYS: f64 = 30.0;

/// Failures of a query.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("nothing to search for\nhint: give words to search for, e.g. git trace query \"checkout flow\", or a filter such as --since 7d or --file src/cart.rs")]
    Empty,
    #[error("'{0}' is not a commit\nhint: give a commit id or a revision such as HEAD~2")]
    BadCommit(String),
    #[error("query index: {0}")]
    Index(String),
    #[error(transparent)]
    Store(#[from] store::Error),
    #[error(transparent)]
    Git(#[from] git2::Error),
}

/// Restrictions on which sessions a query returns; all given ones must hold.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    /// Started at or after this time (milliseconds since the epoch).
    pub since_ms: Option<i64>,
    /// Started before this time.
    pub until_ms: Option<i64>,
    /// Recorded by this harness (case-insensitive).
    pub harness: Option<String>,
    /// Used a model whose name contains this (case-insensitive): `opus`, `gpt-5`.
    pub model: Option<String>,
    /// Has a step naming this repository-relative path, or a path under it.
    pub file: Option<String>,
    /// Has at least one patch in this survival state against `HEAD` (see [`crate::track`]).
    pub state: Option<String>,
    /// Is anchored on this commit (a revision).
    pub commit: Option<String>,
}

impl Filters {
    fn any(&self) -> bool {
        self.since_ms.is_some()
            || self.until_ms.is_some()
            || self.harness.is_some()
            || self.model.is_some()
            || self.file.is_some()
            || self.state.is_some()
            || self.commit.is_some()
    }
}

/// A query: free text plus filters.
#[derive(Debug, Clone)]
pub struct Query {
    pub text: String,
    pub filters: Filters,
    /// At most this many sessions are returned; [`Results::total`] counts them all.
    pub limit: usize,
    /// The time recency is measured from (milliseconds since the epoch).
    pub now_ms: i64,
}

/// One matching step, addressed as `git trace show` takes it.
#[derive(Debug, Clone, Serialize)]
pub struct StepHit {
    /// `<session>:<step>`.
    pub address: String,
    pub index: u64,
    pub kind: StepKind,
    pub summary: String,
}

/// One matching session (JSON contract: `id`, `harness`, `started_at`, `score`, `prompt`,
/// `steps`).
#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    pub id: String,
    pub harness: String,
    pub started_at: String,
    pub score: f64,
    pub prompt: String,
    /// The first [`STEPS_SHOWN`] matching steps, in order.
    pub steps: Vec<StepHit>,
    /// Matching steps not in `steps`.
    pub more_steps: usize,
}

/// What a query found.
#[derive(Debug, Clone)]
pub struct Results {
    /// The best sessions, at most the query's limit.
    pub hits: Vec<Hit>,
    /// How many sessions matched in all.
    pub total: usize,
    /// Set when the index had to be rebuilt from scratch because it was unreadable.
    pub notice: Option<String>,
}

/// A session still in the running, with its score and matching steps.
struct Candidate {
    session: usize,
    score: f64,
    steps: BTreeSet<u32>,
}

/// Runs a query against the (updated) index.
pub fn search(repo: &Repository, query: &Query) -> Result<Results, Error> {
    let terms = tokens::query_terms(&query.text);
    if terms.is_empty() && !query.filters.any() {
        return Err(Error::Empty);
    }
    let anchored = match &query.filters.commit {
        Some(rev) => Some(anchored_on(repo, rev)?),
        None => None,
    };
    let opened = index::open(repo)?;
    let index = &opened.index;
    let mut candidates = if terms.is_empty() {
        all_sessions(index)
    } else {
        scored(index, &terms)?
    };
    let metas = index.sessions();
    candidates.retain(|c| {
        let meta = &metas[c.session];
        !meta.unreadable
            && keeps(&query.filters, meta, query.now_ms)
            && anchored.as_ref().is_none_or(|a| a.contains(&meta.id))
    });
    if let Some(file) = &query.filters.file {
        by_file(index, file, terms.is_empty(), &mut candidates)?;
    }
    if let Some(state) = &query.filters.state {
        by_state(repo, index, state, &mut candidates)?;
    }
    for c in &mut candidates {
        let age_days =
            (query.now_ms - started_ms(&metas[c.session].started_at)) as f64 / 86_400_000.0;
        c.score *= recency(age_days);
    }
    candidates.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| {
                metas[b.session]
                    .started_at
                    .cmp(&metas[a.session].started_at)
            })
            .then_with(|| metas[a.session].id.cmp(&metas[b.session].id))
    });
    let total = candidates.len();
    let hits = candidates
        .iter()
        .take(query.limit)
        .map(|c| hit(index, c))
        .collect::<Result<_, _>>()?;
    Ok(Results {
        hits,
        total,
        notice: opened.notice,
    })
}

/// The recency factor: 1 now, ½ long ago, the part above ½ halving every [`HALF_LIFE_DAYS`].
pub fn recency(age_days: f64) -> f64 {
    (1.0 + (-age_days.max(0.0) / HALF_LIFE_DAYS).exp2()) / 2.0
}

/// Every session, each with a score of 1 so that recency alone orders them.
fn all_sessions(index: &index::Index) -> Vec<Candidate> {
    (0..index.sessions().len())
        .map(|session| Candidate {
            session,
            score: 1.0,
            steps: BTreeSet::new(),
        })
        .collect()
}

/// Sessions holding any of `terms`, scored by tf-idf, with the steps where the terms occur.
fn scored(index: &index::Index, terms: &[String]) -> Result<Vec<Candidate>, Error> {
    let n = index
        .sessions()
        .iter()
        .filter(|s| !s.unreadable)
        .count()
        .max(1) as f64;
    let mut by_session: HashMap<usize, Candidate> = HashMap::new();
    for postings in index.postings(terms)? {
        let idf = (1.0 + n / postings.len().max(1) as f64).ln();
        for p in postings {
            let c = by_session.entry(p.session).or_insert_with(|| Candidate {
                session: p.session,
                score: 0.0,
                steps: BTreeSet::new(),
            });
            c.score += (1.0 + f64::from(p.tf.max(1)).ln()) * idf;
            c.steps.extend(p.steps);
        }
    }
    Ok(by_session.into_values().collect())
}

/// The time, harness and model filters, read from the index's session rows.
fn keeps(filters: &Filters, meta: &index::SessionMeta, now_ms: i64) -> bool {
    let started = started_ms(&meta.started_at);
    let started = if meta.started_at.is_empty() {
        now_ms
    } else {
        started
    };
    let contains = |hay: &str, needle: &str| hay.to_lowercase().contains(&needle.to_lowercase());
    filters.since_ms.is_none_or(|t| started >= t)
        && filters.until_ms.is_none_or(|t| started < t)
        && filters
            .harness
            .as_ref()
            .is_none_or(|h| meta.harness.eq_ignore_ascii_case(h))
        && filters
            .model
            .as_ref()
            .is_none_or(|m| meta.models.iter().any(|x| contains(x, m)))
}

/// Keeps the sessions with a step naming `file`; without terms, those steps are the matches.
fn by_file(
    index: &index::Index,
    file: &str,
    steps_are_matches: bool,
    candidates: &mut Vec<Candidate>,
) -> Result<(), Error> {
    let file = file.trim_start_matches("./");
    let mut steps: HashMap<usize, Vec<u32>> = HashMap::new();
    for p in index.file_postings(file)? {
        steps.entry(p.session).or_default().extend(p.steps);
    }
    candidates.retain_mut(|c| match steps.get(&c.session) {
        Some(s) => {
            if steps_are_matches {
                c.steps.extend(s);
            }
            true
        }
        None => false,
    });
    Ok(())
}

/// Keeps the sessions with at least one patch in `state` against `HEAD`, using the survival
/// cache of [`crate::track`]; with an unborn `HEAD` no patch has a state.
fn by_state(
    repo: &Repository,
    index: &index::Index,
    state: &str,
    candidates: &mut Vec<Candidate>,
) -> Result<(), Error> {
    let Ok(head) = repo.head().and_then(|h| h.peel_to_commit()) else {
        candidates.clear();
        return Ok(());
    };
    let ids: Vec<String> = candidates
        .iter()
        .map(|c| index.sessions()[c.session].id.clone())
        .collect();
    let with_state: HashSet<String> = crate::track::track(repo, &ids, head.id())?
        .into_iter()
        .filter(|s| s.patches.iter().any(|p| p.state == state))
        .map(|s| s.session)
        .collect();
    candidates.retain(|c| with_state.contains(&index.sessions()[c.session].id));
    Ok(())
}

/// The sessions whose anchors are in the note on `rev`.
fn anchored_on(repo: &Repository, rev: &str) -> Result<HashSet<String>, Error> {
    let commit = repo
        .revparse_single(rev)
        .and_then(|o| o.peel_to_commit())
        .map_err(|_| Error::BadCommit(rev.into()))?;
    Ok(store::note_lines(repo, commit.id())?
        .iter()
        .filter_map(|l| serde_json::from_str::<crate::trail::Anchor>(l).ok())
        .map(|a| a.session)
        .collect())
}

/// A candidate as shown: its header fields and its first matching steps.
fn hit(index: &index::Index, c: &Candidate) -> Result<Hit, Error> {
    let meta = &index.sessions()[c.session];
    let steps = if c.steps.is_empty() {
        Vec::new()
    } else {
        index.steps(c.session)?
    };
    let shown = c
        .steps
        .iter()
        .filter_map(|i| steps.get(*i as usize).map(|s| (*i, s)))
        .take(STEPS_SHOWN)
        .map(|(i, (kind, summary))| StepHit {
            address: format!("{}:{i}", crate::render::short(&meta.id)),
            index: u64::from(i),
            kind: *kind,
            summary: summary.clone(),
        })
        .collect::<Vec<_>>();
    Ok(Hit {
        id: meta.id.clone(),
        harness: meta.harness.clone(),
        started_at: meta.started_at.clone(),
        score: (c.score * 1000.0).round() / 1000.0,
        prompt: meta.prompt.clone(),
        more_steps: c.steps.len() - shown.len(),
        steps: shown,
    })
}

/// Milliseconds since the epoch, now.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// A span back from now, the start of a UTC date or an RFC 3339 time: milliseconds since the
/// epoch.
fn parse_point(text: &str, day_after: bool) -> Result<i64, String> {
    if let Some(ms) = parse_time_ms(text) {
        let whole_day = text.len() == 10 && day_after;
        return Ok(ms + if whole_day { 86_400_000 } else { 0 });
    }
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (n, unit) = text.split_at(split);
    let unit_secs = match unit {
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => 0,
    };
    match n.parse::<i64>() {
        Ok(n) if unit_secs > 0 => Ok(now_ms() - n * unit_secs * 1000),
        _ => Err(format!(
            "'{text}' is not a span like 7d, 12h, 2w or a date like 2026-11-25"
        )),
    }
}

/// `--since`: sessions from this point on.
pub fn parse_since(text: &str) -> Result<i64, String> {
    parse_point(text, false)
}

/// `--until`: sessions up to this point (a date counts whole).
pub fn parse_until(text: &str) -> Result<i64, String> {
    parse_point(text, true)
}

/// Milliseconds since the epoch of an RFC 3339 time (`2026-11-25T00:34:56.263Z`, or with an
/// offset); 0 when it cannot be read, which sorts it as the oldest.
pub fn started_ms(t: &str) -> i64 {
    parse_time_ms(t).unwrap_or(0)
}

/// Milliseconds since the epoch of `YYYY-MM-DD[THH:MM:SS[.fff]][Z|±HH:MM]`.
pub fn parse_time_ms(t: &str) -> Option<i64> {
    let num = |r: std::ops::Range<usize>| t.get(r)?.parse::<i64>().ok();
    let days = days_from_civil(num(0..4)?, num(5..7)?, num(8..10)?)?;
    let (mut secs, mut rest) = (days * 86_400, t.get(10..).unwrap_or(""));
    if let Some(time) = rest.strip_prefix(['T', ' ']) {
        let part = |r: std::ops::Range<usize>| time.get(r)?.parse::<i64>().ok();
        secs += part(0..2)? * 3600 + part(3..5)? * 60 + part(6..8)?;
        rest = time.get(8..).unwrap_or("");
    }
    let digits = rest
        .strip_prefix('.')
        .map_or(0, |f| f.bytes().take_while(u8::is_ascii_digit).count());
    let millis = rest
        .get(1..1 + digits.min(3))
        .and_then(|f| f.parse::<i64>().ok())
        .map_or(0, |f| f * 10i64.pow(3 - digits.min(3) as u32));
    let zone = &rest[if digits > 0 { 1 + digits } else { 0 }..];
    let offset = match zone.as_bytes().first() {
        Some(sign @ (b'+' | b'-')) => {
            let part = |r: std::ops::Range<usize>| zone.get(r)?.parse::<i64>().ok();
            let minutes = part(1..3)? * 60 + part(4..6).unwrap_or(0);
            if *sign == b'+' {
                minutes * 60
            } else {
                -minutes * 60
            }
        }
        _ => 0,
    };
    Some((secs - offset) * 1000 + millis)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
fn days_from_civil(y: i64, m: i64, d: i64) -> Option<i64> {
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_parse_with_fractions_and_offsets() {
        assert_eq!(parse_time_ms("1970-01-01"), Some(0));
        assert_eq!(
            parse_time_ms("2024-02-29T12:00:00.123Z"),
            Some(1_709_208_000_123)
        );
        assert_eq!(
            parse_time_ms("2024-02-29T14:00:00+02:00"),
            Some(1_709_208_000_000)
        );
        assert_eq!(
            parse_time_ms("2026-11-25T00:34:56.263456Z"),
            Some(1_795_566_896_263)
        );
        assert_eq!(parse_time_ms("yesterday"), None);
    }

    #[test]
    fn recency_halves_its_bonus_every_thirty_days() {
        assert_eq!(recency(0.0), 1.0);
        assert_eq!(recency(30.0), 0.75);
        assert!((0.5..0.51).contains(&recency(3650.0)));
    }
}
