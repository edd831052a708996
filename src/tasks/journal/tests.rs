use std::fs;

use super::*;
use crate::tasks::OutputRead;

fn output(seq: u64, at: u64, text: &[u8]) -> Event {
    Event::Output { seq, stream: OutputStream::Stdout, at: Some(at), payload: Payload::compact(text) }
}

fn open(dir: &Path) -> Journal {
    Journal::open(dir, JournalConfig::default()).unwrap()
}

#[test]
fn events_are_persisted_then_reported_and_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let journal = open(dir.path());
    let (persisted, mut watcher) = watch::channel(0);
    journal.append("t1", &spawn("t1"), None);
    let mut at = 0;
    for (seq, text) in ["hello ", "world"].iter().enumerate() {
        journal.append("t1", &output(seq as u64, at, text.as_bytes()), Some((seq as u64, persisted.clone())));
        at += text.len() as u64;
    }
    journal.flush_blocking();
    assert_eq!(*watcher.borrow_and_update(), 2);
    let path = journal.events_path("t1");
    let history = read_history(&path).unwrap();
    assert_eq!((history.events.len(), history.next_seq, history.output_end), (1, 2, 11));
    let read = |since, max| read_output(&path, since, max).map(|read| (read.cursor, read.bytes)).unwrap();
    assert_eq!(read(0, 100), (0, b"hello world".to_vec()));
    assert_eq!(read(3, 4), (3, b"lo w".to_vec()));
    let mode = fs::metadata(&path).unwrap().permissions();
    assert_eq!(std::os::unix::fs::PermissionsExt::mode(&mode) & 0o777, 0o600);
}

fn spawn(id: &str) -> Event {
    Event::Spawn {
        task_id: id.into(),
        command: vec!["x".into()],
        started_at: 1,
        worker_token_sha256: None,
        worker_token: Some("t".into()),
    }
}

#[test]
fn a_torn_last_line_is_cut_before_appending() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tasks").join("t1").join("events.jsonl");
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(&path, "{\"type\":\"ack\",\"id\":1,\"delivered\":true,\"error\":null}\n{\"type\":\"outp").unwrap();
    let journal = open(dir.path());
    journal.append("t1", &Event::Ack { id: 2, delivered: false, error: None }, None);
    journal.flush_blocking();
    let ids: Vec<u64> = read_history(&path)
        .unwrap()
        .events
        .iter()
        .map(|e| match e {
            Event::Ack { id, .. } => *id,
            _ => 0,
        })
        .collect();
    assert_eq!(ids, [1, 2], "the event after the torn line is readable");
}

#[test]
fn control_bytes_are_stored_compactly() {
    let dir = tempfile::tempdir().unwrap();
    let journal = open(dir.path());
    journal.append("t1", &spawn("t1"), None);
    let ones = vec![1u8; 300_000];
    journal.append("t1", &output(0, 0, &ones), None);
    journal.flush_blocking();
    let size = fs::metadata(journal.events_path("t1")).unwrap().len();
    assert!(size < 300_000 * 14 / 10, "{size} bytes on disk for 300,000 bytes of \\x01");
    assert_eq!(read_output(&journal.events_path("t1"), 0, 1 << 20).unwrap().bytes, ones);
}

/// A history of `chunks` output lines "line N\n" (several per chunk), written by the journal.
fn history_of_lines(dir: &Path, chunks: usize, per_chunk: usize, config: JournalConfig) -> (Journal, Vec<u8>) {
    let journal = Journal::open(dir, config).unwrap();
    journal.append("t1", &spawn("t1"), None);
    let mut all = Vec::new();
    for seq in 0..chunks {
        let mut chunk = Vec::new();
        for i in 0..per_chunk {
            chunk.extend_from_slice(format!("line {}\n", seq * per_chunk + i).as_bytes());
        }
        journal.append("t1", &output(seq as u64, all.len() as u64, &chunk), None);
        if seq % 7 == 3 {
            journal.append("t1", &Event::Ack { id: seq as u64, delivered: true, error: None }, None);
        }
        all.extend_from_slice(&chunk);
    }
    journal.flush_blocking();
    (journal, all)
}

