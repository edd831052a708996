//! Evidence in plain output: edits, commands and test summaries recognised in the lines an agent
//! prints, for sources that carry no structured events (a terminal log, a saved transcript).

use std::sync::LazyLock;

use regex::Regex;
use regex_automata::meta;
use regex_automata::util::syntax;

use super::documents::is_documentation;
use super::failing_inputs::{detail_values, diff_values, failing_inputs, is_diff_header};
use super::runners::{is_test_command, test_summary};
use super::{CommandKey, Observation};
use crate::pipeline::Segment;
use crate::shell::{commands_shared, script_in_line};

/// Lines that may carry evidence; one pass over a block of lines finds them.
const CANDIDATES: &[&str] = &[
    // edits: Claude Code's tool calls (`● Edit (path)` in some renderings), aider's confirmation,
    // Cursor's tool names, diff headers (git's, Codex's patch)
    r"^\s*[⏺●]\s*(Update|Write|Edit|MultiEdit|Create|NotebookEdit) ?\(",
    r"^(Applied edit to |>>>>>>> REPLACE$)",
    r"^Tool use: \*\*(edit_file|search_replace|write|create_file|apply_patch|delete_file)",
    r"^(\+\+\+ b/|\*\*\* (Update|Add) File: )",
    r"^I will (now )?(create|write|update|modify|edit|rewrite|develop|implement|add|fix|change|replace|refactor)(?-u:\b)",
    // commands
    r"^\s*[⏺●]\s*Bash ?\(",
    r"^\$ \S",
    r"^[\w.-]+@[\w.-]+[^\n%$#]*[%$#] \S",
    r"^Running \S",
    r"^Tool use: \*\*run_terminal_cmd",
    r"^exec$",
    r"^I will (now )?(execute|run)(?-u:\b)",
    // requests: a user's message as aider, Claude Code and SpecStory show it
    r"^(> |#### |USER: ?)\S",
    // failures: a tool refusing, an error line, an edit that did not apply, a Python traceback
    // (also behind a log level), Codex's `exited 2 in 0.84s:` under a command (not `exited 1`,
    // which is also grep's and diff's "nothing found" or "they differ"). Not an exception's own
    // line (`KeyError: 'id'`): an agent's recap quotes those, and a failure counts until the
    // next thing the task does. Also the last words of a crashed program or a failed build as
    // their tools print them: a Rust or Go panic, make's `***`, Ant/Gradle's BUILD FAILED, an
    // ERROR level, a segfault, a shell's "command not found", go's `exit status 1`; Claude Code's
    // `Exit code N` from 2 up, as Codex's `exited N`.
    r"^\s*(⎿\s*)?(Error:|error(\[\w+\])?:|fatal:|Cannot |Could not |Unable to |Failed to |# \d+ SEARCH/REPLACE blocks? failed to match|String to replace not found|(ERROR:\s+)?Traceback \(most recent call last\)|exited ([2-9]|[1-9][0-9]+) in [0-9.]+m?s:?$|Exit code ([2-9]|[1-9][0-9]+)\s*$|thread '[^']*' panicked at |panic: |make(\[\d+\])?: \*\*\* |BUILD FAILED|ERROR(:|\s+\[)|Segmentation fault|\S+: (line \d+: )?\S+: command not found$|exit status [1-9][0-9]*$)",
    // test summaries
    r"^\s*(⎿\s*)?(test result: |=+ \d|\d+ (passed|failed)(, \d+ \w+)* in |Tests:|Tests\s+\d|ok\s|FAIL|--- FAIL|\d+ fail(ing)?$|FAILED \(|npm (ERR!|error) |\d+ runs, |\d+ examples?, |(\[\w+\]\s+)?Tests run: |OK \(\d+ tests?|(\d+:\d\d )?\+\d+)",
    // Codex's `user` line and Cursor's `USER:`, the user's message under them
    r"^(user|USER:)$",
    // output folded away: Claude Code's and Codex's `… +43 lines`, `Read 96 lines (ctrl+r to expand)`
    // (where output sits: under `⎿`, or indented past the agent's text)
    r"^(\s*⎿\s*|\s{4,})(… \+\d+ lines|Read \d+ lines? \(ctrl\+\w to expand\))",
    // what a failing test run prints under the failure: jest's and vitest's `Expected:` and
    // `Received:` (and their diff's `- Expected`), assert_eq's `left:`/`right:`, a Go test's
    // `x_test.go:41: …`, pytest's `E   …`
    r"^\s*(⎿\s*)?((Expected|Received)( \w+)?:|- Expected(\s+- \d+)?\s*$|(left|right)\s*:|\w+_test\.go:\d+: |E\s{2,}\S)",
];

