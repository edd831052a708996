//! `axiom run`: supervise one command from a terminal.
//!
//! Output never gets lost on the way to a slow terminal or pipe (`axiom run -- make | less`): a
//! writer thread copies it out, and the task confirms output to its worker only once it is written
//! (`confirm_when_written`), so a slow reader slows the child down through the same back-pressure
//! that protects the hub. If output were ever dropped anyway, a line on stderr says how much.
//!
//! A reader that goes away (`axiom run -- make | head`) stops the command, as the pipe would have
//! (SIGPIPE on its next write), and `axiom run` exits 141 (128 + SIGPIPE), as the command would.

use std::io::Write;
use std::process::ExitCode;
use std::sync::mpsc;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;

use super::forward_stdin;
use super::output::{intervention_line, status_line, stderr_color, Palette, READER_GONE_EXIT};
use super::stop::StopSignals;
use super::tty;
use crate::cli::RunArgs;
use crate::hub::auth::Token;
use crate::hub::{Hub, HubConfig, SpawnRequest};
use crate::rules::Action;
use crate::tasks::{Task, TaskConfig, Tasks};
use crate::worker::{Driver, OutputStream};

/// How long the worker may take to exit after its task ended (it waits for its last confirmation).
const WORKER_EXIT: Duration = Duration::from_secs(3);

pub fn run(args: RunArgs) -> anyhow::Result<ExitCode> {
    let rules = super::load_rules(&args.rules)?;
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
        if args.driver == Driver::Pipe && crate::worker::claude::is_claude_print(&args.command) {
            eprintln!("axiom: hint: `claude -p` reads no input after its prompt, so a correction cannot reach it under the pipe driver; use `axiom run --driver claude -- claude -p PROMPT` (corrections become user messages and tool calls are checked before they run)");
        }
        // A person at a terminal drives a pty task directly: raw keys in, the real window size.
        let keyboard = args.driver == Driver::Pty && tty::attached();
        let request = SpawnRequest {
            command: args.command,
            driver: args.driver,
            subject: args.subject.overridden(),
            pty_size: if keyboard { tty::window_size() } else { None },
            prompt_pattern: args.prompt.prompt_pattern,
            ..SpawnRequest::default()
        };
        let task = hub.spawn_task(request)?;
        if !keyboard && forward_stdin::stdin_has_data() {
            if args.driver == Driver::Claude {
                eprintln!("axiom: standard input is not read under the claude driver (its input is the session's stream-json channel); give the prompt after -p");
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
                    eprintln!("axiom: keys are not forwarded: cannot put the terminal in raw mode: {err}");
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
    let (reader_gone, mut reader_left) = tokio::sync::watch::channel(false);
    let (out, writer) = start_writer(Arc::clone(task), newline, reader_gone);
    let mut changes = task.subscribe();
    let mut cursor = 0;
    let mut shown = 0;
    let mut interrupted = false;
    let mut stopped_for_reader = false;
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
            if stopped_for_reader {
                return READER_GONE_EXIT.into();
            }
            return status.exit_code().unwrap_or(1);
        }
        tokio::select! {
            changed = changes.changed() => if changed.is_err() { return 1 },
            // The writer only ever says `true`, once; it outlives this loop, so `changed` fails never.
            Ok(()) = reader_left.changed(), if !stopped_for_reader => {
                stopped_for_reader = true;
                if !interrupted {
                    let _ = out.send(Out::Note("axiom: standard output was closed; stopping the task, as the pipe would have".into()));
                    let _ = task.intervene(Action::Kill, None, None);
                }
            }
            _ = stops.next() => {
                if interrupted {
                    return 130;
                }
                interrupted = true;
                eprint!("axiom: stopping the task (Ctrl-C again to leave at once){newline}");
                let _ = task.intervene(Action::Kill, None, None);
            }
        }
    }
}

/// A thread that writes output and notes in order, blocking on a slow reader as long as it takes,
/// and tells the task how far it got. Once stdout's reader is gone it says so on `reader_gone` and
/// writes no more to stdout; what the task still prints to stderr is shown.
fn start_writer(
    task: Arc<Task>,
    newline: &'static str,
    reader_gone: tokio::sync::watch::Sender<bool>,
) -> (mpsc::Sender<Out>, std::thread::JoinHandle<()>) {
    let (sender, queue) = mpsc::channel::<Out>();
    let writer = std::thread::spawn(move || {
        let stdout = std::io::stdout();
        let stderr = std::io::stderr();
        for item in queue {
            match item {
                Out::Output { stream, data, end } => {
                    let written = match stream {
                        OutputStream::Stdout if !*reader_gone.borrow() => {
                            let mut out = stdout.lock();
                            out.write_all(&data).and_then(|()| out.flush())
                        }
                        OutputStream::Stderr => stderr.lock().write_all(&data),
                        // The raw events of an agent session: show the tool calls it makes.
                        OutputStream::Events if !*reader_gone.borrow() => {
                            let mut out = stdout.lock();
                            crate::agent::claude::tool_calls_in(&data)
                                .iter()
                                .try_for_each(|call| writeln!(out, "⏺ {call}"))
                                .and_then(|()| out.flush())
                        }
                        OutputStream::Stdout | OutputStream::Events => Ok(()),
                    };
                    if written.is_err_and(|err| err.kind() == std::io::ErrorKind::BrokenPipe)
                        && stream != OutputStream::Stderr
                    {
                        reader_gone.send_replace(true);
                    }
                    task.written_through(end);
                }
                Out::Note(line) => {
                    let _ = write!(stderr.lock(), "{line}{newline}");
                }
            }
        }
    });
    (sender, writer)
}
