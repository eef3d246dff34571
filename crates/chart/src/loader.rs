//! Loading charts from directories and `.tgz` archives, as Helm's
//! `chart/loader` does: `.helmignore` applied to directories, files
//! visited in Go's walk order, subcharts under `charts/` (directories and
//! archives), archives checked against path traversal and size bombs.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use crate::chart::{Chart, File};
use crate::chart_dir::strip_bom;
use crate::error::{Error, LoadError, UnmarshalError, UnmarshalTarget, UnsafeEntry, YamlError};
use crate::metadata::{API_VERSION_V1, Metadata};

/// Largest total size of an archive's decompressed files (Helm: 100 MiB).
const MAX_DECOMPRESSED_CHART_SIZE: u64 = 100 * 1024 * 1024;

/// Load a chart from a directory or a gzipped tar archive.
pub fn load(path: &Path) -> Result<Chart, Error> {
    let meta = std::fs::metadata(path).map_err(|e| stat_error(path, e))?;
    if meta.is_dir() {
        load_dir(path)
    } else {
        let data = std::fs::read(path).map_err(|e| LoadError::Io {
            path: path.to_path_buf(),
            source: Arc::new(e),
        })?;
        if !data.starts_with(&[0x1f, 0x8b]) {
            let name = path.display().to_string();
            if name.ends_with(".yml") || name.ends_with(".yaml") {
                return Err(LoadError::YamlNotArchive {
                    path: path.to_path_buf(),
                }
                .into());
            }
            return Err(LoadError::NotGzip {
                path: path.to_path_buf(),
                content_type: sniff_content_type(&data),
            }
            .into());
        }
        load_archive(&data)
    }
}

/// A chart path that cannot be examined: missing (Helm's `LocateChart`
/// words that by the path's shape), or another OS error.
fn stat_error(path: &Path, e: std::io::Error) -> LoadError {
    let path = path.to_path_buf();
    if e.kind() == std::io::ErrorKind::NotFound {
        LoadError::NotFound { path }
    } else {
        LoadError::Stat {
            path,
            source: Arc::new(e),
        }
    }
}

/// Go's `http.DetectContentType` of the first 512 bytes as Helm reads them
/// (a short file is zero-padded, so it looks binary).
fn sniff_content_type(data: &[u8]) -> &'static str {
    let head = &data[..data.len().min(512)];
    if data.len() < 512
        || head
            .iter()
            .any(|&b| b < 0x09 || (0x0e..0x20).contains(&b) && b != 0x1b)
    {
        return "application/octet-stream";
    }
    if std::str::from_utf8(head).is_ok() {
        "text/plain; charset=utf-8"
    } else {
        "application/octet-stream"
    }
}

/// Load a chart directory, honouring its `.helmignore`.
pub fn load_dir(dir: &Path) -> Result<Chart, Error> {
    load_files(dir_files(dir)?)
}

/// The files of a chart directory as Helm reads them (`.helmignore`
/// applied, Go's walk order), before they are sorted into a chart; lets a
/// caller add a file Helm would need (DKP synthesizes `Chart.yaml`).
/// Files that loading and rendering do not read are read on first use
/// (see [`File::data`]).
pub fn dir_files(dir: &Path) -> Result<Vec<File>, Error> {
    crate::chart_dir::dir_files(dir)
}

/// Load a chart from the bytes of a `.tgz` archive.
pub fn load_archive(data: &[u8]) -> Result<Chart, Error> {
    load_files(archive_files(data)?)
}

