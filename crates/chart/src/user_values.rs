//! User-supplied values as `helm template` merges them
//! (`values.Options.MergeValues`): `-f` files in order (maps merged
//! deeply, later files win), then every `--set-json`, `--set`,
//! `--set-string`, `--set-file` and `--set-literal`, in that fixed order
//! whatever the order on the command line.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use gotmpl::{Map, Value};

use crate::error::{Error, UnmarshalError, UnmarshalTarget, YamlError};
use crate::strvals;

/// The value flags of `helm template`.
#[derive(Debug, Clone, Default)]
pub struct ValueOptions {
    /// `-f/--values` files (`-` is standard input).
    pub value_files: Vec<PathBuf>,
    /// `--set` lines.
    pub values: Vec<String>,
    /// `--set-string` lines.
    pub string_values: Vec<String>,
    /// `--set-json` lines.
    pub json_values: Vec<String>,
    /// `--set-file` lines (`key=path`).
    pub file_values: Vec<String>,
    /// `--set-literal` lines (`key=verbatim string`).
    pub literal_values: Vec<String>,
}

/// User values that cannot be read or parsed, worded as `helm template`
/// words them.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ValuesError {
    /// Standard input (`-f -`) could not be read.
    #[error("{source}")]
    Stdin {
        /// The OS error.
        source: Arc<std::io::Error>,
    },
    /// A values file (`-f`, `--set-file`) could not be read.
    #[error("open {}: {}", .path.display(), gostd::os::io_error(.source))]
    Read {
        /// The path as given.
        path: PathBuf,
        /// The OS error.
        source: Arc<std::io::Error>,
    },
    /// A `-f` file is not YAML.
    #[error("failed to parse {}: {source}", .path.display())]
    Yaml {
        /// The path as given.
        path: PathBuf,
        /// The YAML error, with its line and column.
        source: YamlError,
    },
    /// A `-f` file is YAML but not a map.
    #[error("failed to parse {}: {source}", .path.display())]
    NotAMap {
        /// The path as given.
        path: PathBuf,
        /// What was found.
        source: UnmarshalError,
    },
    /// A `--set-json` line does not parse (Helm's message names only the
    /// line; the parser's error is the source).
    #[error("failed parsing --set-json data {line}")]
    SetJson {
        /// The line as given.
        line: String,
        /// The parser's error.
        source: strvals::ParseError,
    },
    /// A `--set`, `--set-string`, `--set-file` or `--set-literal` line does
    /// not parse, or a file it names cannot be read.
    #[error("failed parsing {flag} data: {source}")]
    Set {
        /// The flag the line came from.
        flag: SetFlag,
        /// The line as given.
        line: String,
        /// The parser's error.
        source: strvals::ParseError,
    },
}

/// The flag a `--set...` line was given with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetFlag {
    /// `--set`.
    Set,
    /// `--set-string`.
    SetString,
    /// `--set-file`.
    SetFile,
    /// `--set-literal`.
    SetLiteral,
}

impl std::fmt::Display for SetFlag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SetFlag::Set => "--set",
            SetFlag::SetString => "--set-string",
            SetFlag::SetFile => "--set-file",
            SetFlag::SetLiteral => "--set-literal",
        })
    }
}

/// The error of a `--set...` `line` given with `flag`.
fn set_error(flag: SetFlag, line: &str) -> impl FnOnce(strvals::ParseError) -> ValuesError + '_ {
    move |source| ValuesError::Set {
        flag,
        line: line.to_string(),
        source,
    }
}

/// Read a values file (or standard input for `-`).
fn read_file(path: &Path) -> Result<Vec<u8>, ValuesError> {
    if path == Path::new("-") {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut buf).map_err(|e| {
            ValuesError::Stdin {
                source: Arc::new(e),
            }
        })?;
        return Ok(buf);
    }
    std::fs::read(path).map_err(|e| ValuesError::Read {
        path: path.to_path_buf(),
        source: Arc::new(e),
    })
}

