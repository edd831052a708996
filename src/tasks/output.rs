//! A task's output: a bounded ring of chunks addressed by absolute byte cursors.
//!
//! Cursors never reset, so a reader that remembers where it stopped can always resume, and can
//! tell exactly how much it missed when the ring already dropped the bytes it wanted.

use std::collections::VecDeque;

use crate::worker::OutputStream;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredChunk {
    /// Byte offset of `data[0]` in the task's whole output.
    pub cursor: u64,
    pub stream: OutputStream,
    pub data: Vec<u8>,
}

#[derive(Debug)]
pub struct OutputRing {
    chunks: VecDeque<StoredChunk>,
    /// Cursor of the first byte still kept.
    start: u64,
    /// Cursor just past the last byte ever stored (the task's total output size).
    end: u64,
    kept: usize,
    capacity: usize,
}

/// Output read back: what the task printed (standard output and error) from a cursor on. An
/// agent's raw events (the claude driver's stream-json, a hook's input) share the cursors but are
/// left out: what they say is rendered into the output already, and read twice it would cost a
/// model every byte twice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputRead {
    /// Where the read starts: the requested cursor, or later when older bytes were dropped.
    pub cursor: u64,
    /// Where to resume.
    pub next: u64,
    /// Bytes between the requested cursor and `cursor` were dropped.
    pub truncated: bool,
    pub bytes: Vec<u8>,
    /// Where each run of `bytes` came from: its cursor and its offset in `bytes`.
    pieces: Vec<(u64, usize)>,
}

impl OutputRead {
    pub(super) fn starting(cursor: u64, truncated: bool) -> Self {
        OutputRead { cursor, next: cursor, truncated, bytes: Vec::new(), pieces: Vec::new() }
    }

    /// Takes in a chunk stored at cursor `at`, up to `max` bytes in all; false once full.
    pub(super) fn take(&mut self, at: u64, stream: OutputStream, data: &[u8], max: usize) -> bool {
        if !stream.is_matched() {
            self.next = at + data.len() as u64;
            return true;
        }
        let taken = data.len().min(max.saturating_sub(self.bytes.len()));
        self.pieces.push((at, self.bytes.len()));
        self.bytes.extend_from_slice(&data[..taken]);
        self.next = at + taken as u64;
        self.bytes.len() < max
    }

    /// The cursor of byte `offset` of `bytes` (`next` for the end).
    pub fn cursor_at(&self, offset: usize) -> u64 {
        if offset >= self.bytes.len() {
            return self.next;
        }
        let piece = self.pieces.partition_point(|&(_, start)| start <= offset) - 1;
        let (at, start) = self.pieces[piece];
        at + (offset - start) as u64
    }
}

impl OutputRing {
    pub fn new(capacity: usize) -> Self {
        OutputRing { chunks: VecDeque::new(), start: 0, end: 0, kept: 0, capacity }
    }

    /// A ring for output that continues at `end` (a task restored from its history).
    pub fn resumed(capacity: usize, end: u64) -> Self {
        OutputRing { chunks: VecDeque::new(), start: end, end, kept: 0, capacity }
    }

    /// Lets go of every kept byte (a finished task whose output its history holds); cursors stay.
    pub fn release(&mut self) {
        self.chunks = VecDeque::new();
        self.start = self.end;
        self.kept = 0;
    }

    /// Bytes held in memory.
    pub fn kept(&self) -> usize {
        self.kept
    }

    /// Appends a chunk and returns its cursor; drops the oldest chunks beyond the capacity
    /// (the newest chunk is always kept whole).
    pub fn push(&mut self, stream: OutputStream, data: Vec<u8>) -> u64 {
        let cursor = self.end;
        self.end += data.len() as u64;
        self.kept += data.len();
        self.chunks.push_back(StoredChunk { cursor, stream, data });
        while self.kept > self.capacity && self.chunks.len() > 1 {
            let dropped = self.chunks.pop_front().expect("more than one chunk");
            self.kept -= dropped.data.len();
            self.start = dropped.cursor + dropped.data.len() as u64;
        }
        cursor
    }

    pub fn start(&self) -> u64 {
        self.start
    }

    pub fn end(&self) -> u64 {
        self.end
    }

    /// Chunks (or their tails) from `since` on, with their streams.
    pub fn chunks_since(&self, since: u64) -> impl Iterator<Item = (u64, OutputStream, &[u8])> {
        let first = self.chunks.partition_point(|chunk| chunk.cursor + chunk.data.len() as u64 <= since);
        self.chunks.range(first..).map(move |chunk| {
            let skip = since.saturating_sub(chunk.cursor) as usize;
            (chunk.cursor + skip as u64, chunk.stream, &chunk.data[skip..])
        })
    }

    /// Up to `max` bytes of output from `since` on (see [`OutputRead`]).
    pub fn read(&self, since: u64, max: usize) -> OutputRead {
        let cursor = since.clamp(self.start, self.end);
        let mut read = OutputRead::starting(cursor, since < self.start);
        for (at, stream, data) in self.chunks_since(cursor) {
            if !read.take(at, stream, data, max) {
                break;
            }
        }
        read
    }

