//! How each intervention is applied to a child: write, inject, interrupt, kill, close input.

use std::io;
use std::time::Duration;

use tokio::time::Instant;

use super::{ChildHandle, Driver};

/// How often [`ChildHandle::kill`] looks whether grandchildren are still running during the grace.
const GROUP_POLL: Duration = Duration::from_millis(20);

/// How long [`ChildHandle::kill`] waits for the child to be reaped after `SIGKILL` before giving up
/// (only a process stuck in the kernel survives `SIGKILL` that long).
const REAP_AFTER_SIGKILL: Duration = Duration::from_secs(5);

impl ChildHandle {
    /// Write raw bytes to the child's input (stdin, or the terminal), after every earlier write.
    ///
    /// Waits until the bytes are handed to the pipe or terminal, which blocks while the child does not
    /// read and the pipe is full; wrap it in a timeout if that matters.
    ///
    /// # Errors
    ///
    /// `BrokenPipe` once the input was closed or the child is gone; other write errors as they come.
    pub async fn write_input(&self, bytes: &[u8]) -> io::Result<()> {
        self.input().write(bytes.to_vec(), None).await
    }

    /// Type `text` and press Enter: `text\n` in one write on a pipe; on a PTY `text`, a pause of
    /// [`Timing::pty_enter_delay`](super::Timing::pty_enter_delay), then `\r` (TUIs take text and Enter in
    /// one read as a paste and would not submit it). No other write can come between the two.
    ///
    /// A terminal in line mode submits at every `\n` inside `text` and cuts a line longer than 4095
    /// bytes; keep injected text to one reasonable line.
    ///
    /// # Errors
    ///
    /// As [`write_input`](Self::write_input).
    pub async fn inject(&self, text: &str) -> io::Result<()> {
        match self.driver() {
            Driver::Claude => match self.claude() {
                Some(session) => session.send_user_message(text).await,
                None => Err(io::Error::other("the claude session is not running")),
            },
            Driver::Pipe => {
                let mut line = Vec::with_capacity(text.len() + 1);
                line.extend_from_slice(text.as_bytes());
                line.push(b'\n');
                self.input().write(line, None).await
            }
            Driver::Pty if text.is_empty() => self.input().write(b"\r".to_vec(), None).await,
            Driver::Pty => {
                let delay = self.timing().pty_enter_delay;
                let enter: &'static [u8] = b"\r";
                self.input().write(text.as_bytes().to_vec(), Some((delay, enter))).await
            }
        }
    }

    /// Interrupt the child as Ctrl-C would, then, after `delay`, [`inject`](Self::inject) `follow_up`.
    ///
    /// Pipe: `SIGINT` to the child's process group. PTY: byte `0x03` written to the terminal at once,
    /// ahead of queued input, which raises `SIGINT` in line/signal mode and reaches a raw-mode TUI as
    /// the Ctrl-C key it expects (`SIGINT` to the foreground group if the terminal's input is full).
    /// Interrupting a child that already exited is not an error; its follow-up will fail to write.
    ///
    /// # Errors
    ///
    /// Signalling the group was refused (`EPERM`), or writing to the terminal or the follow-up failed.
    pub async fn interrupt(&self, follow_up: Option<&str>, delay: Duration) -> io::Result<()> {
        match self.driver() {
            Driver::Pipe => self.signal_group(libc::SIGINT)?,
            Driver::Pty => match self.pty() {
                Some(pty) => pty.press_ctrl_c()?,
                None => return Err(io::Error::other("the terminal is not open")),
            },
            // The CLI stops the turn and the running tool itself; the follow-up is a user message
            // sent once it acknowledged, with no further delay.
            Driver::Claude => {
                let Some(session) = self.claude() else {
                    return Err(io::Error::other("the claude session is not running"));
                };
                return session.interrupt(follow_up).await;
            }
        }
        if let Some(text) = follow_up {
            tokio::time::sleep(delay).await;
            self.inject(text).await?;
        }
        Ok(())
    }

    /// Stop the child and everything it started: `SIGTERM` to the whole process group, then wait up to
    /// `grace` for the child to exit and for the rest of the group to go, then `SIGKILL` to the group
    /// if anything is left. Returns once the child was reaped.
    ///
    /// Safe to call more than once and after the child exited: the group is signalled anyway (its
    /// grandchildren may outlive it) and an empty group is not an error.
    ///
    /// # Errors
    ///
    /// Signalling was refused (`EPERM`), or the child was still not reaped 5 s after `SIGKILL`
    /// (`TimedOut`; only possible for a process stuck in the kernel).
    pub async fn kill(&self, grace: Duration) -> io::Result<()> {
        let group = self.group();
        self.signal_group(libc::SIGTERM)?;
        let deadline = Instant::now() + grace;
        // The child first, woken the moment it is reaped...
        let child_gone = tokio::time::timeout_at(deadline, self.wait()).await.is_ok();
        // ... then whatever else runs in its group, for the rest of the grace.
        let group_gone = || !group.has_live_members() || group.is_led_by_a_stranger();
        let mut gone = child_gone && group_gone();
        while !gone && child_gone && Instant::now() < deadline {
            let next = (Instant::now() + GROUP_POLL).min(deadline);
            tokio::time::sleep_until(next).await;
            gone = group_gone();
        }
        if !gone {
            tracing::debug!(pid = self.pid(), "process group outlived the grace; SIGKILL");
            self.signal_group(libc::SIGKILL)?;
        }
        match tokio::time::timeout(REAP_AFTER_SIGKILL, self.wait()).await {
            Ok(_) => Ok(()),
            Err(_) => Err(io::Error::new(io::ErrorKind::TimedOut, format!("child {} survived SIGKILL", self.pid()))),
        }
    }

    /// Signal the child's process group, unless the child was reaped and its group id now belongs to
    /// another process (see
    /// [`ProcessGroup::is_led_by_a_stranger`](super::signals::ProcessGroup::is_led_by_a_stranger)).
    fn signal_group(&self, signal: libc::c_int) -> io::Result<()> {
        let group = self.group();
        if self.exit_info().is_some() && group.is_led_by_a_stranger() {
            tracing::debug!(pid = self.pid(), signal, "process group id was reused; not signalling");
            return Ok(());
        }
        group.signal(signal)
    }

    /// Give the child end of file on its input, after every write queued before.
    ///
    /// Pipe: stdin is closed; later writes fail with `BrokenPipe`. PTY: the terminal must stay open (it
    /// also carries the output), so Ctrl-D (`0x04`) is written, which a terminal in line mode turns into
    /// end of file when it comes at the start of a line; a raw-mode TUI just sees the key.
    pub async fn close_input(&self) {
        self.input().close().await;
    }
}
