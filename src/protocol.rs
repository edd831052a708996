//! Every WebSocket message, defined once. JSON text frames, tagged by `"type"`.
//!
//! Two conversations run over the hub:
//! - a **worker** (`GET /worker?task_id=ID`) says [`WorkerMessage::Hello`] first, then streams
//!   numbered output; the hub answers [`HubToWorker::Welcome`] and later sends input and
//!   interventions, which the worker acknowledges;
//! - a **client** (`GET /client`) sends [`ClientRequest`]s, each with an optional `id` that the
//!   hub repeats in its [`HubToClient`] reply, and receives task events it subscribed to.
//!
//! Output bytes travel as text when they are valid UTF-8 and as base64 otherwise, so nothing a
//! child prints is ever lost or altered.

use base64::Engine as _;
use serde::{Deserialize, Serialize};

use crate::pipeline::{Activity, Intervention};
use crate::rules::{Action, RuleSummary, Severity};
use crate::worker::{Driver, OutputStream};

/// Bumped when a message changes incompatibly; the worker states it in its hello.
pub const PROTOCOL_VERSION: u32 = 1;

/// Bytes as they go over the wire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payload {
    pub data: String,
    /// `data` is base64 because the bytes were not valid UTF-8.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub base64: bool,
}

impl Payload {
    pub fn from_bytes(bytes: &[u8]) -> Self {
        match std::str::from_utf8(bytes) {
            Ok(text) => Payload { data: text.to_owned(), base64: false },
            Err(_) => Payload { data: base64::engine::general_purpose::STANDARD.encode(bytes), base64: true },
        }
    }

    /// Like [`from_bytes`](Self::from_bytes), but base64 whenever that is shorter than the JSON
    /// string: control bytes cost six characters each as `\u00XX` escapes, base64 a third more
    /// than the bytes whatever they are. Used where size matters (task histories).
    pub fn compact(bytes: &[u8]) -> Self {
        let Ok(text) = std::str::from_utf8(bytes) else { return Self::from_bytes(bytes) };
        let escaped: usize = text
            .bytes()
            .map(|b| match b {
                b'\n' | b'\r' | b'\t' | b'"' | b'\\' | 0x08 | 0x0c => 1,
                0..=0x1f => 5,
                _ => 0,
            })
            .sum();
        if bytes.len() + escaped > bytes.len().div_ceil(3) * 4 {
            Payload { data: base64::engine::general_purpose::STANDARD.encode(bytes), base64: true }
        } else {
            Payload { data: text.to_owned(), base64: false }
        }
    }

    pub fn into_bytes(self) -> Result<Vec<u8>, String> {
        if self.base64 {
            base64::engine::general_purpose::STANDARD
                .decode(self.data)
                .map_err(|err| format!("bad base64 payload: {err}"))
        } else {
            Ok(self.data.into_bytes())
        }
    }
}

/// Worker → hub.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum WorkerMessage {
    /// First message on every connection (and every reconnection).
    Hello {
        protocol: u32,
        task_id: String,
        /// The child's pid, once it runs.
        pid: Option<u32>,
        /// On a reconnection, the `session` of the last welcome: only the worker that was attached
        /// can take its place while the hub still holds its connection.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        session: Option<String>,
    },
    /// A chunk of the child's output; `seq` starts at 0 and grows by one per chunk.
    Output {
        seq: u64,
        stream: OutputStream,
        #[serde(flatten)]
        payload: Payload,
    },
    /// The child could not be started; `code` is the shell's exit status for it (127 not found,
    /// 126 found but not executable).
    SpawnFailed {
        message: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        code: Option<i32>,
    },
    /// The child ended; numbered like output (it comes after the last chunk) and replayed the same way.
    Exit { seq: u64, code: Option<i32>, signal: Option<i32> },
    /// An intervention or input request was carried out, or why not.
    Ack { id: u64, delivered: bool, error: Option<String> },
    /// The agent asks to run a tool (claude driver); the call waits for [`HubToWorker::ToolDecision`].
    /// Not numbered: after a reconnection the worker asks again about calls still undecided.
    ToolCall {
        /// The call's id, repeated in the decision.
        id: String,
        /// The call as the `tool` rules see it: `TOOL: ARGUMENT`.
        line: String,
    },
}

