//! The automata that say which rules match a flagged line, and where (leftmost match per rule).
//!
//! Most patterns are answered by one overlapping Aho-Corasick pass over the line. It holds every
//! literal, and for every regex whose matches all begin with one of a few literals (`TID [0-9]+`
//! begins with `TID `), those prefixes. A literal's first occurrence is its leftmost match. A
//! prefix occurrence is only a candidate start: a *forward* lazy DFA anchored on that regex tries
//! the candidates left to right, and the first that matches is the regex's leftmost start, with
//! the leftmost-first end. So a line costs one pass over small automata plus a short anchored
//! search per candidate, however many rules match it.
//!
//! The regexes without such prefixes (`[0-9]{2}-[0-9]{2} `, `\bfoo` with `(?i)` on a long word)
//! are in a *reverse* lazy DFA with "all matches" semantics. One backward pass over a line
//! reports every `(pattern, start)`; the last start reported for a pattern is its leftmost one.
//! Only for the rules that fired, and only when the winning pattern is such a regex, the forward
//! DFA finds where its leftmost-first match ends. This is how `regex::bytes::Regex::find` finds a
//! match (a forward DFA for the end, a reverse one for the start), turned around so that all
//! patterns share the pass.
//!
//! The two passes over a line, the literals forward and the regexes backward, run in one loop
//! ([`walk`](super::walk)): each waits on its own memory loads, and side by side those overlap.
//!
//! Either way the result is the same `(start, end)` per pattern as each pattern's own
//! `regex::bytes::Regex::find`, and `src/pipeline/matcher.rs` picks each rule's winner exactly
//! as the per-pattern search did.
//!
//! Lazy DFAs cannot handle Unicode word boundaries (`\b` without `(?-u)`) on non-ASCII text. So
//! the reverse-searched patterns that use one form a group of their own whose DFAs quit on a
//! non-ASCII byte; that group then falls back to the per-pattern regexes for that line. On an
//! ASCII line, where such a boundary is an ASCII one, a third group holding all reverse-searched
//! regexes replaces the two (one pass, not two). An anchored candidate search that meets a
//! non-ASCII byte asks that one pattern's regex instead.
//!
//! Nothing is built until it is needed: a group's automata on the first line it reads, its
//! forward DFA when one of its regexes first needs an end, a fallback regex when the DFAs first
//! give up on its pattern. Each DFA's per-thread cache is bounded ([`REVERSE_CACHE_CAPACITY`],
//! [`FORWARD_CACHE_CAPACITY`]).

use std::borrow::Cow;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use aho_corasick::nfa::{contiguous, noncontiguous};
use aho_corasick::{dfa as literal_dfa, MatchKind as AhoMatchKind};
use regex_automata::hybrid::dfa::{Cache, DFA};
use regex_automata::nfa::thompson::{self, WhichCaptures};
use regex_automata::util::pool::Pool;
use regex_automata::util::syntax;
use regex_automata::{meta, Input, MatchKind, PatternSet};
use regex_syntax::hir::Hir;

use super::compile::parse_line_regex;
use super::dfa_growth::DfaGrowth;
use super::prefixes::Prefixes;
use super::walk::{self, Kept, Literals as LiteralWalk, Regexes as RegexWalk};

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
    /// A regex (or a literal folded with Unicode case rules): its position among the regexes the
    /// scope's rules wrote, a regex several rules share having one for each.
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
    /// Other rules that wrote the same regex, each with the rank it has among that rule's
    /// patterns: the scope searches for it once for all of them.
    pub also: Vec<(u32, PatternKind)>,
    /// Whether `also` names any: read on every match, so kept beside `rule` (a `Vec`'s length
    /// sits in another cache line, and reading it cost the match-heavy bench 2 %).
    pub shared: bool,
    /// Whether the pattern has a Unicode word boundary (`\b` without `(?-u)`).
    pub unicode_word_boundary: bool,
    /// For a literal: its text, and whether it matches with ASCII case folded.
    pub literal: Option<(String, bool)>,
    /// For a regex: the literals each of its matches starts with, if they are worth searching
    /// for (see [`required_prefixes`](super::prefixes::required_prefixes)).
    pub prefixes: Option<Prefixes>,
    /// For a regex: what it parsed to when the rules were loaded (the automata are built from
    /// it rather than from the text, which would be parsed a second time).
    pub hir: Option<Arc<Hir>>,
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

/// Patterns searched together: by one Aho-Corasick pass (literals, and regexes with known
/// prefixes), or by one reverse lazy DFA (any other regexes).
#[derive(Debug)]
pub struct PatternGroup {
    /// In a group of literals, its regexes come first.
    pub patterns: Vec<PatternInfo>,
    unicode_word_boundary: bool,
    /// Built on first use; `None` inside when a DFA cannot be built: then the fallback answers.
    /// One forward DFA per regex, so that a line or a hook's one tool call builds only those of
    /// the regexes it needs an end for.
    forward: Vec<OnceLock<Option<DFA>>>,
    reverse: OnceLock<Option<DFA>>,
    fallback: Fallback,
    /// For a group answered by Aho-Corasick: the prefixes of each of its regexes, and the
    /// automata. They take the place of the reverse DFA.
    literals: Option<LiteralSearch>,
}

/// The Aho-Corasick side of a group of literals and prefixed regexes.
#[derive(Debug)]
struct LiteralSearch {
    /// Per regex of the group (its first patterns): the literals each of its matches starts with.
    prefixes: Vec<Prefixes>,
    /// Overlapping automata (exact, ASCII-folded), which report every occurrence of every
    /// literal and prefix in one pass, each with its pattern number in the group: first NFAs,
    /// which build in a fraction of the time, and once the group has read [`DFA_AFTER`] bytes,
    /// DFAs, which search faster (2.0 against 2.9 ns a byte for the 160 literals of
    /// `benches/rules-heavy.yaml` on loghub).
    quick: OnceLock<Vec<LiteralAutomaton>>,
    fast: OnceLock<Vec<LiteralAutomaton>>,
    /// Bytes read with the NFAs so far.
    read: AtomicUsize,
    /// Bytes of the literals and prefixes in all: whether DFAs are worth their memory (see
    /// [`DFA_MAX_LITERAL_BYTES`]).
    literal_bytes: usize,
}

