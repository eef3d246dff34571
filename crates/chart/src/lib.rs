//! Helm v3 charts: loading, values coalescing, Helm's template functions
//! and rendering to manifests exactly as `helm template` does.

pub mod chart;
pub mod error;
pub mod ignore;
pub mod loader;
pub mod metadata;
pub mod pathmatch;
pub mod semver;
pub mod strvals;

pub use chart::{Chart, File};
pub use error::Error;
