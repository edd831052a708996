//! Soak test for "nothing lost": many workers, random socket cuts, a hub killed with SIGKILL and
//! started again in the middle — and afterwards every task's stored output must equal, byte for
//! byte, what its child printed.
//!
//! ```text
//! cargo build --release --bin axiom --example soak
//! target/release/examples/soak                                   # 200 tasks, ~300 lines each
//! target/release/examples/soak --tasks 50 --task-secs 10         # a quick one
//! target/release/examples/soak --seed 0x1234 --keep              # replay a run, keep its state dir
//! ```
//!
//! Not part of `cargo test`: it needs `ss` (iproute2) with socket-destroy support (root, or
//! CAP_NET_ADMIN) to cut connections, and a minute or two of two cores.
//!
//! How it works:
//!
//! - It starts `axiom serve` on a fixed free loopback port with a temporary state dir, a large
//!   `--ring-bytes` and a rule file holding one `warn` rule (so interventions are journaled
//!   between the output too, and nothing acts on the children).
//! - It spawns `--tasks` tasks over the client protocol (`src/protocol.rs`), exactly as
//!   `axiom client` does. Each child is this very binary in its hidden `child` mode: from a seed
//!   it derives a deterministic list of writes — numbered lines `<seed> <n> <body>`, with invalid
//!   UTF-8, NUL and other control bytes, ANSI escapes, `\r` progress segments, CRLF endings, lines
//!   of up to a few hundred KiB, partial-line writes, multi-line writes, sometimes no final
//!   newline — and random small sleeps between them. All of a task's output goes to one stream
//!   (mostly stdout, some tasks stderr), so its stored output is exactly the concatenation of its
//!   writes, which the soak recomputes from the same seed.
//! - While the tasks run, a cutter thread destroys random worker connections with
//!   `ss -K sport = :P dport = :HUB` (connections to the hub port owned by any process but the
//!   soak itself, found with `ss -tnpH`).
//! - At `--kill-at` seconds it cuts `--burst` worker connections at once, and `--burst-ms` later
//!   (while those workers are reconnecting) SIGKILLs the hub; after `--down-ms` it starts the hub
//!   again on the same port and state dir, reconnects, and spawns the last `--late` tasks on it.
//! - It waits until every task has ended, and requires exit code 0 from each (a task marked `lost`
//!   fails the run), and that every worker came back to the restarted hub within
//!   `--max-back-secs` of the kill (measured from the hub's `worker connected` log lines).
//! - It reads every task's whole stored output with `output` requests and cursors until an empty
//!   reply, and compares it with the expected bytes.
//! - It checks that no worker process is left behind once its task has ended, and that the hub
//!   logged no `output sequence gap`.
//! - Then it stops the hub with SIGTERM, starts it once more (so everything is now read back from
//!   the task histories on disk, including what was written after the restart), and compares
//!   every task's output again.
//!
//! The hub and its workers log at info level into `hub-N.log` (one per hub start) in the run's
//! directory; the report counts cuts, lost connections, reconnects and interventions from them.
//! Exit status 0 on PASS, 1 on FAIL, 2 if the run could not be set up. On FAIL it names the first
//! mismatch (task, offset, expected vs got bytes, and whether it looks like missing or repeated
//! bytes) and keeps the directory. Stray workers and children of a failed run are killed by pid.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;
use std::io::Write as _;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context as _};
use clap::{Parser, Subcommand};
use futures_util::{SinkExt as _, StreamExt as _};
use tokio_tungstenite::tungstenite::Message;

use axiom::dial::{dial, HubSocket};
use axiom::hub::auth::Token;
use axiom::protocol::{ClientRequest, HubToClient, TaskInfo, TaskStatus};
use axiom::worker::Driver;

#[derive(Debug, Parser)]
#[command(
    about = "Soak test: many workers, random disconnects, a hub SIGKILL and restart; output checked byte for byte"
)]
struct Args {
    #[command(subcommand)]
    child: Option<ChildMode>,
    /// The axiom binary (default: target/release/axiom, next to this example's directory).
    #[arg(long)]
    axiom: Option<PathBuf>,
    /// Tasks (one worker and one child each).
    #[arg(long, default_value_t = 200)]
    tasks: usize,
    /// Of those, how many are spawned on the restarted hub.
    #[arg(long, default_value_t = 20)]
    late: usize,
    /// Mean lines per task (each task prints between half and one and a half times this).
    #[arg(long, default_value_t = 300)]
    lines: u32,
    /// Mean time a child takes to print everything, in seconds (spread by its sleeps).
    #[arg(long, default_value_t = 30.0)]
    task_secs: f64,
    /// Tasks are spawned over this many seconds at the start.
    #[arg(long, default_value_t = 5.0)]
    spawn_secs: f64,
    /// Worker connections cut per second, on average.
    #[arg(long, default_value_t = 4.0)]
    cut_rate: f64,
    /// Seconds after the start when the hub is SIGKILLed (negative: never).
    #[arg(long, default_value_t = 15.0, allow_negative_numbers = true)]
    kill_at: f64,
    /// How long the hub stays dead, in milliseconds.
    #[arg(long, default_value_t = 1500)]
    down_ms: u64,
    /// Just before the SIGKILL, cut this many worker connections at once (a network blip, then a
    /// crash: workers are reconnecting while the hub dies).
    #[arg(long, default_value_t = 30)]
    burst: usize,
    /// ... this many milliseconds before the SIGKILL.
    #[arg(long, default_value_t = 150)]
    burst_ms: u64,
    /// Fail if a worker takes longer than this (seconds after the kill) to come back to the restarted
    /// hub. Its backoff tops out at 2 s and a dial gives up after 5 s, so 10 s is generous.
    #[arg(long, default_value_t = 10.0)]
    max_back_secs: f64,
    /// `--lost-after` for the hub: a task whose worker stays away this long is marked lost.
    #[arg(long, default_value = "30s")]
    lost_after: String,
    /// `--ring-bytes` for the hub.
    #[arg(long, default_value_t = 256 * 1024 * 1024)]
    ring_bytes: usize,
    /// Seed for everything random (default: from the clock; printed, so a run can be repeated).
    #[arg(long, value_parser = parse_seed)]
    seed: Option<u64>,
    /// Give up waiting for the tasks after this many seconds.
    #[arg(long, default_value_t = 180)]
    timeout: u64,
    /// Keep the state dir and logs even on success.
    #[arg(long)]
    keep: bool,
}

