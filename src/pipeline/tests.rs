//! The matching contract shared by `axiom check` and live supervision, as a table of cases.

use super::*;
use crate::rules::{Action, RuleDocument};

const RULES: &str = r#"
rules:
  - id: todo
    match: { literals: ["TODO:"] }
    unless: ['^\s*//.*example']
  - id: stub
    match: { regex: ['\bnot implemented\b'] }
    action: inject
    message: Write the implementation.
  - id: anchored
    match: { regex: ['^DONE$'] }
  - id: shout
    match: { literals: [permission], case_insensitive: true }
  - id: accent
    match: { literals: ["ÉTÉ"], case_insensitive: true }
  - id: prompt-only
    scope: prompt
    match: { literals: ["TODO:"] }
"#;

fn rules() -> Arc<RuleSet> {
    Arc::new(RuleSet::from_documents(vec![RuleDocument::new("t.yaml", RULES)]).unwrap())
}

/// Runs chunks through an offline pipeline; returns `(line, column, rule, matched)` per intervention.
fn run(chunks: &[&[u8]]) -> Vec<(u64, usize, String, String)> {
    let mut pipeline = Pipeline::new(rules(), Scope::Output, "t", PipelineOptions::offline());
    let now = Instant::now();
    let mut fired = Vec::new();
    for chunk in chunks {
        fired.extend(pipeline.push(chunk, now));
    }
    fired.extend(pipeline.finish(now));
    fired.into_iter().map(|i| (i.line.unwrap(), i.column, i.rule, i.matched)).collect()
}

fn hit(line: u64, column: usize, rule: &str, matched: &str) -> (u64, usize, String, String) {
    (line, column, rule.into(), matched.into())
}

#[test]
fn reports_rule_line_column_and_text() {
    assert_eq!(run(&[b"ok\n  // TODO: later\n"]), [hit(2, 6, "todo", "TODO:")]);
}

#[test]
fn match_split_across_chunks() {
    assert_eq!(run(&[b"x TO", b"DO", b": y\n"]), [hit(1, 3, "todo", "TODO:")]);
    assert_eq!(run(&[b"is not imple", b"mented here\n"]), [hit(1, 4, "stub", "not implemented")]);
}

#[test]
fn ansi_split_across_chunks_is_stripped_before_matching() {
    assert_eq!(run(&[b"\x1b[1mTO\x1b[", b"0mDO: bold\n"]), [hit(1, 1, "todo", "TODO:")]);
}

#[test]
fn crlf_and_lone_cr() {
    assert_eq!(run(&[b"a\r\nDONE\r\n"]), [hit(2, 1, "anchored", "DONE")]);
    // A lone CR ends a segment that is matched on its own but keeps the line number.
    assert_eq!(run(&[b"50%\rDONE\rx\n"]), [hit(1, 1, "anchored", "DONE")]);
}

#[test]
fn anchors_stay_inside_the_line() {
    assert!(run(&[b"not DONE\nDONE yet\n"]).is_empty());
}

#[test]
fn invalid_utf8_does_not_stop_matching() {
    assert_eq!(run(&[b"\xff\xfe TODO: x\n"]), [hit(1, 8, "todo", "TODO:")]);
}

#[test]
fn no_final_newline() {
    assert_eq!(run(&[b"a\nTODO: tail"]), [hit(2, 1, "todo", "TODO:")]);
}

#[test]
fn unless_exempts_the_line() {
    assert!(run(&[b"// TODO: example usage\n"]).is_empty());
}

#[test]
fn at_most_one_report_per_rule_and_line_the_leftmost() {
    assert_eq!(run(&[b"TODO: a TODO: b\n"]), [hit(1, 1, "todo", "TODO:")]);
    // Two rules on one line are both reported, in column order.
    assert_eq!(run(&[b"not implemented TODO:\n"]), [hit(1, 1, "stub", "not implemented"), hit(1, 17, "todo", "TODO:")]);
}

#[test]
fn case_insensitive_literals_ascii_and_unicode() {
    assert_eq!(run(&[b"ask PERMISSION\n"]), [hit(1, 5, "shout", "PERMISSION")]);
    assert_eq!(run(&["un été\n".as_bytes()]), [hit(1, 4, "accent", "été")]);
}

