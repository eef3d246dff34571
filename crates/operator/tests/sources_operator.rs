//! The whole journey through the running operator, against the real kube-apiserver and
//! docker-registry: a module published with the project's registry code, a ModuleSource,
//! a ModuleConfig enabling it — the operator downloads the release, loads it in process
//! and converges it (its objects exist, its Helm release is deployed); a new version on the
//! channel is downloaded and switched in without a restart.

#[path = "sources/common.rs"]
mod common;

use std::process::Command;
use std::time::Duration;

use common::*;
use k8s_openapi::api::core::v1::ConfigMap;
use operator::crds;
use registry::Channel;
use serde_json::{Value, json};

fn helm(args: &[&str]) -> String {
    let out = Command::new("helm").args(args).output().expect("helm runs");
    assert!(
        out.status.success(),
        "helm {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_published_module_runs_and_updates_through_the_operator() {
    let client = client().await;
    install_crds(&client).await;
    let label = unique("e2e");
    let module = unique("svc");
    let namespace = format!("d8-{module}");
    let source_name = unique("src");
    let src = TestSource::new("e2e");
    let dir = tempfile::tempdir().unwrap();
    src.publish(&module, "v1.0.0", 1, &[Channel::Stable]).await;

    let op = operator::Operator::start(
        client.clone(),
        operator::Options {
            namespace: "default".into(),
            tmp_dir: dir.path().join("tmp"),
            hook_timeout: Some(Duration::from_secs(30)),
            sources: Some(operator::sources::Options {
                downloaded_modules_dir: dir.path().join("downloaded"),
                min_scan_interval: Duration::from_secs(1),
                recheck_interval: Duration::from_secs(1),
                source_selector: Some(format!("deckmod-test={label}")),
                ..Default::default()
            }),
            ..Default::default()
        },
    )
    .await
    .expect("the operator starts");
    assert!(
        op.modules().is_empty(),
        "no module before a source offers one"
    );

    apply(
        &client,
        &crds::module_source_resource(),
        module_source(&source_name, &label, &src.source.to_string(), json!({})),
    )
    .await;
    apply(
        &client,
        &crds::module_config_resource(),
        module_config(
            &module,
            json!({"enabled": true, "settings": {"replicas": 2}}),
        ),
    )
    .await;
    wait_phase(&client, &format!("{module}-v1.0.0"), "Deployed", 90).await;

    // Loaded in process and converged: its object and its Helm release.
    let cms: kube::Api<ConfigMap> = kube::Api::namespaced(client.clone(), &namespace);
    eventually("the module's object exists", 90, || async {
        cms.get_opt("demo").await.unwrap().map(|_| ())
    })
    .await;
    assert!(op.modules().contains_key(&module));
    let list: Value =
        serde_json::from_str(&helm(&["list", "-n", &namespace, "-o", "json"])).unwrap();
    assert_eq!(list[0]["name"], module.as_str(), "{list}");
    assert_eq!(list[0]["status"], "deployed");
    let m = get(&client, &crds::module_resource(), &module)
        .await
        .expect("a Module object");
    assert!(m.pointer("/status/phase").is_some(), "{m}");

    // A new version on the channel: downloaded, switched in, the release upgraded.
    src.publish(&module, "v1.1.0", 1, &[Channel::Stable]).await;
    wait_phase(&client, &format!("{module}-v1.1.0"), "Deployed", 120).await;
    // The running worker is the new version's (the same chart renders the same
    // objects, so the release is not rewritten: an unchanged render is no revision).
    eventually("the worker runs v1.1.0", 60, || async {
        let root = op.modules().get(&module)?.module.root.clone();
        root.ends_with("v1.1.0").then_some(())
    })
    .await;
    eventually("the new version converged", 60, || async {
        let m = get(&client, &crds::module_resource(), &module).await?;
        (m.pointer("/status/phase")? == "Ready").then_some(())
    })
    .await;
    assert!(cms.get_opt("demo").await.unwrap().is_some());
    let list: Value =
        serde_json::from_str(&helm(&["list", "-n", &namespace, "-o", "json"])).unwrap();
    assert_eq!(list[0]["status"], "deployed", "{list}");

    op.shutdown(Duration::from_secs(5)).await;
}
