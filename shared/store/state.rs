//! Per-session state the hot path needs without reading the journal: provisional step numbers,
//! tool calls waiting for their result, the session's base, and how far transcript import and
//! sealing have got. Local only and rebuildable: losing it costs at worst one provisional number.

use super::{paths::ensure_dir, Error, Result, Traces};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SessionState {
    pub harness: String,
    #[serde(default)]
    pub cwd: Option<String>,
    #[serde(default)]
    pub transcript_path: Option<String>,
    /// Bytes of the transcript already imported into the journal.
    #[serde(default)]
    pub transcript_offset: u64,
    /// The next provisional step number a hook hands out.
    #[serde(default)]
    pub next_step: u64,
    /// Tool calls whose pre-event was seen and whose post-event was not: call id → provisional step.
    #[serde(default)]
    pub pending: BTreeMap<String, u64>,
    /// `HEAD` when the session was first seen (None on an unborn branch).
    #[serde(default)]
    pub base: Option<String>,
    /// The working tree when the session was first seen; the comparison point before any snapshot.
    #[serde(default)]
    pub base_tree: Option<String>,
    /// Journal bytes covered by the last seal.
    #[serde(default)]
    pub sealed_len: u64,
    /// Where this repository's worktree was when the session ran, if it has moved since
    /// (`git trace import --moved-from`): paths under it are paths of this repository.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub moved_from: Option<String>,
    /// The tree of the private index after its last refresh, and the index file's stamp then.
    #[serde(default)]
    pub index_tree: Option<(String, String)>,
}

impl SessionState {
    /// Loads the state, or `None` when the session has never been seen here.
    pub fn load(traces: &Traces, session: &str) -> Result<Option<SessionState>> {
        let path = traces.state(session);
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| Error::Corrupt {
                    path,
                    reason: e.to_string(),
                }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::Io { path, source: e }),
        }
    }

    /// Replaces the state file atomically (temp file + rename), so a crash leaves old or new.
    pub fn save(&self, traces: &Traces, session: &str) -> Result<()> {
        let path = traces.state(session);
        let dir = path.parent().expect("state has a parent");
        ensure_dir(dir)?;
        let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(Error::io(dir))?;
        serde_json::to_writer(&mut tmp, self).expect("state serialises");
        tmp.persist(&path).map_err(|e| Error::Io {
            path,
            source: e.error,
        })?;
        Ok(())
    }
}
