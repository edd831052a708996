//! The MCP server's side of supervision the agent cannot subvert: a session's end leaves no
//! process behind (not even one that left its process group), and input of any size is delivered.

mod mcp_support;

use std::time::Duration;

use mcp_support::{all_gone, Server};
use serde_json::json;

#[tokio::test]
async fn a_setsid_grandchild_is_gone_after_the_mcp_session_ends() {
    let server = Server::start().await;
    let pidfile = server.dir().join("escapee.pid");
    let line = format!("setsid sleep 300 & echo $! > {}; exec sleep 300", pidfile.display());
    let spawned = server.spawn(json!({"command": ["sh", "-c", line]})).await;
    let id = spawned["task_id"].as_str().unwrap().to_owned();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let escapee: u32 = loop {
        if let Some(pid) = std::fs::read_to_string(&pidfile).ok().and_then(|text| text.trim().parse().ok()) {
            break pid;
        }
        assert!(std::time::Instant::now() < deadline, "the task never wrote its grandchild's pid");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let mut pids = vec![escapee];
    pids.extend(mcp_support::worker_pids(&id));
    assert!(pids.iter().all(|&pid| mcp_support::alive(pid)), "{pids:?}");
    server.client.cancel().await.unwrap();
    all_gone(&pids, Duration::from_secs(10), "the setsid grandchild and the worker after the session ended").await;
}

#[tokio::test]
async fn a_2_mib_axiom_send_is_delivered_whole() {
    let server = Server::start().await;
    let script = "import sys; line = sys.stdin.readline(); print(len(line), line.count('x'))";
    let spawned = server.spawn(json!({"command": ["python3", "-c", script]})).await;
    let id = spawned["task_id"].as_str().unwrap().to_owned();
    let text = "x".repeat(2 * 1024 * 1024);
    let sent = server.ok("axiom_send", json!({"task_id": id, "text": text})).await;
    assert_eq!(sent["bytes"], 2 * 1024 * 1024);
    let waited = server.wait(&id, "exit", 20.0).await;
    assert_eq!(waited["task"]["status"], "exited", "{waited}");
    assert_eq!(server.output(&id).await.trim(), format!("{} {}", 2 * 1024 * 1024 + 1, 2 * 1024 * 1024));
}
