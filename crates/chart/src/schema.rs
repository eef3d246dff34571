//! `values.schema.json`: each chart's coalesced values checked against its
//! schema (subcharts against their own part), reported as Helm reports
//! it: `values don't meet the specifications of the schema(s) in the
//! following chart(s):` then `CHART:` and one `- FIELD: MESSAGE` per error,
//! FIELD dotted as gojsonschema names it (`(root)` for the top). A schema
//! that does not compile reports its error text in place of the list.
//!
//! Helm 3.17 validates with gojsonschema v1.2.0; this is a re-implementation
//! of its semantics, not a general JSON Schema validator:
//! - [`json`]: the document as Go decodes it (number text kept, Go's
//!   syntax errors) and Go's JSON text of values (for `enum`/`const`);
//! - [`compile`]: keywords per draft (draft 4, 6 or 7 when `$schema` names
//!   it, else the "hybrid" draft taking all of them), schema errors in
//!   gojsonschema's order and words, `$ref`/`id` resolution ([`uri`]);
//! - [`validate`]: the checks, messages and scores;
//! - [`number`]: exact decimal arithmetic where Go uses `big.Rat`;
//! - [`pattern`], [`format`]: Go's regexp and format checkers.
//!
//! References resolve within the schema document (JSON pointers, `id` and
//! `$id` scopes, location-independent ids). Helm would also download
//! `http(s)` and read `file` references; deckmod renders offline and
//! reports those as errors instead.
//!
//! Helm lists errors in gojsonschema's order, which follows Go map
//! iteration (random between runs) wherever several properties fail; the
//! lines are sorted by field here (stably, so one field's messages keep
//! gojsonschema's order), `(root)` first.

mod compile;
mod format;
mod json;
mod number;
mod pattern;
mod uri;
mod validate;

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
        && let Err(e) = validate_single(values, schema)
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

/// One chart's check: `Err` holds what Helm prints under the chart's name
/// (the `- FIELD: MESSAGE` lines, or a schema error without a newline).
fn validate_single(values: &Value, schema: &[u8]) -> Result<(), String> {
    let schema = compile::compile(schema)?;
    let mut errors = validate::validate(&schema, values).map_err(str::to_string)?;
    if errors.is_empty() {
        return Ok(());
    }
    errors.sort_by(|a, b| a.field.cmp(&b.field));
    let mut out = String::new();
    for e in errors {
        out.push_str(&format!("- {}: {}\n", e.field, e.message));
    }
    Err(out)
}

#[cfg(test)]
mod tests;
