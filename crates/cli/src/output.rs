//! The output formats of the commands that print data (`-o/--output`):
//! one enum, each command accepting the formats that make sense for it.

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};

/// How a command prints its result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputFormat {
    /// Lines for people (`lint`'s findings).
    Text,
    /// Aligned columns for people.
    Table,
    /// YAML, as `kubectl -o yaml` and `toYaml` print it.
    Yaml,
    /// Pretty-printed JSON, for scripts and CI.
    Json,
}

const ALL: [OutputFormat; 4] = [
    OutputFormat::Text,
    OutputFormat::Table,
    OutputFormat::Yaml,
    OutputFormat::Json,
];

impl OutputFormat {
    /// The name `-o` takes.
    pub fn name(self) -> &'static str {
        match self {
            OutputFormat::Text => "text",
            OutputFormat::Table => "table",
            OutputFormat::Yaml => "yaml",
            OutputFormat::Json => "json",
        }
    }

    /// The `-o` value parser of a command that prints in `choices`, each with
    /// what it prints there (shown by `--help`): any other format is refused
    /// as clap refuses a value, naming the ones the command takes.
    pub fn parser(
        choices: &'static [(OutputFormat, &'static str)],
    ) -> impl TypedValueParser<Value = OutputFormat> {
        PossibleValuesParser::new(
            choices
                .iter()
                .map(|(format, help)| PossibleValue::new(format.name()).help(*help)),
        )
        .try_map(|name| {
            ALL.into_iter()
                .find(|f| f.name() == name)
                .ok_or_else(|| format!("unknown output format {name:?}"))
        })
    }

    /// The error for a format the command's parser should have refused.
    pub fn unsupported(self, command: &str) -> anyhow::Error {
        anyhow::anyhow!("{command} cannot print -o {}", self.name())
    }
}

impl std::fmt::Display for OutputFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Print `value` to stdout as YAML or JSON.
pub fn print_data(value: &serde_json::Value, format: OutputFormat) -> anyhow::Result<()> {
    match format {
        OutputFormat::Json => println!("{}", serde_json::to_string_pretty(value)?),
        OutputFormat::Yaml => print!("{}", goyaml::to_string(value)),
        other => return Err(other.unsupported("printing data")),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser, Debug)]
    struct Demo {
        #[arg(short = 'o', long, default_value = "table",
              value_parser = OutputFormat::parser(&[(OutputFormat::Table, "columns"), (OutputFormat::Json, "JSON")]))]
        output: OutputFormat,
    }

    #[test]
    fn a_command_takes_only_its_formats() {
        let parse = |args: &[&str]| {
            Demo::try_parse_from(std::iter::once("demo").chain(args.iter().copied()))
        };
        assert_eq!(parse(&[]).unwrap().output, OutputFormat::Table);
        assert_eq!(parse(&["-o", "json"]).unwrap().output, OutputFormat::Json);
        assert_eq!(
            parse(&["--output=table"]).unwrap().output,
            OutputFormat::Table
        );
        let err = parse(&["-o", "yaml"]).unwrap_err().to_string();
        assert!(
            err.contains("invalid value 'yaml'") && err.contains("[possible values: table, json]"),
            "{err}"
        );
    }
}
