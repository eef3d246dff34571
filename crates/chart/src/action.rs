//! A client-side install render, step for step as `helm template` runs it
//! (`action.Install` with `DryRun` and `ClientOnly`): check the chart is
//! installable and its dependencies present, validate the release name,
//! process dependencies, coalesce values, render, pull out NOTES, sort
//! manifests and hooks. Printing them as `helm template` does is [`crate::print`](mod@crate::print)'s.

use std::collections::BTreeMap;

use gotmpl::{Map, Value};

use crate::chart::Chart;
use crate::coalesce;
use crate::dependencies;
use crate::engine;
use crate::error::{DependencyError, Error, OptionsError, TemplateCause, TemplateError};
use crate::manifest::{self, Hook, Manifest};
use crate::node::Node;
use crate::objects::{Capabilities, KubeVersion};
use crate::print::{PrintOptions, print};
use crate::semver::is_compatible_range;

/// Release settings of a render.
#[derive(Debug, Clone)]
pub struct RenderOptions {
    /// `.Release.Name`.
    pub release_name: String,
    /// `.Release.Namespace`.
    pub namespace: String,
    /// `.Release.IsUpgrade` (and not `IsInstall`).
    pub is_upgrade: bool,
    /// `--kube-version`; `None` is [`crate::objects::DEFAULT_KUBE_VERSION`].
    pub kube_version: Option<String>,
    /// `-a/--api-versions`, added to the default set.
    pub api_versions: Vec<String>,
}

impl Default for RenderOptions {
    fn default() -> Self {
        RenderOptions {
            release_name: "release-name".into(),
            namespace: "default".into(),
            is_upgrade: false,
            kube_version: None,
            api_versions: Vec::new(),
        }
    }
}

/// A CRD file to print (from some chart's `crds/`).
#[derive(Debug, Clone)]
pub struct CrdFile {
    /// `CHART/crds/x.yaml` (`CHART/charts/SUB/crds/...` for subcharts).
    pub path: String,
    /// The file, verbatim.
    pub content: String,
}

/// What a render produced.
#[derive(Debug, Clone, Default)]
pub struct Rendered {
    /// Plain manifests in install order.
    pub manifests: Vec<Manifest>,
    /// Hooks, sorted by kind.
    pub hooks: Vec<Hook>,
    /// CRD files of the enabled charts, parents first.
    pub crds: Vec<CrdFile>,
    /// The root chart's rendered `NOTES.txt`.
    pub notes: String,
    /// Non-fatal messages Helm would log to stderr.
    pub warnings: Vec<String>,
}

impl Rendered {
    /// The manifest Helm stores in a release record: every plain manifest
    /// (no CRDs from `crds/`, no hooks) as `---\n# Source: PATH\nTEXT\n`.
    pub fn release_manifest(&self) -> String {
        let mut out = String::new();
        for m in &self.manifests {
            out.push_str(&format!("---\n# Source: {}\n{}\n", m.name, m.content));
        }
        out
    }
}

/// The pattern Helm validates release names with (quoted in its error).
pub(crate) const RELEASE_NAME_PATTERN: &str =
    r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";

/// Whether `name` matches [`RELEASE_NAME_PATTERN`]: `.`-separated labels,
/// each non-empty, of lower-case letters, digits and `-`, not starting or
/// ending with `-`.
fn is_release_name(name: &str) -> bool {
    name.split('.').all(|label| {
        let b = label.as_bytes();
        let alnum = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit();
        b.first().is_some_and(alnum)
            && b.last().is_some_and(alnum)
            && b.iter().all(|c| alnum(c) || *c == b'-')
    })
}

/// Helm's `ValidateReleaseName`.
pub fn validate_release_name(name: &str) -> Result<(), Error> {
    if name.is_empty() {
        return Err(OptionsError::NoReleaseName.into());
    }
    if name.len() > 53 || !is_release_name(name) {
        return Err(OptionsError::InvalidReleaseName {
            name: name.to_string(),
        }
        .into());
    }
    Ok(())
}

/// Checks `helm template` makes on the loaded chart before rendering.
pub fn check_installable(chart: &Chart) -> Result<(), Error> {
    if !matches!(chart.metadata.chart_type.as_str(), "" | "application") {
        return Err(OptionsError::NotInstallable {
            chart_type: chart.metadata.chart_type.clone(),
        }
        .into());
    }
    if let Some(reqs) = &chart.metadata.dependencies {
        let missing: Vec<String> = reqs
            .iter()
            .filter(|r| !chart.dependencies.iter().any(|d| d.name() == r.name))
            .map(|r| r.name.clone())
            .collect();
        if !missing.is_empty() {
            return Err(DependencyError::Missing { names: missing }.into());
        }
    }
    Ok(())
}

fn collect_crds(
    node: &Node<'_>,
    parent: Option<&str>,
    out: &mut Vec<CrdFile>,
) -> Result<(), Error> {
    let path = match parent {
        None => node.name().to_string(),
        Some(p) => format!("{p}/charts/{}", node.name()),
    };
    for f in node.chart.crd_files() {
        out.push(CrdFile {
            path: format!("{path}/{}", f.name),
            content: f.text()?.into_owned(),
        });
    }
    for d in &node.deps {
        collect_crds(d, Some(&path), out)?;
    }
    Ok(())
}

/// The working data of a render (parse trees, the chart tree, coalesced
/// values, unsorted output), handed to the caller of
/// [`render_keeping_scratch`], which decides when it is freed: freeing it
/// piece by piece costs about 7% of a large chart's `deckmod template`
/// (BENCHMARKS.md), wasted work in a process that exits right after.
/// Dropping it frees it as [`render`] does. It holds template values, so it
/// stays on the thread that rendered, and borrows the chart.
pub struct Scratch<'a>(Vec<Box<dyn Leftover + 'a>>);

