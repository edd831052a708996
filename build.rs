//! Embeds the default rule pack (`rules/*.yaml`) into the binary, so `axiom` works with no files
//! at all: each file as written, and the same rules as JSON, which `axiom` reads at start-up in a
//! tenth of the time YAML takes (the YAML stays for `axiom rules init` and rule locations).
//!
//! It also finds each of the pack's regexes' required prefixes, with the code `axiom` itself
//! runs (`src/rules/prefixes.rs`): parsing the regexes for them took half of `axiom check`'s
//! start. A regex is then parsed only when its automaton is first built, and one whose prefixes
//! never turn up in the text never is.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

#[allow(dead_code)]
#[path = "src/rules/prefixes.rs"]
mod prefixes;

#[allow(dead_code)]
#[path = "src/rules/tool_class.rs"]
mod tool_class;

#[allow(dead_code)]
#[path = "src/rules/prefilter.rs"]
mod prefilter;

fn main() {
    println!("cargo:rerun-if-changed=rules");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    // A binary without its pack would watch nothing and say nothing about it: refuse to build.
    let mut files: Vec<_> = match std::fs::read_dir(&dir) {
        Ok(entries) => entries.filter_map(Result::ok).map(|entry| entry.path()).collect(),
        Err(err) => panic!("cannot read the rule pack in {}: {err}", dir.display()),
    };
    files.retain(|path| matches!(path.extension().and_then(|e| e.to_str()), Some("yaml" | "yml")));
    files.sort();
    assert!(!files.is_empty(), "no rule files (*.yaml) in {}: the built-in pack would be empty", dir.display());
    let mut code = String::from("&[\n");
    let mut json = String::from("&[\n");
    let mut regexes = BTreeMap::new();
    for path in &files {
        println!("cargo:rerun-if-changed={}", path.display());
        let name = path.file_name().unwrap().to_string_lossy();
        writeln!(code, "    ({name:?}, include_str!({:?})),", path.display().to_string()).unwrap();
        let text = std::fs::read_to_string(path).unwrap_or_else(|err| panic!("cannot read {}: {err}", path.display()));
        let value: serde_yaml::Value =
            serde_yaml::from_str(&text).unwrap_or_else(|err| panic!("{} is not YAML: {err}", path.display()));
        writeln!(json, "    {:?},", serde_json::to_string(&value).unwrap()).unwrap();
        for regex in flagged_regexes(&value) {
            let analysis =
                analyze(&regex).unwrap_or_else(|err| panic!("{}: invalid regex {regex:?}: {err}", path.display()));
            regexes.insert(regex, analysis);
        }
    }
    let mut table = String::from("&[\n");
    for (regex, analysis) in &regexes {
        writeln!(table, "    PackRegex {{ regex: {regex:?}, {analysis} }},").unwrap();
    }
    table.push(']');
    code.push(']');
    json.push(']');
    let out = Path::new(&std::env::var("OUT_DIR").unwrap()).to_path_buf();
    std::fs::write(out.join("default_pack.rs"), code).unwrap();
    std::fs::write(out.join("default_pack_json.rs"), json).unwrap();
    std::fs::write(out.join("default_pack_regexes.rs"), table).unwrap();
}

/// A rule file's regexes as `axiom` attributes them (`line_regex`, with the flag and the tool
/// class `CompiledScope::compile` gives them, which a test holds this to), for a rule limited to
/// a class of tools with no pattern of its own, the empty one that flags every call, and for a
/// command rule with none, the one that flags the lines naming its programs.
fn flagged_regexes(file: &serde_yaml::Value) -> Vec<String> {
    let rules = file.get("rules").and_then(|rules| rules.as_sequence()).map_or(&[][..], |rules| &rules[..]);
    let mut found = Vec::new();
    for rule in rules {
        let tool = rule.get("tool").and_then(|tool| tool.as_str()).and_then(tool_class::ToolClass::named);
        let matches = rule.get("match");
        let folded = matches.and_then(|m| m.get("case_insensitive")).and_then(|flag| flag.as_bool()).unwrap_or(false);
        let regexes = match matches.and_then(|m| m.get("regex")) {
            Some(serde_yaml::Value::String(one)) => vec![one.as_str()],
            Some(serde_yaml::Value::Sequence(many)) => many.iter().filter_map(|regex| regex.as_str()).collect(),
            _ => Vec::new(),
        };
        let literals = matches.and_then(|m| m.get("literals")).is_some();
        if tool.is_some() && regexes.is_empty() && !literals {
            found.push(tool_class::line_regex("", false, tool));
        }
        let programs = rule.get("command").and_then(|command| command.get("program"));
        if let (None, false, None, Some(programs)) = (tool, literals, regexes.first(), programs) {
            let programs: Vec<String> = match programs {
                serde_yaml::Value::String(one) => vec![one.clone()],
                serde_yaml::Value::Sequence(many) => {
                    many.iter().filter_map(|p| p.as_str().map(str::to_owned)).collect()
                }
                _ => Vec::new(),
            };
            for regex in prefilter::command_prefilters(&programs) {
                found.push(tool_class::line_regex(&regex, false, None));
            }
        }
        found.extend(regexes.into_iter().map(|regex| tool_class::line_regex(regex, folded, tool)));
    }
    found
}

/// The fields of a `PackRegex` after its regex (see `src/rules/sources.rs`).
fn analyze(regex: &str) -> Result<String, String> {
    // The settings of `parse_line_regex` in `src/rules/compile.rs`.
    let hir = regex_syntax::ParserBuilder::new()
        .multi_line(true)
        .utf8(false)
        .build()
        .parse(regex)
        .map_err(|err| err.to_string())?;
    let unicode_word_boundary = hir.properties().look_set().contains_word_unicode();
    let (prefixes, ascii_folded) = match prefixes::required_prefixes(&hir) {
        Some(found) => {
            let literals: Vec<String> = found.literals.iter().map(|literal| format!("&{literal:?}")).collect();
            (format!("Some(&[{}])", literals.join(", ")), found.ascii_folded)
        }
        None => ("None".to_owned(), false),
    };
    Ok(format!("prefixes: {prefixes}, ascii_folded: {ascii_folded}, unicode_word_boundary: {unicode_word_boundary}"))
}
