//! The little module metadata this crate needs: the module name from `module.yaml`.
//!
//! The `module` crate owns the full module model; this reads only `name`, so publishing does
//! not depend on the rest of the model being complete.

use std::fs;
use std::path::Path;

use yaml_rust2::{Yaml, YamlLoader};

use crate::error::{Error, Result};

/// Reads and validates the `name` field of `<dir>/module.yaml`.
pub fn read_module_name(dir: &Path) -> Result<String> {
    let path = dir.join("module.yaml");
    let text = fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
    let shown = path.display().to_string();
    let docs = YamlLoader::load_from_str(&text).map_err(|e| {
        Error::metadata(
            &shown,
            format!(
                "line {}, column {}: {}",
                e.marker().line(),
                e.marker().col() + 1,
                e.info()
            ),
        )
    })?;
    let name = match docs.first().map(|doc| &doc["name"]) {
        Some(Yaml::String(name)) => name.clone(),
        _ => {
            return Err(Error::metadata(
                &shown,
                "`name` is required and must be a string",
            ));
        }
    };
    validate_module_name(&name).map_err(|why| Error::metadata(&shown, why))?;
    Ok(name)
}

/// Checks the DKP naming rule: a DNS-1123 label-style kebab name, at most 64 characters,
/// not the reserved `modules`. Returns the reason on failure.
pub fn validate_module_name(name: &str) -> Result<(), String> {
    let kebab = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-')
        && name.as_bytes()[0].is_ascii_lowercase();
    if !kebab {
        return Err(format!(
            "module name {name:?} must be kebab-case (a-z, 0-9, '-', starting with a letter)"
        ));
    }
    if name.len() > 64 {
        return Err(format!("module name {name:?} is longer than 64 characters"));
    }
    if name == "modules" {
        return Err("module name \"modules\" is reserved".to_string());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_validates_the_name() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(
            dir.path().join("module.yaml"),
            "name: echo-server\nweight: 910\n",
        )
        .unwrap();
        assert_eq!(read_module_name(dir.path()).unwrap(), "echo-server");
        fs::write(dir.path().join("module.yaml"), "name: EchoServer\n").unwrap();
        assert!(read_module_name(dir.path()).is_err());
        fs::write(dir.path().join("module.yaml"), "weight: 1\n").unwrap();
        let err = read_module_name(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("module.yaml") && err.contains("`name`"),
            "{err}"
        );
        fs::write(dir.path().join("module.yaml"), "name: [\n").unwrap();
        let err = read_module_name(dir.path()).unwrap_err().to_string();
        assert!(err.contains("line"), "{err}");
        assert!(validate_module_name("modules").is_err());
    }
}
