//! Stage one through the real binary: init → lint → values, exit codes and error texts.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn deckmod(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_deckmod"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("deckmod runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The real DKP modules of the conformance corpus.
fn corpus_modules() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/corpus/modules")
}

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

#[test]
fn init_then_lint_then_values() {
    let dir = tempfile::tempdir().unwrap();
    let out = deckmod(&["init", "demo"], dir.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = deckmod(&["lint", "demo"], dir.path());
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    std::fs::write(
        dir.path().join("settings.yaml"),
        "replicas: 2\nglobal:\n  modules:\n    publicDomainTemplate: '%s.corp'\n",
    )
    .unwrap();
    let out = deckmod(
        &[
            "values",
            "demo",
            "-f",
            "settings.yaml",
            "--set",
            "message=hi",
            "-o",
            "json",
        ],
        dir.path(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["demo"]["replicas"], 2);
    assert_eq!(v["demo"]["message"], "hi");
    assert_eq!(v["global"]["modules"]["publicDomainTemplate"], "%s.corp");
    assert_eq!(
        v["global"]["modules"]["https"]["mode"], "CertManager",
        "defaults kept beside the override"
    );
}

#[test]
fn invalid_config_is_rejected_with_its_pointer() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.yaml"),
        "replicas: many\nhttps:\n  mode: Always\n",
    )
    .unwrap();
    let m = examples().join("modules/echo-server");
    let out = deckmod(
        &["values", m.to_str().unwrap(), "-f", "bad.yaml"],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("settings do not match openapi/config-values.yaml"),
        "{err}"
    );
    assert!(
        err.contains("/https/mode: \"Always\" is not one of"),
        "{err}"
    );
    assert!(
        err.contains("/replicas: \"many\" is not of type \"integer\""),
        "{err}"
    );
}

#[test]
fn malformed_config_file_names_file_line_col() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bad.yaml"), "replicas: [1,\n").unwrap();
    let m = examples().join("modules/echo-server");
    let out = deckmod(
        &["values", m.to_str().unwrap(), "-f", "bad.yaml"],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("bad.yaml:2:1: invalid YAML"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn lint_many_modules_text_and_json() {
    let broken = examples().join("broken-modules");
    let out = deckmod(&["lint", broken.to_str().unwrap()], Path::new("."));
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("bad-name/module.yaml:1:1: module/definition-file: /name:"),
        "{stdout}"
    );
    assert!(
        stdout.contains("hook-not-executable/hooks/startup.sh:1:1: hooks/executable:"),
        "{stdout}"
    );
    assert!(
        text(&out.stderr).contains("13 module(s) checked"),
        "{}",
        text(&out.stderr)
    );
    let out = deckmod(
        &[
            "lint",
            "-o",
            "json",
            broken.join("wrong-type").to_str().unwrap(),
        ],
        Path::new("."),
    );
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v[0]["rule"], "module/definition-file");
    assert_eq!(v[0]["pointer"], "/weight");
    assert_eq!(
        (v[0]["line"].as_u64(), v[0]["column"].as_u64()),
        (Some(4), Some(1))
    );
}

#[test]
fn usage_errors_exit_2() {
    let out = deckmod(&["lint", "--output", "xml"], Path::new("."));
    assert_eq!(out.status.code(), Some(2));
    let out = deckmod(&["no-such-command"], Path::new("."));
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn completions_are_generated() {
    let out = deckmod(&["completion", "bash"], Path::new("."));
    assert!(out.status.success());
    assert!(text(&out.stdout).contains("deckmod"));
}

#[test]
fn real_dkp_modules_render_with_default_globals() {
    let corpus = corpus_modules();
    for (m, image) in [
        (
            "pod-reloader",
            "registry.deckhouse.io/deckhouse/ce@sha256:000",
        ),
        ("modules-template", "@sha256:000"),
    ] {
        let out = deckmod(
            &["render", corpus.join(m).to_str().unwrap()],
            Path::new("."),
        );
        assert!(out.status.success(), "{m}: {}", text(&out.stderr));
        let manifests = text(&out.stdout);
        assert!(manifests.contains("kind: Deployment"), "{m}: {manifests}");
        assert!(
            manifests.contains(image),
            "{m}: placeholder image digests are used: {manifests}"
        );
    }
}

#[test]
fn render_takes_internal_values_that_hooks_would_fill() {
    let module = corpus_modules().join("snapshot-controller");
    let m = module.to_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("internal.yaml"),
        "customWebhookCert:\n  ca: CA-PEM\n  crt: CRT-PEM\n  key: KEY-PEM\n",
    )
    .unwrap();
    let certs = [
        "--set-internal",
        "snapshotValidationWebhookCert.ca=V-CA",
        "--set-internal",
        "snapshotValidationWebhookCert.crt=V-CRT",
        "--set-internal",
        "snapshotValidationWebhookCert.key=V-KEY",
    ];

    // Without them the module's x-required-for-helm fields are missing.
    let out = deckmod(&["render", m], dir.path());
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains(r#"/internal/customWebhookCert: "ca" is a required property"#),
        "{}",
        text(&out.stderr)
    );

    let mut args = vec!["render", m, "--internal", "internal.yaml"];
    args.extend(certs);
    let out = deckmod(&args, dir.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let manifests = text(&out.stdout);
    // templates read .Values.snapshotController.internal.customWebhookCert.ca | b64enc
    assert!(manifests.contains(r#"caBundle: "Q0EtUEVN""#), "{manifests}");
    assert!(
        manifests.contains(r#"tls.key: "S0VZLVBFTQ==""#),
        "{manifests}"
    );

    // Internal values are validated against openapi/values.yaml, by pointer.
    let mut args = vec!["render", m, "--internal", "internal.yaml"];
    args.extend(certs);
    args.extend(["--set-internal", "snapshotValidationWebhookCert.ca=5"]);
    args.extend(["--set-internal", "bogus=1"]);
    let out = deckmod(&args, dir.path());
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("effective values do not match openapi/values.yaml")
            && err.contains(
                r#"/internal/snapshotValidationWebhookCert/ca: 5 is not of type "string""#
            )
            && err.contains(
                "/internal: Additional properties are not allowed ('bogus' was unexpected)"
            ),
        "{err}"
    );

    // A file that is not a mapping is refused.
    std::fs::write(dir.path().join("list.yaml"), "- a\n").unwrap();
    let out = deckmod(&["render", m, "--internal", "list.yaml"], dir.path());
    assert_eq!(
        text(&out.stderr).trim_end(),
        "Error: list.yaml: expected a mapping of internal values"
    );
}

#[test]
fn values_shows_internal_values_given_as_hooks_would() {
    let module = corpus_modules().join("snapshot-controller");
    let m = module.to_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "values",
        m,
        "--set-internal",
        "snapshotValidationWebhookCert.ca=V-CA",
        "-o",
        "json",
    ];
    let out = deckmod(&args, dir.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["snapshotController"]["internal"]["snapshotValidationWebhookCert"]["ca"],
        "V-CA"
    );
    // Validated like the settings: an unknown internal key is refused.
    let out = deckmod(&["values", m, "--set-internal", "bogus=1"], dir.path());
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("/internal: Additional properties are not allowed"),
        "{}",
        text(&out.stderr)
    );
}
