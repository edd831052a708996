//! The tools' arguments and results, as serde types with JSON schemas.
//!
//! The doc comments become the schemas' `description`s, which is what a model reads to decide how
//! to call a tool: they say what a field means and what to pass, not how it is implemented.
//! Arguments reject unknown fields, so a misspelled argument is reported instead of ignored.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::protocol::InterventionRecord;
pub use crate::task_view::TaskView;
use crate::worker::Driver;

// ---------------------------------------------------------------------------------------------
// Arguments
// ---------------------------------------------------------------------------------------------

/// How the task's standard streams are connected.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum DriverArg {
    /// Pipes: right for batch tools and other agents' headless modes.
    #[default]
    Pipe,
    /// A pseudo-terminal: for interactive programs and TUIs that only prompt on a terminal.
    Pty,
    /// Claude Code's stream-json channel for `claude -p PROMPT`: corrections become user messages
    /// and tool calls are checked by the `tool` rules before they run.
    Claude,
}

impl From<DriverArg> for Driver {
    fn from(driver: DriverArg) -> Driver {
        match driver {
            DriverArg::Pipe => Driver::Pipe,
            DriverArg::Pty => Driver::Pty,
            DriverArg::Claude => Driver::Claude,
        }
    }
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SpawnArgs {
    /// The program and its arguments (argv; no shell is involved: to use pipes or `&&`, pass
    /// ["sh", "-c", "..."]). Every `{prompt}` inside an element is replaced by `prompt`. Omit it
    /// to run the server's configured agent command with `prompt`.
    #[serde(default)]
    pub command: Option<Vec<String>>,
    /// The task for an agent. Checked against the prompt rules first: a dangerous request is
    /// refused, a vague one starts with warnings in the result.
    #[serde(default)]
    pub prompt: Option<String>,
    /// Working directory (absolute, or relative to the server's). Default: the server's.
    #[serde(default)]
    pub cwd: Option<String>,
    /// Extra environment variables for the command.
    #[serde(default)]
    pub env: Option<BTreeMap<String, String>>,
    /// `pipe`, `pty` or `claude`. Default: `claude` for `claude -p …` (the default agent command
    /// included), else `pipe`.
    #[serde(default)]
    pub driver: Option<DriverArg>,
    /// With `driver: pty`: a regex for the screen row where the agent waits for its user
    /// (default: Claude Code's `❯` input box). While a row matches, the agent is idle, not silent.
    #[serde(default)]
    pub prompt_pattern: Option<String>,
    /// Whether the command is an AI agent, so that the rules for agents (`applies_to: agents`:
    /// placeholders, planning, asking permission, silence) watch it too. Default: guessed from the
    /// program (claude, codex, aider, gemini, …, also behind npx, env and `sh -c`); true for the configured
    /// agent command, run when only `prompt` is given.
    #[serde(default)]
    pub agent: Option<bool>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusArgs {
    /// One task; omit it to list every task.
    #[serde(default)]
    pub task_id: Option<String>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OutputArgs {
    /// The task whose output to read.
    pub task_id: String,
    /// Only the last N lines.
    #[serde(default)]
    pub tail_lines: Option<usize>,
    /// A `cursor` from an earlier call: only output printed after it is returned.
    #[serde(default)]
    pub since: Option<u64>,
    /// Keep terminal escape sequences (colours, cursor moves). Default false: plain text.
    #[serde(default)]
    pub raw: Option<bool>,
    /// Most bytes of output returned (default 65536, at most 1048576).
    #[serde(default)]
    pub max_bytes: Option<usize>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SendArgs {
    /// The task to write to.
    pub task_id: String,
    /// The text to type into the task's input.
    pub text: String,
    /// Press Enter after the text (default true).
    #[serde(default)]
    pub enter: Option<bool>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InterruptArgs {
    /// The task to interrupt.
    pub task_id: String,
    /// Sent to the task's input shortly after the interrupt, e.g. a corrected instruction.
    #[serde(default)]
    pub message: Option<String>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KillArgs {
    /// The task to end.
    pub task_id: String,
    /// Milliseconds between SIGTERM and SIGKILL (default: the server's --kill-grace, 3000).
    #[serde(default)]
    pub grace_ms: Option<u64>,
}

/// What `axiom_wait` waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum WaitUntil {
    /// The task ends.
    Exit,
    /// A rule fires on the task's output (or the task ends).
    Intervention,
    /// The task prints something (or ends).
    Output,
}

impl WaitUntil {
    pub fn as_str(self) -> &'static str {
        match self {
            WaitUntil::Exit => "exit",
            WaitUntil::Intervention => "intervention",
            WaitUntil::Output => "output",
        }
    }
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WaitArgs {
    /// The task to wait on.
    pub task_id: String,
    /// `exit`, `intervention` or `output`.
    pub until: WaitUntil,
    /// Give up after this many seconds (at most 3600); the result then says `timeout`.
    pub timeout_s: f64,
    /// Count only what came after this point: for `intervention`, the number of interventions
    /// already seen (the task's `interventions`); for `output`, an output `cursor`. Default: now.
    #[serde(default)]
    pub since: Option<u64>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InterventionsArgs {
    /// One task; omit it for every task.
    #[serde(default)]
    pub task_id: Option<String>,
    /// With `task_id`: skip the task's first `since` interventions (pass `next` from an earlier
    /// call to see only new ones). A count, not an intervention's `id`.
    #[serde(default)]
    pub since: Option<usize>,
}

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RulesArgs {}

/// Which rules `axiom_check` applies.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ScopeArg {
    /// Rules for task output (default).
    #[default]
    Output,
    /// Rules for spawn prompts.
    Prompt,
    /// Rules for tool calls, one `TOOL: ARGUMENT` line per call (`Bash: rm -rf build`).
    Tool,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckArgs {
    /// Text to run through the rules, as if a task had printed it (or, with scope `prompt`, as a
    /// spawn prompt; with scope `tool`, as tool calls written `TOOL: ARGUMENT`, such as
    /// `Bash: rm -rf build`). Each line is judged on its own.
    pub text: String,
    /// `output` (default), `prompt` or `tool`.
    #[serde(default)]
    pub scope: Option<ScopeArg>,
}

// ---------------------------------------------------------------------------------------------
// Results
// ---------------------------------------------------------------------------------------------

/// A rule that fired on a prompt without refusing it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct PromptWarning {
    pub rule: String,
    pub severity: String,
    pub message: Option<String>,
    /// The text in the prompt that matched.
    pub matched: String,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SpawnResult {
    pub task_id: String,
    /// The command's process id; null if it had not started yet when this returned.
    pub pid: Option<u32>,
    /// Usually `running`; `starting` if the command was still being launched.
    pub status: String,
    /// The argv that runs, after `{prompt}` substitution.
    pub command: Vec<String>,
    /// Prompt rules that fired without refusing the spawn; consider revising the prompt.
    pub warnings: Vec<PromptWarning>,
    /// The task's output as an MCP resource (subscribe for updates).
    pub resource_uri: String,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct StatusResult {
    pub tasks: Vec<TaskView>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct OutputResult {
    pub task_id: String,
    /// The output; plain text unless `raw` was set.
    pub text: String,
    /// Pass as `since` next time to read only newer output.
    pub cursor: u64,
    /// Where `text` starts, as a cursor.
    pub start: u64,
    /// Output between where you asked to start and `start` is not included (it was dropped from
    /// the buffer, or it did not fit in `max_bytes`).
    pub truncated: bool,
    /// More output is already available after `cursor`: call again with `since: cursor`.
    pub more: bool,
    /// The task's status, so you know whether more output can come.
    pub status: String,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SendResult {
    pub task_id: String,
    /// Bytes of text queued for the task's input (Enter not counted).
    pub bytes: usize,
    pub enter: bool,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct InterruptResult {
    pub task_id: String,
    /// The intervention's id in axiom_interventions, where its delivery is reported.
    pub intervention_id: u64,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct KillResult {
    /// Whether the task has ended by the time this returned.
    pub ended: bool,
    pub task: TaskView,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct InterventionView {
    /// The intervention's id within its task.
    pub id: u64,
    /// Milliseconds since the Unix epoch.
    pub at: u64,
    pub task_id: String,
    /// The rule that fired, or `manual` for axiom_interrupt / axiom_kill.
    pub rule: String,
    /// info, warning, error or critical.
    pub severity: String,
    /// warn (nothing sent), inject (message typed into the task), interrupt, or kill.
    pub action: String,
    /// The text that matched; empty for silence rules and manual interventions.
    pub matched: String,
    /// The message sent to the task (or shown, for warn).
    pub message: Option<String>,
    /// Whether it reached the task; null while the worker has not confirmed it.
    pub delivered: Option<bool>,
    /// Why delivery failed.
    pub error: Option<String>,
}

impl From<InterventionRecord> for InterventionView {
    fn from(record: InterventionRecord) -> InterventionView {
        InterventionView {
            id: record.id,
            at: record.at,
            task_id: record.task_id,
            rule: record.rule,
            severity: record.severity.as_str().to_owned(),
            action: record.action.as_str().to_owned(),
            matched: record.matched,
            message: record.message,
            delivered: record.delivered,
            error: record.error,
        }
    }
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct WaitResult {
    /// exit, intervention, output or timeout.
    pub reason: String,
    pub task: TaskView,
    /// The interventions made while waiting (with `until: intervention` and `since`, since then).
    pub interventions: Vec<InterventionView>,
    /// Seconds waited.
    pub waited_s: f64,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct InterventionsResult {
    pub interventions: Vec<InterventionView>,
    /// With `task_id`: pass as `since` to see only later interventions.
    pub next: Option<usize>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct RulesResult {
    /// Where the rules were loaded from.
    pub origin: String,
    /// When these rules were loaded (milliseconds since the Unix epoch); rule files are watched and
    /// reloaded when they change.
    pub loaded_at: u64,
    pub rules: Vec<crate::rules::RuleSummary>,
}

/// A rule firing that `axiom_check` found.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct CheckMatch {
    pub rule: String,
    pub severity: String,
    /// What a live task would get: warn, inject, interrupt or kill.
    pub action: String,
    /// 1-based line of `text`.
    pub line: Option<u64>,
    /// 1-based byte column of the match in the line (escapes removed).
    pub column: usize,
    pub matched: String,
    /// The line as matched.
    pub text: String,
    pub message: Option<String>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct CheckResult {
    pub scope: String,
    pub matches: Vec<CheckMatch>,
    /// Lines checked.
    pub lines: u64,
}
