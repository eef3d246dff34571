//! Rendered files to ordered manifests, as Helm's `releaseutil` does:
//! split on `---`, read each document's head (kind, name, annotations),
//! separate hooks (`helm.sh/hook`), and sort by Helm's install order of
//! kinds (stable within a kind; files in path order).

use std::collections::BTreeMap;

use crate::error::{UnmarshalError, UnmarshalTarget, YamlError};

/// Kinds in the order Helm installs them (`releaseutil.InstallOrder`);
/// unknown kinds go last, alphabetically.
pub const INSTALL_ORDER: &[&str] = &[
    "PriorityClass",
    "Namespace",
    "NetworkPolicy",
    "ResourceQuota",
    "LimitRange",
    "PodSecurityPolicy",
    "PodDisruptionBudget",
    "ServiceAccount",
    "Secret",
    "SecretList",
    "ConfigMap",
    "StorageClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "CustomResourceDefinition",
    "ClusterRole",
    "ClusterRoleList",
    "ClusterRoleBinding",
    "ClusterRoleBindingList",
    "Role",
    "RoleList",
    "RoleBinding",
    "RoleBindingList",
    "Service",
    "DaemonSet",
    "Pod",
    "ReplicationController",
    "ReplicaSet",
    "Deployment",
    "HorizontalPodAutoscaler",
    "StatefulSet",
    "Job",
    "CronJob",
    "IngressClass",
    "Ingress",
    "APIService",
];

/// The hook events Helm knows (`helm.sh/hook` values).
const HOOK_EVENTS: &[&str] = &[
    "pre-install",
    "post-install",
    "pre-delete",
    "post-delete",
    "pre-upgrade",
    "post-upgrade",
    "pre-rollback",
    "post-rollback",
    "test",
    "test-success",
];

/// The annotation that makes a manifest a hook.
pub const HOOK_ANNOTATION: &str = "helm.sh/hook";
/// The annotation that orders hooks.
pub const HOOK_WEIGHT_ANNOTATION: &str = "helm.sh/hook-weight";

/// A plain (non-hook) manifest.
#[derive(Debug, Clone)]
pub struct Manifest {
    /// The template path it came from, e.g. `mychart/templates/svc.yaml`.
    pub name: String,
    /// The document text (trimmed).
    pub content: String,
    /// Its `kind`.
    pub kind: String,
}

/// A hook manifest.
#[derive(Debug, Clone)]
pub struct Hook {
    /// `metadata.name`.
    pub name: String,
    /// `kind`.
    pub kind: String,
    /// The template path it came from.
    pub path: String,
    /// The document text (trimmed).
    pub manifest: String,
    /// Events, lower-cased (`test-success` kept as written).
    pub events: Vec<String>,
    /// `helm.sh/hook-weight` (0 when absent or not an integer).
    pub weight: i64,
}

impl Hook {
    /// Whether it runs on `helm test`.
    pub fn is_test(&self) -> bool {
        self.events
            .iter()
            .any(|e| e == "test" || e == "test-success")
    }
}

/// Go's `\s`: ASCII space, tab, newline, form feed, carriage return.
fn is_go_space(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | b'\x0c' | b'\r' | b' ')
}

/// The leftmost match at or after `from` of Helm's separator regex
/// `(?:^|\s*\n)---\s*` (Go's `\s`), as byte offsets. A match starting at
/// `p` other than the text start is whitespace up to a newline directly
/// followed by `---`; the whitespace run before a newline cannot reach
/// back past an earlier `\n---`, so the first such newline gives the
/// leftmost start. Both `\s*` are greedy and nothing after the trailing one
/// constrains it.
fn find_separator(s: &[u8], from: usize) -> Option<(usize, usize)> {
    let skip_space = |mut i: usize| {
        while i < s.len() && is_go_space(s[i]) {
            i += 1;
        }
        i
    };
    if from == 0 && s.starts_with(b"---") {
        return Some((0, skip_space(3)));
    }
    let mut q = from;
    loop {
        q += s.get(q..)?.iter().position(|&b| b == b'\n')?;
        if s[q + 1..].starts_with(b"---") {
            break;
        }
        q += 1;
    }
    let mut p = q;
    while p > from && is_go_space(s[p - 1]) {
        p -= 1;
    }
    Some((p, skip_space(q + 4)))
}

