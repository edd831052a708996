//! `axiom run --driver pty` on a terminal of its own, the way a person starts it from a shell: a
//! pseudo-terminal the test holds is the run's stdin, stdout and controlling terminal. Used by
//! `tests/pty_claude.rs` and by `examples/pty_correction.rs` (the 20-run measurement).
//!
//! [`correction_run`] is one supervised Claude Code session in which a rule fires on a model reply
//! and its correction must reach the model: idle (the reply ends the turn) or busy (the reply also
//! starts a tool that runs for a few seconds while the correction is typed).
#![allow(dead_code)] // each user takes a different part

use std::io::Read;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::claude_support::{user_texts, ClaudeHome, FakeApi, Reply};

/// How long any condition in these sessions may take on a loaded machine.
pub const PATIENCE: Duration = Duration::from_secs(90);

/// A running `axiom run` on a pseudo-terminal; everything it draws is collected.
pub struct Terminal {
    master: OwnedFd,
    child: Child,
    screen: Arc<Mutex<Vec<u8>>>,
    stderr: PathBuf,
    _dir: tempfile::TempDir,
}

/// What to start: `axiom run [run_args] --rules RULES -- CLI --dangerously-skip-permissions [cli_args]`.
pub struct Session<'a> {
    pub axiom: &'a Path,
    pub cli: &'a Path,
    pub rows: u16,
    pub cols: u16,
    pub rules: &'a str,
    pub run_args: &'a [&'a str],
    pub cli_args: &'a [&'a str],
}

impl Terminal {
    pub fn start(session: &Session<'_>, home: &ClaudeHome, api: &FakeApi) -> Terminal {
        Self::start_claude(session, home, api, &["--dangerously-skip-permissions"])
    }

    /// As [`start`](Self::start), with Claude Code asking before each tool call runs (its
    /// permission dialog), as it does by default.
    pub fn start_asking(session: &Session<'_>, home: &ClaudeHome, api: &FakeApi) -> Terminal {
        Self::start_claude(session, home, api, &["--permission-mode", "default"])
    }

    fn start_claude(session: &Session<'_>, home: &ClaudeHome, api: &FakeApi, permissions: &[&str]) -> Terminal {
        let mut command = Command::new(session.axiom);
        home.apply(&mut command, api).env("TERM", "xterm-256color");
        // axiom's own log level (`AXIOM_LOG=axiom=debug` to see typing and submission times).
        if let Some(level) = std::env::var_os("AXIOM_LOG") {
            command.env("AXIOM_LOG", level);
        }
        command.args(["run", "--driver", "pty"]).args(session.run_args);
        Self::spawn(command, session, |command| {
            command.arg(session.cli).args(permissions).args(session.cli_args);
        })
    }

    /// `axiom run` of any command (not Claude Code): `axiom run --driver pty [run_args] --rules RULES -- COMMAND`.
    pub fn start_command(session: &Session<'_>, command_line: &[&str], env: &[(&str, &str)]) -> Terminal {
        let mut command = Command::new(session.axiom);
        command.env("TERM", "xterm-256color").envs(env.iter().copied());
        command.args(["run", "--driver", "pty"]).args(session.run_args);
        Self::spawn(command, session, |command| {
            command.args(command_line);
        })
    }

