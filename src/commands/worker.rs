//! `axiom worker`: run one command, stream its output to the hub, obey what the hub sends back.
//!
//! The worker is the one part of axiom the supervised command can reach, so it is sealed before
//! the command starts: its token comes through an inherited pipe that is read and closed first
//! (never the environment or argv), the process is made non-dumpable (its memory and environment
//! cannot be read by the child), and it becomes a child subreaper, so every descendant, a
//! `setsid` grandchild included, stays findable and is ended with it (see [`crate::worker::tree`]).
//!
//! Every chunk of output is numbered and kept in an [`Outbox`] until the hub says it is stored
//! (`received`). When the connection drops, the child keeps running and the worker reconnects on
//! the [`Reconnect`] schedule, presenting the session of its last `welcome`; the hub's `welcome`
//! says which chunk it needs next, and the worker resends from there, so output arrives exactly
//! once and in order, across hub restarts too. A full outbox stops reading the child's output:
//! back-pressure, never loss. If the hub stays away longer than the reconnect window, or says the
//! task is over, nobody supervises the child any more, so it is ended.
//!
//! Commands from the hub are numbered; the hub resends those it has no acknowledgement for, and
//! [`Commands`] makes sure each is carried out once. Input and injections are written one at a
//! time, in order, each within the write timeout; interrupts and kills are signals and never wait
//! behind a write to a child that does not read its input.

use std::os::fd::FromRawFd as _;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use futures_util::{SinkExt, StreamExt};
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::cli::WorkerArgs;
use crate::dial::{dial, HubSocket};
use crate::hub::auth::Token;
use crate::protocol::{HubToWorker, Payload, WorkerMessage, PROTOCOL_VERSION};
use crate::rules::Action;
use crate::worker::link::{Commands, Next, Outbox, Reconnect, Seen};
use crate::worker::{tree, ChildEvent, ChildHandle, Driver, SpawnSpec, SUBMIT_BOUND};

/// Output chunks in flight between the child's readers and the outbox. Few: while it is full the
/// readers merge what the child writes into larger chunks.
const EVENT_QUEUE: usize = 8;
/// Output kept for the hub until it is acknowledged. This bounds what is in flight to the hub, so a
/// flooding child is slowed down within a megabyte instead of filling socket buffers the hub takes
/// seconds to drain (and, while the hub is away, how much the child may print before it waits).
const OUTBOX_BYTES: usize = 1024 * 1024;
/// The largest message the worker accepts from the hub (the hub chunks input below it).
const MAX_MESSAGE: usize = 1024 * 1024;

pub fn run(args: WorkerArgs) -> anyhow::Result<ExitCode> {
    let token = read_token(args.token_fd)?;
    tree::seal_this_process().context("cannot seal the worker process (prctl)")?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(Worker { path: format!("/worker?task_id={}", args.task_id), args, token }.run())
}

/// Reads the token from the inherited descriptor `fd` and closes it.
fn read_token(fd: i32) -> anyhow::Result<Token> {
    use std::io::Read as _;
    // Refuse the standard streams and anything that is not an open descriptor: taking ownership
    // of those would close something this process still uses.
    // SAFETY: F_GETFD only queries the descriptor table.
    anyhow::ensure!(
        fd > 2 && unsafe { libc::fcntl(fd, libc::F_GETFD) } != -1,
        "--token-fd {fd} is not an open file descriptor; the hub passes the token through a pipe"
    );
    // SAFETY: the descriptor is open, was handed to this process for this purpose only, and is
    // owned (and closed) by the file from here on.
    let mut pipe = unsafe { std::fs::File::from_raw_fd(fd) };
    let mut text = String::new();
    pipe.read_to_string(&mut text).context("cannot read the token from --token-fd")?;
    drop(pipe);
    Token::parse(&text).context("--token-fd did not hold a valid token")
}

struct Worker {
    args: WorkerArgs,
    token: Token,
    path: String,
}

/// The link to the hub, when there is one.
struct Link {
    socket: HubSocket,
    welcomed: bool,
    /// When anything last came from the hub (its pings, and its answers to ours, included).
    heard: Instant,
    /// When the worker last pinged the hub.
    pinged: Instant,
}

