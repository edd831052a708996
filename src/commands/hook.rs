//! `axiom hook`: axiom's rules inside a Claude Code session the user runs themselves.
//!
//! A command hook: Claude Code writes the event as JSON on stdin and reads the decision as JSON on
//! stdout. Each event is rendered by [`crate::agent`] into the lines of one scope, as in the
//! claude driver and over transcripts:
//!
//! | event | scope | what a firing rule does |
//! |---|---|---|
//! | `PreToolUse` | `tool` (`TOOL: ARGUMENT`) | `deny`: the call is refused, the message is the reason the model reads; `ask` (when no rule denies): Claude Code asks its user, showing the message; other actions add the message as context |
//! | `UserPromptSubmit` | `prompt` | `kill`: the prompt is blocked; `warn`: the message is shown to the user (`systemMessage`); others add it as context |
//! | `PostToolUse` | `output`, over the tool's response | the message is added as context for the model |
//! | `Stop` | `output`, over what the session did since the last Stop (text and tool results, from the transcript) and its last message; evidence rules also see every tool call and result before | the stop is blocked: the model continues with the message |
//!
//! | `SessionEnd` | — | the session's task at the hub ends |
//!
//! When a hub is running, each decision is also recorded there (see [`record`]): one task per
//! Claude Code session, so `axiom client list` and the histories show hook-supervised sessions.
//!
//! A Stop is blocked at most once in a row: when Claude Code says `stop_hook_active` (it is
//! continuing because of an earlier block), the hook lets it stop, so it can never loop.
//! A hook that fails says why on stderr and lets the session go on (exit 0, no decision), as
//! Claude Code expects of hooks; `--fail-closed` makes a failure block instead (exit 2). A tool
//! call is never let through unjudged: one whose event cannot be read, or whose judging panics,
//! is refused.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use serde_json::{json, Value};

use crate::agent::claude::split_at_last_stop;
use crate::agent::{render, tool_line, AgentEvent, AgentLine, EventObserver};
use crate::cli::HookArgs;
use crate::gate::Gate;
use crate::pipeline::{Intervention, Pipeline, PipelineOptions};
use crate::rules::{judging_in, Action, RuleOrigin, RuleSet, Scope, Workplace};

mod record;

/// What the hook made of one event: its answer, and for the record the lines it judged and the
/// rules that fired.
#[derive(Default)]
struct Verdict {
    answer: Option<Value>,
    lines: Vec<String>,
    fired: Vec<Intervention>,
}

pub fn run(args: HookArgs) -> anyhow::Result<ExitCode> {
    let mut input = String::new();
    let decided = std::io::stdin()
        .read_to_string(&mut input)
        .map_err(anyhow::Error::from)
        .and_then(|_| serde_json::from_str(&input).map_err(|err| anyhow::anyhow!("the hook input is not JSON: {err}")))
        .and_then(|event: Value| decide_or_refuse(&args, &event).map(|verdict| (event, verdict)));
    match decided {
        Ok((event, verdict)) => {
            if let Some(answer) = &verdict.answer {
                println!("{answer}");
            }
            record::at_hub(&args.hub, &event, &input, &verdict);
            Ok(ExitCode::SUCCESS)
        }
        Err(err) if is_unreadable_tool_call(&input) => {
            // The call is the agent's to write, and one written so that its event cannot be read
            // (nested too deep, a lone surrogate) must not run unjudged.
            crate::logging::note!("axiom hook: refusing a tool call it cannot read: {err:#}");
            println!("{}", refusal("this call's event could not be read (reported on stderr)"));
            Ok(ExitCode::SUCCESS)
        }
        Err(err) if args.fail_closed => {
            crate::logging::note!("axiom hook failed, and --fail-closed blocks: {err:#}");
            Ok(ExitCode::from(2))
        }
        Err(err) => {
            crate::logging::note!("axiom hook failed; letting the session continue: {err:#}");
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The rules the hook judges with. When the named ones cannot be read (a `git clean` or a move
/// took the directory `hooks install` named), the built-in pack judges instead, said on stderr:
/// letting every call through would turn supervision off as surely as an empty rule file.
/// `--fail-closed` refuses instead, as it does for any failure.
fn hook_rules(args: &HookArgs) -> anyhow::Result<Arc<RuleSet>> {
    let origin = RuleOrigin::resolve_named(&args.rules);
    crate::gate::guard(&origin, None);
    match super::load_rules_from(origin.clone()) {
        Err(err) if !args.fail_closed && origin != RuleOrigin::Embedded => {
            crate::logging::note!("axiom hook: {err:#}\naxiom hook: judging with the built-in pack instead");
            super::load_rules_from(RuleOrigin::Embedded)
        }
        loaded => loaded,
    }
}

/// [`decide`], where a panic while judging is a failure like any other, except for a tool call:
/// the call is what the agent wrote, and one it could write to crash the judging must not run
/// unjudged, so it is refused whatever `--fail-closed` says.
fn decide_or_refuse(args: &HookArgs, event: &Value) -> anyhow::Result<Verdict> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| decide(args, event))) {
        Ok(decided) => decided,
        Err(_) if event["hook_event_name"] == "PreToolUse" => Ok(Verdict {
            answer: Some(refusal("this call could not be judged (an internal error, reported on stderr)")),
            ..Verdict::default()
        }),
        Err(_) => Err(anyhow::anyhow!("judging the event panicked")),
    }
}

/// Whether `input`, which did not parse as an event, is a `PreToolUse` one: Claude Code writes the
/// event's name, the agent only the tool's input, so a call it made unreadable still says what it
/// is. (A tool input that spells the marker makes another event's failure a refusal too, which
/// blocks nothing: only a `PreToolUse` answer is read as one.)
fn is_unreadable_tool_call(input: &str) -> bool {
    static PRE_TOOL_USE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r#""hook_event_name"\s*:\s*"PreToolUse""#).expect("a valid regex")
    });
    serde_json::from_str::<Value>(input).is_err() && PRE_TOOL_USE.is_match(input)
}

