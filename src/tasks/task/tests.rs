use super::*;
use crate::pipeline::Activity;
use crate::rules::RuleDocument;

fn rules(yaml: &str) -> Arc<RuleSet> {
    Arc::new(RuleSet::from_documents(vec![RuleDocument::new("t.yaml", yaml)]).unwrap())
}

fn task_with(yaml: &str, journal: Option<Journal>) -> Task {
    Task::new("t1".into(), vec!["agent".into()], rules(yaml), TaskConfig::default(), journal)
}

fn task() -> Task {
    task_with("rules: []\n", None)
}

fn attach(task: &Task) -> (mpsc::Receiver<HubToWorker>, Attached, mpsc::Sender<HubToWorker>) {
    let (queue, queued) = mpsc::channel(OUTSTANDING_LIMIT);
    let attached = task.attach_worker(queue.clone(), Some(7), None).unwrap();
    (queued, attached, queue)
}

fn out(task: &Task, seq: u64, text: &str) -> Vec<HubToWorker> {
    task.ingest(seq, OutputStream::Stdout, text.as_bytes().to_vec(), Instant::now())
}

fn stored(task: &Task) -> String {
    String::from_utf8(task.read_output(0, usize::MAX).bytes).unwrap()
}

#[test]
fn output_sequence_jumps_gaps_and_wraps_are_refused_and_change_nothing() {
    let task = task();
    let _worker = attach(&task);
    assert!(out(&task, 0, "a\n").is_empty());
    for forged in [2, 1 << 62, u64::MAX] {
        let reply = out(&task, forged, "forged\n");
        assert!(matches!(&reply[..], [HubToWorker::Error { message }] if message.contains("was due")), "{reply:?}");
    }
    assert!(out(&task, 1, "b\n").is_empty(), "the real next chunk is still taken");
    assert!(out(&task, 0, "a\n").is_empty(), "a replay is ignored quietly");
    assert_eq!(stored(&task), "a\nb\n");
    assert_eq!(task.info().tamper_events, 3);
}

#[test]
fn a_forged_exit_and_frames_after_the_exit_are_refused() {
    let task = task();
    let _worker = attach(&task);
    out(&task, 0, "a\n");
    assert!(task.finish_from_worker(5, TaskStatus::Exited { code: 0 }, Instant::now()).is_err());
    assert_eq!(task.status(), TaskStatus::Running, "a forged exit ends nothing");
    task.finish_from_worker(1, TaskStatus::Exited { code: 3 }, Instant::now()).unwrap();
    assert_eq!(task.status(), TaskStatus::Exited { code: 3 });
    let reply = out(&task, 2, "after the end\n");
    assert!(matches!(&reply[..], [HubToWorker::Error { message }] if message.contains("after the task ended")));
    assert!(task.finish_from_worker(2, TaskStatus::Exited { code: 0 }, Instant::now()).is_err());
    assert!(task.finish_from_worker(1, TaskStatus::Exited { code: 0 }, Instant::now()).is_ok(), "a replay");
    assert_eq!(task.status(), TaskStatus::Exited { code: 3 });
    assert_eq!(stored(&task), "a\n");
    assert_eq!(task.info().tamper_events, 3);
}

#[test]
fn a_second_connection_takes_over_only_with_the_session_of_the_first() {
    let task = task();
    let (_queued, first, first_queue) = attach(&task);
    let (intruder, _) = mpsc::channel(8);
    assert!(task.attach_worker(intruder.clone(), Some(7), None).is_err(), "no session");
    assert!(task.attach_worker(intruder.clone(), Some(7), Some("guess")).is_err(), "a wrong session");
    assert!(task.attach_worker(intruder.clone(), Some(8), Some(&first.session)).is_err(), "another pid");
    assert!(task.is_attached(&first_queue), "the real worker keeps its connection");
    assert_eq!(task.info().tamper_events, 3);

    let (resumed, _) = mpsc::channel(8);
    let second = task.attach_worker(resumed.clone(), Some(7), Some(&first.session)).unwrap();
    assert!(task.is_attached(&resumed) && !task.is_attached(&first_queue));
    assert_ne!(second.session, first.session, "every welcome has a fresh session");
    task.detach_worker(&resumed);
    assert!(task.attach_worker(intruder.clone(), Some(7), Some("guess")).is_err(), "a wrong session, detached");
    assert!(task.attach_worker(intruder, Some(7), None).is_ok(), "a worker whose welcome was lost");
}

