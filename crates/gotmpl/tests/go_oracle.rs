//! Differential vectors: 2702 `fmt.Sprintf` and `text/template` cases whose
//! expected output was produced by Go itself (go1.19.8, see
//! `go_oracle/oracle.go`, `gen_cases.py` and `gen_random_cases.py`): every
//! verb and flag over ints, floats, strings, nil, lists and maps, template
//! behaviour under the three `missingkey` modes including Go's error
//! messages, and 900 random fragment templates.

use gotmpl::{FuncMap, Templates, Value};

fn run_case(case: &serde_json::Value) -> String {
    if case["kind"] == "fmt" {
        let args: Vec<Value> = case["args"]
            .as_array()
            .into_iter()
            .flatten()
            .map(Value::from_json)
            .collect();
        return gotmpl::fmt::sprintf(case["format"].as_str().unwrap_or_default(), &args);
    }
    let mut set = Templates::new(FuncMap::new());
    set.option(case["opt"].as_str().unwrap_or("missingkey=default"))
        .expect("known option");
    match set.parse("t", case["tmpl"].as_str().unwrap_or_default()) {
        Err(e) => format!("PARSE ERROR: {e}"),
        Ok(()) => {
            let mut out = String::new();
            if let Err(e) = set.execute_into("t", &Value::from_json(&case["data"]), &mut out) {
                out.push_str(&format!(" EXEC ERROR: {e}"));
            }
            out
        }
    }
}

#[test]
fn output_matches_go() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/go_oracle/vectors.jsonl");
    let text = std::fs::read_to_string(path).expect("vectors file");
    let (mut passed, mut failures) = (0, Vec::new());
    for line in text.lines().filter(|l| !l.is_empty()) {
        let case: serde_json::Value = serde_json::from_str(line).expect("vector is JSON");
        let got = run_case(&case);
        if case["go"] == got.as_str() {
            passed += 1;
        } else {
            failures.push(format!("{line}\n   got {got:?}"));
        }
    }
    println!(
        "go oracle vectors: {passed} passed, {} failed",
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "differs from Go:\n{}",
        failures.join("\n")
    );
    assert!(passed >= 2702);
}
