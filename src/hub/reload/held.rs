//! Rule edits a task could have made, which nobody has looked at since.
//!
//! An edit made while a task works where the rules are is not put in force (see
//! [`watch_rules`](super::watch_rules)). It stays on disk, though, and the next reload (the user
//! editing another file, after the task ended) would take it in with the rest. So each file that
//! differed from the rules in force when an edit was held is remembered as it was then, and a
//! reload that finds one of them still so (same contents, same modification time) is refused.
//! Saving the file again, which is how a review ends, changes its modification time and lets it
//! in; so does putting back what is in force.
//!
//! An edit can also be made where the watcher does not see it: through a hard link under another
//! name, or a memory map. So a reload is refused too while a file says something else than the
//! rules in force although no event named it since they were read ([`HeldEdits::changed_unnamed`]);
//! saving it under its name lets it in.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use sha2::{Digest as _, Sha256};

/// Every rule file, as it is now.
pub type Snapshot = HashMap<PathBuf, FileState>;

/// A rule file as it was when read: when it was last written, and a digest of what it said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileState {
    modified: Option<SystemTime>,
    digest: [u8; 32],
}

/// Reads `files` (blocking: call it off the runtime's threads), each under its [`file_key`]. A file
/// that cannot be read is left out, as if it were not there.
pub fn snapshot(files: &[PathBuf]) -> Snapshot {
    files
        .iter()
        .filter_map(|path| {
            let text = std::fs::read(path).ok()?;
            let modified = std::fs::metadata(path).and_then(|m| m.modified()).ok();
            Some((file_key(path), FileState { modified, digest: Sha256::digest(&text).into() }))
        })
        .collect()
}

/// One name for a rule file however it was spelled (`rules/a.yaml`, `/p/rules/./a.yaml`, a
/// watcher's absolute path): its directory resolved, and its own name.
pub fn file_key(path: &Path) -> PathBuf {
    match (path.parent().and_then(|dir| dir.canonicalize().ok()), path.file_name()) {
        (Some(dir), Some(name)) => dir.join(name),
        _ => path.to_path_buf(),
    }
}

/// What the rules in force were read from, and the files held back since.
#[derive(Debug, Default)]
pub struct HeldEdits {
    in_force: Snapshot,
    /// Each file that differed from the rules in force when an edit was held, as it was then
    /// (`None`: deleted).
    held: Vec<(PathBuf, Option<FileState>)>,
}

impl HeldEdits {
    /// `in_force`: the files the rules in force were read from.
    pub fn new(in_force: Snapshot) -> HeldEdits {
        HeldEdits { in_force, held: Vec::new() }
    }

    /// An edit was held back with the files as in `now`: remembers each one that differs from
    /// the rules in force. Returns their names.
    pub fn hold(&mut self, now: &Snapshot) -> Vec<String> {
        let changed = self.changed(now);
        for path in &changed {
            let state = now.get(path).cloned();
            if !self.held.iter().any(|(held, held_state)| held == path && *held_state == state) {
                self.held.push((path.clone(), state));
            }
        }
        names(&changed)
    }

    /// The files that are, in `now`, still as they were when an edit was held (and so not what
    /// is in force): a reload must not take them in.
    pub fn unreviewed(&self, now: &Snapshot) -> Vec<String> {
        let still: Vec<PathBuf> = self
            .held
            .iter()
            .filter(|(path, state)| now.get(path) == state.as_ref() && now.get(path) != self.in_force.get(path))
            .map(|(path, _)| path.clone())
            .collect();
        names(&still)
    }

    /// The files whose contents in `now` differ from the rules in force although no event named
    /// them since (`named`): written through another name (a hard link) or a memory map, which
    /// the watcher does not see, as a task hiding its edit would write them.
    pub fn changed_unnamed(&self, now: &Snapshot, named: &HashSet<PathBuf>) -> Vec<String> {
        let mut unseen: Vec<PathBuf> = now
            .iter()
            .filter(|(path, state)| {
                self.in_force.get(*path).is_some_and(|old| old.digest != state.digest) && !named.contains(*path)
            })
            .map(|(path, _)| path.clone())
            .collect();
        unseen.sort();
        names(&unseen)
    }

