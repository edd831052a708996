//! All tasks of a hub, by id, and the rules they are watched with.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime};

use super::journal::{read_history, Journal};
use super::task::{hooked_command, hooked_session, now_ms, Task, TaskConfig};
use crate::protocol::HookRecord;
use crate::protocol::{TaskInfo, TaskStatus};
use crate::rules::RuleSet;

/// The rules in force and when they were loaded.
#[derive(Clone)]
pub struct LoadedRules {
    pub rules: Arc<RuleSet>,
    /// Milliseconds since the Unix epoch.
    pub loaded_at: u64,
}

/// What became of a rule edit, for whoever reports it (stderr, MCP log notifications).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleReload {
    Reloaded {
        rules: usize,
        origin: String,
    },
    /// The edit had problems (one `FILE:LINE:COL: message` per line); the old rules stay.
    Rejected {
        problems: String,
    },
    /// Rule files changed while a task could edit them, so not put in force: `tasks` are the
    /// running tasks that work where the rules are (any of them could have made the edit), or
    /// none when the edit is held because `files` still say what they said then, unreviewed.
    Held {
        tasks: Vec<String>,
        files: Vec<String>,
    },
}

pub struct Tasks {
    tasks: RwLock<HashMap<String, Arc<Task>>>,
    /// The task of each Claude Code session supervised through `axiom hook`, by session id. A
    /// lock of its own, held from lookup to creation, so two hooks of one new session (parallel
    /// tool calls) make one task.
    hooked: Mutex<HashMap<String, Arc<Task>>>,
    rules: RwLock<LoadedRules>,
    /// Tasks started in a directory that holds the rules in force, while they run.
    rules_in_reach_of: Mutex<Vec<Arc<Task>>>,
    /// Whether edits of the rule files are put in force (`serve` and `mcp`, unless locked).
    rules_watched: std::sync::atomic::AtomicBool,
    config: TaskConfig,
    journal: Option<Journal>,
    reloads: tokio::sync::broadcast::Sender<RuleReload>,
}

/// How long after a task in reach of the rules ended an edit of them is still held back.
const EDIT_HELD_AFTER_END: Duration = Duration::from_secs(10);

fn retain_editors(in_reach: &mut Vec<Arc<Task>>, now: Instant) {
    in_reach.retain(|task| {
        task.finished_at().is_none_or(|ended| now.saturating_duration_since(ended) < EDIT_HELD_AFTER_END)
    });
}

/// How much finished history is kept on disk.
#[derive(Debug, Clone, Copy)]
pub struct Retention {
    pub max_age: Duration,
    pub max_bytes: u64,
}

impl Default for Retention {
    fn default() -> Self {
        Retention { max_age: Duration::from_secs(7 * 24 * 3600), max_bytes: 1024 * 1024 * 1024 }
    }
}

impl Tasks {
    /// Tasks kept in memory only.
    pub fn new(rules: Arc<RuleSet>, config: TaskConfig) -> Self {
        Self::with_journal(rules, config, None)
    }

    /// Tasks whose history is written to (and can be restored from) `journal`.
    pub fn with_journal(rules: Arc<RuleSet>, config: TaskConfig, journal: Option<Journal>) -> Self {
        Tasks {
            tasks: RwLock::new(HashMap::new()),
            hooked: Mutex::new(HashMap::new()),
            rules: RwLock::new(LoadedRules { rules, loaded_at: now_ms() }),
            rules_in_reach_of: Mutex::new(Vec::new()),
            rules_watched: std::sync::atomic::AtomicBool::new(false),
            config,
            journal,
            reloads: tokio::sync::broadcast::Sender::new(16),
        }
    }

    /// Hears about every rule reload and rejected edit.
    pub fn rule_reloads(&self) -> tokio::sync::broadcast::Receiver<RuleReload> {
        self.reloads.subscribe()
    }

    pub fn report_reload(&self, event: RuleReload) {
        let _ = self.reloads.send(event);
    }

