//! `axiom serve` with `axiom client`, driven through the real binary over real sockets: many
//! concurrent `--command` runs with no cross-talk, a worker that dies mid-stream while another
//! task carries on, and the task subcommands (`list`, `tail`, `interventions`, `send`, `interrupt`, `kill`).

mod live_support;

use std::process::Stdio;
use std::time::Duration;

use axiom::protocol::TaskStatus;
use live_support::{alive, cmdline_of, eventually, fixture, parent_of, send_signal, Hub, Proc, DEADLINE};

/// A rule for the intervention checks; nothing else the tests print matches it.
const RULES: &str = r#"
rules:
  - id: shouty
    match: { literals: ["LOUD-OUT"] }
  - id: proceed-prompt
    match: { regex: ['Proceed\? \(y/n\)'] }
    action: inject
    message: "y"
"#;

#[test]
fn twenty_concurrent_clients_each_get_exactly_their_own_output_and_exit_code() {
    const CLIENTS: usize = 20;
    const LINES: usize = 25;
    let hub = Hub::start(RULES, &[]);
    let server = hub.http_url();
    let clients: Vec<Proc> = (0..CLIENTS)
        .map(|k| {
            // Half the lines, a pause so every client is mid-stream at once, the other half.
            let line = format!(
                "i=1; while [ $i -le {LINES} ]; do echo \"client-{k} out-$i\"; echo \"client-{k} err-$i\" >&2; \
                 if [ $i -eq {half} ]; then sleep 0.2; fi; i=$((i+1)); done; exit {k}",
                half = LINES / 2
            );
            Proc::spawn(hub.client(&["--server", &server, "--command", &line]), format!("client {k}"))
        })
        .collect();
    for (k, client) in clients.into_iter().enumerate() {
        let run = client.finish();
        run.assert_code(k as i32);
        let expected: Vec<String> = (1..=LINES).map(|i| format!("client-{k} out-{i}")).collect();
        assert_eq!(run.stdout_lines(), expected, "client {k}'s stdout: {run:#?}");
        let errors: Vec<&str> = run.stderr.lines().filter(|line| line.starts_with("client-")).collect();
        let expected: Vec<String> = (1..=LINES).map(|i| format!("client-{k} err-{i}")).collect();
        assert_eq!(errors, expected, "client {k}'s stderr: {run:#?}");
    }
    let tasks = hub.list();
    assert_eq!(tasks.len(), CLIENTS);
    let mut codes: Vec<i32> = tasks.iter().map(|task| task.status.exit_code().expect("finished")).collect();
    codes.sort();
    assert_eq!(codes, (0..CLIENTS as i32).collect::<Vec<_>>());
}

#[test]
fn client_command_streams_output_interventions_and_status_to_the_right_place() {
    let hub = Hub::start(RULES, &[]);
    let run = hub.run_client(&["--command", "echo plain; echo LOUD-OUT; echo oops >&2; exit 4"]);
    run.assert_code(4);
    assert_eq!(run.stdout, "plain\nLOUD-OUT\n", "{run:#?}");
    assert!(run.stderr.lines().any(|line| line == "oops"), "{}", run.stderr);
    assert!(run.stderr.contains("shouty (warn)"), "{}", run.stderr);
    assert!(run.stderr.contains("exited with code 4"), "{}", run.stderr);
}

#[test]
fn data_piped_into_client_command_reaches_the_command_byte_for_byte_and_then_ends_its_input() {
    let hub = Hub::start(RULES, &[]);
    // More chunks than the task may have waiting for its worker (so the hub must pace the
    // client), with bytes that are not UTF-8 and characters cut by chunks' ends.
    let mut input: Vec<u8> = (0..600_000u32).flat_map(|n| format!("line {n} é\n").into_bytes()).collect();
    input.extend_from_slice(&[0xff, 0xfe, 0x00, b'\n']);
    let client = hub.client(&["--command", "cat; echo input-ended"]);
    let run = Proc::spawn_piping(client, "axiom client --command cat", input.clone()).finish_within(DEADLINE);
    run.assert_code(0);
    let mut expected = input;
    expected.extend_from_slice(b"input-ended\n");
    assert!(
        run.stdout_bytes == expected,
        "cat got its input whole: {} of {} bytes",
        run.stdout_bytes.len(),
        expected.len()
    );
    assert!(!run.stderr.contains("standard input"), "{}", run.stderr);
}

