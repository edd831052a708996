//! What a rule that acts on every line costs the hub, against one that only warns.
//!
//! One task (no journal, no sockets) takes 20,000 one-line chunks that each fire a rule with no
//! cooldown, and every command it sends back is acknowledged at once, as a worker would. Run it
//! once with `action: warn` and once with `action: inject`: since the echo mask holds each
//! injected text once, the two should cost about the same.
//!
//! ```text
//! cargo run --release --example intervention_cost
//! ```

use std::sync::Arc;
use std::time::Instant;

use axiom::protocol::HubToWorker;
use axiom::rules::{RuleDocument, RuleSet};
use axiom::tasks::{Task, TaskConfig};
use axiom::worker::OutputStream;

const LINES: u64 = 20_000;

fn cost(action: &str) -> (f64, usize) {
    let yaml = format!(
        "rules:\n  - id: r\n    match: {{ literals: ['bad line'] }}\n    action: {action}\n    message: Please stop doing that.\n"
    );
    let rules = Arc::new(RuleSet::from_documents(vec![RuleDocument::new("r.yaml", yaml)]).expect("valid rules"));
    let task = Task::new("cost".into(), vec!["agent".into()], rules, TaskConfig::default(), None);
    let (queue, _queued) = tokio::sync::mpsc::channel(axiom::tasks::OUTSTANDING_LIMIT);
    task.attach_worker(queue, Some(1), None).expect("the first worker is accepted");
    let started = Instant::now();
    let mut commands = 0;
    for seq in 0..LINES {
        for command in task.ingest(seq, OutputStream::Stdout, format!("{seq} bad line\n").into_bytes(), Instant::now())
        {
            if let HubToWorker::Intervene { id, .. } = command {
                task.acknowledge(id, true, None);
                commands += 1;
            }
        }
    }
    assert_eq!(task.info().interventions as u64, LINES);
    (started.elapsed().as_secs_f64(), commands)
}

fn main() {
    for action in ["warn", "inject"] {
        let (seconds, commands) = cost(action);
        println!("{LINES} interventions, action {action:6}: {seconds:.3} s ({commands} commands to the worker)");
    }
}
