//! One module's life in the cluster, as addon-operator's ModuleRun and
//! ModuleDelete tasks live it, on one task queue of its own (so a module
//! that fails or hangs never holds up another):
//!
//! - enable: onStartup hooks (ORDER), then the kubernetes bindings start
//!   (shared watches) and their Synchronization runs, then schedules;
//! - run: beforeHelm hooks → values → render in process → release
//!   (server-side apply, prune, Helm record) → afterHelm hooks; a values
//!   change by afterHelm, by an Event or Schedule run, by the settings or
//!   by the global values runs it again;
//! - drift: the release's objects are watched (by the module label) and
//!   an object deleted or edited in a field deckmod owns is re-applied;
//! - disable: beforeDeleteHelm, uninstall, afterDeleteHelm, watches and
//!   schedules stopped, state reset (a later enable starts over).
//!
//! A failed task stays at the head of the queue and is retried with the
//! shell-operator backoff (5 s, then 5 s + 2^(n-1) s, at most 32 s); a
//! `allowFailure` binding's failure is logged and dropped. The hooks'
//! bindings and the combining of queued runs are [`crate::hook_set`]'s.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use hooks::config::LifecycleBinding;
use hooks::context::BindingContext;
use hooks::discovery::Hook;
use serde_json::{Value, json};
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use crate::cluster::Cluster;
use crate::hook_call::{self, HookCall};
use crate::hook_set::{self, HookRun, HookSet, HookSetMsg, jitter};
use crate::objects::ObjectKey;
use crate::order::Stage;
use crate::patches::PatchLog;
use crate::release::{self, ReleaseOutcome, ReleaseRequest};
use crate::status::{ModulePhase, ModuleReport, StatusWriter};
use crate::watch::{WatchEvent, WatchHub, WatchKey};

/// Process-wide settings and handles a module worker uses.
pub struct Shared {
    /// The cluster.
    pub cluster: Cluster,
    /// Shared watches.
    pub hub: WatchHub,
    /// Status objects.
    pub status: StatusWriter,
    /// Where hook runs put their files.
    pub tmp_root: std::path::PathBuf,
    /// Hook timeout.
    pub hook_timeout: Option<Duration>,
    /// Release history kept (`HELM_HISTORY_MAX`).
    pub history_max: usize,
    /// `.Capabilities.KubeVersion` for renders.
    pub kube_version: Option<String>,
    /// Per-run hook directories, reused.
    pub run_dirs: Arc<hooks::run_dir::RunDirs>,
    /// Stops running hooks on shutdown.
    pub stop: Option<hooks::runner::StopSignal>,
    /// The operator's metrics.
    pub metrics: Arc<crate::metrics::Metrics>,
    /// Every known module's [`Stage`]: whether it is enabled (for
    /// `requirements.modules` and the enabled scripts'
    /// `global.enabledModules`) and whether its first converge ended (for
    /// the modules' order, [`crate::order`]).
    pub stages: tokio::sync::watch::Sender<BTreeMap<String, Stage>>,
    /// The platform version `requirements.deckhouse` is checked against.
    pub platform_version: Option<String>,
    /// The last converge round of the global worker each module settled
    /// (ran with the round's values, well or not, or is disabled): the
    /// round's afterAll hooks wait for every module
    /// ([`crate::global_worker`]).
    pub settled: tokio::sync::watch::Sender<BTreeMap<String, u64>>,
}

impl Shared {
    /// A run of `hook` with this process's run settings (temp root, hook
    /// timeout, reused run directories, the stop signal).
    pub fn hook_call(
        &self,
        hook: Arc<hooks::discovery::Hook>,
        contexts: Vec<hooks::context::BindingContext>,
        values: Value,
        config_values: Value,
        module: Option<Arc<module::Module>>,
    ) -> HookCall {
        HookCall {
            hook,
            contexts,
            values,
            config_values,
            module,
            tmp_root: self.tmp_root.clone(),
            timeout: self.hook_timeout,
            run_dirs: Some(self.run_dirs.clone()),
            stop: self.stop.clone(),
        }
    }
}

/// What a module's settings source says.
#[derive(Clone, Debug, PartialEq)]
pub struct ModuleConfigState {
    /// `spec.enabled` (`None`: the module's default).
    pub enabled: Option<bool>,
    /// Validated settings.
    pub settings: Value,
}

/// A message to a module worker.
#[derive(Debug)]
pub enum ModuleMsg {
    /// The module's config changed (already validated).
    Config(ModuleConfigState),
    /// The global values of a converge round (round 0: no rounds, the
    /// values only).
    Global {
        /// The global values.
        values: Value,
        /// The round's number.
        round: u64,
    },
    /// What global hooks say of this module's enabled state
    /// (`/<valuesKey>Enabled` in their values; `None`: nothing).
    DynamicEnabled(Option<bool>),
    /// A message of the module's hook bindings (watches, schedules).
    Hooks(HookSetMsg),
    /// Another module was enabled or disabled: decide again (the module
    /// requires other modules).
    Reconsider,
    /// A predecessor in the modules' order moved on: a first run waiting
    /// for it may start.
    Wake,
    /// The module is removed from the operator: disable it (its release is
    /// uninstalled), then end.
    Remove,
    /// An event of the drift watch over the release's objects.
    Drift {
        /// The enable generation it belongs to.
        generation: u64,
        /// The event.
        event: WatchEvent,
    },
    /// Report the module's state (for the debug interface and tests).
    Inspect(oneshot::Sender<ModuleSnapshot>),
    /// Render the chart with the values as they are now, beside the
    /// manifest of the deployed revision (the debug interface's
    /// `module render`).
    Preview(oneshot::Sender<Result<RenderPreview, String>>),
    /// Stop: finish the running task, then end.
    Shutdown,
}

