//! The append-only journal: one redacted [`Record`] per line.
//!
//! Appends are single `write(2)` calls on an `O_APPEND` file, so concurrent appenders never interleave
//! inside a line. A writer killed mid-line leaves a torn tail; the next append starts a fresh line
//! first, so the damage stays confined to that one record, which readers skip and report.

use super::{paths::ensure_dir, Error, Result, Traces};
use crate::model::Record;
use std::fs::OpenOptions;
use std::io::{Read, Seek, SeekFrom, Write};

/// Appends records to a session's journal. Call with the session lock held.
pub fn append(traces: &Traces, session: &str, records: &[Record]) -> Result<()> {
    if records.is_empty() {
        return Ok(());
    }
    let path = traces.journal(session);
    ensure_dir(path.parent().expect("journal has a parent"))?;
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .read(true)
        .open(&path)
        .map_err(Error::io(&path))?;
    let len = file.metadata().map_err(Error::io(&path))?.len();
    let mut buf = Vec::new();
    if len > 0 {
        let mut last = [0u8; 1];
        file.seek(SeekFrom::Start(len - 1))
            .map_err(Error::io(&path))?;
        file.read_exact(&mut last).map_err(Error::io(&path))?;
        if last[0] != b'\n' {
            buf.push(b'\n');
        }
    }
    for record in records {
        serde_json::to_writer(&mut buf, record).expect("records serialise");
        buf.push(b'\n');
    }
    file.write_all(&buf).map_err(Error::io(&path))?;
    mark_dirty(traces, session)
}

/// Sessions with journal entries newer than their last seal, marked by an empty file in
/// `.git/traces/dirty/` so that `post-commit` finds them without reading every session's state.
pub fn dirty_sessions(traces: &Traces) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(traces.dir.join("dirty")) else {
        return Vec::new();
    };
    let mut out: Vec<String> = entries
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| !n.starts_with('.'))
        .collect();
    out.sort();
    out
}

fn mark_dirty(traces: &Traces, session: &str) -> Result<()> {
    let dir = traces.dir.join("dirty");
    let path = dir.join(session);
    if path.exists() {
        return Ok(());
    }
    ensure_dir(&dir)?;
    std::fs::File::create(&path)
        .map(drop)
        .map_err(Error::io(path))
}

/// Clears the dirty mark after a seal that covered the whole journal.
pub fn mark_sealed(traces: &Traces, session: &str) {
    let _ = std::fs::remove_file(traces.dir.join("dirty").join(session));
}

/// What reading a journal found.
#[derive(Debug, Default)]
pub struct JournalRead {
    pub records: Vec<Record>,
    /// Byte length covered (up to the end of the last complete line).
    pub end: u64,
    /// Lines that could not be parsed: (1-based line number, reason). A torn last line shows up here.
    pub skipped: Vec<(usize, String)>,
}

/// Reads every complete line of a journal. A missing journal is an empty one.
pub fn read_journal(traces: &Traces, session: &str) -> Result<JournalRead> {
    let path = traces.journal(session);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(JournalRead::default()),
        Err(e) => return Err(Error::Io { path, source: e }),
    };
    let mut out = JournalRead::default();
    let complete = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    for (i, line) in bytes[..complete].split(|&b| b == b'\n').enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match serde_json::from_slice::<Record>(line) {
            Ok(r) => out.records.push(r),
            Err(e) => out.skipped.push((i + 1, e.to_string())),
        }
    }
    if complete < bytes.len() {
        let line_no = bytes[..complete].iter().filter(|&&b| b == b'\n').count() + 1;
        out.skipped.push((
            line_no,
            "torn last line (a writer was killed mid-write)".into(),
        ));
    }
    out.end = complete as u64;
    Ok(out)
}
