//! The files a shell call runs that are on disk before it runs: a script given to a shell or an
//! interpreter (`bash x.sh`, `source env.sh`, `./run.sh`, `python3 tool.py`, `cat x.sh | sh`,
//! `bash -c "$(cat x.sh)"`) and the `package.json` scripts a package manager runs (`npm test`, `yarn build`, `npm install`'s
//! lifecycle), and the recipes `make` runs (`make test`). An agent can write one in one call and run it in the next, so `axiom hook` reads
//! them as the call is judged and judges what they hold as calls of their own. (A file the same
//! call writes before running it is read by the shell parser, from the call's own text.)

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::command::{from_where_it_runs, Places};
use super::make_recipes::Makefile;
use super::workplace::{located, read_regular_file};
use crate::shell::{
    commands_shared, inner_script, is_interpreter, is_sed, is_shell, is_vim, program_name, runs_a_file, script_of,
    script_of_file, script_of_sed_file, script_of_vim_file, sed_script_files, too_long_to_read, vim_files_read,
    SimpleCommand, Substituted, VimFile,
};

/// The most bytes of a file read as a script: far more than a script written by hand holds.
pub const MOST_SCRIPT_BYTES: u64 = 1 << 20;

/// How far up from where a package manager runs its `package.json` is looked for.
const MOST_PARENTS: usize = 64;

/// The bytes of a file's first line looked at for a NUL, as bash does: a compiled program holds
/// one there, a script does not.
const BINARY_SNIFF: usize = 80;

/// A file, a `package.json` script or a makefile's recipe, that a call runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRun {
    /// What a reason calls it: the file as the call names it (`./deploy.sh`), or the script and
    /// its `package.json`.
    pub name: String,
    /// Where it starts running: what its relative paths and `cd`s are from.
    pub directory: PathBuf,
    pub script: RunScript,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunScript {
    /// The shell script it amounts to (an interpreter's code read as the commands it runs).
    Shell(String),
    /// Longer than axiom reads: more than [`MOST_SCRIPT_BYTES`], or more commands than command
    /// rules read (`shell::MOST_COMMANDS_READ`).
    TooLong,
    /// Written so that axiom cannot read it where the program that runs it may (a `package.json`
    /// that is not JSON to serde: a lone surrogate, nesting past its limit).
    Unreadable,
}

/// The files that `script`, a shell call starting in `start`, runs and that are on disk now,
/// each read where the call's `cd`s lead by the time it runs.
pub fn files_run(script: &str, start: &Path) -> Vec<FileRun> {
    let commands = commands_shared(script);
    let mut places = Places::default();
    let mut found = Vec::new();
    for (at, command) in commands.iter().enumerate() {
        if let Some(here) = located(start, places.here()) {
            found.extend(script_files(command, &places, start, &here));
            found.extend(script_piped_to_a_shell(command, &commands[at + 1..], &places, start, &here));
            found.extend(script_substituted_for_a_shell(command, &places, start, &here));
            found.extend(package_scripts(command, &places, start, &here));
            found.extend(make_recipes(command, &places, start, &here));
            found.extend(git_configured(command, &here));
        }
        places.follow(command);
    }
    found
}

/// The script files `command` runs: [`script_file`], and every file vim reads (`-S`, `-s`, what
/// its `-c` commands source) or sed does (`-f a.sed -f b.sed`).
fn script_files(command: &SimpleCommand, places: &Places, start: &Path, here: &Path) -> Vec<FileRun> {
    if is_vim(command.program()) {
        let files = vim_files_read(command);
        return files.iter().filter_map(|(file, how)| read_script(command, file, *how, places, start, here)).collect();
    }
    if is_sed(command.program()) {
        let files = sed_script_files(command);
        return files
            .iter()
            .filter_map(|file| read_script(command, file, VimFile::Script, places, start, here))
            .collect();
    }
    script_file(command, places, start, here).into_iter().collect()
}

