//! Go's `regexp` (RE2 syntax, `regexp/syntax` with the `Perl` flags) on the
//! `regex` crate.
//!
//! The two share RE2's syntax and leftmost-first semantics; where they
//! differ, [`translate`] rewrites the pattern before the crate sees it:
//! - Go's `\d \w \s \b` (and negations) are ASCII-only, the crate's are
//!   Unicode: they become explicit ASCII classes and `(?-u:\b)`;
//! - a character class is parsed as Go parses it and written back with
//!   every literal escaped: a `-` next to a class escape (`[\w-.]`) or at
//!   an end is a literal, `[` inside a class and `&&`, `--`, `~~` are
//!   literals (the crate reads nesting and set operations there), `]`
//!   right after `[` or `[^` is a literal, `[:name:]` is a POSIX class;
//! - a `{` that does not start a repetition (`a{`, `a{,2}`, `a{01}`) is a
//!   literal in Go, an error in the crate; a count above 1000 is an error
//!   in Go;
//! - `\Q…\E` quotes literal text; octal escapes (`\012`) are characters;
//!   `\<`, `\>` (word boundaries in the crate) are Go's literal `<`, `>`;
//! - only Go's flags `i m s U` are accepted (the crate also has `x`, `R`,
//!   `u`).
//!
//! Known differences left: Unicode class names are checked for Go's shape
//! (`\pL`, `\p{Greek}`, `\p{^Greek}`), but a script alias only the crate
//! knows is accepted; `\C` matches one character, not one byte.

use std::fmt;

use regex::Regex;

/// A pattern Go's `regexp.Compile` refuses: Go's error code and the part
/// of the pattern it quotes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    /// Go's `ErrorCode` text (`missing closing ]`, `invalid escape sequence`).
    pub code: String,
    /// The offending part of the pattern.
    pub expr: String,
}

impl Error {
    fn new(code: &str, expr: &str) -> Error {
        Error {
            code: code.to_string(),
            expr: expr.to_string(),
        }
    }
}

impl fmt::Display for Error {
    /// Go's `*syntax.Error` text: `error parsing regexp: CODE: `EXPR``.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error parsing regexp: {}: `{}`", self.code, self.expr)
    }
}

impl std::error::Error for Error {}

/// Go's `regexp.Compile`: the pattern translated and built, or Go's error.
pub fn compile(pattern: &str) -> Result<Regex, Error> {
    let translated = translate(pattern)?;
    Regex::new(&translated).map_err(|e| crate_error(pattern, &translated, &e))
}

/// Check `pattern` as `regexp.Compile` would and return its translation,
/// without building a matcher (a check as cheap as parsing).
pub fn check(pattern: &str) -> Result<String, Error> {
    let translated = translate(pattern)?;
    match regex_syntax::Parser::new().parse(&translated) {
        Ok(_) => Ok(translated),
        Err(_) => Err(syntax_error(pattern, &translated)),
    }
}

/// Rewrite a Go pattern into the `regex` crate's syntax with the same
/// meaning. Errors found while translating (class syntax, escapes, flags,
/// repeat counts) carry Go's wording; others surface when the translation
/// is compiled.
pub fn translate(pattern: &str) -> Result<String, Error> {
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut t = pattern;
    while let Some(c) = t.chars().next() {
        match c {
            '\\' => t = top_escape(t, &mut out)?,
            '[' => t = class(t, &mut out)?,
            '{' => match repetition(t)? {
                Some(len) => {
                    out.push_str(&t[..len]);
                    t = &t[len..];
                }
                None => {
                    out.push_str("\\{");
                    t = &t[1..];
                }
            },
            '(' if t.starts_with("(?") => t = group_flags(t, &mut out)?,
            c => {
                out.push(c);
                t = &t[c.len_utf8()..];
            }
        }
    }
    Ok(out)
}

/// A literal character in the crate's syntax, safe inside and outside classes.
fn push_literal(out: &mut String, c: char) {
    if c.is_ascii_alphanumeric() || (!c.is_ascii() && !c.is_control()) {
        out.push(c);
    } else {
        out.push_str(&format!("\\x{{{:X}}}", c as u32));
    }
}

