//! Hooks that belong to no module, on a queue of their own:
//!
//! - addon-operator's **global hooks** (`--global-hooks-dir`): they run
//!   before any module (onStartup in ORDER, then their kubernetes
//!   bindings' Synchronization, waited for when `waitForSynchronization`,
//!   then beforeAll), read and patch the global values, and may enable or
//!   disable modules by patching `/<valuesKey>Enabled` (the
//!   DynamicallyEnabled extender). A change of the global values by a
//!   later run reaches every module, which re-runs;
//! - a plain **shell-operator hooks folder** (`--hooks-dir`): the same
//!   queue with no modules: onStartup, kubernetes and schedule bindings,
//!   object operations; no values.
//!
//! The worker says when it is ready (start-up hooks done and waited
//! Synchronizations done): the operator starts the modules' configuration
//! only then, so module runs always see the global hooks' values.
//!
//! In global mode the worker drives addon-operator's **converge rounds**
//! (lifecycle spec §4): a round starts with the beforeAll hooks, sends
//! every module the global values tagged with the round's number, waits
//! until every module has settled that round (its run with those values
//! ended, well or not, or it is disabled: a failing module never holds
//! the round), then runs the afterAll hooks. A round starts at start-up
//! (`OperatorStartup`), when the global values change (a hook's patch or
//! the global settings: `GlobalValuesChanged`) and when a module is added
//! (`ReloadAllModules`); a round asked for while one waits to start is the
//! same round, and a new round supersedes one still waiting for modules
//! (its afterAll runs once, for the newer round). afterAll hooks that
//! change the global values start another round.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use hooks::config::LifecycleBinding;
use hooks::context::BindingContext;
use hooks::discovery::Hook;
use serde_json::{Value, json};
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use crate::hook_call;
use crate::hook_set::{self, HookRun, HookSet, HookSetMsg, jitter};
use crate::module_worker::{ModuleMsg, ModuleTable, Shared};
use crate::patches::PatchLog;

/// Which hooks the worker runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// addon-operator global hooks: global values, dynamic enables.
    Global,
    /// shell-operator hooks: no values.
    Shell,
}

/// A message to the global worker.
#[derive(Debug)]
pub enum GlobalMsg {
    /// A message of the hooks' bindings.
    Hooks(HookSetMsg),
    /// The global settings changed (the `global` ModuleConfig or the
    /// ConfigMap's `global` key), already validated.
    Settings(Value),
    /// Report the state.
    Inspect(oneshot::Sender<GlobalSnapshot>),
    /// A module was added: start a round (`ReloadAllModules`), so the new
    /// module gets the global values and afterAll waits for it.
    Republish,
    /// A module settled a round ([`Shared::settled`] changed).
    Wake,
    /// Stop after the running task.
    Shutdown,
}

impl From<HookSetMsg> for GlobalMsg {
    fn from(m: HookSetMsg) -> GlobalMsg {
        GlobalMsg::Hooks(m)
    }
}

/// A read-only view of the global worker.
#[derive(Clone, Debug)]
pub struct GlobalSnapshot {
    /// The values global hooks see (`{"global": …, "<key>Enabled": …}`).
    pub values: Value,
    /// Every hook's name, in discovery order.
    pub hooks: Vec<String>,
    /// Snapshots by hook and binding (hooks with kubernetes bindings).
    pub snapshots: BTreeMap<String, BTreeMap<String, Vec<Value>>>,
    /// Queued tasks, head first.
    pub queue: Vec<String>,
    /// The last error.
    pub last_error: Option<String>,
    /// Whether start-up is done.
    pub ready: bool,
    /// The last round whose afterAll hooks ran (0: none yet).
    pub converged: u64,
}

/// Handle to the running global worker.
#[derive(Clone)]
pub struct GlobalHandle {
    /// Its messages.
    pub tx: mpsc::UnboundedSender<GlobalMsg>,
    /// Which hooks it runs.
    pub mode: Mode,
    /// The hooks, as discovered (the webhooks run some of them inline).
    pub hooks: Vec<Arc<Hook>>,
    /// Their bindings' snapshots, readable while the worker is busy.
    pub snapshots: hook_set::SnapshotReader,
}

impl GlobalHandle {
    /// The worker's current state.
    pub async fn inspect(&self) -> Option<GlobalSnapshot> {
        let (tx, rx) = oneshot::channel();
        self.tx.send(GlobalMsg::Inspect(tx)).ok()?;
        rx.await.ok()
    }
}

