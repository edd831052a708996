//! Writing to the terminal: colour decisions and a quiet exit when the reader goes away.

use std::io::{self, IsTerminal, Write};

use crate::cli::ColorChoice;
use crate::rules::Severity;

/// Whether to colour output written to stdout.
pub fn use_color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => crate::logging::color_wanted(io::stdout().is_terminal()),
    }
}

/// ANSI styles, or nothing when colour is off.
#[derive(Debug, Clone, Copy)]
pub struct Palette {
    on: bool,
}

impl Palette {
    pub fn new(on: bool) -> Self {
        Palette { on }
    }

    pub fn paint(&self, style: &str, text: &str) -> String {
        if self.on {
            format!("\x1b[{style}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }

    pub fn severity(&self, severity: Severity) -> &'static str {
        match severity {
            Severity::Info => "36",
            Severity::Warning => "33",
            Severity::Error => "31",
            Severity::Critical => "1;31",
        }
    }
}

/// Runs `body`, treating a closed stdout (`axiom check | head`) as a normal end, like ripgrep.
pub fn tolerate_broken_pipe(result: io::Result<()>) -> io::Result<()> {
    match result {
        Err(err) if err.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// Flushes stdout, with the same tolerance.
pub fn flush(out: &mut impl Write) -> io::Result<()> {
    tolerate_broken_pipe(out.flush())
}

/// One line on stderr for an intervention: `axiom: [warning] todo-placeholder (inject): "TODO:" → message`.
pub fn intervention_line(record: &crate::protocol::InterventionRecord, palette: Palette) -> String {
    format!("{} {}", palette.paint("1;35", "axiom:"), intervention_summary(record, palette))
}

/// What an intervention was: `[warning] todo-placeholder (inject): "TODO:" → message`.
pub fn intervention_summary(record: &crate::protocol::InterventionRecord, palette: Palette) -> String {
    if record.rule == crate::protocol::BY_HAND {
        let mut line = format!("{} by hand, not by a rule", record.action);
        if let Some(message) = &record.message {
            line.push_str(&format!(" → {message}"));
        }
        return line;
    }
    let mut line = format!(
        "[{}] {} ({})",
        palette.paint(palette.severity(record.severity), record.severity.as_str()),
        palette.paint("1", &record.rule),
        record.action,
    );
    if !record.matched.is_empty() {
        line.push_str(&format!(": {:?}", record.matched));
    }
    if let Some(message) = &record.message {
        line.push_str(&format!(" → {message}"));
    }
    line
}

/// Whether stderr gets colour.
pub fn stderr_color() -> bool {
    crate::logging::color_wanted(io::stderr().is_terminal())
}

/// How a finished task ended, for a closing line on stderr; `None` for a clean exit.
pub fn status_line(task_id: &str, status: &crate::protocol::TaskStatus) -> Option<String> {
    use crate::protocol::TaskStatus;
    match status {
        TaskStatus::Exited { code: 0 } | TaskStatus::Starting | TaskStatus::Running => None,
        TaskStatus::Exited { code } => Some(format!("axiom: task {task_id} exited with code {code}")),
        TaskStatus::Killed { signal } => Some(format!("axiom: task {task_id} was killed by signal {signal}")),
        TaskStatus::Failed { message, .. } => Some(format!("axiom: {message}")),
        TaskStatus::Lost => Some(format!("axiom: task {task_id} was lost: its worker went away")),
    }
}

/// Writes one line to stdout; a reader that went away (`axiom rules list | head -3`) ends the
/// program quietly instead of panicking the way `println!` does.
pub fn write_line(args: std::fmt::Arguments) {
    let mut out = io::stdout().lock();
    if let Err(err) = out.write_fmt(args).and_then(|()| out.write_all(b"\n")) {
        if err.kind() == io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
    }
}

/// `println!` for commands whose output is often piped into `head`.
macro_rules! outln {
    ($($arg:tt)*) => { $crate::commands::output::write_line(format_args!($($arg)*)) };
}
pub(crate) use outln;

/// How an agent session's last turn ended: `axiom: task 3 session: success, 4 turns, $0.0123`.
pub fn session_line(task_id: &str, session: &crate::agent::TurnStats) -> String {
    let mut line = format!(
        "axiom: task {task_id} session: {}",
        if session.subtype.is_empty() { "ended" } else { &session.subtype }
    );
    if session.is_error {
        line.push_str(" (error)");
    }
    if let Some(turns) = session.turns {
        line.push_str(&format!(", {turns} turn{}", if turns == 1 { "" } else { "s" }));
    }
    if let Some(cost) = session.cost_usd {
        line.push_str(&format!(", ${cost:.4}"));
    }
    line
}
