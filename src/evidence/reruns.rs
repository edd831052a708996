//! The same command failing run after run, with nothing changed in between: a loop. "Retrying",
//! "let me run that again", a longer `sleep` before the same `curl`: the agent hopes for another
//! outcome from the same input.

use std::hash::{DefaultHasher, Hash, Hasher};

use super::runners::is_test_command;
use crate::shell::{commands_shared, SimpleCommand, GIT_OPTIONS_WITH_VALUE};

/// Which command a run was, its waits and the shaping of its output aside, so two runs can be
/// told apart or not: `sleep 5 && curl :8080` and `sleep 30 && curl :8080` are one command waited
/// on longer; `npm test`, `npm test 2>&1 | tail -40` and `npm test -- --verbose` one command read
/// three ways; `pip install numpy==1.21` and `numpy==1.26` are two.
///
/// What counts as shaping the output, and no other command: the pipe stages that end a pipeline
/// and only cut what it prints (`| tail -N`, `| head -N`, `| less`, `| more`, `| cat`), or filter a
/// test run's (`npm test | grep FAIL`; after another command the pattern is the question asked:
/// `ps aux | grep node`), `2>&1`, a redirection to `/dev/null`; and, in a test command only, the
/// options that say how much it prints or how (`-v`, `-vv`, `-q`, `--verbose`, `--quiet`, `--silent`,
/// `--reporter=…`, `--tb=…`, `--color`, `--nocapture`). Not `-v` elsewhere (`grep -v` inverts,
/// `docker run -v` mounts), not `| tee FILE` or `> FILE` (they write a file), not a stage in the
/// middle of a pipeline (`| grep x | sh`), not options that change which tests run (`-x`, `-k`,
/// `-run`). Codex shows where a command ran after it (`bash -lc 'npm test' in /w/api`): the place
/// is part of the command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommandKey {
    hash: u64,
    reads_only: bool,
}

/// Words after which a number is how long to wait, and options that say so.
const WAITS: &[&str] = &["sleep", "timeout", "--timeout", "--max-time", "-m", "--wait", "--retry-delay"];

/// Programs that, as a pipeline's last stages, only cut what it prints ...
const SHAPING: &[&str] = &["tail", "head", "less", "more", "cat"];
/// ... and those that filter it, which only a test run's output is read through: after another
/// command (`ps aux | grep node`, `pip list | grep numpy`) the pattern is the question asked.
const FILTERS: &[&str] = &["grep", "egrep", "fgrep"];

/// A test command's options that say how much it prints, or how.
const VERBOSITY: &[&str] = &[
    "-v",
    "-vv",
    "-vvv",
    "-q",
    "-qq",
    "--verbose",
    "--quiet",
    "--silent",
    "--color",
    "--colors",
    "--no-color",
    "--nocapture",
    "--no-capture",
];
/// The same, with a value (`--reporter=dot`, `--tb=short`, `--color=always`) ...
const VERBOSITY_VALUED: &[&str] = &["--reporter", "--reporters", "--tb", "--color", "--verbose"];
/// ... or the value as the next word (`--reporter dot`).
const VALUE_FOLLOWS: &[&str] = &["--reporter", "--reporters", "--tb"];

/// Programs that only read (a file, a directory, the repository): run between two runs of a
/// command, they change nothing it depends on.
const READERS: &[&str] = &[
    "ls", "pwd", "cat", "head", "tail", "less", "more", "wc", "grep", "egrep", "fgrep", "rg", "tree", "stat", "file",
    "which", "diff", "echo",
];
/// What `git` only reads with.
const GIT_READERS: &[&str] = &["status", "diff", "log", "show", "blame"];

