//! Go's `strconv`: literals (`Unquote`) and numbers (`ParseInt`,
//! `ParseUint`, `ParseFloat`, `ParseBool`) with Go's syntax: base prefixes
//! (`0x`, `0o`, `0b`, a leading `0` for octal), `_` between digits where Go
//! allows it, and hexadecimal floats (`0x1.8p3`).

use std::borrow::Cow;

/// Why a number did not parse (Go's `strconv.ErrSyntax` / `ErrRange`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NumError {
    /// Not a number in the syntax asked for.
    Syntax,
    /// A number, but out of the type's range.
    Range,
}

impl NumError {
    /// Go's `*strconv.NumError` text for function `func` (`Atoi`,
    /// `ParseBool`) given `num`: `strconv.Atoi: parsing "x": invalid syntax`.
    pub fn message(self, func: &str, num: &str) -> String {
        let why = match self {
            NumError::Syntax => "invalid syntax",
            NumError::Range => "value out of range",
        };
        format!("strconv.{func}: parsing {}: {why}", quote(num))
    }
}

/// Go's `strconv.Unquote` for `"..."`, `` `...` `` and `'.'` literals.
/// Bytes that are not UTF-8 (`"\xff"`) become U+FFFD.
pub fn unquote(s: &str) -> Option<String> {
    unquote_cow(s).map(Cow::into_owned)
}

/// [`unquote`], borrowing the text between the quotes when nothing in it
/// needs rewriting (most string constants in templates).
pub fn unquote_cow(s: &str) -> Option<Cow<'_, str>> {
    let bytes = s.as_bytes();
    if bytes.len() >= 2 && bytes[0] == bytes[bytes.len() - 1] {
        let body = &s[1..s.len() - 1];
        // By byte: the characters looked for are ASCII.
        let plain = match bytes[0] {
            b'"' => !body.bytes().any(|b| matches!(b, b'"' | b'\\' | b'\n')),
            b'`' => !body.bytes().any(|b| matches!(b, b'`' | b'\r')),
            _ => false,
        };
        if plain {
            return Some(Cow::Borrowed(body));
        }
    }
    unquote_slow(s).map(Cow::Owned)
}

fn push_char(out: &mut Vec<u8>, c: char) {
    let mut buf = [0u8; 4];
    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
}

fn unquote_slow(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    if bytes.len() < 2 {
        return None;
    }
    let q = bytes[0];
    if bytes[bytes.len() - 1] != q {
        return None;
    }
    let body = &s[1..s.len() - 1];
    match q {
        b'`' => {
            if body.contains('`') {
                return None;
            }
            Some(body.replace('\r', ""))
        }
        b'"' | b'\'' => {
            let mut out: Vec<u8> = Vec::with_capacity(body.len());
            let mut chars = body.chars();
            let mut count = 0;
            while let Some(c) = chars.next() {
                count += 1;
                if (c == '"' && q == b'"') || c == '\n' {
                    return None;
                }
                if c != '\\' {
                    push_char(&mut out, c);
                    continue;
                }
                let e = chars.next()?;
                match e {
                    'a' => out.push(7),
                    'b' => out.push(8),
                    'f' => out.push(12),
                    'n' => out.push(b'\n'),
                    'r' => out.push(b'\r'),
                    't' => out.push(b'\t'),
                    'v' => out.push(11),
                    '\\' => out.push(b'\\'),
                    '\'' if q == b'\'' => out.push(b'\''),
                    '"' if q == b'"' => out.push(b'"'),
                    'x' | 'u' | 'U' => {
                        let n = match e {
                            'x' => 2,
                            'u' => 4,
                            _ => 8,
                        };
                        let mut v: u32 = 0;
                        for _ in 0..n {
                            v = v * 16 + chars.next()?.to_digit(16)?;
                        }
                        // In a string `\x` is a byte; in a rune literal, a code point.
                        if e == 'x' && q == b'"' {
                            out.push(v as u8);
                        } else {
                            push_char(&mut out, char::from_u32(v)?);
                        }
                    }
                    '0'..='7' => {
                        let mut v: u32 = e.to_digit(8)?;
                        for _ in 0..2 {
                            v = v * 8 + chars.next()?.to_digit(8)?;
                        }
                        if v > 255 {
                            return None;
                        }
                        if q == b'\'' {
                            push_char(&mut out, char::from_u32(v)?);
                        } else {
                            out.push(v as u8);
                        }
                    }
                    _ => return None,
                }
            }
            if q == b'\'' && count != 1 {
                return None;
            }
            Some(match String::from_utf8(out) {
                Ok(s) => s,
                Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
            })
        }
        _ => None,
    }
}

