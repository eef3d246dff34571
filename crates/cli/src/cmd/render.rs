//! `deckmod render`: render a DKP module's chart (the module folder is the
//! chart root) with the values DKP gives it: `{global: {...}, <valuesKey>: {...}}`,
//! the documented default globals (`module::globals`) overridable by a
//! `global:` key in `-f` files, and the module's effective values.
//!
//! In a cluster the module's hooks fill `<valuesKey>.internal` (certificates,
//! discovered state) before Helm renders. Without hooks, `--internal FILE`
//! and `--set-internal PATH=VALUE` give those values; they are merged over
//! the settings and validated with them against `openapi/values.yaml`
//! (including `x-required-for-helm`), errors naming each JSON pointer.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use chart::{PrintOptions, RenderOptions};
use serde_json::Value;

use super::values::{load_module, read_settings};

/// Arguments of `deckmod render`.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  deckmod render ./echo-server\n  deckmod render ./echo-server -f settings.yaml --set replicas=3 -s templates/deployment.yaml\n\n\
CONFIG files hold module settings as a ModuleConfig's spec.settings holds them; a `global:` key overrides \
the default global values. Without Chart.yaml, a chart header is synthesized from the module name, as DKP does.\n\n\
INTERNAL files hold what the module's hooks put under .Values.<valuesKey>.internal (no module key, no `internal:` \
key around them); --set-internal paths are relative to the same place:\n  \
deckmod render ./snapshot-controller --internal internal.yaml --set-internal customWebhookCert.ca=LS0t..."
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
    /// Internal values file (YAML): what hooks put under `<valuesKey>.internal`, applied in order.
    #[arg(long = "internal", value_name = "INTERNAL")]
    pub internal: Vec<PathBuf>,
    /// Set one internal value: PATH=VALUE relative to `<valuesKey>.internal`.
    #[arg(long = "set-internal", value_name = "PATH=VALUE")]
    pub set_internal: Vec<String>,
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
    let internal = read_internal(&args.internal, &args.set_internal)?;
    let values =
        match module.template_values(&user.settings, internal.as_ref(), Some(&user.global), true) {
            Ok(v) => v,
            Err(e) => anyhow::bail!("module {}: {e}", module.name()),
        };
    let mut files = chart::loader::dir_files(&args.path)?;
    if !files.iter().any(|f| f.name == "Chart.yaml") {
        let header = format!("name: {}\nversion: 0.0.1\n", module.name());
        files.insert(0, chart::File::new("Chart.yaml", header.into_bytes()));
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
        // The process exits right after printing.
        exit_after_render: true,
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
    // The process ends here, as after `deckmod template`: freeing the
    // module, the chart, the render and the output piece by piece would only
    // delay the exit.
    std::mem::forget((module, values, loaded, rendered, text));
    Ok(ExitCode::SUCCESS)
}

/// Internal values from `--internal` files and `--set-internal`, as the
/// overlay `Module::module_values` takes: `{"internal": {...}}`; `None`
/// when neither flag is given.
pub(crate) fn read_internal(files: &[PathBuf], sets: &[String]) -> anyhow::Result<Option<Value>> {
    if files.is_empty() && sets.is_empty() {
        return Ok(None);
    }
    let mut internal = Value::Object(Default::default());
    for f in files {
        let v = super::values::read_yaml_file(f)?;
        match v {
            Value::Null => {}
            Value::Object(_) => module::values::merge(&mut internal, v),
            _ => anyhow::bail!("{}: expected a mapping of internal values", f.display()),
        }
    }
    for s in sets {
        module::values::apply_set(&mut internal, s)
            .map_err(|e| anyhow::anyhow!("--set-internal {e}"))?;
    }
    let mut overlay = serde_json::Map::new();
    overlay.insert("internal".into(), internal);
    Ok(Some(Value::Object(overlay)))
}
