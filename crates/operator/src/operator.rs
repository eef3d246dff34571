//! The operator assembled: modules loaded from their folders, a worker
//! per module, the configuration source, and an orderly stop.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use crate::cluster::Cluster;
use crate::config::{ConfigRouter, ConfigSource};
use std::sync::atomic::{AtomicBool, Ordering};

use crate::global_worker::{self, GlobalHandle, GlobalMsg};
use crate::metrics::Metrics;
use crate::module_worker::{self, ModuleHandle, ModuleMsg, ModuleTable, Shared};
use crate::status::{ModulePhase, ModuleReport, StatusWriter};
use crate::watch::WatchHub;

/// How the operator runs.
#[derive(Clone, Debug)]
pub struct Options {
    /// Folders holding modules (`<dir>/<NNN-name>/`).
    pub modules_dirs: Vec<PathBuf>,
    /// addon-operator's global hooks (`GLOBAL_HOOKS_DIR`).
    pub global_hooks_dir: Option<PathBuf>,
    /// shell-operator's hooks folder (`--hooks-dir`): its hooks run with
    /// no values, beside any modules.
    pub hooks_dir: Option<PathBuf>,
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
    /// Serve `/metrics`, `/metrics/hooks`, `/healthz`, `/readyz` here.
    pub listen: Option<std::net::SocketAddr>,
    /// Serve the debug interface ([`crate::debug`]) on this unix socket.
    pub debug_socket: Option<PathBuf>,
    /// The metric names' prefix (`addon_operator_`).
    pub metrics_prefix: String,
    /// The platform (DKP) version modules' `requirements.deckhouse` is
    /// checked against; `None`: not checked.
    pub platform_version: Option<String>,
    /// Run the module-sources controller (ModuleSource → ModuleRelease →
    /// download → activation in this process).
    pub sources: Option<crate::sources::Options>,
    /// How the shell-operator hooks' admission and conversion webhooks are
    /// served (used only when some hook has such a binding).
    pub webhooks: crate::webhooks::Options,
}

