//! Defaults and emptiness (`default`, `empty`, `coalesce`, `all`, `any`,
//! `ternary`), JSON conversion, `deepCopy` and `fail`.

use gotmpl::{FuncError, FuncMap, Map, Value};

use crate::{FuncResult, args, define, json};

/// Sprig's `empty`: nil, false, 0, and empty strings, lists and maps are empty.
pub fn is_empty(v: &Value) -> bool {
    match v {
        Value::Nil => true,
        Value::Bool(b) => !b,
        Value::Int(i) | Value::Int64(i) => *i == 0,
        Value::Float(f) => *f == 0.0,
        Value::String(s) => s.is_empty(),
        Value::List(l) => l.is_empty(),
        Value::Map(m) => m.borrow().is_empty(),
        Value::Object(_) => false,
    }
}

/// A deep copy: new maps and lists all the way down (an error for values
/// nested deeper than [`crate::MAX_DEPTH`], which includes cycles).
pub fn deep_copy(v: &Value) -> Result<Value, FuncError> {
    copy_at(v, 0)
}

fn copy_at(v: &Value, depth: usize) -> Result<Value, FuncError> {
    if depth > crate::MAX_DEPTH {
        return Err(FuncError::new(
            "deepCopy error: value nested too deeply (a cycle?)",
        ));
    }
    Ok(match v {
        Value::List(items) => Value::list(
            items
                .iter()
                .map(|x| copy_at(x, depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        Value::Map(m) => {
            let copied = m
                .borrow()
                .iter()
                .map(|(k, x)| Ok((k.clone(), copy_at(x, depth + 1)?)))
                .collect::<Result<Map, FuncError>>()?;
            Value::map(copied)
        }
        other => other.clone(),
    })
}

fn to_json(
    n: &'static str,
    a: &[Value],
    must: bool,
    encode: fn(&Value) -> Result<String, json::EncodeError>,
) -> FuncResult {
    args::exact(n, a, 1)?;
    match encode(&a[0]) {
        Ok(s) => Ok(Value::str(s)),
        Err(e) if must => Err(FuncError::new(e.to_string())),
        Err(_) => Ok(Value::str("")),
    }
}

/// Register the default, JSON and copy functions.
pub fn register(m: &mut FuncMap) {
    define(m, &["default"], |n, a| {
        args::at_least(n, a, 1)?;
        let given = &a[1..];
        if given.is_empty() || is_empty(&given[0]) {
            return Ok(a[0].clone());
        }
        Ok(given[0].clone())
    });
    define(m, &["empty"], |n, a| {
        args::exact(n, a, 1)?;
        Ok(Value::Bool(is_empty(&a[0])))
    });
    define(m, &["coalesce"], |_, a| {
        Ok(a.iter()
            .find(|v| !is_empty(v))
            .cloned()
            .unwrap_or(Value::Nil))
    });
    define(m, &["all"], |_, a| {
        Ok(Value::Bool(a.iter().all(|v| !is_empty(v))))
    });
    define(m, &["any"], |_, a| {
        Ok(Value::Bool(a.iter().any(|v| !is_empty(v))))
    });
    define(m, &["ternary"], |n, a| {
        args::exact(n, a, 3)?;
        Ok(if args::boolean(&a[2])? {
            a[0].clone()
        } else {
            a[1].clone()
        })
    });
    define(m, &["fromJson"], |n, a| {
        args::exact(n, a, 1)?;
        Ok(json::decode(args::string(&a[0])?).unwrap_or(Value::Nil))
    });
    define(m, &["mustFromJson"], |n, a| {
        args::exact(n, a, 1)?;
        Ok(json::decode(args::string(&a[0])?)?)
    });
    define(m, &["toJson"], |n, a| {
        to_json(n, a, false, |v| json::encode(v, true))
    });
    define(m, &["mustToJson"], |n, a| {
        to_json(n, a, true, |v| json::encode(v, true))
    });
    define(m, &["toPrettyJson"], |n, a| {
        to_json(n, a, false, json::encode_pretty)
    });
    define(m, &["mustToPrettyJson"], |n, a| {
        to_json(n, a, true, json::encode_pretty)
    });
    define(m, &["toRawJson"], |n, a| {
        to_json(n, a, false, |v| json::encode(v, false))
    });
    define(m, &["mustToRawJson"], |n, a| {
        to_json(n, a, true, |v| json::encode(v, false))
    });
    define(m, &["deepCopy", "mustDeepCopy"], |n, a| {
        args::exact(n, a, 1)?;
        deep_copy(&a[0])
    });
    define(m, &["fail"], |n, a| {
        args::exact(n, a, 1)?;
        Err(FuncError::new(args::string(&a[0])?))
    });
}
