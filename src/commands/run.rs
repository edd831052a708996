//! `axiom run`: supervise one command from a terminal.
//!
//! Output never gets lost on the way to a slow terminal or pipe (`axiom run -- make | less`): a
//! writer thread copies it out, and the task confirms output to its worker only once it is written
//! (`confirm_when_written`), so a slow reader slows the child down through the same back-pressure
//! that protects the hub. If output were ever dropped anyway, a line on stderr says how much.
//!
//! A reader that goes away (`axiom run -- make | head`, on stdout or stderr) stops the command, as
//! the pipe would have (SIGPIPE on its next write), and `axiom run` exits 141 (128 + SIGPIPE), as
//! the command would; output that cannot be written for another reason (`> /dev/full`) stops it too.

use std::io::Write;
use std::process::ExitCode;
use std::sync::mpsc;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;

use super::forward_stdin;
use super::output::{intervention_line, status_line, stderr_color, Palette};
use super::show_failure::{stdout_reader_left, ShowFailure};
use super::stop::StopSignals;
use super::tty;
use crate::cli::RunArgs;
use crate::hub::auth::Token;
use crate::hub::{Hub, HubConfig, SpawnRequest};
use crate::logging::note;
use crate::protocol::TaskStatus;
use crate::rules::Action;
use crate::tasks::{Task, TaskConfig, Tasks};
use crate::worker::{Driver, OutputStream};

/// How long the worker may take to exit after its task ended (it waits for its last confirmation).
const WORKER_EXIT: Duration = Duration::from_secs(3);

pub fn run(args: RunArgs) -> anyhow::Result<ExitCode> {
    let rules = super::load_hub_rules(&args.rules, None)?;
    super::warn_if_reachable(args.listen);
    let runtime = tokio::runtime::Runtime::new()?;
    let result = runtime.block_on(async move {
        super::prepare_in_background(&rules);
        let config =
            TaskConfig { kill_grace: args.kill_grace.into(), confirm_when_written: true, ..TaskConfig::default() };
        let tasks = Arc::new(Tasks::new(rules, config));
        let mut config = HubConfig::new(args.listen);
        // This hub dies with this process; a worker that loses it must not wait for it.
        config.worker_reconnect_window = Duration::ZERO;
        config.adopt_orphans = true;
        let hub = Hub::start(config, tasks, Token::generate())
            .await
            .with_context(|| format!("cannot listen on {}", args.listen))?;
        let driver = args.driver.unwrap_or_else(|| Driver::default_for(&args.command));
        if driver == Driver::Pipe && crate::worker::claude::is_claude_print(&args.command) {
            note!("axiom: hint: `claude -p` reads no input after its prompt, so a correction cannot reach it under the pipe driver; leave out --driver pipe (the claude driver is the default for it: corrections become user messages and tool calls are checked before they run)");
        }
        // A person at a terminal drives a pty task directly: raw keys in, the real window size.
        let keyboard = driver == Driver::Pty && tty::attached();
        let request = SpawnRequest {
            command: args.command,
            driver,
            subject: args.subject.overridden(),
            pty_size: if keyboard { tty::window_size() } else { None },
            prompt_pattern: args.prompt.prompt_pattern,
            ..SpawnRequest::default()
        };
        let task = hub.spawn_task(request)?;
        if !keyboard && forward_stdin::stdin_has_data() {
            if driver == Driver::Claude {
                note!("axiom: standard input is not read under the claude driver (its input is the session's stream-json channel); give the prompt after -p");
            } else {
                tokio::spawn(forward_stdin::forward(Arc::clone(&task), args.keep_input_open));
            }
        }
        let raw = if keyboard {
            match tty::RawMode::enter() {
                Ok(raw) => {
                    tokio::spawn(tty::forward_keys(Arc::clone(&task)));
                    tokio::spawn(tty::follow_window_size(Arc::clone(&task)));
                    Some(raw)
                }
                Err(err) => {
                    note!("axiom: keys are not forwarded: cannot put the terminal in raw mode: {err}");
                    None
                }
            }
        } else {
            None
        };
        let code = follow(&task, raw.is_some()).await;
        // The worker exits once its last message is confirmed; leaving before would cut it off.
        task.wait_worker_exited(WORKER_EXIT).await;
        drop(raw);
        Ok(ExitCode::from(code.clamp(0, 255) as u8))
    });
    // The key reader may be blocked in a read of the terminal that no key will end: do not wait for it.
    runtime.shutdown_background();
    result
}

/// What the writer thread writes, in order.
enum Out {
    /// Child output that ends at output cursor `end`.
    Output { stream: OutputStream, data: Vec<u8>, end: u64 },
    /// A line of axiom's own for stderr (an intervention, a notice).
    Note(String),
}

