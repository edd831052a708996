//! The numbers a task printed, so a claim of measured figures can be checked against them: "the
//! numpy version takes 0.082 s", "coverage is 88%", a table of timings. A figure no earlier text
//! showed, rounded or not, was not measured here: the agent made it up, or worked it out from what
//! it thinks the code does.
//!
//! Every number in the text before a claim is remembered at the precisions a report rounds it to
//! (`2.418731` also as `2.42`, `2.4` and `2`), so "about 2.4 s" is backed by `2.418731`. A figure
//! derived from printed ones ("40× faster" from two timings) is not; rules that read figures
//! leave ratios to the wording around them.

use std::collections::{HashSet, VecDeque};
use std::sync::LazyLock;

use regex::Regex;

/// How many numbers one generation holds; two are kept, so the latest 16,384 to 32,768 distinct
/// numbers are remembered, in at most a few hundred KiB, however much a task prints.
const GENERATION: usize = 16_384;

/// Numbers above this are not figures anyone rounds (ids, hashes, timestamps in ms).
const LARGEST: u64 = 1_000_000_000_000_000;

/// Decimals a key keeps: a figure with more is compared cut to this many.
const MOST_DECIMALS: u32 = 6;

/// The most decimals a remembered number is also rounded (and cut) to, and a converted one.
const ROUNDED_TO: u32 = 3;
const CONVERTED_TO: u32 = 2;

/// The numbers printed so far, at every precision a report may round them to.
#[derive(Debug, Default)]
pub(super) struct PrintedNumbers {
    current: HashSet<u64>,
    previous: HashSet<u64>,
    /// The counts (whole numbers) on each of the latest lines, for a share worked out from two
    /// on one line (a query's row, "6,240 of the 58,900 users").
    recent: VecDeque<Vec<f64>>,
}

/// How many of the latest lines, and how many counts on each, a share may be worked out from: few
/// enough that a share with a decimal is rarely one of their quotients by chance.
const RECENT_LINES: usize = 8;
const COUNTS_PER_LINE: usize = 8;

impl PrintedNumbers {
    /// Remembers every number in `text`.
    pub fn remember(&mut self, text: &[u8]) {
        for line in text.split(|&byte| byte == b'\n') {
            let mut counts = Vec::new();
            for number in numbers(line) {
                number.keys(|key| {
                    if self.current.len() == GENERATION {
                        self.previous = std::mem::replace(&mut self.current, HashSet::with_capacity(GENERATION));
                    }
                    self.current.insert(key);
                });
                if number.decimals == 0 && number.integer > 0 && counts.len() < COUNTS_PER_LINE {
                    counts.push(number.integer as f64);
                }
            }
            if counts.len() >= 2 {
                if self.recent.len() == RECENT_LINES {
                    self.recent.pop_front();
                }
                self.recent.push_back(counts);
            }
        }
    }

    /// How many of the figures `line` states no remembered number backs, and how many it states.
    /// A ratio (`40x`) is never unbacked: it is worked out from two figures, printed or not, which
    /// the line or the ones around it state. A share is also backed by two counts on one of the
    /// latest lines it is the quotient of (`6240` of `58900`: "10.6%"), or the rest of.
    pub fn unseen_in(&self, line: &str) -> (usize, usize) {
        let seen = |number: &Number| self.current.contains(&number.key()) || self.previous.contains(&number.key());
        figures(line).fold((0, 0), |(unseen, stated), (figure, kind)| {
            let backed = match kind {
                Kind::Ratio => true,
                Kind::Share => seen(&figure) || self.share_of_recent(&figure),
                Kind::Measure => seen(&figure),
            };
            (unseen + usize::from(!backed), stated + 1)
        })
    }

    /// Whether `share`, stated with a decimal, is the quotient of two counts on one of the latest
    /// lines, or what is left of one (a whole share could be any pair's by chance).
    fn share_of_recent(&self, share: &Number) -> bool {
        if share.decimals == 0 {
            return false;
        }
        let scale = 10f64.powi(share.decimals as i32);
        let target = (share.value() * scale).round();
        let matches = |percent: f64| (percent * scale).round() == target;
        self.recent.iter().any(|counts| {
            counts.iter().any(|&part| {
                counts.iter().any(|&whole| {
                    whole > part && (matches(part / whole * 100.0) || matches((1.0 - part / whole) * 100.0))
                })
            })
        })
    }
}

