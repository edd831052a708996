//! The numbers a task printed, so a claim of measured figures can be checked against them: "the
//! numpy version takes 0.082 s", "coverage is 88%", a table of timings. A figure no earlier text
//! showed, rounded or not, was not measured here: the agent made it up, or worked it out from what
//! it thinks the code does.
//!
//! Every number in the text before a claim is remembered at the precisions a report rounds it to
//! (`2.418731` also as `2.42`, `2.4` and `2`) and in the next units up or down, so "about 2.4 s" is
//! backed by `2.418731` and "6.79 GiB" by `7124388` kbytes. What a report works out from printed
//! numbers is backed too, where it can be told from chance: a sum or a mean of a few in a row, a
//! share of two counts on one line. A ratio ("40x", "4% slower") is never held against the agent:
//! it is worked out from two figures, and those are what is judged.

use std::collections::{HashSet, VecDeque};
use std::sync::LazyLock;

use regex::Regex;

/// How many numbers one generation holds; two are kept, so the latest 16,384 to 32,768 distinct
/// numbers are remembered, in at most a few hundred KiB, however much a task prints.
const GENERATION: usize = 16_384;

/// Numbers above this are not figures anyone rounds (ids, hashes, timestamps in ms); below it, a
/// number's digits with its decimals fit in a key.
const LARGEST: u64 = 1_000_000_000_000;

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
    /// The block the lines read last are in, where the agent marks it.
    block: Option<Block>,
    /// The latest numbers, in the order printed, for a sum or a mean of a few in a row.
    latest: VecDeque<f64>,
    /// Whether a structured source speaks for the task: its text carries no marks of output, and
    /// what looks like one (an agent writing `⎿`) is the text's.
    marks_ignored: bool,
}

/// How many of the latest lines, and how many counts on each, a share may be worked out from: few
/// enough that a share with a decimal is rarely one of their quotients by chance.
const RECENT_LINES: usize = 8;
const COUNTS_PER_LINE: usize = 8;

/// How many of the latest numbers a sum or a mean may be worked out from, and of how many in a row.
const LATEST: usize = 16;
const SUMMED: usize = 8;

