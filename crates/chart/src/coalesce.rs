//! Helm's values coalescing (`chartutil.CoalesceValues` / `MergeValues`),
//! reproduced step for step over [`gotmpl::Value`] so that Go's map
//! sharing is reproduced too: user values win over chart defaults, maps
//! merge, `null` deletes a default, subchart values live under the
//! subchart's name, and `global` flows from each chart into its subcharts.
//!
//! Go maps are references; Helm copies some of them shallowly (globals),
//! and charts observe that (a subchart's default global at depth two shows
//! up in its parent). gotmpl's maps are shared `Rc<RefCell<..>>` values, so
//! the same operations on them give the same results.

use std::cell::RefCell;
use std::rc::Rc;

use gotmpl::{Map, Value};

use crate::error::DependencyError;
use crate::node::Node;

/// A Go `map[string]interface{}`: shared and mutable.
pub(crate) type Table = Rc<RefCell<Map>>;

/// The key of global values.
pub const GLOBAL_KEY: &str = "global";

/// Warnings Helm prints while coalescing (to stderr, never fatal).
pub type Warnings = Vec<String>;

/// The map inside `v`, shared, if `v` is a map.
pub(crate) fn as_table(v: &Value) -> Option<Table> {
    match v {
        Value::Map(m) => Some(m.clone()),
        _ => None,
    }
}

pub(crate) fn is_table(v: &Value) -> bool {
    matches!(v, Value::Map(_))
}

pub(crate) fn new_table() -> Table {
    Rc::new(RefCell::new(Map::new()))
}

/// A deep copy (Go's `copystructure.Copy`): no map is shared with `v`.
/// Lists are immutable once built, so a list holding no map (at any
/// depth) is shared rather than copied: nothing can tell the difference.
pub fn deep_copy(v: &Value) -> Value {
    match v {
        Value::Map(m) => Value::map(
            m.borrow()
                .iter()
                .map(|(k, x)| (k.clone(), deep_copy(x)))
                .collect(),
        ),
        Value::List(l) if l.iter().any(holds_map) => Value::list(l.iter().map(deep_copy).collect()),
        other => other.clone(),
    }
}

/// Whether `v` is or contains a map (something a copy must not share).
fn holds_map(v: &Value) -> bool {
    match v {
        Value::Map(_) => true,
        Value::List(l) => l.iter().any(holds_map),
        _ => false,
    }
}

fn deep_copy_table(t: &Table) -> Table {
    match deep_copy(&Value::Map(t.clone())) {
        Value::Map(m) => m,
        _ => new_table(),
    }
}

fn concat_prefix(a: &str, b: &str) -> String {
    if a.is_empty() {
        b.to_string()
    } else {
        format!("{a}.{b}")
    }
}

/// Go's `%v` of a value inside warnings.
fn show(v: &Value) -> String {
    gotmpl::fmt::format_value(v)
}

/// Helm's `CoalesceValues`: `vals` (user values) over the chart's defaults,
/// recursively into subcharts; `null` user values delete defaults.
pub(crate) fn coalesce_values(
    node: &Node<'_>,
    vals: &Value,
    warnings: &mut Warnings,
) -> Result<Table, DependencyError> {
    let copy = match vals {
        Value::Map(m) => deep_copy_table(m),
        _ => new_table(),
    };
    coalesce(node, &copy, "", false, warnings)?;
    Ok(copy)
}

