//! Helpers for the live tests (`live_run`, `live_hub`, `live_security`): run the real `axiom` binary
//! with a deadline on everything, start `axiom serve` on an ephemeral port with a private state
//! directory, and speak WebSocket to it.
//!
//! Nothing here sleeps for a fixed time to "let things settle": every wait polls a condition with
//! a short interval until a deadline, and a process still running at the end of a test is stopped
//! (SIGINT, then SIGKILL) when its [`Proc`] is dropped, and a [`Hub`] kills the tasks still running
//! before it stops, so a failing test does not leave work behind.
#![allow(dead_code)] // each test crate uses a different part of this module

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use axiom::protocol::{TaskInfo, TaskStatus};
use tempfile::TempDir;

/// The longest any single wait in these tests may take before the test fails.
pub const DEADLINE: Duration = Duration::from_secs(20);

/// How often a condition is polled.
const POLL: Duration = Duration::from_millis(10);

/// The absolute path of a fixture (fake agent) in `fixtures/`.
pub fn fixture(name: &str) -> String {
    format!("{}/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// Polls `check` until it returns `Ok`, or panics after `timeout` with `what` and the last `Err`.
pub fn eventually<T>(what: &str, timeout: Duration, mut check: impl FnMut() -> Result<T, String>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        match check() {
            Ok(value) => return value,
            Err(last) if Instant::now() >= deadline => {
                panic!("timed out after {timeout:?} waiting for {what}; last seen: {last}")
            }
            Err(_) => std::thread::sleep(POLL),
        }
    }
}

/// A temporary directory laid out as `work/` (the working directory), `home/` and `state/`.
pub struct Sandbox {
    root: TempDir,
}

impl Sandbox {
    pub fn new() -> Self {
        let root = tempfile::tempdir().expect("create a temp dir");
        for dir in ["work", "home", "state"] {
            std::fs::create_dir(root.path().join(dir)).unwrap();
        }
        // A hub refuses a state directory other users can reach.
        std::fs::set_permissions(root.path().join("state"), std::os::unix::fs::PermissionsExt::from_mode(0o700))
            .unwrap();
        Sandbox { root }
    }

    pub fn path(&self, relative: &str) -> PathBuf {
        self.root.path().join(relative)
    }

    /// Writes a file under the sandbox root; returns its absolute path as a string.
    pub fn write(&self, relative: &str, contents: &str) -> String {
        let path = self.path(relative);
        std::fs::write(&path, contents).unwrap();
        path.display().to_string()
    }

    /// `axiom ARGS`, in `work/`, with a private `$HOME` and no axiom variables from the machine.
    pub fn axiom(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_axiom"));
        command
            .args(args)
            .current_dir(self.path("work"))
            .env("HOME", self.path("home"))
            .env("NO_COLOR", "1")
            // A hub killed by a test leaves its cgroups behind on the machine; the tests of
            // containment ask for them.
            .env("AXIOM_NO_CGROUPS", "1")
            .env_remove("AXIOM_TOKEN")
            .env_remove("AXIOM_RULES")
            .env_remove("AXIOM_STATE_DIR")
            .env_remove("XDG_STATE_HOME")
            .env_remove("XDG_CONFIG_HOME");
        command
    }
}

/// How a process ended, with everything it printed.
#[derive(Debug)]
pub struct Finished {
    pub code: Option<i32>,
    pub signal: Option<i32>,
    /// Stdout as text (invalid UTF-8 replaced); [`stdout_bytes`](Self::stdout_bytes) has it exactly.
    pub stdout: String,
    pub stderr: String,
    pub stdout_bytes: Vec<u8>,
}

impl Finished {
    fn new(status: ExitStatus, stdout_bytes: Vec<u8>, stderr: String) -> Self {
        let stdout = String::from_utf8_lossy(&stdout_bytes).into_owned();
        Finished { code: status.code(), signal: status.signal(), stdout, stderr, stdout_bytes }
    }

    /// Stdout's lines with any trailing `\r` removed (a terminal ends lines with `\r\n`).
    pub fn stdout_lines(&self) -> Vec<&str> {
        self.stdout.lines().map(|line| line.trim_end_matches('\r')).collect()
    }

    /// What `fixtures/flood.sh LINES both` prints arrived whole: `out 1..=LINES` on stdout and
    /// `err 1..=LINES` among stderr's lines, each once and in order.
    #[track_caller]
    pub fn assert_flood_intact(&self, lines: usize) {
        let expected: Vec<String> = (1..=lines).map(|i| format!("out {i}")).collect();
        assert!(
            self.stdout_lines() == expected,
            "stdout lost or reordered lines ({} lines)",
            self.stdout_lines().len()
        );
        let errors: Vec<&str> = self.stderr.lines().filter(|line| line.starts_with("err ")).collect();
        let expected: Vec<String> = (1..=lines).map(|i| format!("err {i}")).collect();
        assert!(errors == expected, "stderr lost or reordered lines ({} lines)", errors.len());
    }

    /// Panics, showing the whole run, unless the exit code is `code`.
    #[track_caller]
    pub fn assert_code(&self, code: i32) -> &Self {
        assert_eq!(self.code, Some(code), "unexpected exit status; the run was:\n{self:#?}");
        self
    }
}

/// Output read from a pipe by a thread, readable while the process still runs.
struct Capture {
    bytes: Arc<Mutex<Vec<u8>>>,
    reader: Option<JoinHandle<()>>,
}

impl Capture {
    fn start(mut pipe: impl Read + Send + 'static) -> Capture {
        let bytes = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&bytes);
        let reader = std::thread::spawn(move || {
            let mut buffer = [0u8; 8192];
            while let Ok(read @ 1..) = pipe.read(&mut buffer) {
                sink.lock().unwrap().extend_from_slice(&buffer[..read]);
            }
        });
        Capture { bytes, reader: Some(reader) }
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes.lock().unwrap()).into_owned()
    }

    /// Waits (up to `deadline`) for end of file: a grandchild may hold the pipe a little longer.
    fn drain(&mut self, deadline: Instant) -> String {
        if let Some(reader) = self.reader.take() {
            while !reader.is_finished() && Instant::now() < deadline {
                std::thread::sleep(POLL);
            }
            if reader.is_finished() {
                let _ = reader.join();
            }
        }
        self.text()
    }
}

