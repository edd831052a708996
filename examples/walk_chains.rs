//! How fast a rule set's literals can be walked through an Aho-Corasick DFA, by the ways of
//! walking that could replace the attribution's one-line walk (`src/rules/walk.rs`): one chain
//! of transitions, several chains over equal parts of the text in one loop, and (on a CPU with
//! AVX-512) 16, 32, 48 or 64 lanes stepped together with gathers; and both automata attribution
//! walks, the literals forward and the unprefixed regexes backward, in chains over a whole text.
//!
//! The walk waits on each transition's load before it can start the next, so one chain runs at
//! the latency of a load; chains side by side overlap their loads until the core runs out of
//! something else. This measures where that is, for the literals of a rule file on a text.
//!
//! ```text
//! cargo run --release --example walk_chains -- benches/rules-heavy.yaml big.log
//! ```
//!
//! Each line prints nanoseconds per byte and how many match states the walk passed through
//! (every way must count the same, give or take the matches that straddle a part's edge).
//!
//! `WALK_PREFIXES=1` adds the literals every match of a regex starts with, as attribution does;
//! the "narrow" rows walk the same automaton from a table of 16-bit state numbers.

use std::collections::{HashMap, HashSet};
use std::hash::Hash;
use std::time::Instant;

use aho_corasick::automaton::Automaton;
use aho_corasick::{dfa, Anchored, MatchKind};
use axiom::rules::{RuleDocument, RuleSet};

/// A DFA with its states renumbered so that the match states come first: a transition is a
/// state's row plus a byte's class, and a match is a state below `match_limit`.
struct Table {
    transitions: Vec<u32>,
    classes: [u8; 256],
    match_limit: u32,
    start: u32,
}

impl Table {
    fn new(literals: &[String]) -> Table {
        let automaton = dfa::Builder::new()
            .match_kind(MatchKind::Standard)
            .prefilter(false)
            .build(literals)
            .expect("the literals build a DFA");
        // Class 0 holds every byte no literal uses.
        let mut classes = [0u8; 256];
        let mut representative = vec![0u8];
        for byte in literals.iter().flat_map(|literal| literal.bytes()) {
            if classes[byte as usize] == 0 {
                classes[byte as usize] = representative.len() as u8;
                representative.push(byte);
            }
        }
        representative[0] = (0..=255u8).find(|byte| classes[*byte as usize] == 0).expect("a byte no literal uses");
        let start = automaton.start_state(Anchored::No).expect("an unanchored start");
        let table = Table::renumbered(
            start,
            classes,
            &representative,
            |state, byte| automaton.next_state(Anchored::No, state, byte),
            |state| automaton.is_match(state),
        );
        eprintln!("{} literals: {}", literals.len(), table.describe(representative.len()));
        table
    }

    /// The table of an automaton walked from `start`: every state reached through a byte of
    /// `representative` (one per class), the match states numbered first.
    fn renumbered<S: Copy + Eq + Hash>(
        start: S,
        classes: [u8; 256],
        representative: &[u8],
        next_state: impl Fn(S, u8) -> S,
        is_match: impl Fn(S) -> bool,
    ) -> Table {
        let mut reached = vec![start];
        let mut known = HashSet::from([start]);
        let mut next = 0;
        while let Some(&state) = reached.get(next) {
            next += 1;
            for &byte in representative {
                let to = next_state(state, byte);
                if known.insert(to) {
                    reached.push(to);
                }
            }
        }
        reached.sort_by_key(|&state| !is_match(state));
        let match_states = reached.iter().filter(|&&state| is_match(state)).count();
        let stride = representative.len();
        let row: HashMap<S, u32> =
            reached.iter().enumerate().map(|(number, &state)| (state, (number * stride) as u32)).collect();
        let transitions = reached
            .iter()
            .flat_map(|&state| representative.iter().map(move |&byte| (state, byte)))
            .map(|(state, byte)| row[&next_state(state, byte)])
            .collect::<Vec<u32>>();
        Table { transitions, classes, match_limit: (match_states * stride) as u32, start: row[&start] }
    }

    fn describe(&self, stride: usize) -> String {
        format!(
            "{} states, {} byte classes, {} KiB of transitions",
            self.transitions.len() / stride,
            stride,
            self.transitions.len() * 4 / 1024
        )
    }
}

