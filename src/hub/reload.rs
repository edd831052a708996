//! Hot rule reload: watch the rule files, and put a valid edit in force for every task within
//! about a second. An invalid edit is rejected with its `FILE:LINE:COL` problems, and the rules in
//! force stay as they were.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use notify::{RecursiveMode, Watcher};
use tokio::sync::mpsc;

use crate::rules::{RuleOrigin, RuleSet};
use crate::tasks::{RuleReload, Tasks};

mod held;

use held::{file_key, snapshot, HeldEdits, Snapshot};

/// Editors save in bursts (write, rename, chmod); wait this long for the burst to end.
const SETTLE: Duration = Duration::from_millis(250);

/// Starts watching the files of `origin`. Returns the watcher, which must be kept alive; `None`
/// for the built-in pack, which cannot change.
pub fn watch_rules(tasks: Arc<Tasks>, origin: RuleOrigin) -> anyhow::Result<Option<notify::RecommendedWatcher>> {
    let paths = origin.paths();
    if paths.is_empty() {
        return Ok(None);
    }
    let (changes, mut changed) = mpsc::unbounded_channel::<Vec<PathBuf>>();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        let Ok(event) = event else { return };
        let named: Vec<PathBuf> = event.paths.iter().filter(|p| is_rule_file(p)).map(|p| file_key(p)).collect();
        if is_edit(&event.kind) && !named.is_empty() {
            let _ = changes.send(named);
        }
    })?;
    for path in &paths {
        // A file is watched through its directory: editors replace files by renaming over them.
        let dir = if path.is_dir() { path.clone() } else { parent_dir(path) };
        watcher.watch(&dir, RecursiveMode::NonRecursive)?;
    }
    tasks.watch_rule_edits();
    tokio::spawn(async move {
        let Some(in_force) = snapshot_of(&origin).await else { return };
        let mut held = HeldEdits::new(in_force);
        // The rule files an event named since the rules were last read.
        let mut named: HashSet<PathBuf> = HashSet::new();
        while let Some(paths) = changed.recv().await {
            named.extend(paths);
            // Debounce: reload once the burst has been quiet for SETTLE.
            loop {
                match tokio::time::timeout(SETTLE, changed.recv()).await {
                    Ok(Some(paths)) => named.extend(paths),
                    Ok(None) => return,
                    Err(_) => break,
                }
            }
            let Some(now) = snapshot_of(&origin).await else { return };
            let editors = tasks.tasks_that_can_edit_rules();
            if !editors.is_empty() {
                let files = held.hold(&now);
                if files.is_empty() {
                    continue;
                }
                crate::logging::note!(
                    "axiom: the rule files changed while {} ({}) worked in the directory that holds them; the \
                     change is not put in force, since a task may have made it (read {}, and save {} again once \
                     {} ended, or restart the hub)",
                    crate::human::count(editors.len() as u64, "task"),
                    editors.join(", "),
                    files.join(", "),
                    if files.len() == 1 { "it" } else { "them" },
                    if editors.len() == 1 { "it has" } else { "they have" },
                );
                tasks.report_reload(RuleReload::Held { tasks: editors, files });
                continue;
            }
            let unseen = held.changed_unnamed(&now, &named);
            if !unseen.is_empty() {
                crate::logging::note!(
                    "axiom: {} changed without being saved under {} name (through a hard link or a memory \
                     map, as a task hiding its edit would); the rules are not reloaded until {} saved again \
                     (once read), or the hub is restarted",
                    unseen.join(", "),
                    if unseen.len() == 1 { "its" } else { "their" },
                    if unseen.len() == 1 { "it is" } else { "they are" },
                );
                tasks.report_reload(RuleReload::Held { tasks: Vec::new(), files: unseen });
                continue;
            }
            let files = held.unreviewed(&now);
            if !files.is_empty() {
                crate::logging::note!(
                    "axiom: {} still {} what {} when a task could edit the rules; the rules are not reloaded \
                     until {} saved again (once read), or the hub is restarted",
                    files.join(", "),
                    if files.len() == 1 { "says" } else { "say" },
                    if files.len() == 1 { "it said" } else { "they said" },
                    if files.len() == 1 { "it is" } else { "they are" },
                );
                tasks.report_reload(RuleReload::Held { tasks: Vec::new(), files });
                continue;
            }
            let origin = origin.clone();
            let load = move || RuleSet::load(origin).inspect(RuleSet::prepare);
            let Ok(loaded) = tokio::task::spawn_blocking(load).await else { continue };
            match loaded {
                Ok(rules) => {
                    crate::logging::note!(
                        "axiom: reloaded {} from {}{}",
                        crate::human::count(rules.rules().len() as u64, "rule"),
                        rules.origin(),
                        if rules.rules().is_empty() { "; warning: nothing will be matched or stopped" } else { "" }
                    );
                    held.loaded(now);
                    named.clear();
                    tasks.replace_rules(Arc::new(rules));
                }
                Err(problems) => {
                    crate::logging::note!("{problems}\naxiom: the edit was rejected; the previous rules stay in force");
                    tasks.report_reload(RuleReload::Rejected { problems: problems.to_string() });
                }
            }
        }
    });
    Ok(Some(watcher))
}

/// The rule files of `origin` as they are now, read off the runtime's threads; `None` when the
/// runtime is shutting down.
async fn snapshot_of(origin: &RuleOrigin) -> Option<Snapshot> {
    let origin = origin.clone();
    tokio::task::spawn_blocking(move || snapshot(&origin.files())).await.ok()
}

/// Whether an event can change what a rule file says. Reading the files (which the reload
/// itself does) raises access events, and an access-time update a metadata event: reacting to
/// those made every reload trigger the next, for ever.
fn is_edit(kind: &notify::EventKind) -> bool {
    use notify::event::{EventKind, ModifyKind};
    match kind {
        EventKind::Create(_) | EventKind::Remove(_) => true,
        EventKind::Modify(ModifyKind::Metadata(_)) => false,
        EventKind::Modify(_) => true,
        EventKind::Access(_) | EventKind::Any | EventKind::Other => false,
    }
}

fn is_rule_file(path: &std::path::Path) -> bool {
    matches!(path.extension().and_then(|e| e.to_str()), Some("yaml" | "yml"))
}

fn parent_dir(path: &std::path::Path) -> PathBuf {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    }
}
