//! The `container` linter: DMT's checks of the objects a module's chart
//! renders — object labels and API versions, pod settings (priority class,
//! security context, DNS policy) and every container (probes, security
//! context, resources, images, ports, mounts).
//!
//! The chart is rendered as `deckmod render` renders it, with the module's
//! default values (no settings, no hook-made internal values). DMT fills
//! every schema property instead, so a template that only renders with a
//! setting turned on is checked by DMT and not here.
//!
//! Exclusions follow DMT's `.dmtlint.yaml`:
//! `linters-settings.container.exclude-rules.<key>` lists objects
//! (`{kind, name}`) or containers (`{kind, name, container}`; no
//! `container` means all of the object's containers) a rule skips. The
//! key is the rule's name except for `object-priority-class`, whose key is
//! `priority-class`; rules DMT does not let one exclude
//! ([`Rule::exclude_key`] `None`) take no entries.

mod images;
mod mounts;
mod objects;
mod security;
mod spec;

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::config::LintConfig;
use crate::diagnostic::{Finding, Severity};
use crate::module::Module;
use crate::render::{self, RenderTarget};

/// The linter's name: rule ids are `container/<rule>`.
const LINTER: &str = "container";

/// Where a render problem is reported (DMT's templates linter renders the
/// chart under this rule).
const RENDER_RULE: &str = "templates/helm-render";

/// The kinds whose pod template most rules check.
const WORKLOAD_KINDS: &[&str] = &[
    "Deployment",
    "DaemonSet",
    "StatefulSet",
    "Pod",
    "Job",
    "CronJob",
];

/// The kinds that run long-lived pods (probes, priority class, DNS policy).
const CONTROLLER_KINDS: &[&str] = &["Deployment", "DaemonSet", "StatefulSet"];

/// Kinds without a namespace: a rendered object of any other kind lands in
/// the release namespace when its template names none.
const CLUSTER_SCOPED_KINDS: &[&str] = &[
    "Namespace",
    "Node",
    "PersistentVolume",
    "ComponentStatus",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "StorageClass",
    "VolumeAttachment",
    "CSIDriver",
    "CSINode",
    "PriorityClass",
    "CertificateSigningRequest",
    "APIService",
    "FlowSchema",
    "PriorityLevelConfiguration",
    "IngressClass",
    "RuntimeClass",
    "ClusterIssuer",
];

/// One rule of the linter: its name and the `exclude-rules` key that
/// silences it for chosen objects, if DMT has one.
#[derive(Debug, Clone, Copy)]
pub(super) struct Rule {
    /// The rule name (the id is `container/<name>`).
    pub name: &'static str,
    /// The key under `linters-settings.container.exclude-rules`.
    pub exclude_key: Option<&'static str>,
}

impl Rule {
    /// A rule whose exclude key is its name.
    const fn excludable(name: &'static str) -> Rule {
        Rule {
            name,
            exclude_key: Some(name),
        }
    }

    /// A rule DMT offers no exclusion for.
    const fn fixed(name: &'static str) -> Rule {
        Rule {
            name,
            exclude_key: None,
        }
    }

    fn id(&self) -> String {
        format!("{LINTER}/{}", self.name)
    }
}

/// A rendered object and where it came from.
#[derive(Debug, Clone)]
pub(super) struct Object {
    /// The template file it was rendered from.
    pub file: PathBuf,
    /// The object.
    pub value: Value,
    /// The release namespace (for objects whose template names none).
    release_namespace: String,
}

impl Object {
    /// `kind`.
    pub fn kind(&self) -> &str {
        self.value.get("kind").and_then(Value::as_str).unwrap_or("")
    }

    /// `metadata.name`.
    pub fn name(&self) -> &str {
        self.value
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("")
    }

    /// `metadata.namespace`, else the release namespace for namespaced kinds.
    pub fn namespace(&self) -> &str {
        match self
            .value
            .pointer("/metadata/namespace")
            .and_then(Value::as_str)
        {
            Some(ns) if !ns.is_empty() => ns,
            _ if CLUSTER_SCOPED_KINDS.contains(&self.kind()) => "",
            _ => &self.release_namespace,
        }
    }

