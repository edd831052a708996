//! One supervised task: its status, output, interventions, and the pipeline that watches it.
//!
//! State sits behind a plain mutex held only for short, non-async sections. The pipeline has a
//! mutex of its own, so matching a large chunk (on a bulk thread, see `hub::lane`) never keeps a
//! reader of the state waiting; whoever needs both takes the pipeline first. Every change bumps a
//! `watch` counter; readers (subscribed clients, `axiom run`, MCP waits) wake on it and read what
//! is new through cursors, so a slow reader never holds up the worker or anybody else.
//!
//! The worker is the one connection an agent might try to forge, so everything it sends is
//! checked: one connection at a time (a second one only takes over with the session secret of the
//! last `welcome`), output numbered without gaps, nothing after the exit, acknowledgements only for
//! commands that were sent. What fails a check changes nothing and is recorded as a tamper event.
//!
//! Commands to the worker (input, inject, interrupt, kill) are numbered and journaled, and stay in
//! the task's command log until the worker acknowledges them; each attach resends them in order,
//! and the worker carries each out once. So a command is delivered exactly once across
//! disconnects and hub restarts, and its acknowledgement always finds its record.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, watch};

use super::journal::{read_chunks, Event, History, Journal};
use super::output::{OutputRead, OutputRing, StoredChunk};
use crate::agent::{EventObserver, TurnStats};
use crate::gate::Gate;
use crate::hub::auth::{Token, TokenDigest};
use crate::pipeline::{Pipeline, PipelineOptions};
use crate::protocol::{HookRecord, HubToWorker, InterventionRecord, Payload, TaskInfo, TaskStatus};
use crate::rules::{judging_in, Action, RuleSet, Scope, Subject, Workplace};
use crate::worker::OutputStream;

mod commands;
mod hooked;
mod interventions;
mod screen;
#[cfg(test)]
mod tests;

use commands::is_kill;
pub use hooked::{hooked_command, hooked_session, HOOKED};
use interventions::Interventions;
pub use interventions::PAGE as INTERVENTIONS_PAGE;
use screen::{screen_pipeline, ScreenSetup};

/// Commands not yet acknowledged by the worker; more are refused as "busy". A connection's queue
/// holds this many, so an attach can always resend the whole log.
pub const OUTSTANDING_LIMIT: usize = 256;

/// How long after a kill's grace its worker has to report the task's end before the hub ends the
/// worker itself: reaping the child and sending the last output take a moment.
pub const KILL_MARGIN: Duration = Duration::from_secs(5);
/// Input larger than this is sent as several commands, so no message nears the 1 MiB limit even
/// when every byte is escaped in JSON (`\u0001` is six).
pub const INPUT_CHUNK: usize = 128 * 1024;
/// Session secrets a reconnecting worker may present: the newest few, since a welcome can be lost
/// with the connection that carried it.
const SESSIONS_KEPT: usize = 8;
/// Tamper events kept in memory and written to the history; beyond, they are only counted.
const TAMPER_RECORDED: u64 = 1000;

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
    /// What the task keeps of its worker's token (valid for this task only): a digest to check it.
    pub worker_key: TokenDigest,
    /// The token itself, until the worker is started with it ([`Task::take_worker_token`]); never
    /// written anywhere, and absent in a task restored from its history.
    fresh_token: Mutex<Option<Token>>,
    pub started_at: u64,
    state: Mutex<TaskState>,
    /// Locked before `state` when both are needed. Held across a whole [`Task::ingest`], so chunks
    /// are matched and stored in the order their `seq` says, even while two connections overlap.
    pipeline: Mutex<Pipeline>,
    /// The `tool` rules, judging the calls an agent asks to make (claude driver). Locked alone.
    tools: Mutex<Pipeline>,
    /// Follows the agent's raw events (claude driver) for what its tools' results show: whether a
    /// command failed, which its output may not say. Locked only under `pipeline`.
    results: Mutex<EventObserver>,
    changed: watch::Sender<u64>,
    /// The next output `seq` that is safely stored; the worker may forget chunks before it.
    persisted: watch::Sender<u64>,
    /// Set once the worker process a local hub started for this task has exited.
    worker_exited: watch::Sender<bool>,
    /// Connections on the task's `/worker` at once (see [`Task::worker_place`]).
    worker_places: Arc<tokio::sync::Semaphore>,
    journal: Option<Journal>,
    config: TaskConfig,
}

