//! `axiom worker`: run one command, stream its output to the hub, obey what the hub sends back.
//!
//! Every chunk of output is numbered and kept in an [`Outbox`] until the hub says it is stored
//! (`received`). When the connection drops, the child keeps running and the worker reconnects
//! with backoff; the hub's `welcome` says which chunk it needs next, and the worker resends from
//! there — so output arrives exactly once and in order, across hub restarts too. A full outbox
//! stops reading the child's output: back-pressure, never loss. If the hub stays away longer than
//! the reconnect window, nobody supervises the child any more, so it is ended.
//!
//! Input and interventions go to an action task that applies them one at a time, in order, so a
//! kill's grace period never stalls the output.

use std::collections::VecDeque;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use futures_util::{SinkExt, StreamExt};
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::mpsc;

use crate::cli::WorkerArgs;
use crate::dial::{dial, HubSocket};
use crate::hub::auth::Token;
use crate::protocol::{HubToWorker, Payload, WorkerMessage, PROTOCOL_VERSION};
use crate::rules::Action;
use crate::worker::{ChildEvent, ChildHandle, SpawnSpec};

/// Output chunks in flight between the child's readers and the outbox. Few: while it is full the
/// readers merge what the child writes into larger chunks.
const EVENT_QUEUE: usize = 8;
/// Output kept for the hub until it is acknowledged. This bounds what is in flight to the hub, so a
/// flooding child is slowed down within a megabyte instead of filling socket buffers the hub takes
/// seconds to drain (and, while the hub is away, how much the child may print before it waits).
const OUTBOX_BYTES: usize = 1024 * 1024;

pub fn run(args: WorkerArgs) -> anyhow::Result<ExitCode> {
    let token = std::env::var("AXIOM_TOKEN").ok().and_then(|t| Token::parse(&t)).context(
        "AXIOM_TOKEN is not set to a valid token; the hub passes it to the workers it starts (never on the command line)",
    )?;
    // The child must not inherit the worker's credential. Sound: no other thread runs yet.
    std::env::remove_var("AXIOM_TOKEN");
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(Worker { path: format!("/worker?task_id={}", args.task_id), args, token }.run())
}

struct Worker {
    args: WorkerArgs,
    token: Token,
    path: String,
}

/// Numbered messages the hub has not confirmed yet.
#[derive(Default)]
struct Outbox {
    messages: VecDeque<(u64, WorkerMessage, usize)>,
    bytes: usize,
    next_seq: u64,
}

impl Outbox {
    fn has_room(&self) -> bool {
        self.bytes < OUTBOX_BYTES
    }

    /// Numbers a message (output or exit) and keeps it.
    fn push(&mut self, numbered: impl FnOnce(u64) -> WorkerMessage, size: usize) -> &WorkerMessage {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.bytes += size;
        self.messages.push_back((seq, numbered(seq), size));
        &self.messages.back().expect("just pushed").1
    }

    /// Forgets everything before `next_seq`.
    fn confirm(&mut self, next_seq: u64) {
        while self.messages.front().is_some_and(|(seq, _, _)| *seq < next_seq) {
            let (_, _, size) = self.messages.pop_front().expect("checked");
            self.bytes -= size;
        }
    }
}

