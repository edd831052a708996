//! Recording a hook's decision at the running hub, so hook-supervised sessions show up in
//! `axiom client list` and in the task histories like spawned tasks.
//!
//! A hook sits on the agent's critical path, so this never changes the decision and never holds
//! the session up for long: no hub (no `hub.json`) means nothing to do; a hub that does not
//! accept, answer or exist within [`RECORD_LIMIT`] costs that much at most and a line on stderr.

use std::time::Duration;

use anyhow::{bail, Context as _};
use futures_util::{SinkExt as _, StreamExt as _};
use serde_json::Value;

use super::Verdict;
use crate::cli::HubArgs;
use crate::dial::dial;
use crate::hub::auth::Token;
use crate::protocol::{ClientRequest, HookFired, HookRecord, HubToClient};
use crate::state::StateDir;

/// The most recording may take, connecting included.
const RECORD_LIMIT: Duration = Duration::from_millis(300);
/// The most of the hook's input and judged lines sent (a tool's response can be a whole file);
/// beyond it, the raw input is left out and the lines are cut.
const RECORD_BYTES: usize = 256 * 1024;

/// Records `verdict` on the task of `event`'s session, when a hub is running.
pub(super) fn at_hub(hub: &HubArgs, event: &Value, input: &str, verdict: &Verdict) {
    let Some(session) = event["session_id"].as_str() else { return };
    let Some((server, token)) = find_hub(hub) else { return };
    let record = HookRecord {
        session: session.to_owned(),
        cwd: event["cwd"].as_str().map(str::to_owned),
        event: event["hook_event_name"].as_str().unwrap_or("unknown").to_owned(),
        lines: bounded(&verdict.lines),
        raw: (input.len() <= RECORD_BYTES).then(|| input.trim().to_owned()),
        fired: verdict.fired.iter().map(HookFired::new).collect(),
    };
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(err) => {
            crate::logging::note!("axiom hook: not recorded at the hub: {err}");
            return;
        }
    };
    match runtime.block_on(async { tokio::time::timeout(RECORD_LIMIT, send(&server, &token, record)).await }) {
        Ok(Ok(Some(task))) => tracing::debug!(%task, "recorded at the hub"),
        Ok(Ok(None)) => tracing::debug!("the hub has no running task for this session to end"),
        Ok(Err(err)) => crate::logging::note!("axiom hook: not recorded at the hub: {err:#}"),
        Err(_) => crate::logging::note!(
            "axiom hook: not recorded: the hub at {server} did not answer within {RECORD_LIMIT:?}"
        ),
    }
}

/// The hub's address and the client token, as `axiom client` finds them; `None` when no hub is
/// running (then there is nothing to record, and nothing to say).
fn find_hub(hub: &HubArgs) -> Option<(String, Token)> {
    let state = StateDir::resolve(hub.state.state_dir.as_deref()).ok()?;
    let server = match &hub.server {
        Some(server) => server.clone(),
        None => state.read_hub_info().ok()?.url,
    };
    match state.read_token(hub.token_file.as_deref()) {
        Ok(token) => Some((server, token)),
        Err(err) => {
            crate::logging::note!("axiom hook: not recorded at the hub {server}: {err:#}");
            None
        }
    }
}

/// Sends the record; returns the id of the task it was kept on, if the hub kept it on one.
async fn send(server: &str, token: &Token, record: HookRecord) -> anyhow::Result<Option<String>> {
    let mut socket = dial(server, "/client", token, 1024 * 1024).await?;
    socket.send(crate::hub::encode(&ClientRequest::HookRecord { id: Some(1), record })).await?;
    let task = loop {
        match socket.next().await {
            Some(Ok(frame)) if frame.is_text() => {
                match serde_json::from_str(frame.to_text()?).context("unreadable reply from the hub")? {
                    HubToClient::Recorded { task_id, .. } => break task_id,
                    HubToClient::Error { message, .. } => bail!("{message}"),
                    _ => continue,
                }
            }
            Some(Ok(_)) => continue,
            Some(Err(err)) => bail!("the hub connection failed: {err}"),
            None => bail!("the hub closed the connection"),
        }
    };
    let _ = socket.close(None).await;
    Ok(task)
}

/// `lines` up to [`RECORD_BYTES`], and a last line saying how many were left out.
fn bounded(lines: &[String]) -> Vec<String> {
    let mut kept = Vec::new();
    let mut size = 0;
    for (index, line) in lines.iter().enumerate() {
        size += line.len() + 1;
        if size > RECORD_BYTES {
            kept.push(format!("… {} more lines not recorded", lines.len() - index));
            break;
        }
        kept.push(line.clone());
    }
    kept
}
