//! The change layer: snapshots of the working tree after each step and the patches between them.
//!
//! Owns the trail commit format on `refs/traces/trails/<session>` (a contract): one commit per step
//! that changed the tree, message `step N: <tool> <summary>` with `Trace-Session:` and `Trace-Step:`
//! trailers, the first commit's parent being `HEAD` when the session started.

mod anchor;
mod blame;
mod patch;
mod snapshot;

pub use anchor::{anchor_commit, Anchor, Evidence, StepBlock, ANCHOR_SCHEMA};
pub use blame::{
    blame, BlameCommit, BlameLine, BlameReport, BlameRequest, Error as BlameError, LineAnchor, Raw,
    State, StepSource, Warning as BlameWarning,
};
pub use patch::{added_blocks, diff_trees, write_patch, AddedBlock, FilePatch, Renames};
pub use snapshot::{commit_message, full_tree, named_tree, snapshot_commit, trailer, PathChange};
