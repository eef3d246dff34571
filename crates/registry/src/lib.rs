//! DKP module distribution over OCI registries: module and release images, channels,
//! push/pull, safe extraction.
//!
//! Layout (registry-layout.md): `<src>:<m>` registers a module in the source catalogue,
//! `<src>/<m>:<ver>` is the module image, `<src>/<m>/release:<ver>` and
//! `<src>/<m>/release:<channel>` are release images holding `version.json`.
//!
//! The registry API ([`RegistryClient`] and the operations in [`ops`]) is async and never
//! builds a runtime of its own: the in-cluster controllers call it from theirs, the CLI from
//! the one it builds per command. Transfers report to a [`Progress`] the caller supplies.
//! Call [`init_crypto`] once per process first.

pub mod archive;
pub mod auth;
pub mod build;
pub mod bundle;
pub mod channel;
pub mod client;
mod crypto;
pub mod digest;
pub mod error;
pub mod extract;
pub mod image;
pub mod images_digests;
pub mod layout;
pub mod module_meta;
pub mod ops;
pub mod progress;
pub mod release;
pub mod source;
pub mod version;

pub use build::{BuiltModule, build_module, read_build_output, write_build_output};
pub use channel::Channel;
pub use client::{ClientOptions, RegistryClient};
pub use crypto::init_crypto;
pub use digest::Digest;
pub use error::{Error, Result};
pub use progress::{NoProgress, Progress};
pub use source::SourceRef;
pub use version::ModuleVersion;
