//! Differential test: `goyaml::emit::to_string` against the real `helm`
//! binary's `toYaml`, on generated values full of the cases where YAML
//! emitters disagree (quoting, folding, literal blocks, key order, numbers).
//!
//! Needs `helm` 3.17, found as [`testkit::helm`] finds it; the test fails
//! (it does not skip) without it.

use std::path::Path;
use std::process::Command;

use serde_json::{Map, Value, json};
use testkit::{XorShift, base64_decode};

const PIECES: &[&str] = &[
    "word",
    "<<",
    "<<x",
    "hello world",
    "yes",
    "No",
    "on",
    "off",
    "y",
    "~",
    "null",
    "true",
    "1",
    "1.0",
    "-2",
    "0x1F",
    "0o17",
    "0777",
    "1e3",
    ".5",
    "1_000",
    "12:30",
    "2001-12-14",
    "2001-12-14T21:59:43Z",
    "- item",
    "-",
    "--- doc",
    "...",
    "? q",
    "?x",
    ": x",
    "a: b",
    "a:b",
    "a #b",
    "a#b",
    "#c",
    "&a",
    "*a",
    "!t",
    "|",
    ">",
    "'q'",
    "\"d\"",
    "%p",
    "@a",
    "`b",
    "[x]",
    "{y}",
    ",",
    " lead",
    "trail ",
    "  two",
    "tab\there",
    "line\nbreak",
    "\n",
    "end\n",
    "two\n\n",
    "\nstart",
    " \nx",
    "x \ny",
    "é",
    "日本語",
    "emoji 😀",
    "nbsp\u{a0}x",
    "bell\u{7}",
    "del\u{7f}",
    "c1\u{80}",
    "nel\u{85}",
    "\u{fffe}",
    "\u{feff}bom",
    "back\\slash",
    "cr\rlf",
    "ls\u{2028}x",
    "The quick brown fox jumps over the lazy dog and keeps running far beyond the eighty column limit of yaml",
    "averyveryveryveryveryveryveryveryveryveryveryveryveryveryveryveryveryveryveryverylongwordwithoutspaces and more",
    "sentence with: colon that runs very long so that it is folded past the eighty column mark for sure yes",
    "x  double  spaces  in  a  long  string  that  goes  past  the  eighty  column  mark  of  the  yaml  emitter",
    "http://example.com/a?b=c#d",
    "C:\\path",
    "key=value",
    "$VAR",
    "{{ tpl }}",
    "",
];

fn gen_string(rng: &mut XorShift) -> String {
    let mut s = String::new();
    for _ in 0..1 + rng.below(3) {
        s.push_str(rng.pick(PIECES));
        if rng.below(3) == 0 {
            s.push(' ');
        }
    }
    s
}

fn gen_key(rng: &mut XorShift) -> String {
    match rng.below(6) {
        0 => rng
            .pick(&[
                "a10", "a2", "a1", "_x", "1", "01", "10", "A", "b", "a-b", "a_b", "ab", "Zeta", "é",
            ])
            .to_string(),
        1 => "k".repeat(125 + rng.below(8)),
        _ => gen_string(rng),
    }
}

fn gen_number(rng: &mut XorShift) -> f64 {
    let choices = [
        0.0,
        1.0,
        -1.0,
        3.5,
        1e6,
        1234567.5,
        0.0001,
        0.00001,
        1e-7,
        1e20,
        1e21,
        1.5e300,
        12345678901234567890.0,
        9007199254740993.0,
        -0.0,
        123456789.0,
        0.1,
        2.5e-5,
    ];
    choices[rng.below(choices.len())]
}

fn gen_value(rng: &mut XorShift, depth: usize) -> Value {
    let kinds = if depth > 3 { 4 } else { 7 };
    match rng.below(kinds) {
        0 | 1 => Value::String(gen_string(rng)),
        2 => json!(gen_number(rng)),
        3 => Value::Bool(rng.below(2) == 0),
        4 => Value::Array(
            (0..rng.below(4))
                .map(|_| gen_value(rng, depth + 1))
                .collect(),
        ),
        _ => {
            // No nulls as map values: Helm's values coalescing deletes those keys.
            let mut m = Map::new();
            for _ in 0..rng.below(5) {
                let v = gen_value(rng, depth + 1);
                m.insert(gen_key(rng), v);
            }
            Value::Object(m)
        }
    }
}

