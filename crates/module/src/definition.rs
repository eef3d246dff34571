//! `module.yaml`: the module's metadata (module-layout §3).

use std::collections::BTreeMap;
use std::path::Path;

use masterminds_semver::Constraints;
use serde::{Deserialize, Serialize};

use crate::diagnostic::Finding;
use crate::name;
use crate::yamlfile::{self, YamlFile};

/// Rule id of every finding about `module.yaml`.
pub const RULE: &str = "module/definition-file";

/// The contents of `module.yaml`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ModuleDefinition {
    /// kebab-case module name (required).
    pub name: String,
    /// Start order, lower runs earlier (default 900).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<i64>,
    /// Critical modules run strictly by weight in the main queue.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub critical: Option<bool>,
    /// Maturity stage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<Stage>,
    /// Deprecated single description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Human descriptions by language.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub descriptions: Option<Localized>,
    /// Tags, each becoming a Module label.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// UI/docs grouping.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subsystems: Vec<String>,
    /// Namespace of the module's resources.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// At most one enabled module per group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exclusive_group: Option<String>,
    /// Requirements on the platform, the cluster and other modules.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requirements: Option<Requirements>,
    /// Edition availability.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accessibility: Option<Accessibility>,
    /// Disabling confirmation and messages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disable: Option<Disable>,
    /// Update jump rules.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update: Option<Update>,
}

/// A module's maturity stage.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Stage {
    /// `Experimental`.
    Experimental,
    /// `Preview`.
    Preview,
    /// `General Availability`.
    #[serde(rename = "General Availability")]
    GeneralAvailability,
    /// `Deprecated`.
    Deprecated,
}

/// Text in English and Russian.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Localized {
    /// English.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub en: Option<String>,
    /// Russian.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ru: Option<String>,
}

/// `requirements` (module-layout §3.1).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Requirements {
    /// Semver constraint on the DKP version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deckhouse: Option<String>,
    /// Semver constraint on the Kubernetes version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kubernetes: Option<String>,
    /// The cluster bootstrap must have finished (built-in modules).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bootstrapped: Option<bool>,
    /// Other modules and their version constraints (` !optional` suffix: ordering only).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub modules: BTreeMap<String, String>,
}

/// `accessibility`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Accessibility {
    /// Per edition (`_default` is the fallback).
    #[serde(default)]
    pub editions: BTreeMap<String, EditionAccess>,
}

/// Availability of the module in one edition.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EditionAccess {
    /// Whether the edition may run the module.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub available: Option<bool>,
    /// Bundles that enable it by default.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub enabled_in_bundles: Vec<String>,
}

/// `disable`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Disable {
    /// Disabling needs the allow-disabling annotation on the ModuleConfig.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmation: Option<bool>,
    /// Warning shown when disabling (DKP < 1.77).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Localized warnings (DKP >= 1.77).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub messages: Option<Localized>,
}

/// `update`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Update {
    /// Jump rules.
    #[serde(default)]
    pub versions: Vec<UpdateVersion>,
}

/// One "from → to" jump rule.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct UpdateVersion {
    /// `major.minor` the cluster is at or above.
    pub from: String,
    /// `major.minor` it may jump to.
    pub to: String,
}

/// Known editions and bundles (module-layout §3).
pub const EDITIONS: &[&str] = &["_default", "ce", "fe", "ee", "se", "se-plus", "be", "cse"];
/// Known bundles.
pub const BUNDLES: &[&str] = &["Default", "Managed", "Minimal"];

