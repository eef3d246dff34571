//! OCI images held in memory: manifest bytes, config and layers, each with its digest.
//!
//! Manifests are kept as the exact bytes that were built or pulled, so digests survive a
//! round trip through a registry or an OCI layout unchanged.

use std::collections::BTreeMap;

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::archive::PackedLayer;
use crate::digest::Digest;
use crate::error::{Error, Result};

/// Media type of OCI image manifests (what this crate builds).
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// Media type of Docker v2 schema 2 manifests (accepted when pulling).
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
/// Media type of OCI image configs.
pub const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
/// Media type of gzip-compressed OCI layers.
pub const OCI_LAYER_GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
/// Media type of Docker gzip layers (accepted when pulling).
pub const DOCKER_LAYER_GZIP: &str = "application/vnd.docker.image.rootfs.diff.tar.gzip";

/// A content-addressed blob (config or layer).
#[derive(Clone, Debug)]
pub struct Blob {
    /// Media type as written in the manifest descriptor.
    pub media_type: String,
    /// Digest of `data`.
    pub digest: Digest,
    /// The content.
    pub data: Bytes,
}

/// An OCI descriptor as found in manifests and `index.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    /// Media type of the referenced content.
    pub media_type: String,
    /// Digest of the referenced content.
    pub digest: String,
    /// Size in bytes.
    pub size: u64,
    /// Optional annotations.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

/// An image manifest (OCI or Docker v2 schema 2; both have this shape).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    /// Always 2.
    pub schema_version: u32,
    /// Manifest media type (optional in OCI, required by Docker).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    /// The image config.
    pub config: Descriptor,
    /// The layers, base first.
    pub layers: Vec<Descriptor>,
    /// Optional annotations.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

#[derive(Serialize, Deserialize, Default)]
struct RootFs {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    diff_ids: Vec<String>,
}

#[derive(Serialize)]
struct ImageConfig<'a> {
    architecture: &'a str,
    os: &'a str,
    config: BTreeMap<String, String>,
    rootfs: RootFs,
}

#[derive(Deserialize)]
struct ImageConfigRootFs {
    #[serde(default)]
    rootfs: RootFs,
}

/// A complete image: manifest bytes plus every blob it references.
#[derive(Clone, Debug)]
pub struct Image {
    /// The raw manifest, exactly as stored.
    pub manifest_bytes: Bytes,
    /// Digest of `manifest_bytes`.
    pub manifest_digest: Digest,
    /// Manifest media type (used as Content-Type when pushing).
    pub media_type: String,
    /// The parsed manifest.
    pub manifest: Manifest,
    /// The config blob.
    pub config: Blob,
    /// Layer blobs in manifest order.
    pub layers: Vec<Blob>,
}

impl Image {
    /// Builds a `FROM scratch` image from packed layers. Deterministic: no timestamps.
    pub fn from_layers(layers: Vec<PackedLayer>) -> Result<Image> {
        let config = ImageConfig {
            architecture: "amd64",
            os: "linux",
            config: BTreeMap::new(),
            rootfs: RootFs {
                kind: "layers".to_string(),
                diff_ids: layers.iter().map(|l| l.diff_id.to_string()).collect(),
            },
        };
        let config_bytes = Bytes::from(serde_json::to_vec(&config).map_err(json_error)?);
        let config = Blob {
            media_type: OCI_CONFIG.to_string(),
            digest: Digest::of(&config_bytes),
            data: config_bytes,
        };
        let layers: Vec<Blob> = layers
            .into_iter()
            .map(|layer| Blob {
                media_type: OCI_LAYER_GZIP.to_string(),
                digest: layer.digest,
                data: Bytes::from(layer.gzip),
            })
            .collect();
        let manifest = Manifest {
            schema_version: 2,
            media_type: Some(OCI_MANIFEST.to_string()),
            config: descriptor_of(&config),
            layers: layers.iter().map(descriptor_of).collect(),
            annotations: BTreeMap::new(),
        };
        let manifest_bytes = Bytes::from(serde_json::to_vec(&manifest).map_err(json_error)?);
        Ok(Image {
            manifest_digest: Digest::of(&manifest_bytes),
            manifest_bytes,
            media_type: OCI_MANIFEST.to_string(),
            manifest,
            config,
            layers,
        })
    }

    /// Total size of config and layers (what a push or pull transfers besides the manifest).
    pub fn blob_bytes(&self) -> u64 {
        self.config.data.len() as u64 + self.layers.iter().map(|l| l.data.len() as u64).sum::<u64>()
    }

    /// The `diff_id` of each layer from the config, when the config lists them all.
    pub fn diff_ids(&self) -> Result<Option<Vec<Digest>>> {
        config_diff_ids(&self.config.data, self.layers.len())
    }
}

/// The `diff_id` of each of `layers` layers from image config bytes, when the config
/// lists them all.
pub fn config_diff_ids(config: &[u8], layers: usize) -> Result<Option<Vec<Digest>>> {
    let parsed: ImageConfigRootFs = serde_json::from_slice(config)
        .map_err(|e| Error::metadata("image config", e.to_string()))?;
    if parsed.rootfs.diff_ids.len() != layers {
        return Ok(None);
    }
    parsed
        .rootfs
        .diff_ids
        .iter()
        .map(|d| Digest::parse(d))
        .collect::<Result<Vec<_>>>()
        .map(Some)
}

/// Parses manifest bytes, refusing image indexes and anything that is not a single image.
pub fn parse_manifest(bytes: &[u8], what: &str) -> Result<Manifest> {
    let manifest: Manifest = serde_json::from_slice(bytes).map_err(|e| {
        Error::metadata(
            what,
            format!("not a single-image manifest (image indexes are not supported): {e}"),
        )
    })?;
    if manifest.schema_version != 2 {
        return Err(Error::metadata(
            what,
            format!(
                "unsupported manifest schemaVersion {}",
                manifest.schema_version
            ),
        ));
    }
    Ok(manifest)
}

/// Whether `media_type` is a gzip-compressed layer this crate can extract.
pub fn is_gzip_layer(media_type: &str) -> bool {
    media_type == OCI_LAYER_GZIP || media_type == DOCKER_LAYER_GZIP
}

fn descriptor_of(blob: &Blob) -> Descriptor {
    Descriptor {
        media_type: blob.media_type.clone(),
        digest: blob.digest.to_string(),
        size: blob.data.len() as u64,
        annotations: BTreeMap::new(),
    }
}

fn json_error(e: serde_json::Error) -> Error {
    Error::Invalid(format!("cannot encode image JSON: {e}"))
}
