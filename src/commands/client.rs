//! `axiom client`: run, watch and steer tasks on a running hub.

use std::io::{IsTerminal as _, Write};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use futures_util::{SinkExt, StreamExt};
use tokio::sync::mpsc;

use super::forward_stdin;
use super::output::{intervention_line, intervention_summary, outln, status_line, stderr_color, Palette};
use super::show_failure::{stdout_reader_left, ShowFailure};
use super::stop::StopSignals;
use super::terminal_text::TerminalText;
use crate::cli::{ClientArgs, ClientCommand, Format, HubArgs};
use crate::dial::{dial, HubSocket};
use crate::logging::note;
use crate::protocol::{ClientRequest, HubToClient, InterventionRecord, Payload, TaskInfo, TaskStatus};
use crate::rules::Subject;
use crate::state::StateDir;
use crate::task_view::TaskView;
use crate::worker::{Driver, OutputStream};

/// How long a following client keeps trying to reach a hub that went away (a restart), as long as
/// a worker waits for it by default.
const RECONNECT_WINDOW: Duration = Duration::from_secs(60);
const FIRST_RETRY: Duration = Duration::from_millis(100);
const LONGEST_RETRY: Duration = Duration::from_secs(2);
/// How long a detaching client waits for its command to take the piped input in flight, before
/// it can end that input; the hub gives up on a correction the command does not read as soon.
const LEAVING_INPUT_WAIT: Duration = Duration::from_secs(10);

pub fn run(args: ClientArgs) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let result = runtime.block_on(async move {
        let mut hub = Connection::open(&args.hub, Screens::for_terminals(args.raw)).await?;
        match (args.command, args.action) {
            (Some(command), None) => {
                let on_stop = if args.detach { OnStop::Detach } else { OnStop::Kill };
                let piping = Piping::of_stdin(args.driver, args.keep_input_open);
                hub.run_command(command, Launch::of(args.driver, args.subject, args.prompt), on_stop, piping).await
            }
            (None, Some(action)) => hub.act(action, Launch::of(args.driver, args.subject, args.prompt)).await,
            (None, None) => bail!("nothing to do: pass --command CMD or a subcommand (see `axiom client --help`)"),
            (Some(_), Some(_)) => bail!("--command and a subcommand cannot be combined"),
        }
    });
    // Standard input may be blocked in a read that nothing will end (`tail -f log | axiom client
    // --command …` after the task ended): do not wait for it.
    runtime.shutdown_background();
    result
}

/// What Ctrl-C (or SIGTERM, SIGHUP) does to a followed task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OnStop {
    /// `--command`: end the task, as `axiom run` does.
    Kill,
    /// `--command --detach`: leave it running on the hub.
    Detach,
    /// `tail --follow`: the task is not ours; the signal's default action ends the client.
    Default,
}

/// `--command`'s standard input on its way to the task: one chunk at a time, the next sent once
/// the hub has taken the one before, so a child that reads slowly paces the client, as a pipe
/// would. The chunk in flight is sent again after a reconnect; the hub writes it once.
struct Piping {
    chunks: mpsc::Receiver<Vec<u8>>,
    /// Offset in the input of the next chunk to send.
    at: u64,
    /// The request the hub has not answered yet: its id and what it carries.
    waiting: Option<(u64, PipeStep)>,
    /// Leave the command's input open where standard input ends.
    keep_open: bool,
    /// Nothing more to send: the input's end was reached (and its end of file sent, unless kept open).
    done: bool,
}

enum PipeStep {
    Chunk(Vec<u8>),
    End,
}

impl PipeStep {
    /// The bytes of input it carries.
    fn len(&self) -> u64 {
        match self {
            PipeStep::Chunk(bytes) => bytes.len() as u64,
            PipeStep::End => 0,
        }
    }
}

impl Piping {
    /// Standard input to pass on, when it is a pipe or a file (see [`forward_stdin`]).
    fn of_stdin(driver: Driver, keep_open: bool) -> Option<Piping> {
        if !forward_stdin::stdin_has_data() {
            return None;
        }
        if driver == Driver::Claude {
            note!("axiom: standard input is not read under the claude driver (its input is the session's stream-json channel); give the prompt in the command");
            return None;
        }
        Some(Piping { chunks: forward_stdin::read_ahead(), at: 0, waiting: None, keep_open, done: false })
    }

    /// What to send next, once the hub has answered for the last one; never ready when done.
    async fn next_step(&mut self) -> PipeStep {
        if self.waiting.is_some() || self.done {
            return std::future::pending().await;
        }
        match self.chunks.recv().await {
            Some(chunk) => PipeStep::Chunk(chunk),
            None => {
                self.done = true;
                if self.keep_open {
                    return std::future::pending().await;
                }
                PipeStep::End
            }
        }
    }