/// The error an acknowledgement carries when input was not written because the command had
/// closed its input (or it was ended with `end_input`): the command chose to read no more, which,
/// like a shell pipe's writer meeting `EPIPE`, is not a failure worth reporting.
pub const INPUT_CLOSED: &str = "the command's input is closed";

/// Hub → worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum HubToWorker {
    /// Answer to hello: the next output `seq` the hub expects; the worker resends from there.
    /// `session` is a fresh secret the worker presents when it reconnects.
    Welcome {
        next_seq: u64,
        #[serde(default)]
        session: String,
    },
    /// Everything before `next_seq` is safely stored: the worker may forget it.
    Received {
        next_seq: u64,
    },
    /// Write to the child's input; with `enter`, followed by Enter the way the driver needs it.
    Input {
        id: u64,
        #[serde(flatten)]
        payload: Payload,
        #[serde(default)]
        enter: bool,
    },
    /// Bytes of a stream piped into the task (`axiom run`'s or a client's standard input), written
    /// as they are, however long the child takes to read them: a pipe never drops data.
    Pipe {
        id: u64,
        #[serde(flatten)]
        payload: Payload,
    },
    /// Give the child end of file on its input, after every earlier write (a pipe's stdin is
    /// closed; on a terminal Ctrl-D is typed).
    EndInput {
        id: u64,
    },
    /// Act on the child.
    Intervene {
        id: u64,
        action: Action,
        rule: String,
        message: Option<String>,
        /// For `kill`: how long to wait after SIGTERM before SIGKILL.
        grace_ms: Option<u64>,
    },
    /// The child's terminal has a new size (pty driver; ignored on pipes).
    Resize {
        rows: u16,
        cols: u16,
    },
    Error {
        message: String,
    },
    /// The answer to [`WorkerMessage::ToolCall`] `id`: run it, or refuse it with `deny` as the
    /// tool's error (the message of `rule`).
    ToolDecision {
        id: String,
        deny: Option<String>,
        rule: Option<String>,
    },
}

impl HubToWorker {
    /// The id of a numbered command (input or an intervention), which the worker acknowledges;
    /// `None` for the hub's own messages.
    pub fn command_id(&self) -> Option<u64> {
        match self {
            HubToWorker::Input { id, .. }
            | HubToWorker::Pipe { id, .. }
            | HubToWorker::EndInput { id }
            | HubToWorker::Intervene { id, .. } => Some(*id),
            HubToWorker::Welcome { .. }
            | HubToWorker::Received { .. }
            | HubToWorker::Resize { .. }
            | HubToWorker::Error { .. }
            | HubToWorker::ToolDecision { .. } => None,
        }
    }
}