impl Worker {
    async fn run(self) -> anyhow::Result<ExitCode> {
        // Taken over before the child starts: a signal that comes while it starts (a hangup as the
        // child writes its first line) is held for the loop below, not the default's end of the
        // worker alone, which would leave the child to die with it and the task lost.
        // The hub decides what happens to the child; a terminal's Ctrl-C reaching the worker must not.
        let mut interrupts = signal(SignalKind::interrupt())?;
        let mut terminations = signal(SignalKind::terminate())?;
        // A hangup (the terminal closed, or the kernel's to an orphaned stopped process group
        // when the hub is gone) ends the child as a termination does: by default it would end
        // the worker alone and leave the child unsupervised.
        let mut hangups = signal(SignalKind::hangup())?;
        // Orphans below the worker are re-parented to it (it is a subreaper) and must be reaped.
        let mut children = signal(SignalKind::child())?;
        let mut socket = self.connect_with_retry(Duration::from_secs(5)).await?;
        let (events, mut child_events) = mpsc::channel(EVENT_QUEUE);
        let mut spec = SpawnSpec::new(self.args.command.clone()).driver(self.args.driver);
        spec.prompt_pattern = self.args.prompt.prompt_pattern.clone();
        if let Some(size) = self.args.pty_size {
            spec.pty_size = size;
        }
        let child = match ChildHandle::spawn(spec, events) {
            Ok(child) => child,
            Err(err) => {
                self.say_hello(&mut socket, None, None).await?;
                let failed = WorkerMessage::SpawnFailed { message: err.to_string(), code: Some(err.exit_code()) };
                send(&mut socket, &failed).await?;
                let _ = socket.close(None).await;
                return Ok(ExitCode::from(1));
            }
        };
        self.say_hello(&mut socket, Some(child.pid()), None).await?;

        let grace: Duration = self.args.kill_grace.into();
        let (acks, mut ack_queue) = mpsc::unbounded_channel();
        let actions = Actions::start(
            child.clone(),
            acks,
            ActionOptions {
                interrupt_delay: self.args.interrupt_delay.into(),
                default_grace: grace,
                write_timeout: self.args.write_timeout.into(),
            },
        );

        let mut link = Some(Link { socket, welcomed: false, heard: Instant::now(), pinged: Instant::now() });
        let silence: Duration = self.args.hub_silence.into();
        let mut session: Option<String> = None;
        let window: Duration = self.args.reconnect_window.into();
        let mut reconnect = Reconnect::new(window);
        let mut outbox = Outbox::new(OUTBOX_BYTES);
        let mut commands: Commands<WorkerMessage> = Commands::new();
        // Claude driver: tool calls asked of the hub and not answered yet.
        let mut undecided: Vec<WorkerMessage> = Vec::new();
        // Claude driver: the outbox seq the hub must confirm before the turn that just ended is
        // judged (the hub sends every intervention on that output before the confirmation).
        let mut turn_end: Option<u64> = None;
        let mut confirmed: u64 = 0;
        let mut child_done = false;

        let code = loop {
            let Some(current) = link.as_mut() else {
                // Disconnected: keep collecting output while trying to get back.
                let dial_at = match reconnect.next(Instant::now()) {
                    Next::DialAt(at) => at,
                    Next::GiveUp => {
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
                        let _ = child.kill(grace).await;
                        break ExitCode::from(1);
                    }
                };
                tokio::select! {
                    event = child_events.recv(), if outbox.has_room() && !child_done => match event {
                        Some(ChildEvent::ToolCall { id, line }) => undecided.push(WorkerMessage::ToolCall { id, line }),
                        Some(ChildEvent::TurnEnded) => turn_end = Some(outbox.next_seq()),
                        event => child_done |= keep(&mut outbox, event),
                    },
                    () = tokio::time::sleep_until(dial_at) => match self.redial(child.pid(), session.as_deref()).await {
                        Redial::Connected(socket) => {
                            tracing::info!("reconnected to the hub");
                            link = Some(Link {
                                socket: *socket,
                                welcomed: false,
                                heard: Instant::now(),
                                pinged: Instant::now(),
                            });
                            reconnect.connected();
                        }
                        Redial::Failed => reconnect.failed(),
                        Redial::TaskEnded => {
                            tracing::warn!("the hub says the task has ended; ending the child");
                            let _ = child.kill(grace).await;
                            break if child_done { ExitCode::SUCCESS } else { ExitCode::from(1) };
                        }
                    },
                    _ = children.recv() => tree::reap_orphans(Some(child.pid())),
                    _ = interrupts.recv() => {}
                    _ = terminations.recv() => actions.kill_now(grace),
                    _ = hangups.recv() => actions.kill_now(grace),
                }
                continue;
            };
            let mut failed = false;
            tokio::select! {
                event = child_events.recv(), if outbox.has_room() && !child_done => match event {
                    Some(ChildEvent::ToolCall { id, line }) => {
                        let question = WorkerMessage::ToolCall { id, line };
                        if current.welcomed {
                            failed = send(&mut current.socket, &question).await.is_err();
                        }
                        undecided.push(question);
                    }
                    Some(ChildEvent::TurnEnded) => turn_end = Some(outbox.next_seq()),
                    event => {
                        child_done |= keep(&mut outbox, event);
                        if current.welcomed {
                            let newest = outbox.newest().expect("just kept");
                            failed = send(&mut current.socket, newest).await.is_err();
                        }
                    }
                },
                frame = current.socket.next() => match frame.inspect(|frame| if frame.is_ok() { current.heard = Instant::now() }) {
                    Some(Ok(frame)) if frame.is_text() => match serde_json::from_str::<HubToWorker>(frame.to_text().unwrap_or_default()) {
                        Ok(HubToWorker::Welcome { next_seq, session: fresh }) => {
                            current.welcomed = true;
                            session = Some(fresh);
                            // Tool calls still waiting are asked again: the old connection may
                            // have taken the question or the answer with it.
                            for message in outbox.from_seq(next_seq).chain(&undecided) {
                                if send(&mut current.socket, message).await.is_err() {
                                    failed = true;
                                    break;
                                }
                            }
                        }
                        Ok(HubToWorker::Received { next_seq }) => {
                            outbox.confirm(next_seq);
                            confirmed = confirmed.max(next_seq);
                            report_turn_judged(&child, &mut turn_end, confirmed, &commands);
                            if child_done && outbox.is_empty() {
                                // A kill is acknowledged once its child was reaped, which is often
                                // just before the exit is stored: say so before leaving.
                                while let Ok(ack) = ack_queue.try_recv() {
                                    let _ = send(&mut current.socket, &ack).await;
                                }
                                let _ = tokio::time::timeout(Duration::from_secs(2), current.socket.close(None)).await;
                                break ExitCode::SUCCESS;
                            }
                        }
                        Ok(HubToWorker::Error { message }) => tracing::warn!("hub: {message}"),
                        Ok(HubToWorker::ToolDecision { id, deny, .. }) => {
                            undecided.retain(|asked| !matches!(asked, WorkerMessage::ToolCall { id: call, .. } if *call == id));
                            child.decide_tool(id, deny);
                        }
                        Ok(HubToWorker::Resize { rows, cols }) => {
                            if let Err(err) = child.resize(rows, cols) {
                                tracing::warn!("could not resize the terminal to {rows}x{cols}: {err}");
                            }
                        }
                        Ok(command) => {
                            let Some(id) = command.command_id() else { continue };
                            match commands.take(id) {
                                Seen::New => {
                                    // The session goes on (a correction, input) or ends (a kill):
                                    // either way its turn must not be closed behind this command.
                                    turn_end = None;
                                    actions.start_command(command);
                                }
                                Seen::Running => {}
                                Seen::Done(ack) => failed = send(&mut current.socket, ack).await.is_err(),
                            }
                        }
                        Err(err) => tracing::warn!("unreadable message from the hub: {err}"),
                    },
                    Some(Ok(_)) => {}
                    Some(Err(_)) | None => failed = true,
                },
                Some(ack) = ack_queue.recv() => {
                    if let WorkerMessage::Ack { id, .. } = &ack {
                        commands.finish(*id, ack.clone());
                    }
                    report_turn_judged(&child, &mut turn_end, confirmed, &commands);
                    // Not sent (the link failed): the hub resends the command, and the
                    // acknowledgement kept above answers it.
                    failed = send(&mut current.socket, &ack).await.is_err();
                }
                // The worker's own pings, so that a live hub is heard from whatever its ping
                // interval (a restarted hub may have another than the one this worker was given).
                () = tokio::time::sleep_until(current.pinged + silence / 3) => {
                    current.pinged = Instant::now();
                    let ping = tokio::time::timeout(SEND_LIMIT, current.socket.send(tokio_tungstenite::tungstenite::Message::Ping(Default::default())));
                    failed = !matches!(ping.await, Ok(Ok(())));
                }
                () = tokio::time::sleep_until(current.heard + silence) => {
                    tracing::warn!("nothing from the hub for {}; counting the connection as lost", humantime::format_duration(silence));
                    failed = true;
                }
                _ = children.recv() => tree::reap_orphans(Some(child.pid())),
                _ = interrupts.recv() => {}
                _ = terminations.recv() => actions.kill_now(grace),
                _ = hangups.recv() => actions.kill_now(grace),
            }
            if failed {
                if !window.is_zero() {
                    tracing::warn!("lost the hub connection; the child keeps running while the worker reconnects");
                }
                link = None;
                reconnect.lost(Instant::now());
            }
        };
        // Whatever the child left behind (a daemon it started, a `setsid` grandchild) ends with the task.
        let ended = tree::end_descendants(None, grace).await;
        if ended > 0 {
            tracing::info!(count = ended, "ended processes the command left behind");
        }
        Ok(code)
    }

