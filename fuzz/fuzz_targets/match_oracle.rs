//! One fuzzer-chosen rule (a regex or a literal, case-sensitive or not) against arbitrary output,
//! checked against a plain oracle: what the pipeline reports must be exactly what searching
//! each normalized segment on its own finds.
//!
//! The pipeline scans whole blocks of lines with one multi-pattern automaton and verifies only
//! the lines it flags; the oracle normalizes the same bytes (through the public `Normalizer`) and
//! runs the rule's own matcher (`regex::bytes::Regex`, or a substring search) over every segment,
//! keeping the first hit per line. Any difference is a line the scan missed or misplaced, such as
//! a pattern whose meaning depends on the text around the line (`\A` did, see `fuzz/README.md`),
//! or a scan compiled with other settings than `regex::bytes` (it skipped an empty match inside a
//! UTF-8 character: `(?-u:\B)` on `a\u{fffd}a`, seed `byte_not_boundary.bin`).
//! The pipeline is run once with the body whole and once in chunks; both must equal the oracle.
//!
//! Input: `[flags] [pattern] 0x00 [chunk layout, see common/mod.rs]`; flags bit 0: literal,
//! bit 1: case-insensitive. Patterns that do not load are skipped.
#![no_main]

mod common;

use std::sync::Arc;
use std::time::Instant;

use axiom::pipeline::{LineLimits, Normalizer, Pipeline, PipelineOptions};
use axiom::rules::{RuleDocument, RuleSet, Scope};
use libfuzzer_sys::fuzz_target;

const LIMITS: LineLimits = LineLimits { max_line: 48, overlap: 12 };

/// `(line, column, matched)` per report.
type Hit = (u64, usize, Vec<u8>);

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else { return };
    let Some(end) = rest.iter().position(|&b| b == 0) else { return };
    let Ok(pattern) = std::str::from_utf8(&rest[..end]) else { return };
    if pattern.len() > 64 || pattern.contains(['\n', '\r']) {
        return;
    }
    let (literal, case_insensitive) = (flags & 1 == 1, flags & 2 == 2);
    let key = if literal { "literals" } else { "regex" };
    let yaml = format!(
        "rules:\n  - id: r\n    match:\n      {key}: ['{}']\n      case_insensitive: {case_insensitive}\n",
        pattern.replace('\'', "''")
    );
    let Ok(rules) = RuleSet::from_documents(vec![RuleDocument::new("o.yaml", yaml)]) else { return };
    // YAML may have changed the pattern (a single-quoted scalar folds U+2028 and friends into
    // spaces): the oracle uses the pattern as loaded.
    let rule = &rules.rules()[0];
    let pattern = if literal { rule.literals[0].clone() } else { rule.regexes[0].clone() };
    let pattern = pattern.as_str();
    let finder = Finder::new(pattern, literal, case_insensitive);
    let rules = Arc::new(rules);

    let (body, chunks) = common::chunks(&rest[end + 1..]);
    let expected = oracle(body, &finder);
    let whole = run(&rules, &[body]);
    assert_eq!(
        whole, expected,
        "pipeline (whole) vs oracle for {pattern:?} (literal: {literal}, ci: {case_insensitive})"
    );
    let pieces: Vec<&[u8]> = chunks.iter().map(|c| c.bytes).collect();
    assert_eq!(run(&rules, &pieces), expected, "pipeline (chunked) vs oracle for {pattern:?}");
});

fn run(rules: &Arc<RuleSet>, chunks: &[&[u8]]) -> Vec<Hit> {
    let now = Instant::now();
    let mut options = PipelineOptions::offline();
    options.limits = LIMITS;
    let mut pipeline = Pipeline::starting_at(Arc::clone(rules), Scope::Output, "o", options, now);
    let mut fired = Vec::new();
    for chunk in chunks {
        fired.extend(pipeline.push(chunk, now));
    }
    fired.extend(pipeline.finish(now));
    fired
        .iter()
        .map(|i| {
            // `matched` is lossy UTF-8; compare it the same way on both sides.
            (i.line.expect("a text rule has a line"), i.column, i.matched.as_bytes().to_vec())
        })
        .collect()
}

/// The first hit of each line, searching every segment on its own.
fn oracle(body: &[u8], finder: &Finder) -> Vec<Hit> {
    let mut normalizer = Normalizer::new(LIMITS);
    normalizer.feed(body);
    normalizer.finish();
    let block = normalizer.block();
    let mut hits: Vec<Hit> = Vec::new();
    for segment in &block.segments {
        if hits.last().is_some_and(|hit| hit.0 == segment.line) {
            continue;
        }
        let text = block.segment_text(segment);
        if let Some((start, end)) = finder.find(text) {
            let matched = String::from_utf8_lossy(&text[start..end]).into_owned().into_bytes();
            hits.push((segment.line, segment.column_base + start + 1, matched));
        }
    }
    hits
}

/// The rule's matcher, built independently of the pipeline's automata.
enum Finder {
    Regex(regex::bytes::Regex),
    Exact(Vec<u8>),
    AsciiFolded(Vec<u8>),
}

impl Finder {
    fn new(pattern: &str, literal: bool, case_insensitive: bool) -> Finder {
        match (literal, case_insensitive) {
            (false, false) => Finder::Regex(regex::bytes::Regex::new(pattern).expect("it loaded")),
            (false, true) => Finder::Regex(regex::bytes::Regex::new(&format!("(?i){pattern}")).expect("it loaded")),
            (true, false) => Finder::Exact(pattern.as_bytes().to_vec()),
            (true, true) if pattern.is_ascii() => Finder::AsciiFolded(pattern.to_ascii_lowercase().into_bytes()),
            (true, true) => {
                Finder::Regex(regex::bytes::Regex::new(&format!("(?i){}", regex::escape(pattern))).unwrap())
            }
        }
    }

    /// The leftmost match.
    fn find(&self, text: &[u8]) -> Option<(usize, usize)> {
        match self {
            Finder::Regex(regex) => regex.find(text).map(|m| (m.start(), m.end())),
            Finder::Exact(needle) => {
                text.windows(needle.len()).position(|w| w == &needle[..]).map(|at| (at, at + needle.len()))
            }
            Finder::AsciiFolded(needle) => text
                .windows(needle.len())
                .position(|w| w.eq_ignore_ascii_case(needle))
                .map(|at| (at, at + needle.len())),
        }
    }
}
