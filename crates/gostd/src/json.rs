//! Go's `encoding/json` where deckmod must print as it does: the text of a
//! `float64`.

use crate::strconv::format_float;

/// What Go's `json.Marshal` prints for a finite `float64`: the shortest
/// digits that read back, as `%f` for magnitudes in `[1e-6, 1e21)` (and
/// zero), else as `%e` with `e-07` shortened to `e-7` (`e+21` stays).
pub fn format_float64(f: f64) -> String {
    let abs = f.abs();
    if abs == 0.0 || (1e-6..1e21).contains(&abs) {
        return format_float(f, 'f', None);
    }
    let mut s = format_float(f, 'e', None);
    if let Some(pos) = s.find("e-0") {
        s.remove(pos + 2);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_text_matches_go() {
        for (f, want) in [
            (1.0, "1"),
            (1e6, "1000000"),
            (1.5, "1.5"),
            (1e21, "1e+21"),
            (1e-7, "1e-7"),
            (1.5e-7, "1.5e-7"),
            (0.000001, "0.000001"),
            (123456789.0, "123456789"),
            (-0.0, "-0"),
            (1e300, "1e+300"),
            (12345678901234567890.0, "12345678901234567000"),
        ] {
            assert_eq!(format_float64(f), want, "{f}");
        }
    }
}
