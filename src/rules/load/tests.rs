use super::*;
use crate::rules::{Action, RuleSet, Scope, Severity};

fn load(yaml: &str) -> Result<RuleSet, RuleErrors> {
    RuleSet::from_documents(vec![RuleDocument::new("r.yaml", yaml)])
}

fn errors(yaml: &str) -> Vec<String> {
    load(yaml).unwrap_err().0.iter().map(ToString::to_string).collect()
}

#[test]
fn every_key_is_read() {
    let yaml = r#"
rules:
  - id: full
    description: Everything set.
    severity: critical
    match:
      literals: ["TODO:", "FIXME:"]
      regex: ['\bnot implemented\b']
      case_insensitive: true
    unless: ['^\s*//.*example']
    scope: prompt
    message: "Do it."
    cooldown: 30s
    threshold: { count: 3, within: 2m }
    escalate:
      within: 10m
      steps: [inject, interrupt, kill]
    enabled: false
    tags: [planning, demo]
    tests:
      - input: "TODO: x"
        expect: match
      - input: "nothing"
        expect: no-match
  - id: quiet
    silence: 1h 30m
    action: warn
"#;
    let rules = load(yaml).unwrap();
    let full = &rules.rules()[0];
    assert_eq!(full.description, "Everything set.");
    assert_eq!(full.severity, Severity::Critical);
    assert_eq!(full.literals, ["TODO:", "FIXME:"]);
    assert_eq!(full.regexes, [r"\bnot implemented\b"]);
    assert!(full.case_insensitive);
    assert_eq!(full.unless, [r"^\s*//.*example"]);
    assert_eq!(full.scope, Scope::Prompt);
    assert_eq!(full.action, Action::Inject, "the first escalation step is the action");
    assert_eq!(full.message.as_deref(), Some("Do it."));
    assert_eq!(full.cooldown, Some(Duration::from_secs(30)));
    assert_eq!(full.threshold, Some(ThresholdPolicy { count: 3, within: Duration::from_secs(120) }));
    assert_eq!(full.escalate.as_ref().unwrap().steps, [Action::Inject, Action::Interrupt, Action::Kill]);
    assert_eq!(full.escalate.as_ref().unwrap().within, Duration::from_secs(600));
    assert!(!full.enabled);
    assert_eq!(full.tags, ["planning", "demo"]);
    assert_eq!(full.tests.len(), 2);
    assert_eq!(full.location, Location { file: "r.yaml".into(), line: 3, column: 5 });
    assert_eq!(rules.rules()[1].silence, Some(Duration::from_secs(5400)));
}

use std::time::Duration;

#[test]
fn defaults_are_filled_in() {
    let rules = load("rules:\n  - id: min\n    match:\n      regex: x\n").unwrap();
    let rule = &rules.rules()[0];
    assert_eq!(rule.severity, Severity::Warning);
    assert_eq!(rule.action, Action::Warn);
    assert_eq!(rule.scope, Scope::Output);
    assert!(rule.enabled);
    assert!(!rule.case_insensitive);
    assert_eq!(rule.regexes, ["x"], "a single pattern may be written without a list");
    assert_eq!((rule.cooldown, rule.threshold, rule.message.as_deref()), (None, None, None));
}

