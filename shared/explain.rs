//! `git trail blame commit <rev>`: what were we trying to do here?
//!
//! The sessions behind a commit, from its anchors: the prompts that drove the anchored steps (the
//! intent), the commit message, each added hunk with the step that produced it and whether its
//! lines are still alive today, and per session the harness, models, wall time and step count.

use crate::model::{StepKind, Trace};
use crate::read;
use crate::store;
use crate::trail::{self, Anchor, Renames};
use git2::{Oid, Repository};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

#[derive(Debug, Serialize)]
pub struct CommitStory {
    pub schema: &'static str,
    pub commit: String,
    pub subject: String,
    pub message: String,
    pub author: String,
    pub time: i64,
    pub sessions: Vec<SessionPart>,
    pub hunks: Vec<Hunk>,
    /// Added lines no step produced: written by a person.
    pub human_lines: usize,
    pub agent_lines: usize,
}

/// One session's part in the commit.
#[derive(Debug, Serialize)]
pub struct SessionPart {
    pub session: String,
    pub harness: String,
    pub models: Vec<String>,
    pub started_at: String,
    pub ended_at: String,
    /// Steps in the whole session.
    pub steps: usize,
    /// The user prompts behind the anchored steps, in order.
    pub prompts: Vec<String>,
}

/// A block of added lines and who wrote it.
#[derive(Debug, Serialize)]
pub struct Hunk {
    pub file: String,
    pub lines: [u32; 2],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prompt: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tier: Option<String>,
    /// Survival of the step's patch in this file today (from `git trail track`), for agent hunks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<&'static str>,
}

/// The prompt a step answered: the text of the last user step at or before it.
pub fn prompt_of(trace: &Trace, step: u64) -> Option<String> {
    trace
        .steps
        .iter()
        .take(step as usize + 1)
        .rev()
        .find(|s| s.kind == StepKind::User)
        .map(|s| {
            s.text
                .as_ref()
                .map_or(s.summary.clone(), |t| t.text.clone())
        })
}