#[test]
fn acknowledgements_of_commands_never_sent_are_refused() {
    let task = task();
    let _worker = attach(&task);
    task.acknowledge(99, true, None);
    assert_eq!(task.info().tamper_events, 1);
}

#[test]
fn commands_are_resent_on_every_attach_until_acknowledged() {
    let task = task();
    let (mut first, _, first_queue) = attach(&task);
    let id = task.intervene(Action::Inject, Some("stop".into()), None).unwrap();
    task.send_input("y", true).unwrap();
    assert!(matches!(first.try_recv(), Ok(HubToWorker::Intervene { id: got, .. }) if got == id));
    task.detach_worker(&first_queue);
    // The link dropped before the acknowledgement: both go again, in order.
    let (mut second, _, second_queue) = attach(&task);
    assert!(matches!(second.try_recv(), Ok(HubToWorker::Intervene { id: got, .. }) if got == id));
    assert!(matches!(second.try_recv(), Ok(HubToWorker::Input { id: got, .. }) if got == id + 1));
    task.acknowledge(id, true, None);
    task.acknowledge(id + 1, true, None);
    task.detach_worker(&second_queue);
    let (mut third, _, _) = attach(&task);
    assert!(third.try_recv().is_err(), "acknowledged commands are not resent");
    assert_eq!(task.interventions_since(0).0[0].delivered, Some(true));
}

#[test]
fn the_command_log_and_its_ids_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let journal = Journal::open(dir.path(), Default::default()).unwrap();
    let task = task_with("rules: []\n", Some(journal.clone()));
    let kill = task.intervene(Action::Kill, None, None).unwrap();
    task.send_input("hello", true).unwrap();
    task.acknowledge(kill + 1, true, None);
    journal.flush_blocking();

    let history = crate::tasks::journal::read_history(&journal.events_path("t1")).unwrap();
    let restored = Task::restore(history, rules("rules: []\n"), TaskConfig::default(), None).unwrap();
    assert_eq!(restored.interventions_since(0).0.len(), 1, "the manual kill is in the history");
    let (mut queued, _, _) = attach(&restored);
    assert!(matches!(queued.try_recv(), Ok(HubToWorker::Intervene { id, action: Action::Kill, .. }) if id == kill));
    assert!(queued.try_recv().is_err(), "the acknowledged input is not resent");
    let next = restored.intervene(Action::Interrupt, None, None).unwrap();
    assert_eq!(next, kill + 2, "ids continue after a restart, never reused");
}

fn piped(queued: &mut mpsc::Receiver<HubToWorker>) -> Vec<String> {
    std::iter::from_fn(|| match queued.try_recv() {
        Ok(HubToWorker::Pipe { payload, .. }) => Some(String::from_utf8(payload.into_bytes().unwrap()).unwrap()),
        _ => None,
    })
    .collect()
}

