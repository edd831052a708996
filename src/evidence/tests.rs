use super::*;

fn spec(tests: &[TestEvidence], unverified: bool) -> EvidenceCondition {
    EvidenceCondition::compile(&EvidenceSpec { tests: tests.to_vec(), unverified, ..Default::default() })
}

#[test]
fn repeats_count_hits_since_the_evidence_changed() {
    let loop_spec = EvidenceSpec { repeats: Some(3), ..Default::default() };
    let looping = EvidenceCondition::compile(&loop_spec);
    let mut evidence = Evidence::default();
    assert!(!evidence.allows(0, &looping));
    assert!(!evidence.allows(0, &looping));
    assert!(evidence.allows(0, &looping), "the third hit with nothing done in between");
    evidence.observe(Observation::Command { test: false, key: None });
    assert!(!evidence.allows(0, &looping), "doing something starts the count again");
}

#[test]
fn reruns_fire_on_the_third_failed_run_of_one_command_and_each_one_after() {
    let rerun = EvidenceCondition::compile(&EvidenceSpec { reruns: Some(3), ..Default::default() });
    let npm = Some(CommandKey::of("npm test"));
    let mut evidence = Evidence::default();
    let fail = |evidence: &mut Evidence| {
        evidence.observe(Observation::Command { test: true, key: npm });
        evidence.observe(Observation::TestOutcome { passed: false });
        evidence.allows(0, &rerun)
    };
    assert!(!fail(&mut evidence) && !fail(&mut evidence), "one or two failures are debugging");
    assert!(fail(&mut evidence), "the third in a row");
    assert!(fail(&mut evidence), "and the fourth: another run, another state");
    evidence.observe(Observation::Request("try once more, the registry was down".into()));
    assert!(!fail(&mut evidence), "the user asked for it");
    evidence.observe(Observation::Command { test: false, key: Some(CommandKey::of("ls")) });
    evidence.observe(Observation::RunEnded { ok: false });
    evidence.observe(Observation::RunEnded { ok: false });
    assert!(!evidence.allows(0, &rerun), "a result that is not the tests' counts for its own command");
    evidence.observe(Observation::Edit);
    assert!(!fail(&mut evidence) && !fail(&mut evidence), "an edit starts the count again");
    assert!(fail(&mut evidence));
}

#[test]
fn an_exemption_alone_fires_on_every_line_not_once_per_state() {
    let asked =
        EvidenceCondition::compile(&EvidenceSpec { unless_asked: Some("(?i)stub".into()), ..Default::default() });
    let mut evidence = Evidence::default();
    assert!(evidence.allows(0, &asked) && evidence.allows(0, &asked), "a second TODO in one diff is reported too");
    evidence.observe(Observation::Request("write a stub for the parser".into()));
    assert!(!evidence.allows(0, &asked), "asked for");
    let every_state = EvidenceCondition::compile(&EvidenceSpec { unless_asked: None, ..Default::default() });
    assert!(
        evidence.allows(1, &every_state) && !evidence.allows(1, &every_state),
        "`evidence: {{}}` is once per state"
    );
}

#[test]
fn unless_asked_spares_what_the_user_requested() {
    let asked = EvidenceSpec { unless_asked: Some("(?i)stub".into()), ..Default::default() };
    let stub = EvidenceCondition::compile(&asked);
    let mut evidence = Evidence::default();
    evidence.observe(Observation::Request("Add minimal".into()));
    evidence.observe(Observation::Request("stubs for the DAG exports".into()));
    assert!(!evidence.holds(&stub), "both lines are one request");
    evidence.observe(Observation::Edit);
    evidence.observe(Observation::Request("now implement them".into()));
    assert!(evidence.holds(&stub), "a new request replaces the old");
    evidence.observe(Observation::Reply);
    evidence.observe(Observation::Request("make them stubs again".into()));
    assert!(!evidence.holds(&stub), "after a reply, the next request is a new message");
    evidence.observe(Observation::Reply);
    assert!(!evidence.holds(&stub), "a reply leaves the request it answered in force");
    evidence.observe(Observation::Request("and document them".into()));
    assert!(evidence.holds(&stub));
}

