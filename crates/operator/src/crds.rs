//! The custom resource definitions of deckmod's own resources
//! (`deckhouse.io`): what `deckmod crds` prints and what the operator
//! installs when they are missing.

use crate::cluster::{Cluster, ClusterError};

/// `ModuleConfig` (v1alpha1, short `mc`).
pub const MODULE_CONFIG: &str = include_str!("../crds/module-config.yaml");
/// `Module` (v1alpha1).
pub const MODULE: &str = include_str!("../crds/module.yaml");

/// Every CRD, in install order.
pub const ALL: &[&str] = &[MODULE_CONFIG, MODULE];

fn deckhouse_resource(kind: &str, plural: &str) -> kube::core::ApiResource {
    kube::core::ApiResource {
        group: "deckhouse.io".into(),
        version: "v1alpha1".into(),
        api_version: "deckhouse.io/v1alpha1".into(),
        kind: kind.into(),
        plural: plural.into(),
    }
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