#[test]
fn any_offset_is_found_by_bisection_and_paging_returns_everything_once() {
    let dir = tempfile::tempdir().unwrap();
    let (journal, all) = history_of_lines(dir.path(), 3000, 20, JournalConfig::default());
    let path = journal.events_path("t1");
    for since in [0, 1, 17, 5000, all.len() as u64 / 2, all.len() as u64 - 1, all.len() as u64] {
        let OutputRead { cursor, bytes, .. } = read_output(&path, since, 1000).unwrap();
        assert_eq!(cursor, since);
        let expected = &all[since as usize..(since as usize + 1000).min(all.len())];
        assert_eq!(bytes, expected, "from {since}");
    }
    let mut paged = Vec::new();
    let mut since = 0;
    loop {
        let OutputRead { cursor, bytes, .. } = read_output(&path, since, 64 * 1024).unwrap();
        assert_eq!(cursor, since);
        if bytes.is_empty() {
            break;
        }
        since += bytes.len() as u64;
        paged.extend_from_slice(&bytes);
    }
    assert_eq!(paged, all);
}

#[test]
fn reading_output_leaves_an_agents_raw_events_out() {
    let dir = tempfile::tempdir().unwrap();
    let journal = open(dir.path());
    journal.append("t1", &spawn("t1"), None);
    let chunks: [(OutputStream, &[u8]); 4] = [
        (OutputStream::Events, b"{\"type\":\"assistant\"}\n"),
        (OutputStream::Stdout, b"done\n"),
        (OutputStream::Events, b"{\"type\":\"result\"}\n"),
        (OutputStream::Stderr, b"warned\n"),
    ];
    let mut at = 0;
    for (seq, (stream, data)) in chunks.iter().enumerate() {
        let event = Event::Output { seq: seq as u64, stream: *stream, at: Some(at), payload: Payload::compact(data) };
        journal.append("t1", &event, None);
        at += data.len() as u64;
    }
    journal.flush_blocking();
    let path = journal.events_path("t1");
    let read = read_output(&path, 0, 100).unwrap();
    assert_eq!((read.cursor, read.next, read.bytes.as_slice()), (0, at, &b"done\nwarned\n"[..]));
    assert_eq!(read.cursor_at(5), 44, "`warned` comes after the second event");
    // A page ends where its text ends, and the next one goes on from there.
    let page = read_output(&path, 0, 3).unwrap();
    assert_eq!((page.bytes.as_slice(), page.next), (&b"don"[..], 24));
    assert_eq!(read_output(&path, page.next, 100).unwrap().bytes, b"e\nwarned\n");
    let cursor = tail_cursor(&path, 1).unwrap();
    assert_eq!(read_output(&path, cursor, 100).unwrap().bytes, b"warned\n");
}

#[test]
fn tail_reads_from_the_end() {
    let dir = tempfile::tempdir().unwrap();
    let (journal, all) = history_of_lines(dir.path(), 500, 10, JournalConfig::default());
    let path = journal.events_path("t1");
    let cursor = tail_cursor(&path, 2).unwrap() as usize;
    assert_eq!(&all[cursor..], b"line 4998\nline 4999\n");
    let cursor = tail_cursor(&path, 15).unwrap() as usize;
    assert_eq!(std::str::from_utf8(&all[cursor..]).unwrap().lines().next(), Some("line 4985"));
    assert_eq!(tail_cursor(&path, 1_000_000).unwrap(), 0);
}

