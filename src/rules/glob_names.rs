//! A word with a shell pattern in it (`.c[l]aude/settings.json`, `~/.con*/axiom`) names whatever
//! the shell expands it to, which the text of the word does not show. Command rules judge such a
//! word also as each path it could expand to where its patterns stand for names the pack guards:
//! axiom's rules and state, Claude Code's settings, the home directory's keys, the system's
//! directories and the home directory's folders of work.

use globset::GlobBuilder;

/// The names a pattern is tried against, one part of a path at a time.
const GUARDED_NAMES: &[&str] = &[
    ".axiom",
    ".claude",
    ".config",
    ".local",
    ".ssh",
    ".gnupg",
    // The repository's history (`rm -rf .g*`, `.[g]it`).
    ".git",
    "axiom",
    "state",
    "rules",
    "settings.json",
    "settings.local.json",
    // The system's directories and the home directory's folders and credentials that
    // `tool-rm-root-or-home` refuses to delete (`/[u]sr`, `~/D*`, `/h*e`, `~/.a?s`): the names
    // its pattern spells out, kept in step with it.
    "usr",
    "etc",
    "home",
    "var",
    "bin",
    "sbin",
    "lib",
    "lib64",
    "boot",
    "dev",
    "mnt",
    "opt",
    "proc",
    "root",
    "srv",
    "sys",
    "local",
    "share",
    "include",
    "libexec",
    "log",
    "cache",
    "spool",
    "mail",
    "Users",
    "System",
    "Library",
    "Applications",
    ".aws",
    ".kube",
    ".azure",
    ".docker",
    "Documents",
    "Desktop",
    "Downloads",
    "Pictures",
    "Music",
    "Videos",
    "Movies",
    "projects",
    "Projects",
    "src",
    "code",
    "Code",
    "Developer",
    "developer",
    "work",
    "workspace",
    "Workspace",
    "repos",
    "git",
];

/// At most this many paths per word (a word of many patterns, each matching several names).
const MAX_EXPANSIONS: usize = 64;

/// The paths `word` could expand to with its patterns standing for guarded names; empty when it
/// has no pattern that matches one. Like bash without `dotglob`, a pattern matches a name that
/// begins with `.` only when it begins with `.` itself.
pub fn guarded_expansions(word: &str) -> Vec<String> {
    if !word.contains(['*', '?', '[']) {
        return Vec::new();
    }
    let mut paths = vec![String::new()];
    let mut expanded = false;
    for (index, part) in word.split('/').enumerate() {
        let names = if part.contains(['*', '?', '[']) { matching_names(part) } else { Vec::new() };
        let choices: Vec<&str> = if names.is_empty() { vec![part] } else { names };
        expanded |= choices.as_slice() != [part];
        let mut next = Vec::new();
        for path in &paths {
            for choice in &choices {
                if next.len() < MAX_EXPANSIONS {
                    next.push(if index == 0 { (*choice).to_owned() } else { format!("{path}/{choice}") });
                }
            }
        }
        paths = next;
    }
    if expanded {
        paths
    } else {
        Vec::new()
    }
}

/// The guarded names that the pattern `part` (one part of a path) matches.
fn matching_names(part: &str) -> Vec<&'static str> {
    let Ok(glob) = GlobBuilder::new(part).literal_separator(true).backslash_escape(true).build() else {
        return Vec::new();
    };
    let matcher = glob.compile_matcher();
    GUARDED_NAMES
        .iter()
        .copied()
        .filter(|name| !name.starts_with('.') || part.starts_with('.'))
        .filter(|name| matcher.is_match(name))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pattern_stands_for_the_guarded_names_it_matches() {
        assert_eq!(guarded_expansions(".c[l]aude/settings.json"), [".claude/settings.json"]);
        assert_eq!(guarded_expansions("~/.con*/ax?om"), ["~/.config/axiom"]);
        assert_eq!(guarded_expansions(".?laude"), [".claude"]);
        assert_eq!(guarded_expansions(".[ac]*"), [".axiom", ".claude", ".config", ".aws", ".azure"]);
        assert_eq!(guarded_expansions("/home/me/.s[s]h/id_ed25519"), ["/home/me/.ssh/id_ed25519"]);
        assert_eq!(guarded_expansions("/[u]sr"), ["/usr"]);
        assert_eq!(guarded_expansions("/h*e"), ["/home"]);
        assert_eq!(guarded_expansions("~/D*"), ["~/Documents", "~/Desktop", "~/Downloads", "~/Developer"]);
        assert_eq!(guarded_expansions("/usr/loc?l"), ["/usr/local"]);
        assert_eq!(guarded_expansions("~/.a?s"), ["~/.aws"]);
    }

    #[test]
    fn a_pattern_without_a_leading_dot_matches_no_hidden_name() {
        assert!(guarded_expansions("*").iter().all(|path| !path.starts_with('.')));
        assert_eq!(guarded_expansions("*")[..3], ["axiom", "state", "rules"]);
        assert!(guarded_expansions("*/x").iter().all(|path| !path.starts_with('.')));
        assert!(guarded_expansions("[.]claude").is_empty());
    }

    #[test]
    fn words_without_a_pattern_for_a_guarded_name_give_nothing() {
        assert!(guarded_expansions(".claude/settings.json").is_empty());
        assert!(guarded_expansions("src/*.rs").is_empty());
        assert!(guarded_expansions("build/[").is_empty());
        assert!(guarded_expansions(".cache/*.tmp").is_empty());
    }

    #[test]
    fn expansions_are_bounded() {
        assert_eq!(guarded_expansions("*/*/*/*").len(), MAX_EXPANSIONS);
    }
}
