//! Push: notifications about tasks, sent without being asked.
//!
//! - Each intervention and each exit of a task started through this server becomes a
//!   `notifications/message` (logger `axiom`, level by severity) with the task, rule, action and
//!   message in its data.
//! - A client that subscribed to a task's output resource gets `notifications/resources/updated`
//!   when output arrives, at most one per [`UPDATE_INTERVAL`] and always one after the last change.
//!
//! Every watcher sleeps on the task's watch channel; none polls.

use std::sync::Arc;
use std::time::Duration;

#[allow(deprecated)]
use rmcp::model::{LoggingLevel, LoggingMessageNotificationParam, ResourceUpdatedNotificationParam};
use rmcp::service::SubscriptionSink;
use rmcp::{Peer, RoleServer};
use serde_json::json;

use super::types::TaskView;
use super::Shared;
use crate::protocol::{InterventionRecord, TaskStatus};
use crate::rules::Severity;
use crate::tasks::{RuleReload, Task};

/// The `logger` of every `notifications/message`.
pub const LOGGER: &str = "axiom";

/// The shortest time between two `notifications/resources/updated` for one resource.
pub const UPDATE_INTERVAL: Duration = Duration::from_millis(250);

#[allow(deprecated)] // MCP logging is deprecated by SEP-2577 but still what clients show
/// Sends a log notification for every rule reload, and an error one for every rejected edit
/// (with its `FILE:LINE:COL` problems), for as long as the session lasts.
pub(super) fn watch_rule_reloads(shared: Arc<Shared>, peer: Peer<RoleServer>) {
    let mut reloads = shared.hub.tasks.rule_reloads();
    tokio::spawn(async move {
        loop {
            let event = match reloads.recv().await {
                Ok(event) => event,
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
            };
            let (level, data) = match event {
                RuleReload::Reloaded { rules, origin } => {
                    (LoggingLevel::Info, json!({"event": "rules_reloaded", "rules": rules, "origin": origin}))
                }
                RuleReload::Rejected { problems } => (
                    LoggingLevel::Error,
                    json!({"event": "rules_rejected", "problems": problems, "message": "the edit was rejected; the previous rules stay in force"}),
                ),
                RuleReload::Held { tasks, files } => (
                    LoggingLevel::Warning,
                    json!({"event": "rules_held", "tasks": tasks, "files": files, "message": "rule files changed while a task could edit them; the edit is not put in force until they are saved again"}),
                ),
            };
            if !shared.send_log(&peer, level, data).await {
                return;
            }
        }
    });
}

/// Sends a log notification for each intervention of `task` and one when it ends.
pub(super) fn watch_task(shared: Arc<Shared>, task: Arc<Task>, peer: Peer<RoleServer>) {
    tokio::spawn(async move {
        let mut changes = task.subscribe();
        let mut seen = 0;
        loop {
            // Status first: once it says finished, every intervention is already recorded.
            let status = task.status();
            for record in task.interventions_after(&mut seen) {
                let (level, data) = intervention_message(&record);
                if !shared.send_log(&peer, level, data).await {
                    return;
                }
            }
            if status.is_finished() {
                let view = TaskView::from(task.info());
                let (level, data) = exit_message(&status, &view);
                shared.send_log(&peer, level, data).await;
                return;
            }
            if changes.changed().await.is_err() {
                return;
            }
        }
    });
}

#[allow(deprecated)]
fn intervention_message(record: &InterventionRecord) -> (LoggingLevel, serde_json::Value) {
    let level = match record.severity {
        Severity::Info => LoggingLevel::Info,
        Severity::Warning => LoggingLevel::Warning,
        Severity::Error => LoggingLevel::Error,
        Severity::Critical => LoggingLevel::Critical,
    };
    let data = json!({
        "event": "intervention",
        "task_id": record.task_id,
        "intervention_id": record.id,
        "rule": record.rule,
        "severity": record.severity.as_str(),
        "action": record.action.as_str(),
        "message": record.message,
        "matched": record.matched,
        "text": format!(
            "task {}: rule `{}` fired ({}) on {:?}{}",
            record.task_id,
            record.rule,
            record.action,
            record.matched,
            record.message.as_deref().map(|m| format!(": {m}")).unwrap_or_default()
        ),
    });
    (level, data)
}

