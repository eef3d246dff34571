//! OpenAPI schemas of module values (module-layout §5), with DKP's semantics:
//! `x-extend`, `additionalProperties` false when absent, `default`s applied
//! while merging, `x-required-for-helm`, `x-examples`, `nullable`.
//!
//! Validation is done by the `jsonschema` crate on a schema rewritten into
//! plain JSON Schema (draft 4, which OpenAPI v3 schemas follow); every
//! violation carries the JSON pointer of the offending value.

use std::fmt;
use std::path::Path;

use serde_json::{Map, Value};

/// Which of a module's schemas.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SchemaKind {
    /// `openapi/config-values.yaml`: user settings.
    Config,
    /// `openapi/values.yaml`: effective values (usually `x-extend`s the config schema).
    Values,
    /// The values schema with `x-required-for-helm` turned into `required`,
    /// checked right before rendering.
    Helm,
}

/// One rule broken by a value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// JSON pointer of the offending value (relative to the validated object).
    pub pointer: String,
    /// The rule broken, as the validator words it.
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = if self.pointer.is_empty() {
            "/"
        } else {
            &self.pointer
        };
        write!(f, "{p}: {}", self.message)
    }
}

/// A compiled schema.
pub struct Schema {
    /// The schema after DKP's transforms, as validated.
    pub document: Value,
    validator: jsonschema::Validator,
}

impl fmt::Debug for Schema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Schema")
            .field("document", &self.document)
            .finish()
    }
}

impl Clone for Schema {
    fn clone(&self) -> Self {
        Schema::compile(self.document.clone()).expect("a schema that compiled once compiles again")
    }
}

impl Schema {
    /// Compile an already transformed schema document.
    pub fn compile(document: Value) -> Result<Schema, String> {
        let validator = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft4)
            .should_validate_formats(false)
            .build(&document)
            .map_err(|e| format!("invalid schema: {e}"))?;
        Ok(Schema {
            document,
            validator,
        })
    }

    /// Every violation of `value`, sorted by pointer.
    pub fn validate(&self, value: &Value) -> Vec<Violation> {
        let mut out: Vec<Violation> = self
            .validator
            .iter_errors(value)
            .map(|e| Violation {
                pointer: e.instance_path().to_string(),
                message: e.to_string(),
            })
            .collect();
        out.sort_by(|a, b| a.pointer.cmp(&b.pointer).then(a.message.cmp(&b.message)));
        out.dedup();
        out
    }

    /// Fill in `default`s (see [`apply_defaults`]).
    pub fn apply_defaults(&self, value: &mut Value) {
        apply_defaults(&self.document, value);
    }
}

/// The transforms DKP applies before validating, in order: `x-extend` from
/// the parent schema, then `additionalProperties: false` where absent, then
/// (for the Helm schema) `x-required-for-helm`. `nullable` becomes a
/// JSON-Schema type union.
pub fn prepare(raw: &Value, parent: Option<&Value>, kind: SchemaKind) -> Value {
    let mut s = raw.clone();
    if let Some(parent) = parent
        && s.get("x-extend").is_some()
    {
        extend(&mut s, parent);
    }
    disallow_additional(&mut s);
    if kind == SchemaKind::Helm {
        required_for_helm(&mut s);
    }
    nullable_to_type_union(&mut s);
    s
}

/// `x-extend`: copy `definitions`, `required`, `properties`,
/// `patternProperties`, `title`, `description` and every `x-*` key of the
/// parent into `s`; the child's own entries win.
fn extend(s: &mut Value, parent: &Value) {
    let (Some(obj), Some(par)) = (s.as_object_mut(), parent.as_object()) else {
        return;
    };
    for (key, pv) in par {
        let copy = matches!(
            key.as_str(),
            "definitions"
                | "properties"
                | "patternProperties"
                | "required"
                | "title"
                | "description"
        ) || key.starts_with("x-");
        if !copy || key == "x-extend" {
            continue;
        }
        match (obj.get_mut(key), pv) {
            (Some(Value::Object(mine)), Value::Object(theirs)) => {
                for (k, v) in theirs {
                    mine.entry(k.clone()).or_insert_with(|| v.clone());
                }
            }
            (Some(Value::Array(mine)), Value::Array(theirs)) => {
                for v in theirs {
                    if !mine.contains(v) {
                        mine.push(v.clone());
                    }
                }
            }
            (Some(_), _) => {}
            (None, v) => {
                obj.insert(key.clone(), v.clone());
            }
        }
    }
}

