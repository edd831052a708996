//! The task's command log: input, injections, interruptions and kills, numbered and journaled
//! until the worker acknowledges each, so every one is carried out exactly once.

use std::time::{Duration, Instant};

use super::*;
use crate::protocol::INPUT_CLOSED;

/// Piped input allowed to wait for the worker at once: enough to keep a fast reader busy, and few
/// enough to leave room for corrections (and to hold at most this many chunks in memory).
pub const PIPED_IN_FLIGHT: usize = OUTSTANDING_LIMIT / 4;

impl Task {
    /// Numbers `command` (its id must be `next_message_id`), journals it and keeps it until acknowledged.
    pub(super) fn log_command(&self, state: &mut TaskState, command: HubToWorker) -> Result<HubToWorker, TaskError> {
        self.log_command_with(state, command, None)
    }

    /// [`log_command`](Self::log_command), journaling `also` in the same write as the command, so
    /// that no crash keeps one without the other.
    fn log_command_with(
        &self,
        state: &mut TaskState,
        command: HubToWorker,
        also: Option<Event>,
    ) -> Result<HubToWorker, TaskError> {
        if state.status.is_finished() {
            return Err(TaskError::NotRunning(self.id.clone(), state.status.name()));
        }
        if state.commands.len() >= OUTSTANDING_LIMIT {
            return Err(TaskError::WorkerBusy(self.id.clone()));
        }
        let id = command.command_id().expect("commands carry an id");
        debug_assert_eq!(id, state.next_message_id);
        state.next_message_id = id.saturating_add(1);
        if let HubToWorker::Intervene { action: Action::Kill, grace_ms, .. } = &command {
            let grace = grace_ms.map_or(self.config.kill_grace, Duration::from_millis);
            let due = Instant::now() + grace + KILL_MARGIN;
            state.kill_due = Some(state.kill_due.map_or(due, |earlier| earlier.min(due)));
        }
        let logged = Event::Command { command: command.clone() };
        match also {
            Some(also) => self.log_together(&[logged, also]),
            None => self.log(&logged),
        }
        state.commands.insert(id, command.clone());
        Ok(command)
    }

    /// Logs a command asked for by a user or a model, and hands it to the connected worker (or
    /// keeps it for the next one to attach).
    fn issue(&self, state: &mut TaskState, make: impl FnOnce(u64) -> HubToWorker) -> Result<u64, TaskError> {
        let (id, command) = self.number(state, make, None)?;
        hand_over(state, command);
        Ok(id)
    }

    /// The first half of [`issue`](Self::issue): the command is numbered and journaled (with
    /// `also`, in the same write), and goes with the next attach, but is not handed to the
    /// connected worker.
    fn number(
        &self,
        state: &mut TaskState,
        make: impl FnOnce(u64) -> HubToWorker,
        also: Option<Event>,
    ) -> Result<(u64, HubToWorker), TaskError> {
        if hooked_session(&self.command).is_some() {
            return Err(TaskError::Hooked(self.id.clone()));
        }
        let id = state.next_message_id;
        Ok((id, self.log_command_with(state, make(id), also)?))
    }

    /// Commands that will never be acknowledged (the task ended and its worker is gone) are
    /// reported as not delivered, so no record waits for ever.
    pub(super) fn settle_commands(&self, state: &mut TaskState, reason: &str) {
        // An interrupt the task ended of (SIGINT) reached it, though its follow-up could not.
        let ended_by_interrupt = state.status == TaskStatus::Killed { signal: libc::SIGINT };
        for (id, command) in std::mem::take(&mut state.commands) {
            let (delivered, error) = match &command {
                HubToWorker::Intervene { action: Action::Interrupt, message, .. } if ended_by_interrupt => (
                    true,
                    message.as_ref().map(|_| "the interrupt ended the task, so its message was not sent".to_owned()),
                ),
                _ => (false, Some(reason.to_owned())),
            };
            if let Some(record) = state.interventions.by_id(id) {
                record.delivered = Some(delivered);
                record.error = error.clone();
            }
            self.log(&Event::Ack { id, delivered, error });
        }
    }

    /// The worker reported what became of command `id`. An acknowledgement of a command never
    /// sent is refused as tampering; a repeated one is ignored.
    pub fn acknowledge(&self, id: u64, delivered: bool, error: Option<String>) {
        let mut state = self.state();
        if id >= state.next_message_id {
            self.tamper(&mut state, format!("an acknowledgement of command {id}, which was never sent"));
            return;
        }
        let Some(command) = state.commands.remove(&id) else { return };
        state.killed |= delivered && is_kill(&command);
        let input = matches!(command, HubToWorker::Input { .. } | HubToWorker::Pipe { .. });
        if !delivered && input && error.as_deref() != Some(INPUT_CLOSED) {
            state.input_failures += 1;
            state.last_input_failure = error.clone();
        }
        if let Some(record) = state.interventions.by_id(id) {
            record.delivered = Some(delivered);
            record.error = error.clone();
        }
        self.log(&Event::Ack { id, delivered, error });
        drop(state);
        self.bump();
    }

