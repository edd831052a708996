//! The screen stage over recorded byte streams of the real Claude Code UI (`fixtures/tui/`), replayed
//! with the timing they were recorded with.

use std::time::{Duration, Instant};

use super::*;

/// One recorded capture: its bytes and, per read, when it happened and how long it was (or a resize).
struct Capture {
    bytes: Vec<u8>,
    steps: Vec<Step>,
}

enum Step {
    Read { at: Duration, len: usize },
    Resize { at: Duration, cols: u16, rows: u16 },
}

fn capture(name: &str) -> Capture {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/tui/");
    let bytes = std::fs::read(format!("{dir}{name}.bin")).unwrap();
    let timeline: Vec<serde_json::Value> =
        serde_json::from_slice(&std::fs::read(format!("{dir}{name}.timeline.json")).unwrap()).unwrap();
    let steps = timeline
        .iter()
        .map(|entry| {
            let at = Duration::from_secs_f64(entry[0].as_f64().unwrap());
            if entry[1] == "resize" {
                Step::Resize { at, cols: entry[2].as_u64().unwrap() as u16, rows: entry[3].as_u64().unwrap() as u16 }
            } else {
                Step::Read { at, len: entry[1].as_u64().unwrap() as usize }
            }
        })
        .collect();
    Capture { bytes, steps }
}

/// Replays a capture (recorded at 100x30) into a screen stage, settling between reads as the
/// pipeline's ticks would; returns every emitted row and the stage.
fn replay(name: &str) -> (Vec<String>, ScreenNormalizer) {
    let capture = capture(name);
    let mut screen = ScreenNormalizer::new(ScreenOptions::new(30, 100), LineLimits::default());
    screen.set_prompt(Some(PromptSpec::claude_code()));
    let start = Instant::now();
    let mut emitted = Vec::new();
    let mut offset = 0;
    for step in &capture.steps {
        match *step {
            Step::Read { at, len } => {
                screen.settle(start + at);
                screen.feed(&capture.bytes[offset..offset + len], start + at);
                offset += len;
            }
            Step::Resize { at, cols, rows } => {
                screen.resize(rows, cols, start + at);
            }
        }
        collect(&mut screen, &mut emitted);
    }
    assert_eq!(offset, capture.bytes.len(), "the timeline covers the capture");
    screen.settle(start + Duration::from_secs(3600));
    screen.finish();
    collect(&mut screen, &mut emitted);
    (emitted, screen)
}

fn collect(screen: &mut ScreenNormalizer, into: &mut Vec<String>) {
    let block = screen.block();
    into.extend(block.segments.iter().map(|s| String::from_utf8_lossy(block.segment_text(s)).into_owned()));
    screen.consume_finished();
}

fn count(lines: &[String], needle: &str) -> usize {
    lines.iter().filter(|line| line.contains(needle)).count()
}

#[test]
fn a_sentence_drawn_word_by_word_with_cursor_moves_is_one_row() {
    let capture = capture("claude-2.1.332-sentence");
    assert!(
        !capture.bytes.windows(14).any(|w| w == b"nothing is lef"),
        "the capture draws words at columns, not with spaces"
    );
    let (emitted, _) = replay("claude-2.1.332-sentence");
    let sentence = "● I'll now plan the work. All tests pass and nothing is left to do.";
    assert_eq!(emitted.iter().filter(|line| line.as_str() == sentence).count(), 1, "{emitted:#?}");
    assert_eq!(count(&emitted, "❯ write a sentence"), 1, "{emitted:#?}");
}

#[test]
fn the_byte_normalizer_cannot_see_that_sentence() {
    let capture = capture("claude-2.1.332-sentence");
    let mut normalizer = super::super::Normalizer::new(LineLimits::default());
    normalizer.feed(&capture.bytes);
    normalizer.finish();
    let block = normalizer.block();
    let found = block
        .segments
        .iter()
        .any(|s| String::from_utf8_lossy(block.segment_text(s)).contains("All tests pass and nothing is left"));
    assert!(!found, "if this starts to pass, the screen stage is no longer needed for this case");
}

