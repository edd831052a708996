//! Codex CLI's JSON lines: the session files it saves under `~/.codex/sessions/` (`rollout-*.jsonl`)
//! and the events `codex exec --json` prints.
//!
//! Three shapes are read, line by line, each recognised by its own keys:
//!
//! - saved sessions (0.3x on): `{"timestamp":…,"type":"response_item","payload":ITEM}`, besides
//!   `session_meta`, `turn_context`, `event_msg` and `compacted` lines. `event_msg` lines repeat
//!   what the `response_item`s say (the agent's message, the user's) and are skipped, so nothing
//!   is judged twice;
//! - older saved sessions: the first line is `{"id":…,"timestamp":…,"instructions":…}`, then one
//!   bare `ITEM` per line, with `{"record_type":"state"}` lines between;
//! - `codex exec --json`: `{"type":"item.completed","item":{"type":"agent_message"|"command_execution"|"file_change",…}}`.
//!
//! An `ITEM` is a Responses API item: `message` (role `user`, `assistant`, or `developer`/`system`
//! for Codex's own instructions, which are skipped), `function_call` (`name`, `arguments` as a JSON
//! string, `call_id`), `function_call_output` (`output`: a string, itself often JSON
//! `{"output":…,"metadata":{"exit_code":N}}`, or text with a line `Exit code: N` or
//! `Process exited with code N`), `custom_tool_call` / `custom_tool_call_output` (`apply_patch`
//! with the patch as `input`), `local_shell_call` (`action.command` as argv) and `reasoning`
//! (skipped: it is the model's scratch work, not what it told the user).

use serde_json::{json, Value};

use super::AgentEvent;

/// The events one line holds, in order. Lines of other types (metadata, state) hold none.
pub fn parse_line(line: &str) -> Result<Vec<AgentEvent>, serde_json::Error> {
    let value: Value = serde_json::from_str(line)?;
    let mut events = Vec::new();
    match value.get("type").and_then(Value::as_str) {
        Some("response_item") => {
            if let Some(item) = value.get("payload") {
                item_events(item, &mut events);
            }
        }
        Some("item.completed") => {
            if let Some(item) = value.get("item") {
                exec_item_events(item, &mut events);
            }
        }
        Some(_) => item_events(&value, &mut events),
        None => {}
    }
    Ok(events)
}

/// Whether a parsed JSON line is one of Codex's: a saved session's envelope, an older session's
/// first line or item, or an `exec --json` event.
pub fn is_codex_line(value: &Value) -> bool {
    let kind = value.get("type").and_then(Value::as_str);
    match kind {
        Some("session_meta" | "response_item" | "turn_context" | "event_msg" | "compacted") => {
            value.get("payload").is_some()
        }
        Some("thread.started" | "turn.started" | "item.started" | "item.completed" | "turn.completed") => true,
        Some("message") => value.get("role").is_some() && value.get("content").is_some(),
        Some("function_call" | "function_call_output" | "reasoning" | "local_shell_call") => true,
        Some(_) => false,
        None => {
            value.get("record_type").is_some()
                || (value.get("id").is_some()
                    && value.get("timestamp").is_some()
                    && value.get("instructions").is_some())
        }
    }
}

/// A Responses API item as Codex saves it.
fn item_events(item: &Value, events: &mut Vec<AgentEvent>) {
    let text = |key: &str| item.get(key).and_then(Value::as_str).unwrap_or_default().to_owned();
    let call_id = || item.get("call_id").and_then(Value::as_str).map(str::to_owned);
    match item.get("type").and_then(Value::as_str).unwrap_or_default() {
        "message" => {
            let text = message_text(item.get("content"));
            match item.get("role").and_then(Value::as_str) {
                Some("user") => events.push(AgentEvent::Prompt { text }),
                Some("assistant") => events.push(AgentEvent::Text { text }),
                // `developer` and `system`: Codex's own instructions, not the session.
                _ => {}
            }
        }
        "function_call" | "custom_tool_call" => {
            let input = match item.get("arguments") {
                // Arguments come as a JSON string; one that does not parse is kept as text.
                Some(Value::String(arguments)) => {
                    serde_json::from_str(arguments).unwrap_or(Value::String(arguments.clone()))
                }
                Some(arguments) => arguments.clone(),
                None => item.get("input").cloned().unwrap_or(Value::Null),
            };
            events.push(AgentEvent::ToolCall { id: call_id(), name: text("name"), input });
        }
        "local_shell_call" => {
            let command = item.pointer("/action/command").cloned().unwrap_or(Value::Null);
            let id = call_id().or_else(|| item.get("id").and_then(Value::as_str).map(str::to_owned));
            events.push(AgentEvent::ToolCall { id, name: "local_shell".into(), input: json!({ "command": command }) });
        }
        "function_call_output" | "custom_tool_call_output" => {
            let (text, exit_code) = call_output(item.get("output"));
            events.push(AgentEvent::ToolResult {
                id: call_id(),
                text,
                is_error: exit_code.is_some_and(|code| code != 0),
            });
        }
        _ => {}
    }
}