impl From<HookSetMsg> for ModuleMsg {
    fn from(m: HookSetMsg) -> ModuleMsg {
        ModuleMsg::Hooks(m)
    }
}

/// What the module's chart renders now, and what its release deployed.
#[derive(Clone, Debug)]
pub struct RenderPreview {
    /// The manifest rendered now (as a release records it).
    pub manifest: String,
    /// The deployed revision and its manifest; `None`: not deployed.
    pub deployed: Option<(u32, String)>,
}

impl RenderPreview {
    /// A unified diff from the deployed manifest to the one rendered now;
    /// empty when they are the same.
    pub fn diff(&self) -> String {
        let (label, old) = match &self.deployed {
            Some((revision, manifest)) => {
                (format!("deployed (revision {revision})"), manifest.as_str())
            }
            None => ("nothing deployed".to_string(), ""),
        };
        if old == self.manifest {
            return String::new();
        }
        similar::TextDiff::from_lines(old, self.manifest.as_str())
            .unified_diff()
            .context_radius(3)
            .header(&label, "rendered now")
            .to_string()
    }
}

/// A read-only view of a module worker's state.
#[derive(Clone, Debug)]
pub struct ModuleSnapshot {
    /// Module name.
    pub name: String,
    /// Whether it is enabled.
    pub enabled: bool,
    /// Its phase.
    pub phase: ModulePhase,
    /// The values its chart was last rendered with.
    pub values: Value,
    /// Snapshots by hook and binding.
    pub snapshots: BTreeMap<String, BTreeMap<String, Vec<Value>>>,
    /// Queued tasks, head first.
    pub queue: Vec<String>,
    /// The last error.
    pub last_error: Option<String>,
    /// Whether the configuration source has spoken for the module.
    pub configured: bool,
}

#[derive(Debug)]
enum Task {
    /// onStartup hooks, then bindings and schedules.
    Startup,
    /// One hook run for a binding.
    HookRun(HookRun),
    /// beforeHelm → render → release → afterHelm.
    ModuleRun,
    /// Re-apply one object of the release (drift).
    Reapply(ObjectKey),
    /// beforeDeleteHelm → uninstall → afterDeleteHelm → reset.
    Delete,
}

impl Task {
    fn label(&self) -> String {
        match self {
            Task::Startup => "Startup".into(),
            Task::HookRun(r) => format!("HookRun {} {}", r.hook, r.event.binding()),
            Task::ModuleRun => "ModuleRun".into(),
            Task::Reapply(k) => format!("Reapply {k}"),
            Task::Delete => "Delete".into(),
        }
    }
}

/// The running module workers by name, shared by the operator (which
/// adds and removes modules while it runs), the configuration router and
/// the global hooks' worker.
pub type ModuleTable = Arc<std::sync::RwLock<BTreeMap<String, ModuleHandle>>>;

/// Handle to a running module worker.
#[derive(Clone)]
pub struct ModuleHandle {
    /// Module name.
    pub name: String,
    /// Its messages.
    pub tx: mpsc::UnboundedSender<ModuleMsg>,
    /// The loaded module.
    pub module: Arc<module::Module>,
}

impl ModuleHandle {
    /// The worker's current state.
    pub async fn inspect(&self) -> Option<ModuleSnapshot> {
        let (tx, rx) = oneshot::channel();
        self.tx.send(ModuleMsg::Inspect(tx)).ok()?;
        rx.await.ok()
    }

    /// What the chart renders now beside the deployed revision (after the
    /// worker's running task); `None`: the worker is stopping.
    pub async fn preview(&self) -> Option<Result<RenderPreview, String>> {
        let (tx, rx) = oneshot::channel();
        self.tx.send(ModuleMsg::Preview(tx)).ok()?;
        rx.await.ok()
    }
}