#[test]
fn word_boundaries_hold() {
    assert!(run(&[b"not implementedly\n"]).is_empty());
}

#[test]
fn very_long_line_in_bounded_windows() {
    let mut line = vec![b'x'; 1_000_000];
    line[700_000..700_005].copy_from_slice(b"TODO:");
    line.push(b'\n');
    let chunks: Vec<&[u8]> = line.chunks(8192).collect();
    assert_eq!(run(&chunks), [hit(1, 700_001, "todo", "TODO:")]);
}

#[test]
fn match_at_a_window_edge_is_found_once() {
    let limits = LineLimits { max_line: 64, overlap: 16 };
    let options = PipelineOptions { limits, ..PipelineOptions::offline() };
    for at in 50..70 {
        let mut line = vec![b'.'; 200];
        line[at..at + 5].copy_from_slice(b"TODO:");
        line.push(b'\n');
        let mut pipeline = Pipeline::new(rules(), Scope::Output, "t", options);
        let now = Instant::now();
        let mut fired = pipeline.push(&line, now);
        fired.extend(pipeline.finish(now));
        let found: Vec<_> = fired.iter().map(|i| i.column).collect();
        assert_eq!(found, [at + 1], "match at {at}");
    }
}

#[test]
fn scopes_are_separate() {
    let mut prompt = Pipeline::new(rules(), Scope::Prompt, "p", PipelineOptions::offline());
    let now = Instant::now();
    prompt.push(b"TODO: x", now);
    let fired = prompt.finish(now);
    assert_eq!(fired.iter().map(|i| i.rule.as_str()).collect::<Vec<_>>(), ["prompt-only"]);
}

#[test]
fn stats_count_lines_bytes_and_matches() {
    let mut pipeline = Pipeline::new(rules(), Scope::Output, "t", PipelineOptions::offline());
    let now = Instant::now();
    pipeline.push(b"TODO: a not implemented\nclean\nTODO:", now);
    pipeline.finish(now);
    assert_eq!(pipeline.stats(), PipelineStats { bytes: 35, lines: 3, matched_lines: 2, matches: 3 });
}

#[test]
fn partial_line_is_matched_when_output_goes_idle_then_not_again() {
    let mut pipeline = Pipeline::new(rules(), Scope::Output, "t", PipelineOptions::live());
    let t0 = Instant::now();
    assert!(pipeline.push(b"TODO: answer? (y/n) ", t0).is_empty());
    assert_eq!(pipeline.next_deadline(), Some(t0 + Duration::from_millis(200)));
    assert!(pipeline.tick(t0 + Duration::from_millis(199)).is_empty());
    let fired = pipeline.tick(t0 + Duration::from_millis(200));
    assert_eq!(fired.len(), 1);
    assert_eq!(fired[0].rule, "todo");
    assert_eq!(pipeline.next_deadline(), None, "nothing left to do until more output");
    assert!(pipeline.tick(t0 + Duration::from_secs(1)).is_empty());
    // The rest of the line completes it; the rule already reported on this line.
    assert!(pipeline.push(b"y\n", t0 + Duration::from_secs(2)).is_empty());
}

#[test]
fn live_policy_applies_cooldown() {
    let yaml = "rules:\n  - id: todo\n    match: { literals: ['TODO:'] }\n    cooldown: 10s\n";
    let rules = Arc::new(RuleSet::from_documents(vec![RuleDocument::new("c.yaml", yaml)]).unwrap());
    let t0 = Instant::now();
    let mut pipeline = Pipeline::starting_at(rules, Scope::Output, "t", PipelineOptions::live(), t0);
    assert_eq!(pipeline.push(b"TODO: 1\n", t0).len(), 1);
    assert_eq!(pipeline.push(b"TODO: 2\n", t0 + Duration::from_secs(5)).len(), 0);
    assert_eq!(pipeline.push(b"TODO: 3\n", t0 + Duration::from_secs(10)).len(), 1);
    assert_eq!(pipeline.stats().matches, 3, "hits are counted even when policy stays quiet");
}

