//! `axiom check`, driven through the real binary: output formats, exit codes, inputs, the
//! matching contract end to end, where rules come from, and a reader that goes away.

mod support;

use std::io::Write;
use std::time::Duration;

use serde_json::Value;
use support::{head_one, located, run_command, spawn, Run, Sandbox};

/// Rules that exercise every matching feature. Output-scope rules that apply: todo, stub,
/// anchored, permission, never, quiet-agent; planning-prompt is prompt-scoped, off is disabled.
const RULES: &str = r#"
rules:
  - id: todo
    match: { literals: ["TODO:"] }
    unless: ['^\s*//.*example']
  - id: stub
    severity: error
    match: { regex: ['\bnot implemented\b'] }
    action: inject
    message: Write the implementation.
  - id: anchored
    severity: info
    match: { regex: ['^DONE$'] }
  - id: permission
    severity: critical
    match: { literals: ["permission"], regex: ['\bshall i\b'], case_insensitive: true }
    unless: ['quoted']
    action: interrupt
    message: Act; do not ask.
  - id: never
    match: { literals: ["ZZZ-NEVER-ZZZ"] }
  - id: planning-prompt
    scope: prompt
    match: { literals: ["let me plan"] }
  - id: off
    enabled: false
    match: { literals: ["TODO:"] }
  - id: quiet-agent
    silence: 2m
"#;

const APPLIED: &[&str] = &["todo", "stub", "anchored", "permission", "never", "quiet-agent"];

/// A sandbox with [`RULES`] written to `rules.yaml`; returns the path to pass to `--rules`.
fn fixture() -> (Sandbox, String) {
    let sandbox = Sandbox::new();
    let rules = sandbox.write("rules.yaml", RULES).display().to_string();
    (sandbox, rules)
}

/// `axiom check --rules <RULES> ARGS` with `stdin`.
fn check(args: &[&str], stdin: &[u8]) -> Run {
    let (sandbox, rules) = fixture();
    let mut all = vec!["check", "--rules", rules.as_str()];
    all.extend_from_slice(args);
    sandbox.run(&all, stdin)
}

type Hit = (String, u64, u64, String, String);

/// `(file, line, column, rule, matched)` of every match object in JSON output.
fn hits(run: &Run) -> Vec<Hit> {
    run.json_lines()
        .iter()
        .filter(|object| object["type"] == "match")
        .map(|m| {
            let text = |key: &str| m[key].as_str().unwrap_or_else(|| panic!("{key} is not a string: {m}")).to_owned();
            (text("file"), m["line"].as_u64().unwrap(), m["column"].as_u64().unwrap(), text("rule"), text("matched"))
        })
        .collect()
}

fn hit(file: &str, line: u64, column: u64, rule: &str, matched: &str) -> Hit {
    (file.into(), line, column, rule.into(), matched.into())
}

/// The last JSON line, which must be the summary.
fn summary(run: &Run) -> Value {
    let last = run.json_lines().pop().expect("no output");
    assert_eq!(last["type"], "summary", "the last line is not the summary: {last}");
    last
}

