//! The host objects of Helm's render context: `.Chart` (Go field names of
//! `chart.Metadata` plus `IsRoot`) and `.Capabilities` (`KubeVersion`,
//! `APIVersions.Has`, `HelmVersion`).

use std::rc::Rc;

use gotmpl::{Map, Object, Value};

use crate::metadata::Metadata;
use masterminds_semver::Version;

/// The Kubernetes version `helm template` assumes without `--kube-version`:
/// Helm 3.17.2 is built against client-go 1.32, so `v1.32.0` (verified with
/// the real binary; older Helm releases defaulted to `v1.20.0`).
pub const DEFAULT_KUBE_VERSION: &str = "v1.32.0";

/// The Helm release deckmod renders like (`.Capabilities.HelmVersion`).
pub const HELM_VERSION: &str = "v3.17.2";
const HELM_GIT_COMMIT: &str = "cc0bbbd6d6276b83880042c1ecb34087e84d41eb";
const HELM_GO_VERSION: &str = "go1.23.7";

/// Group/versions Helm 3.17.2 reports as available without a cluster
/// (`chartutil.DefaultVersionSet`), one per line, in Helm's order.
const DEFAULT_API_VERSIONS: &str = include_str!("default_api_versions.txt");

/// What the cluster offers, as templates see it.
#[derive(Debug, Clone)]
pub struct Capabilities {
    /// The Kubernetes version (`--kube-version`).
    pub kube: KubeVersion,
    /// Default group/versions plus `-a/--api-versions`.
    pub api_versions: Vec<String>,
}

/// A parsed Kubernetes version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KubeVersion {
    /// `v` + the semantic version, e.g. `v1.25.3`.
    pub version: String,
    /// Major number as text.
    pub major: String,
    /// Minor number as text.
    pub minor: String,
}

/// A Kubernetes version that is not a (lenient) semantic version.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid kube version '{version}': Invalid Semantic Version")]
pub struct KubeVersionError {
    /// The version as given.
    pub version: String,
}

impl KubeVersion {
    /// Parse as Helm's `ParseKubeVersion` (lenient semver: `1.25` → `v1.25.0`).
    pub fn parse(text: &str) -> Result<KubeVersion, KubeVersionError> {
        let v = Version::parse(text).map_err(|_| KubeVersionError {
            version: text.to_string(),
        })?;
        Ok(KubeVersion {
            version: format!("v{v}"),
            major: v.major.to_string(),
            minor: v.minor.to_string(),
        })
    }
}

impl Default for Capabilities {
    fn default() -> Self {
        Capabilities {
            kube: KubeVersion::parse(DEFAULT_KUBE_VERSION).expect("constant version parses"),
            api_versions: DEFAULT_API_VERSIONS.lines().map(str::to_string).collect(),
        }
    }
}

impl Capabilities {
    /// The template object.
    pub fn to_value(&self) -> Value {
        Value::Object(Rc::new(CapabilitiesObject {
            kube: Value::Object(Rc::new(self.kube.clone())),
            apis: Value::Object(Rc::new(VersionSet(Rc::new(self.api_versions.clone())))),
        }))
    }
}

#[derive(Debug)]
struct CapabilitiesObject {
    kube: Value,
    apis: Value,
}

impl Object for CapabilitiesObject {
    fn type_name(&self) -> &str {
        "*chartutil.Capabilities"
    }
    fn field(&self, name: &str) -> Option<Value> {
        match name {
            "KubeVersion" => Some(self.kube.clone()),
            "APIVersions" => Some(self.apis.clone()),
            "HelmVersion" => Some(Value::Object(Rc::new(HelmVersion))),
            _ => None,
        }
    }
    fn to_data(&self) -> Option<Value> {
        let mut m = Map::new();
        m.insert("KubeVersion".into(), data_of(&self.kube));
        m.insert("APIVersions".into(), data_of(&self.apis));
        m.insert(
            "HelmVersion".into(),
            data_of(&Value::Object(Rc::new(HelmVersion))),
        );
        Some(Value::map(m))
    }
}

fn data_of(v: &Value) -> Value {
    match v {
        Value::Object(o) => o.serialized().unwrap_or(Value::Nil),
        other => other.clone(),
    }
}

impl Object for KubeVersion {
    fn type_name(&self) -> &str {
        "chartutil.KubeVersion"
    }
    fn field(&self, name: &str) -> Option<Value> {
        match name {
            "Version" | "GitVersion" | "String" => Some(Value::str(&self.version)),
            "Major" => Some(Value::str(&self.major)),
            "Minor" => Some(Value::str(&self.minor)),
            _ => None,
        }
    }
    fn fmt_go(&self) -> String {
        self.version.clone()
    }
    /// Prints as its version (Go's `String()`), serializes as its fields.
    fn serialized(&self) -> Option<Value> {
        let mut m = Map::new();
        m.insert("Version".into(), Value::str(&self.version));
        m.insert("Major".into(), Value::str(&self.major));
        m.insert("Minor".into(), Value::str(&self.minor));
        Some(Value::map(m))
    }
}

