//! The module-distribution resources as the controller reads them: ModuleSource,
//! ModuleRelease, ModuleUpdatePolicy (both versions), ModulePullOverride, and the parts of
//! ModuleConfig that choose a source and a policy. Parsed from dynamic objects; each parse
//! error names the object and the field (JSON pointer).

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use kube::api::DynamicObject;
use masterminds_semver::Version;
use registry::{Channel, ClientOptions, SourceRef};
use serde_json::Value;

use super::chain::FromTo;
use super::policy::{self, Phase, Policy, UpdateMode, Window, true_like};

/// Label: the module of a release.
pub const LABEL_MODULE: &str = "module";
/// Label: the source of a release.
pub const LABEL_SOURCE: &str = "source";
/// Label: fingerprint of the release image digest the release was made from.
pub const LABEL_CHECKSUM: &str = "release-checksum";
/// Label: the update policy in effect when the release was made.
pub const LABEL_POLICY: &str = "modules.deckhouse.io/update-policy";
/// Label: lowercase mirror of the phase, for selectors.
pub const LABEL_STATUS: &str = "status";
/// Annotation: why a release was created or refreshed.
pub const CHANGE_CAUSE: &str = "modules.deckhouse.io/change-cause";
/// Annotation (ModuleSource): allow deletion while releases are deployed.
pub const FORCE_DELETE: &str = "modules.deckhouse.io/force-delete";
/// Annotation (ModuleSource, controller-owned): checksum of `spec.registry`.
pub const REGISTRY_CHECKSUM: &str = "modules.deckhouse.io/registry-spec-checksum";
/// Annotation (ModuleRelease, controller-owned): the source's registry spec changed.
pub const REGISTRY_CHANGED: &str = "modules.deckhouse.io/registry-spec-changed";
/// Annotation (ModulePullOverride): redeploy even if the digest is unchanged.
pub const RENEW: &str = "modules.deckhouse.io/renew";
/// Finalizer (ModuleSource): releases of it exist.
pub const FINALIZER_RELEASE_EXISTS: &str = "modules.deckhouse.io/release-exists";
/// Finalizer (ModuleRelease): its files are on disk.
pub const FINALIZER_EXIST_ON_FS: &str = "modules.deckhouse.io/exist-on-fs";
/// Finalizer (ModulePullOverride): its copy is active.
pub const FINALIZER_OVERRIDE: &str = "modules.deckhouse.io/mpo-exists";

fn str_at<'a>(v: &'a Value, pointer: &str) -> Option<&'a str> {
    v.pointer(pointer).and_then(Value::as_str)
}

fn name_of(o: &DynamicObject) -> String {
    o.metadata.name.clone().unwrap_or_default()
}

/// Parses a duration such as `1h30m`, `3m`, `15s` (the CRDs' `^(\d+h)?(\d+m)?(\d+s)?$`).
pub fn parse_interval(text: &str) -> Result<Duration, String> {
    let mut total = 0u64;
    let mut digits = String::new();
    let mut last_unit = 0;
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let (rank, factor) = match c {
            'h' => (1, 3600),
            'm' => (2, 60),
            's' => (3, 1),
            _ => {
                return Err(format!(
                    "{text:?}: unexpected {c:?} (expected e.g. 1h30m, 3m, 15s)"
                ));
            }
        };
        if digits.is_empty() || rank <= last_unit {
            return Err(format!("{text:?}: expected e.g. 1h30m, 3m, 15s"));
        }
        let n: u64 = digits
            .parse()
            .map_err(|_| format!("{text:?}: number too large"))?;
        total = total.saturating_add(n.saturating_mul(factor));
        digits.clear();
        last_unit = rank;
    }
    if !digits.is_empty() || text.is_empty() {
        return Err(format!("{text:?}: expected e.g. 1h30m, 3m, 15s"));
    }
    Ok(Duration::from_secs(total))
}

