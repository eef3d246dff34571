//! Direct evaluation of the jq filter shapes hooks use most (paths, object
//! projections, `tonumber`, `select` on a comparison) over `serde_json`
//! values, without converting to jaq's value model.
//!
//! The fast path is an optimisation only: [`FastExpr::parse`] accepts a
//! strict subset of jq and returns `None` for anything else, and
//! [`FastExpr::eval`] returns [`Bail`] whenever the input leaves the happy
//! path (indexing a string, `tonumber` on a non-integer text, ...). In both
//! cases the caller runs jaq, so results and error messages are always jaq's.

use serde_json::{Map, Value};

/// "Not handled here: ask jaq." Carries no data on purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bail;

/// One step of a path expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// `.name`, `."name"`, `["name"]`.
    Field(String),
    /// `[n]`; negative counts from the end.
    Index(i64),
}

/// A compiled fast-path expression.
#[derive(Debug, Clone, PartialEq)]
pub enum FastExpr {
    /// `.`, `.a.b`, `.a[0]`, `."x"`, `.["x"]`.
    Path(Vec<Step>),
    /// A JSON literal.
    Literal(Value),
    /// `{k: e, k2}`.
    Object(Vec<(String, FastExpr)>),
    /// `a | b`.
    Pipe(Box<FastExpr>, Box<FastExpr>),
    /// `a == b` (`true`) or `a != b` (`false`).
    Compare(Box<FastExpr>, Box<FastExpr>, bool),
    /// `tonumber`.
    ToNumber,
    /// `select(cond)`.
    Select(Box<FastExpr>),
    /// `not`.
    Not,
}

impl FastExpr {
    /// Parse `source` if it lies in the supported subset.
    pub fn parse(source: &str) -> Option<FastExpr> {
        let tokens = lex(source)?;
        let mut parser = Parser { tokens, pos: 0 };
        let expr = parser.pipe(true)?;
        (parser.pos == parser.tokens.len()).then_some(expr)
    }

    /// Evaluate on one input: `Ok(Some(v))` one output, `Ok(None)` no
    /// output, `Err(Bail)` the caller must use jaq.
    pub fn eval(&self, input: &Value) -> Result<Option<Value>, Bail> {
        match self {
            FastExpr::Path(steps) => walk(input, steps).map(|v| Some(v.clone())),
            FastExpr::Literal(v) => Ok(Some(v.clone())),
            FastExpr::Object(fields) => {
                let mut entries: Vec<(&str, Value)> = Vec::with_capacity(fields.len());
                for (key, expr) in fields {
                    match expr.eval(input)? {
                        Some(v) => entries.push((key, v)),
                        // An object value with no output makes the whole
                        // object produce nothing; rare enough to leave to jaq.
                        None => return Err(Bail),
                    }
                }
                // Later duplicates win in jq; keys are sorted as gojq prints.
                let mut map = Map::new();
                entries.sort_by(|a, b| a.0.cmp(b.0));
                for (k, v) in entries {
                    map.insert(k.to_string(), v);
                }
                Ok(Some(Value::Object(map)))
            }
            FastExpr::Pipe(left, right) => match left.eval(input)? {
                Some(v) => right.eval(&v),
                None => Ok(None),
            },
            FastExpr::Compare(left, right, equal) => {
                let (Some(a), Some(b)) = (left.eval(input)?, right.eval(input)?) else {
                    return Err(Bail);
                };
                Ok(Some(Value::Bool(json_eq(&a, &b) == *equal)))
            }
            FastExpr::ToNumber => to_number(input).map(Some),
            FastExpr::Select(cond) => match cond.eval(input)? {
                Some(v) if truthy(&v) => Ok(Some(input.clone())),
                Some(_) => Ok(None),
                None => Err(Bail),
            },
            FastExpr::Not => Ok(Some(Value::Bool(!truthy(input)))),
        }
    }
}

