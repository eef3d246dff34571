//! The object rules: labels every object carries, current API versions,
//! the `d8-*` namespace label Prometheus needs, and the pod settings of
//! controllers (priority class, DNS policy, pod security context, revision
//! history).

use serde_json::Value;

use super::{CONTROLLER_KINDS, Context, Object, Rule, WORKLOAD_KINDS, as_int, present};
use crate::diagnostic::{Finding, Severity};

const RECOMMENDED_LABELS: Rule = Rule::fixed("object-recommended-labels");
const NAMESPACE_LABELS: Rule = Rule::excludable("object-namespace-labels");
const API_VERSION: Rule = Rule::fixed("object-api-version");
const PRIORITY_CLASS: Rule = Rule {
    name: "object-priority-class",
    exclude_key: Some("priority-class"),
};
const DNS_POLICY: Rule = Rule::excludable("dns-policy");
const CONTROLLER_SECURITY_CONTEXT: Rule = Rule::excludable("controller-security-context");
const REVISION_HISTORY_LIMIT: Rule = Rule::fixed("object-revision-history-limit");

/// The label that lets Prometheus pick up a namespace's rules.
const RULES_WATCHER_LABEL: &str = "prometheus.deckhouse.io/rules-watcher-enabled";

/// The priority classes DKP defines.
const PRIORITY_CLASSES: &[&str] = &[
    "system-node-critical",
    "system-cluster-critical",
    "cluster-critical",
    "cluster-medium",
    "cluster-low",
    "production-high",
    "production-medium",
    "production-low",
    "staging",
    "develop",
    "standby",
];

/// The API version each of these kinds must be written in.
const API_VERSIONS: &[(&[&str], &str)] = &[
    (
        &["Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding"],
        "rbac.authorization.k8s.io/v1",
    ),
    (&["Deployment", "DaemonSet", "StatefulSet"], "apps/v1"),
    (&["Ingress", "NetworkPolicy"], "networking.k8s.io/v1"),
    (&["PriorityClass"], "scheduling.k8s.io/v1"),
    (&["PodSecurityPolicy"], "policy/v1beta1"),
];

/// Run the object rules on `object`.
pub(super) fn check(ctx: &Context<'_>, object: &Object, out: &mut Vec<Finding>) {
    recommended_labels(ctx, object, out);
    namespace_labels(ctx, object, out);
    api_version(ctx, object, out);
    priority_class(ctx, object, out);
    dns_policy(ctx, object, out);
    controller_security_context(ctx, object, out);
    revision_history_limit(ctx, object, out);
}

fn recommended_labels(ctx: &Context<'_>, object: &Object, out: &mut Vec<Finding>) {
    let labels = object.labels();
    for label in ["module", "heritage"] {
        if !labels.contains_key(label) {
            out.push(ctx.finding(
                RECOMMENDED_LABELS,
                Severity::Error,
                object,
                None,
                format!("no `{label}` label: every object of a module is labelled with `module` and `heritage`"),
            ));
        }
    }
}

fn namespace_labels(ctx: &Context<'_>, object: &Object, out: &mut Vec<Finding>) {
    let name = object.name();
    if object.kind() != "Namespace"
        || !name.starts_with("d8-")
        || ctx.excluded(NAMESPACE_LABELS, object, None)
    {
        return;
    }
    let has_rules = ctx
        .objects
        .iter()
        .any(|o| o.kind() == "PrometheusRule" && o.namespace() == name);
    if has_rules
        && object
            .labels()
            .get(RULES_WATCHER_LABEL)
            .and_then(Value::as_str)
            != Some("true")
    {
        out.push(ctx.finding(
            NAMESPACE_LABELS,
            Severity::Error,
            object,
            None,
            format!("the namespace holds PrometheusRules but lacks the label `{RULES_WATCHER_LABEL}: \"true\"`, so Prometheus does not load them"),
        ));
    }
}

fn api_version(ctx: &Context<'_>, object: &Object, out: &mut Vec<Finding>) {
    let kind = object.kind();
    let Some((_, wanted)) = API_VERSIONS.iter().find(|(kinds, _)| kinds.contains(&kind)) else {
        return;
    };
    let version = object
        .value
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or("");
    if version != *wanted {
        out.push(ctx.finding(
            API_VERSION,
            Severity::Error,
            object,
            None,
            format!("apiVersion `{version}` is deprecated or wrong for a {kind}: use `{wanted}`"),
        ));
    }
}

