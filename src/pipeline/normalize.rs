//! Stage 1: bytes in, logical lines out.
//!
//! A `vte` parser strips ANSI/OSC escapes and keeps its state across chunks, so a sequence split
//! between two writes is still removed. (`strip-ansi-escapes` drops `\t` and `\r`, which we need.)
//! Output goes into one [`Block`]: every finished segment followed by a `\n`, then the open one.
//! The matcher scans a whole block in one pass, so chunk boundaries never split a match.
//!
//! What ends a segment:
//! - `\n` or `\r\n`: the end of a line;
//! - a lone `\r` (progress bars) and cursor moves to another row or to column 1 (TUI redraws):
//!   the end of a segment that is matched on its own but keeps the line's number;
//! - a line longer than [`LineLimits::max_line`]: a window is cut and the next one starts with the
//!   last [`LineLimits::overlap`] bytes again, so memory stays bounded and a match no longer than
//!   the overlap is never lost at a window edge.
//!
//! Invalid UTF-8 becomes U+FFFD (`vte` does this) and matching carries on.

use vte::{Params, Parser, Perform};

/// Bounds on how much of one line is kept in memory at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineLimits {
    /// Longest stretch of one line matched as a whole.
    pub max_line: usize,
    /// Bytes repeated at the start of the next window of a long line.
    pub overlap: usize,
}

impl LineLimits {
    /// For tool calls, each one line: far more than a model writes in one call.
    pub const TOOL_CALL: LineLimits = LineLimits { max_line: 16 << 20, overlap: 4 * 1024 };
}

impl Default for LineLimits {
    fn default() -> Self {
        LineLimits { max_line: 64 * 1024, overlap: 4 * 1024 }
    }
}

/// One finished piece of text in a [`Block`]: a line, or part of one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment {
    /// Byte range in [`Block::text`]; the byte at `end` is the `\n` separator.
    pub start: usize,
    pub end: usize,
    /// 1-based number of the line this segment belongs to.
    pub line: u64,
    /// Offset of the segment's first byte within its line (non-zero for windows of a long line).
    pub column_base: usize,
}

/// Normalized text: finished segments separated by `\n`, then the open (unfinished) segment.
#[derive(Debug, Default)]
pub struct Block {
    pub text: Vec<u8>,
    pub segments: Vec<Segment>,
    /// Where the open segment starts; everything before it is finished.
    pub open_start: usize,
    open_column_base: usize,
    /// Number of the line being built (1-based).
    line: u64,
    /// Lines ended so far.
    lines_ended: u64,
    /// The line being built already has finished segments (windows, or text before a lone `\r`).
    line_has_segments: bool,
    /// A `\r` was seen and the next byte decides whether it was `\r\n` or a lone `\r`.
    pending_cr: bool,
    limits: LineLimits,
}

/// The normalize stage: feed it bytes, read finished segments out of [`Normalizer::block`].
pub struct Normalizer {
    parser: Parser,
    block: Block,
    /// The end of the last chunk when it stopped inside a UTF-8 character, held back until the
    /// rest arrives: `vte` 0.15 mishandles a character split across two `advance` calls (it drops
    /// what follows it, alacritty/vte#159, and prints a C1 control it would otherwise execute),
    /// so it is only ever given whole characters.
    unfinished: Utf8Carry,
    /// No ESC seen yet, so `vte` is surely in its ground state: a chunk without ESC that it would
    /// only print char by char (and execute its C0 controls) can bypass it ([`printed_as_is`]).
    plain: bool,
    /// What `vte` was last given ends in the first bytes of a character which the next byte
    /// made invalid (held back here, the next byte is a new character): `vte` keeps them, and
    /// prints their replacement character when it reads on, so what comes next must go through
    /// it too.
    vte_holds_bytes: bool,
    /// Where `vte` is in a control string (OSC, DCS, APC, PM, SOS), as far as the bytes given it
    /// tell: see [`ControlStrings`].
    strings: ControlStrings,
}

