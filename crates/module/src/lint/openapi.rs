//! The `openapi` linter: schemas parse and compile with DKP's transforms,
//! defaults and `x-examples` validate, `highAvailability` has no default,
//! settings conversions are contiguous, translations parse.

use std::path::Path;

use serde_json::Value;

use crate::diagnostic::Finding;
use crate::schema::{self, Schema, SchemaKind};
use crate::yamlfile::{self, YamlFile};

const SCHEMA: &str = "openapi/schema";

/// Run the openapi linter's rules.
pub fn check(root: &Path, out: &mut Vec<Finding>) {
    let dir = root.join("openapi");
    if !dir.is_dir() {
        return;
    }
    let config = load(&dir.join("config-values.yaml"), out);
    let values = load(&dir.join("values.yaml"), out);
    let config_raw = config.as_ref().map(|f| f.doc.value.clone());
    if let Some(f) = &config {
        check_schema(f, None, SchemaKind::Config, out);
    }
    if let Some(f) = &values {
        if let Some(target) = f
            .doc
            .value
            .pointer("/x-extend/schema")
            .and_then(Value::as_str)
            && !dir.join(target).is_file()
        {
            out.push(f.finding_at(
                Finding::error(
                    SCHEMA,
                    &f.path,
                    format!("x-extend names `{target}`, which does not exist in openapi/"),
                ),
                "/x-extend/schema",
            ));
        }
        check_schema(f, config_raw.as_ref(), SchemaKind::Values, out);
    }
    conversions(&dir, config.as_ref(), out);
    translations(&dir, out);
}

fn load(path: &Path, out: &mut Vec<Finding>) -> Option<YamlFile> {
    if !path.exists() {
        return None;
    }
    match yamlfile::read(path, SCHEMA) {
        Ok(f) if f.doc.value.is_object() => Some(f),
        Ok(f) => {
            out.push(f.finding_at(
                Finding::error(SCHEMA, path, "expected an OpenAPI schema object"),
                "",
            ));
            None
        }
        Err(e) => {
            out.push(e);
            None
        }
    }
}

fn check_schema(f: &YamlFile, parent: Option<&Value>, kind: SchemaKind, out: &mut Vec<Finding>) {
    let prepared = schema::prepare(&f.doc.value, parent, kind);
    if let Err(e) = Schema::compile(prepared.clone()) {
        out.push(f.finding_at(Finding::error(SCHEMA, &f.path, e), ""));
        return;
    }
    // Every `default` must be valid where it stands.
    walk(&f.doc.value, String::new(), &mut |ptr, node| {
        if let Some(d) = node.get("default")
            && let Ok(sub) = schema::subschema(&prepared, ptr)
        {
            for v in sub.validate(d) {
                out.push(f.finding_at(
                    Finding::error(
                        "openapi/default",
                        &f.path,
                        format!("default does not match the schema: {v}"),
                    ),
                    &format!("{ptr}/default"),
                ));
            }
        }
        if let Some(Value::Object(props)) = node.get("properties")
            && let Some(ha) = props.get("highAvailability")
            && ha.get("default").is_some()
        {
            out.push(f.finding_at(
                Finding::error(
                    "openapi/high-availability",
                    &f.path,
                    "`highAvailability` must not have a default: the platform decides it from the cluster",
                ),
                &format!("{ptr}/properties/highAvailability/default"),
            ));
        }
        if let Some(Value::Object(props)) = node.get("properties") {
            for banned in ["default"] {
                if props.contains_key(banned) {
                    out.push(f.finding_at(
                        Finding::error(
                            "openapi/keys",
                            &f.path,
                            format!("`{banned}` is a banned property name"),
                        ),
                        &format!("{ptr}/properties/{banned}"),
                    ));
                }
            }
        }
        if node.get("x-kubernetes-validations").is_some() {
            out.push(f.finding_at(
                Finding::warning(
                    "openapi/deckhouse-validations",
                    &f.path,
                    "`x-kubernetes-validations` has no effect in openapi/: use `x-deckhouse-validations`",
                ),
                &format!("{ptr}/x-kubernetes-validations"),
            ));
        }
    });
    // x-examples validate against the schema of their node.
    for (ptr, examples) in schema::examples(&f.doc.value) {
        let Ok(sub) = schema::subschema(&prepared, &ptr) else {
            continue;
        };
        for (i, ex) in examples.iter().enumerate() {
            for v in sub.validate(ex) {
                out.push(f.finding_at(
                    Finding::error(
                        "openapi/examples",
                        &f.path,
                        format!("x-examples[{i}] does not match the schema: {v}"),
                    ),
                    &format!("{ptr}/x-examples/{i}"),
                ));
            }
        }
    }
}