    /// Writes text to the task's input (Enter appended when `enter`). Text longer than
    /// [`INPUT_CHUNK`] goes as several commands, in order, Enter only after the last.
    pub fn send_input(&self, text: &str, enter: bool) -> Result<(), TaskError> {
        let pieces = input_pieces(text);
        let mut state = self.state();
        if state.commands.len() + pieces.len() > OUTSTANDING_LIMIT && !state.status.is_finished() {
            return Err(TaskError::WorkerBusy(self.id.clone()));
        }
        let last = pieces.len() - 1;
        for (index, piece) in pieces.into_iter().enumerate() {
            let payload = Payload::from_bytes(piece.as_bytes());
            self.issue(&mut state, |id| HubToWorker::Input { id, payload, enter: enter && index == last })?;
        }
        drop(state);
        self.bump();
        Ok(())
    }

    /// Keys a person typed, passed on as they are (no Enter added). The worker never writes them
    /// inside a correction it is typing.
    pub fn send_keys(&self, keys: &[u8]) -> Result<(), TaskError> {
        let mut state = self.state();
        if state.commands.len() >= OUTSTANDING_LIMIT && !state.status.is_finished() {
            return Err(TaskError::WorkerBusy(self.id.clone()));
        }
        let payload = Payload::from_bytes(keys);
        self.issue(&mut state, |id| HubToWorker::Input { id, payload, enter: false })?;
        drop(state);
        self.bump();
        Ok(())
    }

    /// Writes bytes of a stream piped into the task (`axiom run`'s or a client's standard input),
    /// `at` being their offset in that stream, once fewer than [`PIPED_IN_FLIGHT`] commands wait
    /// for the worker: so the stream is paced by the child's reading, and leaves room for
    /// corrections. Bytes before what was already taken are skipped, so a chunk sent again after
    /// a lost connection is written once. At most [`INPUT_CHUNK`] bytes at a time.
    pub async fn pipe_input(self: &Arc<Self>, at: u64, bytes: &[u8]) -> Result<(), TaskError> {
        if bytes.len() > INPUT_CHUNK {
            return Err(TaskError::InputTooLarge { task: self.id.clone(), len: bytes.len() });
        }
        let id = loop {
            self.wait_for_room(PIPED_IN_FLIGHT).await;
            let mut state = self.state();
            let taken = state.piped_input;
            if at > taken {
                return Err(TaskError::InputGap { task: self.id.clone(), at, taken });
            }
            let fresh = &bytes[usize::try_from(taken - at).unwrap_or(usize::MAX).min(bytes.len())..];
            if fresh.is_empty() {
                return Ok(());
            }
            // Corrections may have taken the room since it was waited for: wait again.
            if state.commands.len() >= PIPED_IN_FLIGHT && !state.status.is_finished() {
                continue;
            }
            let upto = taken.saturating_add(fresh.len() as u64);
            let payload = Payload::compact(fresh);
            let (id, _) =
                self.number(&mut state, |id| HubToWorker::Pipe { id, payload }, Some(Event::InputPiped { upto }))?;
            state.piped_input = upto;
            state.written_ahead.insert(id);
            break id;
        };
        self.hand_over_when_written(id).await;
        Ok(())
    }

    /// Gives the child end of file on its input once everything sent before is written: after
    /// room, as [`pipe_input`](Self::pipe_input) waits for, and written ahead as it is.
    pub async fn end_piped_input(self: &Arc<Self>) -> Result<(), TaskError> {
        self.wait_for_room(PIPED_IN_FLIGHT).await;
        let id = {
            let mut state = self.state();
            let (id, _) = self.number(&mut state, |id| HubToWorker::EndInput { id }, None)?;
            state.written_ahead.insert(id);
            id
        };
        self.hand_over_when_written(id).await;
        Ok(())
    }

    /// Hands a numbered command to the worker once the journal holds it: a hub killed at any
    /// moment then knows after its restart whether the command was taken, so a sender's retry is
    /// neither lost nor carried out twice, and the id is never issued again. Commands written
    /// ahead reach the worker in the order they were numbered, whichever flush ends first; a
    /// worker that attaches meanwhile gets them with the other outstanding commands, and a
    /// correction issued meanwhile may reach the worker first (the worker carries out each id
    /// once). The hand-over runs on a task of its own, so a caller that stops waiting (its
    /// client went away) cannot leave a command numbered but never sent.
    async fn hand_over_when_written(self: &Arc<Self>, id: u64) {
        let task = Arc::clone(self);
        let hand_over = tokio::spawn(async move {
            if let Some(journal) = &task.journal {
                journal.flushed().await;
            }
            let mut state = task.state();
            let due: Vec<u64> = state.written_ahead.range(..=id).copied().collect();
            for due in due {
                state.written_ahead.remove(&due);
                if let Some(command) = state.commands.get(&due).cloned() {
                    hand_over(&mut state, command);
                }
            }
            drop(state);
            task.bump();
        });
        let _ = hand_over.await;
    }

