//! An OCI registry client speaking in this crate's terms (verified [`Image`]s, raw
//! manifests, full tag lists) with errors that tell the user what to do.

use std::error::Error as _;
use std::fs;
use std::path::PathBuf;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::future::try_join_all;
use http::HeaderValue;
use oci_client::client::{Certificate, CertificateEncoding, ClientConfig, ClientProtocol};
use oci_client::errors::OciDistributionError;
use oci_client::manifest::OciDescriptor;
use oci_client::secrets::RegistryAuth;
use oci_client::{Client, Reference, RegistryOperation};
use tokio::io::AsyncWrite;

use crate::auth::DockerConfig;
use crate::digest::Digest;
use crate::error::{Error, Result};
use crate::image::{
    Blob, DOCKER_MANIFEST, Descriptor, Image, Manifest, OCI_MANIFEST, parse_manifest,
};
use crate::progress::Progress;

/// How to reach a registry.
#[derive(Clone, Debug, Default)]
pub struct ClientOptions {
    /// Use plain HTTP instead of HTTPS (only when explicitly asked).
    pub plain_http: bool,
    /// File holding a PEM bundle of extra CAs to trust (the CLI's `--ca-file`).
    pub ca_file: Option<PathBuf>,
    /// A PEM bundle of extra CAs given in memory (`ModuleSource.spec.registry.ca`).
    pub ca_pem: Option<Vec<u8>>,
    /// Credentials (a docker `config.json`, see [`DockerConfig::load`]).
    pub credentials: DockerConfig,
    /// User-Agent header; the platform sends the cluster UUID here. Default `deckmod/<ver>`.
    pub user_agent: Option<&'static str>,
}

/// A registry client. Cheap to clone; safe to share between tasks.
#[derive(Clone)]
pub struct RegistryClient {
    oci: Client,
    credentials: DockerConfig,
}

const ACCEPTED_MANIFESTS: &[&str] = &[OCI_MANIFEST, DOCKER_MANIFEST];
const USER_AGENT: &str = concat!("deckmod/", env!("CARGO_PKG_VERSION"));

impl RegistryClient {
    /// Creates a client; fails when the CA file cannot be read or parsed.
    pub fn new(options: ClientOptions) -> Result<RegistryClient> {
        crate::init_crypto();
        let mut bundles = Vec::new();
        if let Some(path) = &options.ca_file {
            let data = fs::read(path).map_err(|e| Error::io(path, e))?;
            bundles.push((path.display().to_string(), data));
        }
        if let Some(pem) = &options.ca_pem {
            bundles.push(("registry CA".to_string(), pem.clone()));
        }
        let mut extra_root_certificates = Vec::new();
        for (origin, data) in bundles {
            if !data.windows(11).any(|w| w == b"-----BEGIN ") {
                return Err(Error::metadata(origin, "not a PEM certificate bundle"));
            }
            extra_root_certificates.push(Certificate {
                encoding: CertificateEncoding::Pem,
                data,
            });
        }
        let config = ClientConfig {
            protocol: if options.plain_http {
                ClientProtocol::Http
            } else {
                ClientProtocol::Https
            },
            extra_root_certificates,
            // One PUT per blob: the fewest round trips, and the registry needs no chunk state.
            use_monolithic_push: true,
            platform_resolver: None,
            user_agent: options.user_agent.unwrap_or(USER_AGENT),
            ..ClientConfig::default()
        };
        let oci = Client::try_from(config).map_err(|e| {
            Error::Invalid(format!("cannot create the registry client: {}", chain(&e)))
        })?;
        Ok(RegistryClient {
            oci,
            credentials: options.credentials,
        })
    }

    fn auth(&self, reference: &Reference) -> RegistryAuth {
        self.credentials.auth_for(reference.registry())
    }

    /// Authenticates for `operation` on the repository of `reference` so the blob calls
    /// (which take no credentials) carry them.
    async fn login(&self, reference: &Reference, operation: RegistryOperation) -> Result<()> {
        let auth = self.auth(reference);
        if matches!(auth, RegistryAuth::Anonymous) {
            return Ok(());
        }
        self.oci
            .auth(reference, &auth, operation)
            .await
            .map(|_| ())
            .map_err(|e| classify(e, reference, "authenticate"))
    }