#[test]
fn silence_rule_fires_after_quiet_and_escalates() {
    let yaml = "rules:\n  - id: quiet\n    silence: 120s\n    message: Say something.\n    escalate: { within: 10m, steps: [inject, interrupt] }\n";
    let rules = Arc::new(RuleSet::from_documents(vec![RuleDocument::new("s.yaml", yaml)]).unwrap());
    let t0 = Instant::now();
    let secs = Duration::from_secs;
    let mut pipeline = Pipeline::starting_at(rules, Scope::Output, "t", PipelineOptions::live(), t0);
    assert_eq!(pipeline.next_deadline(), Some(t0 + secs(120)));
    assert!(pipeline.tick(t0 + secs(119)).is_empty());
    let first = pipeline.tick(t0 + secs(120));
    assert_eq!((first[0].rule.as_str(), first[0].action, first[0].line), ("quiet", Action::Inject, None));
    assert!(pipeline.tick(t0 + secs(200)).is_empty());
    assert_eq!(pipeline.tick(t0 + secs(240))[0].action, Action::Interrupt);
    // Output resets the timer.
    pipeline.push(b"working\n", t0 + secs(250));
    assert!(pipeline.tick(t0 + secs(369)).is_empty());
    assert_eq!(pipeline.tick(t0 + secs(370)).len(), 1);
}

#[test]
fn offline_pipelines_have_no_timers() {
    let yaml = "rules:\n  - id: quiet\n    silence: 1s\n";
    let rules = Arc::new(RuleSet::from_documents(vec![RuleDocument::new("s.yaml", yaml)]).unwrap());
    let t0 = Instant::now();
    let mut pipeline = Pipeline::starting_at(rules, Scope::Output, "t", PipelineOptions::offline(), t0);
    assert!(pipeline.tick(t0 + Duration::from_secs(60)).is_empty());
}

#[test]
fn echoed_injection_never_fires_a_rule() {
    let mut pipeline = Pipeline::new(rules(), Scope::Output, "t", PipelineOptions::live());
    let now = Instant::now();
    pipeline.expect_echo("Do the TODO: items now", now);
    assert!(pipeline.push(b"> Do the TODO: items now\r\n", now).is_empty());
    // Only the echoed text is masked: the same rule still fires on the agent's own words.
    assert_eq!(pipeline.push(b"TODO: still here\n", now).len(), 1);
    // The mask expires.
    let later = now + Duration::from_secs(31);
    assert_eq!(pipeline.push(b"Do the TODO: items now\n", later).len(), 1);
}

#[test]
fn the_echo_mask_holds_each_text_once_and_is_bounded() {
    let mut pipeline = Pipeline::new(rules(), Scope::Output, "t", PipelineOptions::live());
    let now = Instant::now();
    for _ in 0..20_000 {
        pipeline.expect_echo("Do the TODO: items now", now);
    }
    assert_eq!(pipeline.echo_mask_len(), 1, "a repeated injection is one text");
    for i in 0..1000 {
        pipeline.expect_echo(&format!("correction {i}"), now + Duration::from_millis(i));
    }
    assert_eq!(pipeline.echo_mask_len(), crate::pipeline::ECHO_MASK_LIMIT);
    // The newest texts are the ones kept.
    assert!(pipeline.push(b"correction 999\n", now).is_empty());
    let later = now + Duration::from_secs(60);
    pipeline.push(b"x\n", later);
    assert_eq!(pipeline.echo_mask_len(), 0, "every text expired");
}

#[test]
fn small_writes_give_the_same_result_as_one_big_write() {
    let text: &[u8] = b"a TODO: b\r\nnot implemented\r\x1b[31mDONE\x1b[0m\nTODO: tail";
    let whole = run(&[text]);
    for size in 1..8 {
        let chunks: Vec<&[u8]> = text.chunks(size).collect();
        assert_eq!(run(&chunks), whole, "chunk size {size}");
    }
    assert_eq!(whole.len(), 4);
}