    /// How many writes of input the worker could not carry out (input the command had closed is
    /// not counted), and the last one's error.
    pub fn input_failures(&self) -> (u64, Option<String>) {
        let state = self.state();
        (state.input_failures, state.last_input_failure.clone())
    }

    /// Waits until fewer than `limit` commands wait for their worker's acknowledgement, or the
    /// task has finished: how a steady stream of input (`axiom run`'s own stdin) is paced by
    /// the child's reading instead of being refused as [`TaskError::WorkerBusy`].
    pub async fn wait_for_room(&self, limit: usize) {
        let mut changes = self.subscribe();
        loop {
            {
                let state = self.state();
                if state.commands.len() < limit || state.status.is_finished() {
                    return;
                }
            }
            if changes.changed().await.is_err() {
                return;
            }
        }
    }

    /// Kills the task's process group (see [`intervene`](Self::intervene)). A task that has ended
    /// already is left as it is, as a second kill would leave it.
    pub fn kill(&self, grace: Option<Duration>) -> Result<(), TaskError> {
        match self.intervene(Action::Kill, None, grace) {
            Err(TaskError::NotRunning(..)) if self.info().status.is_finished() => Ok(()),
            other => other.map(|_| ()),
        }
    }

    /// An intervention asked for by a user or a model rather than a rule; recorded like one.
    pub fn intervene(
        &self,
        action: Action,
        message: Option<String>,
        grace: Option<Duration>,
    ) -> Result<u64, TaskError> {
        let grace_ms = grace.unwrap_or(self.config.kill_grace).as_millis() as u64;
        let mut pipeline = self.pipeline();
        let mut state = self.state();
        let id = self.issue(&mut state, |id| HubToWorker::Intervene {
            id,
            action,
            rule: crate::protocol::BY_HAND.into(),
            message: message.clone(),
            grace_ms: Some(grace_ms),
        })?;
        if let Some(text) = &message {
            pipeline.expect_echo(text, Instant::now());
        }
        let manual = InterventionRecord {
            id,
            at: now_ms(),
            task_id: self.id.clone(),
            rule: crate::protocol::BY_HAND.into(),
            severity: crate::rules::Severity::Info,
            action,
            message,
            matched: String::new(),
            line: None,
            delivered: None,
            error: None,
        };
        self.log(&Event::Intervention { record: manual.clone() });
        state.interventions.push(manual);
        drop(state);
        self.bump();
        Ok(id)
    }
}

/// Hands a logged command to the connected worker, if any. A full queue means the connection is
/// not being read: the command stays in the log and goes with the next attach (the worker carries
/// out each id once, so one sent twice is harmless).
fn hand_over(state: &mut TaskState, command: HubToWorker) {
    if let Some(worker) = &state.worker {
        let _ = worker.try_send(command);
    }
}

impl Task {
    /// When the task ended, on the hub's clock; `None` while it runs.
    pub fn finished_at(&self) -> Option<Instant> {
        self.state().finished_at
    }

    /// When this task's worker process is overdue to end: a kill's grace and [`KILL_MARGIN`]
    /// after the kill was issued, while the task runs; [`KILL_MARGIN`] after the task ended (a
    /// worker says its last and exits within moments of the end, or of being told it is lost).
    /// A worker still there is stopped or hangs (a child can send it `SIGSTOP`) and its child
    /// runs on unsupervised, so the hub ends the worker itself. By then the hub holds all the
    /// task's output, so ending a worker that was only slow to leave loses nothing.
    pub fn worker_overdue_at(&self) -> Option<Instant> {
        let state = self.state();
        match state.finished_at {
            Some(ended) => Some(ended + KILL_MARGIN),
            None => state.kill_due,
        }
    }
}

pub(super) fn is_kill(command: &HubToWorker) -> bool {
    matches!(command, HubToWorker::Intervene { action: Action::Kill, .. })
}

/// `text` cut into pieces of at most [`INPUT_CHUNK`] bytes, at character boundaries; at least one.
fn input_pieces(text: &str) -> Vec<&str> {
    let mut pieces = Vec::new();
    let mut rest = text;
    while rest.len() > INPUT_CHUNK {
        let mut cut = INPUT_CHUNK;
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        let (piece, tail) = rest.split_at(cut);
        pieces.push(piece);
        rest = tail;
    }
    pieces.push(rest);
    pieces
}
