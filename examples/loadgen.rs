//! Load generator for the live path: the real `axiom serve`, real worker processes, real sockets.
//!
//! ```text
//! cargo build --release --bins --examples
//! target/release/examples/loadgen rtt --samples 300                 # intervention round trip, alone
//! target/release/examples/loadgen rtt --samples 300 --flooders 100  # ... with 100 workers flooding
//! target/release/examples/loadgen fanin --workers 50 --mib 4        # fan-in MB/s + order check
//! target/release/examples/loadgen memory --workers 100              # hub RSS per idle worker
//! target/release/examples/loadgen all                               # the table in BENCHMARKS.md
//! ```
//!
//! Every run starts its own hub (`axiom serve` on a free loopback port, a temporary state dir,
//! `--rules rules --rules fixtures/loadgen-rules.yaml`), drives it as a client over the protocol in
//! `src/protocol.rs`, and stops it at the end. Tasks are spawned through the hub exactly as
//! `axiom client` does, so each one is an `axiom worker` process that connects back.
//!
//! - **rtt**: `fixtures/loadgen-rtt.py` prints `VIOLATION <n> <t>` and blocks on stdin; an inject
//!   rule answers; the probe itself times the trip with a monotonic clock and prints `RTT <n> <ns>`,
//!   which is read back from the task's stored output. Flooders (`--flood lines`: a shell `echo`
//!   loop, one tiny write per line; `--flood blocks`: 64 KiB writes) run beside it and are killed
//!   afterwards.
//! - **fanin**: N × `fixtures/loadgen-flood.py` each print a fixed number of numbered, fixed-width
//!   lines as fast as they can. Throughput is the bytes the hub stored over the hub's own span
//!   (first task start to last task end); afterwards every task's output is read back with
//!   cursors and every line is checked: present once, in order, intact.
//! - **memory**: VmRSS of the hub with N connected, quiet workers (`sleep`) minus with none, over N.

use std::fmt::Write as _;
use std::net::TcpListener;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context as _};
use clap::{Parser, Subcommand, ValueEnum};
use futures_util::{SinkExt as _, StreamExt as _};
use tokio_tungstenite::tungstenite::Message;

use axiom::dial::{dial, HubSocket};
use axiom::hub::auth::Token;
use axiom::protocol::{ClientRequest, HubToClient, InterventionRecord, Payload, TaskInfo, TaskStatus};
use axiom::worker::Driver;

#[derive(Debug, Parser)]
#[command(about = "Load generator for axiom's hub: intervention round trip, fan-in, memory per worker")]
struct Args {
    /// The axiom binary (default: `axiom` next to this example's directory, i.e. target/release/axiom).
    #[arg(long, global = true)]
    axiom: Option<PathBuf>,
    /// Rule files or directories for the hub; the loadgen inject rule is always added.
    #[arg(long = "rules", global = true, default_value = "rules")]
    rules: Vec<PathBuf>,
    /// Keep each hub's state directory (task histories, hub.log) and print where it is.
    #[arg(long, global = true)]
    keep: bool,
    #[command(subcommand)]
    mode: Mode,
}

#[derive(Debug, Subcommand)]
enum Mode {
    /// Intervention round trip, measured by the child.
    Rtt(RttArgs),
    /// N workers flooding at once: MB/s at the hub, then every line checked.
    Fanin(FaninArgs),
    /// Hub RSS per connected, quiet worker.
    Memory {
        #[arg(long, default_value_t = 100)]
        workers: usize,
    },
    /// The whole table: rtt alone, with 10 and 100 flooders (both kinds, normal and nice 19),
    /// fan-in 10/50/100, memory 100.
    All {
        #[arg(long, default_value_t = 300)]
        samples: usize,
    },
}

