//! Compiles the rules of one scope into as few automata as possible, each built on first use.
//!
//! Loading a user's rules checks every pattern (it parses, it does not anchor the whole text, it
//! fits the regex size limit) and builds nothing: a command that uses one scope, or matches a few
//! lines, pays only for what it uses (`axiom hook` judges one tool call against the tool scope
//! alone). The built-in pack, which its tests check the same way, is not even parsed until a scope
//! is used.
//!
//! When used, all literals go into one leftmost Aho-Corasick automaton (two when some rules are
//! case-insensitive) and all regexes into one multi-pattern meta regex: the [`Scan`] over the
//! text. Every pattern, literals included, also goes into the [`Attribution`] automata, which
//! find each rule's leftmost match on the lines the scan flags. A rule's `unless` regexes are
//! compiled the first time it fires.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use regex_automata::meta;
use regex_automata::nfa::thompson::WhichCaptures;
use regex_automata::util::syntax;
use regex_syntax::hir::{Hir, Look};

use super::attribution::{Attribution, PatternInfo, PatternKind, DFA_MAX_LITERAL_BYTES};
use super::error::RuleError;
use super::loosen::{cut_at_wide_repetitions, without_unicode_word_boundaries};
use super::model::{Location, Rule};
use super::prefixes::required_prefixes;
use super::scan_payoff::ScanPayoff;
use super::schema::Scope;
use super::size;
use super::sources::PackRegex;
use super::tool_class::{line_regex, ToolClass};

/// How much text a scope attributes line by line before it builds its [`Scan`]: building the
/// multi-pattern regex costs about as much as attributing this many bytes, so a hook's one line
/// or a small file never pays for it, and a large input does once.
const ATTRIBUTE_BEFORE_SCAN: usize = 256 << 10;

/// Room for the states of the scan's lazy DFA (per thread that scans). The built-in pack's output
/// regexes, Unicode classes and all, need about 20 MiB of states on agent transcripts: with the
/// regex crate's default of 2 MiB the DFA was rebuilt over and over, and `check` read 4 MB/s
/// of transcripts instead of 50 (8 MiB: 14 MB/s).
const SCAN_CACHE_CAPACITY: usize = 32 << 20;

/// The matchers of the enabled rules in one scope. Immutable and shared by every pipeline.
#[derive(Debug)]
pub struct CompiledScope {
    /// Local rule number → index into [`RuleSet::rules`](super::RuleSet::rules), for rules with patterns.
    pub rules: Vec<usize>,
    /// Indexes (into the rule set) of the enabled silence rules.
    pub silence: Vec<usize>,
    /// Every pattern of the scope, for each rule's leftmost match on a flagged line; grouped
    /// into [`Attribution`] on first use.
    patterns: Vec<PatternInfo>,
    attribution: OnceLock<Option<Attribution>>,
    plan: ScanPlan,
    scan: OnceLock<Scan>,
    /// Bytes attributed without a scan so far (see [`ATTRIBUTE_BEFORE_SCAN`]).
    unscanned: AtomicUsize,
    /// Per local rule: the `unless` regexes that exempt a line.
    unless: Vec<Unless>,
    /// Per local rule: the `unless_above` regexes that exempt a line by the lines above it.
    above: Vec<Unless>,
    /// Per local rule: whether where its match ends is ever reported. A command rule's tool
    /// call reports the whole argument (the parsed command is what it judged), so the end of its
    /// prefilter's match is never searched for: on an interpreter's one-liner, which every
    /// command rule's prefilter flags, that was a DFA built per rule.
    match_end_reported: Vec<bool>,
    /// Per local rule: the class of tools whose calls it judges, if it is limited to one (its
    /// regexes match any tool's call: see [`line_regex`]); `None` when no rule is, as in every
    /// scope but the tool scope.
    tools: Option<Vec<Option<ToolClass>>>,
    /// Whether these are the built-in pack's rules, whose regexes the build analysed.
    built_in: bool,
}

