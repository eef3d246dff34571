//! Where modules' settings and enabled flags come from: ModuleConfig
//! objects (DKP, the default) or addon-operator's ConfigMap. Settings are
//! validated against the module's `openapi/config-values.yaml` before the
//! module sees them: an invalid change is refused (on the ModuleConfig's
//! `status.message`, each violation by JSON pointer) and the module keeps
//! its last good settings and keeps running.

use std::collections::{BTreeMap, BTreeSet};

use futures::StreamExt as _;
use kube::api::{Api, DynamicObject};
use kube::runtime::{WatchStreamExt as _, watcher};
use serde_json::{Value, json};

use crate::global_worker::{GlobalHandle, GlobalMsg};
use crate::module_worker::{ModuleConfigState, ModuleHandle, ModuleMsg, ModuleTable};
use crate::status::StatusWriter;

/// The name of the ModuleConfig holding global settings.
pub const GLOBAL: &str = "global";

/// Where configuration is read from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfigSource {
    /// ModuleConfig objects.
    ModuleConfigs,
    /// addon-operator's ConfigMap (`global`, `<valuesKey>`,
    /// `<valuesKey>Enabled` keys) in a namespace.
    ConfigMap {
        /// Namespace.
        namespace: String,
        /// Name.
        name: String,
    },
}

/// Sends configuration to module workers (and the global settings to the
/// global hooks, when there are any: they pass global values on).
pub struct ConfigRouter {
    modules: ModuleTable,
    /// The last ModuleConfig seen per name, or the ConfigMap's last data:
    /// what a module added later is given.
    last_configs: BTreeMap<String, Value>,
    last_data: Option<BTreeMap<String, String>>,
    control: Option<tokio::sync::mpsc::UnboundedReceiver<RouterMsg>>,
    status: StatusWriter,
    global: Value,
    global_worker: Option<GlobalHandle>,
    /// Module configuration held back until the gate opens (the global
    /// hooks' start-up is done), latest per module.
    held: Option<BTreeMap<String, ModuleConfigState>>,
    gate: Option<tokio::sync::oneshot::Receiver<()>>,
}

/// What the operator asks of the router while it runs.
#[derive(Debug)]
pub enum RouterMsg {
    /// A module was added or replaced: give it its configuration.
    Replay(String),
}

async fn next_control(
    control: &mut Option<tokio::sync::mpsc::UnboundedReceiver<RouterMsg>>,
) -> RouterMsg {
    match control {
        Some(rx) => match rx.recv().await {
            Some(m) => m,
            None => {
                *control = None;
                std::future::pending().await
            }
        },
        None => std::future::pending().await,
    }
}

/// Wait for `gate` to open (at once when there is none left to wait for;
/// never again after it opened).
async fn gate_opens(gate: &mut Option<tokio::sync::oneshot::Receiver<()>>) {
    match gate {
        Some(rx) => {
            let _ = rx.await;
            *gate = None;
        }
        None => std::future::pending().await,
    }
}

/// The outcome of checking one module's settings.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Valid: the state to send.
    Accept(ModuleConfigState),
    /// Invalid: the message for the ModuleConfig's status.
    Reject(String),
    /// No such module.
    Unknown,
}

/// Check `settings` for `module` (pure: the schema decides). A module
/// being disabled is disabled whatever its settings say: they are not
/// used, so they are not checked (and not kept).
pub fn check(module: Option<&module::Module>, enabled: Option<bool>, settings: &Value) -> Verdict {
    let Some(m) = module else {
        return Verdict::Unknown;
    };
    if enabled == Some(false) {
        return Verdict::Accept(ModuleConfigState {
            enabled,
            settings: json!({}),
        });
    }
    let settings = if settings.is_null() {
        json!({})
    } else {
        settings.clone()
    };
    match m.config_values(&settings) {
        Ok(_) => Verdict::Accept(ModuleConfigState { enabled, settings }),
        Err(e) => Verdict::Reject(format!(
            "Error: settings are invalid, the module keeps its previous settings: {}",
            e.violations
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        )),
    }
}

impl ConfigRouter {
    /// A router to `modules`.
    pub fn new(modules: ModuleTable, status: StatusWriter) -> ConfigRouter {
        ConfigRouter {
            modules,
            last_configs: BTreeMap::new(),
            last_data: None,
            control: None,
            status,
            global: json!({}),
            global_worker: None,
            held: None,
            gate: None,
        }
    }

    /// Take [`RouterMsg`]s from `control`.
    pub fn with_control(
        mut self,
        control: tokio::sync::mpsc::UnboundedReceiver<RouterMsg>,
    ) -> ConfigRouter {
        self.control = Some(control);
        self
    }

