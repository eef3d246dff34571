//! The operator's handle on the cluster: the client, discovery, and the
//! object operations every layer above uses (server-side apply, get,
//! delete, patch), all by dynamic type.

use std::time::Duration;

use kube::Client;
use kube::api::{
    Api, DeleteParams, DynamicObject, Patch, PatchParams, PostParams, PropagationPolicy,
};
use serde_json::Value;

use crate::objects::ObjectKey;
use crate::resources::{ResolveError, ResourceInfo, Resources};

/// The field manager of everything deckmod applies.
pub const FIELD_MANAGER: &str = "deckmod";

/// An operation on the cluster failed.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    /// The kind is not served.
    #[error(transparent)]
    Resolve(#[from] ResolveError),
    /// The API server refused or could not be reached.
    #[error("{what}: {source}")]
    Api {
        /// What was being done (`apply ConfigMap x/y (v1)`).
        what: String,
        /// The client's error.
        #[source]
        source: kube::Error,
    },
    /// An object is malformed.
    #[error("{0}")]
    Invalid(String),
}

impl ClusterError {
    /// The API server's HTTP status, if it answered.
    pub fn code(&self) -> Option<u16> {
        match self {
            ClusterError::Api {
                source: kube::Error::Api(s),
                ..
            } => Some(s.code),
            _ => None,
        }
    }
}

/// Client + discovery.
#[derive(Clone)]
pub struct Cluster {
    /// The client.
    pub client: Client,
    /// Discovery.
    pub resources: Resources,
}

/// How a delete treats dependents (the hooks' three delete operations).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Propagation {
    /// Wait for dependents (foreground).
    Foreground,
    /// Delete dependents in the background.
    Background,
    /// Orphan dependents.
    Orphan,
}

impl Cluster {
    /// A handle over `client`.
    pub fn new(client: Client) -> Cluster {
        Cluster {
            resources: Resources::new(client.clone()),
            client,
        }
    }

    /// The dynamic API for a resolved resource in `namespace`.
    pub fn api(&self, info: &ResourceInfo, namespace: Option<&str>) -> Api<DynamicObject> {
        match (info.namespaced, namespace) {
            (true, Some(ns)) => Api::namespaced_with(self.client.clone(), ns, &info.api),
            _ => Api::all_with(self.client.clone(), &info.api),
        }
    }

    /// Resolve an object's kind and compute its key (namespaced objects
    /// without a namespace go to `default_namespace`).
    pub async fn key_of(
        &self,
        object: &Value,
        default_namespace: &str,
    ) -> Result<(ObjectKey, ResourceInfo), ClusterError> {
        let s = |p: &str| {
            object
                .pointer(p)
                .and_then(Value::as_str)
                .unwrap_or_default()
        };
        let info = self
            .resources
            .resolve(Some(s("/apiVersion")), s("/kind"))
            .await?;
        let ns = s("/metadata/namespace");
        let key = ObjectKey {
            api_version: s("/apiVersion").to_string(),
            kind: info.api.kind.clone(),
            namespace: info
                .namespaced
                .then(|| if ns.is_empty() { default_namespace } else { ns }.to_string()),
            name: s("/metadata/name").to_string(),
        };
        if key.name.is_empty() {
            return Err(ClusterError::Invalid(format!(
                "a {} has no metadata.name",
                key.kind
            )));
        }
        Ok((key, info))
    }

    /// Server-side apply `object` as deckmod (forcing ownership of the
    /// fields it sets, as a Helm upgrade would overwrite them).
    pub async fn apply(
        &self,
        object: &Value,
        default_namespace: &str,
    ) -> Result<(ObjectKey, DynamicObject), ClusterError> {
        let (key, info) = self.key_of(object, default_namespace).await?;
        let mut object = object.clone();
        crate::objects::default_port_protocols(&mut object);
        if let Some(ns) = &key.namespace {
            object["metadata"]["namespace"] = Value::String(ns.clone());
        } else if let Some(m) = object.get_mut("metadata").and_then(Value::as_object_mut) {
            m.remove("namespace");
        }
        let api = self.api(&info, key.namespace.as_deref());
        let params = PatchParams::apply(FIELD_MANAGER).force();
        let applied = api
            .patch(&key.name, &params, &Patch::Apply(&object))
            .await
            .map_err(|source| ClusterError::Api {
                what: format!("apply {key}"),
                source,
            })?;
        Ok((key, applied))
    }

    /// The object, if it exists.
    pub async fn get(&self, key: &ObjectKey) -> Result<Option<DynamicObject>, ClusterError> {
        let info = self
            .resources
            .resolve(Some(&key.api_version), &key.kind)
            .await?;
        self.api(&info, key.namespace.as_deref())
            .get_opt(&key.name)
            .await
            .map_err(|source| ClusterError::Api {
                what: format!("get {key}"),
                source,
            })
    }

