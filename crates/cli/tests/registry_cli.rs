//! `deckmod build/push/release/pull/source` run as a binary against the real registries
//! of the test environment (REGISTRY, REGISTRY_TLS, REGISTRY_CA_FILE, DOCKER_CONFIG).

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!(
            "{name} is not set: these tests need the real docker-registry of the test \
             environment. Start it with `ENV_FILE=$(testenv/up.sh)` and `. $ENV_FILE` \
             (or run the project's test command), then rerun."
        )
    })
}

fn deckmod(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_deckmod"))
        .args(args)
        .output()
        .expect("run deckmod")
}

fn ok(args: &[&str]) -> String {
    let out = deckmod(args);
    assert!(
        out.status.success(),
        "deckmod {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 stdout")
}

fn unique(label: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("cli{}-{nanos}/{label}", std::process::id())
}

fn write_module(dir: &Path, template: &str) {
    for (path, content) in [
        ("module.yaml", "name: cli-demo\nweight: 910\n"),
        (
            "Chart.yaml",
            "apiVersion: v2\nname: cli-demo\nversion: 0.1.0\n",
        ),
        ("templates/cm.yaml", template),
        ("openapi/config-values.yaml", "type: object\n"),
    ] {
        let full = dir.join(path);
        fs::create_dir_all(full.parent().unwrap()).unwrap();
        fs::write(full, content).unwrap();
    }
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

#[test]
fn build_push_list_release_pull_round_trip() {
    let registry = env("REGISTRY");
    let source = format!("{registry}/{}", unique("modules"));
    let work = tempfile::tempdir().unwrap();
    let module = work.path().join("src");
    let module_s = module.to_str().unwrap();
    write_module(&module, "kind: ConfigMap # one\n");

    // Build is reproducible: two builds of the same tree give the same digests.
    let out1 = work.path().join("out1");
    let out2 = work.path().join("out2");
    let first = json(&ok(&[
        "build",
        module_s,
        "--version",
        "v0.1.0",
        "-o",
        out1.to_str().unwrap(),
        "--json",
    ]));
    let second = json(&ok(&[
        "build",
        module_s,
        "--version",
        "v0.1.0",
        "-o",
        out2.to_str().unwrap(),
        "--json",
    ]));
    assert_eq!(first["moduleDigest"], second["moduleDigest"]);
    assert_eq!(first["releaseDigest"], second["releaseDigest"]);
    assert!(out1.join("module/oci-layout").is_file() && out1.join("release/index.json").is_file());

    let pushed = json(&ok(&[
        "push",
        "--plain-http",
        "--layout",
        out1.to_str().unwrap(),
        "--source",
        &source,
        "--channel",
        "alpha",
        "--channel",
        "Stable",
        "--json",
    ]));
    assert_eq!(pushed["module_digest"], first["moduleDigest"]);

    write_module(&module, "kind: ConfigMap # two\n");
    ok(&[
        "push",
        module_s,
        "--plain-http",
        "--version",
        "v0.2.0",
        "--source",
        &source,
        "--channel",
        "alpha",
    ]);

    let listing = json(&ok(&[
        "source",
        "list",
        &source,
        "--plain-http",
        "-o",
        "json",
    ]));
    let m = &listing["modules"][0];
    assert_eq!(m["name"], "cli-demo");
    assert_eq!(m["versions"], serde_json::json!(["v0.1.0", "v0.2.0"]));
    assert_eq!(m["channels"]["alpha"], "v0.2.0");
    assert_eq!(m["channels"]["stable"], "v0.1.0");
    let table = ok(&["source", "list", &source, "--plain-http"]);
    assert!(table.starts_with("MODULE"), "{table}");
    assert!(
        table.contains("cli-demo  v0.2.0  2") && table.contains("alpha=v0.2.0 stable=v0.1.0"),
        "{table}"
    );

    ok(&[
        "release",
        "--plain-http",
        "--source",
        &source,
        "cli-demo",
        "v0.2.0",
        "--channel",
        "stable",
    ]);
    let dest = work.path().join("pulled");
    let pulled = json(&ok(&[
        "pull",
        "--plain-http",
        "--source",
        &source,
        "cli-demo",
        "--channel",
        "stable",
        "-o",
        dest.to_str().unwrap(),
        "--json",
    ]));
    assert_eq!(pulled["version"], "v0.2.0");
    assert_eq!(
        fs::read_to_string(dest.join("templates/cm.yaml")).unwrap(),
        "kind: ConfigMap # two\n"
    );
    assert_eq!(
        fs::read_to_string(dest.join("version.json")).unwrap(),
        r#"{"version":"v0.2.0"}"#
    );
    assert_eq!(
        fs::read(dest.join("openapi/config-values.yaml")).unwrap(),
        fs::read(module.join("openapi/config-values.yaml")).unwrap()
    );
}

#[test]
fn tls_registry_with_ca_and_docker_config() {
    let registry = env("REGISTRY_TLS");
    let ca = env("REGISTRY_CA_FILE");
    let config = env("DOCKER_CONFIG");
    let source = format!("{registry}/{}", unique("modules"));
    let work = tempfile::tempdir().unwrap();
    write_module(work.path(), "kind: ConfigMap\n");
    ok(&[
        "push",
        work.path().to_str().unwrap(),
        "--version",
        "v1.0.0",
        "--source",
        &source,
        "--ca-file",
        &ca,
        "--registry-config",
        &config,
        "--channel",
        "beta",
    ]);
    let listing = json(&ok(&[
        "source",
        "list",
        &source,
        "--ca-file",
        &ca,
        "--registry-config",
        &config,
        "-o",
        "json",
    ]));
    assert_eq!(listing["modules"][0]["channels"]["beta"], "v1.0.0");

    // Without the CA: a clear TLS error pointing at --ca-file.
    let out = deckmod(&["source", "list", &source, "--registry-config", &config]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("not trusted") && stderr.contains("--ca-file"),
        "{stderr}"
    );

    // With wrong credentials: a clear authentication error.
    let bad = work.path().join("bad-config.json");
    fs::write(
        &bad,
        format!(r#"{{"auths":{{"{registry}":{{"username":"nobody","password":"nope"}}}}}}"#),
    )
    .unwrap();
    let out = deckmod(&[
        "source",
        "list",
        &source,
        "--ca-file",
        &ca,
        "--registry-config",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("authentication") && stderr.contains(&registry),
        "{stderr}"
    );
}

#[test]
fn usage_errors_are_clear() {
    let out = deckmod(&["source", "list", "https://r.example/acme"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--plain-http"));

    let out = deckmod(&["pull", "--source", "r.example/acme", "demo"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "--version or --channel is required"
    );

    let out = deckmod(&[
        "release",
        "--source",
        "r.example/acme",
        "demo",
        "v1.0.0",
        "--channel",
        "nightly",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("early-access"));

    let help = ok(&["build", "--help"]);
    assert!(
        help.contains("image builder") && help.contains("--image"),
        "{help}"
    );
}