/// The script file `command` runs: a shell's or an interpreter's operand, `source FILE`, or the
/// command itself when it is a path (`./x.sh`, read by its `#!` line).
fn script_file(command: &SimpleCommand, places: &Places, start: &Path, here: &Path) -> Option<FileRun> {
    // `bash -c '…'`, `python3 -c '…'`: the code is in the call, and judged with it. (vim's `-c`
    // commands and sed's `-e` are, and the file vim's `-S` sources, or sed's `-f`, is not.)
    let (vim, sed) = (is_vim(command.program()), is_sed(command.program()));
    if !vim && !sed && (inner_script(command).is_some() || script_of(command).is_some()) {
        return None;
    }
    read_script(command, runs_a_file(command)?, VimFile::Script, places, start, here)
}

/// `file`, which `command` runs, read from disk as its program reads it (`how`, for vim: as a
/// script or as keys).
fn read_script(
    command: &SimpleCommand,
    file: &str,
    how: VimFile,
    places: &Places,
    start: &Path,
    here: &Path,
) -> Option<FileRun> {
    let (vim, sed) = (is_vim(command.program()), is_sed(command.program()));
    if file == "-" || file.contains('\n') || file.len() > 4096 {
        return None;
    }
    // `$PWD/x.sh` is `./x.sh`, where the command runs.
    let path = places.resolve(&from_where_it_runs(file));
    let bytes = read_regular_file(&located(start, &path)?, MOST_SCRIPT_BYTES + 1)?;
    let run = |script| Some(FileRun { name: format!("`{file}`"), directory: here.to_owned(), script });
    if bytes.len() as u64 > MOST_SCRIPT_BYTES {
        return run(RunScript::TooLong);
    }
    // bash runs a file as a script unless its first line holds a NUL; so is it read.
    let first_line = bytes.split(|&b| b == b'\n').next().unwrap_or_default();
    if first_line[..first_line.len().min(BINARY_SNIFF)].contains(&0) {
        return None;
    }
    let text = String::from_utf8_lossy(&bytes);
    let program = command.program();
    let script = if is_shell(program) || matches!(program, "source" | ".") {
        text.to_string()
    } else if vim {
        script_of_vim_file(&text, how)
    } else if sed {
        script_of_sed_file(&text)
    } else if is_interpreter(program) {
        script_of_file(command, &text).unwrap_or_default()
    } else {
        match shebang_program(&text) {
            Some(named) if is_interpreter(named) => script_of_file(&bare_command(named), &text).unwrap_or_default(),
            // Run by a program whose code is not read (`#!/usr/bin/make -f`): only its line is.
            Some(named) if !is_shell(named) => String::new(),
            _ => text.to_string(),
        }
    };
    // Run by its path, the file is given to what its `#!` line names, with that line's words
    // (`#!/usr/bin/env -S rm -rf ~`).
    let by_path = !is_shell(program) && !matches!(program, "source" | ".") && !is_interpreter(program) && !vim && !sed;
    let shebang = text.strip_prefix("#!").filter(|_| by_path).and_then(|rest| rest.lines().next());
    let script = match shebang {
        Some(line) => format!("{} {file}\n{script}", line.trim()),
        None if script.trim().is_empty() => return None,
        None => script,
    };
    run(shell_script(script))
}

/// The files `cat` prints, in order: its operands (after its options, and `--`) and what it is
/// given as its input (`cat < x.sh`). Empty for any other program.
fn files_cat_prints(command: &SimpleCommand) -> Vec<&String> {
    if command.program() != "cat" {
        return Vec::new();
    }
    let mut files = Vec::new();
    let mut options_end = false;
    for arg in command.args() {
        match arg.as_str() {
            "--" if !options_end => options_end = true,
            option if !options_end && option.starts_with('-') && option != "-" => {}
            _ => files.push(arg),
        }
    }
    files.extend(&command.input);
    files
}

