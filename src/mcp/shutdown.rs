//! Ending every task when the MCP session ends: no orphaned workers, ever.
//!
//! Each running task is killed the way `axiom_kill` does it (SIGTERM to its process group, SIGKILL
//! after the grace period, applied by its worker), and the server waits until every task has
//! ended. A task whose worker has not connected yet gets the kill as soon as it does (the task
//! holds it). A worker that never reports back is covered twice over: once this process exits,
//! its socket closes, and a worker that loses this hub (which cannot come back: its reconnect
//! window is zero) kills its child's process group itself.

use std::time::Duration;

use crate::hub::Hub;
use crate::rules::Action;
use crate::tasks::TaskError;

/// Time on top of the grace period for workers to report the end of their tasks.
const SETTLE: Duration = Duration::from_secs(2);

/// Kills every unfinished task of the hub and waits until they have ended, at most
/// `grace` + 2 s. Returns how many tasks were still running when it gave up.
pub async fn end_all_tasks(hub: &Hub, grace: Duration) -> usize {
    let tasks: Vec<_> = hub.tasks.all().into_iter().filter(|task| !task.status().is_finished()).collect();
    if tasks.is_empty() {
        return 0;
    }
    crate::logging::note!("axiom: ending {} running task{}", tasks.len(), if tasks.len() == 1 { "" } else { "s" });
    let deadline = tokio::time::Instant::now() + grace + SETTLE;
    let mut waits = tokio::task::JoinSet::new();
    for task in tasks {
        waits.spawn(async move {
            let mut changes = task.subscribe();
            let mut asked = false;
            loop {
                if task.status().is_finished() {
                    return true;
                }
                if !asked {
                    match task.intervene(Action::Kill, None, Some(grace)) {
                        Ok(_) => asked = true,
                        // The worker's queue is full: try again on the next change.
                        Err(TaskError::WorkerBusy(_)) => {}
                        Err(_) => return task.status().is_finished(),
                    }
                }
                match tokio::time::timeout_at(deadline, changes.changed()).await {
                    Ok(Ok(())) => {}
                    Ok(Err(_)) | Err(_) => return task.status().is_finished(),
                }
            }
        });
    }
    let mut left = 0;
    while let Some(ended) = waits.join_next().await {
        if !matches!(ended, Ok(true)) {
            left += 1;
        }
    }
    if left > 0 {
        crate::logging::note!(
            "axiom: {left} task(s) did not report their end; their workers end them when this process exits"
        );
    }
    left
}
