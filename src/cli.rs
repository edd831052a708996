//! The command line, as clap types. Parsing only; the work happens in `commands/`.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::rules::{Scope, Subject};
use crate::worker::Driver;

const EXIT_CODES: &str = "\
Exit status:
  0  success (for `check`: no rule matched)
  1  `check`: at least one rule matched; `rules test`: a test failed
  2  an error: bad rules (FILE:LINE:COL is printed), an unreadable file, bad arguments";

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
    /// Validate, test or list rules.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Supervise one command from a terminal: its output passes through, interventions are shown.
    #[command(after_help = RUN_HELP)]
    Run(RunArgs),
    /// Run the hub on its own, for workers and clients (`axiom client`).
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
    #[command(subcommand)]
    Hooks(HooksCommand),
    /// Print a shell completion script for bash, zsh, fish, elvish or powershell.
    #[command(after_help = COMPLETIONS_HELP)]
    Completions {
        /// The shell to complete for.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print axiom's man page (roff), for `man -l -` or to install as axiom.1.
    #[command(after_help = MAN_HELP)]
    Man,
    /// The worker process the hub starts for each task (not for direct use). Its token comes from
    /// the pipe named by --token-fd.
    #[command(hide = true)]
    Worker(WorkerArgs),
}

const HOOK_HELP: &str = "\
PreToolUse is judged by the `tool` rules (`deny` refuses the call with the rule's message),
UserPromptSubmit by the `prompt` rules, PostToolUse by the `output` rules over the tool's response,
Stop by the `output` rules over the turn's assistant text (a firing rule blocks the stop once; the
model continues with its message). A failing hook says why on stderr and lets the session go on,
unless --fail-closed. Install it with `axiom hooks install`.";

const COMPLETIONS_HELP: &str = "\
Examples:
  axiom completions bash > ~/.local/share/bash-completion/completions/axiom
  axiom completions zsh > ~/.zfunc/_axiom        # with fpath+=~/.zfunc before compinit
  axiom completions fish > ~/.config/fish/completions/axiom.fish";

const MAN_HELP: &str = "\
Examples:
  axiom man | man -l -
  axiom man > ~/.local/share/man/man1/axiom.1";

const RUN_HELP: &str = "\
The command runs in a worker process that streams its output to an in-process hub, where the rules
watch it. Its stdout and stderr pass through; each intervention is printed on stderr. The exit status
is the command's own (128+N when signal N ended it). Ctrl-C ends the command's whole process group.

Examples:
  axiom run -- claude -p 'add a --verbose flag'
  axiom run --driver pty -- claude
  axiom run --rules my-rules/ -- npm test";

const CLIENT_HELP: &str = "\
Without --server, the hub is the one recorded in <state dir>/hub.json; the token comes from
--token-file, else $AXIOM_TOKEN, else <state dir>/token.

Examples:
  axiom client --command 'npm test'
  axiom client list --format json
  axiom client tail k3x9qa --follow
  axiom client send k3x9qa 'use the existing parser'";

