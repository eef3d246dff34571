//! The operator assembled: modules loaded from their folders, a worker
//! per module, the configuration source, and an orderly stop.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use crate::cluster::Cluster;
use crate::config::{ConfigRouter, ConfigSource};
use crate::module_worker::{self, ModuleHandle, ModuleMsg, Shared};
use crate::status::{ModulePhase, ModuleReport, StatusWriter};
use crate::watch::WatchHub;

/// How the operator runs.
#[derive(Clone, Debug)]
pub struct Options {
    /// Folders holding modules (`<dir>/<NNN-name>/`).
    pub modules_dirs: Vec<PathBuf>,
    /// The operator's namespace (for the ConfigMap source).
    pub namespace: String,
    /// Where settings come from.
    pub config: ConfigSource,
    /// Where hook runs put their files.
    pub tmp_dir: PathBuf,
    /// Hook timeout.
    pub hook_timeout: Option<Duration>,
    /// Release revisions kept.
    pub history_max: usize,
    /// Install deckmod's CRDs when missing.
    pub install_crds: bool,
}

/// The operator could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The cluster refused.
    #[error(transparent)]
    Cluster(#[from] crate::cluster::ClusterError),
    /// A modules folder cannot be read.
    #[error("{0}: {1}")]
    Io(PathBuf, std::io::Error),
}

/// A running operator.
pub struct Operator {
    shared: Arc<Shared>,
    modules: BTreeMap<String, ModuleHandle>,
    workers: Vec<tokio::task::JoinHandle<()>>,
    config: tokio::task::JoinHandle<()>,
    hub: WatchHub,
}

/// A module folder found in a modules dir: its order and path.
fn module_dirs(dir: &Path) -> Result<Vec<PathBuf>, StartError> {
    let rd = std::fs::read_dir(dir).map_err(|e| StartError::Io(dir.to_path_buf(), e))?;
    let mut found: Vec<(u32, String, PathBuf)> = Vec::new();
    for e in rd.filter_map(Result::ok) {
        let path = e.path();
        if !path.is_dir() {
            continue;
        }
        let dir_name = e.file_name().to_string_lossy().into_owned();
        if dir_name.starts_with('.') {
            continue;
        }
        let (order, name) = module::name::split_dir_name(&dir_name);
        found.push((order.unwrap_or(u32::MAX), name.to_string(), path));
    }
    found.sort();
    Ok(found.into_iter().map(|(_, _, p)| p).collect())
}

impl Operator {
    /// Start: CRDs, modules, workers, configuration.
    pub async fn start(client: kube::Client, opts: Options) -> Result<Operator, StartError> {
        let cluster = Cluster::new(client.clone());
        if opts.install_crds {
            crate::crds::install(&cluster).await?;
        }
        let kube_version = client
            .apiserver_version()
            .await
            .ok()
            .map(|v| v.git_version.trim_start_matches('v').to_string());
        let hub = WatchHub::new(cluster.clone());
        let status = StatusWriter::new(cluster.clone());
        let shared = Arc::new(Shared {
            cluster: cluster.clone(),
            hub: hub.clone(),
            status: status.clone(),
            tmp_root: opts.tmp_dir.clone(),
            hook_timeout: opts.hook_timeout,
            history_max: opts.history_max,
            kube_version,
            run_dirs: Arc::new(hooks::run_dir::RunDirs::new(opts.tmp_dir.join("runs"))),
            stop: hooks::runner::StopSignal::new()
                .map_err(|e| StartError::Io(opts.tmp_dir.clone(), e))
                .ok(),
        });
        let mut modules = BTreeMap::new();
        let mut workers = Vec::new();
        for dir in &opts.modules_dirs {
            for path in module_dirs(dir)? {
                match load(&path).await {
                    Ok((m, hooks)) => {
                        let (handle, task) =
                            module_worker::spawn(shared.clone(), Arc::new(m), hooks, json!({}));
                        modules.insert(handle.name.clone(), handle);
                        workers.push(task);
                    }
                    Err((name, message)) => {
                        tracing::error!(module = name, "cannot load the module: {message}");
                        let report = ModuleReport {
                            name: name.clone(),
                            weight: None,
                            namespace: String::new(),
                            enabled: false,
                            enabled_by_config: None,
                            phase: ModulePhase::Error,
                            message,
                        };
                        if let Err(e) = status.report_module(&report).await {
                            tracing::warn!(module = name, "cannot write the Module status: {e}");
                        }
                    }
                }
            }
        }
        let router = ConfigRouter::new(modules.clone(), status);
        let config = match opts.config.clone() {
            ConfigSource::ModuleConfigs => tokio::spawn(router.run_module_configs(client)),
            ConfigSource::ConfigMap { namespace, name } => {
                tokio::spawn(router.run_config_map(client, namespace, name))
            }
        };
        Ok(Operator {
            shared,
            modules,
            workers,
            config,
            hub,
        })
    }

    /// The module workers, by module name.
    pub fn modules(&self) -> &BTreeMap<String, ModuleHandle> {
        &self.modules
    }

    /// The shared watches.
    pub fn watches(&self) -> &WatchHub {
        &self.hub
    }

    /// Stop taking configuration, stop running hooks (SIGTERM to their
    /// process groups, SIGKILL after `grace`), let each worker end its
    /// task, stop every watch.
    pub async fn shutdown(self, grace: Duration) {
        self.config.abort();
        for m in self.modules.values() {
            let _ = m.tx.send(ModuleMsg::Shutdown);
        }
        if let Some(stop) = &self.shared.stop {
            stop.stop(grace);
        }
        for w in self.workers {
            let _ = w.await;
        }
        self.hub.shutdown();
    }
}

/// Load a module folder and discover its hooks; errors name the module
/// (from its folder when module.yaml is unreadable) and say what is wrong.
async fn load(
    path: &Path,
) -> Result<(module::Module, Vec<hooks::discovery::Hook>), (String, String)> {
    let path = path.to_path_buf();
    tokio::task::spawn_blocking(move || {
        let dir_name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        let fallback = module::name::split_dir_name(&dir_name).1.to_string();
        let m = module::Module::load(&path).map_err(|findings| {
            (
                fallback.clone(),
                findings
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; "),
            )
        })?;
        let hooks_dir = path.join("hooks");
        let hooks = if hooks_dir.is_dir() {
            let opts = hooks::discovery::DiscoveryOptions {
                name_prefix: format!("{dir_name}/hooks/"),
                ..Default::default()
            };
            hooks::discovery::discover_hooks(&hooks_dir, &opts)
                .map_err(|e| (m.name().to_string(), e.to_string()))?
                .0
        } else {
            Vec::new()
        };
        Ok((m, hooks))
    })
    .await
    .unwrap_or_else(|e| Err((String::new(), format!("loading failed: {e}"))))
}
