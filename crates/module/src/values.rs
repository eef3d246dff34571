//! Values layers and their merge (module-layout §5, lifecycle §5): effective
//! module values = schema defaults ⊕ static values ⊕ user config (validated
//! against `config-values.yaml`) ⊕ internal values (validated with the rest
//! against `values.yaml`).

use serde_json::{Map, Value};

/// Deep-merge `overlay` into `base`: maps merge key by key, anything else
/// replaces; a `null` in the overlay removes the key (as Helm's coalescing does).
pub fn merge(base: &mut Value, overlay: Value) {
    match overlay {
        Value::Object(o) => {
            if !base.is_object() {
                // A map replacing a non-map is merged into an empty map, so
                // its own `null`s delete nothing and do not linger either.
                *base = Value::Object(Map::new());
            }
            let b = base.as_object_mut().expect("made an object");
            for (k, v) in o {
                if v.is_null() {
                    b.remove(&k);
                } else {
                    merge(b.entry(k).or_insert(Value::Null), v);
                }
            }
        }
        other => *base = other,
    }
}

/// Set `path` (`a.b.c`, `list[0].x`, `\.` escapes a dot) in `root` to `value`,
/// creating maps and lists on the way.
pub fn set_path(root: &mut Value, path: &str, value: Value) -> Result<(), String> {
    let segments = parse_path(path)?;
    let mut cur = root;
    for seg in &segments {
        match seg {
            Segment::Key(k) => {
                if !cur.is_object() {
                    *cur = Value::Object(Map::new());
                }
                cur = cur
                    .as_object_mut()
                    .expect("made an object")
                    .entry(k.clone())
                    .or_insert(Value::Null);
            }
            Segment::Index(i) => {
                if !cur.is_array() {
                    *cur = Value::Array(vec![]);
                }
                let list = cur.as_array_mut().expect("made a list");
                if list.len() <= *i {
                    list.resize(*i + 1, Value::Null);
                }
                cur = &mut list[*i];
            }
        }
    }
    *cur = value;
    Ok(())
}

enum Segment {
    Key(String),
    Index(usize),
}

fn parse_path(path: &str) -> Result<Vec<Segment>, String> {
    let mut out = Vec::new();
    let mut key = String::new();
    let mut chars = path.chars().peekable();
    let flush = |key: &mut String, out: &mut Vec<Segment>| {
        if !key.is_empty() {
            out.push(Segment::Key(std::mem::take(key)));
        }
    };
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(n) => key.push(n),
                None => return Err(format!("`{path}` ends with a lone backslash")),
            },
            '.' => {
                if key.is_empty() && !matches!(out.last(), Some(Segment::Index(_))) {
                    return Err(format!("`{path}` has an empty key"));
                }
                flush(&mut key, &mut out);
            }
            '[' => {
                flush(&mut key, &mut out);
                let mut n = String::new();
                loop {
                    match chars.next() {
                        Some(']') => break,
                        Some(d) if d.is_ascii_digit() => n.push(d),
                        _ => return Err(format!("`{path}`: expected a list index like [0]")),
                    }
                }
                let i: usize = n
                    .parse()
                    .map_err(|_| format!("`{path}`: expected a list index like [0]"))?;
                if i > 65_535 {
                    return Err(format!("`{path}`: list index {i} is too large"));
                }
                out.push(Segment::Index(i));
            }
            c => key.push(c),
        }
    }
    flush(&mut key, &mut out);
    if out.is_empty() {
        return Err("empty path".into());
    }
    Ok(out)
}

/// A `--set` value as Helm types it: integers, `true`/`false`, `null`, else a string.
pub fn typed_scalar(s: &str) -> Value {
    match s {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        "null" => Value::Null,
        _ => match s.parse::<i64>() {
            Ok(i) if !(s.len() > 1 && s.starts_with('0')) => Value::from(i),
            _ => Value::String(s.to_string()),
        },
    }
}

/// Parse one `--set PATH=VALUE` argument into `root`.
pub fn apply_set(root: &mut Value, arg: &str) -> Result<(), String> {
    let (path, value) = arg
        .split_once('=')
        .ok_or_else(|| format!("`{arg}`: expected PATH=VALUE"))?;
    set_path(root, path, typed_scalar(value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merge_maps_replace_others_null_deletes() {
        let mut b = json!({"a": {"x": 1, "y": [1, 2]}, "b": 1, "c": 2});
        merge(
            &mut b,
            json!({"a": {"y": [3], "z": true}, "b": null, "d": "n"}),
        );
        assert_eq!(
            b,
            json!({"a": {"x": 1, "y": [3], "z": true}, "c": 2, "d": "n"})
        );
    }

    #[test]
    fn set_paths() {
        let mut v = json!({});
        apply_set(&mut v, "a.b=1").unwrap();
        apply_set(&mut v, "a.list[1].name=x").unwrap();
        apply_set(&mut v, r"a.dotted\.key=true").unwrap();
        apply_set(&mut v, "a.s=007").unwrap();
        assert_eq!(
            v,
            json!({"a": {"b": 1, "list": [null, {"name": "x"}], "dotted.key": true, "s": "007"}})
        );
        assert!(apply_set(&mut v, "novalue").is_err());
        assert!(apply_set(&mut v, "a..b=1").is_err());
        assert!(apply_set(&mut v, "a[x]=1").is_err());
    }
}
