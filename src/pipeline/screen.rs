//! Stage 1 for a pseudo-terminal: what the screen shows, each new or changed row once.
//!
//! A TUI does not print lines: it draws. Claude Code puts words at absolute columns
//! (`\x1b[5Gwrote\x1b[11Gthe`), repaints its whole window every frame, and redraws a spinner and a
//! timer several times a second. The byte normalizer turns every cursor jump into a segment break and
//! every repaint into more lines, so multi-word rules never match and one message fires again at
//! each repaint. This stage feeds the bytes to a virtual terminal (`avt`, asciinema's) instead and
//! hands the matcher the rows of its screen, as logical lines (soft-wrapped rows joined):
//!
//! - a row is emitted once it **settles**: its content kept the same [redraw key](redraw_key) for
//!   [`ScreenOptions::settle`], or it scrolled off the screen (then it is final at once), or the
//!   source ended;
//! - a row whose key was emitted recently (anywhere on the screen) is a **redraw** and is not
//!   emitted again: a repaint, a window resize, a row that moved up or down, a spinner glyph or a
//!   timer that ticked. The key keeps a row's words and drops digits, units glued to them (`12s`,
//!   `1.2k`) and symbols, so `✻ Thinking… (3s · ↓ 1.2k tokens)` and `✢ Thinking… (4s · ↓ 1.3k tokens)`
//!   are one row. The flip side: a row that only changes in its numbers (`3 failed` becoming `5
//!   failed` in place) is not emitted again, and a row with no letters at all is never emitted.
//!
//! The finished rows go into the same [`Block`] the byte normalizer fills, so the matcher and the
//! policy stage see no difference. The screen also tells whether the agent sits at its own input
//! prompt ([`PromptSpec`]), which is what makes a quiet agent idle rather than silent.

use std::collections::VecDeque;
use std::ops::Range;
use std::time::{Duration, Instant};

use avt::{Line, Observation, Observer, Terminal};
use regex::Regex;

use super::normalize::{Block, LineLimits, Utf8Carry};

/// Size and timing of the virtual terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScreenOptions {
    pub rows: u16,
    pub cols: u16,
    /// How long a row must keep its content before it is matched. Long enough for a TUI to finish
    /// drawing a row (Claude Code draws a frame in one write, words of a streamed reply ~20 ms
    /// apart), short enough to add little to an intervention's latency.
    pub settle: Duration,
}

impl ScreenOptions {
    pub fn new(rows: u16, cols: u16) -> Self {
        ScreenOptions { rows, cols, settle: Duration::from_millis(120) }
    }
}

/// How to tell, from the screen, that an agent waits at its own prompt for its user: some row
/// matches `ready` and no row matches `busy`. The worker uses the same description to find the
/// agent's input box (the last `ready` row, down to the first row with no letters or digits) and
/// check that a text it typed was submitted.
#[derive(Debug, Clone)]
pub struct PromptSpec {
    pub ready: Regex,
    pub busy: Option<Regex>,
    /// A row of a choice the agent asks its user to make (a permission dialog's `❯ 1. Yes`): while
    /// one is on screen, typed text and Enter would answer it, so nothing is typed.
    pub choice: Option<Regex>,
}

impl PromptSpec {
    /// Claude Code 2.x: the input row starts with `❯` (between two rules of `─`), and while a turn
    /// runs the footer says `esc to interrupt`.
    pub fn claude_code() -> Self {
        PromptSpec {
            ready: Regex::new(r"^\s*❯").expect("valid regex"),
            busy: Some(Regex::new(r"(?i)esc to interrupt").expect("valid regex")),
            // The selected option of a numbered choice: `❯ 1. Yes`.
            choice: Some(Regex::new(r"^\s*[│|]?\s*❯\s*\d+\.\s").expect("valid regex")),
        }
    }

    /// Another agent's prompt (`--prompt-pattern`): `ready` is a regex matching the row it waits on.
    /// The agent counts as idle whenever a row matches it.
    ///
    /// # Errors
    ///
    /// `ready` is not a valid regex, or matches an empty row (it would find a prompt on any screen).
    pub fn custom(ready: &str) -> Result<Self, String> {
        let regex = Regex::new(ready).map_err(|err| format!("`{ready}` is not a valid regex: {err}"))?;
        if regex.is_match("") {
            return Err(format!("`{ready}` matches an empty row, so every screen would show a prompt"));
        }
        Ok(PromptSpec { ready: regex, busy: None, choice: None })
    }

