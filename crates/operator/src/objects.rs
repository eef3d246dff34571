//! Kubernetes objects of a release: parsed from rendered manifests, keyed
//! by identity, and compared between revisions to find what to prune.
//!
//! Pure: the scope of a kind (namespaced or not) comes from the caller,
//! which asks the API server's discovery.

use std::collections::BTreeSet;
use std::fmt;

use serde_json::Value;

/// The identity of an object in the cluster.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectKey {
    /// `apiVersion` (`v1`, `apps/v1`, ...).
    pub api_version: String,
    /// `kind`.
    pub kind: String,
    /// Namespace; `None` for cluster-scoped objects.
    pub namespace: Option<String>,
    /// `metadata.name`.
    pub name: String,
}

impl fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.namespace {
            Some(ns) => write!(
                f,
                "{} {}/{} ({})",
                self.kind, ns, self.name, self.api_version
            ),
            None => write!(f, "{} {} ({})", self.kind, self.name, self.api_version),
        }
    }
}

/// An object from a manifest, with the template it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct Object {
    /// The template path (`echo/templates/cm.yaml`).
    pub source: String,
    /// The object as JSON.
    pub value: Value,
}

/// A manifest document that is no Kubernetes object.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{source_path}: {message}")]
pub struct ObjectError {
    /// The template path.
    pub source_path: String,
    /// What is wrong.
    pub message: String,
}

impl Object {
    /// `apiVersion`, `kind` and name, and the namespace the object names
    /// (before defaulting).
    fn parts(&self) -> (&str, &str, &str, Option<&str>) {
        let s = |p: &str| self.value.pointer(p).and_then(Value::as_str);
        (
            s("/apiVersion").unwrap_or_default(),
            s("/kind").unwrap_or_default(),
            s("/metadata/name").unwrap_or_default(),
            s("/metadata/namespace").filter(|n| !n.is_empty()),
        )
    }

    /// `apiVersion` and `kind`.
    pub fn type_meta(&self) -> (&str, &str) {
        let (a, k, _, _) = self.parts();
        (a, k)
    }

    /// The object's key once its scope is known: a namespaced object
    /// without a namespace lives in `default_namespace`; a cluster-scoped
    /// one has none, whatever it says.
    pub fn key(&self, namespaced: bool, default_namespace: &str) -> ObjectKey {
        let (api_version, kind, name, ns) = self.parts();
        ObjectKey {
            api_version: api_version.into(),
            kind: kind.into(),
            namespace: namespaced.then(|| ns.unwrap_or(default_namespace).to_string()),
            name: name.into(),
        }
    }

    /// Whether Helm must leave the object in place when the release stops
    /// rendering it (`helm.sh/resource-policy: keep`).
    pub fn keep_on_delete(&self) -> bool {
        self.value
            .pointer("/metadata/annotations/helm.sh~1resource-policy")
            .and_then(Value::as_str)
            == Some("keep")
    }
}

/// Fill in `protocol: TCP` where Kubernetes defaults it on port lists (a
/// Service's `spec.ports`, containers' `ports`): server-side apply keys
/// these lists by (port, protocol), and API servers before 1.25 refuse an
/// element without the key ("associative list with keys has an element
/// that omits key field protocol") where Helm's client-side patch goes
/// through. Setting the default changes nothing the object means.
pub fn default_port_protocols(object: &mut Value) {
    fn fill(ports: Option<&mut Value>) {
        if let Some(Value::Array(ports)) = ports {
            for p in ports.iter_mut().filter_map(Value::as_object_mut) {
                p.entry("protocol")
                    .or_insert_with(|| Value::String("TCP".into()));
            }
        }
    }
    fn pod_spec(spec: Option<&mut Value>) {
        let Some(spec) = spec else { return };
        for list in ["containers", "initContainers", "ephemeralContainers"] {
            if let Some(Value::Array(cs)) = spec.get_mut(list) {
                for c in cs {
                    fill(c.get_mut("ports"));
                }
            }
        }
    }
    let kind = object
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    match kind.as_str() {
        "Service" => fill(object.pointer_mut("/spec/ports")),
        "Pod" => pod_spec(object.get_mut("spec")),
        "CronJob" => pod_spec(object.pointer_mut("/spec/jobTemplate/spec/template/spec")),
        _ => pod_spec(object.pointer_mut("/spec/template/spec")),
    }
}

