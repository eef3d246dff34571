//! The order of modules' first converge against the real kube-apiserver:
//! critical modules one after another by weight, a functional module
//! after them and after the module it requires (`!optional`: order only).
//! Each module's beforeHelm hook stamps when it started and ended; the
//! first module's takes 1.5 s, so running side by side would show.

use std::path::Path;
use std::time::Duration;

use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, Patch, PatchParams};
use serde_json::json;

mod common;
use common::{client, ensure_namespace, eventually};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn critical_modules_converge_by_weight_and_functional_ones_after() {
    let client = client().await;
    for ns in ["test-ord", "test-ord-cfg"] {
        ensure_namespace(&client, ns).await;
    }
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "test-ord");
    for name in ["ord-first", "ord-second", "ord-after"] {
        let _ = cms.delete(name, &Default::default()).await;
    }
    let cfg: Api<ConfigMap> = Api::namespaced(client.clone(), "test-ord-cfg");
    cfg.patch(
        "config",
        &PatchParams::apply("test").force(),
        &Patch::Apply(&json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "config"},
            "data": {"ordFirstEnabled": "true", "ordSecondEnabled": "true", "ordAfterEnabled": "true"}})),
    )
    .await
    .unwrap();
    let op = operator::Operator::start(
        client.clone(),
        operator::Options {
            modules_dirs: vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ordered")],
            namespace: "test-ord-cfg".into(),
            config: operator::config::ConfigSource::ConfigMap {
                namespace: "test-ord-cfg".into(),
                name: "config".into(),
            },
            tmp_dir: std::env::temp_dir()
                .join(format!("deckmod-order-test-{}", std::process::id())),
            hook_timeout: Some(Duration::from_secs(30)),
            ..Default::default()
        },
    )
    .await
    .expect("the operator starts");
    let stamps = |name: &'static str| {
        let cms = cms.clone();
        async move {
            let d = cms.get_opt(name).await.unwrap()?.data?;
            let n = |k: &str| d.get(k)?.parse::<u128>().ok();
            Some((n("start")?, n("end")?))
        }
    };
    let first = eventually("ord-first converged", 60, || stamps("ord-first")).await;
    let second = eventually("ord-second converged", 60, || stamps("ord-second")).await;
    let after = eventually("ord-after converged", 60, || stamps("ord-after")).await;
    assert!(
        first.1 - first.0 >= 1_000_000_000,
        "the first module's hook took its time: {first:?}"
    );
    assert!(
        second.0 >= first.1,
        "ord-second started before ord-first ended: {first:?} {second:?}"
    );
    assert!(
        after.0 >= second.1,
        "ord-after started before ord-second ended: {second:?} {after:?}"
    );
    op.shutdown(Duration::from_secs(5)).await;
}