    fn request(&self, id: u64, task_id: &str, step: &PipeStep) -> ClientRequest {
        let (id, task_id) = (Some(id), task_id.to_owned());
        match step {
            PipeStep::Chunk(bytes) => {
                ClientRequest::Input { id, task_id, at: self.at, payload: Payload::from_bytes(bytes) }
            }
            PipeStep::End => ClientRequest::EndInput { id, task_id },
        }
    }

    fn waits_for(&self, reply: Option<u64>) -> bool {
        matches!((&self.waiting, reply), (Some((id, _)), Some(reply)) if *id == reply)
    }

    /// The hub took the request in flight.
    fn taken(&mut self) {
        if let Some((_, PipeStep::Chunk(bytes))) = self.waiting.take() {
            self.at += bytes.len() as u64;
        }
    }
}

/// What came over the socket: a message, or the news that the connection is gone.
enum Received {
    Message(HubToClient),
    Gone(String),
}

struct Connection {
    socket: HubSocket,
    next_id: u64,
    /// How the hub was found, to find it again after a restart (it may listen elsewhere).
    hub: HubArgs,
    /// Where a task's output is shown.
    screens: Screens,
}

/// Standard output and error, each with the filter a task's output goes through on its way to a
/// terminal (see [`TerminalText`]), or none for a pipe or a file or with `--raw`.
struct Screens {
    stdout: Option<TerminalText>,
    stderr: Option<TerminalText>,
    /// The tool calls of an agent's raw events, shown on stdout: a filter of their own, so that
    /// an escape the task's output leaves open cannot swallow them.
    events: Option<TerminalText>,
    /// A write to stdout (or stderr) failed, its reader gone (`| head`): nothing more is written to it.
    stdout_failed: bool,
    stderr_failed: bool,
    /// The first such failure.
    failure: Option<ShowFailure>,
}

impl Screens {
    fn for_terminals(raw: bool) -> Screens {
        let filter = |terminal: bool| (terminal && !raw).then(TerminalText::default);
        let stdout = std::io::stdout().is_terminal();
        Screens {
            stdout: filter(stdout),
            stderr: filter(std::io::stderr().is_terminal()),
            events: filter(stdout),
            stdout_failed: false,
            stderr_failed: false,
            failure: None,
        }
    }

    /// Shows a task's output; returns the failure when this is the first write that failed.
    fn show(&mut self, stream: OutputStream, bytes: &[u8]) -> Option<ShowFailure> {
        let written = match stream {
            OutputStream::Stderr if self.stderr_failed => return None,
            OutputStream::Stdout | OutputStream::Events if self.stdout_failed => return None,
            OutputStream::Stdout => {
                let bytes = shown(&mut self.stdout, bytes);
                std::io::stdout().write_all(bytes).and_then(|()| std::io::stdout().flush())
            }
            OutputStream::Stderr => std::io::stderr().write_all(shown(&mut self.stderr, bytes)),
            // The raw events of an agent session: show the tool calls it makes.
            OutputStream::Events => crate::agent::claude::tool_calls_in(bytes).iter().try_for_each(|call| {
                let call = format!("⏺ {call}\n");
                std::io::stdout().write_all(shown(&mut self.events, call.as_bytes()))
            }),
        };
        written.err().and_then(|err| self.failed(stream == OutputStream::Stderr, &err))
    }

    /// Notes a failed write to stdout (or stderr); returns the failure when it is the first.
    fn failed(&mut self, stderr: bool, err: &std::io::Error) -> Option<ShowFailure> {
        *(if stderr { &mut self.stderr_failed } else { &mut self.stdout_failed }) = true;
        if self.failure.is_some() {
            return None;
        }
        self.failure = Some(ShowFailure::of(err));
        self.failure.clone()
    }
}

/// What of `bytes` a stream shows: all of them, or what its filter lets through.
fn shown<'a>(filter: &'a mut Option<TerminalText>, bytes: &'a [u8]) -> &'a [u8] {
    match filter {
        Some(filter) => filter.filter(bytes),
        None => bytes,
    }
}

/// Where a following client is in its task's event stream: what it has shown, so that after a
/// reconnect nothing is shown twice and a gap is said out loud.
struct Progress {
    /// Output bytes `[0, cursor)` were shown (or reported as lost).
    cursor: u64,
    /// Interventions shown; the hub replays them from the first on every subscription.
    interventions_shown: usize,
    /// Interventions seen on the current subscription.
    interventions_seen: usize,
}

/// The words of `command_line` for the claude driver, which adds its stream-json options to
/// Claude Code's own (under `sh -c` they would go to the shell): split as a shell splits words,
/// with no shell: operators are refused with the reason, and `$NAME` is passed as written.
fn claude_argv(command_line: &str) -> anyhow::Result<Vec<String>> {
    let Some(words) = shlex::split(command_line).filter(|words| !words.is_empty()) else {
        bail!("the claude driver could not read the command into words (an unclosed quote?): {command_line}");
    };
    let operator = |word: &String| matches!(word.as_str(), "&&" | "||" | ";" | "|" | "&" | ">" | "<" | ">>");
    if words.iter().any(operator) {
        bail!(
            "the claude driver runs Claude Code itself, without a shell: give --command 'claude -p PROMPT [OPTIONS]' \
             with no shell operators"
        );
    }
    Ok(words)
}

