//! Stage 2: which rules match which segments, and where.
//!
//! The scan is a merge of a few searchers over the whole block of finished text: the literal
//! automata and the multi-pattern regex. Each searcher's next hit is cached, so every byte is
//! looked at once per searcher. A hit only says "this segment is interesting"; the segment is then
//! attributed: one backward pass of the scope's [`Attribution`](crate::rules::Attribution) DFA
//! gives every pattern's leftmost start, each rule keeps its best pattern, the end is found only
//! for the winners, and `unless` is checked only for rules that fired. The scan resumes at the
//! next segment, which also makes a regex that happens to match across a separator harmless.
//! Where the scan costs more than it skips, every line is attributed instead
//! ([`ScanPayoff`](crate::rules::ScanPayoff)).

use std::time::Instant;

use super::normalize::Segment;
use crate::rules::{CompiledScope, GroupCache, PatternKind, PatternStart, Scan, ScanCost};

/// A rule matching inside one segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmentHit {
    /// Index of the segment in the slice given to [`Matcher::scan`].
    pub segment: usize,
    /// Local rule number in the compiled scope.
    pub rule: u32,
    /// Byte range of the leftmost match within the segment; for a rule that does not report
    /// where its match ends ([`CompiledScope::reports_match_end`]), it may run to the segment's end.
    pub start: usize,
    pub end: usize,
}

/// The pattern a rule matches with so far in the segment being attributed.
#[derive(Debug, Clone, Copy)]
struct Best {
    start: usize,
    kind: PatternKind,
    group: usize,
    pattern: u32,
    end: Option<usize>,
}

impl Best {
    /// Which of two of a rule's patterns is its match: the leftmost; at the same start a literal
    /// before a regex, the shorter literal, the earlier regex. (What searching pattern by
    /// pattern and keeping the first leftmost hit gave, literals being searched first.)
    fn beats(&self, other: &Best) -> bool {
        (self.start, self.kind) < (other.start, other.kind)
    }
}

/// Reusable scratch space for matching; one per pipeline, so matching allocates nothing per line.
#[derive(Debug, Default)]
pub struct Matcher {
    /// Per local rule, the best pattern found in the segment being verified.
    best: Vec<Option<Best>>,
    touched: Vec<u32>,
    found: Vec<PatternStart>,
    masked: Vec<u8>,
}

impl Matcher {
    /// A matcher; its room for each rule's best pattern is made at the first match (a task that
    /// ends is kept, matcher and all, for as long as it is listed).
    pub fn new() -> Self {
        Matcher::default()
    }

    /// Finds every (segment, rule) match in `text`, which holds `segments` separated by `\n`.
    /// `mask` lists byte strings to blank out before a segment is verified (echoed injections).
    ///
    /// Attributes every line while the scope has seen little text (building the scan would cost
    /// more), when the block shows a masked echo, or, for a block large enough to be timed,
    /// while the scan was slower than attributing every line on such blocks
    /// ([`ScanPayoff`](crate::rules::ScanPayoff)); else scans for the lines to attribute. A timed
    /// block says which was right.
    pub fn scan(
        &mut self,
        scope: &CompiledScope,
        text: &[u8],
        segments: &[Segment],
        mask: &[Vec<u8>],
        hits: &mut Vec<SegmentHit>,
    ) {
        /// Blocks at least this long are timed (one a tool call or a line of a hub's task is not).
        const TIMED_FROM: usize = 32 << 10;
        let Some(attribution) = scope.attribution().filter(|_| !segments.is_empty()) else { return };
        let mut caches = attribution.caches();
        let timed = text.len() >= TIMED_FROM;
        // Attribution reads the lines with their echoes blanked out, the scan reads them as
        // printed, and a blank can make a match (`foo\s+bar` over `foo<echo>bar`) that only
        // attribution sees: a block that shows an echo is attributed line by line, so what it
        // reports does not hang on whether the scan ran.
        let echoed = mask.iter().any(|echo| !echo.is_empty() && memchr::memmem::find(text, echo).is_some());
        let scan = (!echoed).then(|| scope.scan_for(text.len())).flatten();
        let Some(scan) = scan.filter(|scan| scan.payoff.should_scan(timed)) else {
            for (index, found) in segments.iter().enumerate() {
                self.attribute(scope, &mut caches, &text[found.start..found.end], mask, index, hits);
            }
            return;
        };
        let mut cost = timed.then(|| ScanCost { bytes: text.len(), ..ScanCost::default() });
        let started = cost.is_some().then(Instant::now);
        self.scan_then_attribute(scope, &mut caches, scan, text, segments, mask, hits, cost.as_mut());
        if let (Some(cost), Some(started)) = (&mut cost, started) {
            cost.total = started.elapsed();
            scan.payoff.record(cost);
        }
    }