/// The one observer every pipeline shares (it holds only compiled patterns).
pub static OBSERVER: LazyLock<LineObserver> = LazyLock::new(LineObserver::default);

/// Finds the evidence in blocks of output lines.
#[derive(Debug)]
pub struct LineObserver {
    candidates: meta::Regex,
}

impl Default for LineObserver {
    fn default() -> Self {
        let candidates = meta::Builder::new()
            .configure(meta::Config::new().utf8_empty(false))
            .syntax(syntax::Config::new().multi_line(true).utf8(false))
            .build_many(CANDIDATES)
            .expect("valid evidence patterns");
        LineObserver { candidates }
    }
}

impl LineObserver {
    /// The observations in `text` (segments separated by `\n`), each with its segment's index.
    pub fn observe_block(&self, text: &[u8], segments: &[Segment], found: &mut Vec<(usize, Observation)>) {
        let line_at = |at: &Segment| String::from_utf8_lossy(&text[at.start..at.end]);
        let mut segment = 0;
        let mut position = 0;
        while position <= text.len() {
            let Some(hit) = self.candidates.find(regex_automata::Input::new(text).range(position..)) else { break };
            segment += segments[segment..].partition_point(|s| s.end < hit.start());
            let Some(line) = segments.get(segment) else { break };
            let shown = line_at(line);
            let previous = segment.checked_sub(1).map(|at| line_at(&segments[at]));
            // Codex prints `exec` or `user` on a line of its own, and the command or the user's
            // message from the next line on; Cursor's exports print `USER:`, a blank line, then it.
            let below = &segments[segment + 1..];
            match shown.trim_end() {
                // A command whose line is in the next block is run, but not known.
                "exec" => found.push((segment, codex_command(below.iter().map(line_at)))),
                // `user` as `ls` prints it is not Codex's marker: that follows its `--------` rule.
                "user" | "USER:" if starts_a_message(previous.as_deref()) => {
                    if let Some(request) = message_under(below.iter().map(line_at)) {
                        found.push((segment, Observation::Request(request)));
                    }
                }
                // npm's banner (`> app@1.0.0 test`, then `> the script`) is not a request.
                _ if previous.as_deref().is_some_and(|previous| NPM_BANNER.is_match(previous))
                    || NPM_BANNER.is_match(&shown) => {}
                // A source file read folded holds the code's constants, not a measurement.
                _ if previous.as_deref().is_some_and(reads_source) && FOLDED.is_match(&shown) => {}
                // jest's and vitest's diff: the values are on the lines under its header
                _ if is_diff_header(&shown) => {
                    let values = diff_values(below.iter().map(line_at));
                    if !values.is_empty() {
                        found.push((segment, Observation::FailureDetails(values)));
                    }
                }
                _ => {
                    let before = found.len();
                    observe_line_fully(&shown, |observation| found.push((segment, observation)));
                    // Claude Code indents the lines of a request after its first under the `> `.
                    if found[before..].iter().any(|(_, observation)| matches!(observation, Observation::Request(_))) {
                        let continued = below.iter().take(MESSAGE_LINES).map_while(|at| {
                            let text = line_at(at);
                            let continues = text.starts_with("  ") && !text.trim().is_empty();
                            let marker = text.trim_start().starts_with(['⏺', '⎿', '●']);
                            (continues && !marker).then(|| Observation::Request(text.trim().to_owned()))
                        });
                        found.extend(continued.enumerate().map(|(at, request)| (segment + 1 + at, request)));
                    }
                }
            }
            position = line.end + 1;
            segment += 1;
        }
    }
}

/// Whether `line` is Claude Code's `⏺ Read(PATH)` of a program's source or its configuration.
fn reads_source(line: &str) -> bool {
    const SOURCE: &[&str] = &[
        "rs", "py", "ts", "tsx", "js", "jsx", "mjs", "go", "java", "kt", "rb", "php", "c", "h", "cc", "cpp", "hpp",
        "cs", "swift", "scala", "sh", "vue", "svelte", "css", "scss", "html", "sql", "toml", "yaml", "yml", "ini",
        "cfg",
    ];
    let Some(path) =
        line.trim_start().strip_prefix(['⏺', '●']).and_then(|rest| rest.trim_start().strip_prefix("Read("))
    else {
        return false;
    };
    let path = path.trim_end().trim_end_matches(')');
    path.rsplit_once('.').is_some_and(|(_, extension)| SOURCE.contains(&extension))
}

