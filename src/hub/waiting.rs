//! Connections that have not yet said who they are. Anyone who can reach the port can open one
//! (a task reads the port off its worker's command line), and until its request has been read
//! it is nobody's: so they are not counted against the connections of clients and workers, and
//! when too many wait, the one that has waited longest is dropped. A real client or worker sends
//! its request at once, so a flood of idle connections only ever drops its own.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use tokio::sync::Notify;

/// How many connections may wait to be read at once.
pub const MOST_WAITING: usize = 256;

#[derive(Debug, Default)]
pub struct WaitingRoom {
    inner: Mutex<Room>,
}

#[derive(Debug, Default)]
struct Room {
    next: u64,
    /// Oldest first: each one's number, and how it is told to give up.
    waiting: VecDeque<(u64, Arc<Notify>)>,
}

/// One waiting connection's place; it leaves the room when dropped.
pub struct Seat<'a> {
    room: &'a WaitingRoom,
    number: u64,
    /// Notified when the connection must give up its place.
    pub dropped: Arc<Notify>,
}

impl WaitingRoom {
    /// A place for a new connection; if the room was full, the longest-waiting one is told to go.
    pub fn enter(&self) -> Seat<'_> {
        let mut room = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if room.waiting.len() >= MOST_WAITING {
            if let Some((_, oldest)) = room.waiting.pop_front() {
                oldest.notify_one();
            }
        }
        let number = room.next;
        room.next += 1;
        let dropped = Arc::new(Notify::new());
        room.waiting.push_back((number, Arc::clone(&dropped)));
        Seat { room: self, number, dropped }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.inner.lock().unwrap_or_else(|p| p.into_inner()).waiting.len()
    }
}

impl Drop for Seat<'_> {
    fn drop(&mut self) {
        let mut room = self.room.inner.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(at) = room.waiting.iter().position(|(number, _)| *number == self.number) {
            room.waiting.remove(at);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_full_room_drops_the_longest_waiting_and_a_seat_leaves_when_dropped() {
        let room = WaitingRoom::default();
        let first = room.enter();
        let rest: Vec<Seat> = (1..MOST_WAITING).map(|_| room.enter()).collect();
        assert_eq!(room.len(), MOST_WAITING);
        let newest = room.enter();
        // The first was told to go (the notification waits for it), and is out of the room.
        tokio::time::timeout(std::time::Duration::from_secs(1), first.dropped.notified()).await.unwrap();
        assert_eq!(room.len(), MOST_WAITING);
        drop(first);
        drop(rest);
        assert_eq!(room.len(), 1);
        drop(newest);
        assert_eq!(room.len(), 0);
    }
}
