//! `axiom run --driver claude` against the real Claude Code CLI and a scripted model: corrections
//! reach the model as user messages, tool calls are refused before they run, an interrupt stops a
//! running tool, and the session's end is reported.

mod claude_support;
mod live_support;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use claude_support::{claude_cli, user_texts, ClaudeHome, FakeApi, Reply};
use live_support::{Finished, Proc};
use serde_json::json;

/// Generous: the CLI starts in about a second alone, far slower on two busy cores.
const PATIENCE: Duration = Duration::from_secs(120);

const RULES: &str = r#"rules:
  - id: tool-no-recursive-delete
    scope: tool
    match: { regex: ['^Bash: rm -rf '] }
    action: deny
    message: "axiom refused this: never delete directories recursively; move them to trash/ instead."
  - id: no-todo
    match: { literals: ['TODO: later'] }
    action: inject
    message: "axiom says: implement it now, no TODO left behind."
  - id: tests-claimed-after-a-failing-run
    match: { literals: ['All tests pass'] }
    evidence: { tests: [failed] }
    action: inject
    message: "axiom says: the last test run failed; fix it before saying the tests pass."
  - id: rerunning-a-failing-command
    match: { literals: ['Trying again.'] }
    evidence: { reruns: 3 }
    action: inject
    message: "axiom says: that command failed three times in a row; find the cause before running it again."
  - id: no-sleeping
    scope: tool
    match: { regex: ['^Bash: python3 -c .*time\.sleep'] }
    action: interrupt
    message: "axiom says: stop waiting and report what you have."
"#;

/// `axiom run --driver claude` of `claude -p PROMPT` in `home`'s project, talking to `api`.
fn axiom_run(cli: &Path, home: &ClaudeHome, api: &FakeApi, prompt: &str) -> Proc {
    let rules = home.project().join("../rules.yaml");
    std::fs::write(&rules, RULES).unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_axiom"));
    home.apply(&mut command, api);
    command.args(["run", "--rules"]).arg(&rules).args(["--driver", "claude", "--"]).arg(cli).args(["-p", prompt]);
    Proc::spawn(command, "axiom run --driver claude")
}

fn finish(proc: Proc) -> Finished {
    proc.finish_within(PATIENCE)
}

#[test]
fn a_recursive_delete_is_refused_before_it_runs_and_the_model_gets_the_rules_message() {
    let Some(cli) = claude_cli() else { return };
    let home = ClaudeHome::new();
    let victim = home.project().join("victim");
    std::fs::create_dir_all(victim.join("inside")).unwrap();
    let api = FakeApi::start(vec![
        Reply::text("Cleaning up.").then_tool("Bash", json!({"command": format!("rm -rf {}", victim.display())})),
        Reply::text("Understood, I left it alone."),
    ]);
    let run = finish(axiom_run(&cli, &home, &api, "clean up the project"));
    run.assert_code(0);
    assert!(victim.join("inside").is_dir(), "the directory was deleted");
    let requests = api.requests();
    assert_eq!(requests.len(), 2, "{requests:#?}");
    let answer = user_texts(&requests[1]);
    assert!(
        answer.iter().any(|text| text
            == "tool_error: axiom refused this: never delete directories recursively; move them to trash/ instead."),
        "{answer:?}"
    );
    assert!(run.stderr.contains("tool-no-recursive-delete"), "{}", run.stderr);
    assert!(run.stdout.contains("Understood, I left it alone."), "{}", run.stdout);
}

/// The hub reads what a call runs from where the agent works, as `axiom hook` does: a script the
/// project holds is judged as the commands in it.
#[test]
fn a_script_the_call_runs_is_read_from_the_agents_directory_and_judged_before_it_runs() {
    let Some(cli) = claude_cli() else { return };
    let home = ClaudeHome::new();
    let victim = home.project().join("victim");
    std::fs::create_dir_all(victim.join("inside")).unwrap();
    // Judged as one `Bash` call holding the script, which this file's rule reads from its start.
    std::fs::write(home.project().join("tidy.sh"), "rm -rf victim\necho tidied\n").unwrap();
    let api = FakeApi::start(vec![
        Reply::text("Tidying.").then_tool("Bash", json!({"command": "bash tidy.sh"})),
        Reply::text("Understood, I left it alone."),
    ]);
    let run = finish(axiom_run(&cli, &home, &api, "tidy the project"));
    run.assert_code(0);
    assert!(victim.join("inside").is_dir(), "the script ran: {}", run.stderr);
    let requests = api.requests();
    assert_eq!(requests.len(), 2, "{requests:#?}");
    let answer = user_texts(&requests[1]);
    assert!(
        answer.iter().any(|text| text.starts_with("tool_error: In `tidy.sh`, which this call runs: ")
            && text.ends_with("never delete directories recursively; move them to trash/ instead.")),
        "{answer:?}"
    );
}