    pub fn journal(&self) -> Option<&Journal> {
        self.journal.as_ref()
    }

    /// The rules new tasks start with.
    pub fn rules(&self) -> Arc<RuleSet> {
        Arc::clone(&self.loaded_rules().rules)
    }

    pub fn loaded_rules(&self) -> LoadedRules {
        self.rules.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Says that edits of the rule files are watched for and put in force from now on.
    pub fn watch_rule_edits(&self) {
        self.rules_watched.store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// Whether an edit of the rule files may be put in force while tasks run.
    pub fn rule_edits_watched(&self) -> bool {
        self.rules_watched.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Notes that `task` works in a directory that holds the rules in force, so that an edit of
    /// them while it runs is not put in force (see [`Tasks::tasks_that_can_edit_rules`]).
    pub fn note_rules_in_reach_of(&self, task: &Arc<Task>) {
        let mut in_reach = self.rules_in_reach_of.lock().unwrap_or_else(|p| p.into_inner());
        retain_editors(&mut in_reach, Instant::now());
        in_reach.push(Arc::clone(task));
    }

    /// The tasks that work where the rules in force are, and so could have edited them: those
    /// running, and those that ended less than [`EDIT_HELD_AFTER_END`] ago (the change reaches
    /// the hub a moment after the write, and the reload waits for the burst of writes to end).
    pub fn tasks_that_can_edit_rules(&self) -> Vec<String> {
        let mut in_reach = self.rules_in_reach_of.lock().unwrap_or_else(|p| p.into_inner());
        retain_editors(&mut in_reach, Instant::now());
        in_reach.iter().map(|task| task.id.clone()).collect()
    }

    /// Puts new rules in force for new tasks and for the output every running task prints from now on.
    pub fn replace_rules(&self, rules: Arc<RuleSet>) {
        *self.rules.write().unwrap_or_else(|p| p.into_inner()) =
            LoadedRules { rules: Arc::clone(&rules), loaded_at: now_ms() };
        for task in self.all() {
            if !task.status().is_finished() {
                task.set_rules(Arc::clone(&rules));
            }
        }
        self.report_reload(RuleReload::Reloaded { rules: rules.rules().len(), origin: rules.origin().to_string() });
    }

    /// Registers a new task with a fresh short id.
    pub fn create(&self, command: Vec<String>) -> Arc<Task> {
        let mut tasks = self.tasks.write().unwrap_or_else(|p| p.into_inner());
        let id = loop {
            let candidate = short_id();
            let on_disk = self.journal.as_ref().is_some_and(|j| j.root().join(&candidate).exists());
            if !tasks.contains_key(&candidate) && !on_disk {
                break candidate;
            }
        };
        let task = Arc::new(Task::new(id.clone(), command, self.rules(), self.config.clone(), self.journal.clone()));
        tasks.insert(id, Arc::clone(&task));
        task
    }

    /// Keeps a decision of `axiom hook` on the task of its Claude Code session, which the first
    /// record of a session creates (and a record after that task ended creates anew). Returns
    /// the task; `None` for a `SessionEnd` of a session with no running task, which would only
    /// make a task to end it at once.
    pub fn record_hook(&self, record: &HookRecord) -> Option<Arc<Task>> {
        loop {
            let mut hooked = self.hooked.lock().unwrap_or_else(|p| p.into_inner());
            let task = match hooked.get(&record.session) {
                Some(task) if !task.status().is_finished() => Arc::clone(task),
                _ if record.event == "SessionEnd" => {
                    tracing::info!(session = %record.session, "a session ended that has no running task here");
                    return None;
                }
                _ => {
                    make_room_for_a_session(&mut hooked);
                    let task = self.create(hooked_command(&record.session, record.cwd.as_deref()));
                    hooked.insert(record.session.clone(), Arc::clone(&task));
                    task
                }
            };
            drop(hooked);
            // The task may have ended since the lookup (the session's idle window ran out): then
            // the record goes to a new one.
            if task.record_hook(record) {
                return Some(task);
            }
        }
    }

    /// Loads every task history in the journal, after dropping what retention no longer keeps.
    /// Only regular files are read (anything else in `tasks/` is skipped with a warning), and
    /// only a running task's newest output is read into memory. Returns how many were restored.
    pub fn restore(&self, retention: Retention) -> usize {
        let Some(journal) = &self.journal else { return 0 };
        let Ok(entries) = std::fs::read_dir(journal.root()) else { return 0 };
        let mut restored = Vec::new();
        for entry in entries.flatten() {
            let path = entry.path().join("events.jsonl");
            if !entry.file_type().is_ok_and(|t| t.is_dir()) {
                tracing::warn!("{}: not a task directory; skipped", entry.path().display());
                continue;
            }
            let history = match read_history(&path) {
                Ok(history) => history,
                Err(err) => {
                    crate::logging::note!("axiom: warning: {}: {err}; skipped", path.display());
                    continue;
                }
            };
            let size = disk_usage(&path);
            match Task::restore(history, self.rules(), self.config.clone(), self.journal.clone()) {
                // A history names its task; one copied or forged into another task's directory
                // would stand for a task it is not (and its processes).
                Some(task) if *entry.file_name() == *task.id => restored.push((Arc::new(task), size)),
                Some(task) => tracing::warn!(
                    "{}: the history of task {}, not of task {}; skipped",
                    path.display(),
                    task.id,
                    entry.file_name().to_string_lossy()
                ),
                None => tracing::warn!("{}: not a task history; skipped", path.display()),
            }
        }
        for (task, _) in retention.expired(&mut restored) {
            journal.remove(&task.id);
        }
        let count = restored.len();
        let mut hooked = self.hooked.lock().unwrap_or_else(|p| p.into_inner());
        for (task, _) in &restored {
            if let Some(session) = hooked_session(&task.command).filter(|_| !task.status().is_finished()) {
                hooked.insert(session.to_owned(), Arc::clone(task));
            }
        }
        drop(hooked);
        let mut tasks = self.tasks.write().unwrap_or_else(|p| p.into_inner());
        for (task, _) in restored {
            tasks.insert(task.id.clone(), task);
        }
        count
    }

    /// Applies retention while the hub runs: finished tasks too old or beyond the size budget are
    /// forgotten, in memory and on disk. Returns how many went.
    pub fn apply_retention(&self, retention: Retention) -> usize {
        let Some(journal) = &self.journal else { return 0 };
        let mut all: Vec<(Arc<Task>, u64)> = self
            .all()
            .into_iter()
            .map(|task| {
                let size = disk_usage(&journal.events_path(&task.id));
                (task, size)
            })
            .collect();
        let expired = retention.expired(&mut all);
        if !expired.is_empty() {
            let mut tasks = self.tasks.write().unwrap_or_else(|p| p.into_inner());
            for (task, _) in &expired {
                tasks.remove(&task.id);
                journal.remove(&task.id);
            }
        }
        expired.len()
    }

    /// Frees the output rings of the finished tasks among `finished` (their histories hold the
    /// output). Call only once the journal has written everything queued before they finished.
    pub fn release_finished(&self, finished: &[Arc<Task>]) -> usize {
        finished.iter().map(|task| task.release_output()).sum()
    }

    /// Marks lost every running task whose worker has been gone `lost_after` or longer, and every
    /// session supervised through `axiom hook` that has sent nothing for `session_idle` (Claude
    /// Code killed, or its machine put to sleep, sends no `SessionEnd`); forgets the sessions whose
    /// tasks ended, so that a hub left running keeps no task that retention has dropped. Returns
    /// the tasks lost because their worker did not come back.
    pub fn sweep(&self, now: Instant, lost_after: Duration, session_idle: Duration) -> Vec<Arc<Task>> {
        let mut abandoned = Vec::new();
        for task in self.unordered() {
            if task.detached_for(now).is_some_and(|gone| gone >= lost_after) {
                tracing::warn!(task = %task.id, "the worker did not come back; the task is lost");
                task.finish(TaskStatus::Lost, now);
                abandoned.push(task);
            } else if task.hook_idle_for(now).is_some_and(|idle| idle >= session_idle)
                && task.lose_if_hook_idle(now, session_idle)
            {
                tracing::warn!(task = %task.id, "the Claude Code session sent no hook record for {}; the task is lost",
                    humantime::format_duration(session_idle));
            }
        }
        self.hooked.lock().unwrap_or_else(|p| p.into_inner()).retain(|_, task| !task.status().is_finished());
        abandoned
    }

    pub fn get(&self, id: &str) -> Option<Arc<Task>> {
        self.tasks.read().unwrap_or_else(|p| p.into_inner()).get(id).cloned()
    }

    /// Every task, oldest first.
    pub fn all(&self) -> Vec<Arc<Task>> {
        let mut all = self.unordered();
        all.sort_by(|a, b| (a.started_at, &a.id).cmp(&(b.started_at, &b.id)));
        all
    }

    /// Every task, in no order: for the sweeps that run every second and look at each task alone,
    /// which a hub that keeps a week of tasks must not pay a sort for.
    pub fn unordered(&self) -> Vec<Arc<Task>> {
        self.tasks.read().unwrap_or_else(|p| p.into_inner()).values().cloned().collect()
    }

    pub fn list(&self) -> Vec<TaskInfo> {
        self.all().iter().map(|task| task.info()).collect()
    }
}

impl Retention {
    /// Removes from `tasks` and returns the finished ones too old to keep, then the oldest finished
    /// ones until the finished ones left fit in `max_bytes`. Running tasks are always kept and do
    /// not count: each is bounded by its own cap (`--keep-bytes-per-task`), and counting them would
    /// let one busy task push every finished history, the record of what the rules did, out.
    fn expired(&self, tasks: &mut Vec<(Arc<Task>, u64)>) -> Vec<(Arc<Task>, u64)> {
        let now = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64);
        let max_age_ms = self.max_age.as_millis() as u64;
        tasks.sort_by_key(|(task, _)| task.started_at);
        // One look at each task's status: one that finishes meanwhile is judged next time.
        let finished: Vec<bool> = tasks.iter().map(|(task, _)| task.status().is_finished()).collect();
        let mut total: u64 = tasks.iter().zip(&finished).filter(|(_, &done)| done).map(|((_, size), _)| size).sum();
        let mut expired = Vec::new();
        let mut kept = Vec::new();
        for ((task, size), finished) in tasks.drain(..).zip(finished) {
            let ended = task.info().ended_at.unwrap_or(task.started_at);
            if finished && (now.saturating_sub(ended) > max_age_ms || total > self.max_bytes) {
                total -= size;
                expired.push((task, size));
            } else {
                kept.push((task, size));
            }
        }
        *tasks = kept;
        expired
    }
}

/// Claude Code sessions supervised through `axiom hook` that are kept running at once. Each
/// record of a new session makes a task, and whoever holds the client token can send records (a
/// watched agent can read it): past this many, the session quiet the longest is ended as lost to
/// make room, so that forged sessions cannot grow the hub, its sweeps and its list without bound.
const MOST_HOOK_SESSIONS: usize = 256;

/// Forgets the ended sessions in `hooked`, and ends the one quiet the longest while
/// [`MOST_HOOK_SESSIONS`] are running.
fn make_room_for_a_session(hooked: &mut HashMap<String, Arc<Task>>) {
    hooked.retain(|_, task| !task.status().is_finished());
    let now = Instant::now();
    while hooked.len() >= MOST_HOOK_SESSIONS {
        let Some(quietest) = hooked.iter().max_by_key(|(_, task)| task.hook_idle_for(now)).map(|(s, _)| s.clone())
        else {
            return;
        };
        let Some(task) = hooked.remove(&quietest) else { return };
        if task.lose_if_hook_idle(now, Duration::ZERO) {
            tracing::warn!(task = %task.id, "{MOST_HOOK_SESSIONS} Claude Code sessions are running; the one quiet the longest is ended as lost");
        } else if !task.status().is_finished() {
            // None has recorded a hook yet (they are all being made at once): it stays tracked,
            // and the limit waits for the next new session.
            hooked.insert(quietest, task);
            return;
        }
    }
}

/// Six characters from [a-z0-9] that start with a letter: short to type, 2 billion values.
fn short_id() -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut random = [0u8; 6];
    getrandom::fill(&mut random).expect("the OS random source is available");
    random
        .iter()
        .enumerate()
        .map(|(i, byte)| {
            let range = if i == 0 { 26 } else { ALPHABET.len() };
            ALPHABET[*byte as usize % range] as char
        })
        .collect()
}

/// What a task's history takes on disk: its file's blocks and its directory's (a short history
/// of a few hundred bytes still takes a block, and a directory takes one more), which is what
/// `--keep-bytes` bounds.
fn disk_usage(history: &std::path::Path) -> u64 {
    use std::os::unix::fs::MetadataExt as _;
    let blocks = |path: &std::path::Path| std::fs::symlink_metadata(path).map_or(0, |m| m.blocks() * 512);
    blocks(history) + history.parent().map_or(0, blocks)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::worker::OutputStream;

    fn empty_rules() -> Arc<RuleSet> {
        Arc::new(RuleSet::from_documents(Vec::new()).unwrap())
    }

    fn hook_record(session: &str, event: &str, lines: &[&str], fired: usize) -> HookRecord {
        let fired = (0..fired)
            .map(|n| crate::protocol::HookFired {
                rule: format!("rule-{n}"),
                severity: crate::rules::Severity::Warning,
                action: crate::rules::Action::Deny,
                message: Some("no".into()),
                matched: "rm -rf".into(),
            })
            .collect();
        HookRecord {
            session: session.into(),
            cwd: Some("/work/project".into()),
            event: event.into(),
            lines: lines.iter().map(|line| line.to_string()).collect(),
            raw: Some(format!(r#"{{"hook_event_name":"{event}"}}"#)),
            fired,
        }
    }

    #[test]
    fn hook_records_of_one_session_go_to_one_task_until_it_ends() {
        let tasks = Arc::new(Tasks::new(empty_rules(), TaskConfig::default()));
        // Parallel tool calls: hooks of a new session at the same time still make one task.
        let firsts: Vec<_> = (0..8)
            .map(|_| {
                let tasks = Arc::clone(&tasks);
                std::thread::spawn(move || {
                    tasks.record_hook(&hook_record("s1", "PreToolUse", &["Bash: ls"], 0)).unwrap().id.clone()
                })
            })
            .collect();
        let ids: std::collections::HashSet<String> = firsts.into_iter().map(|t| t.join().unwrap()).collect();
        assert_eq!(ids.len(), 1, "{ids:?}");
        let task = tasks.record_hook(&hook_record("s1", "PreToolUse", &["Bash: rm -rf /"], 1)).unwrap();
        assert!(ids.contains(&task.id));
        assert_eq!(task.command, ["claude (hooks)", "s1", "/work/project"]);
        let info = task.info();
        assert_eq!((info.status.clone(), info.interventions), (TaskStatus::Running, 1), "{info:?}");
        let output = task.read_output(0, 1 << 20);
        let text = String::from_utf8(output.bytes).unwrap();
        assert!(text.contains("[PreToolUse] Bash: rm -rf /\n"), "{text}");
        assert_eq!(task.interventions_since(0).0[0].delivered, Some(true));
        assert!(matches!(task.send_input("hello", true), Err(crate::tasks::TaskError::Hooked(_))));

        let ended = tasks.record_hook(&hook_record("s1", "SessionEnd", &[], 0)).unwrap();
        assert_eq!(ended.id, task.id);
        assert_eq!(task.status(), TaskStatus::Exited { code: 0 });
        let other = tasks.record_hook(&hook_record("s2", "Stop", &["Done."], 0)).unwrap();
        assert_ne!(other.id, task.id);
        let resumed = tasks.record_hook(&hook_record("s1", "UserPromptSubmit", &["more"], 0)).unwrap();
        assert_ne!(resumed.id, task.id, "an ended session's task takes no more records");

        let count = tasks.list().len();
        assert!(tasks.record_hook(&hook_record("s3", "SessionEnd", &[], 0)).is_none(), "no task only to end it");
        assert!(tasks.record_hook(&hook_record("s1", "SessionEnd", &[], 0)).is_some(), "the resumed one ends");
        assert!(tasks.record_hook(&hook_record("s1", "SessionEnd", &[], 0)).is_none(), "and ends once");
        assert_eq!(tasks.list().len(), count);
    }

    #[test]
    fn past_the_most_sessions_a_new_one_ends_the_one_quiet_the_longest() {
        let tasks = Tasks::new(empty_rules(), TaskConfig::default());
        let first = tasks.record_hook(&hook_record("s0", "PreToolUse", &["Bash: ls"], 0)).unwrap();
        for n in 1..MOST_HOOK_SESSIONS {
            tasks.record_hook(&hook_record(&format!("s{n}"), "PreToolUse", &["Bash: ls"], 0)).unwrap();
        }
        // Every session but the first speaks again: the first is now the quietest.
        for n in 1..MOST_HOOK_SESSIONS {
            tasks.record_hook(&hook_record(&format!("s{n}"), "Stop", &["Done."], 0)).unwrap();
        }
        assert_eq!(first.status(), TaskStatus::Running);
        let newest = tasks.record_hook(&hook_record("new", "PreToolUse", &["Bash: ls"], 0)).unwrap();
        assert_eq!(first.status(), TaskStatus::Lost);
        assert_eq!(newest.status(), TaskStatus::Running);
        let running = tasks.list().iter().filter(|task| task.status == TaskStatus::Running).count();
        assert_eq!(running, MOST_HOOK_SESSIONS);
    }

    #[test]
    fn a_hooked_session_that_goes_quiet_without_session_end_is_lost_and_forgotten() {
        let tasks = Tasks::new(empty_rules(), TaskConfig::default());
        let idle = Duration::from_secs(12 * 60 * 60);
        let before = Instant::now();
        let quiet = tasks.record_hook(&hook_record("s1", "PreToolUse", &["Bash: ls"], 0)).unwrap();
        let ended = tasks.record_hook(&hook_record("s2", "Stop", &["Done."], 0)).unwrap();
        tasks.record_hook(&hook_record("s2", "SessionEnd", &[], 0));

        tasks.sweep(before + idle - Duration::from_secs(1), Duration::from_secs(60), idle);
        assert_eq!(quiet.status(), TaskStatus::Running, "a session idle less than the window runs on");
        assert_eq!(tasks.hooked.lock().unwrap().len(), 1, "the ended session is forgotten");

        tasks.sweep(Instant::now() + idle, Duration::from_secs(60), idle);
        assert_eq!(quiet.status(), TaskStatus::Lost);
        assert!(tasks.hooked.lock().unwrap().is_empty(), "a lost session is forgotten too");
        assert_eq!(ended.status(), TaskStatus::Exited { code: 0 }, "an ended session stays as it ended");

        assert!(
            tasks.record_hook(&hook_record("s1", "SessionEnd", &[], 0)).is_none(),
            "the end of a lost session makes no task only to end it"
        );
        assert_eq!(quiet.status(), TaskStatus::Lost, "and the lost one stays as it was");
        let resumed = tasks.record_hook(&hook_record("s1", "UserPromptSubmit", &["back"], 0)).unwrap();
        assert_ne!(resumed.id, quiet.id, "a record after the window starts a new task");
        assert_eq!(resumed.status(), TaskStatus::Running);
    }

    #[test]
    fn ids_are_short_unique_and_start_with_a_letter() {
        let tasks = Tasks::new(empty_rules(), TaskConfig::default());
        let ids: std::collections::HashSet<String> =
            (0..500).map(|_| tasks.create(vec!["x".into()]).id.clone()).collect();
        assert_eq!(ids.len(), 500);
        assert!(ids.iter().all(|id| id.len() == 6 && id.as_bytes()[0].is_ascii_lowercase()));
        assert_eq!(tasks.all().len(), 500);
    }

    #[test]
    fn an_older_history_with_the_token_itself_still_lets_its_worker_back() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::open(dir.path(), Default::default()).unwrap();
        let token = "ab".repeat(32);
        let task_dir = journal.root().join("old1");
        std::fs::create_dir(&task_dir).unwrap();
        let spawn = serde_json::json!({"type": "spawn", "task_id": "old1", "command": ["sleep"], "started_at": 1, "worker_token": token});
        let running = serde_json::json!({"type": "status", "status": {"state": "running"}, "pid": 42, "at": 2});
        std::fs::write(task_dir.join("events.jsonl"), format!("{spawn}\n{running}\n")).unwrap();
        let tasks = Tasks::with_journal(empty_rules(), TaskConfig::default(), Some(journal));
        assert_eq!(tasks.restore(Retention::default()), 1);
        let task = tasks.get("old1").unwrap();
        assert!(task.worker_key.authorizes(Some(&format!("Bearer {token}"))));
        assert!(!task.worker_key.authorizes(Some(&format!("Bearer {}", "cd".repeat(32)))));
    }

    #[test]
    fn history_survives_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::open(dir.path(), Default::default()).unwrap();
        let tasks = Tasks::with_journal(empty_rules(), TaskConfig::default(), Some(journal.clone()));
        let done = tasks.create(vec!["echo".into(), "hi".into()]);
        let (queue, _keep) = tokio::sync::mpsc::channel(1);
        done.attach_worker(queue.clone(), Some(42), None).unwrap();
        done.ingest(0, OutputStream::Stdout, b"hello\n".to_vec(), Instant::now());
        done.ingest(1, OutputStream::Stderr, b"oops\n".to_vec(), Instant::now());
        done.finish_from_worker(2, TaskStatus::Exited { code: 3 }, Instant::now()).unwrap();
        let running = tasks.create(vec!["sleep".into()]);
        running.attach_worker(queue, Some(43), None).unwrap();
        running.ingest(0, OutputStream::Stdout, b"working".to_vec(), Instant::now());
        journal.flush_blocking();

        let again = Tasks::with_journal(empty_rules(), TaskConfig::default(), Some(journal.clone()));
        assert_eq!(again.restore(Retention::default()), 2);
        let done_again = again.get(&done.id).unwrap();
        assert_eq!(done_again.info(), done.info());
        assert_eq!(done_again.read_output(0, 100).bytes, b"", "a finished task's output is not read into memory");
        let stored = super::super::journal::read_output(&journal.events_path(&done.id), 0, 100).unwrap();
        assert_eq!((stored.cursor, stored.bytes), (0, b"hello\noops\n".to_vec()));
        assert_eq!(done_again.info().output_bytes, 11);
        assert_eq!(done_again.worker_key, done.worker_key, "workers can reconnect after a restart");
        let history = std::fs::read_to_string(journal.events_path(&done.id)).unwrap();
        let token = done.take_worker_token().expect("a new task's token");
        assert!(!history.contains(token.as_str()), "the history never holds the worker's token");
        assert!(done.take_worker_token().is_none(), "the token is handed out once");
        assert!(done_again.take_worker_token().is_none(), "a restored task has no token to hand out");
        let running_again = again.get(&running.id).unwrap();
        assert_eq!(running_again.status(), TaskStatus::Running);
        assert_eq!(running_again.read_output(0, 100).bytes, b"working", "a running task's ring is refilled");
        assert_eq!(*running_again.persisted().borrow(), 1, "the worker is told what is stored");
        again.sweep(Instant::now(), Duration::ZERO, Duration::MAX);
        assert_eq!(running_again.status(), TaskStatus::Lost);
    }

    #[test]
    fn retention_drops_old_and_oversized_finished_history_first() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::open(dir.path(), Default::default()).unwrap();
        let tasks = Tasks::with_journal(empty_rules(), TaskConfig::default(), Some(journal.clone()));
        let first = tasks.create(vec!["a".into()]);
        first.finish(TaskStatus::Exited { code: 0 }, Instant::now());
        let second = tasks.create(vec!["b".into()]);
        second.finish(TaskStatus::Exited { code: 0 }, Instant::now());
        let running = tasks.create(vec!["c".into()]);
        journal.flush_blocking();
        let again = Tasks::with_journal(empty_rules(), TaskConfig::default(), Some(journal.clone()));
        let kept = again.restore(Retention { max_age: Duration::from_secs(3600), max_bytes: 1 });
        assert_eq!(kept, 1, "only the running task fits in one byte");
        journal.flush_blocking();
        assert!(again.get(&running.id).is_some());
        assert!(!journal.root().join(&first.id).exists());
        assert!(!journal.root().join(&second.id).exists());
    }

