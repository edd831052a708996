//! The staged rule pipeline: normalize → match → policy → interventions. Pure and synchronous.
//!
//! One [`Pipeline`] per task (or per file, offline). Async code at the edges calls
//! [`push`](Pipeline::push) with each chunk of output, [`tick`](Pipeline::tick) when time passes,
//! and [`finish`](Pipeline::finish) at the end; each returns the interventions that fire.
//!
//! ```
//! use std::sync::Arc;
//! use std::time::Instant;
//! use axiom::pipeline::{Pipeline, PipelineOptions};
//! use axiom::rules::{RuleDocument, RuleSet, Scope};
//!
//! let yaml = "rules:\n  - id: todo\n    match: { literals: ['TODO:'] }\n";
//! let rules = Arc::new(RuleSet::from_documents(vec![RuleDocument::new("r.yaml", yaml)]).unwrap());
//! let mut pipeline = Pipeline::new(rules, Scope::Output, "task-1", PipelineOptions::live());
//! let now = Instant::now();
//! assert!(pipeline.push(b"// TO", now).is_empty());
//! let fired = pipeline.push(b"DO: later\n", now);
//! assert_eq!((fired[0].rule.as_str(), fired[0].column), ("todo", 4));
//! ```

mod intervention;
mod matcher;
mod normalize;
mod policy;
mod screen;
mod stage;

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use intervention::Intervention;
pub use matcher::{Matcher, SegmentHit};
pub use normalize::{Block, LineLimits, Normalizer, Segment};
pub use policy::{Policy, PolicyMode, REFIRE_FLOOR};
pub use screen::{redraw_key, PromptSpec, ScreenNormalizer, ScreenOptions};

use stage::Normalize;

use crate::evidence::{observe_line_fully, Evidence, Observation, OBSERVER};
use crate::rules::{Action, CompiledScope, RuleSet, Scope, Subject, LINES_ABOVE};

/// The most texts the echo mask holds at once (see [`Pipeline::expect_echo`]).
pub const ECHO_MASK_LIMIT: usize = 32;

/// How a pipeline behaves; [`live`](Self::live) and [`offline`](Self::offline) are the two presets.
#[derive(Debug, Clone, Copy)]
pub struct PipelineOptions {
    pub mode: PolicyMode,
    pub limits: LineLimits,
    /// A partial line (a prompt such as `Proceed? (y/n)`) is matched once output has been idle this long.
    pub idle_flush: Duration,
    /// How long text axiom injected is masked out of the output, so its echo never fires a rule.
    pub echo_window: Duration,
    /// What the task runs: `applies_to: agents` rules stay out of a task that is not an agent.
    pub subject: Subject,
    /// `Some` for a pseudo-terminal: output is drawn on a virtual terminal of this size and its
    /// rows are matched as they settle (see [`ScreenNormalizer`]); `None` for a byte stream.
    pub screen: Option<ScreenOptions>,
    /// Whether an intervention carries its strings: the rule's id and message, the text it
    /// matched and its line. Without, only `rule_index`, `line`, `column`, `severity` and
    /// `action` say what fired. `check --quiet` turns it off for plain text, whose interventions
    /// it only counts: on a busy log, copying every matching line cost a fifth of its time, and
    /// the rule's id and message another 7%.
    pub keep_text: bool,
}

impl PipelineOptions {
    pub fn live() -> Self {
        PipelineOptions {
            mode: PolicyMode::Live,
            limits: LineLimits::default(),
            idle_flush: Duration::from_millis(200),
            echo_window: Duration::from_secs(30),
            subject: Subject::Agent,
            screen: None,
            keep_text: true,
        }
    }

    /// The same options for output drawn on a terminal of `rows` x `cols`.
    pub fn on_screen(self, rows: u16, cols: u16) -> Self {
        PipelineOptions { screen: Some(ScreenOptions::new(rows, cols)), ..self }
    }