/// The ASCII-only Perl class of `\d \D \s \S \w \W`, as a crate class.
fn perl_class(e: char) -> Option<&'static str> {
    Some(match e {
        'd' => "[0-9]",
        'D' => "[^0-9]",
        's' => "[\\t\\n\\x0C\\r ]",
        'S' => "[^\\t\\n\\x0C\\r ]",
        'w' => "[0-9A-Za-z_]",
        'W' => "[^0-9A-Za-z_]",
        _ => return None,
    })
}

/// An escape outside a class, at `t` (which starts with `\`).
fn top_escape<'a>(t: &'a str, out: &mut String) -> Result<&'a str, Error> {
    let mut chars = t[1..].chars();
    let Some(e) = chars.next() else {
        return Err(Error::new("trailing backslash at end of expression", ""));
    };
    let after = &t[1 + e.len_utf8()..];
    if let Some(class) = perl_class(e) {
        out.push_str(class);
        return Ok(after);
    }
    match e {
        'b' => out.push_str("(?-u:\\b)"),
        'B' => out.push_str("(?-u:\\B)"),
        'A' | 'z' | 'a' | 'f' | 'n' | 'r' | 't' | 'v' => {
            out.push('\\');
            out.push(e);
        }
        // Any byte in Go; one character here (the text is UTF-8).
        'C' => out.push_str("(?s:.)"),
        'Q' => {
            // Literal text up to `\E` or the end.
            let (lit, rest) = match after.find("\\E") {
                Some(end) => (&after[..end], &after[end + 2..]),
                None => (after, ""),
            };
            out.push_str(&regex::escape(lit));
            return Ok(rest);
        }
        'p' | 'P' => {
            let (class, rest) = unicode_class(t)?;
            out.push_str(&class);
            return Ok(rest);
        }
        _ => {
            let (c, rest) = escape(t)?;
            push_literal(out, c);
            return Ok(rest);
        }
    }
    Ok(after)
}

/// Go's `parseEscape` for a literal character: octal, hex, C escapes and
/// escaped punctuation. `t` starts with `\`.
fn escape(t: &str) -> Result<(char, &str), Error> {
    let mut chars = t[1..].chars();
    let Some(c) = chars.next() else {
        return Err(Error::new("trailing backslash at end of expression", ""));
    };
    let rest = &t[1 + c.len_utf8()..];
    let invalid = |rest: &str| Error::new("invalid escape sequence", &t[..t.len() - rest.len()]);
    let is_octal = |s: &str| {
        s.as_bytes()
            .first()
            .is_some_and(|b| (b'0'..=b'7').contains(b))
    };
    match c {
        // A single non-zero digit would be a backreference: not in Go.
        '1'..='7' if !is_octal(rest) => Err(invalid(rest)),
        '0'..='7' => {
            let mut v = c as u32 - '0' as u32;
            let mut rest = rest;
            for _ in 1..3 {
                if !is_octal(rest) {
                    break;
                }
                v = v * 8 + u32::from(rest.as_bytes()[0] - b'0');
                rest = &rest[1..];
            }
            Ok((char::from_u32(v).unwrap_or('\0'), rest))
        }
        'x' => {
            // `\x{10FFFF}` or exactly two hex digits.
            let (hex, after) = match rest.strip_prefix('{') {
                Some(body) => match body.find('}') {
                    Some(end) => (&body[..end], &body[end + 1..]),
                    None => return Err(invalid(rest)),
                },
                None => match rest.get(..2) {
                    Some(h) => (h, &rest[2..]),
                    None => return Err(invalid(rest)),
                },
            };
            let v = (!hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()))
                .then(|| u32::from_str_radix(hex, 16).ok())
                .flatten()
                .and_then(char::from_u32)
                .ok_or_else(|| invalid(rest))?;
            Ok((v, after))
        }
        'a' => Ok(('\u{7}', rest)),
        'f' => Ok(('\u{c}', rest)),
        'n' => Ok(('\n', rest)),
        'r' => Ok(('\r', rest)),
        't' => Ok(('\t', rest)),
        'v' => Ok(('\u{b}', rest)),
        // Escaped punctuation is always itself.
        c if c.is_ascii() && !c.is_ascii_alphanumeric() => Ok((c, rest)),
        _ => Err(invalid(rest)),
    }
}