    async fn dial(&self) -> anyhow::Result<HubSocket> {
        dial(&self.args.server, &self.path, &self.token, MAX_MESSAGE).await
    }

    async fn redial(&self, pid: u32, session: Option<&str>) -> Redial {
        match tokio::time::timeout(Duration::from_secs(5), self.dial()).await {
            Ok(Ok(mut socket)) => match self.say_hello(&mut socket, Some(pid), session).await {
                Ok(()) => Redial::Connected(Box::new(socket)),
                Err(_) => Redial::Failed,
            },
            // 410 Gone: the task ended on the hub (it was killed, or marked lost while away).
            Ok(Err(err)) if err.to_string().contains("HTTP 410") => Redial::TaskEnded,
            Ok(Err(_)) | Err(_) => Redial::Failed,
        }
    }

    async fn say_hello(&self, socket: &mut HubSocket, pid: Option<u32>, session: Option<&str>) -> anyhow::Result<()> {
        let hello = WorkerMessage::Hello {
            protocol: PROTOCOL_VERSION,
            task_id: self.args.task_id.clone(),
            pid,
            session: session.map(str::to_owned),
        };
        send(socket, &hello).await
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

enum Redial {
    Connected(Box<HubSocket>),
    Failed,
    TaskEnded,
}

/// Claude driver: tells the child its last turn was judged, once the hub confirmed the output up
/// to the turn's end and no command (a correction being written, an interrupt waiting for its
/// follow-up) is still being carried out.
fn report_turn_judged(
    child: &ChildHandle,
    turn_end: &mut Option<u64>,
    confirmed: u64,
    commands: &Commands<WorkerMessage>,
) {
    if turn_end.is_some_and(|end| confirmed >= end) && !commands.any_running() {
        *turn_end = None;
        child.turn_judged();
    }
}

/// Puts a child event in the outbox; returns whether it was the end.
fn keep(outbox: &mut Outbox<WorkerMessage>, event: Option<ChildEvent>) -> bool {
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
        // Tool calls and turn ends never reach the outbox (see the run loop).
        Some(ChildEvent::ToolCall { .. } | ChildEvent::TurnEnded) => false,
        None => true,
    }
}

/// Sends one message. A hub that takes in nothing for [`SEND_LIMIT`] is stopped or hung: the
/// connection then counts as failed, as one that brings nothing does (`--hub-silence`), so a
/// child printing to a stopped hub cannot hold the worker in a send for ever.
async fn send(socket: &mut HubSocket, message: &WorkerMessage) -> anyhow::Result<()> {
    match tokio::time::timeout(SEND_LIMIT, socket.send(crate::hub::encode(message))).await {
        Ok(sent) => sent.context("the hub connection failed"),
        Err(_) => anyhow::bail!("the hub took in nothing for {}", humantime::format_duration(SEND_LIMIT)),
    }
}

/// How long one send to the hub may take (see [`send`]).
const SEND_LIMIT: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, Copy)]
struct ActionOptions {
    interrupt_delay: Duration,
    default_grace: Duration,
    write_timeout: Duration,
}

