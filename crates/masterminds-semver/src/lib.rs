//! Semantic versions and constraints with the semantics of Go's
//! `github.com/Masterminds/semver/v3` (v3.3, as Helm 3.17 vendors it).
//!
//! One implementation for every place that follows that library: Sprig's
//! `semver` and `semverCompare` template functions, Helm's `kubeVersion`
//! and dependency version ranges, and DKP's module requirements
//! (`module.yaml` `requirements`), which Deckhouse checks with the same
//! library. It is its own crate because those callers (`sprig`, `chart`,
//! `module`) share no lower crate it would fit in; it is not Go standard
//! library behaviour.
//!
//! What it covers: loose versions (`v1.2` is `1.2.0`), wildcards (`1.2.x`,
//! `*`), `~`/`^`/hyphen ranges, `,` or space for AND and `||` for OR. Its
//! pre-release rules differ from both the SemVer spec's ranges and Cargo's
//! (the crates.io `semver` crate):
//!
//! - [`Version::compare`] follows the spec: `1.0.0-alpha < 1.0.0`,
//!   numeric identifiers compare as numbers and sort before alphanumeric
//!   ones, build metadata is ignored.
//! - A constraint without a pre-release is never satisfied by a pre-release
//!   version (`>=1.0.0` refuses `1.5.0-beta`, `<1.2.3` refuses
//!   `1.2.3-beta`, `1.2.x` refuses `1.2.3-rc.1`); the one exception is `!=`
//!   with a full version (`!=1.2.3` accepts `1.2.4-beta`).
//! - A constraint that names a pre-release admits pre-releases of any
//!   version in its range, not only of the same `major.minor.patch`
//!   (`>=1.2.3-0` accepts `1.5.0-beta`), unlike npm and Cargo.

use std::cmp::Ordering;
use std::sync::LazyLock;

use regex::Regex;

// Masterminds' patterns, with Go's `\s` spelled out (`[\t\n\f\r ]`: ASCII,
// no vertical tab). Versions and single constraints are read by hand
// (`split_version`, `split_constraint`, agreeing with `^SEMVER$` and
// CONSTRAINT_RE); the regexes below are compiled only for constraint
// texts with ranges or several clauses.
#[cfg(test)]
const SEMVER: &str = r"v?([0-9]+)(\.[0-9]+)?(\.[0-9]+)?(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?";
const CONSTRAINT_VERSION: &str = r"v?([0-9|x|X|\*]+)(\.[0-9|x|X|\*]+)?(\.[0-9|x|X|\*]+)?(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?";
const OPS: &str = r"=||!=|>|<|>=|=>|<=|=<|~|~>|\^";
/// The operators of OPS in its (leftmost-first) order; `""` is tried second.
const OP_ORDER: [&str; 12] = [
    "=", "", "!=", ">", "<", ">=", "=>", "<=", "=<", "~", "~>", "^",
];
const S: &str = r"[\t\n\x0C\r ]";

fn re(pattern: String) -> Regex {
    // The patterns are constants; a failure here is a programming error caught by the tests.
    Regex::new(&pattern).unwrap_or_else(|e| panic!("semver pattern: {e}"))
}

#[cfg(test)]
static VERSION_RE: LazyLock<Regex> = LazyLock::new(|| re(format!("^{SEMVER}$")));
#[cfg(test)]
static CONSTRAINT_RE: LazyLock<Regex> =
    LazyLock::new(|| re(format!(r"^{S}*({OPS}){S}*({CONSTRAINT_VERSION}){S}*$")));
static RANGE_RE: LazyLock<Regex> = LazyLock::new(|| {
    re(format!(
        r"{S}*({CONSTRAINT_VERSION}){S}+-{S}+({CONSTRAINT_VERSION}){S}*"
    ))
});
static FIND_RE: LazyLock<Regex> =
    LazyLock::new(|| re(format!(r"({OPS}){S}*({CONSTRAINT_VERSION})")));
static VALID_RE: LazyLock<Regex> = LazyLock::new(|| {
    re(format!(
        r"^({S}*({OPS}){S}*({CONSTRAINT_VERSION}){S}*)((?:{S}+|,{S}*)({OPS}){S}*({CONSTRAINT_VERSION}){S}*)*$"
    ))
});

/// Go's `\s`.
fn is_space(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | 0x0C | b'\r' | b' ')
}

