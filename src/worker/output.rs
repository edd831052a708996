//! Reading one output stream of a child into [`ChildEvent::Output`]s.
//!
//! One task per stream, so stdout and stderr are always drained concurrently and a child never blocks
//! on a full pipe because we were busy with the other one. The task does two things only: read, and
//! await room in the bounded `events` channel (the intended back-pressure).

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
            Ok(n) => {
                // Small reads are the common case for interactive output; do not park 64 KiB for them.
                if n < READ_CHUNK / 4 {
                    buf.shrink_to_fit();
                }
                if listening {
                    let event = ChildEvent::Output { stream, data: buf };
                    listening = events.send(event).await.is_ok();
                }
            }
            Err(err) if is_end_of_stream(&err) => break,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => {
                tracing::debug!(?stream, %err, "reading child output failed; treating as end of stream");
                break;
            }
        }
    }
}

/// On Linux, reading the PTY master after the last holder of the terminal closed it fails with `EIO`:
/// that is the end of the stream, not a failure.
fn is_end_of_stream(err: &io::Error) -> bool {
    err.raw_os_error() == Some(libc::EIO)
}
