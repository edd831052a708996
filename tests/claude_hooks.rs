//! `axiom hooks install` in a scratch project, then a real Claude Code session (scripted model):
//! a dangerous tool call is refused by the PreToolUse hook, and a claim that all tests pass is
//! blocked at Stop with the rule's message, once.

mod claude_support;
mod live_support;

use std::io::Write as _;
use std::process::{Command, Stdio};
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
    command.env_remove("AXIOM_RULES").env_remove("XDG_CONFIG_HOME").env_remove("CLAUDE_CONFIG_DIR");
    output_within(&mut command, Duration::from_secs(30))
}

/// `axiom hook --rules RULES` (the file [`RULES`], written next to `home`'s project) as Claude
/// Code runs it, `event` written to its stdin and closed; `configure` says where the hub is.
fn spawn_hook(
    home: &ClaudeHome,
    event: &serde_json::Value,
    configure: impl FnOnce(&mut Command),
) -> std::process::Child {
    let rules = home.project().join("../rules.yaml");
    std::fs::write(&rules, RULES).unwrap();
    let mut hook = Command::new(env!("CARGO_BIN_EXE_axiom"));
    hook.args(["hook", "--rules"]).arg(&rules).env("HOME", home.home());
    configure(&mut hook);
    let mut child = hook.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(event.to_string().as_bytes()).unwrap();
    child
}

/// A directory in the project, and a model that first asks to `rm -rf` it, then claims that all
/// tests pass, then (told otherwise) admits it has not run them.
fn delete_then_claim_success(home: &ClaudeHome) -> (std::path::PathBuf, FakeApi) {
    let victim = home.project().join("victim");
    std::fs::create_dir_all(&victim).unwrap();
    let api = FakeApi::start(vec![
        Reply::tool("Bash", json!({"command": format!("rm -rf {}", victim.display())})),
        Reply::text("All tests pass."),
        Reply::text("You are right; I have not run them yet."),
    ]);
    (victim, api)
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

    let (victim, api) = delete_then_claim_success(&home);
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
    assert!(!settings.exists(), "a settings file that held only the hooks is removed, not left as {{}}");
}

/// The PreToolUse hook is installed to block the call when it fails: here its binary is gone (an
/// axiom moved or removed), so the hook cannot start, and the call must not run unjudged.
#[test]
fn a_tool_call_whose_hook_cannot_run_is_refused_not_let_through() {
    let Some(cli) = claude_cli() else { return };
    let home = ClaudeHome::new();
    let moved = home.project().join("../bin/axiom");
    std::fs::create_dir_all(moved.parent().unwrap()).unwrap();
    std::fs::copy(env!("CARGO_BIN_EXE_axiom"), &moved).unwrap();
    let mut install = Command::new(&moved);
    install.args(["hooks", "install"]).current_dir(home.project()).env("HOME", home.home());
    install.env_remove("AXIOM_RULES").env_remove("XDG_CONFIG_HOME");
    let installed = output_within(&mut install, Duration::from_secs(30));
    assert!(installed.status.success(), "{installed:?}");
    std::fs::remove_file(&moved).unwrap();

    let (victim, api) = delete_then_claim_success(&home);
    let mut session = Command::new(&cli);
    home.apply(&mut session, &api).args(["-p", "clean up and finish", "--dangerously-skip-permissions"]);
    output_within(&mut session, Duration::from_secs(120));
    assert!(victim.is_dir(), "the call ran with its hook failing");
    let requests = api.wait_for("the tool's result", Duration::from_secs(60), |r| r.len() >= 2);
    let refused = user_texts(&requests[1]);
    assert!(refused.iter().any(|t| t.starts_with("tool_error:")), "{refused:?}");
}

