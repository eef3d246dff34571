//! Type conversions: Sprig's `cast`-based `toInt64`/`toFloat64`, `strval`
//! (`toString`), and the conversion functions built on them.
//!
//! Helm hands YAML numbers to templates as `float64`, so `add 1 .Values.x`
//! goes through `cast.ToInt64(float64)`, which truncates. Strings parse with
//! Go's rules (`"0x1F"` is 31 for integers), anything unconvertible is 0.

use gotmpl::{FuncMap, Value};

use crate::args;

/// `cast.ToInt64`: never fails, 0 for what does not convert.
pub fn to_int64(v: &Value) -> i64 {
    match v {
        Value::Int(i) => *i,
        Value::Float(f) => go_float_to_int(*f),
        Value::Bool(b) => i64::from(*b),
        Value::String(s) => parse_go_int(trim_zero_decimal(s)).unwrap_or(0),
        _ => 0,
    }
}

/// Go's `int64(f)` conversion: truncation; out-of-range values (undefined in
/// Go) give amd64's answer, the minimum int64.
pub fn go_float_to_int(f: f64) -> i64 {
    if f.is_nan() || !(-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&f) {
        i64::MIN
    } else {
        f as i64
    }
}

/// `cast.ToFloat64`: never fails, 0 for what does not convert.
pub fn to_float64(v: &Value) -> f64 {
    match v {
        Value::Int(i) => *i as f64,
        Value::Float(f) => *f,
        Value::Bool(b) => f64::from(u8::from(*b)),
        Value::String(s) => parse_go_float(s).unwrap_or(0.0),
        _ => 0.0,
    }
}

/// cast's `trimZeroDecimal`: `"3.00"` → `"3"`, anything else unchanged.
fn trim_zero_decimal(s: &str) -> &str {
    match s.split_once('.') {
        Some((int, frac)) if !frac.is_empty() && frac.bytes().all(|b| b == b'0') => int,
        _ => s,
    }
}

/// Go's `strconv.ParseInt(s, 0, 64)`: optional sign, `0x`/`0o`/`0b`/`0`
/// prefixes, underscores between digits when a base prefix or plain digits allow them.
pub fn parse_go_int(s: &str) -> Option<i64> {
    let (neg, body) = match s.as_bytes().first()? {
        b'+' => (false, &s[1..]),
        b'-' => (true, &s[1..]),
        _ => (false, s),
    };
    let lower = body.to_ascii_lowercase();
    let (radix, digits) = if let Some(d) = lower.strip_prefix("0x") {
        (16, d.to_string())
    } else if let Some(d) = lower.strip_prefix("0o") {
        (8, d.to_string())
    } else if let Some(d) = lower.strip_prefix("0b") {
        (2, d.to_string())
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, lower[1..].to_string())
    } else {
        (10, lower.clone())
    };
    // Go accepts '_' only between digits (or right after a base prefix).
    if digits.starts_with('_') && radix == 10 || digits.ends_with('_') || digits.contains("__") {
        return None;
    }
    let digits: String = digits.chars().filter(|&c| c != '_').collect();
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let magnitude = u64::from_str_radix(&digits, radix).ok()?;
    if neg {
        if magnitude <= 1u64 << 63 {
            Some((magnitude as i64).wrapping_neg())
        } else {
            None
        }
    } else {
        i64::try_from(magnitude).ok()
    }
}

/// Go's `strconv.ParseFloat(s, 64)` for the forms templates meet: decimal
/// with optional exponent, `inf`/`infinity`/`nan` in any case with a sign.
pub fn parse_go_float(s: &str) -> Option<f64> {
    let lower = s.to_ascii_lowercase();
    let unsigned = lower.trim_start_matches(['+', '-']);
    if lower.len() - unsigned.len() > 1 {
        return None;
    }
    match unsigned {
        "inf" | "infinity" => {
            return Some(if lower.starts_with('-') {
                f64::NEG_INFINITY
            } else {
                f64::INFINITY
            });
        }
        "nan" => return Some(f64::NAN),
        _ => {}
    }
    if unsigned.is_empty()
        || !unsigned
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'+' | b'-'))
    {
        return if unsigned.starts_with("0x") {
            parse_go_int(s).map(|i| i as f64)
        } else {
            None
        };
    }
    let f: f64 = s.parse().ok()?;
    // Go reports overflow to infinity as an error.
    if f.is_infinite() { None } else { Some(f) }
}

