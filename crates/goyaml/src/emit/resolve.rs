//! Which strings `yaml.v2` must quote because, written plain, they would read
//! back as something else (YAML 1.1 booleans, nulls, numbers, timestamps,
//! base-60 numbers). The merge key `<<` is not among them: `yaml.v2` only
//! looks a scalar up by name when its first character hints at one (`y`,
//! `n`, `t`, `f`, `o`, `~`, `.`, a sign or a digit), so `<<` stays plain, as
//! the real `helm` prints it.

use crate::scalar::{is_yaml_style_float, named_value};

/// Whether the plain scalar `s` would not read back as the string `s`.
pub fn needs_quotes(s: &str) -> bool {
    !resolves_to_string(s) || is_base60_float(s)
}

/// The plain scalars `yaml.v2` looks up by name: booleans, nulls and the
/// special floats.
fn is_named_scalar(s: &str) -> bool {
    named_value(s).is_some()
        || matches!(
            s,
            ".nan"
                | ".NaN"
                | ".NAN"
                | ".inf"
                | ".Inf"
                | ".INF"
                | "+.inf"
                | "+.Inf"
                | "+.INF"
                | "-.inf"
                | "-.Inf"
                | "-.INF"
        )
}

/// `yaml.v2`'s `resolve` for an untagged plain scalar: does it stay a string?
fn resolves_to_string(s: &str) -> bool {
    if is_named_scalar(s) {
        return false;
    }
    match s.as_bytes()[0] {
        b'.' => !is_go_float(s),
        b'+' | b'-' | b'0'..=b'9' => {
            if is_yaml_timestamp(s) {
                return false;
            }
            let plain: String = s.chars().filter(|&c| c != '_').collect();
            !(gostd::strconv::parse_int(&plain, 0).is_ok()
                || gostd::strconv::parse_uint(&plain, 0).is_ok()
                || (is_yaml_style_float(&plain) && is_go_float(&plain)))
        }
        _ => true,
    }
}

/// Go's `strconv.ParseFloat(s, 64)` succeeds for a string of the decimal
/// shapes reached here (overflow to infinity is an error in Go).
fn is_go_float(s: &str) -> bool {
    is_yaml_style_float(s) && s.parse::<f64>().is_ok_and(f64::is_finite)
}

/// `^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$`: YAML 1.1 base-60
/// numbers, which `yaml.v2` no longer reads but still quotes on output.
fn is_base60_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        i += 1;
    }
    if i >= b.len() || !b[i].is_ascii_digit() {
        return false;
    }
    while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
        i += 1;
    }
    let mut groups = 0;
    while i < b.len() && b[i] == b':' {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() && i - start < 2 {
            i += 1;
        }
        let group = &b[start..i];
        let ok = match group {
            [d] => d.is_ascii_digit(),
            [a, _] => (b'0'..=b'5').contains(a),
            _ => false,
        };
        if !ok {
            return false;
        }
        groups += 1;
    }
    if groups == 0 {
        return false;
    }
    if i < b.len() && b[i] == b'.' {
        i += 1;
        while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
            i += 1;
        }
    }
    i == b.len()
}

