//! `deckmod status` against the real kube-apiserver of the test environment: the
//! distribution CRDs installed, an unknown module is exit 1 with a message naming it, and
//! `-o json` prints the stories as data. (The stories themselves are checked in the
//! operator's journey test, where a controller makes them.)

use std::process::Command;

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: run the tests through scripts/test.sh, which starts the test environment")
    })
}

#[test]
fn status_of_an_unknown_module_says_so_and_json_is_data() {
    let kubeconfig = env("KUBECONFIG");
    let crds = Command::new(env!("CARGO_BIN_EXE_deckmod"))
        .arg("crds")
        .output()
        .unwrap();
    assert!(crds.status.success());
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("crds.yaml");
    std::fs::write(&file, &crds.stdout).unwrap();
    let applied = Command::new("kubectl")
        .args(["apply", "-f", file.to_str().unwrap()])
        .env("KUBECONFIG", &kubeconfig)
        .output()
        .unwrap();
    assert!(
        applied.status.success(),
        "{}",
        String::from_utf8_lossy(&applied.stderr)
    );
    let out = Command::new(env!("CARGO_BIN_EXE_deckmod"))
        .args(["status", "no-such-module-anywhere"])
        .env("KUBECONFIG", &kubeconfig)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no-such-module-anywhere"), "{stderr}");
    let out = Command::new(env!("CARGO_BIN_EXE_deckmod"))
        .args(["status", "-o", "json"])
        .env("KUBECONFIG", &kubeconfig)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stories: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(stories.is_array(), "{stories}");
}
