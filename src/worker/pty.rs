//! The PTY driver: the child gets a pseudo-terminal as its controlling terminal, in a new session.
//!
//! `pty-process` opens the master, makes the child a session leader (so its pgid is its pid, like the
//! pipe driver's) and sets the terminal as its stdin, stdout and stderr. Everything the child writes,
//! to either stream, comes back merged as [`OutputStream::Stdout`], with the terminal's own translations
//! (`\n` becomes `\r\n`) and the echo of our input. The terminal starts in line mode with echo and
//! signals on, so `0x03` raises `SIGINT` and `0x04` at the start of a line is end of file; a TUI that
//! switches to raw mode receives those bytes itself.

use std::io;

use super::handle::Started;
use super::input::CloseMode;
use super::signals;
use super::{OutputStream, SpawnError, SpawnSpec};

/// `TERM` given to a PTY child when neither the spec nor the worker's environment sets one: programs
/// that find no `TERM` fall back to a dumb terminal, or refuse to start their TUI.
const FALLBACK_TERM: &str = "xterm-256color";

/// Ctrl-D: end of file for a terminal in line mode.
const EOF_BYTE: u8 = 0x04;

/// Start `spec` on a new pseudo-terminal. The caller checked that `argv` is not empty and `cwd` exists.
pub(crate) fn start(spec: &SpawnSpec) -> Result<Started, SpawnError> {
    let program = spec.program();
    let pty_error = |source: io::Error| SpawnError::Pty { program: program.to_string(), source };
    let (pty, pts) = pty_process::open().map_err(|err| pty_error(into_io(err)))?;
    let (rows, cols) = spec.pty_size;
    pty.resize(pty_process::Size::new(rows, cols)).map_err(|err| pty_error(into_io(err)))?;

    let mut cmd = tokio::process::Command::new(program);
    cmd.args(&spec.argv[1..]).envs(spec.env.iter().map(|(k, v)| (k, v)));
    let sets_term = spec.env.iter().any(|(k, _)| k == "TERM");
    if !sets_term && std::env::var_os("TERM").is_none_or(|t| t.is_empty()) {
        cmd.env("TERM", FALLBACK_TERM);
    }
    if let Some(cwd) = &spec.cwd {
        cmd.current_dir(cwd);
    }
    let worker = signals::this_process();
    // SAFETY: the closure only calls async-signal-safe functions (see `prepare_child`). It runs
    // before the `setsid` + `TIOCSCTTY` that pty-process registers when it spawns.
    unsafe {
        cmd.pre_exec(move || signals::prepare_child(worker));
    }
    // `spawn` consumes `pts` and drops the parent's copies of the terminal, so the master reads EIO
    // (end of file) once the child and everything it started have closed the terminal.
    let child = pty_process::Command::from(cmd).spawn(pts).map_err(|err| match err {
        pty_process::Error::Io(err) => SpawnError::from_spawn(program, err),
        other => pty_error(into_io(other)),
    })?;

    let (reader, writer) = pty.into_split();
    Ok(Started {
        child,
        outputs: vec![(OutputStream::Stdout, Box::pin(reader))],
        input: Box::pin(writer),
        close: CloseMode::Send(EOF_BYTE),
    })
}

fn into_io(err: pty_process::Error) -> io::Error {
    match err {
        pty_process::Error::Io(err) => err,
        pty_process::Error::Rustix(errno) => io::Error::from_raw_os_error(errno.raw_os_error()),
        other => io::Error::other(other.to_string()),
    }
}
