use std::process::ExitCode;

use clap::Parser;

use axiom::cli::Cli;

fn main() -> ExitCode {
    // Logs go to stderr (stdout may carry a protocol); `AXIOM_LOG=debug` shows more.
    axiom::logging::init();
    axiom::commands::run(Cli::parse())
}
