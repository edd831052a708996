//! axiom supervises AI coding agents and other long-running commands, and steps in when they go wrong.
//!
//! The crate is laid out so data flows downward: [`rules`] turns YAML files into compiled matchers,
//! [`pipeline`] runs bytes through normalize → match → policy and yields interventions. Nothing in
//! those two modules knows about sockets, processes or MCP; the async edges live elsewhere.

pub mod agent;
mod background;
pub mod cli;
pub mod commands;
pub mod dial;
pub mod evidence;
pub mod gate;
pub mod hub;
pub mod human;
pub mod logging;
pub mod mcp;
pub mod pipeline;
pub mod protocol;
pub mod rules;
pub mod shell;
pub mod state;
pub mod task_view;
pub mod tasks;
pub mod transcript;
pub mod worker;