/// Go's `regexp.Split(s, -1)` with the separator regex (drops an empty
/// first piece only when the first match is empty, keeps a trailing piece
/// unless a match ends the text). The separator never matches empty.
fn go_split(s: &str) -> Vec<&str> {
    if s.is_empty() {
        return vec![""];
    }
    let mut out = Vec::new();
    let (mut beg, mut end) = (0, 0);
    let mut at = 0;
    while let Some((start, stop)) = find_separator(s.as_bytes(), at) {
        end = start;
        out.push(&s[beg..end]);
        beg = stop;
        at = stop;
    }
    if end != s.len() {
        out.push(&s[beg..]);
    }
    out
}

/// Helm's `SplitManifests`: documents of a rendered file, in order,
/// trimmed, empty ones dropped.
pub fn split_manifests(text: &str) -> Vec<String> {
    go_split(text.trim())
        .into_iter()
        .filter(|d| !d.is_empty())
        .map(|d| d.trim().to_string())
        .collect()
}

/// The parts of a document's head Helm reads.
#[derive(Debug, Default)]
struct Head {
    kind: String,
    name: String,
    annotations: Option<BTreeMap<String, String>>,
}

fn json_type(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "bool",
        serde_json::Value::Number(_) => "number",
        serde_json::Value::String(_) => "string",
        serde_json::Value::Array(_) => "array",
        serde_json::Value::Object(_) => "object",
    }
}

fn head_string(v: Option<&serde_json::Value>, field: &str) -> Result<String, HeadError> {
    match v {
        None | Some(serde_json::Value::Null) => Ok(String::new()),
        // sigs.k8s.io/yaml turns scalars into strings for string fields.
        Some(
            v @ (serde_json::Value::String(_)
            | serde_json::Value::Bool(_)
            | serde_json::Value::Number(_)),
        ) => Ok(crate::metadata::go_string(v).unwrap_or_default()),
        Some(other) => Err(unmarshal(
            other,
            UnmarshalTarget::Field(field.into()),
            "string",
        )),
    }
}

/// A rendered manifest whose head (`apiVersion`, `kind`, `metadata`) does
/// not decode, so it cannot be sorted.
#[derive(Debug, Clone, thiserror::Error)]
#[error("YAML parse error on {path}: {source}")]
pub struct SortError {
    /// The template's path (`chart/templates/x.yaml`).
    pub path: String,
    /// Why the head does not decode.
    pub source: HeadError,
}

