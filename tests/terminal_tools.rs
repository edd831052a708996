//! `axiom run`, `check`, `rules` and `client` as terminal tools, through the real binary: agent rules
//! stay out of ordinary commands, output survives a slow reader, logs stay plain when piped, exit
//! codes follow the shell's, and the conveniences (completions, man page, `rules init`) work.

mod live_support;

use axiom::protocol::TaskStatus;
use live_support::{run_within, Hub, Proc, Sandbox, DEADLINE};

/// A silence rule for agents only, short enough to fire many times during the test's sleep.
const AGENT_SILENCE: &str = r#"
rules:
  - id: quiet-agent
    applies_to: agents
    silence: 200ms
    action: interrupt
    message: say something
  - id: any-boom
    match: { literals: ["BOOM"] }
"#;

fn run_with_rules(rules: &str, extra: &[&str], command: &[&str]) -> live_support::Finished {
    let sandbox = Sandbox::new();
    let rules = sandbox.write("rules.yaml", rules);
    let mut args = vec!["run", "--rules", &rules];
    args.extend_from_slice(extra);
    args.push("--");
    args.extend_from_slice(command);
    run_within(sandbox.axiom(&args), DEADLINE)
}

#[test]
fn a_quiet_command_is_not_interrupted_by_a_silence_rule_for_agents() {
    let run = run_with_rules(AGENT_SILENCE, &[], &["sh", "-c", "sleep 1; echo BOOM; echo done"]);
    run.assert_code(0);
    assert_eq!(run.stdout, "BOOM\ndone\n");
    assert!(!run.stderr.contains("quiet-agent"), "the agent rule watched a plain command: {}", run.stderr);
    // Rules for any command still watch it.
    assert!(run.stderr.contains("any-boom (warn)"), "{}", run.stderr);
}

#[test]
fn the_same_command_run_as_an_agent_is_interrupted_by_it() {
    let run = run_with_rules(AGENT_SILENCE, &["--agent"], &["sh", "-c", "sleep 10; echo done"]);
    assert!(run.stderr.contains("quiet-agent (interrupt)"), "{run:#?}");
    assert_ne!(run.code, Some(0), "{run:#?}");
    assert!(!run.stdout.contains("done"), "{run:#?}");
}

#[test]
fn a_known_agent_name_is_an_agent_unless_the_user_says_otherwise() {
    let sandbox = Sandbox::new();
    let rules = sandbox.write("rules.yaml", AGENT_SILENCE);
    let list = |extra: &[&str]| {
        let mut args = vec!["rules", "list", "--rules", &rules];
        args.extend_from_slice(extra);
        run_within(sandbox.axiom(&args), DEADLINE)
    };
    let ids = |run: &live_support::Finished| -> Vec<String> {
        run.stdout.lines().skip(1).filter_map(|line| line.split_whitespace().next()).map(str::to_owned).collect()
    };
    let agent = list(&["--", "npx", "@anthropic-ai/claude-code", "-p", "hi"]);
    agent.assert_code(0);
    assert_eq!(ids(&agent), ["quiet-agent", "any-boom"], "{agent:#?}");
    assert!(agent.stderr.contains("(an agent)"), "{}", agent.stderr);

    let overridden = list(&["--no-agent", "--", "claude"]);
    assert_eq!(ids(&overridden), ["any-boom"], "{overridden:#?}");
    let plain = list(&["--", "npm", "test"]);
    assert_eq!(ids(&plain), ["any-boom"], "{plain:#?}");
    let everything = list(&[]);
    assert_eq!(ids(&everything), ["quiet-agent", "any-boom"], "{everything:#?}");
    assert!(everything.stdout.lines().nth(1).unwrap().contains("agents"), "{}", everything.stdout);
}

#[test]
fn the_built_in_silence_rules_watch_agents_only() {
    let sandbox = Sandbox::new();
    let run = run_within(sandbox.axiom(&["rules", "list", "--format", "json", "--", "sleep", "135"]), DEADLINE);
    run.assert_code(0);
    let rules: Vec<serde_json::Value> = serde_json::from_str(&run.stdout).unwrap();
    let ids: Vec<&str> = rules.iter().map(|rule| rule["id"].as_str().unwrap()).collect();
    assert!(!ids.is_empty());
    for silence in ["agent-silent", "agent-hung"] {
        assert!(!ids.contains(&silence), "{silence} would watch `sleep 135`: {ids:?}");
    }
    let agent = run_within(sandbox.axiom(&["rules", "list", "--format", "json", "--", "claude"]), DEADLINE);
    assert!(agent.stdout.contains("\"agent-silent\""), "{}", agent.stdout);
}