    /// Pushes `image` under `reference` (a tag); blobs already present are not re-sent.
    /// Returns the manifest digest.
    pub async fn push_image(
        &self,
        reference: &Reference,
        image: &Image,
        progress: &dyn Progress,
    ) -> Result<Digest> {
        self.login(reference, RegistryOperation::Push).await?;
        let blobs: Vec<&Blob> = std::iter::once(&image.config)
            .chain(&image.layers)
            .collect();
        progress.add_total(blobs.iter().map(|b| b.data.len() as u64).sum());
        try_join_all(
            blobs
                .into_iter()
                .map(|blob| self.push_blob(reference, blob, progress)),
        )
        .await?;
        self.push_manifest(reference, image.manifest_bytes.clone(), &image.media_type)
            .await
    }

    async fn push_blob(
        &self,
        reference: &Reference,
        blob: &Blob,
        progress: &dyn Progress,
    ) -> Result<()> {
        let exists = self
            .oci
            .blob_exists(reference, blob.digest.as_str())
            .await
            .map_err(|e| classify(e, reference, "check blob"))?;
        if !exists {
            self.oci
                .push_blob(reference, blob.data.clone(), blob.digest.as_str())
                .await
                .map_err(|e| classify(e, reference, &format!("push blob {}", blob.digest)))?;
        }
        progress.advance(blob.data.len() as u64);
        Ok(())
    }

    /// Pushes raw manifest bytes under `reference`; returns their digest.
    pub async fn push_manifest(
        &self,
        reference: &Reference,
        manifest: Bytes,
        media_type: &str,
    ) -> Result<Digest> {
        self.login(reference, RegistryOperation::Push).await?;
        let digest = Digest::of(&manifest);
        let content_type = HeaderValue::from_str(media_type)
            .map_err(|_| Error::Invalid(format!("invalid manifest media type {media_type:?}")))?;
        self.oci
            .push_manifest_raw(reference, manifest, content_type)
            .await
            .map_err(|e| classify(e, reference, "push manifest"))?;
        Ok(digest)
    }

    /// Pulls the raw manifest of `reference`, verified against its digest.
    /// Returns the bytes, the digest and the media type.
    pub async fn pull_manifest(&self, reference: &Reference) -> Result<(Bytes, Digest, String)> {
        let (bytes, reported) = self
            .oci
            .pull_manifest_raw(reference, &self.auth(reference), ACCEPTED_MANIFESTS)
            .await
            .map_err(|e| classify(e, reference, "pull manifest"))?;
        let digest = Digest::of(&bytes);
        if reported != digest.as_str() {
            return Err(Error::DigestMismatch {
                what: format!("manifest of {}", reference.whole()),
                expected: reported,
                actual: digest.to_string(),
            });
        }
        let manifest = parse_manifest(&bytes, &reference.whole())?;
        let media_type = manifest
            .media_type
            .unwrap_or_else(|| OCI_MANIFEST.to_string());
        Ok((bytes, digest, media_type))
    }

    /// The manifest digest of `reference` without downloading anything else.
    pub async fn manifest_digest(&self, reference: &Reference) -> Result<Digest> {
        let text = self
            .oci
            .fetch_manifest_digest(reference, &self.auth(reference))
            .await
            .map_err(|e| classify(e, reference, "resolve digest"))?;
        Digest::parse(&text)
    }

