//! `values.schema.json`: each chart's coalesced values checked against its
//! schema (subcharts against their own part), reported as Helm reports
//! it: `values don't meet the specifications of the schema(s) in the
//! following chart(s):` then `CHART:` and one `- FIELD: MESSAGE` per error,
//! FIELD dotted as gojsonschema names it (`(root)` for the top).
//!
//! Validation uses the `jsonschema` crate; its messages are worded
//! differently from gojsonschema's (the chart and field are the same).

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
    let schema: serde_json::Value =
        serde_json::from_slice(schema).map_err(|e| format!("- (root): invalid schema: {e}\n"))?;
    let validator = jsonschema::validator_for(&schema)
        .map_err(|e| format!("- (root): invalid schema: {e}\n"))?;
    let instance = if values.is_null() {
        serde_json::json!({})
    } else {
        values.clone()
    };
    let mut out = String::new();
    for err in validator.iter_errors(&instance) {
        out.push_str(&format!(
            "- {}: {err}\n",
            field_name(err.instance_path().as_str())
        ));
    }
    if out.is_empty() { Ok(()) } else { Err(out) }
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
        assert!(err.contains("- replicas: "), "{err}");
        assert!(err.contains("- l.1: "), "{err}");
        assert_eq!(field_name(""), "(root)");
    }
}
