//! Any text either parses or yields a parse error; printed trees parse back.
#![no_main]

use gotmpl::parser::{self, ParseOptions};
use gotmpl::tree::{TextStyle, write_list};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let Ok(trees) = parser::parse("f", text, &|_| false, ParseOptions::default()) else {
        return;
    };
    for tree in &trees {
        let mut printed = String::new();
        write_list(&mut printed, &tree.root, TextStyle::Raw);
        // A printed tree must parse again (defines print as their bodies only),
        // unless raw text ending in '{' now touches an action's "{{": Go's
        // String() does not escape text either.
        if printed.contains("{{{") {
            continue;
        }
        let reparsed = parser::parse("f", &printed, &|_| false, ParseOptions::default());
        assert!(reparsed.is_ok(), "printed tree {printed:?} of {text:?} does not parse: {reparsed:?}");
    }
});
