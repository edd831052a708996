//! THE renderer: [`AgentEvent`] → the lines rules see, each tagged with its scope.

use serde_json::Value;

use super::AgentEvent;
#[cfg(doc)]
use crate::rules::unescape_tool_argument;
use crate::rules::{reads_as_json, Scope, ARGUMENT_FIELDS};
use crate::shell::{is_shell, program_name};

/// One line for the rules of one scope. Never contains a line break.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentLine {
    pub scope: Scope,
    pub text: String,
}

impl AgentLine {
    pub fn new(scope: Scope, text: impl Into<String>) -> Self {
        AgentLine { scope, text: text.into() }
    }
}

/// Appends the lines `event` shows to the rules:
///
/// | event | scope | lines |
/// |---|---|---|
/// | prompt | `prompt` | each line of the prompt |
/// | agent text | `output` | each line of the text |
/// | tool call | `tool` | one line `TOOL: ARGUMENT` (see [`tool_line`]) |
/// | a file tool's call | `output` | also each line it writes, after [`WRITTEN`] |
/// | tool result | `output` | each line of what the tool returned |
/// | end of turn | — | none |
///
/// Empty lines are dropped; a rule never needs to match nothing.
pub fn render(event: &AgentEvent, lines: &mut Vec<AgentLine>) {
    let (scope, text) = match event {
        AgentEvent::Prompt { text } => (Scope::Prompt, text.as_str()),
        AgentEvent::Text { text } => (Scope::Output, text.as_str()),
        AgentEvent::ToolResult { text, .. } => (Scope::Output, text.as_str()),
        AgentEvent::ToolCall { name, input, .. } => {
            lines.push(AgentLine::new(Scope::Tool, tool_line(name, input)));
            // What a file tool writes is the agent's work as surely as what it says: each line,
            // marked `+ ` as a diff marks what it adds (a TODO or a stub in it is one left).
            for text in written_text(name, input) {
                lines.extend(
                    text.lines()
                        .map(|line| line.trim_end_matches('\r'))
                        .filter(|line| !line.trim().is_empty())
                        .map(|line| AgentLine::new(Scope::Output, format!("{WRITTEN}{line}"))),
                );
            }
            return;
        }
        AgentEvent::TurnEnd(_) => return,
    };
    lines.extend(
        text.lines()
            .map(|line| line.trim_end_matches('\r'))
            .filter(|line| !line.trim().is_empty())
            .map(|line| AgentLine::new(scope, line)),
    );
}

/// How a line a file tool writes starts, as an added line of a diff does.
pub const WRITTEN: &str = "+ ";

