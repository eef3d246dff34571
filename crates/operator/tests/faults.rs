//! Faults inside modules, against the real kube-apiserver of the test
//! environment: a hook that hangs, a hook that prints 100 MB, a chart of
//! 5,000 objects and 100 modules with hooks at once. In each, the faulty
//! part is reported on its Module and everything else converges.
//!
//! Modules here are enabled statically (`<valuesKey>Enabled: true` in
//! their values.yaml) and settings come from a ConfigMap, so these tests
//! neither create nor read ModuleConfigs, which other tests own. Each test runs in its own process
//! (nextest), which the memory check relies on.

use std::path::{Path, PathBuf};
use std::time::Duration;

use k8s_openapi::api::core::v1::ConfigMap;
use kube::Client;
use kube::api::{Api, DeleteParams, DynamicObject, ListParams};

mod common;
use common::{client, ensure_namespace, eventually, helm};

fn fixture(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(path)
}

async fn start(
    client: &Client,
    dirs: Vec<PathBuf>,
    tag: &str,
    hook_timeout: u64,
) -> operator::Operator {
    let tmp = std::env::temp_dir().join(format!("deckmod-{tag}-test-{}", std::process::id()));
    operator::Operator::start(
        client.clone(),
        operator::Options {
            modules_dirs: dirs,
            namespace: "default".into(),
            // Settings from a ConfigMap that does not exist, not from
            // ModuleConfigs: an operator reading ModuleConfigs would answer
            // the other tests' ones (as an unknown module).
            config: operator::config::ConfigSource::ConfigMap {
                namespace: "default".into(),
                name: format!("no-such-config-{tag}"),
            },
            tmp_dir: tmp,
            hook_timeout: Some(Duration::from_secs(hook_timeout)),
            ..Default::default()
        },
    )
    .await
    .expect("the operator starts")
}

async fn configmap(client: &Client, ns: &str, name: &str) -> Option<ConfigMap> {
    Api::<ConfigMap>::namespaced(client.clone(), ns)
        .get_opt(name)
        .await
        .unwrap()
}

async fn module_status(client: &Client, name: &str) -> serde_json::Value {
    let api: Api<DynamicObject> = Api::all_with(client.clone(), &operator::crds::module_resource());
    api.get_opt(name)
        .await
        .unwrap()
        .map(|m| m.data["status"].clone())
        .unwrap_or_default()
}

/// The process's peak resident memory (`VmHWM`), in KiB.
fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/self/status")
}