/// The same automaton with 16-bit transitions holding a state's number, not its row: half the
/// table, for a multiply by the stride on every step of the chain.
struct NarrowTable {
    transitions: Vec<u16>,
    classes: [u8; 256],
    stride: usize,
    match_states: u16,
    start: u16,
}

impl NarrowTable {
    fn new(wide: &Table) -> Option<NarrowTable> {
        let stride = wide.stride();
        let number = |row: u32| u16::try_from(row as usize / stride).ok();
        Some(NarrowTable {
            transitions: wide.transitions.iter().map(|&row| number(row)).collect::<Option<Vec<u16>>>()?,
            classes: wide.classes,
            stride,
            match_states: number(wide.match_limit)?,
            start: number(wide.start)?,
        })
    }
}

impl Table {
    fn stride(&self) -> usize {
        usize::from(*self.classes.iter().max().expect("256 classes")) + 1
    }

    /// A reverse DFA of `regexes` ("all matches", ASCII word boundaries), renumbered like the
    /// literals' automaton: a backward walk from the text's end finds every start of a match.
    fn reverse(regexes: &[String]) -> Table {
        use regex_automata::dfa::{dense, Automaton as _};
        use regex_automata::util::{start, syntax};
        use regex_automata::{nfa::thompson, Anchored as DfaAnchored, MatchKind as DfaMatchKind};
        let dfa = dense::Builder::new()
            .configure(dense::Config::new().match_kind(DfaMatchKind::All))
            .syntax(syntax::Config::new().unicode(false).utf8(false))
            .thompson(thompson::Config::new().reverse(true).utf8(false))
            .build_many(regexes)
            .expect("the regexes build a dense DFA");
        let byte_classes = dfa.byte_classes();
        let representative: Vec<u8> = (0..=255u8).fold(Vec::new(), |mut seen: Vec<u8>, byte| {
            if !seen.iter().any(|&other| byte_classes.get(other) == byte_classes.get(byte)) {
                seen.push(byte);
            }
            seen
        });
        let mut classes = [0u8; 256];
        for byte in 0..=255u8 {
            classes[byte as usize] =
                representative.iter().position(|&other| byte_classes.get(other) == byte_classes.get(byte)).unwrap()
                    as u8;
        }
        let start = dfa.start_state(&start::Config::new().anchored(DfaAnchored::No)).expect("an unanchored start");
        let table = Table::renumbered(
            start,
            classes,
            &representative,
            |state, byte| dfa.next_state(state, byte),
            |state| dfa.is_match_state(state),
        );
        eprintln!("{} regexes, reversed: {}", regexes.len(), table.describe(representative.len()));
        table
    }
}

/// `N` chains of the literals forward and `N` of the regexes backward, each pair over its own
/// `1 / N` of the text, in one loop; every match state is written down, as a walk that hands its
/// hits to the lines afterwards must: with `BRANCHLESS`, by a store on every byte and a count that
/// moves only on a match; otherwise behind a branch taken only on a match.
fn both_ways<const N: usize, const BRANCHLESS: bool>(
    literals: &Table,
    regexes: &Table,
    text: &[u8],
    hits: &mut [u64],
) -> u64 {
    let part = text.len() / N;
    let mask = hits.len() - 1;
    let (mut forward, mut backward) = ([literals.start; N], [regexes.start; N]);
    let mut found = 0usize;
    let mut note = |at: usize, state: u32, limit: u32| {
        if BRANCHLESS {
            hits[found & mask] = (at as u64) << 32 | u64::from(state);
            found += usize::from(state < limit);
        } else if state < limit {
            hits[found & mask] = (at as u64) << 32 | u64::from(state);
            found += 1;
        }
    };
    for step in 0..part {
        for chain in 0..N {
            let at = chain * part + step;
            let class = literals.classes[text[at] as usize];
            forward[chain] = literals.transitions[forward[chain] as usize + class as usize];
            note(at, forward[chain], literals.match_limit);
            let back = (chain + 1) * part - 1 - step;
            let class = regexes.classes[text[back] as usize];
            backward[chain] = regexes.transitions[backward[chain] as usize + class as usize];
            note(back, backward[chain], regexes.match_limit);
        }
    }
    found as u64
}

