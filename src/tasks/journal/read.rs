//! Reading task histories in time proportional to what is asked for, in bounded memory.
//!
//! Output events carry `at`, the offset of their first byte in the task's output, and appear in
//! order, so the event holding any offset is found by bisecting the file on byte positions
//! ([`bisect`](super::bisect)). A page of output therefore costs a few block reads plus the page
//! itself, and `tail` reads the file backwards from its end until it has seen enough lines.
//! Histories written before `at` existed are read from the start, counting. The `_until` forms
//! give up once their flag is set, so a read nobody waits for any more stops.

use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::sync::atomic::AtomicBool;

use super::bisect::{bisect, check};
use super::Event;
use crate::tasks::{OutputRead, StoredChunk};
use crate::worker::OutputStream;

const OUTPUT_PREFIX: &[u8] = b"{\"type\":\"output\"";
const BLOCK: usize = 256 * 1024;

/// A task's history without its output bytes: what a restart needs.
#[derive(Debug, Default)]
pub struct History {
    /// Every event that is not output, in order.
    pub events: Vec<Event>,
    /// The `seq` after the last stored output chunk.
    pub next_seq: u64,
    /// Offset of the first output byte still in the history (later than 0 once it was cut).
    pub output_start: u64,
    /// The task's total output size.
    pub output_end: u64,
    /// How many of the task's first intervention records cuts have dropped.
    pub interventions_forgotten: u64,
}

pub(super) fn is_output(line: &[u8]) -> bool {
    line.starts_with(OUTPUT_PREFIX)
}

/// The number after `"key":` in the first bytes of a line (our own serialization puts the small
/// fields first), without parsing the payload.
pub(super) fn header_number(line: &[u8], key: &[u8]) -> Option<u64> {
    let head = &line[..line.len().min(160)];
    let start = memchr::memmem::find(head, key)? + key.len();
    let digits = head[start..].iter().take_while(|b| b.is_ascii_digit()).count();
    std::str::from_utf8(&head[start..start + digits]).ok()?.parse().ok()
}

const ACK_PREFIX: &[u8] = b"{\"type\":\"ack\",";
const INPUT_COMMAND_PREFIXES: [&[u8]; 2] = [
    b"{\"type\":\"command\",\"command\":{\"type\":\"input\",",
    b"{\"type\":\"command\",\"command\":{\"type\":\"pipe\",",
];

/// The command id an acknowledgement line is about.
pub(super) fn acknowledged_id(line: &[u8]) -> Option<u64> {
    line.starts_with(ACK_PREFIX).then(|| header_number(line, b"\"id\":")).flatten()
}

/// Whether a line records how much piped input was taken (only the newest such line counts).
pub(super) fn is_input_piped(line: &[u8]) -> bool {
    line.starts_with(b"{\"type\":\"input_piped\",")
}

/// The id of an input command's line (input written to the task, or piped into it, which may
/// be large).
pub(super) fn input_command_id(line: &[u8]) -> Option<u64> {
    let input = INPUT_COMMAND_PREFIXES.iter().any(|prefix| line.starts_with(prefix));
    input.then(|| header_number(line, b"\"id\":")).flatten()
}

/// `at` of an output line.
pub(super) fn output_at(line: &[u8]) -> Option<u64> {
    header_number(line, b"\"at\":")
}

/// Offset just past an output line's bytes (decodes this one line).
pub(super) fn output_end(line: &[u8]) -> Option<u64> {
    match serde_json::from_slice::<Event>(line).ok()? {
        Event::Output { at: Some(at), payload, .. } => Some(at + payload.into_bytes().ok()?.len() as u64),
        _ => None,
    }
}

/// No line axiom writes in a history is longer: output and input travel in pieces under the
/// 1 MiB message limit. A longer line is a file axiom did not write (a task may write its own
/// history: `truncate -s 4G events.jsonl`), and is passed over unread rather than held in memory.
pub(super) const MOST_LINE: usize = 16 * 1024 * 1024;

/// What [`next_line`] read.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum NextLine {
    /// A whole line of this many bytes, its line break included, is in the buffer.
    Whole(usize),
    /// A line longer than [`MOST_LINE`], of this many bytes, was passed over.
    TooLong(u64),
    /// The end, or a torn last line (the hub died mid-write), which was never acknowledged.
    End,
}