/// Start a worker for `module` with its discovered `hooks`; its first run
/// waits for the modules in `before` ([`crate::order::predecessors`]).
pub fn spawn(
    shared: Arc<Shared>,
    module: Arc<module::Module>,
    hooks: Vec<Hook>,
    global: Value,
    before: Vec<String>,
) -> (ModuleHandle, tokio::task::JoinHandle<()>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let handle = ModuleHandle {
        name: module.name().to_string(),
        tx: tx.clone(),
        module: module.clone(),
    };
    let hook_set = HookSet::new(module.name(), hooks, tx.clone(), shared.metrics.clone());
    let worker = Worker {
        shared,
        module,
        hooks: hook_set,
        tx,
        config: None,
        global,
        disabled_reason: String::new(),
        dynamic_enabled: None,
        enabled: false,
        generation: 0,
        startup_done: false,
        queue: VecDeque::new(),
        patches: PatchLog::default(),
        failures: 0,
        retry_at: None,
        last_error: None,
        phase: ModulePhase::Available,
        rendered_values: Value::Null,
        applied: HashMap::new(),
        drift_subs: Vec::new(),
        reported: None,
        before,
        removing: false,
        round: 0,
        settled_round: 0,
        failed_in_round: false,
    };
    // A module that requires other modules, or whose enabled script reads
    // which are enabled, decides again when one of them changes.
    let depends = worker
        .module
        .definition
        .requirements
        .as_ref()
        .is_some_and(|r| !r.modules.is_empty())
        || worker.module.root.join("enabled").is_file();
    // A module with predecessors is woken when they move on.
    if depends || !worker.before.is_empty() {
        let mut changes = worker.shared.stages.subscribe();
        let tx = worker.tx.clone();
        let name = worker.module.name().to_string();
        let before = worker.before.clone();
        tokio::spawn(async move {
            let others = |m: &BTreeMap<String, Stage>| -> BTreeMap<String, bool> {
                m.iter()
                    .filter(|(n, _)| **n != name)
                    .map(|(n, s)| (n.clone(), s.enabled()))
                    .collect()
            };
            let preds = |m: &BTreeMap<String, Stage>| -> Vec<Option<Stage>> {
                before.iter().map(|p| m.get(p).copied()).collect()
            };
            let (mut last_enabled, mut last_preds) = {
                let m = changes.borrow_and_update();
                (others(&m), preds(&m))
            };
            while changes.changed().await.is_ok() {
                let (now_enabled, now_preds) = {
                    let m = changes.borrow_and_update();
                    (others(&m), preds(&m))
                };
                if depends && now_enabled != last_enabled && tx.send(ModuleMsg::Reconsider).is_err()
                {
                    break;
                }
                if now_preds != last_preds && tx.send(ModuleMsg::Wake).is_err() {
                    break;
                }
                last_enabled = now_enabled;
                last_preds = now_preds;
            }
        });
    }
    let task = tokio::spawn(worker.run(rx));
    (handle, task)
}

struct Worker {
    shared: Arc<Shared>,
    module: Arc<module::Module>,
    hooks: HookSet<ModuleMsg>,
    tx: mpsc::UnboundedSender<ModuleMsg>,
    config: Option<ModuleConfigState>,
    global: Value,
    /// Why the module is disabled (the extender or requirement).
    disabled_reason: String,
    dynamic_enabled: Option<bool>,
    enabled: bool,
    generation: u64,
    startup_done: bool,
    queue: VecDeque<Task>,
    patches: PatchLog,
    failures: u32,
    retry_at: Option<Instant>,
    last_error: Option<String>,
    phase: ModulePhase,
    rendered_values: Value,
    /// The objects of the deployed release: what was applied and the
    /// resourceVersion the apply left (an event at another version is
    /// someone else's change).
    applied: HashMap<ObjectKey, (Value, String)>,
    drift_subs: Vec<(WatchKey, u64)>,
    reported: Option<ModuleReport>,
    /// Modules whose first converge this one's first run waits for.
    before: Vec<String>,
    /// Removed from the operator: end once the queue is empty.
    removing: bool,
    /// The last converge round received.
    round: u64,
    /// The last round reported settled.
    settled_round: u64,
    /// A task failed since the round was received: the module has had
    /// its attempt and does not hold the round.
    failed_in_round: bool,
}

impl Worker {
    fn name(&self) -> &str {
        self.module.name()
    }

    async fn run(mut self, mut rx: mpsc::UnboundedReceiver<ModuleMsg>) {
        self.report().await;
        loop {
            if self.removing && self.queue.is_empty() {
                // Removed: gone from the order and the requirements too.
                let name = self.name().to_string();
                self.shared.stages.send_modify(|m| {
                    m.remove(&name);
                });
                self.shared.settled.send_modify(|m| {
                    m.remove(&name);
                });
                break;
            }
            self.publish_settled();
            // Take every message that is there, then work.
            let ready = self.next_ready().is_some();
            let msg = match hook_set::next(&mut rx, ready, &mut self.retry_at).await {
                hook_set::Next::Work => {
                    self.work().await;
                    continue;
                }
                hook_set::Next::Again => continue,
                hook_set::Next::Closed => None,
                hook_set::Next::Message(m) => Some(m),
            };
            match msg {
                None | Some(ModuleMsg::Shutdown) => break,
                Some(ModuleMsg::Remove) => {
                    self.removing = true;
                    if self.enabled || self.config.is_some() {
                        self.enabled = false;
                        self.queue.clear();
                        self.queue.push_back(Task::Delete);
                    }
                }
                Some(m) => self.handle(m).await,
            }
        }
        self.stop_watches();
    }

