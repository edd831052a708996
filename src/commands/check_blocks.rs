//! `axiom check` on all cores: the input is cut into blocks at line boundaries, each block is
//! matched by its own offline pipeline on a worker thread, and the results are handed back in
//! input order, so the report is byte for byte what one pipeline reading the whole input gives.
//!
//! That holds because offline, with no rule that needs evidence from earlier lines, a line's
//! matches depend on that line alone, and a pipeline starting at a line boundary is in the state
//! one reading from the start would be in there, as long as no escape sequence was seen yet (the
//! escape parser only leaves its ground state on ESC). So a block with an ESC, or a line longer
//! than a block, ends the parallel part: the rest of the input goes through one pipeline, started
//! at that line. Memory stays bounded: at most two blocks per worker are in flight.

use std::collections::BTreeMap;
use std::io::{self, Read};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::pipeline::{Intervention, Pipeline, PipelineOptions, PipelineStats};
use crate::rules::{RuleSet, Scope};

/// Bytes per block: large enough that starting a pipeline per block costs nothing, small enough
/// that every core gets work on a file of a few megabytes.
const BLOCK: usize = 1 << 20;

/// What one block (or the sequential rest) fired, in input order.
pub trait BlockSink {
    fn fired(&mut self, fired: &[Intervention]) -> io::Result<()>;

    /// Whether it shows what matched, or only counts the matches.
    fn shows_matches(&self) -> bool;
}

/// An error reading the input or writing the report; the stats say what was matched so far.
pub enum BlocksError {
    Input(io::Error),
    Output(io::Error),
}

/// Matches everything `reader` gives on `threads` threads; returns the totals.
pub fn check_blocks(
    rules: &Arc<RuleSet>,
    scope: Scope,
    name: &str,
    reader: &mut dyn Read,
    threads: usize,
    sink: &mut dyn BlockSink,
    stats: &mut PipelineStats,
) -> Result<(), BlocksError> {
    let now = Instant::now();
    let options = PipelineOptions { keep_text: sink.shows_matches(), ..PipelineOptions::offline() };
    // Each pipeline (one per worker) gets a copy of the name of its own: every intervention holds
    // it, and one `Arc` shared by the workers would bounce its count between their cores.
    let pipeline =
        |first_line| Pipeline::new(Arc::clone(rules), scope, Arc::from(name), options).with_first_line(first_line);
    let probe = pipeline(1);
    if threads <= 1 || !probe.lines_are_independent() {
        return sequential(probe, reader, Vec::new(), sink, stats, now);
    }
    let (work_tx, work_rx) = mpsc::sync_channel::<(u64, Buffers)>(threads);
    let work_rx = Mutex::new(work_rx);
    // A worker that panics hands its panic over, to be raised on the reading thread: otherwise
    // the merge would wait for that worker's block for ever.
    let (done_tx, done_rx) = mpsc::channel::<std::thread::Result<Done>>();
    std::thread::scope(|threads_scope| {
        for _ in 0..threads {
            let (work_rx, done_tx) = (&work_rx, done_tx.clone());
            let pipeline = &pipeline;
            threads_scope.spawn(move || {
                let mut last: Option<Pipeline> = None;
                loop {
                    let next = work_rx.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).recv();
                    let Ok((sequence, Buffers { block, mut fired })) = next else { break };
                    let matched = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        // Numbered from 1 here; the merge, which knows how many lines came before,
                        // moves the numbers (counting them here keeps that pass off the reading
                        // thread).
                        let mut pipeline = last.take().map_or_else(|| pipeline(1), |last| last.restart(1));
                        pipeline.push_into(&block, now, &mut fired);
                        fired.extend(pipeline.finish(now));
                        let newlines = memchr::memchr_iter(b'\n', &block).count() as u64;
                        let stats = pipeline.stats();
                        (Done { sequence, stats, newlines, buffers: Buffers { block, fired } }, pipeline)
                    }));
                    let done = matched.map(|(done, pipeline)| {
                        last = Some(pipeline);
                        done
                    });
                    let panicked = done.is_err();
                    if done_tx.send(done).is_err() || panicked {
                        break;
                    }
                }
            });
        }
        drop(done_tx);
        let mut merge = Merge { next: 0, waiting: BTreeMap::new(), in_flight: 0, lines: 0, spare: Vec::new() };
        let result = (|| {
            let mut carry = Vec::new();
            loop {
                // A block's buffers come back with its results: no new pages per block.
                let Buffers { mut block, fired } = merge.spare.pop().unwrap_or_default();
                block.clear();
                block.append(&mut carry);
                let ended = match fill(reader, &mut block) {
                    Ok(ended) => ended,
                    Err(err) => {
                        merge.drain(&done_rx, sink, stats, 0)?;
                        return Err(BlocksError::Input(err));
                    }
                };
                let cut =
                    if ended { Some(block.len()) } else { block.iter().rposition(|&b| b == b'\n').map(|at| at + 1) };
                if let Some(cut) = cut {
                    carry.extend_from_slice(&block[cut..]);
                    block.truncate(cut);
                }
                if cut.is_none() || memchr::memchr(0x1b, &block).is_some() {
                    // One line longer than a block, or an escape sequence: one pipeline from here.
                    merge.drain(&done_rx, sink, stats, 0)?;
                    block.extend_from_slice(&carry);
                    return sequential(pipeline(merge.lines + 1), reader, block, sink, stats, now);
                }
                if !block.is_empty() {
                    merge.drain(&done_rx, sink, stats, 2 * threads)?;
                    work_tx.send((merge.next + merge.in_flight as u64, Buffers { block, fired })).expect("workers run");
                    merge.in_flight += 1;
                }
                if ended {
                    return merge.drain(&done_rx, sink, stats, 0);
                }
            }
        })();
        drop(work_tx);
        result
    })
}

