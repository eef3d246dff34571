//! Differential test of `values.schema.json` validation: every case (a
//! schema and values) is rendered by the real `helm template` and by
//! deckmod under each of draft-04, -06, -07 (named by `$schema`) and the
//! hybrid draft (no `$schema`), and the outputs must agree.
//!
//! Helm lists a chart's errors in Go map iteration order (random between
//! runs) when several properties fail, so error lines are compared as a
//! multiset; everything else (the header, single errors, schema errors and
//! successful renders) byte for byte.
//!
//! `helm` is found by [`testkit::helm`]; without it the test fails.

use std::path::Path;
use std::process::Command;

use chart::{PrintOptions, RenderOptions};

const DRAFTS: [(&str, &str); 4] = [
    (
        "draft-04",
        r#""$schema": "http://json-schema.org/draft-04/schema#", "#,
    ),
    (
        "draft-06",
        r#""$schema": "http://json-schema.org/draft-06/schema#", "#,
    ),
    (
        "draft-07",
        r#""$schema": "http://json-schema.org/draft-07/schema", "#,
    ),
    ("hybrid", ""),
];

/// (name, schema body without its braces, values.yaml). The body gets the
/// draft's `$schema` member prepended.
const CASES: &[(&str, &str, &str)] = &[
    // type, integer
    (
        "type-ok",
        r#""properties": {"a": {"type": "integer"}, "b": {"type": ["string", "null"]}}"#,
        "a: 1.0\nb: null",
    ),
    (
        "type-int",
        r#""properties": {"a": {"type": "integer"}}"#,
        "a: 1.5",
    ),
    (
        "type-list",
        r#""properties": {"a": {"type": ["string", "null"]}}"#,
        "a: true",
    ),
    (
        "type-null",
        r#""properties": {"a": {"type": "number"}}"#,
        "a: null",
    ),
    ("type-root", r#""type": "array""#, "a: 1"),
    (
        "type-obj",
        r#""properties": {"a": {"type": "string"}}"#,
        "a: {b: 1}",
    ),
    (
        "type-arr",
        r#""properties": {"a": {"type": "object"}}"#,
        "a: [1]",
    ),
    ("type-bad", r#""type": "float""#, "a: 1"),
    ("type-dup", r#""type": ["string", "string"]"#, "a: 1"),
    ("type-kind", r#""type": 1"#, "a: 1"),
    // enum, const
    (
        "enum",
        r#""properties": {"a": {"enum": [1, "x<y", {"b": 2, "a": null}, [true]]}}"#,
        "a: 2",
    ),
    (
        "enum-ok",
        r#""properties": {"a": {"enum": [1, {"b": 2, "a": null}]}}"#,
        "a: {a: null, b: 2}",
    ),
    ("enum-root", r#""enum": [{"a": 2}]"#, "a: 1"),
    ("enum-dup", r#""enum": [1, 1.0]"#, "a: 1"),
    ("enum-kind", r#""enum": 1"#, "a: 1"),
    (
        "const",
        r#""properties": {"a": {"const": [1.50, "s"]}}"#,
        "a: [2, s]",
    ),
    (
        "const-ok",
        r#""properties": {"a": {"const": [1.50, "s"]}}"#,
        "a: [1.5, s]",
    ),
    // numbers
    (
        "min-max",
        r#""properties": {"a": {"minimum": 1, "maximum": 10000000000}, "b": {"maximum": 0.00001}}"#,
        "a: 100000000000\nb: 1",
    ),
    ("min", r#""properties": {"a": {"minimum": 2.5}}"#, "a: 1"),
    (
        "multiple",
        r#""properties": {"a": {"multipleOf": 0.7}}"#,
        "a: 2",
    ),
    (
        "multiple-ok",
        r#""properties": {"a": {"multipleOf": 0.1}}"#,
        "a: 0.3",
    ),
    (
        "multiple-zero",
        r#""properties": {"a": {"multipleOf": 0}}"#,
        "a: 1",
    ),
    (
        "multiple-kind",
        r#""properties": {"a": {"multipleOf": "1"}}"#,
        "a: 1",
    ),
    (
        "min-kind",
        r#""properties": {"a": {"minimum": "1"}}"#,
        "a: 1",
    ),
    (
        "excl-flag",
        r#""properties": {"a": {"minimum": 1, "exclusiveMinimum": true}}"#,
        "a: 1",
    ),
    (
        "excl-flag-max",
        r#""properties": {"a": {"maximum": 3, "exclusiveMaximum": true}}"#,
        "a: 3",
    ),
    (
        "excl-flag-off",
        r#""properties": {"a": {"maximum": 3, "exclusiveMaximum": false}}"#,
        "a: 3",
    ),
    (
        "excl-num",
        r#""properties": {"a": {"exclusiveMinimum": 1}}"#,
        "a: 1",
    ),
    (
        "excl-num-max",
        r#""properties": {"a": {"exclusiveMaximum": 3}}"#,
        "a: 3",
    ),
    (
        "excl-alone",
        r#""properties": {"a": {"exclusiveMaximum": true}}"#,
        "a: 3",
    ),
    (
        "excl-kind",
        r#""properties": {"a": {"exclusiveMinimum": "x"}}"#,
        "a: 3",
    ),
    (
        "number-format",
        r#""properties": {"a": {"format": "date"}, "b": {"format": "custom"}}"#,
        "a: 5\nb: 5",
    ),
    // strings
    (
        "length",
        r#""properties": {"a": {"minLength": 2, "maxLength": 3}}"#,
        "a: é",
    ),
    (
        "length-max",
        r#""properties": {"a": {"maxLength": 3}}"#,
        "a: abcd",
    ),
    (
        "length-int",
        r#""properties": {"a": {"minLength": 2.0}}"#,
        "a: x",
    ),
    (
        "length-neg",
        r#""properties": {"a": {"maxLength": -1}}"#,
        "a: x",
    ),
    (
        "length-order",
        r#""properties": {"a": {"minLength": 3, "maxLength": 2}}"#,
        "a: x",
    ),
    (
        "pattern",
        r#""properties": {"a": {"pattern": "^[a-z]+\\d$"}}"#,
        "a: ab١",
    ),
    (
        "pattern-ok",
        r#""properties": {"a": {"pattern": "b"}}"#,
        "a: abc",
    ),
    (
        "pattern-bad",
        r#""properties": {"a": {"pattern": "("}}"#,
        "a: x",
    ),
    (
        "pattern-kind",
        r#""properties": {"a": {"pattern": 1}}"#,
        "a: x",
    ),
    (
        "format-kind",
        r#""properties": {"a": {"format": 1}}"#,
        "a: x",
    ),
    (
        "format-date",
        r#""properties": {"a": {"format": "date"}}"#,
        "a: '2023-02-29'",
    ),
    (
        "format-time",
        r#""properties": {"a": {"format": "time"}}"#,
        "a: '24:00:00'",
    ),
    (
        "format-date-time",
        r#""properties": {"a": {"format": "date-time"}}"#,
        "a: '2024-01-02T10:00:00'",
    ),
    (
        "format-date-time-ok",
        r#""properties": {"a": {"format": "date-time"}, "b": {"format": "date-time"}}"#,
        "a: '2024-01-02T10:00:00.5+01:00'\nb: '1:02:03'",
    ),
    (
        "format-hostname",
        r#""properties": {"a": {"format": "hostname"}}"#,
        "a: -x.org",
    ),
    (
        "format-email",
        r#""properties": {"a": {"format": "email"}}"#,
        "a: not-an-email",
    ),
    (
        "format-email-ok",
        r#""properties": {"a": {"format": "email"}, "b": {"format": "idn-email"}}"#,
        "a: jane@example.org\nb: Jane <j@x>",
    ),
    (
        "format-ipv4",
        r#""properties": {"a": {"format": "ipv4"}}"#,
        "a: '::1'",
    ),
    (
        "format-ipv6",
        r#""properties": {"a": {"format": "ipv6"}}"#,
        "a: 10.0.0.1",
    ),
    (
        "format-uri",
        r#""properties": {"a": {"format": "uri"}}"#,
        "a: /relative",
    ),
    (
        "format-uri-ref",
        r#""properties": {"a": {"format": "uri-reference"}}"#,
        "a: 'a\\b'",
    ),
    (
        "format-uri-template",
        r#""properties": {"a": {"format": "uri-template"}}"#,
        "a: 'http://x/{a'",
    ),
    (
        "format-uuid",
        r#""properties": {"a": {"format": "uuid"}}"#,
        "a: 123E4567-E89B-12D3-A456-426614174000",
    ),
    (
        "format-regex",
        r#""properties": {"a": {"format": "regex"}}"#,
        "a: '('",
    ),
    (
        "format-json-pointer",
        r#""properties": {"a": {"format": "json-pointer"}}"#,
        "a: a/b",
    ),
    (
        "format-rel-pointer",
        r#""properties": {"a": {"format": "relative-json-pointer"}}"#,
        "a: '01'",
    ),
    (
        "format-ok",
        r#""properties": {"a": {"format": "uri"}, "b": {"format": "ipv4"}, "c": {"format": "uuid"}, "d": {"format": "hostname"}}"#,
        "a: https://x.org/p?q#f\nb: 10.1.2.3\nc: 123e4567-e89b-12d3-a456-426614174000\nd: a.b-c.org",
    ),
    // objects
    (
        "required",
        r#""required": ["r"], "properties": {"r": {}}"#,
        "a: 1",
    ),
    ("required-dup", r#""required": ["r", "r"]"#, "a: 1"),
    ("required-kind", r#""required": "r""#, "a: 1"),
    ("props-min", r#""minProperties": 2"#, "a: 1"),
    ("props-max", r#""maxProperties": 1"#, "a: 1\nb: 2"),
    (
        "props-order",
        r#""minProperties": 2, "maxProperties": 1"#,
        "a: 1",
    ),
    ("props-kind", r#""properties": []"#, "a: 1"),
    (
        "additional",
        r#""properties": {"a": {}}, "additionalProperties": false"#,
        "a: 1\nb: 2",
    ),
    (
        "additional-schema",
        r#""additionalProperties": {"type": "string"}"#,
        "a: 1",
    ),
    ("additional-kind", r#""additionalProperties": 1"#, "a: 1"),
    (
        "pattern-props",
        r#""patternProperties": {"^a": {"type": "string"}}, "additionalProperties": false"#,
        "ab: 1",
    ),
    (
        "pattern-props-bad",
        r#""patternProperties": {"(": {}}"#,
        "a: 1",
    ),
    (
        "property-names",
        r#""propertyNames": {"maxLength": 2}"#,
        "abc: 1",
    ),
    ("property-names-kind", r#""propertyNames": 1"#, "abc: 1"),
    (
        "deps-array",
        r#""dependencies": {"a": ["b", "c"]}"#,
        "a: 1\nb: 2",
    ),
    (
        "deps-schema",
        r#""dependencies": {"a": {"required": ["z"]}}"#,
        "a: 1",
    ),
    ("deps-kind", r#""dependencies": {"a": 1}"#, "a: 1"),
    ("deps-item-kind", r#""dependencies": {"a": [1]}"#, "a: 1"),
    // arrays
    (
        "items",
        r#""properties": {"a": {"items": {"type": "string"}}}"#,
        "a: [x, 1]",
    ),
    (
        "items-tuple",
        r#""properties": {"a": {"items": [{"type": "string"}], "additionalItems": false}}"#,
        "a: [1, 2]",
    ),
    (
        "items-additional",
        r#""properties": {"a": {"items": [{}], "additionalItems": {"type": "string"}}}"#,
        "a: [1, 2]",
    ),
    (
        "items-kind",
        r#""properties": {"a": {"items": 1}}"#,
        "a: [1]",
    ),
    (
        "items-bool",
        r#""properties": {"a": {"items": false}}"#,
        "a: [1]",
    ),
    (
        "items-count",
        r#""properties": {"a": {"minItems": 2}, "b": {"maxItems": 1}}"#,
        "a: [1]\nb: [1, 2]",
    ),
    (
        "unique",
        r#""properties": {"a": {"uniqueItems": true}}"#,
        "a: [1, 1.0, 1]",
    ),
    (
        "unique-kind",
        r#""properties": {"a": {"uniqueItems": 1}}"#,
        "a: [1]",
    ),
    (
        "contains",
        r#""properties": {"a": {"contains": {"type": "string", "minLength": 3}}}"#,
        "a: [1, ab]",
    ),
    (
        "contains-ok",
        r#""properties": {"a": {"contains": {"type": "string"}}}"#,
        "a: [1, ab]",
    ),
    // combinators
    (
        "any-of",
        r#""properties": {"a": {"anyOf": [{"type": "string"}, {"type": "integer", "minimum": 5}]}}"#,
        "a: 3",
    ),
    (
        "one-of",
        r#""properties": {"a": {"oneOf": [{"type": "integer"}, {"minimum": 0}]}}"#,
        "a: 1",
    ),
    (
        "one-of-none",
        r#""properties": {"a": {"oneOf": [{"type": "string"}, {"maximum": 0}]}}"#,
        "a: 1",
    ),
    (
        "all-of",
        r#""properties": {"a": {"allOf": [{"type": "integer"}, {"minimum": 0}]}}"#,
        "a: -1",
    ),
    ("all-of-kind", r#""allOf": {}"#, "a: 1"),
    (
        "not",
        r#""properties": {"a": {"not": {"type": "string"}}}"#,
        "a: x",
    ),
    ("not-kind", r#""not": 1"#, "a: 1"),
    (
        "if-then",
        r#""properties": {"a": {"if": {"type": "string"}, "then": {"minLength": 2}, "else": {"minimum": 0}}}"#,
        "a: x",
    ),
    (
        "if-else",
        r#""properties": {"a": {"if": {"type": "string"}, "then": {"minLength": 2}, "else": {"minimum": 0}}}"#,
        "a: -1",
    ),
    ("if-kind", r#""if": 1"#, "a: 1"),
    (
        "bool-schema",
        r#""properties": {"a": false, "b": true}"#,
        "a: 1",
    ),
    // references
    (
        "ref",
        r##""properties": {"a": {"$ref": "#/definitions/p", "maximum": 1}}, "definitions": {"p": {"type": "integer", "minimum": 10}}"##,
        "a: 5",
    ),
    (
        "ref-siblings",
        r##""properties": {"a": {"$ref": "#/definitions/p", "maximum": 1}}, "definitions": {"p": {"type": "integer"}}"##,
        "a: 5",
    ),
    (
        "ref-ids",
        r##""$id": "http://x.org/root.json", "properties": {"a": {"$ref": "item.json"}, "b": {"$ref": "#/definitions/n"}}, "definitions": {"item": {"$id": "item.json", "type": "string"}, "n": {"type": "null"}}"##,
        "a: 1\nb: 1",
    ),
    (
        "ref-old-id",
        r##""id": "http://x.org/root.json", "properties": {"a": {"$ref": "item.json"}}, "definitions": {"item": {"id": "item.json", "type": "string"}}"##,
        "a: 1",
    ),
    (
        "ref-missing",
        r##""$ref": "#/definitions/missing""##,
        "a: 1",
    ),
    ("ref-relative", r#""$ref": "other.json""#, "a: 1"),
    ("ref-kind", r#""$ref": 1"#, "a: 1"),
    (
        "ref-recursive",
        r##""properties": {"c": {"$ref": "#"}, "v": {"type": "integer"}}"##,
        "c: {c: {v: x}}",
    ),
    (
        "ref-array-index",
        r##""properties": {"a": {"$ref": "#/definitions/l/1"}}, "definitions": {"l": [{}, {"type": "string"}]}"##,
        "a: 1",
    ),
    (
        "ref-anchor",
        r##""properties": {"a": {"$ref": "#foo"}}, "definitions": {"x": {"$id": "#foo", "id": "#foo", "type": "string"}}"##,
        "a: 1",
    ),
    (
        "ref-escaped",
        r##""properties": {"a": {"$ref": "#/definitions/a~1b%25"}}, "definitions": {"a/b%": {"type": "string"}}"##,
        "a: 1",
    ),
    (
        "ref-not-pointer",
        r##""properties": {"a": {"$ref": "#nothing"}}, "required": ["zz"]"##,
        "a: {}",
    ),
    // message formatting and ordering
    (
        "bounds-print",
        r#""properties": {"a": {"maximum": 1234567890.5}, "b": {"maximum": 1000000}, "c": {"minimum": 123456.5}, "d": {"exclusiveMaximum": 0.00001}}"#,
        "a: 2000000000
b: 2000000
c: 1
d: 1",
    ),
    (
        "enum-print",
        r#""properties": {"a": {"enum": [1e21, 1e-7, 0.000001, 12345678901234567890, "é\n"]}}"#,
        "a: 0.01",
    ),
    (
        "pattern-props-multi",
        r#""patternProperties": {"^a": {"type": "string"}, "b$": {"minimum": 5}}"#,
        "ab: 1",
    ),
    (
        "one-of-many",
        r#""properties": {"a": {"oneOf": [{"type": "integer"}, {"minimum": 0}, {"maximum": 5}]}}"#,
        "a: 1",
    ),
    (
        "many-errors",
        r#""properties": {"a": {"type": "string"}, "b": {"minimum": 3}, "c": {"required": ["x"]}}, "required": ["d"]"#,
        "a: 1
b: 1
c: {}",
    ),
    // schema errors
    ("json-syntax", r#""a": }"#, "a: 1"),
    ("json-trailing", r#"}{"#, "a: 1"),
    ("definitions-bool", r#""definitions": true"#, "a: 1"),
    ("definitions-kind", r#""definitions": {"a": 1}"#, "a: 1"),
    ("title-kind", r#""title": 1"#, "a: 1"),
    ("id-kind", r#""$id": 1, "id": 2"#, "a: 1"),
    ("schema-kind", r#""properties": {"a": 1}"#, "a: 1"),
    (
        "nested-errors",
        r#""properties": {"a": {"properties": {"b": {"items": {"type": "integer"}}}}}"#,
        "a: {b: [x]}",
    ),
];

fn write_chart(dir: &Path, schema: &str, values: &str) {
    std::fs::create_dir_all(dir.join("templates")).unwrap();
    std::fs::write(
        dir.join("Chart.yaml"),
        "apiVersion: v2\nname: schemacase\nversion: 0.1.0\n",
    )
    .unwrap();
    std::fs::write(dir.join("values.yaml"), format!("{values}\n")).unwrap();
    std::fs::write(dir.join("values.schema.json"), schema).unwrap();
    std::fs::write(
        dir.join("templates/cm.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  v: {{ .Values | toJson | quote }}\n",
    )
    .unwrap();
}

fn helm_output(helm: &Path, chart: &Path, scratch: &Path) -> String {
    let out = Command::new(helm)
        .arg("template")
        .arg(chart)
        .args(["--kube-version", "1.29.0"])
        .env("KUBECONFIG", scratch.join("no-kubeconfig"))
        .env("HELM_CACHE_HOME", scratch.join("cache"))
        .env("HELM_CONFIG_HOME", scratch.join("config"))
        .env("HELM_DATA_HOME", scratch.join("data"))
        .output()
        .expect("helm runs");
    if out.status.success() {
        return String::from_utf8_lossy(&out.stdout).into_owned();
    }
    let err = String::from_utf8_lossy(&out.stderr);
    let start = err.find("Error: ").unwrap_or(0);
    err[start..].trim_end().to_string()
}

fn deckmod_output(chart: &Path) -> String {
    let result = chart::load(chart).and_then(|c| {
        let render = RenderOptions {
            kube_version: Some("1.29.0".into()),
            ..Default::default()
        };
        chart::template(
            &c,
            &serde_json::json!({}),
            &render,
            &PrintOptions::default(),
        )
        .map(|(text, _)| text)
    });
    match result {
        Ok(text) => text,
        Err(e) => format!("Error: {e}").trim_end().to_string(),
    }
}

/// Error lines in order-insensitive form (see the module doc).
fn normalize(text: &str) -> Vec<String> {
    if !text.starts_with("Error: values don't meet") {
        return vec![text.to_string()];
    }
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    lines.sort();
    lines
}

#[test]
fn schema_cases_validate_like_helm() {
    let helm = testkit::helm();
    let scratch = std::env::temp_dir().join(format!("deckmod-schema-diff-{}", std::process::id()));
    let mut failures = Vec::new();
    let mut total = 0;
    for (name, body, values) in CASES {
        for (draft, member) in DRAFTS {
            total += 1;
            let chart = scratch.join(format!("{name}-{draft}"));
            write_chart(&chart, &format!("{{{member}{body}}}"), values);
            let want = helm_output(&helm, &chart, &scratch);
            let got = deckmod_output(&chart);
            if normalize(&want) != normalize(&got) {
                failures.push(format!(
                    "--- {name} [{draft}]\nschema: {{{member}{body}}}\nvalues: {values}\nhelm:\n{want}\ndeckmod:\n{got}\n"
                ));
            }
        }
    }
    let _ = std::fs::remove_dir_all(&scratch);
    println!(
        "schema cases: {}/{total} identical to helm",
        total - failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {total} schema cases differ from helm:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
