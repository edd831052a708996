//! Arbitrary bytes as the first thing a TCP peer sends the hub: `read_head`, the HTTP request-head
//! parser that runs before any authentication, on bytes from anyone who can reach the port.
//!
//! The peer's bytes arrive in reads cut at fuzzer-chosen points. Checked:
//! - no panic, and the parser always finishes (`Ok(None)` at end of input at the latest);
//! - a parsed head's `raw` is exactly the bytes read so far, a prefix of the input, and it holds a
//!   whole head;
//! - the path holds no `?` (that is the query's), and `query_param` never panics;
//! - the fields parsed do not depend on where the reads were cut.
#![no_main]

mod common;

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use axiom::hub::http::{read_head, RequestHead};
use libfuzzer_sys::fuzz_target;
use tokio::io::{AsyncRead, ReadBuf};

fuzz_target!(|data: &[u8]| {
    let (body, chunks) = common::chunks(data);
    let chunked = parse(Reads { chunks: chunks.iter().map(|c| c.bytes).filter(|c| !c.is_empty()).collect(), next: 0 });
    let whole = parse(Reads { chunks: vec![body], next: 0 });
    for head in [&chunked, &whole].into_iter().flatten() {
        assert!(body.starts_with(&head.raw), "raw is not what was read");
        assert!(!head.path.contains('?'));
        for name in ["task_id", "", "=", "&"] {
            let _ = head.query_param(name);
        }
    }
    if let (Some(a), Some(b)) = (&chunked, &whole) {
        let fields = |h: &RequestHead| {
            (
                h.method.clone(),
                h.path.clone(),
                h.query.clone(),
                h.authorization.clone(),
                h.origin.clone(),
                h.upgrade_websocket,
            )
        };
        assert_eq!(fields(a), fields(b), "where reads were cut changed the head");
    }
});

/// Runs `read_head` to completion; the reader never returns `Pending`, so no runtime is needed.
fn parse(mut reads: Reads<'_>) -> Option<RequestHead> {
    let mut future = std::pin::pin!(read_head(&mut reads));
    let mut context = Context::from_waker(Waker::noop());
    for _ in 0..1_000_000 {
        if let Poll::Ready(result) = future.as_mut().poll(&mut context) {
            return result.ok().flatten();
        }
    }
    panic!("read_head did not finish on a reader that is always ready");
}

/// A peer that sends its bytes in the given pieces (a read returns at most one piece).
struct Reads<'a> {
    chunks: Vec<&'a [u8]>,
    next: usize,
}

impl AsyncRead for Reads<'_> {
    fn poll_read(mut self: Pin<&mut Self>, _: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if let Some(chunk) = this.chunks.get(this.next).copied() {
            let take = chunk.len().min(buf.remaining());
            buf.put_slice(&chunk[..take]);
            if take == chunk.len() {
                this.next += 1;
            } else {
                this.chunks[this.next] = &chunk[take..];
            }
        }
        Poll::Ready(Ok(()))
    }
}
