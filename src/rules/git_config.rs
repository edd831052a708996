//! The commands a git command runs because the repository's configuration on disk names them,
//! which an earlier call may have written: a remote added as `git remote add x 'ext::sh -c …'`
//! runs that command when `git fetch x` reaches it, `git config core.pager CMD` runs CMD at the
//! next `git log`. The call's own words show neither, so the configuration a git command reads
//! (the repository's `config`, the user's `~/.gitconfig` and `~/.config/git/config`) is read as
//! it is judged, and the settings that name a command are given back as `-c KEY=VALUE` words of
//! the same git command, which the shell parser reads as it reads them in a call (see
//! `shell::option_scripts::git_configured` and `ext::` URLs).
//!
//! Of the remotes' settings, only those of the remotes the command reaches are given: the one it
//! names (`git fetch x`, `git push x main`), or each when it names none (`git fetch --all`, `git
//! remote update`, `git pull`). Settings that name no command (`core.hooksPath`, `user.name`) are
//! left out: they are not what this reads for.

use std::path::{Path, PathBuf};

use super::workplace::{git_dir_of, located, read_regular_file};
use crate::shell::{SimpleCommand, GIT_OPTIONS_WITH_VALUE};

/// The most bytes of a configuration file read, and how far up a repository is looked for.
const MOST_BYTES: u64 = 1 << 20;
const MOST_PARENTS: usize = 64;

/// The subcommands that reach a remote by name.
const REACH_A_REMOTE: &[&str] = &["fetch", "pull", "push", "ls-remote", "remote", "archive"];

/// `command` (git, run in `directory`) with the configured settings that name a command it may
/// run put before its subcommand as `-c` words; `None` when the configuration names none.
pub fn configured_command(command: &SimpleCommand, directory: &Path) -> Option<String> {
    if command.program() != "git" {
        return None;
    }
    let args = command.args();
    let mut at = 0;
    while let Some(word) = args.get(at).filter(|word| word.starts_with('-')) {
        at += 1 + usize::from(GIT_OPTIONS_WITH_VALUE.contains(&word.as_str()));
    }
    let subcommand = args.get(at).map(String::as_str);
    let operands: Vec<&str> =
        args.get(at + 1..).unwrap_or_default().iter().filter(|a| !a.starts_with('-')).map(String::as_str).collect();
    let settings: Vec<(String, String)> = config_files(directory).iter().flat_map(|file| settings_in(file)).collect();
    let remotes: Vec<&str> = settings.iter().filter_map(|(key, _)| remote_of(key)).collect();
    let reaches_a_remote = subcommand.is_some_and(|sub| REACH_A_REMOTE.contains(&sub));
    // `git remote add x URL` names a remote it adds, which its own words show.
    let named: Vec<&str> = operands.iter().copied().filter(|operand| remotes.contains(operand)).collect();
    let reached = |remote: &str| reaches_a_remote && (named.is_empty() || named.contains(&remote));
    let given: Vec<String> = settings
        .iter()
        .filter(|(key, value)| match remote_of(key) {
            Some(remote) => reached(remote),
            None => names_a_command(key, value),
        })
        .map(|(key, value)| format!("{key}={value}"))
        // Given already (this reading, read again as the file it makes is followed): once is enough.
        .filter(|setting| !args[..at].contains(setting))
        .collect();
    if given.is_empty() {
        return None;
    }
    let quote = |word: &str| shlex::try_quote(word).map_or_else(|_| word.to_owned(), |quoted| quoted.into_owned());
    let mut words = vec!["git".to_owned()];
    words.extend(given.iter().flat_map(|setting| ["-c".to_owned(), quote(setting)]));
    words.extend(args.iter().map(|arg| quote(arg)));
    Some(words.join(" "))
}

/// The remote a `remote.NAME.KEY` setting is of.
fn remote_of(key: &str) -> Option<&str> {
    let rest = key.strip_prefix("remote.")?;
    rest.rsplit_once('.').map(|(name, _)| name)
}

/// Whether a setting (not a remote's) names a command git runs: its ssh, editors, pager, diff
/// program, file system monitor, password and proxy programs, a credential helper, an alias, or
/// an `ext::` base a URL is rewritten to.
fn names_a_command(key: &str, value: &str) -> bool {
    let lower = key.to_ascii_lowercase();
    let named = |name: &str| lower == name;
    named("core.sshcommand")
        || named("core.editor")
        || named("core.pager")
        || named("sequence.editor")
        || named("diff.external")
        || named("core.askpass")
        || named("core.gitproxy")
        || named("core.fsmonitor")
        || lower.starts_with("pager.")
        || lower.starts_with("alias.")
        || (lower.starts_with("credential.") && lower.ends_with(".helper"))
        || (lower.starts_with("url.ext::") && !value.is_empty())
}

/// The configuration files git reads for a command run in `directory`: the repository's (in the
/// common directory of a worktree), then the user's.
fn config_files(directory: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    if let Some(git_dir) = directory.ancestors().take(MOST_PARENTS).find_map(git_dir_of) {
        let common = read_regular_file(&git_dir.join("commondir"), 4096)
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .map(|common| git_dir.join(common.trim()));
        files.push(common.unwrap_or(git_dir).join("config"));
    }
    files.extend(located(directory, "~/.gitconfig"));
    files.extend(located(directory, "~/.config/git/config"));
    files
}