/// Whether the bytes given to `vte` left it inside a control string (`ESC ]` … BEL or `ESC \`,
/// and `ESC P`, `ESC _`, `ESC ^`, `ESC X` … `ESC \`). A terminal hides what such a string holds
/// until it is ended; so does `vte`, for as long as it is not. A child that opens one and never
/// ends it would hide every line after it from the rules, while a program reading its output as
/// text (a model reading a tool's result) still sees them: so a line break ends the string here.
#[derive(Debug, Default, Clone, Copy)]
struct ControlStrings {
    inside: bool,
    /// It is an OSC, which BEL ends too.
    osc: bool,
    /// The last byte given was an ESC: the next one says what it starts.
    escape: bool,
}

impl ControlStrings {
    /// Reads `byte`; returns whether it is a line break inside a string, which ends it.
    fn breaks_a_string(&mut self, byte: u8) -> bool {
        if std::mem::take(&mut self.escape) {
            // `ESC ESC`: the second starts a sequence of its own.
            self.escape = byte == 0x1b;
            self.inside = matches!(byte, b']' | b'P' | b'_' | b'^' | b'X');
            self.osc = byte == b']';
            return false;
        }
        match byte {
            0x1b => self.escape = true,
            // BEL ends an OSC (not the others, which take it as data); CAN and SUB cancel any.
            0x07 if self.osc => self.inside = false,
            0x18 | 0x1a => self.inside = false,
            b'\n' if self.inside => {
                self.inside = false;
                return true;
            }
            _ => {}
        }
        false
    }
}

impl Normalizer {
    pub fn new(limits: LineLimits) -> Self {
        assert!(limits.overlap < limits.max_line, "the overlap must be shorter than a window");
        Normalizer {
            parser: Parser::new(),
            block: Block::with_limits(limits),
            unfinished: Utf8Carry::default(),
            plain: true,
            vte_holds_bytes: false,
            strings: ControlStrings::default(),
        }
    }

    /// Numbers lines from `line` on (only before the first [`feed`](Self::feed)).
    pub fn set_first_line(&mut self, line: u64) {
        debug_assert!(self.block.text.is_empty() && self.block.lines_ended == 0, "set before any input");
        self.block.line = line;
    }

    /// Runs a chunk through the escape parser; finished segments appear in the block.
    pub fn feed(&mut self, bytes: &[u8]) {
        let (bytes, whole) = self.unfinished.join(bytes);
        let whole = &bytes[..whole];
        if whole.is_empty() {
            return;
        }
        if self.plain && !self.vte_holds_bytes && memchr::memchr(0x1b, whole).is_none() && printed_as_is(whole) {
            self.block.feed_plain(whole);
        } else {
            self.plain &= memchr::memchr(0x1b, whole).is_none();
            self.advance_ending_strings_at_line_breaks(whole);
            self.vte_holds_bytes = unfinished_utf8(whole) > 0;
        }
    }

    /// Gives `bytes` to `vte`, and where a line break comes inside a control string that was
    /// never ended, a new parser from there on: the string and what it held are dropped, and
    /// the lines after it are read (see [`ControlStrings`]).
    fn advance_ending_strings_at_line_breaks(&mut self, bytes: &[u8]) {
        if memchr::memchr(0x1b, bytes).is_none() && !self.strings.inside && !self.strings.escape {
            advance_in_pieces(&mut self.parser, &mut self.block, bytes);
            return;
        }
        let (mut from, mut at) = (0, 0);
        while at < bytes.len() {
            // Outside a string only an ESC can start one: the bytes up to it need no look.
            if !self.strings.inside && !self.strings.escape {
                match memchr::memchr(0x1b, &bytes[at..]) {
                    Some(escape) => at += escape,
                    None => break,
                }
            }
            if self.strings.breaks_a_string(bytes[at]) {
                advance_in_pieces(&mut self.parser, &mut self.block, &bytes[from..at]);
                self.parser = Parser::new();
                from = at;
            }
            at += 1;
        }
        advance_in_pieces(&mut self.parser, &mut self.block, &bytes[from..]);
    }

