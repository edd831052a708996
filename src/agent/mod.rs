//! Agent sessions as the rules see them: what an agent was asked, what it wrote, which tools it
//! called and what they returned.
//!
//! Every source of agent events ends up here: Claude Code's live `stream-json` output (the
//! `claude` driver), the JSON of its hooks (`axiom hook`) and saved session transcripts (Claude
//! Code's `~/.claude/projects/*/*.jsonl`, Codex CLI's sessions ([`codex`]) and Aider's chat
//! history ([`aider`]), each turned into [`AgentEvent`]s by its own reader). [`render`] is the one place that turns an event into the lines rules match,
//! each tagged with the [`Scope`] whose rules judge it, so a rule behaves the same live, in a hook
//! and over a transcript.
//!
//! ```
//! use axiom::agent::{claude, render, AgentLine};
//! use axiom::rules::Scope;
//!
//! let event = r#"{"type":"assistant","message":{"role":"assistant","content":[
//!     {"type":"text","text":"Cleaning up."},
//!     {"type":"tool_use","id":"toolu_1","name":"Bash","input":{"command":"rm -rf build"}}]}}"#;
//! let mut lines = Vec::new();
//! for event in claude::parse_line(event).unwrap().events() {
//!     render(&event, &mut lines);
//! }
//! assert_eq!(lines, [AgentLine::new(Scope::Output, "Cleaning up."), AgentLine::new(Scope::Tool, "Bash: rm -rf build")]);
//! ```

pub mod aider;
pub mod claude;
pub mod codex;
mod evidence;
mod render;

pub use evidence::{observe_tool_line, EventObserver};
pub use render::{render, shell_script, tool_line, AgentLine};

/// One thing that happened in an agent session, independent of the agent's wire format.
#[derive(Debug, Clone, PartialEq)]
pub enum AgentEvent {
    /// A prompt the agent was given (by the user, or by axiom as a correction).
    Prompt { text: String },
    /// Text the agent wrote.
    Text { text: String },
    /// The agent asks to run a tool. `input` is the tool's arguments as the agent sent them.
    ToolCall { id: Option<String>, name: String, input: serde_json::Value },
    /// What a tool call returned.
    ToolResult { id: Option<String>, text: String, is_error: bool },
    /// The agent finished a turn (Claude Code's `result`).
    TurnEnd(TurnStats),
}

/// How a turn (or, for `claude -p`, the whole session) ended.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct TurnStats {
    /// `success`, `error_max_turns`, `error_during_execution`, ...
    pub subtype: String,
    pub is_error: bool,
    pub turns: Option<u64>,
    pub cost_usd: Option<f64>,
    pub duration_ms: Option<u64>,
    pub session_id: Option<String>,
}
