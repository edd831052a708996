//! A scripted stand-in for the Anthropic Messages API: loopback HTTP/1.1, one thread per
//! connection, streaming replies as server-sent events exactly as the real API frames them.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// One reply of the model: text and tool calls, in order.
#[derive(Debug, Clone, Default)]
pub struct Reply {
    blocks: Vec<Value>,
}

impl Reply {
    /// A reply that says `text` and ends the turn.
    pub fn text(text: &str) -> Self {
        Reply::default().then_text(text)
    }

    /// A reply that calls `tool` with `input` (the CLI runs it, or asks whether it may).
    pub fn tool(tool: &str, input: Value) -> Self {
        Reply::default().then_tool(tool, input)
    }

    pub fn then_text(mut self, text: &str) -> Self {
        self.blocks.push(json!({ "type": "text", "text": text }));
        self
    }

    pub fn then_tool(mut self, tool: &str, input: Value) -> Self {
        let id = format!("toolu_axiom_{:04}", self.blocks.len() + 1 + next_tool_number());
        self.blocks.push(json!({ "type": "tool_use", "id": id, "name": tool, "input": input }));
        self
    }

    fn calls_tools(&self) -> bool {
        self.blocks.iter().any(|block| block["type"] == "tool_use")
    }
}

fn next_tool_number() -> usize {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    NEXT.fetch_add(100, std::sync::atomic::Ordering::Relaxed)
}

/// The stand-in server. Stops accepting when dropped.
pub struct FakeApi {
    addr: SocketAddr,
    shared: Arc<Shared>,
}

#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    changed: Condvar,
}

#[derive(Default)]
struct State {
    script: VecDeque<Reply>,
    /// Streaming `/v1/messages` bodies, in arrival order.
    requests: Vec<Value>,
    /// When each streaming request arrived, for timing measurements.
    arrivals: Vec<Instant>,
    /// When the reply to each streaming request was completely sent (by request index).
    replied: Vec<(usize, Instant)>,
    stopped: bool,
}

impl FakeApi {
    /// Starts a server that answers the n-th streaming request with `script[n]`, and with
    /// `Reply::text("Done.")` once the script is used up.
    pub fn start(script: Vec<Reply>) -> FakeApi {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the stand-in API");
        let addr = listener.local_addr().unwrap();
        let shared = Arc::new(Shared::default());
        shared.state.lock().unwrap().script = script.into();
        let accepting = Arc::clone(&shared);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if accepting.state.lock().unwrap().stopped {
                    return;
                }
                let Ok(stream) = stream else { continue };
                let shared = Arc::clone(&accepting);
                std::thread::spawn(move || {
                    let _ = serve(stream, &shared);
                });
            }
        });
        FakeApi { addr, shared }
    }

    /// What `ANTHROPIC_BASE_URL` should be.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Queues more replies after the script.
    pub fn push(&self, reply: Reply) {
        self.shared.state.lock().unwrap().script.push_back(reply);
    }

    /// Every streaming request body so far.
    pub fn requests(&self) -> Vec<Value> {
        self.shared.state.lock().unwrap().requests.clone()
    }

    /// When each streaming request arrived.
    pub fn arrivals(&self) -> Vec<Instant> {
        self.shared.state.lock().unwrap().arrivals.clone()
    }

    /// When the reply to streaming request `index` (0-based) had been sent in full, if it has.
    pub fn reply_sent(&self, index: usize) -> Option<Instant> {
        self.shared.state.lock().unwrap().replied.iter().find(|(at, _)| *at == index).map(|(_, when)| *when)
    }

    /// Waits until `check` accepts the requests so far; panics with `what` and the user texts
    /// the model received after `timeout`.
    pub fn wait_for(&self, what: &str, timeout: Duration, check: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        let deadline = Instant::now() + timeout;
        let mut state = self.shared.state.lock().unwrap();
        loop {
            if check(&state.requests) {
                return state.requests.clone();
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                let seen: Vec<Vec<String>> = state.requests.iter().map(user_texts).collect();
                panic!("timed out after {timeout:?} waiting for {what}; the model received: {seen:#?}");
            }
            state = self.shared.changed.wait_timeout(state, left).unwrap().0;
        }
    }

    /// Waits until some request's user texts contain `needle`; returns that request's index.
    pub fn wait_for_user_text(&self, needle: &str, timeout: Duration) -> usize {
        let requests = self.wait_for(&format!("a request carrying {needle:?}"), timeout, |requests| {
            requests.iter().any(|request| user_texts(request).iter().any(|text| text.contains(needle)))
        });
        requests.iter().position(|request| user_texts(request).iter().any(|text| text.contains(needle))).unwrap()
    }
}

impl Drop for FakeApi {
    fn drop(&mut self) {
        self.shared.state.lock().unwrap().stopped = true;
        // Wake the accept loop so it sees `stopped`.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_millis(200));
    }
}