/// The searchers that find the lines worth attributing in a block of text.
#[derive(Debug)]
pub struct Scan {
    pub literals: Vec<LiteralMatcher>,
    pub regexes: Option<RegexMatcher>,
    /// Whether scanning beats attributing every line, as measured so far.
    pub payoff: ScanPayoff,
}

/// One Aho-Corasick automaton over many rules' literals.
#[derive(Debug)]
pub struct LiteralMatcher {
    /// Leftmost-first, so the SIMD prefilter is on: this one scans all text.
    pub scan: AhoCorasick,
    /// Pattern id → local rule number.
    pub owner: Vec<u32>,
}

/// One multi-pattern regex over many rules' regexes.
#[derive(Debug)]
pub struct RegexMatcher {
    /// Multi-line (`^`/`$` at line ends), so it can scan a block of lines in one pass.
    pub scan: meta::Regex,
    /// Pattern id → local rule number.
    pub owner: Vec<u32>,
}

/// What the scan is built from.
#[derive(Debug, Default)]
struct ScanPlan {
    exact: Patterns,
    ascii_folded: Patterns,
    regexes: Patterns,
}

/// One rule's `unless` (or `unless_above`) regexes, compiled when the rule first fires.
#[derive(Debug, Default)]
struct Unless {
    patterns: Vec<String>,
    compiled: OnceLock<Vec<regex::bytes::Regex>>,
}

/// How many lines above a match its rule's `unless_above` reads: a decorator, a signature and a
/// one-line docstring above the line that fires.
pub const LINES_ABOVE: usize = 4;

/// Finds where a key or pattern of a rule was written.
pub type Locate<'a> = dyn Fn(&Rule, &str, &str) -> Location + 'a;

