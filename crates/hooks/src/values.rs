//! Applying values patches atomically: the patch goes onto a copy, the
//! copy is validated, and only a fully valid result replaces the values.
//! On any error the caller keeps its previous values untouched.

use std::sync::Arc;

use serde_json::Value;

/// Schema validation of a values document, implemented by whoever owns the
/// schemas (the `module` crate's OpenAPI schemas in the CLI and operator).
///
/// The error stays the implementor's own text: the engine does not look
/// into it, only reports it as [`ValuesPatchError::Invalid`].
pub trait ValuesValidator {
    /// `Ok` if valid; otherwise a message naming the JSON pointer(s).
    fn validate(&self, values: &Value) -> Result<(), String>;
}

/// Accepts everything (no schema known).
#[derive(Clone, Copy, Debug, Default)]
pub struct NoValidation;

impl ValuesValidator for NoValidation {
    fn validate(&self, _values: &Value) -> Result<(), String> {
        Ok(())
    }
}

impl<F: Fn(&Value) -> Result<(), String>> ValuesValidator for F {
    fn validate(&self, values: &Value) -> Result<(), String> {
        self(values)
    }
}

/// A values patch that could not be applied.
#[derive(Clone, Debug, thiserror::Error)]
pub enum ValuesPatchError {
    /// An operation of the patch failed (a missing path, a failed `test`).
    #[error("cannot apply patch: {source}")]
    Patch {
        /// The failed operation: its index, path and kind.
        source: Arc<json_patch::PatchError>,
    },
    /// The patched values do not validate.
    #[error("values after patch are invalid: {message}")]
    Invalid {
        /// The validator's message (naming the JSON pointers).
        message: String,
    },
}

/// Apply `patch` to a copy of `values`, then validate the copy. Returns
/// the new values; `values` itself is never modified.
pub fn apply_values_patch(
    values: &Value,
    patch: &json_patch::Patch,
    validator: &dyn ValuesValidator,
) -> Result<Value, ValuesPatchError> {
    let mut next = values.clone();
    json_patch::patch(&mut next, patch).map_err(|e| ValuesPatchError::Patch {
        source: Arc::new(e),
    })?;
    validator
        .validate(&next)
        .map_err(|message| ValuesPatchError::Invalid { message })?;
    Ok(next)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn patch(v: Value) -> json_patch::Patch {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn applies_to_a_copy() {
        let before = json!({"m": {"a": 1}});
        let after = apply_values_patch(
            &before,
            &patch(json!([{"op":"add","path":"/m/b","value":2}])),
            &NoValidation,
        )
        .unwrap();
        assert_eq!(after, json!({"m": {"a": 1, "b": 2}}));
        assert_eq!(before, json!({"m": {"a": 1}}));
    }

    #[test]
    fn failing_op_or_schema_keeps_nothing() {
        let before = json!({"m": {"a": 1}});
        // Second op fails: the first must not leak.
        let p =
            patch(json!([{"op":"add","path":"/m/b","value":2},{"op":"remove","path":"/m/zzz"}]));
        let e = apply_values_patch(&before, &p, &NoValidation).unwrap_err();
        assert!(
            matches!(&e, ValuesPatchError::Patch { source } if source.operation == 1),
            "{e:?}"
        );
        let only_ints = |v: &Value| -> Result<(), String> {
            match v.pointer("/m/b") {
                Some(x) if !x.is_i64() => Err("/m/b: expected integer".into()),
                _ => Ok(()),
            }
        };
        let p = patch(json!([{"op":"add","path":"/m/b","value":"x"}]));
        let e = apply_values_patch(&before, &p, &only_ints).unwrap_err();
        assert!(matches!(e, ValuesPatchError::Invalid { .. }), "{e:?}");
        let e = e.to_string();
        assert!(e.contains("/m/b"), "{e}");
    }
}
