//! Exact decimal numbers, as gojsonschema compares them.
//!
//! gojsonschema reads every number as `big.Rat` from its JSON text, so
//! `0.1` in a schema and `0.1` in the values compare equal, `1.0` is an
//! integer and `multipleOf: 0.1` divides `0.3` exactly. Schema numbers come
//! from their JSON text and values' numbers from the shortest text of the
//! `float64`/`int64` Helm marshals, so a decimal mantissa with an exponent
//! represents both exactly (up to 38 significant digits; longer literals
//! are truncated, which only a schema can contain).

use std::cmp::Ordering;

/// A finite decimal `(-1)^neg * mant * 10^exp`, normalised: no trailing
/// zero digits in `mant`, and zero is `mant == 0, exp == 0, !neg`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Decimal {
    neg: bool,
    mant: u128,
    exp: i64,
}

/// Significant digits a `u128` mantissa always holds.
const MAX_DIGITS: u32 = 38;

impl Decimal {
    /// Zero.
    pub(crate) const ZERO: Decimal = Decimal {
        neg: false,
        mant: 0,
        exp: 0,
    };

    fn new(neg: bool, mut mant: u128, mut exp: i64) -> Decimal {
        if mant == 0 {
            return Decimal::ZERO;
        }
        while mant.is_multiple_of(10) {
            mant /= 10;
            exp += 1;
        }
        Decimal { neg, mant, exp }
    }

    /// Parse JSON number text (also Rust's float `{:e}` output); `None` when
    /// it is not a number.
    pub(crate) fn parse(text: &str) -> Option<Decimal> {
        let bytes = text.as_bytes();
        let mut i = 0;
        let neg = bytes.first() == Some(&b'-');
        if neg {
            i += 1;
        }
        let mut mant: u128 = 0;
        let mut digits = 0u32;
        let mut exp: i64 = 0;
        let mut any = false;
        let mut seen_dot = false;
        while i < bytes.len() {
            let c = bytes[i];
            match c {
                b'0'..=b'9' => {
                    any = true;
                    if digits < MAX_DIGITS {
                        if mant != 0 || c != b'0' {
                            digits += 1;
                        }
                        mant = mant * 10 + u128::from(c - b'0');
                        if seen_dot {
                            exp -= 1;
                        }
                    } else if !seen_dot {
                        // Digits past the precision still scale the value.
                        exp += 1;
                    }
                }
                b'.' if !seen_dot => seen_dot = true,
                b'e' | b'E' => break,
                _ => return None,
            }
            i += 1;
        }
        if !any {
            return None;
        }
        if i < bytes.len() {
            let rest = &text[i + 1..];
            let rest = rest.strip_prefix('+').unwrap_or(rest);
            // Exponents beyond any f64 only saturate: such numbers compare
            // as huge or tiny, which is all a schema can observe.
            let e: i64 = match rest.parse::<i64>() {
                Ok(e) => e.clamp(-100_000, 100_000),
                Err(_)
                    if rest
                        .trim_start_matches('-')
                        .bytes()
                        .all(|b| b.is_ascii_digit()) =>
                {
                    if rest.starts_with('-') {
                        -100_000
                    } else {
                        100_000
                    }
                }
                Err(_) => return None,
            };
            exp += e;
        }
        Some(Decimal::new(neg, mant, exp))
    }

    /// The exact value of an `int64`.
    pub(crate) fn from_i64(i: i64) -> Decimal {
        Decimal::new(i < 0, u128::from(i.unsigned_abs()), 0)
    }

    /// The value of a `float64` as Go prints it (shortest round-trip
    /// digits), which is what Helm hands gojsonschema.
    pub(crate) fn from_f64(f: f64) -> Decimal {
        if !f.is_finite() {
            return Decimal::ZERO;
        }
        Decimal::parse(&format!("{f:e}")).unwrap_or(Decimal::ZERO)
    }

    /// Whether the value is a whole number (`big.Rat.IsInt`).
    pub(crate) fn is_integer(&self) -> bool {
        self.exp >= 0
    }

    /// Whether the value is zero.
    pub(crate) fn is_zero(&self) -> bool {
        self.mant == 0
    }

    /// Whether the value is negative (zero is not).
    pub(crate) fn is_negative(&self) -> bool {
        self.neg
    }

    fn digit_count(&self) -> i64 {
        if self.mant == 0 {
            0
        } else {
            i64::from(self.mant.ilog10()) + 1
        }
    }

    fn cmp_magnitude(&self, other: &Decimal) -> Ordering {
        match (self.mant == 0, other.mant == 0) {
            (true, true) => return Ordering::Equal,
            (true, false) => return Ordering::Less,
            (false, true) => return Ordering::Greater,
            _ => {}
        }
        let (da, db) = (self.digit_count(), other.digit_count());
        let (ta, tb) = (self.exp + da, other.exp + db);
        if ta != tb {
            return ta.cmp(&tb);
        }
        // Same leading position: pad the shorter mantissa to the longer
        // one's length (at most 38 digits, so it fits).
        let (mut a, mut b) = (self.mant, other.mant);
        match da.cmp(&db) {
            Ordering::Less => a *= 10u128.pow((db - da) as u32),
            Ordering::Greater => b *= 10u128.pow((da - db) as u32),
            Ordering::Equal => {}
        }
        a.cmp(&b)
    }

