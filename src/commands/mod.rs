//! One module per subcommand; [`run`] dispatches and turns errors into exit codes.

mod check;
mod check_blocks;
mod client;
mod corpus;
mod docs;
mod forward_stdin;
mod hook;
mod hooks;
mod mcp;
mod output;
mod rules;
mod run;
mod serve;
mod show_failure;
mod stop;
mod terminal_text;
mod tty;
mod worker;

use std::process::ExitCode;
use std::sync::Arc;

use crate::cli::{Cli, Command, RulesArgs, StateArgs};
use crate::hub::auth::Token;
use crate::rules::{RuleErrors, RuleOrigin, RuleSet};
use crate::state::{StateDir, StateLock};

/// Exit status for errors: bad rules, unreadable files, bad requests.
pub const EXIT_ERROR: u8 = 2;

pub fn run(cli: Cli) -> ExitCode {
    let result = match cli.command {
        Command::Check(args) => check::run(args),
        Command::Rules(command) => rules::run(command),
        Command::Run(args) => run::run(args),
        Command::Serve(args) => serve::run(args),
        Command::Client(args) => client::run(args),
        Command::Mcp(args) => mcp::run(args),
        Command::Completions { shell } => docs::completions(shell),
        Command::Man { out: Some(dir), .. } => docs::man_pages_into(&dir),
        Command::Man { subcommand, out: None } => docs::man(&subcommand),
        Command::Worker(args) => worker::run(args),
        Command::Hook(args) => hook::run(args),
        Command::Hooks(command) => hooks::run(command),
    };
    result.unwrap_or_else(|err| {
        report_error(&err);
        ExitCode::from(EXIT_ERROR)
    })
}

/// Prints an error the way a user can act on it: rule problems one per line as `FILE:LINE:COL: …`.
pub fn report_error(err: &anyhow::Error) {
    if let Some(problems) = err.downcast_ref::<RuleErrors>() {
        crate::logging::note!("{problems}");
        let count = problems.0.len();
        crate::logging::note!("axiom: {count} problem{} in the rules", if count == 1 { "" } else { "s" });
    } else {
        crate::logging::note!("axiom: error: {err:#}");
    }
}

/// Loads the rules the arguments point at, saying on stderr where they came from unless the user
/// named them (`--rules`) or they are the built-in pack.
pub fn load_rules(args: &RulesArgs) -> anyhow::Result<Arc<RuleSet>> {
    load_rules_from(RuleOrigin::resolve(&args.paths))
}

/// [`load_rules`] for a hub, whose tasks' tool calls are judged before they run: the rule files
/// and the hub's state directory (`state`, when it has one) are the supervision's own, which a
/// call may not write (see [`crate::gate`]).
pub fn load_hub_rules(args: &RulesArgs, state: Option<&StateDir>) -> anyhow::Result<Arc<RuleSet>> {
    let origin = RuleOrigin::resolve(&args.paths);
    crate::gate::guard(&origin, state.map(StateDir::path));
    load_rules_from(origin)
}

fn load_rules_from(origin: RuleOrigin) -> anyhow::Result<Arc<RuleSet>> {
    let rules = RuleSet::load(origin.clone())?;
    if rules.rules().is_empty() {
        // Valid, and sometimes meant; but a file a task emptied reads the same, so never silently.
        crate::logging::note!("axiom: warning: no rules in {origin}: nothing will be matched or stopped");
    } else if !matches!(origin, RuleOrigin::Embedded | RuleOrigin::Flag(_)) {
        let pack = if origin.includes_the_pack() {
            ""
        } else {
            " (in place of the built-in pack; `--rules built-in` keeps it beside them)"
        };
        crate::logging::note!("axiom: {} from {origin}{pack}", crate::human::count(rules.rules().len() as u64, "rule"));
    }
    let stray = std::path::Path::new("rules");
    let named = origin.paths().iter().any(|path| path.starts_with(stray) || path.starts_with("./rules"));
    if stray.is_dir()
        && !named
        && matches!(origin, RuleOrigin::ProjectDir(_) | RuleOrigin::ConfigDir(_) | RuleOrigin::Embedded)
    {
        crate::logging::note!(
            "axiom: note: ./rules/ is not read unless named with --rules (a task working here could edit it); \
             project rules go in {}/",
            crate::rules::PROJECT_RULES
        );
    }
    Ok(Arc::new(rules))
}

