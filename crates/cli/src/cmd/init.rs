//! `deckmod init`.

use std::process::ExitCode;

/// Arguments of `deckmod init`.
#[derive(clap::Args)]
pub struct InitArgs {}

/// Run `deckmod init`.
pub fn run(_args: InitArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("deckmod init is not implemented yet")
}
