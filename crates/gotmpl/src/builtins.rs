//! Go's builtin template functions: `and or not len index slice print printf
//! println html js urlquery call eq ne lt le gt ge`.
//!
//! `and` and `or` short-circuit, so the executor evaluates them itself; every
//! other builtin is a plain function of its evaluated arguments here. Argument
//! count errors are reported by the executor before the call, worded as Go's
//! `wrong number of args for NAME: want N got M`.

use std::cmp::Ordering;

use crate::fmt;
use crate::value::Value;

/// How many arguments a builtin takes: fixed ones, and whether more may follow.
#[derive(Debug, Clone, Copy)]
pub struct Arity {
    /// Required arguments.
    pub fixed: usize,
    /// Whether any number of further arguments is accepted.
    pub variadic: bool,
}

const fn arity(fixed: usize, variadic: bool) -> Arity {
    Arity { fixed, variadic }
}

/// The arity of builtin `name`, or `None` if `name` is not a builtin.
pub fn builtin_arity(name: &str) -> Option<Arity> {
    Some(match name {
        "and" | "or" | "index" | "slice" | "call" | "eq" => arity(1, true),
        "printf" => arity(1, true),
        "print" | "println" | "html" | "js" | "urlquery" => arity(0, true),
        "not" | "len" => arity(1, false),
        "ne" | "lt" | "le" | "gt" | "ge" => arity(2, false),
        _ => return None,
    })
}

/// Whether `name` is a builtin function.
pub fn is_builtin(name: &str) -> bool {
    builtin_arity(name).is_some()
}

/// What a builtin call failed with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BuiltinError {
    /// Reported as is (argument type errors found before the call).
    Plain(String),
    /// Reported as `error calling NAME: ...`.
    Call(String),
}

/// Call builtin `name` (not `and`/`or`) with evaluated arguments whose count
/// the caller has checked.
pub fn call_builtin(name: &str, args: &[Value]) -> Result<Value, BuiltinError> {
    let call_err = |m: String| BuiltinError::Call(m);
    match name {
        "not" => Ok(Value::Bool(!args[0].truthy())),
        "len" => length(&args[0]).map(Value::Int).map_err(call_err),
        "index" => index(&args[0], &args[1..]).map_err(call_err),
        "slice" => slice(&args[0], &args[1..]).map_err(call_err),
        "print" => Ok(Value::str(fmt::sprint(args))),
        "println" => Ok(Value::str(fmt::sprintln(args))),
        "printf" => match &args[0] {
            Value::String(f) => Ok(Value::str(fmt::sprintf(f, &args[1..]))),
            other => Err(BuiltinError::Plain(format!(
                "wrong type for value; expected string; got {}",
                fmt::type_name(other)
            ))),
        },
        "html" => Ok(Value::str(html_escape(&eval_args(args)))),
        "js" => Ok(Value::str(js_escape(&eval_args(args)))),
        "urlquery" => Ok(Value::str(query_escape(&eval_args(args)))),
        "call" => Err(call_err(match &args[0] {
            Value::Nil => "call of nil".to_string(),
            v => format!("non-function of type {}", fmt::type_name(v)),
        })),
        "eq" => eq(&args[0], &args[1..]).map(Value::Bool).map_err(call_err),
        "ne" => eq(&args[0], &args[1..2])
            .map(|b| Value::Bool(!b))
            .map_err(call_err),
        "lt" => lt(&args[0], &args[1]).map(Value::Bool).map_err(call_err),
        "le" => le(&args[0], &args[1]).map(Value::Bool).map_err(call_err),
        "gt" => le(&args[0], &args[1])
            .map(|b| Value::Bool(!b))
            .map_err(call_err),
        "ge" => lt(&args[0], &args[1])
            .map(|b| Value::Bool(!b))
            .map_err(call_err),
        _ => Err(BuiltinError::Plain(format!(
            "{} is not a defined function",
            gostd::strconv::quote(name)
        ))),
    }
}

/// The value an object stands for, for builtins that look at data.
fn data_of(v: &Value) -> Value {
    match v {
        Value::Object(o) => o.to_data().unwrap_or_else(|| v.clone()),
        _ => v.clone(),
    }
}

fn length(v: &Value) -> Result<i64, String> {
    match data_of(v) {
        Value::Nil => Err("len of nil pointer".to_string()),
        Value::String(s) => Ok(gostd::bytestring::len(&s) as i64),
        Value::List(l) => Ok(l.len() as i64),
        Value::Map(m) => Ok(m.borrow().len() as i64),
        other => Err(format!("len of type {}", fmt::type_name(&other))),
    }
}

/// An index argument: an integer in `0..=cap`.
fn index_arg(index: &Value, cap: usize) -> Result<usize, String> {
    let x = match index {
        Value::Int(i) | Value::Int64(i) => *i,
        Value::Nil => return Err("cannot index slice/array with nil".to_string()),
        other => {
            return Err(format!(
                "cannot index slice/array with type {}",
                fmt::type_name(other)
            ));
        }
    };
    if x < 0 || x as u64 > cap as u64 {
        return Err(format!("index out of range: {x}"));
    }
    Ok(x as usize)
}

