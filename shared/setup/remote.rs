//! `git trace init --remote <name>`: refspecs that make plain `git push` and `git fetch` carry the
//! shared sessions and the notes, and never anything private.
//!
//! Once a remote has a `push` refspec, a plain `git push` pushes only what the refspecs name. So
//! when the remote had none, `HEAD` is added too: the current branch keeps going where it went.

use super::{Change, Error, Wiring};
use crate::share::transport::remote_refspecs;
use std::path::PathBuf;

fn escape(value: &str) -> String {
    format!("^{}$", regex::escape(value))
}

fn values(config: &git2::Config, key: &str) -> Vec<String> {
    let mut out = Vec::new();
    if let Ok(mut entries) = config.multivar(key, None) {
        while let Some(Ok(entry)) = entries.next() {
            out.push(entry.value().unwrap_or_default().to_string());
        }
    }
    out
}

fn config(repo: &git2::Repository) -> Result<git2::Config, Error> {
    repo.config()
        .and_then(|c| c.open_level(git2::ConfigLevel::Local))
        .map_err(|source| Error::Git {
            what: "the repository's config",
            source,
        })
}

fn check(repo: &git2::Repository, remote: &str) -> Result<(), Error> {
    repo.find_remote(remote)
        .map(drop)
        .map_err(|_| Error::NoRemote {
            remote: remote.to_string(),
        })
}

pub(super) fn install(repo: &git2::Repository, remote: &str) -> Result<Vec<Wiring>, Error> {
    check(repo, remote)?;
    let mut config = config(repo)?;
    let push_key = format!("remote.{remote}.push");
    let mut wanted = remote_refspecs(remote);
    if values(&config, &push_key).is_empty() {
        wanted.insert(0, (push_key, "HEAD".to_string()));
    }
    let mut added = 0;
    for (key, value) in &wanted {
        if values(&config, key).contains(value) {
            continue;
        }
        config
            .set_multivar(key, &escape(value), value)
            .map_err(|source| Error::Git {
                what: "the repository's config",
                source,
            })?;
        added += 1;
    }
    Ok(vec![Wiring {
        path: PathBuf::from(repo.path()).join("config"),
        what: format!(
            "refspecs of remote {remote}: plain git push/fetch carry refs/traces/shared/* and refs/notes/traces (run 'git trace fetch {remote}' to merge fetched notes)"
        ),
        change: if added == 0 {
            Change::AlreadyInstalled
        } else {
            Change::Installed
        },
    }])
}

pub(super) fn uninstall(repo: &git2::Repository, remote: &str) -> Result<Vec<Wiring>, Error> {
    check(repo, remote)?;
    let mut config = config(repo)?;
    let mut removed = 0;
    for (key, value) in remote_refspecs(remote) {
        if values(&config, &key).contains(&value) {
            config
                .remove_multivar(&key, &escape(&value))
                .map_err(|source| Error::Git {
                    what: "the repository's config",
                    source,
                })?;
            removed += 1;
        }
    }
    // The `HEAD` init added when ours were the only push refspecs.
    let push_key = format!("remote.{remote}.push");
    if removed > 0 && values(&config, &push_key) == ["HEAD"] {
        let _ = config.remove_multivar(&push_key, "^HEAD$");
    }
    Ok(vec![Wiring {
        path: PathBuf::from(repo.path()).join("config"),
        what: format!("refspecs of remote {remote}"),
        change: if removed == 0 {
            Change::NotInstalled
        } else {
            Change::Removed
        },
    }])
}
