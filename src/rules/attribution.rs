//! The automata that say which rules match a flagged line, and where (leftmost match per rule).
//!
//! The regexes of a scope are in a *reverse* lazy DFA with "all matches" semantics. One backward
//! pass over a line reports every `(pattern, start)`; the last start reported for a pattern is its
//! leftmost one. Only for the rules that fired, and only when the winning pattern is a regex, a
//! *forward* lazy DFA anchored on that pattern then finds where its leftmost-first match ends. The
//! literals are in overlapping Aho-Corasick automata instead: one pass reports every occurrence,
//! in order of its end, so a literal's first occurrence is its leftmost and its end is known. So a
//! line costs one pass per group however many rules match it, instead of one search per pattern.
//!
//! This is how `regex::bytes::Regex::find` itself finds a match (a forward DFA for the end, a
//! reverse one for the start), turned around so that all patterns share the pass: the result is
//! the same `(start, end)` per pattern, and `src/pipeline/matcher.rs` picks each rule's winner
//! exactly as the per-pattern search did.
//!
//! Lazy DFAs cannot handle Unicode word boundaries (`\b` without `(?-u)`) on non-ASCII text. So
//! the patterns that use one form a group of their own whose DFAs quit on a non-ASCII byte; that
//! group then falls back to the per-pattern regexes for that line. On an ASCII line, where such a
//! boundary is an ASCII one, a third group holding all regexes replaces the two (one pass, not two).
//!
//! Nothing is built until it is needed: a group's reverse DFA on the first line it reads, its
//! forward DFA when one of its regexes first wins a rule, the fallback regexes when the DFAs first
//! give up. Each DFA's per-thread cache is bounded by [`CACHE_CAPACITY`].

use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind as AhoMatchKind};
use regex_automata::hybrid::dfa::{Cache, DFA};
use regex_automata::nfa::thompson::{self, WhichCaptures};
use regex_automata::util::pool::Pool;
use regex_automata::util::syntax;
use regex_automata::{meta, Anchored, Input, MatchKind, PatternID, PatternSet};

/// Per-thread scratch for the lazy DFAs, shared by every pipeline of a scope (one cache per thread
/// that matches, as `regex` does), so a hub with many quiet tasks does not hold a cache for each.
type CachePool = Pool<Vec<GroupCache>, Box<dyn Fn() -> Vec<GroupCache> + Send + Sync>>;

/// What kind of pattern a rule wrote, which decides its rank when two of a rule's patterns match
/// at the same leftmost start: a literal before a regex, a shorter literal before a longer one,
/// an earlier regex before a later one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PatternKind {
    /// A literal matched by Aho-Corasick (case-sensitive, or ASCII-case-insensitive): its length.
    Literal { len: u32 },
    /// A regex (or a literal folded with Unicode case rules): its position among the scope's regexes.
    Regex { order: u32 },
}

/// One pattern of a scope.
#[derive(Debug, Clone)]
pub struct PatternInfo {
    /// The pattern as a regex (a literal escaped, `(?i-u)` when folded).
    pub regex: String,
    pub kind: PatternKind,
    /// Local rule number in the compiled scope.
    pub rule: u32,
    /// Whether the pattern has a Unicode word boundary (`\b` without `(?-u)`).
    pub unicode_word_boundary: bool,
    /// For a literal: its text, and whether it matches with ASCII case folded.
    pub literal: Option<(String, bool)>,
}

/// All patterns of a scope, split by whether a lazy DFA can run them on any text.
pub struct Attribution {
    pub groups: Vec<PatternGroup>,
    /// The groups to run on an ASCII line, and on any other line (indexes into `groups`).
    ascii_lines: Vec<usize>,
    other_lines: Vec<usize>,
    caches: CachePool,
}

impl std::fmt::Debug for Attribution {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Attribution").field("groups", &self.groups).finish_non_exhaustive()
    }
}