/// The texts a file tool call writes: Claude Code's `Write` (`content`), `Edit` (`new_string`),
/// `MultiEdit` (each edit's `new_string`) and `NotebookEdit` (`new_source`).
fn written_text<'a>(name: &str, input: &'a Value) -> Vec<&'a str> {
    let field = |value: &'a Value, key: &str| value.get(key).and_then(Value::as_str);
    match name {
        "Write" => field(input, "content").into_iter().collect(),
        "Edit" => field(input, "new_string").into_iter().collect(),
        "NotebookEdit" => field(input, "new_source").into_iter().collect(),
        "MultiEdit" => input
            .get("edits")
            .and_then(Value::as_array)
            .map(|edits| edits.iter().filter_map(|edit| field(edit, "new_string")).collect())
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

/// A tool call as one line, `TOOL: ARGUMENT`: the argument that says what the call does.
///
/// | tool | argument |
/// |---|---|
/// | `Bash` (and any tool whose input has a string `command`) | the command |
/// | `Read`, `Write`, `Edit`, `MultiEdit` | `file_path` |
/// | `NotebookEdit` | `notebook_path` |
/// | `WebFetch` | `url` |
/// | `WebSearch` | `query` |
/// | `Glob`, `Grep` | `pattern` |
/// | `Task`, `Agent` | `description` |
/// | `apply_patch` (Codex) | the files the patch touches, space-separated |
/// | a `command` given as an argv array (Codex's `shell`) | the words joined by spaces; the script of `bash -lc SCRIPT` |
/// | a string `cmd` (Codex's `exec_command`) | the command |
/// | anything else | the input as compact JSON |
///
/// Line breaks inside the argument (a multi-line script) are written as the two characters `\n`,
/// so the call stays one line and a pattern still finds a command on any of its lines; a
/// backslash is written `\\`, so that a `\n` the command holds (`printf 'a\nb'`, a commit
/// message's text) is not read as a line break: [`unescape_tool_argument`] gives the script back
/// as it runs. Other
/// control characters are written as escapes too (a carriage return `\r`, ESC `\x1b`): the
/// pipeline's terminal parser would end a segment at them or swallow what follows (a title
/// sequence runs to its BEL), and the command after them (`echo "\r"; rm -rf /`) would be
/// matched without the tool's name.
pub fn tool_line(name: &str, input: &Value) -> String {
    let argument = tool_argument(name, input);
    let mut line = String::with_capacity(name.len() + 2 + argument.len());
    push_one_line(&mut line, name);
    line.push_str(": ");
    push_one_line(&mut line, &argument);
    line
}

/// Appends `text` with its line breaks written `\n` (a `\r\n` as one), other carriage returns
/// `\r` and backslashes `\\`.
fn push_one_line(line: &mut String, text: &str) {
    for (index, part) in text.split('\n').enumerate() {
        if index > 0 {
            line.push_str("\\n");
        }
        for c in part.strip_suffix('\r').unwrap_or(part).chars() {
            match c {
                '\r' => line.push_str("\\r"),
                '\\' => line.push_str("\\\\"),
                '\t' => line.push(c),
                // ESC, BEL and the other controls: the terminal parser would act on them.
                c if c.is_control() => line.push_str(&format!("\\x{:02x}", c as u32)),
                c => line.push(c),
            }
        }
    }
}

fn tool_argument(name: &str, input: &Value) -> String {
    if name == "apply_patch" {
        if let Some(patch) = input.as_str().or_else(|| input.get("input").and_then(Value::as_str)) {
            return patched_files(patch);
        }
    }
    if let Some(script) = shell_script(input) {
        // A command that read as JSON would be taken for an input shown whole, and not parsed
        // (`may_run_a_command`): a space sets it apart, and changes nothing a shell runs.
        return if reads_as_json(&script) { format!(" {script}") } else { script };
    }
    let named = ARGUMENT_FIELDS
        .iter()
        .find(|(tool, _)| *tool == name)
        .and_then(|(_, key)| input.get(*key).and_then(Value::as_str).map(str::to_owned));
    if let Some(argument) = named {
        return argument;
    }
    match input {
        Value::String(text) => text.clone(),
        Value::Null => String::new(),
        other => with_sorted_keys(other).to_string(),
    }
}

/// An input shown whole, keys in order at every depth: rules read one spelling of it, whatever
/// order the agent wrote its arguments in.
fn with_sorted_keys(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut sorted: Vec<(&String, &Value)> = map.iter().collect();
            sorted.sort_by_key(|(key, _)| *key);
            Value::Object(sorted.into_iter().map(|(key, value)| (key.clone(), with_sorted_keys(value))).collect())
        }
        Value::Array(items) => Value::Array(items.iter().map(with_sorted_keys).collect()),
        other => other.clone(),
    }
}

/// The shell command a tool call runs, if it runs one: a string `command` (Claude Code's `Bash`),
/// an argv `command` (Codex's `shell`; the script of `bash -lc SCRIPT`), or a string `cmd`
/// (Codex's `exec_command`). Codex's `apply_patch` given as argv is a patch, not a command.
pub fn shell_script(input: &Value) -> Option<String> {
    // Codex's `shell` gives `command` as argv, and `exec_command` may give `cmd` so too.
    for key in ["command", "cmd"] {
        match input.get(key) {
            Some(Value::String(command)) => return Some(command.clone()),
            Some(Value::Array(words)) => return Some(argv_script(words)),
            _ => {}
        }
    }
    None
}

