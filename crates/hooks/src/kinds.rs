//! Which objects a binding takes, without a cluster.
//!
//! In a cluster the operator resolves a binding's `kind` (a Kind, its
//! plural, singular or a short name, in any case) through discovery. Offline
//! the same resolution uses a built-in table of the core kinds' names and
//! short names; other kinds (custom resources) match by Kind or by its
//! regular plural. The checks here let `hook run` refuse an object the
//! binding would never deliver, and wrap an object under review into the
//! AdmissionReview or ConversionReview the hook receives.

use serde_json::{Value, json};

use crate::config::{AdmissionBinding, ConversionBinding, KubernetesBinding};

/// A resource kind as discovery describes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KindInfo {
    /// API group (`""` for the core group).
    pub group: &'static str,
    /// Kind (`Deployment`).
    pub kind: &'static str,
    /// Plural resource name (`deployments`).
    pub plural: &'static str,
    /// Short names (`deploy`).
    pub short_names: &'static [&'static str],
}

const fn k(
    group: &'static str,
    kind: &'static str,
    plural: &'static str,
    short_names: &'static [&'static str],
) -> KindInfo {
    KindInfo {
        group,
        kind,
        plural,
        short_names,
    }
}

/// The core kinds of Kubernetes 1.2x with their names as discovery lists them.
pub const CORE_KINDS: &[KindInfo] = &[
    k("", "Binding", "bindings", &[]),
    k("", "ComponentStatus", "componentstatuses", &["cs"]),
    k("", "ConfigMap", "configmaps", &["cm"]),
    k("", "Endpoints", "endpoints", &["ep"]),
    k("", "Event", "events", &["ev"]),
    k("", "LimitRange", "limitranges", &["limits"]),
    k("", "Namespace", "namespaces", &["ns"]),
    k("", "Node", "nodes", &["no"]),
    k(
        "",
        "PersistentVolumeClaim",
        "persistentvolumeclaims",
        &["pvc"],
    ),
    k("", "PersistentVolume", "persistentvolumes", &["pv"]),
    k("", "Pod", "pods", &["po"]),
    k("", "PodTemplate", "podtemplates", &[]),
    k(
        "",
        "ReplicationController",
        "replicationcontrollers",
        &["rc"],
    ),
    k("", "ResourceQuota", "resourcequotas", &["quota"]),
    k("", "Secret", "secrets", &[]),
    k("", "ServiceAccount", "serviceaccounts", &["sa"]),
    k("", "Service", "services", &["svc"]),
    k(
        "admissionregistration.k8s.io",
        "MutatingWebhookConfiguration",
        "mutatingwebhookconfigurations",
        &[],
    ),
    k(
        "admissionregistration.k8s.io",
        "ValidatingWebhookConfiguration",
        "validatingwebhookconfigurations",
        &[],
    ),
    k(
        "apiextensions.k8s.io",
        "CustomResourceDefinition",
        "customresourcedefinitions",
        &["crd", "crds"],
    ),
    k("apiregistration.k8s.io", "APIService", "apiservices", &[]),
    k("apps", "ControllerRevision", "controllerrevisions", &[]),
    k("apps", "DaemonSet", "daemonsets", &["ds"]),
    k("apps", "Deployment", "deployments", &["deploy"]),
    k("apps", "ReplicaSet", "replicasets", &["rs"]),
    k("apps", "StatefulSet", "statefulsets", &["sts"]),
    k(
        "autoscaling",
        "HorizontalPodAutoscaler",
        "horizontalpodautoscalers",
        &["hpa"],
    ),
    k("batch", "CronJob", "cronjobs", &["cj"]),
    k("batch", "Job", "jobs", &[]),
    k(
        "certificates.k8s.io",
        "CertificateSigningRequest",
        "certificatesigningrequests",
        &["csr"],
    ),
    k("coordination.k8s.io", "Lease", "leases", &[]),
    k("discovery.k8s.io", "EndpointSlice", "endpointslices", &[]),
    k("events.k8s.io", "Event", "events", &["ev"]),
    k("networking.k8s.io", "IngressClass", "ingressclasses", &[]),
    k("networking.k8s.io", "Ingress", "ingresses", &["ing"]),
    k(
        "networking.k8s.io",
        "NetworkPolicy",
        "networkpolicies",
        &["netpol"],
    ),
    k("node.k8s.io", "RuntimeClass", "runtimeclasses", &[]),
    k(
        "policy",
        "PodDisruptionBudget",
        "poddisruptionbudgets",
        &["pdb"],
    ),
    k(
        "policy",
        "PodSecurityPolicy",
        "podsecuritypolicies",
        &["psp"],
    ),
    k(
        "rbac.authorization.k8s.io",
        "ClusterRoleBinding",
        "clusterrolebindings",
        &[],
    ),
    k(
        "rbac.authorization.k8s.io",
        "ClusterRole",
        "clusterroles",
        &[],
    ),
    k(
        "rbac.authorization.k8s.io",
        "RoleBinding",
        "rolebindings",
        &[],
    ),
    k("rbac.authorization.k8s.io", "Role", "roles", &[]),
    k(
        "scheduling.k8s.io",
        "PriorityClass",
        "priorityclasses",
        &["pc"],
    ),
    k("storage.k8s.io", "CSIDriver", "csidrivers", &[]),
    k("storage.k8s.io", "CSINode", "csinodes", &[]),
    k("storage.k8s.io", "StorageClass", "storageclasses", &["sc"]),
    k(
        "storage.k8s.io",
        "VolumeAttachment",
        "volumeattachments",
        &[],
    ),
];

