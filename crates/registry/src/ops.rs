//! DKP module distribution operations on a [`SourceRef`]: publish a version, move a
//! channel, list a source, pull a module. Async, for the CLI and the controllers alike.

use std::collections::BTreeMap;
use std::path::Path;

use futures_util::future::join_all;
use module::name::check_module_name;
use serde::Serialize;

use crate::archive;
use crate::build::BuiltModule;
use crate::channel::Channel;
use crate::client::RegistryClient;
use crate::digest::Digest;
use crate::error::{Error, Result};
use crate::extract::{ExtractStats, LayerToExtract, extract_layers};
use crate::image::{Image, is_gzip_layer};
use crate::progress::{NoProgress, Progress};
use crate::release::{ReleaseMetadata, read_release_metadata};
use crate::source::SourceRef;
use crate::version::ModuleVersion;

/// At most this many modules are read from one source (the platform's cap).
pub const MAX_MODULES_PER_SOURCE: usize = 1500;

/// What [`publish`] pushed.
#[derive(Clone, Debug, Serialize)]
pub struct PublishReport {
    /// Module name.
    pub module: String,
    /// Version tag.
    pub version: String,
    /// Manifest digest of `<src>/<m>:<ver>`.
    pub module_digest: String,
    /// Manifest digest of `<src>/<m>/release:<ver>` (the release checksum).
    pub release_digest: String,
    /// Channels now pointing at this version.
    pub channels: Vec<String>,
}

/// Publishes a built module: module image, release image, catalogue registration
/// (`<src>:<m>`), then moves each of `channels` to this version.
pub async fn publish(
    client: &RegistryClient,
    source: &SourceRef,
    built: &BuiltModule,
    channels: &[Channel],
    progress: &dyn Progress,
) -> Result<PublishReport> {
    check_module_name(&built.name).map_err(Error::Invalid)?;
    let version = &built.version;
    let module_ref = source.module_version_ref(&built.name, version);
    let release_ref = source.release_ref(&built.name, &version.tag());
    let (module_digest, release_digest) = futures_util::try_join!(
        client.push_image(&module_ref, &built.module_image, progress),
        client.push_image(&release_ref, &built.release_image, progress),
    )?;
    let marker = Image::from_layers(vec![archive::empty_layer()?])?;
    client
        .push_image(&source.catalogue_ref(&built.name), &marker, progress)
        .await?;
    for channel in channels {
        client
            .push_manifest(
                &source.channel_ref(&built.name, *channel),
                built.release_image.manifest_bytes.clone(),
                &built.release_image.media_type,
            )
            .await?;
    }
    Ok(PublishReport {
        module: built.name.clone(),
        version: version.tag(),
        module_digest: module_digest.to_string(),
        release_digest: release_digest.to_string(),
        channels: channels.iter().map(|c| c.tag().to_string()).collect(),
    })
}

/// Points `<src>/<m>/release:<channel>` at the existing `release:<version>` by re-pushing
/// its raw manifest (no blob transfer). Returns the release digest.
pub async fn move_channel(
    client: &RegistryClient,
    source: &SourceRef,
    module: &str,
    version: &ModuleVersion,
    channel: Channel,
) -> Result<Digest> {
    client
        .retag(
            &source.release_ref(module, &version.tag()),
            &source.channel_ref(module, channel),
        )
        .await
}

/// Reads `<src>/<m>/release:<tag>` and its metadata.
pub async fn read_release(
    client: &RegistryClient,
    source: &SourceRef,
    module: &str,
    tag: &str,
) -> Result<ReleaseMetadata> {
    let reference = source.release_ref(module, tag);
    let image = client.pull_image(&reference, &NoProgress).await?;
    read_release_metadata(&image, &reference.whole())
}

