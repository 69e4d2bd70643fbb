//! Anchoring: which agent step produced each added line of a user commit.
//!
//! Owns the anchor note format on `refs/notes/traces` (a contract, schema `v: 1`): one JSON object
//! per line, keys in a fixed order so equal anchors are equal text, with the session, the step
//! number and its stable `Trace-Key`, the file, the line ranges in the commit's version of the
//! file, the evidence tier and a firmness. No prompt text: notes travel with the commit.
//!
//! Tiers, tried in this order for each block of added lines: `exact_hunk` (a step added exactly
//! this block to this file; firm), then per line `exact_line` (a step added this line to this
//! file), `normalised` (the same line up to whitespace) and `moved` (a step added this line, up to
//! whitespace, to another file); these are soft. Among several steps the latest wins. Lines that carry almost
//! nothing (blank, a lone brace) are anchored only as part of an exact hunk, so hand-written
//! punctuation is not claimed for the agent. Lines no step produced get no anchor: they are the
//! human's.

use super::patch::{added_blocks, diff_trees, AddedBlock, Renames};
use git2::{Oid, Repository};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Anchor note line schema.
pub const ANCHOR_SCHEMA: u32 = 1;

/// One anchor: lines of one file of a commit traced to one step. Field order is the serialised
/// order, alphabetical, so that sorted note lines group by file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Anchor {
    pub file: String,
    /// `firm` for an exact hunk, `soft` otherwise.
    pub firmness: String,
    /// The step's `Trace-Key`, which survives renumbering.
    pub key: String,
    /// Inclusive 1-based line ranges in the commit's version of `file`.
    pub lines: Vec<[u32; 2]>,
    pub session: String,
    pub step: u64,
    /// `exact_hunk`, `exact_line`, `normalised` or `moved`.
    pub tier: String,
    pub v: u32,
}

/// What one agent step added to one file.
#[derive(Debug, Clone)]
pub struct StepBlock {
    pub session: String,
    pub step: u64,
    pub key: String,
    pub file: String,
    pub lines: Vec<String>,
}

/// Everything the candidate sessions added, oldest first (later entries win ties).
#[derive(Debug, Default)]
pub struct Evidence {
    pub blocks: Vec<StepBlock>,
}

impl Evidence {
    /// Adds one snapshot's patch (the files of a `trail.jsonl.gz` line) for a step.
    pub fn add_patch(&mut self, session: &str, step: u64, key: &str, files: &[super::FilePatch]) {
        for file in files.iter().filter(|f| !f.binary) {
            for block in added_blocks(&file.patch) {
                self.blocks.push(StepBlock {
                    session: session.to_string(),
                    step,
                    key: key.to_string(),
                    file: file.path.clone(),
                    lines: block.lines,
                });
            }
        }
    }
}

fn normalised(line: &str) -> String {
    line.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A line too short to say who wrote it.
fn trivial(line: &str) -> bool {
    line.chars().filter(|c| c.is_alphanumeric()).count() < 3
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Tier {
    ExactHunk,
    ExactLine,
    Normalised,
    Moved,
}

impl Tier {
    fn name(self) -> &'static str {
        match self {
            Tier::ExactHunk => "exact_hunk",
            Tier::ExactLine => "exact_line",
            Tier::Normalised => "normalised",
            Tier::Moved => "moved",
        }
    }
}

/// The anchors of `commit` (against its first parent) given what the sessions added.
pub fn anchor_commit(
    repo: &Repository,
    commit: Oid,
    evidence: &Evidence,
) -> Result<Vec<Anchor>, git2::Error> {
    if evidence.blocks.is_empty() {
        return Ok(Vec::new());
    }
    let commit = repo.find_commit(commit)?;
    let parent_tree = commit.parent(0).ok().map(|p| p.tree_id());
    // Later blocks overwrite earlier ones in these maps: the latest step wins.
    let mut hunks: HashMap<(&str, String), usize> = HashMap::new();
    let mut lines: HashMap<(&str, &str), usize> = HashMap::new();
    let mut norm: HashMap<(&str, String), usize> = HashMap::new();
    let mut anywhere: HashMap<String, usize> = HashMap::new();
    for (i, b) in evidence.blocks.iter().enumerate() {
        hunks.insert((b.file.as_str(), b.lines.join("\n")), i);
        for line in b.lines.iter().filter(|l| !trivial(l)) {
            lines.insert((b.file.as_str(), line.as_str()), i);
            norm.insert((b.file.as_str(), normalised(line)), i);
            anywhere.insert(normalised(line), i);
        }
    }
    let mut found: Vec<(usize, Tier, String, u32)> = Vec::new();
    for file in diff_trees(repo, parent_tree, commit.tree_id(), Renames::Ignore)? {
        if file.binary {
            continue;
        }
        for AddedBlock {
            start,
            lines: block,
        } in added_blocks(&file.patch)
        {
            let path = file.path.as_str();
            if let Some(&i) = hunks.get(&(path, block.join("\n"))) {
                for n in 0..block.len() as u32 {
                    found.push((i, Tier::ExactHunk, file.path.clone(), start + n));
                }
                continue;
            }
            for (n, line) in block.iter().enumerate() {
                if trivial(line) {
                    continue;
                }
                let hit = lines
                    .get(&(path, line.as_str()))
                    .map(|&i| (i, Tier::ExactLine))
                    .or_else(|| {
                        norm.get(&(path, normalised(line)))
                            .map(|&i| (i, Tier::Normalised))
                    })
                    .or_else(|| {
                        anywhere
                            .get(&normalised(line))
                            .filter(|&&i| evidence.blocks[i].file != path)
                            .map(|&i| (i, Tier::Moved))
                    });
                if let Some((i, tier)) = hit {
                    found.push((i, tier, file.path.clone(), start + n as u32));
                }
            }
        }
    }
    Ok(group(evidence, found))
}

/// Folds anchored lines into one anchor per (step, file, tier) with line ranges.
fn group(evidence: &Evidence, found: Vec<(usize, Tier, String, u32)>) -> Vec<Anchor> {
    let mut by: HashMap<(String, u64, String, String, &'static str), Vec<u32>> = HashMap::new();
    for (i, tier, file, line) in found {
        let b = &evidence.blocks[i];
        by.entry((b.session.clone(), b.step, b.key.clone(), file, tier.name()))
            .or_default()
            .push(line);
    }
    let mut anchors: Vec<Anchor> = by
        .into_iter()
        .map(|((session, step, key, file, tier), mut numbers)| {
            numbers.sort_unstable();
            numbers.dedup();
            let mut ranges: Vec<[u32; 2]> = Vec::new();
            for n in numbers {
                match ranges.last_mut() {
                    Some(r) if r[1] + 1 == n => r[1] = n,
                    _ => ranges.push([n, n]),
                }
            }
            Anchor {
                file,
                firmness: if tier == Tier::ExactHunk.name() {
                    "firm"
                } else {
                    "soft"
                }
                .into(),
                key,
                lines: ranges,
                session,
                step,
                tier: tier.into(),
                v: ANCHOR_SCHEMA,
            }
        })
        .collect();
    anchors.sort();
    anchors
}
