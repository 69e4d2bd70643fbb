//! `refs/notes/traces`: the anchors of each user commit, as git notes (and the same line format
//! for the ratings notes, `refs/notes/traces-ratings`).
//!
//! A note body is JSON Lines, one anchor a line, sorted and without duplicates, so that git's own
//! `git notes merge -s cat_sort_uniq` merges the notes of two clones correctly (DESIGN.md "Git
//! hooks"). Adding lines to a note is a set union: re-anchoring a commit never drops a line.

use super::Result;
use git2::{Oid, Repository};

pub const NOTES_REF: &str = "refs/notes/traces";

/// The lines of the note on `commit` (empty when it has none).
pub fn note_lines(repo: &Repository, commit: Oid) -> Result<Vec<String>> {
    note_lines_in(repo, NOTES_REF, commit)
}

/// The lines of the note on `target` in the notes ref `notes_ref`.
pub fn note_lines_in(repo: &Repository, notes_ref: &str, target: Oid) -> Result<Vec<String>> {
    match repo.find_note(Some(notes_ref), target) {
        Ok(note) => Ok(note
            .message()
            .unwrap_or_default()
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(str::to_string)
            .collect()),
        Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(Vec::new()),
        Err(e) => Err(e.into()),
    }
}

/// Adds `lines` to the note on `commit`; returns whether the note changed.
pub fn add_note_lines(repo: &Repository, commit: Oid, lines: &[String]) -> Result<bool> {
    let existing = note_lines(repo, commit)?;
    let mut all: Vec<String> = existing.iter().chain(lines).cloned().collect();
    all.sort();
    all.dedup();
    if all == existing {
        return Ok(false);
    }
    set_note_lines(repo, NOTES_REF, commit, &all)?;
    Ok(true)
}

/// Replaces the note on `target` in `notes_ref` by `lines` (sorted, without duplicates, so
/// `cat_sort_uniq` merges it); no lines removes the note.
pub fn set_note_lines(
    repo: &Repository,
    notes_ref: &str,
    target: Oid,
    lines: &[String],
) -> Result<()> {
    let mut lines = lines.to_vec();
    lines.sort();
    lines.dedup();
    let sig = git2::Signature::now("git-traces", "git-traces@localhost")?;
    if lines.is_empty() {
        match repo.note_delete(target, Some(notes_ref), &sig, &sig) {
            Err(e) if e.code() != git2::ErrorCode::NotFound => return Err(e.into()),
            _ => return Ok(()),
        }
    }
    let body = lines.join("\n") + "\n";
    repo.note(&sig, &sig, Some(notes_ref), target, &body, true)?;
    Ok(())
}
