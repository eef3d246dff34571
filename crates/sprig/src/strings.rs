//! String functions: trimming, case, abbreviation, wrapping, quoting,
//! splitting and joining, with Go's byte-oriented slicing where Sprig slices bytes.

use gotmpl::{FuncError, FuncMap, Map, Value};

use crate::convert::{strslice, strval};
use crate::{FuncResult, args, define};

/// Go's `unicode.IsSpace`.
pub fn is_go_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{0B}' | '\u{0C}' | '\r' | ' ' | '\u{85}' | '\u{A0}'
    ) || (!c.is_ascii() && c.is_whitespace())
}

/// Go's per-rune `unicode.ToUpper` (no multi-rune expansions such as `ß` → `SS`).
pub fn upper_rune(c: char) -> char {
    let mut up = c.to_uppercase();
    match (up.next(), up.next()) {
        (Some(u), None) => u,
        _ => c,
    }
}

/// Go's per-rune `unicode.ToLower`.
pub fn lower_rune(c: char) -> char {
    let mut low = c.to_lowercase();
    match (low.next(), low.next()) {
        (Some(l), None) => l,
        _ => c,
    }
}

/// Go's `strings.ToUpper`.
pub fn go_upper(s: &str) -> String {
    s.chars().map(upper_rune).collect()
}

/// Go's `strings.ToLower`.
pub fn go_lower(s: &str) -> String {
    s.chars().map(lower_rune).collect()
}

/// Go's (deprecated) `strings.Title`: upper-case the first letter of every word.
pub fn go_title(s: &str) -> String {
    fn is_separator(c: char) -> bool {
        if c.is_ascii() {
            return !(c.is_ascii_alphanumeric() || c == '_');
        }
        if c.is_alphabetic() || c.is_numeric() {
            return false;
        }
        is_go_space(c)
    }
    let mut prev = ' ';
    s.chars()
        .map(|c| {
            let out = if is_separator(prev) { upper_rune(c) } else { c };
            prev = c;
            out
        })
        .collect()
}

/// goutils' `Uncapitalize`: lower-case the first letter of every
/// whitespace-separated word.
fn untitle(s: &str) -> String {
    let mut next = true;
    s.chars()
        .map(|c| {
            if is_go_space(c) {
                next = true;
                c
            } else if next {
                next = false;
                lower_rune(c)
            } else {
                c
            }
        })
        .collect()
}

/// goutils' `SwapCase`.
fn swapcase(s: &str) -> String {
    let mut whitespace = true;
    s.chars()
        .map(|c| {
            if c.is_uppercase() {
                whitespace = false;
                lower_rune(c)
            } else if c.is_lowercase() {
                if whitespace {
                    whitespace = false;
                }
                upper_rune(c)
            } else {
                whitespace = is_go_space(c);
                c
            }
        })
        .collect()
}

/// goutils' `Initials` (first character of each whitespace-separated word).
fn initials(s: &str) -> String {
    let mut gap = true;
    let mut out = String::new();
    for c in s.chars() {
        if is_go_space(c) {
            gap = true;
        } else if gap {
            out.push(c);
            gap = false;
        }
    }
    out
}