    /// The rules were reloaded from the files as in `now`: that is what is in force, and nothing
    /// is held any more.
    pub fn loaded(&mut self, now: Snapshot) {
        self.in_force = now;
        self.held.clear();
    }

    /// The files that differ between `now` and the rules in force, added and deleted ones too.
    fn changed(&self, now: &Snapshot) -> Vec<PathBuf> {
        let mut paths: Vec<&PathBuf> = now.keys().chain(self.in_force.keys()).collect();
        paths.sort();
        paths.dedup();
        paths.into_iter().filter(|path| now.get(*path) != self.in_force.get(*path)).cloned().collect()
    }
}

fn names(paths: &[PathBuf]) -> Vec<String> {
    paths.iter().map(|path| Path::display(path).to_string()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn state(text: &str, at: u64) -> FileState {
        FileState {
            modified: Some(SystemTime::UNIX_EPOCH + Duration::from_secs(at)),
            digest: Sha256::digest(text.as_bytes()).into(),
        }
    }

    fn files(entries: &[(&str, FileState)]) -> Snapshot {
        entries.iter().map(|(path, state)| (PathBuf::from(path), state.clone())).collect()
    }

    #[test]
    fn a_held_edit_stays_out_until_its_file_is_saved_again() {
        let mut held = HeldEdits::new(files(&[("a.yaml", state("a", 1)), ("b.yaml", state("b", 1))]));
        let by_task = files(&[("a.yaml", state("a, by the task", 5)), ("b.yaml", state("b", 1))]);
        assert_eq!(held.hold(&by_task), ["a.yaml"]);
        // Later the user edits b.yaml: a.yaml still says what the task wrote.
        let user_edits_b = files(&[("a.yaml", state("a, by the task", 5)), ("b.yaml", state("b, by the user", 9))]);
        assert_eq!(held.unreviewed(&user_edits_b), ["a.yaml"]);
        // Saved again after a review (the same text, a new time), it goes in.
        let reviewed = files(&[("a.yaml", state("a, by the task", 12)), ("b.yaml", state("b, by the user", 9))]);
        assert!(held.unreviewed(&reviewed).is_empty());
        held.loaded(reviewed.clone());
        assert!(held.unreviewed(&reviewed).is_empty());
    }

    #[test]
    fn a_file_changed_with_no_event_naming_it_is_told_apart() {
        let held = HeldEdits::new(files(&[("a.yaml", state("a", 1)), ("b.yaml", state("b", 1))]));
        let now = files(&[("a.yaml", state("a, through a link", 5)), ("b.yaml", state("b, by the user", 6))]);
        let named: HashSet<PathBuf> = [PathBuf::from("b.yaml")].into_iter().collect();
        assert_eq!(held.changed_unnamed(&now, &named), ["a.yaml"]);
        let both: HashSet<PathBuf> = ["a.yaml", "b.yaml"].into_iter().map(PathBuf::from).collect();
        assert!(held.changed_unnamed(&now, &both).is_empty());
    }

    #[test]
    fn putting_back_what_is_in_force_clears_a_held_edit() {
        let mut held = HeldEdits::new(files(&[("a.yaml", state("a", 1))]));
        held.hold(&files(&[("a.yaml", state("a, by the task", 5))]));
        assert!(held.unreviewed(&files(&[("a.yaml", state("a", 1))])).is_empty());
    }

    #[test]
    fn added_and_deleted_files_are_held_too() {
        let mut held = HeldEdits::new(files(&[("a.yaml", state("a", 1))]));
        let by_task = files(&[("new.yaml", state("rules: []", 5))]);
        assert_eq!(held.hold(&by_task), ["a.yaml", "new.yaml"]);
        assert_eq!(held.unreviewed(&by_task), ["a.yaml", "new.yaml"]);
        // Each held state counts: a second held edit of the same file adds the newer one.
        let again = files(&[("new.yaml", state("rules: [] # again", 6))]);
        held.hold(&again);
        assert_eq!(held.unreviewed(&again), ["a.yaml", "new.yaml"]);
    }
}
