//! Errors of loading and rendering charts, worded as Helm words them
//! (the CLI prints them after `Error: `).

use std::path::PathBuf;
use std::sync::Arc;

/// Something went wrong loading, preparing or rendering a chart. Each
/// variant keeps the error of its step, with the data a caller can act on
/// (which file, which line, which values field).
#[derive(Debug, Clone, thiserror::Error)]
pub enum Error {
    /// A chart file could not be read or is malformed.
    #[error("{0}")]
    Load(#[from] LoadError),
    /// `Chart.yaml` breaks Helm's metadata rules.
    #[error("validation: {0}")]
    Validation(#[from] crate::metadata::MetadataError),
    /// User values (`-f`, `--set...`) could not be read or parsed.
    #[error("{0}")]
    Values(#[from] crate::user_values::ValuesError),
    /// The coalesced values break a chart's `values.schema.json`.
    #[error("{0}")]
    Schema(#[from] crate::schema::SchemaError),
    /// The chart's dependencies, or the values they are given, cannot be
    /// used (missing subcharts, bad `import-values`, a subchart's values
    /// that are not a map).
    #[error("{0}")]
    Dependency(#[from] DependencyError),
    /// The release name, Kubernetes version or chart type of the render
    /// are refused before anything is rendered.
    #[error("{0}")]
    Options(#[from] OptionsError),
    /// A template failed to parse or execute (Helm's wording, with
    /// gotmpl's error as its source).
    #[error("{0}")]
    Render(#[source] TemplateError),
    /// A `--show-only` pattern matched no rendered template.
    #[error("could not find template {pattern} in chart")]
    TemplateNotFound {
        /// The pattern as given.
        pattern: String,
    },
    /// [`crate::print`] was asked to write files (`--output-dir`), which
    /// needs [`crate::print_with`].
    #[error("cannot write {file}: printing to files needs chart::print_with")]
    CannotWrite {
        /// The file that would have been written.
        file: String,
    },
}

/// A chart file (or the chart itself) could not be read, or is malformed.
/// I/O errors are shared (`Arc`) so that a file read on first use can
/// report the same error each time it is asked for.
#[derive(Debug, Clone, thiserror::Error)]
pub enum LoadError {
    /// The chart path does not exist (worded as Helm's `LocateChart`:
    /// local paths are reported missing, other names are taken for
    /// repository charts).
    #[error("{}", not_found_text(.path))]
    NotFound {
        /// The path as given.
        path: PathBuf,
    },
    /// The chart path could not be examined.
    #[error("stat {}: {}", .path.display(), gostd::os::io_error(.source))]
    Stat {
        /// The path as given.
        path: PathBuf,
        /// The OS error.
        source: Arc<std::io::Error>,
    },
    /// A chart archive, directory or file under it could not be read.
    #[error("{}: {source}", .path.display())]
    Io {
        /// The path (under the chart directory as given).
        path: PathBuf,
        /// The OS error.
        source: Arc<std::io::Error>,
    },
    /// A chart file could not be read (Helm's `error reading FILE`).
    #[error("error reading {file}: {source}")]
    ReadFile {
        /// The file's path in the chart.
        file: String,
        /// The OS error.
        source: Arc<std::io::Error>,
    },
    /// A chart file is over Helm's size limit for one file.
    #[error("chart file \"{name}\" is larger than the maximum file size {limit}")]
    FileTooLarge {
        /// The file's base name.
        name: String,
        /// The limit in bytes.
        limit: u64,
    },
    /// An archive's content is over Helm's size limit for a chart.
    #[error("decompressed chart is larger than the maximum size {limit}")]
    ArchiveTooLarge {
        /// The limit in bytes.
        limit: u64,
    },
    /// The chart path is a YAML file, not a chart archive.
    #[error("file '{}' seems to be a YAML file, but expected a gzipped archive", .path.display())]
    YamlNotArchive {
        /// The path as given.
        path: PathBuf,
    },
    /// The chart path is a file that is not gzipped.
    #[error("file '{}' does not appear to be a gzipped archive; got '{content_type}'", .path.display())]
    NotGzip {
        /// The path as given.
        path: PathBuf,
        /// Its content type as Go's `http.DetectContentType` sniffs it.
        content_type: &'static str,
    },
    /// The archive is not a readable gzipped tar stream.
    #[error("{source}")]
    Archive {
        /// The decoder's error.
        source: Arc<std::io::Error>,
    },
    /// An archive entry's path is refused (path traversal and the like).
    #[error("{}", .reason.text(.entry))]
    UnsafeEntry {
        /// The entry's path as stored in the archive.
        entry: String,
        /// What is wrong with it.
        reason: UnsafeEntry,
    },
    /// The archive holds no files.
    #[error("no files in chart archive")]
    EmptyArchive,
    /// The chart has no `Chart.yaml`.
    #[error("Chart.yaml file is missing")]
    MissingChartYaml,
    /// A chart file (`Chart.yaml`, `values.yaml`, `requirements.yaml`) is
    /// not valid YAML.
    #[error("cannot load {file}: {source}")]
    Yaml {
        /// The file's name.
        file: String,
        /// The YAML error, with its line and column.
        source: YamlError,
    },
    /// A chart file is YAML of the wrong shape (a list where a map is
    /// due, a map for a string field).
    #[error("cannot load {file}: {source}")]
    Unmarshal {
        /// The file's name.
        file: String,
        /// What was found where.
        source: UnmarshalError,
    },
    /// A file of the chart directory is not a regular file.
    #[error("cannot load irregular file {} as it has file mode type bits set", .path.display())]
    IrregularFile {
        /// The path (under the chart directory as given).
        path: PathBuf,
    },
    /// The chart's `.helmignore` has a rule Helm refuses.
    #[error("{0}")]
    Ignore(#[from] crate::ignore::IgnoreError),
    /// A subchart archive under `charts/` holds another name.
    #[error("error unpacking subchart tar in {chart}: expected {expected}, got {got}")]
    SubchartArchiveName {
        /// The parent chart.
        chart: String,
        /// The archive's name.
        expected: String,
        /// The file found.
        got: String,
    },
    /// A subchart under `charts/` does not load.
    #[error("error unpacking {name} in {chart}: {source}")]
    Subchart {
        /// The subchart's directory or archive name under `charts/`.
        name: String,
        /// The parent chart.
        chart: String,
        /// The subchart's error.
        source: Box<Error>,
    },
}

/// Why an archive entry's path is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnsafeEntry {
    /// An absolute path.
    Absolute,
    /// A path that cleans to the archive's top directory itself.
    OutsideBase,
    /// A path reaching above the chart (`..`).
    ParentDirectory,
    /// A path starting with a drive letter (`c:`).
    DriveLetter,
    /// `Chart.yaml` outside the chart's top directory.
    ChartYamlNotInBase,
}

impl UnsafeEntry {
    fn text(self, entry: &str) -> String {
        match self {
            UnsafeEntry::Absolute => "chart illegally contains absolute paths".into(),
            UnsafeEntry::OutsideBase => format!(
                "chart illegally contains content outside the base directory: {}",
                gostd::strconv::quote(entry)
            ),
            UnsafeEntry::ParentDirectory => "chart illegally references parent directory".into(),
            UnsafeEntry::DriveLetter => "chart contains illegally named files".into(),
            UnsafeEntry::ChartYamlNotInBase => "chart yaml not in base directory".into(),
        }
    }
}

/// Helm's `LocateChart` wording for a chart path that does not exist.
fn not_found_text(path: &std::path::Path) -> String {
    let name = path.to_string_lossy();
    if path.is_absolute() || name.starts_with('.') {
        format!("path \"{name}\" not found")
    } else if let Some((repo, _)) = name.split_once('/') {
        format!("repo {repo} not found")
    } else {
        format!("non-absolute URLs should be in form of repo_name/path_to_chart, got: {name}")
    }
}

/// A YAML text that does not parse, worded as `sigs.k8s.io/yaml` words it
/// (`error converting YAML to JSON: yaml: line 3: ...`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("error converting YAML to JSON: yaml: {}{}", .source.pos.map(|p| format!("line {}: ", p.line)).unwrap_or_default(), .source.message)]
pub struct YamlError {
    /// The parser's error: its message and position.
    pub source: goyaml::Error,
}

impl YamlError {
    /// The 1-based line of the error, when known.
    pub fn line(&self) -> Option<usize> {
        self.source.pos.map(|p| p.line)
    }

    /// The 1-based column of the error, when known.
    pub fn column(&self) -> Option<usize> {
        self.source.pos.map(|p| p.col)
    }
}

impl From<goyaml::Error> for YamlError {
    fn from(source: goyaml::Error) -> Self {
        YamlError { source }
    }
}

/// YAML of the wrong shape for what it is decoded into, worded as Go's
/// `encoding/json` words it (`json: cannot unmarshal array into Go value
/// of type map[string]interface {}`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {found} into Go {}of type {go_type}", .into.text())]
pub struct UnmarshalError {
    /// The JSON kind found (`array`, `string`, ...).
    pub found: &'static str,
    /// What it was decoded into.
    pub into: UnmarshalTarget,
    /// The Go type expected.
    pub go_type: String,
}

/// Where an [`UnmarshalError`]'s value was decoded into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnmarshalTarget {
    /// A whole value (`Go value of type ...`).
    Value,
    /// A whole struct (`Go struct of type ...`).
    Struct,
    /// A struct field, by Go's name of it (`.name`, `SimpleHead.kind`).
    Field(String),
}

impl UnmarshalTarget {
    fn text(&self) -> String {
        match self {
            UnmarshalTarget::Value => "value ".into(),
            UnmarshalTarget::Struct => "struct ".into(),
            UnmarshalTarget::Field(f) => format!("struct field {f} "),
        }
    }
}

/// A chart's dependencies, or the values given to them, cannot be used.
#[derive(Debug, Clone, thiserror::Error)]
pub enum DependencyError {
    /// Dependencies `Chart.yaml` lists are not under `charts/`.
    #[error(
        "An error occurred while checking for chart dependencies. You may need to run `helm dependency build` to fetch missing dependencies: found in Chart.yaml, but missing in charts/ directory: {}",
        .names.join(", ")
    )]
    Missing {
        /// The missing dependencies' names.
        names: Vec<String>,
    },
    /// An `import-values` entry's `child` or `parent` is not a string.
    #[error("import-values of dependency {dependency}: '{field}' must be a string")]
    ImportValues {
        /// The dependency's name.
        dependency: String,
        /// `child` or `parent`.
        field: &'static str,
    },
    /// The values under a subchart's name are not a map.
    #[error("type mismatch on {subchart}: {found}")]
    ValuesNotMap {
        /// The subchart's name.
        subchart: String,
        /// The value found, as Go's `%t` prints it (`%!t(string=x)`).
        found: String,
    },
}

/// The render's options or the chart's type are refused before rendering.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OptionsError {
    /// No release name.
    #[error("no name provided")]
    NoReleaseName,
    /// The release name is not a DNS-1123 subdomain of at most 53 bytes.
    #[error(
        "release name {}: invalid release name, must match regex {} and the length must not be longer than 53",
        gostd::strconv::quote(.name),
        crate::action::RELEASE_NAME_PATTERN
    )]
    InvalidReleaseName {
        /// The name given.
        name: String,
    },
    /// The Kubernetes version is not a semantic version.
    #[error("{0}")]
    KubeVersion(#[from] crate::objects::KubeVersionError),
    /// The chart's type cannot be installed (a library chart).
    #[error("{chart_type} charts are not installable")]
    NotInstallable {
        /// The chart's `type`.
        chart_type: String,
    },
}

/// A render failure as Helm words it (`execution error at (c/templates/x.yaml:3:4): ...`),
/// keeping the template engine's error, when there is one, as its source:
/// which template, line and column, and the cause (a function's error).
#[derive(Debug, Clone)]
pub struct TemplateError {
    message: String,
    cause: Option<TemplateCause>,
}

/// What failed behind a [`TemplateError`]: the template engine, the
/// rendered manifests, or the chart's `kubeVersion` constraint.
#[derive(Debug, Clone)]
pub enum TemplateCause {
    /// The template text did not parse.
    Parse(gotmpl::ParseError),
    /// Executing the template failed.
    Exec(gotmpl::ExecError),
    /// A rendered manifest does not sort (its head is not valid YAML).
    Manifest(Box<crate::manifest::SortError>),
    /// The chart's `kubeVersion` excludes the render's Kubernetes version.
    IncompatibleKubeVersion {
        /// The chart's `kubeVersion` constraint.
        required: String,
        /// The Kubernetes version of the render (`v1.31.0`).
        kubernetes: String,
    },
}

impl TemplateError {
    /// A failure with Helm's `message` and no cause behind it.
    pub fn message(message: impl Into<String>) -> TemplateError {
        TemplateError {
            message: message.into(),
            cause: None,
        }
    }

    /// Helm's `message` for `cause`.
    pub fn with_cause(message: impl Into<String>, cause: TemplateCause) -> TemplateError {
        TemplateError {
            message: message.into(),
            cause: Some(cause),
        }
    }

    /// What failed, when known.
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
            TemplateCause::Manifest(_) | TemplateCause::IncompatibleKubeVersion { .. } => None,
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
            TemplateCause::Manifest(e) => Some(e),
            TemplateCause::IncompatibleKubeVersion { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::error::Error as _;
    use std::path::Path;

    use super::*;
    use crate::chart::File;
    use crate::loader::{load, load_files};

    fn file(name: &str, data: &str) -> File {
        File::new(name, data.as_bytes())
    }

    const CHART_YAML: &str = "apiVersion: v2\nname: c\nversion: 1.0.0\n";

    #[test]
    fn a_missing_chart_is_not_found_with_its_path() {
        let err = load(Path::new("/no/such/chart")).unwrap_err();
        assert!(
            matches!(&err, Error::Load(LoadError::NotFound { path }) if path == Path::new("/no/such/chart")),
            "{err:?}"
        );
    }

    #[test]
    fn malformed_chart_yaml_keeps_file_line_and_the_parser_error() {
        let err = load_files(vec![file("Chart.yaml", "name: [\n")]).unwrap_err();
        let Error::Load(LoadError::Yaml { file, source }) = &err else {
            panic!("{err:?}");
        };
        assert_eq!(file, "Chart.yaml");
        assert!(source.line().is_some());
        // The chain reaches goyaml's error.
        let inner = err
            .source()
            .and_then(|e| e.source())
            .and_then(|e| e.source());
        assert!(inner.is_some_and(|e| e.is::<goyaml::Error>()), "{inner:?}");
    }

    #[test]
    fn values_yaml_of_the_wrong_shape_is_an_unmarshal_error() {
        let err = load_files(vec![
            file("Chart.yaml", CHART_YAML),
            file("values.yaml", "- 1\n"),
        ])
        .unwrap_err();
        assert!(
            matches!(
                &err,
                Error::Load(LoadError::Unmarshal { file, source })
                    if file == "values.yaml" && source.found == "array" && source.into == UnmarshalTarget::Value
            ),
            "{err:?}"
        );
    }

    #[test]
    fn metadata_rules_and_missing_chart_yaml_have_their_kinds() {
        let err =
            load_files(vec![file("Chart.yaml", "apiVersion: v2\nversion: 1.0.0\n")]).unwrap_err();
        assert!(
            matches!(
                err,
                Error::Validation(crate::metadata::MetadataError::MissingName)
            ),
            "{err:?}"
        );
        let err = load_files(vec![file("values.yaml", "")]).unwrap_err();
        assert!(
            matches!(err, Error::Load(LoadError::MissingChartYaml)),
            "{err:?}"
        );
    }

    #[test]
    fn a_broken_subchart_keeps_its_own_error_as_source() {
        let err = load_files(vec![
            file("Chart.yaml", CHART_YAML),
            file("charts/sub/values.yaml", ""),
        ])
        .unwrap_err();
        let Error::Load(LoadError::Subchart {
            name,
            chart,
            source,
        }) = &err
        else {
            panic!("{err:?}");
        };
        assert_eq!((name.as_str(), chart.as_str()), ("sub", "c"));
        assert!(matches!(**source, Error::Load(LoadError::MissingChartYaml)));
    }

    #[test]
    fn user_values_errors_have_their_kinds() {
        use crate::user_values::{SetFlag, ValueOptions, ValuesError};
        let err = ValueOptions {
            value_files: vec!["/nonexistent/v.yaml".into()],
            ..Default::default()
        }
        .merge()
        .unwrap_err();
        assert!(
            matches!(&err, Error::Values(ValuesError::Read { source, .. }) if source.kind() == std::io::ErrorKind::NotFound),
            "{err:?}"
        );
        let dir = tempfile::tempdir().unwrap();
        let bad = dir.path().join("bad.yaml");
        std::fs::write(&bad, "a: 1\nb: [\n").unwrap();
        let err = ValueOptions {
            value_files: vec![bad.clone()],
            ..Default::default()
        }
        .merge()
        .unwrap_err();
        assert!(
            matches!(&err, Error::Values(ValuesError::Yaml { path, source }) if *path == bad && source.line().is_some()),
            "{err:?}"
        );
        let err = ValueOptions {
            file_values: vec!["k=/nonexistent/f.txt".into()],
            ..Default::default()
        }
        .merge()
        .unwrap_err();
        let Error::Values(ValuesError::Set {
            flag: SetFlag::SetFile,
            source: crate::strvals::ParseError::ReadFile { path, .. },
            ..
        }) = &err
        else {
            panic!("{err:?}");
        };
        assert_eq!(path, "/nonexistent/f.txt");
        let err = ValueOptions {
            values: vec!["a".into()],
            ..Default::default()
        }
        .merge()
        .unwrap_err();
        assert!(
            matches!(
                &err,
                Error::Values(ValuesError::Set {
                    flag: SetFlag::Set,
                    source: crate::strvals::ParseError::Syntax { .. },
                    ..
                })
            ),
            "{err:?}"
        );
    }

    fn render(files: Vec<File>, values: serde_json::Value) -> Result<crate::Rendered, Error> {
        let chart = load_files(files)?;
        crate::render(&chart, &values, &crate::RenderOptions::default())
    }

    #[test]
    fn schema_violations_carry_chart_field_and_pointer() {
        let schema = r#"{"properties":{"a":{"properties":{"b/c":{"type":"integer"}}}}}"#;
        let err = render(
            vec![
                file("Chart.yaml", CHART_YAML),
                file("values.schema.json", schema),
            ],
            serde_json::json!({"a": {"b/c": "x"}}),
        )
        .unwrap_err();
        let Error::Schema(crate::schema::SchemaError { charts }) = &err else {
            panic!("{err:?}");
        };
        assert_eq!(charts.len(), 1);
        assert_eq!(charts[0].chart, "c");
        let crate::schema::SchemaProblem::Violations(v) = &charts[0].problem else {
            panic!("{:?}", charts[0].problem);
        };
        assert_eq!(v[0].field, "a.b/c");
        assert_eq!(v[0].pointer, "/a/b~1c");
        let err = render(
            vec![
                file("Chart.yaml", CHART_YAML),
                file("values.schema.json", "{"),
            ],
            serde_json::json!({}),
        )
        .unwrap_err();
        assert!(
            matches!(&err, Error::Schema(e) if matches!(e.charts[0].problem, crate::schema::SchemaProblem::Invalid(_))),
            "{err:?}"
        );
    }

    #[test]
    fn options_and_dependencies_have_their_kinds() {
        let err = crate::action::validate_release_name("Bad_Name").unwrap_err();
        assert!(
            matches!(&err, Error::Options(OptionsError::InvalidReleaseName { name }) if name == "Bad_Name"),
            "{err:?}"
        );
        let chart = load_files(vec![file(
            "Chart.yaml",
            "apiVersion: v2\nname: c\nversion: 1.0.0\ndependencies:\n- name: a\n- name: b\n",
        )])
        .unwrap();
        let err = crate::action::check_installable(&chart).unwrap_err();
        assert!(
            matches!(&err, Error::Dependency(DependencyError::Missing { names }) if names == &["a", "b"]),
            "{err:?}"
        );
        let chart = load_files(vec![file("Chart.yaml", CHART_YAML)]).unwrap();
        let opts = crate::RenderOptions {
            kube_version: Some("banana".into()),
            ..Default::default()
        };
        let err = crate::render(&chart, &serde_json::json!({}), &opts).unwrap_err();
        assert!(
            matches!(&err, Error::Options(OptionsError::KubeVersion(k)) if k.version == "banana"),
            "{err:?}"
        );
    }

    #[test]
    fn render_failures_keep_what_failed() {
        let err = render(
            vec![
                file(
                    "Chart.yaml",
                    "apiVersion: v2\nname: c\nversion: 1.0.0\nkubeVersion: '<1.0.0'\n",
                ),
                file("templates/a.yaml", "a: 1\n"),
            ],
            serde_json::json!({}),
        )
        .unwrap_err();
        let Error::Render(t) = &err else {
            panic!("{err:?}");
        };
        assert!(
            matches!(t.cause(), Some(TemplateCause::IncompatibleKubeVersion { required, .. }) if required == "<1.0.0"),
            "{err:?}"
        );
        let err = render(
            vec![
                file("Chart.yaml", CHART_YAML),
                file("templates/a.yaml", "a: [\n"),
            ],
            serde_json::json!({}),
        )
        .unwrap_err();
        let Error::Render(t) = &err else {
            panic!("{err:?}");
        };
        let Some(TemplateCause::Manifest(sort)) = t.cause() else {
            panic!("{err:?}");
        };
        assert_eq!(sort.path, "c/templates/a.yaml");
        assert!(matches!(sort.source, crate::manifest::HeadError::Yaml(_)));
    }
}
