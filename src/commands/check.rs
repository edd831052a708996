//! `axiom check`: the live pipeline, offline, over files, directories or stdin.

mod inputs;
mod progress;
mod transcript;

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use serde::Serialize;

use super::check_blocks::{check_blocks, BlockSink, BlocksError};
use super::output::{flush, use_color, Palette};
use crate::cli::{CheckArgs, Format};
use crate::pipeline::{Intervention, PipelineStats};
use crate::rules::{RuleSet, Scope};

pub fn run(args: CheckArgs) -> anyhow::Result<ExitCode> {
    let rules = super::load_rules(&args.rules)?;
    let scope = Scope::from(args.scope);
    let inputs = inputs::expand(&args.files);
    inputs::hint_if_stdin_is_a_terminal(&inputs);
    let mut report = Report::new(&rules, scope);
    let stdout = io::stdout();
    let mut sink = Sink {
        out: BufWriter::with_capacity(64 * 1024, stdout.lock()),
        format: args.format,
        quiet: args.quiet,
        palette: Palette::new(args.format == Format::Text && use_color(args.color)),
    };
    let threads = args.threads.map_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()), usize::from);
    let started = Instant::now();
    let mut failed = false;
    // The report's reader went away (`axiom check big.log | head`): the totals count only what
    // was read until then, which the summary must not pass off as the whole input.
    let mut reader_left = false;
    let mut progress = progress::Progress::new(!args.quiet && args.format == Format::Text);
    for input in inputs {
        let input = match input {
            Ok(input) => input,
            Err((name, err)) => {
                progress.clear();
                report.unreadable(&mut sink, &name, &err.to_string())?;
                failed = true;
                continue;
            }
        };
        match check_one(&rules, scope, &input, threads, !args.as_text, &mut sink, &mut report, &mut progress) {
            Ok(Checked::Text) => {}
            Ok(Checked::Binary) => {
                progress.clear();
                crate::logging::note!("axiom: {} looks binary (it has NUL bytes); checked anyway", input.name());
            }
            Ok(Checked::SkippedBinary) => report.skipped_binary += 1,
            Err(CheckError::Output(err)) if err.kind() == io::ErrorKind::BrokenPipe => {
                reader_left = true;
                break;
            }
            Err(CheckError::Output(err)) => return Err(err.into()),
            Err(CheckError::Input(err)) => {
                progress.clear();
                report.unreadable(&mut sink, &input.name(), &describe(&err))?;
                failed = true;
            }
        }
    }
    progress.clear();
    if reader_left {
        crate::logging::note!(
            "axiom: the output was closed, so checking stopped; the totals count what was read until then"
        );
    }
    let elapsed_ms = started.elapsed().as_millis() as u64;
    write_closing_lines(&report, &mut sink, &args, failed, elapsed_ms)?;
    let code = ExitCode::from(if failed { super::EXIT_ERROR } else { u8::from(report.total.matches > 0) });
    // The process ends here: freeing every automaton would only delay it (by about a
    // millisecond with the built-in pack).
    std::mem::forget(rules);
    Ok(code)
}

/// What follows the matches: the transcripts read, the binary files skipped, the summary.
fn write_closing_lines<W: Write>(
    report: &Report,
    sink: &mut Sink<W>,
    args: &CheckArgs,
    failed: bool,
    elapsed_ms: u64,
) -> anyhow::Result<()> {
    if !report.transcripts.is_empty() && args.format == Format::Text {
        flush(&mut sink.out)?;
        crate::logging::note!("axiom: {}", report.transcripts_line());
    }
    if report.skipped_binary > 0 {
        let (found, them) = if report.skipped_binary == 1 { ("a directory", "it") } else { ("directories", "one") };
        crate::logging::note!(
            "axiom: skipped {} (NUL bytes) found in {found}; name {them} to check it anyway",
            crate::human::count(report.skipped_binary, "binary file")
        );
    }
    // After an error, the error is the last word in text mode; JSON readers always get a summary.
    if !failed || sink.format == Format::Json {
        report.write_summary(sink, elapsed_ms, args.stats)?;
    }
    flush(&mut sink.out)?;
    Ok(())
}

