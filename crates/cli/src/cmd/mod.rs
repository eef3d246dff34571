//! One module per `deckmod` subcommand; each owns its clap arguments and `run`.

pub mod build;
pub mod hook;
pub mod init;
pub mod lint;
pub mod operator;
pub mod pull;
pub mod push;
pub mod release;
pub mod render;
pub mod source;
pub mod template;
pub mod values;