/// Patterns sharing one pair of lazy DFAs.
#[derive(Debug)]
pub struct PatternGroup {
    pub patterns: Vec<PatternInfo>,
    unicode_word_boundary: bool,
    /// Built on first use; `None` inside when a DFA cannot be built: then every line takes the
    /// fallback.
    forward: OnceLock<Option<DFA>>,
    reverse: OnceLock<Option<DFA>>,
    fallback: OnceLock<Fallback>,
    /// For a group of literals only: overlapping Aho-Corasick automata (exact, ASCII-folded),
    /// which report every occurrence of every literal in one pass, each with its pattern number
    /// in the group. They take the place of the DFAs.
    literals: Option<OnceLock<Vec<LiteralAutomaton>>>,
}

/// An overlapping Aho-Corasick automaton over some of a group's literals, and the number in the
/// group of each of its patterns.
type LiteralAutomaton = (AhoCorasick, Vec<u32>);

/// The per-pattern regexes, for lines the DFAs give up on.
#[derive(Debug)]
struct Fallback {
    /// "All matches" over the group: which patterns match a line.
    which: meta::Regex,
    /// Each pattern on its own, for its leftmost match.
    each: Vec<regex::bytes::Regex>,
}

/// A pattern's leftmost match in a line; `end` is `None` until [`PatternGroup::end_of`] is asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PatternStart {
    pub pattern: u32,
    pub start: usize,
    pub end: Option<usize>,
}

/// Scratch for one group's DFAs, each made when its DFA is first used on this thread.
#[derive(Debug, Clone)]
pub struct GroupCache {
    forward: Option<Cache>,
    reverse: Option<Cache>,
    /// Per pattern: its leftmost start so far in the line being read (valid when `seen`).
    start: Vec<usize>,
    seen: Vec<bool>,
    patterns: PatternSet,
}

/// The DFAs gave up on a line (a Unicode word boundary next to a non-ASCII byte, or a cache
/// that keeps filling up); the caller takes the fallback.
#[derive(Debug)]
pub struct GaveUp;

impl Attribution {
    /// The groups of `patterns`; no automaton is built yet.
    pub fn new(patterns: Vec<PatternInfo>) -> Attribution {
        // Literals and regexes in separate DFAs: together, every literal's progress multiplies
        // with every regex's, and the states a busy log visits no longer fit in the CPU's caches
        // (measured: 7 ns a byte for 199 patterns in one DFA, mostly waiting for memory).
        let (mut literals, mut ascii_safe, mut unicode_words) = (Vec::new(), Vec::new(), Vec::new());
        for pattern in patterns {
            if matches!(pattern.kind, PatternKind::Literal { .. }) {
                literals.push(pattern);
            } else if pattern.unicode_word_boundary {
                unicode_words.push(pattern);
            } else {
                ascii_safe.push(pattern);
            }
        }
        // On an ASCII line a Unicode word boundary is an ASCII one, so there all regexes share
        // one pass (its DFAs would quit on a non-ASCII byte, where the two groups are run).
        let merged: Vec<PatternInfo> = if ascii_safe.is_empty() || unicode_words.is_empty() {
            Vec::new()
        } else {
            [&ascii_safe[..], &unicode_words[..]].concat()
        };
        let mut groups = Vec::new();
        let (mut ascii_lines, mut other_lines) = (Vec::new(), Vec::new());
        for (patterns, heuristic, on_ascii, on_other) in [
            (literals, false, true, true),
            (ascii_safe, false, merged.is_empty(), true),
            (unicode_words, true, merged.is_empty(), true),
            (merged, true, true, false),
        ] {
            if patterns.is_empty() {
                continue;
            }
            if on_ascii {
                ascii_lines.push(groups.len());
            }
            if on_other {
                other_lines.push(groups.len());
            }
            groups.push(PatternGroup::new(patterns, heuristic));
        }
        let sizes: Vec<usize> = groups.iter().map(|group| group.patterns.len()).collect();
        let create: Box<dyn Fn() -> Vec<GroupCache> + Send + Sync> =
            Box::new(move || sizes.iter().map(|&size| GroupCache::new(size)).collect());
        Attribution { groups, ascii_lines, other_lines, caches: Pool::new(create) }
    }

    /// The groups that together find every pattern's matches in `line` (indexes into `groups`).
    pub fn groups_for(&self, line: &[u8]) -> &[usize] {
        if line.is_ascii() {
            &self.ascii_lines
        } else {
            &self.other_lines
        }
    }