    /// Whether `self / divisor` is an integer (`divisor` non-zero), as
    /// gojsonschema's `multipleOf` decides with rationals.
    pub(crate) fn is_multiple_of(&self, divisor: &Decimal) -> bool {
        if self.mant == 0 {
            return true;
        }
        if divisor.mant == 0 {
            return false;
        }
        let (a, b) = (self.mant, divisor.mant);
        let e = self.exp - divisor.exp;
        if e >= 0 {
            // a * 10^e / b is whole iff b / gcd(a, b) divides 10^e.
            let mut rest = b / gcd(a, b);
            let (mut twos, mut fives) = (0i64, 0i64);
            while rest.is_multiple_of(2) {
                rest /= 2;
                twos += 1;
            }
            while rest.is_multiple_of(5) {
                rest /= 5;
                fives += 1;
            }
            rest == 1 && twos <= e && fives <= e
        } else {
            // a / (b * 10^-e): the divisor must fit to divide anything.
            let Ok(shift) = u32::try_from(-e) else {
                return false;
            };
            match 10u128.checked_pow(shift).and_then(|p| p.checked_mul(b)) {
                Some(d) => a % d == 0,
                None => false,
            }
        }
    }

    /// The value as gojsonschema's messages print it: a `big.Float` made
    /// from the rational, formatted with `%v`, which is `'g'` with the
    /// shortest digits and exponent form from 1e+06 up and below 1e-04.
    /// (The `big.Float` has at least 64 bits, so the shortest digits are
    /// the decimal's own for any literal of up to 19 significant digits.)
    pub(crate) fn go_big_float(&self) -> String {
        let digits = if self.mant == 0 {
            String::new()
        } else {
            self.mant.to_string()
        };
        let n = digits.len() as i64;
        // Decimal point position: value = 0.DIGITS * 10^point.
        let point = if n == 0 { 0 } else { self.exp + n };
        let at = |i: i64| -> char {
            if i >= 0 && i < n {
                digits.as_bytes()[i as usize] as char
            } else {
                '0'
            }
        };
        let mut out = String::new();
        if self.neg {
            out.push('-');
        }
        let exp = point - 1;
        if !(-4..6).contains(&exp) {
            out.push(at(0));
            if n > 1 {
                out.push('.');
                for i in 1..n {
                    out.push(at(i));
                }
            }
            let e = if n > 0 { exp } else { 0 };
            out.push('e');
            out.push(if e < 0 { '-' } else { '+' });
            if e.abs() < 10 {
                out.push('0');
            }
            out.push_str(&e.abs().to_string());
        } else {
            let frac = if n > point { n - point } else { 0 };
            if point > 0 {
                for i in 0..point {
                    out.push(at(i));
                }
            } else {
                out.push('0');
            }
            if frac > 0 {
                out.push('.');
                for i in 0..frac {
                    out.push(at(point + i));
                }
            }
        }
        out
    }
}

impl PartialOrd for Decimal {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Decimal {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self.neg, other.neg) {
            (false, true) => Ordering::Greater,
            (true, false) => Ordering::Less,
            (false, false) => self.cmp_magnitude(other),
            (true, true) => other.cmp_magnitude(self),
        }
    }
}

fn gcd(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        Decimal::parse(s).unwrap()
    }

    #[test]
    fn compares_exactly() {
        assert_eq!(d("1.0"), d("1"));
        assert!(d("0.1") < d("0.10000000000000001"));
        assert!(d("-2") < d("-1.5"));
        assert!(d("1e2") > d("99.999"));
        assert_eq!(Decimal::from_f64(0.1), d("0.1"));
        assert_eq!(Decimal::from_i64(-120), d("-1.2e2"));
        assert!(d("-0").is_integer() && !d("-0").is_negative());
        assert!(d("1e300").is_integer() && !d("1.5").is_integer());
    }

    #[test]
    fn multiple_of_is_exact() {
        assert!(d("0.3").is_multiple_of(&d("0.1")));
        assert!(!d("0.35").is_multiple_of(&d("0.1")));
        assert!(d("10").is_multiple_of(&d("2.5")));
        assert!(!d("1").is_multiple_of(&d("3")));
        assert!(d("1e30").is_multiple_of(&d("7e28")) == (100 % 7 == 0));
        assert!(d("4.5e-400").is_multiple_of(&d("1.5e-400")));
    }

    #[test]
    fn prints_like_big_float() {
        // As helm prints them (big.Float with %v).
        for (input, want) in [
            ("0", "0"),
            ("5", "5"),
            ("-3", "-3"),
            ("0.7", "0.7"),
            ("100", "100"),
            ("123456", "123456"),
            ("123456.5", "123456.5"),
            ("1000000", "1e+06"),
            ("1e10", "1e+10"),
            ("1234567890.5", "1.2345678905e+09"),
            ("0.0001", "0.0001"),
            ("0.00001", "1e-05"),
            ("1.5e-7", "1.5e-07"),
            ("0.12345678912345", "0.12345678912345"),
        ] {
            assert_eq!(d(input).go_big_float(), want, "{input}");
        }
    }
}
