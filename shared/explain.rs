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
