//! What `axiom check` reads: stdin, named files, and the files under named directories (walked as
//! ripgrep walks them: `.gitignore`, `.ignore` and hidden files are skipped, in path order), with
//! one exception: Aider's chat history is always found.

use std::io::{self, IsTerminal};
use std::path::{Path, PathBuf};

/// One thing to check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    Stdin,
    /// `named`: given on the command line, so checked even if it looks binary.
    File {
        path: PathBuf,
        named: bool,
    },
}

impl Input {
    /// How matches name it: `-` for stdin, else the path as given or found.
    pub fn name(&self) -> String {
        match self {
            Input::Stdin => "-".to_owned(),
            Input::File { path, .. } => path.display().to_string(),
        }
    }
}

/// The inputs the arguments stand for, in order; a directory that cannot be walked is an error
/// naming the path.
pub fn expand(args: &[PathBuf]) -> Vec<Result<Input, (String, io::Error)>> {
    if args.is_empty() {
        return vec![Ok(Input::Stdin)];
    }
    let mut inputs = Vec::new();
    for arg in args {
        if arg.as_os_str() == "-" {
            inputs.push(Ok(Input::Stdin));
        } else if arg.is_dir() {
            walk(arg, &mut inputs);
        } else {
            inputs.push(Ok(Input::File { path: arg.clone(), named: true }));
        }
    }
    inputs
}

/// Aider's chat history: hidden, and in the `.gitignore` aider writes, yet what an audit of agent
/// sessions is after, so every walked directory is probed for it.
const AIDER_HISTORY: &str = ".aider.chat.history.md";

fn walk(dir: &Path, inputs: &mut Vec<Result<Input, (String, io::Error)>>) {
    // `.gitignore` counts outside a git repository too: a copied project tree is checked the same.
    // Hidden entries are left out here rather than by the walker, so the named directory itself
    // may be hidden (`~/.claude/projects`).
    let walker = ignore::WalkBuilder::new(dir)
        .require_git(false)
        .hidden(false)
        .filter_entry(|entry| entry.depth() == 0 || !entry.file_name().as_encoded_bytes().starts_with(b"."))
        .sort_by_file_path(Path::cmp)
        .build();
    for entry in walker {
        match entry {
            Ok(entry) if entry.file_type().is_some_and(|kind| kind.is_file()) => {
                inputs.push(Ok(Input::File { path: entry.into_path(), named: false }));
            }
            Ok(entry) if entry.file_type().is_some_and(|kind| kind.is_dir()) => {
                let history = entry.path().join(AIDER_HISTORY);
                if history.is_file() {
                    inputs.push(Ok(Input::File { path: history, named: false }));
                }
            }
            Ok(_) => {}
            Err(err) => {
                let path = match &err {
                    ignore::Error::WithPath { path, .. } => path.display().to_string(),
                    _ => dir.display().to_string(),
                };
                inputs.push(Err((path, io::Error::other(err.to_string()))));
            }
        }
    }
}

/// Whether a chunk looks like binary data rather than text: it has a NUL byte (as git and
/// ripgrep decide).
pub fn looks_binary(chunk: &[u8]) -> bool {
    memchr::memchr(0, chunk).is_some()
}

/// On a terminal, plain `axiom check` would seem to hang: say what it waits for.
pub fn hint_if_stdin_is_a_terminal(inputs: &[Result<Input, (String, io::Error)>]) {
    if inputs.iter().any(|input| matches!(input, Ok(Input::Stdin))) && io::stdin().is_terminal() {
        crate::logging::note!("axiom: reading the text to check from the terminal; end it with Ctrl-D (or name files or directories: axiom check FILE|DIR)");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_is_walked_in_order_skipping_ignored_and_hidden_files() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path();
        for (name, text) in [
            ("b.log", "b"),
            ("a.log", "a"),
            ("sub/c.log", "c"),
            ("build/out.log", "x"),
            (".hidden.log", "h"),
            (".gitignore", "build/\n*.tmp\n"),
            ("skip.tmp", "t"),
        ] {
            std::fs::create_dir_all(dir.join(name).parent().unwrap()).unwrap();
            std::fs::write(dir.join(name), text).unwrap();
        }
        let found: Vec<String> = expand(&[dir.to_path_buf()]).into_iter().map(|input| input.unwrap().name()).collect();
        let relative: Vec<String> =
            found.iter().map(|path| path.strip_prefix(&format!("{}/", dir.display())).unwrap().to_owned()).collect();
        assert_eq!(relative, ["a.log", "b.log", "sub/c.log"]);
    }

    #[test]
    fn aider_histories_are_found_though_hidden_and_ignored() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join(".sessions");
        for (name, text) in [
            ("p/.aider.chat.history.md", "h"),
            ("p/.gitignore", ".aider*\n"),
            ("p/.aider.input.history", "i"),
            ("p/main.py", "m"),
            ("q/.git/HEAD", "x"),
            ("q/log.jsonl", "{}"),
        ] {
            std::fs::create_dir_all(dir.join(name).parent().unwrap()).unwrap();
            std::fs::write(dir.join(name), text).unwrap();
        }
        let found: Vec<String> =
            expand(std::slice::from_ref(&dir)).into_iter().map(|input| input.unwrap().name()).collect();
        let relative: Vec<&str> =
            found.iter().map(|path| path.strip_prefix(&format!("{}/", dir.display())).unwrap()).collect();
        assert_eq!(relative, ["p/.aider.chat.history.md", "p/main.py", "q/log.jsonl"]);
    }

    #[test]
    fn no_arguments_or_a_dash_mean_stdin_and_files_are_named() {
        assert_eq!(expand(&[]).into_iter().map(Result::unwrap).collect::<Vec<_>>(), [Input::Stdin]);
        let inputs: Vec<Input> = expand(&["-".into(), "missing.log".into()]).into_iter().map(Result::unwrap).collect();
        assert_eq!(inputs, [Input::Stdin, Input::File { path: "missing.log".into(), named: true }]);
    }

    #[test]
    fn nul_bytes_mean_binary() {
        assert!(looks_binary(b"ELF\0\x01"));
        assert!(!looks_binary("plain text, ünïcode, \x1b[31mred\x1b[0m".as_bytes()));
    }
}