#[derive(Debug)]
enum Task {
    /// onStartup hooks, then bindings and schedules.
    Startup,
    /// beforeAll hooks (once the waited Synchronizations are done), then
    /// the round's values to every module; the round's activation.
    BeforeAll(&'static str),
    /// afterAll hooks of the round with this number, once every module
    /// settled it.
    AfterAll(u64),
    /// One hook run for a binding.
    HookRun(HookRun),
}

impl Task {
    fn label(&self) -> String {
        match self {
            Task::Startup => "GlobalStartup".into(),
            Task::BeforeAll(_) => "GlobalBeforeAll".into(),
            Task::AfterAll(_) => "GlobalAfterAll".into(),
            Task::HookRun(r) => format!("GlobalHookRun {} {}", r.hook, r.event.binding()),
        }
    }
}

/// Start the worker for `hooks`; `modules` receive the global values and
/// dynamic enables; `ready` fires once start-up is done.
pub fn spawn(
    shared: Arc<Shared>,
    mode: Mode,
    hooks: Vec<Hook>,
    modules: ModuleTable,
    ready: oneshot::Sender<()>,
) -> (GlobalHandle, tokio::task::JoinHandle<()>) {
    let (tx, rx) = mpsc::unbounded_channel();
    if mode == Mode::Global {
        // Modules settling rounds wake the worker; ends with the worker.
        let mut settled = shared.settled.subscribe();
        let wake = tx.clone();
        tokio::spawn(async move {
            while settled.changed().await.is_ok() {
                if wake.send(GlobalMsg::Wake).is_err() {
                    break;
                }
            }
        });
    }
    let owner = match mode {
        Mode::Global => "global",
        Mode::Shell => "hooks",
    };
    let hooks = HookSet::new(owner, hooks, tx.clone(), shared.metrics.clone());
    let handle = GlobalHandle {
        tx: tx.clone(),
        mode,
        hooks: hooks.hooks.clone(),
        snapshots: hooks.snapshot_reader(),
    };
    let worker = GlobalWorker {
        hooks,
        shared,
        mode,
        modules,
        settings: json!({}),
        patches: PatchLog::default(),
        queue: VecDeque::from([Task::Startup, Task::BeforeAll(activation::STARTUP)]),
        round: 0,
        converging: None,
        converged: 0,
        startup_done: false,
        ready: Some(ready),
        failures: 0,
        retry_at: None,
        last_error: None,
    };
    (handle, tokio::spawn(worker.run(rx)))
}

/// The `activation` of a converge round (the label of addon-operator's
/// convergence metrics).
mod activation {
    /// The first round after start-up.
    pub const STARTUP: &str = "OperatorStartup";
    /// The global values changed.
    pub const GLOBAL_VALUES: &str = "GlobalValuesChanged";
    /// A module was added or replaced.
    pub const RELOAD_ALL: &str = "ReloadAllModules";
}

/// A converge round waiting for its modules or its afterAll hooks.
struct Round {
    number: u64,
    activation: &'static str,
    started: std::time::Instant,
}

struct GlobalWorker {
    shared: Arc<Shared>,
    mode: Mode,
    hooks: HookSet<GlobalMsg>,
    modules: ModuleTable,
    settings: Value,
    patches: PatchLog,
    queue: VecDeque<Task>,
    /// The number of the last round started.
    round: u64,
    /// The round in flight, after its beforeAll hooks.
    converging: Option<Round>,
    /// The last round whose afterAll hooks ran.
    converged: u64,
    startup_done: bool,
    ready: Option<oneshot::Sender<()>>,
    failures: u32,
    retry_at: Option<Instant>,
    last_error: Option<String>,
}

impl GlobalWorker {
    async fn run(mut self, mut rx: mpsc::UnboundedReceiver<GlobalMsg>) {
        loop {
            let ready = self.next_ready().is_some();
            match hook_set::next(&mut rx, ready, &mut self.retry_at).await {
                hook_set::Next::Work => self.work().await,
                hook_set::Next::Again => {}
                hook_set::Next::Closed | hook_set::Next::Message(GlobalMsg::Shutdown) => break,
                hook_set::Next::Message(m) => self.handle(m).await,
            }
        }
        self.hooks.stop(&self.shared.hub);
    }

