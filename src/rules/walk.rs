//! Walking a line a byte at a time: the literals forward with Aho-Corasick, the regexes backward
//! with a reverse lazy DFA, or both in one loop.
//!
//! A DFA's transition is a load whose address depends on the load before it, so a walk runs at
//! the memory's latency (about 2 ns a byte on this machine), not at what the CPU could do. The two
//! walks of a line do not depend on each other: stepped in the same loop, the CPU runs their loads
//! side by side, and the line costs little more than the slower walk.
//!
//! Most bytes lead to a state that needs nothing done. Each walk runs those stretches in a loop of
//! its own that makes no call and writes no memory (a "quiet stretch"), so that the compiler keeps
//! the states, the tables and the position in registers; the loop stops before the byte that
//! leads to a match, to an unknown state of the lazy DFA, or to its end, and that byte is stepped
//! on by the general code, which records what it found. (A loop that could call out on any byte
//! reloaded its tables from memory on every byte: 15% of the walk.)
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
    let mut at = from;
    while at < line.len() {
        at = quiet_literals(walk.automaton, line, at, &mut state);
        if at == line.len() {
            break;
        }
        state = walk.automaton.next_state(Anchored::No, state, line[at]);
        walk.note(state, at + 1);
        at += 1;
    }
}

/// Steps the literals' automaton from byte `at` on for as long as it reaches no special state;
/// returns the position of the byte that would reach one (or the line's length).
#[inline(always)]
fn quiet_literals<A: Automaton>(automaton: &A, line: &[u8], mut at: usize, state: &mut StateID) -> usize {
    let mut current = *state;
    while let Some(&byte) = line.get(at) {
        let next = automaton.next_state(Anchored::No, current, byte);
        if automaton.is_special(next) {
            break;
        }
        (current, at) = (next, at + 1);
    }
    *state = current;
    at
}

/// Every match start of every regex in `line`; `Err` when the DFA gives up on it.
pub(super) fn regexes(regexes: &mut Regexes, line: &[u8]) -> Result<(), GaveUp> {
    let mut state = regexes.start(line)?;
    let mut end = line.len();
    while end > 0 {
        if !state.is_tagged() {
            end -= quiet_lazy(regexes.dfa, regexes.cache, line[..end].iter().rev(), &mut state);
            if end == 0 {
                break;
            }
        }
        end -= 1;
        state = regexes.dfa.next_state(regexes.cache, state, line[end]).map_err(|_| GaveUp)?;
        if state.is_tagged() && regexes.special(state, end + 1)? {
            return Ok(());
        }
    }
    regexes.end_of_input(state)
}

/// Steps a lazy DFA, in the untagged `state`, through `bytes` for as long as it reaches untagged
/// states; returns how many bytes it took (the next one, if any, reaches a tagged state). The
/// reverse walk hands it a line's bytes backward, an anchored search forward.
#[inline(always)]
fn quiet_lazy<'a>(dfa: &DFA, cache: &Cache, bytes: impl Iterator<Item = &'a u8>, state: &mut LazyStateID) -> usize {
    let (mut current, mut taken) = (*state, 0);
    for &byte in bytes {
        let next = dfa.next_state_untagged(cache, current, byte);
        if next.is_tagged() {
            break;
        }
        (current, taken) = (next, taken + 1);
    }
    *state = current;
    taken
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
    let mut at = from;
    while at < line.len() {
        if !backward.is_tagged() {
            at = quiet_both(literals.automaton, regexes.dfa, regexes.cache, line, at, &mut forward, &mut backward);
            if at == line.len() {
                break;
            }
        }
        if let Some(over) = step(literals, regexes, line, at, &mut forward, &mut backward) {
            // The regexes are done with the line (no more match can start further left, or the
            // DFA gave up): the literals go on alone.
            literals_from(literals, line, at + 1, forward);
            return over;
        }
        at += 1;
    }
    regexes.end_of_input(backward)
}

/// [`quiet_literals`] and [`quiet_lazy`] backward in one loop, byte `at` forward and byte
/// `len - 1 - at` backward, the reverse DFA starting in an untagged state: stops at the first
/// position where either would stop.
#[inline(always)]
fn quiet_both<A: Automaton>(
    automaton: &A,
    dfa: &DFA,
    cache: &Cache,
    line: &[u8],
    mut at: usize,
    forward: &mut StateID,
    backward: &mut LazyStateID,
) -> usize {
    let (mut ahead, mut behind) = (*forward, *backward);
    let last = line.len().wrapping_sub(1);
    while let (Some(&byte), Some(&back_byte)) = (line.get(at), line.get(last.wrapping_sub(at))) {
        let next_ahead = automaton.next_state(Anchored::No, ahead, byte);
        let next_behind = dfa.next_state_untagged(cache, behind, back_byte);
        // One branch for both: either stopping is rare.
        if automaton.is_special(next_ahead) | next_behind.is_tagged() {
            break;
        }
        (ahead, behind, at) = (next_ahead, next_behind, at + 1);
    }
    (*forward, *backward) = (ahead, behind);
    at
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
    let mut at = start;
    while at < line.len() {
        if !state.is_tagged() {
            at += quiet_lazy(dfa, cache, line[at..].iter(), &mut state);
            if at == line.len() {
                break;
            }
        }
        state = dfa.next_state(cache, state, line[at]).map_err(|_| GaveUp)?;
        if state.is_tagged() {
            if state.is_match() {
                // A DFA's matches are delayed by one byte: this one ends before byte `at`.
                end = Some(at);
            } else if state.is_dead() {
                return Ok(end);
            } else if state.is_quit() {
                return Err(GaveUp);
            }
        }
        at += 1;
    }
    state = dfa.next_eoi_state(cache, state).map_err(|_| GaveUp)?;
    Ok(if state.is_match() { Some(line.len()) } else { end })
}
