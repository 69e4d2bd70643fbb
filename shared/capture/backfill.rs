//! `git trace import --all`: finding every session file a harness wrote for this repository.
//!
//! Each harness keeps its files in its own place (moved by its own environment variable); a file
//! belongs here when the cwd it records is inside this worktree. Claude Code and Pi name their
//! directories after the cwd, so most foreign directories are passed over by name without reading
//! a byte; Codex files are dated, so the first line of each (its `session_meta`) is read.

use super::Harness;
use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// The directory a harness keeps its sessions in, following the harness's own override.
pub fn sessions_dir(harness: Harness, home: &Path) -> PathBuf {
    let env = |name: &str| {
        std::env::var_os(name)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    match harness {
        Harness::Claude => env("CLAUDE_CONFIG_DIR")
            .unwrap_or_else(|| home.join(".claude"))
            .join("projects"),
        Harness::Codex => env("CODEX_HOME")
            .unwrap_or_else(|| home.join(".codex"))
            .join("sessions"),
        Harness::Pi => env("PI_CODING_AGENT_DIR")
            .unwrap_or_else(|| home.join(".pi/agent"))
            .join("sessions"),
    }
}

/// A session file that belongs to this repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub harness: Harness,
    pub path: PathBuf,
}

/// Session files under `dir` written by `harness` for a cwd inside `workdir`, modified at or
/// after `since`, oldest first (so sessions are imported in the order they ran).
pub fn discover(
    harness: Harness,
    dir: &Path,
    workdir: &Path,
    since: Option<SystemTime>,
) -> Vec<Found> {
    let slug = dir_slug(harness, workdir);
    let mut files: Vec<(SystemTime, PathBuf)> = Vec::new();
    for path in jsonl_files(dir) {
        let Ok(modified) = fs::metadata(&path).and_then(|m| m.modified()) else {
            continue;
        };
        if since.is_some_and(|since| modified < since) {
            continue;
        }
        let named_elsewhere = slug.as_deref().is_some_and(|slug| {
            path.parent()
                .and_then(Path::file_name)
                .is_some_and(|d| !d.to_string_lossy().starts_with(slug))
        });
        if named_elsewhere || !ran_inside(harness, &path, workdir) {
            continue;
        }
        files.push((modified, path));
    }
    files.sort();
    files
        .into_iter()
        .map(|(_, path)| Found { harness, path })
        .collect()
}

/// The prefix every session directory of `workdir` (or of a directory below it) has: Claude Code
/// writes `<cwd with / and . as ->`, Pi `--<cwd without its leading / and / as ->--`. Both
/// mappings lose information, so this only rules directories out; the header decides.
fn dir_slug(harness: Harness, workdir: &Path) -> Option<String> {
    let path = workdir.to_str()?.trim_end_matches('/');
    match harness {
        Harness::Claude => Some(path.replace(['/', '.'], "-")),
        Harness::Pi => Some(format!(
            "--{}",
            path.trim_start_matches('/').replace('/', "-")
        )),
        Harness::Codex => None,
    }
}

fn jsonl_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            match entry.file_type() {
                Ok(t) if t.is_dir() => stack.push(path),
                Ok(t) if t.is_file() && path.extension().is_some_and(|e| e == "jsonl") => {
                    out.push(path)
                }
                _ => {}
            }
        }
    }
    out
}

/// Whether the file's header puts the session's cwd inside `workdir`. Reads only as far as the
/// header: Codex and Pi put it on the first line, Claude Code on the first records.
fn ran_inside(harness: Harness, path: &Path, workdir: &Path) -> bool {
    let Ok(file) = fs::File::open(path) else {
        return false;
    };
    let mut head = Vec::new();
    let mut reader = BufReader::new(file.take(4 << 20));
    for _ in 0..20 {
        match reader.read_until(b'\n', &mut head) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        if let Some(cwd) = harness.session_header(&head).cwd {
            return inside(Path::new(&cwd), workdir);
        }
    }
    false
}

fn inside(cwd: &Path, workdir: &Path) -> bool {
    let canon = |p: &Path| fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    cwd.starts_with(workdir) || canon(cwd).starts_with(canon(workdir))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_rule_out_other_projects_directories() {
        let w = Path::new("/home/me/src/app.rs");
        assert_eq!(dir_slug(Harness::Claude, w).unwrap(), "-home-me-src-app-rs");
        assert_eq!(dir_slug(Harness::Pi, w).unwrap(), "--home-me-src-app.rs");
        assert_eq!(dir_slug(Harness::Codex, w), None);
    }

    #[test]
    fn finds_only_this_repositorys_sessions_oldest_first() {
        let home = tempfile::tempdir().unwrap();
        let work = tempfile::tempdir().unwrap();
        let workdir = fs::canonicalize(work.path()).unwrap();
        let dir = home.path().join("sessions/2026/11/25");
        fs::create_dir_all(&dir).unwrap();
        let meta = |cwd: &Path| {
            format!(
                "{{\"type\":\"session_meta\",\"payload\":{{\"id\":\"s\",\"cwd\":{:?}}}}}\n",
                cwd.to_str().unwrap()
            )
        };
        fs::write(dir.join("rollout-b.jsonl"), meta(&workdir.join("sub"))).unwrap();
        fs::write(dir.join("rollout-c.jsonl"), meta(Path::new("/elsewhere"))).unwrap();
        fs::write(dir.join("notes.txt"), meta(&workdir)).unwrap();
        let found = discover(
            Harness::Codex,
            &home.path().join("sessions"),
            &workdir,
            None,
        );
        assert_eq!(
            found
                .iter()
                .map(|f| f.path.file_name().unwrap().to_str().unwrap())
                .collect::<Vec<_>>(),
            ["rollout-b.jsonl"]
        );
        let later = SystemTime::now() + std::time::Duration::from_secs(3600);
        assert!(discover(
            Harness::Codex,
            &home.path().join("sessions"),
            &workdir,
            Some(later)
        )
        .is_empty());
    }
}
