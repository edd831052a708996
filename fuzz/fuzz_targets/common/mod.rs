//! How the targets read their input: a few control bytes that say where to cut, then the body.
//!
//! Layout: `[n] [n × (pos_lo, pos_hi, extra)] body…`, with `n = first byte % MAX_CUTS`. Each cut
//! position is taken modulo `body.len() + 1`, the cuts are sorted, and the body is split there
//! (equal cuts give empty chunks, which the code under test must accept too). `extra` is a free
//! byte per cut that a target may use, e.g. for a tick time.
#![allow(dead_code)]

pub const MAX_CUTS: usize = 24;

/// One chunk of the body and the `extra` byte of the cut that ends it (0 for the last chunk).
pub struct Chunk<'a> {
    pub bytes: &'a [u8],
    pub extra: u8,
}

/// Splits fuzzer input into chunks as described in the module docs; also returns the whole body.
pub fn chunks(data: &[u8]) -> (&[u8], Vec<Chunk<'_>>) {
    let Some((&first, rest)) = data.split_first() else { return (&[], Vec::new()) };
    let count = (first as usize % MAX_CUTS).min(rest.len() / 3);
    let (control, body) = rest.split_at(count * 3);
    let mut cuts: Vec<(usize, u8)> =
        control.chunks_exact(3).map(|c| (u16::from_le_bytes([c[0], c[1]]) as usize % (body.len() + 1), c[2])).collect();
    cuts.sort_by_key(|&(at, _)| at);
    let mut out = Vec::with_capacity(cuts.len() + 1);
    let mut start = 0;
    for (at, extra) in cuts {
        out.push(Chunk { bytes: &body[start..at], extra });
        start = at;
    }
    out.push(Chunk { bytes: &body[start..], extra: 0 });
    (body, out)
}