    /// The source ended: a pending `\r` or unfinished text ends the last line.
    pub fn finish(&mut self) {
        let block = &mut self.block;
        if block.pending_cr || block.open_len() > 0 {
            block.pending_cr = false;
            block.end_line();
        } else if block.line_has_segments {
            // All of the last line was matched already (it ended with a window cut, a lone `\r`
            // and a control, or a cursor move), but it is a line all the same.
            block.next_line();
        }
    }

    pub fn block(&self) -> &Block {
        &self.block
    }

    /// Drops the finished segments once they were matched, keeping the open one.
    pub fn consume_finished(&mut self) {
        self.block.consume_finished();
    }

    /// Lines ended so far (a final line without `\n` counts once [`finish`](Self::finish) ran).
    pub fn lines(&self) -> u64 {
        self.block.lines_ended
    }

    /// Gives this normalizer, which has read nothing yet, `old`'s buffers, emptied.
    pub fn reuse_buffers(&mut self, old: Normalizer) {
        debug_assert!(self.block.text.is_empty() && self.block.segments.is_empty());
        let Block { mut text, mut segments, .. } = old.block;
        text.clear();
        segments.clear();
        (self.block.text, self.block.segments) = (text, segments);
    }
}

/// The first bytes of a UTF-8 character split across two chunks, held back until the rest
/// arrives, so a decoder never sees half a character (vte#159 dropped text after one).
#[derive(Debug, Default)]
pub(super) struct Utf8Carry(Vec<u8>);

impl Utf8Carry {
    /// The chunk with the bytes held from the last one in front, and how many of its bytes are
    /// whole characters; the unfinished rest is held for the next chunk.
    pub(super) fn join<'a>(&mut self, bytes: &'a [u8]) -> (std::borrow::Cow<'a, [u8]>, usize) {
        let joined = if self.0.is_empty() {
            std::borrow::Cow::Borrowed(bytes)
        } else {
            let mut held = std::mem::take(&mut self.0);
            held.extend_from_slice(bytes);
            std::borrow::Cow::Owned(held)
        };
        let whole = joined.len() - unfinished_utf8(&joined);
        self.0.extend_from_slice(&joined[whole..]);
        (joined, whole)
    }
}

/// The most bytes `vte` is given at once. For each invalid UTF-8 byte it reads, `vte` 0.15 looks
/// for an ESC in all that is left of what it was given, so a long run of invalid bytes given at
/// once cost the square of its length (4 MB of 0xFF: 5.7 s); in pieces, each costs at most this.
const VTE_PIECE: usize = 1024;

/// `parser.advance(block, bytes)`, in pieces of at most [`VTE_PIECE`] bytes, each cut after a
/// whole character (or invalid bytes), as chunks are: so `vte` reads the same as given it whole.
fn advance_in_pieces(parser: &mut Parser, block: &mut Block, mut bytes: &[u8]) {
    while bytes.len() > VTE_PIECE {
        let mut cut = VTE_PIECE;
        while cut > VTE_PIECE - 4 && unfinished_utf8(&bytes[..cut]) > 0 {
            cut -= 1;
        }
        parser.advance(block, &bytes[..cut]);
        bytes = &bytes[cut..];
    }
    parser.advance(block, bytes);
}

/// How many bytes at the end of `bytes` are the start of a UTF-8 character still missing its
/// last bytes (0 to 3).
fn unfinished_utf8(bytes: &[u8]) -> usize {
    let Some(lead) = (bytes.len().saturating_sub(3)..bytes.len()).rev().find(|&at| bytes[at] & 0xc0 != 0x80) else {
        return 0;
    };
    match std::str::from_utf8(&bytes[lead..]) {
        Err(err) if err.error_len().is_none() => bytes.len() - lead,
        _ => 0,
    }
}

impl Block {
    /// An empty block whose first line is line 1.
    pub(super) fn with_limits(limits: LineLimits) -> Self {
        Block { line: 1, limits, ..Block::default() }
    }

