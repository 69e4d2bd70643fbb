//! What `git trace init` wires, what `git trace uninstall` unwires, and what `git trace doctor`
//! checks.
//!
//! Owns two contracts other tools and users see. In the `post-commit` and `post-rewrite` git hooks,
//! the lines from `# BEGIN git-traces` to `# END git-traces` (around the shim texts in `hooks/`);
//! every byte outside that block is the user's and survives install, update and uninstall. In
//! Claude Code's `settings.json` and Codex's `hooks.json`, the hook entries whose command is
//! `git trace hook <harness> <Event>`; every other key and hook keeps its value and its place.
//! Codex's `config.toml` gets one key, edited as TOML; Pi gets one extension file. Every install
//! is idempotent: a second run writes nothing, so the files stay byte-identical.

mod codex;
mod git_hooks;
mod hooks_json;
mod pi;
mod remote;

use crate::capture::Harness;

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// Which files to wire: the worktree's (`.claude/settings.json`, `.codex/hooks.json`,
/// `.pi/extensions/`: shared with everyone who clones the repository once committed) or the user's
/// (`~/.claude`, `$CODEX_HOME`, `~/.pi/agent`: every project of this user).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Repo,
    Global,
}

/// One line of the `init`/`uninstall` report: a file, what in it, and what happened.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Wiring {
    pub path: PathBuf,
    pub what: String,
    pub change: Change,
}

/// What a run did to one piece of wiring.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    Installed,
    /// Our block or entries were there but not in the current form, or only partly.
    Updated,
    AlreadyInstalled,
    Removed,
    NotInstalled,
}

impl std::fmt::Display for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Change::Installed => "installed",
            Change::Updated => "updated",
            Change::AlreadyInstalled => "already installed",
            Change::Removed => "removed",
            Change::NotInstalled => "not installed",
        })
    }
}

/// Why wiring failed. The refusals (`ForeignHook`, `UnterminatedBlock`, `Parse`, `Shape`) are found
/// before the first write, so they leave every file as it was.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot {action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot read {what}: {source}")]
    Git {
        what: &'static str,
        source: git2::Error,
    },
    #[error("{path} is a {kind}, not a shell script; git-traces left it unchanged\nhint: {}", foreign_hook_hint(.hook))]
    ForeignHook {
        path: PathBuf,
        hook: &'static str,
        kind: String,
    },
    #[error("{path} has a '# BEGIN git-traces' line without a matching '# END git-traces'\nhint: delete the partial block by hand, then run the command again")]
    UnterminatedBlock { path: PathBuf },
    #[error("cannot parse {path} at line {line}, column {column}: {message}\nhint: fix the JSON by hand, then run the command again; nothing was written")]
    Parse {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("cannot merge into {path}: {field} is not {expected}\nhint: {product} does not read it either; fix the file by hand, then run the command again")]
    Shape {
        product: &'static str,
        path: PathBuf,
        field: String,
        expected: &'static str,
    },
    #[error("cannot wire {product} in a bare repository: there is no worktree for {file}\nhint: use 'git trace init --global' to wire your user-level settings instead")]
    Bare {
        product: &'static str,
        file: &'static str,
    },
    #[error("'{remote}' is not a remote of this repository\nhint: 'git remote -v' lists them; 'git remote add {remote} <url>' adds one")]
    NoRemote { remote: String },
    #[error("{path} exists and is not git-traces' file; it was left unchanged\nhint: {hint}")]
    Foreign { path: PathBuf, hint: &'static str },
    #[error("cannot resolve {needed_for}: HOME is not set\nhint: set HOME to your home directory, then run the command again")]
    NoHome { needed_for: String },
}

fn foreign_hook_hint(hook: &str) -> String {
    match hook {
        "post-rewrite" => "make it run 'git-trail hook post-rewrite <amend|rebase>' with the hook's own stdin and ignore its exit status, or turn it into a sh script and run 'git trace init' again".to_string(),
        _ => format!("make it run 'git-trail hook {hook}' and ignore its exit status, or turn it into a sh script and run 'git trace init' again"),
    }
}