/// The files of a chart archive, with the top directory stripped; refuses
/// absolute paths, `..`, drive letters and oversized content.
fn archive_files(data: &[u8]) -> Result<Vec<File>, Error> {
    let gz = flate2::read::GzDecoder::new(data);
    let mut archive = tar::Archive::new(gz);
    let mut files = Vec::new();
    let mut remaining = MAX_DECOMPRESSED_CHART_SIZE;
    let archive_error = |e: std::io::Error| LoadError::Archive {
        source: Arc::new(e),
    };
    let entries = archive.entries().map_err(archive_error)?;
    for entry in entries {
        let mut entry = entry.map_err(archive_error)?;
        let kind = entry.header().entry_type();
        if kind.is_dir() || kind.is_pax_global_extensions() || kind.is_pax_local_extensions() {
            continue;
        }
        let raw = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let delimiter = if raw.contains('\\') { '\\' } else { '/' };
        let parts: Vec<&str> = raw.split(delimiter).collect();
        let joined = parts[1..].join("/");
        let unsafe_entry = |reason| LoadError::UnsafeEntry {
            entry: raw.clone(),
            reason,
        };
        if joined.starts_with('/') {
            return Err(unsafe_entry(UnsafeEntry::Absolute).into());
        }
        let name = gostd::path::clean(&joined);
        if name == "." {
            return Err(unsafe_entry(UnsafeEntry::OutsideBase).into());
        }
        if name.starts_with("..") {
            return Err(unsafe_entry(UnsafeEntry::ParentDirectory).into());
        }
        let b = name.as_bytes();
        if b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':' {
            return Err(unsafe_entry(UnsafeEntry::DriveLetter).into());
        }
        if parts[0] == "Chart.yaml" {
            return Err(unsafe_entry(UnsafeEntry::ChartYamlNotInBase).into());
        }
        let too_large = LoadError::ArchiveTooLarge {
            limit: MAX_DECOMPRESSED_CHART_SIZE,
        };
        let size = entry.header().size().unwrap_or(0);
        if size > remaining {
            return Err(too_large.into());
        }
        let mut buf = Vec::with_capacity(size as usize);
        (&mut entry)
            .take(remaining + 1)
            .read_to_end(&mut buf)
            .map_err(archive_error)?;
        if buf.len() as u64 > remaining {
            return Err(too_large.into());
        }
        remaining -= buf.len() as u64;
        files.push(File::new(name, strip_bom(&buf)));
    }
    if files.is_empty() {
        return Err(LoadError::EmptyArchive.into());
    }
    Ok(files)
}

/// Build a chart from its files (Helm's `LoadFiles`).
pub fn load_files(files: Vec<File>) -> Result<Chart, Error> {
    let mut chart = Chart::default();
    let mut have_metadata = false;
    // Subchart name → its files (paths relative to `charts/`), in first-seen order.
    let mut subcharts: BTreeMap<String, Vec<File>> = BTreeMap::new();
    for f in files {
        match f.name.as_str() {
            "Chart.yaml" => {
                let doc = goyaml::from_str(&f.text()?).map_err(|e| yaml_error("Chart.yaml", e))?;
                chart.metadata.merge_yaml(&doc, "Chart.yaml")?;
                if chart.metadata.api_version.is_empty() {
                    chart.metadata.api_version = API_VERSION_V1.into();
                }
                have_metadata = true;
            }
            "Chart.lock" | "requirements.lock" => {}
            "values.yaml" => {
                let doc = goyaml::from_str(&f.text()?).map_err(|e| yaml_error("values.yaml", e))?;
                chart.values = match doc {
                    serde_json::Value::Object(m) => m,
                    serde_json::Value::Null => serde_json::Map::new(),
                    _ => {
                        return Err(LoadError::Unmarshal {
                            file: "values.yaml".into(),
                            source: UnmarshalError {
                                found: "array",
                                into: UnmarshalTarget::Value,
                                go_type: "map[string]interface {}".into(),
                            },
                        }
                        .into());
                    }
                };
            }
            "values.schema.json" => chart.schema = Some(f.shared()?),
            "requirements.yaml" => {
                let doc =
                    goyaml::from_str(&f.text()?).map_err(|e| yaml_error("requirements.yaml", e))?;
                let mut deps = Metadata::default();
                deps.merge_yaml(&doc, "requirements.yaml")?;
                if deps.dependencies.is_some() {
                    chart.metadata.dependencies = deps.dependencies;
                }
                if chart.metadata.api_version == API_VERSION_V1 {
                    chart.files.push(f);
                }
            }
            name if name.starts_with("templates/") => chart.templates.push(f),
            name if name.starts_with("charts/") => {
                if name.ends_with(".prov") {
                    chart.files.push(f);
                    continue;
                }
                let rel = &name["charts/".len()..];
                let sub = rel.split('/').next().unwrap_or(rel).to_string();
                let rel = rel.to_string();
                subcharts.entry(sub).or_default().push(f.renamed(rel));
            }
            _ => chart.files.push(f),
        }
    }
    if !have_metadata {
        return Err(LoadError::MissingChartYaml.into());
    }
    chart.metadata.validate()?;
    for (name, files) in subcharts {
        if name.starts_with('_') || name.starts_with('.') {
            continue;
        }
        let sub = if name.ends_with(".tgz") {
            let file = &files[0];
            if file.name != name {
                return Err(LoadError::SubchartArchiveName {
                    chart: chart.name().to_string(),
                    expected: name,
                    got: file.name.clone(),
                }
                .into());
            }
            file.data().and_then(load_archive)
        } else {
            let inner = files
                .into_iter()
                .filter_map(|f| {
                    let (_, rest) = f.name.split_once('/')?;
                    let rest = rest.to_string();
                    Some(f.renamed(rest))
                })
                .collect();
            load_files(inner)
        };
        let sub = sub.map_err(|e| LoadError::Subchart {
            chart: chart.name().to_string(),
            name,
            source: Box::new(e),
        })?;
        chart.dependencies.push(sub);
    }
    Ok(chart)
}