    /// `metadata.labels` (empty when none).
    pub fn labels(&self) -> serde_json::Map<String, Value> {
        self.value
            .pointer("/metadata/labels")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default()
    }

    /// How findings name the object: `Deployment web`.
    fn id(&self) -> String {
        format!("{} {}", self.kind(), self.name())
    }

    /// The pod spec of a kind that runs pods.
    pub fn pod_spec(&self) -> Option<&Value> {
        let ptr = match self.kind() {
            "Deployment" | "DaemonSet" | "StatefulSet" | "ReplicaSet" | "Job" => {
                "/spec/template/spec"
            }
            "Pod" => "/spec",
            "CronJob" => "/spec/jobTemplate/spec/template/spec",
            _ => return None,
        };
        self.value.pointer(ptr).filter(|v| v.is_object())
    }

    /// The pod's `securityContext`, when set.
    pub fn pod_security_context(&self) -> Option<&Value> {
        present(self.pod_spec()?.get("securityContext"))
    }

    /// Whether the pod runs in the host's network namespace.
    pub fn host_network(&self) -> bool {
        self.pod_spec()
            .and_then(|s| s.get("hostNetwork"))
            .and_then(Value::as_bool)
            .unwrap_or(false)
    }

    /// The pod's `containers` (not its init containers).
    pub fn containers(&self) -> Vec<Container<'_>> {
        self.container_list("containers")
    }

    /// `containers`, then `initContainers` (a ReplicaSet's init containers
    /// are not read, as DMT reads none).
    pub fn all_containers(&self) -> Vec<Container<'_>> {
        let mut all = self.containers();
        if self.kind() != "ReplicaSet" {
            all.extend(self.container_list("initContainers"));
        }
        all
    }

    fn container_list(&self, field: &str) -> Vec<Container<'_>> {
        self.pod_spec()
            .and_then(|s| s.get(field))
            .and_then(Value::as_array)
            .map(|list| {
                list.iter()
                    .filter(|c| c.is_object())
                    .map(|v| Container {
                        name: v.get("name").and_then(Value::as_str).unwrap_or(""),
                        value: v,
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// One container of a pod spec.
#[derive(Debug, Clone, Copy)]
pub(super) struct Container<'a> {
    /// `name`.
    pub name: &'a str,
    /// The container.
    pub value: &'a Value,
}

impl<'a> Container<'a> {
    /// The container's `securityContext`, when set.
    pub fn security_context(&self) -> Option<&'a Value> {
        present(self.value.get("securityContext"))
    }

    /// A list field (`ports`, `env`, `volumeMounts`), empty when absent.
    pub fn list(&self, field: &str) -> &'a [Value] {
        self.value
            .get(field)
            .and_then(Value::as_array)
            .map_or(&[], Vec::as_slice)
    }
}

/// `v` unless it is absent or `null` (Go's nil pointer).
fn present(v: Option<&Value>) -> Option<&Value> {
    v.filter(|v| !v.is_null())
}

/// An integer field, whether YAML gave it as an integer or a whole float.
fn as_int(v: Option<&Value>) -> Option<i64> {
    let v = v?;
    v.as_i64()
        .or_else(|| v.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64))
}

/// What the rules see: the module, its configuration and every object its
/// chart rendered.
pub(super) struct Context<'a> {
    /// The module folder.
    pub root: &'a Path,
    /// The module's `.dmtlint.yaml`.
    pub config: &'a LintConfig,
    /// Every rendered object.
    pub objects: &'a [Object],
    /// The values the chart was rendered with.
    pub values: &'a Value,
    /// The module's name.
    pub module_name: &'a str,
}

impl Context<'_> {
    /// Whether `.dmtlint.yaml` excludes `object` (or one of its containers)
    /// from `rule`.
    pub fn excluded(&self, rule: Rule, object: &Object, container: Option<&str>) -> bool {
        let Some(key) = rule.exclude_key else {
            return false;
        };
        self.config
            .object_excludes(LINTER, key)
            .iter()
            .any(|e| e.matches(object.kind(), object.name(), container))
    }

    /// A finding of `rule` about `object` (and `container`).
    pub fn finding(
        &self,
        rule: Rule,
        severity: Severity,
        object: &Object,
        container: Option<&str>,
        message: impl AsRef<str>,
    ) -> Finding {
        let subject = match container {
            Some(c) => format!("{}, container `{c}`", object.id()),
            None => object.id(),
        };
        let text = format!("{subject}: {}", message.as_ref());
        match severity {
            Severity::Error => Finding::error(&rule.id(), &object.file, text),
            Severity::Warning => Finding::warning(&rule.id(), &object.file, text),
        }
    }
}

