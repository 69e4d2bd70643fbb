//! git-traces: the evidence of coding-agent work, kept inside git.
//!
//! The binaries under `bins/` parse arguments and print; everything else lives here. Commands take
//! an open `git2::Repository` and a writer and never print on their own. Only [`store`] writes refs,
//! notes and files under `.git/traces/`; [`capsule`] writes its own namespace, `refs/capsules/*`.

pub mod capsule;
pub mod capture;
pub mod cli;
pub mod ctx;
pub mod dataset;
pub mod doctor;
pub mod explain;
pub mod export;
pub mod map;
pub mod model;
pub mod query;
pub mod read;
pub mod render;
pub mod security;
pub mod setup;
pub mod share;
pub mod skill;
pub mod stats;
pub mod store;
pub mod track;
pub mod trail;
pub mod view;
