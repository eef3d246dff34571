//! A set of hooks and their event bindings, as one owner holds them: a
//! module's hooks, the global hooks, or the hooks of a shell-operator
//! hooks folder. Every owner runs its hooks on its own task queue; what
//! they share is here:
//!
//! - kubernetes bindings on the shared watches ([`WatchHub`]), each
//!   binding's snapshot kept by forwarders that filter objects as they
//!   arrive (so full objects never queue up), a kind not known yet
//!   retried with backoff;
//! - schedule bindings (croner), one timer task per owner;
//! - the hook runs these produce ([`HookRun`]) and their combining.
//!
//! Combining, deterministic and documented (users-voice #4): when a hook
//! run starts, every run of the same hook and the same kind (Event,
//! Synchronization or Schedule) queued *directly* behind it is taken into
//! the same run, its binding context appended in queue order, and then
//! consecutive contexts of one group collapse into the last. Nothing
//! else is ever combined, so what one run sees depends only on the queue.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, RwLock};

use hooks::config::LifecycleBinding;
use hooks::context::{BindingContext, HookEvent, SnapshotStore, build_context, collapse_groups};
use hooks::discovery::Hook;
use serde_json::Value;
use tokio::sync::mpsc;

use crate::bindings::{BindingChange, BindingState};
use crate::resources::Resources;
use crate::watch::{WatchHub, WatchKey};

/// What a hook set's background tasks tell its owner.
#[derive(Debug)]
pub enum HookSetMsg {
    /// What watch events meant for a binding (its snapshot is already
    /// updated).
    Binding {
        /// Binding index.
        binding: usize,
        /// The generation it belongs to.
        generation: u64,
        /// The changes, in order.
        changes: Vec<BindingChange>,
    },
    /// A schedule binding fired.
    Schedule {
        /// Hook index.
        hook: usize,
        /// Binding name.
        binding: String,
        /// The generation it belongs to.
        generation: u64,
    },
    /// Try again to start a binding whose kind was unknown.
    RetryBinding {
        /// Binding index.
        binding: usize,
        /// The generation it belongs to.
        generation: u64,
    },
}

/// The kind of a hook run (what combining matches on).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunKind {
    /// A binding's Synchronization.
    Synchronization,
    /// A watch event.
    Event,
    /// A schedule.
    Schedule,
}

/// One queued run of a hook for a binding.
#[derive(Clone, Debug)]
pub struct HookRun {
    /// Hook index.
    pub hook: usize,
    /// What kind of run.
    pub kind: RunKind,
    /// The event.
    pub event: HookEvent,
    /// The binding's `allowFailure`.
    pub allow_failure: bool,
    /// Which binding's Synchronization this is.
    pub sync_of: Option<usize>,
}

struct BindingRt {
    hook: usize,
    name: String,
    /// The snapshot, kept by the binding's forwarders.
    state: Arc<Mutex<BindingState>>,
    /// Subscribed watches (empty until the kind resolves).
    subs: Vec<(WatchKey, u64)>,
    /// Why the binding is not watching yet (its kind is unknown).
    waiting: Option<String>,
    wait_for_sync: bool,
    sync_done: bool,
    /// Failed attempts to resolve the kind.
    attempts: u32,
    /// The timer of `resynchronizationPeriod`, while the binding watches.
    resync: Option<tokio::task::JoinHandle<()>>,
}

/// A read-only view of a hook set's snapshots that other tasks can keep:
/// the admission and conversion webhooks read a hook's snapshots while its
/// owner's queue is busy (those hooks run inline, per request, outside the
/// queue). It sees the bindings the set watches now.
#[derive(Clone, Default)]
pub struct SnapshotReader {
    /// The bindings, in binding order.
    states: Arc<RwLock<Vec<SharedBinding>>>,
}

/// A binding as a [`SnapshotReader`] sees it: its hook's index, its name
/// and its state.
type SharedBinding = (usize, String, Arc<Mutex<BindingState>>);

