//! `deckmod template`.

use std::process::ExitCode;

/// Arguments of `deckmod template`.
#[derive(clap::Args)]
pub struct TemplateArgs {}

/// Run `deckmod template`.
pub fn run(_args: TemplateArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("deckmod template is not implemented yet")
}