    /// Scratch space for this thread (give it back by dropping the guard).
    pub fn caches(
        &self,
    ) -> regex_automata::util::pool::PoolGuard<'_, Vec<GroupCache>, Box<dyn Fn() -> Vec<GroupCache> + Send + Sync>>
    {
        self.caches.get()
    }

    /// Builds every group's DFAs now (and the fallback of a group whose DFAs cannot be built).
    pub fn build_all(&self) {
        for group in &self.groups {
            if group.literal_automata().is_none() && (group.reverse().is_none() || group.forward().is_none()) {
                group.fallback();
            }
        }
    }
}

impl PatternGroup {
    fn new(patterns: Vec<PatternInfo>, unicode_word_boundary: bool) -> PatternGroup {
        let literals = patterns.iter().all(|p| p.literal.is_some()).then(OnceLock::new);
        PatternGroup {
            patterns,
            unicode_word_boundary,
            forward: OnceLock::new(),
            reverse: OnceLock::new(),
            fallback: OnceLock::new(),
            literals,
        }
    }

    /// The group's Aho-Corasick automata, if it holds literals only.
    fn literal_automata(&self) -> Option<&[LiteralAutomaton]> {
        let automata = self.literals.as_ref()?.get_or_init(|| {
            [false, true]
                .into_iter()
                .filter_map(|folded| {
                    let (texts, numbers): (Vec<&str>, Vec<u32>) = (self.patterns.iter().enumerate())
                        .filter_map(|(number, p)| match &p.literal {
                            Some((text, fold)) if *fold == folded => Some((text.as_str(), number as u32)),
                            _ => None,
                        })
                        .unzip();
                    let automaton = AhoCorasickBuilder::new()
                        .match_kind(AhoMatchKind::Standard)
                        .ascii_case_insensitive(folded)
                        .build(&texts)
                        .expect("Aho-Corasick accepts any set of non-empty literals");
                    (!texts.is_empty()).then_some((automaton, numbers))
                })
                .collect()
        });
        Some(automata)
    }

    fn texts(&self) -> Vec<&str> {
        self.patterns.iter().map(|p| p.regex.as_str()).collect()
    }

    // A DFA that does not build is not an error: the group then always takes the fallback,
    // which is what `regex` itself would run.
    fn forward(&self) -> Option<&DFA> {
        self.forward.get_or_init(|| build_dfa(&self.texts(), self.unicode_word_boundary, false).ok()).as_ref()
    }

    fn reverse(&self) -> Option<&DFA> {
        self.reverse.get_or_init(|| build_dfa(&self.texts(), self.unicode_word_boundary, true).ok()).as_ref()
    }

    /// Every pattern's leftmost start in `line` (in `found`, in no particular order), from one
    /// backward pass. Ends are left to [`end_of`](Self::end_of).
    ///
    /// The loop is written out rather than calling `try_search_overlapping_rev`, which reports
    /// the second and later patterns matching at one position one byte too far left
    /// (regex-automata 0.4.19), and costs a call per match.
    pub fn leftmost_starts(
        &self,
        cache: &mut GroupCache,
        line: &[u8],
        found: &mut Vec<PatternStart>,
    ) -> Result<(), GaveUp> {
        if let Some(automata) = self.literal_automata() {
            // Occurrences come in order of their end, so a literal's first is its leftmost.
            let first = found.len();
            for (automaton, numbers) in automata {
                for hit in automaton.find_overlapping_iter(line) {
                    let pattern = numbers[hit.pattern().as_usize()];
                    if !cache.seen[pattern as usize] {
                        cache.seen[pattern as usize] = true;
                        found.push(PatternStart { pattern, start: hit.start(), end: Some(hit.end()) });
                    }
                }
            }
            for hit in &found[first..] {
                cache.seen[hit.pattern as usize] = false;
            }
            return Ok(());
        }
        let Some(reverse) = self.reverse() else { return Err(GaveUp) };
        let dfa_cache = cache.reverse.get_or_insert_with(|| reverse.create_cache());
        let input = Input::new(line);
        let first = found.len();
        // Going backwards, each start is at or before the last one seen for the pattern, so the
        // last one written is the leftmost.
        let mut note = |dfa_cache: &Cache, sid, at: usize| {
            for index in 0..reverse.match_len(dfa_cache, sid) {
                let pattern = reverse.match_pattern(dfa_cache, sid, index).as_usize();
                cache.start[pattern] = at;
                if !cache.seen[pattern] {
                    cache.seen[pattern] = true;
                    found.push(PatternStart { pattern: pattern as u32, start: 0, end: None });
                }
            }
        };
        let mut sid = reverse.start_state_reverse(dfa_cache, &input).map_err(|_| GaveUp)?;
        for at in (0..line.len()).rev() {
            sid = reverse.next_state(dfa_cache, sid, line[at]).map_err(|_| GaveUp)?;
            if sid.is_tagged() {
                if sid.is_match() {
                    // A DFA's matches are delayed by one byte: this one starts after `line[at]`.
                    note(dfa_cache, sid, at + 1);
                } else if sid.is_dead() {
                    break;
                } else if sid.is_quit() {
                    return Err(GaveUp);
                }
            }
        }
        if !sid.is_dead() {
            sid = reverse.next_eoi_state(dfa_cache, sid).map_err(|_| GaveUp)?;
            if sid.is_match() {
                note(dfa_cache, sid, 0);
            }
        }
        for hit in &mut found[first..] {
            hit.start = cache.start[hit.pattern as usize];
            cache.seen[hit.pattern as usize] = false;
        }
        Ok(())
    }

