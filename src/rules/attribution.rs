//! The automata that say which rules match a flagged line, and where (leftmost match per rule).
//!
//! Every pattern of a scope (literals too, escaped) is in one *reverse* lazy DFA with "all
//! matches" semantics. One backward pass over a line reports every `(pattern, start)`; the last
//! start reported for a pattern is its leftmost one. Only for the rules that fired, and only when
//! the winning pattern is a regex, a *forward* lazy DFA anchored on that pattern then finds where
//! its leftmost-first match ends (a literal's end is its start plus its length). So a line costs
//! one pass however many rules match it, instead of one search per matching pattern.
//!
//! This is how `regex::bytes::Regex::find` itself finds a match (a forward DFA for the end, a
//! reverse one for the start), turned around so that all patterns share the pass: the result is
//! the same `(start, end)` per pattern, and `src/pipeline/matcher.rs` picks each rule's winner
//! exactly as the per-pattern search did.
//!
//! Lazy DFAs cannot handle Unicode word boundaries (`\b` without `(?-u)`) on non-ASCII text. So
//! the patterns that use one form a second group whose DFAs quit on a non-ASCII byte; that group
//! then falls back to the per-pattern regexes for that line. The fallback regexes are compiled
//! the first time they are needed, so a rule set starts as fast as its NFAs compile.

use std::sync::OnceLock;

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
}

/// All patterns of a scope, split by whether a lazy DFA can run them on any text.
pub struct Attribution {
    pub groups: Vec<PatternGroup>,
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
    /// `None` when the DFAs could not be built; then every line takes the fallback.
    dfas: Option<(DFA, DFA)>,
    fallback: OnceLock<Result<Fallback, String>>,
}

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

/// Scratch for one group's DFAs.
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
    pub fn build(patterns: Vec<PatternInfo>) -> Result<Attribution, String> {
        // Literals and regexes in separate DFAs: together, every literal's progress multiplies
        // with every regex's, and the states a busy log visits no longer fit in the CPU's caches
        // (measured: 7 ns a byte for 199 patterns in one DFA, mostly waiting for memory).
        let (mut literals, mut ascii_safe, mut unicode_words) = (Vec::new(), Vec::new(), Vec::new());
        for pattern in patterns {
            if matches!(pattern.kind, PatternKind::Literal { .. }) {
                literals.push(pattern);
            } else if uses_unicode_word_boundary(&pattern.regex) {
                unicode_words.push(pattern);
            } else {
                ascii_safe.push(pattern);
            }
        }
        let groups: Vec<PatternGroup> = [(literals, false), (ascii_safe, false), (unicode_words, true)]
            .into_iter()
            .filter(|(patterns, _)| !patterns.is_empty())
            .map(|(patterns, heuristic)| PatternGroup::build(patterns, heuristic))
            .collect::<Result<_, _>>()?;
        let dfas: Vec<Option<(DFA, DFA)>> = groups.iter().map(|group| group.dfas.clone()).collect();
        let sizes: Vec<usize> = groups.iter().map(|group| group.patterns.len()).collect();
        let create: Box<dyn Fn() -> Vec<GroupCache> + Send + Sync> = Box::new(move || {
            dfas.iter().zip(&sizes).map(|(dfas, &size)| GroupCache::new(dfas.as_ref(), size)).collect()
        });
        Ok(Attribution { groups, caches: Pool::new(create) })
    }

    /// Scratch space for this thread (give it back by dropping the guard).
    pub fn caches(
        &self,
    ) -> regex_automata::util::pool::PoolGuard<'_, Vec<GroupCache>, Box<dyn Fn() -> Vec<GroupCache> + Send + Sync>>
    {
        self.caches.get()
    }
}

