//! `.dmtlint.yaml`: per-module linter configuration, as DMT reads it —
//! turn a linter or a rule off, set its impact (`error` or `warn`), or
//! exclude files or objects from a rule. Lets teams roll new rules out
//! gradually.
//!
//! ```yaml
//! linters-settings:
//!   module:
//!     impact: warn            # every module/* finding becomes a warning
//!     oss: {disable: true}    # module/oss is off
//!   docs:
//!     disable: true
//!   hooks:
//!     exclude-rules:
//!       executable: [hooks/lib/helper.sh]
//!   container:
//!     exclude-rules:          # objects, not files: kind + name (+ container)
//!       liveness-probe:
//!         - {kind: Deployment, name: web, container: sidecar}
//! global:
//!   linters-settings:
//!     container:
//!       rules:
//!         sys-cgroup-mount: {impact: error}
//! ```
//!
//! An impact is a ceiling, as in DMT: `warn` turns a rule's errors into
//! warnings, `error` lets its errors stand but leaves its warnings
//! warnings. A rule's own impact (`global.linters-settings.<linter>.rules.
//! <rule>.impact`, or deckmod's `linters-settings.<linter>.<rule>.impact`)
//! wins over the linter's; a few rules default to `warn` whatever the
//! linter's impact says ([`DEFAULT_WARN_RULES`]).

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::diagnostic::{Finding, Severity};
use crate::yamlfile;

const RULE: &str = "module/dmtlint";

/// Rules whose impact defaults to `warn`: DMT sets their level to warn
/// unless the rule's own impact says otherwise (the linter's impact does
/// not raise them).
const DEFAULT_WARN_RULES: &[&str] = &["container/sys-cgroup-mount"];

/// Rules whose key under `global.linters-settings.<linter>.rules` is not
/// their rule name (DMT names a few differently there).
const GLOBAL_RULE_KEYS: &[(&str, &str)] = &[
    ("container/object-recommended-labels", "recommended-labels"),
    ("container/object-api-version", "api-version"),
    ("container/object-priority-class", "priority-class"),
    (
        "container/object-revision-history-limit",
        "revision-history-limit",
    ),
    ("container/security-context", "container-security-context"),
];

/// Linter configuration of one module.
#[derive(Debug, Clone, Default)]
pub struct LintConfig {
    linters: BTreeMap<String, LinterSettings>,
    global: BTreeMap<String, GlobalLinterSettings>,
    root: std::path::PathBuf,
}

#[derive(Debug, Clone, Default, Deserialize)]
struct File {
    #[serde(default, rename = "linters-settings")]
    linters_settings: BTreeMap<String, LinterSettings>,
    #[serde(default)]
    global: GlobalSection,
}

/// `global:` — impacts for a linter and its rules (DMT's root settings).
#[derive(Debug, Clone, Default, Deserialize)]
struct GlobalSection {
    #[serde(default, rename = "linters-settings")]
    linters_settings: BTreeMap<String, GlobalLinterSettings>,
}

#[derive(Debug, Clone, Default, Deserialize)]
struct GlobalLinterSettings {
    #[serde(default)]
    impact: Option<Impact>,
    #[serde(default)]
    rules: BTreeMap<String, RuleImpact>,
}

#[derive(Debug, Clone, Default, Deserialize)]
struct RuleImpact {
    #[serde(default)]
    impact: Option<Impact>,
}

/// One `exclude-rules` entry naming an object (and, for container rules,
/// one of its containers): `{kind: Deployment, name: web, container: app}`.
/// An empty or missing `container` matches every container of the object.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
pub struct ObjectExclude {
    /// The object's `kind`.
    #[serde(default)]
    pub kind: String,
    /// The object's `metadata.name`.
    #[serde(default)]
    pub name: String,
    /// A container's name; empty for every container.
    #[serde(default)]
    pub container: String,
}

