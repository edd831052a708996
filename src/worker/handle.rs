//! [`ChildHandle`]: starting a child, and the task that waits for it and ends its event stream.

use std::sync::Arc;

use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use super::input::{CloseMode, Input, Sink};
use super::output::{self, Source};
use super::pty::PtyControl;
use super::signals::ProcessGroup;
use super::{ChildEvent, Driver, ExitInfo, OutputStream, SpawnError, SpawnSpec, Timing};

/// What a driver hands back: the process and its streams, not yet wired to tasks.
pub(crate) struct Started {
    pub(crate) child: tokio::process::Child,
    pub(crate) outputs: Vec<(OutputStream, Source)>,
    pub(crate) input: Sink,
    pub(crate) close: CloseMode,
    /// PTY only: resizing, the screen, the typing lock.
    pub(crate) pty: Option<PtyControl>,
}

/// A running (or finished) child. Cheap to clone; every clone acts on the same child.
///
/// Dropping every handle does not stop the child (call [`kill`](ChildHandle::kill) for that), but it
/// ends the input writer, which closes a pipe child's stdin. Output keeps flowing to the `events`
/// channel either way, ending with [`ChildEvent::Exited`].
#[derive(Debug, Clone)]
pub struct ChildHandle {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    pid: u32,
    group: ProcessGroup,
    driver: Driver,
    timing: Timing,
    input: Input,
    /// The claude driver's session, through which messages and decisions go.
    claude: Option<Arc<super::claude::Link>>,
    exit: watch::Receiver<Option<ExitInfo>>,
    pty: Option<PtyControl>,
}

impl ChildHandle {
    /// Start `spec.argv` (no shell) and stream its output into `events`.
    ///
    /// Returns as soon as the process exists. Output arrives as [`ChildEvent::Output`] chunks, in order
    /// per stream; [`ChildEvent::Exited`] comes last, once the child was reaped and its output read (see
    /// the [module docs](super) for grandchildren that keep the output open). Awaiting room in `events`
    /// is the back-pressure: size it for bursts, and keep its receiver moving.
    ///
    /// Must be called inside a Tokio runtime (with IO and time enabled).
    ///
    /// # Errors
    ///
    /// A [`SpawnError`] naming the program: empty command, program not found, permission denied, bad
    /// working directory, no pseudo-terminal, or another spawn failure.
    pub fn spawn(spec: SpawnSpec, events: mpsc::Sender<ChildEvent>) -> Result<ChildHandle, SpawnError> {
        let program = spec.program().to_string();
        if spec.argv.is_empty() || program.is_empty() {
            return Err(SpawnError::EmptyCommand);
        }
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(SpawnError::NoRuntime { program });
        }
        SpawnError::check_cwd(&program, spec.cwd.as_deref())?;

        let (started, prompt) = match spec.driver {
            Driver::Pipe => (super::pipe::start(&spec)?, None),
            Driver::Pty => (super::pty::start(&spec)?, None),
            Driver::Claude => {
                let prepared = super::claude::prepare(&spec.argv).map_err(|message| SpawnError::Io {
                    program: program.clone(),
                    source: std::io::Error::other(message),
                })?;
                let argv = SpawnSpec { argv: prepared.argv, ..spec.clone() };
                (super::pipe::start(&argv)?, Some(prepared.prompt))
            }
        };
        let Started { child, outputs, input, close, pty } = started;

        // A child that was spawned has a pid until it is reaped, and nobody reaped it yet.
        let group = child.id().and_then(ProcessGroup::led_by);
        let (Some(pid), Some(group)) = (child.id(), group) else {
            return Err(SpawnError::Io {
                program,
                source: std::io::Error::other("the child has no usable process id"),
            });
        };