/// Why a manifest's head does not decode.
#[derive(Debug, Clone, thiserror::Error)]
pub enum HeadError {
    /// The document is not YAML.
    #[error("{0}")]
    Yaml(#[source] YamlError),
    /// A head field has the wrong shape.
    #[error("{0}")]
    Unmarshal(#[source] UnmarshalError),
}

fn unmarshal(found: &serde_json::Value, into: UnmarshalTarget, go_type: &str) -> HeadError {
    HeadError::Unmarshal(UnmarshalError {
        found: json_type(found),
        into,
        go_type: go_type.into(),
    })
}

fn parse_head(doc: &str) -> Result<Head, HeadError> {
    // Only the head is built; the rest of the document is still checked.
    let value = goyaml::from_str_head(doc, &["apiVersion", "kind", "metadata"])
        .map_err(|e| HeadError::Yaml(e.into()))?;
    let obj = match value {
        serde_json::Value::Object(o) => o,
        serde_json::Value::Null => return Ok(Head::default()),
        other => {
            return Err(unmarshal(
                &other,
                UnmarshalTarget::Value,
                "releaseutil.SimpleHead",
            ));
        }
    };
    let mut head = Head {
        kind: head_string(obj.get("kind"), "SimpleHead.kind")?,
        ..Default::default()
    };
    head_string(obj.get("apiVersion"), "SimpleHead.apiVersion")?;
    match obj.get("metadata") {
        None | Some(serde_json::Value::Null) => {}
        Some(serde_json::Value::Object(meta)) => {
            head.name = head_string(meta.get("name"), "SimpleHead.metadata.name")?;
            match meta.get("annotations") {
                None | Some(serde_json::Value::Null) => {}
                Some(serde_json::Value::Object(a)) => {
                    let mut annotations = BTreeMap::new();
                    for (k, v) in a {
                        annotations.insert(
                            k.clone(),
                            head_string(Some(v), "SimpleHead.metadata.annotations")?,
                        );
                    }
                    head.annotations = Some(annotations);
                }
                Some(other) => {
                    return Err(unmarshal(
                        other,
                        UnmarshalTarget::Field(".metadata.annotations".into()),
                        "map[string]string",
                    ));
                }
            }
        }
        Some(other) => {
            return Err(unmarshal(
                other,
                UnmarshalTarget::Field("SimpleHead.metadata".into()),
                "struct { Name string \"json:\\\"name\\\"\"; Annotations map[string]string \"json:\\\"annotations\\\"\" }",
            ));
        }
    }
    Ok(head)
}

/// Manifests and hooks of a render, each in Helm's order.
#[derive(Debug, Default)]
pub struct Sorted {
    /// Hooks, sorted by kind.
    pub hooks: Vec<Hook>,
    /// Plain manifests, sorted by kind.
    pub manifests: Vec<Manifest>,
    /// Informational messages Helm logs (unknown hook types).
    pub notices: Vec<String>,
}

/// Helm's `SortManifests` with `InstallOrder`: files visited in path
/// order, partials and blank files skipped, documents split, hooks separated.
pub fn sort_manifests(files: &BTreeMap<String, String>) -> Result<Sorted, SortError> {
    let mut out = Sorted::default();
    for (path, content) in files {
        let base = path.rsplit('/').next().unwrap_or(path);
        if base.starts_with('_') || content.trim().is_empty() {
            continue;
        }
        for doc in split_manifests(content) {
            let head = parse_head(&doc).map_err(|source| SortError {
                path: path.clone(),
                source,
            })?;
            let annotations = match &head.annotations {
                Some(a) if !a.is_empty() => a,
                _ => {
                    out.manifests.push(Manifest {
                        name: path.clone(),
                        content: doc,
                        kind: head.kind,
                    });
                    continue;
                }
            };
            let Some(hook_types) = annotations.get(HOOK_ANNOTATION) else {
                out.manifests.push(Manifest {
                    name: path.clone(),
                    content: doc,
                    kind: head.kind,
                });
                continue;
            };
            let mut events = Vec::new();
            let mut unknown = false;
            for t in hook_types.split(',') {
                let t = t.trim().to_lowercase();
                if !HOOK_EVENTS.contains(&t.as_str()) {
                    unknown = true;
                    break;
                }
                events.push(t);
            }
            if unknown {
                out.notices.push(format!(
                    "info: skipping unknown hook: {}",
                    gostd::strconv::quote(hook_types)
                ));
                continue;
            }
            let weight = annotations
                .get(HOOK_WEIGHT_ANNOTATION)
                .and_then(|w| gostd::strconv::atoi(w).ok())
                .unwrap_or(0);
            out.hooks.push(Hook {
                name: head.name,
                kind: head.kind,
                path: path.clone(),
                manifest: doc,
                events,
                weight,
            });
        }
    }
    out.manifests.sort_by(|a, b| kind_order(&a.kind, &b.kind));
    out.hooks.sort_by(|a, b| kind_order(&a.kind, &b.kind));
    Ok(out)
}

/// Helm's `lessByKind` as a stable ordering.
fn kind_order(a: &str, b: &str) -> std::cmp::Ordering {
    let pos = |k: &str| INSTALL_ORDER.iter().position(|x| *x == k);
    match (pos(a), pos(b)) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.cmp(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The separator as a regex with Go's ASCII `\s`, and Go's
    /// `regexp.Split` over it: the reference `find_separator` must agree with.
    fn regex_split(s: &str) -> Vec<&str> {
        let re = regex::Regex::new(r"(?:^|[\t\n\x0c\r ]*\n)---[\t\n\x0c\r ]*").unwrap();
        if s.is_empty() {
            return vec![""];
        }
        let mut out = Vec::new();
        let (mut beg, mut end) = (0, 0);
        for m in re.find_iter(s) {
            end = m.start();
            if m.end() != 0 {
                out.push(&s[beg..end]);
            }
            beg = m.end();
        }
        if end != s.len() {
            out.push(&s[beg..]);
        }
        out
    }

    #[test]
    fn separator_matcher_agrees_with_the_regex_on_random_inputs() {
        let parts = [
            "-", "--", "---", "\n", " ", "\t", "\r", "\x0c", "\x0b", "a", "#", "\u{a0}", "\n---",
        ];
        let mut rng = testkit::XorShift::new(0x2545_F491_4F6C_DD1D);
        let mut splits = 0;
        for _ in 0..100_000 {
            let text = rng.text(&parts, 11);
            let want = regex_split(&text);
            assert_eq!(go_split(&text), want, "{text:?}");
            splits += usize::from(want.len() > 1);
        }
        assert!(splits > 10_000, "{splits}");
    }

    #[test]
    fn separator_whitespace_is_go_ascii_space() {
        // Go's `\s` has no vertical tab and no Unicode spaces.
        assert_eq!(go_split("a\n---\x0bb"), ["a", "\x0bb"]);
        assert_eq!(go_split("a\u{a0}\n---\n\u{a0}b"), ["a\u{a0}", "\u{a0}b"]);
        assert_eq!(go_split("a\x0b\n--- b"), ["a\x0b", "b"]);
    }

    #[test]
    fn split_like_helm() {
        assert_eq!(split_manifests("a: 1\n---\nb: 2\n"), ["a: 1", "b: 2"]);
        // Go's regexp split leaves the second of two adjacent separators.
        assert_eq!(
            split_manifests("---\na: 1\n---\n\n---\nb: 2"),
            ["a: 1", "---\nb: 2"]
        );
        assert_eq!(
            split_manifests("a: 1\n--- # c\nb: 2"),
            ["a: 1", "# c\nb: 2"]
        );
        assert_eq!(
            split_manifests("a: |\n  x\n  ---\n  y"),
            ["a: |\n  x\n  ---\n  y"]
        );
        assert_eq!(split_manifests("a: |\n  x\n---\n  y"), ["a: |\n  x", "y"]);
        assert!(split_manifests("  \n").is_empty());
    }

    #[test]
    fn sorts_by_install_order_then_path() {
        let mut files = BTreeMap::new();
        files.insert(
            "c/templates/b.yaml".to_string(),
            "kind: Deployment\nmetadata: {name: d}\n---\nkind: Service\n".to_string(),
        );
        files.insert(
            "c/templates/a.yaml".to_string(),
            "kind: Zeta\n---\nkind: Alpha\n".to_string(),
        );
        files.insert(
            "c/templates/_h.tpl".to_string(),
            "kind: Namespace".to_string(),
        );
        files.insert(
            "c/templates/h.yaml".to_string(),
            "kind: Job\nmetadata:\n  annotations:\n    helm.sh/hook: Pre-Install, post-upgrade\n    helm.sh/hook-weight: \"-5\"\n".to_string(),
        );
        files.insert(
            "c/templates/u.yaml".to_string(),
            "kind: Job\nmetadata:\n  annotations:\n    helm.sh/hook: bogus\n".to_string(),
        );
        let s = sort_manifests(&files).unwrap();
        let kinds: Vec<&str> = s.manifests.iter().map(|m| m.kind.as_str()).collect();
        assert_eq!(kinds, ["Service", "Deployment", "Alpha", "Zeta"]);
        assert_eq!(s.hooks.len(), 1);
        assert_eq!(s.hooks[0].events, ["pre-install", "post-upgrade"]);
        assert_eq!(s.hooks[0].weight, -5);
        assert_eq!(s.notices, [r#"info: skipping unknown hook: "bogus""#]);
    }

    #[test]
    fn bad_yaml_names_the_file() {
        let mut files = BTreeMap::new();
        files.insert("c/templates/x.yaml".to_string(), "a: [".to_string());
        let err = sort_manifests(&files).unwrap_err().to_string();
        assert!(
            err.starts_with("YAML parse error on c/templates/x.yaml: "),
            "{err}"
        );
    }
}