    pub fn offline() -> Self {
        PipelineOptions { mode: PolicyMode::Offline, ..Self::live() }
    }
}

/// What a task's output says about it right now (`axiom client list` shows it).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Activity {
    /// New output (new screen content) lately.
    #[default]
    Running,
    /// The agent waits at its own prompt for its user (known for terminal agents only).
    Idle,
    /// No new output for a while (the shortest silence rule's window, or [`SILENT_AFTER`]); redraws
    /// of a spinner or a timer do not count as output.
    Silent,
}

impl Activity {
    pub fn as_str(self) -> &'static str {
        match self {
            Activity::Running => "running",
            Activity::Idle => "idle",
            Activity::Silent => "silent",
        }
    }
}

/// How long without new output makes a task [`Activity::Silent`] when no silence rule says.
pub const SILENT_AFTER: Duration = Duration::from_secs(60);

/// Counters for reports such as `axiom check`'s summary.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PipelineStats {
    pub bytes: u64,
    pub lines: u64,
    /// Lines with at least one match.
    pub matched_lines: u64,
    /// (line, rule) matches, before policy.
    pub matches: u64,
}

pub struct Pipeline {
    rules: Arc<RuleSet>,
    scope: Arc<CompiledScope>,
    scope_kind: Scope,
    task: Arc<str>,
    options: PipelineOptions,
    normalizer: Normalize,
    matcher: Matcher,
    policy: Policy,
    /// What the task did (edits, test runs), for rules with `evidence:`.
    evidence: Evidence,
    /// Whether any rule of this scope has `evidence:`, so lines are observed at all.
    observing: bool,
    /// Whether a rule of this scope judges figures against the numbers printed before them
    /// (`unseen_figures`), so every line's numbers are remembered; and how many segments of the
    /// finished block have been.
    reads_figures: bool,
    printed_upto: usize,
    /// Whether the task is plain text, whose lines alone say what the user asked (a `> ` or `user`
    /// line) and what output was folded (`… +43 lines`): not once a structured source has spoken
    /// ([`Pipeline::observe`]: a prompt, a tool's result), since its requests are its own events and
    /// such a line is a tool's output (npm's `> app@1.0 test`) or the agent's own words.
    plain_text: bool,
    observations: Vec<(usize, Observation)>,
    hits: Vec<SegmentHit>,
    /// Rules already reported for the line being built: a rule reports at most once per line.
    reported_line: u64,
    reported: Vec<u32>,
    stats: PipelineStats,
    last_output: Instant,
    /// Length of the open segment when it was last matched on idle (0: not matched yet).
    idle_matched_len: usize,
    /// Silence rule index → when it last fired.
    silence_fired: Vec<Option<Instant>>,
    /// Recently injected texts and when they stop being masked.
    echoes: Vec<(Vec<u8>, Instant)>,
    echo_mask: Vec<Vec<u8>>,
    /// The last lines of the blocks matched so far (line number, text), for rules with
    /// `unless_above` (none kept when no rule of the scope has it).
    above: VecDeque<(u64, Vec<u8>)>,
}

impl Pipeline {
    /// A pipeline over the enabled rules of `scope`, for `task`. Silence timers start now.
    pub fn new(rules: Arc<RuleSet>, scope: Scope, task: impl Into<Arc<str>>, options: PipelineOptions) -> Self {
        Self::starting_at(rules, scope, task, options, Instant::now())
    }

