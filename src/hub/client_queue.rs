//! What the hub has queued for its clients: bounded in messages and in bytes, per client and in all.
//!
//! A client that stops reading (a `tail --follow` over a dead ssh link, or one opened only to
//! hold memory: a watched agent can read the client token) leaves its replies and events queued.
//! Counted in messages alone, each client could hold a thousand output messages of up to half a
//! MiB; so each message also holds its weight in bytes from a budget of [`CLIENT_QUEUE_BYTES`]
//! until it is written to the socket, and a subscription that would go over it waits. Nothing is
//! lost by waiting: a subscription reads by cursor, from the task's history once it falls behind.
//!
//! Per client alone, the hub's 4096 client places would still allow 32 GiB. So every message also
//! holds its weight from one budget for all clients, [`ALL_CLIENTS_QUEUE_BYTES`]; while more than
//! half of it is held, a client whose socket has not taken a message for [`STALLED_CLIENT`] is
//! dropped (see [`stalled_while_short`]), which gives its share back, so that clients that read
//! wait seconds, not as long as the ones that do not choose. A real client dials again and goes on
//! from the first byte it has not shown.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, OwnedSemaphorePermit, Semaphore};

use crate::protocol::HubToClient;

/// Replies and events queued for one client.
const CLIENT_QUEUE: usize = 1024;
/// Bytes of replies and events queued for one client, by [`weight`].
pub const CLIENT_QUEUE_BYTES: usize = 8 << 20;
/// Bytes of replies and events queued for all clients together.
pub const ALL_CLIENTS_QUEUE_BYTES: usize = 256 << 20;
/// How long a client's socket may take no message while the budget for all clients runs short.
pub const STALLED_CLIENT: Duration = Duration::from_secs(2);

/// A message on its way to the client, with the shares of the budgets it holds until written.
pub struct Queued {
    pub message: HubToClient,
    _held: OwnedSemaphorePermit,
    _held_of_all: OwnedSemaphorePermit,
}

/// The sending side of a client's queue.
#[derive(Clone)]
pub struct ClientQueue {
    queue: mpsc::Sender<Queued>,
    budget: Arc<Semaphore>,
    all_clients: Arc<Semaphore>,
}

/// The budget all clients' queues share: one a hub.
pub fn all_clients_budget() -> Arc<Semaphore> {
    Arc::new(Semaphore::new(ALL_CLIENTS_QUEUE_BYTES))
}

/// Waits until a client that is not taking its messages should be dropped: it has taken none for
/// [`STALLED_CLIENT`] while more than half of the budget for all clients is held. Never returns
/// while there is room: a reader that only pauses (`tail --follow | less`) keeps its connection.
pub async fn stalled_while_short(all_clients: &Semaphore) {
    tokio::time::sleep(STALLED_CLIENT).await;
    while all_clients.available_permits() > ALL_CLIENTS_QUEUE_BYTES / 2 {
        tokio::time::sleep(STALLED_CLIENT / 10).await;
    }
}

/// The client is gone.
#[derive(Debug)]
pub struct Closed;

/// A client's queue, sharing `all_clients` with the hub's other clients, and what drains it.
pub fn client_queue(all_clients: Arc<Semaphore>) -> (ClientQueue, mpsc::Receiver<Queued>) {
    let (queue, queued) = mpsc::channel(CLIENT_QUEUE);
    (ClientQueue { queue, budget: Arc::new(Semaphore::new(CLIENT_QUEUE_BYTES)), all_clients }, queued)
}

impl ClientQueue {
    /// Queues `message`, waiting while the client has its budget's worth queued already, or all
    /// clients theirs.
    pub async fn send(&self, message: HubToClient) -> Result<(), Closed> {
        let weight = weight(&message).min(CLIENT_QUEUE_BYTES) as u32;
        let held = Arc::clone(&self.budget).acquire_many_owned(weight).await.map_err(|_| Closed)?;
        let held_of_all = Arc::clone(&self.all_clients).acquire_many_owned(weight).await.map_err(|_| Closed)?;
        self.queue.send(Queued { message, _held: held, _held_of_all: held_of_all }).await.map_err(|_| Closed)
    }
}

