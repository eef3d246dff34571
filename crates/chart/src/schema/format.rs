//! gojsonschema's `format` checkers (v1.2.0), each deciding as the Go
//! function it calls: `time.Parse` layouts for dates and times,
//! `net.ParseIP`, `url.Parse`, `regexp.Compile`, and fixed patterns for
//! hostnames, UUIDs and JSON pointers. Unknown formats pass.
//!
//! `email` (`net/mail.ParseAddress`) is approximated: an addr-spec (dot-atom
//! or quoted local part, dot-atom or bracketed domain) optionally inside a
//! display name's angle brackets; comments are not supported.

use std::net::IpAddr;

use super::pattern::GoRegex;
use super::uri::Uri;

/// Whether gojsonschema knows `name` (a known format fails any non-string).
pub(crate) fn is_known(name: &str) -> bool {
    matches!(
        name,
        "date"
            | "time"
            | "date-time"
            | "hostname"
            | "email"
            | "idn-email"
            | "ipv4"
            | "ipv6"
            | "uri"
            | "uri-reference"
            | "iri"
            | "iri-reference"
            | "uri-template"
            | "uuid"
            | "regex"
            | "json-pointer"
            | "relative-json-pointer"
    )
}

/// Whether string `s` is in format `name` (unknown formats always pass).
pub(crate) fn is_format(name: &str, s: &str) -> bool {
    match name {
        "date" => date(s),
        "time" => time(s, true) || time(s, false),
        "date-time" => time(s, false) || time(s, true) || date(s) || date_time(s),
        "hostname" => hostname(s),
        "email" | "idn-email" => email(s),
        "ipv4" => s.parse::<IpAddr>().is_ok() && s.contains('.'),
        "ipv6" => s.parse::<IpAddr>().is_ok() && s.contains(':'),
        "uri" | "iri" => !s.contains('\\') && Uri::parse(s).is_ok_and(|u| u.has_scheme()),
        "uri-reference" | "iri-reference" => !s.contains('\\') && Uri::parse(s).is_ok(),
        "uri-template" => {
            !s.contains('\\') && Uri::parse(s).is_ok_and(|u| balanced_braces(&u.decoded_path()))
        }
        "uuid" => uuid(s),
        "regex" => s.is_empty() || GoRegex::new(s).is_ok(),
        "json-pointer" => json_pointer(s),
        "relative-json-pointer" => relative_json_pointer(s),
        _ => true,
    }
}

/// A cursor over a value being matched against a Go time layout.
struct Cursor<'a> {
    s: &'a [u8],
}

impl Cursor<'_> {
    fn literal(&mut self, c: u8) -> Option<()> {
        let (&first, rest) = self.s.split_first()?;
        (first == c).then(|| self.s = rest)
    }

    /// Go's `getnum`: one or (if `fixed`, exactly) two digits.
    fn num(&mut self, fixed: bool) -> Option<u32> {
        let d0 = *self.s.first().filter(|b| b.is_ascii_digit())?;
        match self.s.get(1).filter(|b| b.is_ascii_digit()) {
            Some(&d1) => {
                self.s = &self.s[2..];
                Some(u32::from(d0 - b'0') * 10 + u32::from(d1 - b'0'))
            }
            None if fixed => None,
            None => {
                self.s = &self.s[1..];
                Some(u32::from(d0 - b'0'))
            }
        }
    }

    /// `2006-01-02`; returns nothing on a day out of its month's range.
    fn date(&mut self) -> Option<()> {
        if self.s.len() < 4 || !self.s[..4].iter().all(u8::is_ascii_digit) {
            return None;
        }
        let year: u32 = std::str::from_utf8(&self.s[..4]).ok()?.parse().ok()?;
        self.s = &self.s[4..];
        self.literal(b'-')?;
        let month = self.num(true).filter(|m| (1..=12).contains(m))?;
        self.literal(b'-')?;
        let day = self.num(true)?;
        let leap =
            year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400));
        let days = match month {
            2 if leap => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        };
        (1..=days).contains(&day).then_some(())
    }

    /// `15:04:05`, with the fractional seconds Go accepts after seconds.
    fn clock(&mut self) -> Option<()> {
        self.num(false).filter(|h| *h < 24)?;
        self.literal(b':')?;
        self.num(true).filter(|m| *m < 60)?;
        self.literal(b':')?;
        self.num(true).filter(|s| *s < 60)?;
        if self.s.len() >= 2 && matches!(self.s[0], b'.' | b',') && self.s[1].is_ascii_digit() {
            let n = self.s[1..]
                .iter()
                .take_while(|b| b.is_ascii_digit())
                .count();
            self.s = &self.s[1 + n..];
        }
        Some(())
    }

    /// `Z07:00`: `Z` or `±hh:mm` (Go allows up to 24 hours, 60 minutes).
    fn zone(&mut self) -> Option<()> {
        if self.literal(b'Z').is_some() {
            return Some(());
        }
        if self.s.len() < 6 || self.s[3] != b':' || !matches!(self.s[0], b'+' | b'-') {
            return None;
        }
        let two = |b: &[u8]| -> Option<u32> {
            (b[0].is_ascii_digit() && b[1].is_ascii_digit())
                .then(|| u32::from(b[0] - b'0') * 10 + u32::from(b[1] - b'0'))
        };
        let (h, m) = (two(&self.s[1..3])?, two(&self.s[4..6])?);
        self.s = &self.s[6..];
        (h <= 24 && m <= 60).then_some(())
    }

    fn end(&self) -> Option<()> {
        self.s.is_empty().then_some(())
    }
}

