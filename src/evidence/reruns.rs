//! The same command failing run after run, with nothing changed in between: a loop. "Retrying",
//! "let me run that again", a longer `sleep` before the same `curl`: the agent hopes for another
//! outcome from the same input.

use std::hash::{DefaultHasher, Hash, Hasher};

/// Which command a run was, its waits aside (`sleep 5 && curl :8080` and `sleep 30 && curl
/// :8080` are one command waited on longer; `pip install numpy==1.21` and `numpy==1.26` are two),
/// so two runs can be told apart or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommandKey(u64);

/// Words after which a number is how long to wait, and options that say so.
const WAITS: &[&str] = &["sleep", "timeout", "--timeout", "--max-time", "-m", "--wait", "--retry-delay"];

impl CommandKey {
    pub fn of(script: &str) -> CommandKey {
        let mut hasher = DefaultHasher::new();
        let mut previous = "";
        for word in script.split_whitespace() {
            let glued = |option: &&str| word.strip_prefix(*option).is_some_and(|rest| rest.starts_with('='));
            let wait = WAITS.contains(&previous) || WAITS.iter().any(glued);
            if wait {
                word.chars().filter(|c| !c.is_ascii_digit() && *c != '.').for_each(|c| c.hash(&mut hasher));
            } else {
                word.hash(&mut hasher);
            }
            previous = word.trim_start_matches(['(', ';', '&', '|', '\'', '"']);
        }
        CommandKey(hasher.finish())
    }
}

/// How many runs in a row of one command failed since anything changed.
#[derive(Debug, Default)]
pub(super) struct Reruns {
    /// The command that ran last; `None` when its text is not known.
    key: Option<CommandKey>,
    failed_in_a_row: u32,
    /// Whether the run going on already counted as failed (a failed build prints many errors).
    this_run_failed: bool,
}

impl Reruns {
    /// A run starts; the one before it is settled: if nothing it printed was a failure, it broke
    /// the row (its outcome is known only now: `go test ./...` prints `ok` for one package and
    /// `FAIL` for the next, and plain output may show no outcome at all).
    pub(super) fn started(&mut self, key: Option<CommandKey>) {
        if !self.this_run_failed || key.is_none() || key != self.key {
            self.failed_in_a_row = 0;
        }
        self.key = key;
        self.this_run_failed = false;
    }

    /// The run going on showed a failure (or, with `ok`, a success, which is settled when the
    /// next run starts).
    pub(super) fn ended(&mut self, ok: bool) {
        if !ok && self.key.is_some() && !self.this_run_failed {
            self.this_run_failed = true;
            self.failed_in_a_row += 1;
        }
    }

    /// A file edited or a new request: the next run is a new attempt, not a rerun.
    pub(super) fn changed(&mut self) {
        *self = Reruns::default();
    }

    pub(super) fn failed_in_a_row(&self) -> u32 {
        self.failed_in_a_row
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_and_spacing_do_not_make_another_command_and_other_numbers_do() {
        assert_eq!(
            CommandKey::of("sleep 5 && curl -sf localhost:8080/healthz"),
            CommandKey::of("sleep 30  &&  curl -sf localhost:8080/healthz")
        );
        assert_eq!(CommandKey::of("timeout 10 npm test"), CommandKey::of("timeout 60 npm test"));
        assert_eq!(
            CommandKey::of("bash -lc 'sleep 5 && curl :8080'"),
            CommandKey::of("bash -lc 'sleep 20 && curl :8080'")
        );
        assert_ne!(CommandKey::of("pip install numpy==1.21.6"), CommandKey::of("pip install numpy==2.0.2"));
        assert_ne!(CommandKey::of("curl -sf localhost:3000/health"), CommandKey::of("curl -sf localhost:5173/health"));
        assert_ne!(CommandKey::of("npm test"), CommandKey::of("npm run build"));
        assert_ne!(CommandKey::of("go build ./..."), CommandKey::of("go mod tidy && go build ./..."));
    }

    #[test]
    fn a_pass_line_inside_a_failing_run_does_not_break_the_row() {
        let mut reruns = Reruns::default();
        for _ in 0..3 {
            reruns.started(Some(CommandKey::of("go test ./...")));
            reruns.ended(true);
            reruns.ended(false);
            reruns.ended(true);
        }
        assert_eq!(reruns.failed_in_a_row(), 3);
    }

    #[test]
    fn one_run_counts_once_however_many_errors_it_prints() {
        let mut reruns = Reruns::default();
        for _ in 0..2 {
            reruns.started(Some(CommandKey::of("cargo build")));
            reruns.ended(false);
            reruns.ended(false);
        }
        assert_eq!(reruns.failed_in_a_row(), 2);
    }

    #[test]
    fn another_command_a_success_or_a_change_starts_the_count_again() {
        let npm = Some(CommandKey::of("npm test"));
        let mut reruns = Reruns::default();
        let fail = |reruns: &mut Reruns, key| {
            reruns.started(key);
            reruns.ended(false);
        };
        fail(&mut reruns, npm);
        fail(&mut reruns, npm);
        fail(&mut reruns, Some(CommandKey::of("cat src/auth.ts")));
        assert_eq!(reruns.failed_in_a_row(), 1, "another command");
        fail(&mut reruns, npm);
        reruns.started(npm);
        reruns.ended(true);
        fail(&mut reruns, npm);
        assert_eq!(reruns.failed_in_a_row(), 1, "a success in between");
        reruns.started(npm);
        fail(&mut reruns, npm);
        assert_eq!(reruns.failed_in_a_row(), 1, "a run that showed nothing, as plain output may");
        fail(&mut reruns, npm);
        reruns.changed();
        fail(&mut reruns, npm);
        assert_eq!(reruns.failed_in_a_row(), 1, "an edit in between");
        fail(&mut reruns, None);
        assert_eq!(reruns.failed_in_a_row(), 0, "a command whose text is not known is never a rerun");
    }
}
