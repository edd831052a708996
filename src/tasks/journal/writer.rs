//! The journal thread: queued events in, task history files out, acknowledgements only for what
//! is really written.
//!
//! Each task's lines wait in its own queue until they are written, a batch of whole lines per
//! `write`. A failed write (a full disk, most often) is undone by cutting the file back to its last
//! good length, and the lines from there on stay queued and are retried; nothing after them is
//! acknowledged meanwhile, which is
//! what makes the workers hold their output and their children wait. The failure is reported
//! once, and its end once. History files are opened on demand and closed when their task ends or
//! when more than [`JournalConfig::max_open_files`] are open (least recently written first).

use std::collections::{HashMap, HashSet, VecDeque};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Seek, SeekFrom, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use tokio::sync::{oneshot, watch};

use super::{compact, JournalConfig, Op, SYNC_INTERVAL};

/// How often a failing write is tried again.
const RETRY: Duration = Duration::from_millis(250);
/// At most this many queued operations are taken per round, so a flood cannot grow one
/// round's memory without limit.
const ROUND_OPS: usize = 4096;
const SPAWN_PREFIX: &[u8] = b"{\"type\":\"spawn\"";
/// Whole lines up to this many bytes go out in one write (a longer line alone).
const WRITE_BATCH: usize = 64 * 1024;

struct Pending {
    line: Vec<u8>,
    persisted: Option<(u64, watch::Sender<u64>)>,
    last: bool,
}

struct OpenHistory {
    file: File,
    /// Length of what is written whole; a failed write is cut back to it.
    len: u64,
    used: u64,
    unsynced: Option<Instant>,
    /// Cut the history once it is longer than this: its limit (a cut leaves at most three quarters
    /// of it plus what a restart needs), or — when what a cut must keep is already near it — a
    /// quarter of a limit more than what the last cut left, so cutting never repeats for every
    /// write.
    cut_above: u64,
}

struct Writer {
    root: PathBuf,
    config: JournalConfig,
    files: HashMap<String, OpenHistory>,
    pending: HashMap<String, VecDeque<Pending>>,
    flushes: Vec<oneshot::Sender<()>>,
    clock: u64,
    /// Why writing fails, while it does.
    failing: Option<String>,
    /// How long each history was right after its last cut.
    cut_left: HashMap<String, u64>,
    next_retry: Instant,
    /// Tasks whose history was replaced by something axiom did not write (a link, a directory, a
    /// FIFO): their events are no longer written, and acknowledged as if they were, so that the
    /// task's worker does not hold its output for ever and the journal goes on for every other task.
    abandoned: HashSet<String>,
}

pub(super) fn run(root: PathBuf, config: JournalConfig, queue: mpsc::Receiver<Op>) {
    let mut writer = Writer {
        root,
        config,
        files: HashMap::new(),
        pending: HashMap::new(),
        flushes: Vec::new(),
        clock: 0,
        failing: None,
        cut_left: HashMap::new(),
        next_retry: Instant::now(),
        abandoned: HashSet::new(),
    };
    loop {
        let wait = if writer.pending.is_empty() { SYNC_INTERVAL } else { RETRY };
        let first = match queue.recv_timeout(wait) {
            Ok(op) => Some(op),
            Err(mpsc::RecvTimeoutError::Timeout) => None,
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        };
        for op in first.into_iter().chain(std::iter::from_fn(|| queue.try_recv().ok())).take(ROUND_OPS) {
            writer.take(op);
        }
        writer.write_pending();
        writer.sync_due();
    }
    writer.next_retry = Instant::now();
    writer.write_pending();
    for (_, mut history) in writer.files.drain() {
        let _ = history.file.sync_data();
        history.unsynced = None;
    }
}

impl Writer {
    fn take(&mut self, op: Op) {
        match op {
            Op::Append { task_id, persisted, .. } if self.abandoned.contains(&task_id) => {
                if let Some((seq, sender)) = persisted {
                    sender.send_modify(|next| *next = (*next).max(seq + 1));
                }
            }
            Op::Append { task_id, line, persisted, last } => {
                self.pending.entry(task_id).or_default().push_back(Pending { line, persisted, last })
            }
            Op::Flush(done) => self.flushes.push(done),
            Op::Remove(task_id) => {
                self.abandoned.remove(&task_id);
                self.pending.remove(&task_id);
                self.cut_left.remove(&task_id);
                self.files.remove(&task_id);
                let dir = self.root.join(&task_id);
                if let Err(err) = fs::remove_dir_all(&dir) {
                    if err.kind() != io::ErrorKind::NotFound {
                        tracing::warn!("cannot remove {}: {err}", dir.display());
                    }
                }
            }
        }
    }