    async fn handle(&mut self, msg: ModuleMsg) {
        match msg {
            ModuleMsg::Config(c) => {
                let changed = self.config.as_ref() != Some(&c);
                self.config = Some(c);
                if changed {
                    self.reconsider().await;
                }
            }
            ModuleMsg::Reconsider if self.config.is_some() => self.reconsider().await,
            ModuleMsg::DynamicEnabled(e) if e != self.dynamic_enabled => {
                self.dynamic_enabled = e;
                // Before the configuration source has spoken the module
                // stays as it is: its first Config decides with this.
                if self.config.is_some() {
                    self.reconsider().await;
                }
            }
            ModuleMsg::Global { values, round } => {
                if round > self.round {
                    self.round = round;
                    self.failed_in_round = false;
                }
                if values != self.global {
                    self.global = values;
                    if self.enabled {
                        self.push_module_run();
                    }
                }
            }
            ModuleMsg::Hooks(m) => {
                let retry = matches!(m, HookSetMsg::RetryBinding { .. });
                let runs = self
                    .hooks
                    .on_message(
                        m,
                        self.enabled,
                        &self.shared.hub,
                        &self.shared.cluster.resources,
                    )
                    .await;
                self.queue.extend(runs.into_iter().map(Task::HookRun));
                if retry {
                    self.report().await;
                }
            }
            ModuleMsg::Drift { generation, event } if generation == self.generation => {
                self.on_drift(event)
            }
            ModuleMsg::Inspect(reply) => {
                let _ = reply.send(self.snapshot());
            }
            ModuleMsg::Preview(reply) => {
                let _ = reply.send(self.preview().await);
            }
            _ => {}
        }
    }

    fn snapshot(&self) -> ModuleSnapshot {
        let snapshots = self.hooks.snapshot_view();
        ModuleSnapshot {
            name: self.name().to_string(),
            enabled: self.enabled,
            phase: self.phase,
            values: self.rendered_values.clone(),
            snapshots,
            queue: self.queue.iter().map(Task::label).collect(),
            last_error: self.last_error.clone(),
            configured: self.config.is_some(),
        }
    }

    /// Enabled resolution: the extender chain of [`crate::enabled`]
    /// (static, global hooks, configuration, the `enabled` script, then
    /// the requirements); keeps why the module is disabled.
    async fn resolve_enabled(&mut self) -> bool {
        let opinions = crate::enabled::Opinions {
            static_enabled: self.module.static_enabled(),
            dynamic: self.dynamic_enabled,
            config: self.config.as_ref().and_then(|c| c.enabled),
        };
        let before = crate::enabled::before_script(&opinions);
        let mut script = None;
        if before.enabled
            && let Some(path) = self.enabled_script()
        {
            let values = self.enabled_script_values();
            script =
                Some(run_enabled_script(&path, &self.shared.tmp_root, self.name(), &values).await);
        }
        let modules: BTreeMap<String, bool> = self
            .shared
            .stages
            .borrow()
            .iter()
            .map(|(n, s)| (n.clone(), s.enabled()))
            .collect();
        let kube = self.shared.kube_version.clone();
        let env = crate::enabled::Environment {
            kubernetes: kube.as_deref(),
            platform: self.shared.platform_version.as_deref(),
            modules: &modules,
        };
        let decision = crate::enabled::resolve(
            before,
            script,
            self.module.definition.requirements.as_ref(),
            &env,
        );
        self.disabled_reason = decision.reason;
        decision.enabled
    }

    /// The values an `enabled` script reads (`VALUES_PATH`): the module's
    /// values and the global values with `enabledModules`: every other
    /// module enabled now, by name (addon-operator lists those before the
    /// module in its graph order; deckmod's modules converge side by side,
    /// so there is no "before").
    fn enabled_script_values(&self) -> Value {
        let mut global = self.global_values();
        let before: Vec<String> = self
            .shared
            .stages
            .borrow()
            .iter()
            .filter(|(name, s)| s.enabled() && name.as_str() != self.name())
            .map(|(name, _)| name.clone())
            .collect();
        if let Some(g) = global.as_object_mut() {
            g.insert("enabledModules".into(), json!(before));
        }
        let module = self.module_values().unwrap_or_else(|_| json!({}));
        self.module.values_document(global, module)
    }

    fn stage(&self) -> Stage {
        self.shared
            .stages
            .borrow()
            .get(self.name())
            .copied()
            .unwrap_or(Stage::Undecided)
    }

    fn set_stage(&self, stage: Stage) {
        let name = self.name().to_string();
        self.shared
            .stages
            .send_if_modified(|m| m.insert(name, stage) != Some(stage));
    }

    /// Whether the first run after an enable may start: the modules
    /// before this one are disabled or done ([`crate::order`]).
    fn order_allows(&self) -> bool {
        self.stage() != Stage::Pending
            || crate::order::may_start(&self.before, &self.shared.stages.borrow())
    }

    fn enabled_script(&self) -> Option<std::path::PathBuf> {
        let p = self.module.root.join("enabled");
        p.is_file().then_some(p)
    }

    async fn reconsider(&mut self) {
        let want = self.resolve_enabled().await;
        let stage = self.stage();
        if want != stage.enabled() || stage == Stage::Undecided {
            self.set_stage(if want {
                Stage::Pending
            } else {
                Stage::Disabled
            });
        }
        match (self.enabled, want) {
            (false, true) => {
                self.enabled = true;
                self.generation += 1;
                self.queue.retain(|t| !matches!(t, Task::Delete));
                self.queue.push_back(Task::Startup);
                self.queue.push_back(Task::ModuleRun);
                self.phase = ModulePhase::Reconciling;
            }
            (true, false) => {
                self.enabled = false;
                self.queue.clear();
                self.queue.push_back(Task::Delete);
            }
            (true, true) => self.push_module_run(),
            (false, false) => {
                // A module disabled from the start may still have a release
                // from an earlier run: remove it.
                if self.config.is_some() && !self.queue.iter().any(|t| matches!(t, Task::Delete)) {
                    self.queue.push_back(Task::Delete);
                }
            }
        }
        self.report().await;
    }

