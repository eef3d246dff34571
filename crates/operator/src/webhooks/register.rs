//! The objects that tell the API server to call the hooks: the
//! Validating- and MutatingWebhookConfiguration of the admission hooks and
//! the `spec.conversion` of each CRD a conversion hook serves. Built here
//! as plain JSON from the hooks' bindings (no cluster client), applied by
//! [`super`].

use base64::Engine as _;
use hooks::config::AdmissionBinding;
use serde_json::{Value, json};

use super::admission;

/// The label on every object the webhooks write, and its value: what
/// tells them from objects a shell-operator beside deckmod wrote.
pub const MANAGED_BY: (&str, &str) = ("app.kubernetes.io/managed-by", "deckmod");

/// How the API server reaches the operator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CallBack {
    /// Through a Service in the operator's namespace (port 443 to the
    /// listener), as in a cluster.
    Service {
        /// The namespace.
        namespace: String,
        /// The Service.
        name: String,
    },
    /// At `https://<host>:<port>` (an API server outside the cluster, or
    /// on the same host).
    Url {
        /// Host name or IP address.
        host: String,
        /// The listener's port.
        port: u16,
    },
}

impl CallBack {
    /// The names a server certificate must cover for this call-back.
    pub fn certificate_names(&self) -> Vec<String> {
        match self {
            CallBack::Service { namespace, name } => vec![
                format!("{name}.{namespace}.svc"),
                format!("{name}.{namespace}.svc.cluster.local"),
                format!("{name}.{namespace}"),
                name.clone(),
            ],
            CallBack::Url { host, .. } => vec![host.clone()],
        }
    }

    /// A `clientConfig` for `path`.
    pub fn client_config(&self, path: &str, ca_pem: &str) -> Value {
        let ca = base64::engine::general_purpose::STANDARD.encode(ca_pem);
        match self {
            CallBack::Service { namespace, name } => json!({
                "service": {"namespace": namespace, "name": name, "path": path},
                "caBundle": ca,
            }),
            CallBack::Url { host, port } => {
                let host = if host.contains(':') {
                    format!("[{host}]")
                } else {
                    host.clone()
                };
                json!({"url": format!("https://{host}:{port}{path}"), "caBundle": ca})
            }
        }
    }
}

/// One webhook entry of a configuration, as shell-operator writes it
/// (`matchPolicy: Equivalent`, review versions v1 and v1beta1); fields a
/// binding leaves out are left to the API server's defaults, and
/// `matchConditions` is written only when given (older API servers do not
/// know it).
pub fn webhook(b: &AdmissionBinding, callback: &CallBack, ca_pem: &str) -> Value {
    let mut w = json!({
        "name": b.name,
        "rules": b.rules,
        "failurePolicy": b.failure_policy,
        "sideEffects": b.side_effects,
        "timeoutSeconds": b.timeout_seconds,
        "matchPolicy": "Equivalent",
        "admissionReviewVersions": ["v1", "v1beta1"],
        "clientConfig": callback.client_config(&admission::path_of(&b.name), ca_pem),
    });
    if let Some(s) = &b.label_selector {
        w["objectSelector"] = json!(s);
    }
    if let Some(ns) = &b.namespace {
        w["namespaceSelector"] = json!(ns.label_selector);
    }
    if !b.match_conditions.is_empty() {
        w["matchConditions"] = json!(b.match_conditions);
    }
    w
}

/// The name of the configuration objects: shell-operator's
/// `<configuration name>-<configuration id>`.
pub fn configuration_name(base: &str) -> String {
    format!("{base}-{}", admission::CONFIGURATION_ID)
}

/// A Validating- or MutatingWebhookConfiguration (`kind`) of `webhooks`.
pub fn configuration(kind: &str, name: &str, webhooks: Vec<Value>) -> Value {
    json!({
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": kind,
        "metadata": {
            "name": name,
            "labels": {MANAGED_BY.0: MANAGED_BY.1},
        },
        "webhooks": webhooks,
    })
}

/// The merge patch that points CRD conversion at the operator.
pub fn conversion_patch(callback: &CallBack, crd_name: &str, ca_pem: &str) -> Value {
    json!({"spec": {"conversion": {
        "strategy": "Webhook",
        "webhook": {
            "clientConfig": callback.client_config(&format!("/{crd_name}"), ca_pem),
            "conversionReviewVersions": ["v1", "v1beta1"],
        },
    }}})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn binding(yaml: &str) -> AdmissionBinding {
        serde_json::from_value(goyaml::from_str(yaml).unwrap()).unwrap()
    }

    #[test]
    fn a_webhook_entry_is_shell_operators() {
        let b = binding(
            "name: private-repo-policy.example.com\nnamespace: {labelSelector: {matchLabels: {name: ex}}}\n\
             labelSelector: {matchLabels: {app: x}}\n\
             rules: [{apiGroups: [stable.example.com], apiVersions: [v1], operations: [CREATE], resources: [crontabs], scope: Namespaced}]\n",
        );
        let cb = CallBack::Service {
            namespace: "ops".into(),
            name: "shell-operator-validating-svc".into(),
        };
        let w = webhook(&b, &cb, "CA");
        assert_eq!(
            w,
            json!({
                "name": "private-repo-policy.example.com",
                "rules": [{"apiGroups": ["stable.example.com"], "apiVersions": ["v1"],
                           "resources": ["crontabs"], "operations": ["CREATE"], "scope": "Namespaced"}],
                "failurePolicy": "Fail",
                "sideEffects": "None",
                "timeoutSeconds": 10,
                "matchPolicy": "Equivalent",
                "admissionReviewVersions": ["v1", "v1beta1"],
                "clientConfig": {
                    "service": {"namespace": "ops", "name": "shell-operator-validating-svc",
                                "path": "/hooks/private-repo-policy-example-com"},
                    "caBundle": "Q0E=",
                },
                "objectSelector": {"matchLabels": {"app": "x"}},
                "namespaceSelector": {"matchLabels": {"name": "ex"}},
            })
        );
        assert_eq!(
            configuration_name("shell-operator-hooks"),
            "shell-operator-hooks-hooks"
        );
    }

    #[test]
    fn url_call_backs_and_conversion_patches() {
        let cb = CallBack::Url {
            host: "127.0.0.1".into(),
            port: 9681,
        };
        assert_eq!(cb.certificate_names(), ["127.0.0.1"]);
        let p = conversion_patch(&cb, "crontabs.stable.example.com", "CA");
        assert_eq!(
            p["spec"]["conversion"]["webhook"]["clientConfig"]["url"],
            "https://127.0.0.1:9681/crontabs.stable.example.com"
        );
        assert_eq!(p["spec"]["conversion"]["strategy"], "Webhook");
        let v6 = CallBack::Url {
            host: "::1".into(),
            port: 1,
        };
        assert_eq!(v6.client_config("/p", "")["url"], "https://[::1]:1/p");
    }
}
