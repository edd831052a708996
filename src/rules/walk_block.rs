//! Walking a whole block of lines at once: the literals forward with Aho-Corasick, the regexes
//! backward with the reverse lazy DFA, each in several chains over parts of the block, what they
//! pass written down without a branch, and handed to the lines afterwards.
//!
//! A walk of one line ([`walk`](super::walk)) is one chain of dependent loads per automaton: each
//! transition waits for the one before. Chains over different parts of a text do not wait for
//! each other, so in one loop the CPU overlaps their loads; on the match-heavy bench set's literals
//! two chains take half the time a byte of one does, three about 40 % (`examples/walk_chains.rs`).
//! A line is too short for that; a block of a busy log, read in 256 KiB pieces, is not.
//!
//! Parts begin and end at line breaks. No literal holds a `\n` (the caller makes sure), so the
//! literal automaton is in its start state after one, and an occurrence never spans two lines;
//! the regexes are matched per line: the reverse DFA quits on `\n`, where its line began, and the
//! walk starts it again for the line before. Each chain of the reverse DFA has its own cache: a
//! cache that fills is cleared, which voids every state taken from it but the one being walked.

use aho_corasick::automaton::{Automaton, StateID};
use aho_corasick::Anchored;
use regex_automata::hybrid::dfa::{Cache, DFA};
use regex_automata::hybrid::LazyStateID;
use regex_automata::util::start;
use regex_automata::Anchored as DfaAnchored;

use super::attribution::GaveUp;

/// Parts of a block walked side by side, each by a chain of the literal automaton and one of the
/// reverse DFA, which has a cache of its own.
pub(super) const PARTS: usize = 2;

/// Bytes a chain walks before what it wrote down is read: the size of its buffer.
const STRETCH: usize = 1024;

/// What a walk of a block found, and room for the walks.
#[derive(Debug, Default)]
pub struct BlockFinds {
    /// `(number, start)` of every occurrence of a literal or a prefix, in order of their ends.
    pub literals: Vec<(u32, u32)>,
    /// `(pattern, start)` of every match start of the regexes, lines in order and each line's
    /// starts left to right.
    pub regexes: Vec<(u32, u32)>,
    /// Where the next line's finds begin in `literals` and in `regexes`.
    pub next: (usize, usize),
    /// Per chain: what it found, before the chains' finds are put in order.
    chain_literals: Vec<Vec<(u32, u32)>>,
    chain_regexes: Vec<Vec<(u32, u32)>>,
}

/// A chain of the literal automaton: `text[at..end]` is still to read.
#[derive(Debug, Clone, Copy)]
struct Ahead {
    state: StateID,
    at: usize,
    end: usize,
}

/// A chain of the reverse DFA: `text[begin..at]` is still to read, right to left.
#[derive(Debug, Clone, Copy)]
struct Behind {
    state: LazyStateID,
    at: usize,
    begin: usize,
    /// The line that `begin` starts has been ended (its start matched against).
    done: bool,
}

impl BlockFinds {
    /// Walks `text[begin..end]`, whole lines separated by `\n`: every occurrence of the
    /// automaton's patterns (each numbered by `numbers`) into [`literals`](Self::literals), and
    /// every start of a match of the DFA's patterns within a line into
    /// [`regexes`](Self::regexes). `Err` when the DFA gives up; then what was found is void.
    pub fn walk<A: Automaton>(
        &mut self,
        automaton: &A,
        numbers: &[u32],
        regexes: (&DFA, &mut [Cache]),
        text: &[u8],
        (begin, end): (usize, usize),
    ) -> Result<(), GaveUp> {
        let (dfa, caches) = regexes;
        assert!(caches.len() >= PARTS && u32::try_from(end).is_ok(), "the caller checks these");
        self.literals.clear();
        self.regexes.clear();
        emptied(&mut self.chain_literals, PARTS);
        emptied(&mut self.chain_regexes, PARTS);

        let start = automaton.start_state(Anchored::No).expect("literal automata are built for unanchored searches");
        let config = start::Config::new().anchored(DfaAnchored::No);
        let parts = parts::<PARTS>(text, begin, end);
        let mut aheads = parts.map(|(at, end)| Ahead { state: start, at, end });
        let mut behinds = [Behind { state: LazyStateID::default(), at: 0, begin: 0, done: false }; PARTS];
        for ((behind, (from, to)), cache) in behinds.iter_mut().zip(parts).zip(&mut *caches) {
            let state = dfa.start_state(cache, &config).map_err(|_| GaveUp)?;
            *behind = Behind { state, at: to, begin: from, done: false };
        }
        both_chains(
            (automaton, numbers),
            (dfa, caches),
            text,
            (&mut aheads, &mut behinds),
            (&mut self.chain_literals, &mut self.chain_regexes),
        )?;
        for chain in &mut self.chain_literals {
            self.literals.append(chain);
        }
        for chain in &mut self.chain_regexes {
            chain.reverse();
            self.regexes.append(chain);
        }
        Ok(())
    }
}

