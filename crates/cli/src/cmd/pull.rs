//! `deckmod pull`.

use std::process::ExitCode;

/// Arguments of `deckmod pull`.
#[derive(clap::Args)]
pub struct PullArgs {}

/// Run `deckmod pull`.
pub fn run(_args: PullArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("deckmod pull is not implemented yet")
}
