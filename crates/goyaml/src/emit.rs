//! Writing values as Helm's `toYaml` prints them (Go `yaml.v2` via `sigs.k8s.io/yaml`).

/// Serialize `value` as YAML, byte for byte as Helm's `toYaml` would
/// (before its trailing-newline trim).
pub fn to_string(value: &serde_json::Value) -> String {
    // Placeholder until the yaml.v2-compatible emitter lands: JSON is valid YAML.
    format!("{}\n", serde_json::to_string_pretty(value).unwrap_or_default())
}
