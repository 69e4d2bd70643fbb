use clap::Parser;
use git_traces::cli::{self, ctx};

fn main() -> std::process::ExitCode {
    let args = ctx::Cli::parse();
    cli::run(args.pages(), |out| ctx::run(args, out))
}