impl CommandKey {
    pub fn of(script: &str) -> CommandKey {
        let found = commands_shared(script);
        let mut hasher = DefaultHasher::new();
        if found.is_empty() {
            hash_words(script.split_whitespace(), &mut hasher);
            return CommandKey { hash: hasher.finish(), reads_only: false };
        }
        let shaping = shaping_stages(&found);
        for (command, shaping) in found.iter().zip(&shaping) {
            if *shaping {
                continue;
            }
            // where one command ends and the next begins
            (command.pipeline, command.stage).hash(&mut hasher);
            if is_test_command(command) {
                let mut words = command.words.iter().map(String::as_str);
                let mut kept = Vec::new();
                while let Some(word) = words.next() {
                    let glued = word.split_once('=').is_some_and(|(name, _)| VERBOSITY_VALUED.contains(&name));
                    if VALUE_FOLLOWS.contains(&word) {
                        words.next();
                    } else if !VERBOSITY.contains(&word) && !glued {
                        kept.push(word);
                    }
                }
                // `npm test -- --verbose`: the `--` passed nothing on
                if kept.last() == Some(&"--") {
                    kept.pop();
                }
                hash_words(kept.into_iter(), &mut hasher);
            } else {
                hash_words(command.words.iter().map(String::as_str), &mut hasher);
            }
        }
        if let Some(place) = codex_place(script) {
            place.hash(&mut hasher);
        }
        let reads_only = found.iter().all(|command| {
            if command.is_redirection() {
                return command.words.get(1).is_some_and(|file| file == "/dev/null");
            }
            READERS.contains(&command.program()) || (command.program() == "git" && git_reads_only(command))
        });
        CommandKey { hash: hasher.finish(), reads_only }
    }

    /// Whether the command only reads (`git status`, `git diff`, `ls`, `cat FILE`, `pwd`): it
    /// neither edits nor changes how another command ends, so it is no run of its own.
    pub fn reads_only(&self) -> bool {
        self.reads_only
    }
}

/// Hashes `words`, a number after a wait word (`sleep 5`, `--max-time=30`) left out.
fn hash_words<'a>(words: impl Iterator<Item = &'a str>, hasher: &mut DefaultHasher) {
    let mut previous = "";
    for word in words {
        let glued = |option: &&str| word.strip_prefix(*option).is_some_and(|rest| rest.starts_with('='));
        let wait = WAITS.contains(&previous) || WAITS.iter().any(glued);
        if wait {
            word.chars().filter(|c| !c.is_ascii_digit() && *c != '.').for_each(|c| c.hash(hasher));
        } else {
            word.hash(hasher);
        }
        previous = word.trim_start_matches(['(', ';', '&', '|', '\'', '"']);
    }
}

/// Which of `found` only shape the output: the last stages of a pipeline that filter it, and
/// redirections to `/dev/null` at its end (a redirection is listed right after its command).
fn shaping_stages(found: &[SimpleCommand]) -> Vec<bool> {
    let tested: Vec<u32> =
        found.iter().filter(|command| command.stage == 0 && is_test_command(command)).map(|c| c.pipeline).collect();
    let mut shaping = vec![false; found.len()];
    let mut pipeline = None;
    let mut tail_shapes = true;
    for (at, command) in found.iter().enumerate().rev() {
        if pipeline != Some(command.pipeline) {
            pipeline = Some(command.pipeline);
            tail_shapes = true;
        }
        let shapes = if command.is_redirection() {
            command.words.get(1).is_some_and(|file| file == "/dev/null")
        } else {
            let program = command.program();
            command.stage > 0
                && !command.through_xargs
                && (SHAPING.contains(&program) || (FILTERS.contains(&program) && tested.contains(&command.pipeline)))
        };
        tail_shapes &= shapes;
        shaping[at] = tail_shapes;
    }
    shaping
}

/// `git` with a subcommand that only reads.
fn git_reads_only(command: &SimpleCommand) -> bool {
    let args = command.args();
    let mut at = 0;
    while let Some(word) = args.get(at).filter(|word| word.starts_with('-')) {
        at += 1 + usize::from(GIT_OPTIONS_WITH_VALUE.contains(&word.as_str()));
    }
    args.get(at).is_some_and(|subcommand| GIT_READERS.contains(&subcommand.as_str()))
}

