//! The claude driver: Claude Code's structured channel instead of its text.
//!
//! `claude -p PROMPT [options]` is started with `--input-format stream-json --output-format
//! stream-json --verbose --permission-prompt-tool stdio` added (unless given), and PROMPT is sent
//! as the first user message. Then:
//!
//! - **output**: each JSON line the CLI prints is kept as it is on [`OutputStream::Events`], and
//!   rendered by [`crate::agent::render`] into what the rules see on `stdout`: the assistant's
//!   text and the tools' results. A line that is not JSON (the CLI's own complaints) goes to
//!   `stdout` as it is. A tool's result starts a new chunk of both: the hub reads from the events
//!   whether the tool's command failed, as evidence for the text after the result.
//! - **tool calls**: each `tool_use` the model asks for becomes a [`ChildEvent::ToolCall`] with its
//!   `TOOL: ARGUMENT` line; the CLI's `can_use_tool` request for it is answered only once
//!   [`ChildHandle::decide_tool`] says allow or deny (a denial's message reaches the model as the
//!   tool's error).
//! - **inject** writes a user message; **interrupt** sends the `interrupt` control request, waits
//!   for the CLI's acknowledgement, then writes the follow-up as a user message; **kill** and
//!   **close_input** are those of the pipe driver.
//! - **the end**: after a turn's `result`, a [`ChildEvent::TurnEnded`] follows its output. Once the
//!   rules have judged that output ([`ChildHandle::turn_judged`](super::ChildHandle::turn_judged),
//!   which the worker calls when the hub confirmed it, every intervention on it already received)
//!   and nothing was written to the session since the model last spoke in that turn (a message
//!   written after its last words but read before the `result` starts another turn, and one
//!   folded into the turn is followed by more of the model's words), stdin is closed and the CLI
//!   exits by itself. Without a verdict (no hub, a hub that is away) that happens after
//!   [`Timing::claude_verdict_wait`](super::Timing).

use std::collections::HashMap;
use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use super::input::Input;
use super::{ChildEvent, OutputStream};
use crate::agent::claude::{
    interrupt_request, parse_line, permission_answer, user_message, ClaudeLine, ToolPermission,
};
use crate::agent::{render, tool_line, AgentEvent, AgentLine};
use crate::rules::Scope;

/// Options the driver needs, with the value it sets when the command does not say.
const REQUIRED: [(&str, Option<&str>); 4] = [
    ("--input-format", Some("stream-json")),
    ("--output-format", Some("stream-json")),
    ("--verbose", None),
    ("--permission-prompt-tool", Some("stdio")),
];

/// How long an interrupt waits for the CLI to acknowledge it before the follow-up is sent anyway.
const INTERRUPT_ACK: Duration = Duration::from_secs(5);

/// The command the driver runs, and the prompt it sends as the first user message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prepared {
    pub argv: Vec<String>,
    pub prompt: Option<String>,
}

/// Turns the command a user would write (`claude -p PROMPT [options]`) into the one the driver
/// runs: the prompt right after `-p`/`--print` is taken out (it is sent as a message instead),
/// `-p` and the stream-json options are added when missing. An option that contradicts the
/// driver (`--output-format text`) is an error that says so.
pub fn prepare(argv: &[String]) -> Result<Prepared, String> {
    let mut out = Vec::with_capacity(argv.len() + 8);
    let mut prompt = None;
    let mut print = false;
    let mut args = argv.iter().peekable();
    if let Some(program) = args.next() {
        out.push(program.clone());
    }
    while let Some(arg) = args.next() {
        if arg == "-p" || arg == "--print" {
            print = true;
            out.push("-p".to_owned());
            if prompt.is_none() {
                prompt = args.next_if(|next| !next.starts_with('-')).cloned();
            }
            continue;
        }
        for (option, wanted) in REQUIRED {
            let Some(wanted) = wanted else { continue };
            let given = if arg == option {
                args.peek().map(|value| value.as_str())
            } else {
                arg.strip_prefix(option).and_then(|rest| rest.strip_prefix('='))
            };
            if let Some(given) = given.filter(|given| *given != wanted) {
                return Err(format!("the claude driver talks to Claude Code with `{option} {wanted}`; drop `{option} {given}` from the command"));
            }
        }
        out.push(arg.clone());
    }
    if !print {
        out.insert(1.min(out.len()), "-p".to_owned());
    }
    for (option, value) in REQUIRED {
        let given = argv.iter().any(|arg| arg == option || arg.starts_with(&format!("{option}=")));
        if !given {
            out.push(option.to_owned());
            out.extend(value.map(str::to_owned));
        }
    }
    Ok(Prepared { argv: out, prompt })
}