    /// Pulls the whole image at `reference`, verifying the manifest and every blob digest.
    pub async fn pull_image(
        &self,
        reference: &Reference,
        progress: &dyn Progress,
    ) -> Result<Image> {
        let (manifest_bytes, manifest_digest, media_type) = self.pull_manifest(reference).await?;
        self.login(reference, RegistryOperation::Pull).await?;
        let manifest = parse_manifest(&manifest_bytes, &reference.whole())?;
        progress
            .add_total(manifest.config.size + manifest.layers.iter().map(|l| l.size).sum::<u64>());
        let config = self.pull_blob(reference, &manifest.config, progress);
        let layers = try_join_all(
            manifest
                .layers
                .iter()
                .map(|layer| self.pull_blob(reference, layer, progress)),
        );
        let (config, layers) = futures_util::try_join!(config, layers)?;
        Ok(Image {
            manifest_bytes,
            manifest_digest,
            media_type,
            manifest,
            config,
            layers,
        })
    }

    /// The verified manifest (with its digest) and config of `reference`: the small parts
    /// of an image, read before its layers are streamed with [`RegistryClient::stream_blob`].
    pub async fn pull_manifest_and_config(
        &self,
        reference: &Reference,
    ) -> Result<(Manifest, Digest, Blob)> {
        let (manifest_bytes, manifest_digest, _) = self.pull_manifest(reference).await?;
        self.login(reference, RegistryOperation::Pull).await?;
        let manifest = parse_manifest(&manifest_bytes, &reference.whole())?;
        let config = self
            .pull_blob(reference, &manifest.config, &crate::progress::NoProgress)
            .await?;
        Ok((manifest, manifest_digest, config))
    }

    /// Sends the blob `descriptor` of `reference` chunk by chunk into `sink` as it arrives.
    /// The channel is bounded, so the download waits while the consumer is behind: memory
    /// stays bounded whatever the blob's size. The consumer verifies the digest (this
    /// function does not hold the bytes). A consumer that hung up ends the transfer
    /// without an error: its own error is the one to report.
    pub async fn stream_blob(
        &self,
        reference: &Reference,
        descriptor: &Descriptor,
        sink: &tokio::sync::mpsc::Sender<std::io::Result<Bytes>>,
        progress: &dyn Progress,
    ) -> Result<()> {
        use futures_util::StreamExt as _;
        let oci_descriptor = OciDescriptor {
            media_type: descriptor.media_type.clone(),
            digest: descriptor.digest.clone(),
            size: descriptor.size as i64,
            ..OciDescriptor::default()
        };
        let what = format!("pull blob {}", descriptor.digest);
        let mut stream = self
            .oci
            .pull_blob_stream(reference, &oci_descriptor)
            .await
            .map_err(|e| classify(e, reference, &what))?;
        while let Some(chunk) = stream.next().await {
            let chunk = match chunk {
                Ok(c) => c,
                Err(e) => {
                    let error = Error::Registry {
                        registry: reference.registry().to_string(),
                        operation: format!("{what} of {}", reference.whole()),
                        detail: chain(&e),
                    };
                    let _ = sink
                        .send(Err(std::io::Error::other(error.to_string())))
                        .await;
                    return Err(error);
                }
            };
            progress.advance(chunk.len() as u64);
            if sink.send(Ok(chunk)).await.is_err() {
                return Ok(());
            }
        }
        Ok(())
    }

    async fn pull_blob(
        &self,
        reference: &Reference,
        descriptor: &Descriptor,
        progress: &dyn Progress,
    ) -> Result<Blob> {
        let digest = Digest::parse(&descriptor.digest)?;
        let oci_descriptor = OciDescriptor {
            media_type: descriptor.media_type.clone(),
            digest: descriptor.digest.clone(),
            size: descriptor.size as i64,
            ..OciDescriptor::default()
        };
        // Pre-size from the descriptor, capped so a lying manifest cannot force a huge
        // allocation up front.
        let capacity = descriptor.size.min(256 << 20) as usize;
        let mut sink = CountingSink {
            data: Vec::with_capacity(capacity),
            progress,
        };
        self.oci
            .pull_blob(reference, &oci_descriptor, &mut sink)
            .await
            .map_err(|e| classify(e, reference, &format!("pull blob {digest}")))?;
        // oci-client verified the digest while streaming; check once more so this function's
        // guarantee does not depend on that detail.
        digest.verify(&format!("blob of {}", reference.whole()), &sink.data)?;
        Ok(Blob {
            media_type: descriptor.media_type.clone(),
            digest,
            data: Bytes::from(sink.data),
        })
    }