impl KindInfo {
    /// Whether `name` names this kind: Kind, plural, singular or a short
    /// name, in any case.
    pub fn is_named(&self, name: &str) -> bool {
        name.eq_ignore_ascii_case(self.kind)
            || name.eq_ignore_ascii_case(self.plural)
            || self
                .short_names
                .iter()
                .any(|s| name.eq_ignore_ascii_case(s))
    }
}

/// The core kinds `name` names (a Kind in two groups, such as `Event`,
/// gives both).
pub fn resolve(name: &str) -> Vec<&'static KindInfo> {
    CORE_KINDS.iter().filter(|k| k.is_named(name)).collect()
}

/// The plural resource of an object's Kind: the table's, else the regular
/// English plural discovery gives custom resources (`Widget` → `widgets`,
/// `Policy` → `policies`, `Ingress` → `ingresses`).
pub fn plural_of(group: &str, kind: &str) -> String {
    if let Some(k) = CORE_KINDS
        .iter()
        .find(|k| k.group == group && k.kind == kind)
    {
        return k.plural.to_string();
    }
    let lower = kind.to_ascii_lowercase();
    if let Some(stem) = lower.strip_suffix('y')
        && !stem.ends_with(['a', 'e', 'i', 'o', 'u'])
    {
        return format!("{stem}ies");
    }
    if lower.ends_with('s')
        || lower.ends_with("x")
        || lower.ends_with("ch")
        || lower.ends_with("sh")
    {
        return format!("{lower}es");
    }
    format!("{lower}s")
}

/// `group/version` split into its group (`""` for `v1`) and version.
pub fn split_api_version(api_version: &str) -> (&str, &str) {
    api_version.rsplit_once('/').unwrap_or(("", api_version))
}

/// An object given for a binding that the binding would never deliver
/// (or that cannot be wrapped into its review).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ObjectError {
    /// The object has no `apiVersion` or `kind`.
    #[error("the object has no apiVersion and kind")]
    NoType,
    /// A kubernetes binding watches another kind or version.
    #[error("binding {binding} watches {watched}; the object {object} is {api_version} {kind}")]
    NotWatched {
        /// The binding's name.
        binding: String,
        /// What it watches (`v1 Pod`, `apps/* Deployment`).
        watched: String,
        /// The object's `namespace/name`.
        object: String,
        /// The object's `apiVersion`.
        api_version: String,
        /// The object's `kind`.
        kind: String,
    },
    /// An admission binding's rules do not cover creating the object.
    #[error(
        "admission binding {binding} has no rule for CREATE of {resource} in {api_version}; the object {object} is {api_version} {kind}"
    )]
    NoAdmissionRule {
        /// The binding's name.
        binding: String,
        /// The object's resource (plural).
        resource: String,
        /// The object's `namespace/name`.
        object: String,
        /// The object's `apiVersion`.
        api_version: String,
        /// The object's `kind`.
        kind: String,
    },
    /// No object was given to convert.
    #[error("no object to convert")]
    NoObjects,
    /// No conversion step of the binding converts from the object's version.
    #[error(
        "conversion binding {binding} converts from {}; the object {object} is {api_version}",
        .from_versions.join(", ")
    )]
    NoConversionStep {
        /// The binding's name.
        binding: String,
        /// The versions its steps convert from.
        from_versions: Vec<String>,
        /// The object's `namespace/name`.
        object: String,
        /// The object's `apiVersion`.
        api_version: String,
    },
    /// The objects to convert are of several versions.
    #[error(
        "one ConversionReview holds objects of one version: {object} is {api_version} {kind}, not {expected}"
    )]
    MixedVersions {
        /// The odd object's `namespace/name`.
        object: String,
        /// Its `apiVersion`.
        api_version: String,
        /// Its `kind`.
        kind: String,
        /// The first object's `apiVersion`.
        expected: String,
    },
}

