//! Child runners: start a command on pipes or on a pseudo-terminal, stream its output, and apply
//! interventions (inject text, interrupt, kill) to it. No networking lives here; the worker command
//! wires these pieces to the hub socket.
//!
//! # Shape
//!
//! [`ChildHandle::spawn`] starts `argv` directly (never through a shell) and returns at once. From then
//! on the child's output arrives as [`ChildEvent::Output`] on the bounded channel the caller passed in,
//! and the very last event is [`ChildEvent::Exited`]. The handle is cheap to clone and can be used from
//! any task to act on the child:
//!
//! | action | pipe driver | pty driver |
//! |---|---|---|
//! | [`write_input`](ChildHandle::write_input) | stdin pipe | terminal input |
//! | [`inject`](ChildHandle::inject) | `text` + `\n`, one write | `text`, a short pause, then `\r` |
//! | [`interrupt`](ChildHandle::interrupt) | `SIGINT` to the process group | byte `0x03` (Ctrl-C) to the terminal |
//! | [`kill`](ChildHandle::kill) | `SIGTERM` to the group, grace, `SIGKILL` | same |
//! | [`close_input`](ChildHandle::close_input) | closes stdin (EOF) | byte `0x04` (Ctrl-D, EOF in line mode) |
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use axiom::worker::{ChildEvent, ChildHandle, SpawnSpec};
//! use std::time::Duration;
//!
//! let (tx, mut rx) = tokio::sync::mpsc::channel(64);
//! let child = ChildHandle::spawn(SpawnSpec::new(["fixtures/todo-agent.py"]), tx)?;
//! while let Some(event) = rx.recv().await {
//!     match event {
//!         ChildEvent::Output { data, .. } if data.windows(5).any(|w| w == b"TODO:") => {
//!             child.inject("Do not leave TODOs; implement it now.").await?;
//!         }
//!         ChildEvent::Exited(info) => println!("exit {}", info.shell_style_code()),
//!         // Output without a TODO, and tool calls (only the Claude driver asks about those).
//!         _ => {}
//!     }
//! }
//! # let _ = child.kill(Duration::from_secs(2)).await;
//! # Ok(())
//! # }
//! ```
//!
//! # Process groups
//!
//! Every child runs in a process group of its own (a new session for a PTY), whose id equals the child's
//! pid and is saved at spawn. Signals go to the whole group with `killpg`, so grandchildren (a test
//! runner's workers, a `sleep &`) receive them too. A grandchild that moves itself into another group or
//! session (`setsid`, a job-control shell) escapes the group; the `axiom worker` process catches those as
//! a child subreaper (see `tree.rs`). Every child is started with `PR_SET_PDEATHSIG`, so it is killed
//! when the process that started it dies, even by `SIGKILL`.
//!
//! # Output and the end of a child
//!
//! Each output stream is read by its own task, in chunks of up to [`READ_CHUNK`] bytes, and awaiting the
//! bounded `events` channel is the only thing that task ever waits on besides the read itself: that is
//! the back-pressure, and a slow consumer slows the child down rather than losing data. `Exited` is sent
//! after the process was reaped **and** every reader hit end of file. A grandchild that inherited the
//! pipe (or terminal) can keep it open long after the child is gone, so once the child was reaped the
//! readers stop at the first of: end of file; no data for [`Timing::drain_idle`] (500 ms); or
//! [`Timing::drain_max`] (2 s) after the exit. Data already read is always delivered, and time spent
//! waiting for a full `events` channel does not count as idle, so a slow consumer never loses what the
//! child wrote before it exited. What a lingering grandchild writes after that is not read.

mod actions;
pub mod claude;
mod error;
mod handle;
mod input;
pub mod link;
mod output;
mod pipe;
mod pty;
mod screen;
mod signals;
pub(crate) mod tree;
mod typing;

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use error::SpawnError;
pub use handle::ChildHandle;
pub use typing::{Submission, SUBMIT_BOUND};

/// The most bytes one read takes from a child's stream, and so the largest [`ChildEvent::Output`].
pub const READ_CHUNK: usize = 64 * 1024;

/// Default terminal size for the PTY driver, as `(rows, cols)`.
///
/// Wider than the classic 24x80 on purpose: agents' TUIs wrap and truncate at the terminal width, and
/// a message wrapped over three rows is harder to match than one on a single row.
pub const DEFAULT_PTY_SIZE: (u16, u16) = (50, 200);

