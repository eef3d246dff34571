//! Any text: the YAML loader returns data or an error, never panics, and
//! positions it records point inside the text.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = goyaml::from_str(text);
    if let Ok(docs) = goyaml::from_str_multi(text) {
        // YAML breaks lines at \n, \r\n and a lone \r.
        let breaks = text.matches('\n').count() + text.matches('\r').count() - text.matches("\r\n").count();
        let lines = breaks + 2;
        for d in docs {
            if let Some(p) = d.positions.get("") {
                assert!(p.line <= lines, "position {p} past the end ({lines} lines)");
            }
        }
    }
});