#[test]
fn a_history_over_its_limit_keeps_its_newest_output_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let config = JournalConfig { max_task_bytes: 200_000, ..JournalConfig::default() };
    let (journal, all) = history_of_lines(dir.path(), 2000, 10, config);
    let path = journal.events_path("t1");
    let text = fs::read(&path).unwrap();
    // Events that are not output are all kept, whenever the writer's batches made the cuts: the
    // limit bounds the output, plus one event past it.
    let kept_events: usize =
        text.split_inclusive(|&b| b == b'\n').filter(|line| !read::is_output(line)).map(<[u8]>::len).sum();
    assert!(text.len() <= 200_000 + kept_events + 300, "history is {} bytes, {kept_events} not output", text.len());
    let history = read_history(&path).unwrap();
    assert!(history.output_start > 0, "the oldest output is gone");
    assert_eq!(history.output_end, all.len() as u64);
    assert_eq!(history.next_seq, 2000);
    assert!(matches!(history.events[0], Event::Spawn { .. }), "the spawn event is kept");
    assert_eq!(history.events.iter().filter(|e| matches!(e, Event::Ack { .. })).count(), 2000 / 7 + 1);
    let OutputRead { cursor, bytes, .. } = read_output(&path, 0, 1 << 30).unwrap();
    assert_eq!(cursor, history.output_start, "reading from 0 starts where the kept output does");
    assert_eq!(bytes, &all[cursor as usize..]);
    assert_eq!(&all[tail_cursor(&path, 1).unwrap() as usize..], b"line 19999\n");
}

#[test]
fn a_fifo_in_place_of_a_history_is_refused_not_opened() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.jsonl");
    let c_path = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
    let error = read_history(&path).unwrap_err().to_string();
    assert!(error.contains("not a regular file"), "{error}");
}

#[test]
fn a_cut_drops_the_input_that_was_written_and_keeps_the_input_still_owed() {
    let dir = tempfile::tempdir().unwrap();
    let config = JournalConfig { max_task_bytes: 200_000, ..JournalConfig::default() };
    let journal = Journal::open(dir.path(), config).unwrap();
    journal.append("t1", &spawn("t1"), None);
    let input = |id| Event::Command { command: HubToWorker::Pipe { id, payload: Payload::from_bytes(&[b'x'; 4096]) } };
    // 2 MB of input piped into a task that prints little: the worker acknowledged all but the last.
    for id in 0..500 {
        journal.append("t1", &input(id), None);
        journal.append("t1", &Event::InputPiped { upto: (id + 1) * 4096 }, None);
        if id < 499 {
            journal.append("t1", &Event::Ack { id, delivered: true, error: None }, None);
        }
        journal.append("t1", &output(id, id, b"."), None);
    }
    journal.flush_blocking();
    let path = journal.events_path("t1");
    let size = fs::metadata(&path).unwrap().len();
    assert!(size < 400_000, "the history is {size} bytes");
    let history = read_history(&path).unwrap();
    let commands: Vec<_> = history
        .events
        .iter()
        .filter_map(|event| match event {
            Event::Command { command } => command.command_id(),
            _ => None,
        })
        .collect();
    assert!(commands.contains(&499), "the input not acknowledged is kept, to be written after a restart");
    assert!(!commands.contains(&0), "written input is dropped: {} of 500 kept", commands.len());
    let acks: Vec<u64> = history
        .events
        .iter()
        .filter_map(|event| match event {
            Event::Ack { id, .. } => Some(*id),
            _ => None,
        })
        .collect();
    assert_eq!(acks.iter().max(), Some(&498), "the newest acknowledgement stays: ids are never used again");
    assert!(acks.len() < 100, "one acknowledgement stands for the dropped ones: {} kept", acks.len());
    let piped: Vec<u64> = history
        .events
        .iter()
        .filter_map(|event| match event {
            Event::InputPiped { upto } => Some(*upto),
            _ => None,
        })
        .collect();
    assert_eq!(piped.last(), Some(&(500 * 4096)), "the count of piped bytes survives");
    assert!(piped.len() < 100, "one count stands for the dropped ones: {} kept", piped.len());
}

/// A history file that counts the bytes read from it.
struct Counted {
    file: fs::File,
    read: std::cell::Cell<u64>,
}

impl bisect::ReadAt for Counted {
    fn read_at(&self, buffer: &mut [u8], offset: u64) -> io::Result<usize> {
        let n = bisect::ReadAt::read_at(&self.file, buffer, offset)?;
        self.read.set(self.read.get() + n as u64);
        Ok(n)
    }
}

