//! `git trace skill list|runs|score`: the skill runs of this repository's evidence, read through
//! the `skill-runs` dataset template, grouped by skill and version, and scored.

use super::runs::{run_of, version_of};
use super::score::{self, Options, Report};
use git2::{Oid, Repository};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("no runs of skill '{0}' in this repository's sessions\nhint: 'git trace skill list' shows the skills seen")]
    NoRuns(String),
    #[error(transparent)]
    Dataset(#[from] crate::dataset::Error),
}

/// One version of a skill: its blob id, where it lives, and the commit that introduced it.
#[derive(Debug, Clone, Serialize)]
pub struct Version {
    pub version: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// The oldest commit in HEAD's history whose tree has this blob at `file` and whose parent
    /// does not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    pub runs: usize,
    pub first_run_at: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Skill {
    pub skill: String,
    pub runs: usize,
    pub versions: Vec<Version>,
}

/// What `git trace skill score --json` prints: the score report with each version's file and
/// introducing commit.
#[derive(Debug, Serialize)]
pub struct Scored {
    pub schema: &'static str,
    pub skill: String,
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blocked: Option<score::Blocked>,
    pub threshold: f64,
    pub versions: Vec<ScoredVersion>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verdict: Option<score::Verdict>,
    pub rubric: score::Rubric,
    pub calibration: score::Calibration,
}

#[derive(Debug, Serialize)]
pub struct ScoredVersion {
    #[serde(flatten)]
    pub score: score::VersionScore,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
}

/// Every `skill-runs` row of the evidence.
pub fn all_runs(repo: &Repository) -> Result<Vec<Value>, Error> {
    Ok(crate::dataset::template_rows(repo, "skill-runs")?)
}

/// The runs of `skill`, oldest first.
pub fn runs_of(repo: &Repository, skill: &str) -> Result<Vec<Value>, Error> {
    let mut runs: Vec<Value> = all_runs(repo)?
        .into_iter()
        .filter(|r| r["skill"] == skill)
        .collect();
    if runs.is_empty() {
        return Err(Error::NoRuns(skill.to_string()));
    }
    runs.sort_by(|a, b| {
        a["started_at"]
            .as_str()
            .cmp(&b["started_at"].as_str())
            .then(a["session"].as_str().cmp(&b["session"].as_str()))
    });
    Ok(runs)
}

/// Every skill seen, with its versions in order of first use.
pub fn list(repo: &Repository) -> Result<Vec<Skill>, Error> {
    let mut by_skill: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for run in all_runs(repo)? {
        if let Some(name) = run["skill"].as_str() {
            by_skill.entry(name.to_string()).or_default().push(run);
        }
    }
    Ok(by_skill
        .into_iter()
        .map(|(skill, runs)| Skill {
            versions: versions(repo, &runs),
            runs: runs.len(),
            skill,
        })
        .collect())
}

/// The versions of `runs`, in order of their first run.
pub fn versions(repo: &Repository, runs: &[Value]) -> Vec<Version> {
    let mut out: Vec<Version> = Vec::new();
    let mut sorted: Vec<&Value> = runs.iter().collect();
    sorted.sort_by_key(|r| r["started_at"].as_str().unwrap_or_default().to_string());
    for run in sorted {
        let version = version_of(run);
        match out.iter_mut().find(|v| v.version == version) {
            Some(v) => v.runs += 1,
            None => {
                let file = run["file"].as_str().map(str::to_string);
                out.push(Version {
                    version: version.to_string(),
                    commit: file
                        .as_deref()
                        .and_then(|f| introduced_by(repo, f, version))
                        .map(|c| c.to_string()),
                    file,
                    runs: 1,
                    first_run_at: run["started_at"].as_str().unwrap_or_default().to_string(),
                });
            }
        }
    }
    out
}

/// Scores `skill`'s versions from its runs.
pub fn score(repo: &Repository, skill: &str, options: &Options) -> Result<Scored, Error> {
    let rows = runs_of(repo, skill)?;
    let runs: Vec<score::Run> = rows.iter().filter_map(run_of).collect();
    let Report {
        status,
        blocked,
        rubric,
        calibration,
        versions: scores,
        verdict,
    } = score::score(&runs, options);
    let found = versions(repo, &rows);
    Ok(Scored {
        schema: "git-traces/skill-score@1",
        skill: skill.to_string(),
        status,
        blocked,
        threshold: options.threshold,
        versions: scores
            .into_iter()
            .map(|score| {
                let v = found.iter().find(|v| v.version == score.version);
                ScoredVersion {
                    file: v.and_then(|v| v.file.clone()),
                    commit: v.and_then(|v| v.commit.clone()),
                    score,
                }
            })
            .collect(),
        verdict,
        rubric,
        calibration,
    })
}

/// The oldest commit reachable from HEAD that put `blob` at `path`.
fn introduced_by(repo: &Repository, path: &str, blob: &str) -> Option<Oid> {
    let blob = Oid::from_str(blob).ok()?;
    let at = |commit: &git2::Commit| {
        commit
            .tree()
            .ok()?
            .get_path(std::path::Path::new(path))
            .ok()
            .map(|e| e.id())
    };
    let mut walk = repo.revwalk().ok()?;
    walk.push_head().ok()?;
    let mut oldest = None;
    for oid in walk.flatten() {
        let commit = repo.find_commit(oid).ok()?;
        if at(&commit) == Some(blob) && commit.parents().all(|p| at(&p) != Some(blob)) {
            oldest = Some(oid);
        }
    }
    oldest
}
