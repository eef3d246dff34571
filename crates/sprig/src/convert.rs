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
        Value::Int(i) | Value::Int64(i) => *i,
        Value::Float(f) => go_float_to_int(*f),
        Value::Bool(b) => i64::from(*b),
        Value::String(s) => gostd::strconv::parse_int(trim_zero_decimal(s), 0).unwrap_or(0),
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
        Value::Int(i) | Value::Int64(i) => *i as f64,
        Value::Float(f) => *f,
        Value::Bool(b) => f64::from(u8::from(*b)),
        Value::String(s) => gostd::strconv::parse_float(s).unwrap_or(0.0),
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

/// Sprig's `strval`: strings as they are, `[]byte` as text, anything with a
/// `String`/`Error` method through it, everything else through `fmt.Sprintf("%v")`.
pub fn strval(v: &Value) -> String {
    match v {
        Value::String(s) => s.to_string(),
        Value::Object(o) if let Some(s) = o.go_string() => s,
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
        Ok(Value::Int64(to_int64(&a[0])))
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
        Ok(Value::Int64(
            gostd::strconv::parse_int(&text, 8).unwrap_or(0),
        ))
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
        assert_eq!(
            to_float64(&Value::str("0x1F")),
            0.0,
            "ParseFloat takes no hex integers"
        );
        assert_eq!(to_float64(&Value::str("1E3")), 1000.0);
    }
}
