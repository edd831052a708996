//! Reading a task's output for a model: a byte window chosen by cursor, tail or size, made into
//! plain text by the pipeline's own normalize stage (the escape stripper the rules see).

use crate::pipeline::{LineLimits, Normalizer};
use crate::tasks::Task;

/// Default and largest `max_bytes` of `axiom_output`.
pub const DEFAULT_MAX_BYTES: usize = 64 * 1024;
pub const LARGEST_MAX_BYTES: usize = 1024 * 1024;

/// Where to read from.
#[derive(Debug, Clone, Copy, Default)]
pub struct Window {
    /// A cursor from an earlier read: page forward from there.
    pub since: Option<u64>,
    /// Only the last N lines.
    pub tail_lines: Option<usize>,
    pub max_bytes: usize,
}

/// Bytes read from a task, with the cursors a model needs to continue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slice {
    pub bytes: Vec<u8>,
    pub start: u64,
    pub next: u64,
    pub truncated: bool,
    pub more: bool,
}

/// Reads the window. Without `since` (a fresh look) a window larger than `max_bytes` keeps its
/// newest part, since that is what a model usually wants; with `since` it pages forward, so
/// nothing is skipped. Cuts are moved to line boundaries when a line boundary is near.
pub fn read(task: &Task, window: Window) -> Slice {
    let end = task.info().output_bytes;
    let tail = window.tail_lines.map(|lines| task.tail_cursor(lines));
    let asked = match (window.since, tail) {
        (Some(since), Some(tail)) => since.max(tail),
        (Some(since), None) => since,
        (None, Some(tail)) => tail,
        (None, None) => 0,
    };
    let asked = asked.min(end);
    let max = window.max_bytes.max(1);
    let mut from = asked;
    let mut skipped = false;
    if window.since.is_none() {
        // The newest `max` bytes of text (an agent's raw events, which are not read, not counted).
        let newest = task.last_text_start(from, max);
        if newest > from {
            from = newest;
            skipped = true;
        }
    }
    let read = task.read_output(from, max);
    let truncated = read.truncated || skipped || read.cursor > asked;
    // `bytes[first..last]` is what is given; the agent's raw events are not in `bytes`, so
    // cursors come from the read, not from offsets.
    let mut first = 0;
    // A read that starts inside text may cut its first line; one that starts on raw events meets
    // the text where a line starts.
    if truncated && read.cursor > asked && read.cursor_at(0) == read.cursor {
        // The first line is probably cut: start at the next whole line if there is one.
        if let Some(newline) = memchr::memchr(b'\n', &read.bytes).filter(|&at| at + 1 < read.bytes.len()) {
            first = newline + 1;
        }
    }
    let mut last = read.bytes.len();
    let more = task.has_text_after(read.next);
    if more {
        // The last line is probably cut: stop after the last whole line if there is one.
        if let Some(newline) = memchr::memrchr(b'\n', &read.bytes[first..]).filter(|&at| at > 0) {
            last = first + newline + 1;
        }
    }
    let start = if read.bytes.is_empty() { read.cursor } else { read.cursor_at(first) };
    let next = read.cursor_at(last);
    let bytes = read.bytes[first..last].to_vec();
    Slice { bytes, start, next, truncated, more }
}

/// Output as a model reads it: escapes removed, carriage-return redraws as separate lines, tabs
/// kept, invalid UTF-8 replaced. The normalize stage of the rule pipeline does the work, so the
/// text is exactly what the rules matched.
pub fn plain_text(bytes: &[u8]) -> String {
    // No window cutting: the text is read once, not matched, so long lines stay whole.
    let mut normalizer = Normalizer::new(LineLimits { max_line: usize::MAX, overlap: 0 });
    normalizer.feed(bytes);
    normalizer.finish();
    let block = normalizer.block();
    let mut text = String::from_utf8_lossy(block.finished_text()).into_owned();
    // `finish` ends an unterminated last line; do not claim a newline the task did not print.
    if !bytes.ends_with(b"\n") && !bytes.ends_with(b"\r") && text.ends_with('\n') {
        text.pop();
    }
    text
}

pub fn raw_text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_strips_escapes_and_keeps_lines() {
        assert_eq!(plain_text(b"\x1b[31mred\x1b[0m\tok\r\nnext\n"), "red\tok\nnext\n");
        assert_eq!(plain_text(b"Proceed? (y/n) "), "Proceed? (y/n) ");
        assert_eq!(plain_text(b" 10%\r 20%\r done\n"), " 10%\n 20%\n done\n");
        assert_eq!(plain_text(b""), "");
    }
}
