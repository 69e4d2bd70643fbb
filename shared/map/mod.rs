//! `git trace map <id> --bursts`: a session as bursts of work.
//!
//! A *burst* is a run of consecutive steps driven by one intent. A new burst opens
//!
//! * at every user prompt step, and
//! * at any other step that starts more than the idle gap (`--gap`, 10 minutes by default) after
//!   the previous step ended: the person came back, or the agent resumed after a long wait.
//!
//! System steps (session start, end, compaction) never open a burst and do not count for the
//! idle gap: they belong to the burst running when they happen; those before the first opening
//! step belong to the first burst. Every step is in exactly one burst.
//!
//! Per burst the map gives its driving prompt (the last user prompt at or before its first step,
//! so an idle-gap burst still names the intent it continued), its steps by kind, the files its
//! steps named, the patches its snapshot steps made with their survival state today (from
//! [`crate::track`]) and the commits that accepted them (from the anchors on
//! `refs/notes/traces`), and its wall time.

mod html;

pub use html::{burst_table, map_html, map_svg, CSS as MAP_CSS};

use crate::explain::{prompt_of, wall_seconds};
use crate::model::{Step, StepKind, Trace};
use crate::render::first_line;
use crate::store;
use crate::track::{self, PatchState};
use crate::trail::Anchor;
use git2::{Oid, Repository};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Range;

/// Schema of `git trace map --json`.
pub const MAP_SCHEMA: &str = "git-traces/map@1";

/// The idle gap that opens a burst unless told otherwise: long enough for a coffee, short enough
/// that a new task after lunch is its own burst.
pub const DEFAULT_GAP_SECONDS: i64 = 10 * 60;

/// A session cut into bursts (`--json`).
#[derive(Debug, Clone, Serialize)]
pub struct SessionMap {
    pub schema: &'static str,
    pub session: String,
    pub harness: String,
    pub started_at: String,
    pub ended_at: String,
    pub steps: usize,
    pub gap_seconds: i64,
    /// The revision survival states were decided against (`HEAD`), null on an unborn branch.
    pub states_at: Option<String>,
    pub bursts: Vec<Burst>,
}

/// One burst of work.
#[derive(Debug, Clone, Serialize)]
pub struct Burst {
    /// 0-based position among the session's bursts.
    pub index: usize,
    /// First line of the driving prompt; null when no prompt came before the burst.
    pub prompt: Option<String>,
    /// `prompt` (a user step opened it), `idle` (the idle gap did), or `start` (the first burst,
    /// when the session does not begin with a prompt).
    pub opened_by: &'static str,
    pub start_step: u64,
    pub end_step: u64,
    pub started_at: String,
    pub ended_at: String,
    pub wall_seconds: i64,
    pub kinds: BTreeMap<&'static str, usize>,
    pub files: Vec<String>,
    pub patches: Vec<Patch>,
    /// Distinct commits that accepted the burst's patches, in the order first met.
    pub commits: Vec<String>,
}

/// What one snapshot step changed, and what became of it.
#[derive(Debug, Clone, Serialize)]
pub struct Patch {
    pub step: u64,
    pub snapshot: String,
    /// Files the snapshot changed (from the trail).
    pub files: Vec<String>,
    /// The files' common state; `mixed` when they differ, `untracked` when the patch added no
    /// line long enough to identify (only deletions, blank lines, lone braces).
    pub state: String,
    /// The first commit that accepted any of its lines.
    pub commit: Option<String>,
    pub by_file: Vec<FileFate>,
}

/// One file of a patch whose added lines survival tracks: its state and accepting commit.
#[derive(Debug, Clone, Serialize)]
pub struct FileFate {
    pub file: String,
    pub state: &'static str,
    pub lines: usize,
    pub alive: usize,
    pub commit: Option<String>,
    /// Where the lines live now when they moved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub now_in: Option<String>,
}

/// The step ranges of the bursts of `steps` (see the module documentation for the rule).
pub fn burst_ranges(steps: &[Step], gap_seconds: i64) -> Vec<Range<usize>> {
    let mut starts: Vec<usize> = Vec::new();
    let mut last_end: Option<&str> = None;
    for (i, step) in steps.iter().enumerate() {
        if step.kind == StepKind::System {
            continue;
        }
        let idle = last_end.is_some_and(|end| wall_seconds(end, &step.started_at) > gap_seconds);
        if starts.is_empty() || step.kind == StepKind::User || idle {
            starts.push(i);
        }
        last_end = Some(step.ended_at.as_deref().unwrap_or(&step.started_at));
    }
    if starts.is_empty() && !steps.is_empty() {
        starts.push(0);
    }
    // Leading system steps join the first burst.
    if let Some(first) = starts.first_mut() {
        *first = 0;
    }
    let ends = starts.iter().skip(1).copied().chain([steps.len()]);
    starts.iter().zip(ends).map(|(&s, e)| s..e).collect()
}

