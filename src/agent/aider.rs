//! Aider's chat history, `.aider.chat.history.md`: Markdown that aider appends to as a session goes.
//!
//! - `# aider chat started at 2025-07-15 11:38:37` opens each session;
//! - `#### ` starts every line the user typed (a prompt, or a `/command`);
//! - `> ` starts every line aider itself printed: its banner, questions and answers
//!   (`Run shell command? (Y)es/(N)o [Yes]: y`), `Applied edit to PATH`, `Running COMMAND`, errors;
//! - every other line is the model's reply.
//!
//! Lines end in two spaces (Markdown line breaks); they are trimmed. Aider writes no exit status
//! for the commands it runs, so a `Running` line is a tool call without a result.

use serde_json::json;

use super::AgentEvent;

/// The line every session starts with.
pub const SESSION_START: &str = "# aider chat started at ";

/// The events of a whole history, each with the 1-based line it comes from.
pub fn parse(text: &str) -> Vec<(u64, AgentEvent)> {
    let mut events = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let number = index as u64 + 1;
        let line = line.trim_end_matches(['\r', ' ']);
        if let Some(event) = line_event(line) {
            events.push((number, event));
        }
    }
    events
}

fn line_event(line: &str) -> Option<AgentEvent> {
    if line.starts_with(SESSION_START) || line.trim().is_empty() {
        return None;
    }
    if let Some(prompt) = prefixed(line, "####") {
        return Some(AgentEvent::Prompt { text: prompt.to_owned() });
    }
    let Some(console) = prefixed(line, ">") else {
        return Some(AgentEvent::Text { text: line.to_owned() });
    };
    if let Some(path) = console.strip_prefix("Applied edit to ") {
        return Some(AgentEvent::ToolCall { id: None, name: "Edit".into(), input: json!({ "file_path": path }) });
    }
    if let Some(command) = console.strip_prefix("Running ").filter(|command| !command.trim().is_empty()) {
        return Some(AgentEvent::ToolCall { id: None, name: "shell".into(), input: json!({ "command": command }) });
    }
    Some(AgentEvent::Text { text: console.to_owned() })
}

/// The rest of a line that is `marker` alone or `marker` and a space.
fn prefixed<'a>(line: &'a str, marker: &str) -> Option<&'a str> {
    let rest = line.strip_prefix(marker)?;
    if rest.is_empty() {
        return Some(rest);
    }
    rest.strip_prefix(' ')
}

/// Whether a text looks like an aider history: a session header and a line the user typed.
pub fn looks_like_history(text: &str) -> bool {
    let mut header = false;
    for line in text.lines() {
        header |= line.starts_with(SESSION_START);
        if header && line.starts_with("#### ") {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    const HISTORY: &str = "
# aider chat started at 2025-07-15 11:38:37

> Aider v0.85.1  
> Main model: gpt-4o with diff edit format  

#### add a header comment  
#### to main.py  

main.py
```python
# header
```

> Applied edit to main.py  
> Commit abc1234 feat: add header  
> pytest -q  
> Run shell command? (Y)es/(N)o/(D)on't ask again [Yes]: y  
> Running pytest -q  
";

    #[test]
    fn prompts_replies_edits_and_commands_are_told_apart() {
        let events = parse(HISTORY);
        let expected = [
            (4, AgentEvent::Text { text: "Aider v0.85.1".into() }),
            (5, AgentEvent::Text { text: "Main model: gpt-4o with diff edit format".into() }),
            (7, AgentEvent::Prompt { text: "add a header comment".into() }),
            (8, AgentEvent::Prompt { text: "to main.py".into() }),
            (10, AgentEvent::Text { text: "main.py".into() }),
            (11, AgentEvent::Text { text: "```python".into() }),
            (12, AgentEvent::Text { text: "# header".into() }),
            (13, AgentEvent::Text { text: "```".into() }),
            (15, AgentEvent::ToolCall { id: None, name: "Edit".into(), input: json!({"file_path": "main.py"}) }),
            (16, AgentEvent::Text { text: "Commit abc1234 feat: add header".into() }),
            (17, AgentEvent::Text { text: "pytest -q".into() }),
            (18, AgentEvent::Text { text: "Run shell command? (Y)es/(N)o/(D)on't ask again [Yes]: y".into() }),
            (19, AgentEvent::ToolCall { id: None, name: "shell".into(), input: json!({"command": "pytest -q"}) }),
        ];
        assert_eq!(events, expected);
    }

    #[test]
    fn a_history_needs_its_header_and_a_typed_line() {
        assert!(looks_like_history(HISTORY));
        // A rendering that lost the `#### ` markers is plain text, not a history.
        assert!(!looks_like_history("# aider chat started at 2025-01-01 10:00:00\n\n> fix it\n"));
        assert!(!looks_like_history("#### a heading in some Markdown\n"));
    }
}
