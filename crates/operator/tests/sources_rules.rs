//! The rules around releases, against the real kube-apiserver and docker-registry: a
//! module offered by two sources is reported until a ModuleConfig chooses one; the
//! reinstall annotation downloads the deployed version again; a changed registry spec is
//! stamped on deployed releases; unmet requirements hold a release with a message naming
//! them; a v1alpha1 policy's label selector and Ignore mode; deleting the deployed release
//! deactivates the module; a source with deployed releases waits before it goes.

#[path = "sources/common.rs"]
mod common;

use std::sync::Arc;

use common::*;
use operator::crds;
use registry::{Channel, ModuleVersion, NoProgress};
use serde_json::{Value, json};

async fn publish_with_requirements(src: &TestSource, module: &str, requirements: &str) {
    let dir = src.work.path().join(format!("{module}-req"));
    write_module(&dir, module, 1);
    std::fs::write(
        dir.join("module.yaml"),
        format!("name: {module}\nweight: 920\nrequirements:\n{requirements}"),
    )
    .unwrap();
    let built =
        registry::build_module(&dir, &ModuleVersion::parse("v1.0.0").unwrap(), None).unwrap();
    registry::ops::publish(
        &src.registry,
        &src.source,
        &built,
        &[Channel::Stable],
        &NoProgress,
    )
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn release_rules_against_the_cluster() {
    let client = client().await;
    install_crds(&client).await;
    let label = unique("rules");
    let (shared, needy, ignored) = (unique("shared"), unique("needy"), unique("ignored"));
    let (a, b) = (unique("srca"), unique("srcb"));
    let (src_a, src_b) = (TestSource::new("rulesa"), TestSource::new("rulesb"));
    src_a
        .publish(&shared, "v1.0.0", 1, &[Channel::Stable])
        .await;
    src_b
        .publish(&shared, "v1.0.0", 1, &[Channel::Stable])
        .await;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    let recorder = Arc::new(Recorder::default());
    let _c = start(&client, &label, dir.path(), recorder.clone());
    for (name, src) in [(&a, &src_a), (&b, &src_b)] {
        apply(
            &client,
            &crds::module_source_resource(),
            module_source(name, &label, &src.source.to_string(), json!({})),
        )
        .await;
    }
    // Both sources list the module before it is enabled.
    for name in [&a, &b] {
        eventually("both sources list the module", 30, || async {
            source_entry(&client, name, &shared).await.map(drop)
        })
        .await;
    }
    apply(
        &client,
        &crds::module_config_resource(),
        module_config(&shared, json!({"enabled": true, "settings": {}})),
    )
    .await;

    // 1. Offered twice, no choice: reported on the module, never guessed.
    let entry = eventually(
        "two sources offering one module are reported",
        30,
        || async {
            let e = source_entry(&client, &a, &shared).await?;
            text(&e, "error").contains("several sources").then_some(e)
        },
    )
    .await;
    let error = text(&entry, "error");
    assert!(
        error.contains(&a) && error.contains(&b) && error.contains("spec.source"),
        "{error}"
    );
    let release_name = format!("{shared}-v1.0.0");
    assert!(release(&client, &release_name).await.is_none());
    apply(
        &client,
        &crds::module_config_resource(),
        module_config(
            &shared,
            json!({"enabled": true, "settings": {}, "source": a}),
        ),
    )
    .await;
    wait_phase(&client, &release_name, "Deployed", 60).await;
    let r = get(&client, &crds::module_release_resource(), &release_name)
        .await
        .unwrap();
    assert_eq!(r["metadata"]["labels"]["source"], a.as_str());
    assert!(
        r["metadata"]["finalizers"]
            .as_array()
            .unwrap()
            .contains(&json!("modules.deckhouse.io/exist-on-fs"))
    );

    // 2. Reinstall: the deployed version is downloaded again and activated again.
    let version_dir = root.join(&shared).join("v1.0.0");
    std::fs::write(version_dir.join("stray.txt"), "not from the image").unwrap();
    let activations = recorder.versions(&shared).len();
    patch_metadata(
        &client,
        &crds::module_release_resource(),
        &release_name,
        json!({"annotations": {"modules.deckhouse.io/reinstall": "true"}}),
    )
    .await;
    eventually(
        "the reinstall annotation is done and removed",
        30,
        || async {
            let r = get(&client, &crds::module_release_resource(), &release_name).await?;
            r.pointer("/metadata/annotations/modules.deckhouse.io~1reinstall")
                .is_none()
                .then_some(())
        },
    )
    .await;
    assert!(
        !version_dir.join("stray.txt").exists(),
        "the copy was replaced"
    );
    assert!(version_dir.join("module.yaml").is_file());
    assert_eq!(recorder.versions(&shared).len(), activations + 1);

    // 3. A changed registry spec is stamped on the deployed releases of the source.
    let other_host = base64_docker_cfg("other.example");
    apply(
        &client,
        &crds::module_source_resource(),
        module_source(
            &a,
            &label,
            &src_a.source.to_string(),
            json!({"dockerCfg": other_host}),
        ),
    )
    .await;
    eventually(
        "the deployed release is stamped registry-spec-changed",
        30,
        || async {
            let r = get(&client, &crds::module_release_resource(), &release_name).await?;
            r.pointer("/metadata/annotations/modules.deckhouse.io~1registry-spec-changed")
                .and_then(Value::as_str)
                .map(String::from)
        },
    )
    .await;

    // 4. Unmet requirements hold a release (even a first one, which applies now).
    publish_with_requirements(&src_a, &needy, "  kubernetes: \">= 99.0\"\n").await;
    apply(
        &client,
        &crds::module_config_resource(),
        module_config(&needy, json!({"enabled": true, "settings": {}})),
    )
    .await;
    let message = eventually("the requirement is named", 60, || async {
        match release(&client, &format!("{needy}-v1.0.0")).await {
            Some((p, m)) if p == "Pending" && m.contains("requirements") => Some(m),
            _ => None,
        }
    })
    .await;
    assert!(
        message.contains("kubernetes >= 99.0 (found 1."),
        "{message}"
    );
    let r = get(
        &client,
        &crds::module_release_resource(),
        &format!("{needy}-v1.0.0"),
    )
    .await
    .unwrap();
    assert_eq!(r["spec"]["requirements"]["kubernetes"], ">= 99.0");
    assert_eq!(r["spec"]["weight"], 920);

    // 5. A v1alpha1 policy selecting the module by label, in Ignore mode: nothing fetched.
    src_a
        .publish(&ignored, "v1.0.0", 1, &[Channel::Stable])
        .await;
    let policy = unique("legacy");
    apply(
        &client,
        &crds::module_update_policy_resource("v1alpha1"),
        json!({
            "apiVersion": "deckhouse.io/v1alpha1", "kind": "ModuleUpdatePolicy",
            "metadata": {"name": policy},
            "spec": {"update": {"mode": "Ignore"},
                     "moduleReleaseSelector": {"labelSelector": {"matchLabels": {"module": ignored}}}},
        }),
    )
    .await;
    apply(
        &client,
        &crds::module_config_resource(),
        module_config(&ignored, json!({"enabled": true, "settings": {}})),
    )
    .await;
    let entry = eventually("the legacy policy is resolved", 30, || async {
        let e = source_entry(&client, &a, &ignored).await?;
        (text(&e, "policy") == policy).then_some(e)
    })
    .await;
    assert_eq!(
        text(&entry, "version"),
        "unknown",
        "Ignore: the channel is not even read"
    );
    assert!(
        release(&client, &format!("{ignored}-v1.0.0"))
            .await
            .is_none()
    );

    // The registry values the operator injects come from the deployed release's source.
    let values = operator::sources::registry_values(&client, &shared)
        .await
        .unwrap()
        .expect("a deployed module from a source has registry values");
    assert_eq!(values["base"], src_a.source.to_string());
    assert_eq!(values["scheme"], "http");

    // An experimental module is not released unless experimental modules are allowed.
    let experimental = unique("exp");
    publish_with_requirements(
        &src_a,
        &experimental,
        "  kubernetes: \">= 1.0\"\nstage: Experimental\n",
    )
    .await;
    apply(
        &client,
        &crds::module_config_resource(),
        module_config(&experimental, json!({"enabled": true, "settings": {}})),
    )
    .await;
    let entry = eventually("the experimental module is refused", 30, || async {
        let e = source_entry(&client, &a, &experimental).await?;
        text(&e, "error").contains("experimental").then_some(e)
    })
    .await;
    assert_eq!(entry["version"], "v1.0.0");
    assert!(
        release(&client, &format!("{experimental}-v1.0.0"))
            .await
            .is_none()
    );

    // A pull override's renew annotation redeploys an unchanged tag, then is removed.
    src_a.push_dev(&needy, "v5.0.0", "dev").await;
    apply(
        &client,
        &crds::module_pull_override_resource(),
        json!({
            "apiVersion": "deckhouse.io/v1alpha2", "kind": "ModulePullOverride",
            "metadata": {"name": needy}, "spec": {"imageTag": "dev", "scanInterval": "1h"},
        }),
    )
    .await;
    eventually("the override is active", 60, || async {
        (recorder.versions(&needy) == ["v5.0.0"]).then_some(())
    })
    .await;
    patch_metadata(
        &client,
        &crds::module_pull_override_resource(),
        &needy,
        json!({"annotations": {"modules.deckhouse.io/renew": "true"}}),
    )
    .await;
    eventually(
        "renew redeploys the same digest and is removed",
        60,
        || async {
            let o = get(&client, &crds::module_pull_override_resource(), &needy).await?;
            (recorder.versions(&needy).len() == 2
                && o.pointer("/metadata/annotations/modules.deckhouse.io~1renew")
                    .is_none())
            .then_some(())
        },
    )
    .await;

    // 6. The source is deleted: it waits while a release of it is deployed.
    dynamic(&client, &crds::module_source_resource())
        .delete(&a, &Default::default())
        .await
        .unwrap();
    let message = eventually("the source says what holds its deletion", 30, || async {
        let s = get(&client, &crds::module_source_resource(), &a).await?;
        (s["status"]["phase"] == "Terminating").then(|| text(&s["status"], "message").to_string())
    })
    .await;
    assert!(
        message.contains(&release_name) && message.contains("force-delete"),
        "{message}"
    );
    // Disable the module and delete its deployed release: the module is deactivated and
    // its files removed; then the source lets go.
    dynamic(&client, &crds::module_config_resource())
        .patch(
            &shared,
            &kube::api::PatchParams::default(),
            &kube::api::Patch::Merge(&json!({"spec": {"enabled": false}})),
        )
        .await
        .unwrap();
    dynamic(&client, &crds::module_release_resource())
        .delete(&release_name, &Default::default())
        .await
        .unwrap();
    eventually("the deployed release is gone", 30, || async {
        release(&client, &release_name)
            .await
            .is_none()
            .then_some(())
    })
    .await;
    assert!(recorder.calls().contains(&Call::Deactivate(shared.clone())));
    assert!(std::fs::symlink_metadata(root.join("modules").join(&shared)).is_err());
    assert!(!version_dir.exists());
    eventually("the source is gone", 30, || async {
        get(&client, &crds::module_source_resource(), &a)
            .await
            .is_none()
            .then_some(())
    })
    .await;
}

fn base64_docker_cfg(host: &str) -> String {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    b64.encode(json!({"auths": {host: {"auth": b64.encode("u:p")}}}).to_string())
}

/// A minor release waits until the running module is ready (its Module object, which the
/// operator writes, says Ready); a patch does not wait.
#[tokio::test(flavor = "multi_thread")]
async fn a_minor_waits_for_the_running_module_to_be_ready() {
    let client = client().await;
    install_crds(&client).await;
    let label = unique("ready");
    let module = unique("busy");
    let source_name = unique("readysrc");
    let src = TestSource::new("ready");
    src.publish(&module, "v1.0.0", 1, &[Channel::Stable]).await;
    apply(
        &client,
        &crds::module_config_resource(),
        module_config(&module, json!({"enabled": true, "settings": {}})),
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let recorder = Arc::new(Recorder::default());
    let _c = start(&client, &label, dir.path(), recorder.clone());
    apply(
        &client,
        &crds::module_source_resource(),
        module_source(&source_name, &label, &src.source.to_string(), json!({})),
    )
    .await;
    wait_phase(&client, &format!("{module}-v1.0.0"), "Deployed", 60).await;
    // The operator reports the module as still reconciling.
    apply(
        &client,
        &crds::module_resource(),
        json!({"apiVersion": "deckhouse.io/v1alpha1", "kind": "Module", "metadata": {"name": module}}),
    )
    .await;
    let set_phase = |phase: &'static str| {
        let client = client.clone();
        let module = module.clone();
        async move {
            dynamic(&client, &crds::module_resource())
                .patch_status(
                    &module,
                    &kube::api::PatchParams::default(),
                    &kube::api::Patch::Merge(&json!({"status": {"phase": phase}})),
                )
                .await
                .unwrap();
        }
    };
    set_phase("Reconciling").await;
    src.publish(&module, "v1.1.0", 1, &[Channel::Stable]).await;
    let v11 = format!("{module}-v1.1.0");
    let message = eventually("v1.1.0 waits for the module", 60, || async {
        match release(&client, &v11).await {
            Some((p, m)) if p == "Pending" && m.contains("ready") => Some(m),
            _ => None,
        }
    })
    .await;
    assert_eq!(
        message,
        "awaiting for module v1.0.0 to be ready (its Module phase is Reconciling)"
    );
    assert_eq!(recorder.versions(&module), ["v1.0.0"]);
    set_phase("Ready").await;
    wait_phase(&client, &v11, "Deployed", 60).await;
    // A patch does not wait for readiness.
    set_phase("Reconciling").await;
    src.publish(&module, "v1.1.1", 1, &[Channel::Stable]).await;
    wait_phase(&client, &format!("{module}-v1.1.1"), "Deployed", 60).await;
}
