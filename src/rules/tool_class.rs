//! Classes of tool calls that a `scope: tool` rule can be limited to (`tool: shell`), and the
//! regex a limited rule's pattern becomes. The build script includes this file too, so the
//! built-in pack's regexes are analysed exactly as `axiom` matches them.

use std::borrow::Cow;

/// A class of tools, by the names a tool line (`TOOL: ARGUMENT`) shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToolClass {
    /// Tools that run a shell command: any whose name holds one of [`SHELL_WORDS`] in any case.
    /// That is every agent's shell tool known here (Claude Code's `Bash`, Codex's `shell` and
    /// `exec_command`, Cursor's `run_terminal_cmd`, Gemini's `run_shell_command`, Cline's
    /// `execute_command`, OpenHands' `execute_bash`, Goose's `developer__shell`, OpenCode's
    /// `bash`) and many an MCP server's (`mcp__desktop-commander__execute_command`,
    /// `mcp__ssh__exec`, `mcp__container-use__environment_run_cmd`), and none of the tools that
    /// take a pattern, path, URL or text (`Grep`, `Write`, `WebFetch`). `command:` rules judge
    /// more calls than these: see [`may_run_a_command`].
    Shell,
}

/// A tool whose name holds one of these, in any (ASCII) case, runs commands.
const SHELL_WORDS: &[&str] = &["bash", "shell", "terminal", "command", "cmd", "exec", "zsh"];

/// The argument of a tool line as the tool was given it: `\n` a line break and `\\` a
/// backslash (see `agent::tool_line`). The other escapes stay as written: a control character is
/// judged by its escape.
pub fn unescape_tool_argument(argument: &str) -> Cow<'_, str> {
    if !argument.contains('\\') {
        return Cow::Borrowed(argument);
    }
    let mut script = String::with_capacity(argument.len());
    let mut chars = argument.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            script.push(c);
            continue;
        }
        match chars.clone().next() {
            Some('n') => script.push('\n'),
            Some('\\') => script.push('\\'),
            _ => {
                script.push('\\');
                continue;
            }
        }
        chars.next();
    }
    Cow::Owned(script)
}

/// Tools whose line shows an argument that is not a command, and the field of their input it is
/// (`agent::tool_line` renders them so).
pub const ARGUMENT_FIELDS: &[(&str, &str)] = &[
    ("Read", "file_path"),
    ("Write", "file_path"),
    ("Edit", "file_path"),
    ("MultiEdit", "file_path"),
    ("NotebookEdit", "notebook_path"),
    ("WebFetch", "url"),
    ("WebSearch", "query"),
    ("Glob", "pattern"),
    ("Grep", "pattern"),
    ("Task", "description"),
    ("Agent", "description"),
];

/// Whether the argument of a call of `tool` may be a shell command, for `command:` rules and
/// evidence: a shell tool's, and any other tool's but those known to take a path, pattern, URL or
/// text (`Grep: rm -rf /`) or a patch, unless the line shows the input as JSON. A command is
/// never shown so: `agent::tool_line` sets one that reads as JSON (`["$(rm -rf ~)"]`, which bash
/// runs) apart with a space. JSON is not parsed, as its commas make brace expansions of ordinary
/// text (an issue's body that mentions `.axiom`).
pub fn may_run_a_command(tool: &str, argument: &str) -> bool {
    !reads_as_json(argument)
        && (ToolClass::Shell.includes(tool)
            || (tool != "apply_patch" && !ARGUMENT_FIELDS.iter().any(|(name, _)| *name == tool)))
}

/// Whether a tool line's argument reads as a JSON object or array: the input, shown whole.
pub fn reads_as_json(argument: &str) -> bool {
    argument.starts_with(['{', '['])
        && serde_json::from_str::<serde_json::Value>(argument).is_ok_and(|v| v.is_object() || v.is_array())
}

