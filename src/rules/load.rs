//! Rule files → a validated, compiled [`RuleSet`], or every problem found, each with its location.

use std::collections::HashMap;
use std::sync::Arc;

use super::command::{CommandMatcher, ANY_PROGRAM};
use super::compile::CompiledScope;
use super::error::{RuleError, RuleErrors};
use super::lazy_regex::LazyRegex;
use super::locate::Locator;
use super::model::{Escalation, Location, Rule, RuleSet, ThresholdPolicy};
use super::schema::{Action, RuleFile, RuleSpec, Scope};
use super::sources::RuleOrigin;
use crate::evidence::EvidenceCondition;

/// The text of one rule file and the name it is reported under.
#[derive(Debug, Clone)]
pub struct RuleDocument {
    pub name: String,
    pub text: String,
    /// The same rules as JSON, made from `text` when the binary was built (the built-in pack):
    /// read instead of the YAML, which parses ten times slower. Problems are still reported
    /// from `text`.
    json: Option<&'static str>,
}

impl RuleDocument {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        RuleDocument { name: name.into(), text: text.into(), json: None }
    }

    pub(super) fn with_json(self, json: &'static str) -> Self {
        RuleDocument { json: Some(json), ..self }
    }
}

impl RuleSet {
    /// Parses, validates and compiles rule files given as text, in order.
    pub fn from_documents(documents: Vec<RuleDocument>) -> Result<RuleSet, RuleErrors> {
        Self::build(documents, RuleOrigin::Inline)
    }

    pub(super) fn build(documents: Vec<RuleDocument>, origin: RuleOrigin) -> Result<RuleSet, RuleErrors> {
        let mut loader = Loader::default();
        for document in &documents {
            loader.load_document(document);
        }
        let Loader { rules, mut errors, .. } = loader;
        // Read again only to place an error, which a valid set never has.
        let locators: std::cell::OnceCell<HashMap<&str, Locator>> = std::cell::OnceCell::new();
        let built_in = matches!(origin, RuleOrigin::Embedded);
        let compile = |scope| {
            let locate = |rule: &Rule, key: &str, needle: &str| {
                let locators = locators
                    .get_or_init(|| documents.iter().map(|doc| (doc.name.as_str(), Locator::new(&doc.text))).collect());
                locate_in(locators, &rules, rule, key, needle)
            };
            CompiledScope::compile(&rules, scope, &locate, built_in)
        };
        let output = compile(Scope::Output);
        let prompt = compile(Scope::Prompt);
        let tool = compile(Scope::Tool);
        let (output, prompt, tool) = match (output, prompt, tool) {
            (Ok(output), Ok(prompt), Ok(tool)) if errors.is_empty() => (output, prompt, tool),
            (output, prompt, tool) => {
                errors.extend(output.err().into_iter().flatten());
                errors.extend(prompt.err().into_iter().flatten());
                errors.extend(tool.err().into_iter().flatten());
                // Told in the order they are written, file by file, as a compiler tells them.
                let order: HashMap<&str, usize> =
                    documents.iter().enumerate().map(|(index, doc)| (doc.name.as_str(), index)).collect();
                errors.sort_by_key(|error| (order.get(error.file.as_str()).copied(), error.line, error.column));
                return Err(RuleErrors(errors));
            }
        };
        Ok(RuleSet { rules, origin, output: Arc::new(output), prompt: Arc::new(prompt), tool: Arc::new(tool) })
    }
}

/// Finds where `needle` (under `key`) is written in `rule`'s file.
fn locate_in(locators: &HashMap<&str, Locator>, rules: &[Rule], rule: &Rule, key: &str, needle: &str) -> Location {
    let occurrence = occurrence_in_file(rules, rule);
    let (line, column) = locators
        .get(rule.location.file.as_str())
        .map_or((rule.location.line, rule.location.column), |locator| locator.text(&rule.id, occurrence, key, needle));
    Location { file: rule.location.file.clone(), line, column }
}

/// How many rules with the same id come before this one in the same file (duplicates are errors,
/// but they still need to be told apart while reporting).
fn occurrence_in_file(rules: &[Rule], rule: &Rule) -> usize {
    rules
        .iter()
        .take_while(|other| !std::ptr::eq(*other, rule))
        .filter(|other| other.id == rule.id && other.location.file == rule.location.file)
        .count()
}

