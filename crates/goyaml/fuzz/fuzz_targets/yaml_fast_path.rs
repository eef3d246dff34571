//! Differential: whenever the fast path of `goyaml::from_str` loads a text,
//! the general loader must load the same value from it; and the head-only
//! reading must give that value's head.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    const HEAD: &[&str] = &["apiVersion", "kind", "metadata"];
    if let Some(head) = goyaml::fuzzing::fast_head(text, HEAD) {
        let Ok(mut full) = goyaml::fuzzing::full(text) else {
            panic!("head-only fast path took an invalid text {text:?}");
        };
        if let serde_json::Value::Object(m) = &mut full {
            m.retain(|k, _| HEAD.contains(&k.as_str()));
        }
        assert_eq!(head, full, "head-only reading differs on {text:?}");
    }
    if let Some(fast) = goyaml::fuzzing::fast(text) {
        match goyaml::fuzzing::full(text) {
            Ok(full) => assert_eq!(fast, full, "fast path differs on {text:?}"),
            Err(e) => {
                panic!("fast path loaded {fast:?} where the general loader fails ({e}) on {text:?}")
            }
        }
    }
});
