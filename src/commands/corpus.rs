//! `axiom rules test --corpus FILE`: the rules measured on a labelled corpus of agent output.
//!
//! Each JSON line is one excerpt: `id`, `agent`, `kind` (the misbehaviour, or `none`),
//! `should_fire`, `text`, and optionally `resembles` (for a look-alike, the kind it resembles).
//! Every excerpt runs through its own offline pipeline of output rules; an excerpt is "caught"
//! when any rule fires on it. The report gives recall and false fires in total, per kind, per
//! agent and per rule, and names the excerpts missed and fired on wrongly, so a rule change shows
//! its effect at once.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use serde::{Deserialize, Serialize};

use super::output::outln;
use super::rules::run_text;
use crate::cli::Format;
use crate::rules::{RuleSet, Scope};

#[derive(Debug, Deserialize)]
struct Excerpt {
    id: String,
    #[serde(default)]
    agent: String,
    #[serde(default)]
    kind: String,
    should_fire: bool,
    text: String,
    #[serde(default)]
    resembles: Option<String>,
}

/// Caught / total for one group of excerpts.
#[derive(Debug, Default, Clone, Copy, Serialize)]
pub struct Tally {
    pub fired: usize,
    pub total: usize,
}

impl Tally {
    fn add(&mut self, fired: bool) {
        self.total += 1;
        self.fired += usize::from(fired);
    }
}

impl std::fmt::Display for Tally {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.total == 0 {
            f.write_str("-")
        } else {
            write!(f, "{}/{}", self.fired, self.total)
        }
    }
}

/// What one rule did over the corpus.
#[derive(Debug, Default, Serialize)]
pub struct RuleScore {
    /// Misbehaving excerpts it fired on.
    pub caught: Vec<String>,
    /// Look-alikes it fired on.
    pub false_fires: Vec<String>,
}

/// The whole measurement.
#[derive(Debug, Default, Serialize)]
pub struct CorpusReport {
    pub excerpts: usize,
    /// Misbehaving excerpts with at least one firing, of all misbehaving excerpts.
    pub caught: Tally,
    /// Look-alikes with at least one firing, of all look-alikes.
    pub false_fires: Tally,
    /// Per kind of misbehaviour: misbehaving excerpts caught, and look-alikes of that kind fired on.
    pub by_kind: BTreeMap<String, (Tally, Tally)>,
    /// Per agent: the same two measures.
    pub by_agent: BTreeMap<String, (Tally, Tally)>,
    pub by_rule: BTreeMap<String, RuleScore>,
    pub missed: Vec<String>,
    /// Look-alike id → the rules that fired on it.
    pub fired_wrongly: BTreeMap<String, Vec<String>>,
}

/// Measures `rules` on every excerpt of the corpus at `path`.
pub fn measure(rules: &Arc<RuleSet>, path: &Path) -> anyhow::Result<CorpusReport> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut report = CorpusReport::default();
    for (number, line) in text.lines().enumerate().filter(|(_, line)| !line.trim().is_empty()) {
        let excerpt: Excerpt = serde_json::from_str(line)
            .with_context(|| format!("{}:{}: not a corpus record", path.display(), number + 1))?;
        let fired: BTreeSet<String> =
            run_text(rules, Scope::Output, &excerpt.text).into_iter().map(|i| i.rule).collect();
        let any = !fired.is_empty();
        report.excerpts += 1;
        let kind = if excerpt.should_fire {
            excerpt.kind.clone()
        } else {
            excerpt.resembles.clone().unwrap_or_else(|| excerpt.kind.clone())
        };
        let slot = |map: &mut BTreeMap<String, (Tally, Tally)>, key: &str| -> (Tally, Tally) {
            *map.entry(key.to_owned()).or_default()
        };
        let (mut kind_pos, mut kind_neg) = slot(&mut report.by_kind, &kind);
        let (mut agent_pos, mut agent_neg) = slot(&mut report.by_agent, &excerpt.agent);
        if excerpt.should_fire {
            report.caught.add(any);
            kind_pos.add(any);
            agent_pos.add(any);
            if !any {
                report.missed.push(excerpt.id.clone());
            }
        } else {
            report.false_fires.add(any);
            kind_neg.add(any);
            agent_neg.add(any);
            if any {
                report.fired_wrongly.insert(excerpt.id.clone(), fired.iter().cloned().collect());
            }
        }
        report.by_kind.insert(kind, (kind_pos, kind_neg));
        report.by_agent.insert(excerpt.agent.clone(), (agent_pos, agent_neg));
        for rule in fired {
            let score = report.by_rule.entry(rule).or_default();
            if excerpt.should_fire {
                score.caught.push(excerpt.id.clone());
            } else {
                score.false_fires.push(excerpt.id.clone());
            }
        }
    }
    Ok(report)
}

pub fn run(rules: &Arc<RuleSet>, path: &Path, format: Format) -> anyhow::Result<ExitCode> {
    let report = measure(rules, path)?;
    match format {
        Format::Json => outln!("{}", serde_json::to_string_pretty(&report)?),
        Format::Text => print_text(&report),
    }
    Ok(ExitCode::SUCCESS)
}

fn print_text(report: &CorpusReport) {
    outln!(
        "{}: caught {} misbehaving, fired on {} look-alikes",
        crate::human::count(report.excerpts as u64, "excerpt"),
        report.caught,
        report.false_fires
    );
    for (title, table) in [("kind", &report.by_kind), ("agent", &report.by_agent)] {
        let width = table.keys().map(String::len).max().unwrap_or(0).max(title.len());
        outln!("\n{title:<width$}  caught  look-alikes fired on");
        for (key, (caught, wrong)) in table {
            outln!("{key:<width$}  {:<6}  {wrong}", caught.to_string());
        }
    }
    let width = report.by_rule.keys().map(String::len).max().unwrap_or(4).max(4);
    outln!("\n{:<width$}  caught  false  excerpts", "rule");
    for (rule, score) in &report.by_rule {
        let wrong =
            if score.false_fires.is_empty() { String::new() } else { format!(" | {}", score.false_fires.join(" ")) };
        outln!(
            "{rule:<width$}  {:<6}  {:<5}  {}{wrong}",
            score.caught.len(),
            score.false_fires.len(),
            score.caught.join(" ")
        );
    }
    outln!("\nmissed: {}", if report.missed.is_empty() { "none".to_owned() } else { report.missed.join(" ") });
    let wrongly: Vec<String> =
        report.fired_wrongly.iter().map(|(id, rules)| format!("{id} ({})", rules.join(", "))).collect();
    outln!("fired on look-alikes: {}", if wrongly.is_empty() { "none".to_owned() } else { wrongly.join(" ") });
}
