use clap::Parser;
use git_traces::cli::{self, trail};

fn main() -> std::process::ExitCode {
    let args = trail::Cli::parse();
    cli::run(args.pages(), |out| trail::run(args, out))
}
