//! The query index, `.git/traces/cache/query.idx`: derived data, rebuilt from the sealed sessions
//! and `refs/notes/traces` whenever it is missing, stale or damaged.
//!
//! One file, read whole, so a warm query costs one read and no git object access:
//!
//! ```text
//! magic "GTQIDX\0\x01" | crc32 of the rest (u32 LE)
//! u64 LE length + header (JSON: schema, notes tip, one row per session: id, seal, harness, …)
//! u64 LE length + dictionary: sorted terms, each [varint len][bytes][varint offset][varint length]
//! u64 LE length + postings: per term [varint n] then n × [varint session delta][varint tf]
//!                           [varint step count][varint step deltas…]
//! the rest: step lines: per session [varint n] then n × [u8 kind][varint len][summary]
//! ```
//!
//! Only the postings of the query's terms and the step lines of the sessions shown are decoded,
//! so the cost of a query grows with what it matches, not with the corpus. Sessions are keyed by
//! their seal commit: an update re-reads only the sessions whose seal changed and those whose
//! anchor notes changed (found by diffing the notes tree against the tip the index was built at).

use super::tokens;
use super::Error;
use crate::model::{Step, StepKind, Trace};
use crate::trail::Anchor;
use crate::{read, render, store};
use git2::{Oid, Repository};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

const MAGIC: &[u8; 8] = b"GTQIDX\0\x01";
const SCHEMA: &str = "git-traces/query-index@1";
/// The index's file name under `.git/traces/cache/`.
pub const FILE: &str = "query.idx";
/// Prefix of the terms holding the exact paths steps name (for `--file`): no query word can
/// produce it, so a path filter never collides with text.
pub const FILE_TERM: &str = "\0";
/// Step summaries are kept to this many characters: they are shown on one line.
const SUMMARY_MAX: usize = 120;
/// Every kind, in the order of their one-byte code in the file.
const KINDS: [StepKind; 9] = [
    StepKind::User,
    StepKind::Plan,
    StepKind::Think,
    StepKind::Read,
    StepKind::Exec,
    StepKind::Write,
    StepKind::Answer,
    StepKind::Tool,
    StepKind::System,
];

/// Anchored steps of one session, by the commit carrying the anchors.
type Commits = BTreeMap<String, Vec<u64>>;

/// One session's row of the header.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SessionMeta {
    pub id: String,
    pub seal: String,
    pub harness: String,
    pub models: Vec<String>,
    pub started_at: String,
    /// The first line of the first prompt.
    pub prompt: String,
    /// Commits whose anchor notes name this session, with the steps anchored there.
    pub commits: Commits,
    /// The trace could not be read: kept so that it is not retried on every query.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unreadable: bool,
    steps_at: u64,
}

#[derive(Serialize, Deserialize)]
struct Header {
    schema: String,
    notes: Option<String>,
    sessions: Vec<SessionMeta>,
    /// Anchors naming sessions that are not sealed yet, kept until they are.
    orphans: BTreeMap<String, Commits>,
}

/// How often a term occurs in one session, and in which steps.
#[derive(Debug, Default, Clone, PartialEq)]
struct TermHits {
    tf: u32,
    steps: BTreeSet<u32>,
}

/// One session before inversion: what an update keeps or rebuilds.
struct Doc {
    meta: SessionMeta,
    terms: BTreeMap<String, TermHits>,
    steps: Vec<(u8, String)>,
}

impl Doc {
    fn add(&mut self, term: &str, step: Option<u32>) {
        let hits = self.terms.entry(term.to_string()).or_default();
        hits.tf += 1;
        hits.steps.extend(step);
    }
}

/// One session's entry in a term's postings.
#[derive(Debug, Clone)]
pub struct Posting {
    /// Position of the session in [`Index::sessions`].
    pub session: usize,
    pub tf: u32,
    pub steps: Vec<u32>,
}

/// A loaded index.
pub struct Index {
    bytes: Vec<u8>,
    header: Header,
    dict: Range<usize>,
    postings: Range<usize>,
    steps: Range<usize>,
}