/// An object's `apiVersion` and `kind`, or what is missing.
fn type_of(object: &Value) -> Result<(&str, &str), ObjectError> {
    let api_version = object.get("apiVersion").and_then(Value::as_str);
    let kind = object.get("kind").and_then(Value::as_str);
    match (api_version, kind) {
        (Some(a), Some(k)) if !a.is_empty() && !k.is_empty() => Ok((a, k)),
        _ => Err(ObjectError::NoType),
    }
}

fn name_of(object: &Value) -> String {
    let meta = object.get("metadata");
    let get = |key: &str| {
        meta.and_then(|m| m.get(key))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    match (get("namespace"), get("name")) {
        (ns, name) if ns.is_empty() => name,
        (ns, name) => format!("{ns}/{name}"),
    }
}

/// Whether a kubernetes binding would deliver `object`: its kind names the
/// object's Kind (through the table, or by Kind or plural for other kinds)
/// and, when the binding pins `apiVersion`, the versions are equal.
pub fn check_object(binding: &KubernetesBinding, object: &Value) -> Result<(), ObjectError> {
    let (api_version, kind) = type_of(object)?;
    let (group, _) = split_api_version(api_version);
    let wanted = binding.kind.as_str();
    let core = resolve(wanted);
    let kind_ok = if core.is_empty() {
        wanted.eq_ignore_ascii_case(kind) || wanted.eq_ignore_ascii_case(&plural_of(group, kind))
    } else {
        core.iter().any(|k| k.kind == kind && k.group == group)
    };
    let version_ok = match &binding.api_version {
        Some(v) => v == api_version,
        None => true,
    };
    if kind_ok && version_ok {
        return Ok(());
    }
    let watched = match (&binding.api_version, core.first()) {
        (Some(v), _) => format!("{v} {wanted}"),
        (None, Some(k)) if k.group.is_empty() => format!("v1 {}", k.kind),
        (None, Some(k)) => format!("{}/* {}", k.group, k.kind),
        (None, None) => wanted.to_string(),
    };
    Err(ObjectError::NotWatched {
        binding: binding.name.clone(),
        watched,
        object: name_of(object),
        api_version: api_version.to_string(),
        kind: kind.to_string(),
    })
}

/// Whether a rule list entry allows `value` (`*` allows all).
fn allows(list: &[String], value: &str) -> bool {
    list.iter().any(|x| x == "*" || x == value)
}

/// The AdmissionReview an admission binding's hook receives for `object`:
/// a whole review is taken as it is; an object under review is checked
/// against the binding's rules and wrapped into a `CREATE` request.
pub fn admission_review(binding: &AdmissionBinding, object: Value) -> Result<Value, ObjectError> {
    if object.get("kind").and_then(Value::as_str) == Some("AdmissionReview") {
        return Ok(object);
    }
    let (api_version, kind) = type_of(&object)?;
    let (group, version) = split_api_version(api_version);
    let resource = plural_of(group, kind);
    let matched = binding.rules.iter().any(|r| {
        allows(&r.api_groups, group)
            && allows(&r.api_versions, version)
            && allows(&r.resources, &resource)
            && (r.operations.is_empty() || allows(&r.operations, "CREATE"))
    });
    if !matched && !binding.rules.is_empty() {
        return Err(ObjectError::NoAdmissionRule {
            binding: binding.name.clone(),
            resource,
            object: name_of(&object),
            api_version: api_version.to_string(),
            kind: kind.to_string(),
        });
    }
    let meta = object.get("metadata").cloned().unwrap_or(Value::Null);
    let field = |key: &str| meta.get(key).cloned().unwrap_or(json!(""));
    let kind_ref = json!({"group": group, "version": version, "kind": kind});
    let resource_ref = json!({"group": group, "version": version, "resource": resource});
    Ok(json!({
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {
            "uid": "00000000-0000-0000-0000-000000000000",
            "kind": kind_ref,
            "resource": resource_ref,
            "requestKind": kind_ref,
            "requestResource": resource_ref,
            "name": field("name"),
            "namespace": field("namespace"),
            "operation": "CREATE",
            "userInfo": {"username": "deckmod", "groups": ["system:authenticated"]},
            "object": object,
            "oldObject": null,
            "dryRun": false,
            "options": {"apiVersion": "meta.k8s.io/v1", "kind": "CreateOptions"}
        }
    }))
}

/// The ConversionReview a conversion binding's hook receives for
/// `objects`, with the conversion step it serves (`from`, `to`). A whole
/// review is taken as it is (its `desiredAPIVersion` picks the step);
/// objects must all be in a version one of the binding's steps converts from.
pub fn conversion_review(
    binding: &ConversionBinding,
    objects: Vec<Value>,
) -> Result<(Value, String, String), ObjectError> {
    let step_from = |from: &str, to: Option<&str>| {
        binding
            .conversions
            .iter()
            .find(|c| c.from_version == from && to.is_none_or(|t| c.to_version == t))
    };
    if let [review] = objects.as_slice()
        && review.get("kind").and_then(Value::as_str) == Some("ConversionReview")
    {
        let desired = review
            .pointer("/request/desiredAPIVersion")
            .and_then(Value::as_str);
        let from = review
            .pointer("/request/objects/0/apiVersion")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let (f, t) = match step_from(from, desired) {
            Some(c) => (c.from_version.clone(), c.to_version.clone()),
            None => (from.to_string(), desired.unwrap_or_default().to_string()),
        };
        return Ok((review.clone(), f, t));
    }
    let first = objects.first().ok_or(ObjectError::NoObjects)?;
    let (from, _) = type_of(first)?;
    let Some(step) = step_from(from, None) else {
        return Err(ObjectError::NoConversionStep {
            binding: binding.name.clone(),
            from_versions: binding
                .conversions
                .iter()
                .map(|c| c.from_version.clone())
                .collect(),
            object: name_of(first),
            api_version: from.to_string(),
        });
    };
    for o in &objects {
        let (v, kind) = type_of(o)?;
        if v != from {
            return Err(ObjectError::MixedVersions {
                object: name_of(o),
                api_version: v.to_string(),
                kind: kind.to_string(),
                expected: from.to_string(),
            });
        }
    }
    let review = json!({
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "ConversionReview",
        "request": {
            "uid": "00000000-0000-0000-0000-000000000000",
            "desiredAPIVersion": step.to_version,
            "objects": objects
        }
    });
    Ok((review, step.from_version.clone(), step.to_version.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn binding(kind: &str, api_version: Option<&str>) -> KubernetesBinding {
        let mut b = KubernetesBinding::with_kind("b", kind);
        b.api_version = api_version.map(str::to_string);
        b
    }

    #[test]
    fn kinds_match_by_any_name_in_any_case() {
        let deploy = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d", "namespace": "x"}});
        for name in [
            "Deployment",
            "deployment",
            "deployments",
            "DEPLOY",
            "deploy",
        ] {
            assert_eq!(
                check_object(&binding(name, None), &deploy),
                Ok(()),
                "{name}"
            );
        }
        let err = check_object(&binding("Pod", None), &deploy).unwrap_err();
        assert!(
            matches!(&err, ObjectError::NotWatched { watched, kind, .. } if watched == "v1 Pod" && kind == "Deployment"),
            "{err:?}"
        );
        let err = err.to_string();
        assert_eq!(
            err,
            "binding b watches v1 Pod; the object x/d is apps/v1 Deployment"
        );
        let err = check_object(&binding("deploy", Some("apps/v1beta2")), &deploy)
            .unwrap_err()
            .to_string();
        assert!(err.contains("watches apps/v1beta2 deploy"), "{err}");
        // A Deployment-named object of another group is not a Deployment.
        let other = json!({"apiVersion": "example.com/v1", "kind": "Deployment"});
        assert!(check_object(&binding("deploy", None), &other).is_err());
    }

    #[test]
    fn custom_kinds_match_by_kind_or_plural() {
        let w = json!({"apiVersion": "example.com/v1", "kind": "NetworkPolicy2"});
        assert!(check_object(&binding("networkpolicy2s", None), &w).is_ok());
        let p = json!({"apiVersion": "example.com/v1", "kind": "Policy"});
        assert!(check_object(&binding("policies", None), &p).is_ok());
        assert!(check_object(&binding("POLICY", None), &p).is_ok());
        assert!(check_object(&binding("widgets", None), &p).is_err());
        assert_eq!(plural_of("", "Endpoints"), "endpoints");
        assert_eq!(plural_of("example.com", "Ingress"), "ingresses");
        assert_eq!(plural_of("example.com", "Gateway"), "gateways");
    }

    #[test]
    fn objects_without_type_are_refused() {
        let err =
            check_object(&binding("Pod", None), &json!({"metadata": {"name": "a"}})).unwrap_err();
        assert_eq!(err, ObjectError::NoType);
        let err = err.to_string();
        assert!(err.contains("no apiVersion and kind"), "{err}");
    }
}