/// An item of `codex exec --json`.
fn exec_item_events(item: &Value, events: &mut Vec<AgentEvent>) {
    let id = item.get("id").and_then(Value::as_str).map(str::to_owned);
    let text = |key: &str| item.get(key).and_then(Value::as_str).unwrap_or_default().to_owned();
    match item.get("type").and_then(Value::as_str).unwrap_or_default() {
        "agent_message" => events.push(AgentEvent::Text { text: text("text") }),
        "command_execution" => {
            let command = item.get("command").cloned().unwrap_or(Value::Null);
            events.push(AgentEvent::ToolCall {
                id: id.clone(),
                name: "shell".into(),
                input: json!({ "command": command }),
            });
            let exit_code = item.get("exit_code").and_then(Value::as_i64);
            let failed =
                exit_code.map_or(item.get("status").and_then(Value::as_str) == Some("failed"), |code| code != 0);
            events.push(AgentEvent::ToolResult { id, text: text("aggregated_output"), is_error: failed });
        }
        "file_change" => {
            for change in item.get("changes").and_then(Value::as_array).into_iter().flatten() {
                let path = change.get("path").cloned().unwrap_or(Value::Null);
                events.push(AgentEvent::ToolCall {
                    id: id.clone(),
                    name: "Edit".into(),
                    input: json!({ "file_path": path }),
                });
            }
        }
        _ => {}
    }
}

/// The text of a message's content: a string, or its text blocks (`input_text`, `output_text`)
/// joined by newlines.
fn message_text(content: Option<&Value>) -> String {
    match content {
        Some(Value::String(text)) => text.clone(),
        Some(Value::Array(blocks)) => {
            blocks.iter().filter_map(|block| block.get("text").and_then(Value::as_str)).collect::<Vec<_>>().join("\n")
        }
        _ => String::new(),
    }
}