/// How much text a group of literals reads with its Aho-Corasick NFAs before it builds the DFAs
/// (a hook's one tool call, or a short log, never pays for them).
const DFA_AFTER: usize = 1 << 20;

/// The most bytes of literals searched with an Aho-Corasick DFA, by a group or by the scan: a DFA
/// holds a row of transitions for about every byte of its literals (3.6 KB for a 16-byte literal
/// among many; 36 MB for 10,000 of them, an NFA 2 MB), so a rule file with a long block list, or
/// very long literals, keeps the NFAs. 2,000 literals of 16 bytes.
pub(super) const DFA_MAX_LITERAL_BYTES: usize = 32 << 10;

/// Candidates of one regex in one line tried by its anchored DFA before its own regex searches
/// the rest of the line. Each try may read to the end of the line, so without a bound a line of
/// candidates that fail late (`aaa.*b` on 64 KiB of `a`) costs the square of its length: 3.7 s
/// for that line, where one `find_at` takes under a millisecond.
const ANCHORED_TRIES: usize = 8;

/// An overlapping Aho-Corasick automaton over some of a group's literals, and the number in the
/// group of each of its patterns.
#[derive(Debug)]
struct LiteralAutomaton {
    automaton: Literals,
    numbers: Vec<u32>,
}

/// The kinds of Aho-Corasick automata a group uses, fastest first; each is built with the
/// standard (overlapping) semantics and no prefilter, for [`LiteralWalk`].
#[derive(Debug)]
enum Literals {
    Dfa(literal_dfa::DFA),
    Contiguous(contiguous::NFA),
    /// For a set of literals too large for the others' state numbers.
    Noncontiguous(noncontiguous::NFA),
}

/// Which Aho-Corasick automata a group builds.
#[derive(Debug, Clone, Copy)]
enum LiteralKind {
    Dfa,
    Nfa,
}

/// The per-pattern regexes, for lines the DFAs give up on; each built when first needed.
#[derive(Debug)]
struct Fallback {
    /// "All matches" over the group: which patterns match a line.
    which: OnceLock<meta::Regex>,
    /// Each pattern on its own, for its leftmost match.
    each: Vec<OnceLock<regex::bytes::Regex>>,
}

/// A pattern's leftmost match in a line; `end` is `None` until [`PatternGroup::end_of`] is asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PatternStart {
    /// The pattern's group, in [`Attribution::groups`].
    pub group: usize,
    pub pattern: u32,
    pub start: usize,
    pub end: Option<usize>,
}

/// Scratch for one group's DFAs, each made when its DFA is first used on this thread.
#[derive(Debug, Clone)]
pub struct GroupCache {
    /// Per regex of the group.
    forward: Vec<Option<Cache>>,
    reverse: Option<Cache>,
    /// How `reverse` has grown lately: whether lines are better searched pattern by pattern.
    growth: DfaGrowth,
    /// `(pattern, start)` of the occurrences a walk of the group's literals kept in the line.
    hits: Vec<(u32, usize)>,
    /// The patterns a walk of the group's reverse DFA found in the line.
    matched: Vec<u32>,
    /// Per pattern: its leftmost start so far in the line being read (valid when `seen`).
    start: Vec<usize>,
    seen: Vec<bool>,
    /// `(pattern, start)` of each prefix occurrence of a regex in the line being read.
    candidates: Vec<(u32, usize)>,
    /// Anchored searches of candidates made with this cache (what bounds a line's cost).
    anchored_searches: u64,
    patterns: PatternSet,
}

/// The DFAs gave up on a line (a Unicode word boundary next to a non-ASCII byte, or a cache
/// that keeps filling up); the caller takes the fallback.
#[derive(Debug, Clone, Copy)]
pub struct GaveUp;