/// Whether `argv` runs Claude Code in print mode (`claude -p …`), which under the pipe driver
/// reads no more input after its prompt, so corrections could not reach it.
pub fn is_claude_print(argv: &[String]) -> bool {
    let program = argv.first().map(|p| p.rsplit('/').next().unwrap_or(p));
    program == Some("claude") && argv.iter().skip(1).any(|arg| arg == "-p" || arg == "--print")
}

/// What the driver shares between the child's handle and its translator task.
#[derive(Debug)]
pub(crate) struct Link {
    input: Input,
    session_id: Mutex<String>,
    decisions: mpsc::UnboundedSender<(String, Option<String>)>,
    verdicts: mpsc::UnboundedSender<()>,
    /// When the last output with text for the rules was read from the CLI.
    last_text_read: Mutex<Option<Instant>>,
    interrupt_acks: Mutex<HashMap<String, oneshot::Sender<()>>>,
    /// User messages written so far (each starts a turn, or joins the one running); a turn's end
    /// closes the session only if none was written after the model's last words in it.
    writes: AtomicU64,
    next_request: AtomicU64,
}

impl Link {
    /// A user message, after every earlier write.
    pub(crate) async fn send_user_message(&self, text: &str) -> io::Result<()> {
        let session = self.session_id.lock().unwrap_or_else(|p| p.into_inner()).clone();
        self.writes.fetch_add(1, Ordering::SeqCst);
        self.input.write(user_message(text, &session).into_bytes(), None).await?;
        // axiom's own share of a correction's latency (BENCHMARKS.md, issue 9): from reading the
        // agent's last words to writing the message that answers them.
        let read = *self.last_text_read.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(read) = read {
            tracing::debug!(
                micros = read.elapsed().as_micros() as u64,
                "user message written after the agent's last text"
            );
        }
        Ok(())
    }

    /// The `interrupt` control request; returns once the CLI acknowledged it (or after
    /// [`INTERRUPT_ACK`]), then sends `follow_up`.
    pub(crate) async fn interrupt(&self, follow_up: Option<&str>) -> io::Result<()> {
        let id = format!("axiom-interrupt-{}", self.next_request.fetch_add(1, Ordering::Relaxed));
        let (acked, ack) = oneshot::channel();
        self.interrupt_acks.lock().unwrap_or_else(|p| p.into_inner()).insert(id.clone(), acked);
        // Not a write that starts a turn (its follow-up message is): an interrupt alone after the
        // turn's last words must not keep the session open.
        self.input.write(interrupt_request(&id).into_bytes(), None).await?;
        if tokio::time::timeout(INTERRUPT_ACK, ack).await.is_err() {
            tracing::warn!("Claude Code did not acknowledge the interrupt within {INTERRUPT_ACK:?}");
        }
        if let Some(text) = follow_up {
            self.send_user_message(text).await?;
        }
        Ok(())
    }

    /// The decision about tool call `id`: `None` allows it, `Some(message)` denies it.
    pub(crate) fn decide_tool(&self, id: String, deny: Option<String>) {
        let _ = self.decisions.send((id, deny));
    }

    /// The rules have judged the output up to the last turn's end (see the module docs).
    pub(crate) fn turn_judged(&self) {
        let _ = self.verdicts.send(());
    }
}