/// Helm's `mergeMaps`: `b` over `a`, maps merged recursively, into a new map.
fn merge_maps(a: &Map, b: &Map) -> Map {
    let mut out = a.clone();
    for (k, v) in b {
        if let (Value::Map(bv), Some(Value::Map(av))) = (v, out.get(k)) {
            let merged = merge_maps(&av.borrow(), &bv.borrow());
            out.insert(k.clone(), Value::map(merged));
            continue;
        }
        out.insert(k.clone(), v.clone());
    }
    out
}

impl ValueOptions {
    /// Merge everything into one values map. Numbers from files and JSON
    /// are floats (as Go reads them through JSON); `--set` integers are ints.
    pub fn merge(&self) -> Result<serde_json::Value, Error> {
        let mut base = Map::new();
        for path in &self.value_files {
            let bytes = read_file(path)?;
            let text = String::from_utf8_lossy(&bytes);
            let doc = goyaml::from_str(&text).map_err(|e| ValuesError::Yaml {
                path: path.clone(),
                source: e.into(),
            })?;
            let current = match Value::from_json_helm(&doc) {
                Value::Map(m) => m.borrow().clone(),
                Value::Nil => Map::new(),
                _ => {
                    return Err(ValuesError::NotAMap {
                        path: path.clone(),
                        source: UnmarshalError {
                            found: "array",
                            into: UnmarshalTarget::Value,
                            go_type: "map[string]interface {}".into(),
                        },
                    }
                    .into());
                }
            };
            base = merge_maps(&base, &current);
        }
        let dest = Value::map(base);
        for line in &self.json_values {
            strvals::parse_json(line, &dest).map_err(|source| ValuesError::SetJson {
                line: line.clone(),
                source,
            })?;
        }
        for line in &self.values {
            strvals::parse_into(line, &dest).map_err(set_error(SetFlag::Set, line))?;
        }
        for line in &self.string_values {
            strvals::parse_into_string(line, &dest).map_err(set_error(SetFlag::SetString, line))?;
        }
        let reader = |p: &str| -> Result<Value, strvals::ReadError> {
            let bytes = read_file(Path::new(p)).map_err(|e| Arc::new(e) as strvals::ReadError)?;
            Ok(Value::str(String::from_utf8_lossy(&bytes)))
        };
        for line in &self.file_values {
            strvals::parse_into_file(line, &dest, &reader)
                .map_err(set_error(SetFlag::SetFile, line))?;
        }
        for line in &self.literal_values {
            strvals::parse_literal(line, &dest).map_err(set_error(SetFlag::SetLiteral, line))?;
        }
        Ok(dest.to_json())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_merge_then_flags_apply_in_helm_order() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.yaml");
        let b = dir.path().join("b.yaml");
        let f = dir.path().join("f.txt");
        std::fs::write(&a, "x: {a: 1, b: 2}\nl: [1]\n").unwrap();
        std::fs::write(&b, "x: {b: 3}\nl: [2]\n").unwrap();
        std::fs::write(&f, "file body").unwrap();
        let opts = ValueOptions {
            value_files: vec![a, b],
            values: vec!["s=1".into(), "j=from-set".into()],
            string_values: vec!["s=2".into()],
            json_values: vec![r#"j={"k":1}"#.into()],
            file_values: vec![format!("body={}", f.display())],
            literal_values: vec!["body=literal, last".into(), "lit=1,x=2".into()],
        };
        let v = opts.merge().unwrap();
        assert_eq!(
            v,
            serde_json::json!({"x": {"a": 1.0, "b": 3.0}, "l": [2.0], "s": "2", "j": "from-set", "body": "literal, last", "lit": "1,x=2"})
        );
    }

    #[test]
    fn missing_file_is_reported() {
        let opts = ValueOptions {
            value_files: vec![PathBuf::from("/nonexistent/v.yaml")],
            ..Default::default()
        };
        assert_eq!(
            opts.merge().unwrap_err().to_string(),
            "open /nonexistent/v.yaml: no such file or directory"
        );
    }

    #[test]
    fn bad_set_literal_is_reported_with_its_flag() {
        let opts = ValueOptions {
            literal_values: vec!["a[1".into()],
            ..Default::default()
        };
        assert_eq!(
            opts.merge().unwrap_err().to_string(),
            "failed parsing --set-literal data: error parsing index: EOF"
        );
    }
}