/// `count` empty vectors in `vectors`.
fn emptied<T>(vectors: &mut Vec<Vec<T>>, count: usize) {
    vectors.resize_with(count, Vec::new);
    vectors.iter_mut().for_each(Vec::clear);
}

/// `text[begin..end]` cut into `N` parts of about equal length at line breaks, each
/// `(begin, end)` without the break; the later parts may be empty (`begin == end`).
fn parts<const N: usize>(text: &[u8], begin: usize, end: usize) -> [(usize, usize); N] {
    let mut parts = [(end, end); N];
    let mut from = begin;
    for (index, part) in parts.iter_mut().enumerate() {
        let aim = begin + (end - begin) * (index + 1) / N;
        let to = if index + 1 == N || aim >= end {
            end
        } else {
            memchr::memchr(b'\n', &text[aim.max(from)..end]).map_or(end, |at| aim.max(from) + at)
        };
        *part = (from, to);
        from = (to + 1).min(end);
    }
    parts
}

/// Both kinds of chains, a literal and a reverse one over each of the `N` parts, side by side while
/// each has bytes left; then each chain on its own ([`literal_chains`], [`regex_chains`]).
#[allow(clippy::type_complexity)]
fn both_chains<A: Automaton, const N: usize>(
    (automaton, numbers): (&A, &[u32]),
    (dfa, caches): (&DFA, &mut [Cache]),
    text: &[u8],
    (aheads, behinds): (&mut [Ahead; N], &mut [Behind; N]),
    (literals_found, regexes_found): (&mut [Vec<(u32, u32)>], &mut [Vec<(u32, u32)>]),
) -> Result<(), GaveUp> {
    let mut literals_passed = [[StateID::default(); STRETCH]; N];
    loop {
        for chain in 0..N {
            settle(dfa, &mut caches[chain], text, &mut behinds[chain], &mut regexes_found[chain])?;
        }
        let steps = (0..N)
            .map(|chain| (aheads[chain].end - aheads[chain].at).min(behinds[chain].at - behinds[chain].begin))
            .min()
            .unwrap_or(0)
            .min(STRETCH);
        if steps == 0 {
            break;
        }
        let mut ahead_states: [StateID; N] = std::array::from_fn(|chain| aheads[chain].state);
        let mut behind_states: [LazyStateID; N] = std::array::from_fn(|chain| behinds[chain].state);
        let ahead_parts: [&[u8]; N] = std::array::from_fn(|chain| &text[aheads[chain].at..][..steps]);
        let behind_parts: [&[u8]; N] =
            std::array::from_fn(|chain| &text[..behinds[chain].at][behinds[chain].at - steps..]);
        let chain_caches: [&Cache; N] = std::array::from_fn(|chain| &caches[chain]);
        let (mut ahead_taken, mut behind_taken) = (steps, [steps; N]);
        for step in 0..steps {
            for chain in 0..N {
                let next = automaton.next_state(Anchored::No, ahead_states[chain], ahead_parts[chain][step]);
                // Every state written down: which are match states is sorted out afterwards, in a
                // loop that does not wait on the automaton.
                literals_passed[chain][step] = next;
                ahead_states[chain] = next;
            }
            let mut stopped = [false; N];
            for chain in 0..N {
                let byte = behind_parts[chain][steps - 1 - step];
                let next = dfa.next_state_untagged(chain_caches[chain], behind_states[chain], byte);
                // A match, the start of a line, an unknown state: left for `settle`.
                stopped[chain] = next.is_tagged();
                if !stopped[chain] {
                    behind_states[chain] = next;
                }
            }
            if stopped.contains(&true) {
                ahead_taken = step + 1;
                behind_taken = std::array::from_fn(|chain| step + usize::from(!stopped[chain]));
                break;
            }
        }
        for chain in 0..N {
            let (ahead, behind) = (&mut aheads[chain], &mut behinds[chain]);
            let passed = &literals_passed[chain][..ahead_taken];
            note_literal_states(automaton, numbers, passed, ahead.at as u32 + 1, &mut literals_found[chain]);
            (ahead.state, ahead.at) = (ahead_states[chain], ahead.at + ahead_taken);
            (behind.state, behind.at) = (behind_states[chain], behind.at - behind_taken[chain]);
        }
    }
    for chain in 0..N {
        let mut lone = [aheads[chain]];
        literal_chains(automaton, numbers, text, &mut lone, &mut literals_found[chain..]);
        let mut lone = [behinds[chain]];
        regex_chains(dfa, &mut caches[chain..], text, &mut lone, &mut regexes_found[chain..])?;
    }
    Ok(())
}