/// Go's `strconv.ParseBool`.
pub fn parse_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Some(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Some(false),
        _ => None,
    }
}

/// Go's `strconv.Quote`: a double-quoted Go string literal.
pub fn quote(s: &str) -> String {
    quote_with(s, false)
}

/// Go's `strconv.QuoteToASCII`: [`quote`] with every non-ASCII character escaped.
pub fn quote_to_ascii(s: &str) -> String {
    quote_with(s, true)
}

fn quote_with(s: &str, ascii: bool) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    // A byte that is not UTF-8 is written as `\xNN`, as Go writes it.
    crate::bytestring::for_each_rune(s, |r| match r {
        Ok(c) => push_escaped(&mut out, c, '"', ascii),
        Err(b) => out.push_str(&format!("\\x{b:02x}")),
    });
    out.push('"');
    out
}

/// Go's `strconv.QuoteRune`, or `QuoteRuneToASCII` when `ascii` is set.
pub fn quote_rune(c: char, ascii: bool) -> String {
    let mut out = String::from("'");
    push_escaped(&mut out, c, '\'', ascii);
    out.push('\'');
    out
}

fn push_escaped(out: &mut String, c: char, quote: char, ascii: bool) {
    if c == quote || c == '\\' {
        out.push('\\');
        out.push(c);
        return;
    }
    if ascii {
        if (c as u32) < 0x80 && is_print(c) {
            out.push(c);
            return;
        }
    } else if is_print(c) {
        out.push(c);
        return;
    }
    match c {
        '\u{7}' => out.push_str("\\a"),
        '\u{8}' => out.push_str("\\b"),
        '\u{c}' => out.push_str("\\f"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\u{b}' => out.push_str("\\v"),
        c if (c as u32) < 0x20 || c == '\u{7f}' => out.push_str(&format!("\\x{:02x}", c as u32)),
        c if (c as u32) < 0x10000 => out.push_str(&format!("\\u{:04x}", c as u32)),
        c => out.push_str(&format!("\\U{:08x}", c as u32)),
    }
}

/// An approximation of Go's `unicode.IsPrint` (what `strconv.Quote` keeps
/// as is): graphic characters and the ASCII space; other spaces, controls
/// and format characters are not.
pub fn is_print(c: char) -> bool {
    if c == ' ' {
        return true;
    }
    if c.is_control() || c.is_whitespace() {
        return false;
    }
    let u = c as u32;
    // Format characters (Cf), private use, and noncharacters.
    !matches!(u,
        0xAD | 0x600..=0x605 | 0x61C | 0x6DD | 0x70F | 0x180E | 0x200B..=0x200F | 0x202A..=0x202E
        | 0x2060..=0x206F | 0xFEFF | 0xFFF9..=0xFFFB | 0xE000..=0xF8FF | 0xFFFE | 0xFFFF
        | 0xF0000..=0x10FFFF)
}

/// Go's `strconv.CanBackquote`: whether `s` can be written as a raw string.
pub fn can_backquote(s: &str) -> bool {
    s.chars()
        .all(|c| c != '`' && c != '\u{FEFF}' && (c == '\t' || !c.is_control()))
}

/// Go's underscore rule (`underscoreOK`): `_` only between digits, or
/// right after a base prefix, never last.
fn underscores_ok(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        i += 1;
    }
    let mut hex = false;
    // What came before: '^' the start, '0' a digit or base prefix, '_', '!' anything else.
    let mut saw = b'^';
    if b.len() >= i + 2 && b[i] == b'0' && matches!(b[i + 1] | 0x20, b'x' | b'b' | b'o') {
        hex = b[i + 1] | 0x20 == b'x';
        i += 2;
        saw = b'0';
    }
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_digit() || (hex && c.is_ascii_hexdigit()) {
            saw = b'0';
        } else if c == b'_' {
            if saw != b'0' {
                return false;
            }
            saw = b'_';
        } else {
            if saw == b'_' {
                return false;
            }
            saw = b'!';
        }
        i += 1;
    }
    saw != b'_'
}

