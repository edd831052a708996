//! The pty driver with the real Claude Code UI: `axiom run --driver pty` on a terminal of its own
//! (a pseudo-terminal this test holds, as a person's terminal would be), against the scripted
//! Messages API stand-in. What the model received is read from the stand-in's request log.

mod claude_support;
mod pty_support;

use std::path::Path;
use std::time::{Duration, Instant};

use claude_support::{claude_cli, user_texts, ClaudeHome, FakeApi, Reply};
use pty_support::{carries, correction_run, longest_rule, Load, Session, Terminal, PATIENCE};
use serde_json::json;

fn axiom() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_axiom"))
}

fn session<'a>(cli: &'a Path, rows: u16, cols: u16, rules: &'a str) -> Session<'a> {
    Session { axiom: axiom(), cli, rows, cols, rules, run_args: &[], cli_args: &[] }
}

/// A tool call that hangs for far longer than any test waits, and that Claude Code runs.
const HANGING_TOOL: &str = "python3 -c 'import time; time.sleep(600)'";

const RULES: &str = r#"
rules:
  - id: claim
    match: { literals: ["All tests pass and nothing"] }
    action: inject
    message: Show me the test output first.
  - id: waiting
    match: { literals: ["Let me wait for the build"] }
    action: inject
    message: Stop and report what the build printed.
"#;

#[test]
fn keys_size_a_multi_word_rule_and_a_correction_during_a_tool_reach_the_real_ui() {
    let Some(cli) = claude_cli() else { return };
    let home = ClaudeHome::new();
    let api = FakeApi::start(vec![
        Reply::text("I'll now plan the work. All tests pass and nothing is left to do."),
        Reply::text("Let me wait for the build.").then_tool("Bash", json!({"command": "sleep 4"})),
        Reply::text("The build printed nothing."),
    ]);
    let terminal = Terminal::start(&session(&cli, 40, 120, RULES), &home, &api);

    // The window size at start reaches the UI: its rules are drawn 120 wide.
    terminal.wait_drawn("the UI drawn 120 columns wide", 0, |shown| longest_rule(shown) == 120);
    // Keys typed on axiom run's terminal reach the UI, and the model.
    terminal.type_keys(b"write a sentence");
    terminal.wait_drawn("the typed prompt", 0, |shown| String::from_utf8_lossy(shown).contains("sentence"));
    terminal.type_keys(b"\r");
    api.wait_for_user_text("write a sentence", PATIENCE);

    // A multi-word rule fires on the cursor-drawn reply, and its correction reaches the model.
    api.wait_for_user_text("Show me the test output first.", PATIENCE);
    // A correction sent while the `sleep 4` runs is submitted and reaches the model as a user
    // message (after the tool's result, in the same turn or the next).
    let index = api.wait_for_user_text("Stop and report what the build printed.", PATIENCE);
    let requests = api.requests();
    assert!(
        requests[..index].iter().any(|request| user_texts(request).iter().any(|t| t.starts_with("tool_result")))
            || user_texts(&requests[index]).iter().any(|t| t.starts_with("tool_result")),
        "the correction came while the tool ran: {:#?}",
        requests.iter().map(user_texts).collect::<Vec<_>>()
    );

    // A resize reaches the UI: it redraws 100 wide.
    let from = terminal.shown().len();
    terminal.resize(30, 100);
    terminal.wait_drawn("the UI redrawn 100 columns wide", from, |shown| longest_rule(shown) == 100);
}

// The tool hangs in python: Claude Code 2.1.332 refuses `sleep 60` as a tool call ("Blocked:
// standalone sleep 60 ... use run_in_background"), answers the model at once and goes back to its
// prompt, idle. That refusal, not the silence detection, is why this test once failed.
#[test]
fn a_hung_tool_behind_a_spinner_is_silent() {
    let Some(cli) = claude_cli() else { return };
    let home = ClaudeHome::new();
    let api = FakeApi::start(vec![
        Reply::text("Running it.").then_tool("Bash", json!({"command": HANGING_TOOL})),
        Reply::text("Done."),
    ]);
    let rules = "rules:\n  - id: hung\n    silence: 4s\n    action: warn\n    message: No new output.\n";
    let terminal = Terminal::start(&session(&cli, 30, 100, rules), &home, &api);
    terminal.wait_drawn("the UI", 0, |shown| longest_rule(shown) == 100);
    terminal.type_keys(b"run the slow thing");
    terminal.wait_drawn("the typed prompt", 0, |shown| String::from_utf8_lossy(shown).contains("thing"));
    terminal.type_keys(b"\r");
    api.wait_for_user_text("run the slow thing", PATIENCE);
    terminal.wait_drawn("the tool running", 0, |shown| String::from_utf8_lossy(shown).contains("time.sleep(600)"));
    // The spinner and its timer redraw all the time; the silence rule fires anyway, after the tool
    // started (a warning from before, on a slow first turn, does not count).
    let before = terminal.stderr_text().matches("hung").count();
    let deadline = Instant::now() + PATIENCE;
    while terminal.stderr_text().matches("hung").count() <= before {
        assert!(Instant::now() < deadline, "the silence rule never fired: {}", terminal.stderr_text());
        std::thread::sleep(Duration::from_millis(100));
    }
    let tool_done = api.requests().iter().any(|request| user_texts(request).iter().any(|t| t.starts_with("tool_")));
    assert!(!tool_done, "the silence came while the tool (and its spinner) still ran");
}