/// addon-operator's `AdditionalPropertiesTransformer`: a schema without
/// `additionalProperties` gets `false`; property schemas that had none get
/// `false` and are transformed in turn (those that declare it are left as
/// written, children included); `items` are transformed.
fn disallow_additional(s: &mut Value) {
    let Some(obj) = s.as_object_mut() else { return };
    if obj.get("x-kubernetes-preserve-unknown-fields") == Some(&Value::Bool(true)) {
        return;
    }
    obj.entry("additionalProperties")
        .or_insert(Value::Bool(false));
    if let Some(Value::Object(props)) = obj.get_mut("properties") {
        for prop in props.values_mut() {
            if prop.get("additionalProperties").is_none() {
                disallow_additional(prop);
            }
        }
    }
    match obj.get_mut("items") {
        Some(items @ Value::Object(_)) => disallow_additional(items),
        Some(Value::Array(list)) => list.iter_mut().for_each(disallow_additional),
        _ => {}
    }
}

/// `x-required-for-helm: [a, b]` adds `a` and `b` to `required`, at every level.
fn required_for_helm(s: &mut Value) {
    walk_schemas(s, &mut |node| {
        let Some(obj) = node.as_object_mut() else {
            return;
        };
        let Some(Value::Array(extra)) = obj.get("x-required-for-helm").cloned() else {
            return;
        };
        let req = obj
            .entry("required")
            .or_insert_with(|| Value::Array(vec![]));
        if let Value::Array(list) = req {
            for e in extra {
                if !list.contains(&e) {
                    list.push(e);
                }
            }
        }
    });
}

/// OpenAPI's `nullable: true` as a JSON-Schema `type` union.
fn nullable_to_type_union(s: &mut Value) {
    walk_schemas(s, &mut |node| {
        let Some(obj) = node.as_object_mut() else {
            return;
        };
        if obj.get("nullable") != Some(&Value::Bool(true)) {
            return;
        }
        if let Some(Value::String(t)) = obj.get("type").cloned() {
            obj.insert(
                "type".into(),
                Value::Array(vec![Value::String(t), Value::String("null".into())]),
            );
        }
        if let Some(Value::Array(e)) = obj.get_mut("enum")
            && !e.contains(&Value::Null)
        {
            e.push(Value::Null);
        }
    });
}

/// Visit every subschema (pre-order).
fn walk_schemas(s: &mut Value, f: &mut dyn FnMut(&mut Value)) {
    f(s);
    let Some(obj) = s.as_object_mut() else { return };
    for key in ["properties", "patternProperties", "definitions"] {
        if let Some(Value::Object(m)) = obj.get_mut(key) {
            m.values_mut().for_each(|v| walk_schemas(v, f));
        }
    }
    for key in ["items", "additionalProperties", "not"] {
        match obj.get_mut(key) {
            Some(v @ Value::Object(_)) => walk_schemas(v, f),
            Some(Value::Array(list)) => list.iter_mut().for_each(|v| walk_schemas(v, f)),
            _ => {}
        }
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        if let Some(Value::Array(list)) = obj.get_mut(key) {
            list.iter_mut().for_each(|v| walk_schemas(v, f));
        }
    }
}

/// Apply `default`s to `value` as addon-operator does (go-openapi): a missing
/// property with a `default` gets a copy of it; then every present object
/// property (including one just defaulted) and every list item is descended
/// into. Objects that are absent and have no default stay absent, so their
/// children's defaults do not apply. `patternProperties` defaults are not
/// applied (a known DKP limitation, kept for compatibility).
pub fn apply_defaults(schema: &Value, value: &mut Value) {
    let Some(s) = schema.as_object() else { return };
    match value {
        Value::Object(obj) => {
            if let Some(Value::Object(props)) = s.get("properties") {
                for (k, ps) in props {
                    if !obj.contains_key(k)
                        && let Some(d) = ps.get("default")
                    {
                        obj.insert(k.clone(), d.clone());
                    }
                    if let Some(child) = obj.get_mut(k) {
                        apply_defaults(ps, child);
                    }
                }
            }
            if let Some(add @ Value::Object(_)) = s.get("additionalProperties") {
                let declared = s.get("properties").and_then(Value::as_object);
                for (k, child) in obj.iter_mut() {
                    if declared.is_none_or(|d| !d.contains_key(k)) {
                        apply_defaults(add, child);
                    }
                }
            }
        }
        Value::Array(items) => {
            if let Some(is @ Value::Object(_)) = s.get("items") {
                items.iter_mut().for_each(|i| apply_defaults(is, i));
            }
        }
        _ => {}
    }
    for key in ["allOf"] {
        if let Some(Value::Array(list)) = s.get(key) {
            list.iter().for_each(|sub| apply_defaults(sub, value));
        }
    }
}

/// The defaults a schema gives an empty object.
pub fn defaults_of(schema: &Value) -> Value {
    let mut v = Value::Object(Map::new());
    apply_defaults(schema, &mut v);
    v
}

/// Every `x-examples` list in a schema, with the JSON pointer (into the
/// schema document) of the node that carries it.
pub fn examples(schema: &Value) -> Vec<(String, Vec<Value>)> {
    let mut out = Vec::new();
    collect_examples(schema, String::new(), &mut out);
    out
}