fn date(s: &str) -> bool {
    let mut c = Cursor { s: s.as_bytes() };
    c.date().and_then(|()| c.end()).is_some()
}

/// `15:04:05Z07:00` (with a zone) or `15:04:05`.
fn time(s: &str, zone: bool) -> bool {
    let mut c = Cursor { s: s.as_bytes() };
    let ok = c
        .clock()
        .and_then(|()| if zone { c.zone() } else { Some(()) });
    ok.and_then(|()| c.end()).is_some()
}

/// RFC 3339 (`2006-01-02T15:04:05Z07:00`, fractional seconds allowed).
fn date_time(s: &str) -> bool {
    let mut c = Cursor { s: s.as_bytes() };
    c.date()
        .and_then(|()| c.literal(b'T'))
        .and_then(|()| c.clock())
        .and_then(|()| c.zone())
        .and_then(|()| c.end())
        .is_some()
}

/// Dot-separated labels of 1 to 63 letters, digits and inner hyphens,
/// under 256 bytes in all.
fn hostname(s: &str) -> bool {
    s.len() < 256
        && s.split('.').all(|label| {
            let b = label.as_bytes();
            (1..=63).contains(&b.len())
                && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
                && b[0] != b'-'
                && b[b.len() - 1] != b'-'
        })
}

fn uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_digit() || (b'a'..=b'f').contains(c),
        })
}

/// `(/([^~/]|~0|~1)*)*`: empty or `/`-led, every `~` escaping 0 or 1.
fn json_pointer(s: &str) -> bool {
    (s.is_empty() || s.starts_with('/')) && tildes_escaped(s)
}

fn tildes_escaped(s: &str) -> bool {
    let b = s.as_bytes();
    b.iter()
        .enumerate()
        .all(|(i, c)| *c != b'~' || matches!(b.get(i + 1), Some(b'0' | b'1')))
}

/// A non-negative integer (no leading zeros), then `#` or a JSON pointer.
fn relative_json_pointer(s: &str) -> bool {
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 || (digits > 1 && s.starts_with('0')) {
        return false;
    }
    let rest = &s[digits..];
    rest == "#" || json_pointer(rest)
}

/// Balanced, unnested `{...}` groups (`^([^{]*({[^}]*})?)*$`).
fn balanced_braces(path: &str) -> bool {
    let mut open = false;
    for c in path.chars() {
        match c {
            '{' if open => return false,
            '{' => open = true,
            '}' if open => open = false,
            _ => {}
        }
    }
    !open
}

fn is_atext(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c) || !c.is_ascii()
}

fn dot_atom(s: &str) -> bool {
    !s.is_empty()
        && s.split('.')
            .all(|a| !a.is_empty() && a.chars().all(is_atext))
}

