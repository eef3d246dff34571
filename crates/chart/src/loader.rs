//! Loading charts from directories and `.tgz` archives, as Helm's
//! `chart/loader` does: `.helmignore` applied to directories, files
//! visited in Go's walk order, subcharts under `charts/` (directories and
//! archives), archives checked against path traversal and size bombs.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use crate::chart::{Chart, File};
use crate::error::Error;
use crate::ignore::{HELM_IGNORE, Rules};
use crate::metadata::{API_VERSION_V1, Metadata};

/// Largest total size of an archive's decompressed files (Helm: 100 MiB).
const MAX_DECOMPRESSED_CHART_SIZE: u64 = 100 * 1024 * 1024;
/// Largest single file of a chart directory (Helm: 5 MiB).
const MAX_DECOMPRESSED_FILE_SIZE: u64 = 5 * 1024 * 1024;
const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Load a chart from a directory or a gzipped tar archive.
pub fn load(path: &Path) -> Result<Chart, Error> {
    let meta = std::fs::metadata(path).map_err(|e| Error::Load(go_stat_error(path, &e)))?;
    if meta.is_dir() {
        load_dir(path)
    } else {
        let data =
            std::fs::read(path).map_err(|e| Error::Load(format!("{}: {e}", path.display())))?;
        if !data.starts_with(&[0x1f, 0x8b]) {
            let name = path.display().to_string();
            if name.ends_with(".yml") || name.ends_with(".yaml") {
                return Err(Error::Load(format!(
                    "file '{name}' seems to be a YAML file, but expected a gzipped archive"
                )));
            }
            return Err(Error::Load(format!(
                "file '{}' does not appear to be a gzipped archive; got '{}'",
                path.display(),
                sniff_content_type(&data)
            )));
        }
        load_archive(&data)
    }
}

/// Helm's `LocateChart` wording for a chart that is not on disk: local
/// paths are reported missing, other names are taken for repository charts.
fn go_stat_error(path: &Path, e: &std::io::Error) -> String {
    if e.kind() != std::io::ErrorKind::NotFound {
        return format!("stat {}: {e}", path.display());
    }
    let name = path.to_string_lossy();
    if path.is_absolute() || name.starts_with('.') {
        format!("path \"{name}\" not found")
    } else if let Some((repo, _)) = name.split_once('/') {
        format!("repo {repo} not found")
    } else {
        format!("non-absolute URLs should be in form of repo_name/path_to_chart, got: {name}")
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
pub fn dir_files(dir: &Path) -> Result<Vec<File>, Error> {
    let mut rules = match std::fs::read_to_string(dir.join(HELM_IGNORE)) {
        Ok(text) => Rules::parse(&text).map_err(Error::Load)?,
        Err(_) => Rules::default(),
    };
    rules.add_defaults();
    let mut files = Vec::new();
    walk(dir, "", &rules, &mut files)?;
    Ok(files)
}

/// Go's `filepath.Walk`: entries of each directory in lexical order,
/// depth first; ignored directories are skipped whole. Symbolic links are
/// followed, as Helm's `sympath.Walk` does.
fn walk(dir: &Path, prefix: &str, rules: &Rules, out: &mut Vec<File>) -> Result<(), Error> {
    let read =
        std::fs::read_dir(dir).map_err(|e| Error::Load(format!("{}: {e}", dir.display())))?;
    // The entry type comes from the directory listing (no stat), except
    // for symbolic links, which are followed.
    let mut entries: Vec<(String, Option<std::fs::FileType>)> = read
        .filter_map(|e| e.ok())
        .map(|e| {
            let kind = e.file_type().ok().filter(|t| !t.is_symlink());
            (e.file_name().to_string_lossy().into_owned(), kind)
        })
        .collect();
    entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    for (name, kind) in entries {
        let full = dir.join(&name);
        let rel = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}/{name}")
        };
        let kind = match kind {
            Some(k) => k,
            None => std::fs::metadata(&full)
                .map_err(|e| Error::Load(format!("{}: {e}", full.display())))?
                .file_type(),
        };
        if kind.is_dir() {
            if !rules.ignore(&rel, true) {
                walk(&full, &rel, rules, out)?;
            }
            continue;
        }
        if rules.ignore(&rel, false) {
            continue;
        }
        if !kind.is_file() {
            return Err(Error::Load(format!(
                "cannot load irregular file {} as it has file mode type bits set",
                full.display()
            )));
        }
        let data = read_file(&full, &name, &rel)?;
        out.push(File {
            name: rel,
            data: strip_bom(data),
        });
    }
    Ok(())
}

