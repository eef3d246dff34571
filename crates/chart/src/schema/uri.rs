//! Schema references as gojsonschema handles them (through
//! gojsonreference, gojsonpointer and Go's `net/url`): parsing with Go's
//! error wording, RFC 3986 resolution against the `id`/`$id` scope, the
//! canonical form pools are keyed by, and JSON pointer lookup.

use super::json::Json;

/// A parsed URI reference (`net/url.URL`, the parts gojsonschema uses).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Uri {
    scheme: String,
    /// `//authority`, when present.
    host: Option<String>,
    /// A scheme's non-hierarchical rest (`urn:x`).
    opaque: String,
    path: String,
    query: Option<String>,
    /// The raw fragment text; an empty one prints as nothing, as in Go.
    fragment: String,
}

fn parse_error(raw: &str, detail: &str) -> String {
    format!("parse \"{raw}\": {detail}")
}

/// Go's `unescape` check: every `%` starts a two-hex-digit escape.
fn check_escapes(raw: &str, s: &str) -> Result<(), String> {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let ok = b.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit);
            if !ok {
                let end = (i + 3).min(b.len());
                let esc = String::from_utf8_lossy(&b[i..end]);
                return Err(parse_error(raw, &format!("invalid URL escape \"{esc}\"")));
            }
            i += 3;
        } else {
            i += 1;
        }
    }
    Ok(())
}

