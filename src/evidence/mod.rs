//! Evidence: what a task has done, so a claim can be judged against it.
//!
//! "All tests pass" is true or false depending on what happened before it: whether a test command
//! ran after the last edit, and how it ended. [`Evidence`] keeps that state for one task, fed with
//! [`Observation`]s: from structured agent events (a tool call that edits a file, a shell command,
//! its exit status) or recognised in plain output ([`LineObserver`]: Claude Code's `⏺ Update(...)`,
//! aider's `Applied edit to`, a prompt with a command, and the summaries of cargo, pytest,
//! jest/vitest, go test, bun, mocha, npm, minitest, rspec, Maven/Gradle, PHPUnit/Pest and
//! dart/flutter).
//!
//! A rule with `evidence:` fires only when the state matches, and at most once per state: the same
//! unbacked claim repeated in a summary is one problem, reported again only once something changed
//! (another edit, another run). A rule given only `unless_asked` has no state to match: it fires on
//! every line, as one without `evidence` does, unless the user asked for what it matches.
//!
//! ```
//! use axiom::evidence::{Evidence, EvidenceCondition, Observation};
//! use axiom::rules::{EvidenceSpec, TestEvidence};
//!
//! let spec = EvidenceSpec { tests: vec![TestEvidence::Missing, TestEvidence::Failed], ..Default::default() };
//! let claim = EvidenceCondition::compile(&spec);
//! let mut evidence = Evidence::default();
//! evidence.observe(Observation::Edit);
//! assert!(evidence.allows(0, &claim), "edited, never tested");
//! assert!(!evidence.allows(0, &claim), "already reported for this state");
//! evidence.observe(Observation::TestOutcome { passed: true });
//! assert!(!evidence.allows(0, &claim), "tested and passed");
//! ```

mod documents;
mod failing_inputs;
mod figures;
mod recognize;
mod reruns;
mod runners;

pub use documents::is_documentation;
pub use recognize::{observe_line, observe_line_fully, LineObserver, OBSERVER};
pub use reruns::CommandKey;
pub use runners::{is_test_command, test_summary};

use self::failing_inputs::FailingInputs;
use self::figures::PrintedNumbers;
use self::reruns::Reruns;
use crate::rules::{EvidenceSpec, LazyRegex, TestEvidence};

/// A rule's `evidence:` key, compiled.
#[derive(Debug, Clone)]
pub struct EvidenceCondition {
    pub tests: Vec<TestEvidence>,
    pub unverified: bool,
    pub after_failure: bool,
    pub repeats: u32,
    /// Fire once the same command failed this many runs in a row (0: not a condition).
    pub reruns: u32,
    pub nothing_edited: bool,
    /// Fire only on a line that quotes a value a failing run printed since the tests last passed.
    pub quotes_failing_input: bool,
    /// Fire only on a line stating at least this many figures no earlier text printed, and more
    /// of those than of figures it did (0: not a condition).
    pub unseen_figures: u32,
    pub once: bool,
    pub unless_asked: Option<LazyRegex>,
    /// Only `unless_asked` is given: the rule fires as one without `evidence` does, save when the
    /// user asked for what it matches; no state, so no limit of once per state.
    pub only_exempts: bool,
}

impl EvidenceCondition {
    /// Compiles `spec`, whose `unless_asked` regex the loader checked.
    pub fn compile(spec: &EvidenceSpec) -> EvidenceCondition {
        let unless_asked = spec.unless_asked.as_deref().map(LazyRegex::checked);
        let states = !spec.tests.is_empty()
            || spec.unverified
            || spec.after_failure
            || spec.reruns.is_some()
            || spec.nothing_edited;
        let only_exempts = unless_asked.is_some() && !states && spec.repeats.unwrap_or(1) <= 1 && !spec.once;
        EvidenceCondition {
            only_exempts,
            tests: spec.tests.clone(),
            unverified: spec.unverified,
            after_failure: spec.after_failure,
            repeats: spec.repeats.unwrap_or(1).max(1),
            reruns: spec.reruns.unwrap_or(0),
            nothing_edited: spec.nothing_edited,
            quotes_failing_input: spec.quotes_failing_input,
            unseen_figures: spec.unseen_figures.unwrap_or(0),
            once: spec.once,
            unless_asked,
        }
    }

