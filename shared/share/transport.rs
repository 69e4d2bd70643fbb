//! Moving shared sessions and anchors between clones with git itself: explicit refspecs for
//! `refs/traces/shared/*` and `refs/notes/traces`, never a private ref.
//!
//! Notes of two clones are merged, not overwritten: a note is sorted JSON lines, one anchor each,
//! so git's `cat_sort_uniq` strategy is the union of both clones' anchors. A push whose notes were
//! overtaken by another clone's fetches, merges and tries again.

use crate::store::NOTES_REF;
use serde::Serialize;
use std::path::Path;
use std::process::{Command, Output};

const SHARED_SPEC: &str = "refs/traces/shared/*:refs/traces/shared/*";
const NOTES_SPEC: &str = "refs/notes/traces:refs/notes/traces";
/// How often a push retries after another clone's notes got in first.
const RACE_RETRIES: usize = 5;

/// Where a remote's notes land before they are merged into ours.
pub fn remote_notes_ref(remote: &str) -> String {
    format!("refs/notes/remotes/{remote}/traces")
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("'{remote}' is not a remote of this repository\nhint: 'git remote -v' lists them; 'git remote add {remote} <url>' adds one")]
    NoRemote { remote: String },
    #[error("the remote {remote} refused {refs}: {reason}\nhint: some hosts accept only branches and tags; push to a remote that accepts refs/traces/* and refs/notes/*, or ask the host to allow them")]
    Refused {
        remote: String,
        refs: String,
        reason: String,
    },
    #[error("git {args} failed: {stderr}\nhint: check the remote's URL and your access, then run the command again (it resumes where it stopped)")]
    Git { args: String, stderr: String },
    #[error("the notes of {remote} and this clone kept changing during {tries} attempts\nhint: run 'git trace push {remote}' again")]
    Race { remote: String, tries: usize },
    #[error("cannot run git: {0}")]
    Spawn(std::io::Error),
}

/// What a push or fetch moved.
#[derive(Debug, Default, Serialize)]
pub struct Moved {
    pub remote: String,
    /// Refs updated (`refs/traces/shared/<id>`, `refs/notes/traces`).
    pub updated: Vec<String>,
    /// Refs already equal on both sides.
    pub up_to_date: Vec<String>,
    /// Whether the other side's notes were merged into ours.
    pub notes_merged: bool,
    /// Attempts a push needed because another clone pushed notes in between.
    pub retries: usize,
}

fn git(workdir: &Path, args: &[&str]) -> Result<Output, Error> {
    Command::new("git")
        .current_dir(workdir)
        .args(args)
        // The notes merge commit is git-traces' own, like its other commits.
        .env("GIT_AUTHOR_NAME", "git-traces")
        .env("GIT_AUTHOR_EMAIL", "git-traces@localhost")
        .env("GIT_COMMITTER_NAME", "git-traces")
        .env("GIT_COMMITTER_EMAIL", "git-traces@localhost")
        .output()
        .map_err(Error::Spawn)
}

fn ok(workdir: &Path, args: &[&str]) -> Result<String, Error> {
    let out = git(workdir, args)?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(Error::Git {
            args: args.join(" "),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        })
    }
}

fn check_remote(repo: &git2::Repository, remote: &str) -> Result<(), Error> {
    repo.find_remote(remote)
        .map(drop)
        .map_err(|_| Error::NoRemote {
            remote: remote.to_string(),
        })
}

fn has_ref(repo: &git2::Repository, name: &str) -> bool {
    repo.refname_to_id(name).is_ok()
}

