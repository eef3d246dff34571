//! `deckmod build`.

use std::process::ExitCode;

/// Arguments of `deckmod build`.
#[derive(clap::Args)]
pub struct BuildArgs {}

/// Run `deckmod build`.
pub fn run(_args: BuildArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("deckmod build is not implemented yet")
}
