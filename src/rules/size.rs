//! How large a pattern's automaton can get, read from its syntax tree without building it.
//!
//! Loading rules only parses their regexes; the automata are built on first use (see
//! [`CompiledScope`](super::CompiledScope)). What parsing cannot tell is whether a pattern would
//! exceed the regex engine's size limit (`\w{1000}{1000}` parses fine), so the loader asks
//! [`exceeds`] first and compiles for real only the rare pattern that might: the bound is loose,
//! but it is an upper bound, so a pattern under it always compiles within the limit.

use regex_syntax::hir::{Class, Hir, HirKind};

/// The regex crate's default size limit for one compiled pattern (`RegexBuilder::size_limit`).
pub const REGEX_SIZE_LIMIT: usize = 10 << 20;

/// Bytes charged per unit of [`states_bound`]: more than a Thompson NFA state with its
/// transitions takes.
const BYTES_PER_STATE: u64 = 64;

/// What every NFA has whatever its pattern: start states, the unanchored prefix, byte classes.
const FIXED_BYTES: u64 = 4 << 10;

/// Whether `hir` might compile to more than `limit` bytes; `false` means it certainly does not.
pub fn exceeds(hir: &Hir, limit: usize) -> bool {
    bytes_bound(hir) > limit as u64
}

/// An upper bound on the bytes of the NFA compiled from `hir`, forward or reverse.
fn bytes_bound(hir: &Hir) -> u64 {
    states_bound(hir).saturating_mul(BYTES_PER_STATE).saturating_add(FIXED_BYTES)
}

/// An upper bound on the bytes of all the UTF-8 sequences (`Utf8Sequences`) that the characters
/// `start..=end` compile to, without listing them (listing them took a fifth of loading the
/// built-in pack).
fn utf8_bytes_bound(start: char, end: char) -> u64 {
    /// The characters of each encoded length (the surrogates, which are no characters, split
    /// the three-byte ones in two).
    const LENGTHS: [(u32, u32, u32); 5] =
        [(0, 0x7F, 1), (0x80, 0x7FF, 2), (0x800, 0xD7FF, 3), (0xE000, 0xFFFF, 3), (0x1_0000, 0x10_FFFF, 4)];
    let (start, end) = (u32::from(start), u32::from(end));
    LENGTHS
        .iter()
        .filter(|&&(low, high, _)| start <= high && end >= low)
        .map(|&(low, high, n)| u64::from(n) * sequences_bound(start.max(low), end.min(high), n))
        .sum()
}

/// How many sequences of `n` bytes the characters `start..=end` (all of encoded length `n`) split
/// into, at most: each continuation byte where the ends of the range are not aligned cuts off
/// one piece at that end, and what is left in the middle is one more.
fn sequences_bound(mut start: u32, mut end: u32, n: u32) -> u64 {
    let mut pieces = 1;
    for level in 1..n {
        let low_bits = (1 << (6 * level)) - 1;
        if start & !low_bits == end & !low_bits {
            break;
        }
        if start & low_bits != 0 {
            pieces += 1;
            start = (start | low_bits) + 1;
        }
        if end & low_bits != low_bits {
            pieces += 1;
            end = (end & !low_bits).saturating_sub(1);
        }
        if start > end {
            break;
        }
    }
    pieces
}

/// An upper bound on the states (transitions included) of the NFA compiled from `hir`, forward
/// or reverse.
fn states_bound(hir: &Hir) -> u64 {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => 1,
        HirKind::Literal(literal) => literal.0.len() as u64 + 1,
        // One state per byte of each UTF-8 sequence the class compiles to, before the sharing
        // of common suffixes that the compiler does.
        HirKind::Class(Class::Unicode(class)) => {
            class.ranges().iter().fold(1, |sum, range| sum + utf8_bytes_bound(range.start(), range.end()))
        }
        HirKind::Class(Class::Bytes(class)) => class.ranges().len() as u64 + 1,
        HirKind::Repetition(repetition) => {
            // Each copy of the body, plus a split state per copy.
            let copies = repetition.max.unwrap_or(repetition.min).max(repetition.min).max(1) as u64 + 1;
            states_bound(&repetition.sub).saturating_add(1).saturating_mul(copies)
        }
        HirKind::Capture(capture) => states_bound(&capture.sub).saturating_add(2),
        HirKind::Concat(parts) | HirKind::Alternation(parts) => {
            parts.iter().fold(parts.len() as u64 + 1, |sum, part| sum.saturating_add(states_bound(part)))
        }
    }
}