/// Render the module's chart and run the linter's rules on every object.
pub(super) fn check(root: &Path, config: &LintConfig, out: &mut Vec<Finding>) {
    let Some((module, values, objects)) = render_objects(root, out) else {
        return;
    };
    let ctx = Context {
        root,
        config,
        objects: &objects,
        values: &values,
        module_name: module.name(),
    };
    check_objects(&ctx, out);
}

/// Run every rule on `ctx.objects`, in DMT's order: the object rules, the
/// rules over all containers (init containers included), then the probe
/// rules over the regular containers.
fn check_objects(ctx: &Context<'_>, out: &mut Vec<Finding>) {
    let declared_mounts = mounts::declared(ctx.root);
    for object in ctx.objects {
        objects::check(ctx, object, out);
        let all = object.all_containers();
        if all.is_empty() {
            continue;
        }
        spec::check_all(ctx, object, &all, out);
        security::check(ctx, object, &all, out);
        images::check(ctx, object, &all, out);
        mounts::check(ctx, object, &all, &declared_mounts, out);
        spec::check_probes(ctx, object, &object.containers(), out);
    }
}

/// The module's rendered objects, with the module and the values used;
/// `None` when there is nothing to check (a module that does not load is
/// reported by the module and openapi linters; one without a chart renders
/// nothing). A chart that does not render with the default values is a
/// warning: DMT renders with values of its own making, so the failure may
/// be deckmod's default values, not the chart.
fn render_objects(root: &Path, out: &mut Vec<Finding>) -> Option<(Module, Value, Vec<Object>)> {
    let module = Module::load(root).ok()?;
    if !module.has_chart() {
        return None;
    }
    let not_checked = |why: String| {
        Finding::warning(
            RENDER_RULE,
            root.join("templates"),
            format!(
                "the chart does not render with the default values, so the container rules were not checked: {why}"
            ),
        )
    };
    let settings = Value::Object(serde_json::Map::new());
    let values = match module.template_values(&settings, None, None, false) {
        Ok(v) => v,
        Err(e) => {
            out.push(not_checked(e.to_string().trim_end().to_string()));
            return None;
        }
    };
    let chart = match module.load_chart() {
        Ok(c) => c,
        Err(e) => {
            out.push(not_checked(e.to_string()));
            return None;
        }
    };
    let rendered = match render::render(&module, &chart, &values, &RenderTarget::default()) {
        Ok(r) => r,
        Err(e) => {
            out.push(not_checked(e.to_string()));
            return None;
        }
    };
    let release_namespace = module.namespace();
    let docs = rendered
        .manifests
        .iter()
        .map(|m| (m.name.as_str(), m.content.as_str()))
        .chain(
            rendered
                .hooks
                .iter()
                .map(|h| (h.path.as_str(), h.manifest.as_str())),
        );
    let mut objects = Vec::new();
    for (source, text) in docs {
        // `<chart>/templates/x.yaml`: the chart is the module folder.
        let rel = source.split_once('/').map_or(source, |(_, rest)| rest);
        let Ok(value) = goyaml::from_str(text) else {
            continue;
        };
        if value.is_object() {
            objects.push(Object {
                file: root.join(rel),
                value,
                release_namespace: release_namespace.clone(),
            });
        }
    }
    Some((module, values, objects))
}

#[cfg(test)]
pub(super) mod testing {
    //! Run the linter on objects given as YAML, with a `.dmtlint.yaml`.

    use super::*;

    /// The module folder the test objects pretend to come from.
    pub const ROOT: &str = "/m";

