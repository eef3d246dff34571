//! Schema `pattern`s, `patternProperties` and the `regex` format: Go
//! `regexp` patterns, translated by [`gostd::regexp`] (the same
//! translation templates use), checked when the schema is compiled and
//! built into a matcher when first used.

use std::sync::OnceLock;

use regex::Regex;

/// A Go pattern that prints as its source text. Checked when the schema
/// is compiled (as Go compiles it there), but built into a matcher only
/// when first used: most schema patterns never see a value.
#[derive(Debug, Clone)]
pub(crate) struct GoRegex {
    source: String,
    translated: String,
    re: OnceLock<Option<Regex>>,
}

impl GoRegex {
    /// Accept `source` with Go's semantics; `Err` where Go's
    /// `regexp.Compile` would fail.
    pub(crate) fn new(source: &str) -> Result<GoRegex, ()> {
        let translated = gostd::regexp::check(source).map_err(|_| ())?;
        Ok(GoRegex {
            source: source.to_string(),
            translated,
            re: OnceLock::new(),
        })
    }

    /// Go's `MatchString`: a match anywhere in `s`. (A pattern the crate
    /// parses but cannot build, past its size limits, matches nothing.)
    pub(crate) fn is_match(&self, s: &str) -> bool {
        self.re
            .get_or_init(|| Regex::new(&self.translated).ok())
            .as_ref()
            .is_some_and(|re| re.is_match(s))
    }

    /// The pattern as written (what Go's `Regexp.String` prints).
    pub(crate) fn as_str(&self) -> &str {
        &self.source
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_like_go() {
        let m = |p: &str, s: &str| GoRegex::new(p).unwrap().is_match(s);
        assert!(m(r"^\d+$", "123"));
        assert!(!m(r"^\d+$", "١٢٣"), "Go's \\d is ASCII");
        assert!(!m(r"^\w+$", "é"));
        assert!(m(r"^[\w.-]+$", "a.b-c"));
        assert!(m(r"^[^\d]+$", "abc"));
        assert!(m("b", "abc"), "unanchored");
        assert!(m(r"^a{$", "a{"), "a lone brace is literal in Go");
        assert!(m(r"^a{2}$", "aa"));
        assert!(m(r"^[a&&b]+$", "&&"));
        assert!(m(r"^[]a]+$", "]a"));
        assert!(m(r"^[[:alpha:]]+$", "ab"));
        assert!(m(r"\bfoo\b", "a foo b"));
        assert!(GoRegex::new("(").is_err());
        assert!(m(r"^\Qa.b\E$", "a.b") && !m(r"^\Qa.b\E$", "axb"));
        assert_eq!(GoRegex::new("^a$").unwrap().as_str(), "^a$");
    }
}