/// Writes `outputs` one-line output events to `path`, each after `between` other events of about
/// 300 bytes (`front` more of them first, as a cut leaves them); returns the output.
fn history_with_records(path: &Path, front: usize, outputs: u64, between: usize) -> Vec<u8> {
    let record = Event::Tamper { at: 1, reason: "r".repeat(280) };
    let mut file = Vec::new();
    let mut all = Vec::new();
    let line = |event: &Event, file: &mut Vec<u8>| {
        serde_json::to_writer(&mut *file, event).unwrap();
        file.push(b'\n');
    };
    for _ in 0..front {
        line(&record, &mut file);
    }
    for seq in 0..outputs {
        for _ in 0..between {
            line(&record, &mut file);
        }
        let text = format!("line {seq}\n");
        line(&output(seq, all.len() as u64, text.as_bytes()), &mut file);
        all.extend_from_slice(text.as_bytes());
    }
    fs::write(path, file).unwrap();
    all
}

fn bytes_a_search_reads(path: &Path, since: u64) -> u64 {
    let counted = Counted { file: fs::File::open(path).unwrap(), read: Default::default() };
    let len = counted.file.metadata().unwrap().len();
    bisect::bisect(&counted, len, since, &std::sync::atomic::AtomicBool::new(false)).unwrap();
    counted.read.get()
}

#[test]
fn finding_an_offset_among_many_interventions_reads_a_few_blocks_not_a_block_per_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.jsonl");
    let all = history_with_records(&path, 0, 2000, 20);
    let len = fs::metadata(&path).unwrap().len();
    for since in [0, all.len() as u64 / 3, all.len() as u64 - 5] {
        let read = bytes_a_search_reads(&path, since);
        assert!(read < 1 << 20, "finding {since} in {len} bytes read {read}");
        let got = read_output(&path, since, 20).unwrap();
        assert_eq!((got.cursor, &got.bytes[..]), (since, &all[since as usize..(since as usize + 20).min(all.len())]));
    }
}

#[test]
fn finding_an_offset_after_a_cut_reads_the_records_in_front_at_most_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.jsonl");
    // 30,000 records in front of the output, as a cut leaves them.
    let all = history_with_records(&path, 30_000, 2000, 0);
    let len = fs::metadata(&path).unwrap().len();
    for since in [0, all.len() as u64 / 2] {
        let read = bytes_a_search_reads(&path, since);
        assert!(read <= len, "finding {since} in {len} bytes read {read}");
        assert_eq!(read_output(&path, since, 1 << 20).unwrap().bytes, &all[since as usize..]);
    }
}

#[test]
fn a_stopped_read_gives_up() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.jsonl");
    history_with_records(&path, 0, 100, 1);
    let stop = std::sync::atomic::AtomicBool::new(true);
    let error = read_output_until(&path, 0, 1 << 20, &stop).unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::Interrupted);
    assert_eq!(tail_cursor_until(&path, 1, &stop).unwrap_err().kind(), io::ErrorKind::Interrupted);
}

/// An injection a rule made: its record, its command and the worker's acknowledgement.
fn injection(id: u64, action: crate::rules::Action) -> [Event; 3] {
    let record = InterventionRecord {
        id,
        at: id,
        task_id: "t1".into(),
        rule: "placeholder-marked-done".into(),
        severity: crate::rules::Severity::Warning,
        action,
        message: Some("A checked box over a stub is not done: finish it or uncheck it.".into()),
        matched: "- [x] stub for the thing".into(),
        line: Some(id),
        delivered: Some(true),
        error: None,
    };
    let message = record.message.clone();
    let command = HubToWorker::Intervene { id, action, rule: record.rule.clone(), message, grace_ms: None };
    [Event::Intervention { record }, Event::Command { command }, Event::Ack { id, delivered: true, error: None }]
}

fn interventions_in(history: &History) -> Vec<u64> {
    history
        .events
        .iter()
        .filter_map(|event| match event {
            Event::Intervention { record } => Some(record.id),
            _ => None,
        })
        .collect()
}

