//! The jq fast path must give exactly jaq's results (values and key
//! order) on every input; errors must be errors in both.

use hooks::jq::JqFilter;
use proptest::prelude::*;
use serde_json::{Value, json};

const FILTERS: &[&str] = &[
    ".",
    ".metadata.name",
    ".metadata",
    ".data.n | tonumber",
    "{name: .metadata.name, n: (.data.n | tonumber)}",
    "{name: .metadata.name, ns: .metadata.namespace, labels: .metadata.labels}",
    "{name}",
    "{\"a-b\": .spec[0], z: .spec[2]}",
    ".spec[1]",
    ".[\"metadata\"].name",
    ".metadata.\"name\"",
    "select(.kind == \"ConfigMap\") | .metadata.name",
    "select(.data.n != null)",
    "select(.metadata.labels.app) | {app: .metadata.labels.app}",
    ".kind == \"ConfigMap\"",
    ".data.n == 3",
    ".metadata | not",
    "{z: 1, a: true, m: null, s: \"x\"}",
];

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i32>().prop_map(|i| json!(i)),
        (-1e6f64..1e6).prop_map(|f| json!(f)),
        "[a-z]{0,4}".prop_map(Value::String),
        prop_oneof![
            Just("42"),
            Just("-7"),
            Just("0"),
            Just("007"),
            Just("1.5"),
            Just("1e3"),
            Just(" 3"),
            Just("-0"),
            Just("99999999999999999999"),
            Just("x")
        ]
        .prop_map(|s| Value::String(s.to_string())),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("name".to_string()),
                    Just("n".to_string()),
                    Just("app".to_string()),
                    "[a-z]{1,3}"
                ],
                inner,
                0..4
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// ConfigMap-like objects with random holes and wrong types.
fn object() -> impl Strategy<Value = Value> {
    (value(), value(), value(), value(), prop::option::of(leaf()), any::<bool>()).prop_map(
        |(name, labels, n, spec, kind, well_formed)| {
            if well_formed {
                json!({"kind": kind.unwrap_or(json!("ConfigMap")), "metadata": {"name": name, "namespace": "x", "labels": labels},
                       "data": {"n": n}, "spec": spec})
            } else {
                json!({"metadata": name, "data": n, "spec": spec, "kind": labels})
            }
        },
    )
}

fn same(filter: &JqFilter, input: &Value) -> Result<(), TestCaseError> {
    let fast = filter.apply(input);
    let jaq = filter.apply_with_jaq(input);
    match (&fast, &jaq) {
        (Ok(a), Ok(b)) => {
            prop_assert_eq!(
                serde_json::to_string(a).unwrap(),
                serde_json::to_string(b).unwrap(),
                "filter {} on {}",
                filter.source(),
                input
            )
        }
        (Err(_), Err(_)) => {}
        _ => prop_assert!(
            false,
            "filter {} on {}: fast {:?} vs jaq {:?}",
            filter.source(),
            input,
            fast,
            jaq
        ),
    }
    Ok(())
}

#[test]
fn every_listed_filter_takes_the_fast_path() {
    for f in FILTERS {
        assert!(JqFilter::compile(f).unwrap().is_fast(), "{f}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    #[test]
    fn fast_path_equals_jaq(input in object()) {
        for f in FILTERS {
            same(&JqFilter::compile(f).unwrap(), &input)?;
        }
    }
}

#[test]
fn tonumber_edge_cases_match() {
    let f = JqFilter::compile(".data.n | tonumber").unwrap();
    for n in [
        "42",
        "-7",
        "0",
        "007",
        "1.5",
        "1e3",
        " 3",
        "-0",
        "99999999999999999999",
        "x",
        "",
    ] {
        let input = json!({"data": {"n": n}});
        assert_eq!(
            f.apply(&input).map(|v| v.to_string()),
            f.apply_with_jaq(&input).map(|v| v.to_string()),
            "tonumber of {n:?}"
        );
    }
}
