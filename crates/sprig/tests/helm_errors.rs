//! Differential test of failure messages: each expression fails in real
//! `helm template`, and must fail here with the same function error (the
//! text Helm prints after `error calling NAME: `). Needs `helm` ([`testkit::helm`]);
//! fails without it.

use std::process::Command;

use gotmpl::{Templates, Value};

const FAILING: &[&str] = &[
    r#"{{ first "abc" }}"#,
    r#"{{ div 1 0 }}"#,
    r#"{{ mod 1 0 }}"#,
    r#"{{ semverCompare "badConstraint" "1.2.3" }}"#,
    r#"{{ semverCompare "^1" "not-a-version" }}"#,
    r#"{{ semver "1.2.3-01" }}"#,
    r#"{{ mustToDate "2006-01-02" "2020-13-01" }}"#,
    r#"{{ mustDateModify "1f" now }}"#,
    r#"{{ concat (list 1) "x" }}"#,
    r#"{{ mustRegexMatch "a(b" "ab" }}"#,
    r#"{{ chunk 2 "ab" }}"#,
    r#"{{ slice (list 1 2) 1 5 }}"#,
    r#"{{ mustLast 3 }}"#,
    r#"{{ mustUniq "x" }}"#,
    r#"{{ mustHas 1 "x" }}"#,
    r#"{{ set nil "a" 1 }}"#,
    r#"{{ mustRegexFind "a)b" "x" }}"#,
    r#"{{ mustRegexFind "[a" "x" }}"#,
    r#"{{ mustRegexFind "a\\q" "x" }}"#,
    r#"{{ mustRegexFind "*a" "x" }}"#,
    r#"{{ mustRegexFind "[z-a]" "x" }}"#,
    r#"{{ genSelfSignedCert "x" nil (list "ünï") 1 }}"#,
    r#"{{ $ca := genCA "a" 1 }}{{ $other := genCA "b" 1 }}{{ $bad := buildCustomCert ($ca.Cert | b64enc) ($other.Key | b64enc) }}{{ genSignedCert "x" nil nil 1 $bad }}"#,
];

/// The part of an error after `error calling NAME: `, or the whole text.
fn function_error(text: &str) -> String {
    let line = text
        .lines()
        .find(|l| l.contains("error calling"))
        .unwrap_or(text);
    match line.find("error calling ") {
        Some(i) => {
            let rest = &line[i + "error calling ".len()..];
            rest.split_once(": ")
                .map_or(rest, |(_, msg)| msg)
                .trim()
                .to_string()
        }
        None => line.trim().to_string(),
    }
}

fn helm_error(expression: &str, index: usize) -> String {
    let dir =
        std::env::temp_dir().join(format!("sprig-helm-errors-{}-{index}", std::process::id()));
    let chart = dir.join("chart");
    std::fs::create_dir_all(chart.join("templates")).expect("create chart");
    std::fs::write(
        chart.join("Chart.yaml"),
        "apiVersion: v2\nname: e\nversion: 0.1.0\n",
    )
    .expect("Chart.yaml");
    std::fs::write(chart.join("templates/t.yaml"), format!("x: {expression}\n")).expect("template");
    let output = Command::new(testkit::helm())
        .args(["template", "x"])
        .arg(&chart)
        .output()
        .expect("run helm");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(!output.status.success(), "helm accepted {expression}");
    function_error(&String::from_utf8_lossy(&output.stderr))
}

#[test]
fn function_errors_match_helm() {
    let mut failures = Vec::new();
    for (i, expression) in FAILING.iter().enumerate() {
        let expected = helm_error(expression, i);
        let mut set = Templates::new(sprig::funcs());
        set.parse("t", expression).expect("parses");
        let ours = match set.execute("t", &Value::Nil) {
            Ok(out) => format!("no error, output {out:?}"),
            Err(e) => function_error(&e.to_string()),
        };
        if ours != expected {
            failures.push(format!("{expression}\n  helm: {expected}\n  ours: {ours}"));
        }
    }
    println!(
        "helm error differential: {} of {} match",
        FAILING.len() - failures.len(),
        FAILING.len()
    );
    assert!(
        failures.is_empty(),
        "{} errors differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
