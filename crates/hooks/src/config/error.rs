//! Config errors: always name the hook, the binding and the JSON pointer.

use std::fmt;

/// A hook printed a config that cannot be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    /// Hook name (path relative to the hooks root).
    pub hook: String,
    /// The binding the problem is in (`kubernetes[0] "pods"`), if any.
    pub binding: Option<String>,
    /// JSON pointer into the printed config (`/kubernetes/0/jqFilter`).
    pub pointer: String,
    /// What was wrong.
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "hook {}: invalid config", self.hook)?;
        if let Some(binding) = &self.binding {
            write!(f, ", binding {binding}")?;
        }
        if !self.pointer.is_empty() {
            write!(f, ", at {}", self.pointer)?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for ConfigError {}

/// Escape one JSON pointer token (RFC 6901).
pub fn escape_token(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// Turn a serde_path_to_error path into a JSON pointer.
pub fn pointer_of(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => out.push_str(&format!("/{index}")),
            Segment::Map { key } => {
                out.push('/');
                out.push_str(&escape_token(key));
            }
            Segment::Enum { variant } => {
                out.push('/');
                out.push_str(&escape_token(variant));
            }
            Segment::Unknown => out.push_str("/?"),
        }
    }
    out
}

/// Describe the binding a pointer lies in, using the raw config to find
/// the binding's `name`: `/kubernetes/0/kind` → `kubernetes[0] "pods"`,
/// `/onStartup` → `onStartup`. `None` for top-level keys that are not
/// bindings.
pub fn binding_of(pointer: &str, raw: &serde_json::Value) -> Option<String> {
    let mut parts = pointer.trim_start_matches('/').split('/');
    let section = parts.next()?;
    match section {
        "schedule"
        | "kubernetes"
        | "kubernetesValidating"
        | "kubernetesMutating"
        | "kubernetesCustomResourceConversion"
        | "onKubernetesEvent" => {
            let Some(index) = parts.next() else {
                return Some(section.to_string());
            };
            let name = raw
                .get(section)
                .and_then(|list| list.get(index.parse::<usize>().ok()?))
                .and_then(|b| b.get("name"))
                .and_then(|n| n.as_str());
            Some(match name {
                Some(n) => format!("{section}[{index}] {n:?}"),
                None => format!("{section}[{index}]"),
            })
        }
        "onStartup" | "beforeAll" | "afterAll" | "beforeHelm" | "afterHelm"
        | "beforeDeleteHelm" | "afterDeleteHelm" => Some(section.to_string()),
        _ => None,
    }
}