    /// Where the leftmost-first match of `pattern` starting at `start` ends.
    pub fn end_of(&self, cache: &mut GroupCache, line: &[u8], pattern: u32, start: usize) -> Result<usize, GaveUp> {
        if let PatternKind::Literal { len } = self.patterns[pattern as usize].kind {
            return Ok(start + len as usize);
        }
        let Some(forward) = self.forward() else { return Err(GaveUp) };
        let dfa_cache = cache.forward.get_or_insert_with(|| forward.create_cache());
        let input =
            Input::new(line).range(start..).anchored(Anchored::Pattern(PatternID::new_unchecked(pattern as usize)));
        match forward.try_search_fwd(dfa_cache, &input) {
            Ok(Some(end)) => Ok(end.offset()),
            // The reverse pass saw a match start here, so this cannot happen; if it did, the
            // fallback would still find the right answer.
            Ok(None) | Err(_) => Err(GaveUp),
        }
    }

    /// The same answer as [`leftmost_starts`](Self::leftmost_starts) plus ends, from the
    /// per-pattern regexes (compiled on first use).
    pub fn leftmost_matches_slow(&self, cache: &mut GroupCache, line: &[u8], found: &mut Vec<PatternStart>) {
        let fallback = self.fallback();
        cache.patterns.clear();
        fallback.which.which_overlapping_matches(&Input::new(line), &mut cache.patterns);
        for pattern in cache.patterns.iter() {
            if let Some(hit) = fallback.each[pattern.as_usize()].find(line) {
                found.push(PatternStart { pattern: pattern.as_u32(), start: hit.start(), end: Some(hit.end()) });
            }
        }
    }

    fn fallback(&self) -> &Fallback {
        // Every pattern was checked when the rules were loaded: it parses, and it fits the regex
        // crate's size limit, so with no limit here these always build.
        self.fallback.get_or_init(|| {
            let texts = self.texts();
            let which = meta::Builder::new()
                .configure(meta::Config::new().match_kind(MatchKind::All).utf8_empty(false).nfa_size_limit(None))
                .syntax(syntax::Config::new().utf8(false))
                .build_many(&texts)
                .expect("patterns checked when the rules were loaded compile together");
            let each = texts
                .iter()
                .map(|text| {
                    regex::bytes::RegexBuilder::new(text)
                        .size_limit(usize::MAX)
                        .build()
                        .expect("a pattern checked when the rules were loaded compiles")
                })
                .collect();
            Fallback { which, each }
        })
    }
}

impl GroupCache {
    fn new(patterns: usize) -> GroupCache {
        GroupCache {
            forward: None,
            reverse: None,
            start: vec![0; patterns],
            seen: vec![false; patterns],
            patterns: PatternSet::new(patterns),
        }
    }
}

