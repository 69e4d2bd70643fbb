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

/// Every ref under `prefix` (`refs/traces/sessions/`, say) with its target, keyed by the rest of
/// its name, sorted: one pass over the namespace, which at 10,000 refs costs far less than
/// looking names up one by one. Symbolic refs are left out.
pub fn tips(repo: &Repository, prefix: &str) -> Result<std::collections::BTreeMap<String, Oid>> {
    let mut out = std::collections::BTreeMap::new();
    for r in repo.references_glob(&format!("{prefix}*"))? {
        let r = r?;
        if let (Some(name), Some(oid)) = (r.name(), r.target()) {
            out.insert(name.trim_start_matches(prefix).to_string(), oid);
        }
    }
    Ok(out)
}

/// Loose refs under `refs/traces/` past which [`pack_when_many`] packs them.
const PACK_AFTER_LOOSE: usize = 256;

/// Packs refs as `git gc` would (`git pack-refs --all`) once more than [`PACK_AFTER_LOOSE`]
/// loose ones sit under `refs/traces/`, and starts `git commit-graph write --reachable --split`
/// in the background. Every read command walks that namespace, and one sorted `packed-refs` file
/// reads in one go where 10,000 loose refs cost 10,000 opens; git's own `fetch` parses the commit
/// of every local ref, which the commit-graph makes cheap (10,000 sessions: 270 ms a plain
/// `git fetch` without it, 50 ms with it). git's gc does both, but only when loose objects make
/// it run. Best effort: an old git, a concurrent run or a reftable repository (no `refs/traces`
/// directory to count) leaves things as they are.
pub fn pack_when_many(repo: &Repository) {
    let loose = count_files(&repo.commondir().join("refs/traces"), PACK_AFTER_LOOSE + 1);
    if loose <= PACK_AFTER_LOOSE {
        return;
    }
    let git = |args: &[&str]| {
        let mut cmd = std::process::Command::new("git");
        cmd.arg("--git-dir")
            .arg(repo.commondir())
            .args(args)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        cmd
    };
    let _ = git(&["pack-refs", "--all"]).status();
    // Not waited for: on a long history the first write takes seconds, and nothing reads it back.
    let _ = git(&["commit-graph", "write", "--reachable", "--split"]).spawn();
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
