//! One hub per state directory, and a state directory nobody else can subvert — against the real
//! binary: a second `serve` and an `mcp` beside a running `serve` leave it alone, a clean exit
//! removes `hub.json`, and an open (0755) dir, a planted symlink and a FIFO are dealt with.

mod live_support;

use std::os::unix::fs::PermissionsExt;

use live_support::{run_within, Hub, Sandbox, DEADLINE};

const RULES: &str = "rules: []\n";

fn serve_args(state: &str, rules: &str) -> Vec<String> {
    ["serve", "--listen", "127.0.0.1:0", "--state-dir", state, "--rules", rules].map(String::from).to_vec()
}

#[test]
fn a_second_serve_and_an_mcp_beside_a_serve_leave_the_first_hub_alone() {
    let hub = Hub::start(RULES, &[]);
    let (mut client, id) = hub.start_command("echo started; sleep 30");
    client.wait_for_stdout("started");
    let hub_json = std::fs::read(hub.sandbox.path("state/hub.json")).unwrap();
    let state = hub.sandbox.path("state").display().to_string();
    let rules = hub.sandbox.path("rules.yaml").display().to_string();

    let args = serve_args(&state, &rules);
    let second = run_within(hub.sandbox.axiom(&args.iter().map(String::as_str).collect::<Vec<_>>()), DEADLINE);
    second.assert_code(2);
    let holder = format!("another hub (pid {})", hub.pid());
    assert!(second.stderr.contains(&holder), "the second hub names the first: {}", second.stderr);

    // An MCP session on the same state dir, with stdin closed at once: it starts, serves nothing, ends.
    let mcp = ["mcp", "--listen", "127.0.0.1:0", "--state-dir", &state, "--rules", &rules];
    let mcp = run_within(hub.sandbox.axiom(&mcp), DEADLINE);
    assert!(mcp.stderr.contains("/mcp/"), "the session names its own state dir: {}", mcp.stderr);

    assert_eq!(std::fs::read(hub.sandbox.path("state/hub.json")).unwrap(), hub_json, "hub.json is untouched");
    let task = hub.task(&id);
    assert_eq!(task.status, axiom::protocol::TaskStatus::Running, "the first hub's task is not disturbed");
    let history = std::fs::read_to_string(hub.sandbox.path(&format!("state/tasks/{id}/events.jsonl"))).unwrap();
    assert!(!history.contains("\"lost\""), "nobody marked the task lost: {history}");
    assert!(!hub.sandbox.path("state/mcp").read_dir().unwrap().any(|_| true), "the session removed its dir");
}

#[test]
fn a_clean_exit_removes_hub_json_and_the_client_says_no_hub_running() {
    let sandbox = Sandbox::new();
    let rules = sandbox.write("rules.yaml", RULES);
    let state = sandbox.path("state").display().to_string();
    let args = serve_args(&state, &rules);
    let mut serve =
        live_support::Proc::spawn(sandbox.axiom(&args.iter().map(String::as_str).collect::<Vec<_>>()), "serve");
    serve.wait_for_stderr("hub listening on");
    assert!(sandbox.path("state/hub.json").exists());
    serve.signal(libc::SIGTERM);
    serve.finish_within(DEADLINE).assert_code(0);
    assert!(!sandbox.path("state/hub.json").exists(), "hub.json is removed on a clean exit");
    let list = run_within(sandbox.axiom(&["client", "--state-dir", &state, "list"]), DEADLINE);
    list.assert_code(2);
    assert!(list.stderr.contains("no hub running"), "{}", list.stderr);
}

#[test]
fn a_killed_hubs_hub_json_is_recognised_as_left_over() {
    let sandbox = Sandbox::new();
    let rules = sandbox.write("rules.yaml", RULES);
    let state = sandbox.path("state").display().to_string();
    let args = serve_args(&state, &rules);
    let mut serve =
        live_support::Proc::spawn(sandbox.axiom(&args.iter().map(String::as_str).collect::<Vec<_>>()), "serve");
    serve.wait_for_stderr("hub listening on");
    serve.signal(libc::SIGKILL);
    let _ = serve.finish_within(DEADLINE);
    let list = run_within(sandbox.axiom(&["client", "--state-dir", &state, "list"]), DEADLINE);
    list.assert_code(2);
    assert!(list.stderr.contains("no hub running") && list.stderr.contains("left over"), "{}", list.stderr);
}

#[test]
fn an_open_state_dir_is_refused_with_the_fix() {
    let sandbox = Sandbox::new();
    let rules = sandbox.write("rules.yaml", RULES);
    std::fs::set_permissions(sandbox.path("state"), std::fs::Permissions::from_mode(0o755)).unwrap();
    let state = sandbox.path("state").display().to_string();
    let args = serve_args(&state, &rules);
    let run = run_within(sandbox.axiom(&args.iter().map(String::as_str).collect::<Vec<_>>()), DEADLINE);
    run.assert_code(2);
    assert!(run.stderr.contains("mode 0755") && run.stderr.contains(&format!("chmod 700 {state}")), "{}", run.stderr);
    assert!(!sandbox.path("state/token").exists(), "nothing was written into it");
    // The client refuses it too: a hub.json planted there could send it and its token anywhere.
    std::fs::write(sandbox.path("state/hub.json"), r#"{"url":"ws://127.0.0.1:1","pid":1}"#).unwrap();
    let list = run_within(sandbox.axiom(&["client", "--state-dir", &state, "list"]), DEADLINE);
    list.assert_code(2);
    assert!(list.stderr.contains("mode 0755"), "{}", list.stderr);
}

#[test]
fn a_symlink_planted_at_the_temporary_path_is_refused_not_followed() {
    let sandbox = Sandbox::new();
    let rules = sandbox.write("rules.yaml", RULES);
    let victim = sandbox.write("victim", "precious");
    std::os::unix::fs::symlink(&victim, sandbox.path("state/.hub.json.tmp")).unwrap();
    let state = sandbox.path("state").display().to_string();
    let args = serve_args(&state, &rules);
    let run = run_within(sandbox.axiom(&args.iter().map(String::as_str).collect::<Vec<_>>()), DEADLINE);
    run.assert_code(2);
    assert!(run.stderr.contains(".hub.json.tmp is a symlink"), "{}", run.stderr);
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
}

#[test]
fn a_fifo_in_tasks_is_skipped_and_startup_does_not_hang() {
    let sandbox = Sandbox::new();
    let rules = sandbox.write("rules.yaml", RULES);
    let task_dir = sandbox.path("state/tasks/abcdef");
    std::fs::create_dir_all(&task_dir).unwrap();
    let fifo = std::ffi::CString::new(task_dir.join("events.jsonl").into_os_string().into_encoded_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
    let state = sandbox.path("state").display().to_string();
    let args = serve_args(&state, &rules);
    let mut serve =
        live_support::Proc::spawn(sandbox.axiom(&args.iter().map(String::as_str).collect::<Vec<_>>()), "serve");
    let log = serve.wait_for_stderr("hub listening on");
    assert!(log.contains("abcdef/events.jsonl") && log.contains("not a regular file"), "{log}");
    serve.signal(libc::SIGTERM);
    serve.finish_within(DEADLINE).assert_code(0);
}
