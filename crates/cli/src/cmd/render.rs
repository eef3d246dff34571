//! `deckmod render`: render a DKP module's chart (the module folder is the
//! chart root) with the values DKP gives it: `{global: {...}, <valuesKey>: {...}}`,
//! the documented default globals (`module::globals`) overridable by a
//! `global:` key in `-f` files, and the module's effective values.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use chart::{PrintOptions, RenderOptions};

use super::values::{load_module, read_settings};

/// Arguments of `deckmod render`.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  deckmod render ./echo-server\n  deckmod render ./echo-server -f settings.yaml --set replicas=3 -s templates/deployment.yaml\n\n\
CONFIG files hold module settings as a ModuleConfig's spec.settings holds them; a `global:` key overrides \
the default global values. Without Chart.yaml, a chart header is synthesized from the module name, as DKP does."
)]
pub struct RenderArgs {
    /// Module folder.
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// Settings file (YAML), applied in order.
    #[arg(short = 'f', long = "values", value_name = "CONFIG")]
    pub files: Vec<PathBuf>,
    /// Set one setting: PATH=VALUE (a.b[0].c=x).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub sets: Vec<String>,
    /// Release namespace (default: module.yaml `namespace`, else `d8-<module>`).
    #[arg(short = 'n', long = "namespace")]
    pub namespace: Option<String>,
    /// Kubernetes version for `.Capabilities.KubeVersion`.
    #[arg(long = "kube-version", value_name = "VERSION")]
    pub kube_version: Option<String>,
    /// Extra API versions for `.Capabilities.APIVersions`.
    #[arg(short = 'a', long = "api-versions", value_name = "API")]
    pub api_versions: Vec<String>,
    /// Only print manifests rendered from these templates.
    #[arg(short = 's', long = "show-only", value_name = "TEMPLATE")]
    pub show_only: Vec<String>,
}

/// Run `deckmod render`.
pub fn run(args: RenderArgs) -> anyhow::Result<ExitCode> {
    let module = load_module(&args.path)?;
    let user = read_settings(&args.files, &args.sets)?;
    let values = match module.template_values(&user.settings, None, Some(&user.global), true) {
        Ok(v) => v,
        Err(e) => anyhow::bail!("module {}: {e}", module.name()),
    };
    let mut files = chart::loader::dir_files(&args.path)?;
    if !files.iter().any(|f| f.name == "Chart.yaml") {
        let header = format!("name: {}\nversion: 0.0.1\n", module.name());
        files.insert(
            0,
            chart::File {
                name: "Chart.yaml".into(),
                data: Arc::from(header.into_bytes()),
            },
        );
    }
    let loaded = chart::loader::load_files(files)?;
    let render_opts = RenderOptions {
        release_name: module.name().to_string(),
        namespace: args
            .namespace
            .or_else(|| module.definition.namespace.clone())
            .unwrap_or_else(|| format!("d8-{}", module.name())),
        is_upgrade: false,
        kube_version: args.kube_version,
        api_versions: args.api_versions,
    };
    let print_opts = PrintOptions {
        show_only: args.show_only,
        ..Default::default()
    };
    let rendered = chart::render(&loaded, &values, &render_opts)
        .map_err(|e| anyhow::anyhow!("module {}: {e}", module.name()))?;
    for w in &rendered.warnings {
        eprintln!("{w}");
    }
    let text = chart::print(&rendered, &print_opts)?;
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    stdout.flush()?;
    Ok(ExitCode::SUCCESS)
}
