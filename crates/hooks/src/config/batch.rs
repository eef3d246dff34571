//! module-sdk batch hooks: the `hook list` banner and the `hook config`
//! document. Unknown fields are ignored here (unlike shell hook configs):
//! the document is machine-written by whatever module-sdk version the
//! module was built with, and newer SDKs add fields.

use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

use super::model::{
    ConfigVersion, FieldSelector, GoDuration, HookConfig, KubernetesBinding, LabelSelector,
    NameSelector, NamespaceSelector, ScheduleBinding, Settings, WatchEventType,
};

/// Read the hook count from `hook list` output (a line containing
/// `Found <N> items`).
pub fn parse_batch_list(stdout: &str) -> Result<usize, BatchListError> {
    for line in stdout.lines() {
        if let Some(at) = line.find("Found ") {
            let rest = &line[at + "Found ".len()..];
            let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
            if !digits.is_empty() && rest[digits.len()..].trim_start().starts_with("items") {
                return digits
                    .parse()
                    .map_err(|_| BatchListError::CountOutOfRange { count: digits });
            }
        }
    }
    Err(BatchListError::NoCount)
}

/// `hook list` output without a usable hook count: the file is not a
/// module-sdk batch binary.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BatchListError {
    /// No `Found <N> items` line.
    #[error("`hook list` output has no \"Found <N> items\" line")]
    NoCount,
    /// The count does not fit a `usize`.
    #[error("hook count {count} out of range")]
    CountOutOfRange {
        /// The count as printed.
        count: String,
    },
}

/// `metadata` of a batch hook.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct BatchMetadata {
    /// Hook name inside the binary.
    #[serde(default)]
    pub name: String,
    /// Source path (informational).
    #[serde(default)]
    pub path: String,
}

/// `executeHookOnEvent` in module-sdk: a bool in some versions, a list of
/// event names in others.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(untagged)]
enum EventsField {
    All(bool),
    List(Vec<WatchEventType>),
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BatchKubernetes {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    api_version: Option<String>,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    name_selector: Option<NameSelector>,
    #[serde(default)]
    namespace: Option<NamespaceSelector>,
    #[serde(default)]
    label_selector: Option<LabelSelector>,
    #[serde(default)]
    field_selector: Option<FieldSelector>,
    #[serde(default)]
    execute_hook_on_event: Option<EventsField>,
    #[serde(default)]
    execute_hook_on_synchronization: Option<bool>,
    #[serde(default)]
    wait_for_synchronization: Option<bool>,
    #[serde(default)]
    jq_filter: Option<String>,
    #[serde(default)]
    keep_full_objects_in_memory: Option<bool>,
    #[serde(default)]
    allow_failure: Option<bool>,
    #[serde(default)]
    queue: Option<String>,
    #[serde(default)]
    group: Option<String>,
    #[serde(default)]
    include_snapshots_from: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BatchSchedule {
    #[serde(default)]
    name: Option<String>,
    crontab: String,
    #[serde(default)]
    allow_failure: Option<bool>,
    #[serde(default)]
    queue: Option<String>,
    #[serde(default)]
    group: Option<String>,
    #[serde(default)]
    include_snapshots_from: Vec<String>,
}

/// Go's `time.Duration` marshals as integer nanoseconds; accept that and
/// the string form.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(untagged)]
enum DurationField {
    Nanos(u64),
    Text(String),
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
struct BatchSettings {
    #[serde(default, rename = "executionMinInterval")]
    execution_min_interval: Option<DurationField>,
    #[serde(default, rename = "executionBurst")]
    execution_burst: Option<u32>,
    #[serde(
        default,
        rename = "enableSchedulesOnStartup",
        alias = "EnableSchedulesOnStartup"
    )]
    enable_schedules_on_startup: Option<bool>,
}

/// One hook of a batch binary as `hook config` describes it.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchHookConfig {
    /// Name and source path.
    #[serde(default)]
    pub metadata: BatchMetadata,
    #[serde(default)]
    config_version: Option<String>,
    #[serde(default)]
    on_startup: Option<f64>,
    #[serde(default)]
    before_helm: Option<f64>,
    #[serde(default)]
    after_helm: Option<f64>,
    #[serde(default)]
    before_delete_helm: Option<f64>,
    #[serde(default)]
    after_delete_helm: Option<f64>,
    #[serde(default)]
    before_all: Option<f64>,
    #[serde(default)]
    after_all: Option<f64>,
    #[serde(default)]
    schedule: Vec<BatchSchedule>,
    #[serde(default)]
    kubernetes: Vec<BatchKubernetes>,
    #[serde(default)]
    settings: Option<BatchSettings>,
    #[serde(default)]
    allow_failure: Option<bool>,
}

