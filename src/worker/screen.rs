//! What a PTY child's screen shows right now, for the worker's own use: typing an injection waits
//! until the screen echoes it, and checks the agent's input box emptied after Enter.
//!
//! The PTY reader is wrapped in [`Tee`], which draws every chunk it reads on a virtual terminal
//! (`avt`) before handing it on, so the screen is never behind the output the hub gets.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};

use avt::Terminal;
use tokio::io::{AsyncRead, ReadBuf};
use tokio::sync::watch;

/// A virtual terminal fed with everything the child drew; cheap to share.
#[derive(Debug)]
pub(crate) struct Screen {
    state: Mutex<State>,
    /// Bumped after every chunk drawn.
    drawn: watch::Sender<u64>,
}

struct State {
    terminal: Terminal,
    /// The end of the last chunk when it stopped inside a UTF-8 character.
    unfinished: Vec<u8>,
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("State").field("size", &self.terminal.size()).finish_non_exhaustive()
    }
}

impl Screen {
    pub(crate) fn new(rows: u16, cols: u16) -> Arc<Screen> {
        let terminal = Terminal::new(usize::from(cols.max(1)), usize::from(rows.max(1))).expect("size of at least 1x1");
        Arc::new(Screen { state: Mutex::new(State { terminal, unfinished: Vec::new() }), drawn: watch::Sender::new(0) })
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn draw(&self, bytes: &[u8]) {
        {
            let mut state = self.state();
            let mut held = std::mem::take(&mut state.unfinished);
            held.extend_from_slice(bytes);
            let valid_up_to = match std::str::from_utf8(&held) {
                Ok(_) => held.len(),
                // An unfinished character at the very end waits for the next chunk.
                Err(err) if err.error_len().is_none() => err.valid_up_to(),
                Err(_) => held.len(),
            };
            let text = String::from_utf8_lossy(&held[..valid_up_to]).into_owned();
            state.unfinished = held[valid_up_to..].to_vec();
            state.terminal.feed(&*text);
        }
        self.drawn.send_modify(|n| *n += 1);
    }

    pub(crate) fn resize(&self, rows: u16, cols: u16) {
        self.state().terminal.resize(usize::from(cols.max(1)), usize::from(rows.max(1)));
        self.drawn.send_modify(|n| *n += 1);
    }

    /// Wakes after each chunk drawn.
    pub(crate) fn subscribe(&self) -> watch::Receiver<u64> {
        self.drawn.subscribe()
    }

    /// The visible rows, trailing blanks trimmed.
    pub(crate) fn rows(&self) -> Vec<String> {
        self.state().terminal.screen().visible_lines().map(|line| line.text().trim_end().to_owned()).collect()
    }
}

/// Text compared the way a screen shows it: TUIs wrap, pad and put no-break spaces anywhere, so only
/// the characters that are not white space count.
pub(crate) fn squeeze(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

/// True when `rows` show `needle` (white space ignored, rows joined: a long input wraps).
pub(crate) fn shows(rows: &[String], needle: &str) -> bool {
    let needle = squeeze(needle);
    needle.is_empty() || squeeze(&rows.concat()).contains(&needle)
}

/// A PTY reader that draws what it reads on a [`Screen`].
pub(crate) struct Tee<R> {
    inner: R,
    screen: Arc<Screen>,
}

impl<R> Tee<R> {
    pub(crate) fn new(inner: R, screen: Arc<Screen>) -> Self {
        Tee { inner, screen }
    }
}

impl<R: AsyncRead + Unpin> AsyncRead for Tee<R> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let result = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = &result {
            let fresh = &buf.filled()[before..];
            if !fresh.is_empty() {
                self.screen.draw(fresh);
            }
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_claude_codes_input_box_and_what_it_holds() {
        let rows: Vec<String> = [
            "❯ write a sentence",
            "",
            "● Done.",
            "──────────",
            "❯ Do not leave TODOs; implement it",
            "now.",
            "──────────",
            "  ⏵⏵ bypass permissions on",
        ]
        .map(String::from)
        .to_vec();
        let input = crate::pipeline::PromptSpec::claude_code();
        let text = input.input_box(&rows).unwrap();
        assert_eq!(squeeze(&text), squeeze("Do not leave TODOs; implement it now."));
        assert!(!input.busy(&rows));
        assert!(input.is_waiting(&rows));
        assert!(shows(&rows, "implement it now."), "wrapped text is still shown");
        assert!(!shows(&rows, "something else"));
    }

    #[test]
    fn a_permission_choice_is_no_input_box_and_is_seen_as_a_choice() {
        let rows: Vec<String> = [
            "● Bash(touch MARKER && echo made)",
            "╭──────────────────────────────╮",
            "│ Do you want to proceed?      │",
            "│ ❯ 1. Yes                     │",
            "│   2. Yes, and don't ask again │",
            "│   3. No                      │",
            "╰──────────────────────────────╯",
        ]
        .map(String::from)
        .to_vec();
        let prompt = crate::pipeline::PromptSpec::claude_code();
        assert!(prompt.asks_a_choice(&rows));
        assert_eq!(prompt.input_box(&rows), None);
        let plain = ["──────────", "❯ 1. is a list item the user typed", "──────────"].map(String::from);
        assert!(prompt.asks_a_choice(&plain), "a typed `1. ` reads as a choice: typing waits, never answers one");
        assert!(!prompt.asks_a_choice(&["❯ fix the parser".to_owned()]));
        // A dialog's row left above the input box once it was answered is no choice.
        let answered = [" ❯ 1. Yes", "  ⎿  Interrupted · What should Claude do instead?", "──────", "❯ ", "──────"];
        assert!(!prompt.asks_a_choice(&answered.map(String::from)));
    }

    #[test]
    fn draws_chunks_split_inside_a_character() {
        let screen = Screen::new(3, 20);
        screen.draw(b"caf\xc3");
        screen.draw(b"\xa9 ok");
        assert_eq!(screen.rows()[0], "caf\u{e9} ok");
    }
}