pub fn commit_story(repo: &Repository, commit: Oid) -> anyhow::Result<CommitStory> {
    let c = repo.find_commit(commit)?;
    let anchors: Vec<Anchor> = store::note_lines(repo, commit)?
        .iter()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let mut traces: HashMap<String, Option<Trace>> = HashMap::new();
    for a in &anchors {
        traces
            .entry(a.session.clone())
            .or_insert_with(|| read::load_trace(repo, &a.session).ok());
    }
    let head = repo.head()?.peel_to_commit()?.id();
    let sessions_ids: Vec<String> = traces.keys().cloned().collect();
    let survival = crate::track::track(repo, &sessions_ids, head)?;
    let state_of = |session: &str, key: &str, file: &str| {
        survival
            .iter()
            .filter(|s| s.session == session)
            .flat_map(|s| &s.patches)
            .find(|p| p.key == key && (p.file == file || p.now_in.as_deref() == Some(file)))
            .map(|p| p.state)
    };
    // Owner of each added line, by file and line number.
    let mut owner: HashMap<(&str, u32), &Anchor> = HashMap::new();
    for a in &anchors {
        for [start, end] in &a.lines {
            for n in *start..=*end {
                owner.insert((a.file.as_str(), n), a);
            }
        }
    }
    let parent = c.parent(0).ok().map(|p| p.tree_id());
    let mut hunks = Vec::new();
    let (mut human, mut agent) = (0, 0);
    for file in trail::diff_trees(repo, parent, c.tree_id(), Renames::Ignore)? {
        for block in trail::added_blocks(&file.patch) {
            // Split the block where its owner changes.
            let owners: Vec<Option<&Anchor>> = (0..block.lines.len() as u32)
                .map(|i| owner.get(&(file.path.as_str(), block.start + i)).copied())
                .collect();
            let step_of = |w: Option<&Anchor>| w.map(|a| (a.session.clone(), a.step));
            let mut i = 0;
            while i < owners.len() {
                let who = owners[i];
                let mut j = i + 1;
                while j < owners.len() && step_of(owners[j]) == step_of(who) {
                    j += 1;
                }
                match who {
                    Some(_) => agent += j - i,
                    None => human += j - i,
                }
                hunks.push(Hunk {
                    file: file.path.clone(),
                    lines: [block.start + i as u32, block.start + j as u32 - 1],
                    session: who.map(|a| a.session.clone()),
                    step: who.map(|a| a.step),
                    prompt: who.and_then(|a| {
                        traces
                            .get(&a.session)?
                            .as_ref()
                            .and_then(|t| prompt_of(t, a.step))
                    }),
                    tier: who.map(|a| a.tier.clone()),
                    state: who.and_then(|a| state_of(&a.session, &a.key, &file.path)),
                });
                i = j;
            }
        }
    }
    let mut sessions: Vec<SessionPart> = Vec::new();
    let mut steps_of: BTreeMap<&str, Vec<u64>> = BTreeMap::new();
    for a in &anchors {
        steps_of.entry(a.session.as_str()).or_default().push(a.step);
    }
    for (session, mut steps) in steps_of {
        steps.sort_unstable();
        steps.dedup();
        let trace = traces.get(session).and_then(Option::as_ref);
        let mut prompts: Vec<String> = Vec::new();
        for step in steps {
            if let Some(p) = trace.and_then(|t| prompt_of(t, step)) {
                if !prompts.contains(&p) {
                    prompts.push(p);
                }
            }
        }
        sessions.push(SessionPart {
            session: session.to_string(),
            harness: trace.map(|t| t.harness.clone()).unwrap_or_default(),
            models: trace.map(|t| t.models.clone()).unwrap_or_default(),
            started_at: trace.map(|t| t.started_at.clone()).unwrap_or_default(),
            ended_at: trace.map(|t| t.ended_at.clone()).unwrap_or_default(),
            steps: trace.map_or(0, |t| t.steps.len()),
            prompts,
        });
    }
    let message = c.message().unwrap_or_default().to_string();
    let author = c.author().name().unwrap_or_default().to_string();
    Ok(CommitStory {
        schema: "git-traces/commit-story@1",
        commit: commit.to_string(),
        subject: message.lines().next().unwrap_or_default().to_string(),
        message,
        author,
        time: c.time().seconds(),
        sessions,
        hunks,
        human_lines: human,
        agent_lines: agent,
    })
}

/// The schema of [`PrStory`] in `git trail blame pr render --format json`.
pub const PR_STORY_SCHEMA: &str = "git-traces/pr-story@1";

/// `git trail blame pr render`: the commits of a branch, oldest first, each told by its
/// [`commit_story`], with totals for the header of a pull request.
///
/// States come from `commit_story`, which checks survival against `HEAD`; `states_at` names that
/// commit, so a range rendered from another branch says what its states mean.
#[derive(Debug, Serialize)]
pub struct PrStory {
    pub schema: &'static str,
    /// The range as `<base>..<head>` object ids; [`PrRange`] gives the names.
    pub base: String,
    pub head: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub head_name: Option<String>,
    /// The commit hunk states were checked against (`HEAD` when the story was built).
    pub states_at: String,
    pub totals: PrTotals,
    pub commits: Vec<PrCommit>,
}

/// The header line: `2 / 2 commits traced to intent · 13 hunks, 12 alive · 41 m · 92 steps · 2
/// traces`. Wall time and steps are summed over distinct sessions, not per commit.
#[derive(Debug, Default, Serialize)]
pub struct PrTotals {
    pub commits: usize,
    /// Commits with at least one hunk an agent step wrote.
    pub traced: usize,
    pub hunks: usize,
    pub alive: usize,
    pub agent_hunks: usize,
    /// Agent hunks whose step's prompt is one of their commit's intents.
    pub aligned_hunks: usize,
    pub human_hunks: usize,
    pub agent_lines: usize,
    pub human_lines: usize,
    pub wall_seconds: i64,
    pub steps: usize,
    /// Distinct sessions.
    pub traces: usize,
}

