//! The loaded chart: metadata, default values, schema, templates, other
//! files and subcharts, as Helm's `chart.Chart` holds them.

use std::borrow::Cow;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use crate::error::Error;
use crate::metadata::Metadata;

/// A file of a chart, by its chart-relative path (`/` separators).
///
/// Its content (a UTF-8 byte-order mark already stripped, as Helm does) is
/// in memory, or, for a file of a chart directory that loading and
/// rendering do not need (anything only `.Files` or `crds/` can reach), is
/// read from disk the first time it is asked for (see `loader`).
#[derive(Clone, Debug)]
pub struct File {
    /// Path relative to the chart root, e.g. `templates/deployment.yaml`.
    pub name: String,
    pub(crate) content: Content,
}

/// Where a file's bytes are.
#[derive(Clone, Debug)]
pub(crate) enum Content {
    /// Read at load (or given by the caller).
    Loaded(Arc<[u8]>),
    /// On disk, read once on first use; shared by the clones of the file.
    Deferred(Arc<DeferredRead>),
}

/// A file whose reading was put off until it is used.
#[derive(Debug)]
pub(crate) struct DeferredRead {
    /// Where to read it.
    pub(crate) path: PathBuf,
    /// Its path in the chart (for errors, worded as a load error).
    pub(crate) rel: String,
    data: OnceLock<Result<Arc<[u8]>, crate::error::LoadError>>,
}

impl File {
    /// A file with its content in memory.
    pub fn new(name: impl Into<String>, data: impl Into<Arc<[u8]>>) -> File {
        File {
            name: name.into(),
            content: Content::Loaded(data.into()),
        }
    }

    /// A file of a chart directory, read on first use from `path`.
    pub(crate) fn deferred(name: String, path: PathBuf) -> File {
        File {
            content: Content::Deferred(Arc::new(DeferredRead {
                path,
                rel: name.clone(),
                data: OnceLock::new(),
            })),
            name,
        }
    }

    /// The same content under another name (a subchart's files are
    /// renamed relative to the subchart).
    pub(crate) fn renamed(self, name: String) -> File {
        File {
            name,
            content: self.content,
        }
    }

    /// The content. A file put off at load is read now (once); it can
    /// fail only if the file changed or became unreadable since the chart
    /// was loaded, and the error then reads as Helm's load error would.
    pub fn data(&self) -> Result<&[u8], Error> {
        self.content.get().map(|d| &d[..])
    }

    /// The content as a shared buffer (see [`File::data`]).
    pub fn shared(&self) -> Result<Arc<[u8]>, Error> {
        self.content.get().cloned()
    }

    /// The content as text: borrowed when it is UTF-8 (the usual case),
    /// else with invalid sequences replaced as Go's string conversion
    /// prints them (see [`File::data`] for when it fails).
    pub fn text(&self) -> Result<Cow<'_, str>, Error> {
        self.data().map(lossy)
    }
}

impl Content {
    /// The bytes, reading a deferred file on first use.
    pub(crate) fn get(&self) -> Result<&Arc<[u8]>, Error> {
        match self {
            Content::Loaded(data) => Ok(data),
            Content::Deferred(d) => d
                .data
                .get_or_init(|| crate::chart_dir::read_deferred(&d.path, &d.rel))
                .as_ref()
                .map_err(|e| Error::Load(e.clone())),
        }
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