impl CompiledScope {
    /// `built_in`: the rules are the built-in pack, which its tests check as a user's file is
    /// checked here (`rules::load::tests::the_built_in_pack_passes_every_check_of_a_users_file`):
    /// then nothing is parsed now, and a scope's regexes are parsed when it is first used, so
    /// `axiom hook` never parses the output scope's hundred-odd regexes.
    pub(super) fn compile(
        all: &[Rule],
        scope: Scope,
        locate: &Locate,
        built_in: bool,
    ) -> Result<CompiledScope, Vec<RuleError>> {
        let mut errors = Vec::new();
        let mut rules = Vec::new();
        let mut silence = Vec::new();
        let mut plan = ScanPlan::default();
        let mut attributed = Vec::new();
        // Per regex of the plan: what it parsed to, if it was parsed now.
        let mut parsed = Vec::new();
        let mut unless = Vec::new();
        let mut above = Vec::new();
        let mut match_end_reported = Vec::new();
        let mut tools = Vec::new();
        let mut shared = SharedRegexes::default();

        for (index, rule) in all.iter().enumerate().filter(|(_, rule)| rule.enabled && rule.scope == scope) {
            if rule.silence.is_some() {
                silence.push(index);
                continue;
            }
            let local = rules.len() as u32;
            rules.push(index);
            match_end_reported.push(!(scope == Scope::Tool && rule.command.is_some()));
            tools.push(rule.tool);
            let literal_info = |regex: String, literal: &str, folded: bool| PatternInfo {
                regex,
                kind: PatternKind::Literal { len: literal.len() as u32 },
                rule: local,
                unicode_word_boundary: false,
                literal: Some((literal.to_owned(), folded)),
                prefixes: None,
                hir: None,
                also: Vec::new(),
                shared: false,
            };
            for literal in &rule.literals {
                if !rule.case_insensitive {
                    plan.exact.push(literal.clone(), local);
                    attributed.push(literal_info(regex::escape(literal), literal, false));
                } else if literal.is_ascii() {
                    plan.ascii_folded.push(literal.clone(), local);
                    attributed.push(literal_info(format!("(?i-u:{})", regex::escape(literal)), literal, true));
                } else {
                    // Aho-Corasick folds ASCII case only; a regex folds Unicode case.
                    let text = format!("(?i){}", regex::escape(literal));
                    if shared.add(&text, local) {
                        plan.regexes.push(text, local);
                        parsed.push(None);
                    }
                }
            }
            for pattern in &rule.regexes {
                let flagged = line_regex(pattern, rule.case_insensitive, rule.tool);
                if built_in {
                    if shared.add(&flagged, local) {
                        plan.regexes.push(flagged, local);
                        parsed.push(None);
                    }
                    continue;
                }
                match check_pattern(pattern, &flagged, rule.tool) {
                    Ok(hir) if hir.properties().look_set().contains_anchor_haystack() => {
                        errors.push(anchor_error(locate(rule, "regex", pattern), rule, pattern))
                    }
                    Ok(hir) => {
                        if shared.add(&flagged, local) {
                            parsed.push(Some(hir));
                            plan.regexes.push(flagged, local);
                        }
                    }
                    Err(reason) => errors.push(regex_error(locate(rule, "regex", pattern), rule, pattern, &reason)),
                }
            }
            for (key, patterns) in [("unless", &rule.unless), ("unless_above", &rule.unless_above)] {
                // `unless` is limited to the rule's tools as its match is; `unless_above` reads
                // the lines above, which are not tool calls.
                let tool = if key == "unless" { rule.tool } else { None };
                for pattern in patterns.iter().filter(|_| !built_in) {
                    if let Err(reason) = check_pattern(pattern, &line_regex(pattern, false, tool), tool) {
                        errors.push(regex_error(locate(rule, key, pattern), rule, pattern, &reason));
                    }
                }
            }
            let limited = rule.unless.iter().map(|pattern| line_regex(pattern, false, rule.tool)).collect();
            unless.push(Unless { patterns: limited, compiled: OnceLock::new() });
            above.push(Unless { patterns: rule.unless_above.clone(), compiled: OnceLock::new() });
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let owners = plan.regexes.owner.iter().zip(shared.kinds).zip(shared.others);
        for ((text, ((&rule, kind), also)), hir) in plan.regexes.texts.iter().zip(owners).zip(parsed) {
            attributed.push(PatternInfo {
                regex: text.clone(),
                kind,
                rule,
                shared: !also.is_empty(),
                also,
                unicode_word_boundary: false,
                literal: None,
                prefixes: None,
                hir: hir.map(Arc::new),
            });
        }
        Ok(CompiledScope {
            rules,
            silence,
            patterns: attributed,
            attribution: OnceLock::new(),
            plan,
            scan: OnceLock::new(),
            unscanned: AtomicUsize::new(0),
            unless,
            above,
            match_end_reported,
            tools: tools.iter().any(Option::is_some).then_some(tools),
            built_in,
        })
    }

    /// Whether the scope's patterns have been parsed and grouped yet.
    #[cfg(test)]
    pub(super) fn is_grouped(&self) -> bool {
        self.attribution.get().is_some()
    }

    /// Whether any rule in this scope can match text (silence rules cannot).
    pub fn has_patterns(&self) -> bool {
        !self.patterns.is_empty()
    }

    /// The automata that attribute a flagged line, grouped now if they were not yet (parsing
    /// a user's regexes and finding each one's prefixes take a while, which a command that never
    /// reads this scope skips; the build did it for the built-in pack's).
    pub fn attribution(&self) -> Option<&Attribution> {
        let group = || {
            let mut patterns = self.patterns.clone();
            for pattern in patterns.iter_mut().filter(|p| matches!(p.kind, PatternKind::Regex { .. })) {
                if let Some(known) = self.built_in.then(|| PackRegex::find(&pattern.regex)).flatten() {
                    pattern.unicode_word_boundary = known.unicode_word_boundary;
                    pattern.prefixes = known.prefixes();
                    continue;
                }
                let hir = pattern.hir.get_or_insert_with(|| {
                    // The built-in pack's, or a case-insensitive literal's: it parses (tested).
                    Arc::new(parse_line_regex(&pattern.regex).expect("a built-in or escaped pattern parses"))
                });
                pattern.unicode_word_boundary = hir.properties().look_set().contains_word_unicode();
                pattern.prefixes = required_prefixes(hir);
            }
            Attribution::new(patterns)
        };
        self.attribution.get_or_init(|| self.has_patterns().then(group)).as_ref()
    }

    /// The scan for a block of `len` bytes, or `None` while attributing every line is cheaper
    /// than building it (the first [`ATTRIBUTE_BEFORE_SCAN`] bytes a scope sees).
    pub fn scan_for(&self, len: usize) -> Option<&Scan> {
        if let Some(scan) = self.scan.get() {
            return Some(scan);
        }
        if self.unscanned.fetch_add(len, Ordering::Relaxed).saturating_add(len) <= ATTRIBUTE_BEFORE_SCAN {
            return None;
        }
        Some(self.scan())
    }

    /// The scan, built now if it was not yet.
    pub fn scan(&self) -> &Scan {
        self.scan.get_or_init(|| Scan::build(&self.plan))
    }

    /// Whether local rule `rule` reports where its match ends (see `match_end_reported`); when
    /// not, its hit ends with the line.
    pub fn reports_match_end(&self, rule: u32) -> bool {
        self.match_end_reported[rule as usize]
    }

    /// Whether local rule `rule` judges `line`: any line, or for a rule limited to a class of
    /// tools, the calls of those tools.
    pub fn judges(&self, rule: u32, line: &[u8]) -> bool {
        let class = self.tools.as_ref().and_then(|tools| tools[rule as usize]);
        class.is_none_or(|class| class.admits_line(line))
    }

    /// Whether one of local rule `rule`'s `unless` regexes matches `line`.
    pub fn exempts(&self, rule: u32, line: &[u8]) -> bool {
        self.unless[rule as usize].matches_any([line])
    }

    /// Whether one of local rule `rule`'s `unless_above` regexes matches one of `lines` (the
    /// [`LINES_ABOVE`] lines above its match).
    pub fn exempts_above<'a>(&self, rule: u32, lines: impl IntoIterator<Item = &'a [u8]>) -> bool {
        self.above[rule as usize].matches_any(lines)
    }