#[test]
fn unknown_keys_are_errors_with_their_position() {
    let found = errors("rules:\n  - id: a\n    match: { literals: [x] }\n    cooldwon: 30s\n");
    assert_eq!(found.len(), 1);
    assert!(found[0].starts_with("r.yaml:4:5: "), "{}", found[0]);
    assert!(found[0].contains("unknown field `cooldwon`"), "{}", found[0]);
    assert!(found[0].ends_with("; did you mean `cooldown`?"), "{}", found[0]);

    let nested = errors("rules:\n  - id: a\n    match:\n      literal: [x]\n");
    assert!(nested[0].starts_with("r.yaml:4:7: ") && nested[0].contains("unknown field `literal`"), "{}", nested[0]);
    assert!(nested[0].ends_with("did you mean `literals`?"), "{}", nested[0]);

    let top = errors("rule:\n  - id: a\n");
    assert!(top[0].starts_with("r.yaml:1:1: ") && top[0].contains("unknown field `rule`"), "{}", top[0]);

    // A word of a key's own: the one meant, where one is close; none where nothing is.
    let action = errors("rules:\n  - id: a\n    match: { literals: [x] }\n    action: injcet\n    message: m\n");
    assert!(action[0].ends_with("did you mean `inject`?"), "{}", action[0]);
    let loud = errors("rules:\n  - id: a\n    match: { literals: [x] }\n    severity: loud\n");
    assert!(!loud[0].contains("did you mean"), "{}", loud[0]);
}

#[test]
fn a_wrong_shape_names_what_to_write_not_a_rust_type() {
    let list = errors("- id: a\n  match: { literals: [x] }\n");
    assert!(list[0].starts_with("r.yaml:1:1: ") && list[0].contains("`rules:` key holds the list"), "{}", list[0]);
    let scalar = errors("rules:\n  - id: a\n    match: 3\n");
    assert!(scalar[0].contains("expected a mapping such as `{ literals: [...] }`"), "{}", scalar[0]);
    for error in list.iter().chain(&scalar) {
        assert!(!error.contains("struct"), "{error}");
    }
}

#[test]
fn bad_values_are_located() {
    let severity = errors("rules:\n  - id: a\n    match: { literals: [x] }\n    severity: loud\n");
    assert!(
        severity[0].starts_with("r.yaml:4:15: ") && severity[0].contains("unknown variant `loud`"),
        "{}",
        severity[0]
    );
    let duration = errors("rules:\n  - id: a\n    match: { literals: [x] }\n    cooldown: 30\n");
    assert!(duration[0].starts_with("r.yaml:4:15: ") && duration[0].contains("has no unit"), "{}", duration[0]);
}

#[test]
fn semantic_problems_name_file_line_column_and_rule() {
    let yaml = "rules:\n  - id: Bad_Id\n    match: { literals: [x] }\n  - id: needs-message\n    match: { literals: [y] }\n    action: inject\n";
    let found = errors(yaml);
    assert_eq!(
        found,
        [
            "r.yaml:2:5: rule `Bad_Id`: invalid id \"Bad_Id\": use lowercase letters, digits and '-'",
            "r.yaml:4:5: rule `needs-message`: action `inject` sends a message to the agent, so `message` is required",
        ]
    );
}

#[test]
fn bad_regex_points_at_the_pattern() {
    let found = errors("rules:\n  - id: broken\n    match:\n      regex: ['ok', 'a(b']\n");
    assert_eq!(found, ["r.yaml:4:22: rule `broken`: invalid regex \"a(b\": unclosed group"]);
    let unless = errors("rules:\n  - id: broken\n    match: { literals: [x] }\n    unless: '[z'\n");
    assert!(unless[0].starts_with("r.yaml:4:14: rule `broken`: invalid regex \"[z\""), "{}", unless[0]);
    let above = errors("rules:\n  - id: broken\n    match: { literals: [x] }\n    unless_above: ['ok', '(a']\n");
    assert!(above[0].starts_with("r.yaml:4:27: rule `broken`: invalid regex \"(a\""), "{}", above[0]);
}

#[test]
fn duplicate_ids_across_files_name_the_first() {
    let first = RuleDocument::new("a.yaml", "rules:\n  - id: same\n    match: { literals: [x] }\n");
    let second = RuleDocument::new("b.yaml", "rules:\n\n  - id: same\n    match: { literals: [y] }\n");
    let found: Vec<String> =
        RuleSet::from_documents(vec![first, second]).unwrap_err().0.iter().map(ToString::to_string).collect();
    assert_eq!(found, ["b.yaml:3:5: rule `same`: duplicate rule id (first defined at a.yaml:2:5)"]);
}