fn quoted_string(s: &str) -> bool {
    let Some(body) = s.strip_prefix('"').and_then(|b| b.strip_suffix('"')) else {
        return false;
    };
    let mut chars = body.chars();
    let mut any = false;
    while let Some(c) = chars.next() {
        any = true;
        match c {
            '\\' => {
                if chars.next().is_none() {
                    return false;
                }
            }
            '"' => return false,
            c if c == ' ' || c == '\t' || (c as u32) > 0x20 && c as u32 != 0x7f => {}
            _ => return false,
        }
    }
    any
}

fn addr_spec(s: &str) -> bool {
    let Some(at) = s.rfind('@') else {
        return false;
    };
    let (local, domain) = (s[..at].trim(), s[at + 1..].trim());
    let local_ok = if local.starts_with('"') {
        quoted_string(local)
    } else {
        dot_atom(local)
    };
    let domain_ok = if let Some(lit) = domain.strip_prefix('[').and_then(|d| d.strip_suffix(']')) {
        lit.chars()
            .all(|c| (c as u32) > 0x20 && !matches!(c, '[' | ']' | '\\'))
    } else {
        dot_atom(domain)
    };
    local_ok && domain_ok
}

fn email(s: &str) -> bool {
    let s = s.trim_matches([' ', '\t']);
    if addr_spec(s) {
        return true;
    }
    let Some(inner) = s.strip_suffix('>') else {
        return false;
    };
    let Some(open) = inner.rfind('<') else {
        return false;
    };
    let phrase = inner[..open].trim();
    let phrase_ok = phrase.is_empty() && open == 0
        || (!phrase.is_empty()
            && phrase
                .split_whitespace()
                .all(|w| quoted_string(w) || w.chars().all(|c| is_atext(c) || c == '.')));
    phrase_ok && addr_spec(&inner[open + 1..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_times_parse_like_go() {
        assert!(is_format("date", "2024-02-29"));
        assert!(!is_format("date", "2023-02-29"));
        assert!(!is_format("date", "2024-2-01"));
        assert!(!is_format("date", "2024-13-01"));
        assert!(is_format("time", "1:02:03"));
        assert!(is_format("time", "10:02:03.5+02:00"));
        assert!(!is_format("time", "24:00:00"));
        assert!(!is_format("time", "10:02:60"));
        assert!(is_format("date-time", "2024-01-02T10:00:00Z"));
        assert!(is_format("date-time", "2024-01-02T10:00:00.123-24:00"));
        assert!(is_format("date-time", "2024-01-02"));
        assert!(is_format("date-time", "10:00:00"));
        assert!(!is_format("date-time", "2024-01-02t10:00:00Z"));
        assert!(!is_format("date-time", "2024-01-02T10:00:00"));
    }

    #[test]
    fn other_formats() {
        assert!(is_format("hostname", "a-b.example.com"));
        assert!(!is_format("hostname", "-a.com"));
        assert!(!is_format("hostname", "a..b"));
        assert!(is_format("ipv4", "10.0.0.1") && !is_format("ipv4", "::1"));
        assert!(is_format("ipv6", "::1") && !is_format("ipv6", "10.0.0.1"));
        assert!(is_format("uri", "https://x.org/a?b#c") && !is_format("uri", "/a"));
        assert!(is_format("uri-reference", "/a") && !is_format("uri-reference", "a\\b"));
        assert!(is_format("uri-template", "http://x/{a}/b") && !is_format("uri-template", "/{a"));
        assert!(is_format("uuid", "123e4567-e89b-12d3-a456-426614174000"));
        assert!(!is_format("uuid", "123E4567-E89B-12D3-A456-426614174000"));
        assert!(is_format("regex", "^a+$") && !is_format("regex", "("));
        assert!(is_format("json-pointer", "/a~0/b~1") && !is_format("json-pointer", "a"));
        assert!(
            is_format("relative-json-pointer", "0#") && !is_format("relative-json-pointer", "01")
        );
        assert!(is_format("email", "a.b@example.com") && !is_format("email", "a@"));
        assert!(is_format("email", "Jane Doe <jane@x.org>"));
        assert!(!is_format("email", "a..b@x"));
        assert!(is_format("whatever", "anything"));
    }
}
