//! The normalized hook configuration: what every config version (v1, v0,
//! module-sdk batch) is turned into. The field names and defaults are those
//! of shell-operator's `configVersion: v1`; the serde derives read v1
//! directly (unknown fields rejected) and print the normalized form.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A Go duration string in a config (`"5s"`), kept as a [`Duration`];
/// printed as Go's `Duration.String` prints it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GoDuration(pub Duration);

impl GoDuration {
    /// Read a duration as Go's `time.ParseDuration` does (surrounding
    /// spaces ignored). A negative one is refused: nothing in the hook
    /// contract means anything by it.
    ///
    /// The error is a message: it only ever becomes the message of the
    /// config error (with its JSON pointer) that deserializing reports.
    pub fn parse(text: &str) -> Result<GoDuration, String> {
        let nanos = gostd::time::parse_duration(text.trim())?;
        let nanos = u64::try_from(nanos).map_err(|_| format!("negative duration {text:?}"))?;
        Ok(GoDuration(Duration::from_nanos(nanos)))
    }
}

impl fmt::Display for GoDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Go's Duration is an int64 of nanoseconds; a config cannot hold more.
        let nanos = i64::try_from(self.0.as_nanos()).unwrap_or(i64::MAX);
        f.write_str(&gostd::time::duration_string(nanos))
    }
}

impl Serialize for GoDuration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for GoDuration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        GoDuration::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// Which config format the hook printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum ConfigVersion {
    /// `configVersion: v1` (current).
    #[serde(rename = "v1")]
    V1,
    /// `configVersion: v0` or no version (legacy shell-operator format).
    #[serde(rename = "v0")]
    V0,
}

/// A complete hook configuration.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HookConfig {
    /// The version the config was written in.
    pub config_version: ConfigVersion,
    /// `onStartup` ORDER.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_startup: Option<f64>,
    /// `beforeAll` ORDER (addon-operator global hooks).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before_all: Option<f64>,
    /// `afterAll` ORDER (addon-operator global hooks).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after_all: Option<f64>,
    /// `beforeHelm` ORDER (module hooks).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before_helm: Option<f64>,
    /// `afterHelm` ORDER (module hooks).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after_helm: Option<f64>,
    /// `beforeDeleteHelm` ORDER (module hooks).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before_delete_helm: Option<f64>,
    /// `afterDeleteHelm` ORDER (module hooks).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after_delete_helm: Option<f64>,
    /// `schedule` bindings.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub schedule: Vec<ScheduleBinding>,
    /// `kubernetes` bindings.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub kubernetes: Vec<KubernetesBinding>,
    /// `kubernetesValidating` bindings (shell-operator).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub kubernetes_validating: Vec<AdmissionBinding>,
    /// `kubernetesMutating` bindings (shell-operator).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub kubernetes_mutating: Vec<AdmissionBinding>,
    /// `kubernetesCustomResourceConversion` bindings (shell-operator).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub kubernetes_custom_resource_conversion: Vec<ConversionBinding>,
    /// Rate limit and other per-hook settings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub settings: Option<Settings>,
}

impl HookConfig {
    /// An empty configuration of the given version (no bindings).
    pub fn empty(config_version: ConfigVersion) -> Self {
        HookConfig {
            config_version,
            on_startup: None,
            before_all: None,
            after_all: None,
            before_helm: None,
            after_helm: None,
            before_delete_helm: None,
            after_delete_helm: None,
            schedule: Vec::new(),
            kubernetes: Vec::new(),
            kubernetes_validating: Vec::new(),
            kubernetes_mutating: Vec::new(),
            kubernetes_custom_resource_conversion: Vec::new(),
            settings: None,
        }
    }

    /// The ORDER of a lifecycle binding, if the hook has it.
    pub fn order_of(&self, binding: LifecycleBinding) -> Option<f64> {
        match binding {
            LifecycleBinding::OnStartup => self.on_startup,
            LifecycleBinding::BeforeAll => self.before_all,
            LifecycleBinding::AfterAll => self.after_all,
            LifecycleBinding::BeforeHelm => self.before_helm,
            LifecycleBinding::AfterHelm => self.after_helm,
            LifecycleBinding::BeforeDeleteHelm => self.before_delete_helm,
            LifecycleBinding::AfterDeleteHelm => self.after_delete_helm,
        }
    }