/// A running `axiom` process whose stdout and stderr are captured as they arrive.
pub struct Proc {
    child: Child,
    what: String,
    stdout: Capture,
    stderr: Capture,
    status: Option<ExitStatus>,
}

impl Proc {
    /// Starts `command` with stdin closed and stdout/stderr captured.
    pub fn spawn(command: Command, what: impl Into<String>) -> Proc {
        Proc::spawn_with_stdin(command, what, Stdio::null())
    }

    /// Starts `command` with `input` written to its stdin (a pipe, closed after it) from a thread.
    pub fn spawn_piping(command: Command, what: impl Into<String>, input: Vec<u8>) -> Proc {
        let mut proc = Proc::spawn_with_stdin(command, what, Stdio::piped());
        let mut stdin = proc.child.stdin.take().unwrap();
        std::thread::spawn(move || {
            use std::io::Write;
            let _ = stdin.write_all(&input);
        });
        proc
    }

    /// Starts `command` with `stdin` as its input and stdout/stderr captured.
    pub fn spawn_with_stdin(mut command: Command, what: impl Into<String>, stdin: Stdio) -> Proc {
        let what = what.into();
        command.stdin(stdin).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = command.spawn().unwrap_or_else(|err| panic!("cannot start {what}: {err}"));
        let stdout = Capture::start(child.stdout.take().unwrap());
        let stderr = Capture::start(child.stderr.take().unwrap());
        Proc { child, what, stdout, stderr, status: None }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// What it printed on stdout so far.
    pub fn stdout(&self) -> String {
        self.stdout.text()
    }

    /// What it printed on stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.text()
    }

    fn exited(&mut self) -> Option<ExitStatus> {
        if self.status.is_none() {
            self.status = self.child.try_wait().expect("try_wait");
        }
        self.status
    }

    /// Waits until stdout holds the whole line that contains `needle`; fails if the process ends
    /// first or time runs out.
    #[track_caller]
    pub fn wait_for_stdout(&mut self, needle: &str) -> String {
        self.wait_for(needle, true)
    }

    /// Waits until stderr holds the whole line that contains `needle`; fails if the process ends
    /// first or time runs out. Whole lines because a line may arrive in several writes (stderr is
    /// unbuffered: one `eprintln!` is a write for each piece), the rest after the words waited for.
    #[track_caller]
    pub fn wait_for_stderr(&mut self, needle: &str) -> String {
        self.wait_for(needle, false)
    }

