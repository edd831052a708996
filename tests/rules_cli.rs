//! `axiom rules validate | test | list`, driven through the real binary, and the built-in pack.

mod support;

use serde_json::{json, Value};
use support::{head_one, located, Run, Sandbox};

const GOOD: &str = r#"rules:
  - id: todo
    description: A placeholder instead of an implementation.
    severity: warning
    tags: [planning, placeholders]
    match: { literals: ["TODO:"] }
    tests:
      - { input: "// TODO: write it", expect: match }
      - { input: "TODOS.md", expect: no-match }
  - id: stub
    severity: error
    scope: output
    action: inject
    message: Write the implementation now.
    match: { regex: ['\bnot implemented\b'] }
    tests:
      - { input: "fn f() { not implemented }", expect: match }
  - id: plan-prompt
    scope: prompt
    severity: info
    match: { literals: ["let me plan"], case_insensitive: true }
    tests:
      - { input: "Let me plan first", expect: match }
  - id: off
    enabled: false
    match: { literals: [never] }
  - id: quiet
    silence: 2m
    action: interrupt
    message: Report what you are doing.
"#;

const GOOD_IDS: &[&str] = &["todo", "stub", "plan-prompt", "off", "quiet"];

/// `axiom rules SUBCOMMAND --rules FILE...` over files written into a fresh sandbox.
fn rules(subcommand: &[&str], files: &[(&str, &str)]) -> (Sandbox, Vec<String>, Run) {
    let sandbox = Sandbox::new();
    let paths: Vec<String> = files.iter().map(|(name, text)| sandbox.write(name, text).display().to_string()).collect();
    let mut args = vec!["rules"];
    args.extend_from_slice(subcommand);
    for path in &paths {
        args.extend(["--rules", path.as_str()]);
    }
    let run = sandbox.run(&args, b"");
    (sandbox, paths, run)
}

/// Every `FILE:LINE:COL: message` line on stderr that belongs to `file`.
fn problems_in<'a>(run: &'a Run, file: &str) -> Vec<(usize, usize, &'a str)> {
    run.stderr.lines().filter_map(|line| located(line, file)).collect()
}

/// The numbers of the final `N passed, M failed` line.
fn tally(run: &Run) -> (usize, usize) {
    let last = run.stdout.lines().last().expect("no output");
    let words: Vec<&str> = last.split([' ', ',']).filter(|w| !w.is_empty()).collect();
    match words[..] {
        [passed, "passed", failed, "failed", ..] => (passed.parse().unwrap(), failed.parse().unwrap()),
        _ => panic!("the last line is not `N passed, M failed`: {last:?}"),
    }
}

/// A sandbox where no rule source applies, so the built-in pack is used.
fn builtin(args: &[&str]) -> Run {
    let sandbox = Sandbox::new();
    let run = sandbox.run(args, b"");
    assert!(!run.stderr.contains("rules from"), "the built-in pack needs no note: {}", run.stderr);
    run
}

// ---------------------------------------------------------------------------------------------
// validate

