//! What the operator tells the cluster about modules: one `Module` object
//! per known module (`deckhouse.io/v1alpha1`, cluster-scoped), whose
//! `status.phase` and conditions say what it is doing and why it is
//! disabled or failing, and the `status` of ModuleConfigs.

use kube::api::Patch;
use serde_json::{Value, json};

use crate::cluster::{Cluster, ClusterError};
use crate::objects::ObjectKey;

/// A module's phase, as DKP names them (the subset deckmod reaches).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModulePhase {
    /// Known, not enabled.
    Available,
    /// Enabled, converging.
    Reconciling,
    /// Converged.
    Ready,
    /// The last task failed (retrying).
    Error,
}

impl ModulePhase {
    /// DKP's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ModulePhase::Available => "Available",
            ModulePhase::Reconciling => "Reconciling",
            ModulePhase::Ready => "Ready",
            ModulePhase::Error => "Error",
        }
    }
}

/// What is reported for one module.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModuleReport {
    /// Module name.
    pub name: String,
    /// module.yaml weight.
    pub weight: Option<i64>,
    /// Release namespace.
    pub namespace: String,
    /// Effective enabled state.
    pub enabled: bool,
    /// What the ModuleConfig says (`None`: nothing).
    pub enabled_by_config: Option<bool>,
    /// Why it is disabled (the extender or requirement that decided).
    pub disabled_reason: String,
    /// Phase.
    pub phase: ModulePhase,
    /// Why it is failing or waiting ("" when fine).
    pub message: String,
}

/// Writes status objects.
#[derive(Clone)]
pub struct StatusWriter {
    cluster: Cluster,
}

/// A string field for a merge patch: an empty one is removed (`null`),
/// since the API server refuses empty strings where the schema wants a
/// string and a merge patch must clear what an earlier one set.
fn text(s: &str) -> Value {
    if s.is_empty() { Value::Null } else { json!(s) }
}

fn condition(type_: &str, ok: bool, reason: &str, message: &str) -> Value {
    let mut c = json!({
        "type": type_,
        "status": if ok { "True" } else { "False" },
        "lastProbeTime": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    });
    if !reason.is_empty() {
        c["reason"] = json!(reason);
    }
    if !message.is_empty() {
        c["message"] = json!(message);
    }
    c
}

impl StatusWriter {
    /// A writer over `cluster`.
    pub fn new(cluster: Cluster) -> StatusWriter {
        StatusWriter { cluster }
    }

    /// Create or update the module's `Module` object and its status.
    pub async fn report_module(&self, r: &ModuleReport) -> Result<(), ClusterError> {
        let mut properties = json!({"source": "Embedded"});
        if !r.namespace.is_empty() {
            properties["namespace"] = json!(r.namespace);
        }
        if let Some(w) = r.weight {
            properties["weight"] = json!(w);
        }
        let object = json!({
            "apiVersion": "deckhouse.io/v1alpha1",
            "kind": "Module",
            "metadata": {"name": r.name},
            "properties": properties,
        });
        self.cluster.apply(&object, "").await?;
        let by_config = match r.enabled_by_config {
            Some(true) => condition("EnabledByModuleConfig", true, "", ""),
            Some(false) => condition(
                "EnabledByModuleConfig",
                false,
                "ModuleConfig",
                "disabled by its ModuleConfig",
            ),
            None => condition(
                "EnabledByModuleConfig",
                false,
                "NoModuleConfig",
                "no ModuleConfig enables it",
            ),
        };
        let manager = if r.enabled {
            condition("EnabledByModuleManager", true, "", "")
        } else {
            let why = match (r.disabled_reason.as_str(), r.enabled_by_config) {
                ("", Some(false)) => "disabled by its ModuleConfig",
                ("", _) => "not enabled by default and no ModuleConfig enables it",
                (reason, _) => reason,
            };
            condition("EnabledByModuleManager", false, "Disabled", why)
        };
        let ready = condition(
            "IsReady",
            r.phase == ModulePhase::Ready,
            r.phase.as_str(),
            &r.message,
        );
        let status = json!({"status": {
            "phase": r.phase.as_str(),
            "hooksState": text(&r.message),
            "conditions": [by_config, manager, ready],
        }});
        let key = ObjectKey {
            api_version: "deckhouse.io/v1alpha1".into(),
            kind: "Module".into(),
            namespace: None,
            name: r.name.clone(),
        };
        self.cluster
            .patch(&key, &Patch::Merge(status), Some("status"))
            .await
    }

    /// Set a ModuleConfig's `status.message` (and `status.version`).
    pub async fn report_config(
        &self,
        name: &str,
        message: &str,
        version: Option<i64>,
    ) -> Result<(), ClusterError> {
        let key = ObjectKey {
            api_version: "deckhouse.io/v1alpha1".into(),
            kind: "ModuleConfig".into(),
            namespace: None,
            name: name.into(),
        };
        let mut status = json!({"message": text(message)});
        if let Some(v) = version {
            status["version"] = json!(v.to_string());
        }
        self.cluster
            .patch(
                &key,
                &Patch::Merge(json!({"status": status})),
                Some("status"),
            )
            .await
    }
}