/// What was wrong with an index file.
struct Corrupt(String);

fn corrupt(what: &str) -> Corrupt {
    Corrupt(what.to_string())
}

fn put_varint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push(n as u8 | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

fn varint(bytes: &[u8], pos: &mut usize) -> Result<u64, Corrupt> {
    let mut n = 0u64;
    for shift in (0..64).step_by(7) {
        let b = *bytes.get(*pos).ok_or_else(|| corrupt("truncated number"))?;
        *pos += 1;
        n |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Ok(n);
        }
    }
    Err(corrupt("overlong number"))
}

fn usize_at(bytes: &[u8], pos: &mut usize) -> Result<usize, Corrupt> {
    usize::try_from(varint(bytes, pos)?).map_err(|_| corrupt("number out of range"))
}

fn slice<'a>(bytes: &'a [u8], pos: &mut usize, len: usize) -> Result<&'a [u8], Corrupt> {
    let end = pos
        .checked_add(len)
        .filter(|e| *e <= bytes.len())
        .ok_or_else(|| corrupt("truncated section"))?;
    let s = &bytes[*pos..end];
    *pos = end;
    Ok(s)
}

/// A `u64 LE` length followed by that many bytes: the section's range in `bytes`.
fn section(bytes: &[u8], pos: &mut usize) -> Result<Range<usize>, Corrupt> {
    let len = slice(bytes, pos, 8)?;
    let len = usize::try_from(u64::from_le_bytes(len.try_into().expect("8 bytes")))
        .map_err(|_| corrupt("section too long"))?;
    let start = *pos;
    slice(bytes, pos, len)?;
    Ok(start..*pos)
}

fn put_section(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
    out.extend_from_slice(bytes);
}

impl Index {
    fn parse(bytes: Vec<u8>) -> Result<Index, Corrupt> {
        if bytes.len() < 12 || &bytes[..8] != MAGIC {
            return Err(corrupt("not a query index"));
        }
        let crc = u32::from_le_bytes(bytes[8..12].try_into().expect("4 bytes"));
        if crc32fast::hash(&bytes[12..]) != crc {
            return Err(corrupt("checksum mismatch"));
        }
        let mut pos = 12;
        let header = section(&bytes, &mut pos)?;
        let header: Header = serde_json::from_slice(&bytes[header])
            .map_err(|e| Corrupt(format!("bad header: {e}")))?;
        if header.schema != SCHEMA {
            return Err(Corrupt(format!("written as '{}'", header.schema)));
        }
        let dict = section(&bytes, &mut pos)?;
        let postings = section(&bytes, &mut pos)?;
        let steps = pos..bytes.len();
        Ok(Index {
            bytes,
            header,
            dict,
            postings,
            steps,
        })
    }

    /// Every indexed session, sorted by id.
    pub fn sessions(&self) -> &[SessionMeta] {
        &self.header.sessions
    }

    /// Calls `f` with each term of the dictionary (in byte order) and its postings' range.
    fn each_term(
        &self,
        mut f: impl FnMut(&[u8], Range<usize>) -> Result<(), Corrupt>,
    ) -> Result<(), Corrupt> {
        let dict = &self.bytes[self.dict.clone()];
        let mut pos = 0;
        while pos < dict.len() {
            let len = usize_at(dict, &mut pos)?;
            let term = slice(dict, &mut pos, len)?;
            let start = usize_at(dict, &mut pos)?;
            let len = usize_at(dict, &mut pos)?;
            f(term, start..start + len)?;
        }
        Ok(())
    }

