//! Helm's `strvals` parser: the `--set`, `--set-string`, `--set-json` and
//! `--set-file` value syntax (`a.b=1,c[0]=x,d={x,y}`), with Helm's escapes,
//! list indices, type inference and error messages; and the simpler
//! `--set-literal` syntax (one key path, the rest of the line verbatim).
//!
//! The parser writes into an existing values map, as Helm does: a later
//! `--set` refines what `-f` files and earlier flags built.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

use gotmpl::{Map, Value};

/// Largest list index `a[N]=` accepts (Helm's `MaxIndex`).
const MAX_INDEX: usize = 65536;
/// Deepest `a.b.c...` nesting accepted (Helm's `MaxNestedNameLevel`).
const MAX_NESTED_NAME_LEVEL: usize = 30;

/// Reads the value text of `--set-file` (a path) into a value.
pub type FileReader<'a> = dyn Fn(&str) -> Result<Value, ReadError> + 'a;

/// Why a [`FileReader`] could not read a file (the reader's own error).
pub type ReadError = Arc<dyn std::error::Error + Send + Sync>;

/// A `--set...` line that cannot be applied.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ParseError {
    /// The destination is not a map.
    #[error("values are not a map")]
    NotAMap,
    /// The line does not parse, or does not fit the values already set
    /// (Helm's words: `key "a" has no value`, `error parsing index: EOF`).
    #[error("{message}")]
    Syntax {
        /// Helm's message.
        message: String,
    },
    /// A `--set-json` value is not JSON.
    #[error("{source}")]
    Json {
        /// The JSON decoder's error.
        source: Arc<serde_json::Error>,
    },
    /// A `--set-file` file could not be read.
    #[error("{source}")]
    ReadFile {
        /// The path, as given on the line.
        path: String,
        /// The reader's error.
        source: ReadError,
    },
}

/// A `--set-json` value that does not decode.
fn json_error(e: serde_json::Error) -> Stop {
    Stop::Failed(ParseError::Json {
        source: Arc::new(e),
    })
}

/// How the text right of `=` becomes a value.
enum ValueKind<'a> {
    /// `--set`: typed (ints, bools, null), or `--set-string`: always strings.
    Typed { force_string: bool },
    /// `--set-file`: the text is a path whose content is the value.
    File(&'a FileReader<'a>),
    /// `--set-json`: the text is JSON.
    Json,
}

/// Why parsing stopped.
enum Stop {
    /// End of input: a normal end when nothing was pending.
    Eof,
    /// A real error, already worded as Helm words it.
    Error(String),
    /// A value that could not be read or decoded.
    Failed(ParseError),
}

impl Stop {
    /// The error a parse ends with (not at the end of input).
    fn into_error(self) -> Option<ParseError> {
        match self {
            Stop::Eof => None,
            Stop::Error(message) => Some(ParseError::Syntax { message }),
            Stop::Failed(e) => Some(e),
        }
    }
}

impl From<String> for Stop {
    fn from(s: String) -> Self {
        Stop::Error(s)
    }
}

type Step<T> = Result<T, Stop>;

/// Parse a `--set` line into `dest` (ints, bools and `null` inferred).
pub fn parse_into(s: &str, dest: &Value) -> Result<(), ParseError> {
    Parser::new(
        s,
        ValueKind::Typed {
            force_string: false,
        },
    )
    .parse(dest)
}

/// Parse a `--set-string` line into `dest` (every value a string).
pub fn parse_into_string(s: &str, dest: &Value) -> Result<(), ParseError> {
    Parser::new(s, ValueKind::Typed { force_string: true }).parse(dest)
}

/// Parse a `--set-json` line into `dest` (values are JSON texts).
pub fn parse_json(s: &str, dest: &Value) -> Result<(), ParseError> {
    Parser::new(s, ValueKind::Json).parse(dest)
}

/// Parse a `--set-file` line into `dest`; `reader` turns each path into a value.
pub fn parse_into_file(s: &str, dest: &Value, reader: &FileReader<'_>) -> Result<(), ParseError> {
    Parser::new(s, ValueKind::File(reader)).parse(dest)
}