/// The longest prefix of `s` of at most `n` bytes that ends on a character
/// boundary (Go slices bytes and may split a character; Rust strings cannot).
fn byte_prefix(s: &str, n: usize) -> &str {
    let mut end = n.min(s.len());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// The suffix of `s` from byte `start`, moved forward to a character boundary.
fn byte_suffix(s: &str, start: usize) -> &str {
    let mut start = start.min(s.len());
    while !s.is_char_boundary(start) {
        start += 1;
    }
    &s[start..]
}

/// goutils' `AbbreviateFull` (the error is the message of the function's
/// `FuncError`: a type would add nothing).
fn abbreviate_full(s: &str, offset: i64, max_width: i64) -> Result<String, String> {
    if s.is_empty() {
        return Ok(String::new());
    }
    if max_width < 4 {
        return Err("stringutils illegal argument: Minimum abbreviation width is 4".into());
    }
    let len = s.len() as i64;
    if len <= max_width {
        return Ok(s.to_string());
    }
    let mut offset = offset.min(len);
    if len - offset < max_width - 3 {
        offset = len - (max_width - 3);
    }
    if offset <= 4 {
        return Ok(format!("{}...", byte_prefix(s, (max_width - 3) as usize)));
    }
    if max_width < 7 {
        return Err(
            "stringutils illegal argument: Minimum abbreviation width with offset is 7".into(),
        );
    }
    if offset + max_width - 3 < len {
        let rest = abbreviate_full(byte_suffix(s, offset as usize), 0, max_width - 3)?;
        return Ok(format!("...{rest}"));
    }
    Ok(format!(
        "...{}",
        byte_suffix(s, (len - (max_width - 3)) as usize)
    ))
}

/// goutils' `WrapCustom`: wrap at `width` columns on spaces.
pub fn wrap_custom(s: &str, width: i64, newline: &str, wrap_long_words: bool) -> String {
    if s.is_empty() {
        return String::new();
    }
    let newline = if newline.is_empty() { "\n" } else { newline };
    let width = width.max(1) as usize;
    let b = s.as_bytes();
    let len = b.len();
    let mut offset = 0;
    let mut out = String::new();
    let piece = |from: usize, to: usize| String::from_utf8_lossy(&b[from..to]).into_owned();
    while len - offset > width {
        if b[offset] == b' ' {
            offset += 1;
            continue;
        }
        let end = (width + offset + 1).min(len);
        let space = b[offset..end]
            .iter()
            .rposition(|&c| c == b' ')
            .map(|p| p + offset);
        if let Some(space) = space {
            out.push_str(&piece(offset, space));
            out.push_str(newline);
            offset = space + 1;
        } else if wrap_long_words {
            let end = width + offset;
            out.push_str(&piece(offset, end));
            out.push_str(newline);
            offset += width;
        } else {
            let end = width + offset;
            match b[end..].iter().position(|&c| c == b' ') {
                None => {
                    out.push_str(&piece(offset, len));
                    offset = len;
                }
                Some(i) => {
                    let space = i + end;
                    out.push_str(&piece(offset, space));
                    out.push_str(newline);
                    offset = space + 1;
                }
            }
        }
    }
    out.push_str(&piece(offset, len));
    out
}

/// xstrings' connector characters (word separators in case conversions).
fn is_connector(c: char) -> bool {
    c == '-' || c == '_' || is_go_space(c)
}

/// xstrings' `ToPascalCase` (Sprig's `camelcase`): connectors removed, the
/// letter after each one upper-cased; leading, trailing and repeated
/// connectors keep one connector.
fn pascal_case(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    // Leading connectors stay.
    while i < chars.len() && is_connector(chars[i]) {
        out.push(chars[i]);
        i += 1;
    }
    if i == chars.len() {
        return out;
    }
    let mut r0 = upper_rune(chars[i]);
    i += 1;
    while i < chars.len() {
        let r1 = r0;
        r0 = chars[i];
        i += 1;
        if is_connector(r0) && is_connector(r1) {
            out.push(r1);
            continue;
        }
        if is_connector(r1) {
            r0 = upper_rune(r0);
        } else {
            out.push(r1);
        }
    }
    out.push(r0);
    out
}

/// The kinds of word xstrings splits text into for snake and kebab case.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum WordType {
    Invalid,
    Number,
    UpperCase,
    Alphabet,
    Connector,
    Punct,
    Other,
}

/// xstrings' `isAlphabet`: letters other than CJK ideographs.
fn is_alphabet(c: char) -> bool {
    c.is_alphabetic() && !matches!(c as u32, 0x3400..=0x9FFF | 0x20000..=0x2FA1F | 0xF900..=0xFAFF)
}

fn is_punct(c: char) -> bool {
    c.is_ascii_punctuation() && !matches!(c, '$' | '+' | '<' | '=' | '>' | '^' | '`' | '|' | '~')
}