#[test]
fn client_command_keep_input_open_lets_a_correction_follow_the_piped_prompt() {
    let hub = Hub::start(RULES, &[]);
    let line = r#"read prompt; echo "prompt: $prompt"; echo "Proceed? (y/n)"
if read answer; then echo "answer=$answer"; else echo "input ended"; fi"#;
    let client = hub.client(&["--keep-input-open", "--command", line]);
    let run = Proc::spawn_piping(client, "axiom client --keep-input-open", b"write the parser\n".to_vec())
        .finish_within(DEADLINE);
    run.assert_code(0);
    assert_eq!(run.stdout_lines(), ["prompt: write the parser", "Proceed? (y/n)", "answer=y"], "{run:#?}");
}

/// Waits for task `id` to be killed.
#[track_caller]
fn wait_until_killed(hub: &Hub, id: &str) {
    eventually("the task to be stopped", DEADLINE, || match hub.task(id).status {
        TaskStatus::Killed { .. } => Ok(()),
        other => Err(format!("{other:?}")),
    });
}

/// The task id a client printed on stderr (`axiom: task ID`).
fn task_id_in(stderr: &str) -> &str {
    stderr.lines().find_map(|line| line.strip_prefix("axiom: task ")).expect("a task id line").trim()
}

#[test]
fn a_client_command_whose_reader_leaves_is_stopped_as_a_pipe_would_stop_it() {
    let hub = Hub::start(RULES, &[]);
    let (status, stderr) = live_support::run_reading_one_line(hub.client(&["--command", "yes"]), DEADLINE);
    assert_eq!(status.code(), Some(141), "{stderr}");
    wait_until_killed(&hub, task_id_in(&stderr));
}

#[test]
fn a_detached_client_or_a_tail_whose_reader_leaves_exits_141_and_leaves_the_task_running() {
    let hub = Hub::start(RULES, &[]);
    let (status, stderr) = live_support::run_reading_one_line(hub.client(&["--detach", "--command", "yes"]), DEADLINE);
    assert_eq!(status.code(), Some(141), "{stderr}");
    let id = task_id_in(&stderr).to_owned();
    let (status, stderr) = live_support::run_reading_one_line(hub.client(&["tail", &id, "--follow"]), DEADLINE);
    assert_eq!(status.code(), Some(141), "{stderr}");
    assert!(matches!(hub.task(&id).status, TaskStatus::Running), "{:?}", hub.task(&id).status);
}

#[test]
fn a_client_whose_reader_leaves_while_the_task_is_quiet_goes_at_once() {
    let hub = Hub::start(RULES, &[]);
    let client = hub.client(&["--command", "echo ready; exec sleep 300"]);
    let (status, stderr) = live_support::run_reading_one_line(client, DEADLINE);
    assert_eq!(status.code(), Some(141), "{stderr}");
    wait_until_killed(&hub, task_id_in(&stderr));
    let (mut quiet, id) = hub.start_command("echo ready; exec sleep 300");
    quiet.wait_for_stdout("ready\n");
    let (status, stderr) = live_support::run_reading_one_line(hub.client(&["tail", &id, "--follow"]), DEADLINE);
    assert_eq!(status.code(), Some(141), "{stderr}");
}

#[test]
fn a_follower_whose_reader_leaves_during_the_stored_output_goes_though_the_task_is_quiet() {
    let hub = Hub::start(RULES, &[]);
    let (mut client, id) = hub.start_command("seq 1 100000; echo printed; exec sleep 300");
    client.wait_for_stdout("printed\n");
    let (status, stderr) = live_support::run_reading_one_line(hub.client(&["tail", &id, "--follow"]), DEADLINE);
    assert_eq!(status.code(), Some(141), "{stderr}");
}