/// Builds the map of `session`, deciding survival against `HEAD`.
pub fn build(repo: &Repository, trace: &Trace, gap_seconds: i64) -> anyhow::Result<SessionMap> {
    let head = repo.head().ok().and_then(|h| h.peel_to_commit().ok());
    let survival: Vec<PatchState> = match &head {
        Some(h) => track::track(repo, std::slice::from_ref(&trace.id), h.id())?
            .into_iter()
            .flat_map(|s| s.patches)
            .collect(),
        None => Vec::new(),
    };
    let fates = Fates {
        survival,
        accepted: accepting_commits(repo, &trace.id)?,
        files: trail_files(repo, &trace.id)?,
    };
    let bursts = burst_ranges(&trace.steps, gap_seconds)
        .into_iter()
        .enumerate()
        .map(|(i, r)| burst(trace, i, r, &fates))
        .collect();
    Ok(SessionMap {
        schema: MAP_SCHEMA,
        session: trace.id.clone(),
        harness: trace.harness.clone(),
        started_at: trace.started_at.clone(),
        ended_at: trace.ended_at.clone(),
        steps: trace.steps.len(),
        gap_seconds,
        states_at: head.map(|h| h.id().to_string()),
        bursts,
    })
}

/// What became of a session's patches: survival per (step, file), accepting commits per
/// (`Trace-Key`, file), and the files each snapshot step changed.
struct Fates {
    survival: Vec<PatchState>,
    accepted: HashMap<(String, String), Vec<Oid>>,
    files: HashMap<u64, Vec<String>>,
}

/// The files each snapshot step of the session changed, from its trail.
fn trail_files(repo: &Repository, session: &str) -> anyhow::Result<HashMap<u64, Vec<String>>> {
    Ok(crate::capture::trail_patches(repo, session)?
        .into_iter()
        .map(|(step, _, files)| (step, files.into_iter().map(|f| f.path).collect()))
        .collect())
}

/// For each (`Trace-Key`, file) of the session, the commits whose anchors name it, oldest
/// commit first: a patch is accepted where its lines were committed, whatever became of them.
fn accepting_commits(
    repo: &Repository,
    session: &str,
) -> anyhow::Result<HashMap<(String, String), Vec<Oid>>> {
    let mut out: HashMap<(String, String), Vec<(i64, Oid)>> = HashMap::new();
    let notes = match repo.notes(Some(store::NOTES_REF)) {
        Ok(notes) => notes,
        Err(e) if e.code() == git2::ErrorCode::NotFound => return Ok(HashMap::new()),
        Err(e) => return Err(e.into()),
    };
    for note in notes {
        let (_, commit) = note?;
        let time = repo.find_commit(commit).map_or(0, |c| c.time().seconds());
        for line in store::note_lines(repo, commit)? {
            let Ok(anchor) = serde_json::from_str::<Anchor>(&line) else {
                continue;
            };
            if anchor.session == session {
                let commits = out.entry((anchor.key, anchor.file)).or_default();
                if !commits.iter().any(|(_, c)| *c == commit) {
                    commits.push((time, commit));
                }
            }
        }
    }
    Ok(out
        .into_iter()
        .map(|(k, mut v)| {
            v.sort();
            (k, v.into_iter().map(|(_, c)| c).collect())
        })
        .collect())
}

fn burst(trace: &Trace, index: usize, range: Range<usize>, fates: &Fates) -> Burst {
    let steps = &trace.steps[range.clone()];
    let opener = steps
        .iter()
        .find(|s| s.kind != StepKind::System)
        .unwrap_or(&steps[0]);
    let opened_by = match (opener.kind, index) {
        (StepKind::User, _) => "prompt",
        (_, 0) => "start",
        _ => "idle",
    };
    let first = &steps[0];
    let last = &steps[steps.len() - 1];
    let ended_at = last.ended_at.clone().unwrap_or(last.started_at.clone());
    let mut kinds = BTreeMap::new();
    for s in steps {
        *kinds.entry(s.kind.as_str()).or_default() += 1;
    }
    let files: BTreeSet<String> = steps.iter().flat_map(|s| s.paths.clone()).collect();
    let patches: Vec<Patch> = steps
        .iter()
        .filter_map(|s| Some((s, s.snapshot.as_ref()?)))
        .map(|(s, snapshot)| patch(s.index, snapshot, fates))
        .collect();
    let mut commits: Vec<String> = Vec::new();
    for c in patches
        .iter()
        .flat_map(|p| p.by_file.iter().filter_map(|f| f.commit.as_ref()))
    {
        if !commits.contains(c) {
            commits.push(c.clone());
        }
    }
    Burst {
        index,
        prompt: prompt_of(trace, opener.index).map(|p| first_line(&p, 200)),
        opened_by,
        start_step: first.index,
        end_step: last.index,
        started_at: first.started_at.clone(),
        wall_seconds: wall_seconds(&first.started_at, &ended_at),
        ended_at,
        kinds,
        files: files.into_iter().collect(),
        patches,
        commits,
    }
}