/// What a client can ask the hub. `id`, when given, is repeated in the reply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClientRequest {
    /// Start a task. `command` is argv; no shell is involved unless argv names one.
    Spawn {
        id: Option<u64>,
        command: Vec<String>,
        cwd: Option<String>,
        #[serde(default)]
        env: Vec<(String, String)>,
        #[serde(default)]
        driver: Driver,
        /// Also subscribe to the new task's events.
        #[serde(default)]
        subscribe: bool,
        /// `agent` or `command`: whether `applies_to: agents` rules watch the task. Absent: guessed
        /// from the command.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        subject: Option<crate::rules::Subject>,
        /// The pty driver: a regex for the screen row where the agent waits for its user (see
        /// `--prompt-pattern`). Absent: Claude Code's prompt.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        prompt_pattern: Option<String>,
    },
    /// OutputStream a task's events: output from byte `since` (0: all that is kept), interventions, exit.
    Subscribe {
        id: Option<u64>,
        task_id: String,
        since: Option<u64>,
    },
    /// All tasks, or one.
    List {
        id: Option<u64>,
        task_id: Option<String>,
    },
    /// Stored output from byte `since`, or from where its last `tail_lines` lines start.
    Output {
        id: Option<u64>,
        task_id: String,
        since: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tail_lines: Option<usize>,
    },
    /// What the rules did to a task so far (from its `since`th intervention): which rule fired on
    /// what, the action and message, and whether it reached the task.
    Interventions {
        id: Option<u64>,
        task_id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        since: Option<u64>,
    },
    /// Write text to a task's input, with Enter unless `enter` is false.
    Send {
        id: Option<u64>,
        task_id: String,
        text: String,
        #[serde(default = "yes")]
        enter: bool,
    },
    /// Bytes of a stream piped into the task (`axiom client --command`'s standard input), as they
    /// are, `at` being their offset in that stream. Answered once the bytes are queued for the
    /// worker, which waits while the child is not reading: a client that sends its next chunk
    /// after the answer is paced by the child. A chunk sent again (after a lost connection) is
    /// written once. A task has one piped stream, its `--command` client's: bytes at offsets
    /// already taken are skipped, whoever sends them. At most 128 KiB a request.
    Input {
        id: Option<u64>,
        task_id: String,
        at: u64,
        #[serde(flatten)]
        payload: Payload,
    },
    /// End of file on the task's input, once everything sent before is written.
    EndInput {
        id: Option<u64>,
        task_id: String,
    },
    Interrupt {
        id: Option<u64>,
        task_id: String,
        message: Option<String>,
    },
    Kill {
        id: Option<u64>,
        task_id: String,
        grace_ms: Option<u64>,
    },
    /// The rules in force and when they were loaded.
    Rules {
        id: Option<u64>,
    },
    /// What `axiom hook` judged in a Claude Code session the user runs, and what it decided. Kept
    /// on the task of that session (created by its first record), so listings and histories show
    /// hook-supervised sessions next to spawned tasks.
    HookRecord {
        id: Option<u64>,
        record: HookRecord,
    },
}

/// One decision of `axiom hook` in a Claude Code session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HookRecord {
    /// Claude Code's session id: one task per session.
    pub session: String,
    /// The session's working directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cwd: Option<String>,
    /// The hook event: `PreToolUse`, `PostToolUse`, `UserPromptSubmit`, `Stop`, `SessionEnd`, ...
    pub event: String,
    /// The lines the rules judged, as rendered for them.
    #[serde(default)]
    pub lines: Vec<String>,
    /// The hook's input as Claude Code sent it (one JSON object), kept as the session's raw event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw: Option<String>,
    /// The rules that fired, each with what the hook made of it.
    #[serde(default)]
    pub fired: Vec<HookFired>,
}

/// A rule that fired in a hook, and the decision it led to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HookFired {
    pub rule: String,
    pub severity: Severity,
    pub action: Action,
    pub message: Option<String>,
    pub matched: String,
}

impl HookFired {
    pub fn new(intervention: &Intervention) -> Self {
        HookFired {
            rule: intervention.rule.clone(),
            severity: intervention.severity,
            action: intervention.action,
            message: intervention.message.clone(),
            matched: intervention.matched.clone(),
        }
    }
}

fn yes() -> bool {
    true
}

impl ClientRequest {
    pub fn id(&self) -> Option<u64> {
        match self {
            ClientRequest::Spawn { id, .. }
            | ClientRequest::Subscribe { id, .. }
            | ClientRequest::List { id, .. }
            | ClientRequest::Output { id, .. }
            | ClientRequest::Interventions { id, .. }
            | ClientRequest::Send { id, .. }
            | ClientRequest::Input { id, .. }
            | ClientRequest::EndInput { id, .. }
            | ClientRequest::Interrupt { id, .. }
            | ClientRequest::Kill { id, .. }
            | ClientRequest::HookRecord { id, .. }
            | ClientRequest::Rules { id } => *id,
        }
    }
}

