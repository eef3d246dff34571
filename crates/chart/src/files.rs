//! `.Files`: a chart's non-template files as templates see them (Helm's
//! `engine.files`): `Get`, `GetBytes`, `Glob`, `Lines`, `AsConfig`,
//! `AsSecrets`.

use std::collections::BTreeMap;
use std::rc::Rc;

use base64::Engine as _;
use gotmpl::{Map, Object, Value};

use crate::chart::{Content, File};

/// A chart's files by path, as a template object. A file left on disk at
/// load is read when a method first asks for its content; `Glob` and the
/// file names need no reading.
#[derive(Debug, Clone, Default)]
pub struct Files {
    files: Rc<BTreeMap<String, Content>>,
}

/// A file's content, or the load error its late read gave, as an
/// execution error. (`.Files` methods answer through gotmpl's
/// `Object::call`, whose errors are messages; so these helpers' are too.)
fn content(c: &Content) -> Result<&[u8], String> {
    c.get().map(|d| &d[..]).map_err(|e| e.to_string())
}

impl Files {
    /// The given chart files, by path.
    pub fn new(files: impl IntoIterator<Item = File>) -> Files {
        Files {
            files: Rc::new(files.into_iter().map(|f| (f.name, f.content)).collect()),
        }
    }

    fn get(&self, name: &str) -> Result<String, String> {
        match self.files.get(name) {
            Some(c) => Ok(gostd::bytestring::from_bytes(content(c)?).into_owned()),
            None => Ok(String::new()),
        }
    }

    /// `GetBytes`: the file's bytes as Go's `[]byte` (empty when absent).
    fn get_bytes(&self, name: &str) -> Result<Value, String> {
        let data: std::rc::Rc<[u8]> = match self.files.get(name) {
            Some(c) => content(c)?.into(),
            None => std::rc::Rc::from(&[][..]),
        };
        Ok(Value::Object(Rc::new(sprig::bytes::Bytes(data))))
    }

    /// `Glob`: the files whose path matches a gobwas-style glob (`*` within
    /// a path segment, `**` across segments, `?`, `[...]`, `{a,b}`); an
    /// invalid pattern matches everything, as in Helm.
    fn glob(&self, pattern: &str) -> Files {
        let re = glob_regex(pattern)
            .unwrap_or_else(|| regex::Regex::new("^.*$").expect("constant regex"));
        Files {
            files: Rc::new(
                self.files
                    .iter()
                    .filter(|(name, _)| re.is_match(name))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            ),
        }
    }

    fn lines(&self, name: &str) -> Result<Value, String> {
        let Some(c) = self.files.get(name) else {
            return Ok(Value::list(Vec::new()));
        };
        let mut s = gostd::bytestring::from_bytes(content(c)?).into_owned();
        if s.ends_with('\n') {
            s.pop();
        }
        Ok(Value::list(s.split('\n').map(Value::str).collect()))
    }

    /// `AsConfig` / `AsSecrets`: base names to contents as YAML.
    fn as_yaml(&self, encode: bool) -> Result<String, String> {
        let mut m = serde_json::Map::new();
        for (k, c) in self.files.iter() {
            let base = k.rsplit('/').next().unwrap_or(k).to_string();
            let data = content(c)?;
            let text = if encode {
                base64::engine::general_purpose::STANDARD.encode(data)
            } else {
                // YAML is written through JSON, which replaces each byte
                // that is not UTF-8 by U+FFFD.
                let text = gostd::bytestring::from_bytes(data);
                gostd::bytestring::to_valid_utf8(&text).into_owned()
            };
            m.insert(base, serde_json::Value::String(text));
        }
        Ok(crate::funcs::to_yaml_text(&serde_json::Value::Object(m)))
    }
}

fn string_arg(args: &[Value], method: &str) -> Result<String, String> {
    match args {
        [Value::String(s)] => Ok(s.to_string()),
        [other] => Err(format!(
            "wrong type for value; expected string; got {}",
            gotmpl::fmt::type_name(other)
        )),
        _ => Err(format!(
            "wrong number of args for {method}: want 1 got {}",
            args.len()
        )),
    }
}

impl Object for Files {
    fn type_name(&self) -> &str {
        "engine.files"
    }

    fn field(&self, _name: &str) -> Option<Value> {
        None
    }

    fn call(&self, name: &str, args: &[Value]) -> Option<Result<Value, String>> {
        Some(match name {
            "Get" => string_arg(args, name)
                .and_then(|p| self.get(&p))
                .map(Value::str),
            "GetBytes" => string_arg(args, name).and_then(|p| self.get_bytes(&p)),
            "Glob" => string_arg(args, name).map(|p| Value::Object(Rc::new(self.glob(&p)))),
            "Lines" => string_arg(args, name).and_then(|p| self.lines(&p)),
            "AsConfig" => self.as_yaml(false).map(Value::str),
            "AsSecrets" => self.as_yaml(true).map(Value::str),
            _ => return None,
        })
    }

