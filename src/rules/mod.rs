//! Rules: the YAML schema, loading files into a checked [`RuleSet`], and compiling the matchers.
//!
//! ```
//! use axiom::rules::{RuleDocument, RuleSet};
//!
//! let yaml = "rules:\n  - id: todo\n    match: { literals: ['TODO:'] }\n";
//! let rules = RuleSet::from_documents(vec![RuleDocument::new("inline.yaml", yaml)]).unwrap();
//! assert_eq!(rules.rules()[0].id, "todo");
//! ```

mod addresses;
mod attribution;
mod command;
mod compile;
mod copy_targets;
mod dfa_growth;
mod error;
mod files_run;
mod git_config;
mod glob_names;
mod lazy_regex;
mod load;
mod locate;
mod loosen;
mod make_recipes;
mod model;
mod own_files;
mod prefilter;
mod prefixes;
mod running;
mod saved_and_run;
mod scan_payoff;
pub mod schema;
mod size;
mod sources;
mod subject;
mod summary;
mod tool_class;
mod walk;
mod workplace;

pub use attribution::{Attribution, GroupCache, PatternGroup, PatternInfo, PatternKind, PatternStart};
pub use command::{CommandMatcher, WhereItRuns};
pub use compile::{CompiledScope, LiteralMatcher, RegexMatcher, Scan, LINES_ABOVE};
pub use error::{RuleError, RuleErrors};
pub use files_run::{files_run, FileRun, RunScript, MOST_SCRIPT_BYTES};
pub use lazy_regex::LazyRegex;
pub use load::RuleDocument;
pub use locate::test_position;
pub use model::{Escalation, Location, Rule, RuleSet, ThresholdPolicy};
pub use own_files::guard_rule_files;
pub use scan_payoff::{ScanCost, ScanPayoff};
pub use schema::{Action, AppliesTo, EvidenceSpec, Expectation, RuleTest, Scope, Severity, TestEvidence};
pub use sources::{names_the_pack, RuleOrigin, BUILT_IN, DEFAULT_PACK, PACK_NAME, PROJECT_RULES};
pub use subject::Subject;
pub use summary::RuleSummary;
pub use tool_class::{
    line_regex, may_run_a_command, reads_as_json, unescape_tool_argument, ToolClass, ARGUMENT_FIELDS,
};
pub use workplace::{judging_in, on_disk_from, on_disk_through_last_link, resolved_on_disk, Workplace};
