//! The module-sources controller: one loop, woken by watch events on the distribution
//! resources and ModuleConfigs and by its own timers, that on each pass
//! 1. scans the sources that are due (generation change, a ModuleConfig change, or their
//!    scan interval) and ensures each wanted module's release chain;
//! 2. decides every module's pending releases (skip / await / deploy), downloads and
//!    switches in the deployed one, keeps what is deployed active (also after a restart:
//!    missing files are downloaded again, a registry outage never purges anything);
//! 3. follows the pull overrides.
//!
//! Level-based: each pass reads the whole state again, so a missed event only delays work
//! until the next timer. Registry access goes through the `registry` crate alone.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use futures::StreamExt as _;
use kube::api::{Api, DeleteParams, DynamicObject, ListParams, Patch, PatchParams, PostParams};
use kube::core::ApiResource;
use kube::runtime::{WatchStreamExt as _, watcher};
use masterminds_semver::Version;
use registry::ops::{self, VersionSelector};
use registry::release::ReleaseMetadata;
use registry::{Channel, ModuleVersion, NoProgress, RegistryClient, SourceRef};
use serde_json::{Value, json};
use tokio::sync::Notify;
use tokio::time::Instant;

use super::chain::{self, FromTo};
use super::layout::Layout;
use super::model::*;
use super::policy::{self, Phase, Policy, Task, UpdateMode};
use super::{ModuleActivator, Options};
use crate::crds;

/// Released phases beyond this many per module are deleted after a deploy (the platform's
/// `outdatedReleasesKeepCount`).
pub const OUTDATED_RELEASES_KEPT: usize = 3;

/// The summary message of a source with per-module errors.
pub const SOME_ERRORS: &str = "Some errors occurred. Inspect status for details";

/// The controller could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The downloaded-modules directory cannot be prepared.
    #[error("downloaded modules dir {0}: {1}")]
    Layout(PathBuf, std::io::Error),
}

/// What the controller remembers about a source between passes.
#[derive(Default)]
struct SourceState {
    generation: i64,
    configs: String,
    last_scan: Option<Instant>,
}

/// A snapshot of the resources the controller works from.
#[derive(Default)]
struct World {
    sources: Vec<Source>,
    configs: BTreeMap<String, ModuleConfigView>,
    configs_fingerprint: String,
    policies: BTreeMap<String, Result<PolicyObject, String>>,
    selector_policies: Vec<PolicyObject>,
    releases: Vec<ReleaseObject>,
    overrides: BTreeMap<String, OverrideObject>,
    /// Module → sources that offered it at their last scan (from their status) or in
    /// this pass's catalogue listing.
    offered_by: BTreeMap<String, BTreeSet<String>>,
    /// Module → `status.phase` of its Module object (written by the operator).
    module_phases: BTreeMap<String, String>,
    /// Source → module names listed in this pass.
    catalogues: HashMap<String, Vec<String>>,
}

/// The policy resolved for one module of one source.
struct Resolved {
    channel: Channel,
    policy: Policy,
}

/// The module-sources controller (see the module docs); start it with [`super::spawn`].
pub struct Controller {
    client: kube::Client,
    opts: Options,
    layout: Layout,
    activator: Arc<dyn ModuleActivator>,
    kube_version: Option<String>,
    wake: Arc<Notify>,
    sources: HashMap<String, SourceState>,
    override_polls: HashMap<String, Instant>,
    /// What the activator was last told per module.
    active: HashMap<String, PathBuf>,
    /// The earliest time a waiting release may proceed by itself.
    next_release_check: Option<DateTime<Utc>>,
    /// Events on ModuleReleases (their phase changes).
    events: crate::events::EventRecorder,
}

fn api(client: &kube::Client, resource: &ApiResource) -> Api<DynamicObject> {
    Api::all_with(client.clone(), resource)
}

/// A status for a JSON merge patch: empty strings become `null` (the field is removed, so an
/// old message or error is cleared), and inside list items — which a merge patch replaces
/// whole — empty fields are left out (the API server refuses a `null` where its schema
/// says string).
fn merge_status(mut status: Value) -> Value {
    fn drop_empty(v: &mut Value) {
        if let Some(m) = v.as_object_mut() {
            m.retain(|_, x| x != "");
            m.values_mut().for_each(drop_empty);
        } else if let Some(a) = v.as_array_mut() {
            a.iter_mut().for_each(drop_empty);
        }
    }
    if let Some(m) = status.as_object_mut() {
        for v in m.values_mut() {
            if v == "" {
                *v = Value::Null;
            } else {
                drop_empty(v);
            }
        }
    }
    status
}

fn now_text() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true)
}

impl Controller {
    /// Prepares the downloaded-modules directory (and removes what an interrupted download
    /// left there) and reads the Kubernetes version.
    pub async fn new(
        client: kube::Client,
        opts: Options,
        activator: Arc<dyn ModuleActivator>,
    ) -> Result<Controller, StartError> {
        let dir = opts.downloaded_modules_dir.clone();
        let layout = Layout::new(&dir).map_err(|e| StartError::Layout(dir.clone(), e))?;
        match layout.clean_leftovers() {
            Ok(removed) => {
                for p in removed {
                    tracing::info!(path = %p.display(), "removed the leftover of an interrupted download");
                }
            }
            Err(e) => return Err(StartError::Layout(dir, e)),
        }
        let kube_version = client
            .apiserver_version()
            .await
            .ok()
            .map(|v| v.git_version.trim_start_matches('v').to_string());
        Ok(Controller {
            events: crate::events::EventRecorder::new(client.clone()),
            client,
            opts,
            layout,
            activator,
            kube_version,
            wake: Arc::new(Notify::new()),
            sources: HashMap::new(),
            override_polls: HashMap::new(),
            active: HashMap::new(),
            next_release_check: None,
        })
    }

