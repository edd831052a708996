//! Stage 3: whether a hit becomes an intervention, and which action it takes.
//!
//! Per task and per rule: a cooldown after each firing, a threshold (`count` hits `within` a
//! window), and an escalation ladder climbed by repeated firings within a window. Time is always
//! passed in, never read from a clock, so tests are exact and instant.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use crate::rules::{Action, Rule, Scope};

/// Whether time-based policy applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyMode {
    /// Supervising a task: cooldown, threshold, escalation and silence timers apply.
    Live,
    /// `axiom check`: every hit is reported with the rule's first action; no timers.
    Offline,
}

/// The least time between two firings of a rule that interrupts or kills the child (or may, up
/// its ladder), whatever its `cooldown`: a task that floods lines such a rule fires on gets at
/// most one interrupt a second of it, not one per line (an interrupt a line after the last one is
/// no use: the child has not been able to react). Not for `warn` or `inject`, each of which
/// answers its own line (a correction per violation), nor for a tool call, which each wants its
/// own decision.
pub const REFIRE_FLOOR: Duration = Duration::from_secs(1);

#[derive(Debug, Default)]
struct RuleState {
    last_fired: Option<Instant>,
    /// Hits still inside the threshold window.
    hits: VecDeque<Instant>,
    /// Firings still inside the escalation window.
    firings: VecDeque<Instant>,
}

/// The policy's state, kept only for the rules that were hit: a task holds one policy per scope
/// for as long as it is listed, and a pack has hundreds of rules, most never hit by a task.
#[derive(Debug)]
pub struct Policy {
    mode: PolicyMode,
    states: HashMap<usize, RuleState>,
}

impl Policy {
    pub fn new(mode: PolicyMode) -> Self {
        Policy { mode, states: HashMap::new() }
    }

    pub fn mode(&self) -> PolicyMode {
        self.mode
    }

    /// A hit of `rule` (at `index` in the rule set) at `now`: the action to take, or `None` to stay quiet.
    pub fn on_hit(&mut self, index: usize, rule: &Rule, now: Instant) -> Option<Action> {
        if self.mode == PolicyMode::Offline {
            return Some(rule.action);
        }
        let state = self.states.entry(index).or_default();
        let stops = |action: &Action| matches!(action, Action::Interrupt | Action::Kill);
        let stops_the_child = rule.scope != Scope::Tool
            && (stops(&rule.action) || rule.escalate.as_ref().is_some_and(|ladder| ladder.steps.iter().any(stops)));
        let floor = if stops_the_child { REFIRE_FLOOR } else { Duration::ZERO };
        let cooldown = rule.cooldown.unwrap_or_default().max(floor);
        if state.last_fired.is_some_and(|last| now.saturating_duration_since(last) < cooldown) {
            return None;
        }
        if let Some(threshold) = rule.threshold {
            forget_before(&mut state.hits, now, threshold.within);
            state.hits.push_back(now);
            if state.hits.len() < threshold.count as usize {
                return None;
            }
            state.hits.clear();
        }
        let action = match &rule.escalate {
            Some(ladder) => {
                forget_before(&mut state.firings, now, ladder.within);
                let step = state.firings.len().min(ladder.steps.len() - 1);
                state.firings.push_back(now);
                ladder.steps[step]
            }
            None => rule.action,
        };
        state.last_fired = Some(now);
        Some(action)
    }

    /// The policy for `new` rules after a hot reload: a rule keeps its state (cooldown, threshold
    /// hits, escalation step) when a rule with the same id was in force before with the same
    /// policy; a new rule, or one whose policy changed, starts afresh. Rules are matched up by id,
    /// never by position, so adding or removing one rule leaves every other rule's state alone.
    pub fn carried_over(mut self, old: &[Rule], new: &[Rule]) -> Policy {
        let mut by_id: HashMap<&str, usize> =
            old.iter().enumerate().map(|(index, rule)| (rule.id.as_str(), index)).collect();
        let states = new
            .iter()
            .enumerate()
            .filter_map(|(new_index, rule)| match by_id.remove(rule.id.as_str()) {
                Some(index) if same_policy(&old[index], rule) => Some((new_index, self.states.remove(&index)?)),
                _ => None,
            })
            .collect();
        Policy { mode: self.mode, states }
    }

