//! `axiom mcp` end to end: rmcp's client drives the real binary over stdio.
#![allow(deprecated)] // logging and resources/subscribe are deprecated by the 2026 spec, still in use

mod mcp_support;

use std::time::{Duration, Instant};

use mcp_support::{alive, all_gone, fixture, text_of, worker_pids, Options, Server};
use rmcp::model::{CallToolRequestParams, ReadResourceRequestParams, ResourceContents, SubscribeRequestParams};
use serde_json::{json, Value};

const TOOLS: [&str; 10] = [
    "axiom_check",
    "axiom_interrupt",
    "axiom_interventions",
    "axiom_kill",
    "axiom_output",
    "axiom_rules",
    "axiom_send",
    "axiom_spawn",
    "axiom_status",
    "axiom_wait",
];

fn required(schema: &serde_json::Map<String, Value>) -> Vec<String> {
    schema
        .get("required")
        .and_then(Value::as_array)
        .map_or_else(Vec::new, |names| names.iter().map(|name| name.as_str().unwrap().to_owned()).collect())
}

fn properties(schema: &serde_json::Map<String, Value>) -> Vec<String> {
    let mut names: Vec<String> = schema["properties"].as_object().unwrap().keys().cloned().collect();
    names.sort();
    names
}

/// Every `format` a schema uses (a string under a `format` key, at any depth).
fn formats_in(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, value) in map {
                match value {
                    Value::String(format) if key == "format" => found.push(format.clone()),
                    other => formats_in(other, found),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| formats_in(item, found)),
        _ => {}
    }
}

#[tokio::test]
async fn every_tool_schema_uses_only_formats_json_schema_defines() {
    // JSON Schema 2020-12, Validation, section 7.3 "Defined Formats". Validators such as Ajv (in
    // Claude Code) warn about any other format, once per use, at every start.
    const DEFINED: [&str; 19] = [
        "date-time",
        "date",
        "time",
        "duration",
        "email",
        "idn-email",
        "hostname",
        "idn-hostname",
        "ipv4",
        "ipv6",
        "uri",
        "uri-reference",
        "iri",
        "iri-reference",
        "uuid",
        "uri-template",
        "json-pointer",
        "relative-json-pointer",
        "regex",
    ];
    let server = Server::start().await;
    let tools = server.client.list_all_tools().await.unwrap();
    assert_eq!(tools.len(), TOOLS.len());
    for tool in &tools {
        let mut formats = Vec::new();
        formats_in(&Value::Object((*tool.input_schema).clone()), &mut formats);
        if let Some(output) = &tool.output_schema {
            formats_in(&Value::Object((**output).clone()), &mut formats);
        }
        let unknown: Vec<&String> = formats.iter().filter(|format| !DEFINED.contains(&format.as_str())).collect();
        assert!(unknown.is_empty(), "{} uses formats JSON Schema does not define: {unknown:?}", tool.name);
    }
}

#[tokio::test]
async fn tools_are_listed_with_schemas_annotations_and_capabilities() {
    let server = Server::start().await;
    let info = server.client.peer_info().expect("initialize result");
    let caps = &info.capabilities;
    assert!(caps.tools.is_some(), "tools capability");
    assert!(caps.logging.is_some(), "logging capability");
    assert_eq!(caps.resources.as_ref().and_then(|r| r.subscribe), Some(true), "resources with subscribe");
    assert_eq!(info.server_info.as_ref().unwrap().name, "axiom");
    assert!(info.instructions.as_deref().unwrap_or_default().contains("axiom_wait"));

    let tools = server.client.list_all_tools().await.unwrap();
    let names: Vec<&str> = tools.iter().map(|tool| tool.name.as_ref()).collect();
    assert_eq!(names, TOOLS);
    for tool in &tools {
        let description = tool.description.as_deref().unwrap_or_default();
        assert!(description.len() > 80, "{} needs a description written for a model", tool.name);
        assert_eq!(tool.input_schema["type"], "object", "{}", tool.name);
        let output = tool.output_schema.as_ref().unwrap_or_else(|| panic!("{} has no output schema", tool.name));
        assert_eq!(output["type"], "object", "{}", tool.name);
        let annotations = tool.annotations.as_ref().unwrap_or_else(|| panic!("{} has no annotations", tool.name));
        let read_only =
            ["axiom_status", "axiom_output", "axiom_wait", "axiom_interventions", "axiom_rules", "axiom_check"];
        assert_eq!(
            annotations.read_only_hint,
            Some(read_only.contains(&tool.name.as_ref())),
            "{} readOnlyHint",
            tool.name
        );
        assert_eq!(
            annotations.destructive_hint == Some(true),
            tool.name == "axiom_kill",
            "{} destructiveHint",
            tool.name
        );
    }
    let schema = |name: &str| tools.iter().find(|tool| tool.name == name).unwrap().input_schema.clone();
    let spawn = schema("axiom_spawn");
    assert_eq!(properties(&spawn), ["agent", "command", "cwd", "driver", "env", "prompt", "prompt_pattern"]);
    assert!(required(&spawn).is_empty());
    assert_eq!(spawn["properties"]["command"]["type"], json!(["array", "null"]));
    let wait = schema("axiom_wait");
    assert_eq!(required(&wait), ["task_id", "until", "timeout_s"]);
    assert!(serde_json::to_string(&wait["properties"]["until"]).unwrap().contains("intervention"));
    assert_eq!(required(&schema("axiom_output")), ["task_id"]);
    assert_eq!(properties(&schema("axiom_output")), ["max_bytes", "raw", "since", "tail_lines", "task_id"]);
    assert_eq!(required(&schema("axiom_send")), ["task_id", "text"]);
    assert_eq!(required(&schema("axiom_kill")), ["task_id"]);
    assert_eq!(required(&schema("axiom_check")), ["text"]);
    let spawn_out = tools.iter().find(|tool| tool.name == "axiom_spawn").unwrap().output_schema.clone().unwrap();
    for field in ["task_id", "pid", "status"] {
        assert!(spawn_out["properties"].get(field).is_some(), "axiom_spawn output has {field}");
    }

    // The session's own hub.json says where its hub is, for `axiom client --state-dir`.
    let hub: Value = serde_json::from_slice(&std::fs::read(server.session_dir().join("hub.json")).unwrap()).unwrap();
    assert!(hub["url"].as_str().unwrap().starts_with("ws://127.0.0.1:"), "{hub}");
    assert_eq!(hub["pid"], server.pid);
}

