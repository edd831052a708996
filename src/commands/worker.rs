//! `axiom worker`: run one command, stream its output to the hub, obey what the hub sends back.
//!
//! Three things run side by side: the child's output (numbered chunks to the hub), the hub's
//! messages (input and interventions, queued to an action task so they are applied in order and a
//! kill's grace period never stalls the output), and acknowledgements of what was applied.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use futures_util::{SinkExt, StreamExt};
use tokio::sync::mpsc;

use crate::cli::WorkerArgs;
use crate::dial::{dial, HubSocket};
use crate::hub::auth::Token;
use crate::protocol::{HubToWorker, Payload, WorkerMessage, PROTOCOL_VERSION};
use crate::rules::Action;
use crate::worker::{ChildEvent, ChildHandle, SpawnSpec};

/// Output chunks in flight between the child's readers and the socket. When full, the readers
/// wait, the pipe fills, and the child blocks: back-pressure instead of loss.
const EVENT_QUEUE: usize = 64;

pub fn run(args: WorkerArgs) -> anyhow::Result<ExitCode> {
    let token = std::env::var("AXIOM_TOKEN").ok().and_then(|t| Token::parse(&t)).context(
        "AXIOM_TOKEN is not set to a valid token; the hub passes it to the workers it starts (never on the command line)",
    )?;
    // The child must not inherit the worker's credential. Safe: no other thread runs yet.
    std::env::remove_var("AXIOM_TOKEN");
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(session(args, token))
}

async fn session(args: WorkerArgs, token: Token) -> anyhow::Result<ExitCode> {
    let path = format!("/worker?task_id={}", args.task_id);
    let mut socket = connect_with_retry(&args.server, &path, &token).await?;

    let (events, mut child_events) = mpsc::channel(EVENT_QUEUE);
    let spec = SpawnSpec::new(args.command.clone()).driver(args.driver);
    let child = match ChildHandle::spawn(spec, events) {
        Ok(child) => child,
        Err(err) => {
            send(&mut socket, &WorkerMessage::Hello { protocol: PROTOCOL_VERSION, task_id: args.task_id, pid: None }).await?;
            send(&mut socket, &WorkerMessage::SpawnFailed { message: err.to_string() }).await?;
            let _ = socket.close(None).await;
            return Ok(ExitCode::from(1));
        }
    };
    let hello = WorkerMessage::Hello { protocol: PROTOCOL_VERSION, task_id: args.task_id.clone(), pid: Some(child.pid()) };
    send(&mut socket, &hello).await?;

    let (actions, action_queue) = mpsc::unbounded_channel();
    let (acks, mut ack_queue) = mpsc::unbounded_channel();
    let options = ActionOptions { interrupt_delay: args.interrupt_delay.into(), default_grace: args.kill_grace.into() };
    tokio::spawn(apply_actions(child.clone(), action_queue, acks, options));

    let mut seq = 0u64;
    loop {
        tokio::select! {
            event = child_events.recv() => match event {
                Some(ChildEvent::Output { stream, data }) => {
                    let message = WorkerMessage::Output { seq, stream, payload: Payload::from_bytes(&data) };
                    seq += 1;
                    if send(&mut socket, &message).await.is_err() {
                        return hub_gone(&child, options.default_grace).await;
                    }
                }
                Some(ChildEvent::Exited(info)) => {
                    // Acknowledgements still queued belong before the end.
                    while let Ok(ack) = ack_queue.try_recv() {
                        let _ = send(&mut socket, &ack).await;
                    }
                    send(&mut socket, &WorkerMessage::Exit { code: info.code, signal: info.signal }).await?;
                    let _ = tokio::time::timeout(Duration::from_secs(2), socket.close(None)).await;
                    return Ok(ExitCode::SUCCESS);
                }
                None => return Ok(ExitCode::SUCCESS),
            },
            frame = socket.next() => match frame {
                Some(Ok(frame)) if frame.is_text() => match serde_json::from_str::<HubToWorker>(frame.to_text().unwrap_or_default()) {
                    Ok(HubToWorker::Welcome { .. }) => {}
                    Ok(HubToWorker::Error { message }) => tracing::warn!("hub: {message}"),
                    Ok(request) => {
                        let _ = actions.send(request);
                    }
                    Err(err) => tracing::warn!("unreadable message from the hub: {err}"),
                },
                Some(Ok(_)) => {}
                Some(Err(_)) | None => return hub_gone(&child, options.default_grace).await,
            },
            Some(ack) = ack_queue.recv() => {
                if send(&mut socket, &ack).await.is_err() {
                    return hub_gone(&child, options.default_grace).await;
                }
            }
        }
    }
}

/// The hub went away: without it nobody supervises the child, so it is ended.
async fn hub_gone(child: &ChildHandle, grace: Duration) -> anyhow::Result<ExitCode> {
    tracing::warn!(pid = child.pid(), "lost the hub; ending the child");
    let _ = child.kill(grace).await;
    Ok(ExitCode::from(1))
}

async fn send(socket: &mut HubSocket, message: &WorkerMessage) -> anyhow::Result<()> {
    socket.send(crate::hub::encode(message)).await.context("the hub connection failed")
}

/// The hub may still be starting when its first worker runs.
async fn connect_with_retry(server: &str, path: &str, token: &Token) -> anyhow::Result<HubSocket> {
    let mut delay = Duration::from_millis(20);
    let mut attempts = 0;
    loop {
        match dial(server, path, token, 1024 * 1024).await {
            Ok(socket) => return Ok(socket),
            Err(err) if attempts >= 8 || err.to_string().contains("refused the connection: HTTP") => return Err(err),
            Err(_) => {
                attempts += 1;
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(1));
            }
        }
    }
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
                    Ok(bytes) if enter => child.inject(&String::from_utf8_lossy(&bytes)).await.map_err(|e| e.to_string()),
                    Ok(bytes) => child.write_input(&bytes).await.map_err(|e| e.to_string()),
                    Err(err) => Err(err),
                };
                (id, result)
            }
            HubToWorker::Intervene { id, action, message, grace_ms, .. } => {
                let grace = grace_ms.map_or(options.default_grace, Duration::from_millis);
                let result = match action {
                    Action::Warn => Ok(()),
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
            HubToWorker::Welcome { .. } | HubToWorker::Error { .. } => continue,
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