/// Carries out the hub's commands on the child. Writes (input, injections) go through one queue,
/// in order; signals (interrupt, kill) start at once, beside it. On a terminal, a person's keys
/// have a queue of their own: a correction waiting for the person to answer a choice on the
/// screen must not hold back the keys that answer it (the terminal's typing lock still keeps them
/// out of a correction being typed).
struct Actions {
    child: ChildHandle,
    writes: mpsc::UnboundedSender<HubToWorker>,
    keys: mpsc::UnboundedSender<HubToWorker>,
    acks: mpsc::UnboundedSender<WorkerMessage>,
    options: ActionOptions,
}

impl Actions {
    fn start(child: ChildHandle, acks: mpsc::UnboundedSender<WorkerMessage>, options: ActionOptions) -> Actions {
        let (writes, queue) = mpsc::unbounded_channel();
        tokio::spawn(apply_writes(child.clone(), queue, acks.clone(), options));
        let (keys, key_queue) = mpsc::unbounded_channel();
        tokio::spawn(apply_writes(child.clone(), key_queue, acks.clone(), options));
        Actions { child, writes, keys, acks, options }
    }

    fn start_command(&self, command: HubToWorker) {
        let signal = matches!(&command, HubToWorker::Intervene { action: Action::Interrupt | Action::Kill, .. });
        let keys = matches!(&command, HubToWorker::Input { enter: false, .. }) && self.child.driver() == Driver::Pty;
        if !signal {
            // The writers only stop when the worker does.
            let _ = if keys { self.keys.send(command) } else { self.writes.send(command) };
            return;
        }
        let (child, acks, options) = (self.child.clone(), self.acks.clone(), self.options);
        tokio::spawn(async move {
            let HubToWorker::Intervene { id, action, message, grace_ms, .. } = command else { return };
            let result = match action {
                Action::Kill => kill_tree(&child, grace_ms.map_or(options.default_grace, Duration::from_millis)).await,
                _ => {
                    let limit = options.interrupt_delay + options.write_timeout + SUBMIT_BOUND;
                    let interrupted = child.interrupt_and_submit(message.as_deref(), options.interrupt_delay);
                    match tokio::time::timeout(limit, interrupted).await {
                        Ok(Ok(Some(submission))) => submission.outcome(),
                        Ok(Ok(None)) => Ok(()),
                        Ok(Err(err)) => Err(err.to_string()),
                        Err(_) => Err(not_read(limit)),
                    }
                }
            };
            let _ = acks.send(ack(id, result));
        });
    }