    /// Whether local rule `rule` has `unless_above` regexes.
    pub fn looks_above(&self, rule: u32) -> bool {
        !self.above[rule as usize].patterns.is_empty()
    }

    /// Whether any rule of the scope reads the lines above its match.
    pub fn any_looks_above(&self) -> bool {
        self.above.iter().any(|above| !above.patterns.is_empty())
    }

    /// Builds every automaton now (what first use would do): for benchmarks that time matching
    /// alone, and for `axiom rules validate`, which says a rule set is ready only once it is.
    pub fn build_all(&self) {
        self.scan();
        if let Some(attribution) = self.attribution() {
            attribution.build_all();
        }
        for (rule, _) in self.unless.iter().enumerate() {
            self.exempts(rule as u32, b"");
            self.exempts_above(rule as u32, [&b""[..]]);
        }
    }
}

impl Unless {
    fn matches_any<'a>(&self, lines: impl IntoIterator<Item = &'a [u8]>) -> bool {
        if self.patterns.is_empty() {
            return false;
        }
        let compiled = self.compiled.get_or_init(|| {
            self.patterns
                .iter()
                .map(|pattern| {
                    // Checked when the rules were loaded (it parses and fits the size limit).
                    regex::bytes::RegexBuilder::new(pattern)
                        .size_limit(usize::MAX)
                        .build()
                        .expect("an `unless` regex checked when the rules were loaded, or by the pack's tests")
                })
                .collect()
        });
        lines.into_iter().any(|line| compiled.iter().any(|regex| regex.is_match(line)))
    }
}