fn skip_space(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && is_space(b[i]) {
        i += 1;
    }
    i
}

fn run(b: &[u8], mut i: usize, class: impl Fn(u8) -> bool) -> usize {
    while i < b.len() && class(b[i]) {
        i += 1;
    }
    i
}

fn id_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'-'
}

/// `[0-9|x|X|\*]`: a constraint version's number (or wildcard) character.
fn wild_char(c: u8) -> bool {
    c.is_ascii_digit() || matches!(c, b'|' | b'x' | b'X' | b'*')
}

/// The end of the greedy `[0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*` at `i`
/// (`i` itself when there is none).
fn dotted_ids(b: &[u8], i: usize) -> usize {
    let mut end = run(b, i, id_char);
    if end == i {
        return i;
    }
    while b.get(end) == Some(&b'.') {
        let next = run(b, end + 1, id_char);
        if next == end + 1 {
            break;
        }
        end = next;
    }
    end
}

/// The pieces of a version the pattern captures: numbers with their
/// leading `.`, prerelease and metadata without their `-`/`+` (and the
/// prerelease group with its `-`).
#[derive(Debug, PartialEq, Eq)]
struct VersionParts<'a> {
    major: &'a str,
    minor: Option<&'a str>,
    patch: Option<&'a str>,
    pre_group: Option<&'a str>,
    metadata: Option<&'a str>,
    end: usize,
}

/// The greedy match of a version pattern at `i` (`number` the class of
/// its number characters); every part is introduced by its own delimiter,
/// so greedy is the only way an anchored match can go.
fn version_at(t: &str, i: usize, number: fn(u8) -> bool) -> Option<VersionParts<'_>> {
    let b = t.as_bytes();
    let mut i = i;
    if b.get(i) == Some(&b'v') {
        i += 1;
    }
    let end = run(b, i, number);
    if end == i {
        return None;
    }
    let major = &t[i..end];
    i = end;
    let dotted = |i: &mut usize| -> Option<&str> {
        if b.get(*i) != Some(&b'.') {
            return None;
        }
        let end = run(b, *i + 1, number);
        if end == *i + 1 {
            return None;
        }
        let part = &t[*i..end];
        *i = end;
        Some(part)
    };
    let minor = dotted(&mut i);
    let patch = minor.and_then(|_| dotted(&mut i));
    let tagged = |i: &mut usize, tag: u8| -> Option<&str> {
        if b.get(*i) != Some(&tag) {
            return None;
        }
        let end = dotted_ids(b, *i + 1);
        if end == *i + 1 {
            return None;
        }
        let part = &t[*i..end];
        *i = end;
        Some(part)
    };
    let pre_group = tagged(&mut i, b'-');
    let metadata = tagged(&mut i, b'+').map(|m| &m[1..]);
    Some(VersionParts {
        major,
        minor,
        patch,
        pre_group,
        metadata,
        end: i,
    })
}

/// `^SEMVER$`.
fn split_version(t: &str) -> Option<VersionParts<'_>> {
    version_at(t, 0, |c| c.is_ascii_digit()).filter(|p| p.end == t.len())
}

/// What CONSTRAINT_RE captures: the operator, the whole version, and its
/// parts.
#[derive(Debug, PartialEq, Eq)]
struct ConstraintParts<'a> {
    op: &'a str,
    version: &'a str,
    parts: VersionParts<'a>,
}

/// `^\s*(OPS)\s*(CONSTRAINT_VERSION)\s*$`: the operators are tried in the
/// pattern's order, the first that lets the rest match wins.
fn split_constraint(t: &str) -> Option<ConstraintParts<'_>> {
    let b = t.as_bytes();
    let start = skip_space(b, 0);
    OP_ORDER.iter().find_map(|op| {
        if !t[start..].starts_with(op) {
            return None;
        }
        let at = skip_space(b, start + op.len());
        let parts = version_at(t, at, wild_char)?;
        (skip_space(b, parts.end) == b.len()).then(|| ConstraintParts {
            op: &t[start..start + op.len()],
            version: &t[at..parts.end],
            parts,
        })
    })
}

