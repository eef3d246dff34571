//! Modules from sources (registry-layout §4–§5 and its corrections, "new" generation):
//! a `ModuleSource` is scanned for modules, each wanted module's channel yields a
//! step-by-step chain of `ModuleRelease`s, releases deploy strictly in version order under
//! their `ModuleUpdatePolicy`, a deployed release's module image is downloaded
//! (digest-verified, safely extracted) into the downloaded-modules directory and switched
//! in atomically, and the running operator is asked to reload the module in process
//! ([`ModuleActivator`]). A `ModulePullOverride` replaces a module's releases with a dev tag.
//!
//! Layers: [`chain`] and [`policy`] are pure rules; [`model`] reads the resources;
//! [`layout`] owns the files; [`controller`] is the loop that talks to the cluster and,
//! through the `registry` crate only, to registries.

pub mod chain;
pub mod controller;
pub mod layout;
pub mod model;
pub mod policy;
pub mod story;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use registry::Channel;

pub use controller::Controller;
pub use layout::Layout;

/// Where downloaded modules go when nothing else is configured (the platform's path).
pub const DEFAULT_DOWNLOADED_MODULES_DIR: &str = "/deckhouse/downloaded";

/// The platform's floor of the scan interval.
pub const DEFAULT_MIN_SCAN_INTERVAL: Duration = Duration::from_secs(180);

/// How the module-sources controller runs.
#[derive(Clone, Debug)]
pub struct Options {
    /// `<root>` of the downloaded modules (`--downloaded-modules-dir`,
    /// `DECKMOD_DOWNLOADED_MODULES_DIR`); active modules are `<root>/modules/<m>`.
    pub downloaded_modules_dir: PathBuf,
    /// The shortest scan interval a source may ask for (`--min-scan-interval`, default
    /// 3 minutes as in the platform; lower it for tests and development).
    pub min_scan_interval: Duration,
    /// The platform version that `requirements.deckhouse` of releases is checked against
    /// (`--platform-version`); `None`: that requirement is not checked.
    pub platform_version: Option<String>,
    /// The channel of modules that name no update policy (the platform's embedded policy).
    pub default_channel: Channel,
    /// The update mode of modules that name no update policy.
    pub default_mode: policy::UpdateMode,
    /// Whether modules whose `module.yaml` says `stage: Experimental` may be released.
    pub allow_experimental_modules: bool,
    /// How often pending releases are looked at again when nothing happens (update windows,
    /// `applyAfter`, registry retries); events wake the controller earlier.
    pub recheck_interval: Duration,
    /// Only ModuleSources matching this label selector are served, with their releases and
    /// the overrides of their modules (`None`: all). Lets several controllers share a
    /// cluster, each with its own sources (and the tests run side by side).
    pub source_selector: Option<String>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            downloaded_modules_dir: PathBuf::from(DEFAULT_DOWNLOADED_MODULES_DIR),
            min_scan_interval: DEFAULT_MIN_SCAN_INTERVAL,
            platform_version: None,
            default_channel: Channel::Stable,
            default_mode: policy::UpdateMode::Auto,
            allow_experimental_modules: false,
            recheck_interval: Duration::from_secs(30),
            source_selector: None,
        }
    }
}

/// The running operator's side of activation: what the controller calls once a module's
/// files are in place. Implementations reload the module in process (hooks re-registered,
/// module re-run) — never a process restart.
pub trait ModuleActivator: Send + Sync {
    /// `module`'s files are now at `path` (a complete, verified tree: `<root>/<m>/v<ver>`
    /// or `<root>/<m>/dev`; `<root>/modules/<m>` links to it). Load or reload it.
    /// Called again after every switch, and once per module at start for the copy found
    /// deployed.
    fn activate<'a>(&'a self, module: &'a str, path: &'a Path)
    -> BoxFuture<'a, Result<(), String>>;

    /// `module` has no active copy any more (its deployed release was deleted, or its
    /// override was removed with nothing to go back to): stop running it.
    fn deactivate<'a>(&'a self, module: &'a str) -> BoxFuture<'a, Result<(), String>>;
}

/// The `registry` values of `module` (correction 6: `base`, `dockercfg`, `scheme`, `ca`)
/// from the source of its deployed release, for the operator to inject into the module's
/// values when it activates it; `None` when the module has no deployed release from a
/// source (an embedded module keeps its own settings: users' voice #30).
pub async fn registry_values(
    client: &kube::Client,
    module: &str,
) -> Result<Option<serde_json::Value>, kube::Error> {
    use kube::api::{Api, DynamicObject, ListParams};
    let releases: Api<DynamicObject> =
        Api::all_with(client.clone(), &crate::crds::module_release_resource());
    let deployed = releases
        .list(&ListParams::default().labels(&format!(
            "{}={module},{}=deployed",
            model::LABEL_MODULE,
            model::LABEL_STATUS
        )))
        .await?;
    let Some(source) = deployed.items.iter().find_map(|r| {
        r.metadata
            .labels
            .as_ref()?
            .get(model::LABEL_SOURCE)
            .cloned()
    }) else {
        return Ok(None);
    };
    let sources: Api<DynamicObject> =
        Api::all_with(client.clone(), &crate::crds::module_source_resource());
    Ok(sources
        .get_opt(&source)
        .await?
        .map(|o| model::Source::from_object(&o).registry.module_values()))
}

/// Starts the module-sources controller: watches the distribution resources and
/// ModuleConfigs, scans sources, deploys releases, follows pull overrides. Runs until the
/// task is aborted. Call [`crate::crds::install`] (or `deckmod crds | kubectl apply`) first.
pub fn spawn(
    client: kube::Client,
    opts: Options,
    activator: Arc<dyn ModuleActivator>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        match Controller::new(client, opts, activator).await {
            Ok(controller) => controller.run().await,
            Err(e) => tracing::error!("module sources controller cannot start: {e}"),
        }
    })
}
