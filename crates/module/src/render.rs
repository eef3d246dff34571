//! A module rendered as DKP renders it: the module folder is the chart
//! (with a `Chart.yaml` synthesized from the module name when the folder
//! has none), the release is named after the module and lives in the
//! module's namespace, and the chart sees `{global, <valuesKey>}` values.
//!
//! `deckmod render` and the operator both render through [`render`], so
//! a module renders the same on a laptop and in a cluster.

use std::fmt;

use serde_json::Value;

use crate::module::{Module, ValuesError};

/// Why a module could not be rendered.
#[derive(Debug)]
pub enum RenderError {
    /// The values did not validate (each violation by JSON pointer).
    Values(ValuesError),
    /// The chart could not be loaded or rendered (Helm's own error).
    Chart(chart::Error),
}

impl fmt::Display for RenderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RenderError::Values(e) => e.fmt(f),
            RenderError::Chart(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for RenderError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            RenderError::Values(e) => Some(e),
            RenderError::Chart(e) => Some(e),
        }
    }
}

impl RenderError {
    /// The values key of a platform image digest the render needed and
    /// the values lack (`global.modulesImages.digests.common.kubeRbacProxy`):
    /// lib-helm fails with `Image <module>.<image> has no digest`.
    pub fn missing_image_digest(&self) -> Option<String> {
        let RenderError::Chart(e) = self else {
            return None;
        };
        let text = e.to_string();
        let at = text.find("Image ")? + "Image ".len();
        let (image, _) = text[at..].split_once(" has no digest")?;
        let (module, name) = image.split_once('.')?;
        let word =
            |w: &str| !w.is_empty() && w.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        (word(module) && word(name))
            .then(|| format!("global.modulesImages.digests.{module}.{name}"))
    }

    /// For a missing image digest: how to supply it (a values file with a
    /// `global:` section, as `-f` takes it).
    pub fn supply_hint(&self) -> Option<String> {
        let key = self.missing_image_digest()?;
        let parts: Vec<&str> = key.split('.').collect();
        let mut yaml = String::new();
        for (depth, part) in parts.iter().enumerate() {
            yaml.push_str(&"  ".repeat(depth + 1));
            yaml.push_str(part);
            if depth + 1 == parts.len() {
                yaml.push_str(": sha256:<digest of the image>\n");
            } else {
                yaml.push_str(":\n");
            }
        }
        Some(format!(
            "the render needs {key}, which deckmod's default global values lack \
             (a cluster has it from the platform's images); supply it with -f FILE where FILE holds:\n{yaml}"
        ))
    }
}

impl From<ValuesError> for RenderError {
    fn from(e: ValuesError) -> Self {
        RenderError::Values(e)
    }
}

impl From<chart::Error> for RenderError {
    fn from(e: chart::Error) -> Self {
        RenderError::Chart(e)
    }
}

/// Cluster facts a render takes besides values.
#[derive(Debug, Clone, Default)]
pub struct RenderTarget {
    /// Release namespace; `None` is [`Module::namespace`].
    pub namespace: Option<String>,
    /// `.Capabilities.KubeVersion` (`None`: Helm's default).
    pub kube_version: Option<String>,
    /// Extra `.Capabilities.APIVersions`.
    pub api_versions: Vec<String>,
    /// `.Release.IsUpgrade`.
    pub is_upgrade: bool,
}

impl Module {
    /// The release namespace: module.yaml `namespace`, else `d8-<module>`.
    pub fn namespace(&self) -> String {
        self.definition
            .namespace
            .clone()
            .unwrap_or_else(|| format!("d8-{}", self.name()))
    }

    /// Whether the module has something for Helm to render (`templates/`
    /// or a `Chart.yaml`); addon-operator skips the Helm step otherwise.
    pub fn has_chart(&self) -> bool {
        self.root.join("templates").is_dir() || self.root.join("Chart.yaml").is_file()
    }

    /// Load the module folder as a chart, synthesizing the `Chart.yaml`
    /// DKP gives modules without one (`name: <module>`, `version: 0.0.1`).
    pub fn load_chart(&self) -> Result<chart::Chart, chart::Error> {
        let mut files = chart::loader::dir_files(&self.root)?;
        if !files.iter().any(|f| f.name == "Chart.yaml") {
            let header = format!("name: {}\nversion: 0.0.1\n", self.name());
            files.insert(0, chart::File::new("Chart.yaml", header.into_bytes()));
        }
        chart::loader::load_files(files)
    }

    /// The chart's render options for `target`: release named after the
    /// module, in its namespace unless the target names another.
    pub fn render_options(&self, target: &RenderTarget) -> chart::RenderOptions {
        chart::RenderOptions {
            release_name: self.name().to_string(),
            namespace: target.namespace.clone().unwrap_or_else(|| self.namespace()),
            is_upgrade: target.is_upgrade,
            kube_version: target.kube_version.clone(),
            api_versions: target.api_versions.clone(),
        }
    }
}

/// Render `module`'s loaded `chart` with template values (as
/// [`Module::template_values`] returns them).
pub fn render(
    module: &Module,
    chart: &chart::Chart,
    values: &Value,
    target: &RenderTarget,
) -> Result<chart::Rendered, RenderError> {
    Ok(chart::render(
        chart,
        values,
        &module.render_options(target),
    )?)
}

/// [`render`], handing the render's working data to the caller (see
/// [`chart::Scratch`]).
pub fn render_keeping_scratch<'a>(
    module: &Module,
    chart: &'a chart::Chart,
    values: &Value,
    target: &RenderTarget,
) -> Result<(chart::Rendered, chart::Scratch<'a>), RenderError> {
    Ok(chart::render_keeping_scratch(
        chart,
        values,
        &module.render_options(target),
    )?)
}
