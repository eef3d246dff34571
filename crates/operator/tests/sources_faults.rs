//! Module sources when things go wrong, against the real kube-apiserver and
//! docker-registries of the test environment: per-module errors that clear once fixed, the
//! registry going down during scans and at start, wrong credentials and an untrusted CA, a
//! crafted archive, a deployed version deleted from the registry, settings the next
//! version refuses, and pending releases of a disabled module.

#[path = "sources/common.rs"]
mod common;

use std::io::Write as _;
use std::sync::Arc;

use base64::Engine as _;
use common::*;
use operator::crds;
use registry::image::Image;
use registry::{Channel, ClientOptions, Digest, NoProgress, RegistryClient, SourceRef};
use serde_json::{Value, json};

async fn source_status(client: &kube::Client, name: &str) -> Value {
    get(client, &crds::module_source_resource(), name)
        .await
        .and_then(|s| s.get("status").cloned())
        .unwrap_or(Value::Null)
}

async fn enable(client: &kube::Client, module: &str, settings: Value) {
    apply(
        client,
        &crds::module_config_resource(),
        module_config(module, json!({"enabled": true, "settings": settings})),
    )
    .await;
}

/// One broken module does not stop the others, its error names the cause, and it clears
/// as soon as the cause is fixed (users' voice #20).
#[tokio::test(flavor = "multi_thread")]
async fn per_module_errors_clear_when_fixed() {
    let client = client().await;
    install_crds(&client).await;
    let label = unique("errors");
    let (good, broken) = (unique("good"), unique("broken"));
    let source_name = unique("errsrc");
    let src = TestSource::new("errors");
    let dir = tempfile::tempdir().unwrap();
    let recorder = Arc::new(Recorder::default());
    let _c = start(&client, &label, dir.path(), recorder.clone());
    src.publish(&good, "v1.0.0", 1, &[Channel::Stable]).await;
    // Published, but never to the stable channel it is wanted from.
    src.publish(&broken, "v1.0.0", 1, &[Channel::Alpha]).await;
    enable(&client, &good, json!({})).await;
    enable(&client, &broken, json!({})).await;
    apply(
        &client,
        &crds::module_source_resource(),
        module_source(&source_name, &label, &src.source.to_string(), json!({})),
    )
    .await;
    let entry = eventually("the broken module's error", 30, || async {
        let e = source_entry(&client, &source_name, &broken).await?;
        (!text(&e, "error").is_empty()).then_some(e)
    })
    .await;
    let error = text(&entry, "error");
    assert!(
        error.contains("channel stable") && error.contains("not found"),
        "{error}"
    );
    let status = source_status(&client, &source_name).await;
    assert_eq!(
        status["message"],
        "Some errors occurred. Inspect status for details"
    );
    assert_eq!(status["modulesCount"], 2);
    wait_phase(&client, &format!("{good}-v1.0.0"), "Deployed", 60).await;

    src.move_channel(&broken, "v1.0.0", Channel::Stable).await;
    wait_phase(&client, &format!("{broken}-v1.0.0"), "Deployed", 60).await;
    let entry = eventually("the error is cleared", 30, || async {
        let e = source_entry(&client, &source_name, &broken).await?;
        text(&e, "error").is_empty().then_some(e)
    })
    .await;
    assert_eq!(entry["version"], "v1.0.0");
    assert!(
        source_status(&client, &source_name)
            .await
            .get("message")
            .is_none()
    );

    // A channel pointing at a pre-release is reported, and nothing is released from it.
    src.publish(&good, "v1.1.0-rc.1", 1, &[Channel::Stable])
        .await;
    let entry = eventually("the pre-release is reported", 30, || async {
        let e = source_entry(&client, &source_name, &good).await?;
        text(&e, "error").contains("pre-release").then_some(e)
    })
    .await;
    assert_eq!(entry["version"], "v1.1.0-rc.1");
    assert!(
        release(&client, &format!("{good}-v1.1.0-rc.1"))
            .await
            .is_none()
    );
}

