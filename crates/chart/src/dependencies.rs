//! Helm's dependency processing before a render
//! (`chartutil.ProcessDependenciesWithMerge`): aliases, `condition` and
//! `tags` enabling, then `import-values` from children into parents.

use gotmpl::Value;

use crate::coalesce::{self, Table, Warnings};
use crate::error::DependencyError;
use crate::node::Node;
use crate::semver::is_compatible_range;

/// Enable/disable and alias subcharts, then import values, recursively.
pub(crate) fn process(
    root: &mut Node<'_>,
    user_values: &Value,
    warnings: &mut Warnings,
) -> Result<(), DependencyError> {
    process_enabled(root, user_values, "", warnings)?;
    process_import_values_tree(root, warnings)
}

/// The subchart copy a dependency entry resolves to (renamed to its alias).
fn alias_dependency<'a>(
    charts: &[Node<'a>],
    dep: &crate::metadata::Dependency,
) -> Option<Node<'a>> {
    for c in charts {
        if c.name() != dep.name || !is_compatible_range(&dep.version, &c.meta.version) {
            continue;
        }
        let mut out = c.clone();
        if !dep.alias.is_empty() {
            out.meta.name = dep.alias.clone();
        }
        return Some(out);
    }
    None
}

fn process_enabled(
    node: &mut Node<'_>,
    values: &Value,
    path: &str,
    warnings: &mut Warnings,
) -> Result<(), DependencyError> {
    let Some(mut reqs) = node.meta.dependencies.take() else {
        return Ok(());
    };
    let mut chart_deps: Vec<Node<'_>> = Vec::new();
    for existing in &node.deps {
        let listed = reqs.iter().any(|r| {
            existing.name() == r.name && is_compatible_range(&r.version, &existing.meta.version)
        });
        if !listed {
            chart_deps.push(existing.clone());
        }
    }
    for req in reqs.iter_mut() {
        if let Some(dep) = alias_dependency(&node.deps, req) {
            chart_deps.push(dep);
        }
        if !req.alias.is_empty() {
            req.name = req.alias.clone();
        }
    }
    node.deps = chart_deps;
    for r in reqs.iter_mut() {
        r.enabled = true;
    }
    node.meta.dependencies = Some(reqs);
    let cvals = coalesce::coalesce_values(node, values, warnings)?;
    let reqs = node.meta.dependencies.as_mut().expect("set just above");
    process_tags(reqs, &cvals, warnings);
    process_conditions(reqs, &cvals, path, warnings);
    let removed: Vec<String> = reqs
        .iter()
        .filter(|r| !r.enabled)
        .map(|r| r.name.clone())
        .collect();
    reqs.retain(|r| !removed.contains(&r.name));
    node.deps.retain(|d| !removed.contains(&d.meta.name));
    let cvals = Value::Map(cvals);
    for sub in node.deps.iter_mut() {
        let sub_path = format!("{path}{}.", sub.meta.name);
        process_enabled(sub, &cvals, &sub_path, warnings)?;
    }
    Ok(())
}

fn process_conditions(
    reqs: &mut [crate::metadata::Dependency],
    cvals: &Table,
    path: &str,
    warnings: &mut Warnings,
) {
    for r in reqs.iter_mut() {
        for cond in r.condition.trim().split(',') {
            if cond.is_empty() {
                continue;
            }
            match coalesce::path_value(cvals, &format!("{path}{cond}")) {
                Some(Value::Bool(b)) => {
                    r.enabled = b;
                    break;
                }
                Some(_) => warnings.push(format!(
                    "Warning: Condition path '{cond}' for chart {} returned non-bool value",
                    r.name
                )),
                None => {}
            }
        }
    }
}

fn process_tags(reqs: &mut [crate::metadata::Dependency], cvals: &Table, warnings: &mut Warnings) {
    let Some(tags) = coalesce::table_at(cvals, "tags") else {
        return;
    };
    let tags = tags.borrow();
    for r in reqs.iter_mut() {
        let (mut has_true, mut has_false) = (false, false);
        for k in &r.tags {
            match tags.get(k) {
                Some(Value::Bool(true)) => has_true = true,
                Some(Value::Bool(false)) => has_false = true,
                Some(_) => warnings.push(format!(
                    "Warning: Tag '{k}' for chart {} returned non-bool value",
                    r.name
                )),
                None => {}
            }
        }
        if !has_true && has_false {
            r.enabled = false;
        } else if has_true || !has_false {
            r.enabled = true;
        }
    }
}

fn process_import_values_tree(
    node: &mut Node<'_>,
    warnings: &mut Warnings,
) -> Result<(), DependencyError> {
    for d in node.deps.iter_mut() {
        process_import_values_tree(d, warnings)?;
    }
    process_import_values(node, warnings)
}

/// `import-values`: copy child tables into the parent's defaults, below
/// the parent's own values (the parent can override what it imports).
fn process_import_values(
    node: &mut Node<'_>,
    warnings: &mut Warnings,
) -> Result<(), DependencyError> {
    if node.meta.dependencies.is_none() {
        return Ok(());
    }
    let cvals = coalesce::merge_values(node, &Value::Nil, warnings)?;
    let imported = coalesce::new_table();
    let reqs = node.meta.dependencies.as_mut().expect("checked above");
    for r in reqs.iter_mut() {
        let mut normalized = Vec::new();
        for iv in &r.import_values {
            let (child, parent) = match iv {
                serde_json::Value::Object(m) => {
                    let field = |k: &'static str| match m.get(k) {
                        Some(serde_json::Value::String(s)) => Ok(s.clone()),
                        _ => Err(DependencyError::ImportValues {
                            dependency: r.name.clone(),
                            field: k,
                        }),
                    };
                    (field("child")?, field("parent")?)
                }
                serde_json::Value::String(s) => (format!("exports.{s}"), ".".to_string()),
                _ => continue,
            };
            normalized.push(serde_json::json!({"child": child, "parent": parent}));
            let Some(table) = coalesce::table_at(&cvals, &format!("{}.{child}", r.name)) else {
                warnings.push(format!(
                    "Warning: ImportValues missing table from chart {}: no table named {:?}",
                    r.name, child
                ));
                continue;
            };
            let source = coalesce::as_table(&coalesce::deep_copy(&Value::Map(table)))
                .unwrap_or_else(coalesce::new_table);
            let placed = path_to_map(&parent, source);
            coalesce::merge_tables(&imported, &placed, warnings);
        }
        r.import_values = normalized;
    }
    // Helm deep-copies `cvals` before merging the imports into it, so that
    // maps the coalescing shares (globals are copied shallowly) do not carry
    // an import to several places. With nothing imported there is nothing to
    // guard against: `cvals` is already a fresh copy, and every later use of
    // a chart's values copies them again before changing them.
    let base = if imported.borrow().is_empty() {
        cvals
    } else {
        coalesce::as_table(&coalesce::deep_copy(&Value::Map(cvals)))
            .unwrap_or_else(coalesce::new_table)
    };
    coalesce::merge_tables(&base, &imported, warnings);
    node.values = Value::Map(base);
    Ok(())
}

/// Helm's `pathToMap`: `a.b` + data → `{a: {b: data}}`; `.` is the data itself.
fn path_to_map(path: &str, data: Table) -> Table {
    if path == "." {
        return data;
    }
    let mut current = data;
    for part in path.split('.').rev() {
        let t = coalesce::new_table();
        t.borrow_mut().insert(part.to_string(), Value::Map(current));
        current = t;
    }
    current
}