/// Go's `strconv.ParseUint(s, base, 64)`. `base` 0 reads the base from the
/// prefix (`0x`, `0o`, `0b`, a leading `0` for octal, else decimal) and
/// allows `_` between digits; other bases are 2 to 36. No sign is accepted.
pub fn parse_uint(s: &str, base: u32) -> Result<u64, NumError> {
    if s.is_empty() || !(base == 0 || (2..=36).contains(&base)) {
        return Err(NumError::Syntax);
    }
    let base0 = base == 0;
    let (base, digits) = if base0 {
        let b = s.as_bytes();
        if b[0] != b'0' {
            (10, s)
        } else if b.len() >= 3 && b[1] | 0x20 == b'b' {
            (2, &s[2..])
        } else if b.len() >= 3 && b[1] | 0x20 == b'o' {
            (8, &s[2..])
        } else if b.len() >= 3 && b[1] | 0x20 == b'x' {
            (16, &s[2..])
        } else {
            (8, &s[1..])
        }
    } else {
        (base, s)
    };
    let mut n: u64 = 0;
    let mut underscores = false;
    let mut range = false;
    for c in digits.bytes() {
        let d = match c {
            b'_' if base0 => {
                underscores = true;
                continue;
            }
            b'0'..=b'9' => u32::from(c - b'0'),
            _ if c.is_ascii_alphabetic() => u32::from((c | 0x20) - b'a') + 10,
            _ => return Err(NumError::Syntax),
        };
        if d >= base {
            return Err(NumError::Syntax);
        }
        // Go keeps reading after an overflow: a later bad digit is a syntax error.
        match n
            .checked_mul(u64::from(base))
            .and_then(|m| m.checked_add(u64::from(d)))
        {
            Some(v) if !range => n = v,
            _ => range = true,
        }
    }
    if underscores && !underscores_ok(s) {
        return Err(NumError::Syntax);
    }
    if range {
        return Err(NumError::Range);
    }
    Ok(n)
}

/// Go's `strconv.Atoi` (on a 64-bit platform): `ParseInt(s, 10, 64)`.
pub fn atoi(s: &str) -> Result<i64, NumError> {
    parse_int(s, 10)
}

/// Go's `strconv.ParseInt(s, base, 64)`: an optional sign, then
/// [`parse_uint`]'s syntax.
pub fn parse_int(s: &str, base: u32) -> Result<i64, NumError> {
    let (neg, body) = match s.as_bytes().first() {
        None => return Err(NumError::Syntax),
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        Some(_) => (false, s),
    };
    let magnitude = parse_uint(body, base)?;
    if neg {
        if magnitude > 1u64 << 63 {
            return Err(NumError::Range);
        }
        Ok((magnitude as i64).wrapping_neg())
    } else {
        i64::try_from(magnitude).map_err(|_| NumError::Range)
    }
}

/// Go's `strconv.ParseFloat(s, 64)`: decimal and hexadecimal (`0x1.8p3`)
/// floats, `_` between digits, `inf`/`infinity`/`nan` in any case. A
/// number too large for a float64 is a range error (Go returns ±Inf with
/// it), one too small rounds to zero.
pub fn parse_float(s: &str) -> Result<f64, NumError> {
    let (neg, body) = match s.as_bytes().first() {
        None => return Err(NumError::Syntax),
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        Some(_) => (false, s),
    };
    let special = match body.to_ascii_lowercase().as_str() {
        "inf" | "infinity" => Some(f64::INFINITY),
        "nan" => Some(f64::NAN),
        _ => None,
    };
    if let Some(v) = special {
        return Ok(if neg { -v } else { v });
    }
    if body.contains('_') && !underscores_ok(s) {
        return Err(NumError::Syntax);
    }
    let clean: Cow<'_, str> = if body.contains('_') {
        Cow::Owned(body.replace('_', ""))
    } else {
        Cow::Borrowed(body)
    };
    let v = if let Some(hex) = clean
        .strip_prefix("0x")
        .or_else(|| clean.strip_prefix("0X"))
    {
        parse_hex_float(hex).ok_or(NumError::Syntax)?
    } else {
        // Rust's float syntax is wider (it takes `inf` and `nan`, handled above).
        let shape_ok = clean
            .bytes()
            .next()
            .is_some_and(|c| c.is_ascii_digit() || c == b'.')
            && clean
                .bytes()
                .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-'));
        if !shape_ok {
            return Err(NumError::Syntax);
        }
        clean.parse::<f64>().map_err(|_| NumError::Syntax)?
    };
    if v.is_infinite() {
        return Err(NumError::Range);
    }
    Ok(if neg { -v } else { v })
}