#[derive(Debug, Clone, clap::Args)]
struct RttArgs {
    #[arg(long, default_value_t = 300)]
    samples: usize,
    /// Sleep between samples, in milliseconds (in the probe).
    #[arg(long, default_value_t = 5.0)]
    gap_ms: f64,
    /// Workers streaming output beside the probe.
    #[arg(long, default_value_t = 0)]
    flooders: usize,
    #[arg(long, value_enum, default_value_t = Flood::Lines)]
    flood: Flood,
    /// Stop sampling after this many seconds (the flood runs that long plus a second).
    #[arg(long, default_value_t = 30.0)]
    seconds: f64,
    /// Run the flooders under `nice -n N` (the hub and the probe keep normal priority).
    #[arg(long, default_value_t = 0)]
    flood_nice: i32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Flood {
    /// `sh -c 'while :; do echo …; done'`: one small write (and one WebSocket message) per line.
    Lines,
    /// `loadgen-flood.py 0`: 64 KiB writes, as many bytes as the pipe takes.
    Blocks,
    /// An `echo "rm -rf /"` loop that ignores SIGTERM: every line fires the built-in pack's
    /// `danger-rm-root-or-home` kill rule, and the flooder lives out the kill's grace period.
    Danger,
}

#[derive(Debug, Clone, clap::Args)]
struct FaninArgs {
    #[arg(long, default_value_t = 10)]
    workers: usize,
    /// MiB each worker prints.
    #[arg(long, default_value_t = 20)]
    mib: usize,
    /// Bytes per line, newline included.
    #[arg(long, default_value_t = 100)]
    width: usize,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let root = std::env::current_dir()?;
    ensure!(
        root.join("fixtures/loadgen-rtt.py").is_file(),
        "run from the repository root (fixtures/loadgen-rtt.py not found in {})",
        root.display()
    );
    let axiom = match &args.axiom {
        Some(path) => path.clone(),
        None => default_axiom()?,
    };
    let mut rules = args.rules.clone();
    rules.push(PathBuf::from("fixtures/loadgen-rules.yaml"));
    let env = Env { axiom, rules, root, keep: args.keep };
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async {
        let mut report = Report::default();
        match args.mode {
            Mode::Rtt(rtt_args) => report.rtt.push(rtt(&env, &rtt_args).await?),
            Mode::Fanin(fanin_args) => report.fanin.push(fanin(&env, &fanin_args).await?),
            Mode::Memory { workers } => report.memory.push(memory(&env, workers).await?),
            Mode::All { samples } => {
                let loads = [
                    (0, Flood::Lines, 0),
                    (10, Flood::Lines, 0),
                    (100, Flood::Lines, 0),
                    (100, Flood::Lines, 19),
                    (100, Flood::Blocks, 0),
                    (100, Flood::Blocks, 19),
                ];
                for (flooders, flood, flood_nice) in loads {
                    let rtt_args = RttArgs { samples, gap_ms: 5.0, seconds: 20.0, flooders, flood, flood_nice };
                    report.rtt.push(rtt(&env, &rtt_args).await?);
                }
                for (workers, mib) in [(10, 20), (50, 4), (100, 2)] {
                    report.fanin.push(fanin(&env, &FaninArgs { workers, mib, width: 100 }).await?);
                }
                report.memory.push(memory(&env, 100).await?);
            }
        }
        println!("{}", report.markdown());
        let failed = report.fanin.iter().any(|row| !row.problems.is_empty())
            || report.rtt.iter().any(|row| !row.problems.is_empty());
        if failed {
            bail!("correctness problems found (see the table)");
        }
        Ok(())
    })
}

fn default_axiom() -> anyhow::Result<PathBuf> {
    // target/release/examples/loadgen → target/release/axiom
    let exe = std::env::current_exe()?;
    let dir = exe.parent().and_then(Path::parent).context("cannot locate the target directory")?;
    let axiom = dir.join("axiom");
    ensure!(axiom.is_file(), "{} not found: `cargo build --release --bins` first, or pass --axiom", axiom.display());
    Ok(axiom)
}

struct Env {
    axiom: PathBuf,
    rules: Vec<PathBuf>,
    root: PathBuf,
    keep: bool,
}

// ---------------------------------------------------------------------------------------------
// The hub process

struct HubProcess {
    child: Child,
    url: String,
    token: Token,
    log: PathBuf,
    state: Option<tempfile::TempDir>,
    keep: bool,
}

