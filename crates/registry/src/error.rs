//! The one error type of the crate: every variant names what failed and where.

use std::path::PathBuf;

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong while building, pushing, pulling or extracting modules.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A filesystem operation failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory involved.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A user-supplied value (reference, version, channel, flag) is malformed.
    #[error("{0}")]
    Invalid(String),
    /// A module's metadata (`module.yaml`, `version.json`, ...) is missing or malformed.
    #[error("{path}: {message}")]
    Metadata {
        /// The file (or image path) holding the metadata.
        path: String,
        /// What is wrong with it.
        message: String,
    },
    /// An archive entry was refused by the safe extractor.
    #[error("refusing archive entry {entry:?}: {reason}")]
    UnsafeEntry {
        /// The entry name as stored in the archive.
        entry: String,
        /// Why it is refused.
        reason: String,
    },
    /// Content read from the registry or an OCI layout does not match its digest.
    #[error("digest mismatch for {what}: expected {expected}, got {actual}")]
    DigestMismatch {
        /// What was being verified.
        what: String,
        /// The digest that was announced.
        expected: String,
        /// The digest of the bytes actually received.
        actual: String,
    },
    /// The registry refused the credentials (HTTP 401/403).
    #[error(
        "authentication to {registry} failed while trying to {operation}: {detail}\n\
         hint: check the credentials in the docker config (--registry-config or $DOCKER_CONFIG/config.json)"
    )]
    Auth {
        /// Registry host.
        registry: String,
        /// What was being attempted.
        operation: String,
        /// Registry response or client message.
        detail: String,
    },
    /// The registry's TLS certificate is not trusted.
    #[error(
        "TLS connection to {registry} failed: the server certificate is not trusted ({detail})\n\
         hint: pass the registry CA bundle with --ca-file, or --plain-http for a plain HTTP registry"
    )]
    UntrustedCertificate {
        /// Registry host.
        registry: String,
        /// The TLS error.
        detail: String,
    },
    /// A registry request failed for another reason.
    #[error("registry {registry}: {operation} failed: {detail}")]
    Registry {
        /// Registry host.
        registry: String,
        /// What was being attempted (including the reference).
        operation: String,
        /// The full error chain.
        detail: String,
    },
    /// The requested reference does not exist in the registry.
    #[error("{reference}: not found in the registry")]
    NotFound {
        /// The reference that was looked up.
        reference: String,
    },
}

impl Error {
    /// Builds an [`Error::Io`] for `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    /// Builds an [`Error::Metadata`].
    pub fn metadata(path: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Metadata {
            path: path.into(),
            message: message.into(),
        }
    }

    /// Builds an [`Error::UnsafeEntry`].
    pub fn unsafe_entry(entry: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::UnsafeEntry {
            entry: entry.into(),
            reason: reason.into(),
        }
    }
}
