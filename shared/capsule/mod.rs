//! Capsules: a failing episode sealed as one git bundle, opened anywhere, replayed to a verdict.
//!
//! A capsule is a commit on `refs/capsules/<id>` whose tree holds `capsule.json` (the manifest:
//! what went in, where from, the sha256 and size of every other member), `capsule.md` (the same
//! for people), `context/pack.json` (the ctx pack at the failing step), `trajectory/` (the steps
//! of the slice and their patches), `repo/` (the working tree at the slice start, as a git tree),
//! `env.json` (lockfiles and runtimes) and `verifier.json` (the test and the failure it showed
//! when sealed). The commit has no parent, so no history travels with it. The `.capsule` file is
//! that one ref as a plain git bundle.
//!
//! The id is a content hash of the members, and the commit's time comes from the session, so the
//! same slice sealed twice gives the same bytes.

pub mod open;
pub mod pins;
pub mod render;
pub mod replay;
pub mod repose;
pub mod seal;
pub mod verdict;

use crate::capture::sha256_hex;
use git2::{Oid, Repository};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Schema of `capsule.json`. A capsule of a newer schema is refused, not misread.
pub const CAPSULE_SCHEMA: &str = "git-traces/capsule@1";
pub const CAPSULES_PREFIX: &str = "refs/capsules/";

pub fn capsule_ref(id: &str) -> String {
    format!("{CAPSULES_PREFIX}{id}")
}