    /// Like [`new`](Self::new), with an explicit start time for the silence timers.
    pub fn starting_at(
        rules: Arc<RuleSet>,
        scope: Scope,
        task: impl Into<Arc<str>>,
        options: PipelineOptions,
        now: Instant,
    ) -> Self {
        let compiled = Arc::clone(rules.scope(scope));
        Pipeline {
            matcher: Matcher::new(),
            policy: Policy::new(options.mode),
            evidence: Evidence::default(),
            observing: observes_evidence(&rules, &compiled),
            reads_figures: reads_figures(&rules, &compiled),
            printed_upto: 0,
            plain_text: true,
            observations: Vec::new(),
            silence_fired: vec![None; compiled.silence.len()],
            scope: compiled,
            scope_kind: scope,
            rules,
            task: task.into(),
            options,
            normalizer: match options.screen {
                Some(screen) => {
                    let mut normalizer = ScreenNormalizer::new(screen, options.limits);
                    normalizer.set_prompt(Some(PromptSpec::claude_code()));
                    Normalize::Screen(normalizer)
                }
                // A tool call is one line however long (a heredoc that writes a whole file): cut
                // into windows, the windows after the first would not show `TOOL: ` and escape
                // every tool rule.
                None if scope == Scope::Tool => Normalize::Bytes(Normalizer::new(LineLimits::TOOL_CALL)),
                None => Normalize::Bytes(Normalizer::new(options.limits)),
            },
            hits: Vec::new(),
            reported_line: 0,
            reported: Vec::new(),
            stats: PipelineStats::default(),
            last_output: now,
            idle_matched_len: 0,
            echoes: Vec::new(),
            echo_mask: Vec::new(),
            above: VecDeque::new(),
        }
    }

    /// Numbers lines from `line` on instead of 1: for a piece of a longer input that starts
    /// there. Only before the first [`push`](Self::push).
    pub fn with_first_line(mut self, line: u64) -> Self {
        self.normalizer.set_first_line(line);
        self
    }

    /// A pipeline as this one was made, for the next piece of the same input, numbering lines
    /// from `first_line`, that keeps this one's buffers: a piece of a megabyte fills buffers as
    /// large, and allocating them anew for every piece cost `check` on all cores 7% of its time
    /// in page faults.
    pub fn restart(self, first_line: u64) -> Pipeline {
        let mut next = Pipeline::new(Arc::clone(&self.rules), self.scope_kind, Arc::clone(&self.task), self.options)
            .with_first_line(first_line);
        next.normalizer.reuse_buffers(self.normalizer);
        next.hits = self.hits;
        next.hits.clear();
        next
    }

    /// Whether what this pipeline reports for a line depends on that line alone: offline policy
    /// and no rule that needs evidence from earlier lines. Then pieces of an input that start at
    /// line boundaries can be matched apart (and at once) and give what one pipeline would.
    pub fn lines_are_independent(&self) -> bool {
        self.policy.mode() == PolicyMode::Offline
            && !self.observing
            && !self.scope.any_looks_above()
            && self.normalizer.is_bytes()
    }

    pub fn rules(&self) -> &Arc<RuleSet> {
        &self.rules
    }

    /// Whom the rules watch from now on (a task learns whether it runs an agent when it is spawned).
    /// The options this pipeline was made with (and the subject it was given since).
    pub fn options(&self) -> PipelineOptions {
        self.options
    }

    pub fn set_subject(&mut self, subject: Subject) {
        self.options.subject = subject;
    }

    /// Whether the rule at `index` watches this pipeline's subject.
    fn applies(&self, index: usize) -> bool {
        self.rules.rule(index).applies_to.covers(self.options.subject)
    }

    /// Switches to new rules (a hot reload). The partial line, counters and echo masks carry on,
    /// and so does the policy state (cooldown, threshold, escalation, when a silence rule last
    /// fired) of every rule whose id and policy are unchanged: matched up by id, not position.
    pub fn replace_rules(&mut self, rules: Arc<RuleSet>, now: Instant) {
        let scope = self.scope_kind;
        let compiled = Arc::clone(rules.scope(scope));
        self.matcher = Matcher::new();
        let policy = std::mem::replace(&mut self.policy, Policy::new(self.options.mode));
        self.policy = policy.carried_over(self.rules.rules(), rules.rules());
        let fired_by_id: std::collections::HashMap<&str, Instant> = self
            .scope
            .silence
            .iter()
            .zip(&self.silence_fired)
            .filter_map(|(&index, fired)| Some((self.rules.rule(index).id.as_str(), (*fired)?)))
            .collect();
        let silence_fired =
            compiled.silence.iter().map(|&index| fired_by_id.get(rules.rule(index).id.as_str()).copied()).collect();
        self.silence_fired = silence_fired;
        self.observing = observes_evidence(&rules, &compiled);
        self.reads_figures = reads_figures(&rules, &compiled);
        self.scope = compiled;
        self.rules = rules;
        self.reported.clear();
        // Silence timers restart: a reload is not a reason to fire at once.
        self.last_output = self.last_output.max(now);
    }

