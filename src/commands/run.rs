//! `axiom run`: supervise one command from a terminal.

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;

use super::output::{intervention_line, status_line, stderr_color, Palette};
use crate::cli::RunArgs;
use crate::hub::auth::Token;
use crate::hub::{Hub, HubConfig, SpawnRequest};
use crate::rules::Action;
use crate::tasks::{Task, TaskConfig, Tasks};
use crate::worker::OutputStream;

pub fn run(args: RunArgs) -> anyhow::Result<ExitCode> {
    let rules = super::load_rules(&args.rules)?;
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async move {
        let config = TaskConfig { kill_grace: args.kill_grace.into(), ..TaskConfig::default() };
        let tasks = Arc::new(Tasks::new(rules, config));
        let mut config = HubConfig::new(args.listen);
        // This hub dies with this process; a worker that loses it must not wait for it.
        config.worker_reconnect_window = std::time::Duration::ZERO;
        let hub = Hub::start(config, tasks, Token::generate())
            .await
            .with_context(|| format!("cannot listen on {}", args.listen))?;
        let request = SpawnRequest {
            command: args.command,
            driver: args.driver,
            subject: args.subject.overridden(),
            ..SpawnRequest::default()
        };
        let task = hub.spawn_task(request)?;
        let code = follow(&task).await;
        Ok(ExitCode::from(code.clamp(0, 255) as u8))
    })
}

/// Copies the task's output to stdout/stderr and its interventions to stderr until it ends.
/// Ctrl-C, SIGTERM or SIGHUP kill the task (gracefully); a second one leaves at once.
async fn follow(task: &Arc<Task>) -> i32 {
    use tokio::signal::unix::{signal, SignalKind};
    let mut terminate = signal(SignalKind::terminate()).ok();
    let mut hangup = signal(SignalKind::hangup()).ok();
    let palette = Palette::new(stderr_color());
    let mut changes = task.subscribe();
    let mut cursor = 0;
    let mut shown = 0;
    let mut interrupted = false;
    loop {
        let status = task.status();
        let (chunks, _, end) = task.chunks_since(cursor);
        for chunk in chunks {
            // A closed stdout must not stop supervision; the output stays in the task.
            let _ = match chunk.stream {
                OutputStream::Stdout => {
                    std::io::stdout().write_all(&chunk.data).and_then(|()| std::io::stdout().flush())
                }
                OutputStream::Stderr => std::io::stderr().write_all(&chunk.data),
            };
        }
        cursor = end;
        for record in task.interventions_since(shown) {
            shown += 1;
            eprintln!("{}", intervention_line(&record, palette));
        }
        if status.is_finished() {
            if let Some(line) = status_line(&task.id, &status) {
                eprintln!("{line}");
            }
            return status.exit_code().unwrap_or(1);
        }
        tokio::select! {
            changed = changes.changed() => if changed.is_err() { return 1 },
            _ = stop_signal(&mut terminate, &mut hangup) => {
                if interrupted {
                    return 130;
                }
                interrupted = true;
                eprintln!("axiom: stopping the task (Ctrl-C again to leave at once)");
                let _ = task.intervene(Action::Kill, None, None);
            }
        }
    }
}

/// Ctrl-C, SIGTERM or SIGHUP, whichever comes first.
async fn stop_signal(
    terminate: &mut Option<tokio::signal::unix::Signal>,
    hangup: &mut Option<tokio::signal::unix::Signal>,
) {
    let term = async {
        match terminate.as_mut() {
            Some(signal) => signal.recv().await,
            None => std::future::pending().await,
        }
    };
    let hup = async {
        match hangup.as_mut() {
            Some(signal) => signal.recv().await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term => {}
        _ = hup => {}
    }
}