    /// A Deployment every rule passes; tests break one thing in it.
    pub const CLEAN: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: d8-m
  labels: {module: m, heritage: deckhouse}
spec:
  revisionHistoryLimit: 2
  template:
    spec:
      priorityClassName: develop
      securityContext: {runAsNonRoot: true, runAsUser: 64535, runAsGroup: 64535, seccompProfile: {type: RuntimeDefault}}
      containers:
        - name: app
          image: registry.example.com/deckhouse@sha256:0000
          securityContext: {readOnlyRootFilesystem: true, allowPrivilegeEscalation: false}
          resources: {requests: {ephemeral-storage: 50Mi}}
          ports: [{containerPort: 8080}]
          livenessProbe: {httpGet: {path: /healthz, port: 8080}}
          readinessProbe: {httpGet: {path: /ready, port: 8080}}
"#;

    /// The second container [`with_sidecar`] adds, as clean as `app`.
    const SIDECAR: &str = r#"        - name: sidecar
          image: registry.example.com/deckhouse@sha256:1111
          securityContext: {readOnlyRootFilesystem: true, allowPrivilegeEscalation: false}
          resources: {requests: {ephemeral-storage: 50Mi}}
          ports: [{containerPort: 9090}]
          livenessProbe: {tcpSocket: {port: 9090}}
          readinessProbe: {tcpSocket: {port: 9090}}
"#;

    /// [`CLEAN`] with a second container, `sidecar`.
    pub fn with_sidecar() -> String {
        format!("{CLEAN}{SIDECAR}")
    }

    /// `text` with `from` replaced by `to`, which must occur in it.
    pub fn edit(text: &str, from: &str, to: &str) -> String {
        assert!(text.contains(from), "`{from}` not in the fixture");
        text.replace(from, to)
    }

    /// The values the test objects count as rendered with.
    pub fn values() -> Value {
        serde_json::json!({"global": {"modulesImages": {"registry": {"base": "registry.example.com/deckhouse"}}}})
    }

    /// Findings of the linter on the YAML documents `manifests` (all from
    /// `templates/t.yaml`), after `dmtlint` is applied.
    pub fn lint(manifests: &str, dmtlint: &str) -> Vec<Finding> {
        lint_in(Path::new(ROOT), manifests, dmtlint, &values())
    }

    /// [`lint`] with no `.dmtlint.yaml`.
    pub fn lint0(manifests: &str) -> Vec<Finding> {
        lint(manifests, "{}")
    }

    /// [`lint`] for a module folder that exists, rendered with `values`.
    pub fn lint_in(root: &Path, manifests: &str, dmtlint: &str, values: &Value) -> Vec<Finding> {
        let config = LintConfig::parse(root, dmtlint).unwrap();
        let objects: Vec<Object> = goyaml::from_str_multi(manifests)
            .unwrap()
            .into_iter()
            .filter(|d| d.value.is_object())
            .map(|d| Object {
                file: root.join("templates/t.yaml"),
                value: d.value,
                release_namespace: "d8-m".into(),
            })
            .collect();
        let ctx = Context {
            root,
            config: &config,
            objects: &objects,
            values,
            module_name: "m",
        };
        let mut out = Vec::new();
        check_objects(&ctx, &mut out);
        config.apply(out)
    }

    /// The findings of `rule` (`container/<rule>`), as `severity message`.
    pub fn of(findings: &[Finding], rule: &str) -> Vec<String> {
        findings
            .iter()
            .filter(|f| f.rule == format!("container/{rule}"))
            .map(|f| {
                let s = match f.severity {
                    Severity::Error => "error",
                    Severity::Warning => "warning",
                };
                format!("{s} {}", f.message)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::testing::*;

    #[test]
    fn the_clean_fixture_passes_every_rule() {
        assert_eq!(lint0(CLEAN), []);
        assert_eq!(lint0(&with_sidecar()), []);
    }

    #[test]
    fn objects_without_a_namespace_are_in_the_release_namespace() {
        let o = super::Object {
            file: "/m/t.yaml".into(),
            value: serde_json::json!({"kind": "Service", "metadata": {"name": "s"}}),
            release_namespace: "d8-m".into(),
        };
        assert_eq!(o.namespace(), "d8-m");
        let ns = super::Object {
            value: serde_json::json!({"kind": "ClusterRole", "metadata": {"name": "r"}}),
            ..o
        };
        assert_eq!(ns.namespace(), "");
    }
}
