//! One client's connection: requests in, replies and subscribed task events out.
//!
//! A writer task owns the socket's sending half and drains a bounded queue; each subscription is
//! its own task that reads the task's output by cursor when woken. A slow client therefore only
//! ever slows its own subscriptions, and when it falls behind the ring it is told how many bytes
//! it missed instead of stalling anybody.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

use super::client_queue::{client_queue, stalled_while_short, ClientQueue, STALLED_CLIENT};
use super::frames::{self, decode, Incoming};
use super::{Hub, Socket, SpawnRequest};
use crate::protocol::{ClientRequest, HubToClient, Payload};
use crate::rules::{Action, RuleSummary};
use crate::tasks::{history, Task, TaskError};

/// Largest output slice in one reply, leaving room for base64 under the message size limit.
const MAX_OUTPUT_REPLY: usize = 512 * 1024;

pub async fn run(hub: Arc<Hub>, socket: Socket) {
    let (mut sink, mut stream) = socket.split();
    let (outgoing, mut queued) = client_queue(Arc::clone(&hub.client_bytes));
    let limit = hub.config.max_message_size;
    let all_clients = Arc::clone(&hub.client_bytes);
    // Dropped when the writer stops: a client it gave up on is disconnected, not left holding a place.
    let (writer_alive, mut writer_gone) = tokio::sync::oneshot::channel::<()>();
    let writer = tokio::spawn(async move {
        let _alive = writer_alive;
        // Each message gives its share of the budgets back once written.
        while let Some(queued) = queued.recv().await {
            tokio::select! {
                sent = frames::send(&mut sink, &queued.message) => if sent.is_err() {
                    return None;
                },
                () = stalled_while_short(&all_clients) => {
                    tracing::warn!("dropped a client that took no message for {STALLED_CLIENT:?} while clients' queues ran short");
                    return None;
                }
            }
        }
        Some(sink)
    });
    let mut subscriptions = JoinSet::new();
    // Piped input waits for the child to read it: on a task of its own, so that the requests
    // behind it (a kill on Ctrl-C) are not held up.
    let (piped, piped_queue) = mpsc::channel(1);
    subscriptions.spawn(pipe_in_order(Arc::clone(&hub), piped_queue, outgoing.clone()));
    let mut shutdown = hub.shutdown_signal();
    // A frame that arrived while a request was being handled.
    let mut early = None;
    loop {
        let frame = match early.take() {
            Some(frame) => frame,
            None => tokio::select! {
                frame = stream.next() => frame,
                _ = shutdown.changed() => break,
                _ = &mut writer_gone => break,
            },
        };
        let reply = match decode::<ClientRequest>(frame) {
            Incoming::Message(request) => {
                // A request (a read of a long history) may take a while: the socket and the hub's
                // stop are still watched meanwhile, and either drops it, which stops its read.
                let handling = handle(&hub, request, &outgoing, &piped, &mut subscriptions);
                tokio::pin!(handling);
                let mut left = false;
                let reply = loop {
                    tokio::select! {
                        reply = &mut handling => break reply,
                        frame = stream.next(), if early.is_none() => match frame {
                            None | Some(Ok(Message::Close(_))) => left = true,
                            Some(Err(ref err)) if !matches!(err, WsError::Capacity(_)) => left = true,
                            Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                            frame => early = Some(frame),
                        },
                        _ = shutdown.changed() => left = true,
                        _ = &mut writer_gone => left = true,
                    }
                    if left {
                        break None;
                    }
                };
                if left {
                    break;
                }
                reply
            }
            Incoming::Malformed(message) => Some(HubToClient::Error { id: None, message }),
            Incoming::Nothing => None,
            Incoming::TooBig => {
                subscriptions.abort_all();
                drop(outgoing);
                if let Ok(Some(mut sink)) = writer.await {
                    frames::close_too_big(&mut sink, limit).await;
                }
                return;
            }
            Incoming::Closed => break,
        };
        if let Some(reply) = reply {
            if outgoing.send(reply).await.is_err() {
                break;
            }
        }
    }
    subscriptions.abort_all();
    writer.abort();
}