/// A `-p` session given `prompt`, with the hooks of the built-in pack, in a project holding a
/// stand-in program `name` that prints `printed` and exits `code`; the model replies `replies`, the
/// first of which runs it. Returns what the model received, once the stand-in's output reached it.
fn session_with_stand_in(
    name: &str,
    printed: &str,
    code: i32,
    replies: Vec<Reply>,
    prompt: &str,
) -> Vec<serde_json::Value> {
    let cli = claude_cli().expect("checked by the caller");
    let home = ClaudeHome::new();
    let installed = axiom(&home, &["hooks", "install"]);
    assert!(installed.status.success(), "{installed:?}");
    let program = home.project().join(name);
    std::fs::write(&program, format!("#!/bin/sh\nprintf '%s\\n' '{printed}'\nexit {code}\n")).unwrap();
    std::fs::set_permissions(&program, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let api = FakeApi::start(replies);
    let mut session = Command::new(&cli);
    home.apply(&mut session, &api).args(["-p", prompt, "--dangerously-skip-permissions"]);
    let output = output_within(&mut session, Duration::from_secs(120));
    assert!(output.status.success(), "{output:?}");
    let requests = api.requests();
    let result = user_texts(&requests[1]);
    let first = printed.lines().next().unwrap_or_default();
    assert!(result.iter().any(|text| text.contains(first)), "{name} did not run: {result:?}");
    requests
}

/// The model runs the project's tests (a stand-in `pytest` that passes or fails), then says "All
/// tests pass."
fn tests_then_claim(tests_pass: bool) -> Vec<serde_json::Value> {
    let (summary, code) = if tests_pass { ("3 passed in 0.02s", 0) } else { ("1 failed, 2 passed in 0.02s", 1) };
    let replies = vec![
        Reply::text("Running the tests.").then_tool("Bash", json!({"command": "./pytest -q"})),
        Reply::text("All tests pass."),
        Reply::text("You are right, one test fails; fixing it next."),
    ];
    session_with_stand_in("pytest", summary, code, replies, "run the tests and report")
}

const CLAIM_MESSAGE: &str = "Run the test suite now and show its summary, or say plainly what still fails";

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

/// A session with the built-in pack's hooks where the model answers `prompt` with a question and
/// nothing else; the requests the model received.
fn question_instead_of_work(prompt: &str) -> Vec<serde_json::Value> {
    let cli = claude_cli().expect("checked by the caller");
    let home = ClaudeHome::new();
    let installed = axiom(&home, &["hooks", "install"]);
    assert!(installed.status.success(), "{installed:?}");
    let api = FakeApi::start(vec![
        Reply::text("Should I put the limiter in a middleware or in the route handler?"),
        Reply::text("Going with a middleware on that route; writing it now."),
    ]);
    let mut session = Command::new(&cli);
    home.apply(&mut session, &api).args(["-p", prompt, "--dangerously-skip-permissions"]);
    let output = output_within(&mut session, Duration::from_secs(120));
    assert!(output.status.success(), "{output:?}");
    api.requests()
}

const ASKING_MESSAGE: &str = "You were asked to make this change. Don't wait for an answer";

#[test]
fn a_question_put_back_before_any_edit_is_blocked_at_stop_by_the_built_in_pack() {
    if claude_cli().is_none() {
        return;
    }
    let requests = question_instead_of_work("add rate limiting to POST /api/login, 5 attempts per minute per IP");
    assert_eq!(requests.len(), 2, "the question was let through");
    let blocked = user_texts(&requests[1]);
    assert!(blocked.iter().any(|t| t.contains("Stop hook feedback") && t.contains(ASKING_MESSAGE)), "{blocked:?}");
}

#[test]
fn the_same_question_is_let_through_when_the_user_asked_for_options() {
    if claude_cli().is_none() {
        return;
    }
    let requests = question_instead_of_work("what are the options for rate limiting POST /api/login?");
    let later: Vec<Vec<String>> = requests.iter().skip(1).map(user_texts).collect();
    assert_eq!(requests.len(), 1, "an answer to a question was blocked: {later:?}");
}

/// The model runs a stand-in `./bench` (which prints the two timings, or only builds) and then
/// reports both timings.
fn bench_then_report(prints_timings: bool) -> Vec<serde_json::Value> {
    let printed = if prints_timings { "loop: 3.3104 s\nnumpy: 0.0821 s" } else { "build ok" };
    let replies = vec![
        Reply::text("Timing both versions.").then_tool("Bash", json!({"command": "./bench"})),
        Reply::text("I timed both versions: the loop takes 3.31 s and the numpy version 0.082 s, about 40x faster."),
        Reply::text("You are right: the bench did not print timings. Running it properly next."),
    ];
    session_with_stand_in("bench", printed, 0, replies, "how much faster is the numpy version?")
}

const FIGURES_MESSAGE: &str = "No command printed these figures";

#[test]
fn timings_no_command_printed_are_blocked_at_stop_by_the_built_in_pack() {
    if claude_cli().is_none() {
        return;
    }
    let requests = bench_then_report(false);
    assert_eq!(requests.len(), 3, "the invented timings were let through");
    let blocked = user_texts(&requests[2]);
    assert!(blocked.iter().any(|t| t.contains("Stop hook feedback") && t.contains(FIGURES_MESSAGE)), "{blocked:?}");
}

#[test]
fn timings_the_bench_printed_are_let_through_rounded() {
    if claude_cli().is_none() {
        return;
    }
    let requests = bench_then_report(true);
    let later: Vec<Vec<String>> = requests.iter().skip(2).map(user_texts).collect();
    assert_eq!(requests.len(), 2, "measured timings were blocked: {later:?}");
}

#[test]
fn each_hook_decision_is_recorded_on_the_sessions_task_at_the_running_hub() {
    let Some(cli) = claude_cli() else { return };
    let hub = live_support::Hub::start("rules: []\n", &[]);
    let state = hub.sandbox.path("state");
    let home = ClaudeHome::new();
    let rules = home.project().join("../rules.yaml");
    std::fs::write(&rules, RULES).unwrap();
    let installed = axiom(&home, &["hooks", "install", "--rules", &rules.to_string_lossy()]);
    assert!(installed.status.success(), "{installed:?}");
    let (victim, api) = delete_then_claim_success(&home);
    let mut session = Command::new(&cli);
    home.apply(&mut session, &api).env("AXIOM_STATE_DIR", &state);
    session.args(["-p", "clean up and finish", "--dangerously-skip-permissions"]);
    let output = output_within(&mut session, Duration::from_secs(120));
    assert!(output.status.success(), "{output:?}");
    assert!(victim.is_dir(), "the directory was deleted");

    let hooked: Vec<_> = hub.list().into_iter().filter(|task| task.command[0] == "claude (hooks)").collect();
    assert_eq!(hooked.len(), 1, "one task for the session: {hooked:#?}");
    let task = &hooked[0];
    assert_eq!(task.command.get(2).map(String::as_str), Some(home.project().to_str().unwrap()), "{task:#?}");
    // The deny at PreToolUse and the block at Stop; SessionEnd ended the task.
    assert_eq!(task.interventions, 2, "{task:#?}");
    assert_eq!(task.status, axiom::protocol::TaskStatus::Exited { code: 0 }, "{task:#?}");
    let history = hub.run_client(&["output", &task.task_id]);
    history.assert_code(0);
    let expected = [format!("[PreToolUse] Bash: rm -rf {}", victim.display()), "[Stop] All tests pass.".to_owned()];
    for line in expected {
        assert!(history.stdout.lines().any(|l| l == line), "{line:?} missing from:\n{}", history.stdout);
    }
}

#[test]
fn a_hub_that_never_answers_does_not_change_or_hold_up_the_decision() {
    // Accepts connections and says nothing, like a hub stuck on something else.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let server = format!("ws://{}", silent.local_addr().unwrap());
    let home = ClaudeHome::new();
    let event = json!({
        "session_id": "s-1", "hook_event_name": "PreToolUse", "cwd": "/tmp",
        "tool_name": "Bash", "tool_input": {"command": "rm -rf /tmp/x"},
    });
    let child = spawn_hook(&home, &event, |hook| {
        hook.args(["--server", &server]).env("AXIOM_TOKEN", "0123456789abcdef0123456789abcdef");
    });
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::spawn(move || done.send(child.wait_with_output()));
    let output = finished.recv_timeout(Duration::from_secs(60)).expect("the hook hung on a silent hub").unwrap();
    assert!(output.status.success(), "{output:?}");
    let answer: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(answer["hookSpecificOutput"]["permissionDecision"], "deny", "{answer}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("did not answer within 300ms"), "{stderr}");
    drop(silent);
}

#[test]
fn a_session_that_sends_nothing_for_the_idle_window_is_marked_lost_at_the_hub() {
    // Claude Code killed mid-session sends no SessionEnd: the hub must not keep its task
    // running for as long as the hub runs.
    let hub = live_support::Hub::start("rules: []\n", &["--session-idle", "1s"]);
    let home = ClaudeHome::new();
    let event = json!({
        "session_id": "killed-session", "hook_event_name": "PreToolUse", "cwd": "/tmp",
        "tool_name": "Bash", "tool_input": {"command": "ls"},
    });
    let child = spawn_hook(&home, &event, |hook| {
        hook.env("AXIOM_STATE_DIR", hub.sandbox.path("state"));
    });
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{output:?}");

    let task = live_support::eventually("the quiet session's task to be lost", Duration::from_secs(30), || {
        let hooked: Vec<_> = hub.list().into_iter().filter(|task| task.command[0] == "claude (hooks)").collect();
        match &hooked[..] {
            [task] if task.status == axiom::protocol::TaskStatus::Lost => Ok(task.clone()),
            other => Err(format!("{other:#?}")),
        }
    });
    assert_eq!(task.command[1], "killed-session", "{task:#?}");

    // Its end, come too late, is taken (the hook waits for the hub's answer) and makes no task.
    let end =
        json!({"session_id": "killed-session", "hook_event_name": "SessionEnd", "cwd": "/tmp", "reason": "other"});
    let child = spawn_hook(&home, &end, |hook| {
        hook.env("AXIOM_STATE_DIR", hub.sandbox.path("state"));
    });
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success() && output.stderr.is_empty(), "{output:?}");
    let hooked: Vec<_> = hub.list().into_iter().filter(|task| task.command[0] == "claude (hooks)").collect();
    assert_eq!(hooked.len(), 1, "{hooked:#?}");
    assert_eq!(hooked[0].status, axiom::protocol::TaskStatus::Lost, "{hooked:#?}");
}

#[test]
fn install_into_a_project_directory_that_does_not_exist_is_an_error() {
    let home = ClaudeHome::new();
    let missing = home.project().join("no-such-project");
    let installed = axiom(&home, &["hooks", "install", "--project", &missing.to_string_lossy()]);
    assert_eq!(installed.status.code(), Some(2), "{installed:?}");
    assert!(String::from_utf8_lossy(&installed.stderr).contains("no such directory"), "{installed:?}");
    assert!(!missing.exists(), "nothing made for a mistyped directory");
}

#[test]
fn rule_files_the_agent_writes_where_it_works_do_not_switch_the_hook_off() {
    let home = ClaudeHome::new();
    // What a model with a Write tool can do: rules where it works, and the user's own rule dir.
    let planted = home.project().join(".axiom/rules");
    let user_rules = home.home().join(".config/axiom/rules");
    for dir in [&planted, &user_rules] {
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(dir.join("off.yaml"), "rules: []\n").unwrap();
    }
    let event = json!({
        "session_id": "s-1", "hook_event_name": "PreToolUse", "cwd": home.project(),
        "tool_name": "Bash", "tool_input": {"command": "rm -rf /"},
    });
    let mut hook = Command::new(env!("CARGO_BIN_EXE_axiom"));
    hook.arg("hook").current_dir(home.project()).env("HOME", home.home());
    hook.env_remove("AXIOM_RULES").env_remove("XDG_CONFIG_HOME");
    let mut child = hook.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(event.to_string().as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{output:?}");
    let answer: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(answer["hookSpecificOutput"]["permissionDecision"], "deny", "the built-in pack judged: {answer}");

    // Rules the user put there before installing are named, so the hook reads them on purpose.
    let installed = axiom(&home, &["hooks", "install"]);
    assert!(installed.status.success(), "{installed:?}");
    let settings = home.project().join(".claude/settings.local.json");
    let text = std::fs::read_to_string(&settings).unwrap();
    assert!(text.contains(&format!("--rules {}", planted.display())), "{text}");
    assert!(String::from_utf8_lossy(&installed.stderr).contains("can edit"), "{installed:?}");
    assert!(
        String::from_utf8_lossy(&installed.stderr)
            .contains("has 0 rules refusing tool calls where the built-in pack has"),
        "installing rules that refuse nothing says what the pack would have refused: {installed:?}"
    );
    let for_every_project = axiom(&home, &["hooks", "install", "--scope", "user"]);
    assert!(for_every_project.status.success(), "{for_every_project:?}");
    let user_settings = std::fs::read_to_string(home.home().join(".claude/settings.json")).unwrap();
    assert!(
        user_settings.contains(&format!("--rules {}", user_rules.display())) && !user_settings.contains(".axiom"),
        "the user's settings name the user's rules, never one project's: {user_settings}"
    );
    std::fs::remove_dir_all(home.project().join(".axiom")).unwrap();
    // The named directory gone (a `git clean`, say): the built-in pack judges, not nobody.
    let mut hook = Command::new(env!("CARGO_BIN_EXE_axiom"));
    hook.args(["hook", "--rules"]).arg(&planted).current_dir(home.project()).env("HOME", home.home());
    let mut child = hook.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(event.to_string().as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    let answer: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(answer["hookSpecificOutput"]["permissionDecision"], "deny", "{output:?}");
    assert!(String::from_utf8_lossy(&output.stderr).contains("built-in pack instead"), "{output:?}");
    let removed = axiom(&home, &["hooks", "uninstall"]);
    assert!(removed.status.success(), "{removed:?}");
    assert!(!settings.exists(), "uninstall found the hooks it named rules for");
}

/// An `ask` rule in a session nobody watches (`claude -p`): the hook answers "ask", and Claude Code,
/// with no one to ask, must not run the call, even with every permission skipped. In its default
/// mode it would ask before an `rm` anyway, so a read-only call it runs unasked (`ls`) is what
/// shows the rule's effect there.
#[test]
fn an_ask_rule_keeps_a_call_from_running_where_no_person_can_answer() {
    let Some(cli) = claude_cli() else { return };
    const ASK: &str = r#"rules:
  - id: ask-before-destroy
    scope: tool
    match: { regex: ['^Bash: (rm -rf|ls) '] }
    action: ask
    message: "axiom asks: this reads or deletes a directory."
"#;
    for skip_permissions in [true, false] {
        let home = ClaudeHome::new();
        let rules = home.project().join("../ask.yaml");
        std::fs::write(&rules, ASK).unwrap();
        let installed = axiom(&home, &["hooks", "install", "--rules", &rules.to_string_lossy()]);
        assert!(installed.status.success(), "{installed:?}");
        let victim = home.project().join("victim");
        std::fs::create_dir_all(&victim).unwrap();
        std::fs::write(victim.join("listed-only-if-run"), "").unwrap();
        let command = if skip_permissions { "rm -rf" } else { "ls" };
        let api = FakeApi::start(vec![
            Reply::tool("Bash", json!({"command": format!("{command} {}", victim.display())})),
            Reply::text("Done."),
        ]);
        let mut session = Command::new(&cli);
        home.apply(&mut session, &api).args(["-p", "clean up"]);
        if skip_permissions {
            session.arg("--dangerously-skip-permissions");
        }
        output_within(&mut session, Duration::from_secs(120));
        assert!(victim.is_dir(), "the call ran (`{command}`)");
        let requests = api.wait_for("the tool's result", Duration::from_secs(60), |r| r.len() >= 2);
        let answered = user_texts(&requests[1]);
        assert!(
            answered.iter().any(|t| t.starts_with("tool_error:") && !t.contains("listed-only-if-run")),
            "`{command}`: {answered:?}"
        );
    }
}

/// Settings kept with the user's dotfiles (a link) stay a link, and a private file stays private:
/// the new settings replace the link's target, written with its mode from the start.
#[test]
fn installing_into_linked_private_settings_keeps_the_link_and_the_mode() {
    use std::os::unix::fs::PermissionsExt as _;
    let home = ClaudeHome::new();
    let dotfiles = home.home().join("dotfiles");
    std::fs::create_dir_all(&dotfiles).unwrap();
    let target = dotfiles.join("claude-settings.json");
    std::fs::write(&target, "{\n  \"env\": { \"API_KEY\": \"secret\" },\n  \"permissions\": {}\n}\n").unwrap();
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o600)).unwrap();
    let settings = home.project().join(".claude/settings.local.json");
    std::fs::create_dir_all(settings.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(&target, &settings).unwrap();

    let installed = axiom(&home, &["hooks", "install"]);
    assert!(installed.status.success(), "{installed:?}");
    assert!(std::fs::symlink_metadata(&settings).unwrap().file_type().is_symlink(), "the link was replaced");
    let text = std::fs::read_to_string(&target).unwrap();
    assert!(text.contains("axiom") && text.contains("PreToolUse"), "{text}");
    assert!(text.find("\"env\"") < text.find("\"permissions\""), "keys keep their order: {text}");
    assert_eq!(std::fs::metadata(&target).unwrap().permissions().mode() & 0o777, 0o600);
    let leftovers: Vec<_> = std::fs::read_dir(&dotfiles).unwrap().flatten().map(|e| e.file_name()).collect();
    assert_eq!(leftovers.len(), 1, "nothing staged is left behind: {leftovers:?}");
}

#[test]
fn user_scope_hooks_go_where_claude_code_keeps_its_config() {
    let home = ClaudeHome::new();
    let config = home.home().join("elsewhere/claude");
    let mut command = Command::new(env!("CARGO_BIN_EXE_axiom"));
    command.args(["hooks", "install", "--scope", "user"]).current_dir(home.project()).env("HOME", home.home());
    command.env_remove("AXIOM_RULES").env_remove("XDG_CONFIG_HOME").env("CLAUDE_CONFIG_DIR", &config);
    let installed = output_within(&mut command, Duration::from_secs(30));
    assert!(installed.status.success(), "{installed:?}");
    let text = std::fs::read_to_string(config.join("settings.json")).unwrap();
    assert!(text.contains("PreToolUse") && text.contains(" hook"), "{text}");
    assert!(
        !home.home().join(".claude/settings.json").exists(),
        "not in ~/.claude when CLAUDE_CONFIG_DIR says otherwise"
    );
}

#[test]
fn install_refuses_rules_that_do_not_load_and_keeps_the_packs_name_as_a_name() {
    let home = ClaudeHome::new();
    let settings = home.project().join(".claude/settings.local.json");
    let missing = home.project().join("../no-such-rules");
    let refused = axiom(&home, &["hooks", "install", "--rules", &missing.to_string_lossy()]);
    assert_eq!(refused.status.code(), Some(2), "{refused:?}");
    assert!(String::from_utf8_lossy(&refused.stderr).contains("do not load"), "{refused:?}");
    assert!(!settings.exists(), "nothing is installed with rules that do not load");

    let rules = home.project().join("../rules.yaml");
    std::fs::write(&rules, RULES).unwrap();
    let installed = axiom(&home, &["hooks", "install", "--rules", "built-in", "--rules", &rules.to_string_lossy()]);
    assert!(installed.status.success(), "{installed:?}");
    let written = std::fs::read_to_string(&settings).unwrap();
    assert!(written.contains("hook --rules built-in --rules /"), "{written}");
}

/// Uninstall takes away only what install added: the local settings it made go, but the user's
/// settings kept as a link into a dotfiles repository get their `{}` back, target and link intact.
#[test]
fn uninstall_removes_the_local_file_it_made_and_keeps_a_linked_one() {
    let home = ClaudeHome::new();
    let local = home.project().join(".claude/settings.local.json");
    assert!(axiom(&home, &["hooks", "install"]).status.success());
    assert!(local.is_file());
    assert!(axiom(&home, &["hooks", "uninstall"]).status.success());
    assert!(!local.exists(), "the local settings install made are removed");

    let dotfiles = home.home().join("dotfiles/settings.json");
    std::fs::create_dir_all(dotfiles.parent().unwrap()).unwrap();
    std::fs::write(&dotfiles, "{}\n").unwrap();
    let user = home.home().join(".claude/settings.json");
    std::fs::create_dir_all(user.parent().unwrap()).unwrap();
    let _ = std::fs::remove_file(&user);
    std::os::unix::fs::symlink(&dotfiles, &user).unwrap();
    assert!(axiom(&home, &["hooks", "install", "--scope", "user"]).status.success());
    assert!(std::fs::read_to_string(&dotfiles).unwrap().contains("axiom"));
    assert!(axiom(&home, &["hooks", "uninstall", "--scope", "user"]).status.success());
    assert!(std::fs::symlink_metadata(&user).unwrap().file_type().is_symlink(), "the link stays");
    assert_eq!(std::fs::read_to_string(&dotfiles).unwrap().trim(), "{}", "the tracked file is back as it was");
}