fn index(item: &Value, indexes: &[Value]) -> Result<Value, String> {
    let mut item = data_of(item);
    if let Value::Nil = item {
        return Err("index of untyped nil".to_string());
    }
    for (n, index) in indexes.iter().enumerate() {
        item = data_of(&item);
        item = match &item {
            Value::Nil if n > 0 => return Err("index of nil pointer".to_string()),
            Value::List(l) => {
                let x = index_arg(index, l.len())?;
                if x == l.len() {
                    return Err(format!("index out of range: {x}"));
                }
                l[x].clone()
            }
            Value::String(s) => {
                let x = index_arg(index, s.len())?;
                if x == s.len() {
                    return Err(format!("index out of range: {x}"));
                }
                Value::Int(i64::from(s.as_bytes()[x]))
            }
            Value::Map(m) => match index {
                Value::String(k) => m.borrow().get(&**k).cloned().unwrap_or(Value::Nil),
                Value::Nil => return Err("value is nil; should be of type string".to_string()),
                other => {
                    return Err(format!(
                        "value has type {}; should be string",
                        fmt::type_name(other)
                    ));
                }
            },
            other => {
                return Err(format!(
                    "can't index item of type {}",
                    fmt::type_name(other)
                ));
            }
        };
    }
    Ok(item)
}

fn slice(item: &Value, indexes: &[Value]) -> Result<Value, String> {
    let item = data_of(item);
    if let Value::Nil = item {
        return Err("slice of untyped nil".to_string());
    }
    if indexes.len() > 3 {
        return Err(format!("too many slice indexes: {}", indexes.len()));
    }
    let len = match &item {
        Value::String(s) => {
            if indexes.len() == 3 {
                return Err("cannot 3-index slice a string".to_string());
            }
            s.len()
        }
        Value::List(l) => l.len(),
        other => {
            return Err(format!(
                "can't slice item of type {}",
                fmt::type_name(other)
            ));
        }
    };
    let mut idx = [0, len, len];
    for (i, index) in indexes.iter().enumerate() {
        idx[i] = index_arg(index, len)?;
    }
    if idx[0] > idx[1] {
        return Err(format!("invalid slice index: {} > {}", idx[0], idx[1]));
    }
    if indexes.len() == 3 && idx[1] > idx[2] {
        return Err(format!("invalid slice index: {} > {}", idx[1], idx[2]));
    }
    Ok(match &item {
        Value::String(s) => match s.get(idx[0]..idx[1]) {
            Some(sub) => Value::str(sub),
            None => Value::str(String::from_utf8_lossy(&s.as_bytes()[idx[0]..idx[1]])),
        },
        Value::List(l) => Value::list(l[idx[0]..idx[1]].to_vec()),
        _ => Value::Nil,
    })
}

/// Go's basic kinds for comparison.
#[derive(PartialEq, Eq, Clone, Copy)]
enum Kind {
    Invalid,
    Bool,
    Int,
    Float,
    String,
    Other,
}

fn kind(v: &Value) -> Kind {
    match v {
        Value::Nil => Kind::Invalid,
        Value::Bool(_) => Kind::Bool,
        Value::Int(_) | Value::Int64(_) => Kind::Int,
        Value::Float(_) => Kind::Float,
        Value::String(_) => Kind::String,
        _ => Kind::Other,
    }
}

const BAD_COMPARISON: &str = "incompatible types for comparison";
const BAD_COMPARISON_TYPE: &str = "invalid type for comparison";

