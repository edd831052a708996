//! Typing into a TUI the way a person does, so the text is submitted and not left in the input box.
//!
//! A TUI reads its terminal in chunks; a chunk holding text and Enter together is taken as a paste,
//! and Claude Code leaves a pasted text unsent in its input box (2 runs in 5 while it is busy). So
//! [`ChildHandle::submit`] on a PTY:
//!
//! 1. waits until the person at the keyboard (if any) has finished the line they are typing;
//! 2. types the text, and waits (at most [`ECHO_WAIT`]) until the screen shows it;
//! 3. presses Enter, and checks that the agent's input box no longer holds the text. If it still
//!    does (a busy agent that did not take it), Enter is pressed again every [`RETRY_EVERY`], for up
//!    to [`SUBMIT_PATIENCE`]: the text is submitted once the agent can take it, never left sitting.
//!
//! All of it happens under the terminal's typing lock, which a person's keys take too, so a
//! correction and a person's typing never mix inside one line. On a screen with no input box the
//! worker recognises (a line-mode program, another TUI) step 3 cannot be checked: Enter is pressed
//! once and the result says the submission is unverified.

use std::io;
use std::time::Duration;

use tokio::time::Instant;

use super::screen::{shows, squeeze, Screen};
use super::{ChildHandle, Driver};

/// Longest wait for the screen to show typed text before Enter is pressed anyway.
const ECHO_WAIT: Duration = Duration::from_secs(2);
/// How long after Enter the input box has to empty before Enter is pressed again.
const RETRY_EVERY: Duration = Duration::from_millis(500);
/// How long a text may stay unsubmitted in the input box before the attempt is reported as failed.
const SUBMIT_PATIENCE: Duration = Duration::from_secs(30);
/// How long a correction waits for a person to finish the line they are typing.
const PERSON_PATIENCE: Duration = Duration::from_secs(10);
/// After Ctrl-C, how long the UI may take to stop working before the follow-up is typed anyway.
const INTERRUPT_SETTLE: Duration = Duration::from_secs(3);
/// The screen must not change for this long to count as settled after an interrupt.
const QUIET: Duration = Duration::from_millis(200);

/// The longest a [`ChildHandle::submit`] or [`ChildHandle::interrupt_and_submit`] can wait, beyond
/// the time its writes take: for the person, a choice on the screen to be answered, the echo, the
/// agent to take the text, the UI to settle.
pub const SUBMIT_BOUND: Duration = Duration::from_secs(
    PERSON_PATIENCE.as_secs()
        + SUBMIT_PATIENCE.as_secs() // a choice on the screen, answered
        + ECHO_WAIT.as_secs()
        + SUBMIT_PATIENCE.as_secs()
        + INTERRUPT_SETTLE.as_secs(),
);

const ENTER: &[u8] = b"\r";

/// What became of a text typed into the child.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Submission {
    /// The screen showed the text before Enter was pressed (always true on pipes).
    pub echoed: bool,
    /// `Some(true)`: the input box emptied after Enter. `Some(false)`: the text was still in it when
    /// patience ran out. `None`: no input box to check (pipes, line-mode programs, unknown TUIs).
    pub submitted: Option<bool>,
    /// How many times Enter was pressed; 0 with `submitted: Some(false)`: not typed, a choice stayed on
    /// the screen.
    pub enters: u32,
}

impl Submission {
    /// What an acknowledgement reports: an error unless the text was (or may have been) submitted.
    pub fn outcome(&self) -> Result<(), String> {
        match self.submitted {
            Some(false) if self.enters == 0 => Err(format!(
                "not typed: the agent showed a choice for its user (a permission prompt) for {}s, and keys would have answered it",
                SUBMIT_PATIENCE.as_secs()
            )),
            Some(false) => Err(format!(
                "typed but not submitted: the text was still in the agent's input box after {} Enter presses over {}s",
                self.enters,
                SUBMIT_PATIENCE.as_secs()
            )),
            _ => Ok(()),
        }
    }
}