impl Worker {
    async fn run(self) -> anyhow::Result<ExitCode> {
        let mut socket = self.connect_with_retry(Duration::from_secs(5)).await?;
        let (events, mut child_events) = mpsc::channel(EVENT_QUEUE);
        let spec = SpawnSpec::new(self.args.command.clone()).driver(self.args.driver);
        let child = match ChildHandle::spawn(spec, events) {
            Ok(child) => child,
            Err(err) => {
                self.say_hello(&mut socket, None).await?;
                send(&mut socket, &WorkerMessage::SpawnFailed { message: err.to_string() }).await?;
                let _ = socket.close(None).await;
                return Ok(ExitCode::from(1));
            }
        };
        self.say_hello(&mut socket, Some(child.pid())).await?;

        let (actions, action_queue) = mpsc::unbounded_channel();
        let (acks, mut ack_queue) = mpsc::unbounded_channel();
        let options = ActionOptions {
            interrupt_delay: self.args.interrupt_delay.into(),
            default_grace: self.args.kill_grace.into(),
        };
        tokio::spawn(apply_actions(child.clone(), action_queue, acks, options));
        // The hub decides what happens to the child; a terminal's Ctrl-C reaching the worker must not.
        let mut interrupts = signal(SignalKind::interrupt())?;
        let mut terminations = signal(SignalKind::terminate())?;

        let mut link = Some(socket);
        let mut welcomed = false;
        let mut lost_at: Option<Instant> = None;
        let mut backoff = Duration::from_millis(50);
        // When to try the hub again; kept across loop turns, so the child's output cannot keep
        // pushing the attempt back.
        let mut retry_at: Option<tokio::time::Instant> = None;
        let mut outbox = Outbox::default();
        let mut child_done = false;
        let window: Duration = self.args.reconnect_window.into();

        loop {
            let Some(socket) = link.as_mut() else {
                // Disconnected: keep collecting output while trying to get back.
                let since = *lost_at.get_or_insert_with(Instant::now);
                if since.elapsed() >= window {
                    if window.is_zero() {
                        // `axiom run`'s own hub: it never comes back, and nobody supervises the child.
                        tracing::warn!(pid = child.pid(), "the hub went away; ending the child");
                    } else {
                        let window = humantime::format_duration(window);
                        tracing::warn!(
                            pid = child.pid(),
                            "the hub did not come back within {window}; ending the child"
                        );
                    }
                    let _ = child.kill(options.default_grace).await;
                    return Ok(ExitCode::from(1));
                }
                tokio::select! {
                    event = child_events.recv(), if outbox.has_room() && !child_done => {
                        child_done |= keep(&mut outbox, event);
                    }
                    () = tokio::time::sleep_until(*retry_at.get_or_insert_with(|| tokio::time::Instant::now() + backoff)) => {
                        retry_at = None;
                        backoff = (backoff * 2).min(Duration::from_secs(2));
                        if let Ok(Ok(mut socket)) = tokio::time::timeout(Duration::from_secs(5), self.dial()).await {
                            if self.say_hello(&mut socket, Some(child.pid())).await.is_ok() {
                                tracing::info!("reconnected to the hub");
                                link = Some(socket);
                                welcomed = false;
                                lost_at = None;
                                backoff = Duration::from_millis(50);
                            }
                        }
                    }
                    _ = interrupts.recv() => {}
                    _ = terminations.recv() => { let _ = child.kill(options.default_grace).await; }
                }
                continue;
            };
            let mut failed = false;
            tokio::select! {
                event = child_events.recv(), if outbox.has_room() && !child_done => {
                    child_done |= keep(&mut outbox, event);
                    if welcomed {
                        let newest = &outbox.messages.back().expect("just kept").1;
                        failed = send(socket, newest).await.is_err();
                    }
                }
                frame = socket.next() => match frame {
                    Some(Ok(frame)) if frame.is_text() => match serde_json::from_str::<HubToWorker>(frame.to_text().unwrap_or_default()) {
                        Ok(HubToWorker::Welcome { next_seq }) => {
                            // `next_seq` is what the hub has *received*; only `received` says what
                            // it has stored, so nothing is forgotten here.
                            welcomed = true;
                            for (seq, message, _) in &outbox.messages {
                                if *seq < next_seq {
                                    continue;
                                }
                                if send(socket, message).await.is_err() {
                                    failed = true;
                                    break;
                                }
                            }
                        }
                        Ok(HubToWorker::Received { next_seq }) => {
                            outbox.confirm(next_seq);
                            if child_done && outbox.messages.is_empty() {
                                let _ = tokio::time::timeout(Duration::from_secs(2), socket.close(None)).await;
                                return Ok(ExitCode::SUCCESS);
                            }
                        }
                        Ok(HubToWorker::Error { message }) => tracing::warn!("hub: {message}"),
                        Ok(request) => {
                            let _ = actions.send(request);
                        }
                        Err(err) => tracing::warn!("unreadable message from the hub: {err}"),
                    },
                    Some(Ok(_)) => {}
                    Some(Err(_)) | None => failed = true,
                },
                Some(ack) = ack_queue.recv() => failed = send(socket, &ack).await.is_err(),
                _ = interrupts.recv() => {}
                _ = terminations.recv() => { let _ = child.kill(options.default_grace).await; }
            }
            if failed {
                if !window.is_zero() {
                    tracing::warn!("lost the hub connection; the child keeps running while the worker reconnects");
                }
                link = None;
                welcomed = false;
            }
        }
    }

    async fn dial(&self) -> anyhow::Result<HubSocket> {
        dial(&self.args.server, &self.path, &self.token, 1024 * 1024).await
    }

    async fn say_hello(&self, socket: &mut HubSocket, pid: Option<u32>) -> anyhow::Result<()> {
        send(socket, &WorkerMessage::Hello { protocol: PROTOCOL_VERSION, task_id: self.args.task_id.clone(), pid })
            .await
    }

