//! Ctrl-C, SIGTERM and SIGHUP as one signal: what `run` and `client --command` stop (or leave)
//! their task on. Installed before the task starts, so a signal that comes early is not lost.

use tokio::signal::unix::{signal, Signal, SignalKind};

pub struct StopSignals {
    /// Each signal with its number.
    kinds: Vec<(Signal, i32)>,
}

impl StopSignals {
    pub fn install() -> StopSignals {
        let kinds = [
            (SignalKind::interrupt(), libc::SIGINT),
            (SignalKind::terminate(), libc::SIGTERM),
            (SignalKind::hangup(), libc::SIGHUP),
        ];
        StopSignals {
            kinds: kinds.into_iter().filter_map(|(kind, number)| Some((signal(kind).ok()?, number))).collect(),
        }
    }

    /// The next of them, whichever comes first: its number.
    pub async fn next(&mut self) -> i32 {
        if self.kinds.is_empty() {
            return std::future::pending().await;
        }
        let waits = self.kinds.iter_mut().map(|(signal, number)| {
            Box::pin(async move {
                signal.recv().await;
                *number
            })
        });
        futures_util::future::select_all(waits).await.0
    }
}

/// The exit status of a command stopped because `axiom` itself got `signal`: the one a shell
/// gives a program that signal ended (130 for Ctrl-C), whatever signal stopped the task itself.
pub fn stopped_by(signal: i32) -> i32 {
    128 + signal
}

/// How to send `signal` again, for "… again to leave at once": Ctrl-C for SIGINT, its name else.
pub fn again(signal: i32) -> &'static str {
    match signal {
        libc::SIGINT => "Ctrl-C",
        libc::SIGHUP => "SIGHUP",
        _ => "SIGTERM",
    }
}
