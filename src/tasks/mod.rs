//! Tasks: the registry, each task's state and output store, and its intervention log.

mod output;
mod registry;
mod task;

pub use output::{OutputRead, OutputRing, StoredChunk};
pub use registry::Tasks;
pub use task::{now_ms, Task, TaskConfig, TaskError};
