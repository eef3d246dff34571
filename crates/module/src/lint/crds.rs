//! CustomResourceDefinitions in `crds/`: valid YAML with the fields the
//! Kubernetes API server requires of an `apiextensions.k8s.io/v1` CRD.

use std::path::Path;

use serde_json::Value;

use crate::diagnostic::Finding;
use crate::yamlfile::YamlFile;

const RULE: &str = "openapi/crds";

/// Run the CRD checks over `crds/*.yaml` (files starting with `doc-` or `_` are skipped, as DKP does).
pub fn check(root: &Path, out: &mut Vec<Finding>) {
    let dir = root.join("crds");
    let Ok(rd) = std::fs::read_dir(&dir) else {
        return;
    };
    let mut files: Vec<_> = rd
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            let n = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            (n.ends_with(".yaml") || n.ends_with(".yml"))
                && !n.starts_with("doc-")
                && !n.starts_with('_')
        })
        .collect();
    files.sort();
    for path in files {
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => {
                out.push(Finding::error(RULE, &path, format!("cannot read: {e}")));
                continue;
            }
        };
        let docs = match goyaml::from_str_multi(&text) {
            Ok(d) => d,
            Err(e) => {
                out.push(
                    Finding::error(RULE, &path, format!("invalid YAML: {}", e.message)).at(e.pos),
                );
                continue;
            }
        };
        for doc in docs {
            if doc.value.is_null() {
                continue;
            }
            let f = YamlFile {
                path: path.clone(),
                doc,
            };
            check_crd(&f, out);
        }
    }
}

fn str_at<'a>(v: &'a Value, ptr: &str) -> Option<&'a str> {
    v.pointer(ptr)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

fn check_crd(f: &YamlFile, out: &mut Vec<Finding>) {
    let v = &f.doc.value;
    let mut err =
        |msg: String, ptr: &str| out.push(f.finding_at(Finding::error(RULE, &f.path, msg), ptr));
    if str_at(v, "/apiVersion") != Some("apiextensions.k8s.io/v1") {
        err(
            "`apiVersion` must be apiextensions.k8s.io/v1".into(),
            "/apiVersion",
        );
    }
    if str_at(v, "/kind") != Some("CustomResourceDefinition") {
        err("`kind` must be CustomResourceDefinition".into(), "/kind");
        return;
    }
    let group = str_at(v, "/spec/group");
    let plural = str_at(v, "/spec/names/plural");
    for (ptr, what) in [
        ("/spec/group", "spec.group"),
        ("/spec/names/plural", "spec.names.plural"),
        ("/spec/names/kind", "spec.names.kind"),
    ] {
        if str_at(v, ptr).is_none() {
            err(format!("`{what}` is required"), ptr);
        }
    }
    match str_at(v, "/spec/scope") {
        Some("Namespaced" | "Cluster") => {}
        other => err(
            format!("`spec.scope` must be Namespaced or Cluster, found {other:?}"),
            "/spec/scope",
        ),
    }
    if let (Some(g), Some(p)) = (group, plural) {
        let want = format!("{p}.{g}");
        if str_at(v, "/metadata/name") != Some(want.as_str()) {
            err(
                format!("`metadata.name` must be `{want}` (<plural>.<group>)"),
                "/metadata/name",
            );
        }
    }
    let Some(versions) = v
        .pointer("/spec/versions")
        .and_then(Value::as_array)
        .filter(|a| !a.is_empty())
    else {
        err(
            "`spec.versions` must list at least one version".into(),
            "/spec/versions",
        );
        return;
    };
    let mut storage = 0;
    for (i, ver) in versions.iter().enumerate() {
        let p = format!("/spec/versions/{i}");
        if str_at(ver, "/name").is_none() {
            err("`name` is required".into(), &format!("{p}/name"));
        }
        for flag in ["served", "storage"] {
            if !ver.get(flag).is_some_and(Value::is_boolean) {
                err(
                    format!("`{flag}` is required (true or false)"),
                    &format!("{p}/{flag}"),
                );
            }
        }
        if ver.get("storage") == Some(&Value::Bool(true)) {
            storage += 1;
        }
        if ver
            .pointer("/schema/openAPIV3Schema")
            .is_none_or(|s| !s.is_object())
        {
            err(
                "`schema.openAPIV3Schema` is required in apiextensions.k8s.io/v1".into(),
                &format!("{p}/schema"),
            );
        }
    }
    if storage != 1 {
        err(
            format!("exactly one version must have `storage: true`, found {storage}"),
            "/spec/versions",
        );
    }
}