/// Parses and groups the rules' patterns on a blocking thread while a hub starts, rather than on
/// a runtime thread when the first task's output arrives (see [`RuleSet::prepare`]).
fn prepare_in_background(rules: &Arc<RuleSet>) {
    let rules = Arc::clone(rules);
    tokio::task::spawn_blocking(move || rules.prepare());
}

/// The rules in force, which files they come from and why, for a hub's start-up and `rules list`.
pub fn describe_rules(rules: &RuleSet) -> String {
    let files: std::collections::BTreeSet<&str> =
        rules.rules().iter().map(|rule| rule.location.file.as_str()).collect();
    let files: Vec<&str> = files.into_iter().collect();
    let built_in = !files.is_empty() && files.iter().all(|file| file.starts_with(crate::rules::BUILT_IN));
    let files = if files.is_empty() {
        "no files".to_owned()
    } else if built_in {
        let count = crate::human::count(files.len() as u64, "file");
        // Their locations cannot be opened as they are: say where they can be.
        format!("{count} inside the binary, named built-in:FILE in rule locations; `axiom rules init DIR` writes them out as DIR/FILE (same lines) to read and edit")
    } else {
        files.join(", ")
    };
    format!(
        "{} in force from {} ({}): {files}",
        crate::human::count(rules.rules().len() as u64, "rule"),
        rules.origin(),
        rules.origin().reason(),
    )
}

/// Starts watching the rule files for edits, unless `--rules-locked` says the rules stay as loaded.
pub fn watch_rules_unless_locked(
    args: crate::cli::ReloadArgs,
    tasks: Arc<crate::tasks::Tasks>,
    rules: &RuleSet,
) -> anyhow::Result<Option<notify::RecommendedWatcher>> {
    use anyhow::Context as _;
    if args.rules_locked {
        crate::logging::note!("axiom: rules locked: edits to their files take effect at the next start");
        return Ok(None);
    }
    crate::hub::watch_rules(tasks, rules.origin().clone()).context("cannot watch the rule files")
}

/// A hub's hold on its state directory: the directory, its lock and the client token.
pub struct HubState {
    pub dir: StateDir,
    pub token: Token,
    _lock: StateLock,
}

/// What `serve` and `mcp` do before their hub listens: the state directory exists, is private and
/// is locked for this hub alone (a second hub exits 2 naming the pid that holds it), the client
/// token is written (so no client ever races an empty token file), the open-file limit is raised,
/// and a listen address other machines can reach is called out.
pub fn prepare_hub_state(dir: StateDir, listen: std::net::SocketAddr) -> anyhow::Result<HubState> {
    dir.ensure()?;
    let lock = dir.lock()?;
    let token = dir.client_token()?;
    crate::state::raise_open_file_limit();
    warn_if_reachable(listen);
    Ok(HubState { dir, token, _lock: lock })
}

/// Calls out a hub listen address other machines can reach (`serve`, `mcp`, `run`).
pub fn warn_if_reachable(listen: std::net::SocketAddr) {
    if !listen.ip().is_loopback() {
        crate::logging::note!(
            "axiom: warning: the hub listens on {}, which is reachable from other machines; every connection still needs the token",
            listen.ip()
        );
    }
}

/// The state directory named by the arguments.
pub fn state_dir(args: &StateArgs) -> anyhow::Result<StateDir> {
    StateDir::resolve(args.state_dir.as_deref())
}