/// The `(section.name, value)` settings of a configuration file, as git names them (`remote.x.url`,
/// the subsection as written, the rest in lower case).
fn settings_in(file: &Path) -> Vec<(String, String)> {
    let Some(bytes) = read_regular_file(file, MOST_BYTES) else { return Vec::new() };
    parse(&String::from_utf8_lossy(&bytes))
}

/// [`settings_in`] of a configuration file's text: `[section "subsection"]` (or the old
/// `[section.subsection]`) headers, `name = value` lines, `#` and `;` comments outside quotes,
/// `"…"` quoting with `\"`, `\\`, `\n`, `\t` escapes, and a line ended by `\` continued.
fn parse(text: &str) -> Vec<(String, String)> {
    let mut settings = Vec::new();
    let mut section = String::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let mut line = line.trim_start().to_owned();
        if let Some(header) = line.strip_prefix('[') {
            let Some((header, after)) = header.split_once(']') else { continue };
            section = match header.split_once(char::is_whitespace) {
                Some((name, sub)) => {
                    let sub = sub.trim().trim_matches('"').replace("\\\"", "\"").replace("\\\\", "\\");
                    format!("{}.{sub}", name.to_ascii_lowercase())
                }
                None => match header.split_once('.') {
                    Some((name, sub)) => format!("{}.{}", name.to_ascii_lowercase(), sub.to_ascii_lowercase()),
                    None => header.to_ascii_lowercase(),
                },
            };
            // `[core] pager = x` on the header's line.
            line = after.trim_start().to_owned();
        }
        if line.is_empty() || line.starts_with(['#', ';']) || section.is_empty() {
            continue;
        }
        let (name, raw) = line.split_once('=').map_or((line.as_str(), ""), |(name, value)| (name, value));
        let name = name.trim().to_ascii_lowercase();
        let mut raw = raw.to_owned();
        while raw.trim_end().ends_with('\\') && !raw.trim_end().ends_with("\\\\") {
            raw = raw.trim_end().trim_end_matches('\\').to_owned();
            raw.push_str(lines.next().unwrap_or_default());
        }
        settings.push((format!("{section}.{name}"), value_of(&raw)));
    }
    settings
}

/// A value as git reads it: quotes and escapes taken away, a comment outside quotes cut off, the
/// blanks around it trimmed.
fn value_of(raw: &str) -> String {
    let mut value = String::new();
    let mut quoted = false;
    let mut chars = raw.trim().chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => quoted = !quoted,
            '\\' => match chars.next() {
                Some('n') => value.push('\n'),
                Some('t') => value.push('\t'),
                Some('b') => {
                    value.pop();
                }
                Some(other) => value.push(other),
                None => {}
            },
            '#' | ';' if !quoted => break,
            _ => value.push(c),
        }
    }
    value.trim_end().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn git(line: &str) -> SimpleCommand {
        SimpleCommand {
            words: shlex::split(line).unwrap(),
            pipeline: 0,
            stage: 0,
            through_xargs: false,
            substituted: Default::default(),
            input: Vec::new(),
        }
    }

    #[test]
    fn a_configuration_is_read_as_git_reads_it() {
        let text = "[core]\n\tPager = \"less -R\" # a comment\n[remote \"x\"]\n\turl = ext::sh -c rm% -rf% ~\n[Remote.Old]\nurl=a\\\n b\n[alias] x = !echo \"a;b\"\n";
        assert_eq!(
            parse(text),
            [
                ("core.pager".to_owned(), "less -R".to_owned()),
                ("remote.x.url".to_owned(), "ext::sh -c rm% -rf% ~".to_owned()),
                ("remote.old.url".to_owned(), "a b".to_owned()),
                ("alias.x".to_owned(), "!echo a;b".to_owned()),
            ]
        );
    }

    #[test]
    fn the_remotes_a_command_reaches_and_the_commands_configured_are_given_as_its_options() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join(".git")).unwrap();
        std::fs::create_dir_all(dir.path().join("sub")).unwrap();
        std::fs::write(
            dir.path().join(".git/config"),
            "[core]\n\thooksPath = .husky\n[remote \"x\"]\n\turl = ext::sh -c rm% -rf% ~\n[remote \"origin\"]\n\turl = https://h/r\n",
        )
        .unwrap();
        let read = |line: &str| configured_command(&git(line), &dir.path().join("sub"));
        assert_eq!(read("git fetch x").unwrap(), "git -c 'remote.x.url=ext::sh -c rm% -rf% ~' fetch x");
        assert!(read("git -c protocol.ext.allow=always ls-remote x").unwrap().contains("remote.x.url=ext::"));
        assert!(read("git fetch --all").unwrap().contains("remote.x.url=ext::"));
        assert!(read("git pull").unwrap().contains("remote.x.url=ext::"));
        assert!(read("git remote update").unwrap().contains("remote.x.url=ext::"));
        // Another remote, or no remote reached: nothing of x's.
        assert!(!read("git fetch origin").unwrap().contains("remote.x"));
        assert!(read("git log x").is_none_or(|line| !line.contains("remote.x")));
        assert!(read("ls x").is_none());
        // Its own reading, read again, adds nothing: the settings are given already.
        assert!(read(&read("git fetch x").unwrap()).is_none());
        // A setting that names no command is not given (`core.hooksPath` would read as skipping hooks).
        assert!(!read("git commit -m x").unwrap_or_default().contains("hooksPath"));
    }
}
