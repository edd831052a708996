//! `axiom run` or `axiom client --command` with data on its standard input (`echo hi | axiom run
//! -- cat`, `axiom client --command sort < file`): the bytes are passed to the command's input as
//! they arrive, and where they end the command gets end of file, as it would without axiom in
//! between. `axiom run` hands them to its task here; the client sends them to the hub
//! ([`crate::protocol::ClientRequest::Input`]).
//!
//! Only a pipe, a socket or a regular file is read. A terminal is a person's (the pty driver
//! forwards its keys; [`super::tty`]), and `/dev/null` or another device means "no input": the
//! command's input then stays open, so corrections can be written to it.

use std::sync::Arc;

use tokio::io::AsyncReadExt;
use tokio::sync::mpsc;

use crate::tasks::Task;

/// How much is read at once, and so the most one input command carries.
const CHUNK: usize = 64 * 1024;

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
    let mut chunks = read_ahead();
    let mut at = 0u64;
    while let Some(chunk) = chunks.recv().await {
        // An error means the task has ended: nobody reads the rest, as with a pipe whose reader exited.
        if task.pipe_input(at, &chunk).await.is_err() {
            return;
        }
        at += chunk.len() as u64;
    }
    if !keep_open {
        let _ = task.end_piped_input().await;
    }
}

/// Standard input, read one chunk ahead on a task of its own; the channel closes where the input
/// ends (or cannot be read, which is said on stderr).
pub fn read_ahead() -> mpsc::Receiver<Vec<u8>> {
    let (chunks, receiver) = mpsc::channel(1);
    tokio::spawn(async move {
        let mut stdin = tokio::io::stdin();
        loop {
            let mut buf = vec![0u8; CHUNK];
            match stdin.read(&mut buf).await {
                Ok(0) => return,
                Ok(read) => {
                    buf.truncate(read);
                    if chunks.send(buf).await.is_err() {
                        return;
                    }
                }
                Err(err) => {
                    crate::logging::note!("axiom: cannot read standard input: {err}");
                    return;
                }
            }
        }
    });
    receiver
}
