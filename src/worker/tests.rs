//! Tests that spawn real processes, mostly the fake agents in `fixtures/`.
//!
//! Nothing sleeps for a fixed time to let something happen: every wait is on an event, bounded by
//! [`WAIT`], which only a broken build ever reaches.

use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use super::signals::pid_is_dead;
use super::*;

/// Upper bound for any single wait; a passing test never gets near it.
const WAIT: Duration = Duration::from_secs(10);

fn fixture(name: &str) -> String {
    format!("{}/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// A spawned child plus everything it said so far.
struct Run {
    child: ChildHandle,
    events: mpsc::Receiver<ChildEvent>,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    exit: Option<ExitInfo>,
}

impl Run {
    fn start(spec: SpawnSpec) -> Run {
        Run::with_capacity(spec, 64)
    }

    fn with_capacity(spec: SpawnSpec, capacity: usize) -> Run {
        let (tx, events) = mpsc::channel(capacity);
        let child = ChildHandle::spawn(spec, tx).expect("spawn");
        Run { child, events, stdout: Vec::new(), stderr: Vec::new(), exit: None }
    }

    fn text(&self, stream: OutputStream) -> String {
        let bytes = match stream {
            OutputStream::Stdout => &self.stdout,
            OutputStream::Stderr => &self.stderr,
            OutputStream::Events => panic!("the pipe and pty drivers have no event stream"),
        };
        String::from_utf8_lossy(bytes).into_owned()
    }

    /// Take one event. False once the channel is closed.
    async fn step(&mut self) -> bool {
        let event = tokio::time::timeout(WAIT, self.events.recv())
            .await
            .unwrap_or_else(|_| panic!("no event within {WAIT:?}; so far:\n{}", self.dump()));
        match event {
            Some(ChildEvent::Output { stream, data }) => {
                assert!(self.exit.is_none(), "output after Exited");
                assert!(!data.is_empty() && data.len() <= READ_CHUNK);
                match stream {
                    OutputStream::Stdout => self.stdout.extend_from_slice(&data),
                    OutputStream::Stderr => self.stderr.extend_from_slice(&data),
                    OutputStream::Events => panic!("an event stream from the pipe or pty driver"),
                }
                true
            }
            Some(ChildEvent::ToolCall { id, line }) => panic!("a tool call {id} {line:?} from the pipe or pty driver"),
            Some(ChildEvent::TurnEnded) => panic!("a turn end from the pipe or pty driver"),
            Some(ChildEvent::Exited(info)) => {
                assert!(self.exit.is_none(), "Exited twice");
                self.exit = Some(info);
                true
            }
            None => false,
        }
    }

    /// Wait until `stream` contains `needle`.
    async fn expect(&mut self, stream: OutputStream, needle: &str) {
        while !self.text(stream).contains(needle) {
            assert!(self.exit.is_none(), "exited without printing {needle:?}:\n{}", self.dump());
            assert!(self.step().await, "events closed before {needle:?}");
        }
    }

    async fn expect_out(&mut self, needle: &str) {
        self.expect(OutputStream::Stdout, needle).await;
    }

    /// Read to the end: Exited must come, and be the last event.
    async fn finish(&mut self) -> ExitInfo {
        while self.exit.is_none() {
            assert!(self.step().await, "events closed without Exited");
        }
        assert!(!self.step().await, "an event after Exited");
        self.exit.unwrap()
    }

    fn dump(&self) -> String {
        format!(
            "stdout: {:?}\nstderr: {:?}\nexit: {:?}",
            self.text(OutputStream::Stdout),
            self.text(OutputStream::Stderr),
            self.exit
        )
    }
}

async fn wait_dead(pid: libc::pid_t) {
    let start = Instant::now();
    while !pid_is_dead(pid) {
        assert!(start.elapsed() < WAIT, "process {pid} is still alive");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn numbered_lines(text: &str, prefix: &str, n: usize) {
    let mut count = 0;
    for (i, line) in text.lines().enumerate() {
        assert_eq!(line, format!("{prefix} {}", i + 1), "line {} of {prefix}", i + 1);
        count += 1;
    }
    assert_eq!(count, n, "{prefix} line count");
}

// ---------------------------------------------------------------------------------------------------
// Driver and spec values

#[test]
fn driver_names_round_trip() {
    assert_eq!(Driver::default(), Driver::Pipe);
    assert_eq!("pty".parse::<Driver>(), Ok(Driver::Pty));
    assert_eq!(" PIPE ".parse::<Driver>(), Ok(Driver::Pipe));
    assert!("tty".parse::<Driver>().unwrap_err().to_string().contains("tty"));
    assert_eq!(serde_json::to_string(&Driver::Pty).unwrap(), "\"pty\"");
    assert_eq!(serde_json::from_str::<Driver>("\"pipe\"").unwrap(), Driver::Pipe);
    use clap::ValueEnum;
    assert_eq!(<Driver as ValueEnum>::from_str("pty", false), Ok(Driver::Pty));
    assert_eq!(Driver::Pty.to_string(), "pty");
}

#[test]
fn exit_info_shell_style() {
    let code = |code, signal| ExitInfo { code, signal }.shell_style_code();
    assert_eq!(code(Some(0), None), 0);
    assert_eq!(code(Some(3), None), 3);
    assert_eq!(code(None, Some(9)), 137);
    assert_eq!(code(None, None), 255);
}

// ---------------------------------------------------------------------------------------------------
// Spawning and output

#[tokio::test]
async fn both_streams_complete_and_ordered() {
    const N: usize = 100_000;
    let mut run = Run::start(SpawnSpec::new([fixture("flood.sh"), N.to_string()]));
    let exit = run.finish().await;
    assert_eq!(exit, ExitInfo { code: Some(0), signal: None });
    numbered_lines(&run.text(OutputStream::Stdout), "out", N);
    numbered_lines(&run.text(OutputStream::Stderr), "err", N);
}

#[tokio::test]
async fn slow_consumer_loses_nothing() {
    // ~44 KB of output (fits the 64 KiB pipe) against a channel of one: the child exits while most of
    // it is still unread, in the pipe, with the reader waiting for room in the channel. That wait is
    // not "idle": everything must arrive although the drain limits passed long ago.
    const N: usize = 5_000;
    let mut spec = SpawnSpec::new([fixture("flood.sh"), N.to_string(), "out".into()]);
    spec.timing.drain_idle = Duration::from_millis(50);
    spec.timing.drain_max = Duration::from_millis(100);
    let mut run = Run::with_capacity(spec, 1);
    let exit = tokio::time::timeout(WAIT, run.child.wait()).await.unwrap();
    assert!(exit.success());
    tokio::time::sleep(Duration::from_millis(300)).await; // well past both drain limits
    run.finish().await;
    numbered_lines(&run.text(OutputStream::Stdout), "out", N);
}

#[tokio::test]
async fn a_chunk_waiting_for_room_takes_in_what_the_child_writes_meanwhile() {
    // One `write` per line, ~30 KB in all, against a channel of one that nobody reads until the
    // child is gone: the first chunk fills the channel, and the second keeps growing while it
    // waits, instead of leaving the rest in the pipe for more, smaller chunks.
    let script = "echo first; i=0; while [ $i -lt 3000 ]; do echo \"line $i\"; i=$((i+1)); done";
    let mut run = Run::with_capacity(SpawnSpec::new(["sh", "-c", script]), 1);
    let exit = tokio::time::timeout(WAIT, run.child.wait()).await.unwrap();
    assert!(exit.success());
    let mut chunks = 0;
    while run.exit.is_none() {
        let before = run.stdout.len();
        assert!(run.step().await);
        chunks += usize::from(run.stdout.len() > before);
    }
    let text = run.text(OutputStream::Stdout);
    assert!(text.starts_with("first\n") && text.ends_with("line 2999\n"), "{text}");
    assert_eq!(text.lines().count(), 3001);
    // One chunk when the reader first woke after the child had written everything (a loaded
    // machine); never more than two.
    assert!(chunks <= 2, "the output came in {chunks} chunks");
}

#[tokio::test]
async fn exit_codes() {
    for (script, code) in [("exit 0", 0), ("exit 3", 3), ("echo bye; exit 42", 42)] {
        let mut run = Run::start(SpawnSpec::new(["sh", "-c", script]));
        let exit = run.finish().await;
        assert_eq!(exit, ExitInfo { code: Some(code), signal: None }, "{script}");
        assert_eq!(exit.shell_style_code(), code);
    }
}

#[tokio::test]
async fn killed_by_a_signal() {
    let mut run = Run::start(SpawnSpec::new(["sh", "-c", "kill -KILL $$"]));
    let exit = run.finish().await;
    assert_eq!(exit, ExitInfo { code: None, signal: Some(libc::SIGKILL) });
    assert_eq!(exit.shell_style_code(), 137);
}

#[tokio::test]
async fn no_shell_is_involved() {
    let mut run = Run::start(SpawnSpec::new(["echo", "$HOME; ls *", "`id`"]));
    run.finish().await;
    assert_eq!(run.text(OutputStream::Stdout), "$HOME; ls * `id`\n");
}

#[tokio::test]
async fn env_and_cwd_reach_the_child() {
    let dir = tempfile::tempdir().unwrap();
    let spec = SpawnSpec::new(["sh", "-c", "echo \"$AXIOM_TEST_VAR\"; pwd -P"])
        .env("AXIOM_TEST_VAR", "hello there")
        .cwd(dir.path());
    let mut run = Run::start(spec);
    run.finish().await;
    let real = dir.path().canonicalize().unwrap();
    assert_eq!(run.text(OutputStream::Stdout), format!("hello there\n{}\n", real.display()));
}

#[tokio::test]
async fn missing_program_is_named() {
    let (tx, _rx) = mpsc::channel(1);
    let err = ChildHandle::spawn(SpawnSpec::new(["axiom-no-such-program", "x"]), tx.clone()).unwrap_err();
    assert!(matches!(err, SpawnError::NotFound { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains("axiom-no-such-program") && msg.contains("not found"), "{msg}");

    let spec = SpawnSpec::new(["/nonexistent/agent"]).driver(Driver::Pty);
    let err = ChildHandle::spawn(spec, tx).unwrap_err();
    assert!(matches!(err, SpawnError::NotFound { .. }), "{err:?}");
    assert!(err.to_string().contains("/nonexistent/agent"), "{err}");
}

#[tokio::test]
async fn non_executable_program_is_permission_denied() {
    let file = tempfile::NamedTempFile::new().unwrap(); // mode 0600: no execute bit, even for root
    let program = file.path().to_str().unwrap().to_string();
    let (tx, _rx) = mpsc::channel(1);
    let err = ChildHandle::spawn(SpawnSpec::new([program.clone()]), tx).unwrap_err();
    assert!(matches!(err, SpawnError::PermissionDenied { .. }), "{err:?}");
    assert!(err.to_string().contains(&program), "{err}");
}

#[tokio::test]
async fn bad_cwd_is_explained() {
    let (tx, _rx) = mpsc::channel(1);
    let spec = SpawnSpec::new(["true"]).cwd("/nonexistent/axiom-dir");
    let err = ChildHandle::spawn(spec, tx.clone()).unwrap_err();
    assert!(matches!(err, SpawnError::BadCwd { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains("/nonexistent/axiom-dir") && msg.contains("`true`"), "{msg}");
    assert!(msg.contains("no such directory"), "{msg}");

    let file = tempfile::NamedTempFile::new().unwrap();
    let err = ChildHandle::spawn(SpawnSpec::new(["true"]).cwd(file.path()), tx.clone()).unwrap_err();
    assert!(err.to_string().contains("not a directory"), "{err}");

    let err = ChildHandle::spawn(SpawnSpec::new(Vec::<String>::new()), tx).unwrap_err();
    assert!(matches!(err, SpawnError::EmptyCommand), "{err:?}");
}

#[tokio::test]
async fn lingering_grandchild_does_not_hold_exited_back() {
    // The grandchild keeps stdout open for 30 s; Exited must come after the drain idle time, with the
    // output that was written before.
    let mut spec = SpawnSpec::new(["sh", "-c", "sleep 30 & echo started; echo done >&2"]);
    spec.timing.drain_idle = Duration::from_millis(200);
    let mut run = Run::start(spec);
    let start = Instant::now();
    let exit = run.finish().await;
    assert!(exit.success());
    // Far sooner than the grandchild's 30 s, with room for a loaded machine.
    assert!(start.elapsed() < Duration::from_secs(10), "{:?}", start.elapsed());
    assert_eq!(run.text(OutputStream::Stdout), "started\n");
    assert_eq!(run.text(OutputStream::Stderr), "done\n");
    // The sleep is still in the child's group: kill reaches it although the child is gone.
    run.child.kill(Duration::from_millis(500)).await.unwrap();
}

// ---------------------------------------------------------------------------------------------------
// Actions

#[tokio::test]
async fn inject_reaches_the_todo_agent() {
    for driver in [Driver::Pipe, Driver::Pty] {
        let mut run = Run::start(SpawnSpec::new([fixture("todo-agent.py")]).driver(driver));
        run.expect_out("TODO: implement the parser").await;
        run.child.inject("do it now, no TODOs").await.unwrap();
        run.expect_out("implemented the parser").await;
        let exit = run.finish().await;
        assert!(exit.success(), "{driver}: {}", run.dump());
        assert!(
            run.text(OutputStream::Stdout).contains("got correction: do it now, no TODOs"),
            "{driver}: {}",
            run.dump()
        );
    }
}

#[tokio::test]
async fn interrupt_with_follow_up() {
    for driver in [Driver::Pipe, Driver::Pty] {
        let spec = SpawnSpec::new([fixture("interruptible-agent.py")]).driver(driver);
        let mut run = Run::start(spec);
        run.expect_out("Watching for file changes...").await;
        run.child.interrupt(Some("run the unit tests"), Duration::from_millis(100)).await.unwrap();
        let exit = run.finish().await;
        assert!(exit.success(), "{driver}: {}", run.dump());
        let out = run.text(OutputStream::Stdout);
        assert!(out.contains("interrupted"), "{driver}: {out:?}");
        assert!(out.contains("next: run the unit tests"), "{driver}: {out:?}");
    }
}

#[tokio::test]
async fn kill_ends_child_and_grandchild() {
    let mut run = Run::start(SpawnSpec::new([fixture("stubborn-agent.sh")]));
    run.expect_out("heartbeat").await;
    let out = run.text(OutputStream::Stdout);
    let line = out.lines().find(|l| l.starts_with("pid=")).unwrap();
    let (pid, grandchild) = line.strip_prefix("pid=").and_then(|rest| rest.split_once(" grandchild=")).unwrap();
    let pid: libc::pid_t = pid.parse().unwrap();
    let grandchild: libc::pid_t = grandchild.parse().unwrap();
    assert_eq!(pid as u32, run.child.pid());

    // SIGINT and SIGTERM are ignored: only the SIGKILL after the grace ends them.
    run.child.interrupt(None, Duration::ZERO).await.unwrap();
    let grace = Duration::from_millis(300);
    let start = Instant::now();
    run.child.kill(grace).await.unwrap();
    let took = start.elapsed();
    assert!(took >= grace && took < grace + Duration::from_secs(5), "{took:?}");
    let exit = run.finish().await;
    assert_eq!(exit.signal, Some(libc::SIGKILL), "{}", run.dump());
    wait_dead(pid).await;
    wait_dead(grandchild).await;
    // Killing again, after everything is gone, is fine.
    run.child.kill(Duration::ZERO).await.unwrap();
}

#[tokio::test]
async fn kill_is_quick_when_the_child_obeys_sigterm() {
    for driver in [Driver::Pipe, Driver::Pty] {
        let mut run = Run::start(SpawnSpec::new(["sleep", "30"]).driver(driver));
        let start = Instant::now();
        // Well within the grace: it ended on SIGTERM, not on the SIGKILL the grace would bring.
        run.child.kill(Duration::from_secs(30)).await.unwrap();
        assert!(start.elapsed() < Duration::from_secs(10), "{driver}: {:?}", start.elapsed());
        let exit = run.finish().await;
        assert_eq!(exit.signal, Some(libc::SIGTERM), "{driver}");
        assert_eq!(exit.shell_style_code(), 128 + libc::SIGTERM);
    }
}

#[tokio::test]
async fn close_input_gives_eof() {
    for driver in [Driver::Pipe, Driver::Pty] {
        let mut run = Run::start(SpawnSpec::new(["cat"]).driver(driver));
        run.child.write_input(b"hello\n").await.unwrap();
        run.expect_out("hello").await;
        run.child.close_input().await;
        let exit = run.finish().await;
        assert!(exit.success(), "{driver}: {}", run.dump());
    }
    // A closed pipe refuses further input.
    let mut run = Run::start(SpawnSpec::new(["cat"]));
    run.child.close_input().await;
    let err = run.child.write_input(b"late").await.unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::BrokenPipe);
    run.finish().await;
}

// ---------------------------------------------------------------------------------------------------
// Terminals

#[tokio::test]
async fn pty_child_sees_a_terminal_and_its_prompt_arrives() {
    let mut run = Run::start(SpawnSpec::new([fixture("tty-agent.py")]).driver(Driver::Pty));
    run.expect_out("tty=yes").await;
    run.expect_out("Proceed? (y/n) ").await;
    // The prompt is a partial line: nothing after it until we answer.
    assert!(run.text(OutputStream::Stdout).ends_with("Proceed? (y/n) "), "{}", run.dump());
    run.child.inject("y").await.unwrap();
    run.expect_out("answer=y").await;
    let exit = run.finish().await;
    assert!(exit.success(), "{}", run.dump());
    assert!(run.stderr.is_empty());
}

#[tokio::test]
async fn pipe_child_sees_no_terminal() {
    let mut run = Run::start(SpawnSpec::new([fixture("tty-agent.py")]));
    run.expect_out("tty=no").await;
    run.expect_out("Proceed? (y/n) ").await;
    assert!(run.text(OutputStream::Stdout).ends_with("Proceed? (y/n) "));
    run.child.close_input().await;
    let exit = run.finish().await;
    assert_eq!(exit.code, Some(3));
    assert!(run.text(OutputStream::Stdout).ends_with("answer=\n"));
}

#[tokio::test]
async fn pty_has_the_requested_size() {
    let mut spec = SpawnSpec::new(["stty", "size"]).driver(Driver::Pty);
    let mut run = Run::start(spec.clone());
    run.finish().await;
    let (rows, cols) = DEFAULT_PTY_SIZE;
    assert_eq!(run.text(OutputStream::Stdout), format!("{rows} {cols}\r\n"));

    spec.pty_size = (30, 120);
    let mut run = Run::start(spec);
    run.finish().await;
    assert_eq!(run.text(OutputStream::Stdout), "30 120\r\n");
}

#[tokio::test]
async fn child_gets_default_sigint_even_if_the_worker_ignores_it() {
    // SAFETY: swapping a disposition has no memory-safety preconditions; it is restored right after
    // the spawn (other tests' children are reset by the very code under test).
    let old = unsafe { libc::signal(libc::SIGINT, libc::SIG_IGN) };
    let spec = SpawnSpec::new(["grep", "^SigIgn:", "/proc/self/status"]);
    let mut run = Run::start(spec);
    unsafe { libc::signal(libc::SIGINT, old) };
    assert!(run.finish().await.success());
    let out = run.text(OutputStream::Stdout);
    let mask = u64::from_str_radix(out.trim().trim_start_matches("SigIgn:").trim(), 16).unwrap();
    assert_eq!(mask & (1 << (libc::SIGINT - 1)), 0, "SIGINT still ignored: {out}");
    assert_eq!(mask & (1 << (libc::SIGTERM - 1)), 0, "SIGTERM still ignored: {out}");
}

#[tokio::test]
async fn pty_interrupt_does_not_wait_behind_input_the_child_never_reads() {
    // Line mode (the terminal's default) and raw mode, where the terminal's input fills up.
    for setup in ["", "stty -icanon -echo; "] {
        let line = format!("{setup}echo ready; exec sleep 300");
        let mut run = Run::start(SpawnSpec::new(["sh", "-c", line.as_str()]).driver(Driver::Pty));
        run.expect_out("ready").await;
        // Far more than a terminal buffers: the writer is stuck on it for as long as the child lives.
        let flood = vec![b'x'; 4 * 1024 * 1024];
        let stuck = run.child.write_input(&flood);
        tokio::pin!(stuck);
        // One poll queues the write ahead of the interrupt.
        tokio::select! {
            biased;
            result = &mut stuck => panic!("{setup:?}: 4 MiB went into a terminal nobody reads: {result:?}"),
            () = tokio::task::yield_now() => {}
        }
        let interrupted = tokio::time::timeout(WAIT, run.child.interrupt(None, Duration::ZERO)).await;
        interrupted.unwrap_or_else(|_| panic!("{setup:?}: the interrupt waited behind the write")).unwrap();
        let exit = tokio::time::timeout(WAIT, run.child.wait()).await.expect("the child ended");
        assert_eq!(exit.signal, Some(libc::SIGINT), "{setup:?}: {exit}");
    }
}
