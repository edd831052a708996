//! The literals every match of a regex starts with, which let the literals' Aho-Corasick pass
//! find a regex's candidate starts (see [`Attribution`](super::Attribution)).

use std::borrow::Cow;

use regex_syntax::hir::literal::{ExtractKind, Extractor};
use regex_syntax::hir::{Class, Hir, HirKind};

/// The literals every match of a regex starts with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prefixes {
    pub literals: Vec<Vec<u8>>,
    /// Whether they are to be matched with ASCII case folded (lowercased, they stand for the many
    /// case variants a case-insensitive regex would give): a few more candidates, far fewer
    /// literals to search for.
    pub ascii_folded: bool,
}

/// How far into a regex its prefixes are looked for: longer ones find no fewer candidates.
const PREFIX_BYTES: usize = 16;

/// The literals every match of a regex starts with, when there are few enough and each is long
/// enough that looking for them beats a DFA pass over the line: `None` otherwise.
pub fn required_prefixes(hir: &Hir) -> Option<Prefixes> {
    /// Shorter prefixes turn up too often in text to be worth an anchored search each.
    const MIN_LEN: usize = 3;
    const MAX_COUNT: usize = 64;
    // Only the start of the regex matters, and a case-insensitive word is one literal to look
    // for with case folded, not the 2^n case variants the extractor would list (and give up on
    // past 250): see [`prefix_part`].
    let mut folded = false;
    let hir = prefix_part(hir, &mut folded);
    let mut seq = Extractor::new().kind(ExtractKind::Prefix).extract(&hir);
    // Not `optimize_for_prefix_by_preference`: it cuts a set down to a common prefix for a
    // prefilter (`R2[0-3]-M[01]` to `R`), where many long literals serve better here. Folding
    // case, dropping a literal that another one starts, or cutting all of them short keeps the
    // property that matters: every match starts with one of them.
    seq.dedup();
    seq.minimize_by_preference();
    let exact: Vec<Vec<u8>> = seq.literals()?.iter().map(|literal| literal.as_bytes().to_vec()).collect();
    let mut lowered: Vec<Vec<u8>> = exact.iter().map(|literal| literal.to_ascii_lowercase()).collect();
    lowered.sort_unstable();
    lowered.dedup();
    let ascii_folded = folded || lowered.len() * 2 <= exact.len();
    let mut literals = if ascii_folded { lowered } else { exact };
    let mut keep = literals.iter().map(Vec::len).max()?;
    while literals.len() > MAX_COUNT && keep > MIN_LEN {
        keep -= 1;
        literals.iter_mut().for_each(|literal| literal.truncate(keep));
        literals.sort_unstable();
        literals.dedup();
    }
    let usable =
        !literals.is_empty() && literals.len() <= MAX_COUNT && literals.iter().all(|literal| literal.len() >= MIN_LEN);
    usable.then_some(Prefixes { literals, ascii_folded })
}

/// A regex every match of `hir` starts with a match of, for the extractor to read quickly: a
/// concatenation cut after its first [`PREFIX_BYTES`] bytes, its first unbounded part or its
/// first repetition (of which only the first copy is kept), and
/// every class that is one ASCII letter in both cases (`[Tt]`, or `t` under `(?i)`) replaced by
/// that letter in lower case, which sets `folded`. Matching the literals of the result with
/// ASCII case folded finds every start `hir` can have, and a few it cannot (`(?i:a)B` also at
/// `ab`), which the anchored search then turns down.
fn prefix_part<'h>(hir: &'h Hir, folded: &mut bool) -> Cow<'h, Hir> {
    start_of(hir, folded).hir
}

/// What [`prefix_part`] makes of a part of a regex.
struct Start<'h> {
    hir: Cow<'h, Hir>,
    /// Whether it matches whole matches of the part (with case folded), not only their starts:
    /// only then may a concatenation go on after it.
    whole: bool,
}

fn start_of<'h>(hir: &'h Hir, folded: &mut bool) -> Start<'h> {
    let whole = |hir| Start { hir, whole: true };
    match hir.kind() {
        HirKind::Class(class) => match ascii_case_pair(class) {
            Some(letter) => {
                *folded = true;
                whole(Cow::Owned(Hir::literal([letter])))
            }
            None => whole(Cow::Borrowed(hir)),
        },
        HirKind::Capture(capture) => start_of(&capture.sub, folded),
        // Every match starts with a match of the first copy.
        HirKind::Repetition(repetition) if repetition.min > 0 => {
            Start { hir: start_of(&repetition.sub, folded).hir, whole: false }
        }
        HirKind::Repetition(_) | HirKind::Empty | HirKind::Literal(_) | HirKind::Look(_) => whole(Cow::Borrowed(hir)),
        HirKind::Concat(parts) => {
            let (mut len, mut kept, mut all_whole) = (0, Vec::new(), true);
            for part in parts {
                let start = start_of(part, folded);
                kept.push(start.hir.into_owned());
                len += part.properties().minimum_len().unwrap_or(0);
                if !start.whole || len >= PREFIX_BYTES || part.properties().maximum_len().is_none() {
                    all_whole = start.whole && kept.len() == parts.len();
                    break;
                }
            }
            Start { hir: Cow::Owned(Hir::concat(kept)), whole: all_whole }
        }
        HirKind::Alternation(parts) => {
            let starts: Vec<Start> = parts.iter().map(|part| start_of(part, folded)).collect();
            let all_whole = starts.iter().all(|start| start.whole);
            let alternatives = starts.into_iter().map(|start| start.hir.into_owned()).collect();
            Start { hir: Cow::Owned(Hir::alternation(alternatives)), whole: all_whole }
        }
    }
}

