//! Modules added, replaced and removed in a running operator (what module
//! sources do when a release is deployed), against the real kube-apiserver:
//! no restart, the release upgraded in place, removal uninstalls.

use std::path::Path;
use std::time::Duration;

use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, Patch, PatchParams};
use serde_json::{Value, json};

mod common;
use common::{client, ensure_namespace, eventually, helm};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_module_is_activated_replaced_and_removed_without_a_restart() {
    let client = client().await;
    for ns in ["test-mgr", "test-mgr-cfg"] {
        ensure_namespace(&client, ns).await;
    }
    let cfg: Api<ConfigMap> = Api::namespaced(client.clone(), "test-mgr-cfg");
    cfg.patch(
        "config",
        &PatchParams::apply("test").force(),
        &Patch::Apply(
            &json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "config"},
            "data": {"mgrModEnabled": "true"}}),
        ),
    )
    .await
    .unwrap();
    let op = operator::Operator::start(
        client.clone(),
        operator::Options {
            namespace: "test-mgr-cfg".into(),
            config: operator::config::ConfigSource::ConfigMap {
                namespace: "test-mgr-cfg".into(),
                name: "config".into(),
            },
            tmp_dir: std::env::temp_dir().join(format!("deckmod-mgr-test-{}", std::process::id())),
            hook_timeout: Some(Duration::from_secs(30)),
            ..Default::default()
        },
    )
    .await
    .expect("the operator starts");
    assert!(op.modules().is_empty());
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/managed");
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "test-mgr");
    let version = || async {
        cms.get_opt("mgr-mod")
            .await
            .unwrap()
            .and_then(|c| c.data?.get("version").cloned())
    };
    let manager = op.manager();
    let name = manager
        .activate(&fixtures.join("v1/mgr-mod"))
        .await
        .unwrap();
    assert_eq!(name, "mgr-mod");
    eventually("v1 runs", 60, || async {
        (version().await.as_deref() == Some("1")).then_some(())
    })
    .await;
    manager
        .activate(&fixtures.join("v2/mgr-mod"))
        .await
        .unwrap();
    eventually("v2 replaced it", 60, || async {
        (version().await.as_deref() == Some("2")).then_some(())
    })
    .await;
    let history: Value = serde_json::from_str(&helm(&[
        "history", "mgr-mod", "-n", "test-mgr", "-o", "json",
    ]))
    .unwrap();
    let revisions = history.as_array().unwrap();
    assert!(revisions.len() >= 2, "{history}");
    assert_eq!(revisions.last().unwrap()["status"], "deployed");
    assert_eq!(op.modules().len(), 1);
    manager.deactivate("mgr-mod").await.unwrap();
    eventually("removal uninstalls", 60, || async {
        version().await.is_none().then_some(())
    })
    .await;
    assert!(
        !helm(&["list", "-n", "test-mgr", "-q"])
            .lines()
            .any(|l| l == "mgr-mod")
    );
    assert!(op.modules().is_empty());
    op.shutdown(Duration::from_secs(5)).await;
}
