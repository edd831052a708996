//! axiom as an MCP server inside the real Claude Code: its tools reach the model, and the CLI
//! has nothing to complain about in their schemas (no `unknown format "uint32" ignored`).

mod claude_support;

use std::process::Command;
use std::time::Duration;

use claude_support::{claude_cli, output_within, ClaudeHome, FakeApi, Reply};

#[test]
fn claude_code_lists_axioms_tools_without_schema_warnings() {
    let Some(cli) = claude_cli() else { return };
    let home = ClaudeHome::new();
    // The model calls one of axiom's tools: the CLI validates its result against the output schema.
    let api = FakeApi::start(vec![
        Reply::tool("mcp__axiom__axiom_rules", serde_json::json!({})),
        Reply::text("I see the rules."),
    ]);
    let config = serde_json::json!({
        "mcpServers": { "axiom": { "command": env!("CARGO_BIN_EXE_axiom"), "args": ["mcp"] } }
    });
    let config_path = home.project().join("../mcp.json");
    std::fs::write(&config_path, config.to_string()).unwrap();
    let mut command = Command::new(&cli);
    home.apply(&mut command, &api)
        // MCP tools are otherwise deferred behind ToolSearch and not in the first request.
        .env("ENABLE_TOOL_SEARCH", "false")
        .args(["-p", "which rules are there?", "--debug", "--allowedTools", "mcp__axiom__axiom_rules"])
        .args(["--strict-mcp-config", "--mcp-config"])
        .arg(&config_path);
    let output = output_within(&mut command, Duration::from_secs(120));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    let request = &api.requests()[0];
    let tools: Vec<&str> = request["tools"].as_array().unwrap().iter().filter_map(|t| t["name"].as_str()).collect();
    for tool in ["mcp__axiom__axiom_spawn", "mcp__axiom__axiom_status", "mcp__axiom__axiom_check"] {
        assert!(tools.contains(&tool), "{tool} missing from {tools:?}");
    }
    let answer = claude_support::user_texts(&api.requests()[1]);
    assert!(answer.iter().any(|text| text.starts_with("tool_result: ") && text.contains("rules")), "{answer:?}");
    // Where the CLI's schema validator would warn: its output, and its debug log.
    let mut everything = format!("{stdout}\n{stderr}");
    for log in std::fs::read_dir(home.home().join(".claude/debug")).into_iter().flatten().flatten() {
        everything.push_str(&std::fs::read_to_string(log.path()).unwrap_or_default());
    }
    assert!(everything.contains("MCP server \"axiom\""), "the debug log shows no MCP connection");
    assert!(!everything.contains("unknown format"), "{everything}");
}