/// Whether `s` parses with one of `yaml.v2`'s timestamp layouts
/// (`2006-1-2T15:4:5.999999999Z07:00`, the same with `t`,
/// `2006-1-2 15:4:5.999999999`, `2006-1-2`) as Go's `time.Parse` reads them.
fn is_yaml_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    // Quick check, as yaml.v2 does: exactly four digits, then '-'.
    if b.len() < 5 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
        return false;
    }
    let mut p = TimeCursor { b, i: 5 };
    let year: u32 = s[..4].parse().unwrap_or(0);
    let Some(month) = p.number(2) else {
        return false;
    };
    if !p.eat(b'-') {
        return false;
    }
    let Some(day) = p.number(2) else { return false };
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return false;
    }
    if p.done() {
        return true;
    }
    let with_zone = match b[p.i] {
        b'T' | b't' => true,
        b' ' => false,
        _ => return false,
    };
    p.i += 1;
    let Some(hour) = p.number(2) else {
        return false;
    };
    if !p.eat(b':') {
        return false;
    }
    let Some(minute) = p.number(2) else {
        return false;
    };
    if !p.eat(b':') {
        return false;
    }
    let Some(second) = p.number(2) else {
        return false;
    };
    if hour > 23 || minute > 59 || second > 59 {
        return false;
    }
    // Optional fraction: '.' or ',' followed by digits.
    if p.i < b.len()
        && (b[p.i] == b'.' || b[p.i] == b',')
        && p.i + 1 < b.len()
        && b[p.i + 1].is_ascii_digit()
    {
        p.i += 1;
        while p.i < b.len() && b[p.i].is_ascii_digit() {
            p.i += 1;
        }
    }
    if !with_zone {
        return p.done();
    }
    if p.eat(b'Z') {
        return p.done();
    }
    if p.i < b.len() && (b[p.i] == b'+' || b[p.i] == b'-') {
        p.i += 1;
        let ok = p.fixed(2).is_some_and(|h| h <= 24)
            && p.eat(b':')
            && p.fixed(2).is_some_and(|m| m <= 59);
        return ok && p.done();
    }
    false
}

/// A little reader over the bytes of a timestamp candidate.
struct TimeCursor<'a> {
    b: &'a [u8],
    i: usize,
}

impl TimeCursor<'_> {
    /// One to `max` digits, as Go's non-padded layout fields read them.
    fn number(&mut self, max: usize) -> Option<u32> {
        let start = self.i;
        while self.i < self.b.len() && self.b[self.i].is_ascii_digit() && self.i - start < max {
            self.i += 1;
        }
        if self.i == start {
            return None;
        }
        std::str::from_utf8(&self.b[start..self.i])
            .ok()?
            .parse()
            .ok()
    }
    /// Exactly `n` digits.
    fn fixed(&mut self, n: usize) -> Option<u32> {
        let end = self.i + n;
        if end > self.b.len() || !self.b[self.i..end].iter().all(u8::is_ascii_digit) {
            return None;
        }
        let v = std::str::from_utf8(&self.b[self.i..end]).ok()?.parse().ok();
        self.i = end;
        v
    }
    fn eat(&mut self, c: u8) -> bool {
        if self.i < self.b.len() && self.b[self.i] == c {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn done(&self) -> bool {
        self.i == self.b.len()
    }
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::needs_quotes;

    #[test]
    fn yaml11_special_words_are_quoted() {
        for s in [
            "yes", "No", "on", "OFF", "y", "~", "", "null", "true", ".inf", "-.Inf", ".nan",
        ] {
            assert!(needs_quotes(s), "{s:?}");
        }
        for s in [
            "<<",
            "yess",
            "nope",
            "onion",
            "Nulls",
            "x",
            "hello world",
            "-",
            ".",
        ] {
            assert!(!needs_quotes(s), "{s:?}");
        }
    }

    #[test]
    fn numbers_in_any_base_are_quoted() {
        for s in [
            "1", "-1", "+1", "1.0", "1e3", "0x1F", "0o17", "0b101", "0777", "08", "1_000", ".5",
            "1.", "-0b11",
        ] {
            assert!(needs_quotes(s), "{s:?}");
        }
        for s in [
            "1.2.3",
            "0x",
            "1e",
            "0xZZ",
            "v1",
            "1a",
            "+",
            "0xFFFFFFFFFFFFFFFFFF",
            "1e999",
        ] {
            assert!(!needs_quotes(s), "{s:?}");
        }
    }

    #[test]
    fn timestamps_and_base60_are_quoted() {
        for s in [
            "2001-12-14",
            "2001-1-2",
            "2001-12-14T21:59:43.10Z",
            "2001-12-14 21:59:43",
            "2001-12-14t1:2:3+05:00",
            "12:30",
            "1:20:30.5",
            "-1:30",
        ] {
            assert!(needs_quotes(s), "{s:?}");
        }
        for s in [
            "2001-13-14",
            "2001-02-30",
            "20011-12-14",
            "2001-12-14 21:59:43Z",
            "12:60",
            "1:2:3:a",
        ] {
            assert!(!needs_quotes(s), "{s:?}");
        }
    }
}