/// A parsed version (`*semver.Version`).
///
/// Ordered by [`Version::compare`] (semver precedence, as Masterminds
/// compares), then, to keep the order total and in step with `==`, by
/// build metadata and by the text it was parsed from.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Version {
    /// Major number.
    pub major: u64,
    /// Minor number (0 when absent).
    pub minor: u64,
    /// Patch number (0 when absent).
    pub patch: u64,
    /// Prerelease, without `-`.
    pub pre: String,
    /// Build metadata, without `+`.
    pub metadata: String,
    /// The text it was parsed from.
    pub original: String,
}

fn only(s: &str, allowed: impl Fn(char) -> bool) -> bool {
    s.chars().all(allowed)
}

fn allowed_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-'
}

impl Version {
    /// `MAJOR.MINOR.PATCH` with no pre-release or metadata.
    pub fn new(major: u64, minor: u64, patch: u64) -> Version {
        Version {
            major,
            minor,
            patch,
            pre: String::new(),
            metadata: String::new(),
            original: format!("{major}.{minor}.{patch}"),
        }
    }

    /// `semver.StrictNewVersion`: exactly `MAJOR.MINOR.PATCH`, then an
    /// optional `-PRERELEASE` and `+METADATA`; no `v` prefix, no missing
    /// part, no leading zero in a number. What module release versions
    /// are (their registry tags carry a `v` the caller strips).
    pub fn parse_strict(text: &str) -> Result<Version, String> {
        if text.is_empty() {
            return Err("Version string empty".into());
        }
        let mut parts = text.splitn(3, '.');
        let (Some(major), Some(minor), Some(rest)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err("Invalid Semantic Version".into());
        };
        let (rest, metadata) = match rest.split_once('+') {
            Some((r, m)) => {
                if !m.split('.').all(|p| only(p, allowed_char)) {
                    return Err("Invalid Metadata string".into());
                }
                (r, m)
            }
            None => (rest, ""),
        };
        let (patch, pre) = match rest.split_once('-') {
            Some((p, pre)) => {
                validate_prerelease(pre)?;
                (p, pre)
            }
            None => (rest, ""),
        };
        let mut numbers = [0u64; 3];
        for (n, part) in numbers.iter_mut().zip([major, minor, patch]) {
            if !only(part, |c| c.is_ascii_digit()) {
                return Err("Invalid characters in version".into());
            }
            if part.len() > 1 && part.starts_with('0') {
                return Err("Version segment starts with 0".into());
            }
            *n = part
                .parse()
                .map_err(|e| format!("Error parsing version segment: {e}"))?;
        }
        Ok(Version {
            major: numbers[0],
            minor: numbers[1],
            patch: numbers[2],
            pre: pre.to_string(),
            metadata: metadata.to_string(),
            original: text.to_string(),
        })
    }

    /// `semver.NewVersion`.
    pub fn parse(text: &str) -> Result<Version, String> {
        let parts = split_version(text).ok_or("Invalid Semantic Version")?;
        let num = |part: Option<&str>| -> Result<u64, String> {
            match part {
                None => Ok(0),
                Some(m) => m
                    .trim_start_matches('.')
                    .parse()
                    .map_err(|e| format!("Error parsing version segment: {e}")),
            }
        };
        let pre = parts.pre_group.map_or("", |p| &p[1..]).to_string();
        let metadata = parts.metadata.unwrap_or("").to_string();
        if !pre.is_empty() {
            validate_prerelease(&pre)?;
        }
        if !metadata.is_empty() && !metadata.split('.').all(|p| only(p, allowed_char)) {
            return Err("Invalid Metadata string".into());
        }
        Ok(Version {
            major: num(Some(parts.major))?,
            minor: num(parts.minor)?,
            patch: num(parts.patch)?,
            pre,
            metadata,
            original: text.to_string(),
        })
    }

    /// `Version.Compare` (metadata ignored).
    pub fn compare(&self, o: &Version) -> Ordering {
        self.major
            .cmp(&o.major)
            .then(self.minor.cmp(&o.minor))
            .then(self.patch.cmp(&o.patch))
            .then_with(|| match (self.pre.is_empty(), o.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => compare_prerelease(&self.pre, &o.pre),
            })
    }
}

/// `validatePrerelease`: dot-separated identifiers of `[0-9A-Za-z-]`, a
/// numeric one without a leading zero.
fn validate_prerelease(pre: &str) -> Result<(), String> {
    for part in pre.split('.') {
        if only(part, |c| c.is_ascii_digit()) {
            if part.len() > 1 && part.starts_with('0') {
                return Err("Version segment starts with 0".into());
            }
        } else if !only(part, allowed_char) {
            return Err("Invalid Prerelease string".into());
        }
    }
    Ok(())
}

