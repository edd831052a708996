//! Where a command is in a line of agent output: after a shell prompt, inside a tool call that
//! runs a shell, or as the whole line.

use std::sync::LazyLock;

use regex::Regex;

/// The shell script a line of output shows being run, if the line shows one: the text after a
/// prompt (`$ `, `% `, `user@host dir % `, `PS C:\dir> `, `❯ `), inside `Bash(...)` as Claude Code
/// prints a tool call, after aider's `Running `, or else the line itself. A line quoted with `> `
/// (a user's message, a quotation) runs nothing.
pub fn script_in_line(line: &str) -> Option<&str> {
    let line = line.trim();
    if line.starts_with("> ") || line == ">" {
        return None;
    }
    if let Some(found) = TOOL_CALL.captures(line) {
        let inner = found.get(1).map_or("", |m| m.as_str());
        // `⏺ Bash(cmd)` may be cut with `…` and followed by a cost column.
        let inner = inner.split("  ").next().unwrap_or(inner).trim_end();
        let inner = inner.strip_suffix('…').unwrap_or(inner);
        return Some(inner.strip_suffix(')').unwrap_or(inner));
    }
    if let Some(found) = PROMPT.captures(line) {
        return found.get(1).map(|m| m.as_str());
    }
    // Markdown prose that quotes commands in `code spans` ("- After merging, run `git reset
    // --hard`") mentions them; a backquote there is no command substitution.
    if line.contains('`') && PROSE.is_match(line) {
        return None;
    }
    Some(line)
}

/// A line of prose: an optional list marker, then a capitalised word or bold text.
static PROSE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(?:[-*+]\s+|\d+[.)]\s+)?(?:\*\*|\p{Lu}\p{Ll}+[\s,:])").expect("a valid regex"));

/// `⏺ Bash(...)`, `● Bash(...)`: Claude Code's rendering of a shell tool call.
static TOOL_CALL: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^(?:[⏺●]\s*)?Bash\((.*)$").expect("a valid regex"));

/// A shell prompt, then the command typed at it.
static PROMPT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:[\w.-]+@[\w.-]+(?:[ :][^%$#]*)?[%$#]|\$|%|❯|PS [^>]*>|Running)\s+(\S.*)$").expect("a valid regex")
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_command_after_prompts_and_inside_tool_calls() {
        let cases = [
            ("$ rm reproduce.py", Some("rm reproduce.py")),
            ("user@box project % rm -rf .next", Some("rm -rf .next")),
            ("user@box:~/src$ git push -f", Some("git push -f")),
            ("PS C:\\work> git status", Some("git status")),
            ("⏺ Bash(rm -rf ./.git && git init)", Some("rm -rf ./.git && git init")),
            ("● Bash(git commit -m \"x…      Cost: $0.14 (14.4s)", Some("git commit -m \"x")),
            ("Running git push origin main", Some("git push origin main")),
            ("> rm -rf /", None),
            ("  rm -rf build/  ", Some("rm -rf build/")),
            ("- After merges, run `git reset --hard origin/main` if disposable", None),
            ("1. **Rewrote the history** with `git filter-branch`", None),
            ("Run `rm -rf ~/tmp` to clean up", None),
            ("echo `date` && rm -rf build", Some("echo `date` && rm -rf build")),
        ];
        for (line, expected) in cases {
            assert_eq!(script_in_line(line), expected, "{line}");
        }
    }
}
