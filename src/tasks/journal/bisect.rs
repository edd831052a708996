//! Finding where an output offset lies in a history, by bisecting the file on byte positions.
//!
//! Output events carry `at` and appear in order, but other events (interventions, their
//! acknowledgements, commands) sit between them, at times by the hundred thousand (a cut moves
//! all of them to the front). So a probe reads the file a block at a time and scans each block
//! for the next line that is output, and it never scans past the range still in question: the
//! probes of one search read about as much as the range they halve, a few blocks when output is
//! dense, and never more than the file once.

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};

use super::read::{is_output, output_at};

/// Bisection stops when the range is this small and reads on from there.
const LINEAR_SPAN: u64 = 64 * 1024;
/// What a probe reads at once.
const PROBE_BLOCK: usize = 64 * 1024;
/// An output line's header (`seq`, `stream`, `at`) lies within its first bytes.
const HEAD: usize = 160;

/// A file read at offsets (a trait so tests can count what a search reads).
pub(super) trait ReadAt {
    fn read_at(&self, buffer: &mut [u8], offset: u64) -> io::Result<usize>;
}

impl ReadAt for std::fs::File {
    fn read_at(&self, buffer: &mut [u8], offset: u64) -> io::Result<usize> {
        std::os::unix::fs::FileExt::read_at(self, buffer, offset)
    }
}

/// The error a search or read returns once `stop` is set: its requester went away, or the hub
/// is stopping.
pub(super) fn check(stop: &AtomicBool) -> io::Result<()> {
    if stop.load(Ordering::Relaxed) {
        return Err(io::Error::new(io::ErrorKind::Interrupted, "the read was stopped"));
    }
    Ok(())
}

/// Where the output event holding byte `since` starts in the file (or a little before it).
pub(super) fn bisect(file: &impl ReadAt, len: u64, since: u64, stop: &AtomicBool) -> io::Result<u64> {
    let (mut low, mut high) = (0u64, len);
    let mut block = vec![0u8; PROBE_BLOCK];
    while high.saturating_sub(low) > LINEAR_SPAN {
        let middle = low + (high - low) / 2;
        match probe(file, middle, high, &mut block, stop)? {
            Some((start, Some(at))) if at <= since => low = start,
            // No output starts in [middle, high), or the first one is past `since`: the event
            // holding `since` starts before `middle`.
            Some((_, Some(_))) | None => high = middle,
            // No offsets (an older history): read it from the start.
            Some((_, None)) => return Ok(0),
        }
    }
    Ok(low)
}

/// The first output event that starts at or after `position` and before `high`: where it starts,
/// and its `at`.
fn probe(
    file: &impl ReadAt,
    position: u64,
    high: u64,
    block: &mut [u8],
    stop: &AtomicBool,
) -> io::Result<Option<(u64, Option<u64>)>> {
    let mut base = position;
    // Inside some line unless at the very start: the next one starts after its newline.
    let mut at_line_start = position == 0;
    while base < high {
        check(stop)?;
        let n = read_at_most(file, block, base)?;
        if n == 0 {
            return Ok(None);
        }
        let data = &block[..n];
        let mut i = 0;
        if !at_line_start {
            match memchr::memchr(b'\n', data) {
                Some(newline) => i = newline + 1,
                None => {
                    base += n as u64;
                    continue;
                }
            }
        }
        loop {
            let start = base + i as u64;
            if start >= high {
                return Ok(None);
            }
            if i == n {
                (base, at_line_start) = (start, true);
                break;
            }
            let rest = &data[i..];
            if rest.len() < HEAD && n == block.len() && i > 0 {
                // The line's header may run past this block: read on from the line's start.
                (base, at_line_start) = (start, true);
                break;
            }
            if is_output(rest) {
                return Ok(Some((start, output_at(rest))));
            }
            match memchr::memchr(b'\n', rest) {
                Some(newline) => i += newline + 1,
                None => {
                    (base, at_line_start) = (base + n as u64, false);
                    break;
                }
            }
        }
    }
    Ok(None)
}

fn read_at_most(file: &impl ReadAt, buffer: &mut [u8], offset: u64) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        match file.read_at(&mut buffer[filled..], offset + filled as u64) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => return Err(err),
        }
    }
    Ok(filled)
}
