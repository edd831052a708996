//! `axiom mcp`: the MCP server on stdio, with the hub for its workers in the same process.
//!
//! stdout carries only MCP messages; everything else (where the hub listens, which rules were
//! loaded, shutdown) goes to stderr, which MCP clients show as the server's log.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;

use crate::cli::McpArgs;
use crate::hub::auth::Token;
use crate::hub::{Hub, HubConfig};
use crate::mcp::{parse_agent_command, serve_stdio, McpConfig};
use crate::state::{HubInfo, StateDir};
use crate::tasks::{TaskConfig, Tasks};

pub fn run(args: McpArgs) -> anyhow::Result<ExitCode> {
    crate::hub::keep_inherited_descriptors_from_tasks();
    let agent_command = parse_agent_command(&args.agent_command).map_err(anyhow::Error::msg)?;
    let state_dir = super::state_dir(&args.state)?;
    let rules = super::load_hub_rules(&args.rules, Some(&state_dir))?;
    let state = super::prepare_hub_state(session_dir(&state_dir)?, args.listen)?;
    let kill_grace: Duration = args.kill_grace.into();
    let runtime = tokio::runtime::Runtime::new()?;
    let session = state.dir.clone();
    let result = runtime.block_on(async move {
        super::prepare_in_background(&rules);
        // Memory only: a session's tasks end with it, so there is nothing to restore later.
        let config = TaskConfig { ring_capacity: args.ring_bytes, kill_grace, ..TaskConfig::default() };
        let tasks = Arc::new(Tasks::new(Arc::clone(&rules), config));
        let hub = start_hub(args.listen, Arc::clone(&tasks), state.token.clone()).await?;
        crate::logging::note!("axiom: {}", super::describe_rules(&rules));
        let _watcher = super::watch_rules_unless_locked(args.reload, tasks, &rules)?;
        state.dir.write_hub_info(&HubInfo { url: hub.url(), pid: std::process::id() })?;
        crate::logging::note!(
            "axiom: MCP server on stdio; hub for workers on {} (`axiom client --state-dir {}` watches its tasks)",
            hub.url(),
            state.dir.path().display()
        );
        let stopped = serve_stdio(hub, McpConfig { agent_command, kill_grace }).await?;
        tracing::debug!(?stopped, "MCP server stopped");
        anyhow::Ok(state)
    });
    // Nothing may keep the process alive once the tasks have ended (a blocked read of stdin
    // that is not a pipe, for one).
    runtime.shutdown_timeout(Duration::from_millis(500));
    let _ = std::fs::remove_dir_all(session.path());
    result?;
    Ok(ExitCode::SUCCESS)
}

/// This session's own state directory, `<state>/mcp/<pid>`, so an MCP session never touches the
/// tasks, lock or `hub.json` of an `axiom serve` on the same state directory (or of another
/// session). Directories of sessions that are gone (killed before they could remove theirs) are
/// removed.
fn session_dir(state: &StateDir) -> anyhow::Result<StateDir> {
    state.ensure()?;
    let sessions = state.child("mcp");
    sessions.ensure()?;
    if let Ok(entries) = std::fs::read_dir(sessions.path()) {
        for entry in entries.flatten() {
            let old = sessions.child(&entry.file_name().to_string_lossy());
            if entry.file_type().is_ok_and(|t| t.is_dir()) && !old.is_locked() {
                let _ = std::fs::remove_dir_all(old.path());
            }
        }
    }
    Ok(sessions.child(&std::process::id().to_string()))
}

/// Binds the hub on `listen`; if that port is taken, on an ephemeral port of the same address,
/// so a second agent session never fails to start.
async fn start_hub(listen: SocketAddr, tasks: Arc<Tasks>, token: Token) -> anyhow::Result<Arc<Hub>> {
    match Hub::start(hub_config(listen), Arc::clone(&tasks), token.clone()).await {
        Ok(hub) => Ok(hub),
        Err(err) if err.kind() == std::io::ErrorKind::AddrInUse && listen.port() != 0 => {
            let fallback = SocketAddr::new(listen.ip(), 0);
            let hub = Hub::start(hub_config(fallback), tasks, token)
                .await
                .with_context(|| format!("cannot listen on {fallback}"))?;
            crate::logging::note!("axiom: {listen} is in use; the hub listens on {} instead", hub.local_addr());
            Ok(hub)
        }
        Err(err) => Err(err).with_context(|| format!("cannot listen on {listen}")),
    }
}

fn hub_config(listen: SocketAddr) -> HubConfig {
    let mut config = HubConfig::new(listen);
    // The tasks live in this process only: a worker that loses it (the server was killed) must
    // end its child at once rather than wait for a hub that cannot come back.
    config.worker_reconnect_window = Duration::ZERO;
    // For the same reason a task from an earlier session that was still running never comes back.
    config.lost_after = Duration::ZERO;
    config.adopt_orphans = true;
    config
}