/// `/worker` connections one task may have at once: its worker, one reconnecting over a link
/// not yet seen to be dead, and a few more. Workers take none of the hub's places for clients,
/// so a holder of one task's token (the task itself, reading its worker's memory as root) could
/// otherwise open any number, each waiting out the hello's timeout.
const WORKER_PLACES: usize = 4;

struct TaskState {
    status: TaskStatus,
    pid: Option<u32>,
    ended_at: Option<u64>,
    output: OutputRing,
    interventions: Interventions,
    /// The next output `seq` expected from the worker.
    next_seq: u64,
    /// The connected worker's outgoing queue.
    worker: Option<mpsc::Sender<HubToWorker>>,
    /// Session secrets handed to the worker in its welcomes, newest last.
    sessions: VecDeque<String>,
    /// Since when a running task has had no worker connected.
    detached_since: Option<Instant>,
    /// A session supervised through `axiom hook`: when its last hook record came (a restored
    /// one's clock starts at the restore).
    last_hook: Option<Instant>,
    /// Commands sent (or to be sent) to the worker and not acknowledged yet, by id.
    commands: BTreeMap<u64, HubToWorker>,
    next_message_id: u64,
    /// How the agent session's last turn ended, from its raw events (claude driver).
    session: Option<TurnStats>,
    /// With `confirm_when_written`: each stored `seq` and the output cursor it ends at, until the
    /// reader has written that far.
    unwritten: VecDeque<(u64, u64)>,
    /// With `confirm_when_written`: how far the reader has written.
    written: u64,
    tamper_events: u64,
    /// A kill was delivered: the child is gone, and what output still arrives was printed before.
    killed: bool,
    /// When the first kill was issued, plus its grace and [`KILL_MARGIN`]: a task still running
    /// then has a worker that is not carrying the kill out (see [`Task::worker_overdue_at`]).
    kill_due: Option<Instant>,
    /// When the task ended (on the hub's clock).
    finished_at: Option<Instant>,
    /// The terminal the output is drawn on (pty tasks), as last recorded in the history.
    screen: Option<ScreenSetup>,
    /// Whether the task's processes run in a cgroup the hub made, not yet ended.
    in_cgroup: bool,
    /// Raw input the worker could not write (not counting input the command had closed), and
    /// why the last such write failed.
    input_failures: u64,
    last_input_failure: Option<String>,
    /// How many bytes of the task's piped input (`axiom run`'s or a client's standard input) were
    /// taken: a chunk sent again after a lost connection is written once.
    piped_input: u64,
    /// Commands numbered and journaled, waiting for the journal to hold them before they are
    /// handed to the worker, in this order.
    written_ahead: BTreeSet<u64>,
}

impl TaskState {
    /// Whether the child is being (or was) killed: its output is then stored but no longer matched,
    /// since no rule can do anything more to it. A flood of violating lines from a child that
    /// ignores `SIGTERM` thus costs what storing it costs, not a match per line, for the whole
    /// grace period and the backlog behind it.
    fn ending(&self) -> bool {
        self.killed || self.commands.values().any(is_kill)
    }
}

/// A worker connection the task accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attached {
    /// The next output `seq` expected.
    pub next_seq: u64,
    /// The secret the worker presents to take over from this connection.
    pub session: String,
}