/// `spec.registry` of a ModuleSource.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct RegistrySpec {
    /// `repo`.
    pub repo: String,
    /// `dockerCfg` (base64 docker config).
    pub docker_cfg: String,
    /// `scheme`: `HTTP` or `HTTPS`.
    pub scheme: String,
    /// `ca` (PEM).
    pub ca: String,
}

impl std::fmt::Debug for RegistrySpec {
    /// Never the credentials: `dockerCfg` shows only whether it is set.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let cfg = if self.docker_cfg.trim().is_empty() {
            ""
        } else {
            "<redacted>"
        };
        f.debug_struct("RegistrySpec")
            .field("repo", &self.repo)
            .field("docker_cfg", &cfg)
            .field("scheme", &self.scheme)
            .field("ca", &self.ca)
            .finish()
    }
}

impl RegistrySpec {
    /// The source reference and client options; the error names the field.
    pub fn connect(&self) -> Result<(SourceRef, ClientOptions), String> {
        let source: SourceRef = self
            .repo
            .parse()
            .map_err(|e| format!("spec.registry.repo: {e}"))?;
        let credentials = registry::auth::DockerConfig::from_base64(&self.docker_cfg)
            .map_err(|e| e.to_string())?;
        Ok((
            source,
            ClientOptions {
                plain_http: self.scheme.eq_ignore_ascii_case("HTTP"),
                ca_file: None,
                ca_pem: (!self.ca.trim().is_empty()).then(|| self.ca.clone().into_bytes()),
                credentials,
                user_agent: None,
            },
        ))
    }

    /// The `registry` values a module from this source is given (correction 6): `base`
    /// (the repo), `dockercfg`, `scheme` (lowercase) and `ca`. An empty `dockerCfg` becomes
    /// a config with an empty entry for the registry host, because modules cannot cope with
    /// an empty string.
    pub fn module_values(&self) -> Value {
        use base64::Engine as _;
        let dockercfg = if self.docker_cfg.trim().is_empty() {
            let host = self.repo.split('/').next().unwrap_or_default();
            base64::engine::general_purpose::STANDARD
                .encode(serde_json::json!({"auths": {host: {}}}).to_string())
        } else {
            self.docker_cfg.clone()
        };
        serde_json::json!({
            "base": self.repo,
            "dockercfg": dockercfg,
            "scheme": if self.scheme.is_empty() { "https".to_string() } else { self.scheme.to_ascii_lowercase() },
            "ca": self.ca,
        })
    }

    /// A fingerprint of the whole spec (the registry-spec-checksum annotation).
    pub fn checksum(&self) -> String {
        let text = serde_json::json!({
            "repo": self.repo, "dockerCfg": self.docker_cfg, "scheme": self.scheme, "ca": self.ca,
        })
        .to_string();
        registry::Digest::of(text.as_bytes()).hex()[..32].to_string()
    }
}

/// A ModuleSource.
#[derive(Clone, Debug)]
pub struct Source {
    /// `metadata.name`.
    pub name: String,
    /// `metadata.uid` (for owner references).
    pub uid: String,
    /// `metadata.generation`.
    pub generation: i64,
    /// Being deleted.
    pub deleting: bool,
    /// `metadata.finalizers`.
    pub finalizers: Vec<String>,
    /// `metadata.annotations`.
    pub annotations: BTreeMap<String, String>,
    /// `spec.registry`.
    pub registry: RegistrySpec,
    /// `spec.scanInterval`, parsed (`Err`: the text and why it is wrong).
    pub scan_interval: Result<Option<Duration>, String>,
}

