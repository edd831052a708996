//! The PTY driver: the child gets a pseudo-terminal as its controlling terminal, in a new session.
//!
//! `pty-process` opens the master, makes the child a session leader (so its pgid is its pid, like the
//! pipe driver's) and sets the terminal as its stdin, stdout and stderr. Everything the child writes,
//! to either stream, comes back merged as [`OutputStream::Stdout`], with the terminal's own translations
//! (`\n` becomes `\r\n`) and the echo of our input. The terminal starts in line mode with echo and
//! signals on, so `0x03` raises `SIGINT` and `0x04` at the start of a line is end of file; a TUI that
//! switches to raw mode receives those bytes itself.

use std::io;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::sync::Arc;

use super::handle::Started;
use super::input::CloseMode;
use super::screen::{Screen, Tee};
use super::signals;
use super::typing::PersonLine;
use super::{OutputStream, SpawnError, SpawnSpec};
use crate::pipeline::PromptSpec;

/// What the worker keeps of a PTY besides its two ends: a copy of the master for resizing, and
/// the screen its output draws (see [`super::screen`]).
#[derive(Debug)]
pub(crate) struct PtyControl {
    master: OwnedFd,
    pub(crate) screen: Arc<Screen>,
    /// Held while text is typed and submitted, and by each batch of a person's keys, so the two never
    /// mix inside one line.
    pub(crate) typing: tokio::sync::Mutex<()>,
    /// Whether a person is in the middle of a line.
    pub(crate) person: std::sync::Mutex<PersonLine>,
    /// The agent's prompt: where typed text sits until it is submitted, and whether the agent works.
    pub(crate) prompt: PromptSpec,
}

impl PtyControl {
    /// Sets the terminal's size; the kernel sends `SIGWINCH` to the child's foreground group.
    pub(crate) fn resize(&self, rows: u16, cols: u16) -> io::Result<()> {
        let size = libc::winsize { ws_row: rows.max(1), ws_col: cols.max(1), ws_xpixel: 0, ws_ypixel: 0 };
        // SAFETY: TIOCSWINSZ reads one `winsize` from the pointer, which outlives the call.
        if unsafe { libc::ioctl(self.master.as_raw_fd(), libc::TIOCSWINSZ, &size) } != 0 {
            return Err(io::Error::last_os_error());
        }
        self.screen.resize(rows.max(1), cols.max(1));
        Ok(())
    }

    /// Presses Ctrl-C now, ahead of any input still queued or being typed: an interrupt must not
    /// wait behind a write to a child that does not read, nor behind a correction being typed.
    /// A terminal in signal mode (`ISIG`, line mode and most programs) gets the `SIGINT` it would
    /// raise for the byte, sent to its foreground process group at once: the byte itself could land
    /// behind input the child never reads, where the terminal never looks at it. A raw-mode TUI gets
    /// the byte, written straight to the master (non-blocking, as pty-process opens it), since it
    /// reads Ctrl-C as a key; if even that finds the terminal's input full, `SIGINT` instead.
    pub(crate) fn press_ctrl_c(&self) -> io::Result<()> {
        let fd = self.master.as_raw_fd();
        if !signal_mode(fd)? {
            // SAFETY: writes one byte from a live buffer to a descriptor we own.
            if unsafe { libc::write(fd, [CTRL_C].as_ptr().cast(), 1) } == 1 {
                return Ok(());
            }
            let err = io::Error::last_os_error();
            if err.kind() != io::ErrorKind::WouldBlock {
                return Err(err);
            }
            tracing::debug!("the terminal's input is full; SIGINT to its foreground group instead of Ctrl-C");
        }
        // SAFETY: tcgetpgrp only reads the terminal's foreground group.
        let group = unsafe { libc::tcgetpgrp(fd) };
        if group <= 1 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: killpg has no memory-safety preconditions; `group > 1`.
        if unsafe { libc::killpg(group, libc::SIGINT) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }
}

/// Whether the terminal behind master `fd` turns Ctrl-C into `SIGINT` (`ISIG`); on Linux a pty's
/// master reports the settings its child made on the other end.
fn signal_mode(fd: std::os::fd::RawFd) -> io::Result<bool> {
    // SAFETY: an all-zero termios is a valid value for tcgetattr to overwrite.
    let mut settings: libc::termios = unsafe { std::mem::zeroed() };
    // SAFETY: tcgetattr writes one termios into a live local.
    if unsafe { libc::tcgetattr(fd, &mut settings) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(settings.c_lflag & libc::ISIG != 0)
}

/// `TERM` given to a PTY child when neither the spec nor the worker's environment sets one: programs
/// that find no `TERM` fall back to a dumb terminal, or refuse to start their TUI.
const FALLBACK_TERM: &str = "xterm-256color";

/// Ctrl-D: end of file for a terminal in line mode.
const EOF_BYTE: u8 = 0x04;
/// Ctrl-C: a terminal in signal mode turns it into `SIGINT` for its foreground process group.
const CTRL_C: u8 = 0x03;

/// Start `spec` on a new pseudo-terminal. The caller checked that `argv` is not empty and `cwd` exists.
pub(crate) fn start(spec: &SpawnSpec) -> Result<Started, SpawnError> {
    let program = spec.program();
    let pty_error = |source: io::Error| SpawnError::Pty { program: program.to_string(), source };
    let prompt =
        PromptSpec::from_pattern(spec.prompt_pattern.as_deref()).map_err(|err| pty_error(io::Error::other(err)))?;
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

    let master = pty.as_fd().try_clone_to_owned().map_err(pty_error)?;
    let screen = Screen::new(rows, cols);
    let (reader, writer) = pty.into_split();
    Ok(Started {
        child,
        outputs: vec![(OutputStream::Stdout, Box::pin(Tee::new(reader, Arc::clone(&screen))))],
        input: Box::pin(writer),
        close: CloseMode::Send(EOF_BYTE),
        pty: Some(PtyControl {
            master,
            screen,
            typing: tokio::sync::Mutex::new(()),
            person: Default::default(),
            prompt,
        }),
    })
}

fn into_io(err: pty_process::Error) -> io::Error {
    match err {
        pty_process::Error::Io(err) => err,
        pty_process::Error::Rustix(errno) => io::Error::from_raw_os_error(errno.raw_os_error()),
        other => io::Error::other(other.to_string()),
    }
}