    async fn handle(&mut self, msg: GlobalMsg) {
        match msg {
            GlobalMsg::Hooks(m) => {
                let runs = self
                    .hooks
                    .on_message(m, true, &self.shared.hub, &self.shared.cluster.resources)
                    .await;
                self.queue.extend(runs.into_iter().map(Task::HookRun));
            }
            GlobalMsg::Republish => self.converge(activation::RELOAD_ALL),
            GlobalMsg::Settings(s) => {
                if s != self.settings {
                    self.settings = s;
                    self.converge(activation::GLOBAL_VALUES);
                }
            }
            GlobalMsg::Wake => self.check_settled(),
            GlobalMsg::Inspect(reply) => {
                let _ = reply.send(GlobalSnapshot {
                    values: self.values(),
                    hooks: self
                        .hooks
                        .hooks
                        .iter()
                        .map(|h| h.file.name.clone())
                        .collect(),
                    snapshots: self.hooks.snapshot_view(),
                    queue: self.queue.iter().map(Task::label).collect(),
                    last_error: self.last_error.clone(),
                    ready: self.ready.is_none(),
                    converged: self.converged,
                });
            }
            GlobalMsg::Shutdown => {}
        }
    }

    /// The first task that can run: beforeAll waits for start-up and the
    /// waited Synchronizations.
    fn next_ready(&self) -> Option<usize> {
        let syncing = self.hooks.syncing();
        self.queue.iter().position(|t| match t {
            Task::BeforeAll(_) => self.startup_done && !syncing,
            _ => true,
        })
    }

    async fn work(&mut self) {
        let Some(i) = self.next_ready() else { return };
        let task = self.queue.remove(i).expect("index from next_ready");
        let label = task.label();
        let result = match &task {
            Task::Startup => self.startup().await,
            Task::BeforeAll(_) => self
                .lifecycle(LifecycleBinding::BeforeAll)
                .await
                .map(|_| ()),
            Task::AfterAll(round) => self.after_all(*round).await,
            Task::HookRun(run) => self.hook_run(run).await,
        };
        match result {
            Ok(()) => {
                self.failures = 0;
                self.retry_at = None;
                self.last_error = None;
                if let Task::BeforeAll(activation) = task {
                    self.start_round(activation);
                    if let Some(ready) = self.ready.take() {
                        tracing::info!(hooks = self.hooks.hooks.len(), "global hooks started");
                        let _ = ready.send(());
                    }
                }
            }
            Err(e) if matches!(&task, Task::HookRun(r) if r.allow_failure) => {
                tracing::warn!(task = label, "allowed failure: {e}");
            }
            Err(e) => {
                let delay = hooks::queue::backoff::retry_delay(self.failures, jitter());
                self.failures = self.failures.saturating_add(1);
                tracing::error!(task = label, retry_in = ?delay, "global task failed: {e}");
                self.last_error = Some(e);
                self.retry_at = Some(Instant::now() + delay);
                self.queue.insert(i.min(self.queue.len()), task);
            }
        }
        self.shared.metrics.queue_length("main", self.queue.len());
    }

    async fn startup(&mut self) -> Result<(), String> {
        if !self.startup_done {
            self.lifecycle(LifecycleBinding::OnStartup).await?;
            self.hooks
                .start_bindings(&self.shared.hub, &self.shared.cluster.resources)
                .await;
            self.hooks.start_schedules();
            self.startup_done = true;
        }
        Ok(())
    }

    async fn lifecycle(&mut self, binding: LifecycleBinding) -> Result<bool, String> {
        let mut changed = false;
        for hook in self.hooks.hooks_with(binding) {
            let ctx = self.hooks.lifecycle_context(hook, binding)?;
            changed |= self.call_hook(hook, vec![ctx], false).await?;
        }
        Ok(changed)
    }

    async fn hook_run(&mut self, run: &HookRun) -> Result<(), String> {
        let (events, syncs) = hook_set::take_combined(run, &mut self.queue, |t| match t {
            Task::HookRun(r) => Some(r),
            _ => None,
        });
        let contexts = hook_set::combined_contexts(&self.hooks, run.hook, &events)?;
        match self.call_hook(run.hook, contexts, run.allow_failure).await {
            Ok(changed) => {
                for s in syncs {
                    self.hooks.synchronized(s);
                }
                if changed {
                    self.converge(activation::GLOBAL_VALUES);
                }
                Ok(())
            }
            Err(e) => {
                if !run.allow_failure {
                    for r in hook_set::put_back(run, events).into_iter().rev() {
                        self.queue.push_front(Task::HookRun(r));
                    }
                }
                Err(e)
            }
        }
    }

    /// The values global hooks see: the platform's default globals (as
    /// module renders get them) with the settings over them, then the
    /// hooks' patches.
    fn values(&self) -> Value {
        match self.mode {
            Mode::Global => {
                let mut global = module::globals::default_globals();
                module::values::merge(&mut global, self.settings.clone());
                self.patches.apply(&json!({ "global": global }))
            }
            Mode::Shell => json!({}),
        }
    }

