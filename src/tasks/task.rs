//! One supervised task: its status, output, interventions, and the pipeline that watches it.
//!
//! State sits behind a plain mutex held only for short, non-async sections. The pipeline has a
//! mutex of its own, so matching a large chunk (on a bulk thread, see `hub::lane`) never keeps a
//! reader of the state waiting; whoever needs both takes the pipeline first. Every change bumps a
//! `watch` counter; readers (subscribed clients, `axiom run`, MCP waits) wake on it and read what
//! is new through cursors, so a slow reader never holds up the worker or anybody else.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, watch};

use super::journal::{read_chunks, Event, History, Journal};
use super::output::{OutputRead, OutputRing, StoredChunk};
use crate::hub::auth::Token;
use crate::pipeline::{Pipeline, PipelineOptions};
use crate::protocol::{HubToWorker, InterventionRecord, Payload, TaskInfo, TaskStatus};
use crate::rules::{Action, RuleSet, Scope, Subject};
use crate::worker::OutputStream;

/// Requests held for a worker that is not connected; more are refused as "busy".
const PENDING_LIMIT: usize = 64;

/// How the hub treats tasks.
#[derive(Debug, Clone)]
pub struct TaskConfig {
    /// Bytes of output kept per task.
    pub ring_capacity: usize,
    /// For `kill`: time between SIGTERM and SIGKILL.
    pub kill_grace: Duration,
    /// Output is confirmed to the worker only once the local reader has written it out
    /// ([`Task::written_through`]), so a slow terminal or pipe slows the child down instead of the
    /// ring dropping output it has not shown (`axiom run`). For tasks without a journal.
    pub confirm_when_written: bool,
}

impl Default for TaskConfig {
    fn default() -> Self {
        TaskConfig { ring_capacity: 8 * 1024 * 1024, kill_grace: Duration::from_secs(3), confirm_when_written: false }
    }
}

pub struct Task {
    pub id: String,
    pub command: Vec<String>,
    /// The token the task's worker must present; valid for this task only.
    pub worker_token: Token,
    pub started_at: u64,
    state: Mutex<TaskState>,
    /// Locked before `state` when both are needed. Held across a whole [`Task::ingest`], so chunks
    /// are matched and stored in the order their `seq` says, even while two connections overlap.
    pipeline: Mutex<Pipeline>,
    changed: watch::Sender<u64>,
    /// The next output `seq` that is safely stored; the worker may forget chunks before it.
    persisted: watch::Sender<u64>,
    /// Set once the worker process a local hub started for this task has exited.
    worker_exited: watch::Sender<bool>,
    journal: Option<Journal>,
    config: TaskConfig,
}

struct TaskState {
    status: TaskStatus,
    pid: Option<u32>,
    ended_at: Option<u64>,
    output: OutputRing,
    interventions: Vec<InterventionRecord>,
    /// The next output `seq` expected from the worker.
    next_seq: u64,
    /// The connected worker's outgoing queue.
    worker: Option<mpsc::Sender<HubToWorker>>,
    /// Since when a running task has had no worker connected.
    detached_since: Option<Instant>,
    /// Input and interventions asked for while no worker was connected.
    pending: Vec<HubToWorker>,
    next_message_id: u64,
    /// With `confirm_when_written`: each stored `seq` and the output cursor it ends at, until the
    /// reader has written that far.
    unwritten: VecDeque<(u64, u64)>,
    /// With `confirm_when_written`: how far the reader has written.
    written: u64,
}

/// Why a request for a task could not be carried out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TaskError {
    #[error("task {0} is not running ({1}); it cannot take input or interventions")]
    NotRunning(String, &'static str),
    #[error("task {0}'s worker is not keeping up; try again in a moment")]
    WorkerBusy(String),
}

impl Task {
    /// A new task. With a journal, its history is written to disk from the start.
    pub fn new(
        id: String,
        command: Vec<String>,
        rules: Arc<RuleSet>,
        config: TaskConfig,
        journal: Option<Journal>,
    ) -> Self {
        let task = Self::blank(id, command, Token::generate(), now_ms(), rules, config, journal);
        task.log(&Event::Spawn {
            task_id: task.id.clone(),
            command: task.command.clone(),
            started_at: task.started_at,
            worker_token: task.worker_token.as_str().to_owned(),
        });
        task
    }

