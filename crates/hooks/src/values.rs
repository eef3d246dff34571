//! Applying values patches atomically: the patch goes onto a copy, the
//! copy is validated, and only a fully valid result replaces the values.
//! On any error the caller keeps its previous values untouched.

use std::sync::Arc;

use serde_json::Value;

/// Schema validation of a values document, implemented by whoever owns the
/// schemas (the `module` crate's OpenAPI schemas in the CLI and operator).
pub trait ValuesValidator {
    /// `Ok` if valid; otherwise each violation by its JSON pointer.
    fn validate(&self, values: &Value) -> Result<(), InvalidValues>;
}

/// Values that break their schema: `POINTER: MESSAGE` for each violation,
/// `; `-separated.
#[derive(Clone, Debug, Default, PartialEq, Eq, thiserror::Error)]
#[error("{}", .violations.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
pub struct InvalidValues {
    /// The violations, in the validator's order.
    pub violations: Vec<Violation>,
}

/// One value that breaks the schema.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// JSON pointer into the whole values document (`/echoServer/replicas`);
    /// empty when the validator gave only a message.
    pub pointer: String,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.pointer.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.pointer, self.message)
        }
    }
}

/// A validator's plain message (a closure's): one violation without a
/// pointer.
impl From<String> for InvalidValues {
    fn from(message: String) -> Self {
        InvalidValues {
            violations: vec![Violation {
                pointer: String::new(),
                message,
            }],
        }
    }
}

/// Accepts everything (no schema known).
#[derive(Clone, Copy, Debug, Default)]
pub struct NoValidation;

impl ValuesValidator for NoValidation {
    fn validate(&self, _values: &Value) -> Result<(), InvalidValues> {
        Ok(())
    }
}

/// A closure returning [`InvalidValues`] or anything that converts to it
/// (a `String` message).
impl<F, E> ValuesValidator for F
where
    F: Fn(&Value) -> Result<(), E>,
    E: Into<InvalidValues>,
{
    fn validate(&self, values: &Value) -> Result<(), InvalidValues> {
        self(values).map_err(Into::into)
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
    #[error("values after patch are invalid: {source}")]
    Invalid {
        /// The violations, by JSON pointer.
        source: InvalidValues,
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
        .map_err(|source| ValuesPatchError::Invalid { source })?;
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

    #[test]
    fn violations_keep_their_pointers() {
        let schema = |v: &Value| -> Result<(), InvalidValues> {
            let violation = |pointer: &str, message: &str| Violation {
                pointer: pointer.into(),
                message: message.into(),
            };
            match v.pointer("/m/b") {
                Some(_) => Err(InvalidValues {
                    violations: vec![violation("/m/b", "not allowed"), violation("/m", "too big")],
                }),
                None => Ok(()),
            }
        };
        let p = patch(json!([{"op":"add","path":"/m/b","value":1}]));
        let e = apply_values_patch(&json!({"m": {}}), &p, &schema).unwrap_err();
        let ValuesPatchError::Invalid { source } = &e else {
            panic!("{e:?}");
        };
        assert_eq!(source.violations[0].pointer, "/m/b");
        assert_eq!(
            e.to_string(),
            "values after patch are invalid: /m/b: not allowed; /m: too big"
        );
    }
}