#[derive(Default)]
struct Loader {
    rules: Vec<Rule>,
    errors: Vec<RuleError>,
    /// id → where it was first defined, for duplicate detection across files.
    seen: HashMap<String, Location>,
}

impl Loader {
    fn load_document(&mut self, document: &RuleDocument) {
        let locator = Locator::new(&document.text);
        let from_json = document.json.and_then(|json| serde_json::from_str::<RuleFile>(json).ok());
        let built_in = from_json.is_some();
        let parsed = from_json.map_or_else(|| serde_yaml::from_str::<RuleFile>(&document.text), Ok);
        let specs: Vec<Result<RuleSpec, Vec<RuleError>>> = match parsed {
            Ok(file) => file.rules.into_iter().map(Ok).collect(),
            Err(err) => {
                // One schema error must not hide the problems of the other rules, nor the rule's
                // own other problems: read them one by one, and a rule that fails key by key.
                let (specs, told) = rules_one_by_one(document, &locator, failed_rule_index(&err));
                if !told {
                    self.errors.push(yaml_error(&document.name, &document.text, &err));
                }
                specs
            }
        };
        let mut occurrences: HashMap<String, usize> = HashMap::new();
        for spec in specs {
            let spec = match spec {
                Ok(spec) => spec,
                Err(errors) => {
                    self.errors.extend(errors);
                    continue;
                }
            };
            let occurrence = occurrences.entry(spec.id.clone()).or_default();
            let at = Spot { file: &document.name, built_in, locator: &locator, id: &spec.id, occurrence: *occurrence };
            *occurrence += 1;
            if let Some(rule) = self.validate(&spec, &at) {
                self.rules.push(rule);
            }
        }
    }

