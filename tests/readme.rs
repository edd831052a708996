//! The README's commands stay true: every ```sh block says whether CI runs it (`<!-- ci: run -->`,
//! which `scripts/readme-commands.sh` executes as written from `.ci/run`) or why not
//! (`<!-- ci: skip: REASON -->`), and every `axiom` command in them parses with today's options.

use clap::Parser;

use axiom::cli::Cli;

const README: &str = include_str!("../README.md");

/// The ```sh blocks: the marker line before each (if any), and its lines.
fn sh_blocks() -> Vec<(Option<&'static str>, Vec<&'static str>)> {
    let lines: Vec<&str> = README.lines().collect();
    let mut blocks = Vec::new();
    let mut at = 0;
    while at < lines.len() {
        if lines[at] == "```sh" {
            let marker = lines[..at].iter().rev().find(|line| !line.trim().is_empty()).copied();
            let marker = marker.filter(|line| line.starts_with("<!-- ci:"));
            let end = at + 1 + lines[at + 1..].iter().position(|line| *line == "```").expect("an unclosed ```sh block");
            blocks.push((marker, lines[at + 1..end].to_vec()));
            at = end;
        }
        at += 1;
    }
    blocks
}

/// The argv of an `axiom` command line, without its comment, pipe or redirection.
fn axiom_argv(line: &str) -> Option<Vec<String>> {
    let command = ["axiom ", "./target/release/axiom "].iter().find_map(|prefix| line.strip_prefix(prefix))?;
    let end = [" #", " |", " >", " &&", ";"].iter().filter_map(|cut| command.find(cut)).min().unwrap_or(command.len());
    let mut argv = shlex::split(&command[..end]).unwrap_or_else(|| panic!("unbalanced quotes: {line}"));
    argv.insert(0, "axiom".to_owned());
    Some(argv)
}

#[test]
fn every_sh_block_says_whether_ci_runs_it() {
    let blocks = sh_blocks();
    assert!(blocks.len() >= 4, "the README's ```sh blocks were not found");
    for (marker, lines) in &blocks {
        let marker = marker.unwrap_or_else(|| panic!("a ```sh block without a <!-- ci: ... --> marker: {lines:?}"));
        let run = marker == "<!-- ci: run -->";
        let skip = marker.starts_with("<!-- ci: skip: ") && marker.len() > "<!-- ci: skip:  -->".len();
        assert!(run || skip, "a marker is `<!-- ci: run -->` or `<!-- ci: skip: REASON -->`: {marker}");
    }
    let run = blocks.iter().filter(|(marker, _)| *marker == Some("<!-- ci: run -->"));
    let lines: Vec<&str> = run.flat_map(|(_, lines)| lines.iter().copied()).collect();
    for essential in ["cargo build --release", "./target/release/axiom run --agent -- fixtures/todo-agent.py"] {
        assert!(lines.contains(&essential), "CI does not run the README's `{essential}`");
    }
}

#[test]
fn ci_runs_the_marked_blocks() {
    let ci = include_str!("../.ci/run");
    assert!(
        ci.lines().any(|line| line.trim_start().starts_with("scripts/readme-commands.sh")),
        ".ci/run does not run them"
    );
}

#[test]
fn every_axiom_command_in_the_readme_parses() {
    let commands: Vec<Vec<String>> =
        sh_blocks().into_iter().flat_map(|(_, lines)| lines).filter_map(axiom_argv).collect();
    assert!(commands.len() >= 5, "too few axiom commands found: {commands:?}");
    for argv in commands {
        if let Err(err) = Cli::try_parse_from(&argv) {
            panic!("`{}` does not parse: {err}", argv.join(" "));
        }
    }
}
