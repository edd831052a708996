//! Inputs shared by the benches: the bench rules, the loghub samples and the TUI capture.
//!
//! The loghub samples (github.com/logpai/loghub; Zhu et al., "Loghub: A Large Collection of System
//! Log Datasets for AI-driven Log Analytics", ISSRE 2023) are read from `$LOGHUB_DIR`, by default
//! `/work/shared/data/loghub`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axiom::rules::{RuleDocument, RuleSet};
use criterion::measurement::{Measurement, ValueFormatter};
use criterion::Criterion;

const MANIFEST_DIR: &str = env!("CARGO_MANIFEST_DIR");

/// `benches/rules.yaml`: ~30 rules of the kind an agent supervisor runs, a few of which hit loghub.
pub fn rules() -> Arc<RuleSet> {
    rules_from("rules.yaml")
}

/// A rule file of `benches/`: `rules.yaml`, or `rules-heavy.yaml` (15 rules that match 83 % of
/// the loghub lines).
pub fn rules_from(name: &str) -> Arc<RuleSet> {
    let path = format!("{MANIFEST_DIR}/benches/{name}");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{path}: {err}"));
    Arc::new(RuleSet::from_documents(vec![RuleDocument::new(path, text)]).unwrap_or_else(|err| panic!("{err}")))
}

/// Every loghub sample once, in name order, each ending with a line end (most lack a final one).
/// About 4.5 MB of CRLF text (one sample is LF-only), 32,000 lines.
pub fn loghub() -> Vec<u8> {
    let dir = std::env::var_os("LOGHUB_DIR").map_or_else(|| PathBuf::from("/work/shared/data/loghub"), PathBuf::from);
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|err| panic!("{}: {err} (set LOGHUB_DIR to the loghub samples)", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "log"))
        .collect();
    paths.sort();
    assert!(!paths.is_empty(), "no *.log in {}", dir.display());
    let mut all = Vec::new();
    for path in paths {
        all.extend(std::fs::read(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display())));
        if !all.ends_with(b"\n") {
            all.extend_from_slice(b"\r\n");
        }
    }
    all
}

/// `fixtures/claude-code-tui-capture.txt` (4 KB of Claude Code's screen, cursor moves and colours),
/// repeated to about 256 KB so one iteration is long enough to time.
pub fn tui_capture() -> Vec<u8> {
    let path = format!("{MANIFEST_DIR}/fixtures/claude-code-tui-capture.txt");
    let capture = std::fs::read(&path).unwrap_or_else(|err| panic!("{path}: {err}"));
    capture.repeat(64)
}

/// Criterion's clock: this thread's CPU time by default, because the bench machine is shared and
/// wall time there mostly measures the neighbours; `AXIOM_BENCH_WALL=1` switches to wall time.
pub struct Clock {
    id: libc::clockid_t,
    formatter: criterion::measurement::WallTime,
}

impl Clock {
    pub fn from_env() -> Self {
        let wall = std::env::var_os("AXIOM_BENCH_WALL").is_some_and(|v| v != "0" && !v.is_empty());
        let id = if wall { libc::CLOCK_MONOTONIC } else { libc::CLOCK_THREAD_CPUTIME_ID };
        Clock { id, formatter: criterion::measurement::WallTime }
    }

    fn now(&self) -> Duration {
        let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
        // SAFETY: `ts` is a valid timespec to write to, and both clock ids exist on Linux.
        let rc = unsafe { libc::clock_gettime(self.id, &mut ts) };
        assert_eq!(rc, 0, "clock_gettime failed");
        Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
    }
}

impl Measurement for Clock {
    type Intermediate = Duration;
    type Value = Duration;

    fn start(&self) -> Duration {
        self.now()
    }
    fn end(&self, start: Duration) -> Duration {
        self.now().saturating_sub(start)
    }
    fn add(&self, a: &Duration, b: &Duration) -> Duration {
        *a + *b
    }
    fn zero(&self) -> Duration {
        Duration::ZERO
    }
    fn to_f64(&self, value: &Duration) -> f64 {
        value.as_nanos() as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        // Nanoseconds either way, so criterion's own time and throughput formatting applies.
        self.formatter.formatter()
    }
}

/// The criterion configuration every bench uses: the [`Clock`] and short runs. The groups also
/// use flat sampling (a loghub iteration takes 10-50 ms), so the whole `cargo bench` stays at
/// about a minute of CPU time.
pub fn criterion() -> Criterion<Clock> {
    Criterion::default()
        .with_measurement(Clock::from_env())
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1))
        .sample_size(20)
}