    pub fn stats(&self) -> PipelineStats {
        PipelineStats { lines: self.normalizer.lines(), ..self.stats }
    }

    /// A chunk of output arrived at `now`.
    pub fn push(&mut self, chunk: &[u8], now: Instant) -> Vec<Intervention> {
        let mut fired = Vec::new();
        self.push_into(chunk, now, &mut fired);
        fired
    }

    /// [`push`](Self::push), adding what fired to `fired` (a buffer kept from chunk to chunk).
    pub fn push_into(&mut self, chunk: &[u8], now: Instant, fired: &mut Vec<Intervention>) {
        if chunk.is_empty() {
            return;
        }
        self.stats.bytes += chunk.len() as u64;
        if self.normalizer.feed(chunk, now) {
            self.last_output = now;
        }
        self.match_finished(now, fired);
    }

    /// The terminal the output is drawn on was resized (pty tasks; nothing for a byte stream).
    pub fn resize(&mut self, rows: u16, cols: u16, now: Instant) -> Vec<Intervention> {
        let mut fired = Vec::new();
        if let Some(screen) = self.normalizer.screen_mut() {
            if screen.resize(rows, cols, now) {
                self.last_output = now;
            }
            self.match_finished(now, &mut fired);
        }
        fired
    }

    /// Output the rules already saw (a pty task restored after a hub restart, given its newest
    /// output back): the virtual terminal is redrawn from it so later output lands where the agent
    /// means it to, and nothing in it is matched again. Nothing for a byte stream.
    pub fn redraw_seen(&mut self, chunk: &[u8], now: Instant) {
        if let Some(screen) = self.normalizer.screen_mut() {
            screen.redraw_seen(chunk, now);
            self.last_output = now;
        }
    }

    /// How to recognise the agent's own input prompt on the screen; Claude Code's by default.
    /// `None`: never idle. No effect on a byte stream.
    pub fn set_prompt(&mut self, prompt: Option<PromptSpec>) {
        if let Some(screen) = self.normalizer.screen_mut() {
            screen.set_prompt(prompt);
        }
    }

    /// Running, idle at the agent's prompt, or silent (see [`Activity`]).
    pub fn activity(&self, now: Instant) -> Activity {
        if self.normalizer.screen().is_some_and(ScreenNormalizer::is_idle) {
            return Activity::Idle;
        }
        let silent_after = (0..self.scope.silence.len())
            .filter_map(|slot| self.rules.rule(self.scope.silence[slot]).silence)
            .min()
            .unwrap_or(SILENT_AFTER);
        if now.saturating_duration_since(self.last_output) >= silent_after {
            Activity::Silent
        } else {
            Activity::Running
        }
    }

    /// The rows the virtual terminal shows (pty tasks), for diagnostics.
    pub fn screen_rows(&self) -> Option<Vec<String>> {
        self.normalizer.screen().map(ScreenNormalizer::rows_text)
    }

    /// Time passed with no output: match an idle partial line and run the silence timers.
    pub fn tick(&mut self, now: Instant) -> Vec<Intervention> {
        let mut fired = Vec::new();
        self.normalizer.settle(now);
        self.match_finished(now, &mut fired);
        // An agent waiting at its own prompt for its user is idle, not silent.
        if self.normalizer.screen().is_some_and(ScreenNormalizer::is_idle) {
            self.last_output = self.last_output.max(now);
        }
        if now.saturating_duration_since(self.last_output) >= self.options.idle_flush {
            self.match_idle_partial(now, &mut fired);
        }
        if self.policy.mode() == PolicyMode::Live {
            self.run_silence_timers(now, &mut fired);
        }
        fired
    }

