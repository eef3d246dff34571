//! The operator against the real kube-apiserver of the test environment
//! (`scripts/test.sh` starts it and sets `KUBECONFIG`; `helm` is on PATH).
//!
//! A module whose kubernetes hook watches labelled ConfigMaps and writes
//! them into values that the chart renders into an aggregate ConfigMap:
//! the aggregate follows creates, changes and deletes; the release is a
//! Helm 3 release the real `helm` reads; drift is repaired; invalid
//! settings are refused in the ModuleConfig's status while the module
//! keeps running; disabling removes the objects and the release.

use std::path::{Path, PathBuf};
use std::time::Duration;

use k8s_openapi::api::core::v1::{ConfigMap, Namespace};
use kube::Client;
use kube::api::{Api, DeleteParams, DynamicObject, Patch, PatchParams};
use serde_json::{Value, json};

mod common;
use common::{
    client, described_events, ensure_namespace, eventually, helm, kubectl_describe,
    module_config_api, set_module_config,
};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/modules")
}

async fn put_source(client: &Client, name: &str, value: &str, labelled: bool) {
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), "test-aggregator-src");
    let labels = if labelled {
        json!({"aggregate": "yes"})
    } else {
        json!({})
    };
    let cm = json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": name, "labels": labels},
        "data": {"value": value},
    });
    api.patch(
        name,
        &PatchParams::apply("test").force(),
        &Patch::Apply(&cm),
    )
    .await
    .unwrap();
}

async fn aggregate(client: &Client) -> Option<ConfigMap> {
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), "test-aggregator");
    api.get_opt("aggregate").await.unwrap()
}

fn data(cm: &ConfigMap, key: &str) -> String {
    cm.data
        .as_ref()
        .and_then(|d| d.get(key))
        .cloned()
        .unwrap_or_default()
}