impl Default for Options {
    /// No modules or hooks; the defaults of `deckmod operator`'s flags.
    fn default() -> Options {
        Options {
            modules_dirs: Vec::new(),
            global_hooks_dir: None,
            hooks_dir: None,
            namespace: "d8-system".into(),
            config: ConfigSource::ModuleConfigs,
            tmp_dir: std::env::temp_dir().join("deckmod"),
            hook_timeout: Some(Duration::from_secs(600)),
            history_max: 10,
            install_crds: true,
            listen: None,
            debug_socket: None,
            metrics_prefix: "addon_operator_".into(),
            platform_version: None,
            sources: None,
            webhooks: crate::webhooks::Options::default(),
        }
    }
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
    /// The HTTP address cannot be bound.
    #[error("cannot listen on {0}: {1}")]
    Listen(std::net::SocketAddr, std::io::Error),
    /// The debug socket cannot be opened.
    #[error(transparent)]
    Debug(#[from] crate::debug::SocketError),
    /// The hooks' webhooks cannot be served or registered.
    #[error(transparent)]
    Webhooks(#[from] crate::webhooks::WebhookError),
    /// A global or shell-operator hook's configuration is wrong (as in
    /// addon-operator, start-up stops: these hooks run before anything).
    #[error("hooks in {0}: {1}")]
    Hooks(PathBuf, String),
}

/// A running operator.
pub struct Operator {
    shared: Arc<Shared>,
    manager: ModuleManager,
    config: tokio::task::JoinHandle<()>,
    global: Vec<(GlobalHandle, tokio::task::JoinHandle<()>)>,
    hub: WatchHub,
    metrics: Arc<Metrics>,
    ready: Arc<AtomicBool>,
    /// The HTTP server, the readiness watcher, the live ticks.
    background: Vec<tokio::task::JoinHandle<()>>,
    /// Where the HTTP server listens.
    listen: Option<std::net::SocketAddr>,
    /// Where the admission and conversion webhooks listen.
    webhook_addrs: (Option<std::net::SocketAddr>, Option<std::net::SocketAddr>),
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
        let metrics = Arc::new(Metrics::new(&opts.metrics_prefix));
        let hub = WatchHub::new(cluster.clone(), metrics.clone());
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
            metrics: metrics.clone(),
            stages: tokio::sync::watch::Sender::new(BTreeMap::new()),
            settled: tokio::sync::watch::Sender::new(BTreeMap::new()),
            platform_version: opts.platform_version.clone(),
        });
        let ready = Arc::new(AtomicBool::new(false));
        let mut background = Vec::new();
        let mut listen = None;
        if let Some(addr) = opts.listen {
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .map_err(|e| StartError::Listen(addr, e))?;
            listen = listener.local_addr().ok();
            let state = Arc::new(crate::http::HttpState {
                metrics: metrics.clone(),
                ready: ready.clone(),
            });
            background.push(tokio::spawn(crate::http::serve(listener, state)));
        }
        background.push(tokio::spawn({
            let metrics = metrics.clone();
            async move {
                let mut every = tokio::time::interval(Duration::from_secs(10));
                loop {
                    every.tick().await;
                    metrics.tick();
                }
            }
        }));
        let table: ModuleTable = Arc::default();
        let (router_tx, router_rx) = tokio::sync::mpsc::unbounded_channel();
        let manager = ModuleManager {
            shared: shared.clone(),
            table: table.clone(),
            workers: Arc::default(),
            router: router_tx,
            global: Arc::default(),
        };
        let mut loaded = Vec::new();
        for dir in &opts.modules_dirs {
            for path in module_dirs(dir)? {
                match load(&path, None).await {
                    Ok(found) => loaded.push(found),
                    Err((name, message)) => {
                        tracing::error!(module = name, "cannot load the module: {message}");
                        let report = ModuleReport {
                            name: name.clone(),
                            weight: None,
                            namespace: String::new(),
                            enabled: false,
                            enabled_by_config: None,
                            disabled_reason: String::new(),
                            phase: ModulePhase::Error,
                            message,
                        };
                        if let Err(e) = status.report_module(&report, None).await {
                            tracing::warn!(module = name, "cannot write the Module status: {e}");
                        }
                    }
                }
            }
        }
        // Every module is known (undecided) before any decides, so that
        // requirements and the order see the whole set.
        let entries: Vec<crate::order::Entry> = loaded
            .iter()
            .map(|(m, _)| crate::order::Entry {
                name: m.name().to_string(),
                weight: m.definition.weight.unwrap_or(900),
                critical: m.definition.critical.unwrap_or(false),
                requires: m
                    .definition
                    .requirements
                    .as_ref()
                    .map(|r| r.modules.keys().cloned().collect())
                    .unwrap_or_default(),
            })
            .collect();
        let mut before = crate::order::predecessors(&entries);
        shared.stages.send_modify(|stages| {
            for e in &entries {
                stages.insert(e.name.clone(), crate::order::Stage::Undecided);
            }
        });
        for (m, hooks) in loaded {
            let preds = before.remove(m.name()).unwrap_or_default();
            manager.spawn(m, hooks, preds);
        }
        let mut global = Vec::new();
        let mut webhook_addrs = (None, None);
        let mut router = ConfigRouter::new(table.clone(), status).with_control(router_rx);
        let mut global_ready = None;
        if let Some(dir) = &opts.global_hooks_dir {
            let hooks = discover(dir, "global/").await?;
            let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
            let (gate_tx, gate_rx) = tokio::sync::oneshot::channel();
            global_ready = Some(gate_rx);
            // One start-up signal, two listeners: the configuration
            // router's gate and the readiness watcher.
            let (router_tx, router_rx) = tokio::sync::oneshot::channel();
            background.push(tokio::spawn(async move {
                if ready_rx.await.is_ok() {
                    let _ = router_tx.send(());
                    let _ = gate_tx.send(());
                }
            }));
            let ready_rx = router_rx;
            let (handle, task) = global_worker::spawn(
                shared.clone(),
                global_worker::Mode::Global,
                hooks,
                table.clone(),
                ready_tx,
            );
            *manager.global.lock().expect("global handle lock") = Some(handle.clone());
            router = router.with_global_hooks(handle.clone(), ready_rx);
            global.push((handle, task));
        }
        if let Some(dir) = &opts.hooks_dir {
            let hooks = discover(dir, "").await?;
            let (ready_tx, _) = tokio::sync::oneshot::channel();
            let (handle, task) = global_worker::spawn(
                shared.clone(),
                global_worker::Mode::Shell,
                hooks,
                Arc::default(),
                ready_tx,
            );
            let webhook_hooks = crate::webhooks::WebhookHooks {
                hooks: handle.hooks.clone(),
                snapshots: handle.snapshots.clone(),
            };
            global.push((handle, task));
            let mut webhook_opts = opts.webhooks.clone();
            if webhook_opts.namespace.is_empty() {
                webhook_opts.namespace = opts.namespace.clone();
            }
            if webhook_hooks.any() {
                let served =
                    crate::webhooks::start(shared.clone(), &webhook_opts, webhook_hooks).await?;
                webhook_addrs = (served.admission_addr, served.conversion_addr);
                background.extend(served.tasks);
            } else if let Err(e) = crate::webhooks::forget_all(&shared, &webhook_opts).await {
                tracing::warn!("cannot check for stale webhook configurations: {e}");
            }
        }
        if let Some(path) = &opts.debug_socket {
            let listener = crate::debug::bind(path)?;
            let hooks_of = |mode: global_worker::Mode| {
                global
                    .iter()
                    .find(|(h, _)| h.mode == mode)
                    .map(|(h, _)| h.clone())
            };
            let state = Arc::new(crate::debug::DebugState {
                modules: manager.clone(),
                global: hooks_of(global_worker::Mode::Global),
                shell: hooks_of(global_worker::Mode::Shell),
            });
            background.push(tokio::spawn(crate::debug::serve(listener, state)));
        }
        let config = match opts.config.clone() {
            ConfigSource::ModuleConfigs => tokio::spawn(router.run_module_configs(client.clone())),
            ConfigSource::ConfigMap { namespace, name } => {
                tokio::spawn(router.run_config_map(client.clone(), namespace, name))
            }
        };
        if let Some(mut sources) = opts.sources.clone() {
            if sources.platform_version.is_none() {
                sources.platform_version = opts.platform_version.clone();
            }
            background.push(crate::sources::spawn(
                client.clone(),
                sources,
                Arc::new(manager.clone()),
            ));
        }
        background.push(tokio::spawn(watch_readiness(
            manager.handles().into_values().collect(),
            global_ready,
            ready.clone(),
        )));
        Ok(Operator {
            shared,
            manager,
            config,
            global,
            hub,
            metrics,
            ready,
            background,
            listen,
            webhook_addrs,
        })
    }

    /// The global hooks' worker and the shell-operator hooks' worker, in
    /// that order, those that run.
    pub fn hook_workers(&self) -> impl Iterator<Item = &GlobalHandle> {
        self.global.iter().map(|(h, _)| h)
    }

    /// The module workers now, by module name.
    pub fn modules(&self) -> BTreeMap<String, ModuleHandle> {
        self.manager.handles()
    }

    /// Adds, replaces and removes modules while the operator runs.
    pub fn manager(&self) -> ModuleManager {
        self.manager.clone()
    }

    /// The shared watches.
    pub fn watches(&self) -> &WatchHub {
        &self.hub
    }

    /// The metrics.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// Whether the first converge is done (`/readyz`).
    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Relaxed)
    }

    /// Where the admission and the conversion webhooks listen (the bound
    /// addresses when the ports asked for were 0); `None`: not served.
    pub fn webhook_addrs(&self) -> (Option<std::net::SocketAddr>, Option<std::net::SocketAddr>) {
        self.webhook_addrs
    }

    /// Where the HTTP endpoints listen (the bound address when the port
    /// asked for was 0).
    pub fn listen_addr(&self) -> Option<std::net::SocketAddr> {
        self.listen
    }

    /// Stop taking configuration, stop running hooks (SIGTERM to their
    /// process groups, SIGKILL after `grace`), let each worker end its
    /// task, stop every watch.
    pub async fn shutdown(self, grace: Duration) {
        self.config.abort();
        self.ready.store(false, Ordering::Relaxed);
        for b in &self.background {
            b.abort();
        }
        for m in self.manager.handles().values() {
            let _ = m.tx.send(ModuleMsg::Shutdown);
        }
        for (g, _) in &self.global {
            let _ = g.tx.send(GlobalMsg::Shutdown);
        }
        if let Some(stop) = &self.shared.stop {
            stop.stop(grace);
        }
        let workers: Vec<_> =
            std::mem::take(&mut *self.manager.workers.lock().expect("workers lock"))
                .into_values()
                .collect();
        for w in workers {
            let _ = w.await;
        }
        for (_, task) in self.global {
            let _ = task.await;
        }
        self.hub.shutdown();
    }
}

