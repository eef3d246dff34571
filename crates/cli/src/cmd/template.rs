//! `deckmod template`: render a Helm chart locally, with the flags and the
//! byte-for-byte output of `helm template`.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use chart::{PrintOptions, RenderOptions, ValueOptions};

/// Arguments of `deckmod template` (the flags of `helm template`).
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  deckmod template ./mychart\n  deckmod template myrelease ./mychart -n prod -f prod.yaml --set image.tag=1.2.3\n  deckmod template ./mychart --kube-version 1.29.0 -a monitoring.coreos.com/v1 -s templates/deployment.yaml"
)]
pub struct TemplateArgs {
    /// The release name, or the chart when no name is given.
    #[arg(value_name = "NAME|CHART")]
    pub first: String,
    /// The chart directory or `.tgz` (after a release name).
    #[arg(value_name = "CHART")]
    pub chart: Option<String>,
    /// Values files, merged in order (`-` reads standard input).
    #[arg(short = 'f', long = "values", value_name = "FILE")]
    pub values: Vec<PathBuf>,
    /// Set values (`a.b=1,c[0]=x,d={x,y}`).
    #[arg(long = "set", value_name = "K=V")]
    pub set: Vec<String>,
    /// Set values, always as strings.
    #[arg(long = "set-string", value_name = "K=V")]
    pub set_string: Vec<String>,
    /// Set values from JSON texts.
    #[arg(long = "set-json", value_name = "K=JSON")]
    pub set_json: Vec<String>,
    /// Set values from the contents of files.
    #[arg(long = "set-file", value_name = "K=PATH")]
    pub set_file: Vec<String>,
    /// `.Release.Namespace`.
    #[arg(
        short = 'n',
        long = "namespace",
        default_value = "default",
        overrides_with = "namespace"
    )]
    pub namespace: String,
    /// `.Release.Name` when NAME is not given.
    #[arg(
        long = "release-name",
        default_value = "release-name",
        hide = true,
        overrides_with = "release_name"
    )]
    pub release_name: String,
    /// Kubernetes version for `.Capabilities.KubeVersion` (default: v1.32.0, as Helm 3.17).
    #[arg(
        long = "kube-version",
        value_name = "VERSION",
        overrides_with = "kube_version"
    )]
    pub kube_version: Option<String>,
    /// Extra API versions for `.Capabilities.APIVersions` (`group/version` or `group/version/Kind`).
    #[arg(short = 'a', long = "api-versions", value_name = "API")]
    pub api_versions: Vec<String>,
    /// Only print manifests rendered from these templates (paths or globs relative to the chart).
    #[arg(short = 's', long = "show-only", value_name = "TEMPLATE")]
    pub show_only: Vec<String>,
    /// Also print the chart's `crds/` files.
    #[arg(long = "include-crds")]
    pub include_crds: bool,
    /// Render as an upgrade (`.Release.IsUpgrade`).
    #[arg(long = "is-upgrade")]
    pub is_upgrade: bool,
    /// Leave out `test` hooks.
    #[arg(long = "skip-tests")]
    pub skip_tests: bool,
    /// Leave out all hooks.
    #[arg(long = "no-hooks")]
    pub no_hooks: bool,
}

/// Run `deckmod template`.
pub fn run(args: TemplateArgs) -> anyhow::Result<ExitCode> {
    let (name, chart_path) = match args.chart {
        Some(chart) => (args.first, chart),
        None => (args.release_name, args.first),
    };
    let value_opts = ValueOptions {
        value_files: args.values,
        values: args.set,
        string_values: args.set_string,
        json_values: args.set_json,
        file_values: args.set_file,
    };
    // Helm merges user values before it loads the chart; keep that order so
    // the first error reported is the same.
    let values = value_opts.merge()?;
    let loaded = chart::load(std::path::Path::new(&chart_path))?;
    let render_opts = RenderOptions {
        release_name: name,
        namespace: args.namespace,
        is_upgrade: args.is_upgrade,
        kube_version: args.kube_version,
        api_versions: args.api_versions,
    };
    let print_opts = PrintOptions {
        include_crds: args.include_crds,
        skip_tests: args.skip_tests,
        no_hooks: args.no_hooks,
        show_only: args.show_only,
    };
    match chart::template(&loaded, &values, &render_opts, &print_opts) {
        Ok((text, warnings)) => {
            for w in warnings {
                eprintln!("{w}");
            }
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(text.as_bytes())?;
            stdout.flush()?;
            Ok(ExitCode::SUCCESS)
        }
        // Helm adds this hint to errors raised while rendering a release.
        Err(e @ chart::Error::Render(_)) => Err(anyhow::anyhow!(
            "{e}\n\nUse --debug flag to render out invalid YAML"
        )),
        Err(e) => Err(e.into()),
    }
}
