//! `git trail blame`: `git blame` with the agent step behind each line.
//!
//! git does the blaming: we run `git blame --porcelain` as a child (git is the floor, and its
//! blame honours the user's `blame.ignoreRevsFile`, mailmap and rename detection) and stream-parse
//! what it prints. Each line comes with the commit that last changed it and its line number and
//! path *in that commit* (`<sha> <orig-line> <final-line>` and the `filename` header); those are
//! exactly the coordinates of the anchors that `post-commit` wrote in that commit's note on
//! `refs/notes/traces` (schema `v: 1`, see [`super::Anchor`]). Each commit's note is read once and
//! each session's `trace.json` once.
//!
//! A line still present in blame is alive by definition, so its state is one of `alive_on_path`,
//! `alive_moved` and `alive_transformed`; the later survival states need history this command does
//! not walk. A note line that is not an anchor we can read (not JSON, or a newer `v`) is skipped
//! with one [`Warning`] per commit; a session whose ref is gone still yields `session:step`,
//! without harness or prompt.

use super::{Anchor, ANCHOR_SCHEMA};
use crate::{read, store};
use git2::{Oid, Repository};
use std::collections::HashMap;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Component, Path, PathBuf};
use std::process::{Command, Stdio};
use std::rc::Rc;

/// What to blame: `git blame [-L <range>]... [<rev>] -- <path>`.
#[derive(Debug, Clone)]
pub struct BlameRequest {
    /// A revision; `None` blames the working-tree file, as `git blame` does.
    pub rev: Option<String>,
    /// The file as the user named it, relative to `cwd` (or absolute).
    pub path: String,
    /// `-L` arguments, passed to git unchanged (all of git's forms).
    pub ranges: Vec<String>,
    /// The directory the path is relative to; git runs there.
    pub cwd: PathBuf,
}

/// What the anchor says about a line that is still there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Anchored exactly (`exact_hunk`, `exact_line`) in the file being blamed.
    AliveOnPath,
    /// Anchored as `moved`, or anchored in a file of another name (a rename since).
    AliveMoved,
    /// Anchored as `normalised`: the step's line up to whitespace.
    AliveTransformed,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::AliveOnPath => "alive_on_path",
            State::AliveMoved => "alive_moved",
            State::AliveTransformed => "alive_transformed",
        }
    }

    fn of(anchor: &Anchor, blamed_path: &str) -> State {
        if anchor.tier == "moved" || anchor.file != blamed_path {
            State::AliveMoved
        } else if anchor.tier == "exact_hunk" || anchor.tier == "exact_line" {
            State::AliveOnPath
        } else {
            State::AliveTransformed
        }
    }
}

/// A commit as blame describes it (its headers appear once, at its first line group).
#[derive(Debug, Clone, Default)]
pub struct BlameCommit {
    pub id: String,
    pub author: String,
    pub author_mail: String,
    /// Seconds since the epoch.
    pub author_time: i64,
    /// `+hhmm` / `-hhmm`, as git prints it.
    pub author_tz: String,
    pub summary: String,
    /// A boundary commit (a root, or the edge of a range): git marks it `^` in its own view.
    pub boundary: bool,
}

/// The step behind anchored lines, as far as the session can still be read.
#[derive(Debug, Clone)]
pub struct StepSource {
    pub session: String,
    /// The step's number in the session as sealed now (found by its `Trace-Key`, which survives
    /// renumbering; the anchor's own number otherwise).
    pub step: u64,
    /// `None` when the session is gone or unreadable.
    pub harness: Option<String>,
    /// The first line of the prompt behind the step (the last `user` step at or before it), cut
    /// to about 60 characters.
    pub prompt: Option<String>,
}

/// The anchor that covers a line, with what it resolves to.
#[derive(Debug, Clone)]
pub struct LineAnchor {
    /// The anchor as read from the note (its `step` is the number at anchoring time).
    pub anchor: Rc<Anchor>,
    pub source: Rc<StepSource>,
    pub state: State,
}

/// One line of the blamed file.
#[derive(Debug, Clone)]
pub struct BlameLine {
    /// 1-based line number in the blamed version.
    pub line: u32,
    /// 1-based line number in `commit`'s version of `file`.
    pub orig_line: u32,
    pub commit: Rc<BlameCommit>,
    /// The path in `commit` (differs from the blamed path across renames).
    pub file: Rc<str>,
    /// The line's bytes, without the newline.
    pub content: Vec<u8>,
    /// `None`: no anchor covers the line; a human wrote it.
    pub anchor: Option<LineAnchor>,
}