impl Source {
    /// Reads a ModuleSource object.
    pub fn from_object(o: &DynamicObject) -> Source {
        let spec = o.data.get("spec").cloned().unwrap_or(Value::Null);
        let s = |p: &str| str_at(&spec, p).unwrap_or_default().to_string();
        Source {
            name: name_of(o),
            uid: o.metadata.uid.clone().unwrap_or_default(),
            generation: o.metadata.generation.unwrap_or_default(),
            deleting: o.metadata.deletion_timestamp.is_some(),
            finalizers: o.metadata.finalizers.clone().unwrap_or_default(),
            annotations: o.metadata.annotations.clone().unwrap_or_default(),
            registry: RegistrySpec {
                repo: s("/registry/repo"),
                docker_cfg: s("/registry/dockerCfg"),
                scheme: s("/registry/scheme"),
                ca: s("/registry/ca"),
            },
            scan_interval: match str_at(&spec, "/scanInterval") {
                None | Some("") => Ok(None),
                Some(text) => parse_interval(text)
                    .map(Some)
                    .map_err(|e| format!("spec.scanInterval: {e}")),
            },
        }
    }
}

/// The parts of a ModuleConfig the distribution controller reads.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ModuleConfigView {
    /// `metadata.name` (the module).
    pub name: String,
    /// `spec.enabled`.
    pub enabled: Option<bool>,
    /// `spec.source`.
    pub source: Option<String>,
    /// `spec.updatePolicy`.
    pub update_policy: Option<String>,
    /// `spec.settings`.
    pub settings: Value,
}

impl ModuleConfigView {
    /// Reads a ModuleConfig object.
    pub fn from_object(o: &DynamicObject) -> ModuleConfigView {
        let spec = o.data.get("spec").cloned().unwrap_or(Value::Null);
        let opt = |p: &str| {
            str_at(&spec, p)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        ModuleConfigView {
            name: name_of(o),
            enabled: spec.pointer("/enabled").and_then(Value::as_bool),
            source: opt("/source"),
            update_policy: opt("/updatePolicy"),
            settings: spec.pointer("/settings").cloned().unwrap_or(Value::Null),
        }
    }
}

/// A ModuleUpdatePolicy (either version).
#[derive(Clone, Debug, PartialEq)]
pub struct PolicyObject {
    /// `metadata.name`.
    pub name: String,
    /// `spec.releaseChannel`.
    pub channel: Channel,
    /// The rules.
    pub policy: Policy,
    /// v1alpha1 `spec.moduleReleaseSelector.labelSelector.matchLabels` (`None` in v1alpha2
    /// or without a selector).
    pub match_labels: Option<BTreeMap<String, String>>,
}

impl PolicyObject {
    /// Reads a ModuleUpdatePolicy; `default_mode` is the version's default (Auto in
    /// v1alpha2, AutoPatch in v1alpha1). Errors name the policy and the field.
    pub fn from_object(
        o: &DynamicObject,
        default_mode: UpdateMode,
    ) -> Result<PolicyObject, String> {
        let name = name_of(o);
        let spec = o.data.get("spec").cloned().unwrap_or(Value::Null);
        let field_err = |field: &str, e: String| format!("ModuleUpdatePolicy {name}: {field}: {e}");
        let channel = match str_at(&spec, "/releaseChannel") {
            None | Some("") => Channel::Stable,
            Some(c) => c
                .parse()
                .map_err(|e: registry::Error| field_err("spec.releaseChannel", e.to_string()))?,
        };
        let mode = match str_at(&spec, "/update/mode") {
            None | Some("") => default_mode,
            Some(m) => UpdateMode::parse(m)
                .ok_or_else(|| field_err("spec.update.mode", format!("unknown mode {m:?}")))?,
        };
        let mut windows = Vec::new();
        if let Some(list) = spec.pointer("/update/windows").and_then(Value::as_array) {
            for (i, w) in list.iter().enumerate() {
                let days: Vec<String> = w
                    .get("days")
                    .and_then(Value::as_array)
                    .map(|d| {
                        d.iter()
                            .filter_map(|x| x.as_str().map(String::from))
                            .collect()
                    })
                    .unwrap_or_default();
                let window = Window::parse(
                    str_at(w, "/from").unwrap_or_default(),
                    str_at(w, "/to").unwrap_or_default(),
                    &days,
                )
                .map_err(|e| field_err(&format!("spec.update.windows[{i}]"), e))?;
                windows.push(window);
            }
        }
        let match_labels = spec
            .pointer("/moduleReleaseSelector/labelSelector/matchLabels")
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
                    .collect()
            });
        Ok(PolicyObject {
            channel,
            policy: Policy {
                name: name.clone(),
                mode,
                windows,
            },
            name,
            match_labels,
        })
    }
}

