//! `deckmod source`: inspect a module source, plus the registry connection flags shared by
//! every command that talks to a registry.

use std::path::PathBuf;
use std::process::ExitCode;

use super::runtime::block_on;
use registry::auth::DockerConfig;
use registry::ops::{self, SourceListing};
use registry::{Channel, ClientOptions, RegistryClient, SourceRef};

use crate::output::OutputFormat;

/// How to reach and authenticate to the registry.
#[derive(clap::Args, Clone, Debug)]
pub struct RegistryArgs {
    /// Talk plain HTTP instead of HTTPS (never chosen implicitly).
    #[arg(long)]
    pub plain_http: bool,
    /// PEM bundle of CAs to trust for the registry's TLS certificate.
    #[arg(long, value_name = "FILE")]
    pub ca_file: Option<PathBuf>,
    /// Docker config with credentials: a config.json or a directory holding one
    /// [default: $DOCKER_CONFIG/config.json, then ~/.docker/config.json].
    #[arg(long, value_name = "PATH")]
    pub registry_config: Option<PathBuf>,
}

impl RegistryArgs {
    /// Builds a registry client from the flags.
    pub fn client(&self) -> anyhow::Result<RegistryClient> {
        registry::init_crypto();
        let credentials = DockerConfig::load(self.registry_config.as_deref())?;
        Ok(RegistryClient::new(ClientOptions {
            plain_http: self.plain_http,
            ca_file: self.ca_file.clone(),
            credentials,
            ..ClientOptions::default()
        })?)
    }
}

/// What `deckmod source list -o` takes.
const LIST_FORMATS: &[(OutputFormat, &str)] = &[
    (OutputFormat::Table, "Aligned columns for people"),
    (OutputFormat::Json, "The full listing as JSON"),
];

/// Subcommands of `deckmod source`.
#[derive(clap::Subcommand)]
pub enum SourceCommand {
    /// List the modules of a source with their versions (semver order) and channels.
    List {
        /// The source: REGISTRY-HOST[:PORT]/PATH, as in ModuleSource.spec.registry.repo.
        source: String,
        /// Output format.
        #[arg(short = 'o', long = "output", default_value = "table", value_parser = OutputFormat::parser(LIST_FORMATS))]
        output: OutputFormat,
        #[command(flatten)]
        registry: RegistryArgs,
    },
}

/// Run `deckmod source`.
pub fn run(cmd: SourceCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        SourceCommand::List {
            source,
            output,
            registry,
        } => {
            let source: SourceRef = source.parse()?;
            let client = registry.client()?;
            let listing = block_on(ops::list_source(&client, &source))?;
            match output {
                OutputFormat::Json => println!("{}", serde_json::to_string_pretty(&listing)?),
                OutputFormat::Table => print!("{}", table(&listing)),
                other => return Err(other.unsupported("source list")),
            }
            let failed: Vec<_> = listing
                .modules
                .iter()
                .filter_map(|m| m.error.as_ref().map(|e| format!("{}: {e}", m.name)))
                .collect();
            for failure in &failed {
                eprintln!("error: {failure}");
            }
            Ok(if failed.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
    }
}

/// Renders the listing as aligned columns: module, latest version, version count, channels
/// in stability order.
fn table(listing: &SourceListing) -> String {
    let mut rows = vec![[
        "MODULE".to_string(),
        "LATEST".to_string(),
        "VERSIONS".to_string(),
        "CHANNELS".to_string(),
    ]];
    for module in &listing.modules {
        let channels: Vec<String> = Channel::ALL
            .iter()
            .filter_map(|c| {
                module
                    .channels
                    .get(c.tag())
                    .map(|v| format!("{}={v}", c.tag()))
            })
            .collect();
        rows.push([
            module.name.clone(),
            module
                .versions
                .last()
                .cloned()
                .unwrap_or_else(|| "-".into()),
            module.versions.len().to_string(),
            if channels.is_empty() {
                "-".into()
            } else {
                channels.join(" ")
            },
        ]);
    }
    let widths: Vec<usize> = (0..4)
        .map(|i| rows.iter().map(|r| r[i].len()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for row in rows {
        let line = row
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:width$}"))
            .collect::<Vec<_>>()
            .join("  ");
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}