/// The command an argv runs, as a script.
fn argv_script(words: &[Value]) -> String {
    let words: Vec<&str> = words.iter().filter_map(Value::as_str).collect();
    if let ["apply_patch", patch] = words.as_slice() {
        return format!("apply_patch {}", patched_files(patch));
    }
    // `bash -lc SCRIPT`, `sh -e -c SCRIPT`: what runs is the script. With anything after it
    // (`$0`, `$1`… for the script) or `--` in place of it, the whole argv goes to the shell parser,
    // which fills those in.
    if words.first().is_some_and(|first| is_shell(program_name(first))) {
        let flag = words.iter().skip(1).position(|w| w.starts_with('-') && !w.starts_with("--") && w.contains('c'));
        if let Some(flag) = flag {
            if let [script] = &words[flag + 2..] {
                if !script.starts_with('-') {
                    return (*script).to_owned();
                }
            }
        }
    }
    // Any other argv quoted as a shell needs it, so its words reach the rules as they are.
    shlex::try_join(words.iter().copied()).unwrap_or_else(|_| words.join(" "))
}

/// The files a Codex patch (`*** Update File: PATH` …) touches, space-separated.
fn patched_files(patch: &str) -> String {
    let files: Vec<&str> = patch
        .lines()
        .filter_map(|line| {
            let line = line.strip_prefix("*** ")?;
            ["Update File: ", "Add File: ", "Delete File: "].iter().find_map(|kind| line.strip_prefix(kind))
        })
        .map(str::trim)
        .collect();
    files.join(" ")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn tool_calls_show_the_argument_that_says_what_they_do() {
        let cases = [
            ("Bash", json!({"command": "rm -rf /", "description": "wipe"}), "Bash: rm -rf /"),
            ("Write", json!({"file_path": "src/main.rs", "content": "fn main() {}"}), "Write: src/main.rs"),
            ("Edit", json!({"file_path": "a.rs", "old_string": "x", "new_string": "y"}), "Edit: a.rs"),
            ("WebFetch", json!({"url": "https://example.com/x", "prompt": "read"}), "WebFetch: https://example.com/x"),
            ("Grep", json!({"pattern": "TODO", "path": "src"}), "Grep: TODO"),
            ("shell", json!({"command": ["bash", "-lc", "git push -f origin main"]}), "shell: git push -f origin main"),
            ("shell", json!({"command": ["ls", "-la"]}), "shell: ls -la"),
            // The script a shell runs, wherever its `-c` is.
            ("shell", json!({"command": ["bash", "-c", "rm -rf ~", "x"]}), "shell: bash -c 'rm -rf ~' x"),
            ("shell", json!({"command": ["/bin/sh", "-e", "-c", "rm -rf ~"]}), "shell: rm -rf ~"),
            // With arguments for the script, or `--` before it: the whole argv, for the parser.
            (
                "shell",
                json!({"command": ["bash", "-c", "$0 $1 $2", "rm", "-rf", "/"]}),
                "shell: bash -c '$0 $1 $2' rm -rf /",
            ),
            ("shell", json!({"command": ["bash", "-c", "--", "rm -rf ~"]}), "shell: bash -c -- 'rm -rf ~'"),
            ("exec_command", json!({"cmd": ["bash", "-lc", "rm -rf ~"]}), "exec_command: rm -rf ~"),
            // A command that reads as JSON is set apart from an input shown whole.
            ("mcp__x__run", json!({"command": "[\"$(rm -rf ~)\"]"}), r#"mcp__x__run:  ["$(rm -rf ~)"]"#),
            // Other argv quoted, so that one word with a space stays one word.
            ("shell", json!({"command": ["rm", "-rf", "my dir"]}), "shell: rm -rf 'my dir'"),
            ("exec_command", json!({"cmd": "cargo test", "workdir": "/p"}), "exec_command: cargo test"),
            (
                "apply_patch",
                json!("*** Begin Patch\n*** Update File: a.rs\n@@\n*** Add File: b.rs\n*** End Patch"),
                "apply_patch: a.rs b.rs",
            ),
            (
                "shell",
                json!({"command": ["apply_patch", "*** Begin Patch\n*** Delete File: c.rs\n*** End Patch"]}),
                "shell: apply_patch c.rs",
            ),
            ("mcp__x__y", json!({"b": 1, "a": "z"}), r#"mcp__x__y: {"a":"z","b":1}"#),
        ];
        for (name, input, expected) in cases {
            assert_eq!(tool_line(name, &input), expected, "{name} {input}");
        }
    }

    #[test]
    fn a_multi_line_command_stays_one_line() {
        let line = tool_line("Bash", &json!({"command": "cd /\r\nrm -rf *\n"}));
        assert_eq!(line, "Bash: cd /\\nrm -rf *\\n");
        assert!(!line.contains('\n'));
        // A carriage return would end a segment, and what follows it would be judged without
        // the tool's name; nor may a name break the line.
        let line = tool_line("Bash\r\nX", &json!({"command": "echo \"\r\"; rm -rf /"}));
        assert_eq!(line, r#"Bash\nX: echo "\r"; rm -rf /"#);
        assert!(!line.contains(['\n', '\r']));
        let line = tool_line("Bash", &json!({"command": "echo \"\u{1b}]0;\"; rm -rf ~; echo \"\u{7}\u{9b}\"\tx"}));
        assert_eq!(line, r#"Bash: echo "\x1b]0;"; rm -rf ~; echo "\x07\x9b""#.to_owned() + "\tx");
    }

    #[test]
    fn a_backslash_n_the_command_holds_is_not_a_line_break() {
        use crate::rules::unescape_tool_argument;
        let script = "git commit -m \"$(cat <<'EOF'\nno more `rm -rf \\n`\nEOF\n)\"\nprintf 'a\\nb' \\\n  c\\";
        let line = tool_line("Bash", &json!({ "command": script }));
        assert!(!line.contains('\n'));
        let argument = line.strip_prefix("Bash: ").unwrap();
        assert_eq!(unescape_tool_argument(argument), script);
        // The other escapes stay as written, and so does a backslash before anything else.
        assert_eq!(unescape_tool_argument(r"a\x1b\r\q\"), r"a\x1b\r\q\");
        assert_eq!(unescape_tool_argument(r"a\\nb\nc"), "a\\nb\nc");
    }

    #[test]
    fn each_event_renders_into_lines_of_its_scope() {
        let mut lines = Vec::new();
        render(&AgentEvent::Prompt { text: "fix it\n\nplease".into() }, &mut lines);
        render(&AgentEvent::Text { text: "Done.\r\nAll tests pass.".into() }, &mut lines);
        render(&AgentEvent::ToolResult { id: None, text: "ok\n".into(), is_error: false }, &mut lines);
        render(&AgentEvent::TurnEnd(Default::default()), &mut lines);
        let expected = [
            AgentLine::new(Scope::Prompt, "fix it"),
            AgentLine::new(Scope::Prompt, "please"),
            AgentLine::new(Scope::Output, "Done."),
            AgentLine::new(Scope::Output, "All tests pass."),
            AgentLine::new(Scope::Output, "ok"),
        ];
        assert_eq!(lines, expected);
    }

    #[test]
    fn what_a_file_tool_writes_is_output_marked_as_added() {
        let mut lines = Vec::new();
        let write = json!({"file_path": "a.py", "content": "def f():\n\n    # TODO: later\n"});
        render(&AgentEvent::ToolCall { id: None, name: "Write".into(), input: write }, &mut lines);
        let edits = json!({"file_path": "b.rs", "edits": [{"old_string": "x", "new_string": "todo!()"}]});
        render(&AgentEvent::ToolCall { id: None, name: "MultiEdit".into(), input: edits }, &mut lines);
        let read = json!({"file_path": "c.py"});
        render(&AgentEvent::ToolCall { id: None, name: "Read".into(), input: read }, &mut lines);
        let expected = [
            AgentLine::new(Scope::Tool, "Write: a.py"),
            AgentLine::new(Scope::Output, "+ def f():"),
            AgentLine::new(Scope::Output, "+     # TODO: later"),
            AgentLine::new(Scope::Tool, "MultiEdit: b.rs"),
            AgentLine::new(Scope::Output, "+ todo!()"),
            AgentLine::new(Scope::Tool, "Read: c.py"),
        ];
        assert_eq!(lines, expected);
    }
}
