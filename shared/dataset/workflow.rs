//! A dataset workflow: the portable procedure that turns evidence into rows.
//!
//! A workflow is a directory: `workflow.toml` (what it reads and how it runs), `SKILL.md` (the
//! instructions an agent follows when it builds the rows), `row.schema.json` (one row's JSON
//! Schema) and `build_rows` (any executable). Its digest covers every file, names and executable
//! bits included, so a dataset can say exactly which procedure produced its rows.

use super::{Error, Result};
use crate::store::Files;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

pub const MANIFEST: &str = "workflow.toml";
pub const SCHEMA: &str = "row.schema.json";
pub const BUILDER: &str = "build_rows";
pub const SKILL: &str = "SKILL.md";

/// `workflow.toml`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub name: String,
    pub version: u32,
    pub description: String,
    /// `script`: `build_rows` is a program and runs with a scrubbed environment. `agent`:
    /// `build_rows` drives an agent through `SKILL.md` and keeps the caller's environment (the
    /// agent needs its credentials); its rows pass the same gates.
    #[serde(default)]
    pub executor: Executor,
    #[serde(default = "default_license")]
    pub license: String,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub select: Selection,
    #[serde(default)]
    pub security: Security,
}

fn default_license() -> String {
    "other".into()
}

#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Executor {
    #[default]
    Script,
    Agent,
}

/// Which sessions and steps the run packet carries.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Selection {
    /// Sessions started at or after this: an RFC 3339 time or an age (`30d`, `12h`, `2w`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
    /// Harnesses to read (`claude`, `codex`, `pi`); empty: all.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub harness: Vec<String>,
    /// Survival states a session must have at least one patch in; empty: any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub survival: Vec<String>,
    /// Share of a session's written lines still alive, 0.0 to 1.0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_retention: Option<f64>,
}

/// Extra egress rules of this workflow, on top of the built-in scanner.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Security {
    /// Regular expressions; a row that matches one is blocked.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deny: Vec<String>,
}

/// A workflow read from disk (or from a dataset's pinned copy): its files and their digest.
#[derive(Debug, Clone)]
pub struct Workflow {
    pub manifest: Manifest,
    pub schema: serde_json::Value,
    /// Every file, by path relative to the workflow directory, with its executable bit.
    pub files: Files,
    pub digest: String,
}

impl Workflow {
    /// Reads and checks the workflow in `dir`.
    pub fn load(dir: &Path) -> Result<Workflow> {
        let mut files = Files::new();
        collect(dir, dir, &mut files)?;
        Workflow::from_files(files, &dir.display().to_string())
    }

    /// Checks a workflow given as files (`origin` names it in errors).
    pub fn from_files(files: Files, origin: &str) -> Result<Workflow> {
        let bad = |why: String| Error::Workflow {
            dir: origin.to_string(),
            why,
        };
        let text = |name: &str| -> Result<String> {
            let (_, bytes) = files
                .get(name)
                .ok_or_else(|| bad(format!("{name} is missing")))?;
            String::from_utf8(bytes.clone()).map_err(|_| bad(format!("{name} is not UTF-8")))
        };
        let manifest: Manifest =
            toml::from_str(&text(MANIFEST)?).map_err(|e| bad(format!("{MANIFEST}: {e}")))?;
        if !super::valid_name(&manifest.name) {
            return Err(bad(format!(
                "{MANIFEST}: name {:?} must be letters, digits, '.', '_' or '-'",
                manifest.name
            )));
        }
        for rule in &manifest.security.deny {
            regex::Regex::new(rule)
                .map_err(|e| bad(format!("{MANIFEST}: security.deny {rule:?}: {e}")))?;
        }
        if let Some(r) = manifest.select.min_retention {
            if !(0.0..=1.0).contains(&r) {
                return Err(bad(format!(
                    "{MANIFEST}: select.min_retention {r} is not between 0 and 1"
                )));
            }
        }
        let schema: serde_json::Value = serde_json::from_str(&text(SCHEMA)?)
            .map_err(|e| bad(format!("{SCHEMA} is not JSON: {e}")))?;
        jsonschema::validator_for(&schema)
            .map_err(|e| bad(format!("{SCHEMA} is not a valid JSON Schema: {e}")))?;
        text(SKILL)?;
        match files.get(BUILDER) {
            None => return Err(bad(format!("{BUILDER} is missing"))),
            Some((false, _)) => {
                return Err(bad(format!(
                    "{BUILDER} is not executable (chmod +x {origin}/{BUILDER})"
                )))
            }
            Some(_) => {}
        }
        let digest = digest(&files);
        Ok(Workflow {
            manifest,
            schema,
            files,
            digest,
        })
    }

    /// Writes the files into `dir` (created), executable bits kept.
    pub fn write_to(&self, dir: &Path) -> Result<()> {
        for (name, (exec, bytes)) in &self.files {
            let path = dir.join(name);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(&path, bytes)?;
            let mode = if *exec { 0o755 } else { 0o644 };
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode))?;
        }
        Ok(())
    }

    /// `name@version` and the short digest, as the dataset and its card name this workflow.
    pub fn label(&self) -> String {
        format!(
            "{}@{} ({})",
            self.manifest.name,
            self.manifest.version,
            &self.digest[..12]
        )
    }
}

/// sha256 over every file's path, executable bit and bytes, in path order: renaming a file or
/// dropping its executable bit changes the procedure, so it changes the digest.
fn digest(files: &Files) -> String {
    let mut h = Sha256::new();
    for (name, (exec, bytes)) in files {
        h.update(name.as_bytes());
        h.update([0, u8::from(*exec)]);
        h.update((bytes.len() as u64).to_be_bytes());
        h.update(bytes);
    }
    format!("{:x}", h.finalize())
}

fn collect(root: &Path, dir: &Path, out: &mut Files) -> Result<()> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::Workflow {
        dir: root.display().to_string(),
        why: format!("cannot read {}: {e}", dir.display()),
    })?;
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        let meta = std::fs::metadata(&path)?;
        if path.file_name().is_some_and(|n| n == ".git") {
            continue;
        }
        if meta.is_dir() {
            collect(root, &path, out)?;
        } else if meta.is_file() {
            let rel = path
                .strip_prefix(root)
                .expect("under root")
                .to_str()
                .ok_or_else(|| Error::Workflow {
                    dir: root.display().to_string(),
                    why: format!("{} is not a UTF-8 file name", path.display()),
                })?
                .to_string();
            let exec = meta.permissions().mode() & 0o111 != 0;
            out.insert(rel, (exec, std::fs::read(&path)?));
        }
    }
    Ok(())
}
