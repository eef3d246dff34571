//! The chart tree a render works on: Helm mutates its chart while
//! preparing a release (aliases rename subcharts, disabled subcharts are
//! dropped, imported values replace defaults); deckmod does that on this
//! per-render copy and leaves the loaded [`Chart`] untouched.

use gotmpl::Value;

use crate::chart::Chart;
use crate::metadata::Metadata;

/// One chart of the tree being rendered.
#[derive(Clone)]
pub(crate) struct Node<'a> {
    /// Metadata (the name is the alias when the parent gave one).
    pub meta: Metadata,
    /// Default values (a map), Helm's `chart.Values`.
    pub values: Value,
    /// Subcharts, in Helm's order.
    pub deps: Vec<Node<'a>>,
    /// Templates, files and schema.
    pub chart: &'a Chart,
}

impl<'a> Node<'a> {
    /// The tree for `chart` and all its subcharts.
    pub fn new(chart: &'a Chart) -> Node<'a> {
        // Converted from the loaded map directly (no intermediate copy).
        let values = Value::map(
            chart
                .values
                .iter()
                .map(|(k, v)| (k.clone(), Value::from_json_helm(v)))
                .collect(),
        );
        let mut deps: Vec<Node<'a>> = chart.dependencies.iter().map(Node::new).collect();
        // Helm collects subcharts from a Go map (random order); sort for stability.
        deps.sort_by(|a, b| a.name().cmp(b.name()));
        Node {
            meta: chart.metadata.clone(),
            values,
            deps,
            chart,
        }
    }

    /// The chart's name (its alias, once dependencies are processed).
    pub fn name(&self) -> &str {
        &self.meta.name
    }
}
