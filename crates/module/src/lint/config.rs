//! `.dmtlint.yaml`: per-module linter configuration, as DMT reads it —
//! turn a linter or a rule off, set its impact (`error` or `warn`), or
//! exclude files from a rule. Lets teams roll new rules out gradually.
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
//! ```

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::diagnostic::{Finding, Severity};
use crate::yamlfile;

const RULE: &str = "module/dmtlint";

/// Linter configuration of one module.
#[derive(Debug, Clone, Default)]
pub struct LintConfig {
    linters: BTreeMap<String, LinterSettings>,
    root: std::path::PathBuf,
}

#[derive(Debug, Clone, Default, Deserialize)]
struct File {
    #[serde(default, rename = "linters-settings")]
    linters_settings: BTreeMap<String, LinterSettings>,
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
        if f.doc.value.is_null() {
            return Ok(LintConfig {
                root: root.to_path_buf(),
                ..Default::default()
            });
        }
        let parsed: File = f.deserialize(RULE)?;
        Ok(LintConfig {
            linters: parsed.linters_settings,
            root: root.to_path_buf(),
        })
    }

    /// Drop disabled and excluded findings; apply impacts.
    pub fn apply(&self, findings: Vec<Finding>) -> Vec<Finding> {
        findings
            .into_iter()
            .filter_map(|mut f| {
                let (linter, rule) = f.rule.split_once('/').unwrap_or((f.rule.as_str(), ""));
                let Some(settings) = self.linters.get(linter) else {
                    return Some(f);
                };
                if settings.disable {
                    return None;
                }
                let rule_settings = settings.rules.get(rule);
                if rule_settings
                    .and_then(|r| r.get("disable"))
                    .and_then(|d| d.as_bool())
                    == Some(true)
                {
                    return None;
                }
                if let Some(excluded) = settings.exclude_rules.get(rule).and_then(|v| v.as_array())
                {
                    let rel = f
                        .file
                        .strip_prefix(&self.root)
                        .unwrap_or(&f.file)
                        .to_string_lossy()
                        .into_owned();
                    if excluded.iter().any(|e| e.as_str() == Some(rel.as_str())) {
                        return None;
                    }
                }
                let rule_impact = rule_settings
                    .and_then(|r| r.get("impact"))
                    .and_then(|i| serde_json::from_value::<Impact>(i.clone()).ok());
                if let Some(i) = rule_impact.or(settings.impact) {
                    f.severity = i.into();
                }
                Some(f)
            })
            .collect()
    }
}