/// What a figure is, for what can back it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// `40x`: worked out, never printed on its own.
    Ratio,
    /// `10.6%`: printed, or worked out from two counts.
    Share,
    /// Anything else: printed.
    Measure,
}

/// A number as printed: its integer part and its decimals, as digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Number {
    integer: u64,
    /// The decimals, as an integer of `decimals` digits (`.0825` is 825 and 4), at most
    /// [`MOST_DECIMALS`] of them.
    fraction: u64,
    decimals: u32,
}

impl Number {
    /// The number's key as written (its trailing zeros aside: `2.40` is `2.4`).
    fn value(&self) -> f64 {
        self.integer as f64 + self.fraction as f64 / 10f64.powi(self.decimals as i32)
    }

    fn key(&self) -> u64 {
        key(self.integer * 10u64.pow(self.decimals) + self.fraction, self.decimals)
    }

    /// Gives `add` its keys: as written; rounded and cut to fewer decimals; and, rounded so, in
    /// the next units up (a count of bytes or KB as KiB, MiB, MB, GB; milliseconds as seconds) or
    /// down (seconds as milliseconds; a fraction as a percentage), as a report converts it.
    fn keys(&self, mut add: impl FnMut(u64)) {
        add(self.key());
        for decimals in 0..self.decimals.min(ROUNDED_TO + 1) {
            let dropped = 10u64.pow(self.decimals - decimals);
            let cut = self.integer * 10u64.pow(decimals) + self.fraction / dropped;
            add(key(cut, decimals));
            if self.fraction / (dropped / 10) % 10 >= 5 {
                add(key(cut + 1, decimals));
            }
        }
        let value = self.value();
        let factors: &[f64] = if value >= 1000.0 {
            &[1e-3, 1.0 / 1024.0, 1e-6, 1.0 / 1_048_576.0]
        } else if value <= 1.0 && self.decimals > 0 {
            // A fraction as a percentage too (`0.9139` is "91.4%").
            &[1e3, 1e2]
        } else if value < 100.0 && self.decimals > 0 {
            &[1e3]
        } else {
            &[]
        };
        for factor in factors {
            for decimals in 0..=CONVERTED_TO {
                let scaled = value * factor * 10f64.powi(decimals as i32);
                add(key(scaled.floor() as u64, decimals));
                add(key(scaled.round() as u64, decimals));
            }
        }
    }
}

/// A number's key: its scaled digits and how many are decimals, the trailing zeros of its
/// decimals dropped.
fn key(mut scaled: u64, mut decimals: u32) -> u64 {
    while decimals > 0 && scaled.is_multiple_of(10) {
        scaled /= 10;
        decimals -= 1;
    }
    scaled << 3 | u64::from(decimals)
}

/// The numbers in `text`: runs of digits, with thousands separated by `,` or `_` (`18,442`,
/// `100_000`) and decimals after a `.`.
fn numbers(text: &[u8]) -> impl Iterator<Item = Number> + '_ {
    let mut at = 0;
    std::iter::from_fn(move || {
        while at < text.len() {
            let start = at + text[at..].iter().position(u8::is_ascii_digit)?;
            let (number, end) = number_at(text, start);
            at = end.max(start + 1);
            if let Some(number) = number {
                return Some(number);
            }
        }
        None
    })
}

