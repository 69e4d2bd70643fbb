use clap::Parser;
use git_traces::cli::{self, trace};

fn main() -> std::process::ExitCode {
    let args = trace::Cli::parse();
    cli::run(|out| trace::run(args, out))
}
