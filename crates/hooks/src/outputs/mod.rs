//! Files a hook writes: values patches, metrics, object operations,
//! admission and conversion responses. Every parser rejects garbage with an
//! [`OutputError`] naming the file; none panics.

mod admission;
mod kube_ops;
mod metrics;
mod values_patch;

pub use admission::{
    AdmissionResponse, ConversionResponse, parse_admission_response, parse_conversion_response,
};
pub use kube_ops::{KubeOperation, OperationKind, parse_kube_operations};
pub use metrics::{HookMetrics, MetricAction, MetricError, MetricOperation, parse_metrics};
pub use values_patch::{PatchScope, parse_values_patch};

/// An output file a hook wrote is invalid.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutputError {
    /// Which file (its environment variable name).
    pub file: String,
    /// What was wrong.
    pub message: String,
}

impl OutputError {
    /// An error in `file`.
    pub fn new(file: &str, message: String) -> Self {
        OutputError {
            file: file.to_string(),
            message,
        }
    }
}

impl std::fmt::Display for OutputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.file, self.message)
    }
}

impl std::error::Error for OutputError {}
