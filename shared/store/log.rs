//! `.git/traces/errors.log`: where hooks report what they could not do, since they must stay silent
//! and exit 0. One line per failure: time, session, event, message. `doctor` reads the tail.

use super::Traces;
use std::io::Write;

/// Appends one line; failures to log are ignored (there is nowhere left to report them).
pub fn log_error(traces: &Traces, session: &str, event: &str, message: &str) {
    let _ = std::fs::create_dir_all(&traces.dir);
    let line = format!(
        "{} session={} event={} {}\n",
        super::now_rfc3339(),
        if session.is_empty() { "-" } else { session },
        if event.is_empty() { "-" } else { event },
        message.replace('\n', " | ")
    );
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(traces.errors_log())
    {
        let _ = f.write_all(line.as_bytes());
    }
}

/// One logged failure.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ErrorLine {
    pub at: String,
    pub line: String,
}

/// The last `n` lines of the error log, oldest first.
pub fn recent_errors(traces: &Traces, n: usize) -> Vec<ErrorLine> {
    let Ok(text) = std::fs::read_to_string(traces.errors_log()) else {
        return Vec::new();
    };
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..]
        .iter()
        .map(|l| ErrorLine {
            at: l.split(' ').next().unwrap_or_default().to_string(),
            line: l.to_string(),
        })
        .collect()
}