#[test]
fn a_claim_after_an_edit_needs_a_passing_test_run() {
    let claim = spec(&[TestEvidence::Missing, TestEvidence::Failed], false);
    let mut evidence = Evidence::default();
    assert!(evidence.holds(&claim), "nothing ran yet");
    evidence.observe(Observation::TestOutcome { passed: true });
    assert!(!evidence.holds(&claim));
    evidence.observe(Observation::Edit);
    assert!(evidence.holds(&claim), "the edit came after the passing run");
    evidence.observe(Observation::Command { test: true, key: None });
    assert!(!evidence.holds(&claim), "running, outcome unknown: not judged");
    evidence.observe(Observation::CommandResult { ok: false });
    assert!(evidence.holds(&claim), "the run failed");
    evidence.observe(Observation::Command { test: true, key: None });
    evidence.observe(Observation::CommandResult { ok: true });
    assert!(!evidence.holds(&claim), "the rerun passed");
}

#[test]
fn every_command_ends_a_run_of_repeats() {
    let looping = EvidenceCondition::compile(&EvidenceSpec { repeats: Some(2), ..Default::default() });
    let mut evidence = Evidence::default();
    evidence.observe(Observation::Command { test: false, key: None });
    assert!(!evidence.allows(0, &looping), "first second thought");
    evidence.observe(Observation::Command { test: false, key: None });
    assert!(!evidence.allows(0, &looping), "a second command came between: counting starts again");
    assert!(evidence.allows(0, &looping), "two in a row");
}

#[test]
fn an_error_while_the_tests_run_fails_them_unless_a_summary_says_otherwise() {
    let claim = spec(&[TestEvidence::Missing, TestEvidence::Failed], false);
    let mut evidence = Evidence::default();
    evidence.observe(Observation::Edit);
    evidence.observe(Observation::Command { test: true, key: None });
    evidence.observe(Observation::Failure);
    assert!(evidence.holds(&claim), "`cargo test` that does not compile failed");
    evidence.observe(Observation::Command { test: true, key: None });
    evidence.observe(Observation::Failure);
    evidence.observe(Observation::TestOutcome { passed: true });
    assert!(!evidence.holds(&claim), "an error logged by a test, then every test passed");
    evidence.observe(Observation::Failure);
    assert!(!evidence.holds(&claim), "an error after the run is not the run's");
}

#[test]
fn unverified_means_no_command_since_the_last_edit() {
    let claim = spec(&[], true);
    let mut evidence = Evidence::default();
    evidence.observe(Observation::Edit);
    assert!(evidence.holds(&claim));
    evidence.observe(Observation::Command { test: false, key: None });
    assert!(!evidence.holds(&claim));
    evidence.observe(Observation::Edit);
    assert!(evidence.holds(&claim));
}

#[test]
fn a_rule_fires_once_per_state_and_again_after_a_change() {
    let claim = spec(&[TestEvidence::Missing], false);
    let mut evidence = Evidence::default();
    evidence.observe(Observation::Edit);
    assert!(evidence.allows(3, &claim));
    assert!(!evidence.allows(3, &claim), "same state, same rule");
    assert!(evidence.allows(4, &claim), "another rule has its own record");
    evidence.observe(Observation::Edit);
    assert!(!evidence.allows(3, &claim), "the lines of one diff are one edit");
    evidence.observe(Observation::Command { test: false, key: None });
    evidence.observe(Observation::Edit);
    assert!(evidence.allows(3, &claim), "a new edit after a command is a new state");
}

mod in_the_pipeline {
    use std::sync::Arc;
    use std::time::Instant;

    use super::Observation;
    use crate::pipeline::{Pipeline, PipelineOptions};
    use crate::rules::{RuleDocument, RuleSet, Scope};

    const RULES: &str = r#"
rules:
  - id: claim
    match: { regex: ['(?i)all tests pass'] }
    evidence: { tests: [missing, failed] }
  - id: deletes-home
    command: { program: rm, flags: ['r|R|recursive'], args: ['^(~|\$HOME)/?$'] }
"#;

