//! Cutting a running task's history down to its newest events.
//!
//! A task that prints without end (`cat /dev/zero`), that is fed without end (`axiom client
//! --command cat < big`), or that prints lines rules fire on without end (each intervention, its
//! command and its acknowledgement take far more room than the line that set it off) must not fill
//! the disk. Once its history outgrows its limit, it is rewritten as:
//!
//! - every event a restart needs, from the dropped part: spawn, status, terminal size, cgroup,
//!   tamper records, commands not yet acknowledged, kills (a killed task stays killed), the newest
//!   acknowledgement (ids are never used again) and the newest count of piped bytes;
//! - the newest intervention records of the dropped part (with their commands and
//!   acknowledgements), up to a budget, a quarter of the limit; older ones are dropped and counted;
//! - a `truncated` event saying where the kept output starts and how many intervention records
//!   all cuts so far have dropped;
//! - then the newest part of the file as it was (half the limit), every event in it.
//!
//! So a task's whole history stays within its limit, and a task fed a line a second for a month,
//! or one that sets off a rule on every line, keeps a history of bounded size. The new file is
//! written beside the old one and renamed over it, so a crash leaves one or the other whole.
//! A cut reads the file three times and writes less than the limit, and cuts happen once per
//! quarter of the limit written, so the cost stays proportional to what is written.

use std::fs::{self, OpenOptions};
use std::io::{self, BufReader, BufWriter, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use super::read::{
    acknowledged_id, first_hole, header_number, input_command_id, is_input_piped, is_output, next_line, open_history,
    output_at, output_end, NextLine,
};
use super::Event;

/// Rewrites the history at `path` to keep about its last `keep` bytes of events, what a restart
/// needs from before them, and of the intervention records before them the newest that fit in
/// `records` bytes.
pub(super) fn keep_newest(path: &Path, keep: u64, records: u64) -> io::Result<()> {
    // Opened as every history is: a FIFO or a device a task put in its place must not hang the
    // journal, and lines longer than any event are passed over (see [`next_line`]).
    let source = open_history(path)?;
    // A hole is none of axiom's writing (`truncate -s 60G`): reading it three times would hold up
    // every task's history for as long as it takes.
    let len = source.metadata()?.len();
    if let Some(hole) = first_hole(&source)?.filter(|&hole| hole < len) {
        return Err(io::Error::new(io::ErrorKind::InvalidData, format!("a hole at byte {hole} of {len}")));
    }

    let commands = Commands::in_history(path)?;
    let cut = len.saturating_sub(keep);
    let mut to_drop = record_bytes_before(path, cut, &commands)?.saturating_sub(records);
    let mut reader = BufReader::with_capacity(1024 * 1024, source);
    let temporary = path.with_file_name(".events.jsonl.cut");
    match fs::symlink_metadata(&temporary) {
        Ok(meta) if meta.is_file() => fs::remove_file(&temporary)?,
        Ok(_) => return Err(io::Error::other(format!("{} is not a regular file", temporary.display()))),
        Err(_) => {}
    }
    let file =
        OpenOptions::new().write(true).create_new(true).mode(0o600).custom_flags(libc::O_NOFOLLOW).open(&temporary)?;
    let mut out = BufWriter::with_capacity(1024 * 1024, file);

    // The dropped part: keep what a restart needs, but no older cut marker, and of the input that
    // was written only the newest acknowledgement (its id is never to be used again) and the
    // newest count of piped bytes; and the newest intervention records, the oldest being dropped
    // until the rest fit in `records`.
    let mut position = 0u64;
    let mut line = Vec::new();
    let mut last_dropped_output = Vec::new();
    let mut last_dropped_ack: Option<(u64, Vec<u8>)> = None;
    let mut last_piped = Vec::new();
    let mut forgotten = commands.forgotten;
    while position < cut {
        match next_line(&mut reader, &mut line)? {
            NextLine::Whole(read) => position += read as u64,
            NextLine::TooLong(read) => {
                position += read;
                continue;
            }
            NextLine::End => break,
        }
        let record = commands.record(&line);
        if is_output(&line) {
            std::mem::swap(&mut last_dropped_output, &mut line);
        } else if is_input_piped(&line) {
            std::mem::swap(&mut last_piped, &mut line);
        } else if record.is_some() && to_drop > 0 {
            to_drop = to_drop.saturating_sub(line.len() as u64);
            if let Some(id) = acknowledged_id(&line) {
                if last_dropped_ack.as_ref().is_none_or(|(newest, _)| id > *newest) {
                    last_dropped_ack = Some((id, line.clone()));
                }
            }
            forgotten += u64::from(record == Some(Record::Intervention));
        } else if let Some(id) = acknowledged_id(&line).filter(|&id| commands.written_input(id)) {
            if last_dropped_ack.as_ref().is_none_or(|(newest, _)| id > *newest) {
                last_dropped_ack = Some((id, line.clone()));
            }
        } else if !line.starts_with(TRUNCATED_PREFIX)
            && !input_command_id(&line).is_some_and(|id| commands.written_input(id))
        {
            out.write_all(&line)?;
        }
    }
    out.write_all(&last_piped)?;
    if let Some((_, acknowledgement)) = last_dropped_ack {
        out.write_all(&acknowledgement)?;
    }
    // Where the kept output starts: at the first output event kept, else after the last dropped.
    let mut held = Vec::new();
    let mut before = None;
    loop {
        match next_line(&mut reader, &mut line)? {
            NextLine::Whole(_) => {}
            NextLine::TooLong(_) => continue,
            NextLine::End => break,
        }
        let output = is_output(&line);
        held.push(std::mem::take(&mut line));
        if output {
            before = output_at(held.last().expect("just pushed"));
            break;
        }
    }
    let before = before.or_else(|| output_end(&last_dropped_output)).unwrap_or(0);
    let marker = Event::Truncated { before, at: crate::tasks::now_ms(), interventions: forgotten };
    serde_json::to_writer(&mut out, &marker).map_err(io::Error::other)?;
    out.write_all(b"\n")?;
    for line in held {
        out.write_all(&line)?;
    }
    io::copy(&mut reader, &mut out)?;
    let file = out.into_inner().map_err(|err| err.into_error())?;
    file.sync_data()?;
    fs::rename(&temporary, path)
}

const TRUNCATED_PREFIX: &[u8] = b"{\"type\":\"truncated\"";
const INTERVENTION_PREFIX: &[u8] = b"{\"type\":\"intervention\",";
const INTERVENE_PREFIX: &[u8] = b"{\"type\":\"command\",\"command\":{\"type\":\"intervene\",";

/// A line of a history that belongs to the record of what the rules did, which a cut may drop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Record {
    Intervention,
    /// An intervention's command, or its acknowledgement.
    Delivery,
}

