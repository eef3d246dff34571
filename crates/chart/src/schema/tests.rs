//! Per-keyword checks of messages and draft handling.

use super::*;

/// Helm's text for one chart: error lines, a schema error, or "" if valid.
fn run(schema: &str, values: &str) -> String {
    let values: serde_json::Value = serde_json::from_str(values).unwrap();
    validate_single(&Value::from_json(&values), schema.as_bytes())
        .err()
        .unwrap_or_default()
}

const D4: &str = r#""$schema":"http://json-schema.org/draft-04/schema#","#;
const D6: &str = r#""$schema":"http://json-schema.org/draft-06/schema#","#;
const D7: &str = r#""$schema":"http://json-schema.org/draft-07/schema#","#;

/// `{<draft>"properties":{"a":<prop>}}`.
fn prop(draft: &str, prop: &str) -> String {
    format!(r#"{{{draft}"properties":{{"a":{prop}}}}}"#)
}

#[test]
fn types_and_integers() {
    let s = prop("", r#"{"type":"integer"}"#);
    assert_eq!(run(&s, r#"{"a":1.0}"#), "");
    assert_eq!(run(&s, r#"{"a":1e3}"#), "");
    assert_eq!(
        run(&s, r#"{"a":1.5}"#),
        "- a: Invalid type. Expected: integer, given: number\n"
    );
    assert_eq!(
        run(&prop("", r#"{"type":["string","null"]}"#), r#"{"a":true}"#),
        "- a: Invalid type. Expected: [string,null], given: boolean\n"
    );
    assert_eq!(
        run(&prop("", r#"{"type":"number"}"#), r#"{"a":null}"#),
        "- a: Invalid type. Expected: number, given: null\n"
    );
    assert_eq!(
        run(r#"{"type":"array"}"#, r#"null"#),
        "- (root): Invalid type. Expected: array, given: object\n"
    );
}

#[test]
fn enum_and_const() {
    let s = prop(D6, r#"{"enum":[1,"x<y",{"b":2,"a":null}]}"#);
    assert_eq!(run(&s, r#"{"a":1.0}"#), "");
    assert_eq!(run(&s, r#"{"a":{"a":null,"b":2}}"#), "");
    assert_eq!(
        run(&s, r#"{"a":2}"#),
        "- a: a must be one of the following: 1, \"x\\u003cy\", {\"a\":null,\"b\":2}\n"
    );
    let c = prop(D6, r#"{"const":[1.50]}"#);
    assert_eq!(run(&c, r#"{"a":[1.5]}"#), "");
    assert_eq!(run(&c, r#"{"a":[2]}"#), "- a: a does not match: [1.5]\n");
    // const is not a draft 4 keyword.
    assert_eq!(run(&prop(D4, r#"{"const":1}"#), r#"{"a":2}"#), "");
    assert_eq!(
        run(r#"{"enum":[{"a":1}]}"#, "{}"),
        "- (root): (root) must be one of the following: {\"a\":1}\n"
    );
}

#[test]
fn numbers() {
    let s = prop("", r#"{"minimum":1,"maximum":1e10,"multipleOf":0.5}"#);
    assert_eq!(run(&s, r#"{"a":2.5}"#), "");
    assert_eq!(
        run(&s, r#"{"a":0.3}"#),
        "- a: Must be a multiple of 0.5\n- a: Must be greater than or equal to 1\n"
    );
    assert_eq!(
        run(&s, r#"{"a":1e11}"#),
        "- a: Must be less than or equal to 1e+10\n"
    );
    // Draft 4: boolean flags; drafts 6/7: numeric bounds; hybrid: both.
    let flag = r#"{"minimum":1,"exclusiveMinimum":true,"maximum":3,"exclusiveMaximum":false}"#;
    let numeric = r#"{"exclusiveMinimum":1,"exclusiveMaximum":3}"#;
    for draft in [D4, ""] {
        assert_eq!(
            run(&prop(draft, flag), r#"{"a":1}"#),
            "- a: Must be greater than 1\n"
        );
        assert_eq!(run(&prop(draft, flag), r#"{"a":3}"#), "");
    }
    for draft in [D6, D7, ""] {
        assert_eq!(
            run(&prop(draft, numeric), r#"{"a":3}"#),
            "- a: Must be less than 3\n"
        );
    }
    assert_eq!(
        run(&prop(D4, numeric), "{}"),
        "Invalid type. Expected: boolean, given: exclusiveMinimum"
    );
    assert_eq!(
        run(&prop(D7, flag), "{}"),
        "Invalid type. Expected: number, given: exclusiveMinimum"
    );
    assert_eq!(
        run(&prop("", r#"{"exclusiveMaximum":true}"#), "{}"),
        "exclusiveMaximum cannot be used without maximum"
    );
    assert_eq!(
        run(&prop("", r#"{"multipleOf":0}"#), "{}"),
        "multipleOf must be strictly greater than 0"
    );
    assert_eq!(
        run(&prop("", r#"{"multipleOf":0.1}"#), r#"{"a":0.3}"#),
        "",
        "exact rationals, not floats"
    );
    assert_eq!(
        run(
            &prop("", r#"{"type":"string","format":"date"}"#),
            r#"{"a":5}"#
        ),
        "- a: Invalid type. Expected: string, given: integer\n"
    );
    assert_eq!(
        run(&prop("", r#"{"format":"date"}"#), r#"{"a":5}"#),
        "- a: Does not match format 'date'\n",
        "gojsonschema checks known formats of numbers and fails them"
    );
    assert_eq!(run(&prop("", r#"{"format":"custom"}"#), r#"{"a":5}"#), "");
}

#[test]
fn strings() {
    let s = prop("", r#"{"minLength":2,"maxLength":3,"pattern":"^[a-z]+$"}"#);
    assert_eq!(
        run(&s, r#"{"a":"éé"}"#),
        "- a: Does not match pattern '^[a-z]+$'\n"
    );
    assert_eq!(
        run(&s, r#"{"a":"ABCD"}"#),
        "- a: String length must be less than or equal to 3\n- a: Does not match pattern '^[a-z]+$'\n"
    );
    assert_eq!(
        run(&s, r#"{"a":"x"}"#),
        "- a: String length must be greater than or equal to 2\n"
    );
    assert_eq!(
        run(&prop("", r#"{"format":"email"}"#), r#"{"a":"nope"}"#),
        "- a: Does not match format 'email'\n"
    );
    assert_eq!(
        run(&prop("", r#"{"pattern":"("}"#), "{}"),
        "pattern must be a valid regex"
    );
    assert_eq!(
        run(&prop("", r#"{"minLength":2.0}"#), "{}"),
        "minLength must be of an integer"
    );
    assert_eq!(
        run(&prop("", r#"{"maxLength":-1}"#), "{}"),
        "maxLength must be greater than or equal to 0"
    );
    assert_eq!(
        run(&prop("", r#"{"minLength":3,"maxLength":2}"#), "{}"),
        "minLength cannot be greater than maxLength"
    );
}

#[test]
fn objects() {
    let s = r#"{"required":["r"],"minProperties":2,"maxProperties":3,
        "properties":{"p":{"type":"string"},"r":{}},
        "patternProperties":{"^x":{"type":"integer"}},
        "additionalProperties":false}"#;
    assert_eq!(
        run(s, r#"{"x1":"s","y":1}"#),
        "- (root): r is required\n- (root): Additional property y is not allowed\n- x1: Invalid type. Expected: integer, given: string\n"
    );
    assert_eq!(
        run(s, r#"{"r":1,"p":"a","x":1,"x2":2}"#),
        "- (root): Must have at most 3 properties\n"
    );
    assert_eq!(
        run(s, r#"{"r":1}"#),
        "- (root): Must have at least 2 properties\n"
    );
    let ap = r#"{"additionalProperties":{"type":"string"}}"#;
    assert_eq!(
        run(ap, r#"{"k":1}"#),
        "- k: Invalid type. Expected: string, given: integer\n"
    );
    let names = format!(r#"{{{D6}"propertyNames":{{"maxLength":2}}}}"#);
    assert_eq!(
        run(&names, r#"{"abc":1}"#),
        "- (root): Property name of \"abc\" does not match\n- (root): String length must be less than or equal to 2\n"
    );
    let deps = r#"{"dependencies":{"a":["b","c"],"b":{"required":["z"]}}}"#;
    assert_eq!(
        run(deps, r#"{"a":1,"b":2}"#),
        "- (root): Has a dependency on c\n- (root): z is required\n"
    );
    assert_eq!(
        run(r#"{"required":["a","a"]}"#, "{}"),
        "required items must be unique"
    );
    assert_eq!(
        run(r#"{"patternProperties":{"(":{}}}"#, "{}"),
        "Invalid regex pattern '('"
    );
}

#[test]
fn arrays() {
    let s = prop(
        D7,
        r#"{"items":[{"type":"string"}],"additionalItems":false,"minItems":3,"uniqueItems":true}"#,
    );
    assert_eq!(
        run(&s, r#"{"a":[1,1]}"#),
        "- a: No additional items allowed on array\n- a: Array must have at least 3 items\n- a: array items[0,1] must be unique\n- a.0: Invalid type. Expected: string, given: integer\n"
    );
    let extra = prop(
        "",
        r#"{"items":[{}],"additionalItems":{"type":"string"},"maxItems":1}"#,
    );
    assert_eq!(
        run(&extra, r#"{"a":[1,2]}"#),
        "- a: Array must have at most 1 items\n- a.1: Invalid type. Expected: string, given: integer\n"
    );
    let contains = prop(D6, r#"{"contains":{"type":"string","minLength":3}}"#);
    assert_eq!(run(&contains, r#"{"a":[1,"abc"]}"#), "");
    assert_eq!(
        run(&contains, r#"{"a":[1,"ab"]}"#),
        "- a: At least one of the items must match\n- a.1: String length must be greater than or equal to 3\n"
    );
    assert_eq!(
        run(&prop(D6, r#"{"items":false}"#), r#"{"a":[1]}"#),
        "- a.0: False always fails validation\n"
    );
    assert_eq!(
        run(&prop("", r#"{"uniqueItems":true}"#), r#"{"a":[1,1.0,1]}"#),
        "- a: array items[0,1] must be unique\n- a: array items[1,2] must be unique\n"
    );
}

#[test]
fn combinators() {
    let any = prop(
        "",
        r#"{"anyOf":[{"type":"string"},{"type":"integer","minimum":5}]}"#,
    );
    assert_eq!(run(&any, r#"{"a":7}"#), "");
    assert_eq!(
        run(&any, r#"{"a":3}"#),
        "- a: Must validate at least one schema (anyOf)\n- a: Must be greater than or equal to 5\n"
    );
    let one = prop("", r#"{"oneOf":[{"type":"integer"},{"minimum":0}]}"#);
    assert_eq!(
        run(&one, r#"{"a":1}"#),
        "- a: Must validate one and only one schema (oneOf)\n"
    );
    assert_eq!(run(&one, r#"{"a":-1}"#), "");
    let all = prop("", r#"{"allOf":[{"type":"integer"},{"minimum":0}]}"#);
    assert_eq!(
        run(&all, r#"{"a":-1}"#),
        "- a: Must be greater than or equal to 0\n- a: Must validate all the schemas (allOf)\n"
    );
    assert_eq!(
        run(&prop("", r#"{"not":{"type":"string"}}"#), r#"{"a":"x"}"#),
        "- a: Must not validate the schema (not)\n"
    );
    let cond = prop(
        D7,
        r#"{"if":{"type":"string"},"then":{"minLength":2},"else":{"minimum":0}}"#,
    );
    assert_eq!(
        run(&cond, r#"{"a":"x"}"#),
        "- a: Must validate \"then\" as \"if\" was valid\n- a: String length must be greater than or equal to 2\n"
    );
    assert_eq!(
        run(&cond, r#"{"a":-1}"#),
        "- a: Must validate \"else\" as \"if\" was not valid\n- a: Must be greater than or equal to 0\n"
    );
    // if/then/else are draft 7 (and hybrid) keywords only.
    assert_eq!(
        run(&prop(D6, r#"{"if":{},"then":false}"#), r#"{"a":1}"#),
        ""
    );
    assert_eq!(
        run(r#"{"allOf":{}}"#, "{}"),
        "anyOf must be of an array",
        "gojsonschema names the wrong keyword"
    );
}

#[test]
fn references() {
    let s = r##"{"properties":{"a":{"$ref":"#/definitions/port","maximum":1}},
        "definitions":{"port":{"type":"integer","minimum":10}}}"##;
    assert_eq!(run(s, r#"{"a":20}"#), "", "siblings of $ref are ignored");
    assert_eq!(
        run(s, r#"{"a":5}"#),
        "- a: Must be greater than or equal to 10\n"
    );
    let ids = r##"{"$id":"http://x.org/root.json","properties":{
        "a":{"$ref":"item.json"},"b":{"$ref":"#/definitions/n"}},
        "definitions":{"item":{"$id":"item.json","type":"string"},"n":{"type":"null"}}}"##;
    assert_eq!(
        run(ids, r#"{"a":1,"b":1}"#),
        "- a: Invalid type. Expected: string, given: integer\n- b: Invalid type. Expected: null, given: integer\n"
    );
    let d4 = format!(
        r##"{{{D4}"id":"http://x.org/r.json","properties":{{"a":{{"$ref":"#/definitions/s"}}}},"definitions":{{"s":{{"type":"string"}}}}}}"##
    );
    assert_eq!(
        run(&d4, r#"{"a":1}"#),
        "- a: Invalid type. Expected: string, given: integer\n"
    );
    assert_eq!(
        run(r##"{"$ref":"#/definitions/missing"}"##, "{}"),
        "Object has no key 'definitions'"
    );
    assert_eq!(
        run(r#"{"$ref":"other.json"}"#, "{}"),
        "Reference /other.json must be canonical"
    );
    assert!(
        run(r#"{"$ref":"https://example.com/s.json"}"#, "{}")
            .starts_with("Reference https://example.com/s.json is not loaded")
    );
    // A cycle must not overflow the stack (Helm itself crashes).
    assert_eq!(run(r##"{"$ref":"#"}"##, "{}"), validate::OVERFLOW);
    let tree = r##"{"type":"object","properties":{"c":{"$ref":"#"},"v":{"type":"integer"}}}"##;
    assert_eq!(
        run(tree, r#"{"c":{"c":{"v":"x"}}}"#),
        "- c.c.v: Invalid type. Expected: integer, given: string\n"
    );
}

#[test]
fn invalid_schemas() {
    assert_eq!(run("{", "{}"), "unexpected EOF");
    assert_eq!(run("", "{}"), "EOF");
    assert_eq!(run("[]", "{}"), "schema is invalid");
    assert_eq!(run("true", r#"{"a":1}"#), "");
    assert_eq!(
        run(r#"{"$schema":1}"#, "{}"),
        "$schema must be of type string"
    );
    assert_eq!(
        run(r#"{"definitions":true}"#, "{}"),
        "unable to validate schema: interface conversion: interface {} is bool, not map[string]interface {}"
    );
    assert_eq!(
        run(r#"{"type":"float"}"#, "{}"),
        "has a primitive type that is NOT VALID -- given: /float/ Expected valid values are:[array boolean integer number null object string]"
    );
    assert_eq!(
        run(r#"{"type":["string","string"]}"#, "{}"),
        "string type is duplicated"
    );
    assert_eq!(
        run(r#"{"properties":{"a":1}}"#, "{}"),
        "Expected: valid schema, given: Invalid JSON"
    );
    assert_eq!(
        run(&prop(D4, "true"), "{}"),
        "Expected: valid schema, given: Invalid JSON",
        "no boolean schemas in draft 4"
    );
    assert_eq!(
        run(&prop(D6, "false"), r#"{"a":1}"#),
        "- a: False always fails validation\n"
    );
    assert_eq!(
        run(r#"{"enum":[1,1.0]}"#, "{}"),
        "enum items must be unique"
    );
    assert_eq!(
        run(r#"{"items":1}"#, "{}"),
        "Invalid type. Expected: valid schema/array of schemas, given: items"
    );
}

#[test]
fn deep_values_and_schemas_do_not_overflow() {
    let deep_schema = format!("{}{}", r#"{"items":"#.repeat(5000), "}".repeat(5000));
    assert_eq!(run(&deep_schema, "{}"), "exceeded max depth");
    let mut nested = Value::Int(1);
    for _ in 0..600 {
        nested = Value::list(vec![nested]);
    }
    let values = Value::map([("a".to_string(), nested)].into_iter().collect());
    let s = r##"{"properties":{"a":{"$ref":"#/definitions/l"}},"definitions":{"l":{"items":{"$ref":"#/definitions/l"}}}}"##;
    assert_eq!(
        validate_single(&values, s.as_bytes()).unwrap_err(),
        validate::OVERFLOW
    );
}
