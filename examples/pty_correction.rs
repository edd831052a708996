//! Corrections under the pty driver with the real Claude Code UI, measured: how many reach the
//! model, and how long after the violating reply.
//!
//! Each run is a fresh `axiom run --driver pty` of Claude Code on a terminal of its own, against
//! the scripted Messages API stand-in of the tests. The model's first reply says "All tests pass
//! and nothing is left to do"; a rule injects a correction. Latency is from the moment the stand-in
//! finished sending that reply to the arrival of the request that carries the correction.
//!
//! - `idle`: the reply ends the turn; the correction is typed into the idle prompt.
//! - `busy`: the reply also runs `sleep 3` as a Bash tool; the correction is typed while the
//!   spinner runs. Claude Code holds a message typed during a tool and sends it with the tool's
//!   result, so this latency includes the tool; `busy-unwatched` (no rule) is that floor.
//!
//! ```text
//! cargo build --release --bin axiom --example pty_correction
//! target/release/examples/pty_correction [RUNS (20)] [idle|busy|busy-unwatched ...]
//! ```
//!
//! The Claude Code CLI is found as the tests find it (`AXIOM_CLAUDE_BIN`, `.ci/claude-code/`,
//! `../claude-code/`); `axiom` is the binary next to this example's directory.

#[path = "../tests/claude_support/mod.rs"]
mod claude_support;
#[path = "../tests/pty_support/mod.rs"]
mod pty_support;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use pty_support::{correction_run, Load, PATIENCE};

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1).peekable();
    let runs: usize = match args.peek().map(|first| first.parse()) {
        Some(Ok(runs)) => {
            args.next();
            runs
        }
        _ => 20,
    };
    let mut loads = Vec::new();
    for name in args {
        loads.push(match name.as_str() {
            "idle" => Load::Idle,
            "busy" => Load::Busy,
            "busy-unwatched" => Load::BusyUnwatched,
            other => {
                eprintln!("unknown load {other:?}: expected idle, busy or busy-unwatched");
                return ExitCode::from(2);
            }
        });
    }
    if loads.is_empty() {
        loads = vec![Load::Idle, Load::Busy, Load::BusyUnwatched];
    }
    let Some(cli) = claude_support::claude_cli() else { return ExitCode::from(2) };
    let axiom = axiom_binary();
    if !axiom.is_file() {
        eprintln!("{} not found: build it first (cargo build [--release] --bin axiom)", axiom.display());
        return ExitCode::from(2);
    }
    let mut all_delivered = true;
    for load in loads {
        let mut latencies = Vec::new();
        let mut with_result = 0;
        let mut lost = 0;
        for run in 1..=runs {
            match correction_run(&axiom, &cli, load, PATIENCE) {
                Ok(outcome) => {
                    eprintln!("{load:?} run {run}: {:.0} ms", ms(outcome.latency));
                    latencies.push(outcome.latency);
                    with_result += usize::from(outcome.with_tool_result);
                }
                Err(why) => {
                    eprintln!("{load:?} run {run}: LOST: {why}");
                    lost += 1;
                }
            }
        }
        latencies.sort();
        let p50 = latencies.get(latencies.len().saturating_sub(1) / 2).copied().unwrap_or_default();
        let max = latencies.last().copied().unwrap_or_default();
        let min = latencies.first().copied().unwrap_or_default();
        println!(
            "{load:?}: {}/{runs} reached the model ({lost} lost), {with_result} with the tool's result; latency p50 {:.0} ms, min {:.0} ms, max {:.0} ms",
            latencies.len(),
            ms(p50),
            ms(min),
            ms(max)
        );
        all_delivered &= lost == 0;
    }
    if all_delivered {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// `target/PROFILE/axiom`, next to `target/PROFILE/examples/` where this runs from.
fn axiom_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap_or_default();
    let profile_dir = exe.parent().and_then(|examples| examples.parent()).map(PathBuf::from).unwrap_or_default();
    profile_dir.join("axiom")
}