/// The Unicode category names Go's `unicode.Categories` has.
const CATEGORIES: &[&str] = &[
    "C", "Cc", "Cf", "Co", "Cs", "L", "Ll", "Lm", "Lo", "Lt", "Lu", "M", "Mc", "Me", "Mn", "N",
    "Nd", "Nl", "No", "P", "Pc", "Pd", "Pe", "Pf", "Pi", "Po", "Ps", "S", "Sc", "Sk", "Sm", "So",
    "Z", "Zl", "Zp", "Zs",
];

/// `\pX`, `\p{Name}`, `\p{^Name}`, `\P…` at `t`, as a crate class.
fn unicode_class(t: &str) -> Result<(String, &str), Error> {
    let mut negated = t.as_bytes()[1] == b'P';
    let body = &t[2..];
    let (seq_len, name) = match body.chars().next() {
        None => return Err(Error::new("invalid character class range", t)),
        Some('{') => match body.find('}') {
            Some(end) => (2 + end + 1, &body[1..end]),
            None => return Err(Error::new("invalid character class range", t)),
        },
        Some(c) => (2 + c.len_utf8(), &body[..c.len_utf8()]),
    };
    let seq = &t[..seq_len];
    let name = match name.strip_prefix('^') {
        Some(n) => {
            negated = !negated;
            n
        }
        None => name,
    };
    // Go knows "Any", the categories and the script names (`Greek`,
    // `Old_Italic`); the crate also takes loose spellings Go refuses.
    let script_shape = name.as_bytes().first().is_some_and(u8::is_ascii_uppercase)
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if !(name == "Any" || CATEGORIES.contains(&name) || script_shape) {
        return Err(Error::new("invalid character class range", seq));
    }
    let p = if negated { 'P' } else { 'p' };
    Ok((format!("\\{p}{{{name}}}"), &t[seq_len..]))
}

/// The POSIX class names of `[:name:]`.
const POSIX: &[&str] = &[
    "alnum", "alpha", "ascii", "blank", "cntrl", "digit", "graph", "lower", "print", "punct",
    "space", "upper", "word", "xdigit",
];

/// A bracketed class at `t` (which starts with `[`), parsed as Go's
/// `parseClass` does and written with every literal escaped.
fn class<'a>(whole: &'a str, out: &mut String) -> Result<&'a str, Error> {
    let missing = || Error::new("missing closing ]", whole);
    let mut t = &whole[1..];
    out.push('[');
    if let Some(rest) = t.strip_prefix('^') {
        out.push('^');
        t = rest;
    }
    let mut first = true;
    loop {
        match t.chars().next() {
            None => return Err(missing()),
            Some(']') if !first => break,
            _ => {}
        }
        first = false;
        // POSIX `[:alpha:]` / `[:^alpha:]`.
        if t.starts_with("[:")
            && let Some(end) = t[2..].find(":]")
        {
            let seq = &t[..2 + end + 2];
            let name = &t[2..2 + end];
            if !POSIX.contains(&name.strip_prefix('^').unwrap_or(name)) {
                return Err(Error::new("invalid character class range", seq));
            }
            out.push_str(seq);
            t = &t[seq.len()..];
            continue;
        }
        if t.starts_with("\\p") || t.starts_with("\\P") {
            let (class, rest) = unicode_class(t)?;
            out.push_str(&class);
            t = rest;
            continue;
        }
        if let Some(e) = t.strip_prefix('\\').and_then(|r| r.chars().next())
            && let Some(class) = perl_class(e)
        {
            out.push_str(class);
            t = &t[2..];
            continue;
        }
        // A character, or a range `lo-hi` (a `-` before `]` is a literal).
        let range_start = t;
        let (lo, rest) = class_char(t, whole)?;
        t = rest;
        let mut hi = lo;
        if t.len() >= 2 && t.starts_with('-') && !t[1..].starts_with(']') {
            let (h, rest) = class_char(&t[1..], whole)?;
            t = rest;
            hi = h;
            if hi < lo {
                let expr = &range_start[..range_start.len() - t.len()];
                return Err(Error::new("invalid character class range", expr));
            }
        }
        push_literal(out, lo);
        if hi != lo {
            out.push('-');
            push_literal(out, hi);
        }
    }
    out.push(']');
    Ok(&t[1..])
}

