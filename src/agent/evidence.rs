//! What an agent's structured events show about its work, as evidence for claims.
//!
//! Output lines carry evidence the [line observer](crate::evidence::observe_line) finds (a test
//! runner's summary). Structured events say more, and say it exactly: which tool call edited a
//! file, which ran a shell command (a test suite or not), and whether that command failed (Claude
//! Code marks the result of a command that exited non-zero `is_error`). [`EventObserver`] turns
//! them into [`Observation`]s in the order they happened.

use std::collections::HashMap;

use super::{shell_script, AgentEvent};
use crate::evidence::{is_documentation, is_test_command, CommandKey, Observation};
use crate::rules::{may_run_a_command, unescape_tool_argument};
use crate::shell::commands_shared;

/// Tools whose calls change a file: Claude Code's, Codex's `apply_patch` (and what the Codex and
/// Aider readers call a file change, `Edit`), and other agents' usual names. (`TodoWrite` writes a
/// to-do list, not a file.)
const EDITING_TOOLS: &[&str] = &[
    "Edit",
    "MultiEdit",
    "Write",
    "NotebookEdit",
    "apply_patch",
    "edit_file",
    "write_file",
    "create_file",
    "search_replace",
    "str_replace_editor",
    "str_replace_based_edit_tool",
];

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
            AgentEvent::ToolCall { name, input, .. } if EDITING_TOOLS.contains(&name.as_str()) => {
                // Writing the docs up leaves a test run standing.
                let path = ["file_path", "notebook_path", "path"].iter().find_map(|key| input.get(*key)?.as_str());
                found.push(if path.is_some_and(is_documentation) { Observation::Wrote } else { Observation::Edit });
            }
            AgentEvent::ToolCall { id, input, .. } => found.extend(self.shell_call(id.as_deref(), input)),
            AgentEvent::ToolResult { id, is_error, text } => {
                found.push(printed(text));
                found.extend(self.result(id.as_deref(), *is_error));
            }
            // The agent answered: the next prompt is a new request, not more of the last one.
            AgentEvent::Text { .. } => found.push(Observation::Reply),
            AgentEvent::TurnEnd(_) => {}
        }
    }

    /// Appends only what a tool's result shows (the command it ran failed or not), for a source
    /// that observes the calls themselves as they are judged (a live task sees each as its tool
    /// line: [`observe_tool_line`]); the calls are only followed, to know their results.
    pub fn observe_results(&mut self, event: &AgentEvent, found: &mut Vec<Observation>) {
        match event {
            AgentEvent::ToolCall { id, input, .. } => {
                self.shell_call(id.as_deref(), input);
            }
            AgentEvent::ToolResult { id, is_error, text } => {
                found.push(printed(text));
                found.extend(self.result(id.as_deref(), *is_error));
            }
            _ => {}
        }
    }

    /// A call that runs a shell command as evidence, remembering it until its result comes. A
    /// command sent to the background (Claude Code's `run_in_background`) is not waited for: its
    /// result says it started, not how it ended.
    fn shell_call(&mut self, id: Option<&str>, input: &serde_json::Value) -> Option<Observation> {
        let observation = command_observation(&shell_script(input)?)?;
        let waited_for = input.get("run_in_background").and_then(serde_json::Value::as_bool) != Some(true);
        if let (Some(id), Observation::Command { test, .. }, true) = (id, &observation, waited_for) {
            self.running.insert(id.to_owned(), *test);
        }
        Some(observation)
    }

    /// Only a test command's exit status says how the tests went: calls made together (a
    /// `git status` beside a `cargo test`) return one after the other, and the first must not
    /// decide for the run still going. Another command's status only counts its reruns (a
    /// success among calls made together ends the count early: a loop is seen late, never wrongly).
    /// Any other tool's failure (an edit that did not apply, a file not found) is no run's.
    fn result(&mut self, id: Option<&str>, is_error: bool) -> Option<Observation> {
        match id.and_then(|id| self.running.remove(id)) {
            Some(true) => Some(Observation::CommandResult { ok: !is_error }),
            Some(false) => Some(Observation::RunEnded { ok: !is_error }),
            None => is_error.then_some(Observation::ToolFailed),
        }
    }
}