async fn handle(
    hub: &Arc<Hub>,
    request: ClientRequest,
    outgoing: &ClientQueue,
    piped: &mpsc::Sender<ClientRequest>,
    subscriptions: &mut JoinSet<()>,
) -> Option<HubToClient> {
    let id = request.id();
    let error = |message: String| Some(HubToClient::Error { id, message });
    let task_of = |task_id: &str| task_of(hub, task_id);
    match request {
        ClientRequest::Spawn { command, cwd, env, driver, subscribe, subject, prompt_pattern, .. } => {
            let cwd = cwd.map(PathBuf::from);
            let request = SpawnRequest { command, cwd, env, driver, subject, pty_size: None, prompt_pattern };
            match hub.spawn_task(request) {
                Ok(task) => {
                    let reply = HubToClient::Spawned { id, task_id: task.id.clone() };
                    if subscribe {
                        // The reply must go out before the first event, so queue it here.
                        if outgoing.send(reply).await.is_ok() {
                            subscriptions.spawn(stream_task(task, 0, outgoing.clone()));
                        }
                        return None;
                    }
                    Some(reply)
                }
                Err(err) => error(err.to_string()),
            }
        }
        ClientRequest::Subscribe { task_id, since, .. } => match task_of(&task_id) {
            Ok(task) => {
                subscriptions.spawn(stream_task(task, since.unwrap_or(0), outgoing.clone()));
                Some(HubToClient::Ok { id })
            }
            Err(message) => error(message),
        },
        ClientRequest::List { task_id: None, .. } => Some(HubToClient::Tasks { id, tasks: hub.tasks.list() }),
        ClientRequest::List { task_id: Some(task_id), .. } => match task_of(&task_id) {
            Ok(task) => Some(HubToClient::Tasks { id, tasks: vec![task.info()] }),
            Err(message) => error(message),
        },
        ClientRequest::Output { task_id, since, tail_lines, .. } => match task_of(&task_id) {
            Ok(task) => {
                let since = match tail_lines {
                    Some(lines) => history::tail_cursor(&task, lines).await,
                    None => since.unwrap_or(0),
                };
                let read = history::read_output(&task, since, MAX_OUTPUT_REPLY).await;
                Some(HubToClient::OutputChunk {
                    id,
                    task_id,
                    cursor: read.cursor,
                    next: read.next,
                    truncated: read.truncated,
                    payload: Payload::from_bytes(&read.bytes),
                })
            }
            Err(message) => error(message),
        },
        ClientRequest::Interventions { task_id, since, .. } => match task_of(&task_id) {
            Ok(task) => {
                let since = since.unwrap_or(0);
                let (interventions, next) = task.interventions_since(usize::try_from(since).unwrap_or(usize::MAX));
                let next = next as u64;
                Some(HubToClient::Interventions { id, task_id, interventions, next })
            }
            Err(message) => error(message),
        },
        ClientRequest::Rules { .. } => {
            let loaded = hub.tasks.loaded_rules();
            Some(HubToClient::Rules {
                id,
                loaded_at: loaded.loaded_at,
                origin: loaded.rules.origin().to_string(),
                rules: loaded.rules.rules().iter().map(RuleSummary::from).collect(),
            })
        }
        ClientRequest::Send { task_id, text, enter, .. } => {
            match task_of(&task_id).and_then(|task| task.send_input(&text, enter).map_err(|e| e.to_string())) {
                Ok(()) => Some(HubToClient::Ok { id }),
                Err(message) => error(message),
            }
        }
        ClientRequest::Input { .. } | ClientRequest::EndInput { .. } => match piped.try_send(request) {
            Ok(()) => None,
            Err(_) => {
                error("piped input goes one request at a time: send the next after the answer to the last".into())
            }
        },
        ClientRequest::HookRecord { record, .. } => {
            Some(HubToClient::Recorded { id, task_id: hub.tasks.record_hook(&record).map(|task| task.id.clone()) })
        }
        ClientRequest::Interrupt { task_id, message, .. } => act(task_of(&task_id), Action::Interrupt, message, None)
            .map_or_else(error, |()| Some(HubToClient::Ok { id })),
        ClientRequest::Kill { task_id, grace_ms, .. } => {
            let grace = grace_ms.map(Duration::from_millis);
            match task_of(&task_id).and_then(|task| task.kill(grace).map_err(|err| err.to_string())) {
                Ok(()) => Some(HubToClient::Ok { id }),
                Err(message) => error(message),
            }
        }
    }
}

