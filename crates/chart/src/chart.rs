//! The loaded chart: metadata, default values, schema, templates, other
//! files and subcharts, as Helm's `chart.Chart` holds them.

use std::borrow::Cow;
use std::sync::Arc;

use crate::metadata::Metadata;

/// A file of a chart, by its chart-relative path (`/` separators).
#[derive(Clone, Debug)]
pub struct File {
    /// Path relative to the chart root, e.g. `templates/deployment.yaml`.
    pub name: String,
    /// Content (a UTF-8 byte-order mark already stripped, as Helm does).
    pub data: Arc<[u8]>,
}

impl File {
    /// The content as text: borrowed when it is UTF-8 (the usual case),
    /// else with invalid sequences replaced as Go's string conversion
    /// prints them.
    pub fn text(&self) -> Cow<'_, str> {
        lossy(&self.data)
    }
}

/// `String::from_utf8_lossy` with the fast validation first: valid UTF-8
/// is borrowed after one `from_utf8` pass instead of a chunk-by-chunk scan.
pub fn lossy(data: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(data) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(data),
    }
}

/// A Helm chart as loaded from a directory or archive.
#[derive(Clone, Debug, Default)]
pub struct Chart {
    /// `Chart.yaml` (plus `requirements.yaml` dependencies for v1 charts).
    pub metadata: Metadata,
    /// `values.yaml` as data (an object; numbers as JSON read them).
    pub values: serde_json::Map<String, serde_json::Value>,
    /// `values.schema.json`, if present.
    pub schema: Option<Arc<[u8]>>,
    /// Files under `templates/`, in load order.
    pub templates: Vec<File>,
    /// Every other file (including `crds/`), in load order.
    pub files: Vec<File>,
    /// Subcharts found under `charts/` (directories and `.tgz` archives), by name.
    pub dependencies: Vec<Chart>,
}

impl Chart {
    /// The chart's name.
    pub fn name(&self) -> &str {
        &self.metadata.name
    }

    /// Files under `crds/` with a manifest extension, in load order.
    pub fn crd_files(&self) -> impl Iterator<Item = &File> {
        self.files.iter().filter(|f| {
            f.name.starts_with("crds/")
                && (f.name.ends_with(".yaml")
                    || f.name.ends_with(".yml")
                    || f.name.ends_with(".json"))
        })
    }
}