/// One commit of the range.
#[derive(Debug, Serialize)]
pub struct PrCommit {
    pub commit: String,
    pub subject: String,
    pub message: String,
    pub author: String,
    pub time: i64,
    pub traced: bool,
    /// The prompts behind the commit's anchored steps, session by session, without repeats.
    pub intents: Vec<String>,
    pub alignment: Alignment,
    pub scope: Scope,
    pub agents: Vec<String>,
    pub models: Vec<String>,
    /// Sum over the commit's sessions (a session behind two commits counts in both).
    pub wall_seconds: i64,
    pub steps: usize,
    pub sessions: Vec<PrSession>,
    pub hunks: Vec<PrHunk>,
}

/// How much of a commit's agent work answers its intent.
#[derive(Debug, Default, Serialize)]
pub struct Alignment {
    pub agent_hunks: usize,
    pub aligned: usize,
    pub human_hunks: usize,
}

/// How much a commit added and how much of it lives today.
#[derive(Debug, Default, Serialize)]
pub struct Scope {
    pub hunks: usize,
    /// Hunks whose state is `alive_*` or `partially_preserved`; hunks written by hand carry no
    /// state and are not counted.
    pub alive: usize,
    pub agent_lines: usize,
    pub human_lines: usize,
}

/// A session behind a commit.
#[derive(Debug, Serialize)]
pub struct PrSession {
    pub session: String,
    pub harness: String,
    pub models: Vec<String>,
    pub started_at: String,
    pub ended_at: String,
    pub wall_seconds: i64,
    pub steps: usize,
}

/// A [`Hunk`] with its verdicts and the lines it added (read from the commit's tree).
#[derive(Debug, Serialize)]
pub struct PrHunk {
    #[serde(flatten)]
    pub hunk: Hunk,
    pub alive: bool,
    pub aligned: bool,
    pub added: Vec<String>,
}

/// The two ends of a pull request and how the base was chosen.
#[derive(Debug, Clone)]
pub struct PrRange {
    pub base: Oid,
    pub head: Oid,
    pub base_name: String,
    pub head_name: String,
    /// Why this base: `given`, `upstream`, or `merge-base with <name>`.
    pub found_by: String,
}

/// Whether a survival state means the lines are still in today's history.
pub fn is_alive(state: &str) -> bool {
    state.starts_with("alive_") || state == "partially_preserved"
}

/// Resolves `<base>..<head>`, `<base>..`, `<base>` (against `HEAD`), or, without a spec, the
/// current branch against its upstream, else against its merge-base with `main`, `master` or
/// `origin/HEAD` (the first that exists and is not the branch itself).
pub fn pr_range(repo: &Repository, spec: Option<&str>) -> anyhow::Result<PrRange> {
    let commit = |rev: &str| -> anyhow::Result<Oid> {
        repo.revparse_single(rev)
            .and_then(|o| o.peel_to_commit())
            .map(|c| c.id())
            .map_err(|e| anyhow::anyhow!("bad revision '{rev}': {}", e.message()))
    };
    let head_name = || {
        repo.head()
            .ok()
            .and_then(|h| h.shorthand().map(str::to_string))
            .filter(|n| n != "HEAD")
            .unwrap_or_else(|| "HEAD".to_string())
    };
    if let Some(spec) = spec {
        if spec.contains("...") {
            anyhow::bail!("'{spec}' is a symmetric range\nhint: name the range as <base>..<head>");
        }
        let (base, head) = match spec.split_once("..") {
            Some((b, h)) => (b, if h.is_empty() { "HEAD" } else { h }),
            None => (spec, "HEAD"),
        };
        if base.is_empty() {
            anyhow::bail!("'{spec}' has no base\nhint: name the range as <base>..<head>");
        }
        return Ok(PrRange {
            base: commit(base)?,
            head: commit(head)?,
            base_name: base.to_string(),
            head_name: if head == "HEAD" {
                head_name()
            } else {
                head.to_string()
            },
            found_by: "given".into(),
        });
    }
    let head = commit("HEAD")?;
    let branch = head_name();
    if let Ok(upstream) = repo.revparse_single("@{upstream}") {
        let name = repo
            .branch_upstream_name(&format!("refs/heads/{branch}"))
            .ok()
            .and_then(|b| b.as_str().map(str::to_string))
            .map(|n| {
                n.trim_start_matches("refs/remotes/")
                    .trim_start_matches("refs/heads/")
                    .to_string()
            })
            .unwrap_or_else(|| "@{upstream}".into());
        return Ok(PrRange {
            base: upstream.peel_to_commit()?.id(),
            head,
            base_name: name,
            head_name: branch,
            found_by: "upstream".into(),
        });
    }
    for name in ["main", "master", "origin/HEAD"] {
        if name == branch {
            continue;
        }
        let Ok(other) = repo.revparse_single(name).and_then(|o| o.peel_to_commit()) else {
            continue;
        };
        let Ok(base) = repo.merge_base(head, other.id()) else {
            continue;
        };
        return Ok(PrRange {
            base,
            head,
            base_name: name.to_string(),
            head_name: branch,
            found_by: format!("merge-base with {name}"),
        });
    }
    anyhow::bail!(
        "cannot tell what {branch} is a pull request against: it has no upstream and no main, master or origin/HEAD shares history with it\nhint: name the range, as in 'git trail blame pr render trunk..{branch}', or set one with 'git branch --set-upstream-to=<branch>'"
    )
}

