//! A rule as listings show it: `axiom rules list --format json`, `axiom client rules`, MCP `axiom_rules`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::model::Rule;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RuleSummary {
    pub id: String,
    pub severity: String,
    pub action: String,
    /// `output` (task output) or `prompt` (spawn prompts).
    pub scope: String,
    /// `any` (every task) or `agents` (only tasks running an AI agent).
    pub applies_to: String,
    pub enabled: bool,
    pub description: String,
    pub tags: Vec<String>,
    /// `FILE:LINE:COL` where the rule is defined.
    pub source: String,
}

impl From<&Rule> for RuleSummary {
    fn from(rule: &Rule) -> Self {
        RuleSummary {
            id: rule.id.clone(),
            severity: rule.severity.to_string(),
            action: rule.action.to_string(),
            scope: rule.scope.to_string(),
            applies_to: rule.applies_to.to_string(),
            enabled: rule.enabled,
            description: rule.description.clone(),
            tags: rule.tags.clone(),
            source: rule.location.to_string(),
        }
    }
}
