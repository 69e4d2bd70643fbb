//! Tying user commits to the agent steps behind them, from the git hooks.
//!
//! `post-commit` anchors a new commit against what recently sealed sessions added
//! ([`anchor`]). `post-rewrite` (amend, rebase, squash, fixup, `pull --rebase`) re-anchors each
//! rewritten commit against the same sessions plus the anchors of the commits it replaces
//! ([`carry`]): the content they pointed at is looked for again in the new commit, so line
//! numbers follow the rewrite and nothing depends on sessions still being recent. Notes of the
//! replaced commits are never removed: a dropped commit's anchors stay as evidence that its lines
//! were lost.

use super::seal::previous_trail;
use crate::store;
use crate::trail::{self, Anchor, Evidence, StepBlock};
use git2::{Oid, Repository};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// How far back the hooks look for sessions whose work a commit may contain.
const ANCHOR_WINDOW_SECS: i64 = 30 * 24 * 3600;

/// `.git/traces/cache/seals.json`: per session, the seal it was read at, that seal's time and
/// whether its trail holds agent patches. A commit in a repository of 10,000 sessions then reads
/// only the trails that can hold evidence, not every seal and trail.
#[derive(Default, Serialize, Deserialize)]
struct SealCache {
    schema: String,
    sessions: BTreeMap<String, SealFacts>,
}

#[derive(Clone, Serialize, Deserialize)]
struct SealFacts {
    seal: String,
    time: i64,
    patches: bool,
}

const SEAL_CACHE: &str = "seals.json";
const SEAL_CACHE_SCHEMA: &str = "git-traces/seal-cache@1";

type Patches = Vec<(u64, String, Vec<trail::FilePatch>)>;

/// What the sessions sealed in the last [`ANCHOR_WINDOW_SECS`] added, oldest session first.
fn session_evidence(repo: &Repository) -> store::Result<Evidence> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let traces = store::Traces::of(repo);
    let cache: SealCache = std::fs::read(traces.dir.join("cache").join(SEAL_CACHE))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .filter(|c: &SealCache| c.schema == SEAL_CACHE_SCHEMA)
        .unwrap_or_default();
    let mut fresh = SealCache {
        schema: SEAL_CACHE_SCHEMA.into(),
        sessions: BTreeMap::new(),
    };
    let mut read_now: BTreeMap<String, Patches> = BTreeMap::new();
    let mut sealed: Vec<(i64, String)> = Vec::new();
    for (id, seal) in store::tips(repo, store::SESSIONS_PREFIX)? {
        let facts = match cache.sessions.get(&id) {
            Some(f) if f.seal == seal.to_string() => f.clone(),
            _ => {
                let patches = trail_patches(repo, &id)?;
                let facts = SealFacts {
                    seal: seal.to_string(),
                    time: repo.find_commit(seal)?.time().seconds(),
                    patches: !patches.is_empty(),
                };
                read_now.insert(id.clone(), patches);
                facts
            }
        };
        if facts.patches && now - facts.time <= ANCHOR_WINDOW_SECS {
            sealed.push((facts.time, id.clone()));
        }
        fresh.sessions.insert(id, facts);
    }
    if !read_now.is_empty() || fresh.sessions.len() != cache.sessions.len() {
        store::write_cache(
            &traces,
            SEAL_CACHE,
            &serde_json::to_vec(&fresh).expect("cache serialises"),
        );
    }
    sealed.sort();
    let mut evidence = Evidence::default();
    for (_, session) in &sealed {
        let patches = match read_now.remove(session) {
            Some(p) => p,
            None => trail_patches(repo, session)?,
        };
        for (step, key, files) in patches {
            evidence.add_patch(session, step, &key, &files);
        }
    }
    Ok(evidence)
}

/// The patches of a sealed session's agent steps, in trail order: (step, `Trace-Key`, files).
/// Snapshots of changes made outside the agent are left out.
pub fn trail_patches(repo: &Repository, session: &str) -> store::Result<Patches> {
    let Some(seal) = store::sealed_commit(repo, session)? else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for line in previous_trail(repo, Some(seal))?.values {
        let (Some(step), Some(key), false) = (
            line["step"].as_u64(),
            line["key"].as_str(),
            line["external"].as_bool().unwrap_or(false),
        ) else {
            continue;
        };
        let files = serde_json::from_value(line["files"].clone()).unwrap_or_default();
        out.push((step, key.to_string(), files));
    }
    Ok(out)
}

/// Anchors `commit` and adds the anchors to its note. Returns how many it found.
fn anchor_with(repo: &Repository, commit: Oid, evidence: &Evidence) -> store::Result<usize> {
    let anchors = trail::anchor_commit(repo, commit, evidence)?;
    let lines: Vec<String> = anchors
        .iter()
        .map(|a| serde_json::to_string(a).expect("anchor serialises"))
        .collect();
    if !lines.is_empty() {
        store::add_note_lines(repo, commit, &lines)?;
    }
    Ok(anchors.len())
}

/// `post-commit`: anchors `commit` to the steps of recently sealed sessions that produced its
/// added lines. Returns the number of anchors written.
pub fn anchor(repo: &Repository, commit: Oid) -> store::Result<usize> {
    let evidence = session_evidence(repo)?;
    if evidence.blocks.is_empty() {
        return Ok(0);
    }
    anchor_with(repo, commit, &evidence)
}

/// `post-rewrite`: for each `(old, new)` pair git reported (several olds per new for squash and
/// fixup), anchors `new` with the anchors of its olds as extra evidence. Returns the number of
/// anchors written.
pub fn carry(repo: &Repository, rewritten: &[(Oid, Oid)]) -> store::Result<usize> {
    let mut olds_of: BTreeMap<Oid, Vec<Oid>> = BTreeMap::new();
    for (old, new) in rewritten {
        olds_of.entry(*new).or_default().push(*old);
    }
    let sessions = session_evidence(repo)?;
    let mut written = 0;
    for (new, olds) in olds_of {
        let mut evidence = Evidence {
            blocks: sessions.blocks.clone(),
        };
        for old in olds {
            evidence.blocks.extend(anchored_content(repo, old)?);
        }
        if !evidence.blocks.is_empty() {
            written += anchor_with(repo, new, &evidence)?;
        }
    }
    Ok(written)
}

/// The lines `commit`'s anchors point at, as evidence for the steps they name. Anchors whose
/// commit or file is gone, or that cannot be read, are skipped: they stay in the old note.
fn anchored_content(repo: &Repository, commit: Oid) -> store::Result<Vec<StepBlock>> {
    let Ok(tree) = repo.find_commit(commit).and_then(|c| c.tree()) else {
        return Ok(Vec::new());
    };
    let mut blocks = Vec::new();
    for line in store::note_lines(repo, commit)? {
        let Ok(anchor) = serde_json::from_str::<Anchor>(&line) else {
            continue;
        };
        let Some(text) = tree
            .get_path(Path::new(&anchor.file))
            .ok()
            .and_then(|e| repo.find_blob(e.id()).ok())
            .map(|b| String::from_utf8_lossy(b.content()).into_owned())
        else {
            continue;
        };
        let file_lines: Vec<&str> = text.lines().collect();
        for [start, end] in &anchor.lines {
            let range = (*start as usize).saturating_sub(1)..(*end as usize).min(file_lines.len());
            if range.is_empty() {
                continue;
            }
            blocks.push(StepBlock {
                session: anchor.session.clone(),
                step: anchor.step,
                key: anchor.key.clone(),
                file: anchor.file.clone(),
                lines: file_lines[range].iter().map(|l| l.to_string()).collect(),
            });
        }
    }
    Ok(blocks)
}
