//! Hooks outside modules, against the real kube-apiserver of the test
//! environment: a shell-operator hooks folder run unchanged
//! (`--hooks-dir`), and addon-operator global hooks (`--global-hooks-dir`)
//! that configure and enable a module configured through addon-operator's
//! ConfigMap. The HTTP endpoints (`--listen`) are read as Prometheus and
//! a kubelet would read them.
//!
//! Both tests read settings from a ConfigMap, not from ModuleConfig
//! objects, so they do not answer for the other tests' ModuleConfigs.

use std::path::{Path, PathBuf};
use std::time::Duration;

use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Secret};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::Client;
use kube::api::{Api, DeleteParams, DynamicObject, Patch, PatchParams};
use kube::core::ApiResource;
use serde_json::{Value, json};

mod common;
use common::{client, ensure_namespace, eventually, helm, http_get};

fn fixture(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(path)
}

async fn apply<K>(api: &Api<K>, name: &str, obj: Value)
where
    K: kube::Resource + Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    api.patch(
        name,
        &PatchParams::apply("test").force(),
        &Patch::Apply(&obj),
    )
    .await
    .unwrap_or_else(|e| panic!("apply {name}: {e}"));
}

async fn cm_data(
    client: &Client,
    ns: &str,
    name: &str,
) -> Option<std::collections::BTreeMap<String, String>> {
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), ns);
    api.get_opt(name)
        .await
        .unwrap()
        .map(|c| c.data.unwrap_or_default())
}

async fn delete_if_there<K>(api: &Api<K>, name: &str)
where
    K: kube::Resource + Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    let _ = api.delete(name, &DeleteParams::default()).await;
}

/// deckmod operator over the shell-operator hooks folder `fixture_dir`
/// (no modules; configuration from a ConfigMap that does not exist in
/// `namespace`), with shell-operator's metric names on a loopback port.
async fn start_shell_operator(
    client: &Client,
    fixture_dir: &str,
    namespace: &str,
) -> operator::Operator {
    let tmp =
        std::env::temp_dir().join(format!("deckmod-{fixture_dir}-test-{}", std::process::id()));
    operator::Operator::start(
        client.clone(),
        operator::Options {
            hooks_dir: Some(fixture(fixture_dir)),
            namespace: namespace.into(),
            config: operator::config::ConfigSource::ConfigMap {
                namespace: namespace.into(),
                name: "no-such-config".into(),
            },
            tmp_dir: tmp,
            hook_timeout: Some(Duration::from_secs(30)),
            listen: Some("127.0.0.1:0".parse().unwrap()),
            metrics_prefix: "shell_operator_".into(),
            ..Default::default()
        },
    )
    .await
    .expect("the operator starts")
}

fn metric_line<'a>(text: &'a str, name_and_labels: &str) -> Option<&'a str> {
    text.lines().find(|l| l.starts_with(name_and_labels))
}

/// The message of a Module's `EnabledByModuleManager` condition when it
/// is False.
async fn module_reason(client: &Client, name: &str) -> Option<String> {
    let api: Api<DynamicObject> = Api::all_with(client.clone(), &operator::crds::module_resource());
    let m = api.get_opt(name).await.ok()??;
    let conditions = m.data.pointer("/status/conditions")?.as_array()?.clone();
    conditions
        .iter()
        .find(|c| c["type"] == "EnabledByModuleManager" && c["status"] == "False")
        .and_then(|c| c["message"].as_str())
        .map(str::to_string)
}

