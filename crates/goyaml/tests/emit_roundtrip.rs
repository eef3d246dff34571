//! Property: what the emitter writes, the loader reads back as the same
//! value (`goyaml::from_str(to_string(v)) == v`), for thousands of random
//! JSON values built from the strings and numbers that stress YAML quoting.
//!
//! U+2028/U+2029 are left out: YAML 1.1 readers (Go's `yaml.v2` included)
//! fold them like line breaks, so Helm's own `toYaml`/`fromYaml` does not
//! round-trip them either, and the emitter matches Helm there (see `emit_helm.rs`).
//!
//! The values come from a seeded generator (this crate has no proptest
//! dependency); each failure prints its seed and value.

use serde_json::{Map, Value, json};
use testkit::XorShift;

const PIECES: &[&str] = &[
    "a",
    "word",
    "two words",
    "yes",
    "No",
    "on",
    "~",
    "null",
    "true",
    "1",
    "-1.5",
    "0x1F",
    "0777",
    "1e3",
    ".inf",
    "12:30",
    "2001-12-14",
    "- x",
    ": y",
    "a: b",
    "#c",
    "a #b",
    "&x",
    "*y",
    "!z",
    "|",
    ">",
    "'",
    "\"",
    "%",
    "@",
    "`",
    "[",
    "]",
    "{",
    "}",
    ",",
    "?",
    " ",
    "  ",
    "\t",
    "\n",
    "\r",
    "\\",
    "é",
    "日本",
    "😀",
    "\u{a0}",
    "\u{7}",
    "\u{feff}",
    "---",
    "...",
    "",
    "a long sentence that keeps going well past the eighty column folding limit of the yaml emitter for sure",
];

fn gen_string(rng: &mut XorShift) -> String {
    (0..rng.below(5))
        .map(|_| PIECES[rng.below(PIECES.len())])
        .collect()
}

fn gen_number(rng: &mut XorShift) -> Value {
    match rng.below(4) {
        0 => json!(rng.next_u64() as i64 >> rng.below(64)),
        1 => json!(rng.below(1000) as i64 - 500),
        // Finite doubles from random bits, and a few round ones.
        2 => {
            let f = f64::from_bits(rng.next_u64());
            json!(if f.is_finite() { f } else { 0.5 })
        }
        _ => json!([0.1, 1.5, 1e21, 1e-7, 123456.789, -0.25][rng.below(6)]),
    }
}

fn gen_value(rng: &mut XorShift, depth: usize) -> Value {
    match rng.below(if depth > 3 { 4 } else { 6 }) {
        0 => Value::String(gen_string(rng)),
        1 => gen_number(rng),
        2 => [Value::Null, Value::Bool(true), Value::Bool(false)][rng.below(3)].clone(),
        3 => Value::String(gen_string(rng)),
        4 => Value::Array(
            (0..rng.below(4))
                .map(|_| gen_value(rng, depth + 1))
                .collect(),
        ),
        _ => {
            let mut m = Map::new();
            for _ in 0..rng.below(4) {
                let v = gen_value(rng, depth + 1);
                m.insert(gen_string(rng), v);
            }
            Value::Object(m)
        }
    }
}

/// Numbers compare by value: the loader may read `1.0` back as `1`.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

#[test]
fn emitted_yaml_loads_back_as_the_same_value() {
    let mut failures = Vec::new();
    for seed in 1..=4000u64 {
        let mut rng = XorShift::new(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
        let value = gen_value(&mut rng, 0);
        let Ok(text) = goyaml::emit::try_to_string(&value) else {
            continue;
        };
        match goyaml::from_str(&text) {
            Ok(back) if same(&value, &back) => {}
            Ok(back) => failures.push(format!("seed {seed}: {value}\n{text}--> {back}")),
            Err(e) => failures.push(format!("seed {seed}: {value}\n{text}--> error {e:?}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} values did not round-trip:\n{}",
        failures.len(),
        failures
            .iter()
            .take(10)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