/// `git trace push`: the shared sessions, the notes and the capsule refs named in `capsules`
/// (`refs/capsules/<id>`), nothing else.
pub fn push(
    repo: &git2::Repository,
    workdir: &Path,
    remote: &str,
    capsules: &[String],
) -> Result<Moved, Error> {
    check_remote(repo, remote)?;
    let mut moved = Moved {
        remote: remote.to_string(),
        ..Moved::default()
    };
    for attempt in 0..=RACE_RETRIES {
        let mut specs = Vec::new();
        if !crate::share::shared_ids(repo)
            .unwrap_or_default()
            .is_empty()
        {
            specs.push(SHARED_SPEC);
        }
        if has_ref(repo, NOTES_REF) {
            specs.push(NOTES_SPEC);
        }
        let capsule_specs: Vec<String> = capsules.iter().map(|r| format!("{r}:{r}")).collect();
        specs.extend(capsule_specs.iter().map(String::as_str));
        if specs.is_empty() {
            return Ok(moved);
        }
        let mut args = vec!["push", "--porcelain", remote];
        args.extend(&specs);
        let out = git(workdir, &args)?;
        let report = parse_porcelain(&String::from_utf8_lossy(&out.stdout));
        // Another clone's notes got there first (or its push holds the ref's lock right now).
        let notes_behind = report
            .iter()
            .any(|r| r.dst == NOTES_REF && r.flag == '!' && is_race(&r.summary));
        for r in &report {
            match r.flag {
                '=' => push_unique(&mut moved.up_to_date, &r.dst),
                '!' if r.dst == NOTES_REF && notes_behind => {}
                '!' => {
                    return Err(Error::Refused {
                        remote: remote.to_string(),
                        refs: r.dst.clone(),
                        reason: r.summary.clone(),
                    })
                }
                _ => push_unique(&mut moved.updated, &r.dst),
            }
        }
        if !out.status.success() && report.is_empty() {
            return Err(Error::Git {
                args: args.join(" "),
                stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
            });
        }
        if !notes_behind {
            return Ok(moved);
        }
        // Another clone pushed notes first: take theirs, merge, and push the union.
        moved.retries = attempt + 1;
        fetch_notes(repo, workdir, remote)?;
        moved.notes_merged |= merge_notes(repo, workdir, remote)?;
    }
    Err(Error::Race {
        remote: remote.to_string(),
        tries: RACE_RETRIES + 1,
    })
}

fn is_race(summary: &str) -> bool {
    [
        "fetch first",
        "non-fast-forward",
        "failed to update ref",
        "cannot lock ref",
    ]
    .iter()
    .any(|s| summary.contains(s))
}

fn push_unique(list: &mut Vec<String>, name: &str) {
    if !list.iter().any(|n| n == name) {
        list.push(name.to_string());
    }
}

/// `git trace fetch`: the remote's shared sessions, and its notes merged into ours.
pub fn fetch(repo: &git2::Repository, workdir: &Path, remote: &str) -> Result<Moved, Error> {
    check_remote(repo, remote)?;
    let shared_tips = || crate::store::tips(repo, crate::share::SHARED_PREFIX).unwrap_or_default();
    let before = shared_tips();
    let args = [
        "fetch",
        "--no-tags",
        remote,
        SHARED_SPEC,
        &format!("+{NOTES_REF}:{}", remote_notes_ref(remote)),
    ];
    let out = git(workdir, &args)?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        // A remote without notes yet only lacks that ref: fetch what it has.
        if stderr.contains("couldn't find remote ref") && stderr.contains("notes") {
            ok(workdir, &["fetch", "--no-tags", remote, SHARED_SPEC])?;
        } else {
            return Err(Error::Git {
                args: args.join(" "),
                stderr: stderr.trim().to_string(),
            });
        }
    }
    crate::store::pack_when_many(repo);
    let after = shared_tips();
    let mut moved = Moved {
        remote: remote.to_string(),
        ..Moved::default()
    };
    for (id, tip) in &after {
        let name = crate::share::shared_ref(id);
        if before.get(id) == Some(tip) {
            moved.up_to_date.push(name);
        } else {
            moved.updated.push(name);
        }
    }
    moved.notes_merged = merge_notes(repo, workdir, remote)?;
    Ok(moved)
}

fn fetch_notes(repo: &git2::Repository, workdir: &Path, remote: &str) -> Result<(), Error> {
    let _ = repo;
    ok(
        workdir,
        &[
            "fetch",
            "--no-tags",
            remote,
            &format!("+{NOTES_REF}:{}", remote_notes_ref(remote)),
        ],
    )
    .map(drop)
}

