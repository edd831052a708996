//! Saved agent sessions, read as what they are: Claude Code's session JSONL
//! (`~/.claude/projects/*/*.jsonl`, and `claude -p --output-format stream-json` captures), Codex
//! CLI's session JSONL (`~/.codex/sessions/**/rollout-*.jsonl`, and `codex exec --json` captures)
//! and Aider's `.aider.chat.history.md`.
//!
//! The format is told by content, not by the file's name ([`detect`]); [`read`] turns a
//! transcript into [`AgentEvent`]s with the line each came from, through the same readers the
//! live drivers use (`crate::agent`). `axiom check` renders those events with
//! [`crate::agent::render`], so every line reaches the rules of its own scope, and feeds what the
//! events tell (edits, commands, exit status) to the evidence rules.

use serde_json::Value;

use crate::agent::{aider, claude, codex, AgentEvent};

/// A transcript format `axiom check` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Format {
    Claude,
    Codex,
    Aider,
}

impl Format {
    /// The agent's name, for people.
    pub fn agent(self) -> &'static str {
        match self {
            Format::Claude => "Claude Code",
            Format::Codex => "Codex CLI",
            Format::Aider => "Aider",
        }
    }
}

/// How many complete lines at the start of a JSONL file are tried before deciding it is not one.
const PROBE_LINES: usize = 8;

/// The format of a file whose start is `head`, or `None` for plain text (or JSON of any other kind).
pub fn detect(head: &[u8]) -> Option<Format> {
    let text = String::from_utf8_lossy(head);
    if text.trim_start().starts_with('{') {
        return detect_jsonl(&text);
    }
    aider::looks_like_history(&text).then_some(Format::Aider)
}

fn detect_jsonl(text: &str) -> Option<Format> {
    let mut lines = text.split_inclusive('\n').filter(|line| !line.trim().is_empty()).peekable();
    let mut tried = 0;
    while let Some(line) = lines.next() {
        if !line.ends_with('\n') && lines.peek().is_none() {
            // The head ended inside this line (one line can be larger than the head).
            return detect_by_keys(line);
        }
        let Ok(value) = serde_json::from_str::<Value>(line) else { return None };
        if codex::is_codex_line(&value) {
            return Some(Format::Codex);
        }
        if is_claude_line(&value) {
            return Some(Format::Claude);
        }
        tried += 1;
        if tried == PROBE_LINES {
            break;
        }
    }
    None
}

/// A line Claude Code wrote: a `type` and one of the keys its session files or stream events
/// carry.
fn is_claude_line(value: &Value) -> bool {
    const KEYS: &[&str] = &["uuid", "parentUuid", "sessionId", "session_id", "leafUuid", "messageId", "message"];
    value.get("type").is_some_and(Value::is_string) && KEYS.iter().any(|key| value.get(key).is_some())
}

/// The format of a first line too long to parse from the head alone, by the keys it starts with.
fn detect_by_keys(line: &str) -> Option<Format> {
    let has = |key: &str| line.contains(key);
    if has(r#""type":"response_item""#) || has(r#""type":"session_meta""#) {
        Some(Format::Codex)
    } else if has(r#""parentUuid""#) || has(r#""sessionId""#) {
        Some(Format::Claude)
    } else {
        None
    }
}

/// A transcript's events, each with its 1-based line in the file.
#[derive(Debug, Default)]
pub struct Transcript {
    pub events: Vec<(u64, AgentEvent)>,
    /// Lines of a JSONL transcript that are not JSON (a line cut off while the agent was still
    /// writing): their text is kept as agent output, so nothing is lost.
    pub not_json: u64,
}

/// Reads a whole transcript of `format`.
pub fn read(format: Format, text: &str) -> Transcript {
    if format == Format::Aider {
        return Transcript { events: aider::parse(text), not_json: 0 };
    }
    let mut transcript = Transcript::default();
    for (index, line) in text.lines().enumerate() {
        let number = index as u64 + 1;
        if line.trim().is_empty() {
            continue;
        }
        let events = match format {
            Format::Claude => claude::parse_line(line).map(|parsed| parsed.events()),
            Format::Codex => codex::parse_line(line),
            Format::Aider => unreachable!("read above"),
        };
        match events {
            Ok(events) => transcript.events.extend(events.into_iter().map(|event| (number, event))),
            Err(_) => {
                transcript.not_json += 1;
                transcript.events.push((number, AgentEvent::Text { text: line.to_owned() }));
            }
        }
    }
    transcript
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_told_by_content() {
        let claude = r#"{"parentUuid":null,"type":"user","message":{"role":"user","content":"hi"},"sessionId":"s"}
"#;
        let summary_first = r#"{"type":"summary","summary":"Fixing","leafUuid":"u"}
{"type":"user","message":{"role":"user","content":"hi"},"uuid":"u"}
"#;
        let codex = r#"{"timestamp":"t","type":"session_meta","payload":{"id":"s"}}
"#;
        let aider = "\n# aider chat started at 2025-01-01 10:00:00\n\n#### fix it\n\nDone.\n";
        assert_eq!(detect(claude.as_bytes()), Some(Format::Claude));
        assert_eq!(detect(summary_first.as_bytes()), Some(Format::Claude));
        assert_eq!(detect(codex.as_bytes()), Some(Format::Codex));
        assert_eq!(detect(aider.as_bytes()), Some(Format::Aider));
        for plain in ["ok 1 - test\n", "{\"level\":\"info\",\"msg\":\"x\"}\n", "{ not json\n", ""] {
            assert_eq!(detect(plain.as_bytes()), None, "{plain:?}");
        }
    }

    #[test]
    fn a_first_line_longer_than_the_head_is_told_by_its_keys() {
        let head = format!(r#"{{"parentUuid":null,"type":"user","message":{{"content":"{}"#, "x".repeat(1000));
        assert_eq!(detect(head.as_bytes()), Some(Format::Claude));
        let head = format!(r#"{{"timestamp":"t","type":"response_item","payload":{{"output":"{}"#, "x".repeat(1000));
        assert_eq!(detect(head.as_bytes()), Some(Format::Codex));
    }

    #[test]
    fn a_line_that_is_not_json_is_kept_as_text() {
        let text = "{\"type\":\"assistant\",\"message\":{\"role\":\"assistant\",\"content\":\"ok\"},\"uuid\":\"u\"}\n{\"type\":\"assis";
        let transcript = read(Format::Claude, text);
        assert_eq!(transcript.not_json, 1);
        assert_eq!(
            transcript.events,
            [(1, AgentEvent::Text { text: "ok".into() }), (2, AgentEvent::Text { text: "{\"type\":\"assis".into() })]
        );
    }
}
