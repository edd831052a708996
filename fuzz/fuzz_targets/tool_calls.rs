//! The built-in pack judging arbitrary shell commands as `axiom hook` does: the input, read as
//! UTF-8 (lossily), is a `Bash` call's command, rendered by `tool_line` and run through a
//! tool-scope pipeline. The shell parser, the variables it expands, `find`'s and `xargs`'
//! stand-ins and every command rule see it, judged in a directory as the hook judges in its event's
//! `cwd` (so rules that read where the call runs, `args_hold_workplace`, see one). Must not panic (a panic in the hook lets the call go
//! through unjudged where the hook is not fail-closed), and every intervention names a rule.
#![no_main]

use std::sync::{Arc, OnceLock};
use std::time::Instant;

use axiom::agent::tool_line;
use axiom::pipeline::{Pipeline, PipelineOptions};
use axiom::rules::{judging_in, RuleOrigin, RuleSet, Scope, Workplace};
use libfuzzer_sys::fuzz_target;

fn pack() -> Arc<RuleSet> {
    static PACK: OnceLock<Arc<RuleSet>> = OnceLock::new();
    Arc::clone(PACK.get_or_init(|| Arc::new(RuleSet::load(RuleOrigin::Embedded).expect("the built-in pack loads"))))
}

fuzz_target!(|data: &[u8]| {
    let command = String::from_utf8_lossy(data);
    let line = tool_line("Bash", &serde_json::json!({ "command": command }));
    let mut pipeline = Pipeline::new(pack(), Scope::Tool, "fuzz", PipelineOptions::offline());
    let now = Instant::now();
    let fired = judging_in(Some(Workplace::Directory("/home/dev/work/app".into())), || {
        let mut fired = pipeline.push(format!("{line}\n").as_bytes(), now);
        fired.extend(pipeline.finish(now));
        fired
    });
    for intervention in &fired {
        assert!(!intervention.rule.is_empty());
    }
});
