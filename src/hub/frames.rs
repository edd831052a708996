//! Turning WebSocket frames into protocol messages and back, the same way for workers and clients.

use futures_util::{Sink, SinkExt};
use serde::de::DeserializeOwned;
use serde::Serialize;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

/// What one read from a socket amounts to.
pub enum Incoming<T> {
    Message(T),
    /// Not valid JSON for this conversation: answered with an error, the connection stays open.
    Malformed(String),
    /// Control frames and the like: nothing to do.
    Nothing,
    /// The peer closed, or the connection failed.
    Closed,
    /// The peer sent a message over the size limit: close with 1009.
    TooBig,
}

pub fn decode<T: DeserializeOwned>(frame: Option<Result<Message, WsError>>) -> Incoming<T> {
    match frame {
        Some(Ok(Message::Text(text))) => match serde_json::from_str(text.as_str()) {
            Ok(message) => Incoming::Message(message),
            Err(err) => Incoming::Malformed(format!("malformed message: {err}")),
        },
        Some(Ok(Message::Binary(_))) => {
            Incoming::Malformed("binary frames are not part of the protocol; send JSON text".into())
        }
        Some(Ok(Message::Close(_))) | None => Incoming::Closed,
        Some(Ok(_)) => Incoming::Nothing,
        Some(Err(WsError::Capacity(_))) => Incoming::TooBig,
        Some(Err(_)) => Incoming::Closed,
    }
}

pub fn encode<T: Serialize>(message: &T) -> Message {
    Message::text(serde_json::to_string(message).expect("protocol messages always serialize"))
}

pub async fn send<S, T>(sink: &mut S, message: &T) -> Result<(), WsError>
where
    S: Sink<Message, Error = WsError> + Unpin,
    T: Serialize,
{
    sink.send(encode(message)).await
}

/// Closes with 1009 (message too big), as RFC 6455 asks.
pub async fn close_too_big<S>(sink: &mut S, limit: usize)
where
    S: Sink<Message, Error = WsError> + Unpin,
{
    let frame = CloseFrame { code: CloseCode::Size, reason: format!("message larger than {limit} bytes").into() };
    let _ = sink.send(Message::Close(Some(frame))).await;
}

/// Closes with 1001 (going away): the hub is shutting down; workers will reconnect to its successor.
pub async fn close_going_away<S>(sink: &mut S)
where
    S: Sink<Message, Error = WsError> + Unpin,
{
    let frame = CloseFrame { code: CloseCode::Away, reason: "the hub is shutting down".into() };
    let _ = sink.send(Message::Close(Some(frame))).await;
}
