//! The worker's side of its hub connection, without the socket: what it must still send, when it
//! tries to reconnect, and which commands it already carried out.
//!
//! - [`Outbox`]: every message to the hub is numbered and kept until the hub says it is stored, so a
//!   reconnect resends exactly what the hub's `welcome` asks for.
//! - [`Reconnect`]: the schedule of attempts after the link is lost (exponential backoff), and the
//!   window after which nobody supervises the child any more.
//! - [`Commands`]: the hub numbers its commands and resends those it has no acknowledgement for, so
//!   a command is carried out once and only its acknowledgement is repeated.
//!
//! Time is passed in, so all three are tested with `tokio::time::pause()`.

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::time::Duration;

use tokio::time::Instant;

/// Numbered messages the hub has not confirmed yet.
#[derive(Debug)]
pub struct Outbox<M> {
    messages: VecDeque<(u64, M, usize)>,
    bytes: usize,
    next_seq: u64,
    limit: usize,
}

impl<M> Outbox<M> {
    /// An empty outbox that has room while it holds less than `limit` bytes.
    pub fn new(limit: usize) -> Self {
        Outbox { messages: VecDeque::new(), bytes: 0, next_seq: 0, limit }
    }

    pub fn has_room(&self) -> bool {
        self.bytes < self.limit
    }

    pub fn is_empty(&self) -> bool {
        self.messages.is_empty()
    }

    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Numbers a message (output or exit) and keeps it; returns it for sending.
    pub fn push(&mut self, numbered: impl FnOnce(u64) -> M, size: usize) -> &M {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.bytes += size;
        self.messages.push_back((seq, numbered(seq), size));
        &self.messages.back().expect("just pushed").1
    }

    /// The number the next message pushed will get.
    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    /// The message pushed last, if it is still held.
    pub fn newest(&self) -> Option<&M> {
        self.messages.back().map(|(_, message, _)| message)
    }

    /// Forgets everything before `next_seq` (the hub stored it).
    pub fn confirm(&mut self, next_seq: u64) {
        while self.messages.front().is_some_and(|(seq, _, _)| *seq < next_seq) {
            let (_, _, size) = self.messages.pop_front().expect("checked");
            self.bytes -= size;
        }
    }

    /// What to send after a `welcome` that expects `next_seq`: the hub has received, though not
    /// necessarily stored, what comes before it, so nothing is forgotten here.
    pub fn from_seq(&self, next_seq: u64) -> impl Iterator<Item = &M> {
        self.messages.iter().filter(move |(seq, _, _)| *seq >= next_seq).map(|(_, message, _)| message)
    }

    /// The sequence numbers held, oldest first.
    pub fn seqs(&self) -> impl Iterator<Item = u64> + '_ {
        self.messages.iter().map(|(seq, _, _)| *seq)
    }
}

/// What the worker should do about a lost link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Dial the hub at this instant.
    DialAt(Instant),
    /// The hub stayed away for the whole window: end the child.
    GiveUp,
}

/// The reconnect schedule: 50 ms, doubling up to 2 s, for at most `window` after the link was lost.
#[derive(Debug)]
pub struct Reconnect {
    window: Duration,
    backoff: Duration,
    lost_at: Option<Instant>,
    /// Kept across calls, so the child's output (which wakes the worker) cannot push it back.
    retry_at: Option<Instant>,
}

impl Reconnect {
    pub const FIRST: Duration = Duration::from_millis(50);
    pub const MAX: Duration = Duration::from_secs(2);

    pub fn new(window: Duration) -> Self {
        Reconnect { window, backoff: Self::FIRST, lost_at: None, retry_at: None }
    }

    /// The link was lost at `now` (a second call while already lost changes nothing).
    pub fn lost(&mut self, now: Instant) {
        self.lost_at.get_or_insert(now);
    }

    /// When to dial next, or whether to give up.
    pub fn next(&mut self, now: Instant) -> Next {
        let lost_at = *self.lost_at.get_or_insert(now);
        if now.saturating_duration_since(lost_at) >= self.window {
            return Next::GiveUp;
        }
        let at = *self.retry_at.get_or_insert(now + self.backoff);
        Next::DialAt(at.min(lost_at + self.window))
    }

    /// The attempt made at the time [`next`](Self::next) named failed: wait twice as long.
    pub fn failed(&mut self) {
        self.retry_at = None;
        self.backoff = (self.backoff * 2).min(Self::MAX);
    }

    /// The hub answered: the next loss starts a fresh schedule.
    pub fn connected(&mut self) {
        *self = Reconnect::new(self.window);
    }
}

/// Commands from the hub the worker took on, so a resent one is not carried out twice.
#[derive(Debug, Default)]
pub struct Commands<A> {
    running: HashSet<u64>,
    /// Acknowledgements of finished commands, by id; the oldest are forgotten past [`Self::KEEP`].
    done: BTreeMap<u64, A>,
}

/// What to do with a command the hub sent.
#[derive(Debug, PartialEq, Eq)]
pub enum Seen<'a, A> {
    /// New: carry it out.
    New,
    /// Being carried out: its acknowledgement will follow.
    Running,
    /// Carried out before: send this acknowledgement again.
    Done(&'a A),
}

impl<A> Commands<A> {
    /// How many acknowledgements are kept. The hub holds far fewer unacknowledged commands.
    pub const KEEP: usize = 4096;

    pub fn new() -> Self {
        Commands { running: HashSet::new(), done: BTreeMap::new() }
    }

