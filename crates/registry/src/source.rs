//! A module source: a registry path holding DKP modules, and the references derived from it.

use std::fmt;
use std::str::FromStr;

use oci_client::Reference;

use crate::channel::Channel;
use crate::error::Error;
use crate::version::ModuleVersion;

/// A module source such as `registry.example.com/acme/modules` (host, optional port, path).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceRef {
    registry: String,
    path: String,
}

impl SourceRef {
    /// Registry host (with port).
    pub fn registry(&self) -> &str {
        &self.registry
    }

    /// Repository path inside the registry (`acme/modules`).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// `<src>:<tag>`: the source root repository, whose tags are the module catalogue.
    pub fn catalogue_ref(&self, module: &str) -> Reference {
        Reference::with_tag(self.registry.clone(), self.path.clone(), module.to_string())
    }

    /// `<src>/<m>:<tag>`: a module image (or component image) tag.
    pub fn module_ref(&self, module: &str, tag: &str) -> Reference {
        Reference::with_tag(
            self.registry.clone(),
            self.module_repository(module),
            tag.to_string(),
        )
    }

    /// `<src>/<m>:<ver>`: the module image of one version.
    pub fn module_version_ref(&self, module: &str, version: &ModuleVersion) -> Reference {
        self.module_ref(module, &version.tag())
    }

    /// `<src>/<m>/release:<tag>`.
    pub fn release_ref(&self, module: &str, tag: &str) -> Reference {
        Reference::with_tag(
            self.registry.clone(),
            format!("{}/release", self.module_repository(module)),
            tag.to_string(),
        )
    }

    /// `<src>/<m>/release:<channel>`.
    pub fn channel_ref(&self, module: &str, channel: Channel) -> Reference {
        self.release_ref(module, channel.tag())
    }

    /// `<src>/<m>`.
    pub fn module_repository(&self, module: &str) -> String {
        format!("{}/{module}", self.path)
    }
}

impl fmt::Display for SourceRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry, self.path)
    }
}

impl FromStr for SourceRef {
    type Err = Error;

    /// Parses `HOST[:PORT]/PATH`. A scheme prefix is refused: the transport is chosen with
    /// `--plain-http`, never silently from the text.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let invalid = |why: &str| {
            Error::Invalid(format!(
                "invalid module source {s:?}: {why} (expected REGISTRY-HOST[:PORT]/PATH, e.g. registry.example.com/acme/modules)"
            ))
        };
        if s.contains("://") {
            return Err(invalid(
                "drop the scheme; use --plain-http for plain HTTP registries",
            ));
        }
        let trimmed = s.trim_end_matches('/');
        let (registry, path) = trimmed
            .split_once('/')
            .ok_or_else(|| invalid("a repository path is required after the host"))?;
        if registry.is_empty() {
            return Err(invalid("empty registry host"));
        }
        if !(registry.contains('.') || registry.contains(':') || registry == "localhost") {
            return Err(invalid("the first segment must be a registry host"));
        }
        let valid_path = path.split('/').all(|segment| {
            !segment.is_empty()
                && segment
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
        });
        if !valid_path {
            return Err(invalid(
                "path segments must be non-empty and use only a-z, 0-9, '.', '_', '-'",
            ));
        }
        Ok(SourceRef {
            registry: registry.to_string(),
            path: path.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derives_the_dkp_references() {
        let src: SourceRef = "127.0.0.1:5000/acme/modules".parse().unwrap();
        let v = ModuleVersion::parse("v0.3.1").unwrap();
        assert_eq!(
            src.module_version_ref("echo", &v).whole(),
            "127.0.0.1:5000/acme/modules/echo:v0.3.1"
        );
        assert_eq!(
            src.channel_ref("echo", Channel::EarlyAccess).whole(),
            "127.0.0.1:5000/acme/modules/echo/release:early-access"
        );
        assert_eq!(
            src.catalogue_ref("echo").whole(),
            "127.0.0.1:5000/acme/modules:echo"
        );
    }

    #[test]
    fn refuses_schemes_and_missing_paths() {
        assert!("https://r.example/acme".parse::<SourceRef>().is_err());
        assert!("r.example".parse::<SourceRef>().is_err());
        assert!("acme/modules".parse::<SourceRef>().is_err());
        assert!("r.example/Acme".parse::<SourceRef>().is_err());
        assert!("localhost/acme".parse::<SourceRef>().is_ok());
    }
}