#[test]
fn overlapping_regexes_of_different_rules_all_report() {
    let yaml = r#"
rules:
  - { id: one, match: { regex: ['foo'] } }
  - { id: two, match: { regex: ['bar'] } }
  - { id: short, match: { regex: ['\bcmd'] } }
  - { id: long, match: { regex: ['\bcmd x\b'] } }
  - { id: same, match: { regex: ['foo'] } }
"#;
    let rules = Arc::new(RuleSet::from_documents(vec![RuleDocument::new("o.yaml", yaml)]).unwrap());
    let mut pipeline = Pipeline::new(rules, Scope::Output, "t", PipelineOptions::offline());
    let now = Instant::now();
    let mut fired = pipeline.push(b"foo bar\ncmd x\n", now);
    fired.extend(pipeline.finish(now));
    let mut found: Vec<(u64, &str)> = fired.iter().map(|i| (i.line.unwrap(), i.rule.as_str())).collect();
    found.sort();
    assert_eq!(found, [(1, "one"), (1, "same"), (1, "two"), (2, "long"), (2, "short")]);
}

#[test]
fn a_tool_rule_denies_a_call_line_and_only_the_tool_scope_sees_it() {
    let yaml = "rules:\n  - id: no-rm\n    scope: tool\n    match: { regex: ['^Bash: rm -rf'] }\n    action: deny\n    message: never delete recursively\n";
    let rules = Arc::new(RuleSet::from_documents(vec![RuleDocument::new("t.yaml", yaml)]).unwrap());
    let mut tool = Pipeline::new(Arc::clone(&rules), Scope::Tool, "t", PipelineOptions::live());
    let now = Instant::now();
    for _ in 0..3 {
        let fired = tool.push(b"Bash: rm -rf /tmp/x\n", now);
        assert_eq!((fired[0].action, fired[0].message.as_deref()), (Action::Deny, Some("never delete recursively")));
    }
    assert!(tool.push(b"Bash: ls\n", now).is_empty());
    let mut output = Pipeline::new(rules, Scope::Output, "t", PipelineOptions::live());
    assert!(output.push(b"Bash: rm -rf /tmp/x\n", now).is_empty());
}