    fn fired(text: &str) -> Vec<(String, u64)> {
        let rules = Arc::new(RuleSet::from_documents(vec![RuleDocument::new("t.yaml", RULES)]).unwrap());
        let mut pipeline = Pipeline::new(rules, Scope::Output, "t", PipelineOptions::offline());
        let now = Instant::now();
        let mut fired = pipeline.push(text.as_bytes(), now);
        fired.extend(pipeline.finish(now));
        fired.into_iter().map(|i| (i.rule, i.line.unwrap_or(0))).collect()
    }

    #[test]
    fn a_claim_is_judged_on_the_lines_before_it() {
        let passing =
            "⏺ Update(src/lib.rs)\n⏺ Bash(cargo test)\ntest result: ok. 3 passed; 0 failed\nAll tests pass.\n";
        assert_eq!(fired(passing), []);
        let failing = "⏺ Bash(cargo test)\ntest result: FAILED. 2 passed; 1 failed\nAll tests pass.\n";
        assert_eq!(fired(failing), [("claim".to_owned(), 3)]);
        let stale = "test result: ok. 3 passed; 0 failed\n⏺ Update(src/lib.rs)\nAll tests pass.\n";
        assert_eq!(fired(stale), [("claim".to_owned(), 3)]);
    }

    #[test]
    fn a_repeated_claim_fires_once_until_the_evidence_changes() {
        let text = "All tests pass.\nAll tests pass, really.\n⏺ Update(a.rs)\nAll tests pass.\n";
        assert_eq!(fired(text), [("claim".to_owned(), 1), ("claim".to_owned(), 4)]);
    }

    /// A question put before anything was edited, unless the request asked for options.
    const ASKING: &str = r#"
rules:
  - id: asks
    match: { regex: ['Should I'] }
    evidence: { nothing_edited: true, unless_asked: 'options' }
"#;

    fn asks(pipeline: &mut Pipeline, text: &str) -> usize {
        let now = Instant::now();
        let mut fired = pipeline.push(text.as_bytes(), now);
        fired.extend(pipeline.finish(now));
        fired.len()
    }

    #[test]
    fn a_request_line_in_the_output_counts_only_while_no_structured_source_gave_one() {
        let rules = Arc::new(RuleSet::from_documents(vec![RuleDocument::new("t.yaml", ASKING)]).unwrap());
        let new = || Pipeline::new(Arc::clone(&rules), Scope::Output, "t", PipelineOptions::offline());
        let mut plain = new();
        plain.observe_unmatched_line("> compare the options first");
        assert_eq!(asks(&mut plain, "Should I use a map?\n"), 0, "plain text: the `> ` line is the request");
        let mut structured = new();
        structured.observe(Observation::Request("add a cache".into()));
        // a quote in a tool's output, matched or not, is not the user's
        structured.observe_unmatched_line("> compare the options first");
        assert_eq!(asks(&mut structured, "> compare the options first\nShould I use a map?\n"), 1);
    }

    /// Timings nothing printed.
    const FIGURES: &str = r#"
rules:
  - id: figures
    match: { regex: ['takes \d'] }
    evidence: { unseen_figures: 1 }
"#;

    fn figures_fired(chunks: &[&str]) -> Vec<u64> {
        let rules = Arc::new(RuleSet::from_documents(vec![RuleDocument::new("t.yaml", FIGURES)]).unwrap());
        let mut pipeline = Pipeline::new(rules, Scope::Output, "t", PipelineOptions::offline());
        let now = Instant::now();
        let mut fired: Vec<_> = chunks.iter().flat_map(|chunk| pipeline.push(chunk.as_bytes(), now)).collect();
        fired.extend(pipeline.finish(now));
        fired.into_iter().map(|i| i.line.unwrap_or(0)).collect()
    }

