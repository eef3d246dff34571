//! `deckmod push`: publish a module version (and optionally channels) to a source.

use std::path::PathBuf;
use std::process::ExitCode;

use registry::{Channel, ModuleVersion, SourceRef, ops};

use super::build::{IMAGES_HELP, ImageArgs, build};
use super::progress::TerminalProgress;
use super::runtime::block_on;

/// Arguments of `deckmod push`.
#[derive(clap::Args)]
#[command(after_help = IMAGES_HELP)]
pub struct PushArgs {
    /// The module directory (ignored with --layout).
    #[arg(default_value = ".")]
    pub module: PathBuf,
    /// The version to publish (vMAJOR.MINOR.PATCH); required unless --layout is given.
    #[arg(long, required_unless_present = "layout")]
    pub version: Option<String>,
    /// The module source: REGISTRY-HOST[:PORT]/PATH.
    #[arg(long)]
    pub source: String,
    /// Also point these release channels at the version (repeatable).
    #[arg(long = "channel", value_name = "CHANNEL")]
    pub channels: Vec<Channel>,
    /// Push a `deckmod build` output directory instead of building the module again.
    #[arg(long, value_name = "DIR", conflicts_with = "images")]
    pub layout: Option<PathBuf>,
    #[command(flatten)]
    pub images: ImageArgs,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Run `deckmod push`.
pub fn run(args: PushArgs) -> anyhow::Result<ExitCode> {
    let source: SourceRef = args.source.parse()?;
    let built = match &args.layout {
        Some(dir) => {
            let built = registry::read_build_output(dir)?;
            if let Some(version) = &args.version
                && ModuleVersion::parse(version)? != built.version
            {
                anyhow::bail!(
                    "--version {version} does not match the build in {} ({})",
                    dir.display(),
                    built.version
                );
            }
            built
        }
        None => {
            let version = args.version.as_deref().unwrap_or_default();
            build(&args.module, version, &args.images)?
        }
    };
    let client = args.images.registry.client()?;
    let progress = TerminalProgress::new(&format!("push {} {}", built.name, built.version));
    let report = block_on(ops::publish(
        &client,
        &source,
        &built,
        &args.channels,
        &progress,
    ));
    progress.finish();
    let report = report?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!("pushed {} {} to {source}", report.module, report.version);
        println!("  module image   {}", report.module_digest);
        println!("  release image  {}", report.release_digest);
        if !report.channels.is_empty() {
            println!("  channels       {}", report.channels.join(", "));
        }
    }
    Ok(ExitCode::SUCCESS)
}
