//! shell-operator / addon-operator hook engine: discovery, config, bindings,
//! binding contexts, runner, outputs, queues.

pub mod config;
pub mod context;
pub mod duration;
pub mod jq;
pub mod outputs;
pub mod runner;
