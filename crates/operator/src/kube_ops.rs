//! The object operations hooks return (`$KUBERNETES_PATCH_PATH`), executed
//! in order with shell-operator's semantics.

use kube::api::Patch;
use serde_json::Value;

use hooks::outputs::{KubeOperation, OperationKind};

use crate::cluster::{Cluster, ClusterError, Propagation};
use crate::objects::ObjectKey;

/// Execute `ops` in order; the first failure stops the rest. `hook_failed`
/// runs only the operations marked `ignoreHookError`.
pub async fn execute(
    cluster: &Cluster,
    ops: &[KubeOperation],
    default_namespace: &str,
    hook_failed: bool,
) -> Result<(), ClusterError> {
    for op in ops.iter().filter(|o| !hook_failed || o.ignore_hook_error) {
        execute_one(cluster, op, default_namespace).await?;
    }
    Ok(())
}

async fn key_of(cluster: &Cluster, op: &KubeOperation) -> Result<ObjectKey, ClusterError> {
    let kind = op.kind.clone().unwrap_or_default();
    let info = cluster
        .resources
        .resolve(op.api_version.as_deref(), &kind)
        .await?;
    Ok(ObjectKey {
        api_version: info.api.api_version.clone(),
        kind: info.api.kind.clone(),
        namespace: if info.namespaced {
            op.namespace.clone().filter(|n| !n.is_empty())
        } else {
            None
        },
        name: op.name.clone().unwrap_or_default(),
    })
}

/// The object of a create operation: a map, or a string of JSON or YAML.
fn object_of(op: &KubeOperation) -> Result<Value, ClusterError> {
    match &op.object {
        Some(Value::String(s)) => goyaml::from_str(s).map_err(|e| {
            ClusterError::Invalid(format!(
                "{:?}: object is not YAML: {}",
                op.operation, e.message
            ))
        }),
        Some(v) => Ok(v.clone()),
        None => Err(ClusterError::Invalid(format!(
            "{:?} without an object",
            op.operation
        ))),
    }
}

async fn execute_one(
    cluster: &Cluster,
    op: &KubeOperation,
    default_namespace: &str,
) -> Result<(), ClusterError> {
    let subresource = op.subresource.as_deref().filter(|s| !s.is_empty());
    match op.operation {
        OperationKind::Create => {
            let obj = object_of(op)?;
            if !cluster.create(&obj, default_namespace).await? {
                return Err(ClusterError::Invalid(
                    "Create: the object already exists".into(),
                ));
            }
        }
        OperationKind::CreateIfNotExists => {
            cluster.create(&object_of(op)?, default_namespace).await?;
        }
        OperationKind::CreateOrUpdate => {
            let obj = object_of(op)?;
            if !cluster.create(&obj, default_namespace).await? {
                cluster.update(&obj, default_namespace, None).await?;
            }
        }
        OperationKind::Delete
        | OperationKind::DeleteInBackground
        | OperationKind::DeleteNonCascading => {
            let key = key_of(cluster, op).await?;
            let p = match op.operation {
                OperationKind::Delete => Propagation::Foreground,
                OperationKind::DeleteInBackground => Propagation::Background,
                _ => Propagation::Orphan,
            };
            cluster.delete(&key, p).await?;
        }
        OperationKind::MergePatch | OperationKind::JSONPatch | OperationKind::JQPatch => {
            let key = key_of(cluster, op).await?;
            let current = cluster.get(&key).await?;
            let Some(current) = current else {
                if op.ignore_missing_object {
                    return Ok(());
                }
                return Err(ClusterError::Invalid(format!(
                    "{:?}: {key} does not exist",
                    op.operation
                )));
            };
            let patch = match op.operation {
                OperationKind::MergePatch => Patch::Merge(string_or_value(op.merge_patch.clone())?),
                OperationKind::JSONPatch => {
                    let v = string_or_value(op.json_patch.clone())?;
                    Patch::Json(serde_json::from_value(v).map_err(|e| {
                        ClusterError::Invalid(format!("JSONPatch: not a JSON patch: {e}"))
                    })?)
                }
                _ => {
                    let filter =
                        hooks::jq::JqFilter::compile(op.jq_filter.as_deref().unwrap_or("."))
                            .map_err(|e| ClusterError::Invalid(e.to_string()))?;
                    let current = serde_json::to_value(&current)
                        .map_err(|e| ClusterError::Invalid(e.to_string()))?;
                    let patched = filter
                        .apply(&current)
                        .map_err(|e| ClusterError::Invalid(e.to_string()))?;
                    // Update with the patched object: replace (keeping the
                    // resourceVersion the object was read at).
                    return cluster
                        .update(&patched, default_namespace, subresource)
                        .await;
                }
            };
            cluster.patch(&key, &patch, subresource).await?;
        }
    }
    Ok(())
}

fn string_or_value(v: Option<Value>) -> Result<Value, ClusterError> {
    match v {
        Some(Value::String(s)) => goyaml::from_str(&s).map_err(|e| {
            ClusterError::Invalid(format!("patch is not JSON or YAML: {}", e.message))
        }),
        Some(v) => Ok(v),
        None => Err(ClusterError::Invalid(
            "a patch operation without a patch".into(),
        )),
    }
}
