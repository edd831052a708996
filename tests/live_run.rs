//! `axiom run`, driven through the real binary with the fake agents in `fixtures/`: each kind of
//! intervention reaches a real child (inject, kill of a whole process group, interrupt then a
//! message, an answer on a pseudo-terminal), exit codes are the child's, and the streams stay apart.

mod live_support;

use std::process::{Command, Stdio};
use std::time::Duration;

use live_support::{alive, eventually, fixture, run_within, Proc, Sandbox, DEADLINE};

/// One rule per fake agent; each one's trigger is specific to its agent.
const RULES: &str = r#"
rules:
  - id: todo-left
    match: { literals: ["TODO:"] }
    action: inject
    message: Implement it now.
  - id: stubborn-heartbeat
    severity: critical
    match: { literals: ["heartbeat 5"] }
    action: kill
  - id: watch-mode
    severity: error
    match: { literals: ["Watching for file changes"] }
    action: interrupt
    message: run the tests once
  - id: proceed-prompt
    match: { regex: ['Proceed\? \(y/n\)'] }
    action: inject
    message: "y"
  - id: shouty
    match: { literals: ["LOUD-OUT"] }
"#;

/// `axiom run --rules RULES.yaml [extra...] -- CMD...` in a fresh sandbox.
fn axiom_run(extra: &[&str], command: &[&str]) -> (Sandbox, std::process::Command) {
    let sandbox = Sandbox::new();
    let rules = sandbox.write("rules.yaml", RULES);
    let mut args = vec!["run", "--rules", &rules];
    args.extend_from_slice(extra);
    args.push("--");
    args.extend_from_slice(command);
    let command = sandbox.axiom(&args);
    (sandbox, command)
}

/// Runs `axiom run` to the end.
fn run(extra: &[&str], command: &[&str]) -> live_support::Finished {
    let (_sandbox, command) = axiom_run(extra, command);
    run_within(command, DEADLINE)
}

/// The README's first command, as written: the built-in pack, the fake agent named an agent.
#[test]
fn the_readme_example_corrects_the_todo_agent_with_the_built_in_pack() {
    let sandbox = Sandbox::new();
    let agent = fixture("todo-agent.py");
    let run = run_within(sandbox.axiom(&["run", "--agent", "--", &agent]), DEADLINE);
    run.assert_code(0);
    assert!(run.stderr.contains("todo-placeholder (inject)"), "the built-in pack fired: {}", run.stderr);
    let lines = run.stdout_lines();
    assert!(lines.iter().any(|l| l.starts_with("got correction: ")), "the correction reached the agent: {lines:?}");
    assert_eq!(lines.last(), Some(&"implemented the parser"));
}

#[test]
fn todo_agent_gets_its_correction_after_the_todo_line_and_exits_0() {
    let run = run(&[], &[&fixture("todo-agent.py")]);
    run.assert_code(0);
    assert_eq!(
        run.stdout_lines(),
        [
            "Plan:",
            "  1. read the grammar",
            "  2. write the parser",
            "TODO: implement the parser",
            "got correction: Implement it now.",
            "implemented the parser",
        ],
        "{run:#?}"
    );
    let intervention = run.stderr.lines().find(|line| line.contains("todo-left")).expect("the intervention on stderr");
    assert!(intervention.contains("(inject)") && intervention.contains("Implement it now."), "{intervention}");
}

#[test]
fn kill_rule_ends_a_stubborn_agent_and_its_grandchild_with_sigkill() {
    let (_sandbox, command) = axiom_run(&["--kill-grace", "300ms"], &[&fixture("stubborn-agent.sh")]);
    let mut agent = Proc::spawn(command, "axiom run stubborn-agent.sh");
    let first = agent.wait_for_stdout("grandchild=");
    let pids: Vec<u32> = first
        .split_whitespace()
        .filter_map(|word| word.strip_prefix("pid=").or_else(|| word.strip_prefix("grandchild=")))
        .map(|pid| pid.parse().unwrap())
        .collect();
    let [child, grandchild] = pids[..] else { panic!("no pids in {first:?}") };
    // Alive first, then the output: the rule may fire between the two looks.
    let both_alive = alive(child) && alive(grandchild);
    if !agent.stdout().contains("heartbeat 5") {
        assert!(both_alive, "both run before the rule fires");
    }

    let run = agent.finish();
    run.assert_code(128 + libc::SIGKILL);
    assert!(run.stdout.contains("heartbeat 5"), "the rule fired on heartbeat 5: {run:#?}");
    assert!(run.stderr.contains("stubborn-heartbeat (kill)"), "{}", run.stderr);
    assert!(run.stderr.contains("killed by signal 9"), "{}", run.stderr);
    eventually("the child and the grandchild to be gone", Duration::from_secs(5), || {
        match (alive(child), alive(grandchild)) {
            (false, false) => Ok(()),
            state => Err(format!("child alive, grandchild alive: {state:?}")),
        }
    });
}

