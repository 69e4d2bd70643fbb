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

/// Loose refs under `refs/traces/` past which [`pack_when_many`] packs them.
const PACK_AFTER_LOOSE: usize = 256;

/// Packs refs as `git gc` would (`git pack-refs --all`) once more than [`PACK_AFTER_LOOSE`]
/// loose ones sit under `refs/traces/`. Every read command walks that namespace, and one sorted
/// `packed-refs` file reads in one go where 10,000 loose refs cost 10,000 opens; git's own gc
/// only packs refs when loose objects make it run. Best effort: an old git, a concurrent pack or
/// a reftable repository (no `refs/traces` directory to count) leaves the refs as they are.
pub fn pack_when_many(repo: &Repository) {
    let loose = count_files(&repo.commondir().join("refs/traces"), PACK_AFTER_LOOSE + 1);
    if loose <= PACK_AFTER_LOOSE {
        return;
    }
    let _ = std::process::Command::new("git")
        .arg("--git-dir")
        .arg(repo.commondir())
        .args(["pack-refs", "--all"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status();
}

/// Files under `dir`, counted up to `limit`.
fn count_files(dir: &std::path::Path, limit: usize) -> usize {
    let mut count = 0;
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(d) = dirs.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            match entry.file_type() {
                Ok(t) if t.is_dir() => dirs.push(entry.path()),
                Ok(_) => count += 1,
                Err(_) => {}
            }
            if count >= limit {
                return count;
            }
        }
    }
    count
}