    /// Adds a whole finished line (a screen row), cut into windows like any long line.
    pub(super) fn push_line(&mut self, text: &[u8]) {
        let mut text = text;
        while !text.is_empty() {
            let take = text.len().min(self.limits.max_line - self.open_len());
            self.push_text(&text[..take]);
            text = &text[take..];
        }
        self.end_line();
    }

    /// Drops the finished segments once they were matched, keeping the open one.
    pub(super) fn consume_finished(&mut self) {
        self.text.drain(..self.open_start);
        self.open_start = 0;
        self.segments.clear();
    }

    /// Lines ended so far.
    pub(super) fn lines_ended(&self) -> u64 {
        self.lines_ended
    }

    /// The unfinished segment at the end of the text, if it has any bytes.
    pub fn open_segment(&self) -> Option<Segment> {
        (self.open_len() > 0).then_some(Segment {
            start: self.open_start,
            end: self.text.len(),
            line: self.line,
            column_base: self.open_column_base,
        })
    }

    /// The text of a segment.
    pub fn segment_text(&self, segment: &Segment) -> &[u8] {
        &self.text[segment.start..segment.end]
    }

    /// All finished text (segments and their separators), which the matcher scans in one pass.
    pub fn finished_text(&self) -> &[u8] {
        &self.text[..self.open_start]
    }

    fn open_len(&self) -> usize {
        self.text.len() - self.open_start
    }

    fn close_segment(&mut self) {
        self.segments.push(Segment {
            start: self.open_start,
            end: self.text.len(),
            line: self.line,
            column_base: self.open_column_base,
        });
        self.text.push(b'\n');
        self.open_start = self.text.len();
        self.line_has_segments = true;
    }

    fn end_line(&mut self) {
        self.close_segment();
        self.next_line();
    }

    fn next_line(&mut self) {
        self.open_column_base = 0;
        self.line += 1;
        self.lines_ended += 1;
        self.line_has_segments = false;
    }

    /// A lone `\r` or a cursor jump: the text so far is matched on its own, the line goes on.
    fn end_segment(&mut self) {
        if self.open_len() > 0 {
            self.close_segment();
        }
        self.open_column_base = 0;
    }

    /// A `\r` followed by anything but `\n` was a lone `\r`.
    fn settle_pending_cr(&mut self) {
        if self.pending_cr {
            self.pending_cr = false;
            self.end_segment();
        }
    }

    /// Cuts a window off a line that grew past the limit, and starts the next with the overlap.
    fn cut_window(&mut self) {
        let window_len = self.open_len();
        let keep_from = self.text.len() - self.limits.overlap;
        self.close_segment();
        self.text.extend_from_within(keep_from..keep_from + self.limits.overlap);
        self.open_column_base += window_len - self.limits.overlap;
    }

    /// Text that `vte` would only print ([`printed_as_is`]): runs of printable characters are
    /// copied at once; controls go where `vte` would send them.
    fn feed_plain(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            let run = first_control(bytes).unwrap_or(bytes.len());
            let mut text = &bytes[..run];
            while !text.is_empty() {
                let mut take = text.len().min(self.limits.max_line - self.open_len());
                // A window ends after a whole character, as when `vte` hands them over one by one.
                while text.get(take).is_some_and(|&byte| byte & 0xc0 == 0x80) {
                    take += 1;
                }
                self.push_text(&text[..take]);
                text = &text[take..];
            }
            let Some(&control) = bytes.get(run) else { break };
            self.execute(control);
            bytes = &bytes[run + 1..];
        }
    }

    fn push_text(&mut self, bytes: &[u8]) {
        self.settle_pending_cr();
        self.text.extend_from_slice(bytes);
        if self.open_len() >= self.limits.max_line {
            self.cut_window();
        }
    }
}

