//! The value model templates execute over.
//!
//! It mirrors what Helm hands to Go's `text/template`: JSON-like data
//! (`map[string]interface{}`, `[]interface{}`, `string`, `bool`, `int64`,
//! `float64`, `nil`) plus a few host objects with fields and methods
//! (`.Files`, `.Capabilities`, semver versions, ...).
//!
//! Maps are *shared and mutable*, like Go maps: Sprig's `set`, `unset` and
//! `merge` change a dict in place and every reference sees the change
//! (charts rely on `$_ := set $ctx "k" v`). Lists are immutable, as Sprig's
//! list functions always return new lists. Values are `Rc`-based: a render
//! runs on one thread; parsed templates (not values) are shared across threads.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;
use std::rc::Rc;

/// A map of a template value; keys iterate in sorted order, as Go's
/// `range`, `fmt` and `encoding/json` visit map keys.
pub type Map = BTreeMap<String, Value>;

/// One value seen by a template.
#[derive(Clone, Default)]
pub enum Value {
    /// Go's `nil` (an absent interface value). Prints as `<no value>`.
    #[default]
    Nil,
    /// `bool`.
    Bool(bool),
    /// Go's `int`: template number constants, `len`, Sprig's `int` and
    /// `atoi`.
    Int(i64),
    /// Go's `int64`: Helm's `--set` integers and Sprig's integer
    /// arithmetic. It compares, prints and converts as `Int` does; only its
    /// type name differs, and Go refuses it for an `int` parameter.
    Int64(i64),
    /// `float64`; every number read from YAML or JSON by Helm is one.
    Float(f64),
    /// `string`.
    String(Rc<str>),
    /// `[]interface{}`.
    List(Rc<Vec<Value>>),
    /// `map[string]interface{}`, shared and mutable (see the module docs).
    Map(Rc<RefCell<Map>>),
    /// A host object with fields and methods (`.Files`, `.Capabilities`, ...).
    Object(Rc<dyn Object>),
}

/// What JSON integers become (JSON floats are always `Float`).
#[derive(Clone, Copy)]
enum Numbers {
    IntOrFloat,
    Int64OrFloat,
    Float,
}

/// A host object: something with Go fields and methods that is not plain data.
pub trait Object: fmt::Debug {
    /// Go type name, as `printf "%T"` and Sprig's `typeOf` print it.
    fn type_name(&self) -> &str;
    /// The field or zero-argument method `name` (`.Name`), or `None` if the
    /// object has no such field.
    fn field(&self, name: &str) -> Option<Value>;
    /// Call method `name` with `args`; `None` if there is no such method.
    fn call(&self, name: &str, args: &[Value]) -> Option<Result<Value, String>> {
        let _ = (name, args);
        None
    }
    /// The value this object stands for when printed or serialized
    /// (`{{ .Chart }}`, `toYaml`); `None` prints the Go struct syntax from `fmt_go`.
    fn to_data(&self) -> Option<Value> {
        None
    }
    /// The data the object serializes as (`toJson`, `toYaml`, `toToml`):
    /// by default [`Object::to_data`]. A Go type with a `String()` method
    /// prints as that string but still serializes as its fields.
    fn serialized(&self) -> Option<Value> {
        self.to_data()
    }
    /// What Go's `fmt` `%v` prints for the object.
    fn fmt_go(&self) -> String {
        format!("{{{}}}", self.type_name())
    }
    /// Whether the object counts as true in `if` (non-zero struct: always).
    fn truthy(&self) -> bool {
        true
    }
    /// Go's `string(x)` for a type that converts to a string (`[]byte`),
    /// as a Go string ([`gostd::bytestring`]); `None` for the others.
    fn go_string(&self) -> Option<String> {
        None
    }
}

