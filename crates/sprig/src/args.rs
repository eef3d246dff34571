//! Argument checking with the errors Go's reflection-based calls give.
//!
//! Go's `text/template` checks a call against the function's signature
//! before calling it: the argument count (`wrong number of args for NAME:
//! want N got M`) and each argument's type (`wrong type for value; expected
//! string; got int`, `invalid value; expected string` for nil). Sprig
//! functions declared with `interface{}` parameters accept anything.

use gotmpl::{FuncError, Map, Value};
use std::cell::RefCell;
use std::rc::Rc;

/// The Go type name of a value, as reflection errors and `typeOf` print it.
pub fn go_type(v: &Value) -> String {
    gotmpl::fmt::type_name(v)
}

/// Exactly `n` arguments.
pub fn exact(name: &str, args: &[Value], n: usize) -> Result<(), FuncError> {
    if args.len() != n {
        return Err(FuncError::new(format!(
            "wrong number of args for {name}: want {n} got {}",
            args.len()
        )));
    }
    Ok(())
}

/// At least `n` arguments (a variadic function with `n` fixed parameters).
pub fn at_least(name: &str, args: &[Value], n: usize) -> Result<(), FuncError> {
    if args.len() < n {
        return Err(FuncError::new(format!(
            "wrong number of args for {name}: want at least {n} got {}",
            args.len()
        )));
    }
    Ok(())
}

fn wrong_type(expected: &str, got: &Value) -> FuncError {
    if matches!(got, Value::Nil) {
        return FuncError::new(format!("invalid value; expected {expected}"));
    }
    FuncError::new(format!(
        "wrong type for value; expected {expected}; got {}",
        go_type(got)
    ))
}

/// A `string` parameter.
pub fn string(v: &Value) -> Result<&str, FuncError> {
    match v {
        Value::String(s) => Ok(s),
        other => Err(wrong_type("string", other)),
    }
}

/// An `int` parameter. Template integer constants arrive as `Int`; a
/// `float64` from values or an `int64` (from `--set` or Sprig arithmetic)
/// is refused, as Go refuses it.
pub fn int(v: &Value) -> Result<i64, FuncError> {
    match v {
        Value::Int(i) => Ok(*i),
        other => Err(wrong_type("int", other)),
    }
}

/// A `float64` parameter: template number constants of either kind fit.
pub fn float(v: &Value) -> Result<f64, FuncError> {
    match v {
        Value::Float(f) => Ok(*f),
        Value::Int(i) => Ok(*i as f64),
        other => Err(wrong_type("float64", other)),
    }
}

/// A `bool` parameter.
pub fn boolean(v: &Value) -> Result<bool, FuncError> {
    match v {
        Value::Bool(b) => Ok(*b),
        other => Err(wrong_type("bool", other)),
    }
}

/// A `map[string]interface{}` parameter; nil is a nil map (`None`).
pub fn dict(v: &Value) -> Result<Option<&Rc<RefCell<Map>>>, FuncError> {
    match v {
        Value::Map(m) => Ok(Some(m)),
        Value::Nil => Ok(None),
        other => Err(wrong_type("map[string]interface {}", other)),
    }
}

/// A `[]interface{}` parameter; nil is an empty slice.
pub fn list(v: &Value) -> Result<&[Value], FuncError> {
    match v {
        Value::List(l) => Ok(l),
        Value::Nil => Ok(&[]),
        other => Err(wrong_type("[]interface {}", other)),
    }
}

/// A variadic `...string` tail.
pub fn strings(vs: &[Value]) -> Result<Vec<&str>, FuncError> {
    vs.iter().map(string).collect()
}

/// A string value.
pub fn s(text: impl AsRef<str>) -> Value {
    Value::str(text)
}