/// A task's lifecycle state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum TaskStatus {
    /// Created; the worker has not said hello yet.
    Starting,
    Running,
    Exited {
        code: i32,
    },
    Killed {
        signal: i32,
    },
    /// Could not start; the message says why. `code` is the exit status a shell would give
    /// (127: not found, 126: found but cannot be run), when the failure was the command's.
    Failed {
        message: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        code: Option<i32>,
    },
    /// The worker vanished without reporting an exit.
    Lost,
}

impl TaskStatus {
    pub fn is_finished(&self) -> bool {
        !matches!(self, TaskStatus::Starting | TaskStatus::Running)
    }

    /// The exit code a shell would report: the code, 128+signal, or 1 for failed/lost.
    pub fn exit_code(&self) -> Option<i32> {
        match self {
            TaskStatus::Starting | TaskStatus::Running => None,
            TaskStatus::Exited { code } => Some(*code),
            // A signal number from a worker or a history file: no overflow on a forged one.
            TaskStatus::Killed { signal } => Some(signal.saturating_add(128)),
            TaskStatus::Failed { code, .. } => Some(code.unwrap_or(1)),
            TaskStatus::Lost => Some(1),
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            TaskStatus::Starting => "starting",
            TaskStatus::Running => "running",
            TaskStatus::Exited { .. } => "exited",
            TaskStatus::Killed { .. } => "killed",
            TaskStatus::Failed { .. } => "failed",
            TaskStatus::Lost => "lost",
        }
    }
}

/// A task as listings show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskInfo {
    pub task_id: String,
    pub command: Vec<String>,
    pub status: TaskStatus,
    pub pid: Option<u32>,
    /// Milliseconds since the Unix epoch.
    pub started_at: u64,
    pub ended_at: Option<u64>,
    pub output_bytes: u64,
    pub interventions: usize,
    /// Messages on the worker connection that the real worker never sends (a forged sequence
    /// number or exit, a second connection, ...), refused and recorded in the task's history.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub tamper_events: u64,
    /// How the agent session's last turn ended: turns, cost, error (claude driver).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<crate::agent::TurnStats>,
    /// For a running task: running, idle at its own prompt, or silent. `None` once it ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activity: Option<Activity>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// The rule named by an intervention a person asked for (`axiom client kill`, Ctrl-C on `axiom
/// run`), not a rule of the set.
pub const BY_HAND: &str = "manual";

/// An intervention as stored and reported, with what became of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InterventionRecord {
    pub id: u64,
    /// Milliseconds since the Unix epoch.
    pub at: u64,
    pub task_id: String,
    pub rule: String,
    pub severity: Severity,
    pub action: Action,
    pub message: Option<String>,
    pub matched: String,
    pub line: Option<u64>,
    /// `None` until the worker acknowledges; always `Some(true)` for `warn`, which sends nothing.
    pub delivered: Option<bool>,
    pub error: Option<String>,
}

impl InterventionRecord {
    pub fn new(id: u64, at: u64, intervention: &Intervention) -> Self {
        InterventionRecord {
            id,
            at,
            task_id: intervention.task.to_string(),
            rule: intervention.rule.clone(),
            severity: intervention.severity,
            action: intervention.action,
            message: intervention.message.clone(),
            matched: intervention.matched.clone(),
            line: intervention.line,
            delivered: (intervention.action == Action::Warn).then_some(true),
            error: None,
        }
    }
}