/// `capsule.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    pub schema: String,
    pub id: String,
    pub source: Source,
    pub runtime: Runtime,
    /// The user prompts that drove the slice (texts only with `--include-prompts`).
    pub intent: Vec<Prompt>,
    /// The repository state the capsule opens to: the trail snapshot at the slice start.
    pub repo: RepoState,
    /// What the egress gate redacted, by kind, and what was left out.
    pub privacy: Privacy,
    /// Every member but `capsule.json` and `capsule.md`: path → sha256 and size.
    pub members: BTreeMap<String, MemberDigest>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Source {
    pub session: String,
    pub from: u64,
    pub to: u64,
    /// The step the failure shows at: the slice's last step.
    pub failing_step: u64,
    pub started_at: String,
    pub ended_at: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Runtime {
    pub harness: String,
    pub harness_version: Option<String>,
    pub models: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Prompt {
    pub step: u64,
    pub text: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RepoState {
    /// `HEAD` when the session started.
    pub base: Option<String>,
    /// The trail snapshot whose tree is `repo/`.
    pub snapshot: String,
    /// The step that produced that snapshot (None: the session's base, before any change).
    pub snapshot_step: Option<u64>,
    pub remote_url: Option<String>,
    pub files: usize,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Privacy {
    pub scanner: String,
    pub redactions: BTreeMap<String, u64>,
    pub prompts_included: bool,
    /// What was left out, one line each.
    pub excluded: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberDigest {
    pub sha256: String,
    pub size: u64,
}

/// Errors a user can act on.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}: no such capsule file, and no refs/capsules/ id starting with it\nhint: 'git capsule fetch' brings the capsules of a remote; a file path must exist")]
    NotFound(String),
    #[error("{what} is not a valid capsule: {reason}\nhint: the file may be damaged or tampered with; ask for it again, and compare its id")]
    Invalid { what: String, reason: String },
    #[error("{what} was sealed with {schema}, newer than this git-capsule reads ({CAPSULE_SCHEMA})\nhint: upgrade git-traces to open it")]
    SchemaTooNew { what: String, schema: String },
    #[error("git {args} failed: {stderr}")]
    Git { args: String, stderr: String },
    #[error(transparent)]
    Read(#[from] crate::read::Error),
    #[error(transparent)]
    Store(#[from] crate::store::Error),
    #[error(transparent)]
    Libgit(#[from] git2::Error),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Runs git with `args` in `dir`; its stdout, or its stderr as the error.
pub(crate) fn git(dir: &Path, args: &[&str]) -> Result<String> {
    let out = Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_TERMINAL_PROMPT", "0")
        .output()?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(Error::Git {
            args: args.join(" "),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        })
    }
}

/// The id: a hash of the manifest with its id left empty. The manifest lists every member's
/// digest, so the id names the whole content, whatever the file is called, and a manifest
/// changed after sealing (its intent, its privacy report) no longer matches it.
pub(crate) fn content_id(manifest: &Manifest) -> String {
    let mut unnamed = manifest.clone();
    unnamed.id = String::new();
    let bytes = serde_json::to_vec(&unnamed).expect("manifest serialises");
    sha256_hex(&bytes)[..20].to_string()
}

/// A capsule read and checked: its objects sit in `repo` (the user's repository, or a
/// throw-away one when opened outside any), on `refs/capsules/<id>`.
pub struct Capsule {
    pub manifest: Manifest,
    pub commit: Oid,
    /// Keeps a throw-away repository alive while the capsule is used.
    pub scratch: Option<tempfile::TempDir>,
    pub git_dir: PathBuf,
}

impl Capsule {
    /// Reads `spec` — a `.capsule` file or a (prefix of a) capsule id under `refs/capsules/` of
    /// `repo` — and checks it before anything uses it: the bundle (git verifies every object while
    /// indexing it), the schema, every member's digest and size, and the id. A file is read into
    /// a scratch repository, so a damaged or tampered one leaves nothing behind.
    pub fn load(repo: Option<&Repository>, spec: &str) -> Result<Capsule> {
        let path = Path::new(spec);
        if path.is_file() {
            let dir = tempfile::Builder::new().prefix("git-capsule-").tempdir()?;
            git(dir.path(), &["init", "-q", "--bare", "."])?;
            let refname = unbundle(dir.path(), path)?;
            let git_dir = dir.path().to_path_buf();
            return Capsule::checked(Some(dir), git_dir, &refname, spec);
        }
        let repo = repo.ok_or_else(|| Error::NotFound(spec.to_string()))?;
        let refname = find_ref(repo, spec)?;
        Capsule::checked(None, repo.path().to_path_buf(), &refname, spec)
    }

    fn checked(
        scratch: Option<tempfile::TempDir>,
        git_dir: PathBuf,
        refname: &str,
        spec: &str,
    ) -> Result<Capsule> {
        let opened = Repository::open(&git_dir)?;
        let commit = opened.refname_to_id(refname)?;
        let manifest = check(&opened, commit, spec)?;
        Ok(Capsule {
            manifest,
            commit,
            scratch,
            git_dir,
        })
    }

    /// Copies the checked capsule onto `refs/capsules/<id>` of `repo` (a no-op when it is
    /// already there).
    pub fn keep_in(&self, repo: &Repository) -> Result<()> {
        if self.scratch.is_none() {
            return Ok(());
        }
        let name = capsule_ref(&self.manifest.id);
        git(
            repo.path(),
            &[
                "fetch",
                "-q",
                "--no-tags",
                &self.git_dir.display().to_string(),
                &format!("+{name}:{name}"),
            ],
        )?;
        Ok(())
    }

    pub fn repo(&self) -> Result<Repository> {
        Ok(Repository::open(&self.git_dir)?)
    }

    /// One member's bytes.
    pub fn member(&self, path: &str) -> Result<Vec<u8>> {
        let repo = self.repo()?;
        let tree = repo.find_commit(self.commit)?.tree()?;
        let entry = tree.get_path(Path::new(path))?;
        let bytes = repo.find_blob(entry.id())?.content().to_vec();
        Ok(bytes)
    }

    /// `verifier.json`: the test and the failure it recorded.
    pub fn verifier(&self) -> Result<seal::Verifier> {
        serde_json::from_slice(&self.member("verifier.json")?).map_err(|e| Error::Invalid {
            what: self.manifest.id.clone(),
            reason: format!("verifier.json: {e}"),
        })
    }

    /// The tree of `repo/`: the working tree at the slice start.
    pub fn repo_tree(&self) -> Result<Oid> {
        let repo = self.repo()?;
        let tree = repo.find_commit(self.commit)?.tree()?;
        Ok(tree.get_path(Path::new("repo"))?.id())
    }
}

/// Fetches the one capsule ref of a bundle file into `git_dir`; its name.
fn unbundle(git_dir: &Path, file: &Path) -> Result<String> {
    let invalid = |reason: String| Error::Invalid {
        what: file.display().to_string(),
        reason,
    };
    let file_arg = file
        .canonicalize()
        .map_err(|e| invalid(e.to_string()))?
        .display()
        .to_string();
    let heads = git(git_dir, &["bundle", "list-heads", &file_arg])
        .map_err(|e| invalid(format!("not a git bundle ({e})")))?;
    let refs: Vec<&str> = heads
        .lines()
        .filter_map(|l| l.split_whitespace().nth(1))
        .collect();
    let [refname] = refs[..] else {
        return Err(invalid(format!(
            "a capsule holds one ref under {CAPSULES_PREFIX}, this bundle holds {}",
            refs.len()
        )));
    };
    if !refname.starts_with(CAPSULES_PREFIX) {
        return Err(invalid(format!(
            "its ref {refname} is not under {CAPSULES_PREFIX}"
        )));
    }
    git(
        git_dir,
        &[
            "fetch",
            "-q",
            "--no-tags",
            &file_arg,
            &format!("+{refname}:{refname}"),
        ],
    )
    .map_err(|e| invalid(format!("git could not read its objects ({e})")))?;
    Ok(refname.to_string())
}

/// `refs/capsules/<id>` for an id or a unique prefix of one.
fn find_ref(repo: &Repository, spec: &str) -> Result<String> {
    let ids = crate::store::tips(repo, CAPSULES_PREFIX)?;
    let mut found = ids.keys().filter(|id| id.starts_with(spec));
    match (found.next(), found.next()) {
        (Some(id), None) => Ok(capsule_ref(id)),
        _ => Err(Error::NotFound(spec.to_string())),
    }
}

/// Checks the manifest against the tree it sits in.
fn check(repo: &Repository, commit: Oid, what: &str) -> Result<Manifest> {
    let invalid = |reason: String| Error::Invalid {
        what: what.to_string(),
        reason,
    };
    let tree = repo.find_commit(commit)?.tree()?;
    let blob = |path: &str| -> Result<Vec<u8>> {
        let entry = tree
            .get_path(Path::new(path))
            .map_err(|_| invalid(format!("{path} is missing")))?;
        Ok(repo.find_blob(entry.id())?.content().to_vec())
    };
    let raw: serde_json::Value = serde_json::from_slice(&blob("capsule.json")?)
        .map_err(|e| invalid(format!("capsule.json is not JSON ({e})")))?;
    let schema = raw["schema"].as_str().unwrap_or_default().to_string();
    if schema != CAPSULE_SCHEMA {
        if schema.starts_with("git-traces/capsule@") {
            return Err(Error::SchemaTooNew {
                what: what.to_string(),
                schema,
            });
        }
        return Err(invalid(format!("capsule.json has schema '{schema}'")));
    }
    let manifest: Manifest = serde_json::from_value(raw).map_err(|e| {
        invalid(format!(
            "capsule.json does not match {CAPSULE_SCHEMA} ({e})"
        ))
    })?;
    for (path, expected) in &manifest.members {
        // `open` writes members under `.capsule/`: a name must not climb out of it.
        let plain = |part: &str| {
            !part.is_empty()
                && part != "."
                && part != ".."
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
        };
        if !path.split('/').all(plain) || path == "capsule.json" || path == "capsule.md" {
            return Err(invalid(format!("member name '{path}' is not allowed")));
        }
        let actual = if path == "repo" {
            MemberDigest {
                sha256: tree_digest(tree.get_path(Path::new("repo"))?.id()),
                size: 0,
            }
        } else {
            let bytes = blob(path)?;
            MemberDigest {
                sha256: sha256_hex(&bytes),
                size: bytes.len() as u64,
            }
        };
        if &actual != expected {
            return Err(invalid(format!(
                "member {path} has sha256 {} ({} bytes), capsule.json says {} ({} bytes)",
                actual.sha256, actual.size, expected.sha256, expected.size
            )));
        }
    }
    let id = content_id(&manifest);
    if id != manifest.id {
        return Err(invalid(format!(
            "its content hashes to id {id}, capsule.json says {}",
            manifest.id
        )));
    }
    Ok(manifest)
}

/// The digest of `repo/`: sha256 over its git tree id, which already hashes every file in it.
pub(crate) fn tree_digest(tree: Oid) -> String {
    sha256_hex(tree.to_string().as_bytes())
}