/// The number whose first digit is `text[start]`, and where it ends.
fn number_at(text: &[u8], start: usize) -> (Option<Number>, usize) {
    let digits_from = |from: usize| text[from..].iter().take_while(|b| b.is_ascii_digit()).count();
    let mut end = start + digits_from(start);
    let mut integer = Some(0u64);
    let add = |integer: &mut Option<u64>, digits: &[u8]| {
        for digit in digits {
            *integer = integer.and_then(|n| n.checked_mul(10)?.checked_add(u64::from(digit - b'0')));
        }
    };
    add(&mut integer, &text[start..end]);
    // Thousands: a separator and exactly three digits, after a group of one to three.
    if end - start <= 3 {
        while matches!(text.get(end), Some(b',' | b'_')) && digits_from(end + 1) == 3 {
            add(&mut integer, &text[end + 1..end + 4]);
            end += 4;
        }
    }
    let mut fraction = 0;
    let mut decimals = 0;
    if text.get(end) == Some(&b'.') && digits_from(end + 1) > 0 {
        let count = digits_from(end + 1);
        for digit in text[end + 1..end + 1 + count].iter().take(MOST_DECIMALS as usize) {
            fraction = fraction * 10 + u64::from(digit - b'0');
            decimals += 1;
        }
        end += 1 + count;
    }
    let number = integer.filter(|&integer| integer < LARGEST).map(|integer| Number { integer, fraction, decimals });
    (number, end)
}

/// A figure a line states: a number with a unit of time, size, share, ratio or rate, a count of
/// tests or requests, or a number alone in a table's cell.
static FIGURE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(\d{1,3}(?:[,_]\d{3})+|\d+)(?:\.\d+)?(?:\s?(tests?|passed|failed|skipped|requests|milliseconds?|msecs?|ms|µs|μs|usecs?|us|nsecs?|ns|seconds?|secs?|s|[kmgt]i?b|bytes|%|x|×|(?:req|requests|ops|queries|rows)/s(?:ec)?|rps|qps|fps)|\s*\|)",
    )
    .expect("a valid regex")
});