/// One character of a class: escaped or plain.
fn class_char<'a>(t: &'a str, whole: &str) -> Result<(char, &'a str), Error> {
    match t.chars().next() {
        None => Err(Error::new("missing closing ]", whole)),
        Some('\\') => escape(t),
        Some(c) => Ok((c, &t[c.len_utf8()..])),
    }
}

/// Go's `parseInt` for a repeat count: decimal, no leading zero; `None`
/// when `s` does not start with one.
fn repeat_count(s: &str) -> Option<(u32, &str)> {
    let n = s.bytes().take_while(u8::is_ascii_digit).count();
    if n == 0 || (n >= 2 && s.starts_with('0')) {
        return None;
    }
    // Longer than 8 digits: past any limit (Go marks it -1 and refuses it).
    let v = if n > 8 {
        u32::MAX
    } else {
        s[..n].parse().ok()?
    };
    Some((v, &s[n..]))
}

/// Whether `t` (at a `{`) is a repetition `{n}`, `{n,}`, `{n,m}`: its
/// length, `None` for a literal `{`, or Go's error for a count past 1000.
fn repetition(t: &str) -> Result<Option<usize>, Error> {
    let Some((min, rest)) = repeat_count(&t[1..]) else {
        return Ok(None);
    };
    let (max, rest) = match rest.strip_prefix(',') {
        None => (Some(min), rest),
        Some(r) if r.starts_with('}') => (None, r),
        Some(r) => match repeat_count(r) {
            Some((m, r)) => (Some(m), r),
            None => return Ok(None),
        },
    };
    let Some(rest) = rest.strip_prefix('}') else {
        return Ok(None);
    };
    let len = t.len() - rest.len();
    if min > 1000 || max.is_some_and(|m| m > 1000 || m < min) {
        return Err(Error::new("invalid repeat count", &t[..len]));
    }
    Ok(Some(len))
}

/// A `(?` group at `t`: Go's flags `(?i)`, `(?i-s:`, named groups
/// `(?P<n>` / `(?<n>`; anything else is Go's "invalid or unsupported Perl
/// syntax".
fn group_flags<'a>(t: &'a str, out: &mut String) -> Result<&'a str, Error> {
    let body = &t[2..];
    if body.starts_with("P<") || body.starts_with('<') {
        // Named capture: the crate reads it as Go does.
        out.push_str("(?");
        return Ok(body);
    }
    let mut negated = false;
    let mut saw_flag = false;
    for (i, c) in body.char_indices() {
        match c {
            'i' | 'm' | 's' | 'U' => saw_flag = true,
            '-' if !negated => {
                negated = true;
                saw_flag = false;
            }
            ':' | ')' if !negated || saw_flag => {
                let flags = &body[..i];
                if flags.is_empty() {
                    // `(?)` sets nothing; `(?:` is a plain group.
                    out.push_str(if c == ':' { "(?:" } else { "" });
                } else {
                    out.push_str("(?");
                    out.push_str(flags);
                    out.push(c);
                }
                return Ok(&body[i + 1..]);
            }
            _ => {
                let end = 2 + i + c.len_utf8();
                return Err(Error::new("invalid or unsupported Perl syntax", &t[..end]));
            }
        }
    }
    Err(Error::new("invalid or unsupported Perl syntax", t))
}