/// Each file `cat FILE… | bash` gives a shell to run on its input, read as `bash FILE` is.
fn script_piped_to_a_shell(
    command: &SimpleCommand,
    later: &[SimpleCommand],
    places: &Places,
    start: &Path,
    here: &Path,
) -> Vec<FileRun> {
    let reads_its_input = |shell: &SimpleCommand| {
        is_shell(shell.program()) && runs_a_file(shell).is_none() && inner_script(shell).is_none()
    };
    if !later.iter().any(|next| command.pipes_into(next) && reads_its_input(next)) {
        return Vec::new();
    }
    scripts_of(files_cat_prints(command), places, start, here)
}

/// Each file whose text a substitution gives a shell as its script (`bash -c "$(cat x.sh)"`, `eval
/// "$(< x.sh)"`, `source <(cat x.sh)`), read as `bash x.sh` is. Only where that output is part
/// of the script: not an argument of a script file (`bash x.sh "$(cat y)"`), nor what another
/// command makes of it first (`sh -c "$(sed … x)"`, `sh -c "$(echo $(cat x))"`). (Given as a
/// word after `bash -c SCRIPT`, it is read too: the parser does not tell where `$1` lands.)
fn script_substituted_for_a_shell(command: &SimpleCommand, places: &Places, start: &Path, here: &Path) -> Vec<FileRun> {
    let runs_its_words = |program: &String| is_shell(program) || matches!(program.as_str(), "eval" | "source" | ".");
    let substituted = &command.substituted;
    match substituted.into.as_slice() {
        [program] if substituted.kept && runs_its_words(program) => {
            scripts_of(files_cat_prints(command), places, start, here)
        }
        _ => Vec::new(),
    }
}

/// `files`, each read as the script `bash FILE` runs (`-`, the input, is not a file to read).
fn scripts_of(files: Vec<&String>, places: &Places, start: &Path, here: &Path) -> Vec<FileRun> {
    files
        .into_iter()
        .filter(|file| file.as_str() != "-")
        .filter_map(|file| script_file(&bare_command_with(&["bash", file]), places, start, here))
        .collect()
}

/// The program a `#!` line names: `#!/usr/bin/env python3`, `#!/bin/sh -e`, `#!/usr/bin/env -S bash -e`.
fn shebang_program(text: &str) -> Option<&str> {
    let line = text.strip_prefix("#!")?.lines().next()?;
    let mut words = line.split_whitespace();
    let program = program_name(words.next()?);
    if program != "env" {
        return Some(program);
    }
    words.find(|word| !word.starts_with('-') && !word.contains('=')).map(program_name)
}

fn bare_command(program: &str) -> SimpleCommand {
    bare_command_with(&[program])
}

fn bare_command_with(words: &[&str]) -> SimpleCommand {
    SimpleCommand {
        words: words.iter().map(|word| word.to_string()).collect(),
        pipeline: 0,
        stage: 0,
        through_xargs: false,
        substituted: Substituted::default(),
        input: Vec::new(),
    }
}

fn shell_script(script: String) -> RunScript {
    if too_long_to_read(&commands_shared(&script)) {
        RunScript::TooLong
    } else {
        RunScript::Shell(script)
    }
}

/// The package managers whose `package.json` scripts are read.
const PACKAGE_MANAGERS: &[&str] = &["npm", "yarn", "pnpm", "bun"];
/// Their options that name the directory of the package (`npm --prefix DIR`, `yarn --cwd DIR`,
/// `pnpm -C DIR`).
const DIRECTORY_OPTIONS: &[&str] = &["--prefix", "--cwd", "-C", "--dir"];
/// Their other options that take a separate value.
const VALUE_OPTIONS: &[&str] = &["--filter", "-F", "-w", "--workspace", "--loglevel", "--userconfig", "--registry"];
/// The scripts an install of the package itself runs (`npm install`, `npm ci`, `yarn`).
const INSTALL_SCRIPTS: &[&str] =
    &["preinstall", "install", "postinstall", "prepublish", "preprepare", "prepare", "postprepare"];