/// The registry stopped between scans: the source says why, the deployed module is left
/// alone, and everything clears when it is back. Then the controller restarts while the
/// registry is down and the module's files are gone: nothing is purged, and the files come
/// back as soon as the registry does (users' voice #28). Leftovers of a download killed
/// half-way are removed at start, and only complete copies are ever activated.
#[tokio::test(flavor = "multi_thread")]
async fn registry_outage_during_scan_and_at_start() {
    let client = client().await;
    install_crds(&client).await;
    let label = unique("outage");
    let module = unique("steady");
    let source_name = unique("outsrc");
    let src = TestSource::new("outage");
    let mut proxy = Proxy::start(&env("REGISTRY")).await;
    let repo = format!("{}/{}", proxy.addr, src.source.path());
    src.publish(&module, "v1.0.0", 1, &[Channel::Stable]).await;
    enable(&client, &module, json!({})).await;
    let dir = tempfile::tempdir().unwrap();
    let recorder = Arc::new(Recorder::default());
    let controller = start(&client, &label, dir.path(), recorder.clone());
    apply(
        &client,
        &crds::module_source_resource(),
        module_source(&source_name, &label, &repo, json!({})),
    )
    .await;
    let release_name = format!("{module}-v1.0.0");
    wait_phase(&client, &release_name, "Deployed", 60).await;

    proxy.stop();
    let message = eventually("the source names the outage", 30, || async {
        let s = source_status(&client, &source_name).await;
        let m = text(&s, "message").to_string();
        m.contains("cannot list the modules").then_some(m)
    })
    .await;
    assert!(message.contains(&proxy.addr.to_string()), "{message}");
    assert_eq!(release(&client, &release_name).await.unwrap().0, "Deployed");
    proxy.restart().await;
    eventually("the outage message clears", 30, || async {
        source_status(&client, &source_name)
            .await
            .get("message")
            .is_none()
            .then_some(())
    })
    .await;

    // Restart with the registry down and the files gone.
    drop(controller);
    proxy.stop();
    let root = dir.path().canonicalize().unwrap();
    let version_dir = root.join(&module).join("v1.0.0");
    std::fs::remove_dir_all(&version_dir).unwrap();
    // What a download killed half-way leaves: a partial staging sibling.
    let partial = root.join(&module).join(".v1.1.0.pull-killed");
    std::fs::create_dir_all(partial.join("templates")).unwrap();
    std::fs::write(partial.join("templates/half.yaml"), "kind: Con").unwrap();
    let before = recorder.calls().len();
    let _controller = start(&client, &label, dir.path(), recorder.clone());
    eventually("the partial download is removed at start", 30, || async {
        (!partial.exists()).then_some(())
    })
    .await;
    // The new controller has scanned with the registry down (it says so): nothing is
    // purged or deactivated.
    eventually(
        "the restarted controller reports the outage",
        30,
        || async {
            let s = source_status(&client, &source_name).await;
            text(&s, "message")
                .contains("cannot list the modules")
                .then_some(())
        },
    )
    .await;
    assert_eq!(release(&client, &release_name).await.unwrap().0, "Deployed");
    assert!(
        get(&client, &crds::module_release_resource(), &release_name)
            .await
            .is_some()
    );
    assert_eq!(recorder.calls().len(), before, "{:?}", recorder.calls());
    proxy.restart().await;
    eventually(
        "the files are downloaded again and activated",
        60,
        || async { (recorder.calls().len() > before).then_some(()) },
    )
    .await;
    assert!(version_dir.join("module.yaml").is_file());
    assert_eq!(
        recorder.calls().last().unwrap(),
        &Call::Activate {
            module: module.clone(),
            path: version_dir.clone(),
            version: "v1.0.0".into()
        }
    );
    assert!(
        !recorder
            .calls()
            .iter()
            .any(|c| matches!(c, Call::Deactivate(_)))
    );
}

fn docker_cfg(host: &str, user: &str, password: &str) -> String {
    let b64 = base64::engine::general_purpose::STANDARD;
    let auth = b64.encode(format!("{user}:{password}"));
    b64.encode(json!({"auths": {host: {"auth": auth}}}).to_string())
}

