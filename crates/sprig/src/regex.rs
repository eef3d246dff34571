//! Regular expressions with Go's RE2 syntax and semantics.
//!
//! The `regex` crate speaks nearly the same dialect as Go's `regexp`; the
//! difference that matters is that Go's `\d`, `\w`, `\s` and `\b` are
//! ASCII-only, so patterns are translated before compiling. Compiled
//! patterns are cached per thread: charts call these in loops.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use gotmpl::{FuncError, FuncMap, Value};
use regex::Regex;

use crate::{FuncResult, args, define};

/// How many compiled patterns a thread keeps.
const CACHE_CAPACITY: usize = 256;

thread_local! {
    static CACHE: RefCell<HashMap<String, Arc<Regex>>> = RefCell::new(HashMap::new());
}

/// Rewrite Go's ASCII-only Perl classes into explicit ASCII classes.
fn translate(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut chars = pattern.chars().peekable();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let Some(next) = chars.next() else {
                    out.push('\\');
                    break;
                };
                let (inside, outside) = match next {
                    'd' => ("0-9", "[0-9]"),
                    'D' => ("", "[^0-9]"),
                    'w' => ("0-9A-Za-z_", "[0-9A-Za-z_]"),
                    'W' => ("", "[^0-9A-Za-z_]"),
                    's' => ("\\t\\n\\f\\r ", "[\\t\\n\\f\\r ]"),
                    'S' => ("", "[^\\t\\n\\f\\r ]"),
                    'b' if !in_class => ("", "(?-u:\\b)"),
                    'B' if !in_class => ("", "(?-u:\\B)"),
                    _ => ("", ""),
                };
                if in_class && !inside.is_empty() {
                    out.push_str(inside);
                } else if !in_class && !outside.is_empty() {
                    out.push_str(outside);
                } else {
                    out.push('\\');
                    out.push(next);
                }
            }
            '[' if !in_class => {
                in_class = true;
                out.push('[');
                // A leading '^' and a leading ']' belong to the class.
                if chars.peek() == Some(&'^') {
                    out.push('^');
                    chars.next();
                }
                if chars.peek() == Some(&']') {
                    out.push_str("\\]");
                    chars.next();
                }
            }
            '[' if in_class && chars.peek() == Some(&':') => {
                // POSIX class such as [:alpha:] inside a bracket expression.
                out.push('[');
                for d in chars.by_ref() {
                    out.push(d);
                    if d == ']' {
                        break;
                    }
                }
            }
            ']' if in_class => {
                in_class = false;
                out.push(']');
            }
            _ => out.push(c),
        }
    }
    out
}

/// Compile `pattern` as Go's `regexp.Compile` would, with Go's error text.
pub fn compile(pattern: &str) -> Result<Arc<Regex>, FuncError> {
    if let Some(re) = CACHE.with(|c| c.borrow().get(pattern).cloned()) {
        return Ok(re);
    }
    let re = Regex::new(&translate(pattern))
        .map_err(|e| FuncError::new(go_syntax_error(pattern, &e)))?;
    let re = Arc::new(re);
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() >= CACHE_CAPACITY {
            c.clear();
        }
        c.insert(pattern.to_string(), re.clone());
    });
    Ok(re)
}