/// A chart file that is not YAML.
fn yaml_error(file: &str, e: goyaml::Error) -> LoadError {
    LoadError::Yaml {
        file: file.into(),
        source: YamlError::from(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, data: &str) -> File {
        File::new(name, data.as_bytes())
    }

    #[test]
    fn files_are_sorted_into_their_roles() {
        let chart = load_files(vec![
            file("Chart.yaml", "apiVersion: v2\nname: top\nversion: 1.0.0\n"),
            file("values.yaml", "a: 1\n"),
            file("templates/x.yaml", "x"),
            file("crds/c.yaml", "c"),
            file("README.md", "r"),
            file("charts/sub/Chart.yaml", "name: sub\nversion: 0.1.0\n"),
            file("charts/sub/templates/y.yaml", "y"),
            file("charts/_skipped/Chart.yaml", "bad"),
        ])
        .unwrap();
        assert_eq!(chart.name(), "top");
        assert_eq!(chart.values.get("a"), Some(&serde_json::json!(1)));
        assert_eq!(chart.templates.len(), 1);
        assert_eq!(chart.files.len(), 2);
        assert_eq!(chart.crd_files().count(), 1);
        assert_eq!(chart.dependencies.len(), 1);
        let sub = &chart.dependencies[0];
        assert_eq!(sub.metadata.api_version, "v1");
        assert_eq!(sub.templates[0].name, "templates/y.yaml");
    }

    #[test]
    fn missing_chart_yaml_is_an_error() {
        let err = load_files(vec![file("values.yaml", "")]).unwrap_err();
        assert_eq!(err.to_string(), "Chart.yaml file is missing");
    }

    #[test]
    fn missing_charts_are_reported_as_helm_locates_them() {
        let err = |p: &str| load(Path::new(p)).unwrap_err().to_string();
        assert_eq!(err("/no/such/chart"), "path \"/no/such/chart\" not found");
        assert_eq!(err("./nochart"), "path \"./nochart\" not found");
        assert_eq!(err("somerepo/chart"), "repo somerepo not found");
        assert_eq!(
            err("nochart"),
            "non-absolute URLs should be in form of repo_name/path_to_chart, got: nochart"
        );
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("c.yaml");
        std::fs::write(&f, "a: 1\n").unwrap();
        assert!(
            err(&f.display().to_string())
                .ends_with("seems to be a YAML file, but expected a gzipped archive")
        );
    }

    fn tgz(entries: &[(&str, &str)]) -> Vec<u8> {
        let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(
            Vec::new(),
            flate2::Compression::fast(),
        ));
        for (name, content) in entries {
            let mut header = tar::Header::new_gnu();
            header.set_size(content.len() as u64);
            header.set_mode(0o644);
            header.set_entry_type(tar::EntryType::Regular);
            // Write the raw name so traversal attempts reach the loader unchanged.
            let bytes = name.as_bytes();
            header.as_old_mut().name[..bytes.len()].copy_from_slice(bytes);
            header.set_cksum();
            builder.append(&header, content.as_bytes()).unwrap();
        }
        builder.into_inner().unwrap().finish().unwrap()
    }

    #[test]
    fn archives_load_and_traversal_is_refused() {
        let ok = tgz(&[
            (
                "mychart/Chart.yaml",
                "apiVersion: v2\nname: mychart\nversion: 1.0.0\n",
            ),
            ("mychart/templates/a.yaml", "a: 1"),
        ]);
        let chart = load_archive(&ok).unwrap();
        assert_eq!(chart.name(), "mychart");
        assert_eq!(chart.templates[0].name, "templates/a.yaml");
        let evil = tgz(&[
            (
                "mychart/Chart.yaml",
                "apiVersion: v2\nname: mychart\nversion: 1.0.0\n",
            ),
            ("mychart/../../etc/passwd", "x"),
        ]);
        assert_eq!(
            load_archive(&evil).unwrap_err().to_string(),
            "chart illegally references parent directory"
        );
        assert!(load_archive(b"not gzip").is_err());
    }
}
