//! Hook config parsing (v1/v0 YAML or JSON, batch documents and banners)
//! must never panic, whatever a hook prints.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(loaded) = hooks::config::parse_hook_config("fuzz", text) {
        // A valid config must print back (`deckmod hook config`).
        assert!(serde_json::to_string(&loaded.config).is_ok());
    }
    if let Ok(doc) = hooks::config::parse_batch_config(text) {
        for h in &doc.hooks {
            if let Ok(c) = h.to_hook_config() {
                let _ = hooks::config::load_normalized("fuzz", c);
            }
        }
    }
    let _ = hooks::config::parse_batch_list(text);
});
