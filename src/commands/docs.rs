//! `axiom completions SHELL` and `axiom man`: generated from the same clap definition as the parser,
//! so they can never disagree with it.

use std::io::Write;
use std::process::ExitCode;

use clap::CommandFactory;

use crate::cli::Cli;

pub fn completions(shell: clap_complete::Shell) -> anyhow::Result<ExitCode> {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut without_hidden_subcommands(Cli::command()), "axiom", &mut script);
    write_out(&script)
}

/// The command with the subcommands it hides (the hub's `worker`) left out: clap_complete offers
/// hidden subcommands too.
fn without_hidden_subcommands(full: clap::Command) -> clap::Command {
    let shown = full.get_subcommands().filter(|sub| !sub.is_hide_set()).cloned().collect::<Vec<_>>();
    let mut command = clap::Command::new(full.get_name().to_owned()).args(full.get_arguments().cloned());
    if let Some(version) = full.get_version() {
        command = command.version(version.to_owned());
    }
    if let Some(about) = full.get_about() {
        command = command.about(about.clone());
    }
    command.subcommands(shown)
}

/// The page of axiom, or of the subcommand named by `path` (`["client", "tail"]`), titled as its
/// parent's page names it in SEE ALSO (`axiom-client-tail`).
pub fn man(path: &[String]) -> anyhow::Result<ExitCode> {
    let mut command = Cli::command();
    // Global options are given to the subcommands only when the command is built.
    command.build();
    let mut title = "axiom".to_owned();
    for name in path {
        let Some(sub) = command.get_subcommands().find(|sub| sub.get_name() == name && !sub.is_hide_set()) else {
            let known: Vec<&str> =
                command.get_subcommands().filter(|sub| !sub.is_hide_set()).map(|sub| sub.get_name()).collect();
            anyhow::bail!("`{title}` has no subcommand `{name}` (it has: {})", known.join(", "));
        };
        title = format!("{title}-{name}");
        command = sub.clone().name(title.clone()).version(env!("CARGO_PKG_VERSION"));
    }
    let mut page = Vec::new();
    clap_mangen::Man::new(command).render(&mut page)?;
    write_out(&page)
}

fn write_out(bytes: &[u8]) -> anyhow::Result<ExitCode> {
    let mut stdout = std::io::stdout().lock();
    super::output::tolerate_broken_pipe(stdout.write_all(bytes).and_then(|()| stdout.flush()))?;
    Ok(ExitCode::SUCCESS)
}