    /// The source ended: a trailing partial line is matched.
    pub fn finish(&mut self, now: Instant) -> Vec<Intervention> {
        let mut fired = Vec::new();
        self.normalizer.finish();
        self.match_finished(now, &mut fired);
        fired
    }

    /// When [`tick`](Self::tick) next has something to do, if ever.
    pub fn next_deadline(&self) -> Option<Instant> {
        let idle = self
            .normalizer
            .block()
            .open_segment()
            .filter(|open| open.end - open.start != self.idle_matched_len)
            .map(|_| self.last_output + self.options.idle_flush);
        let silence = (self.policy.mode() == PolicyMode::Live)
            .then(|| {
                (0..self.scope.silence.len())
                    .filter(|&slot| self.applies(self.scope.silence[slot]))
                    .map(|slot| self.silence_deadline(slot))
                    .min()
            })
            .flatten();
        idle.into_iter().chain(silence).chain(self.normalizer.next_settle()).min()
    }

    /// Text axiom is about to write to the task's input: when the terminal echoes it back, it is
    /// blanked out before matching, so a correction can never trigger a rule itself.
    ///
    /// The mask holds each text once (a repeat only extends its window) and at most
    /// [`ECHO_MASK_LIMIT`] texts (the oldest go first), and is rebuilt only when it changes, so a
    /// rule that injects on every line costs about what a warning costs.
    pub fn expect_echo(&mut self, text: &str, now: Instant) {
        let until = now + self.options.echo_window;
        let mut added = false;
        for line in text.lines().map(str::trim).filter(|line| !line.is_empty()) {
            match self.echoes.iter_mut().find(|(known, _)| known.as_slice() == line.as_bytes()) {
                Some((_, known_until)) => *known_until = until,
                None => {
                    self.echoes.push((line.as_bytes().to_vec(), until));
                    added = true;
                }
            }
        }
        if self.echoes.len() > ECHO_MASK_LIMIT {
            self.echoes.sort_by_key(|(_, until)| std::cmp::Reverse(*until));
            self.echoes.truncate(ECHO_MASK_LIMIT);
            added = true;
        }
        if added {
            self.rebuild_echo_mask();
        }
    }

    /// Drops the texts whose window has passed; the mask is rebuilt only when one did.
    fn expire_echoes(&mut self, now: Instant) {
        if self.echoes.iter().any(|(_, until)| *until <= now) {
            self.echoes.retain(|(_, until)| *until > now);
            self.rebuild_echo_mask();
        }
    }

    fn rebuild_echo_mask(&mut self) {
        self.echo_mask.clear();
        self.echo_mask.extend(self.echoes.iter().map(|(text, _)| text.clone()));
    }

    /// How many texts the echo mask holds (for tests and measurements).
    pub fn echo_mask_len(&self) -> usize {
        self.echo_mask.len()
    }

