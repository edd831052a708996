//! The texts shown after each subcommand's options: what it does in more words than one line, its
//! exit status where it has its own, and examples. Each paragraph is one line here, so clap wraps
//! it to the terminal's width; only lists and examples are broken by hand.

pub(super) const EXIT_CODES: &str = "\
Exit status:
  0    success (for `check`: no rule matched)
  1    `check`: at least one rule matched; `rules test`: a test failed
  2    an error: bad rules (FILE:LINE:COL is printed), an unreadable file, bad arguments
  N    `run` and `client --command`: the command's own status (128+N when signal N ended it)
  126  `run`, `client --command`: the program exists but cannot be run (not executable, a directory)
  127  `run`, `client --command`: the program was not found
  141  `run`, `client --command`, `client tail --follow`: the output's reader left (`| head`)

Examples:
  axiom run -- npm test
  axiom check build.log
  axiom client --command 'cargo build'   # with `axiom serve` running
  axiom rules init";

pub(super) const HOOK_HELP: &str = "\
PreToolUse is judged by the `tool` rules (`deny` refuses the call with the rule's message), \
UserPromptSubmit by the `prompt` rules, PostToolUse by the `output` rules over the tool's response, \
Stop by the `output` rules over what the session did since the last Stop (its text and tool results; \
evidence rules also see every earlier tool call), a firing rule blocks the stop once and the model \
continues with its message. SessionEnd ends the session's task. A failing hook says why on stderr \
and lets the session go on, unless --fail-closed.

Without --rules the hook reads $AXIOM_RULES or the built-in pack, and never looks for a rule directory \
(./.axiom/rules/, ~/.config/axiom/rules/): it runs on every tool call of the agent it judges, and a \
directory the agent created would switch its own supervision off. `axiom hooks install` names the \
directory that applies at install time with --rules. Named rules that cannot be read (a `git clean` \
took them) are replaced by the built-in pack, said on stderr; --fail-closed blocks instead.

When a hub is running (`axiom serve`), each decision is recorded on a task for the Claude Code \
session, listed as `claude (hooks) SESSION DIR` by `axiom client list`, its judged lines as output and \
the rules that fired as interventions. An absent or slow hub costs at most 300 ms and never changes \
the decision.

Examples:
  axiom hooks install                  # the usual way: Claude Code runs `axiom hook` itself
  echo '{\"hook_event_name\":\"PreToolUse\",\"tool_name\":\"Bash\",\"tool_input\":{\"command\":\"rm -rf /\"}}' | axiom hook";

pub(super) const HOOKS_HELP: &str = "\
Examples:
  axiom hooks install
  axiom hooks install --scope user --rules ~/.config/axiom/rules
  axiom hooks uninstall";

pub(super) const HOOKS_INSTALL_HELP: &str = "\
The hooks run `axiom hook` with the same --rules for PreToolUse, PostToolUse, UserPromptSubmit, \
Stop and SessionEnd. Hooks that are already there, axiom's or others', are left as they are. \
Without --rules and $AXIOM_RULES, the hooks get --rules for the rule directory axiom finds now: \
PROJECT/.axiom/rules, else ~/.config/axiom/rules (--scope user names only the latter, --scope project \
only the former); the hook itself never looks for one, since the agent could create it. With none, \
the hook uses the built-in pack, as it does when the named rules cannot be read. Installing again \
with other rules replaces axiom's hooks rather than adding a second set. Uninstall removes axiom's hooks whatever their --rules.

The PreToolUse hook gets a 30 s timeout and `\"onFailure\": \"block\"`: a tool call that makes \
the hook hang or fail is refused rather than let through (Claude Code 2.1.295 and later read onFailure).

Examples:
  axiom hooks install
  axiom hooks install --scope project
  axiom hooks install --scope user --rules ~/.config/axiom/rules";

pub(super) const HOOKS_UNINSTALL_HELP: &str = "\
Examples:
  axiom hooks uninstall
  axiom hooks uninstall --scope user";

pub(super) const COMPLETIONS_HELP: &str = "\
Examples:
  axiom completions bash > ~/.local/share/bash-completion/completions/axiom
  axiom completions zsh > ~/.zfunc/_axiom        # with fpath+=~/.zfunc before compinit
  axiom completions fish > ~/.config/fish/completions/axiom.fish";

pub(super) const MAN_HELP: &str = "\
The page of axiom names its subcommands' pages in SEE ALSO (axiom-check(1), axiom-client(1), ...); \
`axiom man check` prints axiom-check(1), `axiom man client tail` axiom-client-tail(1).

Examples:
  axiom man | man -l -
  axiom man client tail | man -l -
  axiom man --out ~/.local/share/man/man1";

pub(super) const WORKER_HELP: &str = "\
Examples (the hub runs it so):
  axiom worker --server ws://127.0.0.1:29466 --task-id k3x9qa --token-fd 3 -- npm test";