/// Room for the DFA states one line's search builds, many times over: the states a rule set
/// needs on real text settle after a few thousand lines and then stay (the match-heavy bench set
/// over loghub stays far below it). When a cache fills, the DFA clears it and goes on. A thread
/// holds at most two caches per group (forward and reverse), and a scope has at most three
/// groups of regexes, so these caches take at most 6 × 8 = 48 MiB per thread and scope (the scan
/// and the fallback regexes have the regex crate's own, 2 MiB per lazy DFA).
const CACHE_CAPACITY: usize = 8 << 20;

fn build_dfa(texts: &[&str], unicode_word_boundary: bool, reverse: bool) -> Result<DFA, String> {
    // The settings of `regex::bytes::Regex` (byte-oriented, empty matches anywhere), which the
    // per-pattern fallback and the rules' tests use: both must agree on every line. Forward:
    // leftmost-first and anchored per pattern, for one winner's end; reverse: all matches, for
    // every pattern's start in one pass.
    let kind = if reverse { MatchKind::All } else { MatchKind::LeftmostFirst };
    DFA::builder()
        .configure(
            DFA::config()
                .match_kind(kind)
                .starts_for_each_pattern(!reverse)
                .unicode_word_boundary(unicode_word_boundary)
                .cache_capacity(CACHE_CAPACITY)
                .skip_cache_capacity_check(true),
        )
        .syntax(syntax::Config::new().utf8(false))
        .thompson(thompson::Config::new().reverse(reverse).utf8(false).which_captures(WhichCaptures::None))
        .build_many(texts)
        .map_err(|err| err.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(patterns: &[&str]) -> PatternGroup {
        let patterns = patterns
            .iter()
            .enumerate()
            .map(|(order, regex)| PatternInfo {
                regex: regex.to_string(),
                kind: PatternKind::Regex { order: order as u32 },
                rule: 0,
                unicode_word_boundary: true,
                literal: None,
            })
            .collect();
        PatternGroup::new(patterns, true)
    }

    /// `(pattern, start, end)` per matching pattern, sorted, from the DFAs.
    fn fast(group: &PatternGroup, line: &str) -> Vec<(u32, usize, usize)> {
        let mut cache = GroupCache::new(group.patterns.len());
        let mut found = Vec::new();
        group.leftmost_starts(&mut cache, line.as_bytes(), &mut found).unwrap();
        let mut all: Vec<_> = found
            .iter()
            .map(|hit| {
                (hit.pattern, hit.start, group.end_of(&mut cache, line.as_bytes(), hit.pattern, hit.start).unwrap())
            })
            .collect();
        all.sort();
        all
    }

    /// The same from each pattern's own `regex::bytes::Regex`.
    fn slow(patterns: &[&str], line: &str) -> Vec<(u32, usize, usize)> {
        patterns
            .iter()
            .enumerate()
            .filter_map(|(i, p)| {
                regex::bytes::Regex::new(p).unwrap().find(line.as_bytes()).map(|m| (i as u32, m.start(), m.end()))
            })
            .collect()
    }

    #[test]
    fn several_patterns_matching_at_one_position_get_the_same_start() {
        // Both patterns start at the `1` of the address; the second one reported at a position
        // used to be placed a byte to the left (the library's overlapping reverse search).
        let line = "stream (CioStream socket to 172.16.96.116:33569";
        let patterns = [
            r"\b(10|172|192)\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\b",
            r"\b[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}:[0-9]{2,5}\b",
        ];
        assert_eq!(fast(&group(&patterns), line), slow(&patterns, line));
        assert_eq!(fast(&group(&patterns), line), [(0, 28, 41), (1, 28, 47)]);
    }

    #[test]
    fn leftmost_start_and_leftmost_first_end_per_pattern() {
        let patterns = [r"a+", r"ab|abc", r"(?i)B.*", r"^x", r"c$", r"", r"(?-u:\b)c", r"[0-9]{2,}"];
        for line in ["", "x", "xaab abc c", "abcabc", "bbbb", "c", "zz 12 3456", "aXbc"] {
            assert_eq!(fast(&group(&patterns), line), slow(&patterns, line), "line {line:?}");
        }
    }
}
