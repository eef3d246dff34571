//! Helm's template functions on top of Sprig (`engine.funcMap` and the
//! late-bound ones of `Engine.initFunMap`): `include`, `tpl`, `required`,
//! `fail`, `toYaml`, `toYamlPretty`, `fromYaml`, `fromYamlArray`,
//! `toJson`, `fromJson`, `fromJsonArray`, `toToml`, `fromToml`, `lookup`
//! (offline: an empty map) and `getHostByName` (DNS disabled: empty).
//! Sprig's `env` and `expandenv` are absent (`sprig::funcs` leaves them
//! out), so, as in Helm, a template naming them fails to parse.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use gotmpl::{CallContext, FuncError, FuncMap, Map, Value};

/// Most nested `include`s of one template name (Helm's `recursionMaxNums`).
pub const INCLUDE_RECURSION_MAX: usize = 1000;

/// Helm wraps `required`/`fail` messages in these markers so that the
/// render error can quote them as `execution error at (FILE:L:C): MSG`.
pub(crate) const WARN_START: &str = "HELM_ERR_START";
pub(crate) const WARN_END: &str = "HELM_ERR_END";

/// Helm's `toYaml` text of JSON data: YAML without the final newline.
pub(crate) fn to_yaml_text(v: &serde_json::Value) -> String {
    let s = goyaml::to_string(v);
    s.strip_suffix('\n').map(str::to_string).unwrap_or(s)
}

/// Template values as JSON data, failing where Go's `json.Marshal` fails.
fn to_json_data(v: &Value) -> Result<serde_json::Value, String> {
    // Go's encoder rejects NaN and infinities; serde turns them into null.
    sprig::json::encode(v, true).map_err(|e| e.to_string())?;
    Ok(v.to_json())
}

fn arg_str(args: &[Value], i: usize) -> Result<&str, FuncError> {
    match args.get(i) {
        Some(Value::String(s)) => Ok(s),
        Some(other) => Err(FuncError::new(format!(
            "wrong type for value; expected string; got {}",
            gotmpl::fmt::type_name(other)
        ))),
        None => Err(FuncError::new("missing argument")),
    }
}

fn want_args(args: &[Value], n: usize, name: &str) -> Result<(), FuncError> {
    if args.len() != n {
        return Err(FuncError::new(format!(
            "wrong number of args for {name}: want {n} got {}",
            args.len()
        )));
    }
    Ok(())
}

/// Every function a chart template can call: Sprig's plus Helm's.
/// Each call returns a fresh map with its own `include` recursion counters,
/// so use one per render.
pub fn helm_funcs() -> FuncMap {
    let mut f = sprig::funcs();
    f.extend(helm_only_funcs());
    f
}