#[derive(Debug, Subcommand)]
enum ChildMode {
    /// (internal) Be a task's child: print the output derived from a seed.
    #[command(hide = true)]
    Child {
        /// The run's seed; only here so stray children can be told apart.
        run: String,
        #[arg(value_parser = parse_seed)]
        seed: u64,
        lines: u32,
        millis: u64,
        /// 1 for stdout, 2 for stderr.
        fd: i32,
    },
}

fn parse_seed(text: &str) -> Result<u64, String> {
    let text = text.trim();
    match text.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => text.parse(),
    }
    .map_err(|err| format!("not a number: {err}"))
}

fn main() -> ExitCode {
    let args = Args::parse();
    if let Some(ChildMode::Child { seed, lines, millis, fd, .. }) = args.child {
        return run_child(TaskSpec { seed, lines, millis, fd });
    }
    match soak(&args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(err) => {
            eprintln!("soak: error: {err:#}");
            ExitCode::from(2)
        }
    }
}

// ---------------------------------------------------------------------------------------------
// What a child prints: derived from its seed alone, so the soak can compute it too.

/// splitmix64: tiny, fast, and the same everywhere.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// True with probability `per_mille`/1000.
    fn chance(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct TaskSpec {
    seed: u64,
    lines: u32,
    /// Total sleep, spread over the writes.
    millis: u64,
    /// 1: stdout, 2: stderr.
    fd: i32,
}

impl TaskSpec {
    /// Task `index` of the run seeded `run`.
    fn derive(run: u64, index: usize, args: &Args) -> TaskSpec {
        let mut rng = Rng::new(run ^ (index as u64).wrapping_mul(0xd6e8_feb8_6659_fd93));
        let seed = rng.next();
        let lines = (args.lines / 2 + rng.below(u64::from(args.lines.max(1))) as u32).max(1);
        let mean_ms = (args.task_secs * 1000.0) as u64;
        let millis = mean_ms / 2 + rng.below(mean_ms.max(1));
        let fd = if rng.chance(150) { 2 } else { 1 };
        TaskSpec { seed, lines, millis, fd }
    }

    fn argv(&self, exe: &Path, run: &str) -> Vec<String> {
        vec![
            exe.display().to_string(),
            "child".into(),
            run.into(),
            format!("{:#x}", self.seed),
            self.lines.to_string(),
            self.millis.to_string(),
            self.fd.to_string(),
        ]
    }

    /// Every byte the child prints, in order.
    fn expected(&self) -> Vec<u8> {
        self.writes().into_iter().flat_map(|(bytes, _)| bytes).collect()
    }

    /// The child's writes, each with the sleep that follows it.
    fn writes(&self) -> Vec<(Vec<u8>, Duration)> {
        let mut rng = Rng::new(self.seed);
        let mut content = Vec::new();
        for n in 0..self.lines {
            line(&mut rng, self.seed, n, &mut content);
        }
        // Sometimes the last line never gets its newline (a prompt, an interrupted progress bar).
        if rng.chance(250) {
            while content.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
                content.pop();
            }
        }
        let mut pieces = Vec::new();
        let mut pos = 0;
        while pos < content.len() {
            let rest = &content[pos..];
            let line_end =
                |from: usize| rest[from..].iter().position(|b| *b == b'\n').map_or(rest.len(), |i| from + i + 1);
            let len = match rng.below(100) {
                // One whole line.
                0..=64 => line_end(0),
                // Several lines in one write.
                65..=79 => {
                    let mut end = 0;
                    for _ in 0..2 + rng.below(7) {
                        if end < rest.len() {
                            end = line_end(end);
                        }
                    }
                    end
                }
                // Part of a line.
                80..=96 => 1 + rng.below(rest.len().min(300) as u64) as usize,
                // A single byte.
                _ => 1,
            };
            pieces.push(rest[..len.min(rest.len())].to_vec());
            pos += len.min(rest.len());
        }
        let mean = self.millis as f64 / pieces.len().max(1) as f64;
        pieces
            .into_iter()
            .map(|bytes| {
                // Half the writes follow at once, the other half after up to four times the mean.
                let sleep = if rng.chance(500) { 0.0 } else { (rng.below(4001) as f64 / 1000.0) * mean };
                (bytes, Duration::from_micros((sleep * 1000.0) as u64))
            })
            .collect()
    }
}

const WORDS: &[&str] = &["alpha", "beta", "gamma", "delta", "build", "test", "ok", "passed", "0x1f", "src/lib.rs:42"];
const INVALID: &[&[u8]] = &[
    b"\xff",
    b"\xfe\xfe",
    b"\x80",
    b"\xc0\xaf",
    b"\xc3",         // a lead byte with no continuation
    b"\xe2\x82",     // a truncated three-byte sequence
    b"\xed\xa0\x80", // a UTF-16 surrogate
    b"\xf8\x88\x80\x80\x80",
];
const UNICODE: &[&str] = &["é", "日本語", "🦀", "Ω≈ç√", "ß", "⏺", "│", "⎿"];

