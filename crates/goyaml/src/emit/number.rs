//! Numbers as they come out of `json.Marshal` followed by `yaml.v2`.
//!
//! Go's `encoding/json` prints a `float64` in the shortest form that reads
//! back exactly, as `%f` for magnitudes in `[1e-6, 1e21)` and as `%e`
//! otherwise. `yaml.v2` then reads that text as an `int` when it parses as
//! one (so `3.0` becomes `3`), as a `uint64` when it only fits that, and as a
//! `float64` otherwise, which it prints with `strconv.FormatFloat(f, 'g', -1, 64)`.

use gostd::json::format_float64;
use gostd::strconv::format_float;

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
            format_float(f, 'g', None)
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
    let json = format_float64(f);
    if let Ok(i) = json.parse::<i64>() {
        return i.to_string();
    }
    if let Ok(u) = json.parse::<u64>() {
        return u.to_string();
    }
    format_float(f, 'g', None)
}

#[cfg(test)]
mod tests {
    use super::*;

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
