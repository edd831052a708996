//! One worker's connection: output in, interventions out, timers in between.
//!
//! Output is handed to the task (and its pipeline) the moment it arrives, and the interventions
//! it triggers are written back before the next frame is read: that is the round trip that must
//! stay in the low milliseconds. Only frames from a worker flooding past its budget go to the hub's
//! bulk lane (see [`super::lane`]), so it cannot delay the others.
//!
//! The task decides whether a hello is accepted (one connection at a time; see [`Task`]). A
//! connection that another one replaced stops at its next frame.

use std::sync::Arc;
use std::time::Instant;

use futures_util::StreamExt;
use tokio::sync::mpsc;
use tokio::time::{interval, sleep_until, MissedTickBehavior};
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

use super::frames::{self, decode, Incoming};
use super::lane::{self, Budget};
use super::{Hub, Socket};
use crate::protocol::{HubToWorker, TaskStatus, WorkerMessage, PROTOCOL_VERSION};
use crate::tasks::Task;

/// Messages queued for one worker (input and interventions from clients) before it reads them:
/// room for the task's whole command log, which an attach resends.
const WORKER_QUEUE: usize = crate::tasks::OUTSTANDING_LIMIT;

pub async fn run(hub: Arc<Hub>, task: Arc<Task>, socket: Socket) {
    let (mut sink, mut stream) = socket.split();
    let limit = hub.config.max_message_size;

    // The first message must be hello, within the handshake timeout.
    let hello = tokio::time::timeout(hub.config.handshake_timeout, stream.next()).await;
    let (pid, session) = match hello.map(decode::<WorkerMessage>) {
        Ok(Incoming::Message(WorkerMessage::Hello { protocol, task_id, pid, session })) => {
            if protocol != PROTOCOL_VERSION || task_id != task.id {
                let message =
                    format!("expected protocol {PROTOCOL_VERSION} for task {}; got {protocol} for {task_id}", task.id);
                let _ = frames::send(&mut sink, &HubToWorker::Error { message }).await;
                return;
            }
            (pid, session)
        }
        Ok(Incoming::TooBig) => return frames::close_too_big(&mut sink, limit).await,
        Ok(_) | Err(_) => {
            let message = "the first message must be {\"type\":\"hello\",...}".to_owned();
            let _ = frames::send(&mut sink, &HubToWorker::Error { message }).await;
            return;
        }
    };

    let (queue, mut queued) = mpsc::channel(WORKER_QUEUE);
    let attached = match task.attach_worker(queue.clone(), pid, session.as_deref()) {
        Ok(attached) => attached,
        Err(message) => {
            let _ = frames::send(&mut sink, &HubToWorker::Error { message }).await;
            return;
        }
    };
    let _attachment = Attachment { task: &task, queue: queue.clone() };
    let welcome = HubToWorker::Welcome { next_seq: attached.next_seq, session: attached.session };
    if frames::send(&mut sink, &welcome).await.is_err() {
        return;
    }
    tracing::info!(task = %task.id, ?pid, "worker connected");

    let mut persisted = task.persisted();
    // Tell the worker at once what is already stored (it may be everything, exit included).
    persisted.mark_changed();
    let mut shutdown = hub.shutdown_signal();
    let mut keepalive = interval(hub.config.ping_interval);
    keepalive.set_missed_tick_behavior(MissedTickBehavior::Delay);
    keepalive.tick().await;
    let mut last_heard = Instant::now();
    let mut budget = Budget::new(last_heard);
    let mut said_exit = false;
    let mut writable = true;

    loop {
        let deadline = task.next_deadline().map(tokio::time::Instant::from_std);
        let timer = async {
            match deadline {
                Some(at) => sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        let outgoing: Vec<HubToWorker> = tokio::select! {
            frame = stream.next() => {
                last_heard = Instant::now();
                if !task.is_attached(&queue) {
                    tracing::info!(task = %task.id, "worker connection replaced by a newer one; closing it");
                    break;
                }
                let size = match &frame {
                    Some(Ok(message)) => message.len(),
                    _ => 0,
                };
                let read = if budget.charge(size, last_heard) {
                    let before = lane::thread_cpu_time();
                    let applied = apply(&task, frame);
                    budget.charge_time(size, lane::thread_cpu_time().saturating_sub(before));
                    applied
                } else {
                    let task = Arc::clone(&task);
                    hub.bulk.run(move || apply(&task, frame)).await
                };
                match read {
                    Applied::Reply { messages, last_words } => {
                        said_exit |= last_words;
                        messages
                    }
                    Applied::ToolCall { id, line } => {
                        let task = Arc::clone(&task);
                        hub.bulk.run(move || task.judge_tool(id, &line, Instant::now())).await
                    }
                    Applied::TooBig => {
                        frames::close_too_big(&mut sink, limit).await;
                        break;
                    }
                    Applied::Closed => {
                        // Complete the close handshake at once (flush our reply to its close
                        // frame): a worker waits for it before it exits, holding its child's
                        // process slot and a descriptor of ours meanwhile.
                        let flush = futures_util::SinkExt::close(&mut sink);
                        let _ = tokio::time::timeout(hub.config.handshake_timeout, flush).await;
                        break;
                    }
                }
            }
            Some(message) = queued.recv() => vec![message],
            Ok(()) = persisted.changed() => vec![HubToWorker::Received { next_seq: *persisted.borrow_and_update() }],
            _ = shutdown.changed() => {
                frames::close_going_away(&mut sink).await;
                break;
            }
            () = timer => task.tick(Instant::now()),
            _ = keepalive.tick() => {
                if last_heard.elapsed() > hub.config.ping_interval * 3 {
                    tracing::warn!(task = %task.id, "worker stopped answering pings");
                    break;
                }
                if writable && futures_util::SinkExt::send(&mut sink, Message::Ping(Default::default())).await.is_err() {
                    writable = false;
                }
                Vec::new()
            }
        };
        if !writable {
            continue;
        }
        for message in &outgoing {
            if frames::send(&mut sink, message).await.is_err() {
                // The worker may have closed its side right after its last words (a spawn
                // failure, an exit): keep reading until the stream ends so they are not lost.
                writable = false;
                break;
            }
        }
    }
    if !said_exit {
        tracing::info!(task = %task.id, "worker connection closed before the task ended; waiting for it to reconnect");
    }
}

/// Detaches the worker when its connection ends, however it ends (a panic in processing a frame
/// included), so the task waits for a reconnect and is marked lost if none comes.
struct Attachment<'a> {
    task: &'a Task,
    queue: mpsc::Sender<HubToWorker>,
}

impl Drop for Attachment<'_> {
    fn drop(&mut self) {
        self.task.detach_worker(&self.queue);
    }
}

