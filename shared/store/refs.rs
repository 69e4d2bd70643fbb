//! Compare-and-swap ref updates: a ref only moves from the value the writer read.

use super::{Error, Result, Traces};
use git2::{ErrorCode, Oid, Repository};

/// One ref move: `name` from `expected` (None: must not exist yet) to `new`.
pub struct RefUpdate<'a> {
    pub name: &'a str,
    pub new: Oid,
    pub expected: Option<Oid>,
    pub message: &'a str,
}

/// Moves a ref atomically. Fails with [`Error::RefMoved`] when the ref is not at `expected`, and
/// treats "already at `new`" as success (a retried write). Call with the session lock held: a git
/// `<ref>.lock` left by a killed writer is removed first.
pub fn update_ref(repo: &Repository, traces: &Traces, update: RefUpdate<'_>) -> Result<()> {
    let lock = traces.ref_lock(update.name);
    if lock.exists() {
        let _ = std::fs::remove_file(&lock);
    }
    let current = match repo.refname_to_id(update.name) {
        Ok(oid) => Some(oid),
        Err(e) if e.code() == ErrorCode::NotFound => None,
        Err(e) => return Err(e.into()),
    };
    if current == Some(update.new) {
        return Ok(());
    }
    let moved = |actual: Option<Oid>| Error::RefMoved {
        name: update.name.to_string(),
        expected: update.expected.map_or("nothing".into(), |o| o.to_string()),
        actual: actual.map_or("nothing".into(), |o| o.to_string()),
    };
    if current != update.expected {
        return Err(moved(current));
    }
    let result = match update.expected {
        Some(old) => repo
            .reference_matching(update.name, update.new, true, old, update.message)
            .map(drop),
        None => repo
            .reference(update.name, update.new, false, update.message)
            .map(drop),
    };
    match result {
        Ok(()) => Ok(()),
        Err(e)
            if matches!(
                e.code(),
                ErrorCode::Modified | ErrorCode::Exists | ErrorCode::Locked
            ) =>
        {
            Err(moved(repo.refname_to_id(update.name).ok()))
        }
        Err(e) => Err(e.into()),
    }
}