    fn blank(
        id: String,
        command: Vec<String>,
        worker_token: Token,
        started_at: u64,
        rules: Arc<RuleSet>,
        config: TaskConfig,
        journal: Option<Journal>,
    ) -> Self {
        let options = PipelineOptions { subject: Subject::of_command(&command), ..PipelineOptions::live() };
        let pipeline = Pipeline::new(rules, Scope::Output, id.as_str(), options);
        Task {
            id,
            command,
            worker_token,
            started_at,
            state: Mutex::new(TaskState {
                status: TaskStatus::Starting,
                pid: None,
                ended_at: None,
                output: OutputRing::new(config.ring_capacity),
                interventions: Vec::new(),
                next_seq: 0,
                worker: None,
                detached_since: None,
                pending: Vec::new(),
                next_message_id: 1,
                unwritten: VecDeque::new(),
                written: 0,
            }),
            pipeline: Mutex::new(pipeline),
            changed: watch::Sender::new(0),
            persisted: watch::Sender::new(0),
            worker_exited: watch::Sender::new(false),
            journal,
            config,
        }
    }

    /// Rebuilds a task from its stored history (after a hub restart). A task that was running is
    /// waiting for its worker to reconnect; it becomes lost if none does in time.
    /// Only a running task's newest output (up to the ring's capacity) is read back into memory.
    pub fn restore(
        history: History,
        rules: Arc<RuleSet>,
        config: TaskConfig,
        journal: Option<Journal>,
    ) -> Option<Task> {
        let History { events, next_seq, output_end, .. } = history;
        let mut events = events.into_iter();
        let Some(Event::Spawn { task_id, command, started_at, worker_token }) = events.next() else { return None };
        let token = Token::parse(&worker_token)?;
        let task = Self::blank(task_id, command, token, started_at, rules, config, journal);
        {
            let mut state = task.state();
            for event in events {
                match event {
                    // Output is summed up by `History`; a task's ring is refilled below.
                    Event::Output { .. } | Event::Truncated { .. } => {}
                    Event::Intervention { record } => {
                        state.next_message_id = state.next_message_id.max(record.id + 1);
                        state.interventions.push(record);
                    }
                    Event::Ack { id, delivered, error } => {
                        if let Some(record) = state.interventions.iter_mut().find(|r| r.id == id) {
                            record.delivered = Some(delivered);
                            record.error = error;
                        }
                    }
                    Event::Status { status, pid, at } => {
                        if status.is_finished() {
                            state.ended_at = Some(at);
                        }
                        state.status = status;
                        state.pid = pid.or(state.pid);
                    }
                    Event::Spawn { .. } => {}
                }
            }
            state.next_seq = next_seq;
            state.output = OutputRing::resumed(task.config.ring_capacity, output_end);
            if !state.status.is_finished() {
                state.detached_since = Some(Instant::now());
                let since = output_end.saturating_sub(task.config.ring_capacity as u64);
                if let Some(path) = task.history_path() {
                    match read_chunks(&path, since, task.config.ring_capacity) {
                        Ok((chunks, start)) => {
                            state.output = OutputRing::resumed(task.config.ring_capacity, start);
                            for chunk in chunks {
                                state.output.push(chunk.stream, chunk.data);
                            }
                        }
                        Err(err) => tracing::warn!(task = %task.id, "cannot read its output back: {err}"),
                    }
                }
            }
            task.persisted.send_replace(state.next_seq);
        }
        Some(task)
    }

    /// Stores `event` (if any) and then reports `seq` as safely stored — at once without a journal.
    fn mark_persisted(&self, seq: u64, event: Option<&Event>) {
        match (&self.journal, event) {
            (Some(journal), Some(event)) => journal.append(&self.id, event, Some((seq, self.persisted.clone()))),
            _ => {
                self.persisted.send_modify(|next| *next = (*next).max(seq + 1));
            }
        }
    }

    fn log(&self, event: &Event) {
        if let Some(journal) = &self.journal {
            journal.append(&self.id, event, None);
        }
    }

    fn state(&self) -> MutexGuard<'_, TaskState> {
        // A panic elsewhere while holding the lock must not take every later reader down with it.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn pipeline(&self) -> MutexGuard<'_, Pipeline> {
        self.pipeline.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn bump(&self) {
        self.changed.send_modify(|version| *version += 1);
    }

