//! Walking a line a byte at a time: the literals forward with Aho-Corasick, the regexes backward
//! with a reverse lazy DFA, or both in one loop.
//!
//! A DFA's transition is a load whose address depends on the load before it, so a walk runs at
//! the memory's latency (about 2 ns a byte on this machine), not at what the CPU could do. The two
//! walks of a line do not depend on each other: stepped in the same loop, the CPU runs their loads
//! side by side, and the line costs little more than the slower walk. The loops keep their states
//! in locals and leave everything but the transition to functions out of line, so that the
//! states stay in registers.
//!
//! The reverse walk is written out rather than calling `try_search_overlapping_rev`, which
//! reports the second and later patterns matching at one position one byte too far left
//! (regex-automata 0.4.19), and costs a call per match.

use aho_corasick::automaton::{Automaton, StateID};
use aho_corasick::Anchored;
use regex_automata::hybrid::dfa::{Cache, DFA};
use regex_automata::hybrid::LazyStateID;
use regex_automata::util::start;
use regex_automata::{Anchored as DfaAnchored, Input};

use super::attribution::GaveUp;

/// The literals: an overlapping Aho-Corasick automaton, built for unanchored searches with the
/// standard match semantics and no prefilter, over no empty pattern (rules refuse empty literals,
/// and a prefix is never empty): so only the states after a byte can be special, and those only
/// as match states.
pub(super) struct Literals<'a, A: Automaton> {
    pub automaton: &'a A,
    /// The group's number for each of the automaton's patterns.
    pub numbers: &'a [u32],
    pub kept: Kept<'a>,
}

/// The occurrences a literal walk keeps: one per literal, and every candidate of a regex.
pub(super) struct Kept<'a> {
    /// Patterns numbered below this are the prefixes of regexes: each of their occurrences is a
    /// candidate start. Of the others, the literals, only the first (leftmost) is kept.
    pub candidates_below: u32,
    /// Per pattern of the group: whether its first occurrence in the line was kept.
    pub seen: &'a mut [bool],
    /// `(pattern, start)` of the occurrences kept, in the order of their ends.
    pub hits: &'a mut Vec<(u32, usize)>,
}

/// The regexes: a reverse lazy DFA with "all matches" semantics.
pub(super) struct Regexes<'a> {
    pub dfa: &'a DFA,
    pub cache: &'a mut Cache,
    /// Per pattern: its leftmost start so far in the line (the walk goes right to left, so each
    /// start found is at or before the last), valid where `seen`.
    pub starts: &'a mut [usize],
    pub seen: &'a mut [bool],
    /// The patterns that matched in the line, each once.
    pub matched: &'a mut Vec<u32>,
}

/// The occurrences of the literals in `line` that `walk.kept` keeps.
pub(super) fn literals<A: Automaton>(walk: &mut Literals<A>, line: &[u8]) {
    let start = walk.start();
    literals_from(walk, line, 0, start);
}

/// The literals from `line[from..]` on, the automaton in `state` after the bytes before.
fn literals_from<A: Automaton>(walk: &mut Literals<A>, line: &[u8], from: usize, mut state: StateID) {
    for (at, &byte) in line.iter().enumerate().skip(from) {
        state = walk.automaton.next_state(Anchored::No, state, byte);
        if walk.automaton.is_special(state) {
            walk.note(state, at + 1);
        }
    }
}

/// Every match start of every regex in `line`; `Err` when the DFA gives up on it.
pub(super) fn regexes(regexes: &mut Regexes, line: &[u8]) -> Result<(), GaveUp> {
    let mut state = regexes.start(line)?;
    for at in (0..line.len()).rev() {
        state = regexes.dfa.next_state(regexes.cache, state, line[at]).map_err(|_| GaveUp)?;
        if state.is_tagged() && regexes.special(state, at + 1)? {
            return Ok(());
        }
    }
    regexes.end_of_input(state)
}

/// Both of the above in one loop: byte `k` forward and byte `len - 1 - k` backward.
pub(super) fn both<A: Automaton>(literals: &mut Literals<A>, regexes: &mut Regexes, line: &[u8]) -> Result<(), GaveUp> {
    let forward = literals.start();
    match regexes.start(line) {
        Ok(backward) => both_from(literals, regexes, line, 0, forward, backward),
        Err(GaveUp) => {
            literals_from(literals, line, 0, forward);
            Err(GaveUp)
        }
    }
}

/// [`both`] from byte `from` on, with the automata in the given states.
fn both_from<A: Automaton>(
    literals: &mut Literals<A>,
    regexes: &mut Regexes,
    line: &[u8],
    from: usize,
    mut forward: StateID,
    mut backward: LazyStateID,
) -> Result<(), GaveUp> {
    for at in from..line.len() {
        if let Some(over) = step(literals, regexes, line, at, &mut forward, &mut backward) {
            // The regexes are done with the line (no more match can start further left, or the
            // DFA gave up): the literals go on alone.
            literals_from(literals, line, at + 1, forward);
            return over;
        }
    }
    regexes.end_of_input(backward)
}

