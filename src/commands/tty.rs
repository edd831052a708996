//! `axiom run` with a person at the keyboard: the terminal in raw mode, every key forwarded to the
//! task, and the real window size followed.
//!
//! Raw mode is undone on every way out: when [`RawMode`] is dropped (the task ended, an error, a
//! signal that made `run` return), and by a panic hook for a panic anywhere. Only `SIGKILL` leaves
//! the terminal raw (`reset` or `stty sane` fixes it).

use std::io;
use std::os::fd::RawFd;
use std::sync::{Arc, Mutex, Once};

use tokio::io::AsyncReadExt;
use tokio::signal::unix::{signal, SignalKind};

use crate::tasks::Task;

const STDIN: RawFd = libc::STDIN_FILENO;

/// The settings raw mode replaced, for the panic hook; `None` while not in raw mode.
static SAVED: Mutex<Option<libc::termios>> = Mutex::new(None);

/// True when both standard input and standard output are terminals: a person is there.
pub fn attached() -> bool {
    // SAFETY: isatty only inspects the descriptors.
    unsafe { libc::isatty(STDIN) == 1 && libc::isatty(libc::STDOUT_FILENO) == 1 }
}

/// The window size of the terminal on standard output (or input), as `(rows, cols)`.
pub fn window_size() -> Option<(u16, u16)> {
    for fd in [libc::STDOUT_FILENO, STDIN] {
        let mut size = libc::winsize { ws_row: 0, ws_col: 0, ws_xpixel: 0, ws_ypixel: 0 };
        // SAFETY: TIOCGWINSZ writes one `winsize` into memory we own.
        if unsafe { libc::ioctl(fd, libc::TIOCGWINSZ, &mut size) } == 0 && size.ws_row > 0 && size.ws_col > 0 {
            return Some((size.ws_row, size.ws_col));
        }
    }
    None
}

/// The terminal in raw mode while this lives: keys reach us one by one, unechoed, and Ctrl-C, Ctrl-Z
/// and Ctrl-\ are keys for the child rather than signals for axiom.
pub struct RawMode(());

impl RawMode {
    /// Switches standard input to raw mode.
    ///
    /// # Errors
    ///
    /// Standard input is not a terminal, or its settings could not be read or changed.
    pub fn enter() -> io::Result<RawMode> {
        install_panic_hook();
        let mut original = unsafe { std::mem::zeroed::<libc::termios>() };
        // SAFETY: tcgetattr fills the termios we own.
        if unsafe { libc::tcgetattr(STDIN, &mut original) } != 0 {
            return Err(io::Error::last_os_error());
        }
        let mut raw = original;
        // SAFETY: cfmakeraw only edits the struct we own.
        unsafe { libc::cfmakeraw(&mut raw) };
        *SAVED.lock().unwrap_or_else(|p| p.into_inner()) = Some(original);
        // SAFETY: tcsetattr reads the termios we own.
        if unsafe { libc::tcsetattr(STDIN, libc::TCSANOW, &raw) } != 0 {
            let err = io::Error::last_os_error();
            SAVED.lock().unwrap_or_else(|p| p.into_inner()).take();
            return Err(err);
        }
        Ok(RawMode(()))
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        restore();
    }
}

/// Puts back the settings raw mode replaced, if it is on. Safe to call more than once.
fn restore() {
    let saved = SAVED.lock().unwrap_or_else(|p| p.into_inner()).take();
    if let Some(original) = saved {
        // SAFETY: tcsetattr reads the termios we saved.
        unsafe { libc::tcsetattr(STDIN, libc::TCSANOW, &original) };
    }
}

/// A panic must not leave the person's terminal raw: restore it before the message is printed.
fn install_panic_hook() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore();
            previous(info);
        }));
    });
}

/// Forwards every key typed on standard input to `task` as it comes, until input ends or the
/// task does. Runs as its own task; reading the terminal happens on a blocking thread.
pub async fn forward_keys(task: Arc<Task>) {
    let mut stdin = tokio::io::stdin();
    let mut buf = vec![0u8; 4096];
    loop {
        let read = match stdin.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(read) => read,
        };
        if task.status().is_finished() {
            return;
        }
        if let Err(err) = task.send_keys(&buf[..read]) {
            tracing::debug!("a key was not forwarded: {err}");
        }
    }
}

/// Follows the window size: on every `SIGWINCH`, the task's terminal is resized to match.
pub async fn follow_window_size(task: Arc<Task>) {
    let Ok(mut changes) = signal(SignalKind::window_change()) else { return };
    let mut last = window_size();
    while changes.recv().await.is_some() {
        let size = window_size();
        if size == last {
            continue;
        }
        last = size;
        if let Some((rows, cols)) = size {
            if task.resize(rows, cols).is_err() && task.status().is_finished() {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restoring_without_raw_mode_does_nothing() {
        restore();
        restore();
        assert!(SAVED.lock().unwrap().is_none());
    }
}
