//! `values.schema.json`: each chart's coalesced values checked against its
//! schema (subcharts against their own part), reported as Helm reports
//! it: `values don't meet the specifications of the schema(s) in the
//! following chart(s):` then `CHART:` and one `- FIELD: MESSAGE` per error,
//! FIELD dotted as gojsonschema names it (`(root)` for the top).
//!
//! Validation uses the `jsonschema` crate; the common error kinds are
//! reworded as gojsonschema words them (type, required, bounds, lengths,
//! enum, pattern, additional properties, const, format), the rest keep the
//! crate's wording.

use gotmpl::Value;

use crate::error::Error;
use crate::node::Node;

/// Validate `values` (the root chart's coalesced values) against every
/// chart's schema in the tree.
pub(crate) fn validate(root: &Node<'_>, values: &Value) -> Result<(), Error> {
    let mut report = String::new();
    validate_node(root, values, &mut report);
    if report.is_empty() {
        return Ok(());
    }
    Err(Error::Other(format!(
        "values don't meet the specifications of the schema(s) in the following chart(s):\n{report}"
    )))
}

fn validate_node(node: &Node<'_>, values: &Value, report: &mut String) {
    if let Some(schema) = &node.chart.schema
        && let Err(e) = validate_single(&values.to_json(), schema)
    {
        report.push_str(&format!("{}:\n{e}", node.name()));
    }
    for sub in &node.deps {
        let sub_values = match values {
            Value::Map(m) => m.borrow().get(sub.name()).cloned().unwrap_or_default(),
            _ => Value::Nil,
        };
        validate_node(sub, &sub_values, report);
    }
}

/// gojsonschema's field name for a JSON pointer: `a.b.0`, `(root)` for empty.
fn field_name(pointer: &str) -> String {
    if pointer.is_empty() {
        return "(root)".to_string();
    }
    pointer
        .trim_start_matches('/')
        .split('/')
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect::<Vec<_>>()
        .join(".")
}

fn validate_single(values: &serde_json::Value, schema: &[u8]) -> Result<(), String> {
    let mut schema: serde_json::Value =
        serde_json::from_slice(schema).map_err(|e| format!("- (root): invalid schema: {e}\n"))?;
    let (draft, hybrid) = gojsonschema_draft(&schema);
    if hybrid {
        numeric_exclusive_bounds(&mut schema);
    }
    let validator = jsonschema::options()
        .with_draft(draft)
        .build(&schema)
        .map_err(|e| format!("- (root): invalid schema: {e}\n"))?;
    let empty = serde_json::json!({});
    let instance = if values.is_null() { &empty } else { values };
    if validator.is_valid(instance) {
        return Ok(());
    }
    let mut lines: Vec<(String, String)> = Vec::new();
    for err in validator.iter_errors(instance) {
        let field = field_name(err.instance_path().as_str());
        for message in go_messages(&err, &field) {
            lines.push((field.clone(), message));
        }
    }
    // gojsonschema reports fields in name order (`(root)` first).
    lines.sort_by(|a, b| a.0.cmp(&b.0));
    let mut out = String::new();
    for (field, message) in lines {
        out.push_str(&format!("- {field}: {message}\n"));
    }
    if out.is_empty() { Ok(()) } else { Err(out) }
}

/// The draft Helm's validator (gojsonschema) reads a schema with, and
/// whether that is its "hybrid" mode: the draft its `$schema` names when
/// that is draft-04, -06 or -07 (compared without an empty fragment, as
/// gojsonreference prints it), else hybrid, which takes the keywords of all
/// three. Draft 7 is the closest single draft to hybrid: `$ref` siblings
/// ignored, `dependencies`, array-form `items` and `additionalItems`
/// honoured; [`numeric_exclusive_bounds`] adds draft 4's boolean bounds.
/// (The crate's own default, 2020-12, would drop `dependencies`, reject
/// array-form `items`, and build the large 2020-12 meta-schema validator
/// in every process.)
fn gojsonschema_draft(schema: &serde_json::Value) -> (jsonschema::Draft, bool) {
    let uri = schema
        .get("$schema")
        .and_then(|s| s.as_str())
        .unwrap_or_default();
    match uri.strip_suffix('#').unwrap_or(uri) {
        "http://json-schema.org/draft-04/schema" => (jsonschema::Draft::Draft4, false),
        "http://json-schema.org/draft-06/schema" => (jsonschema::Draft::Draft6, false),
        "http://json-schema.org/draft-07/schema" => (jsonschema::Draft::Draft7, false),
        _ => (jsonschema::Draft::Draft7, true),
    }
}

