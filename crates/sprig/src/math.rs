//! Integer and float arithmetic, rounding and sequences.
//!
//! Integer functions convert every operand with `cast.ToInt64` (so floats
//! truncate and strings parse); `*f` functions compute in decimal ([`crate::decimal`]).

use gotmpl::{FuncError, FuncMap, Value};

use crate::convert::{to_float64, to_int64};
use crate::decimal::Decimal;
use crate::{FuncResult, args, define};

/// The `int64` Sprig's integer arithmetic returns.
fn int(i: i64) -> FuncResult {
    Ok(Value::Int64(i))
}

/// Sprig's `execDecimalOp`: fold `rest` into `first` in decimal.
fn decimal_fold(
    first: &Value,
    rest: &[Value],
    op: fn(Decimal, Decimal) -> Option<Decimal>,
    float_op: fn(f64, f64) -> f64,
    is_div: bool,
) -> FuncResult {
    let mut acc_f = to_float64(first);
    let mut acc = Decimal::from_f64(acc_f);
    for v in rest {
        let x = to_float64(v);
        if is_div && x == 0.0 {
            return Err(FuncError::new("decimal division by 0"));
        }
        // Beyond i128 precision (or with NaN/Inf) fall back to binary floats.
        acc = match (acc, Decimal::from_f64(x)) {
            (Some(a), Some(b)) => op(a, b),
            _ => None,
        };
        acc_f = match acc {
            Some(d) => d.to_f64(),
            None => float_op(acc_f, x),
        };
        if acc.is_none() {
            acc = Decimal::from_f64(acc_f);
        }
    }
    Ok(Value::Float(acc.map_or(acc_f, Decimal::to_f64)))
}

/// Sprig's `untilStep`.
pub fn until_step(start: i64, stop: i64, step: i64) -> Vec<i64> {
    let mut v = Vec::new();
    if stop < start {
        if step >= 0 {
            return v;
        }
        let mut i = start;
        while i > stop {
            v.push(i);
            match i.checked_add(step) {
                Some(next) => i = next,
                None => break,
            }
        }
        return v;
    }
    if step <= 0 {
        return v;
    }
    let mut i = start;
    while i < stop {
        v.push(i);
        match i.checked_add(step) {
            Some(next) => i = next,
            None => break,
        }
    }
    v
}

fn seq(n: &'static str, a: &[Value]) -> FuncResult {
    let params: Vec<i64> = a.iter().map(args::int).collect::<Result<_, _>>()?;
    let _ = n;
    let items = match params.as_slice() {
        [end] => {
            let (start, end) = (1, *end);
            let inc = if end < start { -1 } else { 1 };
            until_step(start, end.wrapping_add(inc), inc)
        }
        [start, end] => {
            let step = if end < start { -1 } else { 1 };
            until_step(*start, end.wrapping_add(step), step)
        }
        [start, step, end] => {
            let mut inc = 1;
            if end < start {
                inc = -1;
                if *step > 0 {
                    return Ok(Value::str(""));
                }
            }
            until_step(*start, end.wrapping_add(inc), *step)
        }
        _ => return Ok(Value::str("")),
    };
    let text: Vec<String> = items.iter().map(i64::to_string).collect();
    Ok(Value::str(text.join(" ")))
}

fn round(n: &'static str, a: &[Value]) -> FuncResult {
    args::at_least(n, a, 2)?;
    let val = to_float64(&a[0]);
    let places = args::int(&a[1])? as f64;
    let round_on = match a.get(2) {
        Some(v) => args::float(v)?,
        None => 0.5,
    };
    let pow = 10f64.powf(places);
    let digit = pow * val;
    let fraction = digit.fract();
    let rounded = if fraction >= round_on {
        digit.ceil()
    } else {
        digit.floor()
    };
    Ok(Value::Float(rounded / pow))
}

