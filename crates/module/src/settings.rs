//! Module settings as a user gives them outside a cluster: YAML files that
//! hold what a ModuleConfig's `spec.settings` holds (a `global:` key in
//! them overrides the global values), `--set PATH=VALUE` arguments, and
//! the internal values a module's hooks would compute.

use std::fmt;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::values;

/// A settings input that could not be read; the message names the file
/// (with line and column for bad YAML) or the argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingsError(pub String);

impl fmt::Display for SettingsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SettingsError {}

/// The user's settings and global overrides.
#[derive(Debug, Clone, PartialEq)]
pub struct UserSettings {
    /// Module settings.
    pub settings: Value,
    /// Overrides of the global values.
    pub global: Value,
}

/// A YAML file; errors name the file and, for bad YAML, the line and column.
pub fn read_yaml_file(path: &Path) -> Result<Value, SettingsError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| SettingsError(format!("{}: {e}", path.display())))?;
    goyaml::from_str(&text).map_err(|e| {
        SettingsError(match e.pos {
            Some(p) => format!(
                "{}:{}:{}: invalid YAML: {}",
                path.display(),
                p.line,
                p.col,
                e.message
            ),
            None => format!("{}: invalid YAML: {}", path.display(), e.message),
        })
    })
}

/// Settings files applied in order, then `PATH=VALUE` sets; a `global:` key
/// in a file goes to the global overrides.
pub fn read_settings(files: &[PathBuf], sets: &[String]) -> Result<UserSettings, SettingsError> {
    let mut settings = Value::Object(Map::new());
    let mut global = Value::Object(Map::new());
    for f in files {
        let mut v = read_yaml_file(f)?;
        if v.is_null() {
            continue;
        }
        let Some(obj) = v.as_object_mut() else {
            return Err(SettingsError(format!(
                "{}: expected a mapping of module settings",
                f.display()
            )));
        };
        if let Some(g) = obj.remove("global") {
            values::merge(&mut global, g);
        }
        values::merge(&mut settings, v);
    }
    for s in sets {
        values::apply_set(&mut settings, s).map_err(|e| SettingsError(format!("--set {e}")))?;
    }
    Ok(UserSettings { settings, global })
}

/// Internal values from files and `PATH=VALUE` sets (paths relative to
/// `<valuesKey>.internal`), as the overlay [`crate::Module::module_values`]
/// takes: `{"internal": {...}}`; `None` when neither is given.
pub fn read_internal(files: &[PathBuf], sets: &[String]) -> Result<Option<Value>, SettingsError> {
    if files.is_empty() && sets.is_empty() {
        return Ok(None);
    }
    let mut internal = Value::Object(Map::new());
    for f in files {
        match read_yaml_file(f)? {
            Value::Null => {}
            v @ Value::Object(_) => values::merge(&mut internal, v),
            _ => {
                return Err(SettingsError(format!(
                    "{}: expected a mapping of internal values",
                    f.display()
                )));
            }
        }
    }
    for s in sets {
        values::apply_set(&mut internal, s)
            .map_err(|e| SettingsError(format!("--set-internal {e}")))?;
    }
    let mut overlay = Map::new();
    overlay.insert("internal".into(), internal);
    Ok(Some(Value::Object(overlay)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn global_key_goes_to_overrides_and_sets_apply_last() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("s.yaml");
        std::fs::write(&f, "replicas: 2\nglobal:\n  clusterName: x\n").unwrap();
        let s = read_settings(&[f], &["replicas=3".into()]).unwrap();
        assert_eq!(s.settings, json!({"replicas": 3}));
        assert_eq!(s.global, json!({"clusterName": "x"}));
    }

    #[test]
    fn bad_yaml_names_file_line_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("bad.yaml");
        std::fs::write(&f, "a: 1\nb: [\n").unwrap();
        let e = read_settings(std::slice::from_ref(&f), &[]).unwrap_err().0;
        assert!(e.starts_with(&format!("{}:", f.display())), "{e}");
        assert!(e.contains("invalid YAML"), "{e}");
    }

    #[test]
    fn internal_values_are_wrapped_under_internal() {
        let v = read_internal(&[], &["cert.ca=abc".into()]).unwrap();
        assert_eq!(v, Some(json!({"internal": {"cert": {"ca": "abc"}}})));
        assert_eq!(read_internal(&[], &[]).unwrap(), None);
    }
}
