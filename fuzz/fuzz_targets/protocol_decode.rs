//! Arbitrary bytes into every WebSocket message type, as the hub and the worker decode them.
//!
//! - decoding never panics (it returns `Ok` or `Err`);
//! - whatever decodes re-encodes, and the re-encoded JSON decodes to an equal value;
//! - every `Payload` inside a decoded message (or decoded on its own) turns into bytes without
//!   panicking, and `Payload::from_bytes` of the raw input round-trips exactly.
#![no_main]

use std::fmt::Debug;

use axiom::protocol::{ClientRequest, HubToClient, HubToWorker, Payload, WorkerMessage};
use libfuzzer_sys::fuzz_target;
use serde::de::DeserializeOwned;
use serde::Serialize;

fuzz_target!(|data: &[u8]| {
    if let Some(message) = round_trip::<WorkerMessage>(data) {
        if let WorkerMessage::Output { payload, .. } = message {
            payload_bytes(payload);
        }
    }
    if let Some(message) = round_trip::<HubToWorker>(data) {
        if let HubToWorker::Input { payload, .. } = message {
            payload_bytes(payload);
        }
    }
    round_trip::<ClientRequest>(data);
    if let Some(message) = round_trip::<HubToClient>(data) {
        if let HubToClient::OutputChunk { payload, .. } | HubToClient::Output { payload, .. } = message {
            payload_bytes(payload);
        }
    }
    if let Some(payload) = round_trip::<Payload>(data) {
        payload_bytes(payload);
    }

    // Whatever a child prints survives the wire unchanged.
    let payload = Payload::from_bytes(data);
    let json = serde_json::to_vec(&payload).expect("a payload always encodes");
    let back: Payload = serde_json::from_slice(&json).expect("an encoded payload decodes");
    assert_eq!(back.into_bytes().expect("an encoded payload holds valid data"), data);
});

/// Decodes `data` as a `T`; if that works, checks that encoding and decoding again is lossless.
fn round_trip<T: Serialize + DeserializeOwned + PartialEq + Debug>(data: &[u8]) -> Option<T> {
    let value: T = serde_json::from_slice(data).ok()?;
    let json = serde_json::to_vec(&value).expect("a decoded message encodes");
    let again: T = serde_json::from_slice(&json).unwrap_or_else(|err| {
        panic!(
            "re-encoded message does not decode: {err}\n  input: {:?}\n  json:  {}",
            String::from_utf8_lossy(data),
            String::from_utf8_lossy(&json)
        )
    });
    assert_eq!(value, again, "round trip changed the message; json: {}", String::from_utf8_lossy(&json));
    Some(value)
}

/// A payload from the wire: decoding its data may fail (bad base64), never panic.
fn payload_bytes(payload: Payload) {
    let base64 = payload.base64;
    let text = payload.data.clone();
    match payload.into_bytes() {
        Ok(bytes) if !base64 => assert_eq!(bytes, text.as_bytes()),
        Ok(bytes) => {
            // Valid base64 re-encodes to the same bytes (the alphabet is canonical).
            let again = Payload::from_bytes(&bytes).into_bytes().expect("from_bytes output decodes");
            assert_eq!(again, bytes);
        }
        Err(_) => assert!(base64, "plain text never fails to decode"),
    }
}