impl Error {
    fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.to_path_buf();
        move |source| Error::Io {
            action,
            path,
            source,
        }
    }
}

/// Installs the `post-commit` and `post-rewrite` blocks in the hooks directory git uses for this
/// repository (`core.hooksPath`, else the common dir's `hooks/`, which linked worktrees share).
///
/// Fails without writing anything when either hook exists in a language other than sh, or holds a
/// `# BEGIN git-traces` without its end.
pub fn install_git_hooks(repo: &git2::Repository) -> Result<Vec<Wiring>, Error> {
    git_hooks::install(repo, home_dir().as_deref())
}

/// Removes exactly the blocks [`install_git_hooks`] wrote, deleting a hook file only when we
/// created it and nothing but its shebang is left.
pub fn uninstall_git_hooks(repo: &git2::Repository) -> Result<Vec<Wiring>, Error> {
    git_hooks::uninstall(repo, home_dir().as_deref())
}

/// Wires an agent: for Claude Code and Codex, `git trace hook <harness> <Event>` entries in their
/// hook file for every event capture records (leaving any event that already runs one of ours
/// alone), plus Codex's feature flag; for Pi, the extension. `repo` is needed for [`Scope::Repo`]
/// only: user-level wiring can be done from anywhere.
pub fn install_agent(
    harness: Harness,
    repo: Option<&git2::Repository>,
    scope: Scope,
) -> Result<Vec<Wiring>, Error> {
    let home = home_dir();
    let home = home.as_deref();
    match harness {
        Harness::Claude => hooks_json::install(&hooks_json::CLAUDE, repo, scope, home),
        Harness::Codex => {
            // The config is checked first: a file Codex cannot read either stops before any write.
            let mut done = codex::install(repo, scope, home)?;
            done.splice(
                0..0,
                hooks_json::install(&hooks_json::CODEX, repo, scope, home)?,
            );
            Ok(done)
        }
        Harness::Pi => pi::install(repo, scope, home),
    }
}

/// Removes only what [`install_agent`] added. Codex's feature flag stays on: other hooks may
/// need it.
pub fn uninstall_agent(
    harness: Harness,
    repo: Option<&git2::Repository>,
    scope: Scope,
) -> Result<Vec<Wiring>, Error> {
    let home = home_dir();
    let home = home.as_deref();
    match harness {
        Harness::Claude => hooks_json::uninstall(&hooks_json::CLAUDE, repo, scope, home),
        Harness::Codex => hooks_json::uninstall(&hooks_json::CODEX, repo, scope, home),
        Harness::Pi => pi::uninstall(repo, scope, home),
    }
}

/// Adds the refspecs that let plain `git push`/`git fetch` to `remote` carry shared sessions and
/// notes (and `HEAD`, when the remote had no push refspec, so the branch still goes too).
pub fn install_remote(repo: &git2::Repository, remote: &str) -> Result<Vec<Wiring>, Error> {
    remote::install(repo, remote)
}

/// Removes exactly the refspecs [`install_remote`] added.
pub fn uninstall_remote(repo: &git2::Repository, remote: &str) -> Result<Vec<Wiring>, Error> {
    remote::uninstall(repo, remote)
}

/// Whether each piece of wiring is in place, as `git trace doctor` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WiringStatus {
    /// Where git looks for hooks for this repository.
    pub hooks_dir: PathBuf,
    /// Our block is in `post-commit`, or the hook calls `git-trail hook post-commit` itself (the
    /// way a non-shell hook is wired by hand).
    pub post_commit: bool,
    /// As `post_commit`, for `post-rewrite`.
    pub post_rewrite: bool,
    /// False when a hook file that is wired lacks the executable bit, so git skips it.
    pub hooks_executable: bool,
    /// Each agent's wiring, in [`Harness::ALL`] order.
    pub agents: Vec<AgentStatus>,
    /// Findings worth a line in doctor's output: `core.hooksPath` in use, unreadable files, hooks
    /// we cannot chain into.
    pub notes: Vec<String>,
}

