//! `axiom run` with data on its standard input (`echo hi | axiom run -- cat`, `axiom run -- sort <
//! file`): the bytes are passed to the command's input as they arrive, and where they end the
//! command gets end of file, as it would without axiom in between.
//!
//! Only a pipe, a socket or a regular file is read. A terminal is a person's (the pty driver
//! forwards its keys; [`super::tty`]), and `/dev/null` or another device means "no input": the
//! command's input then stays open, so corrections can be written to it.

use std::sync::Arc;

use tokio::io::AsyncReadExt;

use crate::tasks::{Task, TaskError, OUTSTANDING_LIMIT};

/// How much is read at once, and so the most one input command carries.
const CHUNK: usize = 64 * 1024;

/// Writes allowed to wait for the worker at once: enough to keep a fast reader busy, and few
/// enough to leave room for corrections (and to hold at most this many chunks in memory).
const IN_FLIGHT: usize = OUTSTANDING_LIMIT / 4;

/// Whether standard input holds data to pass on: a pipe, a socket or a regular file.
pub fn stdin_has_data() -> bool {
    // SAFETY: fstat writes one `stat` into memory we own; a closed descriptor is an error.
    let mut stat: libc::stat = unsafe { std::mem::zeroed() };
    if unsafe { libc::fstat(libc::STDIN_FILENO, &mut stat) } != 0 {
        return false;
    }
    matches!(stat.st_mode & libc::S_IFMT, libc::S_IFIFO | libc::S_IFSOCK | libc::S_IFREG)
}

/// Copies standard input to the task's input until it ends or the task does; then, unless
/// `keep_open`, gives the command end of file.
pub async fn forward(task: Arc<Task>, keep_open: bool) {
    let mut stdin = tokio::io::stdin();
    let mut buf = vec![0u8; CHUNK];
    loop {
        let read = match stdin.read(&mut buf).await {
            Ok(0) => break,
            Ok(read) => read,
            Err(err) => {
                eprintln!("axiom: cannot read standard input: {err}");
                break;
            }
        };
        loop {
            task.wait_for_room(IN_FLIGHT).await;
            match task.send_keys(&buf[..read]) {
                Ok(()) => break,
                // Corrections took the room meanwhile: wait for it again.
                Err(TaskError::WorkerBusy(_)) => continue,
                // The task has ended: nobody reads the rest, as with a pipe whose reader exited.
                Err(_) => return,
            }
        }
    }
    if !keep_open {
        task.wait_for_room(IN_FLIGHT).await;
        let _ = task.end_input();
    }
}