/// An HTTPS registry with basic auth: an untrusted certificate and wrong credentials are
/// named in the status; with the CA and the right credentials the module is released.
#[tokio::test(flavor = "multi_thread")]
async fn tls_registry_with_ca_and_credentials() {
    let client = client().await;
    install_crds(&client).await;
    let label = unique("tls");
    let module = unique("secure");
    let source_name = unique("tlssrc");
    let host = env("REGISTRY_TLS");
    let ca = std::fs::read_to_string(env("REGISTRY_CA_FILE")).unwrap();
    let (user, password) = (env("REGISTRY_USER"), env("REGISTRY_PASSWORD"));
    let source: SourceRef = format!("{host}/{}", unique("tls")).parse().unwrap();
    let publisher = RegistryClient::new(ClientOptions {
        ca_pem: Some(ca.clone().into_bytes()),
        credentials: registry::auth::DockerConfig::from_base64(&docker_cfg(
            &host, &user, &password,
        ))
        .unwrap(),
        ..ClientOptions::default()
    })
    .unwrap();
    let work = tempfile::tempdir().unwrap();
    write_module(work.path(), &module, 1);
    let built = registry::build_module(
        work.path(),
        &registry::ModuleVersion::parse("v1.0.0").unwrap(),
        None,
    )
    .unwrap();
    registry::ops::publish(&publisher, &source, &built, &[Channel::Stable], &NoProgress)
        .await
        .unwrap();
    enable(&client, &module, json!({})).await;
    let dir = tempfile::tempdir().unwrap();
    let _c = start(&client, &label, dir.path(), Arc::new(Recorder::default()));
    let https = json!({"scheme": "HTTPS"});
    apply(
        &client,
        &crds::module_source_resource(),
        module_source(&source_name, &label, &source.to_string(), https.clone()),
    )
    .await;
    let message = eventually("the untrusted certificate is named", 30, || async {
        let m = text(&source_status(&client, &source_name).await, "message").to_string();
        (!m.is_empty()).then_some(m)
    })
    .await;
    assert!(message.contains("not trusted"), "{message}");
    // A password that would stand out wherever it leaked.
    let wrong_password = "wrong-pass-4f1c9e";
    let wrong_cfg = docker_cfg(&host, &user, wrong_password);
    let wrong = json!({"scheme": "HTTPS", "ca": ca, "dockerCfg": wrong_cfg});
    apply(
        &client,
        &crds::module_source_resource(),
        module_source(&source_name, &label, &source.to_string(), wrong),
    )
    .await;
    let message = eventually("wrong credentials are named", 30, || async {
        let m = text(&source_status(&client, &source_name).await, "message").to_string();
        m.contains("authentication").then_some(m)
    })
    .await;
    assert!(message.contains(&host), "{message}");
    // Credentials never reach the status: neither the password nor the
    // dockerCfg that holds it.
    let status = source_status(&client, &source_name).await.to_string();
    for secret in [wrong_password, wrong_cfg.as_str(), password.as_str()] {
        assert!(
            !status.contains(secret),
            "a credential in the status: {status}"
        );
    }
    let right =
        json!({"scheme": "HTTPS", "ca": ca, "dockerCfg": docker_cfg(&host, &user, &password)});
    apply(
        &client,
        &crds::module_source_resource(),
        module_source(&source_name, &label, &source.to_string(), right),
    )
    .await;
    wait_phase(&client, &format!("{module}-v1.0.0"), "Deployed", 60).await;
    assert!(
        source_status(&client, &source_name)
            .await
            .get("message")
            .is_none()
    );
}

/// A gzip tar layer holding `module.yaml`, `Chart.yaml`, `version.json` and an entry
/// that climbs out of the extraction root.
fn crafted_layer(module: &str) -> registry::archive::PackedLayer {
    let mut tar = tar::Builder::new(Vec::new());
    let mut add = |name: &[u8], data: &[u8]| {
        let mut h = tar::Header::new_gnu();
        h.as_old_mut().name[..name.len()].copy_from_slice(name);
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::Regular);
        h.set_cksum();
        tar.append(&h, data).unwrap();
    };
    add(b"module.yaml", format!("name: {module}\n").as_bytes());
    add(
        b"Chart.yaml",
        format!("apiVersion: v2\nname: {module}\nversion: 0.1.0\n").as_bytes(),
    );
    add(b"version.json", br#"{"version":"v1.1.0"}"#);
    add(b"../evil.txt", b"escaped");
    let tar = tar.into_inner().unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&tar).unwrap();
    let gzip = gz.finish().unwrap();
    registry::archive::PackedLayer {
        digest: Digest::of(&gzip),
        diff_id: Digest::of(&tar),
        gzip,
    }
}

