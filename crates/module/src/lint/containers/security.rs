//! The containers' security settings: a security context on every
//! container, a read-only root filesystem, no privilege escalation and a
//! seccomp profile that filters system calls.

use serde_json::Value;

use super::{Container, Context, Object, Rule, WORKLOAD_KINDS, present};
use crate::diagnostic::{Finding, Severity};

const SECURITY_CONTEXT: Rule = Rule::excludable("security-context");
const READ_ONLY_ROOT_FILESYSTEM: Rule = Rule::excludable("read-only-root-filesystem");
const NO_NEW_PRIVILEGES: Rule = Rule::excludable("no-new-privileges");
const SECCOMP_PROFILE: Rule = Rule::excludable("seccomp-profile");

/// Run the security rules on `containers` (init containers included).
pub(super) fn check(
    ctx: &Context<'_>,
    object: &Object,
    containers: &[Container<'_>],
    out: &mut Vec<Finding>,
) {
    let workload = WORKLOAD_KINDS.contains(&object.kind());
    for c in containers {
        if workload {
            required_flag(ctx, &READ_ONLY, object, c, out);
            required_flag(ctx, &NO_ESCALATION, object, c, out);
            seccomp_profile(ctx, object, c, out);
        }
        security_context(ctx, object, c, out);
    }
}

/// A boolean the container's security context must set to a value.
#[derive(Clone, Copy)]
struct Flag {
    rule: Rule,
    field: &'static str,
    wanted: bool,
    why: &'static str,
}

const READ_ONLY: Flag = Flag {
    rule: READ_ONLY_ROOT_FILESYSTEM,
    field: "readOnlyRootFilesystem",
    wanted: true,
    why: "the container must not write to its image's filesystem (mount a volume for what it writes)",
};

const NO_ESCALATION: Flag = Flag {
    rule: NO_NEW_PRIVILEGES,
    field: "allowPrivilegeEscalation",
    wanted: false,
    why: "a process must not gain more privileges than its parent",
};

fn required_flag(
    ctx: &Context<'_>,
    flag: &Flag,
    object: &Object,
    c: &Container<'_>,
    out: &mut Vec<Finding>,
) {
    let Flag {
        rule,
        field,
        wanted,
        why,
    } = *flag;
    if ctx.excluded(rule, object, Some(c.name)) {
        return;
    }
    let message = match c.security_context() {
        None => format!("no securityContext, so {field} is not `{wanted}`: {why}"),
        Some(sc) => match present(sc.get(field)).and_then(Value::as_bool) {
            None => format!("securityContext does not set {field}: set it to `{wanted}`, {why}"),
            Some(v) if v != wanted => {
                format!("securityContext sets {field}: {v}, it must be `{wanted}`: {why}")
            }
            Some(_) => return,
        },
    };
    out.push(ctx.finding(rule, Severity::Error, object, Some(c.name), message));
}

fn seccomp_profile(ctx: &Context<'_>, object: &Object, c: &Container<'_>, out: &mut Vec<Finding>) {
    if ctx.excluded(SECCOMP_PROFILE, object, Some(c.name)) {
        return;
    }
    // The container's profile overrides the pod's.
    let profile = c
        .security_context()
        .and_then(|sc| present(sc.get("seccompProfile")))
        .or_else(|| {
            object
                .pod_security_context()
                .and_then(|sc| present(sc.get("seccompProfile")))
        });
    let (severity, message) = match profile {
        None => (
            Severity::Warning,
            "no seccomp profile for the container or its pod: set seccompProfile.type: RuntimeDefault".to_string(),
        ),
        Some(p) => {
            let kind = p.get("type").and_then(Value::as_str).unwrap_or("");
            let local = p
                .get("localhostProfile")
                .and_then(Value::as_str)
                .unwrap_or("");
            match kind {
                "RuntimeDefault" => return,
                "Unconfined" => (
                    Severity::Error,
                    "seccompProfile.type is Unconfined, which turns system call filtering off: use RuntimeDefault".to_string(),
                ),
                "Localhost" if local.is_empty() => (
                    Severity::Error,
                    "seccompProfile.type is Localhost without a localhostProfile".to_string(),
                ),
                "Localhost" => (
                    Severity::Warning,
                    format!("the container uses its own seccomp profile `{local}`: it must be kept on every node and up to date"),
                ),
                other => (
                    Severity::Error,
                    format!("seccompProfile.type `{other}` is none of RuntimeDefault, Localhost, Unconfined"),
                ),
            }
        }
    };
    out.push(ctx.finding(SECCOMP_PROFILE, severity, object, Some(c.name), message));
}

fn security_context(ctx: &Context<'_>, object: &Object, c: &Container<'_>, out: &mut Vec<Finding>) {
    if c.security_context().is_some() || ctx.excluded(SECURITY_CONTEXT, object, Some(c.name)) {
        return;
    }
    out.push(ctx.finding(
        SECURITY_CONTEXT,
        Severity::Error,
        object,
        Some(c.name),
        "no securityContext: every container states its privileges",
    ));
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;

    const SC: &str = "{readOnlyRootFilesystem: true, allowPrivilegeEscalation: false}";

    /// [`with_sidecar`] with `sidecar`'s securityContext replaced.
    fn sidecar_sc(sc: &str) -> String {
        let text = with_sidecar();
        let at = text.find("- name: sidecar").unwrap();
        format!("{}{}", &text[..at], edit(&text[at..], SC, sc))
    }

    fn exclude(key: &str, container: &str) -> String {
        format!(
            "linters-settings:\n  container:\n    exclude-rules:\n      {key}:\n        - kind: Deployment\n          name: web\n          container: {container}\n"
        )
    }

    #[test]
    fn read_only_root_filesystem() {
        let off = edit(
            CLEAN,
            "readOnlyRootFilesystem: true",
            "readOnlyRootFilesystem: false",
        );
        assert_eq!(
            of(&lint0(&off), "read-only-root-filesystem"),
            [
                "error Deployment web, container `app`: securityContext sets readOnlyRootFilesystem: false, it must be `true`: the container must not write to its image's filesystem (mount a volume for what it writes)"
            ]
        );
        let unset = edit(CLEAN, "readOnlyRootFilesystem: true, ", "");
        let f = of(&lint0(&unset), "read-only-root-filesystem");
        assert_eq!(f.len(), 1);
        assert!(
            f[0].contains("securityContext does not set readOnlyRootFilesystem"),
            "{f:?}"
        );
        // Init containers are checked too.
        let init = edit(
            CLEAN,
            "      containers:\n",
            "      initContainers:\n        - {name: init, image: registry.example.com/deckhouse@sha256:2222, resources: {requests: {ephemeral-storage: 1Mi}}, securityContext: {allowPrivilegeEscalation: false}}\n      containers:\n",
        );
        let f = of(&lint0(&init), "read-only-root-filesystem");
        assert_eq!(f.len(), 1);
        assert!(
            f[0].starts_with("error Deployment web, container `init`:"),
            "{f:?}"
        );
        // Kinds that run no pods of their own are not checked.
        let rs = edit(&off, "kind: Deployment", "kind: ReplicaSet");
        assert_eq!(
            of(&lint0(&rs), "read-only-root-filesystem"),
            Vec::<String>::new()
        );
    }

    #[test]
    fn read_only_root_filesystem_exclude() {
        let both_off = edit(
            &sidecar_sc("{readOnlyRootFilesystem: false, allowPrivilegeEscalation: false}"),
            "readOnlyRootFilesystem: true",
            "readOnlyRootFilesystem: false",
        );
        assert_eq!(of(&lint0(&both_off), "read-only-root-filesystem").len(), 2);
        let f = lint(&both_off, &exclude("read-only-root-filesystem", "sidecar"));
        let left = of(&f, "read-only-root-filesystem");
        assert_eq!(left.len(), 1);
        assert!(left[0].contains("container `app`"), "{left:?}");
    }

    #[test]
    fn no_new_privileges() {
        let on = edit(
            CLEAN,
            "allowPrivilegeEscalation: false",
            "allowPrivilegeEscalation: true",
        );
        assert_eq!(
            of(&lint0(&on), "no-new-privileges"),
            [
                "error Deployment web, container `app`: securityContext sets allowPrivilegeEscalation: true, it must be `false`: a process must not gain more privileges than its parent"
            ]
        );
        let unset = edit(CLEAN, ", allowPrivilegeEscalation: false", "");
        let f = of(&lint0(&unset), "no-new-privileges");
        assert_eq!(f.len(), 1);
        assert!(
            f[0].contains("does not set allowPrivilegeEscalation"),
            "{f:?}"
        );
    }

    #[test]
    fn no_new_privileges_exclude() {
        let escalating =
            sidecar_sc("{readOnlyRootFilesystem: true, allowPrivilegeEscalation: true}");
        let f = lint(&escalating, &exclude("no-new-privileges", "sidecar"));
        assert_eq!(of(&f, "no-new-privileges"), Vec::<String>::new());
        // The exclusion names a container: the other one is still checked.
        let app = edit(
            &escalating,
            "allowPrivilegeEscalation: false",
            "allowPrivilegeEscalation: true",
        );
        let f = lint(&app, &exclude("no-new-privileges", "sidecar"));
        let left = of(&f, "no-new-privileges");
        assert_eq!(left.len(), 1);
        assert!(left[0].contains("container `app`"), "{left:?}");
    }

    #[test]
    fn security_context() {
        let none = edit(CLEAN, &format!("          securityContext: {SC}\n"), "");
        let f = lint0(&none);
        assert_eq!(
            of(&f, "security-context"),
            [
                "error Deployment web, container `app`: no securityContext: every container states its privileges"
            ]
        );
        // The flags that live in it are reported missing as well.
        assert_eq!(of(&f, "read-only-root-filesystem").len(), 1);
        assert_eq!(of(&f, "no-new-privileges").len(), 1);
        // Unlike those, it checks every kind with containers.
        let rs = edit(&none, "kind: Deployment", "kind: ReplicaSet");
        let f = lint0(&rs);
        assert_eq!(of(&f, "security-context").len(), 1);
        assert_eq!(of(&f, "read-only-root-filesystem"), Vec::<String>::new());
    }

    #[test]
    fn security_context_exclude() {
        let text = with_sidecar();
        let at = text.find("- name: sidecar").unwrap();
        let no_sc = format!(
            "{}{}",
            &text[..at],
            edit(
                &text[at..],
                &format!("          securityContext: {SC}\n"),
                ""
            )
        );
        let f = lint(&no_sc, &exclude("security-context", "sidecar"));
        assert_eq!(of(&f, "security-context"), Vec::<String>::new());
        // Only that rule is silenced for the sidecar.
        assert_eq!(of(&f, "read-only-root-filesystem").len(), 1);
    }

    fn container_seccomp(profile: &str) -> String {
        edit(
            CLEAN,
            SC,
            &format!(
                "{{readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, seccompProfile: {profile}}}"
            ),
        )
    }

    #[test]
    fn seccomp_profile() {
        let no_pod = edit(CLEAN, ", seccompProfile: {type: RuntimeDefault}", "");
        assert_eq!(
            of(&lint0(&no_pod), "seccomp-profile"),
            [
                "warning Deployment web, container `app`: no seccomp profile for the container or its pod: set seccompProfile.type: RuntimeDefault"
            ]
        );
        // The container's profile overrides the pod's.
        let unconfined = container_seccomp("{type: Unconfined}");
        let f = of(&lint0(&unconfined), "seccomp-profile");
        assert_eq!(f.len(), 1);
        assert!(
            f[0].starts_with("error ") && f[0].contains("Unconfined"),
            "{f:?}"
        );
        let own = edit(
            &no_pod,
            SC,
            &format!(
                "{}, seccompProfile: {{type: RuntimeDefault}}}}",
                SC.trim_end_matches('}')
            ),
        );
        assert_eq!(lint0(&own), []);
        let local_empty = container_seccomp("{type: Localhost}");
        let f = of(&lint0(&local_empty), "seccomp-profile");
        assert_eq!(f.len(), 1);
        assert!(
            f[0].starts_with("error ") && f[0].contains("without a localhostProfile"),
            "{f:?}"
        );
        let local = container_seccomp("{type: Localhost, localhostProfile: profiles/app.json}");
        let f = of(&lint0(&local), "seccomp-profile");
        assert_eq!(f.len(), 1);
        assert!(
            f[0].starts_with("warning ") && f[0].contains("profiles/app.json"),
            "{f:?}"
        );
        let unknown = container_seccomp("{type: Strict}");
        let f = of(&lint0(&unknown), "seccomp-profile");
        assert!(
            f[0].starts_with("error ") && f[0].contains("`Strict`"),
            "{f:?}"
        );
    }

    #[test]
    fn seccomp_profile_exclude() {
        let no_pod = edit(
            &with_sidecar(),
            ", seccompProfile: {type: RuntimeDefault}",
            "",
        );
        assert_eq!(of(&lint0(&no_pod), "seccomp-profile").len(), 2);
        let f = lint(&no_pod, &exclude("seccomp-profile", "app"));
        let left = of(&f, "seccomp-profile");
        assert_eq!(left.len(), 1);
        assert!(left[0].contains("container `sidecar`"), "{left:?}");
    }
}