    /// `custom(pattern)` when a pattern is given, else Claude Code's prompt.
    ///
    /// # Errors
    ///
    /// As [`custom`](Self::custom).
    pub fn from_pattern(pattern: Option<&str>) -> Result<Self, String> {
        pattern.map_or_else(|| Ok(Self::claude_code()), Self::custom)
    }

    /// Whether `rows` (one string per screen row) show the prompt and no sign of work.
    pub fn is_waiting(&self, rows: &[String]) -> bool {
        !self.busy(rows) && rows.iter().any(|row| self.is_prompt_row(row))
    }

    /// Whether `row` is the prompt's row. A screen row is as wide as the window, so the pattern
    /// is tried on it with and without its trailing blanks: `^ask> ` and `ask>$` both find `ask> `.
    /// A choice's selected row is none, though it may start the same way.
    pub fn is_prompt_row(&self, row: &str) -> bool {
        (self.ready.is_match(row) || self.ready.is_match(row.trim_end())) && !self.is_choice_row(row)
    }

    fn is_choice_row(&self, row: &str) -> bool {
        self.choice.as_ref().is_some_and(|choice| choice.is_match(row))
    }

    /// True while the screen shows a choice the agent asks its user to make (see `choice`): a
    /// choice's row with no input box below it. (Claude Code draws its dialog in place of the
    /// input box; a row of a dialog already answered may stay on the screen above the box.)
    pub fn asks_a_choice(&self, rows: &[String]) -> bool {
        let Some(choice) = rows.iter().rposition(|row| self.is_choice_row(row)) else { return false };
        !rows[choice + 1..].iter().any(|row| self.is_prompt_row(row))
    }

    /// True while some row says the agent is working on a turn.
    pub fn busy(&self, rows: &[String]) -> bool {
        self.busy.as_ref().is_some_and(|busy| rows.iter().any(|row| busy.is_match(row)))
    }

    /// The text in the agent's input box, if the screen shows one: from the last row matching
    /// `ready` (without the prompt itself) down to the first row with no letters or digits (a
    /// border) or the end of the screen.
    pub fn input_box(&self, rows: &[String]) -> Option<String> {
        let start = rows.iter().rposition(|row| self.is_prompt_row(row))?;
        let mut text = String::new();
        for (at, row) in rows[start..].iter().enumerate() {
            if at > 0 && !row.chars().any(char::is_alphanumeric) {
                break;
            }
            let row = if at == 0 { self.ready.replace(row.trim_end(), "").into_owned() } else { row.clone() };
            text.push_str(&row);
        }
        Some(text)
    }
}

/// Per visible row: the redraw key of what it shows, since when, and whether it still waits to be
/// emitted.
#[derive(Debug, Clone, Default)]
struct Row {
    key: String,
    since: Option<Instant>,
    pending: bool,
}

/// The normalize stage over a virtual terminal. Same outputs as [`Normalizer`](super::Normalizer):
/// finished segments in a [`Block`].
pub struct ScreenNormalizer {
    terminal: Terminal,
    observer: Changes,
    rows: Vec<Row>,
    /// Keys emitted lately, newest last; a row showing one of them is a redraw.
    recent: VecDeque<String>,
    block: Block,
    settle: Duration,
    /// The end of the last chunk when it stopped inside a UTF-8 character.
    unfinished: Utf8Carry,
    prompt: Option<PromptSpec>,
}

impl ScreenNormalizer {
    pub fn new(options: ScreenOptions, limits: LineLimits) -> Self {
        let (cols, rows) = (usize::from(options.cols.max(1)), usize::from(options.rows.max(1)));
        ScreenNormalizer {
            terminal: Terminal::new(cols, rows).expect("a size of at least 1x1 is valid"),
            observer: Changes::default(),
            rows: vec![Row::default(); rows],
            recent: VecDeque::new(),
            block: Block::with_limits(limits),
            settle: options.settle,
            unfinished: Utf8Carry::default(),
            prompt: None,
        }
    }

    /// How to recognise the agent's own prompt (see [`is_idle`](Self::is_idle)).
    pub fn set_prompt(&mut self, prompt: Option<PromptSpec>) {
        self.prompt = prompt;
    }

