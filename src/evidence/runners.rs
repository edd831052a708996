//! Test runners: which commands run tests, and the summary lines that say how they ended.

use std::sync::LazyLock;

use regex::Regex;

use crate::shell::SimpleCommand;

/// Whether a command runs a test suite: `cargo test`, `pytest`, `npm test`, `go test ./...`,
/// `npx jest`, `bun test`, `python -m pytest`, `make test`, ...
pub fn is_test_command(command: &SimpleCommand) -> bool {
    let args: Vec<&str> = command.args().iter().map(String::as_str).filter(|a| !a.starts_with('-')).collect();
    let first = args.first().copied().unwrap_or("");
    let second = args.get(1).copied().unwrap_or("");
    let is_test_word = |word: &str| word == "test" || word.starts_with("test:") || word == "tests";
    match command.program() {
        "pytest" | "py.test" | "jest" | "vitest" | "mocha" | "ava" | "phpunit" | "rspec" | "ctest" | "tox" | "nox"
        | "playwright" | "cypress" => true,
        "cargo" => matches!(first, "test" | "nextest" | "t"),
        "go" | "deno" | "dotnet" | "swift" | "mix" | "mvn" | "gradle" | "./gradlew" | "gradlew" | "zig" => {
            is_test_word(first)
        }
        "npm" | "yarn" | "pnpm" | "bun" => is_test_word(first) || (first == "run" && is_test_word(second)),
        "npx" | "bunx" | "pnpx" => matches!(first, "jest" | "vitest" | "mocha" | "playwright" | "cypress"),
        "make" | "just" | "task" | "rake" => matches!(first, "test" | "check" | "tests"),
        "hatch" => first == "test" || (first == "run" && second.starts_with("test")),
        "python" | "python3" | "py" | "uv" | "poetry" => {
            let words = command.args();
            words.windows(2).any(|w| w[0] == "-m" && matches!(w[1].as_str(), "pytest" | "unittest"))
                || args.iter().any(|a| matches!(*a, "pytest" | "test"))
        }
        _ => false,
    }
}

/// The outcome a test runner's summary line reports: `Some(true)` for a pass, `Some(false)` for
/// a failure, `None` if the line is not such a summary.
pub fn test_summary(line: &str) -> Option<bool> {
    // Claude Code shows a command's first line of output behind `⎿`.
    let line = line.trim().trim_start_matches('⎿').trim_start();
    let found = SUMMARIES.matches(line);
    let first = found.iter().next()?;
    let (_, passed) = &SUMMARY_PATTERNS[first];
    match passed {
        Outcome::Pass => Some(true),
        Outcome::Fail => Some(false),
        Outcome::Counted => Some(failures(line) == 0),
    }
}

enum Outcome {
    Pass,
    Fail,
    /// Passes when the line counts no failures.
    Counted,
}

const SUMMARY_PATTERNS: &[(&str, Outcome)] = &[
    // cargo / libtest
    (r"^test result: ok\.", Outcome::Pass),
    (r"^test result: FAILED\.", Outcome::Fail),
    // pytest: `==== 3 failed, 10 passed in 1.2s ====`, `5 passed in 0.3s`
    (
        r"^=*\s*(\d+ (failed|passed|errors?|skipped|xfailed|xpassed|warnings?|deselected),?\s*)+in [\d.]+\s*s",
        Outcome::Counted,
    ),
    // jest: `Tests:       1 failed, 21 passed, 22 total`; vitest: `Tests  2 failed | 8 passed (10)`
    (r"^Tests:\s+(\d+ \w+, )*\d+ total", Outcome::Counted),
    (r"^Tests\s+(\d+ (failed|passed|skipped|todo)\s*\|?\s*)+\(\d+\)", Outcome::Counted),
    // go test
    (r"^ok\s+\S+\s+(\(cached\)|[\d.]+s)", Outcome::Pass),
    (r"^(FAIL\s+\S+\s+([\d.]+s|\[(build|setup) failed\])|FAIL$|--- FAIL: )", Outcome::Fail),
    // bun test: ` 19 fail` on its own line (the ` 62 pass` line comes first and says nothing alone)
    (r"^\d+ fail$", Outcome::Counted),
    // mocha: `3 failing`
    (r"^\d+ failing$", Outcome::Fail),
    // python unittest
    (r"^FAILED \((failures|errors)=\d+", Outcome::Fail),
    // npm running a failing test script
    (r"^npm (ERR!|error) (Test failed|code ELIFECYCLE)", Outcome::Fail),
    // minitest and `rails test`: `14 runs, 30 assertions, 0 failures, 0 errors, 0 skips`
    (r"^\d+ runs, \d+ assertions, \d+ failures, \d+ errors", Outcome::Counted),
    // rspec: `12 examples, 0 failures`
    (r"^\d+ examples?, \d+ failures?", Outcome::Counted),
    // Maven surefire and Gradle: `Tests run: 48, Failures: 0, Errors: 0, Skipped: 0`
    (r"^(\[\w+\]\s+)?Tests run: \d+, Failures: 0, Errors: 0(,|$)", Outcome::Pass),
    (r"^(\[\w+\]\s+)?Tests run: \d+, Failures: \d+, Errors: \d+", Outcome::Fail),
    // PHPUnit: `OK (12 tests, 30 assertions)`, `FAILURES!`; Pest: `Tests:  2 passed (5 assertions)`
    (r"^OK \(\d+ tests?, \d+ assertions?\)", Outcome::Pass),
    (r"^FAILURES!$", Outcome::Fail),
    (
        r"^Tests:\s+(\d+ (failed|passed|skipped|risky|incomplete|todo|warnings?),?\s*)+\(\d+ assertions?\)",
        Outcome::Counted,
    ),
    // dart and flutter: `+12: All tests passed!`, `+10 -2: Some tests failed.`
    (r"^(\d+:\d\d )?\+\d+.*: All tests passed!", Outcome::Pass),
    (r"^(\d+:\d\d )?\+\d+.*: Some tests failed\.", Outcome::Fail),
];