/// More than the task's 8 MiB output ring, so a reader that stalls would lose output if the child
/// were not held back.
const SEQ_LINES: u64 = 1_500_000;

#[test]
fn a_slow_reader_holds_the_child_back_and_gets_every_byte_in_order() {
    use std::io::Read;
    let sandbox = Sandbox::new();
    let rules = sandbox.write("rules.yaml", "rules:\n  - id: never\n    match: { literals: [\"no such text\"] }\n");
    let progress = sandbox.path("progress.txt");
    // `tee` writes the file as fast as its stdout takes the output: the file's size is how far the
    // child got.
    let script = format!("seq 1 {SEQ_LINES} | tee {}", progress.display());
    let mut command = sandbox.axiom(&["run", "--rules", &rules, "--", "sh", "-c", &script]);
    let mut child = command.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped()).spawn().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let errors = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let expected: String = (1..=SEQ_LINES).map(|i| format!("{i}\n")).collect();

    // Nobody reads yet: the child must come to a stop well before its end.
    let size = || std::fs::metadata(&progress).map(|m| m.len()).unwrap_or(0);
    let mut last = (0, std::time::Instant::now());
    let held_at = live_support::eventually("the child to stop or finish", DEADLINE, || {
        let now = size();
        if now == expected.len() as u64 {
            return Ok(now);
        }
        if now != last.0 || now == 0 {
            last = (now, std::time::Instant::now());
        }
        if last.1.elapsed() >= std::time::Duration::from_millis(700) {
            Ok(now)
        } else {
            Err(format!("{now} bytes so far"))
        }
    });
    assert!(held_at < 4 * 1024 * 1024, "the child wrote {held_at} bytes while nobody read them");

    // Then a reader that drinks through a straw.
    let mut received = Vec::new();
    let mut straw = [0u8; 4096];
    let mut reads = 0u64;
    loop {
        match stdout.read(&mut straw) {
            Ok(0) => break,
            Ok(n) => received.extend_from_slice(&straw[..n]),
            Err(err) => panic!("reading axiom run's stdout: {err}"),
        }
        reads += 1;
        if reads.is_multiple_of(256) {
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
    }
    let status = child.wait().unwrap();
    let stderr = errors.join().unwrap();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(
        received == expected.as_bytes(),
        "got {} of {} bytes, first difference at byte {:?}; stderr: {stderr}",
        received.len(),
        expected.len(),
        received.iter().zip(expected.as_bytes()).position(|(a, b)| a != b)
    );
    assert!(!stderr.contains("WARN") && !stderr.contains("dropped"), "{stderr}");
}

#[test]
fn a_command_that_cannot_run_exits_like_the_shell_says() {
    let sandbox = Sandbox::new();
    let not_executable = sandbox.write("script.sh", "echo hi\n");
    let directory = sandbox.path("work").display().to_string();
    for (program, code, says) in [
        ("axiom-test-no-such-command", 127, "program not found in PATH"),
        ("./no/such/file", 127, "program not found"),
        (not_executable.as_str(), 126, "permission denied"),
        (directory.as_str(), 126, "is a directory"),
    ] {
        let run = run_within(sandbox.axiom(&["run", "--", program, "--flag"]), DEADLINE);
        run.assert_code(code);
        assert!(run.stderr.contains(program) && run.stderr.contains(says), "{program}: {}", run.stderr);
        assert_eq!(run.stdout, "");
    }
}

#[test]
fn logs_on_a_pipe_carry_no_escape_codes() {
    let sandbox = Sandbox::new();
    let mut command = sandbox.axiom(&["run", "--", "sh", "-c", "echo hello; exit 3"]);
    // Colour is decided by stderr being a pipe here, not by NO_COLOR.
    command.env_remove("NO_COLOR").env("AXIOM_LOG", "info");
    let run = run_within(command, DEADLINE);
    run.assert_code(3);
    assert!(run.stderr.contains("INFO"), "info logs were asked for: {}", run.stderr);
    assert!(!run.stderr.contains('\x1b'), "escape codes in piped logs: {:?}", run.stderr);
}

#[test]
fn a_successful_run_prints_nothing_of_its_own() {
    let sandbox = Sandbox::new();
    for _ in 0..3 {
        let run = run_within(sandbox.axiom(&["run", "--", "seq", "1", "50000"]), DEADLINE);
        run.assert_code(0);
        assert_eq!(run.stdout.len(), (1..=50_000).map(|i: u32| i.to_string().len() + 1).sum::<usize>());
        assert_eq!(run.stderr, "", "a successful run said something");
    }
}