/// The `package.json` scripts `command` runs: `npm test`, `npm run build`, `yarn lint`, `pnpm
/// dev`, and an install's lifecycle scripts; each with the `pre` and `post` scripts that may run
/// around it.
fn package_scripts(command: &SimpleCommand, places: &Places, start: &Path, here: &Path) -> Vec<FileRun> {
    let program = command.program();
    if !PACKAGE_MANAGERS.contains(&program) {
        return Vec::new();
    }
    let mut operands = Vec::new();
    let mut directory = None;
    let mut words = command.args().iter();
    while let Some(word) = words.next() {
        if word == "--" {
            break; // The rest are the script's arguments.
        } else if let Some(value) = word.split_once('=').filter(|(option, _)| DIRECTORY_OPTIONS.contains(option)) {
            directory = Some(value.1.to_owned());
        } else if DIRECTORY_OPTIONS.contains(&word.as_str()) {
            directory = words.next().cloned();
        } else if VALUE_OPTIONS.contains(&word.as_str()) {
            words.next();
        } else if !word.starts_with('-') {
            operands.push(word.as_str());
        }
    }
    let with_pre_and_post = |names: &[&str]| -> Vec<String> {
        names.iter().flat_map(|name| [format!("pre{name}"), name.to_string(), format!("post{name}")]).collect()
    };
    let names = match (program, operands.as_slice()) {
        (_, ["run" | "run-script" | "rum" | "urn", name, ..]) => with_pre_and_post(&[name]),
        ("npm", ["test" | "t" | "tst", ..]) => with_pre_and_post(&["test"]),
        ("npm", ["restart", ..]) => with_pre_and_post(&["restart", "stop", "start"]),
        ("npm", [verb @ ("start" | "stop"), ..]) => with_pre_and_post(&[verb]),
        ("npm" | "pnpm" | "yarn", ["install" | "i" | "ci" | "in" | "isnt"]) | ("yarn", []) => {
            INSTALL_SCRIPTS.iter().map(|name| name.to_string()).collect()
        }
        // `yarn build`, `pnpm dev`: a name that is no command of theirs runs the script.
        ("yarn" | "pnpm", [name, ..]) => with_pre_and_post(&[name]),
        _ => return Vec::new(),
    };
    let from = match &directory {
        Some(directory) => located(start, &places.resolve(directory)),
        None => Some(here.to_owned()),
    };
    let Some((package_dir, scripts)) = from.and_then(|from| package_json_scripts(&from)) else {
        return Vec::new();
    };
    let Some(scripts) = scripts else {
        let name = format!("{}", package_dir.join("package.json").display());
        return vec![FileRun { name, directory: package_dir, script: RunScript::Unreadable }];
    };
    let mut run = Vec::new();
    for name in names {
        if let Some(text) = scripts.get(&name).and_then(Value::as_str) {
            run.push(FileRun {
                name: format!("the `{name}` script of {}", package_dir.join("package.json").display()),
                directory: package_dir.clone(),
                script: shell_script(text.to_owned()),
            });
        }
    }
    run
}

/// The git command as its configuration on disk makes it (see `git_config.rs`): run by the call,
/// with the commands the configuration names for it given as `-c` options.
fn git_configured(command: &SimpleCommand, here: &Path) -> Option<FileRun> {
    let script = super::git_config::configured_command(command, here)?;
    Some(FileRun {
        name: "git's configuration (the repository's and the user's)".to_owned(),
        directory: here.to_owned(),
        script: shell_script(script),
    })
}

/// make's options that take a separate value, besides `-C` and `-f`.
const MAKE_VALUE_OPTIONS: &[&str] =
    &["-o", "-W", "-I", "-l", "--old-file", "--what-if", "--include-dir", "--load-average"];