    fn push_module_run(&mut self) {
        if !self.queue.iter().any(|t| matches!(t, Task::ModuleRun)) {
            self.queue.push_back(Task::ModuleRun);
        }
    }

    /// The first task that can run now: a ModuleRun waits for startup and
    /// for the Synchronization of every binding that asks for it.
    fn next_ready(&self) -> Option<usize> {
        let syncing = self.hooks.syncing();
        self.queue.iter().position(|t| match t {
            Task::Startup => self.order_allows(),
            Task::ModuleRun => self.startup_done && !syncing && self.order_allows(),
            Task::Reapply(_) => self.startup_done,
            _ => true,
        })
    }

    async fn work(&mut self) {
        let Some(i) = self.next_ready() else {
            return;
        };
        let task = self.queue.remove(i).expect("index from next_ready");
        let label = task.label();
        let started = std::time::Instant::now();
        let result = match &task {
            Task::Startup => self.startup().await,
            Task::HookRun(run) => self.hook_run(run).await,
            Task::ModuleRun => self.module_run().await,
            Task::Reapply(key) => self.reapply(key).await,
            Task::Delete => self.delete().await,
        };
        let metrics = &self.shared.metrics;
        match (&task, &result) {
            (Task::ModuleRun, r) => {
                metrics.module_run(self.module.name(), started.elapsed(), r.is_ok())
            }
            (Task::Delete, Err(_)) => metrics.module_delete_failed(self.module.name()),
            _ => {}
        }
        // The first attempt ended (well or not): modules after this one in
        // the order may start.
        if (matches!(task, Task::ModuleRun) || matches!((&task, &result), (Task::Startup, Err(_))))
            && self.stage() == Stage::Pending
        {
            self.set_stage(Stage::Done);
        }
        match result {
            Ok(()) => {
                self.failures = 0;
                self.retry_at = None;
                if matches!(task, Task::ModuleRun) {
                    self.last_error = None;
                }
            }
            Err(TaskError::Drop(e)) => {
                tracing::warn!(module = self.name(), task = label, "allowed failure: {e}");
            }
            Err(TaskError::Retry(e)) => {
                let delay = hooks::queue::backoff::retry_delay(self.failures, jitter());
                self.failures = self.failures.saturating_add(1);
                tracing::error!(
                    module = self.name(),
                    task = label,
                    retry_in = ?delay,
                    "task failed: {e}"
                );
                self.last_error = Some(e);
                self.failed_in_round = true;
                self.phase = ModulePhase::Error;
                self.retry_at = Some(Instant::now() + delay);
                // Back to the head: it is retried before anything behind it.
                self.queue.insert(i.min(self.queue.len()), task);
            }
        }
        self.shared
            .metrics
            .queue_length(self.module.name(), self.queue.len());
        self.report().await;
    }

    /// Report the received round settled once the module is decided and
    /// has no run, start-up or removal left for it (or one of them failed:
    /// its error is on its status, and the round goes on without it).
    fn publish_settled(&mut self) {
        if self.round <= self.settled_round || self.config.is_none() {
            return;
        }
        let busy = self
            .queue
            .iter()
            .any(|t| matches!(t, Task::Startup | Task::ModuleRun | Task::Delete));
        if busy && !self.failed_in_round {
            return;
        }
        self.settled_round = self.round;
        let (name, round) = (self.name().to_string(), self.round);
        self.shared.settled.send_modify(|m| {
            m.insert(name, round);
        });
    }

    async fn report(&mut self) {
        let waiting = self.hooks.waiting();
        let report = ModuleReport {
            name: self.name().to_string(),
            weight: self.module.definition.weight,
            namespace: self.module.namespace(),
            enabled: self.enabled,
            enabled_by_config: self.config.as_ref().and_then(|c| c.enabled),
            disabled_reason: self.disabled_reason.clone(),
            phase: self.phase,
            message: match (&self.last_error, waiting.is_empty()) {
                (Some(e), _) => e.clone(),
                (None, false) => waiting.join("; "),
                (None, true) => String::new(),
            },
        };
        if self.reported.as_ref() != Some(&report) {
            let previous = self.reported.as_ref();
            if let Err(e) = self.shared.status.report_module(&report, previous).await {
                tracing::warn!(module = self.name(), "cannot write the Module status: {e}");
            } else {
                self.reported = Some(report);
            }
        }
    }

    // ---- values ---------------------------------------------------------

    fn settings(&self) -> Value {
        self.config
            .as_ref()
            .map(|c| c.settings.clone())
            .unwrap_or_else(|| json!({}))
    }

    /// The module's values now: static ⊕ settings ⊕ defaults, then the
    /// hooks' patches.
    fn module_values(&self) -> Result<Value, String> {
        let base = self
            .module
            .module_values(&self.settings(), None, false)
            .map_err(|e| e.to_string())?;
        Ok(
            self.patches.apply(&json!({&self.module.values_key: base}))[&self.module.values_key]
                .clone(),
        )
    }

