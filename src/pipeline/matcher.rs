//! Stage 2: which rules match which segments, and where.
//!
//! The scan is a merge of a few searchers over the whole block of finished text: the literal
//! automata and the multi-pattern regex. Each searcher's next hit is cached, so every byte is
//! looked at once per searcher. A hit only says "this segment is interesting"; the segment is then
//! verified rule by rule (leftmost match per rule, `unless`), and the scan resumes at the next
//! segment. That also makes a regex that happens to match across a separator harmless.

use regex_automata::{Input, PatternSet};

use super::normalize::Segment;
use crate::rules::CompiledScope;

/// A rule matching inside one segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmentHit {
    /// Index of the segment in the slice given to [`Matcher::scan`].
    pub segment: usize,
    /// Local rule number in the compiled scope.
    pub rule: u32,
    /// Byte range of the leftmost match within the segment.
    pub start: usize,
    pub end: usize,
}

/// Reusable scratch space for matching; one per pipeline, so matching allocates nothing per line.
#[derive(Debug)]
pub struct Matcher {
    /// Per local rule, the leftmost match found in the segment being verified.
    best: Vec<Option<(usize, usize)>>,
    touched: Vec<u32>,
    patterns: PatternSet,
    masked: Vec<u8>,
}

impl Matcher {
    pub fn new(scope: &CompiledScope) -> Self {
        let pattern_count = scope.regexes.as_ref().map_or(0, |r| r.owner.len());
        Matcher {
            best: vec![None; scope.rules.len()],
            touched: Vec::new(),
            patterns: PatternSet::new(pattern_count),
            masked: Vec::new(),
        }
    }

    /// Finds every (segment, rule) match in `text`, which holds `segments` separated by `\n`.
    /// `mask` lists byte strings to blank out before a segment is verified (echoed injections).
    pub fn scan(
        &mut self,
        scope: &CompiledScope,
        text: &[u8],
        segments: &[Segment],
        mask: &[Vec<u8>],
        hits: &mut Vec<SegmentHit>,
    ) {
        if segments.is_empty() || !scope.has_patterns() {
            return;
        }
        let mut searchers = Searchers::new(scope);
        let mut position = 0;
        let mut segment = 0;
        while let Some(start) = searchers.next_start(scope, text, position) {
            // The first segment that ends at or after the hit holds it.
            segment += segments[segment..].partition_point(|s| s.end < start);
            let Some(found) = segments.get(segment) else { break };
            let line = &text[found.start..found.end];
            self.verify(scope, line, mask, segment, hits);
            position = found.end + 1;
            segment += 1;
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
        let line = masked(&mut self.masked, line, mask);
        for literals in &scope.literals {
            for found in literals.verify.find_overlapping_iter(line) {
                let rule = literals.owner[found.pattern().as_usize()];
                note(&mut self.best, &mut self.touched, rule, found.start(), found.end());
            }
        }
        if let Some(regexes) = &scope.regexes {
            self.patterns.clear();
            regexes.which.which_overlapping_matches(&Input::new(line), &mut self.patterns);
            for pattern in self.patterns.iter() {
                let rule = regexes.owner[pattern.as_usize()];
                if let Some(found) = regexes.each[pattern.as_usize()].find(line) {
                    note(&mut self.best, &mut self.touched, rule, found.start(), found.end());
                }
            }
        }
        let first_new = hits.len();
        for rule in self.touched.drain(..) {
            let Some((start, end)) = self.best[rule as usize].take() else { continue };
            if !scope.unless[rule as usize].iter().any(|unless| unless.is_match(line)) {
                hits.push(SegmentHit { segment, rule, start, end });
            }
        }
        hits[first_new..].sort_unstable_by_key(|hit| (hit.start, hit.rule));
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

/// Keeps the leftmost match of a rule.
fn note(best: &mut [Option<(usize, usize)>], touched: &mut Vec<u32>, rule: u32, start: usize, end: usize) {
    match &mut best[rule as usize] {
        Some(current) => {
            if start < current.0 {
                *current = (start, end);
            }
        }
        slot @ None => {
            *slot = Some((start, end));
            touched.push(rule);
        }
    }
}

/// The next match start of each searcher, cached until the scan passes it.
struct Searchers {
    /// One slot per literal automaton, then one for the regex; `None` once a searcher is exhausted.
    next: Vec<Option<usize>>,
    /// Whether `next[i]` is still to be computed.
    stale: Vec<bool>,
}

impl Searchers {
    fn new(scope: &CompiledScope) -> Self {
        let count = scope.literals.len() + usize::from(scope.regexes.is_some());
        Searchers { next: vec![None; count], stale: vec![true; count] }
    }

    /// The smallest match start at or after `position` over all searchers.
    fn next_start(&mut self, scope: &CompiledScope, text: &[u8], position: usize) -> Option<usize> {
        if position > text.len() {
            return None;
        }
        for (slot, literals) in scope.literals.iter().enumerate() {
            if self.stale[slot] || self.next[slot].is_some_and(|start| start < position) {
                self.stale[slot] = false;
                self.next[slot] =
                    literals.scan.find(aho_corasick::Input::new(text).range(position..)).map(|m| m.start());
            }
        }
        if let Some(regexes) = &scope.regexes {
            let slot = scope.literals.len();
            if self.stale[slot] || self.next[slot].is_some_and(|start| start < position) {
                self.stale[slot] = false;
                self.next[slot] = regexes.scan.find(Input::new(text).range(position..)).map(|m| m.start());
            }
        }
        self.next.iter().flatten().copied().min()
    }
}
