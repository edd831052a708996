//! `axiom check` on saved agent sessions, through the real binary and the built-in pack: Claude
//! Code session JSONL, Codex CLI session JSONL and Aider's chat history, found in directories,
//! told apart by content, and judged event by event (tool calls by tool rules, claims against the
//! tool calls and exit statuses before them).

mod support;

use std::path::{Path, PathBuf};

use support::{Run, Sandbox};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/transcripts")
}

/// `(file relative to `root`, line, rule)` of every match in JSON output.
fn hits(run: &Run, root: &Path) -> Vec<(String, u64, String)> {
    let prefix = format!("{}/", root.display());
    run.json_lines()
        .iter()
        .filter(|object| object["type"] == "match")
        .map(|m| {
            let file = m["file"].as_str().unwrap();
            let file = file.strip_prefix(&prefix).unwrap_or(file).to_owned();
            (file, m["line"].as_u64().unwrap(), m["rule"].as_str().unwrap().to_owned())
        })
        .collect()
}

fn hit(file: &str, line: u64, rule: &str) -> (String, u64, String) {
    (file.into(), line, rule.into())
}

#[test]
fn each_format_is_read_and_every_line_judged_in_its_scope() {
    let root = fixtures();
    let run = Sandbox::new().run(&["check", "--format", "json", root.to_str().unwrap()], b"");
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    let claims = "tests-claimed-without-passing-run";
    assert_eq!(
        hits(&run, &root),
        [
            // Aider: the /ask answer is spared; the claim after `Applied edit` fires; the one
            // after `Running python -m pytest -q` (outcome unknown) does not.
            hit("aider-project/.aider.chat.history.md", 27, claims),
            // Claude Code: a claim after an edit fires; after `npm test` exiting 0 it does not;
            // after `npm test` exiting 1 (is_error) it does, though the output shows no summary.
            hit("claude-session.jsonl", 5, claims),
            hit("claude-session.jsonl", 13, claims),
            // A tool call is judged as a command: `grep "rm -rf ~"` (line 14) is no deletion.
            hit("claude-session.jsonl", 15, "tool-rm-root-or-home"),
            // Codex: apply_patch is an edit; exit_code 1 in the metadata fails the run, and
            // `Process exited with code 0` passes it.
            hit("codex-rollout.jsonl", 6, claims),
            hit("codex-rollout.jsonl", 10, claims),
            hit("codex-rollout.jsonl", 14, "tool-force-push-main"),
        ]
    );
    let summary = run.json_lines().pop().unwrap();
    assert_eq!(summary["files"], 3);
    // Transcripts apply the rules of every scope, so the summary counts tool rules too.
    assert_eq!(summary["by_rule"]["tool-rm-root-or-home"], 1);
    assert_eq!(summary["by_rule"]["prompt-dangerous-request"], 0);
}

