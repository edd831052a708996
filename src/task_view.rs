//! A task as axiom reports it to people and scripts: `axiom client list --format json` and the MCP
//! tools (`axiom_status`, `axiom_spawn`'s end events) print this one shape, flat so that `jq` and
//! an agent read it without knowing the hub's protocol. The hub's own protocol keeps the tagged
//! [`TaskStatus`] that this is made from.

use schemars::JsonSchema;
use serde::Serialize;

use crate::agent::TurnStats;
use crate::pipeline::Activity;
use crate::protocol::{TaskInfo, TaskStatus};
use crate::tasks::now_ms;

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct TaskView {
    pub task_id: String,
    /// The argv that runs.
    pub command: Vec<String>,
    /// starting, running, exited, killed, failed (could not start) or lost (its worker vanished).
    pub status: String,
    /// For a running task: running (new output lately), idle (waiting at its own prompt) or silent.
    pub activity: Option<Activity>,
    /// The command's process id, once it runs.
    pub pid: Option<u32>,
    /// The exit code, when it exited; for a command that could not start, the status a shell
    /// would give (127: not found, 126: not runnable).
    pub exit_code: Option<i32>,
    /// The signal that ended it, when it was killed.
    pub signal: Option<i32>,
    /// Why it failed or was lost.
    pub message: Option<String>,
    /// Milliseconds since the Unix epoch.
    pub started_at: u64,
    pub ended_at: Option<u64>,
    /// How long it ran (or has been running), in milliseconds.
    pub runtime_ms: u64,
    /// Bytes of output so far; also the output cursor of its end.
    pub output_bytes: u64,
    /// Number of interventions so far (rules that fired).
    pub interventions: usize,
    /// For an agent run with `--driver claude`: how its last turn ended.
    pub session: Option<TurnStats>,
    /// Messages its worker connection sent that the real worker never sends (forged sequence
    /// numbers or exits, a second connection), refused and recorded.
    pub tamper_events: u64,
}

impl From<TaskInfo> for TaskView {
    fn from(info: TaskInfo) -> TaskView {
        let (exit_code, signal, message) = match &info.status {
            TaskStatus::Exited { code } => (Some(*code), None, None),
            TaskStatus::Killed { signal } => (None, Some(*signal), None),
            TaskStatus::Failed { message, code } => (*code, None, Some(message.clone())),
            TaskStatus::Lost => (None, None, Some("the worker process vanished without reporting an exit".to_owned())),
            TaskStatus::Starting | TaskStatus::Running => (None, None, None),
        };
        let end = info.ended_at.unwrap_or_else(now_ms);
        TaskView {
            task_id: info.task_id,
            command: info.command,
            status: info.status.name().to_owned(),
            activity: info.activity,
            pid: info.pid,
            exit_code,
            signal,
            message,
            started_at: info.started_at,
            ended_at: info.ended_at,
            runtime_ms: end.saturating_sub(info.started_at),
            output_bytes: info.output_bytes,
            interventions: info.interventions,
            session: info.session,
            tamper_events: info.tamper_events,
        }
    }
}