/// A module image with a path-traversal entry is refused: nothing is written outside (or
/// inside), the release stays Pending saying why, the deployed version keeps running. A
/// deployed version deleted from the registry becomes Suspended and keeps running
/// (users' voice #21).
#[tokio::test(flavor = "multi_thread")]
async fn crafted_archive_and_vanished_version() {
    let client = client().await;
    install_crds(&client).await;
    let label = unique("crafted");
    let module = unique("target");
    let source_name = unique("crsrc");
    let src = TestSource::new("crafted");
    src.publish(&module, "v1.0.0", 1, &[Channel::Stable]).await;
    enable(&client, &module, json!({})).await;
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

    // v1.1.0: a genuine release image, but a crafted module image under its tag.
    src.publish(&module, "v1.1.0", 1, &[]).await;
    let image = Image::from_layers(vec![crafted_layer(&module)]).unwrap();
    src.registry
        .push_image(
            &src.source.module_ref(&module, "v1.1.0"),
            &image,
            &NoProgress,
        )
        .await
        .unwrap();
    src.move_channel(&module, "v1.1.0", Channel::Stable).await;
    let v11 = format!("{module}-v1.1.0");
    let message = eventually("the crafted archive is refused", 60, || async {
        match release(&client, &v11).await {
            Some((p, m)) if p == "Pending" && m.contains("refusing") => Some(m),
            _ => None,
        }
    })
    .await;
    assert!(
        message.contains("../evil.txt") && message.contains(".."),
        "{message}"
    );
    let root = dir.path().canonicalize().unwrap();
    assert!(!root.join(&module).join("v1.1.0").exists());
    assert!(!root.join(&module).join("evil.txt").exists());
    assert!(!root.join("evil.txt").exists());
    // The refused release is retried, and a retry's download dir exists
    // while it runs; between attempts only the deployed version is there
    // (a leaked dir would stay and never let this pass).
    let on_disk = || {
        let mut names: Vec<String> = std::fs::read_dir(root.join(&module))
            .unwrap()
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    let leftovers = eventually("only the deployed version is on disk", 30, || async {
        let names = on_disk();
        (names == ["v1.0.0"]).then_some(names)
    })
    .await;
    assert_eq!(
        leftovers,
        ["v1.0.0"],
        "only the deployed version is on disk"
    );
    assert_eq!(recorder.versions(&module), ["v1.0.0"]);

    // The deployed version is deleted from the registry.
    let reference = src.source.module_ref(&module, "v1.0.0");
    let digest = src.registry.manifest_digest(&reference).await.unwrap();
    let url = format!(
        "http://{}/v2/{}/manifests/{digest}",
        env("REGISTRY"),
        src.source.module_repository(&module)
    );
    let out = std::process::Command::new("curl")
        .args(["-sf", "-X", "DELETE", &url])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "DELETE {url}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let message = wait_phase(&client, &format!("{module}-v1.0.0"), "Suspended", 60).await;
    assert!(
        message.contains("no longer in the registry") && message.contains("keeps running"),
        "{message}"
    );
    assert_eq!(
        std::fs::read_link(root.join("modules").join(&module)).unwrap(),
        root.join(&module).join("v1.0.0")
    );
    assert!(
        !recorder
            .calls()
            .iter()
            .any(|c| matches!(c, Call::Deactivate(_)))
    );
}

/// Settings the next version's schema refuses hold it Pending with the validation error
/// (nothing switched); fixing the settings deploys it. Disabling the module deletes its
/// pending releases (users' voice #27).
#[tokio::test(flavor = "multi_thread")]
async fn settings_checked_against_the_next_version_and_disable_drops_pending() {
    let client = client().await;
    install_crds(&client).await;
    let label = unique("settings");
    let module = unique("strict");
    let source_name = unique("setsrc");
    let src = TestSource::new("settings");
    src.publish(&module, "v1.0.0", 1, &[Channel::Stable]).await;
    enable(&client, &module, json!({"replicas": 2})).await;
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
    // v1.1.0 needs at least 5 replicas.
    src.publish(&module, "v1.1.0", 5, &[Channel::Stable]).await;
    let v11 = format!("{module}-v1.1.0");
    let message = eventually("v1.1.0 refuses the settings", 60, || async {
        match release(&client, &v11).await {
            Some((p, m)) if p == "Pending" && m.contains("validation") => Some(m),
            _ => None,
        }
    })
    .await;
    assert!(
        message.starts_with("Initial module config validation failed")
            && message.contains("/replicas"),
        "{message}"
    );
    assert_eq!(recorder.versions(&module), ["v1.0.0"]);
    enable(&client, &module, json!({"replicas": 6})).await;
    wait_phase(&client, &v11, "Deployed", 60).await;

    // A pending release of a module that is then disabled is deleted.
    let policy = unique("hold");
    apply(
        &client,
        &crds::module_update_policy_resource("v1alpha2"),
        json!({
            "apiVersion": "deckhouse.io/v1alpha2", "kind": "ModuleUpdatePolicy",
            "metadata": {"name": policy}, "spec": {"update": {"mode": "Manual"}},
        }),
    )
    .await;
    apply(
        &client,
        &crds::module_config_resource(),
        module_config(
            &module,
            json!({"enabled": true, "settings": {"replicas": 6}, "updatePolicy": policy}),
        ),
    )
    .await;
    src.publish(&module, "v1.2.0", 1, &[Channel::Stable]).await;
    let v12 = format!("{module}-v1.2.0");
    let message = wait_phase(&client, &v12, "Pending", 60).await;
    assert!(
        message.is_empty() || message.contains("approved"),
        "{message}"
    );
    // As `kubectl patch mc <m> --type merge -p '{"spec":{"enabled":false}}'` does.
    dynamic(&client, &crds::module_config_resource())
        .patch(
            &module,
            &kube::api::PatchParams::default(),
            &kube::api::Patch::Merge(&json!({"spec": {"enabled": false}})),
        )
        .await
        .unwrap();
    eventually(
        "the pending release of the disabled module is deleted",
        30,
        || async { release(&client, &v12).await.is_none().then_some(()) },
    )
    .await;
    assert_eq!(release(&client, &v11).await.unwrap().0, "Deployed");
}