    /// Draws a chunk. Rows that scrolled off are final and emitted at once; changed rows start to
    /// settle. Returns whether anything new appeared (a redraw of known content is not new).
    pub fn feed(&mut self, bytes: &[u8], now: Instant) -> bool {
        let (bytes, whole) = self.unfinished.join(bytes);
        let text = String::from_utf8_lossy(&bytes[..whole]);
        let (dirty, evicted) = self.terminal.feed_with(&*text, &mut self.observer);
        self.apply(dirty, evicted, now)
    }

    /// Draws output that was matched before (see [`Pipeline::redraw_seen`](super::Pipeline::redraw_seen)):
    /// every row it leaves on the screen, or scrolls off it, counts as emitted.
    pub fn redraw_seen(&mut self, bytes: &[u8], now: Instant) {
        self.feed(bytes, now);
        for row in 0..self.rows.len() {
            if std::mem::take(&mut self.rows[row].pending) {
                if let Some((_, text)) = self.logical_line(row) {
                    self.remember(redraw_key(&text));
                }
            }
        }
        self.block.consume_finished();
    }

    /// The terminal was resized (the child was told too).
    pub fn resize(&mut self, rows: u16, cols: u16, now: Instant) -> bool {
        let (cols, rows) = (usize::from(cols.max(1)), usize::from(rows.max(1)));
        let (dirty, evicted) = self.terminal.resize_with(cols, rows, &mut self.observer);
        self.rows.resize(rows, Row::default());
        self.apply(dirty, evicted, now)
    }

    fn apply(&mut self, dirty: Vec<usize>, evicted: Vec<String>, now: Instant) -> bool {
        let mut fresh = false;
        for line in evicted {
            // Off the screen: final. If it was still settling, this is its last chance.
            fresh |= self.emit(&line);
        }
        for row in dirty {
            fresh |= self.note_row(row, now);
        }
        self.settle(now);
        fresh
    }

    /// A row was drawn on: remember its key, and when it last changed.
    fn note_row(&mut self, row: usize, now: Instant) -> bool {
        let Some((start, text)) = self.logical_line(row) else { return false };
        let key = redraw_key(&text);
        let state = &mut self.rows[start];
        if state.key == key {
            return false;
        }
        let known = key.is_empty() || self.recent.contains(&key);
        state.key = key;
        state.since = Some(now);
        state.pending = !known;
        !known
    }

    /// Emits every row that kept its content for the settle time.
    pub fn settle(&mut self, now: Instant) {
        for row in 0..self.rows.len() {
            let state = &self.rows[row];
            if state.pending && state.since.is_some_and(|since| now.saturating_duration_since(since) >= self.settle) {
                self.rows[row].pending = false;
                if let Some((_, text)) = self.logical_line(row) {
                    self.emit(&text);
                }
            }
        }
    }

    /// When [`settle`](Self::settle) next has a row to emit.
    pub fn next_settle(&self) -> Option<Instant> {
        self.rows.iter().filter(|row| row.pending).filter_map(|row| row.since).min().map(|since| since + self.settle)
    }

    /// The source ended: every row still settling is emitted as it stands.
    pub fn finish(&mut self) {
        for row in 0..self.rows.len() {
            if std::mem::take(&mut self.rows[row].pending) {
                if let Some((_, text)) = self.logical_line(row) {
                    self.emit(&text);
                }
            }
        }
    }

    /// True when the screen shows the agent's own prompt and no sign of work in progress.
    pub fn is_idle(&self) -> bool {
        let rows: Vec<String> = self.terminal.screen().visible_lines().map(Line::text).collect();
        self.prompt.as_ref().is_some_and(|prompt| prompt.is_waiting(&rows))
    }

    /// The visible screen as text, one string per row (for tests and diagnostics).
    pub fn rows_text(&self) -> Vec<String> {
        self.terminal.screen().visible_lines().map(|line| line.text().trim_end().to_owned()).collect()
    }

    pub fn block(&self) -> &Block {
        &self.block
    }

    pub fn consume_finished(&mut self) {
        self.block.consume_finished();
    }

    /// Rows emitted so far.
    pub fn lines(&self) -> u64 {
        self.block.lines_ended()
    }

    /// Adds a finished line to the block unless it is a redraw of something emitted lately.
    fn emit(&mut self, text: &str) -> bool {
        let key = redraw_key(text);
        if key.is_empty() || self.recent.contains(&key) {
            return false;
        }
        self.remember(key);
        // TUIs put no-break spaces after their markers (`❯\u{a0}text`); rules are written with spaces.
        let text = text.trim_end().replace('\u{a0}', " ");
        tracing::trace!(row = %text, "screen row settled");
        self.block.push_line(text.as_bytes());
        true
    }

