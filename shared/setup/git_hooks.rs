//! The `post-commit` and `post-rewrite` blocks.
//!
//! Git runs one file per hook (githooks(5)), so we share that file with the user instead of
//! owning it: the block goes right after the shebang, before any user `exit`, and the bytes around
//! it are never rewritten. From a linked worktree the block goes into the common dir's hooks,
//! which every worktree runs, since "most people, when creating a new worktree, will not also
//! reinstall hooks" (git-branchless `get_main_worktree_hooks_dir`).

use std::fs;
use std::ops::Range;
use std::path::{Component, Path, PathBuf};

use super::{Change, Error, Wiring};

const BEGIN: &str = "# BEGIN git-traces";
const END: &str = "# END git-traces";
const MANAGED: &str = "# Written by 'git trace init'; 'git trace uninstall' removes this block.";
/// Present only in files we created, so uninstall knows it may delete one left empty.
const CREATED: &str =
    "# git-traces created this file; uninstall deletes it when nothing else is left.";
const NEW_SHEBANG: &str = "#!/bin/sh\n";
/// Interpreters that run our POSIX sh block unchanged.
const SHELLS: &[&str] = &["sh", "bash", "dash", "zsh", "ksh", "ash", "mksh"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hook {
    PostCommit,
    PostRewrite,
}

impl Hook {
    const ALL: [Hook; 2] = [Hook::PostCommit, Hook::PostRewrite];

    fn name(self) -> &'static str {
        match self {
            Hook::PostCommit => "post-commit",
            Hook::PostRewrite => "post-rewrite",
        }
    }

    fn shim(self) -> &'static str {
        match self {
            Hook::PostCommit => include_str!("../../hooks/post-commit"),
            Hook::PostRewrite => include_str!("../../hooks/post-rewrite"),
        }
    }

    /// The block as we write it; `created` carries over from the block being replaced.
    fn block(self, created: bool) -> String {
        let mut block = format!("{BEGIN}\n{MANAGED}\n");
        if created {
            block.push_str(CREATED);
            block.push('\n');
        }
        block.push_str(self.shim().trim_end_matches('\n'));
        block.push('\n');
        block.push_str(END);
        block.push('\n');
        block
    }
}

/// The directory git runs hooks from, and how we got there.
struct HooksDir {
    path: PathBuf,
    /// The raw `core.hooksPath` value, when it is set.
    configured: Option<String>,
    /// The directory relative to the worktree root, when it holds tracked files: hooks written
    /// there show up in `git status`.
    tracked: Option<PathBuf>,
}

fn hooks_dir(repo: &git2::Repository, home: Option<&Path>) -> Result<HooksDir, Error> {
    let config = repo.config().map_err(|source| Error::Git {
        what: "the git configuration",
        source,
    })?;
    let configured = match config.get_string("core.hooksPath") {
        Ok(value) if !value.is_empty() => Some(value),
        Ok(_) => None,
        Err(err) if err.code() == git2::ErrorCode::NotFound => None,
        Err(source) => {
            return Err(Error::Git {
                what: "core.hooksPath",
                source,
            })
        }
    };
    let Some(value) = configured else {
        return Ok(HooksDir {
            path: repo.commondir().join("hooks"),
            configured: None,
            tracked: None,
        });
    };
    let path = if let Some(rest) = value.strip_prefix("~/") {
        let home = home.ok_or_else(|| Error::NoHome {
            needed_for: format!("core.hooksPath '{value}'"),
        })?;
        home.join(rest)
    } else if Path::new(&value).is_absolute() {
        PathBuf::from(&value)
    } else {
        // githooks(5): hooks run from the worktree root, or from $GIT_DIR in a bare repository.
        repo.workdir().unwrap_or_else(|| repo.path()).join(&value)
    };
    let path = normalize(&path);
    let tracked = tracked_dir(repo, &path);
    Ok(HooksDir {
        path,
        configured: Some(value),
        tracked,
    })
}