/// A `PreToolUse` answer that refuses the call for `why`.
fn refusal(why: &str) -> Value {
    json!({ "hookSpecificOutput": {
        "hookEventName": "PreToolUse",
        "permissionDecision": "deny",
        "permissionDecisionReason": format!("Refused by axiom: {why}. Write the call another way."),
    }})
}

fn decide(args: &HookArgs, event: &Value) -> anyhow::Result<Verdict> {
    let Some(name) = event["hook_event_name"].as_str() else {
        anyhow::bail!("the hook input has no hook_event_name: not an event from Claude Code");
    };
    if name == "SessionEnd" || (matches!(name, "Stop" | "SubagentStop") && event["stop_hook_active"] == true) {
        // Nothing to judge: the session ends, or it continues because of an earlier block (and a
        // stop is never blocked twice in a row, so it can never loop).
        return Ok(Verdict::default());
    }
    let rules = hook_rules(args)?;
    let mut verdict = Verdict::default();
    match name {
        "PreToolUse" => {
            let Some(tool) = event["tool_name"].as_str() else {
                anyhow::bail!("the PreToolUse event has no tool_name");
            };
            verdict.lines = vec![tool_line(tool, &event["tool_input"])];
            // The call runs where the session is (Claude Code follows the Bash tool's `cd`s).
            let directory = event["cwd"].as_str().map(PathBuf::from).or_else(|| std::env::current_dir().ok());
            let gate = Gate::new(directory, Arc::from("hook"));
            let mut judge_in = |start: Option<&Path>, lines: &[String]| {
                judging_in(start.map(|start| Workplace::Directory(start.to_owned())), || {
                    judge(&rules, Scope::Tool, lines)
                })
            };
            let judged = gate.judge(&verdict.lines[0], &mut judge_in);
            verdict.fired = judged.fired;
            verdict.lines.extend(judged.also_judged);
            // A refusal outranks a question: the user is asked only about a call no rule refuses.
            let decision = [Action::Deny, Action::Ask]
                .into_iter()
                .find_map(|action| verdict.fired.iter().find(|i| i.action == action));
            verdict.answer = match decision {
                Some(decided) => Some(json!({ "hookSpecificOutput": {
                    "hookEventName": "PreToolUse",
                    "permissionDecision": decided.action.as_str(),
                    "permissionDecisionReason": message_of(decided),
                }})),
                None => context("PreToolUse", &verdict.fired),
            };
        }
        "UserPromptSubmit" => {
            let text = event["prompt"].as_str().unwrap_or_default();
            verdict.lines = lines_of(AgentEvent::Prompt { text: text.to_owned() });
            verdict.fired = judge(&rules, Scope::Prompt, &verdict.lines);
            verdict.answer = match verdict.fired.iter().find(|i| i.action == Action::Kill) {
                Some(refusal) => Some(json!({ "decision": "block", "reason": message_of(refusal) })),
                None => shown_to_the_user(context("UserPromptSubmit", &verdict.fired), &verdict.fired),
            };
        }
        "PostToolUse" => {
            let text = response_text(&event["tool_response"]);
            verdict.lines = lines_of(AgentEvent::ToolResult { id: None, text, is_error: false });
            verdict.fired = judge(&rules, Scope::Output, &verdict.lines);
            verdict.answer = context("PostToolUse", &verdict.fired);
        }
        "Stop" | "SubagentStop" => {
            let (before, turn) = stopped_turn(event);
            verdict.lines = turn.iter().flat_map(|event| lines_of(event.clone())).collect();
            verdict.fired = judge_turn(&rules, &before, &turn);
            verdict.answer = verdict
                .fired
                .iter()
                .find(|i| i.action != Action::Warn)
                .map(|fired| json!({ "decision": "block", "reason": message_of(fired) }));
        }
        _ => {}
    }
    // The hook exits next: freeing the automata would only delay the answer.
    std::mem::forget(rules);
    Ok(verdict)
}

