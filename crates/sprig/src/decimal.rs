//! The little of `shopspring/decimal` that Sprig's float functions use:
//! `addf`, `subf`, `mulf` and `divf` convert each operand with
//! `NewFromFloat` (its shortest decimal text), compute exactly in decimal
//! (division rounded to 16 places), and convert back with `Float64`. So
//! `addf 0.1 0.2` is `0.3`, not `0.30000000000000004`.

/// A decimal `mantissa × 10^exponent`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decimal {
    mantissa: i128,
    exponent: i32,
}

/// `shopspring/decimal`'s `DivisionPrecision`.
const DIVISION_PLACES: i32 = 16;

fn pow10(n: u32) -> Option<i128> {
    10i128.checked_pow(n)
}

impl Decimal {
    /// `NewFromFloat`: the shortest decimal that reads back as `f`.
    /// `None` for NaN and infinities, which Go rejects with a panic.
    pub fn from_f64(f: f64) -> Option<Decimal> {
        if !f.is_finite() {
            return None;
        }
        if f == 0.0 {
            return Some(Decimal {
                mantissa: 0,
                exponent: 0,
            });
        }
        let sci = format!("{f:e}");
        let (mant, exp) = sci.split_once('e')?;
        let exp: i32 = exp.parse().ok()?;
        let negative = mant.starts_with('-');
        let digits: String = mant.chars().filter(char::is_ascii_digit).collect();
        let frac_len = digits.len() as i32 - 1;
        let mut mantissa: i128 = digits.parse().ok()?;
        if negative {
            mantissa = -mantissa;
        }
        Some(Decimal {
            mantissa,
            exponent: exp - frac_len,
        })
    }

    /// `Float64`: the nearest `float64`.
    pub fn to_f64(self) -> f64 {
        format!("{}e{}", self.mantissa, self.exponent)
            .parse()
            .unwrap_or(f64::NAN)
    }

    /// Both operands scaled to the smaller exponent.
    fn aligned(self, other: Decimal) -> Option<(i128, i128, i32)> {
        let exp = self.exponent.min(other.exponent);
        let a = self
            .mantissa
            .checked_mul(pow10((self.exponent - exp) as u32)?)?;
        let b = other
            .mantissa
            .checked_mul(pow10((other.exponent - exp) as u32)?)?;
        Some((a, b, exp))
    }

    /// Exact sum, `None` on overflow.
    pub fn checked_add(self, other: Decimal) -> Option<Decimal> {
        let (a, b, exponent) = self.aligned(other)?;
        Some(Decimal {
            mantissa: a.checked_add(b)?,
            exponent,
        })
    }

    /// Exact difference, `None` on overflow.
    pub fn checked_sub(self, other: Decimal) -> Option<Decimal> {
        let (a, b, exponent) = self.aligned(other)?;
        Some(Decimal {
            mantissa: a.checked_sub(b)?,
            exponent,
        })
    }

    /// Exact product, `None` on overflow.
    pub fn checked_mul(self, other: Decimal) -> Option<Decimal> {
        Some(Decimal {
            mantissa: self.mantissa.checked_mul(other.mantissa)?,
            exponent: self.exponent + other.exponent,
        })
    }

    /// `DivRound(other, 16)`: the quotient rounded half away from zero to 16
    /// decimal places. `None` on overflow; the caller handles division by zero.
    pub fn checked_div(self, other: Decimal) -> Option<Decimal> {
        // q × 10^16 = (m1 / m2) × 10^(e1 - e2 + 16)
        let shift = self.exponent - other.exponent + DIVISION_PLACES;
        let (num, den) = if shift >= 0 {
            (
                self.mantissa.checked_mul(pow10(shift as u32)?)?,
                other.mantissa,
            )
        } else {
            (
                self.mantissa,
                other.mantissa.checked_mul(pow10((-shift) as u32)?)?,
            )
        };
        let q = num / den;
        let r = num % den;
        let rounded = if r.unsigned_abs() * 2 >= den.unsigned_abs() {
            q + num.signum() * den.signum()
        } else {
            q
        };
        Some(Decimal {
            mantissa: rounded,
            exponent: -DIVISION_PLACES,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::Decimal;

    fn d(f: f64) -> Decimal {
        Decimal::from_f64(f).unwrap()
    }

    #[test]
    fn decimal_arithmetic_is_exact() {
        assert_eq!(d(0.1).checked_add(d(0.2)).unwrap().to_f64(), 0.3);
        assert_eq!(d(1.1).checked_mul(d(3.0)).unwrap().to_f64(), 3.3);
        assert_eq!(
            d(10.0).checked_div(d(3.0)).unwrap().to_f64(),
            3.3333333333333335
        );
        assert_eq!(
            d(2.0).checked_div(d(3.0)).unwrap().to_f64(),
            0.6666666666666667
        );
        assert_eq!(d(-1.0).checked_div(d(8.0)).unwrap().to_f64(), -0.125);
    }
}