/// Whether one agent is wired.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentStatus {
    pub harness: Harness,
    /// The files (project first, then user-level) that wire at least part of it.
    pub files: Vec<PathBuf>,
    /// Events no file wires (empty when not wired at all, or for Pi's extension).
    pub events_missing: Vec<&'static str>,
    /// Wired, but the agent will not run the hooks, and why.
    pub blocked: Option<String>,
}

/// Reads the wiring without writing anything; problems become `notes` rather than errors, so
/// doctor can report everything it finds in one run.
pub fn status(repo: &git2::Repository) -> WiringStatus {
    status_with_home(repo, home_dir().as_deref())
}

fn status_with_home(repo: &git2::Repository, home: Option<&Path>) -> WiringStatus {
    let hooks = git_hooks::status(repo, home);
    let mut notes = hooks.notes;
    let mut agents = Vec::new();
    for harness in Harness::ALL {
        let agent = match harness {
            Harness::Claude | Harness::Codex => {
                let spec = if harness == Harness::Claude {
                    &hooks_json::CLAUDE
                } else {
                    &hooks_json::CODEX
                };
                let st = hooks_json::status(spec, repo, home);
                notes.extend(st.notes);
                let user_level = st.global.is_some();
                let files: Vec<PathBuf> = st.repo.into_iter().chain(st.global).collect();
                let wired = !files.is_empty();
                let blocked = match harness {
                    Harness::Codex if wired && codex::hooks_enabled(home) != Some(true) => {
                        Some("[features] hooks is not on in Codex's config.toml".to_string())
                    }
                    Harness::Codex
                        if !user_level && wired && !codex::project_trusted(repo, home) =>
                    {
                        Some("Codex loads .codex/hooks.json only in trusted projects, and this one is not trusted in its config.toml (trust it when Codex asks)".to_string())
                    }
                    _ => None,
                };
                AgentStatus {
                    harness,
                    events_missing: if wired { st.missing } else { Vec::new() },
                    files,
                    blocked,
                }
            }
            Harness::Pi => AgentStatus {
                harness,
                files: pi::status(repo, home),
                events_missing: Vec::new(),
                blocked: None,
            },
        };
        agents.push(agent);
    }
    WiringStatus {
        hooks_dir: hooks.dir,
        post_commit: hooks.post_commit,
        post_rewrite: hooks.post_rewrite,
        hooks_executable: hooks.executable,
        agents,
        notes,
    }
}

/// `$HOME`, as git and Claude Code use it for `~`; an empty value counts as unset.
fn home_dir() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .filter(|home| !home.is_empty())
        .map(PathBuf::from)
}

/// Replaces `path` so a reader sees the old or the new bytes, never a torn file (jj
/// `persist_temp_file`). A symlinked file (dotfiles) is written through to its target, so the link
/// survives.
fn write_atomic(
    path: &Path,
    bytes: &[u8],
    permissions: Option<fs::Permissions>,
) -> Result<(), Error> {
    let target = match fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => {
            fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
        }
        _ => path.to_path_buf(),
    };
    let dir = match target.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".git-traces-")
        .tempfile_in(dir)
        .map_err(Error::io("create a temporary file in", dir))?;
    tmp.write_all(bytes)
        .map_err(Error::io("write", tmp.path()))?;
    if let Some(permissions) = permissions {
        tmp.as_file()
            .set_permissions(permissions)
            .map_err(Error::io("set permissions on", tmp.path()))?;
    }
    tmp.as_file()
        .sync_data()
        .map_err(Error::io("write", tmp.path()))?;
    tmp.persist(&target)
        .map_err(|err| Error::io("replace", &target)(err.error))?;
    Ok(())
}

