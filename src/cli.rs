//! The command line, as clap types. Parsing only; the work happens in `commands/`.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::rules::{Scope, Subject};
use crate::worker::Driver;

mod help;
#[cfg(test)]
mod tests;

use help::*;

#[derive(Debug, Parser)]
#[command(
    name = "axiom",
    version,
    about = "Supervises AI coding agents and other long-running commands, and steps in when they go wrong.",
    after_help = EXIT_CODES
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the rule pipeline over log files or stdin, offline, and report every line a rule matches.
    #[command(after_help = CHECK_HELP)]
    Check(CheckArgs),
    /// Validate, test, list or write out rules.
    #[command(subcommand, after_help = RULES_HELP)]
    Rules(RulesCommand),
    /// Supervise one command from a terminal: its output passes through, interventions are shown.
    #[command(after_help = RUN_HELP)]
    Run(RunArgs),
    /// Run the hub on its own, for workers and clients (`axiom client`).
    #[command(after_help = SERVE_HELP)]
    Serve(ServeArgs),
    /// Run, watch and steer tasks on a running hub.
    #[command(after_help = CLIENT_HELP)]
    Client(ClientArgs),
    /// Serve MCP on stdin/stdout, so Claude Code and other agents can run and steer supervised tasks.
    #[command(after_help = MCP_HELP)]
    Mcp(McpArgs),
    /// A Claude Code command hook: reads the event JSON on stdin, answers with the rules' decision.
    #[command(after_help = HOOK_HELP)]
    Hook(HookArgs),
    /// Install or remove the Claude Code hooks that run `axiom hook`.
    #[command(subcommand, after_help = HOOKS_HELP)]
    Hooks(HooksCommand),
    /// Print a shell completion script for bash, zsh, fish, elvish or powershell.
    #[command(after_help = COMPLETIONS_HELP)]
    Completions {
        /// The shell to complete for.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print axiom's man page (roff), or a subcommand's (`axiom man client tail`), for `man -l -`
    /// or to install as axiom.1, axiom-client-tail.1 and so on.
    #[command(after_help = MAN_HELP)]
    Man {
        /// The subcommand whose page to print (`check`, `client tail`). Default: axiom's own.
        #[arg(value_name = "SUBCOMMAND", conflicts_with = "out")]
        subcommand: Vec<String>,
        /// Write every page (axiom.1, axiom-check.1, axiom-client-tail.1, ...) into this
        /// directory. Default: print the one page asked for.
        #[arg(long, value_name = "DIR")]
        out: Option<std::path::PathBuf>,
    },
    /// The worker process the hub starts for each task (not for direct use). Its token comes from
    /// the pipe named by --token-fd.
    #[command(hide = true, after_help = WORKER_HELP)]
    Worker(WorkerArgs),
}

#[derive(Debug, Clone, Args)]
pub struct RulesArgs {
    /// Rule files or directories (repeatable); `built-in` names the built-in pack, so `--rules
    /// built-in --rules my.yaml` adds rules to it. Default: $AXIOM_RULES, else ./.axiom/rules/, else
    /// $XDG_CONFIG_HOME/axiom/rules/, else the built-in pack. A rules/ directory in the working
    /// directory is only read when named here.
    #[arg(long = "rules", value_name = "PATH")]
    pub paths: Vec<PathBuf>,
}

/// For the long-running hubs (`serve`, `mcp`), which otherwise reload edited rule files.
#[derive(Debug, Clone, Copy, Args)]
pub struct ReloadArgs {
    /// Never reload the rules while running, so editing their files (by a task, say) changes
    /// nothing until the next start. Default: an edited rule file is reloaded (if it is valid).
    #[arg(long)]
    pub rules_locked: bool,
}

/// Whether a command is an AI agent, for rules with `applies_to: agents`.
#[derive(Debug, Clone, Copy, Default, Args)]
pub struct SubjectArgs {
    /// Treat the command as an AI agent, so rules with `applies_to: agents` (silence, planning,
    /// asking permission) watch it too. Default: guessed from the program name (claude, codex,
    /// aider, gemini, opencode, cursor-agent, ...), also behind npx, env and sh -c.
    #[arg(long, conflicts_with = "no_agent", global = true)]
    pub agent: bool,
    /// Treat the command as an ordinary command, even if its name looks like an agent's: only
    /// rules for any command watch it.
    #[arg(long, global = true)]
    pub no_agent: bool,
}