#[test]
fn a_detached_client_whose_reader_leaves_ends_the_input_it_was_passing_on() {
    let hub = Hub::start(RULES, &[]);
    let input = hub.sandbox.write("input.txt", &"line\n".repeat(400_000));
    let client = hub.client(&["--detach", "--command", "cat; echo input-ended >&2"]);
    let stdin = Stdio::from(std::fs::File::open(input).unwrap());
    let (status, stderr) = live_support::run_reading_one_line_with_input(client, stdin, DEADLINE);
    assert_eq!(status.code(), Some(141), "{stderr}");
    assert!(stderr.contains("standard input ends here"), "{stderr}");
    let id = task_id_in(&stderr).to_owned();
    eventually("the command to see its input end", DEADLINE, || match hub.task(&id).status {
        TaskStatus::Exited { code: 0 } => Ok(()),
        other => Err(format!("{other:?}")),
    });
}

#[test]
fn a_client_command_that_stops_reading_its_piped_input_is_not_an_error() {
    let hub = Hub::start(RULES, &[]);
    let client = hub.client(&["--command", "head -2"]);
    let run = Proc::spawn_piping(client, "axiom client --command 'head -2'", b"y\n".repeat(2_000_000))
        .finish_within(DEADLINE);
    run.assert_code(0);
    assert_eq!(run.stdout_lines(), ["y", "y"]);
    assert!(!run.stderr.contains("standard input"), "{}", run.stderr);
}

#[test]
fn ctrl_c_stops_a_client_command_whose_piped_input_waits_for_a_command_that_does_not_read() {
    let hub = Hub::start(RULES, &[]);
    let mut client =
        Proc::spawn_piping(hub.client(&["--command", "sleep 300"]), "yes | axiom client", b"y\n".repeat(8 << 20));
    let id = client.wait_for_task_id();
    // The hub holds as much piped input as it allows, so the client's next chunk waits for room.
    let history = hub.sandbox.path(&format!("state/tasks/{id}/events.jsonl"));
    eventually("the piped input to back up", DEADLINE, || {
        let text = std::fs::read_to_string(&history).unwrap_or_default();
        match text.matches(r#"{"type":"command","command":{"type":"pipe""#).count() {
            waiting if waiting >= 64 => Ok(()),
            waiting => Err(format!("{waiting} chunks wait")),
        }
    });
    client.signal(libc::SIGINT);
    let run = client.finish_within(DEADLINE);
    run.assert_code(128 + libc::SIGINT);
    assert!(run.stderr.contains("stopping task"), "{}", run.stderr);
}

#[test]
fn client_command_with_the_pty_driver_runs_on_a_terminal_and_gets_its_prompt_answered() {
    let hub = Hub::start(RULES, &[]);
    let run = hub.run_client(&["--driver", "pty", "--command", &fixture("tty-agent.py")]);
    run.assert_code(0); // tty-agent.py exits 3 when it has no terminal
    let lines = run.stdout_lines();
    assert_eq!(lines.first(), Some(&"tty=yes"), "{run:#?}");
    assert!(lines.contains(&"answer=y"), "{run:#?}");
    assert!(run.stderr.contains("proceed-prompt (inject)"), "{}", run.stderr);
}

#[test]
fn client_command_runs_in_the_clients_working_directory() {
    let hub = Hub::start(RULES, &[]);
    let run = hub.run_client(&["--command", "pwd"]);
    run.assert_code(0);
    let expected = hub.sandbox.path("work").canonicalize().unwrap();
    assert_eq!(run.stdout.trim_end(), expected.display().to_string());
}

