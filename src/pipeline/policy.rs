//! Stage 3: whether a hit becomes an intervention, and which action it takes.
//!
//! Per task and per rule: a cooldown after each firing, a threshold (`count` hits `within` a
//! window), and an escalation ladder climbed by repeated firings within a window. Time is always
//! passed in, never read from a clock, so tests are exact and instant.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::rules::{Action, Rule};

/// Whether time-based policy applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyMode {
    /// Supervising a task: cooldown, threshold, escalation and silence timers apply.
    Live,
    /// `axiom check`: every hit is reported with the rule's first action; no timers.
    Offline,
}

#[derive(Debug, Default)]
struct RuleState {
    last_fired: Option<Instant>,
    /// Hits still inside the threshold window.
    hits: VecDeque<Instant>,
    /// Firings still inside the escalation window.
    firings: VecDeque<Instant>,
}

#[derive(Debug)]
pub struct Policy {
    mode: PolicyMode,
    states: Vec<RuleState>,
}

impl Policy {
    pub fn new(mode: PolicyMode, rule_count: usize) -> Self {
        Policy { mode, states: (0..rule_count).map(|_| RuleState::default()).collect() }
    }

    pub fn mode(&self) -> PolicyMode {
        self.mode
    }

    /// A hit of `rule` (at `index` in the rule set) at `now`: the action to take, or `None` to stay quiet.
    pub fn on_hit(&mut self, index: usize, rule: &Rule, now: Instant) -> Option<Action> {
        if self.mode == PolicyMode::Offline {
            return Some(rule.action);
        }
        let state = &mut self.states[index];
        if let (Some(cooldown), Some(last)) = (rule.cooldown, state.last_fired) {
            if now.saturating_duration_since(last) < cooldown {
                return None;
            }
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

    /// When the rule last fired, if ever.
    pub fn last_fired(&self, index: usize) -> Option<Instant> {
        self.states[index].last_fired
    }
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

    #[test]
    fn offline_reports_every_hit() {
        let mut rule = rule();
        rule.cooldown = Some(secs(60));
        let mut policy = Policy::new(PolicyMode::Offline, 1);
        let now = Instant::now();
        assert_eq!(policy.on_hit(0, &rule, now), Some(Action::Inject));
        assert_eq!(policy.on_hit(0, &rule, now), Some(Action::Inject));
    }

    #[test]
    fn cooldown_silences_until_it_has_passed() {
        let mut rule = rule();
        rule.cooldown = Some(secs(30));
        let mut policy = Policy::new(PolicyMode::Live, 1);
        let t0 = Instant::now();
        assert_eq!(policy.on_hit(0, &rule, t0), Some(Action::Inject));
        assert_eq!(policy.on_hit(0, &rule, t0 + secs(29)), None);
        assert_eq!(policy.on_hit(0, &rule, t0 + secs(30)), Some(Action::Inject));
        assert_eq!(policy.on_hit(0, &rule, t0 + secs(31)), None);
    }

    #[test]
    fn threshold_fires_on_the_count_th_hit_inside_the_window() {
        let mut rule = rule();
        rule.threshold = Some(ThresholdPolicy { count: 3, within: secs(120) });
        let mut policy = Policy::new(PolicyMode::Live, 1);
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
        let mut policy = Policy::new(PolicyMode::Live, 1);
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
        let mut policy = Policy::new(PolicyMode::Live, 1);
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
        let mut policy = Policy::new(PolicyMode::Live, 1);
        let t0 = Instant::now();
        assert_eq!(policy.on_hit(0, &rule, t0), Some(Action::Inject));
        for offset in 1..30 {
            assert_eq!(policy.on_hit(0, &rule, t0 + secs(offset)), None);
        }
        assert_eq!(policy.on_hit(0, &rule, t0 + secs(30)), Some(Action::Kill));
    }
}