/// A hex float after its `0x`: mantissa `h.hhh` and a mandatory `p`
/// exponent, rounded to nearest even as Go rounds it.
fn parse_hex_float(s: &str) -> Option<f64> {
    let (mant, exp) = s.split_once(['p', 'P'])?;
    let (exp_neg, exp_digits) = match exp.as_bytes().first()? {
        b'-' => (true, &exp[1..]),
        b'+' => (false, &exp[1..]),
        _ => (false, exp),
    };
    if exp_digits.is_empty() || !exp_digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // Saturating: any exponent past this overflows or underflows anyway.
    let exp = exp_digits
        .bytes()
        .fold(0i64, |v, b| (v * 10 + i64::from(b - b'0')).min(100_000));
    let mut e2 = if exp_neg { -exp } else { exp };
    let (int, frac) = mant.split_once('.').unwrap_or((mant, ""));
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    // Up to 60 bits of mantissa; the digits past them only matter for
    // rounding, so they set a sticky low bit.
    let mut m: u64 = 0;
    let mut sticky = false;
    for (c, fractional) in int
        .chars()
        .map(|c| (c, false))
        .chain(frac.chars().map(|c| (c, true)))
    {
        let d = u64::from(c.to_digit(16)?);
        if m >> 56 == 0 {
            m = m * 16 + d;
            if fractional {
                e2 -= 4;
            }
        } else {
            sticky |= d != 0;
            if !fractional {
                e2 += 4;
            }
        }
    }
    if sticky {
        m |= 1;
    }
    let mut v = m as f64;
    while e2 > 0 && v.is_finite() {
        let step = e2.min(1000);
        v *= 2f64.powi(step as i32);
        e2 -= step;
    }
    while e2 < 0 && v != 0.0 {
        let step = (-e2).min(1000);
        v *= 2f64.powi(-(step as i32));
        e2 += step;
    }
    Some(v)
}

/// Go's `strconv.FormatFloat(f, fmt, prec, 64)` for `fmt` in `e E f g G b`;
/// `prec` `None` is Go's `-1` (the shortest representation that round-trips).
pub fn format_float(f: f64, fmt: char, prec: Option<usize>) -> String {
    if f.is_nan() {
        return "NaN".to_string();
    }
    if f.is_infinite() {
        return if f > 0.0 {
            "+Inf".to_string()
        } else {
            "-Inf".to_string()
        };
    }
    if fmt == 'x' || fmt == 'X' {
        return format_hex_float(f, fmt, prec);
    }
    if fmt == 'b' {
        // Go's binary exponent form: mantissa "p" exponent.
        let bits = f.to_bits();
        let neg = bits >> 63 != 0;
        let exp = ((bits >> 52) & 0x7ff) as i64;
        let mut mant = bits & ((1u64 << 52) - 1);
        let e = if exp == 0 {
            -1074
        } else {
            mant |= 1u64 << 52;
            exp - 1075
        };
        return format!(
            "{}{}p{}{}",
            if neg { "-" } else { "" },
            mant,
            if e >= 0 { "+" } else { "-" },
            e.abs()
        );
    }
    let neg = f.is_sign_negative();
    let a = f.abs();
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    match (fmt, prec) {
        ('f', Some(p)) => out.push_str(&format!("{a:.p$}")),
        ('e' | 'E', Some(p)) => {
            let d = Digits::fixed(a, p + 1);
            fmt_e(&mut out, &d, p, fmt);
        }
        ('f', None) => {
            let d = Digits::shortest(a);
            let p = (d.digits.len() as i64 - d.dp).max(0) as usize;
            fmt_f(&mut out, &d, p);
        }
        ('e' | 'E', None) => {
            let d = Digits::shortest(a);
            fmt_e(&mut out, &d, d.digits.len() - 1, fmt);
        }
        (_, _) => {
            // 'g' / 'G'
            let shortest = prec.is_none();
            let (d, mut p) = match prec {
                None => {
                    let d = Digits::shortest(a);
                    let n = d.digits.len();
                    (d, n)
                }
                Some(p) => {
                    let p = p.max(1);
                    (Digits::fixed(a, p).trimmed(), p)
                }
            };
            let nd = d.digits.len();
            let mut eprec = p as i64;
            if eprec > nd as i64 && nd as i64 >= d.dp {
                eprec = nd as i64;
            }
            if shortest {
                eprec = 6;
            }
            let exp = d.dp - 1;
            let e_char = if fmt == 'G' { 'E' } else { 'e' };
            if exp < -4 || exp >= eprec {
                if p > nd {
                    p = nd;
                }
                fmt_e(&mut out, &d, p - 1, e_char);
            } else {
                if p as i64 > d.dp {
                    p = nd;
                }
                fmt_f(&mut out, &d, (p as i64 - d.dp).max(0) as usize);
            }
        }
    }
    out
}