/// A table's entries, taken out before the loop that changes tables (the
/// values are shared handles, so this copies no data).
fn entries(table: &Table) -> Vec<(String, Value)> {
    table
        .borrow()
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// Helm's `MergeValues`: like [`coalesce_values`] but `null`s are kept.
pub(crate) fn merge_values(
    node: &Node<'_>,
    vals: &Value,
    warnings: &mut Warnings,
) -> Result<Table, DependencyError> {
    let copy = match vals {
        Value::Map(m) => deep_copy_table(m),
        _ => new_table(),
    };
    coalesce(node, &copy, "", true, warnings)?;
    Ok(copy)
}

fn coalesce(
    node: &Node<'_>,
    dest: &Table,
    prefix: &str,
    merge: bool,
    warnings: &mut Warnings,
) -> Result<(), DependencyError> {
    coalesce_chart_values(node, dest, prefix, merge, warnings);
    coalesce_deps(node, dest, prefix, merge, warnings)
}

fn coalesce_deps(
    node: &Node<'_>,
    dest: &Table,
    prefix: &str,
    merge: bool,
    warnings: &mut Warnings,
) -> Result<(), DependencyError> {
    for sub in &node.deps {
        let name = sub.name();
        let existing = dest.borrow().get(name).cloned();
        let sub_values = match existing {
            None => {
                let t = new_table();
                dest.borrow_mut()
                    .insert(name.to_string(), Value::Map(t.clone()));
                t
            }
            Some(Value::Map(t)) => t,
            Some(other) => {
                return Err(DependencyError::ValuesNotMap {
                    subchart: name.to_string(),
                    found: go_bad_bool_verb(&other),
                });
            }
        };
        let sub_prefix = concat_prefix(prefix, node.name());
        coalesce_globals(&sub_values, dest, &sub_prefix, warnings);
        coalesce(sub, &sub_values, &sub_prefix, merge, warnings)?;
    }
    Ok(())
}

/// Go's `%t` of a non-boolean: `%!t(string=x)`.
fn go_bad_bool_verb(v: &Value) -> String {
    match v {
        Value::Nil => "%!t(<nil>)".to_string(),
        Value::Bool(b) => b.to_string(),
        other => format!("%!t({}={})", gotmpl::fmt::type_name(other), show(other)),
    }
}

/// Copy the parent's (`src`) globals into the subchart's values (`dest`).
fn coalesce_globals(dest: &Table, src: &Table, prefix: &str, warnings: &mut Warnings) {
    let dest_global = dest.borrow().get(GLOBAL_KEY).cloned();
    let dg = match dest_global {
        None => new_table(),
        Some(Value::Map(m)) => m,
        Some(_) => {
            warnings.push(format!(
                "warning: skipping globals because destination {GLOBAL_KEY} is not a table."
            ));
            return;
        }
    };
    let src_global = src.borrow().get(GLOBAL_KEY).cloned();
    let sg = match src_global {
        None => new_table(),
        Some(Value::Map(m)) => m,
        Some(_) => {
            warnings.push(format!(
                "warning: skipping globals because source {GLOBAL_KEY} is not a table."
            ));
            return;
        }
    };
    for (key, val) in entries(&sg) {
        if let Value::Map(src_map) = &val {
            // A shallow copy, as Helm's copyMap: nested maps stay shared.
            let vv: Table = Rc::new(RefCell::new(src_map.borrow().clone()));
            let existing = dg.borrow().get(&key).cloned();
            match existing {
                None => {
                    dg.borrow_mut().insert(key, Value::Map(vv));
                }
                Some(Value::Map(dest_map)) => {
                    let sub_prefix = concat_prefix(prefix, &key);
                    coalesce_tables_full_key(&vv, &dest_map, &sub_prefix, true, warnings);
                    dg.borrow_mut().insert(key, Value::Map(vv));
                }
                Some(_) => warnings.push(format!(
                    "Conflict: cannot merge map onto non-map for {}. Skipping.",
                    gostd::strconv::quote(&key)
                )),
            }
        } else if dg.borrow().get(&key).is_some_and(is_table) {
            warnings.push(format!("key {key} is table. Skipping"));
        } else {
            dg.borrow_mut().insert(key, val);
        }
    }
    dest.borrow_mut()
        .insert(GLOBAL_KEY.to_string(), Value::Map(dg));
}

/// Whether `key` names a subchart of `node` (its values merge keeping nulls).
fn child_chart_merge_true(node: &Node<'_>, key: &str, merge: bool) -> bool {
    node.deps.iter().any(|d| d.name() == key) || merge
}

/// Merge the chart's default values under `v`. Helm merges a deep copy of
/// them; here only the parts `v` takes are copied, which gives the same `v`
/// (the copy is never seen again) without copying what `v` already has.
fn coalesce_chart_values(
    node: &Node<'_>,
    v: &Table,
    prefix: &str,
    merge: bool,
    warnings: &mut Warnings,
) {
    let sub_prefix = concat_prefix(prefix, node.name());
    let Value::Map(defaults) = &node.values else {
        return;
    };
    for (key, val) in entries(defaults) {
        let existing = v.borrow().get(&key).cloned();
        match existing {
            Some(Value::Nil) if !merge => {
                v.borrow_mut().remove(&key);
            }
            Some(Value::Map(dest)) => match &val {
                Value::Map(src) => {
                    let merge = child_chart_merge_true(node, &key, merge);
                    coalesce_tables_from_shared(
                        &dest,
                        src,
                        &concat_prefix(&sub_prefix, &key),
                        merge,
                        warnings,
                    );
                }
                Value::Nil => {}
                _ => warnings.push(format!(
                    "warning: skipped value for {sub_prefix}.{key}: Not a table."
                )),
            },
            Some(_) => {}
            None => {
                v.borrow_mut().insert(key, deep_copy(&val));
            }
        }
    }
}

/// [`coalesce_tables_full_key`] for a `src` that must stay as it is (a
/// chart's own defaults): what `dst` takes from it is deep-copied. The
/// result in `dst` is the same as merging a deep copy of `src`.
fn coalesce_tables_from_shared(
    dst: &Table,
    src: &Table,
    prefix: &str,
    merge: bool,
    warnings: &mut Warnings,
) {
    if Rc::ptr_eq(dst, src) {
        return;
    }
    for (key, val) in entries(src) {
        let existing = dst.borrow().get(&key).cloned();
        match existing {
            Some(Value::Nil) if !merge => {
                dst.borrow_mut().remove(&key);
            }
            None => {
                dst.borrow_mut().insert(key, deep_copy(&val));
            }
            Some(dv) => coalesce_existing(
                &dv,
                &val,
                &concat_prefix(prefix, &key),
                merge,
                warnings,
                |dst_map, src_map, full_key, merge, warnings| {
                    coalesce_tables_from_shared(dst_map, src_map, full_key, merge, warnings)
                },
            ),
        }
    }
}

/// Helm's `coalesceTablesFullKey`: `src` merged under `dst` (`dst` wins).
/// Without `merge`, a `null` in `dst` deletes the key where `src` has it;
/// a `null` over a key `src` lacks stays, a nil value (`kindOf` says
/// `invalid`).
pub(crate) fn coalesce_tables_full_key(
    dst: &Table,
    src: &Table,
    prefix: &str,
    merge: bool,
    warnings: &mut Warnings,
) {
    if Rc::ptr_eq(dst, src) {
        return;
    }
    for (key, val) in entries(src) {
        let full_key = concat_prefix(prefix, &key);
        let existing = dst.borrow().get(&key).cloned();
        match existing {
            Some(Value::Nil) if !merge => {
                dst.borrow_mut().remove(&key);
            }
            None => {
                dst.borrow_mut().insert(key, val);
            }
            Some(dv) => coalesce_existing(
                &dv,
                &val,
                &full_key,
                merge,
                warnings,
                coalesce_tables_full_key,
            ),
        }
    }
}

/// A key both tables have: tables merge (by `recurse`), anything else keeps
/// `dst`'s value, with Helm's warnings for a table meeting a non-table.
fn coalesce_existing(
    dv: &Value,
    val: &Value,
    full_key: &str,
    merge: bool,
    warnings: &mut Warnings,
    recurse: impl FnOnce(&Table, &Table, &str, bool, &mut Warnings),
) {
    if let Value::Map(src_map) = val {
        if let Value::Map(dst_map) = dv {
            recurse(dst_map, src_map, full_key, merge, warnings);
        } else {
            warnings.push(format!(
                "warning: cannot overwrite table with non table for {full_key} ({})",
                show(val)
            ));
        }
    } else if is_table(dv) && !matches!(val, Value::Nil) {
        warnings.push(format!(
            "warning: destination for {full_key} is a table. Ignoring non-table value ({})",
            show(val)
        ));
    }
}

/// Helm's `MergeTables` (nulls kept).
pub(crate) fn merge_tables(dst: &Table, src: &Table, warnings: &mut Warnings) {
    coalesce_tables_full_key(dst, src, "", true, warnings);
}

/// Helm's `Values.Table("a.b")`: the map at a dotted path.
pub(crate) fn table_at(values: &Table, path: &str) -> Option<Table> {
    let mut current = values.clone();
    for part in path.split('.') {
        let next = match current.borrow().get(part) {
            Some(Value::Map(m)) => m.clone(),
            _ => return None,
        };
        current = next;
    }
    Some(current)
}

/// Helm's `Values.PathValue("a.b")`: a non-table value at a dotted path.
pub(crate) fn path_value(values: &Table, path: &str) -> Option<Value> {
    if path.is_empty() {
        return None;
    }
    let (table, key) = match path.rsplit_once('.') {
        Some((parent, key)) => (table_at(values, parent)?, key),
        None => (values.clone(), path),
    };
    let v = table.borrow().get(key).cloned()?;
    if is_table(&v) { None } else { Some(v) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::Chart;
    use crate::metadata::Metadata;

    fn chart(name: &str, values: serde_json::Value, deps: Vec<Chart>) -> Chart {
        Chart {
            metadata: Metadata {
                name: name.into(),
                version: "1.0.0".into(),
                api_version: "v2".into(),
                ..Default::default()
            },
            values: values.as_object().cloned().unwrap_or_default(),
            dependencies: deps,
            ..Default::default()
        }
    }

    fn coalesced(c: &Chart, user: serde_json::Value) -> serde_json::Value {
        let node = Node::new(c);
        let mut w = Vec::new();
        let t = coalesce_values(&node, &Value::from_json(&user), &mut w).unwrap();
        Value::Map(t).to_json()
    }

    #[test]
    fn user_values_win_and_null_deletes() {
        let c = chart(
            "top",
            serde_json::json!({"a": {"b": 1, "c": 2}, "d": "x", "e": 1}),
            vec![],
        );
        let out = coalesced(
            &c,
            serde_json::json!({"a": {"b": 5, "c": null}, "d": null, "z": null}),
        );
        assert_eq!(out, serde_json::json!({"a": {"b": 5}, "e": 1.0, "z": null}));
    }

    #[test]
    fn coalescing_copies_what_it_takes_and_leaves_the_defaults_alone() {
        let c = chart(
            "top",
            serde_json::json!({"a": {"b": 1, "c": 2, "n": {"x": 1}}, "l": [{"k": 1}]}),
            vec![],
        );
        let node = Node::new(&c);
        let mut w = Vec::new();
        let user = serde_json::json!({"a": {"b": 5, "c": null, "y": null}});
        let t = coalesce_values(&node, &Value::from_json(&user), &mut w).unwrap();
        assert_eq!(
            Value::Map(t.clone()).to_json(),
            // `y` has no default: Helm 3.17 keeps the user's null.
            serde_json::json!({"a": {"b": 5, "n": {"x": 1.0}, "y": null}, "l": [{"k": 1.0}]})
        );
        // Changing the result (as `set` in a template does) must not reach
        // the chart's defaults: what was taken from them is a copy.
        let Some(Value::Map(a)) = t.borrow().get("a").cloned() else {
            panic!()
        };
        let Some(Value::Map(n)) = a.borrow().get("n").cloned() else {
            panic!()
        };
        n.borrow_mut().insert("x".into(), Value::Int(9));
        let Some(Value::List(l)) = t.borrow().get("l").cloned() else {
            panic!()
        };
        let Value::Map(item) = &l[0] else { panic!() };
        item.borrow_mut().insert("k".into(), Value::Int(9));
        let again = coalesce_values(&node, &Value::Nil, &mut w).unwrap();
        assert_eq!(
            Value::Map(again).to_json(),
            serde_json::json!({"a": {"b": 1.0, "c": 2.0, "n": {"x": 1.0}}, "l": [{"k": 1.0}]})
        );
    }

    #[test]
    fn globals_flow_into_subcharts() {
        let sub = chart(
            "sub",
            serde_json::json!({"k": 1, "global": {"g2": "sub"}}),
            vec![],
        );
        let c = chart(
            "top",
            serde_json::json!({"global": {"g": "top"}, "sub": {"k": 2}}),
            vec![sub],
        );
        let out = coalesced(&c, serde_json::json!({}));
        assert_eq!(
            out,
            serde_json::json!({
                "global": {"g": "top"},
                "sub": {"k": 2.0, "global": {"g": "top", "g2": "sub"}}
            })
        );
    }

    #[test]
    fn subchart_values_must_be_tables() {
        let sub = chart("sub", serde_json::json!({}), vec![]);
        let c = chart("top", serde_json::json!({}), vec![sub]);
        let node = Node::new(&c);
        let mut w = Vec::new();
        let err = coalesce_values(
            &node,
            &Value::from_json(&serde_json::json!({"sub": "x"})),
            &mut w,
        )
        .unwrap_err();
        assert_eq!(err.to_string(), "type mismatch on sub: %!t(string=x)");
    }

    #[test]
    fn paths_and_tables() {
        let v = Value::from_json(&serde_json::json!({"a": {"b": {"c": true}}, "x": 1}));
        let t = as_table(&v).unwrap();
        assert!(table_at(&t, "a.b").is_some());
        assert!(table_at(&t, "a.q").is_none());
        assert!(matches!(path_value(&t, "a.b.c"), Some(Value::Bool(true))));
        assert!(path_value(&t, "a.b").is_none());
        assert!(matches!(path_value(&t, "x"), Some(Value::Int(1))));
    }

    #[test]
    fn deep_copy_copies_maps_and_shares_map_free_lists() {
        let inner = Value::map(Map::from([("a".to_string(), Value::Int(1))]));
        let scalars = Value::list(vec![Value::Int(1), Value::str("x")]);
        let with_map = Value::list(vec![inner.clone()]);
        let top = Value::map(Map::from([
            ("m".to_string(), inner.clone()),
            ("s".to_string(), scalars.clone()),
            ("l".to_string(), with_map),
        ]));
        let copy = deep_copy(&top);
        let Value::Map(c) = &copy else { panic!() };
        let c = c.borrow();
        // Maps are new, also inside lists: writing to them leaves the original alone.
        if let Some(Value::Map(m)) = c.get("m") {
            m.borrow_mut().insert("a".into(), Value::Int(2));
        }
        if let Some(Value::List(l)) = c.get("l")
            && let Value::Map(m) = &l[0]
        {
            m.borrow_mut().insert("a".into(), Value::Int(3));
        }
        let Value::Map(orig) = &inner else { panic!() };
        assert!(matches!(orig.borrow().get("a"), Some(Value::Int(1))));
        // A list of scalars is shared.
        match (c.get("s"), &scalars) {
            (Some(Value::List(a)), Value::List(b)) => assert!(Rc::ptr_eq(a, b)),
            _ => panic!("list expected"),
        }
    }
}
