use std::process::ExitCode;

use clap::Parser;

use axiom::cli::Cli;

fn main() -> ExitCode {
    // Logs go to stderr (stdout may carry a protocol); `AXIOM_LOG=debug` shows more.
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("AXIOM_LOG").unwrap_or_else(|_| "warn".into()))
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
    axiom::commands::run(Cli::parse())
}