/// Parse a `--set-literal` line into `dest`. Unlike `--set`, the line holds
/// one key (`a.b[0].c`; no `\` escapes) and everything after its first `=`
/// is the value, a string taken verbatim (commas, braces and `=` included).
pub fn parse_literal(s: &str, dest: &Value) -> Result<(), ParseError> {
    let Value::Map(data) = dest else {
        return Err(ParseError::NotAMap);
    };
    let mut p = Literal { text: s, pos: 0 };
    loop {
        if let Err(stop) = p.key(data, 0) {
            return stop.into_error().map_or(Ok(()), Err);
        }
    }
}

/// The `--set-literal` parser: keys end at `=`, `[` or `.`; a value runs to
/// the end of the line.
struct Literal<'a> {
    text: &'a str,
    pos: usize,
}

impl Literal<'_> {
    /// The rest of the line.
    fn value(&mut self) -> Value {
        let v = Value::str(&self.text[self.pos..]);
        self.pos = self.text.len();
        v
    }
}

impl ListItems for Literal<'_> {
    /// Read up to (and consuming) one of `stop`, without escapes.
    fn until(&mut self, stop: &[char]) -> (String, Option<char>) {
        let rest = &self.text[self.pos..];
        match rest.char_indices().find(|(_, c)| stop.contains(c)) {
            Some((i, c)) => {
                self.pos += i + c.len_utf8();
                (rest[..i].to_string(), Some(c))
            }
            None => {
                self.pos = self.text.len();
                (rest.to_string(), None)
            }
        }
    }

    fn key(&mut self, data: &Rc<RefCell<Map>>, nested: usize) -> Step<()> {
        let (k, last) = self.until(&['=', '[', '.']);
        match last {
            None if k.is_empty() => Err(Stop::Eof),
            None => Err(Stop::Error(format!(
                "key {} has no value",
                gostd::strconv::quote(&k)
            ))),
            Some('=') => {
                let v = self.value();
                set(data, &k, v);
                Ok(())
            }
            Some('[') => {
                let index = self.index()?;
                let list = match data.borrow().get(&k) {
                    None => Vec::new(),
                    Some(Value::List(l)) => l.as_ref().clone(),
                    Some(other) => return Err(conversion_error(other, "[]interface {}").into()),
                };
                let (list, result) = match self.list_item(list, index, nested) {
                    Ok(l) => (l, Ok(())),
                    Err((l, e)) => (l, Err(e)),
                };
                set(data, &k, Value::list(list));
                result
            }
            // '.': descend into a map.
            Some(_) => descend(data, &k, nested, |inner, nested| self.key(inner, nested)),
        }
    }

    fn assign_item(
        &mut self,
        list: Vec<Value>,
        index: i64,
    ) -> Result<Vec<Value>, (Vec<Value>, Stop)> {
        let v = self.value();
        set_index(list, index, v)
    }
}

/// Go's name of a value's dynamic type, as interface-conversion panics print it.
fn go_type(v: &Value) -> &'static str {
    match v {
        Value::Nil => "nil",
        Value::Bool(_) => "bool",
        Value::Int(_) => "int",
        Value::Int64(_) => "int64",
        Value::Float(_) => "float64",
        Value::String(_) => "string",
        Value::List(_) => "[]interface {}",
        Value::Map(_) => "map[string]interface {}",
        Value::Object(_) => "struct",
    }
}

fn conversion_error(found: &Value, wanted: &str) -> String {
    format!(
        "unable to parse key: interface conversion: interface {{}} is {}, not {wanted}",
        go_type(found)
    )
}

struct Parser<'a> {
    text: &'a str,
    pos: usize,
    last_len: usize,
    kind: ValueKind<'a>,
}

impl<'a> Parser<'a> {
    fn new(text: &'a str, kind: ValueKind<'a>) -> Self {
        Parser {
            text,
            pos: 0,
            last_len: 0,
            kind,
        }
    }