/// xstrings' `nextWord`: the type and length (in chars) of the next word.
fn next_word(s: &[char]) -> (WordType, usize) {
    if s.is_empty() {
        return (WordType::Invalid, 0);
    }
    let r = s[0];
    let mut n = 1;
    let wt = if is_connector(r) {
        while n < s.len() && is_connector(s[n]) {
            n += 1;
        }
        WordType::Connector
    } else if is_punct(r) {
        while n < s.len() && is_punct(s[n]) {
            n += 1;
        }
        WordType::Punct
    } else if r.is_uppercase() {
        if n < s.len() {
            if s[n].is_uppercase() {
                n += 1;
                while n < s.len() && s[n].is_uppercase() {
                    n += 1;
                }
                // "HTTPServer": the last capital starts the next word.
                if n < s.len() && is_alphabet(s[n]) {
                    n -= 1;
                }
            } else if is_alphabet(s[n]) {
                n += 1;
                while n < s.len() && is_alphabet(s[n]) && !s[n].is_uppercase() {
                    n += 1;
                }
            }
        }
        WordType::UpperCase
    } else if is_alphabet(r) {
        while n < s.len() && is_alphabet(s[n]) && !s[n].is_uppercase() {
            n += 1;
        }
        WordType::Alphabet
    } else if r.is_numeric() {
        while n < s.len() && s[n].is_numeric() {
            n += 1;
        }
        WordType::Number
    } else {
        while n < s.len()
            && !(is_connector(s[n]) || is_alphabet(s[n]) || s[n].is_numeric() || is_punct(s[n]))
        {
            n += 1;
        }
        WordType::Other
    };
    (wt, n)
}

fn push_lower(out: &mut String, wt: WordType, word: &[char], connector: char) {
    if wt != WordType::UpperCase && wt != WordType::Connector {
        out.extend(word);
        return;
    }
    for &c in word {
        if is_connector(c) {
            out.push(connector);
        } else if c.is_uppercase() {
            out.push(lower_rune(c));
        } else {
            out.push(c);
        }
    }
}

/// xstrings' `camelCaseToLowerCase` (snake case and kebab case).
fn lower_case_words(s: &str, connector: char) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.is_empty() {
        return String::new();
    }
    let mut out = String::new();
    let mut rest: &[char] = &chars;
    fn take<'a>(rest: &mut &'a [char]) -> (WordType, &'a [char]) {
        let (wt, n) = next_word(rest);
        let word = &rest[..n];
        *rest = &rest[n..];
        (wt, word)
    }
    let (mut wt, mut word) = take(&mut rest);
    while !rest.is_empty() {
        if wt != WordType::Connector {
            push_lower(&mut out, wt, word, connector);
        }
        let prev = wt;
        let last = word;
        (wt, word) = take(&mut rest);
        match prev {
            WordType::Number => {
                while wt == WordType::Alphabet || wt == WordType::Number {
                    push_lower(&mut out, wt, word, connector);
                    (wt, word) = take(&mut rest);
                }
                if !matches!(
                    wt,
                    WordType::Invalid | WordType::Punct | WordType::Connector
                ) {
                    out.push(connector);
                }
            }
            WordType::Connector => push_lower(&mut out, prev, last, connector),
            WordType::Punct => {}
            _ => {
                if wt != WordType::Number {
                    if wt != WordType::Connector && wt != WordType::Punct {
                        out.push(connector);
                    }
                    continue;
                }
                if rest.is_empty() {
                    continue;
                }
                let number = word;
                (wt, word) = take(&mut rest);
                if wt != WordType::Alphabet {
                    push_lower(&mut out, WordType::Number, number, connector);
                    if wt != WordType::Connector && wt != WordType::Punct {
                        out.push(connector);
                    }
                    continue;
                }
                out.push(connector);
                push_lower(&mut out, WordType::Number, number, connector);
                while wt == WordType::Alphabet || wt == WordType::Number {
                    push_lower(&mut out, wt, word, connector);
                    (wt, word) = take(&mut rest);
                }
                if !matches!(
                    wt,
                    WordType::Invalid | WordType::Connector | WordType::Punct
                ) {
                    out.push(connector);
                }
            }
        }
    }
    push_lower(&mut out, wt, word, connector);
    out
}

