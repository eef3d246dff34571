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

use chart::PrintOptions;
use module::RenderTarget;

use super::values::load_module;

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
    let user = module::settings::read_settings(&args.files, &args.sets)?;
    let internal = module::settings::read_internal(&args.internal, &args.set_internal)?;
    let values = module
        .template_values(&user.settings, internal.as_ref(), Some(&user.global), true)
        .map_err(|e| anyhow::anyhow!("module {}: {e}", module.name()))?;
    let loaded = module.load_chart()?;
    let target = RenderTarget {
        namespace: args.namespace,
        kube_version: args.kube_version,
        api_versions: args.api_versions,
        is_upgrade: false,
    };
    let print_opts = PrintOptions {
        show_only: args.show_only,
        ..Default::default()
    };
    let (rendered, scratch) = module::render::render_keeping_scratch(
        &module, &loaded, &values, &target,
    )
    .map_err(|e| match e.supply_hint() {
        Some(hint) => anyhow::anyhow!("module {}: {e}\nhint: {hint}", module.name()),
        None => anyhow::anyhow!("module {}: {e}", module.name()),
    })?;
    for w in &rendered.warnings {
        eprintln!("{w}");
    }
    let text = chart::print(&rendered, &print_opts)?;
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    stdout.flush()?;
    // The render's scratch borrows the chart: handed over first.
    crate::lifetime::release_at_exit((rendered, scratch, text));
    crate::lifetime::release_at_exit((module, values, loaded));
    Ok(ExitCode::SUCCESS)
}
