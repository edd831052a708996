//! Whether a scope's scan pays for itself, learnt from the time it takes.
//!
//! Searching a block for the next match and attributing only the lines that hold one beats
//! attributing every line when the search is fast: a few rare literals run under a SIMD
//! prefilter, at a fraction of a nanosecond a byte. Many literals and regexes
//! (`benches/rules-heavy.yaml`) leave the scan no prefilter; its two searchers then step through
//! every byte one after the other, slower than the one loop that attributes a line, and every
//! block is cheaper attributed line by line (14% less time on that bench). Which case a scope is
//! in hangs on its automata and on the text, and the automata do not say: so the matcher times
//! the blocks it scans, and each such block votes.

use std::sync::atomic::{AtomicI32, AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

/// Votes in a row, net, for attributing every line before the scan is left out.
const WALK_AT: i32 = 2;
/// Votes kept at most either way, so the verdict can turn when the text does.
const VOTES_KEPT: i32 = 3;
/// While the scan is left out, one block in this many is scanned again and votes.
const RETRY_EVERY: u32 = 16;
/// Bytes of lines attributed in a block below which the block does not tell what attributing a
/// byte costs; it votes with what earlier blocks told.
const ATTRIBUTED_TO_MEASURE: usize = 8 << 10;

/// What the blocks scanned so far say; shared by every pipeline and thread of a scope.
#[derive(Debug, Default)]
pub struct ScanPayoff {
    /// Net votes for attributing every line; at [`WALK_AT`] and above the scan is left out.
    votes: AtomicI32,
    /// Blocks large enough to vote, attributed line by line since the scan was last tried.
    skipped: AtomicU32,
    /// What attributing a KiB of lines cost in the last block that attributed enough to tell,
    /// in nanoseconds; 0 before one did. A block whose scan skipped nearly everything votes
    /// with it, so sparse text can bring the scan back.
    attributing_ns_per_kib: AtomicU64,
}

/// Where one scanned block's time went.
#[derive(Debug, Default, Clone, Copy)]
pub struct ScanCost {
    /// Matching the whole block.
    pub total: Duration,
    /// In the scan's searchers.
    pub scanning: Duration,
    /// The block's length.
    pub bytes: usize,
    /// The lines attributed (all but the scan's time went to those), in bytes.
    pub attributed: usize,
}

impl ScanPayoff {
    /// Whether to scan the next block; `false` while the scan costs more than attributing every
    /// line, except for one block in [`RETRY_EVERY`], so that it votes again. Only blocks large
    /// enough to be timed (`timed`) follow the verdict: the votes say nothing about a hub task's
    /// few lines, and a task that floods the hub with blocks that vote must not decide how the
    /// quiet tasks sharing its rules are matched.
    pub fn should_scan(&self, timed: bool) -> bool {
        if !timed || self.votes.load(Ordering::Relaxed) < WALK_AT {
            return true;
        }
        self.skipped.fetch_add(1, Ordering::Relaxed) % RETRY_EVERY == RETRY_EVERY - 1
    }

    /// Counts a scanned block's vote.
    pub fn record(&self, cost: &ScanCost) {
        if cost.attributed >= ATTRIBUTED_TO_MEASURE {
            let per_kib = cost.total.saturating_sub(cost.scanning).as_nanos() * 1024 / cost.attributed as u128;
            self.attributing_ns_per_kib.store((per_kib as u64).max(1), Ordering::Relaxed);
        }
        let known = self.attributing_ns_per_kib.load(Ordering::Relaxed);
        let Some(vote) = cost.vote((known > 0).then_some(known)) else { return };
        // A lost update between two threads costs one vote, which the next block makes up.
        let votes = (self.votes.load(Ordering::Relaxed) + vote).clamp(-VOTES_KEPT, VOTES_KEPT);
        self.votes.store(votes, Ordering::Relaxed);
    }
}

impl ScanCost {
    /// +1 when attributing every line of the block would have taken less time than the scan
    /// and the lines it found, -1 when not; `None` when too little was attributed to tell and
    /// no earlier block told what attributing costs (`known`, in nanoseconds a KiB).
    ///
    /// The estimate takes a line to cost what the attributed ones did. Those were mostly lines
    /// that match, which cost more (their matches' ends are searched for), so it leans to scanning.
    fn vote(&self, known: Option<u64>) -> Option<i32> {
        let every_line = if self.attributed >= ATTRIBUTED_TO_MEASURE {
            let attributing = self.total.saturating_sub(self.scanning).as_secs_f64();
            attributing * self.bytes as f64 / self.attributed as f64
        } else {
            known? as f64 * 1e-9 * self.bytes as f64 / 1024.0
        };
        Some(if every_line < self.total.as_secs_f64() { 1 } else { -1 })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(total: Duration, scanning: Duration, attributed_kib: usize) -> ScanCost {
        ScanCost { total, scanning, bytes: 1 << 20, attributed: attributed_kib << 10 }
    }

    /// A sparse set's block of 1 MiB: 0.3 ms scanning, 0.4 ms attributing the 60 KiB it found.
    fn sparse() -> ScanCost {
        block(Duration::from_micros(700), Duration::from_micros(300), 60)
    }

    /// A heavy set's: 1 ms scanning the 200 KiB between dense stretches, 3 ms attributing 824 KiB.
    fn heavy() -> ScanCost {
        block(Duration::from_millis(4), Duration::from_millis(1), 824)
    }

    #[test]
    fn a_scan_that_skips_most_of_a_block_quickly_keeps_being_used() {
        let payoff = ScanPayoff::default();
        for _ in 0..10 {
            payoff.record(&sparse());
            assert!(payoff.should_scan(true));
        }
    }

    #[test]
    fn a_scan_slower_than_attributing_is_left_out_but_tried_again_now_and_then() {
        let payoff = ScanPayoff::default();
        payoff.record(&heavy());
        assert!(payoff.should_scan(true), "one block is not enough to leave the scan out");
        payoff.record(&heavy());
        assert!(payoff.should_scan(false), "a block too small to be timed is scanned whatever the votes");
        let scanned = (0..4 * RETRY_EVERY).filter(|_| payoff.should_scan(true)).count();
        assert_eq!(scanned, 4, "one block in {RETRY_EVERY} is scanned again");
    }

    #[test]
    fn the_scan_comes_back_when_the_text_makes_it_pay_again() {
        let payoff = ScanPayoff::default();
        for _ in 0..10 {
            payoff.record(&heavy());
        }
        assert!(!payoff.should_scan(true));
        // Sparse text: the scan skips a whole MiB in 0.3 ms and finds 2 KiB of lines, too few to
        // tell what attributing costs; the heavy blocks told. Votes are capped, so two such
        // blocks turn the verdict.
        let nearly_nothing = block(Duration::from_micros(350), Duration::from_micros(300), 2);
        for _ in 0..2 {
            payoff.record(&nearly_nothing);
        }
        assert!(payoff.should_scan(true));
    }

    #[test]
    fn a_block_that_attributed_too_little_votes_only_once_a_block_told_the_cost() {
        let payoff = ScanPayoff::default();
        let little = block(Duration::from_millis(4), Duration::from_millis(1), 4);
        for _ in 0..10 {
            payoff.record(&little);
        }
        assert!(payoff.should_scan(true), "no block told what attributing costs");
        assert_eq!(little.vote(None), None);
        // 3 ms for 4 KiB: attributing the MiB would take 768 ms, the scan took 4.
        assert_eq!(little.vote(Some(3_000_000 / 4)), Some(-1));
        assert_eq!(heavy().vote(None), Some(1));
        assert_eq!(sparse().vote(None), Some(-1));
    }
}