/// Whether a `user` line, after `previous`, is where a message starts: at the top, after a blank
/// line or after Codex's `--------` rule.
fn starts_a_message(previous: Option<&str>) -> bool {
    previous.is_none_or(|previous| previous.trim().is_empty() || previous.trim_start().starts_with("--------"))
}

/// The user's message under a `user` or `USER:` line: its lines up to a `---` rule or the agent's
/// next marker, blank lines left out; none if three blank lines come first.
fn message_under<'a>(lines: impl Iterator<Item = std::borrow::Cow<'a, str>>) -> Option<String> {
    let mut lines = lines.peekable();
    for _ in 0..3 {
        if lines.next_if(|line| line.trim().is_empty()).is_none() {
            break;
        }
    }
    if lines.peek().is_none_or(|line| line.trim().is_empty()) {
        return None;
    }
    let message: Vec<_> = lines
        .take_while(|line| !line.starts_with("---") && !MARKERS.contains(&line.trim_end()))
        .filter(|line| !line.trim().is_empty())
        .take(MESSAGE_LINES)
        .map(|line| line.trim().to_owned())
        .collect();
    (!message.is_empty()).then(|| message.join("\n"))
}

/// How many lines of a user's message are read.
const MESSAGE_LINES: usize = 20;

/// The command under Codex's `exec`: its first line and the lines it wraps onto, up to the
/// result (`succeeded in`, `exited N in`) or the next marker; not known when none is in view.
fn codex_command<'a>(lines: impl Iterator<Item = std::borrow::Cow<'a, str>>) -> Observation {
    const WRAPPED_LINES: usize = 8;
    let command: String = lines
        .take_while(|line| {
            let line = line.trim_start();
            !(line.starts_with("succeeded in") || line.starts_with("exited ") || MARKERS.contains(&line.trim_end()))
        })
        .take(WRAPPED_LINES)
        .collect();
    if command.trim().is_empty() {
        return Observation::Command { test: false, key: None };
    }
    command_observation(&command)
}

/// The lines that start one of Codex's blocks.
const MARKERS: &[&str] = &["codex", "exec", "user", "thinking", "tokens used", "apply_patch"];

/// A command that writes a file in place or by a redirection: the work was begun.
static SHELL_WRITE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?-u:\b)(sed\s+(-\w*i|--in-place)|perl\s+-\w*i|tee|git\s+apply|patch)(?-u:\b)|(^|[^>&0-9])>>?\s*[^&>\s/]",
    )
    .expect("a valid regex")
});

/// npm's (and pnpm's, yarn's) banner before a script: `> app@1.0.0 test`.
static NPM_BANNER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^> (@[\w.-]+/)?[\w.-]+@[\w.+-]+ [\w:.-]+$").expect("a valid regex"));

/// Everything one line of plain output shows: what [`observe_line`] reads, and after a failure
/// the values it names ([`Observation::FailingInputs`]), or those a line under one shows
/// ([`Observation::FailureDetails`]).
pub fn observe_line_fully(line: &str, mut found: impl FnMut(Observation)) {
    let observation = observe_line(line);
    let writes = matches!(observation, Some(Observation::Command { .. })) && SHELL_WRITE.is_match(line);
    // Only a failing test's values: an error's (`KeyError: 'customer_id'`) are what a real fix names.
    let failed = matches!(observation, Some(Observation::TestOutcome { passed: false })) || FAILED_TEST.is_match(line);
    let nothing_else = observation.is_none();
    if let Some(observation) = observation {
        found(observation);
    }
    if writes {
        found(Observation::Wrote);
    }
    if failed {
        let values = failing_inputs(line);
        if !values.is_empty() {
            found(Observation::FailingInputs(values));
        }
    } else if nothing_else {
        // under a failure: counted by the evidence only while a test run's output is read
        let values = detail_values(line);
        if !values.is_empty() {
            found(Observation::FailureDetails(values));
        }
    }
}