/// About what `message` takes in memory until it is written: output by its bytes twice, the
/// message and the frame it is encoded into (the many messages a busy task sends, weighed
/// without encoding them twice), anything else by its encoding, which holds whatever a request
/// made it repeat (a task id of a MiB in an error).
fn weight(message: &HubToClient) -> usize {
    const SMALL: usize = 256;
    match message {
        HubToClient::Output { payload, .. } | HubToClient::OutputChunk { payload, .. } => {
            SMALL + 2 * payload.data.len()
        }
        other => serde_json::to_vec(other).map_or(SMALL, |encoded| encoded.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::Payload;
    use crate::worker::OutputStream;

    fn output(bytes: usize) -> HubToClient {
        HubToClient::Output {
            task_id: "t".into(),
            cursor: 0,
            stream: OutputStream::Stdout,
            payload: Payload::from_bytes(&vec![b'x'; bytes]),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_stalled_client_is_let_go_only_while_all_clients_queues_run_short() {
        let all_clients = all_clients_budget();
        let stalled = stalled_while_short(&all_clients);
        tokio::pin!(stalled);
        // Room left: a reader that pauses for an hour keeps its connection.
        let waited = tokio::time::timeout(Duration::from_secs(3600), &mut stalled).await;
        assert!(waited.is_err(), "dropped while there was room");
        // Others hold more than half of what all clients may queue: it goes.
        let _held = Arc::clone(&all_clients).acquire_many_owned((ALL_CLIENTS_QUEUE_BYTES / 2 + 1) as u32).await;
        let waited = tokio::time::timeout(STALLED_CLIENT, &mut stalled).await;
        assert!(waited.is_ok(), "kept while the budget ran short");
    }

    #[tokio::test]
    async fn clients_that_do_not_read_hold_no_more_than_all_clients_budget() {
        let all_clients = all_clients_budget();
        let mut held = Vec::new();
        let mut senders = Vec::new();
        // 64 clients of 8 MiB each would be 512 MiB; all of them hold at most 256.
        for _ in 0..64 {
            let (queue, queued) = client_queue(Arc::clone(&all_clients));
            held.push(queued);
            senders.push(tokio::spawn(async move {
                for _ in 0..16 {
                    if queue.send(output(512 << 10)).await.is_err() {
                        return;
                    }
                }
            }));
        }
        let each = weight(&output(512 << 10));
        while all_clients.available_permits() >= each {
            tokio::task::yield_now().await;
        }
        let queued: usize = held.iter().map(|queued| queued.len()).sum();
        assert!(queued * each <= ALL_CLIENTS_QUEUE_BYTES, "{queued} messages of 512 KiB queued");
        // One client gone gives its share back to the others.
        held.pop();
        drop(held);
        for sender in senders {
            sender.await.unwrap();
        }
        assert_eq!(all_clients.available_permits(), ALL_CLIENTS_QUEUE_BYTES);
    }

    #[test]
    fn a_reply_weighs_what_it_repeats() {
        let error = HubToClient::Error { id: Some(1), message: format!("no task {}", "x".repeat(1 << 20)) };
        assert!(weight(&error) > 1 << 20);
        assert!(weight(&HubToClient::Ok { id: Some(1) }) < 256);
    }

    #[tokio::test]
    async fn a_client_that_does_not_read_holds_at_most_its_budget_and_then_gets_the_rest_in_order() {
        let (queue, mut queued) = client_queue(all_clients_budget());
        let sender = tokio::spawn(async move {
            for _ in 0..64 {
                queue.send(output(512 << 10)).await.unwrap();
            }
        });
        // Nobody reads: the sender stops once the budget is queued.
        let each = weight(&output(512 << 10));
        while queued.len() < CLIENT_QUEUE_BYTES / each - 1 {
            tokio::task::yield_now().await;
        }
        for _ in 0..100 {
            tokio::task::yield_now().await;
        }
        let held = queued.len();
        assert!(held * each <= CLIENT_QUEUE_BYTES, "{held} messages of 512 KiB queued");
        assert!(!sender.is_finished());
        // Reading frees the budget, and every message arrives.
        let mut received = 0;
        while let Some(item) = queued.recv().await {
            assert!(matches!(item.message, HubToClient::Output { .. }));
            received += 1;
            if received == 64 {
                break;
            }
        }
        sender.await.unwrap();
        assert_eq!(received, 64);
    }
}