/// Why a request for a task could not be carried out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TaskError {
    #[error("task {0} is not running ({1}); it cannot take input or interventions")]
    NotRunning(String, &'static str),
    #[error("task {0}'s worker is not keeping up; try again in a moment")]
    WorkerBusy(String),
    #[error("task {0} is a Claude Code session supervised through its hooks; axiom can only answer its hooks, not send it input or interventions")]
    Hooked(String),
    #[error("task {task}'s piped input goes on from byte {at}, but only {taken} bytes came before it")]
    InputGap { task: String, at: u64, taken: u64 },
    #[error("{len} bytes of piped input for task {task} at once; send at most {max} at a time", max = INPUT_CHUNK)]
    InputTooLarge { task: String, len: usize },
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
        let token = Token::generate();
        let task = Self::blank(id, command, TokenDigest::of(&token), now_ms(), rules, config, journal);
        *task.fresh_token.lock().unwrap_or_else(|p| p.into_inner()) = Some(token);
        task.log(&Event::Spawn {
            task_id: task.id.clone(),
            command: task.command.clone(),
            started_at: task.started_at,
            worker_token_sha256: Some(task.worker_key.to_hex()),
            worker_token: None,
        });
        task
    }

    fn blank(
        id: String,
        command: Vec<String>,
        worker_key: TokenDigest,
        started_at: u64,
        rules: Arc<RuleSet>,
        config: TaskConfig,
        journal: Option<Journal>,
    ) -> Self {
        let options = PipelineOptions { subject: Subject::of_command(&command), ..PipelineOptions::live() };
        let tools = Pipeline::new(Arc::clone(&rules), Scope::Tool, id.as_str(), options);
        let pipeline = Pipeline::new(rules, Scope::Output, id.as_str(), options);
        Task {
            id,
            command,
            worker_key,
            fresh_token: Mutex::new(None),
            started_at,
            state: Mutex::new(TaskState {
                status: TaskStatus::Starting,
                pid: None,
                ended_at: None,
                output: OutputRing::new(config.ring_capacity),
                interventions: Interventions::default(),
                next_seq: 0,
                worker: None,
                sessions: VecDeque::new(),
                detached_since: None,
                last_hook: None,
                commands: BTreeMap::new(),
                next_message_id: 1,
                unwritten: VecDeque::new(),
                written: 0,
                tamper_events: 0,
                killed: false,
                kill_due: None,
                finished_at: None,
                session: None,
                screen: None,
                in_cgroup: false,
                input_failures: 0,
                last_input_failure: None,
                piped_input: 0,
                written_ahead: BTreeSet::new(),
            }),
            pipeline: Mutex::new(pipeline),
            tools: Mutex::new(tools),
            results: Mutex::new(EventObserver::default()),
            changed: watch::Sender::new(0),
            persisted: watch::Sender::new(0),
            worker_exited: watch::Sender::new(false),
            worker_places: Arc::new(tokio::sync::Semaphore::new(WORKER_PLACES)),
            journal,
            config,
        }
    }

    /// A place for one more connection on this task's `/worker`, held while it lasts; `None` when
    /// [`WORKER_PLACES`] are taken.
    pub fn worker_place(&self) -> Option<tokio::sync::OwnedSemaphorePermit> {
        Arc::clone(&self.worker_places).try_acquire_owned().ok()
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
        let History { events, next_seq, output_end, interventions_forgotten, .. } = history;
        let mut events = events.into_iter();
        let Some(Event::Spawn { task_id, command, started_at, worker_token_sha256, worker_token }) = events.next()
        else {
            return None;
        };
        let key = match (worker_token_sha256, worker_token) {
            (Some(digest), _) => TokenDigest::from_hex(&digest)?,
            // An older history, which kept the token itself.
            (None, Some(token)) => TokenDigest::of(&Token::parse(&token)?),
            (None, None) => return None,
        };
        let task = Self::blank(task_id, command, key, started_at, rules, config, journal);
        {
            let mut state = task.state();
            state.interventions.forget_first(interventions_forgotten as usize);
            for event in events {
                match event {
                    // Output is summed up by `History`; a task's ring is refilled below. An agent
                    // session's stats come from its raw events, when the history holds them.
                    Event::Output { stream: OutputStream::Events, payload, .. } => {
                        if let Some(turn) = payload.into_bytes().ok().and_then(|bytes| last_turn(&bytes)) {
                            state.session = Some(turn);
                        }
                    }
                    Event::Output { .. } | Event::Truncated { .. } => {}
                    Event::Intervention { record } => {
                        state.next_message_id = state.next_message_id.max(record.id.saturating_add(1));
                        state.interventions.push(record);
                    }
                    Event::Ack { id, delivered, error } => {
                        // The command itself may be gone (written input is dropped when the
                        // history is cut): its id is still never to be used again.
                        state.next_message_id = state.next_message_id.max(id.saturating_add(1));
                        let command = state.commands.remove(&id);
                        state.killed |= delivered && command.as_ref().is_some_and(is_kill);
                        if let Some(record) = state.interventions.by_id(id) {
                            record.delivered = Some(delivered);
                            record.error = error;
                        }
                    }
                    Event::Command { command } => {
                        if let Some(id) = command.command_id() {
                            state.next_message_id = state.next_message_id.max(id.saturating_add(1));
                            state.commands.insert(id, command);
                        }
                    }
                    Event::Tamper { .. } => state.tamper_events += 1,
                    Event::Screen { rows, cols, prompt_pattern } => {
                        state.screen = Some(ScreenSetup { rows, cols, prompt_pattern });
                    }
                    Event::Status { status, pid, at } => {
                        if status.is_finished() {
                            state.ended_at = Some(at);
                        }
                        state.status = status;
                        state.pid = pid.or(state.pid);
                    }
                    Event::Cgroup { .. } => state.in_cgroup = true,
                    Event::InputPiped { upto } => state.piped_input = upto,
                    Event::Spawn { .. } => {}
                }
            }
            state.next_seq = next_seq;
            state.output = OutputRing::resumed(task.config.ring_capacity, output_end);
            // A hooked session has no worker to wait for: its next hook record continues it, and
            // it goes quiet for good only after a whole idle window from now.
            if !state.status.is_finished() && hooked_session(&task.command).is_some() {
                state.last_hook = Some(Instant::now());
            } else if !state.status.is_finished() {
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
            if let Some(setup) = state.screen.clone() {
                // Back on a virtual terminal, which is redrawn from the output read back: what it
                // showed was matched before the restart and is not matched again.
                let mut pipeline = task.pipeline();
                *pipeline = screen_pipeline(&task, &pipeline, &setup);
                for (_, _, data) in state.output.chunks_since(0) {
                    pipeline.redraw_seen(data, Instant::now());
                }
            }
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

    /// Journals `events` in one write.
    fn log_together(&self, events: &[Event]) {
        if let Some(journal) = &self.journal {
            journal.append_together(&self.id, events);
        }
    }

    /// Records that the task's processes run in the cgroup at `path`.
    pub fn set_cgroup(&self, path: PathBuf) {
        self.log(&Event::Cgroup { path });
        self.state().in_cgroup = true;
    }

    /// Whether the task runs in a cgroup and finished at or before `before` (on the hub's clock):
    /// `true` once, and what is left in its cgroup is then to be ended.
    pub fn cgroup_due_by(&self, before: Instant) -> bool {
        let mut state = self.state();
        let due = state.in_cgroup && state.finished_at.is_some_and(|at| at <= before);
        state.in_cgroup &= !due;
        due
    }

    /// The worker's token, once: for the spawner to hand to the worker it starts. `None` for a
    /// task restored from its history (its worker already has it) or once taken.
    pub fn take_worker_token(&self) -> Option<Token> {
        self.fresh_token.lock().unwrap_or_else(|p| p.into_inner()).take()
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

    /// A worker said hello: from now on commands go to `worker`, starting with every command not
    /// acknowledged yet. Refused (and recorded as tampering where it cannot be the real worker):
    /// a finished task, a pid other than the child's, and a second connection that does not
    /// present a session secret of the attached one.
    pub fn attach_worker(
        &self,
        worker: mpsc::Sender<HubToWorker>,
        pid: Option<u32>,
        session: Option<&str>,
    ) -> Result<Attached, String> {
        let mut state = self.state();
        if state.status.is_finished() {
            return Err(format!("task {} has ended ({})", self.id, state.status.name()));
        }
        if state.pid.is_some() && pid != state.pid {
            let reason = format!("a worker connection for pid {pid:?}, but the task's child is {:?}", state.pid);
            self.tamper(&mut state, reason.clone());
            return Err(reason);
        }
        let known = session.is_some_and(|presented| state.sessions.iter().any(|issued| issued == presented));
        // While a connection is attached only its own worker may take over. A detached task
        // accepts a worker without a session (one whose first welcome was lost, or any after a
        // hub restart, which forgets sessions), never one with a wrong session.
        let refused = match (&state.worker, session) {
            (Some(_), _) => !known,
            (None, Some(_)) => !known && !state.sessions.is_empty(),
            (None, None) => false,
        };
        if refused {
            let reason = if state.worker.is_some() {
                "a second worker connection without the attached worker's session".to_owned()
            } else {
                "a worker connection with a session this hub never issued".to_owned()
            };
            self.tamper(&mut state, reason.clone());
            return Err(reason);
        }
        for command in state.commands.values() {
            // Behind the welcome, which the connection sends before it reads this queue. The queue
            // holds the whole log; should it not, the rest goes with the next attach.
            if worker.try_send(command.clone()).is_err() {
                break;
            }
        }
        let fresh = Token::generate().as_str().to_owned();
        state.sessions.push_back(fresh.clone());
        while state.sessions.len() > SESSIONS_KEPT {
            state.sessions.pop_front();
        }
        state.worker = Some(worker);
        state.detached_since = None;
        if state.status == TaskStatus::Starting {
            state.pid = pid;
            state.status = TaskStatus::Running;
            self.log(&Event::Status { status: TaskStatus::Running, pid: state.pid, at: now_ms() });
        }
        let next_seq = state.next_seq;
        drop(state);
        self.bump();
        Ok(Attached { next_seq, session: fresh })
    }

    /// Whether `worker` is the connection commands go to (a replaced one must stop reading).
    pub fn is_attached(&self, worker: &mpsc::Sender<HubToWorker>) -> bool {
        self.state().worker.as_ref().is_some_and(|attached| attached.same_channel(worker))
    }

    /// Something the real worker never sends arrived: it changes nothing, and is kept in the history.
    fn tamper(&self, state: &mut TaskState, reason: String) {
        state.tamper_events += 1;
        if state.tamper_events > TAMPER_RECORDED {
            return;
        }
        tracing::warn!(task = %self.id, "refused from the worker connection: {reason}");
        self.log(&Event::Tamper { at: now_ms(), reason });
        self.bump();
    }

    /// Checks the `seq` of an output or exit message: `Ok(true)` when it is the next one, `Ok(false)`
    /// for a replay of one already stored, `Err` (recorded) for a gap, a jump, or anything after the
    /// exit.
    fn accept_seq(&self, state: &mut TaskState, seq: u64, what: &str) -> Result<bool, String> {
        if seq < state.next_seq {
            return Ok(false);
        }
        let reason = if state.status.is_finished() {
            format!("{what} #{seq} after the task ended")
        } else if seq > state.next_seq {
            format!("{what} #{seq} where #{} was due", state.next_seq)
        } else {
            // `seq` is the next one and can be advanced past, unless it is the very last number.
            match seq.checked_add(1) {
                Some(next) => {
                    state.next_seq = next;
                    return Ok(true);
                }
                None => format!("{what} #{seq} would wrap the sequence"),
            }
        };
        self.tamper(state, reason.clone());
        Err(reason)
    }

    /// Output chunk `seq` arrived. Returns the messages to send back to the worker (interventions).
    /// A chunk seen before (a replay after a reconnect) is ignored, so output is stored once.
    pub fn ingest(&self, seq: u64, stream: OutputStream, data: Vec<u8>, now: Instant) -> Vec<HubToWorker> {
        let mut pipeline = self.pipeline();
        let (at, ending) = {
            let mut state = self.state();
            match self.accept_seq(&mut state, seq, "output") {
                Ok(true) => {}
                Ok(false) => return Vec::new(),
                Err(message) => return vec![HubToWorker::Error { message }],
            }
            // Nobody else pushes output while we hold the pipeline, so this is where it goes.
            (state.output.end(), state.ending())
        };
        // The costly part, matching and encoding for the journal, without the state lock.
        let fired = if stream.is_matched() && !ending { pipeline.push(&data, now) } else { Vec::new() };
        let turn = if stream == OutputStream::Events { last_turn(&data) } else { None };
        if stream == OutputStream::Events {
            // The worker starts a chunk at each tool result, and sends a chunk's events before
            // its text: what a result shows counts for the text after it, and only that.
            let mut results = self.results.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            for observation in observed_results(&mut results, &data) {
                pipeline.observe(observation);
            }
        }
        if !self.config.confirm_when_written {
            let event = Event::Output { seq, stream, at: Some(at), payload: Payload::compact(&data) };
            self.mark_persisted(seq, Some(&event));
        }
        let mut state = self.state();
        if turn.is_some() {
            state.session = turn;
        }
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

    /// Stores interventions and turns those that act on the child into commands for the worker.
    /// While a kill is under way, rules that would act on the child again stay quiet: the child is
    /// going, and a flood of violating lines must not turn into a flood of kills.
    /// The agent asks to run a tool: the `tool` rules judge its line. Returns the decision for the
    /// worker, after the messages of any other action those rules take (an injection, a kill).
    /// A `deny` needs no acknowledgement: the decision is its delivery. An `ask` refuses as a
    /// `deny` does: a supervised task has no person at hand to answer it.
    pub fn judge_tool(&self, call: String, line: &str, now: Instant) -> Vec<HubToWorker> {
        // The agent's working directory stands for where the call runs.
        let pid = self.state().pid;
        let directory = pid.and_then(|pid| std::fs::read_link(format!("/proc/{pid}/cwd")).ok());
        let fired = {
            let mut tools = self.tools.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            // Each reading of the call, and each file it runs, as a line of the task's tool calls.
            let mut judge = |start: Option<&std::path::Path>, lines: &[String]| {
                judging_in(start.map(|start| Workplace::Directory(start.to_owned())), || {
                    let mut fired = Vec::new();
                    for line in lines {
                        fired.extend(tools.push(format!("{line}\n").as_bytes(), now));
                    }
                    fired
                })
            };
            Gate::new(directory, Arc::from(self.id.as_str())).judge(line, &mut judge).fired
        };
        let (denials, others): (Vec<_>, Vec<_>) = fired.into_iter().partition(|i| i.action.refuses_call());
        let mut pipeline = self.pipeline();
        // What an allowed call does (an edit, a test run) is evidence for the claims in the
        // output after it.
        if let Some(observation) = crate::agent::observe_tool_line(line).filter(|_| denials.is_empty()) {
            pipeline.observe(observation);
        }
        let mut state = self.state();
        let mut messages = self.record(&mut state, &mut pipeline, others, now);
        let mut deny = None;
        for denial in denials {
            let id = state.next_message_id;
            state.next_message_id += 1;
            let mut record = InterventionRecord::new(id, now_ms(), &denial);
            record.delivered = Some(true);
            tracing::info!(task = %self.id, rule = %record.rule, call = %line, "tool call denied");
            deny.get_or_insert((denial.message.clone().unwrap_or_default(), denial.rule.clone()));
            self.log(&Event::Intervention { record: record.clone() });
            state.interventions.push(record);
        }
        drop(state);
        drop(pipeline);
        self.bump();
        let (deny, rule) = deny.unzip();
        messages.push(HubToWorker::ToolDecision { id: call, deny, rule });
        messages
    }

    fn record(
        &self,
        state: &mut TaskState,
        pipeline: &mut Pipeline,
        fired: Vec<crate::pipeline::Intervention>,
        now: Instant,
    ) -> Vec<HubToWorker> {
        let mut messages = Vec::new();
        for intervention in fired {
            let acts = intervention.action != Action::Warn;
            if acts && state.ending() {
                continue;
            }
            let id = state.next_message_id;
            let mut record = InterventionRecord::new(id, now_ms(), &intervention);
            tracing::info!(task = %self.id, rule = %record.rule, action = %record.action, "intervention");
            if acts {
                let command = HubToWorker::Intervene {
                    id,
                    action: intervention.action,
                    rule: intervention.rule.clone(),
                    message: intervention.message.clone(),
                    grace_ms: Some(self.config.kill_grace.as_millis() as u64),
                };
                match self.log_command(state, command) {
                    Ok(command) => {
                        if let Some(message) = &intervention.message {
                            pipeline.expect_echo(message, now);
                        }
                        messages.push(command);
                    }
                    Err(err) => {
                        state.next_message_id += 1;
                        record.delivered = Some(false);
                        record.error = Some(err.to_string());
                    }
                }
            } else {
                state.next_message_id += 1;
            }
            self.log(&Event::Intervention { record: record.clone() });
            state.interventions.push(record);
        }
        messages
    }

    /// The worker said its child could not be started; only believed before the child ran.
    pub fn spawn_failed(&self, message: String, code: Option<i32>, now: Instant) {
        {
            let mut state = self.state();
            if state.status != TaskStatus::Starting && state.pid.is_some() {
                self.tamper(&mut state, "a spawn failure for a child that is running".to_owned());
                return;
            }
        }
        self.finish(TaskStatus::Failed { message, code }, now);
    }

    /// The task ended (or never started, or its worker vanished).
    pub fn finish(&self, status: TaskStatus, now: Instant) {
        self.finish_marked(status, now, None, |_| true);
    }

    /// How long a running session supervised through `axiom hook` has sent no hook record, if
    /// it is one (a look without the pipeline's lock, before [`lose_if_hook_idle`](Self::lose_if_hook_idle)).
    pub fn hook_idle_for(&self, now: Instant) -> Option<Duration> {
        let state = self.state();
        state.last_hook.filter(|_| !state.status.is_finished()).map(|last| now.saturating_duration_since(last))
    }

    /// Marks a session supervised through `axiom hook` lost if it has sent no hook record for
    /// `window`, judged under the lock a record takes: a record either comes first and keeps the
    /// session running, or finds it ended and goes to a new task. Returns whether it was lost.
    pub fn lose_if_hook_idle(&self, now: Instant, window: Duration) -> bool {
        let idle =
            |state: &TaskState| state.last_hook.is_some_and(|last| now.saturating_duration_since(last) >= window);
        self.finish_marked(TaskStatus::Lost, now, None, idle)
    }

    /// Ends the task with `status` unless it has ended already or `still` says no, both judged
    /// under the state lock; returns whether it ended it.
    fn finish_marked(
        &self,
        status: TaskStatus,
        now: Instant,
        seq: Option<u64>,
        still: impl FnOnce(&TaskState) -> bool,
    ) -> bool {
        let mut pipeline = self.pipeline();
        let mut state = self.state();
        if state.status.is_finished() {
            if let Some(seq) = seq {
                self.mark_persisted(seq, None);
            }
            return false;
        }
        if !still(&state) {
            return false;
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
        if matches!(status, TaskStatus::Lost | TaskStatus::Failed { .. }) {
            self.settle_commands(&mut state, "the task ended before its worker confirmed this");
        }
        state.status = status;
        state.ended_at = Some(at);
        state.finished_at = Some(now);
        drop(state);
        self.bump();
        true
    }

    /// The worker reported the end as its output number `seq`: stored once, like output, and
    /// acknowledged once the final status is written.
    pub fn finish_from_worker(&self, seq: u64, status: TaskStatus, now: Instant) -> Result<(), String> {
        {
            let mut state = self.state();
            if !self.accept_seq(&mut state, seq, "exit")? {
                return Ok(());
            }
        }
        self.finish_marked(status, now, Some(seq), |_| true);
        Ok(())
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
        if state.status.is_finished() {
            // The worker said its last words and is gone: nothing more will be acknowledged.
            self.settle_commands(&mut state, "the worker ended before it confirmed this");
        } else {
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
        self.tools.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).set_subject(subject);
        self.pipeline().set_subject(subject);
    }

    /// New rules take effect for this task's output from now on.
    pub fn set_rules(&self, rules: Arc<RuleSet>) {
        let now = Instant::now();
        self.tools.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).replace_rules(Arc::clone(&rules), now);
        self.pipeline().replace_rules(rules, now);
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
        // A pipeline busy matching a chunk is a task with output: running. Never wait for it here.
        let activity = match self.pipeline.try_lock() {
            Ok(pipeline) => pipeline.activity(Instant::now()),
            Err(_) => crate::pipeline::Activity::Running,
        };
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
            tamper_events: state.tamper_events,
            session: state.session.clone(),
            activity: (!state.status.is_finished()).then_some(activity),
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

    /// Where the last `max` bytes of kept text from `since` on start (see [`OutputRing::last_text_start`]).
    pub fn last_text_start(&self, since: u64, max: usize) -> u64 {
        self.state().output.last_text_start(since, max)
    }

    /// Whether kept text follows `cursor` (raw events do not count).
    pub fn has_text_after(&self, cursor: u64) -> bool {
        self.state().output.has_text_after(cursor)
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

    /// Interventions from number `since` on, a page at most (see [`Interventions::since`]), and
    /// the number to ask from next.
    pub fn interventions_since(&self, since: usize) -> (Vec<InterventionRecord>, usize) {
        self.state().interventions.since(since)
    }

    /// The interventions after the first `seen` (those no longer kept skipped), moving `seen`
    /// past them: what a stream of this task's interventions sends next.
    pub fn interventions_after(&self, seen: &mut usize) -> Vec<InterventionRecord> {
        let (records, next) = self.state().interventions.all_since(*seen);
        *seen = next;
        records
    }

    /// The newest `count` interventions, oldest first.
    pub fn newest_interventions(&self, count: usize) -> Vec<InterventionRecord> {
        let state = self.state();
        state.interventions.since(state.interventions.len().saturating_sub(count)).0
    }
}

/// Milliseconds since the Unix epoch, for timestamps people read.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

/// What the tool results in a chunk of an agent's raw events show (see [`EventObserver::observe_results`]).
fn observed_results(observer: &mut EventObserver, events: &[u8]) -> Vec<crate::evidence::Observation> {
    let mut found = Vec::new();
    // Only a line with a tool call or result in it is worth parsing.
    let lines = events
        .split(|&b| b == b'\n')
        .filter(|line| memchr::memmem::find(line, b"\"tool_").is_some())
        .filter_map(|line| std::str::from_utf8(line).ok());
    for parsed in lines.filter_map(|line| crate::agent::claude::parse_line(line).ok()) {
        for event in parsed.events() {
            observer.observe_results(&event, &mut found);
        }
    }
    found
}

/// The stats of the last `result` event in a chunk of an agent's raw events, if it holds one.
fn last_turn(events: &[u8]) -> Option<TurnStats> {
    events
        .split(|&b| b == b'\n')
        .rev()
        .filter(|line| memchr::memmem::find(line, b"\"result\"").is_some())
        .filter_map(|line| crate::agent::claude::parse_line(std::str::from_utf8(line).ok()?).ok())
        .find(|parsed| parsed.kind == "result")
        .map(|parsed| parsed.turn_stats())
}