/// Go's wording for a pattern the crate refused after translation.
fn crate_error(pattern: &str, translated: &str, e: &regex::Error) -> Error {
    match e {
        regex::Error::Syntax(_) => syntax_error(pattern, translated),
        // Past the crate's size limits: Go's nearest code.
        _ => Error::new("expression too large", pattern),
    }
}

/// Map the crate's parse error on `translated` to Go's code and quoted
/// text (Go quotes the original `pattern` where it quotes the whole).
fn syntax_error(pattern: &str, translated: &str) -> Error {
    use regex_syntax::ast::ErrorKind;
    let Err(e) = regex_syntax::ast::parse::Parser::new().parse(translated) else {
        // The syntax is fine; the meaning is not (an unknown `\p{Name}`,
        // a class that can match invalid UTF-8).
        return match regex_syntax::Parser::new().parse(translated) {
            Err(regex_syntax::Error::Translate(e)) => {
                let span = e.span();
                let fragment = translated
                    .get(span.start.offset..span.end.offset)
                    .unwrap_or(translated);
                Error::new("invalid character class range", fragment)
            }
            _ => Error::new("invalid or unsupported Perl syntax", pattern),
        };
    };
    let span = e.span();
    let fragment = translated
        .get(span.start.offset..span.end.offset)
        .unwrap_or(translated);
    match e.kind() {
        ErrorKind::GroupUnclosed => Error::new("missing closing )", pattern),
        ErrorKind::GroupUnopened => Error::new("unexpected )", pattern),
        ErrorKind::EscapeUnrecognized => Error::new("invalid escape sequence", fragment),
        ErrorKind::EscapeUnexpectedEof => Error::new("trailing backslash at end of expression", ""),
        ErrorKind::RepetitionMissing => {
            // The parser points at the operator; Go quotes it (`*`, `{2}`).
            let op = &translated[span.start.offset..];
            let len = if op.starts_with('{') {
                op.find('}').map_or(op.len(), |i| i + 1)
            } else {
                op.chars().next().map_or(0, char::len_utf8)
            };
            Error::new("missing argument to repetition operator", &op[..len])
        }
        ErrorKind::RepetitionCountInvalid | ErrorKind::RepetitionCountDecimalEmpty => {
            Error::new("invalid repeat count", fragment)
        }
        ErrorKind::GroupNameInvalid
        | ErrorKind::GroupNameEmpty
        | ErrorKind::GroupNameDuplicate { .. } => Error::new("invalid named capture", fragment),
        ErrorKind::NestLimitExceeded(_) => Error::new("expression nests too deeply", ""),
        _ => Error::new(&e.kind().to_string(), pattern),
    }
}

