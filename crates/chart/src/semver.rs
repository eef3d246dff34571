//! Semantic versions and version constraints as Helm checks them.
//!
//! Helm uses `Masterminds/semver/v3` for chart versions, dependency
//! version ranges and `kubeVersion` ranges. Its parser is lenient (`v1.2`
//! is `1.2.0`) and its constraint language differs from Cargo's: a bare
//! version means "equal" (or "tilde" when it has wildcards), commas and
//! spaces mean AND, `||` means OR, `1.2 - 1.4` is a range, and a version
//! with a pre-release only satisfies a constraint that names a pre-release.

use std::cmp::Ordering;

/// A parsed semantic version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Version {
    /// Major number.
    pub major: u64,
    /// Minor number.
    pub minor: u64,
    /// Patch number.
    pub patch: u64,
    /// Pre-release identifiers after `-` (empty when none).
    pub pre: String,
    /// Build metadata after `+` (empty when none).
    pub build: String,
}

impl Version {
    /// Parse leniently as `semver.NewVersion` does: an optional `v`, one to
    /// three numeric parts, then optional pre-release and build metadata.
    pub fn parse(text: &str) -> Option<Version> {
        let s = text.strip_prefix('v').unwrap_or(text);
        let (rest, build) = match s.split_once('+') {
            Some((r, b)) => (r, b),
            None => (s, ""),
        };
        let (core, pre) = match rest.split_once('-') {
            Some((c, p)) => (c, p),
            None => (rest, ""),
        };
        if !build.is_empty() && !valid_identifiers(build) || s.contains('+') && build.is_empty() {
            return None;
        }
        if !pre.is_empty() && !valid_identifiers(pre) || rest.contains('-') && pre.is_empty() {
            return None;
        }
        let parts: Vec<&str> = core.split('.').collect();
        if parts.is_empty() || parts.len() > 3 {
            return None;
        }
        let mut nums = [0u64; 3];
        for (i, p) in parts.iter().enumerate() {
            if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            nums[i] = p.parse().ok()?;
        }
        Some(Version {
            major: nums[0],
            minor: nums[1],
            patch: nums[2],
            pre: pre.to_string(),
            build: build.to_string(),
        })
    }

    /// Semantic-version precedence (build metadata ignored).
    pub fn compare(&self, other: &Version) -> Ordering {
        (self.major, self.minor, self.patch)
            .cmp(&(other.major, other.minor, other.patch))
            .then_with(|| compare_prerelease(&self.pre, &other.pre))
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)?;
        if !self.pre.is_empty() {
            write!(f, "-{}", self.pre)?;
        }
        if !self.build.is_empty() {
            write!(f, "+{}", self.build)?;
        }
        Ok(())
    }
}

fn valid_identifiers(s: &str) -> bool {
    s.split('.')
        .all(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
}

fn compare_prerelease(a: &str, b: &str) -> Ordering {
    match (a.is_empty(), b.is_empty()) {
        (true, true) => return Ordering::Equal,
        (true, false) => return Ordering::Greater,
        (false, true) => return Ordering::Less,
        _ => {}
    }
    let mut ia = a.split('.');
    let mut ib = b.split('.');
    loop {
        match (ia.next(), ib.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) => {
                let ord = match (x.parse::<u64>(), y.parse::<u64>()) {
                    (Ok(n), Ok(m)) => n.cmp(&m),
                    (Ok(_), Err(_)) => Ordering::Less,
                    (Err(_), Ok(_)) => Ordering::Greater,
                    (Err(_), Err(_)) => x.cmp(y),
                };
                if ord != Ordering::Equal {
                    return ord;
                }
            }
        }
    }
}

/// One comparison of a constraint group, e.g. `>=1.2.x`.
#[derive(Clone, Debug)]
struct Comparison {
    op: Op,
    version: Version,
    minor_dirty: bool,
    patch_dirty: bool,
    dirty: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Equal,
    NotEqual,
    Greater,
    Less,
    GreaterEqual,
    LessEqual,
    Tilde,
    Caret,
}

/// A version constraint: OR of AND-groups of comparisons.
#[derive(Clone, Debug)]
pub struct Constraint {
    groups: Vec<Vec<Comparison>>,
}

impl Constraint {
    /// Parse a constraint; `None` when it is not valid.
    pub fn parse(text: &str) -> Option<Constraint> {
        let mut groups = Vec::new();
        for alternative in text.split("||") {
            let expanded = expand_hyphen_ranges(alternative.trim())?;
            let mut group = Vec::new();
            for token in split_comparisons(&expanded) {
                group.push(parse_comparison(&token)?);
            }
            if group.is_empty() {
                return None;
            }
            groups.push(group);
        }
        Some(Constraint { groups })
    }

    /// Whether `version` satisfies the constraint.
    pub fn check(&self, version: &Version) -> bool {
        self.groups
            .iter()
            .any(|group| group.iter().all(|c| c.check(version)))
    }
}

/// Whether `version` satisfies `constraint` (Helm's `IsCompatibleRange`):
/// false when either does not parse.
pub fn is_compatible_range(constraint: &str, version: &str) -> bool {
    match (Version::parse(version), Constraint::parse(constraint)) {
        (Some(v), Some(c)) => c.check(&v),
        _ => false,
    }
}

/// `1.2 - 1.4.5` → `>=1.2 <=1.4.5`.
fn expand_hyphen_ranges(s: &str) -> Option<String> {
    match s.split_once(" - ") {
        Some((lo, hi)) => Some(format!(">={} <={}", lo.trim(), hi.trim())),
        None => Some(s.to_string()),
    }
}