#[test]
fn a_history_flooded_with_interventions_stays_within_its_limit_and_keeps_the_newest() {
    let dir = tempfile::tempdir().unwrap();
    let limit = 200_000;
    let journal =
        Journal::open(dir.path(), JournalConfig { max_task_bytes: limit, ..JournalConfig::default() }).unwrap();
    journal.append("t1", &spawn("t1"), None);
    let kill = injection(0, crate::rules::Action::Kill);
    journal.append_together("t1", &kill);
    let line = b"- [x] stub for the thing\n";
    let total = 5000u64;
    let mut largest = 0;
    for id in 1..=total {
        journal.append("t1", &output(id - 1, (id - 1) * line.len() as u64, line), None);
        journal.append_together("t1", &injection(id, crate::rules::Action::Inject));
        if id % 100 == 0 {
            journal.flush_blocking();
            largest = largest.max(fs::metadata(journal.events_path("t1")).unwrap().len());
        }
    }
    journal.flush_blocking();
    // 25 bytes of output set off about 800 bytes of record each: 4 MB in all.
    assert!(largest <= limit + 64 * 1024, "the history reached {largest} bytes, its limit is {limit}");
    let history = read_history(&journal.events_path("t1")).unwrap();
    let kept = interventions_in(&history);
    assert_eq!(kept.last(), Some(&total), "the newest intervention is kept");
    assert!(kept.windows(2).all(|pair| pair[1] == pair[0] + 1), "the kept ones are the newest, in a row");
    assert_eq!(kept.len() as u64 + history.interventions_forgotten, total + 1, "the dropped ones are counted");
    let killed = history.events.iter().any(|event| {
        matches!(event, Event::Command { command: HubToWorker::Intervene { action: crate::rules::Action::Kill, .. } })
    });
    assert!(killed, "a kill the worker acknowledged stays: the task stays killed after a restart");
    let acks = history.events.iter().filter_map(|event| match event {
        Event::Ack { id, .. } => Some(*id),
        _ => None,
    });
    assert_eq!(acks.max(), Some(total), "the newest acknowledgement stays: ids are never used again");
}

fn mkfifo(path: &Path) {
    let c_path = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
}

/// A task can write its own history (it runs as the hub's user). A FIFO, a link to /dev/zero or a
/// directory in its place must stop neither the journal nor any other task's history: the task's
/// history is given up, its events acknowledged, and flushes still complete.
#[test]
fn a_history_a_task_replaced_is_given_up_and_every_other_history_goes_on() {
    for replacement in ["fifo", "link", "directory", "sparse", "hard link"] {
        let started = std::time::Instant::now();
        let dir = tempfile::tempdir().unwrap();
        let config = JournalConfig { max_task_bytes: 100_000, ..JournalConfig::default() };
        let journal = Journal::open(dir.path(), config).unwrap();
        journal.append("bad", &spawn("bad"), None);
        journal.append("good", &spawn("good"), None);
        journal.flush_blocking();
        let path = journal.events_path("bad");
        let moved = dir.path().join("moved");
        match replacement {
            // Holes of 40 GB, which a cut would read three times on the journal's one thread.
            "sparse" => fs::OpenOptions::new().write(true).open(&path).unwrap().set_len(40 << 30).unwrap(),
            _ => fs::rename(&path, &moved).unwrap(),
        }
        match replacement {
            "fifo" => mkfifo(&path),
            "link" => std::os::unix::fs::symlink("/dev/zero", &path).unwrap(),
            "directory" => fs::create_dir(&path).unwrap(),
            // Another task's history under this one's name: what this task writes must not go there.
            "hard link" => fs::hard_link(journal.events_path("good"), &path).unwrap(),
            _ => {}
        }
        // The hub still holds the old file open: past the limit, the cut opens the path again.
        let (persisted, watcher) = watch::channel(0);
        let line = vec![b'x'; 10_000];
        for seq in 0..30 {
            journal.append("bad", &output(seq, seq * 10_000, &line), Some((seq, persisted.clone())));
            journal.append("good", &output(seq, seq * 10_000, &line), None);
        }
        journal.flush_blocking();
        assert_eq!(*watcher.borrow(), 30, "{replacement}: the task's events are acknowledged, not held");
        journal.append("good", &Event::Ack { id: 7, delivered: true, error: None }, None);
        journal.flush_blocking();
        let good = read_history(&journal.events_path("good")).unwrap();
        assert!(good.events.iter().any(|e| matches!(e, Event::Ack { id: 7, .. })), "{replacement}");
        let spawns = good.events.iter().filter(|e| matches!(e, Event::Spawn { .. })).count();
        assert_eq!(spawns, 1, "{replacement}: only the good task's own events are in its history");
        // Not held up while the replacement is read (40 GB of holes, a FIFO nobody writes).
        assert!(started.elapsed() < std::time::Duration::from_secs(20), "{replacement}: {:?}", started.elapsed());
    }
}