#[test]
fn a_spinner_and_its_timer_are_one_row_however_often_they_redraw() {
    let (emitted, _) = replay("claude-2.1.332-spinner");
    let reads = capture("claude-2.1.332-spinner").steps.len();
    assert!(reads > 60, "the capture redraws a spinner many times ({reads} reads)");
    // Every emitted row is new content: no key twice.
    let mut keys: Vec<String> = emitted.iter().map(|line| redraw_key(line)).collect();
    let total = keys.len();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), total, "a redraw was emitted again: {emitted:#?}");
    assert!(total < 30, "{total} rows for a short session: {emitted:#?}");
    assert_eq!(count(&emitted, "Done waiting. All tests pass."), 1, "{emitted:#?}");
    assert_eq!(count(&emitted, "Let me wait."), 1, "{emitted:#?}");
}

#[test]
fn a_repaint_after_resizes_emits_nothing_again() {
    let (emitted, screen) = replay("claude-2.1.332-repaint");
    assert_eq!(count(&emitted, "All tests pass and nothing is left to do."), 1, "{emitted:#?}");
    assert_eq!(count(&emitted, "❯ write a sentence"), 1, "{emitted:#?}");
    let rows = screen.rows_text();
    assert_eq!(rows.len(), 40, "the last resize was to 120x40");
    assert!(rows.iter().any(|row| row.contains("All tests pass and nothing is left")), "{rows:#?}");
}

#[test]
fn knows_claude_codes_prompt_from_its_busy_footer() {
    let (_, idle) = replay("claude-2.1.332-sentence");
    assert!(idle.is_idle(), "{:#?}", idle.rows_text());
    // Part-way through the spinner capture a tool runs: busy, not idle.
    let capture = capture("claude-2.1.332-spinner");
    let mut screen = ScreenNormalizer::new(ScreenOptions::new(30, 100), LineLimits::default());
    screen.set_prompt(Some(PromptSpec::claude_code()));
    let now = Instant::now();
    let mut offset = 0;
    let mut busy_seen = false;
    for step in &capture.steps {
        if let Step::Read { len, .. } = *step {
            screen.feed(&capture.bytes[offset..offset + len], now);
            offset += len;
            busy_seen |= screen.rows_text().iter().any(|row| row.contains("esc to interrupt")) && !screen.is_idle();
        }
    }
    assert!(busy_seen, "never saw the busy footer");
    assert!(screen.is_idle(), "idle again once the turn ended");
}

#[test]
fn words_at_absolute_columns_read_as_words() {
    let mut screen = ScreenNormalizer::new(ScreenOptions::new(5, 40), LineLimits::default());
    let now = Instant::now();
    screen.feed(b"\x1b[2;1H\x1b[5Gwrote\x1b[11Gthe\x1b[15Gtests", now);
    screen.settle(now + Duration::from_secs(1));
    let block = screen.block();
    let rows: Vec<_> = block.segments.iter().map(|s| String::from_utf8_lossy(block.segment_text(s))).collect();
    assert_eq!(rows, ["    wrote the tests"]);
}

#[test]
fn a_row_is_emitted_once_it_settles_and_a_growing_row_once_more() {
    let mut screen = ScreenNormalizer::new(ScreenOptions::new(5, 40), LineLimits::default());
    let t0 = Instant::now();
    assert!(screen.feed(b"All tests", t0));
    assert_eq!(screen.next_settle(), Some(t0 + ScreenOptions::new(5, 40).settle));
    screen.settle(t0 + Duration::from_millis(10));
    assert!(screen.block().segments.is_empty(), "still settling");
    assert!(screen.feed(b" pass", t0 + Duration::from_millis(20)));
    screen.settle(t0 + Duration::from_secs(1));
    let block = screen.block();
    let rows: Vec<_> = block.segments.iter().map(|s| String::from_utf8_lossy(block.segment_text(s))).collect();
    assert_eq!(rows, ["All tests pass"]);
    assert_eq!(screen.next_settle(), None);
}