/// Reads the next line into `line` (cleared first), in memory bounded by [`MOST_LINE`].
pub(super) fn next_line(reader: &mut impl BufRead, line: &mut Vec<u8>) -> io::Result<NextLine> {
    line.clear();
    let read = reader.by_ref().take(MOST_LINE as u64 + 1).read_until(b'\n', line)?;
    if line.last() == Some(&b'\n') {
        return Ok(NextLine::Whole(read));
    }
    if read <= MOST_LINE {
        return Ok(NextLine::End);
    }
    line.clear();
    let mut skipped = read as u64;
    loop {
        let buffer = reader.fill_buf()?;
        if buffer.is_empty() {
            return Ok(NextLine::End);
        }
        match memchr::memchr(b'\n', buffer) {
            Some(at) => {
                reader.consume(at + 1);
                return Ok(NextLine::TooLong(skipped + at as u64 + 1));
            }
            None => {
                let all = buffer.len();
                reader.consume(all);
                skipped += all as u64;
            }
        }
    }
}

/// Whether the history open in `file` is task `task_id`'s: its first event, the spawn, names it.
/// Leaves the file's offset at its start.
pub(super) fn history_of(file: &mut File, task_id: &str) -> io::Result<bool> {
    file.seek(SeekFrom::Start(0))?;
    let mut line = Vec::new();
    let whole = next_line(&mut BufReader::new(&mut *file), &mut line)?;
    file.seek(SeekFrom::Start(0))?;
    Ok(matches!(whole, NextLine::Whole(_))
        && matches!(serde_json::from_slice::<Event>(&line), Ok(Event::Spawn { task_id: named, .. }) if named == task_id))
}

/// Where the first hole in `file` starts (its length when it has none); `None` where the file
/// system cannot tell.
pub(super) fn first_hole(mut file: &File) -> io::Result<Option<u64>> {
    use std::os::fd::AsRawFd as _;
    // SAFETY: lseek on a descriptor `file` owns; SEEK_HOLE only moves its offset, set back below.
    let hole = unsafe { libc::lseek(file.as_raw_fd(), 0, libc::SEEK_HOLE) };
    file.seek(SeekFrom::Start(0))?;
    Ok(u64::try_from(hole).ok())
}

/// Opens a history only if it is a regular file (a FIFO planted in its place must not hang us).
pub(super) fn open_history(path: &Path) -> io::Result<File> {
    let file = OpenOptions::new().read(true).custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK).open(path)?;
    if !file.metadata()?.is_file() {
        return Err(io::Error::new(io::ErrorKind::InvalidData, format!("{} is not a regular file", path.display())));
    }
    Ok(file)
}

/// Reads what a restart needs: every event but output, and where the output starts and ends.
/// Output payloads are not decoded (only the last one's length is needed), so memory stays
/// bounded by the largest line, whatever the history's size.
pub fn read_history(path: &Path) -> io::Result<History> {
    let file = open_history(path)?;
    // Appended to, never seeked past: a history axiom wrote has no holes. A file with one
    // (`truncate -s 30G`) takes its whole size to read and no room on disk.
    let len = file.metadata()?.len();
    if let Some(hole) = first_hole(&file)?.filter(|&hole| hole < len) {
        return Err(io::Error::other(format!(
            "a hole at byte {hole} of {len}: a sparse file, which axiom never writes"
        )));
    }
    let mut reader = BufReader::with_capacity(BLOCK, file);
    let mut history = History::default();
    let mut line = Vec::new();
    let mut last_output = Vec::new();
    let mut counted = 0u64;
    let mut number = 0usize;
    loop {
        number += 1;
        match next_line(&mut reader, &mut line)? {
            NextLine::Whole(_) => {}
            NextLine::TooLong(length) => {
                tracing::warn!("{}:{number}: skipping a line of {length} bytes, longer than any event", path.display());
                continue;
            }
            NextLine::End => break,
        }
        if is_output(&line) {
            match (header_number(&line, b"\"seq\":"), output_at(&line)) {
                (Some(seq), Some(_)) => {
                    history.next_seq = seq + 1;
                    std::mem::swap(&mut last_output, &mut line);
                    continue;
                }
                _ => {
                    // An older history without offsets: count.
                    if let Ok(Event::Output { seq, payload, .. }) = serde_json::from_slice::<Event>(&line) {
                        history.next_seq = seq + 1;
                        counted += payload.into_bytes().map_or(0, |b| b.len() as u64);
                        history.output_end = counted;
                    }
                    continue;
                }
            }
        }
        match serde_json::from_slice::<Event>(&line) {
            Ok(Event::Truncated { before, interventions, .. }) => {
                history.output_start = history.output_start.max(before);
                history.interventions_forgotten = history.interventions_forgotten.max(interventions);
            }
            Ok(event) => history.events.push(event),
            Err(err) => tracing::warn!("{}:{number}: skipping an unreadable event: {err}", path.display()),
        }
    }
    if let Some(end) = output_end(&last_output) {
        history.output_end = end;
    }
    history.output_start = history.output_start.min(history.output_end);
    Ok(history)
}