/// Seconds since the epoch of an RFC 3339 UTC timestamp as we write them
/// (`2026-11-25T00:34:56.263Z`); fractions are dropped, offsets other than `Z` are not accepted.
fn unix_seconds(t: &str) -> Option<i64> {
    let num = |r: std::ops::Range<usize>| -> Option<i64> { t.get(r)?.parse().ok() };
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hh, mm, ss) = (num(11..13)?, num(14..16)?, num(17..19)?);
    // Howard Hinnant's days_from_civil.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + hh * 3600 + mm * 60 + ss)
}

/// Wall time of a session: from its first to its last event; 0 when either is unreadable.
pub fn wall_seconds(started: &str, ended: &str) -> i64 {
    match (unix_seconds(started), unix_seconds(ended)) {
        (Some(a), Some(b)) if b >= a => b - a,
        _ => 0,
    }
}

/// Lines `start..=end` (1-based) of `path` in `commit`'s tree; empty for a binary or missing blob.
fn lines_in(
    repo: &Repository,
    commit: &git2::Commit,
    path: &str,
    [start, end]: [u32; 2],
) -> Vec<String> {
    let Ok(entry) = commit
        .tree()
        .and_then(|t| t.get_path(std::path::Path::new(path)))
    else {
        return Vec::new();
    };
    let Ok(blob) = repo.find_blob(entry.id()) else {
        return Vec::new();
    };
    if blob.is_binary() {
        return Vec::new();
    }
    String::from_utf8_lossy(blob.content())
        .lines()
        .skip(start.saturating_sub(1) as usize)
        .take((end + 1).saturating_sub(start) as usize)
        .map(str::to_string)
        .collect()
}

