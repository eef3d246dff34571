//! Any `values.schema.json` and any values through Helm's schema check
//! (compile, validate, report): errors are fine, panics and stack
//! overflows are bugs.
#![no_main]


use chart::{File, PrintOptions, RenderOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Up to the first NUL: the schema; after it: the values as JSON.
    let (schema, values) = match data.iter().position(|b| *b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &b"{}"[..]),
    };
    let values: serde_json::Value =
        serde_json::from_slice(values).unwrap_or_else(|_| serde_json::json!({}));
    let files = vec![
        File::new("Chart.yaml", &b"apiVersion: v2\nname: fuzz\nversion: 0.1.0\n"[..]),
        File::new("values.schema.json", schema),
        File::new("templates/t.yaml", &b"a: b\n"[..]),
    ];
    let Ok(loaded) = chart::loader::load_files(files) else { return };
    let _ = chart::template(&loaded, &values, &RenderOptions::default(), &PrintOptions::default());
});
