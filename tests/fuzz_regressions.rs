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

/// Found by `fuzz/` (target `match_oracle`): the scan's multi-pattern regex was built with the
/// settings of `&str` regexes while each flagged line is verified with `regex::bytes::Regex`. So
/// the scan never reported an empty match inside a UTF-8 character, and `(?-u:\B)` (between the
/// two bytes of `é` in `aéa`, its only match) fired only when some other rule flagged the line;
/// and byte patterns such as `(?-u:\xA9)`, which the verifier accepts, failed to load with an
/// unlocated "do not compile together". The scan now uses the verifier's byte semantics.
#[test]
fn the_scan_flags_every_line_the_byte_regex_matches() {
    let yaml = "rules:\n  - id: a\n    match: { regex: ['(?-u:\\B)'] }\n";
    let whole = run(yaml, &["aéa\n".as_bytes()]);
    assert_eq!(whole, [(1, 3, "a".to_string())]);
    assert_eq!(run(yaml, &[b"a\xc3", b"\xa9a\n"]), whole);
    // The same whether or not another rule flags the line.
    let two = "rules:\n  - id: a\n    match: { regex: ['(?-u:\\B)'] }\n  - id: b\n    match: { literals: [a] }\n";
    assert_eq!(run(two, &["aéa\n".as_bytes()]), [(1, 1, "b".to_string()), (1, 3, "a".to_string())]);

    let byte = "rules:\n  - id: a\n    match: { regex: ['(?-u:\\xA9)'] }\n";
    assert_eq!(run(byte, &["x\né\n".as_bytes()]), [(2, 2, "a".to_string())]);
    // Byte patterns get the same anchor check as the others.
    let err = load("rules:\n  - id: a\n    match:\n      regex: ['\\A(?-u:\\xFF)']\n").unwrap_err();
    assert!(err.starts_with("r.yaml:4:") && err.contains("use `^` and `$`"), "{err}");
}

/// Bytes allocated and not yet freed by the current thread, so a test can bound what one call keeps.
mod counting {
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::cell::Cell;

    pub struct Counting;

    thread_local! {
        static LIVE: Cell<isize> = const { Cell::new(0) };
    }

    fn add(delta: isize) {
        // `try_with`: allocations during thread teardown are not counted.
        let _ = LIVE.try_with(|live| live.set(live.get() + delta));
    }

    pub fn live() -> isize {
        LIVE.with(Cell::get)
    }

    unsafe impl GlobalAlloc for Counting {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            add(layout.size() as isize);
            unsafe { System.alloc(layout) }
        }
        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            add(-(layout.size() as isize));
            unsafe { System.dealloc(ptr, layout) }
        }
        unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            add(new_size as isize - layout.size() as isize);
            unsafe { System.realloc(ptr, layout, new_size) }
        }
    }
}

#[global_allocator]
static ALLOCATOR: counting::Counting = counting::Counting;

/// Found by review of what the `normalize` target feeds `vte`: with its default `std` feature,
/// `vte` buffers an OSC string (`ESC ]` …) without limit until a terminator arrives, so a child
/// that printed `ESC ]` and then never BEL or ESC made axiom hold all its later output in memory.
/// Without `std`, the buffer is a fixed 1 KiB.
#[test]
fn an_unterminated_osc_string_holds_bounded_memory() {
    use axiom::pipeline::{LineLimits, Normalizer};

    let mut normalizer = Normalizer::new(LineLimits::default());
    let chunk = vec![b'a'; 64 * 1024];
    normalizer.feed(b"\x1b]0;");
    let before = counting::live();
    for _ in 0..256 {
        normalizer.feed(&chunk); // 16 MiB in all
    }
    let held = counting::live() - before;
    assert!(held < 64 * 1024, "the normalizer holds {held} bytes more after 16 MiB of OSC string");
    // The string ends and normal output is seen again.
    normalizer.feed(b"\x07after\n");
    let block = normalizer.block();
    assert_eq!(block.segment_text(&block.segments[0]), b"after");
}

/// Found by the `tool_calls` target: a `kill` word that starts with a character of several bytes
/// (`kill ё!`) was sliced inside that character when kill's pids were told from its signal, so the
/// built-in pack panicked on the call (the hook refused it; `check` crashed).
#[test]
fn a_kill_word_starting_with_a_multibyte_character_is_judged_without_a_panic() {
    let pack = Arc::new(RuleSet::load(axiom::rules::RuleOrigin::Embedded).unwrap());
    let now = Instant::now();
    for (command, fires) in [("kill \u{451}!", false), ("kill -9 -\u{451}", false), ("kill -\u{451} -1", true)] {
        let line = axiom::agent::tool_line("Bash", &serde_json::json!({ "command": command }));
        let mut pipeline = Pipeline::starting_at(Arc::clone(&pack), Scope::Tool, "t", PipelineOptions::offline(), now);
        let mut fired = pipeline.push(format!("{line}\n").as_bytes(), now);
        fired.extend(pipeline.finish(now));
        let rules: Vec<&str> = fired.iter().map(|i| i.rule.as_str()).collect();
        // The word after the signal, whatever the signal's name, is the pid.
        assert_eq!(rules.contains(&"tool-kill-every-process-by-pid"), fires, "{command}: {rules:?}");
    }
}