fn walk<'a>(mut value: &'a Value, steps: &[Step]) -> Result<&'a Value, Bail> {
    static NULL: Value = Value::Null;
    for step in steps {
        value = match (step, value) {
            (_, Value::Null) => &NULL,
            (Step::Field(name), Value::Object(map)) => map.get(name).unwrap_or(&NULL),
            (Step::Index(i), Value::Array(items)) => {
                let len = items.len() as i64;
                let at = if *i < 0 { len + *i } else { *i };
                if (0..len).contains(&at) {
                    &items[at as usize]
                } else {
                    &NULL
                }
            }
            _ => return Err(Bail),
        };
    }
    Ok(value)
}

fn truthy(v: &Value) -> bool {
    !matches!(v, Value::Null | Value::Bool(false))
}

/// jq equality: numbers compare by value (`1 == 1.0`), the rest
/// structurally.
fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(i), Some(j)) => i == j,
            _ => x.as_f64() == y.as_f64(),
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| json_eq(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => a == b,
    }
}

/// `tonumber` for the unambiguous cases: numbers, and canonical decimal
/// integer text (`"42"`, `"-7"`) that fits in i64. Everything else (floats,
/// exponents, leading zeros or spaces, errors) goes to jaq.
fn to_number(v: &Value) -> Result<Value, Bail> {
    match v {
        Value::Number(_) => Ok(v.clone()),
        Value::String(s) => {
            let digits = s.strip_prefix('-').unwrap_or(s);
            let canonical = !digits.is_empty()
                && digits.bytes().all(|b| b.is_ascii_digit())
                && (digits == "0" || !digits.starts_with('0'))
                && s != "-0";
            if !canonical {
                return Err(Bail);
            }
            s.parse::<i64>().map(Value::from).map_err(|_| Bail)
        }
        _ => Err(Bail),
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Dot,
    /// `.name` as one token.
    DotField(String),
    Ident(String),
    Str(String),
    Num(Value),
    LBrace,
    RBrace,
    LBracket,
    RBracket,
    LParen,
    RParen,
    Colon,
    Comma,
    Pipe,
    Eq,
    Ne,
}

fn is_ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}
fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Tokenize the subset; `None` on anything outside it (including any
/// string with escapes or interpolation, comments, `$vars`, `?`, `..`).
fn lex(source: &str) -> Option<Vec<Token>> {
    let chars: Vec<char> = source.chars().collect();
    let mut i = 0;
    let mut out = Vec::new();
    while i < chars.len() {
        let c = chars[i];
        match c {
            ' ' | '\t' | '\n' | '\r' => i += 1,
            '.' => {
                if i + 1 < chars.len() && is_ident_start(chars[i + 1]) {
                    let start = i + 1;
                    i += 1;
                    while i < chars.len() && is_ident_char(chars[i]) {
                        i += 1;
                    }
                    out.push(Token::DotField(chars[start..i].iter().collect()));
                } else if i + 1 < chars.len() && chars[i + 1] == '.' {
                    return None;
                } else {
                    out.push(Token::Dot);
                    i += 1;
                }
            }
            '"' => {
                let start = i + 1;
                i += 1;
                while i < chars.len() && chars[i] != '"' {
                    if chars[i] == '\\' {
                        return None;
                    }
                    i += 1;
                }
                if i >= chars.len() {
                    return None;
                }
                out.push(Token::Str(chars[start..i].iter().collect()));
                i += 1;
            }
            '{' => (out.push(Token::LBrace), i += 1).1,
            '}' => (out.push(Token::RBrace), i += 1).1,
            '[' => (out.push(Token::LBracket), i += 1).1,
            ']' => (out.push(Token::RBracket), i += 1).1,
            '(' => (out.push(Token::LParen), i += 1).1,
            ')' => (out.push(Token::RParen), i += 1).1,
            ':' => (out.push(Token::Colon), i += 1).1,
            ',' => (out.push(Token::Comma), i += 1).1,
            '|' => (out.push(Token::Pipe), i += 1).1,
            '=' if chars.get(i + 1) == Some(&'=') => (out.push(Token::Eq), i += 2).1,
            '!' if chars.get(i + 1) == Some(&'=') => (out.push(Token::Ne), i += 2).1,
            c if c.is_ascii_digit() => {
                let start = i;
                while i < chars.len() && chars[i].is_ascii_digit() {
                    i += 1;
                }
                // Only plain integers: float literal printing is jaq's job.
                if i < chars.len() && (chars[i] == '.' || chars[i] == 'e' || chars[i] == 'E') {
                    return None;
                }
                let text: String = chars[start..i].iter().collect();
                if text.len() > 1 && text.starts_with('0') {
                    return None;
                }
                out.push(Token::Num(Value::from(text.parse::<i64>().ok()?)));
            }
            c if is_ident_start(c) => {
                let start = i;
                while i < chars.len() && is_ident_char(chars[i]) {
                    i += 1;
                }
                // `foo::bar` module paths are not in the subset.
                if chars.get(i) == Some(&':') && chars.get(i + 1) == Some(&':') {
                    return None;
                }
                out.push(Token::Ident(chars[start..i].iter().collect()));
            }
            _ => return None,
        }
    }
    Some(out)
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn expect(&mut self, t: &Token) -> Option<()> {
        (self.next()? == *t).then_some(())
    }

    /// `term (| term)*`; comparisons allowed only where jq allows them
    /// (not directly as object values).
    fn pipe(&mut self, allow_compare: bool) -> Option<FastExpr> {
        let mut left = if allow_compare {
            self.compare()?
        } else {
            self.term()?
        };
        while self.peek() == Some(&Token::Pipe) {
            self.pos += 1;
            let right = if allow_compare {
                self.compare()?
            } else {
                self.term()?
            };
            left = FastExpr::Pipe(Box::new(left), Box::new(right));
        }
        Some(left)
    }

    fn compare(&mut self) -> Option<FastExpr> {
        let left = self.term()?;
        let equal = match self.peek() {
            Some(Token::Eq) => true,
            Some(Token::Ne) => false,
            _ => return Some(left),
        };
        self.pos += 1;
        let right = self.term()?;
        // `a == b == c` is a jq syntax error: leave it to jaq to report.
        if matches!(self.peek(), Some(Token::Eq | Token::Ne)) {
            return None;
        }
        Some(FastExpr::Compare(Box::new(left), Box::new(right), equal))
    }

    fn term(&mut self) -> Option<FastExpr> {
        let base = match self.next()? {
            Token::Dot => FastExpr::Path(Vec::new()),
            Token::DotField(name) => FastExpr::Path(vec![Step::Field(name)]),
            Token::Str(s) => FastExpr::Literal(Value::String(s)),
            Token::Num(n) => FastExpr::Literal(n),
            Token::Ident(name) => match name.as_str() {
                "null" => FastExpr::Literal(Value::Null),
                "true" => FastExpr::Literal(Value::Bool(true)),
                "false" => FastExpr::Literal(Value::Bool(false)),
                "tonumber" => FastExpr::ToNumber,
                "not" => FastExpr::Not,
                "select" => {
                    self.expect(&Token::LParen)?;
                    let cond = self.pipe(true)?;
                    self.expect(&Token::RParen)?;
                    FastExpr::Select(Box::new(cond))
                }
                _ => return None,
            },
            Token::LParen => {
                let inner = self.pipe(true)?;
                self.expect(&Token::RParen)?;
                inner
            }
            Token::LBrace => self.object()?,
            _ => return None,
        };
        self.postfix(base)
    }

    /// Path suffixes: `.a`, `."a"`, `["a"]`, `[0]`, only after a path.
    fn postfix(&mut self, base: FastExpr) -> Option<FastExpr> {
        let FastExpr::Path(mut steps) = base else {
            // Suffixes on non-paths (`{..}.a`) are valid jq but rare.
            return match self.peek() {
                Some(Token::DotField(_) | Token::LBracket | Token::Dot) => None,
                _ => Some(base),
            };
        };
        loop {
            match self.peek() {
                Some(Token::DotField(name)) => {
                    steps.push(Step::Field(name.clone()));
                    self.pos += 1;
                }
                Some(Token::Dot) => {
                    // `."name"`
                    self.pos += 1;
                    match self.next()? {
                        Token::Str(s) => steps.push(Step::Field(s)),
                        _ => return None,
                    }
                }
                Some(Token::LBracket) => {
                    self.pos += 1;
                    match self.next()? {
                        Token::Str(s) => steps.push(Step::Field(s)),
                        Token::Num(n) => steps.push(Step::Index(n.as_i64()?)),
                        _ => return None,
                    }
                    self.expect(&Token::RBracket)?;
                }
                _ => return Some(FastExpr::Path(steps)),
            }
        }
    }

    fn object(&mut self) -> Option<FastExpr> {
        let mut fields: Vec<(String, FastExpr)> = Vec::new();
        if self.peek() == Some(&Token::RBrace) {
            self.pos += 1;
            return Some(FastExpr::Object(fields));
        }
        loop {
            let key = match self.next()? {
                Token::Ident(k) | Token::Str(k) => k,
                _ => return None,
            };
            let value = if self.peek() == Some(&Token::Colon) {
                self.pos += 1;
                self.pipe(false)?
            } else {
                FastExpr::Path(vec![Step::Field(key.clone())])
            };
            // jq keeps the last of duplicate keys.
            fields.retain(|(k, _)| *k != key);
            fields.push((key, value));
            match self.next()? {
                Token::Comma => continue,
                Token::RBrace => return Some(FastExpr::Object(fields)),
                _ => return None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_the_common_shapes() {
        for src in [
            ".",
            ".metadata.name",
            ".a[0].b",
            ".[\"a-b\"]",
            "{name: .metadata.name, n: (.data.n | tonumber)}",
            "{name, ns: .metadata.namespace}",
            "select(.kind == \"Pod\") | .metadata.name",
            ".spec | select(.x != null)",
        ] {
            assert!(FastExpr::parse(src).is_some(), "{src} not in the subset");
        }
    }

    #[test]
    fn leaves_the_rest_to_jaq() {
        for src in [
            ".[]",
            ".a?",
            "map(.x)",
            "{a: .x == 1}",
            "\"a\\(.b)\"",
            "1.5",
            "..",
            ".a, .b",
            "$x",
        ] {
            assert!(FastExpr::parse(src).is_none(), "{src} wrongly taken");
        }
    }

    #[test]
    fn evaluates_projection() {
        let f = FastExpr::parse("{name: .metadata.name, n: (.data.n | tonumber)}").unwrap();
        let out = f
            .eval(&json!({"metadata": {"name": "x"}, "data": {"n": "42"}}))
            .unwrap();
        assert_eq!(out, Some(json!({"name": "x", "n": 42})));
    }

    #[test]
    fn bails_off_the_happy_path() {
        let f = FastExpr::parse(".a.b").unwrap();
        assert_eq!(f.eval(&json!({"a": "str"})), Err(Bail));
        let t = FastExpr::parse("tonumber").unwrap();
        assert_eq!(t.eval(&json!("1.5")), Err(Bail));
        assert_eq!(t.eval(&json!("007")), Err(Bail));
    }

    #[test]
    fn select_yields_nothing_when_false() {
        let f = FastExpr::parse("select(.kind == \"Pod\")").unwrap();
        assert_eq!(f.eval(&json!({"kind": "Node"})).unwrap(), None);
        assert_eq!(
            f.eval(&json!({"kind": "Pod"})).unwrap(),
            Some(json!({"kind": "Pod"}))
        );
    }
}