/// Keys `module.yaml` may hold, by JSON pointer of their parent object.
fn known_keys(parent: &str) -> Option<&'static [&'static str]> {
    Some(match parent {
        "" => &[
            "name",
            "weight",
            "critical",
            "stage",
            "description",
            "descriptions",
            "tags",
            "subsystems",
            "namespace",
            "exclusiveGroup",
            "requirements",
            "accessibility",
            "disable",
            "update",
        ],
        "/descriptions" | "/disable/messages" => &["en", "ru"],
        "/requirements" => &["deckhouse", "kubernetes", "bootstrapped", "modules"],
        "/accessibility" => &["editions"],
        "/disable" => &["confirmation", "message", "messages"],
        "/update" => &["versions"],
        _ if parent.starts_with("/accessibility/editions/") && parent.matches('/').count() == 3 => {
            &["available", "enabledInBundles"]
        }
        _ if parent.starts_with("/update/versions/") && parent.matches('/').count() == 3 => {
            &["from", "to"]
        }
        _ => return None,
    })
}

/// A loaded `module.yaml` with every finding about it.
#[derive(Debug, Clone)]
pub struct LoadedDefinition {
    /// The definition, when it could be read at all.
    pub definition: Option<ModuleDefinition>,
    /// The parsed file (for positions), when it parsed.
    pub file: Option<YamlFile>,
    /// Problems found, errors and warnings.
    pub findings: Vec<Finding>,
}

/// Load and check `module.yaml` at `path`.
pub fn load(path: &Path) -> LoadedDefinition {
    check_file(yamlfile::read(path, RULE))
}

/// Check `module.yaml` text that came from `path` (no file system access).
pub fn parse(path: &Path, text: &str) -> LoadedDefinition {
    check_file(yamlfile::parse(path, text, RULE))
}

fn check_file(file: Result<YamlFile, Finding>) -> LoadedDefinition {
    let file = match file {
        Ok(f) => f,
        Err(f) => {
            return LoadedDefinition {
                definition: None,
                file: None,
                findings: vec![f],
            };
        }
    };
    let path = file.path.clone();
    let path = path.as_path();
    let mut findings = Vec::new();
    if !file.doc.value.is_object() {
        findings.push(file.finding_at(
            Finding::error(
                RULE,
                path,
                format!(
                    "expected a mapping of module fields, found {}",
                    kind(&file.doc.value)
                ),
            ),
            "",
        ));
        return LoadedDefinition {
            definition: None,
            file: Some(file),
            findings,
        };
    }
    report_unknown_keys(&file, &file.doc.value, "", &mut findings);
    let definition = match file.deserialize::<ModuleDefinition>(RULE) {
        Ok(d) => d,
        Err(f) => {
            findings.push(f);
            return LoadedDefinition {
                definition: None,
                file: Some(file),
                findings,
            };
        }
    };
    check(&definition, &file, &mut findings);
    LoadedDefinition {
        definition: Some(definition),
        file: Some(file),
        findings,
    }
}

fn kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "an empty document",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "a list",
        serde_json::Value::Object(_) => "a mapping",
    }
}

fn report_unknown_keys(
    file: &YamlFile,
    v: &serde_json::Value,
    pointer: &str,
    out: &mut Vec<Finding>,
) {
    match v {
        serde_json::Value::Object(m) => {
            let known = known_keys(pointer);
            for (k, child) in m {
                let p = format!("{pointer}/{}", k.replace('~', "~0").replace('/', "~1"));
                if let Some(known) = known
                    && !known.contains(&k.as_str())
                {
                    out.push(file.finding_at(
                        Finding::warning(
                            RULE,
                            &file.path,
                            format!("unknown field `{k}` (ignored by DKP)"),
                        ),
                        &p,
                    ));
                    continue;
                }
                report_unknown_keys(file, child, &p, out);
            }
        }
        serde_json::Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                report_unknown_keys(file, child, &format!("{pointer}/{i}"), out);
            }
        }
        _ => {}
    }
}

