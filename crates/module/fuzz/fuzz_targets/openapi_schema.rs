//! Any text as openapi/config-values.yaml: prepared, compiled, defaults
//! applied and examples checked without panics.
#![no_main]
use libfuzzer_sys::fuzz_target;
use module::schema::{self, Schema, SchemaKind};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(raw) = goyaml::from_str(text) else { return };
    let prepared = schema::prepare(&raw, Some(&raw), SchemaKind::Helm);
    let mut v = schema::defaults_of(&prepared);
    if let Ok(s) = Schema::compile(prepared.clone()) {
        s.apply_defaults(&mut v);
        let _ = s.validate(&v);
        for (ptr, examples) in schema::examples(&prepared) {
            if let Ok(sub) = schema::subschema(&prepared, &ptr) {
                for e in &examples {
                    let _ = sub.validate(e);
                }
            }
        }
    }
});