fn widget_crd() -> Value {
    json!({
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.test.deckmod.io"},
        "spec": {
            "group": "test.deckmod.io", "scope": "Namespaced",
            "names": {"plural": "widgets", "singular": "widget", "kind": "Widget"},
            "versions": [{"name": "v1", "served": true, "storage": true,
                "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}],
        },
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shell_operator_hooks_folder_runs_unchanged() {
    let client = client().await;
    for ns in ["test-sh-src", "test-sh-dst"] {
        ensure_namespace(&client, ns).await;
    }
    let src: Api<Secret> = Api::namespaced(client.clone(), "test-sh-src");
    let dst: Api<Secret> = Api::namespaced(client.clone(), "test-sh-dst");
    let dst_cms: Api<ConfigMap> = Api::namespaced(client.clone(), "test-sh-dst");
    for name in ["s1", "s2"] {
        delete_if_there(&src, name).await;
        delete_if_there(&dst, name).await;
    }
    for name in ["startup", "namespaces", "widgets"] {
        delete_if_there(&dst_cms, name).await;
    }
    // The Widget kind must not exist when the operator starts.
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    delete_if_there(&crds, "widgets.test.deckmod.io").await;
    eventually("the Widget CRD is gone", 60, || async {
        crds.get_opt("widgets.test.deckmod.io")
            .await
            .unwrap()
            .is_none()
            .then_some(())
    })
    .await;
    let secret = |name: &str, value: &str| {
        json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "labels": {"copy": "yes"}},
               "stringData": {"key": value}})
    };
    apply(&src, "s1", secret("s1", "one")).await;

    let op = start_shell_operator(&client, "shell-hooks", "test-sh-dst").await;
    let addr = op.listen_addr().expect("listening");

    // onStartup in ORDER (5, then 10), not in name order.
    let order = eventually("both onStartup hooks ran", 60, || async {
        let d = cm_data(&client, "test-sh-dst", "startup").await?;
        let o = d.get("order")?.clone();
        (o.len() >= 3).then_some(o)
    })
    .await;
    assert_eq!(order, "b,a");

    // The secret copier: Synchronization copies what exists; later events
    // keep the copies in step.
    let copied = |name: &'static str| {
        let dst = dst.clone();
        async move {
            dst.get_opt(name).await.unwrap().map(|s| {
                let bytes = s
                    .data
                    .unwrap_or_default()
                    .get("key")
                    .map(|b| b.0.clone())
                    .unwrap_or_default();
                String::from_utf8(bytes).unwrap()
            })
        }
    };
    eventually("s1 is copied at Synchronization", 60, || async {
        (copied("s1").await.as_deref() == Some("one")).then_some(())
    })
    .await;
    apply(&src, "s1", secret("s1", "changed")).await;
    apply(&src, "s2", secret("s2", "two")).await;
    eventually("a change and a new secret are copied", 60, || async {
        (copied("s1").await.as_deref() == Some("changed")
            && copied("s2").await.as_deref() == Some("two"))
        .then_some(())
    })
    .await;
    src.delete("s1", &DeleteParams::default()).await.unwrap();
    eventually("the copy of a deleted secret is deleted", 60, || async {
        copied("s1").await.is_none().then_some(())
    })
    .await;

    // The namespace monitor: a labelled namespace appears with its team,
    // and a relabel (a change of the filter result) is seen.
    let ns_name = format!("test-sh-team-{}", std::process::id());
    let namespaces: Api<Namespace> = Api::all(client.clone());
    let labelled = |team: &str| {
        json!({"apiVersion": "v1", "kind": "Namespace",
               "metadata": {"name": ns_name, "labels": {"deckmod-test-team": team}}})
    };
    apply(&namespaces, &ns_name, labelled("red")).await;
    let want_red = format!("{ns_name}=red");
    eventually(
        "the namespace monitor sees the new namespace",
        60,
        || async {
            let teams = cm_data(&client, "test-sh-dst", "namespaces")
                .await?
                .get("teams")?
                .clone();
            teams.split(',').any(|t| t == want_red).then_some(())
        },
    )
    .await;
    apply(&namespaces, &ns_name, labelled("blue")).await;
    let want_blue = format!("{ns_name}=blue");
    eventually("the namespace monitor sees the relabel", 60, || async {
        let teams = cm_data(&client, "test-sh-dst", "namespaces")
            .await?
            .get("teams")?
            .clone();
        teams.split(',').any(|t| t == want_blue).then_some(())
    })
    .await;

    // Namespaces chosen by labels: a ConfigMap is seen while its
    // namespace matches, and only then; one in another namespace never.
    let team_cm = |ns: &str| json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "team-cm", "namespace": ns}});
    let in_team: Api<ConfigMap> = Api::namespaced(client.clone(), &ns_name);
    apply(&in_team, "team-cm", team_cm(&ns_name)).await;
    let elsewhere: Api<ConfigMap> = Api::namespaced(client.clone(), "test-sh-src");
    apply(&elsewhere, "team-cm", team_cm("test-sh-src")).await;
    let seen = || async {
        cm_data(&client, "test-sh-dst", "team-cms")
            .await
            .and_then(|d| d.get("seen").cloned())
            .unwrap_or_default()
    };
    let mine = format!("{ns_name}/team-cm");
    apply(&namespaces, &ns_name, labelled("green")).await;
    eventually(
        "a namespace that starts to match brings its ConfigMap",
        60,
        || async { seen().await.split(',').any(|s| s == mine).then_some(()) },
    )
    .await;
    assert!(!seen().await.contains("test-sh-src/"), "{}", seen().await);
    apply(&namespaces, &ns_name, labelled("blue")).await;
    eventually(
        "a namespace that stops matching takes its ConfigMap away",
        60,
        || async { (!seen().await.split(',').any(|s| s == mine)).then_some(()) },
    )
    .await;

    // The endpoints: health, readiness, the operator's metrics with the
    // chosen prefix, the hooks' own metrics.
    assert_eq!(http_get(addr, "/healthz").0, 200);
    eventually("ready", 30, || async {
        (http_get(addr, "/readyz").0 == 200).then_some(())
    })
    .await;
    let (status, metrics) = http_get(addr, "/metrics");
    assert_eq!(status, 200);
    assert!(
        metric_line(
            &metrics,
            r#"shell_operator_hook_run_success_total{hook="b-startup",binding="onStartup",queue="main"} 1"#
        )
        .is_some(),
        "{metrics}"
    );
    assert!(
        metric_line(
            &metrics,
            r#"shell_operator_hook_enable_kubernetes_bindings_success{hook="widget-watcher"} 0"#
        )
        .is_some(),
        "the binding on the missing kind shows as not watching:\n{metrics}"
    );
    let (_, hook_metrics) = http_get(addr, "/metrics/hooks");
    assert!(
        hook_metrics.contains("deckmod_test_startups"),
        "{hook_metrics}"
    );

    // The missing kind appears: the binding starts on its next retry and
    // its objects reach the hook.
    apply(&crds, "widgets.test.deckmod.io", widget_crd()).await;
    eventually("the Widget binding watches", 90, || async {
        let (_, m) = http_get(addr, "/metrics");
        metric_line(
            &m,
            r#"shell_operator_hook_enable_kubernetes_bindings_success{hook="widget-watcher"} 1"#,
        )
        .map(|_| ())
    })
    .await;
    let widgets: Api<DynamicObject> = Api::namespaced_with(
        client.clone(),
        "test-sh-dst",
        &ApiResource {
            group: "test.deckmod.io".into(),
            version: "v1".into(),
            api_version: "test.deckmod.io/v1".into(),
            kind: "Widget".into(),
            plural: "widgets".into(),
        },
    );
    eventually("a Widget is created", 30, || async {
        widgets
            .patch(
                "w1",
                &PatchParams::apply("test").force(),
                &Patch::Apply(&json!({"apiVersion": "test.deckmod.io/v1", "kind": "Widget", "metadata": {"name": "w1"}})),
            )
            .await
            .ok()
            .map(|_| ())
    })
    .await;
    eventually("the Widget reaches the hook", 60, || async {
        let names = cm_data(&client, "test-sh-dst", "widgets")
            .await?
            .get("names")?
            .clone();
        (names == "w1").then_some(())
    })
    .await;

    op.shutdown(Duration::from_secs(5)).await;
    delete_if_there(&crds, "widgets.test.deckmod.io").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn global_hooks_configure_and_enable_a_module_configured_by_configmap() {
    let client = client().await;
    for ns in ["test-gl", "test-gl-src", "test-gl-cfg"] {
        ensure_namespace(&client, ns).await;
    }
    let src: Api<ConfigMap> = Api::namespaced(client.clone(), "test-gl-src");
    let cfg: Api<ConfigMap> = Api::namespaced(client.clone(), "test-gl-cfg");
    delete_if_there(&src, "color").await;
    // addon-operator's ConfigMap: the module's settings, no enabled flag
    // (the global hook's dynamic enable decides).
    apply(
        &cfg,
        "addon-config",
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "addon-config"},
               "data": {"global": "", "gmod": "greeting: hi\n"}}),
    )
    .await;

    let tmp = std::env::temp_dir().join(format!("deckmod-global-test-{}", std::process::id()));
    let op = operator::Operator::start(
        client.clone(),
        operator::Options {
            modules_dirs: vec![fixture("global/modules")],
            global_hooks_dir: Some(fixture("global/hooks")),
            namespace: "test-gl-cfg".into(),
            config: operator::config::ConfigSource::ConfigMap {
                namespace: "test-gl-cfg".into(),
                name: "addon-config".into(),
            },
            tmp_dir: tmp,
            hook_timeout: Some(Duration::from_secs(30)),
            listen: Some("127.0.0.1:0".parse().unwrap()),
            ..Default::default()
        },
    )
    .await
    .expect("the operator starts");
    let addr = op.listen_addr().expect("listening");

    // Enabled by the global hook (statically disabled), the global value
    // it discovered, the ConfigMap's settings and the beforeHelm value are
    // rendered; afterHelm ran on the applied object.
    let want = |color: &'static str| {
        let client = client.clone();
        async move {
            let api: Api<ConfigMap> = Api::namespaced(client, "test-gl");
            let cm = api.get_opt("gmod").await.unwrap()?;
            let d = cm.data.clone().unwrap_or_default();
            let ok = d.get("color").map(String::as_str) == Some(color)
                && d.get("greeting").map(String::as_str) == Some("hi")
                && d.get("stamp").map(String::as_str) == Some("before-helm");
            let after = cm
                .metadata
                .annotations
                .unwrap_or_default()
                .get("test/after-helm")
                .is_some_and(|v| v == "ran");
            (ok && after).then_some(())
        }
    };
    eventually("gmod rendered with the global hook's values", 90, || {
        want("blue")
    })
    .await;
    let list = helm(&["list", "-n", "test-gl", "-o", "json"]);
    let releases: Value = serde_json::from_str(&list).unwrap();
    assert!(
        releases
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["name"] == "gmod" && r["status"] == "deployed"),
        "{list}"
    );

    // A global kubernetes binding changes a global value: the module
    // re-renders with it.
    apply(
        &src,
        "color",
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "color"}, "data": {"color": "green"}}),
    )
    .await;
    eventually("gmod follows the global value", 60, || want("green")).await;

    eventually("ready after the first converge", 30, || async {
        (http_get(addr, "/readyz").0 == 200).then_some(())
    })
    .await;
    let (_, metrics) = http_get(addr, "/metrics");
    for want in [
        r#"addon_operator_global_hook_run_success_total{hook="global/discover",binding="onStartup",queue="main"} 1"#,
        r#"addon_operator_module_hook_run_success_total{module="gmod",hook="050-gmod/hooks/before",binding="beforeHelm",queue="gmod"}"#,
        r#"addon_operator_module_run_seconds_count{module="gmod"}"#,
    ] {
        assert!(
            metric_line(&metrics, want).is_some(),
            "missing {want}:\n{metrics}"
        );
    }

    // The ConfigMap's enabled flag comes after the dynamic enable in the
    // extender chain: it disables the module, which is removed.
    apply(
        &cfg,
        "addon-config",
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "addon-config"},
               "data": {"global": "", "gmod": "greeting: hi\n", "gmodEnabled": "false"}}),
    )
    .await;
    eventually(
        "gmod is removed when the ConfigMap disables it",
        60,
        || async {
            cm_data(&client, "test-gl", "gmod")
                .await
                .is_none()
                .then_some(())
        },
    )
    .await;
    let list = helm(&["list", "-n", "test-gl", "-q"]);
    assert!(!list.lines().any(|l| l == "gmod"), "{list}");
    for (name, why) in [
        (
            "needs-gmod",
            "requirement not met: module gmod is not enabled",
        ),
        ("scripted", "disabled by its enabled script"),
    ] {
        eventually(&format!("{name} is disabled with gmod"), 60, || async {
            cm_data(&client, "test-gl", name)
                .await
                .is_none()
                .then_some(())
        })
        .await;
        let reason = eventually(&format!("{name} says why"), 30, || {
            module_reason(&client, name)
        })
        .await;
        assert_eq!(reason, why);
    }

    op.shutdown(Duration::from_secs(5)).await;
}

