//! `deckmod render`.

use std::process::ExitCode;

/// Arguments of `deckmod render`.
#[derive(clap::Args)]
pub struct RenderArgs {}

/// Run `deckmod render`.
pub fn run(_args: RenderArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("deckmod render is not implemented yet")
}
