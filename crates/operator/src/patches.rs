//! The values patches hooks made to a module, kept as one compacted JSON
//! Patch and applied over the module's values whenever they are rebuilt
//! (settings changed): addon-operator's in-memory values patches.
//!
//! Compaction keeps the log bounded by the number of distinct paths a
//! module's hooks write, not by the number of runs: an operation on a
//! path supersedes every earlier one on that path or below it. Paths with
//! array positions (`/a/0`, `/a/-`) are never compacted away, since
//! their meaning depends on what came before.

use serde_json::Value;

/// A compacted JSON Patch.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PatchLog {
    ops: Vec<Value>,
}

fn path_of(op: &Value) -> &str {
    op.get("path").and_then(Value::as_str).unwrap_or_default()
}

/// Whether a path has no array positions (so a later write to it
/// replaces whatever was there).
fn is_plain(path: &str) -> bool {
    path.split('/')
        .skip(1)
        .all(|seg| seg != "-" && !seg.bytes().all(|b| b.is_ascii_digit()))
}

impl PatchLog {
    /// Append the operations of `patch` (a JSON Patch array), compacting.
    pub fn record(&mut self, patch: &Value) {
        let Some(ops) = patch.as_array() else {
            return;
        };
        for op in ops {
            let path = path_of(op);
            if is_plain(path) {
                let below = format!("{path}/");
                self.ops.retain(|o| {
                    let p = path_of(o);
                    !(p == path || p.starts_with(&below))
                });
            }
            self.ops.push(op.clone());
        }
    }

    /// The operations, in order.
    pub fn ops(&self) -> &[Value] {
        &self.ops
    }

    /// Forget everything (the module was disabled).
    pub fn clear(&mut self) {
        self.ops.clear();
    }

    /// `base` with every operation applied; an operation that no longer
    /// applies (its parent is gone after a settings change) is skipped.
    pub fn apply(&self, base: &Value) -> Value {
        let mut v = base.clone();
        for op in &self.ops {
            if let Ok(p) =
                serde_json::from_value::<json_patch::Patch>(Value::Array(vec![op.clone()]))
            {
                let _ = json_patch::patch(&mut v, &p);
            }
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn later_writes_supersede_earlier_ones_on_the_same_or_inner_paths() {
        let mut log = PatchLog::default();
        for i in 0..100 {
            log.record(&json!([{"op": "add", "path": "/m/internal/count", "value": i}]));
        }
        log.record(&json!([{"op": "add", "path": "/m/internal/cert/ca", "value": "x"}]));
        assert_eq!(log.ops().len(), 2);
        log.record(&json!([{"op": "add", "path": "/m/internal", "value": {"a": 1}}]));
        assert_eq!(log.ops().len(), 1);
        assert_eq!(
            log.apply(&json!({"m": {}})),
            json!({"m": {"internal": {"a": 1}}})
        );
    }

    #[test]
    fn array_positions_are_kept_in_order() {
        let mut log = PatchLog::default();
        log.record(&json!([{"op": "add", "path": "/m/l", "value": []}]));
        log.record(&json!([{"op": "add", "path": "/m/l/-", "value": 1}]));
        log.record(&json!([{"op": "add", "path": "/m/l/-", "value": 2}]));
        assert_eq!(log.ops().len(), 3);
        assert_eq!(log.apply(&json!({"m": {}})), json!({"m": {"l": [1, 2]}}));
    }

    #[test]
    fn an_operation_that_no_longer_applies_is_skipped() {
        let mut log = PatchLog::default();
        log.record(&json!([{"op": "remove", "path": "/m/gone"}, {"op": "add", "path": "/m/x", "value": 1}]));
        assert_eq!(log.apply(&json!({"m": {}})), json!({"m": {"x": 1}}));
    }
}