impl Attribution {
    /// The groups of `patterns`; no automaton is built yet.
    pub fn new(patterns: Vec<PatternInfo>) -> Attribution {
        // Literals and regexes in separate automata: together, every literal's progress
        // multiplies with every regex's, and the states a busy log visits no longer fit in the
        // CPU's caches (measured: 7 ns a byte for 199 patterns in one DFA, mostly waiting for
        // memory). A regex with prefixes joins the literals: Aho-Corasick finds its candidates.
        let (mut prefixed, mut literals, mut ascii_safe, mut unicode_words) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for pattern in patterns {
            if matches!(pattern.kind, PatternKind::Literal { .. }) {
                literals.push(pattern);
            } else if pattern.prefixes.is_some() {
                prefixed.push(pattern);
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
        if !prefixed.is_empty() || !literals.is_empty() {
            ascii_lines.push(groups.len());
            other_lines.push(groups.len());
            groups.push(PatternGroup::literals(prefixed, literals));
        }
        for (patterns, heuristic, on_ascii, on_other) in [
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
            groups.push(PatternGroup::regexes(patterns, heuristic));
        }
        let sizes: Vec<(usize, usize)> =
            groups.iter().map(|group| (group.patterns.len(), group.regex_count())).collect();
        let create: Box<dyn Fn() -> Vec<GroupCache> + Send + Sync> =
            Box::new(move || sizes.iter().map(|&(patterns, regexes)| GroupCache::new(patterns, regexes)).collect());
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

    /// Every pattern's leftmost start in `line`, with its group (in `found`, in no particular
    /// order), but for regexes searched from their prefixes that cannot be their rule's match
    /// (another of the rule's patterns matches further left): enough for each rule's match. A
    /// group of literals gives ends too; for the others they are left to
    /// [`PatternGroup::end_of`]. A group whose DFAs give up on the line is answered by its
    /// per-pattern regexes.
    pub fn leftmost_starts(&self, caches: &mut [GroupCache], line: &[u8], found: &mut Vec<PatternStart>) {
        let groups = self.groups_for(line);
        let rest = match *groups {
            [literals, regexes, ..] if self.walk_together(caches, line, literals, regexes, found) => &groups[2..],
            _ => groups,
        };
        for &index in rest {
            let (group, cache) = (&self.groups[index], &mut caches[index]);
            let first = found.len();
            if group.leftmost_starts(cache, line, found).is_err() {
                found.truncate(first);
                group.leftmost_matches_slow(cache, line, found);
            }
            for hit in &mut found[first..] {
                hit.group = index;
            }
        }
    }

    /// The usual pair of groups, literals and regexes searched backward, read `line` in one loop
    /// (see [`walk`](super::walk)); `false`, having done nothing, when they are not such a pair.
    fn walk_together(
        &self,
        caches: &mut [GroupCache],
        line: &[u8],
        literals: usize,
        regexes: usize,
        found: &mut Vec<PatternStart>,
    ) -> bool {
        let (literal_group, regex_group) = (&self.groups[literals], &self.groups[regexes]);
        if literal_group.literals.is_none() || regex_group.literals.is_some() {
            return false;
        }
        let Some(dfa) = regex_group.reverse() else { return false };
        let Some(automata) = literal_group.literal_automata(line.len()) else { return false };
        let Ok([literal_cache, regex_cache]) = caches.get_disjoint_mut([literals, regexes]) else { return false };
        if regex_cache.growth.searching_each() {
            return false;
        }
        literal_cache.hits.clear();
        regex_cache.matched.clear();
        let dfa_cache = regex_cache.reverse.get_or_insert_with(|| dfa.create_cache());
        regex_cache.growth.before_walk(dfa_cache);
        let mut regex_walk = RegexWalk {
            dfa,
            cache: dfa_cache,
            starts: &mut regex_cache.start,
            seen: &mut regex_cache.seen,
            matched: &mut regex_cache.matched,
        };
        let (first, more) = automata.split_first().expect("a group of literals has an automaton");
        let outcome =
            first.automaton.walk_with(&first.numbers, line, literal_group.kept(literal_cache), &mut regex_walk);
        for literals in more {
            literals.automaton.walk(&literals.numbers, line, literal_group.kept(literal_cache));
        }
        if let Some(dfa_cache) = &regex_cache.reverse {
            regex_cache.growth.after_walk(dfa_cache, REVERSE_CACHE_CAPACITY, line.len());
        }
        let from = found.len();
        literal_group.leftmost_by_literals(literal_cache, line, found);
        for hit in &mut found[from..] {
            hit.group = literals;
        }
        let from = found.len();
        regex_group.leftmost_by_reverse_dfa(regex_cache, found);
        if outcome.is_err() {
            found.truncate(from);
            regex_group.leftmost_matches_slow(regex_cache, line, found);
        }
        for hit in &mut found[from..] {
            hit.group = regexes;
        }
        true
    }

    /// Builds every group's DFAs now (and the fallback of a group whose DFAs cannot be built).
    pub fn build_all(&self) {
        for group in &self.groups {
            let searched = group.literal_automata(DFA_AFTER + 1).is_some() || group.reverse().is_some();
            if !searched {
                group.fallback_which();
            }
            for pattern in 0..group.regex_count() as u32 {
                if group.forward(pattern).is_none() {
                    group.fallback_each(pattern);
                }
            }
        }
    }
}

impl PatternGroup {
    /// A group of regexes searched by reverse DFA.
    fn regexes(patterns: Vec<PatternInfo>, unicode_word_boundary: bool) -> PatternGroup {
        PatternGroup::with(patterns, unicode_word_boundary, None)
    }

    /// A group searched by Aho-Corasick: regexes with prefixes, then literals.
    fn literals(prefixed: Vec<PatternInfo>, literals: Vec<PatternInfo>) -> PatternGroup {
        let unicode_word_boundary = prefixed.iter().any(|p| p.unicode_word_boundary);
        let prefixes: Vec<Prefixes> = prefixed.iter().filter_map(|p| p.prefixes.clone()).collect();
        let literal_bytes = prefixes.iter().flat_map(|p| &p.literals).map(|prefix| prefix.len()).sum::<usize>()
            + literals.iter().filter_map(|p| p.literal.as_ref()).map(|(text, _)| text.len()).sum::<usize>();
        let search = LiteralSearch {
            prefixes,
            quick: OnceLock::new(),
            fast: OnceLock::new(),
            read: AtomicUsize::new(0),
            literal_bytes,
        };
        PatternGroup::with([prefixed, literals].concat(), unicode_word_boundary, Some(search))
    }

    fn with(patterns: Vec<PatternInfo>, unicode_word_boundary: bool, literals: Option<LiteralSearch>) -> PatternGroup {
        let regex_count = literals.as_ref().map_or(patterns.len(), |search| search.prefixes.len());
        let fallback = Fallback { which: OnceLock::new(), each: patterns.iter().map(|_| OnceLock::new()).collect() };
        PatternGroup {
            patterns,
            unicode_word_boundary,
            forward: (0..regex_count).map(|_| OnceLock::new()).collect(),
            reverse: OnceLock::new(),
            fallback,
            literals,
        }
    }

    /// How many of the group's patterns (its first ones) are regexes.
    fn regex_count(&self) -> usize {
        match &self.literals {
            Some(search) => search.prefixes.len(),
            None => self.patterns.len(),
        }
    }

    /// The group's Aho-Corasick automata, if it is searched by them, for reading `len` bytes.
    fn literal_automata(&self, len: usize) -> Option<&[LiteralAutomaton]> {
        let search = self.literals.as_ref()?;
        if let Some(fast) = search.fast.get() {
            return Some(fast);
        }
        let read = search.read.fetch_add(len, Ordering::Relaxed).saturating_add(len);
        let automata = if read > DFA_AFTER && search.literal_bytes <= DFA_MAX_LITERAL_BYTES {
            search.fast.get_or_init(|| self.build_literal_automata(search, LiteralKind::Dfa))
        } else {
            search.quick.get_or_init(|| self.build_literal_automata(search, LiteralKind::Nfa))
        };
        Some(automata)
    }

    fn build_literal_automata(&self, search: &LiteralSearch, kind: LiteralKind) -> Vec<LiteralAutomaton> {
        let mut needles: [(Vec<&[u8]>, Vec<u32>); 2] = Default::default();
        for (number, prefixes) in search.prefixes.iter().enumerate() {
            let (texts, numbers) = &mut needles[usize::from(prefixes.ascii_folded)];
            for prefix in &prefixes.literals {
                texts.push(prefix);
                numbers.push(number as u32);
            }
        }
        for (number, pattern) in self.patterns.iter().enumerate() {
            if let Some((text, folded)) = &pattern.literal {
                let (texts, numbers) = &mut needles[usize::from(*folded)];
                texts.push(text.as_bytes());
                numbers.push(number as u32);
            }
        }
        needles
            .into_iter()
            .zip([false, true])
            .filter(|((texts, _), _)| !texts.is_empty())
            .map(|((texts, numbers), folded)| LiteralAutomaton {
                automaton: Literals::build(&texts, folded, kind),
                numbers,
            })
            .collect()
    }

    fn texts(&self) -> Vec<&str> {
        self.patterns.iter().map(|p| p.regex.as_str()).collect()
    }

    // A DFA that does not build is not an error: the group then always takes the fallback,
    // which is what `regex` itself would run.
    fn forward(&self, pattern: u32) -> Option<&DFA> {
        let info = &self.patterns[pattern as usize];
        self.forward[pattern as usize]
            .get_or_init(|| build_dfa(std::slice::from_ref(info), info.unicode_word_boundary, false).ok())
            .as_ref()
    }

    fn reverse(&self) -> Option<&DFA> {
        self.reverse.get_or_init(|| build_dfa(&self.patterns, self.unicode_word_boundary, true).ok()).as_ref()
    }

    /// Every pattern's leftmost start in `line` (in `found`, in no particular order), as
    /// [`Attribution::leftmost_starts`] finds them. A group of literals gives ends too; for the
    /// others they are left to [`end_of`](Self::end_of).
    pub fn leftmost_starts(
        &self,
        cache: &mut GroupCache,
        line: &[u8],
        found: &mut Vec<PatternStart>,
    ) -> Result<(), GaveUp> {
        match self.literal_automata(line.len()) {
            Some(automata) => {
                cache.hits.clear();
                for literals in automata {
                    literals.automaton.walk(&literals.numbers, line, self.kept(cache));
                }
                self.leftmost_by_literals(cache, line, found);
                Ok(())
            }
            None => {
                let Some(dfa) = self.reverse() else { return Err(GaveUp) };
                if cache.growth.search_each(line.len()) {
                    self.leftmost_matches_each(line, found);
                    return Ok(());
                }
                cache.matched.clear();
                let dfa_cache = cache.reverse.get_or_insert_with(|| dfa.create_cache());
                cache.growth.before_walk(dfa_cache);
                let outcome = walk::regexes(
                    &mut RegexWalk {
                        dfa,
                        cache: dfa_cache,
                        starts: &mut cache.start,
                        seen: &mut cache.seen,
                        matched: &mut cache.matched,
                    },
                    line,
                );
                if let Some(dfa_cache) = &cache.reverse {
                    cache.growth.after_walk(dfa_cache, REVERSE_CACHE_CAPACITY, line.len());
                }
                // Also when the walk gave up half-way: a flag left set would hide its pattern's
                // matches on every later line.
                self.leftmost_by_reverse_dfa(cache, found);
                outcome
            }
        }
    }

    /// Where the group's literal walks keep what they find in a line.
    fn kept<'a>(&self, cache: &'a mut GroupCache) -> Kept<'a> {
        Kept { candidates_below: self.regex_count() as u32, seen: &mut cache.seen, hits: &mut cache.hits }
    }

    /// The leftmost occurrences among the hits of the group's literal automata in `line` (in
    /// `cache.hits`), and the leftmost match of each regex among its candidates.
    fn leftmost_by_literals(&self, cache: &mut GroupCache, line: &[u8], found: &mut Vec<PatternStart>) {
        let regexes = self.regex_count() as u32;
        let literals_from = found.len();
        cache.candidates.clear();
        // The walks kept each literal's first occurrence only, and flagged it in `seen`.
        for &(pattern, start) in &cache.hits {
            if pattern < regexes {
                cache.candidates.push((pattern, start));
            } else {
                cache.seen[pattern as usize] = false;
                let len = self.patterns[pattern as usize].literal.as_ref().map_or(0, |(text, _)| text.len());
                found.push(PatternStart { group: 0, pattern, start, end: Some(start + len) });
            }
        }
        if cache.candidates.is_empty() {
            return;
        }
        // Each regex's candidates left to right: the first where it matches is its leftmost
        // start, since every match starts with one of its prefixes.
        cache.candidates.sort_unstable();
        cache.candidates.dedup();
        let mut rest = &cache.candidates[..];
        while let Some(&(pattern, _)) = rest.first() {
            let same = rest.partition_point(|&(other, _)| other == pattern);
            // A match of the regex that starts after a match of another of its rule's patterns
            // cannot be the rule's match: those candidates need no search (on a busy log, most).
            // (Not for a regex several rules share: another rule may need the later match.)
            let info = &self.patterns[pattern as usize];
            let beaten_after = match !info.shared {
                true => found[literals_from..]
                    .iter()
                    .filter(|hit| self.patterns[hit.pattern as usize].rule == info.rule)
                    .map(|hit| hit.start)
                    .min()
                    .unwrap_or(usize::MAX),
                false => usize::MAX,
            };
            for (tried, &(_, start)) in rest[..same].iter().take_while(|&&(_, start)| start <= beaten_after).enumerate()
            {
                let anchored = if tried < ANCHORED_TRIES {
                    cache.anchored_searches += 1;
                    self.anchored_end(&mut cache.forward, line, pattern, start)
                } else {
                    Err(GaveUp)
                };
                match anchored {
                    Ok(Some(end)) => found.push(PatternStart { group: 0, pattern, start, end: Some(end) }),
                    Ok(None) => continue,
                    // The DFA met what it cannot handle, or enough candidates failed: the
                    // pattern's own regex, from here on (no match starts between the candidates).
                    Err(GaveUp) => {
                        if let Some(hit) = self.fallback_each(pattern).find_at(line, start) {
                            found.push(PatternStart { group: 0, pattern, start: hit.start(), end: Some(hit.end()) });
                        }
                    }
                }
                break;
            }
            rest = &rest[same..];
        }
    }

    /// Each pattern's leftmost start that the reverse DFA's walk over a line found (the patterns
    /// in `cache.matched`, their starts in `cache.start`), clearing their `seen` flags.
    fn leftmost_by_reverse_dfa(&self, cache: &mut GroupCache, found: &mut Vec<PatternStart>) {
        for &pattern in &cache.matched {
            cache.seen[pattern as usize] = false;
            found.push(PatternStart { group: 0, pattern, start: cache.start[pattern as usize], end: None });
        }
    }

    /// Where the leftmost-first match of `pattern`, which the search found starting at `start`,
    /// ends: from its anchored DFA, or its own regex when the DFA gives up.
    pub fn end_of(&self, cache: &mut GroupCache, line: &[u8], pattern: u32, start: usize) -> usize {
        if let PatternKind::Literal { len } = self.patterns[pattern as usize].kind {
            return start + len as usize;
        }
        match self.anchored_end(&mut cache.forward, line, pattern, start) {
            Ok(Some(end)) => end,
            // `None` cannot be: the search saw a match start here. The regex finds the same match.
            Ok(None) | Err(GaveUp) => {
                let hit = self.fallback_each(pattern).find_at(line, start);
                debug_assert_eq!(hit.map(|hit| hit.start()), Some(start), "a match of pattern {pattern} starts here");
                hit.map_or(start, |hit| hit.end())
            }
        }
    }

    /// Where the leftmost-first match of regex `pattern` starting at `start` ends, if one does.
    fn anchored_end(
        &self,
        caches: &mut [Option<Cache>],
        line: &[u8],
        pattern: u32,
        start: usize,
    ) -> Result<Option<usize>, GaveUp> {
        let Some(forward) = self.forward(pattern) else { return Err(GaveUp) };
        let dfa_cache = caches[pattern as usize].get_or_insert_with(|| forward.create_cache());
        walk::anchored_end(forward, dfa_cache, line, start)
    }

    /// The same answer as [`leftmost_starts`](Self::leftmost_starts) plus ends, from the
    /// per-pattern regexes (compiled on first use).
    pub fn leftmost_matches_slow(&self, cache: &mut GroupCache, line: &[u8], found: &mut Vec<PatternStart>) {
        cache.patterns.clear();
        self.fallback_which().which_overlapping_matches(&Input::new(line), &mut cache.patterns);
        for pattern in cache.patterns.iter() {
            if let Some(hit) = self.fallback_each(pattern.as_u32()).find(line) {
                found.push(PatternStart {
                    group: 0,
                    pattern: pattern.as_u32(),
                    start: hit.start(),
                    end: Some(hit.end()),
                });
            }
        }
    }

    /// The same answer as [`leftmost_starts`](Self::leftmost_starts) plus ends, from each
    /// pattern's own regex: for text on which a DFA of all of them builds states faster than it
    /// reads (see [`DfaGrowth`]).
    fn leftmost_matches_each(&self, line: &[u8], found: &mut Vec<PatternStart>) {
        for pattern in 0..self.patterns.len() as u32 {
            if let Some(hit) = self.fallback_each(pattern).find(line) {
                found.push(PatternStart { group: 0, pattern, start: hit.start(), end: Some(hit.end()) });
            }
        }
    }

    // Every pattern was checked when the rules were loaded: it parses, and it fits the regex
    // crate's size limit, so with no limit here these always build.
    fn fallback_which(&self) -> &meta::Regex {
        self.fallback.which.get_or_init(|| {
            meta::Builder::new()
                .configure(meta::Config::new().match_kind(MatchKind::All).utf8_empty(false).nfa_size_limit(None))
                .syntax(syntax::Config::new().utf8(false))
                .build_many(&self.texts())
                .expect("patterns checked when the rules were loaded compile together")
        })
    }

    fn fallback_each(&self, pattern: u32) -> &regex::bytes::Regex {
        self.fallback.each[pattern as usize].get_or_init(|| {
            regex::bytes::RegexBuilder::new(&self.patterns[pattern as usize].regex)
                .size_limit(usize::MAX)
                .build()
                .expect("a pattern checked when the rules were loaded compiles")
        })
    }
}

impl Literals {
    fn build(texts: &[&[u8]], folded: bool, kind: LiteralKind) -> Literals {
        let mut nfa = noncontiguous::Builder::new();
        nfa.match_kind(AhoMatchKind::Standard).ascii_case_insensitive(folded).prefilter(false);
        let nfa = nfa.build(texts).expect("Aho-Corasick accepts any set of literals that fits in memory");
        // A DFA or a contiguous NFA too large for its state numbers is refused; the next serves.
        if let LiteralKind::Dfa = kind {
            if let Ok(dfa) = literal_dfa::Builder::new().build_from_noncontiguous(&nfa) {
                return Literals::Dfa(dfa);
            }
        }
        match contiguous::Builder::new().build_from_noncontiguous(&nfa) {
            Ok(contiguous) => Literals::Contiguous(contiguous),
            Err(_) => Literals::Noncontiguous(nfa),
        }
    }

