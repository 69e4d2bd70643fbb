//! `git trace view`: the local web view.

use clap::Args;
use std::io::Write;
use std::process::ExitCode;

/// Serve a local, read-only web view of the sessions, trails, blame and the pull request
///
/// Listens on 127.0.0.1 only (a free port unless --port), and prints the URL to open: it holds
/// a random token that every request must carry, so other users of this machine cannot read the
/// view. Pages: the session list with search (the query index), a session drawn as a subway map
/// (lanes for user, plan, think, read, exec and write; snapshot and commit columns with each
/// patch's survival state; the context window as a band) with its steps, a step (input, output,
/// patch, what the model saw), the blame of a file with agent lines linked to their steps, and
/// the pull request of the current branch. Nothing is written; no page loads anything from the
/// network. Stop it with Ctrl-C.
///
/// Example: git trace view 3f9a --open
#[derive(Args, Debug)]
pub struct ViewArgs {
    /// Start at this session (an id or a unique prefix).
    pub session: Option<String>,
    /// The port to listen on [default: a free one].
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Open the URL in the desktop's browser (xdg-open, or open on macOS).
    #[arg(long)]
    pub open: bool,
}

pub fn run(args: ViewArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let repo = super::open_repo()?;
    super::trace::seal_pending(&repo);
    let start = match &args.session {
        Some(spec) => Some(crate::read::resolve(&repo, spec)?.session),
        None => None,
    };
    let git_dir = repo.path().to_path_buf();
    drop(repo);
    crate::view::serve(git_dir, args.port, start, &mut |url| {
        let _ = writeln!(out, "git trace view: {url}\n(Ctrl-C stops it)");
        let _ = out.flush();
        if args.open {
            let opener = if cfg!(target_os = "macos") {
                "open"
            } else {
                "xdg-open"
            };
            let _ = std::process::Command::new(opener)
                .arg(url)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn();
        }
    })?;
    Ok(ExitCode::SUCCESS)
}
