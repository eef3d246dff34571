//! `urlParse` and `urlJoin` with the parts and spelling of Go's `net/url`.

use gotmpl::{FuncError, FuncMap, Map, Value};

use crate::{args, define};

/// The parts of a URL that Sprig exposes.
#[derive(Default, Debug, PartialEq, Eq)]
pub struct Url {
    /// Lower-cased scheme, without `:`.
    pub scheme: String,
    /// Text after `scheme:` when it does not start with `/`.
    pub opaque: String,
    /// `user[:password]`, escaped as Go prints it; `None` when absent.
    pub userinfo: Option<String>,
    /// `host[:port]`.
    pub host: String,
    /// Unescaped path.
    pub path: String,
    /// Query without `?`.
    pub query: String,
    /// Unescaped fragment.
    pub fragment: String,
}

/// The `net/url` escaping modes Sprig's functions reach.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Path,
    UserPassword,
    Fragment,
    Host,
}

fn should_escape(c: u8, mode: Mode) -> bool {
    if c.is_ascii_alphanumeric() {
        return false;
    }
    if mode == Mode::Host && b"!$&'()*+,;=:[]<>\"".contains(&c) {
        return false;
    }
    match c {
        b'-' | b'_' | b'.' | b'~' => return false,
        b'$' | b'&' | b'+' | b',' | b'/' | b':' | b';' | b'=' | b'?' | b'@' => {
            return match mode {
                Mode::Path => c == b'?',
                Mode::UserPassword => matches!(c, b'@' | b'/' | b'?' | b':'),
                Mode::Fragment => false,
                Mode::Host => true,
            };
        }
        _ => {}
    }
    if mode == Mode::Fragment && matches!(c, b'!' | b'(' | b')' | b'*') {
        return false;
    }
    true
}

fn escape(s: &str, mode: Mode) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if should_escape(b, mode) {
            out.push_str(&format!("%{b:02X}"));
        } else {
            out.push(b as char);
        }
    }
    out
}

