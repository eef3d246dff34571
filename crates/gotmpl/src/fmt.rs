//! Go's `fmt` printing verbs over template [`Value`]s.
//!
//! Templates print values the way Go's `fmt` does (`{{ . }}` is `%v`, the
//! `print*` builtins are `Sprint*`, `printf` is `Sprintf`), and Sprig's string
//! functions lean on the same rules, so this module is public. Floats follow
//! `strconv.FormatFloat`: `%v` is the shortest `'g'` form (`1e+06`, `3.14`,
//! `1e-05`). Wrong verbs print Go's diagnostics (`%!d(string=x)`,
//! `%!d(MISSING)`, `%!(EXTRA int=1)`) instead of failing.

use gostd::strconv::{can_backquote, format_float, is_print, quote, quote_rune, quote_to_ascii};

use crate::value::Value;

/// Go's `fmt.Sprint`: operands printed with `%v`, a space between two
/// operands when neither is a string.
pub fn sprint(args: &[Value]) -> String {
    let mut out = String::new();
    let mut prev_string = false;
    for (i, arg) in args.iter().enumerate() {
        let is_string = matches!(arg, Value::String(_));
        if i > 0 && !is_string && !prev_string {
            out.push(' ');
        }
        print_arg(&mut out, arg, 'v', &Spec::default());
        prev_string = is_string;
    }
    out
}

/// Go's `fmt.Sprintln`: operands printed with `%v`, always separated by a
/// space, followed by a newline.
pub fn sprintln(args: &[Value]) -> String {
    let mut out = String::new();
    for (i, arg) in args.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        print_arg(&mut out, arg, 'v', &Spec::default());
    }
    out.push('\n');
    out
}

/// Go's `%v` of one value (`<nil>` for nil; templates print a top-level nil
/// as `<no value>` themselves).
pub fn format_value(v: &Value) -> String {
    let mut out = String::new();
    print_arg(&mut out, v, 'v', &Spec::default());
    out
}

/// Append Go's `%v` of one value to `out` (no intermediate string for strings).
pub fn write_value(out: &mut String, v: &Value) {
    print_arg(out, v, 'v', &Spec::default());
}

/// Go's `%T`: the type name of a value (`int`, `float64`, `string`,
/// `[]interface {}`, `map[string]interface {}`, `<nil>`, or the object's type).
pub fn type_name(v: &Value) -> String {
    match v {
        Value::Nil => "<nil>".to_string(),
        Value::Bool(_) => "bool".to_string(),
        Value::Int(_) => "int".to_string(),
        Value::Int64(_) => "int64".to_string(),
        Value::Float(_) => "float64".to_string(),
        Value::String(_) => "string".to_string(),
        Value::List(_) => "[]interface {}".to_string(),
        Value::Map(_) => "map[string]interface {}".to_string(),
        Value::Object(o) => o.type_name().to_string(),
    }
}

/// Formatting flags and sizes of one verb (`%-+# 0W.Pv`).
#[derive(Default, Clone, Copy)]
struct Spec {
    minus: bool,
    plus: bool,
    sharp: bool,
    /// `%#v`: Go syntax.
    sharp_v: bool,
    /// `%+v` (the plus flag does not sign numbers under `v`).
    plus_v: bool,
    space: bool,
    zero: bool,
    width: Option<usize>,
    prec: Option<usize>,
}