pub(super) const RUN_HELP: &str = "\
The command runs in a worker process that streams its output to an in-process hub, where the rules \
watch it. Its stdout and stderr pass through; each intervention is printed on stderr. A slow reader \
(`| less`) holds the command back: no output is dropped. A reader that leaves (`| head`, on stdout or \
stderr) stops the command, as the pipe would have, and on stdout it is noticed even while the \
command is quiet (`| grep -m1 ready`), as GNU `tail -f` notices it; output that cannot be written \
(a full disk) stops the command too. Ctrl-C ends the command's whole process group.

Exit status: the command's own (128+N when signal N ended it); 130 when Ctrl-C stopped it (128+N \
for signal N to axiom); 127 when the program is not found, 126 when it cannot be run, as the shell \
says; 141 (128+SIGPIPE) when the output's reader left; 2 \
when axiom itself fails (bad rules, output that cannot be written).

Examples:
  axiom run -- npm test
  axiom run --agent -- ./my-agent.sh
  axiom run -- claude -p 'add a --verbose flag'
  axiom run --driver pty -- claude
  axiom run --driver pty --prompt-pattern '^aider> ' -- aider
  axiom run --rules my-rules/ -- cargo build";

pub(super) const SERVE_HELP: &str = "\
The hub writes its address to <state dir>/hub.json and the client token to <state dir>/token \
(mode 0600), so `axiom client` on the same machine finds it with no options; a lock file there \
keeps a second hub out. Task histories are journaled in <state dir>/tasks/ and survive a restart; \
workers reconnect. Finished tasks stay listed, and their histories kept, until --keep-for or \
--keep-bytes lets them go. SIGTERM or Ctrl-C stops the hub cleanly (its tasks keep running and \
reconnect to the next one); SIGHUP is ignored, so a terminal that closes does not stop it.

Examples:
  axiom serve
  axiom serve --listen 9000 --rules ./rules
  axiom serve --state-dir /tmp/axiom-demo --keep-for 1day --keep-bytes 200MiB
  axiom serve --listen 0.0.0.0:29466 --allow-origin https://dash.example.com";

pub(super) const CLIENT_HELP: &str = "\
Without --server, the hub is the one recorded in <state dir>/hub.json; the token comes from \
--token-file, else $AXIOM_TOKEN (the token itself, not a file), else <state dir>/token.

