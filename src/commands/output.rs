//! Writing to the terminal: colour decisions and a quiet exit when the reader goes away.

use std::io::{self, IsTerminal, Write};

use crate::cli::ColorChoice;
use crate::rules::Severity;

/// Whether to colour output written to stdout.
pub fn use_color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => std::env::var_os("NO_COLOR").is_none() && io::stdout().is_terminal(),
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