/// A ModuleRelease.
#[derive(Clone, Debug)]
pub struct ReleaseObject {
    /// `metadata.name`.
    pub name: String,
    /// `spec.moduleName`.
    pub module: String,
    /// Label `source`.
    pub source: String,
    /// `spec.version`.
    pub version: Version,
    /// `status.phase`.
    pub phase: Phase,
    /// `status.message`.
    pub message: String,
    /// `metadata.labels`.
    pub labels: BTreeMap<String, String>,
    /// `metadata.annotations`.
    pub annotations: BTreeMap<String, String>,
    /// `metadata.finalizers`.
    pub finalizers: Vec<String>,
    /// Being deleted.
    pub deleting: bool,
    /// `spec.applyAfter`.
    pub apply_after: Option<DateTime<Utc>>,
    /// `spec.update.versions`.
    pub from_to: Vec<FromTo>,
    /// `spec.requirements`.
    pub requirements: Value,
    /// `spec.weight`.
    pub weight: Option<i64>,
}

impl ReleaseObject {
    /// Reads a ModuleRelease; errors name the release and the field.
    pub fn from_object(o: &DynamicObject) -> Result<ReleaseObject, String> {
        let name = name_of(o);
        let spec = o.data.get("spec").cloned().unwrap_or(Value::Null);
        let err = |field: &str, e: String| format!("ModuleRelease {name}: {field}: {e}");
        let version_text = str_at(&spec, "/version").unwrap_or_default();
        let version = Version::parse_strict(version_text.trim_start_matches('v'))
            .map_err(|e| err("spec.version", format!("{version_text:?}: {e}")))?;
        let apply_after = match str_at(&spec, "/applyAfter") {
            None | Some("") => None,
            Some(t) => Some(
                DateTime::parse_from_rfc3339(t)
                    .map_err(|e| err("spec.applyAfter", format!("{t:?}: {e}")))?
                    .with_timezone(&Utc),
            ),
        };
        let mut from_to = Vec::new();
        if let Some(list) = spec.pointer("/update/versions").and_then(Value::as_array) {
            for (i, r) in list.iter().enumerate() {
                from_to.push(
                    FromTo::parse(
                        str_at(r, "/from").unwrap_or_default(),
                        str_at(r, "/to").unwrap_or_default(),
                    )
                    .map_err(|e| err(&format!("spec.update.versions[{i}]"), e))?,
                );
            }
        }
        let labels = o.metadata.labels.clone().unwrap_or_default();
        let status = o.data.get("status").cloned().unwrap_or(Value::Null);
        Ok(ReleaseObject {
            module: str_at(&spec, "/moduleName").unwrap_or_default().to_string(),
            source: labels.get(LABEL_SOURCE).cloned().unwrap_or_default(),
            version,
            phase: Phase::parse(str_at(&status, "/phase")),
            message: str_at(&status, "/message").unwrap_or_default().to_string(),
            labels,
            annotations: o.metadata.annotations.clone().unwrap_or_default(),
            finalizers: o.metadata.finalizers.clone().unwrap_or_default(),
            deleting: o.metadata.deletion_timestamp.is_some(),
            apply_after,
            from_to,
            requirements: spec.get("requirements").cloned().unwrap_or(Value::Null),
            weight: spec.get("weight").and_then(Value::as_i64),
            name,
        })
    }