/// The whole `hook config` document.
#[derive(Clone, Debug, PartialEq)]
pub struct BatchConfig {
    /// `version` (absent in the legacy bare-array form).
    pub version: Option<String>,
    /// Hooks, by index (`hook run <index>`).
    pub hooks: Vec<BatchHookConfig>,
    /// The readiness probe hook, if the module has one.
    pub readiness: Option<BatchHookConfig>,
    /// Whether the binary can check settings (`has_settings_check`).
    pub has_settings_check: bool,
}

#[derive(Deserialize)]
struct BatchDocument {
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    hooks: Vec<BatchHookConfig>,
    #[serde(default)]
    readiness: Option<BatchHookConfig>,
    #[serde(default)]
    has_settings_check: bool,
}

/// Parse `hook config` output: `{version, hooks, readiness,
/// has_settings_check}` or a bare array of hook configs. Errors carry the
/// JSON pointer.
pub fn parse_batch_config(text: &str) -> Result<BatchConfig, (String, String)> {
    let raw: Value = serde_json::from_str(text).map_err(|e| {
        (
            String::new(),
            format!("`hook config` output is not JSON: {e}"),
        )
    })?;
    let pointer_err = |e: serde_path_to_error::Error<serde_json::Error>| {
        (
            super::error::pointer_of(e.path()),
            e.into_inner().to_string(),
        )
    };
    match raw {
        Value::Array(_) => {
            let hooks: Vec<BatchHookConfig> =
                serde_path_to_error::deserialize(raw).map_err(pointer_err)?;
            Ok(BatchConfig {
                version: None,
                hooks,
                readiness: None,
                has_settings_check: false,
            })
        }
        Value::Object(_) => {
            let doc: BatchDocument = serde_path_to_error::deserialize(raw).map_err(pointer_err)?;
            Ok(BatchConfig {
                version: doc.version,
                hooks: doc.hooks,
                readiness: doc.readiness,
                has_settings_check: doc.has_settings_check,
            })
        }
        other => Err((
            String::new(),
            format!(
                "`hook config` output must be an object or an array, got {}",
                super::type_name(&other)
            ),
        )),
    }
}

/// Go's `omitempty` ints: 0 means "not set".
fn order(v: Option<f64>) -> Option<f64> {
    v.filter(|o| *o != 0.0)
}

