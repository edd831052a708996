//! Compiles the rules of one scope into as few automata as possible.
//!
//! All literals go into one leftmost Aho-Corasick automaton (two when some rules are
//! case-insensitive), all regexes into one multi-pattern meta regex. Those are what scan the text.
//! Every pattern, literals included, also goes into the [`Attribution`] automata, which find each
//! rule's leftmost match on the lines the scan flags; `unless` is checked only for rules that fired.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use regex_automata::meta;
use regex_automata::util::syntax;

use super::attribution::{Attribution, PatternInfo, PatternKind};
use super::error::RuleError;
use super::model::{Location, Rule};
use super::schema::Scope;

/// The matchers of the enabled rules in one scope. Immutable and shared by every pipeline.
#[derive(Debug)]
pub struct CompiledScope {
    /// Local rule number → index into [`RuleSet::rules`](super::RuleSet::rules), for rules with patterns.
    pub rules: Vec<usize>,
    /// Indexes (into the rule set) of the enabled silence rules.
    pub silence: Vec<usize>,
    pub literals: Vec<LiteralMatcher>,
    pub regexes: Option<RegexMatcher>,
    /// Every pattern of the scope, for each rule's leftmost match on a flagged line.
    pub attribution: Option<Attribution>,
    /// Per local rule: the `unless` regexes that exempt a line.
    pub unless: Vec<Vec<regex::bytes::Regex>>,
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

/// Finds where a key or pattern of a rule was written.
pub type Locate<'a> = dyn Fn(&Rule, &str, &str) -> Location + 'a;

impl CompiledScope {
    pub(super) fn compile(all: &[Rule], scope: Scope, locate: &Locate) -> Result<CompiledScope, Vec<RuleError>> {
        let mut errors = Vec::new();
        let mut compiled = CompiledScope {
            rules: Vec::new(),
            silence: Vec::new(),
            literals: Vec::new(),
            regexes: None,
            attribution: None,
            unless: Vec::new(),
        };
        let mut exact = Patterns::default();
        let mut ascii_folded = Patterns::default();
        let mut regexes = Patterns::default();
        let mut attributed = Vec::new();

        for (index, rule) in all.iter().enumerate().filter(|(_, rule)| rule.enabled && rule.scope == scope) {
            if rule.silence.is_some() {
                compiled.silence.push(index);
                continue;
            }
            let local = compiled.rules.len() as u32;
            compiled.rules.push(index);
            let literal_info = |regex: String, literal: &str| PatternInfo {
                regex,
                kind: PatternKind::Literal { len: literal.len() as u32 },
                rule: local,
            };
            for literal in &rule.literals {
                if !rule.case_insensitive {
                    exact.push(literal.clone(), local);
                    attributed.push(literal_info(regex::escape(literal), literal));
                } else if literal.is_ascii() {
                    ascii_folded.push(literal.clone(), local);
                    attributed.push(literal_info(format!("(?i-u:{})", regex::escape(literal)), literal));
                } else {
                    // Aho-Corasick folds ASCII case only; a regex folds Unicode case.
                    regexes.push(format!("(?i){}", regex::escape(literal)), local);
                }
            }
            for pattern in &rule.regexes {
                let flagged = if rule.case_insensitive { format!("(?i){pattern}") } else { pattern.clone() };
                match regex::bytes::Regex::new(&flagged) {
                    Ok(_) if anchors_whole_text(&flagged) => {
                        errors.push(anchor_error(locate(rule, "regex", pattern), rule, pattern))
                    }
                    Ok(_) => regexes.push(flagged, local),
                    Err(err) => errors.push(regex_error(locate(rule, "regex", pattern), rule, pattern, &err)),
                }
            }
            let mut unless = Vec::new();
            for pattern in &rule.unless {
                match regex::bytes::Regex::new(pattern) {
                    Ok(regex) => unless.push(regex),
                    Err(err) => errors.push(regex_error(locate(rule, "unless", pattern), rule, pattern, &err)),
                }
            }
            compiled.unless.push(unless);
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        for (patterns, fold) in [(exact, false), (ascii_folded, true)] {
            if !patterns.texts.is_empty() {
                compiled.literals.push(LiteralMatcher::build(patterns, fold));
            }
        }
        for (order, (text, &rule)) in regexes.texts.iter().zip(&regexes.owner).enumerate() {
            attributed.push(PatternInfo {
                regex: text.clone(),
                kind: PatternKind::Regex { order: order as u32 },
                rule,
            });
        }
        let together = |message| {
            let rule = &all[compiled.rules[0]];
            vec![RuleError { file: rule.location.file.clone(), line: 1, column: 1, rule: None, message }]
        };
        if !regexes.texts.is_empty() {
            compiled.regexes = Some(RegexMatcher::build(regexes).map_err(together)?);
        }
        if !attributed.is_empty() {
            compiled.attribution = Some(Attribution::build(attributed).map_err(together)?);
        }
        Ok(compiled)
    }

    /// Whether any rule in this scope can match text (silence rules cannot).
    pub fn has_patterns(&self) -> bool {
        !self.literals.is_empty() || self.regexes.is_some()
    }
}

#[derive(Default)]
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

impl LiteralMatcher {
    fn build(patterns: Patterns, ascii_case_insensitive: bool) -> LiteralMatcher {
        let scan = AhoCorasickBuilder::new()
            .match_kind(MatchKind::LeftmostFirst)
            .ascii_case_insensitive(ascii_case_insensitive)
            .build(&patterns.texts)
            .expect("Aho-Corasick accepts any set of non-empty literals");
        LiteralMatcher { scan, owner: patterns.owner }
    }
}

impl RegexMatcher {
    fn build(patterns: Patterns) -> Result<RegexMatcher, String> {
        // The same byte-oriented settings as `regex::bytes::Regex`, which verifies each line: the
        // scan must flag every line the verifier would match. With the defaults (those of `&str`
        // regexes) the scan skipped an empty match inside a UTF-8 sequence (`(?-u:\B)` between
        // the two bytes of `é`), so such a line fired only when another rule flagged it, and it
        // refused patterns such as `(?-u:\xFF)` that the verifier accepts.
        let scan = meta::Builder::new()
            .configure(meta::Config::new().utf8_empty(false))
            .syntax(syntax::Config::new().multi_line(true).utf8(false))
            .build_many(&patterns.texts)
            .map_err(|err| format!("the rules' regexes do not compile together: {err}"))?;
        Ok(RegexMatcher { scan, owner: patterns.owner })
    }
}

/// Whether a pattern uses `\A` or `\z` (or `^`/`$` with multi-line mode turned off). Those anchor
/// to the start or end of the whole text the scan sees, a block of lines whose bounds depend on
/// how the output happened to be chunked, so such a rule would fire or not by chance.
/// (Parsed as the scan compiles it, bytes-oriented: a pattern that only `utf8(false)` accepts,
/// such as `\A(?-u:\xFF)`, must not slip through.)
fn anchors_whole_text(pattern: &str) -> bool {
    syntax::parse_with(pattern, &syntax::Config::new().multi_line(true).utf8(false))
        .is_ok_and(|hir| hir.properties().look_set().contains_anchor_haystack())
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

/// A regex error on one line: `invalid regex "a(": unclosed group`.
fn regex_error(at: Location, rule: &Rule, pattern: &str, err: &regex::Error) -> RuleError {
    let reason = match err {
        regex::Error::Syntax(text) => {
            text.lines().rev().find_map(|line| line.strip_prefix("error: ")).unwrap_or(text).to_owned()
        }
        other => other.to_string(),
    };
    RuleError {
        file: at.file,
        line: at.line,
        column: at.column,
        rule: Some(rule.id.clone()),
        message: format!("invalid regex {pattern:?}: {reason}"),
    }
}
