//! Reading a task's output wherever it is: its ring in memory while it holds the bytes asked for,
//! else its history on disk (read on a blocking thread, by offset, never whole).

use std::sync::Arc;

use super::journal;
use super::{OutputRead, StoredChunk, Task};

/// Up to `max` bytes of output from `since`.
pub async fn read_output(task: &Arc<Task>, since: u64, max: usize) -> OutputRead {
    let read = task.read_output(since, max);
    let Some(path) = task.history_path().filter(|_| read.truncated) else { return read };
    let stored = tokio::task::spawn_blocking(move || journal::read_output(&path, since, max)).await;
    match stored {
        Ok(Ok(stored)) => stored,
        Ok(Err(err)) => {
            tracing::warn!(task = %task.id, "cannot read its history: {err}");
            read
        }
        Err(_) => read,
    }
}

/// Where the last `lines` lines of the output start.
pub async fn tail_cursor(task: &Arc<Task>, lines: usize) -> u64 {
    let (cursor, start) = task.tail_cursor_in_memory(lines);
    // The ring ran out before finding them all: the history reaches further back.
    let Some(path) = task.history_path().filter(|_| lines > 0 && cursor == start && start > 0) else { return cursor };
    match tokio::task::spawn_blocking(move || journal::tail_cursor(&path, lines)).await {
        Ok(Ok(cursor)) => cursor,
        _ => cursor,
    }
}

/// Output chunks (with their streams) from `since`, at most `max` bytes, from the history: for a
/// subscriber that fell behind the ring. Returns the chunks and where they start.
pub async fn chunks_from_history(task: &Arc<Task>, since: u64, max: usize) -> Option<(Vec<StoredChunk>, u64)> {
    let path = task.history_path()?;
    tokio::task::spawn_blocking(move || journal::read_chunks(&path, since, max)).await.ok()?.ok()
}
