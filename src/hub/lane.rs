//! Workers that flood take turns; workers that print a little never wait behind them.
//!
//! Every output frame costs the hub CPU in proportion to its size (decode, normalize, match,
//! journal). Left to the runtime, a hundred workers streaming at full speed would each process
//! frame after frame on every poll, and an agent's one violating line would wait a whole round of
//! them, tens of milliseconds or worse, before its intervention could go back.
//!
//! So each connection has an output [`Budget`] (a token bucket: [`RATE`] bytes a second, bursts up
//! to [`BURST`]). A frame within budget is processed the moment it arrives. A frame past it first
//! takes a turn in the [`BulkLane`]: a FIFO semaphore with a turn for every hub thread but one. The
//! floods are served round robin, one frame per turn, at whatever speed the hub has, and one
//! thread is always left for everybody else. Waiting for a turn means not reading the socket, so
//! the back-pressure reaches the flooding child through TCP and its pipe; nothing is dropped.

use std::time::Instant;

use tokio::sync::{Semaphore, SemaphorePermit};

/// What a worker may send per second without ever waiting for a turn.
pub const RATE: f64 = 128.0 * 1024.0;
/// How much it may send at once after being quiet.
pub const BURST: f64 = 256.0 * 1024.0;
/// What a frame costs beyond its bytes (parsing it, the task's lock, the journal line), so a
/// stream of tiny frames is not free.
pub const FRAME_COST: usize = 256;

/// One connection's output allowance.
#[derive(Debug, Clone)]
pub struct Budget {
    /// Bytes it may still send without a turn; negative after a flood, so a flooder stays in the
    /// lane until it has been quiet for a while (never longer than `2 × BURST / RATE`).
    credit: f64,
    updated: Instant,
}

impl Budget {
    /// A full budget: a worker that just connected has been quiet so far.
    pub fn new(now: Instant) -> Self {
        Budget { credit: BURST, updated: now }
    }

    /// Charges a frame of `bytes`; true when the budget covered it.
    pub fn charge(&mut self, bytes: usize, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.updated).as_secs_f64();
        self.updated = self.updated.max(now);
        self.credit = (self.credit + elapsed * RATE).min(BURST);
        let cost = (bytes + FRAME_COST) as f64;
        let covered = self.credit >= cost;
        self.credit = (self.credit - cost).max(-BURST);
        covered
    }
}

/// The turns that frames past their budget wait for.
#[derive(Debug)]
pub struct BulkLane {
    turns: Semaphore,
}

/// Held while a frame from a flooding worker is processed.
pub type Turn<'a> = Option<SemaphorePermit<'a>>;

impl BulkLane {
    pub fn new(turns: usize) -> Self {
        BulkLane { turns: Semaphore::new(turns.max(1)) }
    }

    /// A turn for every thread of the current runtime but one.
    pub fn for_current_runtime() -> Self {
        let threads = tokio::runtime::Handle::try_current().map(|handle| handle.metrics().num_workers()).unwrap_or(1);
        BulkLane::new(threads.saturating_sub(1))
    }

    /// Resolves when a frame of `bytes` may be processed: at once within `budget`, else when its
    /// turn comes. Keep the returned turn until the frame is done.
    pub async fn admit(&self, budget: &mut Budget, bytes: usize, now: Instant) -> Turn<'_> {
        if budget.charge(bytes, now) {
            return None;
        }
        // The semaphore is never closed, so this only fails if it were; then nobody waits.
        self.turns.acquire().await.ok()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use futures_util::FutureExt as _;

    use super::*;

    const KIB: usize = 1024;

    #[test]
    fn a_quiet_worker_sends_a_burst_within_budget() {
        let start = Instant::now();
        let mut budget = Budget::new(start);
        assert!(budget.charge(100 * KIB, start));
        assert!(budget.charge(100 * KIB, start));
        assert!(!budget.charge(100 * KIB, start), "a third 100 KiB frame at once is past the 256 KiB burst");
    }

    #[test]
    fn a_flooder_stays_over_budget_until_it_has_been_quiet() {
        let start = Instant::now();
        let mut budget = Budget::new(start);
        let mut now = start;
        // 64 KiB every 10 ms is 6.4 MiB/s, far above the rate.
        let covered = (0..100)
            .filter(|_| {
                now += Duration::from_millis(10);
                budget.charge(64 * KIB, now)
            })
            .count();
        assert!(covered <= 5, "{covered} of 100 flood frames were within budget");
        // Debt is capped at one burst, so two bursts' worth of quiet time restores it.
        now += Duration::from_secs_f64(2.0 * BURST / RATE);
        assert!(budget.charge(64 * KIB, now));
    }

    #[test]
    fn an_agent_printing_lines_never_runs_out() {
        let start = Instant::now();
        let mut budget = Budget::new(start);
        // A line of 200 bytes, 200 times a second, for a minute: about 90 KiB/s with frame costs.
        for i in 1..=12_000u32 {
            let now = start + Duration::from_millis(5) * i;
            assert!(budget.charge(200, now), "line {i} was over budget");
        }
    }

    #[test]
    fn tiny_frames_are_not_free() {
        let start = Instant::now();
        let mut budget = Budget::new(start);
        let covered = (0..10_000).filter(|_| budget.charge(1, start)).count();
        assert_eq!(covered, (BURST as usize) / (1 + FRAME_COST));
    }

    #[tokio::test]
    async fn frames_within_budget_pass_while_the_lane_is_busy() {
        let lane = BulkLane::new(1);
        let now = Instant::now();
        let mut flooder = Budget::new(now);
        let mut other_flooder = Budget::new(now);
        flooder.charge(10 * BURST as usize, now);
        other_flooder.charge(10 * BURST as usize, now);

        let turn = lane.admit(&mut flooder, 64 * KIB, now).await;
        assert!(turn.is_some(), "an over-budget frame takes a turn");
        assert!(
            lane.admit(&mut other_flooder, 64 * KIB, now).now_or_never().is_none(),
            "a second flooder waits for the turn"
        );
        let mut agent = Budget::new(now);
        let agent_turn = lane.admit(&mut agent, 80, now).now_or_never();
        assert!(matches!(agent_turn, Some(None)), "a small frame within budget passes at once");

        drop(turn);
        assert!(matches!(lane.admit(&mut other_flooder, 64 * KIB, now).now_or_never(), Some(Some(_))));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn the_lane_leaves_one_thread_free() {
        let lane = BulkLane::for_current_runtime();
        assert_eq!(lane.turns.available_permits(), 3);
    }
}
