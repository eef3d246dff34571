//! JSON as Go's `encoding/json` writes and reads it: map keys sorted,
//! `<`, `>`, `&`, U+2028 and U+2029 escaped (unless raw), floats in Go's
//! shortest form (`1e+21`, `1e-7`), and every number read back as `float64`.

use gotmpl::Value;

/// A value Go's `encoding/json` refuses to write
/// (`json.UnsupportedValueError`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    /// Nested too deep: Go finds a cycle there.
    #[error("json: unsupported value: encountered a cycle via {type_name}")]
    Cycle {
        /// The Go type of the value where it stopped.
        type_name: String,
    },
    /// A NaN or infinite float.
    #[error("json: unsupported value: {value}")]
    NonFinite {
        /// The value as Go prints it (`NaN`, `+Inf`).
        value: String,
    },
}

/// Go's `json.Marshal` (`html_escape`) or an encoder with `SetEscapeHTML(false)`.
pub fn encode(v: &Value, html_escape: bool) -> Result<String, EncodeError> {
    let mut out = String::new();
    write_value(&mut out, v, html_escape, None, 0)?;
    Ok(out)
}

/// Go's `json.MarshalIndent(v, "", "  ")`.
pub fn encode_pretty(v: &Value) -> Result<String, EncodeError> {
    let mut out = String::new();
    write_value(&mut out, v, true, Some("  "), 0)?;
    Ok(out)
}

/// Go's `json.Unmarshal` into `interface{}`: numbers become `float64`;
/// a syntax error is worded as Go words it.
pub fn decode(text: &str) -> Result<Value, DecodeError> {
    decode_json(text).map(|parsed| Value::from_json_helm(&parsed))
}

/// Why Go's `json.Unmarshal` into `interface{}` failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// Not JSON: Go's `SyntaxError` (`invalid character 'a' looking for
    /// beginning of object key string`, `unexpected end of JSON input`).
    Syntax(gostd::json::SyntaxError),
    /// Valid JSON with a number beyond `float64` (Go's `UnmarshalTypeError`
    /// for it); Go reports it only when it decodes that number.
    NumberRange(String),
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DecodeError::Syntax(e) => e.fmt(f),
            DecodeError::NumberRange(n) => write!(
                f,
                "json: cannot unmarshal number {n} into Go value of type float64"
            ),
        }
    }
}

impl std::error::Error for DecodeError {}

impl From<DecodeError> for gotmpl::FuncError {
    fn from(e: DecodeError) -> Self {
        gotmpl::FuncError::new(e.to_string())
    }
}

/// [`decode`] before the conversion to template values.
pub fn decode_json(text: &str) -> Result<serde_json::Value, DecodeError> {
    gostd::json::check_valid(text.as_bytes()).map_err(DecodeError::Syntax)?;
    // Valid syntax that still fails is a number beyond float64.
    serde_json::from_str(text).map_err(|e| {
        DecodeError::NumberRange(
            number_out_of_range(text, &e)
                .unwrap_or_default()
                .to_string(),
        )
    })
}

/// The JSON kind of valid JSON text's top-level value (`object`, `array`,
/// `string`, `number`, `bool`, `null`), as Go's type errors name it.
pub fn top_level_kind(text: &str) -> &'static str {
    match text
        .trim_start_matches([' ', '\t', '\n', '\r'])
        .bytes()
        .next()
    {
        Some(b'{') => "object",
        Some(b'[') => "array",
        Some(b'"') => "string",
        Some(b't' | b'f') => "bool",
        Some(b'n') => "null",
        _ => "number",
    }
}

/// The number literal serde_json stopped at when it was out of range.
fn number_out_of_range<'a>(text: &'a str, e: &serde_json::Error) -> Option<&'a str> {
    let line = text.lines().nth(e.line().checked_sub(1)?)?;
    let end = line
        .char_indices()
        .nth(e.column())
        .map_or(line.len(), |(i, _)| i);
    let start = line[..end]
        .rfind(|c: char| !(c.is_ascii_digit() || "+-.eE".contains(c)))
        .map_or(0, |i| i + 1);
    Some(&line[start..end]).filter(|n| !n.is_empty())
}

fn newline(out: &mut String, indent: Option<&str>, depth: usize) {
    if let Some(unit) = indent {
        out.push('\n');
        for _ in 0..depth {
            out.push_str(unit);
        }
    }
}