/// The lower-case letter of a class that holds exactly one ASCII letter in its two cases.
fn ascii_case_pair(class: &Class) -> Option<u8> {
    let (upper, lower) = match class {
        Class::Unicode(class) => match class.ranges() {
            [upper, lower] if upper.start() == upper.end() && lower.start() == lower.end() => {
                (u8::try_from(upper.start()).ok()?, u8::try_from(lower.start()).ok()?)
            }
            _ => return None,
        },
        Class::Bytes(class) => match class.ranges() {
            [upper, lower] if upper.start() == upper.end() && lower.start() == lower.end() => {
                (upper.start(), lower.start())
            }
            _ => return None,
        },
    };
    (upper.is_ascii_uppercase() && lower == upper.to_ascii_lowercase()).then_some(lower)
}

#[cfg(test)]
mod tests {
    use regex_automata::util::syntax;

    use super::*;

    fn prefixes_of(pattern: &str) -> Option<Vec<String>> {
        let hir = syntax::parse_with(pattern, &syntax::Config::new().utf8(false)).unwrap();
        let prefixes = required_prefixes(&hir)?;
        Some(prefixes.literals.iter().map(|p| String::from_utf8_lossy(p).into_owned()).collect())
    }

    fn folded(pattern: &str) -> bool {
        let hir = syntax::parse_with(pattern, &syntax::Config::new().utf8(false)).unwrap();
        required_prefixes(&hir).unwrap().ascii_folded
    }

    #[test]
    fn prefixes_are_kept_long_and_refused_when_short_or_too_many() {
        assert_eq!(prefixes_of(r"TID [0-9]+").unwrap().len(), 10);
        assert_eq!(prefixes_of(r"TID [0-9]+").unwrap()[3], "TID 3");
        assert_eq!(
            prefixes_of(r"R2[0-3]-M[01]-N[0-9A-F]").unwrap(),
            ["R20-M0-N", "R20-M1-N", "R21-M0-N", "R21-M1-N", "R22-M0-N", "R22-M1-N", "R23-M0-N", "R23-M1-N"]
        );
        // A hundred `dd-` would be searched on every date in a log.
        assert_eq!(prefixes_of(r"[0-9]{2}-[0-9]{2}"), None);
        assert_eq!(prefixes_of(r"ab+"), None, "too short");
        assert_eq!(prefixes_of(r"x*abc"), None, "may start anywhere");
        assert_eq!(prefixes_of(r"\bfoo|"), None, "matches the empty string");
        assert_eq!(prefixes_of(r"^\[10\.30 1[0-9]:").unwrap().len(), 10);
        assert!(!folded(r"TID [0-9]+"));
    }

    #[test]
    fn case_insensitive_words_are_one_literal_each_matched_with_case_folded() {
        assert_eq!(prefixes_of(r"(?i)abc").unwrap(), ["abc"]);
        assert!(folded(r"(?i)abc"));
        // Whole words, however long: their case variants are not listed one by one.
        assert_eq!(prefixes_of(r"(?i)\bnot implemented").unwrap(), ["not implemented"]);
        assert_eq!(
            prefixes_of(r"(?i)(?-u:\b)(let me|i[\x27’]ll|i will)\s+plan").unwrap(),
            ["i will", "i'll", "i’ll", "let me"]
        );
        assert_eq!(prefixes_of(r"[Tt]odo:").unwrap(), ["todo:"]);
        // Letters whose case folds outside ASCII keep their variants.
        assert_eq!(prefixes_of(r"(?i)kbd").unwrap(), ["kbd", "\u{212a}bd"], "the Kelvin sign stays");
        assert_eq!(prefixes_of(r"(?i)sbd").unwrap(), ["sbd", "\u{17f}bd"], "the long s stays");
        assert_eq!(prefixes_of(r"(?i-u)abc").unwrap(), ["abc"]);
        // A case-sensitive part after a folded one: a superset of the starts.
        assert_eq!(prefixes_of(r"(?i:a)BC").unwrap(), ["abc"]);
    }

    #[test]
    fn only_the_start_of_a_repetition_is_read_and_nothing_after_it() {
        // `abcx` is no prefix of `abcabcx`: the search stops at the repeated part's first copy.
        assert_eq!(prefixes_of(r"(abc){2}x").unwrap(), ["abc"]);
        assert_eq!(prefixes_of(r"(?i)(abc){2}x").unwrap(), ["abc"]);
        assert_eq!(prefixes_of(r"TID [0-9]{2}x").unwrap()[0], "TID 0");
        assert_eq!(prefixes_of(r"x{3}yz"), None, "`x` alone is too short");
        // An optional part is read whole: the extractor takes both ways.
        assert_eq!(prefixes_of(r"(?i)(ab)?cde").unwrap(), ["abcde", "cde"]);
    }
}
