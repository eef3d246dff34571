//! The containers' shape: unique names and environment variables, an
//! ephemeral-storage request, unprivileged ports (and the host-network
//! port range), and liveness and readiness probes.

use std::collections::BTreeSet;

use serde_json::Value;

use super::{CONTROLLER_KINDS, Container, Context, Object, Rule, WORKLOAD_KINDS, as_int, present};
use crate::diagnostic::{Finding, Severity};

const NAME_DUPLICATES: Rule = Rule::fixed("name-duplicates");
const ENV_DUPLICATES: Rule = Rule::fixed("env-variables-duplicates");
const RESOURCES: Rule = Rule::excludable("resources");
const PORTS: Rule = Rule::excludable("ports");
const HOST_NETWORK_PORTS: Rule = Rule::excludable("host-network-ports");
const LIVENESS_PROBE: Rule = Rule::excludable("liveness-probe");
const READINESS_PROBE: Rule = Rule::excludable("readiness-probe");

/// Ports up to this one need privileges to bind.
const PRIVILEGED_PORT_MAX: i64 = 1024;

/// The ports DKP reserves for modules' host-network pods: `[4200, 4300)`.
const HOST_PORT_RANGE: std::ops::Range<i64> = 4200..4300;

/// Run the rules over every container (init containers included).
pub(super) fn check_all(
    ctx: &Context<'_>,
    object: &Object,
    containers: &[Container<'_>],
    out: &mut Vec<Finding>,
) {
    name_duplicates(ctx, object, containers, out);
    let workload = WORKLOAD_KINDS.contains(&object.kind());
    for c in containers {
        env_duplicates(ctx, object, c, out);
        resources(ctx, object, c, out);
        ports(ctx, object, c, out);
        if workload {
            host_network_ports(ctx, object, c, out);
        }
    }
}

/// Run the probe rules over the regular containers of controllers (init
/// containers finish before the pod is ready and have no probes).
pub(super) fn check_probes(
    ctx: &Context<'_>,
    object: &Object,
    containers: &[Container<'_>],
    out: &mut Vec<Finding>,
) {
    if !CONTROLLER_KINDS.contains(&object.kind()) {
        return;
    }
    for c in containers {
        probe(ctx, LIVENESS_PROBE, "livenessProbe", object, c, out);
        probe(ctx, READINESS_PROBE, "readinessProbe", object, c, out);
    }
}

/// The first name seen twice in `names`.
fn duplicate<'a>(names: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let mut seen = BTreeSet::new();
    names.into_iter().find(|n| !seen.insert(*n))
}

fn name_duplicates(
    ctx: &Context<'_>,
    object: &Object,
    containers: &[Container<'_>],
    out: &mut Vec<Finding>,
) {
    if let Some(name) = duplicate(containers.iter().map(|c| c.name)) {
        out.push(ctx.finding(
            NAME_DUPLICATES,
            Severity::Error,
            object,
            None,
            format!("two containers are named `{name}` (init containers included)"),
        ));
    }
}

fn env_duplicates(ctx: &Context<'_>, object: &Object, c: &Container<'_>, out: &mut Vec<Finding>) {
    let names = c
        .list("env")
        .iter()
        .map(|e| e.get("name").and_then(Value::as_str).unwrap_or(""));
    if let Some(name) = duplicate(names) {
        out.push(ctx.finding(
            ENV_DUPLICATES,
            Severity::Error,
            object,
            Some(c.name),
            format!("environment variable `{name}` is set twice"),
        ));
    }
}

/// Whether a resource quantity (`1Gi`, `500M`, `0`, a number) is zero.
fn quantity_is_zero(q: &Value) -> bool {
    match q {
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => {
            let digits = s.trim_end_matches(|c: char| c.is_ascii_alphabetic());
            digits.trim().parse::<f64>().is_ok_and(|n| n == 0.0)
        }
        _ => false,
    }
}

fn resources(ctx: &Context<'_>, object: &Object, c: &Container<'_>, out: &mut Vec<Finding>) {
    if ctx.excluded(RESOURCES, object, Some(c.name)) {
        return;
    }
    let request = present(c.value.pointer("/resources/requests/ephemeral-storage"));
    if request.is_none_or(quantity_is_zero) {
        out.push(ctx.finding(
            RESOURCES,
            Severity::Error,
            object,
            Some(c.name),
            "resources.requests has no ephemeral-storage: request the local disk the container writes (logs, emptyDir, temporary files)",
        ));
    }
}

fn container_port(port: &Value) -> i64 {
    as_int(port.get("containerPort")).unwrap_or(0)
}

fn ports(ctx: &Context<'_>, object: &Object, c: &Container<'_>, out: &mut Vec<Finding>) {
    if ctx.excluded(PORTS, object, Some(c.name)) {
        return;
    }
    for port in c.list("ports") {
        let n = container_port(port);
        if n <= PRIVILEGED_PORT_MAX {
            out.push(ctx.finding(
                PORTS,
                Severity::Error,
                object,
                Some(c.name),
                format!(
                    "containerPort {n} is a privileged port: listen above {PRIVILEGED_PORT_MAX}"
                ),
            ));
        }
    }
}

fn host_network_ports(
    ctx: &Context<'_>,
    object: &Object,
    c: &Container<'_>,
    out: &mut Vec<Finding>,
) {
    if ctx.excluded(HOST_NETWORK_PORTS, object, Some(c.name)) {
        return;
    }
    let host_network = object.host_network();
    let range = format!("[{}, {}]", HOST_PORT_RANGE.start, HOST_PORT_RANGE.end - 1);
    for port in c.list("ports") {
        let n = container_port(port);
        if host_network && !HOST_PORT_RANGE.contains(&n) {
            out.push(ctx.finding(
                HOST_NETWORK_PORTS,
                Severity::Error,
                object,
                Some(c.name),
                format!("the pod uses hostNetwork and containerPort {n} is outside the range {range} DKP keeps for modules"),
            ));
        }
        let host = as_int(port.get("hostPort")).unwrap_or(0);
        if host != 0 && !HOST_PORT_RANGE.contains(&host) {
            out.push(ctx.finding(
                HOST_NETWORK_PORTS,
                Severity::Error,
                object,
                Some(c.name),
                format!("hostPort {host} is outside the range {range} DKP keeps for modules"),
            ));
        }
    }
}

/// The probe handlers Kubernetes knows; a probe has exactly one.
const PROBE_HANDLERS: &[&str] = &["exec", "grpc", "httpGet", "tcpSocket"];

fn probe(
    ctx: &Context<'_>,
    rule: Rule,
    field: &str,
    object: &Object,
    c: &Container<'_>,
    out: &mut Vec<Finding>,
) {
    if ctx.excluded(rule, object, Some(c.name)) {
        return;
    }
    let message = match present(c.value.get(field)) {
        None => format!("no {field}: the kubelet cannot tell whether the container works"),
        Some(p) => {
            let handlers: Vec<&str> = PROBE_HANDLERS
                .iter()
                .copied()
                .filter(|h| present(p.get(*h)).is_some())
                .collect();
            if handlers.len() == 1 {
                return;
            }
            format!(
                "{field} must have exactly one of {}, it has {}",
                PROBE_HANDLERS.join(", "),
                if handlers.is_empty() {
                    "none".to_string()
                } else {
                    handlers.join(", ")
                }
            )
        }
    };
    out.push(ctx.finding(rule, Severity::Error, object, Some(c.name), message));
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;

    fn exclude(key: &str, container: &str) -> String {
        format!(
            "linters-settings:\n  container:\n    exclude-rules:\n      {key}:\n        - {{kind: Deployment, name: web, container: {container}}}\n"
        )
    }

    /// Only the `sidecar` part of [`with_sidecar`] edited.
    fn edit_sidecar(from: &str, to: &str) -> String {
        let text = with_sidecar();
        let at = text.find("- name: sidecar").unwrap();
        format!("{}{}", &text[..at], edit(&text[at..], from, to))
    }

    #[test]
    fn name_duplicates() {
        let twice = edit_sidecar("name: sidecar", "name: app");
        assert_eq!(
            of(&lint0(&twice), "name-duplicates"),
            ["error Deployment web: two containers are named `app` (init containers included)"]
        );
        let init = edit(
            CLEAN,
            "      containers:\n",
            "      initContainers:\n        - name: app\n      containers:\n",
        );
        assert_eq!(of(&lint0(&init), "name-duplicates").len(), 1);
    }

    #[test]
    fn env_variables_duplicates() {
        let env = |vars: &str| {
            edit(
                CLEAN,
                "          ports:",
                &format!("          env: {vars}\n          ports:"),
            )
        };
        assert_eq!(
            of(
                &lint0(&env("[{name: A, value: x}, {name: A, value: y}]")),
                "env-variables-duplicates"
            ),
            ["error Deployment web, container `app`: environment variable `A` is set twice"]
        );
        assert_eq!(
            lint0(&env("[{name: A, value: x}, {name: B, value: y}]")),
            []
        );
    }

    #[test]
    fn resources() {
        let none = edit(
            CLEAN,
            "          resources: {requests: {ephemeral-storage: 50Mi}}\n",
            "",
        );
        assert_eq!(
            of(&lint0(&none), "resources"),
            [
                "error Deployment web, container `app`: resources.requests has no ephemeral-storage: request the local disk the container writes (logs, emptyDir, temporary files)"
            ]
        );
        let zero = edit(CLEAN, "ephemeral-storage: 50Mi", "ephemeral-storage: 0Gi");
        assert_eq!(of(&lint0(&zero), "resources").len(), 1);
        let cpu_only = edit(CLEAN, "{ephemeral-storage: 50Mi}", "{cpu: 10m}");
        assert_eq!(of(&lint0(&cpu_only), "resources").len(), 1);
        let number = edit(
            CLEAN,
            "ephemeral-storage: 50Mi",
            "ephemeral-storage: 1000000",
        );
        assert_eq!(lint0(&number), []);
    }

    #[test]
    fn resources_exclude() {
        let none = edit_sidecar("{requests: {ephemeral-storage: 50Mi}}", "{}");
        let f = lint(&none, &exclude("resources", "sidecar"));
        assert_eq!(of(&f, "resources"), Vec::<String>::new());
        let f = lint(&none, &exclude("resources", "app"));
        assert_eq!(of(&f, "resources").len(), 1);
    }

    #[test]
    fn ports() {
        let low = edit(
            CLEAN,
            "[{containerPort: 8080}]",
            "[{containerPort: 80}, {containerPort: 1024}, {containerPort: 1025}]",
        );
        assert_eq!(
            of(&lint0(&low), "ports"),
            [
                "error Deployment web, container `app`: containerPort 80 is a privileged port: listen above 1024",
                "error Deployment web, container `app`: containerPort 1024 is a privileged port: listen above 1024"
            ]
        );
    }

    #[test]
    fn ports_exclude() {
        let low = edit_sidecar("containerPort: 9090", "containerPort: 443");
        assert_eq!(of(&lint0(&low), "ports").len(), 1);
        // An entry without `container` covers all of the object's containers.
        let f = lint(
            &low,
            "linters-settings:\n  container:\n    exclude-rules:\n      ports:\n        - {kind: Deployment, name: web}\n",
        );
        assert_eq!(of(&f, "ports"), Vec::<String>::new());
        let other_kind = lint(
            &low,
            "linters-settings:\n  container:\n    exclude-rules:\n      ports:\n        - {kind: DaemonSet, name: web}\n",
        );
        assert_eq!(of(&other_kind, "ports").len(), 1);
    }

    fn host_net(text: &str) -> String {
        edit(
            text,
            "      priorityClassName",
            "      hostNetwork: true\n      dnsPolicy: ClusterFirstWithHostNet\n      priorityClassName",
        )
    }

    #[test]
    fn host_network_ports() {
        let f = lint0(&host_net(CLEAN));
        assert_eq!(
            of(&f, "host-network-ports"),
            [
                "error Deployment web, container `app`: the pod uses hostNetwork and containerPort 8080 is outside the range [4200, 4299] DKP keeps for modules"
            ]
        );
        let in_range = edit(
            &host_net(CLEAN),
            "containerPort: 8080",
            "containerPort: 4299",
        );
        assert_eq!(lint0(&in_range), []);
        let host_port = edit(
            CLEAN,
            "{containerPort: 8080}",
            "{containerPort: 8080, hostPort: 8080}",
        );
        assert_eq!(
            of(&lint0(&host_port), "host-network-ports"),
            [
                "error Deployment web, container `app`: hostPort 8080 is outside the range [4200, 4299] DKP keeps for modules"
            ]
        );
        let good_host_port = edit(
            CLEAN,
            "{containerPort: 8080}",
            "{containerPort: 8080, hostPort: 4200}",
        );
        assert_eq!(lint0(&good_host_port), []);
    }

    #[test]
    fn host_network_ports_exclude() {
        let f = lint(
            &host_net(&with_sidecar()),
            &exclude("host-network-ports", "app"),
        );
        let left = of(&f, "host-network-ports");
        assert_eq!(left.len(), 1);
        assert!(left[0].contains("container `sidecar`"), "{left:?}");
    }

    #[test]
    fn liveness_probe() {
        let none = edit(
            CLEAN,
            "          livenessProbe: {httpGet: {path: /healthz, port: 8080}}\n",
            "",
        );
        assert_eq!(
            of(&lint0(&none), "liveness-probe"),
            [
                "error Deployment web, container `app`: no livenessProbe: the kubelet cannot tell whether the container works"
            ]
        );
        let two = edit(
            CLEAN,
            "livenessProbe: {httpGet: {path: /healthz, port: 8080}}",
            "livenessProbe: {httpGet: {port: 8080}, tcpSocket: {port: 8080}}",
        );
        assert_eq!(
            of(&lint0(&two), "liveness-probe"),
            [
                "error Deployment web, container `app`: livenessProbe must have exactly one of exec, grpc, httpGet, tcpSocket, it has httpGet, tcpSocket"
            ]
        );
        let empty = edit(
            CLEAN,
            "livenessProbe: {httpGet: {path: /healthz, port: 8080}}",
            "livenessProbe: {periodSeconds: 10}",
        );
        assert_eq!(of(&lint0(&empty), "liveness-probe").len(), 1);
        // Init containers and pods of other kinds need no probes.
        let init = edit(
            CLEAN,
            "      containers:\n",
            "      initContainers:\n        - {name: init, image: registry.example.com/deckhouse@sha256:2222, resources: {requests: {ephemeral-storage: 1Mi}}, securityContext: {readOnlyRootFilesystem: true, allowPrivilegeEscalation: false}}\n      containers:\n",
        );
        assert_eq!(lint0(&init), []);
        let job = edit(
            &edit(&none, "kind: Deployment", "kind: Job"),
            "apps/v1",
            "batch/v1",
        );
        assert_eq!(of(&lint0(&job), "liveness-probe"), Vec::<String>::new());
    }

    #[test]
    fn liveness_probe_exclude() {
        let none = edit_sidecar("          livenessProbe: {tcpSocket: {port: 9090}}\n", "");
        let f = lint(&none, &exclude("liveness-probe", "sidecar"));
        assert_eq!(of(&f, "liveness-probe"), Vec::<String>::new());
        let f = lint(&none, &exclude("readiness-probe", "sidecar"));
        assert_eq!(of(&f, "liveness-probe").len(), 1);
    }

    #[test]
    fn readiness_probe() {
        let none = edit(
            CLEAN,
            "          readinessProbe: {httpGet: {path: /ready, port: 8080}}\n",
            "",
        );
        assert_eq!(
            of(&lint0(&none), "readiness-probe"),
            [
                "error Deployment web, container `app`: no readinessProbe: the kubelet cannot tell whether the container works"
            ]
        );
        let exec = edit(
            CLEAN,
            "readinessProbe: {httpGet: {path: /ready, port: 8080}}",
            "readinessProbe: {exec: {command: [true]}}",
        );
        assert_eq!(lint0(&exec), []);
    }

    #[test]
    fn readiness_probe_exclude() {
        let none = edit_sidecar("          readinessProbe: {tcpSocket: {port: 9090}}\n", "");
        let f = lint(&none, &exclude("readiness-probe", "sidecar"));
        assert_eq!(of(&f, "readiness-probe"), Vec::<String>::new());
        let f = lint(&none, &exclude("readiness-probe", "app"));
        assert_eq!(of(&f, "readiness-probe").len(), 1);
    }
}
