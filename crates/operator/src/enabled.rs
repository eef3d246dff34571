//! Whether a module is enabled, as addon-operator's scheduler decides it
//! (lifecycle spec §3), and why not: a chain of extenders, each with an
//! opinion or none, the last opinion winning —
//!
//! 1. `Static`: `<valuesKey>Enabled` in the modules folder's and the
//!    module's `values.yaml` (default: disabled);
//! 2. `DynamicallyEnabled`: `/<valuesKey>Enabled` set by global hooks;
//! 3. `KubeConfig`: the ModuleConfig's `spec.enabled` (or the ConfigMap's
//!    `<valuesKey>Enabled`);
//! 4. `ScriptEnabled`: the module's `enabled` script, run only when the
//!    module is enabled so far;
//!
//! then DKP's terminators, which can only turn an enabled module off:
//! `requirements.kubernetes`, `requirements.deckhouse` and
//! `requirements.modules` (each required module enabled; ` !optional`
//! ones only order).
//!
//! Pure: the worker gathers the inputs (running the script when
//! [`before_script`] says so) and shows the [`Decision`]'s reason on the
//! module's status.

use std::collections::BTreeMap;

use masterminds_semver::{Constraints, Version};
use module::definition::Requirements;

/// What each extender said (`None`: no opinion).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Opinions {
    /// `Static`.
    pub static_enabled: Option<bool>,
    /// `DynamicallyEnabled` (global hooks).
    pub dynamic: Option<bool>,
    /// `KubeConfig` (ModuleConfig / ConfigMap).
    pub config: Option<bool>,
}

/// The verdict and, when disabled, which extender or terminator decided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    /// Enabled or not.
    pub enabled: bool,
    /// Why it is disabled (empty when enabled).
    pub reason: String,
}

impl Decision {
    fn on() -> Decision {
        Decision {
            enabled: true,
            reason: String::new(),
        }
    }

    fn off(reason: impl Into<String>) -> Decision {
        Decision {
            enabled: false,
            reason: reason.into(),
        }
    }
}

/// The first three extenders: the decision before the `enabled` script
/// (which runs only when this says enabled).
pub fn before_script(o: &Opinions) -> Decision {
    let mut d = Decision::off("disabled by default (no <valuesKey>Enabled: true in values.yaml)");
    for (opinion, off) in [
        (o.static_enabled, "disabled in values.yaml"),
        (o.dynamic, "disabled by a global hook"),
        (
            o.config,
            "disabled by its configuration (ModuleConfig spec.enabled: false)",
        ),
    ] {
        match opinion {
            Some(true) => d = Decision::on(),
            Some(false) => d = Decision::off(off),
            None => {}
        }
    }
    d
}

/// What the terminators check against.
#[derive(Clone, Debug)]
pub struct Environment<'a> {
    /// The cluster's Kubernetes version (`1.20.2`).
    pub kubernetes: Option<&'a str>,
    /// The platform's version (`--platform-version`); `None`: unknown,
    /// and `requirements.deckhouse` is not checked.
    pub platform: Option<&'a str>,
    /// The other modules known and whether each is enabled now.
    pub modules: &'a BTreeMap<String, bool>,
}

/// The whole chain: `decision` (from [`before_script`], then the script's
/// answer, `Some(false)` when it said disabled or failed), then the
/// terminators.
pub fn resolve(
    decision: Decision,
    script: Option<Result<bool, String>>,
    requirements: Option<&Requirements>,
    env: &Environment<'_>,
) -> Decision {
    if !decision.enabled {
        return decision;
    }
    match script {
        Some(Ok(false)) => return Decision::off("disabled by its enabled script"),
        Some(Err(e)) => return Decision::off(format!("its enabled script failed: {e}")),
        _ => {}
    }
    let Some(r) = requirements else {
        return decision;
    };
    for (what, constraint, have) in [
        ("kubernetes", &r.kubernetes, env.kubernetes),
        ("deckhouse", &r.deckhouse, env.platform),
    ] {
        let (Some(constraint), Some(have)) = (constraint, have) else {
            continue;
        };
        if let Err(why) = satisfies(constraint, have) {
            return Decision::off(format!(
                "requirement not met: {what} {constraint} ({what} is {have}{why})"
            ));
        }
    }
    for (name, constraint) in &r.modules {
        if constraint.trim_end().ends_with("!optional") {
            continue;
        }
        match env.modules.get(name) {
            Some(true) => {}
            Some(false) => {
                return Decision::off(format!("requirement not met: module {name} is not enabled"));
            }
            None => {
                return Decision::off(format!("requirement not met: module {name} is not known"));
            }
        }
    }
    decision
}