/// Load a module folder and discover its hooks; errors name the module
/// (from `name`, else its folder, when module.yaml is unreadable) and say
/// what is wrong. Hooks are named `<folder or name>/hooks/<file>`.
async fn load(
    path: &Path,
    name: Option<&str>,
) -> Result<(module::Module, Vec<hooks::discovery::Hook>), (String, String)> {
    let path = path.to_path_buf();
    let name = name.map(str::to_string);
    tokio::task::spawn_blocking(move || {
        let dir_name = name.unwrap_or_else(|| {
            path.file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
                .to_string()
        });
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

/// Adds, replaces and removes modules in a running operator (module
/// sources activate downloaded versions through it): no restart, the
/// other modules untouched.
#[derive(Clone)]
pub struct ModuleManager {
    shared: Arc<Shared>,
    table: ModuleTable,
    workers: Arc<std::sync::Mutex<BTreeMap<String, tokio::task::JoinHandle<()>>>>,
    router: tokio::sync::mpsc::UnboundedSender<crate::config::RouterMsg>,
    global: Arc<std::sync::Mutex<Option<GlobalHandle>>>,
}

impl ModuleManager {
    /// The module workers now, by name.
    pub fn handles(&self) -> BTreeMap<String, ModuleHandle> {
        self.table.read().expect("module table lock").clone()
    }

    fn spawn(&self, m: module::Module, hooks: Vec<hooks::discovery::Hook>, before: Vec<String>) {
        let name = m.name().to_string();
        self.shared.stages.send_modify(|stages| {
            stages
                .entry(name.clone())
                .or_insert(crate::order::Stage::Undecided);
        });
        let (handle, task) =
            module_worker::spawn(self.shared.clone(), Arc::new(m), hooks, json!({}), before);
        self.table
            .write()
            .expect("module table lock")
            .insert(name.clone(), handle);
        self.workers
            .lock()
            .expect("workers lock")
            .insert(name, task);
    }

    /// Load the module in `path` and run it: a module of the same name is
    /// stopped first (its release stays: the new version upgrades it),
    /// then the new one takes its configuration and converges. Returns the
    /// module's name.
    pub async fn activate(&self, path: &Path) -> Result<String, String> {
        self.activate_named(path, None).await
    }

    /// [`ModuleManager::activate`] for a folder not named after its module
    /// (a downloaded version, `<root>/<module>/v1.2.3`): hooks are named
    /// after `name`.
    async fn activate_named(&self, path: &Path, name: Option<&str>) -> Result<String, String> {
        let (m, hooks) = load(path, name)
            .await
            .map_err(|(name, e)| format!("{name}: {e}"))?;
        let name = m.name().to_string();
        let old = self.table.write().expect("module table lock").remove(&name);
        if let Some(old) = old {
            let _ = old.tx.send(ModuleMsg::Shutdown);
            let task = self.workers.lock().expect("workers lock").remove(&name);
            if let Some(task) = task {
                let _ = task.await;
            }
            self.shared.stages.send_modify(|s| {
                s.insert(name.clone(), crate::order::Stage::Undecided);
            });
        }
        self.spawn(m, hooks, Vec::new());
        if let Some(g) = self.global.lock().expect("global handle lock").as_ref() {
            let _ = g.tx.send(GlobalMsg::Republish);
        }
        let _ = self
            .router
            .send(crate::config::RouterMsg::Replay(name.clone()));
        tracing::info!(module = name, path = %path.display(), "module activated");
        Ok(name)
    }

    /// Remove module `name`: it is disabled (its release uninstalled, its
    /// delete hooks run) and its worker ends.
    pub async fn deactivate(&self, name: &str) -> Result<(), String> {
        let handle = self
            .table
            .write()
            .expect("module table lock")
            .remove(name)
            .ok_or_else(|| format!("no module {name}"))?;
        let _ = handle.tx.send(ModuleMsg::Remove);
        let task = self.workers.lock().expect("workers lock").remove(name);
        if let Some(task) = task {
            let _ = task.await;
        }
        tracing::info!(module = name, "module removed");
        Ok(())
    }
}

impl crate::sources::ModuleActivator for ModuleManager {
    fn activate<'a>(
        &'a self,
        module: &'a str,
        path: &'a Path,
    ) -> futures::future::BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            let name = self.activate_named(path, Some(module)).await?;
            if name != module {
                return Err(format!(
                    "the release of {module} holds module {name} (module.yaml's name)"
                ));
            }
            Ok(())
        })
    }

    fn deactivate<'a>(
        &'a self,
        module: &'a str,
    ) -> futures::future::BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            if self.handles().contains_key(module) {
                ModuleManager::deactivate(self, module).await
            } else {
                Ok(())
            }
        })
    }
}