impl SnapshotReader {
    /// The snapshots of `hook`'s bindings now.
    pub fn snapshots_of(&self, hook: usize) -> SnapshotStore {
        let mut store = SnapshotStore::default();
        for (_, name, state) in self
            .states
            .read()
            .expect("snapshot reader lock")
            .iter()
            .filter(|(h, _, _)| *h == hook)
        {
            let items = state.lock().expect("binding state lock").items();
            store.set_items(name, items);
        }
        store
    }

    fn set(&self, bindings: &[BindingRt]) {
        *self.states.write().expect("snapshot reader lock") = bindings
            .iter()
            .map(|b| (b.hook, b.name.clone(), b.state.clone()))
            .collect();
    }
}

/// Hooks with their bindings' state, for an owner whose messages are `M`.
pub struct HookSet<M> {
    /// The hooks, as discovered.
    pub hooks: Vec<Arc<Hook>>,
    /// Who owns them (for logs): a module name, `global`, `hooks`.
    owner: String,
    bindings: Vec<BindingRt>,
    /// The bindings' snapshots, for readers outside the owner's task.
    reader: SnapshotReader,
    schedules: Option<tokio::task::JoinHandle<()>>,
    tx: mpsc::UnboundedSender<M>,
    metrics: Arc<crate::metrics::Metrics>,
    /// Bumped by [`HookSet::stop`]: messages of an earlier generation are
    /// stale and ignored.
    generation: u64,
}

