//! `deckmod hook` through the real binary: list, config, and run for a
//! kubernetes binding (objects filtered by jqFilter), a failing patch kept
//! out of the values, and a hook's bad config reported with its pointer.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn deckmod(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_deckmod"))
        .args(args)
        .output()
        .expect("deckmod runs")
}

fn hooks_module() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/hooks/002-echo-server")
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

#[test]
fn list_shows_every_hook_with_bindings() {
    let out = deckmod(&[
        "hook",
        "list",
        hooks_module().to_str().unwrap(),
        "-o",
        "json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json(&out);
    let text = v.to_string();
    for hook in [
        "hooks/pods.sh",
        "hooks/startup.sh",
        "hooks/report.py",
        "hooks/convert.py",
        "hooks/batchhooks",
    ] {
        assert!(text.contains(hook), "{hook} missing from {text}");
    }
    assert!(
        !text.contains("lib/common.sh"),
        "lib/ is never scanned: {text}"
    );
}

#[test]
fn run_kubernetes_binding_filters_objects_and_patches_values() {
    let dir = tempfile::tempdir().unwrap();
    let pods = dir.path().join("pods.yaml");
    std::fs::write(
        &pods,
        "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Pod, metadata: {name: a, namespace: d8-echo, labels: {app: echo}}, status: {phase: Running}}\n- {apiVersion: v1, kind: Pod, metadata: {name: b, namespace: d8-echo, labels: {app: echo}}, status: {phase: Pending}}\n",
    )
    .unwrap();
    let hook = hooks_module().join("hooks/pods.sh");
    let out = deckmod(&[
        "hook",
        "run",
        hook.to_str().unwrap(),
        "--binding",
        "pods",
        "--object",
        pods.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json(&out);
    assert_eq!(v["exitCode"], 0);
    let ctx = &v["bindingContext"][0];
    assert_eq!(ctx["type"], "Synchronization");
    assert_eq!(
        ctx["objects"][0]["filterResult"],
        serde_json::json!({"name": "a", "ready": true})
    );
    assert_eq!(
        ctx["objects"][1]["filterResult"],
        serde_json::json!({"name": "b", "ready": false})
    );
    assert_eq!(
        v["valuesPatch"][0]["path"],
        "/echoServer/internal/readyPods"
    );
    assert_eq!(v["values"]["echoServer"]["internal"]["readyPods"], 1);
}

#[test]
fn hook_with_bad_config_is_reported_with_pointer() {
    let dir = tempfile::tempdir().unwrap();
    let hooks = dir.path().join("m/hooks");
    std::fs::create_dir_all(&hooks).unwrap();
    let hook = hooks.join("bad.sh");
    std::fs::write(
        &hook,
        "#!/bin/sh\nif [ \"$1\" = --config ]; then echo '{\"configVersion\":\"v1\",\"kubernetes\":[{\"name\":\"x\",\"kindd\":\"Pod\"}]}'; exit 0; fi\n",
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let out = deckmod(&["hook", "config", hook.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("/kubernetes/0/kindd"), "{err}");
    assert!(err.contains("bad.sh"), "{err}");
}
