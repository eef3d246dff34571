//! The schema document as gojsonschema reads it: Go's `encoding/json`
//! decoder with `UseNumber` (numbers keep their text), Go's syntax error
//! messages (Helm prints them verbatim), and Go's `json.Marshal` text for
//! the values `enum`, `const` and `uniqueItems` compare and print.

use std::collections::BTreeMap;

use gotmpl::Value;

use gostd::json::format_float64 as go_json_float;

/// A decoded JSON document. Objects are sorted maps: Go's are unordered
/// (a later duplicate key wins, as here).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Json {
    Null,
    Bool(bool),
    /// The number's literal text (`json.Number`).
    Number(Box<str>),
    String(String),
    Array(Vec<Json>),
    Object(BTreeMap<String, Json>),
}

/// Nesting depth at which decoding stops (Go allows 10000; a shallower
/// bound keeps the recursive parser and compiler well inside any thread's
/// stack, and no real schema comes close).
const MAX_DEPTH: usize = 1000;

/// Decode the first JSON value of `input` as `json.Decoder.Decode` does:
/// leading whitespace skipped, anything after a complete object or array
/// ignored, errors worded as Go words them.
pub(crate) fn parse(input: &[u8]) -> Result<Json, String> {
    let mut p = Parser { s: input, i: 0 };
    p.skip_ws();
    if p.i >= p.s.len() {
        return Err("EOF".into());
    }
    let v = p.value(0)?;
    // A top-level scalar ends only at a delimiter: Go looks at the next
    // byte to see that a number or literal is complete.
    if matches!(v, Json::Number(_)) {
        p.skip_ws();
        if let Some(&c) = p.s.get(p.i) {
            return Err(invalid(c, "after top-level value"));
        }
    }
    Ok(v)
}

/// Go's `quoteChar`: how a syntax error shows the offending byte.
fn quote_char(c: u8) -> String {
    match c {
        b'\'' => r"'\''".into(),
        b'"' => "'\"'".into(),
        _ => {
            // strconv.Quote of the byte as a rune, without the quotes.
            let ch = char::from(c);
            let q = match ch {
                '\x07' => r"\a".into(),
                '\x08' => r"\b".into(),
                '\x0c' => r"\f".into(),
                '\n' => r"\n".into(),
                '\r' => r"\r".into(),
                '\t' => r"\t".into(),
                '\x0b' => r"\v".into(),
                '\\' => r"\\".into(),
                c if (c as u32) < 0x20 || c as u32 == 0x7f => format!(r"\x{:02x}", c as u32),
                c if (0x80..0xa0).contains(&(c as u32)) => format!(r"\u{:04x}", c as u32),
                c if c as u32 == 0xad => r"\u00ad".into(),
                c => c.to_string(),
            };
            format!("'{q}'")
        }
    }
}