/// Hybrid mode also takes draft 4's boolean `exclusiveMinimum` and
/// `exclusiveMaximum` (a flag on `minimum`/`maximum`), where draft 7 takes
/// only the number: `{"minimum": 1, "exclusiveMinimum": true}` becomes
/// `{"exclusiveMinimum": 1}`, and a `false` flag is dropped. Values that
/// are data, not schemas (`enum`, `const`, `default`, `examples`), are left
/// alone.
fn numeric_exclusive_bounds(schema: &mut serde_json::Value) {
    match schema {
        serde_json::Value::Object(map) => {
            for (flag, bound) in [
                ("exclusiveMinimum", "minimum"),
                ("exclusiveMaximum", "maximum"),
            ] {
                if let Some(serde_json::Value::Bool(exclusive)) = map.get(flag) {
                    let exclusive = *exclusive;
                    map.remove(flag);
                    if exclusive && let Some(limit) = map.remove(bound) {
                        map.insert(flag.to_string(), limit);
                    }
                }
            }
            for (key, value) in map.iter_mut() {
                if !matches!(key.as_str(), "enum" | "const" | "default" | "examples") {
                    numeric_exclusive_bounds(value);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(numeric_exclusive_bounds),
        _ => {}
    }
}

/// gojsonschema's name of a value's type (`integer` for whole numbers).
fn go_type(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "boolean",
        serde_json::Value::Number(n) => {
            if n.as_f64().is_some_and(|f| f.fract() == 0.0) {
                "integer"
            } else {
                "number"
            }
        }
        serde_json::Value::String(_) => "string",
        serde_json::Value::Array(_) => "array",
        serde_json::Value::Object(_) => "object",
    }
}

/// gojsonschema's number formatting (`1`, not `1.0`).
fn go_number(v: &serde_json::Value) -> String {
    match v.as_f64() {
        Some(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", f as i64),
        _ => v.to_string(),
    }
}

/// The messages gojsonschema gives for one error (one per unexpected property).
fn go_messages(err: &jsonschema::ValidationError<'_>, field: &str) -> Vec<String> {
    use jsonschema::error::{TypeKind, ValidationErrorKind as K};
    let one = |m: String| vec![m];
    match err.kind() {
        K::Type {
            kind: TypeKind::Single(t),
        } => one(format!(
            "Invalid type. Expected: {t}, given: {}",
            go_type(err.instance())
        )),
        // A property another one depends on (draft 4-7 `dependencies`)
        // is worded apart from a plain `required` one.
        K::Required { property } if err.schema_path().as_str().ends_with("/dependencies") => {
            one(format!(
                "Has a dependency on {}",
                property.as_str().unwrap_or_default()
            ))
        }
        K::Required { property } => one(format!(
            "{} is required",
            property.as_str().unwrap_or_default()
        )),
        K::Minimum { limit } => one(format!(
            "Must be greater than or equal to {}",
            go_number(limit)
        )),
        K::Maximum { limit } => one(format!(
            "Must be less than or equal to {}",
            go_number(limit)
        )),
        K::ExclusiveMinimum { limit } => one(format!("Must be greater than {}", go_number(limit))),
        K::ExclusiveMaximum { limit } => one(format!("Must be less than {}", go_number(limit))),
        K::MinLength { limit } => one(format!(
            "String length must be greater than or equal to {limit}"
        )),
        K::MaxLength { limit } => one(format!(
            "String length must be less than or equal to {limit}"
        )),
        K::MinItems { limit } => one(format!("Array must have at least {limit} items")),
        K::MaxItems { limit } => one(format!("Array must have at most {limit} items")),
        K::Pattern { pattern } => one(format!("Does not match pattern '{pattern}'")),
        K::Format { format } => one(format!("Does not match format '{format}'")),
        K::Enum { options } => {
            let allowed: Vec<String> = options
                .as_array()
                .map(|a| a.iter().map(|v| v.to_string()).collect())
                .unwrap_or_default();
            one(format!(
                "{field} must be one of the following: {}",
                allowed.join(", ")
            ))
        }
        K::Constant { expected_value } => one(format!("{field} does not match: {expected_value}")),
        K::AdditionalProperties { unexpected } => unexpected
            .iter()
            .map(|p| format!("Additional property {p} is not allowed"))
            .collect(),
        _ => one(err.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_fields_like_gojsonschema() {
        let schema = br#"{"type":"object","properties":{"replicas":{"type":"integer"},"l":{"type":"array","items":{"type":"string"}}}}"#;
        assert!(validate_single(&serde_json::json!({"replicas": 3.0}), schema).is_ok());
        let err = validate_single(&serde_json::json!({"replicas": "x", "l": ["a", 1]}), schema)
            .unwrap_err();
        assert!(
            err.contains("- replicas: Invalid type. Expected: integer, given: string\n"),
            "{err}"
        );
        assert!(
            err.contains("- l.1: Invalid type. Expected: string, given: integer\n"),
            "{err}"
        );
        assert_eq!(field_name(""), "(root)");
    }
}
