//! `git ctx resume`: a new session of the harness that starts exactly before a step.
//!
//! The harness's own session file is cut, not re-created: the lines that led to the step are kept
//! as the harness wrote them, except for the session id (and the cwd, when the session moves to a
//! worktree), so the harness reads them back and sends the model exactly that conversation. The
//! original file is never touched. Pi files are trees: only the step's branch is kept.

use super::{Node, Session};
use crate::capture::Harness;
use serde::Serialize;
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

/// Errors a resume reports to the user, each with what to do instead.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("session {session} has no session file on record\nhint: import it with 'git trace import {harness} <file>', then resume")]
    NoTranscript { session: String, harness: String },
    #[error("cannot read {path}, the session file of {session}: {source}\nhint: resume needs the harness's own file; it was moved or deleted")]
    Transcript {
        session: String,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot resume a {from} session in {to}: {why}\nhint: resume it in {from} (drop --harness), resume before that step, or carry the context by hand with 'git ctx pack'")]
    CrossHarness {
        from: String,
        to: &'static str,
        why: String,
    },
    #[error("session {session} was captured from an unknown harness '{harness}'")]
    UnknownHarness { session: String, harness: String },
    #[error(transparent)]
    Read(#[from] crate::read::Error),
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("HOME is not set: cannot find where {0} keeps its sessions\nhint: set HOME, then run the command again")]
    NoHome(&'static str),
}

/// What a resume wrote and how to continue it.
#[derive(Debug, Clone, Serialize)]
pub struct Resumed {
    pub schema: &'static str,
    pub harness: &'static str,
    /// The original session and the step the new one starts before.
    pub from: String,
    pub step: u64,
    /// The new session's id and file.
    pub session: String,
    pub file: PathBuf,
    /// Lines kept from the original file.
    pub lines: usize,
    /// Where the harness must run: the new worktree, or the session's own cwd.
    pub cwd: PathBuf,
    /// The harness's own resume command, to run in `cwd`.
    pub command: Vec<String>,
}

/// Where the new session's files go and where it runs.
pub struct Target<'a> {
    pub home: Option<&'a Path>,
    /// The directory the resumed session runs in (a new worktree, or the original cwd).
    pub cwd: &'a Path,
}

/// Writes the session file for resuming `session` before step `index` in `harness`: the original
/// file cut there, or, for another harness, the window rewritten in its format.
pub fn resume(
    repo: &git2::Repository,
    session: &Session,
    index: u64,
    harness: Harness,
    target: &Target,
) -> Result<Resumed, Error> {
    let trace = &session.trace;
    let source = Harness::parse(&trace.harness).ok_or_else(|| Error::UnknownHarness {
        session: trace.id.clone(),
        harness: trace.harness.clone(),
    })?;
    let new_id = new_session_id(&trace.id, index);
    let kept = if source == harness {
        cut_file(session, index, harness, &new_id, target.cwd)?
    } else {
        let pack = session.pack(repo, index)?;
        super::translate::session_lines(&pack, harness, &new_id, target.cwd).map_err(
            |super::translate::Untranslatable(why)| Error::CrossHarness {
                from: trace.harness.clone(),
                to: harness.name(),
                why,
            },
        )?
    };
    write_session(harness, target, &trace.id, index, new_id, kept)
}

/// Writes a new session of `harness` holding `pack`'s conversation (a capsule's, say), to resume
/// from there.
pub fn from_pack(pack: &super::Pack, harness: Harness, target: &Target) -> Result<Resumed, Error> {
    let new_id = new_session_id(&pack.session, pack.step);
    let lines = super::translate::session_lines(pack, harness, &new_id, target.cwd).map_err(
        |super::translate::Untranslatable(why)| Error::CrossHarness {
            from: pack.runtime.harness.clone(),
            to: harness.name(),
            why,
        },
    )?;
    write_session(harness, target, &pack.session, pack.step, new_id, lines)
}

/// Writes `lines` as the new session `new_id`, where `harness` looks for its sessions.
fn write_session(
    harness: Harness,
    target: &Target,
    from: &str,
    step: u64,
    new_id: String,
    kept: Vec<String>,
) -> Result<Resumed, Error> {
    let file = new_file(harness, target, &new_id)?;
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir).map_err(|source| Error::Write {
            path: dir.to_path_buf(),
            source,
        })?;
    }
    let mut text = kept.join("\n");
    text.push('\n');
    std::fs::write(&file, text).map_err(|source| Error::Write {
        path: file.clone(),
        source,
    })?;
    let command = match harness {
        Harness::Claude => vec!["claude".into(), "--resume".into(), new_id.clone()],
        Harness::Codex => vec!["codex".into(), "resume".into(), new_id.clone()],
        Harness::Pi => vec![
            "pi".into(),
            "--session".into(),
            file.to_string_lossy().into_owned(),
        ],
    };
    Ok(Resumed {
        schema: "git-traces/ctx-resume@1",
        harness: harness.name(),
        from: from.to_string(),
        step,
        session: new_id,
        file,
        lines: kept.len(),
        cwd: target.cwd.to_path_buf(),
        command,
    })
}

