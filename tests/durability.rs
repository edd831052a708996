//! Nothing lost: a cut worker socket, a hub killed with SIGKILL, a clean SIGTERM, history across
//! restarts, and live rule reload — all against the real binary.

mod live_support;

use std::io::Write as _;
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::Duration;

use live_support::{connections_of, eventually, fixture, run_within, send_signal, Finished, Proc, Sandbox, DEADLINE};

/// A hub on a fixed port and state dir, so it can be stopped and started again as "the same hub".
struct Hub {
    sandbox: Sandbox,
    port: u16,
    rules: String,
    /// More arguments to `axiom serve`.
    extra: Vec<String>,
    /// Whether the hub may put tasks in cgroups (off unless a test asks: see `live_support`).
    cgroups: bool,
    serve: Option<Proc>,
}

impl Hub {
    fn new(rules_yaml: &str) -> Hub {
        Hub::with_args(rules_yaml, &[])
    }

    fn with_args(rules_yaml: &str, extra: &[&str]) -> Hub {
        Hub::started(rules_yaml, extra, false)
    }

    fn with_cgroups(rules_yaml: &str, extra: &[&str]) -> Hub {
        Hub::started(rules_yaml, extra, true)
    }

    fn started(rules_yaml: &str, extra: &[&str], cgroups: bool) -> Hub {
        let sandbox = Sandbox::new();
        std::fs::create_dir(sandbox.path("rules")).unwrap();
        let rules = sandbox.write("rules/rules.yaml", rules_yaml);
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let extra = extra.iter().map(|arg| arg.to_string()).collect();
        let mut hub = Hub { sandbox, port, rules, extra, cgroups, serve: None };
        hub.start();
        hub
    }

    fn start(&mut self) {
        let state = self.sandbox.path("state").display().to_string();
        let rules_dir = self.sandbox.path("rules").display().to_string();
        let listen = format!("127.0.0.1:{}", self.port);
        let mut args = vec!["serve", "--listen", &listen, "--state-dir", &state, "--rules", &rules_dir];
        if !self.extra.iter().any(|arg| arg == "--lost-after") {
            args.extend(["--lost-after", "20s"]);
        }
        args.extend(self.extra.iter().map(String::as_str));
        let mut command = self.sandbox.axiom(&args);
        if self.cgroups {
            command.env_remove("AXIOM_NO_CGROUPS");
        }
        let mut serve = Proc::spawn(command, "axiom serve");
        serve.wait_for_stderr("hub listening on");
        self.serve = Some(serve);
    }

    fn serve(&mut self) -> &mut Proc {
        self.serve.as_mut().expect("the hub runs")
    }

    fn client(&self, args: &[&str]) -> Command {
        let mut all = vec!["client"];
        all.extend_from_slice(args);
        let mut command = self.sandbox.axiom(&all);
        command.env("AXIOM_STATE_DIR", self.sandbox.path("state"));
        command
    }

    #[track_caller]
    fn run_client(&self, args: &[&str]) -> Finished {
        run_within(self.client(args), DEADLINE)
    }

    /// Starts a task without staying subscribed (so cutting client sockets never matters).
    #[track_caller]
    fn spawn_detached(&self, line: &str) -> String {
        let mut client = Proc::spawn(self.client(&["--command", line]), "axiom client");
        let id = client.wait_for_task_id();
        client.signal(libc::SIGKILL);
        id
    }

    #[track_caller]
    fn status_of(&self, id: &str) -> serde_json::Value {
        let run = self.run_client(&["list", "--format", "json"]);
        run.assert_code(0);
        let tasks: Vec<serde_json::Value> = serde_json::from_str(&run.stdout).unwrap();
        tasks.into_iter().find(|t| t["task_id"] == id).unwrap_or_else(|| panic!("no task {id}: {}", run.stdout))
    }

    #[track_caller]
    fn wait_for_state(&self, id: &str, state: &str) -> serde_json::Value {
        eventually(&format!("task {id} to be {state}"), DEADLINE, || {
            let task = self.status_of(id);
            if task["status"] == state {
                Ok(task)
            } else {
                Err(task.to_string())
            }
        })
    }

    #[track_caller]
    fn stored_output(&self, id: &str) -> String {
        let run = self.run_client(&["output", id]);
        run.assert_code(0);
        run.stdout
    }
}