fn strip_ansi(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            assert_eq!(chars.next(), Some('['), "only CSI sequences expected");
            for c in chars.by_ref() {
                if ('\x40'..='\x7e').contains(&c) {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

const SAMPLE: &[u8] = b"ok line\n  TODO: write it\nnot implemented yet TODO: also\nDONE\n";

const SAMPLE_TEXT: &str = "\
-:2:3: [warning] todo (warn): TODO:
-:3:1: [error] stub (inject): not implemented
-:3:21: [warning] todo (warn): TODO:
-:4:1: [info] anchored (warn): DONE
";

// ---------------------------------------------------------------------------------------------
// Output formats

#[test]
fn text_output_is_one_plain_line_per_match_in_order() {
    let run = check(&[], SAMPLE);
    assert_eq!(run.stdout, SAMPLE_TEXT, "stderr: {}", run.stderr);
    assert!(!run.stdout.contains('\x1b'), "coloured although stdout is a pipe");
}

#[test]
fn color_always_paints_the_same_text() {
    let run = check(&["--color", "always"], SAMPLE);
    assert!(run.stdout.contains("\x1b["), "no ANSI colour: {:?}", run.stdout);
    assert_eq!(strip_ansi(&run.stdout), SAMPLE_TEXT);
    let never = check(&["--color", "never"], SAMPLE);
    assert_eq!(never.stdout, SAMPLE_TEXT);
}

#[test]
fn text_summary_is_one_line_on_stderr() {
    let run = check(&[], SAMPLE);
    let summary = own_lines(&run.stderr);
    assert_eq!(summary.len(), 1, "{}", run.stderr);
    let expected = format!("axiom: 4 matches on 3 of 4 lines in 1 file ({} B, ", SAMPLE.len());
    assert!(summary[0].starts_with(&expected), "{:?}, expected {expected:?}", summary[0]);
    assert!(!run.stdout.contains("lines"), "the text summary belongs on stderr");
}

/// Stderr without the note saying where the rules came from.
fn own_lines(stderr: &str) -> Vec<&str> {
    stderr.lines().filter(|line| !line.contains(" from --rules ")).collect()
}

#[test]
fn stats_adds_the_hits_of_every_applied_rule() {
    let run = check(&["--stats"], SAMPLE);
    let err = &run.stderr;
    let expected = [("todo", 2), ("stub", 1), ("anchored", 1), ("permission", 0), ("never", 0), ("quiet-agent", 0)];
    for (rule, count) in expected {
        let row = err.lines().find(|line| line.split_whitespace().nth(1) == Some(rule));
        let row = row.unwrap_or_else(|| panic!("no summary row for {rule}:\n{err}"));
        assert_eq!(row.split_whitespace().next(), Some(count.to_string().as_str()), "row {row:?}");
    }
    assert_summary_is_consistent(err);
    let plain = check(&[], SAMPLE);
    assert!(!plain.stderr.contains("permission"), "the table only comes with --stats: {}", plain.stderr);
}

#[test]
fn nothing_follows_an_error_in_text_mode() {
    let (sandbox, rules) = fixture();
    let run = sandbox.run(&["check", "--rules", &rules, "missing.log"], b"");
    assert_eq!(run.code, Some(2));
    assert_eq!(own_lines(&run.stderr), ["axiom: error: missing.log: No such file or directory"]);
}

#[test]
fn json_match_objects_have_exactly_the_documented_keys() {
    let run = check(&["--format", "json"], b"x TODO: y\nnot implemented\n");
    let lines = run.json_lines();
    let matches: Vec<&Value> = lines.iter().filter(|o| o["type"] == "match").collect();
    assert_eq!(matches.len(), 2, "{}", run.stdout);
    let keys = ["type", "file", "line", "column", "rule", "severity", "action", "matched", "text", "message"];
    for object in &matches {
        let mut found: Vec<&str> = object.as_object().unwrap().keys().map(String::as_str).collect();
        found.sort_unstable();
        let mut wanted = keys.to_vec();
        wanted.sort_unstable();
        assert_eq!(found, wanted, "{object}");
    }
    let expected = [
        serde_json::json!({"type": "match", "file": "-", "line": 1, "column": 3, "rule": "todo",
            "severity": "warning", "action": "warn", "matched": "TODO:", "text": "x TODO: y", "message": null}),
        serde_json::json!({"type": "match", "file": "-", "line": 2, "column": 1, "rule": "stub",
            "severity": "error", "action": "inject", "matched": "not implemented", "text": "not implemented",
            "message": "Write the implementation."}),
    ];
    assert_eq!(*matches[0], expected[0]);
    assert_eq!(*matches[1], expected[1]);
}

#[test]
fn json_summary_is_last_and_counts_every_applied_rule() {
    let run = check(&["--format", "json"], SAMPLE);
    let lines = run.json_lines();
    assert_eq!(lines.iter().filter(|o| o["type"] == "summary").count(), 1, "{}", run.stdout);
    let summary = summary(&run);
    let mut keys: Vec<&str> = summary.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        ["by_rule", "bytes", "elapsed_ms", "files", "lines", "matched_lines", "matches", "type", "unreadable"]
    );
    assert_eq!(summary["unreadable"], 0);
    assert_eq!(summary["files"], 1);
    assert_eq!(summary["lines"], 4);
    assert_eq!(summary["bytes"], SAMPLE.len());
    assert_eq!(summary["matched_lines"], 3);
    assert_eq!(summary["matches"], 4);
    assert!(summary["elapsed_ms"].is_u64());
    let by_rule =
        serde_json::json!({"todo": 2, "stub": 1, "anchored": 1, "permission": 0, "never": 0, "quiet-agent": 0});
    assert_eq!(summary["by_rule"], by_rule, "every applied rule, and only those");
    assert_eq!(summary["by_rule"].as_object().unwrap().len(), APPLIED.len());
}

#[test]
fn json_lines_count_follows_the_line_definition() {
    let cases: &[(&[u8], u64)] = &[
        (b"", 0),
        (b"\n", 1),
        (b"a\nb\n", 2),
        (b"a\nb", 2), // a final line without `\n` counts
        (b"a\r\nb\r\n", 2),
        (b"10%\r50%\rdone\n", 1), // lone CRs split segments, not lines
        (b"a\n\n\nb", 4),
    ];
    for (input, lines) in cases {
        let run = check(&["--format", "json"], input);
        assert_eq!(summary(&run)["lines"], *lines, "input {:?}", String::from_utf8_lossy(input));
        assert_eq!(summary(&run)["bytes"], input.len());
    }
}

#[test]
fn quiet_text_prints_only_the_summary_on_stderr() {
    let run = check(&["--quiet"], SAMPLE);
    assert_eq!(run.stdout, "");
    assert!(run.stderr.contains("4 lines"), "{}", run.stderr);
    assert_eq!(own_lines(&run.stderr).len(), 1, "{}", run.stderr);
    assert_eq!(run.code, Some(1), "--quiet still reports matches through the exit status");
}

#[test]
fn quiet_json_prints_only_the_summary_line() {
    let run = check(&["--quiet", "--format", "json"], SAMPLE);
    assert_eq!(run.stdout.lines().count(), 1, "{}", run.stdout);
    assert_eq!(summary(&run)["matches"], 4);
    assert_eq!(run.code, Some(1));
}

#[test]
fn help_says_policy_is_not_applied_offline() {
    let run = Sandbox::new().run(&["check", "--help"], b"");
    let help = run.stdout.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(help.contains("cooldown") && help.contains("not applied"), "{help}");
}

// ---------------------------------------------------------------------------------------------
// Inputs and exit status

#[test]
fn reads_stdin_when_no_file_or_dash() {
    for args in [&[][..], &["-"][..]] {
        let mut all = vec!["--format", "json"];
        all.extend_from_slice(args);
        let run = check(&all, b"TODO: x\n");
        assert_eq!(hits(&run), [hit("-", 1, 1, "todo", "TODO:")], "args {args:?}");
    }
}

#[test]
fn several_files_restart_line_numbers_and_name_each_file() {
    let (sandbox, rules) = fixture();
    sandbox.write("work/a.log", "TODO: a1\nx\nTODO: a3\n");
    sandbox.write("work/b.log", "x\nTODO: b2");
    let run = sandbox.run(&["check", "--rules", &rules, "--format", "json", "a.log", "-", "b.log"], b"TODO: s1\n");
    assert_eq!(
        hits(&run),
        [
            hit("a.log", 1, 1, "todo", "TODO:"),
            hit("a.log", 3, 1, "todo", "TODO:"),
            hit("-", 1, 1, "todo", "TODO:"),
            hit("b.log", 2, 1, "todo", "TODO:"),
        ]
    );
    assert_eq!(summary(&run)["files"], 3);
    assert_eq!(summary(&run)["lines"], 6);
    assert_eq!(run.code, Some(1));

    let text = sandbox.run(&["check", "--rules", &rules, "a.log", "b.log"], b"");
    assert_eq!(
        text.stdout.lines().map(|l| l.split(": [").next().unwrap()).collect::<Vec<_>>(),
        ["a.log:1:1", "a.log:3:1", "b.log:2:1"]
    );
}

#[test]
fn missing_file_exits_2_names_it_and_the_other_files_are_still_checked() {
    let (sandbox, rules) = fixture();
    sandbox.write("work/a.log", "TODO: a\n");
    sandbox.write("work/b.log", "TODO: b\n");
    let run = sandbox.run(&["check", "--rules", &rules, "--format", "json", "a.log", "missing.log", "b.log"], b"");
    assert_eq!(run.code, Some(2));
    assert!(run.stderr.lines().any(|line| line.contains("missing.log")), "stderr: {}", run.stderr);
    assert_eq!(hits(&run), [hit("a.log", 1, 1, "todo", "TODO:"), hit("b.log", 1, 1, "todo", "TODO:")]);
    assert_eq!(summary(&run)["matches"], 2);
    // A script reading the JSON sees the failed input where it failed, and in the totals.
    let records: Vec<serde_json::Value> = run.stdout.lines().map(|line| serde_json::from_str(line).unwrap()).collect();
    let errors: Vec<_> = records.iter().filter(|record| record["type"] == "error").collect();
    assert_eq!(
        errors,
        [&serde_json::json!({"type": "error", "file": "missing.log", "message": "No such file or directory"})]
    );
    let order: Vec<_> = records.iter().map(|record| record["file"].as_str().unwrap_or("")).collect();
    assert_eq!(order, ["a.log", "missing.log", "b.log", ""], "in input order, the summary last");
    assert_eq!((summary(&run)["files"].clone(), summary(&run)["unreadable"].clone()), (2.into(), 1.into()));
}

#[test]
fn a_stderr_that_cannot_be_written_loses_the_words_not_the_exit_status() {
    let (sandbox, rules) = fixture();
    sandbox.write("work/a.log", "TODO: a\n");
    let full = std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
    let status = sandbox
        .command(&["check", "--rules", &rules, "--stats", "a.log", "missing.log"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(full)
        .status()
        .unwrap();
    // The error about missing.log and the summary cannot be written; no panic (101) for that.
    assert_eq!(status.code(), Some(2));
}

#[test]
fn exit_status_is_0_without_match_1_with_match_2_on_error() {
    let (sandbox, rules) = fixture();
    sandbox.write("work/dir/placeholder", "");
    let bad_rules = sandbox.write("bad.yaml", "rules:\n  - id: x\n    match: { regex: ['('] }\n").display().to_string();
    let cases: &[(&str, &[&str], &[u8], i32)] = &[
        ("no match", &["--rules", &rules], b"all fine\n", 0),
        ("empty input", &["--rules", &rules], b"", 0),
        ("a match", &["--rules", &rules], b"TODO: x\n", 1),
        ("a match, quiet json", &["--rules", &rules, "-q", "--format", "json"], b"TODO: x\n", 1),
        ("bad rules", &["--rules", &bad_rules], b"TODO: x\n", 2),
        ("missing rules path", &["--rules", "no-such-rules.yaml"], b"", 2),
        ("missing input file", &["--rules", &rules, "nope.log"], b"", 2),
        ("a directory with no match", &["--rules", &rules, "dir"], b"", 0),
        ("unknown flag", &["--rules", &rules, "--no-such-flag"], b"", 2),
    ];
    for (name, args, stdin, code) in cases {
        let mut all = vec!["check"];
        all.extend_from_slice(args);
        let run = sandbox.run(&all, stdin);
        assert_eq!(run.code, Some(*code), "{name}: stderr {}", run.stderr);
        assert!(!run.stderr.contains("panicked"), "{name}: {}", run.stderr);
    }
}

#[test]
fn bad_rules_exit_2_with_file_line_column_and_rule_id() {
    let sandbox = Sandbox::new();
    let yaml =
        "rules:\n  - id: fine\n    match: { literals: [x] }\n  - id: broken\n    match:\n      regex: ['(unclosed']\n";
    let path = sandbox.write("bad.yaml", yaml).display().to_string();
    let run = sandbox.run(&["check", "--rules", &path], b"x\n");
    assert_eq!(run.code, Some(2));
    assert_eq!(run.stdout, "");
    let problem = run.stderr.lines().find_map(|line| located(line, &path));
    let (line, column, message) = problem.unwrap_or_else(|| panic!("no FILE:LINE:COL line:\n{}", run.stderr));
    assert_eq!((line, column), (6, 16), "{message}");
    assert!(message.starts_with("rule `broken`: ") && message.contains("(unclosed"), "{message}");
}

// ---------------------------------------------------------------------------------------------
// The matching contract, end to end

/// (what, input, [(line, column, rule, matched)])
type MatchCase = (&'static str, &'static [u8], &'static [(u64, u64, &'static str, &'static str)]);

#[test]
fn matching_semantics_through_the_binary() {
    #[rustfmt::skip]
    let cases: &[MatchCase] = &[
        ("plain", b"x TODO: y\n", &[(1, 3, "todo", "TODO:")]),
        ("ANSI colour inside the literal", b"\x1b[31mTO\x1b[0mDO: x\n", &[(1, 1, "todo", "TODO:")]),
        ("OSC title before the literal", b"\x1b]0;title\x07TODO: x\n", &[(1, 1, "todo", "TODO:")]),
        ("CRLF", b"one\r\ntwo TODO:\r\n", &[(2, 5, "todo", "TODO:")]),
        ("CRLF keeps $ at the line end", b"DONE\r\n", &[(1, 1, "anchored", "DONE")]),
        ("lone CR segments keep the line number", b" 10%\r TODO: 20%\r done\nnext TODO:\n",
            &[(1, 2, "todo", "TODO:"), (2, 6, "todo", "TODO:")]),
        ("a later lone-CR segment", b"10%\r 50% not implemented\n", &[(1, 6, "stub", "not implemented")]),
        ("one report per line across lone-CR segments", b"TODO: 1\rTODO: 2\n", &[(1, 1, "todo", "TODO:")]),
        ("^ and $ anchor at a lone-CR segment's ends", b"50%\rDONE\n", &[(1, 1, "anchored", "DONE")]),
        // U+FFFD replaces each invalid byte in the normalized line: 3 bytes each.
        ("invalid UTF-8", b"bad \xff\xfe TODO: x\n", &[(1, 12, "todo", "TODO:")]),
        ("invalid UTF-8 on an earlier line", b"\xc3\x28 \xa0\xa1\nTODO:\n", &[(2, 1, "todo", "TODO:")]),
        ("no final newline", b"first\nlast TODO:", &[(2, 6, "todo", "TODO:")]),
        ("unless exempts the line", b"// an example TODO: here\nreal TODO: here\n", &[(2, 6, "todo", "TODO:")]),
        ("unless is case-sensitive", b"// an EXAMPLE TODO: here\n", &[(1, 15, "todo", "TODO:")]),
        ("unless of a case_insensitive rule", b"ask permission (quoted)\n", &[]),
        ("unless stays case-sensitive", b"ask PERMISSION (QUOTED)\n", &[(1, 5, "permission", "PERMISSION")]),
        ("case-sensitive literal", b"todo: lower case\n", &[]),
        ("case_insensitive literal", b"Need PERMISSION now\n", &[(1, 6, "permission", "PERMISSION")]),
        ("case_insensitive regex", b"Shall I go on?\n", &[(1, 1, "permission", "Shall I")]),
        ("word boundary", b"it is not implementedyet\n", &[]),
        ("^ and $ anchor at the line ends", b"DONE\n", &[(1, 1, "anchored", "DONE")]),
        ("^ does not match mid-line", b"NOT DONE\n", &[]),
        ("$ does not match before other text", b"DONE.\n", &[]),
        ("anchored on a middle line", b"a\nDONE\nb\n", &[(2, 1, "anchored", "DONE")]),
        ("anchored without final newline", b"a\nDONE", &[(2, 1, "anchored", "DONE")]),
        ("one report per rule and line, leftmost", b"x TODO: a TODO: b\n", &[(1, 3, "todo", "TODO:")]),
        ("several rules on one line, by column", b"not implemented; TODO: ask permission\n",
            &[(1, 1, "stub", "not implemented"), (1, 18, "todo", "TODO:"), (1, 28, "permission", "permission")]),
        ("disabled and prompt rules stay quiet", b"let me plan\n", &[]),
        ("tabs are kept", b"\tTODO:\n", &[(1, 2, "todo", "TODO:")]),
    ];
    for (what, input, expected) in cases {
        let run = check(&["--format", "json"], input);
        let found: Vec<(u64, u64, String, String)> =
            hits(&run).into_iter().map(|(_, line, column, rule, matched)| (line, column, rule, matched)).collect();
        let expected: Vec<(u64, u64, String, String)> =
            expected.iter().map(|&(l, c, r, m)| (l, c, r.to_owned(), m.to_owned())).collect();
        assert_eq!(found, expected, "{what}: input {:?}", String::from_utf8_lossy(input));
        assert_eq!(run.code, Some(if expected.is_empty() { 0 } else { 1 }), "{what}");
        // `text` is the normalized line: no escapes or terminators, and `column` points into it.
        for object in run.json_lines().iter().filter(|o| o["type"] == "match") {
            let text = object["text"].as_str().unwrap();
            let column = object["column"].as_u64().unwrap() as usize;
            assert!(!text.contains(['\x1b', '\r', '\n']), "{what}: text {text:?}");
            assert!(text[column - 1..].starts_with(object["matched"].as_str().unwrap()), "{what}: {object}");
        }
    }
}

#[test]
fn stdin_written_in_flushed_pieces_matches_across_the_writes() {
    let (sandbox, rules) = fixture();
    let mut child = spawn(sandbox.command(&["check", "--rules", &rules, "--format", "json"]));
    let mut stdin = child.stdin.take().unwrap();
    // An escape sequence, a literal and a CRLF all split across separate writes.
    let pieces: &[&[u8]] = &[b"first \x1b[3", b"1mTO", b"DO:\x1b[0m x\r", b"\nnext line TOD", b"O: y"];
    for piece in pieces {
        stdin.write_all(piece).unwrap();
        stdin.flush().unwrap();
        // Long enough that each piece is very likely read on its own.
        std::thread::sleep(Duration::from_millis(20));
    }
    drop(stdin);
    let output = child.wait_with_output().unwrap();
    let run = Run {
        code: output.status.code(),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    };
    assert_eq!(hits(&run), [hit("-", 1, 7, "todo", "TODO:"), hit("-", 2, 11, "todo", "TODO:")]);
    let texts: Vec<Value> =
        run.json_lines().into_iter().filter(|o| o["type"] == "match").map(|o| o["text"].clone()).collect();
    assert_eq!(texts, ["first TODO: x", "next line TODO: y"]);
}

#[test]
fn very_long_lines_keep_every_match_and_its_column() {
    const BIG: usize = 5 * 1024 * 1024;
    let mut input = Vec::with_capacity(BIG + 200_000);
    // Line 1: 5 MB, one match near the end.
    input.extend(std::iter::repeat_n(b'x', BIG));
    input.extend_from_slice(b" TODO: at the end");
    input.extend(std::iter::repeat_n(b'y', 100));
    input.push(b'\n');
    // Lines 2..: a match straddling an offset: the window edges of the default limits (64 KiB
    // windows that overlap by 4 KiB end at 65536 + k * 61440) and a plain power of two.
    for boundary in [65_536usize, 126_976, 131_072, 1 << 20] {
        input.extend(std::iter::repeat_n(b'z', boundary - 2));
        input.extend_from_slice(b"TODO:");
        input.extend(std::iter::repeat_n(b'z', 10_000));
        input.push(b'\n');
    }
    input.extend_from_slice(b"short TODO:");
    let run = check(&["--format", "json"], &input);
    assert_eq!(
        hits(&run),
        [
            hit("-", 1, BIG as u64 + 2, "todo", "TODO:"),
            hit("-", 2, 65_535, "todo", "TODO:"),
            hit("-", 3, 126_975, "todo", "TODO:"),
            hit("-", 4, 131_071, "todo", "TODO:"),
            hit("-", 5, (1 << 20) - 1, "todo", "TODO:"),
            hit("-", 6, 7, "todo", "TODO:"),
        ]
    );
    assert_eq!(summary(&run)["lines"], 6);
    assert_eq!(summary(&run)["bytes"], input.len());
}

#[test]
fn scope_prompt_uses_prompt_rules_only() {
    let input = b"let me plan this\nTODO: x\n";
    let prompt = check(&["--scope", "prompt", "--format", "json"], input);
    assert_eq!(hits(&prompt), [hit("-", 1, 1, "planning-prompt", "let me plan")]);
    assert_eq!(summary(&prompt)["by_rule"], serde_json::json!({"planning-prompt": 1}));

    let output = check(&["--format", "json"], input);
    assert_eq!(hits(&output), [hit("-", 2, 1, "todo", "TODO:")]);
    assert!(summary(&output)["by_rule"].get("planning-prompt").is_none());
}

// ---------------------------------------------------------------------------------------------
// Where rules come from

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Source {
    Flag,
    Env,
    Local,
    Config,
    HomeConfig,
}

impl Source {
    fn rule_id(self) -> &'static str {
        match self {
            Source::Flag => "from-flag",
            Source::Env => "from-env",
            Source::Local => "from-local",
            Source::Config => "from-config",
            Source::HomeConfig => "from-home-config",
        }
    }

    /// Where the source's rule file goes, relative to the sandbox root.
    fn file(self) -> &'static str {
        match self {
            Source::Flag => "flag/r.yaml",
            Source::Env => "env/r.yaml",
            Source::Local => "work/.axiom/rules/r.yaml",
            Source::Config => "config/axiom/rules/r.yaml",
            Source::HomeConfig => "home/.config/axiom/rules/r.yaml",
        }
    }
}

#[test]
fn rule_sources_take_precedence_in_the_documented_order() {
    use Source::*;
    // (sources present, $XDG_CONFIG_HOME set, the one that wins (None: the built-in pack))
    let cases: &[(&[Source], bool, Option<Source>)] = &[
        (&[Flag, Env, Local, Config, HomeConfig], true, Some(Flag)),
        (&[Env, Local, Config, HomeConfig], true, Some(Env)),
        (&[Local, Config, HomeConfig], true, Some(Local)),
        (&[Config, HomeConfig], true, Some(Config)),
        (&[HomeConfig], true, None), // $XDG_CONFIG_HOME is set, so ~/.config is not looked at
        (&[HomeConfig], false, Some(HomeConfig)),
        (&[], true, None),
        (&[], false, None),
    ];
    for &(present, xdg, winner) in cases {
        let sandbox = Sandbox::new();
        let mut paths = Vec::new();
        for &source in present {
            let yaml = format!("rules:\n  - id: {}\n    match: {{ literals: [HIT] }}\n", source.rule_id());
            paths.push((source, sandbox.write(source.file(), yaml)));
        }
        let path_of = |wanted| paths.iter().find(|(s, _)| *s == wanted).map(|(_, p)| p.display().to_string());
        let mut args = vec!["check".to_owned(), "--format".into(), "json".into()];
        if let Some(path) = path_of(Flag) {
            args.extend(["--rules".to_owned(), path]);
        }
        let mut command = sandbox.command(&args.iter().map(String::as_str).collect::<Vec<_>>());
        if let Some(path) = path_of(Env) {
            command.env("AXIOM_RULES", path);
        }
        if !xdg {
            command.env_remove("XDG_CONFIG_HOME");
        }
        let run = run_command(command, b"HIT\n");
        let case = format!("present {present:?}, xdg {xdg}");
        let by_rule = summary(&run)["by_rule"].clone();
        let from: Vec<&str> =
            by_rule.as_object().unwrap().keys().map(String::as_str).filter(|id| id.starts_with("from-")).collect();
        assert_eq!(from, winner.map(Source::rule_id).into_iter().collect::<Vec<_>>(), "{case}");
        // JSON stdout never carries the note about where rules came from.
        assert!(run.json_lines().iter().all(|o| o["type"] == "match" || o["type"] == "summary"), "{case}");
        match winner {
            None => assert_eq!(run.stderr, "", "{case}: the built-in pack needs no note"),
            Some(Flag) => assert_eq!(run.stderr, "", "{case}: rules named on the command line need no note"),
            Some(source) => {
                let expected = match source {
                    Env => "AXIOM_RULES".to_owned(),
                    Local => ".axiom/rules/".to_owned(),
                    _ => sandbox.root().join(source.file()).parent().unwrap().display().to_string(),
                };
                let note = run.stderr.lines().find(|line| line.contains(&expected));
                assert!(note.is_some(), "{case}: stderr should name {expected:?}: {:?}", run.stderr);
                assert!(!run.stdout.contains(&expected), "{case}: the note leaked into stdout");
            }
        }
    }
}

#[test]
fn a_rules_directory_in_the_working_directory_is_not_read_unless_named() {
    // What an agent could write where it works: a rule set that switches every rule off.
    let sandbox = Sandbox::new();
    sandbox.write("work/rules/off.yaml", "rules:\n  - id: from-cwd\n    match: { literals: [HIT] }\n");
    let run = run_command(sandbox.command(&["check", "--format", "json"]), b"HIT\n");
    let by_rule = summary(&run)["by_rule"].clone();
    assert!(by_rule.get("from-cwd").is_none(), "./rules/ was read: {by_rule}");
    assert!(run.stderr.contains("./rules/ is not read unless named with --rules"), "{}", run.stderr);
    // Named, it is read.
    let run = run_command(sandbox.command(&["check", "--format", "json", "--rules", "rules"]), b"HIT\n");
    assert!(summary(&run)["by_rule"].get("from-cwd").is_some());
}

// ---------------------------------------------------------------------------------------------
// A reader that goes away: `axiom check big.log | head -1`

/// `axiom check --format FORMAT | head -1` over a large input.
fn check_head_one(format: &str) -> (String, Run) {
    let (sandbox, rules) = fixture();
    let command = sandbox.command(&["check", "--rules", &rules, "--stats", "--format", format]);
    head_one(command, "TODO: x\n".repeat(200_000).into_bytes())
}

#[test]
fn a_closed_stdout_ends_the_run_without_a_panic() {
    for (format, first) in [("text", "-:1:1: [warning] todo (warn): TODO:\n"), ("json", "{\"type\":\"match\"")] {
        let (line, run) = check_head_one(format);
        assert!(line.starts_with(first), "{format}: {line:?}");
        assert!(!run.stderr.contains("panicked"), "{format}: {}", run.stderr);
        assert_ne!(run.code, Some(101), "{format}: exited like a panic");
    }
}

#[test]
fn a_closed_stdout_still_counts_the_matches_found() {
    for format in ["text", "json"] {
        let (_, run) = check_head_one(format);
        // A match was found and printed before the reader left: that is exit status 1.
        assert_eq!(run.code, Some(1), "{format}: stderr {}", run.stderr);
        if format == "text" {
            assert_summary_is_consistent(&run.stderr);
            assert!(run.stderr.contains("the output was closed, so checking stopped"), "{}", run.stderr);
        }
    }
}

/// The summary line's `N matches on M of L lines` agrees with the `--stats` per-rule rows.
fn assert_summary_is_consistent(stderr: &str) {
    let totals = stderr.lines().find(|line| line.starts_with("axiom: ") && line.contains(" on ")).expect("no summary");
    let words: Vec<&str> = totals.split_whitespace().collect();
    // axiom: N match(es) on M of L line(s) in ...
    let number = |at: usize| -> u64 { words[at].parse().unwrap_or_else(|_| panic!("not a number: {totals}")) };
    let (matches, matched, lines) = (number(1), number(4), number(6));
    let rows: u64 = stderr
        .lines()
        .skip_while(|line| !line.contains("rules applied"))
        .skip(1)
        .filter_map(|line| line.split_whitespace().next()?.parse::<u64>().ok())
        .sum();
    assert!(rows > 0, "{stderr}");
    assert_eq!(matches, rows, "the totals disagree with the per-rule hits:\n{stderr}");
    assert!(lines >= matched && matched > 0, "{stderr}");
}

/// Several MiB of lines: matches on some, CRLF and LF, a line near the end without `\n`; then
/// variants that make the block engine fall back to one pipeline part-way (an escape sequence,
/// a line longer than a block).
fn many_lines(variant: &str) -> Vec<u8> {
    let mut input = Vec::new();
    for i in 0..40_000u32 {
        match i % 7 {
            0 => input.extend_from_slice(format!("line {i}: TODO: finish part {i}\r\n").as_bytes()),
            3 => input.extend_from_slice(format!("{i} this is not implemented, Shall I go on?\n").as_bytes()),
            5 => input.extend_from_slice(b"DONE\r\n"),
            _ => input.extend_from_slice(format!("plain output {i} with nothing to see here\n").as_bytes()),
        }
        if i == 30_000 {
            match variant {
                "escape" => input.extend_from_slice(b"\x1b[31mred TODO: in colour\x1b[0m\n"),
                "long line" => {
                    input.extend(std::iter::repeat_n(b'x', 3 << 19));
                    input.extend_from_slice(b" TODO: at the end of a long line\n");
                }
                _ => {}
            }
        }
    }
    input.extend_from_slice(b"last TODO: without a newline");
    input
}

/// JSON output without the elapsed time.
fn report(run: &Run) -> String {
    let elapsed = regex::Regex::new(r#""elapsed_ms":\d+"#).unwrap();
    elapsed.replace_all(&run.stdout, "").into_owned()
}

#[test]
fn threads_give_the_same_report_as_one() {
    for variant in ["plain", "escape", "long line"] {
        let input = many_lines(variant);
        let one = check(&["--format", "json", "-j", "1"], &input);
        assert_eq!(one.code, Some(1), "{variant}: {}", one.stderr);
        let matches = summary(&one)["matches"].as_u64().unwrap();
        assert!(matches > 15_000, "{variant}: only {matches} matches");
        for threads in ["2", "5"] {
            let many = check(&["--format", "json", "--threads", threads], &input);
            assert_eq!(report(&many), report(&one), "{variant}, {threads} threads");
        }
    }
}

#[test]
fn zero_threads_is_refused() {
    let run = check(&["-j", "0"], b"TODO: x\n");
    assert_eq!(run.code, Some(2), "{}", run.stderr);
}

#[test]
fn the_built_in_pack_named_among_rule_paths_judges_beside_the_files_named() {
    let (sandbox, rules) = fixture();
    let input = b"TODO: later\nBash: rm -rf /\n";
    let alone = sandbox.run(&["check", "--format", "json", "--scope", "tool", "--rules", &rules], input);
    assert!(hits(&alone).is_empty(), "the file alone has no tool rules: {alone:?}");
    let both =
        sandbox.run(&["check", "--format", "json", "--scope", "tool", "--rules", "built-in", "--rules", &rules], input);
    let fired: Vec<String> = hits(&both).into_iter().map(|hit| hit.3).collect();
    assert!(fired.contains(&"tool-rm-root-or-home".to_owned()), "{fired:?}");
    let output = sandbox.run(&["check", "--format", "json", "--rules", "built-in", "--rules", &rules], input);
    let fired: Vec<String> = hits(&output).into_iter().map(|hit| hit.3).collect();
    assert!(fired.contains(&"todo".to_owned()) && fired.contains(&"todo-placeholder".to_owned()), "{fired:?}");
}
