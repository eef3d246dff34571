//! Scalars as `yaml.v2` resolves them (YAML 1.1): what a plain scalar's
//! text means (`yes` is `true`, `0777` is 511, `1_000` is 1000, `08` is
//! 8.0), what a `!!tag` makes of one, and how a resolved key becomes a
//! JSON map key. The general loader, the fast path and the emitter's
//! quoting rules all read scalars through this module.

use serde_json::{Number, Value};
use yaml_rust2::parser::Tag;
use yaml_rust2::scanner::TScalarStyle;

/// A map key as a string, the way `sigs.k8s.io/yaml` converts keys to JSON.
pub(crate) fn key_string(key: Value) -> String {
    match key {
        Value::String(s) => s,
        Value::Null => "null".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        other => other.to_string(),
    }
}

/// Resolve a scalar's text to data by yaml.v2's YAML 1.1 rules.
/// The parser's text becomes the string value itself (no copy).
pub(crate) fn resolve_scalar(
    text: String,
    style: TScalarStyle,
    tag: Option<&Tag>,
) -> Result<Value, String> {
    if let Some(tag) = tag
        && (tag.handle == "!!" || tag.handle == "tag:yaml.org,2002:")
    {
        return resolve_tagged(&text, &tag.suffix);
    }
    if style != TScalarStyle::Plain {
        return Ok(Value::String(text));
    }
    Ok(plain_non_string(&text).unwrap_or(Value::String(text)))
}

fn resolve_tagged(text: &str, suffix: &str) -> Result<Value, String> {
    match suffix {
        "str" => Ok(Value::String(text.to_string())),
        "null" => Ok(Value::Null),
        "bool" => match resolve_plain(text) {
            v @ Value::Bool(_) => Ok(v),
            _ => Err(format!("cannot decode !!str `{text}` as a !!bool")),
        },
        "int" => match resolve_plain(text) {
            v @ Value::Number(_) if !text.contains('.') => Ok(v),
            _ => Err(format!("cannot decode !!str `{text}` as a !!int")),
        },
        "float" => match resolve_plain(text) {
            Value::Number(n) => Ok(n
                .as_f64()
                .and_then(Number::from_f64)
                .map_or(Value::Null, Value::Number)),
            v @ Value::String(_) if is_special_float(text) => Ok(v),
            _ => Err(format!("cannot decode !!str `{text}` as a !!float")),
        },
        "binary" => decode_base64(text)
            .map(|bytes| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
            .ok_or_else(|| "!!binary value contains invalid base64 data".to_string()),
        // !!map, !!seq on scalars, !!timestamp and unknown tags: plain rules.
        _ => Ok(resolve_plain(text)),
    }
}

fn is_special_float(text: &str) -> bool {
    matches!(
        text.trim_start_matches(['+', '-']),
        ".inf" | ".Inf" | ".INF" | ".nan" | ".NaN" | ".NAN"
    )
}

/// yaml.v2's resolution of an untagged plain scalar.
pub(crate) fn resolve_plain(text: &str) -> Value {
    plain_non_string(text).unwrap_or_else(|| Value::String(text.to_string()))
}

/// The YAML 1.1 words `yaml.v2` reads as nulls and booleans (the empty
/// text is a null too).
pub(crate) fn named_value(text: &str) -> Option<Value> {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => Some(Value::Null),
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            Some(Value::Bool(true))
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            Some(Value::Bool(false))
        }
        _ => None,
    }
}

/// [`resolve_plain`] for the scalars that are not simply their own text
/// (`None`: the value is the text as a string).
pub(crate) fn plain_non_string(text: &str) -> Option<Value> {
    if let Some(v) = named_value(text) {
        return Some(v);
    }
    // JSON has no infinities or NaN; sigs.k8s.io/yaml cannot marshal them
    // either, so they stay text.
    if is_special_float(text) {
        return None;
    }
    let first = text.as_bytes()[0];
    match first {
        b'0'..=b'9' | b'+' | b'-' => {
            let plain: String = text.chars().filter(|&c| c != '_').collect();
            if let Ok(i) = gostd::strconv::parse_int(&plain, 0) {
                return Some(Value::Number(i.into()));
            }
            if let Ok(u) = gostd::strconv::parse_uint(&plain, 0) {
                return Some(Value::Number(u.into()));
            }
            if is_yaml_style_float(&plain)
                && let Some(n) = plain.parse::<f64>().ok().and_then(Number::from_f64)
            {
                return Some(Value::Number(n));
            }
            None
        }
        b'.' => match text.parse::<f64>() {
            Ok(f) if text.len() > 1 && !text.contains(['i', 'I', 'n', 'N']) => {
                Number::from_f64(f).map(Value::Number)
            }
            _ => None,
        },
        _ => None,
    }
}

/// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`, yaml.v2's float shape
/// (shared by the loader and the emitter's quoting rules).
pub(crate) fn is_yaml_style_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        i += 1;
    }
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    if i < b.len() && b[i] == b'.' {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if i < b.len() && b[i] == b'.' {
            i += 1;
            digits(&mut i);
        }
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

fn decode_base64(text: &str) -> Option<Vec<u8>> {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let mut acc = 0u32;
    let mut bits = 0;
    for c in text.bytes().filter(|c| !c.is_ascii_whitespace()) {
        if c == b'=' {
            break;
        }
        let v = ALPHABET.iter().position(|&a| a == c)? as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn plain_scalars_resolve_by_yaml_1_1() {
        assert_eq!(resolve_plain("On"), json!(true));
        assert_eq!(resolve_plain("~"), Value::Null);
        assert_eq!(resolve_plain("0o17"), json!(15));
        assert_eq!(resolve_plain("-0b101"), json!(-5));
        assert_eq!(resolve_plain("18446744073709551615"), json!(u64::MAX));
        assert_eq!(
            resolve_plain("1e999"),
            json!("1e999"),
            "no infinities in JSON"
        );
        assert_eq!(resolve_plain("+.inf"), json!("+.inf"));
        assert_eq!(resolve_plain(".5"), json!(0.5));
        assert_eq!(plain_non_string("0x"), None);
        assert!(is_yaml_style_float("-1.") && !is_yaml_style_float("1e"));
        assert_eq!(key_string(json!(1.5)), "1.5");
    }
}