    /// The names of every binding the hook has, in config order: lifecycle
    /// bindings by type name, then schedule, kubernetes, admission and
    /// conversion bindings by their `name`.
    pub fn binding_names(&self) -> Vec<String> {
        let mut names: Vec<String> = LifecycleBinding::ALL
            .iter()
            .filter(|b| self.order_of(**b).is_some())
            .map(|b| b.as_str().to_string())
            .collect();
        names.extend(self.schedule.iter().map(|b| b.name.clone()));
        names.extend(self.kubernetes.iter().map(|b| b.name.clone()));
        names.extend(self.kubernetes_validating.iter().map(|b| b.name.clone()));
        names.extend(self.kubernetes_mutating.iter().map(|b| b.name.clone()));
        names.extend(
            self.kubernetes_custom_resource_conversion
                .iter()
                .map(|b| b.name.clone()),
        );
        names
    }
}

/// Bindings that carry only an ORDER number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LifecycleBinding {
    /// `onStartup`.
    OnStartup,
    /// `beforeAll`.
    BeforeAll,
    /// `afterAll`.
    AfterAll,
    /// `beforeHelm`.
    BeforeHelm,
    /// `afterHelm`.
    AfterHelm,
    /// `beforeDeleteHelm`.
    BeforeDeleteHelm,
    /// `afterDeleteHelm`.
    AfterDeleteHelm,
}

impl LifecycleBinding {
    /// Every lifecycle binding, in the order configs list them.
    pub const ALL: [LifecycleBinding; 7] = [
        LifecycleBinding::OnStartup,
        LifecycleBinding::BeforeAll,
        LifecycleBinding::AfterAll,
        LifecycleBinding::BeforeHelm,
        LifecycleBinding::AfterHelm,
        LifecycleBinding::BeforeDeleteHelm,
        LifecycleBinding::AfterDeleteHelm,
    ];

    /// The config key and binding-context name (`"beforeHelm"`).
    pub fn as_str(self) -> &'static str {
        match self {
            LifecycleBinding::OnStartup => "onStartup",
            LifecycleBinding::BeforeAll => "beforeAll",
            LifecycleBinding::AfterAll => "afterAll",
            LifecycleBinding::BeforeHelm => "beforeHelm",
            LifecycleBinding::AfterHelm => "afterHelm",
            LifecycleBinding::BeforeDeleteHelm => "beforeDeleteHelm",
            LifecycleBinding::AfterDeleteHelm => "afterDeleteHelm",
        }
    }

    /// Look a lifecycle binding up by its name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|b| b.as_str() == name)
    }

    /// Whether the binding context carries the hook's kubernetes snapshots
    /// (addon-operator lifecycle bindings do; shell-operator onStartup not).
    pub fn has_snapshots(self) -> bool {
        !matches!(self, LifecycleBinding::OnStartup)
    }
}

impl fmt::Display for LifecycleBinding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

fn default_schedule_name() -> String {
    "schedule".into()
}
fn default_kubernetes_name() -> String {
    "kubernetes".into()
}
fn default_true() -> bool {
    true
}
fn is_true(b: &bool) -> bool {
    *b
}
fn is_false(b: &bool) -> bool {
    !*b
}

/// A `schedule` binding.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ScheduleBinding {
    /// Binding name (default `schedule`).
    #[serde(default = "default_schedule_name")]
    pub name: String,
    /// Cron expression: 5 fields, or 6 with leading seconds.
    pub crontab: String,
    /// Failures are logged and dropped instead of retried.
    #[serde(default, skip_serializing_if = "is_false")]
    pub allow_failure: bool,
    /// Named queue (default `main`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue: Option<String>,
    /// Group name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Kubernetes bindings whose snapshots are attached.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub include_snapshots_from: Vec<String>,
}

/// Kubernetes watch event types.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum WatchEventType {
    /// Object entered the selector scope.
    Added,
    /// Object changed (and, with a jqFilter, its filter result changed).
    Modified,
    /// Object left the selector scope.
    Deleted,
}

impl WatchEventType {
    /// All three, the default of `executeHookOnEvent`.
    pub const ALL: [WatchEventType; 3] = [
        WatchEventType::Added,
        WatchEventType::Modified,
        WatchEventType::Deleted,
    ];

    /// The name used in binding contexts.
    pub fn as_str(self) -> &'static str {
        match self {
            WatchEventType::Added => "Added",
            WatchEventType::Modified => "Modified",
            WatchEventType::Deleted => "Deleted",
        }
    }
}

