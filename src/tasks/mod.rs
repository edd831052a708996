//! Tasks: the registry, each task's state and output store, and its intervention log.

pub mod history;
pub mod journal;
mod output;
mod registry;
mod task;

pub use journal::{Journal, JournalConfig};
pub use output::{OutputRead, OutputRing, StoredChunk};
pub use registry::{LoadedRules, Retention, RuleReload, Tasks};
pub use task::{
    hooked_command, hooked_session, now_ms, Attached, Task, TaskConfig, TaskError, HOOKED, INTERVENTIONS_PAGE,
    OUTSTANDING_LIMIT,
};
