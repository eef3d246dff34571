//! Which resource a kind is: the API server's discovery, read once and
//! refreshed when a kind is missing (a CRD installed after start).
//!
//! Kinds are matched as shell-operator matches them: case-insensitively by
//! kind, plural, singular or short name, in the given `apiVersion` or, when
//! none is given, in the preferred version of any group. kube's own
//! `Discovery` does not expose short names, so the resource lists are read
//! directly (and `run_aggregated` returns nothing on 1.20).

use std::sync::Arc;
use std::time::{Duration, Instant};

use kube::Client;
use kube::core::ApiResource;
use tokio::sync::RwLock;

/// One resource of the API server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResourceInfo {
    /// The resource, as kube's dynamic API takes it.
    pub api: ApiResource,
    /// Namespaced, or cluster-scoped.
    pub namespaced: bool,
    /// Short names (`cm`, `deploy`).
    pub short_names: Vec<String>,
    /// Singular name (`configmap`).
    pub singular: String,
    /// Whether this is its group's preferred version.
    pub preferred: bool,
}

impl ResourceInfo {
    /// Whether `name` names this resource (kind, plural, singular or short
    /// name, any case).
    pub fn is_named(&self, name: &str) -> bool {
        let lower = name.to_ascii_lowercase();
        self.api.kind.eq_ignore_ascii_case(name)
            || self.api.plural == lower
            || (!self.singular.is_empty() && self.singular == lower)
            || self.short_names.contains(&lower)
    }
}

/// A kind the API server does not serve (yet).
#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    /// No resource matches.
    #[error("the API server has no resource {kind:?}{}", api_version.as_deref().map(|a| format!(" in {a}")).unwrap_or_default())]
    Unknown {
        /// The apiVersion asked for.
        api_version: Option<String>,
        /// The kind asked for.
        kind: String,
    },
    /// Discovery itself failed.
    #[error("discovery failed: {0}")]
    Discovery(#[from] kube::Error),
}

/// The discovery cache.
#[derive(Clone)]
pub struct Resources {
    client: Client,
    state: Arc<RwLock<State>>,
}

struct State {
    all: Vec<ResourceInfo>,
    refreshed: Option<Instant>,
}

/// How often a miss may trigger a fresh discovery.
const REFRESH_AT_MOST_EVERY: Duration = Duration::from_secs(2);

impl Resources {
    /// A cache that reads discovery on first use.
    pub fn new(client: Client) -> Resources {
        Resources {
            client,
            state: Arc::new(RwLock::new(State {
                all: Vec::new(),
                refreshed: None,
            })),
        }
    }

    /// Resolve `kind` (in `api_version` when given).
    pub async fn resolve(
        &self,
        api_version: Option<&str>,
        kind: &str,
    ) -> Result<ResourceInfo, ResolveError> {
        let api_version = api_version.filter(|a| !a.is_empty());
        if let Some(found) = find(&self.state.read().await.all, api_version, kind) {
            return Ok(found);
        }
        self.refresh(false).await?;
        find(&self.state.read().await.all, api_version, kind).ok_or_else(|| ResolveError::Unknown {
            api_version: api_version.map(str::to_string),
            kind: kind.to_string(),
        })
    }

    /// Read discovery again (at most every few seconds unless `force`).
    pub async fn refresh(&self, force: bool) -> Result<(), kube::Error> {
        let mut state = self.state.write().await;
        if !force
            && let Some(at) = state.refreshed
            && at.elapsed() < REFRESH_AT_MOST_EVERY
        {
            return Ok(());
        }
        state.all = discover(&self.client).await?;
        state.refreshed = Some(Instant::now());
        Ok(())
    }
}

fn find(all: &[ResourceInfo], api_version: Option<&str>, kind: &str) -> Option<ResourceInfo> {
    all.iter()
        .filter(|r| match api_version {
            Some(a) => r.api.api_version == a,
            None => r.preferred,
        })
        .find(|r| r.is_named(kind))
        .cloned()
}

async fn discover(client: &Client) -> Result<Vec<ResourceInfo>, kube::Error> {
    let mut out = Vec::new();
    let core = client.list_core_api_versions().await?;
    for (i, v) in core.versions.iter().enumerate() {
        let list = client.list_core_api_resources(v).await?;
        push_list(&mut out, "", v, i == 0, list);
    }
    for group in client.list_api_groups().await?.groups {
        let preferred = group
            .preferred_version
            .as_ref()
            .map(|p| p.version.clone())
            .or_else(|| group.versions.first().map(|v| v.version.clone()))
            .unwrap_or_default();
        for v in &group.versions {
            // A group version can fail on its own (an aggregated API that is
            // down): skip it rather than failing every kind.
            let Ok(list) = client.list_api_group_resources(&v.group_version).await else {
                continue;
            };
            push_list(
                &mut out,
                &group.name,
                &v.version,
                v.version == preferred,
                list,
            );
        }
    }
    Ok(out)
}

fn push_list(
    out: &mut Vec<ResourceInfo>,
    group: &str,
    version: &str,
    preferred: bool,
    list: k8s_openapi::apimachinery::pkg::apis::meta::v1::APIResourceList,
) {
    for r in list.resources {
        if r.name.contains('/') {
            continue; // a subresource
        }
        out.push(ResourceInfo {
            api: ApiResource {
                group: group.to_string(),
                version: version.to_string(),
                api_version: if group.is_empty() {
                    version.to_string()
                } else {
                    format!("{group}/{version}")
                },
                kind: r.kind,
                plural: r.name,
            },
            namespaced: r.namespaced,
            short_names: r.short_names.unwrap_or_default(),
            singular: r.singular_name,
            preferred,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cm() -> ResourceInfo {
        ResourceInfo {
            api: ApiResource {
                group: String::new(),
                version: "v1".into(),
                api_version: "v1".into(),
                kind: "ConfigMap".into(),
                plural: "configmaps".into(),
            },
            namespaced: true,
            short_names: vec!["cm".into()],
            singular: String::new(),
            preferred: true,
        }
    }

    #[test]
    fn kinds_match_by_any_name_in_any_case() {
        let all = vec![cm()];
        for name in [
            "ConfigMap",
            "configmap",
            "CONFIGMAP",
            "configmaps",
            "cm",
            "CM",
        ] {
            assert!(find(&all, None, name).is_some(), "{name}");
        }
        assert!(find(&all, Some("v1"), "cm").is_some());
        assert!(find(&all, Some("apps/v1"), "cm").is_none());
        assert!(find(&all, None, "secret").is_none());
    }
}