/// `nameSelector`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NameSelector {
    /// Exact names.
    pub match_names: Vec<String>,
}

/// A Kubernetes LabelSelector.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LabelSelector {
    /// Exact label values.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub match_labels: std::collections::BTreeMap<String, String>,
    /// Set-based requirements.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub match_expressions: Vec<LabelSelectorRequirement>,
}

/// One `matchExpressions` entry of a LabelSelector.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LabelSelectorRequirement {
    /// Label key.
    pub key: String,
    /// Operator.
    pub operator: LabelSelectorOperator,
    /// Values (required for In/NotIn, must be empty for Exists/DoesNotExist).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
}

/// LabelSelector operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LabelSelectorOperator {
    /// Value in the set.
    In,
    /// Value not in the set.
    NotIn,
    /// Key present.
    Exists,
    /// Key absent.
    DoesNotExist,
}

/// `fieldSelector`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FieldSelector {
    /// ANDed requirements.
    pub match_expressions: Vec<FieldSelectorRequirement>,
}

/// One field selector requirement.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FieldSelectorRequirement {
    /// Field path (`metadata.name`).
    pub field: String,
    /// Operator.
    pub operator: FieldSelectorOperator,
    /// Compared value.
    #[serde(default)]
    pub value: String,
}

/// Field selector operators (the spellings shell-operator accepts).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum FieldSelectorOperator {
    /// Equality.
    #[serde(alias = "=", alias = "==")]
    Equals,
    /// Inequality.
    #[serde(alias = "!=")]
    NotEquals,
}

/// `namespace` selector of a kubernetes binding.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NamespaceSelector {
    /// Exact namespace names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_selector: Option<NameSelector>,
    /// Namespaces by labels (followed dynamically).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_selector: Option<LabelSelector>,
}

/// A `kubernetes` binding.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct KubernetesBinding {
    /// Binding name (default `kubernetes`); key in `snapshots`.
    #[serde(default = "default_kubernetes_name")]
    pub name: String,
    /// `v1`, `apps/v1`, ...; preferred version when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_version: Option<String>,
    /// Kind, plural, singular or short name.
    pub kind: String,
    /// Exact object names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_selector: Option<NameSelector>,
    /// Label selector.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_selector: Option<LabelSelector>,
    /// Field selector.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field_selector: Option<FieldSelector>,
    /// Namespace selector.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<NamespaceSelector>,
    /// jq program applied to each object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jq_filter: Option<String>,
    /// Event types that run the hook (`None` = all three; `[]` = none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execute_hook_on_event: Option<Vec<WatchEventType>>,
    /// Run with the initial Synchronization context.
    #[serde(default = "default_true", skip_serializing_if = "is_true")]
    pub execute_hook_on_synchronization: bool,
    /// Block startup until this binding's Synchronization ran.
    #[serde(default = "default_true", skip_serializing_if = "is_true")]
    pub wait_for_synchronization: bool,
    /// Keep whole objects (not only filter results) in snapshots.
    #[serde(default = "default_true", skip_serializing_if = "is_true")]
    pub keep_full_objects_in_memory: bool,
    /// Failures are logged and dropped instead of retried.
    #[serde(default, skip_serializing_if = "is_false")]
    pub allow_failure: bool,
    /// Named queue for Event tasks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue: Option<String>,
    /// Group name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Kubernetes bindings whose snapshots are attached.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub include_snapshots_from: Vec<String>,
    /// Periodic full re-list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resynchronization_period: Option<GoDuration>,
}

impl KubernetesBinding {
    /// A binding of `kind` with every default (used by v0 and batch configs).
    pub fn with_kind(name: impl Into<String>, kind: impl Into<String>) -> Self {
        KubernetesBinding {
            name: name.into(),
            api_version: None,
            kind: kind.into(),
            name_selector: None,
            label_selector: None,
            field_selector: None,
            namespace: None,
            jq_filter: None,
            execute_hook_on_event: None,
            execute_hook_on_synchronization: true,
            wait_for_synchronization: true,
            keep_full_objects_in_memory: true,
            allow_failure: false,
            queue: None,
            group: None,
            include_snapshots_from: Vec::new(),
            resynchronization_period: None,
        }
    }

