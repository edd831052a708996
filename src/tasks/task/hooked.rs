//! Claude Code sessions supervised through `axiom hook`: a task with no worker, fed by the
//! decisions the hook records.

use std::time::Instant;

use super::*;

/// The first word of the command a Claude Code session supervised through `axiom hook` is listed
/// with (`claude (hooks) SESSION CWD`). Such a task has no worker: hook records feed it
/// ([`Task::record_hook`]), and it takes no input.
pub const HOOKED: &str = "claude (hooks)";

/// The command a hook-supervised session's task is listed with: the mark, the session id and,
/// when known, the session's working directory.
pub fn hooked_command(session: &str, cwd: Option<&str>) -> Vec<String> {
    [HOOKED, session].into_iter().chain(cwd).map(str::to_owned).collect()
}

/// The Claude Code session a task was made for by hook records, if it was.
pub fn hooked_session(command: &[String]) -> Option<&str> {
    match command {
        [mark, session] | [mark, session, _] if mark == HOOKED => Some(session),
        _ => None,
    }
}

impl Task {
    /// A decision `axiom hook` took in this task's Claude Code session: its raw input is kept on
    /// the `events` stream, the lines it judged become the task's output (each as `[EVENT] line`), and the rules that fired
    /// become interventions, delivered (the hook's answer carried them). `SessionEnd` ends the task.
    /// Nothing is matched here: the hook judged with its own rules. `false` (and nothing kept)
    /// when the task has ended.
    pub fn record_hook(&self, record: &HookRecord) -> bool {
        let mut state = self.state();
        if state.status.is_finished() {
            return false;
        }
        state.last_hook = Some(Instant::now());
        if state.status == TaskStatus::Starting {
            state.status = TaskStatus::Running;
            self.log(&Event::Status { status: TaskStatus::Running, pid: None, at: now_ms() });
        }
        // Each line says which hook judged it: a turn's tool calls appear under PreToolUse and
        // again in its Stop.
        let text: String = record.lines.iter().map(|line| format!("[{}] {line}\n", record.event)).collect();
        let raw = record.raw.as_ref().map(|raw| format!("{}\n", raw.trim_end()));
        for (stream, data) in [(OutputStream::Events, raw.unwrap_or_default()), (OutputStream::Stdout, text)] {
            if data.is_empty() {
                continue;
            }
            let seq = state.next_seq;
            state.next_seq += 1;
            let at = state.output.end();
            self.log(&Event::Output { seq, stream, at: Some(at), payload: Payload::compact(data.as_bytes()) });
            state.output.push(stream, data.into_bytes());
        }
        for fired in &record.fired {
            let id = state.next_message_id;
            state.next_message_id += 1;
            let intervention = InterventionRecord {
                id,
                at: now_ms(),
                task_id: self.id.clone(),
                rule: fired.rule.clone(),
                severity: fired.severity,
                action: fired.action,
                message: fired.message.clone(),
                matched: fired.matched.clone(),
                line: None,
                delivered: Some(true),
                error: None,
            };
            tracing::info!(task = %self.id, rule = %intervention.rule, action = %intervention.action, event = %record.event, "hook decision");
            self.log(&Event::Intervention { record: intervention.clone() });
            state.interventions.push(intervention);
        }
        drop(state);
        if record.event == "SessionEnd" {
            self.finish(TaskStatus::Exited { code: 0 }, Instant::now());
        }
        self.bump();
        true
    }
}
