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

fn write_hook(path: &Path, script: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, script).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}

/// Issue 16 item 8: one hook whose `--config` fails does not hide the others.
#[test]
fn list_goes_on_past_a_failing_hook_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let hooks = dir.path().join("m/hooks");
    write_hook(
        &hooks.join("a-good.sh"),
        "#!/bin/sh\nif [ \"$1\" = --config ]; then echo '{\"configVersion\":\"v1\",\"onStartup\":1}'; exit 0; fi\n",
    );
    write_hook(
        &hooks.join("b-broken.sh"),
        "#!/bin/sh\necho 'cannot import helpers' >&2\nexit 3\n",
    );
    write_hook(
        &hooks.join("c-good.sh"),
        "#!/bin/sh\nif [ \"$1\" = --config ]; then echo '{\"configVersion\":\"v1\",\"schedule\":[{\"name\":\"tick\",\"crontab\":\"* * * * *\"}]}'; exit 0; fi\n",
    );
    let out = deckmod(&["hook", "list", dir.path().join("m").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.contains("a-good.sh") && table.contains("onStartup"),
        "{table}"
    );
    assert!(
        table.contains("c-good.sh") && table.contains("tick"),
        "{table}"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("b-broken.sh"), "{err}");
    assert!(
        err.contains("cannot import helpers"),
        "the hook's output: {err}"
    );

    let out = deckmod(&[
        "hook",
        "list",
        dir.path().join("m").to_str().unwrap(),
        "-o",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let rows = json(&out);
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 3, "{rows:?}");
    assert!(rows[2]["error"].as_str().unwrap().contains("b-broken.sh"));
}
