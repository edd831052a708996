//! Reading a task's output wherever it is: its ring in memory while it holds the bytes asked for,
//! else its history on disk (read on a blocking thread, by offset, never whole).
//!
//! A blocking thread cannot be aborted, so each read carries a flag that is set when the future
//! waiting for it is dropped (its client left, or the hub is stopping): the read checks it as it
//! goes and gives up, instead of running on for nobody and holding up the hub's exit.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use super::journal;
use super::{OutputRead, StoredChunk, Task};

/// Up to `max` bytes of output from `since`.
pub async fn read_output(task: &Arc<Task>, since: u64, max: usize) -> OutputRead {
    let read = task.read_output(since, max);
    let Some(path) = task.history_path().filter(|_| read.truncated) else { return read };
    match until_dropped(move |stop| journal::read_output_until(&path, since, max, stop)).await {
        Some(Ok(stored)) => stored,
        Some(Err(err)) => {
            tracing::warn!(task = %task.id, "cannot read its history: {err}");
            read
        }
        None => read,
    }
}

/// Where the last `lines` lines of the output start.
pub async fn tail_cursor(task: &Arc<Task>, lines: usize) -> u64 {
    let (cursor, start) = task.tail_cursor_in_memory(lines);
    // The ring ran out before finding them all: the history reaches further back.
    let Some(path) = task.history_path().filter(|_| lines > 0 && cursor == start && start > 0) else { return cursor };
    match until_dropped(move |stop| journal::tail_cursor_until(&path, lines, stop)).await {
        Some(Ok(cursor)) => cursor,
        _ => cursor,
    }
}

/// Output chunks (with their streams) from `since`, at most `max` bytes, from the history: for a
/// subscriber that fell behind the ring. Returns the chunks and where they start.
pub async fn chunks_from_history(task: &Arc<Task>, since: u64, max: usize) -> Option<(Vec<StoredChunk>, u64)> {
    let path = task.history_path()?;
    until_dropped(move |stop| journal::read_chunks_until(&path, since, max, stop)).await?.ok()
}

/// Runs `work` on a blocking thread with a flag that is set once nobody awaits its result.
async fn until_dropped<T: Send + 'static>(work: impl FnOnce(&AtomicBool) -> T + Send + 'static) -> Option<T> {
    let stop = Arc::new(AtomicBool::new(false));
    let _stop_when_dropped = StopOnDrop(Arc::clone(&stop));
    tokio::task::spawn_blocking(move || work(&stop)).await.ok()
}

struct StopOnDrop(Arc<AtomicBool>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_blocking_read_stops_when_its_future_is_dropped() {
        let (started, has_started) = tokio::sync::oneshot::channel();
        let (ended, has_ended) = std::sync::mpsc::channel();
        let read = until_dropped(move |stop| {
            let _ = started.send(());
            // Stands for a long read: it runs until told to stop.
            while !stop.load(Ordering::Relaxed) {
                std::thread::yield_now();
            }
            let _ = ended.send(());
        });
        tokio::select! {
            _ = read => panic!("the read ended by itself"),
            _ = has_started => {}
        }
        // The select dropped the read's future: the work is told, and ends.
        let bound = std::time::Duration::from_secs(10);
        let ended = tokio::task::spawn_blocking(move || has_ended.recv_timeout(bound)).await.unwrap();
        ended.expect("the blocking read stopped");
    }
}