#[test]
fn check_searches_a_directory_skipping_ignored_and_binary_files() {
    let sandbox = Sandbox::new();
    let rules = sandbox.write("rules.yaml", "rules:\n  - id: todo\n    match: { literals: [\"TODO:\"] }\n");
    std::fs::create_dir_all(sandbox.path("work/logs/nested")).unwrap();
    std::fs::create_dir_all(sandbox.path("work/logs/target")).unwrap();
    sandbox.write("work/logs/.gitignore", "target/\n*.tmp\n");
    sandbox.write("work/logs/a.log", "fine\nTODO: a\n");
    sandbox.write("work/logs/nested/b.log", "TODO: b\n");
    sandbox.write("work/logs/target/ignored.log", "TODO: ignored\n");
    sandbox.write("work/logs/scratch.tmp", "TODO: ignored too\n");
    std::fs::write(sandbox.path("work/logs/core.bin"), b"TODO: \0binary\n").unwrap();
    let run = run_within(sandbox.axiom(&["check", "--rules", &rules, "logs"]), DEADLINE);
    run.assert_code(1);
    let files: Vec<&str> = run.stdout.lines().map(|line| line.split(':').next().unwrap()).collect();
    assert_eq!(files, ["logs/a.log", "logs/nested/b.log"], "{run:#?}");
    assert!(run.stderr.contains("skipped 1 binary file"), "{}", run.stderr);
    assert!(run.stderr.contains("in 2 files"), "{}", run.stderr);

    // Named explicitly, a binary file is checked, and the user is told it looks binary.
    let named = run_within(sandbox.axiom(&["check", "--rules", &rules, "logs/core.bin"]), DEADLINE);
    named.assert_code(1);
    assert!(named.stderr.contains("logs/core.bin looks binary"), "{}", named.stderr);
}

#[test]
fn completions_are_generated_for_each_shell_and_know_the_subcommands() {
    let sandbox = Sandbox::new();
    for (shell, marker) in [("bash", "complete -F"), ("zsh", "#compdef axiom"), ("fish", "complete -c axiom")] {
        let run = run_within(sandbox.axiom(&["completions", shell]), DEADLINE);
        run.assert_code(0);
        assert!(run.stdout.contains(marker), "{shell}: {}", &run.stdout[..run.stdout.len().min(300)]);
        for word in ["check", "run", "client", "no-agent"] {
            assert!(run.stdout.contains(word), "{shell} completion lacks {word}");
        }
        // The hub's own `worker` subcommand is hidden, and not offered.
        for offered in ["axiom__subcmd__worker", "(worker)", "-a \"worker\""] {
            assert!(!run.stdout.contains(offered), "{shell} completion offers the hidden worker ({offered})");
        }
    }
    let unknown = run_within(sandbox.axiom(&["completions", "tcsh"]), DEADLINE);
    unknown.assert_code(2);
}

#[test]
fn the_man_page_is_roff_naming_the_subcommands() {
    let run = run_within(Sandbox::new().axiom(&["man"]), DEADLINE);
    run.assert_code(0);
    assert!(run.stdout.contains(".TH axiom 1"), "{}", &run.stdout[..run.stdout.len().min(300)]);
    for word in ["check", "run", "serve", "client", "mcp", "completions"] {
        assert!(run.stdout.contains(word), "the man page lacks {word}");
    }
}

#[test]
fn each_subcommand_named_in_see_also_has_its_own_page() {
    let sandbox = Sandbox::new();
    let tail = run_within(sandbox.axiom(&["man", "client", "tail"]), DEADLINE);
    tail.assert_code(0);
    assert!(tail.stdout.contains(".TH axiom-client-tail 1"), "{}", &tail.stdout[..tail.stdout.len().min(300)]);
    assert!(tail.stdout.contains("follow"), "the page has the subcommand's own options");
    let unknown = run_within(sandbox.axiom(&["man", "client", "nope"]), DEADLINE);
    unknown.assert_code(2);
    assert!(
        unknown.stderr.contains("has no subcommand `nope`") && unknown.stderr.contains("tail"),
        "{}",
        unknown.stderr
    );

    // `--out DIR` writes them all, each page as the one printed, the hidden worker's not.
    run_within(sandbox.axiom(&["man", "--out", "pages"]), DEADLINE).assert_code(0);
    let written = std::fs::read_to_string(sandbox.path("work/pages/axiom-client-tail.1")).unwrap();
    assert_eq!(written, tail.stdout);
    for page in ["axiom.1", "axiom-check.1", "axiom-hooks-install.1", "axiom-rules-test.1"] {
        assert!(sandbox.path(&format!("work/pages/{page}")).is_file(), "{page} was not written");
    }
    assert!(!sandbox.path("work/pages/axiom-worker.1").exists());
    assert!(written.contains(".SH NOTES") && !written.contains(".SH EXTRA"));
}