/// An input error as a person reads it: `No such file or directory`, without `(os error 2)`.
fn describe(err: &io::Error) -> String {
    let text = err.to_string();
    match text.find(" (os error") {
        Some(at) => text[..at].to_owned(),
        None => text,
    }
}

/// What became of one input.
#[derive(PartialEq, Eq)]
enum Checked {
    Text,
    /// Checked, but it has NUL bytes: the user is told.
    Binary,
    /// Found in a directory and binary: left out.
    SkippedBinary,
}

enum CheckError {
    Input(io::Error),
    Output(io::Error),
}

#[allow(clippy::too_many_arguments)]
fn check_one(
    rules: &Arc<RuleSet>,
    scope: Scope,
    input: &inputs::Input,
    threads: usize,
    transcripts: bool,
    sink: &mut Sink<impl Write>,
    report: &mut Report,
    progress: &mut progress::Progress,
) -> Result<Checked, CheckError> {
    let name = input.name();
    let (mut reader, named): (Box<dyn Read>, bool) = match input {
        inputs::Input::Stdin => (Box::new(io::stdin().lock()), true),
        inputs::Input::File { path, named } => (Box::new(File::open(path).map_err(CheckError::Input)?), *named),
    };
    // The first read decides whether the input looks binary; the block engine then reads it
    // again from this buffer on.
    let mut first = vec![0; 256 * 1024];
    let read = loop {
        match reader.read(&mut first) {
            Ok(read) => break read,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => return Err(CheckError::Input(err)),
        }
    };
    first.truncate(read);
    let mut checked = Checked::Text;
    if inputs::looks_binary(&first) {
        if !named {
            return Ok(Checked::SkippedBinary);
        }
        checked = Checked::Binary;
    }
    let format = if transcripts && checked == Checked::Text { crate::transcript::detect(&first) } else { None };
    let mut reader = io::Cursor::new(first).chain(reader);
    let mut stats = PipelineStats::default();
    let mut blocks = ReportSink { sink, report, progress, name: &name };
    let result = match format {
        Some(format) => check_transcript(rules, format, &name, &mut reader, &mut blocks, &mut stats),
        None => check_blocks(rules, scope, &name, &mut reader, threads, &mut blocks, &mut stats),
    };
    match result {
        Err(BlocksError::Input(err)) => Err(CheckError::Input(err)),
        Err(BlocksError::Output(err)) => {
            // The totals still count what was matched before the reader went away.
            blocks.report.add_file(stats);
            Err(CheckError::Output(err))
        }
        Ok(()) => {
            blocks.report.add_file(stats);
            Ok(checked)
        }
    }
}

/// Reads a whole transcript and judges it event by event (see [`transcript`]).
fn check_transcript(
    rules: &Arc<RuleSet>,
    format: crate::transcript::Format,
    name: &str,
    reader: &mut dyn Read,
    sink: &mut ReportSink<'_, impl Write>,
    stats: &mut PipelineStats,
) -> Result<(), BlocksError> {
    let mut bytes = Vec::new();
    reader.read_to_end(&mut bytes).map_err(BlocksError::Input)?;
    let read = crate::transcript::read(format, &String::from_utf8_lossy(&bytes));
    if read.not_json > 0 {
        sink.progress.clear();
        crate::logging::note!(
            "axiom: {name}: {} of this {} transcript not JSON; checked as the agent's text",
            crate::human::count(read.not_json, "line"),
            format.agent()
        );
    }
    sink.report.add_transcript(format);
    transcript::check_transcript(rules, name, &read, sink, stats).map_err(BlocksError::Output)
}

/// The report's end of the block engine: every block's matches, in input order.
struct ReportSink<'a, W: Write> {
    sink: &'a mut Sink<W>,
    report: &'a mut Report,
    progress: &'a mut progress::Progress,
    name: &'a str,
}

impl<W: Write> BlockSink for ReportSink<'_, W> {
    fn fired(&mut self, fired: &[Intervention]) -> io::Result<()> {
        if fired.is_empty() {
            self.progress.update(self.name, self.report.total.bytes, self.report.total.lines);
        } else {
            self.progress.clear();
        }
        self.sink.matches(fired, self.report)
    }

    fn shows_matches(&self) -> bool {
        !self.sink.quiet
    }
}