    fn match_finished(&mut self, now: Instant, fired: &mut Vec<Intervention>) {
        if !self.echoes.is_empty() {
            self.expire_echoes(now);
        }
        let block = self.normalizer.block();
        if !block.segments.is_empty() {
            self.hits.clear();
            self.matcher.scan(&self.scope, block.finished_text(), &block.segments, &self.echo_mask, &mut self.hits);
            self.observations.clear();
            if self.observing {
                OBSERVER.observe_block(block.finished_text(), &block.segments, &mut self.observations);
                if !self.plain_text {
                    self.observations.retain(|(_, observation)| !only_plain_text_shows(observation));
                }
            }
            let hits = std::mem::take(&mut self.hits);
            let observations = std::mem::take(&mut self.observations);
            // Evidence and hits in line order: a claim is judged on what came before it (and on
            // its own line, so a summary that says "test result: ok" backs itself).
            let mut next = observations.iter().peekable();
            self.printed_upto = 0;
            for hit in &hits {
                while let Some((_, observation)) = next.next_if(|(segment, _)| *segment <= hit.segment) {
                    self.evidence.observe(observation.clone());
                }
                self.remember_printed_before(hit.segment);
                let segment = self.normalizer.block().segments[hit.segment];
                self.report(segment, Some(hit.segment), hit, now, fired);
            }
            next.for_each(|(_, observation)| self.evidence.observe(observation.clone()));
            self.remember_printed_before(self.normalizer.block().segments.len());
            self.hits = hits;
            self.observations = observations;
            self.idle_matched_len = 0;
            if self.scope.any_looks_above() {
                self.keep_lines_above();
            } else {
                // Lines kept under earlier rules would be stale by the time a reload asks again.
                self.above.clear();
            }
        }
        self.normalizer.consume_finished();
    }

    /// Gives the evidence the numbers of the finished block's segments before segment `end` not
    /// given yet, when a rule reads figures: a line is judged on those printed before it.
    fn remember_printed_before(&mut self, end: usize) {
        if !self.reads_figures || end <= self.printed_upto {
            return;
        }
        let block = self.normalizer.block();
        for segment in &block.segments[self.printed_upto..end] {
            self.evidence.remember_printed(block.segment_text(segment));
        }
        self.printed_upto = end;
    }

    /// Keeps the last [`LINES_ABOVE`] lines of the finished block for the next block's
    /// `unless_above` (each cut to a few KiB: what a rule looks for above is near a line's start).
    fn keep_lines_above(&mut self) {
        const KEPT_BYTES: usize = 4 << 10;
        let block = self.normalizer.block();
        let pieces = block.segments.iter().rev().map(|segment| (segment.line, block.segment_text(segment)));
        let mut newest: [(u64, &[u8]); LINES_ABOVE] = [(0, &[]); LINES_ABOVE];
        let mut count = 0;
        for (slot, found) in newest.iter_mut().zip(lines_before(pieces, u64::MAX)) {
            *slot = found;
            count += 1;
        }
        for &(line, text) in newest[..count].iter().rev() {
            // A line continued from the last block replaces its earlier piece.
            if self.above.back().is_some_and(|(kept, _)| *kept == line) {
                self.above.pop_back();
            }
            let mut kept = if self.above.len() == LINES_ABOVE { self.above.pop_front() } else { None }
                .map(|(_, buffer)| buffer)
                .unwrap_or_default();
            kept.clear();
            kept.extend_from_slice(&text[..text.len().min(KEPT_BYTES)]);
            self.above.push_back((line, kept));
        }
    }

    /// Whether local rule `rule`'s `unless_above` exempts a match on `segment`, which is the
    /// finished block's segment `in_block` (`None`: the open segment, after every finished line).
    /// The lines above are the [`LINES_ABOVE`] lines before the segment's own line, each as its
    /// last piece shows it (a `\r` or a window of a long line starts a new segment, not a line):
    /// from the block, then from the lines kept from earlier blocks.
    fn exempt_by_lines_above(&self, rule: u32, segment: Segment, in_block: Option<usize>) -> bool {
        let block = self.normalizer.block();
        let in_block = block.segments[..in_block.unwrap_or(0)].iter().rev();
        let in_block = in_block.map(|above| (above.line, block.segment_text(above)));
        let carried = self.above.iter().rev().map(|(line, text)| (*line, text.as_slice()));
        let lines = lines_before(in_block.chain(carried), segment.line).map(|(_, text)| text);
        self.scope.exempts_above(rule, lines)
    }