/// The objects of a stored release manifest (`---\n# Source: PATH\n...`).
pub fn parse_manifest(text: &str) -> Result<Vec<Object>, ObjectError> {
    let mut out = Vec::new();
    for doc in chart::manifest::split_manifests(text) {
        let source = doc
            .lines()
            .find_map(|l| l.strip_prefix("# Source: "))
            .unwrap_or("manifest")
            .to_string();
        out.extend(parse_document(&source, &doc)?);
    }
    Ok(out)
}

/// The objects of one rendered document: none for an empty document,
/// the items of a `List`.
pub fn parse_document(source: &str, text: &str) -> Result<Vec<Object>, ObjectError> {
    let err = |message: String| ObjectError {
        source_path: source.to_string(),
        message,
    };
    let value = goyaml::from_str(text).map_err(|e| {
        err(match e.pos {
            Some(p) => format!("line {}, column {}: {}", p.line, p.col, e.message),
            None => e.message,
        })
    })?;
    let value = match value {
        Value::Null => return Ok(Vec::new()),
        Value::Object(_) => value,
        _ => return Err(err("a manifest must be a mapping".into())),
    };
    let kind = value
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if kind.ends_with("List")
        && let Some(Value::Array(items)) = value.get("items")
    {
        let mut out = Vec::new();
        for item in items {
            out.extend(parse_document(
                source,
                &serde_json::to_string(item).unwrap_or_default(),
            )?);
        }
        return Ok(out);
    }
    let object = Object {
        source: source.to_string(),
        value,
    };
    let (api_version, kind, name, _) = object.parts();
    if api_version.is_empty() || kind.is_empty() {
        return Err(err("the object has no apiVersion or kind".into()));
    }
    if name.is_empty() {
        return Err(err(format!("the {kind} has no metadata.name")));
    }
    Ok(vec![object])
}

/// The keys of `previous` that `current` no longer has and that Helm
/// would delete on upgrade (not marked `keep`), in reverse install order.
pub fn to_prune(previous: &[(ObjectKey, bool)], current: &BTreeSet<ObjectKey>) -> Vec<ObjectKey> {
    previous
        .iter()
        .rev()
        .filter(|(k, keep)| !*keep && !current.contains(k))
        .map(|(k, _)| k.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_become_objects_with_their_source() {
        let text = "---\n# Source: m/templates/a.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\n# Source: m/templates/b.yaml\n# only a comment\n";
        let objs = parse_manifest(text).unwrap();
        assert_eq!(objs.len(), 1);
        assert_eq!(objs[0].source, "m/templates/a.yaml");
        let key = objs[0].key(true, "ns");
        assert_eq!(key.namespace.as_deref(), Some("ns"));
        assert_eq!(objs[0].key(false, "ns").namespace, None);
    }

    #[test]
    fn lists_are_flattened_and_bad_objects_named() {
        let list = "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Secret, metadata: {name: s}}\n";
        assert_eq!(parse_document("t", list).unwrap().len(), 1);
        let e = parse_document("m/templates/x.yaml", "kind: ConfigMap\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "m/templates/x.yaml: the object has no apiVersion or kind"
        );
        let e = parse_document("m/templates/y.yaml", "a: [\n").unwrap_err();
        assert!(
            e.to_string().starts_with("m/templates/y.yaml: line "),
            "{e}"
        );
    }

    #[test]
    fn port_protocols_get_their_default() {
        let mut svc = serde_json::json!({"kind": "Service", "spec": {"ports": [{"port": 80}, {"port": 53, "protocol": "UDP"}]}});
        default_port_protocols(&mut svc);
        assert_eq!(svc["spec"]["ports"][0]["protocol"], "TCP");
        assert_eq!(svc["spec"]["ports"][1]["protocol"], "UDP");
        let mut deploy = serde_json::json!({"kind": "Deployment", "spec": {"template": {"spec": {"containers": [{"name": "a", "ports": [{"containerPort": 1}]}]}}}});
        default_port_protocols(&mut deploy);
        assert_eq!(
            deploy["spec"]["template"]["spec"]["containers"][0]["ports"][0]["protocol"],
            "TCP"
        );
        let mut cm = serde_json::json!({"kind": "ConfigMap", "data": {"ports": "x"}});
        let before = cm.clone();
        default_port_protocols(&mut cm);
        assert_eq!(cm, before);
    }

    #[test]
    fn prune_takes_what_is_gone_unless_kept() {
        let k = |n: &str| ObjectKey {
            api_version: "v1".into(),
            kind: "ConfigMap".into(),
            namespace: Some("x".into()),
            name: n.into(),
        };
        let previous = vec![(k("a"), false), (k("b"), false), (k("c"), true)];
        let current = BTreeSet::from([k("a")]);
        assert_eq!(to_prune(&previous, &current), vec![k("b")]);
    }
}
