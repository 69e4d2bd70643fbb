//! Paging long output the way git does: only when stdout is a terminal, through `GIT_PAGER`,
//! `core.pager`, `PAGER` or `less` (in that order; `cat` or an empty value means no pager), with
//! `LESS=FRX` and `LV=-c` unless already set, so short output prints and exits as usual.

use std::io::{IsTerminal, Write};
use std::process::{Child, Command, Stdio};

/// The pager command to use, or None when output should go straight to stdout.
fn pager_command() -> Option<String> {
    if !std::io::stdout().is_terminal() {
        return None;
    }
    let from_config = || {
        git2::Config::open_default()
            .ok()
            .and_then(|c| c.get_string("core.pager").ok())
    };
    let pager = std::env::var("GIT_PAGER")
        .ok()
        .or_else(from_config)
        .or_else(|| std::env::var("PAGER").ok())
        .unwrap_or_else(|| "less".into());
    let pager = pager.trim().to_string();
    (!pager.is_empty() && pager != "cat").then_some(pager)
}

/// A running pager fed through its stdin.
pub struct Pager {
    child: Child,
}

impl Pager {
    /// Starts the pager when one applies; None means write to stdout directly.
    pub fn start() -> Option<Pager> {
        let command = pager_command()?;
        let mut cmd = Command::new("sh");
        cmd.arg("-c").arg(&command).stdin(Stdio::piped());
        if std::env::var_os("LESS").is_none() {
            cmd.env("LESS", "FRX");
        }
        if std::env::var_os("LV").is_none() {
            cmd.env("LV", "-c");
        }
        cmd.spawn().ok().map(|child| Pager { child })
    }

    pub fn input(&mut self) -> &mut dyn Write {
        self.child.stdin.as_mut().expect("pager stdin is piped")
    }

    /// Closes the pager's input and waits for the user to quit it.
    pub fn finish(mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}