    /// Checks one rule and fills in its defaults; records every problem it finds.
    fn validate(&mut self, spec: &RuleSpec, at: &Spot) -> Option<Rule> {
        let errors_before = self.errors.len();
        let mut problem = |key: &str, message: String| self.errors.push(at.error(key, message));

        if spec.id.is_empty() || !spec.id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') {
            problem("id", format!("invalid id {:?}: use lowercase letters, digits and '-'", spec.id));
        }
        let command = spec.command.as_ref().map(CommandMatcher::compile);
        if command.as_ref().is_some_and(|command| command.programs.is_empty()) {
            problem("program", "`command.program` needs at least one program name".into());
        }
        let any_program = command.as_ref().is_some_and(|command| command.programs.iter().any(|p| p == ANY_PROGRAM));
        if any_program && spec.matches.is_none() && spec.tool.is_none() {
            problem(
                "program",
                "`command.program: '*'` needs a `match` (or a `tool`) to flag the lines to parse".into(),
            );
        }
        if !any_program && command.as_ref().is_some_and(|command| !command.not_programs.is_empty()) {
            problem(
                "not_program",
                "`command.not_program` is for `program: '*'`; list the programs in `program`".into(),
            );
        }
        let evidence = spec.evidence.as_ref().map(EvidenceCondition::compile);
        if !at.built_in {
            let args = spec.command.iter().flat_map(|command| &command.args).map(|p| ("args", p));
            let also = spec.command.iter().flat_map(|command| &command.also_args).map(|p| ("also_args", p));
            let branches = spec.command.iter().flat_map(|command| &command.on_branch).map(|p| ("on_branch", p));
            let asked = spec.evidence.iter().flat_map(|evidence| &evidence.unless_asked).map(|p| ("unless_asked", p));
            for (key, pattern) in args.chain(also).chain(branches).chain(asked) {
                if let Err(err) = LazyRegex::check(pattern) {
                    problem(key, format!("invalid regex {pattern:?}: {err}"));
                }
            }
        }
        if spec.tool.is_some() {
            if spec.scope != Scope::Tool {
                let scope = spec.scope;
                problem("tool", format!("`tool` limits a rule to tool calls, so it needs `scope: tool` (this rule has `scope: {scope}`)"));
            }
            if spec.matches.as_ref().is_some_and(|matches| !matches.literals.is_empty()) {
                problem(
                    "literals",
                    "with `tool`, the call's argument is matched from its start by `regex`; write each literal as a regex (`.*TEXT`)".into(),
                );
            }
        }
        match (&spec.matches, spec.silence) {
            (_, Some(_)) if spec.command.is_some() || spec.evidence.is_some() => {
                problem("silence", "a silence rule matches no text, so `command` and `evidence` do not apply".into())
            }
            (Some(_), Some(_)) => problem("silence", "a rule has either `match` or `silence`, not both".into()),
            (None, None) if spec.command.is_some() || spec.tool.is_some() => {}
            (None, None) => problem(
                "id",
                "missing `match` (or `command`, or `silence` for a rule that fires when output stops)".into(),
            ),
            (Some(matches), None) => {
                if matches.literals.is_empty() && matches.regex.is_empty() && spec.tool.is_none() {
                    problem("match", "`match` needs at least one entry in `literals` or `regex`".into());
                }
                // A regex that finds a match in any line at all (`''`, `a|`, `x*`) fires on every
                // line, as an empty literal would: a slip, not a rule. Only a regex that can match
                // empty text can; asking the parser that first keeps the compiling for the few that
                // can, and the built-in pack, checked by its tests as a user's file, skips it: the
                // hook loads the pack on every tool call.
                let matches_any_line = |pattern: &String| {
                    // In byte mode, as lines are matched: `(?-u).*` parses only there.
                    let parsed = regex_syntax::ParserBuilder::new().utf8(false).build().parse(pattern);
                    parsed.is_ok_and(|hir| hir.properties().minimum_len() == Some(0))
                        && regex::bytes::Regex::new(pattern).is_ok_and(|regex| {
                            ["", "\u{1}", "x", "ab", "zq \u{7f}"].iter().all(|line| regex.is_match(line.as_bytes()))
                        })
                };
                let regexes_to_check = if at.built_in { &[][..] } else { &matches.regex[..] };
                if let Some(pattern) = regexes_to_check.iter().find(|pattern| matches_any_line(pattern)) {
                    problem("regex", format!("regex {pattern:?} matches every line, even an empty one"));
                }
                for literal in &matches.literals {
                    if literal.is_empty() {
                        problem("literals", "an empty literal would match every line".into());
                    } else if literal.contains(['\n', '\r']) {
                        problem(
                            "literals",
                            format!("literal {literal:?} contains a line break; lines are matched one at a time"),
                        );
                    }
                }
            }
            (None, Some(silence)) => {
                if silence.0.is_zero() {
                    problem("silence", "`silence` must be longer than zero".into());
                }
                if spec.scope != Scope::Output {
                    let scope = spec.scope;
                    problem("scope", format!("a silence rule watches output; it cannot have `scope: {scope}`"));
                }
                for (key, present) in [
                    ("unless", !spec.unless.is_empty()),
                    ("unless_above", !spec.unless_above.is_empty()),
                    ("threshold", spec.threshold.is_some()),
                    ("tests", !spec.tests.is_empty()),
                ] {
                    if present {
                        problem(key, format!("a silence rule matches no text, so `{key}` does not apply"));
                    }
                }
            }
        }
        if spec.scope == Scope::Prompt && !spec.tests.is_empty() && spec.matches.is_none() {
            problem("tests", "tests need a `match`".into());
        }

