//! The command lines of running processes, as `pkill -f` and `pgrep -f` read them, so that a
//! pattern given to them is judged against what it would really signal.

use std::path::Path;

/// The command lines, arguments joined by spaces, of the running processes of `programs`: those
/// whose first argument or executable has one of their names. Cut at a `--` argument: what
/// follows (`axiom worker … -- npm run dev`) is the task's own command, which the agent may stop.
/// One-shot `hook` judges are left out, since they are gone by the time a judged call runs.
/// Empty where `/proc` cannot be read.
pub fn command_lines_of(programs: &[String]) -> Vec<String> {
    if programs.is_empty() {
        return Vec::new();
    }
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    let mut lines = Vec::new();
    for entry in entries.flatten() {
        if !entry.file_name().to_str().is_some_and(|pid| pid.bytes().all(|b| b.is_ascii_digit())) {
            continue;
        }
        // A process may exit between the listing and the read: it then signals nothing.
        let Ok(raw) = std::fs::read(entry.path().join("cmdline")) else { continue };
        let args: Vec<String> = raw
            .strip_suffix(&[0])
            .unwrap_or(&raw)
            .split(|&b| b == 0)
            .map(|arg| String::from_utf8_lossy(arg).into_owned())
            .collect();
        let executable = std::fs::read_link(entry.path().join("exe")).ok();
        lines.extend(own_command_line(&args, executable.as_deref(), programs));
    }
    lines
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
    Some(own.join(" "))
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
        assert_eq!(own_command_line(&worker, None, &axiom).as_deref(), Some("/opt/bin/axiom worker --task-id t1"));
        let renamed = strings(&["supervisor", "serve"]);
        assert_eq!(
            own_command_line(&renamed, Some(Path::new("/usr/bin/axiom")), &axiom).as_deref(),
            Some("supervisor serve")
        );
        assert_eq!(own_command_line(&strings(&["axiom", "hook"]), None, &axiom), None);
        assert_eq!(own_command_line(&strings(&["node", "axiom.js"]), Some(Path::new("/usr/bin/node")), &axiom), None);
    }

    #[test]
    fn a_running_process_of_the_program_is_listed() {
        let mut child = std::process::Command::new("sleep").arg0("axiom").arg("3517").spawn().unwrap();
        // spawn returns once the exec began, and the kernel lays out the new arguments after that.
        let cmdline = format!("/proc/{}/cmdline", child.id());
        while std::fs::read(&cmdline).unwrap() != b"axiom\x003517\x00" {
            std::thread::yield_now();
        }
        let lines = command_lines_of(&strings(&["axiom"]));
        child.kill().unwrap();
        child.wait().unwrap();
        assert!(lines.iter().any(|line| line == "axiom 3517"), "{lines:?}");
        assert!(command_lines_of(&strings(&["no-such-program-here"])).is_empty());
    }
}