#[test]
fn a_shell_class_rule_judges_only_shell_calls_and_reports_the_command() {
    let yaml = r#"rules:
  - id: shell-rm
    scope: tool
    tool: shell
    match: { regex: ['(.*[;&|] *)?rm -rf'] }
    unless: ['echo ']
    action: deny
    message: no
  - id: rm-root
    scope: tool
    command: { program: rm, flags: ['r'], args: ['^/$'] }
    action: deny
    message: no
"#;
    let rules = Arc::new(RuleSet::from_documents(vec![RuleDocument::new("t.yaml", yaml)]).unwrap());
    let mut tool = Pipeline::new(rules, Scope::Tool, "t", PipelineOptions::offline());
    let now = Instant::now();
    let mut judge = |line: &str| -> Vec<(String, usize, String)> {
        let fired = tool.push(format!("{line}\n").as_bytes(), now);
        fired.into_iter().map(|i| (i.rule, i.column, i.matched)).collect()
    };
    assert_eq!(judge("Bash: cd x && rm -rf build"), [("shell-rm".to_owned(), 7, "cd x && rm -rf".to_owned())]);
    assert_eq!(
        judge("mcp__desktop-commander__execute_command: rm -rf /"),
        [("shell-rm".to_owned(), 42, "rm -rf".to_owned()), ("rm-root".to_owned(), 42, "rm -rf /".to_owned())],
        "a parsed command reports the whole command it judged"
    );
    // Any agent's shell tool, by a name that says so.
    assert_eq!(judge("run_shell_command: rm -rf /").len(), 2);
    // Any other tool's command is parsed; an input shown as JSON is not (the renderer sets a
    // command that reads as JSON apart with a space, and bash runs the substitution in it).
    assert_eq!(judge("mcp__x__run: [ -d x ] && rm -rf /").len(), 1);
    assert_eq!(judge(r#"mcp__x__run:  ["$(rm -rf /)"]"#).len(), 1);
    assert!(judge(r#"mcp__x__y: {"a":"b","c":"rm -rf /"}"#).is_empty());
    // A search tool's argument is not a script, whatever it holds.
    assert!(judge("Grep: rm -rf /").is_empty());
    assert!(judge("WebSearch: rm -rf").is_empty());
    // `unless` is matched from the argument's start too.
    assert!(judge("Bash: echo rm -rf build").is_empty());
    assert_eq!(judge("Bash: ls; echo x; rm -rf build").len(), 1);
}

#[test]
fn a_regex_several_rules_wrote_is_searched_once_and_ranked_within_each_rule() {
    let yaml =
        "rules:\n  - id: short\n    match: { regex: ['a+', 'ab'] }\n  - id: long\n    match: { regex: ['ab', 'a+'] }\n";
    let rules = Arc::new(RuleSet::from_documents(vec![RuleDocument::new("t.yaml", yaml)]).unwrap());
    let attribution = rules.scope(Scope::Output).attribution().unwrap();
    assert_eq!(attribution.groups.iter().map(|group| group.patterns.len()).sum::<usize>(), 2);
    let mut pipeline = Pipeline::new(rules, Scope::Output, "t", PipelineOptions::offline());
    let fired = pipeline.push(b"x ab\n", Instant::now());
    let fired: Vec<(&str, &str)> = fired.iter().map(|i| (i.rule.as_str(), i.matched.as_str())).collect();
    // Both start at the same byte: each rule's earlier pattern is its match, as if unshared.
    assert_eq!(fired, [("short", "a"), ("long", "ab")]);
}

#[test]
fn a_tool_call_longer_than_an_output_window_is_judged_whole() {
    let yaml = "rules:\n  - id: no-rm\n    scope: tool\n    match: { regex: ['^Bash: .*rm -rf ~'] }\n    action: deny\n    message: no\n";
    let rules = Arc::new(RuleSet::from_documents(vec![RuleDocument::new("t.yaml", yaml)]).unwrap());
    let mut tool = Pipeline::new(rules, Scope::Tool, "t", PipelineOptions::live());
    let call = format!("Bash: {} rm -rf ~\n", "true;".repeat(100_000));
    assert!(call.len() > 4 * LineLimits::default().max_line);
    let fired = tool.push(call.as_bytes(), Instant::now());
    assert_eq!(fired.iter().map(|i| i.rule.as_str()).collect::<Vec<_>>(), ["no-rm"]);
}

#[test]
fn a_reload_that_changes_one_rule_keeps_the_others_cooldown_and_escalation() {
    let load = |yaml: &str| Arc::new(RuleSet::from_documents(vec![RuleDocument::new("r.yaml", yaml)]).unwrap());
    let before = load(
        "rules:\n  - id: cool\n    match: { literals: [cool] }\n    cooldown: 60s\n  - id: ladder\n    match: { literals: [climb] }\n    message: stop\n    escalate: { within: 10m, steps: [inject, kill] }\n  - id: other\n    match: { literals: [other] }\n",
    );
    let after = load(
        "rules:\n  - id: other\n    match: { literals: [other, changed] }\n    cooldown: 5s\n  - id: cool\n    match: { literals: [cool] }\n    cooldown: 60s\n  - id: ladder\n    match: { literals: [climb] }\n    message: stop\n    escalate: { within: 10m, steps: [inject, kill] }\n",
    );
    let t0 = Instant::now();
    let mut pipeline = Pipeline::starting_at(before, Scope::Output, "t", PipelineOptions::live(), t0);
    assert_eq!(pipeline.push(b"cool\nclimb\n", t0).len(), 2);
    pipeline.replace_rules(after, t0 + Duration::from_secs(1));
    let fired = pipeline.push(b"cool\nclimb\n", t0 + Duration::from_secs(2));
    let fired: Vec<(&str, Action)> = fired.iter().map(|i| (i.rule.as_str(), i.action)).collect();
    assert_eq!(fired, [("ladder", Action::Kill)], "cool is still cooling down and ladder is on its second step");
}

/// Each rule's leftmost match by searching its patterns one at a time (literals first, in order,
/// then regexes), keeping the first leftmost: what attribution must give in one pass per group.
fn leftmost_one_by_one(rules: &[(&str, &[&str], &[&str], bool)], line: &[u8]) -> Vec<(usize, String, String)> {
    let mut out = Vec::new();
    for (id, literals, regexes, fold) in rules {
        let mut best: Option<(usize, usize)> = None;
        let mut consider = |found: Option<(usize, usize)>| {
            if let Some(found) = found {
                if best.is_none_or(|b| found.0 < b.0) {
                    best = Some(found);
                }
            }
        };
        let mut by_length: Vec<&&str> = literals.iter().collect();
        by_length.sort_by_key(|literal| literal.len());
        for literal in by_length {
            let pattern =
                if *fold { format!("(?i-u:{})", regex::escape(literal)) } else { regex::escape(literal).to_string() };
            consider(regex::bytes::Regex::new(&pattern).unwrap().find(line).map(|m| (m.start(), m.end())));
        }
        for pattern in regexes.iter() {
            let pattern = if *fold { format!("(?i){pattern}") } else { pattern.to_string() };
            consider(regex::bytes::Regex::new(&pattern).unwrap().find(line).map(|m| (m.start(), m.end())));
        }
        if let Some((start, end)) = best {
            out.push((start + 1, id.to_string(), String::from_utf8_lossy(&line[start..end]).into_owned()));
        }
    }
    out.sort();
    out
}

#[test]
fn attribution_agrees_with_searching_each_pattern_on_ascii_and_other_lines() {
    // Overlapping literals (exact and ASCII-folded), regexes with ASCII and Unicode word
    // boundaries in one rule set: an ASCII line takes the merged regex pass, another line the
    // two separate ones; literals come from the overlapping Aho-Corasick pass.
    let rules: &[(&str, &[&str], &[&str], bool)] = &[
        ("lits", &["abc", "bcd", "b", "abcd"], &[], false),
        ("folded", &["ERROR", "err"], &[], true),
        ("words", &[], &[r"\bcat\b", r"(?-u:\b)dog(?-u:\b)"], false),
        ("mixed", &["dog"], &[r"\d{2,}", r"[a-z]+\d"], false),
        ("wide", &[], &[r"\w+é", r"é\b"], false),
        ("same-start", &["ab"], &[r"ab+", r"a"], false),
    ];
    let mut yaml = String::from("rules:\n");
    for (id, literals, regexes, fold) in rules {
        let list = |items: &[&str]| items.iter().map(|i| format!("'{i}'")).collect::<Vec<_>>().join(", ");
        yaml += &format!(
            "  - id: {id}\n    match: {{ literals: [{}], regex: [{}], case_insensitive: {fold} }}\n",
            list(literals),
            list(regexes)
        );
    }
    let yaml = yaml.replace("literals: [], ", "").replace("regex: [], ", "");
    let set = Arc::new(RuleSet::from_documents(vec![RuleDocument::new("d.yaml", &yaml)]).unwrap());
    let lines = [
        "xabcd bcd b abcd",
        "the cat sat on a dog 123",
        "Error: err ERROR eRr",
        "concat cats dogged abb a1 ab",
        "café é cat dog 42 ß",
        "été ab abbb ERROR bcd",
        "nothing",
        "",
    ];
    for line in lines {
        let mut pipeline = Pipeline::new(Arc::clone(&set), Scope::Output, "t", PipelineOptions::offline());
        let now = Instant::now();
        let mut fired = pipeline.push(format!("{line}\n").as_bytes(), now);
        fired.extend(pipeline.finish(now));
        let mut got: Vec<(usize, String, String)> = fired.into_iter().map(|i| (i.column, i.rule, i.matched)).collect();
        got.sort();
        assert_eq!(got, leftmost_one_by_one(rules, line.as_bytes()), "line {line:?}");
    }
}

#[test]
fn a_scope_that_left_its_scan_out_reports_what_scanning_reports() {
    let lines: [&[u8]; 6] = [
        b"ok, nothing here",
        b"  // TODO: later",
        b"is not implemented here",
        b"DONE",
        b"PERMISSION denied",
        b"ete ETE",
    ];
    let mut text = Vec::new();
    for index in 0..40_000 {
        // Runs of lines that match and of lines that do not, so the scan both skips and stops.
        let line = if (index / 7) % 3 == 0 { lines[index % lines.len()] } else { lines[0] };
        text.extend_from_slice(line);
        text.push(b'\n');
    }
    let run_with = |set: Arc<RuleSet>| {
        let mut pipeline = Pipeline::new(set, Scope::Output, "t", PipelineOptions::offline());
        let now = Instant::now();
        let mut fired = Vec::new();
        for chunk in text.chunks(64 << 10) {
            pipeline.push_into(chunk, now, &mut fired);
        }
        fired.extend(pipeline.finish(now));
        fired.into_iter().map(|i| (i.line.unwrap(), i.column, i.rule, i.matched)).collect::<Vec<_>>()
    };
    let scanning = rules();
    scanning.scope(Scope::Output).scan();
    let walking = rules();
    let payoff = &walking.scope(Scope::Output).scan().payoff;
    // Two blocks where attributing every line would have been cheaper than the scan.
    let slow_scan = crate::rules::ScanCost {
        total: Duration::from_millis(4),
        scanning: Duration::from_millis(3),
        bytes: 1 << 20,
        attributed: 512 << 10,
    };
    payoff.record(&slow_scan);
    payoff.record(&slow_scan);
    assert!(!payoff.should_scan(true));
    let reported = run_with(scanning);
    assert!(reported.len() > 5_000, "{}", reported.len());
    assert_eq!(run_with(walking), reported);
}

#[test]
fn a_restarted_pipeline_reports_what_a_new_one_does_and_keeps_nothing_else() {
    let now = Instant::now();
    let report = |pipeline: &mut Pipeline, chunk: &[u8]| {
        let mut fired = Vec::new();
        pipeline.push_into(chunk, now, &mut fired);
        fired.extend(pipeline.finish(now));
        fired.into_iter().map(|i| (i.line.unwrap(), i.column, i.rule)).collect::<Vec<_>>()
    };
    let second = b"DONE\nis not implemented\nTODO: x\n";
    let mut used = Pipeline::new(rules(), Scope::Output, "t", PipelineOptions::offline());
    assert_eq!(report(&mut used, b"TODO: a\n\x1b[1mDONE\nhalf a li").len(), 2);
    let mut restarted = used.restart(10);
    let mut new = Pipeline::new(rules(), Scope::Output, "t", PipelineOptions::offline()).with_first_line(10);
    let expected = report(&mut new, second);
    assert_eq!(expected.len(), 3);
    assert_eq!(report(&mut restarted, second), expected);
    assert_eq!(restarted.stats(), new.stats());
}

#[test]
fn without_its_strings_an_intervention_still_says_what_fired_where() {
    let options = PipelineOptions { keep_text: false, ..PipelineOptions::offline() };
    let set = rules();
    let mut pipeline = Pipeline::new(Arc::clone(&set), Scope::Output, "t", options);
    let fired = pipeline.push(b"ok\nit is not implemented\n", Instant::now());
    assert_eq!(fired.len(), 1);
    let stub = set.rules().iter().position(|rule| rule.id == "stub").unwrap();
    assert_eq!(
        (fired[0].rule_index, fired[0].line, fired[0].column, fired[0].action),
        (stub, Some(2), 7, Action::Inject)
    );
    assert!(fired[0].rule.is_empty() && fired[0].message.is_none() && fired[0].matched.is_empty());
}

#[test]
fn the_scan_searches_literals_with_a_dfa_unless_they_are_too_many_bytes() {
    let scan_kind = |literals: &[String]| {
        let list = literals.iter().map(|l| format!("'{l}'")).collect::<Vec<_>>().join(", ");
        let yaml = format!("rules:\n  - id: many\n    match: {{ literals: [{list}] }}\n");
        let set = Arc::new(RuleSet::from_documents(vec![RuleDocument::new("m.yaml", &yaml)]).unwrap());
        let scope = set.scope(Scope::Output);
        let searcher = &scope.scan().literals[0].scan;
        let last = literals.last().unwrap().as_bytes();
        assert!(searcher.find(last).is_some(), "the scan finds its literals");
        searcher.kind()
    };
    let few: Vec<String> = (0..200).map(|i| format!("literal-{i:08}")).collect();
    assert_eq!(scan_kind(&few), aho_corasick::AhoCorasickKind::DFA);
    // 3,000 literals of 16 bytes: 48 KB, a DFA of tens of MB.
    let many: Vec<String> = (0..3_000).map(|i| format!("literal-{i:08}")).collect();
    assert_ne!(scan_kind(&many), aho_corasick::AhoCorasickKind::DFA);
}

#[test]
fn what_a_line_holding_an_echo_reports_does_not_hang_on_whether_the_scan_runs() {
    // The echo is blanked to spaces before a line is attributed, which can make a match the text
    // as printed does not hold (line 2); the scan reads the text as printed.
    let yaml = "rules:\n  - id: spaced\n    match: { regex: ['foo\\s+bar'] }\n";
    let reported = |scan_built: bool| {
        let set = Arc::new(RuleSet::from_documents(vec![RuleDocument::new("s.yaml", yaml)]).unwrap());
        if scan_built {
            set.scope(Scope::Output).scan();
        }
        let mut pipeline = Pipeline::new(set, Scope::Output, "t", PipelineOptions::live());
        let now = Instant::now();
        pipeline.expect_echo("XYZ", now);
        let fired = pipeline.push(b"plain line\nfooXYZbar\nfoo bar\n", now);
        fired.into_iter().map(|i| (i.line.unwrap(), i.column)).collect::<Vec<_>>()
    };
    let without_scan = reported(false);
    assert!(without_scan.contains(&(3, 1)), "{without_scan:?}");
    assert_eq!(reported(true), without_scan);
}

#[test]
fn unless_above_reads_the_lines_above_in_the_block_and_across_blocks() {
    let yaml = r#"
rules:
  - id: stub
    match: { regex: ['raise NotImplementedError'] }
    unless_above: '@abstractmethod'
"#;
    let rules = Arc::new(RuleSet::from_documents(vec![RuleDocument::new("t.yaml", yaml)]).unwrap());
    let fired = |chunks: &[&str]| -> Vec<u64> {
        let mut pipeline = Pipeline::new(Arc::clone(&rules), Scope::Output, "t", PipelineOptions::offline());
        assert!(!pipeline.lines_are_independent(), "a line's report depends on the lines above it");
        let now = Instant::now();
        let mut fired = Vec::new();
        for chunk in chunks {
            fired.extend(pipeline.push(chunk.as_bytes(), now));
        }
        fired.extend(pipeline.finish(now));
        fired.into_iter().map(|i| i.line.unwrap()).collect()
    };
    let abstract_method =
        "@abstractmethod\ndef charge(self):\n    \"\"\"Charge.\"\"\"\n    raise NotImplementedError\n";
    assert_eq!(fired(&[abstract_method]), Vec::<u64>::new(), "in one block");
    let (above, below) = abstract_method.split_at(abstract_method.find("    raise").unwrap());
    assert_eq!(fired(&[above, below]), Vec::<u64>::new(), "the lines above came in an earlier block");
    let (first, rest) = above.split_at(above.find("def").unwrap());
    assert_eq!(fired(&[first, rest, below]), Vec::<u64>::new(), "partly in the block, partly carried");
    assert_eq!(fired(&[below]), [1], "nothing above");
    let far = "@abstractmethod\ndef charge(self): ...\n\ndef refund(self):\n    log()\n    raise NotImplementedError\n";
    assert_eq!(fired(&[far]), [6], "more than four lines above");
    assert_eq!(fired(&["@abstractmethod\n", "a\n", "b\n", "c\n", "d\n", "raise NotImplementedError\n"]), [6]);
    assert_eq!(fired(&["@abstractmethod\n", "a\n", "b\n", "c\n", "raise NotImplementedError\n"]), Vec::<u64>::new());
    // A `\r` starts a segment, not a line: what it overwrote is not above the match.
    assert_eq!(fired(&["@abstractmethod\rraise NotImplementedError\n"]), [1]);
    assert_eq!(fired(&["@abstractmethod\r", "raise NotImplementedError\n"]), [1]);
    // Pieces of one line count once: four lines above, each overwritten once, still reach it.
    assert_eq!(
        fired(&["@abstractmethod\n", "a\rA\n", "b\rB\n", "c\rC\n", "raise NotImplementedError\n"]),
        Vec::<u64>::new()
    );
}
