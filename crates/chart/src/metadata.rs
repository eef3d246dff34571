//! `Chart.yaml` (and v1 `requirements.yaml`): the chart's metadata, read
//! as Helm reads it (`sigs.k8s.io/yaml` into Go structs: numbers and
//! booleans given for string fields become strings) and validated with
//! Helm's rules and messages.

use std::collections::BTreeMap;

use serde_json::Value as Json;

use crate::error::{LoadError, UnmarshalError, UnmarshalTarget};
use masterminds_semver::Version;

/// A rule of Helm's `Metadata.Validate` the metadata breaks (printed after
/// `validation: `).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MetadataError {
    /// No `apiVersion`.
    #[error("chart.metadata.apiVersion is required")]
    MissingApiVersion,
    /// No `name`.
    #[error("chart.metadata.name is required")]
    MissingName,
    /// A `name` with a `/`, or `.` or `..`.
    #[error("chart.metadata.name {} is invalid", gostd::strconv::quote(.name))]
    InvalidName {
        /// The name.
        name: String,
    },
    /// No `version`.
    #[error("chart.metadata.version is required")]
    MissingVersion,
    /// A `version` that is not a semantic version.
    #[error("chart.metadata.version {} is invalid", gostd::strconv::quote(.version))]
    InvalidVersion {
        /// The version.
        version: String,
    },
    /// A `type` other than `application` or `library`.
    #[error("chart.metadata.type must be application or library")]
    InvalidType {
        /// The type.
        chart_type: String,
    },
    /// A dependency's `alias` with characters other than letters, digits,
    /// `-` and `_`.
    #[error("dependency {} has disallowed characters in the alias", gostd::strconv::quote(.dependency))]
    InvalidAlias {
        /// The dependency's name.
        dependency: String,
        /// The alias.
        alias: String,
    },
    /// Two dependencies with the same name or alias.
    #[error("more than one dependency with name or alias {}", gostd::strconv::quote(.name))]
    DuplicateDependency {
        /// The name or alias.
        name: String,
    },
}

/// Chart API version of Helm 2 charts (`requirements.yaml` era).
pub const API_VERSION_V1: &str = "v1";
/// Chart API version of Helm 3 charts.
pub const API_VERSION_V2: &str = "v2";

/// A chart maintainer.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Maintainer {
    /// `name`.
    pub name: String,
    /// `email`.
    pub email: String,
    /// `url`.
    pub url: String,
}

/// One entry of `dependencies`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Dependency {
    /// `name`: the subchart's name (replaced by `alias` once resolved, as Helm does).
    pub name: String,
    /// `version`: a version constraint the subchart must satisfy.
    pub version: String,
    /// `repository`.
    pub repository: String,
    /// `condition`: comma-separated value paths; the first boolean found decides.
    pub condition: String,
    /// `tags`: names under `.Values.tags` that enable or disable the subchart.
    pub tags: Vec<String>,
    /// `enabled`: computed from condition and tags.
    pub enabled: bool,
    /// `import-values`: strings (`exports.X`) or `{child, parent}` maps.
    pub import_values: Vec<Json>,
    /// `alias`.
    pub alias: String,
}

/// `Chart.yaml`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Metadata {
    /// `name`.
    pub name: String,
    /// `home`.
    pub home: String,
    /// `sources`.
    pub sources: Vec<String>,
    /// `version`.
    pub version: String,
    /// `description`.
    pub description: String,
    /// `keywords`.
    pub keywords: Vec<String>,
    /// `maintainers`.
    pub maintainers: Vec<Maintainer>,
    /// `icon`.
    pub icon: String,
    /// `apiVersion`.
    pub api_version: String,
    /// `condition`.
    pub condition: String,
    /// `tags`.
    pub tags: String,
    /// `appVersion`.
    pub app_version: String,
    /// `deprecated`.
    pub deprecated: bool,
    /// `annotations`.
    pub annotations: BTreeMap<String, String>,
    /// `kubeVersion`: a constraint on the cluster version.
    pub kube_version: String,
    /// `dependencies` (`None` when the key is absent: Helm treats that apart from `[]`).
    pub dependencies: Option<Vec<Dependency>>,
    /// `type`: `application` (or empty) or `library`.
    pub chart_type: String,
}