#[tokio::test]
async fn piped_input_sent_again_is_written_once_also_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let journal = Journal::open(dir.path(), Default::default()).unwrap();
    let task = Arc::new(task_with("rules: []\n", Some(journal.clone())));
    let (mut queued, _, _) = attach(&task);
    task.pipe_input(0, b"abc").await.unwrap();
    task.pipe_input(0, b"abc").await.unwrap();
    task.pipe_input(1, b"bcdef").await.unwrap();
    assert_eq!(piped(&mut queued), ["abc", "def"], "what was taken is skipped, the rest written");
    let gap = task.pipe_input(9, b"z").await;
    assert!(matches!(gap, Err(TaskError::InputGap { at: 9, taken: 6, .. })), "{gap:?}");
    // More than one command may carry (control bytes would swell it past the worker's message limit).
    let too_large = task.pipe_input(6, &vec![1u8; INPUT_CHUNK + 1]).await;
    assert!(matches!(too_large, Err(TaskError::InputTooLarge { .. })), "{too_large:?}");
    task.pipe_input(6, &[1u8; INPUT_CHUNK]).await.unwrap();
    let HubToWorker::Pipe { payload, .. } = queued.try_recv().unwrap() else { panic!("piped") };
    assert!(payload.base64 && payload.data.len() <= INPUT_CHUNK / 3 * 4 + 4, "control bytes go as base64");
    journal.flushed().await;

    let history = crate::tasks::journal::read_history(&journal.events_path("t1")).unwrap();
    let restored = Arc::new(Task::restore(history, rules("rules: []\n"), TaskConfig::default(), None).unwrap());
    let (mut queued, _, _) = attach(&restored);
    let resent = piped(&mut queued);
    assert!(resent.len() == 3 && resent[..2] == ["abc", "def"], "unacknowledged, so resent to the new worker");
    restored.pipe_input(3 + INPUT_CHUNK as u64, b"defgh").await.unwrap();
    assert_eq!(piped(&mut queued), ["gh"], "the count of what was taken survives the restart");
}

/// The first event of a history: task `t1` running `cat`.
fn spawn_of_cat() -> Event {
    Event::Spawn {
        task_id: "t1".into(),
        command: vec!["cat".into()],
        started_at: 1,
        worker_token_sha256: None,
        worker_token: Some(Token::generate().as_str().to_owned()),
    }
}

#[test]
fn ids_of_commands_dropped_from_a_cut_history_are_not_used_again() {
    let spawn = spawn_of_cat();
    // What a cut leaves of input that was written: its acknowledgement alone.
    let ack = Event::Ack { id: 41, delivered: true, error: None };
    let history = crate::tasks::journal::History { events: vec![spawn, ack], ..Default::default() };
    let restored = Task::restore(history, rules("rules: []\n"), TaskConfig::default(), None).unwrap();
    assert_eq!(restored.intervene(Action::Interrupt, None, None).unwrap(), 42);
}

#[test]
fn interventions_a_cut_dropped_still_count_and_keep_their_numbers_after_a_restore() {
    let spawn = spawn_of_cat();
    let task = task_with("rules: []\n", None);
    task.intervene(Action::Interrupt, None, None).unwrap();
    let (records, _) = task.interventions_since(0);
    let events = vec![spawn, Event::Intervention { record: records[0].clone() }];
    // What a cut that dropped the task's first 7 interventions leaves.
    let history = crate::tasks::journal::History { events, interventions_forgotten: 7, ..Default::default() };
    let restored = Task::restore(history, rules("rules: []\n"), TaskConfig::default(), None).unwrap();
    assert_eq!(restored.info().interventions, 8);
    let (page, next) = restored.interventions_since(7);
    assert_eq!((page.len(), next), (1, 8), "the kept one is still number 7");
}

