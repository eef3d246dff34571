//! Go `regexp` (RE2) patterns on the `regex` crate. The two share RE2's
//! syntax and leftmost-first, unanchored `MatchString` semantics; where they
//! differ a pattern is rewritten before compiling:
//! - Go's `\d \w \s \b` (and negations) are ASCII-only, the crate's are
//!   Unicode: they become explicit ASCII classes / `(?-u:\b)`;
//! - inside a class Go takes `&&`, `--`, `~~` literally, the crate as set
//!   operations: `&`, `~` are escaped (a `-` there is a range as in Go);
//! - a `{` that does not start a repetition is a literal in Go, an error
//!   in the crate: it is escaped.
//!
//! - `\Q...\E` (Go quoting) becomes escaped text.
//!
//! Known differences left: `\Q` inside a class and Go's 1000 repetition
//! limit.

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
    /// `regexp.Compile` would fail (as far as the crate's syntax agrees).
    pub(crate) fn new(source: &str) -> Result<GoRegex, ()> {
        let translated = translate(source).ok_or(())?;
        regex_syntax::Parser::new()
            .parse(&translated)
            .map_err(|_| ())?;
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

/// Whether `rest` (after a `{`) is a Go repetition `{n}`, `{n,}`, `{n,m}`.
fn is_repetition(rest: &str) -> bool {
    let Some(end) = rest.find('}') else {
        return false;
    };
    let body = &rest[..end];
    let (lo, hi) = match body.split_once(',') {
        Some((lo, hi)) => (lo, Some(hi)),
        None => (body, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    digits(lo) && hi.is_none_or(|h| h.is_empty() || digits(h))
}

fn translate(source: &str) -> Option<String> {
    let mut out = String::with_capacity(source.len() + 8);
    let chars: Vec<char> = source.chars().collect();
    let mut i = 0;
    let mut in_class = false;
    // Position right after a class's `[` or `[^`, where `]` is a literal.
    let mut class_start = false;
    while i < chars.len() {
        let c = chars[i];
        let at_start = class_start;
        class_start = false;
        match c {
            '\\' => {
                let e = *chars.get(i + 1)?;
                i += 2;
                let (outside, inside) = match e {
                    'd' => ("[0-9]", "0-9"),
                    'D' => ("[^0-9]", "[^0-9]"),
                    'w' => ("[0-9A-Za-z_]", "0-9A-Za-z_"),
                    'W' => ("[^0-9A-Za-z_]", "[^0-9A-Za-z_]"),
                    's' => ("[\\t\\n\\f\\r ]", "\\t\\n\\f\\r "),
                    'S' => ("[^\\t\\n\\f\\r ]", "[^\\t\\n\\f\\r ]"),
                    'b' if !in_class => ("(?-u:\\b)", ""),
                    'B' if !in_class => ("(?-u:\\B)", ""),
                    'Q' if !in_class => {
                        // Go's quoting: literal text up to `\E` (or the end).
                        let rest: String = chars[i..].iter().collect();
                        let (literal, skip) = match rest.find("\\E") {
                            Some(end) => (&rest[..end], rest[..end].chars().count() + 2),
                            None => (rest.as_str(), rest.chars().count()),
                        };
                        out.push_str(&regex::escape(literal));
                        i += skip;
                        continue;
                    }
                    _ => {
                        out.push('\\');
                        out.push(e);
                        continue;
                    }
                };
                out.push_str(if in_class { inside } else { outside });
                continue;
            }
            '[' if !in_class => {
                in_class = true;
                class_start = true;
                out.push('[');
                if chars.get(i + 1) == Some(&'^') {
                    out.push('^');
                    i += 1;
                }
                i += 1;
                continue;
            }
            '[' if in_class => {
                // Only `[:name:]` opens anything inside a class in Go.
                if chars.get(i + 1) == Some(&':') {
                    let rest: String = chars[i..].iter().collect();
                    if let Some(end) = rest.find(":]") {
                        out.push_str(&rest[..end + 2]);
                        i += rest[..end + 2].chars().count();
                        continue;
                    }
                }
                out.push_str("\\[");
            }
            ']' if in_class && !at_start => {
                in_class = false;
                out.push(']');
            }
            ']' if in_class => out.push_str("\\]"),
            '&' | '~' if in_class => {
                out.push('\\');
                out.push(c);
            }
            '{' if !in_class => {
                let rest: String = chars[i + 1..].iter().collect();
                if is_repetition(&rest) {
                    out.push('{');
                } else {
                    out.push_str("\\{");
                }
            }
            _ => out.push(c),
        }
        i += 1;
    }
    Some(out)
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