    fn global_values(&self) -> Value {
        self.module.global_values(Some(&self.global))
    }

    fn hook_values(&self) -> Result<(Value, Value), String> {
        let values = self
            .module
            .values_document(self.global_values(), self.module_values()?);
        let config = self
            .module
            .config_values(&self.settings())
            .map_err(|e| e.to_string())?;
        let config_values = self.module.values_document(json!({}), config);
        Ok((values, config_values))
    }

    // ---- hooks ----------------------------------------------------------

    /// Run one hook with `contexts`; apply its values patch and execute
    /// its object operations. Returns whether the module's values changed.
    async fn call_hook(
        &mut self,
        hook: usize,
        contexts: Vec<BindingContext>,
        allow_failure: bool,
    ) -> Result<bool, String> {
        let (values, config_values) = self.hook_values()?;
        let outcome = hook_call::run(self.shared.hook_call(
            self.hooks.hooks[hook].clone(),
            contexts,
            values.clone(),
            config_values,
            Some(self.module.clone()),
        ))
        .await;
        hook_call::log_output(&outcome, Some(self.name()));
        let metrics = &self.shared.metrics;
        metrics.hook_run(
            crate::metrics::HookOwner::Module(self.module.name()),
            &outcome.hook,
            &outcome.binding,
            self.module.name(),
            outcome.duration,
            crate::metrics::RunResult::of(outcome.error.is_none(), allow_failure),
        );
        metrics.hook_emitted(&outcome.hook, &outcome.metrics);
        let failed = outcome.error.clone();
        let namespace = self.module.namespace();
        if let Err(e) = crate::kube_ops::execute(
            &self.shared.cluster,
            &outcome.kubernetes_operations,
            &namespace,
            failed.is_some(),
        )
        .await
        {
            return Err(format!("hook {}: object operations: {e}", outcome.hook));
        }
        if let Some(e) = failed {
            return Err(e.to_string());
        }
        let changed = outcome.values.as_ref().is_some_and(|v| *v != values);
        if changed {
            self.patches.record(&outcome.values_patch);
        }
        Ok(changed)
    }

    async fn lifecycle(&mut self, binding: LifecycleBinding) -> Result<bool, String> {
        let mut changed = false;
        for hook in self.hooks.hooks_with(binding) {
            let ctx = self.hooks.lifecycle_context(hook, binding)?;
            changed |= self.call_hook(hook, vec![ctx], false).await?;
        }
        Ok(changed)
    }

    async fn startup(&mut self) -> Result<(), TaskError> {
        if !self.startup_done {
            self.lifecycle(LifecycleBinding::OnStartup)
                .await
                .map_err(TaskError::Retry)?;
            self.hooks
                .start_bindings(&self.shared.hub, &self.shared.cluster.resources)
                .await;
            self.hooks.start_schedules();
            self.startup_done = true;
        }
        Ok(())
    }

    async fn hook_run(&mut self, run: &HookRun) -> Result<(), TaskError> {
        let (events, syncs) = hook_set::take_combined(run, &mut self.queue, |t| match t {
            Task::HookRun(r) => Some(r),
            _ => None,
        });
        let contexts = hook_set::combined_contexts(&self.hooks, run.hook, &events)
            .map_err(TaskError::Retry)?;
        match self.call_hook(run.hook, contexts, run.allow_failure).await {
            Ok(changed) => {
                for s in syncs {
                    self.hooks.synchronized(s);
                }
                if changed && run.kind != hook_set::RunKind::Synchronization && self.enabled {
                    self.push_module_run();
                }
                Ok(())
            }
            Err(e) if run.allow_failure => Err(TaskError::Drop(e)),
            Err(e) => {
                // Put the combined runs back behind this one, in order.
                for r in hook_set::put_back(run, events).into_iter().rev() {
                    self.queue.push_front(Task::HookRun(r));
                }
                Err(TaskError::Retry(e))
            }
        }
    }

    async fn module_run(&mut self) -> Result<(), TaskError> {
        if !self.enabled {
            return Ok(());
        }
        self.phase = ModulePhase::Reconciling;
        self.lifecycle(LifecycleBinding::BeforeHelm)
            .await
            .map_err(TaskError::Retry)?;
        if self.module.has_chart() {
            self.helm().await.map_err(TaskError::Retry)?;
        }
        let changed = self
            .lifecycle(LifecycleBinding::AfterHelm)
            .await
            .map_err(TaskError::Retry)?;
        if changed {
            self.push_module_run();
        }
        self.phase = ModulePhase::Ready;
        Ok(())
    }

    /// Render the chart with the values as they are now: the rendered
    /// objects, the release's chart record and the values document.
    async fn render_now(&self) -> Result<(chart::Rendered, Value, Value), String> {
        let module_values = self.module_values()?;
        self.module
            .check_values(&module_values, true)
            .map_err(|e| format!("values: {e}"))?;
        let values = self
            .module
            .values_document(self.global_values(), module_values);
        let module = self.module.clone();
        let target = module::RenderTarget {
            kube_version: self.shared.kube_version.clone(),
            ..Default::default()
        };
        let render_values = values.clone();
        let (rendered, chart_json) = tokio::task::spawn_blocking(move || {
            let chart = module.load_chart().map_err(|e| format!("chart: {e}"))?;
            let meta = &chart.metadata;
            let chart_json =
                release::record::chart_json(&meta.name, &meta.version, Some(&meta.app_version));
            let rendered = module::render::render(&module, &chart, &render_values, &target)
                .map_err(|e| format!("render: {e}"))?;
            Ok::<_, String>((rendered, chart_json))
        })
        .await
        .map_err(|e| format!("render: {e}"))??;
        Ok((rendered, chart_json, values))
    }