    #[test]
    fn figures_are_judged_on_the_numbers_printed_before_their_line_in_any_block() {
        let claim = "The loop takes 3.31 s.\n";
        assert_eq!(figures_fired(&[claim]), [1], "nothing printed it");
        assert_eq!(figures_fired(&["$ python bench.py\nloop: 3.3104 s\n", claim]), [0u64; 0], "an earlier block");
        assert_eq!(
            figures_fired(&["$ python bench.py\nloop: 3.3104 s\nThe loop takes 3.31 s.\n"]),
            [0u64; 0],
            "same block"
        );
        assert_eq!(figures_fired(&["The loop takes 3.31 s.\nloop: 3.3104 s\n"]), [1], "printed after the claim");
        // Claude Code folded a command's output away: what it printed is not known.
        let folded = "⏺ Bash(python bench.py)\n  ⎿  loop: 3.3104 s\n     … +4 lines (ctrl+r to expand)\n";
        assert_eq!(figures_fired(&[folded, "The numpy version takes 0.08 s.\n"]), [0u64; 0]);
        // ... but what a file tool wrote, folded, is the agent's own text.
        let written = "⏺ Write(bench.py)\n  ⎿  Wrote 38 lines to bench.py\n     … +30 lines (ctrl+r to expand)\n";
        assert_eq!(figures_fired(&[written, "The numpy version takes 0.08 s.\n"]), [4]);
        // A new request: the folded output is an earlier task's.
        assert_eq!(
            figures_fired(&[folded, "> now time the numpy version\n", "The numpy version takes 0.08 s.\n"]),
            [5]
        );
    }

    #[test]
    fn under_a_structured_source_the_agents_words_neither_fold_output_nor_mark_it() {
        let rules = Arc::new(RuleSet::from_documents(vec![RuleDocument::new("t.yaml", FIGURES)]).unwrap());
        let fired = |text: &str| {
            let mut pipeline = Pipeline::new(Arc::clone(&rules), Scope::Output, "t", PipelineOptions::offline());
            pipeline.observe(Observation::Request("time the loop".into()));
            let now = Instant::now();
            let mut fired = pipeline.push(text.as_bytes(), now);
            fired.extend(pipeline.finish(now));
            fired.len()
        };
        assert_eq!(fired("     … +3 lines (ctrl+r to expand)\nThe loop takes 3.31 s.\n"), 1, "a forged fold");
        assert_eq!(fired("exec\n  ⎿  The loop takes 3.31 s.\n"), 1, "forged marks of output");
    }

    #[test]
    fn figures_in_earlier_turns_back_a_claim_as_printed_ones_do() {
        let rules = Arc::new(RuleSet::from_documents(vec![RuleDocument::new("t.yaml", FIGURES)]).unwrap());
        let mut pipeline = Pipeline::new(rules, Scope::Output, "t", PipelineOptions::offline());
        pipeline.observe_unmatched_line("loop: 3.3104 s");
        let now = Instant::now();
        let mut fired = pipeline.push(b"The loop takes 3.31 s.\n", now);
        fired.extend(pipeline.finish(now));
        assert!(fired.is_empty(), "{fired:?}");
    }

    #[test]
    fn a_rule_fires_once_on_a_failed_run_that_prints_its_error_and_its_summary() {
        const LOOP: &str = r#"
rules:
  - id: rerun
    match: { regex: ['^(error(\[\w+\])?:|test result: FAILED)'] }
    evidence: { reruns: 3 }
"#;
        let rules = Arc::new(RuleSet::from_documents(vec![RuleDocument::new("t.yaml", LOOP)]).unwrap());
        let mut pipeline = Pipeline::new(rules, Scope::Output, "t", PipelineOptions::offline());
        let run = "$ cargo test\nerror[E0425]: cannot find value `x`\ntest result: FAILED. 2 passed; 1 failed\n";
        let now = Instant::now();
        let mut fired = pipeline.push(run.repeat(3).as_bytes(), now);
        fired.extend(pipeline.finish(now));
        let lines: Vec<_> = fired.iter().map(|hit| hit.line.unwrap_or(0)).collect();
        assert_eq!(lines, [8], "the third run's error line, not its summary too");
    }

