//! OCI image layouts on disk (`oci-layout`, `index.json`, `blobs/sha256/<hex>`), readable
//! by skopeo, crane, oras and others as `oci:<dir>:<tag>`.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::digest::Digest;
use crate::error::{Error, Result};
use crate::image::{Blob, Descriptor, Image, parse_manifest};

/// The annotation naming a manifest in `index.json` (the tag in `oci:<dir>:<tag>`).
pub const REF_NAME_ANNOTATION: &str = "org.opencontainers.image.ref.name";
/// Media type of an OCI image index.
const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Index {
    schema_version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    media_type: Option<String>,
    manifests: Vec<Descriptor>,
}

/// Writes `image` as a fresh OCI layout in `dir`, naming it `ref_name` in `index.json`.
/// An existing layout in `dir` is replaced.
pub fn write_layout(dir: &Path, image: &Image, ref_name: &str) -> Result<()> {
    if dir.exists() {
        fs::remove_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    let blobs = dir.join("blobs").join("sha256");
    fs::create_dir_all(&blobs).map_err(|e| Error::io(&blobs, e))?;
    write_file(
        &dir.join("oci-layout"),
        br#"{"imageLayoutVersion":"1.0.0"}"#,
    )?;
    write_file(
        &blobs.join(image.manifest_digest.hex()),
        &image.manifest_bytes,
    )?;
    write_file(&blobs.join(image.config.digest.hex()), &image.config.data)?;
    for layer in &image.layers {
        write_file(&blobs.join(layer.digest.hex()), &layer.data)?;
    }
    let index = Index {
        schema_version: 2,
        media_type: Some(OCI_INDEX.to_string()),
        manifests: vec![Descriptor {
            media_type: image.media_type.clone(),
            digest: image.manifest_digest.to_string(),
            size: image.manifest_bytes.len() as u64,
            annotations: BTreeMap::from([(REF_NAME_ANNOTATION.to_string(), ref_name.to_string())]),
        }],
    };
    let index_bytes = serde_json::to_vec(&index)
        .map_err(|e| Error::Invalid(format!("cannot encode index.json: {e}")))?;
    write_file(&dir.join("index.json"), &index_bytes)
}

/// Reads the image named `ref_name` (or the only image, when `None`) from the OCI layout in
/// `dir`, verifying every digest.
pub fn read_layout(dir: &Path, ref_name: Option<&str>) -> Result<Image> {
    let index_path = dir.join("index.json");
    let index_bytes = fs::read(&index_path).map_err(|e| Error::io(&index_path, e))?;
    let index: Index = serde_json::from_slice(&index_bytes)
        .map_err(|e| Error::metadata(index_path.display().to_string(), e.to_string()))?;
    let chosen = match ref_name {
        Some(name) => index
            .manifests
            .iter()
            .find(|d| d.annotations.get(REF_NAME_ANNOTATION).map(String::as_str) == Some(name)),
        None if index.manifests.len() == 1 => index.manifests.first(),
        None => None,
    }
    .ok_or_else(|| {
        Error::metadata(
            index_path.display().to_string(),
            match ref_name {
                Some(name) => format!("no image named {name:?}"),
                None => "expected exactly one image".to_string(),
            },
        )
    })?;
    let manifest_digest = Digest::parse(&chosen.digest)?;
    let manifest_bytes = read_blob(dir, &manifest_digest)?;
    let manifest = parse_manifest(&manifest_bytes, &format!("{}: manifest", dir.display()))?;
    let load = |descriptor: &Descriptor| -> Result<Blob> {
        let digest = Digest::parse(&descriptor.digest)?;
        let data = read_blob(dir, &digest)?;
        Ok(Blob {
            media_type: descriptor.media_type.clone(),
            digest,
            data,
        })
    };
    let config = load(&manifest.config)?;
    let layers = manifest
        .layers
        .iter()
        .map(load)
        .collect::<Result<Vec<_>>>()?;
    Ok(Image {
        manifest_digest,
        manifest_bytes,
        media_type: manifest
            .media_type
            .clone()
            .unwrap_or_else(|| chosen.media_type.clone()),
        manifest,
        config,
        layers,
    })
}

fn read_blob(dir: &Path, digest: &Digest) -> Result<Bytes> {
    let path = dir.join("blobs").join("sha256").join(digest.hex());
    let data = fs::read(&path).map_err(|e| Error::io(&path, e))?;
    digest.verify(&path.display().to_string(), &data)?;
    Ok(Bytes::from(data))
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    fs::write(path, bytes).map_err(|e| Error::io(path, e))
}
