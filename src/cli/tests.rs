//! The help is part of the interface: every subcommand and argument is walked, so a new one without
//! a description, a default or examples fails here rather than in front of a user.

use clap::{Arg, ArgAction, Command, CommandFactory, Parser};

use super::Cli;

/// Every subcommand, with its path (`axiom client tail`), the built root included.
fn every_command() -> Vec<(String, Command)> {
    fn walk(path: String, command: &Command, into: &mut Vec<(String, Command)>) {
        into.push((path.clone(), command.clone()));
        for sub in command.get_subcommands().filter(|sub| sub.get_name() != "help") {
            walk(format!("{path} {}", sub.get_name()), sub, into);
        }
    }
    let mut root = Cli::command();
    root.build();
    let mut all = Vec::new();
    walk("axiom".to_owned(), &root, &mut all);
    all
}

fn own_arguments(command: &Command) -> impl Iterator<Item = &Arg> {
    command.get_arguments().filter(|arg| !matches!(arg.get_id().as_str(), "help" | "version"))
}

fn help_of(arg: &Arg) -> String {
    [arg.get_help(), arg.get_long_help()].into_iter().flatten().map(|text| text.to_string()).collect()
}

/// Every text a user reads in `--help` for this command.
fn texts_of(command: &Command) -> Vec<String> {
    let mut texts: Vec<String> =
        [command.get_about(), command.get_long_about(), command.get_after_help(), command.get_after_long_help()]
            .into_iter()
            .flatten()
            .map(|text| text.to_string())
            .collect();
    for arg in own_arguments(command) {
        texts.push(help_of(arg));
        texts.extend(arg.get_possible_values().iter().filter_map(|value| value.get_help()).map(|h| h.to_string()));
    }
    texts
}

#[test]
fn the_clap_definition_is_consistent() {
    Cli::command().debug_assert();
}

#[test]
fn the_walk_sees_every_subcommand() {
    let paths: Vec<String> = every_command().into_iter().map(|(path, _)| path).collect();
    for expected in ["axiom run", "axiom serve", "axiom client tail", "axiom rules init", "axiom hooks install"] {
        assert!(paths.iter().any(|path| path == expected), "{expected} missing from {paths:?}");
    }
}

#[test]
fn every_argument_is_described() {
    let missing: Vec<String> = every_command()
        .iter()
        .flat_map(|(path, command)| {
            own_arguments(command)
                .filter(|arg| help_of(arg).trim().is_empty())
                .map(move |arg| format!("{path}: {}", arg.get_id()))
        })
        .collect();
    assert!(missing.is_empty(), "arguments without help: {missing:?}");
}

/// An optional argument that takes a value says what happens without it: clap shows a
/// `[default: ...]`, or the help says `Default: ...` in words (a search path, stdin, "none").
#[test]
fn every_optional_value_shows_its_default() {
    let silent: Vec<String> = every_command()
        .iter()
        .flat_map(|(path, command)| {
            own_arguments(command)
                .filter(|arg| matches!(arg.get_action(), ArgAction::Set | ArgAction::Append))
                .filter(|arg| !arg.is_required_set())
                .filter(|arg| arg.get_default_values().is_empty() && !help_of(arg).contains("Default"))
                .map(move |arg| format!("{path}: {}", arg.get_id()))
        })
        .collect();
    assert!(silent.is_empty(), "optional arguments that do not say their default: {silent:?}");
}

#[test]
fn every_subcommand_has_examples() {
    let without: Vec<String> = every_command()
        .iter()
        .filter(|(_, command)| {
            let after = [command.get_after_help(), command.get_after_long_help()];
            !after.into_iter().flatten().any(|text| text.to_string().contains("Examples"))
        })
        .map(|(path, _)| path.clone())
        .collect();
    assert!(without.is_empty(), "subcommands without an examples section: {without:?}");
}

/// Rustdoc is for the code's readers: intra-doc links and paths mean nothing in a terminal.
#[test]
fn no_rustdoc_leaks_into_help() {
    let leaks: Vec<String> = every_command()
        .iter()
        .flat_map(|(path, command)| texts_of(command).into_iter().map(move |text| (path.clone(), text)))
        .filter(|(_, text)| ["[`", "`]", "](", "self::", "crate::", "super::"].iter().any(|mark| text.contains(mark)))
        .map(|(path, text)| format!("{path}: {text}"))
        .collect();
    assert!(leaks.is_empty(), "rustdoc in help: {leaks:#?}");
}

/// A paragraph broken by hand is broken again by clap's own wrapping (`The exit\nstatus`), so
/// prose after the options is one line per paragraph; only indented lists and examples, and lines
/// that end a sentence or open a list, may stand on their own.
#[test]
fn prose_after_the_options_is_not_broken_by_hand() {
    let broken: Vec<String> = every_command()
        .iter()
        .flat_map(|(path, command)| {
            let after = [command.get_after_help(), command.get_after_long_help()];
            let lines: Vec<(String, String)> = after
                .into_iter()
                .flatten()
                .flat_map(|text| text.to_string().lines().map(str::to_owned).collect::<Vec<_>>())
                .map(|line| (path.clone(), line))
                .collect();
            lines
        })
        .filter(|(_, line)| !line.is_empty() && !line.starts_with(' '))
        .filter(|(_, line)| !line.trim_end().ends_with(['.', ':', '}']))
        .map(|(path, line)| format!("{path}: {line:?}"))
        .collect();
    assert!(broken.is_empty(), "prose lines broken mid-sentence: {broken:#?}");
}

/// The examples are commands a user copies: each `axiom ...` line parses with today's options.
#[test]
fn every_example_parses() {
    let mut examples = 0;
    for (path, command) in every_command() {
        let after = [command.get_after_help(), command.get_after_long_help()];
        for text in after.into_iter().flatten().map(|text| text.to_string()) {
            for line in text.lines().filter_map(|line| line.trim_start().strip_prefix("axiom ")) {
                let end = [" #", " |", " >", ";"].iter().filter_map(|cut| line.find(cut)).min().unwrap_or(line.len());
                let mut argv =
                    shlex::split(&line[..end]).unwrap_or_else(|| panic!("{path}: unbalanced quotes: {line}"));
                argv.insert(0, "axiom".to_owned());
                if let Err(err) = Cli::try_parse_from(&argv) {
                    panic!("{path}: the example `{}` does not parse: {err}", argv.join(" "));
                }
                examples += 1;
            }
        }
    }
    assert!(examples > 40, "only {examples} examples found");
}

#[test]
fn run_takes_its_command_with_or_without_a_double_dash() {
    let command = |argv: &[&str]| match Cli::try_parse_from(argv).map(|cli| cli.command) {
        Ok(super::Command::Run(args)) => Ok(args.command),
        Ok(other) => panic!("{other:?}"),
        Err(err) => Err(err.kind()),
    };
    assert_eq!(command(&["axiom", "run", "npm", "test", "--watch"]).unwrap(), ["npm", "test", "--watch"]);
    assert_eq!(command(&["axiom", "run", "--no-agent", "--", "--weird", "-x"]).unwrap(), ["--weird", "-x"]);
    // An option axiom does not have is a mistake to point out, not a program to run.
    assert_eq!(command(&["axiom", "run", "--keep-input-openn", "cat"]), Err(clap::error::ErrorKind::UnknownArgument));
}
