//! The module linter: the rules of DKP's module linter (DMT) that need no
//! cluster (module-layout §10), run over one module folder or a folder of
//! modules, with per-module configuration in `.dmtlint.yaml`.
//!
//! Each linter lives in its own file and reports [`Finding`]s whose rule ids
//! are `linter/rule`, as DMT names them.

mod config;
mod containers;
mod crds;
mod docs;
mod files;
mod hooks;
mod images;
mod module_rules;
mod openapi;

use std::path::{Path, PathBuf};

pub use config::LintConfig;

use crate::diagnostic::{Finding, Severity};

/// The findings of one module.
#[derive(Debug, Clone)]
pub struct ModuleReport {
    /// The module folder.
    pub root: PathBuf,
    /// Findings after `.dmtlint.yaml` (disabled rules removed, impact applied), sorted.
    pub findings: Vec<Finding>,
}

impl ModuleReport {
    /// Whether any finding is an error.
    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::Error)
    }
}

/// Lint `path`: a module folder (it has `module.yaml`, `Chart.yaml` or
/// `openapi/`), or a folder whose subfolders are modules.
pub fn lint_path(path: &Path) -> Vec<ModuleReport> {
    if is_module_dir(path) || !path.is_dir() {
        return vec![lint_module(path)];
    }
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(path)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.is_dir() && is_module_dir(p))
                .collect()
        })
        .unwrap_or_default();
    dirs.sort();
    if dirs.is_empty() {
        return vec![lint_module(path)];
    }
    dirs.iter().map(|d| lint_module(d)).collect()
}

fn is_module_dir(p: &Path) -> bool {
    p.join("module.yaml").is_file()
        || p.join("Chart.yaml").is_file()
        || p.join("openapi").is_dir()
        || is_addon_operator_module(p)
}

/// A module as addon-operator alone takes it: no `module.yaml`, no
/// `openapi/`, but templates or hooks (its values in `values.yaml`).
fn is_addon_operator_module(p: &Path) -> bool {
    !p.join("module.yaml").exists()
        && !p.join("openapi").exists()
        && (p.join("templates").is_dir() || p.join("hooks").is_dir())
}

/// The files DKP requires of a module that addon-operator runs without:
/// in an addon-operator style module their absence is a warning.
const DKP_ONLY_RULES: &[&str] = &[
    "module/definition-file",
    "module/oss",
    "module/helmignore",
    "docs/readme",
];

/// Linters whose every rule is a DKP convention (labels, priority
/// classes, registries, security settings): in an addon-operator style
/// module their findings are warnings too.
const DKP_ONLY_LINTERS: &[&str] = &["container"];

/// Lint one module folder.
pub fn lint_module(root: &Path) -> ModuleReport {
    let mut findings = Vec::new();
    if !root.is_dir() {
        findings.push(Finding::error(
            "module/structure",
            root,
            format!(
                "not a folder: expected a module folder at {}",
                root.display()
            ),
        ));
        return ModuleReport {
            root: root.to_path_buf(),
            findings,
        };
    }
    let config = match LintConfig::load(root) {
        Ok(c) => c,
        Err(f) => {
            findings.push(f);
            LintConfig::default()
        }
    };
    module_rules::check(root, &mut findings);
    openapi::check(root, &mut findings);
    crds::check(root, &mut findings);
    hooks::check(root, &mut findings);
    images::check(root, &mut findings);
    docs::check(root, &mut findings);
    files::check(root, &mut findings);
    containers::check(root, &config, &mut findings);
    if is_addon_operator_module(root) {
        for f in &mut findings {
            let linter = f.rule.split_once('/').map_or(f.rule.as_str(), |(l, _)| l);
            if DKP_ONLY_RULES.contains(&f.rule.as_str()) || DKP_ONLY_LINTERS.contains(&linter) {
                f.severity = Severity::Warning;
            }
        }
        findings.push(Finding::warning(
            "openapi/schema",
            root.join("openapi"),
            "no openapi/config-values.yaml or openapi/values.yaml: values are not validated \
             (addon-operator style); DKP needs both schemas to accept settings",
        ));
    }
    let mut findings = config.apply(findings);
    findings.sort_by(|a, b| {
        (&a.file, a.line, a.column, &a.rule, &a.message)
            .cmp(&(&b.file, b.line, b.column, &b.rule, &b.message))
    });
    findings.dedup();
    ModuleReport {
        root: root.to_path_buf(),
        findings,
    }
}
