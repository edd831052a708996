//! Claude Code's JSON lines: the `stream-json` protocol of `claude -p` and the session
//! transcripts it saves under `~/.claude/projects/`, which share the `message` shape.
//!
//! Only what axiom needs is typed; every other key is ignored, so a newer CLI that adds fields
//! (it often does) still parses. Facts checked against `@anthropic-ai/claude-code@2.1.332`:
//!
//! - Input, one JSON object per line: a user message
//!   `{"type":"user","message":{"role":"user","content":"…"},"parent_tool_use_id":null,"session_id":"…"}`
//!   (sent mid-turn it reaches the model after the running tool's result), and control requests
//!   such as `{"type":"control_request","request_id":R,"request":{"subtype":"interrupt"}}`.
//! - With `--permission-prompt-tool stdio` the CLI asks before a tool call with a
//!   `control_request` of subtype `can_use_tool`, and waits for the `control_response`
//!   ([`permission_answer`]).
//! - A turn ends with a `result` event: `subtype`, `is_error`, `num_turns`, `total_cost_usd`.

use serde::Deserialize;
use serde_json::{json, Value};

use super::{AgentEvent, TurnStats};

/// One line of stream-json output or of a session transcript. Unknown line types parse too; they
/// carry no events.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ClaudeLine {
    /// `system`, `assistant`, `user`, `result`, `control_request`, `control_response`, … (and in
    /// transcripts `summary`, `attachment`, …).
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default)]
    pub subtype: Option<String>,
    #[serde(default)]
    pub message: Option<Message>,
    #[serde(default)]
    pub session_id: Option<String>,
    #[serde(default)]
    pub request_id: Option<String>,
    #[serde(default)]
    pub request: Option<ControlRequest>,
    #[serde(default)]
    pub response: Option<ControlResponse>,
    // `result` events:
    #[serde(default)]
    pub is_error: Option<bool>,
    #[serde(default)]
    pub num_turns: Option<u64>,
    #[serde(default)]
    pub total_cost_usd: Option<f64>,
    #[serde(default)]
    pub duration_ms: Option<u64>,
}

/// A message of the Messages API, as Claude Code relays and saves it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Message {
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub content: Content,
}

/// A message's content: a plain string or a list of blocks.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Content {
    Text(String),
    Blocks(Vec<Block>),
}

impl Default for Content {
    fn default() -> Self {
        Content::Blocks(Vec::new())
    }
}

/// One content block; which fields are set depends on `kind` (`text`, `tool_use`, `tool_result`,
/// `thinking`, `image`, …).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Block {
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub input: Option<Value>,
    #[serde(default)]
    pub tool_use_id: Option<String>,
    #[serde(default)]
    pub content: Option<Content>,
    #[serde(default)]
    pub is_error: Option<bool>,
}

/// The body of a `control_request`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ControlRequest {
    /// `can_use_tool`, `interrupt`, …
    #[serde(default)]
    pub subtype: String,
    #[serde(default)]
    pub tool_name: Option<String>,
    #[serde(default)]
    pub input: Option<Value>,
    #[serde(default)]
    pub tool_use_id: Option<String>,
}

/// The body of a `control_response` (the CLI's answer to a control request axiom sent).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ControlResponse {
    /// `success` or `error`.
    #[serde(default)]
    pub subtype: String,
    #[serde(default)]
    pub request_id: String,
}

/// A `can_use_tool` request: the CLI waits for [`permission_answer`] before it runs the tool.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolPermission {
    pub request_id: String,
    pub tool_name: String,
    pub input: Value,
    pub tool_use_id: Option<String>,
}

/// Parses one line. Blank lines are an error like any other non-JSON line.
pub fn parse_line(line: &str) -> Result<ClaudeLine, serde_json::Error> {
    serde_json::from_str(line)
}

impl ClaudeLine {
    /// The agent events this line holds, in order. A transcript's `user` line with string content
    /// is a prompt; tool results are `user` lines with `tool_result` blocks.
    pub fn events(&self) -> Vec<AgentEvent> {
        let mut events = Vec::new();
        match self.kind.as_str() {
            "assistant" | "user" => {
                if let Some(message) = &self.message {
                    message_events(message, self.kind == "user", &mut events);
                }
            }
            "result" => events.push(AgentEvent::TurnEnd(self.turn_stats())),
            _ => {}
        }
        events
    }