impl Ord for Version {
    fn cmp(&self, o: &Version) -> Ordering {
        self.compare(o)
            .then_with(|| self.metadata.cmp(&o.metadata))
            .then_with(|| self.original.cmp(&o.original))
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, o: &Version) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)?;
        if !self.pre.is_empty() {
            write!(f, "-{}", self.pre)?;
        }
        if !self.metadata.is_empty() {
            write!(f, "+{}", self.metadata)?;
        }
        Ok(())
    }
}

fn compare_prerelease(a: &str, b: &str) -> Ordering {
    let (ap, bp): (Vec<&str>, Vec<&str>) = (a.split('.').collect(), b.split('.').collect());
    for i in 0..ap.len().max(bp.len()) {
        let (s, o) = (
            ap.get(i).copied().unwrap_or(""),
            bp.get(i).copied().unwrap_or(""),
        );
        let d = compare_pre_part(s, o);
        if d != Ordering::Equal {
            return d;
        }
    }
    Ordering::Equal
}

fn compare_pre_part(s: &str, o: &str) -> Ordering {
    if s == o {
        return Ordering::Equal;
    }
    if s.is_empty() {
        return Ordering::Less;
    }
    if o.is_empty() {
        return Ordering::Greater;
    }
    match (s.parse::<u64>(), o.parse::<u64>()) {
        (Err(_), Err(_)) => {
            if s > o {
                Ordering::Greater
            } else {
                Ordering::Less
            }
        }
        // Numeric identifiers sort before alphanumeric ones.
        (Ok(_), Err(_)) => Ordering::Less,
        (Err(_), Ok(_)) => Ordering::Greater,
        (Ok(x), Ok(y)) => {
            if x > y {
                Ordering::Greater
            } else {
                Ordering::Less
            }
        }
    }
}

/// One constraint: an operator and a version with wildcard flags.
#[derive(Clone, Debug)]
struct Constraint {
    op: String,
    con: Version,
    minor_dirty: bool,
    patch_dirty: bool,
    dirty: bool,
}

fn is_x(s: &str) -> bool {
    matches!(s, "x" | "*" | "X")
}

impl Constraint {
    fn parse(c: &str) -> Result<Constraint, String> {
        let caps = split_constraint(c).ok_or_else(|| format!("improper constraint: {c}"))?;
        let op = caps.op.to_string();
        let p = &caps.parts;
        let (m3, m4, m5, m6) = (
            p.major,
            p.minor.unwrap_or(""),
            p.patch.unwrap_or(""),
            p.pre_group.unwrap_or(""),
        );
        let (mut minor_dirty, mut patch_dirty, mut dirty) = (false, false, false);
        let ver = if is_x(m3) || m3.is_empty() {
            dirty = true;
            format!("0.0.0{m6}")
        } else if is_x(m4.trim_start_matches('.')) || m4.is_empty() {
            minor_dirty = true;
            dirty = true;
            format!("{m3}.0.0{m6}")
        } else if is_x(m5.trim_start_matches('.')) || m5.is_empty() {
            dirty = true;
            patch_dirty = true;
            format!("{m3}{m4}.0{m6}")
        } else {
            caps.version.to_string()
        };
        let con = Version::parse(&ver).map_err(|_| "constraint Parser Error".to_string())?;
        Ok(Constraint {
            op,
            con,
            minor_dirty,
            patch_dirty,
            dirty,
        })
    }

    fn check(&self, v: &Version) -> bool {
        let c = &self.con;
        let pre_mismatch = !v.pre.is_empty() && c.pre.is_empty();
        match self.op.as_str() {
            "" | "=" => {
                !pre_mismatch
                    && if self.dirty {
                        self.tilde(v)
                    } else {
                        v.compare(c) == Ordering::Equal
                    }
            }
            "!=" => self.not_equal(v),
            ">" => !pre_mismatch && self.greater(v),
            "<" => !pre_mismatch && v.compare(c) == Ordering::Less,
            ">=" | "=>" => !pre_mismatch && v.compare(c) != Ordering::Less,
            "<=" | "=<" => {
                !pre_mismatch
                    && if !self.dirty {
                        v.compare(c) != Ordering::Greater
                    } else {
                        !(v.major > c.major
                            || (v.major == c.major && v.minor > c.minor && !self.minor_dirty))
                    }
            }
            "~" | "~>" => !pre_mismatch && self.tilde(v),
            "^" => !pre_mismatch && self.caret(v),
            _ => false,
        }
    }