/// The bytes of the record lines before byte `cut`.
fn record_bytes_before(path: &Path, cut: u64, commands: &Commands) -> io::Result<u64> {
    let mut reader = BufReader::with_capacity(1024 * 1024, open_history(path)?);
    let (mut position, mut total) = (0u64, 0u64);
    let mut line = Vec::new();
    while position < cut {
        match next_line(&mut reader, &mut line)? {
            NextLine::Whole(read) => {
                position += read as u64;
                if commands.record(&line).is_some() {
                    total += read as u64;
                }
            }
            NextLine::TooLong(read) => position += read,
            NextLine::End => break,
        }
    }
    Ok(total)
}

/// What a history says of its commands: which were input, which were interventions other than
/// kills, and which were acknowledged (all sorted, for a history of millions of small commands);
/// and how many intervention records earlier cuts dropped.
struct Commands {
    inputs: Vec<u64>,
    interventions: Vec<u64>,
    acknowledged: Vec<u64>,
    forgotten: u64,
}

impl Commands {
    fn in_history(path: &Path) -> io::Result<Commands> {
        let mut reader = BufReader::with_capacity(1024 * 1024, open_history(path)?);
        let mut commands =
            Commands { inputs: Vec::new(), interventions: Vec::new(), acknowledged: Vec::new(), forgotten: 0 };
        let mut line = Vec::new();
        loop {
            match next_line(&mut reader, &mut line)? {
                NextLine::Whole(_) => {}
                NextLine::TooLong(_) => continue,
                NextLine::End => break,
            }
            commands.inputs.extend(input_command_id(&line));
            commands.interventions.extend(intervention_command_id(&line));
            commands.acknowledged.extend(acknowledged_id(&line));
            if line.starts_with(TRUNCATED_PREFIX) {
                if let Ok(Event::Truncated { interventions, .. }) = serde_json::from_slice(&line) {
                    commands.forgotten = commands.forgotten.max(interventions);
                }
            }
        }
        for ids in [&mut commands.inputs, &mut commands.interventions, &mut commands.acknowledged] {
            ids.sort_unstable();
            ids.dedup();
        }
        Ok(commands)
    }

    /// Whether command `id` was input that the worker acknowledged.
    fn written_input(&self, id: u64) -> bool {
        self.inputs.binary_search(&id).is_ok() && self.acknowledged.binary_search(&id).is_ok()
    }

    /// Whether command `id` was an intervention, not a kill, that the worker acknowledged.
    fn delivered_intervention(&self, id: u64) -> bool {
        self.interventions.binary_search(&id).is_ok() && self.acknowledged.binary_search(&id).is_ok()
    }

    /// Whether `line` is part of the record of interventions a cut may drop: a record, or the
    /// command of one that was delivered (a command still owed is resent after a restart, a kill
    /// keeps a task killed), or its acknowledgement.
    fn record(&self, line: &[u8]) -> Option<Record> {
        if line.starts_with(INTERVENTION_PREFIX) {
            return Some(Record::Intervention);
        }
        let id = intervention_command_id(line).or_else(|| acknowledged_id(line))?;
        self.delivered_intervention(id).then_some(Record::Delivery)
    }
}

/// The id of an intervention's command line, unless it is a kill.
fn intervention_command_id(line: &[u8]) -> Option<u64> {
    if !line.starts_with(INTERVENE_PREFIX) {
        return None;
    }
    // Our own serialization: `id` and `action` in the line's first bytes.
    let head = &line[..line.len().min(160)];
    if memchr::memmem::find(head, b"\"action\":\"kill\"").is_some() {
        return None;
    }
    header_number(line, b"\"id\":")
}