impl ChildHandle {
    /// Types `text` and submits it (see the [module docs](self)); on a pipe, `text\n` in one write.
    ///
    /// # Errors
    ///
    /// Writing to the child failed (it exited, or its input was closed).
    pub async fn submit(&self, text: &str) -> io::Result<Submission> {
        let Some(pty) = self.pty() else {
            self.inject(text).await?;
            return Ok(Submission { echoed: true, submitted: None, enters: 1 });
        };
        let started = Instant::now();
        let screen = &pty.screen;
        let prompt = &pty.prompt;
        // A choice on screen (a permission dialog) takes typed keys as its answer: Enter would
        // approve the call the correction is about. Wait for it to be answered, without the typing
        // lock, which the person's answer needs; if it is not answered, the text is not typed, and
        // the result says so.
        let _typing = loop {
            self.wait_for_person().await;
            if !wait_for(screen, started + SUBMIT_PATIENCE, |rows| !prompt.asks_a_choice(rows)).await {
                tracing::debug!("a choice stayed on the screen; the text was not typed");
                return Ok(Submission { echoed: false, submitted: Some(false), enters: 0 });
            }
            let typing = pty.typing.lock().await;
            if !prompt.asks_a_choice(&screen.rows()) {
                break typing;
            }
        };
        let mut echoed = true;
        if !text.is_empty() {
            let tail: String = tail(text, 24);
            self.input().write(text.as_bytes().to_vec(), None).await?;
            echoed = wait_for(screen, Instant::now() + ECHO_WAIT, |rows| shows(rows, &tail)).await;
            tracing::debug!(echoed, after = ?started.elapsed(), "typed; pressing Enter");
        }
        self.input().write(ENTER.to_vec(), None).await?;
        let mut enters = 1;
        let head = squeeze(&head(text, 24));
        let rows = screen.rows();
        let held = |rows: &[String]| prompt.input_box(rows).is_some_and(|held| squeeze(&held).contains(&head));
        if head.is_empty() || prompt.input_box(&rows).is_none() {
            return Ok(Submission { echoed, submitted: None, enters });
        }
        let give_up = Instant::now() + SUBMIT_PATIENCE;
        loop {
            let next = (Instant::now() + RETRY_EVERY).min(give_up);
            if wait_for(screen, next, |rows| !held(rows)).await {
                tracing::debug!(enters, after = ?started.elapsed(), "submitted: the input box no longer holds the text");
                return Ok(Submission { echoed, submitted: Some(true), enters });
            }
            if Instant::now() >= give_up {
                return Ok(Submission { echoed, submitted: Some(false), enters });
            }
            tracing::debug!(enters, "the input box still holds the text; pressing Enter again");
            self.input().write(ENTER.to_vec(), None).await?;
            enters += 1;
        }
    }

    /// Interrupts the child as Ctrl-C would, waits for its UI to settle, then submits `follow_up`.
    ///
    /// Pipe: `SIGINT` to the process group, `delay`, then the follow-up. PTY: byte `0x03`, then up to
    /// [`INTERRUPT_SETTLE`] for the UI to stop working and its screen to stay still for a moment.
    ///
    /// # Errors
    ///
    /// Signalling or writing failed.
    pub async fn interrupt_and_submit(
        &self,
        follow_up: Option<&str>,
        delay: Duration,
    ) -> io::Result<Option<Submission>> {
        let Some(pty) = self.pty() else {
            self.interrupt(None, delay).await?;
            if let Some(text) = follow_up {
                tokio::time::sleep(delay).await;
                return self.submit(text).await.map(Some);
            }
            return Ok(None);
        };
        // Not under the typing lock nor through the input queue: see `PtyControl::press_ctrl_c`.
        pty.press_ctrl_c()?;
        let Some(text) = follow_up else { return Ok(None) };
        let settle_by = Instant::now() + INTERRUPT_SETTLE;
        wait_for(&pty.screen, settle_by, |rows| !pty.prompt.busy(rows)).await;
        wait_quiet(&pty.screen, settle_by).await;
        self.submit(text).await.map(Some)
    }

    /// Keys a person typed, written as they come but never inside a text being submitted.
    ///
    /// # Errors
    ///
    /// As [`write_input`](Self::write_input).
    pub async fn type_keys(&self, keys: &[u8]) -> io::Result<()> {
        let Some(pty) = self.pty() else { return self.write_input(keys).await };
        let _typing = pty.typing.lock().await;
        pty.person.lock().unwrap_or_else(|p| p.into_inner()).typed(keys);
        self.write_input(keys).await
    }