/// Go's `fmt.Sprintf`.
pub fn sprintf(format: &str, args: &[Value]) -> String {
    let mut out = String::new();
    let bytes = format.as_bytes();
    let mut i = 0;
    let mut arg_num = 0usize;
    let mut reordered = false;
    while i < bytes.len() {
        // Copy literal text up to the next '%'.
        let start = i;
        while i < bytes.len() && bytes[i] != b'%' {
            i += 1;
        }
        out.push_str(&format[start..i]);
        if i >= bytes.len() {
            break;
        }
        i += 1; // skip '%'
        let mut spec = Spec::default();
        // Flags.
        while i < bytes.len() {
            match bytes[i] {
                b'#' => spec.sharp = true,
                b'0' => spec.zero = true,
                b'+' => spec.plus = true,
                b'-' => spec.minus = true,
                b' ' => spec.space = true,
                _ => break,
            }
            i += 1;
        }
        // Width: explicit argument index, '*' or digits.
        let mut bad_index = false;
        if let Some((n, next, ok)) = arg_index(format, i, args.len()) {
            i = next;
            reordered = true;
            if ok {
                arg_num = n;
            } else {
                bad_index = true;
            }
        }
        if i < bytes.len() && bytes[i] == b'*' {
            i += 1;
            match args.get(arg_num).map(int_arg) {
                // Go refuses sizes above a million (`tooLarge`).
                Some(Some(w)) if w.unsigned_abs() <= 1_000_000 => {
                    if w < 0 {
                        spec.minus = true;
                        spec.width = Some(w.unsigned_abs() as usize);
                    } else {
                        spec.width = Some(w as usize);
                    }
                }
                _ => out.push_str("%!(BADWIDTH)"),
            }
            arg_num += 1;
        } else {
            let (n, next) = digits(format, i);
            if next > i {
                spec.width = Some(n);
                i = next;
            }
        }
        // Precision.
        if i < bytes.len() && bytes[i] == b'.' {
            i += 1;
            if let Some((n, next, ok)) = arg_index(format, i, args.len()) {
                i = next;
                reordered = true;
                if ok {
                    arg_num = n;
                } else {
                    bad_index = true;
                }
            }
            if i < bytes.len() && bytes[i] == b'*' {
                i += 1;
                match args.get(arg_num).map(int_arg) {
                    Some(Some(p)) if (0..=1_000_000).contains(&p) => spec.prec = Some(p as usize),
                    _ => out.push_str("%!(BADPREC)"),
                }
                arg_num += 1;
            } else {
                let (n, next) = digits(format, i);
                spec.prec = Some(n);
                i = next;
            }
        }
        if let Some((n, next, ok)) = arg_index(format, i, args.len()) {
            i = next;
            reordered = true;
            if ok {
                arg_num = n;
            } else {
                bad_index = true;
            }
        }
        if i >= bytes.len() {
            out.push_str("%!(NOVERB)");
            break;
        }
        let verb = format[i..].chars().next().unwrap_or('%');
        i += verb.len_utf8();
        if verb == '%' {
            out.push('%');
            continue;
        }
        if verb == 'v' {
            spec.sharp_v = spec.sharp;
            spec.sharp = false;
            spec.plus_v = spec.plus;
            spec.plus = false;
        }
        if bad_index {
            out.push_str("%!");
            out.push(verb);
            out.push_str("(BADINDEX)");
            continue;
        }
        match args.get(arg_num) {
            None => {
                out.push_str("%!");
                out.push(verb);
                out.push_str("(MISSING)");
            }
            Some(arg) => {
                arg_num += 1;
                print_arg(&mut out, arg, verb, &spec);
            }
        }
    }
    if !reordered && arg_num < args.len() {
        out.push_str("%!(EXTRA ");
        for (k, arg) in args[arg_num..].iter().enumerate() {
            if k > 0 {
                out.push_str(", ");
            }
            if let Value::Nil = arg {
                out.push_str("<nil>");
            } else {
                out.push_str(&type_name(arg));
                out.push('=');
                print_arg(&mut out, arg, 'v', &Spec::default());
            }
        }
        out.push(')');
    }
    out
}

/// An explicit argument index `[n]` at `i`: (zero-based index, position after, valid).
fn arg_index(format: &str, i: usize, num_args: usize) -> Option<(usize, usize, bool)> {
    let bytes = format.as_bytes();
    if i >= bytes.len() || bytes[i] != b'[' {
        return None;
    }
    let close = format[i..].find(']').map(|c| i + c);
    match close {
        None => Some((0, bytes.len(), false)),
        Some(c) => {
            let (n, next) = digits(format, i + 1);
            if next != c || n == 0 || n > num_args {
                Some((0, c + 1, false))
            } else {
                Some((n - 1, c + 1, true))
            }
        }
    }
}

/// Decimal digits at `i`: (value, position after). Saturates instead of overflowing.
fn digits(format: &str, mut i: usize) -> (usize, usize) {
    let bytes = format.as_bytes();
    let mut n = 0usize;
    while i < bytes.len() && bytes[i].is_ascii_digit() {
        n = n
            .saturating_mul(10)
            .saturating_add(usize::from(bytes[i] - b'0'))
            .min(1_000_000);
        i += 1;
    }
    (n, i)
}

