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
    /// A template failed to parse or execute.
    #[error("{0}")]
    Render(String),
    /// Any other failure with Helm's message.
    #[error("{0}")]
    Other(String),
}