    /// Sets the size of the child's terminal (PTY only; nothing to do on pipes).
    ///
    /// # Errors
    ///
    /// The terminal refused the size.
    pub fn resize(&self, rows: u16, cols: u16) -> io::Result<()> {
        match (self.driver(), self.pty()) {
            (Driver::Pty, Some(pty)) => pty.resize(rows, cols),
            _ => Ok(()),
        }
    }

    /// Waits (a bounded time) while a person has an unfinished line in the child's input.
    async fn wait_for_person(&self) {
        let Some(pty) = self.pty() else { return };
        let started = Instant::now();
        loop {
            let busy = pty.person.lock().unwrap_or_else(|p| p.into_inner()).typing_a_line();
            if !busy || started.elapsed() >= PERSON_PATIENCE {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// Whether a person has started a line and not ended it.
#[derive(Debug, Default)]
pub(crate) struct PersonLine {
    open: bool,
    last_key: Option<Instant>,
}

impl PersonLine {
    fn typed(&mut self, keys: &[u8]) {
        self.last_key = Some(Instant::now());
        // Enter, Ctrl-C and Ctrl-U end (or drop) the line; printable keys after that open one.
        let after = keys.iter().rposition(|&b| matches!(b, b'\r' | b'\n' | 0x03 | 0x15)).map_or(0, |at| at + 1);
        let printable = keys[after..].iter().any(|&b| b >= 0x20 && b != 0x7f);
        if after > 0 {
            self.open = printable;
        } else {
            self.open |= printable;
        }
    }

    /// A line is open and the person typed within the last few seconds.
    fn typing_a_line(&self) -> bool {
        self.open && self.last_key.is_some_and(|at| at.elapsed() < PERSON_PATIENCE)
    }
}

/// The last `n` characters of `text`.
fn tail(text: &str, n: usize) -> String {
    let chars: Vec<char> = text.trim_end().chars().collect();
    chars[chars.len().saturating_sub(n)..].iter().collect()
}

/// The first `n` characters of `text`.
fn head(text: &str, n: usize) -> String {
    text.trim_start().chars().take(n).collect()
}

/// Waits until `done` holds for the screen, or `deadline`; says whether it held.
async fn wait_for(screen: &Screen, deadline: Instant, done: impl Fn(&[String]) -> bool) -> bool {
    let mut drawn = screen.subscribe();
    loop {
        drawn.borrow_and_update();
        if done(&screen.rows()) {
            return true;
        }
        match tokio::time::timeout_at(deadline, drawn.changed()).await {
            Ok(Ok(())) => {}
            // Timed out, or the reader is gone (the child exited): look one last time.
            _ => return done(&screen.rows()),
        }
    }
}

/// Waits until the screen has not been drawn on for [`QUIET`], or `deadline`.
async fn wait_quiet(screen: &Screen, deadline: Instant) {
    let mut drawn = screen.subscribe();
    loop {
        let quiet_until = (Instant::now() + QUIET).min(deadline);
        match tokio::time::timeout_at(quiet_until, drawn.changed()).await {
            Ok(Ok(())) if Instant::now() < deadline => {}
            _ => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_person_line_opens_with_keys_and_closes_with_enter() {
        let mut line = PersonLine::default();
        assert!(!line.typing_a_line());
        line.typed(b"hel");
        assert!(line.typing_a_line());
        line.typed(b"lo\r");
        assert!(!line.typing_a_line());
        line.typed(b"\x1b[A");
        assert!(line.typing_a_line(), "an escape sequence has printable bytes; better safe");
        line.typed(b"\x15");
        assert!(!line.typing_a_line(), "Ctrl-U drops the line");
    }

    #[test]
    fn reports_an_unsubmitted_text_as_an_error() {
        let stuck = Submission { echoed: true, submitted: Some(false), enters: 60 };
        assert!(stuck.outcome().unwrap_err().contains("still in the agent's input box"));
        assert!(Submission { echoed: true, submitted: None, enters: 1 }.outcome().is_ok());
    }
}