/// One module of a source listing.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct ModuleListing {
    /// Module name.
    pub name: String,
    /// Released versions, ascending by semver.
    pub versions: Vec<String>,
    /// Channel tag -> version it currently points at.
    pub channels: BTreeMap<String, String>,
    /// Why the module could not be read completely (the other modules are still listed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A source's modules, sorted by name.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct SourceListing {
    /// The source that was listed.
    pub source: String,
    /// The modules.
    pub modules: Vec<ModuleListing>,
    /// Catalogue tags that were skipped (not valid module names, or over the cap).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ignored_tags: Vec<String>,
}

/// Lists the modules of `source` with their versions and channels, as the platform
/// discovers them: catalogue tags filtered to valid names, capped, sorted. One module's
/// failure is reported on that module and never aborts the listing.
pub async fn list_source(client: &RegistryClient, source: &SourceRef) -> Result<SourceListing> {
    let (names, ignored) = list_module_names(client, source).await?;
    let modules = join_all(names.iter().map(|name| list_module(client, source, name))).await;
    Ok(SourceListing {
        source: source.to_string(),
        modules,
        ignored_tags: ignored,
    })
}

/// The module names of `source` as the platform discovers them (registry-layout §1,
/// correction 27): the catalogue's tags in registry order capped at
/// [`MAX_MODULES_PER_SOURCE`], then filtered to valid module names (DNS-1123, at most 64
/// characters, not `modules`) and sorted. Returns the names and the tags left out.
pub async fn list_module_names(
    client: &RegistryClient,
    source: &SourceRef,
) -> Result<(Vec<String>, Vec<String>)> {
    // Listing ignores the tag; any tag names the catalogue repository.
    let mut tags = client
        .list_tags(&source.catalogue_ref("latest"))
        .await
        .map_err(|e| match e {
            Error::NotFound { .. } => Error::NotFound {
                reference: format!("module source {source} (no module was ever published here)"),
            },
            other => other,
        })?;
    let mut ignored = Vec::new();
    if tags.len() > MAX_MODULES_PER_SOURCE {
        ignored.extend(tags.split_off(MAX_MODULES_PER_SOURCE));
    }
    let (mut names, rejected): (Vec<String>, Vec<String>) = tags
        .into_iter()
        .partition(|tag| check_module_name(tag).is_ok() && tag.len() <= 64 && tag != "modules");
    ignored.extend(rejected);
    names.sort();
    ignored.sort();
    Ok((names, ignored))
}

/// Every tag of the module image repository `<src>/<m>`: version tags, dev tags and
/// component image tags alike (the release chain keeps the `vX.Y.Z` ones).
pub async fn list_module_tags(
    client: &RegistryClient,
    source: &SourceRef,
    module: &str,
) -> Result<Vec<String>> {
    check_module_name(module).map_err(Error::Invalid)?;
    client.list_tags(&source.module_ref(module, "latest")).await
}

async fn list_module(client: &RegistryClient, source: &SourceRef, name: &str) -> ModuleListing {
    let mut listing = ModuleListing {
        name: name.to_string(),
        versions: Vec::new(),
        channels: BTreeMap::new(),
        error: None,
    };
    let tags = match client.list_tags(&source.release_ref(name, "latest")).await {
        Ok(tags) => tags,
        Err(e) => {
            listing.error = Some(e.to_string());
            return listing;
        }
    };
    let mut versions: Vec<ModuleVersion> = tags
        .iter()
        .filter_map(|t| ModuleVersion::from_tag(t))
        .collect();
    versions.sort();
    listing.versions = versions.iter().map(ModuleVersion::tag).collect();
    let channels: Vec<Channel> = tags.iter().filter_map(|t| Channel::from_tag(t)).collect();
    let releases = join_all(
        channels
            .iter()
            .map(|channel| read_release(client, source, name, channel.tag())),
    )
    .await;
    let mut errors = Vec::new();
    for (channel, release) in channels.iter().zip(releases) {
        match release {
            Ok(release) => {
                listing
                    .channels
                    .insert(channel.tag().to_string(), release.version.tag());
            }
            Err(e) => errors.push(format!("channel {channel}: {e}")),
        }
    }
    if !errors.is_empty() {
        listing.error = Some(errors.join("; "));
    }
    listing
}