#[test]
fn shape_problems() {
    let cases = [
        ("rules:\n  - id: a\n", "missing `match`"),
        ("rules:\n  - id: a\n    match: {}\n", "at least one entry"),
        ("rules:\n  - id: a\n    match: { literals: [''] }\n", "empty literal"),
        ("rules:\n  - id: a\n    match: { regex: [''] }\n", "matches every line"),
        ("rules:\n  - id: a\n    match: { regex: ['x|'] }\n", "matches every line"),
        ("rules:\n  - id: a\n    match: { regex: ['(?-u).*'] }\n", "matches every line"),
        ("rules:\n  - id: a\n    match: { regex: ['^', 'ok'] }\n", "matches every line"),
        ("rules:\n  - id: a\n    match: { literals: [\"a\\nb\"] }\n", "line break"),
        ("rules:\n  - id: a\n    silence: 1s\n    match: { literals: [x] }\n", "not both"),
        ("rules:\n  - id: a\n    silence: 1s\n    unless: [x]\n", "`unless` does not apply"),
        ("rules:\n  - id: a\n    silence: 1s\n    unless_above: [x]\n", "`unless_above` does not apply"),
        ("rules:\n  - id: a\n    silence: 1s\n    scope: prompt\n", "cannot have `scope: prompt`"),
        ("rules:\n  - id: a\n    match: { literals: [x] }\n    action: deny\n    message: m\n", "needs `scope: tool`"),
        ("rules:\n  - id: a\n    match: { literals: [x] }\n    scope: tool\n    action: deny\n", "`message` is required"),
        ("rules:\n  - id: a\n    match: { literals: [x] }\n    scope: tool\n    action: deny\n    message: m\n    cooldown: 1s\n", "so `cooldown` does not apply"),
        ("rules:\n  - id: a\n    match: { literals: [x] }\n    action: ask\n    message: m\n", "`ask` decides a tool call, so it needs `scope: tool`"),
        ("rules:\n  - id: a\n    match: { literals: [x] }\n    scope: tool\n    action: ask\n", "action `ask` sends a message"),
        ("rules:\n  - id: a\n    match: { literals: [x] }\n    scope: tool\n    action: ask\n    message: m\n    threshold: { count: 2, within: 1m }\n", "an `ask` rule decides every matching tool call, so `threshold`"),
        ("rules:\n  - id: a\n    match: { literals: [x] }\n    threshold: { count: 0, within: 1s }\n", "at least 1"),
        ("rules:\n  - id: a\n    match: { literals: [x] }\n    escalate: { within: 1m, steps: [] }\n", "at least one action"),
        (
            "rules:\n  - id: a\n    match: { literals: [x] }\n    action: kill\n    message: m\n    escalate: { within: 1m, steps: [inject] }\n",
            "disagrees",
        ),
        ("rules:\n  - id: a\n    match: { literals: [x] }\n    escalate: { within: 1m, steps: [warn, interrupt] }\n", "`interrupt` sends a message"),
    ];
    for (yaml, expected) in cases {
        let found = errors(yaml);
        assert!(found.iter().any(|e| e.contains(expected)), "{yaml:?}: expected {expected:?} in {found:?}");
    }
}

#[test]
fn all_problems_are_reported_at_once() {
    let yaml = "rules:\n  - id: a\n  - id: b\n    match: { regex: ['('] }\n  - id: c\n    match: { literals: [x] }\n    action: interrupt\n";
    assert_eq!(errors(yaml).len(), 3);
}

