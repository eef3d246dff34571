//! `configVersion: v1`.

use serde::Deserialize;
use serde_json::Value;

use super::model::{
    AdmissionBinding, ConfigVersion, ConversionBinding, HookConfig, KubernetesBinding,
    ScheduleBinding, Settings,
};

/// The v1 document as printed by a hook.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawV1 {
    #[allow(dead_code)]
    config_version: String,
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
    schedule: Vec<ScheduleBinding>,
    #[serde(default)]
    kubernetes: Vec<KubernetesBinding>,
    #[serde(default)]
    kubernetes_validating: Vec<AdmissionBinding>,
    #[serde(default)]
    kubernetes_mutating: Vec<AdmissionBinding>,
    #[serde(default)]
    kubernetes_custom_resource_conversion: Vec<ConversionBinding>,
    #[serde(default)]
    settings: Option<Settings>,
}

/// Deserialize a v1 document; errors carry the JSON pointer.
pub fn parse(raw: Value) -> Result<HookConfig, (String, String)> {
    let v1: RawV1 = serde_path_to_error::deserialize(raw).map_err(|e| {
        let pointer = super::error::pointer_of(e.path());
        (pointer, e.into_inner().to_string())
    })?;
    Ok(HookConfig {
        config_version: ConfigVersion::V1,
        on_startup: v1.on_startup,
        before_all: v1.before_all,
        after_all: v1.after_all,
        before_helm: v1.before_helm,
        after_helm: v1.after_helm,
        before_delete_helm: v1.before_delete_helm,
        after_delete_helm: v1.after_delete_helm,
        schedule: v1.schedule,
        kubernetes: v1.kubernetes,
        kubernetes_validating: v1.kubernetes_validating,
        kubernetes_mutating: v1.kubernetes_mutating,
        kubernetes_custom_resource_conversion: v1.kubernetes_custom_resource_conversion,
        settings: v1.settings,
    })
}
