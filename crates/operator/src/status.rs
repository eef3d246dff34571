//! What the operator tells the cluster about modules: one `Module` object
//! per known module (`deckhouse.io/v1alpha1`, cluster-scoped), whose
//! `status.phase` and conditions say what it is doing and why it is
//! disabled or failing, and the `status` of ModuleConfigs; the moments
//! that change them are also recorded as Kubernetes Events on the objects
//! ([`crate::events`]).

use kube::api::Patch;
use serde_json::{Value, json};

use crate::cluster::{Cluster, ClusterError};
use crate::events::{EventRecorder, Happening, Regarding, Severity};
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

/// Writes status objects and the events that go with them.
#[derive(Clone)]
pub struct StatusWriter {
    cluster: Cluster,
    events: EventRecorder,
}

/// An event a status change means: severity, reason, action, note.
pub type StatusEvent = (Severity, &'static str, &'static str, String);

/// The events of a module whose report goes from `previous` (`None`: the
/// first report of this process) to `now`: enabled or disabled, ready
/// again, or failing with a new error. A report that only repeats what
/// the previous one said means nothing.
pub fn module_events(previous: Option<&ModuleReport>, now: &ModuleReport) -> Vec<StatusEvent> {
    let mut out = Vec::new();
    let was_enabled = previous.is_some_and(|p| p.enabled);
    if now.enabled && !was_enabled {
        out.push((
            Severity::Normal,
            "ModuleEnabled",
            "Enable",
            "enabled".to_string(),
        ));
    }
    if !now.enabled && was_enabled {
        let why = match now.disabled_reason.as_str() {
            "" => "disabled".to_string(),
            reason => format!("disabled: {reason}"),
        };
        out.push((Severity::Normal, "ModuleDisabled", "Disable", why));
    }
    let was = previous.map(|p| (p.phase, p.message.as_str()));
    match now.phase {
        ModulePhase::Ready if was.is_none_or(|(phase, _)| phase != ModulePhase::Ready) => {
            out.push((
                Severity::Normal,
                "ModuleReady",
                "Converge",
                "converged".to_string(),
            ));
        }
        ModulePhase::Error if was != Some((ModulePhase::Error, now.message.as_str())) => {
            out.push((
                Severity::Warning,
                "ModuleFailed",
                "Converge",
                now.message.clone(),
            ));
        }
        _ => {}
    }
    out
}

/// The events of a ModuleConfig whose `status.message` goes from
/// `previous` to `now`: refused (or naming an unknown module), or accepted
/// after a refusal.
pub fn config_events(previous: &str, now: &str) -> Vec<StatusEvent> {
    if previous == now {
        return Vec::new();
    }
    match now {
        "" => vec![(
            Severity::Normal,
            "SettingsAccepted",
            "Validate",
            "the settings are valid and in use".to_string(),
        )],
        unknown if unknown.starts_with("Ignored: unknown module") => vec![(
            Severity::Warning,
            "UnknownModule",
            "Validate",
            unknown.to_string(),
        )],
        refused => vec![(
            Severity::Warning,
            "SettingsRefused",
            "Validate",
            refused.to_string(),
        )],
    }
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
        StatusWriter {
            events: EventRecorder::new(cluster.client.clone()),
            cluster,
        }
    }

    /// The event recorder the writer uses.
    pub fn events(&self) -> &EventRecorder {
        &self.events
    }

    /// Create or update the module's `Module` object and its status, and
    /// record what changed since `previous` (the last report written).
    pub async fn report_module(
        &self,
        r: &ModuleReport,
        previous: Option<&ModuleReport>,
    ) -> Result<(), ClusterError> {
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
        let (_, module) = self.cluster.apply(&object, "").await?;
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
            .await?;
        let regarding = Regarding {
            api_version: "deckhouse.io/v1alpha1",
            kind: "Module",
            name: &r.name,
            uid: module.metadata.uid.as_deref(),
        };
        self.record_all(&regarding, module_events(previous, r))
            .await;
        Ok(())
    }

    async fn record_all(&self, regarding: &Regarding<'_>, events: Vec<StatusEvent>) {
        for (severity, reason, action, note) in events {
            let what = Happening {
                severity,
                reason,
                action,
                note: &note,
            };
            self.events.record(regarding, &what).await;
        }
    }

    /// Set the `status.message` (and `status.version`) of the ModuleConfig
    /// `config` (the object as last seen), and record an event when the
    /// message changes.
    pub async fn report_config(
        &self,
        config: &Value,
        message: &str,
        version: Option<i64>,
    ) -> Result<(), ClusterError> {
        let name = config
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let previous = config
            .pointer("/status/message")
            .and_then(Value::as_str)
            .unwrap_or_default();
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
            .await?;
        let regarding = Regarding {
            api_version: "deckhouse.io/v1alpha1",
            kind: "ModuleConfig",
            name,
            uid: config.pointer("/metadata/uid").and_then(Value::as_str),
        };
        self.record_all(&regarding, config_events(previous, message))
            .await;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(enabled: bool, phase: ModulePhase, message: &str) -> ModuleReport {
        ModuleReport {
            name: "m".into(),
            weight: None,
            namespace: String::new(),
            enabled,
            enabled_by_config: None,
            disabled_reason: if enabled {
                String::new()
            } else {
                "requirement not met".into()
            },
            phase,
            message: message.into(),
        }
    }

    fn reasons(events: Vec<StatusEvent>) -> Vec<&'static str> {
        events.into_iter().map(|(_, reason, _, _)| reason).collect()
    }

    #[test]
    fn module_events_follow_changes_not_repeats() {
        let available = report(false, ModulePhase::Available, "");
        let converging = report(true, ModulePhase::Reconciling, "");
        let ready = report(true, ModulePhase::Ready, "");
        let failed = report(true, ModulePhase::Error, "render: boom");
        let failed_again = report(true, ModulePhase::Error, "render: bang");
        assert!(module_events(None, &available).is_empty());
        assert_eq!(
            reasons(module_events(Some(&available), &converging)),
            ["ModuleEnabled"]
        );
        assert_eq!(
            reasons(module_events(Some(&converging), &ready)),
            ["ModuleReady"]
        );
        assert!(module_events(Some(&ready), &ready).is_empty());
        let events = module_events(Some(&ready), &failed);
        assert_eq!(events[0].0, Severity::Warning);
        assert_eq!(events[0].3, "render: boom");
        assert!(
            module_events(Some(&failed), &failed).is_empty(),
            "a retry failing the same way"
        );
        assert_eq!(
            reasons(module_events(Some(&failed), &failed_again)),
            ["ModuleFailed"]
        );
        assert_eq!(
            reasons(module_events(Some(&failed), &ready)),
            ["ModuleReady"]
        );
        let disabled = module_events(Some(&ready), &available);
        assert_eq!(reasons(disabled.clone()), ["ModuleDisabled"]);
        assert_eq!(disabled[0].3, "disabled: requirement not met");
    }

    #[test]
    fn config_events_say_refused_unknown_and_accepted_once() {
        assert!(config_events("", "").is_empty());
        assert!(config_events("bad /x", "bad /x").is_empty());
        assert_eq!(
            reasons(config_events("", "settings: /x: wrong type")),
            ["SettingsRefused"]
        );
        assert_eq!(
            reasons(config_events("", "Ignored: unknown module name")),
            ["UnknownModule"]
        );
        assert_eq!(reasons(config_events("bad /x", "")), ["SettingsAccepted"]);
    }
}