impl Value {
    /// A string value.
    pub fn str(s: impl AsRef<str>) -> Value {
        Value::String(Rc::from(s.as_ref()))
    }
    /// A list value.
    pub fn list(items: Vec<Value>) -> Value {
        Value::List(Rc::new(items))
    }
    /// A new map value (a fresh, unshared map).
    pub fn map(entries: Map) -> Value {
        Value::Map(Rc::new(RefCell::new(entries)))
    }
    /// Go's notion of truth: false, 0, nil, empty string/list/map are false.
    pub fn truthy(&self) -> bool {
        match self {
            Value::Nil => false,
            Value::Bool(b) => *b,
            Value::Int(i) | Value::Int64(i) => *i != 0,
            Value::Float(f) => *f != 0.0,
            Value::String(s) => !s.is_empty(),
            Value::List(l) => !l.is_empty(),
            Value::Map(m) => !m.borrow().is_empty(),
            Value::Object(o) => o.truthy(),
        }
    }
    /// The integer inside, of either integer kind.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(i) | Value::Int64(i) => Some(*i),
            _ => None,
        }
    }
    /// The string inside, if this is a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }
    /// Convert a JSON value. Numbers keep Go's int/float split as JSON
    /// carries it (`1` → `Int`, `1.0` → `Float`); callers that need Helm's
    /// "every YAML number is a float64" convert with [`Value::from_json_helm`].
    pub fn from_json(v: &serde_json::Value) -> Value {
        Self::from_json_with(v, Numbers::IntOrFloat)
    }
    /// Convert a JSON value as Helm's values loader sees it: every number is a `float64`.
    pub fn from_json_helm(v: &serde_json::Value) -> Value {
        Self::from_json_with(v, Numbers::Float)
    }
    /// Convert user values as Helm holds them: integers are the `int64`s
    /// its `--set` parser makes (files' numbers arrive here as floats).
    pub fn from_json_user_values(v: &serde_json::Value) -> Value {
        Self::from_json_with(v, Numbers::Int64OrFloat)
    }
    fn from_json_with(v: &serde_json::Value, numbers: Numbers) -> Value {
        match v {
            serde_json::Value::Null => Value::Nil,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => match (numbers, n.as_i64()) {
                (Numbers::IntOrFloat, Some(i)) => Value::Int(i),
                (Numbers::Int64OrFloat, Some(i)) => Value::Int64(i),
                _ => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
            serde_json::Value::String(s) => Value::str(s),
            serde_json::Value::Array(a) => {
                Value::list(a.iter().map(|x| Self::from_json_with(x, numbers)).collect())
            }
            serde_json::Value::Object(o) => Value::map(
                o.iter()
                    .map(|(k, x)| (k.clone(), Self::from_json_with(x, numbers)))
                    .collect(),
            ),
        }
    }
    /// Convert to JSON data (objects through [`Object::to_data`]; an object
    /// without data becomes `null`). Non-finite floats become `null`.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Nil => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Int(i) | Value::Int64(i) => serde_json::Value::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f)
                .map_or(serde_json::Value::Null, serde_json::Value::Number),
            // JSON text is UTF-8: a Go byte that is not becomes U+FFFD, as
            // `encoding/json` writes it.
            Value::String(s) => {
                serde_json::Value::String(gostd::bytestring::to_valid_utf8(s).into_owned())
            }
            Value::List(l) => serde_json::Value::Array(l.iter().map(Value::to_json).collect()),
            Value::Map(m) => serde_json::Value::Object(
                m.borrow()
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_json()))
                    .collect(),
            ),
            Value::Object(o) => o
                .serialized()
                .map_or(serde_json::Value::Null, |d| d.to_json()),
        }
    }
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Nil => f.write_str("nil"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) | Value::Int64(i) => write!(f, "{i}"),
            Value::Float(x) => write!(f, "{x:?}"),
            Value::String(s) => write!(f, "{s:?}"),
            Value::List(l) => f.debug_list().entries(l.iter()).finish(),
            Value::Map(m) => f.debug_map().entries(m.borrow().iter()).finish(),
            Value::Object(o) => write!(f, "{o:?}"),
        }
    }
}
