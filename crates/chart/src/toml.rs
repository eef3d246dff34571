//! TOML for Helm's `toToml` (the layout of Go's `BurntSushi/toml`
//! encoder: plain keys first, then tables, sub-tables indented by two
//! spaces, a blank line before each top-level table) and `fromToml`.

use gotmpl::Value;

/// TOML that cannot be written or read; the text is what `toToml` prints
/// (or `fromToml` puts under `Error`).
#[derive(Debug, thiserror::Error)]
pub enum TomlError {
    /// The value to encode is not a map.
    #[error("toml: top-level values must be Go maps or structs")]
    NotAMap,
    /// A value TOML has no form for.
    #[error("toml: cannot encode a value of type {type_name}")]
    Unsupported {
        /// Its Go type.
        type_name: String,
    },
    /// The text is not TOML.
    #[error("{source}")]
    Decode {
        /// The parser's error, with its position.
        source: Box<toml::de::Error>,
    },
    /// The decoded table does not convert to template data.
    #[error("{source}")]
    Json {
        /// The converter's error.
        source: serde_json::Error,
    },
}

/// Encode a map value as TOML; the error text is what `toToml` prints.
pub fn encode(v: &Value) -> Result<String, TomlError> {
    let Value::Map(_) = v else {
        return Err(TomlError::NotAMap);
    };
    let mut enc = Encoder { out: String::new() };
    enc.table(&[], v)?;
    Ok(enc.out)
}

/// Decode TOML into template data (numbers as TOML types them: integers
/// stay integers, as Go's decoder gives `int64`).
pub fn decode(text: &str) -> Result<Value, TomlError> {
    let table: toml::Table = toml::from_str(text).map_err(|e| TomlError::Decode {
        source: Box::new(e),
    })?;
    let json = serde_json::to_value(table).map_err(|e| TomlError::Json { source: e })?;
    Ok(Value::from_json(&json))
}

struct Encoder {
    out: String,
}

fn is_table(v: &Value) -> bool {
    match v {
        Value::Map(_) => true,
        Value::List(items) => !items.is_empty() && items.iter().all(|x| matches!(x, Value::Map(_))),
        _ => false,
    }
}

fn key_part(k: &str) -> String {
    if !k.is_empty()
        && k.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        k.to_string()
    } else {
        quote(k)
    }
}

fn key_path(key: &[String]) -> String {
    key.iter()
        .map(|k| key_part(k))
        .collect::<Vec<_>>()
        .join(".")
}

fn indent(key: &[String]) -> String {
    "  ".repeat(key.len().saturating_sub(1))
}

fn quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\u{:04X}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

impl Encoder {
    fn newline(&mut self) {
        if !self.out.is_empty() {
            self.out.push('\n');
        }
    }

    fn table(&mut self, key: &[String], v: &Value) -> Result<(), TomlError> {
        if key.len() == 1 {
            self.newline();
        }
        if !key.is_empty() {
            self.out
                .push_str(&format!("{}[{}]", indent(key), key_path(key)));
            self.newline();
        }
        self.map_body(key, v)
    }

    fn map_body(&mut self, key: &[String], v: &Value) -> Result<(), TomlError> {
        let Value::Map(m) = v else {
            return Ok(());
        };
        let entries: Vec<(String, Value)> = m
            .borrow()
            .iter()
            .map(|(k, x)| (k.clone(), x.clone()))
            .collect();
        let (subs, direct): (Vec<_>, Vec<_>) = entries.into_iter().partition(|(_, x)| is_table(x));
        for (k, x) in direct.iter().chain(subs.iter()) {
            if matches!(x, Value::Nil) {
                continue;
            }
            let mut sub_key = key.to_vec();
            sub_key.push(k.clone());
            match x {
                Value::Map(_) => self.table(&sub_key, x)?,
                Value::List(items) if is_table(x) => {
                    for item in items.iter() {
                        self.newline();
                        self.out.push_str(&format!(
                            "{}[[{}]]",
                            indent(&sub_key),
                            key_path(&sub_key)
                        ));
                        self.newline();
                        self.map_body(&sub_key, item)?;
                    }
                }
                _ => {
                    self.out
                        .push_str(&format!("{}{} = ", indent(&sub_key), key_part(k)));
                    let text = element(x)?;
                    self.out.push_str(&text);
                    self.newline();
                }
            }
        }
        Ok(())
    }
}

fn element(v: &Value) -> Result<String, TomlError> {
    Ok(match v {
        Value::Nil => String::new(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) | Value::Int64(i) => i.to_string(),
        Value::Float(f) if f.is_nan() => "nan".to_string(),
        Value::Float(f) if f.is_infinite() => if *f > 0.0 { "inf" } else { "-inf" }.to_string(),
        Value::Float(f) => {
            let s = format!("{f}");
            if s.contains('.') { s } else { format!("{s}.0") }
        }
        Value::String(s) => quote(s),
        Value::List(items) => {
            let parts: Result<Vec<String>, TomlError> = items.iter().map(element).collect();
            format!("[{}]", parts?.join(", "))
        }
        Value::Map(m) => {
            let parts: Result<Vec<String>, TomlError> = m
                .borrow()
                .iter()
                .filter(|(_, x)| !matches!(x, Value::Nil))
                .map(|(k, x)| Ok(format!("{} = {}", key_part(k), element(x)?)))
                .collect();
            format!("{{{}}}", parts?.join(", "))
        }
        Value::Object(o) => match o.serialized() {
            Some(d) => element(&d)?,
            None => {
                return Err(TomlError::Unsupported {
                    type_name: o.type_name().to_string(),
                });
            }
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_like_burntsushi() {
        let v = Value::from_json_helm(&serde_json::json!({
            "b": {"d": {"e": 3}, "c": "x"},
            "a": 1,
            "l": [1, 2],
        }));
        assert_eq!(
            encode(&v).unwrap(),
            "a = 1.0\nl = [1.0, 2.0]\n\n[b]\n  c = \"x\"\n  [b.d]\n    e = 3.0\n"
        );
    }

    #[test]
    fn decodes_tables() {
        let v = decode("a = 1\n[b]\nc = \"x\"\n").unwrap();
        assert_eq!(v.to_json(), serde_json::json!({"a": 1, "b": {"c": "x"}}));
        assert!(decode("a = ").is_err());
        assert!(matches!(decode("a = "), Err(TomlError::Decode { .. })));
        assert!(matches!(encode(&Value::Int(1)), Err(TomlError::NotAMap)));
    }
}