/// The session's own file, cut before step `index`, under the new id.
fn cut_file(
    session: &Session,
    index: u64,
    harness: Harness,
    new_id: &str,
    cwd: &Path,
) -> Result<Vec<String>, Error> {
    let trace = &session.trace;
    let path = trace
        .transcript
        .as_ref()
        .map(PathBuf::from)
        .ok_or_else(|| Error::NoTranscript {
            session: trace.id.clone(),
            harness: trace.harness.clone(),
        })?;
    let bytes = std::fs::read(&path).map_err(|source| Error::Transcript {
        session: trace.id.clone(),
        path: path.clone(),
        source,
    })?;
    let window = session.window_nodes(index)?;
    let cut = super::window::cut(&session.nodes, &trace.steps, index as usize);
    let lines = split_lines(&bytes);
    let kept: Vec<std::borrow::Cow<[u8]>> = match harness {
        Harness::Pi => pi_branch(&lines, &session.nodes, &window, cut),
        _ => linear_prefix(&lines, session, index, cut)
            .into_iter()
            .map(std::borrow::Cow::Borrowed)
            .collect(),
    };
    Ok(kept
        .into_iter()
        .map(|line| rewrite(harness, line, new_id, cwd))
        .collect())
}

/// The file's lines with their byte offsets (the trailing empty line after the last newline is
/// left out).
fn split_lines(bytes: &[u8]) -> Vec<(u64, &[u8])> {
    let mut out = Vec::new();
    let mut at = 0u64;
    for line in bytes.split(|&b| b == b'\n') {
        if !line.iter().all(u8::is_ascii_whitespace) {
            out.push((at, line));
        }
        at += line.len() as u64 + 1;
    }
    out
}

/// Claude Code and Codex: the lines before the step's first node, without lines that belong to the
/// step or a later one (a parallel call issued in the same response), plus the results of calls
/// that were kept and came back after the cut.
fn linear_prefix<'a>(
    lines: &[(u64, &'a [u8])],
    session: &Session,
    index: u64,
    cut: usize,
) -> Vec<&'a [u8]> {
    let cut_offset = session
        .nodes
        .get(cut)
        .and_then(|n| n.offset)
        .unwrap_or(u64::MAX);
    let mut steps_at: HashMap<u64, Vec<(Option<u64>, &Node)>> = HashMap::new();
    for node in &session.nodes {
        if let Some(offset) = node.offset {
            steps_at
                .entry(offset)
                .or_default()
                .push((session.step_of(node), node));
        }
    }
    let later = |s: &Option<u64>| s.is_some_and(|s| s >= index);
    lines
        .iter()
        .filter(|(offset, _)| {
            let nodes = steps_at.get(offset).map(Vec::as_slice).unwrap_or_default();
            if *offset < cut_offset {
                !nodes.iter().any(|(s, _)| later(s))
            } else {
                !nodes.is_empty()
                    && nodes
                        .iter()
                        .all(|(s, n)| !later(s) && n.role == super::Role::ToolResult)
            }
        })
        .map(|(_, line)| *line)
        .collect()
}

/// Pi: the header and the entries on the step's branch before it. When the step starts inside an
/// entry (a tool call after the text of the same message), that entry is kept with the blocks
/// before the step only.
fn pi_branch<'a>(
    lines: &[(u64, &'a [u8])],
    nodes: &[Node],
    window: &[usize],
    cut: usize,
) -> Vec<std::borrow::Cow<'a, [u8]>> {
    use std::borrow::Cow;
    let parsed: Vec<Option<Value>> = lines
        .iter()
        .map(|(_, l)| serde_json::from_slice(l).ok())
        .collect();
    let id_of = |v: &Value| v["id"].as_str().map(str::to_string);
    let mut parent: HashMap<String, Option<String>> = HashMap::new();
    for v in parsed.iter().flatten() {
        if v["type"] != "session" {
            if let Some(id) = id_of(v) {
                parent.insert(id, v["parentId"].as_str().map(str::to_string));
            }
        }
    }
    let cut_entry = nodes.get(cut).and_then(|n| n.entry.clone());
    // The branch: from the cut entry's parent (or, past the last node, the last entry) upwards.
    let start = match &cut_entry {
        Some(entry) => parent.get(entry).cloned().flatten(),
        None => parsed
            .iter()
            .rev()
            .flatten()
            .find(|v| v["type"] != "session")
            .and_then(id_of),
    };
    let mut branch = HashSet::new();
    let mut at = start;
    while let Some(id) = at {
        if !branch.insert(id.clone()) {
            break;
        }
        at = parent.get(&id).cloned().flatten();
    }
    let blocks_seen = cut_entry.as_ref().map_or(0, |entry| {
        window
            .iter()
            .filter(|&&i| nodes[i].entry.as_ref() == Some(entry))
            .count()
    });
    let mut out = Vec::new();
    for ((_, line), value) in lines.iter().zip(&parsed) {
        let Some(v) = value else { continue };
        let id = id_of(v);
        if v["type"] == "session" || id.as_ref().is_some_and(|id| branch.contains(id)) {
            out.push(Cow::Borrowed(*line));
        } else if blocks_seen > 0 && id.is_some() && id == cut_entry {
            let mut partial = v.clone();
            if let Some(blocks) = partial["message"]["content"].as_array_mut() {
                blocks.truncate(blocks_seen);
            }
            out.push(Cow::Owned(partial.to_string().into_bytes()));
        }
    }
    out
}

