//! Go's `encoding/json` where deckmod must print or fail as it does: the
//! text of a `float64`, and the syntax errors of `json.Unmarshal`.

use std::fmt;

use crate::strconv::{format_float, quote_rune};

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

/// A syntax error as Go's `json.Unmarshal` reports it (its scanner's
/// `SyntaxError`, or `unexpected end of JSON input`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// Go's message, e.g. `invalid character 'a' looking for beginning of
    /// object key string`.
    pub msg: String,
    /// Byte offset just past the offending byte (Go's `Offset`).
    pub offset: usize,
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.msg)
    }
}

impl std::error::Error for SyntaxError {}

/// Go's `json.Valid` with its error: the first syntax error of `data` as
/// `json.Unmarshal` words it, found by the same byte-by-byte rules as Go's
/// scanner (so the same byte is blamed with the same context).
pub fn check_valid(data: &[u8]) -> Result<(), SyntaxError> {
    let mut c = Checker { data, pos: 0 };
    c.skip_space();
    c.value()?;
    c.skip_space();
    match c.peek() {
        None => Ok(()),
        Some(b) => Err(c.invalid(b, "after top-level value")),
    }
}

/// Go's scanner refuses nesting deeper than this.
const MAX_NESTING_DEPTH: usize = 10000;

#[derive(Clone, Copy)]
enum Container {
    Object,
    Array,
}