    /// Where the last `max` bytes of text (output less raw events) from `since` on start: `since`
    /// when there are fewer.
    pub fn last_text_start(&self, since: u64, max: usize) -> u64 {
        let mut taken = 0u64;
        for chunk in self.chunks.iter().rev().filter(|chunk| chunk.stream.is_matched()) {
            let end = chunk.cursor + chunk.data.len() as u64;
            if end <= since {
                break;
            }
            let len = end - chunk.cursor.max(since);
            if taken + len >= max as u64 {
                return end - (max as u64 - taken);
            }
            taken += len;
        }
        since
    }

    /// Whether any text (output less raw events) is kept after `cursor`.
    pub fn has_text_after(&self, cursor: u64) -> bool {
        self.chunks
            .iter()
            .rev()
            .any(|chunk| chunk.stream.is_matched() && chunk.cursor + chunk.data.len() as u64 > cursor)
    }

    /// The start of the last `lines` lines of what is kept (for `tail`); the end for none.
    pub fn tail_cursor(&self, lines: usize) -> u64 {
        if lines == 0 {
            return self.end;
        }
        let mut seen = 0;
        let mut text = self.chunks.iter().rev().filter(|chunk| chunk.stream.is_matched()).peekable();
        // The end of the text, which raw events after it (a turn's `result`) do not move.
        let end = text.peek().map_or(self.end, |last| last.cursor + last.data.len() as u64);
        for chunk in text {
            for (offset, _) in chunk.data.iter().enumerate().rev().filter(|(_, &b)| b == b'\n') {
                let at = chunk.cursor + offset as u64 + 1;
                if at == end {
                    continue;
                }
                seen += 1;
                if seen == lines {
                    return at;
                }
            }
        }
        self.start
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_resume_and_report_truncation() {
        let mut ring = OutputRing::new(10);
        assert_eq!(ring.push(OutputStream::Stdout, b"hello ".to_vec()), 0);
        assert_eq!(ring.push(OutputStream::Stderr, b"world".to_vec()), 6);
        // 11 bytes do not fit in 10: the oldest chunk went, the newest is kept whole.
        let read = ring.read(0, 100);
        assert_eq!((read.cursor, read.next, read.truncated, read.bytes), (6, 11, true, b"world".to_vec()));
        ring.push(OutputStream::Stdout, b"!!".to_vec());
        let read = ring.read(6, 100);
        assert_eq!((read.cursor, read.next, read.truncated, read.bytes), (6, 13, false, b"world!!".to_vec()));
        let read = ring.read(8, 3);
        assert_eq!((read.cursor, read.next, read.bytes), (8, 11, b"rld".to_vec()));
        assert_eq!(ring.read(13, 10).bytes, b"");
    }

    #[test]
    fn chunks_keep_their_streams() {
        let mut ring = OutputRing::new(100);
        ring.push(OutputStream::Stdout, b"out".to_vec());
        ring.push(OutputStream::Stderr, b"err".to_vec());
        let chunks: Vec<_> = ring.chunks_since(1).collect();
        assert_eq!(chunks, [(1, OutputStream::Stdout, &b"ut"[..]), (3, OutputStream::Stderr, &b"err"[..])]);
    }

    #[test]
    fn reads_leave_an_agents_raw_events_out() {
        let mut ring = OutputRing::new(100);
        ring.push(OutputStream::Stdout, b"one\n".to_vec());
        ring.push(OutputStream::Events, b"{\"type\":\"x\"}\n".to_vec());
        ring.push(OutputStream::Stdout, b"two\n".to_vec());
        let read = ring.read(0, 100);
        assert_eq!((read.bytes.as_slice(), read.next), (&b"one\ntwo\n"[..], 21));
        assert_eq!((read.cursor_at(3), read.cursor_at(4), read.cursor_at(8)), (3, 17, 21));
        assert_eq!(ring.read(ring.tail_cursor(1), 100).bytes, b"two\n");
        // A turn ends with an event that renders nothing: the last line is still the last line.
        ring.push(OutputStream::Events, b"{\"type\":\"result\"}\n".to_vec());
        assert_eq!(ring.read(ring.tail_cursor(1), 100).bytes, b"two\n");
        assert_eq!(ring.read(ring.tail_cursor(2), 100).bytes, b"one\ntwo\n");
        assert_eq!(ring.last_text_start(0, 5), 3, "the last five bytes of text, `\ntwo\n`, start in `one\n`");
        assert_eq!(ring.last_text_start(0, 100), 0);
        assert!(ring.has_text_after(20) && !ring.has_text_after(21));
        let page = ring.read(2, 3);
        assert_eq!((page.bytes.as_slice(), page.next), (&b"e\nt"[..], 18));
    }

    #[test]
    fn tail_finds_the_last_lines() {
        let mut ring = OutputRing::new(100);
        ring.push(OutputStream::Stdout, b"a\nb\n".to_vec());
        ring.push(OutputStream::Stdout, b"c\nd\n".to_vec());
        assert_eq!(ring.read(ring.tail_cursor(2), 100).bytes, b"c\nd\n");
        assert_eq!(ring.read(ring.tail_cursor(10), 100).bytes, b"a\nb\nc\nd\n");
        assert_eq!(ring.read(ring.tail_cursor(0), 100).bytes, b"");
    }
}
