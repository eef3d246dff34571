//! Property tests: random templates never panic the parser or the executor,
//! and a parsed tree printed as Go's `String()` parses back to the same tree.

use gotmpl::parser::{self, ParseOptions};
use gotmpl::tree::{TextStyle, write_list};
use gotmpl::{FuncMap, Templates, Value};
use proptest::prelude::*;

/// Template fragments that combine into valid, nearly valid and broken templates.
const FRAGMENTS: &[&str] = &[
    "text ",
    "\n",
    "{{.X}}",
    "{{ .A.B }}",
    "{{.}}",
    "{{$}}",
    "{{if .A}}",
    "{{else}}",
    "{{else if .B}}",
    "{{end}}",
    "{{range $i, $v := .L}}",
    "{{range .M}}",
    "{{range 3}}",
    "{{with .A}}",
    "{{break}}",
    "{{continue}}",
    "{{$x := .L}}",
    "{{$x = 1}}",
    "{{$x}}",
    "{{printf \"%d-%s-%v\" 1 \"a\" .L}}",
    "{{print 1.5 2 nil}}",
    "{{index .L 0}}",
    "{{index .M \"k\"}}",
    "{{slice .L 1}}",
    "{{len .S}}",
    "{{eq .X 1 2}}",
    "{{lt 1 2}}",
    "{{and .A .B}}",
    "{{or .A \"x\"}}",
    "{{not .A}}",
    "{{.X | printf \"%q\"}}",
    "{{(.X).Y}}",
    "{{html .S}}{{js .S}}{{urlquery .S}}",
    "{{define \"t\"}}",
    "{{template \"t\" .}}",
    "{{block \"b\" .}}",
    "{{- ",
    " -}}",
    "{{/* c */}}",
    "{{",
    "}}",
    "(",
    ")",
    "|",
    "'a'",
    "0x1F",
    "`raw`",
    "\"str\"",
    "$y",
    ":=",
];

fn template() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            4 => prop::sample::select(FRAGMENTS).prop_map(str::to_string),
            1 => "[ -~]{0,6}",
        ],
        0..24,
    )
    .prop_map(|parts| parts.concat())
}

fn data() -> Value {
    Value::from_json(&serde_json::json!({
        "X": 1, "A": true, "B": {"C": "x"}, "S": "<a&b>", "L": [1, "two", 3.5, null, {"k": "v"}],
        "M": {"k": [1, 2], "z": null}
    }))
}

fn tree_string(text: &str) -> Option<String> {
    let trees = parser::parse("t", text, &|_| false, ParseOptions::default()).ok()?;
    let main = trees.iter().find(|t| t.name == "t")?;
    let mut s = String::new();
    write_list(&mut s, &main.root, TextStyle::Raw);
    Some(s)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn random_templates_never_panic(text in template()) {
        let mut set = Templates::new(FuncMap::new());
        if set.parse("t", &text).is_ok() {
            let _ = set.execute("t", &data());
            let _ = set.execute("t", &Value::Nil);
        }
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,64}") {
        let mut set = Templates::new(FuncMap::new());
        if set.parse("t", &text).is_ok() {
            let _ = set.execute("t", &data());
        }
    }

    #[test]
    fn printed_trees_parse_back_to_the_same_tree(text in template()) {
        if let Some(first) = tree_string(&text) {
            let second = tree_string(&first);
            prop_assert_eq!(Some(first), second);
        }
    }
}
