use super::*;

fn spec(tests: &[TestEvidence], unverified: bool) -> EvidenceSpec {
    EvidenceSpec { tests: tests.to_vec(), unverified }
}

#[test]
fn a_claim_after_an_edit_needs_a_passing_test_run() {
    let claim = spec(&[TestEvidence::Missing, TestEvidence::Failed], false);
    let mut evidence = Evidence::default();
    assert!(evidence.holds(&claim), "nothing ran yet");
    evidence.observe(Observation::TestOutcome { passed: true });
    assert!(!evidence.holds(&claim));
    evidence.observe(Observation::Edit);
    assert!(evidence.holds(&claim), "the edit came after the passing run");
    evidence.observe(Observation::Command { test: true });
    assert!(!evidence.holds(&claim), "running, outcome unknown: not judged");
    evidence.observe(Observation::CommandResult { ok: false });
    assert!(evidence.holds(&claim), "the run failed");
    evidence.observe(Observation::Command { test: true });
    evidence.observe(Observation::CommandResult { ok: true });
    assert!(!evidence.holds(&claim), "the rerun passed");
}

#[test]
fn unverified_means_no_command_since_the_last_edit() {
    let claim = spec(&[], true);
    let mut evidence = Evidence::default();
    evidence.observe(Observation::Edit);
    assert!(evidence.holds(&claim));
    evidence.observe(Observation::Command { test: false });
    assert!(!evidence.holds(&claim));
    evidence.observe(Observation::Edit);
    assert!(evidence.holds(&claim));
}

#[test]
fn a_rule_fires_once_per_state_and_again_after_a_change() {
    let claim = spec(&[TestEvidence::Missing], false);
    let mut evidence = Evidence::default();
    evidence.observe(Observation::Edit);
    assert!(evidence.allows(3, &claim));
    assert!(!evidence.allows(3, &claim), "same state, same rule");
    assert!(evidence.allows(4, &claim), "another rule has its own record");
    evidence.observe(Observation::Edit);
    assert!(!evidence.allows(3, &claim), "the lines of one diff are one edit");
    evidence.observe(Observation::Command { test: false });
    evidence.observe(Observation::Edit);
    assert!(evidence.allows(3, &claim), "a new edit after a command is a new state");
}
