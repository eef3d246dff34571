//! The `global` values a DKP cluster gives every module, for rendering and
//! `deckmod values` without a cluster. Documented defaults, overridable by
//! the user (`-f` files holding a `global:` key).

use serde_json::Value;

/// The default global values (`crates/module/src/dkp_globals.yaml`).
pub const DEFAULT_GLOBALS_YAML: &str = include_str!("dkp_globals.yaml");

/// The default `global` object.
pub fn default_globals() -> Value {
    goyaml::from_str(DEFAULT_GLOBALS_YAML)
        .ok()
        .and_then(|v| v.get("global").cloned())
        .unwrap_or_else(|| Value::Object(Default::default()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn defaults_parse_and_carry_the_cluster_facts_templates_read() {
        let g = super::default_globals();
        assert!(g.pointer("/discovery/kubernetesVersion").is_some());
        assert!(g.pointer("/modules/publicDomainTemplate").is_some());
        assert!(g.pointer("/enabledModules").is_some_and(|v| v.is_array()));
    }
}
