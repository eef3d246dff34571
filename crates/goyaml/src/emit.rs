//! Writing values as Helm's `toYaml` prints them.
//!
//! Helm's `toYaml` calls `sigs.k8s.io/yaml.Marshal` (v1.4), which encodes the
//! value with Go's `encoding/json`, reads that JSON back with its `yaml.v2`
//! fork (so numbers become `int`, `uint64` or `float64` by their text) and
//! marshals the result with `yaml.v2`'s libyaml-derived emitter. This module
//! reproduces that pipeline's output byte for byte:
//!
//! - [`number`]: Go's JSON float text and the YAML number it turns back into;
//! - [`resolve`]: which plain scalars YAML 1.1 (as `yaml.v2` reads it) would
//!   resolve to something other than a string, so they must be quoted;
//! - [`keys`]: `yaml.v2`'s "natural" map key order;
//! - [`writer`]: the emitter itself (block styles, scalar styles, line folding
//!   at 80 columns, literal blocks).

pub mod keys;
pub mod number;
pub mod resolve;
pub mod writer;

/// Why `sigs.k8s.io/yaml.Marshal` fails on a value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmitError {
    /// Go's wording of the failure.
    pub message: String,
}

impl std::fmt::Display for EmitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for EmitError {}

/// Serialize `value` as YAML, byte for byte as Helm's `toYaml` would print it
/// before its final `TrimSuffix("\n")`: the output always ends with a newline.
/// Where `yaml.Marshal` fails (see [`try_to_string`]), Helm's `toYaml`
/// prints nothing, and so does this: the result is the empty string.
///
/// ```
/// let v = serde_json::json!({"b": [1, "yes"], "a": {}});
/// assert_eq!(goyaml::emit::to_string(&v), "a: {}\nb:\n- 1\n- \"yes\"\n");
/// ```
pub fn to_string(value: &serde_json::Value) -> String {
    try_to_string(value).unwrap_or_default()
}

/// Serialize `value` as Helm's `toYamlPretty` prints it (before its final
/// `TrimSuffix("\n")`): `yaml.v3`'s encoder with an indent of 2, on the Go
/// value itself rather than through JSON. It differs from [`to_string`] in
/// three ways: sequences are indented under their key, long lines are never
/// folded, and floats keep Go's `'g'` form (`1e+10`, `1.5e+06`) where the
/// JSON round trip would have turned whole ones into integers.
///
/// ```
/// let v = serde_json::json!({"a": [1, 2.5], "f": 1e10});
/// assert_eq!(goyaml::emit::to_string_pretty(&v), "a:\n  - 1\n  - 2.5\nf: 1e+10\n");
/// ```
pub fn to_string_pretty(value: &serde_json::Value) -> String {
    writer::Emitter::document_as(value, writer::Flavor::V3Pretty)
}

/// Serialize `value` as [`to_string`] does, or fail where Go's
/// `yaml.Marshal` fails (Helm's `mustToYaml` reports that error): text that
/// `encoding/json` leaves unescaped but the YAML reader of the JSON→YAML
/// step rejects (DEL, C1 control characters, U+FFFE, U+FFFF).
///
/// One more artefact of that JSON→YAML step is reproduced: `encoding/json`
/// writes NEL (U+0085) raw, and YAML reads it as a line break inside the
/// quoted string, folding it (with the spaces around it) into a space. A NEL
/// in a map key makes the step fail.
pub fn try_to_string(value: &serde_json::Value) -> Result<String, EmitError> {
    if contains_unreadable_text(value) {
        return Err(EmitError {
            message: "yaml: control characters are not allowed".to_string(),
        });
    }
    if contains_nel(value) {
        let folded = fold_nel_value(value)?;
        return Ok(writer::Emitter::document(&folded));
    }
    Ok(writer::Emitter::document(value))
}

const NEL: char = '\u{85}';

fn contains_nel(value: &serde_json::Value) -> bool {
    match value {
        serde_json::Value::String(s) => s.contains(NEL),
        serde_json::Value::Array(items) => items.iter().any(contains_nel),
        serde_json::Value::Object(map) => {
            map.iter().any(|(k, v)| k.contains(NEL) || contains_nel(v))
        }
        _ => false,
    }
}

/// The value as it reads back after NELs were folded by the YAML reader.
fn fold_nel_value(value: &serde_json::Value) -> Result<serde_json::Value, EmitError> {
    Ok(match value {
        serde_json::Value::String(s) => serde_json::Value::String(fold_nel(s)?),
        serde_json::Value::Array(items) => {
            serde_json::Value::Array(items.iter().map(fold_nel_value).collect::<Result<_, _>>()?)
        }
        serde_json::Value::Object(map) => {
            let mut out = serde_json::Map::new();
            for (k, v) in map {
                if k.contains(NEL) {
                    return Err(EmitError {
                        message: "yaml: line 1: did not find expected ',' or '}'".to_string(),
                    });
                }
                out.insert(k.clone(), fold_nel_value(v)?);
            }
            serde_json::Value::Object(out)
        }
        other => other.clone(),
    })
}

/// YAML's line folding inside a double-quoted scalar, where only NEL is a
/// raw line break (JSON escapes every other one) and only space is a raw
/// blank: spaces around a run of NELs vanish, one NEL becomes a space and
/// `n` NELs become `n - 1` newlines. Right after a NEL the reader is at
/// column 0, where `---` or `...` followed by a blank ends the document.
fn fold_nel(s: &str) -> Result<String, EmitError> {
    let mut out = String::with_capacity(s.len());
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] != ' ' && chars[i] != NEL {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let start = i;
        let mut breaks = 0;
        while i < chars.len() && (chars[i] == ' ' || chars[i] == NEL) {
            if chars[i] == NEL && is_document_marker(&chars[i + 1..]) {
                return Err(EmitError {
                    message: "yaml: line 2: found unexpected document indicator while scanning a quoted scalar"
                        .to_string(),
                });
            }
            breaks += usize::from(chars[i] == NEL);
            i += 1;
        }
        match breaks {
            0 => out.extend(&chars[start..i]),
            1 => out.push(' '),
            n => out.extend(std::iter::repeat_n('\n', n - 1)),
        }
    }
    Ok(out)
}

/// `---` or `...` followed by a raw blank or line break in the JSON text
/// (where tabs and other breaks are escaped, and the closing quote follows
/// the last character).
fn is_document_marker(rest: &[char]) -> bool {
    let marker = rest.len() >= 3 && (rest[..3] == ['-', '-', '-'] || rest[..3] == ['.', '.', '.']);
    marker && rest.get(3).is_some_and(|&c| c == ' ' || c == NEL)
}

/// Characters Go's JSON encoder writes raw that `yaml.v2`'s reader refuses.
fn is_unreadable_char(c: char) -> bool {
    matches!(c as u32, 0x7F..=0x84 | 0x86..=0x9F | 0xFFFE | 0xFFFF)
}

fn contains_unreadable_text(value: &serde_json::Value) -> bool {
    match value {
        serde_json::Value::String(s) => s.contains(is_unreadable_char),
        serde_json::Value::Array(items) => items.iter().any(contains_unreadable_text),
        serde_json::Value::Object(map) => map
            .iter()
            .any(|(k, v)| k.contains(is_unreadable_char) || contains_unreadable_text(v)),
        _ => false,
    }
}