/// Output chunks from byte `since`, at most `max` bytes in all, with their streams; and the
/// offset of the first byte the history still holds (later than `since` when it was cut).
pub fn read_chunks(path: &Path, since: u64, max: usize) -> io::Result<(Vec<StoredChunk>, u64)> {
    read_chunks_until(path, since, max, &AtomicBool::new(false))
}

/// [`read_chunks`] that gives up (`Interrupted`) once `stop` is set.
pub fn read_chunks_until(
    path: &Path,
    since: u64,
    max: usize,
    stop: &AtomicBool,
) -> io::Result<(Vec<StoredChunk>, u64)> {
    let mut chunks = Vec::new();
    let mut taken = 0usize;
    let mut first = None;
    each_output_from(path, since, stop, |at, stream, data| {
        let take = data.len().min(max - taken);
        first.get_or_insert(at);
        taken += take;
        chunks.push(StoredChunk { cursor: at, stream, data: data[..take].to_vec() });
        taken < max
    })?;
    Ok((chunks, first.unwrap_or(since)))
}

/// The task's stored output from byte `since`, at most `max` bytes (see [`OutputRead`]: an
/// agent's raw events are left out); its `cursor` is later than `since` if the history no longer
/// holds the bytes before it.
pub fn read_output(path: &Path, since: u64, max: usize) -> io::Result<OutputRead> {
    read_output_until(path, since, max, &AtomicBool::new(false))
}

/// [`read_output`] that gives up (`Interrupted`) once `stop` is set.
pub fn read_output_until(path: &Path, since: u64, max: usize, stop: &AtomicBool) -> io::Result<OutputRead> {
    let mut read = None;
    each_output_from(path, since, stop, |at, stream, data| {
        read.get_or_insert_with(|| OutputRead::starting(at, at > since)).take(at, stream, data, max)
    })?;
    Ok(read.unwrap_or_else(|| OutputRead::starting(since, false)))
}

/// Calls `visit` with each output chunk from byte `since` on (the first one cut to start there):
/// its cursor, stream and bytes, until it returns false, the history ends or `stop` is set.
fn each_output_from(
    path: &Path,
    since: u64,
    stop: &AtomicBool,
    mut visit: impl FnMut(u64, OutputStream, &[u8]) -> bool,
) -> io::Result<()> {
    let mut file = open_history(path)?;
    let len = file.metadata()?.len();
    let from = bisect(&file, len, since, stop)?;
    file.seek(SeekFrom::Start(from))?;
    let mut reader = BufReader::with_capacity(BLOCK, file);
    let mut counted = 0u64;
    let mut line = Vec::new();
    loop {
        check(stop)?;
        match next_line(&mut reader, &mut line)? {
            NextLine::Whole(_) => {}
            NextLine::TooLong(_) => continue,
            NextLine::End => return Ok(()),
        }
        if !is_output(&line) {
            continue;
        }
        let Ok(Event::Output { stream, at, payload, .. }) = serde_json::from_slice::<Event>(&line) else { continue };
        let Ok(data) = payload.into_bytes() else { continue };
        let at = at.unwrap_or(counted);
        counted = at + data.len() as u64;
        if counted <= since {
            continue;
        }
        let skip = since.saturating_sub(at) as usize;
        if !visit(at + skip as u64, stream, &data[skip..]) {
            return Ok(());
        }
    }
}

/// Where the last `lines` lines of the stored output start, reading the history backwards from
/// its end (a final newline does not start a line of its own).
pub fn tail_cursor(path: &Path, lines: usize) -> io::Result<u64> {
    tail_cursor_until(path, lines, &AtomicBool::new(false))
}

