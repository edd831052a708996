//! Connecting to a hub as a worker or a client: URL handling and the authenticated upgrade.

use anyhow::Context as _;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::header::AUTHORIZATION;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::hub::auth::Token;

pub type HubSocket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// `http://host:port`, `ws://host:port/` or `host:port` → `ws://host:port`; a bare `PORT` or
/// `:PORT` is on loopback, as `--listen` reads it.
pub fn normalize_server(server: &str) -> String {
    let server = server.trim().trim_end_matches('/');
    let port = server.strip_prefix(':').unwrap_or(server);
    if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) {
        return format!("ws://127.0.0.1:{port}");
    }
    if let Some(rest) = server.strip_prefix("http://") {
        format!("ws://{rest}")
    } else if let Some(rest) = server.strip_prefix("https://") {
        format!("wss://{rest}")
    } else if server.starts_with("ws://") || server.starts_with("wss://") {
        server.to_owned()
    } else {
        format!("ws://{server}")
    }
}

/// Opens `server` + `path` (e.g. `/client`) with `Authorization: Bearer <token>`.
pub async fn dial(server: &str, path: &str, token: &Token, max_message_size: usize) -> anyhow::Result<HubSocket> {
    let url = format!("{}{path}", normalize_server(server));
    let mut request = url.as_str().into_client_request().with_context(|| format!("bad hub address {url}"))?;
    let bearer = HeaderValue::from_str(&format!("Bearer {}", token.as_str()))
        .context("the token is not a valid header value")?;
    request.headers_mut().insert(AUTHORIZATION, bearer);
    let config =
        WebSocketConfig::default().max_message_size(Some(max_message_size)).max_frame_size(Some(max_message_size));
    let (socket, _) =
        tokio_tungstenite::connect_async_with_config(request, Some(config), true).await.map_err(|err| match err {
            tokio_tungstenite::tungstenite::Error::Http(response) => {
                let body =
                    response.body().as_deref().map(String::from_utf8_lossy).unwrap_or_default().trim().to_owned();
                anyhow::anyhow!("the hub at {url} refused the connection: HTTP {} {body}", response.status())
            }
            other => anyhow::anyhow!("cannot connect to the hub at {url}: {other}"),
        })?;
    Ok(socket)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_usual_spellings_of_a_hub_address() {
        assert_eq!(normalize_server("http://localhost:8080"), "ws://localhost:8080");
        assert_eq!(normalize_server("ws://127.0.0.1:9/"), "ws://127.0.0.1:9");
        assert_eq!(normalize_server("127.0.0.1:9"), "ws://127.0.0.1:9");
        assert_eq!(normalize_server("29466"), "ws://127.0.0.1:29466");
        assert_eq!(normalize_server(":29466"), "ws://127.0.0.1:29466");
    }
}
