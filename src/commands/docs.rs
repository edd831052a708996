//! `axiom completions SHELL` and `axiom man`: generated from the same clap definition as the parser,
//! so they can never disagree with it.

use std::io::Write;

use anyhow::Context as _;
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
    let mut command = built();
    for name in path {
        let shown = || command.get_subcommands().filter(|sub| !sub.is_hide_set());
        let Some(sub) = shown().find(|sub| sub.get_name() == name) else {
            let known: Vec<&str> = shown().map(clap::Command::get_name).collect();
            let title = command.get_bin_name().unwrap_or("axiom");
            anyhow::bail!("`{title}` has no subcommand `{name}` (it has: {})", known.join(", "));
        };
        command = page_command(sub);
    }
    write_out(&page_of(command)?)
}

/// `axiom man --out DIR`: axiom.1 and a page per subcommand, named as SEE ALSO names them.
pub fn man_pages_into(dir: &std::path::Path) -> anyhow::Result<ExitCode> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut written = 0;
    let mut pending = vec![built()];
    while let Some(command) = pending.pop() {
        pending.extend(command.get_subcommands().filter(|sub| !sub.is_hide_set()).map(page_command));
        let path = dir.join(format!("{}.1", command.get_name()));
        std::fs::write(&path, page_of(command)?).with_context(|| format!("cannot write {}", path.display()))?;
        written += 1;
    }
    crate::logging::note!("axiom: wrote {written} man pages into {}", dir.display());
    Ok(ExitCode::SUCCESS)
}

/// axiom's command, built: global options are given to the subcommands, and each gets its
/// display name (`axiom-client-tail`), only then.
fn built() -> clap::Command {
    let mut command = Cli::command().disable_help_subcommand(true);
    command.build();
    command
}

/// A subcommand as its own page shows it: named `axiom-client-tail`, with axiom's version.
fn page_command(sub: &clap::Command) -> clap::Command {
    let title = sub.get_display_name().unwrap_or_else(|| sub.get_name()).to_owned();
    sub.clone().name(title).version(env!("CARGO_PKG_VERSION"))
}

/// The roff page of `command`. What follows the options (more words, the exit status, examples)
/// goes under NOTES: clap_mangen calls it EXTRA.
fn page_of(command: clap::Command) -> anyhow::Result<Vec<u8>> {
    let mut page = Vec::new();
    clap_mangen::Man::new(command).render(&mut page)?;
    let page = String::from_utf8(page)?.replacen("\n.SH EXTRA\n", "\n.SH NOTES\n", 1);
    Ok(page.into_bytes())
}

fn write_out(bytes: &[u8]) -> anyhow::Result<ExitCode> {
    let mut stdout = std::io::stdout().lock();
    super::output::tolerate_broken_pipe(stdout.write_all(bytes).and_then(|()| stdout.flush()))?;
    Ok(ExitCode::SUCCESS)
}
