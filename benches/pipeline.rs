//! The whole pipeline (normalize → match → policy → interventions), as `axiom check` and a live
//! task drive it. Throughput is in input bytes; for small chunks, time per iteration divided by
//! the number of chunks is the cost of one `push`.
//!
//!     cargo bench --bench pipeline

mod common;

use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

use axiom::pipeline::{Pipeline, PipelineOptions};
use axiom::rules::{RuleSet, Scope};
use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};

/// Pushes `input` in `chunk`-byte pieces through a fresh pipeline, then finishes it; returns the
/// number of interventions, so nothing is optimised away.
fn run(rules: &Arc<RuleSet>, options: PipelineOptions, input: &[u8], chunk: usize) -> usize {
    let now = Instant::now();
    let mut pipeline = Pipeline::starting_at(Arc::clone(rules), Scope::Output, "bench", options, now);
    let mut fired = 0;
    for piece in input.chunks(chunk) {
        fired += pipeline.push(piece, now).len();
    }
    fired + pipeline.finish(now).len()
}

fn pipeline(c: &mut Criterion<common::Clock>) {
    let rules = common::rules();
    let loghub = common::loghub();
    let tui = common::tui_capture();
    let mut group = c.benchmark_group("pipeline");
    group.sampling_mode(SamplingMode::Flat);

    // `axiom check`: offline policy (every match reported), 256 KiB reads.
    group.throughput(Throughput::Bytes(loghub.len() as u64));
    group.bench_function("loghub_256k_chunks", |b| {
        b.iter(|| run(&rules, PipelineOptions::offline(), black_box(&loghub), 256 * 1024))
    });
    // A child that writes a line at a time, or less: per-push overhead dominates.
    group.bench_function("loghub_64b_chunks", |b| {
        b.iter(|| run(&rules, PipelineOptions::offline(), black_box(&loghub), 64))
    });
    // A live task behind a PTY: escape-heavy TUI redraws in 4 KiB reads, live policy.
    group.throughput(Throughput::Bytes(tui.len() as u64));
    group.bench_function("tui_capture", |b| b.iter(|| run(&rules, PipelineOptions::live(), black_box(&tui), 4096)));
    group.finish();
}

criterion_group! {
    name = benches;
    config = common::criterion();
    targets = pipeline
}
criterion_main!(benches);