fn one_string(name: &'static str, a: &[Value], f: fn(&str) -> String) -> FuncResult {
    args::exact(name, a, 1)?;
    Ok(Value::str(f(args::string(&a[0])?)))
}

/// `split`/`splitn` results: a map with keys `_0`, `_1`, ...
fn indexed_map<'a>(parts: impl Iterator<Item = &'a str>) -> Value {
    let map: Map = parts
        .enumerate()
        .map(|(i, p)| (format!("_{i}"), Value::str(p)))
        .collect();
    Value::map(map)
}

/// Go's `strings.SplitN`-style split where an empty separator splits into
/// characters (as Go does, and Rust's `split("")` does not).
fn go_split<'a>(s: &'a str, sep: &str, n: i64) -> Vec<&'a str> {
    if n == 0 {
        return Vec::new();
    }
    if sep.is_empty() {
        let mut parts: Vec<&str> = Vec::new();
        let mut idx: Vec<usize> = s.char_indices().map(|(i, _)| i).collect();
        idx.push(s.len());
        for w in idx.windows(2) {
            if n > 0 && parts.len() as i64 == n - 1 {
                parts.push(&s[w[0]..]);
                return parts;
            }
            parts.push(&s[w[0]..w[1]]);
        }
        return parts;
    }
    if n < 0 {
        s.split(sep).collect()
    } else {
        s.splitn(n as usize, sep).collect()
    }
}

fn substr(name: &'static str, a: &[Value]) -> FuncResult {
    args::exact(name, a, 3)?;
    let (start, end, s) = (args::int(&a[0])?, args::int(&a[1])?, args::string(&a[2])?);
    let len = s.len() as i64;
    let oob = |lo: i64, hi: i64| {
        FuncError::new(format!(
            "runtime error: slice bounds out of range [{lo}:{hi}] with length {len}"
        ))
    };
    let (lo, hi) = if start < 0 {
        (0, end)
    } else if end < 0 || end > len {
        (start, len)
    } else {
        (start, end)
    };
    if hi < 0 || hi > len {
        return Err(FuncError::new(format!(
            "runtime error: slice bounds out of range [:{hi}] with length {len}"
        )));
    }
    if lo > hi {
        return Err(oob(lo, hi));
    }
    Ok(Value::str(String::from_utf8_lossy(
        &s.as_bytes()[lo as usize..hi as usize],
    )))
}

fn trunc(name: &'static str, a: &[Value]) -> FuncResult {
    args::exact(name, a, 2)?;
    let (c, s) = (args::int(&a[0])?, args::string(&a[1])?);
    let len = s.len() as i64;
    let out = if c < 0 && len + c > 0 {
        String::from_utf8_lossy(&s.as_bytes()[(len + c) as usize..]).into_owned()
    } else if c >= 0 && len > c {
        String::from_utf8_lossy(&s.as_bytes()[..c as usize]).into_owned()
    } else {
        s.to_string()
    };
    Ok(Value::str(out))
}

fn indent_text(spaces: i64, s: &str) -> String {
    let pad = " ".repeat(spaces.max(0) as usize);
    format!("{pad}{}", s.replace('\n', &format!("\n{pad}")))
}