/// The integer of a `*` width or precision argument.
fn int_arg(v: &Value) -> Option<i64> {
    match v {
        Value::Int(i) | Value::Int64(i) => Some(*i),
        _ => None,
    }
}

/// Print one argument with a verb, as Go's `pp.printArg`.
fn print_arg(out: &mut String, v: &Value, verb: char, spec: &Spec) {
    if verb == 'T' {
        pad(out, &type_name(v), spec);
        return;
    }
    if verb == 'v' && spec.sharp_v {
        let mut go = String::new();
        go_syntax(&mut go, v, true);
        pad(out, &go, spec);
        return;
    }
    match v {
        Value::Nil => match verb {
            'v' => pad(out, "<nil>", spec),
            _ => bad_verb(out, v, verb, spec),
        },
        Value::Bool(b) => match verb {
            't' | 'v' => pad(out, if *b { "true" } else { "false" }, spec),
            _ => bad_verb(out, v, verb, spec),
        },
        Value::Int(i) | Value::Int64(i) => fmt_int(out, v, *i, verb, spec),
        Value::Float(f) => fmt_float_verb(out, v, *f, verb, spec),
        Value::String(s) => fmt_string(out, s, verb, spec),
        Value::List(items) => {
            out.push('[');
            for (k, item) in items.iter().enumerate() {
                if k > 0 {
                    out.push(' ');
                }
                print_elem(out, item, verb, spec);
            }
            out.push(']');
        }
        Value::Map(m) => {
            out.push_str("map[");
            for (k, (key, item)) in m.borrow().iter().enumerate() {
                if k > 0 {
                    out.push(' ');
                }
                fmt_string(out, key, verb, spec);
                out.push(':');
                print_elem(out, item, verb, spec);
            }
            out.push(']');
        }
        Value::Object(o) => match o.to_data() {
            Some(data) => print_arg(out, &data, verb, spec),
            None => pad(out, &o.fmt_go(), spec),
        },
    }
}

/// A list item or map value: nil prints as a bare `<nil>` whatever the verb.
fn print_elem(out: &mut String, item: &Value, verb: char, spec: &Spec) {
    if let Value::Nil = item {
        out.push_str("<nil>");
        return;
    }
    // Values built by template functions can nest arbitrarily deep.
    stacker::maybe_grow(64 * 1024, 1024 * 1024, || print_arg(out, item, verb, spec));
}

/// Go's `%#v`: the value in Go syntax (`map[string]interface {}{"a":1}`).
fn go_syntax(out: &mut String, v: &Value, top: bool) {
    match v {
        Value::Nil if top => out.push_str("<nil>"),
        Value::Nil => out.push_str("interface {}(nil)"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) | Value::Int64(i) => out.push_str(&i.to_string()),
        Value::Float(f) => out.push_str(&format_float(*f, 'g', None)),
        Value::String(s) => out.push_str(&quote(s)),
        Value::List(items) => {
            out.push_str("[]interface {}{");
            for (k, item) in items.iter().enumerate() {
                if k > 0 {
                    out.push_str(", ");
                }
                stacker::maybe_grow(64 * 1024, 1024 * 1024, || go_syntax(out, item, false));
            }
            out.push('}');
        }
        Value::Map(m) => {
            out.push_str("map[string]interface {}{");
            for (k, (key, item)) in m.borrow().iter().enumerate() {
                if k > 0 {
                    out.push_str(", ");
                }
                out.push_str(&quote(key));
                out.push(':');
                stacker::maybe_grow(64 * 1024, 1024 * 1024, || go_syntax(out, item, false));
            }
            out.push('}');
        }
        Value::Object(o) => match o.to_data() {
            Some(data) => go_syntax(out, &data, top),
            None => out.push_str(&o.fmt_go()),
        },
    }
}

