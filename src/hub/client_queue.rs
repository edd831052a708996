//! What the hub has queued for one client: bounded in messages and in bytes.
//!
//! A client that stops reading (a `tail --follow` over a dead ssh link, or one opened only to
//! hold memory: a watched agent can read the client token) leaves its replies and events queued.
//! Counted in messages alone, each client could hold a thousand output messages of up to half a
//! MiB; so each message also holds its weight in bytes from a budget of [`CLIENT_QUEUE_BYTES`]
//! until it is written to the socket, and a subscription that would go over it waits. Nothing is
//! lost by waiting: a subscription reads by cursor, from the task's history once it falls behind.

use std::sync::Arc;

use tokio::sync::{mpsc, OwnedSemaphorePermit, Semaphore};

use crate::protocol::HubToClient;

/// Replies and events queued for one client.
const CLIENT_QUEUE: usize = 1024;
/// Bytes of replies and events queued for one client, by [`weight`].
pub const CLIENT_QUEUE_BYTES: usize = 8 << 20;

/// A message on its way to the client, with the share of the budget it holds until written.
pub struct Queued {
    pub message: HubToClient,
    _held: OwnedSemaphorePermit,
}

/// The sending side of a client's queue.
#[derive(Clone)]
pub struct ClientQueue {
    queue: mpsc::Sender<Queued>,
    budget: Arc<Semaphore>,
}

/// The client is gone.
#[derive(Debug)]
pub struct Closed;

/// A client's queue and what drains it.
pub fn client_queue() -> (ClientQueue, mpsc::Receiver<Queued>) {
    let (queue, queued) = mpsc::channel(CLIENT_QUEUE);
    (ClientQueue { queue, budget: Arc::new(Semaphore::new(CLIENT_QUEUE_BYTES)) }, queued)
}

impl ClientQueue {
    /// Queues `message`, waiting while the client has its budget's worth queued already.
    pub async fn send(&self, message: HubToClient) -> Result<(), Closed> {
        let weight = weight(&message).min(CLIENT_QUEUE_BYTES) as u32;
        let held = Arc::clone(&self.budget).acquire_many_owned(weight).await.map_err(|_| Closed)?;
        self.queue.send(Queued { message, _held: held }).await.map_err(|_| Closed)
    }
}

/// About what `message` takes in memory: output by its bytes (the many messages a busy task
/// sends, weighed without encoding them twice), anything else by its encoding, which holds
/// whatever a request made it repeat (a task id of a MiB in an error).
fn weight(message: &HubToClient) -> usize {
    const SMALL: usize = 256;
    match message {
        HubToClient::Output { payload, .. } | HubToClient::OutputChunk { payload, .. } => SMALL + payload.data.len(),
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

    #[test]
    fn a_reply_weighs_what_it_repeats() {
        let error = HubToClient::Error { id: Some(1), message: format!("no task {}", "x".repeat(1 << 20)) };
        assert!(weight(&error) > 1 << 20);
        assert!(weight(&HubToClient::Ok { id: Some(1) }) < 256);
    }

    #[tokio::test]
    async fn a_client_that_does_not_read_holds_at_most_its_budget_and_then_gets_the_rest_in_order() {
        let (queue, mut queued) = client_queue();
        let sender = tokio::spawn(async move {
            for _ in 0..64 {
                queue.send(output(512 << 10)).await.unwrap();
            }
        });
        // Nobody reads: the sender stops once the budget is queued.
        while queued.len() < CLIENT_QUEUE_BYTES / (512 << 10) - 1 {
            tokio::task::yield_now().await;
        }
        for _ in 0..100 {
            tokio::task::yield_now().await;
        }
        let held = queued.len();
        assert!(held * (512 << 10) <= CLIENT_QUEUE_BYTES, "{held} messages of 512 KiB queued");
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
