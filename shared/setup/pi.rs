//! Pi's wiring: Pi has no hook configuration, only extensions, so `init --agent pi` installs the
//! extension in `hooks/pi/git-traces.ts` (compiled into the binary) where Pi discovers it: the
//! project's `.pi/extensions/`, or `$PI_CODING_AGENT_DIR/extensions/` (default
//! `~/.pi/agent/extensions/`) with `--global`.
//!
//! A file at that path is ours when it carries [`MARKER`]; anything else there is the user's and is
//! never overwritten or removed.

use std::fs;
use std::path::{Path, PathBuf};

use super::{Change, Error, Scope, Wiring};

/// The extension, as shipped.
pub(super) const EXTENSION: &str = include_str!("../../hooks/pi/git-traces.ts");
/// The line that marks a file as git-traces' extension.
const MARKER: &str = "git-traces Pi extension";
const FILE: &str = "git-traces.ts";
const REPO_DIR: &str = ".pi/extensions";

fn extension_path(
    repo: Option<&git2::Repository>,
    scope: Scope,
    home: Option<&Path>,
) -> Result<PathBuf, Error> {
    match scope {
        Scope::Repo => Ok(repo
            .and_then(git2::Repository::workdir)
            .ok_or(Error::Bare {
                product: "Pi",
                file: ".pi/extensions/git-traces.ts",
            })?
            .join(REPO_DIR)
            .join(FILE)),
        Scope::Global => {
            let agent_dir = match std::env::var_os("PI_CODING_AGENT_DIR").filter(|d| !d.is_empty())
            {
                Some(dir) => PathBuf::from(dir),
                None => home
                    .ok_or_else(|| Error::NoHome {
                        needed_for: "~/.pi/agent/extensions".to_string(),
                    })?
                    .join(".pi/agent"),
            };
            Ok(agent_dir.join("extensions").join(FILE))
        }
    }
}

fn read(path: &Path) -> Result<Option<String>, Error> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(String::from_utf8_lossy(&bytes).into_owned())),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(err) => Err(Error::io("read", path)(err)),
    }
}

pub(super) fn install(
    repo: Option<&git2::Repository>,
    scope: Scope,
    home: Option<&Path>,
) -> Result<Vec<Wiring>, Error> {
    let path = extension_path(repo, scope, home)?;
    let change = match read(&path)? {
        Some(text) if text == EXTENSION => Change::AlreadyInstalled,
        Some(text) if !text.contains(MARKER) => {
            return Err(Error::Foreign {
                path,
                hint: "rename or remove it, then run 'git trace init --agent pi' again",
            })
        }
        existing => {
            if let Some(dir) = path.parent() {
                fs::create_dir_all(dir).map_err(Error::io("create", dir))?;
            }
            super::write_atomic(
                &path,
                EXTENSION.as_bytes(),
                super::new_file_permissions(0o644),
            )?;
            if existing.is_some() {
                Change::Updated
            } else {
                Change::Installed
            }
        }
    };
    let mut what = "Pi extension (forwards Pi events to git trace hook pi)".to_string();
    if let (Scope::Repo, Some(repo)) = (scope, repo) {
        let file = format!("{REPO_DIR}/{FILE}");
        what.push_str(&super::hooks_json::untracked_note(repo, &file).unwrap_or_default());
    }
    Ok(vec![Wiring { path, what, change }])
}

pub(super) fn uninstall(
    repo: Option<&git2::Repository>,
    scope: Scope,
    home: Option<&Path>,
) -> Result<Vec<Wiring>, Error> {
    let path = match extension_path(repo, scope, home) {
        Ok(path) => path,
        Err(Error::Bare { .. }) => return Ok(Vec::new()),
        Err(err) => return Err(err),
    };
    let change = match read(&path)? {
        Some(text) if text.contains(MARKER) => {
            fs::remove_file(&path).map_err(Error::io("remove", &path))?;
            Change::Removed
        }
        _ => Change::NotInstalled,
    };
    Ok(vec![Wiring {
        path,
        what: "Pi extension".to_string(),
        change,
    }])
}

/// Where our extension is installed (project, user), as `doctor` reports it.
pub(super) fn status(repo: &git2::Repository, home: Option<&Path>) -> Vec<PathBuf> {
    [Scope::Repo, Scope::Global]
        .into_iter()
        .filter_map(|scope| extension_path(Some(repo), scope, home).ok())
        .filter(|path| {
            read(path)
                .ok()
                .flatten()
                .is_some_and(|t| t.contains(MARKER))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn installs_updates_and_removes_only_its_own_file() {
        let dir = tempfile::tempdir().unwrap();
        let repo = git2::Repository::init(dir.path()).unwrap();
        let home = tempfile::tempdir().unwrap();
        let path = dir.path().join(".pi/extensions/git-traces.ts");
        let r = install(Some(&repo), Scope::Repo, Some(home.path())).unwrap();
        assert_eq!(r[0].change, Change::Installed);
        assert_eq!(fs::read_to_string(&path).unwrap(), EXTENSION);
        let r = install(Some(&repo), Scope::Repo, Some(home.path())).unwrap();
        assert_eq!(r[0].change, Change::AlreadyInstalled);
        fs::write(&path, format!("// {MARKER}, an older version\n")).unwrap();
        let r = install(Some(&repo), Scope::Repo, Some(home.path())).unwrap();
        assert_eq!(r[0].change, Change::Updated);
        assert_eq!(status(&repo, Some(home.path())), vec![path.clone()]);
        let r = uninstall(Some(&repo), Scope::Repo, Some(home.path())).unwrap();
        assert_eq!(r[0].change, Change::Removed);
        assert!(!path.exists());

        fs::write(&path, "export default function () {}\n").unwrap();
        let err = install(Some(&repo), Scope::Repo, Some(home.path())).unwrap_err();
        assert!(matches!(err, Error::Foreign { .. }), "{err}");
        let r = uninstall(Some(&repo), Scope::Repo, Some(home.path())).unwrap();
        assert_eq!(r[0].change, Change::NotInstalled);
        assert!(path.exists());
    }
}