#[test]
fn every_wrong_key_of_a_rule_is_told_in_the_order_written() {
    let yaml = "rules:\n  - id: a\n    match: { literals: [x] }\n    severity: loud\n    action: blok\n    cooldown: 30\n  - id: b\n    match: { regex: ['('] }\n  - id: c\n    mtch: { literals: [y] }\n    threshold: { count: two, within: 1m }\n";
    let found = errors(yaml);
    let places: Vec<&str> = found.iter().map(|error| error.split(" rule").next().unwrap()).collect();
    assert_eq!(
        places,
        ["r.yaml:4:15:", "r.yaml:5:13:", "r.yaml:6:15:", "r.yaml:8:23:", "r.yaml:10:5:", "r.yaml:11:16:"]
    );
    assert!(
        found[0].ends_with(
            "rule `a`: `severity`: unknown variant `loud`, expected one of `info`, `warning`, `error`, `critical`"
        ),
        "{}",
        found[0]
    );
    assert!(found[1].contains("`action`: unknown variant `blok`"), "{}", found[1]);
    assert!(found[2].contains("`cooldown`: duration 30 has no unit"), "{}", found[2]);
    assert!(found[4].contains("rule `c`: unknown field `mtch`"), "{}", found[4]);
    assert!(found[5].contains("rule `c`: `threshold`: invalid type: string \"two\""), "{}", found[5]);
    assert!(found[5].ends_with("expected a whole number"), "serde's type name is not shown: {}", found[5]);
}

#[test]
fn disabled_rules_are_listed_but_not_compiled() {
    let rules = load("rules:\n  - id: off\n    enabled: false\n    match: { literals: [x] }\n").unwrap();
    assert_eq!(rules.rules().len(), 1);
    assert!(rules.scope(Scope::Output).rules.is_empty());
}

/// Found by `fuzz/` (target `rules_load`): the YAML parser counts a lone `\r` (and U+0085,
/// U+2028, U+2029) as a line break, so its errors pointed past the end of the file (`"\r\r"`
/// gave line 3 of a one-line file) and disagreed with the lines of every other error.
#[test]
fn parser_errors_count_lines_like_the_other_errors() {
    let cases = [
        ("\r\r", (1, 3)),
        ("rules:\r  - id: a\r    bogus: 1\n", (1, 22)),
        ("rules:\n  - id: é\u{2028}\n    match: { literals: [x] }\n    bogus: 1\n", (4, 5)),
    ];
    for (yaml, expected) in cases {
        let found = load(yaml).unwrap_err().0;
        let first = &found[0];
        assert_eq!((first.line, first.column), expected, "{yaml:?}: {found:?}");
        assert!(first.line <= yaml.lines().count() + 1, "{yaml:?}: {found:?}");
    }
}

#[test]
fn command_and_evidence_keys_are_read_and_checked() {
    let yaml = "rules:\n  - id: rm-home\n    command:\n      program: rm\n      flags: ['r|R']\n      args: ['^~$']\n  - id: claim\n    match: { literals: [done] }\n    evidence: { tests: [missing, failed] }\n";
    let set = load(yaml).unwrap();
    let rm = &set.rules()[0];
    assert_eq!(
        rm.regexes,
        [
            concat!(
                r#"(?:(?-u:\b)|\\n)(?:r(?:['"\\]|\\n)*m|f(?:['"\\]|\\n)*i(?:['"\\]|\\n)*n(?:['"\\]|\\n)*d"#,
                r#"|r(?:['"\\]|\\n)*i(?:['"\\]|\\n)*m(?:['"\\]|\\n)*r(?:['"\\]|\\n)*a(?:['"\\]|\\n)*f)(?-u:\b)"#
            ),
            concat!(
                r#"(?:(?-u:\b)|\\n)(?:py(?:thon[23]?|py3?)|node(?:js)?|bun|deno|perl|ruby|php|[gmn]?awk)(?-u:\b)"#,
                r#"|\$['"]|\$\{?[A-Za-z0-9_@*]|\{[^}]*(?:,|\.\.)|\\[0-7xuU]|\$\(|`"#
            )
        ],
        "a command rule without `match` is flagged by its program (and `rm`'s also by `find`, whose \
         -delete removes, and by `rimraf`), also after a tool call's `\\n` and quoted (`r''m`), and, in a \
         regex every command rule shares, by any interpreter (whose code may amount to it), an ANSI-C string, \
         a variable or an escape printf decodes"
    );
    assert_eq!(rm.command.as_ref().unwrap().flags, [vec!["r".to_owned(), "R".to_owned()]]);
    assert_eq!(set.rules()[1].evidence.as_ref().unwrap().tests.len(), 2);

    let bad_args = errors("rules:\n  - id: rm\n    command:\n      program: rm\n      args: ['a(']\n");
    assert!(bad_args[0].starts_with("r.yaml:5:7: rule `rm`: invalid regex \"a(\""), "{}", bad_args[0]);
    let bad_asked =
        errors("rules:\n  - id: c\n    match: { literals: [x] }\n    evidence:\n      unless_asked: '[z'\n");
    assert!(bad_asked[0].starts_with("r.yaml:5:7: rule `c`: invalid regex \"[z\""), "{}", bad_asked[0]);
    let bad_state = errors("rules:\n  - id: c\n    match: { literals: [x] }\n    evidence: { tests: [maybe] }\n");
    assert!(bad_state[0].contains("unknown variant `maybe`"), "{}", bad_state[0]);
    let silent = errors("rules:\n  - id: s\n    silence: 1m\n    evidence: { unverified: true }\n");
    assert!(silent[0].contains("`command` and `evidence` do not apply"), "{}", silent[0]);
}