    fn match_idle_partial(&mut self, now: Instant, fired: &mut Vec<Intervention>) {
        let block = self.normalizer.block();
        let Some(open) = block.open_segment() else { return };
        if open.end - open.start == self.idle_matched_len {
            return;
        }
        self.idle_matched_len = open.end - open.start;
        self.hits.clear();
        let text = block.segment_text(&open);
        self.matcher.verify(&self.scope, text, &self.echo_mask, 0, &mut self.hits);
        let hits = std::mem::take(&mut self.hits);
        for hit in &hits {
            self.report(open, None, hit, now, fired);
        }
        self.hits = hits;
    }

    /// A match stage hit: count it, deduplicate it per line, and let policy decide. `in_block`:
    /// the segment's index in the finished block, or `None` for the open segment.
    fn report(
        &mut self,
        segment: Segment,
        in_block: Option<usize>,
        hit: &SegmentHit,
        now: Instant,
        fired: &mut Vec<Intervention>,
    ) {
        let index = self.scope.rules[hit.rule as usize];
        if !self.applies(index) {
            return;
        }
        if segment.line != self.reported_line {
            self.reported_line = segment.line;
            self.reported.clear();
        }
        if self.reported.contains(&hit.rule) {
            return;
        }
        let rule = self.rules.rule(index);
        if let Some(command) = &rule.command {
            let text = self.normalizer.block().segment_text(&segment);
            if !command.matches_line(&String::from_utf8_lossy(text), self.scope_kind == Scope::Tool) {
                return;
            }
        }
        if self.scope.looks_above(hit.rule) && self.exempt_by_lines_above(hit.rule, segment, in_block) {
            return;
        }
        if let Some(spec) = &rule.evidence {
            let allowed = if spec.reads_the_line() {
                let text = self.normalizer.block().segment_text(&segment);
                self.evidence.allows_line(index, spec, &String::from_utf8_lossy(text))
            } else {
                self.evidence.allows(index, spec)
            };
            if !allowed {
                return;
            }
        }
        if self.reported.is_empty() {
            self.stats.matched_lines += 1;
        }
        self.reported.push(hit.rule);
        self.stats.matches += 1;
        let Some(action) = self.policy.on_hit(index, rule, now) else { return };
        let text = self.normalizer.block().segment_text(&segment);
        let (start, end) = match self.scope_kind {
            // A later window of a long line does not start with the tool's name.
            Scope::Tool if segment.column_base == 0 => matched_in_argument(text, hit, rule.command.is_some()),
            // A later window of a judged command: from where the window's match starts, to its end.
            Scope::Tool if rule.command.is_some() => (hit.start, text.len()),
            _ => (hit.start, hit.end),
        };
        let (matched, text) = if self.options.keep_text {
            let matched = text.get(start..end).unwrap_or_default();
            (String::from_utf8_lossy(matched).into_owned(), String::from_utf8_lossy(text).into_owned())
        } else {
            (String::new(), String::new())
        };
        fired.push(Intervention {
            matched,
            text,
            line: Some(segment.line),
            column: segment.column_base + start + 1,
            ..self.intervention(index, action)
        });
    }

    /// Something the task did that the output does not show as text, from a structured source
    /// (a tool call that edited a file, a command's exit status): it counts as evidence for the
    /// lines that come after it.
    pub fn observe(&mut self, observation: Observation) {
        if matches!(observation, Observation::Request(_) | Observation::Printed(_)) && self.plain_text {
            self.plain_text = false;
            self.evidence.ignore_marks();
        }
        // A tool's text is read for its numbers only where a rule judges figures.
        if matches!(observation, Observation::Printed(_)) && !self.reads_figures {
            return;
        }
        self.evidence.observe(observation);
    }

    /// A line of output that is not matched (an earlier turn's) read for evidence only, as the
    /// lines it matches are: a request or a fold in it counts only while the task is plain text.
    pub fn observe_unmatched_line(&mut self, line: &str) {
        let plain_text = self.plain_text;
        let evidence = &mut self.evidence;
        if self.reads_figures {
            evidence.remember_printed(line.as_bytes());
        }
        observe_line_fully(line, |observation| {
            if plain_text || !only_plain_text_shows(&observation) {
                evidence.observe(observation);
            }
        });
    }

