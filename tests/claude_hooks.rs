//! `axiom hooks install` in a scratch project, then a real Claude Code session (scripted model):
//! a dangerous tool call is refused by the PreToolUse hook, and a claim that all tests pass is
//! blocked at Stop with the rule's message, once.

mod claude_support;

use std::process::Command;
use std::time::Duration;

use claude_support::{claude_cli, output_within, user_texts, ClaudeHome, FakeApi, Reply};
use serde_json::json;

const RULES: &str = r#"rules:
  - id: tool-no-recursive-delete
    scope: tool
    match: { regex: ['^Bash: rm -rf '] }
    action: deny
    message: "Refused by axiom: never delete directories recursively."
  - id: unverified-tests-claim
    match: { literals: ['All tests pass'] }
    action: inject
    message: "You have not run the tests in this session; run them before saying they pass."
"#;

fn axiom(home: &ClaudeHome, args: &[&str]) -> std::process::Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_axiom"));
    command.args(args).current_dir(home.project()).env("HOME", home.home());
    output_within(&mut command, Duration::from_secs(30))
}

#[test]
fn installed_hooks_refuse_a_dangerous_call_and_block_a_false_claim_at_stop() {
    let Some(cli) = claude_cli() else { return };
    let home = ClaudeHome::new();
    let rules = home.project().join("../rules.yaml");
    std::fs::write(&rules, RULES).unwrap();
    let rules = rules.to_string_lossy().into_owned();
    let settings = home.project().join(".claude/settings.local.json");

    let installed = axiom(&home, &["hooks", "install", "--rules", &rules]);
    assert!(installed.status.success(), "{installed:?}");
    let first = std::fs::read_to_string(&settings).unwrap();
    let again = axiom(&home, &["hooks", "install", "--rules", &rules]);
    assert!(again.status.success());
    assert_eq!(std::fs::read_to_string(&settings).unwrap(), first, "a second install changed the file");

    let victim = home.project().join("victim");
    std::fs::create_dir_all(&victim).unwrap();
    let api = FakeApi::start(vec![
        Reply::tool("Bash", json!({"command": format!("rm -rf {}", victim.display())})),
        Reply::text("All tests pass."),
        Reply::text("You are right; I have not run them yet."),
    ]);
    let mut session = Command::new(&cli);
    home.apply(&mut session, &api).args(["-p", "clean up and finish", "--dangerously-skip-permissions"]);
    let output = output_within(&mut session, Duration::from_secs(120));
    assert!(output.status.success(), "{output:?}");
    assert!(victim.is_dir(), "the directory was deleted");

    let requests = api.wait_for("three requests", Duration::from_secs(60), |r| r.len() >= 3);
    let refused = user_texts(&requests[1]);
    assert!(
        refused
            .iter()
            .any(|t| t.starts_with("tool_error:")
                && t.contains("Refused by axiom: never delete directories recursively.")),
        "{refused:?}"
    );
    let blocked = user_texts(&requests[2]);
    assert!(
        blocked.iter().any(|t| t.contains("Stop hook feedback") && t.contains("run them before saying they pass")),
        "{blocked:?}"
    );
    // The second stop was let through (stop_hook_active): no fourth request.
    assert_eq!(api.requests().len(), 3);

    let removed = axiom(&home, &["hooks", "uninstall", "--rules", &rules]);
    assert!(removed.status.success());
    assert_eq!(std::fs::read_to_string(&settings).unwrap().trim(), "{}");
}

/// A session with the hooks of the built-in pack: the model runs the project's tests (a stand-in
/// `pytest` that passes or fails), then says "All tests pass." Returns what the model received.
fn tests_then_claim(tests_pass: bool) -> Vec<serde_json::Value> {
    let cli = claude_cli().expect("checked by the caller");
    let home = ClaudeHome::new();
    let installed = axiom(&home, &["hooks", "install"]);
    assert!(installed.status.success(), "{installed:?}");
    let (summary, code) = if tests_pass { ("3 passed in 0.02s", 0) } else { ("1 failed, 2 passed in 0.02s", 1) };
    let runner = home.project().join("pytest");
    std::fs::write(&runner, format!("#!/bin/sh\necho '{summary}'\nexit {code}\n")).unwrap();
    std::fs::set_permissions(&runner, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let api = FakeApi::start(vec![
        Reply::text("Running the tests.").then_tool("Bash", json!({"command": "./pytest -q"})),
        Reply::text("All tests pass."),
        Reply::text("You are right, one test fails; fixing it next."),
    ]);
    let mut session = Command::new(&cli);
    home.apply(&mut session, &api).args(["-p", "run the tests and report", "--dangerously-skip-permissions"]);
    let output = output_within(&mut session, Duration::from_secs(120));
    assert!(output.status.success(), "{output:?}");
    let requests = api.requests();
    let result = user_texts(&requests[1]);
    assert!(result.iter().any(|text| text.contains(summary)), "the tests did not run: {result:?}");
    requests
}

const CLAIM_MESSAGE: &str = "Run the test suite now and show its summary";

#[test]
fn a_tests_pass_claim_after_a_failing_run_is_blocked_at_stop_by_the_built_in_pack() {
    if claude_cli().is_none() {
        return;
    }
    let requests = tests_then_claim(false);
    assert_eq!(requests.len(), 3, "the claim was not blocked");
    let blocked = user_texts(&requests[2]);
    assert!(blocked.iter().any(|t| t.contains("Stop hook feedback") && t.contains(CLAIM_MESSAGE)), "{blocked:?}");
}

#[test]
fn a_tests_pass_claim_after_a_passing_run_is_let_through_by_the_built_in_pack() {
    if claude_cli().is_none() {
        return;
    }
    let requests = tests_then_claim(true);
    let later: Vec<Vec<String>> = requests.iter().skip(2).map(user_texts).collect();
    assert_eq!(requests.len(), 2, "the true claim was blocked: {later:?}");
}