impl SubjectArgs {
    /// The user's choice, if they made one.
    pub fn overridden(self) -> Option<Subject> {
        match (self.agent, self.no_agent) {
            (true, _) => Some(Subject::Agent),
            (_, true) => Some(Subject::Command),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct StateArgs {
    /// State directory (token, hub.json). Default: $AXIOM_STATE_DIR, else $XDG_STATE_HOME/axiom,
    /// else ~/.local/state/axiom.
    #[arg(long, value_name = "DIR", global = true)]
    pub state_dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub rules: RulesArgs,
    /// Run the command on pipes, on a pseudo-terminal (for interactive programs), or through
    /// Claude Code's stream-json channel (`--driver claude -- claude -p PROMPT [options]`).
    /// Default: claude for `claude -p …` (under pipes a correction could not reach it), else pipe.
    #[arg(long, value_enum)]
    pub driver: Option<Driver>,
    #[command(flatten)]
    pub subject: SubjectArgs,
    #[command(flatten)]
    pub prompt: PromptArgs,
    /// Address of the in-process hub the worker connects back to: PORT, :PORT, HOST:PORT (port 0:
    /// any free port).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:0", value_parser = crate::human::parse_listen)]
    pub listen: SocketAddr,
    /// After SIGTERM, how long a killed command gets before SIGKILL.
    #[arg(long, value_name = "DURATION", default_value = "3s", value_parser = crate::human::parse_duration)]
    pub kill_grace: humantime::Duration,
    /// When standard input is a pipe or a file, it is passed to the command, which gets end of file
    /// where it ends. With this, the command's input stays open after that instead, so that
    /// corrections can still be written to it (an agent that reads its first prompt from stdin).
    /// A terminal or /dev/null on stdin is never passed on: the input stays open.
    #[arg(long)]
    pub keep_input_open: bool,
    /// The command and its arguments, run as they are, with no shell (after `--` when the command
    /// could be taken for one of axiom's options).
    #[arg(trailing_var_arg = true, required = true, value_name = "CMD")]
    pub command: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on: PORT, :PORT, HOST:PORT (localhost:8080). Any address but loopback
    /// can be reached from other machines, so it must be asked for explicitly.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:29466", value_parser = crate::human::parse_listen)]
    pub listen: SocketAddr,
    #[command(flatten)]
    pub rules: RulesArgs,
    #[command(flatten)]
    pub reload: ReloadArgs,
    #[command(flatten)]
    pub state: StateArgs,
    /// Allow browser requests with this Origin (repeatable). Default: none; a request with any
    /// Origin header gets 403.
    #[arg(long = "allow-origin", value_name = "ORIGIN")]
    pub allow_origins: Vec<String>,
    /// Output kept in memory per task (512KiB, 8MiB, 1GiB...); older output is read from the
    /// task's history.
    #[arg(long, value_name = "SIZE", default_value = "8MiB", value_parser = crate::human::parse_ring_bytes)]
    pub ring_bytes: usize,
    /// Client connections at once; one more is refused with 503. Workers are not counted: a task
    /// holding the client token cannot keep another task's worker from reconnecting.
    #[arg(long, value_name = "N", default_value_t = 4096, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_clients: u32,
    /// After SIGTERM, how long a killed task gets before SIGKILL.
    #[arg(long, value_name = "DURATION", default_value = "3s", value_parser = crate::human::parse_duration)]
    pub kill_grace: humantime::Duration,
    /// A running task whose worker stays disconnected this long is marked lost (30s, 5min...).
    /// Default: --reconnect-window.
    #[arg(long, value_name = "DURATION", value_parser = crate::human::parse_duration)]
    pub lost_after: Option<humantime::Duration>,
    /// How long the workers of the tasks this hub starts keep their command running while the
    /// hub is unreachable (restarting it, say); then they end it.
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = crate::human::parse_duration)]
    pub reconnect_window: humantime::Duration,
    /// How often the hub pings each worker. A worker that answers nothing for three of these is
    /// dropped; a worker that hears nothing for three (a hub that was stopped or hangs) counts
    /// its connection as lost, and ends its command once the reconnect window has passed.
    #[arg(long, value_name = "DURATION", default_value = "20s", value_parser = crate::human::parse_positive_duration)]
    pub ping_interval: humantime::Duration,
    /// A Claude Code session supervised through `axiom hook` that sends no hook record for this
    /// long is marked lost (one that is killed sends no SessionEnd); its next record, if one
    /// comes, starts a new task.
    #[arg(long, value_name = "DURATION", default_value = "12h", value_parser = crate::human::parse_positive_duration)]
    pub session_idle: humantime::Duration,
    /// Finished task histories older than this are deleted, at start and then every minute (12h,
    /// 7days...).
    #[arg(long, value_name = "DURATION", default_value = "7days", value_parser = crate::human::parse_duration)]
    pub keep_for: humantime::Duration,
    /// Finished task histories beyond this total size on disk (the blocks they take, which for a
    /// short history is more than its length) are deleted, oldest first, at start and then every
    /// minute (500MiB, 1GiB, 2GB...). Running tasks do not count: each is bounded by
    /// --keep-bytes-per-task, and is counted once it ends.
    #[arg(long, value_name = "SIZE", default_value = "1GiB", value_parser = crate::human::parse_bytes)]
    pub keep_bytes: u64,
    /// A running task's whole history (output and interventions) is cut once it grows past this
    /// size, keeping its newest events and interventions; the history says where it was cut and
    /// how many intervention records went.
    #[arg(long, value_name = "SIZE", default_value = "256MiB", value_parser = crate::human::parse_bytes)]
    pub keep_bytes_per_task: u64,
    /// Do not put each task in a cgroup of its own. By default, where the hub may make cgroups
    /// (cgroup v2, its own cgroup writable: as root, or a systemd user service with delegation),
    /// every task runs in one, which ends everything the task started, even what left its process
    /// tree; elsewhere the process tree is all that contains a task.
    #[arg(long, env = "AXIOM_NO_CGROUPS", value_parser = clap::builder::FalseyValueParser::new())]
    pub no_cgroups: bool,
}

#[derive(Debug, Args)]
pub struct McpArgs {
    #[command(flatten)]
    pub rules: RulesArgs,
    #[command(flatten)]
    pub reload: ReloadArgs,
    /// Address of the hub the workers connect back to: PORT, :PORT or HOST:PORT. If the port is
    /// taken, an ephemeral port on the same address is used instead.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:29466", value_parser = crate::human::parse_listen)]
    pub listen: SocketAddr,
    #[command(flatten)]
    pub state: StateArgs,
    /// What `axiom_spawn` runs when it is given a prompt and no command: words separated by spaces
    /// (no shell, no quoting) or a JSON array of strings; `{prompt}` is replaced by the prompt.
    #[arg(long, value_name = "ARGV", default_value = crate::mcp::DEFAULT_AGENT_COMMAND)]
    pub agent_command: String,
    /// Output kept in memory per task (512KiB, 8MiB, 1GiB...).
    #[arg(long, value_name = "SIZE", default_value = "8MiB", value_parser = crate::human::parse_ring_bytes)]
    pub ring_bytes: usize,
    /// After SIGTERM, how long a killed task gets before SIGKILL (for axiom_kill and at shutdown).
    #[arg(long, value_name = "DURATION", default_value = "3s", value_parser = crate::human::parse_duration)]
    pub kill_grace: humantime::Duration,
}

#[derive(Debug, Clone, Args)]
pub struct HubArgs {
    /// Hub address (ws://HOST:PORT, http://HOST:PORT, HOST:PORT, or PORT on loopback). Default: the
    /// running hub's, from <state dir>/hub.json.
    #[arg(long, value_name = "URL", global = true)]
    pub server: Option<String>,
    /// File holding the client token. Default: the token in $AXIOM_TOKEN, else <state dir>/token.
    #[arg(long, value_name = "FILE", global = true)]
    pub token_file: Option<PathBuf>,
    #[command(flatten)]
    pub state: StateArgs,
}

#[derive(Debug, Args)]
pub struct ClientArgs {
    #[command(flatten)]
    pub hub: HubArgs,
    /// Run this command line as a new task (with `sh -c`, in the current directory; under `--driver
    /// claude`, split into Claude Code's own words, with no shell), print its output and
    /// interventions, and exit with its status. Default: none; a subcommand says what to do.
    #[arg(long, value_name = "CMD")]
    pub command: Option<String>,
    /// With --command: on Ctrl-C (or SIGTERM, SIGHUP), leave the task running on the hub and exit.
    /// Default: Ctrl-C stops the task, as `axiom run` does.
    #[arg(long, requires = "command")]
    pub detach: bool,
    /// With --command: when standard input is a pipe or a file, it is passed to the command, which
    /// gets end of file where it ends. With this, the command's input stays open instead, so that
    /// corrections can still be written to it. A terminal or /dev/null is never passed on.
    #[arg(long, requires = "command")]
    pub keep_input_open: bool,
    /// How the --command or `start` task's child is run: on pipes, on a pseudo-terminal, or
    /// through Claude Code's stream-json channel (given before or after `start`).
    #[arg(long, value_enum, default_value_t, global = true)]
    pub driver: Driver,
    /// Write a task's output to a terminal as it is. Default: on a terminal, only its text and
    /// colours are shown, as `less -R` shows them; the escapes that would act on the terminal
    /// (set its title or clipboard, make it answer as if typed, move the cursor) are dropped, and
    /// a carriage return that would draw over a line starts a new one. To a pipe or a file,
    /// output is always written as it is.
    #[arg(long)]
    pub raw: bool,
    #[command(flatten)]
    pub subject: SubjectArgs,
    #[command(flatten)]
    pub prompt: PromptArgs,
    #[command(subcommand)]
    pub action: Option<ClientCommand>,
}

#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// Start a command line as a new task and print its id, then leave it running on the hub.
    #[command(after_help = CLIENT_START_HELP)]
    Start {
        /// The command: one argument is a command line, run with `sh -c` in the current directory
        /// (as with --command); more are the program and its arguments, run as given, without a
        /// shell (`start python3 app.py`; `start -- python3 -u app.py` for options of its own).
        #[arg(value_name = "CMD", required = true, num_args = 1..)]
        command: Vec<String>,
        /// Output format: the id alone, or JSON (`{"task_id": …}`).
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// List the hub's tasks.
    #[command(after_help = CLIENT_LIST_HELP)]
    List {
        /// Output format: a table, or JSON for scripts.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Print a task's output.
    #[command(after_help = CLIENT_TAIL_HELP)]
    Tail {
        /// The task's id, as `axiom client list` shows it.
        task_id: String,
        /// Keep printing new output until the task ends. Default: print what is stored and exit.
        #[arg(long, short)]
        follow: bool,
        /// Only the last N lines of what is stored. Default: all of it.
        #[arg(long, short = 'n', value_name = "N")]
        lines: Option<usize>,
    },
    /// Print a task's whole stored output (also what the in-memory buffer no longer holds).
    #[command(after_help = CLIENT_OUTPUT_HELP)]
    Output {
        /// The task's id, as `axiom client list` shows it.
        task_id: String,
    },
    /// List what the rules did to a task: each rule that fired, on what, its action and message,
    /// and whether it reached the task.
    #[command(after_help = CLIENT_INTERVENTIONS_HELP)]
    Interventions {
        /// The task's id, as `axiom client list` shows it.
        task_id: String,
        /// Output format: a table, or JSON for scripts.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Show the rules in force on the hub and when they were loaded.
    #[command(after_help = CLIENT_RULES_HELP)]
    Rules {
        /// Output format: a table, or JSON for scripts.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Write text to a task's input (followed by Enter).
    #[command(after_help = CLIENT_SEND_HELP)]
    Send {
        /// The task's id, as `axiom client list` shows it.
        task_id: String,
        /// The text to write, as one argument (quote it).
        text: String,
        /// Do not press Enter after the text. Default: Enter is pressed.
        #[arg(long)]
        no_enter: bool,
    },
    /// Interrupt a task (SIGINT, or Ctrl-C on a terminal), then send it a message.
    #[command(after_help = CLIENT_INTERRUPT_HELP)]
    Interrupt {
        /// The task's id, as `axiom client list` shows it.
        task_id: String,
        /// What to write to the task's input (followed by Enter) once it is interrupted, as one
        /// argument (quote it), as `send` takes it. Default: nothing, only the interrupt.
        #[arg(value_name = "TEXT", conflicts_with = "message")]
        text: Option<String>,
        /// The same as TEXT, given as an option. Default: nothing, only the interrupt.
        #[arg(long, short, value_name = "TEXT")]
        message: Option<String>,
    },
    /// End a task's whole process group: SIGTERM, a grace period, then SIGKILL.
    #[command(after_help = CLIENT_KILL_HELP)]
    Kill {
        /// The task's id, as `axiom client list` shows it.
        task_id: String,
        /// How long the task gets after SIGTERM before SIGKILL (500ms, 10s...). Default: the hub's
        /// --kill-grace (3s unless it was started with another).
        #[arg(long, value_name = "DURATION", value_parser = crate::human::parse_duration)]
        grace: Option<humantime::Duration>,
        /// Return once the hub has the request, instead of when the task has ended.
        #[arg(long)]
        no_wait: bool,
    },
}

#[derive(Debug, Args)]
pub struct WorkerArgs {
    /// The hub to connect back to.
    #[arg(long, value_name = "URL")]
    pub server: String,
    /// The task this worker runs; its token is valid for this task only.
    #[arg(long, value_name = "ID")]
    pub task_id: String,
    /// How the child is run.
    #[arg(long, value_enum, default_value_t)]
    pub driver: Driver,
    /// Between an interrupt and its follow-up message.
    #[arg(long, value_name = "DURATION", default_value = "500ms", value_parser = crate::human::parse_duration)]
    pub interrupt_delay: humantime::Duration,
    /// Grace period for kills the hub does not give one for.
    #[arg(long, value_name = "DURATION", default_value = "3s", value_parser = crate::human::parse_duration)]
    pub kill_grace: humantime::Duration,
    /// How long the child keeps running while the hub is unreachable; then it is ended.
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = crate::human::parse_duration)]
    pub reconnect_window: humantime::Duration,
    /// How long an open connection may bring nothing from the hub before it counts as lost: a
    /// hub that was stopped or hangs must not keep the child unsupervised. The worker pings the
    /// hub three times in this window (and the hub pings it), so a live hub is always heard.
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = crate::human::parse_positive_duration)]
    pub hub_silence: humantime::Duration,
    /// An inherited file descriptor to read the task's token from (then closed, before the command
    /// starts, so the command can never read it).
    #[arg(long, value_name = "FD")]
    pub token_fd: i32,
    /// How long writing to the command's input may take before it is given up and reported as not
    /// delivered (the command does not read its input).
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = crate::human::parse_duration)]
    pub write_timeout: humantime::Duration,
    /// Terminal size for the pty driver. Default: 50x200.
    #[arg(long, value_name = "ROWSxCOLS", value_parser = parse_pty_size)]
    pub pty_size: Option<(u16, u16)>,
    #[command(flatten)]
    pub prompt: PromptArgs,
    /// The command and its arguments, after `--`.
    #[arg(last = true, required = true, value_name = "CMD")]
    pub command: Vec<String>,
}

