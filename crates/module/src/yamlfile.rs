//! Reading a YAML file of a module into data, with positions and findings.

use std::path::Path;

use goyaml::Document;
use serde::de::DeserializeOwned;

use crate::diagnostic::Finding;

/// A YAML file read from disk: its documents (one for most module files).
#[derive(Debug, Clone)]
pub struct YamlFile {
    /// Path as given (used in findings).
    pub path: std::path::PathBuf,
    /// The first document (`null` for an empty file).
    pub doc: Document,
}

/// Read and parse a one-document YAML file. A missing file, unreadable file
/// or bad syntax becomes a finding under `rule` naming the file and position.
pub fn read(path: &Path, rule: &str) -> Result<YamlFile, Finding> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            Finding::error(
                rule,
                path,
                format!("file not found: expected {}", path.display()),
            )
        } else {
            Finding::error(rule, path, format!("cannot read: {e}"))
        }
    })?;
    parse(path, &text, rule)
}

/// Parse YAML text that came from `path`.
pub fn parse(path: &Path, text: &str, rule: &str) -> Result<YamlFile, Finding> {
    let doc = goyaml::from_str_with_positions(text).map_err(|e| {
        Finding::error(rule, path, format!("invalid YAML: {}", e.message)).at(e.pos)
    })?;
    Ok(YamlFile {
        path: path.to_path_buf(),
        doc,
    })
}

impl YamlFile {
    /// Deserialize the document into `T`; a type mismatch becomes a finding
    /// with the JSON pointer and position of the offending value.
    pub fn deserialize<T: DeserializeOwned>(&self, rule: &str) -> Result<T, Finding> {
        let de = self.doc.value.clone();
        serde_path_to_error::deserialize(de).map_err(|e| {
            let pointer = to_pointer(e.path());
            let msg = e.inner().to_string();
            Finding::error(rule, &self.path, msg)
                .at(self.doc.positions.nearest(&pointer))
                .pointer(pointer)
        })
    }

    /// A finding at the node `pointer` (or its nearest existing parent).
    pub fn finding_at(&self, f: Finding, pointer: &str) -> Finding {
        f.at(self.doc.positions.nearest(pointer)).pointer(pointer)
    }
}

/// A serde path (`a.b[0].c`) as a JSON pointer (`/a/b/0/c`).
fn to_pointer(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for seg in path.iter() {
        match seg {
            Segment::Seq { index } => out.push_str(&format!("/{index}")),
            Segment::Map { key } | Segment::Enum { variant: key } => {
                out.push('/');
                out.push_str(&key.replace('~', "~0").replace('/', "~1"));
            }
            Segment::Unknown => {}
        }
    }
    out
}