    /// Every occurrence in `line` that `kept` keeps.
    fn walk(&self, numbers: &[u32], line: &[u8], kept: Kept) {
        match self {
            Literals::Dfa(automaton) => walk::literals(&mut LiteralWalk { automaton, numbers, kept }, line),
            Literals::Contiguous(automaton) => walk::literals(&mut LiteralWalk { automaton, numbers, kept }, line),
            Literals::Noncontiguous(automaton) => walk::literals(&mut LiteralWalk { automaton, numbers, kept }, line),
        }
    }

    /// [`walk`](Self::walk), in the same loop as a walk of the regexes.
    fn walk_with(&self, numbers: &[u32], line: &[u8], kept: Kept, regexes: &mut RegexWalk) -> Result<(), GaveUp> {
        match self {
            Literals::Dfa(automaton) => walk::both(&mut LiteralWalk { automaton, numbers, kept }, regexes, line),
            Literals::Contiguous(automaton) => walk::both(&mut LiteralWalk { automaton, numbers, kept }, regexes, line),
            Literals::Noncontiguous(automaton) => {
                walk::both(&mut LiteralWalk { automaton, numbers, kept }, regexes, line)
            }
        }
    }
}

impl GroupCache {
    fn new(patterns: usize, regexes: usize) -> GroupCache {
        GroupCache {
            forward: vec![None; regexes],
            reverse: None,
            growth: DfaGrowth::default(),
            hits: Vec::new(),
            matched: Vec::new(),
            start: vec![0; patterns],
            seen: vec![false; patterns],
            candidates: Vec::new(),
            anchored_searches: 0,
            patterns: PatternSet::new(patterns),
        }
    }
}

/// Room for the states of a reverse DFA, which reads every byte of every line with all its
/// regexes at once: the states a rule set needs on real text settle after a few thousand lines
/// and then stay (the match-heavy bench set over loghub stays far below it). When a cache fills,
/// the DFA clears it and goes on. A scope has at most three groups of reverse-searched regexes,
/// so these take at most 24 MiB per thread and scope.
const REVERSE_CACHE_CAPACITY: usize = 8 << 20;

/// Room for the states of one regex's forward DFA, which searches from a known start to the end
/// of one match only. Caches are made for the regexes a thread has used, so this is at most
/// 256 KiB per regex of each group, per thread: a regex searched by reverse DFA is in two groups
/// (its own, and the merged one for ASCII lines), so up to 512 KiB for it (the scan and the
/// fallback regexes have the regex crate's own, 2 MiB per lazy DFA).
const FORWARD_CACHE_CAPACITY: usize = 256 << 10;

fn build_dfa(patterns: &[PatternInfo], unicode_word_boundary: bool, reverse: bool) -> Result<DFA, String> {
    // The settings of `regex::bytes::Regex` (byte-oriented, empty matches anywhere), which the
    // per-pattern fallback and the rules' tests use: both must agree on every line. Forward:
    // leftmost-first, for one match's end; reverse: all matches, for every pattern's start in
    // one pass. (A pattern loaded with `^` and `$` at line ends means the same on a line.)
    let (kind, capacity) = if reverse {
        (MatchKind::All, REVERSE_CACHE_CAPACITY)
    } else {
        (MatchKind::LeftmostFirst, FORWARD_CACHE_CAPACITY)
    };
    let parsed = patterns
        .iter()
        .map(|pattern| match &pattern.hir {
            Some(hir) => Ok(Cow::Borrowed(&**hir)),
            None => parse_line_regex(&pattern.regex).map(Cow::Owned),
        })
        .collect::<Result<Vec<Cow<Hir>>, String>>()?;
    let nfa = thompson::Compiler::new()
        .configure(thompson::Config::new().reverse(reverse).utf8(false).which_captures(WhichCaptures::None))
        .build_many_from_hir(&parsed)
        .map_err(|err| err.to_string())?;
    DFA::builder()
        .configure(
            DFA::config()
                .match_kind(kind)
                .unicode_word_boundary(unicode_word_boundary)
                .cache_capacity(capacity)
                .skip_cache_capacity_check(true),
        )
        .build_from_nfa(nfa)
        .map_err(|err| err.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::prefixes::required_prefixes;

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
                prefixes: None,
                hir: None,
                also: Vec::new(),
                shared: false,
            })
            .collect();
        PatternGroup::regexes(patterns, true)
    }

    /// `(pattern, start, end)` per matching pattern, sorted, from the DFAs.
    fn fast(group: &PatternGroup, line: &str) -> Vec<(u32, usize, usize)> {
        let mut cache = GroupCache::new(group.patterns.len(), group.regex_count());
        let mut found = Vec::new();
        group.leftmost_starts(&mut cache, line.as_bytes(), &mut found).unwrap();
        let mut all: Vec<_> = found
            .iter()
            .map(|hit| (hit.pattern, hit.start, group.end_of(&mut cache, line.as_bytes(), hit.pattern, hit.start)))
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

    /// A small deterministic generator (xorshift), so a failure names its case.
    struct Gen(u64);

    impl Gen {
        fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % n as u64) as usize
        }

        fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
            from[self.below(from.len())]
        }

        fn regex(&mut self) -> String {
            const ATOMS: &[&str] = &[
                "a",
                "b",
                "ab",
                "abc",
                "1",
                "-",
                ".",
                " ",
                r"\.",
                "[0-9]",
                "[a-c]",
                "[^ ]",
                r"\b",
                r"(?-u:\b)",
                "^",
                "$",
                "é",
                r"\w",
                "(ab|a)",
                "(a|ab)",
                "(?i:AB)",
                "[0-9]{2}",
                "x",
                "(?i:k)",
                "ſ",
                r"(?-u:\xFF)",
                r"(?-u:.)",
                "(?i:st)",
            ];
            const REPEATS: &[&str] = &["", "", "", "+", "*", "?", "{1,3}"];
            let mut regex = String::new();
            for _ in 0..1 + self.below(4) {
                let atom = self.pick(ATOMS);
                regex.push_str(atom);
                if !matches!(atom, "^" | "$" | r"\b" | r"(?-u:\b)") {
                    regex.push_str(self.pick(REPEATS));
                }
            }
            if self.below(6) == 0 {
                regex = format!("(?i){regex}");
            }
            regex
        }

        /// Text for a literal.
        fn text(&mut self) -> String {
            const PIECES: &[&str] = &["a", "b", "c", "ab", "abc", "AB", "1", "12", "-", ".", " ", "é", "x", "TID 7"];
            (0..self.below(12)).map(|_| self.pick(PIECES)).collect()
        }

        /// A line: such text, with the Kelvin sign, a long s and bytes that are not UTF-8.
        fn line(&mut self) -> Vec<u8> {
            const PIECES: &[&[u8]] =
                &[b"a", b"b", b"c", b"ab", b"abc", b"AB", b"1", b"12", b"-", b" ", b"x", b"TID 7", b"\xff", b"\xc3"];
            const OTHER: &[&str] = &["\u{e9}", "\u{212a}", "\u{17f}", "K", "ST"];
            let mut line = Vec::new();
            for _ in 0..self.below(12) {
                if self.below(4) == 0 {
                    line.extend_from_slice(self.pick(OTHER).as_bytes());
                } else {
                    line.extend_from_slice(PIECES[self.below(PIECES.len())]);
                }
            }
            line
        }
    }

    /// Each rule's match in `line` as `(rule, start, end)`, from every group's answer, taking the
    /// fallback where the DFAs give up, as the matcher does.
    fn attributed(attribution: &Attribution, line: &[u8]) -> Vec<(u32, usize, usize)> {
        let mut caches = attribution.caches();
        let mut found = Vec::new();
        attribution.leftmost_starts(&mut caches, line, &mut found);
        let mut all = Vec::new();
        for hit in found {
            let group = &attribution.groups[hit.group];
            let end = hit.end.unwrap_or_else(|| group.end_of(&mut caches[hit.group], line, hit.pattern, hit.start));
            let info = &group.patterns[hit.pattern as usize];
            all.push((info.rule, info.kind, hit.start, end));
        }
        winners(all)
    }

    /// Per rule, the match of its pattern that the matcher picks (leftmost; at one start a literal
    /// before a regex), as `(rule, start, end)`, from `(rule, kind, start, end)` per pattern.
    fn winners(matches: Vec<(u32, PatternKind, usize, usize)>) -> Vec<(u32, usize, usize)> {
        let mut best = std::collections::BTreeMap::new();
        for (rule, kind, start, end) in matches {
            let slot = best.entry(rule).or_insert((start, kind, end));
            if (start, kind) < (slot.0, slot.1) {
                *slot = (start, kind, end);
            }
        }
        best.into_iter().map(|(rule, (start, _, end))| (rule, start, end)).collect()
    }

    #[test]
    fn every_rule_gets_the_match_its_patterns_own_regexes_find_on_random_rules_and_lines() {
        let mut gen = Gen(0x2545_f491_4f6c_dd1d);
        // So that the test keeps covering both searches.
        let (mut prefixed, mut reverse) = (0, 0);
        for case in 0..400 {
            let mut infos = Vec::new();
            let mut regexes = Vec::new();
            // Half the cases give each pattern its own rule, half share a few rules among them.
            let shared = case % 4 >= 2;
            for number in 0..1 + gen.below(8) {
                let rule = if shared { gen.below(3) as u32 } else { number as u32 };
                let info = if gen.below(3) == 0 {
                    let text = gen.text();
                    let text = if text.is_empty() { "ab".to_owned() } else { text };
                    let folded = gen.below(3) == 0 && text.is_ascii();
                    let regex = if folded { format!("(?i-u:{})", regex::escape(&text)) } else { regex::escape(&text) };
                    PatternInfo {
                        regex,
                        kind: PatternKind::Literal { len: text.len() as u32 },
                        rule,
                        unicode_word_boundary: false,
                        literal: Some((text, folded)),
                        prefixes: None,
                        hir: None,
                        also: Vec::new(),
                        shared: false,
                    }
                } else {
                    let regex = gen.regex();
                    // As the rules are loaded: `^` and `$` at line ends.
                    let config = syntax::Config::new().multi_line(true).utf8(false);
                    let hir = syntax::parse_with(&regex, &config).unwrap();
                    PatternInfo {
                        kind: PatternKind::Regex { order: number as u32 },
                        rule,
                        unicode_word_boundary: hir.properties().look_set().contains_word_unicode(),
                        literal: None,
                        prefixes: required_prefixes(&hir),
                        regex,
                        hir: Some(Arc::new(hir)),
                        also: Vec::new(),
                        shared: false,
                    }
                };
                if info.literal.is_none() {
                    prefixed += usize::from(info.prefixes.is_some());
                    reverse += usize::from(info.prefixes.is_none());
                }
                regexes.push(regex::bytes::Regex::new(&info.regex).unwrap());
                infos.push(info);
            }
            let texts: Vec<String> = infos.iter().map(|info| info.regex.clone()).collect();
            let owners: Vec<(u32, PatternKind)> = infos.iter().map(|info| (info.rule, info.kind)).collect();
            let attribution = Attribution::new(infos);
            if case % 2 == 1 {
                // What a scope that has read a few MiB uses: the literals' DFAs.
                attribution.build_all();
            }
            for _ in 0..30 {
                let line = gen.line();
                let expected = winners(
                    (regexes.iter().zip(&owners))
                        .filter_map(|(regex, &(rule, kind))| {
                            regex.find(&line).map(|m| (rule, kind, m.start(), m.end()))
                        })
                        .collect(),
                );
                assert_eq!(
                    attributed(&attribution, &line),
                    expected,
                    "case {case}: patterns {texts:?} on line {:?}",
                    String::from_utf8_lossy(&line)
                );
            }
        }
        assert!(prefixed > 100 && reverse > 100, "{prefixed} regexes with prefixes, {reverse} without");
    }

    /// Rule 0's one pattern: `regex`, which has no `\b`.
    fn regex_pattern(regex: &str) -> PatternInfo {
        let hir = syntax::parse_with(regex, &syntax::Config::new().utf8(false)).unwrap();
        PatternInfo {
            regex: regex.to_owned(),
            kind: PatternKind::Regex { order: 0 },
            rule: 0,
            unicode_word_boundary: false,
            literal: None,
            prefixes: required_prefixes(&hir),
            hir: Some(Arc::new(hir)),
            also: Vec::new(),
            shared: false,
        }
    }

    #[test]
    fn a_line_where_patterns_match_at_every_position_keeps_one_hit_per_pattern() {
        // `[a-z]+x` (searched backward) starts a match at every `a`, and `aa` occurs at every
        // position: the walks keep each pattern's leftmost start only, not an entry per position.
        let line = [vec![b'a'; 1 << 16], b"x".to_vec()].concat();
        let patterns = vec![
            regex_pattern("[a-z]+x"),
            PatternInfo {
                regex: "aa".to_owned(),
                kind: PatternKind::Literal { len: 2 },
                rule: 1,
                unicode_word_boundary: false,
                literal: Some(("aa".to_owned(), false)),
                prefixes: None,
                hir: None,
                also: Vec::new(),
                shared: false,
            },
        ];
        assert!(patterns[0].prefixes.is_none(), "the regex is searched backward");
        let attribution = Attribution::new(patterns);
        for build in [false, true] {
            if build {
                attribution.build_all();
            }
            assert_eq!(attributed(&attribution, &line), vec![(0, 0, line.len()), (1, 0, 2)]);
            let caches = attribution.caches();
            for cache in caches.iter() {
                assert!(cache.hits.capacity() <= 4 && cache.matched.capacity() <= 4, "{cache:?}");
                assert!(cache.seen.iter().all(|seen| !seen), "no flag is left set for the next line");
            }
        }
    }

    /// Lines of printable ASCII in no order, on which a DFA of many regexes keeps building states.
    fn noise(gen: &mut Gen, lines: usize) -> Vec<Vec<u8>> {
        (0..lines).map(|_| (0..256).map(|_| b' ' + gen.below(95) as u8).collect()).collect()
    }

    #[test]
    fn a_reverse_dfa_that_builds_states_faster_than_it_reads_hands_its_lines_to_each_regex() {
        // The pack's regexes that no literal starts: searched together, they have a state for
        // about every combination of their progress through noise.
        let patterns: Vec<&str> = crate::rules::sources::DEFAULT_PACK_REGEXES
            .iter()
            .filter(|entry| entry.prefixes.is_none())
            .map(|entry| entry.regex)
            .collect();
        assert!(patterns.len() >= 20, "{patterns:?}");
        let group = group(&patterns);
        let each: Vec<regex::bytes::Regex> = patterns.iter().map(|p| regex::bytes::Regex::new(p).unwrap()).collect();
        let mut cache = GroupCache::new(group.patterns.len(), group.regex_count());
        let mut found = Vec::new();
        let mut switched_at = None;
        for (number, line) in noise(&mut Gen(7), 700).iter().enumerate() {
            found.clear();
            group.leftmost_starts(&mut cache, line, &mut found).unwrap();
            let mut fast: Vec<_> = found.iter().map(|hit| (hit.pattern, hit.start)).collect();
            fast.sort();
            let slow: Vec<_> =
                each.iter().enumerate().filter_map(|(i, r)| r.find(line).map(|m| (i as u32, m.start()))).collect();
            assert_eq!(fast, slow, "line {number}: {:?}", String::from_utf8_lossy(line));
            if cache.growth.searching_each() {
                switched_at.get_or_insert(number);
            }
        }
        // 256-byte lines: 256 make a window, the first of which warms the DFA up.
        let switched_at = switched_at.expect("the DFA kept building states");
        assert!(switched_at < 3 * 256, "searched pattern by pattern only from line {switched_at}");
    }

    #[test]
    fn a_long_line_of_candidates_that_fail_late_costs_a_bounded_number_of_anchored_searches() {
        // Every `aaa` in the line is a candidate, and each anchored search reads to the end of
        // the line before it fails: without a bound, 65,534 searches of up to 64 KiB each.
        let fails = vec![b'a'; 1 << 16];
        let matches_at_the_end = [&fails[..], b"b"].concat();
        for line in [fails, matches_at_the_end] {
            let pattern = "aaa.*b";
            let info = regex_pattern(pattern);
            assert!(info.prefixes.is_some());
            let group = PatternGroup::literals(vec![info], Vec::new());
            let mut cache = GroupCache::new(1, 1);
            let mut found = Vec::new();
            group.leftmost_starts(&mut cache, &line, &mut found).unwrap();
            let expected = regex::bytes::Regex::new(pattern).unwrap().find(&line).map(|m| (m.start(), m.end()));
            assert_eq!(found.iter().map(|hit| (hit.start, hit.end.unwrap())).next(), expected);
            assert!(cache.anchored_searches <= ANCHORED_TRIES as u64, "{} searches", cache.anchored_searches);
        }
    }
}
