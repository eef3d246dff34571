//! `KUBERNETES_PATCH_PATH`: object operations the operator performs after a
//! successful run. Parsed and validated here; executed by the operator.

use serde::Serialize;
use serde_json::{Map, Value};

use super::OutputError;
use crate::jq::JqFilter;

/// The `operation` of an object operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum OperationKind {
    /// Create; fail if it exists.
    Create,
    /// Create; ignore AlreadyExists.
    CreateIfNotExists,
    /// Create, or update an existing object (not `.status`).
    CreateOrUpdate,
    /// Delete with foreground propagation.
    Delete,
    /// Delete with background propagation.
    DeleteInBackground,
    /// Delete orphaning dependents.
    DeleteNonCascading,
    /// Get, apply a jq filter, update.
    JQPatch,
    /// RFC 7386 merge patch.
    MergePatch,
    /// RFC 6902 JSON patch.
    JSONPatch,
}

impl OperationKind {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "Create" => OperationKind::Create,
            "CreateIfNotExists" => OperationKind::CreateIfNotExists,
            "CreateOrUpdate" => OperationKind::CreateOrUpdate,
            "Delete" => OperationKind::Delete,
            "DeleteInBackground" => OperationKind::DeleteInBackground,
            "DeleteNonCascading" => OperationKind::DeleteNonCascading,
            "JQPatch" => OperationKind::JQPatch,
            "MergePatch" => OperationKind::MergePatch,
            "JSONPatch" => OperationKind::JSONPatch,
            _ => return None,
        })
    }

    fn is_create(self) -> bool {
        matches!(
            self,
            OperationKind::Create
                | OperationKind::CreateIfNotExists
                | OperationKind::CreateOrUpdate
        )
    }

    fn is_patch(self) -> bool {
        matches!(
            self,
            OperationKind::JQPatch | OperationKind::MergePatch | OperationKind::JSONPatch
        )
    }
}

/// One validated object operation. String forms of `object`, `mergePatch`
/// and `jsonPatch` are parsed into structured values here, so the operator
/// never sees text.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KubeOperation {
    /// Operation.
    pub operation: OperationKind,
    /// Target apiVersion (preferred version when absent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_version: Option<String>,
    /// Target kind.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Target namespace (empty = cluster-scoped).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Target name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Subresource (`status`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subresource: Option<String>,
    /// Object to create.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object: Option<Value>,
    /// jq program (JQPatch), checked to compile.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jq_filter: Option<String>,
    /// Merge patch (MergePatch).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merge_patch: Option<Value>,
    /// JSON patch (JSONPatch).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub json_patch: Option<Value>,
    /// Patch operations: succeed if the object is missing.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub ignore_missing_object: bool,
    /// Apply even if the hook failed (status patches).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub ignore_hook_error: bool,
}

/// Split the file into documents: concatenated JSON values (arrays are
/// flattened) or a YAML stream separated by `---`.
fn documents(file: &str, text: &str) -> Result<Vec<Value>, OutputError> {
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    let json: Result<Vec<Value>, _> = serde_json::Deserializer::from_str(text)
        .into_iter::<Value>()
        .collect();
    let docs = match json {
        Ok(docs) => docs,
        Err(json_err) => match goyaml::from_str_multi(text) {
            Ok(docs) => docs.into_iter().map(|d| d.value).collect(),
            Err(yaml_err) => {
                let looks_json = text.trim_start().starts_with(['{', '[']);
                return Err(OutputError::new(
                    file,
                    if looks_json {
                        format!("not JSON: {json_err}")
                    } else {
                        format!("not YAML: {yaml_err}")
                    },
                ));
            }
        },
    };
    let mut out = Vec::new();
    for d in docs {
        match d {
            Value::Array(items) => out.extend(items),
            Value::Null => {}
            other => out.push(other),
        }
    }
    Ok(out)
}

/// Parse and validate the operations file.
pub fn parse_kube_operations(file: &str, text: &str) -> Result<Vec<KubeOperation>, OutputError> {
    documents(file, text)?
        .into_iter()
        .enumerate()
        .map(|(i, doc)| {
            parse_operation(doc)
                .map_err(|m| OutputError::new(file, format!("operation {}: {m}", i + 1)))
        })
        .collect()
}

