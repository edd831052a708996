//! Kernel containment: each task's worker, and so everything its command starts, in a cgroup of
//! its own.
//!
//! The process-tree walk ([`crate::worker::tree`]) finds a task's processes through their parents,
//! and a child can cut that chain: it stops its worker, waits for the hub to be restarted, kills
//! the worker, and a `setsid` grandchild is orphaned to init, where nothing ties it to its task
//! any more. A cgroup does: membership is inherited at `fork` and survives `setsid`, re-parenting
//! and `exec`, and writing `1` to `cgroup.kill` ends every member at once (a fork loop cannot
//! outrun it). So where the hub may make cgroups (a cgroup v2 hierarchy and write access to the
//! hub's own cgroup: a hub run as root, or as a systemd user service with delegation), each task
//! gets `<hub's cgroup>/axiom-<key>/<task id>`. The worker is moved into it between `fork` and
//! `exec`, before it runs any code. The path is worked out from the hub's place and the task id
//! (never read back from the task's history, which the task's user can write), so a restarted hub
//! ends the cgroup of a task it finds lost, whoever is left in it.
//!
//! It does not stop a child that runs as the hub's user from moving itself into another cgroup
//! that user may write (`echo $$ > …/cgroup.procs`): to the kernel that is the user's right. It
//! closes the escapes that need no such step, and where no cgroup can be made, the process-tree
//! walk is all there is (as before).

use std::fs::{File, OpenOptions};
use std::io::{self, Write as _};
use std::os::fd::{AsRawFd as _, RawFd};
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Where this hub makes its tasks' cgroups.
#[derive(Debug)]
pub struct Containment {
    /// `<hub's cgroup>/axiom-<key>`, made by [`Containment::detect`].
    parent: PathBuf,
}

/// A task's cgroup, made and not yet joined by its worker.
#[derive(Debug)]
pub struct TaskCgroup {
    pub path: PathBuf,
    /// `cgroup.procs`, open for writing: the worker joins by writing `0` to it between `fork` and
    /// `exec`, where opening a file by name is not safe.
    procs: File,
}

impl Containment {
    /// The place for this hub's task cgroups, made if need be; `None`, saying why in the log, when
    /// the hub may not make cgroups. `key` tells this hub's cgroups from other hubs' (the state
    /// directory's, so that a restarted hub finds its predecessor's).
    pub fn detect(key: &str) -> Option<Containment> {
        let found = own_cgroup_dir().and_then(|own| {
            let parent = own.join(format!("axiom-{key}"));
            match std::fs::create_dir(&parent) {
                Ok(()) => Ok(parent),
                Err(err) if err.kind() == io::ErrorKind::AlreadyExists => Ok(parent),
                Err(err) => Err(format!("cannot make {}: {err}", parent.display())),
            }
        });
        match found {
            Ok(parent) => {
                tracing::debug!(parent = %parent.display(), "tasks run in cgroups of their own");
                Some(Containment { parent })
            }
            Err(why) => {
                tracing::info!("tasks are contained by their process tree only (no cgroup: {why})");
                None
            }
        }
    }

    /// Makes the cgroup of task `task_id`.
    pub fn create(&self, task_id: &str) -> io::Result<TaskCgroup> {
        let path = self.parent.join(task_id);
        std::fs::create_dir(&path)?;
        match OpenOptions::new().write(true).custom_flags(libc::O_CLOEXEC).open(path.join("cgroup.procs")) {
            Ok(procs) => Ok(TaskCgroup { path, procs }),
            Err(err) => {
                let _ = std::fs::remove_dir(&path);
                Err(err)
            }
        }
    }

    /// The cgroup of task `task_id` in this hub's place, if there is one. Worked out, never read
    /// from the task's history (a file the task's user can write), so that nothing can steer the
    /// hub to end another cgroup, nor to read pids out of a directory made to look like one.
    pub fn of_task(&self, task_id: &str) -> Option<PathBuf> {
        let plain = !task_id.is_empty() && task_id.bytes().all(|byte| byte.is_ascii_alphanumeric());
        let path = self.parent.join(task_id);
        (plain && path.is_dir() && on_cgroup2(&path)).then_some(path)
    }

    /// The task cgroups in this hub's place, by task id: what a hub that ended without cleaning
    /// up (killed, say) left there.
    pub fn present(&self) -> Vec<(String, PathBuf)> {
        let Ok(entries) = std::fs::read_dir(&self.parent) else { return Vec::new() };
        entries
            .flatten()
            .filter(|entry| entry.file_type().is_ok_and(|kind| kind.is_dir()))
            .filter_map(|entry| Some((entry.file_name().into_string().ok()?, entry.path())))
            .collect()
    }

