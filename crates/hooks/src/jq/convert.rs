//! Conversions between `serde_json::Value` and jaq's `Val`, and output
//! collection as gojq (shell-operator's jq) does it.

use jaq_json::{Num, Val};
use serde_json::{Map, Number, Value};

/// Convert a JSON value into a jaq value.
pub fn to_val(value: &Value) -> Val {
    match value {
        Value::Null => Val::Null,
        Value::Bool(b) => Val::Bool(*b),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Val::Num(Num::from_integral(i))
            } else if let Some(u) = n.as_u64() {
                Val::Num(Num::from_integral(u))
            } else {
                Val::Num(Num::Float(n.as_f64().unwrap_or(f64::NAN)))
            }
        }
        Value::String(s) => Val::utf8_str(s.clone().into_bytes()),
        Value::Array(items) => items.iter().map(to_val).collect(),
        Value::Object(map) => {
            let mut out = jaq_json::Map::default();
            for (k, v) in map {
                out.insert(Val::utf8_str(k.clone().into_bytes()), to_val(v));
            }
            Val::obj(out)
        }
    }
}

/// Convert a jaq value back into JSON. Object keys come out sorted, as
/// gojq prints them. Non-finite floats become `null` (as gojq encodes
/// them); non-string object keys are printed as their JSON text.
pub fn from_val(val: &Val) -> Value {
    match val {
        Val::Null => Value::Null,
        Val::Bool(b) => Value::Bool(*b),
        Val::Num(n) => num_to_json(n),
        Val::TStr(b) | Val::BStr(b) => Value::String(String::from_utf8_lossy(b).into_owned()),
        Val::Arr(items) => Value::Array(items.iter().map(from_val).collect()),
        Val::Obj(map) => {
            let mut entries: Vec<(String, Value)> = map
                .iter()
                .map(|(k, v)| {
                    let key = match k {
                        Val::TStr(b) | Val::BStr(b) => String::from_utf8_lossy(b).into_owned(),
                        other => other.to_string(),
                    };
                    (key, from_val(v))
                })
                .collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(entries.into_iter().collect::<Map<String, Value>>())
        }
    }
}

fn num_to_json(n: &Num) -> Value {
    match n {
        Num::Int(i) => Value::Number(Number::from(*i as i64)),
        Num::Float(f) => float_to_json(*f),
        // Big integers and decimal literals: keep integral values exact when
        // they fit, otherwise go through f64 as gojq's encoder does.
        other => {
            let text = other.to_string();
            if let Ok(i) = text.parse::<i64>() {
                Value::Number(Number::from(i))
            } else if let Ok(u) = text.parse::<u64>() {
                Value::Number(Number::from(u))
            } else {
                float_to_json(text.parse::<f64>().unwrap_or(f64::NAN))
            }
        }
    }
}

/// A float as JSON: integral values in i64 range print as integers (jq and
/// gojq print `1.0` as `1`), non-finite values become `null`.
pub fn float_to_json(f: f64) -> Value {
    if !f.is_finite() {
        return Value::Null;
    }
    if f.fract() == 0.0 && f.abs() < 9.007_199_254_740_992e15 {
        return Value::Number(Number::from(f as i64));
    }
    Number::from_f64(f).map_or(Value::Null, Value::Number)
}

/// Collect a filter's outputs as shell-operator does: none → `null`, one →
/// that value, several → an array of them.
pub fn collect_outputs(mut outputs: Vec<Value>) -> Value {
    match outputs.len() {
        0 => Value::Null,
        1 => outputs.pop().unwrap_or(Value::Null),
        _ => Value::Array(outputs),
    }
}

/// Sort every object's keys recursively (a no-op unless serde_json keeps
/// insertion order in this build).
pub fn sort_keys(value: Value) -> Value {
    match value {
        Value::Array(items) => Value::Array(items.into_iter().map(sort_keys).collect()),
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k, sort_keys(v)))
                    .collect(),
            )
        }
        other => other,
    }
}
