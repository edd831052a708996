//! Drives the real `axiom mcp` binary with rmcp's own client over stdio (`TokioChildProcess`).
//!
//! Each [`Server`] has its own temporary state directory and rule file and a hub on an ephemeral
//! port, so tests run in parallel. A [`Recorder`] keeps every notification the server sends.
#![allow(dead_code)] // not every test uses every helper
#![allow(deprecated)] // logging and resources/subscribe are deprecated by the 2026 spec, still in use

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rmcp::model::{
    CallToolRequestParams, CallToolResult, LoggingMessageNotificationParam, ProgressNotificationParam,
    ResourceUpdatedNotificationParam,
};
use rmcp::service::{NotificationContext, RunningService};
use rmcp::transport::TokioChildProcess;
use rmcp::{ClientHandler, RoleClient, ServiceExt};
use serde_json::{json, Value};
use tempfile::TempDir;
use tokio::io::AsyncBufReadExt;

/// The rules every test server loads.
pub const TEST_RULES: &str = r#"
rules:
  - id: no-todo
    description: The agent left a TODO instead of doing the work.
    severity: error
    match: { literals: ['TODO:'] }
    action: inject
    message: "Do not leave TODOs; implement it now."
  - id: refuse-wipe
    description: The prompt asks to wipe the disk.
    severity: critical
    scope: prompt
    match: { literals: ['wipe the disk'] }
    action: kill
    message: "Spawn refused: the prompt asks to wipe the disk."
  - id: vague-prompt
    description: The prompt has no concrete goal.
    severity: warning
    scope: prompt
    match: { literals: ['make it better'] }
    action: warn
    message: "Name a concrete change."
"#;

pub fn fixture(name: &str) -> String {
    format!("{}/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// Everything the server pushed to the client.
#[derive(Clone, Default)]
pub struct Recorder {
    inner: Arc<Mutex<Seen>>,
    changed: Arc<tokio::sync::Notify>,
}

#[derive(Default)]
pub struct Seen {
    pub logs: Vec<LoggingMessageNotificationParam>,
    pub updates: Vec<(Instant, ResourceUpdatedNotificationParam)>,
    pub progress: Vec<ProgressNotificationParam>,
}

impl Recorder {
    fn record(&self, f: impl FnOnce(&mut Seen)) {
        f(&mut self.inner.lock().unwrap());
        self.changed.notify_waiters();
    }

    pub fn with<T>(&self, f: impl FnOnce(&Seen) -> T) -> T {
        f(&self.inner.lock().unwrap())
    }

    /// Waits until `check` holds for what was seen, or panics after `limit`.
    pub async fn wait_for<T>(&self, limit: Duration, what: &str, mut check: impl FnMut(&Seen) -> Option<T>) -> T {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let notified = self.changed.notified();
            if let Some(found) = self.with(&mut check) {
                return found;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                panic!("timed out waiting for {what}");
            }
        }
    }
}

impl ClientHandler for Recorder {
    async fn on_logging_message(
        &self,
        params: LoggingMessageNotificationParam,
        _context: NotificationContext<RoleClient>,
    ) {
        self.record(|seen| seen.logs.push(params));
    }

    async fn on_resource_updated(
        &self,
        params: ResourceUpdatedNotificationParam,
        _context: NotificationContext<RoleClient>,
    ) {
        self.record(|seen| seen.updates.push((Instant::now(), params)));
    }

    async fn on_progress(&self, params: ProgressNotificationParam, _context: NotificationContext<RoleClient>) {
        self.record(|seen| seen.progress.push(params));
    }
}

/// A running `axiom mcp` and a connected client.
pub struct Server {
    pub client: RunningService<RoleClient, Recorder>,
    pub recorder: Recorder,
    pub pid: u32,
    pub stderr: Arc<Mutex<String>>,
    dir: TempDir,
}

/// Options for [`Server::start_with`].
#[derive(Default)]
pub struct Options<'a> {
    pub listen: Option<&'a str>,
    pub extra: Vec<String>,
    /// A state directory that outlives the server (to start another on the same history).
    pub state_dir: Option<&'a Path>,
}

impl Server {
    pub async fn start() -> Server {
        Server::start_with(Options::default()).await
    }

    pub async fn start_with(options: Options<'_>) -> Server {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("rules.yaml"), TEST_RULES).unwrap();
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_axiom"));
        command
            .arg("mcp")
            .arg("--state-dir")
            .arg(options.state_dir.map_or_else(|| dir.path().join("state"), Path::to_path_buf))
            .arg("--listen")
            .arg(options.listen.unwrap_or("127.0.0.1:0"))
            .arg("--rules")
            .arg(dir.path().join("rules.yaml"))
            .args(&options.extra)
            .current_dir(dir.path())
            .env_remove("AXIOM_RULES")
            .env("AXIOM_LOG", "warn");
        let (transport, stderr) =
            TokioChildProcess::builder(command).stderr(Stdio::piped()).spawn().expect("start axiom mcp");
        let pid = transport.id().expect("the server has a pid");
        let captured = Arc::new(Mutex::new(String::new()));
        if let Some(stderr) = stderr {
            let captured = Arc::clone(&captured);
            tokio::spawn(async move {
                let mut lines = tokio::io::BufReader::new(stderr).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    eprintln!("[axiom mcp {pid}] {line}");
                    captured.lock().unwrap().push_str(&line);
                    captured.lock().unwrap().push('\n');
                }
            });
        }
        let recorder = Recorder::default();
        let client = recorder.clone().serve(transport).await.expect("MCP handshake");
        Server { client, recorder, pid, stderr: captured, dir }
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn state_dir(&self) -> PathBuf {
        self.dir.path().join("state")
    }