async fn count_configmaps(client: &Client, ns: &str, prefix: &str) -> usize {
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), ns);
    let mut n = 0;
    let mut params = ListParams::default().limit(1000);
    loop {
        let page = api.list_metadata(&params).await.unwrap();
        n += page
            .items
            .iter()
            .filter(|c| {
                c.metadata
                    .name
                    .as_deref()
                    .is_some_and(|m| m.starts_with(prefix))
            })
            .count();
        match page.metadata.continue_.filter(|c| !c.is_empty()) {
            Some(token) => params = params.continue_token(&token),
            None => return n,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_hook_and_a_loud_hook_hold_up_no_other_module() {
    let client = client().await;
    ensure_namespace(&client, "test-fault").await;
    for m in ["hangs", "loud", "fine"] {
        let _ = Api::<ConfigMap>::namespaced(client.clone(), "test-fault")
            .delete(&format!("fault-{m}"), &DeleteParams::default())
            .await;
    }
    let before = peak_rss_kib();
    let op = start(&client, vec![fixture("faulty")], "faults", 3).await;

    // The fine module and the loud one converge while the other hangs.
    for m in ["fine", "loud"] {
        eventually(&format!("fault-{m} converges"), 120, || async {
            configmap(&client, "test-fault", &format!("fault-{m}"))
                .await
                .map(drop)
        })
        .await;
    }
    // The hanging hook is killed at its timeout, reported, and retried.
    let status = eventually("fault-hangs reports the timeout", 60, || async {
        let s = module_status(&client, "fault-hangs").await;
        (s["phase"] == "Error" && s.to_string().contains("timed out after 3s")).then_some(s)
    })
    .await;
    assert!(
        configmap(&client, "test-fault", "fault-hangs")
            .await
            .is_none(),
        "its chart is not applied: {status}"
    );
    assert_eq!(module_status(&client, "fault-fine").await["phase"], "Ready");
    assert_eq!(module_status(&client, "fault-loud").await["phase"], "Ready");
    // 200 MB of output left a bounded record: the peak grew by far less
    // than the output (the runner keeps 4 MiB of lines per stream and
    // 16 MiB of raw stdout).
    let grown_mib = peak_rss_kib().saturating_sub(before) / 1024;
    assert!(grown_mib < 96, "the peak RSS grew by {grown_mib} MiB");

    op.shutdown(Duration::from_secs(10)).await;
    for m in ["loud", "fine"] {
        let _ = Api::<ConfigMap>::namespaced(client.clone(), "test-fault")
            .delete(&format!("fault-{m}"), &DeleteParams::default())
            .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chart_of_5000_objects_is_applied_recorded_and_removed() {
    let client = client().await;
    ensure_namespace(&client, "test-fault-many").await;
    let op = start(&client, vec![fixture("many")], "many", 30).await;
    eventually("5,000 objects applied", 600, || async {
        (count_configmaps(&client, "test-fault-many", "many-").await == 5000).then_some(())
    })
    .await;
    eventually("the module is ready", 120, || async {
        (module_status(&client, "fault-many").await["phase"] == "Ready").then_some(())
    })
    .await;
    // The release record holds them all, and the real helm reads it.
    let manifest = helm(&["get", "manifest", "fault-many", "-n", "test-fault-many"]);
    assert_eq!(manifest.matches("kind: ConfigMap").count(), 5000);

    // Disabled (the module folder gone from the operator), the release
    // and its 5,000 objects are removed.
    op.manager().deactivate("fault-many").await.unwrap();
    eventually("5,000 objects removed", 600, || async {
        (count_configmaps(&client, "test-fault-many", "many-").await == 0).then_some(())
    })
    .await;
    let list = helm(&["list", "-a", "-n", "test-fault-many", "-q"]);
    assert!(!list.contains("fault-many"), "{list}");
    op.shutdown(Duration::from_secs(10)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_modules_with_hooks_converge_at_once() {
    let client = client().await;
    ensure_namespace(&client, "test-fault-100").await;
    let dir = tempfile::tempdir().unwrap();
    for i in 0..100 {
        let m = dir.path().join(format!("{:03}-fault-m{i:03}", 100 + i));
        std::fs::create_dir_all(m.join("hooks")).unwrap();
        std::fs::create_dir_all(m.join("templates")).unwrap();
        std::fs::write(
            m.join("module.yaml"),
            format!("name: fault-m{i:03}\nnamespace: test-fault-100\n"),
        )
        .unwrap();
        std::fs::write(
            m.join("values.yaml"),
            format!("faultM{i:03}Enabled: true\n"),
        )
        .unwrap();
        std::fs::write(
            m.join("templates/cm.yaml"),
            format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: chart-m{i:03}\n"),
        )
        .unwrap();
        // A beforeHelm hook that creates an object of its own.
        let hook = m.join("hooks/stamp");
        std::fs::write(
            &hook,
            format!(
                "#!/bin/sh\nif [ \"$1\" = --config ]; then echo 'configVersion: v1'; echo 'beforeHelm: 1'; exit 0; fi\n\
                 echo '{{\"operation\":\"CreateOrUpdate\",\"object\":{{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\
                 \"metadata\":{{\"name\":\"hook-m{i:03}\",\"namespace\":\"test-fault-100\"}}}}}}' > \"$KUBERNETES_PATCH_PATH\"\n"
            ),
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let op = start(&client, vec![dir.path().to_path_buf()], "hundred", 30).await;
    eventually("100 charts and 100 hooks' objects", 300, || async {
        let charts = count_configmaps(&client, "test-fault-100", "chart-m").await;
        let hooks = count_configmaps(&client, "test-fault-100", "hook-m").await;
        (charts == 100 && hooks == 100).then_some(())
    })
    .await;
    eventually("every module is ready", 120, || async {
        for i in 0..100 {
            if module_status(&client, &format!("fault-m{i:03}")).await["phase"] != "Ready" {
                return None;
            }
        }
        Some(())
    })
    .await;
    for i in 0..100 {
        op.manager()
            .deactivate(&format!("fault-m{i:03}"))
            .await
            .unwrap();
    }
    eventually("the charts' objects are removed", 300, || async {
        (count_configmaps(&client, "test-fault-100", "chart-m").await == 0).then_some(())
    })
    .await;
    op.shutdown(Duration::from_secs(10)).await;
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), "test-fault-100");
    for i in 0..100 {
        let _ = api
            .delete(&format!("hook-m{i:03}"), &DeleteParams::default())
            .await;
    }
}
