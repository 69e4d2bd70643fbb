use clap::Parser;
use git_traces::cli::{self, trace};

fn main() -> std::process::ExitCode {
    let args = trace::Cli::parse();
    cli::run(args.pages(), |out| trace::run(args, out))
}