    /// The hub may still be starting when its first worker runs.
    async fn connect_with_retry(&self, patience: Duration) -> anyhow::Result<HubSocket> {
        let started = Instant::now();
        let mut delay = Duration::from_millis(20);
        loop {
            match self.dial().await {
                Ok(socket) => return Ok(socket),
                Err(err)
                    if started.elapsed() >= patience || err.to_string().contains("refused the connection: HTTP") =>
                {
                    return Err(err)
                }
                Err(_) => {
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_millis(500));
                }
            }
        }
    }
}

/// Puts a child event in the outbox; returns whether it was the end.
fn keep(outbox: &mut Outbox, event: Option<ChildEvent>) -> bool {
    match event {
        Some(ChildEvent::Output { stream, data }) => {
            let size = data.len();
            outbox.push(|seq| WorkerMessage::Output { seq, stream, payload: Payload::from_bytes(&data) }, size);
            false
        }
        Some(ChildEvent::Exited(info)) => {
            outbox.push(|seq| WorkerMessage::Exit { seq, code: info.code, signal: info.signal }, 0);
            true
        }
        None => true,
    }
}

async fn send(socket: &mut HubSocket, message: &WorkerMessage) -> anyhow::Result<()> {
    socket.send(crate::hub::encode(message)).await.context("the hub connection failed")
}

#[derive(Debug, Clone, Copy)]
struct ActionOptions {
    interrupt_delay: Duration,
    default_grace: Duration,
}

/// Applies input and interventions one at a time, in the order the hub sent them.
async fn apply_actions(
    child: ChildHandle,
    mut requests: mpsc::UnboundedReceiver<HubToWorker>,
    acks: mpsc::UnboundedSender<WorkerMessage>,
    options: ActionOptions,
) {
    while let Some(request) = requests.recv().await {
        let (id, result) = match request {
            HubToWorker::Input { id, payload, enter } => {
                let result = match payload.into_bytes() {
                    Ok(bytes) if enter => {
                        child.inject(&String::from_utf8_lossy(&bytes)).await.map_err(|e| e.to_string())
                    }
                    Ok(bytes) => child.write_input(&bytes).await.map_err(|e| e.to_string()),
                    Err(err) => Err(err),
                };
                (id, result)
            }
            HubToWorker::Intervene { id, action, message, grace_ms, .. } => {
                let grace = grace_ms.map_or(options.default_grace, Duration::from_millis);
                let result = match action {
                    Action::Warn => Ok(()),
                    // A refusal answers the tool call it was asked about; it is never sent as an
                    // intervention on its own.
                    Action::Deny => Err("deny answers a tool call; there is no call to refuse".to_owned()),
                    Action::Inject => match message.as_deref() {
                        Some(text) => child.inject(text).await.map_err(|e| e.to_string()),
                        None => Err("inject needs a message".to_owned()),
                    },
                    Action::Interrupt => {
                        child.interrupt(message.as_deref(), options.interrupt_delay).await.map_err(|e| e.to_string())
                    }
                    Action::Kill => child.kill(grace).await.map_err(|e| e.to_string()),
                };
                (id, result)
            }
            HubToWorker::Welcome { .. } | HubToWorker::Received { .. } | HubToWorker::Error { .. } => continue,
        };
        let ack = match result {
            Ok(()) => WorkerMessage::Ack { id, delivered: true, error: None },
            Err(error) => WorkerMessage::Ack { id, delivered: false, error: Some(error) },
        };
        if acks.send(ack).is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::worker::OutputStream;

    #[test]
    fn outbox_numbers_keeps_and_forgets_in_order() {
        let mut outbox = Outbox::default();
        for text in ["a", "bb", "ccc"] {
            keep(
                &mut outbox,
                Some(ChildEvent::Output { stream: OutputStream::Stdout, data: text.as_bytes().to_vec() }),
            );
        }
        assert!(keep(&mut outbox, Some(ChildEvent::Exited(Default::default()))));
        assert_eq!(outbox.bytes, 6);
        outbox.confirm(2);
        let left: Vec<u64> = outbox.messages.iter().map(|(seq, _, _)| *seq).collect();
        assert_eq!(left, [2, 3]);
        assert_eq!(outbox.bytes, 3);
        assert!(matches!(outbox.messages.back().unwrap().1, WorkerMessage::Exit { seq: 3, .. }));
        outbox.confirm(4);
        assert!(outbox.messages.is_empty());
        assert_eq!(outbox.bytes, 0);
    }
}
