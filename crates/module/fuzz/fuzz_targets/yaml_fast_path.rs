//! Differential: whenever the fast path of `goyaml::from_str` loads a text,
//! the general loader must load the same value from it.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Some(fast) = goyaml::from_str_fast(text) {
        match goyaml::load::from_str_full(text) {
            Ok(full) => assert_eq!(fast, full, "fast path differs on {text:?}"),
            Err(e) => {
                panic!("fast path loaded {fast:?} where the general loader fails ({e}) on {text:?}")
            }
        }
    }
});
