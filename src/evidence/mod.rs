//! Evidence: what a task has done, so a claim can be judged against it.
//!
//! "All tests pass" is true or false depending on what happened before it: whether a test command
//! ran after the last edit, and how it ended. [`Evidence`] keeps that state for one task, fed with
//! [`Observation`]s: from structured agent events (a tool call that edits a file, a shell command,
//! its exit status) or recognised in plain output ([`LineObserver`]: Claude Code's `⏺ Update(...)`,
//! aider's `Applied edit to`, a prompt with a command, and the summaries of cargo, pytest,
//! jest/vitest, go test, bun, mocha and npm).
//!
//! A rule with `evidence:` fires only when the state matches, and at most once per state: the same
//! unbacked claim repeated in a summary is one problem, reported again only once something changed
//! (another edit, another run).
//!
//! ```
//! use axiom::evidence::{Evidence, Observation};
//! use axiom::rules::{EvidenceSpec, TestEvidence};
//!
//! let claim = EvidenceSpec { tests: vec![TestEvidence::Missing, TestEvidence::Failed], unverified: false };
//! let mut evidence = Evidence::default();
//! evidence.observe(Observation::Edit);
//! assert!(evidence.allows(0, &claim), "edited, never tested");
//! assert!(!evidence.allows(0, &claim), "already reported for this state");
//! evidence.observe(Observation::TestOutcome { passed: true });
//! assert!(!evidence.allows(0, &claim), "tested and passed");
//! ```

mod recognize;
mod runners;

pub use recognize::{observe_line, LineObserver, OBSERVER};
pub use runners::{is_test_command, test_summary};

use crate::rules::{EvidenceSpec, TestEvidence};

/// One thing a task did that bears on its claims.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Observation {
    /// A file was written or edited.
    Edit,
    /// A shell command started; `test` if it runs a test suite.
    Command { test: bool },
    /// The last command ended (exit status 0 or not), when the source knows.
    CommandResult { ok: bool },
    /// A test runner printed its summary.
    TestOutcome { passed: bool },
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
    /// Bumped whenever the state changes: an evidence rule fires at most once per epoch.
    epoch: u64,
    last_was_edit: bool,
    /// (rule index, epoch it last fired in).
    fired: Vec<(usize, u64)>,
}

impl Evidence {
    pub fn observe(&mut self, observation: Observation) {
        let before = (self.tests, self.ran);
        // Consecutive edits (the lines of one diff) are one change, not many.
        let new_edit = observation == Observation::Edit && !self.last_was_edit;
        self.last_was_edit = observation == Observation::Edit;
        match observation {
            Observation::Edit => {
                self.tests = Tests::Missing;
                self.ran = false;
            }
            Observation::Command { test } => {
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
        }
        if new_edit || (self.tests, self.ran) != before {
            self.epoch += 1;
        }
    }

    /// Whether rule `index`, with condition `spec`, may fire now; if it may, it is recorded as
    /// having fired in this state.
    pub fn allows(&mut self, index: usize, spec: &EvidenceSpec) -> bool {
        if !self.holds(spec) {
            return false;
        }
        match self.fired.iter_mut().find(|(rule, _)| *rule == index) {
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

    /// Whether the state satisfies `spec` (without recording anything).
    pub fn holds(&self, spec: &EvidenceSpec) -> bool {
        let tests = match self.tests {
            Tests::Missing => Some(TestEvidence::Missing),
            Tests::Passed => Some(TestEvidence::Passed),
            Tests::Failed => Some(TestEvidence::Failed),
            // Started, outcome unknown: neither missing nor known to have failed or passed.
            Tests::Running => None,
        };
        let tests_hold = spec.tests.is_empty() || tests.is_some_and(|state| spec.tests.contains(&state));
        let verified_holds = !spec.unverified || !self.ran;
        tests_hold && verified_holds
    }
}

#[cfg(test)]
mod tests;