    /// The stats of a `result` line.
    pub fn turn_stats(&self) -> TurnStats {
        TurnStats {
            subtype: self.subtype.clone().unwrap_or_default(),
            is_error: self.is_error.unwrap_or(false),
            turns: self.num_turns,
            cost_usd: self.total_cost_usd,
            duration_ms: self.duration_ms,
            session_id: self.session_id.clone(),
        }
    }

    /// The permission request this line is, if it is one.
    pub fn tool_permission(&self) -> Option<ToolPermission> {
        let request = self.request.as_ref().filter(|_| self.kind == "control_request")?;
        (request.subtype == "can_use_tool").then(|| ToolPermission {
            request_id: self.request_id.clone().unwrap_or_default(),
            tool_name: request.tool_name.clone().unwrap_or_default(),
            input: request.input.clone().unwrap_or(Value::Null),
            tool_use_id: request.tool_use_id.clone(),
        })
    }
}

fn message_events(message: &Message, from_user: bool, events: &mut Vec<AgentEvent>) {
    match &message.content {
        Content::Text(text) if from_user => events.push(AgentEvent::Prompt { text: text.clone() }),
        Content::Text(text) => events.push(AgentEvent::Text { text: text.clone() }),
        Content::Blocks(blocks) => {
            for block in blocks {
                match block.kind.as_str() {
                    "text" => {
                        let text = block.text.clone().unwrap_or_default();
                        events.push(if from_user { AgentEvent::Prompt { text } } else { AgentEvent::Text { text } });
                    }
                    "tool_use" | "server_tool_use" => events.push(AgentEvent::ToolCall {
                        id: block.id.clone(),
                        name: block.name.clone().unwrap_or_default(),
                        input: block.input.clone().unwrap_or(Value::Null),
                    }),
                    "tool_result" => events.push(AgentEvent::ToolResult {
                        id: block.tool_use_id.clone(),
                        text: block.content.as_ref().map(content_text).unwrap_or_default(),
                        is_error: block.is_error.unwrap_or(false),
                    }),
                    _ => {}
                }
            }
        }
    }
}

/// The text of a tool result: a string, or the text blocks of a list joined by newlines.
fn content_text(content: &Content) -> String {
    match content {
        Content::Text(text) => text.clone(),
        Content::Blocks(blocks) => {
            blocks.iter().filter_map(|block| block.text.as_deref()).collect::<Vec<_>>().join("\n")
        }
    }
}

/// The tool calls in a chunk of whole stream-json lines, each as its `TOOL: ARGUMENT` line: what
/// a person watching a session wants to see of the raw events besides the rendered text.
pub fn tool_calls_in(chunk: &[u8]) -> Vec<String> {
    let mut calls = Vec::new();
    for line in chunk.split(|&b| b == b'\n') {
        // Only assistant lines carry tool calls; skip the rest without parsing them.
        if memchr::memmem::find(line, b"\"tool_use\"").is_none() {
            continue;
        }
        let Some(parsed) = std::str::from_utf8(line).ok().and_then(|text| parse_line(text).ok()) else { continue };
        if parsed.kind != "assistant" {
            continue;
        }
        for event in parsed.events() {
            if let AgentEvent::ToolCall { name, input, .. } = event {
                calls.push(super::tool_line(&name, &input));
            }
        }
    }
    calls
}

/// A session transcript (`~/.claude/projects/*/SESSION.jsonl`) as agent events, split where the
/// last Stop hook ran: what happened before it, and what the session did since (the turn a Stop
/// hook now judges). Claude Code writes a `system` line of subtype `stop_hook_summary` after the
/// Stop hooks of a turn have run; without one, everything is "since".
pub fn split_at_last_stop(transcript: &str) -> (Vec<AgentEvent>, Vec<AgentEvent>) {
    let mut before = Vec::new();
    let mut since = Vec::new();
    for line in transcript.lines() {
        // Most lines are attachments, snapshots and bookkeeping: skip them without parsing.
        let bytes = line.as_bytes();
        let relevant = ["\"type\":\"user\"", "\"type\":\"assistant\"", "stop_hook_summary"]
            .iter()
            .any(|needle| memchr::memmem::find(bytes, needle.as_bytes()).is_some());
        if !relevant {
            continue;
        }
        let Ok(parsed) = parse_line(line) else { continue };
        if parsed.kind == "system" && parsed.subtype.as_deref() == Some("stop_hook_summary") {
            before.append(&mut since);
            continue;
        }
        since.extend(parsed.events());
    }
    (before, since)
}

