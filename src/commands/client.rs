//! `axiom client`: run, watch and steer tasks on a running hub.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{bail, Context as _};
use futures_util::{SinkExt, StreamExt};

use super::output::{intervention_line, outln, status_line, stderr_color, Palette};
use crate::cli::{ClientArgs, ClientCommand, Format, HubArgs};
use crate::dial::{dial, HubSocket};
use crate::protocol::{ClientRequest, HubToClient, TaskInfo};
use crate::rules::Subject;
use crate::state::StateDir;
use crate::worker::{Driver, OutputStream};

pub fn run(args: ClientArgs) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async move {
        let mut hub = Connection::open(&args.hub).await?;
        match (args.command, args.action) {
            (Some(command), None) => hub.run_command(command, args.driver, args.subject.overridden()).await,
            (None, Some(action)) => hub.act(action).await,
            (None, None) => bail!("nothing to do: pass --command CMD or a subcommand (see `axiom client --help`)"),
            (Some(_), Some(_)) => bail!("--command and a subcommand cannot be combined"),
        }
    })
}

struct Connection {
    socket: HubSocket,
    next_id: u64,
}

impl Connection {
    async fn open(args: &HubArgs) -> anyhow::Result<Connection> {
        let state = StateDir::resolve(args.state.state_dir.as_deref())?;
        let server = match &args.server {
            Some(server) => server.clone(),
            None => state.read_hub_info()?.url,
        };
        let token = state.read_token(args.token_file.as_deref())?;
        let socket = dial(&server, "/client", &token, 16 * 1024 * 1024).await?;
        Ok(Connection { socket, next_id: 1 })
    }

    async fn send(&mut self, request: &ClientRequest) -> anyhow::Result<()> {
        self.socket.send(crate::hub::encode(request)).await.context("the hub connection failed")
    }

    async fn receive(&mut self) -> anyhow::Result<HubToClient> {
        loop {
            match self.socket.next().await {
                Some(Ok(frame)) if frame.is_text() => {
                    return serde_json::from_str(frame.to_text()?).context("unreadable message from the hub");
                }
                Some(Ok(_)) => continue,
                Some(Err(err)) => bail!("the hub connection failed: {err}"),
                None => bail!("the hub closed the connection"),
            }
        }
    }

    /// Sends a request built with a fresh id and returns the reply to it (events are skipped).
    async fn request(&mut self, build: impl FnOnce(Option<u64>) -> ClientRequest) -> anyhow::Result<HubToClient> {
        let id = self.next_id;
        self.next_id += 1;
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

    async fn run_command(
        &mut self,
        command_line: String,
        driver: Driver,
        subject: Option<Subject>,
    ) -> anyhow::Result<ExitCode> {
        let cwd = std::env::current_dir().ok().map(|dir| dir.display().to_string());
        // The user's own command line: a shell is what they asked for.
        let command = vec!["sh".to_owned(), "-c".to_owned(), command_line];
        let reply = self
            .request(|id| ClientRequest::Spawn { id, command, cwd, env: Vec::new(), driver, subscribe: true, subject })
            .await?;
        let HubToClient::Spawned { task_id, .. } = reply else { bail!("unexpected reply to spawn: {reply:?}") };
        eprintln!("axiom: task {task_id}");
        self.stream_until_done(&task_id).await
    }

    /// Prints a subscribed task's events until it ends; returns its exit status.
    async fn stream_until_done(&mut self, task_id: &str) -> anyhow::Result<ExitCode> {
        let palette = Palette::new(stderr_color());
        loop {
            match self.receive().await? {
                HubToClient::Output { task_id: from, stream, payload, .. } if from == task_id => {
                    let bytes = payload.into_bytes().map_err(anyhow::Error::msg)?;
                    let _ = match stream {
                        OutputStream::Stdout => {
                            std::io::stdout().write_all(&bytes).and_then(|()| std::io::stdout().flush())
                        }
                        OutputStream::Stderr => std::io::stderr().write_all(&bytes),
                        // The raw events of an agent session: show the tool calls it makes.
                        OutputStream::Events => crate::agent::claude::tool_calls_in(&bytes)
                            .iter()
                            .try_for_each(|call| writeln!(std::io::stdout(), "⏺ {call}")),
                    };
                }
                HubToClient::Intervention { intervention, .. } => {
                    eprintln!("{}", intervention_line(&intervention, palette))
                }
                HubToClient::Lagged { skipped_bytes, .. } => {
                    eprintln!("axiom: fell behind; {skipped_bytes} bytes of output were dropped from the hub's buffer before they could be shown");
                }
                HubToClient::Status { task_id: from, status } if from == task_id && status.is_finished() => {
                    if let Some(line) = status_line(task_id, &status) {
                        eprintln!("{line}");
                    }
                    return Ok(ExitCode::from(status.exit_code().unwrap_or(1).clamp(0, 255) as u8));
                }
                HubToClient::Error { message, .. } => bail!("{message}"),
                _ => {}
            }
        }
    }

    async fn act(&mut self, action: ClientCommand) -> anyhow::Result<ExitCode> {
        match action {
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
                if follow {
                    let since = Some(next);
                    let task = task_id.clone();
                    self.request(|id| ClientRequest::Subscribe { id, task_id: task, since }).await?;
                    return self.stream_until_done(&task_id).await;
                }
            }
            ClientCommand::Output { task_id } => {
                self.print_stored(&task_id, None).await?;
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
                        outln!("{} rules from {origin}, loaded {age} s ago", rules.len());
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
            ClientCommand::Interrupt { task_id, message } => {
                self.request(|id| ClientRequest::Interrupt { id, task_id, message }).await?;
            }
            ClientCommand::Kill { task_id, grace } => {
                let grace_ms = grace.map(|g| std::time::Duration::from(g).as_millis() as u64);
                self.request(|id| ClientRequest::Kill { id, task_id, grace_ms }).await?;
            }
        }
        Ok(ExitCode::SUCCESS)
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
                eprintln!("axiom: the oldest {cursor} bytes of {task_id}'s output are no longer kept");
            }
            let bytes = payload.into_bytes().map_err(anyhow::Error::msg)?;
            since = next;
            if bytes.is_empty() {
                break;
            }
            // A closed stdout (`| head`) ends the listing, not with an error.
            if stdout.write_all(&bytes).is_err() {
                break;
            }
        }
        let _ = stdout.flush();
        Ok(since)
    }
}

fn print_tasks(tasks: &[TaskInfo], format: Format) -> anyhow::Result<()> {
    match format {
        Format::Json => outln!("{}", serde_json::to_string_pretty(tasks)?),
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
                    format!("{} B", task.output_bytes),
                    task.command.join(" ")
                );
            }
        }
    }
    Ok(())
}