    /// Whether the rule is judged on the line it matched as well as on the state
    /// ([`Evidence::allows_line`]).
    pub fn reads_the_line(&self) -> bool {
        self.quotes_failing_input || self.unseen_figures > 0
    }
}

/// One thing a task did that bears on its claims.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Observation {
    /// The user (or whoever drives the agent) asked for something.
    Request(String),
    /// A file was written or edited.
    Edit,
    /// A shell command started; `test` if it runs a test suite; `key` tells it from other
    /// commands, when its text is known.
    Command { test: bool, key: Option<CommandKey> },
    /// The last test command ended (exit status 0 or not), when the source knows.
    CommandResult { ok: bool },
    /// The last command, not a test run, ended so (what [`Observation::CommandResult`] says of a
    /// test run: kept apart, since another command returning must not decide the tests).
    RunEnded { ok: bool },
    /// A test runner printed its summary.
    TestOutcome { passed: bool },
    /// A command reported that it failed (an error message, a crash, a build that broke).
    Failure,
    /// A tool that runs no command failed (an edit that did not apply, a file a read did not
    /// find): a failure for what comes after it, but no failed run of the last command, and
    /// nothing about the tests.
    ToolFailed,
    /// What a failing test run's line named: its inputs, its expected and actual values.
    FailingInputs(Vec<String>),
    /// What a line under a failure showed (`Expected: "x"`, `got X, want Y`, `left: "x"`): a
    /// failing test's values while a test run's output is read and fails, else nothing.
    FailureDetails(Vec<String>),
    /// A file was written that is not an edit of the code for the tests' sake: documentation, or
    /// a file a shell command wrote (`sed -i`, `> file`). The work was begun all the same.
    Wrote,
    /// Text a tool returned, as a structured source gives it before its lines are judged: the
    /// figures it prints back the lines that state them, its own among them.
    Printed(String),
    /// Output shown folded (Claude Code's `… +43 lines (ctrl+r to expand)`): what it printed is not
    /// known, so a figure stated after it cannot be judged.
    Folded,
    /// The agent answered: the request stays the latest, but the next one is a new message (a
    /// structured source knows where a message ends; plain output does not).
    Reply,
}

/// The tests since the last edit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum Tests {
    /// None ran since the last edit.
    #[default]
    Missing,
    /// A test command started; its outcome is not known (yet).
    Running,
    Passed,
    Failed,
}

/// One task's evidence state.
#[derive(Debug, Default)]
pub struct Evidence {
    tests: Tests,
    /// Whether any command ran since the last edit.
    ran: bool,
    /// Whether the last thing that happened was a failure.
    failed: bool,
    /// Bumped whenever the state changes: an evidence rule fires at most once per epoch.
    epoch: u64,
    last_was_edit: bool,
    /// The latest request, for `unless_asked`.
    request: String,
    last_was_request: bool,
    /// (rule index, epoch it last fired in).
    fired: Vec<(usize, u64)>,
    /// (rule index, epoch, hits in that epoch), for `repeats`.
    hits: Vec<(usize, u64, u32)>,
    reruns: Reruns,
    /// Whether a request was seen, and a file edited since the latest one.
    request_seen: bool,
    edited_since_request: bool,
    failing_inputs: FailingInputs,
    printed: PrintedNumbers,
    /// Whether the last thing seen wrote a file, and whether output was shown folded since the
    /// latest request other than what a file tool wrote ([`Observation::Folded`]).
    last_was_write: bool,
    folded_since_request: bool,
}