    fn decode_postings(&self, range: Range<usize>) -> Result<Vec<Posting>, Corrupt> {
        let bytes = self
            .bytes
            .get(self.postings.clone())
            .and_then(|p| p.get(range))
            .ok_or_else(|| corrupt("postings out of range"))?;
        let mut pos = 0;
        let n = usize_at(bytes, &mut pos)?;
        let mut out = Vec::with_capacity(n.min(bytes.len()));
        let mut session = 0;
        for _ in 0..n {
            session += usize_at(bytes, &mut pos)?;
            if session >= self.header.sessions.len() {
                return Err(corrupt("posting names no session"));
            }
            let tf = varint(bytes, &mut pos)? as u32;
            let count = usize_at(bytes, &mut pos)?;
            let mut steps = Vec::with_capacity(count.min(bytes.len()));
            let mut step = 0u32;
            for _ in 0..count {
                step += varint(bytes, &mut pos)? as u32;
                steps.push(step);
            }
            out.push(Posting { session, tf, steps });
        }
        Ok(out)
    }

    /// The postings of each of `terms` (empty for a term no session has), looked up in one pass.
    pub fn postings(&self, terms: &[String]) -> Result<Vec<Vec<Posting>>, Error> {
        let mut ranges = vec![None; terms.len()];
        self.each_term(|term, range| {
            if let Some(i) = terms.iter().position(|t| t.as_bytes() == term) {
                ranges[i] = Some(range);
            }
            Ok(())
        })
        .map_err(Error::from)?;
        ranges
            .into_iter()
            .map(|r| r.map_or(Ok(Vec::new()), |r| self.decode_postings(r)))
            .collect::<Result<_, _>>()
            .map_err(Error::from)
    }

    /// The postings of the exact path `file` and of every path under it (a directory).
    pub fn file_postings(&self, file: &str) -> Result<Vec<Posting>, Error> {
        let exact = format!("{FILE_TERM}{}", file.trim_end_matches('/'));
        let under = format!("{exact}/");
        let mut ranges = Vec::new();
        self.each_term(|term, range| {
            if term == exact.as_bytes() || term.starts_with(under.as_bytes()) {
                ranges.push(range);
            }
            Ok(())
        })?;
        let mut out = Vec::new();
        for range in ranges {
            out.extend(self.decode_postings(range)?);
        }
        Ok(out)
    }

    /// The kind and one-line summary of every step of the session at `session`.
    pub fn steps(&self, session: usize) -> Result<Vec<(StepKind, String)>, Error> {
        let at = self.header.sessions[session].steps_at as usize;
        let bytes = &self.bytes[self.steps.clone()];
        let mut pos = at;
        let n = usize_at(bytes, &mut pos)?;
        let mut out = Vec::with_capacity(n.min(bytes.len()));
        for _ in 0..n {
            let kind = *slice(bytes, &mut pos, 1)?.first().expect("one byte");
            let kind = *KINDS
                .get(kind as usize)
                .ok_or_else(|| corrupt("unknown step kind"))?;
            let len = usize_at(bytes, &mut pos)?;
            let text = std::str::from_utf8(slice(bytes, &mut pos, len)?)
                .map_err(|_| corrupt("summary is not UTF-8"))?;
            out.push((kind, text.to_string()));
        }
        Ok(out)
    }
}

impl From<Corrupt> for Error {
    fn from(c: Corrupt) -> Error {
        Error::Index(c.0)
    }
}

fn kind_code(kind: StepKind) -> u8 {
    KINDS.iter().position(|k| *k == kind).expect("every kind") as u8
}

/// Every term's postings, by the sessions' positions in the new index: what [`encode`] writes.
type Inverted = BTreeMap<Vec<u8>, Vec<Posting>>;

/// One session of the new index: its row and its step lines.
struct Entry {
    meta: SessionMeta,
    steps: Vec<(u8, String)>,
}

/// Adds a freshly read session, at position `session`, to the postings.
fn invert(inverted: &mut Inverted, session: usize, terms: BTreeMap<String, TermHits>) {
    for (term, hits) in terms {
        inverted
            .entry(term.into_bytes())
            .or_default()
            .push(Posting {
                session,
                tf: hits.tf,
                steps: hits.steps.into_iter().collect(),
            });
    }
}