fn invalid(c: u8, context: &str) -> String {
    format!("invalid character {} {context}", quote_char(c))
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.s.get(self.i) {
            self.i += 1;
        }
    }

    fn peek(&self) -> Result<u8, String> {
        self.s
            .get(self.i)
            .copied()
            .ok_or_else(|| "unexpected EOF".to_string())
    }

    fn value(&mut self, depth: usize) -> Result<Json, String> {
        let c = self.peek()?;
        match c {
            b'{' => {
                if depth >= MAX_DEPTH {
                    return Err("exceeded max depth".into());
                }
                self.i += 1;
                self.object(depth + 1)
            }
            b'[' => {
                if depth >= MAX_DEPTH {
                    return Err("exceeded max depth".into());
                }
                self.i += 1;
                self.array(depth + 1)
            }
            b'"' => {
                self.i += 1;
                Ok(Json::String(self.string()?))
            }
            b'-' | b'0'..=b'9' => self.number(),
            b't' => self.literal(b"true", Json::Bool(true)),
            b'f' => self.literal(b"false", Json::Bool(false)),
            b'n' => self.literal(b"null", Json::Null),
            _ => Err(invalid(c, "looking for beginning of value")),
        }
    }

    fn literal(&mut self, word: &[u8], v: Json) -> Result<Json, String> {
        let name = std::str::from_utf8(word).unwrap_or_default();
        self.i += 1;
        for &want in &word[1..] {
            let c = self.peek()?;
            if c != want {
                return Err(invalid(
                    c,
                    &format!("in literal {name} (expecting '{}')", want as char),
                ));
            }
            self.i += 1;
        }
        Ok(v)
    }

    fn number(&mut self) -> Result<Json, String> {
        let start = self.i;
        let at = |p: &Self| p.s.get(p.i).copied();
        if at(self) == Some(b'-') {
            self.i += 1;
            match at(self) {
                Some(b'0'..=b'9') => {}
                Some(c) => return Err(invalid(c, "in numeric literal")),
                None => return Err("unexpected EOF".into()),
            }
        }
        if at(self) == Some(b'0') {
            self.i += 1;
        } else {
            while let Some(b'0'..=b'9') = at(self) {
                self.i += 1;
            }
        }
        if at(self) == Some(b'.') {
            self.i += 1;
            match at(self) {
                Some(b'0'..=b'9') => {}
                Some(c) => return Err(invalid(c, "after decimal point in numeric literal")),
                None => return Err("unexpected EOF".into()),
            }
            while let Some(b'0'..=b'9') = at(self) {
                self.i += 1;
            }
        }
        if let Some(b'e' | b'E') = at(self) {
            self.i += 1;
            if let Some(b'+' | b'-') = at(self) {
                self.i += 1;
            }
            match at(self) {
                Some(b'0'..=b'9') => {}
                Some(c) => return Err(invalid(c, "in exponent of numeric literal")),
                None => return Err("unexpected EOF".into()),
            }
            while let Some(b'0'..=b'9') = at(self) {
                self.i += 1;
            }
        }
        let text = String::from_utf8_lossy(&self.s[start..self.i]);
        Ok(Json::Number(text.into()))
    }

    fn hex4(&mut self) -> Result<u32, String> {
        let mut v = 0u32;
        for _ in 0..4 {
            let c = self.peek()?;
            let d = (c as char)
                .to_digit(16)
                .ok_or_else(|| invalid(c, "in \\u hexadecimal character escape"))?;
            v = v * 16 + d;
            self.i += 1;
        }
        Ok(v)
    }

    /// A string body after its opening quote. Invalid UTF-8 and lone
    /// surrogates decode to U+FFFD, as Go's decoder does.
    fn string(&mut self) -> Result<String, String> {
        let mut out: Vec<u8> = Vec::new();
        loop {
            // Copy the run of plain bytes up to the next quote, escape or
            // control byte at once.
            let run = self.s[self.i..]
                .iter()
                .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
                .unwrap_or(self.s.len() - self.i);
            out.extend_from_slice(&self.s[self.i..self.i + run]);
            self.i += run;
            let c = self.peek()?;
            self.i += 1;
            match c {
                b'"' => break,
                b'\\' => {
                    let e = self.peek()?;
                    self.i += 1;
                    let simple = match e {
                        b'"' => Some(b'"'),
                        b'\\' => Some(b'\\'),
                        b'/' => Some(b'/'),
                        b'b' => Some(8),
                        b'f' => Some(12),
                        b'n' => Some(b'\n'),
                        b'r' => Some(b'\r'),
                        b't' => Some(b'\t'),
                        b'u' => None,
                        _ => return Err(invalid(e, "in string escape code")),
                    };
                    if let Some(b) = simple {
                        out.push(b);
                        continue;
                    }
                    let mut cp = self.hex4()?;
                    if (0xd800..0xdc00).contains(&cp)
                        && self.s.get(self.i) == Some(&b'\\')
                        && self.s.get(self.i + 1) == Some(&b'u')
                    {
                        // A high surrogate pairs with a following low one;
                        // an unpaired one is U+FFFD and the next escape
                        // is read on its own.
                        let save = self.i;
                        self.i += 2;
                        let low = self.hex4()?;
                        if (0xdc00..0xe000).contains(&low) {
                            cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
                        } else {
                            self.i = save;
                            cp = 0xfffd;
                        }
                    }
                    let ch = char::from_u32(cp).unwrap_or('\u{fffd}');
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                }
                c if c < 0x20 => return Err(invalid(c, "in string literal")),
                c => out.push(c),
            }
        }
        Ok(match String::from_utf8(out) {
            Ok(s) => s,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        })
    }

    fn array(&mut self, depth: usize) -> Result<Json, String> {
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek()? == b']' {
            self.i += 1;
            return Ok(Json::Array(items));
        }
        loop {
            self.skip_ws();
            items.push(self.value(depth)?);
            self.skip_ws();
            let c = self.peek()?;
            self.i += 1;
            match c {
                b',' => {}
                b']' => return Ok(Json::Array(items)),
                _ => return Err(invalid(c, "after array element")),
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<Json, String> {
        let mut map = BTreeMap::new();
        self.skip_ws();
        if self.peek()? == b'}' {
            self.i += 1;
            return Ok(Json::Object(map));
        }
        loop {
            self.skip_ws();
            let c = self.peek()?;
            if c != b'"' {
                return Err(invalid(c, "looking for beginning of object key string"));
            }
            self.i += 1;
            let key = self.string()?;
            self.skip_ws();
            let c = self.peek()?;
            if c != b':' {
                return Err(invalid(c, "after object key"));
            }
            self.i += 1;
            self.skip_ws();
            let v = self.value(depth)?;
            map.insert(key, v);
            self.skip_ws();
            let c = self.peek()?;
            self.i += 1;
            match c {
                b',' => {}
                b'}' => return Ok(Json::Object(map)),
                _ => return Err(invalid(c, "after object key:value pair")),
            }
        }
    }
}

/// Append `s` as Go's `json.Marshal` quotes it (HTML-safe escaping).
pub(crate) fn go_quote(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\x08' => out.push_str("\\b"),
            '\x0c' => out.push_str("\\f"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c if (c as u32) < 0x20 || matches!(c, '<' | '>' | '&') => {
                let b = c as usize;
                out.push_str("\\u00");
                out.push(HEX[b >> 4] as char);
                out.push(HEX[b & 0xf] as char);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// gojsonschema's `marshalWithoutNumber` of a schema value: Go's JSON text
/// after a round trip through `interface{}` (numbers become `float64`; one
/// out of its range is Go's unmarshal error).
pub(crate) fn marshal_json(v: &Json, out: &mut String) -> Result<(), String> {
    match v {
        Json::Null => out.push_str("null"),
        Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Json::Number(n) => match n.parse::<f64>() {
            Ok(f) if f.is_finite() => out.push_str(&go_json_float(f)),
            _ => {
                return Err(format!(
                    "json: cannot unmarshal number {n} into Go value of type float64"
                ));
            }
        },
        Json::String(s) => go_quote(out, s),
        Json::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                marshal_json(item, out)?;
            }
            out.push(']');
        }
        Json::Object(map) => {
            out.push('{');
            for (i, (k, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                go_quote(out, k);
                out.push(':');
                marshal_json(item, out)?;
            }
            out.push('}');
        }
    }
    Ok(())
}

/// The same text for a values node, as Helm's values reach gojsonschema
/// (maps with sorted keys, numbers as `float64`).
pub(crate) fn marshal_value(v: &Value, out: &mut String) {
    match v {
        Value::Nil => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) | Value::Int64(i) => out.push_str(&go_json_float(*i as f64)),
        Value::Float(f) => out.push_str(&go_json_float(*f)),
        Value::String(s) => go_quote(out, s),
        Value::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                marshal_value(item, out);
            }
            out.push(']');
        }
        Value::Map(map) => {
            out.push('{');
            for (i, (k, item)) in map.borrow().iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                go_quote(out, k);
                out.push(':');
                marshal_value(item, out);
            }
            out.push('}');
        }
        Value::Object(o) => match o.serialized() {
            Some(data) => marshal_value(&data, out),
            None => out.push_str("null"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_errors_read_like_go() {
        for (input, want) in [
            ("", "EOF"),
            ("  ", "EOF"),
            ("{", "unexpected EOF"),
            ("{\"a\":1", "unexpected EOF"),
            (
                "{a}",
                "invalid character 'a' looking for beginning of object key string",
            ),
            ("{\"a\" 1}", "invalid character '1' after object key"),
            (
                "{\"a\":1 \"b\"}",
                "invalid character '\"' after object key:value pair",
            ),
            ("[1 2]", "invalid character '2' after array element"),
            ("x", "invalid character 'x' looking for beginning of value"),
            (
                "{\"a\":tru}",
                "invalid character '}' in literal true (expecting 'e')",
            ),
            ("{\"a\":-x}", "invalid character 'x' in numeric literal"),
            (
                "{\"a\":1.}",
                "invalid character '}' after decimal point in numeric literal",
            ),
            (
                "{\"a\":1e}",
                "invalid character '}' in exponent of numeric literal",
            ),
            (
                "{\"a\":\"\\q\"}",
                "invalid character 'q' in string escape code",
            ),
            (
                "{\"a\":\"\n\"}",
                "invalid character '\\n' in string literal",
            ),
            (
                "{\"a\":'x'}",
                "invalid character '\\'' looking for beginning of value",
            ),
            ("1 2", "invalid character '2' after top-level value"),
        ] {
            assert_eq!(parse(input.as_bytes()).unwrap_err(), want, "{input:?}");
        }
        assert!(parse(b"{} trailing").is_ok());
    }

    #[test]
    fn marshals_like_go() {
        let v = parse(br#"{"b":[1.50,"<a&b>"],"a":1e2,"c":"\u2028\ud800x"}"#).unwrap();
        let mut out = String::new();
        marshal_json(&v, &mut out).unwrap();
        assert_eq!(
            out,
            r#"{"a":100,"b":[1.5,"\u003ca\u0026b\u003e"],"c":"\u2028�x"}"#
        );
        let big = parse(b"1e400").unwrap();
        assert_eq!(
            marshal_json(&big, &mut out).unwrap_err(),
            "json: cannot unmarshal number 1e400 into Go value of type float64"
        );
    }
}
