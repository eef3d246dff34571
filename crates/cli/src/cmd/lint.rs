//! `deckmod lint`.

use std::process::ExitCode;

/// Arguments of `deckmod lint`.
#[derive(clap::Args)]
pub struct LintArgs {}

/// Run `deckmod lint`.
pub fn run(_args: LintArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("deckmod lint is not implemented yet")
}