    fn spawn(mut command: Command, session: &Session<'_>, add_child: impl FnOnce(&mut Command)) -> Terminal {
        let dir = tempfile::tempdir().unwrap();
        let rules_path = dir.path().join("rules.yaml");
        std::fs::write(&rules_path, session.rules).unwrap();
        let stderr = dir.path().join("stderr.txt");
        let (mut master, mut slave) = (-1, -1);
        let size = libc::winsize { ws_row: session.rows, ws_col: session.cols, ws_xpixel: 0, ws_ypixel: 0 };
        // SAFETY: openpty writes two descriptors; the size is read only.
        let opened = unsafe { libc::openpty(&mut master, &mut slave, std::ptr::null_mut(), std::ptr::null(), &size) };
        assert_eq!(opened, 0, "openpty: {}", std::io::Error::last_os_error());
        // SAFETY: both descriptors were just opened and are owned here.
        let (master, slave) = unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
        command.arg("--rules").arg(&rules_path).arg("--");
        add_child(&mut command);
        command
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

    pub fn type_keys(&self, keys: &[u8]) {
        // SAFETY: writes from a buffer we own to a descriptor we own.
        let written = unsafe { libc::write(self.master.as_raw_fd(), keys.as_ptr().cast(), keys.len()) };
        assert_eq!(written, keys.len() as isize);
    }

    pub fn resize(&self, rows: u16, cols: u16) {
        let size = libc::winsize { ws_row: rows, ws_col: cols, ws_xpixel: 0, ws_ypixel: 0 };
        // SAFETY: TIOCSWINSZ reads one winsize we own.
        assert_eq!(unsafe { libc::ioctl(self.master.as_raw_fd(), libc::TIOCSWINSZ, &size) }, 0);
    }

    pub fn shown(&self) -> Vec<u8> {
        self.screen.lock().unwrap().clone()
    }

    /// Waits until what axiom run drew (from byte `from` on) satisfies `check`.
    pub fn wait_drawn(&self, what: &str, from: usize, check: impl Fn(&[u8]) -> bool) {
        let deadline = Instant::now() + PATIENCE;
        while Instant::now() < deadline {
            let shown = self.shown();
            if check(&shown[from.min(shown.len())..]) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "timed out waiting for {what}; drawn: {:?}; stderr: {}",
            String::from_utf8_lossy(&self.shown()),
            self.stderr_text()
        );
    }

    /// Waits until axiom's own lines (stderr) contain `needle`.
    pub fn wait_stderr(&self, needle: &str) {
        let deadline = Instant::now() + PATIENCE;
        while !self.stderr_text().contains(needle) {
            assert!(Instant::now() < deadline, "timed out waiting for {needle:?} on stderr: {}", self.stderr_text());
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn stderr_text(&self) -> String {
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
pub fn longest_rule(bytes: &[u8]) -> usize {
    let text = String::from_utf8_lossy(bytes);
    let (mut best, mut run) = (0, 0);
    for c in text.chars() {
        run = if c == '─' { run + 1 } else { 0 };
        best = best.max(run);
    }
    best
}

pub fn carries(request: &serde_json::Value, needle: &str) -> bool {
    user_texts(request).iter().any(|text| text.contains(needle))
}

/// Whether the model's reply that fires the rule leaves the agent idle at its prompt or busy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Load {
    /// The reply ends the turn: the correction is typed into an idle prompt.
    Idle,
    /// The reply also calls a Bash tool that runs [`BUSY_TOOL_SECS`]: the correction is typed while
    /// the UI shows its spinner.
    Busy,
    /// [`Busy`](Self::Busy) without the rule: when the tool's result reaches the model, the floor
    /// for a busy correction (Claude Code sends a message queued during a tool with its result).
    BusyUnwatched,
}

/// How long the busy scenario's tool runs (Claude Code refuses a standalone `sleep` longer than
/// a few seconds as a tool call, so it is a short one).
pub const BUSY_TOOL_SECS: u64 = 3;

/// What one [`correction_run`] saw.
#[derive(Debug, Clone, Copy)]
pub struct CorrectionRun {
    /// From the end of the violating reply to the arrival of the request carrying the correction.
    pub latency: Duration,
    /// The request carrying the correction also carries the tool's result (busy: the correction
    /// was submitted while the tool ran and went out with its result).
    pub with_tool_result: bool,
}

const CORRECTION: &str = "Stop and show me the test output first.";

/// One session: a prompt on the command line, a model reply that breaks a rule (`load` says
/// whether the agent is then idle or running a tool), and the correction axiom types. `Err` when
/// the correction never reached the model within `patience` (lost), with what it received.
pub fn correction_run(axiom: &Path, cli: &Path, load: Load, patience: Duration) -> Result<CorrectionRun, String> {
    let violating = match load {
        Load::Idle => Reply::text("I'll now plan the work. All tests pass and nothing is left to do."),
        Load::Busy | Load::BusyUnwatched => {
            Reply::text("All tests pass and nothing is left to do; let me wait for the build.")
                .then_tool("Bash", json!({ "command": format!("sleep {BUSY_TOOL_SECS}") }))
        }
    };
    let home = ClaudeHome::new();
    let api = FakeApi::start(vec![violating, Reply::text("Here is the output."), Reply::text("Done.")]);
    let rules = if load == Load::BusyUnwatched {
        "rules: []\n".to_owned()
    } else {
        format!(
        "rules:\n  - id: claim\n    match: {{ literals: ['All tests pass and nothing'] }}\n    action: inject\n    message: {CORRECTION}\n"
        )
    };
    // What the run waits for: the correction, or (unwatched) the tool's result.
    let awaited = |request: &serde_json::Value| match load {
        Load::BusyUnwatched => user_texts(request).iter().any(|text| text.starts_with("tool_")),
        _ => carries(request, CORRECTION),
    };
    let session =
        Session { axiom, cli, rows: 40, cols: 120, rules: &rules, run_args: &[], cli_args: &["write a sentence"] };
    let terminal = Terminal::start(&session, &home, &api);
    let deadline = Instant::now() + patience;
    let index = loop {
        let requests = api.requests();
        if let Some(index) = requests.iter().position(awaited) {
            break index;
        }
        if Instant::now() >= deadline {
            let seen: Vec<Vec<String>> = requests.iter().map(user_texts).collect();
            return Err(format!("the correction never reached the model; it received: {seen:?}"));
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let sent = api.reply_sent(0).ok_or("the violating reply was never sent in full")?;
    let arrived = api.arrivals()[index];
    // With axiom's log on, its lines and the stand-in's two moments, on one clock, show where the time went.
    if std::env::var_os("AXIOM_LOG").is_some() {
        eprintln!("{}reply sent {}Z, request arrived {}Z", terminal.stderr_text(), utc(sent), utc(arrived));
    }
    let request = &api.requests()[index];
    let with_tool_result = user_texts(request).iter().any(|text| text.starts_with("tool_"))
        && api.requests()[..index].iter().all(|earlier| !user_texts(earlier).iter().any(|t| t.starts_with("tool_")));
    Ok(CorrectionRun { latency: arrived.saturating_duration_since(sent), with_tool_result })
}

/// `at` as the time of day in UTC, as axiom's log lines print it.
fn utc(at: Instant) -> String {
    let wall = std::time::SystemTime::now() - at.elapsed();
    let since = wall.duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    let day = since.as_secs() % 86_400;
    format!("{:02}:{:02}:{:02}.{:06}", day / 3600, day / 60 % 60, day % 60, since.subsec_micros())
}