/// Register the string functions.
pub fn register(m: &mut FuncMap) {
    define(m, &["trim"], |n, a| {
        one_string(n, a, |s| s.trim_matches(is_go_space).to_string())
    });
    define(m, &["upper"], |n, a| one_string(n, a, go_upper));
    define(m, &["lower"], |n, a| one_string(n, a, go_lower));
    define(m, &["title"], |n, a| one_string(n, a, go_title));
    define(m, &["untitle"], |n, a| one_string(n, a, untitle));
    define(m, &["swapcase"], |n, a| one_string(n, a, swapcase));
    define(m, &["initials"], |n, a| one_string(n, a, initials));
    define(m, &["nospace"], |n, a| {
        one_string(n, a, |s| s.chars().filter(|&c| !is_go_space(c)).collect())
    });
    define(m, &["snakecase"], |n, a| {
        one_string(n, a, |s| lower_case_words(s, '_'))
    });
    define(m, &["kebabcase"], |n, a| {
        one_string(n, a, |s| lower_case_words(s, '-'))
    });
    define(m, &["camelcase"], |n, a| one_string(n, a, pascal_case));
    define(m, &["substr"], substr);
    define(m, &["trunc"], trunc);
    define(m, &["repeat"], |n, a| {
        args::exact(n, a, 2)?;
        let (count, s) = (args::int(&a[0])?, args::string(&a[1])?);
        if count < 0 {
            return Err(FuncError::new("strings: negative Repeat count"));
        }
        if (count as u128) * (s.len() as u128) > (1 << 31) {
            return Err(FuncError::new("strings: Repeat output length overflow"));
        }
        Ok(Value::str(s.repeat(count as usize)))
    });
    define(m, &["trimall", "trimAll"], |n, a| {
        args::exact(n, a, 2)?;
        let (cutset, s) = (args::string(&a[0])?, args::string(&a[1])?);
        Ok(Value::str(s.trim_matches(|c| cutset.contains(c))))
    });
    define(m, &["trimSuffix"], |n, a| {
        args::exact(n, a, 2)?;
        let (suffix, s) = (args::string(&a[0])?, args::string(&a[1])?);
        Ok(Value::str(s.strip_suffix(suffix).unwrap_or(s)))
    });
    define(m, &["trimPrefix"], |n, a| {
        args::exact(n, a, 2)?;
        let (prefix, s) = (args::string(&a[0])?, args::string(&a[1])?);
        Ok(Value::str(s.strip_prefix(prefix).unwrap_or(s)))
    });
    define(m, &["abbrev"], |n, a| {
        args::exact(n, a, 2)?;
        let (width, s) = (args::int(&a[0])?, args::string(&a[1])?);
        if width < 4 {
            return Ok(Value::str(s));
        }
        Ok(Value::str(abbreviate_full(s, 0, width).unwrap_or_default()))
    });
    define(m, &["abbrevboth"], |n, a| {
        args::exact(n, a, 3)?;
        let (left, right, s) = (args::int(&a[0])?, args::int(&a[1])?, args::string(&a[2])?);
        if right < 4 || left > 0 && right < 7 {
            return Ok(Value::str(s));
        }
        Ok(Value::str(
            abbreviate_full(s, left, right).unwrap_or_default(),
        ))
    });
    define(m, &["wrap"], |n, a| {
        args::exact(n, a, 2)?;
        Ok(Value::str(wrap_custom(
            args::string(&a[1])?,
            args::int(&a[0])?,
            "",
            false,
        )))
    });
    define(m, &["wrapWith"], |n, a| {
        args::exact(n, a, 3)?;
        let (width, sep, s) = (
            args::int(&a[0])?,
            args::string(&a[1])?,
            args::string(&a[2])?,
        );
        Ok(Value::str(wrap_custom(s, width, sep, true)))
    });
    define(m, &["contains"], |n, a| {
        args::exact(n, a, 2)?;
        Ok(Value::Bool(
            args::string(&a[1])?.contains(args::string(&a[0])?),
        ))
    });
    define(m, &["hasPrefix"], |n, a| {
        args::exact(n, a, 2)?;
        Ok(Value::Bool(
            args::string(&a[1])?.starts_with(args::string(&a[0])?),
        ))
    });
    define(m, &["hasSuffix"], |n, a| {
        args::exact(n, a, 2)?;
        Ok(Value::Bool(
            args::string(&a[1])?.ends_with(args::string(&a[0])?),
        ))
    });
    define(m, &["quote"], |_, a| {
        let quoted: Vec<String> = a
            .iter()
            .filter(|v| !matches!(v, Value::Nil))
            .map(|v| gostd::strconv::quote(&strval(v)))
            .collect();
        Ok(Value::str(quoted.join(" ")))
    });
    define(m, &["squote"], |_, a| {
        let quoted: Vec<String> = a
            .iter()
            .filter(|v| !matches!(v, Value::Nil))
            .map(|v| format!("'{}'", gotmpl::fmt::format_value(v)))
            .collect();
        Ok(Value::str(quoted.join(" ")))
    });
    define(m, &["cat"], |_, a| {
        let parts: Vec<String> = a
            .iter()
            .filter(|v| !matches!(v, Value::Nil))
            .map(gotmpl::fmt::format_value)
            .collect();
        Ok(Value::str(parts.join(" ")))
    });
    define(m, &["indent"], |n, a| {
        args::exact(n, a, 2)?;
        Ok(Value::str(indent_text(
            args::int(&a[0])?,
            args::string(&a[1])?,
        )))
    });
    define(m, &["nindent"], |n, a| {
        args::exact(n, a, 2)?;
        Ok(Value::str(format!(
            "\n{}",
            indent_text(args::int(&a[0])?, args::string(&a[1])?)
        )))
    });
    define(m, &["replace"], |n, a| {
        args::exact(n, a, 3)?;
        let (old, new, src) = (
            args::string(&a[0])?,
            args::string(&a[1])?,
            args::string(&a[2])?,
        );
        if old.is_empty() {
            // Go inserts `new` around every character when `old` is empty.
            let mut out = String::from(new);
            for c in src.chars() {
                out.push(c);
                out.push_str(new);
            }
            return Ok(Value::str(out));
        }
        Ok(Value::str(src.replace(old, new)))
    });
    define(m, &["plural"], |n, a| {
        args::exact(n, a, 3)?;
        let (one, many, count) = (
            args::string(&a[0])?,
            args::string(&a[1])?,
            args::int(&a[2])?,
        );
        Ok(Value::str(if count == 1 { one } else { many }))
    });
    define(m, &["join"], |n, a| {
        args::exact(n, a, 2)?;
        Ok(Value::str(strslice(&a[1]).join(args::string(&a[0])?)))
    });
    define(m, &["splitList"], |n, a| {
        args::exact(n, a, 2)?;
        let (sep, s) = (args::string(&a[0])?, args::string(&a[1])?);
        Ok(Value::list(
            go_split(s, sep, -1).into_iter().map(Value::str).collect(),
        ))
    });
    define(m, &["split"], |n, a| {
        args::exact(n, a, 2)?;
        let (sep, s) = (args::string(&a[0])?, args::string(&a[1])?);
        Ok(indexed_map(go_split(s, sep, -1).into_iter()))
    });
    define(m, &["splitn"], |n, a| {
        args::exact(n, a, 3)?;
        let (sep, count, s) = (
            args::string(&a[0])?,
            args::int(&a[1])?,
            args::string(&a[2])?,
        );
        Ok(indexed_map(go_split(s, sep, count).into_iter()))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_conversions_follow_xstrings() {
        assert_eq!(lower_case_words("HTTPServer", '_'), "http_server");
        assert_eq!(lower_case_words("NoHTTPS", '_'), "no_https");
        assert_eq!(lower_case_words("GO PATH", '-'), "go-path");
        assert_eq!(pascal_case("_complex__case_"), "_Complex_Case_");
        assert_eq!(go_title("hello wOrld-x"), "Hello WOrld-X");
    }

    #[test]
    fn wrap_and_abbreviate() {
        assert_eq!(wrap_custom("Hello World", 5, "", false), "Hello\nWorld");
        assert_eq!(abbreviate_full("hello world", 0, 5).unwrap(), "he...");
        assert_eq!(
            abbreviate_full("1234 5678 9123", 5, 10).unwrap(),
            "...5678..."
        );
    }
}
