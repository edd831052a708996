//! Regression tests for what the fuzz targets in `fuzz/` found (see `fuzz/README.md`). Findings in
//! a single module are tested next to that module; these go through the public API.

use std::sync::Arc;
use std::time::Instant;

use axiom::pipeline::{Pipeline, PipelineOptions};
use axiom::rules::{RuleDocument, RuleSet, Scope};

fn load(yaml: &str) -> Result<RuleSet, String> {
    RuleSet::from_documents(vec![RuleDocument::new("r.yaml", yaml)]).map_err(|err| err.to_string())
}

/// `(line, column, rule)` for each intervention of an offline run over `chunks`.
fn run(yaml: &str, chunks: &[&[u8]]) -> Vec<(u64, usize, String)> {
    let rules = Arc::new(load(yaml).unwrap());
    let now = Instant::now();
    let mut pipeline = Pipeline::starting_at(rules, Scope::Output, "t", PipelineOptions::offline(), now);
    let mut fired = Vec::new();
    for chunk in chunks {
        fired.extend(pipeline.push(chunk, now));
    }
    fired.extend(pipeline.finish(now));
    fired.into_iter().map(|i| (i.line.unwrap(), i.column, i.rule)).collect()
}

/// Found by review while writing the `pipeline` target's differential check: the scan runs one
/// regex over a block of lines, so `\A` matched only the first line of each block (whether a
/// rule fired depended on how the output was chunked: `x\nabc\n` in one write never fired
/// `\Aabc`, in two writes it did) and `\z` never matched at all. Such patterns are now refused
/// with their location; `^` and `$` are the line anchors.
#[test]
fn whole_text_anchors_are_refused() {
    for pattern in [r"\Aabc", r"xyz\z", r"(?-m)^abc", r"(?-m:abc$)", r"(a|\A)b"] {
        let yaml = format!("rules:\n  - id: a\n    match:\n      regex: ['{pattern}']\n");
        let err = load(&yaml).expect_err(pattern);
        assert!(err.starts_with("r.yaml:4:") && err.contains("use `^` and `$`"), "{pattern}: {err}");
    }
    let line_anchors = "rules:\n  - id: a\n    match: { regex: ['^abc$', '^x$', '\\bq\\B'] }\n";
    let whole = run(line_anchors, &[b"x\nabc\nxyz\n"]);
    assert_eq!(whole, [(1, 1, "a".to_string()), (2, 1, "a".to_string())]);
    assert_eq!(run(line_anchors, &[b"x\n", b"abc\nxyz\n"]), whole);
}
