//! What an agent's structured events show about its work, as evidence for claims.
//!
//! Output lines carry evidence the [line observer](crate::evidence::observe_line) finds (a test
//! runner's summary). Structured events say more, and say it exactly: which tool call edited a
//! file, which ran a shell command (a test suite or not), and whether that command failed (Claude
//! Code marks the result of a command that exited non-zero `is_error`). [`EventObserver`] turns
//! them into [`Observation`]s in the order they happened.

use std::collections::HashMap;

use serde_json::Value;

use super::AgentEvent;
use crate::evidence::{is_test_command, Observation};
use crate::shell::commands;

/// Tools whose calls change a file.
const EDITING_TOOLS: [&str; 4] = ["Edit", "MultiEdit", "Write", "NotebookEdit"];

/// Follows one session's events; remembers the shell commands still waiting for their result.
#[derive(Debug, Default)]
pub struct EventObserver {
    /// Tool call id → whether the command runs tests.
    running: HashMap<String, bool>,
}

impl EventObserver {
    /// Appends what `event` shows to `found`.
    pub fn observe(&mut self, event: &AgentEvent, found: &mut Vec<Observation>) {
        match event {
            AgentEvent::Prompt { text } => found.push(Observation::Request(text.clone())),
            AgentEvent::ToolCall { name, .. } if EDITING_TOOLS.contains(&name.as_str()) => {
                found.push(Observation::Edit);
            }
            AgentEvent::ToolCall { id, input, .. } => {
                let Some(script) = shell_script(input) else { return };
                let test = commands(&script).iter().any(is_test_command);
                found.push(Observation::Command { test });
                if let Some(id) = id {
                    self.running.insert(id.clone(), test);
                }
            }
            AgentEvent::ToolResult { id, is_error, .. } => {
                if id.as_ref().and_then(|id| self.running.remove(id)).is_some() {
                    found.push(Observation::CommandResult { ok: !is_error });
                } else if *is_error {
                    found.push(Observation::Failure);
                }
            }
            AgentEvent::Text { .. } | AgentEvent::TurnEnd(_) => {}
        }
    }
}

/// The shell script a tool call runs: a string `command` (Claude Code's `Bash`), or an argv array
/// (Codex's `shell`), whose words are joined back into a script.
fn shell_script(input: &Value) -> Option<String> {
    match input.get("command")? {
        Value::String(script) => Some(script.clone()),
        Value::Array(words) => {
            let words: Vec<&str> = words.iter().filter_map(Value::as_str).collect();
            Some(shlex::try_join(words.iter().copied()).unwrap_or_else(|_| words.join(" ")))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn call(id: &str, name: &str, input: Value) -> AgentEvent {
        AgentEvent::ToolCall { id: Some(id.into()), name: name.into(), input }
    }

    fn result(id: &str, is_error: bool) -> AgentEvent {
        AgentEvent::ToolResult { id: Some(id.into()), text: "…".into(), is_error }
    }

    #[test]
    fn edits_commands_and_their_outcomes_become_observations() {
        let events = [
            AgentEvent::Prompt { text: "fix the parser".into() },
            call("t1", "Edit", json!({"file_path": "src/parser.rs"})),
            result("t1", false),
            call("t2", "Bash", json!({"command": "cd crate && cargo test --lib"})),
            result("t2", true),
            call("t3", "shell", json!({"command": ["bash", "-lc", "pytest -q"]})),
            result("t3", false),
            call("t4", "Bash", json!({"command": "ls"})),
            call("t5", "Read", json!({"file_path": "missing.rs"})),
            result("t5", true),
            AgentEvent::Text { text: "All tests pass.".into() },
        ];
        let mut observer = EventObserver::default();
        let mut found = Vec::new();
        for event in &events {
            observer.observe(event, &mut found);
        }
        let expected = [
            Observation::Request("fix the parser".into()),
            Observation::Edit,
            Observation::Command { test: true },
            Observation::CommandResult { ok: false },
            Observation::Command { test: true },
            Observation::CommandResult { ok: true },
            Observation::Command { test: false },
            Observation::Failure,
        ];
        assert_eq!(found, expected);
    }
}