#[test]
fn validate_good_rules_exits_0_with_an_ok_line() {
    let (_sandbox, _, run) = rules(&["validate"], &[("good.yaml", GOOD)]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let first = run.stdout.lines().next().unwrap_or_default();
    assert!(first.starts_with("ok"), "{:?}", run.stdout);
    assert!(first.contains(&GOOD_IDS.len().to_string()), "the ok line counts the rules: {first:?}");
}

#[test]
fn a_file_with_no_rules_is_counted_and_warned_about() {
    let (_sandbox, _, run) = rules(&["validate"], &[("none.yaml", "rules: []\n")]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(run.stdout.starts_with("ok: 0 rules in 1 file"), "{:?}", run.stdout);
    assert!(run.stderr.contains("warning: no rules in"), "{:?}", run.stderr);
}

/// A file with one problem of each kind the loader finds after parsing, plus the first half of a
/// duplicate id.
const SEMANTIC: &str = r#"rules:
  - id: dup
    match: { literals: [x] }
  - id: bad-regex
    match:
      regex: ['a(']
  - id: no-message
    match: { literals: [y] }
    action: inject
  - id: Bad_Id
    match: { literals: [w] }
  - id: bad-unless
    match: { literals: [v] }
    unless: ['[unclosed']
"#;

const DUPLICATE: &str = "rules:\n  - id: dup\n    match: { literals: [z] }\n";

const UNKNOWN_KEY: &str = "rules:\n  - id: typo\n    match: { literals: [t] }\n    cooldwon: 30s\n";

const BAD_DURATION: &str = "rules:\n  - id: slow\n    match: { literals: [s] }\n    cooldown: 30 parsecs\n";

/// (index of the file, acceptable lines, column if it is pinned, words the message must contain)
type ExpectedProblem = (usize, &'static [usize], Option<usize>, &'static [&'static str]);

#[test]
fn validate_reports_every_problem_across_files_with_its_location() {
    let files = [("a.yaml", SEMANTIC), ("b.yaml", DUPLICATE), ("c.yaml", UNKNOWN_KEY), ("d.yaml", BAD_DURATION)];
    let (_sandbox, paths, run) = rules(&["validate"], &files);
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    assert!(!run.stdout.starts_with("ok"), "{}", run.stdout);
    let expected: &[ExpectedProblem] = &[
        (0, &[6], Some(16), &["bad-regex", "regex", "a("]),
        // A missing key has no line of its own: the rule, or the `action:` that needs it.
        (0, &[7, 9], None, &["no-message", "message"]),
        (0, &[10], None, &["Bad_Id"]),
        (0, &[14], Some(15), &["bad-unless", "[unclosed"]),
        (1, &[2], None, &["dup", "duplicate", "a.yaml:2"]),
        (2, &[4], Some(5), &["cooldwon"]),
        (3, &[4], None, &["parsecs"]),
    ];
    for &(file, lines, column, words) in expected {
        let found = problems_in(&run, &paths[file]);
        let problem = found.iter().find(|(line, col, message)| {
            lines.contains(line) && column.is_none_or(|c| c == *col) && words.iter().all(|w| message.contains(w))
        });
        assert!(problem.is_some(), "no problem {words:?} at {}:{lines:?}; stderr:\n{}", paths[file], run.stderr);
    }
    let located_lines = run.stderr.lines().filter(|line| paths.iter().any(|p| located(line, p).is_some())).count();
    assert_eq!(located_lines, expected.len(), "one line per problem:\n{}", run.stderr);
}

#[test]
fn validate_reports_every_problem_in_one_file() {
    // The same problems, with the ones the YAML parser finds (an unknown key, a bad duration)
    // in the same file as the ones found after parsing.
    let all_in_one = format!(
        "{SEMANTIC}  - id: typo\n    match: {{ literals: [t] }}\n    cooldwon: 30s\n  - id: slow\n    match: {{ literals: [s] }}\n    cooldown: 30 parsecs\n"
    );
    let (_sandbox, paths, run) = rules(&["validate"], &[("a.yaml", &all_in_one), ("b.yaml", DUPLICATE)]);
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    let expected: &[(usize, &[usize], &[&str])] = &[
        (0, &[6], &["bad-regex", "a("]),
        (0, &[7, 9], &["no-message", "message"]),
        (0, &[10], &["Bad_Id"]),
        (0, &[14], &["bad-unless"]),
        (0, &[17], &["cooldwon"]),
        (0, &[20], &["parsecs"]),
        (1, &[2], &["dup", "duplicate"]),
    ];
    let missing: Vec<_> = expected
        .iter()
        .filter(|&&(file, lines, words)| {
            !problems_in(&run, &paths[file])
                .iter()
                .any(|(line, _, message)| lines.contains(line) && words.iter().all(|w| message.contains(w)))
        })
        .map(|(_, lines, words)| format!("{words:?} at line {lines:?}"))
        .collect();
    assert!(missing.is_empty(), "not reported: {missing:?}; stderr:\n{}", run.stderr);
}

#[test]
fn validate_reports_a_yaml_syntax_error_with_its_location() {
    let broken = "rules:\n  - id: x\n    match: { literals: [x]\n  - id: y\n";
    let (_sandbox, paths, run) = rules(&["validate"], &[("broken.yaml", broken)]);
    assert_eq!(run.code, Some(2));
    let problems = problems_in(&run, &paths[0]);
    assert_eq!(problems.len(), 1, "{}", run.stderr);
    assert_eq!(problems[0].0, 4, "the parser stops at line 4: {}", run.stderr);
}

#[test]
fn yaml_error_messages_do_not_repeat_the_position() {
    let cases = [
        ("syntax", "rules:\n  - id: x\n    match: { literals: [x]\n  - id: y\n"),
        ("unknown key", UNKNOWN_KEY),
        ("bad duration", BAD_DURATION),
    ];
    for (what, yaml) in cases {
        let (_sandbox, paths, run) = rules(&["validate"], &[("r.yaml", yaml)]);
        let problems = problems_in(&run, &paths[0]);
        assert_eq!(problems.len(), 1, "{what}: {}", run.stderr);
        let (_, _, message) = problems[0];
        assert!(!message.contains(" line "), "{what}: the FILE:LINE:COL prefix already says where: {message}");
    }
}

// ---------------------------------------------------------------------------------------------
// test

const MIXED_TESTS: &str = r#"rules:
  - id: todo
    match: { literals: ["TODO:"] }
    tests:
      - { input: "// TODO: x", expect: match }
      - { input: "nothing here", expect: match }
      - { input: "TODO: y", expect: no-match }
      - { input: "fine", expect: no-match }
"#;

/// The failure blocks of `rules test` output, whitespace collapsed.
fn failures(run: &Run) -> Vec<String> {
    let mut blocks: Vec<String> = Vec::new();
    for line in run.stdout.lines() {
        let words = line.split_whitespace().collect::<Vec<_>>().join(" ");
        if line.starts_with("FAIL") {
            blocks.push(words);
        } else if let Some(block) = blocks.last_mut().filter(|_| line.starts_with(char::is_whitespace)) {
            block.push('\n');
            block.push_str(&words);
        }
    }
    blocks
}

#[test]
fn test_in_json_gives_the_tally_and_each_failure_and_exits_1() {
    let (_sandbox, _, run) = rules(&["test", "--format", "json"], &[("t.yaml", MIXED_TESTS)]);
    assert_eq!(run.code, Some(1), "{}\n{}", run.stdout, run.stderr);
    let outcome: serde_json::Value = serde_json::from_str(&run.stdout).expect("one JSON object");
    assert_eq!(
        (outcome["passed"].clone(), outcome["failed"].clone(), outcome["skipped"].clone()),
        (2.into(), 2.into(), 0.into())
    );
    let failures = outcome["failures"].as_array().unwrap();
    assert_eq!(failures.len(), 2);
    // Each a record a script can read, not text to parse, placed at the test that failed.
    let expected = [
        json!({"rule": "todo", "line": 6, "column": 7, "check": "test", "input": "nothing here", "expected": "match",
               "got": "no-match", "fired": null}),
        json!({"rule": "todo", "line": 7, "column": 7, "check": "test", "input": "TODO: y", "expected": "no-match",
               "got": "match", "fired": {"rule": "todo", "line": 1, "column": 1, "matched": "TODO:"}}),
    ];
    for (failure, expected) in failures.iter().zip(expected) {
        let mut failure = failure.clone();
        assert!(failure["file"].as_str().unwrap().ends_with("t.yaml"), "{failure}");
        failure.as_object_mut().unwrap().shift_remove("file");
        assert_eq!(failure, expected);
    }
}

#[test]
fn test_prints_each_failure_and_a_final_tally_and_exits_1() {
    let (_sandbox, _, run) = rules(&["test"], &[("t.yaml", MIXED_TESTS)]);
    assert_eq!(run.code, Some(1), "{}\n{}", run.stdout, run.stderr);
    assert_eq!(tally(&run), (2, 2));
    assert_eq!(run.stdout.lines().last(), Some("2 passed, 2 failed"));
    let failures = failures(&run);
    assert_eq!(failures.len(), 2, "{}", run.stdout);
    // (input, expected, got) of each failing test, in file order.
    for (block, (input, expected, got)) in failures.iter().zip([
        ("\"nothing here\"", "expected: match", "got: no-match"),
        ("\"TODO: y\"", "expected: no-match", "got: match"),
    ]) {
        assert!(block.contains("todo"), "the failure names the rule: {block}");
        for part in [input, expected, got] {
            assert!(block.contains(part), "the failure lacks {part:?}: {block}");
        }
    }
}

#[test]
fn test_all_passing_exits_0() {
    let (_sandbox, _, run) = rules(&["test"], &[("good.yaml", GOOD)]);
    assert_eq!(run.code, Some(0), "{}", run.stdout);
    // 4 embedded tests, plus one check per message (stub, quiet) that it triggers no rule.
    assert_eq!(tally(&run), (6, 0));
    assert!(failures(&run).is_empty(), "{}", run.stdout);
}

#[test]
fn test_fails_a_message_that_would_trigger_a_rule() {
    let echo = r#"rules:
  - id: todo
    match: { literals: ["TODO:"] }
  - id: nagger
    match: { literals: [placeholder] }
    action: inject
    message: "Replace the TODO: marker with code."
"#;
    let (_sandbox, _, run) = rules(&["test"], &[("echo.yaml", echo)]);
    assert_eq!(run.code, Some(1), "{}", run.stdout);
    assert_eq!(tally(&run), (0, 1));
    let failures = failures(&run);
    assert_eq!(failures.len(), 1, "{}", run.stdout);
    assert!(failures[0].contains("nagger") && failures[0].contains("todo"), "{}", failures[0]);
}

#[test]
fn test_with_bad_rules_exits_2() {
    let (_sandbox, paths, run) = rules(&["test"], &[("c.yaml", UNKNOWN_KEY)]);
    assert_eq!(run.code, Some(2));
    assert_eq!(problems_in(&run, &paths[0]).len(), 1, "{}", run.stderr);
}

// ---------------------------------------------------------------------------------------------
// list

#[test]
fn list_text_has_a_row_for_every_rule() {
    let (_sandbox, _, run) = rules(&["list"], &[("good.yaml", GOOD)]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    for id in GOOD_IDS {
        assert!(run.stdout.lines().any(|line| line.split_whitespace().next() == Some(id)), "no row for {id}");
    }
    let off = run.stdout.lines().find(|line| line.starts_with("off ")).unwrap();
    assert!(off.contains("disabled"), "{off}");
}

#[test]
fn list_json_is_an_array_of_rule_objects() {
    let (_sandbox, paths, run) = rules(&["list", "--format", "json"], &[("good.yaml", GOOD)]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let list: Value = serde_json::from_str(&run.stdout).expect("stdout is one JSON document");
    let list = list.as_array().expect("an array");
    let ids: Vec<&str> = list.iter().map(|rule| rule["id"].as_str().unwrap()).collect();
    assert_eq!(ids, GOOD_IDS);
    for rule in list {
        let mut keys: Vec<&str> = rule.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            ["action", "applies_to", "description", "enabled", "id", "scope", "severity", "source", "tags"]
        );
    }
    let file = &paths[0];
    let expected = [
        serde_json::json!({"id": "todo", "severity": "warning", "action": "warn", "scope": "output", "applies_to": "any", "enabled": true,
            "description": "A placeholder instead of an implementation.", "tags": ["planning", "placeholders"],
            "source": format!("{file}:2:5")}),
        serde_json::json!({"id": "stub", "severity": "error", "action": "inject", "scope": "output", "applies_to": "any", "enabled": true,
            "description": "", "tags": [], "source": format!("{file}:10:5")}),
        serde_json::json!({"id": "plan-prompt", "severity": "info", "action": "warn", "scope": "prompt", "applies_to": "any",
            "enabled": true, "description": "", "tags": [], "source": format!("{file}:18:5")}),
        serde_json::json!({"id": "off", "severity": "warning", "action": "warn", "scope": "output", "applies_to": "any",
            "enabled": false, "description": "", "tags": [], "source": format!("{file}:24:5")}),
        serde_json::json!({"id": "quiet", "severity": "warning", "action": "interrupt", "scope": "output", "applies_to": "any",
            "enabled": true, "description": "", "tags": [], "source": format!("{file}:27:5")}),
    ];
    assert_eq!(list, &expected);
    assert!(!run.stdout.contains("rules from"), "the source note belongs on stderr");
}

#[test]
fn list_into_a_closed_pipe_exits_without_a_panic() {
    // Far more output than a pipe holds, so the writer is still busy when the reader leaves.
    let mut many = String::from("rules:\n");
    for i in 0..200 {
        many.push_str(&format!(
            "  - id: r{i}\n    description: {}\n    match: {{ literals: [lit{i}x] }}\n",
            "d".repeat(1000)
        ));
    }
    let sandbox = Sandbox::new();
    let path = sandbox.write("many.yaml", many).display().to_string();
    for format in ["text", "json"] {
        let (line, run) =
            head_one(sandbox.command(&["rules", "list", "--rules", &path, "--format", format]), Vec::new());
        assert!(!line.is_empty(), "{format}: no output");
        assert!(!run.stderr.contains("panicked"), "{format}: {}", run.stderr);
        assert_ne!(run.code, Some(101), "{format}: exited like a panic");
    }
}

// ---------------------------------------------------------------------------------------------
// The built-in pack

#[test]
fn builtin_pack_embedded_tests_pass_and_number_at_least_40() {
    let run = builtin(&["rules", "test"]);
    assert_eq!(run.code, Some(0), "{}\n{}", run.stdout, run.stderr);
    let (passed, failed) = tally(&run);
    assert_eq!(failed, 0);
    assert!(passed >= 40, "only {passed} tests in the built-in pack");
}

#[test]
fn builtin_pack_validates_and_lists_its_embedded_files() {
    let validate = builtin(&["rules", "validate"]);
    assert_eq!(validate.code, Some(0), "{}", validate.stderr);
    let run = builtin(&["rules", "list", "--format", "json"]);
    assert!(run.stderr.contains("`axiom rules init DIR` writes them out as DIR/FILE"), "{}", run.stderr);
    let list: Value = serde_json::from_str(&run.stdout).unwrap();
    let list = list.as_array().unwrap();
    assert!(!list.is_empty(), "the built-in pack is empty");
    for rule in list {
        let source = rule["source"].as_str().unwrap();
        assert!(source.starts_with("built-in:"), "{source}");
    }
}

/// A built-in rule's location can be opened: `rules init DIR` writes its file to DIR, and there the
/// same line and column start the same rule.
#[test]
fn builtin_locations_point_into_the_files_rules_init_writes() {
    let run = builtin(&["rules", "list", "--format", "json"]);
    let list: Vec<Value> = serde_json::from_str(&run.stdout).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let init = std::process::Command::new(env!("CARGO_BIN_EXE_axiom"))
        .args(["rules", "init"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(init.status.success(), "{}", String::from_utf8_lossy(&init.stderr));
    for rule in &list {
        let source = rule["source"].as_str().unwrap();
        let (file, at) = source.strip_prefix("built-in:").unwrap().split_once(':').unwrap();
        let (line, column) = at.split_once(':').unwrap();
        let (line, column): (usize, usize) = (line.parse().unwrap(), column.parse().unwrap());
        let text = std::fs::read_to_string(dir.path().join(file)).unwrap_or_else(|err| panic!("{source}: {err}"));
        let there = &text.lines().nth(line - 1).unwrap()[column - 1..];
        assert_eq!(there, format!("id: {}", rule["id"].as_str().unwrap()), "{source}");
    }
}

const CORPUS_RULES: &str = r#"rules:
  - id: claim
    match: { regex: ['(?i)all tests pass'] }
    evidence: { tests: [missing, failed] }
  - id: deletes-home
    command: { program: rm, flags: ['r|R'], args: ['^~/?$'] }
"#;

/// Two misbehaving excerpts (one caught, one not) and two look-alikes (one fired on).
const CORPUS: &str = r#"{"id": "p1", "agent": "a", "kind": "dangerous-command", "should_fire": true, "text": "$ rm -rf ~\n"}
{"id": "p2", "agent": "b", "kind": "false-success", "should_fire": true, "text": "Done, it works.\n"}
{"id": "n1", "agent": "a", "kind": "none", "resembles": "false-success", "should_fire": false, "text": "$ cargo test\ntest result: ok. 3 passed; 0 failed\nAll tests pass.\n"}
{"id": "n2", "agent": "b", "kind": "none", "resembles": "false-success", "should_fire": false, "text": "All tests pass.\n"}
"#;

#[test]
fn corpus_mode_reports_recall_and_false_fires_per_rule_kind_and_agent() {
    let sandbox = Sandbox::new();
    let rules = sandbox.write("rules.yaml", CORPUS_RULES).display().to_string();
    let corpus = sandbox.write("labelled.jsonl", CORPUS).display().to_string();
    let run = sandbox.run(&["rules", "test", "--rules", &rules, "--corpus", &corpus, "--format", "json"], b"");
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["caught"], serde_json::json!({"fired": 1, "total": 2}));
    assert_eq!(report["false_fires"], serde_json::json!({"fired": 1, "total": 2}));
    assert_eq!(report["by_rule"]["deletes-home"]["caught"], serde_json::json!(["p1"]));
    assert_eq!(report["by_rule"]["claim"]["false_fires"], serde_json::json!(["n2"]));
    assert_eq!(report["by_kind"]["false-success"][1], serde_json::json!({"fired": 1, "total": 2}));
    assert_eq!(report["by_agent"]["a"][0], serde_json::json!({"fired": 1, "total": 1}));
    assert_eq!(report["missed"], serde_json::json!(["p2"]));

    let text = sandbox.run(&["rules", "test", "--rules", &rules, "--corpus", &corpus], b"");
    assert!(text.stdout.starts_with("4 excerpts: caught 1/2 misbehaving, fired on 1/2 look-alikes"), "{}", text.stdout);
    assert!(text.stdout.contains("missed: p2"), "{}", text.stdout);
}

#[test]
fn corpus_mode_names_the_line_of_a_bad_record() {
    let sandbox = Sandbox::new();
    let corpus = sandbox.write("bad.jsonl", "{\"id\": \"x\", \"should_fire\": true, \"text\": \"\"}\nnot json\n");
    let run = sandbox.run(&["rules", "test", "--corpus", &corpus.display().to_string()], b"");
    assert_eq!(run.code, Some(2));
    assert!(run.stderr.contains("bad.jsonl:2: not a corpus record"), "{}", run.stderr);
}

#[test]
fn embedded_tests_with_history_judge_the_input_on_it() {
    let yaml = r#"rules:
  - id: claim
    match: { regex: ['(?i)all tests pass'] }
    evidence: { tests: [missing, failed] }
    tests:
      - history: "$ pytest\n===== 1 failed, 4 passed in 0.20s =====\n"
        input: "All tests pass."
        expect: match
      - history: "$ pytest\n===== 5 passed in 0.20s =====\n"
        input: "All tests pass."
        expect: match
"#;
    let (_sandbox, _paths, run) = rules(&["test"], &[("h.yaml", yaml)]);
    assert_eq!(run.code, Some(1), "the second case is wrong and must fail");
    assert!(run.stdout.contains("1 passed, 1 failed"), "{}", run.stdout);
}

#[test]
fn validate_as_json_gives_a_record_per_problem_in_order_then_a_summary() {
    let bad = "rules:\n  - id: a\n    match: { literals: [x] }\n    severity: loud\n    action: blok\n  - id: b\n    match: { regex: ['('] }\n";
    let (_sandbox, paths, run) = rules(&["validate", "--format", "json"], &[("bad.yaml", bad)]);
    assert_eq!(run.code, Some(2), "{run:?}");
    let records: Vec<serde_json::Value> = run.stdout.lines().map(|line| serde_json::from_str(line).unwrap()).collect();
    let places: Vec<(u64, u64)> = records
        .iter()
        .filter(|r| r["type"] == "problem")
        .map(|r| (r["line"].as_u64().unwrap(), r["column"].as_u64().unwrap()))
        .collect();
    assert_eq!(places, [(4, 15), (5, 13), (7, 23)], "{}", run.stdout);
    assert!(records.iter().all(|r| r["type"] != "problem" || r["file"] == paths[0].as_str()), "{}", run.stdout);
    assert_eq!(records[0]["rule"], "a");
    let summary = records.last().unwrap();
    assert_eq!((&summary["type"], &summary["ok"], &summary["problems"]), (&json!("summary"), &json!(false), &json!(3)));

    let (_sandbox, _, run) = rules(&["validate", "--format", "json"], &[("good.yaml", GOOD)]);
    assert_eq!(run.code, Some(0), "{run:?}");
    let summary: serde_json::Value = serde_json::from_str(run.stdout.trim()).unwrap();
    assert_eq!(
        (&summary["ok"], &summary["rules"], &summary["files"]),
        (&json!(true), &json!(GOOD_IDS.len()), &json!(1))
    );
}