/// Every text the user side of a request holds: prompts, `text` blocks and tool results (as
/// `tool_result:` followed by the text, with `is_error` results as `tool_error:`).
pub fn user_texts(request: &Value) -> Vec<String> {
    let mut texts = Vec::new();
    for message in request["messages"].as_array().into_iter().flatten().filter(|m| m["role"] == "user") {
        match &message["content"] {
            Value::String(text) => texts.push(text.clone()),
            Value::Array(blocks) => {
                for block in blocks {
                    match block["type"].as_str() {
                        Some("text") => texts.push(block["text"].as_str().unwrap_or_default().to_owned()),
                        Some("tool_result") => {
                            let prefix = if block["is_error"] == true { "tool_error: " } else { "tool_result: " };
                            let content = match &block["content"] {
                                Value::String(text) => text.clone(),
                                Value::Array(parts) => {
                                    parts.iter().filter_map(|p| p["text"].as_str()).collect::<Vec<_>>().join("\n")
                                }
                                other => other.to_string(),
                            };
                            texts.push(format!("{prefix}{content}"));
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    texts
}

fn serve(stream: TcpStream, shared: &Shared) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(60)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut writer = stream;
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line)? == 0 {
            return Ok(());
        }
        let mut content_length = 0usize;
        loop {
            let mut header = String::new();
            reader.read_line(&mut header)?;
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    content_length = value.trim().parse().unwrap_or(0);
                }
            }
        }
        let mut body = vec![0; content_length];
        reader.read_exact(&mut body)?;
        let path = request_line.split_whitespace().nth(1).unwrap_or("/").to_owned();
        let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        if !path.starts_with("/v1/messages") || path.starts_with("/v1/messages/count_tokens") {
            respond_json(&mut writer, &json!({ "input_tokens": 10 }))?;
            continue;
        }
        let model = request["model"].as_str().unwrap_or("claude-test").to_owned();
        if request["stream"] != true {
            // Side requests (titles, summaries) get a short answer and use no scripted reply.
            let message = message_json(&model, "msg_side", &[json!({"type": "text", "text": "ok"})], "end_turn");
            respond_json(&mut writer, &message)?;
            continue;
        }
        let (index, reply) = {
            let mut state = shared.state.lock().unwrap();
            state.requests.push(request);
            state.arrivals.push(Instant::now());
            let reply = state.script.pop_front().unwrap_or_else(|| Reply::text("Done."));
            (state.requests.len(), reply)
        };
        shared.changed.notify_all();
        stream_reply(&mut writer, &model, index, &reply)?;
        shared.state.lock().unwrap().replied.push((index - 1, Instant::now()));
        return Ok(());
    }
}

fn respond_json(writer: &mut TcpStream, value: &Value) -> std::io::Result<()> {
    let body = value.to_string();
    write!(
        writer,
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )?;
    writer.flush()
}

fn message_json(model: &str, id: &str, content: &[Value], stop_reason: &str) -> Value {
    json!({
        "id": id, "type": "message", "role": "assistant", "model": model, "content": content,
        "stop_reason": stop_reason, "stop_sequence": null,
        "usage": { "input_tokens": 12, "output_tokens": 7 },
    })
}

/// The reply as the API streams it: message_start, per block start/delta/stop, message_delta with
/// the stop reason, message_stop. The connection closes after it.
fn stream_reply(writer: &mut TcpStream, model: &str, index: usize, reply: &Reply) -> std::io::Result<()> {
    write!(
        writer,
        "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\nconnection: close\r\n\r\n"
    )?;
    let mut event = |name: &str, data: Value| -> std::io::Result<()> {
        write!(writer, "event: {name}\ndata: {data}\n\n")?;
        writer.flush()
    };
    let mut start = message_json(model, &format!("msg_axiom_{index}"), &[], "end_turn");
    start["stop_reason"] = Value::Null;
    event("message_start", json!({ "type": "message_start", "message": start }))?;
    for (block_index, block) in reply.blocks.iter().enumerate() {
        if block["type"] == "text" {
            event(
                "content_block_start",
                json!({"type": "content_block_start", "index": block_index, "content_block": {"type": "text", "text": ""}}),
            )?;
            event(
                "content_block_delta",
                json!({"type": "content_block_delta", "index": block_index, "delta": {"type": "text_delta", "text": block["text"]}}),
            )?;
        } else {
            let started = json!({"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}});
            event(
                "content_block_start",
                json!({"type": "content_block_start", "index": block_index, "content_block": started}),
            )?;
            event(
                "content_block_delta",
                json!({"type": "content_block_delta", "index": block_index,
                       "delta": {"type": "input_json_delta", "partial_json": block["input"].to_string()}}),
            )?;
        }
        event("content_block_stop", json!({"type": "content_block_stop", "index": block_index}))?;
    }
    let stop_reason = if reply.calls_tools() { "tool_use" } else { "end_turn" };
    event(
        "message_delta",
        json!({"type": "message_delta", "delta": {"stop_reason": stop_reason, "stop_sequence": null}, "usage": {"output_tokens": 7}}),
    )?;
    event("message_stop", json!({"type": "message_stop"}))
}