    fn parse(mut self, dest: &Value) -> Result<(), ParseError> {
        let Value::Map(data) = dest else {
            return Err(ParseError::NotAMap);
        };
        loop {
            if let Err(stop) = self.key(data, 0) {
                return stop.into_error().map_or(Ok(()), Err);
            }
        }
    }

    fn read(&mut self) -> Option<char> {
        let c = self.text[self.pos..].chars().next()?;
        self.last_len = c.len_utf8();
        self.pos += self.last_len;
        Some(c)
    }

    fn unread(&mut self) {
        self.pos -= self.last_len;
        self.last_len = 0;
    }

    fn typed(&self, text: &str) -> Step<Value> {
        match &self.kind {
            ValueKind::Typed { force_string } => Ok(typed_value(text, *force_string)),
            ValueKind::File(reader) => reader(text).map_err(|source| {
                Stop::Failed(ParseError::ReadFile {
                    path: text.to_string(),
                    source,
                })
            }),
            ValueKind::Json => serde_json::from_str::<serde_json::Value>(text)
                .map(|j| Value::from_json_helm(&j))
                .map_err(json_error),
        }
    }

    /// Consume blanks up to a comma or the end (an empty value: true), or
    /// stop before anything else (false).
    fn empty_value(&mut self) -> bool {
        loop {
            match self.read() {
                None | Some(',') => return true,
                Some(c) if c.is_whitespace() => continue,
                Some(_) => {
                    self.unread();
                    return false;
                }
            }
        }
    }

    /// Decode one JSON value from the rest of the input, as Go's
    /// `json.Decoder` does, and consume exactly its text.
    fn json_value(&mut self) -> Step<Value> {
        let rest = &self.text[self.pos..];
        let mut stream = serde_json::Deserializer::from_str(rest).into_iter::<serde_json::Value>();
        match stream.next() {
            Some(Ok(v)) => {
                self.pos += stream.byte_offset();
                Ok(Value::from_json_helm(&v))
            }
            Some(Err(e)) => Err(json_error(e)),
            None => Err(Stop::Error("unexpected end of JSON input".to_string())),
        }
    }

    fn value_list(&mut self) -> Result<Vec<Value>, ListErr> {
        match self.read() {
            None => return Err(ListErr::Eof),
            Some('{') => {}
            Some(_) => {
                self.unread();
                return Err(ListErr::NotList);
            }
        }
        let mut list = Vec::new();
        loop {
            let (text, last) = self.until(&[',', '}']);
            match last {
                None => {
                    return Err(ListErr::Error(Stop::Error(
                        "list must terminate with '}'".to_string(),
                    )));
                }
                Some('}') => {
                    if let Some(c) = self.read()
                        && c != ','
                    {
                        self.unread();
                    }
                    list.push(self.typed(&text).map_err(ListErr::Error)?);
                    return Ok(list);
                }
                Some(_) => list.push(self.typed(&text).map_err(ListErr::Error)?),
            }
        }
    }
}

enum ListErr {
    Eof,
    NotList,
    Error(Stop),
}

