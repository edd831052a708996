//! When a task's output can no longer be shown (`axiom run -- cmd | head`): what went wrong, and
//! how to learn that stdout's reader left while the task prints nothing.

use std::io;
use std::os::fd::AsFd as _;

use tokio::io::unix::AsyncFd;
use tokio::io::Interest;

/// Why a task's output can no longer be shown by `run` or a following client. The task is then
/// stopped (a `--command` task) as the command would have been had it written there itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShowFailure {
    /// The reader of stdout or stderr went away (`| head`): the command would have had SIGPIPE.
    ReaderLeft,
    /// Writing failed otherwise (`> /dev/full`): the command would have seen the error.
    WriteFailed(String),
}

impl ShowFailure {
    pub fn of(err: &io::Error) -> ShowFailure {
        match err.kind() {
            io::ErrorKind::BrokenPipe => ShowFailure::ReaderLeft,
            _ => ShowFailure::WriteFailed(err.to_string()),
        }
    }

    /// 141 (128 + SIGPIPE) for a reader that left, 2 (axiom failed) for an error.
    pub fn exit_code(&self) -> u8 {
        match self {
            ShowFailure::ReaderLeft => 141,
            ShowFailure::WriteFailed(_) => super::EXIT_ERROR,
        }
    }

    /// The line that says so, and what becomes of the task (`then`: `stopping task x`).
    pub fn line(&self, then: &str) -> String {
        match self {
            ShowFailure::ReaderLeft => format!("axiom: the output's reader left; {then}"),
            ShowFailure::WriteFailed(error) => format!("axiom: the output cannot be written ({error}); {then}"),
        }
    }
}

/// Resolves once stdout is a pipe whose reader has gone (the kernel reports an error condition
/// on a pipe's write end then), as GNU `tail -f` notices it: a follower piped into `grep -m1
/// ready` goes when grep does, not at the task's next line. Never resolves for a terminal, a file
/// or a pipe still read.
pub async fn stdout_reader_left() {
    // A copy of the descriptor, owned by the watch, so it stays open as long as the watch lives.
    let Ok(copy) = io::stdout().as_fd().try_clone_to_owned() else { return std::future::pending().await };
    // SAFETY: the `OwnedFd` is valid and open, and the `AsyncFd` owns it until it is dropped.
    // A regular file cannot be watched (epoll refuses it) and never loses its reader.
    let Ok(stdout) = (unsafe { AsyncFd::register_with_interest(copy, Interest::ERROR) }) else {
        return std::future::pending().await;
    };
    loop {
        match stdout.ready(Interest::ERROR).await {
            Ok(guard) if guard.ready().is_error() => return,
            Ok(mut guard) => guard.clear_ready(),
            Err(_) => return std::future::pending().await,
        }
    }
}