    /// Whether an event of this type runs the hook.
    pub fn runs_on(&self, event: WatchEventType) -> bool {
        match &self.execute_hook_on_event {
            None => true,
            Some(events) => events.contains(&event),
        }
    }

    /// Whether snapshot items carry the whole object: false only when
    /// `keepFullObjectsInMemory: false` *and* a jqFilter is set.
    pub fn keeps_objects(&self) -> bool {
        self.keep_full_objects_in_memory || self.jq_filter.is_none()
    }
}

/// `failurePolicy` of an admission webhook.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum FailurePolicy {
    /// Reject the request when the webhook fails (default).
    #[default]
    Fail,
    /// Admit the request when the webhook fails.
    Ignore,
}

/// `sideEffects` of an admission webhook.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum SideEffects {
    /// No side effects (default).
    #[default]
    None,
    /// No side effects on dry-run requests.
    NoneOnDryRun,
}

/// A Kubernetes `RuleWithOperations`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AdmissionRule {
    /// API groups (`""` = core).
    #[serde(default)]
    pub api_groups: Vec<String>,
    /// API versions.
    #[serde(default)]
    pub api_versions: Vec<String>,
    /// Resources (`pods`, `pods/status`, `*`).
    #[serde(default)]
    pub resources: Vec<String>,
    /// Operations (`CREATE`, `UPDATE`, `DELETE`, `CONNECT`, `*`).
    #[serde(default)]
    pub operations: Vec<String>,
    /// `Cluster`, `Namespaced` or `*`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}

/// A CEL match condition.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct MatchCondition {
    /// Condition name.
    pub name: String,
    /// CEL expression.
    pub expression: String,
}

/// A namespace selector that only has labels (admission bindings).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AdmissionNamespaceSelector {
    /// Namespace label selector.
    pub label_selector: LabelSelector,
}

fn default_timeout_seconds() -> u32 {
    10
}

/// A `kubernetesValidating` or `kubernetesMutating` binding.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AdmissionBinding {
    /// Webhook name: an FQDN with at least three labels.
    pub name: String,
    /// Matched requests.
    #[serde(default)]
    pub rules: Vec<AdmissionRule>,
    /// Object selector.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_selector: Option<LabelSelector>,
    /// Namespace selector.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<AdmissionNamespaceSelector>,
    /// Failure policy.
    #[serde(default)]
    pub failure_policy: FailurePolicy,
    /// Side effects.
    #[serde(default)]
    pub side_effects: SideEffects,
    /// Request timeout.
    #[serde(default = "default_timeout_seconds")]
    pub timeout_seconds: u32,
    /// CEL match conditions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub match_conditions: Vec<MatchCondition>,
    /// Kubernetes bindings whose snapshots are attached.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub include_snapshots_from: Vec<String>,
    /// Group (for snapshots only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
}

/// One conversion step of a conversion binding.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Conversion {
    /// `group/version` converted from.
    pub from_version: String,
    /// `group/version` converted to.
    pub to_version: String,
}

/// A `kubernetesCustomResourceConversion` binding.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ConversionBinding {
    /// Binding name.
    pub name: String,
    /// The CRD whose conversion this hook serves.
    pub crd_name: String,
    /// Conversion steps (the operator chains them).
    pub conversions: Vec<Conversion>,
    /// Kubernetes bindings whose snapshots are attached.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub include_snapshots_from: Vec<String>,
    /// Group (for snapshots only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
}

fn default_burst() -> u32 {
    1
}

/// `settings`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Settings {
    /// Token refill interval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execution_min_interval: Option<GoDuration>,
    /// Bucket size (default 1).
    #[serde(default = "default_burst")]
    pub execution_burst: u32,
    /// module-sdk only: allow schedule runs before the first converge.
    #[serde(default, skip_serializing_if = "is_false")]
    pub enable_schedules_on_startup: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_and_print_as_go_without_negatives() {
        let d = GoDuration::parse(" 1m30s ").unwrap();
        assert_eq!(d, GoDuration(Duration::from_secs(90)));
        assert_eq!(d.to_string(), "1m30s");
        assert_eq!(GoDuration(Duration::from_millis(1500)).to_string(), "1.5s");
        assert_eq!(GoDuration(Duration::ZERO).to_string(), "0s");
        assert_eq!(
            GoDuration::parse("-1s"),
            Err("negative duration \"-1s\"".to_string())
        );
        assert!(GoDuration::parse("5").is_err());
    }
}
