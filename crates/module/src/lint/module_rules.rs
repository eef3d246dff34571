//! The `module` linter: `module.yaml`, `Chart.yaml`, `.helmignore`,
//! `oss.yaml`, the deprecated `enabled` script and `release.yaml`.

use std::path::Path;

use serde_json::Value;

use crate::definition::{self, ModuleDefinition};
use crate::diagnostic::Finding;
use crate::yamlfile;

/// Run the module linter's rules.
pub fn check(root: &Path, out: &mut Vec<Finding>) {
    let loaded = definition::load(&root.join("module.yaml"));
    out.extend(loaded.findings);
    chart_yaml(root, loaded.definition.as_ref(), out);
    helmignore(root, out);
    oss(root, out);
    let enabled = root.join("enabled");
    if std::fs::metadata(&enabled).is_ok_and(|m| m.len() > 0) {
        out.push(Finding::warning(
            "module/enabled-script",
            &enabled,
            "the `enabled` script is deprecated: use module.yaml requirements and ModuleConfig instead",
        ));
    }
    let release = root.join("release.yaml");
    if release.exists() {
        out.push(Finding::error(
            "module/legacy-release-file",
            &release,
            "`release.yaml` must not exist: the release version lives in version.json, written at build time",
        ));
    }
}

fn chart_yaml(root: &Path, def: Option<&ModuleDefinition>, out: &mut Vec<Finding>) {
    const RULE: &str = "module/chart-yaml";
    let path = root.join("Chart.yaml");
    if !path.exists() {
        // DKP synthesizes one; nothing to check.
        return;
    }
    let f = match yamlfile::read(&path, RULE) {
        Ok(f) => f,
        Err(e) => return out.push(e),
    };
    let v = &f.doc.value;
    for field in ["name", "version"] {
        if v.get(field)
            .and_then(Value::as_str)
            .is_none_or(str::is_empty)
        {
            out.push(f.finding_at(
                Finding::error(RULE, &path, format!("`{field}` is required (a string)")),
                "",
            ));
        }
    }
    if let (Some(d), Some(n)) = (def, v.get("name").and_then(Value::as_str))
        && n != d.name
    {
        out.push(f.finding_at(
            Finding::warning(
                RULE,
                &path,
                format!("chart name `{n}` differs from the module name `{}`", d.name),
            ),
            "/name",
        ));
    }
}

/// Entries `.helmignore` should carry so the Helm release stays small.
const HELMIGNORE_EXPECTED: &[&str] = &["crds", "docs", "hooks", "images", "openapi"];

fn helmignore(root: &Path, out: &mut Vec<Finding>) {
    const RULE: &str = "module/helmignore";
    let path = root.join(".helmignore");
    let Ok(text) = std::fs::read_to_string(&path) else {
        out.push(Finding::error(
            RULE,
            &path,
            format!("file not found: expected {}", path.display()),
        ));
        return;
    };
    let lines: Vec<(usize, &str)> = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'))
        .collect();
    if lines.is_empty() {
        out.push(Finding::error(
            RULE,
            &path,
            "`.helmignore` is empty: exclude everything that is not chart content",
        ));
        return;
    }
    for (n, l) in &lines {
        let at = Some(goyaml::Pos { line: *n, col: 1 });
        let bare = l.trim_start_matches('/').trim_end_matches('/');
        if *l == "*" || *l == "**" {
            out.push(Finding::error(RULE, &path, format!("`{l}` hides the whole chart")).at(at));
        } else if ["templates", "Chart.yaml", "templates/*", "templates/**"].contains(&bare) {
            out.push(
                Finding::error(
                    RULE,
                    &path,
                    format!("`{l}` hides {bare}, which the chart needs"),
                )
                .at(at),
            );
        }
    }
    for want in HELMIGNORE_EXPECTED {
        let present = lines
            .iter()
            .any(|(_, l)| l.trim_start_matches('/').trim_end_matches('/') == *want);
        if !present && root.join(want).exists() {
            out.push(Finding::warning(
                RULE,
                &path,
                format!("`{want}` is not excluded: it would be stored in the Helm release"),
            ));
        }
    }
}

fn oss(root: &Path, out: &mut Vec<Finding>) {
    const RULE: &str = "module/oss";
    let path = root.join("oss.yaml");
    if !path.exists() {
        out.push(Finding::error(
            RULE,
            &path,
            format!("file not found: expected {} listing the third-party software the module ships (may be `[]`)", path.display()),
        ));
        return;
    }
    let f = match yamlfile::read(&path, RULE) {
        Ok(f) => f,
        Err(e) => return out.push(e),
    };
    let items = match &f.doc.value {
        Value::Array(a) => a,
        Value::Null => return,
        _ => {
            return out.push(f.finding_at(
                Finding::error(RULE, &path, "expected a list of projects"),
                "",
            ));
        }
    };
    let mut ids = std::collections::BTreeSet::new();
    for (i, item) in items.iter().enumerate() {
        let ptr = format!("/{i}");
        for field in ["id", "name", "description", "link", "license"] {
            if item
                .get(field)
                .and_then(Value::as_str)
                .is_none_or(str::is_empty)
            {
                out.push(f.finding_at(
                    Finding::error(RULE, &path, format!("`{field}` is required")),
                    &ptr,
                ));
            }
        }
        if item.get("version").is_none() && item.get("versions").is_none() {
            out.push(f.finding_at(
                Finding::error(RULE, &path, "`version` or `versions` is required"),
                &ptr,
            ));
        }
        if let Some(link) = item.get("link").and_then(Value::as_str)
            && !(link.starts_with("https://") || link.starts_with("http://"))
        {
            out.push(f.finding_at(
                Finding::error(RULE, &path, format!("`link` must be a URL, found `{link}`")),
                &format!("{ptr}/link"),
            ));
        }
        if let Some(id) = item.get("id").and_then(Value::as_str)
            && !ids.insert(id.to_string())
        {
            out.push(f.finding_at(
                Finding::error(RULE, &path, format!("duplicate id `{id}`")),
                &format!("{ptr}/id"),
            ));
        }
    }
}
