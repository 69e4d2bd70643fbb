//! Where the evidence of a repository lives on disk and under which ref names.

use std::path::{Path, PathBuf};

pub const SESSIONS_PREFIX: &str = "refs/traces/sessions/";
pub const TRAILS_PREFIX: &str = "refs/traces/trails/";

/// `.git/traces/` of a repository (of its common dir, for linked worktrees).
#[derive(Debug, Clone)]
pub struct Traces {
    /// The common git dir: where shared refs and objects live.
    pub common_dir: PathBuf,
    /// `<common dir>/traces`.
    pub dir: PathBuf,
}

impl Traces {
    pub fn of(repo: &git2::Repository) -> Traces {
        let common_dir = repo.commondir().to_path_buf();
        Traces {
            dir: common_dir.join("traces"),
            common_dir,
        }
    }

    pub fn journal(&self, session: &str) -> PathBuf {
        self.dir.join("journal").join(format!("{session}.jsonl"))
    }
    pub fn state(&self, session: &str) -> PathBuf {
        self.dir.join("state").join(format!("{session}.json"))
    }
    pub fn index(&self, session: &str) -> PathBuf {
        self.dir.join("index").join(session)
    }
    pub fn lock(&self, session: &str) -> PathBuf {
        self.dir.join("locks").join(format!("{session}.lock"))
    }
    pub fn errors_log(&self) -> PathBuf {
        self.dir.join("errors.log")
    }
    /// The lock file git (and libgit2) take next to a loose ref.
    pub fn ref_lock(&self, refname: &str) -> PathBuf {
        self.common_dir.join(format!("{refname}.lock"))
    }
    pub fn exists(&self) -> bool {
        self.dir.is_dir()
    }
}

pub fn session_ref(session: &str) -> String {
    format!("{SESSIONS_PREFIX}{session}")
}

pub fn trail_ref(session: &str) -> String {
    format!("{TRAILS_PREFIX}{session}")
}

/// Makes a harness session id safe as a file name and a ref component.
///
/// Harness ids are UUIDs in practice, which pass through unchanged. Anything else (slashes, `..`,
/// control characters, a `.lock` suffix, overlong ids) is mapped to a readable, collision-free name:
/// the unsafe characters become `_` and a short hash of the original id is appended.
pub fn sanitize_session_id(raw: &str) -> Option<String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    let safe_char = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.';
    let clean = raw.len() <= 128
        && raw.chars().all(safe_char)
        && !raw.starts_with(['.', '-'])
        && !raw.contains("..")
        && !raw.ends_with(".lock")
        && !raw.ends_with('.');
    if clean {
        return Some(raw.to_string());
    }
    use sha2::Digest;
    let digest = sha2::Sha256::digest(raw.as_bytes());
    let hash: String = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
    let mut name: String = raw
        .chars()
        .take(64)
        .map(|c| if safe_char(c) && c != '.' { c } else { '_' })
        .collect();
    name = name.trim_start_matches(['-', '_']).to_string();
    Some(format!("{name}-{hash}"))
}

pub(crate) fn ensure_dir(path: &Path) -> super::Result<()> {
    std::fs::create_dir_all(path).map_err(super::Error::io(path))
}

#[cfg(test)]
mod tests {
    use super::sanitize_session_id as s;

    #[test]
    fn uuids_pass_and_unsafe_ids_are_mapped() {
        let uuid = "ecbef1cc-3097-4936-9b94-b6eb9d656352";
        assert_eq!(s(uuid).unwrap(), uuid);
        assert_eq!(s(""), None);
        for bad in ["../../x", "a/b", "x.lock", "-x", "a b", "a..b"] {
            let got = s(bad).unwrap();
            assert!(
                !got.contains('/') && !got.contains("..") && !got.ends_with(".lock"),
                "{bad} -> {got}"
            );
            assert!(!got.starts_with(['-', '.']), "{bad} -> {got}");
        }
        assert_ne!(s("a/b").unwrap(), s("a_b").unwrap());
    }
}