/// Register the math functions.
pub fn register(m: &mut FuncMap) {
    define(m, &["add1"], |n, a| {
        args::exact(n, a, 1)?;
        int(to_int64(&a[0]).wrapping_add(1))
    });
    define(m, &["add"], |_, a| {
        int(a.iter().map(to_int64).fold(0i64, i64::wrapping_add))
    });
    define(m, &["sub"], |n, a| {
        args::exact(n, a, 2)?;
        int(to_int64(&a[0]).wrapping_sub(to_int64(&a[1])))
    });
    define(m, &["div"], |n, a| {
        args::exact(n, a, 2)?;
        let d = to_int64(&a[1]);
        if d == 0 {
            return Err(FuncError::new("runtime error: integer divide by zero"));
        }
        int(to_int64(&a[0]).wrapping_div(d))
    });
    define(m, &["mod"], |n, a| {
        args::exact(n, a, 2)?;
        let d = to_int64(&a[1]);
        if d == 0 {
            return Err(FuncError::new("runtime error: integer divide by zero"));
        }
        int(to_int64(&a[0]).wrapping_rem(d))
    });
    define(m, &["mul"], |n, a| {
        args::at_least(n, a, 1)?;
        int(a.iter().map(to_int64).fold(1i64, i64::wrapping_mul))
    });
    define(m, &["randInt"], |n, a| {
        args::exact(n, a, 2)?;
        let (min, max) = (args::int(&a[0])?, args::int(&a[1])?);
        let span = max
            .checked_sub(min)
            .filter(|&s| s > 0)
            .ok_or_else(|| FuncError::new("invalid argument to Intn"))?;
        // randInt returns Go's `int`, unlike the arithmetic.
        Ok(Value::Int(
            min.wrapping_add(crate::random::below(span as u64)? as i64),
        ))
    });
    define(m, &["add1f"], |n, a| {
        args::exact(n, a, 1)?;
        decimal_fold(
            &a[0],
            &[Value::Int(1)],
            Decimal::checked_add,
            |x, y| x + y,
            false,
        )
    });
    define(m, &["addf"], |_, a| {
        decimal_fold(
            &Value::Float(0.0),
            a,
            Decimal::checked_add,
            |x, y| x + y,
            false,
        )
    });
    define(m, &["subf"], |n, a| {
        args::at_least(n, a, 1)?;
        decimal_fold(&a[0], &a[1..], Decimal::checked_sub, |x, y| x - y, false)
    });
    define(m, &["divf"], |n, a| {
        args::at_least(n, a, 1)?;
        decimal_fold(&a[0], &a[1..], Decimal::checked_div, |x, y| x / y, true)
    });
    define(m, &["mulf"], |n, a| {
        args::at_least(n, a, 1)?;
        decimal_fold(&a[0], &a[1..], Decimal::checked_mul, |x, y| x * y, false)
    });
    define(m, &["max", "biggest"], |n, a| {
        args::at_least(n, a, 1)?;
        int(a.iter().map(to_int64).max().unwrap_or(0))
    });
    define(m, &["min"], |n, a| {
        args::at_least(n, a, 1)?;
        int(a.iter().map(to_int64).min().unwrap_or(0))
    });
    define(m, &["maxf"], |n, a| {
        args::at_least(n, a, 1)?;
        let mut acc = to_float64(&a[0]);
        for v in &a[1..] {
            let x = to_float64(v);
            acc = if acc.is_nan() || x.is_nan() {
                f64::NAN
            } else {
                acc.max(x)
            };
        }
        Ok(Value::Float(acc))
    });
    define(m, &["minf"], |n, a| {
        args::at_least(n, a, 1)?;
        let mut acc = to_float64(&a[0]);
        for v in &a[1..] {
            let x = to_float64(v);
            acc = if acc.is_nan() || x.is_nan() {
                f64::NAN
            } else {
                acc.min(x)
            };
        }
        Ok(Value::Float(acc))
    });
    define(m, &["floor"], |n, a| {
        args::exact(n, a, 1)?;
        Ok(Value::Float(to_float64(&a[0]).floor()))
    });
    define(m, &["ceil"], |n, a| {
        args::exact(n, a, 1)?;
        Ok(Value::Float(to_float64(&a[0]).ceil()))
    });
    define(m, &["round"], round);
    define(m, &["seq"], seq);
    define(m, &["until"], |n, a| {
        args::exact(n, a, 1)?;
        let count = args::int(&a[0])?;
        let step = if count < 0 { -1 } else { 1 };
        Ok(Value::list(
            until_step(0, count, step)
                .into_iter()
                .map(Value::Int)
                .collect(),
        ))
    });
    define(m, &["untilStep"], |n, a| {
        args::exact(n, a, 3)?;
        let (start, stop, step) = (args::int(&a[0])?, args::int(&a[1])?, args::int(&a[2])?);
        Ok(Value::list(
            until_step(start, stop, step)
                .into_iter()
                .map(Value::Int)
                .collect(),
        ))
    });
}
