//! Fuzz target: arbitrary bytes as a tar stream (and, when they look gzip-compressed, as a
//! layer) must never panic the extractor nor create anything outside the target root.

#![no_main]

use std::fs;

use libfuzzer_sys::fuzz_target;
use registry::extract::{LayerToExtract, extract_layers, unpack_tar};

fuzz_target!(|data: &[u8]| {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("root");
    fs::create_dir(&root).expect("root");
    let _ = unpack_tar(data, &root);
    let _ = extract_layers(
        &[LayerToExtract {
            gzip: data,
            diff_id: None,
        }],
        &tmp.path().join("layer"),
    );
    for entry in fs::read_dir(tmp.path()).expect("read tmp") {
        let name = entry.expect("entry").file_name();
        assert!(
            name == "root" || name == "layer",
            "extraction created {name:?} outside its root"
        );
    }
});