#[test]
fn the_built_in_pack_passes_every_check_of_a_users_file() {
    // Loaded as the built-in pack, its patterns are not parsed until a scope is used (see
    // `CompiledScope::compile`): this is where they get the checks a user's file gets.
    let documents = crate::rules::DEFAULT_PACK.iter().map(|(name, text)| RuleDocument::new(*name, *text)).collect();
    let as_a_file = RuleSet::from_documents(documents).unwrap();
    let built_in = RuleSet::load(RuleOrigin::Embedded).unwrap();
    // The built-in pack is read from the JSON made of it at build time (not from the YAML, which
    // a JSON that did not parse would fall back to): the same rules, with the same locations.
    for json in crate::rules::sources::DEFAULT_PACK_JSON {
        serde_json::from_str::<RuleFile>(json).unwrap();
    }
    assert_eq!(as_a_file.rules().len(), built_in.rules().len());
    for (from_yaml, from_json) in as_a_file.rules().iter().zip(built_in.rules()) {
        let mut from_yaml = from_yaml.clone();
        from_yaml.location.file = format!("{}{}", crate::rules::BUILT_IN, from_yaml.location.file);
        assert_eq!(format!("{from_yaml:?}"), format!("{from_json:?}"));
    }
    // And every scope of the built-in pack builds what it will need.
    for scope in [Scope::Output, Scope::Prompt, Scope::Tool] {
        built_in.scope(scope).build_all();
    }
}

#[test]
fn loading_the_built_in_pack_groups_nothing_and_prepare_groups_every_scope() {
    let pack = RuleSet::load(RuleOrigin::Embedded).unwrap();
    let scopes = [Scope::Output, Scope::Prompt, Scope::Tool];
    assert!(scopes.iter().all(|&scope| !pack.scope(scope).is_grouped()), "grouped at load");
    pack.prepare();
    assert!(scopes.iter().all(|&scope| pack.scope(scope).is_grouped()), "left for the first line");
}

#[test]
fn what_the_build_found_in_each_pack_regex_is_what_parsing_it_finds() {
    // The pack's regexes are not parsed at start-up: their prefixes come from build.rs, which
    // must flag them as `CompiledScope::compile` does and find what `required_prefixes` finds.
    use crate::rules::compile::parse_line_regex;
    use crate::rules::prefixes::required_prefixes;
    use crate::rules::sources::{PackRegex, DEFAULT_PACK_REGEXES};
    let pack = RuleSet::load(RuleOrigin::Embedded).unwrap();
    let mut flagged = std::collections::BTreeSet::new();
    for rule in pack.rules() {
        // A command rule's prefilter too: the build derives it as loading does.
        for regex in &rule.regexes {
            let regex = crate::rules::line_regex(regex, rule.case_insensitive, rule.tool);
            let known = PackRegex::find(&regex).unwrap_or_else(|| panic!("{}: {regex:?} is not in the table", rule.id));
            let hir = parse_line_regex(&regex).unwrap();
            assert_eq!(known.prefixes(), required_prefixes(&hir), "{regex}");
            assert_eq!(known.unicode_word_boundary, hir.properties().look_set().contains_word_unicode(), "{regex}");
            flagged.insert(regex);
        }
    }
    assert_eq!(flagged.len(), DEFAULT_PACK_REGEXES.len(), "the table holds the pack's regexes and no others");
    assert!(DEFAULT_PACK_REGEXES.iter().filter(|entry| entry.prefixes.is_some()).count() > 50);
}

