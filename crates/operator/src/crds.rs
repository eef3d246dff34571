//! The custom resource definitions of deckmod's own resources
//! (`deckhouse.io`): what `deckmod crds` prints and what the operator
//! installs when they are missing.

use crate::cluster::{Cluster, ClusterError};

/// `ModuleConfig` (v1alpha1, short `mc`).
pub const MODULE_CONFIG: &str = include_str!("../crds/module-config.yaml");
/// `Module` (v1alpha1).
pub const MODULE: &str = include_str!("../crds/module.yaml");

/// `ModuleSource` (v1alpha1, short `ms`).
pub const MODULE_SOURCE: &str = include_str!("../crds/module-source.yaml");
/// `ModuleRelease` (v1alpha1, short `mr`).
pub const MODULE_RELEASE: &str = include_str!("../crds/module-release.yaml");
/// `ModuleUpdatePolicy` (v1alpha2 stored, v1alpha1 still served; short `mup`).
pub const MODULE_UPDATE_POLICY: &str = include_str!("../crds/module-update-policy.yaml");
/// `ModulePullOverride` (v1alpha2, short `mpo`).
pub const MODULE_PULL_OVERRIDE: &str = include_str!("../crds/module-pull-override.yaml");

/// Every CRD, in install order.
pub const ALL: &[&str] = &[
    MODULE_CONFIG,
    MODULE,
    MODULE_SOURCE,
    MODULE_RELEASE,
    MODULE_UPDATE_POLICY,
    MODULE_PULL_OVERRIDE,
];

fn deckhouse_resource(kind: &str, plural: &str) -> kube::core::ApiResource {
    deckhouse_resource_at("v1alpha1", kind, plural)
}

fn deckhouse_resource_at(version: &str, kind: &str, plural: &str) -> kube::core::ApiResource {
    kube::core::ApiResource {
        group: "deckhouse.io".into(),
        version: version.into(),
        api_version: format!("deckhouse.io/{version}"),
        kind: kind.into(),
        plural: plural.into(),
    }
}

/// `ModuleSource` for kube's dynamic API.
pub fn module_source_resource() -> kube::core::ApiResource {
    deckhouse_resource("ModuleSource", "modulesources")
}

/// `ModuleRelease` for kube's dynamic API.
pub fn module_release_resource() -> kube::core::ApiResource {
    deckhouse_resource("ModuleRelease", "modulereleases")
}

/// `ModuleUpdatePolicy` at `version` (`v1alpha2`, the stored one, or the
/// deprecated `v1alpha1` whose label selector binds policies to releases).
pub fn module_update_policy_resource(version: &str) -> kube::core::ApiResource {
    deckhouse_resource_at(version, "ModuleUpdatePolicy", "moduleupdatepolicies")
}

/// `ModulePullOverride` (v1alpha2) for kube's dynamic API.
pub fn module_pull_override_resource() -> kube::core::ApiResource {
    deckhouse_resource_at("v1alpha2", "ModulePullOverride", "modulepulloverrides")
}

/// `ModuleConfig` for kube's dynamic API.
pub fn module_config_resource() -> kube::core::ApiResource {
    deckhouse_resource("ModuleConfig", "moduleconfigs")
}

/// `Module` for kube's dynamic API.
pub fn module_resource() -> kube::core::ApiResource {
    deckhouse_resource("Module", "modules")
}

/// Every CRD as one multi-document YAML stream.
pub fn yaml() -> String {
    ALL.iter()
        .map(|c| format!("---\n{}", c.trim_end()))
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

/// Apply every CRD (server-side) and wait until each is established.
pub async fn install(cluster: &Cluster) -> Result<(), ClusterError> {
    for text in ALL {
        let crd = goyaml::from_str(text)
            .map_err(|e| ClusterError::Invalid(format!("built-in CRD: {}", e.message)))?;
        let (key, _) = cluster.apply(&crd, "").await?;
        cluster
            .wait_crd_established(&key.name, std::time::Duration::from_secs(60))
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_crd_is_valid_yaml_naming_its_kind() {
        for text in super::ALL {
            let v = goyaml::from_str(text).unwrap();
            assert_eq!(v["kind"], "CustomResourceDefinition");
            assert_eq!(v["spec"]["group"], "deckhouse.io");
        }
        assert_eq!(
            super::yaml().matches("\n---\n").count() + 1,
            super::ALL.len()
        );
    }
}
