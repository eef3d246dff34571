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

use crate::node::Node;

/// The coalesced values break the schema of one or more charts of the
/// tree, or a chart's schema cannot be used. Worded as Helm words it:
/// `values don't meet the specifications of the schema(s) in the
/// following chart(s):` then each chart's part.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "values don't meet the specifications of the schema(s) in the following chart(s):\n{}",
    .charts.iter().map(ToString::to_string).collect::<String>()
)]
pub struct SchemaError {
    /// Each failing chart, root first, then subcharts depth first.
    pub charts: Vec<ChartSchemaError>,
}

/// One chart's part of a [`SchemaError`]: `CHART:` then its problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{chart}:\n{problem}")]
pub struct ChartSchemaError {
    /// The chart's name.
    pub chart: String,
    /// What is wrong.
    pub problem: SchemaProblem,
}

/// Why one chart's values fail its schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SchemaProblem {
    /// The values break the schema here (sorted by field, one line each).
    Violations(Vec<Violation>),
    /// The schema itself cannot be used (it does not parse or compile, or
    /// validating it recursed too deep); gojsonschema's text.
    Invalid(String),
}

impl std::fmt::Display for SchemaProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SchemaProblem::Violations(v) => v.iter().try_for_each(|v| writeln!(f, "{v}")),
            SchemaProblem::Invalid(message) => f.write_str(message),
        }
    }
}

/// One value that breaks a schema: `- FIELD: MESSAGE`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("- {field}: {message}")]
pub struct Violation {
    /// gojsonschema's name of the place (`(root)`, `a.0.b`).
    pub field: String,
    /// The same place as a JSON pointer into the chart's values (`/a/0/b`,
    /// empty for the root).
    pub pointer: String,
    /// What is wrong, as gojsonschema words it.
    pub message: String,
}

/// Validate `values` (the root chart's coalesced values) against every
/// chart's schema in the tree.
pub(crate) fn validate(root: &Node<'_>, values: &Value) -> Result<(), SchemaError> {
    let mut charts = Vec::new();
    validate_node(root, values, &mut charts);
    if charts.is_empty() {
        return Ok(());
    }
    Err(SchemaError { charts })
}

fn validate_node(node: &Node<'_>, values: &Value, charts: &mut Vec<ChartSchemaError>) {
    if let Some(schema) = &node.chart.schema
        && let Err(problem) = check(values, schema)
    {
        charts.push(ChartSchemaError {
            chart: node.name().to_string(),
            problem,
        });
    }
    for sub in &node.deps {
        let sub_values = match values {
            Value::Map(m) => m.borrow().get(sub.name()).cloned().unwrap_or_default(),
            _ => Value::Nil,
        };
        validate_node(sub, &sub_values, charts);
    }
}

/// One chart's check.
fn check(values: &Value, schema: &[u8]) -> Result<(), SchemaProblem> {
    let schema = compile::compile(schema).map_err(SchemaProblem::Invalid)?;
    let mut errors =
        validate::validate(&schema, values).map_err(|e| SchemaProblem::Invalid(e.to_string()))?;
    if errors.is_empty() {
        return Ok(());
    }
    errors.sort_by(|a, b| a.field.cmp(&b.field));
    Err(SchemaProblem::Violations(
        errors
            .into_iter()
            .map(|e| Violation {
                field: e.field,
                pointer: e.pointer,
                message: e.message,
            })
            .collect(),
    ))
}

/// One chart's check as the text Helm prints under the chart's name (the
/// `- FIELD: MESSAGE` lines, or a schema error without a newline): what
/// the per-keyword tests compare.
#[cfg(test)]
fn validate_single(values: &Value, schema: &[u8]) -> Result<(), String> {
    check(values, schema).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests;