    /// The writing end of a process started with a piped stdin.
    pub fn take_stdin(&mut self) -> std::process::ChildStdin {
        self.child.stdin.take().expect("started with a piped stdin")
    }

    /// The id in the `axiom: task ID ...` line an `axiom client --command` prints first.
    #[track_caller]
    pub fn wait_for_task_id(&mut self) -> String {
        let stderr = self.wait_for_stderr("axiom: task ");
        let id = stderr
            .lines()
            .filter_map(|line| line.strip_prefix("axiom: task "))
            .find_map(|rest| rest.split_whitespace().next());
        id.unwrap_or_else(|| panic!("no task id in the `axiom: task` line:\n{stderr}")).to_owned()
    }

    #[track_caller]
    fn wait_for(&mut self, needle: &str, on_stdout: bool) -> String {
        let deadline = Instant::now() + DEADLINE;
        loop {
            let text = if on_stdout { self.stdout() } else { self.stderr() };
            if whole_line_holds(&text, needle) {
                return text;
            }
            let ended = self.exited();
            if ended.is_some() || Instant::now() >= deadline {
                // One last look: the output may have arrived just before the end, and be still
                // in the pipe (the readers read it once the process has ended).
                if ended.is_some() {
                    let drain_until = Instant::now() + Duration::from_secs(3);
                    self.stdout.drain(drain_until);
                    self.stderr.drain(drain_until);
                }
                let text = if on_stdout { self.stdout() } else { self.stderr() };
                if whole_line_holds(&text, needle) {
                    return text;
                }
                let why = match ended {
                    Some(status) => format!("it ended ({status})"),
                    None => format!("{DEADLINE:?} passed"),
                };
                panic!(
                    "{} never printed {needle:?} on {}: {why}\n--- stdout:\n{}\n--- stderr:\n{}",
                    self.what,
                    if on_stdout { "stdout" } else { "stderr" },
                    self.stdout(),
                    self.stderr()
                );
            }
            std::thread::sleep(POLL);
        }
    }

    /// Waits for the process to end (failing the test after `timeout`) and returns its output.
    #[track_caller]
    pub fn finish_within(self, timeout: Duration) -> Finished {
        self.try_finish_within(timeout).unwrap_or_else(|why| panic!("{why}"))
    }

    /// Waits for the process to end; after `timeout` it is stopped and the error says what it printed.
    pub fn try_finish_within(mut self, timeout: Duration) -> Result<Finished, String> {
        let deadline = Instant::now() + timeout;
        let status = loop {
            if let Some(status) = self.exited() {
                break status;
            }
            if Instant::now() >= deadline {
                self.stop();
                return Err(format!(
                    "{} did not end within {timeout:?}\n--- stdout:\n{}\n--- stderr:\n{}",
                    self.what,
                    self.stdout(),
                    self.stderr()
                ));
            }
            std::thread::sleep(POLL);
        };
        let drain_until = Instant::now() + Duration::from_secs(3);
        self.stdout.drain(drain_until);
        self.stderr.drain(drain_until);
        let stdout_bytes = self.stdout.bytes.lock().unwrap().clone();
        let stderr = self.stderr.text();
        Ok(Finished::new(status, stdout_bytes, stderr))
    }

    /// Waits for the process to end, within [`DEADLINE`].
    #[track_caller]
    pub fn finish(self) -> Finished {
        self.finish_within(DEADLINE)
    }

    /// Sends `signal` to this process (and to nothing else).
    pub fn signal(&self, signal: i32) {
        send_signal(self.pid(), signal);
    }