/// No line of a history is longer than an event can be; a longer one (a file the task wrote) is
/// passed over, in bounded memory, by every reader: a restart, a read of output, a tail, a cut.
#[test]
fn a_line_longer_than_any_event_is_passed_over_by_every_reader() {
    let dir = tempfile::tempdir().unwrap();
    let (journal, all) = history_of_lines(dir.path(), 20, 10, JournalConfig::default());
    let path = journal.events_path("t1");
    let mut text = fs::read(&path).unwrap();
    let middle = text.iter().position(|&b| b == b'\n').unwrap() + 1;
    let mut long = vec![b' '; read::MOST_LINE + 10];
    long.push(b'\n');
    text.splice(middle..middle, long);
    // And a torn end of the same length, as a file the task wrote without a last line break.
    text.extend(std::iter::repeat_n(b' ', read::MOST_LINE + 10));
    fs::write(&path, &text).unwrap();
    let history = read_history(&path).unwrap();
    assert_eq!((history.next_seq, history.output_end), (20, all.len() as u64));
    assert_eq!(read_output(&path, 0, 1 << 30).unwrap().bytes, all);
    assert_eq!(&all[tail_cursor(&path, 1).unwrap() as usize..], b"line 199\n");
    // A cut whose dropped part holds the long line, and whose kept part the torn end.
    compact::keep_newest(&path, read::MOST_LINE as u64 + 1500, 1000).unwrap();
    let history = read_history(&path).unwrap();
    assert_eq!(history.output_end, all.len() as u64);
    assert!(history.output_start > 0 && history.output_start < history.output_end, "{history:?}");
}

#[test]
fn a_sparse_file_in_place_of_a_history_is_refused_unread() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.jsonl");
    let file = fs::File::create(&path).unwrap();
    file.set_len(40 << 30).unwrap();
    drop(file);
    let started = std::time::Instant::now();
    let error = read_history(&path).unwrap_err().to_string();
    assert!(error.contains("sparse"), "{error}");
    assert!(started.elapsed() < std::time::Duration::from_secs(5), "read, not refused: {:?}", started.elapsed());
}

/// Another task's history linked in under a task's name, before the journal opens it (after a
/// restart, or once the history was closed): the task's events go nowhere, not into the other's.
#[test]
fn a_hard_link_to_another_tasks_history_takes_none_of_this_tasks_events() {
    let dir = tempfile::tempdir().unwrap();
    let journal = open(dir.path());
    journal.append("good", &spawn("good"), None);
    journal.flush_blocking();
    let bad = journal.events_path("bad");
    fs::create_dir_all(bad.parent().unwrap()).unwrap();
    fs::hard_link(journal.events_path("good"), &bad).unwrap();
    let (persisted, watcher) = watch::channel(0);
    journal.append("bad", &output(0, 0, b"forged output"), Some((0, persisted)));
    journal.flush_blocking();
    assert_eq!(*watcher.borrow(), 1, "acknowledged, not held");
    let good = read_history(&journal.events_path("good")).unwrap();
    assert_eq!((good.events.len(), good.output_end), (1, 0), "nothing of the other task's in it: {good:?}");
    // A link to a task's own history (a backup someone made) changes nothing for it.
    fs::hard_link(journal.events_path("good"), dir.path().join("backup.jsonl")).unwrap();
    journal.append("good", &Event::Ack { id: 3, delivered: true, error: None }, None);
    journal.flush_blocking();
    assert_eq!(read_history(&journal.events_path("good")).unwrap().events.len(), 2);
}
