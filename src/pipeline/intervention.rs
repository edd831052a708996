//! Stage 4: what the pipeline hands to its caller when a rule fires.

use std::sync::Arc;

use serde::Serialize;

use crate::rules::{Action, Severity};

/// A rule fired for a task. The caller decides where it goes: a worker socket, a report, an MCP
/// notification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Intervention {
    /// The task (or, offline, the file) the pipeline was created for.
    pub task: Arc<str>,
    pub rule: String,
    /// Index of the rule in the rule set it came from.
    #[serde(skip)]
    pub rule_index: usize,
    pub severity: Severity,
    /// The action to take now; with escalation, later firings climb the rule's ladder.
    pub action: Action,
    pub message: Option<String>,
    /// The matched text; empty for a silence rule.
    pub matched: String,
    /// The normalized line (or segment of it) that matched; empty for a silence rule.
    pub text: String,
    /// 1-based line number; `None` for a silence rule.
    pub line: Option<u64>,
    /// 1-based byte offset of the match in the normalized line; 0 for a silence rule.
    pub column: usize,
}