/// The semantic checks of DMT's `definition-file` rule.
fn check(d: &ModuleDefinition, file: &YamlFile, out: &mut Vec<Finding>) {
    let err = |msg: String, ptr: &str| file.finding_at(Finding::error(RULE, &file.path, msg), ptr);
    let warn =
        |msg: String, ptr: &str| file.finding_at(Finding::warning(RULE, &file.path, msg), ptr);
    if let Err(e) = name::check_module_name(&d.name) {
        out.push(err(e, "/name"));
    }
    if d.stage.is_none() {
        out.push(err(
            "`stage` is required: Experimental, Preview, General Availability or Deprecated".into(),
            "",
        ));
    }
    match d.descriptions.as_ref().and_then(|x| x.en.as_deref()) {
        Some(en) if !en.trim().is_empty() => {}
        _ => out.push(err(
            "`descriptions.en` is required: a one-line English description".into(),
            "/descriptions",
        )),
    }
    if d.description.is_some() {
        out.push(warn(
            "`description` is deprecated: use `descriptions.en` and `descriptions.ru`".into(),
            "/description",
        ));
    }
    if let Some(w) = d.weight
        && !(0..=999).contains(&w)
    {
        out.push(err(format!("`weight` is {w}, expected 0..999"), "/weight"));
    }
    if let Some(r) = &d.requirements {
        for (field, value) in [("deckhouse", &r.deckhouse), ("kubernetes", &r.kubernetes)] {
            if let Some(c) = value
                && let Err(e) = Constraints::parse(c)
            {
                out.push(err(
                    format!("`requirements.{field}`: {e}"),
                    &format!("/requirements/{field}"),
                ));
            }
        }
        for (m, c) in &r.modules {
            let ptr = format!("/requirements/modules/{m}");
            if let Err(e) = name::check_module_name(m) {
                out.push(err(format!("required module: {e}"), &ptr));
            }
            let c = c.strip_suffix("!optional").map(str::trim_end).unwrap_or(c);
            if let Err(e) = Constraints::parse(c) {
                out.push(err(
                    format!("constraint of required module `{m}`: {e}"),
                    &ptr,
                ));
            }
        }
    }
    if let Some(a) = &d.accessibility {
        for (edition, access) in &a.editions {
            let ptr = format!("/accessibility/editions/{edition}");
            if !EDITIONS.contains(&edition.as_str()) {
                out.push(err(
                    format!(
                        "unknown edition `{edition}`, expected one of {}",
                        EDITIONS.join(", ")
                    ),
                    &ptr,
                ));
            }
            for (i, b) in access.enabled_in_bundles.iter().enumerate() {
                if !BUNDLES.contains(&b.as_str()) {
                    out.push(err(
                        format!(
                            "unknown bundle `{b}`, expected one of {}",
                            BUNDLES.join(", ")
                        ),
                        &format!("{ptr}/enabledInBundles/{i}"),
                    ));
                }
            }
        }
    }
    if let Some(u) = &d.update {
        let mut prev: Option<((u64, u64), (u64, u64))> = None;
        for (i, v) in u.versions.iter().enumerate() {
            let ptr = format!("/update/versions/{i}");
            let (Some(from), Some(to)) = (major_minor(&v.from), major_minor(&v.to)) else {
                out.push(err(
                    format!(
                        "`from` and `to` must be `major.minor`, found `{}` → `{}`",
                        v.from, v.to
                    ),
                    &ptr,
                ));
                continue;
            };
            if to <= from {
                out.push(err(
                    format!("`to` ({}) must be greater than `from` ({})", v.to, v.from),
                    &ptr,
                ));
            }
            if let Some(p) = prev
                && (from, to) < p
            {
                out.push(err(
                    "update versions must be sorted by `from`, then `to`".into(),
                    &ptr,
                ));
            }
            prev = Some((from, to));
        }
    }
    if let Some(dis) = &d.disable
        && let Some(m) = &dis.messages
        && (m.en.is_none() || m.ru.is_none())
    {
        out.push(err(
            "`disable.messages` needs both `en` and `ru`".into(),
            "/disable/messages",
        ));
    }
}

