//! Telling when a lazy DFA builds states faster than it reads text.
//!
//! A lazy DFA pays for a state once, when it first reaches it, and from then on steps through it
//! at the cost of a load. On the text rules are written for, the states a rule set needs settle
//! within a few thousand lines. On text without that structure (random bytes, a minified bundle,
//! a search index) almost every byte reaches a state not seen before, and a DFA of many regexes
//! spends its time building states: the built-in pack's reverse-searched regexes read random
//! printable ASCII at about 0.2 MB/s that way. There, each regex searched on its own, with its own
//! prefilter and a DFA too small to keep growing, costs far less. So a group's reverse DFA is
//! watched over windows of [`WINDOW`] bytes; when its cache grew by more than [`GROWTH_PER_BYTE`]
//! bytes per byte read, the group's next [`EACH_FOR`] bytes are searched pattern by pattern, and
//! then the DFA is tried again. Either way a line gets the same answer.

use regex_automata::hybrid::dfa::Cache;

/// Bytes read between two looks at a cache's growth.
const WINDOW: usize = 64 << 10;

/// Growth of the cache per byte read above which the DFA is judged to be building states rather
/// than reading.
const GROWTH_PER_BYTE: usize = 32;

/// Bytes searched pattern by pattern once the DFA was judged so, before it is tried again.
const EACH_FOR: usize = 4 << 20;

/// How one thread's cache of a group's reverse DFA has grown lately.
#[derive(Debug, Clone, Default)]
pub(super) struct DfaGrowth {
    /// Bytes walked in the current window, and the cache's clears and memory when it began.
    window: usize,
    clears: usize,
    memory: usize,
    /// Bytes left to search pattern by pattern.
    each_left: usize,
    /// A window was read already: the states the text needs at first have been built.
    warm: bool,
}

impl DfaGrowth {
    /// Whether lines are searched pattern by pattern for now.
    pub(super) fn searching_each(&self) -> bool {
        self.each_left > 0
    }

    /// Whether a line of `len` bytes should be searched pattern by pattern rather than by the DFA
    /// (counting it against the bytes left to search so).
    pub(super) fn search_each(&mut self, len: usize) -> bool {
        if self.each_left == 0 {
            return false;
        }
        self.each_left = self.each_left.saturating_sub(len.max(1));
        true
    }

    /// To be called before the DFA walks a line, with its cache.
    pub(super) fn before_walk(&mut self, cache: &Cache) {
        if self.window == 0 {
            (self.clears, self.memory) = (cache.clear_count(), cache.memory_usage());
        }
    }

    /// To be called after the DFA walked `len` bytes, with its cache of `capacity` bytes.
    pub(super) fn after_walk(&mut self, cache: &Cache, capacity: usize, len: usize) {
        let clears_before = self.clears;
        self.read(len, || (cache.clear_count() - clears_before) * capacity + cache.memory_usage());
    }

    /// Counts `len` bytes read; at a window's end, judges the cache's growth, `memory_now()`
    /// being what it would hold had it never been cleared.
    fn read(&mut self, len: usize, memory_now: impl FnOnce() -> usize) {
        self.window += len;
        if self.window < WINDOW {
            return;
        }
        let grown = memory_now().saturating_sub(self.memory);
        let warm = std::mem::replace(&mut self.warm, true);
        if warm && grown > self.window * GROWTH_PER_BYTE {
            self.each_left = EACH_FOR;
        }
        self.window = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads `windows` windows of 1 KiB lines, the cache growing `per_byte` bytes a byte.
    fn read(growth: &mut DfaGrowth, memory: &mut usize, windows: usize, per_byte: usize) {
        for _ in 0..windows * WINDOW / 1024 {
            if growth.window == 0 {
                growth.memory = *memory;
            }
            *memory += 1024 * per_byte;
            let now = *memory;
            growth.read(1024, || now);
        }
    }

    #[test]
    fn a_cache_that_keeps_growing_hands_the_lines_to_each_pattern_for_a_while() {
        let (mut growth, mut memory) = (DfaGrowth::default(), 0);
        read(&mut growth, &mut memory, 1, 200);
        assert!(!growth.searching_each(), "the first window only warms the DFA up");
        read(&mut growth, &mut memory, 1, 200);
        assert!(growth.searching_each());
        let mut lines = 0;
        while growth.search_each(1024) {
            lines += 1;
        }
        assert_eq!(lines, EACH_FOR / 1024);
        read(&mut growth, &mut memory, 1, 200);
        assert!(growth.searching_each(), "still growing when tried again");
    }

    #[test]
    fn a_cache_that_grows_at_first_and_then_settles_keeps_its_dfa() {
        let (mut growth, mut memory) = (DfaGrowth::default(), 0);
        read(&mut growth, &mut memory, 1, 500);
        read(&mut growth, &mut memory, 50, GROWTH_PER_BYTE / 2);
        read(&mut growth, &mut memory, 50, 0);
        assert!(!growth.searching_each());
    }
}