/// The ranks of a scope's regexes, each text searched for once: a regex that several rules
/// wrote (every command rule's prefilter for the lines that may run any program) is one pattern
/// with several owners.
#[derive(Debug, Default)]
struct SharedRegexes {
    /// Text → its index among the regexes kept.
    index: HashMap<String, usize>,
    /// Per regex kept: its rank for the rule that wrote it first, and the other rules with theirs.
    kinds: Vec<PatternKind>,
    others: Vec<Vec<(u32, PatternKind)>>,
    /// Regexes written so far, shared or not: each one's rank within its rule.
    written: u32,
}

impl SharedRegexes {
    /// Notes that local rule `rule` wrote `text`; `true` when no rule did before (the caller keeps it).
    fn add(&mut self, text: &str, rule: u32) -> bool {
        let kind = PatternKind::Regex { order: self.written };
        self.written += 1;
        if let Some(&kept) = self.index.get(text) {
            self.others[kept].push((rule, kind));
            return false;
        }
        self.index.insert(text.to_owned(), self.kinds.len());
        self.kinds.push(kind);
        self.others.push(Vec::new());
        true
    }
}

#[derive(Debug, Default)]
struct Patterns {
    texts: Vec<String>,
    owner: Vec<u32>,
}

impl Patterns {
    fn push(&mut self, text: String, local_rule: u32) {
        self.texts.push(text);
        self.owner.push(local_rule);
    }
}

impl Scan {
    fn build(plan: &ScanPlan) -> Scan {
        let literals = [(&plan.exact, false), (&plan.ascii_folded, true)]
            .into_iter()
            .filter(|(patterns, _)| !patterns.texts.is_empty())
            .map(|(patterns, fold)| LiteralMatcher::build(patterns, fold))
            .collect();
        let regexes = (!plan.regexes.texts.is_empty()).then(|| RegexMatcher::build(&plan.regexes));
        Scan { literals, regexes, payoff: ScanPayoff::default() }
    }
}

impl LiteralMatcher {
    fn build(patterns: &Patterns, ascii_case_insensitive: bool) -> LiteralMatcher {
        // A DFA, where the library would pick an NFA past a hundred literals: scanning agent
        // transcripts with the 160 of `benches/rules-heavy.yaml` took 28% less time. Should it
        // not build (too many states for its numbers), the library's pick serves.
        let bytes: usize = patterns.texts.iter().map(String::len).sum();
        let build = |kind| {
            AhoCorasickBuilder::new()
                .match_kind(MatchKind::LeftmostFirst)
                .kind(kind)
                .ascii_case_insensitive(ascii_case_insensitive)
                .build(&patterns.texts)
        };
        let scan = (bytes <= DFA_MAX_LITERAL_BYTES)
            .then(|| build(Some(AhoCorasickKind::DFA)).ok())
            .flatten()
            .unwrap_or_else(|| build(None).expect("Aho-Corasick accepts any set of non-empty literals"));
        LiteralMatcher { scan, owner: patterns.owner.clone() }
    }
}

