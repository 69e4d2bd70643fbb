//! Survival: did the agent's work land, and is it still alive?
//!
//! A *patch* is one block of lines an agent step added to one file (between two snapshots of its
//! session's trail). Each patch gets one state, decided against a revision (`HEAD` by default)
//! from the anchors on `refs/notes/traces` and the content of that revision:
//!
//! * `never_committed` — no commit anywhere carries an anchor for the step's lines.
//! * `lost` — anchored only in commits that are no longer in the revision's history (dropped in a
//!   rebase, reset away), or committed and later removed by a commit that is not a revert (the
//!   evidence names that commit).
//! * `reverted` — committed, then removed by `git revert` (the remover's message says "This
//!   reverts commit") or by a manual undo (the file went back to what it was before the patch).
//! * `alive_on_path` — every line of the patch is in the revision, in the file it was written to.
//! * `alive_moved` — every line is in the revision, in another file its anchors followed
//!   (a move or a rename).
//! * `alive_transformed` — every line is there up to whitespace (re-indented, reformatted).
//! * `repaired` — some lines are there, and every missing one was rewritten where it stood (the
//!   diff from the committed version replaces it with other lines): a fix on top of the agent's
//!   code.
//! * `partially_preserved` — some of its lines are there, others were deleted (the evidence gives
//!   the fraction: `alive` of `lines`).
//! * `unknown` — the patch was committed in a commit this repository does not have (a shallow or
//!   partial clone), so whether it is in the revision's history cannot be told here.
//!
//! Lines too short to identify (blank, a lone brace) are not counted. Nothing here shells out:
//! file contents come from the object database, history from a revwalk. Results are cached in
//! `.git/traces/cache/track.json` by the revision and notes they were computed at.

use crate::capture::trail_patches;
use crate::store;
use crate::trail::{added_blocks, Anchor};
use git2::{Oid, Repository};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

/// The state of one patch, with what decided it.
#[derive(Debug, Clone, Serialize)]
pub struct PatchState {
    pub session: String,
    pub step: u64,
    pub key: String,
    pub file: String,
    /// Lines the patch added (counted ones only).
    pub lines: usize,
    /// Of those, how many are in the revision.
    pub alive: usize,
    pub state: &'static str,
    /// The commit that removed or reverted the lines, or the one they were committed in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// Where the lines live now when not on their own path.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub now_in: Option<String>,
}

/// Every patch of one session with its state, and the totals.
#[derive(Debug, Clone, Serialize)]
pub struct SessionSurvival {
    pub schema: &'static str,
    pub session: String,
    pub by_state: BTreeMap<&'static str, usize>,
    pub lines_written: usize,
    pub lines_alive: usize,
    /// Lines of patches no commit ever carried: work that never reached git history.
    pub lines_never_committed: usize,
    pub patches: Vec<PatchState>,
}