fn collect_examples(s: &Value, ptr: String, out: &mut Vec<(String, Vec<Value>)>) {
    let Some(obj) = s.as_object() else { return };
    match obj.get("x-examples") {
        Some(Value::Array(ex)) => out.push((ptr.clone(), ex.clone())),
        Some(other) => out.push((ptr.clone(), vec![other.clone()])),
        None => {}
    }
    for key in ["properties", "patternProperties", "definitions"] {
        if let Some(Value::Object(m)) = obj.get(key) {
            for (k, v) in m {
                collect_examples(
                    v,
                    format!("{ptr}/{key}/{}", k.replace('~', "~0").replace('/', "~1")),
                    out,
                );
            }
        }
    }
    for key in ["items", "additionalProperties"] {
        if let Some(v @ Value::Object(_)) = obj.get(key) {
            collect_examples(v, format!("{ptr}/{key}"), out);
        }
    }
}

/// Compile the subschema at `pointer` of a prepared schema document on its
/// own (with the root `definitions` so `$ref`s still resolve).
pub fn subschema(document: &Value, pointer: &str) -> Result<Schema, String> {
    let mut sub = document
        .pointer(pointer)
        .cloned()
        .ok_or_else(|| format!("no schema node at {pointer}"))?;
    if let (Some(defs), Some(obj)) = (document.get("definitions"), sub.as_object_mut()) {
        obj.entry("definitions").or_insert_with(|| defs.clone());
    }
    Schema::compile(sub)
}

/// Load a schema file (`openapi/*.yaml`) as raw data.
pub fn read_raw(path: &Path) -> Result<Option<Value>, goyaml::Error> {
    match std::fs::read_to_string(path) {
        Ok(text) => goyaml::from_str(&text).map(Some),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(goyaml::Error {
            pos: None,
            message: format!("cannot read {}: {e}", path.display()),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn config() -> Value {
        json!({
            "type": "object",
            "properties": {
                "replicas": {"type": "integer", "default": 1, "minimum": 1},
                "https": {"type": "object", "default": {}, "properties": {
                    "mode": {"type": "string", "default": "Disabled", "enum": ["Disabled", "CertManager"]}
                }},
                "nodeSelector": {"type": "object", "additionalProperties": {"type": "string"}},
                "absent": {"type": "object", "properties": {"x": {"type": "string", "default": "no"}}},
                "maybe": {"type": "string", "nullable": true}
            }
        })
    }

    #[test]
    fn defaults_fill_missing_and_descend_into_created_objects() {
        let s = Schema::compile(prepare(&config(), None, SchemaKind::Config)).unwrap();
        let mut v = json!({});
        s.apply_defaults(&mut v);
        assert_eq!(v, json!({"replicas": 1, "https": {"mode": "Disabled"}}));
    }

    #[test]
    fn additional_properties_false_when_absent() {
        let s = Schema::compile(prepare(&config(), None, SchemaKind::Config)).unwrap();
        let v = s.validate(&json!({"replicas": 0, "extra": 1, "https": {"mode": "Nope", "x": 1}, "nodeSelector": {"a": "b"}, "maybe": null}));
        let ptrs: Vec<&str> = v.iter().map(|x| x.pointer.as_str()).collect();
        assert_eq!(
            ptrs,
            vec!["", "/https", "/https/mode", "/replicas"],
            "{v:?}"
        );
        assert!(v[0].message.contains("extra"), "{}", v[0]);
    }

    #[test]
    fn x_extend_and_required_for_helm() {
        let values = json!({
            "x-extend": {"schema": "config-values.yaml"},
            "type": "object",
            "x-required-for-helm": ["internal"],
            "properties": {"internal": {"type": "object", "default": {}, "properties": {"cert": {"type": "string"}}}}
        });
        let prepared = prepare(&values, Some(&config()), SchemaKind::Values);
        let s = Schema::compile(prepared).unwrap();
        assert!(
            s.validate(&json!({"replicas": 2, "internal": {"cert": "x"}}))
                .is_empty()
        );
        assert_eq!(
            s.validate(&json!({"internal": {"bad": 1}}))[0].pointer,
            "/internal"
        );
        let helm = Schema::compile(prepare(&values, Some(&config()), SchemaKind::Helm)).unwrap();
        assert_eq!(helm.validate(&json!({"replicas": 1}))[0].pointer, "");
    }

    #[test]
    fn examples_are_found_with_their_node() {
        let s = json!({"type": "object", "properties": {"a": {"type": "object", "x-examples": [{"b": 1}]}}});
        assert_eq!(
            examples(&s),
            vec![("/properties/a".to_string(), vec![json!({"b": 1})])]
        );
    }
}
