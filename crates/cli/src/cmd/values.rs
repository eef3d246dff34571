//! `deckmod values`: a module's effective values, as templates see them.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::output::{OutputFormat, print_data};

/// What `deckmod values -o` takes.
const FORMATS: &[(OutputFormat, &str)] = &[
    (
        OutputFormat::Yaml,
        "YAML, as `kubectl -o yaml` and `toYaml` print it",
    ),
    (OutputFormat::Json, "Pretty-printed JSON"),
];

/// Arguments of `deckmod values`.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  deckmod values ./echo-server\n  deckmod values ./echo-server -f settings.yaml --set replicas=3 -o json\n\n\
CONFIG files hold module settings as a ModuleConfig's spec.settings holds them (no module key around \
them); a `global:` key in a CONFIG file overrides the default global values. --set paths are relative to the same root."
)]
pub struct ValuesArgs {
    /// Module folder.
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// Settings file (YAML), applied in order.
    #[arg(short = 'f', long = "values", value_name = "CONFIG")]
    pub files: Vec<PathBuf>,
    /// Set one setting: PATH=VALUE (a.b[0].c=x).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub sets: Vec<String>,
    /// Internal values file (YAML): what hooks put under `<valuesKey>.internal`, applied in order.
    #[arg(long = "internal", value_name = "INTERNAL")]
    pub internal: Vec<PathBuf>,
    /// Set one internal value: PATH=VALUE relative to `<valuesKey>.internal`.
    #[arg(long = "set-internal", value_name = "PATH=VALUE")]
    pub set_internal: Vec<String>,
    /// Output format.
    #[arg(short = 'o', long, default_value = "yaml", value_parser = OutputFormat::parser(FORMATS))]
    pub output: OutputFormat,
}

/// Run `deckmod values`.
pub fn run(args: ValuesArgs) -> anyhow::Result<ExitCode> {
    let module = load_module(&args.path)?;
    let user = module::settings::read_settings(&args.files, &args.sets)?;
    let internal = module::settings::read_internal(&args.internal, &args.set_internal)?;
    match module.template_values(&user.settings, internal.as_ref(), Some(&user.global), false) {
        Ok(v) => {
            print_data(&v, args.output)?;
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprint!("Error: module {}: {e}", module.name());
            Ok(ExitCode::from(1))
        }
    }
}

/// Load a module or fail with every finding, one per line.
pub fn load_module(path: &std::path::Path) -> anyhow::Result<module::Module> {
    module::Module::load(path).map_err(|findings| {
        anyhow::anyhow!(
            "cannot load the module at {}:\n{}",
            path.display(),
            findings
                .iter()
                .map(|f| format!("  {f}"))
                .collect::<Vec<_>>()
                .join("\n")
        )
    })
}
