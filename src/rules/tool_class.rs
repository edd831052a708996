//! Classes of tool calls that a `scope: tool` rule can be limited to (`tool: shell`), and the
//! regex a limited rule's pattern becomes. The build script includes this file too, so the
//! built-in pack's regexes are analysed exactly as `axiom` matches them.

/// A class of tools, by the names a tool line (`TOOL: ARGUMENT`) shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToolClass {
    /// Tools that run a shell command: Claude Code's `Bash`; Codex's `shell`, `local_shell`,
    /// `exec_command` and `shell_command`; Cursor's `run_terminal_cmd`; and an MCP server's tool
    /// whose name says it runs commands (`mcp__desktop-commander__execute_command`).
    Shell,
}

/// The names agents give their shell tool.
const SHELL_TOOLS: &[&str] = &["Bash", "shell", "local_shell", "exec_command", "shell_command", "run_terminal_cmd"];

/// An MCP tool (`mcp__SERVER__TOOL`) whose name holds one of these runs commands.
const MCP_SHELL_WORDS: &[&str] = &["shell", "bash", "terminal", "command"];

impl ToolClass {
    /// Every class, by the name a rule gives it.
    pub const ALL: &[(&'static str, ToolClass)] = &[("shell", ToolClass::Shell)];

    /// The class a rule names, if there is one by that name.
    pub fn named(name: &str) -> Option<ToolClass> {
        Self::ALL.iter().find(|(known, _)| *known == name).map(|&(_, class)| class)
    }

    /// Whether the tool called `tool` is of this class.
    pub fn includes(self, tool: &str) -> bool {
        match self {
            ToolClass::Shell => {
                SHELL_TOOLS.contains(&tool)
                    || tool.strip_prefix("mcp__").is_some_and(|rest| {
                        rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
                            && MCP_SHELL_WORDS.iter().any(|word| rest.contains(word))
                    })
            }
        }
    }

    /// A regex for the names [`includes`](Self::includes) accepts.
    fn names_regex(self) -> String {
        match self {
            ToolClass::Shell => {
                format!("{}|mcp__[A-Za-z0-9_-]*(?:{})[A-Za-z0-9_-]*", SHELL_TOOLS.join("|"), MCP_SHELL_WORDS.join("|"))
            }
        }
    }
}

/// A rule's regex as it is matched against a line: case folded when the rule asks, and for a
/// rule limited to a class of tools, matched against the argument of those tools' calls from the
/// argument's first byte. `pattern` must parse on its own, so the group it is put in stays closed.
pub fn line_regex(pattern: &str, case_insensitive: bool, tool: Option<ToolClass>) -> String {
    let flagged = if case_insensitive { format!("(?i){pattern}") } else { pattern.to_owned() };
    match tool {
        None => flagged,
        // The flag stays inside the group: the tool's name is matched as written.
        Some(class) => format!("^(?:{}): (?:{flagged})", class.names_regex()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shell_class_regex_accepts_the_names_it_includes() {
        let regex = regex::Regex::new(&line_regex("", false, Some(ToolClass::Shell))).unwrap();
        for (tool, shell) in [
            ("Bash", true),
            ("exec_command", true),
            ("run_terminal_cmd", true),
            ("mcp__desktop-commander__execute_command", true),
            ("mcp__iterm__write_to_terminal", true),
            ("mcp__shell__run", true),
            ("Write", false),
            ("Grep", false),
            ("bash", false),
            ("Bashful", false),
            ("mcp__github__create_issue", false),
            ("mcp__x y__shell", false),
        ] {
            assert_eq!(ToolClass::Shell.includes(tool), shell, "{tool}");
            assert_eq!(regex.is_match(&format!("{tool}: ls")), shell, "{tool}");
        }
    }

    #[test]
    fn a_limited_pattern_is_matched_from_the_argument_with_its_flags_inside() {
        let regex = regex::Regex::new(&line_regex("rm|git", true, Some(ToolClass::Shell))).unwrap();
        assert!(regex.is_match("Bash: RM -rf x"));
        assert!(regex.is_match("Bash: git status"));
        assert!(!regex.is_match("Bash: ls; rm x"), "matched from the argument's start");
        assert!(!regex.is_match("BASH: rm x"), "the tool's name keeps its case");
        assert!(!regex.is_match("Write: rm"));
        assert_eq!(line_regex("a", true, None), "(?i)a");
    }
}
