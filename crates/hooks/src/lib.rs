//! shell-operator / addon-operator hook engine: discovery, config, bindings,
//! binding contexts, runner, outputs, queues.

pub mod config;
pub mod context;
pub mod discovery;
pub mod engine;
pub mod jq;
pub mod kinds;
pub mod outputs;
pub mod queue;
pub mod run_dir;
pub mod runner;
pub mod values;
