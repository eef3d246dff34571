//! Component images: resolving the images a module references to digests for
//! `images_digests.json` (`{"<lowerCamel name>": "sha256:<hex>"}`).
//!
//! Building component images from `images/<dir>/Dockerfile` is the job of an image builder
//! (werf, buildah, docker); this only resolves already pushed images.

use std::collections::BTreeMap;
use std::path::Path;

use oci_client::Reference;

use crate::build::ImagesDigests;
use crate::client::RegistryClient;
use crate::error::{Error, Result};

/// `images/<dir>` name to the lowerCamel key DKP uses: `echo-server` -> `echoServer`.
pub fn image_key(dir_name: &str) -> String {
    let mut key = String::with_capacity(dir_name.len());
    let mut upper_next = false;
    for c in dir_name.chars() {
        if c == '-' || c == '_' || c == '.' {
            upper_next = !key.is_empty();
        } else if upper_next {
            key.extend(c.to_uppercase());
            upper_next = false;
        } else if key.is_empty() {
            key.extend(c.to_lowercase());
        } else {
            key.push(c);
        }
    }
    key
}

/// The image keys a module declares: one per directory under `<module>/images/`.
pub fn declared_images(module_dir: &Path) -> Result<Vec<String>> {
    let images = module_dir.join("images");
    if !images.is_dir() {
        return Ok(Vec::new());
    }
    let mut keys = Vec::new();
    for entry in std::fs::read_dir(&images).map_err(|e| Error::io(&images, e))? {
        let entry = entry.map_err(|e| Error::io(&images, e))?;
        if entry.path().is_dir()
            && let Some(name) = entry.file_name().to_str()
        {
            keys.push(image_key(name));
        }
    }
    keys.sort();
    Ok(keys)
}

/// Parses `NAME=REFERENCE` (`--image`); NAME is a lowerCamel key or an `images/` dir name.
pub fn parse_image_arg(arg: &str) -> Result<(String, Reference)> {
    let (name, reference) = arg.split_once('=').ok_or_else(|| {
        Error::Invalid(format!(
            "--image {arg:?}: expected NAME=REFERENCE, e.g. echoServer=registry.example.com/acme/modules/echo@sha256:..."
        ))
    })?;
    let reference: Reference = reference
        .parse()
        .map_err(|e| Error::Invalid(format!("--image {arg:?}: invalid reference: {e}")))?;
    Ok((image_key(name), reference))
}

/// Resolves every `(key, reference)` to its manifest digest.
pub async fn resolve_images(
    client: &RegistryClient,
    images: &[(String, Reference)],
) -> Result<ImagesDigests> {
    let digests = futures_util::future::try_join_all(
        images
            .iter()
            .map(|(_, reference)| client.manifest_digest(reference)),
    )
    .await?;
    let mut resolved = BTreeMap::new();
    for ((key, reference), digest) in images.iter().zip(digests) {
        if let Some(pinned) = reference.digest()
            && pinned != digest.as_str()
        {
            return Err(Error::DigestMismatch {
                what: format!("image {key} ({})", reference.whole()),
                expected: pinned.to_string(),
                actual: digest.to_string(),
            });
        }
        resolved.insert(key.clone(), digest.to_string());
    }
    Ok(resolved)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_lower_camel() {
        assert_eq!(image_key("echo-server"), "echoServer");
        assert_eq!(image_key("backend"), "backend");
        assert_eq!(
            image_key("Cert-manager-controller"),
            "certManagerController"
        );
    }

    #[test]
    fn image_args_need_name_and_reference() {
        let (key, reference) = parse_image_arg("echo-server=r.example/acme/echo:v1").unwrap();
        assert_eq!(key, "echoServer");
        assert_eq!(reference.tag(), Some("v1"));
        assert!(parse_image_arg("echo").is_err());
    }
}
