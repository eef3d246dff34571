//! Reading release images: `version.json`, `changelog.yaml`, `module.yaml`.

use std::collections::BTreeMap;
use std::io::Read;

use flate2::read::GzDecoder;

use crate::build::VersionJson;
use crate::digest::Digest;
use crate::error::{Error, Result};
use crate::image::Image;
use crate::version::ModuleVersion;

/// Metadata files larger than this are refused: release images are tiny, and a bound keeps
/// a hostile image from exhausting memory.
const MAX_METADATA_FILE: u64 = 4 << 20;

/// The metadata a release image carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReleaseMetadata {
    /// From `version.json`.
    pub version: ModuleVersion,
    /// Raw `changelog.yaml` (or `.yml`), when present.
    pub changelog: Option<String>,
    /// Raw `module.yaml`, when present.
    pub module_yaml: Option<String>,
    /// Manifest digest of the release image: the release checksum the controller tracks.
    pub digest: Digest,
}

/// Reads the metadata of a (digest-verified) release image. `what` names the image in
/// errors. A missing or malformed `version.json` is "metadata malformed", as in DKP.
pub fn read_release_metadata(image: &Image, what: &str) -> Result<ReleaseMetadata> {
    let files = read_root_files(
        image,
        &[
            "version.json",
            "changelog.yaml",
            "changelog.yml",
            "module.yaml",
        ],
    )?;
    let version_bytes = files.get("version.json").ok_or_else(|| {
        Error::metadata(what, "release metadata malformed: version.json is missing")
    })?;
    let parsed: VersionJson = serde_json::from_slice(version_bytes).map_err(|e| {
        Error::metadata(
            format!("{what}: version.json"),
            format!("release metadata malformed: {e}"),
        )
    })?;
    let version = ModuleVersion::parse(&parsed.version)
        .map_err(|e| Error::metadata(format!("{what}: version.json"), e.to_string()))?;
    let text = |name: &str| {
        files
            .get(name)
            .map(|bytes| String::from_utf8_lossy(bytes).into_owned())
    };
    Ok(ReleaseMetadata {
        version,
        changelog: text("changelog.yaml").or_else(|| text("changelog.yml")),
        module_yaml: text("module.yaml"),
        digest: image.manifest_digest.clone(),
    })
}

/// Reads the named root-level regular files from all layers (later layers win), ignoring
/// `.werf*` entries as the platform does when looking up metadata.
fn read_root_files(image: &Image, wanted: &[&str]) -> Result<BTreeMap<String, Vec<u8>>> {
    let mut found = BTreeMap::new();
    for (index, layer) in image.layers.iter().enumerate() {
        let layer_error = |e: std::io::Error| Error::io(format!("<release layer {index}>"), e);
        let mut archive = tar::Archive::new(GzDecoder::new(layer.data.as_ref()));
        for entry in archive.entries().map_err(layer_error)? {
            let entry = entry.map_err(layer_error)?;
            if entry.header().entry_type() != tar::EntryType::Regular {
                continue;
            }
            let path = entry.path_bytes();
            let name = String::from_utf8_lossy(&path);
            let name = name.trim_start_matches("./").trim_start_matches('/');
            if name.starts_with(".werf") || !wanted.contains(&name) {
                continue;
            }
            let name = name.to_string();
            let mut content = Vec::new();
            entry
                .take(MAX_METADATA_FILE + 1)
                .read_to_end(&mut content)
                .map_err(layer_error)?;
            if content.len() as u64 > MAX_METADATA_FILE {
                return Err(Error::metadata(name, "metadata file larger than 4 MiB"));
            }
            found.insert(name, content);
        }
    }
    Ok(found)
}