/// The literal chains `aheads`, all `N` of them side by side while each has bytes left, then each
/// on its own; `found` gets each chain's occurrences.
fn literal_chains<A: Automaton, const N: usize>(
    automaton: &A,
    numbers: &[u32],
    text: &[u8],
    aheads: &mut [Ahead; N],
    found: &mut [Vec<(u32, u32)>],
) {
    // On the stack, so that writing to them takes no register for where they are.
    let mut passed = [[(StateID::default(), 0u32); STRETCH]; N];
    loop {
        let steps = aheads.iter().map(|ahead| ahead.end - ahead.at).min().unwrap_or(0).min(STRETCH);
        if steps == 0 {
            break;
        }
        // Locals, not the chains' fields, so that the loop keeps them in registers; each part of
        // the text sliced to the stretch, so that reading it needs no bounds check.
        let mut states: [StateID; N] = std::array::from_fn(|chain| aheads[chain].state);
        let parts: [&[u8]; N] = std::array::from_fn(|chain| &text[aheads[chain].at..][..steps]);
        let mut counts = [0usize; N];
        for step in 0..steps {
            for chain in 0..N {
                let next = automaton.next_state(Anchored::No, states[chain], parts[chain][step]);
                // Written down at every byte, kept by counting it only at a match state (the
                // mask only tells the compiler what the stretch's length makes sure of).
                passed[chain][counts[chain] % STRETCH] = (next, step as u32);
                counts[chain] += usize::from(automaton.is_special(next));
                states[chain] = next;
            }
        }
        for chain in 0..N {
            let end = aheads[chain].at as u32 + 1;
            note_literals(automaton, numbers, &passed[chain][..counts[chain]], end, &mut found[chain]);
            aheads[chain].state = states[chain];
            aheads[chain].at += steps;
        }
    }
    if N > 1 {
        for chain in 0..N {
            let mut lone = [aheads[chain]];
            literal_chains(automaton, numbers, text, &mut lone, &mut found[chain..]);
        }
    }
}

/// The occurrences ending at the match states among `states`, the states after each byte from
/// `end - 1` on: `(number, start)`.
fn note_literal_states<A: Automaton>(
    automaton: &A,
    numbers: &[u32],
    states: &[StateID],
    end: u32,
    found: &mut Vec<(u32, u32)>,
) {
    for (step, &state) in states.iter().enumerate() {
        if automaton.is_special(state) {
            let end = end + step as u32;
            for index in 0..automaton.match_len(state) {
                let pattern = automaton.match_pattern(state, index);
                found.push((numbers[pattern.as_usize()], end - automaton.pattern_len(pattern) as u32));
            }
        }
    }
}

/// The occurrences ending at each match state passed, `step` bytes after `end`: `(number, start)`.
fn note_literals<A: Automaton>(
    automaton: &A,
    numbers: &[u32],
    passed: &[(StateID, u32)],
    end: u32,
    found: &mut Vec<(u32, u32)>,
) {
    for &(state, step) in passed {
        let end = end + step;
        for index in 0..automaton.match_len(state) {
            let pattern = automaton.match_pattern(state, index);
            found.push((numbers[pattern.as_usize()], end - automaton.pattern_len(pattern) as u32));
        }
    }
}