/// A user message for stream-json input, one line with its `\n`.
pub fn user_message(text: &str, session_id: &str) -> String {
    let message = json!({
        "type": "user",
        "message": { "role": "user", "content": text },
        "parent_tool_use_id": null,
        "session_id": session_id,
    });
    format!("{message}\n")
}

/// An `interrupt` control request: the CLI acknowledges it, kills the running tool and ends the
/// turn with `error_during_execution`.
pub fn interrupt_request(request_id: &str) -> String {
    let request = json!({ "type": "control_request", "request_id": request_id, "request": { "subtype": "interrupt" } });
    format!("{request}\n")
}

/// The answer to a `can_use_tool` request: allow the call unchanged, or deny it with a message
/// the model receives as the tool's error.
pub fn permission_answer(permission: &ToolPermission, deny: Option<&str>) -> String {
    let decision = match deny {
        Some(message) => json!({ "behavior": "deny", "message": message }),
        None => json!({ "behavior": "allow", "updatedInput": permission.input }),
    };
    let response = json!({
        "type": "control_response",
        "response": { "subtype": "success", "request_id": permission.request_id, "response": decision },
    });
    format!("{response}\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::{render, AgentLine};
    use crate::rules::Scope;

    /// Lines as `claude -p --output-format stream-json --verbose` 2.1.332 printed them (trimmed).
    const STREAM: &str = r#"{"type":"system","subtype":"init","cwd":"/tmp","session_id":"s1","tools":["Bash"]}
{"type":"assistant","message":{"id":"msg_0","type":"message","role":"assistant","content":[{"type":"text","text":"I will delete it."}]},"parent_tool_use_id":null,"session_id":"s1"}
{"type":"assistant","message":{"id":"msg_0","role":"assistant","content":[{"type":"tool_use","id":"toolu_01","name":"Bash","input":{"command":"rm -rf /tmp/victim","description":"delete"}}]},"session_id":"s1"}
{"type":"control_request","request_id":"r-1","request":{"subtype":"can_use_tool","tool_name":"Bash","display_name":"Bash","input":{"command":"rm -rf /tmp/victim","description":"delete"},"tool_use_id":"toolu_01"}}
{"type":"user","message":{"role":"user","content":[{"type":"tool_result","content":"RULE: no","is_error":true,"tool_use_id":"toolu_01"}]},"session_id":"s1"}
{"duration_api_ms":94,"stop_reason":"end_turn","session_id":"s1","total_cost_usd":0.00032,"is_error":false,"num_turns":2,"subtype":"success","result":"All done.","type":"result","duration_ms":310}"#;

    fn lines_of(text: &str) -> Vec<AgentLine> {
        let mut lines = Vec::new();
        for line in text.lines() {
            for event in parse_line(line).unwrap().events() {
                render(&event, &mut lines);
            }
        }
        lines
    }

    #[test]
    fn a_stream_renders_text_tool_calls_and_results() {
        assert_eq!(
            lines_of(STREAM),
            [
                AgentLine::new(Scope::Output, "I will delete it."),
                AgentLine::new(Scope::Tool, "Bash: rm -rf /tmp/victim"),
                AgentLine::new(Scope::Output, "RULE: no"),
            ]
        );
    }

    #[test]
    fn the_result_line_carries_the_session_stats() {
        let result = parse_line(STREAM.lines().last().unwrap()).unwrap();
        let stats = TurnStats {
            subtype: "success".into(),
            is_error: false,
            turns: Some(2),
            cost_usd: Some(0.00032),
            duration_ms: Some(310),
            session_id: Some("s1".into()),
        };
        assert_eq!(result.events(), [AgentEvent::TurnEnd(stats)]);
    }

    #[test]
    fn a_permission_request_is_recognised_and_answered() {
        let request = parse_line(STREAM.lines().nth(3).unwrap()).unwrap();
        let permission = request.tool_permission().unwrap();
        assert_eq!((permission.tool_name.as_str(), permission.tool_use_id.as_deref()), ("Bash", Some("toolu_01")));
        let deny: Value = serde_json::from_str(&permission_answer(&permission, Some("no"))).unwrap();
        assert_eq!(deny["response"]["request_id"], "r-1");
        assert_eq!(deny["response"]["response"], json!({"behavior": "deny", "message": "no"}));
        let allow: Value = serde_json::from_str(&permission_answer(&permission, None)).unwrap();
        assert_eq!(allow["response"]["response"]["updatedInput"]["command"], "rm -rf /tmp/victim");
        assert!(parse_line(STREAM.lines().next().unwrap()).unwrap().tool_permission().is_none());
    }

    #[test]
    fn transcript_lines_share_the_message_shape() {
        // From ~/.claude/projects/*/SESSION.jsonl (2.1.332), trimmed; `type` comes after `message`.
        let transcript = r#"{"type":"queue-operation","operation":"enqueue","content":"delete victim"}
{"parentUuid":null,"isSidechain":false,"type":"user","message":{"role":"user","content":"delete victim"},"uuid":"u1"}
{"parentUuid":"u1","message":{"id":"msg_0","role":"assistant","content":[{"type":"text","text":"All tests pass."}]},"type":"assistant","uuid":"u2"}
{"parentUuid":"u2","type":"user","message":{"role":"user","content":[{"type":"tool_result","content":[{"type":"text","text":"3 passed"}],"tool_use_id":"t"}]}}
{"type":"summary","summary":"Deleted a dir","leafUuid":"u2"}"#;
        assert_eq!(
            lines_of(transcript),
            [
                AgentLine::new(Scope::Prompt, "delete victim"),
                AgentLine::new(Scope::Output, "All tests pass."),
                AgentLine::new(Scope::Output, "3 passed"),
            ]
        );
    }

    #[test]
    fn a_transcript_splits_where_the_last_stop_hook_ran() {
        let transcript = r#"{"type":"user","message":{"role":"user","content":"run the tests"}}
{"type":"assistant","message":{"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"Bash","input":{"command":"cargo test"}}]}}
{"type":"user","message":{"role":"user","content":[{"type":"tool_result","content":"Exit code 101","is_error":true,"tool_use_id":"t1"}]}}
{"type":"assistant","message":{"role":"assistant","content":[{"type":"text","text":"Two tests fail."}]}}
{"parentUuid":"u4","type":"system","subtype":"stop_hook_summary","hookCount":1,"preventedContinuation":false}
{"type":"attachment","attachment":{"type":"date","date":"2026-12-01"}}
{"type":"user","message":{"role":"user","content":"fix them"}}
{"type":"assistant","message":{"role":"assistant","content":[{"type":"text","text":"Fixed."}]}}"#;
        let (before, since) = split_at_last_stop(transcript);
        assert_eq!(before.len(), 4, "{before:?}");
        assert!(matches!(&before[2], AgentEvent::ToolResult { is_error: true, .. }));
        assert_eq!(since, [AgentEvent::Prompt { text: "fix them".into() }, AgentEvent::Text { text: "Fixed.".into() }]);
        let (before, since) = split_at_last_stop(transcript.lines().take(4).collect::<Vec<_>>().join("\n").as_str());
        assert!(before.is_empty());
        assert_eq!(since.len(), 4);
    }

    #[test]
    fn outgoing_messages_are_single_json_lines() {
        for line in [user_message("stop\nnow", "s1"), interrupt_request("i-1")] {
            assert!(line.ends_with('\n') && !line.trim_end().contains('\n'), "{line:?}");
            serde_json::from_str::<Value>(&line).unwrap();
        }
        let message: Value = serde_json::from_str(&user_message("stop", "s1")).unwrap();
        assert_eq!(message["message"]["content"], "stop");
    }
}