#[cfg(test)]
mod tests {
    use regex_automata::nfa::thompson::{self, WhichCaptures};
    use regex_automata::util::syntax;

    use super::*;
    use crate::rules::{RuleOrigin, RuleSet};

    fn hir(pattern: &str) -> Hir {
        syntax::parse_with(pattern, &syntax::Config::new().utf8(false)).unwrap()
    }

    /// The larger of the forward and reverse NFAs' memory, as the regex engine counts it.
    fn nfa_bytes(pattern: &str) -> usize {
        let build = |reverse| {
            thompson::Compiler::new()
                .syntax(syntax::Config::new().utf8(false))
                .configure(
                    thompson::Config::new()
                        .reverse(reverse)
                        .utf8(false)
                        .nfa_size_limit(None)
                        .which_captures(if reverse { WhichCaptures::None } else { WhichCaptures::All }),
                )
                .build(pattern)
                .unwrap()
                .memory_usage()
        };
        build(false).max(build(true))
    }

    const AWKWARD: &[&str] = &[
        r"\w",
        r"\w{30}",
        r"(?i)[a-z]{200}",
        r"\pL+\s*\PL",
        r"[\s\S]{2000}",
        r"x{5000}",
        r"(a|bc|[^d]){1,300}",
        r"(?i)ſtraße\b.*\d{3,9}",
        r"[\x{80}-\x{10FFFF}]{50}",
        r"(?-u:[\x80-\xFF]){100}",
        r"(\w+\s+){0,20}",
        r"",
        r"^$",
    ];

    #[test]
    fn the_bound_is_above_the_nfa_built_for_every_pack_pattern_and_awkward_ones() {
        let pack = RuleSet::load(RuleOrigin::Embedded).unwrap();
        let pack_patterns = pack.rules().iter().flat_map(|rule| {
            let fold = if rule.case_insensitive { "(?i)" } else { "" };
            rule.regexes.iter().map(move |p| format!("{fold}{p}")).chain(rule.unless.iter().cloned())
        });
        for pattern in pack_patterns.chain(AWKWARD.iter().map(|p| p.to_string())) {
            let bound = bytes_bound(&hir(&pattern));
            let built = nfa_bytes(&pattern) as u64;
            assert!(built <= bound, "{pattern}: {built} bytes built, bound {bound}");
        }
    }

    #[test]
    fn what_the_regex_crate_refuses_for_its_size_is_flagged() {
        for pattern in [r"\w{1000}", r"(\w{100}){100}", r"\pL{400}", r"(?i)[a-z]{200000}", r"x{900000}"] {
            assert!(regex::bytes::Regex::new(pattern).is_err(), "{pattern} compiles");
            assert!(exceeds(&hir(pattern), REGEX_SIZE_LIMIT), "{pattern} is refused but not flagged");
        }
    }

    #[test]
    fn no_pack_pattern_is_flagged() {
        // Flagged patterns are compiled when the rules load, which is what laziness avoids.
        let pack = RuleSet::load(RuleOrigin::Embedded).unwrap();
        for rule in pack.rules() {
            for pattern in rule.regexes.iter().chain(&rule.unless) {
                let pattern = if rule.case_insensitive { format!("(?i){pattern}") } else { pattern.clone() };
                assert!(!exceeds(&hir(&pattern), REGEX_SIZE_LIMIT), "{pattern}");
            }
        }
    }

    #[test]
    fn the_utf8_bound_is_above_the_sequences_of_every_range() {
        use regex_syntax::utf8::Utf8Sequences;
        let actual = |start: char, end: char| -> u64 {
            Utf8Sequences::new(start, end).map(|sequence| sequence.len() as u64).sum()
        };
        // Every encoded-length edge, the surrogates' edges, and points in between.
        let mut points: Vec<u32> = vec![0, 0x7F, 0x80, 0x7FF, 0x800, 0xD7FF, 0xE000, 0xFFFF, 0x1_0000, 0x10_FFFF];
        let mut x: u32 = 0x9E37_79B9;
        for _ in 0..300 {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            points.push(x % 0x11_0000);
        }
        points.extend(points.clone().iter().flat_map(|&p| [p.saturating_sub(1), p + 1]));
        let chars: Vec<char> = points.into_iter().filter_map(char::from_u32).collect();
        for &start in &chars {
            for &end in chars.iter().filter(|&&end| end >= start) {
                assert!(
                    utf8_bytes_bound(start, end) >= actual(start, end),
                    "{:#x}..={:#x}: bound {} < {}",
                    start as u32,
                    end as u32,
                    utf8_bytes_bound(start, end),
                    actual(start, end)
                );
            }
        }
    }
}