/// Resolves `.` and `..` without touching the disk, since the directory may not exist yet.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push(component);
                }
            }
            other => out.push(other),
        }
    }
    out
}

fn tracked_dir(repo: &git2::Repository, dir: &Path) -> Option<PathBuf> {
    let root = normalize(repo.workdir()?);
    let rel = dir
        .strip_prefix(&root)
        .ok()
        .map(Path::to_path_buf)
        .or_else(|| {
            let dir = fs::canonicalize(dir).ok()?;
            let root = fs::canonicalize(&root).ok()?;
            dir.strip_prefix(root).ok().map(Path::to_path_buf)
        })?;
    let prefix = rel
        .components()
        .map(|c| c.as_os_str().to_str())
        .collect::<Option<Vec<_>>>()?
        .join("/");
    let prefix = if prefix.is_empty() {
        prefix
    } else {
        prefix + "/"
    };
    let index = repo.index().ok()?;
    let tracked = index
        .iter()
        .any(|entry| entry.path.starts_with(prefix.as_bytes()));
    tracked.then_some(rel)
}

fn read_hook(path: &Path) -> Result<Option<Vec<u8>>, Error> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(err) => Err(Error::io("read", path)(err)),
    }
}

fn split_lines(content: &[u8]) -> Vec<&[u8]> {
    content.split_inclusive(|&b| b == b'\n').collect()
}

fn is_line(line: &[u8], text: &str) -> bool {
    line.trim_ascii() == text.as_bytes()
}

/// Line ranges of our blocks, markers included.
fn find_blocks(lines: &[&[u8]], path: &Path) -> Result<Vec<Range<usize>>, Error> {
    let mut blocks = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if is_line(lines[i], BEGIN) {
            let end = (i + 1..lines.len())
                .find(|&j| is_line(lines[j], END))
                .ok_or_else(|| Error::UnterminatedBlock {
                    path: path.to_path_buf(),
                })?;
            blocks.push(i..end + 1);
            i = end + 1;
        } else {
            i += 1;
        }
    }
    Ok(blocks)
}

/// What runs the hook, when it is not a shell we can add sh lines to. No shebang means git's
/// fallback to `sh` (run-command.c, on ENOEXEC), unless the file is binary.
fn foreign_kind(content: &[u8]) -> Option<String> {
    let Some(rest) = content.strip_prefix(b"#!") else {
        return content.contains(&0).then(|| "binary file".to_string());
    };
    let line = rest.split(|&b| b == b'\n').next().unwrap_or_default();
    let line = String::from_utf8_lossy(line);
    let basename = |word: &str| word.rsplit('/').next().unwrap_or(word).to_string();
    let mut words = line.split_whitespace();
    let mut program = words.next().map(basename).unwrap_or_default();
    if program == "env" {
        program = words
            .find(|word| !word.starts_with('-') && !word.contains('='))
            .map(basename)
            .unwrap_or_default();
    }
    (!program.is_empty() && !SHELLS.contains(&program.as_str()))
        .then(|| format!("{program} script"))
}

/// The hook's bytes with the current block in place, and whether that is a change.
fn with_block(content: Option<&[u8]>, hook: Hook, path: &Path) -> Result<(Vec<u8>, Change), Error> {
    let Some(content) = content else {
        let new = format!("{NEW_SHEBANG}{}", hook.block(true));
        return Ok((new.into_bytes(), Change::Installed));
    };
    let lines = split_lines(content);
    let blocks = find_blocks(&lines, path)?;
    if let Some(first) = blocks.first() {
        let created = lines[first.clone()].iter().any(|l| is_line(l, CREATED));
        let mut out = Vec::with_capacity(content.len());
        for (i, line) in lines.iter().enumerate() {
            if i == first.start {
                out.extend_from_slice(hook.block(created).as_bytes());
            }
            if !blocks.iter().any(|block| block.contains(&i)) {
                out.extend_from_slice(line);
            }
        }
        let change = if out == content {
            Change::AlreadyInstalled
        } else {
            Change::Updated
        };
        return Ok((out, change));
    }
    if let Some(kind) = foreign_kind(content) {
        return Err(Error::ForeignHook {
            path: path.to_path_buf(),
            hook: hook.name(),
            kind,
        });
    }
    let after = usize::from(content.starts_with(b"#!"));
    let mut out = Vec::with_capacity(content.len() + 1024);
    for line in &lines[..after] {
        out.extend_from_slice(line);
        if !line.ends_with(b"\n") {
            out.push(b'\n');
        }
    }
    out.extend_from_slice(hook.block(false).as_bytes());
    for line in &lines[after..] {
        out.extend_from_slice(line);
    }
    Ok((out, Change::Installed))
}

