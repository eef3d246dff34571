//! Type inspection: `typeOf`, `typeIs`, `typeIsLike`, `kindOf`, `kindIs`, `deepEqual`.

use gotmpl::{FuncMap, Value};

use crate::{args, define};

/// Go's `reflect.Kind` name of a value (`invalid` for nil).
pub fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Nil => "invalid",
        Value::Bool(_) => "bool",
        Value::Int(_) => "int",
        Value::Int64(_) => "int64",
        Value::Float(_) => "float64",
        Value::String(_) => "string",
        Value::List(_) => "slice",
        Value::Map(_) => "map",
        Value::Object(o) if o.type_name().starts_with('*') => "ptr",
        Value::Object(o) if o.type_name().starts_with("[]") => "slice",
        Value::Object(_) => "struct",
    }
}

/// Go's `reflect.DeepEqual` over template values: same types, equal contents.
pub fn deep_equal(a: &Value, b: &Value) -> bool {
    equal_at(a, b, 0)
}

fn equal_at(a: &Value, b: &Value, depth: usize) -> bool {
    if depth > crate::MAX_DEPTH {
        return false;
    }
    let deep_equal = |x: &Value, y: &Value| equal_at(x, y, depth + 1);
    match (a, b) {
        (Value::Nil, Value::Nil) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Int(x), Value::Int(y)) | (Value::Int64(x), Value::Int64(y)) => x == y,
        (Value::Float(x), Value::Float(y)) => x == y,
        (Value::String(x), Value::String(y)) => x == y,
        (Value::List(x), Value::List(y)) => {
            x.len() == y.len() && x.iter().zip(y.iter()).all(|(p, q)| deep_equal(p, q))
        }
        (Value::Map(x), Value::Map(y)) => {
            if std::rc::Rc::ptr_eq(x, y) {
                return true;
            }
            let (x, y) = (x.borrow(), y.borrow());
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| deep_equal(v, w)))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.type_name() == y.type_name()
                && match (x.to_data(), y.to_data()) {
                    (Some(p), Some(q)) => deep_equal(&p, &q),
                    _ => x.fmt_go() == y.fmt_go(),
                }
        }
        _ => false,
    }
}

/// Register the type functions.
pub fn register(m: &mut FuncMap) {
    define(m, &["typeOf"], |n, a| {
        args::exact(n, a, 1)?;
        Ok(Value::str(args::go_type(&a[0])))
    });
    define(m, &["typeIs"], |n, a| {
        args::exact(n, a, 2)?;
        Ok(Value::Bool(args::string(&a[0])? == args::go_type(&a[1])))
    });
    define(m, &["typeIsLike"], |n, a| {
        args::exact(n, a, 2)?;
        let (target, actual) = (args::string(&a[0])?, args::go_type(&a[1]));
        Ok(Value::Bool(
            target == actual || format!("*{target}") == actual,
        ))
    });
    define(m, &["kindOf"], |n, a| {
        args::exact(n, a, 1)?;
        Ok(Value::str(kind_of(&a[0])))
    });
    define(m, &["kindIs"], |n, a| {
        args::exact(n, a, 2)?;
        Ok(Value::Bool(args::string(&a[0])? == kind_of(&a[1])))
    });
    define(m, &["deepEqual"], |n, a| {
        args::exact(n, a, 2)?;
        Ok(Value::Bool(deep_equal(&a[0], &a[1])))
    });
}
