//! `deckmod release`: move release channels to a published version.

use std::process::ExitCode;

use registry::{Channel, ModuleVersion, SourceRef, ops};

use super::runtime::block_on;
use super::source::RegistryArgs;

/// Arguments of `deckmod release`.
#[derive(clap::Args)]
pub struct ReleaseArgs {
    /// The module source: REGISTRY-HOST[:PORT]/PATH.
    #[arg(long)]
    pub source: String,
    /// The module name.
    pub module: String,
    /// The published version the channels should point at.
    pub version: String,
    /// Channel(s) to move (repeatable).
    #[arg(long = "channel", value_name = "CHANNEL", required = true)]
    pub channels: Vec<Channel>,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

/// Run `deckmod release`.
pub fn run(args: ReleaseArgs) -> anyhow::Result<ExitCode> {
    let source: SourceRef = args.source.parse()?;
    let version = ModuleVersion::parse(&args.version)?;
    let client = args.registry.client()?;
    for channel in &args.channels {
        // The raw manifest is re-pushed under the channel tag: no blob moves, and the
        // channel digest equals the version's release digest.
        let digest = block_on(ops::move_channel(
            &client,
            &source,
            &args.module,
            &version,
            *channel,
        ))?;
        println!("{}: {channel} -> {version} ({digest})", args.module);
    }
    Ok(ExitCode::SUCCESS)
}