/// What one line of plain output shows, if anything.
pub fn observe_line(line: &str) -> Option<Observation> {
    if let Some(passed) = test_summary(line) {
        return Some(Observation::TestOutcome { passed });
    }
    if let Some(request) = REQUEST.captures(line) {
        return Some(Observation::Request(request[1].to_owned()));
    }
    let trimmed = line.trim_start();
    if FOLDED.is_match(line) {
        return Some(Observation::Folded);
    }
    // aider writes the edit before it says it applied it (and to which file, docs included)
    if trimmed.trim_end() == ">>>>>>> REPLACE" {
        return Some(Observation::Wrote);
    }
    if FAILURE.is_match(trimmed) {
        return Some(if EDIT_FAILED.is_match(trimmed) { Observation::ToolFailed } else { Observation::Failure });
    }
    if EDIT.is_match(trimmed) {
        // Writing the docs up leaves a test run standing.
        let path = EDITED_PATH.captures(trimmed).and_then(|found| found.iter().skip(1).flatten().next());
        return Some(if path.is_some_and(|path| is_documentation(path.as_str())) {
            Observation::Wrote
        } else {
            Observation::Edit
        });
    }
    if !RUN.is_match(trimmed) {
        return None;
    }
    Some(command_observation(trimmed))
}

/// A line that runs a command: whether it runs the tests, and which command it is.
fn command_observation(line: &str) -> Observation {
    let script = script_in_line(line);
    let test = script.is_some_and(|script| commands_shared(script).iter().any(is_test_command))
        || ANNOUNCED_TEST.is_match(line);
    // Cursor's `Tool use: **run_terminal_cmd**` and an announced run do not show the command.
    let shown = !(line.starts_with("Tool use:") || line.starts_with("I will"));
    Observation::Command { test, key: script.filter(|_| shown).map(CommandKey::of) }
}

static EDIT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        &CANDIDATES[..5].iter().map(|p| format!("(?:{})", p.trim_start_matches("^\\s*"))).collect::<Vec<_>>().join("|"),
    )
    .expect("valid edit patterns")
});

/// The file an edit line names: `⏺ Update(PATH)`, `Applied edit to PATH`, `+++ b/PATH`, `*** Update
/// File: PATH`.
static EDITED_PATH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:[⏺●]\s*\w+ ?\(([^)]+)\)|Applied edit to (.+)$|\+\+\+ b/(\S+)|\*\*\* (?:Update|Add) File: (\S+))")
        .expect("a valid regex")
});

static RUN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        &CANDIDATES[5..12]
            .iter()
            .map(|p| format!("(?:{})", p.trim_start_matches("^\\s*")))
            .collect::<Vec<_>>()
            .join("|"),
    )
    .expect("valid run patterns")
});

static FAILURE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!("^{}", CANDIDATES[13].trim_start_matches("^\\s*"))).expect("a valid failure pattern")
});

/// Output folded away, read on the line as shown (its indentation says it is output).
static FOLDED: LazyLock<Regex> = LazyLock::new(|| Regex::new(CANDIDATES[16]).expect("a valid fold pattern"));

/// An edit that did not apply (aider's, Claude Code's, Cursor's): a tool's failure, no command's.
static EDIT_FAILED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"SEARCH/REPLACE blocks? failed to match|String to replace not found|^(⎿\s*)?Cannot edit files")
        .expect("a valid regex")
});

/// A failing test named on its own line (pytest's short summary, go test, a runner's `FAIL`).
static FAILED_TEST: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*(⎿\s*)?(FAILED |FAIL:? |--- FAIL: )").expect("a valid regex"));