/// Percent-decode (escapes already checked).
fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("");
            if let Ok(v) = u8::from_str_radix(hex, 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl Uri {
    /// `url.Parse`, with Go's error text for the failures a schema can hit.
    pub(crate) fn parse(raw: &str) -> Result<Uri, String> {
        let mut uri = Uri::default();
        let (rest, frag) = match raw.split_once('#') {
            Some((r, f)) => (r, Some(f)),
            None => (raw, None),
        };
        if raw.bytes().any(|b| b < 0x20 || b == 0x7f) {
            return Err(parse_error(
                raw,
                "net/url: invalid control character in URL",
            ));
        }
        if let Some(f) = frag {
            check_escapes(raw, f)?;
            uri.fragment = f.to_string();
        }
        let mut rest = rest;
        // Scheme: letters, then letters, digits, + - . up to ':'.
        for (i, c) in rest.char_indices() {
            match c {
                'a'..='z' | 'A'..='Z' => {}
                '0'..='9' | '+' | '-' | '.' if i > 0 => {}
                ':' => {
                    if i == 0 {
                        return Err(parse_error(raw, "missing protocol scheme"));
                    }
                    uri.scheme = rest[..i].to_ascii_lowercase();
                    rest = &rest[i + 1..];
                    break;
                }
                _ => break,
            }
        }
        if let Some((r, q)) = rest.split_once('?') {
            uri.query = Some(q.to_string());
            rest = r;
        }
        if !rest.starts_with('/') {
            if !uri.scheme.is_empty() {
                uri.opaque = rest.to_string();
                return Ok(uri);
            }
            let first = rest.split('/').next().unwrap_or("");
            if first.contains(':') {
                return Err(parse_error(
                    raw,
                    "first path segment in URL cannot contain colon",
                ));
            }
        }
        if (!uri.scheme.is_empty() || !rest.starts_with("///")) && rest.starts_with("//") {
            let after = &rest[2..];
            let end = after.find('/').unwrap_or(after.len());
            let authority = &after[..end];
            check_escapes(raw, authority)?;
            let hostport = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
            // Go's host check: ASCII other than these must be escaped.
            if let Some(bad) = hostport.chars().find(|c| {
                c.is_ascii()
                    && !c.is_ascii_alphanumeric()
                    && !"-_.~$&'()*+,;=:[]<>\"%!".contains(*c)
            }) {
                return Err(parse_error(
                    raw,
                    &format!("invalid character \"{bad}\" in host name"),
                ));
            }
            if !hostport.starts_with('[')
                && let Some((_, port)) = hostport.rsplit_once(':')
                && !port.bytes().all(|b| b.is_ascii_digit())
            {
                return Err(parse_error(
                    raw,
                    &format!("invalid port \":{port}\" after host"),
                ));
            }
            uri.host = Some(authority.to_string());
            rest = &after[end..];
        }
        check_escapes(raw, rest)?;
        uri.path = rest.to_string();
        Ok(uri)
    }

    /// Whether the reference names a scheme.
    pub(crate) fn has_scheme(&self) -> bool {
        !self.scheme.is_empty()
    }

    /// The path, percent-decoded (Go's `URL.Path`).
    pub(crate) fn decoded_path(&self) -> String {
        unescape(&self.path)
    }

    /// The fragment, percent-decoded (what a JSON pointer is read from).
    pub(crate) fn fragment(&self) -> String {
        unescape(&self.fragment)
    }

    /// The reference without its fragment.
    pub(crate) fn without_fragment(&self) -> Uri {
        Uri {
            fragment: String::new(),
            ..self.clone()
        }
    }

    /// gojsonreference's `IsCanonical`: loadable on its own (an absolute
    /// `file:` path or a URL with scheme and host).
    pub(crate) fn is_canonical(&self) -> bool {
        if self.scheme == "file" {
            self.path.starts_with('/')
        } else {
            !self.scheme.is_empty() && self.host.as_deref().is_some_and(|h| !h.is_empty())
        }
    }

    /// `base.ResolveReference(reference)` with the base's fragment dropped
    /// first, as gojsonreference's `Inherits` does.
    pub(crate) fn resolve(&self, reference: &Uri) -> Uri {
        let mut url = reference.clone();
        if reference.scheme.is_empty() {
            url.scheme = self.scheme.clone();
        }
        if !reference.scheme.is_empty() || reference.host.is_some() {
            url.path = resolve_path(&reference.path, "");
            return url;
        }
        if reference.path.is_empty() && reference.query.is_none() {
            url.query = self.query.clone();
        }
        if reference.path.is_empty() && !self.opaque.is_empty() {
            url.opaque = self.opaque.clone();
            url.host = None;
            url.path = String::new();
            return url;
        }
        url.host = self.host.clone();
        url.path = resolve_path(&self.path, &reference.path);
        url
    }
}

/// Go's `resolvePath`: merge, then remove dot segments, rooted.
fn resolve_path(base: &str, reference: &str) -> String {
    let full = if reference.is_empty() {
        base.to_string()
    } else if !reference.starts_with('/') {
        let i = base.rfind('/').map_or(0, |i| i + 1);
        format!("{}{reference}", &base[..i])
    } else {
        reference.to_string()
    };
    if full.is_empty() {
        return String::new();
    }
    let mut segments: Vec<&str> = Vec::new();
    let parts: Vec<&str> = full.split('/').collect();
    let last = parts.last().copied().unwrap_or("");
    for (i, elem) in parts.iter().enumerate() {
        if i == 0 && elem.is_empty() {
            continue;
        }
        match *elem {
            "." => {}
            ".." => {
                segments.pop();
            }
            e => segments.push(e),
        }
    }
    let mut out = format!("/{}", segments.join("/"));
    if (last == "." || last == "..") && !out.ends_with('/') {
        out.push('/');
    }
    if out.len() > 1 && out.as_bytes()[1] == b'/' {
        out.remove(0);
    }
    out
}

impl std::fmt::Display for Uri {
    /// `url.URL.String()`: the key gojsonschema's pools use.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut out = String::new();
        if !self.scheme.is_empty() {
            out.push_str(&self.scheme);
            out.push(':');
        }
        if !self.opaque.is_empty() {
            out.push_str(&self.opaque);
        } else {
            if !self.scheme.is_empty() || self.host.is_some() {
                let host = self.host.as_deref().unwrap_or("");
                if !host.is_empty() || !self.path.is_empty() {
                    out.push_str("//");
                }
                out.push_str(host);
            }
            if !self.path.is_empty()
                && !self.path.starts_with('/')
                && self.host.as_deref().is_some_and(|h| !h.is_empty())
            {
                out.push('/');
            }
            if out.is_empty() && self.path.split('/').next().unwrap_or("").contains(':') {
                out.push_str("./");
            }
            out.push_str(&self.path);
        }
        if let Some(q) = &self.query {
            out.push('?');
            out.push_str(q);
        }
        if !self.fragment.is_empty() {
            out.push('#');
            out.push_str(&self.fragment);
        }
        f.write_str(&out)
    }
}

