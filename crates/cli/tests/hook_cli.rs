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

fn write_file(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// Issue 16 item 9: an object of another kind than the binding watches is
/// an error; kinds match by Kind, plural or short name in any case.
#[test]
fn run_refuses_objects_the_binding_would_not_deliver() {
    let dir = tempfile::tempdir().unwrap();
    let hook = hooks_module().join("hooks/pods.sh");
    let deploy = write_file(
        dir.path(),
        "deploy.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: d8-echo}\n",
    );
    let out = deckmod(&[
        "hook",
        "run",
        hook.to_str().unwrap(),
        "--binding",
        "pods",
        "--object",
        deploy.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("deploy.yaml"), "{err}");
    assert!(
        err.contains("binding pods watches v1 Pod; the object d8-echo/web is apps/v1 Deployment"),
        "{err}"
    );
    // The binding names its kind by short name: a Pod is still a Pod.
    let hooks = dir.path().join("m/hooks");
    write_hook(
        &hooks.join("short.sh"),
        "#!/bin/sh\nif [ \"$1\" = --config ]; then echo '{\"configVersion\":\"v1\",\"kubernetes\":[{\"name\":\"p\",\"kind\":\"PO\"}]}'; exit 0; fi\n",
    );
    let pod = write_file(
        dir.path(),
        "pod.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\n",
    );
    let out = deckmod(&[
        "hook",
        "run",
        hooks.join("short.sh").to_str().unwrap(),
        "--binding",
        "p",
        "--object",
        pod.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Issue 16 item 9: admission and conversion hooks take the object under
/// review and receive it wrapped as the operator delivers it.
#[test]
fn run_wraps_objects_into_admission_and_conversion_reviews() {
    let dir = tempfile::tempdir().unwrap();
    let ingress = write_file(
        dir.path(),
        "ingress.yaml",
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: web, namespace: d8-echo}\nspec:\n  rules:\n  - host: bad.example.org\n",
    );
    let hook = hooks_module().join("hooks/ingress/validate.sh");
    let out = deckmod(&[
        "hook",
        "run",
        hook.to_str().unwrap(),
        "--binding",
        "ingress-policy.echo.deckhouse.io",
        "--object",
        ingress.to_str().unwrap(),
    ]);
    let v = json(&out);
    let review = &v["bindingContext"][0]["review"];
    assert_eq!(review["kind"], "AdmissionReview", "{v}");
    assert_eq!(review["request"]["operation"], "CREATE");
    assert_eq!(
        review["request"]["resource"],
        serde_json::json!({"group": "networking.k8s.io", "version": "v1", "resource": "ingresses"})
    );
    assert_eq!(review["request"]["object"]["metadata"]["name"], "web");
    assert_eq!(v["admissionResponse"]["allowed"], false, "{v}");
    assert!(
        v["admissionResponse"]["message"]
            .as_str()
            .unwrap()
            .contains("bad.example.org"),
        "{v}"
    );
    // A Pod is not covered by the webhook's rules.
    let pod = write_file(
        dir.path(),
        "pod.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\n",
    );
    let out = deckmod(&[
        "hook",
        "run",
        hook.to_str().unwrap(),
        "--binding",
        "ingress-policy.echo.deckhouse.io",
        "--object",
        pod.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no rule for CREATE of pods in v1"), "{err}");

    let echo = write_file(
        dir.path(),
        "echo.yaml",
        "apiVersion: deckhouse.io/v1alpha1\nkind: Echo\nmetadata: {name: e1}\nspec: {size: 3}\n",
    );
    let hook = hooks_module().join("hooks/convert.py");
    let out = deckmod(&[
        "hook",
        "run",
        hook.to_str().unwrap(),
        "--binding",
        "echo-conversion",
        "--object",
        echo.to_str().unwrap(),
    ]);
    let v = json(&out);
    let ctx = &v["bindingContext"][0];
    assert_eq!(ctx["review"]["kind"], "ConversionReview", "{v}");
    assert_eq!(
        ctx["review"]["request"]["desiredAPIVersion"],
        "deckhouse.io/v1"
    );
    assert_eq!(ctx["fromVersion"], "deckhouse.io/v1alpha1");
    assert_eq!(
        v["conversionResponse"]["convertedObjects"][0]["spec"]["replicas"], 3,
        "{v}"
    );
    let wrong = write_file(
        dir.path(),
        "wrong.yaml",
        "apiVersion: deckhouse.io/v1\nkind: Echo\nmetadata: {name: e1}\n",
    );
    let out = deckmod(&[
        "hook",
        "run",
        hook.to_str().unwrap(),
        "--binding",
        "echo-conversion",
        "--object",
        wrong.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("converts from deckhouse.io/v1alpha1"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Issue 16 item 10: a lifecycle binding over a whole module runs every
/// hook that has it, in ORDER then path, carrying values patches.
#[test]
fn run_lifecycle_binding_over_a_module_in_order_carrying_patches() {
    let module =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/addon-operator-modules/001-echo");
    let out = deckmod(&[
        "hook",
        "run",
        module.to_str().unwrap(),
        "--binding",
        "onStartup",
    ]);
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let runs = json(&out);
    let names: Vec<&str> = runs
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["hook"].as_str().unwrap())
        .collect();
    // z-early has ORDER 5, 10-startup 10, a-late 20; schedule.sh has no onStartup.
    assert_eq!(
        names,
        [
            "001-echo/hooks/z-early.sh",
            "001-echo/hooks/10-startup.sh",
            "001-echo/hooks/a-late.sh"
        ]
    );
    let last = &runs[2]["values"]["echo"];
    assert_eq!(last["early"], true);
    assert_eq!(
        last["internal"],
        serde_json::json!({"readyPods": 1, "late": true})
    );
}
