//! Cutting a running task's history down to its newest output.
//!
//! A task that prints without end (`cat /dev/zero`), or that is fed without end (`axiom client
//! --command cat < big`), must not fill the disk. Once its history outgrows its limit, it is
//! rewritten as: every event that is not output (spawn, status, interventions and their
//! acknowledgements — what a restart needs) but input the worker acknowledged, a `truncated`
//! event saying where the kept output starts, then the newest part of the file as it was. The new file is
//! written beside the old one and renamed over it, so a crash leaves one or the other whole.
//! Each byte is copied at most about once per cut, and cuts happen once per `keep` bytes
//! written, so the cost stays proportional to the output.

use std::collections::HashSet;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use super::read::{acknowledged_id, input_command_id, is_output, output_at, output_end};
use super::Event;

/// Rewrites the history at `path` to keep about its last `keep` bytes of events, and every
/// event that is not output.
pub(super) fn keep_newest(path: &Path, keep: u64) -> io::Result<()> {
    let acknowledged = acknowledged_ids(path)?;
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

    // The dropped part: keep what is not output (nor an older cut marker, nor input that was
    // written: its acknowledgement stays, and a restart needs nothing more of it).
    let mut position = 0u64;
    let mut line = Vec::new();
    let mut last_dropped_output = Vec::new();
    while position < cut {
        line.clear();
        let read = reader.read_until(b'\n', &mut line)?;
        if read == 0 || line.last() != Some(&b'\n') {
            break;
        }
        position += read as u64;
        if is_output(&line) {
            std::mem::swap(&mut last_dropped_output, &mut line);
        } else if !line.starts_with(b"{\"type\":\"truncated\"")
            && !input_command_id(&line).is_some_and(|id| acknowledged.contains(&id))
        {
            out.write_all(&line)?;
        }
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

/// The ids of the commands the history acknowledges.
fn acknowledged_ids(path: &Path) -> io::Result<HashSet<u64>> {
    let mut reader = BufReader::with_capacity(1024 * 1024, File::open(path)?);
    let mut ids = HashSet::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line)? == 0 {
            return Ok(ids);
        }
        ids.extend(acknowledged_id(&line));
    }
}
