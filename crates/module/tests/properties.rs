//! Property tests: loaders never panic, names round-trip, merging is sound.

use proptest::prelude::*;
use serde_json::Value;

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        "[a-zA-Z0-9 :#'\"-]{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map("[a-zA-Z][a-zA-Z0-9-]{0,8}", inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn module_yaml_never_panics(text in "\\PC{0,200}") {
        let loaded = module::definition::parse(std::path::Path::new("module.yaml"), &text);
        for f in loaded.findings {
            prop_assert!(!f.to_string().is_empty());
        }
    }

    #[test]
    fn module_yaml_from_random_data_never_panics(v in json_value()) {
        let text = goyaml::to_string(&v);
        let _ = module::definition::parse(std::path::Path::new("module.yaml"), &text);
    }

    #[test]
    fn valid_names_round_trip_through_values_keys(name in "[a-z]([a-z0-9]{0,5}(-[a-z][a-z0-9]{0,5}){0,3})") {
        prop_assume!(module::name::check_module_name(&name).is_ok());
        prop_assert_eq!(module::name::kebab_case(&module::name::values_key(&name)), name);
    }

    #[test]
    fn merge_overlay_wins_and_is_idempotent(a in json_value(), b in json_value()) {
        let mut once = a.clone();
        module::values::merge(&mut once, b.clone());
        let mut twice = once.clone();
        module::values::merge(&mut twice, b.clone());
        prop_assert_eq!(&once, &twice);
        if let (Value::Object(_), Value::Object(bo)) = (&a, &b) {
            for (k, v) in bo {
                match v {
                    Value::Null => prop_assert!(once.get(k).is_none()),
                    Value::Object(_) => prop_assert!(once.get(k).is_some_and(Value::is_object)),
                    other => prop_assert_eq!(once.get(k), Some(other)),
                }
            }
        }
    }

    #[test]
    fn schemas_from_random_data_compile_or_fail_cleanly(v in json_value(), inst in json_value()) {
        let prepared = module::schema::prepare(&v, Some(&v), module::schema::SchemaKind::Helm);
        if let Ok(s) = module::schema::Schema::compile(prepared) {
            let mut x = inst;
            s.apply_defaults(&mut x);
            let _ = s.validate(&x);
        }
    }
}
