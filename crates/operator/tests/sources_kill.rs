//! The controller SIGKILLed in the middle of a download, for real: a child process (this
//! test binary running the ignored helper below) runs the controller against a slowed-down
//! registry and is killed while a module is half unpacked. Nothing half-unpacked is ever
//! active; the next controller removes the leftover and finishes the download.

#[path = "sources/common.rs"]
mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use operator::crds;
use registry::{Channel, ModuleVersion, NoProgress};
use serde_json::json;

const CHILD_LABEL: &str = "DECKMOD_SOURCES_CHILD_LABEL";
const CHILD_DIR: &str = "DECKMOD_SOURCES_CHILD_DIR";

/// Not a test of its own: the controller of the child process that the SIGKILL test starts
/// and kills (it runs until killed).
#[tokio::test(flavor = "multi_thread")]
#[ignore = "helper: run as a child process by killed_mid_download_leaves_nothing_half_active"]
async fn child_controller() {
    let label = env(CHILD_LABEL);
    let dir = std::path::PathBuf::from(env(CHILD_DIR));
    let client = client().await;
    let _running = start(&client, &label, &dir, Arc::new(Recorder::default()));
    tokio::time::sleep(Duration::from_secs(600)).await;
}

/// Incompressible bytes (xorshift), so the layer is as large as the file.
fn noise(len: usize, mut seed: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        out.extend_from_slice(&seed.to_le_bytes());
    }
    out.truncate(len);
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn killed_mid_download_leaves_nothing_half_active() {
    let client = client().await;
    install_crds(&client).await;
    let label = unique("kill");
    let module = unique("heavy");
    let source_name = unique("killsrc");
    let src = TestSource::new("kill");
    // ~4 MiB through a registry answering 16 KiB per 5 ms: the download takes over a
    // second, long enough to be caught in the middle.
    let module_dir = src.work.path().join("heavy");
    write_module(&module_dir, &module, 1);
    std::fs::create_dir_all(module_dir.join("charts")).unwrap();
    std::fs::write(module_dir.join("charts/blob.bin"), noise(4 << 20, 42)).unwrap();
    let built = registry::build_module(&module_dir, &ModuleVersion::parse("v1.0.0").unwrap(), None)
        .unwrap();
    registry::ops::publish(
        &src.registry,
        &src.source,
        &built,
        &[Channel::Stable],
        &NoProgress,
    )
    .await
    .unwrap();
    let proxy = Proxy::start_throttled(&env("REGISTRY"), Duration::from_millis(5)).await;
    apply(
        &client,
        &crds::module_config_resource(),
        module_config(&module, json!({"enabled": true, "settings": {}})),
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["child_controller", "--exact", "--ignored", "--nocapture"])
        .env(CHILD_LABEL, &label)
        .env(CHILD_DIR, dir.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    apply(
        &client,
        &crds::module_source_resource(),
        module_source(
            &source_name,
            &label,
            &format!("{}/{}", proxy.addr, src.source.path()),
            json!({}),
        ),
    )
    .await;
    let staging = |root: &std::path::Path| {
        std::fs::read_dir(root.join(&module))
            .ok()
            .and_then(|entries| {
                entries.filter_map(Result::ok).map(|e| e.path()).find(|p| {
                    p.file_name()
                        .unwrap()
                        .to_string_lossy()
                        .starts_with(".v1.0.0.pull-")
                })
            })
    };
    let partial = eventually("the child is in the middle of the download", 60, || async {
        staging(&root)
    })
    .await;
    child.kill().unwrap();
    child.wait().unwrap();
    // Killed: the half-unpacked tree is left where it was being built, and nothing is
    // active.
    assert!(partial.exists());
    assert!(!root.join(&module).join("v1.0.0").exists());
    assert!(std::fs::symlink_metadata(root.join("modules").join(&module)).is_err());
    assert_eq!(
        release(&client, &format!("{module}-v1.0.0"))
            .await
            .unwrap()
            .0,
        "Pending"
    );

    // The next controller cleans up and finishes.
    let recorder = Arc::new(Recorder::default());
    let _c = start(&client, &label, dir.path(), recorder.clone());
    wait_phase(&client, &format!("{module}-v1.0.0"), "Deployed", 120).await;
    assert!(!partial.exists(), "the leftover was removed");
    let version_dir = root.join(&module).join("v1.0.0");
    assert_eq!(
        std::fs::read(version_dir.join("charts/blob.bin")).unwrap(),
        noise(4 << 20, 42)
    );
    assert_eq!(recorder.versions(&module), ["v1.0.0"]);
}
