//! An alias copies its anchor's whole value: what one counts for in the
//! node budgets that stop "billion laughs" documents, in the general loader
//! and in the fast path alike.

use serde_json::Value;

/// How many nodes `v` stands for: itself and everything under it.
pub(crate) fn node_count(v: &Value) -> usize {
    match v {
        Value::Array(a) => 1 + a.iter().map(node_count).sum::<usize>(),
        Value::Object(m) => 1 + m.values().map(node_count).sum::<usize>(),
        _ => 1,
    }
}