/// Copies the task's output to stdout/stderr and its interventions to stderr until it ends.
/// Ctrl-C, SIGTERM or SIGHUP kill the task (gracefully); a second one leaves at once. With `raw`,
/// the terminal is in raw mode: axiom's own lines end in `\r\n`, and Ctrl-C is a key for the task.
async fn follow(task: &Arc<Task>, raw: bool) -> i32 {
    let newline = if raw { "\r\n" } else { "\n" };
    let mut stops = StopSignals::install();
    let palette = Palette::new(stderr_color());
    let (failure_tx, mut failure_rx) = tokio::sync::watch::channel(None);
    let (out, writer) = start_writer(Arc::clone(task), newline, failure_tx);
    let mut changes = task.subscribe();
    let mut cursor = 0;
    let mut shown = 0;
    // The signal that stopped the task, if one did.
    let mut stopped: Option<i32> = None;
    let mut cannot_show: Option<ShowFailure> = None;
    // Made once: each poll of a new one would register stdout with epoll again.
    let reader_left = stdout_reader_left();
    tokio::pin!(reader_left);
    loop {
        let status = task.status();
        let (chunks, start, end) = task.chunks_since(cursor);
        if cursor < start {
            let lost = crate::human::bytes(start - cursor);
            let _ =
                out.send(Out::Note(format!("axiom: {lost} of output were dropped here before they could be shown")));
        }
        for chunk in chunks {
            let end = chunk.cursor + chunk.data.len() as u64;
            let _ = out.send(Out::Output { stream: chunk.stream, data: chunk.data, end });
        }
        cursor = end;
        for record in task.interventions_after(&mut shown) {
            let _ = out.send(Out::Note(intervention_line(&record, palette)));
        }
        if status.is_finished() {
            if let Some(line) = status_line(&task.id, &status) {
                let _ = out.send(Out::Note(line));
            }
            if let Some(session) = task.info().session {
                let _ = out.send(Out::Note(super::output::session_line(&task.id, &session)));
            }
            if let (failures @ 1.., Some(last)) = task.input_failures() {
                let writes = crate::human::count(failures, "write");
                let _ =
                    out.send(Out::Note(format!("axiom: {writes} to the command's input failed (the last: {last})")));
            }
            drop(out);
            // Everything is written before `axiom run` exits.
            let _ = tokio::task::spawn_blocking(move || writer.join()).await;
            // Output the task's last write left unwritten is an error, even once it has ended; a
            // reader that left after it ended (`| true`) is not, as the command's own exit came first.
            let last = failure_rx.borrow().clone();
            if let (None, Some(failure @ ShowFailure::WriteFailed(_))) = (&cannot_show, last) {
                note!("{}", failure.line("some of the task's output was not written"));
                return failure.exit_code().into();
            }
            return match (cannot_show, &status) {
                // The command ended by itself as its reader left: its own exit came first.
                (Some(ShowFailure::ReaderLeft), TaskStatus::Exited { code }) => *code,
                (Some(failure), _) => failure.exit_code().into(),
                // Ended by the kill a signal to axiom asked for: as if that signal had ended it.
                (None, TaskStatus::Killed { .. }) if stopped.is_some() => stopped.map_or(1, super::stop::stopped_by),
                (None, status) => status.exit_code().unwrap_or(1),
            };
        }
        tokio::select! {
            changed = changes.changed() => if changed.is_err() { return 1 },
            // The writer says it once; it outlives this loop, so `changed` never fails. A reader
            // that leaves while the task is quiet is noticed too.
            failure = async {
                tokio::select! {
                    Ok(()) = failure_rx.changed() => failure_rx.borrow_and_update().clone(),
                    () = &mut reader_left => Some(ShowFailure::ReaderLeft),
                }
            }, if cannot_show.is_none() => {
                if let Some(failure) = failure {
                    // A task that has just ended is not stopped (nor said to be).
                    if stopped.is_none() && task.intervene(Action::Kill, None, None).is_ok() {
                        let _ = out.send(Out::Note(failure.line("stopping the task, as that would have stopped it")));
                    }
                    cannot_show = Some(failure);
                }
            }
            signal = stops.next() => {
                if stopped.is_some() {
                    return super::stop::stopped_by(signal);
                }
                stopped = Some(signal);
                // Through the writer, in order, and never a panic on a stderr that cannot be written.
                let again = super::stop::again(signal);
                let _ = out.send(Out::Note(format!("axiom: stopping the task ({again} again to leave at once)")));
                let _ = task.intervene(Action::Kill, None, None);
            }
        }
    }
}

/// A thread that writes output and notes in order, blocking on a slow reader as long as it takes,
/// and tells the task how far it got. The first write that fails is told on `failure`, and
/// nothing more is written to that stream.
fn start_writer(
    task: Arc<Task>,
    newline: &'static str,
    failure: tokio::sync::watch::Sender<Option<ShowFailure>>,
) -> (mpsc::Sender<Out>, std::thread::JoinHandle<()>) {
    let (sender, queue) = mpsc::channel::<Out>();
    let writer = std::thread::spawn(move || {
        let (stdout, stderr) = (std::io::stdout(), std::io::stderr());
        let (mut stdout_failed, mut stderr_failed) = (false, false);
        for item in queue {
            match item {
                Out::Output { stream, data, end } => {
                    let failed = if stream == OutputStream::Stderr { &mut stderr_failed } else { &mut stdout_failed };
                    let written = match stream {
                        _ if *failed => Ok(()),
                        OutputStream::Stdout => {
                            let mut out = stdout.lock();
                            out.write_all(&data).and_then(|()| out.flush())
                        }
                        OutputStream::Stderr => stderr.lock().write_all(&data),
                        // The raw events of an agent session: show the tool calls it makes.
                        OutputStream::Events => {
                            let mut out = stdout.lock();
                            crate::agent::claude::tool_calls_in(&data)
                                .iter()
                                .try_for_each(|call| writeln!(out, "⏺ {call}"))
                                .and_then(|()| out.flush())
                        }
                    };
                    if let Err(err) = written {
                        *failed = true;
                        // Only the first failure is told; this thread is the only sender.
                        if failure.borrow().is_none() {
                            failure.send_replace(Some(ShowFailure::of(&err)));
                        }
                    }
                    task.written_through(end);
                }
                Out::Note(_) if stderr_failed => {}
                Out::Note(line) => {
                    let _ = write!(stderr.lock(), "{line}{newline}");
                }
            }
        }
    });
    (sender, writer)
}