        let input = Input::start(input, close);
        if spec.driver == Driver::Pipe && super::claude::is_claude_print(&spec.argv) {
            // Print mode reads no input after its prompt, and would wait 3 s for stdin to end.
            let input = input.clone();
            tokio::spawn(async move { input.close().await });
        }
        // The claude driver translates the child's events before anyone else sees them.
        let (events, claude) = match prompt {
            None => (events, None),
            Some(prompt) => {
                let (raw, translated) = mpsc::channel(events.max_capacity());
                let link =
                    super::claude::start(translated, events, input.clone(), prompt, spec.timing.claude_verdict_wait);
                (raw, Some(link))
            }
        };
        let (exit_tx, exit_rx) = watch::channel(None);
        let readers = outputs
            .into_iter()
            .map(|(stream, source)| {
                let reader = output::pump(source, stream, events.clone(), exit_rx.clone(), spec.timing);
                tokio::spawn(reader)
            })
            .collect();
        tokio::spawn(supervise(child, exit_tx, readers, events));

        tracing::debug!(pid, driver = %spec.driver, program = %program, "child started");
        Ok(ChildHandle {
            inner: Arc::new(Inner {
                pid,
                group,
                driver: spec.driver,
                timing: spec.timing,
                input,
                claude,
                exit: exit_rx,
                pty,
            }),
        })
    }

    /// The child's process id (also its process group id).
    pub fn pid(&self) -> u32 {
        self.inner.pid
    }

    /// The driver the child runs on.
    pub fn driver(&self) -> Driver {
        self.inner.driver
    }

    /// How the child ended, once it was reaped (which may be a little before
    /// [`ChildEvent::Exited`] is sent, while the last output is still being read).
    pub fn exit_info(&self) -> Option<ExitInfo> {
        *self.inner.exit.borrow()
    }

    /// Wait until the child was reaped, and say how it ended.
    pub async fn wait(&self) -> ExitInfo {
        let mut exit = self.inner.exit.clone();
        let info = match exit.wait_for(Option::is_some).await {
            Ok(info) => *info,
            // The waiting task is gone (runtime shutting down): nothing more will be known.
            Err(_) => self.exit_info(),
        };
        info.unwrap_or_default()
    }

    pub(crate) fn group(&self) -> ProcessGroup {
        self.inner.group
    }

    pub(crate) fn timing(&self) -> &Timing {
        &self.inner.timing
    }

    pub(crate) fn input(&self) -> &Input {
        &self.inner.input
    }

    pub(crate) fn claude(&self) -> Option<&super::claude::Link> {
        self.inner.claude.as_deref()
    }

    /// Claude driver: answers the [`ChildEvent::ToolCall`] `id`; `None` lets the call run, `Some`
    /// refuses it and the agent gets the message as the tool's error. Ignored by other drivers.
    pub fn decide_tool(&self, id: String, deny: Option<String>) {
        if let Some(claude) = self.claude() {
            claude.decide_tool(id, deny);
        }
    }

    /// Claude driver: the rules have judged the output up to the last [`ChildEvent::TurnEnded`],
    /// and nothing more is to be sent. Unless something was written to the session since that
    /// turn's `result`, its input is closed and the CLI exits. Ignored by other drivers.
    pub fn turn_judged(&self) {
        if let Some(claude) = self.claude() {
            claude.turn_judged();
        }
    }

    pub(crate) fn pty(&self) -> Option<&PtyControl> {
        self.inner.pty.as_ref()
    }
}

/// Reap the child, publish how it ended, let the readers finish, then send `Exited` as the last event.
async fn supervise(
    mut child: tokio::process::Child,
    exit: watch::Sender<Option<ExitInfo>>,
    readers: Vec<JoinHandle<()>>,
    events: mpsc::Sender<ChildEvent>,
) {
    let info = match child.wait().await {
        Ok(status) => ExitInfo::from(status),
        Err(err) => {
            tracing::warn!(%err, "could not collect the child's exit status");
            ExitInfo::default()
        }
    };
    tracing::debug!(%info, "child reaped");
    exit.send_replace(Some(info));
    // Each reader ends by itself: at end of file, or by the drain limits once it saw the exit above.
    for reader in readers {
        let _ = reader.await;
    }
    let _ = events.send(ChildEvent::Exited(info)).await;
}