/// How the pty driver recognises the agent's own input prompt.
#[derive(Debug, Clone, Default, Args)]
pub struct PromptArgs {
    /// With `--driver pty`: a regex for the screen row where the agent waits for its user. While a
    /// row matches, the agent is idle, not silent (silence rules wait), and a typed correction is
    /// checked to have left that row. Default: Claude Code's `❯` input box.
    #[arg(long, value_name = "REGEX", value_parser = parse_prompt_pattern, global = true)]
    pub prompt_pattern: Option<String>,
}

/// A regex that [`PromptSpec::custom`](crate::pipeline::PromptSpec::custom) accepts.
pub fn parse_prompt_pattern(text: &str) -> Result<String, String> {
    crate::pipeline::PromptSpec::custom(text).map(|_| text.to_owned())
}

/// `ROWSxCOLS`, both at least 1.
pub fn parse_pty_size(text: &str) -> Result<(u16, u16), String> {
    let bad = || format!("`{text}` is not a terminal size; expected ROWSxCOLS such as 50x200");
    let (rows, cols) = text.split_once(['x', 'X']).ok_or_else(bad)?;
    let rows: u16 = rows.trim().parse().map_err(|_| bad())?;
    let cols: u16 = cols.trim().parse().map_err(|_| bad())?;
    if rows == 0 || cols == 0 {
        return Err(bad());
    }
    Ok((rows, cols))
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum Format {
    #[default]
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour when stdout is a terminal and NO_COLOR is not set.
    #[default]
    Auto,
    /// Colour even on a pipe (for `less -R`).
    Always,
    /// Never colour.
    Never,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub rules: RulesArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
    /// Print no matches, only the one-line summary (the exit status still says whether any rule
    /// matched).
    #[arg(long, short)]
    pub quiet: bool,
    /// After the summary, list every rule applied with its number of matches (rules without a
    /// match too), as fail2ban-regex does.
    #[arg(long)]
    pub stats: bool,
    /// Which rules to apply: those for task output, those for spawn prompts, or those for tool calls
    /// (one `TOOL: ARGUMENT` line per call).
    #[arg(long, value_enum, default_value_t = ScopeArg::Output)]
    pub scope: ScopeArg,
    /// When to colour text output.
    #[arg(long, value_enum, default_value_t)]
    pub color: ColorChoice,
    /// Threads that match at once. Large inputs are cut into blocks at line boundaries; the report
    /// is the same with any number. Default: one per core.
    #[arg(long, short = 'j', value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub threads: Option<u16>,
    /// Check agent transcripts as plain text too. By default a Claude Code or Codex CLI session
    /// JSONL, or an Aider chat history, is recognised by its content and read as events.
    #[arg(long)]
    pub as_text: bool,
    /// Files or directories to check; `-` is stdin. A directory is searched recursively as ripgrep
    /// does: files matched by .gitignore or .ignore, hidden files and binary files (NUL bytes) are
    /// left out, except Aider's `.aider.chat.history.md`, which is always checked. Agent
    /// transcripts (Claude Code's `~/.claude/projects`, Codex CLI's `~/.codex/sessions`, Aider's
    /// history) are judged event by event: prompts by prompt rules, tool calls by tool rules, the
    /// rest by output rules, with tool calls and their exit status as evidence; `--scope` applies
    /// to plain text only. Default: stdin.
    #[arg(value_name = "PATH")]
    pub files: Vec<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScopeArg {
    /// Rules for what a task prints.
    Output,
    /// Rules for what an agent is asked.
    Prompt,
    /// Rules for tool calls, one `TOOL: ARGUMENT` line each (`Bash: rm -rf build`).
    Tool,
}

impl From<ScopeArg> for Scope {
    fn from(scope: ScopeArg) -> Scope {
        match scope {
            ScopeArg::Output => Scope::Output,
            ScopeArg::Prompt => Scope::Prompt,
            ScopeArg::Tool => Scope::Tool,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Check rule files; print every problem as FILE:LINE:COL: message (exit 2 if any).
    #[command(after_help = RULES_VALIDATE_HELP)]
    Validate {
        #[command(flatten)]
        rules: RulesArgs,
        /// Output format: text, or JSON lines for editors and CI (`{"type":"problem", file, line,
        /// column, rule, message}` for each problem, then `{"type":"summary", ok, problems, rules,
        /// files, origin}`).
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Run every rule's embedded tests through the real pipeline, and check that no rule's message
    /// triggers a rule; ends with `N passed, M failed` (exit 1 if any failed).
    ///
    /// With `--corpus FILE`, runs a labelled corpus instead (JSON lines with `id`, `agent`, `kind`,
    /// `should_fire`, `text`) and reports recall and false fires per rule, per kind and per agent.
    #[command(after_help = RULES_TEST_HELP)]
    Test {
        #[command(flatten)]
        rules: RulesArgs,
        /// A labelled JSONL corpus to measure the rules on, instead of their embedded tests.
        /// Default: none; the embedded tests run.
        #[arg(long, value_name = "FILE")]
        corpus: Option<PathBuf>,
        /// Output format: of the corpus report, or of the tests' outcome (JSON: passed, failed,
        /// skipped, and each failure as a record: rule, file, line, column, check (`test` with
        /// input, expected, got and where it fired; `message` with the rules it would trigger)).
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Write the built-in rule pack out as YAML files to edit.
    #[command(after_help = RULES_INIT_HELP)]
    Init {
        /// Where to write the files (created if missing); .axiom/rules in the current directory is
        /// where axiom looks for a project's rules.
        #[arg(value_name = "DIR", default_value = ".axiom/rules")]
        dir: PathBuf,
        /// Overwrite files that already exist.
        #[arg(long)]
        force: bool,
    },
    /// List the rules in force; with a command, only those that would watch it.
    #[command(after_help = RULES_LIST_HELP)]
    List {
        #[command(flatten)]
        rules: RulesArgs,
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
        #[command(flatten)]
        subject: SubjectArgs,
        /// A command line (after `--`): list only the rules that would watch it. Default: list every
        /// rule.
        #[arg(last = true, value_name = "CMD")]
        command: Vec<String>,
    },
}

#[derive(Debug, Args)]
pub struct HookArgs {
    /// Rule files or directories (repeatable); `built-in` names the built-in pack. Default:
    /// $AXIOM_RULES, else the built-in pack. The hook never looks for rules where the agent works:
    /// `hooks install` names a project's here.
    #[arg(long = "rules", value_name = "PATH")]
    pub rules: Vec<PathBuf>,
    /// When the hook itself fails (bad input, bad rules), block (exit 2) instead of letting the
    /// session continue. Default: a failing hook lets the session continue.
    #[arg(long)]
    pub fail_closed: bool,
    /// Where to record each decision: the running hub (as `axiom client` finds it). Without a
    /// running hub nothing is recorded.
    #[command(flatten)]
    pub hub: HubArgs,
}

#[derive(Debug, Subcommand)]
pub enum HooksCommand {
    /// Add axiom's hooks to a Claude Code settings file (running it twice changes nothing).
    #[command(after_help = HOOKS_INSTALL_HELP)]
    Install(HooksInstallArgs),
    /// Remove exactly the hooks `install` added.
    #[command(after_help = HOOKS_UNINSTALL_HELP)]
    Uninstall(HooksUninstallArgs),
}

#[derive(Debug, Args)]
pub struct HooksArgs {
    /// Which Claude Code settings file.
    #[arg(long, value_enum, default_value_t = HooksScope::Local)]
    pub scope: HooksScope,
    /// The project directory. Default: the current one.
    #[arg(long, value_name = "DIR")]
    pub project: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct HooksUninstallArgs {
    #[command(flatten)]
    pub target: HooksArgs,
    /// Taken so that a script can give uninstall what it gave install, and not shown: axiom's
    /// hooks are removed whatever rules they name. Default: none.
    #[arg(long = "rules", value_name = "PATH", hide = true)]
    pub rules: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct HooksInstallArgs {
    #[command(flatten)]
    pub target: HooksArgs,
    /// Rule files or directories the hook uses (repeatable; `built-in` names the built-in pack).
    /// Default: the rule directory found now (the project's .axiom/rules/, else
    /// ~/.config/axiom/rules/), unless $AXIOM_RULES is set.
    #[arg(long = "rules", value_name = "PATH")]
    pub rules: Vec<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HooksScope {
    /// PROJECT/.claude/settings.local.json: yours, not shared.
    Local,
    /// PROJECT/.claude/settings.json: shared with the repository.
    Project,
    /// ~/.claude/settings.json (or $CLAUDE_CONFIG_DIR/settings.json): every project of yours.
    User,
}