impl ListItems for Parser<'_> {
    /// Read up to (and consuming) one of `stop`; `\x` escapes any rune.
    /// Returns the text and the stop rune, or `None` as the stop at end of input.
    fn until(&mut self, stop: &[char]) -> (String, Option<char>) {
        let mut out = String::new();
        loop {
            match self.read() {
                None => return (out, None),
                Some(c) if stop.contains(&c) => return (out, Some(c)),
                Some('\\') => match self.read() {
                    None => return (out, None),
                    Some(n) => out.push(n),
                },
                Some(c) => out.push(c),
            }
        }
    }

    fn key(&mut self, data: &Rc<RefCell<Map>>, nested: usize) -> Step<()> {
        let (k, last) = self.until(&['=', '[', ',', '.']);
        match last {
            None => {
                if k.is_empty() {
                    Err(Stop::Eof)
                } else {
                    Err(Stop::Error(format!(
                        "key {} has no value",
                        gostd::strconv::quote(&k)
                    )))
                }
            }
            Some('[') => {
                let index = self.index()?;
                let existing = data.borrow().get(&k).cloned();
                let list = match existing {
                    None => Vec::new(),
                    Some(Value::List(l)) => l.as_ref().clone(),
                    Some(other) => return Err(conversion_error(&other, "[]interface {}").into()),
                };
                let (list, result) = match self.list_item(list, index, nested) {
                    Ok(l) => (l, Ok(())),
                    Err((l, e)) => (l, Err(e)),
                };
                set(data, &k, Value::list(list));
                result
            }
            Some('=') => {
                if matches!(self.kind, ValueKind::Json) {
                    if self.empty_value() {
                        set(data, &k, Value::Nil);
                        return Ok(());
                    }
                    let v = self.json_value()?;
                    set(data, &k, v);
                    self.empty_value();
                    return Ok(());
                }
                match self.value_list() {
                    Ok(list) => {
                        set(data, &k, Value::list(list));
                        Ok(())
                    }
                    Err(ListErr::Eof) => {
                        set(data, &k, Value::str(""));
                        Err(Stop::Eof)
                    }
                    Err(ListErr::NotList) => {
                        let (text, _) = self.until(&[',']);
                        let v = self.typed(&text)?;
                        set(data, &k, v);
                        Ok(())
                    }
                    Err(ListErr::Error(e)) => Err(e),
                }
            }
            Some(',') => {
                set(data, &k, Value::str(""));
                Err(Stop::Error(format!(
                    "key {} has no value (cannot end with ,)",
                    gostd::strconv::quote(&k)
                )))
            }
            // '.': descend into a map.
            Some(_) => descend(data, &k, nested, |inner, nested| self.key(inner, nested)),
        }
    }

    /// After `=`: a JSON value for `--set-json`, else a `{a,b}` list or one
    /// typed scalar up to the next comma.
    fn assign_item(
        &mut self,
        list: Vec<Value>,
        index: i64,
    ) -> Result<Vec<Value>, (Vec<Value>, Stop)> {
        if matches!(self.kind, ValueKind::Json) {
            if self.empty_value() {
                return set_index(list, index, Value::Nil);
            }
            let v = match self.json_value() {
                Ok(v) => v,
                Err(e) => return Err((list, e)),
            };
            let list = set_index(list, index, v)?;
            self.empty_value();
            return Ok(list);
        }
        match self.value_list() {
            Ok(vl) => set_index(list, index, Value::list(vl)),
            Err(ListErr::Eof) => set_index(list, index, Value::str("")),
            Err(ListErr::NotList) => {
                let (text, _) = self.until(&[',']);
                match self.typed(&text) {
                    Ok(v) => set_index(list, index, v),
                    Err(e) => Err((list, e)),
                }
            }
            Err(ListErr::Error(e)) => Err((list, e)),
        }
    }
}

/// The step both key-path parsers (`--set`-like and `--set-literal`) take
/// after `NAME[INDEX]`: what differs between them is only how the value
/// after `=` is read ([`ListItems::assign_item`]); descending into nested
/// lists and maps is shared ([`ListItems::list_item`]).
trait ListItems {
    /// Read up to (and consume) the first of `stop`; `None` at the end.
    fn until(&mut self, stop: &[char]) -> (String, Option<char>);
    /// Read an index up to `]`.
    fn index(&mut self) -> Step<i64> {
        let (text, last) = self.until(&[']']);
        parse_index(&text, last)
    }
    /// Parse the rest of a key path into `data`.
    fn key(&mut self, data: &Rc<RefCell<Map>>, nested: usize) -> Step<()>;
    /// Set `list[index]` from the value after `=`.
    fn assign_item(
        &mut self,
        list: Vec<Value>,
        index: i64,
    ) -> Result<Vec<Value>, (Vec<Value>, Stop)>;

