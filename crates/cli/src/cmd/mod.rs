//! One module per `deckmod` subcommand; each owns its clap arguments and `run`. `runtime`
//! and `progress` are what the registry commands share: the async bridge and the terminal bar.

pub mod build;
pub mod debug;
pub mod hook;
pub mod init;
pub mod lint;
pub mod operator;
pub mod progress;
pub mod pull;
pub mod push;
pub mod release;
pub mod render;
pub mod runtime;
pub mod source;
pub mod status;
pub mod template;
pub mod values;
