//! Starting a task: register it, launch `axiom worker` as its own process, and watch that process.
//!
//! The worker gets its token through a pipe it inherits (never the environment, which stays readable
//! in `/proc/<pid>/environ`, nor argv, which `ps` shows): the hub writes the token into the pipe and
//! closes its end, and the worker reads it and closes the pipe before it starts the child. It then
//! connects back like any remote worker would. If the worker process dies without the task having
//! ended, the task is marked lost; other tasks never notice.

use std::io::Write as _;
use std::os::fd::{AsRawFd as _, FromRawFd as _, OwnedFd};
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::containment::{self, Containment, TaskCgroup};
use super::Hub;
use crate::pipeline::PromptSpec;
use crate::protocol::TaskStatus;
use crate::rules::Subject;
use crate::tasks::Task;
use crate::worker::Driver;

/// Marks every descriptor this process inherited (above stderr) close-on-exec, so that none of
/// them reaches a worker or the untrusted command it runs: a daemon started from a shell, or an
/// MCP server started by an agent, may have been handed pipes and files meant for others. Called
/// first thing by `serve` and `mcp`; axiom's own descriptors are opened close-on-exec.
pub fn keep_inherited_descriptors_from_tasks() {
    let Ok(entries) = std::fs::read_dir("/proc/self/fd") else { return };
    let inherited: Vec<i32> =
        entries.flatten().filter_map(|entry| entry.file_name().to_str()?.parse().ok()).filter(|&fd| fd > 2).collect();
    for fd in inherited {
        // SAFETY: fcntl on a descriptor number changes no memory; on one that is closed by now
        // (the listing's own) it fails, harmlessly.
        unsafe {
            let flags = libc::fcntl(fd, libc::F_GETFD);
            if flags >= 0 {
                libc::fcntl(fd, libc::F_SETFD, flags | libc::FD_CLOEXEC);
            }
        }
    }
}