/// addon-operator's converge rounds: beforeAll, every module runs with the
/// round's global values, then afterAll once; a global values change by a
/// kubernetes binding starts the next round. The afterAll hook records
/// each round it saw with the round its module's object showed at that
/// moment, so an afterAll that ran early, twice or not at all shows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_all_runs_once_every_module_has_converged_the_round() {
    let client = client().await;
    for ns in ["test-rounds", "test-rounds-src", "test-rounds-cfg"] {
        ensure_namespace(&client, ns).await;
    }
    let src: Api<ConfigMap> = Api::namespaced(client.clone(), "test-rounds-src");
    let out: Api<ConfigMap> = Api::namespaced(client.clone(), "test-rounds");
    let cfg: Api<ConfigMap> = Api::namespaced(client.clone(), "test-rounds-cfg");
    for (api, name) in [(&src, "trigger"), (&out, "after-all"), (&out, "rmod")] {
        delete_if_there(api, name).await;
    }
    apply(
        &cfg,
        "addon-config",
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "addon-config"}, "data": {}}),
    )
    .await;

    let tmp = std::env::temp_dir().join(format!("deckmod-rounds-test-{}", std::process::id()));
    let socket = tmp.join("debug.socket");
    let op = operator::Operator::start(
        client.clone(),
        operator::Options {
            modules_dirs: vec![fixture("rounds/modules")],
            global_hooks_dir: Some(fixture("rounds/hooks")),
            debug_socket: Some(socket.clone()),
            namespace: "test-rounds-cfg".into(),
            config: operator::config::ConfigSource::ConfigMap {
                namespace: "test-rounds-cfg".into(),
                name: "addon-config".into(),
            },
            tmp_dir: tmp,
            hook_timeout: Some(Duration::from_secs(30)),
            listen: Some("127.0.0.1:0".parse().unwrap()),
            ..Default::default()
        },
    )
    .await
    .expect("the operator starts");
    let addr = op.listen_addr().expect("listening");
    let global = op.hook_workers().next().expect("the global worker").clone();
    let converged = |round: u64| {
        let global = global.clone();
        async move {
            let s = global.inspect().await?;
            (s.converged >= round).then_some(s.converged)
        }
    };
    let history = || async {
        cm_data(&client, "test-rounds", "after-all")
            .await
            .and_then(|d| d.get("history").cloned())
    };

    // Start-up: round 1, afterAll after the module rendered it.
    assert_eq!(
        eventually("round 1 converged", 90, || converged(1)).await,
        1
    );
    assert_eq!(history().await.as_deref(), Some("1:1"));

    // A global kubernetes binding changes the global values: round 2.
    apply(
        &src,
        "trigger",
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "trigger"}, "data": {"x": "pulled"}}),
    )
    .await;
    assert_eq!(
        eventually("round 2 converged", 60, || converged(2)).await,
        2
    );
    assert_eq!(history().await.as_deref(), Some("1:1,2:2"));
    let rmod = cm_data(&client, "test-rounds", "rmod").await.unwrap();
    assert_eq!(rmod.get("trigger").map(String::as_str), Some("pulled"));

    // The debug socket shows the same state (what `deckmod debug` prints).
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(&socket).unwrap().permissions().mode();
    assert_eq!(
        mode & 0o777,
        0o600,
        "the socket is the operator user's only"
    );
    let debug = |path: &str| {
        let (status, body) = operator::debug::get(&socket, path).expect("the debug socket answers");
        (status, body)
    };
    let json_of = |path: &str| -> Value {
        let (status, body) = debug(path);
        assert_eq!(status, 200, "{path}: {body}");
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path}: {e}: {body}"))
    };
    let modules = json_of("/module/list.json");
    assert_eq!(modules[0]["name"], "rmod", "{modules}");
    assert_eq!(modules[0]["enabled"], true, "{modules}");
    assert_eq!(modules[0]["phase"], "Ready", "{modules}");
    let values = json_of("/module/rmod/values.json");
    assert_eq!(values["global"]["rounds"]["n"], 2, "{values}");
    assert_eq!(
        json_of("/global/values.json")["global"]["trigger"],
        "pulled"
    );
    let hooks = json_of("/hook/list.json");
    // Every hook, with kubernetes bindings or not.
    for hook in ["global/trigger", "global/before-all", "global/after-all"] {
        assert!(
            hooks.as_array().unwrap().iter().any(|h| h == hook),
            "{hook}: {hooks}"
        );
    }
    assert_eq!(json_of("/hook/global/before-all/snapshots.json"), json!({}));
    let snapshots = json_of("/hook/global/trigger/snapshots.json");
    assert_eq!(
        snapshots["trigger"][0]["filterResult"], "pulled",
        "{snapshots}"
    );
    let (status, queues) = debug("/queue/list.text");
    assert_eq!(status, 200);
    assert!(
        queues.contains("Queue 'main': length 0") && queues.contains("Queue 'rmod'"),
        "{queues}"
    );
    let (status, yaml) = debug("/global/values.yaml");
    assert_eq!(status, 200);
    assert!(yaml.contains("trigger: pulled"), "{yaml}");
    // The chart as it renders now, and nothing to change against the
    // deployed revision.
    let (status, manifest) = debug("/module/rmod/render.text");
    assert_eq!(status, 200, "{manifest}");
    assert!(manifest.contains("trigger: \"pulled\""), "{manifest}");
    assert_eq!(debug("/module/rmod/render-diff.text"), (200, String::new()));
    let (status, body) = debug("/module/nope/values.json");
    assert_eq!(status, 404, "{body}");
    assert!(body.contains("no module nope"), "{body}");

    let (_, metrics) = http_get(addr, "/metrics");
    for want in [
        r#"addon_operator_convergence_total{activation="OperatorStartup"} 1"#,
        r#"addon_operator_convergence_total{activation="GlobalValuesChanged"} 1"#,
        r#"addon_operator_convergence_seconds{activation="GlobalValuesChanged"}"#,
        r#"addon_operator_global_hook_run_success_total{hook="global/after-all",binding="afterAll",queue="main"} 2"#,
    ] {
        assert!(
            metric_line(&metrics, want).is_some(),
            "missing {want}:\n{metrics}"
        );
    }
    op.shutdown(Duration::from_secs(5)).await;
    for (api, name) in [(&src, "trigger"), (&out, "after-all")] {
        delete_if_there(api, name).await;
    }
}