#[test]
fn text_output_names_the_transcripts_read() {
    let root = fixtures();
    let run = Sandbox::new().run(&["check", "--quiet", root.to_str().unwrap()], b"");
    assert!(
        run.stderr.contains("read 3 files as agent transcripts (Claude Code 1, Codex CLI 1, Aider 1)"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_month_of_claude_code_sessions_is_one_command() {
    let sandbox = Sandbox::new();
    let session = std::fs::read(fixtures().join("claude-session.jsonl")).unwrap();
    let projects = sandbox.root().join("home/.claude/projects");
    for (project, name) in [("-work-app", "7f3c.jsonl"), ("-work-lib", "91ab.jsonl")] {
        sandbox.write(&format!("home/.claude/projects/{project}/{name}"), &session);
    }
    let run = sandbox.run(&["check", "--format", "json", projects.to_str().unwrap()], b"");
    let found = hits(&run, &projects);
    let files: Vec<&str> = found.iter().map(|(file, _, _)| file.as_str()).collect();
    assert_eq!(
        files,
        ["-work-app/7f3c.jsonl"; 3].iter().chain(&["-work-lib/91ab.jsonl"; 3]).copied().collect::<Vec<_>>()
    );
}

#[test]
fn as_text_checks_a_transcript_line_by_line() {
    let file = fixtures().join("claude-session.jsonl");
    let run = Sandbox::new().run(&["check", "--as-text", "--format", "json", file.to_str().unwrap()], b"");
    let rules: Vec<String> = hits(&run, &fixtures()).into_iter().map(|(_, _, rule)| rule).collect();
    // Raw JSON lines are output text: no tool rule applies, and the claims have no evidence.
    assert!(!rules.iter().any(|rule| rule.starts_with("tool-")), "{rules:?}");
    let summary = run.json_lines().pop().unwrap();
    assert!(summary["by_rule"].get("tool-rm-root-or-home").is_none(), "{summary}");
}

#[test]
fn a_line_cut_off_mid_write_is_kept_as_text_and_reported() {
    let sandbox = Sandbox::new();
    let path = sandbox.write(
        "work/session.jsonl",
        concat!(
            r#"{"type":"user","message":{"role":"user","content":"fix it"},"uuid":"u1","sessionId":"s"}"#,
            "\n",
            r#"{"type":"assistant","message":{"role":"assistant","content":[{"type":"text","text":"All tests pa"#,
        ),
    );
    let run = sandbox.run(&["check", "--format", "json", path.to_str().unwrap()], b"");
    assert!(run.stderr.contains("1 line of this Claude Code transcript not JSON"), "{}", run.stderr);
    let summary = run.json_lines().pop().unwrap();
    assert_eq!(summary["files"], 1);
    assert_eq!(summary["lines"], 2, "the prompt and the cut-off line: {summary}");
}

/// The real transcripts of the corpus (plain-text renderings, see its SOURCES.md) must stay plain
/// text: reading them as sessions would change every figure measured on them.
#[test]
fn the_corpus_renderings_are_not_taken_for_sessions() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/agent-transcripts/text");
    let Ok(agents) = std::fs::read_dir(&corpus) else {
        // Not part of the repository (and not in CI): the corpus is evaluation data kept beside it.
        eprintln!("skipped: no corpus at {}", corpus.display());
        return;
    };
    let mut checked = 0;
    for agent in agents {
        for file in std::fs::read_dir(agent.unwrap().path()).unwrap() {
            let path = file.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            let head = &bytes[..bytes.len().min(256 * 1024)];
            assert_eq!(axiom::transcript::detect(head), None, "{}", path.display());
            checked += 1;
        }
    }
    assert!(checked >= 40, "only {checked} corpus files");
}

#[test]
fn a_todo_in_code_the_agent_read_is_left_alone_and_one_it_writes_is_not() {
    let sandbox = Sandbox::new();
    let session = [
        r#"{"parentUuid":null,"type":"user","message":{"role":"user","content":"make the fetcher retry"},"uuid":"u1","sessionId":"s1"}"#,
        r#"{"parentUuid":"u1","type":"assistant","message":{"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"Read","input":{"file_path":"src/fetch.py"}}]},"uuid":"a1","sessionId":"s1"}"#,
        r#"{"parentUuid":"a1","type":"user","message":{"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":"     1→def fetch(url):\n     2→    # TODO: handle retries\n     3→    return get(url)"}]},"uuid":"u2","sessionId":"s1"}"#,
        r#"{"parentUuid":"u2","type":"assistant","message":{"role":"assistant","content":[{"type":"tool_use","id":"t2","name":"Write","input":{"file_path":"src/retry.py","content":"def retry(call):\n    # TODO: implement the backoff\n    return call()\n"}}]},"uuid":"a2","sessionId":"s1"}"#,
    ];
    let path = sandbox.write("session.jsonl", session.join("\n") + "\n");
    let run = sandbox.run(&["check", "--format", "json", path.to_str().unwrap()], b"");
    let todos: Vec<u64> = hits(&run, sandbox.root())
        .into_iter()
        .filter(|(_, _, rule)| rule == "todo-placeholder")
        .map(|(_, line, _)| line)
        .collect();
    assert_eq!(todos, [4], "{}", run.stdout);
}