fn priority_class(ctx: &Context<'_>, object: &Object, out: &mut Vec<Finding>) {
    if !CONTROLLER_KINDS.contains(&object.kind()) || ctx.excluded(PRIORITY_CLASS, object, None) {
        return;
    }
    let class = object
        .pod_spec()
        .and_then(|s| s.get("priorityClassName"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let message = if class.is_empty() {
        "no priorityClassName: set one of DKP's priority classes".to_string()
    } else if !PRIORITY_CLASSES.contains(&class) {
        format!(
            "priorityClassName `{class}` is not one of DKP's priority classes ({})",
            PRIORITY_CLASSES.join(", ")
        )
    } else {
        return;
    };
    out.push(ctx.finding(PRIORITY_CLASS, Severity::Error, object, None, message));
}

fn dns_policy(ctx: &Context<'_>, object: &Object, out: &mut Vec<Finding>) {
    if !CONTROLLER_KINDS.contains(&object.kind())
        || !object.host_network()
        || ctx.excluded(DNS_POLICY, object, None)
    {
        return;
    }
    let policy = object
        .pod_spec()
        .and_then(|s| s.get("dnsPolicy"))
        .and_then(Value::as_str)
        .unwrap_or("");
    if policy != "ClusterFirstWithHostNet" {
        out.push(ctx.finding(
            DNS_POLICY,
            Severity::Error,
            object,
            None,
            format!("the pod uses hostNetwork, so dnsPolicy must be `ClusterFirstWithHostNet` to resolve cluster names (found `{policy}`)"),
        ));
    }
}

fn controller_security_context(ctx: &Context<'_>, object: &Object, out: &mut Vec<Finding>) {
    if !WORKLOAD_KINDS.contains(&object.kind())
        || ctx.excluded(CONTROLLER_SECURITY_CONTEXT, object, None)
    {
        return;
    }
    let mut report = |message: String| {
        out.push(ctx.finding(
            CONTROLLER_SECURITY_CONTEXT,
            Severity::Error,
            object,
            None,
            message,
        ));
    };
    let Some(sc) = object.pod_security_context() else {
        return report(
            "the pod has no securityContext: set runAsNonRoot, runAsUser and runAsGroup".into(),
        );
    };
    let non_root = present(sc.get("runAsNonRoot")).and_then(Value::as_bool);
    let user = as_int(present(sc.get("runAsUser")));
    let group = as_int(present(sc.get("runAsGroup")));
    for (field, missing) in [
        ("runAsNonRoot", non_root.is_none()),
        ("runAsUser", user.is_none()),
        ("runAsGroup", group.is_none()),
    ] {
        if missing {
            report(format!("the pod's securityContext does not set {field}"));
        }
    }
    let (Some(non_root), Some(user), Some(group)) = (non_root, user, group) else {
        return;
    };
    if non_root && ![(65534, 65534), (64535, 64535)].contains(&(user, group)) {
        report(format!(
            "the pod runs as non-root with user:group {user}:{group}: use 65534:65534 (nobody) or 64535:64535 (deckhouse)"
        ));
    } else if !non_root && (user, group) != (0, 0) {
        report(format!(
            "the pod sets runAsNonRoot: false with user:group {user}:{group}: a root pod runs as 0:0"
        ));
    }
}

fn revision_history_limit(ctx: &Context<'_>, object: &Object, out: &mut Vec<Finding>) {
    if object.kind() != "Deployment" {
        return;
    }
    let limit = as_int(present(object.value.pointer("/spec/revisionHistoryLimit")));
    let found = match limit {
        Some(n) if n <= 2 => return,
        Some(n) => format!("it is {n}"),
        None => "it is not set (Kubernetes keeps 10)".to_string(),
    };
    out.push(ctx.finding(
        REVISION_HISTORY_LIMIT,
        Severity::Error,
        object,
        None,
        format!("spec.revisionHistoryLimit must be at most 2, {found}: old ReplicaSets only load the control plane"),
    ));
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;

    /// `a` and `b` as one multi-document manifest.
    fn both(a: &str, b: &str) -> String {
        format!("{a}---\n{b}")
    }

    /// [`CLEAN`] renamed `api`.
    fn api(text: &str) -> String {
        edit(text, "name: web", "name: api")
    }

    #[test]
    fn recommended_labels() {
        let f = lint0(&edit(
            CLEAN,
            "{module: m, heritage: deckhouse}",
            "{module: m}",
        ));
        assert_eq!(
            of(&f, "object-recommended-labels"),
            [
                "error Deployment web: no `heritage` label: every object of a module is labelled with `module` and `heritage`"
            ]
        );
        let svc = "apiVersion: v1\nkind: Service\nmetadata: {name: s}\n";
        assert_eq!(of(&lint0(svc), "object-recommended-labels").len(), 2);
        let labelled = "apiVersion: v1\nkind: Service\nmetadata: {name: s, labels: {module: m, heritage: deckhouse}}\n";
        assert_eq!(lint0(labelled), []);
    }

    const NAMESPACE: &str = "apiVersion: v1\nkind: Namespace\nmetadata: {name: d8-m, labels: {module: m, heritage: deckhouse}}\n";
    const RULES: &str = "apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata: {name: r, labels: {module: m, heritage: deckhouse}}\n";

    #[test]
    fn namespace_labels() {
        // The rule's namespace is the release namespace d8-m.
        let f = lint0(&both(NAMESPACE, RULES));
        assert_eq!(
            of(&f, "object-namespace-labels"),
            [
                "error Namespace d8-m: the namespace holds PrometheusRules but lacks the label `prometheus.deckhouse.io/rules-watcher-enabled: \"true\"`, so Prometheus does not load them"
            ]
        );
        let labelled = edit(
            NAMESPACE,
            "heritage: deckhouse}",
            "heritage: deckhouse, prometheus.deckhouse.io/rules-watcher-enabled: \"true\"}",
        );
        assert_eq!(lint0(&both(&labelled, RULES)), []);
        // No PrometheusRule in it: nothing to watch.
        assert_eq!(lint0(NAMESPACE), []);
        let elsewhere = edit(RULES, "name: r,", "name: r, namespace: other,");
        assert_eq!(lint0(&both(NAMESPACE, &elsewhere)), []);
    }

    #[test]
    fn namespace_labels_exclude() {
        let other = edit(NAMESPACE, "d8-m", "d8-other");
        let rules_other = edit(RULES, "name: r,", "name: r2, namespace: d8-other,");
        let docs = [NAMESPACE, RULES, &other, &rules_other].join("---\n");
        let f = lint(
            &docs,
            "linters-settings:\n  container:\n    exclude-rules:\n      object-namespace-labels:\n        - {kind: Namespace, name: d8-m}\n",
        );
        let left = of(&f, "object-namespace-labels");
        assert_eq!(left.len(), 1);
        assert!(left[0].starts_with("error Namespace d8-other:"), "{left:?}");
    }

    #[test]
    fn api_version() {
        let f = lint0(&edit(CLEAN, "apps/v1", "extensions/v1beta1"));
        assert_eq!(
            of(&f, "object-api-version"),
            [
                "error Deployment web: apiVersion `extensions/v1beta1` is deprecated or wrong for a Deployment: use `apps/v1`"
            ]
        );
        let role = "apiVersion: rbac.authorization.k8s.io/v1beta1\nkind: Role\nmetadata: {name: r, labels: {module: m, heritage: deckhouse}}\n";
        assert_eq!(of(&lint0(role), "object-api-version").len(), 1);
        let current = edit(role, "v1beta1", "v1");
        assert_eq!(lint0(&current), []);
    }

    #[test]
    fn priority_class() {
        let none = edit(CLEAN, "      priorityClassName: develop\n", "");
        assert_eq!(
            of(&lint0(&none), "object-priority-class"),
            ["error Deployment web: no priorityClassName: set one of DKP's priority classes"]
        );
        let custom = edit(
            CLEAN,
            "priorityClassName: develop",
            "priorityClassName: mine",
        );
        let f = of(&lint0(&custom), "object-priority-class");
        assert_eq!(f.len(), 1);
        assert!(
            f[0].contains("priorityClassName `mine` is not one of DKP's priority classes"),
            "{f:?}"
        );
        // A Job's pods are not checked.
        let job = edit(
            &edit(&none, "kind: Deployment", "kind: Job"),
            "apiVersion: apps/v1",
            "apiVersion: batch/v1",
        );
        assert_eq!(
            of(&lint0(&job), "object-priority-class"),
            Vec::<String>::new()
        );
    }

    #[test]
    fn priority_class_exclude_key_is_priority_class() {
        let none = edit(CLEAN, "      priorityClassName: develop\n", "");
        let docs = both(&none, &api(&none));
        let by_key = lint(
            &docs,
            "linters-settings:\n  container:\n    exclude-rules:\n      priority-class:\n        - {kind: Deployment, name: web}\n",
        );
        let left = of(&by_key, "object-priority-class");
        assert_eq!(left.len(), 1);
        assert!(left[0].starts_with("error Deployment api:"), "{left:?}");
        // The rule's own name is not its exclude key (as in DMT).
        let by_name = lint(
            &docs,
            "linters-settings:\n  container:\n    exclude-rules:\n      object-priority-class:\n        - {kind: Deployment, name: web}\n",
        );
        assert_eq!(of(&by_name, "object-priority-class").len(), 2);
    }

    /// [`CLEAN`] on the host network, its port in DKP's host range.
    fn host_net(text: &str) -> String {
        edit(
            &edit(
                text,
                "      priorityClassName",
                "      hostNetwork: true\n      priorityClassName",
            ),
            "containerPort: 8080",
            "containerPort: 4250",
        )
    }

    #[test]
    fn dns_policy() {
        let f = lint0(&host_net(CLEAN));
        assert_eq!(
            of(&f, "dns-policy"),
            [
                "error Deployment web: the pod uses hostNetwork, so dnsPolicy must be `ClusterFirstWithHostNet` to resolve cluster names (found ``)"
            ]
        );
        let right = edit(
            &host_net(CLEAN),
            "      hostNetwork: true\n",
            "      hostNetwork: true\n      dnsPolicy: ClusterFirstWithHostNet\n",
        );
        assert_eq!(lint0(&right), []);
        // Without hostNetwork the policy is free.
        let free = edit(
            CLEAN,
            "      priorityClassName",
            "      dnsPolicy: Default\n      priorityClassName",
        );
        assert_eq!(lint0(&free), []);
    }

    #[test]
    fn dns_policy_exclude() {
        let docs = both(&host_net(CLEAN), &api(&host_net(CLEAN)));
        let f = lint(
            &docs,
            "linters-settings:\n  container:\n    exclude-rules:\n      dns-policy:\n        - {kind: Deployment, name: api}\n",
        );
        let left = of(&f, "dns-policy");
        assert_eq!(left.len(), 1);
        assert!(left[0].starts_with("error Deployment web:"), "{left:?}");
    }

    const POD_SC: &str = "{runAsNonRoot: true, runAsUser: 64535, runAsGroup: 64535, seccompProfile: {type: RuntimeDefault}}";

    fn pod_sc(sc: &str) -> String {
        edit(CLEAN, POD_SC, sc)
    }

    #[test]
    fn controller_security_context() {
        let none = edit(CLEAN, &format!("      securityContext: {POD_SC}\n"), "");
        assert_eq!(
            of(&lint0(&none), "controller-security-context"),
            [
                "error Deployment web: the pod has no securityContext: set runAsNonRoot, runAsUser and runAsGroup"
            ]
        );
        let partial = pod_sc("{runAsUser: 64535, seccompProfile: {type: RuntimeDefault}}");
        assert_eq!(
            of(&lint0(&partial), "controller-security-context"),
            [
                "error Deployment web: the pod's securityContext does not set runAsNonRoot",
                "error Deployment web: the pod's securityContext does not set runAsGroup"
            ]
        );
        let other_user = pod_sc(
            "{runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, seccompProfile: {type: RuntimeDefault}}",
        );
        assert_eq!(
            of(&lint0(&other_user), "controller-security-context"),
            [
                "error Deployment web: the pod runs as non-root with user:group 1000:1000: use 65534:65534 (nobody) or 64535:64535 (deckhouse)"
            ]
        );
        let nobody = pod_sc(
            "{runAsNonRoot: true, runAsUser: 65534, runAsGroup: 65534, seccompProfile: {type: RuntimeDefault}}",
        );
        assert_eq!(lint0(&nobody), []);
        let root = pod_sc(
            "{runAsNonRoot: false, runAsUser: 0, runAsGroup: 0, seccompProfile: {type: RuntimeDefault}}",
        );
        assert_eq!(lint0(&root), []);
        let half_root = pod_sc(
            "{runAsNonRoot: false, runAsUser: 0, runAsGroup: 1, seccompProfile: {type: RuntimeDefault}}",
        );
        assert_eq!(
            of(&lint0(&half_root), "controller-security-context").len(),
            1
        );
    }

    #[test]
    fn controller_security_context_exclude() {
        let none = edit(CLEAN, &format!("      securityContext: {POD_SC}\n"), "");
        let docs = both(&none, &api(&none));
        let f = lint(
            &docs,
            "linters-settings:\n  container:\n    exclude-rules:\n      controller-security-context:\n        - {kind: Deployment, name: web}\n",
        );
        let left = of(&f, "controller-security-context");
        assert_eq!(left.len(), 1);
        assert!(left[0].starts_with("error Deployment api:"), "{left:?}");
        // Only that rule: the pod's missing seccomp profile is still reported.
        assert_eq!(of(&f, "seccomp-profile").len(), 2);
    }

    #[test]
    fn revision_history_limit() {
        let unset = edit(CLEAN, "  revisionHistoryLimit: 2\n", "");
        assert_eq!(
            of(&lint0(&unset), "object-revision-history-limit"),
            [
                "error Deployment web: spec.revisionHistoryLimit must be at most 2, it is not set (Kubernetes keeps 10): old ReplicaSets only load the control plane"
            ]
        );
        let three = edit(CLEAN, "revisionHistoryLimit: 2", "revisionHistoryLimit: 3");
        assert_eq!(of(&lint0(&three), "object-revision-history-limit").len(), 1);
        let zero = edit(CLEAN, "revisionHistoryLimit: 2", "revisionHistoryLimit: 0");
        assert_eq!(lint0(&zero), []);
    }
}