        let steps = spec.escalate.as_ref().map(|escalate| escalate.steps.clone()).unwrap_or_default();
        if spec.escalate.is_some() && steps.is_empty() {
            problem("steps", "`escalate.steps` needs at least one action".into());
        }
        if let (Some(action), Some(first)) = (spec.action, steps.first()) {
            if action != *first {
                problem("action", format!("`action: {action}` disagrees with the first escalation step `{first}`; the steps replace `action`, so drop it or make them agree"));
            }
        }
        let action = steps.first().copied().or(spec.action).unwrap_or_default();
        if let Some(refusal) = std::iter::once(action).chain(steps.iter().copied()).find(|a| a.refuses_call()) {
            if spec.scope != Scope::Tool {
                problem(
                    "action",
                    format!(
                        "`{refusal}` decides a tool call, so it needs `scope: tool` (this rule has `scope: {}`)",
                        spec.scope
                    ),
                );
            }
            // A refusal that lapses during a cooldown or below a threshold would let the very
            // call it exists to stop through; a deny rule refuses every matching call.
            for (key, present) in [
                ("cooldown", spec.cooldown.is_some()),
                ("threshold", spec.threshold.is_some()),
                ("escalate", spec.escalate.is_some()),
            ] {
                if present {
                    let article = if refusal == Action::Ask { "an" } else { "a" };
                    problem(
                        key,
                        format!(
                            "{article} `{refusal}` rule decides every matching tool call, so `{key}` does not apply"
                        ),
                    );
                }
            }
        }
        let message = spec.message.as_deref().map(str::trim).filter(|m| !m.is_empty());
        if message.is_none() {
            if let Some(needy) = std::iter::once(action).chain(steps.iter().copied()).find(|a| a.needs_message()) {
                problem("message", format!("action `{needy}` sends a message to the agent, so `message` is required"));
            }
        }
        if let Some(threshold) = spec.threshold {
            if threshold.count == 0 {
                problem("threshold", "`threshold.count` must be at least 1".into());
            }
            if threshold.within.0.is_zero() {
                problem("threshold", "`threshold.within` must be longer than zero".into());
            }
        }
        if let Some(escalate) = &spec.escalate {
            if escalate.within.0.is_zero() {
                problem("escalate", "`escalate.within` must be longer than zero".into());
            }
        }

        let location = Location { file: at.file.to_owned(), line: at.rule().0, column: at.rule().1 };
        if let Some(first) = self.seen.get(&spec.id) {
            let message = format!("duplicate rule id (first defined at {first})");
            self.errors.push(at.error("id", message));
        } else {
            self.seen.insert(spec.id.clone(), location.clone());
        }
        if self.errors.len() > errors_before {
            return None;
        }

        let matches = spec.matches.as_ref();
        // Without a pattern, a rule limited to a class of tools flags every call of theirs (its
        // command, if any, decides), and a command rule the lines that name its programs.
        let derived = match (matches.filter(|m| !m.regex.is_empty() || !m.literals.is_empty()), &command, spec.tool) {
            (None, _, Some(_)) => vec![String::new()],
            (None, Some(command), None) => command.prefilters().to_vec(),
            _ => Vec::new(),
        };
        Some(Rule {
            id: spec.id.clone(),
            description: spec.description.clone(),
            severity: spec.severity,
            scope: spec.scope,
            tool: spec.tool,
            applies_to: spec.applies_to,
            action,
            message: message.map(str::to_owned),
            literals: matches.map(|m| m.literals.clone()).unwrap_or_default(),
            regexes: if derived.is_empty() { matches.map(|m| m.regex.clone()).unwrap_or_default() } else { derived },
            case_insensitive: matches.is_some_and(|m| m.case_insensitive),
            unless: spec.unless.clone(),
            unless_above: spec.unless_above.clone(),
            command,
            evidence,
            cooldown: spec.cooldown.map(|d| d.0),
            threshold: spec.threshold.map(|t| ThresholdPolicy { count: t.count, within: t.within.0 }),
            escalate: spec.escalate.as_ref().map(|e| Escalation { within: e.within.0, steps: e.steps.clone() }),
            silence: spec.silence.map(|d| d.0),
            enabled: spec.enabled,
            tags: spec.tags.clone(),
            tests: spec.tests.clone(),
            location,
        })
    }
}

/// A rule inside a file, for locating problems with it.
struct Spot<'a> {
    file: &'a str,
    /// The built-in pack, made into JSON when the binary was built: its regexes are not parsed
    /// until used (its tests check them as a user's file is checked).
    built_in: bool,
    locator: &'a Locator<'a>,
    id: &'a str,
    occurrence: usize,
}

impl Spot<'_> {
    fn rule(&self) -> (usize, usize) {
        self.locator.rule(self.id, self.occurrence)
    }

    fn error(&self, key: &str, message: String) -> RuleError {
        let (line, column) = self.locator.key(self.id, self.occurrence, key);
        RuleError { file: self.file.to_owned(), line, column, rule: Some(self.id.to_owned()), message }
    }
}

/// The rule a schema error is about, from the parser's `rules[3].match: ...` path.
fn failed_rule_index(err: &serde_yaml::Error) -> Option<usize> {
    let message = err.to_string();
    message.strip_prefix("rules[")?.split(']').next()?.parse().ok()
}