/// Which version of a module to pull.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VersionSelector {
    /// An exact version.
    Version(ModuleVersion),
    /// Whatever the channel points at.
    Channel(Channel),
}

/// What [`pull_module`] extracted.
#[derive(Clone, Debug, Serialize)]
pub struct PullReport {
    /// Module name.
    pub module: String,
    /// The version pulled.
    pub version: String,
    /// Manifest digest of the module image.
    pub digest: String,
    /// Regular files written.
    pub files: u64,
    /// Bytes of file content written.
    pub bytes: u64,
    /// Compressed bytes downloaded.
    pub downloaded_bytes: u64,
}

/// Downloads `<src>/<m>:<ver>` (resolving a channel through its release image), verifies
/// every digest and extracts it safely and atomically into `dest`.
pub async fn pull_module(
    client: &RegistryClient,
    source: &SourceRef,
    module: &str,
    selector: &VersionSelector,
    dest: &Path,
    progress: &dyn Progress,
) -> Result<PullReport> {
    check_module_name(module).map_err(Error::Invalid)?;
    let version = match selector {
        VersionSelector::Version(version) => version.clone(),
        VersionSelector::Channel(channel) => {
            read_release(client, source, module, channel.tag())
                .await?
                .version
        }
    };
    let reference = source.module_version_ref(module, &version);
    let mut report = pull_reference(client, &reference, dest, progress).await?;
    report.module = module.to_string();
    report.version = version.tag();
    Ok(report)
}

/// Downloads `<src>/<m>:<tag>` — any tag, such as a ModulePullOverride's dev tag — verifies
/// every digest and extracts it safely and atomically into `dest`. The report's `version`
/// is the tag.
pub async fn pull_module_tag(
    client: &RegistryClient,
    source: &SourceRef,
    module: &str,
    tag: &str,
    dest: &Path,
    progress: &dyn Progress,
) -> Result<PullReport> {
    check_module_name(module).map_err(Error::Invalid)?;
    let mut report =
        pull_reference(client, &source.module_ref(module, tag), dest, progress).await?;
    report.module = module.to_string();
    report.version = tag.to_string();
    Ok(report)
}

/// Streams the layers of `reference` into the extractor while they download: the
/// archive is never held whole in memory, and unpacking overlaps the transfer. Every
/// digest is verified before the tree is renamed into `dest` (see
/// [`crate::extract::extract_layer_streams`]).
async fn pull_reference(
    client: &RegistryClient,
    reference: &oci_client::Reference,
    dest: &Path,
    progress: &dyn Progress,
) -> Result<PullReport> {
    let what = reference.whole();
    let (manifest, manifest_digest, config) = client.pull_manifest_and_config(reference).await?;
    if let Some(layer) = manifest
        .layers
        .iter()
        .find(|l| !is_gzip_layer(&l.media_type))
    {
        return Err(Error::metadata(
            &what,
            format!(
                "unsupported layer media type {:?} (expected a gzip tar layer)",
                layer.media_type
            ),
        ));
    }
    let diff_ids = crate::image::config_diff_ids(&config.data, manifest.layers.len())?;
    let digests = manifest
        .layers
        .iter()
        .map(|l| Digest::parse(&l.digest))
        .collect::<Result<Vec<_>>>()?;
    progress
        .add_total(config.data.len() as u64 + manifest.layers.iter().map(|l| l.size).sum::<u64>());
    progress.advance(config.data.len() as u64);
    let mut senders = Vec::new();
    let mut layers = Vec::new();
    for (index, digest) in digests.into_iter().enumerate() {
        // A few chunks in flight per layer: enough to keep the transfer busy, small enough
        // to bound memory whatever the module's size.
        let (tx, rx) = tokio::sync::mpsc::channel(16);
        senders.push(tx);
        layers.push(crate::extract::StreamedLayer {
            reader: Box::new(ChannelReader {
                rx,
                current: bytes::Bytes::new(),
            }),
            digest,
            diff_id: diff_ids.as_ref().map(|ids| ids[index].clone()),
        });
    }
    // Decompression and file writes are blocking work: keep them off the async workers so
    // a controller's other tasks are not starved while a large module unpacks.
    let extractor = {
        let dest = dest.to_path_buf();
        tokio::task::spawn_blocking(move || crate::extract::extract_layer_streams(layers, &dest))
    };
    let mut download_error = None;
    for (layer, tx) in manifest.layers.iter().zip(senders) {
        if let Err(e) = client.stream_blob(reference, layer, &tx, progress).await {
            download_error = Some(e);
            break;
        }
    }
    let extracted = extractor
        .await
        .map_err(|e| Error::Invalid(format!("extraction task failed: {e}")))?;
    // A failed download is the cause of whatever the extractor then saw.
    if let Some(e) = download_error {
        return Err(e);
    }
    let stats = extracted?;
    Ok(PullReport {
        module: String::new(),
        version: String::new(),
        digest: manifest_digest.to_string(),
        files: stats.files,
        bytes: stats.bytes,
        downloaded_bytes: config.data.len() as u64
            + manifest.layers.iter().map(|l| l.size).sum::<u64>(),
    })
}