#[test]
fn interrupt_rule_interrupts_the_agent_then_tells_it_what_to_do_next() {
    let run = run(&[], &[&fixture("interruptible-agent.py")]);
    run.assert_code(0);
    assert_eq!(
        run.stdout_lines(),
        ["Watching for file changes...", "interrupted", "next: run the tests once"],
        "{run:#?}"
    );
    assert!(run.stderr.contains("watch-mode (interrupt)"), "{}", run.stderr);
}

#[test]
fn a_correction_written_before_the_turns_result_starts_another_turn_under_the_claude_driver() {
    let run = run(&["--driver", "claude", "--agent"], &["python3", &fixture("stream-json-late-result.py"), "-p", "go"]);
    run.assert_code(0);
    assert!(run.stdout.contains("All done: 2 corrections read."), "{run:#?}");
    assert_eq!(run.stderr.matches("todo-left (inject)").count(), 2, "{}", run.stderr);
}

#[test]
fn what_a_file_tool_writes_is_judged_under_the_claude_driver() {
    let run = run(&["--driver", "claude", "--agent"], &["python3", &fixture("stream-json-writer.py"), "-p", "go"]);
    run.assert_code(0);
    assert!(run.stderr.contains("todo-left (inject)"), "the TODO in the written file: {}", run.stderr);
}

#[test]
fn pty_driver_gives_the_agent_a_terminal_and_answers_its_prompt() {
    let run = run(&["--driver", "pty"], &[&fixture("tty-agent.py")]);
    run.assert_code(0); // tty-agent.py exits 3 when it has no terminal
    let lines = run.stdout_lines();
    assert_eq!(lines.first(), Some(&"tty=yes"), "{run:#?}");
    let prompt = lines.iter().position(|line| line.starts_with("Proceed? (y/n) ")).expect("the prompt");
    let answer = lines.iter().position(|line| *line == "answer=y").expect("the answer");
    assert!(prompt < answer, "{lines:?}");
    assert!(run.stderr.contains("proceed-prompt (inject)"), "{}", run.stderr);
}

#[test]
fn pipe_driver_is_not_a_terminal_and_a_partial_line_prompt_is_still_answered() {
    let run = run(&[], &[&fixture("tty-agent.py")]);
    run.assert_code(3);
    assert_eq!(run.stdout_lines(), ["tty=no", "Proceed? (y/n) answer=y"], "{run:#?}");
}

#[test]
fn exit_status_is_the_childs_exit_code() {
    for code in [0, 3, 42, 255] {
        let run = run(&[], &["sh", "-c", &format!("exit {code}")]);
        run.assert_code(code);
    }
}

#[test]
fn exit_status_is_128_plus_n_when_signal_n_ends_the_child() {
    // Not SIGHUP: under `nohup` it is ignored, and an ignored signal stays ignored across exec down
    // to the child, as it should.
    for signal in [libc::SIGUSR1, libc::SIGKILL, libc::SIGTERM] {
        let run = run(&[], &["sh", "-c", &format!("kill -{signal} $$")]);
        run.assert_code(128 + signal);
        assert!(run.stderr.contains(&format!("killed by signal {signal}")), "{}", run.stderr);
    }
}

#[test]
fn a_command_that_does_not_exist_fails_with_a_message_naming_it() {
    let run = run(&[], &["axiom-test-no-such-command", "--flag"]);
    assert_ne!(run.code, Some(0), "{run:#?}");
    assert!(run.code.is_some(), "ended by a signal: {run:#?}");
    assert!(run.stderr.contains("axiom-test-no-such-command"), "{}", run.stderr);
    assert_eq!(run.stdout, "");
}

