//! `deckmod lint`: the DKP module linter.

use std::path::PathBuf;
use std::process::ExitCode;

/// Output of `deckmod lint`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LintFormat {
    /// `file:line:col: rule-id: message`, one per line.
    #[default]
    Text,
    /// A JSON array of findings, for CI.
    Json,
}

/// Arguments of `deckmod lint`.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  deckmod lint ./echo-server\n  deckmod lint modules/ -o json\n\n\
Each PATH is a module folder or a folder of modules. Rules are configured per module in .dmtlint.yaml \
(linters-settings.<linter>: disable, impact: error|warn, <rule>: {disable: true}, exclude-rules). \
Exit status: 0 no errors (warnings allowed), 1 errors found, 2 usage error."
)]
pub struct LintArgs {
    /// Module folders, or folders of modules.
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value_t)]
    pub output: LintFormat,
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
        LintFormat::Json => {
            let all: Vec<&module::Finding> = reports.iter().flat_map(|r| &r.findings).collect();
            println!("{}", serde_json::to_string_pretty(&all)?);
        }
        LintFormat::Text => {
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
    }
    Ok(if errors {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
