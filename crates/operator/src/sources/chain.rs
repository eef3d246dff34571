//! The step-by-step release chain (registry-layout §5.2 with its corrections 30–34): which
//! versions a source offers between the module's current release and its channel's target,
//! and whether consecutive versions may follow each other.
//!
//! Pure: the versions come from the tags of the module image repository `<src>/<m>`, the
//! from-to rules from the release images; the scan loop reads both and calls these.

use std::collections::BTreeMap;

use masterminds_semver::Version;

/// A from-to rule of `module.yaml` `update.versions`: a cluster at `from` (or above, below
/// `to`) may jump straight to `to` (both `major.minor`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FromTo {
    /// Lowest `(major, minor)` admitted.
    pub from: (u64, u64),
    /// The `(major, minor)` the rule leads to.
    pub to: (u64, u64),
}

impl FromTo {
    /// Parses a rule; `from` and `to` are `major.minor` (a patch and a leading `v` are
    /// tolerated and ignored). The error names the field and the text.
    pub fn parse(from: &str, to: &str) -> Result<FromTo, String> {
        Ok(FromTo {
            from: major_minor(from).ok_or_else(|| format!("from: {from:?} is not MAJOR.MINOR"))?,
            to: major_minor(to).ok_or_else(|| format!("to: {to:?} is not MAJOR.MINOR"))?,
        })
    }
}

fn major_minor(text: &str) -> Option<(u64, u64)> {
    let text = text.trim();
    let text = text.strip_prefix('v').unwrap_or(text);
    let mut parts = text.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    match parts.next() {
        None => Some((major, minor)),
        Some(patch) if patch.parse::<u64>().is_ok() && parts.next().is_none() => {
            Some((major, minor))
        }
        Some(_) => None,
    }
}

fn minor_of(v: &Version) -> (u64, u64) {
    (v.major, v.minor)
}

/// Versions whose tags count for the chain: `vX.Y.Z` without pre-release or build parts
/// (the platform refuses pre-releases in automatic updates).
pub fn release_versions<'a>(tags: impl IntoIterator<Item = &'a str>) -> Vec<Version> {
    let mut versions: Vec<Version> = tags
        .into_iter()
        .filter_map(|t| t.strip_prefix('v'))
        .filter_map(|t| Version::parse_strict(t).ok())
        .filter(|v| v.pre.is_empty() && v.metadata.is_empty())
        .collect();
    versions.sort();
    versions.dedup();
    versions
}

/// The versions to create releases for, ascending, ending at `target`.
///
/// * No release yet (`start` is `None`) or the LTS channel: the target alone.
/// * A target at or below `start`: nothing (never an automatic downgrade).
/// * Otherwise every minor above `start` up to the target's minor contributes its highest
///   patch — the start's own minor too, so no patch-level migration is skipped — and the
///   target's minor contributes the target itself (a newer patch there is not yet on the
///   channel).
pub fn select_versions(
    available: &[Version],
    start: Option<&Version>,
    target: &Version,
    lts: bool,
) -> Vec<Version> {
    let Some(start) = start else {
        return vec![target.clone()];
    };
    if target <= start {
        return Vec::new();
    }
    if lts {
        return vec![target.clone()];
    }
    let mut per_minor: BTreeMap<(u64, u64), Version> = BTreeMap::new();
    for v in available {
        if v > start && minor_of(v) < minor_of(target) && v.pre.is_empty() {
            let slot = per_minor.entry(minor_of(v)).or_insert_with(|| v.clone());
            if v > slot {
                *slot = v.clone();
            }
        }
    }
    let mut chain: Vec<Version> = per_minor.into_values().collect();
    chain.push(target.clone());
    chain
}

/// Neither major nor minor skips a step: a patch or the next minor of the same major, or
/// the first minor of the next major.
pub fn is_sequential(lower: &Version, higher: &Version) -> bool {
    (higher.major == lower.major && higher.minor <= lower.minor + 1)
        || (higher.major == lower.major + 1 && higher.minor == 0)
}

/// A from-to rule declared on `higher` bridges `lower` when the rule leads to `higher`'s
/// `major.minor` and `lower` lies in `[from, to)`.
pub fn from_to_bridges(lower: &Version, higher: &Version, rules_of_higher: &[FromTo]) -> bool {
    rules_of_higher.iter().any(|rule| {
        rule.to == minor_of(higher) && rule.from <= minor_of(lower) && minor_of(lower) < rule.to
    })
}