/// Where Codex shows a command ran: `bash -lc '…' in /w/api`.
fn codex_place(script: &str) -> Option<&str> {
    let (command, place) = script.trim_end().rsplit_once(" in ")?;
    (command.ends_with(['\'', '"']) && !place.is_empty() && !place.contains(char::is_whitespace)).then_some(place)
}

/// How many runs in a row of one command failed since anything changed.
#[derive(Debug, Default)]
pub(super) struct Reruns {
    /// The command that ran last; `None` when its text is not known.
    key: Option<CommandKey>,
    failed_in_a_row: u32,
    /// Whether the run going on already counted as failed (a failed build prints many errors).
    this_run_failed: bool,
    /// Whether a command that only reads runs now between two failed runs of another (`git
    /// status`): what it shows is not the run's, and the row goes on after it.
    looking: bool,
}

impl Reruns {
    /// A run starts; the one before it is settled: if nothing it printed was a failure, it broke
    /// the row (its outcome is known only now: `go test ./...` prints `ok` for one package and
    /// `FAIL` for the next, and plain output may show no outcome at all). A command that only
    /// reads, between failed runs of another, is no run: it neither breaks their row nor adds to
    /// it. Run again and again itself (`ls missing-dir`), it is a row of its own.
    pub(super) fn started(&mut self, key: Option<CommandKey>) {
        let another_failing = self.key.is_some() && key != self.key && self.this_run_failed;
        self.looking = another_failing && key.is_some_and(|key| key.reads_only());
        if self.looking {
            return;
        }
        if !self.this_run_failed || key.is_none() || key != self.key {
            self.failed_in_a_row = 0;
        }
        self.key = key;
        self.this_run_failed = false;
    }

    /// The run going on showed a failure (or, with `ok`, a success, which is settled when the
    /// next run starts).
    pub(super) fn ended(&mut self, ok: bool) {
        if !ok && self.key.is_some() && !self.this_run_failed && !self.looking {
            self.this_run_failed = true;
            self.failed_in_a_row += 1;
        }
    }

    /// A file edited or a new request: the next run is a new attempt, not a rerun.
    pub(super) fn changed(&mut self) {
        *self = Reruns::default();
    }

    /// Whether the run going on already showed a failure (its error line, before its summary).
    pub(super) fn run_failed(&self) -> bool {
        self.this_run_failed && !self.looking
    }

