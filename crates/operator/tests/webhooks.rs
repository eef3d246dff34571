//! Admission and conversion webhooks served by shell-operator hooks
//! (`kubernetesValidating`, `kubernetesMutating`,
//! `kubernetesCustomResourceConversion`), with the real kube-apiserver of
//! the test environment calling back to the operator over HTTPS on
//! loopback. The hooks (`tests/webhook-hooks`) are written as
//! shell-operator's examples 204, 206 and 210 write them.
//!
//! The CRD's group (`webhooks.deckmod.test`) is this test's own, so its
//! webhooks see no other test's objects.

use std::path::Path;
use std::time::Duration;

use k8s_openapi::api::admissionregistration::v1::{
    MutatingWebhookConfiguration, ValidatingWebhookConfiguration,
};
use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, DeleteParams, DynamicObject, PostParams};
use kube::core::{ApiResource, GroupVersionKind};
use serde_json::json;

mod common;
use common::{client, ensure_namespace, eventually};

const NS: &str = "test-wh";
const CRD: &str = "crontabs.webhooks.deckmod.test";

fn crontabs(client: &kube::Client, version: &str) -> Api<DynamicObject> {
    let gvk = GroupVersionKind::gvk("webhooks.deckmod.test", version, "CronTab");
    Api::namespaced_with(client.clone(), NS, &ApiResource::from_gvk(&gvk))
}

fn crontab(version: &str, name: &str, image: &str, cron: serde_json::Value) -> DynamicObject {
    serde_json::from_value(json!({
        "apiVersion": format!("webhooks.deckmod.test/{version}"),
        "kind": "CronTab",
        "metadata": {"name": name, "namespace": NS},
        "spec": {"image": image, "cron": cron},
    }))
    .unwrap()
}

/// The operator on `hooks_dir`, calling back on loopback, its certificate
/// in the Secret test-wh-tls; `run` tells its temp dirs apart.
fn options(hooks_dir: std::path::PathBuf, run: &str) -> operator::Options {
    operator::Options {
        hooks_dir: Some(hooks_dir),
        namespace: NS.into(),
        config: operator::config::ConfigSource::ConfigMap {
            namespace: NS.into(),
            name: "no-such-config".into(),
        },
        tmp_dir: std::env::temp_dir()
            .join(format!("deckmod-webhooks-test{run}-{}", std::process::id())),
        hook_timeout: Some(Duration::from_secs(30)),
        webhooks: operator::webhooks::Options {
            configuration_name: "test-wh".into(),
            admission_listen: "127.0.0.1:0".parse().unwrap(),
            conversion_listen: "127.0.0.1:0".parse().unwrap(),
            url_host: Some("127.0.0.1".into()),
            tls: operator::webhooks::TlsSource::Secret("test-wh-tls".into()),
            ..Default::default()
        },
        ..Default::default()
    }
}

