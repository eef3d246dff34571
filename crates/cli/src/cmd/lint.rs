//! `deckmod lint`: the DKP module linter.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::output::OutputFormat;

/// What `deckmod lint -o` takes.
const FORMATS: &[(OutputFormat, &str)] = &[
    (
        OutputFormat::Text,
        "`file:line:col: rule-id: message`, one per line",
    ),
    (OutputFormat::Json, "A JSON array of findings, for CI"),
];

/// Arguments of `deckmod lint`.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  deckmod lint ./echo-server\n  deckmod lint modules/ -o json\n\n\
Each PATH is a module folder or a folder of modules. Rules are configured per module in .dmtlint.yaml \
(linters-settings.<linter>: disable, impact: error|warn, <rule>: {disable: true}, exclude-rules; \
global.linters-settings.<linter>.rules.<rule>.impact). The container linter checks the chart rendered \
with the default values; its exclude-rules entries are {kind, name, container}. \
Exit status: 0 no errors (warnings allowed), 1 errors found, 2 usage error."
)]
pub struct LintArgs {
    /// Module folders, or folders of modules.
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(short = 'o', long, default_value = "text", value_parser = OutputFormat::parser(FORMATS))]
    pub output: OutputFormat,
}

/// Run `deckmod lint`.
pub fn run(args: LintArgs) -> anyhow::Result<ExitCode> {
    let reports: Vec<module::lint::ModuleReport> = args
        .paths
        .iter()
        .flat_map(|p| module::lint::lint_path(p))
        .collect();
    let errors = reports.iter().any(|r| r.has_errors());
    match args.output {
        OutputFormat::Json => {
            let all: Vec<&module::Finding> = reports.iter().flat_map(|r| &r.findings).collect();
            println!("{}", serde_json::to_string_pretty(&all)?);
        }
        OutputFormat::Text => {
            for r in &reports {
                for f in &r.findings {
                    println!("{f}");
                }
            }
            let (e, w) = reports
                .iter()
                .flat_map(|r| &r.findings)
                .fold((0, 0), |(e, w), f| match f.severity {
                    module::Severity::Error => (e + 1, w),
                    module::Severity::Warning => (e, w + 1),
                });
            eprintln!(
                "{} module(s) checked: {e} error(s), {w} warning(s)",
                reports.len()
            );
        }
        other => return Err(other.unsupported("lint")),
    }
    Ok(if errors {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
