//! Release records in the cluster: Helm's `secrets` storage driver.

use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, DeleteParams, ListParams, PostParams};
use serde_json::Value;

use super::record::{self, Release};
use crate::cluster::{Cluster, ClusterError};

fn wrap(what: String) -> impl FnOnce(kube::Error) -> ClusterError {
    move |source| ClusterError::Api { what, source }
}

/// Every stored revision of a release, oldest first. Revisions that cannot
/// be decoded are skipped with a warning (Helm fails on them; a broken
/// record must not stop the module).
pub async fn history(
    cluster: &Cluster,
    namespace: &str,
    name: &str,
) -> Result<Vec<Release>, ClusterError> {
    let api: Api<Secret> = Api::namespaced(cluster.client.clone(), namespace);
    let list = api
        .list(&ListParams::default().labels(&format!("owner={},name={name}", record::OWNER)))
        .await
        .map_err(wrap(format!(
            "list the revisions of release {namespace}/{name}"
        )))?;
    let mut out = Vec::new();
    for s in list.items {
        let secret_name = s.metadata.name.clone().unwrap_or_default();
        let v = serde_json::to_value(&s).unwrap_or(Value::Null);
        match Release::from_secret(&v) {
            Ok(r) => out.push(r),
            Err(e) => tracing::warn!(
                release = name,
                secret = secret_name,
                "skipping an unreadable release record: {e}"
            ),
        }
    }
    out.sort_by_key(|r| r.version);
    Ok(out)
}

/// Store a new revision.
pub async fn create(cluster: &Cluster, release: &Release) -> Result<(), ClusterError> {
    let api: Api<Secret> = Api::namespaced(cluster.client.clone(), &release.namespace);
    let secret: Secret = serde_json::from_value(release.to_secret())
        .map_err(|e| ClusterError::Invalid(format!("release record: {e}")))?;
    api.create(&PostParams::default(), &secret)
        .await
        .map(drop)
        .map_err(wrap(format!(
            "store release {}/{} revision {}",
            release.namespace, release.name, release.version
        )))
}

/// Rewrite a stored revision (a status change).
pub async fn update(cluster: &Cluster, release: &Release) -> Result<(), ClusterError> {
    let api: Api<Secret> = Api::namespaced(cluster.client.clone(), &release.namespace);
    let name = record::secret_name(&release.name, release.version);
    let what = format!(
        "update release {}/{} revision {}",
        release.namespace, release.name, release.version
    );
    let mut secret: Secret = serde_json::from_value(release.to_secret())
        .map_err(|e| ClusterError::Invalid(format!("release record: {e}")))?;
    let current = api.get(&name).await.map_err(wrap(what.clone()))?;
    secret.metadata.resource_version = current.metadata.resource_version;
    api.replace(&name, &PostParams::default(), &secret)
        .await
        .map(drop)
        .map_err(wrap(what))
}

/// Delete one stored revision (missing is fine).
pub async fn delete(
    cluster: &Cluster,
    namespace: &str,
    name: &str,
    version: u32,
) -> Result<(), ClusterError> {
    let api: Api<Secret> = Api::namespaced(cluster.client.clone(), namespace);
    match api
        .delete(
            &record::secret_name(name, version),
            &DeleteParams::default(),
        )
        .await
    {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(s)) if s.code == 404 => Ok(()),
        Err(e) => Err(wrap(format!(
            "delete release {namespace}/{name} revision {version}"
        ))(e)),
    }
}
