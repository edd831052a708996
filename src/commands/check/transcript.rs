//! `axiom check` over a saved agent session: every event rendered by the one renderer
//! ([`crate::agent::render`]) and judged by the rules of its scope, prompts by `prompt` rules,
//! tool calls by `tool` rules, the agent's text and tool results by `output` rules; what the
//! events tell (edits, commands, exit status) is evidence for the claims that follow.
//! Matches are reported at the transcript's own line numbers.

use std::io;
use std::sync::Arc;
use std::time::Instant;

use super::super::check_blocks::BlockSink;
use crate::agent::{render, AgentLine, EventObserver};
use crate::pipeline::{Intervention, Pipeline, PipelineOptions, PipelineStats};
use crate::rules::{RuleSet, Scope};
use crate::transcript::Transcript;

/// The scopes a transcript's lines are judged in, in the order their matches are reported.
pub const SCOPES: [Scope; 3] = [Scope::Prompt, Scope::Tool, Scope::Output];

/// One scope's pipeline and, for each line pushed to it, the transcript line it came from.
struct Judge {
    pipeline: Pipeline,
    origin: Vec<u64>,
    pending: Vec<u8>,
}

/// Judges `transcript`; its matches go to `sink` as each event is judged.
pub fn check_transcript(
    rules: &Arc<RuleSet>,
    name: &str,
    transcript: &Transcript,
    sink: &mut dyn BlockSink,
    stats: &mut PipelineStats,
) -> io::Result<()> {
    let now = Instant::now();
    let name: Arc<str> = Arc::from(name);
    let mut judges = SCOPES.map(|scope| Judge {
        pipeline: Pipeline::new(Arc::clone(rules), scope, Arc::clone(&name), PipelineOptions::offline()),
        origin: Vec::new(),
        pending: Vec::new(),
    });
    let mut observer = EventObserver::default();
    let mut observations = Vec::new();
    let mut lines = Vec::new();
    let mut fired = Vec::new();
    let events = &transcript.events;
    let mut at = 0;
    while at < events.len() {
        // The events of one transcript line are judged together: what a line shows is reported
        // at that line, in scope order.
        let number = events[at].0;
        while let Some((_, event)) = events.get(at).filter(|(line, _)| *line == number) {
            at += 1;
            observations.clear();
            observer.observe(event, &mut observations);
            for judge in &mut judges {
                judge.flush(now, &mut fired);
                for observation in &observations {
                    judge.pipeline.observe(observation.clone());
                }
            }
            lines.clear();
            render(event, &mut lines);
            for AgentLine { scope, text } in lines.drain(..) {
                let judge = &mut judges[SCOPES.iter().position(|s| *s == scope).expect("a known scope")];
                judge.pending.extend_from_slice(text.as_bytes());
                judge.pending.push(b'\n');
                judge.origin.push(number);
            }
        }
        for judge in &mut judges {
            judge.flush(now, &mut fired);
        }
        if !fired.is_empty() {
            fired.sort_by_key(|hit: &Intervention| hit.line);
            let result = sink.fired(&fired);
            fired.clear();
            if let Err(err) = result {
                add_stats(&judges, stats);
                return Err(err);
            }
        }
    }
    for judge in &mut judges {
        let mut rest = judge.pipeline.finish(now);
        judge.relocate(&mut rest);
        fired.extend(rest);
    }
    add_stats(&judges, stats);
    sink.fired(&fired)
}

impl Judge {
    /// Pushes the lines waiting for this scope, so evidence that comes next is observed after them.
    fn flush(&mut self, now: Instant, fired: &mut Vec<Intervention>) {
        if self.pending.is_empty() {
            return;
        }
        let mut hits = self.pipeline.push(&self.pending, now);
        self.pending.clear();
        self.relocate(&mut hits);
        fired.extend(hits);
    }

    /// Pipeline line numbers → the transcript's.
    fn relocate(&self, hits: &mut [Intervention]) {
        for hit in hits {
            if let Some(line) = hit.line {
                hit.line = usize::try_from(line).ok().and_then(|line| self.origin.get(line.checked_sub(1)?)).copied();
            }
        }
    }
}

fn add_stats(judges: &[Judge], total: &mut PipelineStats) {
    for judge in judges {
        let stats = judge.pipeline.stats();
        total.bytes += stats.bytes;
        total.lines += stats.lines;
        total.matched_lines += stats.matched_lines;
        total.matches += stats.matches;
    }
}