/// Whether `vte` in its ground state would hand over every character of `bytes` to be printed,
/// but the C0 controls, which it executes: then the text can go around it. So for valid UTF-8
/// without a C1 control (U+0080 to U+009F, `C2 80` to `C2 9F`); `vte` prints the replacement
/// character for invalid bytes, and executes a C1 control.
fn printed_as_is(bytes: &[u8]) -> bool {
    bytes.is_ascii()
        || (std::str::from_utf8(bytes).is_ok()
            && !memchr::memchr_iter(0xc2, bytes).any(|at| bytes.get(at + 1).is_some_and(|&next| next <= 0x9f)))
}

/// Where the first control byte (below 0x20) of `bytes` is. Looked for 32 bytes at a time with
/// an OR over the chunk, which compiles to a few vector instructions (`position` alone reads a
/// byte a time, and plain text is read here once a byte).
fn first_control(bytes: &[u8]) -> Option<usize> {
    const CHUNK: usize = 32;
    let is_control = |&byte: &u8| byte < 0x20;
    let mut chunks = bytes.chunks_exact(CHUNK);
    for (index, chunk) in chunks.by_ref().enumerate() {
        if chunk.iter().fold(false, |any, byte| any | is_control(byte)) {
            return chunk.iter().position(is_control).map(|at| index * CHUNK + at);
        }
    }
    let rest = chunks.remainder();
    rest.iter().position(is_control).map(|at| bytes.len() - rest.len() + at)
}

impl Perform for Block {
    fn print(&mut self, c: char) {
        // Fast path: an ASCII character in the middle of a line is one byte pushed, no memcpy.
        if c.is_ascii() && !self.pending_cr && self.open_len() + 1 < self.limits.max_line {
            self.text.push(c as u8);
            return;
        }
        let mut utf8 = [0; 4];
        self.push_text(c.encode_utf8(&mut utf8).as_bytes());
    }

    fn execute(&mut self, byte: u8) {
        match byte {
            b'\n' => {
                self.pending_cr = false;
                self.end_line();
            }
            b'\r' => {
                self.settle_pending_cr();
                self.pending_cr = true;
            }
            b'\t' => self.push_text(b"\t"),
            // Bell, backspace and other controls carry no text.
            _ => self.settle_pending_cr(),
        }
    }

