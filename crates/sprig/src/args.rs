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

/// A call whose arguments do not fit the function's signature, worded as
/// Go's reflection-based call words it. A function returns it as its
/// [`FuncError`] (`?` converts).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArgError {
    /// Not the number of arguments the function takes.
    #[error("wrong number of args for {name}: want {want} got {got}")]
    Count {
        /// The function's name.
        name: String,
        /// How many it takes.
        want: usize,
        /// How many it was given.
        got: usize,
    },
    /// Fewer arguments than a variadic function's fixed ones.
    #[error("wrong number of args for {name}: want at least {want} got {got}")]
    TooFew {
        /// The function's name.
        name: String,
        /// How many fixed parameters it has.
        want: usize,
        /// How many it was given.
        got: usize,
    },
    /// `nil` where a value of a type is due.
    #[error("invalid value; expected {expected}")]
    Nil {
        /// The Go type expected.
        expected: &'static str,
    },
    /// A value of another type.
    #[error("wrong type for value; expected {expected}; got {got}")]
    WrongType {
        /// The Go type expected.
        expected: &'static str,
        /// The Go type given.
        got: String,
    },
}

impl From<ArgError> for FuncError {
    fn from(e: ArgError) -> Self {
        FuncError::new(e.to_string())
    }
}

/// Exactly `n` arguments.
pub fn exact(name: &str, args: &[Value], n: usize) -> Result<(), ArgError> {
    if args.len() != n {
        return Err(ArgError::Count {
            name: name.to_string(),
            want: n,
            got: args.len(),
        });
    }
    Ok(())
}

/// At least `n` arguments (a variadic function with `n` fixed parameters).
pub fn at_least(name: &str, args: &[Value], n: usize) -> Result<(), ArgError> {
    if args.len() < n {
        return Err(ArgError::TooFew {
            name: name.to_string(),
            want: n,
            got: args.len(),
        });
    }
    Ok(())
}

fn wrong_type(expected: &'static str, got: &Value) -> ArgError {
    if matches!(got, Value::Nil) {
        return ArgError::Nil { expected };
    }
    ArgError::WrongType {
        expected,
        got: go_type(got),
    }
}

/// A `string` parameter.
pub fn string(v: &Value) -> Result<&str, ArgError> {
    match v {
        Value::String(s) => Ok(s),
        other => Err(wrong_type("string", other)),
    }
}

/// An `int` parameter. Template integer constants arrive as `Int`; a
/// `float64` from values or an `int64` (from `--set` or Sprig arithmetic)
/// is refused, as Go refuses it.
pub fn int(v: &Value) -> Result<i64, ArgError> {
    match v {
        Value::Int(i) => Ok(*i),
        other => Err(wrong_type("int", other)),
    }
}

/// A `float64` parameter: template number constants of either kind fit.
pub fn float(v: &Value) -> Result<f64, ArgError> {
    match v {
        Value::Float(f) => Ok(*f),
        Value::Int(i) => Ok(*i as f64),
        other => Err(wrong_type("float64", other)),
    }
}

/// A `bool` parameter.
pub fn boolean(v: &Value) -> Result<bool, ArgError> {
    match v {
        Value::Bool(b) => Ok(*b),
        other => Err(wrong_type("bool", other)),
    }
}

/// A `map[string]interface{}` parameter; nil is a nil map (`None`).
pub fn dict(v: &Value) -> Result<Option<&Rc<RefCell<Map>>>, ArgError> {
    match v {
        Value::Map(m) => Ok(Some(m)),
        Value::Nil => Ok(None),
        other => Err(wrong_type("map[string]interface {}", other)),
    }
}

/// A `[]interface{}` parameter; nil is an empty slice.
pub fn list(v: &Value) -> Result<&[Value], ArgError> {
    match v {
        Value::List(l) => Ok(l),
        Value::Nil => Ok(&[]),
        other => Err(wrong_type("[]interface {}", other)),
    }
}

/// A variadic `...string` tail.
pub fn strings(vs: &[Value]) -> Result<Vec<&str>, ArgError> {
    vs.iter().map(string).collect()
}

/// A string value.
pub fn s(text: impl AsRef<str>) -> Value {
    Value::str(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argument_errors_say_count_or_type() {
        let err = exact("f", &[Value::Int(1)], 2).unwrap_err();
        assert_eq!(
            err,
            ArgError::Count {
                name: "f".into(),
                want: 2,
                got: 1
            }
        );
        assert_eq!(err.to_string(), "wrong number of args for f: want 2 got 1");
        assert!(matches!(
            at_least("f", &[], 1),
            Err(ArgError::TooFew {
                want: 1,
                got: 0,
                ..
            })
        ));
        assert!(matches!(
            string(&Value::Int(1)),
            Err(ArgError::WrongType { expected: "string", got }) if got == "int"
        ));
        assert_eq!(int(&Value::Nil), Err(ArgError::Nil { expected: "int" }));
        // As a function's error, the text is Go's.
        let f: FuncError = string(&Value::Nil).unwrap_err().into();
        assert_eq!(f.message, "invalid value; expected string");
    }
}