    fn tilde(&self, v: &Version) -> bool {
        let c = &self.con;
        if v.compare(c) == Ordering::Less {
            return false;
        }
        if c.major == 0 && c.minor == 0 && c.patch == 0 && !self.minor_dirty && !self.patch_dirty {
            return true;
        }
        v.major == c.major && (v.minor == c.minor || self.minor_dirty)
    }

    fn caret(&self, v: &Version) -> bool {
        let c = &self.con;
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
        c.patch == v.patch
    }

    fn greater(&self, v: &Version) -> bool {
        let c = &self.con;
        if !self.dirty {
            return v.compare(c) == Ordering::Greater;
        }
        if v.major != c.major {
            return v.major > c.major;
        }
        if self.minor_dirty {
            return false;
        }
        if self.patch_dirty {
            return v.minor > c.minor;
        }
        v.compare(c) == Ordering::Greater
    }

    fn not_equal(&self, v: &Version) -> bool {
        let c = &self.con;
        if self.dirty {
            if !v.pre.is_empty() && c.pre.is_empty() {
                return false;
            }
            if c.major != v.major {
                return true;
            }
            if c.minor != v.minor && !self.minor_dirty {
                return true;
            } else if self.minor_dirty {
                return false;
            } else if c.patch != v.patch && !self.patch_dirty {
                return true;
            } else if self.patch_dirty {
                if !v.pre.is_empty() || !c.pre.is_empty() {
                    return compare_prerelease(&v.pre, &c.pre) != Ordering::Equal;
                }
                return false;
            }
        }
        v.compare(c) != Ordering::Equal
    }
}

/// A constraint set: alternatives (`||`) of conjunctions.
#[derive(Clone, Debug)]
pub struct Constraints {
    alternatives: Vec<Vec<Constraint>>,
}

impl Constraints {
    /// `semver.NewConstraint`.
    pub fn parse(text: &str) -> Result<Constraints, String> {
        // Without a hyphen range, `||` alternatives that are one constraint
        // each need no regex: VALID_RE then matches and FIND_RE finds just
        // that constraint (see the tests).
        let b = text.as_bytes();
        let ranged = (1..b.len()).any(|i| b[i] == b'-' && is_space(b[i - 1]));
        if !ranged {
            let quick: Option<Vec<Vec<Constraint>>> = text
                .split("||")
                .map(|or| split_constraint(or).map(|_| Constraint::parse(or).map(|c| vec![c])))
                .collect::<Option<Result<_, _>>>()
                .transpose()?;
            if let Some(alternatives) = quick {
                return Ok(Constraints { alternatives });
            }
        }
        Self::parse_with_regexes(text)
    }

    /// `semver.NewConstraint` step for step with Masterminds' regexes.
    fn parse_with_regexes(text: &str) -> Result<Constraints, String> {
        // Hyphen ranges become ">= a, <= b".
        let mut rewritten = text.to_string();
        for caps in RANGE_RE.captures_iter(text) {
            let whole = caps.get(0).map_or("", |m| m.as_str());
            let (low, high) = (
                caps.get(1).map_or("", |m| m.as_str()),
                caps.get(11).map_or("", |m| m.as_str()),
            );
            rewritten = rewritten.replacen(whole, &format!(">= {low}, <= {high} "), 1);
        }
        let mut alternatives = Vec::new();
        for or in rewritten.split("||") {
            if !VALID_RE.is_match(or) {
                return Err(format!("improper constraint: {or}"));
            }
            let found: Vec<&str> = FIND_RE.find_iter(or).map(|m| m.as_str()).collect();
            let parts = if found.is_empty() { vec![or] } else { found };
            alternatives.push(
                parts
                    .into_iter()
                    .map(Constraint::parse)
                    .collect::<Result<Vec<_>, _>>()?,
            );
        }
        Ok(Constraints { alternatives })
    }

