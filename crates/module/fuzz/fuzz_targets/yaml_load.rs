//! Any text: the YAML loader returns data or an error, never panics, and
//! positions it records point inside the text.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = goyaml::from_str(text);
    if let Ok(docs) = goyaml::from_str_multi(text) {
        let lines = text.lines().count().max(1) + 1;
        for d in docs {
            if let Some(p) = d.positions.get("") {
                assert!(p.line <= lines, "position {p} past the end ({lines} lines)");
            }
        }
    }
});