/// How the child's standard streams are connected.
///
/// Spelled `pipe` / `pty` in serde, on the command line (`clap::ValueEnum`) and in [`FromStr`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Driver {
    /// Three pipes: stdin, stdout and stderr stay separate. Right for batch tools and agents' headless
    /// modes; a program that checks `isatty` behaves as if redirected (no colours, no prompts, and it
    /// may buffer its output).
    #[default]
    #[value(
        help = "Three pipes, stdout and stderr apart: for batch tools and agents' headless modes (the program sees no terminal, so no colours or prompts)"
    )]
    Pipe,
    /// A pseudo-terminal: the child sees a real terminal on stdin, stdout and stderr (all merged into
    /// [`OutputStream::Stdout`]). Right for interactive TUIs and for programs that only prompt on a tty.
    #[value(
        help = "A pseudo-terminal, stdout and stderr merged: for interactive TUIs and programs that only prompt on a terminal"
    )]
    Pty,
    /// Claude Code's own structured channel (`claude -p` with stream-json in and out, and tool calls
    /// asked of axiom before they run). Pipes underneath; see [`claude`](self::claude) for what the
    /// child's output becomes and how each action is carried out.
    #[value(
        help = "Claude Code's stream-json channel (`claude -p ...`): its events become lines for the rules, and each tool call is asked of the `tool` rules before it runs"
    )]
    Claude,
}

impl Driver {
    /// The driver for `argv` when none was asked for: the claude driver for `claude -p …`, which
    /// under pipes would read no correction after its prompt; else pipes.
    pub fn default_for(argv: &[String]) -> Driver {
        if claude::is_claude_print(argv) {
            Driver::Claude
        } else {
            Driver::Pipe
        }
    }

    /// The name used by serde, clap and [`FromStr`].
    pub fn as_str(self) -> &'static str {
        match self {
            Driver::Pipe => "pipe",
            Driver::Pty => "pty",
            Driver::Claude => "claude",
        }
    }
}

impl fmt::Display for Driver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Error from parsing a [`Driver`] name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown driver `{0}` (expected `pipe`, `pty` or `claude`)")]
pub struct ParseDriverError(pub String);

impl FromStr for Driver {
    type Err = ParseDriverError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            s if s.eq_ignore_ascii_case("pipe") => Ok(Driver::Pipe),
            s if s.eq_ignore_ascii_case("pty") => Ok(Driver::Pty),
            s if s.eq_ignore_ascii_case("claude") => Ok(Driver::Claude),
            other => Err(ParseDriverError(other.to_string())),
        }
    }
}

/// Timings that shape how actions and the end of output are handled. The defaults suit real agents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// PTY only: pause between writing the text of an [`inject`](ChildHandle::inject) and the Enter key.
    /// Interactive TUIs treat text and Enter arriving in one read as a paste and do not submit it.
    /// Default 50 ms.
    pub pty_enter_delay: Duration,
    /// After the child was reaped, a reader stops once its stream was silent this long (a grandchild
    /// holds the pipe open but writes nothing). Default 500 ms.
    pub drain_idle: Duration,
    /// After the child was reaped, readers stop at the latest this long after the exit (a grandchild
    /// keeps writing). Default 2 s.
    pub drain_max: Duration,
    /// Claude driver: after a turn's `result`, the session's input is closed (so the CLI exits) once
    /// the rules have judged everything up to it and axiom sent nothing more
    /// ([`ChildHandle::turn_judged`]); this is the longest it waits for that verdict (no hub, a hub
    /// that is away) before closing anyway. Default 10 s.
    pub claude_verdict_wait: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            pty_enter_delay: Duration::from_millis(50),
            drain_idle: Duration::from_millis(500),
            drain_max: Duration::from_secs(2),
            claude_verdict_wait: Duration::from_secs(10),
        }
    }
}

/// What to run and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpawnSpec {
    /// `argv[0]` is the program (looked up in `PATH` unless it contains a `/`), the rest its arguments.
    /// No shell is involved; to run a shell, say so: `["sh", "-c", "..."]`.
    pub argv: Vec<String>,
    /// Working directory; `None` keeps the worker's own. A relative `argv[0]` containing `/` is best
    /// made absolute when `cwd` is set (where it is resolved is platform specific).
    pub cwd: Option<PathBuf>,
    /// Variables added to (or overriding) the inherited environment.
    pub env: Vec<(String, String)>,
    /// Pipes or a pseudo-terminal.
    pub driver: Driver,
    /// Terminal size for [`Driver::Pty`] as `(rows, cols)`; ignored for pipes.
    /// Default [`DEFAULT_PTY_SIZE`].
    pub pty_size: (u16, u16),
    /// [`Driver::Pty`]: a regex for the row another agent waits for input on (see
    /// [`PromptSpec::custom`](crate::pipeline::PromptSpec::custom)); `None`: Claude Code's prompt.
    /// Typing a correction checks the text left this prompt's input box.
    pub prompt_pattern: Option<String>,
    /// Delays used by actions and at the end of output.
    pub timing: Timing,
}