/// The pairs of a chain (after `start`) that are neither sequential nor bridged by a
/// from-to rule of the higher release: the "broken sequence" the platform reports. The
/// walk does not stop at a gap; the caller reports them.
pub fn gaps<'a>(
    start: Option<&'a Version>,
    chain: &'a [(Version, Vec<FromTo>)],
) -> Vec<(&'a Version, &'a Version)> {
    let mut found = Vec::new();
    let mut previous = start;
    for (version, rules) in chain {
        if let Some(lower) = previous
            && !is_sequential(lower, version)
            && !from_to_bridges(lower, version, rules)
        {
            found.push((lower, version));
        }
        previous = Some(version);
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn v(text: &str) -> Version {
        Version::parse_strict(text).unwrap()
    }

    fn vs(texts: &[&str]) -> Vec<Version> {
        texts.iter().map(|t| v(t)).collect()
    }

    #[test]
    fn release_versions_keep_only_plain_v_tags() {
        let tags = [
            "v1.2.0",
            "1.3.0",
            "stable",
            "v1.2.0-rc.1",
            "v1.10.0",
            "v1.2",
            "v1.9.1",
        ];
        assert_eq!(release_versions(tags), vs(&["1.2.0", "1.9.1", "1.10.0"]));
    }

    #[test]
    fn first_release_is_the_target_alone() {
        let available = vs(&["1.0.0", "1.1.0", "1.2.0"]);
        assert_eq!(
            select_versions(&available, None, &v("1.2.0"), false),
            vs(&["1.2.0"])
        );
    }

    #[test]
    fn highest_patch_of_each_minor_then_the_target() {
        let available = vs(&[
            "1.0.0", "1.0.1", "1.0.2", "1.1.0", "1.1.3", "1.2.0", "1.2.1", "1.2.2", "1.3.0",
        ]);
        // From 1.0.0: the current minor's highest patch is included, then 1.1.3, then the
        // target 1.2.1 (1.2.2 is above the target, 1.3.0 above its minor).
        assert_eq!(
            select_versions(&available, Some(&v("1.0.0")), &v("1.2.1"), false),
            vs(&["1.0.2", "1.1.3", "1.2.1"])
        );
    }

    #[test]
    fn nothing_when_the_target_is_not_newer_and_lts_goes_direct() {
        let available = vs(&["1.0.0", "1.1.0", "1.5.0"]);
        assert!(select_versions(&available, Some(&v("1.5.0")), &v("1.1.0"), false).is_empty());
        assert!(select_versions(&available, Some(&v("1.5.0")), &v("1.5.0"), false).is_empty());
        assert_eq!(
            select_versions(&available, Some(&v("1.0.0")), &v("1.5.0"), true),
            vs(&["1.5.0"])
        );
    }

    #[test]
    fn target_missing_from_the_tags_still_ends_the_chain() {
        let available = vs(&["1.0.0", "1.1.0"]);
        assert_eq!(
            select_versions(&available, Some(&v("1.0.0")), &v("1.2.0"), false),
            vs(&["1.1.0", "1.2.0"])
        );
    }

    #[test]
    fn sequence_and_bridges() {
        assert!(is_sequential(&v("1.1.5"), &v("1.2.0")));
        assert!(is_sequential(&v("1.1.5"), &v("1.1.7")));
        assert!(is_sequential(&v("1.9.0"), &v("2.0.0")));
        assert!(!is_sequential(&v("1.1.0"), &v("1.3.0")));
        assert!(!is_sequential(&v("1.1.0"), &v("2.1.0")));
        let rule = [FromTo::parse("1.1", "1.4").unwrap()];
        assert!(from_to_bridges(&v("1.1.2"), &v("1.4.0"), &rule));
        assert!(from_to_bridges(&v("1.3.0"), &v("1.4.9"), &rule));
        // Below `from`, at `to`, or on a release of another minor: no bridge.
        assert!(!from_to_bridges(&v("1.0.9"), &v("1.4.0"), &rule));
        assert!(!from_to_bridges(&v("1.4.0"), &v("1.4.1"), &rule));
        assert!(!from_to_bridges(&v("1.1.0"), &v("1.5.0"), &rule));
    }

    #[test]
    fn gaps_name_the_unbridged_pairs() {
        let chain = [
            (v("1.1.0"), vec![]),
            (v("1.3.0"), vec![]),
            (v("1.6.0"), vec![FromTo::parse("1.3", "1.6").unwrap()]),
        ];
        let found = gaps(Some(&chain[0].0), &chain[1..]);
        assert_eq!(found, vec![(&v("1.1.0"), &v("1.3.0"))]);
    }

    #[test]
    fn from_to_parse_errors_name_the_field() {
        assert_eq!(FromTo::parse("v1.2", "1.4.0").unwrap().to, (1, 4));
        let err = FromTo::parse("1", "1.4").unwrap_err();
        assert!(err.starts_with("from:"), "{err}");
        let err = FromTo::parse("1.2", "x").unwrap_err();
        assert!(err.starts_with("to:"), "{err}");
    }

    fn version_strategy() -> impl Strategy<Value = Version> {
        (0u64..3, 0u64..6, 0u64..5).prop_map(|(a, b, c)| Version::new(a, b, c))
    }

    proptest! {
        /// Whatever the tags: the chain ascends strictly, stays above the start, has one
        /// version per minor, ends at the target, and takes each intermediate minor's
        /// highest patch offered.
        #[test]
        fn chain_shape(
            mut available in proptest::collection::vec(version_strategy(), 0..30),
            start in version_strategy(),
            target in version_strategy(),
        ) {
            available.sort();
            available.dedup();
            let chain = select_versions(&available, Some(&start), &target, false);
            if target <= start {
                prop_assert!(chain.is_empty());
                return Ok(());
            }
            prop_assert_eq!(chain.last(), Some(&target));
            for pair in chain.windows(2) {
                prop_assert!(pair[0] < pair[1]);
                prop_assert!(minor_of(&pair[0]) < minor_of(&pair[1]));
            }
            for step in &chain {
                prop_assert!(step > &start);
                if step != &target {
                    prop_assert!(available.contains(step));
                    let best = available
                        .iter()
                        .filter(|a| minor_of(a) == minor_of(step))
                        .max()
                        .unwrap();
                    prop_assert_eq!(best, step);
                }
            }
            // No offered minor between start and target is left out.
            for a in &available {
                if a > &start && minor_of(a) < minor_of(&target) {
                    prop_assert!(chain.iter().any(|c| minor_of(c) == minor_of(a)));
                }
            }
            prop_assert_eq!(
                select_versions(&available, Some(&start), &target, true),
                vec![target.clone()]
            );
        }
    }
}
