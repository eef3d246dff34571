//! Numbers as they come out of `json.Marshal` followed by `yaml.v2`.
//!
//! Go's `encoding/json` prints a `float64` in the shortest form that reads
//! back exactly, as `%f` for magnitudes in `[1e-6, 1e21)` and as `%e`
//! otherwise. `yaml.v2` then reads that text as an `int` when it parses as
//! one (so `3.0` becomes `3`), as a `uint64` when it only fits that, and as a
//! `float64` otherwise, which it prints with `strconv.FormatFloat(f, 'g', -1, 64)`.

/// The YAML text of a JSON number as Helm's `toYaml` prints it.
pub fn yaml_number(n: &serde_json::Number) -> String {
    if let Some(i) = n.as_i64() {
        return i.to_string();
    }
    if let Some(u) = n.as_u64() {
        return u.to_string();
    }
    match n.as_f64() {
        Some(f) => yaml_float(f),
        None => n.to_string(),
    }
}

/// The YAML text `yaml.v3` writes for a Go number held directly (no JSON
/// round trip): integers as they are, floats as
/// `strconv.FormatFloat(f, 'g', -1, 64)` with YAML's spellings of the
/// non-finite ones.
pub fn go_value_number(n: &serde_json::Number) -> String {
    if n.is_f64() {
        let f = n.as_f64().unwrap_or_default();
        return if f.is_nan() {
            ".nan".to_string()
        } else if f.is_infinite() {
            if f > 0.0 { ".inf" } else { "-.inf" }.to_string()
        } else {
            go_format_g(f)
        };
    }
    n.to_string()
}

/// The YAML text of a `float64` after the JSON round trip.
pub fn yaml_float(f: f64) -> String {
    if !f.is_finite() {
        // json.Marshal refuses these; yaml.v2's own spelling is the best answer.
        return if f.is_nan() {
            ".nan".to_string()
        } else if f > 0.0 {
            ".inf".to_string()
        } else {
            "-.inf".to_string()
        };
    }
    let json = go_json_float(f);
    if let Ok(i) = json.parse::<i64>() {
        return i.to_string();
    }
    if let Ok(u) = json.parse::<u64>() {
        return u.to_string();
    }
    go_format_g(f)
}

/// The shortest decimal digits of `f` (no leading zeros) and the position of
/// the decimal point relative to them (`0.0123` → `("123", -1)`), as Go's
/// `strconv` computes them; `("0", 1)` for zero.
fn shortest_digits(f: f64) -> (String, i32) {
    if f == 0.0 {
        return ("0".to_string(), 1);
    }
    // Rust's `{:e}` prints the shortest round-tripping digits, like Go.
    let sci = format!("{:e}", f.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    (digits, exp + 1)
}

/// `strconv.FormatFloat(f, 'f', -1, 64)`.
fn go_format_f(f: f64) -> String {
    let (digits, dp) = shortest_digits(f);
    let mut out = String::new();
    if f.is_sign_negative() {
        out.push('-');
    }
    if dp <= 0 {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', (-dp) as usize));
        out.push_str(&digits);
    } else if dp as usize >= digits.len() {
        out.push_str(&digits);
        out.extend(std::iter::repeat_n('0', dp as usize - digits.len()));
    } else {
        out.push_str(&digits[..dp as usize]);
        out.push('.');
        out.push_str(&digits[dp as usize..]);
    }
    out
}

/// `strconv.FormatFloat(f, 'e', -1, 64)`: `d.ddde±XX`, at least two exponent digits.
fn go_format_e(f: f64) -> String {
    let (digits, dp) = shortest_digits(f);
    let mut out = String::new();
    if f.is_sign_negative() {
        out.push('-');
    }
    out.push_str(&digits[..1]);
    if digits.len() > 1 {
        out.push('.');
        out.push_str(&digits[1..]);
    }
    let exp = if f == 0.0 { 0 } else { dp - 1 };
    out.push('e');
    out.push(if exp < 0 { '-' } else { '+' });
    let abs = exp.unsigned_abs();
    if abs < 10 {
        out.push('0');
    }
    out.push_str(&abs.to_string());
    out
}

/// `strconv.FormatFloat(f, 'g', -1, 64)`: `%e` when the exponent is below -4
/// or at least 6 (Go's rule for the shortest precision), `%f` otherwise.
pub fn go_format_g(f: f64) -> String {
    let (_, dp) = shortest_digits(f);
    let exp = if f == 0.0 { 0 } else { dp - 1 };
    if !(-4..6).contains(&exp) {
        go_format_e(f)
    } else {
        go_format_f(f)
    }
}

/// What Go's `json.Marshal` prints for a finite `float64`.
pub fn go_json_float(f: f64) -> String {
    let abs = f.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        let mut s = go_format_e(f);
        // encoding/json shortens "e-07" to "e-7".
        if let Some(pos) = s.find("e-0") {
            s.remove(pos + 2);
        }
        s
    } else {
        go_format_f(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_float_text_matches_go() {
        assert_eq!(go_json_float(1e6), "1000000");
        assert_eq!(go_json_float(1.5), "1.5");
        assert_eq!(go_json_float(1e21), "1e+21");
        assert_eq!(go_json_float(1e-7), "1e-7");
        assert_eq!(go_json_float(0.000001), "0.000001");
        assert_eq!(go_json_float(-0.0), "-0");
        assert_eq!(
            go_json_float(12345678901234567890.0),
            "12345678901234567000"
        );
    }

    #[test]
    fn yaml_float_follows_the_json_round_trip() {
        assert_eq!(yaml_float(3.0), "3");
        assert_eq!(yaml_float(-0.0), "0");
        assert_eq!(yaml_float(1.5), "1.5");
        assert_eq!(yaml_float(1234567.5), "1.2345675e+06");
        assert_eq!(yaml_float(0.0001), "0.0001");
        assert_eq!(yaml_float(0.00001), "1e-05");
        assert_eq!(yaml_float(1e20), "1e+20");
        assert_eq!(yaml_float(1e21), "1e+21");
        assert_eq!(yaml_float(12345678901234567890.0), "12345678901234567000");
        assert_eq!(yaml_float(9007199254740993.0), "9007199254740992");
    }
}