/// Permissions for a file we create; tempfile's own 0600 would hide a hook from git or a shared
/// settings file from other users.
#[cfg(unix)]
fn new_file_permissions(mode: u32) -> Option<fs::Permissions> {
    use std::os::unix::fs::PermissionsExt as _;
    Some(fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn new_file_permissions(_mode: u32) -> Option<fs::Permissions> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A repository with a worktree, its tempdir, and a separate home directory.
    pub(super) struct Fixture {
        _dir: tempfile::TempDir,
        pub(super) home: tempfile::TempDir,
        pub(super) repo: git2::Repository,
    }

    impl Fixture {
        pub(super) fn new() -> Fixture {
            let dir = tempfile::tempdir().unwrap();
            let home = tempfile::tempdir().unwrap();
            let repo = git2::Repository::init(dir.path()).unwrap();
            Fixture {
                _dir: dir,
                home,
                repo,
            }
        }

        pub(super) fn root(&self) -> &Path {
            self.repo.workdir().unwrap()
        }

        pub(super) fn home(&self) -> Option<&Path> {
            Some(self.home.path())
        }
    }

    #[test]
    fn change_displays_and_serialises_like_git_words() {
        assert_eq!(Change::AlreadyInstalled.to_string(), "already installed");
        assert_eq!(Change::NotInstalled.to_string(), "not installed");
        let wiring = Wiring {
            path: PathBuf::from("/r/.git/hooks/post-commit"),
            what: "post-commit hook".into(),
            change: Change::AlreadyInstalled,
        };
        assert_eq!(
            serde_json::to_string(&wiring).unwrap(),
            r#"{"path":"/r/.git/hooks/post-commit","what":"post-commit hook","change":"already_installed"}"#
        );
    }

    #[test]
    fn status_reports_nothing_wired_then_everything() {
        let fx = Fixture::new();
        let before = status_with_home(&fx.repo, fx.home());
        assert!(!before.post_commit && !before.post_rewrite);
        assert!(before.agents.iter().all(|a| a.files.is_empty()));
        assert_eq!(before.hooks_dir, fx.repo.path().join("hooks"));

        git_hooks::install(&fx.repo, fx.home()).unwrap();
        hooks_json::install(
            &hooks_json::CLAUDE,
            Some(&fx.repo),
            Scope::Global,
            fx.home(),
        )
        .unwrap();
        hooks_json::install(&hooks_json::CODEX, Some(&fx.repo), Scope::Repo, fx.home()).unwrap();
        let after = status_with_home(&fx.repo, fx.home());
        assert!(after.post_commit && after.post_rewrite && after.hooks_executable);
        let [claude, codex, pi] = &after.agents[..] else {
            panic!("{after:?}")
        };
        assert_eq!(claude.files, [fx.home.path().join(".claude/settings.json")]);
        assert!(claude.events_missing.is_empty() && claude.blocked.is_none());
        assert_eq!(codex.files, [fx.root().join(".codex/hooks.json")]);
        assert!(
            codex
                .blocked
                .as_deref()
                .unwrap()
                .contains("[features] hooks"),
            "{codex:?}"
        );
        codex::install(Some(&fx.repo), Scope::Repo, fx.home()).unwrap();
        let codex = &status_with_home(&fx.repo, fx.home()).agents[1];
        assert!(
            codex.blocked.as_deref().unwrap().contains("not trusted"),
            "{codex:?}"
        );
        let config = fx.home.path().join(".codex/config.toml");
        let project = fs::canonicalize(fx.root()).unwrap();
        let trusted = format!(
            "{}\n[projects.\"{}\"]\ntrust_level = \"trusted\"\n",
            fs::read_to_string(&config).unwrap(),
            project.display()
        );
        fs::write(&config, trusted).unwrap();
        let codex = &status_with_home(&fx.repo, fx.home()).agents[1];
        assert_eq!(codex.blocked, None);
        assert!(pi.files.is_empty());
        assert!(after.notes.is_empty(), "{:?}", after.notes);
    }

    #[cfg(unix)]
    #[test]
    fn status_flags_a_wired_hook_git_would_skip() {
        use std::os::unix::fs::PermissionsExt as _;
        let fx = Fixture::new();
        git_hooks::install(&fx.repo, fx.home()).unwrap();
        let hook = fx.repo.path().join("hooks/post-commit");
        fs::set_permissions(&hook, fs::Permissions::from_mode(0o644)).unwrap();
        let status = status_with_home(&fx.repo, fx.home());
        assert!(status.post_commit && !status.hooks_executable);
        assert!(
            status.notes.iter().any(|n| n.contains("not executable")),
            "{:?}",
            status.notes
        );
    }
}