/// Appends line `n`: `<seed> <n> <body><ending>`.
fn line(rng: &mut Rng, seed: u64, n: u32, out: &mut Vec<u8>) {
    write!(out, "{seed:016x} {n:06} ").expect("writing to a Vec");
    match rng.below(1000) {
        // Plain text.
        0..=779 => {
            let count = rng.below(16) as usize;
            words(rng, out, count);
        }
        // Invalid UTF-8 among text and valid multi-byte characters.
        780..=839 => {
            for _ in 0..1 + rng.below(8) {
                let count = rng.below(3) as usize;
                words(rng, out, count);
                let invalid: &[u8] = rng.pick::<&[u8]>(INVALID);
                out.extend_from_slice(invalid);
                out.extend_from_slice(rng.pick(UNICODE).as_bytes());
            }
        }
        // Valid non-ASCII.
        840..=879 => {
            for _ in 0..1 + rng.below(10) {
                out.extend_from_slice(rng.pick(UNICODE).as_bytes());
                out.push(b' ');
            }
        }
        // Colours and a progress bar redrawn with \r.
        880..=909 => {
            out.extend_from_slice(b"\x1b[32mok\x1b[0m \x1b]0;title\x07");
            for pct in (0..=100).step_by(1 + rng.below(40) as usize) {
                write!(out, "\r[{pct:3}%]").expect("writing to a Vec");
            }
        }
        // Control bytes: NUL, tab, DEL, a lone ESC, form feed.
        910..=929 => {
            out.extend_from_slice(b"ctl\x00\t\x7f\x1b \x0c end\x00");
        }
        // The warn rule's literal, so interventions are journaled too.
        930..=944 => {
            out.extend_from_slice(b"SOAKMARK ");
            words(rng, out, 3);
        }
        // A long line (4–32 KiB), sometimes with invalid bytes along it.
        945..=962 => {
            let len = 4096 + rng.below(28 * 1024) as usize;
            let dirty = rng.chance(300);
            long(rng, out, len, dirty);
        }
        // A line of ordinary text, then...
        963..=997 => {
            let count = 16 + rng.below(48) as usize;
            words(rng, out, count);
        }
        // ...a very long line (64–320 KiB).
        _ => {
            let len = 64 * 1024 + rng.below(256 * 1024) as usize;
            let dirty = rng.chance(300);
            long(rng, out, len, dirty);
        }
    }
    if rng.chance(100) {
        out.extend_from_slice(b"\r\n");
    } else {
        out.push(b'\n');
    }
}

fn words(rng: &mut Rng, out: &mut Vec<u8>, count: usize) {
    for i in 0..count {
        if i > 0 {
            out.push(b' ');
        }
        out.extend_from_slice(rng.pick(WORDS).as_bytes());
        if rng.chance(200) {
            write!(out, "={}", rng.next() % 100_000).expect("writing to a Vec");
        }
    }
}

fn long(rng: &mut Rng, out: &mut Vec<u8>, len: usize, dirty: bool) {
    let start = out.len();
    let salt = rng.next();
    let mut i = 0u64;
    while out.len() - start < len {
        write!(out, "{:x}.", salt.wrapping_add(i)).expect("writing to a Vec");
        if dirty && i.is_multiple_of(97) {
            let invalid: &[u8] = rng.pick::<&[u8]>(INVALID);
            out.extend_from_slice(invalid);
        }
        i += 1;
    }
}

/// The child: perform the writes, with their sleeps, on one file descriptor.
fn run_child(spec: TaskSpec) -> ExitCode {
    use std::os::fd::FromRawFd as _;
    // SAFETY: fd 1 or 2 is open for the whole life of the process; ManuallyDrop never closes it.
    let mut out = std::mem::ManuallyDrop::new(unsafe { std::fs::File::from_raw_fd(spec.fd) });
    for (bytes, sleep) in spec.writes() {
        if out.write_all(&bytes).is_err() {
            return ExitCode::from(3);
        }
        if !sleep.is_zero() {
            std::thread::sleep(sleep);
        }
    }
    ExitCode::SUCCESS
}

// ---------------------------------------------------------------------------------------------
// The hub process

struct Hub {
    axiom: PathBuf,
    dir: PathBuf,
    port: u16,
    ring_bytes: usize,
    lost_after: String,
    child: Option<Child>,
    starts: usize,
    token: Option<Token>,
}

impl Hub {
    fn url(&self) -> String {
        format!("ws://127.0.0.1:{}", self.port)
    }

    fn log_path(&self, start: usize) -> PathBuf {
        self.dir.join(format!("hub-{start}.log"))
    }

    fn start(&mut self) -> anyhow::Result<()> {
        self.starts += 1;
        let log = std::fs::File::create(self.log_path(self.starts))?;
        let child = Command::new(&self.axiom)
            .arg("serve")
            .arg("--listen")
            .arg(format!("127.0.0.1:{}", self.port))
            .arg("--state-dir")
            .arg(self.dir.join("state"))
            .arg("--rules")
            .arg(self.dir.join("rules.yaml"))
            .arg("--ring-bytes")
            .arg(self.ring_bytes.to_string())
            .arg("--lost-after")
            .arg(&self.lost_after)
            .arg("--kill-grace")
            .arg("200ms")
            // Info level: the workers (which inherit this) say when they lose and regain the hub.
            .env("AXIOM_LOG", "info")
            .env("NO_COLOR", "1")
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            // A file, not a pipe: the workers inherit it and must never block on it.
            .stderr(log)
            .spawn()
            .with_context(|| format!("cannot start {}", self.axiom.display()))?;
        let pid = child.id();
        self.child = Some(child);
        let started = Instant::now();
        loop {
            let log = std::fs::read_to_string(self.log_path(self.starts)).unwrap_or_default();
            if log.contains("hub listening on") {
                break;
            }
            if let Some(status) = self.child.as_mut().and_then(|c| c.try_wait().ok().flatten()) {
                bail!("the hub (pid {pid}) exited at start with {status}: {log}");
            }
            ensure!(started.elapsed() < Duration::from_secs(20), "the hub did not start in 20 s: {log}");
            std::thread::sleep(Duration::from_millis(20));
        }
        let token = std::fs::read_to_string(self.dir.join("state/token"))?;
        self.token = Some(Token::parse(&token).context("bad token file")?);
        Ok(())
    }

    fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    fn signal_and_wait(&mut self, signal: i32) -> Option<std::process::ExitStatus> {
        let mut child = self.child.take()?;
        // SAFETY: plain kill(2) on the hub we started.
        unsafe {
            libc::kill(child.id() as i32, signal);
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = child.kill();
        child.wait().ok()
    }

    async fn client(&self) -> anyhow::Result<Client> {
        let token = self.token.as_ref().context("the hub has not started")?;
        let socket = dial(&self.url(), "/client", token, 16 * 1024 * 1024).await?;
        Ok(Client { socket, next_id: 1, reads: 0 })
    }

    /// Log lines of every hub (and of the workers, which share the hub's stderr) containing `needle`.
    fn log_count(&self, needle: &str) -> usize {
        (1..=self.starts)
            .map(|start| {
                std::fs::read_to_string(self.log_path(start))
                    .unwrap_or_default()
                    .lines()
                    .filter(|l| l.contains(needle))
                    .count()
            })
            .sum()
    }

    fn log_lines(&self, needle: &str, max: usize) -> Vec<String> {
        (1..=self.starts)
            .flat_map(|start| {
                std::fs::read_to_string(self.log_path(start))
                    .unwrap_or_default()
                    .lines()
                    .filter(|l| l.contains(needle))
                    .map(str::to_owned)
                    .collect::<Vec<_>>()
            })
            .take(max)
            .collect()
    }
}

// ---------------------------------------------------------------------------------------------
// A client connection: one request at a time, replies matched by id.

struct Client {
    socket: HubSocket,
    next_id: u64,
    /// `output` requests made.
    reads: usize,
}

impl Client {
    async fn call(&mut self, make: impl FnOnce(Option<u64>) -> ClientRequest) -> anyhow::Result<HubToClient> {
        let id = self.next_id;
        self.next_id += 1;
        let request = make(Some(id));
        tokio::time::timeout(Duration::from_secs(30), async {
            self.socket.send(Message::text(serde_json::to_string(&request)?)).await?;
            loop {
                let frame = self.socket.next().await.context("the hub closed the client connection")??;
                if !frame.is_text() {
                    continue;
                }
                let message: HubToClient = serde_json::from_str(frame.to_text()?)?;
                if message.reply_to() == Some(id) {
                    if let HubToClient::Error { message, .. } = message {
                        bail!("hub error: {message}");
                    }
                    return Ok(message);
                }
            }
        })
        .await
        .context("no reply from the hub within 30 s")?
    }

    async fn spawn(&mut self, command: Vec<String>) -> anyhow::Result<String> {
        match self
            .call(|id| ClientRequest::Spawn {
                id,
                command,
                cwd: None,
                env: Vec::new(),
                driver: Driver::Pipe,
                subscribe: false,
                subject: None,
                prompt_pattern: None,
            })
            .await?
        {
            HubToClient::Spawned { task_id, .. } => Ok(task_id),
            other => bail!("unexpected reply to spawn: {other:?}"),
        }
    }

    async fn list(&mut self) -> anyhow::Result<Vec<TaskInfo>> {
        match self.call(|id| ClientRequest::List { id, task_id: None }).await? {
            HubToClient::Tasks { tasks, .. } => Ok(tasks),
            other => bail!("unexpected reply to list: {other:?}"),
        }
    }

    /// A task's whole stored output, read with cursors until an empty reply.
    async fn output(&mut self, task_id: &str) -> anyhow::Result<Vec<u8>> {
        let mut all = Vec::new();
        let mut since = 0u64;
        loop {
            let task = task_id.to_owned();
            self.reads += 1;
            let reply = self
                .call(|id| ClientRequest::Output { id, task_id: task, since: Some(since), tail_lines: None })
                .await?;
            let HubToClient::OutputChunk { cursor, next, truncated, payload, .. } = reply else {
                bail!("unexpected reply to output: {reply:?}");
            };
            ensure!(!truncated && cursor == since, "output from byte {since} is gone (the hub kept it from {cursor})");
            let bytes = payload.into_bytes().map_err(anyhow::Error::msg)?;
            ensure!(next == cursor + bytes.len() as u64, "cursor {cursor} + {} bytes != next {next}", bytes.len());
            if bytes.is_empty() {
                return Ok(all);
            }
            all.extend_from_slice(&bytes);
            since = next;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Cutting worker connections

/// `(local port, pid)` of every established connection to the hub's port, from `ss -tnpH`.
fn connections_to(port: u16) -> Vec<(u16, u32)> {
    let Ok(out) =
        Command::new("ss").args(["-tnpH", "state", "established", "dport", "=", &format!(":{port}")]).output()
    else {
        return Vec::new();
    };
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let local = fields.iter().find(|f| f.contains(':') && !f.starts_with("users:"))?;
            let local_port = local.rsplit(':').next()?.parse().ok()?;
            let pid = line.split("pid=").nth(1)?.split(|c: char| !c.is_ascii_digit()).next()?.parse().ok()?;
            Some((local_port, pid))
        })
        .collect()
}

/// Destroys the connection from local port `sport` to the hub; true if `ss` killed a socket.
fn cut(sport: u16, hub_port: u16) -> bool {
    Command::new("ss")
        .args(["-K", "-tnH", "sport", "=", &format!(":{sport}"), "dport", "=", &format!(":{hub_port}")])
        .output()
        .is_ok_and(|out| out.status.success() && !out.stdout.is_empty())
}

/// Cuts up to `count` random worker connections at once; returns how many were cut.
fn cut_some(hub_port: u16, count: usize, seed: u64) -> usize {
    let me = std::process::id();
    let mut workers: Vec<u16> =
        connections_to(hub_port).into_iter().filter(|(_, pid)| *pid != me).map(|(p, _)| p).collect();
    let mut rng = Rng::new(seed);
    let mut cuts = 0;
    while cuts < count && !workers.is_empty() {
        let victim = workers.swap_remove(rng.below(workers.len() as u64) as usize);
        if cut(victim, hub_port) {
            cuts += 1;
        }
    }
    cuts
}

fn seed_of(run: &str) -> u64 {
    run.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3))
}