/// The recipes `command` runs when it is `make` (or `gmake`): those of the goals it names, or the
/// makefile's first, with their prerequisites', read from the makefile in the directory it runs
/// in (`-C DIR`) or the one it is given (`-f FILE`).
fn make_recipes(command: &SimpleCommand, places: &Places, start: &Path, here: &Path) -> Vec<FileRun> {
    if !matches!(command.program(), "make" | "gmake") {
        return Vec::new();
    }
    let (mut directory, mut file, mut goals) = (None, None, Vec::new());
    let mut words = command.args().iter();
    while let Some(word) = words.next() {
        // `-C DIR`, `-CDIR`, `--directory DIR`, `--directory=DIR`; the same for the makefile.
        let given = |long: &[&str], short: &str| {
            let attached = long.iter().find_map(|long| word.strip_prefix(long)?.strip_prefix('='));
            attached.or_else(|| word.strip_prefix(short)).filter(|value| !value.is_empty()).map(str::to_owned)
        };
        if word == "-C" || word == "--directory" {
            directory = words.next().cloned();
        } else if word == "-f" || word == "--file" || word == "--makefile" {
            file = words.next().cloned();
        } else if let Some(value) = given(&["--directory"], "-C") {
            directory = Some(value);
        } else if let Some(value) = given(&["--file", "--makefile"], "-f") {
            file = Some(value);
        } else if MAKE_VALUE_OPTIONS.contains(&word.as_str()) {
            words.next();
        } else if !word.starts_with('-') && !word.contains('=') {
            goals.push(word.as_str());
        }
    }
    let Some(directory) =
        directory.map_or(Some(here.to_owned()), |directory| located(start, &places.resolve(&directory)))
    else {
        return Vec::new();
    };
    let names = match &file {
        Some(file) => vec![file.as_str()],
        None => vec!["GNUmakefile", "makefile", "Makefile"],
    };
    let Some((path, bytes)) = names.iter().find_map(|name| {
        read_regular_file(&directory.join(name), MOST_SCRIPT_BYTES).map(|bytes| (directory.join(name), bytes))
    }) else {
        return Vec::new();
    };
    let makefile = Makefile::read(&String::from_utf8_lossy(&bytes));
    makefile
        .recipes(&goals)
        .into_iter()
        .map(|(target, recipe)| FileRun {
            name: format!("the `{target}` recipe of {}", path.display()),
            directory: directory.clone(),
            script: recipe.map_or(RunScript::TooLong, shell_script),
        })
        .collect()
}

