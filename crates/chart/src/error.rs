//! Errors of loading and rendering charts, worded as Helm words them
//! (the CLI prints them after `Error: `).

/// Something went wrong loading, preparing or rendering a chart.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A chart file could not be read or is malformed.
    #[error("{0}")]
    Load(String),
    /// `Chart.yaml` breaks Helm's metadata rules.
    #[error("validation: {0}")]
    Validation(String),
    /// User values (`-f`, `--set...`) could not be read or parsed.
    #[error("{0}")]
    Values(String),
    /// A template failed to parse or execute (Helm's wording, with
    /// gotmpl's error as its source).
    #[error("{0}")]
    Render(#[source] TemplateError),
    /// Any other failure with Helm's message.
    #[error("{0}")]
    Other(String),
}

/// A render failure as Helm words it (`execution error at (c/templates/x.yaml:3:4): ...`),
/// keeping the template engine's error, when there is one, as its source:
/// which template, line and column, and the cause (a function's error).
#[derive(Debug, Clone)]
pub struct TemplateError {
    message: String,
    cause: Option<TemplateCause>,
}

/// The template engine's error behind a [`TemplateError`].
#[derive(Debug, Clone)]
pub enum TemplateCause {
    /// The template text did not parse.
    Parse(gotmpl::ParseError),
    /// Executing the template failed.
    Exec(gotmpl::ExecError),
}

impl TemplateError {
    /// A failure with Helm's `message` and no template behind it (an
    /// incompatible `kubeVersion`, a manifest that does not sort).
    pub fn message(message: impl Into<String>) -> TemplateError {
        TemplateError {
            message: message.into(),
            cause: None,
        }
    }

    /// Helm's `message` for the engine's error `cause`.
    pub fn with_cause(message: impl Into<String>, cause: TemplateCause) -> TemplateError {
        TemplateError {
            message: message.into(),
            cause: Some(cause),
        }
    }

    /// The engine's error, if a template failed.
    pub fn cause(&self) -> Option<&TemplateCause> {
        self.cause.as_ref()
    }

    /// Where the template failed: the template's file name, its 1-based
    /// line and, for execution errors, the 0-based column.
    pub fn location(&self) -> Option<(&str, usize, Option<usize>)> {
        match self.cause.as_ref()? {
            TemplateCause::Parse(p) => Some((&p.name, p.line, None)),
            TemplateCause::Exec(e) => e
                .location
                .as_ref()
                .map(|l| (l.parse_name.as_str(), l.line, Some(l.col))),
        }
    }
}

impl std::fmt::Display for TemplateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for TemplateError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self.cause.as_ref()? {
            TemplateCause::Parse(p) => Some(p),
            TemplateCause::Exec(e) => Some(e),
        }
    }
}