// This and the helpers below return the message of the `OutputError`
// their caller builds (naming the file and operation): a type would add
// nothing.
fn parse_operation(doc: Value) -> Result<KubeOperation, String> {
    let Value::Object(mut obj) = doc else {
        return Err(format!(
            "expected an object, got {}",
            crate::config::type_name(&doc)
        ));
    };
    let kind_text = take_string(&mut obj, "operation")?.ok_or("missing \"operation\"")?;
    let operation = OperationKind::parse(&kind_text).ok_or_else(|| {
        format!("unknown operation {kind_text:?} (expected Create, CreateIfNotExists, CreateOrUpdate, Delete, DeleteInBackground, DeleteNonCascading, JQPatch, MergePatch or JSONPatch)")
    })?;
    let mut op = KubeOperation {
        operation,
        api_version: take_string(&mut obj, "apiVersion")?,
        kind: take_string(&mut obj, "kind")?,
        namespace: take_string(&mut obj, "namespace")?,
        name: take_string(&mut obj, "name")?,
        subresource: take_string(&mut obj, "subresource")?,
        object: None,
        jq_filter: None,
        merge_patch: None,
        json_patch: None,
        ignore_missing_object: take_bool(&mut obj, "ignoreMissingObject")?,
        ignore_hook_error: take_bool(&mut obj, "ignoreHookError")?,
    };
    if operation.is_create() {
        let object = obj.remove("object").ok_or("missing \"object\"")?;
        let object = structured(object, "object")?;
        let Value::Object(o) = &object else {
            return Err("\"object\" must be a mapping".into());
        };
        for field in ["apiVersion", "kind"] {
            let present = o.get(field).and_then(Value::as_str).unwrap_or("");
            if present.is_empty() {
                return Err(format!("\"object\" has no {field}"));
            }
        }
        let meta = o.get("metadata");
        let named = ["name", "generateName"].iter().any(|k| {
            meta.and_then(|m| m.get(*k))
                .and_then(Value::as_str)
                .is_some_and(|s| !s.is_empty())
        });
        if !named {
            return Err("\"object\" has no metadata.name".into());
        }
        op.object = Some(object);
    } else {
        if op.kind.as_deref().is_none_or(str::is_empty) {
            return Err("missing \"kind\"".into());
        }
        if op.name.as_deref().is_none_or(str::is_empty) {
            return Err("missing \"name\"".into());
        }
    }
    match operation {
        OperationKind::JQPatch => {
            let filter = take_string(&mut obj, "jqFilter")?.ok_or("missing \"jqFilter\"")?;
            JqFilter::compile(&filter).map_err(|e| format!("jqFilter: {e}"))?;
            op.jq_filter = Some(filter);
        }
        OperationKind::MergePatch => {
            let patch = obj.remove("mergePatch").ok_or("missing \"mergePatch\"")?;
            let patch = structured(patch, "mergePatch")?;
            if !patch.is_object() {
                return Err("\"mergePatch\" must be a mapping".into());
            }
            op.merge_patch = Some(patch);
        }
        OperationKind::JSONPatch => {
            let patch = obj.remove("jsonPatch").ok_or("missing \"jsonPatch\"")?;
            let patch = structured(patch, "jsonPatch")?;
            serde_json::from_value::<json_patch::Patch>(patch.clone())
                .map_err(|e| format!("\"jsonPatch\" is not a JSON Patch: {e}"))?;
            op.json_patch = Some(patch);
        }
        _ => {}
    }
    if op.ignore_missing_object && !operation.is_patch() {
        return Err("\"ignoreMissingObject\" applies only to patch operations".into());
    }
    if let Some(extra) = obj.keys().next() {
        return Err(format!("unknown field {extra:?} for {kind_text}"));
    }
    Ok(op)
}

/// A field given as a mapping, or as a string holding JSON or YAML.
fn structured(v: Value, field: &str) -> Result<Value, String> {
    match v {
        Value::String(text) => goyaml::from_str(&text)
            .map_err(|e| format!("\"{field}\" string is not JSON or YAML: {e}")),
        other => Ok(other),
    }
}