/// `chartutil.VersionSet`: a list of group/versions with `Has`.
#[derive(Debug)]
struct VersionSet(Rc<Vec<String>>);

impl Object for VersionSet {
    fn type_name(&self) -> &str {
        "chartutil.VersionSet"
    }
    fn field(&self, _name: &str) -> Option<Value> {
        None
    }
    fn call(&self, name: &str, args: &[Value]) -> Option<Result<Value, String>> {
        if name != "Has" {
            return None;
        }
        Some(match args {
            [Value::String(s)] => Ok(Value::Bool(self.0.iter().any(|x| x.as_str() == &**s))),
            [other] => Err(format!(
                "wrong type for value; expected string; got {}",
                gotmpl::fmt::type_name(other)
            )),
            _ => Err(format!(
                "wrong number of args for Has: want 1 got {}",
                args.len()
            )),
        })
    }
    fn to_data(&self) -> Option<Value> {
        Some(Value::list(self.0.iter().map(Value::str).collect()))
    }
    fn fmt_go(&self) -> String {
        format!("[{}]", self.0.join(" "))
    }
    fn truthy(&self) -> bool {
        !self.0.is_empty()
    }
}

#[derive(Debug)]
struct HelmVersion;

impl Object for HelmVersion {
    fn type_name(&self) -> &str {
        "version.BuildInfo"
    }
    fn field(&self, name: &str) -> Option<Value> {
        match name {
            "Version" => Some(Value::str(HELM_VERSION)),
            "GitCommit" => Some(Value::str(HELM_GIT_COMMIT)),
            "GitTreeState" => Some(Value::str("clean")),
            "GoVersion" => Some(Value::str(HELM_GO_VERSION)),
            _ => None,
        }
    }
    fn to_data(&self) -> Option<Value> {
        let mut m = Map::new();
        m.insert("version".into(), Value::str(HELM_VERSION));
        m.insert("git_commit".into(), Value::str(HELM_GIT_COMMIT));
        m.insert("git_tree_state".into(), Value::str("clean"));
        m.insert("go_version".into(), Value::str(HELM_GO_VERSION));
        Some(Value::map(m))
    }
    fn fmt_go(&self) -> String {
        format!("{{{HELM_VERSION} {HELM_GIT_COMMIT} clean {HELM_GO_VERSION}}}")
    }
}

/// `.Chart`: the chart's metadata with Go field names, plus `IsRoot`.
#[derive(Debug)]
pub struct ChartObject {
    meta: Metadata,
    is_root: bool,
}

impl ChartObject {
    /// The template object for `meta`.
    pub fn value(meta: &Metadata, is_root: bool) -> Value {
        Value::Object(Rc::new(ChartObject {
            meta: meta.clone(),
            is_root,
        }))
    }
}

fn strings(v: &[String]) -> Value {
    Value::list(v.iter().map(Value::str).collect())
}

impl ChartObject {
    fn maintainers(&self) -> Value {
        Value::list(
            self.meta
                .maintainers
                .iter()
                .map(|m| {
                    let mut x = Map::new();
                    x.insert("Name".into(), Value::str(&m.name));
                    x.insert("Email".into(), Value::str(&m.email));
                    x.insert("URL".into(), Value::str(&m.url));
                    Value::map(x)
                })
                .collect(),
        )
    }

    fn dependencies(&self) -> Value {
        Value::list(
            self.meta
                .dependencies
                .iter()
                .flatten()
                .map(|d| {
                    let mut x = Map::new();
                    x.insert("Name".into(), Value::str(&d.name));
                    x.insert("Version".into(), Value::str(&d.version));
                    x.insert("Repository".into(), Value::str(&d.repository));
                    x.insert("Condition".into(), Value::str(&d.condition));
                    x.insert("Tags".into(), strings(&d.tags));
                    x.insert("Enabled".into(), Value::Bool(d.enabled));
                    x.insert(
                        "ImportValues".into(),
                        Value::list(d.import_values.iter().map(Value::from_json).collect()),
                    );
                    x.insert("Alias".into(), Value::str(&d.alias));
                    Value::map(x)
                })
                .collect(),
        )
    }
}

