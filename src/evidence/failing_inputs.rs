//! The inputs and expected values a failing test run printed (`--- FAIL: TestParse/1h30m`,
//! `AssertionError: ['caf', 'é'] != ['café']`, and under them jest's `Expected: "1h30m"`, Go's
//! `parse_test.go:41: got 1h0m0s, want 1h30m0s`, assert_eq's `right: "1h30m"`), so code that
//! names one of them as a string right after (`case "1h30m":`, `{"café": ["café"]}`) can be told
//! from a real fix: it answers the test, not the problem.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::Regex;

use super::Observation;

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
    let line = cut(line);
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

/// A line a failing run prints under its failure, and what it shows: jest's and vitest's
/// `Expected: "x"` / `Received: "y"`, assert_eq's `left: "x"` / `right: "y"`, a Go test's
/// `file_test.go:41: message` (`got X, want Y`, `got: X want: Y`, `f("in") = X, want Y`), pytest's
/// `E   assert 'x' == 'y'`.
static DETAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^(?:⎿\s*)?(?:(?:Expected|Received)(?: \w+)?:\s*(?P<labelled>.+)|(?:left|right)\s*:\s*(?P<side>.+)|\w+_test\.go:\d+: (?P<go>.+)|E\s{2,}(?P<pytest>\S.*))$",
    )
    .expect("a valid regex")
});

/// A value a Go test message shows unquoted, after `got`, `want` or `=`.
static GO_VALUE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:(?-u:\b)(?:got|want|wanted|expected|actual)(?-u:\b):?|\s=)\s+([^\s,;\x22\x27()]+)")
        .expect("a valid regex")
});

/// The header of jest's and vitest's diff of an expected and a received value (`- Expected`,
/// `+ Received`), whose `-` and `+` lines below show them.
static DIFF_HEADER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(?:⎿\s*)?- Expected(?:\s+- \d+)?$").expect("a valid regex"));

/// A diff line's key before its value (`"name": "bob",`): the key is no value the test compared.
static KEY: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"^(?:"[^"]*"|'[^']*'|\w+)\s*[:=]>?\s*"#).expect("a valid regex"));

/// Words that are no value a fix could name.
const NO_VALUES: &[&str] = &["null", "nil", "undefined", "true", "false", "None", "NaN", "True", "False"];

/// What a line under a failure shows (see [`DETAIL`]), if it is one.
pub fn detail_values(line: &str) -> Vec<String> {
    let line = cut(line).trim();
    let Some(found) = DETAIL.captures(line) else { return Vec::new() };
    let mut values = Vec::new();
    if let Some(value) = found.name("labelled").or_else(|| found.name("side")) {
        values.extend(value_shown(value.as_str()));
    } else if let Some(message) = found.name("go") {
        values = failing_inputs(message.as_str());
        let unquoted = GO_VALUE.captures_iter(message.as_str()).filter_map(|found| found.get(1));
        values.extend(unquoted.map(|value| value.as_str().trim_matches(['[', ']', '{', '}']).to_owned()));
    } else if let Some(assertion) = found.name("pytest") {
        values = failing_inputs(assertion.as_str());
    }
    kept(values)
}

/// The values a jest or vitest diff shows under its header, from the lines `below` it: its
/// `-` and `+` lines up to the first blank line after them.
pub fn diff_values<'a>(below: impl Iterator<Item = Cow<'a, str>>) -> Vec<String> {
    /// How many lines of a diff are read.
    const DIFF_LINES: usize = 24;
    let mut values = Vec::new();
    let mut started = false;
    for line in below.take(DIFF_LINES) {
        let line = cut(&line).trim().trim_start_matches('⎿').trim();
        if line.starts_with("+ Received") {
            continue;
        }
        if line.is_empty() {
            if started {
                break;
            }
            continue;
        }
        started = true;
        if let Some(shown) = line.strip_prefix(['-', '+']) {
            let shown = shown.trim();
            values.extend(value_shown(KEY.find(shown).map_or(shown, |key| &shown[key.end()..])));
        }
        if values.len() >= VALUES_PER_LINE {
            break;
        }
    }
    kept(values)
}

/// The value a labelled line shows: its quoted strings, or the one word it is.
fn value_shown(shown: &str) -> Vec<String> {
    let shown = shown.trim().trim_end_matches(',').trim_matches('`').trim_end_matches(',');
    if shown.starts_with(['"', '\'']) {
        return quoted(shown).map(str::to_owned).collect();
    }
    if shown.contains(char::is_whitespace) || NO_VALUES.contains(&shown) {
        return Vec::new();
    }
    vec![shown.to_owned()]
}