/// Starts the translator between the child's raw events (`raw`) and the events the caller sees,
/// and sends the first prompt. Returns the link the child's handle acts through.
pub(crate) fn start(
    raw: mpsc::Receiver<ChildEvent>,
    events: mpsc::Sender<ChildEvent>,
    input: Input,
    prompt: Option<String>,
    verdict_wait: Duration,
) -> Arc<Link> {
    let (decisions, decided) = mpsc::unbounded_channel();
    let (verdicts, judged) = mpsc::unbounded_channel();
    let link = Arc::new(Link {
        input,
        session_id: Mutex::new(String::new()),
        decisions,
        verdicts,
        last_text_read: Mutex::new(None),
        interrupt_acks: Mutex::new(HashMap::new()),
        writes: AtomicU64::new(0),
        next_request: AtomicU64::new(1),
    });
    let translator = Translator {
        link: Arc::clone(&link),
        events,
        partial: Vec::new(),
        decided: HashMap::new(),
        announced: HashMap::new(),
        parked: HashMap::new(),
        verdict_wait,
        turn_end: None,
        writes_at_result: 0,
        writes_at_last_words: None,
    };
    tokio::spawn(translator.run(raw, decided, judged, prompt));
    link
}

struct Translator {
    link: Arc<Link>,
    events: mpsc::Sender<ChildEvent>,
    /// The start of a JSON line whose end has not been read yet.
    partial: Vec<u8>,
    /// Decisions that came before the CLI asked.
    decided: HashMap<String, Option<String>>,
    /// Tool calls sent out for a decision: id → its line.
    announced: HashMap<String, String>,
    /// Permission requests waiting for their decision, by tool call id.
    parked: HashMap<String, ToolPermission>,
    verdict_wait: Duration,
    /// A turn ended and its verdict is awaited: until when, at the most.
    turn_end: Option<Instant>,
    /// Writes that the turn ended by the last `result` had read: those made before the model's
    /// last words in it.
    writes_at_result: u64,
    /// Writes made before the model's last assistant line in the current turn was read; `None`
    /// while it has said nothing in it (a turn that failed at once), when the `result` counts.
    writes_at_last_words: Option<u64>,
}

/// What one chunk of the CLI's output turns into.
#[derive(Default)]
struct Batch {
    events: Vec<u8>,
    text: Vec<u8>,
    tool_calls: Vec<(String, String)>,
    answers: Vec<String>,
    turn_ended: bool,
}

impl Batch {
    fn is_empty(&self) -> bool {
        self.events.is_empty()
            && self.text.is_empty()
            && self.tool_calls.is_empty()
            && self.answers.is_empty()
            && !self.turn_ended
    }
}

impl Translator {
    async fn run(
        mut self,
        mut raw: mpsc::Receiver<ChildEvent>,
        mut decided: mpsc::UnboundedReceiver<(String, Option<String>)>,
        mut judged: mpsc::UnboundedReceiver<()>,
        prompt: Option<String>,
    ) {
        if let Some(prompt) = prompt {
            if let Err(err) = self.link.send_user_message(&prompt).await {
                tracing::warn!(%err, "could not send the prompt to Claude Code");
            }
        }
        loop {
            let turn_end = self.turn_end;
            tokio::select! {
                event = raw.recv() => match event {
                    Some(ChildEvent::Output { stream: OutputStream::Stdout, data }) => {
                        let read = Instant::now();
                        let batches = self.take_lines(&data, false);
                        if batches.iter().any(|batch| !batch.text.is_empty()) {
                            *self.link.last_text_read.lock().unwrap_or_else(|p| p.into_inner()) = Some(read);
                        }
                        for batch in batches {
                            if self.deliver(batch).await.is_err() {
                                return;
                            }
                        }
                    }
                    Some(ChildEvent::Exited(info)) => {
                        for batch in self.take_lines(&[], true) {
                            let _ = self.deliver(batch).await;
                        }
                        let _ = self.events.send(ChildEvent::Exited(info)).await;
                        return;
                    }
                    Some(other) => {
                        if self.events.send(other).await.is_err() {
                            return;
                        }
                    }
                    None => return,
                },
                Some((id, deny)) = decided.recv() => self.on_decision(id, deny).await,
                Some(()) = judged.recv() => {
                    if self.turn_end.is_some() {
                        self.end_if_quiet("the rules judged the turn's end").await;
                    }
                }
                () = sleep_until(turn_end), if turn_end.is_some() => {
                    self.end_if_quiet("no verdict came on the turn's end within the wait").await;
                }
            }
        }
    }