/// git's own porcelain bytes for one line: the header lines it printed before the line (the
/// commit's details only on its first group), and the TAB-prefixed content line.
pub struct Raw<'a> {
    pub headers: &'a [u8],
    pub content: &'a [u8],
}

/// Something skipped on the way; the output is still complete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Warning {
    /// Lines of the note on `commit` that are not readable anchors.
    CorruptNote {
        commit: String,
        skipped: usize,
        reason: String,
    },
    /// A session whose `trace.json` cannot be read: its lines show no harness or prompt.
    UnreadableSession { session: String, reason: String },
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Warning::CorruptNote {
                commit,
                skipped,
                reason,
            } => write!(
                f,
                "skipped {skipped} unreadable line{} of the note on commit {commit} ({}): {reason}\nhint: see it with 'git notes --ref traces show {commit}'",
                if *skipped == 1 { "" } else { "s" },
                store::NOTES_REF
            ),
            Warning::UnreadableSession { session, reason } => write!(
                f,
                "session {session} is unreadable, its lines show no prompt: {reason}"
            ),
        }
    }
}

/// What [`blame`] found besides the lines.
#[derive(Debug, Clone, Default)]
pub struct BlameReport {
    /// The blamed file relative to the top of the work tree (anchors' `file` is compared to it).
    pub path: String,
    /// What was skipped; the lines are complete all the same.
    pub warnings: Vec<Warning>,
}

