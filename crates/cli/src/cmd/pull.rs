//! `deckmod pull`: download and safely extract a module version or channel.

use std::path::PathBuf;
use std::process::ExitCode;

use registry::ops::{self, VersionSelector};
use registry::{Channel, ModuleVersion, SourceRef};

use super::progress::TerminalProgress;
use super::runtime::block_on;
use super::source::RegistryArgs;

/// Arguments of `deckmod pull`.
#[derive(clap::Args)]
#[command(group(clap::ArgGroup::new("which").required(true).args(["version", "channel"])))]
pub struct PullArgs {
    /// The module source: REGISTRY-HOST[:PORT]/PATH.
    #[arg(long)]
    pub source: String,
    /// The module name.
    pub module: String,
    /// Pull this version.
    #[arg(long)]
    pub version: Option<String>,
    /// Pull the version this release channel points at.
    #[arg(long)]
    pub channel: Option<Channel>,
    /// Directory to extract into (replaced atomically) [default: ./<module>].
    #[arg(short = 'o', long = "output")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub registry: RegistryArgs,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Run `deckmod pull`.
pub fn run(args: PullArgs) -> anyhow::Result<ExitCode> {
    let source: SourceRef = args.source.parse()?;
    let selector = match (&args.version, args.channel) {
        (Some(version), _) => VersionSelector::Version(ModuleVersion::parse(version)?),
        (None, Some(channel)) => VersionSelector::Channel(channel),
        (None, None) => anyhow::bail!("one of --version or --channel is required"),
    };
    let output = args
        .output
        .clone()
        .unwrap_or_else(|| PathBuf::from(&args.module));
    let client = args.registry.client()?;
    let progress = TerminalProgress::new(&format!("pull {}", args.module));
    let report = block_on(ops::pull_module(
        &client,
        &source,
        &args.module,
        &selector,
        &output,
        &progress,
    ));
    progress.finish();
    let report = report?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!(
            "pulled {} {} ({}) into {}: {} files, {} bytes",
            report.module,
            report.version,
            report.digest,
            output.display(),
            report.files,
            report.bytes
        );
    }
    Ok(ExitCode::SUCCESS)
}
