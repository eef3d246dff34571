//! Any template executed over any JSON data either renders or errors; never panics.
#![no_main]

use gotmpl::{FuncMap, MissingKey, Templates, Value};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &str| {
    // The input is "template\0json data"; without a NUL the data is a fixed document.
    let (text, json) = input.split_once('\0').unwrap_or((input, r#"{"a":{"b":[1,"x",2.5,null,{"c":true}]},"s":"str"}"#));
    let data = serde_json::from_str::<serde_json::Value>(json).map(|j| Value::from_json(&j)).unwrap_or(Value::Nil);
    let mut set = Templates::new(FuncMap::new());
    if set.parse("f", text).is_err() {
        return;
    }
    for mode in [MissingKey::Default, MissingKey::Zero, MissingKey::Error] {
        set.set_missing_key(mode);
        let _ = set.execute("f", &data);
    }
});
