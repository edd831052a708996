//! The hub's gate, against a real `axiom serve` over real sockets: bearer tokens (401), foreign
//! origins (403), the message size limit (close 1009), and error replies that keep the connection
//! usable.

mod live_support;

use std::time::Duration;

use futures_util::SinkExt;
use live_support::ws::{self, Socket};
use live_support::{cmdline_of, environ_of, http_get, parent_of, Hub, Proc, Sandbox, DEADLINE};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Message;

const RULES: &str = "rules: []\n";

/// Spawns `sh -c SCRIPT` through the client protocol; returns the task id once its child runs.
async fn spawn_task(socket: &mut Socket, id: u64, script: &str) -> String {
    let reply = ws::request(socket, id, json!({"type": "spawn", "id": id, "command": ["sh", "-c", script]})).await;
    assert_eq!(reply["type"], "spawned", "{reply}");
    reply["task_id"].as_str().unwrap().to_owned()
}

/// Polls `list` until the task reports its child's pid.
async fn child_pid(socket: &mut Socket, task_id: &str) -> u32 {
    let deadline = tokio::time::Instant::now() + DEADLINE;
    for id in 1000.. {
        let reply = ws::request(socket, id, json!({"type": "list", "id": id, "task_id": task_id})).await;
        if let Some(pid) = reply["tasks"][0]["pid"].as_u64() {
            return pid as u32;
        }
        assert!(tokio::time::Instant::now() < deadline, "task {task_id} never reported a pid: {reply}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    unreachable!()
}

#[tokio::test]
async fn client_endpoint_needs_the_client_token() {
    let hub = Hub::start(RULES, &[]);
    assert_eq!(ws::refused(ws::open(hub.addr, "/client", None, None).await), 401, "no token");
    let wrong = "0".repeat(64);
    assert_eq!(ws::refused(ws::open(hub.addr, "/client", Some(&wrong), None).await), 401, "a wrong token");
    let (status, _) = http_get(hub.addr, "/client", &[("Authorization", "Basic dXNlcjpwYXNz")]);
    assert_eq!(status, 401, "another scheme");
    let mut socket =
        ws::open(hub.addr, "/client", Some(&hub.token), None).await.expect("the right token opens /client");
    let reply = ws::request(&mut socket, 1, json!({"type": "list", "id": 1})).await;
    assert_eq!(reply, json!({"type": "tasks", "id": 1, "tasks": []}));
}

#[test]
fn the_client_takes_its_token_from_axiom_token_and_refuses_a_malformed_one() {
    let hub = Hub::start(RULES, &[]);
    let given = |token: &str| {
        let mut client = hub.client(&["list"]);
        // No token file to fall back on: only the variable can open the hub.
        client.env("AXIOM_TOKEN", token).env("AXIOM_STATE_DIR", hub.sandbox.path("elsewhere"));
        client.args(["--server", &hub.url]);
        live_support::run_within(client, DEADLINE)
    };
    given(&hub.token).assert_code(0);
    let malformed = given("/tmp/token-file");
    malformed.assert_code(2);
    assert!(malformed.stderr.contains("$AXIOM_TOKEN does not hold a valid token"), "{}", malformed.stderr);
    let wrong = given(&"f".repeat(64));
    wrong.assert_code(2);
    assert!(wrong.stderr.contains("401"), "{}", wrong.stderr);
}

#[tokio::test]
async fn worker_endpoint_refuses_the_client_token_wrong_tokens_and_other_tasks_tokens() {
    let hub = Hub::start_leaking_worker_tokens(RULES, &[]);
    let mut client = ws::open(hub.addr, "/client", Some(&hub.token), None).await.unwrap();
    let first = spawn_task(&mut client, 1, "exec sleep 30").await;
    let second = spawn_task(&mut client, 2, "exec sleep 30").await;
    let first_path = format!("/worker?task_id={first}");
    let second_path = format!("/worker?task_id={second}");

    // The first task's worker got its token through a pipe: neither its environment nor argv holds
    // it. The test takes it on its way to the worker instead (the hub keeps only its digest).
    let worker = parent_of(child_pid(&mut client, &first).await).unwrap();
    let worker_token = live_support::worker_token(&hub, &first);
    assert_ne!(worker_token, hub.token);
    assert_eq!(environ_of(worker, "AXIOM_TOKEN"), None);
    assert!(!cmdline_of(worker).contains(&worker_token), "the token is not in argv");

    let addr = hub.addr;
    let refused = |path: &str, token: Option<&str>| {
        let path = path.to_owned();
        let token = token.map(str::to_owned);
        async move { ws::refused(ws::open(addr, &path, token.as_deref(), None).await) }
    };
    assert_eq!(refused(&first_path, None).await, 401, "no token");
    assert_eq!(refused(&first_path, Some(&"f".repeat(64))).await, 401, "a wrong token");
    assert_eq!(refused(&first_path, Some(&hub.token)).await, 401, "the client token never opens /worker");
    assert_eq!(refused(&second_path, Some(&worker_token)).await, 401, "a worker token opens its own task only");
    assert_eq!(refused("/worker?task_id=nosuch", Some(&worker_token)).await, 401, "an unknown task");
    assert_eq!(refused("/worker", Some(&worker_token)).await, 401, "no task id");
    assert_eq!(refused("/client", Some(&worker_token)).await, 401, "a worker token never opens /client");

    child_pid(&mut client, &second).await; // a task takes a kill once its worker is connected
    for (id, task) in [(3, &first), (4, &second)] {
        let reply =
            ws::request(&mut client, id, json!({"type": "kill", "id": id, "task_id": task, "grace_ms": 100})).await;
        assert_eq!(reply["type"], "ok", "{reply}");
    }
}

/// A task holding the client token fills every client place: a worker still connects (its task
/// would be lost otherwise), and a holder of one task's worker token gets a few places, not any
/// number.
#[tokio::test]
async fn clients_in_every_place_keep_no_worker_out_and_one_task_gets_few_worker_connections() {
    let hub = Hub::start_leaking_worker_tokens(RULES, &["--max-clients", "1"]);
    let mut client = ws::open(hub.addr, "/client", Some(&hub.token), None).await.unwrap();
    let task = spawn_task(&mut client, 1, "exec sleep 30").await;
    child_pid(&mut client, &task).await; // its worker is connected
    assert_eq!(ws::refused(ws::open(hub.addr, "/client", Some(&hub.token), None).await), 503, "the one place is taken");
    let token = live_support::worker_token(&hub, &task);
    let path = format!("/worker?task_id={task}");
    // Its worker holds one place; three more open (a worker reconnecting over a link not yet seen dead).
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(ws::open(hub.addr, &path, Some(&token), None).await.expect("a worker's place"));
    }
    assert_eq!(ws::refused(ws::open(hub.addr, &path, Some(&token), None).await), 503, "a fifth at once");
    drop(held);
    let reply = ws::request(&mut client, 2, json!({"type": "kill", "id": 2, "task_id": task, "grace_ms": 100})).await;
    assert_eq!(reply["type"], "ok", "{reply}");
}

#[tokio::test]
async fn foreign_origins_get_403_even_with_the_token_unless_allowed() {
    let hub = Hub::start(RULES, &["--allow-origin", "http://good.example"]);
    let evil = ws::open(hub.addr, "/client", Some(&hub.token), Some("http://evil.example")).await;
    assert_eq!(ws::refused(evil), 403);
    let no_token = ws::open(hub.addr, "/client", None, Some("http://evil.example")).await;
    assert_eq!(ws::refused(no_token), 403, "the origin is checked first");
    let mut allowed = ws::open(hub.addr, "/client", Some(&hub.token), Some("http://good.example"))
        .await
        .expect("an allowed origin with the token connects");
    let reply = ws::request(&mut allowed, 1, json!({"type": "list", "id": 1})).await;
    assert_eq!(reply["type"], "tasks");
    let mut native = ws::open(hub.addr, "/client", Some(&hub.token), None).await.expect("no Origin: a native client");
    assert_eq!(ws::request(&mut native, 2, json!({"type": "list", "id": 2})).await["type"], "tasks");
}

#[tokio::test]
async fn without_allow_origin_every_origin_gets_403() {
    let hub = Hub::start(RULES, &[]);
    let evil = ws::open(hub.addr, "/client", Some(&hub.token), Some("http://evil.example")).await;
    assert_eq!(ws::refused(evil), 403);
    let (status, _) = http_get(hub.addr, "/client", &[("Origin", "http://127.0.0.1"), ("Upgrade", "websocket")]);
    assert_eq!(status, 403, "not even the hub's own address");
}

#[tokio::test]
async fn healthz_answers_200_without_a_token() {
    let hub = Hub::start(RULES, &[]);
    let (status, body) = http_get(hub.addr, "/healthz", &[]);
    assert_eq!((status, body.as_str()), (200, "ok\n"));
}

#[tokio::test]
async fn a_message_over_1_mib_closes_the_socket_with_1009() {
    let hub = Hub::start(RULES, &[]);
    let mut socket = ws::open(hub.addr, "/client", Some(&hub.token), None).await.unwrap();
    let text = format!(r#"{{"type":"list","id":1,"task_id":"{}"}}"#, "x".repeat(1024 * 1024 + 1));
    ws::send_text(&mut socket, text).await;
    match ws::next(&mut socket).await {
        Some(Ok(Message::Close(Some(frame)))) => assert_eq!(frame.code, CloseCode::Size, "{frame:?}"),
        other => panic!("expected a close frame with code 1009, got {other:?}"),
    }
    // A message just under the limit is fine on a new connection.
    let mut socket = ws::open(hub.addr, "/client", Some(&hub.token), None).await.unwrap();
    let id = "y".repeat(1024 * 1024 - 100);
    let reply = ws::request(&mut socket, 2, json!({"type": "list", "id": 2, "task_id": id})).await;
    assert_eq!(reply["type"], "error", "an unknown task, not a closed socket");
}

#[tokio::test]
async fn malformed_and_unknown_messages_get_an_error_reply_and_the_connection_stays_usable() {
    let hub = Hub::start(RULES, &[]);
    let mut socket = ws::open(hub.addr, "/client", Some(&hub.token), None).await.unwrap();
    for bad in ["{not json", r#"{"type":"explode","id":5}"#, r#"{"type":"list","bogus":1}"#, "[]"] {
        ws::send_text(&mut socket, bad).await;
        let reply: Value = ws::next_json(&mut socket).await;
        assert_eq!(reply["type"], "error", "{bad} → {reply}");
        assert!(reply["message"].as_str().is_some_and(|m| !m.is_empty()), "{reply}");
    }
    socket.send(Message::binary(vec![1, 2, 3])).await.unwrap();
    let reply = ws::next_json(&mut socket).await;
    assert_eq!(reply["type"], "error", "binary frame → {reply}");
    let reply = ws::request(&mut socket, 9, json!({"type": "list", "id": 9})).await;
    assert_eq!(reply, json!({"type": "tasks", "id": 9, "tasks": []}));
    let reply = ws::request(&mut socket, 10, json!({"type": "output", "id": 10, "task_id": "nosuch"})).await;
    assert_eq!(reply["type"], "error");
    assert!(reply["message"].as_str().unwrap().contains("nosuch"), "{reply}");
}

#[tokio::test]
async fn a_client_that_goes_away_does_not_disturb_a_running_task() {
    let hub = Hub::start(RULES, &[]);
    let mut first = ws::open(hub.addr, "/client", Some(&hub.token), None).await.unwrap();
    let reply = ws::request(
        &mut first,
        1,
        json!({"type": "spawn", "id": 1, "command": ["sh", "-c", "echo one; sleep 0.3; echo two"], "subscribe": true}),
    )
    .await;
    let task = reply["task_id"].as_str().unwrap().to_owned();
    drop(first);
    let mut second = ws::open(hub.addr, "/client", Some(&hub.token), None).await.unwrap();
    let status = eventually_status(&mut second, &task).await;
    assert_eq!(status, json!({"state": "exited", "code": 0}));
    let reply = ws::request(&mut second, 2, json!({"type": "output", "id": 2, "task_id": task})).await;
    assert_eq!(reply["data"], "one\ntwo\n");
}

/// Polls `list` for the task until it is finished; returns its status.
async fn eventually_status(socket: &mut Socket, task: &str) -> Value {
    let deadline = tokio::time::Instant::now() + DEADLINE;
    for id in 100.. {
        let reply = ws::request(socket, id, json!({"type": "list", "id": id, "task_id": task})).await;
        let status = reply["tasks"][0]["status"].clone();
        if !matches!(status["state"].as_str(), Some("starting" | "running")) {
            return status;
        }
        assert!(tokio::time::Instant::now() < deadline, "task {task} never finished: {reply}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    unreachable!()
}

#[test]
fn a_descriptor_the_hub_inherited_does_not_reach_its_tasks() {
    use std::os::unix::process::CommandExt as _;
    const INHERITED: i32 = 47;
    let hub = Hub::start_prepared(RULES, &[], |serve| {
        // SAFETY: dup2 is async-signal-safe; the copy it makes is not close-on-exec.
        unsafe {
            serve.pre_exec(|| match libc::dup2(2, INHERITED) {
                -1 => Err(std::io::Error::last_os_error()),
                _ => Ok(()),
            });
        }
    });
    let serve_fds = std::fs::read_dir(format!("/proc/{}/fd", hub.pid())).unwrap();
    assert!(
        serve_fds.flatten().any(|fd| fd.file_name() == *INHERITED.to_string()),
        "the hub was handed the descriptor"
    );
    let run = hub.run_client(&["--command", "ls /proc/self/fd"]);
    run.assert_code(0);
    let open: Vec<&str> = run.stdout.lines().collect();
    assert!(open.contains(&"0") && !open.contains(&INHERITED.to_string().as_str()), "{open:?}");
}

#[test]
fn the_state_dir_holds_a_private_token_and_where_the_hub_listens() {
    use std::os::unix::fs::PermissionsExt;
    let hub = Hub::start(RULES, &[]);
    let mode = std::fs::metadata(hub.sandbox.path("state/token")).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    assert_eq!(hub.token.len(), 64, "256 bits, hex");
    assert!(hub.token.bytes().all(|b| b.is_ascii_hexdigit()), "{}", hub.token);
    let info: Value =
        serde_json::from_str(&std::fs::read_to_string(hub.sandbox.path("state/hub.json")).unwrap()).unwrap();
    assert_eq!(info["pid"], hub.pid());
    assert!(hub.addr.ip().is_loopback(), "{}", hub.url);
}

#[test]
fn serve_warns_when_it_listens_beyond_loopback() {
    let sandbox = Sandbox::new();
    let state = sandbox.path("state").display().to_string();
    let rules = sandbox.write("rules.yaml", RULES);
    let args = ["serve", "--listen", "0.0.0.0:0", "--state-dir", &state, "--rules", &rules];
    let mut serve = Proc::spawn(sandbox.axiom(&args), "serve 0.0.0.0");
    let stderr = serve.wait_for_stderr("hub listening on");
    assert!(stderr.contains("warning") && stderr.contains("0.0.0.0"), "{stderr}");
}

/// `axiom client ARGS` on a terminal (a pseudo-terminal from util-linux's `script`), or `None`
/// with the reason printed where `script` is not installed.
fn client_on_a_terminal(hub: &Hub, args: &[&str]) -> Option<live_support::Finished> {
    if std::process::Command::new("script").arg("--version").output().is_err() {
        eprintln!("skipped: util-linux's `script` is not installed (it gives the client a terminal)");
        return None;
    }
    let client = hub.client(args);
    // The program and its arguments are the test's own (a path and a task id), quoted for `sh`.
    let quoted: Vec<String> = std::iter::once(client.get_program())
        .chain(client.get_args())
        .map(|word| format!("'{}'", word.to_string_lossy()))
        .collect();
    let mut script = std::process::Command::new("script");
    script.args(["-qec", &quoted.join(" "), "/dev/null"]);
    for (name, value) in client.get_envs() {
        if let Some(value) = value {
            script.env(name, value);
        }
    }
    Some(live_support::run_within(script, DEADLINE))
}

#[test]
fn a_tasks_escapes_do_not_reach_the_terminal_of_whoever_watches_it() {
    let hub = Hub::start(RULES, &[]);
    // The clipboard (OSC 52), the title, a terminal report that would read as typed, and a
    // cursor move and erase that hide the line before; then coloured text.
    let hostile =
        r"printf 'rm -rf ~\033]52;c;cm0gLXJmIH4=\007\033]0;pwned\007\033[6n\033[1A\033[2K\033[31mred\033[0m done\n'";
    hub.run_client(&["--command", hostile]).assert_code(0);
    let id = hub.list().pop().expect("one task").task_id;

    let piped = hub.run_client(&["output", &id]);
    piped.assert_code(0);
    assert!(
        piped.stdout.contains("\x1b]52;c;") && piped.stdout.contains("\x1b[6n"),
        "a pipe gets every byte: {piped:?}"
    );

    let Some(shown) = client_on_a_terminal(&hub, &["output", &id]) else { return };
    shown.assert_code(0);
    assert!(shown.stdout.contains("rm -rf ~\x1b[31mred\x1b[0m done"), "{:?}", shown.stdout);
    for escape in ["\x1b]", "\x1b[6n", "\x1b[1A", "\x1b[2K", "\x07"] {
        assert!(!shown.stdout.contains(escape), "{escape:?} reached the terminal: {:?}", shown.stdout);
    }
    let raw = client_on_a_terminal(&hub, &["--raw", "output", &id]).expect("script ran once already");
    assert!(raw.stdout.contains("\x1b]52;c;"), "--raw passes the escapes: {:?}", raw.stdout);
}