    /// [`scan`](Self::scan) with the scan: where most lines match (a busy log, a broad rule set),
    /// searching for the next match only to attribute its line in a second pass would read every
    /// line twice; so after a few lines in a row that each held a match, the lines are attributed
    /// one after the other without the scan, until a few in a row match nothing. With `cost`,
    /// the time spent in the scan and the bytes attributed are added to it.
    #[allow(clippy::too_many_arguments)]
    fn scan_then_attribute(
        &mut self,
        scope: &CompiledScope,
        caches: &mut [GroupCache],
        scan: &Scan,
        text: &[u8],
        segments: &[Segment],
        mask: &[Vec<u8>],
        hits: &mut Vec<SegmentHit>,
        mut cost: Option<&mut ScanCost>,
    ) {
        /// Lines in a row that held a match before the scan is skipped.
        const DENSE_AFTER: u32 = 4;
        /// Lines in a row without a match before the scan is used again.
        const SPARSE_AFTER: u32 = 4;
        let mut searchers = Searchers::new(scan);
        let mut segment = 0;
        let (mut in_a_row, mut dense) = (0, false);
        let mut attributed = 0;
        while segment < segments.len() {
            if dense {
                let found = segments[segment];
                attributed += found.end - found.start;
                if self.attribute(scope, caches, &text[found.start..found.end], mask, segment, hits) {
                    in_a_row = 0;
                } else {
                    in_a_row += 1;
                    dense = in_a_row < SPARSE_AFTER;
                }
                segment += 1;
                continue;
            }
            let position = segment.checked_sub(1).map_or(0, |previous| segments[previous].end + 1);
            let searched = cost.is_some().then(Instant::now);
            let next = searchers.next_start(scan, text, position);
            if let (Some(cost), Some(searched)) = (cost.as_deref_mut(), searched) {
                cost.scanning += searched.elapsed();
            }
            let Some(start) = next else { break };
            // The first segment that ends at or after the hit holds it.
            let holder = segment + segments[segment..].partition_point(|s| s.end < start);
            let Some(found) = segments.get(holder) else { break };
            in_a_row = if holder == segment { in_a_row + 1 } else { 1 };
            attributed += found.end - found.start;
            self.attribute(scope, caches, &text[found.start..found.end], mask, holder, hits);
            segment = holder + 1;
            if in_a_row >= DENSE_AFTER {
                (in_a_row, dense) = (0, true);
            }
        }
        if let Some(cost) = cost {
            cost.attributed = attributed;
        }
    }

    /// Every rule's leftmost match in one line, minus the rules whose `unless` matches it.
    pub fn verify(
        &mut self,
        scope: &CompiledScope,
        line: &[u8],
        mask: &[Vec<u8>],
        segment: usize,
        hits: &mut Vec<SegmentHit>,
    ) {
        let Some(attribution) = scope.attribution() else { return };
        self.attribute(scope, &mut attribution.caches(), line, mask, segment, hits);
    }

    /// [`verify`](Self::verify) with this thread's DFA caches; says whether any pattern matched
    /// (before `unless`).
    fn attribute(
        &mut self,
        scope: &CompiledScope,
        caches: &mut [GroupCache],
        line: &[u8],
        mask: &[Vec<u8>],
        segment: usize,
        hits: &mut Vec<SegmentHit>,
    ) -> bool {
        let Some(attribution) = scope.attribution() else { return false };
        // Taken out of `self` while the masked line borrows it.
        let mut buffer = std::mem::take(&mut self.masked);
        let line = masked(&mut buffer, line, mask);
        self.found.clear();
        attribution.leftmost_starts(caches, line, &mut self.found);
        let matched = self.settle(scope, caches, line, segment, hits);
        self.masked = buffer;
        matched
    }

