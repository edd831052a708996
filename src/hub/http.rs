//! The HTTP side of a connection: read the request head, answer plain requests, and hand the
//! bytes already read back to the WebSocket handshake.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};

/// Requests with a larger head are refused.
const MAX_HEAD: usize = 16 * 1024;

/// The parts of a request head the hub decides on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestHead {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub authorization: Option<String>,
    pub origin: Option<String>,
    pub upgrade_websocket: bool,
    /// Every byte read so far, to be replayed into the WebSocket handshake.
    pub raw: Vec<u8>,
}

impl RequestHead {
    /// A query parameter, undecoded (ids and the like never need decoding).
    pub fn query_param(&self, name: &str) -> Option<&str> {
        self.query.as_deref()?.split('&').find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
    }
}

/// Reads until the end of the request head. `Ok(None)`: the peer closed first.
pub async fn read_head<S: AsyncRead + Unpin>(stream: &mut S) -> io::Result<Option<RequestHead>> {
    let mut raw = Vec::with_capacity(1024);
    let mut buffer = [0u8; 2048];
    loop {
        let read = stream.read(&mut buffer).await?;
        if read == 0 {
            return Ok(None);
        }
        raw.extend_from_slice(&buffer[..read]);
        let mut headers = [httparse::EMPTY_HEADER; 48];
        let mut request = httparse::Request::new(&mut headers);
        match request.parse(&raw) {
            Ok(httparse::Status::Complete(_)) => return Ok(Some(head_of(&request, raw.clone()))),
            Ok(httparse::Status::Partial) if raw.len() < MAX_HEAD => continue,
            Ok(httparse::Status::Partial) => {
                return Err(io::Error::new(io::ErrorKind::InvalidData, "request head too large"))
            }
            Err(err) => return Err(io::Error::new(io::ErrorKind::InvalidData, format!("bad request: {err}"))),
        }
    }
}

fn head_of(request: &httparse::Request, raw: Vec<u8>) -> RequestHead {
    let header = |name: &str| {
        request
            .headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .and_then(|h| std::str::from_utf8(h.value).ok())
            .map(str::to_owned)
    };
    let target = request.path.unwrap_or("/");
    let (path, query) = match target.split_once('?') {
        Some((path, query)) => (path.to_owned(), Some(query.to_owned())),
        None => (target.to_owned(), None),
    };
    RequestHead {
        method: request.method.unwrap_or("").to_owned(),
        path,
        query,
        authorization: header("authorization"),
        origin: header("origin"),
        upgrade_websocket: header("upgrade").is_some_and(|v| v.eq_ignore_ascii_case("websocket")),
        raw,
    }
}

/// Writes a small plain-text response and closes the write side.
pub async fn respond<S: AsyncWrite + Unpin>(stream: &mut S, status: u16, reason: &str, body: &str) -> io::Result<()> {
    let response = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(response.as_bytes()).await?;
    stream.shutdown().await
}

/// A stream that first yields bytes already read from it.
pub struct Replay<S> {
    prefix: Vec<u8>,
    position: usize,
    inner: S,
}

impl<S> Replay<S> {
    pub fn new(prefix: Vec<u8>, inner: S) -> Self {
        Replay { prefix, position: 0, inner }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Replay<S> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if this.position < this.prefix.len() {
            let rest = &this.prefix[this.position..];
            let take = rest.len().min(buf.remaining());
            buf.put_slice(&rest[..take]);
            this.position += take;
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut this.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Replay<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn parses_the_head_and_replays_it() {
        let request = b"GET /worker?task_id=abc123&x=1 HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer t\r\nUpgrade: WebSocket\r\n\r\nrest";
        let mut reader = &request[..];
        let head = read_head(&mut reader).await.unwrap().unwrap();
        assert_eq!((head.method.as_str(), head.path.as_str()), ("GET", "/worker"));
        assert_eq!(head.query_param("task_id"), Some("abc123"));
        assert_eq!(head.authorization.as_deref(), Some("Bearer t"));
        assert!(head.upgrade_websocket);
        assert_eq!(head.origin, None);
        let mut replay = Replay::new(head.raw.clone(), &b""[..]);
        let mut all = Vec::new();
        replay.read_to_end(&mut all).await.unwrap();
        assert_eq!(all, request);
    }
}