#[test]
fn lines_that_scroll_off_are_final_at_once_and_wrapped_rows_join() {
    let mut screen = ScreenNormalizer::new(ScreenOptions::new(2, 10), LineLimits::default());
    let now = Instant::now();
    screen.feed(b"one\r\ntwo\r\nthree is long and wraps\r\nfour\r\n", now);
    let block = screen.block();
    let rows: Vec<_> = block.segments.iter().map(|s| String::from_utf8_lossy(block.segment_text(s))).collect();
    assert_eq!(rows, ["one", "two", "three is long and wraps"], "scrolled off, emitted without waiting");
}

#[test]
fn a_line_printed_again_later_is_a_redraw_only_while_it_is_recent() {
    let mut screen = ScreenNormalizer::new(ScreenOptions::new(3, 20), LineLimits::default());
    let now = Instant::now();
    screen.feed(b"TODO: x\r\n", now);
    for n in 0..20 {
        screen.feed(format!("filler {}\r\n", char::from(b'a' + n)).as_bytes(), now);
    }
    screen.feed(b"TODO: x\r\n\r\n\r\n", now);
    screen.finish();
    let block = screen.block();
    let todos = block.segments.iter().filter(|s| block.segment_text(s) == b"TODO: x").count();
    assert_eq!(todos, 2, "far enough apart, the same line is new output again");
}

#[test]
fn redraw_keys_drop_spinners_timers_and_counts() {
    assert_eq!(redraw_key("✻ Thinking… (3s · ↓ 1.2k tokens · esc to interrupt)"), "Thinking tokens esc to interrupt");
    assert_eq!(
        redraw_key("✢ Thinking… (1m 4s · ↓ 13.9k tokens · esc to interrupt)"),
        "Thinking tokens esc to interrupt"
    );
    assert_eq!(redraw_key("● All tests pass"), "All tests pass");
    assert_eq!(redraw_key("2 items in 3ms"), "items in");
    assert_eq!(redraw_key("12 hosts"), "hosts", "a unit letter is only dropped when glued to its number");
    assert_eq!(redraw_key("──────"), "");
}

#[test]
fn invalid_and_split_utf8_is_drawn_not_dropped() {
    let mut screen = ScreenNormalizer::new(ScreenOptions::new(3, 20), LineLimits::default());
    let now = Instant::now();
    screen.feed(b"caf\xc3", now);
    screen.feed(b"\xa9 \xff ok\r\n", now);
    screen.finish();
    assert_eq!(screen.rows_text()[0], "caf\u{e9} \u{fffd} ok");
}

mod through_the_pipeline {
    use std::sync::Arc;

    use super::*;
    use crate::pipeline::{Activity, Pipeline, PipelineOptions};
    use crate::rules::{RuleDocument, RuleSet, Scope};

    fn pipeline(yaml: &str, start: Instant) -> Pipeline {
        let rules = Arc::new(RuleSet::from_documents(vec![RuleDocument::new("t.yaml", yaml)]).unwrap());
        Pipeline::starting_at(rules, Scope::Output, "t", PipelineOptions::live().on_screen(30, 100), start)
    }

    /// Replays a capture through a live pipeline with ticks at every deadline, as a task would.
    fn drive(pipeline: &mut Pipeline, name: &str, start: Instant, until: Duration) -> Vec<(Duration, String)> {
        let capture = capture(name);
        let mut fired = Vec::new();
        let mut offset = 0;
        let mut reads = capture.steps.iter().filter_map(|step| match *step {
            Step::Read { at, len } => Some((at, len)),
            Step::Resize { .. } => None,
        });
        let mut next_read = reads.next();
        loop {
            let deadline = pipeline.next_deadline();
            let read_at = next_read.map(|(at, _)| start + at);
            let now = match (deadline, read_at) {
                (Some(tick), Some(read)) if tick < read => tick,
                (_, Some(read)) => read,
                (Some(tick), None) if tick <= start + until => tick,
                _ => break,
            };
            if Some(now) == read_at {
                let (_, len) = next_read.unwrap();
                fired.extend(
                    pipeline.push(&capture.bytes[offset..offset + len], now).into_iter().map(|i| (now - start, i.rule)),
                );
                offset += len;
                next_read = reads.next();
            } else {
                fired.extend(pipeline.tick(now).into_iter().map(|i| (now - start, i.rule)));
            }
        }
        fired
    }