struct Sink<W: Write> {
    out: W,
    format: Format,
    quiet: bool,
    palette: Palette,
}

#[derive(Serialize)]
struct MatchRecord<'a> {
    r#type: &'static str,
    file: &'a str,
    line: u64,
    column: usize,
    rule: &'a str,
    severity: &'static str,
    action: &'static str,
    matched: &'a str,
    text: &'a str,
    message: Option<&'a str>,
}

impl<W: Write> Sink<W> {
    fn matches(&mut self, fired: &[Intervention], report: &mut Report) -> io::Result<()> {
        // Counted before writing, so the totals agree even when the reader goes away mid-chunk.
        for intervention in fired {
            report.by_rule[intervention.rule_index] += 1;
        }
        if !self.quiet {
            for intervention in fired {
                self.write_match(intervention)?;
            }
        }
        Ok(())
    }

    fn write_match(&mut self, hit: &Intervention) -> io::Result<()> {
        let line = hit.line.unwrap_or(0);
        match self.format {
            Format::Json => {
                let record = MatchRecord {
                    r#type: "match",
                    file: &hit.task,
                    line,
                    column: hit.column,
                    rule: &hit.rule,
                    severity: hit.severity.as_str(),
                    action: hit.action.as_str(),
                    matched: &hit.matched,
                    text: &hit.text,
                    message: hit.message.as_deref(),
                };
                serde_json::to_writer(&mut self.out, &record)?;
                self.out.write_all(b"\n")
            }
            Format::Text => {
                let p = self.palette;
                writeln!(
                    self.out,
                    "{}:{}:{}: [{}] {} ({}): {}",
                    p.paint("35", &hit.task),
                    p.paint("32", &line.to_string()),
                    hit.column,
                    p.paint(p.severity(hit.severity), hit.severity.as_str()),
                    p.paint("1", &hit.rule),
                    hit.action,
                    p.paint("1;31", &hit.matched),
                )
            }
        }
    }
}

/// Totals over all inputs, for the summary.
struct Report {
    rules: Arc<RuleSet>,
    scope: Scope,
    files: u64,
    total: PipelineStats,
    /// Matches per rule, indexed like the rule set.
    by_rule: Vec<u64>,
    /// Binary files found in directories and left out.
    skipped_binary: u64,
    /// Inputs that could not be read (each reported where it failed).
    unreadable: u64,
    /// Inputs read as agent transcripts, by format; their lines are judged in every scope.
    transcripts: std::collections::BTreeMap<crate::transcript::Format, u64>,
}

/// An input that could not be read, in JSON where it failed (also said on stderr).
#[derive(Serialize)]
struct ErrorRecord<'a> {
    r#type: &'static str,
    file: &'a str,
    message: &'a str,
}

#[derive(Serialize)]
struct SummaryRecord {
    r#type: &'static str,
    files: u64,
    /// Inputs named (or found) that could not be read; the exit status is then 2.
    unreadable: u64,
    lines: u64,
    bytes: u64,
    matched_lines: u64,
    matches: u64,
    by_rule: serde_json::Map<String, serde_json::Value>,
    elapsed_ms: u64,
}

impl Report {
    fn new(rules: &Arc<RuleSet>, scope: Scope) -> Self {
        Report {
            rules: Arc::clone(rules),
            scope,
            files: 0,
            total: PipelineStats::default(),
            by_rule: vec![0; rules.rules().len()],
            skipped_binary: 0,
            unreadable: 0,
            transcripts: Default::default(),
        }
    }