/// Go's `eq`: `a == b || a == c || ...`, with Go's basic-kind rules.
pub fn eq(a: &Value, others: &[Value]) -> Result<bool, String> {
    if others.is_empty() {
        return Err("missing argument for comparison".to_string());
    }
    let a = data_of(a);
    let ka = kind(&a);
    for b in others {
        let b = data_of(b);
        let kb = kind(&b);
        let truth = if ka != kb {
            if ka != Kind::Invalid && kb != Kind::Invalid {
                return Err(BAD_COMPARISON.to_string());
            }
            false
        } else {
            match (&a, &b) {
                (Value::Nil, Value::Nil) => true,
                (Value::Bool(x), Value::Bool(y)) => x == y,
                (Value::Int(x) | Value::Int64(x), Value::Int(y) | Value::Int64(y)) => x == y,
                (Value::Float(x), Value::Float(y)) => x == y,
                (Value::String(x), Value::String(y)) => x == y,
                (Value::Object(x), Value::Object(y)) => std::rc::Rc::ptr_eq(x, y),
                (x, y) if std::mem::discriminant(x) != std::mem::discriminant(y) => {
                    return Err(fmt::sprintf(
                        "non-comparable types %s: %v, %s: %v",
                        &[
                            x.clone(),
                            Value::str(fmt::type_name(x)),
                            Value::str(fmt::type_name(y)),
                            y.clone(),
                        ],
                    ));
                }
                (_, y) => {
                    return Err(fmt::sprintf(
                        "non-comparable type %s: %v",
                        &[y.clone(), Value::str(fmt::type_name(y))],
                    ));
                }
            }
        };
        if truth {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Go's `lt`.
pub fn lt(a: &Value, b: &Value) -> Result<bool, String> {
    Ok(compare(a, b)? == Ordering::Less)
}

fn le(a: &Value, b: &Value) -> Result<bool, String> {
    if lt(a, b)? {
        return Ok(true);
    }
    eq(a, std::slice::from_ref(b))
}

fn compare(a: &Value, b: &Value) -> Result<Ordering, String> {
    let (a, b) = (data_of(a), data_of(b));
    let (ka, kb) = (kind(&a), kind(&b));
    if matches!(ka, Kind::Invalid | Kind::Other) || matches!(kb, Kind::Invalid | Kind::Other) {
        return Err(BAD_COMPARISON_TYPE.to_string());
    }
    if ka != kb {
        return Err(BAD_COMPARISON.to_string());
    }
    match (&a, &b) {
        (Value::Int(x) | Value::Int64(x), Value::Int(y) | Value::Int64(y)) => Ok(x.cmp(y)),
        (Value::Float(x), Value::Float(y)) => Ok(x.partial_cmp(y).unwrap_or(Ordering::Greater)),
        (Value::String(x), Value::String(y)) => Ok(x.as_bytes().cmp(y.as_bytes())),
        _ => Err(BAD_COMPARISON_TYPE.to_string()),
    }
}

/// Go's `evalArgs`: one string argument as is, otherwise `Sprint` with nil as `<no value>`.
fn eval_args(args: &[Value]) -> String {
    if let [Value::String(s)] = args {
        return s.to_string();
    }
    let printable: Vec<Value> = args
        .iter()
        .map(|a| {
            if let Value::Nil = a {
                Value::str("<no value>")
            } else {
                a.clone()
            }
        })
        .collect();
    fmt::sprint(&printable)
}

/// Go's `template.HTMLEscapeString`.
pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\0' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Go's `template.JSEscapeString`.
pub fn js_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '<' => out.push_str("\\u003C"),
            '>' => out.push_str("\\u003E"),
            '&' => out.push_str("\\u0026"),
            '=' => out.push_str("\\u003D"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04X}", c as u32)),
            c if (c as u32) < 0x80 || gostd::strconv::is_print(c) => out.push(c),
            c => out.push_str(&format!("\\u{:04X}", c as u32)),
        }
    }
    out
}

/// Go's `url.QueryEscape`.
pub fn query_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            b => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comparisons_follow_go_kinds() {
        assert_eq!(
            eq(&Value::Int(1), &[Value::Int(2), Value::Int(1)]),
            Ok(true)
        );
        assert_eq!(
            eq(&Value::Int(1), &[Value::Float(1.0)]),
            Err(BAD_COMPARISON.to_string())
        );
        assert_eq!(eq(&Value::Nil, &[Value::Nil]), Ok(true));
        assert_eq!(eq(&Value::str("a"), &[Value::Nil]), Ok(false));
        assert_eq!(lt(&Value::str("a"), &Value::str("b")), Ok(true));
        assert_eq!(
            lt(&Value::Bool(true), &Value::Bool(false)),
            Err(BAD_COMPARISON_TYPE.to_string())
        );
    }

    #[test]
    fn index_and_slice() {
        let l = Value::list(vec![Value::Int(3), Value::Int(4), Value::Int(5)]);
        assert!(matches!(index(&l, &[Value::Int(1)]), Ok(Value::Int(4))));
        assert_eq!(
            index(&l, &[Value::Int(3)]).unwrap_err(),
            "index out of range: 3"
        );
        assert_eq!(
            fmt::format_value(&slice(&l, &[Value::Int(1)]).unwrap()),
            "[4 5]"
        );
        assert_eq!(
            slice(&l, &[Value::Int(2), Value::Int(1)]).unwrap_err(),
            "invalid slice index: 2 > 1"
        );
        assert_eq!(
            fmt::format_value(&slice(&Value::str("xyz"), &[Value::Int(1), Value::Int(2)]).unwrap()),
            "y"
        );
    }

    #[test]
    fn escapers() {
        assert_eq!(
            html_escape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&#34;x&#34;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
        assert_eq!(
            js_escape("It'd <b>=\n"),
            "It\\'d \\u003Cb\\u003E\\u003D\\u000A"
        );
        assert_eq!(query_escape("http://x.org/a b"), "http%3A%2F%2Fx.org%2Fa+b");
    }
}
