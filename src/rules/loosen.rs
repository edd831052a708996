//! The scan's regexes, loosened so that its lazy DFA does not give up on text that is not ASCII.
//!
//! A lazy DFA gives up on a Unicode word boundary (`\b` without `(?-u)`) next to a non-ASCII
//! byte. The scan's multi-pattern regex then searches the rest of the block with the PikeVM, at
//! about a microsecond a byte: `benches/rules-heavy.yaml` took 50 s on 45 MB of agent transcripts
//! (rg, which does the same, 144 s). The scan only picks the lines to attribute, and attribution
//! is exact: so the scan may match more than the rules do, and it drops those boundaries.

use regex_syntax::hir::{Capture, Hir, HirKind, LookSet, Repetition};

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

    #[test]
    fn a_loosened_regex_matches_wherever_the_regex_does_and_where_only_the_boundary_failed() {
        let cases: &[(&str, &[&str], &[&str])] = &[
            // (pattern, matched by both, matched only once loosened)
            (r"\bcore\.[0-9]{1,3}\b", &["generating core.12 now", "core.7"], &["écore.12", "core.12é"]),
            (r"(?:\bfoo|bar\B)+x", &["foox", "a barx"], &["éfoox"]),
            (r"(?i)(\bdone\b)", &["DONE.", "it is done"], &["doneé"]),
            (r"(?-u:\b)kept\b", &["kept"], &[]),
        ];
        for (pattern, both, only_loose) in cases {
            let (strict, loose) = (regex::Regex::new(pattern).unwrap(), loosened(pattern));
            for text in *both {
                assert!(strict.is_match(text) && loose.is_match(text), "{pattern} on {text:?}");
            }
            for text in *only_loose {
                assert!(!strict.is_match(text) && loose.is_match(text), "{pattern} on {text:?}");
            }
        }
        // An ASCII word boundary is kept: a lazy DFA reads it on any text.
        assert!(!loosened(r"(?-u:\b)kept\b").is_match("xkept"));
    }

    #[test]
    fn a_regex_without_unicode_word_boundaries_is_left_as_it_is() {
        for pattern in [r"(?-u:\b)a+", r"^\s*TODO:?", r"[0-9]{2}-[0-9]{2}"] {
            let hir = regex_syntax::parse(pattern).unwrap();
            assert_eq!(without_unicode_word_boundaries(&hir), hir);
        }
    }
}
