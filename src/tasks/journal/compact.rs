//! Cutting a running task's history down to its newest output.
//!
//! A task that prints without end (`cat /dev/zero`), or that is fed without end (`axiom client
//! --command cat < big`), must not fill the disk. Once its history outgrows its limit, it is
//! rewritten as: every event that is not output (spawn, status, interventions and their
//! acknowledgements — what a restart needs), except input the worker acknowledged (of which the
//! newest acknowledgement and count of piped bytes stand for all), a `truncated` event saying
//! where the kept output starts, then the newest part of the file as it was. So a task fed a line
//! a second for a month keeps a history of bounded size too. The new file is
//! written beside the old one and renamed over it, so a crash leaves one or the other whole.
//! Each byte is copied at most about once per cut, and cuts happen once per `keep` bytes
//! written, so the cost stays proportional to the output.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use super::read::{acknowledged_id, input_command_id, is_input_piped, is_output, output_at, output_end};
use super::Event;

/// Rewrites the history at `path` to keep about its last `keep` bytes of events, and every
/// event that is not output.
pub(super) fn keep_newest(path: &Path, keep: u64) -> io::Result<()> {
    let commands = Commands::in_history(path)?;
    let source = File::open(path)?;
    let len = source.metadata()?.len();
    let cut = len.saturating_sub(keep);
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

    // The dropped part: keep what is not output, but no older cut marker, and of the input that
    // was written only the newest acknowledgement (its id is never to be used again) and the
    // newest count of piped bytes: a restart needs nothing more of it.
    let mut position = 0u64;
    let mut line = Vec::new();
    let mut last_dropped_output = Vec::new();
    let mut last_written_input: Option<(u64, Vec<u8>)> = None;
    let mut last_piped = Vec::new();
    while position < cut {
        line.clear();
        let read = reader.read_until(b'\n', &mut line)?;
        if read == 0 || line.last() != Some(&b'\n') {
            break;
        }
        position += read as u64;
        if is_output(&line) {
            std::mem::swap(&mut last_dropped_output, &mut line);
        } else if is_input_piped(&line) {
            std::mem::swap(&mut last_piped, &mut line);
        } else if let Some(id) = acknowledged_id(&line).filter(|&id| commands.written_input(id)) {
            if last_written_input.as_ref().is_none_or(|(newest, _)| id > *newest) {
                last_written_input = Some((id, line.clone()));
            }
        } else if !line.starts_with(b"{\"type\":\"truncated\"")
            && !input_command_id(&line).is_some_and(|id| commands.written_input(id))
        {
            out.write_all(&line)?;
        }
    }
    out.write_all(&last_piped)?;
    if let Some((_, acknowledgement)) = last_written_input {
        out.write_all(&acknowledgement)?;
    }
    // Where the kept output starts: at the first output event kept, else after the last dropped.
    let mut held = Vec::new();
    let mut before = None;
    loop {
        line.clear();
        let read = reader.read_until(b'\n', &mut line)?;
        if read == 0 || line.last() != Some(&b'\n') {
            break;
        }
        let output = is_output(&line);
        held.push(std::mem::take(&mut line));
        if output {
            before = output_at(held.last().expect("just pushed"));
            break;
        }
    }
    let before = before.or_else(|| output_end(&last_dropped_output)).unwrap_or(0);
    let marker = Event::Truncated { before, at: crate::tasks::now_ms() };
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

/// What a history says of its commands: which were input, and which were acknowledged (both
/// sorted, for a history of millions of small inputs).
struct Commands {
    inputs: Vec<u64>,
    acknowledged: Vec<u64>,
}

impl Commands {
    fn in_history(path: &Path) -> io::Result<Commands> {
        let mut reader = BufReader::with_capacity(1024 * 1024, File::open(path)?);
        let mut commands = Commands { inputs: Vec::new(), acknowledged: Vec::new() };
        let mut line = Vec::new();
        loop {
            line.clear();
            if reader.read_until(b'\n', &mut line)? == 0 {
                break;
            }
            commands.inputs.extend(input_command_id(&line));
            commands.acknowledged.extend(acknowledged_id(&line));
        }
        for ids in [&mut commands.inputs, &mut commands.acknowledged] {
            ids.sort_unstable();
            ids.dedup();
        }
        Ok(commands)
    }

    /// Whether command `id` was input that the worker acknowledged.
    fn written_input(&self, id: u64) -> bool {
        self.inputs.binary_search(&id).is_ok() && self.acknowledged.binary_search(&id).is_ok()
    }
}