/// What to run.
#[derive(Debug, Clone, Default)]
pub struct SpawnRequest {
    /// argv; no shell is involved unless argv names one.
    pub command: Vec<String>,
    pub cwd: Option<PathBuf>,
    pub env: Vec<(String, String)>,
    pub driver: Driver,
    /// Whether the command is an AI agent (`applies_to: agents` rules watch it); `None`: guessed
    /// from the command.
    pub subject: Option<Subject>,
    /// Terminal size (rows, cols) for the pty driver; the worker's default when `None`.
    pub pty_size: Option<(u16, u16)>,
    /// The pty driver: a regex for the row another agent waits for input on; `None`: Claude Code's.
    pub prompt_pattern: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum SpawnError {
    #[error("the command is empty; give at least the program to run")]
    EmptyCommand,
    #[error("working directory {0} does not exist or is not a directory")]
    BadCwd(PathBuf),
    #[error("prompt pattern: {0}")]
    BadPromptPattern(String),
    #[error("a prompt pattern needs the pty driver (it describes a screen row); this task uses the {0} driver")]
    PromptWithoutPty(&'static str),
    #[error("could not start the worker process {exe}: {source}")]
    Worker { exe: PathBuf, source: std::io::Error },
}

/// How long a worker that exited may take to have its closing messages processed.
const SETTLE: Duration = Duration::from_millis(500);
/// How long after its task finished a task's cgroup is ended, if its worker was not reaped by this
/// hub first: the worker's own kill grace (3 s by default) and some.
const FINISHED_GRACE: Duration = Duration::from_secs(10);
/// How long the processes a dead worker left behind may take to be gone.
const STRAY_PATIENCE: Duration = Duration::from_secs(5);

impl Hub {
    /// Registers a task and launches its worker; returns at once, before the command runs.
    pub fn spawn_task(self: &Arc<Self>, request: SpawnRequest) -> Result<Arc<Task>, SpawnError> {
        if request.command.is_empty() || request.command[0].is_empty() {
            return Err(SpawnError::EmptyCommand);
        }
        if let Some(cwd) = &request.cwd {
            if !cwd.is_dir() {
                return Err(SpawnError::BadCwd(cwd.clone()));
            }
        }
        match (&request.prompt_pattern, request.driver) {
            (Some(_), driver) if driver != Driver::Pty => return Err(SpawnError::PromptWithoutPty(driver.as_str())),
            (pattern, _) => PromptSpec::from_pattern(pattern.as_deref()).map_err(SpawnError::BadPromptPattern)?,
        };
        let task = self.tasks.create(request.command.clone());
        self.note_if_rules_are_in_reach(&task, request.cwd.as_deref());
        if let Some(subject) = request.subject {
            task.set_subject(subject);
        }
        let pty_size = request.pty_size.unwrap_or(crate::worker::DEFAULT_PTY_SIZE);
        if request.driver == Driver::Pty {
            task.use_screen(pty_size.0, pty_size.1, request.prompt_pattern.clone())
                .map_err(SpawnError::BadPromptPattern)?;
        }
        let exe = &self.config.worker_exe;
        let fail = |source: std::io::Error| {
            let error = SpawnError::Worker { exe: exe.clone(), source };
            task.finish(TaskStatus::Failed { message: error.to_string(), code: None }, Instant::now());
            error
        };
        let token = task
            .take_worker_token()
            .ok_or_else(|| fail(std::io::Error::other("the task's token was already handed out")))?;
        let token_pipe = token_pipe(token.as_str()).map_err(fail)?;
        drop(token);
        let token_fd = token_pipe.as_raw_fd();
        let cgroup = self.config.containment.as_ref().and_then(|place| match place.create(&task.id) {
            Ok(cgroup) => Some(cgroup),
            Err(err) => {
                tracing::warn!(task = %task.id, "no cgroup for the task ({err}); only its process tree contains it");
                None
            }
        });
        let cgroup_fd = cgroup.as_ref().map(TaskCgroup::procs_fd);
        let mut command = tokio::process::Command::new(exe);
        command
            .arg("worker")
            .arg("--server")
            .arg(self.url())
            .arg("--task-id")
            .arg(&task.id)
            .arg("--driver")
            .arg(request.driver.as_str())
            .arg("--reconnect-window")
            .arg(humantime::format_duration(self.config.worker_reconnect_window).to_string())
            .arg("--hub-silence")
            .arg(humantime::format_duration(self.config.ping_interval * 3).to_string())
            .arg("--token-fd")
            .arg(token_fd.to_string())
            .arg("--pty-size")
            .arg(format!("{}x{}", pty_size.0, pty_size.1))
            .args(request.prompt_pattern.iter().flat_map(|pattern| ["--prompt-pattern", pattern.as_str()]))
            .arg("--")
            .args(&request.command)
            .env_remove("AXIOM_TOKEN")
            .envs(request.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        if let Some(cwd) = &request.cwd {
            command.current_dir(cwd);
        }
        // SAFETY: between fork and exec only `fcntl` and `write`, which are async-signal-safe, run.
        // The pipe and the cgroup's `cgroup.procs` are close-on-exec in the hub, so only this one
        // worker inherits the pipe, and nothing keeps `cgroup.procs` open.
        unsafe {
            command.pre_exec(move || {
                if libc::fcntl(token_fd, libc::F_SETFD, 0) == -1 {
                    return Err(std::io::Error::last_os_error());
                }
                if let Some(fd) = cgroup_fd {
                    containment::join_in_child(fd);
                }
                Ok(())
            });
        }
        let spawned = {
            // Registered before anybody can look for strays (see `end_strays`).
            let mut workers = self.workers.lock().unwrap_or_else(|p| p.into_inner());
            let spawned = command.spawn();
            if let Some(pid) = spawned.as_ref().ok().and_then(tokio::process::Child::id) {
                workers.insert(pid);
            }
            spawned
        };
        drop(token_pipe);
        if let Some(cgroup) = cgroup {
            match spawned.as_ref().ok().and_then(tokio::process::Child::id) {
                Some(pid) if cgroup.holds(pid) => task.set_cgroup(cgroup.path),
                started => {
                    if started.is_some() {
                        tracing::warn!(task = %task.id, "the worker did not join the task's cgroup; only its process tree contains it");
                    }
                    containment::end(&cgroup.path, Duration::ZERO);
                }
            }
        }
        let mut worker = spawned.map_err(fail)?;
        let pid = worker.id();
        let watched = Arc::clone(&task);
        let hub = Arc::clone(self);
        tokio::spawn(async move {
            let (status, killed_by_hub) = wait_or_end(&mut worker, &watched, hub.config.handshake_timeout).await;
            hub.forget_worker(pid).await;
            hub.end_cgroup_of(&watched).await;
            watched.mark_worker_exited();
            // The worker's last messages may still be in flight on its socket.
            watched.wait_finished(SETTLE).await;
            if !watched.status().is_finished() {
                if killed_by_hub == Some(Overdue::Kill) {
                    watched.finish(TaskStatus::Killed { signal: libc::SIGKILL }, Instant::now());
                } else {
                    tracing::warn!(task = %watched.id, ?status, "worker process ended without reporting the task's end");
                    watched.finish(TaskStatus::Lost, Instant::now());
                }
            }
        });
        Ok(task)
    }
}

/// Why the hub killed a worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Overdue {
    /// A kill of its task was not carried out.
    Kill,
    /// It did not say hello within `said_hello_within`, or outlived its task.
    Other,
}

/// Waits for `worker` to exit. When it is overdue to (a kill of its task not carried out, its
/// task ended or lost while it runs on, or no hello within `said_hello_within`: stopped by a
/// `SIGSTOP` from its own child, say, or hung; see [`Task::worker_overdue_at`]), the hub kills the
/// worker: `SIGKILL` ends even a stopped process, the child dies with it (`PR_SET_PDEATHSIG`),
/// and anything the child left behind was adopted by the hub and is ended when the worker is
/// forgotten. Returns the worker's exit status, and why the hub killed it, if it did.
async fn wait_or_end(
    worker: &mut tokio::process::Child,
    task: &Task,
    said_hello_within: Duration,
) -> (std::io::Result<std::process::ExitStatus>, Option<Overdue>) {
    let hello_by = Instant::now() + said_hello_within;
    let mut changes = task.subscribe();
    let mut ended = None;
    loop {
        let due = match (ended, task.status(), task.worker_overdue_at()) {
            (Some(_), _, _) => None,
            (None, TaskStatus::Starting, overdue) => {
                Some(overdue.map_or((hello_by, Overdue::Other), |at| (at.min(hello_by), Overdue::Kill)))
            }
            (None, status, overdue) => {
                overdue.map(|at| (at, if status.is_finished() { Overdue::Other } else { Overdue::Kill }))
            }
        };
        tokio::select! {
            status = worker.wait() => return (status, ended),
            () = async { tokio::time::sleep_until(due.expect("only polled with a deadline").0.into()).await }, if due.is_some() => {
                tracing::warn!(task = %task.id, "the worker did not end or say hello when it should have (a kill's grace passed, its task ended, or it never answered); killing the worker");
                if let Err(err) = worker.start_kill() {
                    tracing::warn!(task = %task.id, "could not kill the worker: {err}");
                }
                ended = due.map(|(_, why)| why);
            }
            changed = changes.changed() => {
                if changed.is_err() {
                    return (worker.wait().await, ended);
                }
            }
        }
    }
}

impl Hub {
    /// Tasks just marked lost because their worker did not come back: a worker this hub spawned is
    /// ended by [`wait_or_end`]; any other (the worker of a task restored from a previous hub's
    /// history, stopped by its own child, say) is found by its command line and ended here, with
    /// everything below it, so that a child cannot outlive its supervision by waiting for a
    /// restart.
    pub(super) async fn end_abandoned_workers(&self, tasks: Vec<Arc<Task>>) {
        let own = self.workers.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let (server, place) = (self.url(), self.config.containment.clone());
        let end = move || {
            for task in tasks {
                let workers = crate::worker::tree::workers_of_task(&task.id, &server, &own);
                if !workers.is_empty() {
                    // A worker pid is signalled only while it still runs this task (not reused).
                    let still = |pid: u32| crate::worker::tree::workers_of_task(&task.id, &server, &own).contains(&pid);
                    let signalled = crate::worker::tree::kill_trees(&workers, still, STRAY_PATIENCE);
                    tracing::warn!(task = %task.id, ?workers, signalled, "ended the worker of a lost task that this hub did not start");
                }
                // What the tree walk cannot reach: a process orphaned to init (its worker was
                // killed while no hub was there to adopt what it left).
                if let Some(place) = &place {
                    end_cgroup(place, &task.id);
                }
            }
        };
        let _ = tokio::task::spawn_blocking(end).await;
    }

    /// Ends whatever is left in the cgroup of `task` (its worker was reaped, or it finished a
    /// while ago under a hub that did not start its worker).
    pub(super) async fn end_cgroup_of(&self, task: &Arc<Task>) {
        let Some(place) = self.config.containment.clone() else { return };
        let id = task.id.clone();
        let _ = tokio::task::spawn_blocking(move || end_cgroup(&place, &id)).await;
    }

    /// Ends the cgroups of the tasks that finished [`FINISHED_GRACE`] ago or more. A worker this
    /// hub started has its task's cgroup ended when it is reaped; this is for the others (a task
    /// restored after a restart, whose worker came back), and it leaves a worker time to end its
    /// command's tree gently (SIGTERM, then its grace) before the kernel ends the rest.
    pub(super) fn end_cgroups_of_finished_tasks(self: &Arc<Self>, now: Instant) {
        let Some(before) = now.checked_sub(FINISHED_GRACE) else { return };
        for task in self.tasks.unordered() {
            if task.cgroup_due_by(before) {
                let hub = Arc::clone(self);
                tokio::spawn(async move { hub.end_cgroup_of(&task).await });
            }
        }
    }

    /// Ends the task cgroups a previous hub left in this hub's place, but those of the tasks that
    /// are running (restored, their workers may come back; if they do not, the task is lost and
    /// its cgroup ended then; or started since): a task that finished, or whose history is gone,
    /// has nothing that should still run.
    pub(super) async fn end_leftover_cgroups(&self) {
        let Some(place) = self.config.containment.clone() else { return };
        let tasks = Arc::clone(&self.tasks);
        let end = move || {
            for (id, path) in place.present() {
                // Looked up here, not listed before: a task is registered before its cgroup is made.
                let running = tasks.get(&id).is_some_and(|task| !task.status().is_finished());
                if !running && end_cgroup(&place, &id) {
                    tracing::info!(task = %id, cgroup = %path.display(), "ended a task cgroup a previous hub left");
                }
            }
        };
        let _ = tokio::task::spawn_blocking(end).await;
    }

    /// A worker process was reaped. A worker ends its own tree before it exits, unless it was
    /// killed with `SIGKILL`: then its child (ended by `PR_SET_PDEATHSIG`) and any grandchild that
    /// left the child's group were adopted by this hub, which ends them.
    async fn forget_worker(self: &Arc<Self>, pid: Option<u32>) {
        if let Some(pid) = pid {
            self.workers.lock().unwrap_or_else(|p| p.into_inner()).remove(&pid);
        }
        if !self.config.adopt_orphans {
            return;
        }
        let hub = Arc::clone(self);
        let sweep = move || crate::worker::tree::end_strays(&hub.workers, STRAY_PATIENCE);
        if let Ok(ended) = tokio::task::spawn_blocking(sweep).await {
            if ended > 0 {
                tracing::warn!(ended, "ended processes a dead worker left behind");
            }
        }
    }

    /// Says so when a task runs in a directory that holds the rules in force, or in the project
    /// of a `.axiom/rules` in force (`proj/src` for `proj/.axiom/rules`): the task can edit them.
    /// The user put them there (no rules are read from a working directory unless named), so it
    /// is a warning, not a refusal; but while the task runs, an edit of the rules is not
    /// reloaded, since the task may have made it; a hub that puts no edit in force (`axiom run`,
    /// `--rules-locked`) reads what the task left there at its next start.
    fn note_if_rules_are_in_reach(&self, task: &Arc<Task>, cwd: Option<&std::path::Path>) {
        let task_id = &task.id;
        let Some(cwd) = cwd.map(std::path::Path::to_path_buf).or_else(|| std::env::current_dir().ok()) else { return };
        let Ok(cwd) = cwd.canonicalize() else { return };
        let rules = self.tasks.rules();
        for path in rules.origin().paths() {
            let Ok(path) = path.canonicalize() else { continue };
            // A task reaches them from above them, or from anywhere in the project of a
            // `.axiom/rules` (`proj/src` for `proj/.axiom/rules`).
            let project =
                path.ends_with(".axiom/rules").then(|| path.parent().and_then(std::path::Path::parent)).flatten();
            if path.starts_with(&cwd) || project.is_some_and(|project| cwd.starts_with(project)) {
                let consequence = if self.tasks.rule_edits_watched() {
                    "so edits are not reloaded while it runs"
                } else {
                    "and the next start reads what it leaves there"
                };
                crate::logging::note!(
                    "axiom: warning: task {task_id} runs in {}, which holds the rules in force ({}); the task can edit \
                     them, {consequence}",
                    cwd.display(),
                    path.display()
                );
                self.tasks.note_rules_in_reach_of(task);
                return;
            }
        }
    }
}

/// Ends every process left in task `id`'s cgroup in `place` and removes it; `false` if there was
/// none. Blocking.
fn end_cgroup(place: &Containment, id: &str) -> bool {
    place.of_task(id).is_some_and(|path| containment::end(&path, STRAY_PATIENCE))
}

/// A pipe holding `token`, its write end already closed: what is returned is the read end,
/// close-on-exec, for one worker to inherit.
fn token_pipe(token: &str) -> std::io::Result<OwnedFd> {
    let mut fds = [0; 2];
    // SAFETY: pipe2 writes two descriptors into the array it is given.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: both descriptors were just created and are owned by nothing else.
    let (read, write) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    // A token is far smaller than a pipe's buffer, so this never blocks.
    std::fs::File::from(write).write_all(token.as_bytes())?;
    Ok(read)
}
