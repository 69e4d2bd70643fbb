//! The command-line interfaces of the binaries, as clap definitions plus the glue that runs them.
//!
//! The definitions live in the library (not in `bins/`) so that `man/` and `completions/` can be
//! generated from them and checked by a test. Exit codes follow STYLE.md: 0 ok, 1 user error or
//! nothing found, 2 usage (clap), 255 bug; a closed pipe on stdout exits quietly.

pub mod capsule;
pub mod ctx;
pub mod dataset;
pub mod export;
pub mod map;
mod pager;
pub mod query;
pub mod share;
pub mod skill;
pub mod stats;
pub mod trace;
pub mod trail;
pub mod view;

use std::io::Write;
use std::process::ExitCode;

/// Opens the repository the way git does for a subcommand: `GIT_DIR`/`GIT_WORK_TREE` when git set
/// them, else discovery upwards from the current directory.
pub fn open_repo() -> anyhow::Result<git2::Repository> {
    git2::Repository::open_from_env().map_err(|e| {
        let cwd = std::env::current_dir().map(|p| p.display().to_string()).unwrap_or_default();
        anyhow::anyhow!("not a git repository (or any parent up to /): {cwd}\nhint: run this inside the repository whose agent sessions you want ({})", e.message())
    })
}

/// Runs a command body and maps its outcome to an exit code. With `page`, output goes through
/// the user's pager when stdout is a terminal (see [`pager`]).
pub fn run(page: bool, body: impl FnOnce(&mut dyn Write) -> anyhow::Result<ExitCode>) -> ExitCode {
    // Like git, trust the object database on read (`git fsck` is what verifies it): hashing
    // every object again costs a tenth of reading a large session.
    git2::opts::strict_hash_verification(false);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let pager = if page { pager::Pager::start() } else { None };
        match pager {
            Some(mut pager) => {
                let mut out = std::io::BufWriter::new(pager.input());
                let code = body(&mut out);
                let flushed = out.flush();
                drop(out);
                pager.finish();
                finish(code, flushed)
            }
            None => {
                let stdout = std::io::stdout();
                let mut out = std::io::BufWriter::new(stdout.lock());
                let code = body(&mut out);
                let flushed = out.flush();
                finish(code, flushed)
            }
        }
    }));
    match result {
        Ok(Ok(code)) => code,
        Ok(Err(e)) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Ok(Err(e)) => {
            let text = format!("{e:#}");
            let (first, rest) = text.split_once('\n').unwrap_or((&text, ""));
            eprintln!("error: {first}");
            if !rest.is_empty() {
                eprintln!("{rest}");
            }
            ExitCode::from(1)
        }
        Err(_) => ExitCode::from(255),
    }
}

fn finish(
    code: anyhow::Result<ExitCode>,
    flushed: std::io::Result<()>,
) -> anyhow::Result<ExitCode> {
    match (code, flushed) {
        (Ok(code), Ok(())) => Ok(code),
        (Err(e), _) => Err(e),
        (Ok(_), Err(e)) => Err(e.into()),
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