/// What one frame from the worker amounted to.
enum Applied {
    /// What to send back; `last_words` once the worker reported the end (exit or failed spawn).
    Reply {
        messages: Vec<HubToWorker>,
        last_words: bool,
    },
    /// A tool call to judge before the agent runs it: judged on the bulk lane, since the gate may
    /// read the files it runs from disk (up to 16 of 1 MiB), which no async thread should wait on.
    ToolCall {
        id: String,
        line: String,
    },
    TooBig,
    Closed,
}

/// Decodes one frame and applies it to the task.
fn apply(task: &Task, frame: Option<Result<Message, WsError>>) -> Applied {
    let mut last_words = false;
    let messages = match decode::<WorkerMessage>(frame) {
        Incoming::Message(WorkerMessage::ToolCall { id, line }) => return Applied::ToolCall { id, line },
        Incoming::Message(message) => handle(task, message, &mut last_words),
        Incoming::Malformed(message) => vec![HubToWorker::Error { message }],
        Incoming::Nothing => Vec::new(),
        Incoming::TooBig => return Applied::TooBig,
        Incoming::Closed => return Applied::Closed,
    };
    Applied::Reply { messages, last_words }
}

/// Applies one worker message to the task; returns what to send back.
fn handle(task: &Task, message: WorkerMessage, said_exit: &mut bool) -> Vec<HubToWorker> {
    match message {
        WorkerMessage::Output { seq, stream, payload } => match payload.into_bytes() {
            Ok(bytes) => task.ingest(seq, stream, bytes, Instant::now()),
            Err(message) => vec![HubToWorker::Error { message }],
        },
        WorkerMessage::Exit { seq, code, signal } => {
            *said_exit = true;
            let status = match (signal, code) {
                (Some(signal), _) => TaskStatus::Killed { signal },
                (None, Some(code)) => TaskStatus::Exited { code },
                (None, None) => TaskStatus::Lost,
            };
            match task.finish_from_worker(seq, status, Instant::now()) {
                Ok(()) => Vec::new(),
                Err(message) => vec![HubToWorker::Error { message }],
            }
        }
        WorkerMessage::SpawnFailed { message, code } => {
            *said_exit = true;
            task.spawn_failed(message, code, Instant::now());
            Vec::new()
        }
        WorkerMessage::Ack { id, delivered, error } => {
            task.acknowledge(id, delivered, error);
            Vec::new()
        }
        // `apply` hands tool calls to the bulk lane; judged the same way if one reaches here.
        WorkerMessage::ToolCall { id, line } => task.judge_tool(id, &line, Instant::now()),
        WorkerMessage::Hello { .. } => vec![HubToWorker::Error { message: "hello was already received".into() }],
    }
}