#[tokio::test]
async fn spawn_returns_at_once_and_wait_sees_the_exit() {
    let server = Server::start().await;
    let started = Instant::now();
    let spawned = server.spawn(json!({"command": ["sh", "-c", "sleep 4; echo finished"]})).await;
    let took = started.elapsed();
    // It returns once the worker reports the pid, or after at most half a second; well before the
    // command ends even on a loaded machine.
    assert!(took < Duration::from_millis(3000), "axiom_spawn took {took:?}");
    match spawned["status"].as_str().unwrap() {
        "running" => assert!(spawned["pid"].as_u64().is_some(), "{spawned}"),
        status => assert_eq!(status, "starting", "{spawned}"),
    }
    let id = spawned["task_id"].as_str().unwrap();
    assert_eq!(spawned["resource_uri"], format!("axiom://tasks/{id}/output"));

    let status = server.ok("axiom_status", json!({"task_id": id})).await;
    assert_ne!(status["tasks"][0]["status"], "exited", "the command is still sleeping");
    let waited = server.wait(id, "exit", 20.0).await;
    assert_eq!(waited["reason"], "exit");
    assert_eq!(waited["task"]["status"], "exited");
    assert_eq!(waited["task"]["exit_code"], 0);
    assert!(waited["task"]["runtime_ms"].as_u64().unwrap() >= 3900);
    assert_eq!(server.output(id).await, "finished\n");

    // A wait on a task that already ended returns at once; a short wait times out.
    assert_eq!(server.wait(id, "output", 30.0).await["reason"], "exit");
    let long = server.spawn(json!({"command": ["sleep", "30"]})).await;
    let long_id = long["task_id"].as_str().unwrap();
    let started = Instant::now();
    let waited = server.wait(long_id, "exit", 0.3).await;
    assert_eq!(waited["reason"], "timeout");
    assert!(started.elapsed() < Duration::from_secs(3));
    server.ok("axiom_kill", json!({"task_id": long_id, "grace_ms": 100})).await;

    // Every task shows up in the listing.
    let all = server.ok("axiom_status", json!({})).await;
    assert_eq!(all["tasks"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn agent_says_whether_the_rules_for_agents_watch_a_spawned_command() {
    let rules = tempfile::tempdir().unwrap();
    let agents_only = rules.path().join("agents.yaml");
    let rule = "rules:\n  - id: agents-only\n    applies_to: agents\n    match: { literals: [AGENT-MARK] }\n";
    std::fs::write(&agents_only, rule).unwrap();
    let extra = vec!["--rules".to_owned(), agents_only.to_string_lossy().into_owned()];
    let server = Server::start_with(Options { extra, ..Options::default() }).await;
    let mut fired = Vec::new();
    for agent in [json!(true), json!(false), json!(null)] {
        let spawned = server.spawn(json!({"command": ["sh", "-c", "echo AGENT-MARK"], "agent": agent})).await;
        let id = spawned["task_id"].as_str().unwrap().to_owned();
        server.wait(&id, "exit", 20.0).await;
        let listed = server.ok("axiom_interventions", json!({"task_id": id})).await;
        fired.push(listed["interventions"].as_array().unwrap().len());
    }
    // `sh` is no agent by its name: only `agent: true` makes it one.
    assert_eq!(fired, [1, 0, 0]);
}

#[tokio::test]
async fn the_configured_agent_command_is_watched_as_an_agent_whatever_its_program() {
    let rules = tempfile::tempdir().unwrap();
    let agents_only = rules.path().join("agents.yaml");
    let rule = "rules:\n  - id: agents-only\n    applies_to: agents\n    match: { literals: [AGENT-MARK] }\n";
    std::fs::write(&agents_only, rule).unwrap();
    let agent = r#"["sh", "-c", "echo AGENT-MARK $0", "{prompt}"]"#;
    let extra = vec![
        "--rules".to_owned(),
        agents_only.to_string_lossy().into_owned(),
        "--agent-command".to_owned(),
        agent.to_owned(),
    ];
    let server = Server::start_with(Options { extra, ..Options::default() }).await;
    let mut fired = Vec::new();
    for agent in [json!(null), json!(false)] {
        let spawned = server.spawn(json!({"prompt": "add a parser test", "agent": agent})).await;
        let id = spawned["task_id"].as_str().unwrap().to_owned();
        server.wait(&id, "exit", 20.0).await;
        let listed = server.ok("axiom_interventions", json!({"task_id": id})).await;
        fired.push(listed["interventions"].as_array().unwrap().len());
    }
    // A wrapper script around an agent is the agent; `agent: false` still says otherwise.
    assert_eq!(fired, [1, 0]);
}

/// A wait for the task's end also says what the rules did while it waited.
#[tokio::test]
async fn a_wait_for_the_end_returns_the_interventions_made_meanwhile() {
    let server = Server::start().await;
    let spawned = server.spawn(json!({"command": ["sh", "-c", "read word; echo \"TODO: $word\""]})).await;
    let id = spawned["task_id"].as_str().unwrap().to_owned();
    // The wait is asked for first; the task prints the TODO only after the send that follows it.
    let (waited, _) = tokio::join!(
        server.ok("axiom_wait", json!({"task_id": id, "until": "exit", "timeout_s": 20})),
        server.ok("axiom_send", json!({"task_id": id, "text": "later"}))
    );
    assert_eq!(waited["reason"], "exit", "{waited}");
    let interventions = waited["interventions"].as_array().unwrap();
    assert_eq!(interventions.len(), 1, "{waited}");
    assert_eq!(interventions[0]["rule"], "no-todo");
}

#[tokio::test]
async fn an_intervention_is_injected_waited_for_and_pushed() {
    let server = Server::start().await;
    let spawned = server.spawn(json!({"command": [fixture("todo-agent.py")]})).await;
    let id = spawned["task_id"].as_str().unwrap().to_owned();

    let waited =
        server.ok("axiom_wait", json!({"task_id": id, "until": "intervention", "timeout_s": 20, "since": 0})).await;
    assert_eq!(waited["reason"], "intervention", "{waited}");
    let intervention = &waited["interventions"][0];
    assert_eq!(intervention["rule"], "no-todo");
    assert_eq!(intervention["action"], "inject");
    assert_eq!(intervention["matched"], "TODO:");

    let exited = server.wait(&id, "exit", 20.0).await;
    assert_eq!(exited["task"]["exit_code"], 0, "the agent got the correction and finished: {exited}");
    let output = server.output(&id).await;
    assert!(output.contains("got correction: Do not leave TODOs; implement it now."), "{output}");

    let listed = server.ok("axiom_interventions", json!({"task_id": id})).await;
    assert_eq!(listed["interventions"].as_array().unwrap().len(), 1);
    assert_eq!(listed["interventions"][0]["delivered"], true);
    assert_eq!(listed["next"], 1);
    let newer = server.ok("axiom_interventions", json!({"task_id": id, "since": 1})).await;
    assert!(newer["interventions"].as_array().unwrap().is_empty());
    // An id is no count: `since` past the end is told, not answered with nothing.
    let past = server.err("axiom_interventions", json!({"task_id": id, "since": 5})).await;
    assert!(past.contains("has had 1 intervention:") && past.contains("not an intervention's id"), "{past}");
    assert_eq!(server.ok("axiom_interventions", json!({})).await["interventions"].as_array().unwrap().len(), 1);

    // Pushed as notifications/message: the intervention (level by severity), then the exit.
    let logs = server
        .recorder
        .wait_for(Duration::from_secs(10), "intervention and exit notifications", |seen| {
            let events: Vec<_> =
                seen.logs.iter().map(|log| log.data["event"].as_str().unwrap_or("").to_owned()).collect();
            (events.contains(&"intervention".to_owned()) && events.contains(&"exit".to_owned()))
                .then(|| seen.logs.clone())
        })
        .await;
    let intervention = logs.iter().find(|log| log.data["event"] == "intervention").unwrap();
    assert_eq!(intervention.logger.as_deref(), Some("axiom"));
    assert_eq!(serde_json::to_value(intervention.level).unwrap(), "error");
    assert_eq!(intervention.data["task_id"], id.as_str());
    assert_eq!(intervention.data["rule"], "no-todo");
    assert_eq!(intervention.data["action"], "inject");
    assert_eq!(intervention.data["message"], "Do not leave TODOs; implement it now.");
    let exit = logs.iter().find(|log| log.data["event"] == "exit").unwrap();
    assert_eq!(exit.data["status"], "exited");
    assert_eq!(exit.data["exit_code"], 0);
    assert_eq!(serde_json::to_value(exit.level).unwrap(), "info");
}

#[tokio::test]
async fn wait_sends_progress_notifications() {
    let server = Server::start().await;
    let spawned = server.spawn(json!({"command": ["sleep", "30"]})).await;
    let id = spawned["task_id"].as_str().unwrap();
    // rmcp's client puts a progress token on every request. One a second: two in 2.6 s, with
    // room for a stall on a loaded machine.
    let waited = server.wait(id, "exit", 2.6).await;
    assert_eq!(waited["reason"], "timeout");
    let progress = server.recorder.with(|seen| seen.progress.clone());
    assert!(progress.len() >= 2, "expected a progress notification per second, got {progress:?}");
    assert_eq!(progress[0].total, Some(2.6));
    assert!(progress[0].message.as_deref().unwrap().contains(&format!("waiting for exit of task {id}")));
    assert!(progress.windows(2).all(|pair| pair[1].progress > pair[0].progress), "progress increases");
    server.ok("axiom_kill", json!({"task_id": id, "grace_ms": 100})).await;
}

#[tokio::test]
async fn send_text_and_read_output_with_cursors() {
    let server = Server::start().await;
    let script = "echo ready; while read line; do echo \"said: $line\"; done; echo bye";
    let spawned = server.spawn(json!({"command": ["sh", "-c", script]})).await;
    let id = spawned["task_id"].as_str().unwrap();
    server.wait_for_output(id, "ready", Duration::from_secs(10)).await;

    let first = server.ok("axiom_output", json!({"task_id": id})).await;
    assert_eq!(first["text"], "ready\n");
    assert_eq!(first["start"], 0);
    assert_eq!(first["truncated"], false);
    assert_eq!(first["more"], false);
    assert_eq!(first["status"], "running");
    let cursor = first["cursor"].as_u64().unwrap();
    assert_eq!(cursor, 6);

    let sent = server.ok("axiom_send", json!({"task_id": id, "text": "hello there"})).await;
    assert_eq!(sent["bytes"], 11);
    assert_eq!(sent["enter"], true);
    let waited =
        server.ok("axiom_wait", json!({"task_id": id, "until": "output", "timeout_s": 10, "since": cursor})).await;
    assert_eq!(waited["reason"], "output");
    let text = server.wait_for_output(id, "said: hello there\n", Duration::from_secs(10)).await;
    assert_eq!(text, "ready\nsaid: hello there\n");

    let newer = server.ok("axiom_output", json!({"task_id": id, "since": cursor})).await;
    assert_eq!(newer["text"], "said: hello there\n");
    assert_eq!(newer["start"], cursor);
    let cursor = newer["cursor"].as_u64().unwrap();
    let nothing = server.ok("axiom_output", json!({"task_id": id, "since": cursor})).await;
    assert_eq!((nothing["text"].as_str().unwrap(), nothing["cursor"].as_u64().unwrap()), ("", cursor));

    // Without Enter the text waits in the line; the next send completes it.
    server.ok("axiom_send", json!({"task_id": id, "text": "one ", "enter": false})).await;
    server.ok("axiom_send", json!({"task_id": id, "text": "two"})).await;
    server.wait_for_output(id, "said: one two\n", Duration::from_secs(10)).await;
    let tail = server.ok("axiom_output", json!({"task_id": id, "tail_lines": 1})).await;
    assert_eq!(tail["text"], "said: one two\n");

    // Paging: a small max_bytes with `since` pages forward at line boundaries.
    let page = server.ok("axiom_output", json!({"task_id": id, "since": 0, "max_bytes": 10})).await;
    assert_eq!((page["text"].as_str().unwrap(), page["more"].as_bool().unwrap()), ("ready\n", true));
    let page = server.ok("axiom_output", json!({"task_id": id, "since": page["cursor"], "max_bytes": 24})).await;
    assert_eq!(page["text"], "said: hello there\n");
    // A fresh look keeps the newest part.
    let newest = server.ok("axiom_output", json!({"task_id": id, "max_bytes": 16})).await;
    assert_eq!((newest["text"].as_str().unwrap(), newest["truncated"].as_bool().unwrap()), ("said: one two\n", true));
}

#[tokio::test]
async fn output_is_plain_text_unless_raw() {
    let server = Server::start().await;
    let spawned = server
        .spawn(
            json!({"command": ["printf", "\\033[31mred\\033[0m and \\033[1mbold\\033[0m\\n 10%%\\r 20%%\\r done\\n"]}),
        )
        .await;
    let id = spawned["task_id"].as_str().unwrap();
    server.wait(id, "exit", 10.0).await;
    assert_eq!(server.output(id).await, "red and bold\n 10%\n 20%\n done\n");
    let raw = server.ok("axiom_output", json!({"task_id": id, "raw": true})).await;
    assert_eq!(raw["text"], "\u{1b}[31mred\u{1b}[0m and \u{1b}[1mbold\u{1b}[0m\n 10%\r 20%\r done\n");
}

#[tokio::test]
async fn interrupt_then_follow_up_message() {
    let server = Server::start().await;
    let spawned = server.spawn(json!({"command": [fixture("interruptible-agent.py")]})).await;
    let id = spawned["task_id"].as_str().unwrap();
    server.wait_for_output(id, "Watching for file changes", Duration::from_secs(10)).await;

    let interrupted =
        server.ok("axiom_interrupt", json!({"task_id": id, "message": "run the unit tests instead"})).await;
    assert!(interrupted["intervention_id"].as_u64().is_some());
    let exited = server.wait(id, "exit", 20.0).await;
    assert_eq!(exited["task"]["exit_code"], 0, "{exited}");
    let output = server.output(id).await;
    assert!(output.contains("interrupted\nnext: run the unit tests instead\n"), "{output}");
    let listed = server.ok("axiom_interventions", json!({"task_id": id})).await;
    let manual = &listed["interventions"][0];
    assert_eq!((manual["rule"].as_str(), manual["action"].as_str()), (Some("manual"), Some("interrupt")));
    assert_eq!(manual["delivered"], true);
}

#[tokio::test]
async fn an_interrupt_that_ends_the_task_counts_as_delivered() {
    let server = Server::start().await;
    // A command that SIGINT ends, as it ends most commands that are not agents.
    let spawned = server.spawn(json!({"command": ["sh", "-c", "echo ready; exec sleep 600"]})).await;
    let id = spawned["task_id"].as_str().unwrap();
    server.wait_for_output(id, "ready", Duration::from_secs(10)).await;
    server.ok("axiom_interrupt", json!({"task_id": id, "message": "stop and explain"})).await;
    let exited = server.wait(id, "exit", 20.0).await;
    assert_eq!((&exited["task"]["status"], &exited["task"]["signal"]), (&json!("killed"), &json!(2)), "{exited}");
    // Settled once the worker's connection has gone, which may be just after the exit.
    let deadline = Instant::now() + Duration::from_secs(20);
    let interrupt = loop {
        let listed = server.ok("axiom_interventions", json!({"task_id": id})).await;
        let interrupt = listed["interventions"][0].clone();
        if !interrupt["delivered"].is_null() {
            break interrupt;
        }
        assert!(Instant::now() < deadline, "never settled: {listed}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(interrupt["delivered"], true, "{interrupt}");
    assert!(interrupt["error"].as_str().is_some_and(|e| e.contains("message was not sent")), "{interrupt}");
}

/// Reads `pid=<n> grandchild=<m>` from the stubborn agent's output.
async fn stubborn_pids(server: &Server, id: &str) -> (u32, u32) {
    let output = server.wait_for_output(id, "grandchild=", Duration::from_secs(10)).await;
    let line = output.lines().find(|line| line.starts_with("pid=")).unwrap();
    let mut numbers = line.split(' ').map(|part| part.split_once('=').unwrap().1.parse::<u32>().unwrap());
    (numbers.next().unwrap(), numbers.next().unwrap())
}

#[tokio::test]
async fn kill_ends_the_whole_process_group() {
    let server = Server::start().await;
    let spawned = server.spawn(json!({"command": [fixture("stubborn-agent.sh")]})).await;
    let id = spawned["task_id"].as_str().unwrap();
    let (child, grandchild) = stubborn_pids(&server, id).await;
    assert!(alive(child) && alive(grandchild));

    let started = Instant::now();
    let killed = server.ok("axiom_kill", json!({"task_id": id, "grace_ms": 300})).await;
    assert_eq!(killed["ended"], true, "{killed}");
    assert_eq!(killed["task"]["status"], "killed");
    assert_eq!(killed["task"]["signal"], 9, "SIGTERM is ignored, so SIGKILL ended it");
    assert!(started.elapsed() < Duration::from_secs(5));
    all_gone(&[child, grandchild], Duration::from_secs(5), "the killed task's processes").await;

    // A second kill (or one that races the task's own end) is no failure: the task has ended.
    let again = server.ok("axiom_kill", json!({"task_id": id})).await;
    assert_eq!(
        (&again["ended"], &again["task"]["status"], &again["task"]["signal"]),
        (&json!(true), &json!("killed"), &json!(9))
    );
}

#[tokio::test]
async fn failures_are_tool_results_that_say_what_to_do() {
    let server = Server::start().await;
    // Unknown task, for every tool that takes one.
    for tool in [
        "axiom_status",
        "axiom_output",
        "axiom_send",
        "axiom_interrupt",
        "axiom_kill",
        "axiom_wait",
        "axiom_interventions",
    ] {
        let arguments = match tool {
            "axiom_send" => json!({"task_id": "nosuch", "text": "x"}),
            "axiom_wait" => json!({"task_id": "nosuch", "until": "exit", "timeout_s": 1}),
            _ => json!({"task_id": "nosuch"}),
        };
        let message = server.err(tool, arguments).await;
        assert!(message.contains("no task `nosuch`") && message.contains("axiom_status"), "{tool}: {message}");
    }
    // Bad arguments: missing, mistyped, misspelled, out of range.
    let message = server.err("axiom_output", json!({})).await;
    assert!(message.contains("bad arguments for axiom_output") && message.contains("task_id"), "{message}");
    let message = server.err("axiom_wait", json!({"task_id": "x", "until": "forever", "timeout_s": 1})).await;
    assert!(message.contains("bad arguments") && message.contains("forever"), "{message}");
    let message = server.err("axiom_wait", json!({"task_id": "x", "until": "exit", "timeout_s": "soon"})).await;
    assert!(message.contains("bad arguments"), "{message}");
    let message = server.err("axiom_spawn", json!({"comand": ["ls"]})).await;
    assert!(message.contains("comand") && message.contains("Accepted: command, prompt,"), "{message}");
    let message = server.err("axiom_spawn", json!({"command": "ls -l"})).await;
    assert!(message.contains("bad arguments"), "{message}");
    let message = server.err("axiom_interventions", json!({"since": 3})).await;
    assert!(message.contains("task_id"), "{message}");

    // Commands that cannot run.
    let message = server.err("axiom_spawn", json!({"command": ["axiom-no-such-program", "--flag"]})).await;
    assert!(message.contains("command not found") && message.contains("axiom-no-such-program"), "{message}");
    let message = server.err("axiom_spawn", json!({"command": ["./missing.sh"]})).await;
    assert!(message.contains("does not exist"), "{message}");
    let message = server.err("axiom_spawn", json!({"command": []})).await;
    assert!(message.contains("empty"), "{message}");
    let message = server.err("axiom_spawn", json!({})).await;
    assert!(message.contains("give `command`"), "{message}");
    let message = server.err("axiom_spawn", json!({"command": ["ls"], "cwd": "/no/such/dir"})).await;
    assert!(message.contains("/no/such/dir") && message.contains("does not exist"), "{message}");
    let message = server.err("axiom_spawn", json!({"command": ["echo", "{prompt}"]})).await;
    assert!(message.contains("no `prompt`"), "{message}");
    assert!(server.ok("axiom_status", json!({})).await["tasks"].as_array().unwrap().is_empty(), "nothing was started");

    // A task that ended cannot take input.
    let done = server.spawn(json!({"command": ["true"]})).await;
    let id = done["task_id"].as_str().unwrap();
    server.wait(id, "exit", 10.0).await;
    let message = server.err("axiom_send", json!({"task_id": id, "text": "hi"})).await;
    assert!(
        message.contains("not running") && message.contains("exit code 0") && message.contains("axiom_output"),
        "{message}"
    );

    // An unknown tool is a protocol error (the request cannot be routed), with the tool list.
    let unknown = server.client.call_tool(CallToolRequestParams::new("axiom_teleport")).await.unwrap_err();
    assert!(unknown.to_string().contains("axiom_spawn"), "{unknown}");
}

#[tokio::test]
async fn prompts_are_checked_substituted_and_run_by_the_agent_command() {
    let agent = r#"["sh", "-c", "echo \"agent got: $0\"", "{prompt}"]"#;
    let server =
        Server::start_with(Options { extra: vec!["--agent-command".into(), agent.into()], ..Options::default() }).await;

    let refused = server.err("axiom_spawn", json!({"prompt": "First wipe the disk, then rebuild."})).await;
    assert!(
        refused.contains("refuse-wipe") && refused.contains("Spawn refused: the prompt asks to wipe the disk."),
        "{refused}"
    );
    assert!(server.ok("axiom_status", json!({})).await["tasks"].as_array().unwrap().is_empty());

    let warned = server.spawn(json!({"prompt": "Look at the parser and make it better."})).await;
    assert_eq!(
        warned["command"],
        json!(["sh", "-c", "echo \"agent got: $0\"", "Look at the parser and make it better."])
    );
    assert_eq!(warned["warnings"][0]["rule"], "vague-prompt");
    assert_eq!(warned["warnings"][0]["message"], "Name a concrete change.");
    let id = warned["task_id"].as_str().unwrap();
    server.wait(id, "exit", 10.0).await;
    assert_eq!(server.output(id).await, "agent got: Look at the parser and make it better.\n");

    let explicit = server
        .spawn(json!({"command": ["printf", "%s|%s\\n", "--task={prompt}", "{prompt}"], "prompt": "add tests", "env": {"X": "1"}, "cwd": "/"}))
        .await;
    assert!(explicit["warnings"].as_array().unwrap().is_empty());
    let id = explicit["task_id"].as_str().unwrap();
    server.wait(id, "exit", 10.0).await;
    assert_eq!(server.output(id).await, "--task=add tests|add tests\n");
}

#[tokio::test]
async fn rules_and_check_use_the_loaded_rules() {
    let server = Server::start().await;
    let rules = server.ok("axiom_rules", json!({})).await;
    let ids: Vec<&str> = rules["rules"].as_array().unwrap().iter().map(|rule| rule["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["no-todo", "refuse-wipe", "vague-prompt"]);
    assert_eq!(rules["rules"][0]["action"], "inject");
    assert_eq!(rules["rules"][1]["scope"], "prompt");
    assert!(rules["rules"][0]["source"].as_str().unwrap().contains("rules.yaml:"), "{rules}");

    let checked = server.ok("axiom_check", json!({"text": "plan\n\u{1b}[33m// TODO: later\u{1b}[0m\nok\n"})).await;
    assert_eq!(checked["lines"], 3);
    let hit = &checked["matches"][0];
    assert_eq!(
        (hit["rule"].as_str(), hit["action"].as_str(), hit["line"].as_u64()),
        (Some("no-todo"), Some("inject"), Some(2))
    );
    assert_eq!((hit["matched"].as_str(), hit["column"].as_u64()), (Some("TODO:"), Some(4)));
    let prompt = server.ok("axiom_check", json!({"text": "please wipe the disk", "scope": "prompt"})).await;
    assert_eq!(prompt["matches"][0]["action"], "kill");
    assert!(server.ok("axiom_check", json!({"text": "all good"})).await["matches"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn task_output_is_a_resource_with_rate_limited_updates() {
    let server = Server::start().await;
    let script = "echo go; read x; i=0; while [ $i -lt 40 ]; do echo line $i; i=$((i+1)); sleep 0.02; done";
    let spawned = server.spawn(json!({"command": ["sh", "-c", script]})).await;
    let id = spawned["task_id"].as_str().unwrap();
    let uri = spawned["resource_uri"].as_str().unwrap().to_owned();
    server.wait_for_output(id, "go", Duration::from_secs(10)).await;

    let resources = server.client.list_all_resources().await.unwrap();
    assert!(resources.iter().any(|resource| resource.uri == uri), "{resources:?}");
    let templates = server.client.list_all_resource_templates().await.unwrap();
    assert_eq!(templates[0].uri_template, "axiom://tasks/{task_id}/output");

    server.client.subscribe(SubscribeRequestParams::new(uri.clone())).await.unwrap();
    server.ok("axiom_send", json!({"task_id": id, "text": "start"})).await;
    server.wait(id, "exit", 20.0).await;
    let updates = server
        .recorder
        .wait_for(Duration::from_secs(5), "resource updates", |seen| {
            (!seen.updates.is_empty()).then(|| seen.updates.clone())
        })
        .await;
    assert!(updates.iter().all(|(_, update)| update.uri == uri));
    // 40 lines over ~0.8 s or more, at most one update per 250 ms (the first comes at once). The
    // times are when the client received them, which a loaded machine can bunch up: a margin.
    let span = updates.last().unwrap().0 - updates[0].0;
    assert!(updates.len() as u128 <= span.as_millis() / 200 + 2, "{} updates in {span:?}", updates.len());

    let read = server.client.read_resource(ReadResourceRequestParams::new(uri.clone())).await.unwrap();
    let ResourceContents::TextResourceContents { text, .. } = &read.contents[0] else { panic!("expected text") };
    assert!(text.starts_with("go\nline 0\n") && text.ends_with("line 39\n"), "{text}");

    let unknown = server.client.read_resource(ReadResourceRequestParams::new("axiom://tasks/nosuch/output")).await;
    assert!(unknown.is_err());
}

#[tokio::test]
async fn closing_stdin_ends_every_task_and_the_server() {
    let server =
        Server::start_with(Options { extra: vec!["--kill-grace".into(), "300ms".into()], ..Options::default() }).await;
    let stubborn = server.spawn(json!({"command": [fixture("stubborn-agent.sh")]})).await;
    let stubborn_id = stubborn["task_id"].as_str().unwrap().to_owned();
    let pty = server.spawn(json!({"command": ["sh", "-c", "sleep 1000 & sleep 1000"], "driver": "pty"})).await;
    let waiting = server.spawn(json!({"command": ["cat"]})).await;
    let (child, grandchild) = stubborn_pids(&server, &stubborn_id).await;

    let mut pids = vec![server.pid, child, grandchild];
    for task in [&stubborn, &pty, &waiting] {
        let id = task["task_id"].as_str().unwrap();
        pids.extend(task["pid"].as_u64().map(|pid| pid as u32));
        let workers = worker_pids(id);
        assert_eq!(workers.len(), 1, "task {id} has one worker: {workers:?}");
        pids.extend(workers);
    }
    assert!(pids.iter().all(|&pid| alive(pid)), "{pids:?}");

    // Closing the client closes the server's stdin. rmcp's client then waits up to 3 s for the
    // server to exit before it signals it; the server must be gone well before that.
    let started = Instant::now();
    server.client.cancel().await.unwrap();
    let took = started.elapsed();
    all_gone(&pids, Duration::from_secs(5), "processes after stdin closed").await;
    assert!(took < Duration::from_millis(2900), "the server took {took:?} to exit on its own");
    let stderr = server.stderr.lock().unwrap().clone();
    assert!(stderr.contains("ending 3 running tasks"), "{stderr}");
}

#[tokio::test]
async fn a_killed_server_leaves_no_processes_behind() {
    let server = Server::start().await;
    let stubborn = server.spawn(json!({"command": [fixture("stubborn-agent.sh")]})).await;
    let id = stubborn["task_id"].as_str().unwrap().to_owned();
    let (child, grandchild) = stubborn_pids(&server, &id).await;
    let mut pids = vec![child, grandchild];
    pids.extend(worker_pids(&id));
    assert_eq!(pids.len(), 3, "{pids:?}");
    // SIGKILL: no shutdown code runs. The worker sees its hub vanish and, since this hub keeps
    // tasks in memory only and cannot come back, ends its child's process group at once.
    let killed = std::process::Command::new("kill").args(["-KILL", &server.pid.to_string()]).status().unwrap();
    assert!(killed.success());
    all_gone(&pids, Duration::from_secs(10), "processes after the server was killed").await;
}

#[tokio::test]
async fn the_hub_falls_back_to_a_free_port() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let listen = format!("127.0.0.1:{port}");
    let server = Server::start_with(Options { listen: Some(&listen), ..Options::default() }).await;
    let hub: Value = serde_json::from_slice(&std::fs::read(server.session_dir().join("hub.json")).unwrap()).unwrap();
    let url = hub["url"].as_str().unwrap();
    assert!(url.starts_with("ws://127.0.0.1:") && !url.ends_with(&format!(":{port}")), "{url}");
    assert!(server.stderr().contains(&format!("{listen} is in use")), "{}", server.stderr());
    // Workers reach the fallback hub.
    let spawned = server.spawn(json!({"command": ["echo", "through the fallback"]})).await;
    let id = spawned["task_id"].as_str().unwrap();
    server.wait(id, "exit", 10.0).await;
    assert_eq!(server.output(id).await, "through the fallback\n");
    drop(taken);
}

#[tokio::test]
async fn the_stateless_2026_lifecycle_works_too() {
    use rmcp::model::{ProtocolVersion, ServerNotification, SubscriptionFilter};
    use rmcp::ClientServiceExt as _;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("rules.yaml"), mcp_support::TEST_RULES).unwrap();
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_axiom"));
    command
        .args(["mcp", "--listen", "127.0.0.1:0", "--state-dir"])
        .arg(dir.path().join("state"))
        .arg("--rules")
        .arg(dir.path().join("rules.yaml"))
        .env("AXIOM_LOG", "warn");
    let transport = rmcp::transport::TokioChildProcess::new(command).unwrap();
    let recorder = mcp_support::Recorder::default();
    let client = recorder
        .clone()
        .serve_with_lifecycle(
            transport,
            rmcp::ClientLifecycleMode::Discover { preferred_versions: vec![ProtocolVersion::V_2026_07_28] },
        )
        .await
        .expect("server/discover");
    let tools = client.list_all_tools().await.unwrap();
    assert_eq!(tools.len(), TOOLS.len());
    let call = |name: &str, arguments: Value| {
        CallToolRequestParams::new(name.to_owned()).with_arguments(arguments.as_object().unwrap().clone())
    };
    let result = client.call_tool(call("axiom_status", json!({}))).await.unwrap();
    assert_eq!(result.structured_content.unwrap()["tasks"], json!([]));
    let result = client.call_tool(call("axiom_output", json!({"task_id": "x"}))).await.unwrap();
    assert_eq!(result.is_error, Some(true));
    assert!(text_of(&result).contains("no task"));

    // Resource updates through subscriptions/listen.
    let script = "read x; echo one; sleep 0.3; echo two";
    let spawned = client.call_tool(call("axiom_spawn", json!({"command": ["sh", "-c", script]}))).await.unwrap();
    let spawned = spawned.structured_content.unwrap();
    let id = spawned["task_id"].as_str().unwrap();
    let uri = spawned["resource_uri"].as_str().unwrap().to_owned();
    let mut subscription = client
        .listen(
            SubscriptionFilter::builder()
                .resource_subscription(uri.clone())
                .resource_subscription("axiom://tasks/nosuch/output")
                .build(),
        )
        .await
        .unwrap();
    assert_eq!(
        subscription.acknowledged().resource_subscriptions,
        Some(vec![uri.clone()]),
        "unknown tasks are not accepted"
    );
    client.call_tool(call("axiom_send", json!({"task_id": id, "text": "go"}))).await.unwrap();
    let update = tokio::time::timeout(Duration::from_secs(10), subscription.next()).await.unwrap().unwrap();
    let Some(ServerNotification::ResourceUpdatedNotification(update)) = update else { panic!("{update:?}") };
    assert_eq!(update.params.uri, uri);
    subscription.cancel().await.unwrap();
    // Log notifications reach a 2026 client too.
    recorder
        .wait_for(Duration::from_secs(10), "the exit notification", |seen| {
            seen.logs.iter().any(|log| log.data["event"] == "exit" && log.data["task_id"] == id).then_some(())
        })
        .await;
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_long_wait_does_not_hold_up_other_calls() {
    let server = Server::start().await;
    let spawned = server.spawn(json!({"command": ["cat"]})).await;
    let id = spawned["task_id"].as_str().unwrap();
    let wait = server.wait(id, "exit", 30.0);
    let others = async {
        let started = Instant::now();
        tokio::time::sleep(Duration::from_millis(200)).await;
        let status = server.ok("axiom_status", json!({"task_id": id})).await;
        assert!(matches!(status["tasks"][0]["status"].as_str(), Some("running" | "starting")), "{status}");
        server.ok("axiom_send", json!({"task_id": id, "text": "echo me"})).await;
        server.wait_for_output(id, "echo me", Duration::from_secs(10)).await;
        let took = started.elapsed();
        server.ok("axiom_kill", json!({"task_id": id, "grace_ms": 200})).await;
        took
    };
    let (waited, took) = tokio::join!(wait, others);
    assert!(took < Duration::from_secs(5), "calls beside a wait took {took:?}");
    assert_eq!(waited["reason"], "exit");
    assert_eq!(waited["task"]["status"], "killed");
}

/// Tool-call latency of axiom_spawn and axiom_status, for BENCHMARKS.md:
/// `cargo test --release --test mcp -- --ignored --nocapture tool_call_latency`
#[tokio::test]
#[ignore = "a measurement, not a check; run it in release mode"]
async fn tool_call_latency() {
    let server = Server::start().await;
    fn percentiles(mut samples: Vec<Duration>) -> String {
        samples.sort();
        let at = |q: f64| samples[((samples.len() as f64 - 1.0) * q).round() as usize];
        format!("p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms", ms(at(0.5)), ms(at(0.99)), ms(at(1.0)))
    }
    fn ms(duration: Duration) -> f64 {
        duration.as_secs_f64() * 1000.0
    }
    const CALLS: usize = 200;
    let mut spawn = Vec::with_capacity(CALLS);
    let mut ids = Vec::with_capacity(CALLS);
    for _ in 0..CALLS {
        let started = Instant::now();
        let result = server.spawn(json!({"command": ["true"]})).await;
        spawn.push(started.elapsed());
        ids.push(result["task_id"].as_str().unwrap().to_owned());
    }
    for id in &ids {
        server.wait(id, "exit", 30.0).await;
    }
    let mut status = Vec::with_capacity(CALLS);
    for id in ids.iter().cycle().take(CALLS) {
        let started = Instant::now();
        server.ok("axiom_status", json!({"task_id": id})).await;
        status.push(started.elapsed());
    }
    let mut status_all = Vec::with_capacity(CALLS);
    for _ in 0..CALLS {
        let started = Instant::now();
        server.ok("axiom_status", json!({})).await;
        status_all.push(started.elapsed());
    }
    println!(
        "axiom_spawn (argv [\"true\"], returns once the worker reports the pid), {CALLS} calls: {}",
        percentiles(spawn)
    );
    println!("axiom_status {{task_id}}, {CALLS} calls: {}", percentiles(status));
    println!("axiom_status {{}} over {CALLS} tasks, {CALLS} calls: {}", percentiles(status_all));
}

#[tokio::test]
async fn sessions_on_one_state_dir_keep_their_tasks_and_hub_json_to_themselves() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let first = Server::start_with(Options { state_dir: Some(&state), ..Options::default() }).await;
    let spawned = first.spawn(json!({"command": ["sh", "-c", "echo from the first session"]})).await;
    let id = spawned["task_id"].as_str().unwrap().to_owned();
    first.wait(&id, "exit", 10.0).await;
    let first_hub = std::fs::read(state.join("mcp").join(first.pid.to_string()).join("hub.json")).unwrap();

    let second = Server::start_with(Options { state_dir: Some(&state), ..Options::default() }).await;
    let error = second.err("axiom_status", json!({"task_id": id})).await;
    assert!(error.contains(&id), "{error}");
    assert_eq!(
        std::fs::read(state.join("mcp").join(first.pid.to_string()).join("hub.json")).unwrap(),
        first_hub,
        "untouched"
    );
    assert!(!state.join("hub.json").exists(), "no session writes the shared hub.json");
    assert!(!state.join("tasks").exists(), "sessions keep tasks in memory only");
    assert!(first.output(&id).await.contains("from the first session"));

    // A session that ends removes its directory.
    let first_dir = state.join("mcp").join(first.pid.to_string());
    first.client.cancel().await.unwrap();
    eventually_gone(&first_dir).await;
}

async fn eventually_gone(path: &std::path::Path) {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while path.exists() {
        assert!(std::time::Instant::now() < deadline, "{} is still there", path.display());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn client_list_and_axiom_status_describe_a_task_with_the_same_record() {
    let server = Server::start().await;
    let spawned = server.spawn(json!({"command": ["sh", "-c", "echo done; exit 3"]})).await;
    let id = spawned["task_id"].as_str().unwrap();
    assert_eq!(server.wait(id, "exit", 20.0).await["reason"], "exit");

    let status = server.ok("axiom_status", json!({"task_id": id})).await;
    let from_mcp = status["tasks"][0].as_object().unwrap().clone();
    let listed = std::process::Command::new(env!("CARGO_BIN_EXE_axiom"))
        .args(["client", "--state-dir"])
        .arg(server.session_dir())
        .args(["list", "--format", "json"])
        .env_remove("AXIOM_TOKEN")
        .output()
        .unwrap();
    assert!(listed.status.success(), "{}", String::from_utf8_lossy(&listed.stderr));
    let tasks: Vec<Value> = serde_json::from_slice(&listed.stdout).unwrap();
    let from_client = tasks.iter().find(|task| task["task_id"] == id).unwrap().as_object().unwrap().clone();

    let keys = |record: &serde_json::Map<String, Value>| record.keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&from_client), keys(&from_mcp));
    for (key, value) in &from_mcp {
        // The run time of a finished task is fixed; every field is the same in both.
        assert_eq!(&from_client[key], value, "field {key}");
    }
    assert_eq!(from_client["status"], "exited");
    assert_eq!(from_client["exit_code"], 3);
    assert_eq!(from_client["tamper_events"], 0);
}

#[tokio::test]
async fn an_agents_output_is_its_rendered_text_not_its_raw_events() {
    let server = Server::start().await;
    let agent = fixture("stream-json-agent.py");
    let spawned = server
        .spawn(json!({"command": ["python3", agent, "-p", "{prompt}"], "prompt": "fix it", "driver": "claude", "agent": true}))
        .await;
    let id = spawned["task_id"].as_str().unwrap();
    assert_eq!(server.wait(id, "exit", 20.0).await["task"]["exit_code"], 0);

    let text = server.output(id).await;
    assert_eq!(text.matches("I edited src/lib.rs.").count(), 1, "{text}");
    assert!(!text.contains("\"type\""), "raw events in the output: {text}");
    let listed = std::process::Command::new(env!("CARGO_BIN_EXE_axiom"))
        .args(["client", "--state-dir"])
        .arg(server.session_dir())
        .args(["output", id])
        .output()
        .unwrap();
    let printed = String::from_utf8_lossy(&listed.stdout);
    assert!(listed.status.success() && !printed.contains("\"type\""), "{listed:?}");
    assert_eq!(printed.matches("I edited src/lib.rs.").count(), 1, "{printed}");
}