enum Removal {
    Rewrite(Vec<u8>),
    Delete,
}

/// The hook's bytes without our blocks; `None` when there is none.
fn without_block(content: &[u8], path: &Path) -> Result<Option<Removal>, Error> {
    let lines = split_lines(content);
    let blocks = find_blocks(&lines, path)?;
    if blocks.is_empty() {
        return Ok(None);
    }
    let created = blocks
        .iter()
        .any(|block| lines[block.clone()].iter().any(|l| is_line(l, CREATED)));
    let rest: Vec<&[u8]> = lines
        .iter()
        .enumerate()
        .filter(|(i, _)| !blocks.iter().any(|block| block.contains(i)))
        .map(|(_, line)| *line)
        .collect();
    let only_shebang = rest
        .iter()
        .enumerate()
        .all(|(i, line)| line.trim_ascii().is_empty() || (i == 0 && line.starts_with(b"#!")));
    if created && only_shebang {
        return Ok(Some(Removal::Delete));
    }
    Ok(Some(Removal::Rewrite(rest.concat())))
}

#[cfg(unix)]
fn is_executable(meta: &fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    meta.permissions().mode() & 0o111 != 0
}

#[cfg(not(unix))]
fn is_executable(_meta: &fs::Metadata) -> bool {
    true
}

/// The report line's text, with what the user may need to act on.
fn describe(plan: &Plan, dir: &HooksDir) -> String {
    let mut what = format!("{} hook", plan.hook.name());
    if plan.chained {
        what.push_str(", ahead of the lines already there");
    }
    if !plan.executable {
        what.push_str("; the file is not executable, so git skips it: run chmod +x on it");
    }
    if let (Some(rel), Some(_)) = (&dir.tracked, &plan.write) {
        what.push_str(&format!(
            "; core.hooksPath {} is a tracked directory, so the change shows in git status",
            rel.display()
        ));
    }
    what
}

struct Plan {
    hook: Hook,
    path: PathBuf,
    write: Option<Vec<u8>>,
    permissions: Option<fs::Permissions>,
    change: Change,
    /// Inserted into a hook the user already had.
    chained: bool,
    executable: bool,
}

pub(super) fn install(repo: &git2::Repository, home: Option<&Path>) -> Result<Vec<Wiring>, Error> {
    let dir = hooks_dir(repo, home)?;
    // Plan both before writing either, so a refused hook leaves nothing half-installed.
    let mut plans = Vec::new();
    for hook in Hook::ALL {
        let path = dir.path.join(hook.name());
        let existing = read_hook(&path)?;
        let (bytes, change) = with_block(existing.as_deref(), hook, &path)?;
        let chained =
            change == Change::Installed && existing.as_ref().is_some_and(|c| !c.is_empty());
        let (permissions, executable) = match existing {
            Some(_) => {
                let meta = fs::metadata(&path).map_err(Error::io("read", &path))?;
                (Some(meta.permissions()), is_executable(&meta))
            }
            None => (super::new_file_permissions(0o755), true),
        };
        plans.push(Plan {
            hook,
            path,
            write: (change != Change::AlreadyInstalled).then_some(bytes),
            permissions,
            change,
            chained,
            executable,
        });
    }
    fs::create_dir_all(&dir.path).map_err(Error::io("create", &dir.path))?;
    let mut report = Vec::new();
    for plan in plans {
        if let Some(bytes) = &plan.write {
            super::write_atomic(&plan.path, bytes, plan.permissions.clone())?;
        }
        report.push(Wiring {
            what: describe(&plan, &dir),
            path: plan.path,
            change: plan.change,
        });
    }
    Ok(report)
}