static SUMMARIES: LazyLock<regex::RegexSet> = LazyLock::new(|| {
    regex::RegexSet::new(SUMMARY_PATTERNS.iter().map(|(pattern, _)| *pattern)).expect("valid summary patterns")
});

static FAILURE_COUNT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(\d+) (failed|fail|failures?|errors?)\b").expect("a valid regex"));

/// The failures a summary line counts (0 if it names none).
fn failures(line: &str) -> u64 {
    FAILURE_COUNT.captures_iter(line).filter_map(|c| c[1].parse::<u64>().ok()).sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shell::commands;

    #[test]
    fn summaries_of_each_runner() {
        let cases = [
            ("test result: ok. 18 passed; 0 failed; 0 ignored; 0 measured", Some(true)),
            ("test result: FAILED. 17 passed; 1 failed; 0 ignored", Some(false)),
            ("======= 3 failed, 10 passed in 1.20s =======", Some(false)),
            ("5 passed in 0.31s", Some(true)),
            ("Tests:       22 passed, 22 total", Some(true)),
            ("Tests:       7 failed, 15 passed, 22 total", Some(false)),
            ("     Tests  2 failed | 8 passed (10)", Some(false)),
            ("      Tests  8 passed (8)", Some(true)),
            ("ok  \tgithub.com/x/y\t0.012s", Some(true)),
            ("FAIL\tgithub.com/x/y\t0.020s", Some(false)),
            ("FAIL\tgithub.com/x/y [build failed]", Some(false)),
            ("--- FAIL: TestParse (0.00s)", Some(false)),
            (" 19 fail", Some(false)),
            (" 0 fail", Some(true)),
            ("  3 failing", Some(false)),
            ("FAILED (failures=2)", Some(false)),
            ("npm ERR! Test failed.  See above for more details.", Some(false)),
            ("14 runs, 30 assertions, 0 failures, 0 errors, 0 skips", Some(true)),
            ("14 runs, 30 assertions, 1 failures, 0 errors, 0 skips", Some(false)),
            ("12 examples, 0 failures, 2 pending", Some(true)),
            ("12 examples, 3 failures", Some(false)),
            ("[INFO] Tests run: 48, Failures: 0, Errors: 0, Skipped: 0", Some(true)),
            ("[ERROR] Tests run: 48, Failures: 1, Errors: 0, Skipped: 0", Some(false)),
            ("OK (12 tests, 30 assertions)", Some(true)),
            ("FAILURES!", Some(false)),
            ("Tests:    2 passed (5 assertions)", Some(true)),
            ("Tests:    1 failed, 1 passed (3 assertions)", Some(false)),
            ("00:02 +12: All tests passed!", Some(true)),
            ("+12: All tests passed!", Some(true)),
            ("+10 -2: Some tests failed.", Some(false)),
            ("  ⎿  [INFO] Tests run: 48, Failures: 0, Errors: 0, Skipped: 0", Some(true)),
            ("  ⎿  00:02 +6: All tests passed!", Some(true)),
            ("All tests pass.", None),
            ("The test result: ok is printed by cargo", None),
            ("fail", None),
        ];
        for (line, expected) in cases {
            assert_eq!(test_summary(line), expected, "{line}");
        }
    }

    #[test]
    fn test_commands() {
        for yes in [
            "cargo test --lib",
            "pytest -x tests/",
            "npm test",
            "npm run test:unit",
            "go test ./...",
            "npx jest",
            "bun test",
            "python -m pytest",
            "uv run pytest",
            "make test",
            "hatch test",
            "hatch run test:cov",
        ] {
            assert!(commands(yes).iter().any(is_test_command), "{yes}");
        }
        for no in [
            "cargo build",
            "npm install",
            "go build ./...",
            "python app.py",
            "git commit -m test",
            "make",
            "hatch build",
        ] {
            assert!(!commands(no).iter().any(is_test_command), "{no}");
        }
    }
}