/// Each entry of the file's `rules:` list parsed on its own. A rule that does not parse is read
/// again key by key, so that all of its wrong keys are told at once, not only the first. Empty
/// when the file is not even a YAML mapping with a list.
///
/// `failed` is the rule the parser failed on; also returned is whether that rule's problems were
/// told here. They are not when the text cannot be read again to place them (the parser also
/// breaks lines at a lone `\r`), and then the parser's own error, which it placed, is the one to tell.
fn rules_one_by_one(
    document: &RuleDocument,
    locator: &Locator,
    failed: Option<usize>,
) -> (Vec<Result<RuleSpec, Vec<RuleError>>>, bool) {
    let Ok(serde_yaml::Value::Mapping(file)) = serde_yaml::from_str::<serde_yaml::Value>(&document.text) else {
        return (Vec::new(), false);
    };
    let Some(serde_yaml::Value::Sequence(rules)) = file.get("rules") else { return (Vec::new(), false) };
    let mut occurrences: HashMap<&str, usize> = HashMap::new();
    let mut failed_told = false;
    let specs = rules
        .iter()
        .enumerate()
        .map(|(index, value)| {
            let id = value.get("id").and_then(|id| id.as_str()).unwrap_or_default();
            let occurrence = occurrences.entry(id).or_default();
            let at = ValueSpot { file: &document.name, locator, id, occurrence: *occurrence };
            *occurrence += 1;
            let parsed = serde_yaml::from_value::<RuleSpec>(value.clone());
            if Some(index) == failed && parsed.is_err() {
                if !locator.finds_rule(id, at.occurrence) {
                    return Ok(None);
                }
                failed_told = true;
            }
            parsed.map(Some).map_err(|err| {
                let wrong_keys: Vec<RuleError> = keys_that_do_not_read(value)
                    .into_iter()
                    .map(|(key, message)| at.error(Some(key), message))
                    .collect();
                if wrong_keys.is_empty() {
                    vec![at.error(None, readable(&err))]
                } else {
                    wrong_keys
                }
            })
        })
        .filter_map(Result::transpose)
        .collect();
    (specs, failed_told)
}

/// Each key of a rule that fails when read alone (beside a stand-in id), with the message.
fn keys_that_do_not_read(rule: &serde_yaml::Value) -> Vec<(&str, String)> {
    let serde_yaml::Value::Mapping(keys) = rule else { return Vec::new() };
    keys.iter()
        .filter_map(|(key, value)| {
            let name = key.as_str()?;
            let mut alone = serde_yaml::Mapping::new();
            alone.insert("id".into(), "stand-in".into());
            alone.insert(key.clone(), value.clone());
            let err = serde_yaml::from_value::<RuleSpec>(serde_yaml::Value::Mapping(alone)).err()?;
            Some((name, readable(&err)))
        })
        .collect()
}

/// A rule read on its own, which has no positions: its problems are placed by reading the text.
struct ValueSpot<'a> {
    file: &'a str,
    locator: &'a Locator<'a>,
    id: &'a str,
    occurrence: usize,
}

impl ValueSpot<'_> {
    /// A problem with the rule's `key` (or with the rule, when `None`), placed at the key the
    /// message names (`unknown field `x``, at any depth), else at `key`'s value, else at the rule.
    fn error(&self, key: Option<&str>, message: String) -> RuleError {
        let named = message.strip_prefix("unknown field `").and_then(|rest| rest.split('`').next());
        let (line, column) = match (named, key) {
            _ if self.id.is_empty() => (1, 1),
            (Some(named), _) => self.locator.key(self.id, self.occurrence, named),
            (None, Some(key)) => self.locator.value(self.id, self.occurrence, key),
            (None, None) => self.locator.rule(self.id, self.occurrence),
        };
        // `unknown variant `loud`` does not say which key held it.
        let message = match key {
            Some(key) if named.is_none() && !message.contains(&format!("`{key}`")) => format!("`{key}`: {message}"),
            _ => message,
        };
        let rule = (!self.id.is_empty()).then(|| self.id.to_owned());
        RuleError { file: self.file.to_owned(), line, column, rule, message: with_suggestion(message) }
    }
}