/// The blocking side of a streamed layer: reads the chunks the download sends.
struct ChannelReader {
    rx: tokio::sync::mpsc::Receiver<std::io::Result<bytes::Bytes>>,
    current: bytes::Bytes,
}

impl std::io::Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.current.is_empty() {
            match self.rx.blocking_recv() {
                Some(Ok(chunk)) => self.current = chunk,
                Some(Err(e)) => return Err(e),
                // The sender is gone: the layer's bytes are all here (or the download
                // failed and said so; the digest check catches a short stream either way).
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current[..n]);
        bytes::Buf::advance(&mut self.current, n);
        Ok(n)
    }
}

/// Extracts a verified image's layers into `dest` (see [`extract_layers`]), checking each
/// layer's uncompressed digest against the config when the config lists them.
pub fn extract_image(image: &Image, dest: &Path, what: &str) -> Result<ExtractStats> {
    if let Some(layer) = image.layers.iter().find(|l| !is_gzip_layer(&l.media_type)) {
        return Err(Error::metadata(
            what,
            format!(
                "unsupported layer media type {:?} (expected a gzip tar layer)",
                layer.media_type
            ),
        ));
    }
    let diff_ids = image.diff_ids()?;
    let layers: Vec<LayerToExtract<'_>> = image
        .layers
        .iter()
        .enumerate()
        .map(|(index, layer)| LayerToExtract {
            gzip: &layer.data,
            diff_id: diff_ids.as_ref().map(|ids| &ids[index]),
        })
        .collect();
    extract_layers(&layers, dest)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send<T: Send>(_: &T) {}

    /// The controllers run these operations on a multi-threaded runtime (`tokio::spawn`),
    /// which needs `Send` futures.
    #[test]
    fn operation_futures_are_send() {
        let client = RegistryClient::new(crate::ClientOptions::default()).unwrap();
        let source: SourceRef = "r.example/acme".parse().unwrap();
        let progress = NoProgress;
        let version = ModuleVersion::parse("v1.0.0").unwrap();
        let dest = Path::new("unused");
        let selector = VersionSelector::Channel(Channel::Stable);
        assert_send(&list_source(&client, &source));
        assert_send(&pull_module(
            &client, &source, "m", &selector, dest, &progress,
        ));
        assert_send(&move_channel(
            &client,
            &source,
            "m",
            &version,
            Channel::Alpha,
        ));
    }
}