/// Go's `strconv` `'x'` format: `[-]0x1.hhhhp±dd`, shortest or rounded to `prec` hex digits.
fn format_hex_float(f: f64, fmt: char, prec: Option<usize>) -> String {
    let bits = f.to_bits();
    let neg = bits >> 63 != 0;
    let biased = ((bits >> 52) & 0x7ff) as i64;
    let mut mant = bits & ((1u64 << 52) - 1);
    let mut exp = if biased == 0 {
        1 - 1023
    } else {
        mant |= 1u64 << 52;
        biased - 1023
    };
    if mant == 0 {
        exp = 0;
    }
    // Put the leading 1 (if any) at bit 60.
    mant <<= 60 - 52;
    while mant != 0 && mant & (1 << 60) == 0 {
        mant <<= 1;
        exp -= 1;
    }
    if let Some(p) = prec.filter(|&p| p < 15) {
        let shift = (p * 4) as u32;
        let extra = (mant << shift) & ((1u64 << 60) - 1);
        mant >>= 60 - shift;
        if extra | (mant & 1) > 1 << 59 {
            mant += 1;
        }
        mant <<= 60 - shift;
        if mant & (1 << 61) != 0 {
            mant >>= 1;
            exp += 1;
        }
    }
    let upper = fmt == 'X';
    let hex = |d: u64| {
        let c = char::from_digit(d as u32, 16).unwrap_or('0');
        if upper { c.to_ascii_uppercase() } else { c }
    };
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    out.push('0');
    out.push(fmt);
    out.push(if (mant >> 60) & 1 == 1 { '1' } else { '0' });
    mant <<= 4;
    match prec {
        None if mant != 0 => {
            out.push('.');
            while mant != 0 {
                out.push(hex((mant >> 60) & 15));
                mant <<= 4;
            }
        }
        Some(p) if p > 0 => {
            out.push('.');
            for _ in 0..p {
                out.push(hex((mant >> 60) & 15));
                mant <<= 4;
            }
        }
        _ => {}
    }
    out.push(if upper { 'P' } else { 'p' });
    out.push(if exp < 0 { '-' } else { '+' });
    let e = exp.unsigned_abs();
    if e < 10 {
        out.push('0');
    }
    out.push_str(&e.to_string());
    out
}

/// Decimal digits of a non-negative float: `0.digits × 10^dp`.
struct Digits {
    digits: Vec<u8>,
    dp: i64,
}