/// Writes the index; `entries` are sorted by id and `inverted` refers to their positions.
fn encode(
    notes: Option<String>,
    orphans: BTreeMap<String, Commits>,
    mut entries: Vec<Entry>,
    mut inverted: Inverted,
) -> Vec<u8> {
    let mut steps = Vec::new();
    for entry in &mut entries {
        entry.meta.steps_at = steps.len() as u64;
        put_varint(&mut steps, entry.steps.len() as u64);
        for (kind, summary) in &entry.steps {
            steps.push(*kind);
            put_varint(&mut steps, summary.len() as u64);
            steps.extend_from_slice(summary.as_bytes());
        }
    }
    let (mut dict, mut postings) = (Vec::new(), Vec::new());
    for (term, list) in &mut inverted {
        list.sort_by_key(|p| p.session);
        let start = postings.len();
        put_varint(&mut postings, list.len() as u64);
        let mut last = 0;
        for p in list.iter() {
            put_varint(&mut postings, (p.session - last) as u64);
            last = p.session;
            put_varint(&mut postings, u64::from(p.tf));
            put_varint(&mut postings, p.steps.len() as u64);
            let mut prev = 0;
            for step in &p.steps {
                put_varint(&mut postings, u64::from(step - prev));
                prev = *step;
            }
        }
        put_varint(&mut dict, term.len() as u64);
        dict.extend_from_slice(term);
        put_varint(&mut dict, start as u64);
        put_varint(&mut dict, (postings.len() - start) as u64);
    }
    let header = Header {
        schema: SCHEMA.into(),
        notes,
        sessions: entries.into_iter().map(|e| e.meta).collect(),
        orphans,
    };
    let mut out = MAGIC.to_vec();
    out.extend_from_slice(&[0; 4]);
    put_section(
        &mut out,
        &serde_json::to_vec(&header).expect("header serialises"),
    );
    put_section(&mut out, &dict);
    put_section(&mut out, &postings);
    out.extend_from_slice(&steps);
    let crc = crc32fast::hash(&out[12..]);
    out[8..12].copy_from_slice(&crc.to_le_bytes());
    out
}

/// The bucket commit of every readable session: its private seal, else its shared copy.
fn current_seals(repo: &Repository) -> Result<BTreeMap<String, String>, Error> {
    let mut out = BTreeMap::new();
    for prefix in [crate::share::SHARED_PREFIX, store::SESSIONS_PREFIX] {
        for r in repo.references_glob(&format!("{prefix}*"))? {
            let r = r?;
            let (Some(name), Some(target)) = (r.name(), r.target()) else {
                continue;
            };
            out.insert(name[prefix.len()..].to_string(), target.to_string());
        }
    }
    Ok(out)
}

/// The sessions and steps the anchors of one note blob name.
fn anchors_in(repo: &Repository, blob: Oid) -> Commits {
    let mut out = Commits::new();
    if blob.is_zero() {
        return out;
    }
    let Ok(blob) = repo.find_blob(blob) else {
        return out;
    };
    for line in String::from_utf8_lossy(blob.content()).lines() {
        if let Ok(anchor) = serde_json::from_str::<Anchor>(line) {
            out.entry(anchor.session).or_default().push(anchor.step);
        }
    }
    for steps in out.values_mut() {
        steps.sort();
        steps.dedup();
    }
    out
}

/// Applies the notes changed between two tips of `refs/notes/traces` to the per-session commit
/// lists; returns the sessions whose lists changed.
fn apply_note_changes(
    repo: &Repository,
    old: Option<Oid>,
    new: Option<Oid>,
    commits: &mut BTreeMap<String, Commits>,
) -> Result<BTreeSet<String>, Error> {
    let tree = |n: Option<Oid>| {
        n.and_then(|n| repo.find_commit(n).ok())
            .and_then(|c| c.tree().ok())
    };
    let diff = repo.diff_tree_to_tree(tree(old).as_ref(), tree(new).as_ref(), None)?;
    let mut changed = BTreeSet::new();
    for delta in diff.deltas() {
        let Some(path) = delta.new_file().path().or(delta.old_file().path()) else {
            continue;
        };
        let commit: String = path
            .to_string_lossy()
            .chars()
            .filter(|c| *c != '/')
            .collect();
        for session in anchors_in(repo, delta.old_file().id()).into_keys() {
            if let Some(list) = commits.get_mut(&session) {
                list.remove(&commit);
            }
            changed.insert(session);
        }
        for (session, steps) in anchors_in(repo, delta.new_file().id()) {
            commits
                .entry(session.clone())
                .or_default()
                .insert(commit.clone(), steps);
            changed.insert(session);
        }
    }
    Ok(changed)
}

