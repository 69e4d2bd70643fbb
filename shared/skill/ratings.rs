//! Human ratings of sessions: `git trace rate <session> good|bad`, kept as git notes on
//! `refs/notes/traces-ratings`, so they travel with `git trace push` and merge between clones
//! the way anchors do (`cat_sort_uniq`: a note is sorted JSON lines, one rating each).
//!
//! A note hangs on an object named by the session alone (a blob holding `git-traces session
//! <id>`), so every clone rates the same object whatever it holds of the session.
//!
//! A rating made from inside an agent session (the harness's environment marker is set: Claude
//! Code's `CLAUDECODE`, Pi's `PI_CODING_AGENT`, Codex's sandbox variables) is kept but marked
//! `by_agent`: the skill verifier counts it as self-graded, never as a human label.

use crate::store;
use git2::{Oid, Repository};
use serde::{Deserialize, Serialize};

pub const RATINGS_REF: &str = "refs/notes/traces-ratings";
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

/// The object a session's ratings hang on.
fn target(repo: &Repository, session: &str) -> store::Result<Oid> {
    Ok(repo.blob(format!("git-traces session {session}\n").as_bytes())?)
}

/// Every rating, in note order (session, then time).
pub fn all(repo: &Repository) -> store::Result<Vec<Rating>> {
    let Ok(notes) = repo.notes(Some(RATINGS_REF)) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for (_, target) in notes.flatten() {
        for line in store::note_lines_in(repo, RATINGS_REF, target)? {
            if let Ok(rating) = serde_json::from_str(&line) {
                out.push(rating);
            }
        }
    }
    Ok(out)
}

/// Whether this process runs inside an agent's command.
pub fn inside_agent() -> bool {
    AGENT_MARKERS
        .iter()
        .any(|k| std::env::var_os(k).is_some_and(|v| !v.is_empty()))
}

/// Adds `rating` (its note redacted at the capture tier) to its session's ratings. Returns how
/// many the session now has.
pub fn add(repo: &Repository, mut rating: Rating) -> store::Result<usize> {
    let mut report = crate::security::Report::default();
    rating.note = rating
        .note
        .map(|n| crate::security::redact(&n, &mut report).into_owned());
    let target = target(repo, &rating.session)?;
    let mut lines = store::note_lines_in(repo, RATINGS_REF, target)?;
    lines.push(serde_json::to_string(&rating).expect("json"));
    store::set_note_lines(repo, RATINGS_REF, target, &lines)?;
    Ok(store::note_lines_in(repo, RATINGS_REF, target)?.len())
}

/// Removes every rating of `session`; returns how many there were.
pub fn remove(repo: &Repository, session: &str) -> store::Result<usize> {
    let target = target(repo, session)?;
    let had = store::note_lines_in(repo, RATINGS_REF, target)?.len();
    store::set_note_lines(repo, RATINGS_REF, target, &[])?;
    Ok(had)
}