    /// Runs until aborted.
    pub async fn run(mut self) {
        for resource in [
            crds::module_source_resource(),
            crds::module_release_resource(),
            crds::module_update_policy_resource("v1alpha2"),
            crds::module_pull_override_resource(),
            crds::module_config_resource(),
        ] {
            let wake = self.wake.clone();
            let api = api(&self.client, &resource);
            tokio::spawn(async move {
                let mut events = watcher(api, watcher::Config::default())
                    .default_backoff()
                    .boxed();
                while let Some(event) = events.next().await {
                    match event {
                        Ok(_) => wake.notify_one(),
                        Err(e) => tracing::debug!(kind = resource.kind, "watch: {e}"),
                    }
                }
            });
        }
        loop {
            let wait = self.pass().await;
            tokio::select! {
                _ = self.wake.notified() => {
                    // Let a burst of events (our own status writes among them) settle into
                    // one pass.
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }

    /// One pass over everything; returns how long the loop may sleep without events.
    pub async fn pass(&mut self) -> Duration {
        let world = match self.read_world().await {
            Ok(w) => w,
            Err(e) => {
                tracing::warn!("module sources: cannot read the cluster: {e}");
                return Duration::from_secs(5);
            }
        };
        let mut sleep = self.opts.recheck_interval;
        let mut world = world;
        self.list_due_catalogues(&mut world).await;
        for source in &world.sources {
            if let Some(due) = self.scan_if_due(source, &world).await {
                sleep = sleep.min(due);
            }
        }
        // Scans create releases: read them again before deciding.
        let world = match self.read_world().await {
            Ok(w) => w,
            Err(_) => return Duration::from_secs(5),
        };
        self.next_release_check = None;
        let modules: BTreeSet<String> = world.releases.iter().map(|r| r.module.clone()).collect();
        for module in &modules {
            if let Err(e) = self.process_module(module, &world).await {
                tracing::warn!(module, "module releases: {e}");
                sleep = sleep.min(Duration::from_secs(5));
            }
        }
        for o in world.overrides.values() {
            if let Some(due) = self.process_override(o, &world).await {
                sleep = sleep.min(due);
            }
        }
        if let Some(at) = self.next_release_check {
            let until = (at - Utc::now()).to_std().unwrap_or(Duration::ZERO);
            sleep = sleep.min(until.max(Duration::from_millis(500)));
        }
        sleep
    }

    async fn list(&self, resource: &ApiResource) -> Result<Vec<DynamicObject>, kube::Error> {
        Ok(api(&self.client, resource)
            .list(&ListParams::default())
            .await?
            .items)
    }

    async fn read_world(&self) -> Result<World, kube::Error> {
        let mut world = World::default();
        let mut params = ListParams::default();
        if let Some(selector) = &self.opts.source_selector {
            params = params.labels(selector);
        }
        let sources = api(&self.client, &crds::module_source_resource())
            .list(&params)
            .await?
            .items;
        for o in sources {
            let source = Source::from_object(&o);
            let modules = o
                .data
                .pointer("/status/modules")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            for m in modules {
                if let Some(name) = m.get("name").and_then(Value::as_str) {
                    world
                        .offered_by
                        .entry(name.to_string())
                        .or_default()
                        .insert(source.name.clone());
                }
            }
            world.sources.push(source);
        }
        // Offers by sources this controller does not serve still count as offers.
        if self.opts.source_selector.is_some() {
            for o in self.list(&crds::module_source_resource()).await? {
                let name = o.metadata.name.clone().unwrap_or_default();
                for m in o
                    .data
                    .pointer("/status/modules")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    if let Some(module) = m.get("name").and_then(Value::as_str) {
                        world
                            .offered_by
                            .entry(module.to_string())
                            .or_default()
                            .insert(name.clone());
                    }
                }
            }
        }
        let mut fingerprint = Vec::new();
        for o in self.list(&crds::module_config_resource()).await? {
            fingerprint.push(format!(
                "{}@{}",
                o.metadata.name.clone().unwrap_or_default(),
                o.metadata.resource_version.clone().unwrap_or_default()
            ));
            let mc = ModuleConfigView::from_object(&o);
            world.configs.insert(mc.name.clone(), mc);
        }
        fingerprint.sort();
        world.configs_fingerprint = fingerprint.join(",");
        for o in self
            .list(&crds::module_update_policy_resource("v1alpha2"))
            .await?
        {
            let name = o.metadata.name.clone().unwrap_or_default();
            world
                .policies
                .insert(name, PolicyObject::from_object(&o, UpdateMode::Auto));
        }
        for o in self
            .list(&crds::module_update_policy_resource("v1alpha1"))
            .await?
        {
            if let Ok(p) = PolicyObject::from_object(&o, UpdateMode::AutoPatch)
                && p.match_labels.is_some()
            {
                world.selector_policies.push(p);
            }
        }
        let served: BTreeSet<String> = world.sources.iter().map(|s| s.name.clone()).collect();
        for o in self.list(&crds::module_release_resource()).await? {
            match ReleaseObject::from_object(&o) {
                Ok(r) if self.opts.source_selector.is_none() || served.contains(&r.source) => {
                    world.releases.push(r)
                }
                Ok(_) => {}
                Err(e) => tracing::warn!("{e}"),
            }
        }
        for o in self.list(&crds::module_resource()).await? {
            if let Some(phase) = o.data.pointer("/status/phase").and_then(Value::as_str) {
                world.module_phases.insert(
                    o.metadata.name.clone().unwrap_or_default(),
                    phase.to_string(),
                );
            }
        }
        for o in self.list(&crds::module_pull_override_resource()).await? {
            let mpo = OverrideObject::from_object(&o);
            let ours = self.opts.source_selector.is_none()
                || world
                    .offered_by
                    .get(&mpo.name)
                    .is_some_and(|s| s.iter().any(|s| served.contains(s)))
                || world
                    .configs
                    .get(&mpo.name)
                    .and_then(|c| c.source.as_ref())
                    .is_some_and(|s| served.contains(s));
            if ours {
                world.overrides.insert(mpo.name.clone(), mpo);
            }
        }
        Ok(world)
    }

    // ----------------------------------------------------------------------------------
    // Policies

    fn embedded_policy(&self) -> Resolved {
        Resolved {
            channel: self.opts.default_channel,
            policy: Policy {
                name: String::new(),
                mode: self.opts.default_mode,
                windows: Vec::new(),
            },
        }
    }

    /// The policy of `module` from `source` (correction 15): the v1alpha2 policy its
    /// ModuleConfig names (the embedded one when that policy does not exist), else the one
    /// v1alpha1 policy whose selector matches, else the embedded one.
    fn resolve_policy(
        &self,
        module: &str,
        source: &str,
        world: &World,
    ) -> Result<Resolved, String> {
        if let Some(name) = world
            .configs
            .get(module)
            .and_then(|c| c.update_policy.as_ref())
        {
            return match world.policies.get(name) {
                Some(Ok(p)) => Ok(Resolved {
                    channel: p.channel,
                    policy: p.policy.clone(),
                }),
                Some(Err(e)) => Err(e.clone()),
                None => Ok(self.embedded_policy()),
            };
        }
        let labels = BTreeMap::from([
            (LABEL_MODULE.to_string(), module.to_string()),
            (LABEL_SOURCE.to_string(), source.to_string()),
        ]);
        let matching: Vec<&PolicyObject> = world
            .selector_policies
            .iter()
            .filter(|p| {
                p.match_labels
                    .as_ref()
                    .is_some_and(|m| m.iter().all(|(k, v)| labels.get(k) == Some(v)))
            })
            .collect();
        match matching.as_slice() {
            [] => Ok(self.embedded_policy()),
            [one] => Ok(Resolved {
                channel: one.channel,
                policy: one.policy.clone(),
            }),
            many => Err(format!(
                "matched by more than one update policy ({}): not updated",
                many.iter()
                    .map(|p| p.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }

    // ----------------------------------------------------------------------------------
    // Source scans

    fn scan_interval(&self, source: &Source) -> Duration {
        effective_scan_interval(
            source.scan_interval.clone().ok().flatten(),
            self.opts.min_scan_interval,
        )
    }

    fn is_due(&self, source: &Source, world: &World) -> bool {
        let interval = self.scan_interval(source);
        self.sources.get(&source.name).is_none_or(|state| {
            state.generation != source.generation
                || state.configs != world.configs_fingerprint
                || state.last_scan.is_none_or(|t| t.elapsed() >= interval)
        })
    }

    /// Lists the catalogue of every source due for a scan before any of them is scanned,
    /// so a module that two sources offer is seen as such in this very pass (the other
    /// sources count by their last status).
    async fn list_due_catalogues(&self, world: &mut World) {
        for source in world.sources.iter().filter(|s| !s.deleting) {
            if !self.is_due(source, world) {
                continue;
            }
            let Ok((source_ref, client)) = self.registry_client(&source.registry) else {
                continue;
            };
            let listed = tokio::time::timeout(
                REQUEST_TIMEOUT,
                ops::list_module_names(&client, &source_ref),
            )
            .await;
            if let Ok(Ok((names, _))) = listed {
                for name in &names {
                    world
                        .offered_by
                        .entry(name.clone())
                        .or_default()
                        .insert(source.name.clone());
                }
                world.catalogues.insert(source.name.clone(), names);
            }
        }
    }

    /// Scans `source` when it is due; returns the time until it is due again.
    async fn scan_if_due(&mut self, source: &Source, world: &World) -> Option<Duration> {
        if source.deleting {
            self.finish_source_deletion(source, world).await;
            return Some(Duration::from_secs(5));
        }
        let interval = self.scan_interval(source);
        let state = self.sources.entry(source.name.clone()).or_default();
        let due = state.generation != source.generation
            || state.configs != world.configs_fingerprint
            || state.last_scan.is_none_or(|t| t.elapsed() >= interval);
        if !due {
            let elapsed = state.last_scan.map(|t| t.elapsed()).unwrap_or_default();
            return Some(interval.saturating_sub(elapsed));
        }
        state.generation = source.generation;
        state.configs = world.configs_fingerprint.clone();
        state.last_scan = Some(Instant::now());
        let status = match tokio::time::timeout(SCAN_TIMEOUT, self.scan(source, world)).await {
            Ok(status) => status,
            Err(_) => json!({
                "phase": "Active",
                "syncTime": now_text(),
                "message": format!(
                    "the scan did not finish within {}s (is the registry answering?)",
                    SCAN_TIMEOUT.as_secs()
                ),
            }),
        };
        if let Err(e) = self.write_source_status(source, status).await {
            tracing::warn!(
                source = source.name,
                "cannot write the ModuleSource status: {e}"
            );
        }
        Some(interval)
    }

    async fn write_source_status(&self, source: &Source, status: Value) -> Result<(), kube::Error> {
        let api = api(&self.client, &crds::module_source_resource());
        let mut finalizers = source.finalizers.clone();
        let checksum = source.registry.checksum();
        if !finalizers.iter().any(|f| f == FINALIZER_RELEASE_EXISTS)
            || source.annotations.get(REGISTRY_CHECKSUM) != Some(&checksum)
        {
            if !finalizers.iter().any(|f| f == FINALIZER_RELEASE_EXISTS) {
                finalizers.push(FINALIZER_RELEASE_EXISTS.to_string());
            }
            let patch = json!({"metadata": {
                "finalizers": finalizers,
                "annotations": {REGISTRY_CHECKSUM: checksum},
            }});
            api.patch(&source.name, &PatchParams::default(), &Patch::Merge(&patch))
                .await?;
        }
        api.patch_status(
            &source.name,
            &PatchParams::default(),
            &Patch::Merge(&json!({ "status": merge_status(status) })),
        )
        .await?;
        Ok(())
    }

    /// A source being deleted waits while releases of it are deployed (unless the
    /// force-delete annotation says otherwise), then lets go of its finalizer.
    async fn finish_source_deletion(&self, source: &Source, world: &World) {
        let api = api(&self.client, &crds::module_source_resource());
        let deployed: Vec<&str> = world
            .releases
            .iter()
            .filter(|r| r.source == source.name && r.phase == Phase::Deployed)
            .map(|r| r.name.as_str())
            .collect();
        let forced = policy::true_like(source.annotations.get(FORCE_DELETE).map(String::as_str));
        if !deployed.is_empty() && !forced {
            let message = format!(
                "the source has deployed releases ({}): delete them first, or set the '{FORCE_DELETE}: \"true\"' annotation",
                deployed.join(", ")
            );
            let _ = api
                .patch_status(
                    &source.name,
                    &PatchParams::default(),
                    &Patch::Merge(&json!({"status": {"phase": "Terminating", "message": message}})),
                )
                .await;
            return;
        }
        let finalizers: Vec<&String> = source
            .finalizers
            .iter()
            .filter(|f| {
                *f != FINALIZER_RELEASE_EXISTS && *f != "modules.deckhouse.io/module-exists"
            })
            .collect();
        if finalizers.len() != source.finalizers.len() {
            let _ = api
                .patch(
                    &source.name,
                    &PatchParams::default(),
                    &Patch::Merge(&json!({"metadata": {"finalizers": finalizers}})),
                )
                .await;
        }
    }

    /// Scans one source; returns its new status.
    async fn scan(&self, source: &Source, world: &World) -> Value {
        let fail = |message: String| {
            json!({
                "phase": "Active",
                "syncTime": now_text(),
                "message": message,
            })
        };
        if let Err(e) = &source.scan_interval {
            return fail(e.clone());
        }
        let (source_ref, client) = match self.registry_client(&source.registry) {
            Ok(c) => c,
            Err(e) => return fail(e),
        };
        if source
            .annotations
            .get(REGISTRY_CHECKSUM)
            .is_some_and(|c| *c != source.registry.checksum())
        {
            self.stamp_registry_change(source, world).await;
        }
        let names = match world.catalogues.get(&source.name) {
            Some(names) => names.clone(),
            None => match ops::list_module_names(&client, &source_ref).await {
                Ok((names, _ignored)) => names,
                Err(e) => return fail(format!("cannot list the modules of {source_ref}: {e}")),
            },
        };
        let mut modules = Vec::new();
        let mut any_error = false;
        for name in &names {
            let entry = self
                .scan_module(source, &source_ref, &client, name, world)
                .await;
            any_error |= entry
                .get("error")
                .and_then(Value::as_str)
                .is_some_and(|e| !e.is_empty());
            modules.push(entry);
        }
        json!({
            "phase": "Active",
            "syncTime": now_text(),
            "modulesCount": names.len(),
            "message": if any_error { SOME_ERRORS } else { "" },
            "modules": modules,
        })
    }

    fn registry_client(&self, spec: &RegistrySpec) -> Result<(SourceRef, RegistryClient), String> {
        let (source_ref, options) = spec.connect()?;
        let client = RegistryClient::new(options).map_err(|e| e.to_string())?;
        Ok((source_ref, client))
    }

    async fn stamp_registry_change(&self, source: &Source, world: &World) {
        let api = api(&self.client, &crds::module_release_resource());
        for r in world
            .releases
            .iter()
            .filter(|r| r.source == source.name && r.phase == Phase::Deployed)
        {
            let patch = json!({"metadata": {"annotations": {REGISTRY_CHANGED: now_text()}}});
            let _ = api
                .patch(&r.name, &PatchParams::default(), &Patch::Merge(&patch))
                .await;
        }
    }

    /// Whether releases of `module` are to be made from `source` (correction 28, without
    /// editions): not pinned to another source, explicitly enabled, and — when more than
    /// one source offers it — chosen by `ModuleConfig.spec.source`.
    fn wanted(&self, module: &str, source: &Source, world: &World) -> Result<bool, String> {
        let Some(mc) = world.configs.get(module) else {
            return Ok(false);
        };
        if let Some(chosen) = &mc.source {
            return Ok(chosen == &source.name && mc.enabled == Some(true));
        }
        if mc.enabled != Some(true) {
            return Ok(false);
        }
        let mut offering = world.offered_by.get(module).cloned().unwrap_or_default();
        offering.insert(source.name.clone());
        offering.retain(|s| !world.sources.iter().any(|x| &x.name == s && x.deleting));
        if offering.len() > 1 {
            return Err(format!(
                "the module is offered by several sources ({}): choose one with ModuleConfig spec.source",
                offering.into_iter().collect::<Vec<_>>().join(", ")
            ));
        }
        Ok(true)
    }

    async fn scan_module(
        &self,
        source: &Source,
        source_ref: &SourceRef,
        client: &RegistryClient,
        name: &str,
        world: &World,
    ) -> Value {
        let mut entry = json!({
            "name": name, "version": "unknown", "checksum": "", "policy": "",
            "overridden": false, "error": "", "pullError": "",
        });
        let set_error = |entry: &mut Value, message: String| {
            entry["error"] = json!(message);
            entry["pullError"] = json!(message);
        };
        let wanted = match self.wanted(name, source, world) {
            Ok(w) => w,
            Err(e) => {
                set_error(&mut entry, e);
                return entry;
            }
        };
        let resolved = match self.resolve_policy(name, &source.name, world) {
            Ok(p) => p,
            Err(e) => {
                set_error(&mut entry, e);
                return entry;
            }
        };
        entry["policy"] = json!(resolved.policy.name);
        if world.overrides.contains_key(name) {
            entry["overridden"] = json!(true);
            return entry;
        }
        if resolved.policy.mode == UpdateMode::Ignore {
            return entry;
        }
        let target = match ops::read_release(client, source_ref, name, resolved.channel.tag()).await
        {
            Ok(t) => t,
            Err(e) => {
                // Recorded only when the module is wanted from here (§5.1 3c).
                if wanted {
                    set_error(
                        &mut entry,
                        format!("channel {}: {e}", resolved.channel.tag()),
                    );
                }
                return entry;
            }
        };
        entry["version"] = json!(target.version.tag());
        entry["checksum"] = json!(target.digest.to_string());
        if !wanted {
            return entry;
        }
        let semver = target.version.semver();
        if !semver.pre.is_empty() || !semver.metadata.is_empty() {
            set_error(
                &mut entry,
                format!(
                    "channel {} points at the pre-release {}: pre-releases are never deployed automatically",
                    resolved.channel.tag(),
                    target.version.tag()
                ),
            );
            return entry;
        }
        if let Err(e) = self
            .ensure_chain(source, source_ref, client, name, &resolved, &target, world)
            .await
        {
            // Wiped so the next pass tries again (correction 29).
            entry["checksum"] = json!("");
            set_error(&mut entry, e);
        }
        entry
    }

    /// Creates the releases between the module's current one and `target` (§5.2), marks a
    /// deployed version that left the registry Suspended, and reports a broken sequence.
    #[allow(clippy::too_many_arguments)]
    async fn ensure_chain(
        &self,
        source: &Source,
        source_ref: &SourceRef,
        client: &RegistryClient,
        module: &str,
        resolved: &Resolved,
        target: &ReleaseMetadata,
        world: &World,
    ) -> Result<(), String> {
        let existing: BTreeMap<String, &ReleaseObject> = world
            .releases
            .iter()
            .filter(|r| r.module == module)
            .map(|r| (r.name.clone(), r))
            .collect();
        let target_version = target.version.semver().clone();
        if let Some(meta) = self.module_metadata(target)
            && meta.stage == Some(module::definition::Stage::Experimental)
            && !self.opts.allow_experimental_modules
        {
            return Err(
                "the module is experimental and experimental modules are not allowed".into(),
            );
        }
        if existing.is_empty() {
            return self
                .create_release(source, module, resolved, target, true)
                .await;
        }
        let tags = ops::list_module_tags(client, source_ref, module)
            .await
            .map_err(|e| format!("cannot list the versions of {module}: {e}"))?;
        let available = chain::release_versions(tags.iter().map(String::as_str));
        self.suspend_vanished(module, source, &available, &existing)
            .await;
        let newest = |phase: Phase| {
            existing
                .values()
                .filter(|r| r.phase == phase && r.source == source.name)
                .map(|r| &r.version)
                .max()
        };
        let start = newest(Phase::Deployed)
            .or_else(|| newest(Phase::Suspended))
            .or_else(|| {
                existing
                    .values()
                    .filter(|r| r.phase == Phase::Pending)
                    .map(|r| &r.version)
                    .min()
            })
            .cloned();
        let lts = resolved.channel == Channel::Lts;
        let versions = chain::select_versions(&available, start.as_ref(), &target_version, lts);
        let mut steps: Vec<(Version, Vec<FromTo>)> = Vec::new();
        for version in versions {
            let name = release_name(module, &version);
            let meta = if version == target_version {
                target.clone()
            } else if let Some(r) = existing.get(&name) {
                steps.push((version, r.from_to.clone()));
                continue;
            } else {
                let tag = format!("v{version}");
                ops::read_release(client, source_ref, module, &tag)
                    .await
                    .map_err(|e| format!("release {tag}: {e}"))?
            };
            steps.push((version.clone(), self.rules_of(&meta)));
            match existing.get(&name) {
                Some(r)
                    if r.phase == Phase::Pending
                        && r.labels.get(LABEL_CHECKSUM) != Some(&checksum_label(&meta.digest)) =>
                {
                    self.refresh_release(r, source, resolved, &meta).await?;
                }
                Some(r)
                    if r.phase == Phase::Pending
                        && r.labels.get(LABEL_POLICY) != Some(&resolved.policy.name) =>
                {
                    // The policy changed since the release was made: say which one rules it.
                    self.patch_release_metadata(
                        &r.name,
                        json!({"labels": {LABEL_POLICY: resolved.policy.name}}),
                    )
                    .await?;
                }
                Some(_) => {}
                None => {
                    self.create_release(source, module, resolved, &meta, false)
                        .await?
                }
            }
        }
        let broken = chain::gaps(start.as_ref(), &steps);
        if !broken.is_empty() {
            return Err(format!(
                "broken release sequence: {} (no release of the minor in between and no from-to rule)",
                broken
                    .iter()
                    .map(|(a, b)| format!("v{a} -> v{b}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        Ok(())
    }

    /// A deployed version whose module image left the registry cannot be restored: its
    /// release becomes Suspended (the copy on disk keeps running).
    async fn suspend_vanished(
        &self,
        module: &str,
        source: &Source,
        available: &[Version],
        existing: &BTreeMap<String, &ReleaseObject>,
    ) {
        for r in existing.values() {
            if r.phase == Phase::Deployed
                && r.source == source.name
                && !available.contains(&r.version)
            {
                let message = format!(
                    "version v{} of {module} is no longer in the registry ({}/{module}:v{}); the module keeps running the copy on disk",
                    r.version, source.registry.repo, r.version
                );
                let _ = self.set_phase(&r.name, Phase::Suspended, &message).await;
            }
        }
    }

    fn module_metadata(
        &self,
        meta: &ReleaseMetadata,
    ) -> Option<module::definition::ModuleDefinition> {
        let text = meta.module_yaml.as_deref()?;
        module::definition::parse(Path::new("module.yaml"), text).definition
    }

    fn rules_of(&self, meta: &ReleaseMetadata) -> Vec<FromTo> {
        self.module_metadata(meta)
            .and_then(|d| d.update)
            .map(|u| {
                u.versions
                    .iter()
                    .filter_map(|r| FromTo::parse(&r.from, &r.to).ok())
                    .collect()
            })
            .unwrap_or_default()
    }

    fn release_spec(&self, module: &str, meta: &ReleaseMetadata) -> Value {
        let mut spec = json!({
            "moduleName": module,
            "version": meta.version.semver().to_string(),
            "changelog": meta.changelog.as_deref()
                .and_then(|t| goyaml::from_str(t).ok())
                .filter(Value::is_object)
                .unwrap_or_else(|| json!({})),
        });
        if let Some(d) = self.module_metadata(meta) {
            if let Some(w) = d.weight {
                spec["weight"] = json!(w);
            }
            if let Some(r) = d.requirements {
                let mut req = json!({});
                if let Some(v) = r.deckhouse {
                    req["deckhouse"] = json!(v);
                }
                if let Some(v) = r.kubernetes {
                    req["kubernetes"] = json!(v);
                }
                if let Some(v) = r.bootstrapped {
                    req["bootstrapped"] = json!(v);
                }
                if !r.modules.is_empty() {
                    req["modules"] = json!(r.modules);
                }
                spec["requirements"] = req;
            }
            if let Some(u) = d.update
                && !u.versions.is_empty()
            {
                spec["update"] = json!({"versions": u.versions.iter()
                    .map(|v| json!({"from": v.from, "to": v.to})).collect::<Vec<_>>()});
            }
        }
        spec
    }

    async fn create_release(
        &self,
        source: &Source,
        module: &str,
        resolved: &Resolved,
        meta: &ReleaseMetadata,
        first: bool,
    ) -> Result<(), String> {
        let name = release_name(module, meta.version.semver());
        let mut annotations = json!({CHANGE_CAUSE: "check release (step-by-step)"});
        if first {
            annotations[policy::APPLY_NOW] = json!("true");
        }
        let object = json!({
            "apiVersion": "deckhouse.io/v1alpha1",
            "kind": "ModuleRelease",
            "metadata": {
                "name": name,
                "labels": {
                    LABEL_MODULE: module,
                    LABEL_SOURCE: source.name,
                    LABEL_CHECKSUM: checksum_label(&meta.digest),
                    LABEL_POLICY: resolved.policy.name,
                    LABEL_STATUS: "pending",
                },
                "annotations": annotations,
                "ownerReferences": [{
                    "apiVersion": "deckhouse.io/v1alpha1", "kind": "ModuleSource",
                    "name": source.name, "uid": source.uid, "controller": true,
                }],
            },
            "spec": self.release_spec(module, meta),
        });
        let object: DynamicObject =
            serde_json::from_value(object).map_err(|e| format!("release {name}: {e}"))?;
        let api = api(&self.client, &crds::module_release_resource());
        match api.create(&PostParams::default(), &object).await {
            Ok(_) => {}
            Err(kube::Error::Api(s)) if s.code == 409 => {}
            Err(e) => return Err(format!("cannot create ModuleRelease {name}: {e}")),
        }
        tracing::info!(release = name, "created the module release");
        self.set_phase(&name, Phase::Pending, "")
            .await
            .map_err(|e| format!("cannot set the status of ModuleRelease {name}: {e}"))
    }

    async fn refresh_release(
        &self,
        release: &ReleaseObject,
        source: &Source,
        resolved: &Resolved,
        meta: &ReleaseMetadata,
    ) -> Result<(), String> {
        let patch = json!({
            "metadata": {
                "labels": {
                    LABEL_CHECKSUM: checksum_label(&meta.digest),
                    LABEL_SOURCE: source.name,
                    LABEL_POLICY: resolved.policy.name,
                },
                "annotations": {CHANGE_CAUSE: "check release (step-by-step): refreshed"},
            },
            "spec": self.release_spec(&release.module, meta),
        });
        api(&self.client, &crds::module_release_resource())
            .patch(
                &release.name,
                &PatchParams::default(),
                &Patch::Merge(&patch),
            )
            .await
            .map(drop)
            .map_err(|e| format!("cannot refresh ModuleRelease {}: {e}", release.name))
    }

    // ----------------------------------------------------------------------------------
    // Releases

    async fn set_phase(&self, name: &str, phase: Phase, message: &str) -> Result<(), kube::Error> {
        self.set_status(name, phase, message, json!({})).await
    }

    async fn set_status(
        &self,
        name: &str,
        phase: Phase,
        message: &str,
        extra: Value,
    ) -> Result<(), kube::Error> {
        let api = api(&self.client, &crds::module_release_resource());
        let current = api.get_opt(name).await?;
        let Some(current) = current else {
            return Ok(());
        };
        let status = current.data.get("status").cloned().unwrap_or(Value::Null);
        let old_phase = status.get("phase").and_then(Value::as_str);
        let old_message = status
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let extra_same = extra
            .as_object()
            .is_none_or(|m| m.iter().all(|(k, v)| status.get(k) == Some(v)));
        if old_phase == Some(phase.as_str()) && old_message == message && extra_same {
            return Ok(());
        }
        let mut new_status = json!({"phase": phase.as_str(), "message": message});
        if old_phase != Some(phase.as_str()) {
            new_status["transitionTime"] = json!(now_text());
        }
        if let (Some(n), Some(e)) = (new_status.as_object_mut(), extra.as_object()) {
            n.extend(e.clone());
        }
        api.patch_status(
            name,
            &PatchParams::default(),
            &Patch::Merge(&json!({"status": merge_status(new_status)})),
        )
        .await?;
        if old_phase != Some(phase.as_str()) {
            self.record_phase(&current, phase, message).await;
        }
        let label = phase.as_str().to_ascii_lowercase();
        if current
            .metadata
            .labels
            .as_ref()
            .and_then(|l| l.get(LABEL_STATUS))
            != Some(&label)
        {
            api.patch(
                name,
                &PatchParams::default(),
                &Patch::Merge(&json!({"metadata": {"labels": {LABEL_STATUS: label}}})),
            )
            .await?;
        }
        Ok(())
    }

    /// The event of a release entering `phase`: its reason is the phase
    /// (`Deployed`, `Superseded`, …), a Warning for Suspended; the note is
    /// the status message, or what the phase means when there is none.
    async fn record_phase(&self, release: &DynamicObject, phase: Phase, message: &str) {
        let note = match (message, phase) {
            ("", Phase::Deployed) => "deployed: its files are active",
            ("", Phase::Superseded) => "superseded by a newer release",
            ("", Phase::Skipped) => "skipped: a later release is deployed instead",
            ("", Phase::Terminating) => "being deleted",
            (m, _) => m,
        };
        let regarding = crate::events::Regarding {
            api_version: "deckhouse.io/v1alpha1",
            kind: "ModuleRelease",
            name: release.metadata.name.as_deref().unwrap_or_default(),
            uid: release.metadata.uid.as_deref(),
        };
        let what = crate::events::Happening {
            severity: match phase {
                Phase::Suspended => crate::events::Severity::Warning,
                _ => crate::events::Severity::Normal,
            },
            reason: phase.as_str(),
            action: "Release",
            note,
        };
        self.events.record(&regarding, &what).await;
    }

    async fn pending(&self, name: &str, message: String) -> Result<(), String> {
        self.set_phase(name, Phase::Pending, &message)
            .await
            .map_err(|e| e.to_string())
    }

    async fn patch_release_metadata(&self, name: &str, metadata: Value) -> Result<(), String> {
        api(&self.client, &crds::module_release_resource())
            .patch(
                name,
                &PatchParams::default(),
                &Patch::Merge(&json!({ "metadata": metadata })),
            )
            .await
            .map(drop)
            .map_err(|e| format!("ModuleRelease {name}: {e}"))
    }

    /// Decides and acts on one module's releases.
    async fn process_module(&mut self, module: &str, world: &World) -> Result<(), String> {
        let releases: Vec<&ReleaseObject> = world
            .releases
            .iter()
            .filter(|r| r.module == module)
            .collect();
        for r in releases.iter().filter(|r| r.deleting) {
            self.finish_release_deletion(r, world).await?;
        }
        let releases: Vec<&ReleaseObject> = releases.into_iter().filter(|r| !r.deleting).collect();
        if world.overrides.contains_key(module) {
            return Ok(());
        }
        let config = world.configs.get(module);
        if config.is_some_and(|c| c.enabled == Some(false)) {
            // Disabling a module deletes its pending releases (users' voice #27).
            let api = api(&self.client, &crds::module_release_resource());
            for r in releases.iter().filter(|r| r.phase == Phase::Pending) {
                api.delete(&r.name, &DeleteParams::default())
                    .await
                    .map_err(|e| format!("cannot delete ModuleRelease {}: {e}", r.name))?;
                tracing::info!(
                    release = r.name,
                    "deleted the pending release of a disabled module"
                );
            }
        }
        let deployed = releases
            .iter()
            .filter(|r| r.phase == Phase::Deployed)
            .max_by(|a, b| a.version.cmp(&b.version))
            .copied();
        if let Some(d) = deployed {
            self.keep_active(d, world).await?;
        }
        let Some(sample) = releases.iter().find(|r| r.phase == Phase::Pending) else {
            return Ok(());
        };
        let resolved = self.resolve_policy(module, &sample.source, world);
        let resolved = match resolved {
            Ok(r) => r,
            Err(e) => {
                for r in releases.iter().filter(|r| r.phase == Phase::Pending) {
                    let _ = self.set_phase(&r.name, Phase::Pending, &e).await;
                }
                return Ok(());
            }
        };
        // A policy named on the release that does not exist (correction 15).
        let views: Vec<policy::Release> = releases.iter().map(|r| r.rules_view()).collect();
        let tasks = policy::calculate(&views, resolved.channel == Channel::Lts);
        for (name, task) in tasks {
            let r = releases.iter().find(|r| r.name == name).copied().unwrap();
            match task {
                Task::Skip(reason) => {
                    self.set_phase(&name, Phase::Skipped, &reason)
                        .await
                        .map_err(|e| e.to_string())?;
                }
                Task::Await(message) => {
                    self.set_phase(&name, Phase::Pending, &message)
                        .await
                        .map_err(|e| e.to_string())?;
                }
                Task::Process => {
                    let named = r.labels.get(LABEL_POLICY).filter(|n| !n.is_empty());
                    if let Some(n) = named
                        && !world.policies.contains_key(n)
                        && config.and_then(|c| c.update_policy.as_ref()) == Some(n)
                    {
                        self.set_phase(
                            &name,
                            Phase::Pending,
                            &format!("Update policy {n} not found"),
                        )
                        .await
                        .map_err(|e| e.to_string())?;
                        continue;
                    }
                    if let Err(message) = self.check_requirements(r, world) {
                        self.set_phase(&name, Phase::Pending, &message)
                            .await
                            .map_err(|e| e.to_string())?;
                        continue;
                    }
                    let view = r.rules_view();
                    if let Err(wait) = policy::deploy_time(
                        &view,
                        deployed.map(|d| &d.version),
                        &resolved.policy,
                        Utc::now(),
                    ) {
                        if let Some(at) = wait.retry_at {
                            self.next_release_check =
                                Some(self.next_release_check.map_or(at, |n| n.min(at)));
                        }
                        if resolved.policy.mode == UpdateMode::Manual {
                            let _ = self
                                .set_status(
                                    &name,
                                    Phase::Pending,
                                    &wait.message,
                                    json!({"approved": view.approved}),
                                )
                                .await;
                        } else {
                            self.set_phase(&name, Phase::Pending, &wait.message)
                                .await
                                .map_err(|e| e.to_string())?;
                        }
                        continue;
                    }
                    if let Some(d) = deployed
                        && !view.force
                        && (d.version.major, d.version.minor) != (r.version.major, r.version.minor)
                        && let Some(phase) = world.module_phases.get(module)
                        && phase != "Ready"
                    {
                        // Correction 36: a minor waits until the running one is ready.
                        self.set_phase(
                            &name,
                            Phase::Pending,
                            &format!(
                                "awaiting for module v{} to be ready (its Module phase is {phase})",
                                d.version
                            ),
                        )
                        .await
                        .map_err(|e| e.to_string())?;
                        continue;
                    }
                    self.deploy(r, deployed, &releases, world).await?;
                    // One switch per pass: the next pass sees the new state.
                    return Ok(());
                }
            }
        }
        Ok(())
    }

    /// Requirements of a release (platform version, Kubernetes version, other modules);
    /// the message names each unmet one.
    fn check_requirements(&self, r: &ReleaseObject, world: &World) -> Result<(), String> {
        if r.flag(policy::FORCE) || r.flag(policy::FORCE_PLATFORM) {
            return Ok(());
        }
        let mut unmet = Vec::new();
        let check = |what: &str,
                     constraint: &str,
                     actual: Option<&str>,
                     unmet: &mut Vec<String>| {
            let parsed = match masterminds_semver::Constraints::parse(constraint) {
                Ok(c) => c,
                Err(e) => {
                    unmet.push(format!(
                        "{what} {constraint:?} is not a valid constraint: {e}"
                    ));
                    return;
                }
            };
            match actual.map(|a| masterminds_semver::Version::parse(a.trim_start_matches('v'))) {
                Some(Ok(v)) if parsed.check(&v) => {}
                Some(Ok(_)) => unmet.push(format!(
                    "{what} {constraint} (found {})",
                    actual.unwrap_or_default()
                )),
                Some(Err(_)) | None => unmet.push(format!("{what} {constraint} (version unknown)")),
            }
        };
        if let Some(c) = r.requirements.get("deckhouse").and_then(Value::as_str)
            && let Some(platform) = &self.opts.platform_version
        {
            check("deckhouse", c, Some(platform), &mut unmet);
        }
        if let Some(c) = r.requirements.get("kubernetes").and_then(Value::as_str) {
            let kube = self
                .kube_version
                .as_deref()
                .map(|v| v.split(['+', '-']).next().unwrap_or(v));
            check("kubernetes", c, kube, &mut unmet);
        }
        if let Some(mods) = r.requirements.get("modules").and_then(Value::as_object) {
            for (m, c) in mods {
                let c = c.as_str().unwrap_or_default();
                let enabled = world.configs.get(m).and_then(|x| x.enabled) == Some(true);
                if !enabled {
                    unmet.push(format!("module {m} {c} (not enabled)"));
                    continue;
                }
                let version = world
                    .releases
                    .iter()
                    .filter(|x| &x.module == m && x.phase == Phase::Deployed)
                    .map(|x| x.version.to_string())
                    .next();
                if let Some(v) = version {
                    check(&format!("module {m}"), c, Some(&v), &mut unmet);
                }
            }
        }
        if unmet.is_empty() {
            Ok(())
        } else {
            Err(format!("requirements are not met: {}", unmet.join("; ")))
        }
    }

    fn source_of<'w>(&self, r: &ReleaseObject, world: &'w World) -> Result<&'w Source, String> {
        world
            .sources
            .iter()
            .find(|s| s.name == r.source)
            .ok_or_else(|| format!("ModuleSource {:?} of the release does not exist", r.source))
    }

    /// Downloads (unless present) and verifies the release's module image into its version
    /// directory. `Ok(Err(message))`: the version is not in the registry any more.
    async fn ensure_files(
        &self,
        r: &ReleaseObject,
        world: &World,
        force: bool,
    ) -> Result<Result<PathBuf, String>, String> {
        let dir = self.layout.version_dir(&r.module, &r.version);
        if !force && Layout::is_complete(&dir) {
            return Ok(Ok(dir));
        }
        let source = self.source_of(r, world)?;
        let (source_ref, client) = self.registry_client(&source.registry)?;
        let version = ModuleVersion::parse(&r.version.to_string()).map_err(|e| e.to_string())?;
        let started = std::time::Instant::now();
        let pulled = tokio::time::timeout(
            DOWNLOAD_TIMEOUT,
            ops::pull_module(
                &client,
                &source_ref,
                &r.module,
                &VersionSelector::Version(version),
                &dir,
                &NoProgress,
            ),
        )
        .await
        .unwrap_or_else(|_| {
            Err(registry::Error::Invalid(format!(
                "the download did not finish within {}s",
                DOWNLOAD_TIMEOUT.as_secs()
            )))
        });
        match pulled {
            Ok(report) => {
                tracing::info!(
                    module = r.module,
                    version = %r.version,
                    bytes = report.downloaded_bytes,
                    seconds = started.elapsed().as_secs_f64(),
                    "downloaded the module"
                );
                Ok(Ok(dir))
            }
            Err(registry::Error::NotFound { reference }) => Ok(Err(format!(
                "version v{} is not in the registry: {reference} not found",
                r.version
            ))),
            Err(e) => Err(format!(
                "download of {}:v{} failed: {e}",
                r.module, r.version
            )),
        }
    }

    /// The new version's schema accepts the module's current settings.
    fn validate_settings(&self, module: &str, dir: &Path, world: &World) -> Result<(), String> {
        let loaded = module::Module::load(dir).map_err(|findings| {
            format!(
                "the downloaded module is invalid: {}",
                findings
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; ")
            )
        })?;
        let settings = world
            .configs
            .get(module)
            .map(|c| c.settings.clone())
            .unwrap_or(Value::Null);
        loaded.config_values(&settings).map(drop).map_err(|e| {
            format!(
                "Initial module config validation failed: {}",
                e.violations
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; ")
            )
        })
    }

    async fn switch_to(&mut self, module: &str, dir: &Path) -> Result<(), String> {
        self.layout.activate(module, dir).map_err(|e| {
            format!(
                "cannot switch {}: {e}",
                self.layout.active_link(module).display()
            )
        })?;
        self.activator.activate(module, dir).await?;
        self.active.insert(module.to_string(), dir.to_path_buf());
        Ok(())
    }

    async fn deploy(
        &mut self,
        r: &ReleaseObject,
        deployed: Option<&ReleaseObject>,
        releases: &[&ReleaseObject],
        world: &World,
    ) -> Result<(), String> {
        let dir = match self.ensure_files(r, world, false).await {
            Ok(Ok(dir)) => dir,
            Ok(Err(gone)) => {
                return self
                    .set_phase(&r.name, Phase::Suspended, &gone)
                    .await
                    .map_err(|e| e.to_string());
            }
            Err(e) => return self.pending(&r.name, e).await,
        };
        if !(r.flag(policy::FORCE) || r.flag(policy::FORCE_PLATFORM))
            && let Err(e) = self.validate_settings(&r.module, &dir, world)
        {
            return self.pending(&r.name, e).await;
        }
        let previous = self.layout.active_target(&r.module);
        if let Err(e) = self.switch_to(&r.module, &dir).await {
            // Put the previous copy back so the module keeps running what it ran.
            if let Some(p) = previous {
                let _ = self.layout.activate(&r.module, &p);
            }
            return self
                .pending(&r.name, format!("activation failed: {e}"))
                .await;
        }
        let mut finalizers: Vec<String> = Vec::new();
        if !r.finalizers.iter().any(|f| f == FINALIZER_EXIST_ON_FS) {
            finalizers = r.finalizers.clone();
            finalizers.push(FINALIZER_EXIST_ON_FS.to_string());
        }
        if !finalizers.is_empty() {
            self.patch_release_metadata(&r.name, json!({"finalizers": finalizers}))
                .await?;
        }
        if let Some(d) = deployed {
            self.set_phase(&d.name, Phase::Superseded, "")
                .await
                .map_err(|e| e.to_string())?;
        }
        self.set_phase(&r.name, Phase::Deployed, "")
            .await
            .map_err(|e| e.to_string())?;
        tracing::info!(release = r.name, "deployed the module release");
        self.prune_outdated(&r.module, &r.name, releases).await;
        Ok(())
    }

    /// Keeps the deployed release's files active in this process: after a restart, or
    /// when they went missing, they are downloaded again and the module activated; a
    /// version that left the registry is Suspended; any other failure is retried later and
    /// never removes anything. The reinstall annotation downloads the version again.
    async fn keep_active(&mut self, d: &ReleaseObject, world: &World) -> Result<(), String> {
        let reinstall = d.flag(policy::REINSTALL);
        let dir = self.layout.version_dir(&d.module, &d.version);
        if !reinstall
            && self.active.get(&d.module) == Some(&dir)
            && Layout::is_complete(&dir)
            && self.layout.active_target(&d.module).as_ref() == Some(&dir)
        {
            return Ok(());
        }
        match self.ensure_files(d, world, reinstall).await? {
            Ok(dir) => {
                self.switch_to(&d.module, &dir).await?;
                if reinstall {
                    self.patch_release_metadata(
                        &d.name,
                        json!({"annotations": {policy::REINSTALL: null}}),
                    )
                    .await?;
                }
                Ok(())
            }
            Err(gone) => {
                if Layout::is_complete(&dir) {
                    // Files are still here: keep running them, but say the version is gone.
                    let _ = self.switch_to(&d.module, &dir).await;
                }
                self.set_phase(&d.name, Phase::Suspended, &gone)
                    .await
                    .map_err(|e| e.to_string())
            }
        }
    }

    /// Superseded, Suspended and Skipped releases beyond the newest
    /// [`OUTDATED_RELEASES_KEPT`] are deleted.
    async fn prune_outdated(&self, module: &str, deployed: &str, releases: &[&ReleaseObject]) {
        let mut outdated: Vec<&&ReleaseObject> = releases
            .iter()
            .filter(|r| {
                r.name != deployed
                    && (matches!(
                        r.phase,
                        Phase::Superseded | Phase::Suspended | Phase::Skipped
                    ) || (r.phase == Phase::Deployed))
            })
            .collect();
        outdated.sort_by(|a, b| b.version.cmp(&a.version));
        let api = api(&self.client, &crds::module_release_resource());
        for r in outdated.into_iter().skip(OUTDATED_RELEASES_KEPT) {
            tracing::info!(module, release = r.name, "deleting an outdated release");
            let _ = api.delete(&r.name, &DeleteParams::default()).await;
        }
    }

    /// A deleted release lets go of its files: the active one uninstalls the module
    /// (correction 41), any other only has its version directory removed.
    async fn finish_release_deletion(
        &mut self,
        r: &ReleaseObject,
        world: &World,
    ) -> Result<(), String> {
        if !r.finalizers.iter().any(|f| f == FINALIZER_EXIST_ON_FS) {
            return Ok(());
        }
        let dir = self.layout.version_dir(&r.module, &r.version);
        let active = self.layout.active_target(&r.module).as_ref() == Some(&dir);
        if active && !world.overrides.contains_key(&r.module) {
            self.layout
                .deactivate(&r.module)
                .map_err(|e| e.to_string())?;
            self.active.remove(&r.module);
            self.activator.deactivate(&r.module).await?;
        }
        if !active || !world.overrides.contains_key(&r.module) {
            match std::fs::remove_dir_all(&dir) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(format!("{}: {e}", dir.display()));
                }
                _ => {}
            }
        }
        let finalizers: Vec<&String> = r
            .finalizers
            .iter()
            .filter(|f| *f != FINALIZER_EXIST_ON_FS)
            .collect();
        self.patch_release_metadata(&r.name, json!({"finalizers": finalizers}))
            .await
    }

    // ----------------------------------------------------------------------------------
    // Pull overrides

    async fn override_status(&self, name: &str, status: Value) {
        let _ = api(&self.client, &crds::module_pull_override_resource())
            .patch_status(
                name,
                &PatchParams::default(),
                &Patch::Merge(&json!({ "status": merge_status(status) })),
            )
            .await;
    }

    async fn override_metadata(&self, name: &str, metadata: Value) -> Result<(), kube::Error> {
        api(&self.client, &crds::module_pull_override_resource())
            .patch(
                name,
                &PatchParams::default(),
                &Patch::Merge(&json!({ "metadata": metadata })),
            )
            .await
            .map(drop)
    }

    /// The source a module comes from: the one its ModuleConfig names, else the only one
    /// that offers it.
    fn module_source<'w>(&self, module: &str, world: &'w World) -> Result<&'w Source, String> {
        let chosen = world.configs.get(module).and_then(|c| c.source.clone());
        let name = match chosen {
            Some(n) => n,
            None => {
                let offering = world.offered_by.get(module).cloned().unwrap_or_default();
                match offering.len() {
                    0 => return Err(format!("no ModuleSource offers the module {module}")),
                    1 => offering.into_iter().next().unwrap_or_default(),
                    _ => {
                        return Err(format!(
                            "the module is offered by several sources ({}): choose one with ModuleConfig spec.source",
                            offering.into_iter().collect::<Vec<_>>().join(", ")
                        ));
                    }
                }
            }
        };
        world
            .sources
            .iter()
            .find(|s| s.name == name)
            .ok_or_else(|| format!("ModuleSource {name} does not exist"))
    }

    /// Follows one override (§5.5, corrections 20–23): polls the tag's digest every
    /// `scanInterval`, downloads into `<root>/<m>/dev` and switches it in when the digest
    /// changes (or on the renew annotation); on deletion puts the deployed release back.
    async fn process_override(&mut self, o: &OverrideObject, world: &World) -> Option<Duration> {
        let module = o.name.clone();
        if o.deleting {
            if o.finalizers.iter().any(|f| f == FINALIZER_OVERRIDE) {
                if let Err(e) = self.end_override(&module, world).await {
                    self.override_status(
                        &module,
                        json!({"message": format!("cannot put the deployed release back: {e}")}),
                    )
                    .await;
                    return Some(Duration::from_secs(5));
                }
                let finalizers: Vec<&String> = o
                    .finalizers
                    .iter()
                    .filter(|f| *f != FINALIZER_OVERRIDE)
                    .collect();
                let _ = self
                    .override_metadata(&module, json!({"finalizers": finalizers}))
                    .await;
            }
            self.override_polls.remove(&module);
            return None;
        }
        let dev = self.layout.dev_dir(&module);
        let in_place = self.active.get(&module) == Some(&dev)
            && Layout::is_complete(&dev)
            && self.layout.active_target(&module).as_ref() == Some(&dev);
        let due = o.renew
            || !in_place
            || o.image_digest.is_empty()
            || self
                .override_polls
                .get(&module)
                .is_none_or(|t| t.elapsed() >= o.scan_interval);
        if !due {
            let elapsed = self
                .override_polls
                .get(&module)
                .map(|t| t.elapsed())
                .unwrap_or_default();
            return Some(o.scan_interval.saturating_sub(elapsed));
        }
        self.override_polls.insert(module.clone(), Instant::now());
        let source = match self.module_source(&module, world) {
            Ok(s) => s,
            Err(e) => {
                self.override_status(&module, json!({"message": e})).await;
                return Some(Duration::from_secs(60).min(o.scan_interval));
            }
        };
        let (source_ref, client) = match self.registry_client(&source.registry) {
            Ok(c) => c,
            Err(e) => {
                self.override_status(&module, json!({"message": format!("Download error: {e}")}))
                    .await;
                return Some(o.scan_interval);
            }
        };
        let reference = source_ref.module_ref(&module, &o.image_tag);
        let digest =
            match tokio::time::timeout(Duration::from_secs(30), client.manifest_digest(&reference))
                .await
            {
                Ok(Ok(d)) => d.to_string(),
                Ok(Err(e)) => {
                    self.override_status(
                        &module,
                        json!({"message": format!("Download error: {e}")}),
                    )
                    .await;
                    return Some(o.scan_interval);
                }
                Err(_) => {
                    self.override_status(
                    &module,
                    json!({"message": "Download error: the registry did not answer within 30s"}),
                )
                .await;
                    return Some(o.scan_interval);
                }
            };
        if digest == o.image_digest && !o.renew && in_place {
            return Some(o.scan_interval);
        }
        let stale = digest != o.image_digest || o.renew || !Layout::is_complete(&dev);
        if stale
            && let Err(e) = ops::pull_module_tag(
                &client,
                &source_ref,
                &module,
                &o.image_tag,
                &dev,
                &NoProgress,
            )
            .await
        {
            self.override_status(&module, json!({"message": format!("Download error: {e}")}))
                .await;
            return Some(o.scan_interval);
        }
        if !o.finalizers.iter().any(|f| f == FINALIZER_OVERRIDE) {
            let mut finalizers = o.finalizers.clone();
            finalizers.push(FINALIZER_OVERRIDE.to_string());
            let _ = self
                .override_metadata(&module, json!({"finalizers": finalizers}))
                .await;
        }
        if let Err(e) = self.switch_to(&module, &dev).await {
            self.override_status(
                &module,
                json!({"message": format!("activation failed: {e}")}),
            )
            .await;
            return Some(o.scan_interval);
        }
        let weight = module::definition::load(&dev.join("module.yaml"))
            .definition
            .and_then(|d| d.weight);
        self.override_status(
            &module,
            json!({"message": "Ready", "imageDigest": digest, "updatedAt": now_text(), "weight": weight}),
        )
        .await;
        if o.renew {
            let _ = self
                .override_metadata(&module, json!({"annotations": {RENEW: null}}))
                .await;
        }
        Some(o.scan_interval)
    }

    /// The override is gone: the deployed release's copy is switched back in (downloaded
    /// again if needed), or the module is deactivated when it has none.
    async fn end_override(&mut self, module: &str, world: &World) -> Result<(), String> {
        let deployed = world
            .releases
            .iter()
            .filter(|r| r.module == module && r.phase == Phase::Deployed && !r.deleting)
            .max_by(|a, b| a.version.cmp(&b.version));
        match deployed {
            Some(d) => match self.ensure_files(d, world, false).await? {
                Ok(dir) => self.switch_to(module, &dir).await?,
                Err(gone) => return Err(gone),
            },
            None => {
                self.layout.deactivate(module).map_err(|e| e.to_string())?;
                self.active.remove(module);
                self.activator.deactivate(module).await?;
            }
        }
        let dev = self.layout.dev_dir(module);
        match std::fs::remove_dir_all(&dev) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(format!("{}: {e}", dev.display()))
            }
            _ => Ok(()),
        }
    }
}

/// A whole source scan is given up after this long (the loop serves everything else too).
const SCAN_TIMEOUT: Duration = Duration::from_secs(300);
/// One registry request outside a scan.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// One module download (dropping it removes the partial tree: nothing half-unpacked stays).
const DOWNLOAD_TIMEOUT: Duration = Duration::from_secs(1800);

/// The documented default of `spec.scanInterval`.
const DEFAULT_SCAN: Duration = Duration::from_secs(180);

/// How often a source is scanned: its `spec.scanInterval` (3 minutes when unset), never
/// below `floor` (`--min-scan-interval`, the platform's 3 minutes by default): a source
/// may lengthen the scan, never shorten it below the floor (correction 2).
pub fn effective_scan_interval(spec: Option<Duration>, floor: Duration) -> Duration {
    spec.unwrap_or(DEFAULT_SCAN).max(floor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scan_interval_has_a_floor() {
        let min = |s| Duration::from_secs(s);
        // The platform: 3m floor; a shorter request takes no effect, a longer one does.
        assert_eq!(effective_scan_interval(Some(min(10)), min(180)), min(180));
        assert_eq!(effective_scan_interval(Some(min(600)), min(180)), min(600));
        assert_eq!(effective_scan_interval(None, min(180)), min(180));
        // A lowered floor (tests, development) lets the source's own interval through.
        assert_eq!(effective_scan_interval(Some(min(2)), min(1)), min(2));
        assert_eq!(effective_scan_interval(Some(min(0)), min(1)), min(1));
    }

    #[test]
    fn merge_status_clears_empty_fields() {
        let status = merge_status(json!({
            "message": "", "phase": "Active",
            "modules": [{"name": "a", "error": ""}, {"name": "b", "error": "boom"}],
        }));
        assert_eq!(status["message"], Value::Null);
        assert_eq!(status["modules"][0], json!({"name": "a"}));
        assert_eq!(status["modules"][1]["error"], "boom");
    }
}
