//! Reading one output stream of a child into [`ChildEvent::Output`]s.
//!
//! One task per stream, so stdout and stderr are always drained concurrently and a child never blocks
//! on a full pipe because we were busy with the other one. The task does two things only: read, and
//! await room in the bounded `events` channel (the intended back-pressure).
//!
//! A chunk goes out the moment the channel has room, so a single line is never held back. While
//! the channel is full, the task keeps reading into the waiting chunk (up to [`READ_CHUNK`]): a
//! child printing a line per `write` then travels as a few large chunks instead of thousands of
//! tiny ones, exactly when the worker or the hub is the bottleneck.

use std::io;
use std::pin::Pin;

use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use super::{ChildEvent, ExitInfo, OutputStream, Timing, READ_CHUNK};

/// A readable end of a child's stream (a pipe or the PTY master).
pub(crate) type Source = Pin<Box<dyn AsyncRead + Send>>;

/// Read `source` until end of file and send every chunk as `stream` output.
///
/// `exit` turns `Some` when the child was reaped; from then on the drain limits of `timing` apply (see
/// the module docs of [`super`]). If nobody listens on `events` any more the stream is still read to
/// the end, so the child never blocks on a full pipe.
pub(crate) async fn pump(
    mut source: Source,
    stream: OutputStream,
    events: mpsc::Sender<ChildEvent>,
    mut exit: watch::Receiver<Option<ExitInfo>>,
    timing: Timing,
) {
    let mut exited_at: Option<Instant> = None;
    let mut listening = true;
    loop {
        // A fresh buffer per read: large chunks are sent as they are, with no copy.
        let mut buf = Vec::with_capacity(READ_CHUNK);
        let read = match exited_at {
            None => tokio::select! {
                biased;
                read = source.read_buf(&mut buf) => read,
                // `read_buf` is cancel safe: when the exit wins, no data was taken.
                _ = exit.wait_for(Option::is_some) => {
                    exited_at = Some(Instant::now());
                    continue;
                }
            },
            Some(at) => {
                let now = Instant::now();
                let stop = (now + timing.drain_idle).min(at + timing.drain_max);
                if now >= stop {
                    tracing::debug!(?stream, "stream still open after the child exited; stop reading");
                    break;
                }
                match tokio::time::timeout_at(stop, source.read_buf(&mut buf)).await {
                    Ok(read) => read,
                    Err(_elapsed) => {
                        tracing::debug!(?stream, "stream idle after the child exited; stop reading");
                        break;
                    }
                }
            }
        };
        match read {
            Ok(0) => break,
            Ok(_) if listening => match forward(&mut source, buf, stream, &events).await {
                Forwarded::Sent => {}
                Forwarded::SentAndEnded => break,
                Forwarded::NobodyListens => listening = false,
            },
            Ok(_) => {}
            Err(err) if is_end_of_stream(&err) => break,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => {
                tracing::debug!(?stream, %err, "reading child output failed; treating as end of stream");
                break;
            }
        }
    }
}

enum Forwarded {
    Sent,
    /// The stream ended while the chunk waited; what was read before is sent.
    SentAndEnded,
    NobodyListens,
}

/// Sends `buf` as soon as `events` has room, reading more into it while it waits.
async fn forward(
    source: &mut Source,
    mut buf: Vec<u8>,
    stream: OutputStream,
    events: &mpsc::Sender<ChildEvent>,
) -> Forwarded {
    let mut ended = false;
    let permit = loop {
        tokio::select! {
            biased;
            permit = events.reserve() => break permit,
            // `read_buf` fills the spare capacity, so the chunk never grows past `READ_CHUNK`.
            read = source.read_buf(&mut buf), if !ended && buf.len() < buf.capacity() => match read {
                Ok(0) => ended = true,
                Ok(_) => {}
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                // As in `pump`, a failed read ends the stream.
                Err(_) => ended = true,
            },
        }
    };
    let Ok(permit) = permit else { return Forwarded::NobodyListens };
    // Small chunks are the common case for interactive output; do not park 64 KiB for them.
    if buf.len() < READ_CHUNK / 4 {
        buf.shrink_to_fit();
    }
    permit.send(ChildEvent::Output { stream, data: buf });
    if ended {
        Forwarded::SentAndEnded
    } else {
        Forwarded::Sent
    }
}

/// On Linux, reading the PTY master after the last holder of the terminal closed it fails with `EIO`:
/// that is the end of the stream, not a failure.
fn is_end_of_stream(err: &io::Error) -> bool {
    err.raw_os_error() == Some(libc::EIO)
}
