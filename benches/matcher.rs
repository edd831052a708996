//! The pipeline's stages one at a time: normalize, the match stage over pre-normalized text, and
//! the two searchers the match stage is built from. Throughput is always counted in *input* bytes
//! (before normalize strips `\r` and escapes), so the figures of the stages can be compared with
//! each other and with `benches/pipeline.rs`.
//!
//!     cargo bench --bench matcher

mod common;

use std::hint::black_box;

use axiom::pipeline::{LineLimits, Matcher, Normalizer, Segment};
use axiom::rules::Scope;
use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};

/// What `axiom check` reads at once.
const CHECK_CHUNK: usize = 256 * 1024;

/// Normalizes `input` in one go and keeps the block: finished text and its segments.
fn normalized(input: &[u8]) -> (Vec<u8>, Vec<Segment>) {
    let mut normalizer = Normalizer::new(LineLimits::default());
    normalizer.feed(input);
    normalizer.finish();
    let block = normalizer.block();
    (block.finished_text().to_vec(), block.segments.clone())
}

fn normalize(c: &mut Criterion<common::Clock>) {
    let loghub = common::loghub();
    let tui = common::tui_capture();
    let mut group = c.benchmark_group("normalize");
    group.sampling_mode(SamplingMode::Flat);
    for (name, input, chunk) in [("loghub_256k_chunks", &loghub, CHECK_CHUNK), ("tui_capture", &tui, 4096)] {
        group.throughput(Throughput::Bytes(input.len() as u64));
        group.bench_function(name, |b| {
            b.iter(|| {
                let mut normalizer = Normalizer::new(LineLimits::default());
                let mut segments = 0;
                for piece in input.chunks(chunk) {
                    normalizer.feed(piece);
                    segments += normalizer.block().segments.len();
                    normalizer.consume_finished();
                }
                normalizer.finish();
                black_box(segments + normalizer.block().segments.len())
            })
        });
    }
    group.finish();
}

fn matcher(c: &mut Criterion<common::Clock>) {
    let rules = common::rules();
    let scope = rules.scope(Scope::Output);
    // Time matching, not the first use's building of the automata.
    scope.build_all();
    let loghub = common::loghub();
    let (text, segments) = normalized(&loghub);
    let mut group = c.benchmark_group("matcher");
    group.sampling_mode(SamplingMode::Flat);
    group.throughput(Throughput::Bytes(loghub.len() as u64));

    // The whole match stage: scan, then verify every flagged line rule by rule.
    let mut matcher = Matcher::new();
    let mut hits = Vec::new();
    group.bench_function("loghub", |b| {
        b.iter(|| {
            hits.clear();
            matcher.scan(scope, &text, &segments, &[], &mut hits);
            black_box(hits.len())
        })
    });

    // The searchers alone, each over all the text: what the scan costs before any verify.
    group.bench_function("loghub_literals_only", |b| {
        b.iter(|| scope.scan().literals.iter().map(|literals| literals.scan.find_iter(&text).count()).sum::<usize>())
    });
    if let Some(regexes) = &scope.scan().regexes {
        group.bench_function("loghub_regex_only", |b| b.iter(|| regexes.scan.find_iter(&text).count()));
    }
    group.finish();
}

/// Attributing every line with the match-heavy set (each rule's leftmost match, as `check` does
/// on a busy log), beside the floor under it: one overlapping Aho-Corasick DFA pass over each
/// line with the set's literals alone, which reads every byte whatever the matcher does.
fn attribution(c: &mut Criterion<common::Clock>) {
    let rules = common::rules_from("rules-heavy.yaml");
    let scope = rules.scope(Scope::Output);
    scope.build_all();
    let loghub = common::loghub();
    let (text, segments) = normalized(&loghub);
    let lines: Vec<&[u8]> = segments.iter().map(|segment| &text[segment.start..segment.end]).collect();
    let mut group = c.benchmark_group("attribution");
    group.sampling_mode(SamplingMode::Flat);
    group.throughput(Throughput::Bytes(loghub.len() as u64));

    let mut matcher = Matcher::new();
    let mut hits = Vec::new();
    group.bench_function("heavy_set_every_line", |b| {
        b.iter(|| {
            hits.clear();
            for (index, line) in lines.iter().enumerate() {
                matcher.verify(scope, line, &[], index, &mut hits);
            }
            black_box(hits.len())
        })
    });

    let literals: Vec<&str> = rules.rules().iter().flat_map(|rule| rule.literals.iter().map(String::as_str)).collect();
    let automaton = aho_corasick::AhoCorasick::builder()
        .match_kind(aho_corasick::MatchKind::Standard)
        .kind(Some(aho_corasick::AhoCorasickKind::DFA))
        .build(&literals)
        .expect("the bench literals build");
    group.bench_function("heavy_set_literals_overlapping_floor", |b| {
        b.iter(|| lines.iter().map(|line| automaton.find_overlapping_iter(*line).count()).sum::<usize>())
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = common::criterion();
    targets = normalize, matcher, attribution
}
criterion_main!(benches);