/// Helm's own functions (without Sprig).
pub fn helm_only_funcs() -> FuncMap {
    let mut f = FuncMap::new();
    f.insert_pure("toYaml", |args| {
        want_args(args, 1, "toYaml")?;
        Ok(Value::str(
            to_json_data(&args[0])
                .map(|d| to_yaml_text(&d))
                .unwrap_or_default(),
        ))
    });
    f.insert_pure("toYamlPretty", |args| {
        want_args(args, 1, "toYamlPretty")?;
        // yaml.v3 encodes the Go value itself: NaN and infinities are fine.
        let text = goyaml::emit::to_string_pretty(&args[0].to_json());
        Ok(Value::str(text.strip_suffix('\n').unwrap_or(&text)))
    });
    f.insert_pure("fromYaml", |args| {
        want_args(args, 1, "fromYaml")?;
        let text = arg_str(args, 0)?;
        Ok(match goyaml::from_str(text) {
            Ok(serde_json::Value::Object(m)) => Value::from_json_helm(&serde_json::Value::Object(m)),
            Ok(serde_json::Value::Null) => Value::map(Map::new()),
            Ok(other) => error_map(format!(
                "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
                json_kind(&other)
            )),
            Err(e) => error_map(yaml_error_text(&e)),
        })
    });
    f.insert_pure("fromYamlArray", |args| {
        want_args(args, 1, "fromYamlArray")?;
        let text = arg_str(args, 0)?;
        Ok(match goyaml::from_str(text) {
            Ok(serde_json::Value::Array(a)) => Value::from_json_helm(&serde_json::Value::Array(a)),
            Ok(serde_json::Value::Null) => Value::list(Vec::new()),
            Ok(other) => Value::list(vec![Value::str(format!(
                "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {} into Go value of type []interface {{}}",
                json_kind(&other)
            ))]),
            Err(e) => Value::list(vec![Value::str(yaml_error_text(&e))]),
        })
    });
    f.insert_pure("toJson", |args| {
        want_args(args, 1, "toJson")?;
        Ok(Value::str(
            sprig::json::encode(&args[0], true).unwrap_or_default(),
        ))
    });
    f.insert_pure("mustToJson", |args| {
        want_args(args, 1, "mustToJson")?;
        sprig::json::encode(&args[0], true)
            .map(Value::str)
            .map_err(|e| FuncError::new(e.to_string()))
    });
    // Helm's fromJson / fromJsonArray: json.Unmarshal into a map or a
    // slice, the error text in place of the result.
    f.insert_pure("fromJson", |args| {
        want_args(args, 1, "fromJson")?;
        let text = arg_str(args, 0)?;
        let type_error = |kind: &str| {
            format!("json: cannot unmarshal {kind} into Go value of type map[string]interface {{}}")
        };
        Ok(match sprig::json::decode_json(text) {
            Ok(serde_json::Value::Object(m)) => {
                Value::from_json_helm(&serde_json::Value::Object(m))
            }
            // `null` leaves Go's map nil.
            Ok(serde_json::Value::Null) => Value::Nil,
            Ok(other) => error_map(type_error(json_kind(&other))),
            Err(e @ sprig::json::DecodeError::NumberRange(_)) => {
                match sprig::json::top_level_kind(text) {
                    "object" => error_map(e.to_string()),
                    kind => error_map(type_error(kind)),
                }
            }
            Err(e) => error_map(e.to_string()),
        })
    });
    f.insert_pure("fromJsonArray", |args| {
        want_args(args, 1, "fromJsonArray")?;
        let text = arg_str(args, 0)?;
        let type_error = |kind: &str| {
            format!("json: cannot unmarshal {kind} into Go value of type []interface {{}}")
        };
        let error = |message: String| Value::list(vec![Value::str(message)]);
        Ok(match sprig::json::decode_json(text) {
            Ok(serde_json::Value::Array(a)) => Value::from_json_helm(&serde_json::Value::Array(a)),
            // `null` leaves Go's slice nil.
            Ok(serde_json::Value::Null) => Value::Nil,
            Ok(other) => error(type_error(json_kind(&other))),
            Err(e @ sprig::json::DecodeError::NumberRange(_)) => {
                match sprig::json::top_level_kind(text) {
                    "array" => error(e.to_string()),
                    kind => error(type_error(kind)),
                }
            }
            Err(e) => error(e.to_string()),
        })
    });
    f.insert_pure("toToml", |args| {
        want_args(args, 1, "toToml")?;
        Ok(Value::str(
            crate::toml::encode(&args[0]).unwrap_or_else(|e| e.to_string()),
        ))
    });
    f.insert_pure("fromToml", |args| {
        want_args(args, 1, "fromToml")?;
        let text = arg_str(args, 0)?;
        Ok(crate::toml::decode(text).unwrap_or_else(|e| error_map(e.to_string())))
    });
    f.insert_pure("lookup", |args| {
        want_args(args, 4, "lookup")?;
        for i in 0..4 {
            arg_str(args, i)?;
        }
        Ok(Value::map(Map::new()))
    });
    f.insert_pure("getHostByName", |args| {
        want_args(args, 1, "getHostByName")?;
        arg_str(args, 0)?;
        Ok(Value::str(""))
    });
    f.insert_pure("required", |args| {
        want_args(args, 2, "required")?;
        let warn = arg_str(args, 0)?;
        match &args[1] {
            Value::Nil => Err(FuncError::new(format!("{WARN_START}{warn}{WARN_END}"))),
            Value::String(s) if s.is_empty() => {
                Err(FuncError::new(format!("{WARN_START}{warn}{WARN_END}")))
            }
            other => Ok(other.clone()),
        }
    });
    f.insert_pure("fail", |args| {
        want_args(args, 1, "fail")?;
        let msg = arg_str(args, 0)?;
        Err(FuncError::new(format!("{WARN_START}{msg}{WARN_END}")))
    });

    let included: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
    f.insert("include", move |ctx: &mut dyn CallContext, args: &[Value]| {
        want_args(args, 2, "include")?;
        let name = arg_str(args, 0)?.to_string();
        {
            let mut counts = included.lock().unwrap_or_else(|p| p.into_inner());
            let n = counts.entry(name.clone()).or_insert(0);
            if *n > INCLUDE_RECURSION_MAX {
                return Err(FuncError::new(format!(
                    "rendering template has a nested reference name: {name}: unable to execute template"
                )));
            }
            *n += 1;
        }
        let result = ctx.execute_template(&name, &args[1]);
        if let Some(n) = included.lock().unwrap_or_else(|p| p.into_inner()).get_mut(&name) {
            *n = n.saturating_sub(1);
        }
        result.map(Value::str)
    });
    f.insert("tpl", |ctx: &mut dyn CallContext, args: &[Value]| {
        want_args(args, 2, "tpl")?;
        let text = arg_str(args, 0)?;
        let out = ctx.execute_text(text, &args[1]).map_err(|e| {
            let what = if e.message.contains("executing") {
                "error during tpl function execution for"
            } else {
                "cannot parse template"
            };
            FuncError::new(format!(
                "{what} {}: {}",
                gostd::strconv::quote(text),
                e.message
            ))
        })?;
        Ok(Value::str(out.replace("<no value>", "")))
    });
    f
}