impl Digits {
    /// The shortest digits that round-trip (Rust's `{:e}` computes them).
    fn shortest(a: f64) -> Digits {
        Self::parse(&format!("{a:e}"))
    }
    /// Exactly `n` significant digits, correctly rounded.
    fn fixed(a: f64, n: usize) -> Digits {
        Self::parse(&format!("{a:.prec$e}", prec = n.saturating_sub(1)))
    }
    fn parse(s: &str) -> Digits {
        let (mant, exp) = s.split_once('e').unwrap_or((s, "0"));
        let digits: Vec<u8> = mant.bytes().filter(u8::is_ascii_digit).collect();
        let exp: i64 = exp.parse().unwrap_or(0);
        if digits.iter().all(|&d| d == b'0') {
            return Digits {
                digits: vec![b'0'],
                dp: 1,
            }
            .zero();
        }
        Digits {
            digits,
            dp: exp + 1,
        }
    }
    /// Go represents zero with no digits and decimal point 0.
    fn zero(self) -> Digits {
        Digits {
            digits: Vec::new(),
            dp: 0,
        }
    }
    /// Drop trailing zeros, as Go's decimal rounding does.
    fn trimmed(mut self) -> Digits {
        while self.digits.last() == Some(&b'0') {
            self.digits.pop();
        }
        self
    }
    fn at(&self, i: i64) -> char {
        if i >= 0 && (i as usize) < self.digits.len() {
            self.digits[i as usize] as char
        } else {
            '0'
        }
    }
}

/// Go's `strconv.fmtE`: `d.ddde±dd`.
fn fmt_e(out: &mut String, d: &Digits, prec: usize, e_char: char) {
    out.push(d.at(0));
    if prec > 0 {
        out.push('.');
        for i in 1..=prec {
            out.push(d.at(i as i64));
        }
    }
    out.push(if e_char == 'E' { 'E' } else { 'e' });
    let exp = if d.digits.is_empty() { 0 } else { d.dp - 1 };
    out.push(if exp < 0 { '-' } else { '+' });
    let exp = exp.abs();
    if exp < 10 {
        out.push('0');
    }
    out.push_str(&exp.to_string());
}

