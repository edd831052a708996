//! A full disk loses nothing and stops nothing for good: with the state dir on a small tmpfs, a
//! task streams while the disk fills up for 3 s and for 30 s; the hub says so once, holds back
//! its acknowledgements (so the worker holds the output and its child waits), and when space
//! returns the stream completes by itself — every line exactly once, in order, same hub process.
//!
//! Needs to mount a tmpfs (root, or CAP_SYS_ADMIN); skipped with the reason where it cannot.

mod live_support;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use live_support::{eventually, fixture, run_within, Proc, Sandbox, DEADLINE};

/// A tmpfs mounted for the test, unmounted when dropped.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(at: &Path, size: &str) -> Result<Tmpfs, String> {
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size},mode=0700"), "tmpfs"])
            .arg(at)
            .output()
            .map_err(|err| format!("cannot run mount: {err}"))?;
        if !mounted.status.success() {
            return Err(format!("mount -t tmpfs failed: {}", String::from_utf8_lossy(&mounted.stderr).trim()));
        }
        Ok(Tmpfs(at.to_path_buf()))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// Fills the file system holding `path` by writing `path` until it is full.
fn fill(path: &Path) {
    let mut file = std::fs::File::create(path).unwrap();
    let block = vec![0u8; 64 * 1024];
    loop {
        if let Err(err) = file.write_all(&block) {
            assert_eq!(err.raw_os_error(), Some(libc::ENOSPC), "filling stopped for another reason: {err}");
            return;
        }
    }
}

/// A hub whose state dir is a small tmpfs, with a task streaming numbered lines through it (until
/// `stop` exists); `None` (said) where a tmpfs cannot be mounted.
struct Streaming {
    sandbox: Sandbox,
    state: PathBuf,
    _tmpfs: Tmpfs,
    serve: Proc,
    streaming: Proc,
    id: String,
    stop: PathBuf,
}

/// `axiom client ARGS` against the hub whose state dir is `state`.
fn client_of(sandbox: &Sandbox, state: &Path, args: &[&str]) -> Command {
    let state = state.display().to_string();
    let mut all = vec!["client", "--state-dir", &state];
    all.extend_from_slice(args);
    sandbox.axiom(&all)
}

impl Streaming {
    fn start() -> Option<Streaming> {
        let sandbox = Sandbox::new();
        let state = sandbox.path("state");
        let tmpfs = match Tmpfs::mount(&state, "8m") {
            Ok(tmpfs) => tmpfs,
            Err(reason) => {
                eprintln!("skipped: {reason} (this test needs to mount a small tmpfs as the state dir)");
                return None;
            }
        };
        let rules = sandbox.write("rules.yaml", "rules: []\n");
        let state_arg = state.display().to_string();
        let args = ["serve", "--listen", "127.0.0.1:0", "--state-dir", &state_arg, "--rules", &rules];
        let mut serve = Proc::spawn(sandbox.axiom(&args), "axiom serve");
        serve.wait_for_stderr("hub listening on");
        let stop = sandbox.path("stop");
        let line = format!("{} {}", fixture("stream-until.sh"), stop.display());
        let mut streaming = Proc::spawn(client_of(&sandbox, &state, &["--command", &line]), "axiom client --command");
        let id = streaming.wait_for_task_id();
        streaming.wait_for_stdout("line 100\n");
        Some(Streaming { sandbox, state, _tmpfs: tmpfs, serve, streaming, id, stop })
    }
}