impl SpawnSpec {
    /// A spec for `argv` with every other field at its default (pipe driver, inherited cwd and env).
    pub fn new<I, S>(argv: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        SpawnSpec { argv: argv.into_iter().map(Into::into).collect(), ..SpawnSpec::default() }
    }

    /// The same spec with another driver.
    pub fn driver(mut self, driver: Driver) -> Self {
        self.driver = driver;
        self
    }

    /// The same spec with a working directory.
    pub fn cwd(mut self, cwd: impl Into<PathBuf>) -> Self {
        self.cwd = Some(cwd.into());
        self
    }

    /// The same spec with one more environment variable.
    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    /// The program name, for messages.
    pub(crate) fn program(&self) -> &str {
        self.argv.first().map(String::as_str).unwrap_or("")
    }
}

impl Default for SpawnSpec {
    fn default() -> Self {
        SpawnSpec {
            argv: Vec::new(),
            cwd: None,
            env: Vec::new(),
            driver: Driver::default(),
            pty_size: DEFAULT_PTY_SIZE,
            prompt_pattern: None,
            timing: Timing::default(),
        }
    }
}

/// Which of the child's streams some output came from. A PTY has only [`OutputStream::Stdout`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OutputStream {
    /// Standard output, or everything the child writes to its terminal.
    Stdout,
    /// Standard error (pipe and claude drivers).
    Stderr,
    /// The agent's raw structured events, one JSON object per line (claude driver): kept in the
    /// task's history but not matched; what the rules see is rendered from them onto `stdout`.
    Events,
}

impl OutputStream {
    /// Whether rules match this stream (everything but the raw events they are rendered from).
    pub fn is_matched(self) -> bool {
        self != OutputStream::Events
    }
}

/// What a running child reports, in order per stream; [`ChildEvent::Exited`] is always the last event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChildEvent {
    /// A chunk of raw bytes as read (at most [`READ_CHUNK`]); not split at lines, not decoded.
    Output {
        /// The stream it was read from.
        stream: OutputStream,
        /// The bytes.
        data: Vec<u8>,
    },
    /// The child was reaped and its output read to the end (see the module docs for lingering
    /// grandchildren). Sent exactly once.
    Exited(ExitInfo),
    /// Claude driver: the agent asks to run a tool, shown as one `TOOL: ARGUMENT` line. Answer with
    /// [`ChildHandle::decide_tool`]; until then the call waits.
    ToolCall {
        /// The call's id (Claude's `tool_use_id`), repeated in the decision.
        id: String,
        line: String,
    },
    /// Claude driver: a turn ended; its `result` was in the output before this. Once every rule
    /// has judged that output and nothing more is to be sent, say so with
    /// [`ChildHandle::turn_judged`], and the session ends.
    TurnEnded,
}

/// How a child ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct ExitInfo {
    /// The exit code, if it exited normally.
    pub code: Option<i32>,
    /// The signal number, if a signal ended it.
    pub signal: Option<i32>,
}

impl ExitInfo {
    /// The code a shell would report in `$?`: the exit code, or 128 + the signal number. 255 if neither
    /// is known (the status could not be collected).
    pub fn shell_style_code(&self) -> i32 {
        match (self.code, self.signal) {
            (Some(code), _) => code,
            (None, Some(signal)) => 128 + signal,
            (None, None) => 255,
        }
    }

    /// True for exit code 0.
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }
}

impl From<std::process::ExitStatus> for ExitInfo {
    fn from(status: std::process::ExitStatus) -> Self {
        use std::os::unix::process::ExitStatusExt;
        ExitInfo { code: status.code(), signal: status.signal() }
    }
}

impl fmt::Display for ExitInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.code, self.signal) {
            (Some(code), _) => write!(f, "exit code {code}"),
            (None, Some(signal)) => write!(f, "killed by signal {signal}"),
            (None, None) => f.write_str("exit status unknown"),
        }
    }
}

#[cfg(test)]
mod tests;