    fn handle(&self, name: &str) -> Option<ModuleHandle> {
        self.modules
            .read()
            .expect("module table lock")
            .get(name)
            .cloned()
    }

    fn handles(&self) -> Vec<(String, ModuleHandle)> {
        self.modules
            .read()
            .expect("module table lock")
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    /// Send the global settings to the global hooks' worker (which
    /// publishes global values to the modules) and hold module
    /// configuration back until `gate` opens.
    pub fn with_global_hooks(
        mut self,
        worker: GlobalHandle,
        gate: tokio::sync::oneshot::Receiver<()>,
    ) -> ConfigRouter {
        self.global_worker = Some(worker);
        self.held = Some(BTreeMap::new());
        self.gate = Some(gate);
        self
    }

    fn set_global(&mut self, global: Value) {
        if global != self.global {
            self.global = global.clone();
            match &self.global_worker {
                Some(w) => {
                    let _ = w.tx.send(GlobalMsg::Settings(global));
                }
                None => {
                    for (_, m) in self.handles() {
                        let _ = m.tx.send(ModuleMsg::Global {
                            values: global.clone(),
                            round: 0,
                        });
                    }
                }
            }
        }
    }

    fn send_config(&mut self, name: &str, state: ModuleConfigState) {
        match &mut self.held {
            Some(held) => {
                held.insert(name.to_string(), state);
            }
            None => {
                if let Some(h) = self.handle(name) {
                    let _ = h.tx.send(ModuleMsg::Config(state));
                }
            }
        }
    }

    /// The gate opened: pass on what was held.
    fn release_held(&mut self) {
        for (name, state) in self.held.take().unwrap_or_default() {
            self.send_config(&name, state);
        }
    }

    /// A module's config from a ModuleConfig object (`None`: deleted).
    async fn module_config(&mut self, name: &str, mc: Option<&Value>) {
        if name == GLOBAL {
            let settings = mc
                .and_then(|m| m.pointer("/spec/settings"))
                .cloned()
                .filter(Value::is_object)
                .unwrap_or_else(|| json!({}));
            self.set_global(settings);
            if let Some(mc) = mc {
                let _ = self.status.report_config(mc, "", None).await;
            }
            return;
        }
        match mc {
            Some(v) => self.last_configs.insert(name.to_string(), v.clone()),
            None => self.last_configs.remove(name),
        };
        let handle = self.handle(name);
        let enabled = mc
            .and_then(|m| m.pointer("/spec/enabled"))
            .and_then(Value::as_bool);
        let settings = mc
            .and_then(|m| m.pointer("/spec/settings"))
            .cloned()
            .unwrap_or_else(|| json!({}));
        let version = mc
            .and_then(|m| m.pointer("/spec/version"))
            .and_then(Value::as_i64);
        let verdict = check(
            handle.as_ref().map(|h| h.module.as_ref()),
            enabled,
            &settings,
        );
        let message = match &verdict {
            Verdict::Accept(state) => {
                let state = state.clone();
                self.send_config(name, state);
                String::new()
            }
            Verdict::Reject(msg) => {
                tracing::warn!(module = name, "ModuleConfig refused: {msg}");
                msg.clone()
            }
            Verdict::Unknown => "Ignored: unknown module name".to_string(),
        };
        if let Some(mc) = mc
            && let Err(e) = self.status.report_config(mc, &message, version).await
        {
            tracing::warn!(module = name, "cannot write the ModuleConfig status: {e}");
        }
    }

    /// Follow ModuleConfig objects until the stream ends.
    pub async fn run_module_configs(mut self, client: kube::Client) {
        let api: Api<DynamicObject> = Api::all_with(client, &crate::crds::module_config_resource());
        let mut stream = watcher(api, watcher::Config::default())
            .default_backoff()
            .boxed();
        let mut listing: Option<BTreeSet<String>> = None;
        let mut present: BTreeSet<String> = BTreeSet::new();
        let mut gate = self.gate.take();
        let mut control = self.control.take();
        loop {
            let next = tokio::select! {
                next = stream.next() => next,
                _ = gate_opens(&mut gate) => { self.release_held(); continue; }
                RouterMsg::Replay(name) = next_control(&mut control) => {
                    let mc = self.last_configs.get(&name).cloned();
                    self.module_config(&name, mc.as_ref()).await;
                    continue;
                }
            };
            let Some(ev) = next else { break };
            let ev = match ev {
                Ok(ev) => ev,
                Err(e) => {
                    tracing::warn!("ModuleConfig watch error (retrying): {e}");
                    continue;
                }
            };
            match ev {
                watcher::Event::Init => listing = Some(BTreeSet::new()),
                watcher::Event::InitApply(o) | watcher::Event::Apply(o) => {
                    let name = o.metadata.name.clone().unwrap_or_default();
                    let v = serde_json::to_value(&o).unwrap_or_default();
                    if let Some(l) = &mut listing {
                        l.insert(name.clone());
                    }
                    present.insert(name.clone());
                    self.module_config(&name, Some(&v)).await;
                }
                watcher::Event::Delete(o) => {
                    let name = o.metadata.name.clone().unwrap_or_default();
                    present.remove(&name);
                    self.module_config(&name, None).await;
                }
                watcher::Event::InitDone => {
                    let listed = listing.take().unwrap_or_default();
                    // Modules without a ModuleConfig start from their defaults;
                    // a ModuleConfig gone during a relist is a deletion.
                    let names: Vec<String> = self.handles().into_iter().map(|(n, _)| n).collect();
                    for name in names {
                        if !listed.contains(&name) {
                            present.remove(&name);
                            self.module_config(&name, None).await;
                        }
                    }
                    if !listed.contains(GLOBAL) {
                        self.set_global(json!({}));
                    }
                }
            }
        }
    }

    /// Follow addon-operator's ConfigMap until the stream ends.
    pub async fn run_config_map(mut self, client: kube::Client, namespace: String, name: String) {
        use k8s_openapi::api::core::v1::ConfigMap;
        let api: Api<ConfigMap> = Api::namespaced(client, &namespace);
        let cfg = watcher::Config::default().fields(&format!("metadata.name={name}"));
        let mut stream = watcher(api, cfg).default_backoff().boxed();
        let mut seen = false;
        let mut gate = self.gate.take();
        let mut control = self.control.take();
        loop {
            let next = tokio::select! {
                next = stream.next() => next,
                _ = gate_opens(&mut gate) => { self.release_held(); continue; }
                RouterMsg::Replay(_) = next_control(&mut control) => {
                    if let Some(data) = self.last_data.clone() {
                        self.apply_config_map(&data);
                    }
                    continue;
                }
            };
            let Some(ev) = next else { break };
            let data = match ev {
                Ok(watcher::Event::InitApply(cm) | watcher::Event::Apply(cm)) => {
                    seen = true;
                    cm.data.unwrap_or_default()
                }
                Ok(watcher::Event::Delete(_)) => BTreeMap::new(),
                Ok(watcher::Event::InitDone) if !seen => BTreeMap::new(),
                Ok(_) => continue,
                Err(e) => {
                    tracing::warn!("ConfigMap {namespace}/{name} watch error (retrying): {e}");
                    continue;
                }
            };
            self.apply_config_map(&data);
        }
    }

    fn apply_config_map(&mut self, data: &BTreeMap<String, String>) {
        let yaml = |key: &str| -> Result<Value, String> {
            match data.get(key) {
                None => Ok(json!({})),
                Some(text) => goyaml::from_str(text)
                    .map(|v| if v.is_null() { json!({}) } else { v })
                    .map_err(|e| format!("key {key}: invalid YAML: {}", e.message)),
            }
        };
        match yaml(GLOBAL) {
            Ok(g) => self.set_global(g),
            Err(e) => tracing::error!("config map: {e}"),
        }
        self.last_data = Some(data.clone());
        for (name, h) in self.handles() {
            let key = &h.module.values_key;
            let enabled = data
                .get(&format!("{key}Enabled"))
                .and_then(|v| v.trim().parse::<bool>().ok());
            let settings = match yaml(key) {
                Ok(s) => s,
                Err(e) => {
                    tracing::error!(
                        module = name,
                        "config map: {e}; keeping the previous settings"
                    );
                    continue;
                }
            };
            match check(Some(&h.module), enabled, &settings) {
                Verdict::Accept(state) => self.send_config(&name, state),
                Verdict::Reject(msg) => tracing::error!(module = name, "config map: {msg}"),
                Verdict::Unknown => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn echo() -> module::Module {
        module::Module::load(std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../examples/modules/echo-server"
        )))
        .unwrap()
    }

    #[test]
    fn invalid_settings_are_refused_by_pointer_unless_the_module_is_disabled() {
        let m = echo();
        match check(Some(&m), Some(true), &json!({"replicas": 0})) {
            Verdict::Reject(msg) => assert!(
                msg.contains("/replicas: 0 is less than the minimum of 1"),
                "{msg}"
            ),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            check(Some(&m), Some(false), &json!({"replicas": 0})),
            Verdict::Accept(ModuleConfigState {
                enabled: Some(false),
                settings: json!({})
            })
        );
        assert!(matches!(
            check(Some(&m), None, &Value::Null),
            Verdict::Accept(_)
        ));
        assert_eq!(check(None, Some(true), &json!({})), Verdict::Unknown);
    }
}