#[test]
fn a_worker_killed_mid_stream_shows_up_as_lost_while_another_task_finishes_normally() {
    let hub = Hub::start(RULES, &[]);
    let (mut streaming, streaming_id) =
        hub.start_command("i=0; while :; do i=$((i+1)); echo \"tick $i\"; sleep 0.05; done");
    let (mut waiting, waiting_id) =
        hub.start_command("echo waiting; while [ ! -e go ]; do sleep 0.05; done; echo done; exit 7");
    streaming.wait_for_stdout("tick 3");
    waiting.wait_for_stdout("waiting");

    let child = hub.task(&streaming_id).pid.expect("the streaming task reports its child's pid");
    let worker = parent_of(child).expect("the child has a parent");
    let command = cmdline_of(worker);
    assert!(
        command.contains(" worker ") && command.contains(&streaming_id),
        "the child's parent is its worker: {command}"
    );
    send_signal(worker, libc::SIGKILL);

    eventually("the streaming task to be lost", DEADLINE, || {
        let task = hub.task(&streaming_id);
        if task.status == TaskStatus::Lost {
            Ok(())
        } else {
            Err(format!("{task:?}"))
        }
    });
    assert_eq!(hub.task(&waiting_id).status, TaskStatus::Running, "the other task carries on");
    let lost = streaming.finish();
    lost.assert_code(1);
    assert!(lost.stderr.contains("was lost"), "{}", lost.stderr);

    std::fs::write(hub.sandbox.path("work/go"), "").unwrap();
    let finished = waiting.finish();
    finished.assert_code(7);
    assert_eq!(finished.stdout, "waiting\ndone\n");
    assert_eq!(hub.task(&waiting_id).status, TaskStatus::Exited { code: 7 });

    // The lost task's child has nobody reading its output: its next write fails and it ends.
    eventually("the orphaned child to end", Duration::from_secs(5), || {
        if alive(child) {
            Err(format!("{child} still runs"))
        } else {
            Ok(())
        }
    });
}

#[test]
fn client_command_passes_a_flood_of_output_through_intact() {
    const LINES: usize = 20_000;
    let hub = Hub::start(RULES, &[]);
    let run = hub.run_client(&["--command", &format!("{} {LINES} both", fixture("flood.sh"))]);
    run.assert_code(0);
    run.assert_flood_intact(LINES);
}

#[test]
fn a_prompt_is_answered_while_other_tasks_flood_the_hub() {
    const FLOODERS: usize = 8;
    let hub = Hub::start(RULES, &[]);
    // `yes` writes as fast as the pipe takes it, for as long as it lives: the hub is the bottleneck.
    let flooders: Vec<String> = (0..FLOODERS)
        .map(|_| {
            let (client, id) = hub.start_command("exec yes 'ordinary build output'");
            // Nobody needs to watch the flood; the task runs on without its client.
            client.signal(libc::SIGKILL);
            id
        })
        .collect();
    // Past its 256 KiB burst a flooder's output goes through the bulk lane, one thread at a low
    // priority, which other load on the machine slows down a lot: the wait is long, and asks only
    // that each flooder is past its burst.
    let past_burst = 384 << 10;
    eventually("every flooder to be streaming", Duration::from_secs(120), || {
        let tasks = hub.list();
        let streaming = tasks.iter().filter(|t| flooders.contains(&t.task_id) && t.output_bytes > past_burst).count();
        if streaming == FLOODERS {
            Ok(())
        } else {
            Err(format!("{streaming} of {FLOODERS} flooders past 384 KiB"))
        }
    });

    let run = hub.run_client(&["--command", "echo 'Proceed? (y/n)'; read answer; echo \"answer=$answer\""]);
    run.assert_code(0);
    assert_eq!(run.stdout_lines(), ["Proceed? (y/n)", "answer=y"], "{run:#?}");

    for id in &flooders {
        assert_eq!(hub.task(id).status, TaskStatus::Running, "flooder {id} carries on");
        hub.run_client(&["kill", id]).assert_code(0);
    }
    eventually("the flooders to be killed", DEADLINE, || {
        let tasks = hub.list();
        let running: Vec<&str> = tasks.iter().filter(|t| !t.status.is_finished()).map(|t| t.task_id.as_str()).collect();
        if running.is_empty() {
            Ok(())
        } else {
            Err(format!("still running: {running:?}"))
        }
    });
}

