//! YAML as Helm and Kubernetes read and write it.
//!
//! Helm reads YAML with Go's `yaml.v2` (through `sigs.k8s.io/yaml`): YAML 1.1
//! scalars (`yes`/`on` are booleans, `0777` is octal), merge keys (`<<`),
//! and numbers that become `float64` once they pass through JSON. This crate
//! loads YAML into [`serde_json::Value`] with those rules, keeping the source
//! position of every node so errors can name `file:line:col` ([`load`]), and
//! writes values back exactly as Helm's `toYaml` prints them ([`emit`]).

pub mod emit;
mod fast;
pub mod load;

pub use emit::to_string;
pub use load::{
    Document, Error, Pos, Positions, from_str, from_str_head, from_str_multi,
    from_str_with_positions,
};

/// The fast path of [`from_str`] alone: `None` when it leaves the text to
/// the general loader. Public only for the differential fuzz target.
#[doc(hidden)]
pub fn from_str_fast(src: &str) -> Option<serde_json::Value> {
    fast::load(src)
}

/// The fast path of [`from_str_head`] alone. Public only for the
/// differential fuzz target.
#[doc(hidden)]
pub fn from_str_head_fast(src: &str, keys: &[&str]) -> Option<serde_json::Value> {
    fast::load_head(src, keys)
}
