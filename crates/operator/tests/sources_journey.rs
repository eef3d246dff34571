//! The user's journey with modules from a source, against the real kube-apiserver and the
//! real docker-registry of the test environment. The module-sources controller runs in the
//! test; a recording activator stands in for the running operator (it refuses any path
//! that is not a complete module, so half a download can never pass as activated).
//!
//! 1. v1.0.0 is published to alpha and stable; a ModuleSource is applied with `kubectl`;
//!    the module is listed in the source's status, but no release is made until a
//!    ModuleConfig enables it.
//! 2. Enabled (with settings): ModuleRelease v1.0.0 is created, deployed at once (a first
//!    release applies now), downloaded into `<dir>/<m>/v1.0.0`, linked from
//!    `<dir>/modules/<m>` and activated.
//! 3. v1.1.0, v1.2.0 and v1.2.1 are published and stable moves to v1.2.1: releases v1.1.0
//!    and v1.2.1 are created (not v1.2.0: the highest patch of each minor), and deploy in
//!    order; the older ones are Superseded.
//! 4. A Manual policy holds the next release Pending until the approval annotation.
//! 5. An Auto policy with a window in the future holds the next one with a message naming
//!    the window; `apply-now` releases it.
//! 6. A ModulePullOverride deploys a dev tag, redeploys when the tag moves, and putting it
//!    away rolls back to the deployed release.

#[path = "sources/common.rs"]
mod common;
#[path = "common/mod.rs"]
mod shared;

use std::process::Command;
use std::sync::Arc;

use chrono::{Timelike, Utc};
use common::*;
use operator::crds;
use registry::Channel;
use serde_json::json;
use shared::{described_events, kubectl_describe};