#[tokio::test]
async fn hooks_validate_mutate_and_convert_what_the_api_server_sends_them() {
    let client = client().await;
    ensure_namespace(&client, NS).await;
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    let _ = crds.delete(CRD, &DeleteParams::default()).await;
    eventually("an earlier run's CRD is gone", 60, || {
        let crds = crds.clone();
        async move { crds.get_opt(CRD).await.unwrap().is_none().then_some(()) }
    })
    .await;
    // Stored as v1alpha1, served as both: reading v1alpha2 needs the
    // conversion hook.
    let version = |name: &str, storage: bool| {
        json!({"name": name, "served": true, "storage": storage, "schema": {"openAPIV3Schema": {
            "type": "object", "properties": {"spec": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}}})
    };
    let crd: CustomResourceDefinition = serde_json::from_value(json!({
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": CRD},
        "spec": {"group": "webhooks.deckmod.test", "scope": "Namespaced",
                 "names": {"plural": "crontabs", "singular": "crontab", "kind": "CronTab"},
                 "versions": [version("v1alpha1", true), version("v1alpha2", false)]},
    }))
    .unwrap();
    crds.create(&PostParams::default(), &crd).await.unwrap();
    operator::cluster::Cluster::new(client.clone())
        .wait_crd_established(CRD, Duration::from_secs(30))
        .await
        .unwrap();
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), NS);
    let _ = cms
        .delete("allowed-registries", &DeleteParams::default())
        .await;
    cms.create(
        &PostParams::default(),
        &serde_json::from_value(json!({"metadata": {"name": "allowed-registries"},
                                       "data": {"prefix": "repo.example.com/"}}))
        .unwrap(),
    )
    .await
    .unwrap();

    let op = operator::Operator::start(
        client.clone(),
        options(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/webhook-hooks"),
            "1",
        ),
    )
    .await
    .expect("the operator starts");
    let (admission, conversion) = op.webhook_addrs();
    let (admission, conversion) = (
        admission.expect("admission served"),
        conversion.expect("conversion served"),
    );

    // The configuration objects point at the operator with the CA of the
    // certificate kept in the Secret.
    let secret = Api::<Secret>::namespaced(client.clone(), NS)
        .get("test-wh-tls")
        .await
        .unwrap();
    let ca = secret.data.unwrap()["ca.crt"].0.clone();
    let validating = Api::<ValidatingWebhookConfiguration>::all(client.clone())
        .get("test-wh-hooks")
        .await
        .unwrap();
    let hooks = validating.webhooks.unwrap();
    assert_eq!(hooks.len(), 1);
    assert_eq!(hooks[0].name, "crontab-policy.webhooks.deckmod.test");
    assert_eq!(
        hooks[0].client_config.url.as_deref(),
        Some(
            format!(
                "https://127.0.0.1:{}/hooks/crontab-policy-webhooks-deckmod-test",
                admission.port()
            )
            .as_str()
        )
    );
    assert_eq!(hooks[0].client_config.ca_bundle.as_ref().unwrap().0, ca);
    let mutating = Api::<MutatingWebhookConfiguration>::all(client.clone())
        .get("test-wh-hooks")
        .await
        .unwrap();
    assert_eq!(
        mutating.webhooks.unwrap()[0].name,
        "crontab-defaults.webhooks.deckmod.test"
    );
    eventually("the CRD converts through the operator", 60, || {
        let crds = crds.clone();
        async move {
            let c = crds.get(CRD).await.unwrap().spec.conversion?;
            let url = c.webhook?.client_config?.url?;
            (c.strategy == "Webhook"
                && url == format!("https://127.0.0.1:{}/{CRD}", conversion.port()))
            .then_some(())
        }
    })
    .await;

    let v1 = crontabs(&client, "v1alpha1");
    let v2 = crontabs(&client, "v1alpha2");
    for name in ["evil", "good", "second"] {
        let _ = v1.delete(name, &DeleteParams::default()).await;
    }
    // Rejected with the hook's message; the allowed prefix came from the
    // binding's snapshot (the hook reads no cluster). The ConfigMap may
    // not be in the snapshot at the very first moment: the rejection
    // must then name no prefix, so wait for the one that names it.
    let rejected = eventually("the validating hook rejects with its message", 60, || {
        let v1 = v1.clone();
        async move {
            let e = v1
                .create(
                    &PostParams::default(),
                    &crontab("v1alpha1", "evil", "evil.example.com/x", json!(["*", "*"])),
                )
                .await
                .expect_err("the validating hook rejects an image from elsewhere");
            let text = e.to_string();
            text.contains("repo.example.com/").then_some(text)
        }
    })
    .await;
    assert!(
        rejected.contains("admission webhook \"crontab-policy.webhooks.deckmod.test\" denied the request: image evil.example.com/x is not from repo.example.com/"),
        "{rejected}"
    );

    // Admitted, and mutated on the way in.
    let good = v1
        .create(
            &PostParams::default(),
            &crontab(
                "v1alpha1",
                "good",
                "repo.example.com/app",
                json!(["*/5", "*"]),
            ),
        )
        .await
        .expect("an image from the allowed registry is admitted");
    assert_eq!(
        good.data["spec"]["replicas"], 3,
        "the mutating hook's patch: {:?}",
        good.data
    );

    // Stored as v1alpha1, read as v1alpha2 through the conversion hook.
    let read = v2.get("good").await.unwrap();
    assert_eq!(
        read.types.as_ref().unwrap().api_version,
        "webhooks.deckmod.test/v1alpha2"
    );
    assert_eq!(read.data["spec"]["cron"], "*/5 *");
    assert_eq!(read.data["spec"]["replicas"], 3);

    // Written as v1alpha2, stored as v1alpha1 (the other step, declared
    // without the group), read back in both versions.
    v2.create(
        &PostParams::default(),
        &crontab(
            "v1alpha2",
            "second",
            "repo.example.com/b",
            json!("0 12 * * *"),
        ),
    )
    .await
    .expect("a v1alpha2 object is admitted and converted for storage");
    assert_eq!(
        v1.get("second").await.unwrap().data["spec"]["cron"],
        json!(["0", "12", "*", "*", "*"])
    );
    let listed = v2.list(&Default::default()).await.unwrap();
    let crons: Vec<_> = listed
        .items
        .iter()
        .map(|o| o.data["spec"]["cron"].clone())
        .collect();
    assert_eq!(crons, [json!("*/5 *"), json!("0 12 * * *")]);

    // The webhook runs are counted, apart from the queue's.
    let m = op.metrics().encode();
    assert!(
        m.lines().any(|l| l.contains("hook_run_seconds_count")
            && l.contains("queue=\"webhook\"")
            && l.contains("hook=\"conversion\"")),
        "{m}"
    );

    op.shutdown(Duration::from_secs(10)).await;

    // The configurations follow the hooks: with the mutating hook gone its
    // configuration is deleted, with no webhook hook at all both are.
    let validating_api = Api::<ValidatingWebhookConfiguration>::all(client.clone());
    let mutating_api = Api::<MutatingWebhookConfiguration>::all(client.clone());
    let only_validating = tempfile::tempdir().unwrap();
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/webhook-hooks/validating"),
        only_validating.path().join("validating"),
    )
    .unwrap();
    let none = tempfile::tempdir().unwrap();
    for (dir, validating_left) in [(only_validating.path(), true), (none.path(), false)] {
        let op = operator::Operator::start(client.clone(), options(dir.to_path_buf(), "2"))
            .await
            .expect("the operator starts");
        assert!(
            mutating_api
                .get_opt("test-wh-hooks")
                .await
                .unwrap()
                .is_none()
        );
        assert_eq!(
            validating_api
                .get_opt("test-wh-hooks")
                .await
                .unwrap()
                .is_some(),
            validating_left
        );
        op.shutdown(Duration::from_secs(10)).await;
    }

    for name in ["good", "second"] {
        let _ = v1.delete(name, &DeleteParams::default()).await;
    }
    let _ = crds.delete(CRD, &DeleteParams::default()).await;
    let _ = Api::<ValidatingWebhookConfiguration>::all(client.clone())
        .delete("test-wh-hooks", &DeleteParams::default())
        .await;
    let _ = Api::<MutatingWebhookConfiguration>::all(client.clone())
        .delete("test-wh-hooks", &DeleteParams::default())
        .await;
    let _ = cms
        .delete("allowed-registries", &DeleteParams::default())
        .await;
    let _ = Api::<Secret>::namespaced(client.clone(), NS)
        .delete("test-wh-tls", &DeleteParams::default())
        .await;
}
