//! Findings about a module's files: what was wrong, where, and how bad.

use std::fmt;
use std::path::{Path, PathBuf};

use goyaml::Pos;
use serde::Serialize;

/// How bad a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Reported, does not fail the run.
    Warning,
    /// Fails the run.
    Error,
}

/// One problem found in a module, with its place.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Rule id, `linter/rule` (e.g. `module/definition-file`).
    pub rule: String,
    /// How bad it is.
    pub severity: Severity,
    /// The file it is about.
    pub file: PathBuf,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// 1-based column, when known.
    pub column: Option<usize>,
    /// JSON pointer into the file's data, when the finding is about a value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pointer: Option<String>,
    /// What was expected and what was found.
    pub message: String,
}

impl Finding {
    /// An error finding about `file`.
    pub fn error(rule: &str, file: impl AsRef<Path>, message: impl Into<String>) -> Self {
        Finding {
            rule: rule.to_string(),
            severity: Severity::Error,
            file: file.as_ref().to_path_buf(),
            line: None,
            column: None,
            pointer: None,
            message: message.into(),
        }
    }

    /// A warning finding about `file`.
    pub fn warning(rule: &str, file: impl AsRef<Path>, message: impl Into<String>) -> Self {
        Finding {
            severity: Severity::Warning,
            ..Finding::error(rule, file, message)
        }
    }

    /// Place the finding at a source position.
    pub fn at(mut self, pos: Option<Pos>) -> Self {
        if let Some(p) = pos {
            self.line = Some(p.line);
            self.column = Some(p.col);
        }
        self
    }

    /// Attach the JSON pointer of the value concerned.
    pub fn pointer(mut self, pointer: impl Into<String>) -> Self {
        self.pointer = Some(pointer.into());
        self
    }
}

impl fmt::Display for Finding {
    /// `file:line:col: rule-id: message`, warnings marked `warning:`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}: ",
            self.file.display(),
            self.line.unwrap_or(1),
            self.column.unwrap_or(1),
            self.rule
        )?;
        if self.severity == Severity::Warning {
            f.write_str("warning: ")?;
        }
        if let Some(p) = &self.pointer
            && !p.is_empty()
        {
            write!(f, "{p}: ")?;
        }
        f.write_str(&self.message)
    }
}
