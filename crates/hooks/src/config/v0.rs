//! Legacy `configVersion: v0` (or no version): `onKubernetesEvent` with
//! `add`/`update`/`delete` events, `selector`, `namespaceSelector.any`.
//! Normalized into the v1 model; a v0 kubernetes binding never runs on
//! Synchronization (v0 had none).

use serde::Deserialize;
use serde_json::Value;

use super::model::{
    ConfigVersion, HookConfig, KubernetesBinding, LabelSelector, NameSelector, NamespaceSelector,
    ScheduleBinding, WatchEventType,
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawV0 {
    #[serde(default)]
    #[allow(dead_code)]
    config_version: Option<String>,
    #[serde(default)]
    on_startup: Option<f64>,
    #[serde(default)]
    before_all: Option<f64>,
    #[serde(default)]
    after_all: Option<f64>,
    #[serde(default)]
    before_helm: Option<f64>,
    #[serde(default)]
    after_helm: Option<f64>,
    #[serde(default)]
    before_delete_helm: Option<f64>,
    #[serde(default)]
    after_delete_helm: Option<f64>,
    #[serde(default)]
    schedule: Vec<RawScheduleV0>,
    #[serde(default)]
    on_kubernetes_event: Vec<RawKubeV0>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawScheduleV0 {
    #[serde(default)]
    name: Option<String>,
    crontab: String,
    #[serde(default)]
    allow_failure: bool,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "lowercase")]
enum EventV0 {
    Add,
    Update,
    Delete,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawNamespaceV0 {
    #[serde(default)]
    match_names: Vec<String>,
    #[serde(default)]
    any: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawKubeV0 {
    #[serde(default)]
    name: Option<String>,
    kind: String,
    #[serde(default)]
    event: Option<Vec<EventV0>>,
    #[serde(default)]
    selector: Option<LabelSelector>,
    #[serde(default)]
    object_name: Option<String>,
    #[serde(default)]
    namespace_selector: Option<RawNamespaceV0>,
    #[serde(default)]
    jq_filter: Option<String>,
    #[serde(default)]
    allow_failure: bool,
}

/// Deserialize a v0 document into the normalized model.
pub fn parse(raw: Value) -> Result<HookConfig, (String, String)> {
    let v0: RawV0 = serde_path_to_error::deserialize(raw).map_err(|e| {
        let pointer = super::error::pointer_of(e.path());
        (pointer, e.into_inner().to_string())
    })?;
    let mut config = HookConfig::empty(ConfigVersion::V0);
    config.on_startup = v0.on_startup;
    config.before_all = v0.before_all;
    config.after_all = v0.after_all;
    config.before_helm = v0.before_helm;
    config.after_helm = v0.after_helm;
    config.before_delete_helm = v0.before_delete_helm;
    config.after_delete_helm = v0.after_delete_helm;
    config.schedule = v0
        .schedule
        .into_iter()
        .map(|s| ScheduleBinding {
            name: s.name.unwrap_or_else(|| "schedule".into()),
            crontab: s.crontab,
            allow_failure: s.allow_failure,
            queue: None,
            group: None,
            include_snapshots_from: Vec::new(),
        })
        .collect();
    config.kubernetes = v0
        .on_kubernetes_event
        .into_iter()
        .map(|k| {
            let mut b = KubernetesBinding::with_kind(
                k.name.unwrap_or_else(|| "onKubernetesEvent".into()),
                k.kind,
            );
            b.execute_hook_on_event = k.event.map(|events| {
                events
                    .into_iter()
                    .map(|e| match e {
                        EventV0::Add => WatchEventType::Added,
                        EventV0::Update => WatchEventType::Modified,
                        EventV0::Delete => WatchEventType::Deleted,
                    })
                    .collect()
            });
            b.execute_hook_on_synchronization = false;
            b.label_selector = k.selector;
            b.name_selector = k.object_name.map(|n| NameSelector {
                match_names: vec![n],
            });
            b.namespace = k.namespace_selector.and_then(|ns| {
                (!ns.any && !ns.match_names.is_empty()).then_some(NamespaceSelector {
                    name_selector: Some(NameSelector {
                        match_names: ns.match_names,
                    }),
                    label_selector: None,
                })
            });
            b.jq_filter = k.jq_filter;
            b.allow_failure = k.allow_failure;
            b
        })
        .collect();
    Ok(config)
}