/// Hub → client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum HubToClient {
    Spawned {
        id: Option<u64>,
        task_id: String,
    },
    /// A [`ClientRequest::HookRecord`] was kept on task `task_id`; `None` for a session's end
    /// when the session has no running task (it was lost to its idle window, or began before
    /// this hub): there is nothing left to end, and no task is made for it.
    Recorded {
        id: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        task_id: Option<String>,
    },
    Tasks {
        id: Option<u64>,
        tasks: Vec<TaskInfo>,
    },
    /// Stored output: bytes `[cursor, next)`; `truncated` when older bytes were already dropped.
    OutputChunk {
        id: Option<u64>,
        task_id: String,
        cursor: u64,
        next: u64,
        truncated: bool,
        #[serde(flatten)]
        payload: Payload,
    },
    /// A task's interventions from the `since`th; `next` is where the next request starts.
    Interventions {
        id: Option<u64>,
        task_id: String,
        interventions: Vec<InterventionRecord>,
        next: u64,
    },
    /// A request succeeded and has nothing else to say.
    Ok {
        id: Option<u64>,
    },
    Rules {
        id: Option<u64>,
        /// Milliseconds since the Unix epoch.
        loaded_at: u64,
        origin: String,
        rules: Vec<RuleSummary>,
    },
    /// Live output of a subscribed task; `cursor` is the byte offset of its first byte.
    Output {
        task_id: String,
        cursor: u64,
        stream: OutputStream,
        #[serde(flatten)]
        payload: Payload,
    },
    Intervention {
        task_id: String,
        intervention: InterventionRecord,
    },
    /// A subscribed task changed state.
    Status {
        task_id: String,
        status: TaskStatus,
    },
    /// A subscriber fell so far behind that output it had not seen was dropped from the ring.
    Lagged {
        task_id: String,
        skipped_bytes: u64,
    },
    Error {
        id: Option<u64>,
        message: String,
    },
}

impl HubToClient {
    /// The id of the request this message answers; `None` for events (and for replies to requests
    /// sent without an id).
    pub fn reply_to(&self) -> Option<u64> {
        match self {
            HubToClient::Spawned { id, .. }
            | HubToClient::Recorded { id, .. }
            | HubToClient::Tasks { id, .. }
            | HubToClient::OutputChunk { id, .. }
            | HubToClient::Interventions { id, .. }
            | HubToClient::Ok { id }
            | HubToClient::Rules { id, .. }
            | HubToClient::Error { id, .. } => *id,
            HubToClient::Output { .. }
            | HubToClient::Intervention { .. }
            | HubToClient::Status { .. }
            | HubToClient::Lagged { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_name_their_request_and_events_none() {
        let rules = HubToClient::Rules { id: Some(4), loaded_at: 0, origin: "embedded".into(), rules: Vec::new() };
        assert_eq!(rules.reply_to(), Some(4));
        assert_eq!(HubToClient::Error { id: Some(9), message: "no".into() }.reply_to(), Some(9));
        let event = HubToClient::Status { task_id: "t".into(), status: TaskStatus::Running };
        assert_eq!(event.reply_to(), None);
    }

    #[test]
    fn output_round_trips_text_and_binary() {
        for bytes in [b"plain text\n".to_vec(), vec![0xff, 0xfe, b'a', 0]] {
            let message =
                WorkerMessage::Output { seq: 7, stream: OutputStream::Stderr, payload: Payload::from_bytes(&bytes) };
            let json = serde_json::to_string(&message).unwrap();
            let back: WorkerMessage = serde_json::from_str(&json).unwrap();
            let WorkerMessage::Output { seq: 7, stream: OutputStream::Stderr, payload } = back else {
                panic!("{json}")
            };
            assert_eq!(payload.into_bytes().unwrap(), bytes);
        }
    }

    #[test]
    fn wire_format_is_tagged_by_type() {
        let json = serde_json::to_string(&WorkerMessage::Output {
            seq: 1,
            stream: OutputStream::Stdout,
            payload: Payload::from_bytes(b"hi"),
        })
        .unwrap();
        assert_eq!(json, r#"{"type":"output","seq":1,"stream":"stdout","data":"hi"}"#);
        let request: ClientRequest = serde_json::from_str(r#"{"type":"send","task_id":"ab12","text":"y"}"#).unwrap();
        assert_eq!(request, ClientRequest::Send { id: None, task_id: "ab12".into(), text: "y".into(), enter: true });
    }

    #[test]
    fn unknown_messages_and_fields_are_rejected() {
        assert!(serde_json::from_str::<ClientRequest>(r#"{"type":"explode"}"#).is_err());
        assert!(serde_json::from_str::<ClientRequest>(r#"{"type":"list","bogus":1}"#).is_err());
        assert!(serde_json::from_str::<WorkerMessage>(r#"{"seq":1}"#).is_err());
    }
}