    /// The failed runs in a row, while the last of them is what runs (not a command that reads).
    pub(super) fn failed_in_a_row(&self) -> u32 {
        if self.looking {
            0
        } else {
            self.failed_in_a_row
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A run of the command `key` that fails.
    fn fail(reruns: &mut Reruns, key: Option<CommandKey>) {
        reruns.started(key);
        reruns.ended(false);
    }

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
    fn a_command_that_only_reads_keeps_anothers_row_and_failing_again_and_again_is_one() {
        let (npm, status, ls) =
            (CommandKey::of("npm test"), CommandKey::of("git status"), CommandKey::of("ls missing-dir"));
        let mut reruns = Reruns::default();
        for key in [npm, status, npm, status, npm] {
            reruns.started(Some(key));
            if key == npm {
                reruns.ended(false);
            }
        }
        assert_eq!(reruns.failed_in_a_row(), 3, "git status between the runs");
        let mut reruns = Reruns::default();
        for _ in 0..3 {
            reruns.started(Some(ls));
            reruns.ended(false);
        }
        assert_eq!(reruns.failed_in_a_row(), 3, "ls failing three times");
    }

    #[test]
    fn the_shaping_of_the_output_does_not_make_another_command() {
        let npm = CommandKey::of("npm test");
        for shaped in [
            "npm test 2>&1",
            "npm test 2>&1 | tail -40",
            "npm test | tail -n 40",
            "npm test 2>&1 | grep -E 'FAIL|Error' | head -20",
            "npm test | less",
            "npm test > /dev/null 2>&1",
            "npm test -- --verbose",
            "npm test -- --reporter=dot",
            "npm test -- --reporter dot",
        ] {
            assert_eq!(CommandKey::of(shaped), npm, "{shaped}");
        }
        assert_eq!(CommandKey::of("pytest -q tests/"), CommandKey::of("pytest -vv --tb=short tests/"));
        assert_eq!(CommandKey::of("go test -v ./..."), CommandKey::of("go test ./... 2>&1 | tail -30"));
        assert_eq!(
            CommandKey::of("bash -lc 'npm test 2>&1 | tail -20' in /w/api"),
            CommandKey::of("bash -lc 'npm test' in /w/api")
        );
    }

    #[test]
    fn what_changes_the_command_still_makes_another() {
        let differ = [
            ("npm test", "npm test | tee test.log"),
            ("npm test", "npm test > test.log"),
            ("grep -rn TODO src", "grep -rvn TODO src"),
            ("grep TODO src/a.ts", "grep -v TODO src/a.ts"),
            ("curl -s localhost:8080 | grep -q ok", "curl -s localhost:8080 | grep -q ok | sh"),
            ("pytest tests/", "pytest -x tests/"),
            ("go test -run TestA ./...", "go test -run TestB ./..."),
            ("docker run -v /a:/b img", "docker run /a:/b img"),
            ("npm test", "npm install && npm test"),
            ("bash -lc 'npm test' in /w/api", "bash -lc 'npm test' in /w/web"),
            ("ps aux | grep node", "ps aux | grep python"),
            ("cargo build 2>&1 | grep error", "cargo build 2>&1 | grep -B5 error"),
        ];
        for (one, other) in differ {
            assert_ne!(CommandKey::of(one), CommandKey::of(other), "{one} / {other}");
        }
    }

    #[test]
    fn commands_that_only_read() {
        for reads in [
            "git status",
            "git diff src/app.ts",
            "git --no-pager log --oneline -5",
            "git -C api show HEAD",
            "ls -la",
            "cat src/auth.ts",
            "pwd",
            "cat package.json | grep jest",
            "bash -lc 'git status' in /w/api",
        ] {
            assert!(CommandKey::of(reads).reads_only(), "{reads}");
        }
        for writes in [
            "npm install",
            "rm -rf node_modules",
            "git checkout src/app.ts",
            "git stash",
            "cat a.txt > b.txt",
            "cd api && ls",
            "ls | xargs rm",
            "echo $(rm -rf build)",
            "sed -i 's/a/b/' src/a.ts",
            "npm test",
        ] {
            assert!(!CommandKey::of(writes).reads_only(), "{writes}");
        }
    }

    #[test]
    fn a_command_that_only_reads_between_two_runs_does_not_break_the_row() {
        let npm = Some(CommandKey::of("npm test"));
        let mut reruns = Reruns::default();
        fail(&mut reruns, npm);
        fail(&mut reruns, Some(CommandKey::of("cat src/auth.ts")));
        assert_eq!(reruns.failed_in_a_row(), 0, "what the read shows is not the row's");
        fail(&mut reruns, Some(CommandKey::of("git diff")));
        fail(&mut reruns, npm);
        fail(&mut reruns, Some(CommandKey::of("git status")));
        fail(&mut reruns, Some(CommandKey::of("npm test 2>&1 | tail -20")));
        assert_eq!(reruns.failed_in_a_row(), 3);
        fail(&mut reruns, Some(CommandKey::of("git checkout package-lock.json")));
        fail(&mut reruns, npm);
        assert_eq!(reruns.failed_in_a_row(), 1, "a command that changes something breaks it");
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
        fail(&mut reruns, npm);
        fail(&mut reruns, npm);
        fail(&mut reruns, Some(CommandKey::of("npm install")));
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