    /// When the rule last fired, if ever.
    pub fn last_fired(&self, index: usize) -> Option<Instant> {
        self.states.get(&index)?.last_fired
    }
}

/// Whether two versions of a rule keep their policy state in the same sense.
fn same_policy(old: &Rule, new: &Rule) -> bool {
    old.action == new.action
        && old.cooldown == new.cooldown
        && old.threshold == new.threshold
        && old.escalate == new.escalate
        && old.silence == new.silence
}

/// Drops the instants that are `window` or more before `now`.
fn forget_before(instants: &mut VecDeque<Instant>, now: Instant, window: Duration) {
    while instants.front().is_some_and(|&at| now.saturating_duration_since(at) >= window) {
        instants.pop_front();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::{Escalation, RuleDocument, RuleSet, ThresholdPolicy};

    fn rule() -> Rule {
        let yaml = "rules:\n  - id: r\n    match: { literals: [x] }\n    action: inject\n    message: m\n";
        RuleSet::from_documents(vec![RuleDocument::new("t.yaml", yaml)]).unwrap().rules()[0].clone()
    }

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    fn set(yaml: &str) -> RuleSet {
        RuleSet::from_documents(vec![RuleDocument::new("t.yaml", yaml)]).unwrap()
    }

    #[test]
    fn a_reload_keeps_the_state_of_unchanged_rules_matched_by_id() {
        let before = set("rules:
  - id: cool
    match: { literals: [a] }
    cooldown: 60s
  - id: ladder
    match: { literals: [b] }
    escalate: { within: 10m, steps: [inject, interrupt, kill] }
    message: m
  - id: edited
    match: { literals: [c] }
    cooldown: 60s
");
        let mut policy = Policy::new(PolicyMode::Live);
        let t0 = Instant::now();
        assert!(policy.on_hit(0, before.rule(0), t0).is_some());
        assert_eq!(policy.on_hit(1, before.rule(1), t0), Some(Action::Inject));
        assert!(policy.on_hit(2, before.rule(2), t0).is_some());
        // A new rule in front moves every index; `edited` changes its cooldown; `ladder` changes
        // only its patterns and message, not its policy.
        let after = set("rules:
  - id: fresh
    match: { literals: [d] }
  - id: edited
    match: { literals: [c] }
    cooldown: 30s
  - id: ladder
    match: { literals: [b, bb] }
    escalate: { within: 10m, steps: [inject, interrupt, kill] }
    message: changed
  - id: cool
    match: { literals: [a] }
    cooldown: 60s
");
        let mut policy = policy.carried_over(before.rules(), after.rules());
        let t1 = t0 + secs(5);
        assert_eq!(policy.on_hit(3, after.rule(3), t1), None, "cool is still cooling down");
        assert_eq!(policy.on_hit(2, after.rule(2), t1), Some(Action::Interrupt), "ladder keeps its step");
        assert!(policy.on_hit(1, after.rule(1), t1).is_some(), "edited changed its policy and starts afresh");
        assert!(policy.on_hit(0, after.rule(0), t1).is_some());
        assert_eq!(policy.last_fired(3), Some(t0));
    }

    #[test]
    fn offline_reports_every_hit() {
        let mut rule = rule();
        rule.cooldown = Some(secs(60));
        let mut policy = Policy::new(PolicyMode::Offline);
        let now = Instant::now();
        assert_eq!(policy.on_hit(0, &rule, now), Some(Action::Inject));
        assert_eq!(policy.on_hit(0, &rule, now), Some(Action::Inject));
    }

    #[test]
    fn cooldown_silences_until_it_has_passed() {
        let mut rule = rule();
        rule.cooldown = Some(secs(30));
        let mut policy = Policy::new(PolicyMode::Live);
        let t0 = Instant::now();
        assert_eq!(policy.on_hit(0, &rule, t0), Some(Action::Inject));
        assert_eq!(policy.on_hit(0, &rule, t0 + secs(29)), None);
        assert_eq!(policy.on_hit(0, &rule, t0 + secs(30)), Some(Action::Inject));
        assert_eq!(policy.on_hit(0, &rule, t0 + secs(31)), None);
    }

    #[test]
    fn a_rule_that_stops_the_child_fires_at_most_once_a_second_live_and_on_every_hit_offline() {
        let mut rule = rule();
        rule.action = Action::Interrupt;
        let mut policy = Policy::new(PolicyMode::Live);
        let t0 = Instant::now();
        assert_eq!(policy.on_hit(0, &rule, t0), Some(Action::Interrupt));
        for millis in [1, 500, 999] {
            assert_eq!(policy.on_hit(0, &rule, t0 + Duration::from_millis(millis)), None, "{millis} ms");
        }
        assert_eq!(policy.on_hit(0, &rule, t0 + REFIRE_FLOOR), Some(Action::Interrupt));
        let mut offline = Policy::new(PolicyMode::Offline);
        assert!((0..3).all(|_| offline.on_hit(0, &rule, t0) == Some(Action::Interrupt)));
        // A correction answers every line.
        rule.action = Action::Inject;
        let mut policy = Policy::new(PolicyMode::Live);
        assert!((0..3).all(|_| policy.on_hit(0, &rule, t0) == Some(Action::Inject)));
    }

    #[test]
    fn threshold_fires_on_the_count_th_hit_inside_the_window() {
        let mut rule = rule();
        rule.threshold = Some(ThresholdPolicy { count: 3, within: secs(120) });
        let mut policy = Policy::new(PolicyMode::Live);
        let t0 = Instant::now();
        assert_eq!(policy.on_hit(0, &rule, t0), None);
        assert_eq!(policy.on_hit(0, &rule, t0 + secs(10)), None);
        assert_eq!(policy.on_hit(0, &rule, t0 + secs(20)), Some(Action::Inject));
        // The count starts over after a firing.
        assert_eq!(policy.on_hit(0, &rule, t0 + secs(21)), None);
        assert_eq!(policy.on_hit(0, &rule, t0 + secs(22)), None);
        assert_eq!(policy.on_hit(0, &rule, t0 + secs(23)), Some(Action::Inject));
    }

    #[test]
    fn threshold_forgets_hits_older_than_the_window() {
        let mut rule = rule();
        rule.threshold = Some(ThresholdPolicy { count: 2, within: secs(60) });
        let mut policy = Policy::new(PolicyMode::Live);
        let t0 = Instant::now();
        assert_eq!(policy.on_hit(0, &rule, t0), None);
        assert_eq!(policy.on_hit(0, &rule, t0 + secs(60)), None, "the first hit has left the window");
        assert_eq!(policy.on_hit(0, &rule, t0 + secs(61)), Some(Action::Inject));
    }

    #[test]
    fn escalation_climbs_the_ladder_and_resets_after_the_window() {
        let mut rule = rule();
        rule.escalate =
            Some(Escalation { within: secs(600), steps: vec![Action::Inject, Action::Interrupt, Action::Kill] });
        let mut policy = Policy::new(PolicyMode::Live);
        let t0 = Instant::now();
        assert_eq!(policy.on_hit(0, &rule, t0), Some(Action::Inject));
        assert_eq!(policy.on_hit(0, &rule, t0 + secs(60)), Some(Action::Interrupt));
        assert_eq!(policy.on_hit(0, &rule, t0 + secs(120)), Some(Action::Kill));
        assert_eq!(policy.on_hit(0, &rule, t0 + secs(180)), Some(Action::Kill), "the top step repeats");
        // Long quiet: every earlier firing left the window.
        assert_eq!(policy.on_hit(0, &rule, t0 + secs(2000)), Some(Action::Inject));
    }

    #[test]
    fn cooldown_hits_do_not_count_toward_escalation() {
        let mut rule = rule();
        rule.cooldown = Some(secs(30));
        rule.escalate = Some(Escalation { within: secs(600), steps: vec![Action::Inject, Action::Kill] });
        let mut policy = Policy::new(PolicyMode::Live);
        let t0 = Instant::now();
        assert_eq!(policy.on_hit(0, &rule, t0), Some(Action::Inject));
        for offset in 1..30 {
            assert_eq!(policy.on_hit(0, &rule, t0 + secs(offset)), None);
        }
        assert_eq!(policy.on_hit(0, &rule, t0 + secs(30)), Some(Action::Kill));
    }
}