const CHECK_HELP: &str = "\
Offline, each line is judged on its own: cooldown, threshold, escalation and silence rules are not
applied (they need a live task's clock). Every line a rule matches is reported, once per rule.

Text output: FILE:LINE:COL: [severity] rule-id (action): matched text
JSON output (--format json): one {\"type\":\"match\",...} object per line, then one {\"type\":\"summary\",...}.

Exit status: 0 no rule matched, 1 at least one match, 2 an error.

Examples:
  axiom check session.log
  claude -p 'fix the bug' | tee out.log | axiom check --format json
  axiom check --rules my-rules/ --quiet logs/*.log";

#[derive(Debug, Clone, Args)]
pub struct RulesArgs {
    /// Rule files or directories (repeatable). Default: $AXIOM_RULES, else ./.axiom/rules/, else
    /// $XDG_CONFIG_HOME/axiom/rules/, else the built-in pack. A rules/ directory in the working
    /// directory is only read when named here.
    #[arg(long = "rules", value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// serve, mcp: never reload the rules while running, so editing their files (by a task, say)
    /// changes nothing until the next start.
    #[arg(long)]
    pub rules_locked: bool,
}

/// Whether a command is an AI agent, for rules with `applies_to: agents`.
#[derive(Debug, Clone, Copy, Default, Args)]
pub struct SubjectArgs {
    /// Treat the command as an AI agent, so rules with `applies_to: agents` (silence, planning,
    /// asking permission) watch it too. Default: guessed from the program name (claude, codex,
    /// aider, gemini, opencode, cursor-agent, ...), also behind npx, env and sh -c.
    #[arg(long, conflicts_with = "no_agent")]
    pub agent: bool,
    /// Treat the command as an ordinary command, even if its name looks like an agent's: only
    /// rules for any command watch it.
    #[arg(long)]
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
    #[arg(long, value_enum, default_value_t)]
    pub driver: Driver,
    #[command(flatten)]
    pub subject: SubjectArgs,
    /// Address of the in-process hub.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:0", value_parser = crate::human::parse_listen)]
    pub listen: SocketAddr,
    /// After SIGTERM, how long a killed command gets before SIGKILL.
    #[arg(long, value_name = "DURATION", default_value = "3s")]
    pub kill_grace: humantime::Duration,
    /// The command and its arguments (no shell).
    #[arg(last = true, required = true, value_name = "CMD")]
    pub command: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on; a non-loopback address must be asked for explicitly.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080", value_parser = crate::human::parse_listen)]
    pub listen: SocketAddr,
    #[command(flatten)]
    pub rules: RulesArgs,
    #[command(flatten)]
    pub state: StateArgs,
    /// Allow browser requests with this Origin (repeatable). Others get 403.
    #[arg(long = "allow-origin", value_name = "ORIGIN")]
    pub allow_origins: Vec<String>,
    /// Output kept per task, in bytes.
    #[arg(long, value_name = "SIZE", default_value = "8MiB", value_parser = crate::human::parse_bytes_usize)]
    pub ring_bytes: usize,
    /// After SIGTERM, how long a killed task gets before SIGKILL.
    #[arg(long, value_name = "DURATION", default_value = "3s")]
    pub kill_grace: humantime::Duration,
    /// A running task whose worker stays disconnected this long is marked lost.
    #[arg(long, value_name = "DURATION", default_value = "60s")]
    pub lost_after: humantime::Duration,
    /// Finished task histories older than this are deleted (at start, then every minute).
    #[arg(long, value_name = "DURATION", default_value = "7days")]
    pub keep_for: humantime::Duration,
    /// Finished task histories beyond this total size are deleted, oldest first (at start, then
    /// every minute).
    #[arg(long, value_name = "SIZE", default_value = "1GiB", value_parser = crate::human::parse_bytes)]
    pub keep_bytes: u64,
    /// A task's history is cut to its newest output once it grows past this size, while the
    /// task runs; the history says where it was cut.
    #[arg(long, value_name = "SIZE", default_value = "256MiB", value_parser = crate::human::parse_bytes)]
    pub keep_bytes_per_task: u64,
}

const MCP_HELP: &str = "\
stdout carries only MCP messages; logs go to stderr. The hub for the workers runs in the
same process; if the --listen port is taken, an ephemeral loopback port is used instead
(said on stderr). Tasks are kept in memory only. The session's lock, token and hub.json are
in <state dir>/mcp/<pid>/ (named on stderr; removed at exit), so `axiom client --state-dir
<state dir>/mcp/<pid>` can watch the same tasks while an `axiom serve` keeps its own. When stdin closes, every task still running is killed (SIGTERM to its
process group, SIGKILL after --kill-grace) before the server exits.

Tools: axiom_spawn, axiom_status, axiom_output, axiom_send, axiom_interrupt, axiom_kill,
axiom_wait, axiom_interventions, axiom_rules, axiom_check.

Add it to Claude Code:
  claude mcp add axiom -- axiom mcp
  claude mcp add axiom -- axiom mcp --rules ./rules --agent-command 'claude -p {prompt}'

Or to an mcpServers config:
  {\"mcpServers\": {\"axiom\": {\"command\": \"axiom\", \"args\": [\"mcp\"]}}}";

#[derive(Debug, Args)]
pub struct McpArgs {
    #[command(flatten)]
    pub rules: RulesArgs,
    /// Address of the hub the workers connect back to. If the port is taken, an ephemeral port on
    /// the same address is used instead.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080", value_parser = crate::human::parse_listen)]
    pub listen: SocketAddr,
    #[command(flatten)]
    pub state: StateArgs,
    /// What `axiom_spawn` runs when it is given a prompt and no command: words separated by spaces
    /// (no shell, no quoting) or a JSON array of strings; `{prompt}` is replaced by the prompt.
    #[arg(long, value_name = "ARGV", default_value = crate::mcp::DEFAULT_AGENT_COMMAND)]
    pub agent_command: String,
    /// Output kept per task, in bytes.
    #[arg(long, value_name = "SIZE", default_value = "8MiB", value_parser = crate::human::parse_bytes_usize)]
    pub ring_bytes: usize,
    /// After SIGTERM, how long a killed task gets before SIGKILL (for axiom_kill and at shutdown).
    #[arg(long, value_name = "DURATION", default_value = "3s")]
    pub kill_grace: humantime::Duration,
}

#[derive(Debug, Clone, Args)]
pub struct HubArgs {
    /// Hub address (http://, ws:// or host:port). Default: from <state dir>/hub.json.
    #[arg(long, value_name = "URL", global = true)]
    pub server: Option<String>,
    /// File holding the client token.
    #[arg(long, value_name = "FILE", global = true)]
    pub token_file: Option<PathBuf>,
    #[command(flatten)]
    pub state: StateArgs,
}

#[derive(Debug, Args)]
pub struct ClientArgs {
    #[command(flatten)]
    pub hub: HubArgs,
    /// Run this command line (with `sh -c`, in the current directory) and stream its output; exits
    /// with the task's exit status.
    #[arg(long, value_name = "CMD")]
    pub command: Option<String>,
    /// Pipes, or a pseudo-terminal.
    #[arg(long, value_enum, default_value_t)]
    pub driver: Driver,
    #[command(flatten)]
    pub subject: SubjectArgs,
    #[command(subcommand)]
    pub action: Option<ClientCommand>,
}

#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// List the hub's tasks.
    List {
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Print a task's output.
    Tail {
        task_id: String,
        /// Keep printing new output until the task ends.
        #[arg(long, short)]
        follow: bool,
        /// Only the last N lines of what is stored.
        #[arg(long, short = 'n', value_name = "N")]
        lines: Option<usize>,
    },
    /// Print a task's whole stored output (also what the in-memory buffer no longer holds).
    Output { task_id: String },
    /// Show the rules in force on the hub and when they were loaded.
    Rules {
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Write text to a task's input (followed by Enter).
    Send {
        task_id: String,
        text: String,
        /// Do not press Enter after the text.
        #[arg(long)]
        no_enter: bool,
    },
    /// Interrupt a task (SIGINT, or Ctrl-C on a terminal), then send it a message.
    Interrupt {
        task_id: String,
        #[arg(long, short)]
        message: Option<String>,
    },
    /// End a task's whole process group: SIGTERM, a grace period, then SIGKILL.
    Kill {
        task_id: String,
        #[arg(long, value_name = "DURATION")]
        grace: Option<humantime::Duration>,
    },
}

#[derive(Debug, Args)]
pub struct WorkerArgs {
    /// The hub to connect back to.
    #[arg(long, value_name = "URL")]
    pub server: String,
    #[arg(long, value_name = "ID")]
    pub task_id: String,
    #[arg(long, value_enum, default_value_t)]
    pub driver: Driver,
    /// Between an interrupt and its follow-up message.
    #[arg(long, value_name = "DURATION", default_value = "500ms")]
    pub interrupt_delay: humantime::Duration,
    /// Grace period for kills the hub does not give one for.
    #[arg(long, value_name = "DURATION", default_value = "3s")]
    pub kill_grace: humantime::Duration,
    /// How long the child keeps running while the hub is unreachable; then it is ended.
    #[arg(long, value_name = "DURATION", default_value = "60s")]
    pub reconnect_window: humantime::Duration,
    /// An inherited file descriptor to read the task's token from (then closed, before the command
    /// starts, so the command can never read it).
    #[arg(long, value_name = "FD")]
    pub token_fd: i32,
    /// How long writing to the command's input may take before it is given up and reported as not
    /// delivered (the command does not read its input).
    #[arg(long, value_name = "DURATION", default_value = "10s")]
    pub write_timeout: humantime::Duration,
    /// Terminal size for the pty driver.
    #[arg(long, value_name = "ROWSxCOLS", value_parser = parse_pty_size)]
    pub pty_size: Option<(u16, u16)>,
    #[arg(last = true, required = true, value_name = "CMD")]
    pub command: Vec<String>,
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
    Always,
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
    /// Threads that match at once (default: one per core). Large inputs are cut into blocks
    /// at line boundaries; the report is the same with any number.
    #[arg(long, short = 'j', value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub threads: Option<u16>,
    /// Files or directories to check; none, or `-`, reads stdin. A directory is searched
    /// recursively as ripgrep does: files matched by .gitignore or .ignore, hidden files and binary
    /// files (NUL bytes) are left out.
    #[arg(value_name = "PATH")]
    pub files: Vec<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScopeArg {
    Output,
    Prompt,
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

const RULES_LIST_HELP: &str = "\
Rules with `applies_to: agents` watch only tasks that run an AI agent; whether a command is one is
guessed from its program name, and --agent / --no-agent decide instead.

Examples:
  axiom rules list
  axiom rules list -- npm test
  axiom rules list --agent -- ./my-agent.sh
  axiom rules list --format json";

const RULES_INIT_HELP: &str = "\
The files are the built-in pack exactly, one per topic, with the names `axiom rules list` shows for
built-in rules. Existing files are never overwritten unless --force is given. Rules in
.axiom/rules/ are used by every axiom command run in this directory.

Examples:
  axiom rules init
  axiom rules init ~/.config/axiom/rules
  axiom rules validate --rules .axiom/rules";

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Check rule files; print every problem as FILE:LINE:COL: message (exit 2 if any).
    Validate {
        #[command(flatten)]
        rules: RulesArgs,
    },
    /// Run every rule's embedded tests through the real pipeline, and check that no rule's message
    /// triggers a rule; ends with `N passed, M failed` (exit 1 if any failed).
    ///
    /// With `--corpus FILE`, runs a labelled corpus instead (JSON lines with `id`, `agent`, `kind`,
    /// `should_fire`, `text`) and reports recall and false fires per rule, per kind and per agent.
    Test {
        #[command(flatten)]
        rules: RulesArgs,
        /// A labelled JSONL corpus to measure the rules on, instead of their embedded tests.
        #[arg(long, value_name = "FILE")]
        corpus: Option<PathBuf>,
        /// Output format (of the corpus report).
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Write the built-in rule pack out as YAML files to edit.
    #[command(after_help = RULES_INIT_HELP)]
    Init {
        /// Where to write the files (created if missing). Default: .axiom/rules in the current
        /// directory, where axiom looks for a project's rules.
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
        /// A command line (after `--`): list only the rules that would watch it.
        #[arg(last = true, value_name = "CMD")]
        command: Vec<String>,
    },
}

#[derive(Debug, Args)]
pub struct HookArgs {
    #[command(flatten)]
    pub rules: RulesArgs,
    /// When the hook itself fails (bad input, bad rules), block (exit 2) instead of letting the
    /// session continue.
    #[arg(long)]
    pub fail_closed: bool,
}

#[derive(Debug, Subcommand)]
pub enum HooksCommand {
    /// Add axiom's hooks to a Claude Code settings file (running it twice changes nothing).
    Install(HooksArgs),
    /// Remove exactly the hooks `install` added.
    Uninstall(HooksArgs),
}

#[derive(Debug, Args)]
pub struct HooksArgs {
    /// Which settings file: local = PROJECT/.claude/settings.local.json (yours, not shared),
    /// project = PROJECT/.claude/settings.json (shared with the repository), user = ~/.claude/settings.json.
    #[arg(long, value_enum, default_value_t = HooksScope::Local)]
    pub scope: HooksScope,
    /// The project directory (default: the current one).
    #[arg(long, value_name = "DIR")]
    pub project: Option<PathBuf>,
    /// Rule files or directories the hook uses (default: as `axiom hook` finds them).
    #[arg(long = "rules", value_name = "PATH")]
    pub rules: Vec<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HooksScope {
    Local,
    Project,
    User,
}
