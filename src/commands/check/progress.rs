//! A progress line on stderr for a long `axiom check` on a terminal.
//!
//! It appears only after a second (a quick check shows nothing), is redrawn a few times a second
//! in place, and is erased before anything else is printed, so it never mixes with matches.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

/// Quiet for this long; most checks are over before.
const SHOW_AFTER: Duration = Duration::from_secs(1);
const REDRAW_EVERY: Duration = Duration::from_millis(200);

pub struct Progress {
    enabled: bool,
    started: Instant,
    drawn_at: Option<Instant>,
}

impl Progress {
    /// Shown when stderr is a terminal and matches are not being printed to the same terminal.
    pub fn new(printing_matches: bool) -> Self {
        let stderr = std::io::stderr().is_terminal();
        let matches_on_terminal = printing_matches && std::io::stdout().is_terminal();
        Progress { enabled: stderr && !matches_on_terminal, started: Instant::now(), drawn_at: None }
    }

    /// `name` is being read, `bytes` and `lines` so far in all inputs.
    pub fn update(&mut self, name: &str, bytes: u64, lines: u64) {
        if !self.enabled || self.started.elapsed() < SHOW_AFTER {
            return;
        }
        if self.drawn_at.is_some_and(|at| at.elapsed() < REDRAW_EVERY) {
            return;
        }
        self.drawn_at = Some(Instant::now());
        let rate = bytes as f64 / self.started.elapsed().as_secs_f64().max(0.001);
        let line = format!(
            "axiom: checking {name}: {} so far, {}, {}/s",
            crate::human::bytes(bytes),
            crate::human::count(lines, "line"),
            crate::human::bytes(rate as u64)
        );
        // `\r` and erase-to-end-of-line: redrawn in place.
        let _ = write!(std::io::stderr().lock(), "\r{line}\x1b[K");
    }

    /// Erases the line, if it was drawn.
    pub fn clear(&mut self) {
        if self.drawn_at.take().is_some() {
            let _ = write!(std::io::stderr().lock(), "\r\x1b[K");
        }
    }
}