/// The reverse chains `behinds`, each with its cache in `caches`, all `N` side by side while
/// each has bytes left, then each on its own; `found` gets each chain's `(pattern, start)`, right
/// to left.
fn regex_chains<const N: usize>(
    dfa: &DFA,
    caches: &mut [Cache],
    text: &[u8],
    behinds: &mut [Behind; N],
    found: &mut [Vec<(u32, u32)>],
) -> Result<(), GaveUp> {
    loop {
        for chain in 0..N {
            settle(dfa, &mut caches[chain], text, &mut behinds[chain], &mut found[chain])?;
        }
        let steps = behinds.iter().map(|behind| behind.at - behind.begin).min().unwrap_or(0).min(STRETCH);
        if steps == 0 {
            break;
        }
        let mut states: [LazyStateID; N] = std::array::from_fn(|chain| behinds[chain].state);
        let parts: [&[u8]; N] = std::array::from_fn(|chain| &text[..behinds[chain].at][behinds[chain].at - steps..]);
        let chain_caches: [&Cache; N] = std::array::from_fn(|chain| &caches[chain]);
        let mut taken = [steps; N];
        for step in 0..steps {
            let mut stopped = [false; N];
            for chain in 0..N {
                let next = dfa.next_state_untagged(chain_caches[chain], states[chain], parts[chain][steps - 1 - step]);
                stopped[chain] = next.is_tagged();
                if !stopped[chain] {
                    states[chain] = next;
                }
            }
            if stopped.contains(&true) {
                taken = std::array::from_fn(|chain| step + usize::from(!stopped[chain]));
                break;
            }
        }
        for chain in 0..N {
            (behinds[chain].state, behinds[chain].at) = (states[chain], behinds[chain].at - taken[chain]);
        }
    }
    if N > 1 {
        for chain in 0..N {
            let mut lone = [behinds[chain]];
            regex_chains(dfa, &mut caches[chain..], text, &mut lone, &mut found[chain..])?;
        }
    }
    Ok(())
}

/// Takes a reverse chain over what the quiet loops leave to it, until it is in an untagged state
/// (which they can step from) before a byte that does not lead to a tagged one: a match, noted;
/// an unknown state, computed; the start of a line (the `\n` before it, or the part's beginning),
/// where the line's start is matched against and the DFA starts again for the line before; and a
/// dead state, after which the rest of the line is skipped.
fn settle(
    dfa: &DFA,
    cache: &mut Cache,
    text: &[u8],
    behind: &mut Behind,
    found: &mut Vec<(u32, u32)>,
) -> Result<(), GaveUp> {
    while !behind.done {
        let line_start = if behind.at == behind.begin {
            true
        } else {
            let byte = text[behind.at - 1];
            let next = dfa.next_state(cache, behind.state, byte).map_err(|_| GaveUp)?;
            if next.is_quit() {
                if byte != b'\n' {
                    return Err(GaveUp);
                }
                true
            } else if next.is_dead() {
                // No match starts further left in this line.
                behind.at = memchr::memrchr(b'\n', &text[behind.begin..behind.at])
                    .map_or(behind.begin, |at| behind.begin + at + 1);
                behind.state = next;
                true
            } else {
                if next.is_match() {
                    // A DFA's matches are delayed by one byte: this one starts after the byte read.
                    note_regexes(dfa, cache, next, behind.at as u32, found);
                }
                let was_tagged = behind.state.is_tagged();
                (behind.state, behind.at) = (next, behind.at - 1);
                if !was_tagged && !next.is_tagged() {
                    return Ok(());
                }
                false
            }
        };
        if !line_start {
            continue;
        }
        if !behind.state.is_dead() {
            let end = dfa.next_eoi_state(cache, behind.state).map_err(|_| GaveUp)?;
            if end.is_match() {
                note_regexes(dfa, cache, end, behind.at as u32, found);
            }
        }
        if behind.at == behind.begin {
            behind.done = true;
        } else {
            behind.at -= 1;
            behind.state =
                dfa.start_state(cache, &start::Config::new().anchored(DfaAnchored::No)).map_err(|_| GaveUp)?;
        }
    }
    Ok(())
}

/// The patterns that match starting at `start`, as match state `state` says: `(pattern, start)`.
fn note_regexes(dfa: &DFA, cache: &Cache, state: LazyStateID, start: u32, found: &mut Vec<(u32, u32)>) {
    for index in 0..dfa.match_len(cache, state) {
        found.push((dfa.match_pattern(cache, state, index).as_u32(), start));
    }
}