/// What a call returned, and its exit code when the output says.
fn call_output(output: Option<&Value>) -> (String, Option<i64>) {
    let output = match output {
        Some(Value::String(text)) => text.clone(),
        Some(Value::Null) | None => return (String::new(), None),
        Some(other) => other.to_string(),
    };
    if let Ok(Value::Object(wrapped)) = serde_json::from_str::<Value>(&output) {
        if let Some(text) = wrapped.get("output").and_then(Value::as_str) {
            let exit_code = wrapped.get("metadata").and_then(|meta| meta.get("exit_code")).and_then(Value::as_i64);
            return (text.to_owned(), exit_code);
        }
    }
    let exit_code = output.lines().take(8).find_map(|line| {
        let rest = line.strip_prefix("Exit code: ").or_else(|| line.strip_prefix("Process exited with code "))?;
        rest.trim().parse().ok()
    });
    (output, exit_code)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events_of(text: &str) -> Vec<AgentEvent> {
        text.lines().flat_map(|line| parse_line(line).unwrap()).collect()
    }

    #[test]
    fn a_saved_session_gives_prompts_text_calls_and_results_with_exit_codes() {
        let session = r#"{"timestamp":"t","type":"session_meta","payload":{"id":"s","cwd":"/p","cli_version":"0.50.0"}}
{"timestamp":"t","type":"response_item","payload":{"type":"message","role":"developer","content":[{"type":"input_text","text":"<permissions>"}]}}
{"timestamp":"t","type":"response_item","payload":{"type":"message","role":"user","content":[{"type":"input_text","text":"fix the test"}]}}
{"timestamp":"t","type":"event_msg","payload":{"type":"user_message","message":"fix the test"}}
{"timestamp":"t","type":"response_item","payload":{"type":"reasoning","summary":[{"type":"summary_text","text":"thinking"}]}}
{"timestamp":"t","type":"response_item","payload":{"type":"function_call","name":"shell","arguments":"{\"command\":[\"bash\",\"-lc\",\"cargo test\"]}","call_id":"c1"}}
{"timestamp":"t","type":"response_item","payload":{"type":"function_call_output","call_id":"c1","output":"{\"output\":\"test result: FAILED\",\"metadata\":{\"exit_code\":101}}"}}
{"timestamp":"t","type":"response_item","payload":{"type":"function_call","name":"exec_command","arguments":"{\"cmd\":\"ls\"}","call_id":"c2"}}
{"timestamp":"t","type":"response_item","payload":{"type":"function_call_output","call_id":"c2","output":"Chunk ID: 1\nProcess exited with code 0\nOutput:\na.rs"}}
{"timestamp":"t","type":"response_item","payload":{"type":"message","role":"assistant","content":[{"type":"output_text","text":"Done."}]}}"#;
        assert_eq!(
            events_of(session),
            [
                AgentEvent::Prompt { text: "fix the test".into() },
                AgentEvent::ToolCall {
                    id: Some("c1".into()),
                    name: "shell".into(),
                    input: json!({"command": ["bash", "-lc", "cargo test"]})
                },
                AgentEvent::ToolResult { id: Some("c1".into()), text: "test result: FAILED".into(), is_error: true },
                AgentEvent::ToolCall {
                    id: Some("c2".into()),
                    name: "exec_command".into(),
                    input: json!({"cmd": "ls"})
                },
                AgentEvent::ToolResult {
                    id: Some("c2".into()),
                    text: "Chunk ID: 1\nProcess exited with code 0\nOutput:\na.rs".into(),
                    is_error: false
                },
                AgentEvent::Text { text: "Done.".into() },
            ]
        );
    }

    #[test]
    fn older_sessions_and_exec_json_events_are_read_too() {
        let older = r#"{"id":"s","timestamp":"t","instructions":null}
{"record_type":"state"}
{"type":"message","role":"assistant","content":[{"type":"output_text","text":"All tests pass."}]}
{"type":"custom_tool_call","name":"apply_patch","input":"*** Begin Patch\n*** Update File: a.rs\n*** End Patch","call_id":"p"}
{"type":"custom_tool_call_output","call_id":"p","output":"Exit code: 0\nSuccess."}"#;
        assert_eq!(
            events_of(older),
            [
                AgentEvent::Text { text: "All tests pass.".into() },
                AgentEvent::ToolCall {
                    id: Some("p".into()),
                    name: "apply_patch".into(),
                    input: json!("*** Begin Patch\n*** Update File: a.rs\n*** End Patch")
                },
                AgentEvent::ToolResult { id: Some("p".into()), text: "Exit code: 0\nSuccess.".into(), is_error: false },
            ]
        );
        let exec = r#"{"type":"thread.started","thread_id":"x"}
{"type":"item.completed","item":{"id":"i1","type":"command_execution","command":"bash -lc 'npm test'","aggregated_output":"1 failing","exit_code":1,"status":"failed"}}
{"type":"item.completed","item":{"id":"i2","type":"file_change","changes":[{"path":"src/a.ts","kind":"update"}],"status":"completed"}}"#;
        assert_eq!(
            events_of(exec),
            [
                AgentEvent::ToolCall {
                    id: Some("i1".into()),
                    name: "shell".into(),
                    input: json!({"command": "bash -lc 'npm test'"})
                },
                AgentEvent::ToolResult { id: Some("i1".into()), text: "1 failing".into(), is_error: true },
                AgentEvent::ToolCall {
                    id: Some("i2".into()),
                    name: "Edit".into(),
                    input: json!({"file_path": "src/a.ts"})
                },
            ]
        );
    }

    #[test]
    fn codex_lines_are_told_from_other_json() {
        let yes = [
            r#"{"timestamp":"t","type":"session_meta","payload":{}}"#,
            r#"{"id":"s","timestamp":"t","instructions":null}"#,
            r#"{"type":"thread.started","thread_id":"x"}"#,
            r#"{"type":"message","role":"user","content":[]}"#,
        ];
        let no = [r#"{"type":"assistant","message":{}}"#, r#"{"level":"info","msg":"x"}"#, r#"{"type":"message"}"#];
        for line in yes {
            assert!(is_codex_line(&serde_json::from_str(line).unwrap()), "{line}");
        }
        for line in no {
            assert!(!is_codex_line(&serde_json::from_str(line).unwrap()), "{line}");
        }
    }
}