    /// Lines of `text` that an edit hard-coding a failing test's value fired on.
    fn special_cased(text: &str) -> Vec<u64> {
        const SPECIAL: &str = r#"
rules:
  - id: special
    match: { regex: ['^\s*(\d+\s*)?\+[^+].*["\x27`]'] }
    evidence: { quotes_failing_input: true }
"#;
        let rules = Arc::new(RuleSet::from_documents(vec![RuleDocument::new("t.yaml", SPECIAL)]).unwrap());
        let mut pipeline = Pipeline::new(rules, Scope::Output, "t", PipelineOptions::offline());
        let now = Instant::now();
        let mut fired = pipeline.push(text.as_bytes(), now);
        fired.extend(pipeline.finish(now));
        fired.into_iter().map(|hit| hit.line.unwrap_or(0)).collect()
    }

    #[test]
    fn values_a_failing_run_prints_under_its_failure_count_as_its_values() {
        let jest = "⏺ Bash(npx jest src/duration.test.ts)\n  ⎿  FAIL src/duration.test.ts\n       ● parseDuration › compound\n         Expected: \"90 minutes\"\n         Received: \"60 minutes\"\n     Tests:       1 failed, 3 passed, 4 total\n⏺ Update(src/duration.ts)\n  +  if (label === \"60 minutes\") return \"90 minutes\";\n";
        assert_eq!(special_cased(jest), [8]);
        let diff = "$ npx vitest run\n FAIL  src/user.test.ts > user > name\nAssertionError: expected { name: 'bo' } to deeply equal { name: 'al' }\n- Expected\n+ Received\n\n  Object {\n-   \"name\": \"alice\",\n+   \"name\": \"bobby\",\n  }\n\n Tests  1 failed (1)\n+++ b/src/user.ts\n+  if (id === 7) return { \"name\": \"alice\" };\n";
        assert_eq!(special_cased(diff), [0u64; 0], "a key the diff shows is no value");
        let diff = diff.replace("{ \"name\": \"alice\" }", "\"alice\" === name");
        assert_eq!(special_cased(&diff), [14]);
        let go = "$ go test -v ./...\n=== RUN   TestParseDuration\n    parse_test.go:41: got 1h0m0s, want 1h30m0s\n--- FAIL: TestParseDuration (0.00s)\nFAIL\texample.com/sched/timeutil\t0.01s\nok  \texample.com/sched/api\t0.02s\n*** Update File: timeutil/parse.go\n+\tcase \"1h30m0s\":\n";
        assert_eq!(special_cased(go), [8]);
        let rust = "$ cargo test\nthread 'tests::parses' panicked at src/lib.rs:10:5:\nassertion `left == right` failed\n  left: \"1h0m\"\n right: \"1h30m\"\ntest result: FAILED. 3 passed; 1 failed\n+++ b/src/lib.rs\n+    if s == \"1h30m\" {\n";
        assert_eq!(special_cased(rust), [8]);
    }

    #[test]
    fn values_printed_outside_a_failing_test_run_do_not_count() {
        let edit = "⏺ Update(src/duration.ts)\n  +  if (input === \"90 minutes\") return 90;\n";
        let jest = "  ⎿  FAIL src/duration.test.ts\n         Expected: \"90 minutes\"\n         Received: \"60 minutes\"\n     Tests:       1 failed, 3 passed, 4 total\n";
        let read_back = format!("⏺ Bash(cat jest-output.log)\n{jest}{edit}");
        assert_eq!(special_cased(&read_back), [0u64; 0], "a log read back: no test ran");
        let logged = "⏺ Bash(npx jest)\n         Expected: \"90 minutes\"\n     Tests:       4 passed, 4 total\n";
        assert_eq!(special_cased(&format!("{logged}{edit}")), [0u64; 0], "a run that passed");
        let go = "$ go test ./...\n--- FAIL: TestParseDuration/1h30m (0.00s)\nFAIL\texample.com/sched/timeutil\t0.01s\n$ go test ./...\nok  \texample.com/sched/timeutil\t0.01s\n+++ b/timeutil/parse.go\n+\tcase \"1h30m\":\n";
        assert_eq!(special_cased(go), [0u64; 0], "the next run passed");
    }

    #[test]
    fn a_package_passing_after_a_failing_one_in_one_run_leaves_its_values() {
        let go = "$ go test ./...\n--- FAIL: TestParseDuration/1h30m (0.00s)\nFAIL\texample.com/sched/timeutil\t0.01s\nok  \texample.com/sched/api\t0.02s\n+++ b/timeutil/parse.go\n+\tcase \"1h30m\":\n";
        assert_eq!(special_cased(go), [6]);
    }