#[test]
fn client_takes_its_token_from_the_environment_or_a_file_and_reports_a_refusal() {
    let hub = Hub::start(RULES, &[]);
    let from_env = {
        let mut command = hub.sandbox.axiom(&["client", "--server", &hub.url, "--command", "echo env"]);
        command.env("AXIOM_TOKEN", &hub.token);
        live_support::run_within(command, DEADLINE)
    };
    from_env.assert_code(0);
    assert_eq!(from_env.stdout, "env\n");

    let file = hub.sandbox.write("token-copy", &hub.token);
    let from_file = live_support::run_within(
        hub.sandbox.axiom(&["client", "--server", &hub.http_url(), "--token-file", &file, "--command", "echo file"]),
        DEADLINE,
    );
    from_file.assert_code(0);
    assert_eq!(from_file.stdout, "file\n");

    let wrong = hub.sandbox.write("wrong-token", &"ab".repeat(32));
    let refused = live_support::run_within(
        hub.sandbox.axiom(&["client", "--server", &hub.url, "--token-file", &wrong, "--command", "echo never"]),
        DEADLINE,
    );
    refused.assert_code(2);
    assert!(refused.stderr.contains("401"), "{}", refused.stderr);
    assert_eq!(refused.stdout, "");
}

/// A hub running `fixtures/chat-agent.py` through `axiom client --command`, up and `ready`.
fn chat() -> (Hub, Proc, String) {
    let hub = Hub::start(RULES, &[]);
    let (mut runner, id) = hub.start_command(&fixture("chat-agent.py"));
    runner.wait_for_stdout("ready\n");
    (hub, runner, id)
}

#[test]
fn send_writes_a_line_to_a_running_task() {
    let (hub, mut runner, id) = chat();
    let sent = hub.run_client(&["send", &id, "hello there"]);
    sent.assert_code(0);
    runner.wait_for_stdout("said: hello there\n");
    let typed = hub.run_client(&["send", "--no-enter", &id, "half"]);
    typed.assert_code(0);
    hub.run_client(&["send", &id, " a line"]).assert_code(0);
    runner.wait_for_stdout("said: half a line\n");
}

#[test]
fn tail_prints_the_stored_output_and_tail_n_its_last_lines() {
    let (hub, mut runner, id) = chat();
    for word in ["one", "two", "three"] {
        hub.run_client(&["send", &id, word]).assert_code(0);
    }
    runner.wait_for_stdout("said: three\n");
    let all = hub.run_client(&["tail", &id]);
    all.assert_code(0);
    assert_eq!(all.stdout, "ready\nsaid: one\nsaid: two\nsaid: three\n");
    let last = hub.run_client(&["tail", "-n", "2", &id]);
    last.assert_code(0);
    assert_eq!(last.stdout, "said: two\nsaid: three\n");
    let none = hub.run_client(&["tail", "-n", "0", &id]);
    none.assert_code(0);
    assert_eq!(none.stdout, "", "as `tail -n 0` prints nothing");
}

#[test]
fn interventions_lists_what_the_rules_did_to_a_task_after_it_ended() {
    let hub = Hub::start(RULES, &[]);
    let run = hub.run_client(&["--command", "echo LOUD-OUT; echo quiet; echo 'Proceed? (y/n)'; exit 0"]);
    run.assert_code(0);
    let id = hub.list().pop().expect("one task").task_id;
    let listed = hub.run_client(&["interventions", &id, "--format", "json"]);
    listed.assert_code(0);
    let records: Vec<serde_json::Value> = serde_json::from_str(&listed.stdout).expect("a JSON array");
    let fired: Vec<(&str, &str, u64)> = records
        .iter()
        .map(|r| (r["rule"].as_str().unwrap(), r["action"].as_str().unwrap(), r["line"].as_u64().unwrap()))
        .collect();
    assert_eq!(fired, [("shouty", "warn", 1), ("proceed-prompt", "inject", 3)], "{}", listed.stdout);
    let text = hub.run_client(&["interventions", &id]);
    text.assert_code(0);
    assert!(
        text.stdout.lines().next().is_some_and(|line| line.contains("line 1: [warning] shouty (warn): \"LOUD-OUT\"")),
        "{}",
        text.stdout
    );
    let unknown = hub.run_client(&["interventions", "nosuch"]);
    unknown.assert_code(2);
    assert!(unknown.stderr.contains("no task nosuch"), "{}", unknown.stderr);
}