    /// Removes this hub's place, if no task cgroup is left in it (at shutdown).
    pub fn remove_if_empty(&self) {
        let _ = std::fs::remove_dir(&self.parent);
    }
}

impl TaskCgroup {
    /// The descriptor to write `0` to in the worker, between `fork` and `exec`.
    pub fn procs_fd(&self) -> RawFd {
        self.procs.as_raw_fd()
    }

    /// Whether process `pid` is in this cgroup.
    pub fn holds(&self, pid: u32) -> bool {
        members(&self.path).contains(&pid)
    }
}

/// Joins the cgroup whose `cgroup.procs` is open as `fd`, in a child between `fork` and `exec`:
/// one `write`, which is async-signal-safe. A failure is left for the hub to see
/// ([`TaskCgroup::holds`]), so the task still starts, contained by its tree only.
///
/// # Safety
///
/// For `pre_exec`: `fd` must be open in the forked child.
pub unsafe fn join_in_child(fd: RawFd) {
    // SAFETY: writing one byte from a static buffer to a descriptor the caller vouches for.
    unsafe { libc::write(fd, b"0".as_ptr().cast(), 1) };
}

/// Whether `path` is on a cgroup v2 filesystem.
// `f_type` and the magic number have other integer types on other architectures.
#[allow(clippy::unnecessary_cast)]
fn on_cgroup2(path: &Path) -> bool {
    let Ok(path) = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()) else { return false };
    // SAFETY: statfs reads the NUL-terminated path and writes into the zeroed struct it is given.
    unsafe {
        let mut stats: libc::statfs = std::mem::zeroed();
        libc::statfs(path.as_ptr(), &mut stats) == 0 && stats.f_type as i64 == libc::CGROUP2_SUPER_MAGIC as i64
    }
}