/// How a task the client starts is run: `--driver`, `--agent`/`--no-agent`, `--prompt-pattern`.
struct Launch {
    driver: Driver,
    subject: Option<Subject>,
    prompt_pattern: Option<String>,
}

impl Launch {
    fn of(driver: Driver, subject: crate::cli::SubjectArgs, prompt: crate::cli::PromptArgs) -> Self {
        Launch { driver, subject: subject.overridden(), prompt_pattern: prompt.prompt_pattern }
    }
}

/// The largest message the client takes from the hub.
const LARGEST_REPLY: usize = 1 << 30;

impl Connection {
    async fn open(args: &HubArgs, screens: Screens) -> anyhow::Result<Connection> {
        Ok(Connection { socket: Self::dial(args).await?, next_id: 1, hub: args.clone(), screens })
    }

    async fn dial(args: &HubArgs) -> anyhow::Result<HubSocket> {
        let state = StateDir::resolve(args.state.state_dir.as_deref())?;
        let server = match &args.server {
            Some(server) => server.clone(),
            None => state.read_hub_info()?.url,
        };
        let token = state.read_token(args.token_file.as_deref())?;
        // The hub answers `list` in one message, some 400 bytes a task: a hub that keeps a week
        // of tasks may list more than 100,000 of them.
        dial(&server, "/client", &token, LARGEST_REPLY).await
    }

    /// Dials again, with growing pauses, until the hub answers or [`RECONNECT_WINDOW`] is over.
    async fn reconnect(&mut self) -> anyhow::Result<()> {
        let deadline = Instant::now() + RECONNECT_WINDOW;
        let mut pause = FIRST_RETRY;
        loop {
            tokio::time::sleep(pause).await;
            match Self::dial(&self.hub).await {
                Ok(socket) => {
                    self.socket = socket;
                    return Ok(());
                }
                Err(err) if Instant::now() + pause >= deadline => {
                    bail!("the hub did not come back within {}: {err:#}", humantime::format_duration(RECONNECT_WINDOW))
                }
                Err(_) => pause = (pause * 2).min(LONGEST_RETRY),
            }
        }
    }

