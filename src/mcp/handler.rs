//! The MCP server handler: what the server declares, how tool calls are dispatched, the task
//! output resources and their subscriptions, and `logging/setLevel`.

use std::sync::Arc;

#[allow(deprecated)]
use rmcp::model::SetLevelRequestParams;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation, ListResourceTemplatesResult,
    ListResourcesResult, PaginatedRequestParams, ReadResourceRequestParams, ReadResourceResponse, ReadResourceResult,
    Resource, ResourceContents, ResourceTemplate, ServerCapabilities, ServerConfig, SubscribeRequestParams,
    SubscriptionFilter, UnsubscribeRequestParams,
};
use rmcp::service::{RequestContext, SubscriptionContext};
use rmcp::{tool_handler, ErrorData, RoleServer, ServerHandler};

use super::events::{follow_output, UpdateSink};
use super::output::{self, Window};
use super::AxiomMcp;
use crate::tasks::Task;

const URI_PREFIX: &str = "axiom://tasks/";
const URI_SUFFIX: &str = "/output";
/// The most output a `resources/read` returns (the newest part).
const RESOURCE_MAX_BYTES: usize = 1024 * 1024;

const INSTRUCTIONS: &str = "axiom runs commands and coding agents as supervised background tasks. Its rules watch \
everything a task prints and step in on their own (type a correction into the agent, interrupt it, or kill it). \
Start work with axiom_spawn (it returns at once), then call axiom_wait until `exit` or `intervention` instead of \
polling; read output with axiom_output (pass `cursor` back as `since` to get only new text); steer with axiom_send, \
axiom_interrupt and axiom_kill. axiom_check tests text or a prompt against the rules without running anything.";

/// The resource URI of a task's output.
pub fn output_uri(task_id: &str) -> String {
    format!("{URI_PREFIX}{task_id}{URI_SUFFIX}")
}

fn task_id_of(uri: &str) -> Option<&str> {
    uri.strip_prefix(URI_PREFIX)?.strip_suffix(URI_SUFFIX).filter(|id| !id.is_empty() && !id.contains('/'))
}

impl AxiomMcp {
    fn task_for_uri(&self, uri: &str) -> Result<Arc<Task>, ErrorData> {
        let id = task_id_of(uri).ok_or_else(|| {
            ErrorData::resource_not_found(
                format!("unknown resource {uri}: task output is at axiom://tasks/{{task_id}}/output"),
                None,
            )
        })?;
        self.shared.hub.tasks.get(id).ok_or_else(|| {
            ErrorData::resource_not_found(format!("no task `{id}`; resources/list shows the tasks"), None)
        })
    }
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for AxiomMcp {
    fn get_info(&self) -> ServerConfig {
        #[allow(deprecated)]
        let capabilities = ServerCapabilities::builder()
            .enable_tools()
            .enable_logging()
            .enable_resources()
            .enable_resources_subscribe()
            .build();
        ServerConfig::new(capabilities)
            .with_server_info(Implementation::new("axiom", env!("CARGO_PKG_VERSION")))
            .with_instructions(INSTRUCTIONS)
    }

    /// Dispatches to the tool router. Arguments that do not fit the tool's schema come back as
    /// an `isError` result that names the tool's arguments, so a model can correct the call.
    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let name = request.name.to_string();
        let Some(tool) = self.tool_router.get(&name).cloned() else {
            let known: Vec<String> =
                self.tool_router.list_all().into_iter().map(|tool| tool.name.to_string()).collect();
            return Err(ErrorData::invalid_params(
                format!("unknown tool `{name}`; the tools are {}", known.join(", ")),
                None,
            ));
        };
        let call = rmcp::handler::server::tool::ToolCallContext::new(self, request, context);
        let response = self.tool_router.call(call).await?;
        Ok(match response {
            CallToolResponse::Complete(result) if result.is_error == Some(true) => {
                CallToolResponse::Complete(explain_argument_error(&tool, result))
            }
            other => other,
        })
    }

