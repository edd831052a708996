//! A tool call judged with the paths its supervision stands on written as their defaults.
//!
//! The pack guards axiom's state (the client token, the lock that holds the hub's pid, `hub.json`,
//! the tasks' histories) by where it is unless told otherwise (`~/.local/state/axiom/…`,
//! `$XDG_STATE_HOME/axiom/…`, any `…/axiom/token`) and by the name `$AXIOM_STATE_DIR`; its rules
//! as `~/.config/axiom/rules/` and `.axiom/`; its program as `…/bin/axiom`. A hub given a
//! directory of another name (`AXIOM_STATE_DIR=/srv/supervisor`), or a hook given rules or
//! installed elsewhere (`--rules /opt/policy`, `/opt/tools/axiom`), was guarded by the variable's
//! name alone, or not at all for a file tool: a call that wrote the path out (`cat
//! /srv/supervisor/token`, `Write /opt/policy/pack.yaml`) went through. So the hook judges a call
//! with those paths written as the defaults, which every rule about them knows.

use std::path::Path;

/// How the rules know the state directory best.
pub const STATE_SPELLING: &str = "~/.local/state/axiom";
/// How they know a directory of rules, and the program.
pub const RULES_SPELLING: &str = "~/.config/axiom/rules";
pub const PROGRAM_SPELLING: &str = "~/.local/bin/axiom";

/// `line` with each mention of an own path written as its default spelling, `own` giving each
/// path and that spelling; `None` when it mentions none, or only where they are by default, as the
/// rules already expect.
pub fn spelled_as_default(line: &str, own: &[(&Path, &str)]) -> Option<String> {
    let mut spelled = None;
    for (path, default) in own {
        if let Some(respelled) = spelled_once(spelled.as_deref().unwrap_or(line), path, default) {
            spelled = Some(respelled);
        }
    }
    spelled
}

fn spelled_once(line: &str, path: &Path, default: &str) -> Option<String> {
    let dir = path.to_str()?.trim_end_matches('/');
    let default_tail = default.trim_start_matches('~');
    if !dir.starts_with('/') || dir.len() < 2 || dir.ends_with(default_tail) {
        return None;
    }
    let in_a_path = |c: char| c.is_alphanumeric() || matches!(c, '.' | '_' | '-');
    let mut spelled = String::with_capacity(line.len());
    let mut rest = line;
    let mut changed = false;
    while let Some(at) = rest.find(dir) {
        let after = &rest[at + dir.len()..];
        // Only the path itself or what is in it, written from the root: not
        // `/srv/supervisor-old`, nor `/var/srv/supervisor`.
        let before = rest[..at].chars().next_back().or_else(|| spelled.chars().next_back());
        let whole =
            !after.starts_with(in_a_path) && !before.is_some_and(|c| in_a_path(c) || matches!(c, '/' | '~' | '$'));
        spelled.push_str(&rest[..at]);
        spelled.push_str(if whole { default } else { dir });
        changed |= whole;
        rest = after;
    }
    spelled.push_str(rest);
    changed.then_some(spelled)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spelled_as_default(line: &str, state_dir: &Path) -> Option<String> {
        super::spelled_as_default(line, &[(state_dir, STATE_SPELLING)])
    }

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

    #[test]
    fn rules_and_the_program_are_written_as_theirs() {
        let own: [(&Path, &str); 3] = [
            (Path::new("/opt/policy"), RULES_SPELLING),
            (Path::new("/srv/rules.yaml"), "~/.config/axiom/rules/rules.yaml"),
            (Path::new("/opt/tools/axiom-7"), PROGRAM_SPELLING),
        ];
        assert_eq!(
            super::spelled_as_default("Write: /opt/policy/pack.yaml", &own).as_deref(),
            Some("Write: ~/.config/axiom/rules/pack.yaml")
        );
        assert_eq!(
            super::spelled_as_default("Bash: cp /bin/true /opt/tools/axiom-7 && : > /srv/rules.yaml", &own).as_deref(),
            Some("Bash: cp /bin/true ~/.local/bin/axiom && : > ~/.config/axiom/rules/rules.yaml")
        );
        assert_eq!(super::spelled_as_default("Bash: ls /opt/policy-old", &own), None);
    }
}