#[tokio::test(flavor = "multi_thread")]
async fn journey_from_push_to_rollback() {
    let client = client().await;
    install_crds(&client).await;
    let label = unique("journey");
    let module = unique("echo");
    let source_name = unique("acme");
    let src = TestSource::new("journey");
    let dir = tempfile::tempdir().unwrap();
    let recorder = Arc::new(Recorder::default());
    let _controller = start(&client, &label, dir.path(), recorder.clone());

    // 1. Publish v1.0.0 to alpha and stable; apply the ModuleSource with kubectl.
    src.publish(&module, "v1.0.0", 1, &[Channel::Alpha, Channel::Stable])
        .await;
    let manifest = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        manifest.path(),
        module_source(&source_name, &label, &src.source.to_string(), json!({})).to_string(),
    )
    .unwrap();
    let out = Command::new("kubectl")
        .args(["apply", "-f", manifest.path().to_str().unwrap()])
        .env("KUBECONFIG", env("KUBECONFIG"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let entry = eventually("the module is listed by the source", 30, || async {
        source_entry(&client, &source_name, &module).await
    })
    .await;
    assert_eq!(entry["version"], "v1.0.0");
    assert!(entry.get("error").is_none(), "{entry}");
    assert!(entry["checksum"].as_str().unwrap().starts_with("sha256:"));
    let first = format!("{module}-v1.0.0");
    assert!(
        release(&client, &first).await.is_none(),
        "not enabled: no release yet"
    );

    // 2. Enable and configure it.
    apply(
        &client,
        &crds::module_config_resource(),
        module_config(
            &module,
            json!({"enabled": true, "settings": {"replicas": 2}}),
        ),
    )
    .await;
    wait_phase(&client, &first, "Deployed", 60).await;
    let r = get(&client, &crds::module_release_resource(), &first)
        .await
        .unwrap();
    assert_eq!(r["metadata"]["labels"]["module"], module.as_str());
    assert_eq!(r["metadata"]["labels"]["source"], source_name.as_str());
    assert_eq!(r["metadata"]["labels"]["status"], "deployed");
    assert_eq!(
        r["metadata"]["annotations"]["modules.deckhouse.io/apply-now"],
        "true"
    );
    assert_eq!(r["spec"]["weight"], 910);
    let v1 = dir
        .path()
        .canonicalize()
        .unwrap()
        .join(&module)
        .join("v1.0.0");
    assert!(v1.join("module.yaml").is_file() && v1.join("templates/cm.yaml").is_file());
    let link = dir.path().join("modules").join(&module);
    assert_eq!(std::fs::read_link(&link).unwrap(), v1);
    assert_eq!(
        recorder.calls(),
        vec![Call::Activate {
            module: module.clone(),
            path: v1.clone(),
            version: "v1.0.0".into()
        }]
    );

    // 3. Three more versions; stable moves to v1.2.1.
    for v in ["v1.1.0", "v1.2.0", "v1.2.1"] {
        src.publish(&module, v, 1, &[Channel::Alpha]).await;
    }
    src.move_channel(&module, "v1.2.1", Channel::Stable).await;
    wait_phase(&client, &format!("{module}-v1.2.1"), "Deployed", 60).await;
    assert_eq!(
        release(&client, &format!("{module}-v1.1.0"))
            .await
            .unwrap()
            .0,
        "Superseded"
    );
    assert_eq!(release(&client, &first).await.unwrap().0, "Superseded");
    // Each phase a release went through is an event on it.
    let described = kubectl_describe("modulerelease", &first);
    let events = described_events(&described);
    for reason in ["Deployed", "Superseded"] {
        assert!(events.contains(reason), "no {reason} event:\n{described}");
    }
    assert!(
        release(&client, &format!("{module}-v1.2.0"))
            .await
            .is_none(),
        "v1.2.0 is not the highest patch of its minor: no release for it"
    );
    assert_eq!(recorder.versions(&module), ["v1.0.0", "v1.1.0", "v1.2.1"]);
    let entry = source_entry(&client, &source_name, &module).await.unwrap();
    assert_eq!(entry["version"], "v1.2.1");

    // 4. Manual mode: the next release waits for approval.
    let manual = unique("manual");
    apply(
        &client,
        &crds::module_update_policy_resource("v1alpha2"),
        json!({
            "apiVersion": "deckhouse.io/v1alpha2", "kind": "ModuleUpdatePolicy",
            "metadata": {"name": manual},
            "spec": {"releaseChannel": "Stable", "update": {"mode": "Manual"}},
        }),
    )
    .await;
    apply(
        &client,
        &crds::module_config_resource(),
        module_config(
            &module,
            json!({"enabled": true, "settings": {"replicas": 2}, "updatePolicy": manual}),
        ),
    )
    .await;
    src.publish(&module, "v1.3.0", 1, &[Channel::Stable]).await;
    let v13 = format!("{module}-v1.3.0");
    let message = eventually("v1.3.0 waits for approval", 60, || async {
        match release(&client, &v13).await {
            Some((p, m)) if p == "Pending" && m.contains("approved") => Some(m),
            _ => None,
        }
    })
    .await;
    assert_eq!(
        message,
        "Waiting for the 'modules.deckhouse.io/approved: \"true\"' annotation"
    );
    // The release names the policy that rules it (refreshed by the next scan if it was
    // made just before the ModuleConfig named the policy).
    let r = eventually("v1.3.0 is labelled with its policy", 30, || async {
        let r = get(&client, &crds::module_release_resource(), &v13).await?;
        (r["metadata"]["labels"]["modules.deckhouse.io/update-policy"] == manual.as_str())
            .then_some(r)
    })
    .await;
    assert_eq!(r["status"]["approved"], false);
    assert_eq!(
        recorder.versions(&module).len(),
        3,
        "nothing deployed while waiting"
    );
    patch_metadata(
        &client,
        &crds::module_release_resource(),
        &v13,
        json!({"annotations": {"modules.deckhouse.io/approved": "true"}}),
    )
    .await;
    wait_phase(&client, &v13, "Deployed", 60).await;

    // 5. An update window that opens later holds the next release, naming the window.
    let from = (Utc::now().hour() + 2) % 24;
    let window = unique("window");
    apply(
        &client,
        &crds::module_update_policy_resource("v1alpha2"),
        json!({
            "apiVersion": "deckhouse.io/v1alpha2", "kind": "ModuleUpdatePolicy",
            "metadata": {"name": window},
            "spec": {"update": {"mode": "Auto", "windows": [{"from": format!("{from}:00"), "to": format!("{from}:30")}]}},
        }),
    )
    .await;
    apply(
        &client,
        &crds::module_config_resource(),
        module_config(
            &module,
            json!({"enabled": true, "settings": {"replicas": 2}, "updatePolicy": window}),
        ),
    )
    .await;
    src.publish(&module, "v1.4.0", 1, &[Channel::Stable]).await;
    let v14 = format!("{module}-v1.4.0");
    let message = eventually("v1.4.0 waits for the window", 60, || async {
        match release(&client, &v14).await {
            Some((p, m)) if p == "Pending" && m.contains("window") => Some(m),
            _ => None,
        }
    })
    .await;
    assert!(
        message.starts_with(&format!(
            "waiting for the update window {from:02}:00-{from:02}:30 UTC every day (next opens at "
        )),
        "{message}"
    );
    patch_metadata(
        &client,
        &crds::module_release_resource(),
        &v14,
        json!({"annotations": {"modules.deckhouse.io/apply-now": "true"}}),
    )
    .await;
    wait_phase(&client, &v14, "Deployed", 60).await;
    let v14_dir = dir
        .path()
        .canonicalize()
        .unwrap()
        .join(&module)
        .join("v1.4.0");
    assert_eq!(std::fs::read_link(&link).unwrap(), v14_dir);
    // Outdated releases beyond three are deleted.
    eventually("v1.0.0 is pruned (3 outdated kept)", 30, || async {
        release(&client, &first).await.is_none().then_some(())
    })
    .await;

    // 6. A pull override deploys a dev tag, follows it, and rolls back when removed.
    src.push_dev(&module, "v9.0.0", "pr-1").await;
    apply(
        &client,
        &crds::module_pull_override_resource(),
        json!({
            "apiVersion": "deckhouse.io/v1alpha2", "kind": "ModulePullOverride",
            "metadata": {"name": module},
            "spec": {"imageTag": "pr-1", "scanInterval": "1s", "rollback": true},
        }),
    )
    .await;
    let dev = dir.path().canonicalize().unwrap().join(&module).join("dev");
    eventually("the dev tag is active", 60, || async {
        (recorder.versions(&module).last().map(String::as_str) == Some("v9.0.0")).then_some(())
    })
    .await;
    assert_eq!(std::fs::read_link(&link).unwrap(), dev);
    let mpo = eventually("the override reports Ready", 30, || async {
        let o = get(&client, &crds::module_pull_override_resource(), &module).await?;
        (o["status"]["message"] == "Ready").then_some(o)
    })
    .await;
    assert!(
        mpo["status"]["imageDigest"]
            .as_str()
            .unwrap()
            .starts_with("sha256:")
    );
    assert_eq!(mpo["status"]["weight"], 910);
    eventually("the source says the module is overridden", 30, || async {
        let e = source_entry(&client, &source_name, &module).await?;
        (e["overridden"] == true).then_some(())
    })
    .await;
    // The tag moves: the new image is deployed within the override's scan interval.
    src.push_dev(&module, "v9.0.1", "pr-1").await;
    eventually("the moved dev tag is active", 60, || async {
        (recorder.versions(&module).last().map(String::as_str) == Some("v9.0.1")).then_some(())
    })
    .await;
    // Releases are not processed while the override exists.
    src.publish(&module, "v1.4.1", 1, &[Channel::Stable]).await;
    dynamic(&client, &crds::module_pull_override_resource())
        .delete(&module, &Default::default())
        .await
        .unwrap();
    eventually("the deployed release is back", 60, || async {
        (std::fs::read_link(&link).ok()? == v14_dir).then_some(())
    })
    .await;
    eventually("the override is gone", 30, || async {
        get(&client, &crds::module_pull_override_resource(), &module)
            .await
            .is_none()
            .then_some(())
    })
    .await;
    assert!(!dev.exists(), "the dev copy is removed");
    let versions = recorder.versions(&module);
    let after_dev = &versions[versions.iter().rposition(|v| v == "v9.0.1").unwrap() + 1..];
    assert_eq!(
        after_dev.first().map(String::as_str),
        Some("v1.4.0"),
        "{versions:?}"
    );
    // With the override gone, releases flow again: the patch published meanwhile gets its
    // release, which the window policy holds (patches respect windows in Auto mode).
    let message = eventually("v1.4.1 waits for the window", 60, || async {
        match release(&client, &format!("{module}-v1.4.1")).await {
            Some((p, m)) if p == "Pending" && m.contains("window") => Some(m),
            _ => None,
        }
    })
    .await;
    assert!(message.contains("UTC every day"), "{message}");

    // `deckmod status` tells the story at a glance.
    let stories = operator::sources::story::stories(&client, Some(&module))
        .await
        .unwrap();
    assert_eq!(stories.len(), 1);
    let story = &stories[0];
    assert_eq!(story.sources, std::slice::from_ref(&source_name));
    assert_eq!(story.deployed.as_deref(), Some("v1.4.0"));
    assert_eq!(story.channel_version.as_deref(), Some("v1.4.1"));
    assert_eq!(story.policy, window);
    assert_eq!(story.enabled, Some(true));
    let text = story.to_string();
    assert!(
        text.contains(&format!("  pending   v1.4.1: {message}")),
        "{text}"
    );
    assert!(text.contains("  deployed  v1.4.0"), "{text}");
}
