//! `axiom serve`: the hub on its own, with durable task history and live rule reload.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;

use crate::cli::ServeArgs;
use crate::hub::containment::Containment;
use crate::hub::{Hub, HubConfig};
use crate::state::HubInfo;
use crate::tasks::{Journal, JournalConfig, Retention, TaskConfig, Tasks};

pub fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    crate::hub::keep_inherited_descriptors_from_tasks();
    let reconnect_window: Duration = args.reconnect_window.into();
    // A task is given up on when its worker would have given up on the hub, unless told otherwise.
    let lost_after = args.lost_after.map_or(reconnect_window, Into::into);
    let state_dir = super::state_dir(&args.state)?;
    let rules = super::load_hub_rules(&args.rules, Some(&state_dir))?;
    let state = super::prepare_hub_state(state_dir, args.listen)?;
    let runtime = tokio::runtime::Runtime::new()?;
    let stopped = runtime.block_on(async move {
        super::prepare_in_background(&rules);
        let journal_config = JournalConfig { max_task_bytes: args.keep_bytes_per_task, ..JournalConfig::default() };
        let journal = Journal::open(state.dir.path(), journal_config).context("cannot open the task history")?;
        let config =
            TaskConfig { ring_capacity: args.ring_bytes, kill_grace: args.kill_grace.into(), ..TaskConfig::default() };
        let tasks = Arc::new(Tasks::with_journal(Arc::clone(&rules), config, Some(journal)));
        let retention = Retention { max_age: args.keep_for.into(), max_bytes: args.keep_bytes };
        let restored = tasks.restore(retention);
        if restored > 0 {
            crate::logging::note!(
                "axiom: restored {} from {}",
                crate::human::count(restored as u64, "task"),
                state.dir.path().display()
            );
        }
        let shutdown = shutdown_signals().context("cannot install the SIGTERM/SIGINT handlers")?;
        let mut hub_config = HubConfig::new(args.listen);
        hub_config.allow_origins = args.allow_origins;
        hub_config.max_connections = args.max_clients as usize;
        hub_config.worker_reconnect_window = reconnect_window;
        hub_config.ping_interval = args.ping_interval.into();
        hub_config.lost_after = lost_after;
        hub_config.session_idle = args.session_idle.into();
        hub_config.retention = Some(retention);
        hub_config.adopt_orphans = true;
        if !args.no_cgroups {
            hub_config.containment = Containment::detect(&state.dir.key()).map(Arc::new);
        }
        let hub = match Hub::start(hub_config, Arc::clone(&tasks), state.token.clone()).await {
            Ok(hub) => hub,
            // A daemon keeps the port its workers dial, so it does not move to another; it says
            // who may hold this one.
            Err(err) if err.kind() == std::io::ErrorKind::AddrInUse => anyhow::bail!(
                "cannot listen on {}: the port is in use (an `axiom mcp` session runs a hub of its own there when \
                 the port is free, and `ss -ltnp` names the holder); stop it, or give this hub another with --listen",
                args.listen
            ),
            Err(err) => return Err(err).with_context(|| format!("cannot listen on {}", args.listen)),
        };
        crate::logging::note!("axiom: {}", super::describe_rules(&rules));
        let _watcher = super::watch_rules_unless_locked(args.reload, tasks, &rules)?;
        state.dir.write_hub_info(&HubInfo { url: hub.url(), pid: std::process::id() })?;
        crate::logging::note!("axiom: hub listening on {} (token in {})", hub.url(), state.dir.token_path().display());
        shutdown.await;
        crate::logging::note!("axiom: shutting down; workers keep their tasks running and reconnect to the next hub");
        hub.shutdown().await;
        state.dir.remove_hub_info();
        Ok(ExitCode::SUCCESS)
    });
    // Dropping a runtime waits for every blocking thread it started, and a read of a long history
    // only notices its stop flag between blocks: bound that wait, so that a hub asked to stop
    // exits promptly whatever is still running (the state directory was let go above).
    runtime.shutdown_timeout(BLOCKING_STOP_LIMIT);
    stopped
}

/// How long a stopping hub waits for its blocking threads to notice they are to stop.
const BLOCKING_STOP_LIMIT: Duration = Duration::from_secs(1);

/// SIGTERM or SIGINT, installed before the hub announces itself: a signal sent the moment it says
/// "listening" still shuts it down cleanly (removing `hub.json`) instead of killing the process.
/// SIGHUP, which a terminal that closes sends to what it started, does not stop a daemon; it is
/// said and otherwise ignored (rule files are reloaded when they change, not on a signal).
fn shutdown_signals() -> std::io::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut hangup = signal(SignalKind::hangup())?;
    Ok(async move {
        loop {
            tokio::select! {
                _ = terminate.recv() => return,
                _ = interrupt.recv() => return,
                _ = hangup.recv() => crate::logging::note!("axiom: SIGHUP ignored: the hub keeps running (SIGTERM stops it)"),
            }
        }
    })
}
