//! Go's `encoding/json` `Marshal` of template values, as Helm's `toJson`
//! prints them: map keys sorted, `<`, `>`, `&`, U+2028 and U+2029
//! escaped, floats in Go's shortest form (`1`, not `1.0`; exponents
//! outside `[1e-6, 1e21)`), and an error for NaN and infinities.

use std::fmt::Write as _;

use gotmpl::Value;

/// Encode `v` as Go's `json.Marshal` would.
pub fn marshal(v: &Value) -> Result<String, String> {
    let mut out = String::new();
    write_value(&mut out, v, 0)?;
    Ok(out)
}

const MAX_DEPTH: usize = 10_000;

fn write_value(out: &mut String, v: &Value, depth: usize) -> Result<(), String> {
    if depth > MAX_DEPTH {
        return Err("json: unsupported value: encountered a cycle".to_string());
    }
    match v {
        Value::Nil => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Float(f) => out.push_str(&format_float(*f)?),
        Value::String(s) => write_string(out, s),
        Value::List(items) => {
            out.push('[');
            for (i, x) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(out, x, depth + 1)?;
            }
            out.push(']');
        }
        Value::Map(m) => {
            out.push('{');
            for (i, (k, x)) in m.borrow().iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(out, k);
                out.push(':');
                write_value(out, x, depth + 1)?;
            }
            out.push('}');
        }
        Value::Object(o) => match o.to_data() {
            Some(d) => write_value(out, &d, depth + 1)?,
            None => out.push_str("{}"),
        },
    }
    Ok(())
}

/// Go's float encoding in `encoding/json`.
pub fn format_float(f: f64) -> Result<String, String> {
    if !f.is_finite() {
        return Err(format!(
            "json: unsupported value: {}",
            gotmpl::fmt::format_float(f, 'g', None)
        ));
    }
    let abs = f.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        // Shortest 'e' form, with a two-digit minimum exponent trimmed back to one as Go does.
        let s = format!("{f:e}");
        let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
        let exp: i32 = exp.parse().unwrap_or(0);
        let sign = if exp < 0 { '-' } else { '+' };
        return Ok(format!("{mantissa}e{sign}{:02}", exp.abs())
            .replace("e-0", "e-")
            .replace("e+0", "e+"));
    }
    Ok(format!("{f}"))
}

fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marshal_like_go() {
        let v = Value::from_json_helm(
            &serde_json::json!({"b": [1, 2.5, "x<y&z"], "a": null, "c": true}),
        );
        assert_eq!(
            marshal(&v).unwrap(),
            r#"{"a":null,"b":[1,2.5,"x\u003cy\u0026z"],"c":true}"#
        );
        assert_eq!(format_float(1e21).unwrap(), "1e+21");
        assert_eq!(format_float(1e-7).unwrap(), "1e-7");
        assert_eq!(format_float(123456789.0).unwrap(), "123456789");
        assert_eq!(format_float(0.000001).unwrap(), "0.000001");
        assert!(marshal(&Value::Float(f64::NAN)).is_err());
    }
}
