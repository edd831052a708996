//! Threads for bulk work, at background CPU priority.
//!
//! Processing a flood of output and writing task histories can take every core this machine has.
//! The work that must stay fast (reading the next frame, answering an agent's one violating line,
//! a client's request) runs on the async runtime at normal priority; bulk work runs on threads that
//! lower their own priority first, so the kernel lets the fast work preempt it. Lowering needs no
//! privileges; with the CPU otherwise idle it changes nothing.

/// How much bulk threads lower their `nice` value below the process's own: a tenth of a normal
/// thread's share when both want the CPU. Relative, so a hub started under `nice` stays below it.
const BULK_NICE: libc::c_int = 10;

/// Starts a thread named `name` running `body` at background priority.
pub fn spawn(name: &str, body: impl FnOnce() + Send + 'static) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new().name(name.to_owned()).spawn(move || {
        lower_this_threads_priority();
        body()
    })
}

fn lower_this_threads_priority() {
    // On Linux, PRIO_PROCESS with `who = 0` is the calling thread only, not the whole process.
    // Failure (a seccomp filter, say) leaves normal priority: slower under load, still correct.
    // SAFETY: getpriority and setpriority have no memory-safety preconditions.
    let current = unsafe { libc::getpriority(libc::PRIO_PROCESS, 0) };
    let result = unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, (current + BULK_NICE).min(19)) };
    if result != 0 {
        tracing::debug!("cannot lower a bulk thread's priority: {}", std::io::Error::last_os_error());
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_bulk_thread_runs_at_lower_priority_and_the_caller_does_not() {
        // SAFETY: getpriority has no memory-safety preconditions.
        let caller = || unsafe { libc::getpriority(libc::PRIO_PROCESS, 0) };
        let before = caller();
        let inside = super::spawn("bulk-test", move || {
            // SAFETY: as above.
            let nice = unsafe { libc::getpriority(libc::PRIO_PROCESS, 0) };
            assert_eq!(nice, (before + super::BULK_NICE).min(19));
        })
        .unwrap()
        .join();
        assert!(inside.is_ok(), "the bulk thread did not run at lower priority");
        assert_eq!(caller(), before, "the calling thread's priority changed");
    }
}