/// The parser's own ` at line N column M`, which the `FILE:LINE:COL:` prefix already says.
static POSITION: std::sync::LazyLock<regex::Regex> =
    std::sync::LazyLock::new(|| regex::Regex::new(r" at line \d+ column \d+").expect("a valid regex"));

/// The schema's types as a rule's author knows them.
const WANTED: &[(&str, &str)] = &[
    ("RuleFile", "a mapping whose `rules:` key holds the list of rules (`rules:` then `  - id: …`)"),
    ("RuleSpec", "a rule: a mapping with `id:`, `match:` and its other keys"),
    ("MatchSpec", "a mapping such as `{ literals: [...] }` or `{ regex: [...] }`"),
    ("CommandSpec", "a mapping such as `{ program: rm, flags: [...], args: [...] }`"),
    ("EvidenceSpec", "a mapping such as `{ tests: [missing, failed] }` or `{ after_failure: true }`"),
    ("Threshold", "a mapping `{ count: N, within: DURATION }`"),
    ("Escalate", "a mapping `{ within: DURATION, steps: [ACTION, ...] }`"),
    ("RuleTest", "a test: a mapping `{ input: TEXT, expect: match | no-match }`"),
];

/// A YAML or schema error from the parser, which knows the position; its message repeats the
/// position at the end, which the `FILE:LINE:COL:` prefix already says.
///
/// The parser also counts a lone `\r`, U+0085, U+2028 and U+2029 as line breaks; the position is
/// recomputed from its byte offset so every error in a file counts lines (`\n`) and columns
/// (bytes) the way the [`Locator`] does.
fn yaml_error(file: &str, text: &str, err: &serde_yaml::Error) -> RuleError {
    let (line, column) = err.location().map_or((1, 1), |at| line_and_column(text, at.index()));
    RuleError { file: file.to_owned(), line, column, rule: None, message: with_suggestion(readable(err)) }
}

/// The parser's message without its position (the `FILE:LINE:COL:` prefix says it), and with
/// what to write where serde names the Rust type it wanted.
fn readable(err: &serde_yaml::Error) -> String {
    let message = POSITION.replace_all(&err.to_string(), "").into_owned();
    let message = WANTED.iter().fold(message, |message, (rust, yaml)| {
        message.replace(&format!("expected struct {rust}"), &format!("expected {yaml}"))
    });
    // The names serde gives the other types it reads.
    [
        (
            "expected a Value::Tagged enum",
            "expected one of the words this key takes (`severity: warning`, `action: inject`)",
        ),
        ("expected u32", "expected a whole number"),
        ("expected u64", "expected a whole number"),
        ("expected usize", "expected a whole number"),
    ]
    .iter()
    .fold(message, |message, (rust, yaml)| message.replace(rust, yaml))
}

/// `message` with the word meant, where serde lists the words it takes for one it does not know
/// (`unknown field `severty`, expected one of …`): `; did you mean `severity`?`.
fn with_suggestion(message: String) -> String {
    let after = |what: &str| message.find(what).map(|at| &message[at + what.len()..]);
    let Some(rest) = after("unknown field `").or_else(|| after("unknown variant `")) else { return message };
    let Some((unknown, expected)) = rest.split_once('`') else { return message };
    let Some((_, choices)) = expected.split_once("expected one of ") else { return message };
    let closest = choices
        .split(", ")
        .map(|choice| choice.trim_matches('`'))
        .map(|choice| (strsim::damerau_levenshtein(unknown, choice), choice))
        .filter(|&(distance, choice)| distance <= 2.max(choice.len() / 4) && distance < choice.len())
        .min();
    match closest {
        Some((_, choice)) => format!("{message}; did you mean `{choice}`?"),
        None => message,
    }
}

/// The 1-based line and byte column of a byte offset in `text`.
fn line_and_column(text: &str, index: usize) -> (usize, usize) {
    let before = &text.as_bytes()[..index.min(text.len())];
    let line_start = memchr::memrchr(b'\n', before).map_or(0, |newline| newline + 1);
    (memchr::memchr_iter(b'\n', before).count() + 1, before.len() - line_start + 1)
}

#[cfg(test)]
mod tests;
