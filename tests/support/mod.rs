//! Runs the real `axiom` binary in a sandbox: an empty working directory, an empty `$HOME` and
//! `$XDG_CONFIG_HOME`, and no `$AXIOM_RULES`, so no rule source leaks in from the machine.
#![allow(dead_code)] // each test crate uses a different part of this module

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use tempfile::TempDir;

/// What a finished run left behind.
#[derive(Debug)]
pub struct Run {
    /// The exit code; `None` when a signal ended the process.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Every stdout line parsed as JSON (panics, naming the line, if one is not JSON).
    pub fn json_lines(&self) -> Vec<serde_json::Value> {
        self.stdout
            .lines()
            .map(|line| serde_json::from_str(line).unwrap_or_else(|err| panic!("not JSON ({err}): {line:?}")))
            .collect()
    }
}

/// A temporary directory laid out as `work/` (the working directory), `home/` and `config/`.
pub struct Sandbox {
    root: TempDir,
}

impl Sandbox {
    pub fn new() -> Self {
        let root = tempfile::tempdir().expect("create a temp dir");
        for dir in ["work", "home", "config"] {
            std::fs::create_dir(root.path().join(dir)).unwrap();
        }
        Sandbox { root }
    }

    /// The sandbox root; `work/`, `home/` and `config/` are inside it.
    pub fn root(&self) -> &Path {
        self.root.path()
    }

    /// Writes a file under the sandbox root, creating its directories; returns its absolute path.
    pub fn write(&self, relative: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.root.path().join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, contents).unwrap();
        path
    }

    /// `axiom ARGS` with the sandbox's environment; callers may add or override variables.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_axiom"));
        command
            .args(args)
            .current_dir(self.root.path().join("work"))
            .env_remove("AXIOM_RULES")
            .env_remove("NO_COLOR")
            .env("HOME", self.root.path().join("home"))
            .env("XDG_CONFIG_HOME", self.root.path().join("config"));
        command
    }

    /// Runs `axiom ARGS` with `stdin` as its input and waits for it.
    pub fn run(&self, args: &[&str], stdin: &[u8]) -> Run {
        run_command(self.command(args), stdin)
    }
}

/// Spawns `command` with piped stdio.
pub fn spawn(mut command: Command) -> Child {
    command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    command.spawn().expect("spawn axiom")
}

/// Runs `command`, feeding `stdin` from another thread (so large inputs cannot deadlock).
pub fn run_command(command: Command, stdin: &[u8]) -> Run {
    let mut child = spawn(command);
    let mut pipe = child.stdin.take().unwrap();
    let input = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        // The child may stop reading early (an error, a closed pipe); that is not this helper's concern.
        let _ = pipe.write_all(&input);
    });
    let output = child.wait_with_output().expect("wait for axiom");
    writer.join().unwrap();
    Run {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// `axiom … | head -1`: runs `command` with `stdin`, reads one line of its stdout, closes the pipe,
/// and waits. Returns that line and the run (whose `stdout` is empty).
pub fn head_one(command: Command, stdin: Vec<u8>) -> (String, Run) {
    let mut child = spawn(command);
    let mut pipe = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        let _ = pipe.write_all(&stdin); // the child may stop reading
    });
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    drop(stdout);
    let output = child.wait_with_output().expect("wait for axiom");
    writer.join().unwrap();
    let run = Run {
        code: output.status.code(),
        stdout: String::new(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    (line, run)
}

/// Splits `FILE:LINE:COL: rest` into its parts, when `line` has that shape for `file`.
pub fn located<'a>(line: &'a str, file: &str) -> Option<(usize, usize, &'a str)> {
    let rest = line.strip_prefix(file)?.strip_prefix(':')?;
    let mut parts = rest.splitn(3, ':');
    let line_no = parts.next()?.parse().ok()?;
    let column = parts.next()?.parse().ok()?;
    Some((line_no, column, parts.next()?.strip_prefix(' ')?))
}