struct Checker<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Checker<'_> {
    fn peek(&self) -> Option<u8> {
        self.data.get(self.pos).copied()
    }

    fn skip_space(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn eof(&self) -> SyntaxError {
        SyntaxError {
            msg: "unexpected end of JSON input".into(),
            offset: self.data.len(),
        }
    }

    fn invalid(&self, b: u8, context: &str) -> SyntaxError {
        SyntaxError {
            msg: format!(
                "invalid character {} {context}",
                quote_rune(char::from(b), false)
            ),
            offset: self.pos + 1,
        }
    }

    /// The next byte inside a number, literal or escape: Go's scanner
    /// ends the input by feeding it a space, so a cut token is blamed on
    /// that space rather than reported as the end of input.
    fn next_in_token(&self) -> u8 {
        self.peek().unwrap_or(b' ')
    }

    /// The next byte (not consumed), or the end-of-input error.
    fn next(&self) -> Result<u8, SyntaxError> {
        self.peek().ok_or_else(|| self.eof())
    }

    /// One value with everything nested in it. Containers are kept on an
    /// explicit stack (as Go's scanner keeps them), so nesting as deep as Go
    /// allows needs no deep recursion.
    fn value(&mut self) -> Result<(), SyntaxError> {
        let mut stack: Vec<Container> = Vec::new();
        'value: loop {
            // At the start of a value.
            let b = self.next()?;
            match b {
                b'{' | b'[' if stack.len() >= MAX_NESTING_DEPTH => {
                    return Err(self.invalid(b, "exceeded max depth"));
                }
                b'{' => {
                    self.pos += 1;
                    self.skip_space();
                    if self.next()? == b'}' {
                        self.pos += 1;
                    } else {
                        stack.push(Container::Object);
                        self.object_key()?;
                        continue 'value;
                    }
                }
                b'[' => {
                    self.pos += 1;
                    self.skip_space();
                    if self.next()? == b']' {
                        self.pos += 1;
                    } else {
                        stack.push(Container::Array);
                        continue 'value;
                    }
                }
                b'"' => self.string()?,
                b'-' | b'0'..=b'9' => self.number()?,
                b't' => self.literal("true")?,
                b'f' => self.literal("false")?,
                b'n' => self.literal("null")?,
                _ => return Err(self.invalid(b, "looking for beginning of value")),
            }
            // After a value: close containers until one wants another value.
            loop {
                let Some(&container) = stack.last() else {
                    return Ok(());
                };
                self.skip_space();
                let b = self.next()?;
                match (container, b) {
                    (Container::Object, b',') => {
                        self.pos += 1;
                        self.skip_space();
                        self.object_key()?;
                        continue 'value;
                    }
                    (Container::Array, b',') => {
                        self.pos += 1;
                        self.skip_space();
                        continue 'value;
                    }
                    (Container::Object, b'}') | (Container::Array, b']') => {
                        self.pos += 1;
                        stack.pop();
                    }
                    (Container::Object, _) => {
                        return Err(self.invalid(b, "after object key:value pair"));
                    }
                    (Container::Array, _) => return Err(self.invalid(b, "after array element")),
                }
            }
        }
    }

    /// `"key":` and the space before the value.
    fn object_key(&mut self) -> Result<(), SyntaxError> {
        let b = self.next()?;
        if b != b'"' {
            return Err(self.invalid(b, "looking for beginning of object key string"));
        }
        self.string()?;
        self.skip_space();
        let b = self.next()?;
        if b != b':' {
            return Err(self.invalid(b, "after object key"));
        }
        self.pos += 1;
        self.skip_space();
        Ok(())
    }

    fn string(&mut self) -> Result<(), SyntaxError> {
        self.pos += 1;
        loop {
            let b = self.next()?;
            match b {
                b'"' => {
                    self.pos += 1;
                    return Ok(());
                }
                b'\\' => {
                    self.pos += 1;
                    let e = self.next_in_token();
                    match e {
                        b'b' | b'f' | b'n' | b'r' | b't' | b'\\' | b'/' | b'"' => self.pos += 1,
                        b'u' => {
                            self.pos += 1;
                            for _ in 0..4 {
                                let h = self.next_in_token();
                                if !h.is_ascii_hexdigit() {
                                    return Err(
                                        self.invalid(h, "in \\u hexadecimal character escape")
                                    );
                                }
                                self.pos += 1;
                            }
                        }
                        _ => return Err(self.invalid(e, "in string escape code")),
                    }
                }
                0..0x20 => return Err(self.invalid(b, "in string literal")),
                _ => self.pos += 1,
            }
        }
    }

    /// Digits after the current position; how many.
    fn digits(&mut self) -> usize {
        let start = self.pos;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self) -> Result<(), SyntaxError> {
        if self.peek() == Some(b'-') {
            self.pos += 1;
            let b = self.next_in_token();
            if !b.is_ascii_digit() {
                return Err(self.invalid(b, "in numeric literal"));
            }
        }
        // A leading 0 stands alone: what follows is judged by the caller.
        if self.peek() == Some(b'0') {
            self.pos += 1;
        } else {
            self.digits();
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            let b = self.next_in_token();
            if !b.is_ascii_digit() {
                return Err(self.invalid(b, "after decimal point in numeric literal"));
            }
            self.digits();
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            let b = self.next_in_token();
            if !b.is_ascii_digit() {
                return Err(self.invalid(b, "in exponent of numeric literal"));
            }
            self.digits();
        }
        Ok(())
    }

    fn literal(&mut self, word: &str) -> Result<(), SyntaxError> {
        self.pos += 1;
        for expected in word.bytes().skip(1) {
            let b = self.next_in_token();
            if b != expected {
                return Err(self.invalid(
                    b,
                    &format!(
                        "in literal {word} (expecting {})",
                        quote_rune(char::from(expected), false)
                    ),
                ));
            }
            self.pos += 1;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Messages as Go 1.22's `json.Unmarshal(data, &v)` prints them.
    #[test]
    fn syntax_errors_match_go() {
        for (input, want) in [
            ("", "unexpected end of JSON input"),
            ("  ", "unexpected end of JSON input"),
            ("{\"a\":1", "unexpected end of JSON input"),
            (
                "{a}",
                "invalid character 'a' looking for beginning of object key string",
            ),
            (
                "{,}",
                "invalid character ',' looking for beginning of object key string",
            ),
            ("{\"a\" 1}", "invalid character '1' after object key"),
            (
                "{\"a\":1 \"b\"}",
                "invalid character '\"' after object key:value pair",
            ),
            (
                "{\"a\":}",
                "invalid character '}' looking for beginning of value",
            ),
            ("[1 2]", "invalid character '2' after array element"),
            (
                "[1,]",
                "invalid character ']' looking for beginning of value",
            ),
            ("1 2", "invalid character '2' after top-level value"),
            ("01", "invalid character '1' after top-level value"),
            ("-a", "invalid character 'a' in numeric literal"),
            (
                "1.x",
                "invalid character 'x' after decimal point in numeric literal",
            ),
            (
                "1e+",
                "invalid character ' ' in exponent of numeric literal",
            ),
            ("-", "invalid character ' ' in numeric literal"),
            ("\"ab", "unexpected end of JSON input"),
            (
                "\"\\u1",
                "invalid character ' ' in \\u hexadecimal character escape",
            ),
            (
                "1ex",
                "invalid character 'x' in exponent of numeric literal",
            ),
            (
                "tru",
                "invalid character ' ' in literal true (expecting 'e')",
            ),
            (
                "trux",
                "invalid character 'x' in literal true (expecting 'e')",
            ),
            (
                "nil",
                "invalid character 'i' in literal null (expecting 'u')",
            ),
            (
                "fals3",
                "invalid character '3' in literal false (expecting 'e')",
            ),
            ("\"a\\x\"", "invalid character 'x' in string escape code"),
            (
                "\"\\u12g4\"",
                "invalid character 'g' in \\u hexadecimal character escape",
            ),
            ("\"a\nb\"", "invalid character '\\n' in string literal"),
            (
                "'a'",
                "invalid character '\\'' looking for beginning of value",
            ),
            (
                "\u{e9}",
                "invalid character 'Ã' looking for beginning of value",
            ),
            ("{\"a\":1}}", "invalid character '}' after top-level value"),
        ] {
            let got = check_valid(input.as_bytes()).expect_err(input).to_string();
            assert_eq!(got, want, "{input:?}");
        }
        for ok in [
            "{}",
            "[]",
            " {\"a\": [1, -0.5e+3, true, false, null, \"\\u00e9\\n\"]} ",
            "0",
            "-0",
        ] {
            assert_eq!(check_valid(ok.as_bytes()), Ok(()), "{ok}");
        }
        let deep = "[".repeat(MAX_NESTING_DEPTH + 1);
        assert_eq!(
            check_valid(deep.as_bytes()).unwrap_err().msg,
            "invalid character '[' exceeded max depth"
        );
        let ok_deep = format!(
            "{}{}",
            "[".repeat(MAX_NESTING_DEPTH),
            "]".repeat(MAX_NESTING_DEPTH)
        );
        assert_eq!(check_valid(ok_deep.as_bytes()), Ok(()));
    }

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
