//! Semantic versions and version constraints as Helm checks them.
//!
//! Helm uses `Masterminds/semver/v3` for chart versions, dependency
//! version ranges and `kubeVersion` ranges, the same library Sprig's
//! `semver`/`semverCompare` use; one implementation, `sprig::semver`,
//! serves both. Its parser is lenient (`v1.2` is `1.2.0`) and its
//! constraint language differs from Cargo's: a bare version means "equal"
//! (or "tilde" when it has wildcards), commas and spaces mean AND, `||`
//! means OR, `1.2 - 1.4` is a range, and a version with a pre-release only
//! satisfies a constraint that names a pre-release.

pub use sprig::semver::{Constraints, Version};

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
    use std::cmp::Ordering;

    use super::*;

    #[test]
    fn lenient_versions_parse_as_helm_does() {
        assert_eq!(Version::parse("v1.25").unwrap().to_string(), "1.25.0");
        assert_eq!(
            Version::parse("1.25.3-gke.100").unwrap().to_string(),
            "1.25.3-gke.100"
        );
        assert!(Version::parse("1.2.3.4").is_err());
        assert!(Version::parse("abc").is_err());
        assert!(Version::parse("1.2.3-").is_err());
    }

    #[test]
    fn constraints_follow_masterminds_rules() {
        let ok = |c: &str, v: &str| is_compatible_range(c, v);
        assert!(ok("1.2.3", "1.2.3"));
        assert!(!ok("1.2.3", "1.2.4"));
        assert!(ok("1.2.x", "1.2.9"));
        assert!(ok("*", "4.5.6"));
        assert!(ok("~1.2.3", "1.2.9"));
        assert!(!ok("~1.2.3", "1.3.0"));
        assert!(ok("^1.2.3", "1.9.0"));
        assert!(!ok("^1.2.3", "2.0.0"));
        assert!(ok("^0.2.3", "0.2.9"));
        assert!(!ok("^0.2.3", "0.3.0"));
        assert!(ok(">=1.19.0-0", "1.32.0"));
        assert!(ok(">= 1.2, < 2", "1.5.0"));
        assert!(!ok(">=1.2 <2", "2.0.0"));
        assert!(ok("<1 || >=3", "3.1.0"));
        assert!(ok("1.2 - 1.4.5", "1.4.5"));
        assert!(!ok(">=1.0.0", "1.5.0-beta.1"));
        assert!(ok(">=1.0.0-0", "1.5.0-beta.1"));
        assert!(!ok("", "1.0.0"));
    }

    #[test]
    fn prerelease_precedence() {
        let v = |s| Version::parse(s).unwrap();
        assert_eq!(v("1.0.0-alpha").compare(&v("1.0.0")), Ordering::Less);
        assert_eq!(v("1.0.0-2").compare(&v("1.0.0-10")), Ordering::Less);
        assert_eq!(v("1.0.0-alpha").compare(&v("1.0.0-1")), Ordering::Greater);
    }
}
