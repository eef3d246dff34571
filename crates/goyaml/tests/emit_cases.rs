//! `toYaml` output for hand-picked values, each checked against Helm 3.17
//! (`helm template` with `{{ toYaml .Values.x }}`); these run without helm.

use goyaml::emit::{to_string, try_to_string};
use serde_json::json;

fn yaml(v: serde_json::Value) -> String {
    to_string(&v)
}

#[test]
fn block_collections_and_empty_flow_ones() {
    assert_eq!(
        yaml(json!({"b": [1, 2], "a": {"c": {}}, "d": []})),
        "a:\n  c: {}\nb:\n- 1\n- 2\nd: []\n"
    );
    assert_eq!(
        yaml(json!([[1, [2]], {"k": [3]}])),
        "- - 1\n  - - 2\n- k:\n  - 3\n"
    );
    assert_eq!(yaml(json!(null)), "null\n");
    assert_eq!(yaml(json!({})), "{}\n");
}

#[test]
fn scalars_that_would_change_type_are_double_quoted() {
    assert_eq!(
        yaml(json!([
            "yes",
            "on",
            "1.0",
            "0x1F",
            "~",
            "",
            "12:30",
            "2021-01-01",
            "null"
        ])),
        "- \"yes\"\n- \"on\"\n- \"1.0\"\n- \"0x1F\"\n- \"~\"\n- \"\"\n- \"12:30\"\n- \"2021-01-01\"\n- \"null\"\n"
    );
}

#[test]
fn indicators_and_edge_spaces_are_single_quoted() {
    assert_eq!(
        yaml(json!([
            "a: b", "a #b", "- x", " lead", "trail ", "*ref", "it's"
        ])),
        "- 'a: b'\n- 'a #b'\n- '- x'\n- ' lead'\n- 'trail '\n- '*ref'\n- it's\n"
    );
}

#[test]
fn control_and_astral_characters_are_escaped() {
    assert_eq!(yaml(json!("tab\there")), "\"tab\\there\"\n");
    assert_eq!(yaml(json!("smile 😀")), "\"smile \\U0001F600\"\n");
}

#[test]
fn multi_line_text_is_a_literal_block_with_chomping() {
    assert_eq!(yaml(json!({"k": "a\nb"})), "k: |-\n  a\n  b\n");
    assert_eq!(yaml(json!({"k": "a\nb\n"})), "k: |\n  a\n  b\n");
    assert_eq!(yaml(json!({"k": "a\n\n"})), "k: |+\n  a\n\n");
    assert_eq!(yaml(json!({"k": " a\nb"})), "k: |2-\n   a\n  b\n");
    // A space before a line break rules the block style out.
    assert_eq!(yaml(json!("a \nb")), "\"a \\nb\"\n");
}

#[test]
fn long_text_folds_at_eighty_columns() {
    let text = "The quick brown fox jumps over the lazy dog and keeps running far beyond the eighty column limit of yaml";
    assert_eq!(
        yaml(json!({"k": text})),
        "k: The quick brown fox jumps over the lazy dog and keeps running far beyond the eighty\n  column limit of yaml\n"
    );
}

#[test]
fn numbers_print_as_after_the_json_round_trip() {
    assert_eq!(
        yaml(json!([1.0, 1e6, 1.5, 1234567.5, 0.00001, 1e21, -0.0])),
        "- 1\n- 1000000\n- 1.5\n- 1.2345675e+06\n- 1e-05\n- 1e+21\n- 0\n"
    );
}

#[test]
fn keys_sort_naturally_and_long_keys_are_complex() {
    assert_eq!(
        yaml(json!({"a10": 1, "a2": 2, "B": 3, "_": 4})),
        "_: 4\nB: 3\na2: 2\na10: 1\n"
    );
    let long = "k".repeat(129);
    assert_eq!(yaml(json!({ long.clone(): 1 })), format!("? {long}\n: 1\n"));
    assert_eq!(yaml(json!({"a\nb": 1})), "? |-\n  a\n  b\n: 1\n");
}

#[test]
fn text_yaml_cannot_read_back_fails_like_go() {
    assert!(try_to_string(&json!({"k": "del\u{7f}"})).is_err());
    assert_eq!(to_string(&json!({"k": "del\u{7f}"})), "");
    assert_eq!(yaml(json!("a\u{85}b")), "a b\n");
}
