//! Workers that flood take turns; workers that print a little never wait behind them.
//!
//! Every output frame costs the hub CPU in proportion to its size (decode, normalize, match,
//! journal). Left to the runtime, a hundred workers streaming at full speed would each process
//! frame after frame on every poll, and an agent's one violating line would wait a whole round of
//! them, tens of milliseconds or worse, before its intervention could go back.
//!
//! So each connection has an output [`Budget`] (a token bucket: [`RATE`] bytes a second, bursts up
//! to [`BURST`]). A frame within budget is processed on the spot. A frame past it is handed to the
//! [`BulkLane`]: one queue, served in order by threads at background priority (see
//! [`crate::background`]), one for every core but one. A frame processed on the spot is also
//! charged for the CPU time it took beyond what its bytes account for ([`NANOS_PER_BYTE`]), so a
//! flood of costly lines (each firing a rule) is moved to the lane as soon as a plain one would.
//! A connection waits for its frame to be done before it reads the next, so the floods are served round robin, one frame per turn, at whatever
//! speed the machine has left; the kernel lets the runtime's threads preempt them for everybody
//! else. Waiting means not reading the socket, so the back-pressure reaches the flooding child
//! through TCP and its pipe; nothing is dropped.

use std::panic::{self, AssertUnwindSafe};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Instant;

use tokio::sync::oneshot;

/// What a worker may send per second without going through the lane.
pub const RATE: f64 = 128.0 * 1024.0;
/// How much it may send at once after being quiet.
pub const BURST: f64 = 256.0 * 1024.0;
/// What a frame costs beyond its bytes (parsing it, the task's lock, the journal line), so a
/// stream of tiny frames is not free.
pub const FRAME_COST: usize = 256;
/// Processing time that one byte of budget stands for: about what ordinary output costs to match
/// and store. A frame processed on the spot that took longer than its bytes say (lines that each
/// fire a rule, a rule set heavy on shell parsing) is charged for the time it took, so a flood
/// of costly lines leaves the runtime as soon as a flood of plain ones would cost as much.
pub const NANOS_PER_BYTE: u128 = 20;

/// One connection's output allowance.
#[derive(Debug, Clone)]
pub struct Budget {
    /// Bytes it may still send within budget; negative after a flood, so a flooder stays in the
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

    /// A frame of `bytes` that was processed on the spot took `took`: whatever that time stands
    /// for beyond what [`charge`](Self::charge) took for it is charged too.
    pub fn charge_time(&mut self, bytes: usize, took: std::time::Duration) {
        let worth = (took.as_nanos() / NANOS_PER_BYTE) as f64;
        let charged = (bytes + FRAME_COST) as f64;
        if worth > charged {
            self.credit = (self.credit - (worth - charged)).max(-BURST);
        }
    }
}

/// CPU time this thread has used: what processing a frame cost, without the time the thread spent
/// preempted (on a busy machine that would make a quiet worker's frames look costly).
pub fn thread_cpu_time() -> std::time::Duration {
    let mut now = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes one timespec into the live value it is given.
    if unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) } != 0 {
        return std::time::Duration::ZERO;
    }
    std::time::Duration::new(now.tv_sec as u64, now.tv_nsec as u32)
}

type Job = Box<dyn FnOnce() + Send>;

/// The queue and threads that process frames past their budget.
pub struct BulkLane {
    jobs: mpsc::Sender<Job>,
}

impl BulkLane {
    /// Starts `threads` bulk threads (at least one).
    pub fn new(threads: usize) -> std::io::Result<Self> {
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for i in 0..threads.max(1) {
            let queue = Arc::clone(&queue);
            crate::background::spawn(&format!("axiom-bulk-{i}"), move || loop {
                // The lock is held only to take the next job, never while running it.
                let next = queue.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).recv();
                match next {
                    Ok(job) => job(),
                    Err(_) => return, // the hub is gone
                }
            })?;
        }
        Ok(BulkLane { jobs })
    }

    /// A thread for every core but one. Background priority alone is not enough: a woken
    /// runtime thread does not always preempt a bulk thread at once, and a core with no bulk work
    /// on it takes the wakeup right away (measured: p99 of the round trip under a flood 3.3–4.9 ms
    /// with a core left free, 4.4–15.8 ms without; fan-in about 10% lower on 2 cores).
    pub fn for_this_machine() -> std::io::Result<Self> {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        BulkLane::new(cores.saturating_sub(1))
    }

    /// Runs `job` on a bulk thread, after the jobs queued before it, and returns its result.
    pub async fn run<T: Send + 'static>(&self, job: impl FnOnce() -> T + Send + 'static) -> T {
        let (done, result) = oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = done.send(panic::catch_unwind(AssertUnwindSafe(job)));
        });
        if let Err(mpsc::SendError(job)) = self.jobs.send(job) {
            // No bulk thread is left (they never exit while the lane exists): run it here.
            job();
        }
        match result.await {
            Ok(Ok(value)) => value,
            // A panic in the job is this connection's, as if it had run here.
            Ok(Err(panic)) => panic::resume_unwind(panic),
            Err(_) => unreachable!("a job always reports, even when it panics"),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

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

    #[test]
    fn frames_that_took_long_are_charged_for_their_time() {
        let start = Instant::now();
        let mut budget = Budget::new(start);
        // A few hundred bytes that took 10 ms (say, every line firing a rule) use up the burst:
        // 10 ms is worth 500 KB of ordinary output.
        assert!(budget.charge(300, start));
        budget.charge_time(300, Duration::from_millis(10));
        assert!(!budget.charge(300, start), "the next frame goes to the lane");
        // A frame that took what its bytes say costs nothing more.
        let mut budget = Budget::new(start);
        assert!(budget.charge(64 * KIB, start));
        budget.charge_time(64 * KIB, Duration::from_nanos(64 * 1024 * NANOS_PER_BYTE as u64 / 2));
        assert!(budget.charge(64 * KIB, start));
    }

    #[tokio::test]
    async fn jobs_run_in_order_on_a_background_thread() {
        let lane = BulkLane::new(1).unwrap();
        let caller = std::thread::current().id();
        let order = Arc::new(Mutex::new(Vec::new()));
        let runs = (0..20).map(|i| {
            let order = Arc::clone(&order);
            lane.run(move || {
                assert_ne!(std::thread::current().id(), caller);
                assert_eq!(std::thread::current().name(), Some("axiom-bulk-0"));
                order.lock().unwrap().push(i);
                i * 2
            })
        });
        let results = futures_util::future::join_all(runs).await;
        assert_eq!(results, (0..20).map(|i| i * 2).collect::<Vec<_>>());
        assert_eq!(*order.lock().unwrap(), (0..20).collect::<Vec<_>>());
    }

    #[tokio::test]
    async fn a_panicking_job_fails_its_caller_only() {
        let lane = Arc::new(BulkLane::new(1).unwrap());
        let failing = tokio::spawn({
            let lane = Arc::clone(&lane);
            async move { lane.run(|| panic!("bad frame")).await }
        });
        assert!(failing.await.unwrap_err().is_panic());
        assert_eq!(lane.run(|| 7).await, 7, "the lane still works after a job panicked");
    }
}
