//! The example modules: the complete one lints clean and yields its values;
//! each broken one is reported with the right rule at the right place.

use std::path::{Path, PathBuf};

use module::lint::lint_module;
use module::{Finding, Severity};

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

fn errors(name: &str) -> Vec<Finding> {
    let root = examples().join("broken-modules").join(name);
    lint_module(&root)
        .findings
        .into_iter()
        .filter(|f| f.severity == Severity::Error)
        .collect()
}

/// The single error of a broken module, rendered relative to its folder.
fn only_error(name: &str) -> String {
    let root = examples().join("broken-modules").join(name);
    let errs = errors(name);
    assert_eq!(
        errs.len(),
        1,
        "{name}: expected exactly one error, got {errs:#?}"
    );
    let mut f = errs[0].clone();
    f.file = f.file.strip_prefix(&root).unwrap().to_path_buf();
    f.to_string()
}

#[test]
fn complete_module_is_clean() {
    let report = lint_module(&examples().join("modules/echo-server"));
    assert!(report.findings.is_empty(), "{:#?}", report.findings);
}

#[test]
fn complete_module_values() {
    let m = module::Module::load(&examples().join("modules/echo-server")).unwrap();
    let v = m
        .template_values(&serde_json::json!({"replicas": 3}), None, None, true)
        .unwrap();
    assert_eq!(v["echoServer"]["replicas"], 3);
    assert_eq!(
        v["echoServer"]["https"],
        serde_json::json!({"mode": "Disabled"})
    );
    assert_eq!(
        v["echoServer"]["registry"]["base"],
        "registry.example.com/modules/echo-server"
    );
    assert!(v["global"]["modules"]["publicDomainTemplate"].is_string());
    let e = m
        .template_values(
            &serde_json::json!({"replicas": 0, "https": {"mode": "Always"}}),
            None,
            None,
            true,
        )
        .unwrap_err();
    let pointers: Vec<&str> = e.violations.iter().map(|v| v.pointer.as_str()).collect();
    assert_eq!(e.stage, "config");
    assert_eq!(pointers, vec!["/https/mode", "/replicas"]);
}

#[test]
fn bad_yaml() {
    let e = only_error("bad-yaml");
    assert!(e.starts_with("module.yaml:5:"), "{e}");
    assert!(e.contains("module/definition-file: invalid YAML"), "{e}");
}

#[test]
fn bad_name() {
    assert_eq!(
        only_error("bad-name"),
        "module.yaml:1:1: module/definition-file: /name: `Echo_Server` is not kebab-case: lowercase letters, digits and single dashes, starting with a letter"
    );
}

#[test]
fn missing_stage() {
    assert_eq!(
        only_error("missing-stage"),
        "module.yaml:1:1: module/definition-file: `stage` is required: Experimental, Preview, General Availability or Deprecated"
    );
}

#[test]
fn wrong_type() {
    let e = only_error("wrong-type");
    assert!(e.starts_with("module.yaml:4:1: module/definition-file: /weight: invalid type: string \"heavy\", expected i64"), "{e}");
}

#[test]
fn bad_default() {
    let e = only_error("bad-default");
    assert!(e.starts_with("openapi/config-values.yaml:7:5: openapi/default: /properties/replicas/default: default does not match the schema"), "{e}");
}

#[test]
fn bad_example() {
    let e = only_error("bad-example");
    assert!(e.starts_with("openapi/config-values.yaml:17:9: openapi/examples: /properties/https/x-examples/0: x-examples[0] does not match the schema: /mode:"), "{e}");
}

#[test]
fn crd_two_storage() {
    assert_eq!(
        only_error("crd-two-storage"),
        "crds/echoes.yaml:9:3: openapi/crds: /spec/versions: exactly one version must have `storage: true`, found 2"
    );
}

#[test]
fn hook_not_executable() {
    let e = only_error("hook-not-executable");
    assert!(
        e.starts_with(
            "hooks/startup.sh:1:1: hooks/executable: hook `startup.sh` is not executable"
        ),
        "{e}"
    );
}

#[test]
fn no_readme() {
    let e = only_error("no-readme");
    assert!(
        e.starts_with("docs/README.md:1:1: docs/readme: file not found"),
        "{e}"
    );
}

#[test]
fn helmignore_hides_templates() {
    assert_eq!(
        only_error("helmignore-hides-templates"),
        ".helmignore:6:1: module/helmignore: `templates/` hides templates, which the chart needs"
    );
}

#[test]
fn image_without_dockerfile() {
    assert_eq!(
        only_error("image-without-dockerfile"),
        "images/sidecar:1:1: images/layout: image folder `sidecar` has neither a Dockerfile nor a werf.inc.yaml"
    );
}

#[test]
fn conversions_gap() {
    assert_eq!(
        only_error("conversions-gap"),
        "openapi/conversions/v3.yaml:1:1: openapi/conversions: conversions must be v2..vN without gaps: expected v2.yaml"
    );
}

#[test]
fn unpinned_base_image() {
    assert_eq!(
        only_error("unpinned-base-image"),
        "images/server/Dockerfile:2:1: images/dockerfile: base image `alpine:3.20` must come from a `$BASE_*` build argument or be pinned by sha256 digest"
    );
}