    /// Delete the object; a missing one (or kind) is no error.
    pub async fn delete(
        &self,
        key: &ObjectKey,
        propagation: Propagation,
    ) -> Result<(), ClusterError> {
        let info = match self
            .resources
            .resolve(Some(&key.api_version), &key.kind)
            .await
        {
            Ok(i) => i,
            Err(ResolveError::Unknown { .. }) => return Ok(()),
            Err(e) => return Err(e.into()),
        };
        let params = DeleteParams {
            propagation_policy: Some(match propagation {
                Propagation::Foreground => PropagationPolicy::Foreground,
                Propagation::Background => PropagationPolicy::Background,
                Propagation::Orphan => PropagationPolicy::Orphan,
            }),
            ..Default::default()
        };
        match self
            .api(&info, key.namespace.as_deref())
            .delete(&key.name, &params)
            .await
        {
            Ok(_) => Ok(()),
            Err(kube::Error::Api(s)) if s.code == 404 => Ok(()),
            Err(source) => Err(ClusterError::Api {
                what: format!("delete {key}"),
                source,
            }),
        }
    }

    /// Create `object`; `Ok(false)` when it already exists.
    pub async fn create(
        &self,
        object: &Value,
        default_namespace: &str,
    ) -> Result<bool, ClusterError> {
        let (key, info) = self.key_of(object, default_namespace).await?;
        let obj: DynamicObject = serde_json::from_value(object.clone())
            .map_err(|e| ClusterError::Invalid(format!("{key}: {e}")))?;
        match self
            .api(&info, key.namespace.as_deref())
            .create(&PostParams::default(), &obj)
            .await
        {
            Ok(_) => Ok(true),
            Err(kube::Error::Api(s)) if s.code == 409 => Ok(false),
            Err(source) => Err(ClusterError::Api {
                what: format!("create {key}"),
                source,
            }),
        }
    }

    /// Replace the object with `object` (keeping the current
    /// resourceVersion and, unless `subresource` is `status`, its status).
    pub async fn update(
        &self,
        object: &Value,
        default_namespace: &str,
        subresource: Option<&str>,
    ) -> Result<(), ClusterError> {
        let (key, info) = self.key_of(object, default_namespace).await?;
        let api = self.api(&info, key.namespace.as_deref());
        let wrap = |source| ClusterError::Api {
            what: format!("update {key}"),
            source,
        };
        let current = api.get(&key.name).await.map_err(wrap)?;
        let mut obj: DynamicObject = serde_json::from_value(object.clone())
            .map_err(|e| ClusterError::Invalid(format!("{key}: {e}")))?;
        obj.metadata.resource_version = current.metadata.resource_version;
        match subresource {
            Some("status") => api
                .replace_status(&key.name, &PostParams::default(), &obj)
                .await
                .map(drop),
            _ => api
                .replace(&key.name, &PostParams::default(), &obj)
                .await
                .map(drop),
        }
        .map_err(wrap)
    }

    /// Patch the object (merge or JSON patch), optionally a subresource.
    pub async fn patch(
        &self,
        key: &ObjectKey,
        patch: &Patch<Value>,
        subresource: Option<&str>,
    ) -> Result<(), ClusterError> {
        let info = self
            .resources
            .resolve(Some(&key.api_version), &key.kind)
            .await?;
        let api = self.api(&info, key.namespace.as_deref());
        let params = PatchParams::default();
        match subresource {
            Some("status") => api.patch_status(&key.name, &params, patch).await.map(drop),
            Some(other) => api
                .patch_subresource(other, &key.name, &params, patch)
                .await
                .map(drop),
            None => api.patch(&key.name, &params, patch).await.map(drop),
        }
        .map_err(|source| ClusterError::Api {
            what: format!("patch {key}"),
            source,
        })
    }

    /// Wait until a CRD reports `Established` (at most `timeout`).
    pub async fn wait_crd_established(
        &self,
        name: &str,
        timeout: Duration,
    ) -> Result<(), ClusterError> {
        use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
        let api: Api<CustomResourceDefinition> = Api::all(self.client.clone());
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let crd = api
                .get_opt(name)
                .await
                .map_err(|source| ClusterError::Api {
                    what: format!("get CustomResourceDefinition {name}"),
                    source,
                })?;
            let established = crd
                .and_then(|c| c.status)
                .and_then(|s| s.conditions)
                .is_some_and(|cs| {
                    cs.iter()
                        .any(|c| c.type_ == "Established" && c.status == "True")
                });
            if established {
                // New kinds are served once discovery is read again.
                let _ = self.resources.refresh(true).await;
                return Ok(());
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(ClusterError::Invalid(format!(
                    "CustomResourceDefinition {name} was not established within {timeout:?}"
                )));
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}