impl ToolClass {
    /// Every class, by the name a rule gives it.
    pub const ALL: &[(&'static str, ToolClass)] = &[("shell", ToolClass::Shell)];

    /// The class a rule names, if there is one by that name.
    pub fn named(name: &str) -> Option<ToolClass> {
        Self::ALL.iter().find(|(known, _)| *known == name).map(|&(_, class)| class)
    }

    /// Whether the tool called `tool` (the text of its line before the first `: `) is of this class.
    /// `tool` holds no `: ` (callers split the line at the first), as the regex assumes.
    pub fn includes(self, tool: &str) -> bool {
        match self {
            ToolClass::Shell => {
                let lower = tool.to_ascii_lowercase();
                SHELL_WORDS.iter().any(|word| lower.contains(word))
            }
        }
    }

    /// Whether `line` (`TOOL: ARGUMENT`) is a call of a tool of this class: the part of a
    /// limited rule's match that its regex ([`line_regex`]) leaves to the matcher.
    pub fn admits_line(self, line: &[u8]) -> bool {
        let name = line.windows(2).position(|pair| pair == b": ").map_or(line, |at| &line[..at]);
        match self {
            // As `includes` compares, without a lowered copy per line and rule.
            ToolClass::Shell => SHELL_WORDS
                .iter()
                .any(|word| name.windows(word.len()).any(|window| window.eq_ignore_ascii_case(word.as_bytes()))),
        }
    }
}

/// Whatever comes before the first `: ` of a tool line: the tool's name (it may hold a space,
/// `Bash Tool`, or a colon not followed by one).
const ANY_NAME: &str = r"(?:[^:\n]|:[^ \n])*";

/// A rule's regex as it is matched against a line: case folded when the rule asks, and for a
/// rule limited to a class of tools, matched against the argument of any tool's call from the
/// argument's first byte, the matcher leaving which tools to [`ToolClass::admits_line`] (in the
/// regex, the names made every limited regex several times larger to parse, compile and run).
/// `pattern` must parse on its own and inside the group it is put in (a `(?x)` comment would
/// swallow the group's end), which the loader checks.
pub fn line_regex(pattern: &str, case_insensitive: bool, tool: Option<ToolClass>) -> String {
    let flagged = if case_insensitive { format!("(?i){pattern}") } else { pattern.to_owned() };
    match tool {
        None => flagged,
        // The flag stays inside the group, and the group after the name, whatever the
        // pattern's flags.
        Some(_) => format!("^{ANY_NAME}: (?:{flagged})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_limited_rule_flags_the_calls_of_the_tools_its_class_includes() {
        let regex = regex::bytes::Regex::new(&line_regex("", false, Some(ToolClass::Shell))).unwrap();
        let flagged = |line: &[u8]| regex.is_match(line) && ToolClass::Shell.admits_line(line);
        for (tool, shell) in [
            ("Bash", true),
            ("bash", true),
            ("exec_command", true),
            ("run_terminal_cmd", true),
            ("run_shell_command", true),
            ("execute_command", true),
            ("execute_bash", true),
            ("developer__shell", true),
            ("mcp__desktop-commander__execute_command", true),
            ("mcp__iterm__write_to_terminal", true),
            ("mcp__X__runShellCommand", true),
            ("mcp__ssh__exec", true),
            ("mcp__container-use__environment_run_cmd", true),
            ("zsh", true),
            ("mcp__é__shell", true),
            ("Write", false),
            ("Grep", false),
            ("WebSearch", false),
            ("Task", false),
            ("mcp__github__create_issue", false),
            ("Bash Tool", true),
            ("", false),
            // Folded as ASCII only, as `includes` folds: the long s is no s.
            ("baſh", false),
        ] {
            assert_eq!(ToolClass::Shell.includes(tool), shell, "{tool}");
            assert_eq!(flagged(format!("{tool}: ls").as_bytes()), shell, "{tool}");
        }
        // The name is what comes before the first `: `, as callers give `includes` it.
        assert!(!flagged(b"Write: /p/bashrc: x"));
        assert!(!flagged(b"Bash"), "no argument");
    }

    #[test]
    fn a_limited_pattern_is_matched_from_the_argument_with_its_flags_inside() {
        let regex = regex::bytes::Regex::new(&line_regex("rm|git", true, Some(ToolClass::Shell))).unwrap();
        let flagged = |line: &[u8]| regex.is_match(line) && ToolClass::Shell.admits_line(line);
        assert!(flagged(b"Bash: RM -rf x"));
        assert!(flagged(b"Bash: git status"));
        assert!(!flagged(b"Bash: ls; rm x"), "matched from the argument's start");
        assert!(!flagged(b"Write: rm"));
        assert_eq!(line_regex("a", true, None), "(?i)a");
    }

    #[test]
    fn a_command_is_looked_for_in_every_call_but_those_known_to_take_something_else() {
        for (tool, argument, judged) in [
            ("Bash", "npm test", true),
            ("mcp__sandbox__run", "rm -rf ~", true),
            ("launch-process", "rm -rf ~", true),
            ("Bash Tool", "rm -rf ~", true),
            ("mcp__x__run", "[ -d /tmp ] && rm -rf ~", true),
            ("mcp__x__run", "{ rm -rf ~; }", true),
            ("Grep", "rm -rf /", false),
            ("WebSearch", "rm -rf / meaning", false),
            ("apply_patch", "a.rs b.rs", false),
            // The input shown as JSON: no command was found in it.
            ("BashOutput", r#"{"bash_id":"b1"}"#, false),
            ("mcp__github__create_issue", r#"{"body":"rm -rf .axiom","title":"x"}"#, false),
        ] {
            assert_eq!(may_run_a_command(tool, argument), judged, "{tool}: {argument}");
        }
    }
}
