//! Durable task history: one append-only JSON Lines file per task, `<state>/tasks/<id>/events.jsonl`.
//!
//! Writes happen on a dedicated thread ([`writer`]), never on the async runtime. The thread drains
//! everything queued, writes it, and only then reports each task's output as persisted — the hub
//! acknowledges output to its worker only after that, and the worker keeps every chunk until
//! acknowledged (and stops reading its child when too much is unacknowledged). So:
//!
//! - a hub that exits cleanly or crashes (even SIGKILL) loses no output: what was not yet written
//!   is still held by the worker and replayed when it reconnects;
//! - a write that fails (a full disk) is undone, kept and retried; nothing after it is
//!   acknowledged until it is written, so the workers hold the output, their children wait, and
//!   everything continues by itself, in order, once space returns;
//! - on power loss, at most [`SYNC_INTERVAL`] of acknowledged output is at risk (files are
//!   `fdatasync`ed that often while they change).
//!
//! Output is stored compactly (text, or base64 where escapes would cost more) and each output
//! event carries its byte offset in the task's output (`at`), so a reader finds any offset by
//! bisecting the file ([`read`]) instead of parsing it from the start. A running task's history
//! is cut to its newest events once it outgrows [`JournalConfig::max_task_bytes`] ([`compact`]).

mod bisect;
mod compact;
mod read;
mod writer;

use std::fs;
use std::io;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::{oneshot, watch};

pub use read::{
    read_chunks, read_chunks_until, read_history, read_output, read_output_until, tail_cursor, tail_cursor_until,
    History,
};

use crate::protocol::{HubToWorker, InterventionRecord, Payload, TaskStatus};
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
        /// SHA-256 of the worker's token (hex): enough to check a reconnecting worker after a
        /// restart, never enough to connect as it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        worker_token_sha256: Option<String>,
        /// The token itself, as histories written before the digest held it: read, never written.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        worker_token: Option<String>,
    },
    Output {
        seq: u64,
        stream: OutputStream,
        /// Offset of the chunk's first byte in the task's whole output (absent in histories
        /// written before it was recorded; readers then count).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        at: Option<u64>,
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
    /// The history was cut to keep it under its size limit: output before byte `before` is gone,
    /// and so are the task's first `interventions` intervention records (with their commands and
    /// acknowledgements), counted over every cut so far.
    Truncated {
        before: u64,
        at: u64,
        #[serde(default, skip_serializing_if = "is_zero")]
        interventions: u64,
    },
    /// A command to the worker (input or an intervention), kept until its `Ack`.
    Command {
        command: HubToWorker,
    },
    /// Something refused on the worker connection (see `Task`'s tamper checks).
    Tamper {
        at: u64,
        reason: String,
    },
    /// The task's output is drawn on a terminal (pty driver) of this size, with this prompt
    /// pattern (`None`: Claude Code's); written at spawn and at each resize, so a restored task
    /// matches screen rows again, not the byte stream.
    Screen {
        rows: u16,
        cols: u16,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        prompt_pattern: Option<String>,
    },
    /// The task's worker, and so everything it started, runs in this cgroup (see
    /// `hub::containment`). A record for people and tools: the hub works a task's cgroup out from
    /// its own place and the task id, never from this line, which the task's user can edit.
    Cgroup {
        path: std::path::PathBuf,
    },
    /// The task's piped input was taken up to byte `upto` (journaled in one write with the command
    /// that carries the bytes), so that after a restart a client resending its last chunk does not
    /// have it written twice.
    InputPiped {
        upto: u64,
    },
}

fn is_zero(value: &u64) -> bool {
    *value == 0
}

/// Limits of the journal.
#[derive(Debug, Clone)]
pub struct JournalConfig {
    /// A task's whole history (interventions included) is cut once it grows past this.
    pub max_task_bytes: u64,
    /// History files kept open at once; the least recently written is closed beyond this.
    pub max_open_files: usize,
}

impl Default for JournalConfig {
    fn default() -> Self {
        JournalConfig { max_task_bytes: 256 * 1024 * 1024, max_open_files: 64 }
    }
}

enum Op {
    Append {
        task_id: String,
        line: Vec<u8>,
        persisted: Option<(u64, watch::Sender<u64>)>,
        /// The task's last event: its file is closed once this is written.
        last: bool,
    },
    /// Answered once everything queued before it is written.
    Flush(oneshot::Sender<()>),
    /// Forget a task's history: close it and delete its directory.
    Remove(String),
}

/// Handle to the journal thread. Cheap to clone.
#[derive(Clone)]
pub struct Journal {
    ops: mpsc::Sender<Op>,
    root: PathBuf,
}

impl Journal {
    /// Starts the writer thread for task histories under `<state>/tasks/` (created 0700).
    pub fn open(state_dir: &Path, config: JournalConfig) -> io::Result<Journal> {
        let root = state_dir.join("tasks");
        fs::DirBuilder::new().recursive(true).mode(0o700).create(&root)?;
        let (ops, queue) = mpsc::channel();
        let writer_root = root.clone();
        // Background priority: under a flood, writing histories must not take the CPU from
        // answering a quiet agent (its output is acknowledged a little later, nothing more).
        crate::background::spawn("axiom-journal", move || writer::run(writer_root, config, queue))?;
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
        let last = matches!(event, Event::Status { status, .. } if status.is_finished());
        // The thread only stops when every handle is gone, so a failed send has nobody to tell.
        let _ = self.ops.send(Op::Append { task_id: task_id.to_owned(), line, persisted, last });
    }

    /// Queues events that go to disk in one write, so that no crash keeps some without the others.
    pub fn append_together(&self, task_id: &str, events: &[Event]) {
        let mut lines = Vec::new();
        for event in events {
            serde_json::to_writer(&mut lines, event).expect("events always serialize");
            lines.push(b'\n');
        }
        let _ = self.ops.send(Op::Append { task_id: task_id.to_owned(), line: lines, persisted: None, last: false });
    }

    /// Deletes a task's history (after everything queued for it).
    pub fn remove(&self, task_id: &str) {
        let _ = self.ops.send(Op::Remove(task_id.to_owned()));
    }

    /// Resolves once everything queued so far is written (which waits out a full disk).
    pub fn flushed(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let (done, wait) = oneshot::channel();
        let sent = self.ops.send(Op::Flush(done)).is_ok();
        async move {
            if sent {
                let _ = wait.await;
            }
        }
    }

    /// [`flushed`](Self::flushed) for code outside the runtime (tests, tools).
    pub fn flush_blocking(&self) {
        let (done, wait) = oneshot::channel();
        if self.ops.send(Op::Flush(done)).is_ok() {
            let _ = wait.blocking_recv();
        }
    }
}

#[cfg(test)]
mod tests;
