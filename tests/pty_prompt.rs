//! `--prompt-pattern`: describing another agent's prompt to the pty driver, against a small TUI
//! that is not Claude Code (`fixtures/prompt-tui.py`: raw mode, cursor moves, an `ask> ` row).
//! At its prompt the agent is idle, so a silence rule leaves it alone; without the pattern the
//! driver only knows Claude Code's prompt and the same quiet screen counts as silent.

mod claude_support;
mod live_support;
mod pty_support;

use std::path::Path;
use std::time::Duration;

use axiom::pipeline::Activity;
use live_support::{eventually, fixture, Hub};
use pty_support::{Session, Terminal};

const PROMPT: &str = "^ask> ";

const NUDGE: &str = "rules:\n  - id: quiet\n    silence: 2s\n    action: inject\n    message: Are you still there?\n";

fn session<'a>(rules: &'a str, run_args: &'a [&'a str]) -> Session<'a> {
    let axiom = Path::new(env!("CARGO_BIN_EXE_axiom"));
    Session { axiom, cli: axiom, rows: 24, cols: 80, rules, run_args, cli_args: &[] }
}

fn start(session: &Session<'_>) -> Terminal {
    let tui = fixture("prompt-tui.py");
    let terminal = Terminal::start_command(session, &["python3", &tui], &[("BUSY_SECS", "8")]);
    terminal.wait_drawn("the prompt", 0, |shown| String::from_utf8_lossy(shown).contains("ask> "));
    terminal
}

#[test]
fn another_agent_idle_at_the_prompt_it_was_described_by_is_not_nudged_but_busy_it_is() {
    let terminal = start(&session(NUDGE, &["--prompt-pattern", PROMPT]));
    // Three silence windows at its prompt: idle, so nothing fires.
    std::thread::sleep(Duration::from_secs(6));
    assert!(!terminal.stderr_text().contains("quiet"), "nudged at its prompt: {}", terminal.stderr_text());
    // Busy behind a spinner (no prompt row): the silence rule fires, and its text is typed in and
    // submitted once the agent takes input again.
    terminal.type_keys(b"work\r");
    terminal.wait_stderr("quiet");
    terminal.wait_drawn("the nudge submitted after the work", 0, |shown| {
        String::from_utf8_lossy(shown).contains("you said: Are you still there?")
    });
}

#[test]
fn without_the_pattern_the_same_quiet_prompt_is_silent_and_nudged() {
    let terminal = start(&session(NUDGE, &[]));
    terminal.wait_stderr("quiet");
    terminal.wait_drawn("the nudge typed into the prompt and submitted", 0, |shown| {
        String::from_utf8_lossy(shown).contains("you said: Are you still there?")
    });
}

#[test]
fn a_pattern_that_is_not_a_regex_or_matches_every_row_is_refused_before_anything_runs() {
    let axiom = Path::new(env!("CARGO_BIN_EXE_axiom"));
    for (pattern, says) in [("ask> (", "not a valid regex"), (".*", "matches an empty row")] {
        let output = std::process::Command::new(axiom)
            .args(["run", "--driver", "pty", "--prompt-pattern", pattern, "--", "true"])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{output:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("--prompt-pattern") && stderr.contains(says), "{stderr}");
    }
    let output =
        std::process::Command::new(axiom).args(["run", "--prompt-pattern", PROMPT, "--", "true"]).output().unwrap();
    assert_ne!(output.status.code(), Some(0), "a prompt pattern on pipes is an error");
    assert!(String::from_utf8_lossy(&output.stderr).contains("needs the pty driver"), "{output:?}");
}

#[test]
fn client_list_shows_the_described_agent_idle_and_the_undescribed_one_silent() {
    let hub = Hub::start("rules:\n  - id: quiet\n    silence: 2s\n    action: warn\n", &[]);
    let tui = fixture("prompt-tui.py");
    let line = format!("python3 {tui}");
    let described = hub.client(&["--driver", "pty", "--prompt-pattern", PROMPT, "--command", &line]);
    let mut described_client = live_support::Proc::spawn(described, "client with a prompt pattern");
    let described_id = described_client.wait_for_task_id();
    let plain = hub.client(&["--driver", "pty", "--command", &line]);
    let mut plain_client = live_support::Proc::spawn(plain, "client without one");
    let plain_id = plain_client.wait_for_task_id();
    eventually("one idle and one silent task", Duration::from_secs(90), || {
        let tasks = hub.list();
        let activity = |id: &str| tasks.iter().find(|task| task.task_id == id).and_then(|task| task.activity);
        match (activity(&described_id), activity(&plain_id)) {
            (Some(Activity::Idle), Some(Activity::Silent)) => Ok(()),
            other => Err(format!("{other:?}")),
        }
    });
    // The described one stays idle while the other is silent (long past the 2 s window).
    let tasks = hub.list();
    let described = tasks.iter().find(|task| task.task_id == described_id).unwrap();
    assert_eq!(described.activity, Some(Activity::Idle));
}