    /// SIGINT (Ctrl-C: `axiom run` then kills its task, `serve` shuts down), up to 5 s to end, then
    /// SIGKILL.
    fn stop(&mut self) {
        if self.exited().is_some() {
            return;
        }
        self.signal(libc::SIGINT);
        let deadline = Instant::now() + Duration::from_secs(5);
        while self.exited().is_none() && Instant::now() < deadline {
            std::thread::sleep(POLL);
        }
        if self.exited().is_none() {
            let _ = self.child.kill();
            self.status = self.child.wait().ok();
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Whether `text` holds `needle` and the end of the line it ends on.
fn whole_line_holds(text: &str, needle: &str) -> bool {
    match text.find(needle) {
        Some(at) => needle.ends_with('\n') || text[at + needle.len()..].contains('\n'),
        None => false,
    }
}

/// Runs `command` to the end within `timeout`.
#[track_caller]
pub fn run_within(command: Command, timeout: Duration) -> Finished {
    let what = format!("{command:?}");
    Proc::spawn(command, what).finish_within(timeout)
}

/// Runs `command` with its stdout read up to the first line break and then closed, as `| head -1`
/// does; returns how it ended within `timeout` and its stderr.
#[track_caller]
pub fn run_reading_one_line(command: Command, timeout: Duration) -> (ExitStatus, String) {
    run_reading_one_line_with_input(command, Stdio::null(), timeout)
}

/// [`run_reading_one_line`] with `stdin` as the command's standard input.
#[track_caller]
pub fn run_reading_one_line_with_input(mut command: Command, stdin: Stdio, timeout: Duration) -> (ExitStatus, String) {
    use std::io::BufRead as _;
    let mut child = command.stdin(stdin).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let stderr = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    assert!(line.ends_with('\n'), "no first line on stdout: {line:?}");
    // The reader is dropped here: the pipe's read end is closed.
    let status = eventually("the command to end once its stdout's reader left", timeout, || {
        child.try_wait().unwrap().ok_or_else(|| "still running".to_owned())
    });
    (status, stderr.join().unwrap())
}

/// Runs `command` with stdout on `/dev/null` and its stderr read up to the first line break and
/// then closed (`2>&1 | head -1` for a command that writes only to stderr); returns how it ended
/// within `timeout`.
#[track_caller]
pub fn run_reading_one_line_of_stderr(mut command: Command, timeout: Duration) -> ExitStatus {
    use std::io::BufRead as _;
    let mut child = command.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stderr.take().unwrap()).read_line(&mut line).unwrap();
    eventually("the command to end once its stderr's reader left", timeout, || {
        child.try_wait().unwrap().ok_or_else(|| "still running".to_owned())
    })
}

/// Sends `signal` to one process.
pub fn send_signal(pid: u32, signal: i32) {
    // SAFETY: kill(2) has no memory-safety preconditions.
    unsafe {
        libc::kill(pid as libc::pid_t, signal);
    }
}

/// `/proc/PID/stat` split after the command name: `[state, ppid, ...]`.
fn stat_fields(pid: u32) -> Option<Vec<String>> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 1..];
    Some(rest.split_whitespace().map(str::to_owned).collect())
}

/// Whether `pid` is a live process: `kill -0` succeeds and it is not a zombie waiting to be reaped
/// (an orphan's zombie lingers when PID 1 does not reap, as in some containers).
pub fn alive(pid: u32) -> bool {
    // SAFETY: signal 0 only checks that the process exists.
    let exists = unsafe { libc::kill(pid as libc::pid_t, 0) } == 0;
    exists && stat_fields(pid).is_some_and(|fields| fields[0] != "Z" && fields[0] != "X")
}

/// The state letter of `pid` (`R`, `S`, `T` for stopped...), from `/proc`.
pub fn process_state(pid: u32) -> Option<char> {
    stat_fields(pid)?.first()?.chars().next()
}

/// The parent of `pid`, from `/proc`.
pub fn parent_of(pid: u32) -> Option<u32> {
    stat_fields(pid)?.get(1)?.parse().ok()
}

/// The command line of `pid`, arguments separated by spaces.
pub fn cmdline_of(pid: u32) -> String {
    let raw = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    raw.split(|&b| b == 0).map(String::from_utf8_lossy).collect::<Vec<_>>().join(" ")
}

/// The value of `name` in the environment `pid` was started with.
pub fn environ_of(pid: u32, name: &str) -> Option<String> {
    let raw = std::fs::read(format!("/proc/{pid}/environ")).ok()?;
    let prefix = format!("{name}=");
    raw.split(|&b| b == 0)
        .filter_map(|entry| std::str::from_utf8(entry).ok())
        .find_map(|entry| entry.strip_prefix(prefix.as_str()).map(str::to_owned))
}

/// A plain HTTP/1.1 GET; returns the status code and the body.
pub fn http_get(addr: SocketAddr, path: &str, headers: &[(&str, &str)]) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).expect("connect to the hub");
    stream.set_read_timeout(Some(DEADLINE)).unwrap();
    let mut request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    let response = String::from_utf8_lossy(&response).into_owned();
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP response: {response:?}"));
    let body = response.split_once("\r\n\r\n").map_or("", |(_, body)| body).to_owned();
    (status, body)
}