/// The text of a step worth searching: prompts, plans, answers in full (as kept inline), the
/// command of an exec step, the summary of anything else; never thinking or tool output.
fn step_text(step: &Step) -> Vec<&str> {
    let text = step.text.as_ref().map(|c| c.text.as_str());
    match step.kind {
        StepKind::User | StepKind::Answer => vec![text.unwrap_or(&step.summary)],
        StepKind::Plan | StepKind::Exec => {
            let mut out = Vec::new();
            if let Some(input) = &step.input {
                string_leaves(input, &mut out);
            }
            out.extend(text);
            if out.is_empty() {
                out.push(&step.summary);
            }
            out
        }
        StepKind::Think | StepKind::System => Vec::new(),
        StepKind::Read | StepKind::Write | StepKind::Tool => vec![&step.summary],
    }
}

/// Every string inside a tool input (a command, a plan's items), in order.
fn string_leaves<'a>(value: &'a serde_json::Value, out: &mut Vec<&'a str>) {
    match value {
        serde_json::Value::String(s) => out.push(s),
        serde_json::Value::Array(a) => a.iter().for_each(|v| string_leaves(v, out)),
        serde_json::Value::Object(o) => o.values().for_each(|v| string_leaves(v, out)),
        _ => {}
    }
}

fn first_prompt(trace: &Trace) -> String {
    trace
        .steps
        .iter()
        .find(|s| s.kind == StepKind::User)
        .map(|s| {
            let text = s.text.as_ref().map_or(s.summary.as_str(), |c| &c.text);
            render::first_line(text, 200)
        })
        .unwrap_or_default()
}

/// Reads one session (and the messages of the commits anchored on it) into a doc.
fn build_doc(repo: &Repository, id: &str, seal: &str, commits: Commits) -> Doc {
    let mut doc = Doc {
        meta: SessionMeta {
            id: id.into(),
            seal: seal.into(),
            harness: String::new(),
            models: Vec::new(),
            started_at: String::new(),
            prompt: String::new(),
            commits,
            unreadable: false,
            steps_at: 0,
        },
        terms: BTreeMap::new(),
        steps: Vec::new(),
    };
    let Ok(trace) = read::load_trace(repo, id) else {
        doc.meta.unreadable = true;
        return doc;
    };
    doc.meta.harness = trace.harness.clone();
    doc.meta.models = trace.models.clone();
    doc.meta.started_at = trace.started_at.clone();
    doc.meta.prompt = first_prompt(&trace);
    for step in &trace.steps {
        let index = step.index as u32;
        for text in step_text(step) {
            tokens::text_terms(text, |t| doc.add(t, Some(index)));
        }
        for path in &step.paths {
            tokens::path_terms(path, |t| doc.add(t, Some(index)));
            doc.add(&format!("{FILE_TERM}{path}"), Some(index));
        }
        let summary = render::first_line(&step.summary, SUMMARY_MAX);
        doc.steps.push((kind_code(step.kind), summary));
    }
    for (commit, steps) in doc.meta.commits.clone() {
        let message = Oid::from_str(&commit)
            .and_then(|c| repo.find_commit(c))
            .ok()
            .and_then(|c| c.message().map(str::to_string));
        let steps: Vec<u32> = steps.iter().map(|s| *s as u32).collect();
        tokens::text_terms(&message.unwrap_or_default(), |t| {
            doc.add(t, None);
            if let Some(hits) = doc.terms.get_mut(t) {
                hits.steps.extend(&steps);
            }
        });
    }
    doc
}