    /// `Constraints.Check`.
    pub fn check(&self, v: &Version) -> bool {
        self.alternatives
            .iter()
            .any(|all| all.iter().all(|c| c.check(v)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sat(c: &str, v: &str) -> bool {
        Constraints::parse(c)
            .unwrap()
            .check(&Version::parse(v).unwrap())
    }

    use proptest::prelude::*;

    fn texts() -> impl Strategy<Value = String> {
        const TOKENS: [&str; 29] = [
            "v", "1", "0", "12", "01", ".", "-", "+", "x", "X", "*", "|", "||", "a", "rc", " ",
            "\t", "\u{a0}", "\u{b}", "=", ">", "<", ">=", "~", "^", "!=", ",", " - ", "é",
        ];
        prop::collection::vec(prop::sample::select(&TOKENS[..]), 0..10).prop_map(|t| t.concat())
    }

    fn group<'a>(caps: &regex::Captures<'a>, i: usize) -> Option<&'a str> {
        caps.get(i).map(|m| m.as_str())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]

        #[test]
        fn version_reader_agrees_with_the_pattern(t in texts()) {
            let want = VERSION_RE.captures(&t).map(|c| {
                (group(&c, 1), group(&c, 2), group(&c, 3), group(&c, 4), group(&c, 8))
            });
            let got = split_version(&t).map(|p| {
                (Some(p.major), p.minor, p.patch, p.pre_group, p.metadata)
            });
            prop_assert_eq!(got, want);
        }

        #[test]
        fn constraint_reader_agrees_with_the_pattern(t in texts()) {
            let want = CONSTRAINT_RE.captures(&t).map(|c| {
                (group(&c, 1), group(&c, 2), group(&c, 3), group(&c, 4), group(&c, 5),
                 group(&c, 6), group(&c, 10))
            });
            let got = split_constraint(&t).map(|p| {
                (Some(p.op), Some(p.version), Some(p.parts.major), p.parts.minor,
                 p.parts.patch, p.parts.pre_group, p.parts.metadata)
            });
            prop_assert_eq!(got, want);
        }

        #[test]
        fn quick_constraint_parse_agrees_with_the_regexes(t in texts()) {
            let quick = format!("{:?}", Constraints::parse(&t));
            let slow = format!("{:?}", Constraints::parse_with_regexes(&t));
            prop_assert_eq!(quick, slow);
        }
    }