    /// Whether annotation `key` is true-like.
    pub fn flag(&self, key: &str) -> bool {
        true_like(self.annotations.get(key).map(String::as_str))
    }

    /// The view the deployment rules take.
    pub fn rules_view(&self) -> policy::Release {
        policy::Release {
            name: self.name.clone(),
            version: self.version.clone(),
            phase: self.phase,
            approved: self.flag(policy::APPROVED),
            apply_now: self.flag(policy::APPLY_NOW),
            force: self.flag(policy::FORCE) || self.flag(policy::FORCE_PLATFORM),
            apply_after: self.apply_after,
            from_to: self.from_to.clone(),
        }
    }
}

/// A ModulePullOverride.
#[derive(Clone, Debug)]
pub struct OverrideObject {
    /// `metadata.name` (the module).
    pub name: String,
    /// `spec.imageTag`.
    pub image_tag: String,
    /// `spec.scanInterval` (15 s when unset or not positive).
    pub scan_interval: Duration,
    /// `spec.rollback`.
    pub rollback: bool,
    /// `status.imageDigest`.
    pub image_digest: String,
    /// The renew annotation is true-like.
    pub renew: bool,
    /// `metadata.finalizers`.
    pub finalizers: Vec<String>,
    /// Being deleted.
    pub deleting: bool,
}

impl OverrideObject {
    /// Reads a ModulePullOverride.
    pub fn from_object(o: &DynamicObject) -> OverrideObject {
        let spec = o.data.get("spec").cloned().unwrap_or(Value::Null);
        let status = o.data.get("status").cloned().unwrap_or(Value::Null);
        let annotations = o.metadata.annotations.clone().unwrap_or_default();
        let interval = str_at(&spec, "/scanInterval")
            .and_then(|t| parse_interval(t).ok())
            .filter(|d| !d.is_zero())
            .unwrap_or(Duration::from_secs(15));
        OverrideObject {
            name: name_of(o),
            image_tag: str_at(&spec, "/imageTag").unwrap_or_default().to_string(),
            scan_interval: interval,
            rollback: spec
                .get("rollback")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            image_digest: str_at(&status, "/imageDigest")
                .unwrap_or_default()
                .to_string(),
            renew: true_like(annotations.get(RENEW).map(String::as_str)),
            finalizers: o.metadata.finalizers.clone().unwrap_or_default(),
            deleting: o.metadata.deletion_timestamp.is_some(),
        }
    }
}

/// The release name of `module` at `version`: `<m>-v<ver>`.
pub fn release_name(module: &str, version: &Version) -> String {
    format!("{module}-v{version}")
}