/// Go's `%!verb(type=value)` for a verb the value's type does not accept.
/// The value is printed with `%v` under the verb's own flags, as Go does.
fn bad_verb(out: &mut String, v: &Value, verb: char, spec: &Spec) {
    out.push_str("%!");
    out.push(verb);
    out.push('(');
    if let Value::Nil = v {
        out.push_str("<nil>");
    } else {
        out.push_str(&type_name(v));
        out.push('=');
        print_arg(out, v, 'v', spec);
    }
    out.push(')');
}

/// Pad `s` to the width with spaces (or zeros with the `0` flag), left or right.
fn pad(out: &mut String, s: &str, spec: &Spec) {
    let Some(width) = spec.width else {
        out.push_str(s);
        return;
    };
    let len = s.chars().count();
    if len >= width {
        out.push_str(s);
        return;
    }
    let fill = if spec.zero && !spec.minus { '0' } else { ' ' };
    if spec.minus {
        out.push_str(s);
        out.extend(std::iter::repeat_n(' ', width - len));
    } else {
        out.extend(std::iter::repeat_n(fill, width - len));
        out.push_str(s);
    }
}

fn fmt_string(out: &mut String, s: &str, verb: char, spec: &Spec) {
    // Precision truncates the string to that many runes.
    let s = match spec.prec {
        Some(p) if matches!(verb, 'v' | 's' | 'q') => match s.char_indices().nth(p) {
            Some((end, _)) => &s[..end],
            None => s,
        },
        _ => s,
    };
    match verb {
        'v' | 's' => pad(out, s, spec),
        'q' => {
            let quoted = if spec.sharp && can_backquote(s) {
                format!("`{s}`")
            } else {
                if spec.plus {
                    quote_to_ascii(s)
                } else {
                    quote(s)
                }
            };
            pad(out, &quoted, spec);
        }
        'x' | 'X' => {
            let bytes = s.as_bytes();
            let bytes = match spec.prec {
                Some(p) if p < bytes.len() => &bytes[..p],
                _ => bytes,
            };
            let mut hex = String::new();
            for (k, b) in bytes.iter().enumerate() {
                if spec.space && k > 0 {
                    hex.push(' ');
                }
                if spec.sharp && (spec.space || k == 0) {
                    hex.push_str(if verb == 'x' { "0x" } else { "0X" });
                }
                if verb == 'x' {
                    hex.push_str(&format!("{b:02x}"));
                } else {
                    hex.push_str(&format!("{b:02X}"));
                }
            }
            pad(out, &hex, spec);
        }
        _ => bad_verb(out, &Value::str(s), verb, spec),
    }
}

fn fmt_int(out: &mut String, v: &Value, i: i64, verb: char, spec: &Spec) {
    match verb {
        'v' | 'd' => fmt_integer(out, i, 10, false, verb, spec),
        'b' => fmt_integer(out, i, 2, false, verb, spec),
        'o' | 'O' => fmt_integer(out, i, 8, false, verb, spec),
        'x' => fmt_integer(out, i, 16, false, verb, spec),
        'X' => fmt_integer(out, i, 16, true, verb, spec),
        'c' => pad(
            out,
            &char::from_u32(i as u32).unwrap_or('\u{FFFD}').to_string(),
            spec,
        ),
        'q' => {
            let c = u32::try_from(i)
                .ok()
                .and_then(char::from_u32)
                .unwrap_or('\u{FFFD}');
            pad(out, &quote_rune(c, spec.plus), spec);
        }
        'U' => {
            let mut s = format!("U+{:04X}", i);
            if spec.sharp
                && let Some(c) = u32::try_from(i).ok().and_then(char::from_u32)
                && is_print(c)
            {
                s.push_str(&format!(" '{c}'"));
            }
            pad(out, &s, spec);
        }
        _ => bad_verb(out, v, verb, spec),
    }
}

