//! `deckmod push`.

use std::process::ExitCode;

/// Arguments of `deckmod push`.
#[derive(clap::Args)]
pub struct PushArgs {}

/// Run `deckmod push`.
pub fn run(_args: PushArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("deckmod push is not implemented yet")
}
