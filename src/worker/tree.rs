//! The worker's whole process tree: sealing the worker, and finding and ending every descendant.
//!
//! A process group is not a container: a grandchild that calls `setsid` (or a job-control shell)
//! leaves it, and `killpg` no longer reaches it. So the worker makes itself a *child subreaper*
//! (`PR_SET_CHILD_SUBREAPER`): an orphan anywhere below it is re-parented to the worker instead of
//! to init, and every descendant, however it regrouped, stays on a parent chain that ends at the
//! worker. [`descendants`] walks that chain in `/proc`; [`end_descendants`] ends them all.
//!
//! The worker is also made non-dumpable (`PR_SET_DUMPABLE 0`): a process of the same user without
//! `CAP_SYS_PTRACE` can then neither attach to it nor read its `/proc/<pid>/mem` or `environ`, so
//! the child cannot lift the worker's credential out of its memory.

use std::collections::HashMap;
use std::io;
use std::time::Duration;

use tokio::time::Instant;

/// How often [`end_descendants`] looks whether the tree is gone during its grace period.
const POLL: Duration = Duration::from_millis(20);

/// Makes this process non-dumpable and a child subreaper. Call once, before the child starts.
///
/// # Errors
///
/// A `prctl` was refused (never expected on Linux).
#[cfg(target_os = "linux")]
pub fn seal_this_process() -> io::Result<()> {
    // SAFETY: prctl with these options takes plain integers and touches no memory of ours.
    if unsafe { libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: as above.
    if unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

#[cfg(not(target_os = "linux"))]
pub fn seal_this_process() -> io::Result<()> {
    Ok(())
}

/// Makes this process a child subreaper, and nothing else: for a hub, so that what a worker
/// killed with `SIGKILL` leaves behind comes to it (see [`end_strays`]).
///
/// # Errors
///
/// The `prctl` was refused (never expected on Linux).
#[cfg(target_os = "linux")]
pub fn become_subreaper() -> io::Result<()> {
    // SAFETY: prctl with these options takes plain integers and touches no memory of ours.
    if unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

#[cfg(not(target_os = "linux"))]
pub fn become_subreaper() -> io::Result<()> {
    Ok(())
}

/// Ends everything a dead worker left behind, in a subreaper whose only children of its own are
/// the workers in `workers` (a hub): any other child was adopted, so it is a descendant of a
/// worker that died without ending its tree (killed with `SIGKILL`): its child, which
/// `PR_SET_PDEATHSIG` is already ending, a grandchild that called `setsid`, their children. Each
/// is sent `SIGKILL` together with everything below it, and reaped once it is a zombie; this goes
/// on until none is left (a process may fork while it is being ended), for at most `patience`.
/// `workers` stays locked during each round, so a worker being started is never taken for one.
/// Returns how many processes were signalled.
pub fn end_strays(workers: &std::sync::Mutex<std::collections::HashSet<u32>>, patience: Duration) -> usize {
    let me = std::process::id() as libc::pid_t;
    let give_up = std::time::Instant::now() + patience;
    let mut signalled = std::collections::HashSet::new();
    loop {
        let zombies = {
            let workers = workers.lock().unwrap_or_else(|p| p.into_inner());
            let all = processes();
            let strays: Vec<ProcEntry> =
                all.iter().filter(|e| e.parent == me && !workers.contains(&(e.pid as u32))).copied().collect();
            let mut live: Vec<libc::pid_t> = Vec::new();
            let mut zombies = Vec::new();
            for stray in &strays {
                if stray.zombie {
                    zombies.push(stray.pid);
                } else {
                    live.push(stray.pid);
                }
                live.extend(below(stray.pid, &all).iter().filter(|e| !e.zombie).map(|e| e.pid));
            }
            for &pid in &live {
                if signalled.insert(pid) {
                    // SAFETY: kill has no memory-safety preconditions; ESRCH (already gone) is fine.
                    unsafe { libc::kill(pid, libc::SIGKILL) };
                }
            }
            if live.is_empty() && zombies.is_empty() {
                return signalled.len();
            }
            zombies
        };
        for pid in zombies {
            // SAFETY: waitpid on a specific pid (an adopted child, never a worker) with WNOHANG.
            unsafe { libc::waitpid(pid, std::ptr::null_mut(), libc::WNOHANG) };
        }
        if std::time::Instant::now() >= give_up {
            tracing::warn!("processes left by a dead worker were still there after {patience:?}");
            return signalled.len();
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The `axiom worker` processes, found by their command line, that run task `task_id`, other than
/// `except`: how a restarted hub finds its predecessor's workers, which are not its children.
pub fn workers_of_task(task_id: &str, server: &str, except: &std::collections::HashSet<u32>) -> Vec<u32> {
    processes()
        .into_iter()
        .filter(|entry| !entry.zombie && !except.contains(&(entry.pid as u32)))
        .filter(|entry| {
            std::fs::read(format!("/proc/{}/cmdline", entry.pid))
                .is_ok_and(|cmdline| runs_task(&cmdline, task_id, server))
        })
        .map(|entry| entry.pid as u32)
        .collect()
}

/// Whether a NUL-separated command line is `PROGRAM worker ... --server SERVER ... --task-id
/// TASK_ID ...`, the options before the `--` that starts the task's own command. The server too:
/// another hub's worker of a task with the same id (a history copied, or forged, into this hub's
/// state) is not this hub's to end, and could never reconnect here anyway.
fn runs_task(cmdline: &[u8], task_id: &str, server: &str) -> bool {
    let options: Vec<&[u8]> = cmdline.split(|&b| b == 0).skip(1).take_while(|arg| *arg != b"--").collect();
    let value_of = |name: &[u8]| options.iter().skip_while(|arg| **arg != name).nth(1).copied();
    options.first() == Some(&b"worker".as_slice())
        && value_of(b"--task-id") == Some(task_id.as_bytes())
        && value_of(b"--server") == Some(server.as_bytes())
}

/// Sends `SIGKILL` to everything below each of `roots`, and then to each root that `still` says is
/// what it was; returns how many processes and groups were signalled.
///
/// A process that forks and exits in a loop is never all there in one scan of `/proc` (the live
/// one is made after the scan passed its place, the one read has exited). So each process group
/// led by a process below a root (alive, or a zombie: a stopped root reaps nothing, so the leader's
/// pid is not reused) is signalled as a whole, which the kernel does at once, and then each live
/// process; again until two scans in a row find nothing alive, for at most `patience`. The roots
/// go last: while one lives, being a subreaper, every orphan below it comes back to it; once it is
/// gone, what it adopted next would go to init, out of reach.
pub fn kill_trees(roots: &[u32], still: impl Fn(u32) -> bool, patience: Duration) -> usize {
    let give_up = std::time::Instant::now() + patience;
    let own_group = own_process_group();
    let mut signalled = 0;
    let mut quiet_scans = 0;
    while quiet_scans < 2 && std::time::Instant::now() < give_up {
        let all = processes();
        let below_roots: Vec<ProcEntry> = roots
            .iter()
            .filter_map(|&root| libc::pid_t::try_from(root).ok())
            .flat_map(|root| below(root, &all))
            .collect();
        let pids: std::collections::HashSet<libc::pid_t> = below_roots.iter().map(|entry| entry.pid).collect();
        let groups: std::collections::HashSet<libc::pid_t> = below_roots
            .iter()
            .map(|entry| entry.group)
            .filter(|group| *group > 1 && *group != own_group && pids.contains(group))
            .collect();
        let live: Vec<libc::pid_t> = below_roots.iter().filter(|entry| !entry.zombie).map(|entry| entry.pid).collect();
        quiet_scans = if live.is_empty() { quiet_scans + 1 } else { 0 };
        for group in &groups {
            // SAFETY: kill has no memory-safety preconditions; ESRCH (already gone) is fine.
            unsafe { libc::kill(-group, libc::SIGKILL) };
        }
        for &pid in &live {
            // SAFETY: as above.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
        signalled += groups.len() + live.len();
        std::thread::sleep(Duration::from_millis(2));
    }
    for &root in roots.iter().filter(|&&root| still(root)) {
        let Ok(pid) = libc::pid_t::try_from(root) else { continue };
        signalled += 1;
        // SAFETY: as above.
        unsafe { libc::kill(pid, libc::SIGKILL) };
    }
    signalled
}

/// This process's group, which a process below a root may have joined and must not take down.
fn own_process_group() -> libc::pid_t {
    // SAFETY: getpgrp takes no arguments and cannot fail.
    unsafe { libc::getpgrp() }
}

/// One process as `/proc/<pid>/stat` shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ProcEntry {
    pid: libc::pid_t,
    parent: libc::pid_t,
    /// The process group.
    group: libc::pid_t,
    /// Exited but not reaped yet.
    zombie: bool,
}

/// Every process below `root` (not `root` itself), zombies included, in no particular order.
pub fn descendants(root: u32) -> Vec<(u32, bool)> {
    let Ok(root) = libc::pid_t::try_from(root) else { return Vec::new() };
    below(root, &processes()).into_iter().map(|entry| (entry.pid as u32, entry.zombie)).collect()
}

fn below(root: libc::pid_t, all: &[ProcEntry]) -> Vec<ProcEntry> {
    let mut children: HashMap<libc::pid_t, Vec<ProcEntry>> = HashMap::new();
    for entry in all {
        children.entry(entry.parent).or_default().push(*entry);
    }
    let mut found = Vec::new();
    let mut next = vec![root];
    while let Some(parent) = next.pop() {
        for child in children.get(&parent).into_iter().flatten() {
            // A pid appears once in /proc, so a cycle is impossible; the bound is only a guard
            // against a scan that raced with pid reuse.
            if found.len() < all.len() {
                found.push(*child);
                next.push(child.pid);
            }
        }
    }
    found
}

fn processes() -> Vec<ProcEntry> {
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    entries
        .flatten()
        .filter_map(|entry| {
            let pid: libc::pid_t = entry.file_name().to_str()?.parse().ok()?;
            // Processes come and go during the scan; a vanished one is simply skipped.
            let stat = std::fs::read(entry.path().join("stat")).ok()?;
            parse(pid, &stat)
        })
        .collect()
}

/// `pid (comm) S ppid ...`; the command name may hold spaces and parentheses.
fn parse(pid: libc::pid_t, stat: &[u8]) -> Option<ProcEntry> {
    let close = stat.iter().rposition(|&b| b == b')')?;
    let rest = std::str::from_utf8(&stat[close + 1..]).ok()?;
    let mut fields = rest.split_ascii_whitespace();
    let state = *fields.next()?.as_bytes().first()?;
    let parent = fields.next()?.parse().ok()?;
    let group = fields.next()?.parse().ok()?;
    Some(ProcEntry { pid, parent, group, zombie: matches!(state, b'Z' | b'X') })
}

/// Reaps the zombies among this process's own children, except `keep` (the child whose exit
/// status tokio collects). Orphans re-parented to a subreaper become its children, and nobody
/// else will ever wait for them.
pub fn reap_orphans(keep: Option<u32>) {
    let me = std::process::id() as libc::pid_t;
    for entry in processes() {
        if entry.parent == me && entry.zombie && Some(entry.pid as u32) != keep {
            // SAFETY: waitpid on a specific pid with WNOHANG; the status is discarded.
            unsafe { libc::waitpid(entry.pid, std::ptr::null_mut(), libc::WNOHANG) };
        }
    }
}

fn signal_all(pids: &[(u32, bool)], signal: libc::c_int) {
    for &(pid, zombie) in pids {
        if !zombie {
            // SAFETY: kill has no memory-safety preconditions; ESRCH (already gone) is fine.
            unsafe { libc::kill(pid as libc::pid_t, signal) };
        }
    }
}

/// Ends every descendant of this process except `keep` (the main child, which its handle ends
/// and reaps): `SIGTERM`, up to `grace` for them to go, then `SIGKILL`. Orphans are reaped on the
/// way. Returns how many processes had to be signalled.
pub async fn end_descendants(keep: Option<u32>, grace: Duration) -> usize {
    let me = std::process::id();
    let live = |keep: Option<u32>| -> Vec<(u32, bool)> {
        descendants(me).into_iter().filter(|&(pid, zombie)| !zombie && Some(pid) != keep).collect()
    };
    let first = live(keep);
    if first.is_empty() {
        reap_orphans(keep);
        return 0;
    }
    tracing::debug!(count = first.len(), "ending the worker's remaining descendants");
    signal_all(&first, libc::SIGTERM);
    let deadline = Instant::now() + grace;
    loop {
        reap_orphans(keep);
        let left = live(keep);
        if left.is_empty() {
            break;
        }
        if Instant::now() >= deadline {
            signal_all(&left, libc::SIGKILL);
            break;
        }
        tokio::time::sleep(POLL).await;
    }
    // SIGKILL takes effect at once; what is left are zombies for us to reap.
    let until = Instant::now() + Duration::from_secs(2);
    while Instant::now() < until && !live(keep).is_empty() {
        tokio::time::sleep(POLL).await;
        reap_orphans(keep);
    }
    reap_orphans(keep);
    first.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(pid: libc::pid_t, parent: libc::pid_t) -> ProcEntry {
        ProcEntry { pid, parent, group: pid, zombie: false }
    }

    #[test]
    fn a_worker_is_known_by_its_task_id_and_server_options_before_the_command() {
        let worker = b"/usr/bin/axiom\0worker\0--server\0ws://x\0--task-id\0t-7\0--\0sh\0-c\0x\0";
        assert!(runs_task(worker, "t-7", "ws://x"));
        assert!(!runs_task(worker, "t-8", "ws://x"));
        assert!(!runs_task(worker, "t-7", "ws://y"), "another hub's worker of a task with that id");
        assert!(!runs_task(b"axiom\0worker\0--server\0ws://x\0--task-id\0t-70\0", "t-7", "ws://x"));
        // The task's own command may say anything: only the worker's options count.
        assert!(!runs_task(b"axiom\0worker\0--server\0ws://x\0--\0x\0--task-id\0t-7\0", "t-7", "ws://x"));
        assert!(!runs_task(b"sh\0-c\0worker --server ws://x --task-id t-7\0", "t-7", "ws://x"));
        assert!(!runs_task(b"python3\0worker\0--server\0ws://x\0--task-id\0t-7\0", "t-8", "ws://x"));
    }

    #[test]
    fn finds_every_level_below_the_root_and_nothing_beside_it() {
        let all = [entry(10, 1), entry(11, 10), entry(12, 11), entry(13, 10), entry(20, 1), entry(21, 20)];
        let mut found: Vec<_> = below(10, &all).into_iter().map(|e| e.pid).collect();
        found.sort();
        assert_eq!(found, [11, 12, 13]);
        assert!(below(12, &all).is_empty());
    }

    #[test]
    fn parses_stat_with_odd_command_names() {
        assert_eq!(
            parse(7, b"7 (a) b (c)) Z 1 70 70 0"),
            Some(ProcEntry { pid: 7, parent: 1, group: 70, zombie: true })
        );
        assert_eq!(parse(8, b"8 (sleep) S 4 8 8"), Some(entry(8, 4)));
        assert_eq!(parse(9, b"9 (x) S 4"), None, "a stat without a group");
        assert_eq!(parse(9, b"garbage"), None);
    }
}