fn take_string(obj: &mut Map<String, Value>, key: &str) -> Result<Option<String>, String> {
    match obj.remove(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(format!("\"{key}\" must be a string")),
    }
}

fn take_bool(obj: &mut Map<String, Value>, key: &str) -> Result<bool, String> {
    match obj.remove(key) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(b),
        Some(_) => Err(format!("\"{key}\" must be a boolean")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_operation_in_json_and_yaml() {
        let json = r#"{"operation":"Create","object":{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"}}}
{"operation":"CreateIfNotExists","object":"{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"a\"}}"}
[{"operation":"CreateOrUpdate","object":"apiVersion: v1\nkind: Secret\nmetadata: {name: s}"},
 {"operation":"Delete","kind":"Pod","namespace":"x","name":"p"},
 {"operation":"DeleteInBackground","kind":"Pod","name":"p"},
 {"operation":"DeleteNonCascading","apiVersion":"apps/v1","kind":"Deployment","name":"d"}]
{"operation":"JQPatch","kind":"ConfigMap","name":"a","jqFilter":".data.x = \"1\"","ignoreMissingObject":true}
{"operation":"MergePatch","kind":"Deployment","name":"d","mergePatch":{"spec":{"replicas":2}}}
{"operation":"MergePatch","kind":"Deployment","name":"d","subresource":"status","ignoreHookError":true,"mergePatch":"status: {ready: true}"}
{"operation":"JSONPatch","kind":"Pod","name":"p","jsonPatch":"[{\"op\":\"remove\",\"path\":\"/metadata/labels/a\"}]"}"#;
        let ops = parse_kube_operations("k", json).unwrap();
        assert_eq!(ops.len(), 10);
        assert_eq!(ops[1].object.as_ref().unwrap()["kind"], "ConfigMap");
        assert_eq!(ops[2].object.as_ref().unwrap()["kind"], "Secret");
        assert_eq!(
            ops[8].merge_patch.as_ref().unwrap()["status"]["ready"],
            true
        );
        assert!(ops[8].ignore_hook_error);
        let yaml = "operation: Delete\nkind: Pod\nname: a\n---\noperation: DeleteInBackground\nkind: Pod\nname: b\n";
        let ops = parse_kube_operations("k", yaml).unwrap();
        assert_eq!(ops[1].operation, OperationKind::DeleteInBackground);
    }

    #[test]
    fn rejects_invalid_operations() {
        let cases = [
            (r#"{"operation":"Frobnicate"}"#, "unknown operation"),
            (r#"{"kind":"Pod"}"#, "operation"),
            (r#"{"operation":"Create"}"#, "object"),
            (
                r#"{"operation":"Create","object":{"kind":"Pod","metadata":{"name":"a"}}}"#,
                "apiVersion",
            ),
            (
                r#"{"operation":"Create","object":{"apiVersion":"v1","kind":"Pod"}}"#,
                "metadata.name",
            ),
            (r#"{"operation":"Delete","kind":"Pod"}"#, "name"),
            (
                r#"{"operation":"JQPatch","kind":"Pod","name":"a","jqFilter":".a |"}"#,
                "jqFilter",
            ),
            (
                r#"{"operation":"JSONPatch","kind":"Pod","name":"a","jsonPatch":[{"op":"nope"}]}"#,
                "JSON Patch",
            ),
            (
                r#"{"operation":"MergePatch","kind":"Pod","name":"a","mergePatch":[1]}"#,
                "mapping",
            ),
            (
                r#"{"operation":"Delete","kind":"Pod","name":"a","ignoreMissingObject":true}"#,
                "patch operations",
            ),
            (
                r#"{"operation":"Delete","kind":"Pod","name":"a","extra":1}"#,
                "unknown field",
            ),
            (r#"{"operation":"Delete","kind":"Pod","name":7}"#, "string"),
            ("{ garbage", "not JSON"),
            ("- [unclosed", "not YAML"),
        ];
        for (text, what) in cases {
            let e = parse_kube_operations("KUBERNETES_PATCH_PATH", text)
                .unwrap_err()
                .to_string();
            assert!(
                e.contains(what) && e.contains("KUBERNETES_PATCH_PATH"),
                "{text}: {e}"
            );
        }
    }
}
