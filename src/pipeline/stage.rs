//! The normalize stage a pipeline uses: the byte-stream normalizer (pipes, files, `axiom check`) or
//! the virtual terminal (the pty driver). Both fill a [`Block`]; the matcher and policy never know
//! which one ran.

use std::time::Instant;

use super::normalize::{Block, Normalizer};
use super::screen::ScreenNormalizer;

// One per pipeline, so the size does not matter; the byte normalizer, `axiom check`'s hot path,
// stays inline rather than behind a pointer.
#[allow(clippy::large_enum_variant)]
pub(super) enum Normalize {
    Bytes(Normalizer),
    Screen(ScreenNormalizer),
}

impl Normalize {
    /// Feeds a chunk; says whether it brought new content (a redraw on a screen does not).
    pub(super) fn feed(&mut self, chunk: &[u8], now: Instant) -> bool {
        match self {
            Normalize::Bytes(normalizer) => {
                normalizer.feed(chunk);
                true
            }
            Normalize::Screen(screen) => screen.feed(chunk, now),
        }
    }

    /// Time passed: screen rows that settled are emitted.
    pub(super) fn settle(&mut self, now: Instant) {
        if let Normalize::Screen(screen) = self {
            screen.settle(now);
        }
    }

    /// When [`settle`](Self::settle) next has work.
    pub(super) fn next_settle(&self) -> Option<Instant> {
        match self {
            Normalize::Bytes(_) => None,
            Normalize::Screen(screen) => screen.next_settle(),
        }
    }

    pub(super) fn finish(&mut self) {
        match self {
            Normalize::Bytes(normalizer) => normalizer.finish(),
            Normalize::Screen(screen) => screen.finish(),
        }
    }

    pub(super) fn block(&self) -> &Block {
        match self {
            Normalize::Bytes(normalizer) => normalizer.block(),
            Normalize::Screen(screen) => screen.block(),
        }
    }

    pub(super) fn consume_finished(&mut self) {
        match self {
            Normalize::Bytes(normalizer) => normalizer.consume_finished(),
            Normalize::Screen(screen) => screen.consume_finished(),
        }
    }

    /// Numbers lines from `line` on; only the byte normalizer can (a screen is one whole).
    pub(super) fn set_first_line(&mut self, line: u64) {
        if let Normalize::Bytes(normalizer) = self {
            normalizer.set_first_line(line);
        }
    }

    /// Gives this normalizer, which has read nothing yet, `old`'s buffers when both are byte
    /// normalizers.
    pub(super) fn reuse_buffers(&mut self, old: Normalize) {
        if let (Normalize::Bytes(new), Normalize::Bytes(old)) = (self, old) {
            new.reuse_buffers(old);
        }
    }

    /// Whether this is the byte normalizer, whose state at a line start is known.
    pub(super) fn is_bytes(&self) -> bool {
        matches!(self, Normalize::Bytes(_))
    }

    pub(super) fn lines(&self) -> u64 {
        match self {
            Normalize::Bytes(normalizer) => normalizer.lines(),
            Normalize::Screen(screen) => screen.lines(),
        }
    }

    pub(super) fn screen_mut(&mut self) -> Option<&mut ScreenNormalizer> {
        match self {
            Normalize::Bytes(_) => None,
            Normalize::Screen(screen) => Some(screen),
        }
    }

    pub(super) fn screen(&self) -> Option<&ScreenNormalizer> {
        match self {
            Normalize::Bytes(_) => None,
            Normalize::Screen(screen) => Some(screen),
        }
    }
}