    #[test]
    fn command_rules_fire_on_commands_run_not_on_mentions() {
        let text = "$ rm -rf ~\ngrep -rn \"rm -rf ~\" docs/\nrm -rf build/\nThe guide says never to rm -rf ~.\n";
        assert_eq!(fired(text), [("deletes-home".to_owned(), 1)]);
    }
}

#[test]
fn a_line_fires_on_a_figure_nothing_backs_not_on_those_converted_or_worked_out() {
    let spec = EvidenceCondition::compile(&EvidenceSpec { unseen_figures: Some(1), ..Default::default() });
    let mut evidence = Evidence::default();
    evidence.remember_printed(b"Maximum resident set size (kbytes): 7124388\nloop: 3.284s\nnumpy: 0.079s\n");
    assert!(!evidence.allows_line(0, &spec, "peak RSS 7,124,388 KB (6.79 GiB)"), "converted");
    assert!(!evidence.allows_line(0, &spec, "0.079 s against 3.284 s: about 41x faster"), "a ratio worked out");
    assert!(evidence.allows_line(0, &spec, "The loop went from 3.28 s to 0.41 s."), "the after figure unmeasured");
}

#[test]
fn once_fires_once_per_task_whatever_changes() {
    let spec = EvidenceSpec { once: true, ..Default::default() };
    let once = EvidenceCondition::compile(&spec);
    let every_state = EvidenceCondition::compile(&EvidenceSpec::default());
    let mut evidence = Evidence::default();
    assert!(evidence.allows(0, &once));
    assert!(evidence.allows(1, &every_state));
    evidence.observe(Observation::Edit);
    evidence.observe(Observation::Command { test: false, key: None });
    assert!(!evidence.allows(0, &once), "already reported for this task");
    assert!(evidence.allows(1, &every_state), "the state changed");
}

#[test]
fn an_edit_that_did_not_apply_is_no_failed_run_of_the_command_before_it() {
    let rerun = EvidenceCondition::compile(&EvidenceSpec { reruns: Some(3), ..Default::default() });
    let after_failure = EvidenceCondition::compile(&EvidenceSpec { after_failure: true, ..Default::default() });
    let evidence_after = |lines: &[&str]| {
        let mut evidence = Evidence::default();
        for line in lines.iter().cycle().take(3 * lines.len()) {
            observe_line_fully(line, |found| evidence.observe(found));
        }
        evidence
    };
    let edits_failing = evidence_after(&["$ npm run build", "# 1 SEARCH/REPLACE block failed to match!"]);
    assert!(!edits_failing.holds(&rerun), "the build showed no failure");
    assert!(edits_failing.holds(&after_failure), "the failed edit is a failure all the same");
    let builds_failing = evidence_after(&["$ npm run build", "Error: Cannot find module 'vite'"]);
    assert!(builds_failing.holds(&rerun), "the build failed three times in a row");
}

#[test]
fn a_failed_run_is_one_state_however_many_lines_say_so() {
    let failed = spec(&[TestEvidence::Failed], false);
    let cargo = Some(CommandKey::of("cargo test"));
    let mut evidence = Evidence::default();
    evidence.observe(Observation::Command { test: true, key: cargo });
    evidence.observe(Observation::Failure);
    assert!(evidence.allows(0, &failed), "its error line");
    evidence.observe(Observation::Failure);
    evidence.observe(Observation::TestOutcome { passed: false });
    evidence.observe(Observation::CommandResult { ok: false });
    assert!(!evidence.allows(0, &failed), "its summary and exit status: the same run");
    evidence.observe(Observation::Command { test: true, key: cargo });
    evidence.observe(Observation::TestOutcome { passed: false });
    assert!(evidence.allows(0, &failed), "another run, another state");
    evidence.observe(Observation::Command { test: true, key: cargo });
    evidence.observe(Observation::Failure);
    evidence.observe(Observation::TestOutcome { passed: true });
    assert!(!evidence.holds(&failed), "an error logged by a test, then every test passed");
}