    /// Wakes whenever anything about the task changes.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.changed.subscribe()
    }

    /// A worker said hello: from now on interventions go to `worker`. Returns the next `seq` expected.
    pub fn attach_worker(&self, worker: mpsc::Sender<HubToWorker>, pid: Option<u32>) -> u64 {
        let mut state = self.state();
        for message in std::mem::take(&mut state.pending) {
            // Behind the welcome, which the connection sends before it reads this queue.
            let _ = worker.try_send(message);
        }
        state.worker = Some(worker);
        state.detached_since = None;
        if (state.status == TaskStatus::Starting || pid != state.pid) && !state.status.is_finished() {
            state.pid = pid.or(state.pid);
            state.status = TaskStatus::Running;
            self.log(&Event::Status { status: TaskStatus::Running, pid: state.pid, at: now_ms() });
        }
        let next = state.next_seq;
        drop(state);
        self.bump();
        next
    }

    /// Output chunk `seq` arrived. Returns the messages to send back to the worker (interventions).
    /// A chunk seen before (a replay after a reconnect) is ignored, so output is stored once.
    pub fn ingest(&self, seq: u64, stream: OutputStream, data: Vec<u8>, now: Instant) -> Vec<HubToWorker> {
        let mut pipeline = self.pipeline();
        let at = {
            let mut state = self.state();
            if seq < state.next_seq {
                return Vec::new();
            }
            if seq > state.next_seq {
                tracing::warn!(task = %self.id, expected = state.next_seq, got = seq, "output sequence gap");
            }
            state.next_seq = seq + 1;
            // Nobody else pushes output while we hold the pipeline, so this is where it goes.
            state.output.end()
        };
        // The costly part, matching and encoding for the journal, without the state lock.
        let fired = pipeline.push(&data, now);
        if !self.config.confirm_when_written {
            let event = Event::Output { seq, stream, at: Some(at), payload: Payload::compact(&data) };
            self.mark_persisted(seq, Some(&event));
        }
        let mut state = self.state();
        state.output.push(stream, data);
        if self.config.confirm_when_written {
            let end = state.output.end();
            state.unwritten.push_back((seq, end));
            self.release_written(&mut state);
        }
        let messages = self.record(&mut state, &mut pipeline, fired, now);
        drop(state);
        drop(pipeline);
        self.bump();
        messages
    }

    /// Time passed: idle partial lines and silence rules.
    pub fn tick(&self, now: Instant) -> Vec<HubToWorker> {
        let mut pipeline = self.pipeline();
        let mut state = self.state();
        if state.status.is_finished() {
            return Vec::new();
        }
        let fired = pipeline.tick(now);
        if fired.is_empty() {
            return Vec::new();
        }
        let messages = self.record(&mut state, &mut pipeline, fired, now);
        drop(state);
        self.bump();
        messages
    }

    /// When [`tick`](Self::tick) next has work.
    pub fn next_deadline(&self) -> Option<Instant> {
        if self.status().is_finished() {
            return None;
        }
        self.pipeline().next_deadline()
    }

    /// Stores interventions and turns those that act on the child into messages for the worker.
    fn record(
        &self,
        state: &mut TaskState,
        pipeline: &mut Pipeline,
        fired: Vec<crate::pipeline::Intervention>,
        now: Instant,
    ) -> Vec<HubToWorker> {
        let mut messages = Vec::new();
        for intervention in fired {
            let id = state.next_message_id;
            state.next_message_id += 1;
            let record = InterventionRecord::new(id, now_ms(), &intervention);
            tracing::info!(task = %self.id, rule = %record.rule, action = %record.action, "intervention");
            if intervention.action != Action::Warn {
                if let Some(message) = &intervention.message {
                    pipeline.expect_echo(message, now);
                }
                messages.push(HubToWorker::Intervene {
                    id,
                    action: intervention.action,
                    rule: intervention.rule.clone(),
                    message: intervention.message.clone(),
                    grace_ms: Some(self.config.kill_grace.as_millis() as u64),
                });
            }
            self.log(&Event::Intervention { record: record.clone() });
            state.interventions.push(record);
        }
        messages
    }

    /// The worker reported what became of message `id`.
    pub fn acknowledge(&self, id: u64, delivered: bool, error: Option<String>) {
        let mut state = self.state();
        if let Some(record) = state.interventions.iter_mut().find(|record| record.id == id) {
            record.delivered = Some(delivered);
            record.error = error.clone();
            self.log(&Event::Ack { id, delivered, error });
        }
        drop(state);
        self.bump();
    }

    /// The task ended (or never started, or its worker vanished).
    pub fn finish(&self, status: TaskStatus, now: Instant) {
        self.finish_marked(status, now, None);
    }

    fn finish_marked(&self, status: TaskStatus, now: Instant, seq: Option<u64>) {
        let mut pipeline = self.pipeline();
        let mut state = self.state();
        if state.status.is_finished() {
            if let Some(seq) = seq {
                self.mark_persisted(seq, None);
            }
            return;
        }
        let fired = pipeline.finish(now);
        self.record(&mut state, &mut pipeline, fired, now);
        let at = now_ms();
        let event = Event::Status { status: status.clone(), pid: state.pid, at };
        match seq {
            // The end is confirmed once the reader has written everything before it.
            Some(seq) if self.config.confirm_when_written => {
                let end = state.output.end();
                state.unwritten.push_back((seq, end));
                self.release_written(&mut state);
            }
            Some(seq) => self.mark_persisted(seq, Some(&event)),
            None => self.log(&event),
        }
        state.status = status;
        state.ended_at = Some(at);
        state.worker = None;
        drop(state);
        self.bump();
    }

    /// The worker reported the end as its output number `seq`: stored once, like output, and
    /// acknowledged once the final status is written.
    pub fn finish_from_worker(&self, seq: u64, status: TaskStatus, now: Instant) {
        {
            let mut state = self.state();
            if seq < state.next_seq {
                return;
            }
            state.next_seq = seq + 1;
        }
        self.finish_marked(status, now, Some(seq));
    }

    /// Where this task's history is written, if it is.
    pub fn history_path(&self) -> Option<std::path::PathBuf> {
        self.journal.as_ref().map(|journal| journal.events_path(&self.id))
    }

    /// Frees a finished task's output ring: its history holds the output. Only with a history;
    /// returns how many bytes were let go.
    pub fn release_output(&self) -> usize {
        let mut state = self.state();
        if self.journal.is_none() || !state.status.is_finished() {
            return 0;
        }
        let kept = state.output.kept();
        state.output.release();
        kept
    }

    /// The reader (`axiom run`) has written the output up to `cursor`: with `confirm_when_written`,
    /// the worker may now send what comes after it.
    pub fn written_through(&self, cursor: u64) {
        let mut state = self.state();
        state.written = state.written.max(cursor);
        self.release_written(&mut state);
    }

    /// Confirms to the worker every stored `seq` whose output the reader has written.
    fn release_written(&self, state: &mut TaskState) {
        let mut released = None;
        while let Some(&(seq, end)) = state.unwritten.front() {
            if end > state.written {
                break;
            }
            state.unwritten.pop_front();
            released = Some(seq);
        }
        if let Some(seq) = released {
            self.persisted.send_modify(|next| *next = (*next).max(seq + 1));
        }
    }

    /// Wakes when more of the worker's output is safely stored.
    pub fn persisted(&self) -> watch::Receiver<u64> {
        self.persisted.subscribe()
    }

    /// The connection that attached `worker` closed; the worker may come back. Nothing changes when
    /// a newer connection has attached since (the worker reconnected before this one noticed).
    pub fn detach_worker(&self, worker: &mpsc::Sender<HubToWorker>) {
        let mut state = self.state();
        if !state.worker.as_ref().is_some_and(|attached| attached.same_channel(worker)) {
            return;
        }
        state.worker = None;
        if !state.status.is_finished() {
            state.detached_since = Some(Instant::now());
        }
    }

    /// How long a running task has been without its worker, if it is.
    pub fn detached_for(&self, now: Instant) -> Option<Duration> {
        let state = self.state();
        state.detached_since.filter(|_| !state.status.is_finished()).map(|since| now.saturating_duration_since(since))
    }

    /// Overrides the guess of whether the task runs an agent (`--agent`, `--no-agent`), which
    /// decides whether `applies_to: agents` rules watch it.
    pub fn set_subject(&self, subject: Subject) {
        self.pipeline().set_subject(subject);
    }

    /// New rules take effect for this task's output from now on.
    pub fn set_rules(&self, rules: Arc<RuleSet>) {
        self.pipeline().replace_rules(rules, Instant::now());
    }

    /// Writes text to the task's input (Enter appended when `enter`).
    pub fn send_input(&self, text: &str, enter: bool) -> Result<(), TaskError> {
        self.to_worker(|id| HubToWorker::Input { id, payload: Payload::from_bytes(text.as_bytes()), enter })
    }

    /// An intervention asked for by a user or a model rather than a rule.
    pub fn intervene(
        &self,
        action: Action,
        message: Option<String>,
        grace: Option<Duration>,
    ) -> Result<u64, TaskError> {
        let grace_ms = grace.unwrap_or(self.config.kill_grace).as_millis() as u64;
        let mut pipeline = self.pipeline();
        let mut state = self.state();
        let id = state.next_message_id;
        let sent = Self::send(&self.id, &mut state, |id| HubToWorker::Intervene {
            id,
            action,
            rule: "manual".into(),
            message: message.clone(),
            grace_ms: Some(grace_ms),
        });
        sent?;
        if let Some(text) = &message {
            pipeline.expect_echo(text, Instant::now());
        }
        let manual = InterventionRecord {
            id,
            at: now_ms(),
            task_id: self.id.clone(),
            rule: "manual".into(),
            severity: crate::rules::Severity::Info,
            action,
            message,
            matched: String::new(),
            line: None,
            delivered: None,
            error: None,
        };
        state.interventions.push(manual);
        drop(state);
        self.bump();
        Ok(id)
    }

    fn to_worker(&self, message: impl FnOnce(u64) -> HubToWorker) -> Result<(), TaskError> {
        let mut state = self.state();
        Self::send(&self.id, &mut state, message).map(|_| ())
    }

    fn send(id: &str, state: &mut TaskState, message: impl FnOnce(u64) -> HubToWorker) -> Result<u64, TaskError> {
        if state.status.is_finished() {
            return Err(TaskError::NotRunning(id.to_owned(), state.status.name()));
        }
        let message_id = state.next_message_id;
        match &state.worker {
            Some(worker) => worker.try_send(message(message_id)).map_err(|_| TaskError::WorkerBusy(id.to_owned()))?,
            // Not connected yet (just spawned) or reconnecting: delivered when the worker says hello.
            None if state.pending.len() < PENDING_LIMIT => state.pending.push(message(message_id)),
            None => return Err(TaskError::WorkerBusy(id.to_owned())),
        }
        state.next_message_id += 1;
        Ok(message_id)
    }

    pub fn status(&self) -> TaskStatus {
        self.state().status.clone()
    }

    /// The worker process started for this task has exited (see `hub::spawner`).
    pub fn mark_worker_exited(&self) {
        self.worker_exited.send_replace(true);
    }

    /// Waits until the worker process has exited, at most `limit`; says whether it did. `axiom run`
    /// waits for it before its hub goes away, so the worker's last confirmations are not cut off.
    pub async fn wait_worker_exited(&self, limit: Duration) -> bool {
        let mut exited = self.worker_exited.subscribe();
        tokio::time::timeout(limit, exited.wait_for(|gone| *gone)).await.is_ok_and(|waited| waited.is_ok())
    }

    /// Waits until the task has ended, at most `limit`; says whether it did.
    pub async fn wait_finished(&self, limit: Duration) -> bool {
        let mut changes = self.subscribe();
        let _ = tokio::time::timeout(limit, async {
            while !self.status().is_finished() {
                if changes.changed().await.is_err() {
                    return;
                }
            }
        })
        .await;
        self.status().is_finished()
    }

    pub fn info(&self) -> TaskInfo {
        let state = self.state();
        TaskInfo {
            task_id: self.id.clone(),
            command: self.command.clone(),
            status: state.status.clone(),
            pid: state.pid,
            started_at: self.started_at,
            ended_at: state.ended_at,
            output_bytes: state.output.end(),
            interventions: state.interventions.len(),
        }
    }

    /// Output chunks from `since` on (for live streaming), and the cursor to continue from.
    pub fn chunks_since(&self, since: u64) -> (Vec<StoredChunk>, u64, u64) {
        let state = self.state();
        let start = state.output.start();
        let chunks: Vec<StoredChunk> = state
            .output
            .chunks_since(since.max(start))
            .map(|(cursor, stream, data)| StoredChunk { cursor, stream, data: data.to_vec() })
            .collect();
        (chunks, start, state.output.end())
    }

    pub fn read_output(&self, since: u64, max: usize) -> OutputRead {
        self.state().output.read(since, max)
    }

    /// Cursor where the last `lines` lines of kept output start.
    pub fn tail_cursor(&self, lines: usize) -> u64 {
        self.state().output.tail_cursor(lines)
    }

    /// [`tail_cursor`](Self::tail_cursor) and where the ring starts (for a caller that can look
    /// further back, in the history, when they are equal).
    pub fn tail_cursor_in_memory(&self, lines: usize) -> (u64, u64) {
        let state = self.state();
        (state.output.tail_cursor(lines), state.output.start())
    }

    /// Interventions from index `since` on.
    pub fn interventions_since(&self, since: usize) -> Vec<InterventionRecord> {
        let state = self.state();
        state.interventions.get(since..).map(<[_]>::to_vec).unwrap_or_default()
    }
}

/// Milliseconds since the Unix epoch, for timestamps people read.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}
