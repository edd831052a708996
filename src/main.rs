use std::process::ExitCode;

use clap::Parser;

use axiom::cli::Cli;

fn main() -> ExitCode {
    axiom::commands::run(Cli::parse())
}