/// Visit every schema node with its JSON pointer in the schema document.
fn walk(node: &Value, ptr: String, f: &mut dyn FnMut(&str, &Value)) {
    if !node.is_object() {
        return;
    }
    f(&ptr, node);
    for key in ["properties", "patternProperties", "definitions"] {
        if let Some(Value::Object(m)) = node.get(key) {
            for (k, v) in m {
                walk(
                    v,
                    format!("{ptr}/{key}/{}", k.replace('~', "~0").replace('/', "~1")),
                    f,
                );
            }
        }
    }
    for key in ["items", "additionalProperties"] {
        if let Some(v) = node.get(key) {
            walk(v, format!("{ptr}/{key}"), f);
        }
    }
}

fn conversions(dir: &Path, config: Option<&YamlFile>, out: &mut Vec<Finding>) {
    const RULE: &str = "openapi/conversions";
    let cdir = dir.join("conversions");
    let mut versions: Vec<(u64, std::path::PathBuf)> = std::fs::read_dir(&cdir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.path())
                .filter_map(|p| {
                    let stem = p.file_stem()?.to_str()?;
                    let n = stem.strip_prefix('v')?.parse().ok()?;
                    (p.extension()? == "yaml").then_some((n, p))
                })
                .collect()
        })
        .unwrap_or_default();
    if versions.is_empty() {
        return;
    }
    versions.sort();
    for (i, (n, path)) in versions.iter().enumerate() {
        let expected = i as u64 + 2;
        if *n != expected {
            out.push(Finding::error(
                RULE,
                path,
                format!("conversions must be v2..vN without gaps: expected v{expected}.yaml"),
            ));
        }
        let f = match yamlfile::read(path, RULE) {
            Ok(f) => f,
            Err(e) => {
                out.push(e);
                continue;
            }
        };
        if f.doc.value.get("version").and_then(Value::as_u64) != Some(*n) {
            out.push(f.finding_at(
                Finding::error(
                    RULE,
                    path,
                    format!("`version` must be {n}, as the file name says"),
                ),
                "/version",
            ));
        }
        if !f.doc.value.get("conversions").is_some_and(Value::is_array) {
            out.push(f.finding_at(
                Finding::error(RULE, path, "`conversions` must be a list of jq programs"),
                "/conversions",
            ));
        }
        for lang in ["en", "ru"] {
            if f.doc
                .value
                .pointer(&format!("/description/{lang}"))
                .and_then(Value::as_str)
                .is_none()
            {
                out.push(f.finding_at(
                    Finding::error(RULE, path, format!("`description.{lang}` is required")),
                    "/description",
                ));
            }
        }
    }
    let last = versions.last().map(|(n, _)| *n).unwrap_or(1);
    match config {
        Some(c) => match c.doc.value.get("x-config-version").and_then(Value::as_u64) {
            Some(v) if v == last => {}
            Some(v) => out.push(c.finding_at(
                Finding::error(
                    RULE,
                    &c.path,
                    format!("`x-config-version` is {v}, but the last conversion is v{last}"),
                ),
                "/x-config-version",
            )),
            None => out.push(c.finding_at(
                Finding::error(
                    RULE,
                    &c.path,
                    format!("`x-config-version: {last}` is required when conversions exist"),
                ),
                "",
            )),
        },
        None => out.push(Finding::error(
            RULE,
            dir.join("config-values.yaml"),
            "conversions exist but openapi/config-values.yaml does not",
        )),
    }
}

fn translations(dir: &Path, out: &mut Vec<Finding>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<_> = rd.filter_map(Result::ok).map(|e| e.path()).collect();
    paths.sort();
    for p in paths {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if name.starts_with("doc-ru-")
            && name.ends_with(".yaml")
            && let Err(e) = yamlfile::read(&p, "openapi/doc-ru-yaml")
        {
            out.push(e);
        }
    }
}
