//! The patch a step produced: the diff from its parent snapshot to its own.

use git2::{Delta, DiffFormat, DiffOptions, Oid, Repository};
use serde::{Deserialize, Serialize};
use std::io::Write;

/// One file of a step's patch, as stored in `trail.jsonl.gz`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FilePatch {
    /// The path, lossily decoded when it is not UTF-8 (then `path_hex` holds the exact bytes).
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path_hex: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old_path: Option<String>,
    /// `added`, `modified`, `deleted`, `renamed`, `typechange`.
    pub status: String,
    pub added: usize,
    pub removed: usize,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub binary: bool,
    /// Unified diff text of this file (lossy for non-UTF-8 content, whose bytes `git trail diff` prints).
    pub patch: String,
}

/// Whether a diff pairs a deleted and an added file into a rename.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Renames {
    /// As `git diff -M` shows them: a moved file is a rename with its changes.
    Detect,
    /// A moved file is a deletion plus an addition of all its lines: what anchoring needs, since a
    /// commit that only moves agent lines must still be tied to the step that wrote them.
    Ignore,
}

fn diff<'r>(
    repo: &'r Repository,
    old: Option<Oid>,
    new: Oid,
    renames: Renames,
) -> Result<git2::Diff<'r>, git2::Error> {
    let old = old.map(|o| repo.find_tree(o)).transpose()?;
    let new = repo.find_tree(new)?;
    let mut opts = DiffOptions::new();
    opts.context_lines(3);
    let mut diff = repo.diff_tree_to_tree(old.as_ref(), Some(&new), Some(&mut opts))?;
    if renames == Renames::Detect {
        diff.find_similar(None)?;
    }
    Ok(diff)
}

/// Per-file patches between two trees (`old` None: the empty tree).
pub fn diff_trees(
    repo: &Repository,
    old: Option<Oid>,
    new: Oid,
    renames: Renames,
) -> Result<Vec<FilePatch>, git2::Error> {
    let diff = diff(repo, old, new, renames)?;
    let mut files = Vec::new();
    for idx in 0..diff.deltas().len() {
        let Some(mut patch) = git2::Patch::from_diff(&diff, idx)? else {
            continue;
        };
        let delta = patch.delta();
        let path_bytes = delta
            .new_file()
            .path_bytes()
            .or(delta.old_file().path_bytes())
            .unwrap_or_default();
        let (path, path_hex) = match std::str::from_utf8(path_bytes) {
            Ok(p) => (p.to_string(), None),
            Err(_) => (
                String::from_utf8_lossy(path_bytes).into_owned(),
                Some(path_bytes.iter().map(|b| format!("{b:02x}")).collect()),
            ),
        };
        let status = match delta.status() {
            Delta::Added => "added",
            Delta::Deleted => "deleted",
            Delta::Renamed => "renamed",
            Delta::Typechange => "typechange",
            _ => "modified",
        };
        let old_path = (delta.status() == Delta::Renamed)
            .then(|| {
                delta
                    .old_file()
                    .path_bytes()
                    .map(|p| String::from_utf8_lossy(p).into_owned())
            })
            .flatten();
        let binary = delta.flags().is_binary();
        let (_, added, removed) = patch.line_stats()?;
        let text = patch.to_buf()?;
        files.push(FilePatch {
            path,
            path_hex,
            old_path,
            status: status.to_string(),
            added,
            removed,
            binary,
            patch: String::from_utf8_lossy(&text).into_owned(),
        });
    }
    Ok(files)
}

/// Writes the git-style patch between two trees, byte for byte.
pub fn write_patch(
    repo: &Repository,
    old: Option<Oid>,
    new: Oid,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let diff = diff(repo, old, new, Renames::Detect)?;
    let mut err = None;
    diff.print(DiffFormat::Patch, |_, _, line| {
        let origin = line.origin();
        let res = if matches!(origin, '+' | '-' | ' ') {
            out.write_all(&[origin as u8])
                .and_then(|_| out.write_all(line.content()))
        } else {
            out.write_all(line.content())
        };
        match res {
            Ok(()) => true,
            Err(e) => {
                err = Some(e);
                false
            }
        }
    })
    .or_else(|e| if err.is_some() { Ok(()) } else { Err(e) })?;
    match err {
        Some(e) => Err(e.into()),
        None => Ok(()),
    }
}

/// A run of consecutive added lines in one hunk of a unified diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddedBlock {
    /// 1-based line number of the first line in the new file.
    pub start: u32,
    pub lines: Vec<String>,
}

/// The added lines of one file's unified diff, as blocks with their new-file line numbers.
pub fn added_blocks(patch: &str) -> Vec<AddedBlock> {
    let mut blocks: Vec<AddedBlock> = Vec::new();
    let mut next_line: u32 = 0;
    let mut in_block = false;
    for line in patch.lines() {
        if let Some(header) = line.strip_prefix("@@ ") {
            // @@ -a,b +c,d @@
            next_line = header
                .split_whitespace()
                .find_map(|part| part.strip_prefix('+'))
                .and_then(|range| range.split(',').next()?.parse().ok())
                .unwrap_or(0);
            in_block = false;
        } else if next_line == 0 || line.starts_with("+++ ") || line.starts_with("--- ") {
            in_block = false;
        } else if let Some(added) = line.strip_prefix('+') {
            if !in_block {
                blocks.push(AddedBlock {
                    start: next_line,
                    lines: Vec::new(),
                });
                in_block = true;
            }
            blocks
                .last_mut()
                .expect("block just pushed")
                .lines
                .push(added.to_string());
            next_line += 1;
        } else if line.starts_with(' ') {
            next_line += 1;
            in_block = false;
        } else {
            in_block = false;
        }
    }
    blocks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn added_blocks_carry_new_file_line_numbers() {
        let patch = "diff --git a/f b/f\n--- a/f\n+++ b/f\n@@ -1,3 +1,4 @@\n one\n-two\n+TWO\n+2b\n three\n@@ -10,2 +11,3 @@\n ten\n+eleven\n eleven-old\n";
        assert_eq!(
            added_blocks(patch),
            [
                AddedBlock {
                    start: 2,
                    lines: vec!["TWO".into(), "2b".into()]
                },
                AddedBlock {
                    start: 12,
                    lines: vec!["eleven".into()]
                },
            ]
        );
        let new_file = "--- /dev/null\n+++ b/n\n@@ -0,0 +1,2 @@\n+a\n+b\n";
        assert_eq!(
            added_blocks(new_file),
            [AddedBlock {
                start: 1,
                lines: vec!["a".into(), "b".into()]
            }]
        );
    }
}
