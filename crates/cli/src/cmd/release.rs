//! `deckmod release`.

use std::process::ExitCode;

/// Arguments of `deckmod release`.
#[derive(clap::Args)]
pub struct ReleaseArgs {}

/// Run `deckmod release`.
pub fn run(_args: ReleaseArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("deckmod release is not implemented yet")
}
