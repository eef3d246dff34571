//! Module versions: Masterminds semver (strict `MAJOR.MINOR.PATCH`, as the platform orders
//! module releases) with the `v` prefix that DKP tags always carry.

use std::fmt;

use crate::error::{Error, Result};

/// A module version such as `v1.2.3`. Ordered by semver precedence.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ModuleVersion(masterminds_semver::Version);

impl ModuleVersion {
    /// Parses `v1.2.3` or `1.2.3` (as found in `version.json`; the `v` is optional there).
    pub fn parse(text: &str) -> Result<Self> {
        let trimmed = text.trim();
        let bare = trimmed.strip_prefix('v').unwrap_or(trimmed);
        masterminds_semver::Version::parse_strict(bare)
            .map(ModuleVersion)
            .map_err(|e| {
                Error::Invalid(format!(
                    "invalid module version {text:?}: {e} (expected vMAJOR.MINOR.PATCH)"
                ))
            })
    }

    /// Parses a registry tag, which must carry the leading `v`; `None` for any other tag.
    pub fn from_tag(tag: &str) -> Option<Self> {
        let bare = tag.strip_prefix('v')?;
        masterminds_semver::Version::parse_strict(bare)
            .ok()
            .map(ModuleVersion)
    }

    /// The registry tag for this version (`v1.2.3`).
    pub fn tag(&self) -> String {
        format!("v{}", self.0)
    }

    /// The underlying semver version.
    pub fn semver(&self) -> &masterminds_semver::Version {
        &self.0
    }
}

impl fmt::Display for ModuleVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "v{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_with_and_without_v_and_tags_with_v() {
        assert_eq!(ModuleVersion::parse("1.2.3").unwrap().tag(), "v1.2.3");
        assert_eq!(ModuleVersion::parse("v0.3.1").unwrap().tag(), "v0.3.1");
        assert!(ModuleVersion::parse("v1.2").is_err());
        assert!(ModuleVersion::from_tag("1.2.3").is_none());
        assert!(ModuleVersion::from_tag("stable").is_none());
    }

    #[test]
    fn orders_by_semver_not_text() {
        let mut versions: Vec<_> = ["v1.10.0", "v1.9.0", "v1.10.0-rc.1", "v0.1.0"]
            .iter()
            .map(|t| ModuleVersion::from_tag(t).unwrap())
            .collect();
        versions.sort();
        let tags: Vec<_> = versions.iter().map(ModuleVersion::tag).collect();
        assert_eq!(tags, ["v0.1.0", "v1.9.0", "v1.10.0-rc.1", "v1.10.0"]);
    }
}