/// `axiom serve` on an ephemeral loopback port with its own state directory, up and answering
/// `/healthz`. When dropped, its running tasks are killed and it is stopped.
pub struct Hub {
    // Declared first so it is stopped before the sandbox (its state directory) is deleted.
    serve: Proc,
    pub sandbox: Sandbox,
    /// `ws://127.0.0.1:PORT`, as `hub.json` says.
    pub url: String,
    pub addr: SocketAddr,
    /// The client token, from `<state>/token`.
    pub token: String,
}

impl Hub {
    /// Starts a hub with `rules` (YAML) as its rule set and `extra` arguments to `axiom serve`.
    pub fn start(rules: &str, extra: &[&str]) -> Hub {
        Hub::start_in(Sandbox::new(), rules, extra, |_| {})
    }

    /// As [`start`](Self::start), but every worker's token is also copied to `leaked/<task id>`
    /// in the sandbox (see `fixtures/token-thief-worker.py`), for tests that play a thief who got
    /// hold of one: the hub itself keeps no token anywhere a test could read it.
    pub fn start_leaking_worker_tokens(rules: &str, extra: &[&str]) -> Hub {
        let sandbox = Sandbox::new();
        let leaked = sandbox.path("leaked");
        std::fs::create_dir(&leaked).unwrap();
        let wrapper = format!("{}/fixtures/token-thief-worker.py", env!("CARGO_MANIFEST_DIR"));
        Hub::start_in(sandbox, rules, extra, |serve| {
            serve
                .env("AXIOM_WORKER_EXE", &wrapper)
                .env("AXIOM_TEST_REAL_WORKER", env!("CARGO_BIN_EXE_axiom"))
                .env("AXIOM_TEST_LEAKED", &leaked);
        })
    }

    /// A hub whose `axiom serve` was handed `Command` as `prepare` left it (an inherited descriptor,
    /// say).
    pub fn start_prepared(rules: &str, extra: &[&str], prepare: impl FnOnce(&mut Command)) -> Hub {
        Hub::start_in(Sandbox::new(), rules, extra, prepare)
    }

    fn start_in(sandbox: Sandbox, rules: &str, extra: &[&str], prepare: impl FnOnce(&mut Command)) -> Hub {
        let rules = sandbox.write("rules.yaml", rules);
        let state = sandbox.path("state").display().to_string();
        let mut args = vec!["serve", "--listen", "127.0.0.1:0", "--state-dir", &state, "--rules", &rules];
        args.extend_from_slice(extra);
        let mut command = sandbox.axiom(&args);
        prepare(&mut command);
        let mut serve = Proc::spawn(command, "axiom serve");
        let info = sandbox.path("state/hub.json");
        let url = eventually("hub.json", DEADLINE, || {
            if let Some(status) = serve.exited() {
                panic!("axiom serve ended ({status}) before it listened:\n{}", serve.stderr());
            }
            let text = std::fs::read_to_string(&info).map_err(|err| err.to_string())?;
            let info: serde_json::Value = serde_json::from_str(&text).map_err(|err| err.to_string())?;
            info["url"].as_str().map(str::to_owned).ok_or(text)
        });
        let addr: SocketAddr = url.strip_prefix("ws://").expect("a ws:// url").parse().expect("HOST:PORT");
        eventually("/healthz to answer 200", DEADLINE, || match TcpStream::connect(addr) {
            Ok(_) => match http_get(addr, "/healthz", &[]) {
                (200, _) => Ok(()),
                other => Err(format!("{other:?}")),
            },
            Err(err) => Err(err.to_string()),
        });
        let token = std::fs::read_to_string(sandbox.path("state/token")).expect("the token file").trim().to_owned();
        Hub { serve, sandbox, url, addr, token }
    }

    /// The pid of `axiom serve`.
    pub fn pid(&self) -> u32 {
        self.serve.pid()
    }

    /// `http://127.0.0.1:PORT`, the spelling the seed's client used.
    pub fn http_url(&self) -> String {
        self.url.replacen("ws://", "http://", 1)
    }

