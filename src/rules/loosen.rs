//! The scan's regexes, loosened so that its lazy DFA does not give up on text that is not ASCII.
//!
//! A lazy DFA gives up on a Unicode word boundary (`\b` without `(?-u)`) next to a non-ASCII
//! byte. The scan's multi-pattern regex then searches the rest of the block with the PikeVM, at
//! about a microsecond a byte: `benches/rules-heavy.yaml` took 50 s on 45 MB of agent transcripts
//! (rg, which does the same, 144 s). The scan only picks the lines to attribute, and attribution
//! is exact: so the scan may match more than the rules do, and it drops those boundaries.

use regex_syntax::hir::{Capture, Class, Hir, HirKind, LookSet, Repetition};

/// A class with more characters than this, repeated without bound, reads as "anything" (`.*`,
/// `[^?]*`, `\S+`).
const WIDE_CLASS: u32 = 1000;
/// What must come before such a repetition for the scan to stop there: a prefix this short
/// turns up on too many lines.
const MIN_KEPT: usize = 3;

/// `hir` with every Unicode word-boundary assertion replaced by the empty regex: it matches all
/// that `hir` matches, and more.
pub(super) fn without_unicode_word_boundaries(hir: &Hir) -> Hir {
    if !hir.properties().look_set().contains_word_unicode() {
        return hir.clone();
    }
    match hir.kind() {
        HirKind::Look(look) if LookSet::singleton(*look).contains_word_unicode() => Hir::empty(),
        HirKind::Repetition(repetition) => Hir::repetition(Repetition {
            sub: Box::new(without_unicode_word_boundaries(&repetition.sub)),
            ..repetition.clone()
        }),
        HirKind::Capture(capture) => {
            Hir::capture(Capture { sub: Box::new(without_unicode_word_boundaries(&capture.sub)), ..capture.clone() })
        }
        HirKind::Concat(subs) => Hir::concat(subs.iter().map(without_unicode_word_boundaries).collect()),
        HirKind::Alternation(subs) => Hir::alternation(subs.iter().map(without_unicode_word_boundaries).collect()),
        _ => hir.clone(),
    }
}

/// `hir` cut at its first unbounded repetition of a wide class (`foo.*bar` scans as `foo`), when
/// what comes before it is at least [`MIN_KEPT`] bytes long: it matches all that `hir` matches,
/// and more.
///
/// The scan is one lazy DFA for every pattern of a scope, and each state is a set of the
/// patterns' positions. A `.*` in the middle of a pattern keeps its position alive for the rest
/// of the line once the part before it was seen, so every such pattern multiplies the states a
/// line can lead to: with a few dozen of them (the built-in pack's claim rules), agent
/// transcripts kept the DFA building states, and the scan read 5 MB/s instead of 12.
pub(super) fn cut_at_wide_repetitions(hir: &Hir) -> Hir {
    match hir.kind() {
        HirKind::Concat(parts) => {
            let mut kept = Vec::new();
            for part in parts {
                if is_wide_repetition(part)
                    && Hir::concat(kept.clone()).properties().minimum_len().unwrap_or(0) >= MIN_KEPT
                {
                    return Hir::concat(kept);
                }
                kept.push(cut_at_wide_repetitions(part));
            }
            Hir::concat(kept)
        }
        HirKind::Alternation(subs) => Hir::alternation(subs.iter().map(cut_at_wide_repetitions).collect()),
        HirKind::Capture(capture) => {
            Hir::capture(Capture { sub: Box::new(cut_at_wide_repetitions(&capture.sub)), ..capture.clone() })
        }
        _ => hir.clone(),
    }
}

fn is_wide_repetition(hir: &Hir) -> bool {
    let HirKind::Repetition(repetition) = hir.kind() else { return false };
    repetition.max.is_none()
        && match repetition.sub.kind() {
            HirKind::Class(Class::Unicode(class)) => {
                class.ranges().iter().map(|r| u32::from(r.end()) - u32::from(r.start()) + 1).sum::<u32>() > WIDE_CLASS
            }
            HirKind::Class(Class::Bytes(class)) => {
                class.ranges().iter().map(|r| u32::from(r.end()) - u32::from(r.start()) + 1).sum::<u32>() > 128
            }
            _ => false,
        }
}

#[cfg(test)]
mod tests {
    use super::*;
    use regex_automata::meta;

    fn loosened(pattern: &str) -> meta::Regex {
        let hir = regex_syntax::parse(pattern).unwrap();
        let loose = without_unicode_word_boundaries(&hir);
        assert!(!loose.properties().look_set().contains_word_unicode(), "{pattern}: {loose:?}");
        meta::Regex::builder().build_from_hir(&loose).unwrap()
    }

    /// Each case: (pattern, texts the pattern and its widened form both match, texts only the
    /// widened form matches).
    fn assert_widens(cases: &[(&str, &[&str], &[&str])], widen: impl Fn(&str) -> meta::Regex) {
        for (pattern, both, only_widened) in cases {
            let (strict, wide) = (regex::Regex::new(pattern).unwrap(), widen(pattern));
            for text in *both {
                assert!(strict.is_match(text) && wide.is_match(text), "{pattern} on {text:?}");
            }
            for text in *only_widened {
                assert!(!strict.is_match(text) && wide.is_match(text), "{pattern} on {text:?}");
            }
        }
    }

    #[test]
    fn a_loosened_regex_matches_wherever_the_regex_does_and_where_only_the_boundary_failed() {
        let cases: &[(&str, &[&str], &[&str])] = &[
            // (pattern, matched by both, matched only once loosened)
            (r"\bcore\.[0-9]{1,3}\b", &["generating core.12 now", "core.7"], &["écore.12", "core.12é"]),
            (r"(?:\bfoo|bar\B)+x", &["foox", "a barx"], &["éfoox"]),
            (r"(?i)(\bdone\b)", &["DONE.", "it is done"], &["doneé"]),
            (r"(?-u:\b)kept\b", &["kept"], &[]),
        ];
        assert_widens(cases, loosened);
        // An ASCII word boundary is kept: a lazy DFA reads it on any text.
        assert!(!loosened(r"(?-u:\b)kept\b").is_match("xkept"));
    }

    #[test]
    fn a_pattern_is_cut_at_its_first_wide_repetition_after_enough_to_look_for() {
        let cut = |pattern: &str| {
            let hir = regex_syntax::parse(pattern).unwrap();
            meta::Regex::builder().build_from_hir(&cut_at_wide_repetitions(&hir)).unwrap()
        };
        let cases: &[(&str, &[&str], &[&str])] = &[
            // (pattern, matched by both, matched only once cut)
            (
                r"should be able to .* without (any )?problems",
                &["it should be able to run without problems"],
                &["should be able to x"],
            ),
            (r"\[x\] .*working$", &["[x] it is working"], &["[x] broken"]),
        ];
        assert_widens(cases, cut);
        // Too little before it to look for: left whole.
        assert!(!cut(r"x.*done").is_match("x"));
        assert!(!cut(r".*done").is_match("nothing"));
        assert!(!cut(r"(//|#).*in a real app").is_match("// nothing"));
    }

    #[test]
    fn a_regex_without_unicode_word_boundaries_is_left_as_it_is() {
        for pattern in [r"(?-u:\b)a+", r"^\s*TODO:?", r"[0-9]{2}-[0-9]{2}"] {
            let hir = regex_syntax::parse(pattern).unwrap();
            assert_eq!(without_unicode_word_boundaries(&hir), hir);
        }
    }
}