/// The index, brought up to date, and the line to show the user when it had to be rebuilt.
pub struct Opened {
    pub index: Index,
    pub notice: Option<String>,
}

/// Loads `.git/traces/cache/query.idx`, updating it first when sessions or notes changed since
/// it was written, and rebuilding it when it is unreadable.
pub fn open(repo: &Repository) -> Result<Opened, Error> {
    let traces = store::Traces::of(repo);
    let path = traces.dir.join("cache").join(FILE);
    let mut notice = None;
    let old = match std::fs::read(&path) {
        Ok(bytes) => match Index::parse(bytes) {
            Ok(index) => Some(index),
            Err(Corrupt(reason)) => {
                notice = Some(format!(
                    "query index {} is stale or corrupt ({reason}); rebuilding it",
                    path.display()
                ));
                None
            }
        },
        Err(_) => None,
    };
    let seals = current_seals(repo)?;
    let notes = repo.refname_to_id(store::NOTES_REF).ok();
    if let Some(index) = old {
        if is_current(&index, &seals, notes) {
            return Ok(Opened { index, notice });
        }
        return update(repo, &traces, Some(index), &seals, notes, notice);
    }
    update(repo, &traces, None, &seals, notes, notice)
}

fn is_current(index: &Index, seals: &BTreeMap<String, String>, notes: Option<Oid>) -> bool {
    index.header.notes == notes.map(|n| n.to_string())
        && index.header.sessions.len() == seals.len()
        && index
            .header
            .sessions
            .iter()
            .all(|s| seals.get(&s.id) == Some(&s.seal))
}

/// Re-reads what changed since `old` was written (everything when there is no `old`), writes the
/// new index and returns it. Unchanged sessions are carried over postings by postings, without
/// reading their traces again.
fn update(
    repo: &Repository,
    traces: &store::Traces,
    old: Option<Index>,
    seals: &BTreeMap<String, String>,
    notes: Option<Oid>,
    mut notice: Option<String>,
) -> Result<Opened, Error> {
    let mut commits: BTreeMap<String, Commits> = BTreeMap::new();
    let mut old_notes = None;
    if let Some(old) = &old {
        commits.extend(old.header.orphans.clone());
        commits.extend(
            old.sessions()
                .iter()
                .map(|s| (s.id.clone(), s.commits.clone())),
        );
        old_notes = old
            .header
            .notes
            .as_deref()
            .and_then(|n| Oid::from_str(n).ok());
    }
    let changed = apply_note_changes(repo, old_notes, notes, &mut commits)?;
    let kept = |old: &Index, id: &String, seal: &String| {
        let i = old.sessions().binary_search_by(|s| s.id.cmp(id)).ok()?;
        (old.sessions()[i].seal == *seal && !changed.contains(id)).then_some(i)
    };
    let carried = old.as_ref().map(|old| {
        let moved: Vec<Option<usize>> =
            seals.iter().map(|(id, seal)| kept(old, id, seal)).collect();
        carry(old, &moved).map(|(inverted, entries)| (inverted, entries, moved))
    });
    let (mut inverted, mut carried_entries, moved) = match carried {
        Some(Ok(c)) => c,
        Some(Err(Corrupt(reason))) => {
            notice = Some(format!("query index is corrupt ({reason}); rebuilding it"));
            (Inverted::new(), Vec::new(), vec![None; seals.len()])
        }
        None => (Inverted::new(), Vec::new(), vec![None; seals.len()]),
    };
    let mut carried_entries = carried_entries.drain(..);
    let mut entries = Vec::with_capacity(seals.len());
    for (position, ((id, seal), old)) in seals.iter().zip(&moved).enumerate() {
        let session_commits = commits.remove(id).unwrap_or_default();
        if old.is_some() {
            entries.push(
                carried_entries
                    .next()
                    .expect("one carried entry per kept session"),
            );
            continue;
        }
        let doc = build_doc(repo, id, seal, session_commits);
        invert(&mut inverted, position, doc.terms);
        entries.push(Entry {
            meta: doc.meta,
            steps: doc.steps,
        });
    }
    let bytes = encode(notes.map(|n| n.to_string()), commits, entries, inverted);
    store::write_cache(traces, FILE, &bytes);
    let index = Index::parse(bytes).map_err(Error::from)?;
    Ok(Opened { index, notice })
}

