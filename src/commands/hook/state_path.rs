//! A tool call judged with axiom's state directory written as its default path.
//!
//! The pack guards axiom's state (the client token, the lock that holds the hub's pid, `hub.json`,
//! the tasks' histories) by where it is unless told otherwise (`~/.local/state/axiom/…`,
//! `$XDG_STATE_HOME/axiom/…`, any `…/axiom/token`) and by the name `$AXIOM_STATE_DIR`. A hub given a
//! directory of another name (`AXIOM_STATE_DIR=/srv/supervisor`) was guarded by the variable's
//! name alone: a call that wrote the path out (`cat /srv/supervisor/token`, `Read
//! /srv/supervisor/token`) went through. So the hook judges a call with that directory written as
//! the default, which every rule about the state knows.

use std::path::Path;

/// How the rules know the state directory best.
const DEFAULT_SPELLING: &str = "~/.local/state/axiom";

/// `line` with each mention of `state_dir` written as [`DEFAULT_SPELLING`]; `None` when it
/// mentions none, or when the directory is where it is by default, as the rules already expect.
pub fn spelled_as_default(line: &str, state_dir: &Path) -> Option<String> {
    let dir = state_dir.to_str()?.trim_end_matches('/');
    if !dir.starts_with('/') || dir.len() < 2 || dir.ends_with("/.local/state/axiom") {
        return None;
    }
    let in_a_path = |c: char| c.is_alphanumeric() || matches!(c, '.' | '_' | '-');
    let mut spelled = String::with_capacity(line.len());
    let mut rest = line;
    let mut changed = false;
    while let Some(at) = rest.find(dir) {
        let after = &rest[at + dir.len()..];
        // Only the directory itself or what is in it, written from the root: not
        // `/srv/supervisor-old`, nor `/var/srv/supervisor`.
        let before = rest[..at].chars().next_back().or_else(|| spelled.chars().next_back());
        let whole =
            !after.starts_with(in_a_path) && !before.is_some_and(|c| in_a_path(c) || matches!(c, '/' | '~' | '$'));
        spelled.push_str(&rest[..at]);
        spelled.push_str(if whole { DEFAULT_SPELLING } else { dir });
        changed |= whole;
        rest = after;
    }
    spelled.push_str(rest);
    changed.then_some(spelled)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_directory_and_what_is_in_it_are_written_as_the_default_and_nothing_else() {
        let dir = Path::new("/srv/supervisor");
        assert_eq!(
            spelled_as_default("Bash: cat /srv/supervisor/token; rm -rf '/srv/supervisor'", dir).as_deref(),
            Some("Bash: cat ~/.local/state/axiom/token; rm -rf '~/.local/state/axiom'")
        );
        assert_eq!(spelled_as_default("Read: /srv/supervisor/", dir).as_deref(), Some("Read: ~/.local/state/axiom/"));
        assert_eq!(spelled_as_default("Bash: ls /srv/supervisor-old /srv/supervisors", dir), None);
        assert_eq!(spelled_as_default("Bash: rm -rf /var/srv/supervisor build/srv/supervisor", dir), None);
        // Named `axiom` elsewhere, the rules know it no better than by any other name.
        assert_eq!(
            spelled_as_default("Bash: rm -rf /srv/axiom", Path::new("/srv/axiom")).as_deref(),
            Some("Bash: rm -rf ~/.local/state/axiom")
        );
        assert_eq!(
            spelled_as_default("Bash: cat /home/u/.local/state/axiom/token", Path::new("/home/u/.local/state/axiom")),
            None
        );
        assert_eq!(spelled_as_default("Bash: cat token", Path::new("state")), None);
    }
}