    #[allow(deprecated)]
    async fn set_level(
        &self,
        request: SetLevelRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        self.shared.set_log_level(request.level);
        Ok(())
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        let resources = self
            .shared
            .hub
            .tasks
            .list()
            .into_iter()
            .map(|info| {
                Resource::new(output_uri(&info.task_id), format!("task-{}-output", info.task_id))
                    .with_title(format!("Output of task {} ({})", info.task_id, info.command.join(" ")))
                    .with_description(format!(
                        "What task {} printed, escapes removed; it is {}.",
                        info.task_id,
                        info.status.name()
                    ))
                    .with_mime_type("text/plain")
                    .with_size(info.output_bytes)
            })
            .collect();
        Ok(ListResourcesResult::with_all_items(resources))
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        let template = ResourceTemplate::new(format!("{URI_PREFIX}{{task_id}}{URI_SUFFIX}"), "task-output")
            .with_title("Output of a task")
            .with_description(
                "What a task printed, escapes removed (the newest 1 MiB). Subscribe to hear when it grows.",
            )
            .with_mime_type("text/plain");
        Ok(ListResourceTemplatesResult::with_all_items(vec![template]))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        let task = self.task_for_uri(&request.uri)?;
        let slice = output::read(&task, Window { since: None, tail_lines: None, max_bytes: RESOURCE_MAX_BYTES });
        let text = output::plain_text(&slice.bytes);
        Ok(ReadResourceResult::new(vec![ResourceContents::text(text, request.uri)]).into())
    }

    async fn subscribe(
        &self,
        request: SubscribeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        let task = self.task_for_uri(&request.uri)?;
        let mut subscriptions = self.shared.subscriptions.lock().unwrap_or_else(|p| p.into_inner());
        subscriptions.retain(|_, follower| !follower.is_finished());
        if let std::collections::hash_map::Entry::Vacant(entry) = subscriptions.entry(request.uri.clone()) {
            let follower = tokio::spawn(follow_output(task, request.uri, UpdateSink::Session(context.peer)));
            entry.insert(follower.abort_handle());
        }
        Ok(())
    }

    async fn unsubscribe(
        &self,
        request: UnsubscribeRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        if let Some(follower) = self.shared.subscriptions.lock().unwrap_or_else(|p| p.into_inner()).remove(&request.uri)
        {
            follower.abort();
        }
        Ok(())
    }

    /// 2026-07-28 clients subscribe through `subscriptions/listen`: only task output URIs that
    /// exist are accepted.
    fn accepted_subscription_filter(&self, requested: &SubscriptionFilter) -> Option<SubscriptionFilter> {
        let mut accepted = requested.supported_by(&self.get_info().capabilities);
        accepted.resource_subscriptions = accepted
            .resource_subscriptions
            .map(|uris| uris.into_iter().filter(|uri| self.task_for_uri(uri).is_ok()).collect());
        Some(accepted)
    }

    async fn listen(&self, context: SubscriptionContext) -> Result<(), ErrorData> {
        let mut followers = tokio::task::JoinSet::new();
        for uri in context.accepted().resource_subscriptions.clone().unwrap_or_default() {
            if let Ok(task) = self.task_for_uri(&uri) {
                followers.spawn(follow_output(task, uri, UpdateSink::Listen(context.sink().clone())));
            }
        }
        context.cancelled().await;
        followers.abort_all();
        Ok(())
    }
}

/// rmcp reports arguments that do not deserialize as `failed to deserialize parameters: …`;
/// this adds what the tool takes, so the model can fix the call.
fn explain_argument_error(tool: &rmcp::model::Tool, mut result: CallToolResult) -> CallToolResult {
    let Some(text) = result.content.first().and_then(|content| content.as_text()).map(|text| text.text.clone()) else {
        return result;
    };
    let Some(detail) = text.strip_prefix("failed to deserialize parameters: ") else { return result };
    let schema = &tool.input_schema;
    let properties: Vec<String> =
        schema.get("properties").and_then(|p| p.as_object()).map(|p| p.keys().cloned().collect()).unwrap_or_default();
    let required: Vec<String> = schema
        .get("required")
        .and_then(|r| r.as_array())
        .map(|r| r.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
        .unwrap_or_default();
    let mut message = format!("bad arguments for {}: {detail}.", tool.name);
    if !required.is_empty() {
        message.push_str(&format!(" Required: {}.", required.join(", ")));
    }
    if !properties.is_empty() {
        message.push_str(&format!(" Accepted: {}. See the tool's input schema.", properties.join(", ")));
    }
    result.content = vec![ContentBlock::text(message)];
    result
}
