//! The command lines of running processes, as `pkill -f` and `pgrep -f` read them, so that a
//! pattern given to them is judged against what it would really signal.

use std::io::Read as _;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long one listing answers for: the hub judges many calls, and a call's commands and rules
/// each ask.
const FRESH_FOR: Duration = Duration::from_secs(1);
/// Bytes read of a command line: axiom's own part is far shorter, and a process started with a
/// huge one (an agent may start as many as it likes, named axiom) costs no more than this.
const LINE_BYTES: u64 = 4096;
/// Command lines kept at most.
const MOST_LINES: usize = 256;

/// A listing of the command lines of some programs' processes.
struct Listing {
    at: Instant,
    programs: Vec<String>,
    lines: Arc<Vec<String>>,
}

/// The last listing.
static LISTED: Mutex<Option<Listing>> = Mutex::new(None);

/// The command lines, arguments joined by spaces, of the running processes of `programs`: those
/// whose first argument or executable has one of their names. Cut at a `--` argument (kept as
/// the line's end): what follows (`axiom worker … -- npm run dev`) is the task's own command,
/// which the agent may stop. One-shot `hook` judges are left out, since they are gone by the time
/// a judged call runs. Empty where `/proc` cannot be read. Listed at most once a second.
pub fn command_lines_of(programs: &[String]) -> Arc<Vec<String>> {
    if programs.is_empty() {
        return Arc::default();
    }
    let mut listed = LISTED.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(last) = listed.as_ref().filter(|last| last.programs == programs && last.at.elapsed() < FRESH_FOR) {
        return Arc::clone(&last.lines);
    }
    let lines = Arc::new(list(programs));
    *listed = Some(Listing { at: Instant::now(), programs: programs.to_vec(), lines: Arc::clone(&lines) });
    lines
}

fn list(programs: &[String]) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    let mut lines = Vec::new();
    for entry in entries.flatten() {
        if lines.len() == MOST_LINES {
            break;
        }
        if !entry.file_name().to_str().is_some_and(|pid| pid.bytes().all(|b| b.is_ascii_digit())) {
            continue;
        }
        lines.extend(process_command_line(&entry.path(), programs));
    }
    lines
}

/// Whether `operand` is the pid of a running process of one of `programs` (no hook), or, written
/// `-PID`, of its process group's leader.
pub fn is_process_of(operand: &str, programs: &[String]) -> bool {
    // kill reads `024760`, `+24760` and ` 24760` as 24760 too.
    let operand = operand.trim();
    let pid = operand.strip_prefix(['-', '+']).unwrap_or(operand).trim_start_matches('0');
    let is_pid = !pid.is_empty() && pid.len() <= 10 && pid.bytes().all(|b| b.is_ascii_digit());
    is_pid && process_command_line(&Path::new("/proc").join(pid), programs).is_some()
}

/// The command line of the process whose `/proc` directory is `process`, as
/// [`own_command_line`] gives it.
fn process_command_line(process: &Path, programs: &[String]) -> Option<String> {
    // A process may exit between the listing and the read: it then signals nothing.
    let mut raw = Vec::new();
    std::fs::File::open(process.join("cmdline")).and_then(|file| file.take(LINE_BYTES).read_to_end(&mut raw)).ok()?;
    let args: Vec<String> = raw
        .strip_suffix(&[0])
        .unwrap_or(&raw)
        .split(|&b| b == 0)
        .map(|arg| String::from_utf8_lossy(arg).into_owned())
        .collect();
    let executable = std::fs::read_link(process.join("exe")).ok();
    own_command_line(&args, executable.as_deref(), programs)
}