impl PrintedNumbers {
    /// Remembers every number in `text`, and follows the marks of its blocks while the task is
    /// plain text.
    pub fn remember(&mut self, text: &[u8]) {
        for line in text.split(|&byte| byte == b'\n') {
            if !self.marks_ignored {
                self.block = self.block_of(line);
            }
            let mut counts = Vec::new();
            for number in numbers(line) {
                number.keys(|key| {
                    if self.current.len() == GENERATION {
                        self.previous = std::mem::replace(&mut self.current, HashSet::with_capacity(GENERATION));
                    }
                    self.current.insert(key);
                });
                if !number.label {
                    if self.latest.len() == LATEST {
                        self.latest.pop_front();
                    }
                    self.latest.push_back(number.value());
                }
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

    /// Whether `line`, read next, is a command's output (which prints figures first) rather than
    /// the agent's words about it: as its own marker says, or as the block it is in.
    pub fn is_output(&self, line: &str) -> bool {
        !self.marks_ignored && self.block_of(line.as_bytes()) == Some(Block::Output)
    }

    /// A structured source speaks for the task from now on: no line marks output.
    pub fn ignore_marks(&mut self) {
        self.marks_ignored = true;
        self.block = None;
    }

    /// The block `line`, read next, is in: the one it starts, or the one it goes on.
    fn block_of(&self, line: &[u8]) -> Option<Block> {
        match starts(line) {
            // A file tool's `⎿` shows what it wrote.
            Some(Block::Output) if self.block == Some(Block::Writing) => Some(Block::Writing),
            Some(block) => Some(block),
            None => self.block,
        }
    }

    /// How many of the figures `line` states no remembered number backs, and how many it states.
    /// A ratio (`40x`, "4% slower") is never unbacked: it is worked out from two figures, printed
    /// or not, which the line or the ones around it state. A share is also backed by two counts on
    /// one of the latest lines it is the quotient of (`6240` of `58900`: "10.6%"), or the rest of,
    /// and is worked out beside two figures it compares or a printed one it is part of.
    pub fn unseen_in(&self, line: &str) -> (usize, usize) {
        let seen = |number: &Number| {
            self.current.contains(&number.key()) || self.previous.contains(&number.key()) || self.sum_or_mean(number)
        };
        let stated: Vec<(Number, Kind)> = figures(line).collect();
        // "1840 ms → 460 ms, a 75% reduction"; "build(): 1.21 s cumulative (~59%)".
        let measures = || stated.iter().filter(|(_, kind)| *kind == Kind::Measure);
        let compared = measures().count() >= 2 || measures().any(|(figure, _)| seen(figure));
        let unseen = stated
            .iter()
            .filter(|(figure, kind)| match kind {
                Kind::Ratio => false,
                Kind::Share => !(compared || seen(figure) || self.share_of_recent(figure)),
                Kind::Measure => !seen(figure),
            })
            .count();
        (unseen, stated.len())
    }

    /// Whether `figure`, stated with a decimal, is the sum or the mean of a few of the latest
    /// numbers in a row (the packages' times of one run added up, the mean of three runs). A whole
    /// figure could be some window's by chance.
    fn sum_or_mean(&self, figure: &Number) -> bool {
        if figure.decimals == 0 {
            return false;
        }
        let scale = 10f64.powi(figure.decimals as i32);
        let target = (figure.value() * scale).round();
        let latest: Vec<f64> = self.latest.iter().copied().collect();
        (0..latest.len()).any(|start| {
            let mut sum = 0.0;
            latest[start..].iter().take(SUMMED).enumerate().any(|(index, value)| {
                sum += value;
                let count = (index + 1) as f64;
                index > 0 && ((sum * scale).round() == target || (sum / count * scale).round() == target)
            })
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

/// What a line starts, where the agent marks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Block {
    /// A command's output: Claude Code's `⎿` under a call, Codex's `exec`, a Cursor export's
    /// `Tool use: **run_terminal_cmd**`, aider's `> /run` (its output is under the line).
    Output,
    /// The agent's words: Claude Code's `⏺` before its text, Codex's `codex`, a Cursor export's
    /// `---` rule; the user's `> ` line ends output too.
    Words,
    /// Claude Code's call of a file tool (`⏺ Update(`): what it shows under `⎿` is what the agent
    /// wrote, its words as much as its text is.
    Writing,
}

fn starts(line: &[u8]) -> Option<Block> {
    let line = line.trim_ascii_start();
    let marked = ["⏺", "●"].iter().find_map(|marker| line.strip_prefix(marker.as_bytes()));
    if let Some(rest) = marked {
        let rest = rest.trim_ascii_start();
        let writes = ["Update(", "Write(", "Edit(", "MultiEdit(", "Create(", "NotebookEdit("]
            .iter()
            .any(|tool| rest.starts_with(tool.as_bytes()));
        return Some(if writes { Block::Writing } else { Block::Words });
    }
    // aider's `/run` and `!` commands print their output under the user's line.
    let aider_run = line.starts_with(b"> /run ") || line.starts_with(b"> !");
    if line.starts_with("⎿".as_bytes())
        || line == b"exec"
        || line.starts_with(b"Tool use: **run_terminal_cmd**")
        || aider_run
    {
        Some(Block::Output)
    } else if line.starts_with(b"> ") || matches!(line.trim_ascii_end(), b"codex" | b"user" | b"---" | b"apply_patch") {
        Some(Block::Words)
    } else {
        None
    }
}

/// Whether a table's row holds measurements: every cell after its first (the label) a number.
fn measurement_row(line: &str) -> bool {
    let cells: Vec<&str> = line.trim().trim_matches('|').split('|').map(str::trim).collect();
    cells.len() >= 2
        && cells[1..].iter().all(|cell| {
            cell.trim_start_matches(['~', '≈', '*']).starts_with(|c: char| c.is_ascii_digit()) || cell.is_empty()
        })
}

/// Whether a share is followed by what says it compares two figures ("4% slower", "35% less").
fn compares(after: &str) -> bool {
    const COMPARED: &[&str] = &[
        "faster",
        "slower",
        "more",
        "less",
        "fewer",
        "smaller",
        "larger",
        "bigger",
        "higher",
        "lower",
        "better",
        "worse",
        "cheaper",
        "reduction",
        "improvement",
        "increase",
        "decrease",
        "drop",
        "speedup",
        "speed-up",
    ];
    let next = after.trim_start_matches([')', ' ', '*', '_']);
    let word = next.split(|c: char| !c.is_alphanumeric() && c != '-').next().unwrap_or_default();
    COMPARED.iter().any(|compared| word.eq_ignore_ascii_case(compared))
}

/// A number as printed: its integer part and its decimals, as digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Number {
    integer: u64,
    /// The decimals, as an integer of `decimals` digits (`.0825` is 825 and 4), at most
    /// [`MOST_DECIMALS`] of them.
    fraction: u64,
    decimals: u32,
    /// Whether a `:` follows it (`run 1:`, `Epoch 3:`): it labels what follows, it is no quantity
    /// to add up.
    label: bool,
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
        } else if value >= 100.0 {
            &[1e-3]
        } else if value <= 1.0 && self.decimals > 0 {
            // A fraction as a percentage too (`0.9139` is "91.4%").
            &[1e3, 1e2]
        } else if self.decimals > 0 {
            &[1e3, 1024.0]
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
/// `100_000`) and decimals after a `.`. Not those that are no quantity: part of a name (`m3.rs`,
/// `x86_64`, `epoch3`), a line number in front of a file's line (`  120→`) or in `path:12:5`.
fn numbers(text: &[u8]) -> impl Iterator<Item = Number> + '_ {
    let mut at = 0;
    std::iter::from_fn(move || {
        while at < text.len() {
            let start = at + text[at..].iter().position(u8::is_ascii_digit)?;
            let (number, end) = number_at(text, start);
            at = end.max(start + 1);
            let before = start.checked_sub(1).map(|at| text[at]);
            let named = before.is_some_and(|byte| byte.is_ascii_alphabetic() || byte == b'_');
            let line_number =
                text[end..].starts_with("→".as_bytes()) || (before == Some(b':') && text.get(end) == Some(&b':'));
            if named || line_number {
                continue;
            }
            // `time`'s `1m23.456s` is 83.456 seconds.
            if let (Some(minutes), Some(b'm')) = (number, text.get(end)) {
                if text.get(end + 1).is_some_and(u8::is_ascii_digit) {
                    let (seconds, after) = number_at(text, end + 1);
                    if let (Some(seconds), Some(b's')) = (seconds, text.get(after)) {
                        at = after;
                        return Some(Number { integer: minutes.integer * 60 + seconds.integer, ..seconds });
                    }
                }
            }
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
    let label = text.get(end) == Some(&b':');
    let number =
        integer.filter(|&integer| integer < LARGEST).map(|integer| Number { integer, fraction, decimals, label });
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
            // A whole number in a row of words is a step, a line or a count, not a measurement.
            if !text.contains('.') && !measurement_row(line) {
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
        let kind = if text.ends_with(['x', 'X', '×']) || (text.ends_with('%') && compares(after)) {
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
        assert_eq!(
            read,
            [(18442, 0, 0), (100000, 0, 0), (2, 418731, 6), (3, 0, 0), (12, 0, 0), (34, 0, 0)],
            "not v1.2"
        );
        let quantities = |text: &[u8]| numbers(text).map(|number| number.integer).collect::<Vec<_>>();
        assert_eq!(quantities("   120→    timeout = 30".as_bytes()), [30], "a Read result's line number");
        assert_eq!(quantities(b"warning: src/m3.rs:2870:12: unused x86_64"), [] as [u64; 0]);
        assert_eq!(quantities(b"Elapsed 3:41.07, at 12:30"), [3, 41, 12, 30]);
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
        let printed =
            remembered("Maximum resident set size (kbytes): 7124388\nreal 0.0821\n  ⎿  1400 ms\n842.3 ms, 1.5 GB");
        for backed in ["6.79 GiB", "6.8 GB", "7.1 GB", "7124 MB", "82.1 ms", "1.4 s", "0.84 s", "1536 MB"] {
            assert_eq!(printed.unseen_in(backed), (0, 1), "{backed}");
        }
        assert_eq!(printed.unseen_in("212 MiB"), (1, 1));
    }

    #[test]
    fn a_sum_or_a_mean_of_numbers_printed_in_a_row_is_worked_out() {
        let printed = remembered("ok a 0.61s\nok b 0.89s\nok c 0.55s\nrun 1: 2.31 s\nrun 2: 2.47 s\nrun 3: 2.40 s");
        assert_eq!(printed.unseen_in("the three packages took 2.05 s"), (0, 1));
        assert_eq!(printed.unseen_in("the average runtime is about 2.39 s"), (0, 1));
        assert_eq!(printed.unseen_in("the average runtime is about 2.7 s"), (1, 1));
    }

    #[test]
    fn time_prints_minutes_and_seconds() {
        let printed = remembered("real\t1m23.456s\nuser\t0m3.412s");
        assert_eq!(printed.unseen_in("the build took 83 s"), (0, 1));
        assert_eq!(printed.unseen_in("the tests take 3.4 s"), (0, 1));
    }

    #[test]
    fn a_share_beside_the_two_figures_it_compares_is_worked_out() {
        let printed = remembered("");
        assert_eq!(printed.unseen_in("a 75% reduction in build time (1840 ms → 460 ms)"), (2, 3));
        assert_eq!(printed.unseen_in("coverage is 88%"), (1, 1));
        assert_eq!(printed.unseen_in("simdparse is ~4% slower here"), (0, 1), "a comparison is a ratio");
        let printed = remembered("   40    0.391    0.010    1.208    0.030 query.py:41(build)");
        assert_eq!(printed.unseen_in("- `build()`: 1.21 s cumulative (~59%)"), (0, 2), "part of a printed figure");
        assert_eq!(printed.unseen_in("- `render()`: 0.9 s cumulative (~37%)"), (2, 2));
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
        assert_eq!(stated("| 2 | scene_target.py | 58 | Scale levels |"), 0, "a step and a line");
        assert_eq!(stated("| ckpt-0412 | test | 0.912 | 0.887 |"), 2);
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
    fn a_commands_output_is_told_from_the_agents_words_where_the_agent_marks_them() {
        let after = |text: &str, line: &str| remembered(text).is_output(line);
        assert!(after(
            "⏺ Bash(hyperfine ./a ./b --export-markdown -)\n  ⎿  | Command | Mean [ms] |",
            "     | `old` | 412.3 |"
        ));
        assert!(!after("  ⎿  | `old` | 412.3 |\n", "⏺ The old build takes 412 ms."));
        assert!(!after("  ⎿  | `old` | 412.3 |\n⏺ Results:", "  | old | 412 ms |"));
        assert!(after("exec\nbash -lc 'python bench.py' in /w\n succeeded in 4.1s:", "- loop: 3.3104 s"));
        assert!(!after(
            "exec\nbash -lc 'python bench.py' in /w\n succeeded in 4.1s:\n- loop: 3.3104 s\ncodex",
            "The loop takes 3.31 s."
        ));
        assert!(!after("", "The loop takes 3.31 s."), "unmarked: the agent's");
        assert!(after(
            "> /run bundle exec rspec\nInvoice",
            "Finished in 0.19 seconds (files took 1.8 seconds to load)"
        ));
        let mut structured = remembered("");
        structured.ignore_marks();
        structured.remember("⎿ a log a tool printed\nexec".as_bytes());
        assert!(!structured.is_output("The loop takes 3.31 s."), "a structured source's text marks nothing");
        assert!(!structured.is_output("  ⎿  The loop takes 3.31 s."));
        let written = "⏺ Update(RESULTS.md)\n  ⎿  Updated RESULTS.md with 1 addition";
        assert!(!after(written, "       18 +  | ckpt-0412-best | test | 0.912 |"), "what a file tool wrote");
    }

    #[test]
    fn any_text_is_read_without_a_panic() {
        // Bytes drawn from what figures are made of, so that most lines hold numbers, units,
        // separators, cells and markers; a fixed seed, so a failure repeats.
        const PIECES: &[&str] = &[
            "0",
            "1",
            "9",
            "12",
            ".",
            ",",
            "_",
            ":",
            " ",
            "ms",
            "s",
            "%",
            "x",
            "×",
            "GiB",
            "|",
            "→",
            "m",
            "~",
            "≈",
            "\n",
            "⎿",
            "⏺ ",
            "exec\n",
            "1m2.5s",
            "é",
            "\u{2026} +3 lines",
            "takes ",
            "from ",
            "-",
        ];
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut printed = PrintedNumbers::default();
        printed.remember(b"999999999999.999999 99999999999999.999999 18446744073709551615 1e308");
        assert_eq!(printed.unseen_in("took 999999999999.999999 s"), (0, 1));
        for _ in 0..20_000 {
            let line: String = (0..next() % 24).map(|_| PIECES[(next() % PIECES.len() as u64) as usize]).collect();
            let (unseen, stated) = printed.unseen_in(&line);
            assert!(unseen <= stated, "{line:?}");
            printed.is_output(&line);
            printed.remember(line.as_bytes());
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