    /// Each rule's match in the line just searched (its patterns' leftmost starts are in
    /// `found`), added to `hits` unless the rule does not judge the line (a call of a tool it is
    /// not limited to) or its `unless` exempts it; says whether any pattern matched.
    fn settle(
        &mut self,
        scope: &CompiledScope,
        caches: &mut [GroupCache],
        line: &[u8],
        segment: usize,
        hits: &mut Vec<SegmentHit>,
    ) -> bool {
        let Some(attribution) = scope.attribution() else { return false };
        if !self.found.is_empty() && self.best.len() < scope.rules.len() {
            self.best.resize(scope.rules.len(), None);
        }
        for found in &self.found {
            let info = &attribution.groups[found.group].patterns[found.pattern as usize];
            let candidate =
                |kind| Best { start: found.start, kind, group: found.group, pattern: found.pattern, end: found.end };
            consider(&mut self.best, &mut self.touched, info.rule, candidate(info.kind));
            if info.shared {
                for &(rule, kind) in &info.also {
                    consider(&mut self.best, &mut self.touched, rule, candidate(kind));
                }
            }
        }
        let matched = !self.touched.is_empty();
        let first_new = hits.len();
        for rule in self.touched.drain(..) {
            let Some(best) = self.best[rule as usize].take() else { continue };
            if !scope.judges(rule, line) || scope.exempts(rule, line) {
                continue;
            }
            let end = match best.end {
                Some(end) => end,
                None if !scope.reports_match_end(rule) => line.len(),
                None => attribution.groups[best.group].end_of(&mut caches[best.group], line, best.pattern, best.start),
            };
            hits.push(SegmentHit { segment, rule, start: best.start, end });
        }
        hits[first_new..].sort_unstable_by_key(|hit| (hit.start, hit.rule));
        matched
    }
}

/// Keeps `candidate` as local rule `rule`'s match if it beats the one found so far (in `best`;
/// `touched` lists the rules that have one).
fn consider(best: &mut [Option<Best>], touched: &mut Vec<u32>, rule: u32, candidate: Best) {
    match &mut best[rule as usize] {
        Some(best) => {
            if candidate.beats(best) {
                *best = candidate;
            }
        }
        slot @ None => {
            *slot = Some(candidate);
            touched.push(rule);
        }
    }
}

/// The line with every occurrence of a masked string blanked out, or the line itself.
fn masked<'a>(buffer: &'a mut Vec<u8>, line: &'a [u8], mask: &[Vec<u8>]) -> &'a [u8] {
    if mask.iter().all(|m| m.is_empty() || memchr::memmem::find(line, m).is_none()) {
        return line;
    }
    buffer.clear();
    buffer.extend_from_slice(line);
    for needle in mask.iter().filter(|m| !m.is_empty()) {
        for start in memchr::memmem::find_iter(line, needle) {
            buffer[start..start + needle.len()].fill(b' ');
        }
    }
    buffer
}

/// The next match start of each searcher, cached until the scan passes it.
struct Searchers {
    /// One slot per literal automaton, then one for the regex; `None` once a searcher is exhausted.
    next: Vec<Option<usize>>,
    /// Whether `next[i]` is still to be computed.
    stale: Vec<bool>,
}

impl Searchers {
    fn new(scan: &Scan) -> Self {
        let count = scan.literals.len() + usize::from(scan.regexes.is_some());
        Searchers { next: vec![None; count], stale: vec![true; count] }
    }

    /// The smallest match start at or after `position` over all searchers.
    fn next_start(&mut self, scan: &Scan, text: &[u8], position: usize) -> Option<usize> {
        if position > text.len() {
            return None;
        }
        for (slot, literals) in scan.literals.iter().enumerate() {
            if self.stale[slot] || self.next[slot].is_some_and(|start| start < position) {
                self.stale[slot] = false;
                self.next[slot] =
                    literals.scan.find(aho_corasick::Input::new(text).range(position..)).map(|m| m.start());
            }
        }
        if let Some(regexes) = &scan.regexes {
            let slot = scan.literals.len();
            if self.stale[slot] || self.next[slot].is_some_and(|start| start < position) {
                self.stale[slot] = false;
                self.next[slot] =
                    regexes.scan.find(regex_automata::Input::new(text).range(position..)).map(|m| m.start());
            }
        }
        self.next.iter().flatten().copied().min()
    }
}