impl HubProcess {
    async fn start(env: &Env, ring_bytes: usize) -> anyhow::Result<HubProcess> {
        let state = tempfile::tempdir()?;
        // serve wants a fixed address: take a free port from the kernel, release it, hand it over.
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let log = state.path().join("hub.log");
        let mut command = Command::new(&env.axiom);
        command
            .arg("serve")
            .arg("--listen")
            .arg(format!("127.0.0.1:{port}"))
            .arg("--state-dir")
            .arg(state.path().join("state"))
            .arg("--ring-bytes")
            .arg(ring_bytes.to_string())
            .arg("--kill-grace")
            .arg("200ms");
        for rules in &env.rules {
            command.arg("--rules").arg(rules);
        }
        // If the load generator dies (Ctrl-C, a timeout), the hub goes too; its workers then end
        // their children once the reconnect window has passed.
        unsafe {
            command.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
                Ok(())
            });
        }
        let child = command
            .current_dir(&env.root)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log)?)
            .spawn()
            .with_context(|| format!("cannot start {}", env.axiom.display()))?;
        let info_path = state.path().join("state/hub.json");
        let started = Instant::now();
        while !info_path.exists() {
            if started.elapsed() > Duration::from_secs(10) {
                bail!("the hub did not start; its log: {}", std::fs::read_to_string(&log).unwrap_or_default());
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let info: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&info_path)?)?;
        eprintln!("loadgen: hub pid {}", child.id());
        let url = info["url"].as_str().context("hub.json without url")?.to_owned();
        let token =
            Token::parse(&std::fs::read_to_string(state.path().join("state/token"))?).context("bad token file")?;
        Ok(HubProcess { child, url, token, log, state: Some(state), keep: env.keep })
    }

    fn state_path(&self) -> &Path {
        self.state.as_ref().expect("state until dropped").path()
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    async fn client(&self) -> anyhow::Result<Client> {
        let socket = dial(&self.url, "/client", &self.token, 8 * 1024 * 1024).await?;
        Ok(Client { socket, next_id: 1 })
    }

    /// VmRSS and VmHWM in KiB.
    fn memory_kib(&self) -> (u64, u64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find_map(|line| line.strip_prefix(name))
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|n| n.parse().ok())
                .unwrap_or(0)
        };
        (field("VmRSS:"), field("VmHWM:"))
    }

    /// User + system CPU seconds the hub has used so far.
    fn cpu_seconds(&self) -> f64 {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid())).unwrap_or_default();
        // Fields after the `(comm)`: state is field 3; utime and stime are fields 14 and 15.
        let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
        let fields: Vec<&str> = after.split_whitespace().collect();
        let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok()).unwrap_or(0);
        let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
        (ticks(11) + ticks(12)) as f64 / hz
    }

    /// Warnings the hub logged (sequence gaps, lost workers, ...).
    fn warnings(&self) -> Vec<String> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .filter(|line| line.contains("WARN") || line.contains("ERROR"))
            .map(strip_ansi)
            .collect()
    }

    fn stop(&mut self) {
        // SIGTERM: the hub shuts down; any worker still attached sees the socket close and ends its child.
        unsafe {
            libc::kill(self.child.id() as i32, libc::SIGTERM);
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline && matches!(self.child.try_wait(), Ok(None)) {
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for HubProcess {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        if let Some(state) = self.state.take().filter(|_| self.keep) {
            eprintln!("loadgen: kept the hub's state in {}", state.keep().display());
        }
    }
}

fn strip_ansi(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// A client connection: one request at a time, replies matched by id, events ignored.

struct Client {
    socket: HubSocket,
    next_id: u64,
}

impl Client {
    async fn call(&mut self, make: impl FnOnce(Option<u64>) -> ClientRequest) -> anyhow::Result<HubToClient> {
        let id = self.next_id;
        self.next_id += 1;
        let request = make(Some(id));
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
    }

    async fn spawn(&mut self, command: Vec<String>, cwd: &Path) -> anyhow::Result<String> {
        let cwd = Some(cwd.display().to_string());
        match self
            .call(|id| ClientRequest::Spawn {
                id,
                command,
                cwd,
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

    async fn kill(&mut self, task_id: &str) -> anyhow::Result<()> {
        let task_id = task_id.to_owned();
        // A task that already ended answers with an error; that is fine here.
        let _ = self.call(|id| ClientRequest::Kill { id, task_id, grace_ms: Some(200) }).await;
        Ok(())
    }

    /// Feeds a task's whole stored output to `sink` in order; fails if any of it was dropped.
    async fn read_output(&mut self, task_id: &str, mut sink: impl FnMut(&[u8])) -> anyhow::Result<u64> {
        let mut since = 0;
        loop {
            let task = task_id.to_owned();
            let reply = self
                .call(|id| ClientRequest::Output { id, task_id: task, since: Some(since), tail_lines: None })
                .await?;
            let HubToClient::OutputChunk { cursor, next, truncated, payload, .. } = reply else {
                bail!("unexpected reply to output: {reply:?}");
            };
            ensure!(
                !truncated && cursor == since,
                "task {task_id}: output from {since} was dropped (kept from {cursor})"
            );
            let bytes = Payload::into_bytes(payload).map_err(anyhow::Error::msg)?;
            ensure!(
                next == cursor + bytes.len() as u64,
                "task {task_id}: cursor {cursor} + {} bytes != next {next}",
                bytes.len()
            );
            if bytes.is_empty() {
                return Ok(since);
            }
            sink(&bytes);
            since = next;
        }
    }

    /// A finished task's interventions, from a subscription replayed from the start.
    async fn interventions(&mut self, task_id: &str) -> anyhow::Result<Vec<InterventionRecord>> {
        let request = ClientRequest::Subscribe { id: Some(0), task_id: task_id.to_owned(), since: None };
        self.socket.send(Message::text(serde_json::to_string(&request)?)).await?;
        let mut records = Vec::new();
        loop {
            let frame = self.socket.next().await.context("the hub closed the client connection")??;
            if !frame.is_text() {
                continue;
            }
            match serde_json::from_str::<HubToClient>(frame.to_text()?)? {
                HubToClient::Intervention { intervention, .. } => records.push(intervention),
                HubToClient::Status { status, .. } if status.is_finished() => return Ok(records),
                HubToClient::Error { message, .. } => bail!("hub error: {message}"),
                _ => {}
            }
        }
    }

    /// Polls `list` until every task in `ids` has finished.
    async fn wait_finished(&mut self, ids: &[String], timeout: Duration) -> anyhow::Result<Vec<TaskInfo>> {
        let started = Instant::now();
        loop {
            let tasks: Vec<TaskInfo> =
                self.list().await?.into_iter().filter(|task| ids.contains(&task.task_id)).collect();
            if tasks.len() == ids.len() && tasks.iter().all(|task| task.status.is_finished()) {
                return Ok(tasks);
            }
            if started.elapsed() > timeout {
                let pending: Vec<_> =
                    tasks.iter().filter(|t| !t.status.is_finished()).map(|t| t.task_id.clone()).collect();
                bail!("tasks still running after {timeout:?}: {pending:?}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Polls `list` until every task in `ids` is running and `ready` holds for it.
    async fn wait_running(&mut self, ids: &[String], ready: impl Fn(&TaskInfo) -> bool) -> anyhow::Result<()> {
        let started = Instant::now();
        loop {
            let tasks = self.list().await?;
            let up = tasks
                .iter()
                .filter(|t| ids.contains(&t.task_id) && t.status == TaskStatus::Running && ready(t))
                .count();
            if up == ids.len() {
                return Ok(());
            }
            if let Some(bad) = tasks.iter().find(|t| ids.contains(&t.task_id) && t.status.is_finished()) {
                bail!("task {} ended early: {:?}", bad.task_id, bad.status);
            }
            if started.elapsed() > Duration::from_secs(30) {
                bail!("only {up} of {} tasks running after 30 s", ids.len());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

fn strings(argv: &[&str]) -> Vec<String> {
    argv.iter().map(|s| (*s).to_owned()).collect()
}

// ---------------------------------------------------------------------------------------------
// Round trip

struct RttRow {
    flooders: usize,
    flood: Flood,
    flood_nice: i32,
    samples: Vec<u64>,
    /// Per sample: probe write → hub decision (the intervention's `at`), in ms; wall clocks, 1 ms
    /// resolution on the hub side.
    up_ms: Vec<f64>,
    /// Bytes/s the flooders got through the hub while the probe ran.
    flood_rate: f64,
    hub_cpu: f64,
    wall: f64,
    sched: SchedWatch,
    /// How long each `list` request took while the probe ran.
    list_ms: Vec<f64>,
    problems: Vec<String>,
    notes: Vec<String>,
}

async fn rtt(env: &Env, args: &RttArgs) -> anyhow::Result<RttRow> {
    eprintln!("loadgen: rtt, {} samples, {} flooders ({:?})", args.samples, args.flooders, args.flood);
    let mut hub = HubProcess::start(env, 8 * 1024 * 1024).await?;
    let mut client = hub.client().await?;
    // Flooders wait for this file, so they are all spawned and connected while quiet (under a
    // flood even a spawn reply is slow), then start together; removing it stops the flood. The
    // probe waits for its own gate, opened once the flood runs.
    let gate = hub.state_path().join("gate");
    let probe_gate = hub.state_path().join("probe-gate");
    let gate_arg = gate.display().to_string();
    let mut flooders = Vec::new();
    for i in 0..args.flooders {
        let command = match args.flood {
            Flood::Lines => {
                // The hot loop is one `echo` per line; a watcher ends the shell when the gate goes.
                let script = format!(
                    "echo ready; while [ ! -e \"$0\" ]; do sleep 0.02; done; \
                     (while [ -e \"$0\" ]; do sleep 0.2; done; kill $$) & \
                     i=0; while :; do i=$((i+1)); echo \"flood {i} line $i: some ordinary build output\"; done"
                );
                vec!["sh".to_owned(), "-c".to_owned(), script, gate_arg.clone()]
            }
            Flood::Blocks => {
                vec!["python3".into(), "fixtures/loadgen-flood.py".into(), "0".into(), "100".into(), gate_arg.clone()]
            }
            Flood::Danger => {
                let script = "trap '' TERM; echo ready; while [ ! -e \"$0\" ]; do sleep 0.02; done; \
                     while :; do echo 'rm -rf /'; done";
                vec!["sh".to_owned(), "-c".to_owned(), script.to_owned(), gate_arg.clone()]
            }
        };
        let command = if args.flood_nice != 0 {
            [vec!["nice".to_owned(), "-n".to_owned(), args.flood_nice.to_string()], command].concat()
        } else {
            command
        };
        flooders.push(client.spawn(command, &env.root).await?);
    }
    let gate_for_probe = if args.flooders > 0 { probe_gate.display().to_string() } else { "-".to_owned() };
    let probe_argv = vec![
        "python3".to_owned(),
        "fixtures/loadgen-rtt.py".to_owned(),
        args.samples.to_string(),
        args.gap_ms.to_string(),
        gate_for_probe,
        args.seconds.to_string(),
    ];
    let probe = client.spawn(probe_argv, &env.root).await?;
    // Every flooder says `ready` before it waits for the gate.
    client.wait_running(&flooders, |task| task.output_bytes > 0).await?;
    client.wait_running(std::slice::from_ref(&probe), |task| task.pid.is_some()).await?;
    if !flooders.is_empty() {
        eprintln!("loadgen: {} flooders and the probe connected; opening the gate", flooders.len());
        std::fs::write(&gate, b"")?;
        // Let the flood build up, then time the probe against it.
        tokio::time::sleep(Duration::from_secs(1)).await;
    }

    let flood_bytes = |tasks: &[TaskInfo]| {
        tasks.iter().filter(|t| flooders.contains(&t.task_id)).map(|t| t.output_bytes).sum::<u64>()
    };
    let before = flood_bytes(&client.list().await?);
    let cpu_before = hub.cpu_seconds();
    std::fs::write(&probe_gate, b"")?;
    let started = Instant::now();
    // While the probe runs: how long the hub, the probe's worker and the probe itself waited for a
    // CPU (run-queue delay from /proc/PID/task/*/schedstat), and how long a `list` request takes.
    let mut sched = SchedWatch::new(hub.pid());
    let mut list_ms = Vec::new();
    let timeout = Duration::from_secs_f64(args.seconds + 30.0);
    let done = loop {
        let asked = Instant::now();
        let tasks = client.list().await?;
        list_ms.push(asked.elapsed().as_secs_f64() * 1e3);
        let Some(task) = tasks.iter().find(|t| t.task_id == probe) else { bail!("probe task vanished") };
        if task.status.is_finished() {
            break Ok(vec![task.clone()]);
        }
        if let Some(pid) = task.pid {
            sched.set_probe(pid);
        }
        sched.sample();
        if started.elapsed() > timeout {
            break Err(anyhow::anyhow!("probe still running after {timeout:?}"));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let wall = started.elapsed().as_secs_f64();
    let hub_cpu = hub.cpu_seconds() - cpu_before;
    let after = flood_bytes(&client.list().await?);
    let _ = std::fs::remove_file(&gate);
    // Problems are correctness failures; notes say that the probe ran out of time.
    let mut problems = Vec::new();
    let mut notes = Vec::new();
    if let Err(err) = &done {
        notes.push(format!("{err:#}"));
        client.kill(&probe).await?;
        if let Err(err) = client.wait_finished(std::slice::from_ref(&probe), Duration::from_secs(60)).await {
            bail!("the probe could not be stopped: {err:#}");
        }
    }

    let mut text = Vec::new();
    client.read_output(&probe, |bytes| text.extend_from_slice(bytes)).await?;
    let text = String::from_utf8_lossy(&text);
    let mut samples = Vec::new();
    let mut written_at = Vec::new();
    for line in text.lines() {
        let mut words = line.split_whitespace();
        let word = words.next();
        if word == Some("VIOLATION") {
            let wall: u64 = words.nth(2).and_then(|w| w.parse().ok()).context("bad VIOLATION line")?;
            written_at.push(wall as f64 / 1e6);
        } else if word == Some("RTT") {
            let n: usize = words.next().and_then(|w| w.parse().ok()).context("bad RTT line")?;
            let ns: u64 = words.next().and_then(|w| w.parse().ok()).context("bad RTT line")?;
            if n != samples.len() {
                problems.push(format!("probe: sample {n} out of order (expected {})", samples.len()));
            }
            samples.push(ns);
        }
    }
    if samples.len() < args.samples {
        notes.push(format!("{} of {} samples in the time allowed", samples.len(), args.samples));
    }
    if let Ok(tasks) = &done {
        if tasks[0].status != (TaskStatus::Exited { code: 0 }) {
            problems.push(format!("probe ended {:?}", tasks[0].status));
        }
    }

    let records = client.interventions(&probe).await?;
    if records.len() < samples.len() {
        problems.push(format!("probe: {} answers but only {} interventions recorded", samples.len(), records.len()));
    }
    let up_ms = records.iter().zip(&written_at).map(|(record, at)| record.at as f64 - at).collect();
    let mut client = hub.client().await?;

    // The gate is gone: the flooders stop on their own; kill any that did not.
    if client.wait_finished(&flooders, Duration::from_secs(20)).await.is_err() {
        for id in &flooders {
            client.kill(id).await?;
        }
        if let Err(err) = client.wait_finished(&flooders, Duration::from_secs(30)).await {
            notes.push(format!("flooders: {err:#}"));
        }
    }
    problems.extend(
        hub.warnings().into_iter().filter(|w| !w.contains("worker process ended")).map(|w| format!("hub: {w}")),
    );
    hub.stop();
    let flood_rate = (after - before) as f64 / wall;
    let row = RttRow {
        flooders: args.flooders,
        flood: args.flood,
        flood_nice: args.flood_nice,
        samples,
        up_ms,
        flood_rate,
        hub_cpu,
        wall,
        sched,
        list_ms,
        problems,
        notes,
    };
    eprintln!("loadgen: {}", row.summary());
    eprintln!("loadgen: {}", row.sched.summary());
    for problem in row.problems.iter().take(10) {
        eprintln!("loadgen:   problem: {problem}");
    }
    for note in &row.notes {
        eprintln!("loadgen:   note: {note}");
    }
    Ok(row)
}

impl RttRow {
    /// Round trip percentile, in ms.
    fn percentile(&self, p: f64) -> f64 {
        percentile(self.samples.iter().map(|&ns| ns as f64 / 1e6).collect(), p)
    }

    /// Child → hub decision, and hub decision → child, percentiles in ms.
    fn split(&self, p: f64) -> (f64, f64) {
        let down = self.samples.iter().zip(&self.up_ms).map(|(&ns, up)| ns as f64 / 1e6 - up).collect();
        (percentile(self.up_ms.clone(), p), percentile(down, p))
    }

    fn summary(&self) -> String {
        let (up50, down50) = self.split(50.0);
        let (up99, down99) = self.split(99.0);
        format!(
            "rtt with {} flooders: p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms ({} samples); \
             child→hub p50 {up50:.0} p99 {up99:.0} ms, hub→child p50 {down50:.0} p99 {down99:.0} ms (±1 ms); \
             `list` replies p50 {:.0} max {:.0} ms",
            self.flooders,
            self.percentile(50.0),
            self.percentile(90.0),
            self.percentile(99.0),
            self.percentile(100.0),
            self.samples.len(),
            percentile(self.list_ms.clone(), 50.0),
            percentile(self.list_ms.clone(), 100.0),
        )
    }
}

/// Run-queue delay of a process: `(on-CPU ns, waiting-for-a-CPU ns, timeslices)`, all threads.
fn schedstat(pid: u32) -> Option<(u64, u64, u64)> {
    let mut total = (0, 0, 0);
    for entry in std::fs::read_dir(format!("/proc/{pid}/task")).ok()? {
        let text = std::fs::read_to_string(entry.ok()?.path().join("schedstat")).ok()?;
        let fields: Vec<u64> = text.split_whitespace().filter_map(|f| f.parse().ok()).collect();
        if let [run, wait, slices] = fields[..] {
            total = (total.0 + run, total.1 + wait, total.2 + slices);
        }
    }
    Some(total)
}

/// Scheduling statistics of the hub, the probe's worker and the probe over the probe's life.
#[derive(Default)]
struct SchedWatch {
    pids: [Option<u32>; 3],
    first: [Option<(u64, u64, u64)>; 3],
    last: [Option<(u64, u64, u64)>; 3],
}

impl SchedWatch {
    fn new(hub: u32) -> Self {
        let mut watch = SchedWatch { pids: [Some(hub), None, None], ..SchedWatch::default() };
        watch.sample();
        watch
    }

    /// The probe's pid; its parent is the worker.
    fn set_probe(&mut self, pid: u32) {
        if self.pids[2].is_some() {
            return;
        }
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let ppid =
            stat.rsplit_once(')').and_then(|(_, rest)| rest.split_whitespace().nth(1)).and_then(|p| p.parse().ok());
        self.pids[1] = ppid;
        self.pids[2] = Some(pid);
    }

    fn sample(&mut self) {
        for i in 0..3 {
            if let Some(stat) = self.pids[i].and_then(schedstat) {
                self.first[i].get_or_insert(stat);
                self.last[i] = Some(stat);
            }
        }
    }

    fn summary(&self) -> String {
        let names = ["hub", "probe's worker", "probe"];
        let mut parts = Vec::new();
        for (i, name) in names.iter().enumerate() {
            if let (Some(a), Some(b)) = (self.first[i], self.last[i]) {
                let (run, wait, slices) = (b.0 - a.0, b.1 - a.1, (b.2 - a.2).max(1));
                parts.push(format!(
                    "{}: {:.0} ms on CPU, {:.0} ms waiting for one, {:.2} ms per wait",
                    name,
                    run as f64 / 1e6,
                    wait as f64 / 1e6,
                    wait as f64 / 1e6 / slices as f64
                ));
            }
        }
        format!("run-queue delay while the probe ran: {}", parts.join("; "))
    }

    /// Average wait for a CPU per timeslice, in ms, of process `i` (0 hub, 1 worker, 2 probe).
    fn wait_per_slice(&self, i: usize) -> f64 {
        match (self.first[i], self.last[i]) {
            (Some(a), Some(b)) => (b.1 - a.1) as f64 / 1e6 / (b.2 - a.2).max(1) as f64,
            _ => f64::NAN,
        }
    }
}

/// Nearest-rank percentile.
fn percentile(mut values: Vec<f64>, p: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * values.len() as f64).ceil().max(1.0) as usize;
    values[rank.min(values.len()) - 1]
}

// ---------------------------------------------------------------------------------------------
// Fan-in

struct FaninRow {
    workers: usize,
    bytes: u64,
    seconds: f64,
    hub_cpu: f64,
    hub_hwm_kib: u64,
    lines_checked: u64,
    problems: Vec<String>,
}

async fn fanin(env: &Env, args: &FaninArgs) -> anyhow::Result<FaninRow> {
    ensure!(args.width >= 12, "--width must be at least 12");
    let per_worker = (args.mib * 1024 * 1024 / args.width) as u64;
    eprintln!("loadgen: fan-in, {} workers × {} lines of {} bytes", args.workers, per_worker, args.width);
    // Room for everything, so the check below can read every byte back.
    let ring = args.mib * 1024 * 1024 + 1024 * 1024;
    let mut hub = HubProcess::start(env, ring).await?;
    let mut client = hub.client().await?;
    let cpu_before = hub.cpu_seconds();
    let mut ids = Vec::new();
    for _ in 0..args.workers {
        let argv = vec![
            "python3".to_owned(),
            "fixtures/loadgen-flood.py".to_owned(),
            per_worker.to_string(),
            args.width.to_string(),
        ];
        ids.push(client.spawn(argv, &env.root).await?);
    }
    let tasks = client.wait_finished(&ids, Duration::from_secs(120)).await?;
    let hub_cpu = hub.cpu_seconds() - cpu_before;
    let (_, hub_hwm_kib) = hub.memory_kib();
    let first = tasks.iter().map(|t| t.started_at).min().unwrap_or(0);
    let last = tasks.iter().filter_map(|t| t.ended_at).max().unwrap_or(first);
    let seconds = (last - first) as f64 / 1000.0;
    let bytes: u64 = tasks.iter().map(|t| t.output_bytes).sum();

    let mut problems = Vec::new();
    let mut lines_checked = 0;
    for task in &tasks {
        if task.status != (TaskStatus::Exited { code: 0 }) {
            problems.push(format!("{}: ended {:?}", task.task_id, task.status));
        }
        let mut check = LineCheck::new(args.width);
        let total = client.read_output(&task.task_id, |bytes| check.feed(bytes)).await?;
        if total != task.output_bytes {
            problems.push(format!("{}: read {total} bytes, list says {}", task.task_id, task.output_bytes));
        }
        problems.extend(check.finish(per_worker).into_iter().map(|p| format!("{}: {p}", task.task_id)));
        lines_checked += check.next;
    }
    problems.extend(
        hub.warnings().into_iter().filter(|w| !w.contains("worker process ended")).map(|w| format!("hub: {w}")),
    );
    hub.stop();
    let row = FaninRow { workers: args.workers, bytes, seconds, hub_cpu, hub_hwm_kib, lines_checked, problems };
    eprintln!(
        "loadgen: fan-in {} workers: {:.1} MB in {:.2} s = {:.1} MB/s; {} lines checked, {} problems",
        row.workers,
        row.bytes as f64 / 1e6,
        row.seconds,
        row.bytes as f64 / 1e6 / row.seconds,
        row.lines_checked,
        row.problems.len()
    );
    for problem in row.problems.iter().take(20) {
        eprintln!("loadgen:   {problem}");
    }
    Ok(row)
}

/// Checks a stream of `loadgen-flood.py` lines: numbered from 0, each exactly once, in order, intact.
struct LineCheck {
    width: usize,
    partial: Vec<u8>,
    next: u64,
    problems: Vec<String>,
}

impl LineCheck {
    fn new(width: usize) -> Self {
        LineCheck { width, partial: Vec::new(), next: 0, problems: Vec::new() }
    }

    fn feed(&mut self, bytes: &[u8]) {
        let mut rest = bytes;
        while let Some(at) = memchr_newline(rest) {
            let (line, tail) = rest.split_at(at + 1);
            rest = tail;
            if self.partial.is_empty() {
                self.check(line);
            } else {
                let mut whole = std::mem::take(&mut self.partial);
                whole.extend_from_slice(line);
                self.check(&whole);
            }
        }
        self.partial.extend_from_slice(rest);
    }

    fn check(&mut self, line: &[u8]) {
        let number = std::str::from_utf8(&line[..line.len().min(9)]).ok().and_then(|n| n.parse::<u64>().ok());
        let intact = line.len() == self.width
            && line[9] == b' '
            && line[10..self.width - 1].iter().all(|&b| b == b'x')
            && line[self.width - 1] == b'\n';
        match number {
            Some(n) if n == self.next && intact => {}
            Some(n) if self.problems.len() < 5 => {
                self.problems.push(format!("line {n} (intact: {intact}) where line {} was expected", self.next));
            }
            None if self.problems.len() < 5 => {
                self.problems.push(format!(
                    "unreadable line where line {} was expected: {:?}",
                    self.next,
                    String::from_utf8_lossy(line)
                ));
            }
            _ => {}
        }
        self.next = number.map_or(self.next + 1, |n| n + 1);
    }

    fn finish(&mut self, expected: u64) -> Vec<String> {
        let mut problems = std::mem::take(&mut self.problems);
        if !self.partial.is_empty() {
            problems.push(format!("{} bytes after the last newline", self.partial.len()));
        }
        if self.next != expected {
            problems.push(format!("last line {} of {expected}", self.next));
        }
        problems
    }
}

fn memchr_newline(bytes: &[u8]) -> Option<usize> {
    memchr::memchr(b'\n', bytes)
}

// ---------------------------------------------------------------------------------------------
// Memory per worker

struct MemoryRow {
    workers: usize,
    idle_kib: u64,
    loaded_kib: u64,
    after_kill_kib: u64,
}

async fn memory(env: &Env, workers: usize) -> anyhow::Result<MemoryRow> {
    eprintln!("loadgen: memory, {workers} quiet workers");
    let mut hub = HubProcess::start(env, 8 * 1024 * 1024).await?;
    let mut client = hub.client().await?;
    client.list().await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (idle_kib, _) = hub.memory_kib();
    let mut ids = Vec::new();
    for _ in 0..workers {
        ids.push(client.spawn(strings(&["sleep", "600"]), &env.root).await?);
    }
    client.wait_running(&ids, |task| task.pid.is_some()).await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (loaded_kib, _) = hub.memory_kib();
    for id in &ids {
        client.kill(id).await?;
    }
    client.wait_finished(&ids, Duration::from_secs(30)).await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (after_kill_kib, _) = hub.memory_kib();
    hub.stop();
    let row = MemoryRow { workers, idle_kib, loaded_kib, after_kill_kib };
    eprintln!(
        "loadgen: memory: {} KiB idle, {} KiB with {workers} workers = {:.1} KiB per worker; {} KiB after they ended",
        idle_kib,
        loaded_kib,
        row.per_worker(),
        after_kill_kib
    );
    Ok(row)
}

impl MemoryRow {
    fn per_worker(&self) -> f64 {
        (self.loaded_kib as f64 - self.idle_kib as f64) / self.workers as f64
    }
}

// ---------------------------------------------------------------------------------------------
// The report

#[derive(Default)]
struct Report {
    rtt: Vec<RttRow>,
    fanin: Vec<FaninRow>,
    memory: Vec<MemoryRow>,
}

impl Report {
    fn markdown(&self) -> String {
        let mut out = String::new();
        if !self.rtt.is_empty() {
            out.push_str(
                "| round trip | samples | p50 | p99 | max | child→hub p50 / p99 | hub→child p50 / p99 | `list` reply p50 / max | flood through hub | hub CPU | CPU wait per wakeup: hub / worker / probe | problems | notes |\n",
            );
            out.push_str("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|\n");
            for row in &self.rtt {
                let mut load = match (row.flooders, row.flood) {
                    (0, _) => "alone".to_owned(),
                    (n, Flood::Lines) => format!("{n} flooders, `echo` loop"),
                    (n, Flood::Blocks) => format!("{n} flooders, 64 KiB writes"),
                    (n, Flood::Danger) => format!("{n} flooders, `rm -rf /` ignoring SIGTERM"),
                };
                if row.flooders > 0 && row.flood_nice != 0 {
                    let _ = write!(load, ", nice {}", row.flood_nice);
                }
                let (up50, down50) = row.split(50.0);
                let (up99, down99) = row.split(99.0);
                let _ = writeln!(
                    out,
                    "| {load} | {} | {:.2} ms | {:.2} ms | {:.2} ms | {up50:.0} / {up99:.0} ms | {down50:.0} / {down99:.0} ms | {:.0} / {:.0} ms | {} | {:.0}% | {:.2} / {:.2} / {:.2} ms | {} | {} |",
                    row.samples.len(),
                    row.percentile(50.0),
                    row.percentile(99.0),
                    row.percentile(100.0),
                    percentile(row.list_ms.clone(), 50.0),
                    percentile(row.list_ms.clone(), 100.0),
                    if row.flooders == 0 { "–".to_owned() } else { format!("{:.1} MB/s", row.flood_rate / 1e6) },
                    100.0 * row.hub_cpu / row.wall,
                    row.sched.wait_per_slice(0),
                    row.sched.wait_per_slice(1),
                    row.sched.wait_per_slice(2),
                    problems_cell(&row.problems),
                    row.notes.join("; "),
                );
            }
            out.push('\n');
        }
        if !self.fanin.is_empty() {
            out.push_str("| fan-in workers | MB total | seconds | MB/s at the hub | hub CPU s/GB | hub peak RSS | lines checked | lost / dup / out of order |\n");
            out.push_str("|---:|---:|---:|---:|---:|---:|---:|---|\n");
            for row in &self.fanin {
                let _ = writeln!(
                    out,
                    "| {} | {:.0} | {:.2} | {:.1} | {:.1} | {:.0} MiB | {} | {} |",
                    row.workers,
                    row.bytes as f64 / 1e6,
                    row.seconds,
                    row.bytes as f64 / 1e6 / row.seconds,
                    row.hub_cpu / (row.bytes as f64 / 1e9),
                    row.hub_hwm_kib as f64 / 1024.0,
                    row.lines_checked,
                    problems_cell(&row.problems),
                );
            }
            out.push('\n');
        }
        if !self.memory.is_empty() {
            out.push_str("| quiet workers | hub RSS idle | hub RSS with workers | per worker | after they ended |\n");
            out.push_str("|---:|---:|---:|---:|---:|\n");
            for row in &self.memory {
                let _ = writeln!(
                    out,
                    "| {} | {:.1} MiB | {:.1} MiB | {:.0} KiB | {:.1} MiB |",
                    row.workers,
                    row.idle_kib as f64 / 1024.0,
                    row.loaded_kib as f64 / 1024.0,
                    row.per_worker(),
                    row.after_kill_kib as f64 / 1024.0,
                );
            }
        }
        out
    }
}

fn problems_cell(problems: &[String]) -> String {
    if problems.is_empty() {
        return "none".to_owned();
    }
    let first = problems[0].replace('|', "\\|");
    format!("{} (first: {})", problems.len(), first.chars().take(120).collect::<String>())
}