/// A chart file's bytes with one open: its size (for the limit and the
/// buffer) from the open file, then one read to the end.
fn read_file(full: &Path, name: &str, rel: &str) -> Result<Vec<u8>, Error> {
    let read_error = |e: std::io::Error| Error::Load(format!("error reading {rel}: {e}"));
    let too_large = || {
        Error::Load(format!(
            "chart file \"{name}\" is larger than the maximum file size {MAX_DECOMPRESSED_FILE_SIZE}"
        ))
    };
    let stat_error = |e: std::io::Error| Error::Load(format!("{}: {e}", full.display()));
    let mut file = match std::fs::File::open(full) {
        Ok(f) => f,
        Err(e) => {
            // Helm checks the size before it reads: an oversized file is
            // reported as such even when it cannot be opened.
            if std::fs::metadata(full).map_err(stat_error)?.len() > MAX_DECOMPRESSED_FILE_SIZE {
                return Err(too_large());
            }
            return Err(read_error(e));
        }
    };
    let len = file.metadata().map_err(stat_error)?.len();
    if len > MAX_DECOMPRESSED_FILE_SIZE {
        return Err(too_large());
    }
    // Read the size just taken, then check for the end with one more read:
    // `read_to_end` would stat the file and seek again to size its buffer.
    let mut data = vec![0; len as usize];
    let mut filled = 0;
    while filled < data.len() {
        match file.read(&mut data[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(read_error(e)),
        }
    }
    data.truncate(filled);
    if filled == len as usize {
        // The file may have grown since it was measured.
        let mut probe = [0u8; 1];
        let extra = loop {
            match file.read(&mut probe) {
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                other => break other.map_err(read_error)?,
            }
        };
        if extra > 0 {
            data.push(probe[0]);
            file.read_to_end(&mut data).map_err(read_error)?;
        }
    }
    Ok(data)
}

fn strip_bom(data: Vec<u8>) -> Arc<[u8]> {
    match data.strip_prefix(UTF8_BOM) {
        Some(rest) => Arc::from(rest),
        None => Arc::from(data),
    }
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
    let entries = archive.entries().map_err(|e| Error::Load(e.to_string()))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| Error::Load(e.to_string()))?;
        let kind = entry.header().entry_type();
        if kind.is_dir() || kind.is_pax_global_extensions() || kind.is_pax_local_extensions() {
            continue;
        }
        let raw = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let delimiter = if raw.contains('\\') { '\\' } else { '/' };
        let parts: Vec<&str> = raw.split(delimiter).collect();
        let joined = parts[1..].join("/");
        if joined.starts_with('/') {
            return Err(Error::Load(
                "chart illegally contains absolute paths".into(),
            ));
        }
        let name = clean_path(&joined);
        if name == "." {
            return Err(Error::Load(format!(
                "chart illegally contains content outside the base directory: {}",
                gotmpl::fmt::quote(&raw)
            )));
        }
        if name.starts_with("..") {
            return Err(Error::Load(
                "chart illegally references parent directory".into(),
            ));
        }
        let b = name.as_bytes();
        if b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':' {
            return Err(Error::Load("chart contains illegally named files".into()));
        }
        if parts[0] == "Chart.yaml" {
            return Err(Error::Load("chart yaml not in base directory".into()));
        }
        let size = entry.header().size().unwrap_or(0);
        if size > remaining {
            return Err(Error::Load(format!(
                "decompressed chart is larger than the maximum size {MAX_DECOMPRESSED_CHART_SIZE}"
            )));
        }
        let mut buf = Vec::with_capacity(size as usize);
        (&mut entry)
            .take(remaining + 1)
            .read_to_end(&mut buf)
            .map_err(|e| Error::Load(e.to_string()))?;
        if buf.len() as u64 > remaining {
            return Err(Error::Load(format!(
                "decompressed chart is larger than the maximum size {MAX_DECOMPRESSED_CHART_SIZE}"
            )));
        }
        remaining -= buf.len() as u64;
        files.push(File {
            name,
            data: strip_bom(buf),
        });
    }
    if files.is_empty() {
        return Err(Error::Load("no files in chart archive".into()));
    }
    Ok(files)
}

