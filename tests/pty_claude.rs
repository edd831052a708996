//! The pty driver with the real Claude Code UI: `axiom run --driver pty` on a terminal of its own
//! (a pseudo-terminal this test holds, as a person's terminal would be), against the scripted
//! Messages API stand-in. What the model received is read from the stand-in's request log.

mod claude_support;

use std::io::Read;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use claude_support::{claude_cli, user_texts, ClaudeHome, FakeApi, Reply};
use serde_json::json;

const PATIENCE: Duration = Duration::from_secs(90);

/// `axiom run` on a pseudo-terminal of `rows` x `cols`, its controlling terminal, like a shell
/// would start it; stderr (axiom's own lines) goes to a file.
struct Terminal {
    master: OwnedFd,
    child: Child,
    screen: Arc<Mutex<Vec<u8>>>,
    stderr: PathBuf,
    _dir: tempfile::TempDir,
}

impl Terminal {
    fn start(rows: u16, cols: u16, rules: &str, home: &ClaudeHome, api: &FakeApi, cli: &PathBuf) -> Terminal {
        let dir = tempfile::tempdir().unwrap();
        let rules_path = dir.path().join("rules.yaml");
        std::fs::write(&rules_path, rules).unwrap();
        let stderr = dir.path().join("stderr.txt");
        let (mut master, mut slave) = (-1, -1);
        let size = libc::winsize { ws_row: rows, ws_col: cols, ws_xpixel: 0, ws_ypixel: 0 };
        // SAFETY: openpty writes two descriptors; the size is read only.
        let opened = unsafe { libc::openpty(&mut master, &mut slave, std::ptr::null_mut(), std::ptr::null(), &size) };
        assert_eq!(opened, 0, "openpty: {}", std::io::Error::last_os_error());
        // SAFETY: both descriptors were just opened and are owned here.
        let (master, slave) = unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
        let mut command = Command::new(env!("CARGO_BIN_EXE_axiom"));
        home.apply(&mut command, api)
            .env("TERM", "xterm-256color")
            .args(["run", "--driver", "pty", "--rules"])
            .arg(&rules_path)
            .arg("--")
            .arg(cli)
            .arg("--dangerously-skip-permissions")
            .stdin(Stdio::from(slave.try_clone().unwrap()))
            .stdout(Stdio::from(slave))
            .stderr(std::fs::File::create(&stderr).unwrap());
        // SAFETY: setsid and TIOCSCTTY are async-signal-safe; they make the terminal on stdin the
        // new session's controlling terminal, so a resize sends it SIGWINCH.
        unsafe {
            command.pre_exec(|| {
                if libc::setsid() < 0 || libc::ioctl(0, libc::TIOCSCTTY, 0) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = command.spawn().expect("start axiom run");
        let screen = Arc::new(Mutex::new(Vec::new()));
        let mut reader = std::fs::File::from(master.try_clone().unwrap());
        let sink = Arc::clone(&screen);
        std::thread::spawn(move || {
            let mut buf = [0u8; 65536];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        Terminal { master, child, screen, stderr, _dir: dir }
    }

    fn type_keys(&self, keys: &[u8]) {
        // SAFETY: writes from a buffer we own to a descriptor we own.
        let written = unsafe { libc::write(self.master.as_raw_fd(), keys.as_ptr().cast(), keys.len()) };
        assert_eq!(written, keys.len() as isize);
    }

    fn resize(&self, rows: u16, cols: u16) {
        let size = libc::winsize { ws_row: rows, ws_col: cols, ws_xpixel: 0, ws_ypixel: 0 };
        // SAFETY: TIOCSWINSZ reads one winsize we own.
        assert_eq!(unsafe { libc::ioctl(self.master.as_raw_fd(), libc::TIOCSWINSZ, &size) }, 0);
    }

    fn shown(&self) -> Vec<u8> {
        self.screen.lock().unwrap().clone()
    }

    /// Waits until what axiom run drew (from byte `from` on) satisfies `check`.
    fn wait_drawn(&self, what: &str, from: usize, check: impl Fn(&[u8]) -> bool) {
        let deadline = Instant::now() + PATIENCE;
        while Instant::now() < deadline {
            let shown = self.shown();
            if check(&shown[from.min(shown.len())..]) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("timed out waiting for {what}; stderr: {}", self.stderr_text());
    }

    fn stderr_text(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        // SAFETY: signals our own child.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The longest run of `─` (how Claude Code draws the rules around its input box, as wide as the
/// window) in `bytes`.
fn longest_rule(bytes: &[u8]) -> usize {
    let text = String::from_utf8_lossy(bytes);
    let (mut best, mut run) = (0, 0);
    for c in text.chars() {
        run = if c == '─' { run + 1 } else { 0 };
        best = best.max(run);
    }
    best
}

fn carries(request: &serde_json::Value, needle: &str) -> bool {
    user_texts(request).iter().any(|text| text.contains(needle))
}

/// A tool call that hangs for far longer than any test waits, and that Claude Code runs.
const HANGING_TOOL: &str = "python3 -c 'import time; time.sleep(600)'";

const RULES: &str = r#"
rules:
  - id: claim
    match: { literals: ["All tests pass and nothing"] }
    action: inject
    message: Show me the test output first.
  - id: waiting
    match: { literals: ["Let me wait for the build"] }
    action: inject
    message: Stop and report what the build printed.
  - id: quiet
    silence: 6s
    action: inject
    message: Are you still there?
"#;

#[test]
fn keys_size_multi_word_rules_and_a_correction_during_a_tool_reach_the_real_ui() {
    let Some(cli) = claude_cli() else { return };
    let home = ClaudeHome::new();
    let api = FakeApi::start(vec![
        Reply::text("I'll now plan the work. All tests pass and nothing is left to do."),
        Reply::text("Let me wait for the build.").then_tool("Bash", json!({"command": "sleep 4"})),
        Reply::text("The build printed nothing."),
    ]);
    let terminal = Terminal::start(40, 120, RULES, &home, &api, &cli);

    // The window size at start reaches the UI: its rules are drawn 120 wide.
    terminal.wait_drawn("the UI drawn 120 columns wide", 0, |shown| longest_rule(shown) == 120);
    // Keys typed on axiom run's terminal reach the UI, and the model.
    terminal.type_keys(b"write a sentence");
    terminal.wait_drawn("the typed prompt", 0, |shown| String::from_utf8_lossy(shown).contains("sentence"));
    terminal.type_keys(b"\r");
    api.wait_for_user_text("write a sentence", PATIENCE);

    // A multi-word rule fires on the cursor-drawn reply, and its correction reaches the model.
    api.wait_for_user_text("Show me the test output first.", PATIENCE);
    // A correction sent while the `sleep 4` runs is submitted and reaches the model as a user
    // message (after the tool's result, in the same turn or the next).
    let index = api.wait_for_user_text("Stop and report what the build printed.", PATIENCE);
    let requests = api.requests();
    assert!(
        requests[..index].iter().any(|request| user_texts(request).iter().any(|t| t.starts_with("tool_result")))
            || user_texts(&requests[index]).iter().any(|t| t.starts_with("tool_result")),
        "the correction came while the tool ran: {:#?}",
        requests.iter().map(user_texts).collect::<Vec<_>>()
    );

    // Idle at its prompt for longer than the silence rule's 6 s: not nudged.
    let settled = api.requests().len();
    std::thread::sleep(Duration::from_secs(10));
    let requests = api.requests();
    assert!(
        !requests.iter().any(|request| carries(request, "Are you still there?")),
        "an idle UI was nudged: {}",
        terminal.stderr_text()
    );
    assert!(requests.len() <= settled + 1, "the idle UI was sent more turns");

    // A resize reaches the UI: it redraws 100 wide.
    let from = terminal.shown().len();
    terminal.resize(30, 100);
    terminal.wait_drawn("the UI redrawn 100 columns wide", from, |shown| longest_rule(shown) == 100);
}

// The tool hangs in python: Claude Code 2.1.332 refuses `sleep 60` as a tool call ("Blocked:
// standalone sleep 60 ... use run_in_background"), answers the model at once and goes back to its
// prompt, idle. That refusal, not the silence detection, is why this test once failed.
#[test]
fn a_hung_tool_behind_a_spinner_is_silent() {
    let Some(cli) = claude_cli() else { return };
    let home = ClaudeHome::new();
    let api = FakeApi::start(vec![
        Reply::text("Running it.").then_tool("Bash", json!({"command": HANGING_TOOL})),
        Reply::text("Done."),
    ]);
    let rules = "rules:\n  - id: hung\n    silence: 4s\n    action: warn\n    message: No new output.\n";
    let terminal = Terminal::start(30, 100, rules, &home, &api, &cli);
    terminal.wait_drawn("the UI", 0, |shown| longest_rule(shown) == 100);
    terminal.type_keys(b"run the slow thing");
    terminal.wait_drawn("the typed prompt", 0, |shown| String::from_utf8_lossy(shown).contains("thing"));
    terminal.type_keys(b"\r");
    api.wait_for_user_text("run the slow thing", PATIENCE);
    // The spinner and its timer redraw all the time; the silence rule fires anyway.
    let deadline = Instant::now() + PATIENCE;
    while !terminal.stderr_text().contains("hung") {
        assert!(Instant::now() < deadline, "the silence rule never fired: {}", terminal.stderr_text());
        std::thread::sleep(Duration::from_millis(100));
    }
    let tool_done = api.requests().iter().any(|request| user_texts(request).iter().any(|t| t.starts_with("tool_")));
    assert!(!tool_done, "the silence came while the tool (and its spinner) still ran");
}
