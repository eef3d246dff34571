//! Helm's template engine (`pkg/engine`): every template of every chart
//! parsed into one set (deepest paths first, so a parent's `define`
//! overrides a subchart's), then each non-partial template executed with
//! its own chart's render context, `<no value>` erased, and errors
//! reworded as Helm words them.

use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

use gotmpl::{Map, Value};

use crate::error::{Error, TemplateCause, TemplateError};
use crate::files::Files;
use crate::funcs::{self, WARN_END, WARN_START};
use crate::node::Node;
use crate::objects::ChartObject;

/// Go's `text/template` `maxExecDepth`.
const GO_MAX_EXEC_DEPTH: usize = 100_000;

/// The render context of one template's chart.
struct Context {
    context: Value,
    base_path: String,
}

/// One template's source: its full path (`top/charts/sub/templates/x.yaml`)
/// and its text, shared with the loaded chart.
pub(crate) struct Source {
    name: String,
    data: crate::chart::Content,
}

/// The full path of each chart: `top`, `top/charts/sub`, ...
fn full_path(parent: Option<&str>, name: &str) -> String {
    match parent {
        None => name.to_string(),
        Some(p) => format!("{p}/charts/{name}"),
    }
}

/// The templates a chart contributes: all of them, or only the `_`
/// partials of a library chart.
fn renderable_templates<'c>(node: &Node<'c>) -> impl Iterator<Item = &'c crate::chart::File> {
    let library = node.meta.is_library();
    node.chart.templates.iter().filter(move |t| {
        let base = t.name.rsplit('/').next().unwrap_or(&t.name);
        !library || base.starts_with('_')
    })
}

/// Every template of the tree (after dependency processing), in Helm's
/// parse order. Helm gathers them in a map by full path, so when two
/// subcharts resolve to the same path the one visited last wins, as the
/// contexts of [`collect`] do.
pub(crate) fn sources(root: &Node<'_>) -> Vec<Source> {
    fn walk(
        node: &Node<'_>,
        parent: Option<&str>,
        out: &mut HashMap<String, crate::chart::Content>,
    ) {
        let path = full_path(parent, node.name());
        for dep in &node.deps {
            walk(dep, Some(&path), out);
        }
        for t in renderable_templates(node) {
            out.insert(format!("{path}/{}", t.name), t.content.clone());
        }
    }
    let mut by_path = HashMap::new();
    walk(root, None, &mut by_path);
    let mut out: Vec<Source> = by_path
        .into_iter()
        .map(|(name, data)| Source { name, data })
        .collect();
    sort_parse_order(&mut out);
    out
}

/// Helm's `recAllTpls`: build each chart's context (`.Chart`, `.Files`,
/// `.Release`, `.Capabilities`, `.Values` scoped to the chart,
/// `.Subcharts`) and record it for each of its templates.
fn collect(
    node: &Node<'_>,
    parent_path: Option<&str>,
    parent_context: &Value,
    out: &mut HashMap<String, Context>,
) -> Value {
    let is_root = parent_path.is_none();
    let parent = match parent_context {
        Value::Map(m) => m.borrow().clone(),
        _ => Map::new(),
    };
    let subcharts = Value::map(Map::new());
    let values = if is_root {
        parent
            .get("Values")
            .cloned()
            .unwrap_or_else(|| Value::map(Map::new()))
    } else {
        match parent.get("Values") {
            Some(Value::Map(v)) => crate::coalesce::table_at(v, node.name())
                .map(Value::Map)
                .unwrap_or_else(|| Value::map(Map::new())),
            _ => Value::map(Map::new()),
        }
    };
    let files = Files::new(node.chart.files.iter().cloned());
    let mut next = Map::new();
    next.insert("Chart".into(), ChartObject::value(&node.meta, is_root));
    next.insert("Files".into(), Value::Object(Rc::new(files)));
    next.insert(
        "Release".into(),
        parent.get("Release").cloned().unwrap_or_default(),
    );
    next.insert(
        "Capabilities".into(),
        parent.get("Capabilities").cloned().unwrap_or_default(),
    );
    next.insert("Values".into(), values);
    next.insert("Subcharts".into(), subcharts.clone());
    let context = Value::map(next);
    let path = full_path(parent_path, node.name());
    for dep in &node.deps {
        let child = collect(dep, Some(&path), &context, out);
        if let Value::Map(s) = &subcharts {
            s.borrow_mut().insert(dep.name().to_string(), child);
        }
    }
    for t in renderable_templates(node) {
        out.insert(
            format!("{path}/{}", t.name),
            Context {
                context: context.clone(),
                base_path: format!("{path}/templates"),
            },
        );
    }
    context
}

/// Helm's `sortTemplates`: more path segments first, then reverse lexical.
fn sort_parse_order(sources: &mut [Source]) {
    sources.sort_by(|a, b| {
        let (ca, cb) = (a.name.matches('/').count(), b.name.matches('/').count());
        cb.cmp(&ca).then_with(|| b.name.cmp(&a.name))
    });
}

/// Helm's `cleanupParseError`.
fn parse_error(file: &str, err: &gotmpl::ParseError) -> Error {
    let message = parse_error_text(file, &err.to_string());
    Error::Render(TemplateError::with_cause(
        message,
        TemplateCause::Parse(err.clone()),
    ))
}