/// Go's `regexp.QuoteMeta`.
pub fn quote_meta(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Go's `Regexp.Split(s, n)`: at most `n` pieces (all for a negative `n`).
pub fn split(re: &Regex, s: &str, n: i64) -> Vec<String> {
    if n == 0 {
        return Vec::new();
    }
    if !re.as_str().is_empty() && s.is_empty() {
        return vec![String::new()];
    }
    let mut parts = Vec::new();
    let (mut beg, mut end) = (0, 0);
    for m in re.find_iter(s) {
        if n > 0 && parts.len() as i64 == n - 1 {
            break;
        }
        end = m.start();
        if m.end() != 0 {
            parts.push(s[beg..end].to_string());
        }
        beg = m.end();
    }
    if end != s.len() {
        parts.push(s[beg..].to_string());
    }
    parts
}

/// Go's `Regexp.FindAllString(s, n)`: at most `n` matches (all for a
/// negative `n`).
pub fn find_all<'s>(re: &Regex, s: &'s str, n: i64) -> Vec<&'s str> {
    if n == 0 {
        return Vec::new();
    }
    let it = re.find_iter(s).map(|m| m.as_str());
    if n < 0 {
        it.collect()
    } else {
        it.take(n as usize).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, s: &str) -> bool {
        compile(p)
            .unwrap_or_else(|e| panic!("{p}: {e}"))
            .is_match(s)
    }

    fn err(p: &str) -> String {
        compile(p).map(|_| ()).unwrap_err().to_string()
    }

    #[test]
    fn perl_classes_are_ascii_like_go() {
        assert!(m(r"^\d+$", "123"));
        assert!(!m(r"^\d$", "٣"), "Go's \\d is ASCII");
        assert!(!m(r"^\w+$", "é"));
        assert!(m(r"^\w+$", "a_1"));
        assert!(m(r"^[\d\s]+$", "1 2"));
        assert!(m(r"^[^\d]+$", "abc"));
        assert!(
            !m(r"^[\D]$", "1") && m(r"^[\D]$", "٣"),
            "\\D in a class is ASCII too"
        );
        assert!(m(r"\bfoo\b", "a foo b"));
        assert!(!m(r"\bé", " é"), "Go's \\b is an ASCII word boundary");
    }

    #[test]
    fn a_dash_next_to_a_class_escape_is_a_literal() {
        // Issue 16: `^[\w-\.]+$` failed with "invalid range boundary".
        assert!(m(r"^[\w-\.]+$", "a-b.c_1"));
        assert!(!m(r"^[\w-\.]+$", "a b"));
        assert!(m(r"^[\w-]+$", "a-b"));
        assert!(m(r"^[-\w]+$", "-a"));
        assert!(
            m(r"^[\d-z]+$", "1-z") && !m(r"^[\d-z]+$", "y"),
            "not a range 0-z"
        );
        assert!(m(r"^[\s-a]+$", " -a"));
        assert!(m(r"^[[:alpha:]-9]+$", "a-9") && !m(r"^[[:alpha:]-9]+$", "5"));
        assert!(m(r"^[\pL-9]+$", "é-9"));
        assert!(m(r"^[a-c-e]+$", "b-e") && !m(r"^[a-c-e]+$", "d"));
        assert!(m(r"^[+--]+$", "+,-"), "a range ending at '-'");
        assert_eq!(
            err(r"[a-\w]"),
            "error parsing regexp: invalid escape sequence: `\\w`"
        );
        assert_eq!(
            err(r"[z-a]"),
            "error parsing regexp: invalid character class range: `z-a`"
        );
    }

    #[test]
    fn class_edges_as_go_parses_them() {
        assert!(m(r"^[]a]+$", "]a"), "] first is a literal");
        assert!(m(r"^[^]a]+$", "bc") && !m(r"^[^]a]+$", "]"));
        assert!(m(r"^[a&&b]+$", "&&"), "no set operations");
        assert!(m(r"^[a~~b]+$", "~"));
        assert!(m(r"^[[a]+$", "[a"), "[ inside a class is a literal");
        assert!(m(r"^[[:alpha:]]+$", "ab") && !m(r"^[[:alpha:]]+$", "1"));
        assert!(m(r"^[[:^digit:]]+$", "ab") && !m(r"^[[:^digit:]]+$", "1"));
        assert!(
            m(r"^[:alpha:]+$", ":a"),
            "outside brackets it is plain characters"
        );
        assert_eq!(
            err(r"[[:foo:]]"),
            "error parsing regexp: invalid character class range: `[:foo:]`"
        );
        assert_eq!(err(r"[a"), "error parsing regexp: missing closing ]: `[a`");
        assert_eq!(err(r"x[]"), "error parsing regexp: missing closing ]: `[]`");
        assert!(m(r"^[\pL]+$", "éa") && !m(r"^[\pL]+$", "1"));
        assert!(m(r"^\p{Greek}+$", "αβ") && !m(r"^\p{Greek}+$", "a"));
        assert!(m(r"^\p{^Greek}+$", "a") && !m(r"^\p{^Greek}+$", "α"));
        assert!(m(r"^[\P{Greek}]+$", "a"));
        assert_eq!(
            err(r"\p{greek}"),
            "error parsing regexp: invalid character class range: `\\p{greek}`"
        );
        assert!(m(r"^[\x41-\x{43}]+$", "ABC"));
        assert!(m(r"^[\101]$", "A"), "octal escapes");
        assert!(m("^[\\]\\-\\\\]+$", "]-\\"));
    }

    #[test]
    fn quoting_and_literals() {
        assert!(m(r"^\Qa.b\E$", "a.b") && !m(r"^\Qa.b\E$", "axb"));
        assert!(m(r"^\Q[x]*", "[x]*"), "\\Q to the end");
        assert!(
            m(r"^\Qab\E*$", "abbb"),
            "a repetition after \\E takes the last character"
        );
        assert_eq!(
            err(r"[\Q]\E]"),
            "error parsing regexp: invalid escape sequence: `\\Q`"
        );
        assert!(m(r"^a{$", "a{"), "a lone brace is literal in Go");
        assert!(m(r"^a{,2}$", "a{,2}"));
        assert!(
            m(r"^a{01}$", "a{01}"),
            "a count with a leading zero is no count"
        );
        assert!(m(r"^a{2}$", "aa") && m(r"^a{1,}$", "aaa") && m(r"^a{1,2}$", "aa"));
        assert_eq!(
            err(r"a{1001}"),
            "error parsing regexp: invalid repeat count: `{1001}`"
        );
        assert_eq!(
            err(r"a{3,2}"),
            "error parsing regexp: invalid repeat count: `{3,2}`"
        );
        assert!(m(r"^\<a\>$", "<a>"), "\\< and \\> are literals in Go");
        assert!(m(r"^\_$", "_"));
        assert!(m(r"^\012$", "\n"));
        assert_eq!(
            err(r"\1"),
            "error parsing regexp: invalid escape sequence: `\\1`"
        );
        assert_eq!(
            err(r"\q"),
            "error parsing regexp: invalid escape sequence: `\\q`"
        );
        assert_eq!(
            err("a\\"),
            "error parsing regexp: trailing backslash at end of expression: ``"
        );
    }

    #[test]
    fn flags_are_gos() {
        assert!(m("(?i)HELLO", "hello"));
        assert!(m("(?i:A)b", "ab") && !m("(?i:A)b", "aB"));
        assert!(m("(?s).", "\n") && !m(".", "\n"));
        assert!(m("(?m)^b$", "a\nb"));
        assert!(m("(?U)a+", "a"));
        assert!(m("(?i-s:A.)", "a-"));
        assert!(m("(?)a", "a"));
        assert_eq!(
            err("(?x)a b"),
            "error parsing regexp: invalid or unsupported Perl syntax: `(?x`"
        );
        assert_eq!(
            err("(?i-)a"),
            "error parsing regexp: invalid or unsupported Perl syntax: `(?i-)`"
        );
        assert!(m("(?P<first>a)(?<second>b)", "ab"));
        assert_eq!(
            compile("(?P<n>a)").unwrap().capture_names().nth(1),
            Some(Some("n"))
        );
    }

    #[test]
    fn other_errors_have_gos_wording() {
        assert_eq!(err("("), "error parsing regexp: missing closing ): `(`");
        assert_eq!(err("a)"), "error parsing regexp: unexpected ): `a)`");
        assert_eq!(
            err("*a"),
            "error parsing regexp: missing argument to repetition operator: `*`"
        );
        assert!(check("(").is_err() && check(r"[\w-.]").is_ok());
    }

    #[test]
    fn split_and_find_all_match_go() {
        let re = compile("a").unwrap();
        assert_eq!(split(&re, "banana", -1), ["b", "n", "n", ""]);
        assert_eq!(split(&re, "banana", 2), ["b", "nana"]);
        let empty = compile("").unwrap();
        assert_eq!(split(&empty, "abc", -1), ["a", "b", "c"]);
        assert_eq!(
            find_all(&compile("[0-9]+").unwrap(), "a1b22c333", 2),
            ["1", "22"]
        );
        assert_eq!(quote_meta("a.b*c"), "a\\.b\\*c");
    }
}