impl Metadata {
    /// Whether this is a library chart (templates define helpers only).
    pub fn is_library(&self) -> bool {
        self.chart_type == "library"
    }

    /// Read the fields `doc` has into `self` (Go's unmarshal into an
    /// existing struct: `requirements.yaml` fills in `dependencies` only).
    pub fn merge_yaml(&mut self, doc: &Json, file: &str) -> Result<(), LoadError> {
        let Some(obj) = doc.as_object() else {
            if doc.is_null() {
                return Ok(());
            }
            return Err(unmarshal_error(file, "", doc, "chart.Metadata"));
        };
        for (key, value) in obj {
            let field =
                |v: &Json| go_string(v).ok_or_else(|| unmarshal_error(file, key, v, "string"));
            match key.as_str() {
                "name" => self.name = field(value)?,
                "home" => self.home = field(value)?,
                "version" => self.version = field(value)?,
                "description" => self.description = field(value)?,
                "icon" => self.icon = field(value)?,
                "apiVersion" => self.api_version = field(value)?,
                "condition" => self.condition = field(value)?,
                "tags" => self.tags = field(value)?,
                "appVersion" => self.app_version = field(value)?,
                "kubeVersion" => self.kube_version = field(value)?,
                "type" => self.chart_type = field(value)?,
                "sources" => self.sources = string_list(value, file, key)?,
                "keywords" => self.keywords = string_list(value, file, key)?,
                "deprecated" => {
                    self.deprecated = match value {
                        Json::Null => false,
                        Json::Bool(b) => *b,
                        other => return Err(unmarshal_error(file, key, other, "bool")),
                    }
                }
                "annotations" => {
                    self.annotations = match value {
                        Json::Null => BTreeMap::new(),
                        Json::Object(m) => m
                            .iter()
                            .map(|(k, v)| {
                                go_string(v)
                                    .map(|s| (k.clone(), s))
                                    .ok_or_else(|| unmarshal_error(file, key, v, "string"))
                            })
                            .collect::<Result<_, _>>()?,
                        other => {
                            return Err(unmarshal_error(file, key, other, "map[string]string"));
                        }
                    }
                }
                "maintainers" => {
                    self.maintainers = match value {
                        Json::Null => Vec::new(),
                        Json::Array(items) => items
                            .iter()
                            .map(|m| maintainer(m, file))
                            .collect::<Result<_, _>>()?,
                        other => {
                            return Err(unmarshal_error(file, key, other, "[]*chart.Maintainer"));
                        }
                    }
                }
                "dependencies" => {
                    self.dependencies = match value {
                        Json::Null => None,
                        Json::Array(items) => Some(
                            items
                                .iter()
                                .map(|d| dependency(d, file))
                                .collect::<Result<_, _>>()?,
                        ),
                        other => {
                            return Err(unmarshal_error(file, key, other, "[]*chart.Dependency"));
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Helm's `Metadata.Validate`: strip unprintable characters, then check
    /// required fields, the version, the type and dependency names.
    pub fn validate(&mut self) -> Result<(), MetadataError> {
        for s in [
            &mut self.name,
            &mut self.description,
            &mut self.home,
            &mut self.icon,
            &mut self.condition,
            &mut self.tags,
            &mut self.app_version,
            &mut self.kube_version,
        ] {
            *s = sanitize(s);
        }
        for s in self.sources.iter_mut().chain(self.keywords.iter_mut()) {
            *s = sanitize(s);
        }
        if self.api_version.is_empty() {
            return Err(MetadataError::MissingApiVersion);
        }
        if self.name.is_empty() {
            return Err(MetadataError::MissingName);
        }
        if self.name.contains('/') || self.name == "." || self.name == ".." {
            return Err(MetadataError::InvalidName {
                name: self.name.clone(),
            });
        }
        if self.version.is_empty() {
            return Err(MetadataError::MissingVersion);
        }
        if Version::parse(&self.version).is_err() {
            return Err(MetadataError::InvalidVersion {
                version: self.version.clone(),
            });
        }
        if !matches!(self.chart_type.as_str(), "" | "application" | "library") {
            return Err(MetadataError::InvalidType {
                chart_type: self.chart_type.clone(),
            });
        }
        for m in &mut self.maintainers {
            m.name = sanitize(&m.name);
            m.email = sanitize(&m.email);
            m.url = sanitize(&m.url);
        }
        let mut seen = std::collections::BTreeSet::new();
        for d in self.dependencies.iter_mut().flatten() {
            d.name = sanitize(&d.name);
            d.version = sanitize(&d.version);
            d.repository = sanitize(&d.repository);
            d.alias = sanitize(&d.alias);
            d.condition = sanitize(&d.condition);
            for t in &mut d.tags {
                *t = sanitize(t);
            }
            if !d.alias.is_empty() && !valid_alias(&d.alias) {
                return Err(MetadataError::InvalidAlias {
                    dependency: d.name.clone(),
                    alias: d.alias.clone(),
                });
            }
            let key = if d.alias.is_empty() {
                &d.name
            } else {
                &d.alias
            };
            if !seen.insert(key.clone()) {
                return Err(MetadataError::DuplicateDependency { name: key.clone() });
            }
        }
        Ok(())
    }
}

fn valid_alias(alias: &str) -> bool {
    alias
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Helm's `sanitizeString`: unprintable runes dropped, other spaces kept as-is.
fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_whitespace() { ' ' } else { c })
        .filter(|c| !c.is_control())
        .collect()
}

fn maintainer(v: &Json, file: &str) -> Result<Maintainer, LoadError> {
    let Some(obj) = v.as_object() else {
        if v.is_null() {
            return Ok(Maintainer::default());
        }
        return Err(unmarshal_error(file, "maintainers", v, "chart.Maintainer"));
    };
    let mut m = Maintainer::default();
    for (k, x) in obj {
        let s = || go_string(x).ok_or_else(|| unmarshal_error(file, k, x, "string"));
        match k.as_str() {
            "name" => m.name = s()?,
            "email" => m.email = s()?,
            "url" => m.url = s()?,
            _ => {}
        }
    }
    Ok(m)
}

fn dependency(v: &Json, file: &str) -> Result<Dependency, LoadError> {
    let Some(obj) = v.as_object() else {
        if v.is_null() {
            return Ok(Dependency::default());
        }
        return Err(unmarshal_error(file, "dependencies", v, "chart.Dependency"));
    };
    let mut d = Dependency::default();
    for (k, x) in obj {
        let s = || go_string(x).ok_or_else(|| unmarshal_error(file, k, x, "string"));
        match k.as_str() {
            "name" => d.name = s()?,
            "version" => d.version = s()?,
            "repository" => d.repository = s()?,
            "condition" => d.condition = s()?,
            "alias" => d.alias = s()?,
            "tags" => d.tags = string_list(x, file, k)?,
            "enabled" => {
                d.enabled = match x {
                    Json::Null => false,
                    Json::Bool(b) => *b,
                    other => return Err(unmarshal_error(file, k, other, "bool")),
                }
            }
            "import-values" => {
                d.import_values = match x {
                    Json::Null => Vec::new(),
                    Json::Array(a) => a.clone(),
                    other => return Err(unmarshal_error(file, k, other, "[]interface {}")),
                }
            }
            _ => {}
        }
    }
    Ok(d)
}

fn string_list(v: &Json, file: &str, key: &str) -> Result<Vec<String>, LoadError> {
    match v {
        Json::Null => Ok(Vec::new()),
        Json::Array(items) => items
            .iter()
            .map(|x| go_string(x).ok_or_else(|| unmarshal_error(file, key, x, "string")))
            .collect(),
        other => Err(unmarshal_error(file, key, other, "[]string")),
    }
}

/// What `sigs.k8s.io/yaml` stores in a Go string field: strings as they
/// are, integers and booleans formatted, floats as `%g` of a float32, null
/// as the empty string; `None` for lists and maps.
pub(crate) fn go_string(v: &Json) -> Option<String> {
    match v {
        Json::Null => Some(String::new()),
        Json::String(s) => Some(s.clone()),
        Json::Bool(b) => Some(b.to_string()),
        Json::Number(n) => Some(match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => i.to_string(),
            (None, Some(u)) => u.to_string(),
            _ => format_g32(n.as_f64().unwrap_or(0.0) as f32),
        }),
        _ => None,
    }
}

/// Go's `strconv.FormatFloat(f, 'g', -1, 32)`.
fn format_g32(f: f32) -> String {
    if f == 0.0 {
        return "0".into();
    }
    if !f.is_finite() {
        return if f.is_nan() {
            "NaN".into()
        } else if f > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        };
    }
    let sci = format!("{f:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if !(-4..6).contains(&exp) {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exp.abs())
    } else {
        format!("{f}")
    }
}

fn json_kind(v: &Json) -> &'static str {
    match v {
        Json::Null => "null",
        Json::Bool(_) => "bool",
        Json::Number(_) => "number",
        Json::String(_) => "string",
        Json::Array(_) => "array",
        Json::Object(_) => "object",
    }
}

fn unmarshal_error(file: &str, field: &str, found: &Json, go_type: &str) -> LoadError {
    let file = if file == "requirements.yaml" {
        "requirements.yaml"
    } else {
        "Chart.yaml"
    };
    LoadError::Unmarshal {
        file: file.into(),
        source: UnmarshalError {
            found: json_kind(found),
            into: if field.is_empty() {
                UnmarshalTarget::Struct
            } else {
                UnmarshalTarget::Field(format!(".{field}"))
            },
            go_type: go_type.into(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;

    fn load(text: &str) -> Result<Metadata, Error> {
        let mut m = Metadata::default();
        m.merge_yaml(&goyaml::from_str(text).unwrap(), "Chart.yaml")?;
        m.validate()?;
        Ok(m)
    }

    #[test]
    fn numbers_in_string_fields_become_strings() {
        let m = load("apiVersion: v2\nname: x\nversion: 1.0\nappVersion: 2\n").unwrap();
        assert_eq!(m.version, "1");
        assert_eq!(m.app_version, "2");
    }

    #[test]
    fn validation_messages_match_helm() {
        let err = |t| load(t).unwrap_err().to_string();
        assert_eq!(
            err("apiVersion: v2\nversion: 1.0.0\n"),
            "validation: chart.metadata.name is required"
        );
        assert_eq!(
            err("apiVersion: v2\nname: x\n"),
            "validation: chart.metadata.version is required"
        );
        assert_eq!(
            err("apiVersion: v2\nname: x\nversion: abc\n"),
            "validation: chart.metadata.version \"abc\" is invalid"
        );
        assert_eq!(
            err("apiVersion: v2\nname: x\nversion: 1.0.0\ntype: foo\n"),
            "validation: chart.metadata.type must be application or library"
        );
        assert_eq!(
            err(
                "apiVersion: v2\nname: x\nversion: 1.0.0\ndependencies:\n- name: a\n- name: b\n  alias: a\n"
            ),
            "validation: more than one dependency with name or alias \"a\""
        );
    }

    #[test]
    fn dependencies_absent_differs_from_empty() {
        let m = load("apiVersion: v2\nname: x\nversion: 1.0.0\n").unwrap();
        assert!(m.dependencies.is_none());
        let m = load("apiVersion: v2\nname: x\nversion: 1.0.0\ndependencies: []\n").unwrap();
        assert_eq!(m.dependencies, Some(vec![]));
    }

    #[test]
    fn float_formatting_is_go_g32() {
        assert_eq!(format_g32(1.5), "1.5");
        assert_eq!(format_g32(1e6), "1e+06");
        assert_eq!(format_g32(123456.0), "123456");
        assert_eq!(format_g32(0.0001), "0.0001");
        assert_eq!(format_g32(0.00001), "1e-05");
    }
}