pub(super) fn uninstall(
    repo: &git2::Repository,
    home: Option<&Path>,
) -> Result<Vec<Wiring>, Error> {
    let dir = hooks_dir(repo, home)?;
    let mut plans = Vec::new();
    for hook in Hook::ALL {
        let path = dir.path.join(hook.name());
        let removal = match read_hook(&path)? {
            Some(content) => without_block(&content, &path)?,
            None => None,
        };
        plans.push((hook, path, removal));
    }
    let mut report = Vec::new();
    for (hook, path, removal) in plans {
        let change = match removal {
            None => Change::NotInstalled,
            Some(Removal::Delete) => {
                fs::remove_file(&path).map_err(Error::io("remove", &path))?;
                Change::Removed
            }
            Some(Removal::Rewrite(bytes)) => {
                let meta = fs::metadata(&path).map_err(Error::io("read", &path))?;
                super::write_atomic(&path, &bytes, Some(meta.permissions()))?;
                Change::Removed
            }
        };
        report.push(Wiring {
            path,
            what: format!("{} hook", hook.name()),
            change,
        });
    }
    Ok(report)
}

/// The hook half of [`super::WiringStatus`].
pub(super) struct HookStatus {
    pub(super) dir: PathBuf,
    pub(super) post_commit: bool,
    pub(super) post_rewrite: bool,
    pub(super) executable: bool,
    pub(super) notes: Vec<String>,
}