/// What `git trail track --json` prints: the totals over all sessions, then each session.
#[derive(Debug, Clone, Serialize)]
pub struct TrackReport {
    pub schema: &'static str,
    /// The revision the states were decided against.
    pub rev: String,
    pub overall: Totals,
    pub sessions: Vec<SessionSurvival>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Totals {
    pub sessions: usize,
    pub patches: usize,
    pub by_state: BTreeMap<&'static str, usize>,
    pub lines_written: usize,
    pub lines_alive: usize,
    pub lines_never_committed: usize,
}

impl TrackReport {
    pub fn new(rev: Oid, sessions: Vec<SessionSurvival>) -> TrackReport {
        let mut overall = Totals {
            sessions: sessions.len(),
            ..Totals::default()
        };
        for s in &sessions {
            overall.patches += s.patches.len();
            overall.lines_written += s.lines_written;
            overall.lines_alive += s.lines_alive;
            overall.lines_never_committed += s.lines_never_committed;
            for (state, n) in &s.by_state {
                *overall.by_state.entry(state).or_default() += n;
            }
        }
        TrackReport {
            schema: "git-traces/track-report@1",
            rev: rev.to_string(),
            overall,
            sessions,
        }
    }
}

fn counted(line: &str) -> bool {
    line.chars().filter(|c| c.is_alphanumeric()).count() >= 3
}

fn normalised(line: &str) -> String {
    line.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Every anchor on `refs/notes/traces`, with the commit it annotates.
fn all_anchors(repo: &Repository) -> store::Result<Vec<(Oid, Anchor)>> {
    let mut out = Vec::new();
    let notes = match repo.notes(Some(store::NOTES_REF)) {
        Ok(notes) => notes,
        Err(e) if e.code() == git2::ErrorCode::NotFound => return Ok(out),
        Err(e) => return Err(e.into()),
    };
    for note in notes {
        let (_, commit) = note?;
        for line in store::note_lines(repo, commit)? {
            if let Ok(anchor) = serde_json::from_str::<Anchor>(&line) {
                out.push((commit, anchor));
            }
        }
    }
    Ok(out)
}

/// The text of `path` at `commit`, if it exists there.
fn file_at(repo: &Repository, commit: Oid, path: &str) -> Option<String> {
    let tree = repo.find_commit(commit).ok()?.tree().ok()?;
    let entry = tree.get_path(Path::new(path)).ok()?;
    let blob = repo.find_blob(entry.id()).ok()?;
    Some(String::from_utf8_lossy(blob.content()).into_owned())
}

/// Every state this module decides (cached names are turned back into them, and datasets count
/// patches by them).
pub const STATES: &[&str] = &[
    "never_committed",
    "lost",
    "reverted",
    "alive_on_path",
    "alive_moved",
    "alive_transformed",
    "partially_preserved",
    "repaired",
    "unknown",
];

/// Cached states are read back through a mirror with an owned state name.
impl<'de> Deserialize<'de> for PatchState {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Stored {
            session: String,
            step: u64,
            key: String,
            file: String,
            lines: usize,
            alive: usize,
            state: String,
            #[serde(default)]
            commit: Option<String>,
            #[serde(default)]
            now_in: Option<String>,
        }
        let s = Stored::deserialize(d)?;
        Ok(PatchState {
            state: STATES
                .iter()
                .copied()
                .find(|n| *n == s.state)
                .unwrap_or("unknown"),
            session: s.session,
            step: s.step,
            key: s.key,
            file: s.file,
            lines: s.lines,
            alive: s.alive,
            commit: s.commit,
            now_in: s.now_in,
        })
    }
}

/// What deciding a state needs beyond the patch: every anchor, and questions about the
/// revision's history answered as they come — whether a commit is in it, which of some commits
/// is the newest, what came after one — so a patch committed last week costs the commits since
/// then, not the whole history (a 1,000,000-commit history took 10 s to walk up front).
struct History {
    rev: Oid,
    anchors: Vec<(Oid, Anchor)>,
    reachable: std::cell::RefCell<HashMap<Oid, bool>>,
}

impl History {
    fn reachable(&self, repo: &Repository, commit: Oid) -> bool {
        *self
            .reachable
            .borrow_mut()
            .entry(commit)
            .or_insert_with(|| {
                commit == self.rev || repo.graph_descendant_of(self.rev, commit).unwrap_or(false)
            })
    }

    /// The newest of `commits` (all in the history): the first a walk back from the revision
    /// meets.
    fn newest(&self, repo: &Repository, commits: &[Oid]) -> Option<Oid> {
        if commits.len() < 2 {
            return commits.first().copied();
        }
        let mut walk = repo.revwalk().ok()?;
        walk.push(self.rev).ok()?;
        walk.set_sorting(git2::Sort::TOPOLOGICAL).ok()?;
        for c in commits {
            // Nothing older than the commits asked about needs walking.
            for parent in repo.find_commit(*c).ok()?.parent_ids() {
                let _ = walk.hide(parent);
            }
        }
        walk.flatten().find(|c| commits.contains(c))
    }

