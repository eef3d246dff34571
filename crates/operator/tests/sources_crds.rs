//! The module-distribution CRDs against the real kube-apiserver: accepted, served under
//! their short names with DKP's printer columns, defaults applied, v1alpha1 update
//! policies surviving storage as v1alpha2, bad windows refused by the schema.

#[path = "sources/common.rs"]
mod common;

use std::process::Command;

use common::*;
use kube::api::{Patch, PatchParams};
use serde_json::{Value, json};

fn kubectl(args: &[&str]) -> (bool, String, String) {
    let out = Command::new("kubectl")
        .args(args)
        .env("KUBECONFIG", env("KUBECONFIG"))
        .output()
        .expect("kubectl runs (testenv PATH)");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn columns(text: &str) -> Vec<String> {
    text.lines()
        .next()
        .unwrap_or_default()
        .split("  ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(String::from)
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn crds_are_served_with_short_names_columns_and_defaults() {
    let client = client().await;
    install_crds(&client).await;
    let name = unique("crds");
    let ms = json!({
        "apiVersion": "deckhouse.io/v1alpha1", "kind": "ModuleSource",
        "metadata": {"name": name},
        "spec": {"registry": {"repo": "registry.example.com/acme/modules"}},
    });
    apply(&client, &operator::crds::module_source_resource(), ms).await;
    let mr_name = format!("{name}-v1.2.3");
    apply(
        &client,
        &operator::crds::module_release_resource(),
        json!({
            "apiVersion": "deckhouse.io/v1alpha1", "kind": "ModuleRelease",
            "metadata": {"name": mr_name, "labels": {"modules.deckhouse.io/update-policy": "night"}},
            "spec": {"moduleName": name, "version": "1.2.3",
                     "update": {"versions": [{"from": "1.0", "to": "1.2"}]}},
        }),
    )
    .await;
    dynamic(&client, &operator::crds::module_release_resource())
        .patch_status(
            &mr_name,
            &PatchParams::default(),
            &Patch::Merge(
                &json!({"status": {"phase": "Pending", "message": "Waiting for approval"}}),
            ),
        )
        .await
        .unwrap();
    apply(
        &client,
        &operator::crds::module_update_policy_resource("v1alpha2"),
        json!({
            "apiVersion": "deckhouse.io/v1alpha2", "kind": "ModuleUpdatePolicy",
            "metadata": {"name": format!("{name}-new")},
            "spec": {"update": {"windows": [{"from": "1:00", "to": "3:30", "days": ["Sat"]}]}},
        }),
    )
    .await;
    apply(
        &client,
        &operator::crds::module_update_policy_resource("v1alpha1"),
        json!({
            "apiVersion": "deckhouse.io/v1alpha1", "kind": "ModuleUpdatePolicy",
            "metadata": {"name": format!("{name}-old")},
            "spec": {"update": {"mode": "Ignore"},
                     "moduleReleaseSelector": {"labelSelector": {"matchLabels": {"module": name}}}},
        }),
    )
    .await;
    apply(
        &client,
        &operator::crds::module_pull_override_resource(),
        json!({
            "apiVersion": "deckhouse.io/v1alpha2", "kind": "ModulePullOverride",
            "metadata": {"name": name}, "spec": {"imageTag": "pr-42"},
        }),
    )
    .await;

    let (ok, out, err) = kubectl(&["get", "ms", &name]);
    assert!(ok, "{err}");
    assert_eq!(columns(&out), ["NAME", "COUNT", "STATUS", "SYNC", "MSG"]);
    let (ok, out, err) = kubectl(&["get", "mr", &mr_name]);
    assert!(ok, "{err}");
    assert_eq!(
        columns(&out),
        [
            "NAME",
            "PHASE",
            "UPDATE POLICY",
            "TRANSITIONTIME",
            "MESSAGE"
        ]
    );
    let row = out.lines().nth(1).unwrap();
    assert!(
        row.contains("Pending") && row.contains("night") && row.contains("Waiting for approval"),
        "{out}"
    );
    let (ok, out, err) = kubectl(&["get", "mup", &format!("{name}-new"), "-o", "wide"]);
    assert!(ok, "{err}");
    assert_eq!(
        columns(&out),
        ["NAME", "RELEASE CHANNEL", "UPDATE MODE", "UPDATE WINDOWS"]
    );
    // Defaults of v1alpha2: Stable, Auto.
    let row = out.lines().nth(1).unwrap();
    assert!(
        row.contains("Stable") && row.contains("Auto") && row.contains("Sat"),
        "{out}"
    );
    // The windows column is priority 1: only with -o wide.
    let (_, narrow, _) = kubectl(&["get", "mup", &format!("{name}-new")]);
    assert_eq!(columns(&narrow), ["NAME", "RELEASE CHANNEL", "UPDATE MODE"]);
    let (ok, out, err) = kubectl(&["get", "mpo", &name]);
    assert!(ok, "{err}");
    assert_eq!(columns(&out), ["NAME", "UPDATED", "MESSAGE", "ROLLBACK"]);
    assert!(out.lines().nth(1).unwrap().contains("false"), "{out}");

    // Defaults the schema applies.
    let ms = get(&client, &operator::crds::module_source_resource(), &name)
        .await
        .unwrap();
    assert_eq!(ms.pointer("/spec/registry/scheme"), Some(&json!("HTTPS")));
    assert_eq!(ms.pointer("/spec/scanInterval"), Some(&json!("3m")));
    let mpo = get(
        &client,
        &operator::crds::module_pull_override_resource(),
        &name,
    )
    .await
    .unwrap();
    assert_eq!(mpo.pointer("/spec/scanInterval"), Some(&json!("15s")));
    // A v1alpha1 policy keeps its selector and Ignore mode when stored as v1alpha2, and its
    // own default mode (AutoPatch) applies.
    let old = get(
        &client,
        &operator::crds::module_update_policy_resource("v1alpha1"),
        &format!("{name}-old"),
    )
    .await
    .unwrap();
    assert_eq!(
        old.pointer("/spec/moduleReleaseSelector/labelSelector/matchLabels/module"),
        Some(&json!(name))
    );
    assert_eq!(old.pointer("/spec/update/mode"), Some(&json!("Ignore")));
    let new_as_v1 = get(
        &client,
        &operator::crds::module_update_policy_resource("v1alpha1"),
        &format!("{name}-new"),
    )
    .await
    .unwrap();
    assert_eq!(new_as_v1.pointer("/spec/update/mode"), Some(&json!("Auto")));
    // The release keeps its from-to rules (the field the CRD declares is `update`).
    let mr = get(
        &client,
        &operator::crds::module_release_resource(),
        &mr_name,
    )
    .await
    .unwrap();
    assert_eq!(
        mr.pointer("/spec/update/versions/0/to"),
        Some(&json!("1.2"))
    );

    // The schema refuses what the controller could not use, naming the field.
    let (ok, _, err) = kubectl_apply(&json!({
        "apiVersion": "deckhouse.io/v1alpha2", "kind": "ModuleUpdatePolicy",
        "metadata": {"name": format!("{name}-bad")},
        "spec": {"update": {"mode": "Ignore", "windows": [{"from": "25:00", "to": "26:00"}]}},
    }));
    assert!(!ok);
    assert!(
        err.contains("spec.update.windows") && err.contains("spec.update.mode"),
        "{err}"
    );
    let (ok, _, err) = kubectl_apply(&json!({
        "apiVersion": "deckhouse.io/v1alpha1", "kind": "ModuleSource",
        "metadata": {"name": format!("{name}-bad")},
        "spec": {"registry": {"repo": "r.example/x", "scheme": "FTP"}, "scanInterval": "soon"},
    }));
    assert!(!ok);
    assert!(
        err.contains("spec.registry.scheme") && err.contains("spec.scanInterval"),
        "{err}"
    );
}

fn kubectl_apply(object: &Value) -> (bool, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("object.json");
    std::fs::write(&file, object.to_string()).unwrap();
    kubectl(&["apply", "-f", file.to_str().unwrap()])
}

/// `deckmod crds` prints `operator::crds::yaml()`: every distribution CRD is in it.
#[test]
fn the_printed_crds_include_the_distribution_resources() {
    let yaml = operator::crds::yaml();
    for name in [
        "modulesources.deckhouse.io",
        "modulereleases.deckhouse.io",
        "moduleupdatepolicies.deckhouse.io",
        "modulepulloverrides.deckhouse.io",
    ] {
        assert!(yaml.contains(&format!("name: {name}")), "{name} missing");
    }
    for short in ["[ms]", "[mr]", "[mup]", "[mpo]"] {
        assert!(
            yaml.contains(&format!("shortNames: {short}")),
            "{short} missing"
        );
    }
}