/// The message of the [`UrlError`] [`parse`] reports (a type would add
/// nothing).
fn unescape(s: &str) -> Result<String, String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = s
                .get(i + 1..i + 3)
                .filter(|h| h.len() == 2 && h.bytes().all(|c| c.is_ascii_hexdigit()));
            let Some(hex) = hex else {
                let bad: String = s[i..].chars().take(3).collect();
                return Err(format!("invalid URL escape {:?}", bad));
            };
            out.push(u8::from_str_radix(hex, 16).map_err(|e| e.to_string())?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// A URL Go's `url.Parse` refuses (Go's `url.Error` of `parse`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("parse {url:?}: {message}")]
pub struct UrlError {
    /// The URL as given.
    pub url: String,
    /// What is wrong, as Go words it (`missing protocol scheme`).
    pub message: String,
}

/// Go's `url.Parse`.
pub fn parse(raw: &str) -> Result<Url, UrlError> {
    let wrap = |message: String| UrlError {
        url: raw.to_string(),
        message,
    };
    let mut u = Url::default();
    let (rest, fragment) = match raw.split_once('#') {
        Some((r, f)) => (r, Some(f)),
        None => (raw, None),
    };
    if let Some(f) = fragment {
        u.fragment = unescape(f).map_err(wrap)?;
    }
    if rest.bytes().any(|c| c < 0x20 || c == 0x7f) {
        return Err(wrap("net/url: invalid control character in URL".into()));
    }
    let mut rest = rest;
    // Scheme: a letter, then letters, digits, '+', '-', '.', up to ':'.
    for (i, c) in rest.char_indices() {
        if c.is_ascii_alphabetic() {
            continue;
        }
        if i > 0 && (c.is_ascii_digit() || matches!(c, '+' | '-' | '.')) {
            continue;
        }
        if c == ':' {
            if i == 0 {
                return Err(wrap("missing protocol scheme".into()));
            }
            u.scheme = rest[..i].to_ascii_lowercase();
            rest = &rest[i + 1..];
        }
        break;
    }
    if let Some((r, q)) = rest.split_once('?') {
        u.query = q.to_string();
        rest = r;
    }
    if !rest.starts_with('/') {
        if !u.scheme.is_empty() {
            u.opaque = rest.to_string();
            return Ok(u);
        }
        if rest.split('/').next().is_some_and(|seg| seg.contains(':')) {
            return Err(wrap(
                "first path segment in URL cannot contain colon".into(),
            ));
        }
    }
    if (!u.scheme.is_empty() || !rest.starts_with("///")) && rest.starts_with("//") {
        let after = &rest[2..];
        let end = after.find('/').unwrap_or(after.len());
        let authority = &after[..end];
        rest = &after[end..];
        let host = match authority.rfind('@') {
            Some(at) => {
                let info = &authority[..at];
                let (user, pass) = match info.split_once(':') {
                    Some((name, pass)) => (
                        unescape(name).map_err(wrap)?,
                        Some(unescape(pass).map_err(wrap)?),
                    ),
                    None => (unescape(info).map_err(wrap)?, None),
                };
                let mut text = escape(&user, Mode::UserPassword);
                if let Some(p) = pass {
                    text.push(':');
                    text.push_str(&escape(&p, Mode::UserPassword));
                }
                u.userinfo = Some(text);
                &authority[at + 1..]
            }
            None => authority,
        };
        u.host = unescape(host).map_err(wrap)?;
    }
    u.path = unescape(rest).map_err(wrap)?;
    Ok(u)
}

/// Go's `URL.Hostname`: the host without port or IPv6 brackets.
pub fn hostname(host: &str) -> &str {
    if let Some(inner) = host.strip_prefix('[') {
        return inner.split(']').next().unwrap_or(inner);
    }
    match host.rfind(':') {
        Some(i) if host[i + 1..].bytes().all(|c| c.is_ascii_digit()) => &host[..i],
        _ => host,
    }
}

/// Go's `URL.String`.
pub fn to_string(u: &Url) -> String {
    let mut out = String::new();
    if !u.scheme.is_empty() {
        out.push_str(&u.scheme);
        out.push(':');
    }
    if !u.opaque.is_empty() {
        out.push_str(&u.opaque);
    } else {
        if !u.scheme.is_empty() || !u.host.is_empty() || u.userinfo.is_some() {
            if !u.host.is_empty() || !u.path.is_empty() || u.userinfo.is_some() {
                out.push_str("//");
            }
            if let Some(info) = &u.userinfo {
                out.push_str(info);
                out.push('@');
            }
            out.push_str(&escape(&u.host, Mode::Host));
        }
        let path = escape(&u.path, Mode::Path);
        if !path.is_empty() && !path.starts_with('/') && !u.host.is_empty() {
            out.push('/');
        }
        if out.is_empty() && path.split('/').next().is_some_and(|seg| seg.contains(':')) {
            out.push_str("./");
        }
        out.push_str(&path);
    }
    if !u.query.is_empty() {
        out.push('?');
        out.push_str(&u.query);
    }
    if !u.fragment.is_empty() {
        out.push('#');
        out.push_str(&escape(&u.fragment, Mode::Fragment));
    }
    out
}

fn dict_string(d: &Map, key: &str) -> Result<String, FuncError> {
    match d.get(key) {
        None => Ok(String::new()),
        Some(Value::String(s)) => Ok(s.to_string()),
        Some(other) => Err(FuncError::new(format!(
            "unable to parse {key} key, must be of type string, but {} found",
            crate::reflect::kind_of(other)
        ))),
    }
}

/// Register the URL functions.
pub fn register(m: &mut FuncMap) {
    define(m, &["urlParse"], |n, a| {
        args::exact(n, a, 1)?;
        let u = parse(args::string(&a[0])?)
            .map_err(|e| FuncError::new(format!("unable to parse url: {e}")))?;
        let mut d = Map::new();
        d.insert("scheme".into(), Value::str(&u.scheme));
        d.insert("host".into(), Value::str(&u.host));
        d.insert("hostname".into(), Value::str(hostname(&u.host)));
        d.insert("path".into(), Value::str(&u.path));
        d.insert("query".into(), Value::str(&u.query));
        d.insert("opaque".into(), Value::str(&u.opaque));
        d.insert("fragment".into(), Value::str(&u.fragment));
        d.insert(
            "userinfo".into(),
            Value::str(u.userinfo.as_deref().unwrap_or("")),
        );
        Ok(Value::map(d))
    });
    define(m, &["urlJoin"], |n, a| {
        args::exact(n, a, 1)?;
        let d = args::dict(&a[0])?
            .map(|d| d.borrow().clone())
            .unwrap_or_default();
        let userinfo = dict_string(&d, "userinfo")?;
        let user = if userinfo.is_empty() {
            None
        } else {
            let parsed = parse(&format!("proto://{userinfo}@host"))
                .map_err(|e| FuncError::new(format!("unable to parse userinfo in dict: {e}")))?;
            parsed.userinfo
        };
        let u = Url {
            scheme: dict_string(&d, "scheme")?,
            opaque: dict_string(&d, "opaque")?,
            userinfo: user,
            host: dict_string(&d, "host")?,
            path: dict_string(&d, "path")?,
            query: dict_string(&d, "query")?,
            fragment: dict_string(&d, "fragment")?,
        };
        Ok(Value::str(to_string(&u)))
    });
}

#[cfg(test)]
mod tests {

    #[test]
    fn parse_errors_keep_the_url() {
        let err = parse(":x").unwrap_err();
        assert_eq!(err.url, ":x");
        assert_eq!(err.message, "missing protocol scheme");
        assert_eq!(err.to_string(), "parse \":x\": missing protocol scheme");
    }

    use super::*;

    #[test]
    fn parse_and_print_round_trip() {
        let u = parse("proto://auth@host:80/path?query#fragment").unwrap();
        assert_eq!(
            (u.scheme.as_str(), u.host.as_str(), hostname(&u.host)),
            ("proto", "host:80", "host")
        );
        assert_eq!(
            (u.path.as_str(), u.query.as_str(), u.fragment.as_str()),
            ("/path", "query", "fragment")
        );
        assert_eq!(u.userinfo.as_deref(), Some("auth"));
        assert_eq!(to_string(&u), "proto://auth@host:80/path?query#fragment");
        assert_eq!(parse("mailto:x@y").unwrap().opaque, "x@y");
    }
}
