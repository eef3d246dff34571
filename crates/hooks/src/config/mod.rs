//! Hook configuration: what `HOOK --config` prints (YAML or JSON,
//! `configVersion` v1 or legacy v0) and module-sdk batch configs, parsed
//! into one normalized model and validated.

mod batch;
mod error;
mod model;
mod v0;
mod v1;
mod validate;

use serde_json::Value;

pub use batch::{
    BatchConfig, BatchHookConfig, BatchListError, parse_batch_config, parse_batch_list,
};
pub use error::ConfigError;
pub use model::*;
pub use validate::{CrontabError, parse_crontab};

use crate::jq::JqFilter;

/// A validated config and the compiled jq filter of each kubernetes
/// binding (index-aligned with `config.kubernetes`).
#[derive(Debug)]
pub struct LoadedConfig {
    /// The normalized config.
    pub config: HookConfig,
    /// `jqFilter` of `config.kubernetes[i]`, compiled once.
    pub filters: Vec<Option<JqFilter>>,
}

/// Parse and validate the text a hook printed for `--config`.
///
/// YAML and JSON are both accepted (JSON is YAML). An empty output is an
/// error: every hook must declare its bindings.
pub fn parse_hook_config(hook: &str, text: &str) -> Result<LoadedConfig, ConfigError> {
    let error = |binding: Option<String>, pointer: String, message: String| ConfigError {
        hook: hook.to_string(),
        binding,
        pointer,
        message,
    };
    if text.trim().is_empty() {
        return Err(error(
            None,
            String::new(),
            "the hook printed an empty config".into(),
        ));
    }
    let raw = goyaml::from_str(text).map_err(|e| {
        error(
            None,
            String::new(),
            format!("config is not YAML or JSON: {e}"),
        )
    })?;
    if !raw.is_object() {
        return Err(error(
            None,
            String::new(),
            format!("config must be a mapping, got {}", type_name(&raw)),
        ));
    }
    let version = match raw.get("configVersion") {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => {
            return Err(error(
                None,
                "/configVersion".into(),
                format!("configVersion must be a string, got {}", type_name(other)),
            ));
        }
    };
    let parsed = match version.as_deref() {
        Some("v1") => v1::parse(raw.clone()),
        None | Some("v0") => v0::parse(raw.clone()),
        Some(other) => {
            return Err(error(
                None,
                "/configVersion".into(),
                format!("unknown configVersion {other:?} (expected \"v1\" or \"v0\")"),
            ));
        }
    };
    finish(hook, parsed, &raw)
}

/// Validate an already-normalized config (used for batch hooks).
pub fn load_normalized(hook: &str, config: HookConfig) -> Result<LoadedConfig, ConfigError> {
    let raw = serde_json::to_value(&config).unwrap_or(Value::Null);
    finish(hook, Ok(config), &raw)
}

fn finish(
    hook: &str,
    parsed: Result<HookConfig, (String, String)>,
    raw: &Value,
) -> Result<LoadedConfig, ConfigError> {
    let to_error = |(pointer, message): (String, String)| ConfigError {
        hook: hook.to_string(),
        binding: error::binding_of(&pointer, raw),
        pointer,
        message,
    };
    let config = parsed.map_err(to_error)?;
    let filters = validate::validate(&config).map_err(to_error)?;
    Ok(LoadedConfig { config, filters })
}

/// The JSON type name of a value, for messages.
pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "a mapping",
    }
}
