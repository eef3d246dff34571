//! Output formats shared by the commands that print data.

use clap::ValueEnum;

/// How a command prints data.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum DataFormat {
    /// YAML, as `kubectl -o yaml` and `toYaml` print it.
    #[default]
    Yaml,
    /// Pretty-printed JSON.
    Json,
}

/// Print `value` to stdout in `format`.
pub fn print_data(value: &serde_json::Value, format: DataFormat) {
    match format {
        DataFormat::Json => println!(
            "{}",
            serde_json::to_string_pretty(value).unwrap_or_default()
        ),
        DataFormat::Yaml => print!("{}", goyaml::to_string(value)),
    }
}