/// The task a request names, or what to answer when there is none.
fn task_of(hub: &Hub, task_id: &str) -> Result<Arc<Task>, String> {
    hub.tasks.get(task_id).ok_or_else(|| format!("no task {task_id}; `axiom client list` shows the tasks"))
}

/// Carries out a connection's piped input requests one at a time, in order, each answered once
/// the bytes are queued for the worker.
async fn pipe_in_order(hub: Arc<Hub>, mut requests: mpsc::Receiver<ClientRequest>, outgoing: ClientQueue) {
    while let Some(request) = requests.recv().await {
        let id = request.id();
        let task_of = |task_id: &str| task_of(&hub, task_id);
        let done = match request {
            ClientRequest::Input { task_id, at, payload, .. } => match (task_of(&task_id), payload.into_bytes()) {
                (Ok(task), Ok(bytes)) => piped_answer(task.pipe_input(at, &bytes).await),
                (Err(message), _) | (_, Err(message)) => Err(message),
            },
            ClientRequest::EndInput { task_id, .. } => match task_of(&task_id) {
                Ok(task) => piped_answer(task.end_piped_input().await),
                Err(message) => Err(message),
            },
            _ => continue,
        };
        let reply = match done {
            Ok(()) => HubToClient::Ok { id },
            Err(message) => HubToClient::Error { id, message },
        };
        if outgoing.send(reply).await.is_err() {
            return;
        }
    }
}

/// Like a pipe's writer whose reader has exited, the sender learns of the task's end from its
/// status, not from a failed write.
fn piped_answer(result: Result<(), TaskError>) -> Result<(), String> {
    match result {
        Ok(()) | Err(TaskError::NotRunning(..)) => Ok(()),
        Err(err) => Err(err.to_string()),
    }
}

fn act(
    task: Result<Arc<Task>, String>,
    action: Action,
    message: Option<String>,
    grace: Option<Duration>,
) -> Result<(), String> {
    task?.intervene(action, message, grace).map(|_| ()).map_err(|err| err.to_string())
}

/// Streams a task's output from `since`, its interventions and its status changes, until the
/// task has ended and everything was sent, or the client goes away.
async fn stream_task(task: Arc<Task>, since: u64, outgoing: ClientQueue) {
    let mut changes = task.subscribe();
    let mut cursor = since;
    let mut interventions_sent = 0;
    let mut last_status = None;
    loop {
        // Read the status first: if it says finished, the output read below is complete.
        let status = task.status();
        let (mut chunks, mut start, mut end) = task.chunks_since(cursor);
        let mut catching_up = false;
        if start > cursor {
            // Behind the ring: catch up from the history, a page at a time, if there is one.
            let stored = history::chunks_from_history(&task, cursor, MAX_OUTPUT_REPLY).await;
            if let Some((stored, from)) = stored.filter(|(stored, _)| !stored.is_empty()) {
                end = stored.last().map_or(end, |chunk| chunk.cursor + chunk.data.len() as u64);
                (chunks, start, catching_up) = (stored, from, true);
            }
        }
        if start > cursor {
            let lagged = HubToClient::Lagged { task_id: task.id.clone(), skipped_bytes: start - cursor };
            if outgoing.send(lagged).await.is_err() {
                return;
            }
        }
        for chunk in chunks {
            let event = HubToClient::Output {
                task_id: task.id.clone(),
                cursor: chunk.cursor,
                stream: chunk.stream,
                payload: Payload::from_bytes(&chunk.data),
            };
            if outgoing.send(event).await.is_err() {
                return;
            }
        }
        cursor = end.max(cursor);
        if catching_up {
            continue;
        }
        for intervention in task.interventions_after(&mut interventions_sent) {
            let event = HubToClient::Intervention { task_id: task.id.clone(), intervention };
            if outgoing.send(event).await.is_err() {
                return;
            }
        }
        if last_status.as_ref() != Some(&status) {
            last_status = Some(status.clone());
            let event = HubToClient::Status { task_id: task.id.clone(), status: status.clone() };
            if outgoing.send(event).await.is_err() {
                return;
            }
        }
        if status.is_finished() {
            return;
        }
        if changes.changed().await.is_err() {
            return;
        }
    }
}
