//! Admission by hooks (`kubernetesValidating`, `kubernetesMutating`):
//! the webhook ids and paths shell-operator gives them, and the
//! AdmissionReview answer built from a hook's response file.

use base64::Engine as _;
use hooks::outputs::AdmissionResponse;
use serde_json::{Value, json};

/// The configuration id shell-operator puts every webhook under: paths are
/// `/<configuration id>/<webhook id>` and the configuration objects are
/// named `<configuration name>-<configuration id>`.
pub const CONFIGURATION_ID: &str = "hooks";

/// A webhook id as shell-operator makes it from a binding name (its
/// `SafeURLString`): an upper-case letter gets a `-` before it, everything
/// is lower-cased, characters other than `a-z`, `0-9`, `-` and `/` become
/// `-`, and runs of `-` collapse to one.
pub fn webhook_id(binding: &str) -> String {
    let mut out = String::with_capacity(binding.len() + 4);
    let mut push = |c: char| {
        if !(c == '-' && out.ends_with('-')) {
            out.push(c);
        }
    };
    for c in binding.chars() {
        if c.is_ascii_uppercase() {
            push('-');
            push(c.to_ascii_lowercase());
        } else {
            // Go lower-cases every letter, then replaces what is not
            // [a-z0-9-/].
            let c = c.to_lowercase().next().unwrap_or(c);
            if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '/' {
                push(c);
            } else {
                push('-');
            }
        }
    }
    out
}

/// The URL path of a webhook.
pub fn path_of(binding: &str) -> String {
    format!("/{CONFIGURATION_ID}/{}", webhook_id(binding))
}

/// The webhook id of a request path: everything after the configuration id.
pub fn id_of_path(path: &str) -> String {
    let mut parts = path.split('/').filter(|p| !p.is_empty());
    let _configuration = parts.next();
    parts.collect::<Vec<_>>().join("/")
}

/// Why a hook's answer cannot be given to the API server.
pub fn check_patch(response: &AdmissionResponse) -> Result<(), String> {
    let Some(patch) = &response.patch else {
        return Ok(());
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(patch.trim())
        .map_err(|e| format!("the hook's patch is not base64: {e}"))?;
    let ops: Value =
        serde_json::from_slice(&bytes).map_err(|e| format!("the hook's patch is not JSON: {e}"))?;
    serde_json::from_value::<json_patch::Patch>(ops)
        .map(drop)
        .map_err(|e| format!("the hook's patch is not a JSON Patch: {e}"))
}

/// The review's answer in the review's own `apiVersion`: the hook's
/// verdict, or a denial with `error` when the hook could not give one.
pub fn answer(review: &Value, verdict: Result<&AdmissionResponse, &str>) -> Value {
    let uid = review.pointer("/request/uid").cloned().unwrap_or(json!(""));
    let api_version = review
        .get("apiVersion")
        .cloned()
        .unwrap_or(json!("admission.k8s.io/v1"));
    let mut response = json!({"uid": uid});
    match verdict {
        Ok(r) => {
            response["allowed"] = json!(r.allowed);
            if !r.warnings.is_empty() {
                response["warnings"] = json!(r.warnings);
            }
            if let Some(patch) = r.patch.as_deref().filter(|p| !p.trim().is_empty()) {
                response["patch"] = json!(patch.trim());
                response["patchType"] = json!("JSONPatch");
            }
            if !r.allowed {
                response["status"] = json!({
                    "code": 403,
                    "message": r.message.clone().unwrap_or_default(),
                });
            }
        }
        Err(error) => {
            response["allowed"] = json!(false);
            response["status"] = json!({"code": 500, "message": error});
        }
    }
    json!({"apiVersion": api_version, "kind": "AdmissionReview", "response": response})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhook_ids_are_shell_operators() {
        assert_eq!(
            webhook_id("private-repo-policy.example.com"),
            "private-repo-policy-example-com"
        );
        assert_eq!(webhook_id("myCrdValidator"), "my-crd-validator");
        assert_eq!(webhook_id("a..b__C"), "a-b-c");
        assert_eq!(
            path_of("change.crontab.resources"),
            "/hooks/change-crontab-resources"
        );
        assert_eq!(
            id_of_path("/hooks/change-crontab-resources"),
            "change-crontab-resources"
        );
        assert_eq!(id_of_path("/hooks/a/b"), "a/b");
    }

    #[test]
    fn answers_carry_the_verdict_the_patch_and_the_uid() {
        let review = json!({"apiVersion": "admission.k8s.io/v1beta1", "request": {"uid": "u"}});
        let deny = AdmissionResponse {
            allowed: false,
            message: Some("only repo.example.com".into()),
            warnings: vec!["w".into()],
            patch: None,
        };
        let a = answer(&review, Ok(&deny));
        assert_eq!(a["apiVersion"], "admission.k8s.io/v1beta1");
        assert_eq!(
            a["response"],
            json!({"uid": "u", "allowed": false, "warnings": ["w"],
                   "status": {"code": 403, "message": "only repo.example.com"}})
        );
        let patch = base64::engine::general_purpose::STANDARD
            .encode(br#"[{"op":"add","path":"/spec/replicas","value":3}]"#);
        let mutate = AdmissionResponse {
            allowed: true,
            message: None,
            warnings: vec![],
            patch: Some(format!("{patch}\n")),
        };
        check_patch(&mutate).unwrap();
        let a = answer(&review, Ok(&mutate));
        assert_eq!(a["response"]["patch"], patch);
        assert_eq!(a["response"]["patchType"], "JSONPatch");
        let failed = answer(&review, Err("Hook failed"));
        assert_eq!(failed["response"]["allowed"], false);
        assert_eq!(failed["response"]["status"]["message"], "Hook failed");
    }

    #[test]
    fn a_broken_patch_is_named() {
        let mut r = AdmissionResponse {
            allowed: true,
            message: None,
            warnings: vec![],
            patch: Some("%%%".into()),
        };
        assert!(check_patch(&r).unwrap_err().contains("not base64"));
        r.patch = Some(base64::engine::general_purpose::STANDARD.encode(b"{\"op\":1}"));
        assert!(check_patch(&r).unwrap_err().contains("not a JSON Patch"));
    }
}