    fn fresh_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id - 1
    }

    async fn send(&mut self, request: &ClientRequest) -> anyhow::Result<()> {
        self.socket.send(crate::hub::encode(request)).await.context("the hub connection failed")
    }

    async fn next_message(&mut self) -> anyhow::Result<Received> {
        loop {
            return match self.socket.next().await {
                Some(Ok(frame)) if frame.is_text() => Ok(Received::Message(
                    serde_json::from_str(frame.to_text()?).context("unreadable message from the hub")?,
                )),
                Some(Ok(frame)) if frame.is_close() => Ok(Received::Gone("the hub closed the connection".into())),
                Some(Ok(_)) => continue,
                Some(Err(err)) => Ok(Received::Gone(err.to_string())),
                None => Ok(Received::Gone("the hub closed the connection".into())),
            };
        }
    }

    async fn receive(&mut self) -> anyhow::Result<HubToClient> {
        match self.next_message().await? {
            Received::Message(message) => Ok(message),
            Received::Gone(why) => bail!("the hub connection failed: {why}"),
        }
    }

    /// Sends a request built with a fresh id and returns the reply to it (events are skipped).
    async fn request(&mut self, build: impl FnOnce(Option<u64>) -> ClientRequest) -> anyhow::Result<HubToClient> {
        let id = self.fresh_id();
        self.send(&build(Some(id))).await?;
        loop {
            let reply = self.receive().await?;
            let answers = reply.reply_to() == Some(id);
            match reply {
                // An error without an id is about the connection, so about this request too.
                HubToClient::Error { id: None, message } => bail!("{message}"),
                HubToClient::Error { message, .. } if answers => bail!("{message}"),
                reply if answers => return Ok(reply),
                _ => continue,
            }
        }
    }

    /// Starts `command` as a task in the current directory and returns its id: a command line with
    /// `sh -c` (a shell is what the user asked for; under the claude driver, as its own words, see
    /// [`claude_argv`]), words as they are. With `subscribe`, its events follow the reply.
    async fn spawn(&mut self, command: Vec<String>, launch: Launch, subscribe: bool) -> anyhow::Result<String> {
        let cwd = std::env::current_dir().ok().map(|dir| dir.display().to_string());
        let Launch { driver, subject, prompt_pattern } = launch;
        let command = match (driver, <[String; 1]>::try_from(command)) {
            (_, Ok([line])) if line.trim().is_empty() => bail!("the command is empty"),
            (Driver::Claude, Ok([line])) => claude_argv(&line)?,
            (_, Ok([line])) => vec!["sh".to_owned(), "-c".to_owned(), line],
            (_, Err(words)) => words,
        };
        let reply = self
            .request(|id| {
                let env = Vec::new();
                ClientRequest::Spawn { id, command, cwd, env, driver, subscribe, subject, prompt_pattern }
            })
            .await?;
        let HubToClient::Spawned { task_id, .. } = reply else { bail!("unexpected reply to spawn: {reply:?}") };
        Ok(task_id)
    }

    /// `client start`: the task is made and left to run; its id is printed.
    async fn start_command(
        &mut self,
        command: Vec<String>,
        launch: Launch,
        format: Format,
    ) -> anyhow::Result<ExitCode> {
        let task_id = self.spawn(command, launch, false).await?;
        match format {
            Format::Text => outln!("{task_id}"),
            Format::Json => outln!("{}", serde_json::json!({ "task_id": task_id })),
        }
        Ok(ExitCode::SUCCESS)
    }

    async fn run_command(
        &mut self,
        command_line: String,
        launch: Launch,
        on_stop: OnStop,
        piping: Option<Piping>,
    ) -> anyhow::Result<ExitCode> {
        // Before the task exists, so that a Ctrl-C that comes at once still reaches it.
        let stops = StopSignals::install();
        let task_id = self.spawn(vec![command_line], launch, true).await?;
        note!("axiom: task {task_id}");
        self.follow(&task_id, 0, true, on_stop, Some(stops), piping).await
    }

    /// Subscribes (unless the spawn already did) and prints the task's output and interventions
    /// until it ends; returns its exit status. A lost connection is dialled again and the
    /// subscription picks up at the first byte not yet shown, so a hub restart costs nothing.
    async fn follow(
        &mut self,
        task_id: &str,
        since: u64,
        subscribed: bool,
        on_stop: OnStop,
        mut stops: Option<StopSignals>,
        mut piping: Option<Piping>,
    ) -> anyhow::Result<ExitCode> {
        let palette = Palette::new(stderr_color());
        let mut progress = Progress { cursor: since, interventions_shown: 0, interventions_seen: 0 };
        let mut subscription = None;
        if !subscribed {
            subscription = Some(self.subscribe(task_id, since).await?);
        }
        let mut stopping = false;
        // The signal that stopped the task, if one did.
        let mut stopped_by = None;
        // Made once: each poll of a new one would register stdout with epoll again.
        let reader_left = stdout_reader_left();
        tokio::pin!(reader_left);
        loop {
            let watching_reader = self.screens.failure.is_none();
            let stop = async {
                match stops.as_mut() {
                    Some(stops) => stops.next().await,
                    None => std::future::pending().await,
                }
            };
            let piped = async {
                match piping.as_mut() {
                    Some(piping) => piping.next_step().await,
                    None => std::future::pending().await,
                }
            };
            let received = tokio::select! {
                received = self.next_message() => received?,
                // A reader that leaves while the task is quiet (`| grep -m1 ready`).
                () = &mut reader_left, if watching_reader => {
                    let failure = self.screens.failed(false, &std::io::ErrorKind::BrokenPipe.into());
                    if let Some(code) = self.cannot_show(failure, task_id, on_stop, &mut stopping, &mut piping, stops.as_mut()).await? {
                        return Ok(code);
                    }
                    continue;
                }
                step = piped => {
                    let id = self.fresh_id();
                    if let Some(piping) = piping.as_mut() {
                        // A failed send is a lost connection, which the next read reports: the
                        // request is sent again after the reconnect.
                        let _ = self.send(&piping.request(id, task_id, &step)).await;
                        piping.waiting = Some((id, step));
                    }
                    continue;
                }
                signal = stop => {
                    match (on_stop, stopping) {
                        (OnStop::Detach, _) => {
                            note!("axiom: detached: task {task_id} keeps running on the hub (`axiom client tail {task_id} --follow` watches it again, `axiom client kill {task_id}` ends it)");
                            self.leave_detached(task_id, piping.take(), stops.as_mut()).await;
                            return Ok(exit_code(super::stop::stopped_by(signal)));
                        }
                        (_, true) => {
                            note!("axiom: left task {task_id} while it is being stopped");
                            return Ok(exit_code(super::stop::stopped_by(signal)));
                        }
                        (_, false) => {
                            stopping = true;
                            stopped_by = Some(signal);
                            let again = super::stop::again(signal);
                            note!("axiom: stopping task {task_id}: SIGTERM, then SIGKILL after the hub's grace period ({again} again to leave at once; --detach keeps a task running)");
                            let kill = ClientRequest::Kill { id: Some(self.fresh_id()), task_id: task_id.to_owned(), grace_ms: None };
                            self.send(&kill).await?;
                        }
                    }
                    continue;
                }
            };
            let message = match received {
                Received::Message(message) => message,
                Received::Gone(why) => {
                    note!("axiom: lost the hub ({why}); reconnecting to follow task {task_id}");
                    let again = async {
                        self.reconnect().await?;
                        self.subscribe(task_id, progress.cursor).await
                    };
                    let stop = async {
                        match stops.as_mut() {
                            Some(stops) => stops.next().await,
                            None => std::future::pending().await,
                        }
                    };
                    tokio::select! {
                        subscribed = again => subscription = Some(subscribed.with_context(|| format!("task {task_id} may still be running; `axiom client tail {task_id} --follow` watches it once the hub is back"))?),
                        signal = stop => {
                            note!("axiom: the hub is unreachable, so task {task_id} may still be running");
                            return Ok(exit_code(super::stop::stopped_by(signal)));
                        }
                    }
                    progress.interventions_seen = 0;
                    note!("axiom: reconnected; following task {task_id} from where it was");
                    if let Some(piping) = piping.as_mut() {
                        if let Some((_, step)) = piping.waiting.take() {
                            let id = self.fresh_id();
                            let _ = self.send(&piping.request(id, task_id, &step)).await;
                            piping.waiting = Some((id, step));
                        }
                    }
                    continue;
                }
            };
            match message {
                HubToClient::Output { task_id: from, cursor, stream, payload } if from == task_id => {
                    let bytes = payload.into_bytes().map_err(anyhow::Error::msg)?;
                    let failed = progress.take_new(cursor, &bytes).and_then(|new| self.screens.show(stream, new));
                    if let Some(code) =
                        self.cannot_show(failed, task_id, on_stop, &mut stopping, &mut piping, stops.as_mut()).await?
                    {
                        return Ok(code);
                    }
                }
                HubToClient::Intervention { intervention, .. } => {
                    progress.interventions_seen += 1;
                    if progress.interventions_seen > progress.interventions_shown {
                        progress.interventions_shown += 1;
                        note!("{}", intervention_line(&intervention, palette));
                    }
                }
                HubToClient::Lagged { skipped_bytes, .. } => {
                    progress.cursor += skipped_bytes;
                    note!(
                        "axiom: fell behind; {} of output were dropped from the hub's buffer before they could be shown",
                        crate::human::bytes(skipped_bytes)
                    );
                }
                HubToClient::Status { task_id: from, status } if from == task_id && status.is_finished() => {
                    if let Some(line) = status_line(task_id, &status) {
                        note!("{line}");
                    }
                    match (&self.screens.failure, &status) {
                        // The command ended by itself as the reader left: its own exit came first.
                        (Some(ShowFailure::ReaderLeft), TaskStatus::Exited { .. }) | (None, _) => {}
                        (Some(failure), _) => return Ok(ExitCode::from(failure.exit_code())),
                    }
                    if let (Some(signal), TaskStatus::Killed { .. }) = (stopped_by, &status) {
                        // Ended by the kill a signal to axiom asked for: as if that signal had ended it.
                        return Ok(exit_code(super::stop::stopped_by(signal)));
                    }
                    return Ok(exit_code(status.exit_code().unwrap_or(1)));
                }
                // The subscription failing (or the connection) ends the client; a refused kill
                // (the task ended meanwhile) does not.
                HubToClient::Ok { id } if piping.as_ref().is_some_and(|piping| piping.waits_for(id)) => {
                    if let Some(piping) = piping.as_mut() {
                        piping.taken();
                    }
                }
                HubToClient::Error { id, message } if piping.as_ref().is_some_and(|piping| piping.waits_for(id)) => {
                    note!("axiom: stopped passing standard input to task {task_id}: {message}");
                    // The command still gets end of file where the input stops, as from a pipe
                    // whose writer failed.
                    let needs_end = piping
                        .take()
                        .is_some_and(|piping| !piping.keep_open && !matches!(piping.waiting, Some((_, PipeStep::End))));
                    if needs_end {
                        let end = ClientRequest::EndInput { id: Some(self.fresh_id()), task_id: task_id.to_owned() };
                        let _ = self.send(&end).await;
                    }
                }
                HubToClient::Error { id, message } if id.is_none() || id == subscription => bail!("{message}"),
                HubToClient::Error { message, .. } => note!("axiom: {message}"),
                _ => {}
            }
        }
    }

    /// What a following client does once the task's output cannot be shown (`failure`, when it
    /// just happened), as for a pipe's writer: the task stops (`--command`), or the client leaves
    /// it running (`--detach`, `tail --follow`). Returns the exit status when the client goes now.
    async fn cannot_show(
        &mut self,
        failure: Option<ShowFailure>,
        task_id: &str,
        on_stop: OnStop,
        stopping: &mut bool,
        piping: &mut Option<Piping>,
        stops: Option<&mut StopSignals>,
    ) -> anyhow::Result<Option<ExitCode>> {
        let Some(failure) = failure else { return Ok(None) };
        match on_stop {
            OnStop::Kill => {
                if !*stopping {
                    *stopping = true;
                    note!("{}", failure.line(&format!("stopping task {task_id}, as that would have stopped it")));
                    let kill =
                        ClientRequest::Kill { id: Some(self.fresh_id()), task_id: task_id.to_owned(), grace_ms: None };
                    self.send(&kill).await?;
                }
                Ok(None)
            }
            OnStop::Detach => {
                note!(
                    "{}",
                    failure.line(&format!(
                        "task {task_id} keeps running on the hub (`axiom client kill {task_id}` ends it)"
                    ))
                );
                self.leave_detached(task_id, piping.take(), stops).await;
                Ok(Some(ExitCode::from(failure.exit_code())))
            }
            OnStop::Default => {
                if let ShowFailure::WriteFailed(_) = failure {
                    note!("{}", failure.line(&format!("stopped following task {task_id}")));
                }
                Ok(Some(ExitCode::from(failure.exit_code())))
            }
        }
    }

    /// Before a detached client leaves: the standard input it was passing on ends where it got to,
    /// so the command is not left waiting for input nobody will send (unless --keep-input-open).
    /// Another Ctrl-C (`stops`) leaves at once.
    async fn leave_detached(&mut self, task_id: &str, piping: Option<Piping>, stops: Option<&mut StopSignals>) {
        let Some(piping) = piping.filter(|piping| !piping.keep_open) else { return };
        let end_in_flight = matches!(piping.waiting, Some((_, PipeStep::End)));
        if piping.done && !end_in_flight {
            return;
        }
        // The hub takes piped input one request at a time: the end goes once the chunk in flight
        // is taken, and the client stays until the end is, or the connection's close could drop it.
        let in_flight = piping.waiting.as_ref().map(|(id, _)| *id);
        let ended = async {
            if let Some(id) = in_flight {
                self.answer_to(id).await?;
            }
            if !end_in_flight {
                let id = self.fresh_id();
                self.send(&ClientRequest::EndInput { id: Some(id), task_id: task_id.to_owned() }).await.ok()?;
                self.answer_to(id).await?;
            }
            Some(())
        };
        let stop = async {
            match stops {
                Some(stops) => stops.next().await,
                None => std::future::pending().await,
            }
        };
        let taken = crate::human::bytes(piping.at);
        let with_in_flight = crate::human::bytes(piping.at + piping.waiting.as_ref().map_or(0, |(_, step)| step.len()));
        tokio::select! {
            ended = tokio::time::timeout(LEAVING_INPUT_WAIT, ended) => match ended {
                Ok(Some(())) => note!("axiom: task {task_id}'s standard input ends here, after {with_in_flight}"),
                Ok(None) => note!("axiom: task {task_id}'s standard input may stay open after {taken}: the hub did not take its end (the connection failed, or it refused)"),
                Err(_) => note!(
                    "axiom: task {task_id}'s standard input stays open after {taken}: the command has not read what was sent ({} waited)",
                    humantime::format_duration(LEAVING_INPUT_WAIT)
                ),
            },
            _ = stop => note!("axiom: left without ending task {task_id}'s standard input, which stays open after {taken}"),
        }
    }

    /// Waits for the answer to request `id`, skipping events; `None` when it is an error or the
    /// connection went.
    async fn answer_to(&mut self, id: u64) -> Option<()> {
        loop {
            match self.next_message().await.ok()? {
                Received::Message(HubToClient::Ok { id: Some(answered) }) if answered == id => return Some(()),
                Received::Message(HubToClient::Error { id: Some(answered), .. }) if answered == id => return None,
                Received::Message(_) => continue,
                Received::Gone(_) => return None,
            }
        }
    }

    /// Asks for the task's events from output byte `since`; the reply is not waited for, so no
    /// event that comes before it is lost. Returns the request's id.
    async fn subscribe(&mut self, task_id: &str, since: u64) -> anyhow::Result<u64> {
        let id = self.fresh_id();
        self.send(&ClientRequest::Subscribe { id: Some(id), task_id: task_id.to_owned(), since: Some(since) }).await?;
        Ok(id)
    }

    /// A subcommand; `launch` is for the one that starts a task.
    async fn act(&mut self, action: ClientCommand, launch: Launch) -> anyhow::Result<ExitCode> {
        match action {
            ClientCommand::Start { command, format } => return self.start_command(command, launch, format).await,
            ClientCommand::List { format } => {
                let HubToClient::Tasks { tasks, .. } =
                    self.request(|id| ClientRequest::List { id, task_id: None }).await?
                else {
                    bail!("unexpected reply to list");
                };
                print_tasks(&tasks, format)?;
            }
            ClientCommand::Tail { task_id, follow, lines } => {
                let next = self.print_stored(&task_id, lines).await?;
                match &self.screens.failure {
                    // A follower whose reader left goes, as `tail -f | head` does.
                    Some(failure) if follow => {
                        if let ShowFailure::WriteFailed(_) = failure {
                            note!("{}", failure.line(&format!("stopped following task {task_id}")));
                        }
                        return Ok(ExitCode::from(failure.exit_code()));
                    }
                    None if follow => return self.follow(&task_id, next, false, OnStop::Default, None, None).await,
                    _ => self.listing_written()?,
                }
            }
            ClientCommand::Output { task_id } => {
                self.print_stored(&task_id, None).await?;
                self.listing_written()?;
            }
            ClientCommand::Interventions { task_id, format } => {
                // The hub answers a page at a time.
                let mut all = Vec::new();
                let mut since = None;
                loop {
                    let reply =
                        self.request(|id| ClientRequest::Interventions { id, task_id: task_id.clone(), since }).await?;
                    let HubToClient::Interventions { interventions, next, .. } = reply else {
                        bail!("unexpected reply to interventions")
                    };
                    if interventions.is_empty() {
                        break;
                    }
                    all.extend(interventions);
                    since = Some(next);
                }
                print_interventions(&task_id, &all, format)?;
            }
            ClientCommand::Rules { format } => {
                let reply = self.request(|id| ClientRequest::Rules { id }).await?;
                let HubToClient::Rules { loaded_at, origin, rules, .. } = reply else {
                    bail!("unexpected reply to rules")
                };
                match format {
                    Format::Json => outln!(
                        "{}",
                        serde_json::to_string_pretty(
                            &serde_json::json!({"loaded_at": loaded_at, "origin": origin, "rules": rules})
                        )?
                    ),
                    Format::Text => {
                        let age = crate::tasks::now_ms().saturating_sub(loaded_at) / 1000;
                        outln!("{} from {origin}, loaded {age} s ago", crate::human::count(rules.len() as u64, "rule"));
                        for rule in &rules {
                            let off = if rule.enabled { "" } else { " (disabled)" };
                            outln!(
                                "  {:<28} {:<8} {:<9} {}{off}",
                                rule.id,
                                rule.severity,
                                rule.action,
                                rule.description
                            );
                        }
                    }
                }
            }
            ClientCommand::Send { task_id, text, no_enter } => {
                self.request(|id| ClientRequest::Send { id, task_id, text, enter: !no_enter }).await?;
            }
            ClientCommand::Interrupt { task_id, text, message } => {
                let message = text.or(message);
                self.request(|id| ClientRequest::Interrupt { id, task_id, message }).await?;
            }
            ClientCommand::Kill { task_id, grace, no_wait } => {
                let grace_ms = grace.map(|g| std::time::Duration::from(g).as_millis() as u64);
                let task = task_id.clone();
                self.request(|id| ClientRequest::Kill { id, task_id: task, grace_ms }).await?;
                if !no_wait {
                    self.wait_until_ended(&task_id).await.with_context(|| {
                        format!("the hub took the kill, but task {task_id}'s end could not be waited for (`axiom client list` shows it)")
                    })?;
                }
            }
        }
        Ok(ExitCode::SUCCESS)
    }

    /// Waits for the task to end, following only its status, and says how it ended.
    async fn wait_until_ended(&mut self, task_id: &str) -> anyhow::Result<()> {
        let task = task_id.to_owned();
        let HubToClient::Tasks { tasks, .. } =
            self.request(|id| ClientRequest::List { id, task_id: Some(task) }).await?
        else {
            bail!("unexpected reply to list")
        };
        let Some(info) = tasks.into_iter().next() else { bail!("task {task_id} is gone") };
        let mut status = info.status;
        // From the end of its output: only what happens from now on comes.
        let subscription = self.subscribe(task_id, info.output_bytes).await?;
        while !status.is_finished() {
            match self.receive().await? {
                HubToClient::Status { task_id: from, status: now } if from == task_id => status = now,
                HubToClient::Error { id, message } if id == Some(subscription) => bail!("{message}"),
                _ => {}
            }
        }
        if let Some(line) = status_line(task_id, &status) {
            note!("{line}");
        }
        Ok(())
    }

    /// Prints the task's stored output (its last `lines` lines, if given) page by page as it
    /// arrives; returns the cursor after it. The hub finds where the last lines start, so only
    /// they travel.
    async fn print_stored(&mut self, task_id: &str, lines: Option<usize>) -> anyhow::Result<u64> {
        let mut stdout = std::io::stdout().lock();
        let mut since = 0;
        let mut tail_lines = lines;
        loop {
            let task = task_id.to_owned();
            let tail = tail_lines.take();
            let reply = self
                .request(|id| ClientRequest::Output { id, task_id: task, since: Some(since), tail_lines: tail })
                .await?;
            let HubToClient::OutputChunk { cursor, next, truncated, payload, .. } = reply else {
                bail!("unexpected reply to output")
            };
            if truncated && since == 0 && lines.is_none() {
                let lost = crate::human::bytes(cursor);
                note!("axiom: the oldest {lost} of {task_id}'s output are no longer kept");
            }
            let bytes = payload.into_bytes().map_err(anyhow::Error::msg)?;
            since = next;
            if bytes.is_empty() {
                break;
            }
            if let Err(err) = stdout.write_all(shown(&mut self.screens.stdout, &bytes)) {
                self.screens.failed(false, &err);
                return Ok(since);
            }
        }
        if let Err(err) = stdout.flush() {
            self.screens.failed(false, &err);
        }
        Ok(since)
    }

    /// After `tail` or `output` printed what is stored: a closed stdout (`| head`) ended the
    /// listing, as it ends ripgrep's, and any other failed write is an error.
    fn listing_written(&self) -> anyhow::Result<()> {
        match &self.screens.failure {
            Some(ShowFailure::WriteFailed(error)) => bail!("cannot write the output: {error}"),
            Some(ShowFailure::ReaderLeft) | None => Ok(()),
        }
    }
}