/// Go's `path.Clean`.
pub(crate) fn clean_path(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let rooted = p.starts_with('/');
    let mut out: Vec<&str> = Vec::new();
    for part in p.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if out.last().is_some_and(|l| *l != "..") {
                    out.pop();
                } else if !rooted {
                    out.push("..");
                }
            }
            x => out.push(x),
        }
    }
    let body = out.join("/");
    match (rooted, body.is_empty()) {
        (true, _) => format!("/{body}"),
        (false, true) => ".".into(),
        (false, false) => body,
    }
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
                let doc = goyaml::from_str(&f.text()).map_err(|e| {
                    Error::Load(format!("cannot load Chart.yaml: {}", yaml_error(&e)))
                })?;
                chart.metadata.merge_yaml(&doc, "Chart.yaml")?;
                if chart.metadata.api_version.is_empty() {
                    chart.metadata.api_version = API_VERSION_V1.into();
                }
                have_metadata = true;
            }
            "Chart.lock" | "requirements.lock" => {}
            "values.yaml" => {
                let doc = goyaml::from_str(&f.text()).map_err(|e| {
                    Error::Load(format!("cannot load values.yaml: {}", yaml_error(&e)))
                })?;
                chart.values = match doc {
                    serde_json::Value::Object(m) => m,
                    serde_json::Value::Null => serde_json::Map::new(),
                    _ => {
                        return Err(Error::Load(
                            "cannot load values.yaml: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal array into Go value of type map[string]interface {}".into(),
                        ));
                    }
                };
            }
            "values.schema.json" => chart.schema = Some(f.data.clone()),
            "requirements.yaml" => {
                let doc = goyaml::from_str(&f.text()).map_err(|e| {
                    Error::Load(format!("cannot load requirements.yaml: {}", yaml_error(&e)))
                })?;
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
                subcharts.entry(sub).or_default().push(File {
                    name: rel.to_string(),
                    data: f.data,
                });
            }
            _ => chart.files.push(f),
        }
    }
    if !have_metadata {
        return Err(Error::Load("Chart.yaml file is missing".into()));
    }
    chart.metadata.validate()?;
    for (name, files) in subcharts {
        if name.starts_with('_') || name.starts_with('.') {
            continue;
        }
        let sub = if name.ends_with(".tgz") {
            let file = &files[0];
            if file.name != name {
                return Err(Error::Load(format!(
                    "error unpacking subchart tar in {}: expected {name}, got {}",
                    chart.name(),
                    file.name
                )));
            }
            load_archive(&file.data)
        } else {
            let inner = files
                .into_iter()
                .filter_map(|f| {
                    let (_, rest) = f.name.split_once('/')?;
                    Some(File {
                        name: rest.to_string(),
                        data: f.data,
                    })
                })
                .collect();
            load_files(inner)
        };
        let sub = sub
            .map_err(|e| Error::Load(format!("error unpacking {name} in {}: {e}", chart.name())))?;
        chart.dependencies.push(sub);
    }
    Ok(chart)
}

fn yaml_error(e: &goyaml::Error) -> String {
    match e.pos {
        Some(p) => format!(
            "error converting YAML to JSON: yaml: line {}: {}",
            p.line, e.message
        ),
        None => format!("error converting YAML to JSON: yaml: {}", e.message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, data: &str) -> File {
        File {
            name: name.into(),
            data: Arc::from(data.as_bytes()),
        }
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

    #[test]
    fn clean_path_is_go_path_clean() {
        assert_eq!(clean_path("a/../../b"), "../b");
        assert_eq!(clean_path("a/./b//c/"), "a/b/c");
        assert_eq!(clean_path(""), ".");
        assert_eq!(clean_path("/../x"), "/x");
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
