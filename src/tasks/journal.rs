//! Durable task history: one append-only JSON Lines file per task, `<state>/tasks/<id>/events.jsonl`.
//!
//! Writes happen on a dedicated thread, never on the async runtime. The thread drains everything
//! queued, writes it, and only then reports each task's output as persisted — the hub acknowledges
//! output to its worker only after that, and the worker keeps every chunk until acknowledged. So:
//!
//! - a hub that exits cleanly or crashes (even SIGKILL) loses no output: what was not yet written
//!   is still held by the worker and replayed when it reconnects;
//! - on power loss, at most [`SYNC_INTERVAL`] of acknowledged output is at risk (files are
//!   `fdatasync`ed that often while they change).

use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tokio::sync::watch;

use crate::protocol::{InterventionRecord, Payload, TaskStatus};
use crate::worker::OutputStream;

/// How often changed files are synced to disk.
pub const SYNC_INTERVAL: Duration = Duration::from_secs(1);

/// One line of a task's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    Spawn {
        task_id: String,
        command: Vec<String>,
        started_at: u64,
        worker_token: String,
    },
    Output {
        seq: u64,
        stream: OutputStream,
        #[serde(flatten)]
        payload: Payload,
    },
    Intervention {
        record: InterventionRecord,
    },
    Ack {
        id: u64,
        delivered: bool,
        error: Option<String>,
    },
    Status {
        status: TaskStatus,
        pid: Option<u32>,
        at: u64,
    },
}

enum Op {
    Append { task_id: String, line: Vec<u8>, persisted: Option<(u64, watch::Sender<u64>)> },
    Flush(mpsc::Sender<()>),
}

/// Handle to the journal thread. Cheap to clone.
#[derive(Clone)]
pub struct Journal {
    ops: mpsc::Sender<Op>,
    root: PathBuf,
}