/// Anything a render leaves behind (only ever dropped or forgotten).
trait Leftover {}
impl<T> Leftover for T {}

impl std::fmt::Debug for Scratch<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Scratch({} parts)", self.0.len())
    }
}

/// Render `chart` with user values `values` (as [`crate::ValueOptions::merge`]
/// returns them) the way `helm template` does, up to sorted manifests.
pub fn render(
    chart: &Chart,
    values: &serde_json::Value,
    opts: &RenderOptions,
) -> Result<Rendered, Error> {
    render_keeping_scratch(chart, values, opts).map(|(rendered, _scratch)| rendered)
}

/// [`render`], handing the render's working data to the caller instead of
/// freeing it (see [`Scratch`]).
pub fn render_keeping_scratch<'a>(
    chart: &'a Chart,
    values: &serde_json::Value,
    opts: &RenderOptions,
) -> Result<(Rendered, Scratch<'a>), Error> {
    validate_release_name(&opts.release_name)?;
    let mut warnings = Vec::new();
    let user = Value::from_json_user_values(values);
    let mut root = Node::new(chart);
    dependencies::process(&mut root, &user, &mut warnings)?;

    let mut caps = Capabilities::default();
    if let Some(v) = &opts.kube_version {
        caps.kube = KubeVersion::parse(v).map_err(OptionsError::from)?;
    }
    caps.api_versions.extend(opts.api_versions.iter().cloned());

    let vals = coalesce::coalesce_values(&root, &user, &mut warnings)?;
    crate::schema::validate(&root, &Value::Map(vals.clone()))?;

    if !root.meta.kube_version.is_empty()
        && !is_compatible_range(&root.meta.kube_version, &caps.kube.version)
    {
        return Err(Error::Render(TemplateError::with_cause(
            format!(
                "chart requires kubeVersion: {} which is incompatible with Kubernetes {}",
                root.meta.kube_version, caps.kube.version
            ),
            TemplateCause::IncompatibleKubeVersion {
                required: root.meta.kube_version.clone(),
                kubernetes: caps.kube.version.clone(),
            },
        )));
    }

    let mut release = Map::new();
    release.insert("Name".into(), Value::str(&opts.release_name));
    release.insert("Namespace".into(), Value::str(&opts.namespace));
    release.insert("IsUpgrade".into(), Value::Bool(opts.is_upgrade));
    release.insert("IsInstall".into(), Value::Bool(!opts.is_upgrade));
    release.insert("Revision".into(), Value::Int(1));
    release.insert("Service".into(), Value::str("Helm"));
    let mut top = Map::new();
    top.insert("Release".into(), Value::map(release));
    top.insert("Capabilities".into(), caps.to_value());
    top.insert("Values".into(), Value::Map(vals));
    let parsed = engine::parse(engine::sources(&root))?;
    let mut files = engine::execute(&root, &parsed, &Value::map(top))?;

    let notes_path = format!("{}/templates/NOTES.txt", root.name());
    let mut notes = String::new();
    files.retain(|k, v| {
        if !k.ends_with("NOTES.txt") {
            return true;
        }
        if *k == notes_path {
            notes = v.clone();
        }
        false
    });
    let sorted = manifest::sort_manifests(&files).map_err(|e| {
        Error::Render(TemplateError::with_cause(
            e.to_string(),
            TemplateCause::Manifest(Box::new(e)),
        ))
    })?;
    warnings.extend(sorted.notices);
    let mut crds = Vec::new();
    collect_crds(&root, None, &mut crds)?;
    let rendered = Rendered {
        manifests: sorted.manifests,
        hooks: sorted.hooks,
        crds,
        notes,
        warnings,
    };
    let scratch = Scratch(vec![
        Box::new(parsed),
        Box::new(root),
        Box::new(user),
        Box::new(files),
    ]);
    Ok((rendered, scratch))
}

/// Render and print in one step, as `helm template` does.
pub fn template(
    chart: &Chart,
    values: &serde_json::Value,
    render_opts: &RenderOptions,
    print_opts: &PrintOptions,
) -> Result<(String, Vec<String>), Error> {
    check_installable(chart)?;
    let rendered = render(chart, values, render_opts)?;
    let text = print(&rendered, print_opts)?;
    Ok((text, rendered.warnings))
}

/// Rendered text by template path (for callers that want files, not a stream).
pub fn manifests_by_file(rendered: &Rendered) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for m in &rendered.manifests {
        out.entry(m.name.clone())
            .or_default()
            .push(m.content.clone());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn release_name_check_agrees_with_helms_regex() {
        let re = regex::Regex::new(RELEASE_NAME_PATTERN).unwrap();
        let parts = ["a", "z", "0", "9", "-", ".", "A", "_", "\n", "é"];
        let mut rng = testkit::XorShift::new(0x9E37_79B9_7F4A_7C15);
        let mut valid = 0;
        for _ in 0..100_000 {
            let name = rng.text(&parts, 8);
            let want = re.is_match(&name);
            assert_eq!(is_release_name(&name), want, "{name:?}");
            valid += usize::from(want);
        }
        assert!(valid > 1000, "{valid}");
        assert!(validate_release_name("my-release.v1").is_ok());
        assert!(
            validate_release_name("Bad")
                .unwrap_err()
                .to_string()
                .contains(RELEASE_NAME_PATTERN)
        );
    }
}