fn write_value(
    out: &mut String,
    v: &Value,
    html: bool,
    indent: Option<&str>,
    depth: usize,
) -> Result<(), EncodeError> {
    if depth > crate::MAX_DEPTH && matches!(v, Value::List(_) | Value::Map(_)) {
        return Err(EncodeError::Cycle {
            type_name: gotmpl::fmt::type_name(v),
        });
    }
    match v {
        Value::Nil => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) | Value::Int64(i) => out.push_str(&i.to_string()),
        Value::Float(f) => {
            if !f.is_finite() {
                return Err(EncodeError::NonFinite {
                    value: gotmpl::fmt::format_value(v),
                });
            }
            out.push_str(&gostd::json::format_float64(*f));
        }
        Value::String(s) => write_string(out, s, html),
        Value::List(items) => {
            if items.is_empty() {
                out.push_str("[]");
                return Ok(());
            }
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, indent, depth + 1);
                write_value(out, item, html, indent, depth + 1)?;
            }
            newline(out, indent, depth);
            out.push(']');
        }
        Value::Map(map) => {
            let map = map.borrow();
            if map.is_empty() {
                out.push_str("{}");
                return Ok(());
            }
            out.push('{');
            for (i, (k, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, indent, depth + 1);
                write_string(out, k, html);
                out.push(':');
                if indent.is_some() {
                    out.push(' ');
                }
                write_value(out, item, html, indent, depth + 1)?;
            }
            newline(out, indent, depth);
            out.push('}');
        }
        Value::Object(o) => write_value(out, &json_form(v, o.as_ref()), html, indent, depth)?,
    }
    Ok(())
}

/// What `encoding/json` writes for a host object: a `time.Time` as RFC 3339
/// text, Sprig's certificate as its two fields, others as their data.
fn json_form(v: &Value, o: &dyn gotmpl::Object) -> Value {
    let field = |name: &str| o.field(name).unwrap_or(Value::Nil);
    match o.type_name() {
        "time.Time" => crate::gotime::GoTime::from_value(v).map_or(Value::Nil, |t| {
            Value::str(t.format("2006-01-02T15:04:05.999999999Z07:00"))
        }),
        "sprig.certificate" => {
            let mut m = gotmpl::Map::new();
            m.insert("Cert".to_string(), field("Cert"));
            m.insert("Key".to_string(), field("Key"));
            Value::map(m)
        }
        _ => o
            .serialized()
            .unwrap_or_else(|| Value::map(gotmpl::Map::new())),
    }
}

/// A JSON string literal with Go's escapes.
pub fn write_string(out: &mut String, s: &str, html: bool) {
    out.push('"');
    // A byte that is not UTF-8: Go writes the replacement character.
    gostd::bytestring::for_each_rune(s, |r| match r {
        Ok(c) => write_char(out, c, html),
        Err(_) => out.push_str("\\ufffd"),
    });
    out.push('"');
}

fn write_char(out: &mut String, c: char, html: bool) {
    match c {
        '"' => out.push_str("\\\""),
        '\\' => out.push_str("\\\\"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\u{8}' => out.push_str("\\b"),
        '\u{c}' => out.push_str("\\f"),
        '<' | '>' | '&' if html => out.push_str(&format!("\\u{:04x}", c as u32)),
        '\u{2028}' | '\u{2029}' => out.push_str(&format!("\\u{:04x}", c as u32)),
        c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
        c => out.push(c),
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn encode_errors_have_their_kinds() {
        assert_eq!(
            encode(&Value::Float(f64::NAN), true),
            Err(EncodeError::NonFinite {
                value: "NaN".into()
            })
        );
        let mut deep = Value::Int(1);
        for _ in 0..=crate::MAX_DEPTH + 1 {
            deep = Value::list(vec![deep]);
        }
        assert!(matches!(
            encode(&deep, true),
            Err(EncodeError::Cycle { .. })
        ));
    }

    use super::*;
    use gotmpl::Map;

    #[test]
    fn go_escapes_and_number_forms() {
        let mut m = Map::new();
        m.insert("b".into(), Value::Float(1e21));
        m.insert("a".into(), Value::str("<x>&\u{2028}\t"));
        let v = Value::map(m);
        assert_eq!(
            encode(&v, true).unwrap(),
            r#"{"a":"\u003cx\u003e\u0026\u2028\t","b":1e+21}"#
        );
        assert_eq!(
            encode(&v, false).unwrap(),
            r#"{"a":"<x>&\u2028\t","b":1e+21}"#
        );
        assert_eq!(
            encode_pretty(&Value::list(vec![Value::Int(1)])).unwrap(),
            "[\n  1\n]"
        );
    }
}
