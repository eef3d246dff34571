//! `VALUES_JSON_PATCH_PATH` / `CONFIG_VALUES_JSON_PATCH_PATH`: a stream of
//! JSON values, each a JSON Patch array or a single operation object.

use serde_json::Value;

use super::OutputError;

/// Who wrote the patch: decides which root keys it may touch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PatchScope {
    /// A global hook: `/global/...` and `/<module>Enabled`.
    Global,
    /// A module hook: `/<valuesKey>/...` only.
    Module {
        /// The module's values key (`echoServer`).
        values_key: String,
    },
}

/// Parse and validate a patch file. `replace` is rejected (use `add`);
/// paths must be under the hook's own key.
pub fn parse_values_patch(
    file: &str,
    text: &str,
    scope: &PatchScope,
) -> Result<json_patch::Patch, OutputError> {
    let mut ops: Vec<Value> = Vec::new();
    let stream = serde_json::Deserializer::from_str(text).into_iter::<Value>();
    for (i, item) in stream.enumerate() {
        let item =
            item.map_err(|e| OutputError::new(file, format!("document {}: not JSON: {e}", i + 1)))?;
        match item {
            Value::Array(list) => ops.extend(list),
            obj @ Value::Object(_) => ops.push(obj),
            other => {
                return Err(OutputError::new(
                    file,
                    format!(
                        "document {}: expected a JSON Patch array or operation object, got {}",
                        i + 1,
                        crate::config::type_name(&other)
                    ),
                ));
            }
        }
    }
    for (i, op) in ops.iter().enumerate() {
        let at = format!("operation {}", i + 1);
        let name = op
            .get("op")
            .and_then(Value::as_str)
            .ok_or_else(|| OutputError::new(file, format!("{at}: missing \"op\"")))?;
        if name == "replace" {
            return Err(OutputError::new(
                file,
                format!(
                    "{at}: \"replace\" is not allowed in values patches, use \"add\" (it overwrites)"
                ),
            ));
        }
        let path = op
            .get("path")
            .and_then(Value::as_str)
            .ok_or_else(|| OutputError::new(file, format!("{at}: missing \"path\"")))?;
        check_root(path, scope).map_err(|m| OutputError::new(file, format!("{at}: {m}")))?;
        if let Some(from) = op.get("from").and_then(Value::as_str) {
            check_root(from, scope)
                .map_err(|m| OutputError::new(file, format!("{at}: from: {m}")))?;
        }
    }
    serde_json::from_value::<json_patch::Patch>(Value::Array(ops))
        .map_err(|e| OutputError::new(file, format!("invalid JSON Patch: {e}")))
}

/// The message of the `OutputError` the caller builds (a type would add
/// nothing).
fn check_root(path: &str, scope: &PatchScope) -> Result<(), String> {
    let first = path
        .strip_prefix('/')
        .ok_or_else(|| format!("path {path:?} must start with '/'"))?
        .split('/')
        .next()
        .unwrap_or("");
    let allowed = match scope {
        PatchScope::Global => first == "global" || (first.ends_with("Enabled") && first.len() > 7),
        PatchScope::Module { values_key } => first == values_key,
    };
    if allowed {
        Ok(())
    } else {
        Err(match scope {
            PatchScope::Global => format!(
                "path {path:?} is outside /global (global hooks may also set /<module>Enabled)"
            ),
            PatchScope::Module { values_key } => {
                format!("path {path:?} is outside the module's values /{values_key}")
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn module() -> PatchScope {
        PatchScope::Module {
            values_key: "echo".into(),
        }
    }

    #[test]
    fn accepts_arrays_and_appended_objects() {
        let text = r#"[{"op":"add","path":"/echo/a","value":1}]
{"op":"remove","path":"/echo/b"}
"#;
        let p = parse_values_patch("values", text, &module()).unwrap();
        assert_eq!(p.0.len(), 2);
        assert!(
            parse_values_patch("values", "", &module())
                .unwrap()
                .0
                .is_empty()
        );
    }

    #[test]
    fn rejects_replace_foreign_paths_and_garbage() {
        let cases = [
            r#"{"op":"replace","path":"/echo/a","value":1}"#,
            r#"{"op":"add","path":"/other/a","value":1}"#,
            r#"{"op":"add","path":"echo/a","value":1}"#,
            r#"{"op":"add","value":1}"#,
            r#"{"op":"frobnicate","path":"/echo/a"}"#,
            r#"{"op":"add","path":"/echo/a"}"#,
            "42",
            "{not json",
        ];
        for text in cases {
            let e = parse_values_patch("VALUES_JSON_PATCH_PATH", text, &module()).unwrap_err();
            assert!(e.to_string().contains("VALUES_JSON_PATCH_PATH"), "{e}");
        }
    }

    #[test]
    fn global_hooks_may_enable_modules() {
        let p = parse_values_patch(
            "v",
            r#"{"op":"add","path":"/echoEnabled","value":true}"#,
            &PatchScope::Global,
        );
        assert!(p.is_ok());
        assert!(
            parse_values_patch(
                "v",
                r#"{"op":"add","path":"/echo/x","value":1}"#,
                &PatchScope::Global
            )
            .is_err()
        );
    }
}