With --command, Ctrl-C stops the task, as `axiom run` does; with --detach it stays running on the \
hub. When the output's reader leaves (`| head`), the client exits 141, as the pipe's writer would: \
a --command task is stopped first; with --detach, or for `tail --follow`, it keeps running (a \
detached task's piped input then ends where the client got to). `tail` and `output` without \
--follow end as ripgrep does, with 0. A following client (--command, `tail --follow`) dials again when the hub restarts and goes on \
from the first byte it has not shown. Standard input piped in or redirected from a file is passed to the --command task, which gets end of file where it ends (unless --keep-input-open).

Examples:
  axiom client --command 'npm test'
  git diff | axiom client --command 'agent --review'
  axiom client --detach --command 'cargo build --release'
  axiom client list --format json
  axiom client tail k3x9qa --follow
  axiom client send k3x9qa 'use the existing parser'";

pub(super) const CLIENT_START_HELP: &str = "\
For scripts: the id is the only thing printed on stdout. --driver, --agent/--not-agent and \
--prompt-pattern apply as they do to --command. Watch the task with `axiom client tail ID \
--follow`; end it with `axiom client kill ID`.

Examples:
  id=$(axiom client start 'npm run dev')
  axiom client start python3 app.py --format json
  axiom client --driver pty start 'claude' --format json";

pub(super) const CLIENT_LIST_HELP: &str = "\
JSON: an array of tasks, the same records as the MCP tool axiom_status: task_id, command (an array \
of words), status (starting, running, exited, killed, failed or lost), activity (for a running task: \
running, idle or silent), pid, exit_code, signal, message (why it failed or was lost), started_at \
and ended_at (milliseconds since the epoch), runtime_ms, output_bytes, interventions (how many rules \
fired), session (an agent's last turn: subtype, is_error, turns, cost_usd, duration_ms, session_id) \
and tamper_events (forged messages its worker connection sent). A field that does not apply is null.

Examples:
  axiom client list
  axiom client list --format json";

pub(super) const CLIENT_TAIL_HELP: &str = "\
Examples:
  axiom client tail k3x9qa
  axiom client tail k3x9qa -n 20 --follow";

pub(super) const CLIENT_OUTPUT_HELP: &str = "\
Examples:
  axiom client output k3x9qa > k3x9qa.log";

pub(super) const CLIENT_INTERVENTIONS_HELP: &str = "\
Also those of a task that ended, and after a hub restart. The JSON is an array of records: id, at \
(milliseconds since the Unix epoch), task_id, rule, severity, action, message, matched, line, \
delivered (null until the worker confirms), error.

Examples:
  axiom client interventions k3x9qa
  axiom client interventions k3x9qa --format json | jq -r '.[].rule'";

pub(super) const CLIENT_RULES_HELP: &str = "\
Examples:
  axiom client rules
  axiom client rules --format json";

pub(super) const CLIENT_SEND_HELP: &str = "\
Examples:
  axiom client send k3x9qa 'use the existing parser'
  axiom client send k3x9qa --no-enter y";

pub(super) const CLIENT_INTERRUPT_HELP: &str = "\
Examples:
  axiom client interrupt k3x9qa
  axiom client interrupt k3x9qa 'stop and run the tests first'
  axiom client interrupt k3x9qa -m 'stop and run the tests first'";

pub(super) const CLIENT_KILL_HELP: &str = "\
It waits for the task to end, which takes at most the grace period for a task whose worker is \
connected (one whose worker is not ends when the hub marks it lost), and prints how it ended; \
--no-wait returns at once. Killing a task that has already ended changes nothing: it exits 0 and \
says how the task ended.

Examples:
  axiom client kill k3x9qa
  axiom client kill k3x9qa --grace 10s";

pub(super) const CHECK_HELP: &str = "\
Offline, each line is judged on its own: cooldown, threshold, escalation and silence rules are not \
applied (they need a live task's clock). Every line a rule matches is reported, once per rule (a rule with an \
evidence state to match: once per state, as live). On a \
terminal, a check that takes more than a second shows its progress on stderr.

Saved agent sessions are read as sessions, told by their content: Claude Code's session JSONL \
(~/.claude/projects), Codex CLI's (~/.codex/sessions) and Aider's .aider.chat.history.md. Each prompt, \
tool call and reply is judged by the rules of its scope, tool calls and their exit status count as \
evidence for the claims after them, and matches name the transcript's own lines. --as-text reads them \
as plain text instead.

Each match is one line:
  text:  FILE:LINE:COL: [severity] rule-id (action): matched text
  json:  one JSON object per line (JSON Lines): {\"type\":\"match\",...}; {\"type\":\"error\",\"file\",\"message\"} \
for an input that cannot be read; at the end one {\"type\":\"summary\",...} (\"unreadable\" counts the errors)

Exit status: 0 no rule matched, 1 at least one match, 2 an error.

Examples:
  axiom check session.log
  axiom check logs/                     # every file below, as ripgrep would search it
  axiom check ~/.claude/projects ~/.codex/sessions   # audit saved agent sessions
  claude -p 'fix the bug' | tee out.log | axiom check --format json
  axiom check --rules my-rules/ --quiet --stats logs/*.log
  echo 'Bash: rm -rf /' | axiom check --scope tool";

pub(super) const MCP_HELP: &str = "\
stdout carries only MCP messages; logs go to stderr. The hub for the workers runs in the same \
process; if the --listen port is taken, an ephemeral loopback port is used instead (said on \
stderr). Tasks are kept in memory only. The session's lock, token and hub.json are in \
<state dir>/mcp/<pid>/ (named on stderr; removed at exit), so `axiom client --state-dir \
<state dir>/mcp/<pid>` can watch the same tasks while an `axiom serve` keeps its own. When stdin \
closes, every task still running is killed (SIGTERM to its process group, SIGKILL after \
--kill-grace) before the server exits.

Tools: axiom_spawn, axiom_status, axiom_output, axiom_send, axiom_interrupt, axiom_kill, \
axiom_wait, axiom_interventions, axiom_rules, axiom_check.

Examples (add it to Claude Code):
  claude mcp add axiom -- axiom mcp
  claude mcp add axiom -- axiom mcp --rules ./rules --rules-locked
  claude mcp add axiom -- axiom mcp --agent-command 'claude -p {prompt}'

Or to an mcpServers config:
  {\"mcpServers\": {\"axiom\": {\"command\": \"axiom\", \"args\": [\"mcp\"]}}}";

pub(super) const RULES_LIST_HELP: &str = "\
Rules with `applies_to: agents` watch only tasks that run an AI agent; whether a command is one is \
guessed from its program name, and --agent / --no-agent decide instead.

Examples:
  axiom rules list
  axiom rules list -- npm test
  axiom rules list --agent -- ./my-agent.sh
  axiom rules list --format json";

pub(super) const RULES_INIT_HELP: &str = "\
The files are the built-in pack exactly, one per topic, with the names `axiom rules list` shows for \
built-in rules. Existing files are never overwritten unless --force is given. Rules in \
.axiom/rules/ are used by every axiom command run in this directory but `axiom hook`, which never looks \
for a rule directory by itself (a directory the agent made would switch its supervision off): \
`axiom hooks install`, run after this, names them in the hook's command.

Examples:
  axiom rules init
  axiom rules init ~/.config/axiom/rules
  axiom rules validate --rules .axiom/rules";

pub(super) const RULES_HELP: &str = "\
Rules are YAML files; without --rules they come from $AXIOM_RULES, else ./.axiom/rules/, else \
$XDG_CONFIG_HOME/axiom/rules/, else the built-in pack.

Examples:
  axiom rules init
  axiom rules validate --rules .axiom/rules
  axiom rules test --rules .axiom/rules
  axiom rules list -- npm test";

pub(super) const RULES_VALIDATE_HELP: &str = "\
Examples:
  axiom rules validate
  axiom rules validate --rules my-rules/ --rules extra.yaml";

pub(super) const RULES_TEST_HELP: &str = "\
Examples:
  axiom rules test
  axiom rules test --rules my-rules/
  axiom rules test --corpus corpus.jsonl --format json";
