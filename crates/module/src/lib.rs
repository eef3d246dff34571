//! The DKP module model: `module.yaml`, OpenAPI schemas, values layers and
//! validation, and the module linter.
//!
//! ```no_run
//! let module = module::Module::load(std::path::Path::new("examples/modules/echo-server")).unwrap();
//! let values = module.template_values(&serde_json::json!({"replicas": 2}), None, None, true).unwrap();
//! assert_eq!(values["echoServer"]["replicas"], 2);
//! ```

// A `Finding` is the error of every file check: a cold path where boxing
// would only add noise.
#![allow(clippy::result_large_err)]

pub mod definition;
pub mod diagnostic;
pub mod globals;
pub mod hook_values;
pub mod lint;
pub mod module;
pub mod name;
pub mod render;
pub mod scaffold;
pub mod schema;
pub mod settings;
pub mod values;
pub mod yamlfile;

pub use definition::ModuleDefinition;
pub use diagnostic::{Finding, Severity};
pub use hook_values::ModuleValuesValidator;
pub use module::{Module, Registry, ValuesError};
pub use render::{RenderError, RenderTarget};
pub use schema::{Schema, Violation};
pub use settings::UserSettings;