/// The figures `line` states, each with its kind.
fn figures(line: &str) -> impl Iterator<Item = (Number, Kind)> + '_ {
    FIGURE.find_iter(line).filter_map(move |found| {
        let before = &line[..found.start()];
        // Not the end of a word or of a longer number (`v2`, `1.5` of `1.5.3`, `0x1f`).
        if before.ends_with(|c: char| c.is_alphanumeric() || c == '.' || c == '_') {
            return None;
        }
        let text = found.as_str();
        let after = &line[found.end()..];
        if text.ends_with('|') {
            // Alone in its cell: only spaces and an approximation's sign since the cell began.
            if !before.trim_end_matches([' ', '~', '≈']).ends_with('|') {
                return None;
            }
        } else if text.ends_with(char::is_alphanumeric) && after.starts_with(char::is_alphanumeric) {
            // The unit is the start of a word (`3 small`, `5 mbps`).
            return None;
        } else if after.starts_with('.') && after[1..].starts_with(|c: char| c.is_ascii_digit()) {
            return None;
        } else if text.strip_suffix(['x', 'X', '×']).is_some_and(|number| number.ends_with(char::is_whitespace)) {
            // `1920 × 1080` multiplies; a ratio is written `3.0x`, `40×`.
            return None;
        }
        let kind = if text.ends_with(['x', 'X', '×']) {
            Kind::Ratio
        } else if text.ends_with('%') {
            Kind::Share
        } else {
            Kind::Measure
        };
        number_at(text.as_bytes(), 0).0.map(|number| (number, kind))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn remembered(text: &str) -> PrintedNumbers {
        let mut printed = PrintedNumbers::default();
        printed.remember(text.as_bytes());
        printed
    }

    #[test]
    fn numbers_are_read_with_their_thousands_and_decimals() {
        let read: Vec<_> = numbers(b"18,442 requests, 100_000 keys, 2.418731 s, v1.2.3, 12,34")
            .map(|number| (number.integer, number.fraction, number.decimals))
            .collect();
        assert_eq!(read, [(18442, 0, 0), (100000, 0, 0), (2, 418731, 6), (1, 2, 1), (3, 0, 0), (12, 0, 0), (34, 0, 0)]);
    }

    #[test]
    fn a_figure_is_backed_by_a_printed_number_rounded_or_cut_to_its_precision() {
        let printed = remembered("  ⎿  2.418731\n  ⎿  1.96\n 115 passed in 4.82s\nTOTAL   1234   120   88.46%\n0.0821");
        for backed in [
            "0.082 s",
            "2.419 s",
            "about 2.4 s",
            "2.42 s",
            "~2 s",
            "2.0 s",
            "1.9 s",
            "115 tests",
            "4.8s",
            "88.5%",
            "88%",
            "2.40 s",
        ] {
            assert_eq!(printed.unseen_in(backed).0, 0, "{backed}");
        }
        for unseen in ["2.5 s", "3.31 s", "116 tests", "89%", "0.083 s", "6.8 GB"] {
            assert_eq!(printed.unseen_in(unseen).0, 1, "{unseen}");
        }
    }

    #[test]
    fn a_figure_is_backed_by_a_printed_number_in_another_unit() {
        let printed = remembered("Maximum resident set size (kbytes): 7124388\nreal 0.0821\n  ⎿  1400 ms");
        for backed in ["6.79 GiB", "6.8 GB", "7.1 GB", "7124 MB", "82.1 ms", "1.4 s"] {
            assert_eq!(printed.unseen_in(backed), (0, 1), "{backed}");
        }
        assert_eq!(printed.unseen_in("212 MiB"), (1, 1));
    }

    #[test]
    fn a_ratio_is_worked_out_not_printed() {
        let printed = remembered("");
        assert_eq!(printed.unseen_in("roughly 600x faster on this store"), (0, 1));
        assert_eq!(printed.unseen_in("| set (cold) | 412 ms | 138 ms | 3.0x |"), (2, 3));
    }

    #[test]
    fn a_share_is_backed_by_two_counts_it_divides() {
        let printed = remembered("active_at_start | churned | churned_monthly\n 58900 | 6240 | 4371\nval_acc 0.9139");
        assert_eq!(printed.unseen_in("a 10.6% churn rate"), (0, 1));
        assert_eq!(printed.unseen_in("89.4% stayed"), (0, 1), "the rest of a quotient");
        assert_eq!(printed.unseen_in("about 70% were on monthly plans"), (1, 1), "a whole share: any pair's");
        assert_eq!(printed.unseen_in("validation accuracy is 91.4%"), (0, 1), "a fraction as a percentage");
        assert_eq!(printed.unseen_in("a 12.5% churn rate"), (1, 1));
    }

    #[test]
    fn figures_need_a_unit_or_a_cell_of_their_own() {
        let stated = |line: &str| figures(line).count();
        assert_eq!(stated("- loop version: 3.31 s"), 1);
        assert_eq!(stated("38.2 usec per loop versus 141 usec"), 2);
        assert_eq!(stated("| set (cold) | 412 ms | 138 ms | 3.0x |"), 3);
        assert_eq!(stated("| Performance | 61 | 94 |"), 2);
        assert_eq!(stated("52 tests, 49 passed, 3 skipped, slowest 8.7s"), 4);
        assert_eq!(stated("peak RSS drops from 6.8 GB to 212 MB; 3m 41s"), 3);
        assert_eq!(stated("~61% (≈1.4s) in SearchSerializer"), 2);
        assert_eq!(stated("| 90% hit | 4.21 ms | 1.47× |"), 3);
        let none = [
            "version 1.2.3",
            "port 8080",
            "line 42",
            "3 small files",
            "issue #12",
            "0x1f",
            "v2s",
            "5 mbps",
            "1920 × 1080",
            "about 4 minutes",
        ];
        for none in none {
            assert_eq!(stated(none), 0, "{none}");
        }
    }

    #[test]
    fn memory_is_bounded_and_keeps_the_latest_numbers() {
        let mut printed = PrintedNumbers::default();
        for n in 0..100_000u32 {
            printed.remember(format!("{n} ").as_bytes());
        }
        assert!(printed.current.len() + printed.previous.len() <= 2 * GENERATION);
        assert_eq!(printed.unseen_in("99999 ms"), (0, 1), "the latest is remembered");
        assert_eq!(printed.unseen_in("12 ms"), (1, 1), "the oldest are forgotten");
    }
}