impl Evidence {
    pub fn observe(&mut self, observation: Observation) {
        if let Observation::Printed(text) = &observation {
            // Only a structured source gives a tool's text.
            self.printed.ignore_marks();
            return self.printed.remember(text.as_bytes());
        }
        if observation == Observation::Folded {
            // What a file tool wrote is the agent's own text, not a measurement.
            self.folded_since_request |= !self.last_was_write;
            return;
        }
        self.last_was_write = matches!(observation, Observation::Edit | Observation::Wrote);
        if let Observation::Request(text) = observation {
            // The lines of one message are one request; a new message replaces the last.
            if !self.last_was_request {
                self.request.clear();
                self.reruns.changed();
                self.request_seen = true;
                self.edited_since_request = false;
                self.failing_inputs.clear();
                self.folded_since_request = false;
            }
            // The user's own figures ("the import takes 45 s now") back the agent's.
            self.printed.remember(text.as_bytes());
            self.request.push_str(&text);
            self.request.push('\n');
            self.last_was_request = true;
            return;
        }
        self.last_was_request = false;
        self.failing_inputs.observe(&observation);
        if matches!(observation, Observation::FailingInputs(_) | Observation::FailureDetails(_)) {
            return;
        }
        if observation == Observation::Wrote {
            self.edited_since_request = true;
            return;
        }
        // A run known to have failed that shows it again (its summary after its error line) is
        // in the same state: one run, one state, so a rule fires on it once.
        let failed_again = self.reruns.run_failed()
            && matches!(
                observation,
                Observation::Failure
                    | Observation::TestOutcome { passed: false }
                    | Observation::CommandResult { ok: false }
            );
        match observation {
            Observation::Reply
            | Observation::FailingInputs(_)
            | Observation::FailureDetails(_)
            | Observation::Wrote
            | Observation::Folded
            | Observation::Printed(_) => return,
            Observation::ToolFailed => {}
            Observation::RunEnded { ok } => return self.reruns.ended(ok),
            Observation::Command { key, .. } => self.reruns.started(key),
            Observation::CommandResult { ok } => self.reruns.ended(ok),
            Observation::TestOutcome { passed } => self.reruns.ended(passed),
            Observation::Failure => self.reruns.ended(false),
            Observation::Edit => {
                self.reruns.changed();
                self.edited_since_request = true;
            }
            Observation::Request(_) => {}
        }
        let before = (self.tests, self.ran, self.failed);
        self.failed = matches!(observation, Observation::Failure | Observation::ToolFailed);
        // Consecutive edits (the lines of one diff) are one change, not many.
        let new_edit = observation == Observation::Edit && !self.last_was_edit;
        self.last_was_edit = observation == Observation::Edit;
        // Every command is a change too: a loop is second-guessing with nothing done in between,
        // and `ls` is something done.
        let command = matches!(observation, Observation::Command { .. });
        match observation {
            Observation::Edit => {
                self.tests = Tests::Missing;
                self.ran = false;
            }
            Observation::Command { test, .. } => {
                self.ran = true;
                if test {
                    self.tests = Tests::Running;
                }
            }
            Observation::CommandResult { ok } => {
                if self.tests == Tests::Running {
                    self.tests = if ok { Tests::Passed } else { Tests::Failed };
                }
            }
            Observation::TestOutcome { passed } => {
                self.ran = true;
                self.tests = if passed { Tests::Passed } else { Tests::Failed };
            }
            // An error while the tests run, with no summary after it (a build that does not
            // compile, a runner that crashes), is a failed run; a summary that follows decides.
            Observation::Failure if self.tests == Tests::Running => self.tests = Tests::Failed,
            Observation::Request(_)
            | Observation::Failure
            | Observation::ToolFailed
            | Observation::Reply
            | Observation::RunEnded { .. }
            | Observation::FailingInputs(_)
            | Observation::FailureDetails(_)
            | Observation::Wrote
            | Observation::Folded
            | Observation::Printed(_) => {}
        }
        let same_run = failed_again && (self.tests, self.ran) == (before.0, before.1);
        if new_edit || command || ((self.tests, self.ran, self.failed) != before && !same_run) {
            self.epoch += 1;
        }
    }