    #[test]
    fn a_multi_word_rule_fires_once_on_the_real_ui() {
        let start = Instant::now();
        let mut pipeline =
            pipeline("rules:\n  - id: claim\n    match: { literals: ['All tests pass and nothing'] }\n", start);
        let fired = drive(&mut pipeline, "claude-2.1.332-sentence", start, Duration::from_secs(60));
        assert_eq!(fired.iter().filter(|(_, rule)| rule == "claim").count(), 1, "{fired:?}");
    }

    #[test]
    fn an_agent_idle_at_its_prompt_is_not_silent() {
        let start = Instant::now();
        let mut pipeline = pipeline("rules:\n  - id: quiet\n    silence: 20s\n", start);
        // The capture ends idle at the prompt at ~7 s; a minute later nothing has fired.
        let fired = drive(&mut pipeline, "claude-2.1.332-sentence", start, Duration::from_secs(90));
        assert!(fired.is_empty(), "{fired:?}");
        assert_eq!(pipeline.activity(start + Duration::from_secs(90)), Activity::Idle);
    }

    #[test]
    fn a_hung_tool_with_a_spinner_is_silent() {
        let start = Instant::now();
        let mut pipeline = pipeline("rules:\n  - id: quiet\n    silence: 2s\n", start);
        // Feed the capture up to the middle of its `sleep 6` (before the UI adds a hint at 8.7 s): the
        // spinner and its timer keep redrawing, nothing else happens.
        let capture = capture("claude-2.1.332-spinner");
        let mut offset = 0;
        let mut fired = Vec::new();
        let mut last = start;
        for step in &capture.steps {
            let Step::Read { at, len } = *step else { continue };
            if at >= Duration::from_millis(8700) {
                break;
            }
            let now = start + at;
            fired.extend(pipeline.tick(now));
            fired.extend(pipeline.push(&capture.bytes[offset..offset + len], now));
            offset += len;
            last = now;
        }
        let rows = pipeline.screen_rows().unwrap();
        assert!(rows.iter().any(|row| row.contains("esc to interrupt")), "mid-tool: {rows:#?}");
        assert!(fired.iter().any(|i| i.rule == "quiet"), "the spinner hid the silence: {rows:#?}");
        assert_eq!(pipeline.activity(last), Activity::Silent);
    }

    #[test]
    fn a_tool_hung_for_half_a_minute_is_silent_again_and_again_and_never_idle() {
        // `python3 -c "import time; time.sleep(40)"` as a Bash tool call, recorded for 33 s: the
        // spinner and both timers redraw ~10 times a second throughout. (Claude Code refuses a plain
        // `sleep 40` as a tool call, which is why the live test hangs in python.)
        let start = Instant::now();
        let mut pipeline = pipeline("rules:\n  - id: quiet\n    silence: 4s\n", start);
        let fired = drive(&mut pipeline, "claude-2.1.332-hung", start, Duration::from_secs(33));
        let rows = pipeline.screen_rows().unwrap();
        assert!(rows.iter().any(|row| row.contains("time.sleep(40)")), "the tool still runs: {rows:#?}");
        let times: Vec<Duration> = fired.iter().filter(|(_, rule)| rule == "quiet").map(|(at, _)| *at).collect();
        // The last new row (the UI's "ctrl+b to run in background" hint) comes ~10.5 s in; the silence
        // rule fires 4 s after it, then every 4 s while nothing new appears.
        assert!(times.len() >= 4, "{fired:?}");
        assert!(times[0] > Duration::from_secs(12) && times[0] < Duration::from_secs(17), "{fired:?}");
        assert_eq!(pipeline.activity(start + Duration::from_secs(33)), Activity::Silent);
    }
}