#[test]
fn a_restored_pty_task_redraws_its_screen_and_matches_only_what_is_new() {
    let dir = tempfile::tempdir().unwrap();
    let journal = Journal::open(dir.path(), Default::default()).unwrap();
    let yaml = "rules:\n  - id: claim\n    match: { literals: ['All tests pass'] }\n";
    let task = task_with(yaml, Some(journal.clone()));
    task.use_screen(10, 40, Some("^ask> ".into())).unwrap();
    let _link = attach(&task);
    // A frame drawn with cursor moves, as a TUI draws: the claim on row 2, the prompt on row 5.
    let frame = b"\x1b[2;1HAll\x1b[2;5Htests\x1b[2;11Hpass\x1b[5;1Hask> ".to_vec();
    let start = Instant::now();
    task.ingest(0, OutputStream::Stdout, frame.clone(), start);
    task.tick(start + Duration::from_secs(1));
    assert_eq!(task.interventions_since(0).0.len(), 1);
    task.resize(12, 40).unwrap();
    journal.flush_blocking();

    let history = crate::tasks::journal::read_history(&journal.events_path("t1")).unwrap();
    let restored = Task::restore(history, rules(yaml), TaskConfig::default(), Some(journal)).unwrap();
    assert_eq!(restored.pipeline().screen_rows().map(|rows| rows.len()), Some(12), "the last size is kept");
    assert_eq!(restored.info().activity, Some(Activity::Idle), "the screen is back, at the described prompt");
    let _link = attach(&restored);
    // The agent repaints after the reconnect: nothing fires again. A new claim does.
    let later = Instant::now();
    restored.ingest(1, OutputStream::Stdout, frame, later);
    restored.tick(later + Duration::from_secs(1));
    assert_eq!(restored.interventions_since(0).0.len(), 1, "the repaint fired again");
    restored.ingest(2, OutputStream::Stdout, b"\x1b[3;1HAll\x1b[3;5Htests\x1b[3;11Hpass now".to_vec(), later);
    restored.tick(later + Duration::from_secs(2));
    assert_eq!(restored.interventions_since(0).0.len(), 2, "new content is matched");
}

#[test]
fn large_input_goes_as_pieces_below_the_message_limit_with_enter_once() {
    let task = task();
    let (mut queued, _, _) = attach(&task);
    let text = "é".repeat(1024 * 1024); // 2 MiB, two bytes a character
    task.send_input(&text, true).unwrap();
    let mut joined = Vec::new();
    let mut enters = Vec::new();
    while let Ok(HubToWorker::Input { payload, enter, .. }) = queued.try_recv() {
        let json = serde_json::to_string(&HubToWorker::Input { id: 1, payload: payload.clone(), enter }).unwrap();
        assert!(json.len() < 1024 * 1024, "a piece of {} bytes", json.len());
        joined.extend(payload.into_bytes().unwrap());
        enters.push(enter);
    }
    assert_eq!(joined, text.as_bytes());
    assert_eq!(enters.len(), 16);
    assert_eq!(enters.iter().filter(|&&e| e).count(), 1);
    assert!(enters[15]);
}

#[test]
fn a_task_being_killed_is_not_killed_again_on_every_line() {
    let task = task_with("rules:\n  - id: danger\n    match: { literals: ['rm -rf /'] }\n    action: kill\n", None);
    let (mut queued, _, _) = attach(&task);
    let mut kills = Vec::new();
    for seq in 0..1000 {
        kills.extend(out(&task, seq, "rm -rf /\n"));
    }
    assert_eq!(kills.len(), 1);
    assert_eq!(task.info().interventions, 1);
    assert!(queued.try_recv().is_err(), "rule commands go back on the connection, not the queue");
    // Delivered: the child is gone, and the backlog it printed before is stored, not matched.
    let kill = kills[0].command_id().unwrap();
    task.acknowledge(kill, true, None);
    for seq in 1000..2000 {
        assert!(out(&task, seq, "rm -rf /\n").is_empty(), "line {seq} of a killed child fired");
    }
    assert_eq!(task.info().interventions, 1);
    assert_eq!(stored(&task).lines().count(), 2000, "every line is stored");

    // A kill that could not be carried out leaves the task watched as before.
    let task = task_with("rules:\n  - id: danger\n    match: { literals: ['rm -rf /'] }\n    action: kill\n", None);
    let _attached = attach(&task);
    let kill = out(&task, 0, "rm -rf /\n")[0].command_id().unwrap();
    task.acknowledge(kill, false, Some("signalling was refused".into()));
    // Not on the very next line: a rule that acts fires at most once a second.
    assert!(out(&task, 1, "rm -rf /\n").is_empty());
    let later = Instant::now() + crate::pipeline::REFIRE_FLOOR;
    assert_eq!(
        task.ingest(2, OutputStream::Stdout, b"rm -rf /\n".to_vec(), later).len(),
        1,
        "a failed kill is tried again"
    );
}

