//! `axiom completions SHELL` and `axiom man`: generated from the same clap definition as the parser,
//! so they can never disagree with it.

use std::io::Write;
use std::process::ExitCode;

use clap::CommandFactory;

use crate::cli::Cli;

pub fn completions(shell: clap_complete::Shell) -> anyhow::Result<ExitCode> {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "axiom", &mut script);
    write_out(&script)
}

pub fn man() -> anyhow::Result<ExitCode> {
    let mut page = Vec::new();
    clap_mangen::Man::new(Cli::command()).render(&mut page)?;
    write_out(&page)
}

fn write_out(bytes: &[u8]) -> anyhow::Result<ExitCode> {
    let mut stdout = std::io::stdout().lock();
    super::output::tolerate_broken_pipe(stdout.write_all(bytes).and_then(|()| stdout.flush()))?;
    Ok(ExitCode::SUCCESS)
}