/// How long after the kill each task's worker first connected to the restarted hub (from the
/// `worker connected task=ID` lines of the second hub's log): count, median, p90, max.
fn reconnect_delays(hub: &Hub, killed: std::time::SystemTime, only: &HashSet<&str>) -> Option<(usize, f64, f64, f64)> {
    let killed = killed.duration_since(std::time::UNIX_EPOCH).ok()?.as_secs_f64() % 86_400.0;
    let log = std::fs::read_to_string(hub.log_path(2)).ok()?;
    let mut first: HashMap<&str, f64> = HashMap::new();
    for line in log.lines().filter(|l| l.contains("worker connected")) {
        // 2026-11-24T00:27:37.955124Z  INFO worker connected task=bpj4bl pid=Some(31885)
        let clock = line.get(11..26)?;
        let mut parts = clock.split(':');
        let (h, m, s): (f64, f64, f64) =
            (parts.next()?.parse().ok()?, parts.next()?.parse().ok()?, parts.next()?.parse().ok()?);
        let task = line.split("task=").nth(1)?.split_whitespace().next()?;
        if !only.contains(task) {
            continue;
        }
        first.entry(task).or_insert((h * 3600.0 + m * 60.0 + s - killed).rem_euclid(86_400.0));
    }
    let mut delays: Vec<f64> = first.into_values().collect();
    if delays.is_empty() {
        return None;
    }
    delays.sort_by(f64::total_cmp);
    let at = |q: f64| delays[((delays.len() - 1) as f64 * q).round() as usize];
    Some((delays.len(), at(0.5), at(0.9), at(1.0)))
}