    /// `axiom client ARGS` against this hub: found through `$AXIOM_STATE_DIR` (hub.json and token).
    pub fn client(&self, args: &[&str]) -> Command {
        let mut args = args.to_vec();
        args.insert(0, "client");
        let mut command = self.sandbox.axiom(&args);
        command.env("AXIOM_STATE_DIR", self.sandbox.path("state"));
        command
    }

    /// Runs `axiom client ARGS` to the end.
    #[track_caller]
    pub fn run_client(&self, args: &[&str]) -> Finished {
        run_within(self.client(args), DEADLINE)
    }

    /// Starts `axiom client --command LINE` in the background; returns it once it printed its task id.
    #[track_caller]
    pub fn start_command(&self, line: &str) -> (Proc, String) {
        let mut client = Proc::spawn(self.client(&["--command", line]), format!("axiom client --command {line:?}"));
        let id = client.wait_for_task_id();
        (client, id)
    }

    /// `axiom client list --format json`, parsed.
    #[track_caller]
    pub fn list(&self) -> Vec<TaskInfo> {
        let run = self.run_client(&["list", "--format", "json"]);
        run.assert_code(0);
        parse_listing(&run.stdout).unwrap_or_else(|err| panic!("list is not a listing ({err}): {}", run.stdout))
    }

    /// One task from the listing.
    #[track_caller]
    pub fn task(&self, id: &str) -> TaskInfo {
        self.list().into_iter().find(|task| task.task_id == id).unwrap_or_else(|| panic!("no task {id} in the list"))
    }

    /// What the hub printed on stderr so far (its own log and its workers').
    pub fn log(&self) -> String {
        self.serve.stderr()
    }