/// The command line of a process run as `args` from `executable`, if it is one of `programs`'
/// and no hook, cut at its `--`.
fn own_command_line(args: &[String], executable: Option<&Path>, programs: &[String]) -> Option<String> {
    let named =
        |path: &Path| path.file_name().and_then(|n| n.to_str()).is_some_and(|n| programs.iter().any(|p| p == n));
    let first = args.first()?;
    if !(named(Path::new(first)) || executable.is_some_and(named)) || args.get(1).is_some_and(|a| a == "hook") {
        return None;
    }
    let own: Vec<&str> = args.iter().map(String::as_str).take_while(|&arg| arg != "--").collect();
    // The `--` stays: `pkill -f ' -- '` would signal every worker.
    let cut = if own.len() < args.len() { " -- " } else { "" };
    Some(own.join(" ") + cut)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::process::CommandExt as _;

    fn strings(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn a_process_is_known_by_its_first_argument_or_executable_and_cut_at_its_task_command() {
        let axiom = strings(&["axiom"]);
        let worker = strings(&["/opt/bin/axiom", "worker", "--task-id", "t1", "--", "npm", "run", "dev"]);
        assert_eq!(own_command_line(&worker, None, &axiom).as_deref(), Some("/opt/bin/axiom worker --task-id t1 -- "));
        let renamed = strings(&["supervisor", "serve"]);
        assert_eq!(
            own_command_line(&renamed, Some(Path::new("/usr/bin/axiom")), &axiom).as_deref(),
            Some("supervisor serve")
        );
        assert_eq!(own_command_line(&strings(&["axiom", "hook"]), None, &axiom), None);
        assert_eq!(own_command_line(&strings(&["node", "axiom.js"]), Some(Path::new("/usr/bin/node")), &axiom), None);
    }

    #[test]
    fn a_huge_command_line_is_read_only_in_part() {
        let mut child = std::process::Command::new("sleep")
            .arg0("axiom")
            .arg("3518")
            .args(vec!["0".repeat(64 << 10); 16])
            .spawn()
            .unwrap();
        let cmdline = format!("/proc/{}/cmdline", child.id());
        while !std::fs::read(&cmdline).unwrap().starts_with(b"axiom\x003518") {
            std::thread::yield_now();
        }
        let lines = list(&strings(&["axiom"]));
        child.kill().unwrap();
        child.wait().unwrap();
        let line = lines.iter().find(|line| line.starts_with("axiom 3518")).expect("listed");
        assert!(line.len() <= LINE_BYTES as usize, "{}", line.len());
    }

    #[test]
    fn a_pid_or_process_group_is_known_as_a_process_of_the_program() {
        let mut child = std::process::Command::new("sleep").arg0("axiom").arg("3519").spawn().unwrap();
        let pid = child.id().to_string();
        while std::fs::read(format!("/proc/{pid}/cmdline")).unwrap() != b"axiom\x003519\x00" {
            std::thread::yield_now();
        }
        let axiom = strings(&["axiom"]);
        let (is_axiom, as_group) = (is_process_of(&pid, &axiom), is_process_of(&format!("-{pid}"), &axiom));
        let is_other = is_process_of(&pid, &strings(&["node"]));
        let spelled = [format!("0{pid}"), format!("+{pid}"), format!(" {pid}"), format!("-00{pid}")]
            .iter()
            .all(|spelling| is_process_of(spelling, &axiom));
        child.kill().unwrap();
        child.wait().unwrap();
        assert!(is_axiom && as_group && !is_other && spelled);
        assert!(!is_process_of("0", &axiom) && !is_process_of("-1", &axiom) && !is_process_of("%1", &axiom));
    }

    #[test]
    fn a_running_process_of_the_program_is_listed() {
        let mut child = std::process::Command::new("sleep").arg0("axiom").arg("3517").spawn().unwrap();
        // spawn returns once the exec began, and the kernel lays out the new arguments after that.
        let cmdline = format!("/proc/{}/cmdline", child.id());
        while std::fs::read(&cmdline).unwrap() != b"axiom\x003517\x00" {
            std::thread::yield_now();
        }
        // Listed afresh: another test may have listed axiom's processes within the second.
        let lines = list(&strings(&["axiom"]));
        child.kill().unwrap();
        child.wait().unwrap();
        assert!(lines.iter().any(|line| line == "axiom 3517"), "{lines:?}");
        assert!(list(&strings(&["no-such-program-here"])).is_empty());
    }
}