    /// Closes the session's input (the CLI then exits) unless something was written to it after
    /// the last turn's last words: a correction started another turn.
    async fn end_if_quiet(&mut self, why: &str) {
        self.turn_end = None;
        if self.link.writes.load(Ordering::SeqCst) == self.writes_at_result {
            tracing::debug!("{why} and nothing more was sent; closing the session's input");
            self.link.input.close().await;
        }
    }

    /// Splits off the complete lines of `data` (all of them at the end) and translates each, into
    /// batches to be delivered in order.
    fn take_lines(&mut self, data: &[u8], end: bool) -> Vec<Batch> {
        self.partial.extend_from_slice(data);
        let mut batches = vec![Batch::default()];
        let complete = match memchr::memrchr(b'\n', &self.partial) {
            Some(last) => last + 1,
            None if end => self.partial.len(),
            None => return batches,
        };
        let buffered = std::mem::take(&mut self.partial);
        let (lines, rest) = buffered.split_at(if end { buffered.len() } else { complete });
        for line in lines.split(|&b| b == b'\n').filter(|line| !line.iter().all(u8::is_ascii_whitespace)) {
            self.translate(line, &mut batches);
        }
        self.partial = rest.to_vec();
        batches
    }

    fn translate(&mut self, line: &[u8], batches: &mut Vec<Batch>) {
        let parsed = std::str::from_utf8(line).ok().and_then(|text| parse_line(text).ok());
        let events = parsed.as_ref().map(ClaudeLine::events).unwrap_or_default();
        // A tool's result starts a batch: the hub takes what the result shows (the command
        // failed) as evidence when the batch's events arrive, before the batch's text, so what
        // the agent said before the result must be in an earlier batch.
        let result = events.iter().any(|event| matches!(event, AgentEvent::ToolResult { .. }));
        if result && batches.last().is_some_and(|batch| !batch.is_empty()) {
            batches.push(Batch::default());
        }
        let batch = batches.last_mut().expect("take_lines starts with a batch");
        batch.events.extend_from_slice(line);
        batch.events.push(b'\n');
        let Some(parsed) = parsed else {
            // Not an event: the CLI's own words, for the rules as they are.
            batch.text.extend_from_slice(line);
            batch.text.push(b'\n');
            return;
        };
        if parsed.kind == "assistant" {
            self.writes_at_last_words = Some(self.link.writes.load(Ordering::SeqCst));
        }
        if parsed.kind == "system" && parsed.subtype.as_deref() == Some("init") {
            if let Some(session) = &parsed.session_id {
                *self.link.session_id.lock().unwrap_or_else(|p| p.into_inner()) = session.clone();
            }
        }
        if let Some(response) = parsed.response.as_ref().filter(|_| parsed.kind == "control_response") {
            let acked = self.link.interrupt_acks.lock().unwrap_or_else(|p| p.into_inner()).remove(&response.request_id);
            if let Some(acked) = acked {
                let _ = acked.send(());
            }
        }
        if let Some(permission) = parsed.tool_permission() {
            self.on_permission(permission, batch);
        }
        let mut lines = Vec::new();
        for event in events {
            match &event {
                AgentEvent::ToolCall { id, name, input } => {
                    let id = id.clone().unwrap_or_else(|| format!("axiom-call-{}", self.announced.len()));
                    self.announce(id, tool_line(name, input), batch);
                    // What a file tool writes, for the output rules (the call itself is judged
                    // as a tool call, above).
                    let mut rendered = Vec::new();
                    render(&event, &mut rendered);
                    lines.extend(rendered.into_iter().filter(|line| line.scope == Scope::Output));
                }
                AgentEvent::TurnEnd(_) => {
                    // A correction of the turn's last words may be written before its `result`
                    // is read: it was too late for this turn, and starts the next.
                    let now = self.link.writes.load(Ordering::SeqCst);
                    self.writes_at_result = self.writes_at_last_words.take().unwrap_or(now);
                    self.turn_end = Some(Instant::now() + self.verdict_wait);
                    batch.turn_ended = true;
                }
                // The prompts are what axiom itself sent.
                AgentEvent::Prompt { .. } => {}
                _ => render(&event, &mut lines),
            }
        }
        for AgentLine { scope, text } in lines {
            debug_assert_eq!(scope, Scope::Output);
            batch.text.extend_from_slice(text.as_bytes());
            batch.text.push(b'\n');
        }
    }

