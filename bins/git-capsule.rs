use clap::Parser;
use git_traces::cli::{self, capsule};

fn main() -> std::process::ExitCode {
    let args = capsule::Cli::parse();
    cli::run(args.pages(), |out| capsule::run(args, out))
}