/// A block, and the buffer for what it fires (empty); both go back and forth between the reading
/// thread and the workers, so each is allocated once.
#[derive(Default)]
struct Buffers {
    block: Vec<u8>,
    fired: Vec<Intervention>,
}

/// What a worker hands back for one block: the block, what it fired (lines numbered from 1).
struct Done {
    sequence: u64,
    stats: PipelineStats,
    /// Line ends in the block: how far the next block's line numbers start further on.
    newlines: u64,
    buffers: Buffers,
}

/// Results of blocks that came back early, until the ones before them are written.
struct Merge {
    next: u64,
    waiting: BTreeMap<u64, Done>,
    in_flight: usize,
    /// Lines in the blocks written so far.
    lines: u64,
    /// Buffers of blocks done with.
    spare: Vec<Buffers>,
}

impl Merge {
    /// Writes results in order until at most `keep` blocks are in flight.
    fn drain(
        &mut self,
        done: &mpsc::Receiver<std::thread::Result<Done>>,
        sink: &mut dyn BlockSink,
        stats: &mut PipelineStats,
        keep: usize,
    ) -> Result<(), BlocksError> {
        while self.in_flight > keep {
            let block = match done.recv().expect("a worker answers every block") {
                Ok(block) => block,
                Err(panic) => std::panic::resume_unwind(panic),
            };
            self.waiting.insert(block.sequence, block);
            while let Some(block) = self.waiting.remove(&self.next) {
                self.next += 1;
                self.in_flight -= 1;
                let mut buffers = block.buffers;
                for intervention in &mut buffers.fired {
                    intervention.line = intervention.line.map(|line| line + self.lines);
                }
                self.lines += block.newlines;
                add(stats, block.stats);
                sink.fired(&buffers.fired).map_err(BlocksError::Output)?;
                buffers.fired.clear();
                self.spare.push(buffers);
            }
        }
        Ok(())
    }
}

/// One pipeline over `first` and then the rest of `reader`.
fn sequential(
    mut pipeline: Pipeline,
    reader: &mut dyn Read,
    first: Vec<u8>,
    sink: &mut dyn BlockSink,
    stats: &mut PipelineStats,
    now: Instant,
) -> Result<(), BlocksError> {
    let mut buffer = first;
    // Kept from read to read: a buffer new each time would take fresh pages from the kernel
    // (what a busy log fires in 256 KiB is more than the allocator keeps for reuse).
    let mut fired = Vec::new();
    loop {
        if !buffer.is_empty() {
            pipeline.push_into(&buffer, now, &mut fired);
            if let Err(err) = sink.fired(&fired) {
                // The totals still count what was matched before the reader went away.
                add(stats, pipeline.stats());
                return Err(BlocksError::Output(err));
            }
            fired.clear();
        }
        buffer.clear();
        // Like reading with one pipeline always did: an input error drops this file's totals.
        let ended = fill_some(reader, &mut buffer).map_err(BlocksError::Input)?;
        if ended && buffer.is_empty() {
            break;
        }
    }
    let fired = pipeline.finish(now);
    let written = sink.fired(&fired);
    add(stats, pipeline.stats());
    written.map_err(BlocksError::Output)
}

fn add(total: &mut PipelineStats, block: PipelineStats) {
    total.bytes += block.bytes;
    total.lines += block.lines;
    total.matched_lines += block.matched_lines;
    total.matches += block.matches;
}

/// Reads until `buffer` holds a block or the input ends; says whether it ended.
fn fill(reader: &mut dyn Read, buffer: &mut Vec<u8>) -> io::Result<bool> {
    while buffer.len() < BLOCK {
        if fill_some(reader, buffer)? {
            return Ok(true);
        }
    }
    Ok(false)
}

/// One read of up to 256 KiB appended to `buffer`; says whether the input ended.
fn fill_some(reader: &mut dyn Read, buffer: &mut Vec<u8>) -> io::Result<bool> {
    const READ: usize = 256 * 1024;
    let old = buffer.len();
    buffer.resize(old + READ, 0);
    loop {
        match reader.read(&mut buffer[old..]) {
            Ok(read) => {
                buffer.truncate(old + read);
                return Ok(read == 0);
            }
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => {
                buffer.truncate(old);
                return Err(err);
            }
        }
    }
}
