//! Log lines on stderr: plain text unless stderr is a terminal, and never coloured under `NO_COLOR`.
//!
//! stderr is the channel for logs in every mode (stdout may carry MCP or a task's output), and it
//! often ends up in a file or a CI log, where escape codes are noise.

use std::io::IsTerminal;

/// Whether text for a stream may be coloured: the stream is a terminal and `NO_COLOR` is not set
/// to anything (<https://no-color.org>).
pub fn color_wanted(stream_is_terminal: bool) -> bool {
    stream_is_terminal && std::env::var_os("NO_COLOR").is_none_or(|value| value.is_empty())
}

/// Installs the global subscriber: level from `$AXIOM_LOG` (default `warn`, rmcp's `error`), no
/// module targets.
pub fn init() {
    let color = color_wanted(std::io::stderr().is_terminal());
    tracing_subscriber::fmt()
        // Empty is unset, as for NO_COLOR: `AXIOM_LOG=` must not hide the warnings.
        .with_env_filter(
            std::env::var("AXIOM_LOG")
                .ok()
                .filter(|level| !level.trim().is_empty())
                .and_then(|level| tracing_subscriber::EnvFilter::try_new(level).ok())
                // rmcp warns of every error a tool call returns, which the client gets anyway,
                // as a debug dump of it: not for a user's stderr.
                .unwrap_or_else(|| "warn,rmcp=error".into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(color)
        .with_target(false)
        // A log line that cannot be written (stderr closed, a full disk) is lost, not a panic
        // (tracing-subscriber reports its own write errors with `eprintln!`).
        .log_internal_errors(false)
        .init();
}

/// axiom's own lines on stderr, everywhere: `eprintln!` that does not panic when stderr cannot be
/// written (`2>&1 | head` after head left, `2>/dev/full`), so what axiom says about a task never
/// cuts short what it does with it.
macro_rules! note {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}
pub(crate) use note;