fn stream_through_a_full_disk(episode: Duration) {
    let Some(Streaming { sandbox, state, _tmpfs, mut serve, streaming, id, stop }) = Streaming::start() else { return };
    let client = |args: &[&str]| client_of(&sandbox, &state, args);

    let filler = state.join("filler");
    fill(&filler);
    serve.wait_for_stderr("the disk is full");
    std::thread::sleep(episode);
    std::fs::remove_file(&filler).unwrap();
    serve.wait_for_stderr("task histories are written again; nothing was lost");
    // The stream carries on by itself; let it write a little more, then end it.
    let before = output_bytes(&client, &id);
    eventually("the stream to go on after the disk had room again", DEADLINE, || {
        let now = output_bytes(&client, &id);
        if now > before + 10_000 {
            Ok(())
        } else {
            Err(format!("{now} bytes"))
        }
    });
    std::fs::write(&stop, "").unwrap();
    let finished = streaming.finish_within(DEADLINE);
    finished.assert_code(0);

    let output = run_within(client(&["output", &id]), DEADLINE);
    output.assert_code(0);
    let lines: Vec<&str> = output.stdout.lines().collect();
    assert!(lines.len() > 1000, "{} lines", lines.len());
    for (i, got) in lines.iter().enumerate() {
        assert_eq!(*got, format!("line {i}"), "line {i} of {}: exactly once, in order", lines.len());
    }
    assert_eq!(finished.stdout, output.stdout, "what the client saw live is what was stored");
    assert_eq!(serve.stderr().matches("the disk is full").count(), 1, "said once:\n{}", serve.stderr());
    serve.signal(libc::SIGTERM);
    serve.finish_within(DEADLINE).assert_code(0);
}

fn output_bytes(client: &dyn Fn(&[&str]) -> Command, id: &str) -> u64 {
    let list = run_within(client(&["list", "--format", "json"]), DEADLINE);
    list.assert_code(0);
    let tasks: Vec<serde_json::Value> = serde_json::from_str(&list.stdout).unwrap();
    tasks.iter().find(|t| t["task_id"] == id).and_then(|t| t["output_bytes"].as_u64()).unwrap_or(0)
}

#[test]
fn a_stream_through_a_3_second_full_disk_completes_exactly_once() {
    stream_through_a_full_disk(Duration::from_secs(3));
}

#[test]
fn a_stream_through_a_30_second_full_disk_completes_exactly_once() {
    stream_through_a_full_disk(Duration::from_secs(30));
}

/// Room that comes back a little at a time is used as it comes: what the hub holds for a task is
/// written a batch of lines at a time, not all in one write that only a disk with room for all of
/// it could take.
#[test]
fn a_backlog_larger_than_the_room_that_comes_back_is_written_in_part() {
    let Some(Streaming { sandbox, state, _tmpfs, mut serve, streaming, id, stop }) = Streaming::start() else { return };
    let client = |args: &[&str]| client_of(&sandbox, &state, args);

    let filler = state.join("filler");
    fill(&filler);
    serve.wait_for_stderr("the disk is full");
    let history = state.join("tasks").join(&id).join("events.jsonl");
    let stuck = std::fs::metadata(&history).unwrap().len();
    // What the hub holds by now is more than the room given back.
    eventually("the hub to hold more output than the room given back", DEADLINE, || {
        let held = output_bytes(&client, &id).saturating_sub(stuck);
        if held > 256 * 1024 {
            Ok(())
        } else {
            Err(format!("{held} bytes held"))
        }
    });
    let room = 96 * 1024;
    let full = std::fs::metadata(&filler).unwrap().len();
    std::fs::OpenOptions::new().write(true).open(&filler).unwrap().set_len(full - room).unwrap();
    eventually("part of what was held to be written", DEADLINE, || {
        let written = std::fs::metadata(&history).unwrap().len();
        if written > stuck + room / 2 {
            Ok(())
        } else {
            Err(format!("{written} bytes written, {stuck} before"))
        }
    });
    std::fs::remove_file(&filler).unwrap();
    serve.wait_for_stderr("task histories are written again; nothing was lost");
    std::fs::write(&stop, "").unwrap();
    streaming.finish_within(DEADLINE).assert_code(0);
    let output = run_within(client(&["output", &id]), DEADLINE);
    output.assert_code(0);
    let lines: Vec<&str> = output.stdout.lines().collect();
    assert!(lines.len() > 1000, "{} lines", lines.len());
    for (i, got) in lines.iter().enumerate() {
        assert_eq!(*got, format!("line {i}"), "line {i}: exactly once, in order");
    }
    serve.signal(libc::SIGTERM);
    serve.finish_within(DEADLINE).assert_code(0);
}