/// Go's `strconv.fmtF`: `ddd.ddd`.
fn fmt_f(out: &mut String, d: &Digits, prec: usize) {
    if d.dp > 0 {
        for i in 0..d.dp {
            out.push(d.at(i));
        }
    } else {
        out.push('0');
    }
    if prec > 0 {
        out.push('.');
        for i in 1..=prec as i64 {
            out.push(d.at(d.dp + i - 1));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unquotes_go_literals() {
        assert_eq!(
            unquote("\"a\\tb\\u00e9\\x41\\101\"").as_deref(),
            Some("a\tbéAA")
        );
        assert_eq!(unquote("`a\r\nb`").as_deref(), Some("a\nb"));
        assert_eq!(unquote("'\\''").as_deref(), Some("'"));
        assert!(unquote("\"\\q\"").is_none());
        assert!(
            unquote("'ab'").is_none(),
            "a rune literal holds one character"
        );
        assert!(unquote("\"a\nb\"").is_none());
        assert_eq!(
            unquote("'\\xe9'").as_deref(),
            Some("é"),
            "in a rune, \\x is a code point"
        );
        assert_eq!(unquote("\"\\xff\"").as_deref(), Some("\u{fffd}"));
        assert!(matches!(
            unquote_cow("\"plain\""),
            Some(Cow::Borrowed("plain"))
        ));
    }

    #[test]
    fn ints_take_go_prefixes_and_underscores() {
        assert_eq!(parse_int("0x1F", 0), Ok(31));
        assert_eq!(parse_int("0o17", 0), Ok(15));
        assert_eq!(parse_int("017", 0), Ok(15));
        assert_eq!(parse_int("-0b101", 0), Ok(-5));
        assert_eq!(parse_int("1_000", 0), Ok(1000));
        assert_eq!(parse_int("0x_1F", 0), Ok(31));
        assert_eq!(parse_int("0", 0), Ok(0));
        assert_eq!(parse_int("-9223372036854775808", 0), Ok(i64::MIN));
        assert_eq!(parse_int("9223372036854775808", 0), Err(NumError::Range));
        for bad in [
            "", "+", "0x", "0x_", "1__0", "_1", "1_", "08", "0b2", "1_000x",
        ] {
            assert_eq!(parse_int(bad, 0), Err(NumError::Syntax), "{bad:?}");
        }
        assert_eq!(
            parse_int("1_000", 10),
            Err(NumError::Syntax),
            "underscores need base 0"
        );
        assert_eq!(parse_int("012", 10), Ok(12));
        assert_eq!(parse_int("0777", 8), Ok(511));
        assert_eq!(parse_int("-17", 8), Ok(-15));
        assert_eq!(parse_int("8", 8), Err(NumError::Syntax));
        assert_eq!(parse_int("zz", 36), Ok(1295));
        assert_eq!(parse_uint("18446744073709551615", 0), Ok(u64::MAX));
        assert_eq!(parse_uint("18446744073709551616", 0), Err(NumError::Range));
        assert_eq!(
            parse_uint("+5", 0),
            Err(NumError::Syntax),
            "ParseUint takes no sign"
        );
    }

    #[test]
    fn floats_take_go_syntax() {
        assert_eq!(parse_float("1e3"), Ok(1000.0));
        assert_eq!(parse_float(".5"), Ok(0.5));
        assert_eq!(parse_float("1_000.5"), Ok(1000.5));
        assert_eq!(parse_float("0x1.8p1"), Ok(3.0));
        assert_eq!(parse_float("0x1p-2"), Ok(0.25));
        assert_eq!(parse_float("-0x.8p0"), Ok(-0.5));
        // 2^53 + 1 needs 54 bits: rounds to even, as Go does.
        assert_eq!(parse_float("0x20000000000001p0"), Ok(9007199254740992.0));
        assert_eq!(parse_float("0x20000000000003p0"), Ok(9007199254740996.0));
        assert_eq!(parse_float("1e999"), Err(NumError::Range));
        assert_eq!(parse_float("-Inf"), Ok(f64::NEG_INFINITY));
        assert!(parse_float("nan").is_ok_and(f64::is_nan));
        for bad in ["", "1e", "0x1", "0x1.8", "1__0", "e5", "1.2.3", "0xp1"] {
            assert_eq!(parse_float(bad), Err(NumError::Syntax), "{bad:?}");
        }
    }

    #[test]
    fn quotes_as_go() {
        assert_eq!(
            quote("a\"b\\\n\u{7f}é\u{200b}"),
            "\"a\\\"b\\\\\\n\\x7fé\\u200b\""
        );
        assert_eq!(quote_to_ascii("é😀"), "\"\\u00e9\\U0001f600\"");
        assert_eq!(quote_rune('\'', false), "'\\''");
        assert!(can_backquote("a\tb") && !can_backquote("a`b") && !can_backquote("a\nb"));
    }

    #[test]
    fn atoi_and_error_texts_as_go() {
        assert_eq!(atoi("+12"), Ok(12));
        assert_eq!(atoi("-0"), Ok(0));
        assert_eq!(atoi("1_0"), Err(NumError::Syntax));
        assert_eq!(atoi("0x1"), Err(NumError::Syntax));
        assert_eq!(
            atoi("x").unwrap_err().message("Atoi", "x"),
            "strconv.Atoi: parsing \"x\": invalid syntax"
        );
        assert_eq!(
            NumError::Range.message("Atoi", "99999999999999999999"),
            "strconv.Atoi: parsing \"99999999999999999999\": value out of range"
        );
    }

    #[test]
    fn formats_floats_as_format_float() {
        assert_eq!(format_float(1e6, 'g', None), "1e+06");
        assert_eq!(format_float(100000.0, 'g', None), "100000");
        assert_eq!(format_float(1e-5, 'g', None), "1e-05");
        assert_eq!(format_float(0.0001, 'g', None), "0.0001");
        assert_eq!(format_float(-0.0, 'g', None), "-0");
        assert_eq!(format_float(3.25, 'f', Some(1)), "3.2");
        assert_eq!(format_float(1234.5678, 'e', Some(2)), "1.23e+03");
        assert_eq!(format_float(0.1, 'f', None), "0.1");
        assert_eq!(format_float(1e21, 'f', None), "1000000000000000000000");
        assert_eq!(format_float(1.0, 'x', None), "0x1p+00");
        assert_eq!(format_float(f64::NEG_INFINITY, 'g', None), "-Inf");
    }

    #[test]
    fn bools_as_parse_bool() {
        assert_eq!(parse_bool("T"), Some(true));
        assert_eq!(parse_bool("0"), Some(false));
        assert_eq!(parse_bool("yes"), None);
    }
}
