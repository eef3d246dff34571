//! The little module metadata this crate needs: the module name from `module.yaml`.
//!
//! The `module` crate owns the full module model; this reads only `name`, so publishing does
//! not depend on the rest of the model being complete. The naming rule itself is the module
//! crate's ([`module::name::check_module_name`]): what push accepts is what lint accepts.

use std::fs;
use std::path::Path;

use module::name::check_module_name;
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
    check_module_name(&name).map_err(|why| Error::metadata(&shown, why))?;
    Ok(name)
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
    }

    /// `a--b` cannot be restored from its values key (`aB` is `a-b`): push refuses it with
    /// the words lint uses.
    #[test]
    fn push_refuses_what_lint_refuses_with_the_same_message() {
        let why = check_module_name("a--b").unwrap_err();
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("module.yaml"), "name: a--b\n").unwrap();
        let err = read_module_name(dir.path()).unwrap_err().to_string();
        assert_eq!(
            err,
            format!("{}: {why}", dir.path().join("module.yaml").display())
        );
        let report = module::lint::lint_module(dir.path());
        let lint: Vec<&str> = report
            .findings
            .iter()
            .filter(|f| f.pointer.as_deref() == Some("/name"))
            .map(|f| f.message.as_str())
            .collect();
        assert_eq!(lint, [why.as_str()]);
    }
}