#[test]
fn an_injected_correction_reaches_the_model_as_a_user_message() {
    let Some(cli) = claude_cli() else { return };
    let home = ClaudeHome::new();
    // The violation comes with a slow tool call, so the correction arrives while the turn runs.
    let api = FakeApi::start(vec![
        Reply::text("TODO: later, the parser.")
            .then_tool("Bash", json!({"command": "python3 -c 'import time; time.sleep(3)'; echo built"})),
        Reply::text("Implementing the parser now."),
    ]);
    let proc = axiom_run(&cli, &home, &api, "write the parser");
    api.wait_for_user_text("axiom says: implement it now, no TODO left behind.", PATIENCE);
    let run = finish(proc);
    run.assert_code(0);
    assert!(run.stderr.contains("no-todo"), "{}", run.stderr);
}

#[test]
fn a_correction_on_the_turns_last_words_reaches_the_model_before_the_session_ends() {
    let Some(cli) = claude_cli() else { return };
    let home = ClaudeHome::new();
    // The violation is the turn's final text: the session may end only after the rules judged it.
    let api = FakeApi::start(vec![Reply::text("TODO: later, the parser."), Reply::text("Implemented the parser.")]);
    let run = finish(axiom_run(&cli, &home, &api, "write the parser"));
    run.assert_code(0);
    let requests = api.requests();
    assert_eq!(requests.len(), 2, "{requests:#?}");
    assert!(
        user_texts(&requests[1]).iter().any(|text| text == "axiom says: implement it now, no TODO left behind."),
        "{:?}",
        user_texts(&requests[1])
    );
    assert!(run.stdout.contains("Implemented the parser."), "{}", run.stdout);
    let session = run.stderr.lines().find(|line| line.contains("session:")).unwrap_or_else(|| panic!("{}", run.stderr));
    assert!(session.contains("success"), "{session}");
}

#[test]
fn a_test_run_that_fails_without_a_summary_counts_as_failed_for_the_claim_after_it() {
    let Some(cli) = claude_cli() else { return };
    let home = ClaudeHome::new();
    // No manifest there: cargo exits non-zero before any test runs and prints no summary, so only
    // the tool result's `is_error` says that the run failed.
    let api = FakeApi::start(vec![
        Reply::tool("Bash", json!({"command": "cargo test --manifest-path missing/Cargo.toml"})),
        Reply::text("All tests pass."),
        Reply::text("You are right, the run failed."),
    ]);
    let run = finish(axiom_run(&cli, &home, &api, "run the tests"));
    run.assert_code(0);
    let requests = api.requests();
    assert_eq!(requests.len(), 3, "the claim was let through: {requests:#?}");
    let correction = "axiom says: the last test run failed; fix it before saying the tests pass.";
    assert!(user_texts(&requests[2]).iter().any(|text| text == correction), "{:?}", user_texts(&requests[2]));
}

#[test]
fn the_third_failed_run_of_one_command_in_a_row_draws_a_correction_that_reaches_the_model() {
    let Some(cli) = claude_cli() else { return };
    let home = ClaudeHome::new();
    let rerun = || Reply::text("Trying again.").then_tool("Bash", json!({"command": "ls missing-dir"}));
    let api = FakeApi::start(vec![
        rerun(),
        rerun(),
        rerun(),
        Reply::text("Trying again."),
        Reply::text("The directory does not exist; creating it first."),
    ]);
    let run = finish(axiom_run(&cli, &home, &api, "list missing-dir"));
    run.assert_code(0);
    let received: Vec<Vec<String>> = api.requests().iter().map(user_texts).collect();
    let correction = "axiom says: that command failed three times in a row; find the cause before running it again.";
    let corrected: Vec<usize> =
        (0..received.len()).filter(|&at| received[at].iter().any(|text| text == correction)).collect();
    // Said after the third failure (request 4 follows the turn that ran it), not after the first two.
    assert_eq!(corrected, [4], "{} requests", received.len());
}