impl Object for ChartObject {
    fn type_name(&self) -> &str {
        "struct { chart.Metadata; IsRoot bool }"
    }
    fn field(&self, name: &str) -> Option<Value> {
        let m = &self.meta;
        Some(match name {
            "Name" => Value::str(&m.name),
            "Home" => Value::str(&m.home),
            "Sources" => strings(&m.sources),
            "Version" => Value::str(&m.version),
            "Description" => Value::str(&m.description),
            "Keywords" => strings(&m.keywords),
            "Maintainers" => self.maintainers(),
            "Icon" => Value::str(&m.icon),
            "APIVersion" => Value::str(&m.api_version),
            "Condition" => Value::str(&m.condition),
            "Tags" => Value::str(&m.tags),
            "AppVersion" => Value::str(&m.app_version),
            "Deprecated" => Value::Bool(m.deprecated),
            "Annotations" => Value::map(
                m.annotations
                    .iter()
                    .map(|(k, v)| (k.clone(), Value::str(v)))
                    .collect(),
            ),
            "KubeVersion" => Value::str(&m.kube_version),
            "Dependencies" => self.dependencies(),
            "Type" => Value::str(&m.chart_type),
            "IsRoot" => Value::Bool(self.is_root),
            _ => return None,
        })
    }
    fn to_data(&self) -> Option<Value> {
        let m = &self.meta;
        let mut x = Map::new();
        let mut put = |k: &str, v: Value| {
            if v.truthy() {
                x.insert(k.into(), v);
            }
        };
        put("name", Value::str(&m.name));
        put("home", Value::str(&m.home));
        put("sources", strings(&m.sources));
        put("version", Value::str(&m.version));
        put("description", Value::str(&m.description));
        put("keywords", strings(&m.keywords));
        put(
            "maintainers",
            Value::list(
                m.maintainers
                    .iter()
                    .map(|mt| {
                        let mut y = Map::new();
                        for (k, v) in [("name", &mt.name), ("email", &mt.email), ("url", &mt.url)] {
                            if !v.is_empty() {
                                y.insert(k.into(), Value::str(v));
                            }
                        }
                        Value::map(y)
                    })
                    .collect(),
            ),
        );
        put("icon", Value::str(&m.icon));
        put("apiVersion", Value::str(&m.api_version));
        put("condition", Value::str(&m.condition));
        put("tags", Value::str(&m.tags));
        put("appVersion", Value::str(&m.app_version));
        put("deprecated", Value::Bool(m.deprecated));
        put(
            "annotations",
            Value::map(
                m.annotations
                    .iter()
                    .map(|(k, v)| (k.clone(), Value::str(v)))
                    .collect(),
            ),
        );
        put("kubeVersion", Value::str(&m.kube_version));
        put("type", Value::str(&m.chart_type));
        x.insert("IsRoot".into(), Value::Bool(self.is_root));
        Some(Value::map(x))
    }
    fn fmt_go(&self) -> String {
        let m = &self.meta;
        let list = |v: &[String]| format!("[{}]", v.join(" "));
        let ann: Vec<String> = m
            .annotations
            .iter()
            .map(|(k, v)| format!("{k}:{v}"))
            .collect();
        format!(
            "{{{{{} {} {} {} {} {} [{}] {} {} {} {} {} {} map[{}] {} [{}] {}}} {}}}",
            m.name,
            m.home,
            list(&m.sources),
            m.version,
            m.description,
            list(&m.keywords),
            vec!["0xc000000000"; m.maintainers.len()].join(" "),
            m.icon,
            m.api_version,
            m.condition,
            m.tags,
            m.app_version,
            m.deprecated,
            ann.join(" "),
            m.kube_version,
            vec!["0xc000000000"; m.dependencies.as_ref().map_or(0, Vec::len)].join(" "),
            m.chart_type,
            self.is_root
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kube_version_parsing_matches_helm() {
        let k = KubeVersion::parse("1.25").unwrap();
        assert_eq!(
            (k.version.as_str(), k.major.as_str(), k.minor.as_str()),
            ("v1.25.0", "1", "25")
        );
        assert_eq!(
            KubeVersion::parse("v1.25.3-gke.100").unwrap().version,
            "v1.25.3-gke.100"
        );
        assert!(KubeVersion::parse("banana").is_err());
    }

    #[test]
    fn default_capabilities() {
        let c = Capabilities::default();
        assert_eq!(c.kube.version, DEFAULT_KUBE_VERSION);
        assert_eq!(c.api_versions.first().map(String::as_str), Some("v1"));
        assert!(c.api_versions.iter().any(|a| a == "apps/v1"));
    }

    #[test]
    fn chart_object_go_struct_print() {
        let meta = Metadata {
            name: "caps".into(),
            version: "0.1.0".into(),
            api_version: "v2".into(),
            ..Default::default()
        };
        let o = ChartObject {
            meta,
            is_root: true,
        };
        assert_eq!(
            o.fmt_go(),
            "{{caps  [] 0.1.0  [] []  v2    false map[]  [] } true}"
        );
    }
}
