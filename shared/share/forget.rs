//! `git trace forget`: a session's refs and local files removed, and an honest account of what
//! stays: git objects remain in the object database until nothing reaches them and gc prunes them.

use crate::store::{self, session_ref, trail_ref, Traces};
use serde::Serialize;
use std::path::{Path, PathBuf};

#[derive(Debug, Default, Serialize)]
pub struct Forgotten {
    pub session: String,
    pub refs: Vec<String>,
    pub files: Vec<PathBuf>,
    /// Refs deleted on a remote (with `--remote`).
    pub remote_refs: Vec<String>,
    /// What makes the objects go, now that nothing references them.
    pub prune_command: &'static str,
}

pub const PRUNE: &str = "git reflog expire --expire-unreachable=now --all && git gc --prune=now";

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("no session {0} here: no sealed, shared or trail ref and no journal\nhint: 'git trace list' shows the sessions there are")]
    Unknown(String),
    #[error("cannot delete {name}: {source}")]
    Ref { name: String, source: git2::Error },
    #[error("cannot remove {path}: {source}")]
    File {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Transport(#[from] super::transport::Error),
    #[error(transparent)]
    Store(#[from] store::Error),
}

/// Deletes the session's private and shared refs, journal, state, private index, lock and dirty
/// mark, and with `remote` its shared ref there. Anchors in `refs/notes/traces` stay: they are
/// ids and line ranges, shared with the commits they annotate.
pub fn forget(
    repo: &git2::Repository,
    workdir: &Path,
    session: &str,
    remote: Option<&str>,
) -> Result<Forgotten, Error> {
    let traces = Traces::of(repo);
    let _lock = store::SessionLock::acquire(&traces, session, std::time::Duration::from_secs(10))?;
    let mut out = Forgotten {
        session: session.to_string(),
        prune_command: PRUNE,
        ..Forgotten::default()
    };
    for name in [
        session_ref(session),
        trail_ref(session),
        super::shared_ref(session),
    ] {
        match repo.find_reference(&name) {
            Ok(mut r) => {
                r.delete().map_err(|source| Error::Ref {
                    name: name.clone(),
                    source,
                })?;
                out.refs.push(name);
            }
            Err(e) if e.code() == git2::ErrorCode::NotFound => {}
            Err(source) => return Err(Error::Ref { name, source }),
        }
    }
    for path in [
        traces.journal(session),
        traces.state(session),
        traces.index(session),
        traces.dir.join("dirty").join(session),
    ] {
        match std::fs::remove_file(&path) {
            Ok(()) => out.files.push(path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => return Err(Error::File { path, source }),
        }
    }
    if let Some(remote) = remote {
        let name = super::shared_ref(session);
        super::transport::delete_remote_ref(repo, workdir, remote, &name)?;
        out.remote_refs.push(format!("{remote}:{name}"));
    }
    if out.refs.is_empty() && out.files.is_empty() && out.remote_refs.is_empty() {
        return Err(Error::Unknown(session.to_string()));
    }
    let _ = std::fs::remove_file(traces.lock(session));
    Ok(out)
}