/// A table the chains step through: a state, and the next one for a byte's class.
trait Steps {
    type State: Copy;
    fn start(&self) -> Self::State;
    fn class(&self, byte: u8) -> usize;
    fn next(&self, state: Self::State, class: usize) -> Self::State;
    fn is_match(&self, state: Self::State) -> bool;
}

impl Steps for Table {
    type State = u32;
    fn start(&self) -> u32 {
        self.start
    }
    fn class(&self, byte: u8) -> usize {
        self.classes[byte as usize] as usize
    }
    fn next(&self, state: u32, class: usize) -> u32 {
        self.transitions[state as usize + class]
    }
    fn is_match(&self, state: u32) -> bool {
        state < self.match_limit
    }
}

impl Steps for NarrowTable {
    type State = u16;
    fn start(&self) -> u16 {
        self.start
    }
    fn class(&self, byte: u8) -> usize {
        self.classes[byte as usize] as usize
    }
    // The multiply by the stride is on the chain: what this table costs.
    fn next(&self, state: u16, class: usize) -> u16 {
        self.transitions[state as usize * self.stride + class]
    }
    fn is_match(&self, state: u16) -> bool {
        state < self.match_states
    }
}

/// `N` chains, each over its own `1 / N` of the text, stepped in one loop.
fn chains<const N: usize, T: Steps>(table: &T, text: &[u8]) -> u64 {
    let part = text.len() / N;
    let mut states = [table.start(); N];
    let mut matches = 0;
    for at in 0..part {
        for (chain, state) in states.iter_mut().enumerate() {
            *state = table.next(*state, table.class(text[chain * part + at]));
            matches += u64::from(table.is_match(*state));
        }
    }
    matches
}

/// `16 * V` lanes, each over its own part of the text (bytes already mapped to their classes),
/// stepped with one gather per 16 lanes and byte, and one per four bytes to read them.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn lanes<const V: usize>(table: &Table, classes: &[u8]) -> u64 {
    use std::arch::x86_64::*;
    let part = (classes.len() / (16 * V)) & !3;
    let mut positions = [_mm512_setzero_si512(); V];
    for (vector, lanes) in positions.iter_mut().enumerate() {
        let starts: [i32; 16] = std::array::from_fn(|lane| ((vector * 16 + lane) * part) as i32);
        *lanes = _mm512_set_epi32(
            starts[15], starts[14], starts[13], starts[12], starts[11], starts[10], starts[9], starts[8], starts[7],
            starts[6], starts[5], starts[4], starts[3], starts[2], starts[1], starts[0],
        );
    }
    let mut states = [_mm512_set1_epi32(table.start as i32); V];
    let limit = _mm512_set1_epi32(table.match_limit as i32);
    let mut matches = 0u64;
    for _ in (0..part).step_by(4) {
        let mut words = [_mm512_setzero_si512(); V];
        for vector in 0..V {
            // SAFETY: every lane reads 4 bytes at a position below `16 * V * part <= len - 3`
            // (`part` is a multiple of 4 and the last lane ends at or before the text's end).
            words[vector] = unsafe { _mm512_i32gather_epi32::<1>(positions[vector], classes.as_ptr().cast()) };
            positions[vector] = _mm512_add_epi32(positions[vector], _mm512_set1_epi32(4));
        }
        for shift in [0, 8, 16, 24] {
            for vector in 0..V {
                let class = _mm512_and_si512(
                    _mm512_srlv_epi32(words[vector], _mm512_set1_epi32(shift)),
                    _mm512_set1_epi32(0xff),
                );
                let index = _mm512_add_epi32(states[vector], class);
                // SAFETY: a state is a row's first index and a class is below the stride.
                states[vector] = unsafe { _mm512_i32gather_epi32::<4>(index, table.transitions.as_ptr().cast()) };
                matches += u64::from(_mm512_cmplt_epu32_mask(states[vector], limit).count_ones());
            }
        }
    }
    matches
}

