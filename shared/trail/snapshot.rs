//! Turning the working tree into a tree object, two ways.
//!
//! * [`named_tree`]: the agent named the files it touched (Edit, Write, …). Hash just those and
//!   rewrite only the trees on their paths from the previous snapshot. Nothing else is read, so the
//!   cost does not depend on the size of the repository.
//! * [`full_tree`]: anything may have changed (a shell command). Refresh the session's private index
//!   the way `git add -A` does and write its tree. This shells out to git on purpose: git's stat
//!   cache, threaded preload and fsmonitor make it the fastest way to see a whole working tree, and
//!   the private index (seeded once from the user's, then kept) means only changed files are
//!   re-read. The user's own index is never written.

use git2::{Oid, Repository};
use std::path::Path;
use std::process::Command;

/// What happened to one named path when it was folded into a tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathChange {
    Upserted,
    Removed,
    /// Untracked and ignored (e.g. `.env`): never copied into git objects.
    Ignored,
    /// Outside the working tree, inside `.git`, or not a file.
    Skipped,
}

/// Builds a tree from `base` with the current content of `paths` (repository-relative, `/`-separated).
pub fn named_tree(
    repo: &Repository,
    base: Oid,
    paths: &[String],
) -> Result<(Oid, Vec<PathChange>), git2::Error> {
    let workdir = repo
        .workdir()
        .ok_or_else(|| git2::Error::from_str("bare repository has no working tree"))?
        .to_path_buf();
    let base_tree = repo.find_tree(base)?;
    let mut builder = git2::build::TreeUpdateBuilder::new();
    let mut changes = Vec::with_capacity(paths.len());
    for rel in paths {
        let change = fold_path(repo, &workdir, &base_tree, rel, &mut builder)?;
        changes.push(change);
    }
    let tree = builder.create_updated(repo, &base_tree)?;
    Ok((tree, changes))
}

fn fold_path(
    repo: &Repository,
    workdir: &Path,
    base_tree: &git2::Tree<'_>,
    rel: &str,
    builder: &mut git2::build::TreeUpdateBuilder,
) -> Result<PathChange, git2::Error> {
    if rel.is_empty()
        || rel == ".git"
        || rel.starts_with(".git/")
        || rel.split('/').any(|c| c == "..")
    {
        return Ok(PathChange::Skipped);
    }
    let full = workdir.join(rel);
    let tracked = base_tree.get_path(Path::new(rel)).is_ok();
    let meta = match std::fs::symlink_metadata(&full) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if tracked {
                builder.remove(rel);
                return Ok(PathChange::Removed);
            }
            return Ok(PathChange::Skipped);
        }
        Err(e) => {
            return Err(git2::Error::from_str(&format!(
                "cannot stat {}: {e}",
                full.display()
            )))
        }
    };
    if !tracked && repo.is_path_ignored(rel)? {
        return Ok(PathChange::Ignored);
    }
    let (blob, mode) = if meta.file_type().is_symlink() {
        let target = std::fs::read_link(&full).map_err(|e| {
            git2::Error::from_str(&format!("cannot read link {}: {e}", full.display()))
        })?;
        use std::os::unix::ffi::OsStrExt;
        (
            repo.blob(target.as_os_str().as_bytes())?,
            git2::FileMode::Link,
        )
    } else if meta.is_file() {
        use std::os::unix::fs::PermissionsExt;
        let mode = if meta.permissions().mode() & 0o111 != 0 {
            git2::FileMode::BlobExecutable
        } else {
            git2::FileMode::Blob
        };
        (hash_file(repo, workdir, rel, &full)?, mode)
    } else {
        return Ok(PathChange::Skipped);
    };
    builder.upsert(rel, blob, mode);
    Ok(PathChange::Upserted)
}