/// gojsonpointer's `Get` for the pointer in `fragment`: a fragment that is
/// not a pointer (no leading `/`) is the whole document, as gojsonreference
/// ignores its parse error.
pub(crate) fn pointer_get<'a>(doc: &'a Json, fragment: &str) -> Result<&'a Json, String> {
    let Some(tokens) = fragment.strip_prefix('/') else {
        return Ok(doc);
    };
    let mut node = doc;
    for token in tokens.split('/') {
        node = match node {
            Json::Object(map) => {
                let key = token.replace("~1", "/").replace("~0", "~");
                match map.get(&key) {
                    Some(v) => v,
                    None => return Err(format!("Object has no key '{key}'")),
                }
            }
            Json::Array(items) => {
                let index = gostd::strconv::atoi(token)
                    .map_err(|_| format!("Invalid array index '{token}'"))?;
                match usize::try_from(index).ok().and_then(|i| items.get(i)) {
                    Some(v) => v,
                    None => {
                        return Err(format!(
                            "Out of bound array[0,{}] index '{index}'",
                            items.len()
                        ));
                    }
                }
            }
            _ => return Err(format!("Invalid token reference '{token}'")),
        };
    }
    Ok(node)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(base: &str, reference: &str) -> String {
        Uri::parse(base)
            .unwrap()
            .resolve(&Uri::parse(reference).unwrap())
            .to_string()
    }

    #[test]
    fn resolves_like_go() {
        assert_eq!(resolve("", "#/definitions/a"), "#/definitions/a");
        assert_eq!(resolve("", "#"), "");
        assert_eq!(resolve("", "other.json"), "/other.json");
        assert_eq!(
            resolve("http://x.org/a/root.json", "#/definitions/a"),
            "http://x.org/a/root.json#/definitions/a"
        );
        assert_eq!(
            resolve("http://x.org/a/root.json", "b.json#/c"),
            "http://x.org/a/b.json#/c"
        );
        assert_eq!(resolve("http://x.org/a/", "../b"), "http://x.org/b");
        assert_eq!(resolve("urn:x", "#foo"), "urn:x#foo");
        assert!(Uri::parse("http://x.org/a").unwrap().is_canonical());
        assert!(!Uri::parse("/a.json").unwrap().is_canonical());
        assert_eq!(
            Uri::parse("#/a%zz").unwrap_err(),
            "parse \"#/a%zz\": invalid URL escape \"%zz\""
        );
    }

    #[test]
    fn pointers_read_like_gojsonpointer() {
        let doc = super::super::json::parse(br#"{"a":[{"b~/":1}]}"#).unwrap();
        assert_eq!(
            pointer_get(&doc, "/a/0/b~0~1").unwrap(),
            &Json::Number("1".into())
        );
        assert_eq!(pointer_get(&doc, "x").unwrap(), &doc);
        assert_eq!(
            pointer_get(&doc, "/b").unwrap_err(),
            "Object has no key 'b'"
        );
        assert_eq!(
            pointer_get(&doc, "/a/3").unwrap_err(),
            "Out of bound array[0,1] index '3'"
        );
        assert_eq!(
            pointer_get(&doc, "/a/x").unwrap_err(),
            "Invalid array index 'x'"
        );
        assert_eq!(
            pointer_get(&doc, "/a/0/b~0~1/c").unwrap_err(),
            "Invalid token reference 'c'"
        );
    }
}
