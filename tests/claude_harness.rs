//! The real-CLI harness itself: Claude Code runs offline against the scripted stand-in, the
//! scripted tool calls really run, and the request log shows what the model received.

mod claude_support;

use std::process::Command;
use std::time::Duration;

use claude_support::{claude_cli, output_within, user_texts, ClaudeHome, FakeApi, Reply};
use serde_json::json;

const PATIENCE: Duration = Duration::from_secs(90);

#[test]
fn print_mode_runs_a_scripted_tool_call_and_the_model_sees_its_result() {
    let Some(cli) = claude_cli() else { return };
    let home = ClaudeHome::new();
    let api = FakeApi::start(vec![
        Reply::text("Writing the file.").then_tool("Bash", json!({"command": "echo scripted > made-by-tool.txt"})),
        Reply::text("The file is written."),
    ]);
    let mut command = Command::new(&cli);
    home.apply(&mut command, &api).args(["-p", "write the file", "--dangerously-skip-permissions"]);
    let output = output_within(&mut command, PATIENCE);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "claude -p failed: {output:?}");
    assert!(stdout.contains("The file is written."), "{stdout}");
    assert_eq!(std::fs::read_to_string(home.project().join("made-by-tool.txt")).unwrap(), "scripted\n");
    let requests = api.wait_for("both turns", PATIENCE, |requests| requests.len() >= 2);
    assert!(user_texts(&requests[0]).iter().any(|text| text == "write the file"), "{:?}", user_texts(&requests[0]));
    assert!(
        user_texts(&requests[1]).iter().any(|text| text.starts_with("tool_result: ")),
        "{:?}",
        user_texts(&requests[1])
    );
}