/// Reads byte `at` forward and byte `len - 1 - at` backward; `Some` when the regexes are done
/// with the line.
#[inline(always)]
fn step<A: Automaton>(
    literals: &mut Literals<A>,
    regexes: &mut Regexes,
    line: &[u8],
    at: usize,
    forward: &mut StateID,
    backward: &mut LazyStateID,
) -> Option<Result<(), GaveUp>> {
    let back_at = line.len() - 1 - at;
    *forward = literals.automaton.next_state(Anchored::No, *forward, line[at]);
    let next = regexes.dfa.next_state(regexes.cache, *backward, line[back_at]);
    if literals.automaton.is_special(*forward) {
        literals.note(*forward, at + 1);
    }
    match next {
        Ok(state) if !state.is_tagged() => {
            *backward = state;
            None
        }
        next => {
            let over = next.map_err(|_| GaveUp).and_then(|state| {
                *backward = state;
                regexes.special(state, back_at + 1)
            });
            match over {
                Ok(false) => None,
                Ok(true) => Some(Ok(())),
                Err(GaveUp) => Some(Err(GaveUp)),
            }
        }
    }
}

impl<'a, A: Automaton> Literals<'a, A> {
    fn start(&self) -> StateID {
        self.automaton.start_state(Anchored::No).expect("literal automata are built for unanchored searches")
    }

    #[inline(never)]
    fn note(&mut self, state: StateID, end: usize) {
        for index in 0..self.automaton.match_len(state) {
            let pattern = self.automaton.match_pattern(state, index);
            let number = self.numbers[pattern.as_usize()];
            let kept = &mut self.kept;
            if number < kept.candidates_below || !std::mem::replace(&mut kept.seen[number as usize], true) {
                kept.hits.push((number, end - self.automaton.pattern_len(pattern)));
            }
        }
    }
}

impl Regexes<'_> {
    fn start(&mut self, line: &[u8]) -> Result<LazyStateID, GaveUp> {
        self.dfa.start_state_reverse(self.cache, &Input::new(line)).map_err(|_| GaveUp)
    }

    /// Handles a tagged state reached with the bytes from `start` on read; `true` when the walk
    /// is over (no more match can start further left).
    #[inline(never)]
    fn special(&mut self, state: LazyStateID, start: usize) -> Result<bool, GaveUp> {
        if state.is_match() {
            // A DFA's matches are delayed by one byte: this one starts after the byte just read.
            self.note(state, start);
            Ok(false)
        } else if state.is_quit() {
            Err(GaveUp)
        } else {
            Ok(state.is_dead())
        }
    }

    fn end_of_input(&mut self, state: LazyStateID) -> Result<(), GaveUp> {
        let state = self.dfa.next_eoi_state(self.cache, state).map_err(|_| GaveUp)?;
        if state.is_match() {
            self.note(state, 0);
        }
        Ok(())
    }

    fn note(&mut self, state: LazyStateID, start: usize) {
        for index in 0..self.dfa.match_len(self.cache, state) {
            let pattern = self.dfa.match_pattern(self.cache, state, index).as_usize();
            self.starts[pattern] = start;
            if !std::mem::replace(&mut self.seen[pattern], true) {
                self.matched.push(pattern as u32);
            }
        }
    }
}

/// Where the leftmost-first match of a forward lazy DFA that starts at `start` ends, if one does:
/// what `try_search_fwd` answers for an anchored search, without that call's general set-up,
/// which a busy log pays about once a line (452,466 searches on the 384,000 lines of the heavy
/// bench). `Err` when the DFA gives up.
pub(super) fn anchored_end(dfa: &DFA, cache: &mut Cache, line: &[u8], start: usize) -> Result<Option<usize>, GaveUp> {
    let config = start::Config::new().anchored(DfaAnchored::Yes).look_behind(start.checked_sub(1).map(|at| line[at]));
    let mut state = dfa.start_state(cache, &config).map_err(|_| GaveUp)?;
    let mut end = None;
    for (at, &byte) in line.iter().enumerate().skip(start) {
        state = dfa.next_state(cache, state, byte).map_err(|_| GaveUp)?;
        if state.is_tagged() {
            if state.is_match() {
                // A DFA's matches are delayed by one byte: this one ends before `byte`.
                end = Some(at);
            } else if state.is_dead() {
                return Ok(end);
            } else if state.is_quit() {
                return Err(GaveUp);
            }
        }
    }
    state = dfa.next_eoi_state(cache, state).map_err(|_| GaveUp)?;
    Ok(if state.is_match() { Some(line.len()) } else { end })
}