fn print_interventions(task_id: &str, records: &[InterventionRecord], format: Format) -> anyhow::Result<()> {
    match format {
        Format::Json => outln!("{}", serde_json::to_string_pretty(records)?),
        Format::Text if records.is_empty() => note!("axiom: no rule has fired on task {task_id}"),
        Format::Text => {
            let palette = Palette::new(crate::logging::color_wanted(std::io::stdout().is_terminal()));
            for record in records {
                let at = humantime::format_rfc3339_seconds(std::time::UNIX_EPOCH + Duration::from_millis(record.at));
                let line = record.line.map_or(String::new(), |line| format!(" line {line}:"));
                let delivered = match (record.delivered, &record.error) {
                    (Some(true), None) => String::new(),
                    // Delivered, with a part of it that was not: an interrupt's message after the
                    // interrupt ended the task.
                    (Some(true), Some(error)) => format!(" ({error})"),
                    (Some(false), Some(error)) => format!(" (not delivered: {error})"),
                    (Some(false), None) => " (not delivered)".to_owned(),
                    (None, _) => " (not confirmed yet)".to_owned(),
                };
                outln!("{at}{line} {}{delivered}", intervention_summary(record, palette));
            }
        }
    }
    Ok(())
}

fn print_tasks(tasks: &[TaskInfo], format: Format) -> anyhow::Result<()> {
    match format {
        Format::Json => {
            let views: Vec<TaskView> = tasks.iter().cloned().map(TaskView::from).collect();
            outln!("{}", serde_json::to_string_pretty(&views)?);
        }
        Format::Text => {
            outln!("{:<8}  {:<9}  {:>4}  {:>8}  {:>13}  COMMAND", "ID", "STATUS", "CODE", "PID", "OUTPUT");
            for task in tasks {
                let code = task.status.exit_code().map(|c| c.to_string()).unwrap_or_default();
                let pid = task.pid.map(|p| p.to_string()).unwrap_or_default();
                outln!(
                    "{:<8}  {:<9}  {:>4}  {:>8}  {:>13}  {}",
                    task.task_id,
                    // A running task says what it is doing: running, idle (at its prompt) or silent.
                    match (&task.status, task.activity) {
                        (crate::protocol::TaskStatus::Running, Some(activity)) => activity.as_str(),
                        (status, _) => status.name(),
                    },
                    code,
                    pid,
                    crate::human::bytes(task.output_bytes),
                    task.command.join(" ")
                );
            }
        }
    }
    Ok(())
}