fn timed(name: &str, bytes: usize, walk: impl FnOnce() -> u64) {
    let started = Instant::now();
    let matches = walk();
    let seconds = started.elapsed().as_secs_f64();
    println!("{name:<10} {:>6.3} ns/byte  {matches} match states", seconds * 1e9 / bytes as f64);
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [rules, text] = args.as_slice() else {
        eprintln!("usage: walk_chains RULES.yaml TEXT");
        std::process::exit(2);
    };
    let yaml = std::fs::read_to_string(rules).unwrap_or_else(|err| panic!("{rules}: {err}"));
    let rules =
        RuleSet::from_documents(vec![RuleDocument::new(rules.as_str(), yaml)]).unwrap_or_else(|err| panic!("{err}"));
    let mut literals: Vec<String> = rules.rules().iter().flat_map(|rule| rule.literals.iter().cloned()).collect();
    if std::env::var_os("WALK_PREFIXES").is_some() {
        // As attribution does, the literals every match of a regex starts with join the walk (an
        // approximation of `src/rules/prefixes.rs`: the extractor's prefixes, cut to 16 bytes).
        use regex_syntax::hir::literal::{ExtractKind, Extractor};
        for regex in rules.rules().iter().flat_map(|rule| rule.regexes.iter()) {
            let Ok(hir) = regex_syntax::parse(regex) else { continue };
            let mut seq = Extractor::new().kind(ExtractKind::Prefix).extract(&hir);
            seq.dedup();
            seq.minimize_by_preference();
            let Some(found) = seq.literals() else { continue };
            if found.len() > 64 || found.iter().any(|literal| literal.as_bytes().len() < 3) {
                continue;
            }
            literals.extend(found.iter().map(|literal| {
                String::from_utf8_lossy(&literal.as_bytes()[..literal.as_bytes().len().min(16)]).into_owned()
            }));
        }
        literals.sort();
        literals.dedup();
    }
    // The regexes no literal prefix finds, which the attribution walks backward: those that
    // begin with a class (as the heavy set's four do), with ASCII word boundaries.
    let unprefixed: Vec<String> = rules
        .rules()
        .iter()
        .flat_map(|rule| rule.regexes.iter())
        .filter(|regex| regex.starts_with('[') || regex.starts_with("\\b["))
        .map(|regex| format!("(?-u){regex}"))
        .collect();
    let text = std::fs::read(text).unwrap_or_else(|err| panic!("{text}: {err}"));
    let table = Table::new(&literals);
    let narrow = NarrowTable::new(&table);
    let reverse = (!unprefixed.is_empty()).then(|| Table::reverse(&unprefixed));
    let mut hits = vec![0u64; 1 << 16];
    let classes: Vec<u8> = text.iter().map(|&byte| table.classes[byte as usize]).collect();
    for round in 1..=3 {
        println!("round {round}");
        timed("1 chain", text.len(), || chains::<1, _>(&table, &text));
        timed("2 chains", text.len(), || chains::<2, _>(&table, &text));
        timed("3 chains", text.len(), || chains::<3, _>(&table, &text));
        timed("4 chains", text.len(), || chains::<4, _>(&table, &text));
        timed("6 chains", text.len(), || chains::<6, _>(&table, &text));
        if let Some(narrow) = &narrow {
            timed("1 narrow", text.len(), || chains::<1, _>(narrow, &text));
            timed("2 narrow", text.len(), || chains::<2, _>(narrow, &text));
            timed("3 narrow", text.len(), || chains::<3, _>(narrow, &text));
        }
        if let Some(reverse) = &reverse {
            timed("1+1 both", text.len(), || both_ways::<1, true>(&table, reverse, &text, &mut hits));
            timed("2+2 both", text.len(), || both_ways::<2, true>(&table, reverse, &text, &mut hits));
            timed("3+3 both", text.len(), || both_ways::<3, true>(&table, reverse, &text, &mut hits));
            timed("4+4 both", text.len(), || both_ways::<4, true>(&table, reverse, &text, &mut hits));
            timed("1+1 branch", text.len(), || both_ways::<1, false>(&table, reverse, &text, &mut hits));
            timed("2+2 branch", text.len(), || both_ways::<2, false>(&table, reverse, &text, &mut hits));
            timed("4+4 branch", text.len(), || both_ways::<4, false>(&table, reverse, &text, &mut hits));
        }
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU has AVX-512F.
            timed("16 lanes", text.len(), || unsafe { lanes::<1>(&table, &classes) });
            timed("32 lanes", text.len(), || unsafe { lanes::<2>(&table, &classes) });
            timed("48 lanes", text.len(), || unsafe { lanes::<3>(&table, &classes) });
            timed("64 lanes", text.len(), || unsafe { lanes::<4>(&table, &classes) });
        }
    }
}
