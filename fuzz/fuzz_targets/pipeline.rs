//! The whole pipeline (normalize → match → policy) on arbitrary bytes, cut at fuzzer-chosen
//! points, with a fixed rule set that uses every kind of pattern: literals, case-insensitive
//! literals (ASCII and not), regexes with anchors and word boundaries, regexes that could match
//! across a line separator, `unless`, a prompt-scope rule and a silence rule. Small line limits
//! (48 bytes, 12 overlap) put long-line windows in play.
//!
//! Three runs per input:
//! - **whole**: offline, the body in one push, then `finish`;
//! - **chunked**: offline, one push per chunk, each followed by a `tick` less than the idle flush
//!   after the last output (so no partial line is matched early; an empty push is no output): its `(line, column, rule, matched)` list must
//!   equal the whole run's. This is the key property: chunk boundaries never change a match;
//! - **live**: live mode, one push per chunk at growing times, each followed by a `tick` at an
//!   arbitrary later time (idle flushes and the silence rule fire). Must not panic; every
//!   `(line, rule)` of the whole run is reported here too (an idle flush may report a rule
//!   earlier on a partial line, never lose it), and every intervention is well-formed.
#![no_main]

mod common;

use std::collections::HashSet;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use axiom::pipeline::{Intervention, LineLimits, Pipeline, PipelineOptions};
use axiom::rules::{RuleDocument, RuleSet, Scope};
use libfuzzer_sys::fuzz_target;

const RULES: &str = r#"
rules:
  - id: todo
    match: { literals: ["TODO:", "FIXME"] }
    unless: ['^\s*//.*example']
  - id: stub
    match: { regex: ['\bnot implemented\b'] }
    action: inject
    message: Write the implementation.
  - id: anchored
    match: { regex: ['^DONE$', '^ok\b'] }
  - id: prompt-tail
    match: { regex: ['\(y/n\)\s*$'] }
  - id: shout
    match: { literals: [permission, "rm -"], case_insensitive: true }
  - id: accent
    match: { literals: ["ÉTÉ"], case_insensitive: true }
  - id: unicode
    match: { regex: ['straße', '\p{Greek}{2}'], case_insensitive: true }
  - id: code
    match: { regex: ['error\[E\d{2}\]', 'a{3,}b'] }
    unless: [warning, '\x{FFFD}']
  - id: across
    match: { regex: ['q\s+z', '(?s)Q.Z'] }
  - id: short
    match: { literals: ["ab", "\t"] }
  - id: quiet
    silence: 2s
    action: warn
  - id: prompt-only
    scope: prompt
    match: { literals: ["TODO:"] }
"#;

const LIMITS: LineLimits = LineLimits { max_line: 48, overlap: 12 };

fn rules() -> Arc<RuleSet> {
    static RULES_SET: OnceLock<Arc<RuleSet>> = OnceLock::new();
    Arc::clone(RULES_SET.get_or_init(|| {
        Arc::new(RuleSet::from_documents(vec![RuleDocument::new("fuzz.yaml", RULES)]).expect("the fuzz rules load"))
    }))
}

const IDLE_FLUSH: Duration = Duration::from_millis(200);

fn options(mut options: PipelineOptions) -> PipelineOptions {
    options.limits = LIMITS;
    options.idle_flush = IDLE_FLUSH;
    options
}

/// What the differential check compares.
type Hit = (u64, usize, String, String);

fn hit(intervention: &Intervention) -> Hit {
    (intervention.line.unwrap_or(0), intervention.column, intervention.rule.clone(), intervention.matched.clone())
}

fuzz_target!(|data: &[u8]| {
    let (body, chunks) = common::chunks(data);
    let start = Instant::now();

    let mut whole = Pipeline::starting_at(rules(), Scope::Output, "whole", options(PipelineOptions::offline()), start);
    let mut expected = whole.push(body, start);
    expected.extend(whole.finish(start));
    let expected: Vec<Hit> = expected.iter().map(hit).collect();

    let mut chunked =
        Pipeline::starting_at(rules(), Scope::Output, "chunked", options(PipelineOptions::offline()), start);
    let mut found = Vec::new();
    let mut now = start;
    let mut last_output = start;
    for chunk in &chunks {
        now += Duration::from_millis(u64::from(chunk.extra) * 8);
        found.extend(chunked.push(chunk.bytes, now));
        if !chunk.bytes.is_empty() {
            last_output = now;
        }
        // Less than the idle flush after the last output (an empty push is no output): an idle
        // flush would match a partial line early, which is meant to differ from the whole run.
        let tick = now + Duration::from_millis(u64::from(chunk.extra) % 200);
        if tick < last_output + IDLE_FLUSH {
            found.extend(chunked.tick(tick));
            now = tick;
        }
    }
    found.extend(chunked.finish(now));
    let found: Vec<Hit> = found.iter().map(hit).collect();
    assert_eq!(found, expected, "chunking changed the matches");
    assert_eq!(chunked.stats(), whole.stats(), "chunking changed the stats");

    let mut live = Pipeline::starting_at(rules(), Scope::Output, "live", options(PipelineOptions::live()), start);
    let mut fired = Vec::new();
    let mut now = start;
    for chunk in &chunks {
        now += Duration::from_millis(u64::from(chunk.extra & 0x0f) * 50);
        fired.extend(live.push(chunk.bytes, now));
        now += Duration::from_millis(u64::from(chunk.extra >> 4) * 200);
        fired.extend(live.tick(now));
        if let Some(deadline) = live.next_deadline() {
            assert!(deadline > start, "a deadline before the start");
        }
    }
    fired.extend(live.finish(now));
    let lines = whole.stats().lines;
    for intervention in &fired {
        match intervention.line {
            None => {
                assert_eq!(intervention.rule, "quiet", "only the silence rule fires without a line");
                assert!(intervention.matched.is_empty() && intervention.column == 0);
            }
            Some(line) => {
                assert!(line >= 1 && line <= lines.max(1) + 1, "line {line} of {lines}");
                assert!(intervention.column >= 1);
                assert!(intervention.text.contains(&intervention.matched) || intervention.matched.contains('\u{fffd}'));
            }
        }
    }
    let live_hits: HashSet<(u64, String)> = fired.iter().filter_map(|i| Some((i.line?, i.rule.clone()))).collect();
    for (line, _, rule, _) in &expected {
        assert!(live_hits.contains(&(*line, rule.clone())), "live run lost {rule} on line {line}");
    }
});