impl Progress {
    /// The part of an output chunk at `cursor` not shown yet: nothing for a chunk seen before a
    /// reconnect, and a gap (which the hub's history should never leave) said on stderr.
    fn take_new<'a>(&mut self, cursor: u64, bytes: &'a [u8]) -> Option<&'a [u8]> {
        let end = cursor + bytes.len() as u64;
        if end <= self.cursor {
            return None;
        }
        if cursor > self.cursor {
            note!("axiom: {} of output are missing here", crate::human::bytes(cursor - self.cursor));
        }
        let skip = self.cursor.saturating_sub(cursor) as usize;
        self.cursor = end;
        Some(&bytes[skip..])
    }
}

/// `code` as a process's exit status.
fn exit_code(code: i32) -> ExitCode {
    ExitCode::from(code.clamp(0, 255) as u8)
}

#[cfg(test)]
mod tests {
    use super::{claude_argv, Progress};

    #[test]
    fn the_claude_driver_gets_claudes_own_words_not_a_shell() {
        assert_eq!(
            claude_argv("claude -p 'fix the $PATH bug' --model opus").unwrap(),
            ["claude", "-p", "fix the $PATH bug", "--model", "opus"]
        );
        assert!(claude_argv("cd app && claude -p x").unwrap_err().to_string().contains("no shell operators"));
        assert!(claude_argv("claude -p 'unclosed").is_err());
    }

    #[test]
    fn output_seen_before_a_reconnect_is_not_shown_again() {
        let mut progress = Progress { cursor: 0, interventions_shown: 0, interventions_seen: 0 };
        assert_eq!(progress.take_new(0, b"line 0\n"), Some(&b"line 0\n"[..]));
        assert_eq!(progress.take_new(0, b"line 0\n"), None, "a replayed chunk");
        assert_eq!(progress.take_new(4, b" 0\nline 1\n"), Some(&b"line 1\n"[..]), "an overlapping chunk");
        assert_eq!(progress.cursor, 14);
        assert_eq!(progress.take_new(20, b"x"), Some(&b"x"[..]), "after a gap, the new bytes");
        assert_eq!(progress.cursor, 21);
    }
}
