//! YAML as Helm and Kubernetes read and write it.
//!
//! Helm reads YAML with Go's `yaml.v2` (through `sigs.k8s.io/yaml`): YAML 1.1
//! scalars (`yes`/`on` are booleans, `0777` is octal), merge keys (`<<`),
//! and numbers that become `float64` once they pass through JSON. This crate
//! loads YAML into [`serde_json::Value`] with those rules, keeping the source
//! position of every node so errors can name `file:line:col` ([`load`]), and
//! writes values back exactly as Helm's `toYaml` prints them ([`emit`]).

mod alias;
pub mod emit;
mod fast;
pub mod load;
mod scalar;

pub use emit::to_string;
pub use load::{
    Document, Error, Pos, Positions, from_str, from_str_head, from_str_multi,
    from_str_with_positions,
};

/// The loader's two paths alone, for the differential fuzz target
/// (`fuzz/`): not part of the API, present only with the `fuzzing` feature.
#[cfg(feature = "fuzzing")]
pub mod fuzzing {
    /// The fast path of [`crate::from_str`] alone: `None` when it leaves
    /// the text to the general loader.
    pub fn fast(src: &str) -> Option<serde_json::Value> {
        crate::fast::load(src)
    }

    /// The fast path of [`crate::from_str_head`] alone.
    pub fn fast_head(src: &str, keys: &[&str]) -> Option<serde_json::Value> {
        crate::fast::load_head(src, keys)
    }

    /// [`crate::from_str`] without its fast path.
    pub fn full(src: &str) -> Result<serde_json::Value, crate::Error> {
        crate::load::from_str_full(src)
    }
}

#[cfg(test)]
mod fast_agreement;