/// A kept line with the new session id (and cwd) in the places the harness reads them from.
fn rewrite(harness: Harness, line: impl AsRef<[u8]>, id: &str, cwd: &Path) -> String {
    let line = line.as_ref();
    let Ok(mut v) = serde_json::from_slice::<Value>(line) else {
        return String::from_utf8_lossy(line).into_owned();
    };
    let cwd = Value::String(cwd.to_string_lossy().into_owned());
    let id = Value::String(id.to_string());
    let mut changed = false;
    let mut set = |obj: &mut Value, key: &str, value: &Value| {
        if let Some(slot) = obj.get_mut(key) {
            changed |= slot != value;
            *slot = value.clone();
        }
    };
    match harness {
        Harness::Claude => {
            set(&mut v, "sessionId", &id);
            set(&mut v, "cwd", &cwd);
        }
        Harness::Codex if v["type"] == "session_meta" => {
            let payload = &mut v["payload"];
            set(payload, "id", &id);
            set(payload, "session_id", &id);
            set(payload, "cwd", &cwd);
        }
        Harness::Codex if v["type"] == "turn_context" => set(&mut v["payload"], "cwd", &cwd),
        Harness::Pi if v["type"] == "session" => {
            set(&mut v, "id", &id);
            set(&mut v, "cwd", &cwd);
        }
        _ => {}
    }
    if changed {
        v.to_string()
    } else {
        String::from_utf8_lossy(line).into_owned()
    }
}

/// Where the harness looks for a session with this id, for a session running in `target.cwd`.
fn new_file(harness: Harness, target: &Target, id: &str) -> Result<PathBuf, Error> {
    let home = target.home.ok_or(Error::NoHome(harness.name()))?;
    let dir = crate::capture::backfill::sessions_dir(harness, home);
    let cwd = target.cwd.to_string_lossy();
    let now = crate::store::now_rfc3339();
    Ok(match harness {
        Harness::Claude => dir
            .join(cwd.replace(['/', '.'], "-"))
            .join(format!("{id}.jsonl")),
        Harness::Codex => {
            // rollout-YYYY-MM-DDTHH-MM-SS-<id>.jsonl under sessions/YYYY/MM/DD
            let stamp = now[..19].replace(':', "-");
            dir.join(&now[..4])
                .join(&now[5..7])
                .join(&now[8..10])
                .join(format!("rollout-{stamp}-{id}.jsonl"))
        }
        Harness::Pi => {
            let slug = format!("--{}--", cwd.trim_start_matches('/').replace('/', "-"));
            let stamp = format!("{}Z", now[..23].replace([':', '.'], "-"));
            dir.join(slug).join(format!("{stamp}_{id}.jsonl"))
        }
    })
}

/// A fresh UUID-shaped id (version 4 layout), unique per source session, step and moment.
fn new_session_id(session: &str, step: u64) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let seed = format!("{session}:{step}:{nanos}:{}", std::process::id());
    let hex = crate::capture::sha256_hex(seed.as_bytes());
    let variant = ["8", "9", "a", "b"][usize::from_str_radix(&hex[16..17], 16).unwrap_or(0) % 4];
    format!(
        "{}-{}-4{}-{variant}{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[13..16],
        &hex[17..20],
        &hex[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_ids_look_like_uuids_and_differ() {
        let a = new_session_id("s", 3);
        let b = new_session_id("s", 4);
        assert_ne!(a, b);
        let parts: Vec<usize> = a.split('-').map(str::len).collect();
        assert_eq!(parts, [8, 4, 4, 4, 12]);
        assert_eq!(&a[14..15], "4");
    }

    #[test]
    fn rewrite_moves_only_the_ids_and_cwd() {
        let line = r#"{"type":"session","version":3,"id":"old","timestamp":"t","cwd":"/a"}"#;
        let out = rewrite(Harness::Pi, line, "new", Path::new("/b"));
        assert_eq!(
            out,
            r#"{"type":"session","version":3,"id":"new","timestamp":"t","cwd":"/b"}"#
        );
        let claude = r#"{"type":"user","sessionId":"old","message":{"content":"hi"}}"#;
        assert_eq!(
            rewrite(Harness::Claude, claude, "new", Path::new("/b")),
            r#"{"type":"user","sessionId":"new","message":{"content":"hi"}}"#
        );
    }
}
