//! `deckmod source`.

use std::process::ExitCode;

/// Subcommands of `deckmod source`.
#[derive(clap::Subcommand)]
pub enum SourceCommand {
    /// List.
    List {},
}

/// Run `deckmod source`.
pub fn run(_cmd: SourceCommand) -> anyhow::Result<ExitCode> {
    anyhow::bail!("deckmod source is not implemented yet")
}
