//! `axiom rules validate | test | list | init`.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use super::output::outln;

use crate::cli::{Format, RulesCommand};
use crate::human::count;
use crate::pipeline::{Intervention, Pipeline, PipelineOptions};
use crate::rules::{
    judging_in, Expectation, RuleOrigin, RuleSet, RuleSummary, Scope, Subject, Workplace, DEFAULT_PACK,
};

pub fn run(command: RulesCommand) -> anyhow::Result<ExitCode> {
    match command {
        RulesCommand::Validate { rules, format: Format::Json } => validate_as_json(&rules),
        RulesCommand::Validate { rules, format: Format::Text } => {
            let set = super::load_rules(&rules)?;
            set.build_all();
            let (rules, files) = (set.rules().len() as u64, files_read(&set) as u64);
            outln!("ok: {} in {} ({})", count(rules, "rule"), count(files, "file"), set.origin());
            Ok(ExitCode::SUCCESS)
        }
        RulesCommand::Init { dir, force } => init(&dir, force),
        RulesCommand::Test { rules, corpus: Some(corpus), format } => {
            let set = super::load_rules(&rules)?;
            super::corpus::run(&set, &corpus, format)
        }
        RulesCommand::Test { rules, corpus: None, format } => {
            let set = super::load_rules(&rules)?;
            let outcome = test_rules(&set);
            match format {
                Format::Text => {
                    for failure in &outcome.failures {
                        outln!("{failure}");
                    }
                    let skipped = match outcome.skipped {
                        0 => String::new(),
                        n => format!(", {n} skipped (tests of disabled rules)"),
                    };
                    outln!("{} passed, {} failed{skipped}", outcome.passed, outcome.failures.len());
                }
                Format::Json => outln!(
                    "{}",
                    serde_json::json!({
                        "passed": outcome.passed,
                        "failed": outcome.failures.len(),
                        "skipped": outcome.skipped,
                        "failures": outcome.failures,
                    })
                ),
            }
            Ok(if outcome.failures.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) })
        }
        RulesCommand::List { rules, format, subject, command } => {
            let set = super::load_rules(&rules)?;
            crate::logging::note!("axiom: {}", super::describe_rules(&set));
            // Without a command or a choice, every rule is listed; with one, those that would watch it.
            let watching = match (subject.overridden(), command.is_empty()) {
                (None, true) => None,
                (chosen, _) => Some(Subject::decide(chosen, &command)),
            };
            if let (Some(subject), Format::Text) = (watching, format) {
                let what = if command.is_empty() { "this task".to_owned() } else { format!("`{}`", command.join(" ")) };
                let article = if subject == Subject::Agent { "an" } else { "a" };
                crate::logging::note!("axiom: rules that watch {what} ({article} {subject})");
            }
            list(&set, format, watching)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Writes the built-in pack into `dir`, one file per pack file, never over an existing file
/// unless `force`.
fn init(dir: &std::path::Path, force: bool) -> anyhow::Result<ExitCode> {
    use anyhow::Context as _;
    let existing: Vec<String> = DEFAULT_PACK
        .iter()
        .map(|(name, _)| dir.join(name))
        .filter(|path| path.exists())
        .map(|p| p.display().to_string())
        .collect();
    if !existing.is_empty() && !force {
        anyhow::bail!(
            "{} already there, not overwritten (--force overwrites): {}",
            count(existing.len() as u64, "file"),
            existing.join(", ")
        );
    }
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    for (name, text) in DEFAULT_PACK {
        let path = dir.join(name);
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    outln!("wrote {} of the built-in pack to {}", count(DEFAULT_PACK.len() as u64, "file"), dir.display());
    crate::logging::note!(
        "axiom: edit them, then check them with: axiom rules validate --rules {0} && axiom rules test --rules {0}",
        dir.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// What `rules test` found.
#[derive(Debug, Default)]
pub struct TestOutcome {
    pub passed: usize,
    pub failures: Vec<TestFailure>,
    /// Tests of disabled rules, which the pipeline does not run.
    pub skipped: usize,
}

/// A rule's test that failed, or a rule whose message would trigger a rule if an agent echoed it.
#[derive(Debug, serde::Serialize)]
pub struct TestFailure {
    pub rule: String,
    pub file: String,
    pub line: usize,
    pub column: usize,
    #[serde(flatten)]
    pub what: FailedCheck,
}

#[derive(Debug, serde::Serialize)]
#[serde(tag = "check", rename_all = "snake_case")]
pub enum FailedCheck {
    /// An embedded test: its input, what it expected, what the pipeline did (where, and what
    /// it matched, when the rule fired).
    Test { input: String, expected: String, got: String, fired: Option<Fired> },
    /// The rule's message, which would fire these rules.
    Message { message: String, triggers: Vec<Fired> },
}

/// Where a rule fired, and on what.
#[derive(Debug, serde::Serialize)]
pub struct Fired {
    pub rule: String,
    pub line: u64,
    pub column: usize,
    pub matched: String,
}

impl Fired {
    fn from(intervention: &Intervention) -> Self {
        Fired {
            rule: intervention.rule.to_string(),
            line: intervention.line.unwrap_or(0),
            column: intervention.column,
            matched: intervention.matched.to_string(),
        }
    }
}

impl std::fmt::Display for TestFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "FAIL rule `{}` ({}:{}:{})", self.rule, self.file, self.line, self.column)?;
        match &self.what {
            FailedCheck::Test { input, expected, got, fired } => {
                write!(f, "\n  input:    {input:?}\n  expected: {expected}\n  got:      {got}")?;
                match fired {
                    Some(Fired { line, column, matched, .. }) => write!(f, " at {line}:{column} ({matched:?})"),
                    None => Ok(()),
                }
            }
            FailedCheck::Message { message, triggers } => {
                let triggered: Vec<String> =
                    triggers.iter().map(|fired| format!("`{}` ({:?})", fired.rule, fired.matched)).collect();
                write!(
                    f,
                    "\n  its message would trigger {} if the agent echoed it back\n  message:  {message:?}",
                    triggered.join(", ")
                )
            }
        }
    }
}

impl TestFailure {
    /// A failure placed at the rule's `id:` line.
    fn of(rule: &crate::rules::Rule, what: FailedCheck) -> Self {
        let at = &rule.location;
        TestFailure { rule: rule.id.clone(), file: at.file.clone(), line: at.line, column: at.column, what }
    }

    /// A failure placed at the rule's `index`-th test, where it can be found.
    fn of_test(rule: &crate::rules::Rule, index: usize, what: FailedCheck) -> Self {
        let mut failure = Self::of(rule, what);
        if let Some((line, column)) = crate::rules::test_position(rule, index) {
            (failure.line, failure.column) = (line, column);
        }
        failure
    }
}

/// Runs every embedded test through a real offline pipeline of the rule's scope, then checks that
/// no rule's message, echoed back by an agent, would trigger a rule.
pub fn test_rules(rules: &Arc<RuleSet>) -> TestOutcome {
    let mut outcome = TestOutcome::default();
    for rule in rules.rules() {
        if !rule.enabled {
            outcome.skipped += rule.tests.len();
            continue;
        }
        for (index, test) in rule.tests.iter().enumerate() {
            let place = test.branch.clone().map(Workplace::Branch);
            let fired = judging_in(place, || run_with_history(rules, rule.scope, &test.history, &test.input));
            let own: Vec<&Intervention> = fired.iter().filter(|i| i.rule == rule.id).collect();
            let got = if own.is_empty() { Expectation::NoMatch } else { Expectation::Match };
            if got == test.expect {
                outcome.passed += 1;
                continue;
            }
            outcome.failures.push(TestFailure::of_test(
                rule,
                index,
                FailedCheck::Test {
                    input: test.input.clone(),
                    expected: test.expect.to_string(),
                    got: got.to_string(),
                    fired: own.first().map(|i| Fired::from(i)),
                },
            ));
        }
        if let Some(message) = &rule.message {
            let fired = run_text(rules, Scope::Output, message);
            if fired.is_empty() {
                outcome.passed += 1;
            } else {
                let triggers = fired.iter().map(Fired::from).collect();
                outcome
                    .failures
                    .push(TestFailure::of(rule, FailedCheck::Message { message: message.clone(), triggers }));
            }
        }
    }
    outcome
}

/// What `text` fires, run through a fresh offline pipeline of `scope`.
pub fn run_text(rules: &Arc<RuleSet>, scope: Scope, text: &str) -> Vec<Intervention> {
    run_with_history(rules, scope, "", text)
}

/// What `text` fires after the pipeline has seen `history` (whose own firings are ignored): the
/// edits and test runs in it are the evidence `text` is judged on.
fn run_with_history(rules: &Arc<RuleSet>, scope: Scope, history: &str, text: &str) -> Vec<Intervention> {
    let mut pipeline = Pipeline::new(Arc::clone(rules), scope, "test", PipelineOptions::offline());
    let now = Instant::now();
    if !history.is_empty() {
        pipeline.push(history.as_bytes(), now);
        if !history.ends_with('\n') {
            pipeline.push(b"\n", now);
        }
    }
    let mut fired = pipeline.push(text.as_bytes(), now);
    fired.extend(pipeline.finish(now));
    fired
}

fn list(rules: &RuleSet, format: Format, watching: Option<Subject>) -> anyhow::Result<()> {
    let summaries: Vec<RuleSummary> = rules
        .rules()
        .iter()
        .filter(|rule| watching.is_none_or(|subject| rule.applies_to.covers(subject)))
        .map(RuleSummary::from)
        .collect();
    match format {
        Format::Json => outln!("{}", serde_json::to_string_pretty(&summaries)?),
        Format::Text => {
            let width = summaries.iter().map(|s| s.id.len()).max().unwrap_or(2).max(2);
            let source_width = summaries.iter().map(|s| s.source.len()).max().unwrap_or(6).max(6);
            outln!(
                "{:<width$}  {:<8}  {:<9}  {:<6}  {:<7}  {:<source_width$}  DESCRIPTION",
                "ID",
                "SEVERITY",
                "ACTION",
                "SCOPE",
                "APPLIES",
                "SOURCE"
            );
            for s in &summaries {
                let off = if s.enabled { "" } else { " (disabled)" };
                outln!(
                    "{:<width$}  {:<8}  {:<9}  {:<6}  {:<7}  {:<source_width$}  {}{off}",
                    s.id,
                    s.severity,
                    s.action,
                    s.scope,
                    s.applies_to,
                    s.source,
                    s.description
                );
            }
        }
    }

    Ok(())
}

/// Every file read, also one that holds no rules (the built-in pack's are inside the binary).
fn files_read(set: &RuleSet) -> usize {
    match set.origin() {
        RuleOrigin::Embedded => DEFAULT_PACK.len(),
        origin => origin.files().len(),
    }
}

/// `rules validate --format json`: a record per problem, then a summary; exit 2 if any problem.
fn validate_as_json(args: &crate::cli::RulesArgs) -> anyhow::Result<ExitCode> {
    let origin = RuleOrigin::resolve(&args.paths);
    let summary = match RuleSet::load(origin.clone()) {
        Ok(set) => {
            set.build_all();
            serde_json::json!({"type": "summary", "ok": true, "problems": 0, "rules": set.rules().len(),
                               "files": files_read(&set), "origin": origin.to_string()})
        }
        Err(errors) => {
            for error in &errors.0 {
                let problem = serde_json::json!({"type": "problem", "file": error.file, "line": error.line,
                    "column": error.column, "rule": error.rule, "message": error.message});
                outln!("{problem}");
            }
            serde_json::json!({"type": "summary", "ok": false, "problems": errors.0.len(), "rules": null,
                               "files": null, "origin": origin.to_string()})
        }
    };
    outln!("{summary}");
    Ok(if summary["ok"] == true { ExitCode::SUCCESS } else { ExitCode::from(2) })
}