impl<M: From<HookSetMsg> + Send + 'static> HookSet<M> {
    /// A hook set whose background tasks send to `tx`.
    pub fn new(
        owner: &str,
        hooks: Vec<Hook>,
        tx: mpsc::UnboundedSender<M>,
        metrics: Arc<crate::metrics::Metrics>,
    ) -> HookSet<M> {
        HookSet {
            hooks: hooks.into_iter().map(Arc::new).collect(),
            owner: owner.to_string(),
            bindings: Vec::new(),
            reader: SnapshotReader::default(),
            schedules: None,
            tx,
            metrics,
            generation: 0,
        }
    }

    /// Report in the metrics whether every kubernetes binding of `hook`
    /// watches (`failed`: an attempt to start one just failed).
    fn report_bindings(&self, hook: usize, failed: bool) {
        let watching = self
            .bindings
            .iter()
            .filter(|b| b.hook == hook)
            .all(|b| b.waiting.is_none());
        self.metrics
            .bindings_state(&self.hooks[hook].file.name, watching, failed);
    }

    /// The hooks having lifecycle `binding`, in the spec's order (ORDER,
    /// then name).
    pub fn hooks_with(&self, binding: LifecycleBinding) -> Vec<usize> {
        let mut with: Vec<(f64, &str, usize)> = self
            .hooks
            .iter()
            .enumerate()
            .filter_map(|(i, h)| {
                Some((h.config.config.order_of(binding)?, h.file.name.as_str(), i))
            })
            .collect();
        with.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.cmp(b.1)));
        with.into_iter().map(|(_, _, i)| i).collect()
    }

    /// The snapshots of `hook`'s bindings now.
    pub fn snapshots_of(&self, hook: usize) -> SnapshotStore {
        self.reader.snapshots_of(hook)
    }

    /// A view of the snapshots that stays current as bindings start and
    /// stop.
    pub fn snapshot_reader(&self) -> SnapshotReader {
        self.reader.clone()
    }

    /// The binding context of a lifecycle run of `hook`.
    pub fn lifecycle_context(
        &self,
        hook: usize,
        binding: LifecycleBinding,
    ) -> Result<BindingContext, String> {
        build_context(
            &self.hooks[hook].config,
            &HookEvent::Lifecycle(binding),
            &self.snapshots_of(hook),
        )
        .map_err(|e| e.to_string())
    }

    /// Every snapshot by hook and binding (debug interface, tests).
    pub fn snapshot_view(&self) -> BTreeMap<String, BTreeMap<String, Vec<Value>>> {
        let mut view: BTreeMap<String, BTreeMap<String, Vec<Value>>> = BTreeMap::new();
        for b in &self.bindings {
            let items = b.state.lock().expect("binding state lock").items();
            view.entry(self.hooks[b.hook].file.name.clone())
                .or_default()
                .insert(
                    b.name.clone(),
                    items
                        .into_iter()
                        .map(|i| serde_json::to_value(i).unwrap_or_default())
                        .collect(),
                );
        }
        view
    }

    /// Why some bindings are not watching yet (their kinds are unknown).
    pub fn waiting(&self) -> Vec<String> {
        self.bindings
            .iter()
            .filter_map(|b| b.waiting.clone())
            .collect()
    }

    /// Whether a binding that asks to be waited for
    /// (`waitForSynchronization`) has not finished its Synchronization.
    pub fn syncing(&self) -> bool {
        self.bindings
            .iter()
            .any(|b| b.wait_for_sync && b.waiting.is_none() && !b.sync_done)
    }

    /// Start every kubernetes binding's watches (a binding already
    /// watching is left alone).
    pub async fn start_bindings(&mut self, hub: &WatchHub, resources: &Resources) {
        if self.bindings.is_empty() {
            for (h, hook) in self.hooks.iter().enumerate() {
                for k in &hook.config.config.kubernetes {
                    let (watches, names) = crate::selectors::watches_of(k);
                    self.bindings.push(BindingRt {
                        hook: h,
                        name: k.name.clone(),
                        state: Arc::new(Mutex::new(BindingState::new(
                            &k.name,
                            watches.len(),
                            names,
                        ))),
                        subs: Vec::new(),
                        waiting: None,
                        wait_for_sync: k.wait_for_synchronization,
                        sync_done: false,
                        attempts: 0,
                        resync: None,
                    });
                }
            }
            self.reader.set(&self.bindings);
        }
        for i in 0..self.bindings.len() {
            if self.bindings[i].subs.is_empty() {
                self.subscribe(i, hub, resources).await;
            }
        }
    }

    /// Start the watches of binding `i`; an unknown kind is retried with
    /// backoff (a [`HookSetMsg::RetryBinding`] later) and shown by
    /// [`HookSet::waiting`].
    async fn subscribe(&mut self, i: usize, hub: &WatchHub, resources: &Resources) {
        let hook = self.bindings[i].hook;
        let binding_name = self.bindings[i].name.clone();
        let Some(k) = self.hooks[hook]
            .config
            .config
            .kubernetes
            .iter()
            .find(|k| k.name == binding_name)
            .cloned()
        else {
            return;
        };
        match resources.resolve(k.api_version.as_deref(), &k.kind).await {
            Ok(info) => {
                self.bindings[i].waiting = None;
                // Namespaces chosen by labels: one watch over every
                // namespace, its events kept only for the namespaces that
                // match now; a change of that set relists the watch.
                let ns_labels = k
                    .namespace
                    .as_ref()
                    .and_then(|n| n.label_selector.as_ref())
                    .filter(|_| info.namespaced)
                    .map(crate::selectors::label_selector);
                let namespaces = match ns_labels {
                    Some(labels) => match resources.resolve(Some("v1"), "Namespace").await {
                        Ok(ns_info) => Some((labels, ns_info)),
                        Err(e) => {
                            tracing::warn!(
                                owner = self.owner,
                                "binding {binding_name}: namespaces: {e}"
                            );
                            None
                        }
                    },
                    None => None,
                };
                let (watches, _) = crate::selectors::watches_of(&k);
                for (part, (namespace, labels, fields)) in watches.into_iter().enumerate() {
                    let key = WatchKey {
                        api_version: info.api.api_version.clone(),
                        resource: info.api.plural.clone(),
                        namespace: if info.namespaced { namespace } else { None },
                        labels,
                        fields,
                    };
                    let sub = hub.subscribe(key.clone(), &info);
                    self.bindings[i].subs.push((key.clone(), sub.id));
                    let members = match &namespaces {
                        Some((labels, ns_info)) => {
                            let ns_key = WatchKey {
                                api_version: "v1".into(),
                                resource: ns_info.api.plural.clone(),
                                namespace: None,
                                labels: labels.clone(),
                                fields: String::new(),
                            };
                            let ns_sub = hub.subscribe(ns_key.clone(), ns_info);
                            self.bindings[i].subs.push((ns_key, ns_sub.id));
                            let members = Arc::new(Mutex::new(None));
                            follow_namespaces(ns_sub, members.clone(), hub.clone(), key);
                            Some(members)
                        }
                        None => None,
                    };
                    self.forward_binding(sub, i, part, members);
                }
                if let Some(period) = k.resynchronization_period.map(|d| d.0) {
                    let keys = self.bindings[i]
                        .subs
                        .iter()
                        .map(|(k, _)| k.clone())
                        .collect();
                    self.bindings[i].resync = resync(hub.clone(), keys, period);
                }
                self.report_bindings(hook, false);
            }
            Err(e) => {
                let msg = format!("binding {binding_name}: {e} (retrying)");
                tracing::warn!(owner = self.owner, "{msg}");
                self.bindings[i].waiting = Some(msg);
                self.report_bindings(hook, true);
                let tx = self.tx.clone();
                let generation = self.generation;
                let attempts = self.bindings[i].attempts;
                self.bindings[i].attempts = attempts.saturating_add(1);
                tokio::spawn(async move {
                    tokio::time::sleep(hooks::queue::backoff::retry_delay(attempts, jitter()))
                        .await;
                    let _ = tx.send(
                        HookSetMsg::RetryBinding {
                            binding: i,
                            generation,
                        }
                        .into(),
                    );
                });
            }
        }
    }

    /// Feed subscription `sub` (watch number `part` of binding `i`) into
    /// the binding's snapshot as events arrive, and pass what they mean
    /// on to the owner. Runs beside the owner's queue, so the watch is
    /// read (and each object filtered and dropped) even while a hook runs.
    fn forward_binding(
        &self,
        mut sub: crate::watch::Subscription,
        i: usize,
        part: usize,
        members: Option<Namespaces>,
    ) {
        let tx = self.tx.clone();
        let generation = self.generation;
        let state = self.bindings[i].state.clone();
        let hook = self.hooks[self.bindings[i].hook].clone();
        let owner = self.owner.clone();
        tokio::spawn(async move {
            while let Some(event) = sub.events.recv().await {
                let Some(event) = only_members(event, members.as_ref()) else {
                    continue;
                };
                let result =
                    state
                        .lock()
                        .expect("binding state lock")
                        .on_event(&hook.config, part, event);
                match result {
                    Ok(changes) if changes.is_empty() => {}
                    Ok(changes) => {
                        let msg = HookSetMsg::Binding {
                            binding: i,
                            generation,
                            changes,
                        };
                        if tx.send(msg.into()).is_err() {
                            break;
                        }
                    }
                    Err(e) => tracing::error!(
                        owner = owner.as_str(),
                        hook = hook.file.name.as_str(),
                        "{e}"
                    ),
                }
            }
        });
    }

    /// Take a message of this set's background tasks: the hook runs it
    /// asks for, in order (none for a stale message). `active` says
    /// whether the owner takes runs now (a disabled module does not).
    pub async fn on_message(
        &mut self,
        msg: HookSetMsg,
        active: bool,
        hub: &WatchHub,
        resources: &Resources,
    ) -> Vec<HookRun> {
        match msg {
            HookSetMsg::Binding {
                binding,
                generation,
                changes,
            } if generation == self.generation => self.on_binding(binding, changes),
            HookSetMsg::Schedule {
                hook,
                binding,
                generation,
            } if generation == self.generation && active => {
                let allow_failure = self.hooks[hook]
                    .config
                    .config
                    .schedule
                    .iter()
                    .find(|s| s.name == binding)
                    .is_some_and(|s| s.allow_failure);
                vec![HookRun {
                    hook,
                    kind: RunKind::Schedule,
                    event: HookEvent::Schedule { binding },
                    allow_failure,
                    sync_of: None,
                }]
            }
            HookSetMsg::RetryBinding {
                binding,
                generation,
            } if generation == self.generation
                && self
                    .bindings
                    .get(binding)
                    .is_some_and(|b| b.subs.is_empty()) =>
            {
                self.subscribe(binding, hub, resources).await;
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    fn on_binding(&mut self, i: usize, changes: Vec<BindingChange>) -> Vec<HookRun> {
        let mut runs = Vec::new();
        let Some(b) = self.bindings.get(i) else {
            return runs;
        };
        let hook = b.hook;
        let binding_name = b.name.clone();
        let Some(spec) = self.hooks[hook]
            .config
            .config
            .kubernetes
            .iter()
            .find(|k| k.name == binding_name)
        else {
            return runs;
        };
        for change in changes {
            match change {
                BindingChange::Synchronized => {
                    if spec.execute_hook_on_synchronization {
                        runs.push(HookRun {
                            hook,
                            kind: RunKind::Synchronization,
                            event: HookEvent::Synchronization {
                                binding: binding_name.clone(),
                            },
                            allow_failure: false,
                            sync_of: Some(i),
                        });
                    } else {
                        self.bindings[i].sync_done = true;
                    }
                }
                BindingChange::Event(ev, obj) => {
                    if !spec.runs_on(ev) || !self.bindings[i].sync_done {
                        continue;
                    }
                    runs.push(HookRun {
                        hook,
                        kind: RunKind::Event,
                        event: HookEvent::Event {
                            binding: binding_name.clone(),
                            event: ev,
                            object: (*obj).clone(),
                        },
                        allow_failure: spec.allow_failure,
                        sync_of: None,
                    });
                }
            }
        }
        runs
    }

    /// Mark the Synchronization of binding `i` done (its run succeeded).
    pub fn synchronized(&mut self, i: usize) {
        if let Some(b) = self.bindings.get_mut(i) {
            b.sync_done = true;
        }
    }

    /// Start the schedule bindings' timer (one task for all of them).
    pub fn start_schedules(&mut self) {
        let mut entries = Vec::new();
        for (h, hook) in self.hooks.iter().enumerate() {
            for s in &hook.config.config.schedule {
                match hooks::config::parse_crontab(&s.crontab) {
                    Ok(cron) => entries.push((h, s.name.clone(), cron)),
                    Err(e) => tracing::error!(owner = self.owner, "schedule {}: {e}", s.name),
                }
            }
        }
        if entries.is_empty() {
            return;
        }
        let tx = self.tx.clone();
        let generation = self.generation;
        self.schedules = Some(tokio::spawn(async move {
            loop {
                let now = chrono::Utc::now();
                let next = entries
                    .iter()
                    .filter_map(|(_, _, c)| c.find_next_occurrence(&now, false).ok())
                    .min();
                let Some(at) = next else { return };
                let wait = (at - now).to_std().unwrap_or_default();
                tokio::time::sleep(wait).await;
                for (h, b, c) in &entries {
                    if c.find_next_occurrence(&now, false).ok() == Some(at) {
                        let msg = HookSetMsg::Schedule {
                            hook: *h,
                            binding: b.clone(),
                            generation,
                        };
                        if tx.send(msg.into()).is_err() {
                            return;
                        }
                    }
                }
            }
        }));
    }

    /// Stop every watch and the schedules and forget the snapshots; later
    /// messages of the old generation are ignored.
    pub fn stop(&mut self, hub: &WatchHub) {
        for b in &mut self.bindings {
            for (k, id) in b.subs.drain(..) {
                hub.unsubscribe(&k, id);
            }
            if let Some(t) = b.resync.take() {
                t.abort();
            }
        }
        self.bindings.clear();
        self.reader.set(&self.bindings);
        if let Some(s) = self.schedules.take() {
            s.abort();
        }
        self.generation += 1;
    }
}

/// `resynchronizationPeriod`: list the binding's watches `keys` again
/// every `period` (none for a zero period). A relist delivers the complete
/// state; the binding finds in it what a lost event hid (an object changed
/// or deleted while the watch was down and not seen on resume) and reports
/// only that, so a resync over unchanged objects runs no hook. Shared
/// watches are relisted for all their subscribers, who likewise see only
/// real differences.
fn resync(
    hub: WatchHub,
    keys: Vec<WatchKey>,
    period: std::time::Duration,
) -> Option<tokio::task::JoinHandle<()>> {
    if period.is_zero() {
        return None;
    }
    Some(tokio::spawn(async move {
        let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            for k in &keys {
                hub.relist(k);
            }
        }
    }))
}

/// The namespaces a namespace label selector matches now (`None` until
/// the namespaces have been listed once).
type Namespaces = Arc<Mutex<Option<std::collections::BTreeSet<String>>>>;

/// Keep `members` in step with the namespace watch `sub`; each change of
/// the set relists the object watch `objects`, whose subscribers then see
/// the objects of a namespace that now matches (Added) and miss those of
/// one that no longer does (Deleted).
fn follow_namespaces(
    mut sub: crate::watch::Subscription,
    members: Namespaces,
    hub: WatchHub,
    objects: WatchKey,
) {
    use crate::watch::WatchEvent;
    tokio::spawn(async move {
        let name = |o: &Value| {
            o.pointer("/metadata/name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let mut listing: Option<std::collections::BTreeSet<String>> = None;
        while let Some(event) = sub.events.recv().await {
            let changed = {
                let mut m = members.lock().expect("namespaces lock");
                match event {
                    WatchEvent::ListStart => {
                        listing = Some(Default::default());
                        false
                    }
                    WatchEvent::Listed(o) => {
                        if let Some(l) = &mut listing {
                            l.insert(name(&o));
                        }
                        false
                    }
                    WatchEvent::ListDone => {
                        let now = listing.take().unwrap_or_default();
                        let changed = m.as_ref() != Some(&now);
                        *m = Some(now);
                        changed
                    }
                    WatchEvent::Applied(o) => m.as_mut().is_some_and(|set| set.insert(name(&o))),
                    WatchEvent::Deleted(o) => m.as_mut().is_some_and(|set| set.remove(&name(&o))),
                }
            };
            if changed {
                hub.relist(&objects);
            }
        }
    });
}

/// `event` as a binding restricted to `members` sees it: nothing until
/// the namespaces are known, then only objects in a member namespace.
fn only_members(
    event: crate::watch::WatchEvent,
    members: Option<&Namespaces>,
) -> Option<crate::watch::WatchEvent> {
    use crate::watch::WatchEvent;
    let Some(members) = members else {
        return Some(event);
    };
    let m = members.lock().expect("namespaces lock");
    let set = m.as_ref()?;
    let inside = |o: &Value| {
        o.pointer("/metadata/namespace")
            .and_then(Value::as_str)
            .is_some_and(|ns| set.contains(ns))
    };
    match &event {
        WatchEvent::Listed(o) | WatchEvent::Applied(o) | WatchEvent::Deleted(o) if !inside(o) => {
            None
        }
        _ => Some(event),
    }
}

/// Take the run `first` (just removed from the head of `queue`) and every
/// run of the same hook and kind directly behind it; returns their events
/// in queue order and the bindings whose Synchronization they carry.
pub fn take_combined<T>(
    first: &HookRun,
    queue: &mut VecDeque<T>,
    as_run: impl Fn(&T) -> Option<&HookRun>,
) -> (Vec<HookEvent>, Vec<usize>) {
    let mut events = vec![first.event.clone()];
    let mut syncs: Vec<usize> = first.sync_of.iter().copied().collect();
    while let Some(next) = queue.front().and_then(&as_run) {
        if next.hook != first.hook || next.kind != first.kind {
            break;
        }
        events.push(next.event.clone());
        syncs.extend(next.sync_of.iter().copied());
        queue.pop_front();
    }
    (events, syncs)
}

/// The runs taken by [`take_combined`] after the first, to put back at the
/// head of a queue (in order) when the combined run failed.
pub fn put_back(first: &HookRun, events: Vec<HookEvent>) -> Vec<HookRun> {
    events
        .into_iter()
        .skip(1)
        .map(|event| HookRun {
            hook: first.hook,
            kind: first.kind,
            event,
            allow_failure: false,
            sync_of: None,
        })
        .collect()
}

/// The binding contexts of a combined run of `hook`: one per event, with
/// the snapshots of now, consecutive contexts of one group collapsed.
pub fn combined_contexts<M: From<HookSetMsg> + Send + 'static>(
    set: &HookSet<M>,
    hook: usize,
    events: &[HookEvent],
) -> Result<Vec<BindingContext>, String> {
    let store = set.snapshots_of(hook);
    let mut contexts = Vec::new();
    for e in events {
        contexts
            .push(build_context(&set.hooks[hook].config, e, &store).map_err(|e| e.to_string())?);
    }
    Ok(collapse_groups(contexts))
}

/// What a queue owner's loop does next.
pub enum Next<M> {
    /// Handle this message.
    Message(M),
    /// Nothing is waiting: run the next ready task.
    Work,
    /// The retry delay passed (or nothing changed): look again.
    Again,
    /// Every sender is gone.
    Closed,
}

/// The owners' loop, one home for it: messages first (every one that is
/// there is taken before work), then the ready task, but not before
/// `retry_at` when the head task failed (the backoff); with nothing ready,
/// wait for a message.
pub async fn next<M>(
    rx: &mut mpsc::UnboundedReceiver<M>,
    ready: bool,
    retry_at: &mut Option<tokio::time::Instant>,
) -> Next<M> {
    let closed_or = |m: Option<M>| m.map_or(Next::Closed, Next::Message);
    match (ready, *retry_at) {
        (true, Some(at)) if at > tokio::time::Instant::now() => {
            tokio::select! {
                m = rx.recv() => closed_or(m),
                _ = tokio::time::sleep_until(at) => { *retry_at = None; Next::Again }
            }
        }
        (true, _) => match rx.try_recv() {
            Ok(m) => Next::Message(m),
            Err(mpsc::error::TryRecvError::Empty) => Next::Work,
            Err(mpsc::error::TryRecvError::Disconnected) => Next::Closed,
        },
        (false, _) => closed_or(rx.recv().await),
    }
}

/// Sub-second jitter from the clock: enough to spread retries.
pub fn jitter() -> f64 {
    f64::from(chrono::Utc::now().timestamp_subsec_nanos() % 1000) / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(hook: usize, kind: RunKind, n: &str) -> HookRun {
        HookRun {
            hook,
            kind,
            event: HookEvent::Schedule { binding: n.into() },
            allow_failure: false,
            sync_of: None,
        }
    }

    #[test]
    fn combining_takes_only_the_same_hook_and_kind_directly_behind() {
        let first = run(1, RunKind::Schedule, "a");
        let mut q: VecDeque<HookRun> = [
            run(1, RunKind::Schedule, "b"),
            run(1, RunKind::Schedule, "c"),
            run(2, RunKind::Schedule, "d"),
            run(1, RunKind::Schedule, "e"),
        ]
        .into();
        let (events, syncs) = take_combined(&first, &mut q, |r: &HookRun| Some(r));
        let names: Vec<_> = events.iter().map(|e| e.binding().to_string()).collect();
        assert_eq!(names, ["a", "b", "c"]);
        assert!(syncs.is_empty());
        assert_eq!(q.len(), 2, "the run of another hook stops the combining");
        let back = put_back(&first, events);
        assert_eq!(back.len(), 2);
        assert_eq!(back[0].event.binding(), "b");
    }

    #[test]
    fn another_kind_is_not_combined() {
        let first = run(1, RunKind::Schedule, "a");
        let mut q: VecDeque<HookRun> = [run(1, RunKind::Event, "b")].into();
        let (events, _) = take_combined(&first, &mut q, |r: &HookRun| Some(r));
        assert_eq!(events.len(), 1);
        assert_eq!(q.len(), 1);
    }
}