    /// Kills every task still running and waits (briefly) for them to end. Never panics.
    fn kill_running_tasks(&self) {
        let quick = Duration::from_secs(5);
        let running = || -> Option<Vec<String>> {
            let list = Proc::spawn(self.client(&["list", "--format", "json"]), "list").try_finish_within(quick).ok()?;
            let tasks = parse_listing(&list.stdout).ok()?;
            Some(tasks.into_iter().filter(|task| !task.status.is_finished()).map(|task| task.task_id).collect())
        };
        let deadline = Instant::now() + quick;
        while let Some(ids) = running() {
            if ids.is_empty() || Instant::now() >= deadline {
                return;
            }
            for id in ids {
                // A task whose worker has not connected yet refuses; the next round retries.
                let kill = Proc::spawn(self.client(&["kill", "--grace", "100ms", &id]), "kill");
                let _ = kill.try_finish_within(quick);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// `axiom client list --format json` (flat records, as the MCP tools give them) read back into the
/// hub's own [`TaskInfo`], whose status the tests match on.
fn parse_listing(json: &str) -> Result<Vec<TaskInfo>, String> {
    let records: Vec<serde_json::Value> = serde_json::from_str(json).map_err(|err| err.to_string())?;
    records.into_iter().map(task_info).collect()
}

fn task_info(record: serde_json::Value) -> Result<TaskInfo, String> {
    let number = |key: &str| record[key].as_i64().map(|n| n as i32);
    let status = match record["status"].as_str() {
        Some("starting") => TaskStatus::Starting,
        Some("running") => TaskStatus::Running,
        Some("exited") => TaskStatus::Exited { code: number("exit_code").ok_or("an exit without its code")? },
        Some("killed") => TaskStatus::Killed { signal: number("signal").ok_or("a kill without its signal")? },
        Some("failed") => TaskStatus::Failed {
            message: record["message"].as_str().unwrap_or_default().to_owned(),
            code: number("exit_code"),
        },
        Some("lost") => TaskStatus::Lost,
        other => return Err(format!("unknown status {other:?}")),
    };
    fn field<T: serde::de::DeserializeOwned>(record: &serde_json::Value, key: &str) -> Result<T, String> {
        serde_json::from_value(record[key].clone()).map_err(|err| format!("{key}: {err}"))
    }
    Ok(TaskInfo {
        task_id: field(&record, "task_id")?,
        command: field(&record, "command")?,
        status,
        pid: field(&record, "pid")?,
        started_at: field(&record, "started_at")?,
        ended_at: field(&record, "ended_at")?,
        output_bytes: field(&record, "output_bytes")?,
        interventions: field(&record, "interventions")?,
        tamper_events: field(&record, "tamper_events")?,
        session: field(&record, "session")?,
        activity: field(&record, "activity")?,
    })
}

/// The token a task's worker was given, as a thief who got hold of it would use it: copied on its
/// way to the worker by a hub from [`Hub::start_leaking_worker_tokens`].
pub fn worker_token(hub: &Hub, task_id: &str) -> String {
    let path = hub.sandbox.path(&format!("leaked/{task_id}"));
    eventually("the leaked worker token", DEADLINE, || {
        let token = std::fs::read_to_string(&path).map_err(|err| err.to_string())?;
        if token.len() == 64 {
            Ok(token)
        } else {
            Err(format!("{token:?}"))
        }
    })
}

/// A stopped hub leaves its workers waiting to reconnect (with the child running) for a while, so
/// the tasks a test left running are killed first.
impl Drop for Hub {
    fn drop(&mut self) {
        self.kill_running_tasks();
    }
}

pub mod ws {
    //! A tiny WebSocket client for the hub, with deadlines.

    use std::net::SocketAddr;

    use futures_util::{SinkExt, StreamExt};
    use serde_json::Value;
    use tokio::net::TcpStream;
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    use tokio_tungstenite::tungstenite::http::HeaderValue;
    use tokio_tungstenite::tungstenite::{Error, Message};
    use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

    use super::DEADLINE;

    pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

    /// Opens `ws://ADDR PATH` with an optional bearer token and `Origin` header.
    pub async fn open(
        addr: SocketAddr,
        path: &str,
        token: Option<&str>,
        origin: Option<&str>,
    ) -> Result<Socket, Error> {
        let mut request = format!("ws://{addr}{path}").into_client_request()?;
        if let Some(token) = token {
            request.headers_mut().insert("authorization", HeaderValue::from_str(&format!("Bearer {token}")).unwrap());
        }
        if let Some(origin) = origin {
            request.headers_mut().insert("origin", HeaderValue::from_str(origin).unwrap());
        }
        let (socket, _) = tokio::time::timeout(DEADLINE, tokio_tungstenite::connect_async(request))
            .await
            .expect("the upgrade timed out")?;
        Ok(socket)
    }

    /// The HTTP status an upgrade was refused with (panics if it succeeded or failed otherwise).
    #[track_caller]
    pub fn refused(result: Result<Socket, Error>) -> u16 {
        match result {
            Err(Error::Http(response)) => response.status().as_u16(),
            Err(other) => panic!("the upgrade failed without an HTTP status: {other}"),
            Ok(_) => panic!("the upgrade succeeded"),
        }
    }

    /// Sends one text frame.
    pub async fn send_text(socket: &mut Socket, text: impl Into<String>) {
        socket.send(Message::text(text.into())).await.expect("send to the hub");
    }

    /// The next frame that is not a ping or pong, or `None` when the stream ended.
    pub async fn next(socket: &mut Socket) -> Option<Result<Message, Error>> {
        let deadline = tokio::time::Instant::now() + DEADLINE;
        loop {
            let frame =
                tokio::time::timeout_at(deadline, socket.next()).await.expect("no message from the hub in time");
            match frame {
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                other => return other,
            }
        }
    }

    /// The next JSON message (panics on anything else).
    pub async fn next_json(socket: &mut Socket) -> Value {
        match next(socket).await {
            Some(Ok(Message::Text(text))) => {
                serde_json::from_str(text.as_str()).unwrap_or_else(|err| panic!("not JSON ({err}): {text}"))
            }
            other => panic!("expected a JSON text frame, got {other:?}"),
        }
    }

    /// Sends `request` and returns the first message whose `id` is `id` (events are skipped).
    pub async fn request(socket: &mut Socket, id: u64, request: Value) -> Value {
        send_text(socket, request.to_string()).await;
        let reply = async {
            loop {
                let reply = next_json(socket).await;
                if reply["id"] == id {
                    return reply;
                }
            }
        };
        tokio::time::timeout(DEADLINE, reply).await.unwrap_or_else(|_| panic!("no reply to request {id} in time"))
    }
}

/// The local ports of a process's TCP connections to `port`, from `ss`.
pub fn connections_of(pid: u32, port: u16) -> Vec<u16> {
    let out =
        Command::new("ss").args(["-tnpH", "state", "established", "dport", "=", &format!(":{port}")]).output().unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|line| line.contains(&format!("pid={pid},")))
        .filter_map(|line| line.split_whitespace().nth(2)?.rsplit(':').next()?.parse().ok())
        .collect()
}
