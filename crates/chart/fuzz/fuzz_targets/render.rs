//! Any template text and values text through the whole `helm template`
//! pipeline: errors are fine, panics are bugs.
#![no_main]


use chart::{File, PrintOptions, RenderOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    // First line: values YAML (with `\n` escapes); the rest: a template.
    let (values, template) = text.split_once('\n').unwrap_or(("", &text));
    let files = vec![
        File::new("Chart.yaml", &b"apiVersion: v2\nname: fuzz\nversion: 0.1.0\n"[..]),
        File::new("values.yaml", values.replace("\\n", "\n").into_bytes()),
        File::new("templates/_helpers.tpl", &b"{{ define \"h\" }}{{ . }}{{ end }}"[..]),
        File::new("templates/t.yaml", template.as_bytes()),
    ];
    let Ok(loaded) = chart::loader::load_files(files) else { return };
    let _ = chart::template(&loaded, &serde_json::json!({}), &RenderOptions::default(), &PrintOptions::default());
});