impl Journal {
    /// Starts the writer thread for task histories under `<state>/tasks/`.
    pub fn open(state_dir: &Path) -> io::Result<Journal> {
        let root = state_dir.join("tasks");
        fs::create_dir_all(&root)?;
        let (ops, queue) = mpsc::channel();
        let writer_root = root.clone();
        // Background priority: under a flood, writing histories must not take the CPU from
        // answering a quiet agent (its output is acknowledged a little later, nothing more).
        crate::background::spawn("axiom-journal", move || write_loop(&writer_root, queue))?;
        Ok(Journal { ops, root })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn events_path(&self, task_id: &str) -> PathBuf {
        self.root.join(task_id).join("events.jsonl")
    }

    /// Queues an event. For output, `persisted` is told `seq + 1` once the line is written.
    pub fn append(&self, task_id: &str, event: &Event, persisted: Option<(u64, watch::Sender<u64>)>) {
        let mut line = serde_json::to_vec(event).expect("events always serialize");
        line.push(b'\n');
        // The thread only stops when every handle is gone, so a failed send has nobody to tell.
        let _ = self.ops.send(Op::Append { task_id: task_id.to_owned(), line, persisted });
    }

    /// Waits until everything queued so far is written (used at shutdown).
    pub fn flush(&self) {
        let (done, wait) = mpsc::channel();
        if self.ops.send(Op::Flush(done)).is_ok() {
            let _ = wait.recv_timeout(Duration::from_secs(10));
        }
    }
}

fn write_loop(root: &Path, queue: mpsc::Receiver<Op>) {
    let mut files: HashMap<String, BufWriter<File>> = HashMap::new();
    let mut unsynced: HashMap<String, Instant> = HashMap::new();
    loop {
        let first = match queue.recv_timeout(SYNC_INTERVAL) {
            Ok(op) => Some(op),
            Err(mpsc::RecvTimeoutError::Timeout) => None,
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        };
        let mut persisted: HashMap<String, (u64, watch::Sender<u64>)> = HashMap::new();
        let mut flushes = Vec::new();
        for op in first.into_iter().chain(std::iter::from_fn(|| queue.try_recv().ok())) {
            match op {
                Op::Append { task_id, line, persisted: mark } => {
                    let file = match files.get_mut(&task_id) {
                        Some(file) => file,
                        None => match open_events(root, &task_id) {
                            Ok(file) => files.entry(task_id.clone()).or_insert(file),
                            Err(err) => {
                                tracing::error!(task = %task_id, "cannot open the task history: {err}");
                                continue;
                            }
                        },
                    };
                    if let Err(err) = file.write_all(&line) {
                        tracing::error!(task = %task_id, "cannot write the task history: {err}");
                        continue;
                    }
                    unsynced.entry(task_id.clone()).or_insert_with(Instant::now);
                    if let Some(mark) = mark {
                        persisted.insert(task_id, mark);
                    }
                }
                Op::Flush(done) => flushes.push(done),
            }
        }
        for (task_id, file) in &mut files {
            if let Err(err) = file.flush() {
                tracing::error!(task = %task_id, "cannot write the task history: {err}");
                persisted.remove(task_id);
            }
        }
        for (seq, sender) in persisted.into_values() {
            sender.send_modify(|next| *next = (*next).max(seq + 1));
        }
        unsynced.retain(|task_id, since| {
            if since.elapsed() < SYNC_INTERVAL && flushes.is_empty() {
                return true;
            }
            if let Some(file) = files.get(task_id) {
                let _ = file.get_ref().sync_data();
            }
            false
        });
        for done in flushes {
            let _ = done.send(());
        }
    }
    for file in files.values_mut() {
        let _ = file.flush();
        let _ = file.get_ref().sync_data();
    }
}

fn open_events(root: &Path, task_id: &str) -> io::Result<BufWriter<File>> {
    let dir = root.join(task_id);
    fs::create_dir_all(&dir)?;
    let path = dir.join("events.jsonl");
    // A hub that died in the middle of a write left part of a line: drop it (it was never
    // acknowledged, so its worker still has it), or the next event would be glued to it.
    if let Ok(mut file) = OpenOptions::new().read(true).write(true).open(&path) {
        if let Some(keep) = complete_length(&mut file)? {
            file.set_len(keep)?;
        }
    }
    let file = OpenOptions::new().create(true).append(true).open(path)?;
    Ok(BufWriter::with_capacity(64 * 1024, file))
}

/// The length of the file without a torn last line, or `None` when it ends with a line break.
/// Reads backwards from the end, so a long history is not read whole.
fn complete_length(file: &mut File) -> io::Result<Option<u64>> {
    use std::io::{Read, Seek, SeekFrom};
    let mut end = file.seek(SeekFrom::End(0))?;
    let mut block = vec![0u8; 64 * 1024];
    let mut last = true;
    while end > 0 {
        let start = end.saturating_sub(block.len() as u64);
        let piece = &mut block[..(end - start) as usize];
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(piece)?;
        if last && piece.last() == Some(&b'\n') {
            return Ok(None);
        }
        last = false;
        if let Some(newline) = piece.iter().rposition(|&b| b == b'\n') {
            return Ok(Some(start + newline as u64 + 1));
        }
        end = start;
    }
    Ok(if last { None } else { Some(0) })
}

/// Reads a task's history. A torn last line (the hub died mid-write) is skipped, not an error.
pub fn read_events(path: &Path) -> io::Result<Vec<Event>> {
    let reader = BufReader::new(File::open(path)?);
    let mut events = Vec::new();
    for (number, line) in reader.split(b'\n').enumerate() {
        let line = line?;
        if line.is_empty() {
            continue;
        }
        match serde_json::from_slice(&line) {
            Ok(event) => events.push(event),
            Err(err) => tracing::warn!("{}:{}: skipping an unreadable event: {err}", path.display(), number + 1),
        }
    }
    Ok(events)
}

/// The whole stored output of a task from byte `since`, at most `max` bytes: `(cursor, bytes)`.
pub fn read_output(path: &Path, since: u64, max: usize) -> io::Result<(u64, Vec<u8>)> {
    let mut cursor = 0u64;
    let mut bytes = Vec::new();
    for event in read_events(path)? {
        let Event::Output { payload, .. } = event else { continue };
        let data = payload.into_bytes().map_err(io::Error::other)?;
        let end = cursor + data.len() as u64;
        if end > since && bytes.len() < max {
            let skip = since.saturating_sub(cursor) as usize;
            let take = (data.len() - skip).min(max - bytes.len());
            bytes.extend_from_slice(&data[skip..skip + take]);
        }
        cursor = end;
    }
    Ok((since.min(cursor), bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_persisted_then_reported_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::open(dir.path()).unwrap();
        let (persisted, mut watcher) = watch::channel(0);
        for (seq, text) in ["hello ", "world"].iter().enumerate() {
            let event = Event::Output {
                seq: seq as u64,
                stream: OutputStream::Stdout,
                payload: Payload::from_bytes(text.as_bytes()),
            };
            journal.append("t1", &event, Some((seq as u64, persisted.clone())));
        }
        journal.flush();
        assert_eq!(*watcher.borrow_and_update(), 2);
        let path = journal.events_path("t1");
        assert_eq!(read_events(&path).unwrap().len(), 2);
        assert_eq!(read_output(&path, 0, 100).unwrap(), (0, b"hello world".to_vec()));
        assert_eq!(read_output(&path, 3, 4).unwrap(), (3, b"lo w".to_vec()));
    }

    #[test]
    fn a_torn_last_line_is_cut_before_appending() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tasks").join("t1").join("events.jsonl");
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, "{\"type\":\"ack\",\"id\":1,\"delivered\":true,\"error\":null}\n{\"type\":\"outp").unwrap();
        let journal = Journal::open(dir.path()).unwrap();
        journal.append("t1", &Event::Ack { id: 2, delivered: false, error: None }, None);
        journal.flush();
        let ids: Vec<u64> = read_events(&path)
            .unwrap()
            .iter()
            .map(|e| match e {
                Event::Ack { id, .. } => *id,
                _ => 0,
            })
            .collect();
        assert_eq!(ids, [1, 2], "the event after the torn line is readable");
    }

    #[test]
    fn a_torn_last_line_is_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.jsonl");
        fs::write(&path, "{\"type\":\"ack\",\"id\":1,\"delivered\":true,\"error\":null}\n{\"type\":\"outp").unwrap();
        assert_eq!(read_events(&path).unwrap(), [Event::Ack { id: 1, delivered: true, error: None }]);
    }
}