/// `line` cut to what is read of it.
fn cut(line: &str) -> &str {
    let mut end = line.len().min(READ_BYTES);
    while !line.is_char_boundary(end) {
        end -= 1;
    }
    &line[..end]
}

/// The values worth keeping: long enough to tell, with a letter or digit, a few.
fn kept(mut values: Vec<String>) -> Vec<String> {
    values.retain(|value| (3..=40).contains(&value.chars().count()) && value.chars().any(char::is_alphanumeric));
    values.dedup();
    values.truncate(VALUES_PER_LINE);
    values
}

/// Whether `line` is the header of a jest or vitest diff (see [`diff_values`]).
pub fn is_diff_header(line: &str) -> bool {
    DIFF_HEADER.is_match(cut(line).trim())
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
    /// What lines under a failure showed in a test run not known to fail yet (`go test -v`
    /// prints them before `--- FAIL`): kept once it fails, dropped when it ends otherwise.
    pending: Vec<String>,
    run: Run,
}

/// The output being read, for the values printed under a failure.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum Run {
    /// Not a test run's, nor after a failure: `Expected: "x"` here is not a test's.
    #[default]
    Other,
    /// A test command started.
    Testing,
    /// A test failed (a failing summary, a failing test's line, a failed test command, an error
    /// while the tests ran): values under it are the failure's until the next thing the task does.
    Failing,
}

impl FailingInputs {
    /// Follows what the task did: which output is a test run's, whether it failed, and the values
    /// it showed.
    pub(super) fn observe(&mut self, observation: &Observation) {
        match observation {
            Observation::FailingInputs(values) => {
                self.fail();
                self.add(values.clone());
            }
            Observation::FailureDetails(values) => match self.run {
                Run::Failing => self.add(values.clone()),
                Run::Testing => {
                    for value in values.iter().take(VALUES_PER_LINE) {
                        if self.pending.len() < KEPT && !self.pending.contains(value) {
                            self.pending.push(value.clone());
                        }
                    }
                }
                Run::Other => {}
            },
            Observation::Command { test, .. } => {
                self.pending.clear();
                self.run = if *test { Run::Testing } else { Run::Other };
            }
            Observation::Edit | Observation::Wrote | Observation::Reply | Observation::ToolFailed => {
                self.pending.clear();
                self.run = Run::Other;
            }
            Observation::TestOutcome { passed: false } | Observation::CommandResult { ok: false } => self.fail(),
            Observation::Failure if self.run == Run::Testing => self.fail(),
            // A run that passed: its values are history. Not a package's `ok` in a `go test ./...`
            // whose other package failed: the run as a whole failed.
            Observation::TestOutcome { passed: true } | Observation::CommandResult { ok: true } => {
                if self.run != Run::Failing {
                    self.values.clear();
                    self.pending.clear();
                }
            }
            Observation::Request(_) => self.clear(),
            Observation::Failure | Observation::RunEnded { .. } | Observation::Folded | Observation::Printed(_) => {}
        }
    }

    /// The run failed: what it showed so far is a failure's.
    fn fail(&mut self) {
        self.run = Run::Failing;
        for value in std::mem::take(&mut self.pending) {
            self.add(vec![value]);
        }
    }

