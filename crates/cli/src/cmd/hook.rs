//! `deckmod hook`.

use std::process::ExitCode;

/// Subcommands of `deckmod hook`.
#[derive(clap::Subcommand)]
pub enum HookCommand {
    /// List.
    List {},
}

/// Run `deckmod hook`.
pub fn run(_cmd: HookCommand) -> anyhow::Result<ExitCode> {
    anyhow::bail!("deckmod hook is not implemented yet")
}