    fn write_pending(&mut self) {
        if !self.pending.is_empty() && (self.failing.is_none() || Instant::now() >= self.next_retry) {
            let ids: Vec<String> = self.pending.keys().cloned().collect();
            let mut failure = None;
            for task_id in ids {
                if let Err(err) = self.write_task(&task_id) {
                    failure.get_or_insert((task_id, err));
                }
            }
            match failure {
                Some((task_id, err)) => {
                    if self.failing.is_none() {
                        crate::logging::note!(
                            "axiom: error: cannot write task history {}: {err}{}. Output is not acknowledged \
                             until it is written: workers hold it and their commands wait. Retrying; \
                             nothing is lost.",
                            self.root.join(&task_id).display(),
                            if err.raw_os_error() == Some(libc::ENOSPC) { " (the disk is full)" } else { "" },
                        );
                    }
                    self.failing = Some(err.to_string());
                    self.next_retry = Instant::now() + RETRY;
                }
                None => {
                    if self.failing.take().is_some() {
                        crate::logging::note!("axiom: task histories are written again; nothing was lost");
                    }
                }
            }
        }
        if self.pending.is_empty() && !self.flushes.is_empty() {
            for history in self.files.values_mut() {
                if history.unsynced.take().is_some() {
                    let _ = history.file.sync_data();
                }
            }
            for done in self.flushes.drain(..) {
                let _ = done.send(());
            }
        }
    }

    /// Writes a task's queued lines, a batch of whole lines at a time, each batch acknowledged once
    /// it is written. On a failure (a full disk) what was written stays written and the rest stays
    /// queued: a backlog larger than the room that comes back still gets through, batch by batch.
    fn write_task(&mut self, task_id: &str) -> io::Result<()> {
        let Some(queue) = self.pending.get(task_id) else { return Ok(()) };
        if !self.files.contains_key(task_id) {
            let may_create = queue.front().is_some_and(|p| p.line.starts_with(SPAWN_PREFIX));
            match self.open(task_id, may_create) {
                Ok(Some(history)) => {
                    self.make_room();
                    self.files.insert(task_id.to_owned(), history);
                }
                Ok(None) => {
                    // The history was removed (retention) and a late event arrived: nothing to add to.
                    self.pending.remove(task_id);
                    return Ok(());
                }
                Err(err) if replaced(&err) => {
                    self.abandon(task_id, &err);
                    return Ok(());
                }
                Err(err) => return Err(err),
            }
        }
        let mut last = false;
        while let Some(queue) = self.pending.get_mut(task_id).filter(|queue| !queue.is_empty()) {
            let mut lines = 0;
            let mut size = 0;
            for pending in queue.iter() {
                if lines > 0 && size + pending.line.len() > WRITE_BATCH {
                    break;
                }
                size += pending.line.len();
                lines += 1;
            }
            let mut buffer = Vec::with_capacity(size);
            for pending in queue.iter().take(lines) {
                buffer.extend_from_slice(&pending.line);
            }
            let history = self.files.get_mut(task_id).expect("opened above");
            if let Err(err) = history.file.write_all(&buffer) {
                // Part of it may be on disk: cut it off, so the retry does not glue a line to a torn one.
                let _ = history.file.set_len(history.len);
                return Err(err);
            }
            self.clock += 1;
            history.len += buffer.len() as u64;
            history.used = self.clock;
            history.unsynced.get_or_insert_with(Instant::now);
            for pending in queue.drain(..lines) {
                last |= pending.last;
                if let Some((seq, sender)) = pending.persisted {
                    sender.send_modify(|next| *next = (*next).max(seq + 1));
                }
            }
        }
        self.pending.remove(task_id);
        if last {
            if let Some(history) = self.files.remove(task_id) {
                let _ = history.file.sync_data();
            }
        } else if self.files.get(task_id).is_some_and(|h| h.len > h.cut_above) {
            self.cut(task_id);
        }
        Ok(())
    }