    /// The session's own state directory (`<state>/mcp/<pid>`): its lock, token and `hub.json`.
    pub fn session_dir(&self) -> PathBuf {
        self.state_dir().join("mcp").join(self.pid.to_string())
    }

    /// Calls a tool; a protocol error panics.
    pub async fn call(&self, tool: &str, arguments: Value) -> CallToolResult {
        let arguments = arguments.as_object().cloned().unwrap_or_default();
        self.client
            .call_tool(CallToolRequestParams::new(tool.to_owned()).with_arguments(arguments))
            .await
            .unwrap_or_else(|err| panic!("{tool} failed at the protocol level: {err}"))
    }

    /// Calls a tool that must succeed; returns its structured content, after checking that the
    /// text content carries the same JSON.
    pub async fn ok(&self, tool: &str, arguments: Value) -> Value {
        let result = self.call(tool, arguments.clone()).await;
        assert_ne!(result.is_error, Some(true), "{tool} {arguments} failed: {:?}", text_of(&result));
        let structured = result.structured_content.clone().unwrap_or_else(|| panic!("{tool} has no structuredContent"));
        let text: Value = serde_json::from_str(&text_of(&result)).expect("the text content is JSON");
        assert_eq!(text, structured, "{tool}: text and structuredContent differ");
        structured
    }

    /// Calls a tool that must fail as a tool result (`isError: true`); returns its message.
    pub async fn err(&self, tool: &str, arguments: Value) -> String {
        let result = self.call(tool, arguments.clone()).await;
        assert_eq!(result.is_error, Some(true), "{tool} {arguments} should fail, got {:?}", result.structured_content);
        text_of(&result)
    }

    pub async fn spawn(&self, arguments: Value) -> Value {
        self.ok("axiom_spawn", arguments).await
    }

    /// Waits for a task event and returns the wait result.
    pub async fn wait(&self, task_id: &str, until: &str, timeout_s: f64) -> Value {
        self.ok("axiom_wait", json!({"task_id": task_id, "until": until, "timeout_s": timeout_s})).await
    }

    /// The task's whole output as plain text.
    pub async fn output(&self, task_id: &str) -> String {
        self.ok("axiom_output", json!({"task_id": task_id})).await["text"].as_str().unwrap().to_owned()
    }

    /// Waits until the task's plain output contains `needle`; returns the output.
    pub async fn wait_for_output(&self, task_id: &str, needle: &str, limit: Duration) -> String {
        let deadline = Instant::now() + limit;
        let mut cursor = 0u64;
        loop {
            let text = self.output(task_id).await;
            if text.contains(needle) {
                return text;
            }
            assert!(Instant::now() < deadline, "task {task_id} never printed {needle:?}; it printed {text:?}");
            let remaining = deadline.saturating_duration_since(Instant::now()).as_secs_f64();
            let waited = self
                .ok(
                    "axiom_wait",
                    json!({"task_id": task_id, "until": "output", "timeout_s": remaining, "since": cursor}),
                )
                .await;
            if waited["reason"] == "exit" && !self.output(task_id).await.contains(needle) {
                panic!("task {task_id} ended without printing {needle:?}: {}", self.output(task_id).await);
            }
            cursor = waited["task"]["output_bytes"].as_u64().unwrap();
        }
    }

    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }
}

pub fn text_of(result: &CallToolResult) -> String {
    result
        .content
        .iter()
        .filter_map(|content| content.as_text())
        .map(|text| text.text.clone())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Whether a process exists and is not a zombie.
pub fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state follows the parenthesised command name.
        Ok(stat) => stat.rsplit_once(") ").is_some_and(|(_, rest)| !rest.starts_with('Z') && !rest.starts_with('X')),
        Err(_) => false,
    }
}

/// Pids of processes whose argv contains `--task-id ID` (the task's worker).
pub fn worker_pids(task_id: &str) -> Vec<u32> {
    let needle = format!("--task-id\0{task_id}\0");
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|name| name.parse::<u32>().ok()) else { continue };
        if let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) {
            if String::from_utf8_lossy(&cmdline).contains(&needle) && alive(pid) {
                found.push(pid);
            }
        }
    }
    found
}

/// Waits until none of `pids` is alive, or panics naming the survivors.
pub async fn all_gone(pids: &[u32], limit: Duration, what: &str) {
    let deadline = Instant::now() + limit;
    loop {
        let survivors: Vec<u32> = pids.iter().copied().filter(|&pid| alive(pid)).collect();
        if survivors.is_empty() {
            return;
        }
        assert!(Instant::now() < deadline, "{what}: still alive after {limit:?}: {survivors:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
