//! `deckmod status [MODULE]`: a module's story at a glance, read from the cluster by the
//! operator crate (source, policy, channel version, deployed and pending releases and what
//! they wait for, the last error, a pull override).

use std::process::ExitCode;

use crate::output::{OutputFormat, print_data};

const FORMATS: &[(OutputFormat, &str)] = &[
    (OutputFormat::Text, "a few lines per module"),
    (OutputFormat::Json, "the stories as JSON"),
    (OutputFormat::Yaml, "the stories as YAML"),
];

/// Arguments of `deckmod status`.
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  deckmod status\n  deckmod status echo-server -o json")]
pub struct StatusArgs {
    /// Only this module.
    pub module: Option<String>,
    /// Output format.
    #[arg(short = 'o', long, default_value = "text", value_parser = OutputFormat::parser(FORMATS))]
    pub output: OutputFormat,
}

/// Run `deckmod status`; exit 1 when the module is unknown.
pub fn run(args: StatusArgs) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let stories = runtime.block_on(async {
        let client = operator::client().await?;
        anyhow::Ok(operator::sources::story::stories(&client, args.module.as_deref()).await?)
    })?;
    if let Some(m) = &args.module
        && stories.is_empty()
    {
        eprintln!("Error: no source, release or override knows the module {m}");
        return Ok(ExitCode::from(1));
    }
    match args.output {
        OutputFormat::Text => {
            for story in &stories {
                print!("{story}");
            }
        }
        format => print_data(&serde_json::to_value(&stories)?, format)?,
    }
    Ok(ExitCode::SUCCESS)
}