#[test]
fn tool_calls_are_evidence_for_the_claims_after_them() {
    let claim = "rules:\n  - id: claim\n    match: { literals: [tests pass] }\n    evidence: { tests: [missing, failed] }\n  - id: no-rm\n    scope: tool\n    command: { program: rm }\n    action: deny\n    message: no\n";
    let fired = |task: &Task| task.interventions_since(0).0.iter().filter(|r| r.rule == "claim").count();
    let task = task_with(claim, None);
    let _worker = attach(&task);
    task.judge_tool("c1".into(), "Bash: npm test", Instant::now());
    out(&task, 0, "all tests pass\n");
    assert_eq!(fired(&task), 0, "a test run started: not a claim without evidence");
    task.judge_tool("c2".into(), "Edit: src/app.js", Instant::now());
    out(&task, 1, "all tests pass\n");
    assert_eq!(fired(&task), 1, "edited after the run");
    // A refused call ran nothing: had it counted, its test run would spare the next claim.
    task.judge_tool("c3".into(), "Bash: npm test && rm -rf dist", Instant::now());
    task.judge_tool("c4".into(), "Bash: ls", Instant::now());
    out(&task, 2, "all tests pass\n");
    assert_eq!(fired(&task), 2, "still no test run since the edit");
    task.judge_tool("c5".into(), "Write: src/app.js", Instant::now());
    task.judge_tool("c6".into(), "Bash: npm test", Instant::now());
    out(&task, 3, "all tests pass\n");
    assert_eq!(fired(&task), 2, "tests run after the edit");
}

#[test]
fn an_ask_rule_refuses_a_supervised_tasks_call_with_its_message() {
    let rules = "rules:\n  - id: ask-destroy\n    scope: tool\n    match: { literals: [terraform destroy] }\n    action: ask\n    message: a person decides this\n";
    let task = task_with(rules, None);
    let _worker = attach(&task);
    let decision = task.judge_tool("c1".into(), "Bash: terraform destroy", Instant::now());
    assert!(
        matches!(&decision[..], [HubToWorker::ToolDecision { id, deny: Some(message), rule: Some(rule) }]
            if id == "c1" && message == "a person decides this" && rule == "ask-destroy"),
        "{decision:?}"
    );
    let allowed = task.judge_tool("c2".into(), "Bash: terraform plan", Instant::now());
    assert!(matches!(&allowed[..], [HubToWorker::ToolDecision { deny: None, .. }]), "{allowed:?}");
}

#[test]
fn a_supervised_agents_call_is_judged_on_the_branch_checked_out_where_the_agent_works() {
    let rules = "rules:\n  - id: bare-force-push-on-main\n    scope: tool\n    command:\n      program: git\n      subcommand: push\n      flags: ['f|force']\n      max_args: 1\n      on_branch: ['^main$']\n    action: deny\n    message: main is checked out\n";
    let repo = tempfile::tempdir().unwrap();
    std::fs::create_dir(repo.path().join(".git")).unwrap();
    std::fs::write(repo.path().join(".git/HEAD"), "ref: refs/heads/main\n").unwrap();
    // The agent: a process working in the repository.
    let mut agent = std::process::Command::new("sleep").arg("60").current_dir(repo.path()).spawn().unwrap();
    let task = task_with(rules, None);
    let (queue, _queued) = mpsc::channel(OUTSTANDING_LIMIT);
    task.attach_worker(queue, Some(agent.id()), None).unwrap();
    let decision = task.judge_tool("c1".into(), "Bash: git push --force", Instant::now());
    let refused = |decision: &[HubToWorker]| matches!(decision, [HubToWorker::ToolDecision { deny: Some(_), .. }]);
    assert!(refused(&decision), "{decision:?}");
    std::fs::write(repo.path().join(".git/HEAD"), "ref: refs/heads/feature/x\n").unwrap();
    let decision = task.judge_tool("c2".into(), "Bash: git push --force", Instant::now());
    assert!(!refused(&decision), "read again for each call: {decision:?}");
    agent.kill().unwrap();
    agent.wait().unwrap();
}