impl BatchHookConfig {
    /// The normalized config. Fails only on an unparsable duration.
    pub fn to_hook_config(&self) -> Result<HookConfig, (String, String)> {
        let version = match self.config_version.as_deref() {
            Some("v0") => ConfigVersion::V0,
            _ => ConfigVersion::V1,
        };
        let mut config = HookConfig::empty(version);
        config.on_startup = order(self.on_startup);
        config.before_helm = order(self.before_helm);
        config.after_helm = order(self.after_helm);
        config.before_delete_helm = order(self.before_delete_helm);
        config.after_delete_helm = order(self.after_delete_helm);
        config.before_all = order(self.before_all);
        config.after_all = order(self.after_all);
        let hook_allow_failure = self.allow_failure.unwrap_or(false);
        config.schedule = self
            .schedule
            .iter()
            .map(|s| ScheduleBinding {
                name: s.name.clone().unwrap_or_else(|| "schedule".into()),
                crontab: s.crontab.clone(),
                allow_failure: s.allow_failure.unwrap_or(hook_allow_failure),
                queue: s.queue.clone(),
                group: s.group.clone(),
                include_snapshots_from: s.include_snapshots_from.clone(),
            })
            .collect();
        config.kubernetes = self
            .kubernetes
            .iter()
            .map(|k| {
                let mut b = KubernetesBinding::with_kind(
                    k.name.clone().unwrap_or_else(|| "kubernetes".into()),
                    k.kind.clone(),
                );
                b.api_version = k.api_version.clone();
                b.name_selector = k.name_selector.clone();
                b.namespace = k.namespace.clone();
                b.label_selector = k.label_selector.clone();
                b.field_selector = k.field_selector.clone();
                b.execute_hook_on_event = match &k.execute_hook_on_event {
                    None | Some(EventsField::All(true)) => None,
                    Some(EventsField::All(false)) => Some(Vec::new()),
                    Some(EventsField::List(l)) => Some(l.clone()),
                };
                b.execute_hook_on_synchronization =
                    k.execute_hook_on_synchronization.unwrap_or(true);
                b.wait_for_synchronization = k.wait_for_synchronization.unwrap_or(true);
                b.jq_filter = k.jq_filter.clone();
                b.keep_full_objects_in_memory = k.keep_full_objects_in_memory.unwrap_or(true);
                b.allow_failure = k.allow_failure.unwrap_or(hook_allow_failure);
                b.queue = k.queue.clone();
                b.group = k.group.clone();
                b.include_snapshots_from = k.include_snapshots_from.clone();
                b
            })
            .collect();
        if let Some(s) = &self.settings {
            let interval = match &s.execution_min_interval {
                None | Some(DurationField::Nanos(0)) => None,
                Some(DurationField::Nanos(n)) => Some(GoDuration(Duration::from_nanos(*n))),
                Some(DurationField::Text(t)) => Some(
                    GoDuration::parse(t)
                        .map_err(|e| ("/settings/executionMinInterval".to_string(), e))?,
                ),
            };
            config.settings = Some(Settings {
                execution_min_interval: interval,
                execution_burst: s.execution_burst.filter(|b| *b > 0).unwrap_or(1),
                enable_schedules_on_startup: s.enable_schedules_on_startup.unwrap_or(false),
            });
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_list_banner() {
        assert_eq!(parse_batch_list("some log\nFound 3 items\n").unwrap(), 3);
        assert!(parse_batch_list("Found many items").is_err());
        assert!(parse_batch_list("").is_err());
        assert_eq!(parse_batch_list(""), Err(BatchListError::NoCount));
        assert!(matches!(
            parse_batch_list("Found 99999999999999999999999 items"),
            Err(BatchListError::CountOutOfRange { .. })
        ));
    }

    #[test]
    fn reads_both_document_forms() {
        let doc = r#"{"version":"v1","hooks":[{"metadata":{"name":"a","path":"x"},"configVersion":"v1","onStartup":1}],"readiness":null,"has_settings_check":true}"#;
        let c = parse_batch_config(doc).unwrap();
        assert_eq!(c.hooks.len(), 1);
        assert!(c.has_settings_check);
        let bare = r#"[{"metadata":{"name":"a"},"schedule":[{"name":"s","crontab":"* * * * *"}]}]"#;
        let c = parse_batch_config(bare).unwrap();
        assert_eq!(c.version, None);
        assert_eq!(c.hooks[0].to_hook_config().unwrap().schedule[0].name, "s");
    }

    #[test]
    fn maps_sdk_conventions() {
        let doc = r#"[{"metadata":{"name":"a"},"onStartup":0,"beforeHelm":5,
            "kubernetes":[{"name":"k","kind":"Pod","executeHookOnEvent":false}],
            "settings":{"executionMinInterval":3000000000,"executionBurst":2,"EnableSchedulesOnStartup":true}}]"#;
        let c = parse_batch_config(doc).unwrap().hooks[0]
            .to_hook_config()
            .unwrap();
        assert_eq!(c.on_startup, None, "0 means unset in Go");
        assert_eq!(c.before_helm, Some(5.0));
        assert_eq!(c.kubernetes[0].execute_hook_on_event, Some(vec![]));
        let s = c.settings.unwrap();
        assert_eq!(
            s.execution_min_interval,
            Some(GoDuration(Duration::from_secs(3)))
        );
        assert!(s.enable_schedules_on_startup);
    }

    #[test]
    fn bad_documents_name_the_pointer() {
        let (pointer, _) =
            parse_batch_config(r#"{"hooks":[{"schedule":[{"crontab":5}]}]}"#).unwrap_err();
        assert_eq!(pointer, "/hooks/0/schedule/0/crontab");
    }
}