/// Why blame could not run.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("no such path '{path}' in {rev}\nhint: blame needs a file the revision has; 'git ls-tree -r --name-only {rev}' lists them")]
    NoSuchPath { path: String, rev: String },
    #[error("bad revision '{rev}'\nhint: name a commit (HEAD~1, a branch, an object id); to blame a file of that name, put '--' before it")]
    BadRevision { rev: String },
    #[error("{message}")]
    Git { message: String },
    #[error("cannot run git blame: {0}\nhint: git trail blame runs the git on your PATH")]
    Spawn(#[source] io::Error),
    #[error("reading git blame's output: {0}")]
    Read(#[source] io::Error),
    #[error("unexpected line from git blame --porcelain: {0:?}")]
    Parse(String),
    #[error("writing output: {0}")]
    Output(#[source] io::Error),
    #[error(transparent)]
    Store(#[from] store::Error),
}

/// Blames `req` and calls `sink` once per line, in order, with git's porcelain bytes for it.
/// Returns the repository-relative path and what was skipped. `sink` failing (a closed pipe)
/// stops git and blame with [`Error::Output`].
pub fn blame(
    repo: &Repository,
    req: &BlameRequest,
    sink: &mut dyn FnMut(&BlameLine, Raw<'_>) -> io::Result<()>,
) -> Result<BlameReport, Error> {
    if let Some(rev) = req.rev.as_deref().filter(|r| r.starts_with('-')) {
        return Err(Error::BadRevision { rev: rev.into() });
    }
    let blamed_path = repo_relative(repo, &req.cwd, &req.path);
    let mut cmd = Command::new("git");
    cmd.current_dir(&req.cwd).arg("blame").arg("--porcelain");
    for range in &req.ranges {
        cmd.arg("-L").arg(range);
    }
    if let Some(rev) = &req.rev {
        cmd.arg(rev);
    }
    cmd.arg("--").arg(&req.path);
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().map_err(Error::Spawn)?;
    let mut stderr = child.stderr.take().expect("piped");
    // git writes little to stderr, but a full pipe would stall it while we read stdout.
    let errors = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let stdout = BufReader::with_capacity(1 << 16, child.stdout.take().expect("piped"));
    let mut anchors = Anchors::new(repo, &blamed_path)?;
    let parsed = parse(stdout, &mut anchors, sink);
    if parsed.is_err() {
        let _ = child.kill();
    }
    let status = child.wait().map_err(Error::Read)?;
    let stderr = errors.join().unwrap_or_default();
    parsed?;
    if !status.success() {
        return Err(git_error(&stderr, req));
    }
    Ok(BlameReport {
        path: blamed_path,
        warnings: anchors.warnings,
    })
}

/// git's failure, reworded: `fatal: no such path 'x' in HEAD` and `fatal: bad revision 'x'`
/// get a hint; anything else is shown as git said it.
fn git_error(stderr: &str, req: &BlameRequest) -> Error {
    let message = stderr
        .lines()
        .rev()
        .find(|l| l.starts_with("fatal: ") || l.starts_with("error: "))
        .or_else(|| stderr.lines().find(|l| !l.trim().is_empty()))
        .unwrap_or("git blame failed")
        .trim_start_matches("fatal: ")
        .trim_start_matches("error: ")
        .to_string();
    if let Some(rest) = message.strip_prefix("no such path ") {
        if let Some((_, rev)) = rest.rsplit_once(" in ") {
            return Error::NoSuchPath {
                path: req.path.clone(),
                rev: rev.to_string(),
            };
        }
    }
    if message.starts_with("bad revision ") {
        if let Some(rev) = &req.rev {
            return Error::BadRevision { rev: rev.clone() };
        }
    }
    Error::Git { message }
}

/// Per commit: what its headers said, once.
struct Seen {
    commit: Rc<BlameCommit>,
    file: Rc<str>,
}

fn parse(
    mut input: impl BufRead,
    anchors: &mut Anchors,
    sink: &mut dyn FnMut(&BlameLine, Raw<'_>) -> io::Result<()>,
) -> Result<(), Error> {
    let mut commits: HashMap<Vec<u8>, Seen> = HashMap::new();
    let mut headers: Vec<u8> = Vec::with_capacity(1024);
    let mut line: Vec<u8> = Vec::with_capacity(256);
    // The line being described: (sha, orig, final) and, on a commit's first group, its details.
    let mut current: Option<(Vec<u8>, u32, u32)> = None;
    let mut pending = BlameCommit::default();
    let mut pending_file: Option<Rc<str>> = None;
    loop {
        line.clear();
        if input.read_until(b'\n', &mut line).map_err(Error::Read)? == 0 {
            break;
        }
        if line.first() == Some(&b'\t') {
            let Some((sha, orig, fin)) = current.take() else {
                return Err(Error::Parse(String::from_utf8_lossy(&line).into_owned()));
            };
            let seen = commits.entry(sha.clone()).or_insert_with(|| {
                let mut c = std::mem::take(&mut pending);
                c.id = String::from_utf8_lossy(&sha).into_owned();
                Seen {
                    commit: Rc::new(c),
                    file: Rc::from(""),
                }
            });
            if let Some(file) = pending_file.take() {
                seen.file = file;
            }
            pending = BlameCommit::default();
            let body = line.strip_prefix(b"\t").unwrap_or(&line);
            let body = body.strip_suffix(b"\n").unwrap_or(body);
            let blamed = BlameLine {
                line: fin,
                orig_line: orig,
                commit: seen.commit.clone(),
                file: seen.file.clone(),
                content: body.to_vec(),
                anchor: anchors.lookup(&seen.commit.id, &seen.file, orig)?,
            };
            sink(
                &blamed,
                Raw {
                    headers: &headers,
                    content: &line,
                },
            )
            .map_err(Error::Output)?;
            headers.clear();
            continue;
        }
        headers.extend_from_slice(&line);
        let text = line.strip_suffix(b"\n").unwrap_or(&line);
        if current.is_none() {
            current = Some(
                header_line(text)
                    .ok_or_else(|| Error::Parse(String::from_utf8_lossy(text).into_owned()))?,
            );
            continue;
        }
        let (key, value) = match text.iter().position(|&b| b == b' ') {
            Some(i) => (&text[..i], &text[i + 1..]),
            None => (text, &b""[..]),
        };
        let value = || String::from_utf8_lossy(value).into_owned();
        match key {
            b"author" => pending.author = value(),
            b"author-mail" => pending.author_mail = value(),
            b"author-time" => pending.author_time = value().parse().unwrap_or(0),
            b"author-tz" => pending.author_tz = value(),
            b"summary" => pending.summary = value(),
            b"boundary" => pending.boundary = true,
            b"filename" => pending_file = Some(Rc::from(unquote(&value()))),
            _ => {}
        }
    }
    if current.is_some() {
        return Err(Error::Parse("output ended inside a line's headers".into()));
    }
    Ok(())
}

/// `<sha> <orig-line> <final-line> [<count>]`.
fn header_line(text: &[u8]) -> Option<(Vec<u8>, u32, u32)> {
    let text = std::str::from_utf8(text).ok()?;
    let mut fields = text.split(' ');
    let sha = fields.next()?;
    if !(sha.len() == 40 || sha.len() == 64) || !sha.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let orig = fields.next()?.parse().ok()?;
    let fin = fields.next()?.parse().ok()?;
    Some((sha.as_bytes().to_vec(), orig, fin))
}

/// Undoes git's C-style quoting of a path (`core.quotePath`): `"sp\303\251cial"` → `spécial`.
fn unquote(s: &str) -> String {
    let Some(inner) = s.strip_prefix('"').and_then(|s| s.strip_suffix('"')) else {
        return s.to_string();
    };
    let bytes = inner.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'\\' || i + 1 == bytes.len() {
            out.push(bytes[i]);
            i += 1;
            continue;
        }
        let c = bytes[i + 1];
        i += 2;
        out.push(match c {
            b'a' => 7,
            b'b' => 8,
            b't' => b'\t',
            b'n' => b'\n',
            b'v' => 11,
            b'f' => 12,
            b'r' => b'\r',
            b'0'..=b'7' => {
                let mut v = u32::from(c - b'0');
                for _ in 0..2 {
                    if let Some(d @ b'0'..=b'7') = bytes.get(i) {
                        v = v * 8 + u32::from(d - b'0');
                        i += 1;
                    }
                }
                v as u8
            }
            other => other,
        });
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The blamed path relative to the top of the work tree, for comparing with anchors' `file`.
fn repo_relative(repo: &Repository, cwd: &Path, path: &str) -> String {
    let Some(workdir) = repo.workdir() else {
        return path.to_string();
    };
    let canon = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
    let full = canon(cwd).join(path);
    let mut parts: Vec<Component> = Vec::new();
    for c in full.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    let full: PathBuf = parts.iter().collect();
    match full.strip_prefix(canon(workdir)) {
        Ok(rel) => rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/"),
        Err(_) => path.to_string(),
    }
}

/// The notes on `refs/notes/traces`, read as [`store::note_lines`] reads them, but with the notes
/// tree resolved once and its fan-out subtrees (`ab/cdef…`, as `git notes` writes past a few
/// hundred notes) kept: looking each commit up through `git_note_read` re-reads and re-parses
/// the root tree every time, which was most of blame's cost over git's on long histories.
struct NotesTree<'r> {
    repo: &'r Repository,
    root: Option<git2::Tree<'r>>,
    /// Subtrees by the hex prefix they hold (`ab`, then `abcd` for `ab/cd`); `None` when absent.
    subtrees: HashMap<String, Option<git2::Tree<'r>>>,
}

impl<'r> NotesTree<'r> {
    fn new(repo: &'r Repository) -> Result<Self, Error> {
        let root = match repo.find_reference(store::NOTES_REF) {
            Ok(r) => Some(r.peel_to_tree().map_err(store::Error::from)?),
            Err(e) if e.code() == git2::ErrorCode::NotFound => None,
            Err(e) => return Err(store::Error::from(e).into()),
        };
        Ok(NotesTree {
            repo,
            root,
            subtrees: HashMap::new(),
        })
    }

    /// The non-blank lines of the note on `commit` (empty when it has none).
    fn lines(&mut self, commit: Oid) -> Result<Vec<String>, Error> {
        let Some(root) = self.root.clone() else {
            return Ok(Vec::new());
        };
        let hex = commit.to_string();
        let mut tree = root;
        let mut at = 0;
        loop {
            let rest = &hex[at..];
            if let Some(entry) = tree.get_name(rest) {
                if entry.kind() != Some(git2::ObjectType::Blob) {
                    return Ok(Vec::new());
                }
                let blob = self
                    .repo
                    .find_blob(entry.id())
                    .map_err(store::Error::from)?;
                return Ok(String::from_utf8_lossy(blob.content())
                    .lines()
                    .filter(|l| !l.trim().is_empty())
                    .map(str::to_string)
                    .collect());
            }
            if rest.len() <= 2 {
                return Ok(Vec::new());
            }
            let path = &hex[..at + 2];
            let sub = match self.subtrees.get(path) {
                Some(sub) => sub.clone(),
                None => {
                    let sub = match tree.get_name(&hex[at..at + 2]) {
                        Some(e) if e.kind() == Some(git2::ObjectType::Tree) => {
                            Some(self.repo.find_tree(e.id()).map_err(store::Error::from)?)
                        }
                        _ => None,
                    };
                    self.subtrees.insert(path.to_string(), sub.clone());
                    sub
                }
            };
            let Some(sub) = sub else {
                return Ok(Vec::new());
            };
            tree = sub;
            at += 2;
        }
    }
}

/// The readable anchors of one commit's note.
#[derive(Default)]
struct CommitNote {
    by_file: HashMap<String, Vec<Rc<Anchor>>>,
    /// Files already expanded to lines, on first use.
    lines: HashMap<String, FileLines>,
}

/// Lines of one file of one commit → the anchor covering each.
type FileLines = HashMap<u32, Rc<Anchor>>;

/// The anchors of the commits blame names, read once per commit, and the sessions behind them,
/// read once per session.
struct Anchors<'r> {
    repo: &'r Repository,
    notes_tree: NotesTree<'r>,
    blamed_path: String,
    /// Per commit: its readable anchors by file, and the files already expanded to lines.
    notes: HashMap<String, CommitNote>,
    sessions: HashMap<String, Option<Session>>,
    /// Resolved sources, by the address of the anchor (anchors live as long as `notes`).
    steps: HashMap<*const Anchor, Rc<StepSource>>,
    warnings: Vec<Warning>,
}

struct Session {
    trace: crate::model::Trace,
    by_key: HashMap<String, usize>,
}

impl<'r> Anchors<'r> {
    fn new(repo: &'r Repository, blamed_path: &str) -> Result<Self, Error> {
        Ok(Anchors {
            repo,
            notes_tree: NotesTree::new(repo)?,
            blamed_path: blamed_path.to_string(),
            notes: HashMap::new(),
            sessions: HashMap::new(),
            steps: HashMap::new(),
            warnings: Vec::new(),
        })
    }

    fn lookup(
        &mut self,
        commit: &str,
        file: &Rc<str>,
        line: u32,
    ) -> Result<Option<LineAnchor>, Error> {
        if !self.notes.contains_key(commit) {
            let note = self.read_note(commit)?;
            self.notes.insert(commit.to_string(), note);
        }
        let note = self.notes.get_mut(commit).expect("inserted");
        if note.by_file.is_empty() {
            return Ok(None);
        }
        if !note.lines.contains_key(&**file) {
            let anchors = note.by_file.get(&**file).map(Vec::as_slice).unwrap_or(&[]);
            note.lines.insert(file.to_string(), expand(anchors));
        }
        let Some(anchor) = note.lines[&**file].get(&line).cloned() else {
            return Ok(None);
        };
        let source = self.source(&anchor);
        let state = State::of(&anchor, &self.blamed_path);
        Ok(Some(LineAnchor {
            anchor,
            source,
            state,
        }))
    }

    /// The readable anchors of a commit's note, by file; unreadable lines become one warning.
    fn read_note(&mut self, commit: &str) -> Result<CommitNote, Error> {
        let mut note = CommitNote::default();
        let Ok(oid) = Oid::from_str(commit) else {
            return Ok(note);
        };
        if oid.is_zero() {
            return Ok(note);
        }
        let mut skipped = 0;
        let mut reason = String::new();
        for text in self.notes_tree.lines(oid)? {
            match serde_json::from_str::<Anchor>(&text) {
                Ok(a) if a.v <= ANCHOR_SCHEMA => {
                    note.by_file
                        .entry(a.file.clone())
                        .or_default()
                        .push(Rc::new(a));
                }
                parsed => {
                    skipped += 1;
                    if reason.is_empty() {
                        reason = match (parsed, serde_json::from_str::<serde_json::Value>(&text)) {
                            (Ok(a), _) => newer(a.v),
                            (Err(_), Ok(v))
                                if v["v"].as_u64().unwrap_or(0) > ANCHOR_SCHEMA.into() =>
                            {
                                newer(v["v"].as_u64().unwrap_or(0) as u32)
                            }
                            (Err(e), Ok(_)) => format!("not an anchor ({e})"),
                            (Err(_), Err(_)) => "not JSON".to_string(),
                        };
                    }
                }
            }
        }
        if skipped > 0 {
            self.warnings.push(Warning::CorruptNote {
                commit: commit.to_string(),
                skipped,
                reason,
            });
        }
        Ok(note)
    }

    /// The step behind an anchor, resolved against the session as sealed now.
    fn source(&mut self, anchor: &Rc<Anchor>) -> Rc<StepSource> {
        let id = Rc::as_ptr(anchor);
        if let Some(s) = self.steps.get(&id) {
            return s.clone();
        }
        if !self.sessions.contains_key(&anchor.session) {
            let session = match read::load_trace(self.repo, &anchor.session) {
                Ok(trace) => {
                    let mut by_key = HashMap::new();
                    for (i, step) in trace.steps.iter().enumerate() {
                        for k in &step.keys {
                            by_key.entry(k.clone()).or_insert(i);
                        }
                    }
                    Some(Session { trace, by_key })
                }
                Err(read::Error::Unknown { .. }) => None,
                Err(e) => {
                    self.warnings.push(Warning::UnreadableSession {
                        session: anchor.session.clone(),
                        reason: e.to_string().lines().next().unwrap_or_default().to_string(),
                    });
                    None
                }
            };
            self.sessions.insert(anchor.session.clone(), session);
        }
        let source = match &self.sessions[&anchor.session] {
            None => StepSource {
                session: anchor.session.clone(),
                step: anchor.step,
                harness: None,
                prompt: None,
            },
            Some(s) => {
                let at = s.by_key.get(&anchor.key).copied().or_else(|| {
                    (anchor.step < s.trace.steps.len() as u64).then_some(anchor.step as usize)
                });
                let prompt = at.and_then(|at| {
                    s.trace.steps[..=at]
                        .iter()
                        .rev()
                        .find(|st| st.kind == crate::model::StepKind::User)
                        .map(|st| {
                            let text = st
                                .text
                                .as_ref()
                                .map_or(st.summary.as_str(), |c| c.text.as_str());
                            crate::render::first_line(text, 60)
                        })
                });
                StepSource {
                    session: anchor.session.clone(),
                    step: at.map_or(anchor.step, |i| s.trace.steps[i].index),
                    harness: Some(s.trace.harness.clone()),
                    prompt,
                }
            }
        };
        let source = Rc::new(source);
        self.steps.insert(id, source.clone());
        source
    }
}

fn newer(v: u32) -> String {
    format!(
        "anchor schema v{v} is newer than this git-trail {} reads (v{ANCHOR_SCHEMA}); \
         install a newer git-traces",
        env!("CARGO_PKG_VERSION")
    )
}

/// Each line of `anchors` → the anchor covering it. Where anchors overlap (a merged or re-anchored
/// note), the firmer tier wins, then the later step.
fn expand(anchors: &[Rc<Anchor>]) -> FileLines {
    let rank = |a: &Anchor| match a.tier.as_str() {
        "exact_hunk" => 0,
        "exact_line" => 1,
        "normalised" => 2,
        "moved" => 3,
        _ => 4,
    };
    let mut lines: FileLines = HashMap::new();
    for a in anchors {
        for &[start, end] in &a.lines {
            for n in start..=end.min(start.saturating_add(1 << 20)) {
                lines
                    .entry(n)
                    .and_modify(|cur| {
                        if (rank(a), std::cmp::Reverse(a.step))
                            < (rank(cur), std::cmp::Reverse(cur.step))
                        {
                            *cur = a.clone();
                        }
                    })
                    .or_insert_with(|| a.clone());
            }
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unquotes_git_paths() {
        assert_eq!(unquote("plain.rs"), "plain.rs");
        assert_eq!(unquote("\"sp\\303\\251cial\\tx.rs\""), "spécial\tx.rs");
        assert_eq!(unquote("\"a\\\"b\""), "a\"b");
    }

    #[test]
    fn header_lines_with_and_without_count() {
        let sha = "0a6a8f30e3460339b5b244bf1543ca43b8b92474";
        assert_eq!(
            header_line(format!("{sha} 3 4 1").as_bytes()),
            Some((sha.as_bytes().to_vec(), 3, 4))
        );
        assert_eq!(
            header_line(format!("{sha} 3 5").as_bytes()),
            Some((sha.as_bytes().to_vec(), 3, 5))
        );
        assert_eq!(header_line(b"author someone"), None);
    }

    #[test]
    fn firmer_anchor_wins_an_overlap() {
        let a = |tier: &str, step, lines: Vec<[u32; 2]>| {
            Rc::new(Anchor {
                file: "f".into(),
                firmness: "soft".into(),
                key: format!("k{step}"),
                lines,
                session: "s".into(),
                step,
                tier: tier.into(),
                v: 1,
            })
        };
        let lines = expand(&[
            a("moved", 1, vec![[1, 3]]),
            a("exact_line", 2, vec![[2, 2]]),
        ]);
        assert_eq!(lines[&1].step, 1);
        assert_eq!(lines[&2].step, 2);
        assert_eq!(lines[&3].step, 1);
    }

    #[test]
    fn excerpts_cut_at_sixty() {
        assert_eq!(
            crate::render::first_line("\n  fix the bug \nmore", 60),
            "fix the bug"
        );
        let long = "x".repeat(80);
        assert_eq!(crate::render::first_line(&long, 60).chars().count(), 60);
    }
}
