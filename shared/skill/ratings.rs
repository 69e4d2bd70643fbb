//! Human ratings of sessions: `git trace rate <session> good|bad`, kept on `refs/traces/ratings`
//! (a commit chain whose tree holds `ratings.jsonl`), so they travel with `git trace push` like
//! the rest of the shared evidence.
//!
//! A rating made from inside an agent session (the harness's environment marker is set: Claude
//! Code's `CLAUDECODE`, Pi's `PI_CODING_AGENT`, Codex's sandbox variables) is kept but marked
//! `by_agent`: the skill verifier counts it as self-graded, never as a human label.

use crate::store;
use git2::{Oid, Repository};
use serde::{Deserialize, Serialize};

pub const RATINGS_REF: &str = "refs/traces/ratings";
const FILE: &str = "ratings.jsonl";
/// Environment variables that only an agent harness sets in the commands it runs.
const AGENT_MARKERS: [&str; 5] = [
    "CLAUDECODE",
    "PI_CODING_AGENT",
    "CODEX_SANDBOX",
    "CODEX_SANDBOX_NETWORK_DISABLED",
    "CODEX_THREAD_ID",
];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rating {
    pub session: String,
    /// First and last step rated; absent: the whole session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub steps: Option<[u64; 2]>,
    pub good: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub rater: String,
    pub by_agent: bool,
    pub at: String,
}

/// Every rating, oldest first.
pub fn all(repo: &Repository) -> store::Result<Vec<Rating>> {
    let Ok(tip) = repo.refname_to_id(RATINGS_REF) else {
        return Ok(Vec::new());
    };
    let tree = repo.find_commit(tip)?.tree()?;
    let Some(entry) = tree.get_name(FILE) else {
        return Ok(Vec::new());
    };
    let blob = repo.find_blob(entry.id())?;
    Ok(String::from_utf8_lossy(blob.content())
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect())
}

/// Whether this process runs inside an agent's command.
pub fn inside_agent() -> bool {
    AGENT_MARKERS
        .iter()
        .any(|k| std::env::var_os(k).is_some_and(|v| !v.is_empty()))
}

/// Adds `rating` (its note redacted at the capture tier) or, with `remove`, drops every rating of
/// its session; one commit on [`RATINGS_REF`]. Returns how many ratings the session now has.
pub fn write(repo: &Repository, rating: Rating, remove: bool) -> store::Result<usize> {
    let traces = store::Traces::of(repo);
    let _lock =
        store::SessionLock::acquire(&traces, "ratings", std::time::Duration::from_secs(10))?;
    let mut ratings = all(repo)?;
    let session = rating.session.clone();
    let message = if remove {
        ratings.retain(|r| r.session != session);
        format!("ratings: remove those of {session}")
    } else {
        let mut rating = rating;
        let mut report = crate::security::Report::default();
        rating.note = rating
            .note
            .map(|n| crate::security::redact(&n, &mut report).into_owned());
        let message = format!(
            "ratings: {session} {}",
            if rating.good { "good" } else { "bad" }
        );
        ratings.push(rating);
        message
    };
    let mut text = Vec::new();
    for r in &ratings {
        serde_json::to_writer(&mut text, r).expect("json");
        text.push(b'\n');
    }
    let mut builder = repo.treebuilder(None)?;
    builder.insert(FILE, repo.blob(&text)?, git2::FileMode::Blob.into())?;
    let tree = repo.find_tree(builder.write()?)?;
    let tip: Option<Oid> = repo.refname_to_id(RATINGS_REF).ok();
    let parents = tip.map(|t| repo.find_commit(t)).transpose()?;
    let sig = git2::Signature::now("git-traces", "git-traces@localhost")?;
    let commit = repo.commit(
        None,
        &sig,
        &sig,
        &format!("{message}\n"),
        &tree,
        &parents.iter().collect::<Vec<_>>(),
    )?;
    store::update_ref(
        repo,
        &traces,
        store::RefUpdate {
            name: RATINGS_REF,
            new: commit,
            expected: tip,
            message: &message,
        },
    )?;
    Ok(ratings.iter().filter(|r| r.session == session).count())
}