    /// The commits after `commit` up to the revision, newest first.
    fn since(&self, repo: &Repository, commit: Oid) -> Vec<Oid> {
        let Ok(mut walk) = repo.revwalk() else {
            return Vec::new();
        };
        if walk.push(self.rev).is_err() || walk.hide(commit).is_err() {
            return Vec::new();
        }
        let _ = walk.set_sorting(git2::Sort::TOPOLOGICAL);
        walk.flatten().collect()
    }
}

/// `.git/traces/cache/track.json`: the states computed at one revision, with the notes tip and
/// each session's seal they were computed from. Deleting it loses nothing.
#[derive(Serialize, Deserialize, Default)]
struct Cache {
    schema: String,
    rev: String,
    notes: Option<String>,
    sessions: BTreeMap<String, CachedSession>,
}

#[derive(Serialize, Deserialize)]
struct CachedSession {
    seal: String,
    patches: Vec<PatchState>,
}

const CACHE_SCHEMA: &str = "git-traces/track-cache@1";

/// Files whose patches must be re-evaluated since the cache was made: those the commits from its
/// revision to `rev` touched, and those named by notes added or changed since. None when the
/// cache cannot be used incrementally (no cache, or `rev` does not descend from its revision).
fn touched_since(
    repo: &Repository,
    cache: &Cache,
    rev: Oid,
    notes: Option<Oid>,
) -> Option<HashSet<String>> {
    let from = Oid::from_str(&cache.rev).ok()?;
    if from != rev && !repo.graph_descendant_of(rev, from).ok()? {
        return None;
    }
    let mut files = HashSet::new();
    let tree = |c: Oid| repo.find_commit(c).and_then(|c| c.tree()).ok();
    let diff = repo
        .diff_tree_to_tree(tree(from).as_ref(), tree(rev).as_ref(), None)
        .ok()?;
    for delta in diff.deltas() {
        for f in [delta.old_file(), delta.new_file()] {
            if let Some(p) = f.path() {
                files.insert(p.to_string_lossy().into_owned());
            }
        }
    }
    let old_notes = cache.notes.as_deref().and_then(|n| Oid::from_str(n).ok());
    if old_notes != notes {
        let notes_tree = |n: Option<Oid>| n.and_then(tree);
        let diff = repo
            .diff_tree_to_tree(
                notes_tree(old_notes).as_ref(),
                notes_tree(notes).as_ref(),
                None,
            )
            .ok()?;
        for delta in diff.deltas() {
            let blob = repo.find_blob(delta.new_file().id()).ok();
            let text = blob
                .as_ref()
                .map(|b| String::from_utf8_lossy(b.content()).into_owned());
            for line in text.unwrap_or_default().lines() {
                if let Ok(anchor) = serde_json::from_str::<Anchor>(line) {
                    files.insert(anchor.file);
                }
            }
        }
    }
    Some(files)
}

/// States of every patch of `sessions`, against `rev`.
///
/// Incremental: states computed earlier (`.git/traces/cache/track.json`) are reused for every
/// patch whose files no commit or note since then has touched; only the others are evaluated
/// again, and the history and notes are read only when some patch needs them.
pub fn track(
    repo: &Repository,
    sessions: &[String],
    rev: Oid,
) -> store::Result<Vec<SessionSurvival>> {
    let traces = store::Traces::of(repo);
    let cache_path = traces.dir.join("cache").join("track.json");
    let cache: Cache = std::fs::read(&cache_path)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .filter(|c: &Cache| c.schema == CACHE_SCHEMA)
        .unwrap_or_default();
    let notes = repo.refname_to_id(store::NOTES_REF).ok();
    let touched = touched_since(repo, &cache, rev, notes);
    let mut context: Option<History> = None;
    let mut out = Vec::new();
    let mut fresh = Cache {
        schema: CACHE_SCHEMA.into(),
        rev: rev.to_string(),
        notes: notes.map(|n| n.to_string()),
        sessions: BTreeMap::new(),
    };
    for session in sessions {
        let seal = store::sealed_commit(repo, session)?
            .map(|s| s.to_string())
            .unwrap_or_default();
        let cached = cache
            .sessions
            .get(session)
            .filter(|c| c.seal == seal && touched.is_some());
        let untouched = |p: &PatchState| {
            touched.as_ref().is_some_and(|t| {
                !t.contains(&p.file) && !p.now_in.as_ref().is_some_and(|n| t.contains(n))
            })
        };
        let mut patches = Vec::new();
        // A sealed bucket never changes, so a session none of whose files were touched is
        // reused whole, without reading its trail: what makes 10,000 sessions cheap.
        let whole = cached.filter(|c| c.patches.iter().all(untouched));
        let trail = match whole {
            Some(c) => {
                patches = c.patches.clone();
                Vec::new()
            }
            None => trail_patches(repo, session)?,
        };
        for (step, key, files) in trail {
            for file in files.iter().filter(|f| !f.binary) {
                let reuse = cached.and_then(|c| {
                    c.patches
                        .iter()
                        .find(|p| p.key == key && p.file == file.path)
                        .filter(|p| untouched(p))
                });
                if let Some(p) = reuse {
                    patches.push(p.clone());
                    continue;
                }
                let lines: Vec<String> = added_blocks(&file.patch)
                    .into_iter()
                    .flat_map(|b| b.lines)
                    .filter(|l| counted(l))
                    .collect();
                if lines.is_empty() {
                    continue;
                }
                if context.is_none() {
                    context = Some(History {
                        rev,
                        anchors: all_anchors(repo)?,
                        reachable: Default::default(),
                    });
                }
                let history = context.as_ref().expect("just loaded");
                let mine: Vec<&(Oid, Anchor)> = history
                    .anchors
                    .iter()
                    .filter(|(_, a)| a.session == *session && a.key == key)
                    .collect();
                patches.push(patch_state(
                    repo, session, step, &key, &file.path, &lines, &mine, history,
                ));
            }
        }
        let mut by_state = BTreeMap::new();
        for p in &patches {
            *by_state.entry(p.state).or_default() += 1;
        }
        fresh.sessions.insert(
            session.clone(),
            CachedSession {
                seal,
                patches: patches.clone(),
            },
        );
        out.push(SessionSurvival {
            schema: "git-traces/track@1",
            session: session.clone(),
            lines_written: patches.iter().map(|p| p.lines).sum(),
            lines_alive: patches.iter().map(|p| p.alive).sum(),
            lines_never_committed: patches
                .iter()
                .filter(|p| p.state == "never_committed")
                .map(|p| p.lines)
                .sum(),
            by_state,
            patches,
        });
    }
    // Sessions not asked about this time keep their cached states for a later run.
    for (session, cached) in cache.sessions {
        fresh.sessions.entry(session).or_insert(cached);
    }
    store::write_cache(
        &traces,
        "track.json",
        &serde_json::to_vec(&fresh).expect("cache serialises"),
    );
    Ok(out)
}

#[allow(clippy::too_many_arguments)]
fn patch_state(
    repo: &Repository,
    session: &str,
    step: u64,
    key: &str,
    file: &str,
    lines: &[String],
    anchors: &[&(Oid, Anchor)],
    history: &History,
) -> PatchState {
    let rev = history.rev;
    let state = |state, alive, commit: Option<Oid>, now_in: Option<&str>| PatchState {
        session: session.to_string(),
        step,
        key: key.to_string(),
        file: file.to_string(),
        lines: lines.len(),
        alive,
        state,
        commit: commit.map(|c| c.to_string()),
        now_in: now_in.map(str::to_string),
    };
    let committed: Vec<Oid> = anchors
        .iter()
        .map(|(c, _)| *c)
        .filter(|c| history.reachable(repo, *c))
        .collect();
    if committed.is_empty() {
        // An anchored commit this repository does not have (a shallow or partial clone) may well
        // be in the revision's history: that cannot be told from here.
        let missing = anchors.iter().find(|(c, _)| repo.find_commit(*c).is_err());
        return match (missing, anchors.first()) {
            (Some((c, _)), _) => state("unknown", 0, Some(*c), None),
            (None, Some((c, _))) => state("lost", 0, Some(*c), None),
            (None, None) => state("never_committed", 0, None, None),
        };
    }
    // Where the lines could be now: their own path, then every file their anchors followed.
    let mut places: Vec<&str> = vec![file];
    for (_, a) in anchors {
        if !places.contains(&a.file.as_str()) {
            places.push(a.file.as_str());
        }
    }
    let mut best: Option<(&str, usize, usize)> = None;
    for place in &places {
        let Some(text) = file_at(repo, rev, place) else {
            continue;
        };
        let exact: HashMap<&str, usize> = count(text.lines());
        let norm: HashMap<String, usize> = count(text.lines().map(normalised));
        let found = present(lines.iter().map(String::as_str), exact);
        let found_norm = present(lines.iter().map(|l| normalised(l)), norm);
        if best.is_none_or(|(_, e, n)| (found, found_norm) > (e, n)) {
            best = Some((place, found, found_norm));
        }
    }
    let total = lines.len();
    match best {
        Some((place, exact, _)) if exact == total && place == file => {
            state("alive_on_path", total, None, None)
        }
        Some((place, exact, _)) if exact == total => state("alive_moved", total, None, Some(place)),
        Some((place, _, norm)) if norm == total => state(
            "alive_transformed",
            total,
            None,
            (place != file).then_some(place),
        ),
        Some((place, exact, norm)) if exact.max(norm) > 0 => {
            // The last commit that carried the lines on their own path is what they are compared
            // with; a later rename moves them, it does not rewrite them.
            let on_path: Vec<Oid> = anchors
                .iter()
                .filter(|(c, a)| a.file == file && history.reachable(repo, *c))
                .map(|(c, _)| *c)
                .collect();
            let on_path = history.newest(repo, &on_path);
            let name =
                if on_path.is_some_and(|c| rewritten_in_place(repo, c, rev, file, place, lines)) {
                    "repaired"
                } else {
                    "partially_preserved"
                };
            state(
                name,
                exact.max(norm),
                None,
                (place != file).then_some(place),
            )
        }
        _ => {
            let first = history.newest(repo, &committed).unwrap_or(committed[0]);
            match remover(repo, file, lines, &history.since(repo, first), first) {
                Some((commit, true)) => state("reverted", 0, Some(commit), None),
                Some((commit, false)) => state("lost", 0, Some(commit), None),
                None => state("lost", 0, None, None),
            }
        }
    }
}

/// How many times each item occurs.
fn count<K: std::hash::Hash + Eq>(items: impl Iterator<Item = K>) -> HashMap<K, usize> {
    let mut m = HashMap::new();
    for i in items {
        *m.entry(i).or_default() += 1;
    }
    m
}

/// How many of `wanted` are in `have`, each occurrence used once.
fn present<K: std::hash::Hash + Eq>(
    wanted: impl Iterator<Item = K>,
    mut have: HashMap<K, usize>,
) -> usize {
    wanted
        .filter(|w| match have.get_mut(w) {
            Some(n) if *n > 0 => {
                *n -= 1;
                true
            }
            _ => false,
        })
        .count()
}

/// Whether every line of the patch missing from `file` at `rev` was replaced where it stood: the
/// diff from the committed version (at `file`) to `rev` (at `now`, which differs after a rename)
/// removes it in a hunk that also adds lines (a fix on top of the agent's code) rather than only
/// deleting it.
fn rewritten_in_place(
    repo: &Repository,
    committed: Oid,
    rev: Oid,
    file: &str,
    now: &str,
    lines: &[String],
) -> bool {
    let (Some(old), Some(new)) = (file_at(repo, committed, file), file_at(repo, rev, now)) else {
        return false;
    };
    let Ok(patch) = git2::Patch::from_buffers(old.as_bytes(), None, new.as_bytes(), None, None)
    else {
        return false;
    };
    // Removed line content → whether its hunk also added lines.
    let mut removed: HashMap<String, bool> = HashMap::new();
    for h in 0..patch.num_hunks() {
        let Ok(count) = patch.num_lines_in_hunk(h) else {
            continue;
        };
        let hunk: Vec<(char, String)> = (0..count)
            .filter_map(|l| patch.line_in_hunk(h, l).ok())
            .map(|l| {
                (
                    l.origin(),
                    String::from_utf8_lossy(l.content())
                        .trim_end_matches(['\n', '\r'])
                        .to_string(),
                )
            })
            .collect();
        let adds = hunk.iter().any(|(o, _)| *o == '+');
        for (origin, text) in hunk {
            if origin == '-' {
                let replaced = removed.entry(text).or_insert(true);
                *replaced &= adds;
            }
        }
    }
    let mut left = count(new.lines());
    let missing: Vec<&String> = lines
        .iter()
        .filter(|l| match left.get_mut(l.as_str()) {
            Some(n) if *n > 0 => {
                *n -= 1;
                false
            }
            _ => true,
        })
        .collect();
    !missing.is_empty()
        && missing
            .iter()
            .all(|l| removed.get(l.as_str()) == Some(&true))
}

/// The commit of `after` (the commits after `committed`, newest first) that took the patch's
/// lines out of `file`, and whether it was a revert: a `git revert` message, or the file going
/// back to exactly what it was before the lines were committed.
fn remover(
    repo: &Repository,
    file: &str,
    lines: &[String],
    after: &[Oid],
    committed: Oid,
) -> Option<(Oid, bool)> {
    let has = |c: Oid| {
        file_at(repo, c, file).is_some_and(|t| {
            let have = count(t.lines());
            present(lines.iter().map(String::as_str), have) > 0
        })
    };
    // The remover is the oldest of them whose parent still had the lines and which itself does
    // not.
    for &c in after.iter().rev() {
        let commit = repo.find_commit(c).ok()?;
        let parent = commit.parent_id(0).ok()?;
        if has(parent) && !has(c) {
            let message = commit.message().unwrap_or_default();
            let before = repo
                .find_commit(committed)
                .ok()
                .and_then(|k| k.parent_id(0).ok())
                .map(|p| file_at(repo, p, file));
            // An undo puts back the content the file had; deleting a file the patch created is
            // a removal like any other.
            let undone =
                matches!(&before, Some(Some(b)) if file_at(repo, c, file).as_ref() == Some(b));
            return Some((c, message.contains("This reverts commit") || undone));
        }
    }
    None
}