#[test]
fn stdout_and_stderr_stay_apart_and_interventions_go_to_stderr() {
    let script = "echo out-1; echo err-1 >&2; echo LOUD-OUT; echo err-2 >&2; echo out-2";
    let run = run(&[], &["sh", "-c", script]);
    run.assert_code(0);
    assert_eq!(run.stdout, "out-1\nLOUD-OUT\nout-2\n", "{run:#?}");
    let stderr: Vec<&str> = run.stderr.lines().filter(|line| line.starts_with("err-")).collect();
    assert_eq!(stderr, ["err-1", "err-2"], "{run:#?}");
    assert!(run.stderr.lines().any(|line| line.starts_with("axiom: [warning] shouty (warn)")), "{}", run.stderr);
}

#[test]
fn the_child_never_sees_the_worker_token() {
    let run = run(&[], &["sh", "-c", "echo \"token=${AXIOM_TOKEN-unset}\""]);
    run.assert_code(0);
    assert_eq!(run.stdout, "token=unset\n");
}

#[test]
fn ctrl_c_stops_the_supervised_command() {
    let (_sandbox, command) = axiom_run(&[], &["sh", "-c", "echo started; exec sleep 30"]);
    let mut agent = Proc::spawn(command, "axiom run sleep");
    agent.wait_for_stdout("started");
    agent.signal(libc::SIGINT);
    let run = agent.finish_within(Duration::from_secs(10));
    run.assert_code(128 + libc::SIGINT);
    assert!(run.stderr.contains("stopping the task"), "{}", run.stderr);
}

#[test]
fn a_reader_that_leaves_stops_the_command_as_a_pipe_would_and_run_exits_141() {
    let (_sandbox, command) = axiom_run(&[], &["yes"]);
    let (status, stderr) = live_support::run_reading_one_line(command, DEADLINE);
    assert_eq!(status.code(), Some(141), "{stderr}");
    assert!(stderr.contains("the output's reader left; stopping the task"), "{stderr}");
}

#[test]
fn a_reader_that_leaves_is_noticed_while_the_command_is_quiet() {
    // `| grep -m1 ready` on a server that then waits: the pipeline ends with grep, as GNU `tail -f`'s does.
    let (_sandbox, command) = axiom_run(&[], &["sh", "-c", "echo ready; exec sleep 300"]);
    let (status, stderr) = live_support::run_reading_one_line(command, DEADLINE);
    assert_eq!(status.code(), Some(141), "{stderr}");
}

#[test]
fn a_reader_that_leaves_stderr_stops_a_command_that_writes_only_there() {
    let (_sandbox, command) = axiom_run(&[], &["sh", "-c", "exec yes >&2"]);
    let status = live_support::run_reading_one_line_of_stderr(command, DEADLINE);
    assert_eq!(status.code(), Some(141));
}

#[test]
fn output_that_cannot_be_written_stops_the_command_and_run_exits_2() {
    let (_sandbox, mut command) = axiom_run(&[], &["yes"]);
    let full = std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
    let mut child = command.stdin(Stdio::null()).stdout(full).stderr(Stdio::piped()).spawn().unwrap();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    let status =
        eventually("axiom run to end", DEADLINE, || child.try_wait().unwrap().ok_or_else(|| "running".to_owned()));
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("the output cannot be written"), "{stderr}");
}

#[test]
fn a_flood_of_output_arrives_complete_and_in_order_on_each_stream() {
    const LINES: usize = 20_000;
    let run = run(&[], &[&fixture("flood.sh"), &LINES.to_string(), "both"]);
    run.assert_code(0);
    run.assert_flood_intact(LINES);
}

#[test]
fn output_that_is_not_utf8_passes_through_byte_for_byte() {
    let run = run(&[], &["sh", "-c", r"printf 'ok \377\376 \000 end\n'"]);
    run.assert_code(0);
    assert_eq!(run.stdout_bytes, b"ok \xff\xfe \0 end\n");
}

#[test]
fn sigterm_to_axiom_run_ends_the_supervised_command() {
    let (_sandbox, command) = axiom_run(&["--kill-grace", "200ms"], &["sh", "-c", "echo \"pid=$$\"; exec sleep 30"]);
    let mut agent = Proc::spawn(command, "axiom run sleep");
    let stdout = agent.wait_for_stdout("\n");
    let child: u32 = stdout.trim().strip_prefix("pid=").unwrap().parse().unwrap();
    agent.signal(libc::SIGTERM);
    let _ = agent.finish();
    eventually("the command to end after axiom run was terminated", Duration::from_secs(5), || {
        if alive(child) {
            Err(format!("{child} still runs"))
        } else {
            Ok(())
        }
    });
}

