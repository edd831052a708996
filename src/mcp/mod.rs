//! The MCP server: how Claude Code and other agents use axiom.
//!
//! `axiom mcp` speaks MCP on stdin/stdout through the official Rust SDK (`rmcp`, pinned exactly)
//! and runs the hub in the same process. Every tool maps onto the hub and its tasks; nothing here
//! matches rules or touches processes itself:
//!
//! | tool | does |
//! |---|---|
//! | `axiom_spawn` | checks the prompt (prompt rules), then [`Hub::spawn_task`] |
//! | `axiom_status` / `axiom_output` / `axiom_interventions` | read [`Task`](crate::tasks::Task) state |
//! | `axiom_send` / `axiom_interrupt` / `axiom_kill` | queue input or an intervention for the worker |
//! | `axiom_wait` | sleeps on the task's watch channel until the awaited change |
//! | `axiom_rules` / `axiom_check` | list the rules / run text through an offline [`Pipeline`](crate::pipeline::Pipeline) |
//!
//! Push instead of poll: each intervention and each exit of a task started here is sent as
//! `notifications/message` (logger `axiom`), and each task's output is a resource
//! (`axiom://tasks/{task_id}/output`) whose subscribers get rate-limited
//! `notifications/resources/updated`.
//!
//! Failures a model can fix (an unknown task, a bad argument, a program that does not exist) are
//! tool results with `isError: true` and a message saying what to do, never protocol errors.
//!
//! Lifecycle: when stdin closes (or on SIGTERM/SIGINT), every task still running is killed
//! (SIGTERM to its process group, SIGKILL after the grace period) and the server waits for them
//! to end before it exits.

mod events;
mod handler;
mod output;
mod schema;
mod shutdown;
mod spawn;
mod tools;
pub mod types;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rmcp::ServiceExt as _;

use crate::hub::Hub;

pub use shutdown::end_all_tasks;
pub use spawn::{parse_agent_command, DEFAULT_AGENT_COMMAND, PROMPT_PLACEHOLDER};

/// How the MCP server behaves.
#[derive(Debug, Clone)]
pub struct McpConfig {
    /// argv run by `axiom_spawn` when it gets a prompt and no command; `{prompt}` is substituted.
    pub agent_command: Vec<String>,
    /// Default time between SIGTERM and SIGKILL for `axiom_kill` and at shutdown.
    pub kill_grace: Duration,
}

impl Default for McpConfig {
    fn default() -> Self {
        McpConfig {
            agent_command: parse_agent_command(DEFAULT_AGENT_COMMAND).expect("the default agent command parses"),
            kill_grace: Duration::from_secs(3),
        }
    }
}

/// State shared by the handler, its background watchers and the shutdown path.
pub(crate) struct Shared {
    hub: Arc<Hub>,
    config: McpConfig,
    /// The minimum level of `notifications/message` the client asked for (`logging/setLevel`).
    #[allow(deprecated)]
    log_level: Mutex<Option<rmcp::model::LoggingLevel>>,
    /// `resources/subscribe` subscriptions: URI → the task that sends its updates.
    subscriptions: Mutex<std::collections::HashMap<String, tokio::task::AbortHandle>>,
}

/// The `rmcp` server handler: tools, resources and logging over one hub.
pub struct AxiomMcp {
    shared: Arc<Shared>,
    tool_router: rmcp::handler::server::router::tool::ToolRouter<AxiomMcp>,
}

impl AxiomMcp {
    pub fn new(hub: Arc<Hub>, config: McpConfig) -> Self {
        let shared = Arc::new(Shared {
            hub,
            config,
            log_level: Mutex::new(None),
            subscriptions: Mutex::new(std::collections::HashMap::new()),
        });
        let mut tool_router = Self::tool_router();
        for route in tool_router.map.values_mut() {
            let tool = &mut route.attr;
            schema::standard_formats_only(std::sync::Arc::make_mut(&mut tool.input_schema));
            if let Some(output) = tool.output_schema.as_mut() {
                schema::standard_formats_only(std::sync::Arc::make_mut(output));
            }
        }
        AxiomMcp { shared, tool_router }
    }

    /// The tools this server offers, as `tools/list` reports them.
    pub fn tools(&self) -> Vec<rmcp::model::Tool> {
        self.tool_router.list_all()
    }
}

/// Why [`serve_stdio`] stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stopped {
    /// stdin closed: the client went away.
    InputClosed,
    /// SIGTERM or SIGINT.
    Signal,
}

/// Serves MCP on stdin/stdout until stdin closes or a termination signal arrives, then ends
/// every task that is still running (see [`end_all_tasks`]). Only protocol messages are written
/// to stdout.
pub async fn serve_stdio(hub: Arc<Hub>, config: McpConfig) -> anyhow::Result<Stopped> {
    let grace = config.kill_grace;
    let server = AxiomMcp::new(Arc::clone(&hub), config);
    let stopped = tokio::select! {
        stopped = run(server) => stopped,
        () = termination_signal() => Stopped::Signal,
    };
    end_all_tasks(&hub, grace).await;
    // Closes the workers' sockets and writes out the task histories still queued; without it
    // the last events (an exit, say) could be lost with the process.
    hub.shutdown().await;
    Ok(stopped)
}

async fn run(server: AxiomMcp) -> Stopped {
    // Non-blocking pipes when the client launched us the usual way, so nothing is left blocked
    // in a read of stdin when the runtime shuts down.
    let shared = Arc::clone(&server.shared);
    let running = match server.serve(rmcp::transport::stdio_pipes()).await {
        Ok(running) => running,
        Err(err) => {
            tracing::debug!("the MCP session ended before it began: {err}");
            return Stopped::InputClosed;
        }
    };
    events::watch_rule_reloads(shared, running.peer().clone());
    match running.waiting().await {
        Ok(reason) => tracing::debug!(?reason, "the MCP session ended"),
        Err(err) => tracing::warn!("the MCP session failed: {err}"),
    }
    Stopped::InputClosed
}

async fn termination_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let mut terminate = signal(SignalKind::terminate()).ok();
    let mut interrupt = signal(SignalKind::interrupt()).ok();
    let mut hangup = signal(SignalKind::hangup()).ok();
    async fn recv(signal: &mut Option<tokio::signal::unix::Signal>) {
        match signal {
            Some(signal) => {
                signal.recv().await;
            }
            None => std::future::pending().await,
        }
    }
    tokio::select! {
        () = recv(&mut terminate) => {}
        () = recv(&mut interrupt) => {}
        () = recv(&mut hangup) => {}
    }
}