async fn start(client: &Client) -> operator::Operator {
    let tmp = std::env::temp_dir().join(format!("deckmod-op-test-{}", std::process::id()));
    operator::Operator::start(
        client.clone(),
        operator::Options {
            modules_dirs: vec![fixtures()],
            namespace: "default".into(),
            config: operator::config::ConfigSource::ModuleConfigs,
            tmp_dir: tmp,
            hook_timeout: Some(Duration::from_secs(30)),
            ..Default::default()
        },
    )
    .await
    .expect("the operator starts")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_module_follows_its_sources_and_its_config() {
    let client = client().await;
    ensure_namespace(&client, "test-aggregator-src").await;
    clear_sources(&client).await;
    put_source(&client, "a", "1", true).await;
    put_source(&client, "b", "2", true).await;
    put_source(&client, "not-me", "0", false).await;

    let op = start(&client).await;
    set_module_config(
        &client,
        "aggregator",
        json!({"enabled": true, "version": 1, "settings": {"greeting": "hi"}}),
    )
    .await;
    set_module_config(&client, "bad-chart", json!({"enabled": true})).await;

    // Synchronization → values → render → apply.
    let cm = eventually("the aggregate lists a and b", 60, || async {
        aggregate(&client)
            .await
            .filter(|cm| data(cm, "names") == "a,b")
    })
    .await;
    assert_eq!(data(&cm, "greeting"), "hi");
    assert_eq!(data(&cm, "pairs"), "a=1,b=2");

    // The real helm reads the release deckmod stored.
    let list: Value =
        serde_json::from_str(&helm(&["list", "-n", "test-aggregator", "-o", "json"])).unwrap();
    let rel = list
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "aggregator")
        .unwrap_or_else(|| panic!("helm list shows the release: {list}"));
    assert_eq!(rel["status"], "deployed", "{rel}");
    assert_eq!(rel["chart"], "aggregator-0.0.1", "{rel}");
    let manifest = helm(&["get", "manifest", "aggregator", "-n", "test-aggregator"]);
    assert!(
        manifest.contains("# Source: aggregator/templates/aggregate.yaml"),
        "{manifest}"
    );
    assert!(manifest.contains("name: aggregate"), "{manifest}");
    let values = helm(&[
        "get",
        "values",
        "aggregator",
        "-n",
        "test-aggregator",
        "-o",
        "json",
    ]);
    let values: Value = serde_json::from_str(&values).unwrap();
    assert_eq!(values["aggregator"]["greeting"], "hi", "{values}");

    // Events: added, changed (in what the filter keeps), deleted.
    put_source(&client, "d", "4", true).await;
    eventually("d is added", 30, || async {
        aggregate(&client)
            .await
            .filter(|cm| data(cm, "names") == "a,b,d")
    })
    .await;
    put_source(&client, "b", "20", true).await;
    eventually("b's value changes", 30, || async {
        aggregate(&client)
            .await
            .filter(|cm| data(cm, "pairs") == "a=1,b=20,d=4")
    })
    .await;
    let src: Api<ConfigMap> = Api::namespaced(client.clone(), "test-aggregator-src");
    src.delete("a", &DeleteParams::default()).await.unwrap();
    eventually("a is removed", 30, || async {
        aggregate(&client)
            .await
            .filter(|cm| data(cm, "names") == "b,d")
    })
    .await;
    let history = helm(&[
        "history",
        "aggregator",
        "-n",
        "test-aggregator",
        "-o",
        "json",
    ]);
    let history: Value = serde_json::from_str(&history).unwrap();
    let revisions = history.as_array().unwrap();
    assert!(revisions.len() >= 4, "one revision per change: {history}");
    assert_eq!(revisions.last().unwrap()["status"], "deployed");
    assert!(
        revisions[..revisions.len() - 1]
            .iter()
            .all(|r| r["status"] == "superseded"),
        "{history}"
    );

    // Hooks of every kind ran: onStartup and afterHelm (annotations),
    // and the schedule hook (its ConfigMap).
    eventually(
        "onStartup and afterHelm hooks annotated the aggregate",
        30,
        || async {
            aggregate(&client).await.filter(|cm| {
                let a = cm.metadata.annotations.clone().unwrap_or_default();
                a.get("test/afterHelm").map(String::as_str) == Some("ran")
            })
        },
    )
    .await;
    let target: Api<ConfigMap> = Api::namespaced(client.clone(), "test-aggregator");
    eventually("the schedule hook ran", 30, || async {
        target.get_opt("ticks").await.unwrap()
    })
    .await;

    // One shared watch per distinct (kind, namespace, selectors).
    let keys = op.watches().keys();
    let sources = keys
        .iter()
        .filter(|k| k.namespace.as_deref() == Some("test-aggregator-src"))
        .count();
    assert_eq!(sources, 1, "{keys:?}");

    // Drift: a deleted object comes back; a managed field edited by hand
    // is reverted; a field another manager owns is left alone.
    target
        .delete("aggregate", &DeleteParams::default())
        .await
        .unwrap();
    eventually("the deleted aggregate is restored", 30, || async {
        aggregate(&client)
            .await
            .filter(|cm| data(cm, "names") == "b,d")
    })
    .await;
    let edit = json!({"data": {"names": "tampered", "extra": "mine"}});
    target
        .patch("aggregate", &PatchParams::default(), &Patch::Merge(&edit))
        .await
        .unwrap();
    let cm = eventually("the edited field is reverted", 30, || async {
        aggregate(&client)
            .await
            .filter(|cm| data(cm, "names") == "b,d")
    })
    .await;
    assert_eq!(
        data(&cm, "extra"),
        "mine",
        "a field deckmod does not manage stays"
    );

    // Invalid settings are refused with a JSON pointer; nothing changes.
    set_module_config(
        &client,
        "aggregator",
        json!({"enabled": true, "version": 1, "settings": {"greeting": 5}}),
    )
    .await;
    let mcs = module_config_api(&client);
    let message = eventually("the ModuleConfig says why it is refused", 30, || async {
        let mc = mcs.get("aggregator").await.unwrap();
        let m = mc.data["status"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        (!m.is_empty()).then_some(m)
    })
    .await;
    assert!(message.contains("/greeting"), "{message}");
    // ... and the refusal is an event on the ModuleConfig, as
    // `kubectl describe` shows it.
    let described = eventually("a SettingsRefused event", 30, || async {
        let d = kubectl_describe("moduleconfig", "aggregator");
        described_events(&d)
            .contains("SettingsRefused")
            .then_some(d)
    })
    .await;
    let events = described_events(&described);
    assert!(
        events.contains("Warning") && events.contains("/greeting"),
        "{described}"
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(data(&aggregate(&client).await.unwrap(), "greeting"), "hi");

    // The Module object says what the module is doing.
    let modules: Api<DynamicObject> =
        Api::all_with(client.clone(), &operator::crds::module_resource());
    let m = modules.get("aggregator").await.unwrap();
    assert_eq!(m.data["status"]["phase"], "Ready", "{:?}", m.data);
    let described = kubectl_describe("module", "aggregator");
    let events = described_events(&described);
    for reason in ["ModuleEnabled", "ModuleReady"] {
        assert!(events.contains(reason), "no {reason} event:\n{described}");
    }

    // Bad modules are reported on their own Module objects, and did not
    // stop the one above: invalid YAML names file, line and column; a
    // chart that fails to render says why (and is retried).
    let broken = modules.get("broken-yaml").await.unwrap();
    assert_eq!(broken.data["status"]["phase"], "Error", "{:?}", broken.data);
    let why = broken.data["status"]["hooksState"]
        .as_str()
        .unwrap_or_default();
    assert!(why.contains("020-broken-yaml/module.yaml:3:1: "), "{why}");
    assert!(why.contains("invalid YAML"), "{why}");
    let bad = eventually("the failing chart is reported", 30, || async {
        let m = modules.get("bad-chart").await.unwrap();
        (m.data["status"]["phase"] == "Error").then_some(m)
    })
    .await;
    let why = bad.data["status"]["hooksState"]
        .as_str()
        .unwrap_or_default();
    assert!(why.contains("this chart refuses to render"), "{why}");
    let described = eventually("a ModuleFailed event", 30, || async {
        let d = kubectl_describe("module", "bad-chart");
        described_events(&d).contains("ModuleFailed").then_some(d)
    })
    .await;
    assert!(
        described_events(&described).contains("this chart refuses to render"),
        "{described}"
    );

    // Disabling removes the objects and the release.
    set_module_config(
        &client,
        "aggregator",
        json!({"enabled": false, "version": 1, "settings": {"greeting": "hi"}}),
    )
    .await;
    eventually("the aggregate is removed", 60, || async {
        aggregate(&client).await.is_none().then_some(())
    })
    .await;
    eventually("the release is removed", 30, || async {
        let list = helm(&["list", "-a", "-n", "test-aggregator", "-q"]);
        (!list.contains("aggregator")).then_some(())
    })
    .await;
    let m = modules.get("aggregator").await.unwrap();
    assert_eq!(m.data["status"]["phase"], "Available", "{:?}", m.data);
    eventually("a ModuleDisabled event", 30, || async {
        let d = kubectl_describe("module", "aggregator");
        described_events(&d)
            .contains("ModuleDisabled")
            .then_some(())
    })
    .await;

    op.shutdown(Duration::from_secs(10)).await;
    let _ = mcs.delete("aggregator", &DeleteParams::default()).await;
    let _ = mcs.delete("bad-chart", &DeleteParams::default()).await;
    let ns: Api<Namespace> = Api::all(client.clone());
    // Namespaces are kept: the test cluster runs no namespace controller,
    // so a deleted namespace would stay Terminating.
    let _ = ns;
    clear_sources(&client).await;
    let _ = target.delete("ticks", &DeleteParams::default()).await;
}

async fn clear_sources(client: &Client) {
    let src: Api<ConfigMap> = Api::namespaced(client.clone(), "test-aggregator-src");
    let _ = src
        .delete_collection(&DeleteParams::default(), &kube::api::ListParams::default())
        .await;
}
