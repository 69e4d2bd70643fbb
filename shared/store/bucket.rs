//! Sealing: writing a session's bucket commit on `refs/traces/sessions/<session>`.
//!
//! Each seal is a new commit whose first parent is the previous seal and whose second parent is the
//! trail tip, so the one ref keeps every snapshot reachable. The trail ref is always written before
//! the session ref that points at it (git2's transactions are not all-or-nothing).

use super::{paths::session_ref, update_ref, RefUpdate, Result, Traces};
use git2::{Oid, Repository};

/// A file of the bucket tree: `trace.json`, `blobs/<sha256>`, …
pub enum Member {
    Bytes(Vec<u8>),
    /// A blob already in the object database (large payloads written at capture time).
    Blob(Oid),
}

/// Every sealed session id, sorted.
pub fn session_ids(repo: &Repository) -> Result<Vec<String>> {
    Ok(super::tips(repo, super::SESSIONS_PREFIX)?
        .into_keys()
        .collect())
}

/// The previous seal's commit, if any.
pub fn sealed_commit(repo: &Repository, session: &str) -> Result<Option<Oid>> {
    match repo.refname_to_id(&session_ref(session)) {
        Ok(oid) => Ok(Some(oid)),
        Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Reads one member of a sealed bucket (None when the member does not exist).
pub fn read_member(repo: &Repository, seal: Oid, path: &str) -> Result<Option<Vec<u8>>> {
    let tree = repo.find_commit(seal)?.tree()?;
    match tree.get_path(std::path::Path::new(path)) {
        Ok(entry) => Ok(Some(repo.find_blob(entry.id())?.content().to_vec())),
        Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Writes the bucket tree and the seal commit, then moves the session ref from `previous`.
pub fn write_seal(
    repo: &Repository,
    traces: &Traces,
    session: &str,
    members: Vec<(String, Member)>,
    previous: Option<Oid>,
    trail_tip: Option<Oid>,
    message: &str,
) -> Result<Oid> {
    let mut root = repo.treebuilder(None)?;
    let mut blobs = repo.treebuilder(None)?;
    for (name, member) in members {
        let oid = match member {
            Member::Bytes(bytes) => repo.blob(&bytes)?,
            Member::Blob(oid) => oid,
        };
        match name.strip_prefix("blobs/") {
            Some(file) => blobs.insert(file, oid, git2::FileMode::Blob.into())?,
            None => root.insert(&name, oid, git2::FileMode::Blob.into())?,
        };
    }
    if !blobs.is_empty() {
        root.insert("blobs", blobs.write()?, git2::FileMode::Tree.into())?;
    }
    let tree = repo.find_tree(root.write()?)?;
    let sig = git2::Signature::now("git-traces", "git-traces@localhost")?;
    let parents: Vec<git2::Commit<'_>> = previous
        .into_iter()
        .chain(trail_tip)
        .map(|p| repo.find_commit(p))
        .collect::<std::result::Result<_, _>>()?;
    let parent_refs: Vec<&git2::Commit<'_>> = parents.iter().collect();
    let commit = repo.commit(None, &sig, &sig, message, &tree, &parent_refs)?;
    update_ref(
        repo,
        traces,
        RefUpdate {
            name: &session_ref(session),
            new: commit,
            expected: previous,
            message: &format!("git-trace: seal {session}"),
        },
    )?;
    super::refs::pack_when_many(repo);
    Ok(commit)
}