    /// The worker itself was told to stop (SIGTERM): end the child as a kill would.
    fn kill_now(&self, grace: Duration) {
        let child = self.child.clone();
        tokio::spawn(async move {
            let _ = kill_tree(&child, grace).await;
        });
    }
}

/// `SIGTERM` to the child's group and to every other descendant at once, `SIGKILL` to whatever is
/// left after `grace`; returns once the child was reaped.
async fn kill_tree(child: &ChildHandle, grace: Duration) -> Result<(), String> {
    let (killed, _) = tokio::join!(child.kill(grace), tree::end_descendants(Some(child.pid()), grace));
    killed.map_err(|e| e.to_string())
}

/// Writes bytes as they are; input the command closed is [`crate::protocol::INPUT_CLOSED`].
async fn type_raw(child: &ChildHandle, bytes: &[u8]) -> Result<(), String> {
    child.type_keys(bytes).await.map_err(|err| match err.kind() {
        std::io::ErrorKind::BrokenPipe => crate::protocol::INPUT_CLOSED.to_owned(),
        _ => err.to_string(),
    })
}

fn not_read(limit: Duration) -> String {
    format!("the command did not read its input within {}", humantime::format_duration(limit))
}

fn ack(id: u64, result: Result<(), String>) -> WorkerMessage {
    match result {
        Ok(()) => WorkerMessage::Ack { id, delivered: true, error: None },
        Err(error) => WorkerMessage::Ack { id, delivered: false, error: Some(error) },
    }
}