#[test]
fn tail_follow_streams_new_output_until_the_task_ends() {
    let (hub, mut runner, id) = chat();
    hub.run_client(&["send", &id, "before"]).assert_code(0);
    runner.wait_for_stdout("said: before\n");
    let mut follower = Proc::spawn(hub.client(&["tail", "--follow", &id]), "tail --follow");
    follower.wait_for_stdout("said: before\n");
    hub.run_client(&["send", &id, "after"]).assert_code(0);
    follower.wait_for_stdout("said: after\n");
    hub.run_client(&["kill", &id]).assert_code(0);
    let followed = follower.finish();
    followed.assert_code(128 + libc::SIGTERM);
    assert_eq!(followed.stdout, "ready\nsaid: before\nsaid: after\n", "nothing twice, nothing lost");
}

#[test]
fn interrupt_with_a_message_interrupts_then_sends_the_message() {
    let (hub, mut runner, id) = chat();
    // The message as `send` takes it, one argument after the id (`--message` says the same).
    let interrupted = hub.run_client(&["interrupt", &id, "do the next step"]);
    interrupted.assert_code(0);
    let stdout = runner.wait_for_stdout("said: do the next step\n");
    assert_eq!(stdout, "ready\ninterrupted\nsaid: do the next step\n");
    let task = hub.task(&id);
    assert_eq!(task.status, TaskStatus::Running, "an interrupt is not the end");
    assert_eq!(task.interventions, 1, "the manual interrupt is recorded");
}

#[test]
fn kill_ends_a_running_task() {
    let (hub, runner, id) = chat();
    let child = hub.task(&id).pid.expect("pid");
    let killed = hub.run_client(&["kill", &id]);
    killed.assert_code(0);
    // It returned once the task had ended, and said how.
    assert!(killed.stderr.contains("killed by signal 15"), "{}", killed.stderr);
    assert!(hub.task(&id).status.is_finished(), "{:?}", hub.task(&id).status);
    let run = runner.finish();
    run.assert_code(128 + libc::SIGTERM);
    assert!(run.stderr.contains("killed by signal 15"), "{}", run.stderr);
    assert_eq!(hub.task(&id).status, TaskStatus::Killed { signal: libc::SIGTERM });
    eventually("the child to be gone", Duration::from_secs(5), || {
        if alive(child) {
            Err(child.to_string())
        } else {
            Ok(())
        }
    });
    // A second kill leaves the ended task as it is, as `axiom_kill` does, and says how it ended.
    let again = hub.run_client(&["kill", &id]);
    again.assert_code(0);
    assert!(again.stderr.contains("killed by signal 15"), "{}", again.stderr);
}

#[test]
fn list_shows_running_and_finished_tasks_as_text_and_json() {
    let (hub, _runner, id) = chat();
    hub.run_client(&["--command", "exit 3"]).assert_code(3);
    let tasks = hub.list();
    assert_eq!(tasks.len(), 2, "{tasks:?}");
    let running = tasks.iter().find(|task| task.task_id == id).expect("the chat task");
    assert_eq!(running.status, TaskStatus::Running);
    assert!(running.pid.is_some());
    assert_eq!(running.command, ["sh", "-c", &fixture("chat-agent.py")]);
    let other = tasks.iter().find(|task| task.task_id != id).unwrap();
    assert_eq!(other.status, TaskStatus::Exited { code: 3 });
    let text = hub.run_client(&["list"]);
    text.assert_code(0);
    let row = text.stdout.lines().find(|line| line.starts_with(&id)).expect("a row for the task");
    assert!(row.contains("running"), "{row}");
}