/// Exactly `line 0` .. `line n-1`, once each, in order.
#[track_caller]
fn assert_counted(output: &str, n: usize) {
    let expected: Vec<String> = (0..n).map(|i| format!("line {i}")).collect();
    let got: Vec<&str> = output.lines().collect();
    if got != expected {
        let first_bad = got.iter().zip(&expected).position(|(g, e)| g != e).unwrap_or(got.len().min(n));
        panic!(
            "output differs from line {first_bad} on ({} lines, expected {n}): {:?}",
            got.len(),
            &got[first_bad.saturating_sub(2)..(first_bad + 3).min(got.len())]
        );
    }
}

/// The processes, not zombies, whose command line holds `needle`.
fn live_processes_naming(needle: &str) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    entries
        .flatten()
        .filter_map(|entry| {
            let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
            let cmdline = std::fs::read(entry.path().join("cmdline")).ok()?;
            let stat = std::fs::read_to_string(entry.path().join("stat")).ok()?;
            let state = stat.rsplit_once(')')?.1.split_whitespace().next()?.to_owned();
            let names = cmdline.split(|&b| b == 0).any(|arg| arg == needle.as_bytes());
            (names && state != "Z").then_some(pid)
        })
        .collect()
}

fn worker_pid_of(task_id: &str) -> Option<u32> {
    let out = Command::new("pgrep").args(["-f", &format!("worker .*--task-id {task_id}")]).output().ok()?;
    String::from_utf8_lossy(&out.stdout).lines().next()?.trim().parse().ok()
}