#[allow(deprecated)]
fn exit_message(status: &TaskStatus, view: &TaskView) -> (LoggingLevel, serde_json::Value) {
    let level = match status {
        TaskStatus::Exited { code: 0 } => LoggingLevel::Info,
        TaskStatus::Exited { .. } | TaskStatus::Killed { .. } => LoggingLevel::Warning,
        _ => LoggingLevel::Error,
    };
    let how = match (view.exit_code, view.signal, &view.message) {
        (Some(code), _, _) => format!("exit code {code}"),
        (_, Some(signal), _) => format!("signal {signal}"),
        (_, _, Some(message)) => message.clone(),
        _ => String::new(),
    };
    let data = json!({
        "event": "exit",
        "task_id": view.task_id,
        "status": view.status,
        "exit_code": view.exit_code,
        "signal": view.signal,
        "message": view.message,
        "runtime_ms": view.runtime_ms,
        "interventions": view.interventions,
        "text": format!("task {} {} ({how}) after {} ms", view.task_id, view.status, view.runtime_ms),
    });
    (level, data)
}

#[allow(deprecated)]
fn rank(level: LoggingLevel) -> u8 {
    match level {
        LoggingLevel::Debug => 0,
        LoggingLevel::Info => 1,
        LoggingLevel::Notice => 2,
        LoggingLevel::Warning => 3,
        LoggingLevel::Error => 4,
        LoggingLevel::Critical => 5,
        LoggingLevel::Alert => 6,
        LoggingLevel::Emergency => 7,
    }
}

impl Shared {
    #[allow(deprecated)]
    pub(super) fn set_log_level(&self, level: LoggingLevel) {
        *self.log_level.lock().unwrap_or_else(|p| p.into_inner()) = Some(level);
    }

    /// Sends a log notification unless the client asked for a higher level. False once the
    /// client is gone.
    #[allow(deprecated)]
    async fn send_log(&self, peer: &Peer<RoleServer>, level: LoggingLevel, data: serde_json::Value) -> bool {
        let minimum = *self.log_level.lock().unwrap_or_else(|p| p.into_inner());
        if minimum.is_some_and(|minimum| rank(level) < rank(minimum)) {
            return true;
        }
        let param = LoggingMessageNotificationParam::new(level, data).with_logger(LOGGER);
        peer.notify_logging_message(param).await.is_ok()
    }
}

/// Where resource updates go: the session (`resources/subscribe`) or one `subscriptions/listen`
/// stream.
#[derive(Clone)]
pub(super) enum UpdateSink {
    Session(Peer<RoleServer>),
    Listen(SubscriptionSink),
}

impl UpdateSink {
    async fn send(&self, uri: &str) -> bool {
        match self {
            UpdateSink::Session(peer) => {
                peer.notify_resource_updated(ResourceUpdatedNotificationParam::new(uri)).await.is_ok()
            }
            UpdateSink::Listen(sink) => sink.notify_resource_updated(uri).await.is_ok(),
        }
    }
}

/// Sends `notifications/resources/updated` for `uri` whenever the task's output grows, at most
/// once per [`UPDATE_INTERVAL`], until the task has ended or the client is gone.
pub(super) async fn follow_output(task: Arc<Task>, uri: String, sink: UpdateSink) {
    let mut changes = task.subscribe();
    let mut reported = task.info().output_bytes;
    loop {
        let info = task.info();
        if info.output_bytes != reported {
            reported = info.output_bytes;
            if !sink.send(&uri).await {
                return;
            }
            // Rate limit: changes during the pause are seen by the next `changed`.
            tokio::time::sleep(UPDATE_INTERVAL).await;
            continue;
        }
        if info.status.is_finished() || changes.changed().await.is_err() {
            return;
        }
    }
}