    fn add(&mut self, values: Vec<String>) {
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
        *self = FailingInputs::default();
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
    fn what_lines_under_a_failure_show() {
        assert_eq!(detail_values("    Expected: \"1h30m\""), ["1h30m"]);
        assert_eq!(detail_values("  ⎿      Received: \"1h0m\""), ["1h0m"]);
        assert_eq!(detail_values("    Expected substring: \"café au lait\""), ["café au lait"]);
        assert_eq!(detail_values("    Expected: 401"), ["401"]);
        assert_eq!(detail_values("  left: \"1h0m0s\""), ["1h0m0s"]);
        assert_eq!(detail_values(" right: `\"1h30m0s\"`',"), ["1h30m0s"], "assert_eq before Rust 1.73");
        assert_eq!(detail_values("    parse_test.go:41: got 1h0m0s, want 1h30m0s"), ["1h0m0s", "1h30m0s"]);
        assert_eq!(detail_values("    parse_test.go:41: got: \"1h0m\" want: \"1h30m\""), ["1h0m", "1h30m"]);
        assert_eq!(
            detail_values("    parse_test.go:12: ParseDuration(\"1h30m\") = 1h0m0s, want 1h30m0s"),
            ["1h30m", "1h0m0s", "1h30m0s"]
        );
        assert_eq!(detail_values("E       AssertionError: assert 'slug-one' == 'slug-two'"), ["slug-one", "slug-two"]);
        // look-alikes: nothing a fix could name, or no line under a failure at all
        assert!(detail_values("    Expected: null").is_empty());
        assert!(detail_values("    Received: [Function anonymous]").is_empty());
        assert!(detail_values("    Expected: 3").is_empty(), "too short to tell");
        assert!(detail_values("The Expected: column holds \"1h30m\"").is_empty());
        assert!(detail_values("    main.go:41: got 1h0m0s, want 1h30m0s").is_empty(), "not a test file");
    }

    #[test]
    fn a_diff_of_expected_and_received_shows_the_values_not_the_keys() {
        let below = [
            "    + Received  + 1",
            "",
            "      Object {",
            "    -   \"name\": \"bobby\",",
            "    +   \"name\": \"alice\",",
            "      }",
            "",
            "      42 | expect(user)",
        ];
        assert_eq!(diff_values(below.iter().map(|line| Cow::Borrowed(*line))), ["bobby", "alice"]);
        let strings = ["+ Received", "", "- 1h30m", "+ 1h0m"];
        assert_eq!(diff_values(strings.iter().map(|line| Cow::Borrowed(*line))), ["1h30m", "1h0m"]);
        assert!(is_diff_header("    - Expected  - 1") && !is_diff_header("- Expected behaviour: a 401"));
    }

    #[test]
    fn values_under_a_failure_count_only_in_a_test_run_that_fails() {
        let details = || Observation::FailureDetails(vec!["1h30m".to_owned()]);
        let case = "== \"1h30m\"";
        let mut inputs = FailingInputs::default();
        inputs.observe(&Observation::Command { test: false, key: None });
        inputs.observe(&details());
        assert!(!inputs.quoted_in(case), "`cat notes.md` is no test run");
        inputs.observe(&Observation::Command { test: true, key: None });
        inputs.observe(&details());
        assert!(!inputs.quoted_in(case), "not known to fail yet");
        inputs.observe(&Observation::TestOutcome { passed: true });
        inputs.observe(&Observation::TestOutcome { passed: false });
        assert!(!inputs.quoted_in(case), "a run that passed: what it logged is dropped");
        inputs.observe(&Observation::Command { test: true, key: None });
        inputs.observe(&details());
        inputs.observe(&Observation::FailingInputs(vec!["TestParse".to_owned()]));
        assert!(inputs.quoted_in(case), "`go test -v` prints them before `--- FAIL`");
        inputs.observe(&Observation::Edit);
        inputs.observe(&details());
        inputs.observe(&Observation::Command { test: true, key: None });
        inputs.observe(&Observation::TestOutcome { passed: true });
        assert!(!inputs.quoted_in(case), "the tests passed since");
    }

    #[test]
    fn a_package_that_passes_in_a_run_that_failed_leaves_the_values_standing() {
        let mut inputs = FailingInputs::default();
        inputs.observe(&Observation::Command { test: true, key: None });
        inputs.observe(&Observation::FailingInputs(failing_inputs("--- FAIL: TestParseDuration/1h30m (0.00s)")));
        inputs.observe(&Observation::TestOutcome { passed: false });
        inputs.observe(&Observation::TestOutcome { passed: true });
        assert!(inputs.quoted_in("case \"1h30m\":"), "`ok  other/pkg 0.01s` after the failing package");
        inputs.observe(&Observation::Command { test: true, key: None });
        inputs.observe(&Observation::TestOutcome { passed: true });
        assert!(!inputs.quoted_in("case \"1h30m\":"), "the next run passed");
    }

    #[test]
    fn a_line_of_megabytes_is_read_in_bounded_time() {
        let line = format!("FAILED t.py::x - AssertionError: [{}]", "'abcd', ".repeat(400_000));
        let started = std::time::Instant::now();
        let values = failing_inputs(&line);
        let details = format!("    x_test.go:1: got {}", "abcd, want ".repeat(400_000));
        assert!(detail_values(&details).len() <= VALUES_PER_LINE);
        let diff_line = format!("- {}", "'abcd' ".repeat(400_000));
        assert!(diff_values(std::iter::repeat_n(Cow::Borrowed(diff_line.as_str()), 1000)).len() <= VALUES_PER_LINE);
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