fn parse_error_text(file: &str, err: &str) -> String {
    let tokens: Vec<&str> = err.split(": ").collect();
    if tokens.len() == 1 {
        return format!("parse error in ({file}): {err}");
    }
    format!(
        "parse error at ({}): {}",
        tokens[1],
        tokens[tokens.len() - 1]
    )
}

/// Helm's `reformatExecErrorMsg`: `required`/`fail` messages become
/// `execution error at (LOCATION): MESSAGE`; other errors stay Go's.
fn exec_error(file: &str, err: &gotmpl::ExecError) -> Error {
    let message = exec_error_text(file, &err.to_string());
    Error::Render(TemplateError::with_cause(
        message,
        TemplateCause::Exec(err.clone()),
    ))
}

fn exec_error_text(file: &str, err: &str) -> String {
    let tokens: Vec<&str> = err.splitn(3, ": ").collect();
    if tokens.len() != 3 {
        return format!("execution error in ({file}): {err}");
    }
    if let Some(start) = tokens[2].find(WARN_START)
        && let Some(end) = tokens[2].rfind(WARN_END)
        && end >= start + WARN_START.len()
    {
        let msg = &tokens[2][start + WARN_START.len()..end];
        return format!("execution error at ({}): {msg}", tokens[1]);
    }
    err.to_string()
}

/// The parsed templates of a tree, in the order Helm executes them.
pub(crate) struct Parsed {
    set: gotmpl::Templates,
    order: Vec<String>,
}

/// Parse every template (from [`sources`]) into one set, in order, so a
/// parent's `define` overrides a subchart's. Needs no values; it runs
/// after they are validated, since Helm reports schema errors first.
pub(crate) fn parse(sources: Vec<Source>) -> Result<Parsed, Error> {
    let mut set = gotmpl::Templates::new(funcs::helm_funcs()).with_name("gotpl");
    set.set_missing_key(gotmpl::MissingKey::Zero);
    // Go's own nesting limit (`maxExecDepth`); Helm's per-name `include`
    // limit (funcs::INCLUDE_RECURSION_MAX) trips first for runaway includes.
    set.options_mut().max_template_depth = GO_MAX_EXEC_DEPTH;
    let mut order = Vec::with_capacity(sources.len());
    for source in sources {
        let text = crate::chart::lossy(source.data.get()?);
        set.parse(&source.name, &text)
            .map_err(|e| parse_error(&source.name, &e))?;
        order.push(source.name);
    }
    Ok(Parsed { set, order })
}

/// Execute every non-partial template of the tree with its chart's
/// context (`top` holds `.Release`, `.Capabilities` and the root's
/// `.Values`); returns rendered text by template path.
pub(crate) fn execute(
    root: &Node<'_>,
    parsed: &Parsed,
    top: &Value,
) -> Result<BTreeMap<String, String>, Error> {
    let mut contexts = HashMap::new();
    collect(root, None, top, &mut contexts);
    let mut rendered = BTreeMap::new();
    for name in &parsed.order {
        let base = name.rsplit('/').next().unwrap_or(name);
        if base.starts_with('_') {
            continue;
        }
        // Both walks visit the same tree, so every source has a context.
        let Some(r) = contexts.get(name) else {
            debug_assert!(false, "no context for {name}");
            continue;
        };
        if let Value::Map(ctx) = &r.context {
            let mut t = Map::new();
            t.insert("Name".into(), Value::str(name));
            t.insert("BasePath".into(), Value::str(&r.base_path));
            ctx.borrow_mut().insert("Template".into(), Value::map(t));
        }
        let out = parsed
            .set
            .execute(name, &r.context)
            .map_err(|e| exec_error(name, &e))?;
        let out = if out.contains("<no value>") {
            out.replace("<no value>", "")
        } else {
            out
        };
        rendered.insert(name.clone(), out);
    }
    Ok(rendered)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_order_is_deepest_first_then_reverse_lexical() {
        let mut sources: Vec<Source> = [
            "a/templates/x.yaml",
            "a/templates/b.yaml",
            "a/charts/s/templates/z.yaml",
        ]
        .into_iter()
        .map(|name| Source {
            name: name.to_string(),
            data: crate::chart::Content::Loaded(std::sync::Arc::from(&b""[..])),
        })
        .collect();
        sort_parse_order(&mut sources);
        let order: Vec<&str> = sources.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            order,
            [
                "a/charts/s/templates/z.yaml",
                "a/templates/x.yaml",
                "a/templates/b.yaml"
            ]
        );
    }

    #[test]
    fn errors_are_reworded_like_helm() {
        let e = exec_error_text(
            "c/templates/x.yaml",
            "template: c/templates/x.yaml:3:4: executing \"c/templates/x.yaml\" at <required \"m\" .Values.x>: error calling required: HELM_ERR_STARTa value is requiredHELM_ERR_END",
        );
        assert_eq!(
            e.to_string(),
            "execution error at (c/templates/x.yaml:3:4): a value is required"
        );
        let e = parse_error_text(
            "c/templates/x.yaml",
            "template: c/templates/x.yaml:1: function \"nope\" not defined",
        );
        assert_eq!(
            e.to_string(),
            "parse error at (c/templates/x.yaml:1): function \"nope\" not defined"
        );
    }
}