/// Merges the remote's notes into ours: the union of both clones' anchors, per commit. Returns
/// whether ours changed.
fn merge_notes(repo: &git2::Repository, workdir: &Path, remote: &str) -> Result<bool, Error> {
    let theirs_ref = remote_notes_ref(remote);
    let Ok(theirs) = repo.refname_to_id(&theirs_ref) else {
        return Ok(false);
    };
    let ours = repo.refname_to_id(NOTES_REF).ok();
    match ours {
        None => {
            ok(workdir, &["update-ref", NOTES_REF, &theirs.to_string()])?;
            Ok(true)
        }
        Some(ours) if ours == theirs || repo.graph_descendant_of(ours, theirs).unwrap_or(false) => {
            Ok(false)
        }
        Some(_) => {
            ok(
                workdir,
                &[
                    "notes",
                    &format!("--ref={NOTES_REF}"),
                    "merge",
                    "--quiet",
                    "--strategy=cat_sort_uniq",
                    &theirs_ref,
                ],
            )?;
            Ok(true)
        }
    }
}

/// One line of `git push --porcelain`: `<flag>\t<src>:<dst>\t<summary>`.
struct PushLine {
    flag: char,
    dst: String,
    summary: String,
}

fn parse_porcelain(text: &str) -> Vec<PushLine> {
    text.lines()
        .filter_map(|line| {
            let mut parts = line.splitn(3, '\t');
            let flag = parts.next()?.chars().next()?;
            let refs = parts.next()?;
            let (_, dst) = refs.split_once(':')?;
            Some(PushLine {
                flag,
                dst: dst.to_string(),
                summary: parts.next().unwrap_or_default().to_string(),
            })
        })
        .collect()
}

/// The refspecs `init --remote` adds, so plain `git push`/`git fetch` carry shared sessions and
/// notes: (config key, value).
pub fn remote_refspecs(remote: &str) -> Vec<(String, String)> {
    vec![
        (format!("remote.{remote}.push"), SHARED_SPEC.to_string()),
        (format!("remote.{remote}.push"), NOTES_SPEC.to_string()),
        (format!("remote.{remote}.fetch"), SHARED_SPEC.to_string()),
        (
            format!("remote.{remote}.fetch"),
            format!("+{NOTES_REF}:{}", remote_notes_ref(remote)),
        ),
    ]
}

/// Remotes configured to send private refs with a plain `git push` (`mirror`, or a push refspec
/// that covers `refs/traces/sessions`/`trails`), for `doctor`.
pub fn leaky_remotes(repo: &git2::Repository) -> Vec<String> {
    let Ok(config) = repo.config() else {
        return Vec::new();
    };
    let names = repo.remotes().ok();
    let mut out = Vec::new();
    for remote in names.iter().flat_map(|n| n.iter().flatten()) {
        if config
            .get_bool(&format!("remote.{remote}.mirror"))
            .unwrap_or(false)
        {
            out.push(format!("{remote} (remote.{remote}.mirror = true)"));
            continue;
        }
        let key = format!("remote.{remote}.push");
        if let Ok(mut entries) = config.multivar(&key, None) {
            while let Some(Ok(entry)) = entries.next() {
                let spec = entry.value().unwrap_or_default().trim_start_matches('+');
                let src = spec.split(':').next().unwrap_or_default();
                if [
                    "refs/*",
                    "refs/traces/*",
                    "refs/traces/sessions/*",
                    "refs/traces/trails/*",
                ]
                .contains(&src)
                {
                    out.push(format!("{remote} (push refspec {spec})"));
                }
            }
        }
    }
    out
}

/// Deletes one ref on the remote (`git push <remote> :<name>`); a ref already gone is fine.
pub fn delete_remote_ref(
    repo: &git2::Repository,
    workdir: &Path,
    remote: &str,
    name: &str,
) -> Result<(), Error> {
    check_remote(repo, remote)?;
    let spec = format!(":{name}");
    let out = git(workdir, &["push", "--porcelain", remote, &spec])?;
    let report = parse_porcelain(&String::from_utf8_lossy(&out.stdout));
    match report.iter().find(|r| r.flag == '!') {
        Some(r) if !r.summary.contains("remote ref does not exist") => Err(Error::Refused {
            remote: remote.to_string(),
            refs: name.to_string(),
            reason: r.summary.clone(),
        }),
        _ => Ok(()),
    }
}