    /// Set `list[index]` from what follows `]`; on error the list as far as
    /// it was built comes back with the error (Helm still stores it).
    fn list_item(
        &mut self,
        mut list: Vec<Value>,
        index: i64,
        nested: usize,
    ) -> Result<Vec<Value>, (Vec<Value>, Stop)> {
        if index < 0 {
            return Err((
                list,
                Stop::Error(format!("negative {index} index not allowed")),
            ));
        }
        let (k, last) = self.until(&['[', '.', '=']);
        if !k.is_empty() {
            let runes: Vec<String> = k
                .chars()
                .map(|c| gostd::strconv::quote_rune(c, false))
                .collect();
            return Err((
                list,
                Stop::Error(format!(
                    "unexpected data at end of array index: [{}]",
                    runes.join(" ")
                )),
            ));
        }
        let i = index as usize;
        match last {
            None => Err((list, Stop::Eof)),
            Some('=') => self.assign_item(list, index),
            Some('[') => {
                let next = match self.index() {
                    Ok(n) => n,
                    Err(e) => return Err((list, e)),
                };
                let current = match list.get(i) {
                    None | Some(Value::Nil) => Vec::new(),
                    Some(Value::List(l)) => l.as_ref().clone(),
                    Some(other) => {
                        let e = conversion_error(other, "[]interface {}");
                        return Err((list, Stop::Error(e)));
                    }
                };
                match self.list_item(current, next, nested) {
                    Ok(inner) => set_index(list, index, Value::list(inner)),
                    Err((_, e)) => Err((list, e)),
                }
            }
            Some(_) => {
                // '.': a map inside the list (a non-map there is replaced).
                let inner = match list.get(i) {
                    Some(Value::Map(m)) => m.clone(),
                    Some(_) => {
                        let m = Rc::new(RefCell::new(Map::new()));
                        list[i] = Value::Map(m.clone());
                        m
                    }
                    None => Rc::new(RefCell::new(Map::new())),
                };
                if let Err(e) = self.key(&inner, nested) {
                    return Err((list, e));
                }
                set_index(list, index, Value::Map(inner))
            }
        }
    }
}

/// The list index read up to `]` (`last` is `None` when the text ended first).
fn parse_index(text: &str, last: Option<char>) -> Step<i64> {
    if last.is_none() {
        return Err(Stop::Error("error parsing index: EOF".to_string()));
    }
    gostd::strconv::atoi(text)
        .map_err(|e| Stop::Error(format!("error parsing index: {}", e.message("Atoi", text))))
}

/// A `.` in a key, shared by both parsers: parse the rest of the key
/// (`parse_rest`) into the map at `data[k]`, made when absent; the map is
/// stored only once the rest gave it a value.
fn descend(
    data: &Rc<RefCell<Map>>,
    k: &str,
    nested: usize,
    parse_rest: impl FnOnce(&Rc<RefCell<Map>>, usize) -> Step<()>,
) -> Step<()> {
    let nested = nested + 1;
    if nested > MAX_NESTED_NAME_LEVEL {
        return Err(Stop::Error(format!(
            "value name nested level is greater than maximum supported nested level of {MAX_NESTED_NAME_LEVEL}"
        )));
    }
    let existing = data.borrow().get(k).cloned();
    let inner = match existing {
        None => Rc::new(RefCell::new(Map::new())),
        Some(Value::Map(m)) => m,
        Some(other) => {
            return Err(conversion_error(&other, "map[string]interface {}").into());
        }
    };
    let result = parse_rest(&inner, nested);
    let empty = inner.borrow().is_empty();
    if result.is_ok() && empty {
        return Err(Stop::Error(format!(
            "key map {} has no value",
            gostd::strconv::quote(k)
        )));
    }
    if !empty {
        set(data, k, Value::Map(inner));
    }
    result
}

fn set(data: &Rc<RefCell<Map>>, key: &str, value: Value) {
    if !key.is_empty() {
        data.borrow_mut().insert(key.to_string(), value);
    }
}