/// Writes a working-tree file as a blob, the way `git add` would.
///
/// libgit2 writes raw bytes; when the path has content filters (`text`/`eol`/`filter`/`ident`
/// attributes, or `core.autocrlf`), git's own `hash-object --path` is used so the blob matches what a
/// full refresh (and the user's next commit) would store.
fn hash_file(
    repo: &Repository,
    workdir: &Path,
    rel: &str,
    full: &Path,
) -> Result<Oid, git2::Error> {
    if !needs_filters(repo, workdir, rel) {
        // Streamed with no hint path: libgit2's blob_path would look up filters, which loads the
        // whole index.
        let mut file = std::fs::File::open(full)
            .map_err(|e| git2::Error::from_str(&format!("cannot read {}: {e}", full.display())))?;
        let mut writer = repo.blob_writer(None)?;
        std::io::copy(&mut file, &mut writer)
            .map_err(|e| git2::Error::from_str(&format!("cannot hash {}: {e}", full.display())))?;
        return writer.commit();
    }
    let out = git(workdir)
        .args(["hash-object", "-w", "--path", rel, "--"])
        .arg(full)
        .output()
        .map_err(|e| git2::Error::from_str(&format!("cannot run git hash-object: {e}")))?;
    if !out.status.success() {
        return Err(git2::Error::from_str(&format!(
            "git hash-object {rel} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Oid::from_str(String::from_utf8_lossy(&out.stdout).trim())
}

fn needs_filters(repo: &Repository, workdir: &Path, rel: &str) -> bool {
    let config = repo.config().ok();
    let autocrlf = config
        .as_ref()
        .and_then(|c| c.get_string("core.autocrlf").ok())
        .is_some_and(|v| v != "false");
    if autocrlf {
        return true;
    }
    // Asking libgit2 for the attributes would load the whole index (tens of milliseconds on a
    // large repository) whenever a directory has no .gitattributes of its own. Instead read the
    // attribute files that can apply to this path and look for the attributes that change content.
    let mut files = vec![repo.path().join("info/attributes")];
    if let Some(global) = config
        .as_ref()
        .and_then(|c| c.get_path("core.attributesFile").ok())
    {
        files.push(global);
    }
    let mut dir = workdir.to_path_buf();
    files.push(dir.join(".gitattributes"));
    let parts: Vec<&str> = rel.split('/').collect();
    for part in &parts[..parts.len().saturating_sub(1)] {
        dir.push(part);
        files.push(dir.join(".gitattributes"));
    }
    files.iter().any(|f| {
        std::fs::read_to_string(f).is_ok_and(|text| {
            ["filter", "text", "eol", "ident", "crlf"]
                .iter()
                .any(|attr| text.contains(attr))
        })
    })
}

/// Refreshes the private index at `index` from the working tree (`git add -A`) and returns its tree.
///
/// When the private index does not exist yet it is seeded with a copy of the user's index, so the
/// first refresh inherits git's stat cache instead of hashing every file, and switched to index
/// format 4 (prefix-compressed, so smaller to rewrite); it is written without the trailing
/// checksum (`index.skipHash`), which git need not compute. `known` is the tree this index had after the previous refresh, with
/// the index file's stamp at that moment: when the file still has that stamp after `git add` (which
/// leaves the file alone when it finds nothing to change) the tree is returned without reading the
/// index again. Returns the tree and the index's stamp, for the next call.
pub fn full_tree(
    repo: &Repository,
    index: &Path,
    known: Option<(Oid, &str)>,
) -> Result<(Oid, String), git2::Error> {
    let workdir = repo
        .workdir()
        .ok_or_else(|| git2::Error::from_str("bare repository has no working tree"))?;
    let mut lock = index.as_os_str().to_owned();
    lock.push(".lock");
    let _ = std::fs::remove_file(std::path::PathBuf::from(lock));
    let mut seeded = false;
    if !index.exists() {
        if let Some(parent) = index.parent() {
            std::fs::create_dir_all(parent).map_err(|e| {
                git2::Error::from_str(&format!("cannot create {}: {e}", parent.display()))
            })?;
        }
        let user_index = repo.path().join("index");
        if user_index.exists() {
            std::fs::copy(&user_index, index).map_err(|e| {
                git2::Error::from_str(&format!(
                    "cannot seed {} from {}: {e}",
                    index.display(),
                    user_index.display()
                ))
            })?;
            run_git(workdir, index, &["update-index", "--index-version", "4"])?;
        }
        seeded = true;
    }
    // The known tree describes this index only if nobody rewrote the file since (a refresh killed
    // after `git add` but before its caller saved the new tree would otherwise go unnoticed).
    let known = known.filter(|(_, stamp)| !seeded && index_stamp(index) == *stamp);
    let added = run_git(
        workdir,
        index,
        &["add", "-A", "--ignore-errors", "--verbose"],
    )?;
    let stamp = index_stamp(index);
    if let Some((tree, known_stamp)) = known {
        if stamp == known_stamp {
            return Ok((tree, stamp));
        }
        // `git write-tree` would read and rewrite the whole index; when `git add` names what it
        // staged, folding just those paths into the known tree gives the same tree for less.
        if let Some(paths) = staged_paths(&added).filter(|p| p.len() <= FOLD_LIMIT) {
            let (new_tree, changes) = named_tree(repo, tree, &paths)?;
            if changes
                .iter()
                .all(|c| matches!(c, PathChange::Upserted | PathChange::Removed))
            {
                return Ok((new_tree, stamp));
            }
        }
    }
    let out = run_git(workdir, index, &["write-tree"])?;
    Ok((Oid::from_str(String::from_utf8_lossy(&out).trim())?, stamp))
}

/// Past this many staged paths, hashing them again here costs more than `git write-tree`.
const FOLD_LIMIT: usize = 256;

/// The paths `git add --verbose` reports (`add 'path'`, `remove 'path'`), or None when a line does
/// not parse (a path with a newline, an unexpected message), in which case the caller asks git.
fn staged_paths(out: &[u8]) -> Option<Vec<String>> {
    let text = std::str::from_utf8(out).ok()?;
    text.lines()
        .map(|line| {
            let quoted = line
                .strip_prefix("add ")
                .or_else(|| line.strip_prefix("remove "))?;
            let path = quoted.strip_prefix('\'')?.strip_suffix('\'')?;
            (!path.is_empty()).then(|| path.to_string())
        })
        .collect()
}

/// Size, modification time and inode of a file: changes whenever git rewrites it.
fn index_stamp(path: &Path) -> String {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path)
        .map(|m| format!("{}:{}.{}:{}", m.len(), m.mtime(), m.mtime_nsec(), m.ino()))
        .unwrap_or_default()
}

fn run_git(workdir: &Path, index: &Path, args: &[&str]) -> Result<Vec<u8>, git2::Error> {
    let out = git(workdir)
        .env("GIT_INDEX_FILE", index)
        .env("LC_ALL", "C")
        .args(["-c", "index.skipHash=true"])
        .args(args)
        .output()
        .map_err(|e| git2::Error::from_str(&format!("cannot run git: {e}")))?;
    if !out.status.success() {
        return Err(git2::Error::from_str(&format!(
            "git {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(out.stdout)
}

/// A `git` child in `workdir` with the caller's repository-selecting variables removed, so a hook
/// started from inside another git command (whose `GIT_DIR`/`GIT_INDEX_FILE` leak into the
/// environment) still works on the repository it was asked about.
fn git(workdir: &Path) -> Command {
    let mut cmd = Command::new("git");
    cmd.current_dir(workdir);
    for var in [
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_INDEX_FILE",
        "GIT_OBJECT_DIRECTORY",
        "GIT_ALTERNATE_OBJECT_DIRECTORIES",
        "GIT_PREFIX",
        "GIT_COMMON_DIR",
    ] {
        cmd.env_remove(var);
    }
    cmd.stdin(std::process::Stdio::null());
    cmd
}

/// `step N: <tool> <summary>` plus the trailers that tie a snapshot to its step.
///
/// `Trace-Key` names the step independently of its number (`tool:<call id>`, `external:<n>`): a
/// hook numbers steps provisionally, and sealing, which merges in what only the transcript shows
/// (thinking, assistant text), renumbers them and rewrites these messages to match.
pub fn commit_message(
    session: &str,
    step: u64,
    headline: &str,
    key: &str,
    external: bool,
) -> String {
    let headline: String = headline
        .lines()
        .next()
        .unwrap_or_default()
        .chars()
        .take(72)
        .collect();
    let mut msg = format!("step {step}: {headline}\n\nTrace-Session: {session}\nTrace-Step: {step}\nTrace-Key: {key}\n");
    if external {
        msg.push_str("Trace-Snapshot: external\n");
    }
    msg
}

/// The value of a `Name: value` trailer in a commit message.
pub fn trailer<'m>(message: &'m str, name: &str) -> Option<&'m str> {
    message
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(':').map(str::trim))
}

/// Writes a snapshot commit (no ref update).
pub fn snapshot_commit(
    repo: &Repository,
    tree: Oid,
    parent: Option<Oid>,
    message: &str,
) -> Result<Oid, git2::Error> {
    let sig = git2::Signature::now("git-traces", "git-traces@localhost")?;
    let tree = repo.find_tree(tree)?;
    let parent = parent.map(|p| repo.find_commit(p)).transpose()?;
    let parents: Vec<&git2::Commit<'_>> = parent.iter().collect();
    repo.commit(None, &sig, &sig, message, &tree, &parents)
}