#[test]
fn dmtlint_config_can_turn_rules_off_or_to_warnings() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("m");
    copy_dir(&examples().join("broken-modules/no-readme"), &root);
    assert_eq!(
        lint_module(&root)
            .findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .count(),
        1
    );
    std::fs::write(
        root.join(".dmtlint.yaml"),
        "linters-settings:\n  docs:\n    impact: warn\n",
    )
    .unwrap();
    let r = lint_module(&root);
    assert!(
        !r.has_errors() && r.findings.iter().any(|f| f.rule == "docs/readme"),
        "{:#?}",
        r.findings
    );
    std::fs::write(
        root.join(".dmtlint.yaml"),
        "linters-settings:\n  docs:\n    readme: {disable: true}\n",
    )
    .unwrap();
    assert!(
        !lint_module(&root)
            .findings
            .iter()
            .any(|f| f.rule == "docs/readme")
    );
}

/// A copy of the complete module in a temporary folder, its
/// `templates/deployment.yaml` edited by `edit`.
fn echo_server_with(edit: impl Fn(String) -> String) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("echo-server");
    copy_dir(&examples().join("modules/echo-server"), &root);
    let t = root.join("templates/deployment.yaml");
    let text = std::fs::read_to_string(&t).unwrap();
    let edited = edit(text.clone());
    assert_ne!(edited, text, "the edit changed nothing");
    std::fs::write(&t, edited).unwrap();
    (dir, root)
}

fn shown(root: &Path, findings: &[Finding]) -> Vec<String> {
    findings
        .iter()
        .map(|f| {
            let mut f = f.clone();
            f.file = f.file.strip_prefix(root).unwrap().to_path_buf();
            f.to_string()
        })
        .collect()
}

#[test]
fn container_rules_check_the_rendered_chart() {
    // The probe is in the template but not in what it renders with the
    // default values (one replica).
    let (_dir, root) = echo_server_with(|t| {
        t.replace(
            "          readinessProbe:\n",
            "          {{- if ne (int .Values.echoServer.replicas) 1 }}\n          readinessProbe:\n",
        )
        .replace(
            "          readinessProbe:\n            httpGet: {path: /, port: http}\n",
            "          readinessProbe:\n            httpGet: {path: /, port: http}\n          {{- end }}\n",
        )
    });
    assert_eq!(
        shown(&root, &lint_module(&root).findings),
        [
            "templates/deployment.yaml:1:1: container/readiness-probe: Deployment echo-server, container `server`: no readinessProbe: the kubelet cannot tell whether the container works"
        ]
    );
    std::fs::write(
        root.join(".dmtlint.yaml"),
        "linters-settings:\n  container:\n    exclude-rules:\n      readiness-probe:\n        - kind: Deployment\n          name: echo-server\n          container: server\n",
    )
    .unwrap();
    assert_eq!(
        shown(&root, &lint_module(&root).findings),
        Vec::<String>::new()
    );
}

#[test]
fn a_chart_that_does_not_render_is_a_warning() {
    let (_dir, root) =
        echo_server_with(|t| format!("{t}---\n{{{{ fail \"needs a setting\" }}}}\n"));
    let findings = shown(&root, &lint_module(&root).findings);
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert!(
        findings[0].starts_with("templates:1:1: templates/helm-render: warning: the chart does not render with the default values, so the container rules were not checked:")
            && findings[0].contains("needs a setting"),
        "{findings:#?}"
    );
}

#[test]
fn container_findings_are_warnings_in_an_addon_operator_module() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("001-echo");
    std::fs::create_dir_all(root.join("templates")).unwrap();
    std::fs::write(
        root.join("templates/cm.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: echo\n",
    )
    .unwrap();
    let r = lint_module(&root);
    let labels: Vec<&Finding> = r
        .findings
        .iter()
        .filter(|f| f.rule == "container/object-recommended-labels")
        .collect();
    assert_eq!(labels.len(), 2, "{:#?}", r.findings);
    assert!(!r.has_errors(), "{:#?}", r.findings);
    // The same object in a DKP module is an error.
    std::fs::write(
        root.join("module.yaml"),
        "name: echo\nstage: Experimental\n",
    )
    .unwrap();
    assert!(
        lint_module(&root)
            .findings
            .iter()
            .any(|f| f.rule == "container/object-recommended-labels"
                && f.severity == Severity::Error)
    );
}

#[test]
fn real_dkp_modules_load_and_lint_without_panics() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/corpus/modules");
    for m in ["pod-reloader", "snapshot-controller", "modules-template"] {
        let root = corpus.join(m);
        let module = module::Module::load(&root).unwrap_or_else(|f| panic!("{m}: {f:#?}"));
        module
            .template_values(&serde_json::json!({}), None, None, false)
            .unwrap_or_else(|e| panic!("{m}: {e}"));
        let _ = lint_module(&root);
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dst = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dst);
        } else {
            std::fs::copy(e.path(), &dst).unwrap();
        }
    }
}