    #[test]
    fn a_big_running_history_does_not_push_the_finished_ones_out() {
        let tasks = Tasks::new(empty_rules(), TaskConfig::default());
        let finished = tasks.create(vec!["done".into()]);
        finished.finish(TaskStatus::Exited { code: 0 }, Instant::now());
        let busy = tasks.create(vec!["busy".into()]);
        let retention = Retention { max_age: Duration::from_secs(3600), max_bytes: 1000 };
        let mut all = vec![(Arc::clone(&finished), 600), (Arc::clone(&busy), 1_000_000)];
        assert!(retention.expired(&mut all).is_empty(), "the finished history fits in the budget by itself");
        assert_eq!(all.len(), 2);

        let later = tasks.create(vec!["later".into()]);
        later.finish(TaskStatus::Exited { code: 0 }, Instant::now());
        all.push((Arc::clone(&later), 600));
        let expired: Vec<_> = retention.expired(&mut all).into_iter().map(|(task, _)| task.id.clone()).collect();
        assert_eq!(
            expired,
            std::slice::from_ref(&finished.id),
            "finished histories still share the budget, oldest out first"
        );
    }

    #[test]
    fn requests_before_the_worker_connects_are_delivered_when_it_does() {
        let tasks = Tasks::new(empty_rules(), TaskConfig::default());
        let task = tasks.create(vec!["agent".into()]);
        task.send_input("hello", true).unwrap();
        task.intervene(crate::rules::Action::Kill, None, None).unwrap();
        let (queue, mut queued) = tokio::sync::mpsc::channel(8);
        task.attach_worker(queue, Some(7), None).unwrap();
        assert!(matches!(queued.try_recv(), Ok(crate::protocol::HubToWorker::Input { enter: true, .. })));
        assert!(matches!(
            queued.try_recv(),
            Ok(crate::protocol::HubToWorker::Intervene { action: crate::rules::Action::Kill, .. })
        ));
        assert!(queued.try_recv().is_err());
    }

    #[test]
    fn an_old_connection_closing_late_does_not_detach_the_worker_that_reconnected() {
        let tasks = Tasks::new(empty_rules(), TaskConfig::default());
        let task = tasks.create(vec!["agent".into()]);
        let (old, _old_queued) = tokio::sync::mpsc::channel(8);
        let (new, mut new_queued) = tokio::sync::mpsc::channel(8);
        let first = task.attach_worker(old.clone(), Some(7), None).unwrap();
        task.attach_worker(new.clone(), Some(7), Some(&first.session)).unwrap();
        task.detach_worker(&old);
        assert_eq!(task.detached_for(Instant::now()), None, "the task still has its worker");
        task.send_input("still here", true).unwrap();
        assert!(matches!(new_queued.try_recv(), Ok(crate::protocol::HubToWorker::Input { .. })));

        task.detach_worker(&new);
        assert!(task.detached_for(Instant::now()).is_some(), "now the worker is gone");
    }
}