    /// Every tag of the repository of `reference`, as the registry returns them.
    /// A repository that does not exist yields [`Error::NotFound`].
    pub async fn list_tags(&self, reference: &Reference) -> Result<Vec<String>> {
        // This registry ignores `n` and returns everything at once; oci-client exposes no
        // next-page link, so one request is the whole list.
        let response = self
            .oci
            .list_tags(reference, &self.auth(reference), None, None)
            .await
            .map_err(|e| classify(e, reference, "list tags"))?;
        Ok(response.tags)
    }

    /// Points tag `to` at the manifest of `from` (same registry) by re-pushing the raw
    /// manifest: no blob is downloaded or uploaded. Blobs must already be in `to`'s
    /// repository. Returns the digest, identical to that of `from`.
    pub async fn retag(&self, from: &Reference, to: &Reference) -> Result<Digest> {
        let (bytes, digest, media_type) = self.pull_manifest(from).await?;
        let pushed = self.push_manifest(to, bytes, &media_type).await?;
        debug_assert_eq!(pushed, digest);
        Ok(pushed)
    }
}

/// Collects a blob in memory, reporting progress as bytes arrive.
struct CountingSink<'a> {
    data: Vec<u8>,
    progress: &'a dyn Progress,
}

impl AsyncWrite for CountingSink<'_> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.data.extend_from_slice(buf);
        self.progress.advance(buf.len() as u64);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// The whole error chain on one line: reqwest hides the TLS or connection cause otherwise.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// Turns an oci-client error into an [`Error`] the user can act on.
fn classify(error: OciDistributionError, reference: &Reference, operation: &str) -> Error {
    let registry = reference.registry().to_string();
    let detail = chain(&error);
    let operation = format!("{operation} {}", reference.whole());
    let lowered = detail.to_ascii_lowercase();
    if lowered.contains("unknownissuer")
        || lowered.contains("invalid peer certificate")
        || lowered.contains("certificate verify failed")
    {
        return Error::UntrustedCertificate { registry, detail };
    }
    let http_status = match &error {
        OciDistributionError::RequestError(e) => e.status().map(|s| s.as_u16()),
        OciDistributionError::ServerError { code, .. } => Some(*code),
        _ => None,
    };
    let unauthorized = http_status.is_some_and(|code| code == 401 || code == 403)
        || match &error {
            OciDistributionError::UnauthorizedError { .. }
            | OciDistributionError::AuthenticationFailure(_) => true,
            OciDistributionError::RegistryError { envelope, .. } => {
                envelope.errors.iter().any(|e| {
                    matches!(
                        e.code,
                        oci_client::errors::OciErrorCode::Unauthorized
                            | oci_client::errors::OciErrorCode::Denied
                    )
                })
            }
            _ => false,
        };
    if unauthorized {
        return Error::Auth {
            registry,
            operation,
            detail,
        };
    }
    let not_found = http_status == Some(404)
        || match &error {
            OciDistributionError::ImageManifestNotFoundError(_) => true,
            OciDistributionError::RegistryError { envelope, .. } => {
                envelope.errors.iter().any(|e| {
                    matches!(
                        e.code,
                        oci_client::errors::OciErrorCode::ManifestUnknown
                            | oci_client::errors::OciErrorCode::NameUnknown
                            | oci_client::errors::OciErrorCode::BlobUnknown
                    )
                })
            }
            _ => false,
        };
    if not_found {
        return Error::NotFound {
            reference: reference.whole(),
        };
    }
    if error
        .source()
        .is_some_and(|s| s.to_string().contains("error sending request"))
        || lowered.contains("connect")
    {
        return Error::Registry {
            registry,
            operation,
            detail: format!(
                "{detail} (is the registry reachable? for a plain HTTP registry pass --plain-http)"
            ),
        };
    }
    Error::Registry {
        registry,
        operation,
        detail,
    }
}