struct Cutter {
    stop: Arc<AtomicBool>,
    cuts: Arc<AtomicU64>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Cutter {
    fn start(hub_port: u16, rate: f64, seed: u64) -> Cutter {
        let stop = Arc::new(AtomicBool::new(false));
        let cuts = Arc::new(AtomicU64::new(0));
        let (stopped, counted) = (Arc::clone(&stop), Arc::clone(&cuts));
        let me = std::process::id();
        let thread = (rate > 0.0).then(|| {
            std::thread::spawn(move || {
                let mut rng = Rng::new(seed);
                let mean = 1.0 / rate;
                while !stopped.load(Ordering::Relaxed) {
                    let pause = mean * (rng.below(2001) as f64 / 1000.0);
                    std::thread::sleep(Duration::from_secs_f64(pause));
                    let workers: Vec<u16> =
                        connections_to(hub_port).into_iter().filter(|(_, pid)| *pid != me).map(|(p, _)| p).collect();
                    if workers.is_empty() {
                        continue;
                    }
                    let victim = *rng.pick(&workers);
                    if cut(victim, hub_port) {
                        counted.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        });
        Cutter { stop, cuts, thread }
    }

    fn stop(&mut self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        self.cuts.load(Ordering::Relaxed)
    }
}

// ---------------------------------------------------------------------------------------------
// Processes left behind

/// Pids of processes whose command line contains every one of `needles`.
fn processes_with(needles: &[&str]) -> Vec<(u32, String)> {
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    let me = std::process::id();
    entries
        .flatten()
        .filter_map(|entry| {
            let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
            let raw = std::fs::read(entry.path().join("cmdline")).ok()?;
            let cmdline = String::from_utf8_lossy(&raw).replace('\0', " ");
            (pid != me && needles.iter().all(|n| cmdline.contains(n))).then_some((pid, cmdline))
        })
        .collect()
}

fn kill_all(processes: &[(u32, String)]) {
    for (pid, _) in processes {
        // SAFETY: plain kill(2) on a process this run started (a worker or a child of one).
        unsafe {
            libc::kill(*pid as i32, libc::SIGKILL);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The run

struct Expected {
    task_id: String,
    spec: TaskSpec,
    bytes: Vec<u8>,
}

fn soak(args: &Args) -> anyhow::Result<bool> {
    ensure!(args.late <= args.tasks, "--late must not exceed --tasks");
    let axiom = match &args.axiom {
        Some(path) => path.clone(),
        None => {
            let exe = std::env::current_exe()?;
            let dir = exe.parent().and_then(Path::parent).context("cannot locate the target directory")?;
            dir.join("axiom")
        }
    };
    ensure!(
        axiom.is_file(),
        "{} not found: `cargo build --release --bin axiom` first, or pass --axiom",
        axiom.display()
    );
    ensure!(
        Command::new("ss").arg("-V").output().is_ok_and(|o| o.status.success()),
        "`ss` (iproute2) is needed to cut connections"
    );
    let seed = args.seed.unwrap_or_else(|| {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        Rng::new(now.as_nanos() as u64 ^ u64::from(std::process::id())).next()
    });
    let run = format!("soak-{seed:016x}");
    let exe = std::env::current_exe()?;
    let dir = tempfile::Builder::new().prefix("axiom-soak-").tempdir()?;
    std::fs::write(
        dir.path().join("rules.yaml"),
        "rules:\n  - id: soak-mark\n    description: A marker line from the soak test; only logged.\n    severity: info\n    match:\n      literals: [\"SOAKMARK\"]\n    action: warn\n",
    )?;
    // A private copy: a rebuild of target/release/axiom during the run must not change the hub
    // that is restarted (the workers are started from the hub's own executable).
    let private = dir.path().join("axiom");
    std::fs::copy(&axiom, &private).with_context(|| format!("cannot copy {}", axiom.display()))?;
    let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let mut hub = Hub {
        axiom: private,
        dir: dir.path().to_owned(),
        port,
        ring_bytes: args.ring_bytes,
        lost_after: args.lost_after.clone(),
        child: None,
        starts: 0,
        token: None,
    };

    let specs: Vec<TaskSpec> = (0..args.tasks).map(|i| TaskSpec::derive(seed, i, args)).collect();
    let expected_bytes: u64 = specs.iter().map(|s| s.expected().len() as u64).sum();
    let expected_lines: u64 = specs.iter().map(|s| u64::from(s.lines)).sum();
    println!(
        "soak: seed {seed:#x}; {} tasks ({} after the restart), {expected_lines} lines, {} expected; hub on port {port}; state {}",
        args.tasks,
        args.late,
        human_bytes(expected_bytes),
        dir.path().display()
    );
    println!("soak: axiom {}", axiom.display());

    let started = Instant::now();
    hub.start()?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let mut cutter = Cutter::start(port, args.cut_rate, seed ^ 0xc0ffee);
    let outcome = runtime.block_on(drive(args, &mut hub, &specs, &exe, &run, started));
    let mut cuts = cutter.stop();
    let tasks_done = started.elapsed();

    let mut report = Report { seed, cuts, ..Report::default() };
    let mut early_ids: Vec<String> = Vec::new();
    let result = match outcome {
        Ok((expected, restart)) => {
            early_ids = expected.iter().take(args.tasks - args.late).map(|e| e.task_id.clone()).collect();
            report.restart = restart;
            cuts += restart.map_or(0, |r| r.burst as u64);
            report.cuts = cuts;
            report.tasks_secs = tasks_done.as_secs_f64();
            runtime.block_on(verify_all(args, &mut hub, expected, &run, &mut report))
        }
        Err(err) => {
            report.problems.push(format!("the run did not complete: {err:#}"));
            Ok(())
        }
    };
    if let Err(err) = result {
        report.problems.push(format!("verification did not complete: {err:#}"));
    }
    report.gaps = hub.log_count("output sequence gap");
    if let Some(restart) = report.restart {
        let early: HashSet<&str> = early_ids.iter().map(String::as_str).collect();
        report.back_after = reconnect_delays(&hub, restart.killed_wall, &early);
        match report.back_after {
            Some((count, _, _, max)) if max > args.max_back_secs => report.problems.push(format!(
                "workers were slow to come back to the restarted hub (down {:.1} s): the last of {count} took {max:.1} s after the kill (limit --max-back-secs {})",
                restart.down, args.max_back_secs
            )),
            _ => {}
        }
    }
    report.lost_warnings = hub.log_count("lost the hub connection");
    report.reconnects = hub.log_count("reconnected to the hub");
    report.worker_connects = hub.log_count("worker connected");
    report.interventions = hub.log_count("rule=soak-mark");
    if report.gaps > 0 {
        report.problems.push(format!(
            "the hub logged {} output sequence gaps: {:?}",
            report.gaps,
            hub.log_lines("output sequence gap", 3)
        ));
    }
    hub.signal_and_wait(libc::SIGTERM);
    // Whatever is still around (only after a failure) belongs to this run: end it.
    let strays: Vec<(u32, String)> = processes_with(&[&run, " child "])
        .into_iter()
        .chain(processes_with(&[" worker ", &format!("ws://127.0.0.1:{port}")]))
        .collect();
    kill_all(&strays);
    report.secs = started.elapsed().as_secs_f64();
    report.print(args, expected_bytes, expected_lines);

    let passed = report.problems.is_empty();
    if !passed || args.keep {
        let kept = dir.keep();
        println!("soak: state dir and hub logs kept in {}", kept.display());
    }
    Ok(passed)
}

#[derive(Default)]
struct Report {
    seed: u64,
    cuts: u64,
    restart: Option<Restart>,
    tasks_secs: f64,
    secs: f64,
    stored_bytes: u64,
    chunks_checked: usize,
    leftover_workers: usize,
    /// Workers back on the restarted hub: count, and seconds after the kill (median, p90, max).
    back_after: Option<(usize, f64, f64, f64)>,
    gaps: usize,
    lost_warnings: usize,
    reconnects: usize,
    worker_connects: usize,
    interventions: usize,
    problems: Vec<String>,
}

#[derive(Debug, Clone, Copy)]
struct Restart {
    killed_at: f64,
    killed_wall: std::time::SystemTime,
    down: f64,
    running_at_kill: usize,
    /// Worker sockets cut just before the kill.
    burst: usize,
}

impl Report {
    fn print(&self, args: &Args, expected_bytes: u64, expected_lines: u64) {
        let verdict = if self.problems.is_empty() { "PASS" } else { "FAIL" };
        println!("soak: {verdict}");
        println!(
            "  tasks:        {} ({} spawned on the restarted hub), {} lines, {} expected, {} stored and compared ({} output requests)",
            args.tasks,
            args.late,
            expected_lines,
            human_bytes(expected_bytes),
            human_bytes(self.stored_bytes),
            self.chunks_checked,
        );
        println!(
            "  disconnects:  {} worker sockets cut with ss -K; workers logged {} lost connections and {} reconnects; the hubs logged {} worker connections",
            self.cuts, self.lost_warnings, self.reconnects, self.worker_connects
        );
        match self.restart {
            Some(r) => {
                println!(
                    "  restart:      {} worker sockets cut, {} ms later the hub SIGKILLed at {:.1} s with {} tasks running; down {:.1} s, restarted on the same port and state dir",
                    r.burst, args.burst_ms, r.killed_at, r.running_at_kill, r.down
                );
                if let Some((count, median, p90, max)) = self.back_after {
                    println!(
                        "  reconnects:   {count} workers came back to the restarted hub; after the kill: median {median:.1} s, p90 {p90:.1} s, max {max:.1} s"
                    );
                }
            }
            None => println!("  restart:      none"),
        }
        println!(
            "  time:         {:.1} s until every task ended, {:.1} s in all (incl. verification and a clean restart)",
            self.tasks_secs, self.secs
        );
        println!(
            "  other:        {} interventions logged, {} sequence-gap warnings, {} workers left behind; seed {:#x}",
            self.interventions, self.gaps, self.leftover_workers, self.seed
        );
        for problem in &self.problems {
            println!("  problem:      {problem}");
        }
    }
}

/// Spawns the tasks, SIGKILLs and restarts the hub in the middle, waits for every task to end.
async fn drive(
    args: &Args,
    hub: &mut Hub,
    specs: &[TaskSpec],
    exe: &Path,
    run: &str,
    started: Instant,
) -> anyhow::Result<(Vec<Expected>, Option<Restart>)> {
    let early = args.tasks - args.late;
    let mut client = hub.client().await?;
    let mut ids: Vec<String> = Vec::with_capacity(specs.len());
    let gap = Duration::from_secs_f64(args.spawn_secs / early.max(1) as f64);
    for spec in &specs[..early] {
        ids.push(client.spawn(spec.argv(exe, run)).await?);
        tokio::time::sleep(gap).await;
    }
    println!("soak: {early} tasks spawned in {:.1} s", started.elapsed().as_secs_f64());

    let mut restart = None;
    if args.kill_at >= 0.0 {
        let at = Duration::from_secs_f64(args.kill_at);
        let mut last_progress = Instant::now();
        while started.elapsed() < at {
            tokio::time::sleep(Duration::from_millis(200)).await;
            if last_progress.elapsed() > Duration::from_secs(5) {
                last_progress = Instant::now();
                progress(&mut client, &ids, started).await;
            }
        }
        let running = client.list().await?.iter().filter(|t| !t.status.is_finished()).count();
        drop(client);
        let burst = cut_some(hub.port, args.burst, seed_of(run));
        tokio::time::sleep(Duration::from_millis(args.burst_ms)).await;
        let killed_at = started.elapsed().as_secs_f64();
        let killed_wall = std::time::SystemTime::now();
        let pid = hub.pid().unwrap_or(0);
        hub.signal_and_wait(libc::SIGKILL);
        println!(
            "soak: cut {burst} worker sockets, then {} ms later SIGKILLed the hub (pid {pid}) at {killed_at:.1} s with {running} tasks running",
            args.burst_ms
        );
        tokio::time::sleep(Duration::from_millis(args.down_ms)).await;
        hub.start()?;
        let down = started.elapsed().as_secs_f64() - killed_at;
        println!("soak: hub restarted (pid {}) after {down:.1} s", hub.pid().unwrap_or(0));
        restart = Some(Restart { killed_at, killed_wall, down, running_at_kill: running, burst });
        client = hub.client().await?;
        let known: HashSet<String> = client.list().await?.into_iter().map(|t| t.task_id).collect();
        let missing: Vec<&String> = ids.iter().filter(|id| !known.contains(*id)).collect();
        ensure!(missing.is_empty(), "the restarted hub does not know {} tasks: {missing:?}", missing.len());
    }
    for spec in &specs[early..] {
        ids.push(client.spawn(spec.argv(exe, run)).await?);
    }

    let deadline = started + Duration::from_secs(args.timeout);
    let mut last_progress = Instant::now();
    loop {
        let tasks = client.list().await?;
        let mine: Vec<&TaskInfo> = tasks.iter().filter(|t| ids.contains(&t.task_id)).collect();
        if mine.len() == ids.len() && mine.iter().all(|t| t.status.is_finished()) {
            break;
        }
        if Instant::now() > deadline {
            let pending: Vec<String> = mine
                .iter()
                .filter(|t| !t.status.is_finished())
                .map(|t| format!("{} {}", t.task_id, t.status.name()))
                .collect();
            bail!("{} tasks still not finished after {} s: {pending:?}", pending.len(), args.timeout);
        }
        if last_progress.elapsed() > Duration::from_secs(5) {
            last_progress = Instant::now();
            progress(&mut client, &ids, started).await;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    println!("soak: every task ended at {:.1} s", started.elapsed().as_secs_f64());
    let expected = ids
        .into_iter()
        .zip(specs)
        .map(|(task_id, spec)| Expected { task_id, spec: *spec, bytes: spec.expected() })
        .collect();
    Ok((expected, restart))
}

async fn progress(client: &mut Client, ids: &[String], started: Instant) {
    if let Ok(tasks) = client.list().await {
        let mine: Vec<&TaskInfo> = tasks.iter().filter(|t| ids.contains(&t.task_id)).collect();
        let done = mine.iter().filter(|t| t.status.is_finished()).count();
        let bytes: u64 = mine.iter().map(|t| t.output_bytes).sum();
        println!(
            "soak: {:5.1} s: {done}/{} tasks ended, {} stored",
            started.elapsed().as_secs_f64(),
            mine.len(),
            human_bytes(bytes)
        );
    }
}

/// Compares every task's stored output with what its child printed; then again after a clean restart.
async fn verify_all(
    args: &Args,
    hub: &mut Hub,
    expected: Vec<Expected>,
    run: &str,
    report: &mut Report,
) -> anyhow::Result<()> {
    let mut client = hub.client().await?;
    let statuses: HashMap<String, TaskStatus> =
        client.list().await?.into_iter().map(|t| (t.task_id, t.status)).collect();
    let mut bad_status = BTreeMap::new();
    for item in &expected {
        match statuses.get(&item.task_id) {
            Some(TaskStatus::Exited { code: 0 }) => {}
            other => {
                bad_status.insert(item.task_id.clone(), format!("{other:?}"));
            }
        }
    }
    if !bad_status.is_empty() {
        let lost = bad_status.values().filter(|s| s.contains("Lost")).count();
        report.problems.push(format!(
            "{} tasks did not end with exit code 0 ({lost} of them marked lost: their worker stayed away longer than --lost-after {}): {:?}",
            bad_status.len(),
            args.lost_after,
            first(&bad_status, 5)
        ));
    }

    let checked = compare(&mut client, &expected, "after the run").await?;
    report.stored_bytes = checked.bytes;
    report.chunks_checked = checked.reads;
    report.problems.extend(checked.problems);

    // A worker exits once the hub has stored its child's exit; none should outlive its task.
    let port_marker = format!("ws://127.0.0.1:{}", hub.port);
    let mut leftover = Vec::new();
    for _ in 0..50 {
        leftover = processes_with(&[" worker ", &port_marker]);
        if leftover.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    report.leftover_workers = leftover.len();
    if !leftover.is_empty() {
        let tasks: Vec<String> = leftover
            .iter()
            .filter_map(|(pid, cmd)| {
                Some(format!("pid {pid} task {}", cmd.split("--task-id ").nth(1)?.split(' ').next()?))
            })
            .take(5)
            .collect();
        report.problems.push(format!(
            "{} worker processes still running 5 s after every task ended (their tasks are finished): {tasks:?}",
            leftover.len()
        ));
        kill_all(&leftover);
    }
    let children = processes_with(&[run, " child "]);
    if !children.is_empty() {
        report.problems.push(format!("{} children still running after their tasks ended", children.len()));
        kill_all(&children);
    }
    drop(client);

    // Everything again, from the histories on disk alone.
    let status = hub.signal_and_wait(libc::SIGTERM);
    if !status.is_some_and(|s| s.success()) {
        report.problems.push(format!("the hub did not exit 0 on SIGTERM: {status:?}"));
    }
    hub.start()?;
    let mut client = hub.client().await?;
    let again = compare(&mut client, &expected, "after a clean restart").await?;
    report.problems.extend(again.problems);
    let _ = args;
    Ok(())
}

struct Compared {
    bytes: u64,
    reads: usize,
    problems: Vec<String>,
}

async fn compare(client: &mut Client, expected: &[Expected], when: &str) -> anyhow::Result<Compared> {
    let mut compared = Compared { bytes: 0, reads: 0, problems: Vec::new() };
    let mut mismatched = 0;
    for item in expected {
        let got = match client.output(&item.task_id).await {
            Ok(got) => got,
            Err(err) => {
                mismatched += 1;
                if compared.problems.is_empty() {
                    compared.problems.push(format!("{when}: task {}: cannot read its output: {err:#}", item.task_id));
                }
                continue;
            }
        };
        compared.bytes += got.len() as u64;
        if got != item.bytes {
            mismatched += 1;
            if mismatched <= 3 {
                compared.problems.push(format!("{when}: {}", describe_mismatch(item, &got)));
            }
        }
    }
    if mismatched > 3 {
        compared.problems.push(format!("{when}: {mismatched} of {} tasks differ in all", expected.len()));
    }
    compared.reads = client.reads;
    println!(
        "soak: compared {} tasks {when}: {} stored, {} differ",
        expected.len(),
        human_bytes(compared.bytes),
        mismatched
    );
    Ok(compared)
}

/// The first difference, with some context, and a guess at what happened there.
fn describe_mismatch(item: &Expected, got: &[u8]) -> String {
    let want = &item.bytes;
    let at = want.iter().zip(got).position(|(a, b)| a != b).unwrap_or(want.len().min(got.len()));
    let show = |bytes: &[u8], from: usize| escape(&bytes[from.min(bytes.len())..(from + 48).min(bytes.len())]);
    let mut text = format!(
        "task {} (seed {:#x}, {} lines, fd {}): first mismatch at byte {at} of {} expected / {} stored\n      expected: \"{}\"\n      got:      \"{}\"",
        item.task_id,
        item.spec.seed,
        item.spec.lines,
        item.spec.fd,
        want.len(),
        got.len(),
        show(want, at),
        show(got, at)
    );
    let line_start = want[..at].iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
    let _ = write!(text, "\n      in the line starting \"{}\"", show(want, line_start));
    // Missing bytes: what was stored next appears further on in the expected output.
    let probe = &got[at.min(got.len())..(at + 32).min(got.len())];
    if !probe.is_empty() {
        if let Some(skip) = find(&want[at..], probe) {
            let _ = write!(text, "\n      looks like {skip} bytes are missing here");
        }
    }
    // Repeated bytes: what was expected next appears further on in the stored output.
    let probe = &want[at.min(want.len())..(at + 32).min(want.len())];
    if !probe.is_empty() {
        if let Some(extra) = find(&got[at.min(got.len())..], probe) {
            let repeated = extra <= at && got[at..at + extra] == want[at - extra..at];
            let _ = write!(
                text,
                "\n      looks like {extra} extra bytes were stored here{}",
                if repeated { " (a repeat of the bytes just before)" } else { "" }
            );
        }
    }
    text
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    (1..haystack.len().saturating_sub(needle.len()) + 1).find(|&i| haystack[i..].starts_with(needle))
}

fn escape(bytes: &[u8]) -> String {
    bytes.iter().flat_map(|b| std::ascii::escape_default(*b)).map(char::from).collect()
}

fn first(map: &BTreeMap<String, String>, n: usize) -> Vec<String> {
    map.iter().take(n).map(|(k, v)| format!("{k}: {v}")).collect()
}

fn human_bytes(bytes: u64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
    } else if bytes >= 1024 {
        format!("{:.1} KiB", bytes as f64 / 1024.0)
    } else {
        format!("{bytes} B")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_writes_are_deterministic_and_add_up() {
        let spec = TaskSpec { seed: 42, lines: 300, millis: 1000, fd: 1 };
        assert_eq!(spec.expected(), spec.expected());
        let lines = spec.expected().iter().filter(|b| **b == b'\n').count();
        assert!((299..=300).contains(&lines), "{lines}");
        let total: Duration = spec.writes().iter().map(|(_, sleep)| *sleep).sum();
        assert!(total > Duration::from_millis(500) && total < Duration::from_millis(1500), "{total:?}");
    }

    #[test]
    fn a_mismatch_is_located_and_explained() {
        let spec = TaskSpec { seed: 7, lines: 50, millis: 0, fd: 1 };
        let item = Expected { task_id: "t1".into(), spec, bytes: spec.expected() };
        let mut lost = item.bytes.clone();
        lost.drain(100..130);
        let text = describe_mismatch(&item, &lost);
        assert!(text.contains("first mismatch at byte 100"), "{text}");
        assert!(text.contains("looks like 30 bytes are missing here"), "{text}");
        let mut repeated = item.bytes.clone();
        let again = repeated[80..100].to_vec();
        repeated.splice(100..100, again);
        let text = describe_mismatch(&item, &repeated);
        assert!(text.contains("20 extra bytes were stored here (a repeat of the bytes just before)"), "{text}");
    }
}