/// The rules of `scope` over `lines`, offline: every matching rule with its first action.
fn judge(rules: &Arc<RuleSet>, scope: Scope, lines: &[String]) -> Vec<Intervention> {
    let mut pipeline = Pipeline::new(Arc::clone(rules), scope, "hook", PipelineOptions::offline());
    let now = std::time::Instant::now();
    let mut fired = Vec::new();
    for line in lines {
        fired.extend(pipeline.push(format!("{line}\n").as_bytes(), now));
    }
    fired.extend(pipeline.finish(now));
    fired
}

fn lines_of(event: AgentEvent) -> Vec<String> {
    let mut lines = Vec::new();
    render(&event, &mut lines);
    lines.into_iter().map(|AgentLine { text, .. }| text).collect()
}

fn message_of(fired: &Intervention) -> String {
    let message =
        fired.message.clone().unwrap_or_else(|| format!("axiom rule {} matched {:?}", fired.rule, fired.matched));
    format!("{message} [axiom rule {}]", fired.rule)
}

/// Rules that fired but do not refuse anything: their messages become context for the model.
fn context(event: &str, fired: &[Intervention]) -> Option<Value> {
    let messages: Vec<String> = fired.iter().filter(|i| i.action != Action::Warn).map(message_of).collect();
    (!messages.is_empty())
        .then(|| json!({ "hookSpecificOutput": { "hookEventName": event, "additionalContext": messages.join("\n") } }))
}

/// Rules that only warn about a prompt (`prompt-plan-only`: the prompt forbids edits) speak to the
/// person who wrote it, not to the model: their messages go in `systemMessage`, which Claude Code
/// shows its user.
fn shown_to_the_user(answer: Option<Value>, fired: &[Intervention]) -> Option<Value> {
    let warnings: Vec<String> = fired.iter().filter(|i| i.action == Action::Warn).map(message_of).collect();
    if warnings.is_empty() {
        return answer;
    }
    let mut answer = answer.unwrap_or_else(|| json!({}));
    answer["systemMessage"] = json!(format!("axiom: {}", warnings.join("\n")));
    Some(answer)
}

/// A tool response as text: a string as it is; an object's `stdout`, `stderr`, `content` or
/// `output`, else its JSON.
fn response_text(response: &Value) -> String {
    match response {
        Value::String(text) => text.clone(),
        Value::Object(fields) => {
            let parts: Vec<&str> = ["stdout", "stderr", "output", "content"]
                .iter()
                .filter_map(|key| fields.get(*key).and_then(Value::as_str))
                .collect();
            if parts.is_empty() {
                response.to_string()
            } else {
                parts.join("\n")
            }
        }
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// The session as a Stop hook sees it: what happened before the last Stop (evidence only) and
/// what the session did since, ending with the last assistant message. Read from the transcript
/// the event names; a transcript that cannot be read leaves only the last message (and says so).
fn stopped_turn(event: &Value) -> (Vec<AgentEvent>, Vec<AgentEvent>) {
    let (before, mut turn) = match event["transcript_path"].as_str() {
        Some(path) => match std::fs::read_to_string(path) {
            Ok(text) => split_at_last_stop(&text),
            Err(err) => {
                crate::logging::note!(
                    "axiom hook: cannot read the transcript {path} ({err}); judging the last message only"
                );
                Default::default()
            }
        },
        None => Default::default(),
    };
    if let Some(last) = event["last_assistant_message"].as_str() {
        let said = turn.iter().rev().find_map(|event| match event {
            AgentEvent::Text { text } => Some(text.trim()),
            _ => None,
        });
        // The transcript may not hold the last message yet when the hook runs.
        if said != Some(last.trim()) {
            turn.push(AgentEvent::Text { text: last.to_owned() });
        }
    }
    (before, turn)
}

/// The `output` rules over a stopped turn. Evidence rules see the whole session: every tool call
/// and result (structured) and every output line (as the line observer reads it); rules match
/// only the lines of `turn`, so an earlier turn's words are not judged again.
fn judge_turn(rules: &Arc<RuleSet>, before: &[AgentEvent], turn: &[AgentEvent]) -> Vec<Intervention> {
    let mut pipeline = Pipeline::new(Arc::clone(rules), Scope::Output, "hook", PipelineOptions::offline());
    let now = std::time::Instant::now();
    let mut observer = EventObserver::default();
    let mut observations = Vec::new();
    let mut fired = Vec::new();
    let events = before.iter().map(|event| (event, false)).chain(turn.iter().map(|event| (event, true)));
    for (event, judged) in events {
        observer.observe(event, &mut observations);
        for observation in observations.drain(..) {
            pipeline.observe(observation);
        }
        let mut lines = Vec::new();
        render(event, &mut lines);
        for AgentLine { scope, text } in lines.into_iter().filter(|line| line.scope == Scope::Output) {
            if judged {
                fired.extend(pipeline.push(format!("{text}\n").as_bytes(), now));
            } else {
                pipeline.observe_unmatched_line(&text);
            }
            debug_assert_eq!(scope, Scope::Output);
        }
    }
    fired.extend(pipeline.finish(now));
    fired
}