    // The two conversions below cannot fail: a file whose late read
    // fails (it vanished since the chart was loaded) shows as empty.
    fn to_data(&self) -> Option<Value> {
        let mut m = Map::new();
        for (k, c) in self.files.iter() {
            let data = content(c).unwrap_or_default();
            m.insert(k.clone(), Value::str(gostd::bytestring::from_bytes(data)));
        }
        Some(Value::map(m))
    }

    fn fmt_go(&self) -> String {
        let parts: Vec<String> = self
            .files
            .iter()
            .map(|(k, c)| {
                let data = content(c).unwrap_or_default();
                let bytes: Vec<String> = data.iter().map(|b| b.to_string()).collect();
                format!("{k}:[{}]", bytes.join(" "))
            })
            .collect();
        format!("map[{}]", parts.join(" "))
    }

    fn truthy(&self) -> bool {
        !self.files.is_empty()
    }
}

/// Translate a gobwas glob (separator `/`) to an anchored regex.
fn glob_regex(pattern: &str) -> Option<regex::Regex> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::from("^");
    let mut i = 0;
    let mut in_alt = 0usize;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '*' if chars.get(i + 1) == Some(&'*') => {
                out.push_str(".*");
                i += 2;
                continue;
            }
            '*' => out.push_str("[^/]*"),
            '?' => out.push_str("[^/]"),
            '[' => {
                let end = chars[i + 1..].iter().position(|&x| x == ']')? + i + 1;
                let body: String = chars[i + 1..end].iter().collect();
                let (neg, body) = match body.strip_prefix('!') {
                    Some(b) => (true, b.to_string()),
                    None => (false, body),
                };
                if body.is_empty() {
                    return None;
                }
                out.push('[');
                if neg {
                    out.push('^');
                }
                for ch in body.chars() {
                    if ch == '-' {
                        out.push('-');
                    } else {
                        out.push_str(&regex::escape(&ch.to_string()));
                    }
                }
                out.push(']');
                i = end + 1;
                continue;
            }
            '{' => {
                in_alt += 1;
                out.push_str("(?:");
            }
            '}' if in_alt > 0 => {
                in_alt -= 1;
                out.push(')');
            }
            ',' if in_alt > 0 => out.push('|'),
            '\\' => {
                let next = chars.get(i + 1)?;
                out.push_str(&regex::escape(&next.to_string()));
                i += 2;
                continue;
            }
            other => out.push_str(&regex::escape(&other.to_string())),
        }
        i += 1;
    }
    if in_alt > 0 {
        return None;
    }
    out.push('$');
    regex::Regex::new(&out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files() -> Files {
        Files::new(
            [
                ("config/a.yaml", "a: 1\n"),
                ("config/b.json", "{}"),
                ("config/sub/c.yaml", "c"),
                ("README.md", "line1\nline2\n"),
            ]
            .map(|(k, v)| File::new(k, v.as_bytes())),
        )
    }

    fn names(f: &Files) -> Vec<String> {
        f.files.keys().cloned().collect()
    }

    #[test]
    fn glob_follows_gobwas_rules() {
        let f = files();
        assert_eq!(
            names(&f.glob("config/*")),
            ["config/a.yaml", "config/b.json"]
        );
        assert_eq!(
            names(&f.glob("config/**")),
            ["config/a.yaml", "config/b.json", "config/sub/c.yaml"]
        );
        assert_eq!(
            names(&f.glob("config/*.{yaml,json}")),
            ["config/a.yaml", "config/b.json"]
        );
        assert_eq!(
            names(&f.glob("**.yaml")),
            ["config/a.yaml", "config/sub/c.yaml"]
        );
        assert_eq!(names(&f.glob("[")).len(), 4);
    }

    #[test]
    fn methods_behave_like_helm() {
        let f = files();
        let call = |m: &str, a: &str| f.call(m, &[Value::str(a)]).unwrap().unwrap();
        assert_eq!(call("Get", "README.md").as_str(), Some("line1\nline2\n"));
        assert_eq!(call("Get", "missing").as_str(), Some(""));
        assert_eq!(
            format!("{:?}", call("Lines", "README.md")),
            r#"["line1", "line2"]"#
        );
        assert_eq!(format!("{:?}", call("Lines", "missing")), "[]");
        assert!(f.call("Get", &[Value::Int(1)]).unwrap().is_err());
        assert!(f.call("Nope", &[]).is_none());
    }
}
