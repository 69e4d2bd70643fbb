//! Moving shared sessions, anchors and ratings between clones with git itself: explicit refspecs
//! for `refs/traces/shared/*`, `refs/notes/traces` and `refs/notes/traces-ratings`, never a
//! private ref.
//!
//! Notes of two clones are merged, not overwritten: a note is sorted JSON lines, one anchor (or
//! rating) each, so git's `cat_sort_uniq` strategy is the union of both clones' lines. A push
//! whose notes were overtaken by another clone's fetches, merges and tries again.

use crate::skill::ratings::RATINGS_REF;
use crate::store::NOTES_REF;
use serde::Serialize;
use std::path::Path;
use std::process::{Command, Output};

const SHARED_SPEC: &str = "refs/traces/shared/*:refs/traces/shared/*";
const NOTES_SPEC: &str = "refs/notes/traces:refs/notes/traces";
/// The notes refs that travel: anchors and ratings.
const NOTES_REFS: [&str; 2] = [NOTES_REF, RATINGS_REF];
/// How often a push retries after another clone's notes got in first.
const RACE_RETRIES: usize = 5;

/// Where a remote's notes land before they are merged into ours.
pub fn remote_notes_ref(remote: &str) -> String {
    remote_copy(remote, NOTES_REF)
}

/// Where a remote's `notes_ref` lands: `refs/notes/remotes/<remote>/<name>`.
fn remote_copy(remote: &str, notes_ref: &str) -> String {
    format!(
        "refs/notes/remotes/{remote}/{}",
        notes_ref.trim_start_matches("refs/notes/")
    )
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
        let other_specs: Vec<String> = NOTES_REFS
            .iter()
            .filter(|r| has_ref(repo, r))
            .map(|r| r.to_string())
            .chain(capsules.iter().cloned())
            .map(|r| format!("{r}:{r}"))
            .collect();
        specs.extend(other_specs.iter().map(String::as_str));
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
            .any(|r| NOTES_REFS.contains(&r.dst.as_str()) && r.flag == '!' && is_race(&r.summary));
        for r in &report {
            match r.flag {
                '=' => push_unique(&mut moved.up_to_date, &r.dst),
                '!' if NOTES_REFS.contains(&r.dst.as_str()) && notes_behind => {}
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
        fetch_notes(workdir, remote)?;
        moved.notes_merged |= merge_all_notes(repo, workdir, remote)?;
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
    // A glob matches nothing on a remote without notes yet, where a plain ref would fail.
    ok(
        workdir,
        &[
            "fetch",
            "--no-tags",
            remote,
            SHARED_SPEC,
            &notes_glob(remote),
        ],
    )?;
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
    moved.notes_merged = merge_all_notes(repo, workdir, remote)?;
    Ok(moved)
}

/// `refs/notes/traces*` (anchors and ratings) into the remote's copies.
fn notes_glob(remote: &str) -> String {
    format!("+{NOTES_REF}*:{}*", remote_notes_ref(remote))
}

fn fetch_notes(workdir: &Path, remote: &str) -> Result<(), Error> {
    ok(
        workdir,
        &["fetch", "--no-tags", remote, &notes_glob(remote)],
    )
    .map(drop)
}

/// Merges every notes ref the remote has into ours; returns whether one of ours changed.
fn merge_all_notes(repo: &git2::Repository, workdir: &Path, remote: &str) -> Result<bool, Error> {
    let mut changed = false;
    for notes_ref in NOTES_REFS {
        changed |= merge_notes(repo, workdir, remote, notes_ref)?;
    }
    Ok(changed)
}

/// Merges the remote's `notes_ref` into ours: the union of both clones' lines, per annotated
/// object. Returns whether ours changed.
fn merge_notes(
    repo: &git2::Repository,
    workdir: &Path,
    remote: &str,
    notes_ref: &str,
) -> Result<bool, Error> {
    let theirs_ref = remote_copy(remote, notes_ref);
    let Ok(theirs) = repo.refname_to_id(&theirs_ref) else {
        return Ok(false);
    };
    let ours = repo.refname_to_id(notes_ref).ok();
    match ours {
        None => {
            ok(workdir, &["update-ref", notes_ref, &theirs.to_string()])?;
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
                    &format!("--ref={notes_ref}"),
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