/// Discover the hooks of a global or shell-operator hooks folder (each
/// hook's `--config` run); a hook whose configuration fails stops start-up.
async fn discover(dir: &Path, prefix: &str) -> Result<Vec<hooks::discovery::Hook>, StartError> {
    let dir = dir.to_path_buf();
    let prefix = prefix.to_string();
    let found = tokio::task::spawn_blocking({
        let dir = dir.clone();
        move || {
            let opts = hooks::discovery::DiscoveryOptions {
                name_prefix: prefix,
                ..Default::default()
            };
            hooks::discovery::discover_hooks(&dir, &opts).map_err(|e| e.to_string())
        }
    })
    .await
    .map_err(|e| StartError::Hooks(dir.clone(), e.to_string()))?;
    found
        .map(|(hooks, _)| hooks)
        .map_err(|e| StartError::Hooks(dir, e))
}

/// Mark the operator ready once the first converge is done: the global
/// hooks' start-up (if any) is done, and every module has its
/// configuration and an empty queue (or is failing: readiness is about
/// the operator, the module's failure is on its status).
async fn watch_readiness(
    modules: Vec<ModuleHandle>,
    global_ready: Option<tokio::sync::oneshot::Receiver<()>>,
    ready: Arc<AtomicBool>,
) {
    if let Some(rx) = global_ready
        && rx.await.is_err()
    {
        return;
    }
    loop {
        let mut done = true;
        for m in &modules {
            match m.inspect().await {
                Some(s)
                    if s.configured && (s.queue.is_empty() || s.phase == ModulePhase::Error) => {}
                Some(_) => done = false,
                None => {}
            }
        }
        if done {
            ready.store(true, Ordering::Relaxed);
            tracing::info!("first converge done: ready");
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