fn error_map(message: String) -> Value {
    let mut m = Map::new();
    m.insert("Error".into(), Value::str(message));
    Value::map(m)
}

fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "bool",
        serde_json::Value::Number(_) => "number",
        serde_json::Value::String(_) => "string",
        serde_json::Value::Array(_) => "array",
        serde_json::Value::Object(_) => "object",
    }
}

fn yaml_error_text(e: &goyaml::Error) -> String {
    match e.pos {
        Some(p) => format!(
            "error converting YAML to JSON: yaml: line {}: {}",
            p.line, e.message
        ),
        None => format!("error converting YAML to JSON: yaml: {}", e.message),
    }
}

#[cfg(test)]
mod tests {
    use gotmpl::Value;

    /// Helm's `toJson` is Go's `json.Marshal`, which `sprig::json` implements.
    #[test]
    fn to_json_marshals_like_go() {
        let enc = |v: &Value| sprig::json::encode(v, true);
        let v = Value::from_json_helm(
            &serde_json::json!({"b": [1, 2.5, "x<y&z"], "a": null, "c": true}),
        );
        assert_eq!(
            enc(&v).unwrap(),
            r#"{"a":null,"b":[1,2.5,"x\u003cy\u0026z"],"c":true}"#
        );
        assert_eq!(enc(&Value::Float(1e21)).unwrap(), "1e+21");
        assert_eq!(enc(&Value::Float(1e-7)).unwrap(), "1e-7");
        assert_eq!(enc(&Value::Float(123456789.0)).unwrap(), "123456789");
        assert_eq!(enc(&Value::Float(0.000001)).unwrap(), "0.000001");
        assert!(enc(&Value::Float(f64::NAN)).is_err());
        assert!(super::to_json_data(&Value::Float(f64::NAN)).is_err());
    }
}