/// The nearest `package.json` at or above `from` (as npm finds it), and its `scripts`: `None` for
/// scripts of one that cannot be read as JSON (npm may still read it).
#[allow(clippy::type_complexity)]
fn package_json_scripts(from: &Path) -> Option<(PathBuf, Option<serde_json::Map<String, Value>>)> {
    let (directory, bytes) = from.ancestors().take(MOST_PARENTS).find_map(|directory| {
        read_regular_file(&directory.join("package.json"), MOST_SCRIPT_BYTES).map(|bytes| (directory.to_owned(), bytes))
    })?;
    let text = String::from_utf8_lossy(&bytes);
    let Ok(mut package) = serde_json::from_str::<Value>(text.trim_start_matches('\u{feff}')) else {
        return Some((directory, None));
    };
    match package.get_mut("scripts").map(Value::take) {
        Some(Value::Object(scripts)) => Some((directory, Some(scripts))),
        _ => Some((directory, Some(serde_json::Map::new()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    fn scripts(found: &[FileRun]) -> Vec<(String, String)> {
        found
            .iter()
            .map(|run| {
                let text = match &run.script {
                    RunScript::Shell(text) => text.trim().to_owned(),
                    RunScript::TooLong => "<too long>".to_owned(),
                    RunScript::Unreadable => "<unreadable>".to_owned(),
                };
                (run.name.clone(), text)
            })
            .collect()
    }

    #[test]
    fn a_script_a_shell_sources_or_runs_is_read_where_the_calls_cds_lead() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "x.sh", "rm -rf ~\n");
        write(dir.path(), "sub/y.sh", "git push --force\n");
        let read = |call: &str| scripts(&files_run(call, dir.path()));
        let x = vec![("`x.sh`".to_owned(), "rm -rf ~".to_owned())];
        assert_eq!(read("bash x.sh"), x);
        assert_eq!(read("bash -e x.sh arg"), x);
        assert_eq!(read("source x.sh"), x);
        assert_eq!(read("sh < x.sh"), x);
        assert_eq!(read("cd sub && bash y.sh"), vec![("`y.sh`".to_owned(), "git push --force".to_owned())]);
        assert_eq!(read("cd sub && bash ../x.sh")[0].1, "rm -rf ~");
        let here = files_run("cd sub && ./y.sh", dir.path());
        assert_eq!(here[0].directory, dir.path().join("sub"));
        // Code given in the call, or a file that is not there, reads nothing from disk.
        assert!(read("bash -c 'echo x.sh'").is_empty());
        assert!(read("bash missing.sh").is_empty());
        assert!(read("cat x.sh").is_empty());
        assert_eq!(read("cat x.sh | bash"), x);
        assert_eq!(read("cat x.sh | sudo sh -e"), x);
        assert!(read("cat x.sh | bash -c 'wc -l'").is_empty());
    }

    #[test]
    fn every_file_vim_and_sed_read_and_a_script_by_its_pwd_spelling_are_read() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "x.sh", "rm -rf ~\n");
        write(dir.path(), "ok.sed", "s/a/b/\n");
        write(dir.path(), "b.sed", "1e rm -rf ~\n");
        write(dir.path(), "keys", ":!rm -rf ~\n");
        write(dir.path(), "rt/plugin/p.vim", "!rm -rf ~\n");
        let read = |call: &str| scripts(&files_run(call, dir.path()));
        let x = vec![("`$PWD/x.sh`".to_owned(), "rm -rf ~".to_owned())];
        assert_eq!(read("bash $PWD/x.sh"), x);
        assert_eq!(read("$PWD/x.sh"), x);
        assert_eq!(
            read("sed -f ok.sed -f b.sed f").iter().map(|(_, text)| text.as_str()).collect::<Vec<_>>(),
            ["rm -rf ~"]
        );
        assert_eq!(read("vim -s keys f"), [("`keys`".to_owned(), "rm -rf ~".to_owned())]);
        assert_eq!(read("vim -c 'set rtp+=rt' -c 'runtime plugin/p.vim' f")[0].1, "rm -rf ~");
        // Keys that type no command line nor filter run nothing.
        assert!(read("vim -s ok.sed f").is_empty());
        assert!(read("$PWD/missing.sh").is_empty());
    }

    #[test]
    fn a_file_a_substitution_gives_a_shell_as_its_script_is_read() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "x.sh", "rm -rf ~\n");
        write(dir.path(), "sub/y.sh", "git push --force\n");
        let read = |call: &str| scripts(&files_run(call, dir.path()));
        let x = vec![("`x.sh`".to_owned(), "rm -rf ~".to_owned())];
        assert_eq!(read("bash -c \"$(cat x.sh)\""), x);
        assert_eq!(read("sh -c \"$(< x.sh)\""), x);
        assert_eq!(read("eval \"$(cat x.sh)\""), x);
        assert_eq!(read("source <(cat x.sh)"), x);
        assert_eq!(read("cd sub && bash -c \"$(cat y.sh)\"")[0].1, "git push --force");
        // Its output as a command's words, or made into something else first: not a script.
        assert!(read("echo \"$(cat x.sh)\"").is_empty());
        assert!(read("sh -c \"$(echo $(cat x.sh))\"").is_empty());
        assert!(read("bash -c \"$(cat missing.sh)\"").is_empty());
        // However cat is given the file: after `--`, beside another, with an option.
        assert_eq!(read("bash -c \"$(cat -- x.sh)\""), x);
        assert_eq!(read("bash -c \"$(cat x.sh /dev/null)\""), x);
        assert_eq!(read("cat -u x.sh - | sh"), x);
    }

    #[test]
    fn a_file_run_by_its_path_is_read_as_its_first_line_says() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "tool.py", "#!/usr/bin/env python3\nimport os\nos.system('rm -rf ~')\n");
        write(dir.path(), "plain.sh", "rm -rf ~/old\n");
        write(dir.path(), "build.mk", "#!/usr/bin/make -f\nall:\n\trm -rf ~\n");
        write(dir.path(), "prog", "\x7fELF\0\0\0rm -rf ~");
        let read = |call: &str| scripts(&files_run(call, dir.path()));
        // Run by its path, a file is also its `#!` line's command, given the file.
        assert_eq!(read("./tool.py")[0].1, "/usr/bin/env python3 ./tool.py\nrm -rf ~");
        assert_eq!(read("python3 tool.py")[0].1, "rm -rf ~");
        assert_eq!(read("python3 -W ignore tool.py")[0].1, "rm -rf ~");
        assert_eq!(read("./plain.sh")[0].1, "rm -rf ~/old");
        assert_eq!(read("./build.mk")[0].1, "/usr/bin/make -f ./build.mk");
        assert!(read("./prog").is_empty());
        // bash runs a file whose NUL is past its first line.
        write(dir.path(), "padded.sh", "echo hi\n\0\nrm -rf ~\n");
        assert!(read("bash padded.sh")[0].1.ends_with("rm -rf ~"));
        write(dir.path(), "launch", "#!/usr/bin/env -S rm -rf /root\n");
        assert_eq!(read("./launch")[0].1, "/usr/bin/env -S rm -rf /root ./launch");
    }

    #[test]
    fn a_file_longer_than_axiom_reads_is_said_to_be() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "many.sh", &"echo step\n".repeat(crate::shell::MOST_COMMANDS_READ + 1));
        std::fs::write(dir.path().join("big.sh"), vec![b'#'; MOST_SCRIPT_BYTES as usize + 1]).unwrap();
        for call in ["bash many.sh", "./big.sh"] {
            assert_eq!(files_run(call, dir.path())[0].script, RunScript::TooLong, "{call}");
        }
    }

    #[test]
    fn make_runs_the_recipes_of_its_goals_from_the_makefile_where_it_runs() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "Makefile", "all: build\nbuild:\n\tcargo build\nclean:\n\trm -rf ~\n");
        write(dir.path(), "sub/build.mk", "deploy:\n\tgit push -f origin main\n");
        let read = |call: &str| scripts(&files_run(call, dir.path()));
        let makefile = dir.path().join("Makefile").display().to_string();
        assert_eq!(read("make"), [(format!("the `build` recipe of {makefile}"), "cargo build".to_owned())]);
        assert_eq!(read("make -j4 clean")[0].1, "rm -rf ~");
        assert_eq!(read("cd sub && make -f build.mk deploy")[0].1, "git push -f origin main");
        assert_eq!(read("make -Csub --file=build.mk deploy")[0].1, "git push -f origin main");
        assert!(read("make -C elsewhere").is_empty());
    }

    #[test]
    fn a_package_manager_runs_the_scripts_of_the_nearest_package_json_with_their_pre_and_post() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "app/package.json",
            r#"{"scripts": {"pretest": "echo before", "test": "rm -rf ~", "build": "tsc", "postinstall": "curl x | sh"}}"#,
        );
        write(dir.path(), "app/src/.keep", "");
        let names = |call: &str| -> Vec<String> {
            files_run(call, dir.path())
                .into_iter()
                .map(|run| run.name.split('`').nth(1).unwrap_or_default().to_owned())
                .collect()
        };
        assert_eq!(names("cd app && npm test"), ["pretest", "test"]);
        assert_eq!(names("cd app/src && npm run build -- --watch"), ["build"]);
        assert_eq!(names("npm --prefix app run-script build"), ["build"]);
        assert_eq!(names("yarn --cwd app test"), ["pretest", "test"]);
        assert_eq!(names("cd app && pnpm build"), ["build"]);
        assert_eq!(names("cd app && npm ci"), ["postinstall"]);
        assert_eq!(names("cd app && yarn"), ["postinstall"]);
        assert!(names("cd app && npm install left-pad").is_empty());
        assert!(names("cd app && npm view react").is_empty());
        let test = &files_run("cd app && npm t", dir.path())[1];
        assert_eq!(
            (test.directory.clone(), test.script.clone()),
            (dir.path().join("app"), RunScript::Shell("rm -rf ~".into()))
        );
    }
}
