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

/// addon-operator style modules: no module.yaml, no openapi/.
fn addon_operator_modules() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/addon-operator-modules")
}

/// Issue 16 item 7: a module without schemas takes its values as
/// addon-operator layers them (`<modulesDir>/values.yaml`, the module's
/// `values.yaml`, then config) in `values`, `render` and `hook run`, and
/// lint warns about what DKP would need instead of failing.
#[test]
fn schema_less_module_layers_values_as_addon_operator() {
    let echo = addon_operator_modules().join("001-echo");
    let e = echo.to_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let settings = dir.path().join("settings.yaml");
    std::fs::write(&settings, "message: from config\nextra: {any: thing}\n").unwrap();
    let out = deckmod(
        &[
            "values",
            e,
            "-f",
            settings.to_str().unwrap(),
            "--set",
            "replicas=3",
            "-o",
            "json",
        ],
        Path::new("."),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["echo"]["replicas"], 3, "config over static values");
    assert_eq!(v["echo"]["message"], "from config");
    assert_eq!(v["echo"]["extra"]["any"], "thing", "nothing is validated");
    assert_eq!(
        v["echo"]["labels"],
        serde_json::json!({"tier": "common", "team": "web"}),
        "the module's values.yaml merges over the modules folder's"
    );
    assert!(
        v["echo"].get("registry").is_none(),
        "no registry injection: {v}"
    );
    assert_eq!(
        v["global"]["clusterName"], "demo",
        "global: of the modules folder's values.yaml"
    );

    let out = deckmod(&["render", e], Path::new("."));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let manifests = text(&out.stdout);
    assert!(
        manifests.contains("message: \"from the module\""),
        "{manifests}"
    );
    assert!(manifests.contains("cluster: \"demo\""), "{manifests}");

    let hook = echo.join("hooks/10-startup.sh");
    let out = deckmod(
        &[
            "hook",
            "run",
            hook.to_str().unwrap(),
            "--binding",
            "onStartup",
        ],
        Path::new("."),
    );
    assert!(
        out.status.success(),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let run: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(run["values"]["echo"]["internal"]["readyPods"], 1);
    assert_eq!(run["values"]["echo"]["message"], "from the module");

    let out = deckmod(&["lint", e], Path::new("."));
    let report = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{report}{}", text(&out.stderr));
    assert!(report.contains("openapi/schema: warning"), "{report}");
    assert!(
        report.contains("module/definition-file: warning"),
        "{report}"
    );
    // The modules folder holding such modules lints each of them.
    let out = deckmod(
        &["lint", addon_operator_modules().to_str().unwrap()],
        Path::new("."),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert!(
        text(&out.stdout).contains("001-echo"),
        "{}",
        text(&out.stdout)
    );
}

/// A DKP module with lib-helm that needs one platform image through a
/// variable and one by its name.
fn module_with_common_images(dir: &Path) -> PathBuf {
    let m = dir.join("images-demo");
    std::fs::create_dir_all(m.join("templates")).unwrap();
    std::fs::create_dir_all(m.join("openapi")).unwrap();
    std::fs::write(m.join("module.yaml"), "name: images-demo\n").unwrap();
    std::fs::write(
        m.join("openapi/config-values.yaml"),
        "type: object\nproperties:\n  sidecar: {type: string, default: csiLivenessProbe}\n",
    )
    .unwrap();
    std::fs::write(
        m.join("templates/pod.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata: {name: demo}\nspec:\n  containers:\n  - name: named\n    image: {{ include \"helm_lib_module_common_image\" (list . \"csiNodeDriverRegistrar\") }}\n  - name: through-a-variable\n    image: {{ include \"helm_lib_module_common_image\" (list . .Values.imagesDemo.sidecar) }}\n",
    )
    .unwrap();
    let lib = corpus_modules().join("../charts/deckhouse-lib-helm/charts/helm_lib");
    copy_dir(&lib, &m.join("charts/helm_lib"));
    m
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.path().is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

/// Issue 16 item 12: a platform image digest missing from the default
/// globals is an error naming the key and showing the `-f` file that
/// supplies it; images named literally get placeholders.
#[test]
fn missing_platform_image_digest_names_the_key_and_how_to_supply_it() {
    let dir = tempfile::tempdir().unwrap();
    let m = module_with_common_images(dir.path());
    let out = deckmod(&["render", m.to_str().unwrap()], Path::new("."));
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("global.modulesImages.digests.common.csiLivenessProbe"),
        "{err}"
    );
    assert!(
        err.contains("global:\n    modulesImages:\n      digests:\n        common:\n          csiLivenessProbe: sha256:"),
        "{err}"
    );
    let supply = dir.path().join("digests.yaml");
    std::fs::write(
        &supply,
        "global:\n  modulesImages:\n    digests:\n      common:\n        csiLivenessProbe: sha256:1111\n",
    )
    .unwrap();
    let out = deckmod(
        &[
            "render",
            m.to_str().unwrap(),
            "-f",
            supply.to_str().unwrap(),
        ],
        Path::new("."),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let manifests = text(&out.stdout);
    assert!(manifests.contains("@sha256:1111"), "{manifests}");
    assert!(
        manifests
            .contains("@sha256:0000000000000000000000000000000000000000000000000000000000000000"),
        "the literally named image gets a placeholder: {manifests}"
    );
}

/// Issue 16 item 11: the platform's `registry` values win over what the
/// module's schema says, and an anonymous source gets a Docker config with
/// an empty auth entry for its host.
#[test]
fn registry_values_are_injected_over_the_module_schema() {
    let dir = tempfile::tempdir().unwrap();
    let m = dir.path().join("reg-demo");
    std::fs::create_dir_all(m.join("openapi")).unwrap();
    std::fs::write(m.join("module.yaml"), "name: reg-demo\n").unwrap();
    std::fs::write(
        m.join("openapi/values.yaml"),
        "type: object\nproperties:\n  registry:\n    type: object\n    default: {}\n    properties:\n      base: {type: string, default: my.own/registry}\n",
    )
    .unwrap();
    let out = deckmod(
        &["values", m.to_str().unwrap(), "-o", "json"],
        Path::new("."),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let reg = &v["regDemo"]["registry"];
    assert_eq!(reg["base"], "registry.example.com/modules/reg-demo", "{v}");
    assert_eq!(reg["scheme"], "https");
    assert_eq!(reg["ca"], "");
    let cfg = reg["dockercfg"].as_str().unwrap();
    assert_eq!(cfg, "eyJhdXRocyI6eyJyZWdpc3RyeS5leGFtcGxlLmNvbSI6e319fQ==");
}
