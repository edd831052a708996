//! Signalling a child's process group, telling whether anything in it still runs, and giving a new
//! child default signal handling.

use std::io;

/// Signals whose disposition a child gets reset to the default before `exec`.
///
/// An ignored signal stays ignored across `exec`, so a worker started with `SIGINT` ignored (`cmd &` in
/// a non-interactive shell does that, `nohup` ignores `SIGHUP`) would pass that on and
/// [`interrupt`](super::ChildHandle::interrupt) would do nothing. The child may still ignore them itself.
const RESET_TO_DEFAULT: [libc::c_int; 2] = [libc::SIGINT, libc::SIGTERM];

/// Prepares a freshly forked child, between `fork` and `exec`: resets [`RESET_TO_DEFAULT`], and asks
/// the kernel to `SIGKILL` it when `worker` (the process that forked it) dies, so a worker killed
/// with `SIGKILL` does not leave its child running unwatched. Only async-signal-safe calls.
pub(crate) fn prepare_child(worker: libc::pid_t) -> io::Result<()> {
    for signal in RESET_TO_DEFAULT {
        // SAFETY: `signal` with SIG_DFL is async-signal-safe and installs no Rust code as a handler.
        if unsafe { libc::signal(signal, libc::SIG_DFL) } == libc::SIG_ERR {
            return Err(io::Error::last_os_error());
        }
    }
    #[cfg(target_os = "linux")]
    {
        // SAFETY: prctl and getppid are async-signal-safe system calls on plain integers.
        if unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0) } != 0 {
            return Err(io::Error::last_os_error());
        }
        // The worker may have died between fork and prctl: then nobody would send the signal.
        if unsafe { libc::getppid() } != worker {
            return Err(io::Error::other("the worker ended while its child was starting"));
        }
    }
    Ok(())
}

/// The pid to hand [`prepare_child`]: this process, read before forking.
pub(crate) fn this_process() -> libc::pid_t {
    std::process::id() as libc::pid_t
}

/// A process group id, saved at spawn (it equals the child's pid).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ProcessGroup(libc::pid_t);

impl ProcessGroup {
    /// The group led by `pid`. `None` for pids that must never be signalled as a group (0 is our own
    /// group, 1 is init; a child never has either).
    pub(crate) fn led_by(pid: u32) -> Option<ProcessGroup> {
        let pgid = libc::pid_t::try_from(pid).ok()?;
        (pgid > 1).then_some(ProcessGroup(pgid))
    }

    /// Send `signal` to every process in the group. A group with nobody left in it (`ESRCH`) is not an
    /// error: the child may have exited, and grandchildren may or may not have outlived it.
    pub(crate) fn signal(self, signal: libc::c_int) -> io::Result<()> {
        // SAFETY: killpg has no memory-safety preconditions; `self.0 > 1` is guaranteed by `led_by`.
        if unsafe { libc::killpg(self.0, signal) } == 0 {
            return Ok(());
        }
        let err = io::Error::last_os_error();
        if err.raw_os_error() == Some(libc::ESRCH) {
            Ok(())
        } else {
            Err(err)
        }
    }

    /// True if, after our child (the group leader) was reaped, another process leads a group with the
    /// same id: the id was freed (every member gone) and the kernel gave it to someone else, so the
    /// group is not ours to signal any more. A member of our group never has `pid == pgid` once the
    /// leader is gone, and only a process whose pid is `pgid` can start a group with that id.
    pub(crate) fn is_led_by_a_stranger(self) -> bool {
        match std::fs::read(format!("/proc/{}/stat", self.0)) {
            Ok(stat) => matches!(parse_stat(&stat), Some((_, group)) if group == self.0),
            Err(_) => false,
        }
    }

    /// True while some process in the group has not exited. Zombies (exited, not yet reaped) do not
    /// count: orphaned grandchildren are reaped by init, and an init that never reaps (as in some
    /// containers) would otherwise make the group look alive forever.
    pub(crate) fn has_live_members(self) -> bool {
        // SAFETY: signal 0 only checks for existence and permission.
        if unsafe { libc::killpg(self.0, 0) } != 0 {
            return io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH);
        }
        live_member_in_proc(self.0).unwrap_or(true)
    }
}

/// Scan `/proc` for a process of group `pgid` that is not a zombie. `None` when `/proc` is unreadable.
#[cfg(target_os = "linux")]
fn live_member_in_proc(pgid: libc::pid_t) -> Option<bool> {
    let entries = std::fs::read_dir("/proc").ok()?;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if !name.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        // Processes come and go during the scan; a vanished one is simply skipped.
        let Ok(stat) = std::fs::read(entry.path().join("stat")) else {
            continue;
        };
        if let Some((state, group)) = parse_stat(&stat) {
            if group == pgid && state != b'Z' && state != b'X' {
                return Some(true);
            }
        }
    }
    Some(false)
}

#[cfg(not(target_os = "linux"))]
fn live_member_in_proc(_pgid: libc::pid_t) -> Option<bool> {
    None
}

/// `(state, pgrp)` from the contents of `/proc/<pid>/stat`: `pid (comm) S ppid pgrp ...`. The command
/// name may hold spaces and parentheses, so fields are counted from the last `)`.
fn parse_stat(stat: &[u8]) -> Option<(u8, libc::pid_t)> {
    let close = stat.iter().rposition(|&b| b == b')')?;
    let rest = std::str::from_utf8(&stat[close + 1..]).ok()?;
    let mut fields = rest.split_ascii_whitespace();
    let state = *fields.next()?.as_bytes().first()?;
    let _ppid = fields.next()?;
    let pgrp = fields.next()?.parse().ok()?;
    Some((state, pgrp))
}

/// True once `pid` is gone or only a zombie. For tests.
#[cfg(test)]
pub(crate) fn pid_is_dead(pid: libc::pid_t) -> bool {
    // SAFETY: signal 0 only checks for existence and permission.
    if unsafe { libc::kill(pid, 0) } != 0 {
        return io::Error::last_os_error().raw_os_error() == Some(libc::ESRCH);
    }
    match std::fs::read(format!("/proc/{pid}/stat")) {
        Ok(stat) => matches!(parse_stat(&stat), Some((b'Z' | b'X', _))),
        Err(_) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_stat_with_odd_command_names() {
        assert_eq!(parse_stat(b"4242 (sleep) S 1 4240 4240 0 -1 4194304"), Some((b'S', 4240)));
        assert_eq!(parse_stat(b"77 (a) b (c)) Z 1 70 70 0"), Some((b'Z', 70)));
        assert_eq!(parse_stat(b"garbage"), None);
    }

    #[test]
    fn refuses_groups_that_are_not_a_child() {
        assert_eq!(ProcessGroup::led_by(0), None);
        assert_eq!(ProcessGroup::led_by(1), None);
        assert_eq!(ProcessGroup::led_by(u32::MAX), None);
        assert!(ProcessGroup::led_by(4242).is_some());
    }
}