/// A tool's result as printed text, its first [`PRINTED_BYTES`] (the rest reaches the evidence as
/// its lines are judged).
fn printed(text: &str) -> Observation {
    let mut end = text.len().min(PRINTED_BYTES);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    Observation::Printed(text[..end].to_owned())
}

const PRINTED_BYTES: usize = 64 << 10;

/// What a tool call seen only as its rule line, `TOOL: ARGUMENT` (see [`super::tool_line`]),
/// shows: an edit, or a command when the tool is a shell. (The live task sees tool calls so.)
pub fn observe_tool_line(line: &str) -> Option<Observation> {
    let (name, argument) = line.split_once(": ").unwrap_or((line, ""));
    if EDITING_TOOLS.contains(&name) {
        return Some(if is_documentation(argument) { Observation::Wrote } else { Observation::Edit });
    }
    if !may_run_a_command(name, argument) {
        return None;
    }
    command_observation(&unescape_tool_argument(argument))
}

/// A shell script as evidence: a command (a test run or not); Codex's `apply_patch` run through
/// the shell is an edit.
fn command_observation(script: &str) -> Option<Observation> {
    let found = commands_shared(script);
    if found.first().is_some_and(|command| command.program() == "apply_patch") {
        return Some(Observation::Edit);
    }
    Some(Observation::Command { test: found.iter().any(is_test_command), key: Some(CommandKey::of(script)) })
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::*;
    use crate::evidence::{Evidence, EvidenceCondition};
    use crate::rules::{EvidenceSpec, TestEvidence};

    fn call(id: &str, name: &str, input: Value) -> AgentEvent {
        AgentEvent::ToolCall { id: Some(id.into()), name: name.into(), input }
    }

    fn command(test: bool, script: &str) -> Observation {
        Observation::Command { test, key: Some(CommandKey::of(script)) }
    }

    fn result(id: &str, is_error: bool) -> AgentEvent {
        AgentEvent::ToolResult { id: Some(id.into()), text: "…".into(), is_error }
    }

    /// What `observe` (one of the observer's two ways) finds in `events`, in order.
    fn observed(
        events: &[AgentEvent],
        observe: fn(&mut EventObserver, &AgentEvent, &mut Vec<Observation>),
    ) -> Vec<Observation> {
        let mut observer = EventObserver::default();
        let mut found = Vec::new();
        for event in events {
            observe(&mut observer, event, &mut found);
        }
        // Each result's text, checked on its own below.
        found.retain(|observation| !matches!(observation, Observation::Printed(_)));
        found
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
            call("t6", "exec_command", json!({"cmd": "npm test"})),
            call("t7", "apply_patch", json!("*** Begin Patch")),
            call("t8", "shell", json!({"command": ["apply_patch", "*** Begin Patch"]})),
            call("t9", "TodoWrite", json!({"todos": []})),
            call("t10", "Write", json!({"file_path": "CHANGELOG.md", "content": "All tests pass"})),
        ];
        let found = observed(&events, EventObserver::observe);
        let expected = [
            Observation::Request("fix the parser".into()),
            Observation::Edit,
            command(true, "cd crate && cargo test --lib"),
            Observation::CommandResult { ok: false },
            command(true, "pytest -q"),
            Observation::CommandResult { ok: true },
            command(false, "ls"),
            Observation::ToolFailed,
            Observation::Reply,
            command(true, "npm test"),
            Observation::Edit,
            Observation::Edit,
            // the changelog: written, but no edit of the code
            Observation::Wrote,
        ];
        assert_eq!(found, expected);
    }

    #[test]
    fn a_tools_result_is_printed_text_before_it_is_judged() {
        let output = AgentEvent::ToolResult { id: Some("t1".into()), text: "loop: 3.3104 s".into(), is_error: false };
        for observe in [EventObserver::observe, EventObserver::observe_results] {
            let mut found = Vec::new();
            observe(&mut EventObserver::default(), &output, &mut found);
            assert_eq!(found.first(), Some(&Observation::Printed("loop: 3.3104 s".into())));
        }
        let long = AgentEvent::ToolResult { id: None, text: "é".repeat(PRINTED_BYTES), is_error: false };
        let mut found = Vec::new();
        EventObserver::default().observe(&long, &mut found);
        assert!(matches!(&found[0], Observation::Printed(text) if text.len() <= PRINTED_BYTES));
    }

    #[test]
    fn only_results_are_observed_for_a_source_that_sees_the_calls_as_tool_lines() {
        let events = [
            AgentEvent::Prompt { text: "fix the parser".into() },
            call("t1", "Edit", json!({"file_path": "src/parser.rs"})),
            result("t1", false),
            call("t2", "Bash", json!({"command": "cargo test"})),
            AgentEvent::Text { text: "Waiting for the tests.".into() },
            result("t2", true),
            call("t3", "Read", json!({"file_path": "missing.rs"})),
            result("t3", true),
            // Made together: the first to return runs no tests and says nothing of them.
            call("t4", "Bash", json!({"command": "git status"})),
            call("t5", "Bash", json!({"command": "pytest -q"})),
            result("t4", false),
            result("t5", true),
            // Sent to the background: its result says only that it started.
            call("t6", "Bash", json!({"command": "npm test", "run_in_background": true})),
            result("t6", false),
        ];
        let found = observed(&events, EventObserver::observe_results);
        let expected = [
            Observation::CommandResult { ok: false },
            Observation::ToolFailed,
            Observation::RunEnded { ok: true },
            Observation::CommandResult { ok: false },
        ];
        assert_eq!(found, expected);
    }

    /// The evidence `events` leave, observed as `axiom check` observes a transcript.
    fn evidence_after(events: &[AgentEvent]) -> Evidence {
        let mut evidence = Evidence::default();
        observed(events, EventObserver::observe).into_iter().for_each(|found| evidence.observe(found));
        evidence
    }

    #[test]
    fn another_tools_failure_is_no_failed_run_of_the_last_command() {
        let rerun = EvidenceCondition::compile(&EvidenceSpec { reruns: Some(3), ..Default::default() });
        let builds_and_reads = |build_fails: bool| -> Vec<AgentEvent> {
            (0..3)
                .flat_map(|n| {
                    [
                        call(&format!("b{n}"), "Bash", json!({"command": "npm run build"})),
                        result(&format!("b{n}"), build_fails),
                        call(&format!("r{n}"), "Read", json!({"file_path": "src/missing.ts"})),
                        result(&format!("r{n}"), true),
                    ]
                })
                .collect()
        };
        assert!(!evidence_after(&builds_and_reads(false)).holds(&rerun), "the build passed each time");
        assert!(evidence_after(&builds_and_reads(true)).holds(&rerun), "the build failed each time: a loop");

        let failed_tests =
            EvidenceCondition::compile(&EvidenceSpec { tests: vec![TestEvidence::Failed], ..Default::default() });
        let after_failure = EvidenceCondition::compile(&EvidenceSpec { after_failure: true, ..Default::default() });
        // made together: the read fails while the tests run, and they pass
        let events = [
            call("t1", "Bash", json!({"command": "cargo test"})),
            call("t2", "Read", json!({"file_path": "src/missing.rs"})),
            result("t2", true),
            result("t1", false),
        ];
        assert!(!evidence_after(&events).holds(&failed_tests), "the read is not the tests'");
        let events = [call("t1", "Edit", json!({"file_path": "src/a.rs"})), result("t1", true)];
        assert!(evidence_after(&events).holds(&after_failure), "a failed edit is still a failure");
    }

    #[test]
    fn a_tool_line_shows_the_same_as_its_call() {
        assert_eq!(observe_tool_line("Write: src/main.rs"), Some(Observation::Edit));
        assert_eq!(observe_tool_line("Bash: pytest -q"), Some(command(true, "pytest -q")));
        assert_eq!(observe_tool_line("Bash: echo hi\\ncargo test"), Some(command(true, "echo hi\ncargo test")));
        assert_eq!(observe_tool_line("Bash: echo \"cargo test\""), Some(command(false, "echo \"cargo test\"")));
        assert_eq!(observe_tool_line("WebFetch: https://example.com"), None);
        assert_eq!(observe_tool_line("TodoWrite: {}"), None);
        assert_eq!(observe_tool_line("Edit: docs/PLAN.md"), Some(Observation::Wrote));
    }
}