/// Whether version `have` meets `constraint`; the error is a suffix for
/// the message (empty when it simply does not).
fn satisfies(constraint: &str, have: &str) -> Result<(), String> {
    let c = Constraints::parse(constraint).map_err(|e| format!("; bad constraint: {e}"))?;
    // Kubernetes reports `1.20.2` or `1.29.1+k3s1`-like builds: compare
    // the version without its build part.
    let v = Version::parse(have.trim_start_matches('v'))
        .map_err(|e| format!("; not a version: {e}"))?;
    if c.check(&v) {
        Ok(())
    } else {
        Err(String::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn o(s: Option<bool>, d: Option<bool>, c: Option<bool>) -> Opinions {
        Opinions {
            static_enabled: s,
            dynamic: d,
            config: c,
        }
    }

    #[test]
    fn the_last_opinion_wins() {
        assert!(!before_script(&o(None, None, None)).enabled);
        assert!(before_script(&o(Some(true), None, None)).enabled);
        assert!(before_script(&o(Some(false), Some(true), None)).enabled);
        let d = before_script(&o(Some(true), Some(true), Some(false)));
        assert!(!d.enabled);
        assert!(d.reason.contains("ModuleConfig"), "{}", d.reason);
        assert!(before_script(&o(Some(false), Some(false), Some(true))).enabled);
        let d = before_script(&o(Some(true), Some(false), None));
        assert_eq!(d.reason, "disabled by a global hook");
    }

    #[test]
    fn the_script_and_terminators_only_turn_off() {
        let none = BTreeMap::new();
        let env = Environment {
            kubernetes: Some("1.20.2"),
            platform: None,
            modules: &none,
        };
        let off = before_script(&o(None, None, None));
        // A script saying true cannot enable a disabled module.
        assert!(!resolve(off, Some(Ok(true)), None, &env).enabled);
        let on = before_script(&o(Some(true), None, None));
        let d = resolve(on.clone(), Some(Ok(false)), None, &env);
        assert_eq!(d.reason, "disabled by its enabled script");
        let d = resolve(on.clone(), Some(Err("exit 1".into())), None, &env);
        assert!(d.reason.contains("exit 1"));
        assert!(resolve(on, Some(Ok(true)), None, &env).enabled);
    }

    #[test]
    fn requirements_name_what_is_missing() {
        let mut modules = BTreeMap::new();
        modules.insert("ingress".to_string(), false);
        modules.insert("dns".to_string(), true);
        let env = Environment {
            kubernetes: Some("1.20.2"),
            platform: Some("1.70.3"),
            modules: &modules,
        };
        let on = Decision::on();
        let req = |k: Option<&str>, d: Option<&str>, m: &[(&str, &str)]| Requirements {
            kubernetes: k.map(Into::into),
            deckhouse: d.map(Into::into),
            bootstrapped: None,
            modules: m
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
        };
        let d = resolve(
            on.clone(),
            None,
            Some(&req(Some(">= 1.29"), None, &[])),
            &env,
        );
        assert_eq!(
            d.reason,
            "requirement not met: kubernetes >= 1.29 (kubernetes is 1.20.2)"
        );
        assert!(
            resolve(
                on.clone(),
                None,
                Some(&req(Some(">= 1.19"), Some(">= 1.70"), &[])),
                &env
            )
            .enabled
        );
        let d = resolve(
            on.clone(),
            None,
            Some(&req(None, Some(">= 1.71"), &[])),
            &env,
        );
        assert!(
            d.reason
                .starts_with("requirement not met: deckhouse >= 1.71"),
            "{}",
            d.reason
        );
        let d = resolve(
            on.clone(),
            None,
            Some(&req(None, None, &[("ingress", ">= 1.0")])),
            &env,
        );
        assert_eq!(
            d.reason,
            "requirement not met: module ingress is not enabled"
        );
        let d = resolve(
            on.clone(),
            None,
            Some(&req(None, None, &[("nope", ">= 1.0")])),
            &env,
        );
        assert_eq!(d.reason, "requirement not met: module nope is not known");
        // Optional ones only order; enabled ones pass.
        assert!(
            resolve(
                on,
                None,
                Some(&req(
                    None,
                    None,
                    &[("ingress", ">= 1.0 !optional"), ("dns", ">= 0")]
                )),
                &env
            )
            .enabled
        );
    }
}
