//! Any `--set` / `--set-json` / `--set-string` line: errors are fine, panics are bugs.
#![no_main]

use chart::ValueOptions;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let line = String::from_utf8_lossy(data).into_owned();
    for opts in [
        ValueOptions { values: vec![line.clone()], ..Default::default() },
        ValueOptions { string_values: vec![line.clone()], ..Default::default() },
        ValueOptions { json_values: vec![line.clone()], ..Default::default() },
    ] {
        let _ = opts.merge();
    }
});
