//! Any text as module.yaml: findings, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let loaded = module::definition::parse(std::path::Path::new("module.yaml"), text);
    for f in &loaded.findings {
        let _ = f.to_string();
    }
});