#[test]
fn an_interrupt_stops_a_running_sleep_and_the_follow_up_arrives() {
    // Claude Code 2.1.332 refuses `sleep N` chained to something ("Blocked: sleep 60 followed
    // by ..."), so the sleep is python's.
    let Some(cli) = claude_cli() else { return };
    let home = ClaudeHome::new();
    let marker = home.project().join("slept");
    let api = FakeApi::start(vec![
        Reply::tool(
            "Bash",
            json!({"command": format!("python3 -c 'import time; time.sleep(60)' && touch {}", marker.display())}),
        ),
        Reply::text("Stopped waiting; here is the report."),
    ]);
    let started = std::time::Instant::now();
    let proc = axiom_run(&cli, &home, &api, "wait for the build");
    let index = api.wait_for_user_text("axiom says: stop waiting and report what you have.", PATIENCE);
    let run = finish(proc);
    assert!(started.elapsed() < Duration::from_secs(60), "the sleep was not stopped");
    assert!(!marker.exists());
    assert!(index >= 1, "the follow-up came with the first request");
    run.assert_code(0);
}

#[test]
fn the_exit_status_and_session_stats_are_reported() {
    let Some(cli) = claude_cli() else { return };
    let home = ClaudeHome::new();
    let api = FakeApi::start(vec![Reply::text("Nothing to do.")]);
    let run = finish(axiom_run(&cli, &home, &api, "check the repo"));
    run.assert_code(0);
    assert!(run.stdout.contains("Nothing to do."), "{}", run.stdout);
    let session = run.stderr.lines().find(|line| line.contains("session:")).unwrap_or_else(|| panic!("{}", run.stderr));
    assert!(session.contains("success") && session.contains("1 turn"), "{session}");
    assert!(user_texts(&api.requests()[0]).iter().any(|text| text == "check the repo"));
}

/// Not a test: the latency figures of BENCHMARKS.md (issue 9). Run with
/// `AXIOM_BIN=target/release/axiom cargo test --release --test claude_driver -- --ignored --nocapture measure`.
/// Over 20 runs each: Claude Code's own turnaround (a tool call `true` answered, from the reply's
/// last byte to the next request, no axiom involved), and a correction under `axiom run --driver
/// claude` (from the violating reply's last byte to the request carrying the correction), with
/// axiom's own share of it (from reading the violating event to writing the correction, from the
/// driver's debug log).
#[test]
#[ignore]
fn measure_correction_latency() {
    let Some(cli) = claude_cli() else { return };
    let axiom = std::env::var("AXIOM_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_axiom").to_owned());
    let runs = 20;
    let (mut own, mut end_to_end, mut axiom_part) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..runs {
        let home = ClaudeHome::new();
        let api = FakeApi::start(vec![Reply::tool("Bash", json!({"command": "true"})), Reply::text("Done.")]);
        let mut session = Command::new(&cli);
        home.apply(&mut session, &api).args(["-p", "check", "--dangerously-skip-permissions"]);
        let output = claude_support::output_within(&mut session, PATIENCE);
        assert!(output.status.success(), "{output:?}");
        own.push(api.arrivals()[1] - api.reply_sent(0).unwrap());

        let home = ClaudeHome::new();
        let api = FakeApi::start(vec![Reply::text("TODO: later, the parser."), Reply::text("Implemented.")]);
        let rules = home.project().join("../rules.yaml");
        std::fs::write(&rules, RULES).unwrap();
        let mut command = Command::new(&axiom);
        home.apply(&mut command, &api).env("AXIOM_LOG", "axiom::worker::claude=debug");
        command.args(["run", "--rules"]).arg(&rules).args(["--driver", "claude", "--"]).arg(&cli).args(["-p", "go"]);
        let run = finish(Proc::spawn(command, "axiom run --driver claude"));
        run.assert_code(0);
        end_to_end.push(api.arrivals()[1] - api.reply_sent(0).unwrap());
        let micros = run
            .stderr
            .lines()
            .find(|line| line.contains("user message written after the agent's last text") && !line.contains("go"))
            .and_then(|line| line.split("micros=").nth(1))
            .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
            .and_then(|digits| digits.parse::<u64>().ok())
            .unwrap_or_else(|| panic!("no latency line in:\n{}", run.stderr));
        axiom_part.push(Duration::from_micros(micros));
    }
    let summary = |name: &str, mut values: Vec<Duration>| {
        values.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        println!(
            "{name}: p50 {:.1} ms, max {:.1} ms (n={})",
            ms(values[values.len() / 2]),
            ms(values[values.len() - 1]),
            values.len()
        );
    };
    summary("Claude Code's own turnaround (tool `true`)", own);
    summary("correction end to end (axiom run --driver claude)", end_to_end);
    summary("axiom's part (violating event read -> correction written)", axiom_part);
}
