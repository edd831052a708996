//! The files a shell call runs, judged with it: what `bash deploy.sh`, `./tool.py`, `npm test` or
//! `make test` run is on disk, where the agent may have written it in an earlier call. Each is read
//! as the call is judged (see [`crate::rules::files_run`]) and judged as a call of its own, in the
//! directory it runs in; a rule that fires on it fires on the call, its message naming the file.

use std::collections::{HashSet, VecDeque};
use std::path::Path;
use std::sync::Arc;

use super::Judge;
use serde_json::json;

use crate::agent::tool_line;
use crate::pipeline::Intervention;
use crate::rules::{files_run, unescape_tool_argument, Action, RunScript, Severity, ToolClass, MOST_SCRIPT_BYTES};
use crate::shell::MOST_COMMANDS_READ;

/// How deep scripts that run scripts are followed, and how many files one call may run, read.
const MOST_DEPTH: usize = 8;
const MOST_FILES: usize = 16;

/// The name of what the gate says about a file it does not read: it is not a rule of the pack,
/// since no rule can judge what was not read.
pub const UNREAD_FILE: &str = "hook-unread-file";

/// What the rules, through `judge`, say of the files that `line`, a shell tool's call starting in
/// `start`, runs, followed into the files those run. Each file is judged as a `Bash` call, as
/// written and as `as_judged` rewrites it, and added to `judged`, for the record.
/// A file that is not read (longer than axiom reads, deeper than it follows, past the number of
/// files it reads for one call) is asked about: it could hold anything.
pub fn judge(
    line: &str,
    start: &Path,
    task: &Arc<str>,
    as_judged: &dyn Fn(String) -> String,
    judge: &mut Judge,
    judged: &mut Vec<String>,
) -> Vec<Intervention> {
    let Some(script) = shell_script(line) else { return Vec::new() };
    let mut fired = Vec::new();
    let mut seen = HashSet::new();
    let mut files = 0;
    let mut queue = VecDeque::from([(script, start.to_owned(), 0, String::new())]);
    while let Some((script, directory, depth, run_by)) = queue.pop_front() {
        for run in files_run(&script, &directory) {
            let name = if run_by.is_empty() { run.name } else { format!("{} (run by {run_by})", run.name) };
            let text = match run.script {
                RunScript::Shell(text) => text,
                RunScript::TooLong => {
                    fired.push(unread(
                        task,
                        &name,
                        &format!(
                            "is longer than axiom reads before a call runs ({} KiB or {MOST_COMMANDS_READ} commands)",
                            MOST_SCRIPT_BYTES >> 10
                        ),
                        line,
                    ));
                    continue;
                }
                RunScript::Unreadable => {
                    fired.push(unread(task, &name, "cannot be read as the program that runs it may read it", line));
                    continue;
                }
            };
            if !seen.insert((run.directory.clone(), text.clone())) {
                continue;
            }
            files += 1;
            if depth == MOST_DEPTH || files > MOST_FILES {
                fired.push(unread(
                    task,
                    &name,
                    &format!("is past the scripts axiom follows from one call ({MOST_DEPTH} deep, {MOST_FILES} files)"),
                    line,
                ));
                return fired;
            }
            let file_line = tool_line("Bash", &json!({ "command": text }));
            let respelled = as_judged(file_line.clone());
            let readings =
                if respelled == file_line { vec![file_line.clone()] } else { vec![respelled, file_line.clone()] };
            let found = judge(Some(&run.directory), &readings);
            fired.extend(found.into_iter().map(|mut intervention| {
                let message =
                    intervention.message.take().unwrap_or_else(|| format!("axiom rule {}", intervention.rule));
                intervention.message = Some(format!("In {name}, which this call runs: {message}"));
                intervention
            }));
            judged.push(file_line);
            queue.push_back((text, run.directory, depth + 1, name));
        }
    }
    fired
}

/// The script of a shell tool's line (`Bash: make test`), as the tool is given it.
fn shell_script(line: &str) -> Option<String> {
    let (tool, argument) = line.split_once(": ")?;
    ToolClass::Shell.includes(tool).then(|| unescape_tool_argument(argument).into_owned())
}

fn unread(task: &Arc<str>, name: &str, why: &str, line: &str) -> Intervention {
    Intervention {
        task: Arc::clone(task),
        rule: UNREAD_FILE.to_owned(),
        rule_index: usize::MAX,
        severity: Severity::Error,
        action: Action::Ask,
        message: Some(format!(
            "axiom asks: {name}, which this call runs, {why}, so what it does was not judged. Look at it \
             before it runs."
        )),
        matched: name.to_owned(),
        text: line.to_owned(),
        line: Some(1),
        column: 1,
    }
}
