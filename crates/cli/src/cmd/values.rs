//! `deckmod values`.

use std::process::ExitCode;

/// Arguments of `deckmod values`.
#[derive(clap::Args)]
pub struct ValuesArgs {}

/// Run `deckmod values`.
pub fn run(_args: ValuesArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("deckmod values is not implemented yet")
}
