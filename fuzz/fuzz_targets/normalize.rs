//! Arbitrary bytes, cut into chunks at fuzzer-chosen points, through the normalize stage.
//!
//! Run with three sets of limits (the suggested small one, a window barely longer than its
//! overlap, and a one-byte window with no overlap). Checked:
//! - no panic;
//! - memory stays bounded: after every chunk, once finished segments are consumed, at most
//!   `max_line` bytes are held;
//! - segment texts hold no ESC, `\n` or `\r`, and are at most `max_line + 3` bytes (a window is cut
//!   once it reaches `max_line`, and the last character may have been up to 4 bytes long);
//! - segment line numbers start at 1 and grow by 0 or 1; a window of a long line (column base > 0)
//!   follows the previous window of the same line and starts with its last `overlap` bytes;
//! - the line count: every line that produced a segment is counted, nothing else
//!   (`lines() == last segment's line`), and `lines()` is at most the number of `\n` bytes + 1;
//!   without ESC in the input no `\n` can hide inside an escape sequence, so it is at least the
//!   number of `\n` bytes too;
//! - chunking does not matter: the segments equal those of the whole input fed at once.
#![no_main]

mod common;

use axiom::pipeline::{LineLimits, Normalizer};
use libfuzzer_sys::fuzz_target;

const LIMITS: [LineLimits; 3] = [
    LineLimits { max_line: 64, overlap: 16 },
    LineLimits { max_line: 5, overlap: 4 },
    LineLimits { max_line: 1, overlap: 0 },
];

/// (line, column_base, text) for each segment, and the final line count.
type Normalized = (Vec<(u64, usize, Vec<u8>)>, u64);

fuzz_target!(|data: &[u8]| {
    let (body, chunks) = common::chunks(data);
    for limits in LIMITS {
        let chunked = normalize(chunks.iter().map(|c| c.bytes), limits);
        check(body, &chunked, limits);
        let whole = normalize(std::iter::once(body), limits);
        assert_eq!(chunked, whole, "chunking changed the result ({limits:?})");
    }
});

fn normalize<'a>(chunks: impl Iterator<Item = &'a [u8]>, limits: LineLimits) -> Normalized {
    let mut normalizer = Normalizer::new(limits);
    let mut segments = Vec::new();
    let mut take = |normalizer: &mut Normalizer| {
        let block = normalizer.block();
        for segment in &block.segments {
            segments.push((segment.line, segment.column_base, block.segment_text(segment).to_vec()));
        }
        normalizer.consume_finished();
        assert!(normalizer.block().text.len() <= limits.max_line, "holding {} bytes", normalizer.block().text.len());
    };
    for chunk in chunks {
        normalizer.feed(chunk);
        take(&mut normalizer);
    }
    normalizer.finish();
    take(&mut normalizer);
    assert!(normalizer.block().open_segment().is_none(), "text left open after finish");
    (segments, normalizer.lines())
}

fn check(body: &[u8], (segments, lines): &Normalized, limits: LineLimits) {
    let mut previous: Option<&(u64, usize, Vec<u8>)> = None;
    for segment @ (line, column_base, text) in segments {
        for forbidden in [0x1b, b'\n', b'\r'] {
            assert!(!text.contains(&forbidden), "segment {text:?} holds byte {forbidden:#x}");
        }
        assert!(text.len() <= limits.max_line + 3, "segment of {} bytes ({limits:?})", text.len());
        let expected_line = previous.map_or(1, |p| p.0);
        assert!(*line == expected_line || *line == expected_line + 1, "line {line} after {expected_line}");
        if previous.is_none() {
            assert_eq!(*line, 1);
        }
        if *column_base > 0 {
            let (p_line, p_base, p_text) = previous.expect("a window continues a segment");
            assert_eq!(p_line, line, "a window continues the same line");
            assert_eq!(*column_base, p_base + p_text.len() - limits.overlap, "window column");
            assert_eq!(&text[..limits.overlap], &p_text[p_text.len() - limits.overlap..], "window overlap");
        }
        previous = Some(segment);
    }
    let last_line = segments.last().map_or(0, |s| s.0);
    assert_eq!(*lines, last_line, "lines() disagrees with the segments' line numbers");
    let newlines = body.iter().filter(|&&b| b == b'\n').count() as u64;
    assert!(*lines <= newlines + 1, "{lines} lines from {newlines} newlines");
    if !body.contains(&0x1b) {
        assert!(*lines >= newlines, "{lines} lines from {newlines} newlines, no escapes");
    }
}