    fn announce(&mut self, id: String, line: String, batch: &mut Batch) {
        if self.announced.contains_key(&id) || self.decided.contains_key(&id) {
            return;
        }
        self.announced.insert(id.clone(), line.clone());
        batch.tool_calls.push((id, line));
    }

    fn on_permission(&mut self, permission: ToolPermission, batch: &mut Batch) {
        let id = permission.tool_use_id.clone().unwrap_or_else(|| permission.request_id.clone());
        if let Some(deny) = self.decided.remove(&id) {
            batch.answers.push(permission_answer(&permission, deny.as_deref()));
            return;
        }
        self.announce(id.clone(), tool_line(&permission.tool_name, &permission.input), batch);
        self.parked.insert(id, permission);
    }

    async fn on_decision(&mut self, id: String, deny: Option<String>) {
        self.announced.remove(&id);
        match self.parked.remove(&id) {
            Some(permission) => self.answer(permission_answer(&permission, deny.as_deref())).await,
            None => {
                self.decided.insert(id, deny);
            }
        }
    }

    async fn answer(&self, answer: String) {
        if let Err(err) = self.link.input.write(answer.into_bytes(), None).await {
            tracing::warn!(%err, "could not answer Claude Code's permission request");
        }
    }

    /// Sends what a chunk turned into: raw events, rendered text, tool calls, answers, then the end
    /// of a turn.
    async fn deliver(&mut self, batch: Batch) -> Result<(), ()> {
        let Batch { events, text, tool_calls, answers, turn_ended } = batch;
        for (stream, data) in [(OutputStream::Events, events), (OutputStream::Stdout, text)] {
            if !data.is_empty() {
                self.events.send(ChildEvent::Output { stream, data }).await.map_err(|_| ())?;
            }
        }
        for (id, line) in tool_calls {
            self.events.send(ChildEvent::ToolCall { id, line }).await.map_err(|_| ())?;
        }
        for answer in answers {
            self.answer(answer).await;
        }
        if turn_ended {
            self.events.send(ChildEvent::TurnEnded).await.map_err(|_| ())?;
        }
        Ok(())
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(words: &str) -> Vec<String> {
        words.split(' ').map(str::to_owned).collect()
    }

    #[test]
    fn the_prompt_becomes_a_message_and_the_stream_options_are_added() {
        let prepared = prepare(&argv("claude -p fix-the-bug --model opus")).unwrap();
        assert_eq!(prepared.prompt.as_deref(), Some("fix-the-bug"));
        assert_eq!(
            prepared.argv.join(" "),
            "claude -p --model opus --input-format stream-json --output-format stream-json --verbose --permission-prompt-tool stdio"
        );
    }

    #[test]
    fn options_already_given_are_kept_once_and_print_mode_is_added() {
        let prepared =
            prepare(&argv("claude --verbose --output-format=stream-json --permission-prompt-tool stdio")).unwrap();
        assert_eq!(prepared.prompt, None);
        assert_eq!(
            prepared.argv.join(" "),
            "claude -p --verbose --output-format=stream-json --permission-prompt-tool stdio --input-format stream-json"
        );
    }

    #[test]
    fn a_contradicting_option_is_refused_with_the_reason() {
        let err = prepare(&argv("claude -p hi --output-format text")).unwrap_err();
        assert!(err.contains("--output-format stream-json") && err.contains("drop `--output-format text`"), "{err}");
        assert!(prepare(&argv("claude -p hi --input-format=text")).is_err());
    }

    #[test]
    fn print_mode_claude_is_recognised() {
        assert!(is_claude_print(&argv("/usr/local/bin/claude -p hello")));
        assert!(is_claude_print(&argv("claude --print hello")));
        assert!(!is_claude_print(&argv("claude hello")));
        assert!(!is_claude_print(&argv("echo -p")));
    }
}
