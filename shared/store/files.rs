//! Trees of plain files, for the stores whose tree is a small directory of their own (datasets):
//! written from and read into a map of path → (executable, bytes).

use super::Result;
use git2::{FileMode, Oid, Repository};
use std::collections::BTreeMap;

/// Path (with `/`) → (executable bit, content).
pub type Files = BTreeMap<String, (bool, Vec<u8>)>;

/// Writes `files` as a tree, nested directories included; returns the tree id.
pub fn write_files(repo: &Repository, files: &Files) -> Result<Oid> {
    let mut root = repo.treebuilder(None)?;
    let mut dirs: BTreeMap<&str, Files> = BTreeMap::new();
    for (path, (exec, bytes)) in files {
        match path.split_once('/') {
            Some((dir, rest)) => {
                dirs.entry(dir)
                    .or_default()
                    .insert(rest.to_string(), (*exec, bytes.clone()));
            }
            None => {
                let mode = if *exec {
                    FileMode::BlobExecutable
                } else {
                    FileMode::Blob
                };
                root.insert(path, repo.blob(bytes)?, mode.into())?;
            }
        }
    }
    for (dir, inner) in dirs {
        root.insert(dir, write_files(repo, &inner)?, FileMode::Tree.into())?;
    }
    Ok(root.write()?)
}

/// Every file under `tree`, by its path.
pub fn read_files(repo: &Repository, tree: Oid) -> Result<Files> {
    let mut out = Files::new();
    let tree = repo.find_tree(tree)?;
    let mut failure = None;
    tree.walk(git2::TreeWalkMode::PreOrder, |dir, entry| {
        if entry.kind() != Some(git2::ObjectType::Blob) {
            return git2::TreeWalkResult::Ok;
        }
        match repo.find_blob(entry.id()) {
            Ok(blob) => {
                let exec = entry.filemode() == i32::from(FileMode::BlobExecutable);
                let name = format!("{dir}{}", entry.name().unwrap_or_default());
                out.insert(name, (exec, blob.content().to_vec()));
                git2::TreeWalkResult::Ok
            }
            Err(e) => {
                failure = Some(e);
                git2::TreeWalkResult::Abort
            }
        }
    })?;
    match failure {
        Some(e) => Err(e.into()),
        None => Ok(out),
    }
}
