//! The command line, as clap types. Parsing only; the work happens in `commands/`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::rules::Scope;

const EXIT_CODES: &str = "\
Exit status:
  0  success (for `check`: no rule matched)
  1  `check`: at least one rule matched; `rules test`: a test failed
  2  an error: bad rules (FILE:LINE:COL is printed), an unreadable file, bad arguments";

#[derive(Debug, Parser)]
#[command(
    name = "axiom",
    version,
    about = "Supervises AI coding agents and other long-running commands, and steps in when they go wrong.",
    after_help = EXIT_CODES
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the rule pipeline over log files or stdin, offline, and report every line a rule matches.
    #[command(after_help = CHECK_HELP)]
    Check(CheckArgs),
    /// Validate, test or list rules.
    #[command(subcommand)]
    Rules(RulesCommand),
}

const CHECK_HELP: &str = "\
Offline, each line is judged on its own: cooldown, threshold, escalation and silence rules are not
applied (they need a live task's clock). Every line a rule matches is reported, once per rule.

Text output: FILE:LINE:COL: [severity] rule-id (action): matched text
JSON output (--format json): one {\"type\":\"match\",...} object per line, then one {\"type\":\"summary\",...}.

Exit status: 0 no rule matched, 1 at least one match, 2 an error.

Examples:
  axiom check session.log
  claude -p 'fix the bug' | tee out.log | axiom check --format json
  axiom check --rules my-rules/ --quiet logs/*.log";

#[derive(Debug, Clone, Args)]
pub struct RulesArgs {
    /// Rule files or directories (repeatable). Default: $AXIOM_RULES, else ./rules/, else
    /// $XDG_CONFIG_HOME/axiom/rules/, else the built-in pack.
    #[arg(long = "rules", value_name = "PATH")]
    pub paths: Vec<PathBuf>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum Format {
    #[default]
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour when stdout is a terminal and NO_COLOR is not set.
    #[default]
    Auto,
    Always,
    Never,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub rules: RulesArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
    /// Print only the summary.
    #[arg(long, short)]
    pub quiet: bool,
    /// Which rules to apply: those for task output, or those for spawn prompts.
    #[arg(long, value_enum, default_value_t = ScopeArg::Output)]
    pub scope: ScopeArg,
    /// When to colour text output.
    #[arg(long, value_enum, default_value_t)]
    pub color: ColorChoice,
    /// Files to check; none or `-` reads stdin.
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScopeArg {
    Output,
    Prompt,
}

impl From<ScopeArg> for Scope {
    fn from(scope: ScopeArg) -> Scope {
        match scope {
            ScopeArg::Output => Scope::Output,
            ScopeArg::Prompt => Scope::Prompt,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Check rule files; print every problem as FILE:LINE:COL: message (exit 2 if any).
    Validate {
        #[command(flatten)]
        rules: RulesArgs,
    },
    /// Run every rule's embedded tests through the real pipeline, and check that no rule's message
    /// triggers a rule; ends with `N passed, M failed` (exit 1 if any failed).
    Test {
        #[command(flatten)]
        rules: RulesArgs,
    },
    /// List the rules in force.
    List {
        #[command(flatten)]
        rules: RulesArgs,
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
}