/// The postings and entries of the sessions `moved` keeps (`moved[new position] = Some(old
/// position)`), renumbered to their new positions; entries come in new-position order.
fn carry(old: &Index, moved: &[Option<usize>]) -> Result<(Inverted, Vec<Entry>), Corrupt> {
    let mut renumber = vec![None; old.sessions().len()];
    let mut entries = Vec::new();
    for (new, from) in moved.iter().enumerate() {
        if let Some(from) = *from {
            renumber[from] = Some(new);
            let steps = old
                .steps(from)
                .map_err(|e| Corrupt(e.to_string()))?
                .into_iter()
                .map(|(k, s)| (kind_code(k), s))
                .collect();
            entries.push(Entry {
                meta: old.sessions()[from].clone(),
                steps,
            });
        }
    }
    let mut ranges = Vec::new();
    old.each_term(|term, range| {
        ranges.push((term.to_vec(), range));
        Ok(())
    })?;
    let mut inverted = Inverted::new();
    for (term, range) in ranges {
        let list: Vec<Posting> = old
            .decode_postings(range)?
            .into_iter()
            .filter_map(|mut p| {
                p.session = renumber[p.session]?;
                Some(p)
            })
            .collect();
        if !list.is_empty() {
            inverted.insert(term, list);
        }
    }
    Ok((inverted, entries))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_round_trip_and_truncation_is_caught() {
        let mut buf = Vec::new();
        for n in [0, 1, 127, 128, 300, u64::from(u32::MAX), u64::MAX] {
            put_varint(&mut buf, n);
        }
        let mut pos = 0;
        for n in [0, 1, 127, 128, 300, u64::from(u32::MAX), u64::MAX] {
            assert_eq!(varint(&buf, &mut pos).ok(), Some(n));
        }
        assert!(varint(&[0x80], &mut 0).is_err());
    }

    #[test]
    fn encoded_entries_decode_back() {
        let mut doc = Doc {
            meta: SessionMeta {
                id: "s1".into(),
                seal: "0".repeat(40),
                harness: "claude".into(),
                models: vec![],
                started_at: "2026-01-01T00:00:00Z".into(),
                prompt: "fix it".into(),
                commits: Commits::new(),
                unreadable: false,
                steps_at: 0,
            },
            terms: BTreeMap::new(),
            steps: vec![(0, "fix it".into()), (4, "cargo test".into())],
        };
        doc.add("fix", Some(0));
        doc.add("cargo", Some(1));
        doc.add("cargo", Some(1));
        let mut inverted = Inverted::new();
        invert(&mut inverted, 0, doc.terms);
        let entry = Entry {
            meta: doc.meta,
            steps: doc.steps,
        };
        let bytes = encode(None, BTreeMap::new(), vec![entry], inverted);
        let index = Index::parse(bytes).ok().unwrap();
        let p = index.postings(&["cargo".into(), "nothing".into()]).unwrap();
        assert_eq!((p[0][0].tf, p[0][0].steps.clone()), (2, vec![1]));
        assert!(p[1].is_empty());
        let steps = index.steps(0).unwrap();
        assert_eq!(steps[1], (StepKind::Exec, "cargo test".into()));
        let (carried, entries) = carry(&index, &[None, Some(0)]).ok().unwrap();
        assert_eq!(carried[&b"cargo"[..]][0].session, 1);
        assert_eq!(entries[0].meta.id, "s1");
    }
}