#[test]
fn any_program_needs_a_match_to_flag_its_lines() {
    let without = "rules:\n  - id: any\n    scope: tool\n    command:\n      program: '*'\n      args: ['^x$']\n";
    let err = load(without).unwrap_err().to_string();
    assert!(err.contains("`command.program: '*'` needs a `match`"), "{err}");
    let with = "rules:\n  - id: any\n    scope: tool\n    match: { regex: ['^Bash: '] }\n    command:\n      program: '*'\n      not_program: [cat]\n      args: ['^x$']\n";
    assert!(load(with).is_ok());
    let stray = "rules:\n  - id: x\n    scope: tool\n    command:\n      program: rm\n      not_program: [cat]\n";
    let err = load(stray).unwrap_err().to_string();
    assert!(err.contains("`command.not_program` is for `program: '*'`"), "{err}");
}

#[test]
fn a_tool_class_needs_the_tool_scope_regexes_and_a_known_name() {
    let err = load("rules:\n  - id: x\n    tool: shell\n    match: { regex: ['rm'] }\n").unwrap_err().to_string();
    assert!(err.contains("`tool` limits a rule to tool calls, so it needs `scope: tool`"), "{err}");
    let err = load("rules:\n  - id: x\n    scope: tool\n    tool: shell\n    match: { literals: ['rm'] }\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("write each literal as a regex"), "{err}");
    let err = load("rules:\n  - id: x\n    scope: tool\n    tool: file\n").unwrap_err().to_string();
    assert!(err.contains("unknown tool class \"file\": expected one of shell"), "{err}");
    // Put in a group after the tool's name, `a)|(b` would parse: it is checked as written.
    let err = load("rules:\n  - id: x\n    scope: tool\n    tool: shell\n    match: { regex: ['a)|(b'] }\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("invalid regex") || err.contains("unopened group"), "{err}");
    let err = load("rules:\n  - id: x\n    scope: tool\n    tool: shell\n    match: { regex: ['(^|;)rm'] }\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("`^` (the line's start, before the tool's name) never matches"), "{err}");
    // A `(?x)` comment would swallow the end of the group the pattern is put in: refused at load,
    // in `unless` as in `match`, rather than left to fail when the rule first fires.
    for key in [
        "match: { regex: ['(?x) rm  # a comment'] }",
        "match: { regex: ['rm'] }\n    unless: ['(?x) echo  # shown only']",
    ] {
        let err =
            load(&format!("rules:\n  - id: x\n    scope: tool\n    tool: shell\n    {key}\n")).unwrap_err().to_string();
        assert!(err.contains("does not end inside it"), "{err}");
    }
    let every_call = load("rules:\n  - id: x\n    scope: tool\n    tool: shell\n    action: warn\n").unwrap();
    assert_eq!(every_call.rules()[0].regexes, [""]);
}

#[test]
fn a_regex_that_can_match_an_empty_line_but_not_every_line_loads() {
    for regex in [r"^\s*$", r"^$", r"(?m)^\s*\d*$", r"x?y", r"(?-u:\B)"] {
        let yaml = format!("rules:\n  - id: a\n    match: {{ regex: ['{regex}'] }}\n");
        assert!(load(&yaml).is_ok(), "{regex}");
    }
}