/// Go's `regexp/syntax` wording of why `pattern` does not compile:
/// `error parsing regexp: CODE: `FRAGMENT``.
fn go_syntax_error(pattern: &str, compiled: &regex::Error) -> String {
    use regex_syntax::ast::ErrorKind;
    let Err(e) = regex_syntax::ast::parse::Parser::new().parse(pattern) else {
        return format!("error parsing regexp: {compiled}: `{pattern}`");
    };
    let span = e.span();
    let fragment = pattern
        .get(span.start.offset..span.end.offset)
        .unwrap_or(pattern);
    let (code, text) = match e.kind() {
        ErrorKind::GroupUnclosed => ("missing closing )", pattern),
        ErrorKind::GroupUnopened => ("unexpected )", pattern),
        ErrorKind::ClassUnclosed => (
            "missing closing ]",
            pattern.get(span.start.offset..).unwrap_or(pattern),
        ),
        ErrorKind::EscapeUnrecognized => ("invalid escape sequence", fragment),
        ErrorKind::EscapeUnexpectedEof => ("trailing backslash at end of expression", ""),
        ErrorKind::RepetitionMissing => {
            // The parser points at the operator; Go quotes it (`*`, `{2}`).
            let op = &pattern[span.start.offset..];
            let len = if op.starts_with('{') {
                op.find('}').map_or(op.len(), |i| i + 1)
            } else {
                op.chars().next().map_or(0, char::len_utf8)
            };
            ("missing argument to repetition operator", &op[..len])
        }
        ErrorKind::RepetitionCountInvalid | ErrorKind::RepetitionCountDecimalEmpty => {
            ("invalid repeat count", fragment)
        }
        ErrorKind::ClassRangeInvalid => ("invalid character class range", fragment),
        ErrorKind::GroupNameInvalid
        | ErrorKind::GroupNameEmpty
        | ErrorKind::GroupNameDuplicate { .. } => ("invalid named capture", fragment),
        ErrorKind::NestLimitExceeded(_) => ("expression nests too deeply", ""),
        _ => return format!("error parsing regexp: {e}: `{pattern}`"),
    };
    format!("error parsing regexp: {code}: `{text}`")
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

/// Go's `Regexp.Split(s, n)`.
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

/// Non-`must` variants panic in Go; the template engine turns the panic
/// into the same error, so both variants report it.
fn strings_list(items: Vec<String>) -> Value {
    Value::list(items.into_iter().map(Value::str).collect())
}

fn find_all(re: &Regex, s: &str, n: i64) -> Vec<String> {
    if n == 0 {
        return Vec::new();
    }
    let it = re.find_iter(s).map(|m| m.as_str().to_string());
    if n < 0 {
        it.collect()
    } else {
        it.take(n as usize).collect()
    }
}

fn regex_match(n: &'static str, a: &[Value]) -> FuncResult {
    args::exact(n, a, 2)?;
    Ok(Value::Bool(
        compile(args::string(&a[0])?)?.is_match(args::string(&a[1])?),
    ))
}

fn regex_find_all(n: &'static str, a: &[Value]) -> FuncResult {
    args::exact(n, a, 3)?;
    let re = compile(args::string(&a[0])?)?;
    Ok(strings_list(find_all(
        &re,
        args::string(&a[1])?,
        args::int(&a[2])?,
    )))
}

fn regex_find(n: &'static str, a: &[Value]) -> FuncResult {
    args::exact(n, a, 2)?;
    let re = compile(args::string(&a[0])?)?;
    Ok(Value::str(
        re.find(args::string(&a[1])?).map_or("", |m| m.as_str()),
    ))
}

fn regex_replace_all(n: &'static str, a: &[Value]) -> FuncResult {
    args::exact(n, a, 3)?;
    let re = compile(args::string(&a[0])?)?;
    Ok(Value::str(
        re.replace_all(args::string(&a[1])?, args::string(&a[2])?),
    ))
}

fn regex_replace_all_literal(n: &'static str, a: &[Value]) -> FuncResult {
    args::exact(n, a, 3)?;
    let re = compile(args::string(&a[0])?)?;
    Ok(Value::str(re.replace_all(
        args::string(&a[1])?,
        regex::NoExpand(args::string(&a[2])?),
    )))
}

fn regex_split(n: &'static str, a: &[Value]) -> FuncResult {
    args::exact(n, a, 3)?;
    let re = compile(args::string(&a[0])?)?;
    Ok(strings_list(split(
        &re,
        args::string(&a[1])?,
        args::int(&a[2])?,
    )))
}

/// Register the regular expression functions.
pub fn register(m: &mut FuncMap) {
    define(m, &["regexMatch", "mustRegexMatch"], regex_match);
    define(m, &["regexFindAll", "mustRegexFindAll"], regex_find_all);
    define(m, &["regexFind", "mustRegexFind"], regex_find);
    define(
        m,
        &["regexReplaceAll", "mustRegexReplaceAll"],
        regex_replace_all,
    );
    define(
        m,
        &["regexReplaceAllLiteral", "mustRegexReplaceAllLiteral"],
        regex_replace_all_literal,
    );
    define(m, &["regexSplit", "mustRegexSplit"], regex_split);
    define(m, &["regexQuoteMeta"], |n, a| {
        args::exact(n, a, 1)?;
        Ok(Value::str(quote_meta(args::string(&a[0])?)))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perl_classes_are_ascii_like_go() {
        assert!(!compile(r"^\d$").unwrap().is_match("٣"));
        assert!(compile(r"^[\d\s]+$").unwrap().is_match("1 2"));
        assert!(compile(r"^\w+$").unwrap().is_match("a_1"));
    }

    #[test]
    fn split_matches_go() {
        let re = compile("a").unwrap();
        assert_eq!(split(&re, "banana", -1), ["b", "n", "n", ""]);
        assert_eq!(split(&re, "banana", 2), ["b", "nana"]);
        let empty = compile("").unwrap();
        assert_eq!(split(&empty, "abc", -1), ["a", "b", "c"]);
    }
}