    /// [`ModuleMsg::Preview`]: render now, and read the deployed revision.
    async fn preview(&self) -> Result<RenderPreview, String> {
        let (rendered, _, _) = self.render_now().await?;
        let history = release::storage::history(
            &self.shared.cluster,
            &self.module.namespace(),
            self.module.name(),
        )
        .await
        .map_err(|e| e.to_string())?;
        let deployed =
            release::deployed_revision(&history).map(|r| (r.version, r.manifest.clone()));
        Ok(RenderPreview {
            manifest: rendered.release_manifest(),
            deployed,
        })
    }

    async fn helm(&mut self) -> Result<(), String> {
        let (rendered, chart_json, values) = self.render_now().await?;
        let namespace = self.module.namespace();
        self.ensure_namespace(&namespace).await?;
        let req = ReleaseRequest {
            name: self.module.name(),
            namespace: &namespace,
            rendered: &rendered,
            chart: chart_json,
            config: values.clone(),
            history_max: self.shared.history_max,
            hook_timeout: Duration::from_secs(300),
        };
        let outcome = release::upgrade_install(&self.shared.cluster, &req)
            .await
            .map_err(|e| format!("release: {e}"))?;
        match &outcome {
            ReleaseOutcome::Unchanged { revision } => {
                tracing::debug!(module = self.name(), revision, "release unchanged");
            }
            ReleaseOutcome::Deployed { revision, pruned } => {
                tracing::info!(
                    module = self.name(),
                    revision,
                    pruned = pruned.len(),
                    "release deployed"
                );
            }
        }
        self.rendered_values = values;
        self.track_objects(&rendered, &namespace).await;
        Ok(())
    }

    async fn ensure_namespace(&self, namespace: &str) -> Result<(), String> {
        let ns = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}});
        self.shared
            .cluster
            .create(&ns, namespace)
            .await
            .map(drop)
            .map_err(|e| e.to_string())
    }

    /// Remember the release's objects and watch them for drift.
    async fn track_objects(&mut self, rendered: &chart::Rendered, namespace: &str) {
        let Ok(objects) = release::rendered_objects(rendered) else {
            return;
        };
        let mut applied = HashMap::new();
        let mut kinds = BTreeMap::new();
        for obj in objects {
            let Ok((key, info)) = self.shared.cluster.key_of(&obj.value, namespace).await else {
                continue;
            };
            let rv = match self.shared.cluster.get(&key).await {
                Ok(Some(o)) => o.metadata.resource_version.unwrap_or_default(),
                _ => String::new(),
            };
            let watch = WatchKey {
                api_version: info.api.api_version.clone(),
                resource: info.api.plural.clone(),
                namespace: None,
                labels: format!("{}={}", release::MODULE_LABEL, self.module.name()),
                fields: String::new(),
            };
            kinds.insert(watch, info);
            let mut value = obj.value;
            release::mark_owned(&mut value, self.module.name(), namespace);
            applied.insert(key, (value, rv));
        }
        self.applied = applied;
        let have: BTreeSet<&WatchKey> = self.drift_subs.iter().map(|(k, _)| k).collect();
        if kinds.keys().collect::<BTreeSet<_>>() == have {
            return;
        }
        for (k, id) in self.drift_subs.drain(..) {
            self.shared.hub.unsubscribe(&k, id);
        }
        for (key, info) in kinds {
            let sub = self.shared.hub.subscribe(key.clone(), &info);
            self.drift_subs.push((key, sub.id));
            let generation = self.generation;
            self.forward(sub, move |event| ModuleMsg::Drift { generation, event });
        }
    }

    /// Pass a subscription's events to this worker, wrapped by `wrap`,
    /// until either side goes away.
    fn forward(
        &self,
        mut sub: crate::watch::Subscription,
        wrap: impl Fn(WatchEvent) -> ModuleMsg + Send + 'static,
    ) {
        let tx = self.tx.clone();
        tokio::spawn(async move {
            while let Some(event) = sub.events.recv().await {
                if tx.send(wrap(event)).is_err() {
                    break;
                }
            }
        });
    }

    fn on_drift(&mut self, event: WatchEvent) {
        let (obj, deleted) = match &event {
            WatchEvent::Applied(o) => (o.clone(), false),
            WatchEvent::Deleted(o) => (o.clone(), true),
            _ => return,
        };
        let Some(key) = self.applied_key_of(&obj) else {
            return;
        };
        let rv = obj
            .pointer("/metadata/resourceVersion")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let ours = self.applied.get(&key).is_some_and(|(_, r)| r == rv);
        if (deleted || !ours)
            && !self
                .queue
                .iter()
                .any(|t| matches!(t, Task::Reapply(k) if *k == key))
        {
            tracing::info!(module = self.name(), object = %key, deleted, "drift: re-applying");
            self.queue.push_back(Task::Reapply(key));
        }
    }

    fn applied_key_of(&self, obj: &Value) -> Option<ObjectKey> {
        let s = |p: &str| obj.pointer(p).and_then(Value::as_str).unwrap_or_default();
        self.applied
            .keys()
            .find(|k| {
                k.name == s("/metadata/name")
                    && k.kind == s("/kind")
                    && k.namespace.as_deref().unwrap_or_default() == s("/metadata/namespace")
            })
            .cloned()
    }

    async fn reapply(&mut self, key: &ObjectKey) -> Result<(), TaskError> {
        let Some((value, _)) = self.applied.get(key).cloned() else {
            return Ok(());
        };
        let namespace = self.module.namespace();
        let (_, applied) = self
            .shared
            .cluster
            .apply(&value, &namespace)
            .await
            .map_err(|e| TaskError::Retry(format!("drift repair: {e}")))?;
        if let Some(entry) = self.applied.get_mut(key) {
            entry.1 = applied.metadata.resource_version.unwrap_or_default();
        }
        Ok(())
    }

    async fn delete(&mut self) -> Result<(), TaskError> {
        let namespace = self.module.namespace();
        let had_release =
            !release::storage::history(&self.shared.cluster, &namespace, self.module.name())
                .await
                .map_err(|e| TaskError::Retry(e.to_string()))?
                .is_empty();
        if had_release {
            self.lifecycle(LifecycleBinding::BeforeDeleteHelm)
                .await
                .map_err(TaskError::Retry)?;
            for (k, id) in self.drift_subs.drain(..) {
                self.shared.hub.unsubscribe(&k, id);
            }
            release::uninstall(&self.shared.cluster, &namespace, self.module.name())
                .await
                .map_err(|e| TaskError::Retry(format!("uninstall: {e}")))?;
            if self.startup_done {
                self.lifecycle(LifecycleBinding::AfterDeleteHelm)
                    .await
                    .map_err(TaskError::Retry)?;
            }
        }
        self.stop_watches();
        self.startup_done = false;
        self.patches.clear();
        self.applied.clear();
        self.rendered_values = Value::Null;
        self.generation += 1;
        self.phase = ModulePhase::Available;
        self.last_error = None;
        Ok(())
    }

    fn stop_watches(&mut self) {
        self.hooks.stop(&self.shared.hub);
        for (k, id) in self.drift_subs.drain(..) {
            self.shared.hub.unsubscribe(&k, id);
        }
    }
}