    /// Says on stderr that `name` could not be read, and in the report when it is JSON.
    fn unreadable<W: Write>(&mut self, sink: &mut Sink<W>, name: &str, message: &str) -> anyhow::Result<()> {
        self.unreadable += 1;
        crate::logging::note!("axiom: error: {name}: {message}");
        if sink.format == Format::Json {
            let mut line = serde_json::to_vec(&ErrorRecord { r#type: "error", file: name, message })?;
            line.push(b'\n');
            super::output::tolerate_broken_pipe(sink.out.write_all(&line))?;
        }
        Ok(())
    }

    fn add_transcript(&mut self, format: crate::transcript::Format) {
        *self.transcripts.entry(format).or_default() += 1;
    }

    /// `read 3 files as agent transcripts (Claude Code 2, Codex CLI 1)`.
    fn transcripts_line(&self) -> String {
        let total: u64 = self.transcripts.values().sum();
        let each: Vec<String> = self.transcripts.iter().map(|(format, n)| format!("{} {n}", format.agent())).collect();
        format!(
            "read {} as agent transcripts ({}); their prompts, tool calls and output were each judged by the rules of their scope",
            crate::human::count(total, "file"),
            each.join(", ")
        )
    }

    fn add_file(&mut self, stats: PipelineStats) {
        self.files += 1;
        self.total.bytes += stats.bytes;
        self.total.lines += stats.lines;
        self.total.matched_lines += stats.matched_lines;
        self.total.matches += stats.matches;
    }

    /// The rules this run applied (enabled, in scope), in load order. Transcripts apply the
    /// rules of every scope.
    fn applied(&self) -> impl Iterator<Item = (usize, &crate::rules::Rule)> {
        let every_scope = !self.transcripts.is_empty();
        self.rules
            .rules()
            .iter()
            .enumerate()
            .filter(move |(_, rule)| rule.enabled && (every_scope || rule.scope == self.scope))
    }

    fn write_summary<W: Write>(&self, sink: &mut Sink<W>, elapsed_ms: u64, stats: bool) -> io::Result<()> {
        match sink.format {
            Format::Json => {
                let by_rule = self
                    .applied()
                    .map(|(index, rule)| (rule.id.clone(), serde_json::Value::from(self.by_rule[index])))
                    .collect();
                let record = SummaryRecord {
                    r#type: "summary",
                    files: self.files,
                    unreadable: self.unreadable,
                    lines: self.total.lines,
                    bytes: self.total.bytes,
                    matched_lines: self.total.matched_lines,
                    matches: self.total.matches,
                    by_rule,
                    elapsed_ms,
                };
                let mut line = serde_json::to_vec(&record)?;
                line.push(b'\n');
                super::output::tolerate_broken_pipe(sink.out.write_all(&line))
            }
            Format::Text => {
                flush(&mut sink.out)?;
                crate::logging::note!("{}", self.summary_line(elapsed_ms));
                if stats {
                    // The table ends in its own line break.
                    let _ = write!(io::stderr(), "{}", self.rule_table());
                }
                Ok(())
            }
        }
    }

    /// One line: `axiom: 4 matches on 3 of 1200 lines in 1 file (61.2 KiB, 12 ms)`.
    fn summary_line(&self, elapsed_ms: u64) -> String {
        use crate::human::{bytes, count};
        let t = &self.total;
        format!(
            "axiom: {} on {} of {} in {} ({}, {elapsed_ms} ms)",
            count(t.matches, "match"),
            t.matched_lines,
            count(t.lines, "line"),
            count(self.files, "file"),
            bytes(t.bytes),
        )
    }

    /// With `--stats`, as fail2ban-regex prints it: hits for every rule applied, those with none too.
    fn rule_table(&self) -> String {
        let mut text = String::new();
        let applied: Vec<_> = self.applied().collect();
        let width = applied.iter().map(|(_, rule)| rule.id.len()).max().unwrap_or(0);
        let rules = crate::human::count(applied.len() as u64, "rule");
        let scope =
            if self.transcripts.is_empty() { format!("scope {}", self.scope) } else { "every scope".to_owned() };
        text.push_str(&format!("{rules} applied ({scope}), matches per rule:\n"));
        for (index, rule) in applied {
            let note = if rule.silence.is_some() { "  (silence rule: needs a live task)" } else { "" };
            let row = format!("  {:>8}  {:<width$}{note}", self.by_rule[index], rule.id);
            text.push_str(row.trim_end());
            text.push('\n');
        }
        text
    }
}