pub(super) fn status(repo: &git2::Repository, home: Option<&Path>) -> HookStatus {
    let mut notes = Vec::new();
    let dir = hooks_dir(repo, home).unwrap_or_else(|err| {
        notes.push(err.to_string());
        HooksDir {
            path: repo.commondir().join("hooks"),
            configured: None,
            tracked: None,
        }
    });
    if let Some(value) = &dir.configured {
        notes.push(format!(
            "core.hooksPath is '{value}': git runs hooks from {}, not from .git/hooks",
            dir.path.display()
        ));
    }
    let mut wired = [false; 2];
    let mut executable = true;
    for (hook, wired) in Hook::ALL.into_iter().zip(&mut wired) {
        let path = dir.path.join(hook.name());
        let content = match read_hook(&path) {
            Ok(Some(content)) => content,
            Ok(None) => continue,
            Err(err) => {
                notes.push(err.to_string());
                continue;
            }
        };
        let lines = split_lines(&content);
        let call = format!("git-trail hook {}", hook.name());
        *wired = match find_blocks(&lines, &path) {
            Ok(blocks) => !blocks.is_empty(),
            Err(err) => {
                notes.push(err.to_string());
                false
            }
        } || content.windows(call.len()).any(|w| w == call.as_bytes());
        if !*wired {
            if let Some(kind) = foreign_kind(&content) {
                notes.push(format!(
                    "{} is a {kind}, so 'git trace init' cannot add its block; make it run '{call}'",
                    path.display()
                ));
            }
            continue;
        }
        if fs::metadata(&path).is_ok_and(|meta| !is_executable(&meta)) {
            executable = false;
            notes.push(format!(
                "{} is not executable, so git skips it: run chmod +x on it",
                path.display()
            ));
        }
    }
    HookStatus {
        dir: dir.path,
        post_commit: wired[0],
        post_rewrite: wired[1],
        executable,
        notes,
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::Fixture;
    use super::*;
    use std::io::Write as _;
    use std::process::{Command, Stdio};

    fn write(path: &Path, text: &str, mode: u32) {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
        set_mode(path, mode);
    }

    #[cfg(unix)]
    fn set_mode(path: &Path, mode: u32) {
        use std::os::unix::fs::PermissionsExt as _;
        fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
    }

    #[cfg(not(unix))]
    fn set_mode(_path: &Path, _mode: u32) {}

    #[cfg(unix)]
    fn mode(path: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt as _;
        fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    fn hooks(fx: &Fixture) -> PathBuf {
        fx.repo.path().join("hooks")
    }

    fn changes(report: &[Wiring]) -> Vec<Change> {
        report.iter().map(|w| w.change).collect()
    }

    /// A `git-trail` that appends its arguments and stdin to files under `out`.
    fn fake_trail(out: &Path) -> String {
        let bin = out.join("bin");
        write(
            &bin.join("git-trail"),
            &format!(
                "#!/bin/sh\nprintf '%s\\n' \"$*\" >>'{out}/trail-args'\ncat >>'{out}/trail-stdin'\n",
                out = out.display()
            ),
            0o755,
        );
        format!("{}:{}", bin.display(), std::env::var("PATH").unwrap())
    }

    /// Runs `hook` with `sh` as git would, with `stdin` and a fake `git-trail` on PATH.
    fn run_hook(hook: &Path, args: &[&str], stdin: &str, out: &Path) -> std::process::Output {
        let mut child = Command::new("sh")
            .arg(hook)
            .args(args)
            .env("PATH", fake_trail(out))
            .env("OUT", out)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success(), "{output:?}");
        output
    }

    fn read(path: &Path) -> String {
        fs::read_to_string(path).unwrap_or_default()
    }

    #[cfg(unix)]
    #[test]
    fn new_hook_is_sh_plus_block_and_executable() {
        let fx = Fixture::new();
        let report = install(&fx.repo, fx.home()).unwrap();
        assert_eq!(changes(&report), [Change::Installed, Change::Installed]);
        let path = hooks(&fx).join("post-commit");
        assert_eq!(report[0].path, path);
        assert_eq!(report[0].what, "post-commit hook");
        let text = read(&path);
        assert_eq!(
            text,
            format!(
                "#!/bin/sh\n{BEGIN}\n{MANAGED}\n{CREATED}\n{}{END}\n",
                include_str!("../../hooks/post-commit")
            )
        );
        assert_eq!(mode(&path), 0o755);
        assert_eq!(mode(&hooks(&fx).join("post-rewrite")), 0o755);
        assert!(
            read(&hooks(&fx).join("post-rewrite")).contains("git-trail hook post-rewrite \"$@\"")
        );
    }

    #[cfg(unix)]
    #[test]
    fn chains_after_the_shebang_so_a_user_exit_cannot_skip_it() {
        let fx = Fixture::new();
        let path = hooks(&fx).join("post-commit");
        let user = "#!/bin/bash\n# my hook\necho user >>\"$OUT/user\"\nexit 0\n";
        write(&path, user, 0o750);
        let report = install(&fx.repo, fx.home()).unwrap();
        assert_eq!(report[0].change, Change::Installed);
        assert!(report[0].what.contains("ahead of the lines already there"));
        let text = read(&path);
        assert!(
            text.starts_with(&format!("#!/bin/bash\n{BEGIN}\n{MANAGED}\n")),
            "{text}"
        );
        assert!(!text.contains(CREATED));
        assert!(text.ends_with(&format!(
            "{END}\n# my hook\necho user >>\"$OUT/user\"\nexit 0\n"
        )));
        assert_eq!(mode(&path), 0o750);

        let out = tempfile::tempdir().unwrap();
        run_hook(&path, &[], "", out.path());
        assert_eq!(read(&out.path().join("trail-args")), "hook post-commit\n");
        assert_eq!(read(&out.path().join("user")), "user\n");
    }

    #[cfg(unix)]
    #[test]
    fn post_rewrite_hands_the_same_stdin_to_git_trail_and_the_user_lines() {
        let fx = Fixture::new();
        let path = hooks(&fx).join("post-rewrite");
        write(
            &path,
            "#!/bin/sh\ncat >\"$OUT/user-stdin\"\necho \"$1\" >\"$OUT/user-args\"\n",
            0o755,
        );
        install(&fx.repo, fx.home()).unwrap();
        let out = tempfile::tempdir().unwrap();
        let stdin = "1111111111111111111111111111111111111111 2222222222222222222222222222222222222222\n\
                     3333333333333333333333333333333333333333 2222222222222222222222222222222222222222 extra\n";
        let output = run_hook(&path, &["rebase"], stdin, out.path());
        assert!(
            output.stdout.is_empty() && output.stderr.is_empty(),
            "{output:?}"
        );
        assert_eq!(
            read(&out.path().join("trail-args")),
            "hook post-rewrite rebase\n"
        );
        assert_eq!(read(&out.path().join("trail-stdin")), stdin);
        assert_eq!(read(&out.path().join("user-stdin")), stdin);
        assert_eq!(read(&out.path().join("user-args")), "rebase\n");
    }

    #[cfg(unix)]
    #[test]
    fn shims_stay_quiet_and_harmless_without_git_trail() {
        let fx = Fixture::new();
        let path = hooks(&fx).join("post-rewrite");
        write(&path, "#!/bin/sh\ncat >\"$OUT/user-stdin\"\n", 0o755);
        install(&fx.repo, fx.home()).unwrap();
        let out = tempfile::tempdir().unwrap();
        for hook in ["post-commit", "post-rewrite"] {
            let output = Command::new("sh")
                .arg(hooks(&fx).join(hook))
                .arg("amend")
                .env("PATH", "/usr/bin:/bin")
                .env("OUT", out.path())
                .stdin(fs::File::open(Path::new("/dev/null")).unwrap())
                .output()
                .unwrap();
            assert!(output.status.success(), "{hook}: {output:?}");
            assert!(
                output.stdout.is_empty() && output.stderr.is_empty(),
                "{hook}: {output:?}"
            );
        }
        assert!(out.path().join("user-stdin").exists());
    }

    /// What `git` itself runs: a commit, then an amend whose post-rewrite stdin is `<old> <new>`.
    #[cfg(unix)]
    #[test]
    fn real_git_amend_feeds_the_shims() {
        let fx = Fixture::new();
        install(&fx.repo, fx.home()).unwrap();
        let out = tempfile::tempdir().unwrap();
        let git = |args: &[&str]| {
            let output = Command::new("git")
                .args(args)
                .current_dir(fx.root())
                .env("PATH", fake_trail(out.path()))
                .env("HOME", fx.home.path())
                .env("GIT_CONFIG_NOSYSTEM", "1")
                .env("GIT_CONFIG_GLOBAL", "/dev/null")
                .env("GIT_AUTHOR_NAME", "A")
                .env("GIT_AUTHOR_EMAIL", "a@example.com")
                .env("GIT_COMMITTER_NAME", "A")
                .env("GIT_COMMITTER_EMAIL", "a@example.com")
                .output()
                .unwrap();
            assert!(output.status.success(), "git {args:?}: {output:?}");
            String::from_utf8(output.stdout).unwrap()
        };
        git(&["commit", "-q", "--allow-empty", "-m", "one"]);
        let old = git(&["rev-parse", "HEAD"]);
        git(&["commit", "-q", "--amend", "--allow-empty", "-m", "two"]);
        let new = git(&["rev-parse", "HEAD"]);
        assert_eq!(
            read(&out.path().join("trail-args")),
            "hook post-commit\nhook post-commit\nhook post-rewrite amend\n"
        );
        assert_eq!(
            read(&out.path().join("trail-stdin")),
            format!("{} {}\n", old.trim(), new.trim())
        );
    }

    #[test]
    fn second_install_changes_no_byte() {
        let fx = Fixture::new();
        let chained = hooks(&fx).join("post-rewrite");
        write(&chained, "#!/bin/sh\necho mine\n", 0o755);
        install(&fx.repo, fx.home()).unwrap();
        let first = [read(&hooks(&fx).join("post-commit")), read(&chained)];
        let report = install(&fx.repo, fx.home()).unwrap();
        assert_eq!(
            changes(&report),
            [Change::AlreadyInstalled, Change::AlreadyInstalled]
        );
        assert_eq!(
            first,
            [read(&hooks(&fx).join("post-commit")), read(&chained)]
        );
    }

    #[test]
    fn stale_block_is_replaced_in_place() {
        let fx = Fixture::new();
        let path = hooks(&fx).join("post-commit");
        write(
            &path,
            &format!("#!/bin/sh\necho before\n{BEGIN}\nold-git-trail\n{END}\necho after\n"),
            0o755,
        );
        let report = install(&fx.repo, fx.home()).unwrap();
        assert_eq!(report[0].change, Change::Updated);
        assert_eq!(
            read(&path),
            format!(
                "#!/bin/sh\necho before\n{}echo after\n",
                Hook::PostCommit.block(false)
            )
        );
    }

    #[cfg(unix)]
    #[test]
    fn uninstall_restores_the_user_hook_byte_for_byte() {
        let fx = Fixture::new();
        let user = hooks(&fx).join("post-rewrite");
        let original = "#!/usr/bin/env bash\r\nset -e\n\necho \"rewritten: $1\"\nexit 0";
        write(&user, original, 0o700);
        install(&fx.repo, fx.home()).unwrap();
        let report = uninstall(&fx.repo, fx.home()).unwrap();
        assert_eq!(changes(&report), [Change::Removed, Change::Removed]);
        assert_eq!(read(&user), original);
        assert_eq!(mode(&user), 0o700);
        assert!(
            !hooks(&fx).join("post-commit").exists(),
            "we created it, so it goes"
        );
        let again = uninstall(&fx.repo, fx.home()).unwrap();
        assert_eq!(
            changes(&again),
            [Change::NotInstalled, Change::NotInstalled]
        );
    }

    #[test]
    fn uninstall_keeps_a_file_we_created_once_the_user_added_lines() {
        let fx = Fixture::new();
        install(&fx.repo, fx.home()).unwrap();
        let path = hooks(&fx).join("post-commit");
        let mut text = read(&path);
        text.push_str("echo added later\n");
        fs::write(&path, text).unwrap();
        uninstall(&fx.repo, fx.home()).unwrap();
        assert_eq!(read(&path), "#!/bin/sh\necho added later\n");
    }

    #[test]
    fn relative_hooks_path_is_from_the_worktree_root_and_tracked_dirs_are_flagged() {
        let fx = Fixture::new();
        fx.repo
            .config()
            .unwrap()
            .set_str("core.hooksPath", "./.githooks")
            .unwrap();
        write(
            &fx.root().join(".githooks/pre-commit"),
            "#!/bin/sh\n",
            0o755,
        );
        let mut index = fx.repo.index().unwrap();
        index.add_path(Path::new(".githooks/pre-commit")).unwrap();
        index.write().unwrap();

        let report = install(&fx.repo, fx.home()).unwrap();
        assert_eq!(report[0].path, fx.root().join(".githooks/post-commit"));
        assert!(
            report[0]
                .what
                .contains("core.hooksPath .githooks is a tracked directory"),
            "{}",
            report[0].what
        );
        let again = install(&fx.repo, fx.home()).unwrap();
        assert_eq!(
            again[0].what, "post-commit hook",
            "nothing changed, so nothing to show"
        );
        assert!(fx.root().join(".githooks/post-rewrite").exists());
        assert!(!hooks(&fx).join("post-commit").exists());
        let status = status(&fx.repo, fx.home());
        assert_eq!(status.dir, fx.root().join(".githooks"));
        assert!(status.post_commit && status.post_rewrite);
        assert!(status.notes[0].contains("core.hooksPath is './.githooks'"));
    }

    #[test]
    fn tilde_hooks_path_uses_home() {
        let fx = Fixture::new();
        let mut config = fx.repo.config().unwrap();
        config.set_str("core.hooksPath", "~/hooks").unwrap();
        let report = install(&fx.repo, fx.home()).unwrap();
        assert_eq!(report[0].path, fx.home.path().join("hooks/post-commit"));
        assert!(!report[0].what.contains("tracked"));
        let err = install(&fx.repo, None).unwrap_err().to_string();
        assert!(
            err.contains("core.hooksPath '~/hooks': HOME is not set"),
            "{err}"
        );
    }

    #[test]
    fn linked_worktree_installs_into_the_shared_hooks() {
        let fx = Fixture::new();
        let sig = git2::Signature::now("A", "a@example.com").unwrap();
        let tree = fx.repo.treebuilder(None).unwrap().write().unwrap();
        let tree = fx.repo.find_tree(tree).unwrap();
        fx.repo
            .commit(Some("HEAD"), &sig, &sig, "init", &tree, &[])
            .unwrap();
        let place = tempfile::tempdir().unwrap();
        let worktree = fx
            .repo
            .worktree("wt", &place.path().join("wt"), None)
            .unwrap();
        let linked = git2::Repository::open_from_worktree(&worktree).unwrap();
        let report = install(&linked, fx.home()).unwrap();
        assert_eq!(report[0].path, hooks(&fx).join("post-commit"));
    }

    #[test]
    fn non_shell_hook_is_refused_naming_the_file_and_nothing_is_written() {
        let fx = Fixture::new();
        let path = hooks(&fx).join("post-rewrite");
        let python = "#!/usr/bin/env python3\nimport sys\nprint(sys.stdin.read())\n";
        write(&path, python, 0o755);
        let err = install(&fx.repo, fx.home()).unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with(&format!(
                "{} is a python3 script, not a shell script",
                path.display()
            )),
            "{text}"
        );
        assert!(
            text.contains("hint: make it run 'git-trail hook post-rewrite"),
            "{text}"
        );
        assert_eq!(read(&path), python);
        assert!(!hooks(&fx).join("post-commit").exists());
        let status = status(&fx.repo, fx.home());
        assert!(!status.post_rewrite);
        assert!(status.notes.iter().any(|n| n.contains("python3 script")));
    }

    #[test]
    fn unterminated_block_is_an_error_not_a_guess() {
        let fx = Fixture::new();
        let path = hooks(&fx).join("post-commit");
        write(&path, &format!("#!/bin/sh\n{BEGIN}\necho half\n"), 0o755);
        for result in [install(&fx.repo, fx.home()), uninstall(&fx.repo, fx.home())] {
            let text = result.unwrap_err().to_string();
            assert!(text.starts_with(&path.display().to_string()), "{text}");
            assert!(text.contains("\nhint: "), "{text}");
        }
    }

    #[test]
    fn shebangs_decide_whether_we_may_chain() {
        assert_eq!(foreign_kind(b"#!/bin/sh\n"), None);
        assert_eq!(foreign_kind(b"#! /usr/local/bin/zsh -f\n"), None);
        assert_eq!(foreign_kind(b"#!/usr/bin/env -S bash -e\n"), None);
        assert_eq!(foreign_kind(b"echo no shebang\n"), None);
        assert_eq!(foreign_kind(b""), None);
        assert_eq!(
            foreign_kind(b"#!/usr/bin/env node\n").as_deref(),
            Some("node script")
        );
        assert_eq!(
            foreign_kind(b"#!/usr/bin/python3 -u\n").as_deref(),
            Some("python3 script")
        );
        assert_eq!(
            foreign_kind(b"\x7fELF\x02\x01\x01\x00").as_deref(),
            Some("binary file")
        );
    }
}
