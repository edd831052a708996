//! The child's input, owned by one writer task.
//!
//! `tokio::process::Child::wait()` closes stdin, and several actions may write at once (an injection
//! while a caller writes raw input), so the write end lives in a task of its own that takes requests
//! from a queue and answers each through a oneshot. Requests run one at a time, in order: the text and
//! the Enter of an injection can never be split by another write. A request whose caller stopped
//! waiting is abandoned where it stands (part of it may have been written).

use std::io;
use std::pin::Pin;
use std::time::Duration;

use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::sync::{mpsc, oneshot};

/// The writable end of a child's input (the stdin pipe or the PTY master).
pub(crate) type Sink = Pin<Box<dyn AsyncWrite + Send>>;

/// How many requests may wait for the writer before senders wait too.
const QUEUE: usize = 32;

/// What closing the input means for a driver.
#[derive(Debug, Clone, Copy)]
pub(crate) enum CloseMode {
    /// Drop the write end: the child reads end of file (pipes).
    Drop,
    /// Write this byte: a terminal in line mode turns Ctrl-D (`0x04`) into end of file, and the write
    /// end must stay open because it is also how the terminal's output is kept alive (PTY).
    Send(u8),
}

/// One request to the writer task.
pub(crate) enum Request {
    /// Write `first`; then, if `then` is given, wait its delay and write its bytes.
    Write { first: Vec<u8>, then: Option<(Duration, &'static [u8])>, reply: oneshot::Sender<io::Result<()>> },
    /// Close the input (see [`CloseMode`]).
    Close { reply: oneshot::Sender<()> },
}

/// The sending side: cloned into every [`ChildHandle`](super::ChildHandle).
#[derive(Debug, Clone)]
pub(crate) struct Input {
    queue: mpsc::Sender<Request>,
}

impl Input {
    /// Start the writer task for `sink`.
    pub(crate) fn start(sink: Sink, close: CloseMode) -> Input {
        let (queue, requests) = mpsc::channel(QUEUE);
        tokio::spawn(run(Some(sink), close, requests));
        Input { queue }
    }

    /// Write `first`, then optionally pause and write a second piece, as one uninterruptible request.
    pub(crate) async fn write(&self, first: Vec<u8>, then: Option<(Duration, &'static [u8])>) -> io::Result<()> {
        let (reply, answer) = oneshot::channel();
        let request = Request::Write { first, then, reply };
        if self.queue.send(request).await.is_err() {
            return Err(closed());
        }
        answer.await.unwrap_or_else(|_| Err(closed()))
    }

    /// Close the input after every write queued before this call.
    pub(crate) async fn close(&self) {
        let (reply, answer) = oneshot::channel();
        if self.queue.send(Request::Close { reply }).await.is_ok() {
            let _ = answer.await;
        }
    }
}

fn closed() -> io::Error {
    io::Error::new(io::ErrorKind::BrokenPipe, "the child's input is closed")
}

async fn run(mut sink: Option<Sink>, close: CloseMode, mut requests: mpsc::Receiver<Request>) {
    while let Some(request) = requests.recv().await {
        match request {
            Request::Write { first, then, mut reply } => {
                // A caller that gave up waiting (its write timed out) abandons the write, so a
                // child that never reads cannot hold every later write hostage.
                let result = tokio::select! {
                    result = write_all(&mut sink, &first, then) => result,
                    () = reply.closed() => continue,
                };
                let _ = reply.send(result);
            }
            Request::Close { reply } => {
                match close {
                    CloseMode::Drop => {
                        if let Some(mut sink) = sink.take() {
                            let _ = sink.shutdown().await;
                        }
                    }
                    CloseMode::Send(byte) => {
                        let _ = write_all(&mut sink, &[byte], None).await;
                    }
                }
                let _ = reply.send(());
            }
        }
    }
}

async fn write_all(sink: &mut Option<Sink>, first: &[u8], then: Option<(Duration, &'static [u8])>) -> io::Result<()> {
    let sink = sink.as_mut().ok_or_else(closed)?;
    sink.write_all(first).await?;
    sink.flush().await?;
    if let Some((delay, bytes)) = then {
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        sink.write_all(bytes).await?;
        sink.flush().await?;
    }
    Ok(())
}