    /// Looks `id` up; a new id is marked as running.
    pub fn take(&mut self, id: u64) -> Seen<'_, A> {
        if let Some(ack) = self.done.get(&id) {
            return Seen::Done(ack);
        }
        if self.running.insert(id) {
            Seen::New
        } else {
            Seen::Running
        }
    }

    /// Whether a command is being carried out (its acknowledgement has not come yet).
    pub fn any_running(&self) -> bool {
        !self.running.is_empty()
    }

    /// Command `id` finished with `ack`.
    pub fn finish(&mut self, id: u64, ack: A) {
        self.running.remove(&id);
        self.done.insert(id, ack);
        while self.done.len() > Self::KEEP {
            self.done.pop_first();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outbox_numbers_keeps_and_forgets_in_order() {
        let mut outbox = Outbox::new(1024);
        for text in ["a", "bb", "ccc", ""] {
            outbox.push(|seq| (seq, text), text.len());
        }
        assert_eq!(outbox.bytes(), 6);
        outbox.confirm(2);
        assert_eq!(outbox.seqs().collect::<Vec<_>>(), [2, 3]);
        assert_eq!(outbox.bytes(), 3);
        outbox.confirm(4);
        assert!(outbox.is_empty());
        assert_eq!(outbox.bytes(), 0);
    }

    #[test]
    fn outbox_has_room_until_its_limit() {
        let mut outbox = Outbox::new(10);
        outbox.push(|_| (), 9);
        assert!(outbox.has_room());
        outbox.push(|_| (), 1);
        assert!(!outbox.has_room(), "full at the limit: the child's output waits");
        outbox.confirm(1);
        assert!(outbox.has_room());
    }

    #[test]
    fn welcome_resends_from_what_the_hub_received_without_forgetting() {
        let mut outbox = Outbox::new(1024);
        for _ in 0..5 {
            outbox.push(|seq| seq, 1);
        }
        outbox.confirm(1); // stored: 0
                           // The hub received up to 2 (so welcome says 3) but stored only 0.
        assert_eq!(outbox.from_seq(3).copied().collect::<Vec<_>>(), [3, 4]);
        assert_eq!(outbox.seqs().collect::<Vec<_>>(), [1, 2, 3, 4], "unconfirmed messages stay");
        // A hub that lost what it had not stored (a restart) asks from 1 again.
        assert_eq!(outbox.from_seq(1).copied().collect::<Vec<_>>(), [1, 2, 3, 4]);
    }

    #[tokio::test(start_paused = true)]
    async fn reconnect_backs_off_doubling_up_to_two_seconds() {
        let mut link = Reconnect::new(Duration::from_secs(60));
        let start = Instant::now();
        link.lost(start);
        let mut waits = Vec::new();
        for _ in 0..8 {
            let Next::DialAt(at) = link.next(Instant::now()) else { panic!("gave up early") };
            tokio::time::sleep_until(at).await;
            waits.push(at);
            link.failed();
        }
        let gaps: Vec<u64> = std::iter::once(start)
            .chain(waits.iter().copied())
            .collect::<Vec<_>>()
            .windows(2)
            .map(|w| (w[1] - w[0]).as_millis() as u64)
            .collect();
        assert_eq!(gaps, [50, 100, 200, 400, 800, 1600, 2000, 2000]);
    }

    #[tokio::test(start_paused = true)]
    async fn an_attempt_is_not_pushed_back_by_asking_again() {
        let mut link = Reconnect::new(Duration::from_secs(60));
        link.lost(Instant::now());
        let first = link.next(Instant::now());
        tokio::time::advance(Duration::from_millis(30)).await; // output woke the worker meanwhile
        assert_eq!(link.next(Instant::now()), first);
    }

    #[tokio::test(start_paused = true)]
    async fn reconnect_gives_up_when_the_window_expires_and_never_dials_past_it() {
        let mut link = Reconnect::new(Duration::from_millis(500));
        let start = Instant::now();
        link.lost(start);
        let mut attempts = 0;
        while let Next::DialAt(at) = link.next(Instant::now()) {
            assert!(at <= start + Duration::from_millis(500), "an attempt past the window");
            tokio::time::sleep_until(at).await;
            attempts += 1;
            link.failed();
        }
        assert_eq!(Instant::now() - start, Duration::from_millis(500));
        assert_eq!(attempts, 4, "at 50, 150 and 350 ms, and a last one at the window's end");
    }

    #[tokio::test(start_paused = true)]
    async fn a_successful_reconnect_starts_a_fresh_schedule() {
        let mut link = Reconnect::new(Duration::from_secs(1));
        link.lost(Instant::now());
        for _ in 0..3 {
            link.failed();
        }
        tokio::time::advance(Duration::from_millis(900)).await;
        link.connected();
        tokio::time::advance(Duration::from_secs(5)).await;
        let now = Instant::now();
        link.lost(now);
        assert_eq!(link.next(now), Next::DialAt(now + Reconnect::FIRST), "fresh backoff and a fresh window");
    }

    #[test]
    fn a_resent_command_runs_once_and_its_acknowledgement_is_repeated() {
        let mut commands = Commands::new();
        assert_eq!(commands.take(7), Seen::New);
        assert_eq!(commands.take(7), Seen::Running, "resent while still running");
        commands.finish(7, "delivered");
        assert_eq!(commands.take(7), Seen::Done(&"delivered"));
        assert_eq!(commands.take(8), Seen::New);
    }

    #[test]
    fn only_the_newest_acknowledgements_are_kept() {
        let mut commands = Commands::new();
        let total = Commands::<u64>::KEEP as u64 + 10;
        for id in 0..total {
            assert_eq!(commands.take(id), Seen::New);
            commands.finish(id, id);
        }
        assert_eq!(commands.done.len(), Commands::<u64>::KEEP);
        assert_eq!(commands.take(total - 1), Seen::Done(&(total - 1)));
    }
}