/// Ends every process in the cgroup at `path` (and in any cgroup made below it), waits until none
/// is left, for at most `patience`, and removes the cgroups. Returns whether they are gone.
/// Blocking: run it off the runtime's threads.
pub fn end(path: &Path, patience: Duration) -> bool {
    if !path.is_dir() {
        return true;
    }
    let give_up = Instant::now() + patience;
    loop {
        kill_all(path);
        if !populated(path) || Instant::now() >= give_up {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let removed = remove_tree(path);
    if !removed && populated(path) {
        tracing::warn!(cgroup = %path.display(), "a task's cgroup still holds processes after {patience:?}");
    } else if !removed {
        // Its processes are gone; what is left is directories a member made below it, deeper
        // than a path can name, say.
        tracing::warn!(cgroup = %path.display(), "a task's emptied cgroup could not be removed");
    }
    removed
}

/// `cgroup.kill` (Linux 5.14), which the kernel carries out for every member of the cgroup and
/// of those below it; on an older kernel, `SIGKILL` to each member found.
fn kill_all(path: &Path) {
    let killed =
        OpenOptions::new().write(true).open(path.join("cgroup.kill")).and_then(|mut kill| kill.write_all(b"1"));
    if killed.is_ok() {
        return;
    }
    for cgroup in tree_of(path) {
        for pid in members(&cgroup) {
            // SAFETY: kill has no memory-safety preconditions; ESRCH (already gone) is fine.
            unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
        }
    }
}

/// Whether any process is left in the cgroup or below it (`populated` in `cgroup.events`).
fn populated(path: &Path) -> bool {
    match std::fs::read_to_string(path.join("cgroup.events")) {
        Ok(events) => events.lines().any(|line| line == "populated 1"),
        Err(_) => tree_of(path).iter().any(|cgroup| !members(cgroup).is_empty()),
    }
}

/// The pids in a cgroup's `cgroup.procs`.
fn members(path: &Path) -> Vec<u32> {
    std::fs::read_to_string(path.join("cgroup.procs"))
        .map(|procs| procs.lines().filter_map(|line| line.trim().parse().ok()).collect())
        .unwrap_or_default()
}

/// The cgroup at `path` and every cgroup below it, deepest first.
fn tree_of(path: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    if let Ok(entries) = std::fs::read_dir(path) {
        for entry in entries.flatten() {
            if entry.file_type().is_ok_and(|kind| kind.is_dir()) {
                found.extend(tree_of(&entry.path()));
            }
        }
    }
    found.push(path.to_path_buf());
    found
}

/// Removes the cgroup at `path` and the cgroups a member made below it (a cgroup's control files
/// go with its directory); `true` once it is gone.
fn remove_tree(path: &Path) -> bool {
    for cgroup in tree_of(path) {
        let _ = std::fs::remove_dir(&cgroup);
    }
    !path.exists()
}

/// The directory of this process's cgroup in the mounted cgroup v2 hierarchy, if the hub may make
/// cgroups below it.
fn own_cgroup_dir() -> Result<PathBuf, String> {
    let cgroups = std::fs::read_to_string("/proc/self/cgroup").map_err(|err| format!("/proc/self/cgroup: {err}"))?;
    let own =
        cgroups.lines().find_map(|line| line.strip_prefix("0::")).ok_or("this process is in no cgroup v2 hierarchy")?;
    let mounts =
        std::fs::read_to_string("/proc/self/mountinfo").map_err(|err| format!("/proc/self/mountinfo: {err}"))?;
    let (root, mount_point) = cgroup2_mount(&mounts).ok_or("no cgroup v2 hierarchy is mounted")?;
    // The mount may show only part of the hierarchy (a container's): the cgroup must be in it.
    let relative = Path::new(own).strip_prefix(&root).map_err(|_| "this process's cgroup is not in the mount")?;
    let dir = mount_point.join(relative);
    // SAFETY: access only reads the NUL-terminated path it is given.
    let writable = std::ffi::CString::new(dir.as_os_str().as_encoded_bytes())
        .is_ok_and(|path| unsafe { libc::access(path.as_ptr(), libc::W_OK) } == 0);
    if writable {
        Ok(dir)
    } else {
        Err(format!("{} is not writable by this user", dir.display()))
    }
}

/// The root within the hierarchy and the mount point of the first cgroup v2 mount in
/// `/proc/self/mountinfo`'s text.
fn cgroup2_mount(mountinfo: &str) -> Option<(String, PathBuf)> {
    mountinfo.lines().find_map(|line| {
        // `id parent major:minor root mount-point options… - type source super-options`
        let (fields, after) = line.split_once(" - ")?;
        if after.split_whitespace().next()? != "cgroup2" {
            return None;
        }
        let mut fields = fields.split_whitespace().skip(3);
        let root = unescape(fields.next()?);
        let mount_point = unescape(fields.next()?);
        Some((root, PathBuf::from(mount_point)))
    })
}

/// A path as `/proc/self/mountinfo` writes it, with `\040`-style octal escapes for space, tab,
/// newline and backslash.
fn unescape(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        let escape = bytes
            .get(at + 1..at + 4)
            .filter(|digits| bytes[at] == b'\\' && digits.iter().all(|d| (b'0'..=b'7').contains(d)));
        match escape {
            Some(digits) => {
                out.push(digits.iter().fold(0u8, |value, digit| value.wrapping_mul(8) + (digit - b'0')));
                at += 4;
            }
            None => {
                out.push(bytes[at]);
                at += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cgroup2_mount_is_read_from_mountinfo_with_its_escapes() {
        let mountinfo = "\
            24 30 0:22 / /sys/fs/cgroup ro,nosuid - tmpfs tmpfs ro,mode=755\n\
            33 24 0:29 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n\
            35 24 0:31 /user.slice /sys/fs/cgroup/my\\040unified rw - cgroup2 cgroup2 rw\n";
        assert_eq!(
            cgroup2_mount(mountinfo),
            Some(("/user.slice".to_owned(), PathBuf::from("/sys/fs/cgroup/my unified")))
        );
        assert_eq!(cgroup2_mount("33 24 0:29 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"), None);
        assert_eq!(unescape(r"a\134b\011"), "a\\b\t");
        assert_eq!(unescape(r"trailing\04"), r"trailing\04", "a cut escape is kept as it is");
    }

    #[test]
    fn a_task_cgroup_is_a_cgroup_v2_directory_in_the_place_named_by_a_plain_task_id() {
        let dir = tempfile::tempdir().unwrap();
        let place = Containment { parent: dir.path().join("axiom-0123") };
        let lookalike = place.parent.join("abc123");
        std::fs::create_dir_all(&lookalike).unwrap();
        // A plain directory with a `cgroup.procs` naming someone else's pid is not ended.
        std::fs::write(lookalike.join("cgroup.procs"), "1\n").unwrap();
        assert_eq!(place.of_task("abc123"), None, "not on a cgroup v2 filesystem");
        assert_eq!(place.of_task("gone"), None);
        assert_eq!(place.of_task("../axiom-0123/abc123"), None, "not a task id");
    }
}