/// Go's `fmt.fmtInteger`: sign, base prefix, precision as minimum digits, zero padding.
fn fmt_integer(out: &mut String, i: i64, base: u32, upper: bool, verb: char, spec: &Spec) {
    let neg = i < 0;
    let mag = i.unsigned_abs();
    let mut digits = match base {
        2 => format!("{mag:b}"),
        8 => format!("{mag:o}"),
        16 if upper => format!("{mag:X}"),
        16 => format!("{mag:x}"),
        _ => mag.to_string(),
    };
    // Precision 0 with value 0 prints nothing but padding.
    if spec.prec == Some(0) && mag == 0 {
        digits.clear();
    }
    let mut min_digits = spec.prec.unwrap_or(0);
    // Zero padding fills the width when no precision is given.
    let zero_fill = spec.zero && !spec.minus && spec.prec.is_none();
    let mut prefix = String::new();
    if neg {
        prefix.push('-');
    } else if spec.plus {
        prefix.push('+');
    } else if spec.space {
        prefix.push(' ');
    }
    match (base, verb) {
        (8, 'O') => prefix.push_str("0o"),
        (8, _) if spec.sharp && !digits.starts_with('0') => prefix.push('0'),
        (16, _) if spec.sharp => prefix.push_str(if upper { "0X" } else { "0x" }),
        (2, _) if spec.sharp => prefix.push_str("0b"),
        _ => {}
    }
    if zero_fill && let Some(w) = spec.width {
        min_digits = min_digits.max(w.saturating_sub(prefix.len()));
    }
    let mut s = prefix;
    if digits.len() < min_digits {
        s.extend(std::iter::repeat_n('0', min_digits - digits.len()));
    }
    s.push_str(&digits);
    let no_zero = Spec {
        zero: false,
        ..*spec
    };
    pad(out, &s, &no_zero);
}

fn fmt_float_verb(out: &mut String, v: &Value, f: f64, verb: char, spec: &Spec) {
    let (conv, default_prec) = match verb {
        'v' => ('g', None),
        'g' | 'G' | 'b' | 'x' | 'X' => (verb, None),
        'e' | 'E' | 'f' => (verb, Some(6)),
        'F' => ('f', Some(6)),
        _ => {
            bad_verb(out, v, verb, spec);
            return;
        }
    };
    let prec = spec.prec.or(default_prec);
    let no_zero = Spec {
        zero: false,
        ..*spec
    };
    if f.is_nan() {
        // NaN shows a sign only when asked for, and is never zero padded.
        let sign = if spec.plus {
            "+"
        } else if spec.space {
            " "
        } else {
            ""
        };
        pad(out, &format!("{sign}NaN"), &no_zero);
        return;
    }
    if f.is_infinite() {
        let sign = if f < 0.0 {
            "-"
        } else if spec.space && !spec.plus {
            " "
        } else {
            "+"
        };
        pad(out, &format!("{sign}Inf"), &no_zero);
        return;
    }
    let mut num = format_float(f, conv, prec);
    if spec.sharp && conv != 'b' {
        num = sharp_float(&num, conv, spec.prec);
    }
    let (sign, body) = match num.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None if spec.plus => ("+", num.as_str()),
        None if spec.space => (" ", num.as_str()),
        None => ("", num.as_str()),
    };
    if spec.zero
        && !spec.minus
        && let Some(w) = spec.width
    {
        let len = sign.len() + body.len();
        if w > len {
            out.push_str(sign);
            out.extend(std::iter::repeat_n('0', w - len));
            out.push_str(body);
            return;
        }
    }
    pad(out, &format!("{sign}{body}"), spec);
}