impl ObjectExclude {
    /// Whether the entry names this object (and container, when it names one).
    /// As in DMT, kind and name must both match; a `container` given for an
    /// object-level rule (no container) never matches.
    pub fn matches(&self, kind: &str, name: &str, container: Option<&str>) -> bool {
        self.kind == kind
            && self.name == name
            && (self.container.is_empty() || Some(self.container.as_str()) == container)
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
struct LinterSettings {
    #[serde(default)]
    disable: bool,
    #[serde(default)]
    impact: Option<Impact>,
    #[serde(default, rename = "exclude-rules")]
    exclude_rules: BTreeMap<String, serde_json::Value>,
    #[serde(flatten)]
    rules: BTreeMap<String, serde_json::Value>,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum Impact {
    Error,
    #[serde(alias = "warning")]
    Warn,
}

impl From<Impact> for Severity {
    fn from(i: Impact) -> Self {
        match i {
            Impact::Error => Severity::Error,
            Impact::Warn => Severity::Warning,
        }
    }
}

impl LintConfig {
    /// Read `ROOT/.dmtlint.yaml`; no file means the defaults.
    pub fn load(root: &Path) -> Result<LintConfig, Finding> {
        let path = root.join(".dmtlint.yaml");
        if !path.exists() {
            return Ok(LintConfig {
                root: root.to_path_buf(),
                ..Default::default()
            });
        }
        let f = yamlfile::read(&path, RULE)?;
        Self::from_file(root, f)
    }

    /// The configuration `text` gives a module in `root` (as if it were
    /// `ROOT/.dmtlint.yaml`).
    pub fn parse(root: &Path, text: &str) -> Result<LintConfig, Finding> {
        Self::from_file(
            root,
            yamlfile::parse(&root.join(".dmtlint.yaml"), text, RULE)?,
        )
    }

    fn from_file(root: &Path, f: yamlfile::YamlFile) -> Result<LintConfig, Finding> {
        if f.doc.value.is_null() {
            return Ok(LintConfig {
                root: root.to_path_buf(),
                ..Default::default()
            });
        }
        let parsed: File = f.deserialize(RULE)?;
        Ok(LintConfig {
            linters: parsed.linters_settings,
            global: parsed.global.linters_settings,
            root: root.to_path_buf(),
        })
    }

    /// The object entries of `linters-settings.<linter>.exclude-rules.<key>`
    /// (entries that are not `{kind, name, container}` maps are ignored).
    pub fn object_excludes(&self, linter: &str, key: &str) -> Vec<ObjectExclude> {
        self.exclude_entries(linter, key)
            .filter(|e| e.is_object())
            .filter_map(|e| serde_json::from_value(e.clone()).ok())
            .collect()
    }

    /// The string entries of `linters-settings.<linter>.exclude-rules.<key>`.
    pub fn string_excludes(&self, linter: &str, key: &str) -> Vec<String> {
        self.exclude_entries(linter, key)
            .filter_map(|e| e.as_str().map(str::to_string))
            .collect()
    }

    fn exclude_entries(&self, linter: &str, key: &str) -> impl Iterator<Item = &serde_json::Value> {
        self.linters
            .get(linter)
            .and_then(|s| s.exclude_rules.get(key))
            .and_then(|v| v.as_array())
            .into_iter()
            .flatten()
    }

    /// The level a finding of `rule_id` (`linter/rule`) is capped at.
    fn level(&self, rule_id: &str) -> Severity {
        let (linter, rule) = rule_id.split_once('/').unwrap_or((rule_id, ""));
        let module = self.linters.get(linter);
        let global = self.global.get(linter);
        let own = module
            .and_then(|s| s.rules.get(rule))
            .and_then(|r| r.get("impact"))
            .and_then(|i| serde_json::from_value::<Impact>(i.clone()).ok());
        let global_key = GLOBAL_RULE_KEYS
            .iter()
            .find(|(id, _)| *id == rule_id)
            .map_or(rule, |(_, key)| *key);
        let global_rule = global
            .and_then(|g| g.rules.get(global_key))
            .and_then(|r| r.impact);
        let default_warn = DEFAULT_WARN_RULES
            .contains(&rule_id)
            .then_some(Impact::Warn);
        let linter_impact = module
            .and_then(|s| s.impact)
            .or_else(|| global.and_then(|g| g.impact));
        own.or(global_rule)
            .or(default_warn)
            .or(linter_impact)
            .map_or(Severity::Error, Severity::from)
    }

    /// Drop disabled and excluded findings; cap severities at their impact.
    pub fn apply(&self, findings: Vec<Finding>) -> Vec<Finding> {
        findings
            .into_iter()
            .filter_map(|mut f| {
                if self.dropped(&f) {
                    return None;
                }
                f.severity = f.severity.min(self.level(&f.rule));
                Some(f)
            })
            .collect()
    }

    /// Whether `f`'s linter or rule is disabled, or its file excluded.
    fn dropped(&self, f: &Finding) -> bool {
        let (linter, rule) = f.rule.split_once('/').unwrap_or((f.rule.as_str(), ""));
        let Some(settings) = self.linters.get(linter) else {
            return false;
        };
        if settings.disable {
            return true;
        }
        if settings
            .rules
            .get(rule)
            .and_then(|r| r.get("disable"))
            .and_then(|d| d.as_bool())
            == Some(true)
        {
            return true;
        }
        let rel = f
            .file
            .strip_prefix(&self.root)
            .unwrap_or(&f.file)
            .to_string_lossy()
            .into_owned();
        self.string_excludes(linter, rule).contains(&rel)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(text: &str) -> LintConfig {
        LintConfig::parse(Path::new("/m"), text).unwrap()
    }

    fn severities(c: &LintConfig, findings: &[Finding]) -> Vec<Severity> {
        c.apply(findings.to_vec())
            .into_iter()
            .map(|f| f.severity)
            .collect()
    }

    #[test]
    fn impact_is_a_ceiling() {
        let found = [
            Finding::error("container/ports", "/m/templates/a.yaml", "e"),
            Finding::warning("container/seccomp-profile", "/m/templates/a.yaml", "w"),
        ];
        let warn = config("linters-settings:\n  container:\n    impact: warn\n");
        assert_eq!(
            severities(&warn, &found),
            [Severity::Warning, Severity::Warning]
        );
        // `error` lets errors stand and does not raise warnings.
        let error = config("linters-settings:\n  container:\n    impact: error\n");
        assert_eq!(
            severities(&error, &found),
            [Severity::Error, Severity::Warning]
        );
    }

    #[test]
    fn global_rule_impact_uses_dmt_rule_keys() {
        let found = [
            Finding::error("container/security-context", "/m/t.yaml", "e"),
            Finding::error("container/ports", "/m/t.yaml", "e"),
        ];
        // The container-level security-context rule is keyed
        // `container-security-context` under `global`.
        let c = config(
            "global:\n  linters-settings:\n    container:\n      rules:\n        container-security-context: {impact: warn}\n",
        );
        assert_eq!(severities(&c, &found), [Severity::Warning, Severity::Error]);
        let by_name = config(
            "global:\n  linters-settings:\n    container:\n      rules:\n        security-context: {impact: warn}\n",
        );
        assert_eq!(
            severities(&by_name, &found),
            [Severity::Error, Severity::Error]
        );
        // A module's linter impact wins over the global linter impact.
        let both = config(
            "linters-settings:\n  container:\n    impact: error\nglobal:\n  linters-settings:\n    container:\n      impact: warn\n",
        );
        assert_eq!(
            severities(&both, &found),
            [Severity::Error, Severity::Error]
        );
    }

    #[test]
    fn default_warn_rule_is_raised_only_by_its_own_impact() {
        let found = [Finding::error(
            "container/sys-cgroup-mount",
            "/m/t.yaml",
            "e",
        )];
        assert_eq!(severities(&config("{}"), &found), [Severity::Warning]);
        let linter = config("linters-settings:\n  container:\n    impact: error\n");
        assert_eq!(severities(&linter, &found), [Severity::Warning]);
        let own = config(
            "global:\n  linters-settings:\n    container:\n      rules:\n        sys-cgroup-mount: {impact: error}\n",
        );
        assert_eq!(severities(&own, &found), [Severity::Error]);
    }

    #[test]
    fn object_excludes_read_kind_name_container() {
        let c = config(
            "linters-settings:\n  container:\n    exclude-rules:\n      ports:\n        - kind: Deployment\n          name: web\n          container: app\n        - {kind: DaemonSet, name: agent}\n        - templates/x.yaml\n",
        );
        let ex = c.object_excludes("container", "ports");
        assert_eq!(ex.len(), 2);
        assert!(ex[0].matches("Deployment", "web", Some("app")));
        assert!(!ex[0].matches("Deployment", "web", Some("sidecar")));
        assert!(!ex[0].matches("StatefulSet", "web", Some("app")));
        assert!(ex[1].matches("DaemonSet", "agent", Some("any")));
        assert!(ex[1].matches("DaemonSet", "agent", None));
        assert_eq!(
            c.string_excludes("container", "ports"),
            ["templates/x.yaml"]
        );
    }
}
