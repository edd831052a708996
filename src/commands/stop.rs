//! Ctrl-C, SIGTERM and SIGHUP as one signal: what `run` and `client --command` stop (or leave)
//! their task on. Installed before the task starts, so a signal that comes early is not lost.

use tokio::signal::unix::{signal, Signal, SignalKind};

pub struct StopSignals {
    kinds: Vec<Signal>,
}

impl StopSignals {
    pub fn install() -> StopSignals {
        let kinds = [SignalKind::interrupt(), SignalKind::terminate(), SignalKind::hangup()];
        StopSignals { kinds: kinds.into_iter().filter_map(|kind| signal(kind).ok()).collect() }
    }

    /// The next of them, whichever comes first.
    pub async fn next(&mut self) {
        if self.kinds.is_empty() {
            return std::future::pending().await;
        }
        let waits = self.kinds.iter_mut().map(|signal| Box::pin(signal.recv()));
        futures_util::future::select_all(waits).await;
    }
}
