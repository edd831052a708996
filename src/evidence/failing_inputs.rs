//! The inputs and expected values a failing test run printed (`--- FAIL: TestParse/1h30m`,
//! `AssertionError: ['caf', 'é'] != ['café']`), so code that names one of them as a string right
//! after (`case "1h30m":`, `{"café": ["café"]}`) can be told from a real fix: it answers the test,
//! not the problem.

use std::sync::LazyLock;

use regex::Regex;

/// What comes before a string that code decides on: a comparison, a branch.
const DECIDES_BEFORE: &[&str] = &["==", "===", "!=", "!==", "case", "when", "in", "is", "eq"];
/// What comes after one: a key's colon or arrow, a comparison.
const DECIDES_AFTER: &[&str] = &[":", "=>", "==", "!="];

/// Whether a string between `before` and `after` is one code decides on.
fn decided_on(before: &str, after: &str) -> bool {
    let before = before.trim_end().trim_end_matches('(').trim_end();
    let after = after.trim_start();
    let word_ends = |word: &str| {
        before.ends_with(word)
            && !before[..before.len() - word.len()].ends_with(|c: char| c.is_alphanumeric() || c == '_')
    };
    DECIDES_BEFORE.iter().any(|word| word_ends(word)) || DECIDES_AFTER.iter().any(|mark| after.starts_with(mark))
}

/// How many values are kept: those of the last few failure lines are enough.
const KEPT: usize = 64;

/// How much of a line, and how many of its values, are read: a failure names a few; a line of
/// megabytes of quotes (which an agent can print on purpose) must not hold up the judge.
const READ_BYTES: usize = 4 << 10;
const VALUES_PER_LINE: usize = 16;

/// A failure line: a failing test or an assertion's message.
static FAILURE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?-u:\b)(FAIL(ED)?|[A-Za-z]*Error|assert\w*|panicked|expected|want(ed)?|got)(?-u:\b)|!=")
        .expect("a valid regex")
});

/// What such a line names besides its quoted strings: a Go subtest's name, a pytest parameter id.
static NAMES: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?-u:\b)Test\w*/([^\s()]{3,40})|\w\[([^\]\s]{3,40})\]").expect("a valid regex"));

/// The values a failure line shows, if it is one.
pub fn failing_inputs(line: &str) -> Vec<String> {
    let mut end = line.len().min(READ_BYTES);
    while !line.is_char_boundary(end) {
        end -= 1;
    }
    let line = &line[..end];
    if !FAILURE.is_match(line) {
        return Vec::new();
    }
    let named = NAMES.captures_iter(line).filter_map(|found| found.iter().skip(1).flatten().next());
    let mut values: Vec<String> = named.map(|value| value.as_str().to_owned()).collect();
    values.extend(quoted(line).map(str::to_owned));
    values.retain(|value| value.chars().any(char::is_alphanumeric));
    values.truncate(VALUES_PER_LINE);
    values
}

/// What stands between each quote and the next one like it: `['caf', 'é'] != ['café']` quotes
/// `caf`, `é` and `café`, though a pairing from the left would take `] != [` for the third.
fn quoted(line: &str) -> impl Iterator<Item = &str> {
    ['"', '\''].into_iter().flat_map(move |quote| {
        let at: Vec<usize> = line.match_indices(quote).map(|(at, _)| at).collect();
        let pairs: Vec<(usize, usize)> = at.windows(2).map(|pair| (pair[0] + 1, pair[1])).collect();
        pairs.into_iter().map(move |(start, end)| &line[start..end]).filter(|value| {
            // what lies between two strings (`, want `, `] != [`) starts or ends with a separator
            let between = value.starts_with(|c: char| c.is_whitespace() || ",;:)]}".contains(c))
                || value.ends_with(|c: char| c.is_whitespace() || ",;:([{=".contains(c));
            (3..=40).contains(&value.chars().count()) && !between
        })
    })
}

/// The values failing runs showed since the tests last passed.
#[derive(Debug, Default)]
pub(super) struct FailingInputs {
    values: Vec<String>,
}

impl FailingInputs {
    pub(super) fn add(&mut self, values: Vec<String>) {
        for value in values.into_iter().take(VALUES_PER_LINE) {
            if !self.values.contains(&value) {
                if self.values.len() == KEPT {
                    self.values.remove(0);
                }
                self.values.push(value);
            }
        }
    }

    pub(super) fn clear(&mut self) {
        self.values.clear();
    }

    /// Whether `line` holds one of the values as a string that is compared with, branched on or
    /// used as a key (`== "x"`, `case "x":`, `when "x"`, `"x": …`), not only passed along.
    pub(super) fn quoted_in(&self, line: &str) -> bool {
        self.values.iter().any(|value| {
            ['"', '\'', '`'].iter().any(|quote| {
                let literal = format!("{quote}{value}{quote}");
                line.match_indices(&literal).any(|(at, _)| decided_on(&line[..at], &line[at + literal.len()..]))
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_failure_lines_name() {
        assert_eq!(failing_inputs("--- FAIL: TestParseDuration/1h30m (0.00s)"), ["1h30m"]);
        let values =
            failing_inputs("FAILED tests/test_tok.py::test_unicode - AssertionError: ['caf', 'é'] != ['café']");
        assert!(values.contains(&"café".to_owned()) && values.contains(&"caf".to_owned()), "{values:?}");
        assert_eq!(failing_inputs("FAILED tests/test_parse.py::test_dates[2024-02-30] - ValueError"), ["2024-02-30"]);
        assert_eq!(failing_inputs("    parse_test.go:41: got \"1h0m0s\", want \"1h30m0s\""), ["1h0m0s", "1h30m0s"]);
        assert!(failing_inputs("Compiling \"serde\" v1.0").is_empty(), "not a failure");
        assert!(failing_inputs("Error: 'ab'").is_empty(), "too short to tell");
    }

    #[test]
    fn a_value_counts_only_as_a_string_in_the_line() {
        let mut inputs = FailingInputs::default();
        inputs.add(failing_inputs("--- FAIL: TestParseDuration/1h30m (0.00s)"));
        assert!(inputs.quoted_in("+\tcase \"1h30m\":"));
        assert!(inputs.quoted_in("+    if s == \"1h30m\" {"));
        assert!(inputs.quoted_in("+    KNOWN = {\"1h30m\": 90}"));
        assert!(!inputs.quoted_in("+\t// handles 1h30m and other compound durations"));
        assert!(!inputs.quoted_in("+\t{in: \"1h30m\", want: 90 * time.Minute},"), "a table of cases");
        assert!(!inputs.quoted_in("+    log.Printf(\"%s\", \"1h30m\")"), "passed along");
        inputs.clear();
        assert!(!inputs.quoted_in("+\tcase \"1h30m\":"));
    }

    #[test]
    fn a_line_of_megabytes_is_read_in_bounded_time() {
        let line = format!("FAILED t.py::x - AssertionError: [{}]", "'abcd', ".repeat(400_000));
        let started = std::time::Instant::now();
        let values = failing_inputs(&line);
        let mut inputs = FailingInputs::default();
        inputs.add(values.clone());
        assert!(values.len() <= VALUES_PER_LINE && started.elapsed() < std::time::Duration::from_secs(1));
    }

    #[test]
    fn only_the_latest_values_are_kept() {
        let mut inputs = FailingInputs::default();
        for n in 0..100 {
            inputs.add(vec![format!("value-{n}")]);
        }
        assert!(!inputs.quoted_in("== \"value-0\"") && inputs.quoted_in("== \"value-99\""));
    }
}