    /// Ask for a converge round: one queued and not started yet is the
    /// same round (addon-operator collapses adjacent ConvergeModules).
    fn converge(&mut self, activation: &'static str) {
        if self.mode == Mode::Shell || self.queue.iter().any(|t| matches!(t, Task::BeforeAll(_))) {
            return;
        }
        self.queue.push_back(Task::BeforeAll(activation));
    }

    /// The beforeAll hooks ran: number the round, send it to the modules
    /// and wait for them. A round still waiting is superseded.
    fn start_round(&mut self, activation: &'static str) {
        if self.mode == Mode::Shell {
            return;
        }
        self.queue.retain(|t| !matches!(t, Task::AfterAll(_)));
        self.round += 1;
        self.converging = Some(Round {
            number: self.round,
            activation,
            started: std::time::Instant::now(),
        });
        self.publish();
        self.check_settled();
    }

    /// Queue the afterAll hooks once every module settled the round (a
    /// queued afterAll is always the round in flight's: a new round drops
    /// the old one's).
    fn check_settled(&mut self) {
        let Some(number) = self.converging.as_ref().map(|r| r.number) else {
            return;
        };
        if self.queue.iter().any(|t| matches!(t, Task::AfterAll(_))) {
            return;
        }
        let settled = self.shared.settled.borrow();
        let all = self
            .modules
            .read()
            .expect("module table lock")
            .keys()
            .all(|name| settled.get(name).is_some_and(|r| *r >= number));
        drop(settled);
        if all {
            self.queue.push_back(Task::AfterAll(number));
        }
    }

    /// The afterAll hooks of `number`, unless a newer round took over; a
    /// change of the global values starts the next round.
    async fn after_all(&mut self, number: u64) -> Result<(), String> {
        let Some(round) = self.converging.as_ref().filter(|r| r.number == number) else {
            return Ok(());
        };
        let (activation, started) = (round.activation, round.started);
        let changed = self.lifecycle(LifecycleBinding::AfterAll).await?;
        self.converging = None;
        self.converged = number;
        self.shared
            .metrics
            .convergence(activation, started.elapsed());
        tracing::info!(round = number, activation, took = ?started.elapsed(), "modules converged");
        if changed {
            self.converge(activation::GLOBAL_VALUES);
        }
        Ok(())
    }

    /// Send the global values of the round and the dynamic enables to
    /// every module (each re-runs only if its view changed).
    fn publish(&mut self) {
        let values = self.values();
        let modules: Vec<_> = self
            .modules
            .read()
            .expect("module table lock")
            .values()
            .cloned()
            .collect();
        for m in &modules {
            let key = format!("{}Enabled", m.module.values_key);
            let _ = m.tx.send(ModuleMsg::Global {
                values: values["global"].clone(),
                round: self.round,
            });
            let _ = m.tx.send(ModuleMsg::DynamicEnabled(
                values.get(&key).and_then(Value::as_bool),
            ));
        }
    }

    /// Run one hook; apply its values patch and its object operations.
    /// Returns whether the values changed.
    async fn call_hook(
        &mut self,
        hook: usize,
        contexts: Vec<BindingContext>,
        allow_failure: bool,
    ) -> Result<bool, String> {
        let values = self.values();
        let config_values = match self.mode {
            Mode::Global => json!({"global": self.settings}),
            Mode::Shell => json!({}),
        };
        let outcome = hook_call::run(self.shared.hook_call(
            self.hooks.hooks[hook].clone(),
            contexts,
            values.clone(),
            config_values,
            None,
        ))
        .await;
        hook_call::log_output(&outcome, None);
        let owner = match self.mode {
            Mode::Global => crate::metrics::HookOwner::Global,
            Mode::Shell => crate::metrics::HookOwner::Shell,
        };
        let metrics = &self.shared.metrics;
        metrics.hook_run(
            owner,
            &outcome.hook,
            &outcome.binding,
            "main",
            outcome.duration,
            crate::metrics::RunResult::of(outcome.error.is_none(), allow_failure),
        );
        metrics.hook_emitted(&outcome.hook, &outcome.metrics);
        let failed = outcome.error.clone();
        if let Err(e) = crate::kube_ops::execute(
            &self.shared.cluster,
            &outcome.kubernetes_operations,
            "default",
            failed.is_some(),
        )
        .await
        {
            return Err(format!("hook {}: object operations: {e}", outcome.hook));
        }
        if let Some(e) = failed {
            return Err(e.to_string());
        }
        let changed =
            self.mode == Mode::Global && outcome.values.as_ref().is_some_and(|v| *v != values);
        if changed {
            self.patches.record(&outcome.values_patch);
        }
        Ok(changed)
    }
}