    /// Gives up writing `task_id`'s history, which something else took the place of (see
    /// [`Writer::abandoned`]): what waits is acknowledged, as what comes later will be.
    fn abandon(&mut self, task_id: &str, err: &io::Error) {
        crate::logging::note!(
            "axiom: warning: task {task_id}'s history {} is no file axiom wrote ({err}); the task, which may \
             write there, changed it, so its events are no longer kept on disk (its output stays in memory)",
            self.root.join(task_id).join("events.jsonl").display()
        );
        self.abandoned.insert(task_id.to_owned());
        self.cut_left.remove(task_id);
        for pending in self.pending.remove(task_id).into_iter().flatten() {
            if let Some((seq, sender)) = pending.persisted {
                sender.send_modify(|next| *next = (*next).max(seq + 1));
            }
        }
    }

    /// Keeps the newest output of a history that outgrew its limit (see [`compact`]).
    fn cut(&mut self, task_id: &str) {
        let Some(history) = self.files.remove(task_id) else { return };
        drop(history);
        let path = self.root.join(task_id).join("events.jsonl");
        let limit = self.config.max_task_bytes;
        match compact::keep_newest(&path, limit / 2, limit / 4) {
            Ok(()) => {
                let left = fs::metadata(&path).map_or(0, |m| m.len());
                self.cut_left.insert(task_id.to_owned(), left);
            }
            Err(err) if replaced(&err) => self.abandon(task_id, &err),
            Err(err) => tracing::warn!("cannot cut {} to size: {err}", path.display()),
        }
        // Reopened on the next write.
    }

    fn make_room(&mut self) {
        while self.files.len() >= self.config.max_open_files.max(1) {
            let Some(oldest) = self.files.iter().min_by_key(|(_, h)| h.used).map(|(id, _)| id.clone()) else {
                return;
            };
            if let Some(history) = self.files.remove(&oldest) {
                if history.unsynced.is_some() {
                    let _ = history.file.sync_data();
                }
            }
        }
    }

    fn open(&self, task_id: &str, may_create: bool) -> io::Result<Option<OpenHistory>> {
        let dir = self.root.join(task_id);
        // A link in the task directory's place would lead the task's events into another file.
        if fs::symlink_metadata(&dir).is_ok_and(|meta| !meta.is_dir()) {
            return Err(not_ours(&dir, "is not a directory"));
        }
        if may_create {
            match fs::DirBuilder::new().mode(0o700).create(&dir) {
                Ok(()) => {}
                Err(err) if err.kind() == io::ErrorKind::AlreadyExists => {}
                Err(err) => return Err(err),
            }
        }
        let path = dir.join("events.jsonl");
        let opened = OpenOptions::new()
            .read(true)
            .append(true)
            .create(may_create)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
            .open(&path);
        let mut file = match opened {
            Ok(file) => file,
            Err(err) if !may_create && err.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(err) => return Err(err),
        };
        let meta = file.metadata()?;
        if !meta.is_file() {
            return Err(not_ours(&path, "is not a regular file"));
        }
        // A second name (a hard link) may be another task's history put in this one's place,
        // where this task's events must not go; a link made to this task's own is no matter.
        if std::os::unix::fs::MetadataExt::nlink(&meta) > 1 && !super::read::history_of(&mut file, task_id)? {
            return Err(not_ours(&path, "is another task's history (a hard link)"));
        }
        // A hub that died in the middle of a write left part of a line: drop it (it was never
        // acknowledged, so its worker still has it), or the next event would be glued to it.
        if let Some(keep) = super::read::complete_length(&mut file)? {
            file.set_len(keep)?;
        }
        let len = file.seek(SeekFrom::End(0))?;
        let limit = self.config.max_task_bytes;
        let cut_above = limit.max(self.cut_left.get(task_id).map_or(0, |left| left + limit / 4));
        Ok(Some(OpenHistory { file, len, used: self.clock, unsynced: None, cut_above }))
    }

    fn sync_due(&mut self) {
        for history in self.files.values_mut() {
            if history.unsynced.is_some_and(|since| since.elapsed() >= SYNC_INTERVAL) {
                let _ = history.file.sync_data();
                history.unsynced = None;
            }
        }
    }
}

/// The error for a history whose place holds what axiom did not make.
fn not_ours(path: &std::path::Path, what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("{} {what}", path.display()))
}

/// Whether opening a history failed because something else is in its place: a link
/// (`O_NOFOLLOW`), a directory, a file where its directory should be, or what [`not_ours`] says.
fn replaced(err: &io::Error) -> bool {
    err.kind() == io::ErrorKind::InvalidData
        || matches!(err.raw_os_error(), Some(libc::ELOOP | libc::EISDIR | libc::ENOTDIR | libc::ENXIO))
}