/// Applies input and injections one at a time, in the order the hub sent them, each within the
/// write timeout. A write that times out is abandoned (the child never reads it) and reported as
/// not delivered.
async fn apply_writes(
    child: ChildHandle,
    mut requests: mpsc::UnboundedReceiver<HubToWorker>,
    acks: mpsc::UnboundedSender<WorkerMessage>,
    options: ActionOptions,
) {
    while let Some(request) = requests.recv().await {
        let (id, write) = match request {
            HubToWorker::Input { id, payload, enter } => (id, Write::Input(payload, enter)),
            HubToWorker::Pipe { id, payload } => (id, Write::Pipe(payload)),
            HubToWorker::EndInput { id } => (id, Write::End),
            HubToWorker::Intervene { id, action: Action::Warn, .. } => (id, Write::Nothing),
            // A refusal answers the tool call it was asked about; it is never sent as an
            // intervention on its own.
            HubToWorker::Intervene { id, action: Action::Ask | Action::Deny, .. } => (id, Write::Refuse),
            HubToWorker::Intervene { id, message, .. } => (id, Write::Inject(message)),
            // A resize is applied where it arrives, beside the writes.
            HubToWorker::Welcome { .. }
            | HubToWorker::Received { .. }
            | HubToWorker::Resize { .. }
            | HubToWorker::Error { .. }
            | HubToWorker::ToolDecision { .. } => continue,
        };
        // Submitting on a terminal also waits for the echo and for the agent to take the text.
        let limit = match (&write, child.driver()) {
            // Piped data waits for the child as a pipe would: given up, it would leave a hole.
            (Write::Pipe(_), _) => None,
            (Write::Input(_, true) | Write::Inject(_), Driver::Pty) => Some(options.write_timeout + SUBMIT_BOUND),
            _ => Some(options.write_timeout),
        };
        let result = match limit {
            None => write.apply(&child).await,
            Some(limit) => match tokio::time::timeout(limit, write.apply(&child)).await {
                Ok(result) => result,
                Err(_) => Err(not_read(limit)),
            },
        };
        if acks.send(ack(id, result)).is_err() {
            return;
        }
    }
}

/// An acknowledgement's result for a submitted text: delivered only if the agent took it.
fn submitted(result: std::io::Result<crate::worker::Submission>) -> Result<(), String> {
    match result {
        Ok(submission) => submission.outcome(),
        Err(err) => Err(err.to_string()),
    }
}

enum Write {
    Input(Payload, bool),
    Pipe(Payload),
    End,
    Inject(Option<String>),
    Nothing,
    Refuse,
}

impl Write {
    async fn apply(self, child: &ChildHandle) -> Result<(), String> {
        match self {
            Write::Input(payload, enter) => {
                let bytes = payload.into_bytes()?;
                if enter {
                    submitted(child.submit(&String::from_utf8_lossy(&bytes)).await)
                } else {
                    // Raw input is a person's keys (`axiom run` on a terminal, a client's raw input).
                    type_raw(child, &bytes).await
                }
            }
            Write::Pipe(payload) => type_raw(child, &payload.into_bytes()?).await,
            Write::End => {
                child.close_input().await;
                Ok(())
            }
            Write::Inject(Some(text)) => submitted(child.submit(&text).await),
            Write::Inject(None) => Err("inject needs a message".to_owned()),
            Write::Nothing => Ok(()),
            Write::Refuse => Err("deny answers a tool call; there is no call to refuse".to_owned()),
        }
    }
}