static REQUEST: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^(?:> |#### |USER: ?)(\S.*)$").expect("a valid regex"));

/// "I will run the tests": a test run announced by an agent that prints no commands.
static ANNOUNCED_TEST: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^I will (now )?(execute|run) (the |all )?(\w+ )?tests?(?-u:\b)").expect("a valid regex")
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_that_carry_evidence() {
        let cases = [
            ("⏺ Update(src/cache.rs)…", Some(Observation::Edit)),
            ("● Write(src/tasks.rs)", Some(Observation::Edit)),
            ("● Write(docs/TASKS.md)", Some(Observation::Wrote)),
            ("● Edit (/home/me/project/analyze_data.py)", Some(Observation::Edit)),
            (
                "● Bash (command: source venv/bin/activate && python analyze.py)",
                Some(Observation::Command { test: false, key: None }),
            ),
            ("Applied edit to README.md", Some(Observation::Wrote)),
            ("+++ b/CHANGELOG.md", Some(Observation::Wrote)),
            (">>>>>>> REPLACE", Some(Observation::Wrote)),
            ("Applied edit to src/app.py", Some(Observation::Edit)),
            ("+++ b/src/lib.rs", Some(Observation::Edit)),
            ("*** Update File: internal/timeutil/parse.go", Some(Observation::Edit)),
            ("*** Add File: docs/NOTES.md", Some(Observation::Wrote)),
            ("+ - a diff line on its own is not an edit", None),
            ("⏺ Bash(cargo test --lib)", Some(Observation::Command { test: true, key: None })),
            ("$ python reproduce.py", Some(Observation::Command { test: false, key: None })),
            ("user@mac project % npm test", Some(Observation::Command { test: true, key: None })),
            ("Running pytest -q", Some(Observation::Command { test: true, key: None })),
            ("I will execute the verification script.", Some(Observation::Command { test: false, key: None })),
            ("I will run the unit tests.", Some(Observation::Command { test: true, key: None })),
            ("     test result: ok. 18 passed; 0 failed; 0 ignored", Some(Observation::TestOutcome { passed: true })),
            // pytest -q prints its summary without the rule of `=`s
            ("1 failed, 23 passed in 2.10s", Some(Observation::TestOutcome { passed: false })),
            ("  ⎿  23 passed, 2 skipped in 0.31s", Some(Observation::TestOutcome { passed: true })),
            ("Cannot edit files blocked by globalIgnore", Some(Observation::ToolFailed)),
            ("# 1 SEARCH/REPLACE block failed to match!", Some(Observation::ToolFailed)),
            ("  ⎿  Error: String to replace not found in file.", Some(Observation::ToolFailed)),
            ("Cannot find module 'express'", Some(Observation::Failure)),
            ("error[E0425]: cannot find value `x`", Some(Observation::Failure)),
            ("ERROR:    Traceback (most recent call last):", Some(Observation::Failure)),
            (" exited 2 in 0.84s:", Some(Observation::Failure)),
            (" exited 0 in 0.84s:", None),
            (" exited 1 in 52ms:", None),
            (" exited 101 in 3.1s:", Some(Observation::Failure)),
            ("     Exit code 2   ", Some(Observation::Failure)),
            // as Codex's `exited 1`: also grep finding nothing
            ("     Exit code 1", None),
            ("thread 'main' panicked at src/main.rs:4:5:", Some(Observation::Failure)),
            ("make: *** [Makefile:12: build] Error 2", Some(Observation::Failure)),
            ("     ERROR: failed to solve: process did not complete successfully", Some(Observation::Failure)),
            ("bash: pnpm: command not found", Some(Observation::Failure)),
            ("exit status 1", Some(Observation::Failure)),
            ("The panic: it came from unwrap() on None.", None),
            ("  ⎿  Error: Exit code 2", Some(Observation::Failure)),
            ("KeyError: 'user_id' came from the old session format.", None),
            ("All tests pass now.", None),
            ("     … +43 lines (ctrl+r to expand)", Some(Observation::Folded)),
            ("  ⎿  Read 96 lines (ctrl+o to expand)", Some(Observation::Folded)),
            // the agent's own words, as Claude Code indents them: not where output sits
            ("  … +3 lines (ctrl+r to expand)", None),
            ("Let me update the cache.", None),
        ];
        for (line, expected) in cases {
            assert_eq!(observe_line(line).map(without_key), expected, "{line}");
        }
    }

    /// The observation with its command's key left out, for tables of what lines show.
    fn without_key(observation: Observation) -> Observation {
        match observation {
            Observation::Command { test, .. } => Observation::Command { test, key: None },
            other => other,
        }
    }

    #[test]
    fn a_command_is_known_by_its_text_and_codex_shows_it_on_the_line_after_exec() {
        let key = |line| match observe_line(line) {
            Some(Observation::Command { key, .. }) => key,
            other => panic!("{line}: {other:?}"),
        };
        assert_eq!(key("⏺ Bash(npm test -- --runInBand)"), Some(CommandKey::of("npm test -- --runInBand")));
        assert_eq!(key("$ sleep 5 && curl -sf localhost:8080"), key("$ sleep 30 && curl -sf localhost:8080"));
        assert_ne!(key("$ npm test"), key("$ npm run lint"));
        assert_eq!(key("Tool use: **run_terminal_cmd**"), None, "the same line for every command");
        assert_eq!(key("I will run the unit tests."), None);

        let text = b"exec\nbash -lc 'npm test' in /w/api\n exited 2 in 1.2s:";
        let found = observed(text);
        assert_eq!(
            found,
            [
                (0, Observation::Command { test: true, key: Some(CommandKey::of("bash -lc 'npm test' in /w/api")) }),
                (2, Observation::Failure)
            ]
        );
    }

    #[test]
    fn a_failing_tests_line_also_gives_the_values_it_names() {
        let values = |text: &[u8]| -> Vec<Vec<String>> {
            observed(text)
                .into_iter()
                .filter_map(|(_, found)| match found {
                    Observation::FailingInputs(values) => Some(values),
                    _ => None,
                })
                .collect()
        };
        assert_eq!(values(b"--- FAIL: TestParseDuration/1h30m (0.00s)"), [["1h30m"]]);
        let named =
            values(b"FAILED tests/test_tok.py::test_contraction - AssertionError: ['don', \"'\", 't'] != [\"don't\"]");
        assert!(named.len() == 1 && named[0].contains(&"don't".to_owned()), "{named:?}");
        assert_eq!(values(b"  \xe2\x8e\xbf  Error: expected 'ok'"), Vec::<Vec<String>>::new(), "too short");
        assert_eq!(values(b"All tests pass for \"1h30m\" now."), Vec::<Vec<String>>::new(), "not a failure line");
    }

    #[test]
    fn codex_and_cursor_put_the_users_message_under_a_line_of_its_own() {
        let request = |text: &str| Observation::Request(text.to_owned());
        assert_eq!(observed(b"user\nfix the CSV export\ncodex"), [(0, request("fix the CSV export"))]);
        assert_eq!(observed(b"---\n\nUSER:\n\ndo I need npm?\n\n---"), [(2, request("do I need npm?"))]);
        assert_eq!(observed(b"user\n\n\n\n\nlate"), [], "a message too far down is not taken for it");
        assert_eq!(
            observed(b"USER:\n\n@src/pricing.ts\n\ncompare the options first\n\n---"),
            [(0, request("@src/pricing.ts\ncompare the options first"))]
        );
        assert_eq!(
            observed(b"> add rate limiting\n  but compare the options first\n\xe2\x8f\xba Read(a.ts)"),
            [(0, request("add rate limiting")), (1, request("but compare the options first"))]
        );
        assert_eq!(observed(b"bin\nuser\nproduct"), [], "ls's `user` is not Codex's marker");
    }

    #[test]
    fn a_source_file_read_folded_hides_no_measurement() {
        let folded = |text: &str| observed(text.as_bytes()).into_iter().any(|(_, found)| found == Observation::Folded);
        assert!(!folded("⏺ Read(services/search.py)\n  ⎿  Read 142 lines (ctrl+r to expand)"));
        assert!(folded("⏺ Read(results/bench.json)\n  ⎿  Read 40 lines (ctrl+r to expand)"));
        assert!(folded("⏺ Bash(python bench.py)\n  ⎿  loop: 3.3 s\n     … +4 lines (ctrl+r to expand)"));
    }

    fn observed(text: &[u8]) -> Vec<(usize, Observation)> {
        let mut segments = Vec::new();
        let mut start = 0;
        for (line, piece) in text.split(|b| *b == b'\n').enumerate() {
            segments.push(Segment { start, end: start + piece.len(), line: line as u64 + 1, column_base: 0 });
            start += piece.len() + 1;
        }
        let mut found = Vec::new();
        LineObserver::default().observe_block(text, &segments, &mut found);
        found
    }

    #[test]
    fn a_block_is_scanned_once_and_each_line_reported_with_its_segment() {
        let text = b"hello\n$ cargo test\nrunning 3 tests\ntest result: ok. 3 passed; 0 failed\nAll tests pass";
        let found: Vec<_> = observed(text).into_iter().map(|(line, found)| (line, without_key(found))).collect();
        assert_eq!(
            found,
            [(1, Observation::Command { test: true, key: None }), (3, Observation::TestOutcome { passed: true })]
        );
    }
}