impl RegexMatcher {
    fn build(patterns: &Patterns) -> RegexMatcher {
        // The same byte-oriented settings as `regex::bytes::Regex`, which the rules' tests and
        // the attribution fallback use: the scan must flag every line those would match. With
        // the defaults (those of `&str` regexes) the scan skipped an empty match inside a UTF-8
        // sequence (`(?-u:\B)` between the two bytes of `é`). No size limit: each pattern was
        // checked against the regex crate's when the rules were loaded. The scan needs match
        // starts only, so no capture states.
        // Loosened (see `loosen`), its lazy DFA does not give up on text that is not ASCII, nor
        // build states without end on text a few `.*` patterns leave half matched.
        let hirs: Vec<Hir> = patterns
            .texts
            .iter()
            .map(|text| {
                let hir = parse_line_regex(text).expect("regexes were parsed when the rules were loaded");
                cut_at_wide_repetitions(&without_unicode_word_boundaries(&hir))
            })
            .collect();
        let scan = meta::Builder::new()
            .configure(
                meta::Config::new()
                    .utf8_empty(false)
                    .nfa_size_limit(None)
                    .which_captures(WhichCaptures::Implicit)
                    .hybrid_cache_capacity(SCAN_CACHE_CAPACITY),
            )
            .build_many_from_hir(&hirs)
            .expect("regexes checked when the rules were loaded compile together without a size limit");
        RegexMatcher { scan, owner: patterns.owner.clone() }
    }
}

/// Parses a pattern as the matchers compile it, and makes sure it fits the regex crate's size
/// limit; the error is the reason, as `regex` words it.
fn check_regex(pattern: &str) -> Result<Hir, String> {
    let hir = parse_line_regex(pattern)?;
    if size::exceeds(&hir, size::REGEX_SIZE_LIMIT) {
        // Possibly too large: only compiling it tells (rare; the bound is loose).
        regex::bytes::Regex::new(pattern).map_err(|err| match err {
            regex::Error::Syntax(text) => syntax_reason(&text),
            other => other.to_string(),
        })?;
    }
    Ok(hir)
}

/// Parses a pattern as a rule's regex is read: `^` and `$` at line ends, any bytes.
pub(super) fn parse_line_regex(pattern: &str) -> Result<Hir, String> {
    syntax::parse_with(pattern, &syntax::Config::new().multi_line(true).utf8(false))
        .map_err(|err| syntax_reason(&err.to_string()))
}

/// The one-line reason in a syntax error's report (`unclosed group`).
fn syntax_reason(report: &str) -> String {
    report.lines().rev().find_map(|line| line.strip_prefix("error: ")).unwrap_or(report).to_owned()
}

fn anchor_error(at: Location, rule: &Rule, pattern: &str) -> RuleError {
    RuleError {
        file: at.file,
        line: at.line,
        column: at.column,
        rule: Some(rule.id.clone()),
        message: format!(
            "invalid regex {pattern:?}: `\\A`, `\\z` and `(?-m)` anchor the whole output, which is matched a line at a time; use `^` and `$`"
        ),
    }
}

/// Checks a rule's pattern, given the regex it is matched as (`flagged`): for a rule limited to a
/// class of tools, the pattern must also parse on its own, hold no `^` (which would stand before
/// the tool's name and never match) and stay inside the group it is put in.
fn check_pattern(pattern: &str, flagged: &str, tool: Option<ToolClass>) -> Result<Hir, String> {
    if tool.is_none() {
        return check_regex(flagged);
    }
    let alone = check_regex(pattern)?;
    let looks = alone.properties().look_set();
    if looks.contains(Look::StartLF) || looks.contains(Look::StartCRLF) {
        return Err("with `tool`, a regex is matched from the start of the call's argument, and `^` (the line's start, before the tool's name) never matches there; leave it out, and begin with `.*` to look anywhere in the command".into());
    }
    check_regex(flagged).map_err(|_| {
        "with `tool`, a regex is put in a group after the tool's name, and this one does not end inside it (a `(?x)` comment runs to the end of the line and swallows the group's end); end the comment with a line break or leave `(?x)` out".into()
    })
}

/// A regex error on one line: `invalid regex "a(": unclosed group`.
fn regex_error(at: Location, rule: &Rule, pattern: &str, reason: &str) -> RuleError {
    RuleError {
        file: at.file,
        line: at.line,
        column: at.column,
        rule: Some(rule.id.clone()),
        message: format!("invalid regex {pattern:?}: {reason}"),
    }
}