/// JSON (read as YAML) with every non-ASCII or control character escaped: Helm's YAML
/// reader rejects raw control characters such as DEL even inside JSON strings.
fn ascii_json(v: &Value) -> String {
    let text = serde_json::to_string(v).expect("serialize values");
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii() && c != '\u{7f}' {
            out.push(c);
        } else if (c as u32) <= 0xFFFF {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            // YAML (which reads this file) has no surrogate pairs, but has \U.
            out.push_str(&format!("\\U{:08x}", c as u32));
        }
    }
    out
}

/// Helm reads every number in a values file as a float64.
fn as_helm_values(v: &Value) -> Value {
    match v {
        Value::Number(n) => json!(n.as_f64().unwrap_or(0.0)),
        Value::Array(a) => Value::Array(a.iter().map(as_helm_values).collect()),
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, x)| (k.clone(), as_helm_values(x)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Render every case through the Helm function `func` (`toYaml` or
/// `toYamlPretty`) with the real helm binary.
fn render_with_helm(dir: &Path, func: &str, cases: &[Value]) -> Vec<String> {
    let chart = dir.join("chart");
    std::fs::create_dir_all(chart.join("templates")).expect("create chart dir");
    std::fs::write(
        chart.join("Chart.yaml"),
        "apiVersion: v2\nname: emit\nversion: 0.1.0\n",
    )
    .expect("write Chart.yaml");
    std::fs::write(
        chart.join("templates/cases.yaml"),
        format!(
            "{{{{- range $i, $c := .Values.cases }}}}\ncase{{{{ $i }}}}: {{{{ {func} $c | b64enc | quote }}}}\n{{{{- end }}}}\n"
        ),
    )
    .expect("write template");
    let values = dir.join("values.json");
    std::fs::write(&values, ascii_json(&json!({ "cases": cases }))).expect("write values");
    let output = Command::new(testkit::helm())
        .arg("template")
        .arg("emit")
        .arg(&chart)
        .arg("-f")
        .arg(&values)
        .output()
        .expect("run helm");
    assert!(
        output.status.success(),
        "helm template failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).expect("helm output is UTF-8");
    let mut rendered = vec![String::new(); cases.len()];
    for line in stdout.lines() {
        let Some(rest) = line.strip_prefix("case") else {
            continue;
        };
        let (index, encoded) = rest.split_once(": ").expect("case line");
        let index: usize = index.parse().expect("case index");
        let encoded = encoded.trim_matches('"');
        rendered[index] =
            String::from_utf8(base64_decode(encoded)).expect("toYaml output is UTF-8");
    }
    rendered
}

/// The generated cases: every piece alone and inside a mapping and a
/// sequence, some fixed shapes, then random values.
fn generated_cases() -> Vec<Value> {
    let mut rng = XorShift::new(0x9E37_79B9_7F4A_7C15);
    let mut cases: Vec<Value> = PIECES.iter().map(|s| json!(s)).collect();
    cases.extend(PIECES.iter().map(|s| json!({ *s: [s, {"k": s}] })));
    cases.push(json!({}));
    cases.push(json!([]));
    cases.push(json!([[], {}, [[1, 2]], [{"a": 1, "b": [1]}], null]));
    cases.push(Value::Null);
    while cases.len() < 1500 {
        cases.push(gen_value(&mut rng, 0));
    }
    cases.iter().map(as_helm_values).collect()
}

/// Compare `ours` with what helm's `func` prints for every generated case.
fn check_against_helm(func: &str, ours: fn(&Value) -> String) {
    let cases = generated_cases();
    let dir = std::env::temp_dir().join(format!("goyaml-emit-helm-{func}-{}", std::process::id()));
    let helm = render_with_helm(&dir, func, &cases);
    let _ = std::fs::remove_dir_all(&dir);
    let mut failures = Vec::new();
    for (i, (case, expected)) in cases.iter().zip(&helm).enumerate() {
        let ours = ours(case);
        // Both Helm functions trim one trailing newline.
        let ours = ours.strip_suffix('\n').unwrap_or(&ours);
        if ours != expected {
            failures.push(format!(
                "case {i}: {case}\n--- helm:\n{expected}\n--- ours:\n{ours}\n"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{func}: {} of {} cases differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn emitter_matches_helm_to_yaml() {
    check_against_helm("toYaml", goyaml::emit::to_string);
}

#[test]
fn pretty_emitter_matches_helm_to_yaml_pretty() {
    check_against_helm("toYamlPretty", goyaml::emit::to_string_pretty);
}