#[test]
fn rules_init_writes_the_built_in_pack_which_validates_as_it_is() {
    let sandbox = Sandbox::new();
    let init = run_within(sandbox.axiom(&["rules", "init"]), DEADLINE);
    init.assert_code(0);
    let dir = sandbox.path("work/.axiom/rules");
    let written = std::fs::read_dir(&dir).unwrap().count();
    assert!(written > 0 && init.stdout.contains(&format!("wrote {written} files")), "{init:#?}");

    let from_files = run_within(sandbox.axiom(&["rules", "validate", "--rules", ".axiom/rules"]), DEADLINE);
    from_files.assert_code(0);
    assert!(from_files.stdout.starts_with("ok: "), "{}", from_files.stdout);

    // The same rules as the built-in pack, by id, in the same order.
    let ids = |args: &[&str]| -> Vec<String> {
        let run = run_within(sandbox.axiom(args), DEADLINE);
        run.assert_code(0);
        let rules: Vec<serde_json::Value> = serde_json::from_str(&run.stdout).unwrap();
        rules.iter().map(|rule| rule["id"].as_str().unwrap().to_owned()).collect()
    };
    let mut elsewhere = sandbox.axiom(&["rules", "list", "--format", "json"]);
    elsewhere.current_dir(sandbox.path("home"));
    let built_in: Vec<String> = {
        let run = run_within(elsewhere, DEADLINE);
        let rules: Vec<serde_json::Value> = serde_json::from_str(&run.stdout).unwrap();
        rules.iter().map(|rule| rule["id"].as_str().unwrap().to_owned()).collect()
    };
    assert_eq!(ids(&["rules", "list", "--format", "json", "--rules", ".axiom/rules"]), built_in);

    // A second init would overwrite edits: refused, unless forced.
    let again = run_within(sandbox.axiom(&["rules", "init"]), DEADLINE);
    again.assert_code(2);
    assert!(again.stderr.contains("not overwritten"), "{}", again.stderr);
    let forced = run_within(sandbox.axiom(&["rules", "init", "--force", "elsewhere/rules"]), DEADLINE);
    forced.assert_code(0);
    assert!(sandbox.path("work/elsewhere/rules").is_dir());
}

/// `sh -c` that says it started, then waits long enough to be still running when it is stopped.
const STARTS_THEN_WAITS: &str = "echo started; sleep 60";

#[test]
fn ctrl_c_on_a_client_command_stops_its_task_as_run_does_and_says_so() {
    let hub = Hub::start("rules: []\n", &[]);
    let (mut client, id) = hub.start_command(STARTS_THEN_WAITS);
    client.wait_for_stdout("started");
    client.signal(libc::SIGINT);
    let finished = client.finish_within(DEADLINE);
    assert!(finished.stderr.contains(&format!("axiom: stopping task {id}")), "{finished:#?}");
    assert!(finished.stderr.contains("--detach keeps a task running"), "{finished:#?}");
    finished.assert_code(128 + libc::SIGINT);
    assert_eq!(hub.task(&id).status, TaskStatus::Killed { signal: libc::SIGTERM });
}

#[test]
fn ctrl_c_on_a_detached_client_command_leaves_its_task_running_and_says_how_to_find_it() {
    let hub = Hub::start("rules: []\n", &[]);
    let mut client = Proc::spawn(hub.client(&["--detach", "--command", STARTS_THEN_WAITS]), "axiom client --detach");
    let id = client.wait_for_task_id();
    client.wait_for_stdout("started");
    client.signal(libc::SIGINT);
    let finished = client.finish_within(DEADLINE);
    finished.assert_code(130);
    assert!(finished.stderr.contains(&format!("detached: task {id} keeps running")), "{finished:#?}");
    assert!(finished.stderr.contains(&format!("axiom client tail {id} --follow")), "{finished:#?}");
    assert_eq!(hub.task(&id).status, TaskStatus::Running, "the task outlives its client");
    hub.run_client(&["kill", &id]).assert_code(0);
}