    fn csi_dispatch(&mut self, params: &Params, _intermediates: &[u8], _ignore: bool, action: char) {
        self.settle_pending_cr();
        match action {
            // Cursor up/down/next/previous line, to a column, to a position, to a row; erase display:
            // what follows is drawn somewhere else on the screen.
            'A' | 'B' | 'E' | 'F' | 'G' | 'H' | 'f' | 'd' | 'J' => self.end_segment(),
            // Cursor forward stands for blank space between words.
            'C' => {
                let count = params.iter().next().and_then(|p| p.first().copied()).unwrap_or(1).clamp(1, 64);
                for _ in 0..count {
                    self.push_text(b" ");
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by `fuzz/` (target `normalize`) once valid UTF-8 went around vte: `E4 A4` is the
    /// start of a character until the `CE` after it, which was held back with the chunk's end;
    /// vte, given `E4 A4` alone, kept them, and `CE BE` (`ξ`) went around it and came out before
    /// their replacement character.
    #[test]
    fn text_after_bytes_that_vte_holds_goes_through_vte() {
        let chunks: [&[u8]; 4] = [b"a\xe4", b"\xa4\xce", b"\xbe\xe4\xa9", b"2\n"];
        let whole = segments(&[&chunks.concat()], LineLimits::default());
        assert_eq!(whole.0[0].2, "a\u{fffd}\u{3be}\u{fffd}2");
        assert_eq!(segments(&chunks, LineLimits::default()), whole);
    }

    #[test]
    fn text_that_goes_around_vte_normalizes_as_through_it() {
        let texts: [&[u8]; 6] = [
            "café ✓ naïve\n日本語のテキスト\tand more\n".as_bytes(),
            "😀😀😀😀😀😀😀😀😀😀😀😀 a long line of wide characters 😀😀😀😀\n".as_bytes(),
            "r\u{e9}sum\u{e9}\r\nover\rwritten \u{7f} del\x07bell\n".as_bytes(),
            // A C1 control (U+0085) and invalid bytes: these go through vte either way.
            "next\u{85}line ok\n".as_bytes(),
            b"bad \xff\xfe bytes \xc3(\n",
            "plain ascii only\n".as_bytes(),
        ];
        for text in texts {
            for limits in
                [LineLimits { max_line: 7, overlap: 3 }, LineLimits { max_line: 1, overlap: 0 }, LineLimits::default()]
            {
                // An SGR reset first: it draws nothing, and sends all that follows through vte.
                let through_vte = segments(&[&[b"\x1b[0m", text].concat()], limits);
                assert_eq!(
                    segments(&[text], limits),
                    through_vte,
                    "{:?} with {limits:?}",
                    String::from_utf8_lossy(text)
                );
            }
        }
        assert!(printed_as_is("café ✓".as_bytes()) && printed_as_is(b"ascii\x7f\x01"));
        assert!(!printed_as_is("next\u{85}".as_bytes()) && !printed_as_is(b"bad \xff"));
    }

    #[test]
    fn the_first_control_byte_is_found_in_any_chunk_and_in_the_remainder() {
        for len in [0, 1, 31, 32, 33, 64, 100] {
            let plain = vec![b'a'; len];
            assert_eq!(first_control(&plain), None, "no control in {len} bytes");
            for at in 0..len {
                for control in [0x00, b'\n', 0x1f] {
                    let mut text = plain.clone();
                    text[at] = control;
                    // A later control does not hide the first.
                    if at + 1 < len {
                        text[len - 1] = b'\r';
                    }
                    assert_eq!(first_control(&text), Some(at), "control {control:#x} at {at} of {len}");
                }
            }
        }
        assert_eq!(first_control(b"x\x20\x7f\xff"), None, "space, DEL and high bytes are text here");
    }

    /// Feeds chunks, finishes, and returns `(line, column_base, text)` for every segment.
    fn segments(chunks: &[&[u8]], limits: LineLimits) -> (Vec<(u64, usize, String)>, u64) {
        let mut normalizer = Normalizer::new(limits);
        for chunk in chunks {
            normalizer.feed(chunk);
        }
        normalizer.finish();
        let block = normalizer.block();
        let found = block
            .segments
            .iter()
            .map(|s| (s.line, s.column_base, String::from_utf8_lossy(block.segment_text(s)).into_owned()))
            .collect();
        (found, normalizer.lines())
    }

    fn texts(chunks: &[&[u8]]) -> Vec<String> {
        segments(chunks, LineLimits::default()).0.into_iter().map(|(_, _, text)| text).collect()
    }

    #[test]
    fn a_control_string_never_ended_hides_no_line_after_its_own() {
        // An OSC, DCS or APC opened and never ended: the lines after it are read all the same.
        for opener in [&b"\x1b]0;"[..], b"\x1bP", b"\x1b_", b"\x1b^", b"\x1bX"] {
            let chunk = [opener, b"hidden\nrm -rf ~\nlast\n"].concat();
            assert_eq!(texts(&[&chunk]), ["", "rm -rf ~", "last"], "{opener:?}");
            // The opener's ESC in one chunk, the rest in the next.
            let (esc, rest) = chunk.split_at(1);
            assert_eq!(texts(&[esc, rest]), ["", "rm -rf ~", "last"], "{opener:?} split");
        }
        // BEL ends only an OSC; an ESC after an ESC starts a sequence of its own.
        assert_eq!(texts(&[b"\x1bP\x07hidden\nseen\n"]), ["", "seen"]);
        assert_eq!(texts(&[b"\x1b\x1b]0;hidden\nseen\n"]), ["", "seen"]);
        // Ended strings are stripped as before, a line break after them included.
        assert_eq!(texts(&[b"a\x1b]0;t\x07b\nc\x1bPq#0\x1b\\d\n"]), ["ab", "cd"]);
    }

    #[test]
    fn strips_escapes_split_across_chunks() {
        assert_eq!(texts(&[b"\x1b[3", b"1mred\x1b", b"[0m plain\n"]), ["red plain"]);
        assert_eq!(texts(&[b"a\x1b]0;title\x07b\n"]), ["ab"]);
        assert_eq!(texts(&[b"a\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\b\n"]), ["alinkb"]);
    }

    #[test]
    fn crlf_is_one_line_end_even_split() {
        let (found, lines) = segments(&[b"one\r", b"\ntwo\r\n"], LineLimits::default());
        assert_eq!(found, [(1, 0, "one".into()), (2, 0, "two".into())]);
        assert_eq!(lines, 2);
    }

    #[test]
    fn lone_cr_ends_a_segment_of_the_same_line() {
        let (found, lines) = segments(&[b" 10%\r 20%\r", b" done\nnext\n"], LineLimits::default());
        assert_eq!(
            found,
            [(1, 0, " 10%".into()), (1, 0, " 20%".into()), (1, 0, " done".into()), (2, 0, "next".into())]
        );
        assert_eq!(lines, 2);
    }

    #[test]
    fn keeps_tabs_and_drops_other_controls() {
        assert_eq!(texts(&[b"a\tb\x07c\x08\n"]), ["a\tbc"]);
    }

    #[test]
    fn a_long_run_of_invalid_bytes_costs_time_in_proportion() {
        // Given whole to `vte`, this took minutes (its cost grew with the square of the run).
        let started = std::time::Instant::now();
        let mut normalizer = Normalizer::new(LineLimits::default());
        normalizer.feed(&vec![0xff; 1 << 20]);
        normalizer.finish();
        assert!(started.elapsed() < std::time::Duration::from_secs(10), "{:?}", started.elapsed());
        // (A window of a long line is cut by bytes, in a character at times.)
        let text = String::from_utf8_lossy(normalizer.block().finished_text());
        assert!(text.len() > 3 << 20 && text.chars().all(|c| c == '\u{fffd}' || c == '\n'), "{}", text.len());
    }

    #[test]
    fn characters_and_invalid_bytes_read_alike_given_whole_or_in_pieces() {
        let mut input = Vec::new();
        for round in 0..600u32 {
            input.extend_from_slice("é€😀".as_bytes());
            input.extend_from_slice(&[0xe2, 0x82, b'a', 0xff, 0xf0, 0x9f, 0x98]);
            input.extend_from_slice(format!("\x1b[31mline {round}\x1b[0m\n").as_bytes());
        }
        let mut whole = Normalizer::new(LineLimits::default());
        whole.advance_ending_strings_at_line_breaks(&input);
        let mut direct = Block::with_limits(LineLimits::default());
        Parser::new().advance(&mut direct, &input);
        assert_eq!(whole.block().text, direct.text);
    }

    #[test]
    fn invalid_utf8_is_replaced_not_dropped() {
        assert_eq!(texts(&[b"bad \xff\xfe byte TODO:\n"]), ["bad \u{fffd}\u{fffd} byte TODO:"]);
        // A code point split across chunks survives.
        assert_eq!(texts(&[b"caf\xc3", b"\xa9\n"]), ["caf\u{e9}"]);
    }

    /// Found by `fuzz/` (target `normalize`, the chunking differential): `vte` 0.15 drops the text
    /// after a character that was split across two chunks when an unfinished character follows
    /// within three bytes (alacritty/vte#159), and prints a split C1 control (U+0080..U+009F)
    /// that it executes when whole. The normalizer now only hands `vte` whole characters.
    #[test]
    fn characters_split_across_chunks_lose_nothing() {
        let cases: [&[u8]; 4] =
            [b"\xc2\xa9 \xc2", "B\u{301}C\u{2500}".as_bytes(), b"a\xc2\x85b", b"\xf0\x9f\x98\x80 x\xe2\x94"];
        for input in cases {
            let whole = segments(&[input], LineLimits::default());
            for at in 1..input.len() {
                assert_eq!(
                    segments(&[&input[..at], &input[at..]], LineLimits::default()),
                    whole,
                    "{input:?} split at {at}"
                );
            }
            let bytewise: Vec<&[u8]> = input.chunks(1).collect();
            assert_eq!(segments(&bytewise, LineLimits::default()), whole, "{input:?} byte by byte");
        }
        assert_eq!(texts(&[b"\xc2\xa9", b" \xc2", b"\xa9!\n"]), ["\u{a9} \u{a9}!"]);
        assert_eq!(texts(&[b"a\xc2", b"\x85b\n"]), ["ab"], "a C1 control is no text, split or not");
        // An unfinished character before an escape, or a stray continuation byte, is still U+FFFD.
        assert_eq!(texts(&[b"a\xe2", b"\x1b[0mb\n"]), ["a\u{fffd}b"]);
        assert_eq!(texts(&[b"a\xe2\x94", b"b\n"]), ["a\u{fffd}b"]);
    }

    #[test]
    fn final_line_without_newline_counts() {
        let (found, lines) = segments(&[b"a\nProceed? (y/n)"], LineLimits::default());
        assert_eq!(found.last().unwrap().2, "Proceed? (y/n)");
        assert_eq!(lines, 2);
        let (_, lines) = segments(&[b"a\n"], LineLimits::default());
        assert_eq!(lines, 1);
    }

    /// Found by `fuzz/` (target `normalize`): a last line whose text was all matched before the
    /// end (a window cut with no overlap, a lone `\r` then a control, a cursor move) was not
    /// counted, so `lines()` was one less than the last segment's line number.
    #[test]
    fn final_line_already_matched_still_counts() {
        let no_overlap = LineLimits { max_line: 4, overlap: 0 };
        for (input, limits) in [
            (&b"a\n0123"[..], no_overlap),
            (b"a\nprogress\r\x07", LineLimits::default()),
            (b"a\nredraw\x1b[1A", LineLimits::default()),
        ] {
            let (found, lines) = segments(&[input], limits);
            assert_eq!(found.last().unwrap().0, 2, "{input:?}");
            assert_eq!(lines, 2, "{input:?}");
        }
        // Lines that end with `\n` are not counted twice.
        let (_, lines) = segments(&[b"0123\n"], no_overlap);
        assert_eq!(lines, 1);
        let (found, lines) = segments(&[b"\x07"], LineLimits::default());
        assert_eq!((found.len(), lines), (0, 0), "nothing printed, no line");
    }

    #[test]
    fn cursor_moves_split_tui_redraws() {
        assert_eq!(texts(&[b"first\x1b[2K\x1b[1A\x1b[2K\x1b[Gsecond\n"]), ["first", "second"]);
        assert_eq!(texts(&[b"a\x1b[3Cb\n"]), ["a   b"]);
    }

    #[test]
    fn long_lines_are_cut_into_overlapping_windows() {
        let limits = LineLimits { max_line: 10, overlap: 4 };
        let (found, lines) = segments(&[b"0123456789abcdefghij\n"], limits);
        assert_eq!(found, [(1, 0, "0123456789".into()), (1, 6, "6789abcdef".into()), (1, 12, "cdefghij".into()),]);
        assert_eq!(lines, 1);
    }

    #[test]
    fn tui_capture_normalizes_to_readable_lines() {
        let capture =
            std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/claude-code-tui-capture.txt")).unwrap();
        let mut normalizer = Normalizer::new(LineLimits::default());
        for chunk in capture.chunks(7) {
            normalizer.feed(chunk);
        }
        normalizer.finish();
        let block = normalizer.block();
        let all: Vec<String> =
            block.segments.iter().map(|s| String::from_utf8_lossy(block.segment_text(s)).into_owned()).collect();
        assert!(all.iter().any(|line| line.contains("Welcome to Claude Code!")));
        assert!(all.iter().any(|line| line.contains("Write print(\"hello world\") in Python")));
        assert!(all.iter().all(|line| !line.contains('\x1b')), "an escape survived");
    }
}