/// Split an AND-group on spaces and commas, keeping an operator separated
/// from its version by spaces (`>= 1.2`) together.
fn split_comparisons(s: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut pending_op = String::new();
    for raw in s.split([' ', ',']).filter(|t| !t.is_empty()) {
        if raw.chars().all(|c| "<>=!~^".contains(c)) {
            pending_op.push_str(raw);
            continue;
        }
        out.push(format!("{pending_op}{raw}"));
        pending_op.clear();
    }
    if !pending_op.is_empty() {
        out.push(pending_op);
    }
    out
}

fn parse_comparison(token: &str) -> Option<Comparison> {
    let op_len = token
        .find(|c: char| !"<>=!~^".contains(c))
        .unwrap_or(token.len());
    let (op_text, ver_text) = token.split_at(op_len);
    let op = match op_text {
        "" | "=" => Op::Equal,
        "!=" => Op::NotEqual,
        ">" => Op::Greater,
        "<" => Op::Less,
        ">=" | "=>" => Op::GreaterEqual,
        "<=" | "=<" => Op::LessEqual,
        "~" | "~>" => Op::Tilde,
        "^" => Op::Caret,
        _ => return None,
    };
    let wildcard = |p: &str| p == "x" || p == "X" || p == "*";
    let core_end = ver_text.find(['-', '+']).unwrap_or(ver_text.len());
    let (core, suffix) = ver_text.split_at(core_end);
    let core = core.strip_prefix('v').unwrap_or(core);
    let parts: Vec<&str> = core.split('.').collect();
    if parts.len() > 3 || parts.iter().any(|p| p.is_empty()) {
        return None;
    }
    let mut minor_dirty = parts.len() < 2;
    let mut patch_dirty = parts.len() < 3;
    let mut nums = Vec::new();
    for (i, p) in parts.iter().enumerate() {
        if wildcard(p) {
            match i {
                0 => {
                    minor_dirty = true;
                    patch_dirty = true;
                }
                1 => {
                    minor_dirty = true;
                    patch_dirty = true;
                }
                _ => patch_dirty = true,
            }
            nums.push("0");
        } else {
            nums.push(p);
        }
    }
    let version = Version::parse(&format!("{}{}", nums.join("."), suffix))?;
    let dirty = minor_dirty || patch_dirty;
    Some(Comparison {
        op,
        version,
        minor_dirty,
        patch_dirty,
        dirty,
    })
}

impl Comparison {
    fn check(&self, v: &Version) -> bool {
        let c = &self.version;
        // A pre-release version only satisfies constraints naming one.
        if self.op != Op::NotEqual && !v.pre.is_empty() && c.pre.is_empty() {
            return false;
        }
        let all_wild = self.minor_dirty && c.major == 0 && self.patch_dirty;
        match self.op {
            Op::Equal => {
                if self.dirty {
                    self.tilde(v)
                } else {
                    v.compare(c) == Ordering::Equal
                }
            }
            Op::NotEqual => {
                if self.dirty {
                    !self.tilde(v)
                } else {
                    v.compare(c) != Ordering::Equal
                }
            }
            Op::Greater => {
                if !self.dirty {
                    return v.compare(c) == Ordering::Greater;
                }
                if v.major != c.major {
                    return v.major > c.major;
                }
                if self.minor_dirty {
                    return false;
                }
                v.minor > c.minor
            }
            Op::Less => {
                if !self.dirty {
                    return v.compare(c) == Ordering::Less;
                }
                v.compare(c) == Ordering::Less
            }
            Op::GreaterEqual => v.compare(c) != Ordering::Less,
            Op::LessEqual => {
                if !self.dirty {
                    return v.compare(c) != Ordering::Greater;
                }
                if v.major != c.major {
                    return v.major < c.major;
                }
                if self.minor_dirty {
                    return true;
                }
                v.minor <= c.minor
            }
            Op::Tilde => {
                if all_wild {
                    return true;
                }
                self.tilde(v)
            }
            Op::Caret => self.caret(v),
        }
    }

    fn tilde(&self, v: &Version) -> bool {
        let c = &self.version;
        if v.compare(c) == Ordering::Less {
            return false;
        }
        if self.minor_dirty && c.major == 0 && self.patch_dirty && self.op != Op::Tilde {
            // `*` / `x` as a bare constraint: anything.
            return true;
        }
        if v.major != c.major {
            return false;
        }
        if self.minor_dirty {
            return true;
        }
        v.minor == c.minor
    }

    fn caret(&self, v: &Version) -> bool {
        let c = &self.version;
        if v.compare(c) == Ordering::Less {
            return false;
        }
        if c.major > 0 || self.minor_dirty {
            return v.major == c.major;
        }
        if v.major > 0 {
            return false;
        }
        if c.minor > 0 || self.patch_dirty {
            return v.minor == c.minor;
        }
        if v.minor > 0 {
            return false;
        }
        v.patch == c.patch
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lenient_versions_parse_as_helm_does() {
        assert_eq!(Version::parse("v1.25").unwrap().to_string(), "1.25.0");
        assert_eq!(
            Version::parse("1.25.3-gke.100").unwrap().to_string(),
            "1.25.3-gke.100"
        );
        assert!(Version::parse("1.2.3.4").is_none());
        assert!(Version::parse("abc").is_none());
        assert!(Version::parse("1.2.3-").is_none());
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