/// The story of the commits in `base..head`, oldest first (topological, like a pull request's
/// commit list), each from [`commit_story`].
pub fn pr_story(repo: &Repository, base: Oid, head: Oid) -> anyhow::Result<PrStory> {
    let mut walk = repo.revwalk()?;
    walk.set_sorting(git2::Sort::TOPOLOGICAL | git2::Sort::REVERSE)?;
    walk.push(head)?;
    walk.hide(base)?;
    let oids: Vec<Oid> = walk.collect::<Result<_, _>>()?;
    let states_at = repo
        .head()
        .ok()
        .and_then(|h| h.target())
        .map(|o| o.to_string())
        .unwrap_or_default();
    let mut totals = PrTotals::default();
    let mut seen: BTreeMap<String, (i64, usize)> = BTreeMap::new();
    let mut commits = Vec::with_capacity(oids.len());
    for oid in oids {
        let story = commit_story(repo, oid)?;
        let c = repo.find_commit(oid)?;
        let mut intents: Vec<String> = Vec::new();
        let (mut agents, mut models): (Vec<String>, Vec<String>) = (Vec::new(), Vec::new());
        let mut sessions = Vec::new();
        for s in story.sessions {
            for p in s.prompts {
                if !intents.contains(&p) {
                    intents.push(p);
                }
            }
            if !s.harness.is_empty() && !agents.contains(&s.harness) {
                agents.push(s.harness.clone());
            }
            for m in &s.models {
                if !models.contains(m) {
                    models.push(m.clone());
                }
            }
            let wall = wall_seconds(&s.started_at, &s.ended_at);
            seen.insert(s.session.clone(), (wall, s.steps));
            sessions.push(PrSession {
                session: s.session,
                harness: s.harness,
                models: s.models,
                started_at: s.started_at,
                ended_at: s.ended_at,
                wall_seconds: wall,
                steps: s.steps,
            });
        }
        let mut alignment = Alignment::default();
        let mut scope = Scope {
            agent_lines: story.agent_lines,
            human_lines: story.human_lines,
            ..Scope::default()
        };
        let hunks: Vec<PrHunk> = story
            .hunks
            .into_iter()
            .map(|hunk| {
                let alive = hunk.state.is_some_and(is_alive);
                let aligned = hunk.prompt.as_ref().is_some_and(|p| intents.contains(p));
                if hunk.session.is_some() {
                    alignment.agent_hunks += 1;
                    alignment.aligned += usize::from(aligned);
                } else {
                    alignment.human_hunks += 1;
                }
                scope.hunks += 1;
                scope.alive += usize::from(alive);
                let added = lines_in(repo, &c, &hunk.file, hunk.lines);
                PrHunk {
                    hunk,
                    alive,
                    aligned,
                    added,
                }
            })
            .collect();
        let traced = alignment.agent_hunks > 0;
        totals.commits += 1;
        totals.traced += usize::from(traced);
        totals.hunks += scope.hunks;
        totals.alive += scope.alive;
        totals.agent_hunks += alignment.agent_hunks;
        totals.aligned_hunks += alignment.aligned;
        totals.human_hunks += alignment.human_hunks;
        totals.agent_lines += scope.agent_lines;
        totals.human_lines += scope.human_lines;
        commits.push(PrCommit {
            commit: story.commit,
            subject: story.subject,
            message: story.message,
            author: story.author,
            time: story.time,
            traced,
            intents,
            alignment,
            scope,
            agents,
            models,
            wall_seconds: sessions.iter().map(|s| s.wall_seconds).sum(),
            steps: sessions.iter().map(|s| s.steps).sum(),
            sessions,
            hunks,
        });
    }
    totals.traces = seen.len();
    totals.wall_seconds = seen.values().map(|(w, _)| w).sum();
    totals.steps = seen.values().map(|(_, s)| s).sum();
    Ok(PrStory {
        schema: PR_STORY_SCHEMA,
        base: base.to_string(),
        head: head.to_string(),
        base_name: None,
        head_name: None,
        states_at,
        totals,
        commits,
    })
}

#[cfg(test)]
mod pr_tests {
    use super::*;

    #[test]
    fn reads_our_timestamps() {
        assert_eq!(unix_seconds("1970-01-01T00:00:00.000Z"), Some(0));
        assert_eq!(unix_seconds("2000-03-01T00:00:01Z"), Some(951_868_801));
        assert_eq!(
            wall_seconds("2026-11-25T23:59:30.100Z", "2026-11-26T00:41:30.900Z"),
            42 * 60
        );
        assert_eq!(wall_seconds("garbage", "2026-11-26T00:41:30.900Z"), 0);
    }

    #[test]
    fn alive_states() {
        for s in [
            "alive_on_path",
            "alive_moved",
            "alive_transformed",
            "partially_preserved",
        ] {
            assert!(is_alive(s), "{s}");
        }
        for s in ["lost", "reverted", "never_committed"] {
            assert!(!is_alive(s), "{s}");
        }
    }
}