fn major_minor(s: &str) -> Option<(u64, u64)> {
    let (a, b) = s.trim_start_matches('v').split_once('.')?;
    Some((a.parse().ok()?, b.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_text(text: &str) -> LoadedDefinition {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("module.yaml");
        std::fs::write(&p, text).unwrap();
        load(&p)
    }

    #[test]
    fn a_complete_definition_has_no_findings() {
        let l = load_text(
            "name: echo-server\nstage: Experimental\nweight: 910\nnamespace: d8-echo-server\nsubsystems: [demo]\ntags: [demo]\ndescriptions:\n  en: Demo.\nrequirements:\n  deckhouse: \">= 1.71\"\n  kubernetes: \">= 1.29\"\n  modules:\n    ingress-nginx: \">= 1.0.0 !optional\"\ndisable:\n  confirmation: true\n  message: \"x\"\nupdate:\n  versions:\n    - from: \"0.4\"\n      to: \"0.9\"\naccessibility:\n  editions:\n    _default: {available: true, enabledInBundles: [Default]}\n",
        );
        assert_eq!(l.findings, vec![]);
        let d = l.definition.unwrap();
        assert_eq!(d.stage, Some(Stage::Experimental));
        assert_eq!(
            d.requirements.unwrap().modules["ingress-nginx"],
            ">= 1.0.0 !optional"
        );
    }

    #[test]
    fn wrong_type_is_reported_with_pointer_and_position() {
        let l = load_text("name: x\nstage: Preview\ndescriptions: {en: a}\nweight: heavy\n");
        let f = &l.findings[0];
        assert_eq!(f.pointer.as_deref(), Some("/weight"));
        assert_eq!((f.line, f.column), (Some(4), Some(1)));
        assert!(f.message.contains("invalid type"), "{}", f.message);
    }

    #[test]
    fn unknown_fields_and_missing_required_ones() {
        let l = load_text("name: echo\nfoo: 1\ndescriptions: {en: a, fr: b}\n");
        let msgs: Vec<String> = l.findings.iter().map(|f| f.to_string()).collect();
        assert!(
            msgs.iter()
                .any(|m| m
                    .contains(":2:1: module/definition-file: warning: /foo: unknown field `foo`")),
            "{msgs:?}"
        );
        assert!(
            msgs.iter()
                .any(|m| m.contains("/descriptions/fr: unknown field `fr`")),
            "{msgs:?}"
        );
        assert!(
            msgs.iter().any(|m| m.contains("`stage` is required")),
            "{msgs:?}"
        );
    }

    #[test]
    fn requirements_are_masterminds_constraints() {
        let l = load_text(
            "name: a\nstage: Preview\ndescriptions: {en: a}\nrequirements:\n  deckhouse: \">= 1.68.0.1\"\n  kubernetes: \"1.28 - 1.31\"\n  modules:\n    b: \">= 1.a !optional\"\n",
        );
        let msgs: Vec<&str> = l.findings.iter().map(|f| f.message.as_str()).collect();
        assert_eq!(
            msgs,
            [
                "`requirements.deckhouse`: improper constraint: >= 1.68.0.1",
                "constraint of required module `b`: improper constraint: >= 1.a",
            ],
            "a hyphen range (`kubernetes`) is a valid constraint"
        );
    }

    #[test]
    fn update_versions_must_be_sorted_and_increasing() {
        let l = load_text(
            "name: a\nstage: Preview\ndescriptions: {en: a}\nupdate:\n  versions:\n    - {from: \"1.2\", to: \"1.5\"}\n    - {from: \"1.1\", to: \"1.3\"}\n    - {from: \"1.4\", to: \"1.4\"}\n",
        );
        let msgs: Vec<&str> = l.findings.iter().map(|f| f.message.as_str()).collect();
        assert!(
            msgs.contains(&"update versions must be sorted by `from`, then `to`"),
            "{msgs:?}"
        );
        assert!(
            msgs.iter().any(|m| m.contains("must be greater")),
            "{msgs:?}"
        );
    }

    #[test]
    fn missing_file_names_expected_path() {
        let l = load(Path::new("/nonexistent/module.yaml"));
        assert!(
            l.findings[0]
                .message
                .contains("expected /nonexistent/module.yaml")
        );
    }
}