/// Go's `#` flag on floats: always a decimal point, and for `%g`/`%v`
/// trailing zeros up to the precision (6 by default): `3.00000`, `1.00000e+06`.
fn sharp_float(num: &str, conv: char, prec: Option<usize>) -> String {
    let (sign, body) = match num.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", num),
    };
    // Go counts 'x' but not 'X' here.
    let mut digits: i64 = match conv {
        'g' | 'G' | 'x' => prec.map_or(6, |p| p as i64),
        _ => 0,
    };
    let exponent_marks: &[char] = if matches!(conv, 'x' | 'X') {
        &['p', 'P']
    } else {
        &['e', 'E', 'p', 'P']
    };
    let (mut mantissa, tail) = match body.find(exponent_marks) {
        Some(i) => (body[..i].to_string(), &body[i..]),
        None => (body.to_string(), ""),
    };
    let mut saw_nonzero = false;
    for c in mantissa.chars() {
        if c == '.' {
            continue;
        }
        saw_nonzero |= c != '0';
        if saw_nonzero {
            digits -= 1;
        }
    }
    if !mantissa.contains('.') {
        // A lone leading zero counts as one digit.
        if mantissa == "0" {
            digits -= 1;
        }
        mantissa.push('.');
    }
    for _ in 0..digits.max(0) {
        mantissa.push('0');
    }
    format!("{sign}{mantissa}{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::rc::Rc;

    fn i(v: i64) -> Value {
        Value::Int(v)
    }
    fn f(v: f64) -> Value {
        Value::Float(v)
    }
    fn s(v: &str) -> Value {
        Value::str(v)
    }

    #[test]
    fn floats_print_as_go_shortest_g() {
        for (x, want) in [
            (1e6, "1e+06"),
            (3.25, "3.25"),
            (1e-5, "1e-05"),
            (100000.0, "100000"),
            (0.0001, "0.0001"),
            (123456789.0, "1.23456789e+08"),
            (1.0, "1"),
            (0.0, "0"),
            (-2.5, "-2.5"),
            (1e21, "1e+21"),
            (f64::INFINITY, "+Inf"),
            (f64::NAN, "NaN"),
        ] {
            assert_eq!(format_value(&f(x)), want, "{x}");
        }
    }

    #[test]
    fn float_verbs_with_precision() {
        assert_eq!(sprintf("%f", &[f(1.23456)]), "1.234560");
        assert_eq!(sprintf("%.2f", &[f(1.23456)]), "1.23");
        assert_eq!(sprintf("%e", &[f(1234.5678)]), "1.234568e+03");
        assert_eq!(sprintf("%E", &[f(0.000123)]), "1.230000E-04");
        assert_eq!(sprintf("%g", &[f(1e6)]), "1e+06");
        assert_eq!(sprintf("%.3g", &[f(1.0)]), "1");
        assert_eq!(sprintf("%.3g", &[f(1234.0)]), "1.23e+03");
        assert_eq!(sprintf("%8.2f|", &[f(1.23456)]), "    1.23|");
        assert_eq!(sprintf("%-8.2f|", &[f(1.23456)]), "1.23    |");
        assert_eq!(sprintf("%08.2f", &[f(-1.23456)]), "-0001.23");
        assert_eq!(sprintf("%+.1f", &[f(2.0)]), "+2.0");
    }

    #[test]
    fn integers_with_flags() {
        assert_eq!(sprintf("%d", &[i(42)]), "42");
        assert_eq!(
            sprintf("%5d|%-5d|%05d", &[i(42), i(42), i(-42)]),
            "   42|42   |-0042"
        );
        assert_eq!(
            sprintf("%x %X %o %b %O", &[i(255), i(255), i(8), i(5), i(8)]),
            "ff FF 10 101 0o10"
        );
        assert_eq!(sprintf("%#x %#o %+d", &[i(255), i(8), i(3)]), "0xff 010 +3");
        assert_eq!(
            sprintf("%c %q %U", &[i(65), i(65), i(0x1F600)]),
            "A 'A' U+1F600"
        );
        assert_eq!(sprintf("%.3d", &[i(7)]), "007");
    }

    #[test]
    fn strings_and_quoting() {
        assert_eq!(
            sprintf("%s|%q|%x|%X", &[s("hi"), s("a\"b\n"), s("hi"), s("hi")]),
            "hi|\"a\\\"b\\n\"|6869|6869"
        );
        assert_eq!(
            sprintf("%.2s|%5s|%-5s|", &[s("hello"), s("ab"), s("ab")]),
            "he|   ab|ab   |"
        );
        assert_eq!(sprintf("%#q", &[s("a\"b")]), "`a\"b`");
        assert_eq!(quote("\u{7f}é\u{a0}"), "\"\\x7fé\\u00a0\"");
    }

    #[test]
    fn bad_verbs_missing_and_extra() {
        assert_eq!(sprintf("%d", &[s("x")]), "%!d(string=x)");
        assert_eq!(sprintf("%s", &[i(5)]), "%!s(int=5)");
        assert_eq!(sprintf("%d", &[f(8080.0)]), "%!d(float64=8080)");
        assert_eq!(sprintf("%d", &[Value::Nil]), "%!d(<nil>)");
        assert_eq!(sprintf("%d %d", &[i(1)]), "1 %!d(MISSING)");
        assert_eq!(
            sprintf("%d", &[i(1), s("x"), Value::Nil]),
            "1%!(EXTRA string=x, <nil>)"
        );
        assert_eq!(sprintf("100%%", &[]), "100%");
        assert_eq!(sprintf("%", &[]), "%!(NOVERB)");
        assert_eq!(sprintf("%[2]d %[1]d", &[i(1), i(2)]), "2 1");
        assert_eq!(sprintf("%*d", &[i(4), i(7)]), "   7");
        assert_eq!(sprintf("%*d", &[i(1 << 40), i(7)]), "%!(BADWIDTH)7");
        assert_eq!(sprintf("%.*d", &[i(-1), i(7)]), "%!(BADPREC)7");
        assert_eq!(sprintf("%[3]d", &[i(1)]), "%!d(BADINDEX)");
        // A bad verb prints the value with %v under the verb's own flags.
        assert_eq!(
            sprintf("%8.3f|%05d|%.2s", &[i(1), s("a"), f(1.23456)]),
            "%!f(int=     001)|%!d(string=0000a)|%!s(float64=1.2)"
        );
        assert_eq!(
            sprintf("%#o|%#g", &[f(3.0), f(1e6)]),
            "%!o(float64=3.00000)|1.00000e+06"
        );
        assert_eq!(
            sprintf("%x|%X|%#x|%.1x", &[f(1e6), f(-2.5), f(2.5), f(0.1)]),
            "0x1.e848p+19|-0X1.4P+01|0x1.4000p+01|0x1.ap-04"
        );
        // Nested nil prints bare; %+v does not sign numbers.
        assert_eq!(
            sprintf("%d|%+v", &[Value::list(vec![Value::Nil]), i(1)]),
            "[<nil>]|1"
        );
    }

    #[test]
    fn composite_values() {
        let mut m = crate::value::Map::new();
        m.insert("b".into(), i(2));
        m.insert("a".into(), Value::Nil);
        let list = Value::list(vec![i(1), s("x"), f(1.5)]);
        assert_eq!(format_value(&Value::map(m)), "map[a:<nil> b:2]");
        assert_eq!(format_value(&list), "[1 x 1.5]");
        assert_eq!(
            sprintf("%d", &[Value::list(vec![i(1), s("x")])]),
            "[1 %!d(string=x)]"
        );
        assert_eq!(
            sprintf("%q", &[Value::list(vec![s("a"), s("b")])]),
            "[\"a\" \"b\"]"
        );
        assert_eq!(
            sprintf("%T %T %T", &[list, Value::Nil, f(1.0)]),
            "[]interface {} <nil> float64"
        );
    }

    #[test]
    fn sharp_v_prints_go_syntax() {
        let mut m = crate::value::Map::new();
        m.insert(
            "a".into(),
            Value::list(vec![i(1), s("x"), Value::Nil, f(1.5)]),
        );
        assert_eq!(
            sprintf("%#v|%#v|%#v", &[Value::map(m), s("q\""), Value::Nil]),
            "map[string]interface {}{\"a\":[]interface {}{1, \"x\", interface {}(nil), 1.5}}|\"q\\\"\"|<nil>"
        );
    }

    #[test]
    fn deeply_nested_values_print_without_overflowing_the_stack() {
        let mut v = Value::Nil;
        for _ in 0..20_000 {
            v = Value::list(vec![v]);
        }
        let printed = format_value(&v);
        assert!(printed.starts_with("[[[") && printed.contains("<nil>"));
        // Dropping is recursive too: unwind the nesting iteratively.
        while let Value::List(l) = v {
            v = Rc::try_unwrap(l)
                .map(|mut items| items.pop().unwrap_or_default())
                .unwrap_or_default();
        }
    }

    #[test]
    fn sprint_spacing_follows_go() {
        assert_eq!(sprint(&[i(1), i(2)]), "1 2");
        assert_eq!(sprint(&[s("a"), i(1), s("b")]), "a1b");
        assert_eq!(sprint(&[s("a"), s("b")]), "ab");
        assert_eq!(sprint(&[i(1), Value::Nil]), "1 <nil>");
        assert_eq!(sprintln(&[s("a"), s("b"), i(3)]), "a b 3\n");
    }
}
