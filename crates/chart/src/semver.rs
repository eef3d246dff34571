//! Helm's version-range check (`chartutil.IsCompatibleRange`), used for a
//! chart's `kubeVersion` and its dependencies' `version` ranges.
//!
//! The version and constraint rules are Masterminds/semver v3's, as Helm
//! uses them; they live in [`masterminds_semver`], shared with Sprig's
//! `semverCompare` and DKP's module requirements.

use masterminds_semver::{Constraints, Version};

/// Whether `version` satisfies `constraint`, as Helm's
/// `chartutil.IsCompatibleRange` decides: an unparsable constraint or
/// version is not compatible.
pub fn is_compatible_range(constraint: &str, version: &str) -> bool {
    match (Constraints::parse(constraint), Version::parse(version)) {
        (Ok(c), Ok(v)) => c.check(&v),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unparsable_input_is_incompatible() {
        assert!(is_compatible_range(">=1.19.0-0", "1.32.0"));
        assert!(is_compatible_range("1.2 - 1.4.5", "v1.4"));
        assert!(!is_compatible_range("", "1.0.0"));
        assert!(!is_compatible_range("banana", "1.0.0"));
        assert!(!is_compatible_range(">=1.0.0", "1.2.3.4"));
        assert!(!is_compatible_range(">=1.0.0", "1.2.3-"));
    }

    #[test]
    fn kube_versions_with_provider_suffixes_need_a_prerelease_range() {
        // GKE and EKS report `1.29.1-gke.1589000`: a pre-release by SemVer,
        // so Helm's range must name one (`-0`) to admit it.
        assert!(!is_compatible_range(">=1.25.0", "1.29.1-gke.1589000"));
        assert!(is_compatible_range(">=1.25.0-0", "1.29.1-gke.1589000"));
    }
}
