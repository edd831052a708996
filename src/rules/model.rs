//! The checked, compiled form of the rules that the pipeline runs.

use std::sync::Arc;
use std::time::Duration;

use super::command::CommandMatcher;
use super::compile::CompiledScope;
use super::schema::{Action, AppliesTo, RuleTest, Scope, Severity};
use super::sources::RuleOrigin;
use super::tool_class::ToolClass;
use crate::evidence::EvidenceCondition;

/// Where a rule was defined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub file: String,
    pub line: usize,
    pub column: usize,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThresholdPolicy {
    pub count: u32,
    pub within: Duration,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Escalation {
    pub within: Duration,
    pub steps: Vec<Action>,
}

/// One validated rule. Defaults are filled in; `action` is the first action it takes.
#[derive(Debug, Clone)]
pub struct Rule {
    pub id: String,
    pub description: String,
    pub severity: Severity,
    pub scope: Scope,
    /// For `scope: tool`: the class of tools whose calls the rule judges (`tool: shell`).
    pub tool: Option<ToolClass>,
    pub applies_to: AppliesTo,
    pub action: Action,
    pub message: Option<String>,
    pub literals: Vec<String>,
    pub regexes: Vec<String>,
    pub case_insensitive: bool,
    pub unless: Vec<String>,
    pub unless_above: Vec<String>,
    /// The shell command a flagged line must show running (`command:`).
    pub command: Option<CommandMatcher>,
    /// The evidence state in which a flagged line fires (`evidence:`).
    pub evidence: Option<EvidenceCondition>,
    pub cooldown: Option<Duration>,
    pub threshold: Option<ThresholdPolicy>,
    pub escalate: Option<Escalation>,
    pub silence: Option<Duration>,
    pub enabled: bool,
    pub tags: Vec<String>,
    pub tests: Vec<RuleTest>,
    pub location: Location,
}

/// All loaded rules plus their compiled matchers, one per scope. Cheap to share: wrap it in an `Arc`.
#[derive(Debug)]
pub struct RuleSet {
    pub(super) rules: Vec<Rule>,
    pub(super) origin: RuleOrigin,
    pub(super) output: Arc<CompiledScope>,
    pub(super) prompt: Arc<CompiledScope>,
    pub(super) tool: Arc<CompiledScope>,
}

impl RuleSet {
    /// Every rule, enabled or not, in load order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    pub fn rule(&self, index: usize) -> &Rule {
        &self.rules[index]
    }

    pub fn origin(&self) -> &RuleOrigin {
        &self.origin
    }

    /// Builds every scope's automata now instead of on first use (see [`CompiledScope`]).
    pub fn build_all(&self) {
        for scope in [&self.output, &self.prompt, &self.tool] {
            scope.build_all();
        }
    }

    /// The compiled matchers for the enabled rules of one scope; their automata are built on
    /// first use.
    pub fn scope(&self, scope: Scope) -> &Arc<CompiledScope> {
        match scope {
            Scope::Output => &self.output,
            Scope::Prompt => &self.prompt,
            Scope::Tool => &self.tool,
        }
    }

    /// Parses and groups every scope's patterns now, which a scope's first line would otherwise
    /// do (about 10 ms for the built-in pack's output scope): a hub calls this off its runtime
    /// threads, so no task's first output waits for it.
    pub fn prepare(&self) {
        for scope in [Scope::Output, Scope::Prompt, Scope::Tool] {
            self.scope(scope).attribution();
        }
    }
}