#[test]
fn an_idle_ui_at_its_prompt_longer_than_a_silence_window_is_not_nudged() {
    let Some(cli) = claude_cli() else { return };
    let home = ClaudeHome::new();
    let api = FakeApi::start(vec![
        Reply::text("Here is the sentence."),
        Reply::text("Running it.").then_tool("Bash", json!({"command": HANGING_TOOL})),
    ]);
    // The window is longer than a turn takes on a loaded machine: a turn whose spinner runs with
    // nothing new on the screen for that long is silent too, rightly, and would be nudged.
    let rules = "rules:\n  - id: quiet\n    silence: 8s\n    action: inject\n    message: Are you still there?\n";
    let mut session = session(&cli, 30, 100, rules);
    session.cli_args = &["write a sentence"];
    let terminal = Terminal::start(&session, &home, &api);
    api.wait_for_user_text("write a sentence", PATIENCE);
    terminal.wait_drawn("the reply", 0, |shown| String::from_utf8_lossy(shown).contains("sentence."));
    // Idle at its prompt for more than two silence windows: no nudge, not even a warning line.
    std::thread::sleep(Duration::from_secs(20));
    assert!(!terminal.stderr_text().contains("quiet"), "an idle UI was nudged: {}", terminal.stderr_text());
    assert!(
        !api.requests().iter().any(|request| carries(request, "Are you still there?")),
        "the nudge reached the model"
    );
    // The same rule is live: once a tool hangs (behind the spinner), it fires.
    terminal.type_keys(b"run the slow thing");
    terminal.wait_drawn("the typed prompt", 0, |shown| String::from_utf8_lossy(shown).contains("thing"));
    terminal.type_keys(b"\r");
    api.wait_for_user_text("run the slow thing", PATIENCE);
    terminal.wait_stderr("quiet");
}

/// The 20-run measurement of the same thing is `examples/pty_correction.rs`; this keeps a few runs in CI.
#[test]
fn a_correction_typed_while_a_tool_runs_reaches_the_model_in_three_sessions_of_three() {
    let Some(cli) = claude_cli() else { return };
    for run in 0..3 {
        let outcome = correction_run(axiom(), &cli, Load::Busy, PATIENCE);
        let outcome = outcome.unwrap_or_else(|lost| panic!("run {run}: {lost}"));
        eprintln!("run {run}: {outcome:?}");
    }
}

#[test]
fn a_correction_waits_while_a_permission_dialog_is_up_and_never_answers_it() {
    let Some(cli) = claude_cli() else { return };
    let home = ClaudeHome::new();
    let marker = home.project().join("MARKER");
    let api = FakeApi::start(vec![
        Reply::text("Making the marker.")
            .then_tool("Bash", json!({"command": format!("touch {} && echo made", marker.display())})),
        Reply::text("I will implement the bracket handling now."),
        Reply::text("Implemented."),
    ]);
    // The rule fires on the dialog's own question, so it fires while the dialog is up (the call
    // is drawn above it earlier, and a correction typed before the dialog is another race). A
    // message that starts with `y` answers the dialog "yes" when typed into it.
    let rules = "rules:\n  - id: later\n    match: { literals: ['Do you want to proceed'] }\n    action: inject\n    message: Yes, implement it now.\n";
    let terminal = Terminal::start_asking(&session(&cli, 40, 120, rules), &home, &api);
    terminal.wait_drawn("the input box", 0, |shown| String::from_utf8_lossy(shown).contains('❯'));
    terminal.type_keys(b"make the marker");
    terminal.wait_drawn("the typed prompt", 0, |shown| String::from_utf8_lossy(shown).contains("marker"));
    terminal.type_keys(b"\r");
    // The rule fires while Claude Code asks whether the call may run: Enter typed now would
    // answer "Yes".
    terminal.wait_stderr("later (inject)");
    terminal.wait_drawn("the permission dialog", 0, |shown| String::from_utf8_lossy(shown).contains("proceed"));
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        assert!(!marker.exists(), "the correction's keys approved the tool call");
        std::thread::sleep(Duration::from_millis(100));
    }
    // The person says no (Escape); the dialog goes, and the correction is typed and reaches the model.
    terminal.type_keys(b"\x1b");
    api.wait_for_user_text("Yes, implement it now.", PATIENCE);
    assert!(!marker.exists(), "the call ran though nobody approved it");
}
