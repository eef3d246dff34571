//! The module's OpenAPI schemas as the hook engine's values validators: a
//! hook's values patch is applied only when the module's part of the
//! patched document still matches `openapi/values.yaml` (values) or
//! `openapi/config-values.yaml` (config values).

use hooks::values::{InvalidValues, Violation};
use serde_json::{Value, json};

use crate::module::Module;
use crate::schema::Schema;

/// Validates the `<valuesKey>` part of a values document against one of
/// the module's schemas, reporting violations by full JSON pointer
/// (`/<valuesKey>/...`).
#[derive(Clone, Copy, Debug)]
pub struct ModuleValuesValidator<'a> {
    schema: Option<&'a Schema>,
    key: &'a str,
}

impl hooks::values::ValuesValidator for ModuleValuesValidator<'_> {
    fn validate(&self, values: &Value) -> Result<(), InvalidValues> {
        let Some(schema) = self.schema else {
            return Ok(());
        };
        let part = values.get(self.key).cloned().unwrap_or_else(|| json!({}));
        let violations = schema.validate(&part);
        if violations.is_empty() {
            return Ok(());
        }
        Err(InvalidValues {
            violations: violations
                .iter()
                .map(|v| Violation {
                    pointer: format!("/{}{}", self.key, v.pointer),
                    message: v.message.clone(),
                })
                .collect(),
        })
    }
}

impl Module {
    /// The validator of hook values patches (`openapi/values.yaml`; accepts
    /// everything when the module has no such schema).
    pub fn values_validator(&self) -> ModuleValuesValidator<'_> {
        ModuleValuesValidator {
            schema: self.values_schema.as_ref(),
            key: &self.values_key,
        }
    }

    /// The validator of hook config values patches
    /// (`openapi/config-values.yaml`).
    pub fn config_values_validator(&self) -> ModuleValuesValidator<'_> {
        ModuleValuesValidator {
            schema: self.config_schema.as_ref(),
            key: &self.values_key,
        }
    }
}

#[cfg(test)]
mod tests {
    use hooks::values::ValuesValidator;
    use serde_json::json;

    #[test]
    fn violations_are_reported_under_the_values_key() {
        let m = crate::Module::load(std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../examples/modules/echo-server"
        )))
        .unwrap();
        let v = m.config_values_validator();
        assert!(v.validate(&json!({"echoServer": {"replicas": 2}})).is_ok());
        let e = v
            .validate(&json!({"echoServer": {"replicas": 0}}))
            .unwrap_err();
        assert_eq!(e.violations[0].pointer, "/echoServer/replicas");
        let e = e.to_string();
        assert!(e.starts_with("/echoServer/replicas:"), "{e}");
    }
}