/// The API server's count of successful LIST requests for `resource`
/// (its own `apiserver_request_total`).
async fn apiserver_lists(client: &Client, resource: &str) -> u64 {
    let req = hyper::Request::get("/metrics").body(Vec::new()).unwrap();
    let text = client.request_text(req).await.expect("apiserver metrics");
    text.lines()
        .filter(|l| {
            l.starts_with("apiserver_request_total{")
                && l.contains(r#"verb="LIST""#)
                && l.contains(&format!(r#"resource="{resource}""#))
                && l.contains(r#"code="200""#)
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
}

/// `resynchronizationPeriod` lists the binding's objects again and again
/// (the API server counts the LISTs); a relist that finds nothing new runs
/// no hook, and a real change still does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resynchronization_period_relists_without_running_the_hook_for_nothing() {
    let client = client().await;
    ensure_namespace(&client, "test-resync").await;
    let limits: Api<DynamicObject> = Api::namespaced_with(
        client.clone(),
        "test-resync",
        &ApiResource::erase::<k8s_openapi::api::core::v1::LimitRange>(&()),
    );
    delete_if_there(&limits, "l1").await;
    let lists_before = apiserver_lists(&client, "limitranges").await;

    let op = start_shell_operator(&client, "resync-hooks", "test-resync").await;
    let addr = op.listen_addr().expect("listening");
    let runs = || {
        let (_, metrics) = http_get(addr, "/metrics");
        metric_line(
            &metrics,
            r#"shell_operator_hook_run_success_total{hook="limits",binding="limits",queue="main"}"#,
        )
        .and_then(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .unwrap_or(0)
    };
    eventually("the Synchronization run", 60, || async {
        (runs() == 1).then_some(())
    })
    .await;
    // The first list, then at least three relists of the period.
    eventually("the binding is listed again every second", 60, || async {
        (apiserver_lists(&client, "limitranges").await >= lists_before + 4).then_some(())
    })
    .await;
    assert_eq!(runs(), 1, "a relist over nothing new ran the hook");

    limits
        .patch(
            "l1",
            &PatchParams::apply("test").force(),
            &Patch::Apply(&json!({"apiVersion": "v1", "kind": "LimitRange",
                "metadata": {"name": "l1"},
                "spec": {"limits": [{"type": "Container", "max": {"cpu": "1"}}]}})),
        )
        .await
        .unwrap();
    eventually("a real change runs the hook", 60, || async {
        (runs() == 2).then_some(())
    })
    .await;
    op.shutdown(Duration::from_secs(5)).await;
    delete_if_there(&limits, "l1").await;
}