impl PatternGroup {
    fn build(patterns: Vec<PatternInfo>, unicode_word_boundary: bool) -> Result<PatternGroup, String> {
        let texts: Vec<&str> = patterns.iter().map(|p| p.regex.as_str()).collect();
        // A DFA that does not build (a pattern too large for the cache, say) is not an error:
        // the group then always takes the fallback, which is what `regex` itself would run.
        let dfas = build_dfas(&texts, unicode_word_boundary).ok();
        let group = PatternGroup { patterns, dfas, fallback: OnceLock::new() };
        if group.dfas.is_none() {
            group.fallback()?;
        }
        Ok(group)
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
        let Some((_, reverse)) = &self.dfas else { return Err(GaveUp) };
        let dfa_cache = cache.reverse.as_mut().expect("a cache for every built DFA");
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
        let Some((forward, _)) = &self.dfas else { return Err(GaveUp) };
        let dfa_cache = cache.forward.as_mut().expect("a cache for every built DFA");
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
    pub fn leftmost_matches_slow(
        &self,
        cache: &mut GroupCache,
        line: &[u8],
        found: &mut Vec<PatternStart>,
    ) -> Result<(), String> {
        let fallback = self.fallback()?;
        cache.patterns.clear();
        fallback.which.which_overlapping_matches(&Input::new(line), &mut cache.patterns);
        for pattern in cache.patterns.iter() {
            if let Some(hit) = fallback.each[pattern.as_usize()].find(line) {
                found.push(PatternStart { pattern: pattern.as_u32(), start: hit.start(), end: Some(hit.end()) });
            }
        }
        Ok(())
    }

    fn fallback(&self) -> Result<&Fallback, String> {
        self.fallback
            .get_or_init(|| {
                let texts: Vec<&str> = self.patterns.iter().map(|p| p.regex.as_str()).collect();
                let which = meta::Builder::new()
                    .configure(meta::Config::new().match_kind(MatchKind::All).utf8_empty(false))
                    .syntax(syntax::Config::new().utf8(false))
                    .build_many(&texts)
                    .map_err(|err| format!("the rules' regexes do not compile together: {err}"))?;
                let each = texts
                    .iter()
                    .map(|text| regex::bytes::Regex::new(text).map_err(|err| err.to_string()))
                    .collect::<Result<_, _>>()?;
                Ok(Fallback { which, each })
            })
            .as_ref()
            .map_err(Clone::clone)
    }
}

impl GroupCache {
    fn new(dfas: Option<&(DFA, DFA)>, patterns: usize) -> GroupCache {
        GroupCache {
            forward: dfas.map(|(forward, _)| forward.create_cache()),
            reverse: dfas.map(|(_, reverse)| reverse.create_cache()),
            start: vec![0; patterns],
            seen: vec![false; patterns],
            patterns: PatternSet::new(patterns),
        }
    }
}

/// Room for the DFA states one line's search builds, many times over: the states a rule set
/// needs on real text settle after a few thousand lines and then stay.
const CACHE_CAPACITY: usize = 32 << 20;

fn build_dfas(texts: &[&str], unicode_word_boundary: bool) -> Result<(DFA, DFA), String> {
    // The settings of `regex::bytes::Regex` (byte-oriented, empty matches anywhere), which the
    // per-pattern fallback and the rules' tests use: both must agree on every line.
    let syntax = syntax::Config::new().utf8(false);
    let config = |kind| {
        DFA::config()
            .match_kind(kind)
            .unicode_word_boundary(unicode_word_boundary)
            .cache_capacity(CACHE_CAPACITY)
            .skip_cache_capacity_check(true)
    };
    let nfa = |reverse| thompson::Config::new().reverse(reverse).utf8(false).which_captures(WhichCaptures::None);
    let forward = DFA::builder()
        .configure(config(MatchKind::LeftmostFirst).starts_for_each_pattern(true))
        .syntax(syntax)
        .thompson(nfa(false))
        .build_many(texts)
        .map_err(|err| err.to_string())?;
    let reverse = DFA::builder()
        .configure(config(MatchKind::All))
        .syntax(syntax)
        .thompson(nfa(true))
        .build_many(texts)
        .map_err(|err| err.to_string())?;
    Ok((forward, reverse))
}

/// Whether a pattern has a Unicode word boundary (`\b`, `\B`, `\<`, ... without `(?-u)`).
fn uses_unicode_word_boundary(pattern: &str) -> bool {
    syntax::parse_with(pattern, &syntax::Config::new().utf8(false))
        .map_or(true, |hir| hir.properties().look_set().contains_word_unicode())
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
            })
            .collect();
        PatternGroup::build(patterns, true).unwrap()
    }

    /// `(pattern, start, end)` per matching pattern, sorted, from the DFAs.
    fn fast(group: &PatternGroup, line: &str) -> Vec<(u32, usize, usize)> {
        let (forward, reverse) = group.dfas.as_ref().unwrap();
        let mut cache = GroupCache::new(Some(&(forward.clone(), reverse.clone())), group.patterns.len());
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