    /// `StrictNewVersion`'s answers (Masterminds/semver v3, read from its
    /// source): three parts, no `v`, no leading zero; an empty pre-release
    /// or metadata after its sign passes, as Go's vacuous checks let it.
    #[test]
    fn strict_parse_is_strict_new_version() {
        for ok in [
            "1.2.3",
            "0.0.0",
            "1.2.3-rc.1",
            "1.2.3+b.7",
            "1.2.3-a-b+c-d",
            "1.2.3-",
            "1.2.3+",
            "10.20.30",
        ] {
            let v = Version::parse_strict(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
            assert_eq!(v.original, ok);
        }
        let v = Version::parse_strict("1.2.3-rc.1+meta").unwrap();
        assert_eq!(
            (
                v.major,
                v.minor,
                v.patch,
                v.pre.as_str(),
                v.metadata.as_str()
            ),
            (1, 2, 3, "rc.1", "meta")
        );
        for (bad, why) in [
            ("", "Version string empty"),
            ("v1.2.3", "Invalid characters in version"),
            ("1.2", "Invalid Semantic Version"),
            ("1", "Invalid Semantic Version"),
            ("01.2.3", "Version segment starts with 0"),
            ("1.02.3", "Version segment starts with 0"),
            ("1.2.3-01", "Version segment starts with 0"),
            ("1.2.3-a_b", "Invalid Prerelease string"),
            ("1.2.3+a_b", "Invalid Metadata string"),
            ("1.2.x", "Invalid characters in version"),
            ("1.2.3.4", "Invalid characters in version"),
        ] {
            assert_eq!(Version::parse_strict(bad).unwrap_err(), why, "{bad}");
        }
        // The lenient reader takes what the strict one refuses.
        assert_eq!(Version::parse("v1.2").unwrap().to_string(), "1.2.0");
    }

    /// Sorting follows Masterminds precedence (a pre-release before its
    /// release, numeric identifiers by value), and `==` and the order agree.
    #[test]
    fn versions_sort_by_precedence() {
        let mut vs: Vec<Version> = [
            "1.10.0",
            "1.9.0",
            "1.10.0-rc.10",
            "1.10.0-rc.2",
            "0.1.0",
            "1.10.0-beta",
        ]
        .iter()
        .map(|t| Version::parse_strict(t).unwrap())
        .collect();
        vs.sort();
        let texts: Vec<String> = vs.iter().map(|v| v.original.clone()).collect();
        assert_eq!(
            texts,
            [
                "0.1.0",
                "1.9.0",
                "1.10.0-beta",
                "1.10.0-rc.2",
                "1.10.0-rc.10",
                "1.10.0"
            ]
        );
        assert_eq!(
            Version::new(1, 2, 3),
            Version::parse_strict("1.2.3").unwrap()
        );
        assert_eq!(
            Version::new(1, 2, 3).cmp(&Version::parse_strict("1.2.3").unwrap()),
            Ordering::Equal
        );
        assert!(Version::parse_strict("1.2.3+a").unwrap() != Version::new(1, 2, 3));
        assert_ne!(
            Version::parse_strict("1.2.3+a")
                .unwrap()
                .cmp(&Version::new(1, 2, 3)),
            Ordering::Equal
        );
    }

    #[test]
    fn whitespace_is_gos() {
        // Go's `\s` is ASCII without vertical tab: other spaces are not skipped.
        assert!(Constraints::parse(" >= 1.2\t").is_ok());
        assert!(Constraints::parse("\u{a0}>=1.2").is_err());
        assert!(Constraints::parse(">=1.2\u{b}").is_err());
        assert!(Constraints::parse("1.2 -\u{a0}1.4").is_err());
    }

    #[test]
    fn masterminds_constraints() {
        assert!(sat(">=1.2.3", "1.2.3"));
        assert!(!sat(">=1.2.3", "1.2.4-beta"));
        assert!(sat(">=1.2.3-0", "1.2.4-beta"));
        assert!(sat("~1.2", "1.2.9"));
        assert!(!sat("~1.2", "1.3.0"));
        assert!(sat("^0.2.3", "0.2.9"));
        assert!(!sat("^0.2.3", "0.3.0"));
        assert!(sat("1.2 - 1.4.5", "1.4.5"));
        assert!(sat("<1.0 || >=2.0, <3", "2.5.0"));
        assert!(sat("1.x", "1.9.0"));
        assert!(sat(">= 1.20.0-0", "v1.27.3-gke.100"));
        assert!(Constraints::parse("abc").is_err());
    }

    #[test]
    fn lenient_versions() {
        assert_eq!(Version::parse("v1.25").unwrap().to_string(), "1.25.0");
        assert_eq!(
            Version::parse("1.25.3-gke.100").unwrap().to_string(),
            "1.25.3-gke.100"
        );
        assert!(Version::parse("1.2.3.4").is_err());
        assert!(Version::parse("abc").is_err());
        assert!(Version::parse("1.2.3-").is_err());
        assert_eq!(
            Version::parse("1.2.3-01").unwrap_err(),
            "Version segment starts with 0"
        );
    }

    #[test]
    fn operators_and_ranges() {
        assert!(sat("1.2.3", "1.2.3"));
        assert!(!sat("1.2.3", "1.2.4"));
        assert!(sat("1.2.x", "1.2.9"));
        assert!(sat("*", "4.5.6"));
        assert!(sat("~1.2.3", "1.2.9"));
        assert!(!sat("~1.2.3", "1.3.0"));
        assert!(sat("^1.2.3", "1.9.0"));
        assert!(!sat("^1.2.3", "2.0.0"));
        assert!(sat(">= 1.2, < 2", "1.5.0"));
        assert!(!sat(">=1.2 <2", "2.0.0"));
        assert!(sat("<1 || >=3", "3.1.0"));
        assert!(sat("> 1.2", "1.3.0"));
        assert!(!sat("> 1.2", "1.2.5"), "`>1.2` starts at 1.3.0");
        assert!(sat("<= 1.2", "1.2.9"), "`<=1.2` covers all of 1.2.x");
        assert!(!sat("<= 1.2", "1.3.0"));
    }

    /// The constraints DKP modules write in `module.yaml` `requirements`.
    #[test]
    fn module_requirement_constraints() {
        for ok in [
            ">= 1.68",
            ">=1.68",
            "> 1.2, < 2",
            "~1.2.3",
            "^1",
            "1.x",
            ">= 1.0.0 <2.0.0 || 3.x",
            "v1.2.3",
            "*",
            "1.2 - 1.4",
        ] {
            assert!(Constraints::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["", ">=", "banana", "1.2.3.4", ">= 1.a", "1 ||", ">= 1.2.3-"] {
            assert!(Constraints::parse(bad).is_err(), "{bad}");
        }
        assert!(sat(">= 1.68", "1.68.0") && sat(">= 1.68", "1.70.2"));
        assert!(!sat(">= 1.68", "1.67.9"));
    }

    /// SemVer precedence (spec item 11): `Version::compare` includes
    /// pre-releases, constraints apply their own rule on top.
    #[test]
    fn prerelease_precedence() {
        let ordered = [
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-alpha.beta",
            "1.0.0-beta",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0",
        ];
        let v = |s| Version::parse(s).unwrap();
        for pair in ordered.windows(2) {
            assert_eq!(v(pair[0]).compare(&v(pair[1])), Ordering::Less, "{pair:?}");
            assert_eq!(
                v(pair[1]).compare(&v(pair[0])),
                Ordering::Greater,
                "{pair:?}"
            );
        }
        assert_eq!(v("1.0.0-2").compare(&v("1.0.0-10")), Ordering::Less);
        assert_eq!(v("1.0.0-alpha").compare(&v("1.0.0-1")), Ordering::Greater);
        assert_eq!(v("1.0.0+a").compare(&v("1.0.0+b")), Ordering::Equal);
    }

    /// A constraint without a pre-release is never satisfied by a
    /// pre-release version, whatever its operator, even where the
    /// pre-release sorts inside the range; `!=` with a full version is the
    /// one operator that skips the rule.
    #[test]
    fn release_constraints_exclude_prereleases() {
        for (c, v) in [
            ("1.2.3", "1.2.3-beta"),
            ("=1.2.3", "1.2.3-beta"),
            ("1.2.x", "1.2.3-beta"),
            ("*", "1.0.0-beta"),
            (">1.2.3", "1.2.4-beta"),
            (">=1.0.0", "1.5.0-beta.1"),
            ("<1.2.3", "1.2.3-beta"),
            ("<=1.2.3", "1.2.2-beta"),
            ("~1.2", "1.2.5-rc.1"),
            ("^1.2", "1.3.0-rc.1"),
            ("!=1.2.x", "1.3.0-beta"),
            (">=1.0.0 <2.0.0", "1.5.0-beta"),
            ("1.0 - 2.0", "1.5.0-beta"),
        ] {
            assert!(!sat(c, v), "{c} must refuse {v}");
        }
        assert!(sat("!=1.2.3", "1.2.4-beta"));
        assert!(sat("!=1.2.3", "1.2.3-beta"));
        assert!(
            sat(">=1.0.0 || >=1.5.0-0", "1.5.0-beta"),
            "one alternative opts in"
        );
    }

    /// A constraint that names a pre-release admits pre-releases of every
    /// version it covers, not only of its own `major.minor.patch` (npm and
    /// Cargo would refuse `1.5.0-beta` for `>=1.2.3-0`).
    #[test]
    fn prerelease_constraints_admit_prereleases_in_range() {
        for (c, v) in [
            (">=1.2.3-0", "1.2.4-beta"),
            (">=1.2.3-0", "1.5.0-beta"),
            (">=1.2.3-beta", "1.2.3-beta.2"),
            (">=1.2.3-beta", "1.2.3"),
            (">= 1.20.0-0", "v1.27.3-gke.100"),
            ("<2.0.0-0", "1.9.0-beta"),
            ("~1.2.3-beta", "1.2.5-rc"),
            ("^1.2.3-beta", "1.9.0-alpha"),
            ("1.2.3-beta", "1.2.3-beta+build.7"),
            ("1.2.x-0", "1.2.3-beta"),
            ("*-0", "1.0.0-beta"),
        ] {
            assert!(sat(c, v), "{c} must admit {v}");
        }
        for (c, v) in [
            (">=1.2.3-beta", "1.2.3-alpha"),
            ("<2.0.0-0", "2.0.0-beta"),
            ("~1.2.3-beta", "1.3.0-rc"),
            ("^1.2.3-beta", "2.0.0-alpha"),
            ("1.2.3-beta", "1.2.3-beta.1"),
        ] {
            assert!(!sat(c, v), "{c} must refuse {v}");
        }
    }
}
