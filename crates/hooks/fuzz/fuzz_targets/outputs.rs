//! Output-file parsers (values patches, metrics, object operations,
//! admission and conversion responses) and jq filters must never panic on
//! garbage a hook writes.
#![no_main]

use hooks::outputs::{
    HookMetrics, PatchScope, parse_admission_response, parse_conversion_response,
    parse_kube_operations, parse_metrics, parse_values_patch,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let scope = PatchScope::Module { values_key: "m".into() };
    if let Ok(patch) = parse_values_patch("v", text, &scope) {
        let values = serde_json_value();
        let _ = hooks::values::apply_values_patch(&values, &patch, &hooks::values::NoValidation);
    }
    let _ = parse_values_patch("v", text, &PatchScope::Global);
    if let Ok(ops) = parse_metrics("m", text) {
        let mut metrics = HookMetrics::default();
        let _ = metrics.apply("h", &ops);
        let _ = metrics.encode();
    }
    let _ = parse_kube_operations("k", text);
    let _ = parse_admission_response("a", text);
    let _ = parse_conversion_response("c", text);
    if text.len() < 200
        && let Ok(filter) = hooks::jq::JqFilter::compile(text)
    {
        let _ = filter.apply(&serde_json_value());
    }
});

fn serde_json_value() -> serde_json::Value {
    serde_json::json!({"global": {"a": [1, 2]}, "m": {"x": {"y": "z"}, "n": 1}})
}
