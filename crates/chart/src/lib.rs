//! Helm v3 charts: loading, values coalescing, Helm's template functions
//! and rendering to manifests exactly as `helm template` does.
//!
//! ```no_run
//! use chart::{PrintOptions, RenderOptions, ValueOptions};
//!
//! let chart = chart::load(std::path::Path::new("mychart")).unwrap();
//! let values = ValueOptions { values: vec!["replicas=2".into()], ..Default::default() }
//!     .merge()
//!     .unwrap();
//! let (text, _warnings) =
//!     chart::template(&chart, &values, &RenderOptions::default(), &PrintOptions::default()).unwrap();
//! print!("{text}");
//! ```

pub mod action;
pub mod chart;
mod chart_dir;
mod coalesce;
mod dependencies;
mod engine;
pub mod error;
pub mod files;
pub mod funcs;
pub mod ignore;
pub mod loader;
pub mod manifest;
pub mod metadata;
mod node;
pub mod objects;
pub mod pathmatch;
pub mod print;
mod schema;
pub mod semver;
pub mod strvals;
pub mod toml;
pub mod user_values;

pub use action::{RenderOptions, Rendered, Scratch, render, render_keeping_scratch, template};
pub use chart::{Chart, File};
pub use error::{
    DependencyError, Error, LoadError, OptionsError, TemplateCause, TemplateError, UnmarshalError,
    UnmarshalTarget, UnsafeEntry, YamlError,
};
pub use ignore::IgnoreError;
pub use loader::load;
pub use manifest::{HeadError, SortError};
pub use metadata::MetadataError;
pub use objects::DEFAULT_KUBE_VERSION;
pub use objects::KubeVersionError;
pub use print::{OutputDir, PrintEffects, PrintError, PrintOptions, print, print_with};
pub use schema::{ChartSchemaError, SchemaError, SchemaProblem, Violation};
pub use user_values::{SetFlag, ValueOptions, ValuesError};
