//! What a task runs, as far as rules care: an AI coding agent, or any other command.
//!
//! Rules with `applies_to: agents` watch agents only. Whether a command is an agent is guessed from
//! its program name (through the usual launchers: `npx`, `env`, `sh -c '…'`), and the user overrides
//! the guess with `--agent` / `--no-agent`.

use std::path::Path;

use super::schema::AppliesTo;

/// Program names of the common agent CLIs, and the package names their launchers are given.
pub const KNOWN_AGENTS: &[&str] = &[
    "claude",
    "@anthropic-ai/claude-code",
    "codex",
    "@openai/codex",
    "aider",
    "aider-chat",
    "gemini",
    "@google/gemini-cli",
    "opencode",
    "opencode-ai",
    "cursor-agent",
    "amp",
    "@sourcegraph/amp",
    "goose",
    "qwen",
    "@qwen-code/qwen-code",
    "crush",
    "copilot",
    "@github/copilot",
    "droid",
    "kiro-cli",
    "auggie",
];

/// Programs that run the next word as the real command.
const LAUNCHERS: &[&str] = &["env", "npx", "bunx", "pnpx", "uvx", "pipx", "nice", "nohup", "time", "exec", "command"];
/// Shells: with `-c`, the command is the first word of the script.
const SHELLS: &[&str] = &["sh", "bash", "zsh", "dash", "fish"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Subject {
    /// An AI coding agent: every rule applies.
    Agent,
    /// Any other command (a build, a test run, a server): `applies_to: agents` rules stay out of it.
    Command,
}

impl Subject {
    /// The guess for `argv`: an agent when the program (behind launchers and `sh -c`) is a known agent CLI.
    pub fn of_command(argv: &[String]) -> Subject {
        let words: Vec<&str> = argv.iter().map(String::as_str).collect();
        if program(&words, 0).is_some_and(is_known_agent) {
            Subject::Agent
        } else {
            Subject::Command
        }
    }

    /// `--agent` / `--no-agent` (a `Some`) win over the guess.
    pub fn decide(overridden: Option<Subject>, argv: &[String]) -> Subject {
        overridden.unwrap_or_else(|| Subject::of_command(argv))
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Subject::Agent => "agent",
            Subject::Command => "command",
        }
    }
}

impl std::fmt::Display for Subject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl AppliesTo {
    /// Whether a rule with this `applies_to` watches a task running `subject`.
    pub fn covers(self, subject: Subject) -> bool {
        match self {
            AppliesTo::Any => true,
            AppliesTo::Agents => subject == Subject::Agent,
        }
    }
}

/// Whether a program name (a path, or a package name with an optional `@version`) is a known agent.
fn is_known_agent(word: &str) -> bool {
    let name = without_version(word);
    let base = Path::new(name).file_name().and_then(|n| n.to_str()).unwrap_or(name);
    KNOWN_AGENTS.iter().any(|agent| *agent == name || *agent == base)
}

/// `@openai/codex@1.2` → `@openai/codex`, `claude@latest` → `claude`. Only an `@` in the last part
/// of the word starts a version: one in a directory's name (npm's `node_modules/@anthropic-ai/…`,
/// `/home/me@corp/bin/claude`) or a scope's own does not.
fn without_version(word: &str) -> &str {
    match word.rfind('@') {
        Some(at) if at > 0 && !word[at..].contains('/') && !word[..at].ends_with('/') => &word[..at],
        _ => word,
    }
}

/// The program `words[from..]` runs, looking through launchers, `VAR=value` and `sh -c`.
/// `depth` bounds the nesting (`env sh -c 'npx …'`), so no input can recurse without end.
fn program<'a>(words: &[&'a str], depth: usize) -> Option<&'a str> {
    if depth > 4 {
        return None;
    }
    let mut rest = words.iter().copied().skip_while(|word| is_assignment(word));
    let first = rest.next()?;
    let name = Path::new(first).file_name().and_then(|n| n.to_str()).unwrap_or(first);
    let rest: Vec<&str> = rest.collect();
    if SHELLS.contains(&name) {
        // `-c`, or a cluster with it (`-lc`, `-ec`); the script is the next word.
        let is_c = |w: &&str| w.starts_with('-') && !w.starts_with("--") && w.contains('c');
        let script = rest.iter().position(is_c).and_then(|at| rest.get(at + 1))?;
        let script_words: Vec<&str> = script.split_whitespace().collect();
        return program(&script_words, depth + 1);
    }
    if LAUNCHERS.contains(&name) {
        // Options of the launcher itself (`npx -y`, `nice -n 5`) come before the command.
        let mut index = 0;
        while let Some(word) = rest.get(index) {
            if !word.starts_with('-') {
                break;
            }
            // `nice -n 5`, `npx --package x`: an option that takes a value.
            let takes_value = matches!(*word, "-n" | "-p" | "--package" | "-u" | "--unset" | "-C" | "--chdir");
            index += if takes_value { 2 } else { 1 };
        }
        return program(&rest[index.min(rest.len())..], depth + 1);
    }
    Some(first)
}

fn is_assignment(word: &str) -> bool {
    word.split_once('=')
        .is_some_and(|(name, _)| !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subject(words: &[&str]) -> Subject {
        Subject::of_command(&words.iter().map(|w| w.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn known_agents_are_agents_however_they_are_launched() {
        for argv in [
            &["claude", "-p", "fix it"][..],
            &["/usr/local/bin/codex", "exec", "x"],
            &["npx", "-y", "@anthropic-ai/claude-code@2.1.332", "-p", "x"],
            &["env", "FOO=1", "aider", "--yes"],
            &["ANTHROPIC_API_KEY=x", "gemini"],
            &["sh", "-c", "cursor-agent -p 'fix the bug'"],
            &["bash", "-lc", "opencode run x"],
            &["nice", "-n", "5", "claude"],
            // The binary where npm installs it, and one under a directory with `@` in its name.
            &["/srv/.ci/node_modules/@anthropic-ai/claude-code-linux-x64/claude", "-p", "x"],
            &["/home/me@corp/bin/claude"],
        ] {
            assert_eq!(subject(argv), Subject::Agent, "{argv:?}");
        }
    }

    #[test]
    fn other_commands_are_not() {
        for argv in [
            &["npm", "test"][..],
            &["sleep", "135"],
            &["make", "-j8"],
            &["sh", "-c", "cargo test && echo claude"],
            &["npx", "jest"],
            &["env"],
            &["sh"],
            &["python3", "fixtures/chat-agent.py"],
        ] {
            assert_eq!(subject(argv), Subject::Command, "{argv:?}");
        }
    }

    #[test]
    fn an_override_wins() {
        let argv = vec!["sleep".to_owned(), "1".to_owned()];
        assert_eq!(Subject::decide(Some(Subject::Agent), &argv), Subject::Agent);
        assert_eq!(Subject::decide(None, &argv), Subject::Command);
    }

    #[test]
    fn agents_rules_cover_agents_only() {
        assert!(AppliesTo::Any.covers(Subject::Command));
        assert!(AppliesTo::Agents.covers(Subject::Agent));
        assert!(!AppliesTo::Agents.covers(Subject::Command));
    }
}