/// The checksum label value of a release image digest (labels hold at most 63 characters;
/// a digest has 71).
pub fn checksum_label(digest: &registry::Digest) -> String {
    digest.hex()[..32].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_parse_like_the_crd_pattern() {
        assert_eq!(parse_interval("3m").unwrap(), Duration::from_secs(180));
        assert_eq!(
            parse_interval("1h30m15s").unwrap(),
            Duration::from_secs(5415)
        );
        assert_eq!(parse_interval("15s").unwrap(), Duration::from_secs(15));
        for bad in ["", "3", "m", "3x", "5s3m", "3m3m"] {
            assert!(parse_interval(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn registry_spec_maps_to_client_options_and_names_bad_fields() {
        let spec = RegistrySpec {
            repo: "127.0.0.1:5000/acme/modules".into(),
            scheme: "HTTP".into(),
            ..Default::default()
        };
        let (source, options) = spec.connect().unwrap();
        assert_eq!(source.to_string(), "127.0.0.1:5000/acme/modules");
        assert!(options.plain_http && options.ca_pem.is_none());
        let bad = RegistrySpec {
            repo: "https://x/y".into(),
            ..Default::default()
        };
        assert!(bad.connect().unwrap_err().starts_with("spec.registry.repo"));
        let bad_cfg = RegistrySpec {
            docker_cfg: "***".into(),
            ..spec.clone()
        };
        assert!(bad_cfg.connect().unwrap_err().contains("dockerCfg"));
        assert!(
            !format!("{bad_cfg:?}").contains("***"),
            "Debug hides dockerCfg"
        );
        assert_ne!(spec.checksum(), bad_cfg.checksum());
        assert_eq!(spec.checksum().len(), 32);
    }

    #[test]
    fn module_values_never_carry_an_empty_docker_config() {
        use base64::Engine as _;
        let spec = RegistrySpec {
            repo: "r.example:5000/acme/modules".into(),
            scheme: "HTTP".into(),
            ..Default::default()
        };
        let values = spec.module_values();
        assert_eq!(values["base"], "r.example:5000/acme/modules");
        assert_eq!(values["scheme"], "http");
        let cfg = base64::engine::general_purpose::STANDARD
            .decode(values["dockercfg"].as_str().unwrap())
            .unwrap();
        assert_eq!(
            serde_json::from_slice::<Value>(&cfg).unwrap(),
            serde_json::json!({"auths": {"r.example:5000": {}}})
        );
        let with_cfg = RegistrySpec {
            docker_cfg: "e30=".into(),
            ..spec
        };
        assert_eq!(with_cfg.module_values()["dockercfg"], "e30=");
    }

    fn object(value: Value) -> DynamicObject {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn policies_parse_both_versions_and_name_bad_windows() {
        let v1 = object(serde_json::json!({
            "apiVersion": "deckhouse.io/v1alpha1", "kind": "ModuleUpdatePolicy",
            "metadata": {"name": "old"},
            "spec": {"update": {}, "releaseChannel": "EarlyAccess",
                     "moduleReleaseSelector": {"labelSelector": {"matchLabels": {"module": "echo"}}}},
        }));
        let p = PolicyObject::from_object(&v1, UpdateMode::AutoPatch).unwrap();
        assert_eq!(p.channel, Channel::EarlyAccess);
        assert_eq!(p.policy.mode, UpdateMode::AutoPatch);
        assert_eq!(p.match_labels.unwrap()["module"], "echo");
        let bad = object(serde_json::json!({
            "apiVersion": "deckhouse.io/v1alpha2", "kind": "ModuleUpdatePolicy",
            "metadata": {"name": "bad"},
            "spec": {"update": {"mode": "Auto", "windows": [{"from": "10:00", "to": "09:00"}]}},
        }));
        let err = PolicyObject::from_object(&bad, UpdateMode::Auto).unwrap_err();
        assert!(
            err.contains("bad") && err.contains("spec.update.windows[0]"),
            "{err}"
        );
    }

    #[test]
    fn releases_parse_and_name_bad_fields() {
        let r = object(serde_json::json!({
            "apiVersion": "deckhouse.io/v1alpha1", "kind": "ModuleRelease",
            "metadata": {"name": "echo-v1.2.0", "labels": {"source": "acme"},
                         "annotations": {"modules.deckhouse.io/approved": "true"}},
            "spec": {"moduleName": "echo", "version": "1.2.0",
                     "update": {"versions": [{"from": "1.0", "to": "1.2"}]}},
            "status": {"phase": "Pending"},
        }));
        let r = ReleaseObject::from_object(&r).unwrap();
        assert_eq!(r.source, "acme");
        assert!(r.rules_view().approved);
        assert_eq!(r.from_to[0].to, (1, 2));
        let bad = object(serde_json::json!({
            "apiVersion": "deckhouse.io/v1alpha1", "kind": "ModuleRelease",
            "metadata": {"name": "echo-x"},
            "spec": {"moduleName": "echo", "version": "x"},
        }));
        let err = ReleaseObject::from_object(&bad).unwrap_err();
        assert!(
            err.contains("echo-x") && err.contains("spec.version"),
            "{err}"
        );
    }
}