#[test]
fn data_piped_into_axiom_run_reaches_the_command_byte_for_byte_and_then_ends_its_input() {
    // More chunks than the task may have waiting for its worker (so the copy must wait for room),
    // with bytes that are not UTF-8 and characters cut by chunks' ends.
    let mut input: Vec<u8> = (0..1_200_000u32).flat_map(|n| format!("line {n} é\n").into_bytes()).collect();
    input.extend_from_slice(&[0xff, 0xfe, 0x00, b'\n']);
    let (_sandbox, command) = axiom_run(&[], &["cat"]);
    let run = Proc::spawn_piping(command, "axiom run -- cat", input.clone()).finish_within(DEADLINE);
    run.assert_code(0);
    assert!(run.stdout_bytes == input, "cat got its input whole: {} of {} bytes", run.stdout_bytes.len(), input.len());
    assert!(!run.stderr.contains("failed"), "{}", run.stderr);
}

#[test]
fn a_command_that_reads_its_piped_input_only_after_the_write_timeout_still_gets_all_of_it() {
    // The worker gives up on a correction the command does not read within 10 s; piped data waits,
    // as a pipe would, or the command would find a hole in its input.
    let input: Vec<u8> = (0..300_000u32).flat_map(|n| format!("{n}\n").into_bytes()).collect();
    let (_sandbox, command) = axiom_run(&[], &["sh", "-c", "sleep 11; md5sum"]);
    let run =
        Proc::spawn_piping(command, "axiom run -- sh -c 'sleep 11; md5sum'", input.clone()).finish_within(DEADLINE);
    run.assert_code(0);
    let expected = Command::new("md5sum").stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
    let expected = {
        let mut child = expected;
        std::io::Write::write_all(&mut child.stdin.take().unwrap(), &input).unwrap();
        String::from_utf8(child.wait_with_output().unwrap().stdout).unwrap()
    };
    assert_eq!(run.stdout, expected, "{}", run.stderr);
}

#[test]
fn a_file_on_axiom_runs_stdin_is_read_like_a_pipe() {
    let sandbox = Sandbox::new();
    let rules = sandbox.write("rules.yaml", RULES);
    let file = sandbox.write("input.txt", "b\na\nc\n");
    let command = sandbox.axiom(&["run", "--rules", &rules, "--", "sort"]);
    let stdin = std::fs::File::open(file).unwrap();
    let run = Proc::spawn_with_stdin(command, "axiom run -- sort < file", stdin.into()).finish_within(DEADLINE);
    run.assert_code(0);
    assert_eq!(run.stdout_lines(), ["a", "b", "c"]);
}

/// The first line is the agent's prompt; the correction comes after the input has ended.
const READS_A_PROMPT: &str = r#"read prompt; echo "prompt: $prompt"; echo "TODO: later"
if read fix; then echo "got correction: $fix"; else echo "input ended"; fi"#;

#[test]
fn keep_input_open_lets_a_correction_reach_the_command_after_its_piped_prompt() {
    let (_sandbox, command) = axiom_run(&["--keep-input-open"], &["sh", "-c", READS_A_PROMPT]);
    let run = Proc::spawn_piping(command, "axiom run --keep-input-open", b"write the parser\n".to_vec())
        .finish_within(DEADLINE);
    run.assert_code(0);
    assert_eq!(run.stdout_lines(), ["prompt: write the parser", "TODO: later", "got correction: Implement it now."]);
}

#[test]
fn without_keep_input_open_the_command_sees_its_piped_input_end() {
    let (_sandbox, command) = axiom_run(&[], &["sh", "-c", READS_A_PROMPT]);
    let run = Proc::spawn_piping(command, "axiom run", b"write the parser\n".to_vec()).finish_within(DEADLINE);
    run.assert_code(0);
    let lines = run.stdout_lines();
    assert_eq!(lines, ["prompt: write the parser", "TODO: later", "input ended"]);
}

#[test]
fn a_command_that_stops_reading_its_piped_input_is_not_an_error() {
    // `yes | head -2`: head closes its input after two lines; axiom, like the shell's pipe, says nothing.
    let (_sandbox, command) = axiom_run(&[], &["head", "-2"]);
    let run = Proc::spawn_piping(command, "axiom run -- head -2", b"y\n".repeat(2_000_000)).finish_within(DEADLINE);
    run.assert_code(0);
    assert_eq!(run.stdout_lines(), ["y", "y"]);
    assert!(!run.stderr.contains("input failed"), "{}", run.stderr);
}