#[test]
fn unknown_task_ids_exit_2_with_a_message_naming_the_id() {
    let hub = Hub::start(RULES, &[]);
    for args in [
        &["tail", "nosuch"][..],
        &["tail", "--follow", "nosuch"],
        &["send", "nosuch", "text"],
        &["interrupt", "nosuch", "--message", "m"],
        &["kill", "nosuch"],
    ] {
        let run = hub.run_client(args);
        run.assert_code(2);
        assert!(run.stderr.contains("nosuch"), "{args:?}: {}", run.stderr);
    }
}

#[test]
fn subcommands_accept_the_hub_options_before_or_after_the_subcommand() {
    let hub = Hub::start(RULES, &[]);
    hub.run_client(&["--command", "echo hi"]).assert_code(0);
    let state = hub.sandbox.path("state").display().to_string();
    let token = hub.sandbox.write("token-copy", &hub.token);
    let http = hub.http_url();
    for args in [
        &["client", "--server", &hub.url, "--token-file", &token, "list", "--format", "json"][..],
        &["client", "list", "--format", "json", "--server", &http, "--token-file", &token],
        &["client", "--state-dir", &state, "list", "--format", "json"],
        &["client", "list", "--state-dir", &state, "--format", "json"],
    ] {
        // Without $AXIOM_STATE_DIR: only the options say where the hub is.
        let run = live_support::run_within(hub.sandbox.axiom(args), DEADLINE);
        run.assert_code(0);
        let tasks: Vec<serde_json::Value> = serde_json::from_str(&run.stdout).unwrap();
        assert_eq!(tasks.len(), 1, "{args:?}: {}", run.stdout);
    }
}

#[test]
fn sighup_leaves_the_hub_running() {
    let hub = Hub::start("rules: []\n", &[]);
    send_signal(hub.pid(), libc::SIGHUP);
    eventually("the hub to say it ignored SIGHUP", DEADLINE, || {
        if hub.log().contains("SIGHUP ignored") {
            Ok(())
        } else {
            Err(hub.log())
        }
    });
    assert!(alive(hub.pid()), "the hub ended on SIGHUP:\n{}", hub.log());
    hub.run_client(&["--command", "echo still served"]).assert_code(0);
}

#[test]
fn client_start_prints_only_the_task_id_and_leaves_the_task_running() {
    let hub = Hub::start("rules: []\n", &[]);
    let started = hub.run_client(&["start", "echo started; sleep 0.3; echo done"]);
    started.assert_code(0);
    let id = started.stdout.trim().to_owned();
    assert!(!id.is_empty() && !id.contains(char::is_whitespace) && started.stdout.lines().count() == 1, "{started:?}");
    eventually("the started task to finish by itself", DEADLINE, || match hub.task(&id).status {
        TaskStatus::Exited { code: 0 } => Ok(()),
        other => Err(format!("{other:?}")),
    });
    let output = hub.run_client(&["output", &id]);
    assert_eq!(output.stdout, "started\ndone\n");

    let json = hub.run_client(&["start", "--format", "json", "true"]);
    json.assert_code(0);
    let record: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert!(record["task_id"].as_str().is_some_and(|id| hub.task(id).task_id == id), "{record}");

    // Several words are the program and its arguments, run without a shell.
    let words = hub.run_client(&["start", "--", "printf", "%s|", "a b", "$HOME"]);
    words.assert_code(0);
    let id = words.stdout.trim().to_owned();
    assert_eq!(hub.task(&id).command, ["printf", "%s|", "a b", "$HOME"]);
    eventually("the words to be printed", DEADLINE, || {
        let output = hub.run_client(&["output", &id]).stdout;
        if output == "a b|$HOME|" {
            Ok(())
        } else {
            Err(output)
        }
    });
    let empty = hub.run_client(&["start", " "]);
    empty.assert_code(2);
    assert!(empty.stderr.contains("the command is empty"), "{}", empty.stderr);
}
