//! One writer per session at a time.
//!
//! Every process that writes a session's journal tail, state, private index or refs holds an advisory
//! `flock` on `.git/traces/locks/<session>.lock`. The kernel drops it when the process dies, so a
//! `kill -9` never leaves a session locked; and because every writer of those refs holds it, a git
//! `*.lock` file found next to one of them while we hold the session lock can only be the leftover of
//! a killed writer, and is removed.

use super::{paths::ensure_dir, Error, Result, Traces};
use std::fs::{File, OpenOptions};
use std::time::{Duration, Instant};

/// Held for the duration of one hook event or seal; released on drop.
#[must_use]
pub struct SessionLock {
    _file: File,
}

impl SessionLock {
    /// Waits up to `wait` for the session's lock, then gives up with [`Error::Busy`].
    pub fn acquire(traces: &Traces, session: &str, wait: Duration) -> Result<SessionLock> {
        let path = traces.lock(session);
        ensure_dir(path.parent().expect("lock path has a parent"))?;
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(Error::io(&path))?;
        let deadline = Instant::now() + wait;
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(SessionLock { _file: file }),
                Err(std::fs::TryLockError::WouldBlock) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err(std::fs::TryLockError::WouldBlock) => {
                    return Err(Error::Busy {
                        session: session.to_string(),
                        path,
                    })
                }
                Err(std::fs::TryLockError::Error(e)) => return Err(Error::Io { path, source: e }),
            }
        }
    }
}