fn patch(step: u64, snapshot: &str, fates: &Fates) -> Patch {
    let by_file: Vec<FileFate> = fates
        .survival
        .iter()
        .filter(|p| p.step == step)
        .map(|p| FileFate {
            file: p.file.clone(),
            state: p.state,
            lines: p.lines,
            alive: p.alive,
            commit: fates
                .accepted
                .get(&(p.key.clone(), p.file.clone()))
                .and_then(|c| c.first())
                .map(|c| c.to_string()),
            now_in: p.now_in.clone(),
        })
        .collect();
    let state = match by_file.first() {
        None => "untracked".to_string(),
        Some(f) if by_file.iter().all(|o| o.state == f.state) => f.state.to_string(),
        Some(_) => "mixed".to_string(),
    };
    Patch {
        step,
        snapshot: snapshot.to_string(),
        files: fates.files.get(&step).cloned().unwrap_or_default(),
        state,
        commit: by_file.iter().find_map(|f| f.commit.clone()),
        by_file,
    }
}

/// The text form: a header, then one block per burst.
pub fn render_text(out: &mut dyn std::io::Write, map: &SessionMap) -> std::io::Result<()> {
    use crate::render::{duration, short};
    writeln!(
        out,
        "session {} · {} · {} steps · {} bursts (idle gap > {})",
        short(&map.session),
        map.harness,
        map.steps,
        map.bursts.len(),
        duration(map.gap_seconds)
    )?;
    for b in &map.bursts {
        writeln!(out)?;
        writeln!(
            out,
            "burst {} · steps {}–{} · {} · opened by {}",
            b.index,
            b.start_step,
            b.end_step,
            duration(b.wall_seconds),
            b.opened_by
        )?;
        writeln!(
            out,
            "  prompt   {}",
            b.prompt.as_deref().unwrap_or("(no prompt)")
        )?;
        let kinds: Vec<String> = b.kinds.iter().map(|(k, n)| format!("{n} {k}")).collect();
        writeln!(out, "  steps    {}", kinds.join(" · "))?;
        if !b.files.is_empty() {
            writeln!(out, "  files    {}", b.files.join(", "))?;
        }
        for p in &b.patches {
            let commit = p.commit.as_deref().map(short).unwrap_or("not committed");
            writeln!(
                out,
                "  patch    step {} ({}) → {} · {}  {}",
                p.step,
                short(&p.snapshot),
                p.state,
                commit,
                p.files.join(", ")
            )?;
        }
        if !b.commits.is_empty() {
            let commits: Vec<&str> = b.commits.iter().map(|c| short(c)).collect();
            writeln!(out, "  commits  {}", commits.join(", "))?;
        }
    }
    Ok(())
}

/// Steps the HTML band samples the context window at, at most: the band is a few hundred pixels
/// of shape, and each window costs a pass over the session's nodes.
const BAND_SAMPLES: u64 = 240;

/// The context window's size in tokens right before evenly spaced steps, as `(step, tokens)`
/// (every step of a session up to [`BAND_SAMPLES`] steps long): what the HTML band draws. None
/// when the session has no ctx nodes to estimate it from. The same sum as
/// [`crate::ctx::Session::window`]'s `tokens`, without building each window's item list.
pub fn window_tokens(ctx: &crate::ctx::Session) -> Option<Vec<(u64, u64)>> {
    if ctx.nodes.is_empty() {
        return None;
    }
    let steps = ctx.trace.steps.len() as u64;
    let every = steps.div_ceil(BAND_SAMPLES).max(1);
    Some(
        (0..steps)
            .step_by(every as usize)
            .map(|i| {
                let tokens = ctx
                    .window_nodes(i)
                    .map_or(0, |nodes| nodes.iter().map(|&n| ctx.nodes[n].tokens).sum());
                (i, tokens)
            })
            .collect(),
    )
}