    /// Whether rule `index`, with condition `spec`, may fire now; if it may, it is recorded as
    /// having fired in this state.
    pub fn allows(&mut self, index: usize, spec: &EvidenceCondition) -> bool {
        if !self.holds(spec) {
            return false;
        }
        if spec.only_exempts {
            return true;
        }
        if spec.repeats > 1 {
            let epoch = self.epoch;
            let count = match self.hits.iter_mut().find(|(rule, _, _)| *rule == index) {
                Some(entry) => {
                    if entry.1 != epoch {
                        *entry = (index, epoch, 0);
                    }
                    entry.2 += 1;
                    entry.2
                }
                None => {
                    self.hits.push((index, epoch, 1));
                    1
                }
            };
            if count < spec.repeats {
                return false;
            }
        }
        match self.fired.iter_mut().find(|(rule, _)| *rule == index) {
            Some(_) if spec.once => false,
            Some((_, epoch)) if *epoch == self.epoch => false,
            Some((_, epoch)) => {
                *epoch = self.epoch;
                true
            }
            None => {
                self.fired.push((index, self.epoch));
                true
            }
        }
    }

    /// [`Evidence::allows`] for a rule that matched `line`: one that must quote a failing run's
    /// value, or state figures nothing printed, is judged on the line first.
    pub fn allows_line(&mut self, index: usize, spec: &EvidenceCondition, line: &str) -> bool {
        // Only in what an edit writes: the same line in a command's output (`git show`) is history.
        if spec.quotes_failing_input && !(self.last_was_edit && self.failing_inputs.quoted_in(line)) {
            return false;
        }
        if spec.unseen_figures > 0 {
            // Output folded away since the request may have printed them; a command's output
            // prints its own.
            if self.folded_since_request || self.printed.is_output(line) {
                return false;
            }
            let (unseen, _) = self.printed.unseen_in(line);
            if unseen < spec.unseen_figures as usize {
                return false;
            }
        }
        self.allows(index, spec)
    }

    /// A structured source speaks for the task: lines carry no marks of output or of folds.
    pub fn ignore_marks(&mut self) {
        self.printed.ignore_marks();
    }

    /// Text the task printed (output, requests, what it wrote), read for the numbers in it: a
    /// figure a later line states is backed by any of them. Given in order, each line before the
    /// lines judged after it.
    pub fn remember_printed(&mut self, text: &[u8]) {
        self.printed.remember(text);
    }

    /// Whether the state satisfies `spec` (without recording anything).
    pub fn holds(&self, spec: &EvidenceCondition) -> bool {
        if spec.unless_asked.as_ref().is_some_and(|asked| asked.is_match(&self.request)) {
            return false;
        }
        let tests = match self.tests {
            Tests::Missing => Some(TestEvidence::Missing),
            Tests::Passed => Some(TestEvidence::Passed),
            Tests::Failed => Some(TestEvidence::Failed),
            // Started, outcome unknown: neither missing nor known to have failed or passed.
            Tests::Running => None,
        };
        // The conditions are alternatives: any one of them is reason enough to doubt a claim.
        if spec.tests.is_empty() && !spec.unverified && !spec.after_failure && spec.reruns == 0 && !spec.nothing_edited
        {
            return true;
        }
        tests.is_some_and(|state| spec.tests.contains(&state))
            || (spec.unverified && !self.ran)
            || (spec.after_failure && self.failed)
            || (spec.reruns > 0 && self.reruns.failed_in_a_row() >= spec.reruns)
            || (spec.nothing_edited && self.request_seen && !self.edited_since_request)
    }
}

#[cfg(test)]
mod tests;