/// [`tail_cursor`] that gives up (`Interrupted`) once `stop` is set.
pub fn tail_cursor_until(path: &Path, lines: usize, stop: &AtomicBool) -> io::Result<u64> {
    let mut file = open_history(path)?;
    let len = file.metadata()?.len();
    let mut events = ReverseLines::new(&mut file, len);
    let mut output_end = None;
    let mut earliest = None;
    let mut seen = 0;
    while let Some(line) = events.next_line()? {
        check(stop)?;
        if line.starts_with(b"{\"type\":\"truncated\"") {
            break;
        }
        if !is_output(&line) {
            continue;
        }
        let Ok(Event::Output { stream, at: Some(at), payload, .. }) = serde_json::from_slice::<Event>(&line) else {
            continue;
        };
        if !stream.is_matched() {
            continue;
        }
        let data = payload.into_bytes().unwrap_or_default();
        let end = *output_end.get_or_insert(at + data.len() as u64);
        earliest = Some(at);
        for (offset, _) in data.iter().enumerate().rev().filter(|(_, &b)| b == b'\n') {
            let cursor = at + offset as u64 + 1;
            if cursor == end {
                continue;
            }
            seen += 1;
            if seen == lines {
                return Ok(cursor);
            }
        }
    }
    Ok(earliest.unwrap_or(0))
}

/// A file's complete lines, last first (a torn last line is skipped).
struct ReverseLines<'a> {
    file: &'a mut File,
    /// `pending` holds the file's bytes from here on, up to the lines already returned.
    position: u64,
    pending: Vec<u8>,
    found_end: bool,
    /// Inside a line longer than [`MOST_LINE`], which is passed over, not kept.
    skipping: bool,
}

impl ReverseLines<'_> {
    fn new(file: &mut File, len: u64) -> ReverseLines<'_> {
        ReverseLines { file, position: len, pending: Vec::new(), found_end: false, skipping: false }
    }

    fn next_line(&mut self) -> io::Result<Option<Vec<u8>>> {
        loop {
            if self.skipping {
                // What follows the line break before the long line is the long line's start.
                if let Some(newline) = self.pending.iter().rposition(|&b| b == b'\n') {
                    self.pending.truncate(newline + 1);
                    self.skipping = false;
                    continue;
                }
                self.pending.clear();
            } else if !self.found_end {
                if let Some(newline) = self.pending.iter().rposition(|&b| b == b'\n') {
                    self.pending.truncate(newline + 1);
                    self.found_end = true;
                    continue;
                }
                // A torn end is dropped whatever its length: only where it starts is wanted.
                self.pending.clear();
            } else if !self.pending.is_empty() {
                let body = &self.pending[..self.pending.len() - 1];
                match body.iter().rposition(|&b| b == b'\n') {
                    Some(newline) => return Ok(Some(self.pending.split_off(newline + 1))),
                    None if self.position == 0 => return Ok(Some(std::mem::take(&mut self.pending))),
                    None if self.pending.len() > MOST_LINE => {
                        self.pending.clear();
                        self.skipping = true;
                    }
                    None => {}
                }
            }
            if self.position == 0 {
                return Ok(None);
            }
            let start = self.position.saturating_sub(BLOCK as u64);
            let mut block = vec![0u8; (self.position - start) as usize];
            self.file.seek(SeekFrom::Start(start))?;
            self.file.read_exact(&mut block)?;
            block.extend_from_slice(&self.pending);
            self.pending = block;
            self.position = start;
        }
    }
}

/// The length of the file without a torn last line, or `None` when it ends with a line break.
/// Reads backwards from the end, so a long history is not read whole.
pub(super) fn complete_length(file: &mut File) -> io::Result<Option<u64>> {
    let mut end = file.seek(SeekFrom::End(0))?;
    let mut block = vec![0u8; 64 * 1024];
    let mut last = true;
    while end > 0 {
        let start = end.saturating_sub(block.len() as u64);
        let piece = &mut block[..(end - start) as usize];
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(piece)?;
        if last && piece.last() == Some(&b'\n') {
            return Ok(None);
        }
        last = false;
        if let Some(newline) = piece.iter().rposition(|&b| b == b'\n') {
            return Ok(Some(start + newline as u64 + 1));
        }
        end = start;
    }
    Ok(if last { None } else { Some(0) })
}