    /// An intervention of rule `index` taking `action`, with no match (what silence rules fire).
    fn intervention(&self, index: usize, action: Action) -> Intervention {
        let rule = self.rules.rule(index);
        let keep = self.options.keep_text;
        Intervention {
            task: Arc::clone(&self.task),
            rule: if keep { rule.id.clone() } else { String::new() },
            rule_index: index,
            severity: rule.severity,
            action,
            message: if keep { rule.message.clone() } else { None },
            matched: String::new(),
            text: String::new(),
            line: None,
            column: 0,
        }
    }

    /// A silence rule fires when output has stopped for its duration, and again every further
    /// duration while it stays stopped (so an escalation ladder can climb).
    fn silence_deadline(&self, slot: usize) -> Instant {
        let index = self.scope.silence[slot];
        let quiet_since = match self.silence_fired[slot] {
            Some(fired) if fired > self.last_output => fired,
            _ => self.last_output,
        };
        quiet_since + self.rules.rule(index).silence.unwrap_or_default()
    }

    fn run_silence_timers(&mut self, now: Instant, fired: &mut Vec<Intervention>) {
        for slot in 0..self.scope.silence.len() {
            if !self.applies(self.scope.silence[slot]) || now < self.silence_deadline(slot) {
                continue;
            }
            self.silence_fired[slot] = Some(now);
            let index = self.scope.silence[slot];
            let rule = self.rules.rule(index);
            let Some(action) = self.policy.on_hit(index, rule, now) else { continue };
            fired.push(self.intervention(index, action));
        }
    }
}

/// Of `pieces` (line number, text), nearest first, the first piece of each of the (at most
/// [`LINES_ABOVE`]) lines before line `line`: the last piece of the line as printed.
fn lines_before<'a>(pieces: impl Iterator<Item = (u64, &'a [u8])>, line: u64) -> impl Iterator<Item = (u64, &'a [u8])> {
    let mut below = line;
    pieces
        .filter(move |&(piece, _)| {
            let earlier = piece < below;
            if earlier {
                below = piece;
            }
            earlier
        })
        .take(LINES_ABOVE)
}

/// Whether any enabled rule matched in this scope needs evidence.
fn observes_evidence(rules: &RuleSet, scope: &CompiledScope) -> bool {
    scope.rules.iter().any(|&index| rules.rule(index).evidence.is_some())
}

/// What only a plain-text task's lines show: the user's request and folded output. Once a
/// structured source speaks, such a line is a tool's output or the agent's words (which could
/// otherwise exempt themselves, or switch a rule off, by writing `> options?` or `… +3 lines`).
fn only_plain_text_shows(observation: &Observation) -> bool {
    matches!(observation, Observation::Request(_) | Observation::Folded)
}

/// Whether any enabled rule matched in this scope states figures against the numbers printed.
fn reads_figures(rules: &RuleSet, scope: &CompiledScope) -> bool {
    scope.rules.iter().any(|&index| rules.rule(index).evidence.as_ref().is_some_and(|spec| spec.unseen_figures > 0))
}

/// What a tool call's match reports, as byte offsets in its line `TOOL: ARGUMENT`: the part of
/// the match inside the argument, or the whole argument when the rule judged the parsed command
/// or matched nothing of the argument itself (a pattern that flags every call).
fn matched_in_argument(line: &[u8], hit: &SegmentHit, judged_as_command: bool) -> (usize, usize) {
    let argument = memchr::memmem::find(line, b": ").map_or(0, |at| at + 2);
    if judged_as_command || hit.end <= argument {
        (argument, line.len())
    } else {
        (hit.start.max(argument), hit.end)
    }
}

#[cfg(test)]
mod tests;