#[test]
fn a_cut_worker_socket_resumes_with_exactly_once_output() {
    if Command::new("ss").arg("-V").output().is_err() {
        eprintln!("skipped: `ss` (iproute2) is not installed; it is what cuts the socket");
        return;
    }
    let hub = Hub::new("rules: []\n");
    let id = hub.spawn_detached(&format!("{} 3000", fixture("counter.sh")));
    let worker = eventually("the worker process", DEADLINE, || worker_pid_of(&id).ok_or("not yet".to_owned()));
    let mut cuts = 0;
    for _ in 0..3 {
        let ports = eventually("the worker's connection", DEADLINE, || {
            let ports = connections_of(worker, hub.port);
            if ports.is_empty() {
                Err("no connection".into())
            } else {
                Ok(ports)
            }
        });
        for port in ports {
            let killed = Command::new("ss")
                .args(["-K", "sport", "=", &format!(":{port}"), "dport", "=", &format!(":{}", hub.port)])
                .output()
                .unwrap();
            if killed.status.success() {
                cuts += 1;
            }
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    assert!(cuts > 0, "no socket could be cut");
    hub.wait_for_state(&id, "exited");
    assert_counted(&hub.stored_output(&id), 3000);
}

#[test]
fn a_hub_killed_with_sigkill_and_restarted_keeps_its_tasks_and_workers() {
    let mut hub = Hub::new("rules: []\n");
    let id = hub.spawn_detached(&format!("{} 2000", fixture("counter.sh")));
    eventually("some output", DEADLINE, || {
        let bytes = hub.status_of(&id)["output_bytes"].as_u64().unwrap_or(0);
        if bytes > 0 {
            Ok(())
        } else {
            Err("none yet".into())
        }
    });
    hub.serve().signal(libc::SIGKILL);
    let _ = hub.serve.take().unwrap().finish_within(DEADLINE);
    std::thread::sleep(Duration::from_millis(300));
    hub.start();
    let task = hub.wait_for_state(&id, "exited");
    assert_eq!(task["exit_code"], 0);
    assert_counted(&hub.stored_output(&id), 2000);
}

#[test]
fn workers_end_their_command_once_the_hub_has_been_gone_for_its_reconnect_window() {
    let mut hub = Hub::with_args("rules: []\n", &["--reconnect-window", "1s"]);
    let id = hub.spawn_detached("sleep 600");
    let worker = eventually("the worker process", DEADLINE, || worker_pid_of(&id).ok_or("not yet".to_owned()));
    let child = eventually("the command", DEADLINE, || {
        let out = Command::new("pgrep").args(["-P", &worker.to_string()]).output().map_err(|err| err.to_string())?;
        String::from_utf8_lossy(&out.stdout).lines().next().and_then(|pid| pid.trim().parse().ok()).ok_or("none".into())
    });
    hub.serve().signal(libc::SIGKILL);
    let _ = hub.serve.take().unwrap().finish_within(DEADLINE);
    // The default window is 60 s: only the hub's --reconnect-window ends them within the deadline.
    all_end("the worker and its command to end", &[worker, child]);
}

/// Waits until none of `pids` runs.
#[track_caller]
fn all_end(what: &str, pids: &[u32]) {
    eventually(what, DEADLINE, || {
        let running: Vec<u32> = pids.iter().copied().filter(|&pid| live_support::alive(pid)).collect();
        if running.is_empty() {
            Ok(())
        } else {
            Err(format!("still running: {running:?}"))
        }
    });
}

/// A test hub that made cgroups ends what is left in them (a failed test's tasks), so that they
/// are not left on the machine; the hub then removes its own place as it shuts down.
impl Drop for Hub {
    fn drop(&mut self) {
        if !self.cgroups {
            return;
        }
        let Ok(tasks) = std::fs::read_dir(self.sandbox.path("state").join("tasks")) else { return };
        for task in tasks.flatten() {
            let Some(cgroup) = cgroup_in_history(self, &task.file_name().to_string_lossy()) else { continue };
            let _ = std::fs::write(cgroup.join("cgroup.kill"), "1");
            let _ = remove_when_empty(&cgroup, Duration::from_secs(5));
        }
    }
}

/// Removes an emptied cgroup, trying for up to `patience` while its processes die.
fn remove_when_empty(cgroup: &std::path::Path, patience: Duration) -> bool {
    let until = std::time::Instant::now() + patience;
    while std::fs::remove_dir(cgroup).is_err() && cgroup.exists() {
        if std::time::Instant::now() > until {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    true
}

impl Hub {
    /// Kills the hub with SIGKILL, starts it again, and waits until it counts task `id` lost.
    #[track_caller]
    fn restart_until_lost(&mut self, id: &str) {
        self.serve().signal(libc::SIGKILL);
        let _ = self.serve.take().unwrap().finish_within(DEADLINE);
        self.start();
        self.wait_for_state(id, "lost");
    }
}

/// A child that stops its worker (so the worker can neither report nor end it) and then waits
/// for the hub to be restarted does not run on: the new hub did not start that worker, so when the
/// task is lost it finds the worker by its command line and ends it, with everything below it.
#[test]
fn a_child_that_stops_its_worker_does_not_outlive_it_across_a_hub_restart() {
    let mut hub = Hub::with_args("rules: []\n", &["--lost-after", "2s"]);
    let pidfile = hub.sandbox.path("child.pid");
    let line = format!("kill -STOP $PPID; echo $$ > {}; while :; do sleep 0.1; done", pidfile.display());
    let id = hub.spawn_detached(&line);
    let child: u32 = eventually("the child's pid file", DEADLINE, || {
        let text = std::fs::read_to_string(&pidfile).map_err(|err| err.to_string())?;
        text.trim().parse().map_err(|_| format!("{text:?}"))
    });
    let worker = eventually("the worker process", DEADLINE, || worker_pid_of(&id).ok_or("not yet".to_owned()));
    hub.restart_until_lost(&id);
    all_end("the stopped worker and its child to be ended", &[worker, child]);
}

/// The same with a child that forks and exits in a loop behind its stopped worker, so that no
/// single look at the process table finds it: it is ended too, not orphaned to init.
#[test]
fn a_child_that_forks_in_a_loop_behind_its_stopped_worker_is_ended_across_a_hub_restart() {
    let mut hub = Hub::with_args("rules: []\n", &["--lost-after", "2s"]);
    let marker = format!("axiom-fork-loop-{}", std::process::id());
    // Stops its worker, waits for the hub to die (the worker's parent changes), then forks on.
    let walker = "import os, time\n\
                  worker = os.getppid()\n\
                  os.kill(worker, 19)\n\
                  parent = lambda: open(\"/proc/%d/stat\" % worker).read().rsplit(\")\", 1)[1].split()[1]\n\
                  first = parent()\n\
                  while parent() == first: time.sleep(0.05)\n\
                  while True:\n    if os.fork(): os._exit(0)\n    time.sleep(0.002)";
    let line = format!("exec python3 -c '{walker}' {marker}");
    let id = hub.spawn_detached(&line);
    // Each process of the loop lives a few milliseconds, so one look can miss them all: the
    // loop counts as running if any look in 300 ms finds one of its processes alive.
    let running = || {
        let until = std::time::Instant::now() + Duration::from_millis(300);
        let mut seen = Vec::new();
        while std::time::Instant::now() < until && seen.is_empty() {
            seen = live_processes_naming(&marker);
        }
        seen
    };
    eventually("the fork loop", DEADLINE, || if running().is_empty() { Err("not yet".to_owned()) } else { Ok(()) });
    hub.restart_until_lost(&id);
    eventually("the fork loop to be ended", DEADLINE, || {
        let left = running();
        if left.is_empty() {
            Ok(())
        } else {
            Err(format!("still running: {left:?}"))
        }
    });
}

/// The cgroup a task's history records, if it records one yet.
fn cgroup_in_history(hub: &Hub, id: &str) -> Option<std::path::PathBuf> {
    let history =
        std::fs::read_to_string(hub.sandbox.path("state").join("tasks").join(id).join("events.jsonl")).ok()?;
    history.lines().find_map(|line| {
        let event: serde_json::Value = serde_json::from_str(line).ok()?;
        event["path"].as_str().filter(|_| event["type"] == "cgroup").map(std::path::PathBuf::from)
    })
}

/// The cgroup the hub made for a task, once its history records it (the hub records it after the
/// worker has started); `None` when the hub made none: the worker is not in a cgroup named after
/// the task.
fn recorded_cgroup(hub: &Hub, id: &str, worker: u32) -> Option<std::path::PathBuf> {
    let membership = std::fs::read_to_string(format!("/proc/{worker}/cgroup")).unwrap_or_default();
    if !membership.lines().any(|line| line.trim_end().ends_with(&format!("/{id}"))) {
        return None;
    }
    Some(eventually("the task's cgroup in its history", DEADLINE, || {
        cgroup_in_history(hub, id).ok_or_else(|| "not recorded yet".to_owned())
    }))
}

/// Waits until the hub has removed the cgroup at `cgroup`.
#[track_caller]
fn wait_until_removed(cgroup: &std::path::Path) {
    eventually("the task's cgroup to be removed", DEADLINE, || {
        if cgroup.exists() {
            Err(format!("{} is still there", cgroup.display()))
        } else {
            Ok(())
        }
    });
}

/// Where the hub may make cgroups, a task's worker and command run in one named after the task,
/// recorded in its history; once the task ends, the cgroup is gone.
#[test]
fn a_task_runs_in_a_cgroup_of_its_own_that_goes_with_it() {
    let hub = Hub::with_cgroups("rules: []\n", &[]);
    let id = hub.spawn_detached("sleep 300");
    let worker = eventually("the worker process", DEADLINE, || worker_pid_of(&id).ok_or("not yet".to_owned()));
    let Some(cgroup) = recorded_cgroup(&hub, &id, worker) else {
        eprintln!("skipped: the hub may not make cgroups here (no cgroup in the task's history)");
        return;
    };
    assert!(cgroup.ends_with(&id), "{}", cgroup.display());
    let members = std::fs::read_to_string(cgroup.join("cgroup.procs")).unwrap();
    let members: Vec<u32> = members.lines().map(|pid| pid.parse().unwrap()).collect();
    assert!(members.contains(&worker) && members.len() >= 2, "the worker and its command: {members:?}");
    hub.run_client(&["kill", &id]).assert_code(0);
    hub.wait_for_state(&id, "killed");
    wait_until_removed(&cgroup);
}

/// A task restored after a hub restart, whose worker came back, has its cgroup ended once it
/// finishes, though this hub did not start (and so never reaps) its worker.
#[test]
fn a_restored_task_that_finishes_has_its_cgroup_ended() {
    let mut hub = Hub::with_cgroups("rules: []\n", &[]);
    let id = hub.spawn_detached("sleep 300");
    let worker = eventually("the worker process", DEADLINE, || worker_pid_of(&id).ok_or("not yet".to_owned()));
    let Some(cgroup) = recorded_cgroup(&hub, &id, worker) else {
        eprintln!("skipped: the hub may not make cgroups here (no cgroup in the task's history)");
        return;
    };
    hub.serve().signal(libc::SIGKILL);
    let _ = hub.serve.take().unwrap().finish_within(DEADLINE);
    hub.start();
    eventually("the worker to come back", DEADLINE, || {
        let run = hub.run_client(&["kill", &id]);
        if run.code == Some(0) {
            Ok(())
        } else {
            Err(run.stderr)
        }
    });
    hub.wait_for_state(&id, "killed");
    all_end("the worker", &[worker]);
    wait_until_removed(&cgroup);
}

/// A child that stops its worker, waits for the hub to die, starts a `setsid` grandchild and then
/// kills the worker leaves that grandchild orphaned to init, where no process tree leads to it:
/// the restarted hub ends it through the task's cgroup (where the hub may make cgroups).
#[test]
fn a_grandchild_orphaned_to_init_behind_a_killed_worker_is_ended_through_the_tasks_cgroup() {
    let mut hub = Hub::with_cgroups("rules: []\n", &["--lost-after", "2s"]);
    let pidfile = hub.sandbox.path("grandchild.pid");
    let hostile = "import os, sys, time\n\
                   worker = os.getppid()\n\
                   parent = lambda: open(\"/proc/%d/stat\" % worker).read().rsplit(\")\", 1)[1].split()[1]\n\
                   first = parent()\n\
                   os.kill(worker, 19)\n\
                   while parent() == first: time.sleep(0.05)\n\
                   if os.fork() == 0:\n    os.setsid()\n    open(sys.argv[1], \"w\").write(str(os.getpid()))\n    \
                   while True: time.sleep(0.1)\n\
                   while not os.path.exists(sys.argv[1]): time.sleep(0.01)\n\
                   os.kill(worker, 9)";
    let id = hub.spawn_detached(&format!("exec python3 -c '{hostile}' {}", pidfile.display()));
    let worker = eventually("the worker process", DEADLINE, || worker_pid_of(&id).ok_or("not yet".to_owned()));
    let contained = std::fs::read_to_string(format!("/proc/{worker}/cgroup")).unwrap_or_default();
    if !contained.lines().any(|line| line.starts_with("0::") && line.ends_with(&format!("/{id}"))) {
        eprintln!("skipped: the hub may not make cgroups here (the worker is in {contained:?})");
        return;
    }
    // The child has looked at its worker's parent once it has stopped it.
    eventually("the child to stop its worker", DEADLINE, || match live_support::process_state(worker) {
        Some('T') => Ok(()),
        state => Err(format!("{state:?}")),
    });
    hub.restart_until_lost(&id);
    let grandchild: u32 = eventually("the grandchild's pid file", DEADLINE, || {
        let text = std::fs::read_to_string(&pidfile).map_err(|err| err.to_string())?;
        text.trim().parse().map_err(|_| format!("{text:?}"))
    });
    let ended = std::panic::catch_unwind(|| all_end("the orphaned grandchild to be ended", &[worker, grandchild]));
    // SAFETY: kill has no memory-safety preconditions; a test that failed must not leave it running.
    unsafe { libc::kill(grandchild as libc::pid_t, libc::SIGKILL) };
    if let Err(failed) = ended {
        std::panic::resume_unwind(failed);
    }
}

#[test]
fn sigterm_shuts_down_cleanly_and_history_survives_the_restart() {
    let mut hub = Hub::new("rules:\n  - id: marker\n    match: { literals: [\"line 3\"] }\n");
    let id = hub.spawn_detached(&format!("{} 10", fixture("counter.sh")));
    hub.wait_for_state(&id, "exited");
    let before = hub.status_of(&id);
    hub.serve().signal(libc::SIGTERM);
    let stopped = hub.serve.take().unwrap().finish_within(DEADLINE);
    stopped.assert_code(0);
    assert!(stopped.stderr.contains("shutting down"), "{}", stopped.stderr);

    hub.start();
    assert!(hub.serve().stderr().contains("restored 1 task "), "{}", hub.serve().stderr());
    let after = hub.status_of(&id);
    assert_eq!(after, before, "the listing is the same after a restart");
    assert_eq!(after["interventions"], 1);
    assert_counted(&hub.stored_output(&id), 10);
    let tail = hub.run_client(&["tail", &id, "-n", "2"]);
    assert_eq!(tail.stdout, "line 8\nline 9\n");
}

#[test]
fn a_good_rule_edit_takes_effect_live_and_a_bad_one_is_rejected() {
    let mut hub = Hub::new("rules:\n  - id: alpha\n    match: { literals: [alpha] }\n");
    let id = hub.spawn_detached("while read line; do echo \"$line\"; done");
    hub.wait_for_state(&id, "running");
    let interventions = |hub: &Hub| hub.status_of(&id)["interventions"].as_u64().unwrap();
    let say = |hub: &Hub, text: &str| hub.run_client(&["send", &id, text]).assert_code(0).code;

    say(&hub, "beta one");
    say(&hub, "alpha one");
    eventually("the alpha rule to fire", DEADLINE, || if interventions(&hub) == 1 { Ok(()) } else { Err("0".into()) });

    std::fs::write(&hub.rules, "rules:\n  - id: beta\n    match: { literals: [beta] }\n").unwrap();
    hub.serve().wait_for_stderr("reloaded 1 rule from");
    say(&hub, "alpha two");
    say(&hub, "beta two");
    eventually("the beta rule to fire", DEADLINE, || {
        if interventions(&hub) == 2 {
            Ok(())
        } else {
            Err(interventions(&hub).to_string())
        }
    });
    let rules = hub.run_client(&["rules", "--format", "json"]);
    let rules: serde_json::Value = serde_json::from_str(&rules.stdout).unwrap();
    assert_eq!(rules["rules"][0]["id"], "beta");
    assert!(rules["loaded_at"].as_u64().unwrap() > 0);

    std::fs::write(&hub.rules, "rules:\n  - id: gamma\n    match: { literals: [gamma] }\n    cooldwon: 1s\n").unwrap();
    let log = hub.serve().wait_for_stderr("previous rules stay in force");
    assert!(log.contains("rules.yaml:4:5: "), "the problem is located: {log}");
    say(&hub, "beta three");
    eventually("the old rules to keep working", DEADLINE, || {
        if interventions(&hub) == 3 {
            Ok(())
        } else {
            Err(interventions(&hub).to_string())
        }
    });
    hub.run_client(&["kill", &id]).assert_code(0);
    let _ = send_signal;
}

#[test]
fn a_command_sent_while_the_worker_is_away_is_delivered_exactly_once_across_a_hub_restart() {
    let mut hub = Hub::new("rules: []\n");
    let id = hub.spawn_detached("while read line; do echo \"got $line\"; done");
    hub.wait_for_state(&id, "running");
    let worker = eventually("the worker process", DEADLINE, || worker_pid_of(&id).ok_or("not yet".to_owned()));

    // The worker cannot read or answer: the command waits in the hub's log (and perhaps in the
    // dead socket's buffer, which the worker may still read before it notices the hub is gone).
    send_signal(worker, libc::SIGSTOP);
    hub.run_client(&["send", &id, "hello"]).assert_code(0);
    let history = hub.sandbox.path(&format!("state/tasks/{id}/events.jsonl"));
    eventually("the command in the history", DEADLINE, || {
        let text = std::fs::read_to_string(&history).unwrap_or_default();
        if text.contains(r#""type":"command""#) {
            Ok(())
        } else {
            Err(text)
        }
    });
    hub.serve().signal(libc::SIGKILL);
    let _ = hub.serve.take().unwrap().finish_within(DEADLINE);
    hub.start();
    send_signal(worker, libc::SIGCONT);

    eventually("the command to be delivered", DEADLINE, || {
        let output = hub.stored_output(&id);
        if output.contains("got hello") {
            Ok(())
        } else {
            Err(output)
        }
    });
    hub.run_client(&["send", &id, "bye"]).assert_code(0);
    let output = eventually("the next command", DEADLINE, || {
        let output = hub.stored_output(&id);
        if output.contains("got bye") {
            Ok(output)
        } else {
            Err(output)
        }
    });
    assert_eq!(output, "got hello\ngot bye\n", "each command once, in order");
    // The history is written behind what the hub shows, and the second ack may follow the output.
    let count_acks =
        || std::fs::read_to_string(&history).unwrap().lines().filter(|l| l.contains(r#""type":"ack""#)).count();
    eventually("both acknowledgements in the history", DEADLINE, || match count_acks() {
        acks if acks >= 2 => Ok(()),
        acks => Err(format!("{acks} acknowledgements")),
    });
    assert_eq!(count_acks(), 2, "one acknowledgement per command");
    hub.run_client(&["kill", &id]).assert_code(0);
}

/// A client following its task (`client --command`) across two hub restarts, one after SIGKILL and
/// one after a clean SIGTERM, shows every line the task printed exactly once and in order: it dials
/// the restarted hub and subscribes from the first byte it has not shown.
#[test]
fn a_following_client_shows_every_line_once_across_hub_restarts() {
    let mut hub = Hub::new("rules: []\n");
    let stop = hub.sandbox.path("stop");
    let line = format!("{} {}", fixture("stream-until.sh"), stop.display());
    let mut client = Proc::spawn(hub.client(&["--command", &line]), "axiom client --command");
    let id = client.wait_for_task_id();
    let lines_shown = |client: &Proc| client.stdout().lines().count();
    for (restart, signal) in [libc::SIGKILL, libc::SIGTERM].into_iter().enumerate() {
        // Some output since the last (re)connection, so the restart falls in the middle of it.
        let before = lines_shown(&client);
        eventually("new output on the client", DEADLINE, || {
            if lines_shown(&client) > before + 100 {
                Ok(())
            } else {
                Err(lines_shown(&client).to_string())
            }
        });
        hub.serve().signal(signal);
        let _ = hub.serve.take().unwrap().finish_within(DEADLINE);
        hub.start();
        eventually("the client to reconnect", DEADLINE, || {
            let reconnected = client.stderr().matches("axiom: reconnected").count();
            if reconnected == restart + 1 {
                Ok(())
            } else {
                Err(client.stderr())
            }
        });
    }
    let before = lines_shown(&client);
    eventually("output after the last restart", DEADLINE, || {
        if lines_shown(&client) > before + 100 {
            Ok(())
        } else {
            Err(lines_shown(&client).to_string())
        }
    });
    std::fs::write(&stop, "").unwrap();
    let finished = client.finish_within(DEADLINE);
    finished.assert_code(0);
    assert_counted(&finished.stdout, finished.stdout.lines().count());
    assert_eq!(finished.stdout, hub.stored_output(&id), "the client showed what the hub stored");
    assert_eq!(finished.stderr.matches("lost the hub").count(), 2, "{}", finished.stderr);
}

/// `client --command` fed through its stdin while the hub is killed (SIGKILL) and stopped
/// (SIGTERM) and started again, each time while the command is not reading, so the hub has as much
/// input waiting for the worker as it allows and the client's next chunk waits for room: every
/// line reaches the command once and in order. The chunk in flight at a restart is sent again;
/// the restarted hub writes what it had not taken, and only that.
#[test]
fn input_piped_through_a_following_client_reaches_its_command_once_across_hub_restarts() {
    const LINES: usize = 700_000; // about 8 MB: more than the hub keeps waiting for a worker
    let mut hub = Hub::new("rules: []\n");
    let go = hub.sandbox.path("go");
    let line = format!("while [ ! -e {} ]; do sleep 0.05; done; cat", go.display());
    let command = hub.client(&["--command", &line]);
    let mut client = Proc::spawn_with_stdin(command, "axiom client --command", Stdio::piped());
    let mut stdin = client.take_stdin();
    let id = client.wait_for_task_id();
    let writer = std::thread::spawn(move || {
        let text: String = (0..LINES).map(|i| format!("line {i}\n")).collect();
        stdin.write_all(text.as_bytes()).unwrap();
    });
    let history = hub.sandbox.path(&format!("state/tasks/{id}/events.jsonl"));
    let input_waiting = || {
        let text = std::fs::read_to_string(&history).unwrap_or_default();
        let inputs = text.matches("{\"type\":\"command\",\"command\":{\"type\":\"pipe\"").count();
        inputs.saturating_sub(text.matches("{\"type\":\"ack\"").count())
    };
    for (restart, signal) in [libc::SIGKILL, libc::SIGTERM].into_iter().enumerate() {
        eventually("the client to be connected", DEADLINE, || {
            match client.stderr().matches("axiom: reconnected").count() {
                reconnected if reconnected == restart => Ok(()),
                _ => Err(client.stderr()),
            }
        });
        eventually("the hub to hold all the input it allows", DEADLINE, || match input_waiting() {
            waiting if waiting >= 64 => Ok(()),
            waiting => Err(format!("{waiting} input commands wait for the worker")),
        });
        hub.serve().signal(signal);
        let _ = hub.serve.take().unwrap().finish_within(DEADLINE);
        hub.start();
    }
    std::fs::write(&go, "").unwrap();
    writer.join().unwrap();
    let finished = client.finish_within(DEADLINE);
    finished.assert_code(0);
    assert_counted(&finished.stdout, LINES);
    assert_eq!(finished.stderr.matches("lost the hub").count(), 2, "{}", finished.stderr);
    assert!(!finished.stderr.contains("standard input"), "{}", finished.stderr);
}