enum TaskError {
    /// Retry with backoff.
    Retry(String),
    /// An allowed failure: log and drop.
    Drop(String),
}

/// Run a module's `enabled` script as addon-operator does: it writes
/// `true` or `false` to `$MODULE_ENABLED_RESULT`.
async fn run_enabled_script(
    script: &std::path::Path,
    tmp_root: &std::path::Path,
    module: &str,
    values: &Value,
) -> Result<bool, String> {
    tokio::fs::create_dir_all(tmp_root)
        .await
        .map_err(|e| e.to_string())?;
    let result = tmp_root.join(format!("{module}.enabled-result"));
    let values_path = tmp_root.join(format!("{module}.enabled-values.json"));
    tokio::fs::write(&values_path, values.to_string())
        .await
        .map_err(|e| format!("{}: {e}", values_path.display()))?;
    let status = tokio::process::Command::new(script)
        .env("MODULE_ENABLED_RESULT", &result)
        .env("VALUES_PATH", &values_path)
        .current_dir(script.parent().unwrap_or(std::path::Path::new(".")))
        .kill_on_drop(true)
        .status();
    let status = tokio::time::timeout(Duration::from_secs(60), status)
        .await
        .map_err(|_| "timed out after 60s".to_string())?
        .map_err(|e| format!("cannot run {}: {e}", script.display()))?;
    if !status.success() {
        return Err(format!("{} exited with {status}", script.display()));
    }
    let text = tokio::fs::read_to_string(&result).await.unwrap_or_default();
    let _ = tokio::fs::remove_file(&result).await;
    match text.trim() {
        "true" => Ok(true),
        "false" => Ok(false),
        other => Err(format!(
            "wrote {other:?} to $MODULE_ENABLED_RESULT, expected true or false"
        )),
    }
}

impl std::fmt::Debug for Worker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Worker({})", self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_preview_diffs_from_the_deployed_manifest() {
        let same = RenderPreview {
            manifest: "a: 1\nb: 2\n".into(),
            deployed: Some((3, "a: 1\nb: 2\n".into())),
        };
        assert_eq!(same.diff(), "");
        let changed = RenderPreview {
            manifest: "a: 1\nb: 3\n".into(),
            ..same.clone()
        };
        assert_eq!(
            changed.diff(),
            "--- deployed (revision 3)\n+++ rendered now\n@@ -1,2 +1,2 @@\n a: 1\n-b: 2\n+b: 3\n"
        );
        let fresh = RenderPreview {
            manifest: "a: 1\n".into(),
            deployed: None,
        };
        assert!(
            fresh
                .diff()
                .starts_with("--- nothing deployed\n+++ rendered now\n")
        );
    }
}