/// Sprig's `strval`: strings as they are, `[]byte` as text, anything with a
/// `String`/`Error` method through it, everything else through `fmt.Sprintf("%v")`.
pub fn strval(v: &Value) -> String {
    match v {
        Value::String(s) => s.to_string(),
        other => gotmpl::fmt::format_value(other),
    }
}

/// Sprig's `strslice`: a list of strings from a list (nil items dropped),
/// a single nil is an empty list, anything else a one-item list.
pub fn strslice(v: &Value) -> Vec<String> {
    match v {
        Value::List(items) => items
            .iter()
            .filter(|x| !matches!(x, Value::Nil))
            .map(strval)
            .collect(),
        Value::Nil => Vec::new(),
        other => vec![strval(other)],
    }
}

/// Register the conversion functions.
pub fn register(m: &mut FuncMap) {
    m.insert_pure("atoi", |a| {
        args::exact("atoi", a, 1)?;
        // strconv.Atoi: decimal only, errors ignored.
        let s = args::string(&a[0])?;
        let parsed = match s.as_bytes().first() {
            Some(b'+' | b'-') if s.len() > 1 && s[1..].bytes().all(|b| b.is_ascii_digit()) => {
                s.parse::<i64>().ok()
            }
            Some(_) if s.bytes().all(|b| b.is_ascii_digit()) => s.parse::<i64>().ok(),
            _ => None,
        };
        Ok(Value::Int(parsed.unwrap_or(0)))
    });
    m.insert_pure("int64", |a| {
        args::exact("int64", a, 1)?;
        Ok(Value::Int(to_int64(&a[0])))
    });
    m.insert_pure("int", |a| {
        args::exact("int", a, 1)?;
        Ok(Value::Int(to_int64(&a[0])))
    });
    m.insert_pure("float64", |a| {
        args::exact("float64", a, 1)?;
        Ok(Value::Float(to_float64(&a[0])))
    });
    m.insert_pure("toDecimal", |a| {
        args::exact("toDecimal", a, 1)?;
        // Octal text to its value: `toDecimal "0777"` is 511.
        let text = gotmpl::fmt::format_value(&a[0]);
        Ok(Value::Int(parse_octal(&text).unwrap_or(0)))
    });
    m.insert_pure("toString", |a| {
        args::exact("toString", a, 1)?;
        Ok(Value::str(strval(&a[0])))
    });
    m.insert_pure("toStrings", |a| {
        args::exact("toStrings", a, 1)?;
        Ok(Value::list(
            strslice(&a[0]).into_iter().map(Value::str).collect(),
        ))
    });
}

/// `strconv.ParseInt(s, 8, 64)`.
fn parse_octal(s: &str) -> Option<i64> {
    let (neg, body) = match s.as_bytes().first()? {
        b'+' => (false, &s[1..]),
        b'-' => (true, &s[1..]),
        _ => (false, s),
    };
    if body.is_empty() || !body.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
        return None;
    }
    let v = i64::from_str_radix(body, 8).ok()?;
    Some(if neg { -v } else { v })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cast_rules() {
        assert_eq!(to_int64(&Value::Float(3.9)), 3);
        assert_eq!(to_int64(&Value::str("0x1F")), 31);
        assert_eq!(to_int64(&Value::str("3.00")), 3);
        assert_eq!(to_int64(&Value::str("3.5")), 0);
        assert_eq!(to_int64(&Value::Bool(true)), 1);
        assert_eq!(to_float64(&Value::str("1.5")), 1.5);
        assert_eq!(to_float64(&Value::str("x")), 0.0);
        assert_eq!(parse_octal("0777"), Some(511));
    }
}