    /// Counts `key` as emitted lately, so a redraw of it is not emitted again.
    fn remember(&mut self, key: String) {
        // Two screens' worth: whatever a repaint can bring back is still on the screen.
        let capacity = 2 * self.rows.len() + 8;
        if self.recent.len() >= capacity {
            self.recent.pop_front();
        }
        if !key.is_empty() && !self.recent.contains(&key) {
            self.recent.push_back(key);
        }
    }

    /// The logical line that visible row `row` belongs to (soft-wrapped rows joined): the row it
    /// starts on and its text. `None` for a blank line.
    fn logical_line(&self, row: usize) -> Option<(usize, String)> {
        let screen = self.terminal.screen();
        let lines: Vec<&Line> = screen.visible_lines().collect();
        if row >= lines.len() {
            return None;
        }
        let mut start = row;
        while start > 0 && lines[start - 1].is_wrapped() {
            start -= 1;
        }
        let mut text = String::new();
        let mut at = start;
        loop {
            text.extend(lines[at].chars());
            if !lines[at].is_wrapped() || at + 1 >= lines.len() {
                break;
            }
            at += 1;
        }
        let text = text.trim_end().to_owned();
        (!text.trim().is_empty()).then_some((start, text))
    }
}

/// What identifies a row's content across redraws: its words, without the digits, units glued to
/// digits (`12s`, `3m`, `1.2k`), symbols or spacing a spinner or a timer changes.
pub fn redraw_key(text: &str) -> String {
    /// Units a timer, a size or a count glues to its number.
    const UNITS: [&str; 11] = ["h", "m", "s", "ms", "us", "µs", "ns", "k", "K", "M", "G"];
    let chars: Vec<char> = text.chars().collect();
    let mut key = String::with_capacity(text.len());
    let mut at = 0;
    while at < chars.len() {
        let c = chars[at];
        if c.is_ascii_digit() {
            while at < chars.len() && (chars[at].is_ascii_digit() || chars[at] == '.' || chars[at] == ',') {
                at += 1;
            }
            let unit_end = (at..chars.len()).find(|&i| !chars[i].is_alphabetic()).unwrap_or(chars.len());
            let unit: String = chars[at..unit_end].iter().collect();
            if UNITS.contains(&unit.as_str()) {
                at = unit_end;
            }
            continue;
        }
        if c.is_alphabetic() {
            key.push(c);
        } else if c.is_whitespace() && !key.is_empty() && !key.ends_with(' ') {
            key.push(' ');
        }
        at += 1;
    }
    if key.ends_with(' ') {
        key.pop();
    }
    key
}

/// Collects what one feed changed: visible rows drawn on, and lines that left the screen (logical
/// lines, soft-wrapped rows joined).
#[derive(Default)]
struct Changes {
    dirty: Vec<bool>,
    evicted: Vec<String>,
    /// The start of a soft-wrapped line whose first rows already left the screen.
    wrapping: String,
}

impl Observer for Changes {
    type Output = (Vec<usize>, Vec<String>);

    fn begin(&mut self, context: &mut Observation<'_>) {
        let rows = context.terminal().size().1;
        if self.dirty.len() != rows {
            self.dirty.resize(rows, false);
        }
    }

    fn resized(&mut self, _cols: usize, rows: usize) {
        self.dirty.resize(rows, false);
        self.dirty.fill(true);
    }

    fn dirty(&mut self, rows: Range<usize>) {
        let end = rows.end.min(self.dirty.len());
        if rows.start < end {
            self.dirty[rows.start..end].fill(true);
        }
    }

    fn evicted(&mut self, _context: &mut Observation<'_>, line: &Line) {
        // A runaway line with no end is cut rather than held without limit.
        if self.wrapping.len() < 64 * 1024 {
            self.wrapping.extend(line.chars());
        }
        if !line.is_wrapped() {
            let text = std::mem::take(&mut self.wrapping);
            if !text.trim().is_empty() {
                self.evicted.push(text.trim_end().to_owned());
            }
        }
    }

    fn end(&mut self, _context: &mut Observation<'_>) -> Self::Output {
        let dirty = self.dirty.iter().enumerate().filter_map(|(row, &dirty)| dirty.then_some(row)).collect();
        self.dirty.fill(false);
        (dirty, std::mem::take(&mut self.evicted))
    }
}

#[cfg(test)]
mod tests;