fn set_index(
    mut list: Vec<Value>,
    index: i64,
    value: Value,
) -> Result<Vec<Value>, (Vec<Value>, Stop)> {
    if index < 0 {
        return Err((
            list,
            Stop::Error(format!("negative {index} index not allowed")),
        ));
    }
    let i = index as usize;
    if i > MAX_INDEX {
        return Err((
            list,
            Stop::Error(format!(
                "index of {index} is greater than maximum supported index of {MAX_INDEX}"
            )),
        ));
    }
    if list.len() <= i {
        list.resize(i + 1, Value::Nil);
    }
    list[i] = value;
    Ok(list)
}

/// Helm's `typedVal`: `true`/`false`/`null` (any case), `0`, and integers
/// not starting with `0` become typed; everything else stays a string.
pub fn typed_value(text: &str, force_string: bool) -> Value {
    if force_string {
        return Value::str(text);
    }
    if text.eq_ignore_ascii_case("true") {
        return Value::Bool(true);
    }
    if text.eq_ignore_ascii_case("false") {
        return Value::Bool(false);
    }
    if text.eq_ignore_ascii_case("null") {
        return Value::Nil;
    }
    // strconv.ParseInt(text, 10, 64): Helm's `--set` integers are `int64`.
    if text == "0" {
        return Value::Int64(0);
    }
    if !text.is_empty()
        && !text.starts_with('0')
        && let Ok(i) = gostd::strconv::parse_int(text, 10)
    {
        return Value::Int64(i);
    }
    Value::str(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<serde_json::Value, String> {
        let dest = Value::map(Map::new());
        parse_into(s, &dest).map_err(|e| e.to_string())?;
        Ok(dest.to_json())
    }

    fn parse_ok(s: &str) -> String {
        parse(s).unwrap().to_string()
    }

    #[test]
    fn scalars_are_typed_like_helm() {
        assert_eq!(
            parse_ok("a=1,b=true,c=FALSE,d=null,e=0,f=010,g=1.5,h=-3"),
            r#"{"a":1,"b":true,"c":false,"d":null,"e":0,"f":"010","g":"1.5","h":-3}"#
        );
    }

    #[test]
    fn nested_keys_lists_and_escapes() {
        assert_eq!(parse_ok("a.b.c=x"), r#"{"a":{"b":{"c":"x"}}}"#);
        assert_eq!(parse_ok("a[1]=x"), r#"{"a":[null,"x"]}"#);
        assert_eq!(parse_ok("a[0].b=1,a[0].c=2"), r#"{"a":[{"b":1,"c":2}]}"#);
        assert_eq!(parse_ok("a[0][1]=z"), r#"{"a":[[null,"z"]]}"#);
        assert_eq!(parse_ok("a={x,y},b=1"), r#"{"a":["x","y"],"b":1}"#);
        assert_eq!(parse_ok(r"a\.b=c\,d"), r#"{"a.b":"c,d"}"#);
        assert_eq!(parse_ok("a="), r#"{"a":""}"#);
        assert_eq!(parse_ok("a=x=y"), r#"{"a":"x=y"}"#);
    }

    #[test]
    fn errors_are_worded_as_helm_words_them() {
        assert_eq!(parse("a").unwrap_err(), r#"key "a" has no value"#);
        assert_eq!(
            parse("a,b=1").unwrap_err(),
            r#"key "a" has no value (cannot end with ,)"#
        );
        assert_eq!(
            parse("a=1,a.b=2").unwrap_err(),
            "unable to parse key: interface conversion: interface {} is int64, not map[string]interface {}"
        );
        assert_eq!(
            parse("a[x]=1").unwrap_err(),
            r#"error parsing index: strconv.Atoi: parsing "x": invalid syntax"#
        );
        assert_eq!(
            parse("a[-1]=1").unwrap_err(),
            "negative -1 index not allowed"
        );
        assert_eq!(
            parse("a[70000]=1").unwrap_err(),
            "index of 70000 is greater than maximum supported index of 65536"
        );
        assert_eq!(parse("a={x,y").unwrap_err(), "list must terminate with '}'");
    }

    #[test]
    fn set_string_and_json_and_file() {
        let dest = Value::map(Map::new());
        parse_into_string("a=1,b=true", &dest).unwrap();
        assert_eq!(dest.to_json().to_string(), r#"{"a":"1","b":"true"}"#);
        let dest = Value::map(Map::new());
        parse_json(r#"a={"x":[1,2]},b=null,c="s""#, &dest).unwrap();
        assert_eq!(
            dest.to_json().to_string(),
            r#"{"a":{"x":[1.0,2.0]},"b":null,"c":"s"}"#
        );
        let dest = Value::map(Map::new());
        let reader = |p: &str| Ok(Value::str(format!("content of {p}")));
        parse_into_file("cfg=some/path", &dest, &reader).unwrap();
        assert_eq!(
            dest.to_json().to_string(),
            r#"{"cfg":"content of some/path"}"#
        );
    }

    #[test]
    fn later_sets_refine_existing_maps() {
        let dest = Value::map(Map::new());
        parse_into("a.b=1", &dest).unwrap();
        parse_into("a.c=2,l[0]=x", &dest).unwrap();
        parse_into("l[2]=z", &dest).unwrap();
        assert_eq!(
            dest.to_json().to_string(),
            r#"{"a":{"b":1,"c":2},"l":["x",null,"z"]}"#
        );
    }

    fn literal(s: &str) -> Result<String, String> {
        let dest = Value::map(Map::new());
        parse_literal(s, &dest).map_err(|e| e.to_string())?;
        Ok(dest.to_json().to_string())
    }

    #[test]
    fn set_literal_keeps_the_rest_of_the_line_verbatim() {
        assert_eq!(
            literal("a=1,b=true,c={x,y}").unwrap(),
            r#"{"a":"1,b=true,c={x,y}"}"#
        );
        assert_eq!(literal("a.b=null").unwrap(), r#"{"a":{"b":"null"}}"#);
        assert_eq!(literal(r"a\.b=c\,d").unwrap(), r#"{"a\\":{"b":"c\\,d"}}"#);
        assert_eq!(literal("a=").unwrap(), r#"{"a":""}"#);
        assert_eq!(literal("l[1]=x").unwrap(), r#"{"l":[null,"x"]}"#);
        assert_eq!(literal("l[0].k=v").unwrap(), r#"{"l":[{"k":"v"}]}"#);
        assert_eq!(literal("l[0][1]=z").unwrap(), r#"{"l":[[null,"z"]]}"#);
        assert_eq!(literal("l[0]").unwrap(), r#"{"l":[]}"#);
        assert_eq!(literal("").unwrap(), "{}");
    }

    #[test]
    fn set_literal_errors_are_worded_as_helm_words_them() {
        assert_eq!(literal("a").unwrap_err(), r#"key "a" has no value"#);
        assert_eq!(literal("a.b").unwrap_err(), r#"key "b" has no value"#);
        assert_eq!(literal("a.=x").unwrap_err(), r#"key map "a" has no value"#);
        assert_eq!(literal("a[1").unwrap_err(), "error parsing index: EOF");
        assert_eq!(
            literal("a[x]=1").unwrap_err(),
            r#"error parsing index: strconv.Atoi: parsing "x": invalid syntax"#
        );
        assert_eq!(
            literal("a[-2]=1").unwrap_err(),
            "negative -2 index not allowed"
        );
        assert_eq!(
            literal("a[0]x=1").unwrap_err(),
            "unexpected data at end of array index: ['x']"
        );
        assert_eq!(
            literal("a[65537]=1").unwrap_err(),
            "index of 65537 is greater than maximum supported index of 65536"
        );
        let dest = Value::map(Map::new());
        parse_into("a=1", &dest).unwrap();
        assert_eq!(
            parse_literal("a.b=2", &dest).unwrap_err().to_string(),
            "unable to parse key: interface conversion: interface {} is int64, not map[string]interface {}"
        );
    }
}
